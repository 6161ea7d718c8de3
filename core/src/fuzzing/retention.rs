//! Data retention: [`retention`] on a fixed network, archive key and compliance archive, and
//! its seeds.
//!
//! The first byte picks the decoder (modulo 3): the network's signed [`RetentionConfig`], a
//! compliance device's 1:1 plaintext ([`Inbound`]), or archive segments for an
//! [`ArchiveReader`]. The fixtures (the network key and id, the customer's archive key, the
//! compliance device and the three segments a fixed [`ComplianceArchiver`] wrote) are made
//! from fixed seeds at fixed times, so the seeds made here are valid for them.

use alloc::string::String;
use alloc::vec::Vec;

use rand_chacha::ChaCha20Rng;

use super::{NOW, flipped, rng, truncated};
use crate::content::{Body, Content, MessageId};
use crate::crypto::sign::VerifyingKey;
use crate::identity::{Account, Device};
use crate::ids::{AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::network::{NetworkId, NetworkKey};
use crate::payload::Payload;
use crate::retention::{
    ArchiveEntry, ArchivePrivateKey, ArchiveReader, ArchiveRecord, ArchiveReport, ChainHead,
    ComplianceArchiver, ConfigError, Conversation, FILE_ID_LEN, FileArchiving, FileId, GapNotice,
    Inbound, RetentionConfig, RetentionSettings, Rotation, compliance_copy, notice_for_change,
};

/// The seed of the network's key and id.
const NETWORK: u8 = 0x4e;
/// The seed of another network's id.
const OTHER_NETWORK: u8 = 0x4f;
/// The seed of the customer's archive key.
const ARCHIVE_KEY: u8 = 0xa4;
/// The seed of another archive key, which the reader does not hold.
const OTHER_ARCHIVE_KEY: u8 = 0xa5;
/// The seed of the compliance account and its device.
const COMPLIANCE: u8 = 0xc4;
/// The seed of the archiver's randomness (data keys, wrapping).
const ARCHIVER: u8 = 0xa6;
/// The two accounts whose conversation the archive holds.
const ALICE: DeviceAddress = DeviceAddress {
    account: AccountId::from_bytes([0xa1; 16]),
    device: DeviceId(1),
};
const BOB: DeviceAddress = DeviceAddress {
    account: AccountId::from_bytes([0xb0; 16]),
    device: DeviceId(2),
};
/// The archived file.
const FILE: FileId = FileId([0xf1; FILE_ID_LEN]);
/// How many segments the fixed archive has.
const SEGMENTS: usize = 3;

/// When the archiver receives the `n`th thing it archives: a minute apart, after [`NOW`].
const fn at(n: u64) -> Timestamp {
    Timestamp(NOW.0 + 60 * n)
}

fn network() -> (NetworkKey, NetworkId) {
    let mut rng = rng(NETWORK);
    (
        NetworkKey::generate(&mut rng),
        NetworkId::generate(&mut rng),
    )
}

fn archive_key(seed: u8) -> ArchivePrivateKey {
    ArchivePrivateKey::generate(&mut rng(seed))
}

fn compliance_device() -> Device {
    let mut rng = rng(COMPLIANCE);
    Account::generate(&mut rng).new_device(&mut rng, NOW)
}

/// The network's configuration: retention on, the fixed compliance device, `archive`'s key.
fn config(
    key: &NetworkKey,
    network: NetworkId,
    version: u64,
    enabled: bool,
    device: &Device,
    archive: &ArchivePrivateKey,
) -> RetentionConfig {
    RetentionConfig::issue(
        key,
        RetentionSettings {
            network,
            version,
            enabled,
            compliance_devices: alloc::vec![device.certificate().clone()],
            archive_key: Some(archive.public_key()),
            issued_at: NOW,
            rotation: Rotation::default(),
        },
    )
    .expect("the fixed configuration is valid")
}

/// An archive record, comparable: what the archiver wrote, or what the reader read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    segment: u64,
    index: u32,
    entry: Entry,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Message {
        conversation: Conversation,
        sender: DeviceAddress,
        sequence: u64,
        sent_at: Timestamp,
        received_at: Timestamp,
        content: Vec<u8>,
    },
    FileChunk {
        file: FileId,
        offset: u64,
        data: Vec<u8>,
        last: bool,
    },
    Gap(GapNotice),
}

impl From<&ArchiveRecord> for Record {
    fn from(record: &ArchiveRecord) -> Self {
        let entry = match &record.entry {
            ArchiveEntry::Message(message) => Entry::Message {
                conversation: message.conversation,
                sender: message.sender,
                sequence: message.sequence,
                sent_at: message.sent_at,
                received_at: message.received_at,
                content: message.content.to_vec(),
            },
            ArchiveEntry::FileChunk(chunk) => Entry::FileChunk {
                file: chunk.file,
                offset: chunk.offset,
                data: chunk.data.to_vec(),
                last: chunk.last,
            },
            ArchiveEntry::Gap(notice) => Entry::Gap(notice.clone()),
        };
        Self {
            segment: record.segment,
            index: record.index,
            entry,
        }
    }
}

/// The fixed archive and what it holds.
struct Archive {
    /// The customer's archive key, which every segment is written to.
    key: ArchivePrivateKey,
    /// The compliance device's signing key, the one signer the reader trusts.
    signer: VerifyingKey,
    /// The segments, in order: two messages with a gap between them; a file; a message.
    segments: Vec<Vec<u8>>,
    /// What the archiver recorded, in order.
    records: Vec<Record>,
    /// The compliance copies it archived, as the compliance device received them.
    copies: Vec<Vec<u8>>,
    /// A segment written to another archive key.
    foreign: Vec<u8>,
}

/// A message of the conversation between [`ALICE`] and [`BOB`].
fn content(sequence: u64, sent_at: Timestamp, text: &str) -> Content {
    let mut content = Content::new(
        MessageId([sequence as u8; 16]),
        sent_at,
        Body::Text(String::from(text)),
    );
    content.sequence = sequence;
    content
}

fn make_archive() -> Archive {
    let (network_key, network) = network();
    let key = archive_key(ARCHIVE_KEY);
    let device = compliance_device();
    let config = config(&network_key, network, 1, true, &device, &key);
    let mut archiver = ComplianceArchiver::new(&config, &device, ChainHead::GENESIS)
        .expect("the compliance device is listed");
    let mut rng = rng(ARCHIVER);
    let conversation = Conversation::direct(ALICE.account, BOB.account);
    let mut records = Vec::new();
    let mut copies = Vec::new();
    let mut segments = Vec::new();
    let mut message = |rng: &mut ChaCha20Rng,
                       archiver: &mut ComplianceArchiver,
                       records: &mut Vec<Record>,
                       (segment, index): (u64, u32),
                       sender: DeviceAddress,
                       content: &Content,
                       received_at: Timestamp| {
        let peer = if sender == ALICE { BOB } else { ALICE };
        let copy = compliance_copy(peer.account, content);
        let Ok(Inbound::Copy(inbound)) = Inbound::decode(&copy) else {
            panic!("a compliance copy decodes as one");
        };
        archiver
            .record_message(rng, received_at, &inbound.message(sender, received_at))
            .expect("the archiver takes a message");
        records.push(Record {
            segment,
            index,
            entry: Entry::Message {
                conversation,
                sender,
                sequence: content.sequence,
                sent_at: content.sent_at,
                received_at,
                content: content.encode().to_vec(),
            },
        });
        copies.push(copy.to_vec());
    };

    // Segment 0: Alice's first and third messages, and the gap the second left.
    message(
        &mut rng,
        &mut archiver,
        &mut records,
        (0, 0),
        ALICE,
        &content(1, at(0), "one"),
        at(1),
    );
    message(
        &mut rng,
        &mut archiver,
        &mut records,
        (0, 2),
        ALICE,
        &content(3, at(2), "three"),
        at(3),
    );
    records.insert(
        1,
        Record {
            segment: 0,
            index: 1,
            entry: Entry::Gap(GapNotice {
                gap: crate::retention::Gap {
                    conversation,
                    sender: ALICE,
                    missing: 2..3,
                },
                detected_at: at(3),
            }),
        },
    );
    segments.push(archiver.rotate(at(4)).expect("segment 0 is open").bytes);

    // Segment 1: a file of 100 bytes.
    let data: Vec<u8> = (0..100u8).collect();
    let mut file = FileArchiving::new(FILE);
    archiver
        .push_file(&mut rng, at(5), &mut file, &data)
        .expect("the archiver takes a file");
    archiver
        .finish_file(&mut rng, at(5), file)
        .expect("the archiver ends a file");
    records.push(Record {
        segment: 1,
        index: 0,
        entry: Entry::FileChunk {
            file: FILE,
            offset: 0,
            data,
            last: true,
        },
    });
    segments.push(archiver.rotate(at(6)).expect("segment 1 is open").bytes);

    // Segment 2: Bob's reply.
    message(
        &mut rng,
        &mut archiver,
        &mut records,
        (2, 0),
        BOB,
        &content(1, at(7), "reply"),
        at(8),
    );
    segments.push(archiver.rotate(at(9)).expect("segment 2 is open").bytes);

    // A segment of another archive, under another key.
    let other_key = archive_key(OTHER_ARCHIVE_KEY);
    let other_config = self::config(&network_key, network, 1, true, &device, &other_key);
    let mut other = ComplianceArchiver::new(&other_config, &device, ChainHead::GENESIS)
        .expect("the compliance device is listed");
    let copy = Inbound::decode(&copies[0]).expect("the copy decodes");
    let Inbound::Copy(copy) = copy else {
        panic!("a compliance copy decodes as one");
    };
    other
        .record_message(&mut rng, at(1), &copy.message(ALICE, at(1)))
        .expect("the archiver takes a message");
    let foreign = other.rotate(at(2)).expect("a segment is open").bytes;

    let archive = Archive {
        key,
        signer: *device.certificate().signing_key(),
        segments,
        records,
        copies,
        foreign,
    };
    let (report, read) = read(&archive, &archive.segments, None);
    assert!(
        report.is_clean(),
        "the fixed archive does not read cleanly: {:?}",
        report.problems
    );
    assert_eq!(read, archive.records, "the fixed archive reads otherwise");
    archive
}

super::fixture! {
    /// Made once per process with `std`, on every call without.
    fn archive() -> Archive = make_archive;
}

/// Reads `segments` with the fixed archive key, trusting the fixed signer: each segment in
/// one push, or in pushes of `piece` bytes.
fn read(
    archive: &Archive,
    segments: &[Vec<u8>],
    piece: Option<usize>,
) -> (ArchiveReport, Vec<Record>) {
    let mut reader = ArchiveReader::new(&archive.key);
    reader.trust_signer(archive.signer);
    let mut records = Vec::new();
    for segment in segments {
        match piece {
            None => reader.push(segment, &mut records),
            Some(piece) => {
                for part in segment.chunks(piece) {
                    reader.push(part, &mut records);
                }
            }
        }
        reader.end_segment();
    }
    let report = reader.finish();
    assert!(
        report.records.is_empty(),
        "a streamed read kept its records"
    );
    (report, records.iter().map(Record::from).collect())
}

/// Feeds the input to one of the retention decoders; the first byte picks which (modulo 3):
///
/// - 0: [`RetentionConfig::from_bytes`] under the fixed network's key and id. An accepted
///   configuration re-encodes to one that decodes equal (and encodes to the same bytes
///   again), is taken by [`RetentionConfig::accept`] with and without itself as the current
///   one, may replace itself ([`RetentionConfig::check_update`]: a repeat), shows no notice
///   when replacing itself, and re-issued with the network key decodes to equal settings.
/// - 1: [`Inbound::decode`]. An accepted compliance copy whose content decodes is made again
///   by [`compliance_copy`] and decodes to the same peer and content; an accepted payload
///   re-encodes to an equal payload.
/// - 2: the fixed archive's reader ([`ArchiveReader`] with the fixed archive key, trusting the
///   fixed compliance device). The next byte gives the number of segments (bits 0-1, plus
///   one) and a piece size (the other bits, plus one); then the length of each segment but
///   the last (two bytes each, big-endian); the rest is the segments. They are read with one
///   push per segment and again in pieces of that size, which must find the same records,
///   segments, gaps and problems. Every record read must be one the fixed archiver wrote, at
///   the same place; the report is clean exactly when the segments are the fixed archive's
///   first segments, unchanged and in order, and then holds all their records.
pub fn retention(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => retention_config(input),
        1 => inbound(input),
        _ => archive_segments(input),
    }
}

fn retention_config(input: &[u8]) {
    let (key, network) = network();
    let public = key.public_key();
    let Ok(config) = RetentionConfig::from_bytes(input, network, &public) else {
        return;
    };
    let encoded = config.to_bytes();
    let decoded = RetentionConfig::from_bytes(&encoded, network, &public);
    assert_eq!(
        decoded.as_ref(),
        Ok(&config),
        "a configuration does not survive re-encoding"
    );
    if let Ok(decoded) = &decoded {
        assert_eq!(
            decoded.to_bytes(),
            encoded,
            "configuration encoding is not stable"
        );
        assert_eq!(decoded.settings(), config.settings());
    }
    assert_eq!(
        config.check_update(&config),
        Ok(()),
        "a configuration may not repeat itself"
    );
    assert_eq!(
        RetentionConfig::accept(None, input, network, &public).as_ref(),
        Ok(&config),
        "a verified configuration is not accepted"
    );
    assert_eq!(
        RetentionConfig::accept(Some(&config), input, network, &public).as_ref(),
        Ok(&config),
        "a configuration is not accepted as a repeat of itself"
    );
    assert_eq!(
        notice_for_change(Some(&config), &config),
        None,
        "a repeated configuration shows a notice"
    );
    let reissued = RetentionConfig::issue(&key, config.settings().clone())
        .expect("verified settings are valid");
    let reverified = RetentionConfig::from_bytes(&reissued.to_bytes(), network, &public)
        .expect("re-issued settings verify");
    assert_eq!(
        reverified.settings(),
        config.settings(),
        "settings do not survive re-issuing"
    );
    if reissued != config {
        assert!(
            matches!(
                config.check_update(&reissued),
                Err(ConfigError::Equivocation { .. })
            ),
            "other bytes with the same version are not an equivocation"
        );
    }
}

fn inbound(input: &[u8]) {
    match Inbound::decode(input) {
        Err(_) => {}
        Ok(Inbound::Copy(copy)) => {
            let Ok(content) = copy.decode_content() else {
                return;
            };
            let again = compliance_copy(copy.peer(), &content);
            let Ok(Inbound::Copy(decoded)) = Inbound::decode(&again) else {
                panic!("a compliance copy made again does not decode as one");
            };
            assert_eq!(decoded.peer(), copy.peer(), "a copy changed its peer");
            assert_eq!(
                decoded.decode_content().as_ref(),
                Ok(&content),
                "a copy does not survive re-encoding"
            );
            assert_eq!(
                compliance_copy(decoded.peer(), &content).as_slice(),
                again.as_slice(),
                "compliance copy encoding is not stable"
            );
        }
        Ok(Inbound::Payload(payload)) => {
            let encoded = payload.encode();
            let Ok(Inbound::Payload(decoded)) = Inbound::decode(&encoded) else {
                panic!("a re-encoded payload does not decode as one");
            };
            assert_eq!(decoded, payload, "a payload does not survive re-encoding");
            assert_eq!(
                decoded.encode().as_slice(),
                encoded.as_slice(),
                "payload encoding is not stable"
            );
        }
    }
}

/// Splits the archive input: the segments and the piece size.
fn split_segments(input: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let (&shape, mut rest) = input.split_first()?;
    let count = usize::from(shape % 4) + 1;
    let piece = usize::from(shape / 4) + 1;
    let mut lengths = Vec::with_capacity(count);
    for _ in 1..count {
        let (length, after) = rest.split_first_chunk::<2>()?;
        lengths.push(usize::from(u16::from_be_bytes(*length)));
        rest = after;
    }
    let mut segments = Vec::with_capacity(count);
    for length in lengths {
        let (segment, after) = rest.split_at(length.min(rest.len()));
        segments.push(segment.to_vec());
        rest = after;
    }
    segments.push(rest.to_vec());
    Some((segments, piece))
}

fn archive_segments(input: &[u8]) {
    let Some((segments, piece)) = split_segments(input) else {
        return;
    };
    let archive = archive();
    let (report, records) = read(archive, &segments, None);
    let (pieces, pieced) = read(archive, &segments, Some(piece));
    assert_eq!(pieced, records, "the pieces changed the records read");
    assert_eq!(
        pieces.problems, report.problems,
        "the pieces changed the problems found"
    );
    assert_eq!(
        pieces.segments, report.segments,
        "the pieces changed the segments"
    );
    assert_eq!(pieces.gaps, report.gaps, "the pieces changed the gaps");
    for record in &records {
        assert!(
            archive.records.contains(record),
            "a record the archiver did not write was read: {record:?}"
        );
    }
    let genuine = segments.len() <= SEGMENTS && segments[..] == archive.segments[..segments.len()];
    if genuine {
        let last = segments.len() as u64;
        let written: Vec<Record> = archive
            .records
            .iter()
            .filter(|record| record.segment < last)
            .cloned()
            .collect();
        assert!(
            report.is_clean(),
            "the fixed archive's segments are not clean: {:?}",
            report.problems
        );
        assert_eq!(
            records, written,
            "the fixed archive's records read otherwise"
        );
    } else {
        assert!(!report.problems.is_empty(), "altered segments read cleanly");
    }
}

/// The archive input: `segments` with the given piece size (1 to 64).
fn archive_input(segments: &[&[u8]], piece: u8) -> Vec<u8> {
    assert!((1..=64).contains(&piece) && (1..=4).contains(&segments.len()));
    let shape = (piece - 1) * 4 + (segments.len() as u8 - 1);
    let mut input = alloc::vec![2, shape];
    for segment in &segments[..segments.len() - 1] {
        let length = u16::try_from(segment.len()).expect("a fixture segment is small");
        input.extend_from_slice(&length.to_be_bytes());
    }
    for segment in segments {
        input.extend_from_slice(segment);
    }
    input
}

/// The seeds of [`retention`].
pub(super) fn seeds(add: &mut impl FnMut(&'static str, &'static str, Vec<u8>)) {
    let mut seed = |name, data| add("retention", name, data);
    let input = |selector: u8, bytes: &[u8]| [&[selector][..], bytes].concat();

    let (network_key, network) = network();
    let other_network = NetworkId::generate(&mut rng(OTHER_NETWORK));
    let device = compliance_device();
    let key = archive_key(ARCHIVE_KEY);
    let on = config(&network_key, network, 1, true, &device, &key).to_bytes();
    let off = config(&network_key, network, 2, false, &device, &key).to_bytes();
    let foreign = config(&network_key, other_network, 1, true, &device, &key).to_bytes();
    seed("seed-config", input(0, &on));
    seed("seed-config-off", input(0, &off));
    seed("seed-config-other-network", input(0, &foreign));
    seed("seed-config-bad-signature", input(0, &flipped(&on)));
    seed("seed-config-truncated", input(0, &truncated(&on)));

    let archive = archive();
    let payload = Payload::Content(content(5, NOW, "to the compliance device")).encode();
    seed("seed-copy", input(1, &archive.copies[0]));
    seed("seed-copy-reply", input(1, &archive.copies[2]));
    seed("seed-payload", input(1, &payload));
    seed(
        "seed-copy-truncated",
        input(1, &truncated(&archive.copies[1])),
    );

    let [first, second, third] = [0, 1, 2].map(|at| archive.segments[at].as_slice());
    let mut altered = second.to_vec();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x40;
    seed("seed-archive", archive_input(&[first, second, third], 64));
    seed("seed-archive-first", archive_input(&[first], 1));
    seed("seed-archive-two", archive_input(&[first, second], 7));
    seed(
        "seed-archive-truncated",
        archive_input(&[first, &truncated(second)], 64),
    );
    seed(
        "seed-archive-altered",
        archive_input(&[first, &altered, third], 64),
    );
    seed(
        "seed-archive-bad-signature",
        archive_input(&[first, &flipped(second)], 64),
    );
    seed(
        "seed-archive-reordered",
        archive_input(&[second, first, third], 64),
    );
    seed("seed-archive-duplicate", archive_input(&[first, first], 64));
    seed(
        "seed-archive-missing-segment",
        archive_input(&[first, third], 64),
    );
    seed(
        "seed-archive-trailing-data",
        archive_input(&[&[first, &[0][..]].concat()], 64),
    );
    seed(
        "seed-archive-joined",
        archive_input(&[&[first, second].concat()], 64),
    );
    seed(
        "seed-archive-other-key",
        archive_input(&[&archive.foreign], 64),
    );
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::retention::{ArchiveProblem, ProblemKind};

    /// Whether the problems include one of `kind`.
    fn has(problems: &[ArchiveProblem], kind: ProblemKind) -> bool {
        problems.iter().any(|problem| problem.kind == kind)
    }

    /// The seeds the fixtures must refuse.
    pub(in crate::fuzzing) const REFUSED: &[&str] = &[
        "seed-config-other-network",
        "seed-config-bad-signature",
        "seed-config-truncated",
        "seed-copy-truncated",
        "seed-archive-truncated",
        "seed-archive-altered",
        "seed-archive-bad-signature",
        "seed-archive-reordered",
        "seed-archive-duplicate",
        "seed-archive-missing-segment",
        "seed-archive-trailing-data",
        "seed-archive-joined",
        "seed-archive-other-key",
    ];

    /// Whether the fixture accepts the input: verifies, decodes or reads cleanly.
    pub(in crate::fuzzing) fn accepted(data: &[u8]) -> bool {
        let (&selector, input) = data.split_first().unwrap();
        match selector % 3 {
            0 => {
                let (key, network) = network();
                RetentionConfig::from_bytes(input, network, &key.public_key()).is_ok()
            }
            1 => Inbound::decode(input).is_ok(),
            _ => {
                let (segments, _) = split_segments(input).unwrap();
                read(archive(), &segments, None).0.is_clean()
            }
        }
    }

    #[test]
    fn broken_archives_show_what_is_wrong() {
        let archive = archive();
        let problems = |name: &str| {
            let seeds = crate::fuzzing::seed_corpus();
            let seed = seeds.iter().find(|seed| seed.name == name).unwrap();
            let (segments, _) = split_segments(&seed.data[1..]).unwrap();
            read(archive, &segments, None).0.problems
        };
        assert!(has(
            &problems("seed-archive-truncated"),
            ProblemKind::Truncated
        ));
        assert!(has(&problems("seed-archive-altered"), ProblemKind::Altered));
        assert!(has(
            &problems("seed-archive-bad-signature"),
            ProblemKind::BadSignature
        ));
        assert!(has(
            &problems("seed-archive-reordered"),
            ProblemKind::Reordered
        ));
        assert!(has(
            &problems("seed-archive-duplicate"),
            ProblemKind::DuplicateSegment
        ));
        assert!(has(
            &problems("seed-archive-missing-segment"),
            ProblemKind::MissingSegments { count: 1 }
        ));
        assert!(has(
            &problems("seed-archive-trailing-data"),
            ProblemKind::TrailingData
        ));
        assert!(has(
            &problems("seed-archive-joined"),
            ProblemKind::TrailingData
        ));
        assert!(has(
            &problems("seed-archive-other-key"),
            ProblemKind::WrongKey
        ));
    }
}
