//! The session vector set: session setup and the first messages of a 1:1 conversation.
//!
//! One vector set, [`JSON_FILE`] (version 1, suite 1): Alice's and Bob's accounts and devices
//! built from listed key bytes, Bob's prekey bundle, the X3DH values, the first Double Ratchet
//! step, and four envelopes (Alice, Alice, Bob, Alice), followed by must-fail cases. Another
//! implementation checks itself by rebuilding the same scenario from the `inputs`; this module
//! does the same with Ember's own code:
//!
//! - it builds both devices from the listed bytes and runs the conversation with a
//!   [`ScriptedRng`] that hands out exactly the listed secrets, and fails if a step draws more
//!   or fewer of them than listed;
//! - it derives the X3DH and first ratchet values again from the specification with the bare
//!   primitives and checks them against the session Ember made;
//! - it compares every output with the recorded one, plays the receive side from the recorded
//!   envelope bytes, and checks that every must-fail case fails, with the intended error and
//!   without changing the receiver's state.
//!
//! The markdown, [`MARKDOWN_FILE`], is section "Test vectors" of `docs/PROTOCOL.md`; once that
//! section exists, it must print every input and output.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use ember_proto::v1 as proto;
use serde::{Deserialize, Serialize};

use super::{
    Field, Outputs, Row, ScriptedRng, Value, VectorSet, debug, decode, derived, derived_hex, edit,
    field_rows, flip, output_rows, print_hex, print_rows, sent_bytes, to_value, unhex, unhex32,
};
use crate::crypto::dh::{PrivateKey, PublicKey};
use crate::crypto::sign::SigningKey;
use crate::crypto::{Secret32, aead, kdf};
use crate::domain;
use crate::identity::device::{OneTimePreKeyPair, SignedPreKeyPair};
use crate::identity::{Account, Device, DeviceKeys};
use crate::ids::{ACCOUNT_ID_LEN, AccountId, Timestamp};
use crate::prekeys::{self, PreKeyBundle};
use crate::session::Session;
use crate::session::chain::{self, Header};
use crate::wire::{Suite, VERSION};

/// The vector set, relative to the crate.
const JSON_FILE: &str = "tests/data/kat/session-v1.json";
/// The vectors printed for the specification, relative to the crate.
const MARKDOWN_FILE: &str = "../docs/PROTOCOL-vectors.md";

// Sections of docs/PROTOCOL.md that the values exercise.
const CERTIFICATES: &str = "§2 Identities";
const PREKEYS: &str = "§3 Prekey bundles";
const X3DH: &str = "§4 Session setup";
const RATCHET: &str = "§5 Double Ratchet";
const MESSAGES: &str = "§5 Double Ratchet, sending";
const ENVELOPES: &str = "§6 Envelopes";

// ---------------------------------------------------------------------------------------------
// The file format
// ---------------------------------------------------------------------------------------------

/// The vector set as stored. Fields serialize in declaration order, so the file is stable.
#[derive(Serialize, Deserialize, Debug)]
struct Vectors {
    about: String,
    version: u32,
    suite: u32,
    inputs: Inputs,
    outputs: Vec<Value>,
    must_fail: Vec<MustFail>,
}

/// Everything another implementation needs to rebuild the scenario.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Inputs {
    alice: Party,
    bob: Party,
    session: Setup,
    messages: Vec<MessageInput>,
}

/// One party: an account with one device. Byte strings are hex.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Party {
    account_id: String,
    account_root_seed: String,
    device_id: u32,
    device_signing_seed: String,
    device_agreement_secret: String,
    certificate_created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_prekey: Option<SignedPreKeyInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    one_time_prekey: Option<OneTimePreKeyInput>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct SignedPreKeyInput {
    id: u32,
    secret: String,
    created_at: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct OneTimePreKeyInput {
    id: u32,
    secret: String,
}

/// The two secrets `Session::initiate` draws, in this order.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Setup {
    base_key_secret: String,
    ratchet_secret: String,
}

/// One message of the conversation. `ratchet_secret` is present exactly when the sender starts
/// a new sending chain (its first message after receiving a new ratchet key).
#[derive(Serialize, Deserialize, Debug, Clone)]
struct MessageInput {
    from: Who,
    plaintext: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratchet_secret: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Who {
    Alice,
    Bob,
}

/// An input that must be rejected, and how.
type MustFail = super::MustFail<Check>;

/// What is done with a must-fail input.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(tag = "check", rename_all = "snake_case")]
enum Check {
    /// Decode and verify it as a prekey bundle.
    VerifyBundle,
    /// Deliver it to the receiver of envelope `instead_of_envelope`, just before that envelope.
    Deliver { instead_of_envelope: usize },
}

impl Who {
    const fn name(self) -> &'static str {
        match self {
            Self::Alice => "alice",
            Self::Bob => "bob",
        }
    }

    const fn title(self) -> &'static str {
        match self {
            Self::Alice => "Alice",
            Self::Bob => "Bob",
        }
    }

    const fn peer(self) -> Self {
        match self {
            Self::Alice => Self::Bob,
            Self::Bob => Self::Alice,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario's inputs
// ---------------------------------------------------------------------------------------------

const ABOUT: &str = "Ember known-answer vectors, session setup and first messages (wire version 1, \
suite 1). Rebuild both parties from `inputs` (X25519 secrets are the raw 32 bytes before \
clamping, Ed25519 secrets are RFC 8032 seeds, byte strings are hex, integers are plain), use the \
listed secrets wherever the scenario draws randomness, and compare every `outputs` value. Every \
`must_fail` input must be rejected without changing the receiver's state. docs/PROTOCOL.md \
explains each value.";

/// The inputs: each byte string is SHA-256("ember-kat/" || label), an account id its first 16
/// bytes. Only the resulting bytes are part of the vectors.
fn derived_inputs() -> Inputs {
    let message = |from, plaintext: &str, ratchet: Option<&str>| MessageInput {
        from,
        plaintext: plaintext.to_string(),
        ratchet_secret: ratchet.map(derived_hex),
    };
    Inputs {
        alice: derived_party(Who::Alice, 1_700_000_000),
        bob: Party {
            signed_prekey: Some(SignedPreKeyInput {
                id: 1,
                secret: derived_hex("bob/signed-prekey"),
                created_at: 1_700_000_120,
            }),
            one_time_prekey: Some(OneTimePreKeyInput {
                id: 2,
                secret: derived_hex("bob/one-time-prekey"),
            }),
            ..derived_party(Who::Bob, 1_700_000_060)
        },
        session: Setup {
            base_key_secret: derived_hex("alice/base-key"),
            ratchet_secret: derived_hex("alice/ratchet-key-1"),
        },
        messages: alloc::vec![
            message(Who::Alice, "Hello Bob", None),
            message(Who::Alice, "Second", None),
            message(Who::Bob, "Hi Alice", Some("bob/ratchet-key-1")),
            message(Who::Alice, "Third", Some("alice/ratchet-key-2")),
        ],
    }
}

fn derived_party(who: Who, certificate_created_at: u64) -> Party {
    let name = who.name();
    Party {
        account_id: hex::encode(&derived(&format!("{name}/account-id"))[..ACCOUNT_ID_LEN]),
        account_root_seed: derived_hex(&format!("{name}/account-root")),
        device_id: 1,
        device_signing_seed: derived_hex(&format!("{name}/device-1/signing")),
        device_agreement_secret: derived_hex(&format!("{name}/device-1/agreement")),
        certificate_created_at,
        signed_prekey: None,
        one_time_prekey: None,
    }
}

fn secret(text: &str) -> Secret32 {
    Secret32::from_bytes(&mut unhex32(text))
}

fn private_key(text: &str) -> PrivateKey {
    PrivateKey::from_secret(&secret(text))
}

// ---------------------------------------------------------------------------------------------
// Building the parties
// ---------------------------------------------------------------------------------------------

/// A party's device, built from the listed bytes as `Account::new_device` and the prekey
/// methods would build it from random ones.
fn device(party: &Party) -> Device {
    let mut account = Account {
        id: AccountId::from_bytes(
            unhex(&party.account_id)
                .try_into()
                .unwrap_or_else(|_| panic!("account id is not 16 bytes")),
        ),
        root: SigningKey::from_secret(&secret(&party.account_root_seed)),
        next_device_id: party.device_id,
        recovery: None,
    };
    let keys = DeviceKeys {
        signing: SigningKey::from_secret(&secret(&party.device_signing_seed)),
        agreement: private_key(&party.device_agreement_secret),
    };
    let certificate =
        account.certify_device(&keys.public_keys(), Timestamp(party.certificate_created_at));
    assert_eq!(certificate.device_id().0, party.device_id);
    let DeviceKeys { signing, agreement } = keys;
    let signed_prekey = signed_prekey(
        &signing,
        party
            .signed_prekey
            .as_ref()
            .unwrap_or(&unlisted_signed_prekey(party)),
    );
    let one_time_prekeys = party
        .one_time_prekey
        .iter()
        .map(|prekey| (prekey.id, one_time_prekey(&signing, prekey)))
        .collect();
    let last_id = party.one_time_prekey.as_ref().map_or(0, |prekey| prekey.id);
    Device {
        signing,
        agreement,
        certificate,
        next_prekey_id: last_id.max(signed_prekey.id) + 1,
        signed_prekey,
        previous_signed_prekeys: Vec::new(),
        one_time_prekeys,
    }
}

/// Every device holds a signed prekey; Alice's plays no part in the vectors, so it is not listed.
fn unlisted_signed_prekey(party: &Party) -> SignedPreKeyInput {
    SignedPreKeyInput {
        id: 1,
        secret: derived_hex("unlisted-signed-prekey"),
        created_at: party.certificate_created_at,
    }
}

fn signed_prekey(signing: &SigningKey, input: &SignedPreKeyInput) -> SignedPreKeyPair {
    let key = private_key(&input.secret);
    let created_at = Timestamp(input.created_at);
    let message = prekeys::signed_prekey_message(input.id, created_at, &key.public_key());
    SignedPreKeyPair {
        id: input.id,
        signature: signing.sign(domain::SIGNED_PREKEY, &message),
        key,
        created_at,
    }
}

fn one_time_prekey(signing: &SigningKey, input: &OneTimePreKeyInput) -> OneTimePreKeyPair {
    let key = private_key(&input.secret);
    let message = prekeys::one_time_prekey_message(input.id, &key.public_key());
    OneTimePreKeyPair {
        signature: signing.sign(domain::ONE_TIME_PREKEY, &message),
        key,
    }
}

// ---------------------------------------------------------------------------------------------
// The first key schedule, from the specification
// ---------------------------------------------------------------------------------------------

/// The X3DH values and the first ratchet step of the initiator, derived here with the bare
/// primitives as the specification states them, then checked against Ember's session.
struct FirstKeys {
    base_key: PublicKey,
    dh: [[u8; 32]; 4],
    secret: [u8; 32],
    ratchet_key: PublicKey,
    ratchet_dh: [u8; 32],
    root_key: [u8; 32],
    chain_key: [u8; 32],
    message_key: [u8; 32],
    associated_data: Vec<u8>,
}

impl FirstKeys {
    fn derive(setup: &Setup, alice: &Device, bundle: &PreKeyBundle) -> Self {
        let base = private_key(&setup.base_key_secret);
        let ratchet = private_key(&setup.ratchet_secret);
        let signed_prekey = &bundle.signed_prekey().key;
        let one_time_prekey = &bundle
            .one_time_prekey()
            .unwrap_or_else(|| panic!("the bundle has a one-time prekey"))
            .key;
        let alice_fingerprint = alice.certificate().fingerprint();
        let bob_fingerprint = bundle.certificate().fingerprint();
        let dh = [
            agree(&alice.agreement, signed_prekey),
            agree(&base, bundle.certificate().agreement_key()),
            agree(&base, signed_prekey),
            agree(&base, one_time_prekey),
        ];
        let secret = x3dh_secret(&dh, alice_fingerprint, bob_fingerprint);
        let ratchet_dh = agree(&ratchet, signed_prekey);
        let (root_key, chain_key) = root_step(&secret, &ratchet_dh);
        let ratchet_key = ratchet.public_key();
        let header = [
            ratchet_key.as_bytes().as_slice(),
            &0u32.to_be_bytes(),
            &0u32.to_be_bytes(),
        ];
        Self {
            base_key: base.public_key(),
            dh,
            secret,
            ratchet_key,
            ratchet_dh,
            root_key,
            chain_key,
            message_key: kdf::hmac_sha256(&chain_key, &[0x01]),
            associated_data: [
                domain::MESSAGE,
                &Suite::Classic.id().to_be_bytes(),
                alice_fingerprint,
                bob_fingerprint,
                &header.concat(),
            ]
            .concat(),
        }
    }

    /// The session that `Session::initiate` made holds the same keys.
    fn check_session(&self, session: &Session, alice: &Device, bundle: &PreKeyBundle) {
        let ratchet = &session.ratchet;
        let sending = ratchet.sending.as_ref();
        let sending = sending.unwrap_or_else(|| panic!("the initiator has a sending chain"));
        assert_eq!(session.handshake.base_key, self.base_key, "base key");
        assert_eq!(
            ratchet.ratchet_secret.public_key(),
            self.ratchet_key,
            "ratchet key"
        );
        assert_eq!(ratchet.root_key.0.expose(), &self.root_key, "root key");
        assert_eq!(sending.key.0.expose(), &self.chain_key, "sending chain key");
        let header = Header {
            ratchet_key: self.ratchet_key,
            counter: 0,
            previous_counter: 0,
        };
        let ours = chain::associated_data(
            alice.certificate().fingerprint(),
            bundle.certificate().fingerprint(),
            &header,
        );
        assert_eq!(self.associated_data, ours, "associated data");
    }

    /// The first envelope's ciphertext opens with the message key, the associated data and the
    /// all-zero nonce.
    fn check_first_envelope(&self, envelope: &[u8], plaintext: &str) {
        let envelope = decode::<proto::Envelope>(envelope);
        let ciphertext = &ratchet_message(&envelope).ciphertext;
        let nonce = [0u8; aead::NONCE_LEN];
        let opened = aead::open(&self.message_key, &nonce, &self.associated_data, ciphertext);
        assert_eq!(opened.as_deref(), Ok(plaintext.as_bytes()), "message key 0");
    }

    fn record(&self, out: &mut Outputs) {
        out.push(
            X3DH,
            "alice_base_key_public",
            BASE_KEY,
            self.base_key.as_bytes(),
        );
        for (n, (dh, about)) in self.dh.iter().zip(X3DH_DH).enumerate() {
            out.push(X3DH, format!("x3dh_dh{}", n + 1), about, dh);
        }
        out.push(X3DH, "x3dh_secret", X3DH_SECRET, &self.secret);
        out.push(
            RATCHET,
            "alice_ratchet_public_1",
            RATCHET_KEY,
            self.ratchet_key.as_bytes(),
        );
        out.push(RATCHET, "alice_ratchet_dh_1", RATCHET_DH, &self.ratchet_dh);
        out.push(RATCHET, "alice_root_key_1", ROOT_KEY, &self.root_key);
        out.push(
            RATCHET,
            "alice_sending_chain_key_1",
            CHAIN_KEY,
            &self.chain_key,
        );
        out.push(MESSAGES, "message_key_0", MESSAGE_KEY, &self.message_key);
        out.push(
            MESSAGES,
            "associated_data_0",
            ASSOCIATED_DATA,
            &self.associated_data,
        );
    }
}

const BASE_KEY: &str =
    "EK_A: public key of Alice's base key secret, sent in both initial messages.";
const X3DH_DH: [&str; 4] = [
    "DH1 = X25519(IK_A, SPK_B): Alice's device agreement key with Bob's signed prekey.",
    "DH2 = X25519(EK_A, IK_B): Alice's base key with Bob's device agreement key.",
    "DH3 = X25519(EK_A, SPK_B): Alice's base key with Bob's signed prekey.",
    "DH4 = X25519(EK_A, OPK_B): Alice's base key with Bob's one-time prekey.",
];
const X3DH_SECRET: &str = "SK = HKDF-SHA256(salt = 32 zero bytes, ikm = 32 bytes 0xFF || DH1 || \
DH2 || DH3 || DH4, info = `ember/v1/x3dh\\0` || suite (u32 BE) || Alice's certificate fingerprint \
|| Bob's certificate fingerprint), 32 bytes.";
const RATCHET_KEY: &str = "Public key of Alice's first ratchet secret, in the header of envelopes \
1 and 2.";
const RATCHET_DH: &str = "X25519(Alice's first ratchet key, SPK_B): Bob's signed prekey is his \
first ratchet key.";
const ROOT_KEY: &str = "First 32 bytes of HKDF-SHA256(salt = SK, ikm = alice_ratchet_dh_1, info = \
`ember/v1/root-chain\\0`, 64 bytes): the root key after Alice's first ratchet step.";
const CHAIN_KEY: &str = "Last 32 bytes of the same HKDF output: Alice's first sending chain key.";
const MESSAGE_KEY: &str = "HMAC-SHA256(sending chain key, 0x01): the AES-256-GCM key of envelope \
1 (counter 0), used with the all-zero 12-byte nonce. The next chain key is HMAC-SHA256(chain key, \
0x02).";
const ASSOCIATED_DATA: &str = "AES-256-GCM associated data of envelope 1: `ember/v1/message\\0` || \
suite (u32 BE) || sender's certificate fingerprint || receiver's certificate fingerprint || \
ratchet key || counter (u32 BE) || previous counter (u32 BE).";

fn agree(ours: &PrivateKey, theirs: &PublicKey) -> [u8; 32] {
    let shared = ours.agree(theirs);
    *shared
        .unwrap_or_else(|_| panic!("non-contributory"))
        .expose()
}

fn x3dh_secret(dh: &[[u8; 32]], initiator: &[u8; 32], responder: &[u8; 32]) -> [u8; 32] {
    let ikm: Vec<u8> = core::iter::once(&[0xFF; 32])
        .chain(dh)
        .flatten()
        .copied()
        .collect();
    let suite = Suite::Classic.id().to_be_bytes();
    let info = [domain::X3DH, &suite, initiator, responder].concat();
    let mut secret = [0u8; 32];
    assert!(kdf::hkdf_sha256(&[0u8; 32], &ikm, &info, &mut secret).is_ok());
    secret
}

fn root_step(root_key: &[u8; 32], dh: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let mut okm = [0u8; 64];
    assert!(kdf::hkdf_sha256(root_key, dh, domain::ROOT_CHAIN, &mut okm).is_ok());
    let (root, chain) = okm.split_at(32);
    (unhalf(root), unhalf(chain))
}

fn unhalf(half: &[u8]) -> [u8; 32] {
    half.try_into().unwrap_or_else(|_| panic!("32 bytes"))
}

// ---------------------------------------------------------------------------------------------
// The conversation
// ---------------------------------------------------------------------------------------------

/// Bob's device and both sessions. Alice initiates; Bob's session exists once he accepted.
struct Conversation {
    bob: Device,
    alice_session: Session,
    bob_session: Option<Session>,
}

impl Conversation {
    /// Encrypts the next message, drawing exactly its listed ratchet secret (if any).
    fn send(&mut self, message: &MessageInput) -> Vec<u8> {
        let session = match message.from {
            Who::Alice => &mut self.alice_session,
            Who::Bob => self.bob_session.as_mut().unwrap_or_else(|| {
                panic!("Bob can only send after accepting Alice's first message")
            }),
        };
        let script: Vec<[u8; 32]> = message.ratchet_secret.iter().map(|s| unhex32(s)).collect();
        let sent = ScriptedRng::run(&script, |rng| {
            session.encrypt(rng, message.plaintext.as_bytes())
        });
        sent.unwrap_or_else(|error| panic!("encrypting {:?}: {error:?}", message.plaintext))
    }

    /// Delivers an envelope; Bob's first delivery accepts it as an initial message. Errors come
    /// back in their `Debug` form, as the must-fail cases record them.
    fn receive(&mut self, to: Who, envelope: &[u8]) -> Result<Vec<u8>, String> {
        match (to, &mut self.bob_session) {
            (Who::Alice, _) => self.alice_session.decrypt(envelope).map_err(debug),
            (Who::Bob, Some(session)) => session.decrypt(envelope).map_err(debug),
            (Who::Bob, None) => {
                let (session, plaintext) =
                    Session::accept(&mut self.bob, envelope).map_err(debug)?;
                self.bob_session = Some(session);
                Ok(plaintext)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Computing the vector set
// ---------------------------------------------------------------------------------------------

impl Outputs {
    fn identity(&mut self, who: Who, device: &Device) {
        let (name, title) = (who.name(), who.title());
        let certificate = device.certificate();
        let rows: [(&str, String, Vec<u8>); 5] = [
            (
                "account_public_key",
                format!("Ed25519 public key of {title}'s account root seed."),
                certificate.account_key().to_bytes().to_vec(),
            ),
            (
                "device_signing_public_key",
                format!("Ed25519 public key of {title}'s device signing seed."),
                certificate.signing_key().to_bytes().to_vec(),
            ),
            (
                "device_agreement_public_key",
                format!("IK: X25519 public key of {title}'s device agreement secret."),
                certificate.agreement_key().as_bytes().to_vec(),
            ),
            (
                "certificate",
                format!(
                    "{title}'s encoded DeviceCertificate: the encoded DeviceCertificateBody and the \
                     account key's Ed25519 signature over `ember/v1/device-certificate\\0` || body."
                ),
                certificate.to_bytes(),
            ),
            (
                "certificate_fingerprint",
                format!(
                    "SHA-256(`ember/v1/certificate-fingerprint\\0` || body) of {title}'s \
                     certificate, bound by X3DH and by every message's associated data."
                ),
                certificate.fingerprint().to_vec(),
            ),
        ];
        for (field, about, bytes) in rows {
            self.push(CERTIFICATES, format!("{name}_{field}"), about, &bytes);
        }
    }

    fn prekeys(&mut self, bundle: &PreKeyBundle, bytes: &[u8]) {
        let signed = bundle.signed_prekey().key;
        let about = "SPK_B: public key of Bob's signed prekey.";
        self.push(
            PREKEYS,
            "bob_signed_prekey_public",
            about,
            signed.as_bytes(),
        );
        let one_time = bundle.one_time_prekey().map(|prekey| prekey.key);
        let one_time = one_time.unwrap_or_else(|| panic!("Bob publishes a one-time prekey"));
        let about = "OPK_B: public key of Bob's one-time prekey.";
        self.push(
            PREKEYS,
            "bob_one_time_prekey_public",
            about,
            one_time.as_bytes(),
        );
        self.push(PREKEYS, "bob_prekey_bundle", BUNDLE, bytes);
    }

    fn envelope(&mut self, n: usize, message: &MessageInput, bytes: &[u8]) {
        if let Some(secret) = &message.ratchet_secret {
            let about = format!(
                "Public key of the ratchet secret {} draws for envelope {n}, starting a new \
                 sending chain.",
                message.from.title()
            );
            let key = private_key(secret).public_key();
            self.push(
                RATCHET,
                format!("envelope_{n}_ratchet_public"),
                about,
                key.as_bytes(),
            );
        }
        let about = format!(
            "Envelope {n}, {} to {}, plaintext {:?}: {}.",
            message.from.title(),
            message.from.peer().title(),
            message.plaintext,
            describe_envelope(bytes)
        );
        self.push(ENVELOPES, format!("envelope_{n}"), about, bytes);
    }
}

const BUNDLE: &str = "Bob's encoded PreKeyBundle: version 1, suite 1, his certificate, the signed \
prekey signed over `ember/v1/signed-prekey\\0` || suite || id || created_at || key, and the \
one-time prekey signed over `ember/v1/one-time-prekey\\0` || suite || id || key (integers \
big-endian, suite and ids u32, created_at u64).";

/// The kind and header of an envelope, for its description.
fn describe_envelope(bytes: &[u8]) -> String {
    let envelope = decode::<proto::Envelope>(bytes);
    let kind = match envelope.body {
        Some(proto::envelope::Body::Initial(_)) => "an InitialMessage (certificate and handshake)",
        _ => "a RatchetMessage",
    };
    let message = ratchet_message(&envelope);
    format!(
        "{kind} with counter {} and previous counter {}",
        message.counter, message.previous_counter
    )
}

/// Computes every output from `inputs` and runs every must-fail case. With `recorded`, each
/// envelope must equal the recorded one, and the receive side gets the recorded bytes.
fn compute(inputs: &Inputs, recorded: Option<&Vectors>) -> Vectors {
    let alice = device(&inputs.alice);
    let bob = device(&inputs.bob);
    let mut outputs = Outputs::default();
    outputs.identity(Who::Alice, &alice);
    outputs.identity(Who::Bob, &bob);

    let bundle_bytes = bob.prekey_bundle().to_bytes();
    let bundle = PreKeyBundle::from_bytes(&bundle_bytes)
        .unwrap_or_else(|error| panic!("Bob's bundle does not verify: {error:?}"));
    outputs.prekeys(&bundle, &bundle_bytes);
    let sent = Sent {
        bundle: &bundle_bytes,
        envelopes: &[],
    };
    let mut must_fail = run_cases(Check::VerifyBundle, &sent, |input| {
        PreKeyBundle::from_bytes(input).map(drop).map_err(debug)
    });

    let setup = &inputs.session;
    let secrets = [
        unhex32(&setup.base_key_secret),
        unhex32(&setup.ratchet_secret),
    ];
    let session = ScriptedRng::run(&secrets, |rng| Session::initiate(rng, &alice, &bundle))
        .unwrap_or_else(|error| panic!("initiate: {error:?}"));
    let first = FirstKeys::derive(setup, &alice, &bundle);
    first.check_session(&session, &alice, &bundle);
    first.record(&mut outputs);

    let mut conversation = Conversation {
        bob,
        alice_session: session,
        bob_session: None,
    };
    let mut delivered = Vec::new();
    for (index, message) in inputs.messages.iter().enumerate() {
        let n = index + 1;
        let envelope = conversation.send(message);
        outputs.envelope(n, message, &envelope);
        let recorded = recorded.map(|recorded| recorded.outputs.as_slice());
        delivered.push(sent_bytes(recorded, &format!("envelope_{n}"), envelope));
        let to = message.from.peer();
        let sent = Sent {
            bundle: &bundle_bytes,
            envelopes: &delivered,
        };
        let check = Check::Deliver {
            instead_of_envelope: n,
        };
        must_fail.extend(run_cases(check, &sent, |input| {
            conversation.receive(to, input).map(drop)
        }));
        let plaintext = conversation.receive(to, &delivered[index]);
        let wanted = message.plaintext.as_bytes();
        assert_eq!(plaintext.as_deref(), Ok(wanted), "envelope {n}");
    }
    first.check_first_envelope(&delivered[0], &inputs.messages[0].plaintext);

    Vectors {
        about: ABOUT.to_string(),
        version: VERSION,
        suite: Suite::Classic.id(),
        inputs: inputs.clone(),
        outputs: outputs.0,
        must_fail,
    }
}

// ---------------------------------------------------------------------------------------------
// Must-fail cases
// ---------------------------------------------------------------------------------------------

/// What a must-fail input is made from: the bundle and the envelopes delivered so far, the
/// current one (the one it replaces) last.
struct Sent<'a> {
    bundle: &'a [u8],
    envelopes: &'a [Vec<u8>],
}

/// A must-fail case: how its input is made and the error it must give.
struct Case {
    name: &'static str,
    about: &'static str,
    check: Check,
    input: fn(&Sent<'_>) -> Vec<u8>,
    error: &'static str,
}

impl Case {
    /// Checks that the input failed as intended and records it.
    fn checked(&self, input: Vec<u8>, result: Result<(), String>) -> MustFail {
        let case = (self.name, self.about, self.error);
        MustFail::checked(case, self.check, hex::encode(input), result)
    }
}

/// Makes the inputs of the cases of `check` and checks that `attempt` rejects each of them
/// with the intended error.
fn run_cases(
    check: Check,
    sent: &Sent<'_>,
    mut attempt: impl FnMut(&[u8]) -> Result<(), String>,
) -> Vec<MustFail> {
    let cases = CASES.iter().filter(|case| case.check == check);
    cases
        .map(|case| {
            let input = (case.input)(sent);
            let result = attempt(&input);
            case.checked(input, result)
        })
        .collect()
}

const CASES: &[Case] = &[
    Case {
        name: "bundle_signed_prekey_signature_flipped",
        about: "Bob's bundle with the first byte of the signed prekey's signature flipped.",
        check: Check::VerifyBundle,
        input: |sent| edit_bundle(sent, |b| flip(&mut signed(b).signature)),
        error: "BadSignedPreKeySignature",
    },
    Case {
        name: "bundle_signed_prekey_created_at_changed",
        about: "Bob's bundle with the signed prekey's created_at one second later: it is signed.",
        check: Check::VerifyBundle,
        input: |sent| edit_bundle(sent, |b| signed(b).created_at += 1),
        error: "BadSignedPreKeySignature",
    },
    Case {
        name: "bundle_one_time_prekey_signature_flipped",
        about: "Bob's bundle with the first byte of the one-time prekey's signature flipped.",
        check: Check::VerifyBundle,
        input: |sent| edit_bundle(sent, |b| flip(&mut b.one_time_prekeys[0].signature)),
        error: "BadOneTimePreKeySignature { id: 2 }",
    },
    Case {
        name: "bundle_certificate_signature_flipped",
        about: "Bob's bundle with the first byte of the certificate's signature flipped.",
        check: Check::VerifyBundle,
        input: |sent| edit_bundle(sent, |b| flip(&mut certificate(b).signature)),
        error: "Certificate(BadSignature)",
    },
    Case {
        name: "envelope_1_ciphertext_flipped",
        about: "Envelope 1 with the first ciphertext byte flipped: the AES-GCM tag fails.",
        check: Check::Deliver {
            instead_of_envelope: 1,
        },
        input: |sent| edit_current(sent, |e| flip(&mut ratchet_message_mut(e).ciphertext)),
        error: "Decrypt(BadTag)",
    },
    Case {
        name: "envelope_1_previous_counter_changed",
        about: "Envelope 1 with previous_counter 1: the header is associated data.",
        check: Check::Deliver {
            instead_of_envelope: 1,
        },
        input: |sent| edit_current(sent, |e| ratchet_message_mut(e).previous_counter = 1),
        error: "Decrypt(BadTag)",
    },
    Case {
        name: "envelope_1_one_time_prekey_id_changed",
        about: "Envelope 1 naming one-time prekey 3, which Bob never issued.",
        check: Check::Deliver {
            instead_of_envelope: 1,
        },
        input: |sent| edit_current(sent, |e| initial(e).one_time_prekey_id = Some(3)),
        error: "UnknownOneTimePreKey { id: 3 }",
    },
    Case {
        name: "envelope_1_one_time_prekey_id_removed",
        about: "Envelope 1 without one_time_prekey_id: Bob derives SK without DH4.",
        check: Check::Deliver {
            instead_of_envelope: 1,
        },
        input: |sent| edit_current(sent, |e| initial(e).one_time_prekey_id = None),
        error: "Decrypt(BadTag)",
    },
    Case {
        name: "envelope_1_initiator_signature_flipped",
        about: "Envelope 1 with the first byte of Alice's certificate signature flipped.",
        check: Check::Deliver {
            instead_of_envelope: 1,
        },
        input: |sent| {
            edit_current(sent, |e| {
                let certificate = initial(e).initiator.as_mut();
                flip(
                    &mut certificate
                        .unwrap_or_else(|| panic!("no initiator"))
                        .signature,
                );
            })
        },
        error: "Certificate(BadSignature)",
    },
    Case {
        name: "envelope_1_replayed",
        about: "Envelope 1 delivered again, in place of envelope 2.",
        check: Check::Deliver {
            instead_of_envelope: 2,
        },
        input: |sent| sent.envelopes[0].clone(),
        error: "Duplicate { counter: 0 }",
    },
    Case {
        name: "envelope_3_ciphertext_flipped",
        about: "Envelope 3 (Bob's reply) with the first ciphertext byte flipped.",
        check: Check::Deliver {
            instead_of_envelope: 3,
        },
        input: |sent| edit_current(sent, |e| flip(&mut ratchet_message_mut(e).ciphertext)),
        error: "BadTag",
    },
];

fn edit_bundle(sent: &Sent<'_>, change: impl FnOnce(&mut proto::PreKeyBundle)) -> Vec<u8> {
    edit(sent.bundle, change)
}

fn edit_current(sent: &Sent<'_>, change: impl FnOnce(&mut proto::Envelope)) -> Vec<u8> {
    let current = sent.envelopes.last();
    edit(current.unwrap_or_else(|| panic!("no envelope yet")), change)
}

fn signed(bundle: &mut proto::PreKeyBundle) -> &mut proto::SignedPreKey {
    let signed = bundle.signed_prekey.as_mut();
    signed.unwrap_or_else(|| panic!("no signed prekey"))
}

fn certificate(bundle: &mut proto::PreKeyBundle) -> &mut proto::DeviceCertificate {
    let certificate = bundle.certificate.as_mut();
    certificate.unwrap_or_else(|| panic!("no certificate"))
}

fn initial(envelope: &mut proto::Envelope) -> &mut proto::InitialMessage {
    match &mut envelope.body {
        Some(proto::envelope::Body::Initial(initial)) => initial,
        _ => panic!("not an initial message"),
    }
}

fn ratchet_message(envelope: &proto::Envelope) -> &proto::RatchetMessage {
    match &envelope.body {
        Some(proto::envelope::Body::Initial(initial)) => initial.message.as_ref(),
        Some(proto::envelope::Body::Ratchet(message)) => Some(message),
        None => None,
    }
    .unwrap_or_else(|| panic!("no ratchet message"))
}

fn ratchet_message_mut(envelope: &mut proto::Envelope) -> &mut proto::RatchetMessage {
    match &mut envelope.body {
        Some(proto::envelope::Body::Initial(initial)) => initial.message.as_mut(),
        Some(proto::envelope::Body::Ratchet(message)) => Some(message),
        None => None,
    }
    .unwrap_or_else(|| panic!("no ratchet message"))
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

/// The section and explanation of each field of a party and of the session setup, in the order
/// printed; `{who}` stands for the party. Every input field must have one.
#[rustfmt::skip]
const INPUT_FIELDS: &[Field] = &[
    ("account_id", CERTIFICATES, "{who}'s 16-byte account id."),
    ("account_root_seed", CERTIFICATES, "Ed25519 seed of {who}'s account root key, which signs the device certificate."),
    ("device_id", CERTIFICATES, "{who}'s device id, assigned by the account."),
    ("device_signing_seed", CERTIFICATES, "Ed25519 seed of {who}'s device signing key, which signs the device's prekeys."),
    ("device_agreement_secret", CERTIFICATES, "X25519 secret of {who}'s device agreement key, the X3DH identity key IK."),
    ("certificate_created_at", CERTIFICATES, "created_at of {who}'s device certificate, in seconds since the Unix epoch."),
    ("signed_prekey.id", PREKEYS, "Id of {who}'s signed prekey."),
    ("signed_prekey.secret", PREKEYS, "X25519 secret of {who}'s signed prekey SPK."),
    ("signed_prekey.created_at", PREKEYS, "created_at of {who}'s signed prekey, in seconds since the Unix epoch."),
    ("one_time_prekey.id", PREKEYS, "Id of {who}'s one-time prekey."),
    ("one_time_prekey.secret", PREKEYS, "X25519 secret of {who}'s one-time prekey OPK."),
    ("base_key_secret", X3DH, "X25519 secret of {who}'s base key EK_A, the first secret the initiator draws."),
    ("ratchet_secret", RATCHET, "X25519 secret of {who}'s first ratchet key, the second and last secret the initiator draws."),
];

fn input_rows(inputs: &Inputs) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut party = |prefix, who: Who, object: &serde_json::Value| {
        let describe = |about: &str| about.replace("{who}", who.title());
        field_rows(prefix, object, INPUT_FIELDS, describe, &mut rows);
    };
    party("alice", Who::Alice, &to_value(&inputs.alice));
    party("bob", Who::Bob, &to_value(&inputs.bob));
    party("session", Who::Alice, &to_value(&inputs.session));
    for (index, message) in inputs.messages.iter().enumerate() {
        let (n, from, to) = (index + 1, message.from.title(), message.from.peer().title());
        let name = format!("messages[{index}].plaintext");
        let about = format!(
            "Envelope {n}, {from} to {to}: {:?} in UTF-8.",
            message.plaintext
        );
        rows.push(Row::hex(
            ENVELOPES,
            name,
            about,
            &hex::encode(&message.plaintext),
        ));
        if let Some(secret) = &message.ratchet_secret {
            let name = format!("messages[{index}].ratchet_secret");
            let about = format!(
                "X25519 secret of the ratchet key {from} draws for envelope {n}: the first message \
                 since receiving a new ratchet key starts a new sending chain."
            );
            rows.push(Row::hex(RATCHET, name, about, secret));
        }
    }
    rows
}

const MARKDOWN_INTRO: &str = "\
## Test vectors

These known-answer vectors fix session setup and the first four messages of wire version 1,
suite 1, byte for byte. They are checked in as `core/tests/data/kat/session-v1.json` and checked
by `cargo test -p ember-core --lib kat`, which rebuilds every value below from the inputs. An
implementation checks itself the same way: build both parties from the listed secrets, use the
listed secrets wherever the scenario draws randomness, compare every output, and reject every
must-fail input without changing the receiver's state.

Conventions: byte strings are hex. X25519 secrets are the 32 raw bytes before clamping (RFC 7748
clamps them when they are used); Ed25519 secrets are the 32-byte seeds of RFC 8032. Integers are
decimal. The input bytes were made as SHA-256(`ember-kat/` || label) (an account id is the first
16 bytes), but only the bytes themselves are part of the vectors.

The scenario:

1. Alice's and Bob's accounts each certify one device (device id 1).
2. Bob publishes a prekey bundle with his signed prekey and one one-time prekey.
3. Alice verifies the bundle and starts a session: she draws her base key, then her first
   ratchet key, and makes the first root-chain step against Bob's signed prekey.
";

const MARKDOWN_DELIVERY: &str = "
Bob makes his session from envelope 1, which names his one-time prekey, and decrypts envelope 2
in it; each party decrypts every envelope addressed to it.
";

const MARKDOWN_MUST_FAIL: &str = "
### Must-fail cases

Each input must be rejected. One that is delivered reaches the receiver of envelope n in its state
just before envelope n, and must leave that state unchanged: envelope n still decrypts afterwards.
The error names are Ember's; another implementation only has to fail.
";

fn markdown(vectors: &Vectors) -> String {
    let mut out = String::from(MARKDOWN_INTRO);
    for (index, message) in vectors.inputs.messages.iter().enumerate() {
        let ratchet = if message.ratchet_secret.is_some() {
            ", with a new ratchet key"
        } else {
            ""
        };
        let (from, to) = (message.from.title(), message.from.peer().title());
        let _ = writeln!(
            out,
            "{}. {from} sends {to} {:?}{ratchet} (envelope {}).",
            index + 4,
            message.plaintext,
            index + 1
        );
    }
    out.push_str(MARKDOWN_DELIVERY);
    print_rows(&mut out, "### Inputs", &input_rows(&vectors.inputs));
    print_rows(&mut out, "### Outputs", &output_rows(&vectors.outputs));
    out.push_str(MARKDOWN_MUST_FAIL);
    for case in &vectors.must_fail {
        let check = match case.check {
            Check::VerifyBundle => "Decode and verify it as a prekey bundle".to_string(),
            Check::Deliver {
                instead_of_envelope: n,
            } => {
                let to = vectors.inputs.messages[n - 1].from.peer().title();
                format!("Deliver it to {to} in place of envelope {n}")
            }
        };
        let _ = writeln!(
            out,
            "\n`{}`: {} {check}; Ember reports `{}`.",
            case.name, case.about, case.error
        );
        print_hex(&mut out, &case.input);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

impl VectorSet for Vectors {
    type Inputs = Inputs;

    const JSON_FILE: &'static str = JSON_FILE;
    const RECORDED: &'static str = include_str!("../../tests/data/kat/session-v1.json");
    const MARKDOWN_FILE: &'static str = MARKDOWN_FILE;

    /// `## Test vectors`, numbered or not.
    fn is_heading(line: &str) -> bool {
        line.starts_with("## ") && line.trim_end().ends_with("Test vectors")
    }

    fn derived_inputs() -> Inputs {
        derived_inputs()
    }

    fn compute(inputs: &Inputs, recorded: Option<&Self>) -> Self {
        compute(inputs, recorded)
    }

    fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    fn input_rows(inputs: &Inputs) -> Vec<Row> {
        input_rows(inputs)
    }

    fn outputs(&self) -> &[Value] {
        &self.outputs
    }

    fn case_rows(&self) -> Vec<Row> {
        super::case_rows(&self.must_fail)
    }

    fn markdown(&self) -> String {
        markdown(self)
    }
}

/// Compares Ember with the recorded vectors (or, with `EMBER_WRITE_KAT=1`, records them).
#[test]
fn session_vectors() {
    super::check::<Vectors>();
}

/// Once the specification prints the vectors, it must print the current ones.
#[test]
fn protocol_md_prints_the_vectors() {
    super::check_protocol_md::<Vectors>();
}
