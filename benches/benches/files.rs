//! One criterion group, `files`: encrypting and decrypting a 64 MiB file through Ember's
//! streaming file format (64 KiB chunks), beside raw AES-256-GCM over the same 64 MiB in the
//! same 64 KiB chunks with one key (the floor), and SHA-256 over 64 MiB (not a target term:
//! it explains the gap, since the stream's digest is part of the format).
//!
//! What each id measures is in `docs/PERFORMANCE.md`; `benches/report.py` prints the table
//! and the throughput ratios.
// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]
// A benchmark whose setup fails must stop loudly; there is no caller to return an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use ember_core::file::{
    CHUNK_HEADER_LEN, CHUNK_OVERHEAD, DEFAULT_CHUNK_SIZE, FileDecryptor, FileEncryptor, FileKey,
    HEADER_LEN,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const FILE_LEN: usize = 64 << 20;
const CHUNK: usize = DEFAULT_CHUNK_SIZE as usize;
const CHUNKS: usize = FILE_LEN / CHUNK;
/// Ember's associated data per chunk: the file header and the chunk header.
const AD_LEN: usize = HEADER_LEN + CHUNK_HEADER_LEN;
/// The stream's length: the header, every chunk with its overhead (64 MiB is a whole number
/// of chunks, so the last one is full).
const STREAM_LEN: usize = HEADER_LEN + FILE_LEN + CHUNKS * CHUNK_OVERHEAD;

fn plaintext() -> Vec<u8> {
    let mut bytes = vec![0u8; FILE_LEN];
    ChaCha20Rng::from_seed([1; 32]).fill_bytes(&mut bytes);
    bytes
}

fn ember_file(group: &mut BenchmarkGroup<'_, WallTime>, plaintext: &[u8]) {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let key = FileKey::generate(&mut rng);
    // One output buffer, reserved once: every iteration writes the whole stream into memory
    // that is already mapped, as the floor does.
    let mut stream = Vec::with_capacity(STREAM_LEN);
    group.bench_function("ember/file_encrypt_64MiB", |b| {
        b.iter(|| {
            stream.clear();
            let mut encryptor = FileEncryptor::new(&mut rng, &key);
            encryptor
                .push(black_box(plaintext), &mut stream)
                .expect("push");
            encryptor.finish(&mut stream).expect("finish")
        });
    });

    stream.clear();
    let mut encryptor = FileEncryptor::new(&mut rng, &key);
    encryptor.push(plaintext, &mut stream).expect("push");
    let summary = encryptor.finish(&mut stream).expect("finish");
    assert_eq!(stream.len(), STREAM_LEN);
    let mut out = Vec::with_capacity(FILE_LEN);
    group.bench_function("ember/file_decrypt_64MiB", |b| {
        b.iter(|| {
            out.clear();
            let mut decryptor = FileDecryptor::with_expected_digest(&key, summary.digest);
            decryptor.push(black_box(&stream), &mut out).expect("push");
            decryptor.finish().expect("finish")
        });
    });
    assert_eq!(out, plaintext);
}

/// AES-256-GCM over the file in 64 KiB chunks, in place, with one cipher keyed once, a
/// nonce per chunk and associated data as long as Ember's.
fn floor_aes256gcm(group: &mut BenchmarkGroup<'_, WallTime>, plaintext: &[u8]) {
    let cipher = Aes256Gcm::new(&[0x11u8; 32].into());
    let ad = [0x22u8; AD_LEN];
    let nonce = |index: usize| {
        let mut nonce = [0x33u8; 12];
        nonce[7..11].copy_from_slice(&(index as u32).to_be_bytes());
        nonce
    };
    let mut buffer = plaintext.to_vec();
    let mut tags = vec![[0u8; 16]; CHUNKS];
    group.bench_function("floor/aes256gcm_64MiB", |b| {
        b.iter(|| {
            for (index, (chunk, tag)) in buffer.chunks_mut(CHUNK).zip(&mut tags).enumerate() {
                *tag = cipher
                    .encrypt_inout_detached(&nonce(index).into(), black_box(&ad), chunk.into())
                    .expect("seal")
                    .into();
            }
            black_box(&tags);
        });
    });

    group.bench_function("floor/sha256_64MiB", |b| {
        b.iter(|| Sha256::digest(black_box(plaintext)));
    });
}

fn bench_files(c: &mut Criterion) {
    let plaintext = plaintext();
    let mut group = c.benchmark_group("files");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(FILE_LEN as u64));
    floor_aes256gcm(&mut group, &plaintext);
    ember_file(&mut group, &plaintext);
    group.finish();
}

criterion_group!(files, bench_files);
criterion_main!(files);
