//! The incremental file decryptor.

use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::format::{
    CHUNK_HEADER_LEN, ChunkHeader, FileHeader, HEADER_LEN, Mode, StreamKeys, open_chunk,
};
use super::{DIGEST_LEN, FileKey, FileSummary};
use crate::error::FileDecryptError;
use crate::limits::MAX_FILE_LEN;

/// Decrypts a file stream in constant memory: push stream bytes in as they arrive, take
/// verified plaintext out.
///
/// Plaintext is released one whole chunk at a time, and only once that chunk authenticated
/// as the next one of this file. Truncation can only be known at the end, so the plaintext
/// is complete and trustworthy as a whole only when [`FileDecryptor::finish`] returns `Ok`:
/// write it somewhere temporary until then. The decryptor buffers at most one chunk
/// ([`crate::limits::MAX_FILE_CHUNK_SIZE`] plus 25 bytes). After an error it returns that
/// error for every later call.
///
/// The example of [`super::FileEncryptor`] shows a round trip.
pub struct FileDecryptor {
    /// The file key, until the header has been checked against it.
    key: Option<FileKey>,
    stream: Option<Stream>,
    /// A partial header or chunk (ciphertext) split across pushes.
    buffer: Vec<u8>,
    hasher: Sha256,
    ciphertext_len: u64,
    expected_digest: Option<[u8; DIGEST_LEN]>,
    error: Option<FileDecryptError>,
}

/// What the decryptor knows once the header verified.
struct Stream {
    header: FileHeader,
    keys: StreamKeys,
    next_index: u32,
    final_seen: bool,
    plaintext_len: u64,
}

impl Stream {
    /// Checks the chunk header at the front of `bytes` and returns the chunk's length on
    /// the wire, before any of the chunk is buffered or decrypted.
    fn check(&self, bytes: &[u8]) -> Result<ChunkHeader, FileDecryptError> {
        let parsed = ChunkHeader::parse(bytes, self.header.chunk_size(), self.next_index)?;
        let end = u64::from(self.next_index) * u64::from(self.header.chunk_size())
            + u64::from(parsed.len);
        if end > MAX_FILE_LEN {
            return Err(FileDecryptError::TooLarge { max: MAX_FILE_LEN });
        }
        Ok(parsed)
    }

    /// Opens one whole chunk as the next one.
    fn open(
        &mut self,
        parsed: ChunkHeader,
        chunk: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), FileDecryptError> {
        open_chunk(
            &self.keys,
            &self.header,
            self.next_index,
            parsed,
            chunk,
            output,
            Mode::Stream,
        )?;
        self.next_index = self.next_index.saturating_add(1);
        self.plaintext_len += u64::from(parsed.len);
        self.final_seen = parsed.is_final();
        Ok(())
    }
}

impl FileDecryptor {
    /// Starts decrypting a stream made with `key`.
    pub fn new(key: &FileKey) -> Self {
        Self {
            key: Some(FileKey(key.0.duplicate())),
            stream: None,
            buffer: Vec::new(),
            hasher: Sha256::new(),
            ciphertext_len: 0,
            expected_digest: None,
            error: None,
        }
    }

    /// Starts decrypting a stream whose SHA-256 digest must be `digest` (from the sender's
    /// [`FileSummary`]); [`FileDecryptor::finish`] checks it.
    pub fn with_expected_digest(key: &FileKey, digest: [u8; DIGEST_LEN]) -> Self {
        let mut decryptor = Self::new(key);
        decryptor.expected_digest = Some(digest);
        decryptor
    }

    /// Takes the next bytes of the stream (any amount, split anywhere), appending to
    /// `output` the plaintext of every chunk they complete and that verified.
    ///
    /// On error, `output` holds the plaintext of the chunks that verified before it.
    pub fn push(
        &mut self,
        ciphertext: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), FileDecryptError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let result = self.consume(ciphertext, output);
        if let Err(error) = result {
            self.error = Some(error);
            self.buffer = Vec::new();
        }
        result
    }

    /// Ends the stream: checks that it ended right after its final chunk and, if a digest
    /// was expected, that the digest matches. Returns the stream's summary.
    pub fn finish(self) -> Result<FileSummary, FileDecryptError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let Some(stream) = self.stream else {
            return Err(FileDecryptError::TruncatedHeader {
                len: self.buffer.len(),
            });
        };
        if !self.buffer.is_empty() {
            return Err(FileDecryptError::TruncatedChunk {
                index: stream.next_index,
            });
        }
        if !stream.final_seen {
            return Err(FileDecryptError::Truncated {
                chunks: stream.next_index,
            });
        }
        let digest: [u8; DIGEST_LEN] = self.hasher.finalize().into();
        if let Some(expected) = self.expected_digest
            && !bool::from(expected.ct_eq(&digest))
        {
            return Err(FileDecryptError::DigestMismatch);
        }
        Ok(FileSummary {
            plaintext_len: stream.plaintext_len,
            ciphertext_len: self.ciphertext_len,
            chunk_count: stream.next_index,
            digest,
        })
    }

    fn consume(&mut self, mut input: &[u8], output: &mut Vec<u8>) -> Result<(), FileDecryptError> {
        while !input.is_empty() {
            let Some(stream) = self.stream.as_mut() else {
                let take = (HEADER_LEN - self.buffer.len()).min(input.len());
                let (head, rest) = input.split_at(take);
                absorb(&mut self.hasher, &mut self.ciphertext_len, head);
                self.buffer.extend_from_slice(head);
                input = rest;
                if self.buffer.len() == HEADER_LEN {
                    let header = FileHeader::parse(&self.buffer)?;
                    let key = self.key.take().ok_or(FileDecryptError::KeyMismatch)?;
                    let keys = header.open(&key)?;
                    self.stream = Some(Stream {
                        header,
                        keys,
                        next_index: 0,
                        final_seen: false,
                        plaintext_len: 0,
                    });
                    self.buffer = Vec::with_capacity(header.chunk_span());
                }
                continue;
            };
            if stream.final_seen {
                return Err(FileDecryptError::TrailingData);
            }
            if self.buffer.is_empty() && input.len() >= CHUNK_HEADER_LEN {
                // Fast path: a whole chunk in the input is opened without being copied.
                let parsed = stream.check(input)?;
                if let Some((chunk, rest)) = input.split_at_checked(parsed.chunk_len()) {
                    absorb(&mut self.hasher, &mut self.ciphertext_len, chunk);
                    stream.open(parsed, chunk, output)?;
                    input = rest;
                    continue;
                }
            }
            // Slow path: gather the chunk header, then the whole chunk, across pushes.
            let target = if self.buffer.len() < CHUNK_HEADER_LEN {
                CHUNK_HEADER_LEN
            } else {
                stream.check(&self.buffer)?.chunk_len()
            };
            let take = (target - self.buffer.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            absorb(&mut self.hasher, &mut self.ciphertext_len, head);
            self.buffer.extend_from_slice(head);
            input = rest;
            if self.buffer.len() >= CHUNK_HEADER_LEN {
                let parsed = stream.check(&self.buffer)?;
                if self.buffer.len() == parsed.chunk_len() {
                    stream.open(parsed, &self.buffer, output)?;
                    self.buffer.clear();
                }
            }
        }
        Ok(())
    }
}

fn absorb(hasher: &mut Sha256, len: &mut u64, bytes: &[u8]) {
    hasher.update(bytes);
    *len += bytes.len() as u64;
}

impl fmt::Debug for FileDecryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            key: _,
            stream,
            buffer,
            hasher: _,
            ciphertext_len,
            expected_digest,
            error,
        } = self;
        f.debug_struct("FileDecryptor")
            .field("chunks_opened", &stream.as_ref().map(|s| s.next_index))
            .field("final_seen", &stream.as_ref().is_some_and(|s| s.final_seen))
            .field("buffered", &buffer.len())
            .field("ciphertext_len", ciphertext_len)
            .field("digest_expected", &expected_digest.is_some())
            .field("error", error)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::file::FileEncryptor;
    use crate::limits::MAX_FILE_CHUNK_SIZE;

    fn rng(seed: u8) -> ChaCha20Rng {
        ChaCha20Rng::from_seed([seed; 32])
    }

    #[test]
    fn the_decryptor_stops_at_the_file_size_limit() {
        let key = FileKey::generate(&mut rng(15));
        let encryptor =
            FileEncryptor::with_chunk_size(&mut rng(16), &key, MAX_FILE_CHUNK_SIZE).unwrap();
        let mut stream = Vec::new();
        encryptor.finish(&mut stream).unwrap();
        let mut decryptor = FileDecryptor::new(&key);
        let mut out = Vec::new();
        decryptor.push(&stream[..HEADER_LEN], &mut out).unwrap();
        // Pretend 5 GiB of full chunks went by: one more byte is over the limit.
        let chunks = (MAX_FILE_LEN / u64::from(MAX_FILE_CHUNK_SIZE)) as u32;
        decryptor.stream.as_mut().unwrap().next_index = chunks;
        let mut chunk = stream[HEADER_LEN..].to_vec();
        chunk[..4].copy_from_slice(&chunks.to_be_bytes());
        chunk[8] = 1;
        assert_eq!(
            decryptor.push(&chunk[..CHUNK_HEADER_LEN], &mut out),
            Err(FileDecryptError::TooLarge { max: MAX_FILE_LEN })
        );
    }
}
