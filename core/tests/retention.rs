//! Data retention through the public API: the signed configuration and its rollback refusal,
//! the clients' duties (fan-out, room members, notices), the compliance archive round trip
//! across rotated segments and files, gaps, and every tampering the reader must report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::content::{Body, Content, MessageId, SystemNotice};
use ember_core::crypto::sign::VerifyingKey;
use ember_core::crypto::{Secret32, aead, kdf};
use ember_core::identity::{Account, Device};
use ember_core::network::{NetworkId, NetworkKey};
use ember_core::payload::Payload;
use ember_core::retention::*;
use ember_core::room::{MemberList, Room};
use ember_core::session::SessionBook;
use ember_core::{AccountId, DeviceAddress, DeviceId, Timestamp};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

const T0: Timestamp = Timestamp(1_700_000_000);

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

struct Setup {
    rng: ChaCha20Rng,
    network: NetworkId,
    network_key: NetworkKey,
    archive_key: ArchivePrivateKey,
    compliance: Device,
    config: RetentionConfig,
}

fn setup(seed: u8, rotation: Rotation) -> Setup {
    let mut rng = rng(seed);
    let network = NetworkId::generate(&mut rng);
    let network_key = NetworkKey::generate(&mut rng);
    let archive_key = ArchivePrivateKey::generate(&mut rng);
    let compliance = Account::generate(&mut rng).new_device(&mut rng, T0);
    let config = RetentionConfig::issue(
        &network_key,
        settings(network, 1, &compliance, &archive_key, rotation),
    )
    .unwrap();
    Setup {
        rng,
        network,
        network_key,
        archive_key,
        compliance,
        config,
    }
}

fn settings(
    network: NetworkId,
    version: u64,
    compliance: &Device,
    archive_key: &ArchivePrivateKey,
    rotation: Rotation,
) -> RetentionSettings {
    RetentionSettings {
        network,
        version,
        enabled: true,
        compliance_devices: vec![compliance.certificate().clone()],
        archive_key: Some(archive_key.public_key()),
        issued_at: T0,
        rotation,
    }
}

fn small() -> Rotation {
    Rotation {
        max_bytes: MIN_SEGMENT_BYTES,
        max_seconds: 3600,
    }
}

fn device(account: u8, device: u32) -> DeviceAddress {
    DeviceAddress {
        account: AccountId::from_bytes([account; 16]),
        device: DeviceId(device),
    }
}

fn content(sequence: u64, text: &str) -> Vec<u8> {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&sequence.to_be_bytes());
    let mut content = Content::new(MessageId(id), T0, Body::Text(text.into()));
    content.sequence = sequence;
    content.encode().to_vec()
}

fn input(conversation: Conversation, sender: DeviceAddress, content: &[u8]) -> MessageInput<'_> {
    MessageInput {
        conversation,
        sender,
        received_at: T0,
        content,
    }
}

fn alice_bob() -> Conversation {
    Conversation::direct(device(1, 1).account, device(2, 1).account)
}

/// Archives `n` text messages from Alice (sequence 1..=n) and closes the last segment.
fn archive(s: &mut Setup, n: u64, text_len: usize) -> Vec<SealedSegment> {
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let mut segments = Vec::new();
    for sequence in 1..=n {
        let bytes = content(sequence, &"x".repeat(text_len));
        let archived = archiver
            .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
            .unwrap();
        assert!(archived.gap.is_none());
        segments.extend(archived.closed);
    }
    segments.extend(archiver.rotate(T0));
    segments
}

fn read(key: &ArchivePrivateKey, segments: &[Vec<u8>]) -> ArchiveReport {
    ArchiveReader::open(key, segments.iter().map(Vec::as_slice))
}

fn bytes_of(segments: &[SealedSegment]) -> Vec<Vec<u8>> {
    segments
        .iter()
        .map(|segment| {
            assert_eq!(segment.offset, 0);
            segment.bytes.clone()
        })
        .collect()
}

fn kinds(report: &ArchiveReport) -> Vec<ProblemKind> {
    report.problems.iter().map(|p| p.kind).collect()
}

fn sequences(report: &ArchiveReport) -> Vec<u64> {
    report
        .records
        .iter()
        .filter_map(|record| match &record.entry {
            ArchiveEntry::Message(message) => Some(message.sequence),
            _ => None,
        })
        .collect()
}

/// A segment cut into its header, frames and signature (from the layout in the spec).
struct Parts {
    header: Vec<u8>,
    frames: Vec<Vec<u8>>,
    signature: Vec<u8>,
}

fn split(segment: &[u8]) -> Parts {
    let mut at = HEADER_LEN;
    let mut frames = Vec::new();
    loop {
        let len = u32::from_be_bytes(segment[at..at + 4].try_into().unwrap()) as usize;
        let end = at + FRAME_HEADER_LEN + len;
        frames.push(segment[at..end].to_vec());
        let flag = segment[at + 4];
        at = end;
        if flag == 1 {
            break;
        }
    }
    Parts {
        header: segment[..HEADER_LEN].to_vec(),
        frames,
        signature: segment[at..].to_vec(),
    }
}

fn join(parts: &Parts) -> Vec<u8> {
    let mut out = parts.header.clone();
    for frame in &parts.frames {
        out.extend_from_slice(frame);
    }
    out.extend_from_slice(&parts.signature);
    out
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn config_round_trips_and_verifies_only_under_its_network_key() {
    let s = setup(1, Rotation::default());
    let bytes = s.config.to_bytes();
    let public = s.network_key.public_key();
    let accepted = RetentionConfig::from_bytes(&bytes, s.network, &public).unwrap();
    assert_eq!(accepted, s.config);
    assert_eq!(accepted.settings(), s.config.settings());
    assert!(accepted.is_enabled());
    assert_eq!(accepted.archive_key(), Some(&s.archive_key.public_key()));
    let other = NetworkKey::generate(&mut rng(2)).public_key();
    assert_eq!(
        RetentionConfig::from_bytes(&bytes, s.network, &other),
        Err(ConfigError::BadSignature)
    );
    assert_eq!(
        RetentionConfig::from_bytes(&bytes, NetworkId([0; 16]), &public),
        Err(ConfigError::WrongNetwork)
    );
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x20;
        assert!(
            RetentionConfig::from_bytes(&bad, s.network, &public).is_err(),
            "byte {i} altered"
        );
    }
}

#[test]
fn config_refuses_rollback_and_equivocation() {
    let s = setup(3, Rotation::default());
    let public = s.network_key.public_key();
    let issue = |version: u64, enabled: bool| {
        let mut settings = settings(s.network, version, &s.compliance, &s.archive_key, small());
        settings.enabled = enabled;
        RetentionConfig::issue(&s.network_key, settings).unwrap()
    };
    let v1 = s.config.clone();
    let v2 = issue(2, false);
    let accepted = RetentionConfig::accept(Some(&v1), &v2.to_bytes(), s.network, &public).unwrap();
    assert_eq!(accepted, v2);
    assert_eq!(
        RetentionConfig::accept(Some(&v2), &v1.to_bytes(), s.network, &public),
        Err(ConfigError::Rollback { current: 2, got: 1 })
    );
    let other_v2 = issue(2, true);
    assert_eq!(
        v2.check_update(&other_v2),
        Err(ConfigError::Equivocation { version: 2 })
    );
    assert_eq!(v2.check_update(&v2.clone()), Ok(()), "a repeat is accepted");
    assert_eq!(v1.check_update(&issue(7, true)), Ok(()));
    let foreign = setup(4, Rotation::default()).config;
    assert_eq!(v1.check_update(&foreign), Err(ConfigError::WrongNetwork));
}

#[test]
fn config_settings_are_checked() {
    let s = setup(5, Rotation::default());
    let base = || {
        settings(
            s.network,
            1,
            &s.compliance,
            &s.archive_key,
            Rotation::default(),
        )
    };
    let issue = |settings| RetentionConfig::issue(&s.network_key, settings).err();

    let mut off = base();
    off.enabled = false;
    off.compliance_devices.clear();
    off.archive_key = None;
    assert_eq!(issue(off), None, "off needs no device or key");

    let mut no_key = base();
    no_key.archive_key = None;
    assert_eq!(issue(no_key), Some(ConfigError::MissingArchiveKey));
    let mut no_device = base();
    no_device.compliance_devices.clear();
    assert_eq!(issue(no_device), Some(ConfigError::NoComplianceDevice));
    let mut twice = base();
    twice
        .compliance_devices
        .push(s.compliance.certificate().clone());
    assert_eq!(issue(twice), Some(ConfigError::DuplicateDevice));
    let mut many = base();
    let mut r = rng(6);
    many.compliance_devices = (0..=MAX_COMPLIANCE_DEVICES)
        .map(|_| {
            Account::generate(&mut r)
                .new_device(&mut r, T0)
                .certificate()
                .clone()
        })
        .collect();
    assert_eq!(
        issue(many),
        Some(ConfigError::TooManyDevices {
            got: MAX_COMPLIANCE_DEVICES + 1,
            max: MAX_COMPLIANCE_DEVICES
        })
    );
    let mut low_order = base();
    low_order.archive_key = Some(ArchivePublicKey::from_bytes([0; 32]));
    assert_eq!(issue(low_order), Some(ConfigError::BadArchiveKey));
    let mut version_zero = base();
    version_zero.version = 0;
    assert_eq!(issue(version_zero), Some(ConfigError::BadVersion));
    for (max_bytes, max_seconds, field) in [
        (MIN_SEGMENT_BYTES - 1, 3600, "max_segment_bytes"),
        (MAX_SEGMENT_BYTES + 1, 3600, "max_segment_bytes"),
        (
            MIN_SEGMENT_BYTES,
            MIN_SEGMENT_SECONDS - 1,
            "max_segment_seconds",
        ),
        (
            MIN_SEGMENT_BYTES,
            MAX_SEGMENT_SECONDS + 1,
            "max_segment_seconds",
        ),
    ] {
        let mut bad = base();
        bad.rotation = Rotation {
            max_bytes,
            max_seconds,
        };
        assert_eq!(issue(bad), Some(ConfigError::BadRotation(field)));
    }
}

#[test]
fn clients_add_compliance_devices_and_show_notices() {
    let s = setup(7, Rotation::default());
    let compliance = s.compliance.address();
    assert_eq!(compliance_recipients(&s.config), vec![compliance]);

    let mut off_settings = s.config.settings().clone();
    off_settings.version = 2;
    off_settings.enabled = false;
    let off = RetentionConfig::issue(&s.network_key, off_settings).unwrap();
    assert!(compliance_recipients(&off).is_empty());

    // A federated conversation honours both networks' retention, each device once.
    let other = setup(8, Rotation::default());
    let both = compliance_recipients_of([&s.config, &other.config, &s.config, &off]);
    let mut expected = vec![compliance, other.compliance.address()];
    expected.sort();
    assert_eq!(both, expected);

    let mut members = MemberList::new();
    members.insert(device(1, 1).account, [DeviceId(1)]).unwrap();
    assert_eq!(add_compliance_members(&off, &mut members), Ok(false));
    assert_eq!(add_compliance_members(&s.config, &mut members), Ok(true));
    assert!(members.contains(&compliance));
    assert_eq!(add_compliance_members(&s.config, &mut members), Ok(false));
    assert!(remove_compliance_members(&off, &mut members));
    assert!(!members.contains(&compliance));

    let on = |body: Option<Body>| match body {
        Some(Body::System { notice, network }) => {
            assert_eq!(network, s.network);
            Some(notice)
        }
        None => None,
        Some(other) => panic!("{other:?}"),
    };
    assert_eq!(
        on(notice_for_change(None, &s.config)),
        Some(SystemNotice::RetentionOn)
    );
    assert_eq!(
        on(notice_for_change(Some(&s.config), &off)),
        Some(SystemNotice::RetentionOff)
    );
    assert_eq!(
        on(notice_for_change(Some(&off), &s.config)),
        Some(SystemNotice::RetentionOn)
    );
    assert_eq!(on(notice_for_change(Some(&s.config), &s.config)), None);
    assert_eq!(on(notice_for_change(None, &off)), None);
    // The notice travels as ordinary content.
    let notice = Content::new(
        MessageId([1; 16]),
        T0,
        notice_for_change(None, &s.config).unwrap(),
    );
    assert_eq!(Content::decode(&notice.encode()).unwrap(), notice);
}

#[test]
fn archiver_refuses_a_config_that_does_not_name_it() {
    let mut s = setup(9, Rotation::default());
    let stranger = Account::generate(&mut s.rng).new_device(&mut s.rng, T0);
    assert_eq!(
        ComplianceArchiver::new(&s.config, &stranger, ChainHead::GENESIS).err(),
        Some(ArchiveError::NotAComplianceDevice)
    );
    let mut off = s.config.settings().clone();
    off.enabled = false;
    let off = RetentionConfig::issue(&s.network_key, off).unwrap();
    assert_eq!(
        ComplianceArchiver::new(&off, &s.compliance, ChainHead::GENESIS).err(),
        Some(ArchiveError::RetentionOff)
    );
}

// ---------------------------------------------------------------------------------------------
// End to end: a 1:1 message and a room message reach the compliance device and the archive.

#[test]
fn one_to_one_and_room_messages_reach_the_archive() {
    let Setup {
        mut rng,
        archive_key,
        mut compliance,
        config,
        ..
    } = setup(10, Rotation::default());
    let mut alice_account = Account::generate(&mut rng);
    let mut bob_account = Account::generate(&mut rng);
    let alice = alice_account.new_device(&mut rng, T0);
    let mut bob = bob_account.new_device(&mut rng, T0);
    compliance.generate_one_time_prekeys(&mut rng, 2);
    bob.generate_one_time_prekeys(&mut rng, 2);

    // Alice's client: sessions with Bob and with the compliance device.
    let mut alice_book = SessionBook::new();
    alice_book
        .start(&mut rng, &alice, &bob.prekey_bundle())
        .unwrap();
    alice_book
        .start(&mut rng, &alice, &compliance.prekey_bundle())
        .unwrap();
    let mut message = Content::new(
        MessageId([3; 16]),
        T0,
        Body::Text("quarterly numbers".into()),
    );
    message.sequence = 1;
    let to_bob = Payload::Content(message).encode();
    let mut out = alice_book
        .encrypt_for_account(&mut rng, &alice, bob.address().account, &to_bob)
        .unwrap();
    let Payload::Content(message) = Payload::decode(&to_bob).unwrap() else {
        unreachable!()
    };
    let copy = compliance_copy(bob.address().account, &message);
    out.extend(
        alice_book
            .send_to(&mut rng, &compliance_recipients(&config), &copy)
            .unwrap(),
    );
    assert_eq!(out.len(), 2);

    // Bob reads the ordinary payload.
    let mut bob_book = SessionBook::new();
    let to_bob = out.iter().find(|o| o.to == bob.address()).unwrap();
    let plaintext = bob_book
        .decrypt(&mut bob, alice.address(), &to_bob.envelope)
        .unwrap();
    assert_eq!(
        Payload::decode(&plaintext).unwrap(),
        Payload::Content(Content::decode(&message.encode()).unwrap())
    );

    // The compliance device reads the copy and archives it.
    let mut compliance_book = SessionBook::new();
    let to_compliance = out.iter().find(|o| o.to == compliance.address()).unwrap();
    let plaintext = compliance_book
        .decrypt(&mut compliance, alice.address(), &to_compliance.envelope)
        .unwrap();
    let Inbound::Copy(copy) = Inbound::decode(&plaintext).unwrap() else {
        panic!("not a compliance copy")
    };
    let mut archiver = ComplianceArchiver::new(&config, &compliance, ChainHead::GENESIS).unwrap();
    archiver
        .record_message(
            &mut rng,
            T0,
            &copy.message(alice.address(), Timestamp(T0.0 + 1)),
        )
        .unwrap();

    // A room with the compliance device as a member.
    let mut members = MemberList::new();
    members
        .insert(alice.address().account, [alice.address().device])
        .unwrap();
    members
        .insert(bob.address().account, [bob.address().device])
        .unwrap();
    add_compliance_members(&config, &mut members).unwrap();
    let (mut alice_room, to_send) = Room::create(&mut rng, alice.address(), members).unwrap();
    let mut compliance_room = None;
    for distribution in to_send {
        if !distribution.to.contains(&compliance.address()) {
            continue;
        }
        match Payload::decode(&distribution.payload.encode()).unwrap() {
            Payload::RoomUpdate(update) => {
                let (room, _) =
                    Room::join(&mut rng, compliance.address(), alice.address(), &update).unwrap();
                compliance_room = Some(room);
            }
            Payload::SenderKey(key) => compliance_room
                .as_mut()
                .unwrap()
                .receive_sender_key(alice.address(), key)
                .unwrap(),
            other => panic!("{other:?}"),
        }
    }
    let mut compliance_room = compliance_room.unwrap();
    let mut room_message = Content::new(MessageId([4; 16]), T0, Body::Text("room".into()));
    room_message.sequence = 1;
    let sealed = alice_room.encrypt(&room_message.encode()).unwrap();
    let (sender, plaintext) = compliance_room.decrypt(&sealed).unwrap();
    let room = Conversation::Room(compliance_room.id());
    archiver
        .record_message(&mut rng, T0, &input(room, sender, &plaintext))
        .unwrap();
    let segment = archiver.rotate(T0).unwrap();

    let mut reader = ArchiveReader::new(&archive_key);
    for signer in config.archive_signers() {
        reader.trust_signer(signer);
    }
    let report = reader.read_all([segment.bytes.as_slice()]);
    assert!(report.is_clean(), "{:?}", report.problems);
    assert!(report.gaps.is_empty());
    let messages: Vec<_> = report
        .records
        .iter()
        .map(|record| match &record.entry {
            ArchiveEntry::Message(m) => m,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0].conversation,
        Conversation::direct(alice.address().account, bob.address().account)
    );
    assert_eq!(messages[0].sender, alice.address());
    assert_eq!(messages[0].received_at, Timestamp(T0.0 + 1));
    assert_eq!(messages[0].decode_content().unwrap(), message);
    assert_eq!(messages[1].conversation, room);
    assert_eq!(messages[1].decode_content().unwrap(), room_message);
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn round_trip_across_segments_rotated_by_size() {
    let mut s = setup(11, small());
    let segments = archive(&mut s, 60, 300);
    assert!(segments.len() >= 4, "{} segments", segments.len());
    for (i, segment) in segments.iter().enumerate() {
        assert_eq!(segment.index, i as u64);
        assert!(
            segment.bytes.len() as u64 <= MIN_SEGMENT_BYTES,
            "segment {i}: {} bytes",
            segment.bytes.len()
        );
        if i > 0 {
            let header = SegmentHeader::peek(&segment.bytes).unwrap();
            assert_eq!(header.previous_hash, segments[i - 1].final_hash);
            assert_eq!(header.network, s.network);
        }
    }
    let report = read(&s.archive_key, &bytes_of(&segments));
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(sequences(&report), (1..=60).collect::<Vec<_>>());
    assert_eq!(report.segments.len(), segments.len());
    assert!(report.segments.iter().all(|segment| segment.complete));
    let ArchiveEntry::Message(first) = &report.records[0].entry else {
        panic!()
    };
    assert_eq!(
        first.decode_content().unwrap().body,
        Body::Text("x".repeat(300))
    );
}

#[test]
fn round_trip_across_segments_rotated_by_time_and_tick() {
    let mut s = setup(12, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let mut segments = Vec::new();
    let mut now = T0;
    for sequence in 1..=10u64 {
        // A message every 25 minutes: the one-hour segments rotate every third message.
        now = Timestamp(T0.0 + (sequence - 1) * 1500);
        let bytes = content(sequence, "tick");
        let archived = archiver
            .record_message(&mut s.rng, now, &input(alice_bob(), device(1, 1), &bytes))
            .unwrap();
        segments.extend(archived.closed);
    }
    assert_eq!(segments.len(), 3);
    assert_eq!(archiver.tick(Timestamp(now.0 + 10)), None);
    let last = archiver.tick(Timestamp(now.0 + 3600)).unwrap();
    assert_eq!(last.closed_at, Timestamp(now.0 + 3600));
    segments.push(last);
    assert_eq!(
        archiver.tick(Timestamp(now.0 + 99_999)),
        None,
        "nothing open"
    );
    assert_eq!(archiver.head(), segments[3].head_after());
    for pair in segments.windows(2) {
        assert!(pair[1].created_at.0 - pair[0].created_at.0 >= 3600);
    }
    let report = read(&s.archive_key, &bytes_of(&segments));
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(sequences(&report), (1..=10).collect::<Vec<_>>());
    assert_eq!(report.segments[0].closed_at, Some(segments[0].closed_at));
}

#[test]
fn drained_bytes_and_pushes_of_any_size_give_the_same_archive() {
    let mut s = setup(13, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let mut stored: Vec<u8> = Vec::new();
    for sequence in 1..=20 {
        let bytes = content(sequence, "streamed");
        archiver
            .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
            .unwrap();
        if sequence % 3 == 0 {
            let drained = archiver.drain().unwrap();
            assert_eq!(drained.offset, stored.len() as u64);
            stored.extend(drained.bytes);
            assert!(archiver.drain().is_none());
        }
    }
    let last = archiver.rotate(T0).unwrap();
    assert_eq!(last.offset, stored.len() as u64);
    stored.extend(&last.bytes);
    for piece in [1, 7, 100, 4096] {
        let mut reader = ArchiveReader::new(&s.archive_key);
        let mut records = Vec::new();
        for chunk in stored.chunks(piece) {
            reader.push(chunk, &mut records);
        }
        reader.end_segment();
        let report = reader.finish();
        assert!(report.is_clean(), "{:?}", report.problems);
        assert_eq!(records.len(), 20);
    }
}

#[test]
fn files_stream_through_the_archive_across_segments() {
    let mut s = setup(14, small());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let id = FileId(Sha256::digest(b"ciphertext stream").into());
    let mut file = FileArchiving::new(id);
    let mut segments = Vec::new();
    for piece in data.chunks(30_001) {
        segments.extend(
            archiver
                .push_file(&mut s.rng, T0, &mut file, piece)
                .unwrap(),
        );
        // A message in between: files and messages interleave.
        let bytes = content(segments.len() as u64 + 1, "meanwhile");
        let archived = archiver
            .record_message(&mut s.rng, T0, &input(alice_bob(), device(3, 1), &bytes))
            .unwrap();
        segments.extend(archived.closed);
    }
    assert_eq!(file.len(), data.len() as u64);
    segments.extend(archiver.finish_file(&mut s.rng, T0, file).unwrap());
    let empty = FileArchiving::new(FileId([9; 32]));
    segments.extend(archiver.finish_file(&mut s.rng, T0, empty).unwrap());
    segments.extend(archiver.rotate(T0));
    assert!(segments.len() > 3);

    let report = read(&s.archive_key, &bytes_of(&segments));
    assert!(report.is_clean(), "{:?}", report.problems);
    let mut rebuilt = vec![0u8; data.len()];
    let mut lasts = Vec::new();
    for record in &report.records {
        if let ArchiveEntry::FileChunk(chunk) = &record.entry {
            assert!(chunk.data.len() <= FILE_CHUNK_LEN);
            if chunk.file == id {
                let at = chunk.offset as usize;
                rebuilt[at..at + chunk.data.len()].copy_from_slice(&chunk.data);
            }
            if chunk.last {
                lasts.push((chunk.file, chunk.offset + chunk.data.len() as u64));
            }
        }
    }
    assert_eq!(rebuilt, data);
    assert_eq!(lasts, vec![(id, data.len() as u64), (FileId([9; 32]), 0)]);

    // A file whose end never came is reported.
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let mut file = FileArchiving::new(id);
    archiver
        .push_file(&mut s.rng, T0, &mut file, &[1; FILE_CHUNK_LEN + 5])
        .unwrap();
    let segment = archiver.rotate(T0).unwrap();
    let report = read(&s.archive_key, &[segment.bytes]);
    assert_eq!(kinds(&report), vec![ProblemKind::IncompleteFile(id)]);
}

// ---------------------------------------------------------------------------------------------
// Gaps

#[test]
fn gaps_are_noticed_archived_and_reported() {
    let mut s = setup(15, small());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let alice = device(1, 1);
    let room = Conversation::Room(ember_core::room::RoomId([5; 16]));
    let mut segments = Vec::new();
    let mut noticed = Vec::new();
    let mut send = |archiver: &mut ComplianceArchiver, conversation, sequence| {
        let bytes = content(sequence, "m");
        let archived = archiver
            .record_message(&mut s.rng, T0, &input(conversation, alice, &bytes))
            .unwrap();
        segments.extend(archived.closed);
        noticed.extend(archived.gap);
    };
    // 1:1: 1, 2, 4 -> 3 is missing. Room: 5 (first seen sets the numbers), 6, 9, 7 (late).
    for sequence in [1, 2, 4] {
        send(&mut archiver, alice_bob(), sequence);
    }
    for sequence in [5, 6, 9, 7] {
        send(&mut archiver, room, sequence);
    }
    // Sequence 0 is not numbered and never makes a gap.
    send(&mut archiver, room, 0);
    segments.extend(archiver.rotate(T0));
    assert_eq!(
        noticed,
        vec![
            Gap {
                conversation: alice_bob(),
                sender: alice,
                missing: 3..4
            },
            Gap {
                conversation: room,
                sender: alice,
                missing: 7..9
            },
        ]
    );
    let report = read(&s.archive_key, &bytes_of(&segments));
    assert!(report.is_clean(), "{:?}", report.problems);
    let notices = report
        .records
        .iter()
        .filter(|record| matches!(record.entry, ArchiveEntry::Gap(_)))
        .count();
    assert_eq!(notices, 2, "the gaps are in the archive");
    // 7 arrived late, so only 8 is still missing in the room.
    assert_eq!(
        report.gaps,
        vec![
            Gap {
                conversation: alice_bob(),
                sender: alice,
                missing: 3..4
            },
            Gap {
                conversation: room,
                sender: alice,
                missing: 8..9
            },
        ]
    );
}

#[test]
fn a_missing_segment_shows_as_a_gap_too() {
    let mut s = setup(16, small());
    let mut segments = bytes_of(&archive(&mut s, 40, 300));
    assert!(segments.len() >= 3);
    let dropped = segments.remove(1);
    let lost = read(&s.archive_key, &[dropped]).records.len() as u64;
    let report = read(&s.archive_key, &segments);
    assert_eq!(
        report.problems,
        vec![ArchiveProblem {
            position: None,
            segment: Some(1),
            record: None,
            kind: ProblemKind::MissingSegments { count: 1 }
        }]
    );
    assert_eq!(report.gaps.len(), 1);
    assert_eq!(
        report.gaps[0].missing.end - report.gaps[0].missing.start,
        lost
    );
}

// ---------------------------------------------------------------------------------------------
// Tampering

fn tamper_setup(seed: u8) -> (Setup, Vec<Vec<u8>>) {
    let mut s = setup(seed, small());
    let segments = bytes_of(&archive(&mut s, 40, 300));
    assert!(segments.len() >= 3);
    (s, segments)
}

#[test]
fn a_dropped_record_is_reported() {
    let (s, mut segments) = tamper_setup(17);
    let mut parts = split(&segments[1]);
    parts.frames.remove(2);
    segments[1] = join(&parts);
    let report = read(&s.archive_key, &segments);
    assert_eq!(
        report.problems,
        vec![ArchiveProblem {
            position: Some(1),
            segment: Some(1),
            record: Some(2),
            kind: ProblemKind::MissingRecords { count: 1 }
        }]
    );
    assert_eq!(
        report.gaps.len(),
        1,
        "the message is missing from its stream"
    );
}

#[test]
fn reordered_records_are_reported() {
    let (s, mut segments) = tamper_setup(18);
    let mut parts = split(&segments[0]);
    parts.frames.swap(1, 2);
    segments[0] = join(&parts);
    let report = read(&s.archive_key, &segments);
    assert_eq!(kinds(&report), vec![ProblemKind::Reordered]);
    assert_eq!(report.problems[0].record, Some(1));
    assert!(report.gaps.is_empty(), "every record is still there");
}

#[test]
fn a_duplicated_record_is_reported_once_and_not_repeated() {
    let (s, mut segments) = tamper_setup(19);
    let mut parts = split(&segments[0]);
    let copy = parts.frames[1].clone();
    parts.frames.insert(3, copy);
    segments[0] = join(&parts);
    let report = read(&s.archive_key, &segments);
    assert_eq!(kinds(&report), vec![ProblemKind::DuplicateRecord]);
    assert_eq!(sequences(&report), (1..=40).collect::<Vec<_>>());
}

#[test]
fn every_altered_byte_is_reported_and_no_altered_plaintext_comes_out() {
    let mut s = setup(20, small());
    let segments = bytes_of(&archive(&mut s, 3, 10));
    assert_eq!(segments.len(), 1);
    let clean = read(&s.archive_key, &segments);
    let texts = |report: &ArchiveReport| -> Vec<Vec<u8>> {
        report
            .records
            .iter()
            .filter_map(|record| match &record.entry {
                ArchiveEntry::Message(m) => Some(m.content.to_vec()),
                _ => None,
            })
            .collect()
    };
    let genuine = texts(&clean);
    assert_eq!(genuine.len(), 3);
    let target = 0;
    for i in 0..segments[target].len() {
        let mut bad = segments.clone();
        bad[target][i] ^= 0x04;
        let report = read(&s.archive_key, &bad);
        assert!(!report.is_clean(), "byte {i} altered, nothing reported");
        for text in texts(&report) {
            assert!(
                genuine.contains(&text),
                "byte {i}: altered plaintext released"
            );
        }
    }
}

#[test]
fn an_altered_record_does_not_hide_the_others() {
    let (s, mut segments) = tamper_setup(21);
    let mut parts = split(&segments[1]);
    let n = parts.frames.len() - 1;
    let last = parts.frames[2].len() - 1;
    parts.frames[2][last] ^= 1;
    segments[1] = join(&parts);
    let report = read(&s.archive_key, &segments);
    assert_eq!(
        report.problems,
        vec![
            ArchiveProblem {
                position: Some(1),
                segment: Some(1),
                record: Some(2),
                kind: ProblemKind::Altered
            },
            ArchiveProblem {
                position: Some(1),
                segment: Some(1),
                record: Some(2),
                kind: ProblemKind::MissingRecords { count: 1 }
            },
        ]
    );
    assert_eq!(report.segments[1].records as usize, n - 1);
    assert_eq!(sequences(&report).len(), 39);
}

#[test]
fn a_record_spliced_from_another_segment_is_altered() {
    let (s, mut segments) = tamper_setup(22);
    let mut parts = split(&segments[1]);
    let foreign = split(&segments[0]).frames[2].clone();
    parts.frames[2] = foreign;
    segments[1] = join(&parts);
    let report = read(&s.archive_key, &segments);
    assert_eq!(kinds(&report)[0], ProblemKind::Altered);
}

#[test]
fn truncation_anywhere_is_reported() {
    let (s, segments) = tamper_setup(23);
    let target = &segments[2];
    let parts = split(target);
    let mut boundaries = vec![0, 10, HEADER_LEN];
    let mut at = HEADER_LEN;
    for frame in &parts.frames {
        boundaries.push(at + 3);
        at += frame.len();
        boundaries.push(at);
    }
    boundaries.push(target.len() - 1);
    for cut in boundaries {
        let mut bad = segments.clone();
        bad[2].truncate(cut);
        let report = read(&s.archive_key, &bad);
        let found = kinds(&report);
        assert!(
            found.contains(&ProblemKind::Truncated) || found.contains(&ProblemKind::Unreadable),
            "cut at {cut}: {found:?}"
        );
    }
    // Cut at a record boundary: the records before the cut are all read.
    let mut bad = segments.clone();
    let keep: usize = HEADER_LEN + parts.frames[..3].iter().map(Vec::len).sum::<usize>();
    bad[2].truncate(keep);
    let report = read(&s.archive_key, &bad);
    assert_eq!(
        report.problems,
        vec![ArchiveProblem {
            position: Some(2),
            segment: Some(2),
            record: Some(3),
            kind: ProblemKind::Truncated
        }]
    );
    assert_eq!(report.segments[2].records, 3);
}

#[test]
fn a_forged_trailer_cannot_hide_a_truncation() {
    // Drop the last record and move the trailer up: the trailer still carries its index and
    // record count (authenticated), so the hole before it shows.
    let (s, mut segments) = tamper_setup(24);
    let mut parts = split(&segments[0]);
    let n = parts.frames.len();
    parts.frames.remove(n - 2);
    segments[0] = join(&parts);
    let report = read(&s.archive_key, &segments);
    assert_eq!(
        kinds(&report),
        vec![ProblemKind::MissingRecords { count: 1 }]
    );
}

#[test]
fn missing_swapped_and_duplicated_segments_are_reported() {
    let (s, segments) = tamper_setup(25);
    let n = segments.len();

    let mut missing = segments.clone();
    missing.remove(1);
    assert_eq!(
        kinds(&read(&s.archive_key, &missing)),
        vec![ProblemKind::MissingSegments { count: 1 }]
    );

    let mut swapped = segments.clone();
    swapped.swap(0, 1);
    let report = read(&s.archive_key, &swapped);
    assert_eq!(
        report.problems,
        vec![ArchiveProblem {
            position: Some(1),
            segment: Some(0),
            record: None,
            kind: ProblemKind::Reordered
        }]
    );
    assert_eq!(sequences(&report).len(), 40, "every record still reads");

    let mut twice = segments.clone();
    twice.push(segments[1].clone());
    let report = read(&s.archive_key, &twice);
    assert_eq!(kinds(&report), vec![ProblemKind::DuplicateSegment]);
    assert_eq!(sequences(&report).len(), 40, "no record is repeated");

    // Only the last segment gone: nothing links to it, so the chain cannot show it; a reader
    // that knows the chain head (ChainHead, stored by the compliance service) can.
    let mut tail = segments.clone();
    tail.pop();
    let report = read(&s.archive_key, &tail);
    assert!(report.is_clean());
    assert_eq!(report.segments.last().unwrap().index, n as u64 - 2);
}

#[test]
fn a_replaced_segment_breaks_the_chain() {
    // Someone with only the archive public key writes a segment of their own in place of
    // segment 1: it reads (the public key is public), but it cannot name segment 1's real
    // final hash for segment 2, and it is signed by a key the reader does not trust.
    let (mut s, mut segments) = tamper_setup(26);
    let forger = Account::generate(&mut s.rng).new_device(&mut s.rng, T0);
    let mut forged = s.config.settings().clone();
    forged.compliance_devices = vec![forger.certificate().clone()];
    let forged = RetentionConfig::issue(&NetworkKey::generate(&mut s.rng), forged).unwrap();
    let genuine_one = SegmentHeader::peek(&segments[1]).unwrap();
    let mut archiver = ComplianceArchiver::new(
        &forged,
        &forger,
        ChainHead {
            next_segment: 1,
            previous_hash: genuine_one.previous_hash,
        },
    )
    .unwrap();
    let bytes = content(1000, "forged");
    archiver
        .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
        .unwrap();
    segments[1] = archiver.rotate(T0).unwrap().bytes;

    let report = read(&s.archive_key, &segments);
    assert_eq!(
        report.problems,
        vec![ArchiveProblem {
            position: Some(2),
            segment: Some(2),
            record: None,
            kind: ProblemKind::BrokenChain
        }]
    );
    let mut reader = ArchiveReader::new(&s.archive_key);
    reader.trust_signer(*s.compliance.certificate().signing_key());
    let report = reader.read_all(segments.iter().map(Vec::as_slice));
    assert_eq!(
        kinds(&report),
        vec![ProblemKind::UntrustedSigner, ProblemKind::BrokenChain]
    );
    assert_eq!(
        report.segments[1].signer,
        forger.certificate().signing_key().to_bytes()
    );
}

#[test]
fn wrong_key_altered_header_and_trailing_bytes() {
    let (s, segments) = tamper_setup(27);
    let wrong = ArchivePrivateKey::generate(&mut rng(99));
    let report = read(&wrong, &segments);
    assert_eq!(report.problems.len(), segments.len());
    assert!(
        kinds(&report)
            .iter()
            .all(|kind| *kind == ProblemKind::WrongKey)
    );
    assert!(report.records.is_empty());

    for at in [5, 21, 29, 61, 69, 101, 133, HEADER_LEN - 1] {
        let mut bad = segments.clone();
        bad[1][at] ^= 1;
        let found = kinds(&read(&s.archive_key, &bad));
        assert_eq!(
            found[0],
            ProblemKind::WrongKey,
            "header byte {at}: {found:?}"
        );
    }
    let mut bad = segments.clone();
    bad[0][0] = b'X';
    assert_eq!(
        kinds(&read(&s.archive_key, &bad))[0],
        ProblemKind::Unreadable
    );

    let mut bad = segments.clone();
    bad[0].push(0);
    assert_eq!(
        kinds(&read(&s.archive_key, &bad)),
        vec![ProblemKind::TrailingData]
    );

    let mut bad = segments.clone();
    let last = bad[0].len() - 1;
    bad[0][last] ^= 1;
    assert_eq!(
        kinds(&read(&s.archive_key, &bad)),
        vec![ProblemKind::BadSignature]
    );
}

#[test]
fn segments_of_another_network_are_refused() {
    let (s, mut segments) = tamper_setup(28);
    let mut other = setup(29, small());
    // The same customer key, another network.
    let mut settings = other.config.settings().clone();
    settings.archive_key = Some(s.archive_key.public_key());
    other.config = RetentionConfig::issue(&other.network_key, settings).unwrap();
    let foreign = bytes_of(&archive(&mut other, 3, 10));
    segments.push(foreign[0].clone());
    let report = read(&s.archive_key, &segments);
    assert_eq!(kinds(&report), vec![ProblemKind::WrongNetwork]);
}

#[test]
fn a_crash_leaves_a_truncated_segment_and_the_chain_goes_on() {
    let mut s = setup(30, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let mut stored = Vec::new();
    for sequence in 1..=3 {
        let bytes = content(sequence, "before");
        archiver
            .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
            .unwrap();
    }
    stored.push(archiver.rotate(T0).unwrap().bytes);
    let head = archiver.head();
    for sequence in 4..=5 {
        let bytes = content(sequence, "lost in the crash");
        archiver
            .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
            .unwrap();
    }
    let partial = archiver.drain().unwrap();
    drop(archiver);
    stored.push(partial.bytes);

    // The service restarts from the head it stored with segment 0.
    let mut archiver = ComplianceArchiver::new(&s.config, &s.compliance, head).unwrap();
    for sequence in 6..=7 {
        let bytes = content(sequence, "after");
        archiver
            .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
            .unwrap();
    }
    let resumed = archiver.rotate(T0).unwrap();
    assert_eq!(resumed.index, 1);
    stored.push(resumed.bytes);
    let report = read(&s.archive_key, &stored);
    assert_eq!(kinds(&report), vec![ProblemKind::Truncated]);
    assert_eq!(sequences(&report), (1..=7).collect::<Vec<_>>());
    assert!(report.gaps.is_empty());
}

#[test]
fn a_new_archive_key_applies_from_the_next_segment() {
    let mut s = setup(31, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let bytes = content(1, "old key");
    archiver
        .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
        .unwrap();
    let new_key = ArchivePrivateKey::generate(&mut s.rng);
    let mut next = s.config.settings().clone();
    next.version = 2;
    next.archive_key = Some(new_key.public_key());
    let next = RetentionConfig::issue(&s.network_key, next).unwrap();
    let first = archiver.update_config(T0, &next).unwrap().unwrap();
    let bytes = content(2, "new key");
    archiver
        .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
        .unwrap();
    let second = archiver.rotate(T0).unwrap();
    let segments = [first.bytes, second.bytes];
    let old = read(&s.archive_key, &segments);
    assert_eq!(kinds(&old), vec![ProblemKind::WrongKey]);
    assert_eq!(sequences(&old), vec![1]);
    let new = read(&new_key, &segments);
    assert_eq!(sequences(&new), vec![2]);
    // Read with both keys, each segment verifies; the chain runs across the key change.
    let mut reader = ArchiveReader::new(&new_key);
    reader.starting_at(1);
    let report = reader.read_all([segments[1].as_slice()]);
    assert!(report.is_clean());
    assert_eq!(
        SegmentHeader::peek(&segments[1]).unwrap().previous_hash,
        first.final_hash
    );

    let mut off = next.settings().clone();
    off.version = 3;
    off.enabled = false;
    let off = RetentionConfig::issue(&s.network_key, off).unwrap();
    assert_eq!(
        archiver.update_config(T0, &off).err(),
        Some(ArchiveError::RetentionOff)
    );
}

#[test]
fn oversized_content_is_refused_and_changes_nothing() {
    let mut s = setup(32, Rotation::default());
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let huge = vec![0u8; ember_core::limits::MAX_PLAINTEXT_LEN + 1];
    assert!(matches!(
        archiver.record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &huge)),
        Err(ArchiveError::RecordTooLong { .. })
    ));
    assert_eq!(archiver.open_segment(), None);
    // Content that does not decode is archived as it came (sequence 0).
    let garbage = [0xffu8; 40];
    archiver
        .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &garbage))
        .unwrap();
    let report = read(&s.archive_key, &[archiver.rotate(T0).unwrap().bytes]);
    let ArchiveEntry::Message(message) = &report.records[0].entry else {
        panic!()
    };
    assert_eq!(
        (message.sequence, message.content.as_slice()),
        (0, &garbage[..])
    );
    assert!(message.decode_content().is_err());
}

// ---------------------------------------------------------------------------------------------
// The byte layout, decrypted from the specification with the bare primitives.

#[test]
fn layout_matches_the_specification() {
    let mut s = setup(33, Rotation::default());
    let segments = archive(&mut s, 2, 5);
    let segment = &segments[0].bytes;
    let header = &segment[..HEADER_LEN];
    assert_eq!(&header[..4], b"EMBA");
    assert_eq!(header[4], 1);
    assert_eq!(&header[5..21], &s.network.0);
    assert_eq!(&header[21..29], &0u64.to_be_bytes());
    assert_eq!(&header[29..61], &[0; 32]);
    assert_eq!(&header[61..69], &T0.0.to_be_bytes());
    assert_eq!(
        &header[69..101],
        &s.compliance.certificate().signing_key().to_bytes()
    );
    let ephemeral = &header[101..133];

    // Unwrap: X25519, HKDF-SHA256(salt = "", info = label || ephemeral || archive key).
    let shared = {
        let ours = ember_core::crypto::dh::PrivateKey::from_secret(&s.archive_key.to_secret());
        ours.agree(&ember_core::crypto::dh::PublicKey::from_slice(ephemeral).unwrap())
            .unwrap()
    };
    let mut info = b"ember/v1/archive-key-wrap\0".to_vec();
    info.extend_from_slice(ephemeral);
    info.extend_from_slice(s.archive_key.public_key().as_bytes());
    let mut wrap_key = [0u8; 32];
    kdf::hkdf_sha256(&[], shared.expose(), &info, &mut wrap_key).unwrap();
    let data_key: [u8; 32] = aead::open(&wrap_key, &[0; 12], &header[..133], &header[133..181])
        .unwrap()
        .try_into()
        .unwrap();
    let _ = Secret32::from_slice(&data_key);

    let start: [u8; 32] = Sha256::new()
        .chain_update(b"ember/v1/archive-segment\0")
        .chain_update(header)
        .finalize()
        .into();
    let mut chain = start;
    let mut at = HEADER_LEN;
    let mut plaintexts = Vec::new();
    for index in 0u32..3 {
        let len = u32::from_be_bytes(segment[at..at + 4].try_into().unwrap()) as usize;
        let flag = segment[at + 4];
        assert_eq!(&segment[at + 5..at + 9], &index.to_be_bytes());
        assert_eq!(flag, u8::from(index == 2));
        let frame = &segment[at..at + 9 + len];
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&index.to_be_bytes());
        nonce[4] = flag;
        let plaintext = aead::open(&data_key, &nonce, &start, &frame[9..]).unwrap();
        let before = chain;
        chain = Sha256::new()
            .chain_update(b"ember/v1/archive-chain\0")
            .chain_update(before)
            .chain_update(frame)
            .finalize()
            .into();
        if flag == 1 {
            assert_eq!(plaintext.len(), TRAILER_LEN);
            assert_eq!(&plaintext[..8], &2u64.to_be_bytes());
            assert_eq!(&plaintext[8..16], &T0.0.to_be_bytes());
            assert_eq!(&plaintext[16..], &before);
        } else {
            plaintexts.push(plaintext);
        }
        at += 9 + len;
    }
    assert_eq!(chain, segments[0].final_hash);
    let signature = ember_core::crypto::sign::Signature::from_slice(&segment[at..]).unwrap();
    let signer: VerifyingKey = *s.compliance.certificate().signing_key();
    signer
        .verify(b"ember/v1/archive-signature\0", &chain, &signature)
        .unwrap();
    assert_eq!(at + SIGNATURE_LEN, segment.len());
    // Each record's plaintext is an ember.v1.ArchiveRecord holding the content as received.
    use ember_core::retention::ArchiveEntry as E;
    let report = read(&s.archive_key, std::slice::from_ref(segment));
    for (record, plaintext) in report.records.iter().zip(&plaintexts) {
        let E::Message(message) = &record.entry else {
            panic!()
        };
        let decoded = <ember_proto::v1::ArchiveRecord as ember_proto::prost::Message>::decode(
            plaintext.as_slice(),
        )
        .unwrap();
        assert_eq!(
            decoded.message.as_ref().unwrap().content,
            message.content.as_slice()
        );
    }
}

#[test]
fn debug_output_holds_no_secret() {
    let mut s = setup(34, Rotation::default());
    let shown = format!("{:?}", s.archive_key);
    assert!(
        shown.starts_with("ArchivePrivateKey {") && shown.ends_with(".. }"),
        "{shown}"
    );
    let secret = s.archive_key.to_secret();
    let hex: String = secret.expose()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!shown.contains(&hex));
    let mut archiver =
        ComplianceArchiver::new(&s.config, &s.compliance, ChainHead::GENESIS).unwrap();
    let bytes = content(1, "top secret text");
    archiver
        .record_message(&mut s.rng, T0, &input(alice_bob(), device(1, 1), &bytes))
        .unwrap();
    let shown = format!("{archiver:?}");
    assert!(shown.ends_with(".. }"), "{shown}");
    let mut file = FileArchiving::new(FileId([1; 32]));
    archiver
        .push_file(&mut s.rng, T0, &mut file, b"top secret file")
        .unwrap();
    assert!(!format!("{file:?}").contains("secret"));
    let segment = archiver.rotate(T0).unwrap();
    let report = read(&s.archive_key, &[segment.bytes]);
    let shown = format!("{:?}", report.records);
    assert!(
        !shown.contains("secret") && !shown.contains("116, 111, 112"),
        "{shown}"
    );
    assert!(!format!("{:?}", input(alice_bob(), device(1, 1), &bytes)).contains("116, 111"));
}
