//! Files: [`file_stream`] on fixed file streams, and its seeds.

use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use super::{flipped, rng, truncated};
use crate::file::{
    self, CHUNK_OVERHEAD, FileDecryptor, FileEncryptor, FileHeader, FileKey, FileSummary,
    HEADER_LEN, decrypt_chunk,
};
use crate::limits::MIN_FILE_CHUNK_SIZE;

/// The file key of every fixture stream.
const FILE_KEY: [u8; 32] = [0xf1; 32];
/// Another key, for a stream the fixture cannot open.
const OTHER_KEY: [u8; 32] = [0xf0; 32];
/// The fixture streams: the seed of each one's salt, and its plaintext length. Three chunks
/// with a short last one, two with a full last one, and an empty file (one empty chunk).
const STREAMS: [(u8, usize); 3] = [(0xf2, 2500), (0xf3, 2048), (0xf4, 0)];
/// The plaintext bytes per chunk of the fixture streams: the smallest allowed, so that a
/// stream of a few chunks stays a small seed.
const CHUNK_SIZE: u32 = MIN_FILE_CHUNK_SIZE;

fn key(bytes: [u8; 32]) -> FileKey {
    let mut bytes = bytes;
    FileKey::from_bytes(&mut bytes)
}

/// The plaintext of a fixture stream.
fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|at| (at % 251) as u8).collect()
}

/// One stream, made by a fixed encryptor under `key`.
struct Stream {
    header: FileHeader,
    plaintext: Vec<u8>,
    bytes: Vec<u8>,
    summary: FileSummary,
}

fn encrypt(key: &FileKey, salt_seed: u8, len: usize) -> Stream {
    let plaintext = plaintext(len);
    let mut encryptor = FileEncryptor::with_chunk_size(&mut rng(salt_seed), key, CHUNK_SIZE)
        .expect("the smallest chunk size is allowed");
    let header = *encryptor.header();
    let mut bytes = Vec::new();
    encryptor
        .push(&plaintext, &mut bytes)
        .expect("a fixture file is far below the size limit");
    let summary = encryptor
        .finish(&mut bytes)
        .expect("a fixture file is far below the size limit");
    Stream {
        header,
        plaintext,
        bytes,
        summary,
    }
}

super::fixture! {
    /// Made once per process with `std`, on every call without.
    fn streams() -> Vec<Stream> = || {
        let key = key(FILE_KEY);
        STREAMS
            .into_iter()
            .map(|(salt_seed, len)| encrypt(&key, salt_seed, len))
            .collect()
    };
}

/// Feeds a file stream to a [`FileDecryptor`] under a fixed [`FileKey`], in two pushes; the
/// first two bytes (big-endian) say where the rest is split. Also parses its header with
/// [`FileHeader::parse`] and decrypts each of its chunks on its own with [`decrypt_chunk`].
///
/// The fixed key has made three streams (of 2500, 2048 and 0 bytes) and nothing else, and
/// each stream has a fresh salt, so what decrypts under the key must be one of them:
///
/// - only verified plaintext is released: what the pushes output is a prefix of the file
///   whose header the stream starts with, and nothing for any other header;
/// - an error sticks, and where the stream is split does not change the outcome;
/// - if `finish` succeeds the stream is exactly a fixture stream, its summary is that
///   stream's (so its digest is the SHA-256 of the input) and the plaintext is that file;
/// - a chunk decrypted on its own is the file's chunk at that index, and every chunk of a
///   stream that decrypted decrypts on its own.
pub fn file_stream(data: &[u8]) {
    let Some((split, input)) = data.split_first_chunk::<2>() else {
        return;
    };
    let split = usize::from(u16::from_be_bytes(*split)).min(input.len());
    let key = key(FILE_KEY);
    let streams = streams();
    let header = FileHeader::parse(input);
    let file = header
        .ok()
        .and_then(|header| streams.iter().find(|stream| stream.header == header));
    let expected: &[u8] = file.map_or(&[], |file| &file.plaintext);

    let mut decryptor = FileDecryptor::new(&key);
    let mut plaintext = Vec::new();
    let (first, second) = input.split_at(split);
    let pushed = decryptor
        .push(first, &mut plaintext)
        .and_then(|()| decryptor.push(second, &mut plaintext));
    assert!(
        expected.starts_with(&plaintext),
        "released {} bytes of plaintext that are not the file's",
        plaintext.len()
    );
    let finished = decryptor.finish();
    if let Err(error) = pushed {
        assert_eq!(finished, Err(error), "an error did not stick");
    }
    let whole = file::decrypt(&key, input, None);
    match (&finished, &whole) {
        (Ok(summary), Ok((whole_plaintext, whole_summary))) => {
            assert_eq!(summary, whole_summary);
            assert!(whole_plaintext == &plaintext);
        }
        (Err(error), Err(whole_error)) => assert_eq!(error, whole_error),
        _ => panic!(
            "splitting the stream at {split} changed the outcome: {:?} in two pushes, {:?} in one",
            finished,
            whole.as_ref().map(|(_, summary)| summary)
        ),
    }
    if let Ok(summary) = finished {
        let file = file.expect("a stream the fixed key never made decrypted");
        assert!(
            input == file.bytes,
            "a stream decrypted that is not the file's"
        );
        assert!(plaintext == file.plaintext, "the plaintext is not the file");
        assert_eq!(summary, file.summary);
        assert_eq!(summary.digest, <[u8; 32]>::from(Sha256::digest(input)));
        assert_eq!(summary.ciphertext_len, input.len() as u64);
        assert_eq!(summary.plaintext_len, plaintext.len() as u64);
    }

    let Ok(header) = header else {
        return;
    };
    assert!(header.as_bytes()[..] == input[..HEADER_LEN]);
    let chunk_size = header.chunk_size() as usize;
    let end = input.len() as u64;
    for index in 0u32.. {
        let range = header.chunk_range(index);
        if range.start >= end {
            break;
        }
        let chunk = &input[range.start as usize..range.end.min(end) as usize];
        let opened = decrypt_chunk(&key, &header, index, chunk);
        assert!(
            opened.is_ok() || finished.is_err(),
            "chunk {index} of a stream that decrypted does not decrypt on its own: {opened:?}"
        );
        // At the next position, a genuine chunk is out of order; the bytes there may be the
        // next chunk, though.
        let next = index.saturating_add(1);
        for (position, opened) in [
            (index, opened),
            (next, decrypt_chunk(&key, &header, next, chunk)),
        ] {
            let Ok(opened) = opened else {
                continue;
            };
            let file = file.expect("a chunk the fixed key never made decrypted");
            let start = position as usize * chunk_size;
            let stop = (start + chunk_size).min(file.plaintext.len());
            assert!(
                file.plaintext.get(start..stop) == Some(&opened.plaintext[..]),
                "chunk {position} decrypted on its own is not the file's"
            );
            assert_eq!(
                opened.is_final,
                u64::from(position) + 1 == u64::from(file.summary.chunk_count)
            );
        }
    }
}

/// The seeds of [`file_stream`]: the fixture streams split in various places, and streams
/// broken in each way the format tells apart.
pub(super) fn seeds(add: &mut impl FnMut(&'static str, &'static str, Vec<u8>)) {
    let streams = streams();
    let [three, two, empty] = [&streams[0], &streams[1], &streams[2]];
    let split = |at: usize, bytes: &[u8]| {
        let at = u16::try_from(at).expect("a seed splits within 64 KiB");
        [&at.to_be_bytes()[..], bytes].concat()
    };
    let span = CHUNK_SIZE as usize + CHUNK_OVERHEAD;
    let chunk = |stream: &Stream, index: usize| {
        let start = HEADER_LEN + index * span;
        stream.bytes[start..(start + span).min(stream.bytes.len())].to_vec()
    };
    let header = |stream: &Stream| stream.bytes[..HEADER_LEN].to_vec();

    add(
        "file_stream",
        "seed-three-chunks",
        split(HEADER_LEN + span + 100, &three.bytes),
    );
    add(
        "file_stream",
        "seed-split-in-header",
        split(40, &three.bytes),
    );
    add(
        "file_stream",
        "seed-full-final-chunk",
        split(HEADER_LEN + span, &two.bytes),
    );
    add("file_stream", "seed-empty-file", split(0, &empty.bytes));
    let other = encrypt(&key(OTHER_KEY), STREAMS[0].0, 100);
    add("file_stream", "seed-other-key", split(0, &other.bytes));
    add(
        "file_stream",
        "seed-truncated",
        split(HEADER_LEN, &truncated(&three.bytes)),
    );
    add(
        "file_stream",
        "seed-bad-tag",
        split(HEADER_LEN + 5, &flipped(&three.bytes)),
    );
    let swapped = [
        header(three),
        chunk(three, 1),
        chunk(three, 0),
        chunk(three, 2),
    ]
    .concat();
    add("file_stream", "seed-swapped-chunks", split(0, &swapped));
    let repeated = [header(three), chunk(three, 0), chunk(three, 0)].concat();
    add("file_stream", "seed-repeated-chunk", split(0, &repeated));
    let trailing = [&two.bytes[..], &chunk(two, 1)].concat();
    add(
        "file_stream",
        "seed-trailing-data",
        split(two.bytes.len(), &trailing),
    );
    let dropped_final = [header(two), chunk(two, 0)].concat();
    add(
        "file_stream",
        "seed-final-chunk-dropped",
        split(0, &dropped_final),
    );
    let spliced = [header(two), chunk(three, 0), chunk(two, 1)].concat();
    add("file_stream", "seed-spliced-chunk", split(0, &spliced));
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Whether the input decrypts under the fixed key.
    pub(in crate::fuzzing) fn accepted(data: &[u8]) -> bool {
        file::decrypt(&key(FILE_KEY), &data[2..], None).is_ok()
    }
}
