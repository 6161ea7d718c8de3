//! One criterion group, `one_to_one`: Ember's 1:1 sessions next to vodozemac's Olm sessions,
//! doing the same work (100-byte plaintexts, wire bytes in and out, the same number of round
//! trips), plus the primitive "floors" that Ember's cost is compared with.
//!
//! What each id measures, and the floor formulas, are in `docs/PERFORMANCE.md`;
//! `benches/report.py` turns the results into the table and target ratios there.
//!
//! Ember uses a deterministic ChaCha20 RNG; vodozemac draws from the OS RNG internally.
// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]
// A benchmark whose setup fails must stop loudly; there is no caller to return an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use ember_core::Timestamp;
use ember_core::crypto::dh::PrivateKey;
use ember_core::crypto::sign::{SigningKey, VerifyingKey};
use ember_core::crypto::{aead, kdf};
use ember_core::identity::{Account, Device};
use ember_core::prekeys::PreKeyBundle;
use ember_core::session::Session;
use ember_core::snapshot::SnapshotKey;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use vodozemac::olm::{
    Account as OlmAccount, AccountPickle, OlmMessage, Session as OlmSession, SessionConfig,
    SessionPickle,
};

/// Plaintext length of every message.
const MESSAGE_LEN: usize = 100;
/// Round trips made before the session is sealed or pickled.
const SNAPSHOT_ROUND_TRIPS: usize = 10;
/// Length of the associated data Ember binds to a ratchet message (label, suite, two
/// fingerprints, ratchet key, two counters), used for the AES-GCM floor.
const RATCHET_AD_LEN: usize = 17 + 4 + 32 + 32 + 32 + 4 + 4;
/// Length of the message signed in the Ed25519 floor: about a device certificate body with
/// its label.
const SIGNED_LEN: usize = 160;

const NOW: Timestamp = Timestamp(1_700_000_000);
const PLAINTEXT: [u8; MESSAGE_LEN] = [0x5a; MESSAGE_LEN];
const SNAPSHOT_KEY: [u8; 32] = [7; 32];

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

// ----------------------------------------------------------------------------------------
// Ember

fn ember_device(rng: &mut ChaCha20Rng, one_time_prekeys: usize) -> Device {
    let mut device = Account::generate(rng).new_device(rng, NOW);
    device.generate_one_time_prekeys(rng, one_time_prekeys);
    device
}

/// An established pair: Alice initiated, Bob accepted and replied once, Alice decrypted the
/// reply. Returns (Alice's session to Bob, Bob's session to Alice).
fn ember_pair(rng: &mut ChaCha20Rng) -> (Session, Session) {
    let alice = ember_device(rng, 0);
    let mut bob = ember_device(rng, 1);
    let bundle = PreKeyBundle::from_bytes(&bob.prekey_bundle().to_bytes()).expect("bundle");
    let mut to_bob = Session::initiate(rng, &alice, &bundle).expect("initiate");
    let first = to_bob.encrypt(rng, &PLAINTEXT).expect("encrypt first");
    let (mut to_alice, plaintext) = Session::accept(&mut bob, &first).expect("accept");
    assert_eq!(plaintext, PLAINTEXT);
    let reply = to_alice.encrypt(rng, &PLAINTEXT).expect("encrypt reply");
    assert_eq!(to_bob.decrypt(&reply).expect("decrypt reply"), PLAINTEXT);
    (to_bob, to_alice)
}

/// One message: `from` encrypts, `to` decrypts.
fn ember_send(rng: &mut ChaCha20Rng, from: &mut Session, to: &mut Session) -> Vec<u8> {
    let envelope = from.encrypt(rng, black_box(&PLAINTEXT)).expect("encrypt");
    to.decrypt(black_box(&envelope)).expect("decrypt")
}

fn ember_one_direction(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(1);
    let (mut alice, mut bob) = ember_pair(&mut rng);
    group.bench_function("ember/one_direction", |b| {
        b.iter(|| ember_send(&mut rng, &mut alice, &mut bob));
    });
}

fn ember_ping_pong(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(2);
    let (mut alice, mut bob) = ember_pair(&mut rng);
    let mut alice_sends = true;
    group.bench_function("ember/ping_pong", |b| {
        b.iter(|| {
            let plaintext = if alice_sends {
                ember_send(&mut rng, &mut alice, &mut bob)
            } else {
                ember_send(&mut rng, &mut bob, &mut alice)
            };
            alice_sends = !alice_sends;
            plaintext
        });
    });
}

fn ember_session_setup(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(3);
    let alice = ember_device(&mut rng, 0);
    let bob = ember_device(&mut rng, 1);
    // What a directory hands to one initiator: the certificate, the signed prekey and a
    // single one-time prekey.
    let otk = bob
        .prekey_bundle()
        .one_time_prekey_ids()
        .next()
        .expect("a one-time prekey");
    let bundle_bytes = bob
        .prekey_bundle()
        .with_one_time_prekey(otk)
        .expect("bundle with the one-time prekey")
        .to_bytes();
    // A sealed copy of Bob, opened outside the timing, gives each iteration a responder
    // that still holds the one-time prekey.
    let key = SnapshotKey::from_bytes(&mut SNAPSHOT_KEY.clone());
    let sealed_bob = bob.seal(&key, &mut rng).expect("seal device");
    group.bench_function("ember/session_setup", |b| {
        b.iter_batched(
            || Device::open(&key, &sealed_bob).expect("open device"),
            |mut bob| {
                let bundle =
                    PreKeyBundle::from_bytes(black_box(&bundle_bytes)).expect("verify bundle");
                let mut to_bob = Session::initiate(&mut rng, &alice, &bundle).expect("initiate");
                let first = to_bob
                    .encrypt(&mut rng, black_box(&PLAINTEXT))
                    .expect("encrypt first");
                let (to_alice, plaintext) =
                    Session::accept(&mut bob, black_box(&first)).expect("accept");
                // Returned so that dropping happens outside the timing.
                (bob, to_bob, to_alice, plaintext)
            },
            BatchSize::SmallInput,
        );
    });
}

fn ember_snapshot(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(4);
    let (mut alice, mut bob) = ember_pair(&mut rng);
    for _ in 0..SNAPSHOT_ROUND_TRIPS {
        ember_send(&mut rng, &mut alice, &mut bob);
        ember_send(&mut rng, &mut bob, &mut alice);
    }
    let key = SnapshotKey::from_bytes(&mut SNAPSHOT_KEY.clone());
    group.bench_function("ember/snapshot", |b| {
        b.iter(|| {
            let sealed = black_box(&alice).seal(&key, &mut rng).expect("seal");
            Session::open(&key, black_box(&sealed)).expect("open")
        });
    });
}

// ----------------------------------------------------------------------------------------
// vodozemac (Olm, SessionConfig::version_1, as deployed in Matrix)

/// Through the wire format, as Ember's envelopes are.
fn olm_wire(message: &OlmMessage) -> OlmMessage {
    let (message_type, bytes) = message.to_parts();
    OlmMessage::from_parts(message_type, black_box(&bytes)).expect("decode message")
}

/// An established pair, as [`ember_pair`]: (Alice's session, Bob's session).
fn olm_pair() -> (OlmSession, OlmSession) {
    let alice = OlmAccount::new();
    let mut bob = OlmAccount::new();
    bob.generate_one_time_keys(1);
    let otk = *bob.one_time_keys().values().next().expect("a one-time key");
    bob.mark_keys_as_published();
    let mut to_bob = alice
        .create_outbound_session(SessionConfig::version_1(), bob.curve25519_key(), otk)
        .expect("outbound session");
    let OlmMessage::PreKey(first) = olm_wire(&to_bob.encrypt(PLAINTEXT).expect("encrypt first"))
    else {
        unreachable!("the first message is a pre-key message")
    };
    let inbound = bob
        .create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &first)
        .expect("inbound session");
    assert_eq!(inbound.plaintext, PLAINTEXT);
    let mut to_alice = inbound.session;
    let reply = olm_wire(&to_alice.encrypt(PLAINTEXT).expect("encrypt reply"));
    assert_eq!(to_bob.decrypt(&reply).expect("decrypt reply"), PLAINTEXT);
    (to_bob, to_alice)
}

fn olm_send(from: &mut OlmSession, to: &mut OlmSession) -> Vec<u8> {
    let message = from.encrypt(black_box(PLAINTEXT)).expect("encrypt");
    to.decrypt(&olm_wire(&message)).expect("decrypt")
}

fn vodozemac_one_direction(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (mut alice, mut bob) = olm_pair();
    group.bench_function("vodozemac/one_direction", |b| {
        b.iter(|| olm_send(&mut alice, &mut bob));
    });
}

fn vodozemac_ping_pong(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (mut alice, mut bob) = olm_pair();
    let mut alice_sends = true;
    group.bench_function("vodozemac/ping_pong", |b| {
        b.iter(|| {
            let plaintext = if alice_sends {
                olm_send(&mut alice, &mut bob)
            } else {
                olm_send(&mut bob, &mut alice)
            };
            alice_sends = !alice_sends;
            plaintext
        });
    });
}

fn vodozemac_session_setup(group: &mut BenchmarkGroup<'_, WallTime>) {
    let alice = OlmAccount::new();
    let alice_identity = alice.curve25519_key();
    let mut bob = OlmAccount::new();
    bob.generate_one_time_keys(1);
    let otk = *bob.one_time_keys().values().next().expect("a one-time key");
    bob.mark_keys_as_published();
    let bob_identity = bob.curve25519_key();
    let pickle_key = SNAPSHOT_KEY;
    let pickled_bob = bob.pickle().encrypt(&pickle_key);
    group.bench_function("vodozemac/session_setup", |b| {
        b.iter_batched(
            || {
                OlmAccount::from_pickle(
                    AccountPickle::from_encrypted(&pickled_bob, &pickle_key)
                        .expect("unpickle account"),
                )
            },
            |mut bob| {
                let mut to_bob = alice
                    .create_outbound_session(
                        SessionConfig::version_1(),
                        black_box(bob_identity),
                        black_box(otk),
                    )
                    .expect("outbound session");
                let first = to_bob.encrypt(black_box(PLAINTEXT)).expect("encrypt first");
                let OlmMessage::PreKey(first) = olm_wire(&first) else {
                    unreachable!("the first message is a pre-key message")
                };
                let inbound = bob
                    .create_inbound_session(SessionConfig::version_1(), alice_identity, &first)
                    .expect("inbound session");
                (bob, to_bob, inbound)
            },
            BatchSize::SmallInput,
        );
    });
}

fn vodozemac_pickle(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (mut alice, mut bob) = olm_pair();
    for _ in 0..SNAPSHOT_ROUND_TRIPS {
        olm_send(&mut alice, &mut bob);
        olm_send(&mut bob, &mut alice);
    }
    let pickle_key = SNAPSHOT_KEY;
    group.bench_function("vodozemac/pickle", |b| {
        b.iter(|| {
            let pickled = black_box(&alice).pickle().encrypt(&pickle_key);
            OlmSession::from_pickle(
                SessionPickle::from_encrypted(black_box(&pickled), &pickle_key).expect("unpickle"),
            )
        });
    });
}

// ----------------------------------------------------------------------------------------
// Floors: the primitives, through the same wrappers Ember uses.

/// The primitives of one ratchet message (the `one_direction` floor).
fn floor_symmetric(group: &mut BenchmarkGroup<'_, WallTime>) {
    let key = [0x11u8; aead::KEY_LEN];
    let nonce = [0u8; aead::NONCE_LEN];
    let associated_data = [0x22u8; RATCHET_AD_LEN];
    group.bench_function("floor/aes256gcm_fresh_key_100B", |b| {
        b.iter(|| {
            aead::seal(
                black_box(&key),
                &nonce,
                black_box(&associated_data),
                black_box(&PLAINTEXT),
            )
            .expect("seal")
        });
    });

    let salt = [0x33u8; 32];
    let ikm = [0x44u8; 32];
    group.bench_function("floor/hkdf_sha256", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            kdf::hkdf_sha256(
                black_box(&salt),
                black_box(&ikm),
                b"ember/v1/root-chain\0",
                &mut out,
            )
            .expect("hkdf");
            out
        });
    });

    let chain_key = [0x55u8; 32];
    group.bench_function("floor/hmac_sha256", |b| {
        b.iter(|| kdf::hmac_sha256(black_box(&chain_key), black_box(&[0x01])));
    });
}

/// The public-key operations of session setup (the `session_setup` floor).
fn floor_public_key(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(5);

    let ours = PrivateKey::generate(&mut rng);
    let theirs = PrivateKey::generate(&mut rng).public_key();
    group.bench_function("floor/x25519_dh", |b| {
        b.iter(|| black_box(&ours).agree(black_box(&theirs)).expect("agree"));
    });

    group.bench_function("floor/x25519_keygen", |b| {
        b.iter(|| PrivateKey::generate(&mut rng));
    });

    let signing = SigningKey::generate(&mut rng);
    let public = signing.verifying_key().to_bytes();
    let message = [0x66u8; SIGNED_LEN];
    let signature = signing.sign_raw(&message);
    group.bench_function("floor/ed25519_verify", |b| {
        b.iter(|| {
            VerifyingKey::from_bytes(black_box(&public))
                .expect("parse key")
                .verify_raw(black_box(&message), black_box(&signature))
                .expect("verify")
        });
    });
}

fn bench_one_to_one(c: &mut Criterion) {
    // The terms of each target ratio run back to back, so that load that comes and goes on
    // a shared machine skews a ratio less than it would with all of Ember first.
    let mut group = c.benchmark_group("one_to_one");
    floor_symmetric(&mut group);
    ember_one_direction(&mut group);
    vodozemac_one_direction(&mut group);
    ember_ping_pong(&mut group);
    vodozemac_ping_pong(&mut group);
    floor_public_key(&mut group);
    ember_session_setup(&mut group);
    vodozemac_session_setup(&mut group);
    ember_snapshot(&mut group);
    vodozemac_pickle(&mut group);
    group.finish();
}

criterion_group!(one_to_one, bench_one_to_one);
criterion_main!(one_to_one);
