//! Files: a fresh key per file and a chunked streaming AEAD, in constant memory.
//!
//! Every file, whatever its kind (documents, images, video, voice clips), is encrypted once
//! under a fresh random [`FileKey`]; the ciphertext goes to storage and the key travels with
//! the [`FileSummary`] inside an end-to-end-encrypted message. The stream is cut into chunks
//! so that neither side ever holds more than one chunk, so that one chunk can be decrypted
//! on its own (a preview), and so that the push/take API works across FFI with byte slices.
//!
//! ```
//! use ember_core::file::{self, FileHeader, FileKey};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
//! let key = FileKey::generate(&mut rng);
//! let clip = vec![7u8; 200_000];
//! let (stream, summary) = file::encrypt(&mut rng, &key, &clip)?;
//! // The receiver checks the digest (before or while downloading) and decrypts...
//! let (plaintext, _) = file::decrypt(&key, &stream, Some(&summary.digest))?;
//! assert_eq!(plaintext, clip);
//! // ...or fetches and decrypts the second chunk only.
//! let header = FileHeader::parse(&stream)?;
//! let range = header.chunk_range(1);
//! let end = range.end.min(summary.ciphertext_len);
//! let chunk = file::decrypt_chunk(&key, &header, 1, &stream[range.start as usize..end as usize])?;
//! assert_eq!(chunk.plaintext, clip[65_536..131_072]);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! # Stream format (format 1)
//!
//! All integers are big-endian.
//!
//! ```text
//! stream = header (73 bytes) || chunk_0 || chunk_1 || ... || chunk_{n-1}      (n >= 1)
//! header = "EMBF" | format = 0x01 | chunk_size: u32 | salt: 32 bytes | commitment: 32 bytes
//! chunk  = index: u32 | flag: u8 | len: u32 | AES-256-GCM ciphertext (len bytes) | tag (16)
//! ```
//!
//! - `chunk_size` is the plaintext bytes per chunk, 64 KiB by default, within
//!   [`MIN_FILE_CHUNK_SIZE`](crate::limits::MIN_FILE_CHUNK_SIZE) ..=
//!   [`MAX_FILE_CHUNK_SIZE`](crate::limits::MAX_FILE_CHUNK_SIZE). `salt` is fresh random.
//! - Keys: `HKDF-SHA256(salt = salt, ikm = file key, info = "ember/v1/file\0" || magic ||
//!   format || chunk_size)`, 71 bytes = chunk key (32) || nonce prefix (7) || commitment (32).
//!   The commitment is stored in the header and compared (in constant time) before anything
//!   is decrypted.
//! - Chunk `i` has `index = i`. Every chunk but the last has `flag = 0x00` and
//!   `len = chunk_size`; the last has `flag = 0x01` and `0 <= len <= chunk_size` (an empty
//!   file is one empty final chunk; a file whose length is a multiple of the chunk size ends
//!   in a full final chunk). So `n = max(1, ceil(plaintext_len / chunk_size))`.
//! - Each chunk is AES-256-GCM under the chunk key with
//!   `nonce = nonce prefix (7) || index (u32) || flag (1)` and
//!   `associated data = header (73) || index | flag | len (9)`.
//! - The file's digest is the plain SHA-256 of the whole stream, header included.
//!
//! Overhead: 73 bytes per file plus 25 per chunk (0.04 % at 64 KiB chunks). Chunk `i` starts
//! at byte `73 + i × (chunk_size + 25)` ([`FileHeader::chunk_range`]).
//!
//! # Why this design
//!
//! - **STREAM** (Hoang, Reyhanitabar, Rogaway, Vizár, CRYPTO 2015): the chunk's position and
//!   an end-of-stream flag in the nonce make each chunk authentic only at its own position,
//!   and only the real last chunk authenticates as last. This is the construction of Tink's
//!   streaming AEAD and of age's payload. A u32 index with chunks of at least 1 KiB covers
//!   [`MAX_FILE_LEN`](crate::limits::MAX_FILE_LEN) (5 GiB).
//! - **A salt and HKDF** give every stream its own chunk key and nonce prefix, even if a file
//!   key is reused by mistake (the random 7-byte nonce prefix alone would collide after
//!   about 2^28 files under one key; a 256-bit salt does not).
//! - **A key commitment** in the header: AES-GCM alone is not key-committing (one ciphertext
//!   can be made to decrypt under two keys), and a committing header makes a wrong key fail
//!   at once with [`KeyMismatch`](FileDecryptError::KeyMismatch) instead of a `BadTag` on
//!   chunk 0.
//! - **Index, flag and length in clear** (and in the associated data): a decryptor knows
//!   where each chunk ends and whether it is the last without trial decryption or holding
//!   back a chunk, bytes after the last chunk are recognized as such, and a misplaced chunk
//!   is identified as a duplicate or as out of order (it is trial-authenticated under the
//!   index it claims; its plaintext is never released) rather than as mere garbage.
//! - **A plain SHA-256 digest** of the ciphertext, so a server or object store can check an
//!   upload or download with standard tools (for example S3's SHA-256 checksums) before any
//!   client decrypts.
//!
//! # What each attack looks like, and the error it gives
//!
//! | attack on the stream | [`FileDecryptError`] |
//! |---|---|
//! | not an Ember file / another format version | `BadMagic` / `UnsupportedVersion` |
//! | chunk size altered to an invalid value | `BadChunkSize` |
//! | wrong key; salt, commitment or chunk size altered | `KeyMismatch` |
//! | any bit of a chunk's ciphertext or tag altered | `BadTag { index }` |
//! | a chunk's index altered (or flag set to final) | `BadTag { index }` |
//! | a chunk of another file (or another key) spliced in | `BadTag { index }` |
//! | flag or length made inconsistent | `MalformedChunk { index }` |
//! | two chunks swapped; a chunk dropped; a later chunk moved earlier | `OutOfOrder { expected, got }` |
//! | a chunk repeated (anywhere before the final chunk) | `Duplicate { index }` |
//! | anything after the final chunk: extra bytes, another chunk, a repeated final chunk | `TrailingData` |
//! | cut inside the header | `TruncatedHeader` |
//! | cut inside a chunk, or a final chunk's length raised | `TruncatedChunk { index }` |
//! | cut at a chunk boundary, or the final chunk dropped | `Truncated { chunks }` |
//! | stream replaced by another valid one under this key (digest expected) | `DigestMismatch` |
//!
//! Some cases are one and the same byte stream, hence one variant: cutting at a chunk
//! boundary *is* dropping the final chunk when the final chunk is full; a dropped middle
//! chunk is seen as the next one arriving early. A chunk header's fields are authenticated,
//! so a change that leaves the header well formed and its length as it was gives `BadTag`;
//! a header no encoder writes gives `MalformedChunk`; a different (well-formed) length moves
//! the chunk's end, so it gives `TruncatedChunk` (the stream ends before the claimed end) or
//! `BadTag` (the tag is read from the wrong place).
//!
//! # Memory
//!
//! [`FileEncryptor`] holds one chunk of plaintext (wiped on drop); [`FileDecryptor`] holds at
//! most one chunk of ciphertext and writes plaintext straight into the caller's buffer,
//! decrypting in place. Both are independent of the file's length.

mod decryptor;
mod encryptor;
mod format;

use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use decryptor::FileDecryptor;
pub use encryptor::FileEncryptor;
pub use format::{
    CHUNK_HEADER_LEN, CHUNK_OVERHEAD, COMMITMENT_LEN, DEFAULT_CHUNK_SIZE, DecryptedChunk, FORMAT,
    FileHeader, HEADER_LEN, MAGIC, SALT_LEN, decrypt_chunk,
};

use crate::crypto::Secret32;
use crate::error::{FileDecryptError, FileEncryptError};

/// Length of a file digest (SHA-256).
pub const DIGEST_LEN: usize = 32;

/// The key of one file: 32 random bytes, made fresh for every file.
///
/// It travels to the recipients inside an end-to-end-encrypted message
/// ([`FileKey::expose_bytes`] out, [`FileKey::from_bytes`] in). Zeroized on drop, never
/// printed, not `Clone`; compared in constant time.
#[derive(PartialEq, Eq)]
pub struct FileKey(Secret32);

impl FileKey {
    /// A fresh random key.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut_slice());
        Self(Secret32::from_bytes(&mut bytes))
    }

    /// Takes a key received in a message and wipes the caller's copy.
    pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
        Self(Secret32::from_bytes(bytes))
    }

    /// Copies a key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Secret32::from_slice(bytes).map(Self)
    }

    /// The key bytes, to put inside an encrypted message. Handle with care.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        self.0.expose()
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKey(..)")
    }
}

/// What an encrypted file looks like from outside, returned by both sides' `finish`.
///
/// The sender puts it in the file message next to the key; the receiver passes `digest` to
/// [`FileDecryptor::with_expected_digest`] or checks a download with [`CiphertextDigest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileSummary {
    /// Length of the file (the plaintext).
    pub plaintext_len: u64,
    /// Length of the whole stream, header included.
    pub ciphertext_len: u64,
    /// Number of chunks (at least 1).
    pub chunk_count: u32,
    /// SHA-256 of the whole stream, header included.
    pub digest: [u8; DIGEST_LEN],
}

/// The SHA-256 of a stream computed piece by piece, to check a file's integrity before (or
/// without) decrypting it: by a server on upload, or by a client as it downloads.
#[derive(Clone, Default)]
pub struct CiphertextDigest(Sha256);

impl CiphertextDigest {
    /// An empty digest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next bytes of the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The SHA-256 of everything added.
    pub fn finalize(self) -> [u8; DIGEST_LEN] {
        self.0.finalize().into()
    }

    /// Whether the SHA-256 of everything added is `expected` (compared in constant time).
    pub fn matches(self, expected: &[u8; DIGEST_LEN]) -> bool {
        bool::from(self.finalize().ct_eq(expected))
    }
}

impl fmt::Debug for CiphertextDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CiphertextDigest").finish_non_exhaustive()
    }
}

/// Encrypts a whole file held in memory (a voice clip, a small attachment) with the default
/// chunk size. Larger files go through [`FileEncryptor`].
pub fn encrypt(
    rng: &mut (impl CryptoRng + ?Sized),
    key: &FileKey,
    plaintext: &[u8],
) -> Result<(Vec<u8>, FileSummary), FileEncryptError> {
    let mut encryptor = FileEncryptor::new(rng, key);
    let chunks = plaintext.len() / DEFAULT_CHUNK_SIZE as usize + 1;
    let capacity = chunks
        .checked_mul(CHUNK_OVERHEAD)
        .and_then(|overhead| overhead.checked_add(HEADER_LEN + plaintext.len()))
        .unwrap_or(0);
    let mut stream = Vec::with_capacity(capacity);
    encryptor.push(plaintext, &mut stream)?;
    let summary = encryptor.finish(&mut stream)?;
    Ok((stream, summary))
}

/// Decrypts a whole stream held in memory, checking its digest if one is given. Nothing is
/// returned unless the whole stream verified (partial plaintext is wiped).
pub fn decrypt(
    key: &FileKey,
    stream: &[u8],
    expected_digest: Option<&[u8; DIGEST_LEN]>,
) -> Result<(Vec<u8>, FileSummary), FileDecryptError> {
    let mut decryptor = match expected_digest {
        Some(digest) => FileDecryptor::with_expected_digest(key, *digest),
        None => FileDecryptor::new(key),
    };
    let mut plaintext = Zeroizing::new(Vec::with_capacity(stream.len()));
    decryptor.push(stream, &mut plaintext)?;
    let summary = decryptor.finish()?;
    Ok((core::mem::take(&mut *plaintext), summary))
}

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::vec;

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::crypto::{aead, kdf};
    use crate::domain;
    use crate::limits::{MAX_FILE_CHUNK_SIZE, MIN_FILE_CHUNK_SIZE};

    fn rng(seed: u8) -> ChaCha20Rng {
        ChaCha20Rng::from_seed([seed; 32])
    }

    /// Decrypts a stream from the specification alone, with the bare primitives, to pin the
    /// byte layout, the key schedule, the nonces and the associated data.
    #[test]
    fn layout_matches_the_specification() {
        let key = FileKey::from_bytes(&mut [0x42; 32]);
        let plaintext: Vec<u8> = (0..2500u32).map(|i| i as u8).collect();
        let mut encryptor = FileEncryptor::with_chunk_size(&mut rng(1), &key, 1024).unwrap();
        let mut stream = Vec::new();
        encryptor.push(&plaintext, &mut stream).unwrap();
        let summary = encryptor.finish(&mut stream).unwrap();

        assert_eq!(&stream[..4], b"EMBF");
        assert_eq!(stream[4], 1);
        assert_eq!(&stream[5..9], &1024u32.to_be_bytes());
        let salt = &stream[9..41];
        let commitment = &stream[41..73];
        let mut info = domain::FILE.to_vec();
        info.extend_from_slice(&stream[..9]);
        let mut okm = [0u8; 71];
        kdf::hkdf_sha256(salt, &[0x42; 32], &info, &mut okm).unwrap();
        assert_eq!(&okm[39..], commitment);
        let chunk_key: [u8; 32] = okm[..32].try_into().unwrap();

        let mut at = HEADER_LEN;
        let mut recovered = Vec::new();
        for (index, (flag, len)) in [(0u8, 1024usize), (0, 1024), (1, 452)]
            .into_iter()
            .enumerate()
        {
            let chunk_header = &stream[at..at + 9];
            assert_eq!(&chunk_header[..4], &(index as u32).to_be_bytes());
            assert_eq!(chunk_header[4], flag);
            assert_eq!(&chunk_header[5..9], &(len as u32).to_be_bytes());
            let mut nonce = [0u8; 12];
            nonce[..7].copy_from_slice(&okm[32..39]);
            nonce[7..11].copy_from_slice(&(index as u32).to_be_bytes());
            nonce[11] = flag;
            let mut ad = stream[..HEADER_LEN].to_vec();
            ad.extend_from_slice(chunk_header);
            let sealed = &stream[at + 9..at + 9 + len + 16];
            recovered.extend(aead::open(&chunk_key, &nonce, &ad, sealed).unwrap());
            at += 9 + len + 16;
        }
        assert_eq!(at, stream.len());
        assert_eq!(recovered, plaintext);
        assert_eq!(summary.chunk_count, 3);
        assert_eq!(summary.plaintext_len, 2500);
        assert_eq!(summary.ciphertext_len, stream.len() as u64);
        assert_eq!(summary.digest, <[u8; 32]>::from(Sha256::digest(&stream)));
    }

    #[test]
    fn one_salt_per_stream_even_under_one_key() {
        let key = FileKey::generate(&mut rng(2));
        let mut rng = rng(3);
        let (a, _) = encrypt(&mut rng, &key, b"same").unwrap();
        let (b, _) = encrypt(&mut rng, &key, b"same").unwrap();
        assert_ne!(a[9..41], b[9..41]);
        assert_ne!(a[HEADER_LEN..], b[HEADER_LEN..]);
    }

    #[test]
    fn chunk_headers_outside_the_format_are_malformed() {
        let malformed = |bytes: &[u8]| format::ChunkHeader::parse(bytes, 1024, 7).err();
        let with = |flag: u8, len: u32| {
            let mut bytes = vec![0, 0, 0, 7, flag];
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes
        };
        let expected = Some(FileDecryptError::MalformedChunk { index: 7 });
        assert_eq!(malformed(&with(0, 1024)), None);
        assert_eq!(malformed(&with(1, 1024)), None);
        assert_eq!(malformed(&with(1, 0)), None);
        assert_eq!(malformed(&with(0, 1023)), expected);
        assert_eq!(malformed(&with(0, 1025)), expected);
        assert_eq!(malformed(&with(1, 1025)), expected);
        assert_eq!(malformed(&with(2, 1024)), expected);
        assert_eq!(malformed(&with(0x80, 1024)), expected);
        assert_eq!(malformed(&with(0, 1024)[..8]), expected);
    }

    #[test]
    fn chunk_sizes_outside_the_limits_are_refused() {
        let key = FileKey::generate(&mut rng(4));
        for size in [
            0,
            MIN_FILE_CHUNK_SIZE - 1,
            MAX_FILE_CHUNK_SIZE + 1,
            u32::MAX,
        ] {
            assert_eq!(
                FileEncryptor::with_chunk_size(&mut rng(5), &key, size).err(),
                Some(FileEncryptError::BadChunkSize { size })
            );
        }
        for size in [MIN_FILE_CHUNK_SIZE, MAX_FILE_CHUNK_SIZE] {
            let encryptor = FileEncryptor::with_chunk_size(&mut rng(5), &key, size).unwrap();
            assert_eq!(encryptor.header().chunk_size(), size);
        }
    }

    #[test]
    fn an_error_sticks() {
        let key = FileKey::generate(&mut rng(6));
        let (mut stream, _) = encrypt(&mut rng(7), &key, &[1u8; 100_000]).unwrap();
        let last = stream.len() - 1;
        stream[last] ^= 1;
        let mut decryptor = FileDecryptor::new(&key);
        let mut out = Vec::new();
        let error = FileDecryptError::BadTag { index: 1 };
        assert_eq!(decryptor.push(&stream, &mut out), Err(error));
        assert_eq!(
            out.len(),
            65_536,
            "the first chunk verified and was released"
        );
        assert_eq!(decryptor.push(&[], &mut out), Err(error));
        assert_eq!(decryptor.finish(), Err(error));
    }

    #[test]
    fn finish_without_push_is_an_empty_file() {
        let key = FileKey::generate(&mut rng(8));
        let mut stream = Vec::new();
        let summary = FileEncryptor::new(&mut rng(9), &key)
            .finish(&mut stream)
            .unwrap();
        assert_eq!(stream.len(), HEADER_LEN + CHUNK_OVERHEAD);
        assert_eq!((summary.plaintext_len, summary.chunk_count), (0, 1));
        let (plaintext, opened) = decrypt(&key, &stream, Some(&summary.digest)).unwrap();
        assert!(plaintext.is_empty());
        assert_eq!(opened, summary);
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let mut key_bytes = [0xAB; 32];
        let key = FileKey::from_bytes(&mut key_bytes);
        assert_eq!(key_bytes, [0; 32]);
        assert_eq!(format!("{key:?}"), "FileKey(..)");
        let mut encryptor = FileEncryptor::new(&mut rng(10), &key);
        let mut stream = Vec::new();
        encryptor.push(&[0xCD; 10], &mut stream).unwrap();
        let shown = format!("{encryptor:?}");
        assert!(
            shown.starts_with("FileEncryptor {") && shown.ends_with(".. }"),
            "{shown}"
        );
        assert!(!shown.contains("171") && !shown.contains("205"), "{shown}");
        let decryptor = FileDecryptor::new(&key);
        let shown = format!("{decryptor:?}");
        assert!(!shown.contains("171") && shown.ends_with(".. }"), "{shown}");
        let chunk = DecryptedChunk {
            plaintext: vec![0xCD; 3],
            is_final: true,
        };
        assert!(!format!("{chunk:?}").contains("205"));
        assert_eq!(
            format!("{:?}", CiphertextDigest::new()),
            "CiphertextDigest { .. }"
        );
    }

    #[test]
    fn key_round_trips_through_bytes() {
        let key = FileKey::generate(&mut rng(11));
        let copy = FileKey::from_slice(key.expose_bytes()).unwrap();
        let (stream, _) = encrypt(&mut rng(12), &key, b"voice clip").unwrap();
        assert_eq!(decrypt(&copy, &stream, None).unwrap().0, b"voice clip");
        assert!(FileKey::from_slice(&[0; 31]).is_none());
    }
}
