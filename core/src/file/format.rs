//! The byte layout of a file stream: header, chunk headers, key schedule, nonces and
//! associated data, and the opening of one chunk (shared by the stream decryptor and the
//! random-access [`decrypt_chunk`]).

use alloc::vec::Vec;
use core::ops::Range;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::FileKey;
use crate::crypto::{Secret32, aead, kdf};
use crate::domain;
use crate::error::FileDecryptError;
use crate::limits::{MAX_FILE_CHUNK_SIZE, MAX_FILE_LEN, MIN_FILE_CHUNK_SIZE};

/// The four bytes every file stream starts with.
pub const MAGIC: [u8; 4] = *b"EMBF";
/// The file format this version writes and reads (suite 1: HKDF-SHA256 and AES-256-GCM).
pub const FORMAT: u8 = 1;
/// Length of the random salt in the header.
pub const SALT_LEN: usize = 32;
/// Length of the key commitment in the header.
pub const COMMITMENT_LEN: usize = 32;
/// Length of the header: magic, format, chunk size, salt, key commitment.
pub const HEADER_LEN: usize = FIXED_LEN + SALT_LEN + COMMITMENT_LEN;
/// Length of a chunk header: index (u32be), flag (1 byte), plaintext length (u32be).
pub const CHUNK_HEADER_LEN: usize = 9;
/// Bytes a chunk adds to its plaintext: the chunk header and the tag.
pub const CHUNK_OVERHEAD: usize = CHUNK_HEADER_LEN + aead::TAG_LEN;
/// The chunk size [`super::FileEncryptor::new`] uses: 64 KiB of plaintext per chunk.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Flag byte of every chunk but the last.
pub(crate) const FLAG_MORE: u8 = 0x00;
/// Flag byte of the last chunk.
pub(crate) const FLAG_FINAL: u8 = 0x01;

/// Magic, format and chunk size: the header fields that go into the key derivation.
const FIXED_LEN: usize = MAGIC.len() + 1 + 4;
const NONCE_PREFIX_LEN: usize = 7;
const OKM_LEN: usize = aead::KEY_LEN + NONCE_PREFIX_LEN + COMMITMENT_LEN;
const AD_LEN: usize = HEADER_LEN + CHUNK_HEADER_LEN;

// HKDF-SHA256 expands to at most 255 × 32 bytes, so deriving OKM_LEN bytes cannot fail.
const _: () = assert!(OKM_LEN <= 255 * 32);
// Every chunk index of a file of MAX_FILE_LEN bytes fits a u32, with room for the count.
const _: () = assert!(MAX_FILE_LEN / MIN_FILE_CHUNK_SIZE as u64 + 1 < u32::MAX as u64);

/// The header of a file stream: its first [`HEADER_LEN`] bytes.
///
/// It is public (it travels in clear at the front of the stream), so it can be fetched,
/// printed and compared freely; parsing checks its structure but not the key commitment,
/// which needs the file key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FileHeader {
    bytes: [u8; HEADER_LEN],
}

impl FileHeader {
    /// Parses the header at the front of `stream`: its first [`HEADER_LEN`] bytes (a longer
    /// prefix of the stream is fine, the rest is ignored).
    pub fn parse(stream: &[u8]) -> Result<Self, FileDecryptError> {
        let bytes: [u8; HEADER_LEN] = match stream.get(..HEADER_LEN) {
            Some(bytes) => bytes
                .try_into()
                .map_err(|_| FileDecryptError::TruncatedHeader { len: stream.len() })?,
            None => return Err(FileDecryptError::TruncatedHeader { len: stream.len() }),
        };
        if bytes[..MAGIC.len()] != MAGIC {
            return Err(FileDecryptError::BadMagic);
        }
        if bytes[MAGIC.len()] != FORMAT {
            return Err(FileDecryptError::UnsupportedVersion(bytes[MAGIC.len()]));
        }
        let header = Self { bytes };
        let size = header.chunk_size();
        if !(MIN_FILE_CHUNK_SIZE..=MAX_FILE_CHUNK_SIZE).contains(&size) {
            return Err(FileDecryptError::BadChunkSize { size });
        }
        Ok(header)
    }

    /// The header bytes, as they start the stream.
    pub fn as_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.bytes
    }

    /// Plaintext bytes per chunk (the final chunk may hold fewer). The plaintext of chunk `i`
    /// starts at offset `i × chunk_size` of the file.
    pub fn chunk_size(&self) -> u32 {
        u32::from_be_bytes([self.bytes[5], self.bytes[6], self.bytes[7], self.bytes[8]])
    }

    /// Where chunk `index` lies in the stream, for fetching one chunk (a preview) with a
    /// range request.
    ///
    /// The range has the length of a full chunk. The final chunk may be shorter, so for it
    /// the range can run past the end of the stream: clamp it to the stream's length (HTTP
    /// range requests do so by themselves).
    pub fn chunk_range(&self, index: u32) -> Range<u64> {
        let span = self.chunk_span() as u64;
        let start = HEADER_LEN as u64 + u64::from(index) * span;
        start..start + span
    }

    /// Length of a full chunk on the wire.
    pub(crate) fn chunk_span(&self) -> usize {
        self.chunk_size() as usize + CHUNK_OVERHEAD
    }

    /// Writes a fresh header (new random salt) and derives its stream keys.
    pub(crate) fn create(
        rng: &mut (impl CryptoRng + ?Sized),
        key: &FileKey,
        chunk_size: u32,
    ) -> (Self, StreamKeys) {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[..MAGIC.len()].copy_from_slice(&MAGIC);
        bytes[MAGIC.len()] = FORMAT;
        bytes[MAGIC.len() + 1..FIXED_LEN].copy_from_slice(&chunk_size.to_be_bytes());
        rng.fill_bytes(&mut bytes[FIXED_LEN..FIXED_LEN + SALT_LEN]);
        let mut header = Self { bytes };
        let (keys, commitment) = header.derive(key);
        header.bytes[FIXED_LEN + SALT_LEN..].copy_from_slice(&commitment);
        (header, keys)
    }

    /// Checks the key commitment against `key` and derives the stream keys.
    pub(crate) fn open(&self, key: &FileKey) -> Result<StreamKeys, FileDecryptError> {
        let (keys, commitment) = self.derive(key);
        if bool::from(commitment.ct_eq(&self.bytes[FIXED_LEN + SALT_LEN..])) {
            Ok(keys)
        } else {
            Err(FileDecryptError::KeyMismatch)
        }
    }

    /// HKDF-SHA256(salt = header salt, ikm = file key, info = label || magic, format, chunk
    /// size) → chunk key (32) || nonce prefix (7) || key commitment (32).
    fn derive(&self, key: &FileKey) -> (StreamKeys, [u8; COMMITMENT_LEN]) {
        let mut info = [0u8; domain::FILE.len() + FIXED_LEN];
        info[..domain::FILE.len()].copy_from_slice(domain::FILE);
        info[domain::FILE.len()..].copy_from_slice(&self.bytes[..FIXED_LEN]);
        let salt = &self.bytes[FIXED_LEN..FIXED_LEN + SALT_LEN];
        let mut okm = Zeroizing::new([0u8; OKM_LEN]);
        let derived = kdf::hkdf_sha256(salt, key.0.expose(), &info, okm.as_mut_slice());
        debug_assert!(derived.is_ok(), "OKM_LEN is within HKDF's bound");
        let mut chunk_key = [0u8; aead::KEY_LEN];
        chunk_key.copy_from_slice(&okm[..aead::KEY_LEN]);
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&okm[aead::KEY_LEN..aead::KEY_LEN + NONCE_PREFIX_LEN]);
        let mut commitment = [0u8; COMMITMENT_LEN];
        commitment.copy_from_slice(&okm[aead::KEY_LEN + NONCE_PREFIX_LEN..]);
        let keys = StreamKeys {
            key: Secret32::from_bytes(&mut chunk_key),
            nonce_prefix,
        };
        (keys, commitment)
    }
}

/// The per-file AES-256-GCM key and nonce prefix, derived from the file key and the salt.
pub(crate) struct StreamKeys {
    key: Secret32,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

impl StreamKeys {
    /// nonce = prefix (7) || index (u32be) || flag (1): the STREAM construction.
    fn nonce(&self, index: u32, flag: u8) -> [u8; aead::NONCE_LEN] {
        let mut nonce = [0u8; aead::NONCE_LEN];
        nonce[..NONCE_PREFIX_LEN].copy_from_slice(&self.nonce_prefix);
        nonce[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&index.to_be_bytes());
        nonce[aead::NONCE_LEN - 1] = flag;
        nonce
    }

    /// Appends chunk `index` (header, ciphertext, tag) of `plaintext` to `output`, sealing
    /// in place there.
    pub(crate) fn seal_chunk(
        &self,
        header: &FileHeader,
        index: u32,
        is_final: bool,
        plaintext: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), aead::TooLong> {
        let flag = if is_final { FLAG_FINAL } else { FLAG_MORE };
        let len = u32::try_from(plaintext.len()).map_err(|_| aead::TooLong)?;
        let chunk_header = ChunkHeader { index, flag, len }.to_bytes();
        output.reserve(plaintext.len() + CHUNK_OVERHEAD);
        output.extend_from_slice(&chunk_header);
        let start = output.len();
        output.extend_from_slice(plaintext);
        let ad = associated_data(header, &chunk_header);
        let sealed = aead::seal_in_place_detached(
            self.key.expose(),
            &self.nonce(index, flag),
            &ad,
            &mut output[start..],
        );
        match sealed {
            Ok(tag) => {
                output.extend_from_slice(&tag);
                Ok(())
            }
            Err(error) => {
                output[start..].zeroize();
                output.truncate(start - CHUNK_HEADER_LEN);
                Err(error)
            }
        }
    }
}

/// AD = the whole file header || the chunk header.
fn associated_data(header: &FileHeader, chunk_header: &[u8; CHUNK_HEADER_LEN]) -> [u8; AD_LEN] {
    let mut ad = [0u8; AD_LEN];
    ad[..HEADER_LEN].copy_from_slice(&header.bytes);
    ad[HEADER_LEN..].copy_from_slice(chunk_header);
    ad
}

/// The clear header of one chunk, before it authenticated.
#[derive(Clone, Copy)]
pub(crate) struct ChunkHeader {
    pub(crate) index: u32,
    pub(crate) flag: u8,
    pub(crate) len: u32,
}

impl ChunkHeader {
    fn to_bytes(self) -> [u8; CHUNK_HEADER_LEN] {
        let mut bytes = [0u8; CHUNK_HEADER_LEN];
        bytes[..4].copy_from_slice(&self.index.to_be_bytes());
        bytes[4] = self.flag;
        bytes[5..].copy_from_slice(&self.len.to_be_bytes());
        bytes
    }

    /// Parses and checks the structure of the chunk header at the front of `bytes` (which
    /// must hold at least [`CHUNK_HEADER_LEN`] bytes), for the chunk at `position`.
    pub(crate) fn parse(
        bytes: &[u8],
        chunk_size: u32,
        position: u32,
    ) -> Result<Self, FileDecryptError> {
        let malformed = FileDecryptError::MalformedChunk { index: position };
        let field = |at: usize| -> Result<u32, FileDecryptError> {
            let four = bytes.get(at..at + 4).ok_or(malformed)?;
            Ok(u32::from_be_bytes(four.try_into().map_err(|_| malformed)?))
        };
        let index = field(0)?;
        let flag = *bytes.get(4).ok_or(malformed)?;
        let len = field(5)?;
        let well_formed = match flag {
            FLAG_MORE => len == chunk_size,
            FLAG_FINAL => len <= chunk_size,
            _ => false,
        };
        if well_formed {
            Ok(Self { index, flag, len })
        } else {
            Err(malformed)
        }
    }

    /// Length of the whole chunk on the wire.
    pub(crate) fn chunk_len(self) -> usize {
        self.len as usize + CHUNK_OVERHEAD
    }

    pub(crate) fn is_final(self) -> bool {
        self.flag == FLAG_FINAL
    }
}

/// How a chunk whose index is not its position is reported.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// In a stream: an earlier index is a duplicate, a later one is out of order.
    Stream,
    /// Random access: any other genuine chunk is out of order (the wrong chunk was fetched).
    RandomAccess,
}

/// Verifies and decrypts the chunk `chunk` (exactly one whole chunk, already checked by
/// [`ChunkHeader::parse`] into `parsed`) at `position`, appending its plaintext to `output`
/// only if it authenticated as chunk `position`. Nothing is appended on error.
pub(crate) fn open_chunk(
    keys: &StreamKeys,
    header: &FileHeader,
    position: u32,
    parsed: ChunkHeader,
    chunk: &[u8],
    output: &mut Vec<u8>,
    mode: Mode,
) -> Result<(), FileDecryptError> {
    let bad_tag = FileDecryptError::BadTag { index: position };
    let chunk_header: &[u8; CHUNK_HEADER_LEN] = chunk
        .get(..CHUNK_HEADER_LEN)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(bad_tag)?;
    let tag_start = chunk.len().checked_sub(aead::TAG_LEN).ok_or(bad_tag)?;
    let ciphertext = chunk.get(CHUNK_HEADER_LEN..tag_start).ok_or(bad_tag)?;
    let tag: &[u8; aead::TAG_LEN] = chunk
        .get(tag_start..)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(bad_tag)?;
    let ad = associated_data(header, chunk_header);
    let nonce = keys.nonce(parsed.index, parsed.flag);
    let start = output.len();
    output.extend_from_slice(ciphertext);
    let opened =
        aead::open_in_place_detached(keys.key.expose(), &nonce, &ad, &mut output[start..], tag);
    if parsed.index == position {
        if opened.is_err() {
            output.truncate(start);
            return Err(bad_tag);
        }
        return Ok(());
    }
    // The chunk claims another index: it is a genuine chunk of this file only if it
    // authenticates under the index it claims. Its plaintext is never released.
    output[start..].zeroize();
    output.truncate(start);
    match (opened, mode) {
        (Err(_), _) => Err(bad_tag),
        (Ok(()), Mode::Stream) if parsed.index < position => Err(FileDecryptError::Duplicate {
            index: parsed.index,
        }),
        (Ok(()), _) => Err(FileDecryptError::OutOfOrder {
            expected: position,
            got: parsed.index,
        }),
    }
}

/// A chunk decrypted on its own by [`decrypt_chunk`].
#[derive(Clone, PartialEq, Eq)]
pub struct DecryptedChunk {
    /// The chunk's plaintext: bytes `index × chunk_size ..` of the file.
    pub plaintext: Vec<u8>,
    /// Whether this is the file's final chunk.
    pub is_final: bool,
}

impl core::fmt::Debug for DecryptedChunk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DecryptedChunk")
            .field("len", &self.plaintext.len())
            .field("is_final", &self.is_final)
            .finish_non_exhaustive()
    }
}

/// Decrypts chunk `index` of a file on its own, for a preview: `chunk` is exactly the bytes
/// of that chunk (fetched with [`FileHeader::chunk_range`], clamped to the stream's length).
///
/// A success proves the bytes are chunk `index` of the file with this key and header, and
/// whether it is the final one; it says nothing about the rest of the stream.
pub fn decrypt_chunk(
    key: &FileKey,
    header: &FileHeader,
    index: u32,
    chunk: &[u8],
) -> Result<DecryptedChunk, FileDecryptError> {
    let keys = header.open(key)?;
    if chunk.len() < CHUNK_HEADER_LEN {
        return Err(FileDecryptError::TruncatedChunk { index });
    }
    let parsed = ChunkHeader::parse(chunk, header.chunk_size(), index)?;
    if chunk.len() < parsed.chunk_len() {
        return Err(FileDecryptError::TruncatedChunk { index });
    }
    if chunk.len() > parsed.chunk_len() {
        return Err(FileDecryptError::TrailingData);
    }
    let mut plaintext = Vec::with_capacity(parsed.len as usize);
    open_chunk(
        &keys,
        header,
        index,
        parsed,
        chunk,
        &mut plaintext,
        Mode::RandomAccess,
    )?;
    Ok(DecryptedChunk {
        plaintext,
        is_final: parsed.is_final(),
    })
}
