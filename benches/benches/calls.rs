//! One criterion group, `calls`: protecting and opening one 1200-byte SFrame media frame
//! (RFC 9605, suite `AES_256_GCM_SHA512_128`, Ember's suite for calls), beside AES-256-GCM
//! over the same bytes with a cipher keyed once: the floor, since Ember keys each
//! participant's SFrame cipher once per epoch and reuses it for every frame.
//!
//! What each id measures is in `docs/PERFORMANCE.md`; `benches/report.py` prints the table.
// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]
// A benchmark whose setup fails must stop loudly; there is no caller to return an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use ember_core::Timestamp;
use ember_core::sframe::{CallEpoch, CallKeys, CallSecret, CipherSuite};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A video frame of a typical RTP payload size (it fits one 1280-byte MTU packet).
const FRAME_LEN: usize = 1200;
/// Length of the SFrame header for KID 0 and counters from 256 to 65535 (one config byte,
/// two counter bytes): the associated data of the floor.
const HEADER_LEN: usize = 3;
const SUITE: CipherSuite = CipherSuite::Aes256GcmSha512Tag128;
const NOW: Timestamp = Timestamp(1_700_000_000);
const FRAME: [u8; FRAME_LEN] = [0x5a; FRAME_LEN];

/// Alice's keys and Bob's, for the same call secret and epoch.
fn call_keys() -> (CallKeys, CallKeys) {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let secret = CallSecret::generate(&mut rng);
    let mut copy = *secret.to_bytes();
    (
        CallKeys::new(secret, CallEpoch::FIRST, SUITE),
        CallKeys::new(CallSecret::from_bytes(&mut copy), CallEpoch::FIRST, SUITE),
    )
}

fn ember_sframe(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (mut alice, mut bob) = call_keys();
    let mut sender = alice.sender(0).expect("sender");
    // The first frame derives Bob's key for Alice's slot (once per epoch), outside the timing.
    let first = sender.protect(b"", &FRAME).expect("protect");
    bob.open(&first, b"", NOW).expect("open");

    let mut out = Vec::with_capacity(FRAME_LEN + 64);
    group.bench_function("ember/sframe_encrypt_1200B", |b| {
        b.iter(|| {
            out.clear();
            sender
                .protect_into(b"", black_box(&FRAME), &mut out)
                .expect("protect");
            black_box(&out);
        });
    });

    // Every iteration opens a fresh frame (the replay window refuses a repeated one); the
    // frames are made in the setup, outside the timing, in counter order.
    group.bench_function("ember/sframe_decrypt_1200B", |b| {
        b.iter_batched(
            || sender.protect(b"", &FRAME).expect("protect"),
            |frame| {
                out.clear();
                bob.open_into(black_box(&frame), b"", NOW, &mut out)
                    .expect("open");
                black_box(&out);
                frame
            },
            BatchSize::SmallInput,
        );
    });
}

/// AES-256-GCM of one frame with a cipher keyed once; like Ember, the plaintext (or
/// ciphertext) is first copied into the output buffer and processed in place there.
fn floor_aes256gcm(group: &mut BenchmarkGroup<'_, WallTime>) {
    let cipher = Aes256Gcm::new(&[0x11u8; 32].into());
    let header = [0x22u8; HEADER_LEN];
    let mut counter = 0u64;
    let mut out = Vec::with_capacity(FRAME_LEN + 16);
    let nonce_for = |counter: u64| {
        let mut nonce = [0x33u8; 12];
        for (byte, ctr) in nonce[4..].iter_mut().zip(counter.to_be_bytes()) {
            *byte ^= ctr;
        }
        nonce
    };
    group.bench_function("floor/aes256gcm_1200B", |b| {
        b.iter(|| {
            counter += 1;
            out.clear();
            out.extend_from_slice(black_box(&FRAME));
            let tag = cipher
                .encrypt_inout_detached(
                    &nonce_for(counter).into(),
                    black_box(&header),
                    out.as_mut_slice().into(),
                )
                .expect("seal");
            out.extend_from_slice(&tag);
            black_box(&out);
        });
    });

    let mut sealed = FRAME.to_vec();
    let nonce = nonce_for(0);
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), &header, sealed.as_mut_slice().into())
        .expect("seal");
    group.bench_function("floor/aes256gcm_open_1200B", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&sealed));
            cipher
                .decrypt_inout_detached(
                    &nonce.into(),
                    black_box(&header),
                    out.as_mut_slice().into(),
                    &tag,
                )
                .expect("open");
            black_box(&out);
        });
    });
}

fn bench_calls(c: &mut Criterion) {
    let mut group = c.benchmark_group("calls");
    group.throughput(Throughput::Bytes(FRAME_LEN as u64));
    floor_aes256gcm(&mut group);
    ember_sframe(&mut group);
    group.finish();
}

criterion_group!(calls, bench_calls);
criterion_main!(calls);
