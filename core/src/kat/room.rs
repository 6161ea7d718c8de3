//! The room vector set: one member device's sender chain, three room messages on it, and
//! another member device receiving them.
//!
//! [`JSON_FILE`] (version 1, suite 1): Alice's device creates a room with Bob's device; the
//! scripted randomness makes the room id, Alice's first chain key and its Ed25519 signing seed
//! exactly the listed bytes. Alice sends three messages on that chain; Bob joins from Alice's
//! control payloads and receives the messages out of order (0, 2, 1), with must-fail cases
//! delivered before each. This module:
//!
//! - runs the scenario through the public `Room` API with a [`ScriptedRng`];
//! - derives the chain keys, message keys, associated data, ciphertexts, signatures and the
//!   encoded messages and payloads again from the specification with the bare primitives,
//!   and checks that Ember made the same (down to the chain key Ember holds after each step);
//! - plays Bob's side from the recorded bytes, and checks that every must-fail case fails
//!   with the intended error without changing Bob's room.
//!
//! The markdown, [`MARKDOWN_FILE`], goes under a `### Room message vectors` heading of
//! `docs/PROTOCOL.md`; once that heading exists, it must print every input and output.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use ember_proto::v1 as proto;
use prost::Message as _;
use serde::{Deserialize, Serialize};

use super::{
    Field, Outputs, Row, ScriptedRng, Value, VectorSet, debug, derived, edit, field_rows, flip,
    output_rows, print_hex, print_rows, sent_bytes, to_value, unhex, unhex_array, unhex32,
};
use crate::crypto::sign::SigningKey;
use crate::crypto::{Secret32, aead, kdf};
use crate::domain;
use crate::ids::{ACCOUNT_ID_LEN, AccountId, DeviceAddress, DeviceId};
use crate::payload::Payload;
use crate::room::{Distribution, MemberList, ROOM_ID_LEN, Room};
use crate::wire::{Suite, VERSION};

/// The vector set, relative to the crate.
const JSON_FILE: &str = "tests/data/kat/room-v1.json";
/// The vectors printed for the specification, relative to the crate.
const MARKDOWN_FILE: &str = "../docs/PROTOCOL-vectors-room.md";

/// The section of docs/PROTOCOL.md that the values exercise.
const ROOMS: &str = "§10 Rooms";

/// The order in which Bob receives the messages (by counter): message 2 before message 1,
/// so that Bob derives and keeps the key of message 1, then uses the kept key.
const DELIVERY_ORDER: [u32; 3] = [0, 2, 1];

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

/// Everything another implementation needs to rebuild the scenario. Byte strings are hex.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Inputs {
    room_id: String,
    sender: Member,
    receiver: Member,
    epoch: u64,
    chain_id: u32,
    chain_key: String,
    signing_seed: String,
    /// One per message, sent in this order with counters 0, 1, 2.
    plaintexts: Vec<String>,
}

/// A member device: an account with one device.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Member {
    account_id: String,
    device_id: u32,
}

/// An input that must be rejected, and how.
type MustFail = super::MustFail<Check>;

/// What is done with a must-fail input.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(tag = "check", rename_all = "snake_case")]
enum Check {
    /// Deliver it to Bob in place of the message with this counter, in his state just before
    /// that message.
    Deliver { instead_of_message: u32 },
}

// ---------------------------------------------------------------------------------------------
// The scenario's inputs
// ---------------------------------------------------------------------------------------------

const ABOUT: &str = "Ember known-answer vectors, room messages (wire version 1, suite 1). Alice's \
device creates a room with Bob's device and sends three messages on its first sender chain; Bob \
receives them in the order 0, 2, 1. Rebuild the chain from `inputs` (the room id, chain key and \
signing seed are what the creator draws, in this order; the Ed25519 secret is an RFC 8032 seed; \
byte strings are hex, integers are plain) and compare every `outputs` value. Deliver every \
`must_fail` input to Bob in place of the message it names: it must be rejected without changing \
Bob's state. docs/PROTOCOL.md explains each value.";

/// The inputs: each byte string is SHA-256("ember-kat/" || label), an id its first bytes.
/// The account ids are Alice's and Bob's of the session vectors.
fn derived_inputs() -> Inputs {
    let member = |label: &str| Member {
        account_id: hex::encode(&derived(label)[..ACCOUNT_ID_LEN]),
        device_id: 1,
    };
    Inputs {
        room_id: hex::encode(&derived("room/id")[..ROOM_ID_LEN]),
        sender: member("alice/account-id"),
        receiver: member("bob/account-id"),
        epoch: 0,
        chain_id: 1,
        chain_key: hex::encode(derived("room/alice/chain-key")),
        signing_seed: hex::encode(derived("room/alice/chain-signing")),
        plaintexts: ["Hello room", "Second", "Third"].map(String::from).to_vec(),
    }
}

/// What Bob's device draws when it joins (his own chain, which plays no part in the vectors,
/// so it is not listed).
fn unlisted_receiver_chain() -> [[u8; 32]; 2] {
    [
        derived("unlisted-room/bob/chain-key"),
        derived("unlisted-room/bob/chain-signing"),
    ]
}

fn signing_key(inputs: &Inputs) -> SigningKey {
    SigningKey::from_secret(&Secret32::from_bytes(&mut unhex32(&inputs.signing_seed)))
}

fn address(member: &Member) -> DeviceAddress {
    DeviceAddress {
        account: AccountId::from_bytes(unhex_array(&member.account_id)),
        device: DeviceId(member.device_id),
    }
}

// ---------------------------------------------------------------------------------------------
// The chain, from the specification
// ---------------------------------------------------------------------------------------------

/// The control payloads and messages, derived here with the bare primitives as the
/// specification states them, then checked against what Ember made.
struct Spec {
    room_update_payload: Vec<u8>,
    sender_key_payload: Vec<u8>,
    signing_public_key: [u8; 32],
    messages: Vec<SpecMessage>,
    /// The chain key after the last message.
    last_chain_key: [u8; 32],
}

/// One message on the chain.
struct SpecMessage {
    message_key: [u8; 32],
    next_chain_key: [u8; 32],
    associated_data: Vec<u8>,
    ciphertext: Vec<u8>,
    signature_input: Vec<u8>,
    signature: [u8; 64],
    encoded: Vec<u8>,
}

impl Spec {
    fn derive(inputs: &Inputs) -> Self {
        let signing = signing_key(inputs);
        let signing_public_key = signing.verifying_key().to_bytes();
        let mut chain_key = unhex32(&inputs.chain_key);
        let mut messages = Vec::new();
        for (counter, plaintext) in (0u32..).zip(&inputs.plaintexts) {
            let message = SpecMessage::derive(inputs, &signing, counter, &chain_key, plaintext);
            chain_key = message.next_chain_key;
            messages.push(message);
        }
        Self {
            room_update_payload: payload(proto::payload::Kind::RoomUpdate(proto::RoomUpdate {
                room_id: unhex(&inputs.room_id),
                version: 1,
                epoch: inputs.epoch,
                members: members_in_order(inputs),
            })),
            sender_key_payload: payload(proto::payload::Kind::SenderKey(proto::SenderKey {
                room_id: unhex(&inputs.room_id),
                epoch: inputs.epoch,
                chain_id: inputs.chain_id,
                counter: 0,
                chain_key: unhex(&inputs.chain_key),
                signing_key: signing_public_key.to_vec(),
            })),
            signing_public_key,
            messages,
            last_chain_key: chain_key,
        }
    }

    fn record(&self, out: &mut Outputs) {
        let rows: [(&str, &str, &[u8]); 3] = [
            (
                "room_update_payload",
                ROOM_UPDATE,
                &self.room_update_payload,
            ),
            ("sender_key_payload", SENDER_KEY, &self.sender_key_payload),
            ("signing_public_key", SIGNING_KEY, &self.signing_public_key),
        ];
        for (name, about, bytes) in rows {
            out.push(ROOMS, name, about, bytes);
        }
        for (i, message) in self.messages.iter().enumerate() {
            message.record(i, out);
        }
    }
}

impl SpecMessage {
    fn derive(
        inputs: &Inputs,
        signing: &SigningKey,
        counter: u32,
        chain_key: &[u8; 32],
        plaintext: &str,
    ) -> Self {
        let header = header(inputs, counter);
        let message_key = kdf::hmac_sha256(chain_key, &[0x01]);
        let associated_data = [domain::ROOM_MESSAGE, &header].concat();
        let nonce = [0u8; aead::NONCE_LEN];
        let sealed = aead::seal(&message_key, &nonce, &associated_data, plaintext.as_bytes());
        let ciphertext = sealed.unwrap_or_else(|_| panic!("sealing message {counter}"));
        let signature_input = [domain::ROOM_MESSAGE_SIGNATURE, &header, &ciphertext].concat();
        let signature = *signing.sign_raw(&signature_input).as_bytes();
        let encoded = proto::RoomMessage {
            version: VERSION,
            suite: Suite::Classic.id(),
            room_id: unhex(&inputs.room_id),
            epoch: inputs.epoch,
            sender_account: unhex(&inputs.sender.account_id),
            sender_device: inputs.sender.device_id,
            chain_id: inputs.chain_id,
            counter,
            ciphertext: ciphertext.clone(),
            signature: signature.to_vec(),
        }
        .encode_to_vec();
        Self {
            message_key,
            next_chain_key: kdf::hmac_sha256(chain_key, &[0x02]),
            associated_data,
            ciphertext,
            signature_input,
            signature,
            encoded,
        }
    }

    fn record(&self, i: usize, out: &mut Outputs) {
        let next = i + 1;
        let rows: [(String, String, &[u8]); 7] = [
            (
                format!("message_key_{i}"),
                format!(
                    "mk_{i} = HMAC-SHA256(chain_key_{i}, 0x01): the AES-256-GCM key of message \
                     {i} (counter {i}), used with the all-zero 12-byte nonce."
                ),
                &self.message_key,
            ),
            (
                format!("chain_key_{next}"),
                format!("chain_key_{next} = HMAC-SHA256(chain_key_{i}, 0x02)."),
                &self.next_chain_key,
            ),
            (
                format!("associated_data_{i}"),
                if i == 0 {
                    ASSOCIATED_DATA.to_string()
                } else {
                    format!("AES-256-GCM associated data of message {i}: as for message 0.")
                },
                &self.associated_data,
            ),
            (
                format!("ciphertext_{i}"),
                format!(
                    "AES-256-GCM(key = mk_{i}, nonce = 12 zero bytes, associated_data_{i}, \
                     plaintexts[{i}]): ciphertext || 16-byte tag."
                ),
                &self.ciphertext,
            ),
            (
                format!("signature_input_{i}"),
                format!(
                    "The bytes the chain's Ed25519 key signs for message {i}: \
                     `ember/v1/room-message-signature\\0` || header || ciphertext_{i} (the header \
                     as in associated_data_{i})."
                ),
                &self.signature_input,
            ),
            (
                format!("signature_{i}"),
                format!(
                    "Ed25519 signature (RFC 8032) of the chain's signing key over \
                     signature_input_{i}."
                ),
                &self.signature,
            ),
            (
                format!("room_message_{i}"),
                format!("Message {i}: {ROOM_MESSAGE}"),
                &self.encoded,
            ),
        ];
        for (name, about, bytes) in rows {
            out.push(ROOMS, name, about, bytes);
        }
    }
}

const ROOM_UPDATE: &str = "Alice's first control payload to Bob, inside their 1:1 session: an \
encoded Payload with a RoomUpdate (room_id, version 1, epoch 0, the members in ascending account \
order, each with its device ids). Bob joins the room from it.";
const SENDER_KEY: &str = "Alice's second control payload to Bob: an encoded Payload with a \
SenderKey (room_id, epoch, chain_id, counter 0, chain_key, the public key of signing_seed). Bob \
installs Alice's chain from it.";
const SIGNING_KEY: &str = "Ed25519 public key of the chain's signing seed, which verifies every \
message on the chain.";
const ASSOCIATED_DATA: &str = "AES-256-GCM associated data of message 0: \
`ember/v1/room-message\\0` || header, where header = suite (u32 BE) || room_id || epoch (u64 BE) \
|| sender account id || sender device id (u32 BE) || chain_id (u32 BE) || counter (u32 BE), 56 \
bytes.";
const ROOM_MESSAGE: &str = "the encoded RoomMessage (version 1, suite 1, room_id, epoch, \
sender_account, sender_device, chain_id, counter, ciphertext, signature; protobuf, so fields \
equal to zero are left out).";

/// `u32be(suite) || room_id || u64be(epoch) || sender account || u32be(sender device) ||
/// u32be(chain_id) || u32be(counter)`.
fn header(inputs: &Inputs, counter: u32) -> Vec<u8> {
    [
        &Suite::Classic.id().to_be_bytes()[..],
        &unhex(&inputs.room_id),
        &inputs.epoch.to_be_bytes(),
        &unhex(&inputs.sender.account_id),
        &inputs.sender.device_id.to_be_bytes(),
        &inputs.chain_id.to_be_bytes(),
        &counter.to_be_bytes(),
    ]
    .concat()
}

/// The two members in ascending account order, as a member list goes on the wire.
fn members_in_order(inputs: &Inputs) -> Vec<proto::RoomMember> {
    let mut members = [&inputs.sender, &inputs.receiver].map(|member| proto::RoomMember {
        account_id: unhex(&member.account_id),
        device_ids: alloc::vec![member.device_id],
    });
    members.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    members.to_vec()
}

fn payload(kind: proto::payload::Kind) -> Vec<u8> {
    proto::Payload { kind: Some(kind) }.encode_to_vec()
}

// ---------------------------------------------------------------------------------------------
// Computing the vector set
// ---------------------------------------------------------------------------------------------

/// Computes every output from `inputs` and runs every must-fail case. With `recorded`, each
/// payload and message must equal the recorded one, and Bob gets the recorded bytes.
fn compute(inputs: &Inputs, recorded: Option<&Vectors>) -> Vectors {
    let recorded = recorded.map(|recorded| recorded.outputs.as_slice());
    let (alice, bob) = (address(&inputs.sender), address(&inputs.receiver));
    let spec = Spec::derive(inputs);
    let mut outputs = Outputs::default();
    spec.record(&mut outputs);

    let (mut alice_room, to_send) = create(inputs, alice, bob);
    let payloads = control_payloads(&spec, to_send, bob, recorded);
    let mut bob_room = join(&payloads, bob, alice);
    let sent = send(&mut alice_room, inputs, &spec, recorded);
    let must_fail = receive(&mut bob_room, inputs, &sent, alice);
    let chain = bob_room.peers.get(&alice).and_then(|chains| chains.front());
    let chain = chain.unwrap_or_else(|| panic!("Bob holds Alice's chain"));
    let key = chain.key.0.expose();
    assert_eq!(key, &spec.last_chain_key, "Bob's chain key");
    assert!(bob_room.skipped.is_empty(), "Bob used the kept key");

    Vectors {
        about: ABOUT.to_string(),
        version: VERSION,
        suite: Suite::Classic.id(),
        inputs: inputs.clone(),
        outputs: outputs.0,
        must_fail,
    }
}

/// Alice creates the room, drawing exactly the room id, chain key and signing seed. Returns
/// her room and what she must send Bob.
fn create(inputs: &Inputs, alice: DeviceAddress, bob: DeviceAddress) -> (Room, Vec<Distribution>) {
    let mut members = MemberList::new();
    for device in [alice, bob] {
        let added = members.insert(device.account, [device.device]);
        added.unwrap_or_else(|error| panic!("member list: {error:?}"));
    }
    let script = [
        unhex(&inputs.room_id),
        unhex(&inputs.chain_key),
        unhex(&inputs.signing_seed),
    ];
    let created = ScriptedRng::run(&script, |rng| Room::create(rng, alice, members));
    let (room, to_send) = created.unwrap_or_else(|error| panic!("create: {error:?}"));
    let own = room.own.as_ref();
    let own = own.unwrap_or_else(|| panic!("the creator has a chain"));
    let name = (own.name.epoch, own.name.chain_id);
    assert_eq!(name, (inputs.epoch, inputs.chain_id), "the creator's chain");
    (room, to_send)
}

/// What Alice sends Bob, encoded: the member list and her sender key, as the specification
/// makes them.
fn control_payloads(
    spec: &Spec,
    to_send: Vec<Distribution>,
    bob: DeviceAddress,
    recorded: Option<&[Value]>,
) -> Vec<Vec<u8>> {
    let derived = [
        ("room_update_payload", &spec.room_update_payload),
        ("sender_key_payload", &spec.sender_key_payload),
    ];
    assert_eq!(to_send.len(), derived.len(), "what the creator sends");
    let payloads = derived.into_iter().zip(to_send);
    payloads
        .map(|((name, derived), ours)| {
            assert_eq!(ours.to, [bob], "{name} goes to Bob");
            let ours = ours.payload.encode().to_vec();
            assert_eq!(hex::encode(&ours), hex::encode(derived), "{name}");
            sent_bytes(recorded, name, ours)
        })
        .collect()
}

/// Bob decodes Alice's control payloads as they arrive over their 1:1 session: he joins the
/// room from the member list, then installs Alice's sender key.
fn join(payloads: &[Vec<u8>], bob: DeviceAddress, alice: DeviceAddress) -> Room {
    let mut room = None;
    for bytes in payloads {
        let payload = Payload::decode(bytes);
        match payload.unwrap_or_else(|error| panic!("payload: {error:?}")) {
            Payload::RoomUpdate(update) => {
                let script = unlisted_receiver_chain();
                let joined = ScriptedRng::run(&script, |rng| Room::join(rng, bob, alice, &update));
                let (joined, _bobs_key_for_alice) =
                    joined.unwrap_or_else(|error| panic!("join: {error:?}"));
                room = Some(joined);
            }
            Payload::SenderKey(key) => {
                let room = room.as_mut();
                let room = room.unwrap_or_else(|| panic!("the member list comes first"));
                let installed = room.receive_sender_key(alice, key);
                installed.unwrap_or_else(|error| panic!("sender key: {error:?}"));
            }
            other => panic!("unexpected payload {other:?}"),
        }
    }
    room.unwrap_or_else(|| panic!("Bob never joined"))
}

/// Alice sends the three messages; each must be the one the specification makes, and leave
/// her chain at the next chain key.
fn send(
    alice_room: &mut Room,
    inputs: &Inputs,
    spec: &Spec,
    recorded: Option<&[Value]>,
) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    for (i, (plaintext, derived)) in inputs.plaintexts.iter().zip(&spec.messages).enumerate() {
        let message = alice_room.encrypt(plaintext.as_bytes());
        let message = message.unwrap_or_else(|error| panic!("encrypting {plaintext:?}: {error:?}"));
        assert_eq!(
            hex::encode(&message),
            hex::encode(&derived.encoded),
            "message {i}"
        );
        let own = alice_room.own.as_ref();
        let key = own
            .unwrap_or_else(|| panic!("the sender has a chain"))
            .key
            .0
            .expose();
        assert_eq!(key, &derived.next_chain_key, "chain key {}", i + 1);
        sent.push(sent_bytes(recorded, &format!("room_message_{i}"), message));
    }
    sent
}

/// Bob receives the messages in [`DELIVERY_ORDER`], each after the must-fail cases that
/// stand in for it, which must fail as intended and leave his room unchanged.
fn receive(
    bob_room: &mut Room,
    inputs: &Inputs,
    sent: &[Vec<u8>],
    alice: DeviceAddress,
) -> Vec<MustFail> {
    let mut must_fail = Vec::new();
    for counter in DELIVERY_ORDER {
        let check = instead_of(counter);
        for case in CASES.iter().filter(|case| case.check == check) {
            let before = state(bob_room);
            let input = (case.input)(inputs, sent);
            let result = bob_room.decrypt(&input).map(drop).map_err(debug);
            assert_eq!(state(bob_room), before, "{} changed Bob's room", case.name);
            let case_text = (case.name, case.about, case.error);
            let input = hex::encode(input);
            must_fail.push(MustFail::checked(case_text, check, input, result));
        }
        let index = counter as usize;
        let received = bob_room.decrypt(&sent[index]);
        let received = received.unwrap_or_else(|error| panic!("message {counter}: {error:?}"));
        let wanted = inputs.plaintexts[index].as_bytes();
        assert_eq!((received.0, received.1.as_slice()), (alice, wanted));
    }
    must_fail
}

/// Everything of Bob's room that a message changes: each chain's key and next counter, and
/// the kept keys.
fn state(room: &Room) -> String {
    let mut out = String::new();
    for (device, chains) in &room.peers {
        for chain in chains {
            let key = hex::encode(chain.key.0.expose());
            let _ = write!(out, "{device:?} {:?} {} {key}; ", chain.name, chain.next);
        }
    }
    for skipped in &room.skipped {
        let key = hex::encode(skipped.key.0.expose());
        let _ = write!(out, "kept {:?} {} {key}; ", skipped.chain, skipped.counter);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Must-fail cases
// ---------------------------------------------------------------------------------------------

/// A must-fail case: how its input is made from the inputs and the three messages, and the
/// error it must give.
struct Case {
    name: &'static str,
    about: &'static str,
    check: Check,
    input: fn(&Inputs, &[Vec<u8>]) -> Vec<u8>,
    error: &'static str,
}

const fn instead_of(counter: u32) -> Check {
    Check::Deliver {
        instead_of_message: counter,
    }
}

/// In the order of [`DELIVERY_ORDER`].
const CASES: &[Case] = &[
    Case {
        name: "message_0_ciphertext_flipped",
        about: "Message 0 with the first ciphertext byte flipped: the signature covers the \
                ciphertext, so it fails before any decryption.",
        check: instead_of(0),
        input: |_, sent| edit_message(&sent[0], |m| flip(&mut m.ciphertext)),
        error: "BadSignature",
    },
    Case {
        name: "message_0_signature_flipped",
        about: "Message 0 with the first signature byte flipped.",
        check: instead_of(0),
        input: |_, sent| edit_message(&sent[0], |m| flip(&mut m.signature)),
        error: "BadSignature",
    },
    Case {
        name: "message_0_other_room",
        about: "Message 0 naming another room: the first byte of room_id flipped.",
        check: instead_of(0),
        input: |_, sent| edit_message(&sent[0], |m| flip(&mut m.room_id)),
        error: "WrongRoom",
    },
    Case {
        name: "message_0_non_member_sender",
        about: "Message 0 claiming a sender that is not a member: the first byte of \
                sender_account flipped.",
        check: instead_of(0),
        input: |_, sent| edit_message(&sent[0], |m| flip(&mut m.sender_account)),
        error: "NotAMember",
    },
    Case {
        name: "message_0_replayed",
        about: "Message 0 delivered again.",
        check: instead_of(2),
        input: |_, sent| sent[0].clone(),
        error: "Duplicate { counter: 0 }",
    },
    Case {
        name: "message_2_counter_changed",
        about: "Message 2 with counter 3: the header is signed.",
        check: instead_of(2),
        input: |_, sent| edit_message(&sent[2], |m| m.counter = 3),
        error: "BadSignature",
    },
    Case {
        name: "message_1_ciphertext_flipped_and_signed",
        about: "Message 1 with the first ciphertext byte flipped and signed again with \
                signing_seed, so that only the AES-GCM tag catches it; the kept key of message 1 \
                must stay.",
        check: instead_of(1),
        input: |inputs, sent| {
            edit_message(&sent[1], |m| {
                flip(&mut m.ciphertext);
                m.signature = resign(inputs, m);
            })
        },
        error: "BadTag",
    },
    Case {
        name: "message_2_replayed",
        about: "Message 2 delivered again, after Bob derived and kept the key of message 1.",
        check: instead_of(1),
        input: |_, sent| sent[2].clone(),
        error: "Duplicate { counter: 2 }",
    },
];

fn edit_message(bytes: &[u8], change: impl FnOnce(&mut proto::RoomMessage)) -> Vec<u8> {
    edit(bytes, change)
}

/// The chain's signature over an edited message, as the specification makes it.
fn resign(inputs: &Inputs, message: &proto::RoomMessage) -> Vec<u8> {
    let header = header(inputs, message.counter);
    let signed = [domain::ROOM_MESSAGE_SIGNATURE, &header, &message.ciphertext].concat();
    signing_key(inputs).sign_raw(&signed).as_bytes().to_vec()
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

/// The section and explanation of each input field but the plaintexts, in the order printed.
/// Every input field must have one.
#[rustfmt::skip]
const INPUT_FIELDS: &[Field] = &[
    ("room_id", ROOMS, "The 16-byte room id: the first value Alice's device draws when it creates the room."),
    ("sender.account_id", ROOMS, "Alice's 16-byte account id (as in the session vectors)."),
    ("sender.device_id", ROOMS, "Alice's device id, the sending device."),
    ("receiver.account_id", ROOMS, "Bob's 16-byte account id (as in the session vectors)."),
    ("receiver.device_id", ROOMS, "Bob's device id, the receiving device."),
    ("epoch", ROOMS, "Epoch of Alice's chain: 0, the epoch of a new room."),
    ("chain_id", ROOMS, "Id of Alice's chain: 1, a device's first chain in a room."),
    ("chain_key", ROOMS, "chain_key_0, the chain's 32-byte initial chain key: the second value Alice's device draws."),
    ("signing_seed", ROOMS, "Ed25519 seed (RFC 8032) of the chain's signing key: the third and last value Alice's device draws."),
];

fn input_rows(inputs: &Inputs) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut object = to_value(inputs);
    if let Some(fields) = object.as_object_mut() {
        fields.remove("plaintexts");
    }
    field_rows("", &object, INPUT_FIELDS, ToString::to_string, &mut rows);
    for (i, plaintext) in inputs.plaintexts.iter().enumerate() {
        let about = format!("Plaintext of message {i} (counter {i}): {plaintext:?} in UTF-8.");
        let name = format!("plaintexts[{i}]");
        rows.push(Row::hex(ROOMS, name, about, &hex::encode(plaintext)));
    }
    rows
}

const MARKDOWN_INTRO: &str = "\
### Room message vectors

These vectors fix a room's sender chain and three room messages of wire version 1, suite 1,
byte for byte. They are checked in as `core/tests/data/kat/room-v1.json` and checked by
`cargo test -p ember-core --lib kat`, which rebuilds every value below from the inputs, through
Ember's rooms and again from this specification with the bare primitives. Conventions as for
the session vectors: byte strings are hex, integers decimal, the input bytes SHA-256(`ember-kat/`
|| label) (an id is its first 16 bytes). Encodings are protobuf, which leaves out fields equal
to zero (here the epoch, and the counter of message 0 and of the sender key).

The scenario:

1. Alice's device creates a room with Bob's device. It draws the room id, then its first chain
   (epoch 0, chain 1): the chain key, then the Ed25519 signing seed. It sends Bob, over their
   1:1 session, the member list (`room_update_payload`), then its sender key
   (`sender_key_payload`, at counter 0).
2. Bob joins from the member list (drawing his own chain, which plays no part here) and installs
   Alice's sender key.
3. Alice sends three messages on her chain, counters 0, 1 and 2, one per plaintext. The room
   messages carry the plaintexts as they are; in use they carry an encoded `Content`.
4. Bob receives message 0, then message 2 (deriving and keeping the key of message 1), then
   message 1 (with the kept key). Afterwards he holds chain_key_3 and no kept key.
";

const MARKDOWN_MUST_FAIL: &str = "
#### Must-fail cases

Each input is delivered to Bob in place of message n, in his state just before message n
(messages arrive in the order 0, 2, 1); it must be rejected and leave that state unchanged:
message n still decrypts afterwards. The error names are Ember's; another implementation only
has to fail.
";

fn markdown(vectors: &Vectors) -> String {
    let mut out = String::from(MARKDOWN_INTRO);
    print_rows(&mut out, "#### Inputs", &input_rows(&vectors.inputs));
    print_rows(&mut out, "#### Outputs", &output_rows(&vectors.outputs));
    out.push_str(MARKDOWN_MUST_FAIL);
    for case in &vectors.must_fail {
        let Check::Deliver {
            instead_of_message: n,
        } = case.check;
        let _ = writeln!(
            out,
            "\n`{}`: {} Deliver it in place of message {n}; Ember reports `{}`.",
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
    const RECORDED: &'static str = include_str!("../../tests/data/kat/room-v1.json");
    const MARKDOWN_FILE: &'static str = MARKDOWN_FILE;

    /// A `### ... Room message vectors` heading.
    fn is_heading(line: &str) -> bool {
        line.starts_with("### ") && line.contains("Room message vectors")
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
fn room_vectors() {
    super::check::<Vectors>();
}

/// Once the specification prints the room vectors, it must print the current ones.
#[test]
fn protocol_md_prints_the_room_vectors() {
    super::check_protocol_md::<Vectors>();
}
