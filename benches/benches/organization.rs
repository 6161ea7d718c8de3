//! Two criterion groups for the organization features:
//!
//! - `retention`: the compliance device's whole work per message (decrypt, decode, archive),
//!   the archive's throughput over a long stream, and the primitive floors;
//! - `organization`: the federation gate's check of one envelope and the policy check of one
//!   message, each beside what it is compared with.
//!
//! Every message carries 1 KiB of text. Ember uses a deterministic ChaCha20 RNG. Nothing is
//! written to disk: drained and closed archive bytes are dropped.
// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]
// A benchmark whose setup fails must stop loudly; there is no caller to return an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use ember_core::content::{Body, Content, MessageId, Timers};
use ember_core::crypto::aead;
use ember_core::crypto::sign::{SigningKey, VerifyingKey};
use ember_core::federation::{
    Boundary, DescriptorFields, FederationDirectory, FederationGate, FederationMode,
    NetworkDescriptor, Outgoing, RecipientRules, Region, SenderKind, SenderStatus, TrustStore,
    seal,
};
use ember_core::identity::{Account, Device, DeviceCertificate};
use ember_core::network::{NetworkId, NetworkKey};
use ember_core::policy::{
    SecurityGroupId, SecurityGroupPolicy, VerifiedPolicy, check_incoming, check_outgoing,
};
use ember_core::prekeys::PreKeyBundle;
use ember_core::retention::{
    ArchivePrivateKey, ChainHead, ComplianceArchiver, Conversation, DEFAULT_SEGMENT_SECONDS,
    Inbound, MessageInput, RetentionConfig, RetentionSettings, Rotation, compliance_copy,
};
use ember_core::room::{MemberList, Room};
use ember_core::session::Session;
use ember_core::{AccountId, DeviceAddress, Timestamp};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Text length of every message.
const TEXT_LEN: usize = 1024;
/// Length of the message signed in the Ed25519 floor: about what a room message signs for a
/// 1 KiB text (header, content encoding, AES-GCM tag).
const SIGNED_LEN: usize = 1126;
/// Associated data of the AES-GCM floor: the archive binds each record to its segment's
/// 32-byte chain start.
const ARCHIVE_AD_LEN: usize = 32;
/// Records per iteration of `ember/archive_throughput`.
const STREAM_RECORDS: usize = 10_000;
/// Segment size of the throughput archive: about 11 MiB per iteration rotates ~11 times.
const STREAM_SEGMENT_BYTES: u64 = 1 << 20;
/// Federation traffic: envelopes per second of the envelope clock, the load the replay cache
/// is sized for (`MAX_REPLAY_NONCES`: "about 100 a second over the freshness window").
const ENVELOPES_PER_SECOND: u64 = 100;
/// Envelopes checked before measuring, so that the replay cache is at its steady state:
/// every entry of the 300-second window (30,100 at 100 a second), one expired entry
/// evicted per check.
const REPLAY_PREFILL: u64 = 301 * ENVELOPES_PER_SECOND;

const NOW: Timestamp = Timestamp(1_700_000_000);

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// A 1 KiB text message with timers, numbered `sequence` in its sender's stream.
fn message(sequence: u64) -> Content {
    let mut content = Content::new(MessageId([7; 16]), NOW, Body::Text("x".repeat(TEXT_LEN)));
    content.sequence = sequence;
    content.timers = Timers {
        expiry: Some(86_400),
        burn_on_read: Some(3600),
    };
    content
}

fn device(rng: &mut ChaCha20Rng, one_time_prekeys: usize) -> Device {
    let mut device = Account::generate(rng).new_device(rng, NOW);
    device.generate_one_time_prekeys(rng, one_time_prekeys);
    device
}

/// A retention configuration listing `compliance`, with segments of `rotation`.
fn retention_config(
    rng: &mut ChaCha20Rng,
    compliance: &Device,
    rotation: Rotation,
) -> RetentionConfig {
    let archive_key = ArchivePrivateKey::generate(rng);
    let network_key = NetworkKey::generate(rng);
    RetentionConfig::issue(
        &network_key,
        RetentionSettings {
            network: NetworkId::generate(rng),
            version: 1,
            enabled: true,
            compliance_devices: vec![compliance.certificate().clone()],
            archive_key: Some(archive_key.public_key()),
            issued_at: NOW,
            rotation,
        },
    )
    .expect("issue retention configuration")
}

// ----------------------------------------------------------------------------------------
// Retention

/// `ember/retention_reencrypt_1KiB`: the sender's envelopes (compliance copies of successive
/// messages) are made in the setup; the compliance device decrypts, decodes, archives, drains.
fn retention_reencrypt(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(1);
    let alice = device(&mut rng, 0);
    let mut compliance = device(&mut rng, 1);
    let bundle = PreKeyBundle::from_bytes(&compliance.prekey_bundle().to_bytes()).expect("bundle");
    let mut to_compliance = Session::initiate(&mut rng, &alice, &bundle).expect("initiate");
    let bob = AccountId::from_bytes([2; 16]);
    let first = compliance_copy(bob, &message(1));
    let first = to_compliance.encrypt(&mut rng, &first).expect("encrypt");
    let (mut from_alice, _) = Session::accept(&mut compliance, &first).expect("accept");
    // The compliance device never replies: every message is a symmetric-ratchet step.
    let config = retention_config(&mut rng, &compliance, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&config, &compliance, ChainHead::GENESIS).expect("archiver");
    let sender = alice.address();
    let mut sequence = 1;
    let mut archive_rng = self::rng(11);
    group.bench_function("ember/retention_reencrypt_1KiB", |b| {
        b.iter_batched(
            || {
                sequence += 1;
                let copy = compliance_copy(bob, &message(sequence));
                to_compliance.encrypt(&mut rng, &copy).expect("encrypt")
            },
            |envelope| {
                let plaintext = from_alice.decrypt(black_box(&envelope)).expect("decrypt");
                let Inbound::Copy(copy) = Inbound::decode(&plaintext).expect("decode") else {
                    unreachable!("a compliance copy")
                };
                let archived = archiver
                    .record_message(&mut archive_rng, NOW, &copy.message(sender, NOW))
                    .expect("record");
                debug_assert!(archived.gap.is_none());
                // Dropped outside the timing.
                (plaintext, copy, archived, archiver.drain())
            },
            BatchSize::SmallInput,
        );
    });
}

/// `ember/retention_room_1KiB`: the sender's room messages are made in the setup; the
/// compliance member decrypts (verifying the signature), archives, drains.
fn retention_room(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(2);
    let compliance = device(&mut rng, 0);
    let alice = device(&mut rng, 0).address();
    let me = compliance.address();
    let mut members = MemberList::new();
    members
        .insert(alice.account, [alice.device])
        .expect("alice");
    members.insert(me.account, [me.device]).expect("compliance");
    let (mut alice_room, to_send) = Room::create(&mut rng, alice, members).expect("create");
    let mut room = None;
    for distribution in to_send {
        match distribution.payload {
            ember_core::payload::Payload::RoomUpdate(update) => {
                room = Some(Room::join(&mut rng, me, alice, &update).expect("join").0);
            }
            ember_core::payload::Payload::SenderKey(key) => {
                room.as_mut()
                    .expect("joined first")
                    .receive_sender_key(alice, key)
                    .expect("sender key");
            }
            _ => unreachable!("only a member list and a sender key"),
        }
    }
    let mut room = room.expect("joined");
    let conversation = Conversation::Room(room.id());
    let config = retention_config(&mut rng, &compliance, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&config, &compliance, ChainHead::GENESIS).expect("archiver");
    let mut sequence = 0;
    group.bench_function("ember/retention_room_1KiB", |b| {
        b.iter_batched(
            || {
                sequence += 1;
                alice_room
                    .encrypt(&message(sequence).encode())
                    .expect("encrypt")
            },
            |bytes| {
                let (sender, plaintext) = room.decrypt(black_box(&bytes)).expect("decrypt");
                let input = MessageInput {
                    conversation,
                    sender,
                    received_at: NOW,
                    content: &plaintext,
                };
                let archived = archiver
                    .record_message(&mut rng, NOW, &input)
                    .expect("record");
                (plaintext, archived, archiver.drain())
            },
            BatchSize::SmallInput,
        );
    });
}

/// `ember/archive_throughput`: 10,000 messages of one sender in one room, 1 MiB segments.
fn archive_throughput(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(3);
    let compliance = device(&mut rng, 0);
    let config = retention_config(
        &mut rng,
        &compliance,
        Rotation {
            max_bytes: STREAM_SEGMENT_BYTES,
            max_seconds: DEFAULT_SEGMENT_SECONDS,
        },
    );
    let mut archiver =
        ComplianceArchiver::new(&config, &compliance, ChainHead::GENESIS).expect("archiver");
    let sender = device(&mut rng, 0).address();
    let conversation = Conversation::Room(ember_core::room::RoomId([9; 16]));
    let contents: Vec<_> = (1..=STREAM_RECORDS as u64)
        .map(|sequence| message(sequence).encode())
        .collect();
    group.throughput(Throughput::Elements(STREAM_RECORDS as u64));
    group.bench_function("ember/archive_throughput", |b| {
        b.iter(|| {
            let mut segments = 0usize;
            for content in &contents {
                let input = MessageInput {
                    conversation,
                    sender,
                    received_at: NOW,
                    content: black_box(content),
                };
                let archived = archiver
                    .record_message(&mut rng, NOW, &input)
                    .expect("record");
                segments += archived.closed.len();
                black_box(archiver.drain());
            }
            segments
        });
    });
    group.throughput(Throughput::Elements(1));
}

fn floor_aead(group: &mut BenchmarkGroup<'_, WallTime>) {
    let key = [0x11u8; aead::KEY_LEN];
    let nonce = [0u8; aead::NONCE_LEN];
    let associated_data = [0x22u8; ARCHIVE_AD_LEN];
    let plaintext = [0x5au8; TEXT_LEN];
    group.bench_function("floor/aes256gcm_fresh_key_1KiB", |b| {
        b.iter(|| {
            aead::seal(
                black_box(&key),
                &nonce,
                black_box(&associated_data),
                black_box(&plaintext),
            )
            .expect("seal")
        });
    });
}

fn floor_ed25519(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(4);
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

fn bench_retention(c: &mut Criterion) {
    let mut group = c.benchmark_group("retention");
    floor_aead(&mut group);
    retention_reencrypt(&mut group);
    floor_ed25519(&mut group);
    retention_room(&mut group);
    archive_throughput(&mut group);
    group.finish();
}

// ----------------------------------------------------------------------------------------
// Organization: federation and policy

/// The receiving network's directory: one recipient, in a group without guests; every sender
/// active.
struct Directory(DeviceAddress, RecipientRules);

impl FederationDirectory for Directory {
    fn recipient_rules(&self, device: &DeviceAddress) -> Option<&RecipientRules> {
        (device == &self.0).then_some(&self.1)
    }

    fn sender_status(&self, _: NetworkId, _: &DeviceCertificate) -> SenderStatus {
        SenderStatus::Active
    }
}

fn descriptor(key: &NetworkKey, network: NetworkId, region: &str) -> NetworkDescriptor {
    let fields = DescriptorFields {
        network,
        region: Region::new(region).expect("region"),
        boundary: Boundary::Commercial,
        mode: FederationMode::Global,
        revision: 1,
    };
    NetworkDescriptor::sign(key, fields).expect("descriptor")
}

/// `ember/federation_verify`: envelopes sealed in the setup, each with a fresh nonce and the
/// envelope clock at 100 a second; the gate's replay cache is at its steady state (the whole
/// freshness window of that traffic).
fn federation_verify(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(5);
    let (ours_key, theirs_key) = (
        NetworkKey::generate(&mut rng),
        NetworkKey::generate(&mut rng),
    );
    let ours = descriptor(&ours_key, NetworkId::generate(&mut rng), "eu-west-1");
    let theirs = descriptor(&theirs_key, NetworkId::generate(&mut rng), "us-east-1");
    let mut trusted = TrustStore::new();
    trusted
        .add(NetworkDescriptor::from_bytes(&theirs.to_bytes()).expect("decode"))
        .expect("trust");
    let mut gate = FederationGate::new(ours.clone(), trusted, Timestamp(0));
    let alice = device(&mut rng, 0);
    let bob = device(&mut rng, 0);
    let directory = Directory(bob.address(), RecipientRules::default());
    let payload = [0x5au8; TEXT_LEN];
    let outgoing = Outgoing {
        sender_certificate: alice.certificate(),
        sender_kind: SenderKind::Member,
        recipient: bob.address(),
        payload: &payload,
    };
    let mut sent = 0u64;
    // (envelope, when it arrives): sealed on the envelope clock, received a second later.
    let mut next = || {
        let at = Timestamp(NOW.0 + sent / ENVELOPES_PER_SECOND);
        sent += 1;
        let envelope = seal(&theirs_key, &theirs, &ours, &outgoing, &mut rng, at).expect("seal");
        (envelope, Timestamp(at.0 + 1))
    };
    for _ in 0..REPLAY_PREFILL {
        let (envelope, now) = next();
        gate.check(&envelope, now, &directory).expect("accepted");
    }
    assert!(gate.remembered() >= 30_000, "{}", gate.remembered());
    group.bench_function("ember/federation_verify", |b| {
        b.iter_batched(
            &mut next,
            |(envelope, now)| {
                gate.check(black_box(&envelope), now, &directory)
                    .expect("accepted")
            },
            BatchSize::SmallInput,
        );
    });
    eprintln!(
        "federation_verify: replay cache at {} entries after the run",
        gate.remembered()
    );
}

/// `ember/policy_check` and `floor/content_decode`: the same 1 KiB text message with timers.
fn policy_check(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(6);
    let network_key = NetworkKey::generate(&mut rng);
    let network_id = NetworkId::generate(&mut rng);
    let mut policy =
        SecurityGroupPolicy::new(network_id, SecurityGroupId::generate(&mut rng), 1, NOW);
    policy.messaging.timer_caps.max_expiry = Some(3600);
    policy.messaging.timer_caps.max_burn_on_read = Some(60);
    let signed = policy.sign(&network_key).expect("sign").to_bytes();
    let policy =
        VerifiedPolicy::verify(&signed, &network_key.public_key(), network_id).expect("verify");
    let content = message(1);
    let encoded = content.encode();
    group.bench_function("ember/policy_check", |b| {
        b.iter_batched(
            || message(1),
            |content| {
                let sent = check_outgoing(black_box(&policy), content).expect("allowed");
                check_incoming(black_box(&policy), sent)
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("floor/content_decode", |b| {
        b.iter_batched(
            || (),
            |()| Content::decode(black_box(&encoded)).expect("decode"),
            BatchSize::SmallInput,
        );
    });
}

fn bench_organization(c: &mut Criterion) {
    let mut group = c.benchmark_group("organization");
    floor_ed25519(&mut group);
    federation_verify(&mut group);
    policy_check(&mut group);
    group.finish();
}

criterion_group!(organization, bench_retention, bench_organization);
criterion_main!(organization);
