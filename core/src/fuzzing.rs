//! Entry points for the fuzz targets and the corpus replay test (feature `fuzzing`).
//!
//! Every decoder of the crate is reachable from one function here, and `fuzz/` has one target
//! per function ([`TARGETS`]). Each takes arbitrary bytes and must not panic on any of them.
//! Beyond "no panic", each checks what must hold when the input is accepted or refused:
//!
//! - a decoded bundle, certificate, content, payload or SFrame header re-encodes to an equal
//!   one;
//! - an envelope, room message or call frame that decrypted once does not decrypt again, and
//!   one that was refused leaves the session, the session book, the device or the room
//!   exactly as they were; so does a refused room control payload;
//! - a file stream releases only plaintext that verified, and decrypts only if it is exactly
//!   a stream the fixed key made;
//! - an opened snapshot seals and opens again to the same bytes;
//! - a verified policy, network settings, descriptor, device list, directory entry, linking
//!   message or recovery key re-encodes to an equal one, and a verified policy or settings
//!   does not replace itself;
//! - a federation envelope or ATAK frame that was accepted is not accepted again, and one
//!   that was refused leaves the gate or the channel accepting the next valid one.
//!
//! So a panic here is a finding: a bug in the crate (or in this module's fixtures).
//!
//! The fixtures (a responder device and the session and session book it has with one
//! initiator, a member's view of a room, file streams under one key, a participant's call
//! keys) are made from fixed seeds; the costly ones are kept sealed (once per process with
//! the `std` feature, on every call without) and each call opens fresh copies, so runs are
//! reproducible and one input cannot affect the next. [`seed_corpus`] makes valid inputs for
//! exactly these fixtures. `tests/fuzz_corpora.rs` replays `fuzz/corpus/` through these
//! functions and checks that the seeds there are the ones [`seed_corpus`] makes.
//!
//! ```
//! use ember_core::fuzzing;
//!
//! fuzzing::certificate(b"not a certificate");
//! for seed in fuzzing::seed_corpus().iter().filter(|seed| seed.target == "certificate") {
//!     fuzzing::certificate(&seed.data);
//! }
//! ```

// A fuzz finding is a panic: the invariant checks must panic so that libFuzzer keeps the input,
// and a fixture that cannot be built from its fixed seeds is a bug to report loudly rather
// than an input to skip. Hence `expect` and `panic` are allowed in this module.
#![allow(clippy::expect_used, clippy::panic)]

#[cfg(feature = "std")]
extern crate std;

use alloc::vec::Vec;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::crypto::aead;
use crate::error::SnapshotError;
use crate::identity::{Account, Device, DeviceCertificate};
use crate::ids::{DeviceAddress, Timestamp};
use crate::prekeys::PreKeyBundle;
use crate::room::Room;
use crate::session::{Session, SessionBook};
use crate::snapshot::{FORMAT, Kind, MAGIC, SnapshotKey};

/// Defines `fn $name()`, which gives the fixture `$make` makes: once per process where `std`
/// is there to hold it (the fuzz targets and the tests), on every call without.
macro_rules! fixture {
    ($(#[$doc:meta])* fn $name:ident() -> $type:ty = $make:expr;) => {
        $(#[$doc])*
        #[cfg(feature = "std")]
        fn $name() -> &'static $type {
            static FIXTURE: $crate::fuzzing::std::sync::OnceLock<$type> =
                $crate::fuzzing::std::sync::OnceLock::new();
            FIXTURE.get_or_init($make)
        }

        $(#[$doc])*
        #[cfg(not(feature = "std"))]
        fn $name() -> $type {
            ($make)()
        }
    };
}
use fixture;

mod calls;
mod contents;
mod files;
mod organization;
mod retention;
mod rooms;

pub use calls::sframe;
pub use contents::{content, payload};
pub use files::file_stream;
pub use organization::{atak, devices, federation, policy};
pub use retention::retention;
pub use rooms::{room_control, room_message};

/// A fuzz target's entry point: takes any bytes, panics only on a finding.
pub type EntryPoint = fn(&[u8]);

/// Every fuzz target: its name, which names `fuzz/fuzz_targets/<name>.rs` and
/// `fuzz/corpus/<name>/`, and the entry point it calls.
pub const TARGETS: &[(&str, EntryPoint)] = &[
    ("prekey_bundle", prekey_bundle),
    ("certificate", certificate),
    ("initial_message", initial_message),
    ("ratchet_message", ratchet_message),
    ("session_book", session_book),
    ("snapshot", snapshot),
    ("snapshot_state", snapshot_state),
    ("content", content),
    ("payload", payload),
    ("room_message", room_message),
    ("room_control", room_control),
    ("file_stream", file_stream),
    ("sframe", sframe),
    ("policy", policy),
    ("federation", federation),
    ("atak", atak),
    ("devices", devices),
    ("retention", retention),
];

/// The key that [`snapshot`] opens with and [`snapshot_state`] seals with.
pub const SNAPSHOT_KEY: [u8; 32] = [0x5e; 32];

/// The time at which the fixtures are made.
const NOW: Timestamp = Timestamp(1_700_000_000);
/// The seed of the responder ("Bob"): his account, device and prekeys.
const RESPONDER: u8 = 0xb0;
/// The seed of the initiator with an established session ("Alice").
const INITIATOR: u8 = 0xa1;
/// The seed of Bob's randomness within his session with Alice.
const RESPONDER_SESSION: u8 = 0xb1;
/// The seed of an initiator that Bob has no session with ("Carol").
const STRANGER: u8 = 0xc0;
/// The seed of the snapshot nonces.
const NONCES: u8 = 0x00;

/// Decodes a prekey bundle with [`PreKeyBundle::from_bytes`]. An accepted bundle must
/// re-encode to an equal bundle, and so must the subsets a directory hands out.
pub fn prekey_bundle(data: &[u8]) {
    let Ok(bundle) = PreKeyBundle::from_bytes(data) else {
        return;
    };
    assert_round_trip(&bundle);
    assert_round_trip(&bundle.without_one_time_prekeys());
    for id in [
        bundle.one_time_prekey_ids().next(),
        bundle.one_time_prekey_ids().last(),
    ]
    .into_iter()
    .flatten()
    {
        let subset = bundle.with_one_time_prekey(id);
        assert!(subset.is_some(), "the bundle has no one-time prekey {id}");
        if let Some(subset) = subset {
            assert_eq!(subset.one_time_prekey_ids().collect::<Vec<_>>(), [id]);
            assert_round_trip(&subset);
        }
    }
}

fn assert_round_trip(bundle: &PreKeyBundle) {
    let encoded = bundle.to_bytes();
    let decoded = PreKeyBundle::from_bytes(&encoded);
    assert_eq!(
        decoded.as_ref(),
        Ok(bundle),
        "a bundle does not survive re-encoding"
    );
    if let Ok(decoded) = decoded {
        assert_eq!(decoded.to_bytes(), encoded, "bundle encoding is not stable");
    }
}

/// Decodes a device certificate with [`DeviceCertificate::from_bytes`]. An accepted
/// certificate must re-encode to an equal certificate with the same fingerprint.
pub fn certificate(data: &[u8]) {
    let Ok(certificate) = DeviceCertificate::from_bytes(data) else {
        return;
    };
    let encoded = certificate.to_bytes();
    let decoded = DeviceCertificate::from_bytes(&encoded);
    assert_eq!(
        decoded.as_ref(),
        Ok(&certificate),
        "a certificate does not survive re-encoding"
    );
    if let Ok(decoded) = decoded {
        assert_eq!(decoded.fingerprint(), certificate.fingerprint());
        assert_eq!(decoded.address(), certificate.address());
        assert_eq!(
            decoded.to_bytes(),
            encoded,
            "certificate encoding is not stable"
        );
    }
}

/// Feeds an envelope to [`Session::accept`] on a fixed responder device.
///
/// A refused envelope must leave the device unchanged. An accepted one consumes at most one
/// one-time prekey, does not decrypt again in the session it made, and if it consumed a
/// one-time prekey it is not accepted a second time.
pub fn initial_message(data: &[u8]) {
    let mut device = open_fixture::<Device>(&fixtures().responder);
    let before = device.sealed();
    let prekeys = device.one_time_prekey_count();
    match Session::accept(&mut device, data) {
        Err(_) => assert!(
            device.sealed() == before,
            "a refused initial message changed the device"
        ),
        Ok((mut session, _)) => {
            let consumed = prekeys - device.one_time_prekey_count();
            assert!(
                consumed <= 1,
                "one initial message consumed {consumed} prekeys"
            );
            assert!(
                session.decrypt(data).is_err(),
                "an initial message decrypted twice"
            );
            if consumed == 1 {
                assert!(
                    Session::accept(&mut device, data).is_err(),
                    "an initial message was accepted twice with the same one-time prekey"
                );
            }
        }
    }
}

/// Feeds an envelope to [`Session::decrypt`] on a fixed established session (the responder's
/// side, with a skipped message key, after it replied once).
///
/// A refused envelope must leave the session unchanged; a decrypted one must not decrypt
/// again.
pub fn ratchet_message(data: &[u8]) {
    let mut session = open_fixture::<Session>(&fixtures().session);
    let before = session.sealed();
    match session.decrypt(data) {
        Ok(_) => assert!(session.decrypt(data).is_err(), "a message decrypted twice"),
        Err(_) => assert!(
            session.sealed() == before,
            "a refused message changed the session"
        ),
    }
}

/// Feeds an envelope to [`SessionBook::decrypt`] on a fixed book (the responder's, holding
/// its session with the initiator). The first byte picks the sender the transport names:
/// even for the initiator the book has a session with, odd for a stranger; the rest is the
/// envelope.
///
/// A refused envelope must leave the book and the device unchanged; a decrypted one must not
/// decrypt again.
pub fn session_book(data: &[u8]) {
    let Some((&sender, envelope)) = data.split_first() else {
        return;
    };
    let fixtures = fixtures();
    let mut book = open_fixture::<SessionBook>(&fixtures.book);
    let mut bob = open_fixture::<Device>(&fixtures.bob);
    let from = if sender % 2 == 0 {
        fixtures.alice
    } else {
        fixtures.stranger
    };
    let before = (book.sealed(), bob.sealed());
    match book.decrypt(&mut bob, from, envelope) {
        Ok(_) => assert!(
            book.decrypt(&mut bob, from, envelope).is_err(),
            "a message decrypted twice through the book"
        ),
        Err(_) => assert!(
            (book.sealed(), bob.sealed()) == before,
            "a refused message changed the book or the device"
        ),
    }
}

/// Opens the bytes as a sealed snapshot under [`SNAPSHOT_KEY`] with [`Account::open`],
/// [`Device::open`], [`Session::open`], [`SessionBook::open`] and [`Room::open`]. Whatever
/// opens must seal and open again to the same bytes.
///
/// Only a sealed input gets past the tag check, so this covers the envelope of snapshots;
/// [`snapshot_state`] covers what is inside.
pub fn snapshot(data: &[u8]) {
    open_and_reseal::<Account>(data);
    open_and_reseal::<Device>(data);
    open_and_reseal::<Session>(data);
    open_and_reseal::<SessionBook>(data);
    open_and_reseal::<Room>(data);
}

/// Seals the bytes as the state of each kind of snapshot under [`SNAPSHOT_KEY`] and opens
/// them as in [`snapshot`]: the state decoders, past the tag check.
pub fn snapshot_state(data: &[u8]) {
    let kinds: [(Kind, EntryPoint); 5] = [
        (Kind::Account, open_and_reseal::<Account>),
        (Kind::Device, open_and_reseal::<Device>),
        (Kind::Session, open_and_reseal::<Session>),
        (Kind::SessionBook, open_and_reseal::<SessionBook>),
        (Kind::Room, open_and_reseal::<Room>),
    ];
    for (kind, open) in kinds {
        open(&seal_state(kind, data));
    }
}

/// Seals `state` as a snapshot of `kind` under [`SNAPSHOT_KEY`], with an all-zero nonce.
fn seal_state(kind: Kind, state: &[u8]) -> Vec<u8> {
    let header = [MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], FORMAT, kind as u8];
    let nonce = [0u8; aead::NONCE_LEN];
    let body = aead::seal(&SNAPSHOT_KEY, &nonce, &header, state)
        .expect("AES-GCM takes far more than a fuzz input");
    [&header[..], &nonce, &body].concat()
}

fn open_and_reseal<T: Sealable>(sealed: &[u8]) {
    let Ok(opened) = T::open_fixed(sealed) else {
        return;
    };
    let resealed = opened.sealed();
    let reopened = T::open_fixed(&resealed);
    assert!(reopened.is_ok(), "a sealed snapshot does not open");
    if let Ok(reopened) = reopened {
        assert!(
            reopened.sealed() == resealed,
            "sealing an opened snapshot is not stable"
        );
    }
}

fn snapshot_key() -> SnapshotKey {
    let mut key = SNAPSHOT_KEY;
    SnapshotKey::from_bytes(&mut key)
}

/// What can be sealed: sealed here under [`SNAPSHOT_KEY`] with nonces from a fixed seed, so
/// that equal states seal to equal bytes.
trait Sealable: Sized {
    fn sealed(&self) -> Vec<u8>;
    fn open_fixed(sealed: &[u8]) -> Result<Self, SnapshotError>;
}

macro_rules! sealable {
    ($($type:ty),*) => {$(
        impl Sealable for $type {
            fn sealed(&self) -> Vec<u8> {
                self.seal(&snapshot_key(), &mut rng(NONCES))
                    .expect("a fixture or a fuzz input is far below the snapshot size limit")
            }

            fn open_fixed(sealed: &[u8]) -> Result<Self, SnapshotError> {
                Self::open(&snapshot_key(), sealed)
            }
        }
    )*};
}

sealable!(Account, Device, Session, SessionBook, Room);

fn open_fixture<T: Sealable>(sealed: &[u8]) -> T {
    T::open_fixed(sealed).expect("a sealed fixture opens")
}

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// The fixtures, sealed: opening a snapshot costs far less than making the keys, signatures
/// and sessions again (a session opens without any curve arithmetic), and under the fuzzer's
/// instrumentation that is the difference between ten and a thousand runs a second.
struct Fixtures {
    /// Bob's device as made, with all its one-time prekeys.
    responder: Vec<u8>,
    /// Bob's device after Alice's first message used one of them.
    bob: Vec<u8>,
    /// Bob's session book, holding his session with Alice.
    book: Vec<u8>,
    /// Bob's session with Alice.
    session: Vec<u8>,
    alice: DeviceAddress,
    stranger: DeviceAddress,
}

impl Fixtures {
    fn make() -> Self {
        let conversation = conversation();
        let alice = conversation.alice.address();
        Self {
            responder: responder().device.sealed(),
            bob: conversation.bob.sealed(),
            book: conversation.book.sealed(),
            session: conversation.session.sealed(),
            alice,
            stranger: stranger().0.address(),
        }
    }
}

fixture! {
    /// The session fixtures.
    fn fixtures() -> Fixtures = Fixtures::make;
}

/// Bob: his account and his device, which holds three one-time prekeys and has rotated its
/// signed prekey once.
struct Responder {
    account: Account,
    device: Device,
    /// The bundle Bob published before he rotated his signed prekey.
    first_bundle: PreKeyBundle,
}

fn responder() -> Responder {
    let mut rng = rng(RESPONDER);
    let mut account = Account::generate(&mut rng);
    let mut device = account.new_device(&mut rng, NOW);
    device.generate_one_time_prekeys(&mut rng, 3);
    let first_bundle = device.prekey_bundle();
    device.rotate_signed_prekey(&mut rng, Timestamp(NOW.0 + 86_400));
    Responder {
        account,
        device,
        first_bundle,
    }
}

/// Carol, who has no session with Bob, and her randomness.
fn stranger() -> (Device, ChaCha20Rng) {
    let mut rng = rng(STRANGER);
    let device = Account::generate(&mut rng).new_device(&mut rng, NOW);
    (device, rng)
}

/// Alice and Bob mid-conversation. Alice started a session with Bob's bundle (using its first
/// one-time prekey) and sent four messages; Bob received the first and the third (so the
/// second's key is stored as skipped) and replied once. Bob did so twice, from the same
/// state: once with a [`Session`], once through his [`SessionBook`].
struct Conversation {
    alice: Device,
    alice_rng: ChaCha20Rng,
    to_bob: Session,
    /// What Alice sent, in order; all still carry the handshake.
    sent: Vec<Vec<u8>>,
    /// Bob's session with Alice.
    session: Session,
    /// Bob's device after his book accepted Alice's first message.
    bob: Device,
    book: SessionBook,
    /// Bob's reply, the same from his session and from his book.
    reply: Vec<u8>,
}

fn conversation() -> Conversation {
    let mut bob = responder().device;
    let mut alice_rng = rng(INITIATOR);
    let alice = Account::generate(&mut alice_rng).new_device(&mut alice_rng, NOW);
    let mut to_bob = Session::initiate(&mut alice_rng, &alice, &bob.prekey_bundle())
        .expect("Alice starts a session with Bob");
    let sent: Vec<Vec<u8>> = [&b"one"[..], b"two", b"three", b"four"]
        .into_iter()
        .map(|plaintext| {
            to_bob
                .encrypt(&mut alice_rng, plaintext)
                .expect("Alice encrypts")
        })
        .collect();

    let (mut session, _) =
        Session::accept(&mut responder().device, &sent[0]).expect("Bob accepts Alice's session");
    session
        .decrypt(&sent[2])
        .expect("Bob decrypts Alice's third message");
    let reply = session
        .encrypt(&mut rng(RESPONDER_SESSION), b"reply")
        .expect("Bob replies");

    let mut book = SessionBook::new();
    for envelope in [&sent[0], &sent[2]] {
        book.decrypt(&mut bob, alice.address(), envelope)
            .expect("Bob's book decrypts Alice's message");
    }
    let book_reply = book
        .encrypt_for_account(
            &mut rng(RESPONDER_SESSION),
            &bob,
            alice.address().account,
            b"reply",
        )
        .expect("Bob's book replies")
        .pop()
        .expect("Bob's reply has one envelope")
        .envelope;
    assert!(
        book_reply == reply,
        "Bob's book and Bob's session went different ways"
    );
    Conversation {
        alice,
        alice_rng,
        to_bob,
        sent,
        session,
        bob,
        book,
        reply,
    }
}

/// One file of the seed corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// The target, one of the names in [`TARGETS`].
    pub target: &'static str,
    /// The file name within `fuzz/corpus/<target>/`; every seed's starts with `seed-`.
    pub name: &'static str,
    /// The input.
    pub data: Vec<u8>,
}

/// The seed corpus: valid inputs for each target's fixture (bundles, certificates, initial
/// and ratchet messages, sealed snapshots and their states, content and payloads, room
/// messages and control payloads, file streams, call frames), and a few that must be refused
/// (truncated, altered, misdirected). Deterministic: the same bytes on every call.
pub fn seed_corpus() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut add = |target, name, data: Vec<u8>| seeds.push(Seed { target, name, data });

    let Responder {
        account: bob_account,
        device: fresh_bob,
        first_bundle,
    } = responder();
    let bundle = fresh_bob.prekey_bundle();
    let prekey_ids: Vec<u32> = bundle.one_time_prekey_ids().collect();
    let full = bundle.to_bytes();
    add("prekey_bundle", "seed-full", full.clone());
    add(
        "prekey_bundle",
        "seed-one-prekey",
        subset(&bundle, prekey_ids[1]).to_bytes(),
    );
    add(
        "prekey_bundle",
        "seed-no-prekeys",
        bundle.without_one_time_prekeys().to_bytes(),
    );
    add(
        "prekey_bundle",
        "seed-first-signed-prekey",
        first_bundle.to_bytes(),
    );
    add("prekey_bundle", "seed-truncated", truncated(&full));
    add("prekey_bundle", "seed-bad-signature", flipped(&full));

    let mut conversation = conversation();
    let (carol, mut carol_rng) = stranger();
    let bob_certificate = fresh_bob.certificate().to_bytes();
    add("certificate", "seed-responder", bob_certificate.clone());
    add(
        "certificate",
        "seed-initiator",
        conversation.alice.certificate().to_bytes(),
    );
    add(
        "certificate",
        "seed-stranger",
        carol.certificate().to_bytes(),
    );
    add("certificate", "seed-truncated", truncated(&bob_certificate));
    add(
        "certificate",
        "seed-bad-signature",
        flipped(&bob_certificate),
    );

    // Carol's first messages to Bob, from the bundles a directory hands out.
    let mut first_message = |bundle: &PreKeyBundle, count: usize| {
        let mut session =
            Session::initiate(&mut carol_rng, &carol, bundle).expect("Carol starts a session");
        (0..count)
            .map(|_| {
                session
                    .encrypt(&mut carol_rng, b"hello Bob")
                    .expect("Carol encrypts")
            })
            .collect::<Vec<_>>()
    };
    let with_prekey = first_message(&subset(&bundle, prekey_ids[1]), 2);
    let without_prekey = first_message(&bundle.without_one_time_prekeys(), 1);
    let old_signed_prekey = first_message(&subset(&first_bundle, prekey_ids[2]), 1);
    let alice_sent = conversation.sent.clone();
    add(
        "initial_message",
        "seed-one-time-prekey",
        with_prekey[0].clone(),
    );
    add(
        "initial_message",
        "seed-second-message",
        with_prekey[1].clone(),
    );
    add(
        "initial_message",
        "seed-no-one-time-prekey",
        without_prekey[0].clone(),
    );
    add(
        "initial_message",
        "seed-previous-signed-prekey",
        old_signed_prekey[0].clone(),
    );
    add(
        "initial_message",
        "seed-conversation",
        alice_sent[0].clone(),
    );
    add(
        "initial_message",
        "seed-truncated",
        truncated(&with_prekey[0]),
    );
    add("initial_message", "seed-bad-tag", flipped(&with_prekey[0]));

    // Alice reads Bob's reply, so her next messages start a new chain and drop the handshake.
    let to_bob = &mut conversation.to_bob;
    to_bob
        .decrypt(&conversation.reply)
        .expect("Alice decrypts Bob's reply");
    let new_chain: Vec<Vec<u8>> = [&b"five"[..], b"six"]
        .into_iter()
        .map(|plaintext| {
            to_bob
                .encrypt(&mut conversation.alice_rng, plaintext)
                .expect("Alice encrypts")
        })
        .collect();
    add("ratchet_message", "seed-skipped", alice_sent[1].clone());
    add("ratchet_message", "seed-in-order", alice_sent[3].clone());
    add("ratchet_message", "seed-new-chain", new_chain[0].clone());
    add(
        "ratchet_message",
        "seed-new-chain-second",
        new_chain[1].clone(),
    );
    add("ratchet_message", "seed-replay", alice_sent[2].clone());
    add(
        "ratchet_message",
        "seed-replay-initial",
        alice_sent[0].clone(),
    );
    add(
        "ratchet_message",
        "seed-own-reply",
        conversation.reply.clone(),
    );
    add(
        "ratchet_message",
        "seed-truncated",
        truncated(&new_chain[0]),
    );
    add("ratchet_message", "seed-bad-tag", flipped(&new_chain[0]));

    // Alice starts over (say, after losing her state) with another one-time prekey.
    let restart = {
        let mut session = Session::initiate(
            &mut conversation.alice_rng,
            &conversation.alice,
            &subset(&bundle, prekey_ids[2]),
        )
        .expect("Alice starts a second session");
        session
            .encrypt(&mut conversation.alice_rng, b"again")
            .expect("Alice encrypts")
    };
    let from_alice = |envelope: &[u8]| [&[0u8][..], envelope].concat();
    let from_carol = |envelope: &[u8]| [&[1u8][..], envelope].concat();
    add("session_book", "seed-skipped", from_alice(&alice_sent[1]));
    add("session_book", "seed-new-chain", from_alice(&new_chain[0]));
    add("session_book", "seed-replay", from_alice(&alice_sent[2]));
    add("session_book", "seed-new-session", from_alice(&restart));
    add("session_book", "seed-stranger", from_carol(&with_prekey[0]));
    add(
        "session_book",
        "seed-stranger-no-one-time-prekey",
        from_carol(&without_prekey[0]),
    );
    add(
        "session_book",
        "seed-sender-mismatch",
        from_alice(&without_prekey[0]),
    );
    add(
        "session_book",
        "seed-unknown-sender",
        from_carol(&new_chain[0]),
    );

    let account = bob_account.sealed();
    let device = fresh_bob.sealed();
    let book = conversation.book.sealed();
    let session = conversation.session.sealed();
    let rooms = rooms::seeds(&mut add);
    let [room, room_left] = &rooms.sealed;
    let mut wrong_kind = session.clone();
    wrong_kind[MAGIC.len() + 1] = Kind::Account as u8;
    add("snapshot", "seed-account", account.clone());
    add("snapshot", "seed-device", device.clone());
    add("snapshot", "seed-session", session.clone());
    add("snapshot", "seed-session-book", book.clone());
    add("snapshot", "seed-room", room.clone());
    add("snapshot", "seed-room-left", room_left.clone());
    add("snapshot", "seed-wrong-kind", wrong_kind);
    add("snapshot", "seed-truncated", truncated(&session));
    add("snapshot", "seed-bad-tag", flipped(&session));

    add("snapshot_state", "seed-account", state(&account));
    add("snapshot_state", "seed-device", state(&device));
    add("snapshot_state", "seed-session", state(&session));
    add("snapshot_state", "seed-session-book", state(&book));
    add("snapshot_state", "seed-room", state(room));
    add("snapshot_state", "seed-room-left", state(room_left));
    add(
        "snapshot_state",
        "seed-truncated",
        truncated(&state(&device)),
    );

    contents::seeds(
        &mut add,
        [
            ("seed-room-update", rooms.update),
            ("seed-sender-key", rooms.key),
        ],
    );
    files::seeds(&mut add);
    calls::seeds(&mut add);
    organization::seeds(&mut add);
    retention::seeds(&mut add);
    seeds
}

fn subset(bundle: &PreKeyBundle, id: u32) -> PreKeyBundle {
    bundle
        .with_one_time_prekey(id)
        .expect("the bundle holds the one-time prekey")
}

/// The first half.
fn truncated(data: &[u8]) -> Vec<u8> {
    data[..data.len() / 2].to_vec()
}

/// The last bit flipped: in a signature or an AEAD tag.
fn flipped(data: &[u8]) -> Vec<u8> {
    let mut data = data.to_vec();
    if let Some(last) = data.last_mut() {
        *last ^= 1;
    }
    data
}

/// The state inside a snapshot sealed under [`SNAPSHOT_KEY`].
fn state(sealed: &[u8]) -> Vec<u8> {
    let header_len = MAGIC.len() + 2;
    let (header, rest) = sealed.split_at(header_len);
    let (nonce, body) = rest.split_at(aead::NONCE_LEN);
    let nonce: [u8; aead::NONCE_LEN] = nonce.try_into().expect("a nonce is 12 bytes");
    aead::open(&SNAPSHOT_KEY, &nonce, header, body).expect("the fixture's snapshot opens")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the target's decoder accepts the input (rather than only: does not panic).
    fn accepted(target: &str, data: &[u8]) -> bool {
        let fixtures = fixtures();
        let opens = |sealed: &[u8]| {
            Account::open_fixed(sealed).is_ok()
                || Device::open_fixed(sealed).is_ok()
                || Session::open_fixed(sealed).is_ok()
                || SessionBook::open_fixed(sealed).is_ok()
                || Room::open_fixed(sealed).is_ok()
        };
        match target {
            "prekey_bundle" => PreKeyBundle::from_bytes(data).is_ok(),
            "certificate" => DeviceCertificate::from_bytes(data).is_ok(),
            "initial_message" => {
                Session::accept(&mut open_fixture(&fixtures.responder), data).is_ok()
            }
            "ratchet_message" => open_fixture::<Session>(&fixtures.session)
                .decrypt(data)
                .is_ok(),
            "session_book" => {
                let (sender, envelope) = data.split_first().unwrap();
                let from = [fixtures.alice, fixtures.stranger][usize::from(sender % 2)];
                open_fixture::<SessionBook>(&fixtures.book)
                    .decrypt(&mut open_fixture(&fixtures.bob), from, envelope)
                    .is_ok()
            }
            "snapshot" => opens(data),
            "snapshot_state" => [
                Kind::Account,
                Kind::Device,
                Kind::Session,
                Kind::SessionBook,
                Kind::Room,
            ]
            .into_iter()
            .any(|kind| opens(&seal_state(kind, data))),
            "content" => crate::content::Content::decode(data).is_ok(),
            "payload" => crate::payload::Payload::decode(data).is_ok(),
            "room_message" => rooms::tests::accepted_message(data),
            "room_control" => rooms::tests::accepted_control(data),
            "file_stream" => files::tests::accepted(data),
            "sframe" => calls::tests::accepted(data),
            "policy" | "federation" | "atak" | "devices" => {
                organization::tests::accepted(target, data)
            }
            "retention" => retention::tests::accepted(data),
            other => panic!("no target {other}"),
        }
    }

    #[test]
    fn valid_seeds_are_accepted_by_the_fixtures_and_broken_ones_refused() {
        let refused = [
            "seed-truncated",
            "seed-bad-signature",
            "seed-bad-tag",
            "seed-replay",
            "seed-replay-initial",
            "seed-own-reply",
            "seed-wrong-kind",
            "seed-sender-mismatch",
            "seed-unknown-sender",
            "seed-out-of-range",
            "seed-empty",
            "seed-replay-first",
            "seed-own-message",
            "seed-missing-sender-key",
            "seed-unknown-chain",
            "seed-stale-update",
            "seed-update-from-non-member",
            "seed-key-from-non-member",
            "seed-own-key",
            "seed-other-room",
            "seed-other-room-key",
            "seed-content",
            "seed-other-key",
            "seed-swapped-chunks",
            "seed-repeated-chunk",
            "seed-trailing-data",
            "seed-final-chunk-dropped",
            "seed-spliced-chunk",
            "seed-previous-epoch-expired",
            "seed-own-slot",
            "seed-next-epoch",
            "seed-old-epoch",
            "seed-wrong-metadata",
            "seed-wrong-suite",
        ];
        let seeds = seed_corpus();
        for (target, _) in TARGETS {
            assert!(seeds.iter().any(|seed| seed.target == *target), "{target}");
        }
        for seed in seeds {
            assert_eq!(
                accepted(seed.target, &seed.data),
                !refused.contains(&seed.name)
                    && !organization::tests::REFUSED.contains(&seed.name)
                    && !retention::tests::REFUSED.contains(&seed.name),
                "{}/{}",
                seed.target,
                seed.name
            );
        }
    }

    #[test]
    fn the_seed_corpus_is_deterministic() {
        assert_eq!(seed_corpus(), seed_corpus());
    }

    #[test]
    fn edge_inputs_do_not_panic() {
        for (_, entry) in TARGETS {
            for input in [&[][..], &[0], &[0xff; 64], &MAGIC] {
                entry(input);
            }
        }
    }
}
