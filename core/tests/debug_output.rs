//! `Debug` cannot leak (STYLE.md 6): the `Debug` output of every secret-bearing public type,
//! and the `Display` and `Debug` output of errors from real failures, show no key bytes.
//!
//! The test knows every secret a value holds: it either made the value from known bytes, or
//! read the secrets back out of the value's sealed snapshot (whose layout docs/PROTOCOL.md
//! section 7 gives). It looks for each secret in hex (either case), as a decimal or hex byte
//! list and in base64, each also for any part of the secret. Independently of the known
//! secrets, no output may hold a run of more than 16 hex digits (public keys print their first
//! four bytes) other than an account id, which is public and prints all 16 bytes. A control
//! test makes sure the checks do catch each of those encodings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core::fmt::{Debug, Display};

use ember_core::crypto::dh::PrivateKey;
use ember_core::crypto::sign::SigningKey;
use ember_core::crypto::{Secret32, aead};
use ember_core::error::{AcceptError, BookError, DecryptError, SnapshotError};
use ember_core::identity::{Account, Device, DeviceCertificate};
use ember_core::prekeys::PreKeyBundle;
use ember_core::session::{Session, SessionBook};
use ember_core::snapshot::SnapshotKey;
use ember_core::{AccountId, Timestamp};
use ember_proto::v1 as proto;
use prost::Message;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: Timestamp = Timestamp(1_700_000_000);
/// The snapshot key of this test; every snapshot it seals, it can also read.
const SNAPSHOT_KEY: [u8; 32] = [0x5A; 32];
/// A secret of one repeated byte, the easiest to spot.
const REPEATED: [u8; 32] = [0xA5; 32];
/// Longest run of hex digits allowed other than an account id.
const MAX_HEX_RUN: usize = 16;

/// A secret of 32 distinct bytes, so that every part of it is distinctive.
fn distinct(start: u8) -> [u8; 32] {
    core::array::from_fn(|i| start.wrapping_add((i as u8).wrapping_mul(37)))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn snapshot_key() -> SnapshotKey {
    SnapshotKey::from_bytes(&mut SNAPSHOT_KEY.clone())
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// What the output of a value must not show, and the public long hex it may.
#[derive(Default)]
struct Known {
    secrets: Vec<Vec<u8>>,
    /// Account ids, in the lowercase hex their `Debug` prints.
    public_hex: Vec<String>,
}

impl Known {
    fn secret(mut self, secret: &[u8]) -> Self {
        assert_eq!(secret.len(), 32, "every secret of Ember is 32 bytes");
        self.secrets.push(secret.to_vec());
        self
    }

    fn secrets(self, secrets: impl IntoIterator<Item = Vec<u8>>) -> Self {
        secrets
            .into_iter()
            .fold(self, |known, secret| known.secret(&secret))
    }

    fn account(mut self, id: AccountId) -> Self {
        self.public_hex.push(hex::encode(id.as_bytes()));
        self
    }
}

fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &byte)| n | u32::from(byte) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The ways a secret (or any large enough part of it) could show up in text, written without
/// whitespace so that pretty-printed lists match too.
fn encodings(secret: &[u8]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for part in secret.windows(6) {
        out.push(("hex", hex::encode(part)));
        out.push(("HEX", hex::encode_upper(part)));
    }
    let list = |part: &[u8], item: fn(u8) -> String| {
        part.iter()
            .map(|&byte| item(byte))
            .collect::<Vec<_>>()
            .join(",")
    };
    for part in secret.windows(4) {
        out.push(("decimal list", list(part, |b| format!("{b}"))));
        out.push(("hex list", list(part, |b| format!("{b:x}"))));
        out.push(("HEX list", list(part, |b| format!("{b:X}"))));
        out.push(("hex list", list(part, |b| format!("{b:02x}"))));
        out.push(("HEX list", list(part, |b| format!("{b:02X}"))));
        out.push(("0x list", list(part, |b| format!("{b:#x}"))));
        out.push(("0X list", list(part, |b| format!("{b:#X}"))));
        out.push(("0x list", list(part, |b| format!("{b:#04x}"))));
        out.push(("0X list", list(part, |b| format!("{b:#04X}"))));
    }
    // A base64 text of any 11 or more consecutive bytes holds the encoding of a 9-byte part.
    for part in secret.windows(9) {
        out.push(("base64", base64(part, BASE64)));
        out.push(("base64url", base64(part, BASE64_URL)));
    }
    out
}

/// Everything wrong with `text`: secrets in any encoding, and long hex that is not public.
fn leaks(text: &str, known: &Known) -> Vec<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found = Vec::new();
    for secret in &known.secrets {
        for (kind, encoding) in encodings(secret) {
            if compact.contains(&encoding) {
                found.push(format!("secret as {kind}: {encoding}"));
            }
        }
    }
    for run in text.split(|c: char| !c.is_ascii_hexdigit()) {
        if run.len() > MAX_HEX_RUN && !known.public_hex.contains(&run.to_ascii_lowercase()) {
            found.push(format!("{} hex digits: {run}", run.len()));
        }
    }
    found
}

fn assert_clean(what: &str, text: &str, known: &Known) {
    assert!(!text.trim().is_empty(), "{what} prints nothing");
    let found = leaks(text, known);
    assert!(found.is_empty(), "{what} shows {found:?} in {text}");
}

/// `{:?}` and `{:#?}` name the type and show none of the secrets.
fn assert_debug_hides(type_name: &str, value: &impl Debug, known: &Known) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(
            text.contains(type_name),
            "Debug of {type_name} does not name it: {text}"
        );
        assert_clean(type_name, &text, known);
    }
}

/// `{}`, `{:?}` and `{:#?}` of an error show none of the secrets and no long hex.
fn assert_error_hides(error: &(impl Display + Debug), known: &Known) {
    for text in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert_clean("error", &text, known);
    }
}

// ---------------------------------------------------------------------------------------------
// Reading secrets back out of snapshots
// ---------------------------------------------------------------------------------------------

/// Opens a sealed snapshot by hand: `"EMBS" || format || kind || nonce (12 bytes) ||
/// AES-256-GCM(state)` with the first six bytes as associated data.
fn unseal<M: Message + Default>(sealed: &[u8]) -> M {
    let (header, rest) = sealed.split_at(6);
    let (nonce, body) = rest.split_at(aead::NONCE_LEN);
    let state = aead::open(&SNAPSHOT_KEY, nonce.try_into().unwrap(), header, body).unwrap();
    M::decode(state.as_slice()).unwrap()
}

/// Seals a state by hand, the inverse of [`unseal`].
fn seal_by_hand(kind: u8, state: &impl Message) -> Vec<u8> {
    let header = [b'E', b'M', b'B', b'S', 1, kind];
    let nonce = [7u8; aead::NONCE_LEN];
    let body = aead::seal(&SNAPSHOT_KEY, &nonce, &header, &state.encode_to_vec()).unwrap();
    [&header[..], &nonce, &body].concat()
}

fn account_secrets(account: &Account) -> Vec<Vec<u8>> {
    let state: proto::AccountState = unseal(&account.seal(&snapshot_key(), &mut rng(0)).unwrap());
    [state.root_key.clone(), state.recovery_key.clone()]
        .into_iter()
        .filter(|secret| !secret.is_empty())
        .collect()
}

fn device_secrets(device: &Device) -> Vec<Vec<u8>> {
    let state: proto::DeviceState = unseal(&device.seal(&snapshot_key(), &mut rng(0)).unwrap());
    let mut secrets = vec![state.signing_key.clone(), state.agreement_key.clone()];
    secrets.extend(
        state
            .signed_prekeys
            .iter()
            .map(|prekey| prekey.secret.clone()),
    );
    secrets.extend(
        state
            .one_time_prekeys
            .iter()
            .map(|prekey| prekey.secret.clone()),
    );
    secrets
}

fn session_state_secrets(state: &proto::SessionState) -> Vec<Vec<u8>> {
    let mut secrets = vec![state.root_key.clone(), state.ratchet_secret.clone()];
    secrets.extend(state.sending.iter().map(|chain| chain.chain_key.clone()));
    secrets.extend(state.receiving.iter().map(|chain| chain.chain_key.clone()));
    secrets.extend(
        state
            .skipped
            .iter()
            .map(|skipped| skipped.message_key.clone()),
    );
    secrets
}

fn session_secrets(session: &Session) -> Vec<Vec<u8>> {
    session_state_secrets(&unseal(
        &session.seal(&snapshot_key(), &mut rng(0)).unwrap(),
    ))
}

fn book_secrets(book: &SessionBook) -> Vec<Vec<u8>> {
    let state: proto::SessionBookState = unseal(&book.seal(&snapshot_key(), &mut rng(0)).unwrap());
    state
        .entries
        .iter()
        .flat_map(|entry| entry.current.iter().chain(&entry.previous))
        .flat_map(session_state_secrets)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// An account whose root key is `root`, made by opening a snapshot sealed by hand (one of
/// before recovery keys, which holds none).
fn account_with_root(root: [u8; 32]) -> Account {
    let state = proto::AccountState {
        format: 1,
        account_id: vec![0x11; 16],
        root_key: root.to_vec(),
        next_device_id: 1,
        recovery_key: Vec::new(),
    };
    Account::open(&snapshot_key(), &seal_by_hand(1, &state)).unwrap()
}

/// A device with rotated signed prekeys and one-time prekeys.
fn device(account: &mut Account, rng: &mut ChaCha20Rng) -> Device {
    let mut device = account.new_device(rng, NOW);
    device.rotate_signed_prekey(rng, NOW);
    device.generate_one_time_prekeys(rng, 3);
    device
}

fn bundle(device: &Device) -> PreKeyBundle {
    PreKeyBundle::from_bytes(&device.prekey_bundle().to_bytes()).unwrap()
}

/// Two devices of different accounts with a session each way that has receiving chains,
/// a sending chain and skipped keys; and the undelivered and delivered messages.
struct Pair {
    alice: Device,
    bob: Device,
    alice_id: AccountId,
    bob_id: AccountId,
    to_bob: Session,
    to_alice: Session,
    /// Delivered to Bob.
    delivered: Vec<u8>,
    /// Not delivered to Bob: his session holds its skipped key.
    undelivered: Vec<u8>,
}

fn pair() -> Pair {
    let mut rng = rng(1);
    let mut alice_account = Account::generate(&mut rng);
    let mut bob_account = Account::generate(&mut rng);
    let alice = device(&mut alice_account, &mut rng);
    let mut bob = device(&mut bob_account, &mut rng);
    let mut to_bob = Session::initiate(&mut rng, &alice, &bundle(&bob)).unwrap();
    let first = to_bob.encrypt(&mut rng, b"first").unwrap();
    let (mut to_alice, _) = Session::accept(&mut bob, &first).unwrap();
    let reply = to_alice.encrypt(&mut rng, b"reply").unwrap();
    to_bob.decrypt(&reply).unwrap();
    let undelivered = to_bob.encrypt(&mut rng, b"skipped").unwrap();
    let delivered = to_bob.encrypt(&mut rng, b"delivered").unwrap();
    to_alice.decrypt(&delivered).unwrap();
    to_alice.encrypt(&mut rng, b"pending").unwrap();
    Pair {
        alice,
        bob,
        alice_id: alice_account.id(),
        bob_id: bob_account.id(),
        to_bob,
        to_alice,
        delivered,
        undelivered,
    }
}

impl Pair {
    /// Everything secret about both sides, and both account ids.
    fn known(&self) -> Known {
        Known::default()
            .secrets(device_secrets(&self.alice))
            .secrets(device_secrets(&self.bob))
            .secrets(session_secrets(&self.to_bob))
            .secrets(session_secrets(&self.to_alice))
            .account(self.alice_id)
            .account(self.bob_id)
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn the_checks_catch_every_encoding() {
    let known = Known::default().secret(&REPEATED).secret(&distinct(1));
    let secret = distinct(1);
    let middle = &secret[10..22];
    for text in [
        format!("{REPEATED:?}"),
        format!("{:#?}", &secret[3..9]),
        format!("{middle:x?}"),
        format!("{middle:#X?}"),
        format!("{middle:#04x?}"),
        hex::encode(middle),
        hex::encode_upper(&secret[20..]),
        base64(&secret[5..17], BASE64),
        base64(&secret[1..], BASE64_URL),
        format!("Key({})", "0123456789abcdef0"),
    ] {
        assert!(!leaks(&text, &known).is_empty(), "missed {text}");
    }
    let id = AccountId::from_bytes([0xEE; 16]);
    assert!(!leaks(&format!("{id:?}"), &Known::default()).is_empty());
    assert!(leaks(&format!("{id:?}"), &Known::default().account(id)).is_empty());
    assert!(leaks("PublicKey(a5a5a5a5..)", &known).is_empty());
}

#[test]
fn secret32_and_snapshot_key() {
    for bytes in [REPEATED, distinct(2)] {
        let known = Known::default().secret(&bytes);
        assert_debug_hides("Secret32", &Secret32::from_slice(&bytes).unwrap(), &known);
        assert_debug_hides(
            "SnapshotKey",
            &SnapshotKey::from_bytes(&mut bytes.clone()),
            &known,
        );
        assert_debug_hides(
            "SnapshotKey",
            &SnapshotKey::from_slice(&bytes).unwrap(),
            &known,
        );
    }
}

#[test]
fn private_and_signing_keys() {
    for bytes in [REPEATED, distinct(3)] {
        let secret = Secret32::from_slice(&bytes).unwrap();
        let private = PrivateKey::from_secret(&secret);
        let known = Known::default()
            .secret(&bytes)
            .secret(private.to_secret().expose());
        assert_debug_hides("PrivateKey", &private, &known);
        let signing = SigningKey::from_secret(&secret);
        let known = Known::default()
            .secret(&bytes)
            .secret(signing.to_secret().expose());
        assert_debug_hides("SigningKey", &signing, &known);
    }
}

#[test]
fn accounts() {
    for root in [REPEATED, distinct(4)] {
        let account = account_with_root(root);
        assert_eq!(account_secrets(&account), [root.to_vec()]);
        let known = Known::default().secret(&root).account(account.id());
        assert_debug_hides("Account", &account, &known);
    }
    let account = Account::generate(&mut rng(2));
    let known = Known::default()
        .secrets(account_secrets(&account))
        .account(account.id());
    assert_debug_hides("Account", &account, &known);
}

#[test]
fn device_keys_and_devices() {
    let mut rng = rng(3);
    let mut account = account_with_root(distinct(5));
    let keys = Device::generate_keys(&mut rng);
    let shown = [format!("{keys:?}"), format!("{keys:#?}")];
    let certificate = account.certify_device(&keys.public_keys(), NOW);
    let mut device = Device::new(keys, certificate, &mut rng, NOW).unwrap();
    // The keys' secrets are the device's identity keys, now readable from its snapshot.
    let identity = device_secrets(&device)[..2].to_vec();
    let known = Known::default().secrets(identity).account(account.id());
    for text in &shown {
        assert!(text.contains("DeviceKeys"), "{text}");
        assert_clean("DeviceKeys", text, &known);
    }

    device.rotate_signed_prekey(&mut rng, NOW);
    device.rotate_signed_prekey(&mut rng, NOW);
    device.generate_one_time_prekeys(&mut rng, 5);
    let secrets = device_secrets(&device);
    assert_eq!(secrets.len(), 2 + 3 + 5);
    let known = Known::default()
        .secrets(secrets)
        .secret(&distinct(5))
        .account(account.id());
    assert_debug_hides("Device", &device, &known);
}

#[test]
fn sessions() {
    let pair = pair();
    let known = pair.known();
    for session in [&pair.to_bob, &pair.to_alice] {
        assert!(session_secrets(session).len() >= 4);
        assert_debug_hides("Session", session, &known);
    }
    let mut book = SessionBook::new();
    let mut bob = pair.bob;
    let mut rng = rng(4);
    book.start(&mut rng, &bob, &bundle(&pair.alice)).unwrap();
    let _ = book.encrypt_for_account(&mut rng, &bob, pair.alice_id, b"hello");
    let known = known.secrets(book_secrets(&book));
    let text = format!("{book:?}");
    assert!(text.contains("Session"), "{text}");
    for text in [text, format!("{book:#?}")] {
        assert_clean("SessionBook", &text, &known);
    }
    // Through the book's decrypt too.
    let _ = book.decrypt(&mut bob, pair.alice.address(), &pair.delivered);
    assert_clean("SessionBook", &format!("{book:#?}"), &known);
}

/// `SessionBook` names itself and its sessions without printing any key.
#[test]
fn session_book_debug_names_its_type() {
    let pair = pair();
    let known = pair.known();
    let mut book = SessionBook::new();
    assert_debug_hides("SessionBook", &book, &known);
    book.start(&mut rng(5), &pair.bob, &bundle(&pair.alice))
        .unwrap();
    assert_debug_hides("SessionBook", &book, &known);
}

#[test]
fn errors_from_real_failures() {
    let Pair {
        alice,
        mut bob,
        alice_id,
        bob_id,
        mut to_bob,
        mut to_alice,
        delivered,
        undelivered,
    } = pair();
    let mut known = Known::default()
        .secrets(device_secrets(&alice))
        .secrets(device_secrets(&bob))
        .secrets(session_secrets(&to_bob))
        .secrets(session_secrets(&to_alice))
        .account(alice_id)
        .account(bob_id);
    let mut rng = rng(6);
    let mut checked = 0;
    let mut check = |error: &dyn ErrorText| {
        error.check(&known);
        checked += 1;
    };

    // DecryptError: a flipped tag bit, a duplicate, a gap, garbage.
    let mut tampered = undelivered.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let error = to_alice.decrypt(&tampered).unwrap_err();
    assert_eq!(error, DecryptError::BadTag);
    check(&error);
    let error = to_alice.decrypt(&delivered).unwrap_err();
    assert!(matches!(error, DecryptError::Duplicate { .. }));
    check(&error);
    let mut envelope = proto::Envelope::decode(delivered.as_slice()).unwrap();
    let Some(proto::envelope::Body::Ratchet(message)) = envelope.body.as_mut() else {
        panic!("a follow-up message is a ratchet message");
    };
    message.counter = 100_000;
    let error = to_alice.decrypt(&envelope.encode_to_vec()).unwrap_err();
    assert!(matches!(error, DecryptError::GapTooLarge { .. }));
    check(&error);
    let error = to_alice.decrypt(&[0xff; 40]).unwrap_err();
    assert!(matches!(error, DecryptError::Decode(_)));
    check(&error);

    // AcceptError: a follow-up message, a tampered and a replayed initial message, a
    // certificate that does not verify.
    let error = Session::accept(&mut bob, &delivered).unwrap_err();
    assert_eq!(error, AcceptError::NotInitial);
    check(&error);
    let mut carol = Account::generate(&mut rng).new_device(&mut rng, NOW);
    carol.generate_one_time_prekeys(&mut rng, 1);
    let mut to_carol = Session::initiate(&mut rng, &alice, &bundle(&carol)).unwrap();
    let initial = to_carol.encrypt(&mut rng, b"hi Carol").unwrap();
    let mut tampered = initial.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let error = Session::accept(&mut carol, &tampered).unwrap_err();
    assert_eq!(error, AcceptError::Decrypt(DecryptError::BadTag));
    check(&error);
    let (to_alice_from_carol, _) = Session::accept(&mut carol, &initial).unwrap();
    let error = Session::accept(&mut carol, &initial).unwrap_err();
    assert!(matches!(error, AcceptError::UnknownOneTimePreKey { .. }));
    check(&error);
    let mut envelope = proto::Envelope::decode(initial.as_slice()).unwrap();
    let Some(proto::envelope::Body::Initial(message)) = envelope.body.as_mut() else {
        panic!("the first message carries the handshake");
    };
    let certificate = message.initiator.as_mut().unwrap();
    *certificate.signature.last_mut().unwrap() ^= 1;
    let error = Session::accept(&mut carol, &envelope.encode_to_vec()).unwrap_err();
    assert!(matches!(error, AcceptError::Certificate(_)));
    check(&error);

    // BookError, BundleError and CertificateError.
    let mut book = SessionBook::new();
    let error = book
        .decrypt(&mut bob, alice.address(), &delivered)
        .unwrap_err();
    assert_eq!(error, BookError::UnknownSender);
    check(&error);
    let error = book
        .encrypt_for_account(&mut rng, &bob, alice_id, b"x")
        .unwrap_err();
    assert_eq!(error, BookError::NoSession);
    check(&error);
    let mut bundle_bytes = bob.prekey_bundle().to_bytes();
    let at = bundle_bytes.len() - 1;
    bundle_bytes[at] ^= 1;
    check(&PreKeyBundle::from_bytes(&bundle_bytes).unwrap_err());
    let mut certificate = alice.certificate().to_bytes();
    let at = certificate.len() - 1;
    certificate[at] ^= 1;
    check(&DeviceCertificate::from_bytes(&certificate).unwrap_err());

    // SnapshotError: the wrong key, the wrong kind, cut short, not a snapshot.
    known = known
        .secrets(session_secrets(&to_alice_from_carol))
        .secret(&SNAPSHOT_KEY)
        .secret(&[0x5B; 32]);
    let mut check = |error: SnapshotError| {
        error.check(&known);
        checked += 1;
    };
    let sealed = to_bob.seal(&snapshot_key(), &mut rng).unwrap();
    let wrong = SnapshotKey::from_bytes(&mut [0x5B; 32]);
    let error = Session::open(&wrong, &sealed).unwrap_err();
    assert_eq!(error, SnapshotError::BadKeyOrCorrupted);
    check(error);
    let error = Device::open(&snapshot_key(), &sealed).unwrap_err();
    assert!(matches!(error, SnapshotError::WrongKind { .. }));
    check(error);
    let error = Session::open(&snapshot_key(), &sealed[..20]).unwrap_err();
    assert_eq!(error, SnapshotError::BadLength);
    check(error);
    let error = Session::open(&snapshot_key(), &[0x42; 64]).unwrap_err();
    assert_eq!(error, SnapshotError::BadMagic);
    check(error);
    assert_eq!(checked, 16);

    // The sessions still work: the failures changed nothing.
    let reply = to_alice.encrypt(&mut rng, b"fine").unwrap();
    assert_eq!(to_bob.decrypt(&reply).unwrap(), b"fine");
    assert_eq!(to_alice.decrypt(&undelivered).unwrap(), b"skipped");
}

/// Object-safe access to the three renderings of an error.
trait ErrorText {
    fn check(&self, known: &Known);
}

impl<E: Display + Debug> ErrorText for E {
    fn check(&self, known: &Known) {
        assert_error_hides(self, known);
    }
}
