//! The incremental file encryptor.

use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::format::{DEFAULT_CHUNK_SIZE, FileHeader, HEADER_LEN, StreamKeys};
use super::{FileKey, FileSummary};
use crate::error::FileEncryptError;
use crate::limits::{MAX_FILE_CHUNK_SIZE, MAX_FILE_LEN, MIN_FILE_CHUNK_SIZE};

/// Encrypts a file of any length up to [`MAX_FILE_LEN`] in constant memory: push plaintext
/// in, take the stream out.
///
/// It holds at most one chunk of plaintext (in a buffer wiped on drop), because a full chunk
/// can only be sealed once it is known whether more follows.
///
/// ```
/// use ember_core::file::{FileDecryptor, FileEncryptor, FileKey};
/// # use rand_core::SeedableRng;
/// # let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
/// let key = FileKey::generate(&mut rng);
/// let mut encryptor = FileEncryptor::new(&mut rng, &key);
/// let mut stream = Vec::new();
/// for part in [&b"hello, "[..], b"world"] {
///     encryptor.push(part, &mut stream)?;
/// }
/// let sent = encryptor.finish(&mut stream)?;
///
/// let mut decryptor = FileDecryptor::with_expected_digest(&key, sent.digest);
/// let mut plaintext = Vec::new();
/// decryptor.push(&stream, &mut plaintext)?;
/// assert_eq!(decryptor.finish()?, sent);
/// assert_eq!(plaintext, b"hello, world");
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
pub struct FileEncryptor {
    header: FileHeader,
    keys: StreamKeys,
    header_written: bool,
    /// Plaintext of the chunk being filled; never grows past its initial capacity, so it is
    /// never reallocated and leaves no unwiped copy behind.
    buffer: Zeroizing<Vec<u8>>,
    chunk_size: usize,
    next_index: u32,
    plaintext_len: u64,
    ciphertext_len: u64,
    hasher: Sha256,
}

impl FileEncryptor {
    /// Starts a file with a fresh random salt and the [`DEFAULT_CHUNK_SIZE`] (64 KiB).
    pub fn new(rng: &mut (impl CryptoRng + ?Sized), key: &FileKey) -> Self {
        Self::build(rng, key, DEFAULT_CHUNK_SIZE)
    }

    /// Starts a file with another chunk size, between [`MIN_FILE_CHUNK_SIZE`] and
    /// [`MAX_FILE_CHUNK_SIZE`].
    pub fn with_chunk_size(
        rng: &mut (impl CryptoRng + ?Sized),
        key: &FileKey,
        chunk_size: u32,
    ) -> Result<Self, FileEncryptError> {
        if !(MIN_FILE_CHUNK_SIZE..=MAX_FILE_CHUNK_SIZE).contains(&chunk_size) {
            return Err(FileEncryptError::BadChunkSize { size: chunk_size });
        }
        Ok(Self::build(rng, key, chunk_size))
    }

    fn build(rng: &mut (impl CryptoRng + ?Sized), key: &FileKey, chunk_size: u32) -> Self {
        let (header, keys) = FileHeader::create(rng, key, chunk_size);
        let chunk_size = chunk_size as usize;
        Self {
            header,
            keys,
            header_written: false,
            buffer: Zeroizing::new(Vec::with_capacity(chunk_size)),
            chunk_size,
            next_index: 0,
            plaintext_len: 0,
            ciphertext_len: 0,
            hasher: Sha256::new(),
        }
    }

    /// The stream's header (also the first bytes the encryptor outputs).
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// Encrypts `plaintext`, appending to `output` the stream bytes that are ready: the
    /// header on the first call, then every chunk known not to be the last.
    ///
    /// If the file would grow past [`MAX_FILE_LEN`], nothing of `plaintext` is taken and
    /// the encryptor is unchanged.
    pub fn push(&mut self, plaintext: &[u8], output: &mut Vec<u8>) -> Result<(), FileEncryptError> {
        let len = self.plaintext_len.saturating_add(plaintext.len() as u64);
        if len > MAX_FILE_LEN {
            return Err(FileEncryptError::TooLarge {
                len,
                max: MAX_FILE_LEN,
            });
        }
        self.write_header(output);
        let mut input = plaintext;
        while !input.is_empty() {
            if self.buffer.len() == self.chunk_size {
                // More input follows, so the buffered full chunk is not the last one.
                let buffered = core::mem::take(&mut *self.buffer);
                let sealed = self.seal(&buffered, false, output);
                *self.buffer = buffered;
                self.buffer.clear();
                sealed?;
            }
            if self.buffer.is_empty() {
                // Whole chunks with more input after them go straight from input to output.
                while input.len() > self.chunk_size {
                    let (chunk, rest) = input.split_at(self.chunk_size);
                    self.seal(chunk, false, output)?;
                    input = rest;
                }
            }
            let take = (self.chunk_size - self.buffer.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.buffer.extend_from_slice(head);
            input = rest;
        }
        self.plaintext_len = len;
        Ok(())
    }

    /// Seals the final chunk (what is buffered, possibly nothing), appends it to `output`,
    /// and returns the summary to send along with the key: lengths, chunk count and the
    /// SHA-256 digest of the whole stream.
    pub fn finish(mut self, output: &mut Vec<u8>) -> Result<FileSummary, FileEncryptError> {
        self.write_header(output);
        let buffered = core::mem::take(&mut *self.buffer);
        let sealed = self.seal(&buffered, true, output);
        *self.buffer = buffered;
        sealed?;
        Ok(FileSummary {
            plaintext_len: self.plaintext_len,
            ciphertext_len: self.ciphertext_len,
            chunk_count: self.next_index,
            digest: self.hasher.clone().finalize().into(),
        })
    }

    fn write_header(&mut self, output: &mut Vec<u8>) {
        if !self.header_written {
            output.extend_from_slice(self.header.as_bytes());
            self.hasher.update(self.header.as_bytes());
            self.ciphertext_len = HEADER_LEN as u64;
            self.header_written = true;
        }
    }

    fn seal(
        &mut self,
        plaintext: &[u8],
        is_final: bool,
        output: &mut Vec<u8>,
    ) -> Result<(), FileEncryptError> {
        let too_large = FileEncryptError::TooLarge {
            len: self.plaintext_len.saturating_add(plaintext.len() as u64),
            max: MAX_FILE_LEN,
        };
        let start = output.len();
        self.keys
            .seal_chunk(&self.header, self.next_index, is_final, plaintext, output)
            .map_err(|_| too_large)?;
        self.next_index = self.next_index.checked_add(1).ok_or(too_large)?;
        let chunk = output.get(start..).unwrap_or_default();
        self.hasher.update(chunk);
        self.ciphertext_len += chunk.len() as u64;
        Ok(())
    }
}

impl fmt::Debug for FileEncryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            header: _,
            keys: _,
            header_written: _,
            buffer: _,
            chunk_size,
            next_index,
            plaintext_len,
            ciphertext_len,
            hasher: _,
        } = self;
        f.debug_struct("FileEncryptor")
            .field("chunk_size", chunk_size)
            .field("chunks_sealed", next_index)
            .field("plaintext_len", plaintext_len)
            .field("ciphertext_len", ciphertext_len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    fn rng(seed: u8) -> ChaCha20Rng {
        ChaCha20Rng::from_seed([seed; 32])
    }

    #[test]
    fn the_encryptor_stops_at_the_file_size_limit() {
        let key = FileKey::generate(&mut rng(13));
        let mut encryptor = FileEncryptor::with_chunk_size(&mut rng(14), &key, 1024).unwrap();
        let mut stream = Vec::new();
        encryptor.push(&[1; 100], &mut stream).unwrap();
        // Pretend the file already holds all but 10 bytes of the limit.
        encryptor.plaintext_len = MAX_FILE_LEN - 10;
        let before = stream.len();
        assert_eq!(
            encryptor.push(&[2; 11], &mut stream),
            Err(FileEncryptError::TooLarge {
                len: MAX_FILE_LEN + 1,
                max: MAX_FILE_LEN
            })
        );
        assert_eq!(
            stream.len(),
            before,
            "nothing of the refused input was taken"
        );
        encryptor.push(&[2; 10], &mut stream).unwrap();
        let summary = encryptor.finish(&mut stream).unwrap();
        assert_eq!(summary.plaintext_len, MAX_FILE_LEN);
    }
}
