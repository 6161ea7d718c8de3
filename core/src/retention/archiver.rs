//! The compliance side: re-encrypting what the compliance device decrypted into the archive.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::config::{RetentionConfig, Rotation};
use super::error::ArchiveError;
use super::format::{
    self, CLOSE_LEN, FLAG_RECORD, FLAG_TRAILER, FRAME_HEADER_LEN, HASH_LEN, SegmentHeader,
};
use super::keys::ArchivePublicKey;
use super::record::{
    Conversation, FileChunkFields, FileId, Gap, GapNotice, MessageFields, MessageInput,
    content_head,
};
use super::{FILE_CHUNK_LEN, MAX_RECORD_LEN, MAX_TRACKED_STREAMS};
use crate::crypto::Secret32;
use crate::crypto::aead;
use crate::crypto::sign::SigningKey;
use crate::domain;
use crate::identity::Device;
use crate::ids::{DeviceAddress, Timestamp};
use crate::limits::{MAX_FILE_LEN, MAX_PLAINTEXT_LEN};
use crate::network::NetworkId;

/// Where the archive's chain stands after the last closed segment: the index the next segment
/// gets and the final chain hash it must name. Public (no secret in it); the compliance
/// service stores it with every closed segment and passes it back to
/// [`ComplianceArchiver::new`] when it restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// The index of the next segment.
    pub next_segment: u64,
    /// The final chain hash of the previous segment (all zero before segment 0).
    pub previous_hash: [u8; HASH_LEN],
}

impl ChainHead {
    /// The start of a new archive.
    pub const GENESIS: Self = Self {
        next_segment: 0,
        previous_hash: [0; HASH_LEN],
    };
}

/// A segment the archiver closed: the bytes to store (from `offset`; the bytes before it were
/// taken earlier with [`ComplianceArchiver::drain`]) and what the chain looks like after it.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSegment {
    /// The segment's index.
    pub index: u64,
    /// Where `bytes` start within the segment.
    pub offset: u64,
    /// The rest of the segment's bytes (ciphertext: nothing secret).
    pub bytes: Vec<u8>,
    /// How many records it holds (the trailer not counted).
    pub record_count: u64,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it was closed.
    pub closed_at: Timestamp,
    /// Its final chain hash, which the next segment names.
    pub final_hash: [u8; HASH_LEN],
}

impl SealedSegment {
    /// The chain head after this segment, to store with it.
    pub const fn head_after(&self) -> ChainHead {
        ChainHead {
            next_segment: self.index.saturating_add(1),
            previous_hash: self.final_hash,
        }
    }
}

impl fmt::Debug for SealedSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSegment")
            .field("index", &self.index)
            .field("offset", &self.offset)
            .field("len", &self.bytes.len())
            .field("record_count", &self.record_count)
            .field("created_at", &self.created_at)
            .field("closed_at", &self.closed_at)
            .finish_non_exhaustive()
    }
}

/// Bytes of the open segment taken early with [`ComplianceArchiver::drain`]: append them to
/// the segment's file at `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentBytes {
    /// The segment's index.
    pub index: u64,
    /// Where `bytes` start within the segment.
    pub offset: u64,
    /// The bytes (ciphertext).
    pub bytes: Vec<u8>,
}

/// What archiving one message did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Archived {
    /// Segments that rotation closed before the message was written (usually none).
    pub closed: Vec<SealedSegment>,
    /// The messages of this sender in this conversation that the message shows were never
    /// received; also written into the archive as a gap record.
    pub gap: Option<Gap>,
}

/// A file being archived, chunk by chunk: made by [`FileArchiving::new`], fed with
/// [`ComplianceArchiver::push_file`], ended with [`ComplianceArchiver::finish_file`]. It holds
/// at most [`FILE_CHUNK_LEN`] bytes of plaintext, wiped when dropped.
pub struct FileArchiving {
    file: FileId,
    offset: u64,
    buffer: Zeroizing<Vec<u8>>,
}

impl FileArchiving {
    /// Starts archiving `file`, named by the digest of its original ciphertext stream.
    pub fn new(file: FileId) -> Self {
        Self {
            file,
            offset: 0,
            buffer: Zeroizing::new(Vec::new()),
        }
    }

    /// The file.
    pub const fn file(&self) -> FileId {
        self.file
    }

    /// How many bytes of the file were pushed so far.
    pub fn len(&self) -> u64 {
        self.offset + self.buffer.len() as u64
    }

    /// Whether nothing was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for FileArchiving {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileArchiving")
            .field("file", &self.file)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The compliance side's archive writer. Pure: it takes the time and an RNG, returns bytes to
/// store, and does no I/O.
///
/// Each segment gets a fresh data key, wrapped once to the archive key (one X25519 agreement
/// per segment); every record is then one AES-256-GCM under that key and one SHA-256 chain
/// step, written straight into the segment buffer and encrypted in place. Closing a segment
/// costs one Ed25519 signature.
pub struct ComplianceArchiver {
    network: NetworkId,
    archive_key: ArchivePublicKey,
    signer: SigningKey,
    signer_public: [u8; 32],
    rotation: Rotation,
    head: ChainHead,
    open: Option<OpenSegment>,
    /// Next expected sequence number per conversation and sender device.
    streams: BTreeMap<(Conversation, DeviceAddress), u64>,
}

struct OpenSegment {
    index: u64,
    created_at: Timestamp,
    data_key: Secret32,
    /// `chain_start(header)`: the associated data of every frame.
    start: [u8; HASH_LEN],
    chain: [u8; HASH_LEN],
    records: u32,
    /// Bytes written so far, drained ones included.
    size: u64,
    drained: u64,
    bytes: Vec<u8>,
}

impl OpenSegment {
    /// Appends one frame: its header, the plaintext that `encode` appends, encrypted in place,
    /// and the tag; then takes the chain one step.
    fn append(&mut self, flag: u8, encode: impl FnOnce(&mut Vec<u8>)) -> Result<(), ArchiveError> {
        let index = self.records;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&[0; FRAME_HEADER_LEN]);
        encode(&mut self.bytes);
        let body = start + FRAME_HEADER_LEN;
        let len = self.bytes.len() - body;
        let tag = match aead::seal_in_place_detached(
            self.data_key.expose(),
            &format::nonce(index, flag),
            &self.start,
            &mut self.bytes[body..],
        ) {
            Ok(tag) => tag,
            Err(_) => {
                self.bytes[body..].zeroize();
                self.bytes.truncate(start);
                return Err(ArchiveError::RecordTooLong {
                    len,
                    max: MAX_RECORD_LEN,
                });
            }
        };
        self.bytes.extend_from_slice(&tag);
        let sealed_len = (len + aead::TAG_LEN) as u32;
        self.bytes[start..body].copy_from_slice(&format::frame_header(sealed_len, flag, index));
        self.chain = format::chain_step(&self.chain, &self.bytes[start..]);
        self.size += (self.bytes.len() - start) as u64;
        self.records = self.records.saturating_add(1);
        Ok(())
    }
}

impl ComplianceArchiver {
    /// An archiver for `config`'s network, signing with `device`, which must be one of the
    /// configuration's compliance devices, and continuing the chain at `head`
    /// ([`ChainHead::GENESIS`] for a new archive).
    pub fn new(
        config: &RetentionConfig,
        device: &Device,
        head: ChainHead,
    ) -> Result<Self, ArchiveError> {
        if !config.is_enabled() {
            return Err(ArchiveError::RetentionOff);
        }
        let archive_key = *config.archive_key().ok_or(ArchiveError::RetentionOff)?;
        if !config.lists(device.certificate()) {
            return Err(ArchiveError::NotAComplianceDevice);
        }
        let signer = SigningKey::from_secret(&device.signing.to_secret());
        Ok(Self {
            network: config.network(),
            archive_key,
            signer_public: signer.verifying_key().to_bytes(),
            signer,
            rotation: config.rotation(),
            head,
            open: None,
            streams: BTreeMap::new(),
        })
    }

    /// Follows a newer configuration: a new archive key or rotation applies from the next
    /// segment, so the open one is closed and returned. Refused if retention is now off (close
    /// with [`ComplianceArchiver::rotate`] instead) or the signing device is no longer listed.
    pub fn update_config(
        &mut self,
        now: Timestamp,
        config: &RetentionConfig,
    ) -> Result<Option<SealedSegment>, ArchiveError> {
        if config.network() != self.network {
            return Err(ArchiveError::WrongNetwork);
        }
        if !config.is_enabled() {
            return Err(ArchiveError::RetentionOff);
        }
        let archive_key = *config.archive_key().ok_or(ArchiveError::RetentionOff)?;
        if !config
            .archive_signers()
            .any(|key| key.to_bytes() == self.signer_public)
        {
            return Err(ArchiveError::NotAComplianceDevice);
        }
        let closed = self.close(now);
        self.archive_key = archive_key;
        self.rotation = config.rotation();
        Ok(closed)
    }

    /// Archives a message. If it shows that earlier messages of its sender in its conversation
    /// never arrived (its sequence number is past the next one expected), a gap record goes
    /// into the archive first and the gap is returned.
    ///
    /// The first message seen from a sender in a conversation sets the expected numbers (the
    /// compliance device cannot know what was sent before retention reached it); sequence
    /// number 0 is not tracked; a number below the expected one (a late or repeated message)
    /// is archived and changes nothing.
    pub fn record_message(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
        message: &MessageInput<'_>,
    ) -> Result<Archived, ArchiveError> {
        if message.content.len() > MAX_PLAINTEXT_LEN {
            return Err(ArchiveError::RecordTooLong {
                len: message.content.len(),
                max: MAX_PLAINTEXT_LEN,
            });
        }
        let (sequence, sent_at) = content_head(message.content);
        let key = (message.conversation, message.sender);
        let gap = match self.streams.get(&key) {
            Some(&next) if sequence > next => Some(Gap {
                conversation: message.conversation,
                sender: message.sender,
                missing: next..sequence,
            }),
            _ => None,
        };
        let mut closed = Vec::new();
        if let Some(gap) = &gap {
            let notice = GapNotice {
                gap: gap.clone(),
                detected_at: now,
            };
            self.write(rng, now, notice.encoded_len(), &mut closed, |out| {
                notice.encode(out)
            })?;
        }
        let fields = MessageFields {
            input: message,
            sequence,
            sent_at,
        };
        self.write(rng, now, fields.encoded_len(), &mut closed, |out| {
            fields.encode(out)
        })?;
        if sequence != 0 {
            let next = sequence.saturating_add(1);
            match self.streams.get_mut(&key) {
                Some(expected) => *expected = (*expected).max(next),
                None => {
                    if self.streams.len() >= MAX_TRACKED_STREAMS {
                        self.streams.pop_first();
                    }
                    self.streams.insert(key, next);
                }
            }
        }
        Ok(Archived { closed, gap })
    }

    /// Archives the next bytes of a file, in records of [`FILE_CHUNK_LEN`] bytes; a partial
    /// chunk waits in `file` for more. Returns the segments rotation closed.
    pub fn push_file(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
        file: &mut FileArchiving,
        mut plaintext: &[u8],
    ) -> Result<Vec<SealedSegment>, ArchiveError> {
        if file.len().saturating_add(plaintext.len() as u64) > MAX_FILE_LEN {
            return Err(ArchiveError::FileTooLong);
        }
        let mut closed = Vec::new();
        while !plaintext.is_empty() {
            if file.buffer.is_empty() && plaintext.len() >= FILE_CHUNK_LEN {
                let (chunk, rest) = plaintext.split_at(FILE_CHUNK_LEN);
                self.write_chunk(rng, now, file.file, file.offset, chunk, false, &mut closed)?;
                file.offset += FILE_CHUNK_LEN as u64;
                plaintext = rest;
                continue;
            }
            let take = (FILE_CHUNK_LEN - file.buffer.len()).min(plaintext.len());
            if file.buffer.capacity() < FILE_CHUNK_LEN {
                // Reserve once, so that the buffer never reallocates (leaving plaintext behind).
                let room = FILE_CHUNK_LEN - file.buffer.len();
                file.buffer.reserve_exact(room);
            }
            file.buffer.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
            if file.buffer.len() == FILE_CHUNK_LEN {
                self.write_chunk(
                    rng,
                    now,
                    file.file,
                    file.offset,
                    &file.buffer,
                    false,
                    &mut closed,
                )?;
                file.offset += FILE_CHUNK_LEN as u64;
                file.buffer.zeroize();
            }
        }
        Ok(closed)
    }

    /// Archives the rest of a file and marks its end. Returns the segments rotation closed.
    pub fn finish_file(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
        file: FileArchiving,
    ) -> Result<Vec<SealedSegment>, ArchiveError> {
        let mut closed = Vec::new();
        self.write_chunk(
            rng,
            now,
            file.file,
            file.offset,
            &file.buffer,
            true,
            &mut closed,
        )?;
        Ok(closed)
    }

    /// Closes the open segment if its time is up, even with no new record: call it
    /// periodically so segments rotate by time while the network is quiet.
    pub fn tick(&mut self, now: Timestamp) -> Option<SealedSegment> {
        if self
            .open
            .as_ref()
            .is_some_and(|open| self.expired(open, now))
        {
            self.close(now)
        } else {
            None
        }
    }

    /// Closes the open segment now, if there is one (for example before shutting down).
    pub fn rotate(&mut self, now: Timestamp) -> Option<SealedSegment> {
        self.close(now)
    }

    /// Takes the bytes of the open segment written so far, so that they can be stored before
    /// the segment closes: memory then stays small whatever the segment size, and a crash
    /// loses only what was not yet drained.
    pub fn drain(&mut self) -> Option<SegmentBytes> {
        let open = self.open.as_mut()?;
        if open.bytes.is_empty() {
            return None;
        }
        let bytes = core::mem::take(&mut open.bytes);
        let offset = open.drained;
        open.drained += bytes.len() as u64;
        Some(SegmentBytes {
            index: open.index,
            offset,
            bytes,
        })
    }

    /// The chain head after the last closed segment.
    pub const fn head(&self) -> ChainHead {
        self.head
    }

    /// The index of the open segment, if one is open.
    pub fn open_segment(&self) -> Option<u64> {
        self.open.as_ref().map(|open| open.index)
    }

    /// How many conversation-and-sender streams the gap tracker follows.
    pub fn tracked_streams(&self) -> usize {
        self.streams.len()
    }

    #[allow(clippy::too_many_arguments)]
    fn write_chunk(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
        file: FileId,
        offset: u64,
        data: &[u8],
        last: bool,
        closed: &mut Vec<SealedSegment>,
    ) -> Result<(), ArchiveError> {
        let fields = FileChunkFields {
            file: &file,
            offset,
            data,
            last,
        };
        self.write(rng, now, fields.encoded_len(), closed, |out| {
            fields.encode(out)
        })
    }

    fn expired(&self, open: &OpenSegment, now: Timestamp) -> bool {
        now.0 >= open.created_at.0.saturating_add(self.rotation.max_seconds)
    }

    /// Writes one record, rotating first if the open segment is out of time or room.
    fn write(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
        plaintext_len: usize,
        closed: &mut Vec<SealedSegment>,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), ArchiveError> {
        if plaintext_len > MAX_RECORD_LEN {
            return Err(ArchiveError::RecordTooLong {
                len: plaintext_len,
                max: MAX_RECORD_LEN,
            });
        }
        let frame_len = (FRAME_HEADER_LEN + plaintext_len + aead::TAG_LEN) as u64;
        if let Some(open) = &self.open {
            let full = open.records > 0
                && open.size + frame_len + CLOSE_LEN as u64 > self.rotation.max_bytes;
            // One index stays free for the trailer.
            let exhausted = open.records >= u32::MAX - 1;
            if full || exhausted || self.expired(open, now) {
                closed.extend(self.close(now));
            }
        }
        let open = match self.open.take() {
            Some(open) => open,
            None => self.start(rng, now)?,
        };
        let open = self.open.insert(open);
        open.bytes
            .reserve(FRAME_HEADER_LEN + plaintext_len + aead::TAG_LEN);
        open.append(FLAG_RECORD, encode)
    }

    fn start(
        &self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
    ) -> Result<OpenSegment, ArchiveError> {
        let (header, data_key) = SegmentHeader::seal(
            rng,
            &self.archive_key,
            self.network,
            self.head.next_segment,
            self.head.previous_hash,
            now,
            self.signer_public,
        )
        .ok_or(ArchiveError::BadArchiveKey)?;
        let encoded = header.encode();
        let start = format::chain_start(&encoded);
        let capacity = self.rotation.max_bytes.min(1 << 20) as usize;
        let mut bytes = Vec::with_capacity(capacity);
        bytes.extend_from_slice(&encoded);
        Ok(OpenSegment {
            index: header.index,
            created_at: now,
            data_key,
            start,
            chain: start,
            records: 0,
            size: encoded.len() as u64,
            drained: 0,
            bytes,
        })
    }

    /// Seals the trailer, signs the final chain hash and moves the head past the segment.
    fn close(&mut self, now: Timestamp) -> Option<SealedSegment> {
        let mut open = self.open.take()?;
        let count = open.records;
        let trailer = format::trailer(u64::from(count), now, &open.chain);
        // A 48-byte trailer always fits AES-GCM; `append` cannot fail on it.
        let _ = open.append(FLAG_TRAILER, |out| out.extend_from_slice(&trailer));
        let final_hash = open.chain;
        let signature = self.signer.sign(domain::ARCHIVE_SIGNATURE, &final_hash);
        open.bytes.extend_from_slice(signature.as_bytes());
        let sealed = SealedSegment {
            index: open.index,
            offset: open.drained,
            bytes: core::mem::take(&mut open.bytes),
            record_count: u64::from(count),
            created_at: open.created_at,
            closed_at: now,
            final_hash,
        };
        self.head = sealed.head_after();
        Some(sealed)
    }
}

impl fmt::Debug for ComplianceArchiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            network,
            archive_key,
            signer: _,
            signer_public: _,
            rotation,
            head,
            open,
            streams,
        } = self;
        f.debug_struct("ComplianceArchiver")
            .field("network", network)
            .field("archive_key", archive_key)
            .field("rotation", rotation)
            .field("next_segment", &head.next_segment)
            .field("open_segment", &open.as_ref().map(|open| open.index))
            .field("tracked_streams", &streams.len())
            .finish_non_exhaustive()
    }
}
