//! The archive reader: verifies the chain and decrypts segments with the archive private key,
//! reporting every gap and every problem and going on past each one where it can.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::fmt;

use zeroize::{Zeroize, Zeroizing};

use super::MAX_RECORD_LEN;
use super::format::{
    self, FLAG_RECORD, FLAG_TRAILER, FRAME_HEADER_LEN, HASH_LEN, HEADER_LEN, SIGNATURE_LEN,
    SegmentHeader, TRAILER_LEN,
};
use super::keys::ArchivePrivateKey;
use super::ranges::RangeSet;
use super::record::{ArchiveEntry, ArchiveRecord, Conversation, FileId, Gap, decode_entry};
use crate::crypto::Secret32;
use crate::crypto::aead;
use crate::crypto::sign::{Signature, VerifyingKey};
use crate::domain;
use crate::ids::{DeviceAddress, Timestamp};
use crate::network::NetworkId;

/// Longest frame the reader accepts: the largest record plaintext and its tag. A longer length
/// field cannot be genuine, and nothing after it can be found.
const MAX_FRAME_LEN: usize = MAX_RECORD_LEN + aead::TAG_LEN;

/// What is wrong, in one [`ArchiveProblem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not a segment of this format: shorter than a header, another magic or format.
    Unreadable,
    /// The segment's data key does not unwrap: the archive key is not the one it was written
    /// to, or its header was altered. Nothing in it can be read.
    WrongKey,
    /// The segment belongs to another network's archive than the first segment read.
    WrongNetwork,
    /// The segment is signed by a key the reader was not told to trust.
    UntrustedSigner,
    /// The segment's signature does not verify (or its signer key is not a valid key).
    BadSignature,
    /// Segments are missing: `count` indexes from `segment` on were never read.
    MissingSegments {
        /// How many consecutive indexes are missing.
        count: u64,
    },
    /// The segment was read already (the same bytes), or a different complete segment with
    /// the same index was: the archive forked.
    DuplicateSegment,
    /// The segment came after one with a higher index, or the record after one with a higher
    /// index: out of order (the content itself verified).
    Reordered,
    /// The segment does not continue the chain: the previous segment's final hash is not the
    /// one it names, so the previous segment was replaced or this one was made for another
    /// chain.
    BrokenChain,
    /// The record does not authenticate: it was altered, or moved in from another segment.
    Altered,
    /// Records are missing: `count` indexes from `record` on were never read.
    MissingRecords {
        /// How many consecutive indexes are missing.
        count: u64,
    },
    /// A record was read twice.
    DuplicateRecord,
    /// A record authenticated but does not decode, or a frame's header is impossible.
    Malformed,
    /// The segment ends before its trailer and signature: it was cut, or never closed (the
    /// compliance side stopped while writing it).
    Truncated,
    /// Every record authenticated but the trailer's record count or chain hash disagrees.
    ChainMismatch,
    /// Bytes follow the segment's signature.
    TrailingData,
    /// A file's chunks do not cover it from its start to its last chunk.
    IncompleteFile(FileId),
}

/// One problem found in an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveProblem {
    /// The input segment concerned: its position in the order the segments were given.
    pub position: Option<usize>,
    /// The segment index concerned, when known.
    pub segment: Option<u64>,
    /// The record index within the segment, when it concerns a record.
    pub record: Option<u32>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What the reader learned about one input segment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentSummary {
    /// Its position in the order the segments were given.
    pub position: usize,
    /// Its index.
    pub index: u64,
    /// When the compliance side opened it.
    pub created_at: Timestamp,
    /// When the compliance side closed it (from its trailer), if the trailer was read.
    pub closed_at: Option<Timestamp>,
    /// How many records were read from it.
    pub records: u64,
    /// Whether it was read whole: trailer and a valid signature.
    pub complete: bool,
    /// The Ed25519 key of the compliance device that signed it.
    pub signer: [u8; 32],
}

/// Everything the reader found.
#[derive(Debug, Default)]
pub struct ArchiveReport {
    /// The records, in the order read ([`ArchiveReader::read_all`]; empty after streaming
    /// with [`ArchiveReader::push`]).
    pub records: Vec<ArchiveRecord>,
    /// The segments read, in the order given.
    pub segments: Vec<SegmentSummary>,
    /// Messages never received, per conversation and sender: the holes in the sequence
    /// numbers archived, and the gaps the compliance side noted, less what arrived later.
    pub gaps: Vec<Gap>,
    /// Every problem, in the order found; the chain and file checks come last.
    pub problems: Vec<ArchiveProblem>,
}

impl ArchiveReport {
    /// Whether the archive verified without a problem (gaps are not problems of the archive).
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads an archive with the archive private key, in constant memory: segments are pushed in
/// pieces of any size and records come out as they verify.
///
/// ```text
/// let mut reader = ArchiveReader::new(&key);
/// for segment in segments { reader.push(segment, &mut records); reader.end_segment(); }
/// let report = reader.finish();
/// ```
///
/// Every record authenticates on its own (its segment's data key, its index and flag in the
/// nonce, the segment header's hash as associated data), so one bad record does not hide the
/// others; the chain over the frames, the trailer and the signature then show what is missing,
/// reordered or cut. Segments may come in any order: the links between them are checked at
/// [`ArchiveReader::finish`].
pub struct ArchiveReader<'k> {
    key: &'k ArchivePrivateKey,
    trusted: Vec<VerifyingKey>,
    first_segment: u64,
    network: Option<NetworkId>,
    next_position: usize,
    highest_index: Option<u64>,
    starts: BTreeSet<[u8; HASH_LEN]>,
    segments: Vec<SegmentInfo>,
    streams: BTreeMap<(Conversation, DeviceAddress), Stream>,
    files: BTreeMap<FileId, FileProgress>,
    problems: Vec<ArchiveProblem>,
    current: Option<Current>,
}

struct SegmentInfo {
    summary: SegmentSummary,
    previous_hash: [u8; HASH_LEN],
    final_hash: Option<[u8; HASH_LEN]>,
}

#[derive(Default)]
struct Stream {
    seen: RangeSet,
    noted: RangeSet,
}

#[derive(Default)]
struct FileProgress {
    written: RangeSet,
    end: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    Frame,
    Signature,
    Done,
    Skip,
}

struct Current {
    position: usize,
    phase: Phase,
    /// The header, frame or signature being gathered (a frame is decrypted in place).
    buf: Zeroizing<Vec<u8>>,
    /// Length, flag and index of the frame being gathered, once its header is in.
    frame: Option<(usize, u8, u32)>,
    header: Option<SegmentHeader>,
    data_key: Option<Secret32>,
    start: [u8; HASH_LEN],
    chain: [u8; HASH_LEN],
    seen: RangeSet,
    closed_at: Option<Timestamp>,
    final_hash: Option<[u8; HASH_LEN]>,
    signature_ok: bool,
    /// A problem with a record was found: the chain's disagreement with the trailer, its
    /// consequence, is not reported again.
    troubled: bool,
    records: u64,
}

impl<'k> ArchiveReader<'k> {
    /// A reader for archives written to `key`'s public key.
    pub fn new(key: &'k ArchivePrivateKey) -> Self {
        Self {
            key,
            trusted: Vec::new(),
            first_segment: 0,
            network: None,
            next_position: 0,
            highest_index: None,
            starts: BTreeSet::new(),
            segments: Vec::new(),
            streams: BTreeMap::new(),
            files: BTreeMap::new(),
            problems: Vec::new(),
            current: None,
        }
    }

    /// Reads `segments` in the order given and reports everything (records included).
    pub fn open<'a>(
        key: &'k ArchivePrivateKey,
        segments: impl IntoIterator<Item = &'a [u8]>,
    ) -> ArchiveReport {
        Self::new(key).read_all(segments)
    }

    /// Accepts segments signed by `signer` only (call once per compliance device, for
    /// example with [`super::RetentionConfig::archive_signers`]). Without any, every signer is
    /// accepted and named in [`SegmentSummary::signer`].
    pub fn trust_signer(&mut self, signer: VerifyingKey) -> &mut Self {
        self.trusted.push(signer);
        self
    }

    /// Reads an archive from segment `index` on: the earlier segments are not expected, and
    /// the first one's link to its predecessor is taken as given.
    pub fn starting_at(&mut self, index: u64) -> &mut Self {
        self.first_segment = index;
        self
    }

    /// Reads `segments` in the order given, then finishes.
    pub fn read_all<'a>(mut self, segments: impl IntoIterator<Item = &'a [u8]>) -> ArchiveReport {
        let mut records = Vec::new();
        for segment in segments {
            self.push(segment, &mut records);
            self.end_segment();
        }
        let mut report = self.finish();
        report.records = records;
        report
    }

    /// Feeds the next bytes of the current segment (a new one if none is open), appending the
    /// records that verified to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<ArchiveRecord>) {
        let position = self.next_position;
        let current = self.current.get_or_insert_with(|| Current::new(position));
        if current.position == position {
            self.next_position += 1;
        }
        while !bytes.is_empty() {
            let Some(current) = self.current.as_mut() else {
                return;
            };
            match current.phase {
                Phase::Header => {
                    if fill(&mut current.buf, &mut bytes, HEADER_LEN) {
                        self.on_header();
                    }
                }
                Phase::Frame => match current.frame {
                    None => {
                        if fill(&mut current.buf, &mut bytes, FRAME_HEADER_LEN) {
                            self.on_frame_header();
                        }
                    }
                    Some((len, ..)) => {
                        if fill(&mut current.buf, &mut bytes, FRAME_HEADER_LEN + len) {
                            self.on_frame(out);
                        }
                    }
                },
                Phase::Signature => {
                    if fill(&mut current.buf, &mut bytes, SIGNATURE_LEN) {
                        self.on_signature();
                    }
                }
                Phase::Done => {
                    self.problem(None, ProblemKind::TrailingData);
                    if let Some(current) = self.current.as_mut() {
                        current.phase = Phase::Skip;
                    }
                }
                Phase::Skip => return,
            }
        }
    }

    /// Ends the current segment: anything it lacks is reported as a truncation.
    pub fn end_segment(&mut self) {
        if self.current.is_none() {
            self.push(&[], &mut Vec::new());
        }
        let Some(current) = self.current.take() else {
            return;
        };
        let mut current = current;
        match current.phase {
            Phase::Header => self.problems.push(ArchiveProblem {
                position: Some(current.position),
                segment: None,
                record: None,
                kind: ProblemKind::Unreadable,
            }),
            Phase::Frame => {
                let end = current.seen.end().unwrap_or(0);
                self.missing_records(&current, end);
                self.problems.push(ArchiveProblem {
                    position: Some(current.position),
                    segment: current.header.map(|h| h.index),
                    record: Some(u32::try_from(end).unwrap_or(u32::MAX)),
                    kind: ProblemKind::Truncated,
                });
            }
            Phase::Signature => self.problems.push(ArchiveProblem {
                position: Some(current.position),
                segment: current.header.map(|h| h.index),
                record: None,
                kind: ProblemKind::Truncated,
            }),
            Phase::Done | Phase::Skip => {}
        }
        current.buf.zeroize();
        if let (Some(header), Some(_)) = (current.header, current.data_key.as_ref()) {
            self.segments.push(SegmentInfo {
                summary: SegmentSummary {
                    position: current.position,
                    index: header.index,
                    created_at: header.created_at,
                    closed_at: current.closed_at,
                    records: current.records,
                    complete: current.final_hash.is_some() && current.signature_ok,
                    signer: header.signer,
                },
                previous_hash: header.previous_hash,
                final_hash: current.final_hash,
            });
        }
    }

    /// Checks the links between the segments read, computes the gaps and checks the files.
    pub fn finish(mut self) -> ArchiveReport {
        if self.current.is_some() {
            self.end_segment();
        }
        self.check_links();
        let gaps = self.gaps();
        for (file, progress) in &self.files {
            let whole = progress
                .end
                .is_some_and(|end| progress.written.holes(0..end).is_empty());
            if !whole {
                self.problems.push(ArchiveProblem {
                    position: None,
                    segment: None,
                    record: None,
                    kind: ProblemKind::IncompleteFile(*file),
                });
            }
        }
        ArchiveReport {
            records: Vec::new(),
            segments: self.segments.into_iter().map(|info| info.summary).collect(),
            gaps,
            problems: self.problems,
        }
    }

    fn problem(&mut self, record: Option<u32>, kind: ProblemKind) {
        let (position, segment) = match &self.current {
            Some(current) => (Some(current.position), current.header.map(|h| h.index)),
            None => (None, None),
        };
        self.problems.push(ArchiveProblem {
            position,
            segment,
            record,
            kind,
        });
    }

    fn skip(&mut self) {
        if let Some(current) = self.current.as_mut() {
            current.phase = Phase::Skip;
            current.buf.zeroize();
        }
    }

    fn on_header(&mut self) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        let header = match SegmentHeader::parse(&current.buf) {
            Ok(header) => header,
            Err(_) => {
                self.problem(None, ProblemKind::Unreadable);
                return self.skip();
            }
        };
        let Some(data_key) = header.unwrap(self.key) else {
            self.problem(None, ProblemKind::WrongKey);
            return self.skip();
        };
        // From here on the header is authentic.
        let encoded = header.encode();
        let start = format::chain_start(&encoded);
        current.header = Some(header);
        if *self.network.get_or_insert(header.network) != header.network {
            self.problem(None, ProblemKind::WrongNetwork);
            return self.skip();
        }
        if !self.starts.insert(start) {
            self.problem(None, ProblemKind::DuplicateSegment);
            return self.skip();
        }
        if self
            .highest_index
            .is_some_and(|highest| header.index < highest)
        {
            self.problem(None, ProblemKind::Reordered);
        }
        self.highest_index = Some(
            self.highest_index
                .map_or(header.index, |h| h.max(header.index)),
        );
        if !self.trusted.is_empty()
            && !self
                .trusted
                .iter()
                .any(|key| key.to_bytes() == header.signer)
        {
            self.problem(None, ProblemKind::UntrustedSigner);
        }
        let Some(current) = self.current.as_mut() else {
            return;
        };
        current.data_key = Some(data_key);
        current.start = start;
        current.chain = start;
        current.phase = Phase::Frame;
        current.buf.clear();
    }

    fn on_frame_header(&mut self) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        let header: [u8; FRAME_HEADER_LEN] = match current.buf.as_slice().try_into() {
            Ok(header) => header,
            Err(_) => return,
        };
        let (len, flag, index) = format::parse_frame_header(&header);
        let len = len as usize;
        if !(aead::TAG_LEN..=MAX_FRAME_LEN).contains(&len) {
            // Nothing after an impossible length can be found again.
            self.problem(Some(index), ProblemKind::Malformed);
            current_or_return(&mut self.current, |c| c.troubled = true);
            return self.skip();
        }
        current.frame = Some((len, flag, index));
    }

    fn on_frame(&mut self, out: &mut Vec<ArchiveRecord>) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        let Some((len, flag, index)) = current.frame.take() else {
            return;
        };
        let before = current.chain;
        current.chain = format::chain_step(&before, &current.buf);
        // The trailer's ciphertext, to take the authentic chain one step past it.
        let trailer_frame =
            (flag == FLAG_TRAILER && len == TRAILER_LEN + aead::TAG_LEN).then(|| {
                let mut frame = [0u8; FRAME_HEADER_LEN + TRAILER_LEN + aead::TAG_LEN];
                frame.copy_from_slice(&current.buf);
                frame
            });
        let result = current.open_frame(len, flag, index);
        let segment = current.header.map_or(0, |h| h.index);
        match result {
            Err(kind) => {
                current.troubled = true;
                if flag == FLAG_TRAILER {
                    current.phase = Phase::Signature;
                }
                self.problem(Some(index), kind);
            }
            Ok(()) if flag == FLAG_TRAILER => {
                let body = &current.buf[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len - aead::TAG_LEN];
                let trailer = format::parse_trailer(body);
                current.phase = Phase::Signature;
                match (trailer, trailer_frame) {
                    (Some((count, closed_at, chain)), Some(frame)) if count == u64::from(index) => {
                        current.closed_at = Some(closed_at);
                        // The trailer authenticated, so the chain hash it holds is the one
                        // the compliance side computed: the segment's authentic final hash
                        // follows from it even if records were altered or dropped since.
                        current.final_hash = Some(format::chain_step(&chain, &frame));
                        let missing = current.seen.holes(0..count);
                        let troubled = current.troubled || !missing.is_empty();
                        for hole in missing {
                            self.problem(
                                Some(u32::try_from(hole.start).unwrap_or(u32::MAX)),
                                ProblemKind::MissingRecords {
                                    count: hole.end - hole.start,
                                },
                            );
                        }
                        if chain != before && !troubled {
                            self.problem(Some(index), ProblemKind::ChainMismatch);
                        }
                    }
                    _ => {
                        current.troubled = true;
                        self.problem(Some(index), ProblemKind::Malformed);
                    }
                }
            }
            Ok(()) => {
                let index64 = u64::from(index);
                if current.seen.contains(index64) {
                    current.troubled = true;
                    self.problem(Some(index), ProblemKind::DuplicateRecord);
                } else {
                    let late = current.seen.end().is_some_and(|end| end > index64);
                    current.seen.insert(index64..index64 + 1);
                    let body =
                        &current.buf[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len - aead::TAG_LEN];
                    let decoded = decode_entry(body);
                    if late {
                        current.troubled = true;
                        self.problem(Some(index), ProblemKind::Reordered);
                    }
                    match decoded {
                        Ok(entry) => {
                            self.observe(&entry);
                            current_or_return(&mut self.current, |c| c.records += 1);
                            out.push(ArchiveRecord {
                                segment,
                                index,
                                entry,
                            });
                        }
                        Err(_) => {
                            current_or_return(&mut self.current, |c| c.troubled = true);
                            self.problem(Some(index), ProblemKind::Malformed);
                        }
                    }
                }
            }
        }
        if let Some(current) = self.current.as_mut() {
            // The buffer held plaintext: wipe what was used, keep the allocation.
            let used = current.buf.len();
            current.buf[..used].zeroize();
            current.buf.clear();
        }
    }

    fn on_signature(&mut self) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        current.phase = Phase::Done;
        let Some(final_hash) = current.final_hash else {
            current.buf.clear();
            return;
        };
        let signer = current
            .header
            .and_then(|header| VerifyingKey::from_bytes(&header.signer).ok());
        let valid = match (signer, Signature::from_slice(&current.buf)) {
            (Some(signer), Some(signature)) => signer
                .verify(domain::ARCHIVE_SIGNATURE, &final_hash, &signature)
                .is_ok(),
            _ => false,
        };
        current.buf.clear();
        current.signature_ok = valid;
        if !valid {
            self.problem(None, ProblemKind::BadSignature);
        }
    }

    fn missing_records(&mut self, current: &Current, end: u64) {
        for hole in current.seen.holes(0..end) {
            self.problems.push(ArchiveProblem {
                position: Some(current.position),
                segment: current.header.map(|h| h.index),
                record: Some(u32::try_from(hole.start).unwrap_or(u32::MAX)),
                kind: ProblemKind::MissingRecords {
                    count: hole.end - hole.start,
                },
            });
        }
    }

    fn observe(&mut self, entry: &ArchiveEntry) {
        match entry {
            ArchiveEntry::Message(message) => {
                if message.sequence != 0 {
                    let stream = self
                        .streams
                        .entry((message.conversation, message.sender))
                        .or_default();
                    let sequence = message.sequence;
                    stream.seen.insert(sequence..sequence.saturating_add(1));
                }
            }
            ArchiveEntry::Gap(notice) => {
                let gap = &notice.gap;
                self.streams
                    .entry((gap.conversation, gap.sender))
                    .or_default()
                    .noted
                    .insert(gap.missing.clone());
            }
            ArchiveEntry::FileChunk(chunk) => {
                let progress = self.files.entry(chunk.file).or_default();
                let end = chunk.offset.saturating_add(chunk.data.len() as u64);
                progress.written.insert(chunk.offset..end);
                if chunk.last {
                    progress.end = Some(end);
                }
            }
        }
    }

    fn check_links(&mut self) {
        let mut by_index: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (at, info) in self.segments.iter().enumerate() {
            by_index.entry(info.summary.index).or_default().push(at);
        }
        let mut expected = self.first_segment;
        let mut problems = Vec::new();
        for (&index, copies) in &by_index {
            if index < self.first_segment {
                continue;
            }
            if index > expected {
                problems.push(ArchiveProblem {
                    position: None,
                    segment: Some(expected),
                    record: None,
                    kind: ProblemKind::MissingSegments {
                        count: index - expected,
                    },
                });
            }
            expected = index.saturating_add(1);
            // The predecessor's final hashes (complete copies only), or the genesis hash.
            let predecessors: Option<Vec<[u8; HASH_LEN]>> = if index == self.first_segment {
                (index == 0).then(|| alloc::vec![[0u8; HASH_LEN]])
            } else {
                by_index.get(&(index - 1)).map(|before| {
                    before
                        .iter()
                        .filter_map(|&at| self.segments[at].final_hash)
                        .collect()
                })
            };
            let mut complete_finals: Vec<[u8; HASH_LEN]> = Vec::new();
            for &at in copies {
                let info = &self.segments[at];
                if let Some(finals) = &predecessors
                    && !finals.is_empty()
                    && !finals.contains(&info.previous_hash)
                {
                    problems.push(ArchiveProblem {
                        position: Some(info.summary.position),
                        segment: Some(index),
                        record: None,
                        kind: ProblemKind::BrokenChain,
                    });
                }
                if let Some(final_hash) = info.final_hash {
                    if !complete_finals.is_empty() && !complete_finals.contains(&final_hash) {
                        problems.push(ArchiveProblem {
                            position: Some(info.summary.position),
                            segment: Some(index),
                            record: None,
                            kind: ProblemKind::DuplicateSegment,
                        });
                    }
                    complete_finals.push(final_hash);
                }
            }
        }
        self.problems.extend(problems);
    }

    fn gaps(&self) -> Vec<Gap> {
        let mut gaps = Vec::new();
        for ((conversation, sender), stream) in &self.streams {
            let mut missing = RangeSet::new();
            if let (Some(first), Some(end)) = (stream.seen.first(), stream.seen.end()) {
                for hole in stream.seen.holes(first..end) {
                    missing.insert(hole);
                }
            }
            for noted in stream.noted.iter() {
                for hole in stream.seen.holes(noted) {
                    missing.insert(hole);
                }
            }
            gaps.extend(missing.iter().map(|missing| Gap {
                conversation: *conversation,
                sender: *sender,
                missing,
            }));
        }
        gaps
    }
}

impl Current {
    fn new(position: usize) -> Self {
        Self {
            position,
            phase: Phase::Header,
            buf: Zeroizing::new(Vec::new()),
            frame: None,
            header: None,
            data_key: None,
            start: [0; HASH_LEN],
            chain: [0; HASH_LEN],
            seen: RangeSet::new(),
            closed_at: None,
            final_hash: None,
            signature_ok: false,
            troubled: false,
            records: 0,
        }
    }

    /// Checks the flag and decrypts the frame in place. Nothing is decrypted unless the tag
    /// verified.
    fn open_frame(&mut self, len: usize, flag: u8, index: u32) -> Result<(), ProblemKind> {
        if flag != FLAG_RECORD && flag != FLAG_TRAILER {
            return Err(ProblemKind::Malformed);
        }
        if flag == FLAG_TRAILER && len != TRAILER_LEN + aead::TAG_LEN {
            return Err(ProblemKind::Malformed);
        }
        let key = self.data_key.as_ref().ok_or(ProblemKind::WrongKey)?;
        let split = FRAME_HEADER_LEN + len - aead::TAG_LEN;
        let (body, tag) = self.buf.split_at_mut(split);
        let tag: &[u8; aead::TAG_LEN] = (&*tag).try_into().map_err(|_| ProblemKind::Malformed)?;
        aead::open_in_place_detached(
            key.expose(),
            &format::nonce(index, flag),
            &self.start,
            &mut body[FRAME_HEADER_LEN..],
            tag,
        )
        .map_err(|_| ProblemKind::Altered)
    }
}

fn current_or_return(current: &mut Option<Current>, f: impl FnOnce(&mut Current)) {
    if let Some(current) = current.as_mut() {
        f(current);
    }
}

/// Moves bytes from `input` into `buf` until it holds `want`; whether it does.
fn fill(buf: &mut Vec<u8>, input: &mut &[u8], want: usize) -> bool {
    if buf.len() < want {
        if buf.capacity() < want {
            // Grow once, to the exact size, so that no plaintext is left in a freed buffer.
            let mut bigger = Vec::with_capacity(want);
            bigger.extend_from_slice(buf);
            buf.zeroize();
            *buf = bigger;
        }
        let take = (want - buf.len()).min(input.len());
        buf.extend_from_slice(&input[..take]);
        *input = &input[take..];
    }
    buf.len() == want
}

impl fmt::Debug for ArchiveReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveReader")
            .field("trusted_signers", &self.trusted.len())
            .field("first_segment", &self.first_segment)
            .field("segments", &self.segments.len())
            .field("problems", &self.problems.len())
            .finish_non_exhaustive()
    }
}
