//! The retention vector set: a network's signed retention configuration and one archive
//! segment of the compliance side, read back by the customer's archive reader.
//!
//! [`JSON_FILE`] (configuration version 1, segment format 1): a network key and id, one
//! compliance device built from listed key bytes, an archive key pair from a listed secret,
//! and two messages of one sender in a 1:1 conversation. This module:
//!
//! - issues the configuration with [`RetentionConfig::issue`] and verifies the encoded bytes
//!   again with [`RetentionConfig::from_bytes`];
//! - archives both messages with a [`ComplianceArchiver`] and a [`ScriptedRng`] that hands out
//!   exactly what opening the segment draws (the data key, then the ephemeral X25519 secret),
//!   then closes the segment;
//! - builds the segment again from `docs/protocol/retention.md` with the bare primitives
//!   (X25519, HKDF-SHA256, AES-256-GCM, SHA-256, Ed25519) and checks it byte for byte;
//! - reads the recorded segment with the archive private key, and checks that every
//!   must-fail segment is reported with the intended problems.
//!
//! The markdown, [`MARKDOWN_FILE`], is section `## 11. Test vectors` of
//! `docs/protocol/retention.md`; once that heading exists, it must print every input and output.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use ember_proto::v1 as proto;
use prost::Message as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    Field, Outputs, Row, ScriptedRng, Value, VectorSet, decode, derived, derived_hex, field_rows,
    output, output_rows, print_hex, print_rows, sent_bytes, to_value, unhex, unhex_array, unhex32,
};
use crate::content::{Body, Content, MessageId};
use crate::crypto::dh::{PrivateKey, PublicKey};
use crate::crypto::sign::SigningKey;
use crate::crypto::{Secret32, aead, kdf};
use crate::domain;
use crate::identity::device::SignedPreKeyPair;
use crate::identity::{Account, Device, DeviceKeys};
use crate::ids::{ACCOUNT_ID_LEN, AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::network::{NETWORK_ID_LEN, NetworkId, NetworkKey};
use crate::prekeys;
use crate::retention::{
    ArchiveEntry, ArchivePrivateKey, ArchiveReader, ArchiveReport, ChainHead, ComplianceArchiver,
    Conversation, MessageInput, RetentionConfig, RetentionSettings, Rotation,
};

/// The vector set, relative to the crate.
const JSON_FILE: &str = "tests/data/kat/retention-v1.json";
/// The vectors printed for the specification, relative to the crate.
const MARKDOWN_FILE: &str = "../docs/protocol/retention-vectors.md";
/// The specification that prints them.
const SPEC_FILE: &str = "../docs/protocol/retention.md";

// Sections of docs/protocol/retention.md that the values exercise.
const CONFIG: &str = "§2 Retention configuration";
const SEGMENT: &str = "§5 Archive format";
const READING: &str = "§6 Reading an archive";

// ---------------------------------------------------------------------------------------------
// The file format
// ---------------------------------------------------------------------------------------------

/// The vector set as stored. Fields serialize in declaration order, so the file is stable.
#[derive(Serialize, Deserialize, Debug)]
struct Vectors {
    about: String,
    format: u8,
    inputs: Inputs,
    outputs: Vec<Value>,
    must_fail: Vec<MustFail>,
}

/// Everything another implementation needs to rebuild the scenario. Byte strings are hex.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Inputs {
    network: NetworkInput,
    compliance: DeviceInput,
    config: ConfigInput,
    archive: ArchiveInput,
    messages: Vec<MessageIn>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct NetworkInput {
    key_seed: String,
    id: String,
}

/// The compliance account and its one device.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct DeviceInput {
    account_id: String,
    account_root_seed: String,
    device_id: u32,
    device_signing_seed: String,
    device_agreement_secret: String,
    certificate_created_at: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct ConfigInput {
    config_version: u64,
    enabled: bool,
    archive_secret: String,
    issued_at: u64,
    max_segment_bytes: u64,
    max_segment_seconds: u64,
}

/// What the archiver draws when it opens the segment, in this order, and when it closes it.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct ArchiveInput {
    data_key: String,
    ephemeral_secret: String,
    closed_at: u64,
}

/// One message handed to the archiver (at `received_at`, its clock).
#[derive(Serialize, Deserialize, Debug, Clone)]
struct MessageIn {
    conversation_id: String,
    sender_account_id: String,
    sender_device_id: u32,
    sequence: u64,
    sent_at: u64,
    received_at: u64,
    content: String,
}

/// A segment that must be reported: the concatenation of its pieces.
type MustFail = super::MustFail<Check, Vec<Piece>>;

/// How a must-fail segment is read.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "check", rename_all = "snake_case")]
enum Check {
    /// With the archive private key, trusting the compliance device's signing key.
    Read,
    /// The same, with another archive private key (its 32 secret bytes).
    ReadWithKey { archive_secret: String },
}

/// A piece of a must-fail segment: an output, or bytes listed in the case.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Piece {
    Output(String),
    Hex(String),
}

// ---------------------------------------------------------------------------------------------
// The scenario's inputs
// ---------------------------------------------------------------------------------------------

const ABOUT: &str = "Ember known-answer vectors, data retention (configuration version 1, \
segment format 1). Issue the configuration from `inputs.network`, `inputs.compliance` (the \
device certificate) and `inputs.config` (the archive public key is X25519 of `archive_secret`); \
then open one segment (index 0, previous hash all zero) at the first message's `received_at`, \
drawing `archive.data_key` and then `archive.ephemeral_secret`, archive each message in order \
and close the segment at `archive.closed_at`; compare every `outputs` value. X25519 secrets are \
the raw 32 bytes before clamping, Ed25519 secrets are RFC 8032 seeds, byte strings are hex, \
integers are plain. Every `must_fail` segment (the concatenation of its pieces) must be reported \
by a reader holding the archive key (or the one the case lists). docs/protocol/retention.md \
explains each value.";

const MESSAGES: [(&str, u64, u64); 2] = [
    ("Quarterly numbers attached.", 1_700_000_100, 1_700_000_101),
    ("Please keep them internal.", 1_700_000_160, 1_700_000_161),
];

/// The inputs: each byte string is SHA-256("ember-kat/" || label), an id its first 16 bytes.
/// Only the resulting bytes are part of the vectors.
fn derived_inputs() -> Inputs {
    let id = |label: &str| hex::encode(&derived(label)[..ACCOUNT_ID_LEN]);
    let (alice, bob) = (
        derived("retention/alice/account-id"),
        derived("retention/bob/account-id"),
    );
    let (alice, bob) = (&alice[..ACCOUNT_ID_LEN], &bob[..ACCOUNT_ID_LEN]);
    let conversation = if alice <= bob {
        [alice, bob].concat()
    } else {
        [bob, alice].concat()
    };
    let messages = (1u64..)
        .zip(MESSAGES)
        .map(|(sequence, (text, sent_at, received_at))| {
            let message_id = derived(&format!("retention/message-{sequence}"));
            let mut content = Content::new(
                MessageId(unhex_array(&hex::encode(&message_id[..16]))),
                Timestamp(sent_at),
                Body::Text(text.to_string()),
            );
            content.sequence = sequence;
            MessageIn {
                conversation_id: hex::encode(&conversation),
                sender_account_id: hex::encode(alice),
                sender_device_id: 1,
                sequence,
                sent_at,
                received_at,
                content: hex::encode(content.encode().as_slice()),
            }
        });
    Inputs {
        network: NetworkInput {
            key_seed: derived_hex("retention/network-key"),
            id: hex::encode(&derived("retention/network-id")[..NETWORK_ID_LEN]),
        },
        compliance: DeviceInput {
            account_id: id("retention/compliance/account-id"),
            account_root_seed: derived_hex("retention/compliance/account-root"),
            device_id: 1,
            device_signing_seed: derived_hex("retention/compliance/device-1/signing"),
            device_agreement_secret: derived_hex("retention/compliance/device-1/agreement"),
            certificate_created_at: 1_700_000_000,
        },
        config: ConfigInput {
            config_version: 1,
            enabled: true,
            archive_secret: derived_hex("retention/archive-key"),
            issued_at: 1_700_000_050,
            max_segment_bytes: crate::retention::MIN_SEGMENT_BYTES,
            max_segment_seconds: crate::retention::DEFAULT_SEGMENT_SECONDS,
        },
        archive: ArchiveInput {
            data_key: derived_hex("retention/data-key"),
            ephemeral_secret: derived_hex("retention/ephemeral"),
            closed_at: 1_700_000_200,
        },
        messages: messages.collect(),
    }
}

fn secret(text: &str) -> Secret32 {
    Secret32::from_bytes(&mut unhex32(text))
}

/// The compliance device, built from the listed bytes as `Account::new_device` would build it
/// from random ones. Its signed prekey plays no part in the vectors, so it is not listed.
fn device(input: &DeviceInput) -> Device {
    let mut account = Account {
        id: AccountId::from_bytes(unhex_array(&input.account_id)),
        root: SigningKey::from_secret(&secret(&input.account_root_seed)),
        next_device_id: input.device_id,
        recovery: None,
    };
    let keys = DeviceKeys {
        signing: SigningKey::from_secret(&secret(&input.device_signing_seed)),
        agreement: PrivateKey::from_secret(&secret(&input.device_agreement_secret)),
    };
    let created_at = Timestamp(input.certificate_created_at);
    let certificate = account.certify_device(&keys.public_keys(), created_at);
    assert_eq!(certificate.device_id().0, input.device_id);
    let DeviceKeys { signing, agreement } = keys;
    let prekey = PrivateKey::from_secret(&secret(&derived_hex("unlisted-signed-prekey")));
    let message = prekeys::signed_prekey_message(1, created_at, &prekey.public_key());
    let signed_prekey = SignedPreKeyPair {
        id: 1,
        signature: signing.sign(domain::SIGNED_PREKEY, &message),
        key: prekey,
        created_at,
    };
    Device {
        signing,
        agreement,
        certificate,
        next_prekey_id: 2,
        signed_prekey,
        previous_signed_prekeys: Vec::new(),
        one_time_prekeys: alloc::collections::BTreeMap::new(),
    }
}

fn conversation(message: &MessageIn) -> Conversation {
    let ids: [u8; 2 * ACCOUNT_ID_LEN] = unhex_array(&message.conversation_id);
    let (a, b) = ids.split_at(ACCOUNT_ID_LEN);
    let a = AccountId::from_bytes(unhex_array(&hex::encode(a)));
    let b = AccountId::from_bytes(unhex_array(&hex::encode(b)));
    assert!(a <= b, "the lower account id first");
    Conversation::Direct(a, b)
}

fn sender(message: &MessageIn) -> DeviceAddress {
    DeviceAddress {
        account: AccountId::from_bytes(unhex_array(&message.sender_account_id)),
        device: DeviceId(message.sender_device_id),
    }
}

// ---------------------------------------------------------------------------------------------
// The segment, from the specification
// ---------------------------------------------------------------------------------------------

/// The segment and its parts, derived here with the bare primitives as
/// docs/protocol/retention.md states them, then checked against Ember's segment.
struct Spec {
    ephemeral_public: [u8; 32],
    shared: [u8; 32],
    wrap_key: [u8; 32],
    wrapped_key: Vec<u8>,
    header: Vec<u8>,
    start: [u8; 32],
    records: Vec<SpecRecord>,
    trailer_plaintext: Vec<u8>,
    trailer: Vec<u8>,
    final_hash: [u8; 32],
    signature: Vec<u8>,
    segment: Vec<u8>,
}

struct SpecRecord {
    plaintext: Vec<u8>,
    frame: Vec<u8>,
    chain: [u8; 32],
}

fn frame(data_key: &[u8; 32], start: &[u8; 32], index: u32, flag: u8, plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&index.to_be_bytes());
    nonce[4] = flag;
    let sealed = aead::seal(data_key, &nonce, start, plaintext);
    let sealed = sealed.unwrap_or_else(|_| panic!("sealing frame {index}"));
    let len = u32::try_from(sealed.len()).unwrap_or_else(|_| panic!("frame length"));
    [
        &len.to_be_bytes()[..],
        &[flag],
        &index.to_be_bytes(),
        &sealed,
    ]
    .concat()
}

fn chain_step(previous: &[u8; 32], frame: &[u8]) -> [u8; 32] {
    let hash = Sha256::new().chain_update(domain::ARCHIVE_CHAIN);
    hash.chain_update(previous)
        .chain_update(frame)
        .finalize()
        .into()
}

impl Spec {
    fn derive(inputs: &Inputs) -> Self {
        let ephemeral = PrivateKey::from_secret(&secret(&inputs.archive.ephemeral_secret));
        let ephemeral_public = *ephemeral.public_key().as_bytes();
        let archive = PrivateKey::from_secret(&secret(&inputs.config.archive_secret));
        let archive_public = *archive.public_key().as_bytes();
        let shared = ephemeral.agree(&PublicKey::from_bytes(archive_public));
        let shared = *shared.unwrap_or_else(|_| panic!("agreement")).expose();
        let info = [domain::ARCHIVE_KEY_WRAP, &ephemeral_public, &archive_public].concat();
        let mut wrap_key = [0u8; 32];
        assert!(kdf::hkdf_sha256(&[], &shared, &info, &mut wrap_key).is_ok());

        let signing = SigningKey::from_secret(&secret(&inputs.compliance.device_signing_seed));
        let signer = signing.verifying_key().to_bytes();
        let created_at = inputs.messages[0].received_at;
        let wrap_ad = [
            &b"EMBA"[..],
            &[0x01],
            &unhex(&inputs.network.id),
            &0u64.to_be_bytes(),
            &[0; 32],
            &created_at.to_be_bytes(),
            &signer,
            &ephemeral_public,
        ]
        .concat();
        assert_eq!(wrap_ad.len(), 133);
        let data_key = unhex32(&inputs.archive.data_key);
        let wrapped_key = aead::seal(&wrap_key, &[0; 12], &wrap_ad, &data_key);
        let wrapped_key = wrapped_key.unwrap_or_else(|_| panic!("wrapping"));
        let header = [&wrap_ad[..], &wrapped_key].concat();
        let start: [u8; 32] = Sha256::new()
            .chain_update(domain::ARCHIVE_SEGMENT)
            .chain_update(&header)
            .finalize()
            .into();

        let mut chain = start;
        let mut records = Vec::new();
        for (index, message) in (0u32..).zip(&inputs.messages) {
            let (kind, id) = (proto::ConversationKind::Direct, &message.conversation_id);
            let plaintext = proto::ArchiveRecord {
                file_chunk: None,
                gap: None,
                message: Some(proto::ArchivedMessage {
                    conversation_kind: kind as i32,
                    conversation_id: unhex(id),
                    sender_account_id: unhex(&message.sender_account_id),
                    sender_device_id: message.sender_device_id,
                    sequence: message.sequence,
                    sent_at: message.sent_at,
                    received_at: message.received_at,
                    content: unhex(&message.content),
                }),
            }
            .encode_to_vec();
            let frame = frame(&data_key, &start, index, 0x00, &plaintext);
            chain = chain_step(&chain, &frame);
            records.push(SpecRecord {
                plaintext,
                frame,
                chain,
            });
        }
        let count = records.len() as u64;
        let closed_at = inputs.archive.closed_at;
        let trailer_plaintext =
            [&count.to_be_bytes()[..], &closed_at.to_be_bytes(), &chain].concat();
        let trailer = frame(&data_key, &start, count as u32, 0x01, &trailer_plaintext);
        let final_hash = chain_step(&chain, &trailer);
        let signature = signing.sign(domain::ARCHIVE_SIGNATURE, &final_hash);
        let signature = signature.as_bytes().to_vec();
        let mut segment = header.clone();
        for record in &records {
            segment.extend_from_slice(&record.frame);
        }
        segment.extend_from_slice(&trailer);
        segment.extend_from_slice(&signature);
        Self {
            ephemeral_public,
            shared,
            wrap_key,
            wrapped_key,
            header,
            start,
            records,
            trailer_plaintext,
            trailer,
            final_hash,
            signature,
            segment,
        }
    }

    fn record(&self, out: &mut Outputs) {
        out.push(
            SEGMENT,
            "ephemeral_public_key",
            EPHEMERAL,
            &self.ephemeral_public,
        );
        out.push(SEGMENT, "shared_secret", SHARED, &self.shared);
        out.push(SEGMENT, "wrap_key", WRAP_KEY, &self.wrap_key);
        out.push(SEGMENT, "wrapped_key", WRAPPED_KEY, &self.wrapped_key);
        out.push(SEGMENT, "header", HEADER, &self.header);
        out.push(SEGMENT, "segment_start", START, &self.start);
        for (index, record) in self.records.iter().enumerate() {
            let previous = match index {
                0 => "segment_start".to_string(),
                _ => format!("chain_hash_{}", index - 1),
            };
            let about = format!(
                "Plaintext of record {index}: the encoded ArchiveRecord {{ message = \
                 ArchivedMessage {{ 1 (direct), conversation_id, sender, sequence, sent_at, \
                 received_at, content }} }} of message {index}."
            );
            out.push(
                SEGMENT,
                format!("record_plaintext_{index}"),
                about,
                &record.plaintext,
            );
            let about = format!(
                "Frame {index}: u32be(len) || 0x00 || u32be({index}) || AES-256-GCM(data_key, \
                 nonce = u32be({index}) || 0x00 || 7 zero bytes, AD = segment_start, \
                 record_plaintext_{index})."
            );
            out.push(SEGMENT, format!("record_{index}"), about, &record.frame);
            let about = format!(
                "h_{index} = SHA-256(`ember/v1/archive-chain\\0` || {previous} || record_{index})."
            );
            out.push(SEGMENT, format!("chain_hash_{index}"), about, &record.chain);
        }
        out.push(
            SEGMENT,
            "trailer_plaintext",
            TRAILER_PLAINTEXT,
            &self.trailer_plaintext,
        );
        out.push(SEGMENT, "trailer", TRAILER, &self.trailer);
        out.push(SEGMENT, "final_hash", FINAL_HASH, &self.final_hash);
        out.push(SEGMENT, "signature", SIGNATURE, &self.signature);
        out.push(SEGMENT, "segment", SEGMENT_ABOUT, &self.segment);
    }
}

const NETWORK_PUBLIC: &str = "The network's Ed25519 public key (from `network.key_seed`), which \
verifies the configuration.";
const CERTIFICATE: &str = "The compliance device's certificate (ember.v1.DeviceCertificate), \
issued by the compliance account's root key at `certificate_created_at`.";
const ARCHIVE_PUBLIC: &str =
    "The customer's archive public key: X25519 of `config.archive_secret`.";
const CONFIG_BODY: &str = "The encoded RetentionConfigBody { 1, network id, config_version, \
enabled, [certificate], archive public key, issued_at, max_segment_bytes, max_segment_seconds }.";
const CONFIG_BYTES: &str = "The encoded RetentionConfig { body, signature = Sign(network key, \
`ember/v1/retention-config\\0`, body) }, as clients receive it.";
const EPHEMERAL: &str = "The segment's ephemeral X25519 public key (from the second value the \
archiver draws).";
const SHARED: &str = "X25519(ephemeral secret, archive public key).";
const WRAP_KEY: &str = "HKDF-SHA256(salt = empty, ikm = shared_secret, info = \
`ember/v1/archive-key-wrap\\0` || ephemeral_public_key || archive_public_key, L = 32).";
const WRAPPED_KEY: &str = "AES-256-GCM(wrap_key, 12 zero bytes, AD = header[0..133], data_key): \
the data key and its tag.";
const HEADER: &str = "The segment header (181 bytes): `EMBA` || 0x01 || network id || u64be(0) \
|| 32 zero bytes || u64be(created_at = first received_at) || signer (the device's Ed25519 key) || \
ephemeral_public_key || wrapped_key.";
const START: &str = "start = SHA-256(`ember/v1/archive-segment\\0` || header): h_-1 and the \
associated data of every frame.";
const TRAILER_PLAINTEXT: &str = "u64be(2) || u64be(closed_at) || chain_hash_1.";
const TRAILER: &str = "The trailer frame: u32be(64) || 0x01 || u32be(2) || AES-256-GCM(data_key, \
nonce = u32be(2) || 0x01 || 7 zero bytes, AD = segment_start, trailer_plaintext).";
const FINAL_HASH: &str = "F = SHA-256(`ember/v1/archive-chain\\0` || chain_hash_1 || trailer).";
const SIGNATURE: &str = "Sign(compliance device key, `ember/v1/archive-signature\\0`, final_hash).";
const SEGMENT_ABOUT: &str = "The whole segment: header || record_0 || record_1 || trailer || \
signature. Read with the archive private key (trusting the device's signing key), it gives \
record_plaintext_0 and record_plaintext_1 at indexes 0 and 1, no gap and no problem.";

// ---------------------------------------------------------------------------------------------
// Computing the vector set
// ---------------------------------------------------------------------------------------------

fn compute(inputs: &Inputs, recorded: Option<&Vectors>) -> Vectors {
    let recorded = recorded.map(|recorded| recorded.outputs.as_slice());
    let mut outputs = Outputs::default();

    // The configuration.
    let network_key = NetworkKey::from_seed(&secret(&inputs.network.key_seed));
    let network = NetworkId(unhex_array(&inputs.network.id));
    let device = device(&inputs.compliance);
    let archive_key = ArchivePrivateKey::from_secret(&secret(&inputs.config.archive_secret));
    let settings = RetentionSettings {
        network,
        version: inputs.config.config_version,
        enabled: inputs.config.enabled,
        compliance_devices: alloc::vec![device.certificate().clone()],
        archive_key: Some(archive_key.public_key()),
        issued_at: Timestamp(inputs.config.issued_at),
        rotation: Rotation {
            max_bytes: inputs.config.max_segment_bytes,
            max_seconds: inputs.config.max_segment_seconds,
        },
    };
    let config = RetentionConfig::issue(&network_key, settings.clone());
    let config = config.unwrap_or_else(|error| panic!("issuing: {error:?}"));
    let config_bytes = config.to_bytes();
    let wire: proto::RetentionConfig = decode(&config_bytes);
    let certificate = device.certificate().to_bytes();
    let network_public = network_key.public_key().to_bytes();
    outputs.push(
        CONFIG,
        "network_public_key",
        NETWORK_PUBLIC,
        &network_public,
    );
    outputs.push(CONFIG, "compliance_certificate", CERTIFICATE, &certificate);
    let archive_public = archive_key.public_key();
    outputs.push(
        CONFIG,
        "archive_public_key",
        ARCHIVE_PUBLIC,
        archive_public.as_bytes(),
    );
    outputs.push(CONFIG, "retention_config_body", CONFIG_BODY, &wire.body);
    outputs.push(CONFIG, "retention_config", CONFIG_BYTES, &config_bytes);
    let config_bytes = sent_bytes(recorded, "retention_config", config_bytes);
    let accepted = RetentionConfig::from_bytes(&config_bytes, network, &network_key.public_key());
    let accepted = accepted.unwrap_or_else(|error| panic!("verifying: {error:?}"));
    assert!(
        accepted == config && *accepted.settings() == settings,
        "the configuration"
    );

    // The segment: Ember's, then the specification's.
    let script = [
        unhex32(&inputs.archive.data_key),
        unhex32(&inputs.archive.ephemeral_secret),
    ];
    let segment = ScriptedRng::run(&script, |rng| {
        let archiver = ComplianceArchiver::new(&accepted, &device, ChainHead::GENESIS);
        let mut archiver = archiver.unwrap_or_else(|error| panic!("archiver: {error:?}"));
        for message in &inputs.messages {
            let content = unhex(&message.content);
            let input = MessageInput {
                conversation: conversation(message),
                sender: sender(message),
                received_at: Timestamp(message.received_at),
                content: &content,
            };
            let now = Timestamp(message.received_at);
            let archived = archiver.record_message(rng, now, &input);
            let archived = archived.unwrap_or_else(|error| panic!("archiving: {error:?}"));
            assert!(archived.gap.is_none() && archived.closed.is_empty());
        }
        archiver.rotate(Timestamp(inputs.archive.closed_at))
    });
    let segment = segment.unwrap_or_else(|| panic!("no segment was open"));
    let spec = Spec::derive(inputs);
    assert_eq!(
        hex::encode(&segment.bytes),
        hex::encode(&spec.segment),
        "segment"
    );
    assert_eq!(segment.final_hash, spec.final_hash, "final hash");
    spec.record(&mut outputs);
    let sent = sent_bytes(recorded, "segment", segment.bytes);
    receive(inputs, &accepted, &sent);

    let must_fail = run_cases(inputs, &accepted, &outputs.0);
    Vectors {
        about: ABOUT.to_string(),
        format: crate::retention::FORMAT,
        inputs: inputs.clone(),
        outputs: outputs.0,
        must_fail,
    }
}

/// Reads `segment` with `archive_secret`, trusting the configuration's compliance devices.
fn read(config: &RetentionConfig, archive_secret: &str, segment: &[u8]) -> ArchiveReport {
    let key = ArchivePrivateKey::from_secret(&secret(archive_secret));
    let mut reader = ArchiveReader::new(&key);
    for signer in config.archive_signers() {
        reader.trust_signer(signer);
    }
    reader.read_all([segment])
}

/// The reader's side: the recorded segment reads clean, giving back every message.
fn receive(inputs: &Inputs, config: &RetentionConfig, segment: &[u8]) {
    let report = read(config, &inputs.config.archive_secret, segment);
    assert!(report.is_clean(), "problems: {:?}", report.problems);
    assert!(report.gaps.is_empty(), "gaps: {:?}", report.gaps);
    assert_eq!(report.segments.len(), 1);
    let summary = &report.segments[0];
    assert!(summary.complete && summary.records == inputs.messages.len() as u64);
    assert_eq!(summary.closed_at, Some(Timestamp(inputs.archive.closed_at)));
    assert_eq!(report.records.len(), inputs.messages.len());
    for ((index, record), message) in (0u32..).zip(&report.records).zip(&inputs.messages) {
        assert_eq!((record.segment, record.index), (0, index));
        let ArchiveEntry::Message(read) = &record.entry else {
            panic!("record {index} is not a message");
        };
        assert_eq!(read.conversation, conversation(message));
        assert_eq!(read.sender, sender(message));
        let times = (read.sequence, read.sent_at.0, read.received_at.0);
        assert_eq!(
            times,
            (message.sequence, message.sent_at, message.received_at)
        );
        assert_eq!(hex::encode(read.content.as_slice()), message.content);
        let content = read.decode_content();
        let content = content.unwrap_or_else(|error| panic!("content {index}: {error:?}"));
        assert_eq!(content.sequence, message.sequence);
    }
}

// ---------------------------------------------------------------------------------------------
// Must-fail cases
// ---------------------------------------------------------------------------------------------

/// The problems of a report, `Kind at record i` each.
fn problems(report: &ArchiveReport) -> Result<(), String> {
    if report.is_clean() {
        return Ok(());
    }
    let problems = report.problems.iter().map(|problem| match problem.record {
        Some(record) => format!("{:?} at record {record}", problem.kind),
        None => format!("{:?}", problem.kind),
    });
    Err(problems.collect::<Vec<_>>().join(", "))
}

fn run_cases(inputs: &Inputs, config: &RetentionConfig, values: &[Value]) -> Vec<MustFail> {
    let cases = CASES.iter();
    cases
        .map(|case| {
            let pieces = (case.input)(values);
            let segment: Vec<u8> = pieces
                .iter()
                .flat_map(|piece| match piece {
                    Piece::Output(name) => output(values, name),
                    Piece::Hex(text) => unhex(text),
                })
                .collect();
            let (check, key) = match case.other_key {
                None => (Check::Read, inputs.config.archive_secret.clone()),
                Some(label) => {
                    let key = derived_hex(label);
                    let check = Check::ReadWithKey {
                        archive_secret: key.clone(),
                    };
                    (check, key)
                }
            };
            let result = problems(&read(config, &key, &segment));
            MustFail::checked((case.name, case.about, case.error), check, pieces, result)
        })
        .collect()
}

/// A must-fail case: how its segment is made from the outputs, and the problems it must give.
struct Case {
    name: &'static str,
    about: &'static str,
    /// The label of the archive secret to read with instead (see [`derived_hex`]).
    other_key: Option<&'static str>,
    input: fn(&[Value]) -> Vec<Piece>,
    error: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "record_0_byte_flipped",
        about: "Record 0 with the lowest bit of its last ciphertext byte (before the tag) flipped.",
        other_key: None,
        input: |values| {
            let mut record = output(values, "record_0");
            let at = record.len() - aead::TAG_LEN - 1;
            record[at] ^= 0x01;
            let mut pieces = outputs(&["header"]);
            pieces.push(Piece::Hex(hex::encode(record)));
            pieces.extend(outputs(&["record_1", "trailer", "signature"]));
            pieces
        },
        error: "Altered at record 0, MissingRecords { count: 1 } at record 0",
    },
    Case {
        name: "record_1_dropped",
        about: "Record 1 left out: the genuine trailer follows record 0.",
        other_key: None,
        input: |_| outputs(&["header", "record_0", "trailer", "signature"]),
        error: "MissingRecords { count: 1 } at record 1",
    },
    Case {
        name: "trailer_and_signature_cut",
        about: "The segment cut after record 1.",
        other_key: None,
        input: |_| outputs(&["header", "record_0", "record_1"]),
        error: "Truncated at record 2",
    },
    Case {
        name: "wrong_archive_key",
        about: "The whole segment, read with another archive key: the data key does not unwrap, \
                and nothing is read.",
        other_key: Some("retention/wrong-archive-key"),
        input: |_| outputs(&["segment"]),
        error: "WrongKey",
    },
];

fn outputs(names: &[&str]) -> Vec<Piece> {
    let names = names.iter();
    names.map(|name| Piece::Output(name.to_string())).collect()
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

/// The section and explanation of each input field, in the order printed. Every input field
/// must have one.
#[rustfmt::skip]
const INPUT_FIELDS: &[Field] = &[
    ("network.key_seed", CONFIG, "The network key's Ed25519 seed."),
    ("network.id", CONFIG, "The network id (16 bytes)."),
    ("compliance.account_id", CONFIG, "The compliance account's id."),
    ("compliance.account_root_seed", CONFIG, "The compliance account's root key (Ed25519 seed), which certifies the device."),
    ("compliance.device_id", CONFIG, "The compliance device's id."),
    ("compliance.device_signing_seed", SEGMENT, "The compliance device's signing key (Ed25519 seed): it signs the segment."),
    ("compliance.device_agreement_secret", CONFIG, "The compliance device's X25519 agreement secret (in its certificate only)."),
    ("compliance.certificate_created_at", CONFIG, "The certificate's creation time."),
    ("config.config_version", CONFIG, "The configuration's version."),
    ("config.enabled", CONFIG, "Retention is on."),
    ("config.archive_secret", CONFIG, "The customer's X25519 archive secret."),
    ("config.issued_at", CONFIG, "When the configuration was issued."),
    ("config.max_segment_bytes", CONFIG, "Segment rotation by size (the smallest allowed)."),
    ("config.max_segment_seconds", CONFIG, "Segment rotation by time (the default, one hour)."),
    ("archive.data_key", SEGMENT, "The segment's data key: the first value the archiver draws, when the first message opens the segment."),
    ("archive.ephemeral_secret", SEGMENT, "The ephemeral X25519 secret: the second and last value it draws."),
    ("archive.closed_at", SEGMENT, "When the segment is closed (`rotate`)."),
];

#[rustfmt::skip]
const MESSAGE_FIELDS: &[Field] = &[
    ("conversation_id", SEGMENT, "The 1:1 conversation: both account ids, lower first"),
    ("sender_account_id", SEGMENT, "The sender's account id"),
    ("sender_device_id", SEGMENT, "The sender's device id"),
    ("sequence", SEGMENT, "The sender's sequence number (also in the content)"),
    ("sent_at", SEGMENT, "The sender's clock (also in the content)"),
    ("received_at", SEGMENT, "The compliance device's clock: the archiver's `now` for it, and the segment's created_at for the first"),
    ("content", SEGMENT, "The encoded ember.v1.Content, as decrypted (a text message)"),
];

fn input_rows(inputs: &Inputs) -> Vec<Row> {
    let mut rows = Vec::new();
    let value = to_value(inputs);
    let mut top = value.clone();
    if let Some(object) = top.as_object_mut() {
        object.remove("messages");
    }
    field_rows("", &top, INPUT_FIELDS, ToString::to_string, &mut rows);
    for (index, message) in inputs.messages.iter().enumerate() {
        let prefix = format!("messages.{index}");
        let describe = |about: &str| format!("{about}, message {index}.");
        field_rows(
            &prefix,
            &to_value(message),
            MESSAGE_FIELDS,
            describe,
            &mut rows,
        );
    }
    rows
}

const MARKDOWN_INTRO: &str = "\
## 11. Test vectors

These vectors fix a retention configuration and one archive segment byte for byte. They are
checked in as `core/tests/data/kat/retention-v1.json` and checked by
`cargo test -p ember-core --lib kat`, which issues and verifies the configuration, archives the
messages with Ember, builds the segment again from this specification with the bare primitives,
and reads it back with the archive private key. Byte strings are hex, integers decimal; X25519
secrets are the raw 32 bytes before clamping, Ed25519 secrets RFC 8032 seeds; the byte inputs
were made as SHA-256(`ember-kat/` || label), but only the bytes themselves are part of the
vectors.

The compliance archiver starts at `ChainHead::GENESIS` (segment 0, zero previous hash). The
first message opens the segment at its `received_at`, drawing `archive.data_key` and then
`archive.ephemeral_secret` (nothing else is drawn); both messages are archived in order, with
`now` = their `received_at`; the segment is closed at `archive.closed_at`.
";

const MARKDOWN_MUST_FAIL: &str = "
### Must-fail cases

Each segment is the concatenation of the listed pieces, read with the archive private key
(unless the case names another) trusting the compliance device's signing key; the reader must
report the listed problems (`kind at record i`, in the order found).
";

fn markdown(vectors: &Vectors) -> String {
    let mut out = String::from(MARKDOWN_INTRO);
    print_rows(&mut out, "### Inputs", &input_rows(&vectors.inputs));
    print_rows(&mut out, "### Outputs", &output_rows(&vectors.outputs));
    out.push_str(MARKDOWN_MUST_FAIL);
    for case in &vectors.must_fail {
        let pieces = case.input.iter().map(|piece| match piece {
            Piece::Output(name) => format!("`{name}`"),
            Piece::Hex(_) => "the bytes below".to_string(),
        });
        let segment = pieces.collect::<Vec<_>>().join(" || ");
        let key = match &case.check {
            Check::Read => "the archive key".to_string(),
            Check::ReadWithKey { archive_secret } => {
                format!("the archive secret `{archive_secret}`")
            }
        };
        let _ = writeln!(
            out,
            "\n`{}` ({READING}): {} Read {segment} with {key}; Ember reports `{}`.",
            case.name, case.about, case.error
        );
        for piece in &case.input {
            if let Piece::Hex(text) = piece {
                print_hex(&mut out, text);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

impl VectorSet for Vectors {
    type Inputs = Inputs;

    const JSON_FILE: &'static str = JSON_FILE;
    const RECORDED: &'static str = include_str!("../../tests/data/kat/retention-v1.json");
    const MARKDOWN_FILE: &'static str = MARKDOWN_FILE;
    const SPEC_FILE: &'static str = SPEC_FILE;

    /// A `## ... Test vectors` heading.
    fn is_heading(line: &str) -> bool {
        line.starts_with("## ") && line.contains("Test vectors")
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
fn retention_vectors() {
    super::check::<Vectors>();
}

/// Once docs/protocol/retention.md prints the vectors, it must print the current ones.
#[test]
fn retention_md_prints_the_retention_vectors() {
    super::check_protocol_md::<Vectors>();
}
