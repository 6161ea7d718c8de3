//! The file vector set: the chunked stream of a small file.
//!
//! [`JSON_FILE`] (stream format 1): a 2560-byte file under a listed file key, with the
//! smallest chunk size (1024 bytes, so 2.5 chunks: two full ones and a final half one) and
//! the salt that the encryptor draws scripted. This module:
//!
//! - encrypts the file with [`FileEncryptor`] and a [`ScriptedRng`] that hands out exactly the
//!   salt;
//! - builds the stream again from the specification with the bare primitives (HKDF-SHA256,
//!   AES-256-GCM, SHA-256), checking the key split, every nonce and associated data, every
//!   chunk and the digest against Ember's stream;
//! - decrypts the recorded stream, as a whole (with its digest) and chunk by chunk (random
//!   access), and checks that every must-fail stream fails with the intended error.
//!
//! The markdown, [`MARKDOWN_FILE`], goes under a `### File stream vectors` heading of
//! `docs/PROTOCOL.md`; once that heading exists, it must print every input and output.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    Field, Outputs, Row, ScriptedRng, Value, VectorSet, debug, derived_hex, field_rows, output,
    output_rows, print_hex, print_rows, sent_bytes, to_value, unhex, unhex32,
};
use crate::crypto::{aead, kdf};
use crate::domain;
use crate::error::FileEncryptError;
use crate::file::{self, FORMAT, FileEncryptor, FileHeader, FileKey, FileSummary};

/// The vector set, relative to the crate.
const JSON_FILE: &str = "tests/data/kat/file-v1.json";
/// The vectors printed for the specification, relative to the crate.
const MARKDOWN_FILE: &str = "../docs/PROTOCOL-vectors-file.md";

/// The section of docs/PROTOCOL.md that the values exercise.
const FILES: &str = "§11 Files";

/// The plaintext: byte `i` is `i mod 251`, for 2.5 chunks of the smallest size.
const PLAINTEXT_LEN: u32 = 2560;
const PATTERN_MODULUS: u32 = 251;

// ---------------------------------------------------------------------------------------------
// The file format
// ---------------------------------------------------------------------------------------------

/// The vector set as stored. Fields serialize in declaration order, so the file is stable.
#[derive(Serialize, Deserialize, Debug)]
struct Vectors {
    about: String,
    format: u8,
    inputs: Inputs,
    outputs: Vec<Value>,
    must_fail: Vec<MustFail>,
}

/// Everything another implementation needs to rebuild the stream. Byte strings are hex.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Inputs {
    file_key: String,
    salt: String,
    chunk_size: u32,
    plaintext: String,
}

/// A stream that must be rejected: the concatenation of its pieces.
type MustFail = super::MustFail<Check, Vec<Piece>>;

/// How a must-fail stream is decrypted.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "check", rename_all = "snake_case")]
enum Check {
    /// With the file key, as a whole stream, without an expected digest.
    Decrypt,
    /// The same, with another key.
    DecryptWithKey { key: String },
}

/// A piece of a must-fail stream: an output, or bytes listed in the case.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Piece {
    Output(String),
    Hex(String),
}

// ---------------------------------------------------------------------------------------------
// The scenario's inputs
// ---------------------------------------------------------------------------------------------

const ABOUT: &str = "Ember known-answer vectors, file streams (format 1). Encrypt `plaintext` \
under `file_key` with `chunk_size`, using `salt` as the header's salt (the one random value the \
encryptor draws), and compare every `outputs` value; the stream is `header` followed by the \
chunks. Byte strings are hex, integers are plain. Every `must_fail` stream (the concatenation \
of its pieces: named outputs and listed bytes) must be rejected when decrypted with the file key \
(or the key it lists). docs/PROTOCOL.md explains each value.";

/// The inputs: the key and salt are SHA-256("ember-kat/" || label); the plaintext follows
/// [`PATTERN_MODULUS`].
fn derived_inputs() -> Inputs {
    let plaintext: Vec<u8> = (0..PLAINTEXT_LEN)
        .map(|i| (i % PATTERN_MODULUS) as u8)
        .collect();
    Inputs {
        file_key: derived_hex("file/key"),
        salt: derived_hex("file/salt"),
        chunk_size: crate::limits::MIN_FILE_CHUNK_SIZE,
        plaintext: hex::encode(plaintext),
    }
}

fn file_key(text: &str) -> FileKey {
    FileKey::from_bytes(&mut unhex32(text))
}

// ---------------------------------------------------------------------------------------------
// The stream, from the specification
// ---------------------------------------------------------------------------------------------

/// The stream and its parts, derived here with the bare primitives as the specification
/// states them, then checked against Ember's stream.
struct Spec {
    info: Vec<u8>,
    chunk_key: [u8; 32],
    nonce_prefix: Vec<u8>,
    commitment: Vec<u8>,
    header: Vec<u8>,
    chunk_size: usize,
    chunks: Vec<SpecChunk>,
    plaintext_len: u64,
    stream: Vec<u8>,
    digest: [u8; 32],
}

/// One chunk: its nonce, associated data and bytes on the wire.
struct SpecChunk {
    nonce: [u8; 12],
    associated_data: Vec<u8>,
    bytes: Vec<u8>,
}

impl Spec {
    fn derive(inputs: &Inputs) -> Self {
        let salt = unhex32(&inputs.salt);
        let fixed = [&b"EMBF"[..], &[0x01], &inputs.chunk_size.to_be_bytes()].concat();
        let info = [domain::FILE, &fixed].concat();
        let mut okm = [0u8; 71];
        let key = unhex32(&inputs.file_key);
        assert!(kdf::hkdf_sha256(&salt, &key, &info, &mut okm).is_ok());
        let (chunk_key, rest) = okm.split_at(32);
        let (nonce_prefix, commitment) = rest.split_at(7);
        let chunk_key: [u8; 32] = chunk_key.try_into().unwrap_or_else(|_| panic!("32 bytes"));
        let header = [&fixed[..], &salt, commitment].concat();

        let plaintext = unhex(&inputs.plaintext);
        let mut pieces: Vec<&[u8]> = plaintext.chunks(inputs.chunk_size as usize).collect();
        if pieces.is_empty() {
            pieces.push(&[]);
        }
        let last = pieces.len() - 1;
        let chunks: Vec<SpecChunk> = (0u32..)
            .zip(&pieces)
            .map(|(index, piece)| {
                let is_final = index as usize == last;
                SpecChunk::seal(&chunk_key, nonce_prefix, &header, index, is_final, piece)
            })
            .collect();
        let mut stream = header.clone();
        for chunk in &chunks {
            stream.extend_from_slice(&chunk.bytes);
        }
        Self {
            info,
            chunk_key,
            nonce_prefix: nonce_prefix.to_vec(),
            commitment: commitment.to_vec(),
            header,
            chunk_size: inputs.chunk_size as usize,
            chunks,
            plaintext_len: plaintext.len() as u64,
            digest: Sha256::digest(&stream).into(),
            stream,
        }
    }

    /// The stream's parts as they lie in `stream`: the header, then each chunk.
    fn parts<'a>(&self, stream: &'a [u8]) -> Vec<&'a [u8]> {
        let mut parts = Vec::new();
        let mut rest = stream;
        let lengths = core::iter::once(self.header.len());
        for len in lengths.chain(self.chunks.iter().map(|chunk| chunk.bytes.len())) {
            let (part, after) = rest.split_at(len);
            parts.push(part);
            rest = after;
        }
        assert!(rest.is_empty(), "bytes after the last chunk");
        parts
    }

    fn record_keys(&self, out: &mut Outputs) {
        out.push(FILES, "hkdf_info", HKDF_INFO, &self.info);
        out.push(FILES, "chunk_key", CHUNK_KEY, &self.chunk_key);
        out.push(FILES, "nonce_prefix", NONCE_PREFIX, &self.nonce_prefix);
        out.push(FILES, "commitment", COMMITMENT, &self.commitment);
    }

    fn record_chunk(&self, index: usize, bytes: &[u8], out: &mut Outputs) {
        let chunk = &self.chunks[index];
        let is_final = index + 1 == self.chunks.len();
        let (flag, kind) = if is_final {
            ("0x01", "the final chunk")
        } else {
            ("0x00", "not the final chunk")
        };
        let nonce =
            format!("Nonce of chunk {index}: nonce_prefix || u32be({index}) || {flag} ({kind}).");
        let associated_data = format!(
            "Associated data of chunk {index}: header (73 bytes) || the chunk's first 9 bytes \
             (index, flag, length)."
        );
        let start = index * self.chunk_size;
        let end = start + bytes.len() - file::CHUNK_OVERHEAD;
        let about = format!(
            "Chunk {index} on the wire: u32be({index}) || {flag} || u32be({}) || \
             AES-256-GCM(chunk_key, chunk_nonce_{index}, chunk_associated_data_{index}, \
             plaintext[{start}..{end}]) (ciphertext || 16-byte tag).",
            end - start
        );
        out.push(FILES, format!("chunk_nonce_{index}"), nonce, &chunk.nonce);
        let name = format!("chunk_associated_data_{index}");
        out.push(FILES, name, associated_data, &chunk.associated_data);
        out.push(FILES, format!("chunk_{index}"), about, bytes);
    }
}

impl SpecChunk {
    fn seal(
        chunk_key: &[u8; 32],
        nonce_prefix: &[u8],
        header: &[u8],
        index: u32,
        is_final: bool,
        plaintext: &[u8],
    ) -> Self {
        let flag = u8::from(is_final);
        let len = u32::try_from(plaintext.len()).unwrap_or_else(|_| panic!("chunk length"));
        let chunk_header = [&index.to_be_bytes()[..], &[flag], &len.to_be_bytes()].concat();
        let nonce: [u8; 12] = [nonce_prefix, &index.to_be_bytes(), &[flag]]
            .concat()
            .try_into()
            .unwrap_or_else(|_| panic!("a 12-byte nonce"));
        let associated_data = [header, &chunk_header].concat();
        let sealed = aead::seal(chunk_key, &nonce, &associated_data, plaintext);
        let sealed = sealed.unwrap_or_else(|_| panic!("sealing chunk {index}"));
        Self {
            nonce,
            associated_data,
            bytes: [chunk_header, sealed].concat(),
        }
    }
}

const HKDF_INFO: &str = "HKDF info: `ember/v1/file\\0` || header[0..9] (`EMBF`, format 0x01, \
u32be(chunk_size)).";
const CHUNK_KEY: &str = "okm[0..32] of okm = HKDF-SHA256(salt = salt, ikm = file_key, info = \
hkdf_info, L = 71): the AES-256-GCM key of every chunk.";
const NONCE_PREFIX: &str = "okm[32..39]: the first 7 bytes of every chunk's nonce.";
const COMMITMENT: &str = "okm[39..71]: the key commitment, stored in the header and compared (in \
constant time) before any chunk is decrypted.";
const HEADER: &str = "The stream header (73 bytes): `EMBF` || 0x01 || u32be(chunk_size) || salt || \
commitment.";
const DIGEST: &str = "SHA-256 of the whole stream (header || chunk_0 || chunk_1 || chunk_2), the \
file's digest sent along with its key.";

// ---------------------------------------------------------------------------------------------
// Computing the vector set
// ---------------------------------------------------------------------------------------------

/// Encrypts the file with Ember, drawing exactly the salt.
fn encrypt(inputs: &Inputs) -> (Vec<u8>, FileSummary) {
    let key = file_key(&inputs.file_key);
    let plaintext = unhex(&inputs.plaintext);
    let encrypted = ScriptedRng::run(&[unhex32(&inputs.salt)], |rng| {
        let mut encryptor = FileEncryptor::with_chunk_size(rng, &key, inputs.chunk_size)?;
        let mut stream = Vec::new();
        encryptor.push(&plaintext, &mut stream)?;
        let summary = encryptor.finish(&mut stream)?;
        Ok::<_, FileEncryptError>((stream, summary))
    });
    encrypted.unwrap_or_else(|error| panic!("encrypting: {error:?}"))
}

/// Computes every output from `inputs` and runs every must-fail case. With `recorded`, each
/// part of the stream must equal the recorded one, and the decryptor gets the recorded bytes.
fn compute(inputs: &Inputs, recorded: Option<&Vectors>) -> Vectors {
    let recorded = recorded.map(|recorded| recorded.outputs.as_slice());
    let spec = Spec::derive(inputs);
    let (stream, summary) = encrypt(inputs);
    assert_eq!(hex::encode(&stream), hex::encode(&spec.stream), "stream");
    let wanted = (
        spec.chunks.len(),
        spec.plaintext_len,
        spec.stream.len(),
        spec.digest,
    );
    let ours = (
        summary.chunk_count as usize,
        summary.plaintext_len,
        summary.ciphertext_len as usize,
        summary.digest,
    );
    assert_eq!(ours, wanted, "summary");

    let mut outputs = Outputs::default();
    spec.record_keys(&mut outputs);
    let parts = spec.parts(&stream);
    outputs.push(FILES, "header", HEADER, parts[0]);
    let mut sent = sent_bytes(recorded, "header", parts[0].to_vec());
    for (index, part) in parts[1..].iter().enumerate() {
        spec.record_chunk(index, part, &mut outputs);
        let name = format!("chunk_{index}");
        sent.extend(sent_bytes(recorded, &name, part.to_vec()));
    }
    outputs.push(FILES, "digest", DIGEST, &spec.digest);
    let digest = sent_bytes(recorded, "digest", spec.digest.to_vec());
    receive(inputs, &spec, &sent, &digest, &summary);

    let must_fail = run_cases(inputs, &outputs.0);

    Vectors {
        about: ABOUT.to_string(),
        format: FORMAT,
        inputs: inputs.clone(),
        outputs: outputs.0,
        must_fail,
    }
}

/// The receive side: the recorded stream decrypts as a whole (checking its digest) and chunk
/// by chunk (random access), to the plaintext.
fn receive(inputs: &Inputs, spec: &Spec, stream: &[u8], digest: &[u8], sent: &FileSummary) {
    let key = file_key(&inputs.file_key);
    let plaintext = unhex(&inputs.plaintext);
    let digest: [u8; 32] = digest
        .try_into()
        .unwrap_or_else(|_| panic!("32-byte digest"));
    let decrypted = file::decrypt(&key, stream, Some(&digest));
    let (ours, summary) = decrypted.unwrap_or_else(|error| panic!("decrypting: {error:?}"));
    assert!(ours == plaintext, "the decrypted file");
    assert_eq!(&summary, sent, "the decryptor's summary");

    let header = FileHeader::parse(stream);
    let header = header.unwrap_or_else(|error| panic!("header: {error:?}"));
    for (index, wanted) in (0u32..).zip(plaintext.chunks(spec.chunk_size)) {
        let range = header.chunk_range(index);
        let end = range.end.min(stream.len() as u64);
        let chunk = &stream[range.start as usize..end as usize];
        let opened = file::decrypt_chunk(&key, &header, index, chunk);
        let opened = opened.unwrap_or_else(|error| panic!("chunk {index}: {error:?}"));
        assert!(opened.plaintext == wanted, "chunk {index} on its own");
        let is_final = index as usize + 1 == spec.chunks.len();
        assert_eq!(opened.is_final, is_final, "chunk {index} is final");
    }
}

/// Decrypts the stream of each must-fail case, which must fail with the intended error.
fn run_cases(inputs: &Inputs, outputs: &[Value]) -> Vec<MustFail> {
    let the_file_key = file_key(&inputs.file_key);
    let cases = CASES.iter();
    cases
        .map(|case| {
            let check = case.check();
            let pieces = (case.input)(outputs);
            let stream = assemble(&pieces, outputs);
            let result = match &check {
                Check::Decrypt => file::decrypt(&the_file_key, &stream, None),
                Check::DecryptWithKey { key } => file::decrypt(&file_key(key), &stream, None),
            };
            let case_text = (case.name, case.about, case.error);
            MustFail::checked(case_text, check, pieces, result.map(drop).map_err(debug))
        })
        .collect()
}

/// The stream a must-fail case lists: its pieces, one after the other.
fn assemble(pieces: &[Piece], outputs: &[Value]) -> Vec<u8> {
    let bytes = pieces.iter().map(|piece| match piece {
        Piece::Output(name) => output(outputs, name),
        Piece::Hex(text) => unhex(text),
    });
    bytes.collect::<Vec<_>>().concat()
}

// ---------------------------------------------------------------------------------------------
// Must-fail cases
// ---------------------------------------------------------------------------------------------

/// A must-fail case: how its stream is made from the outputs, and the error it must give.
struct Case {
    name: &'static str,
    about: &'static str,
    /// The label of the key to decrypt with instead of the file key (see [`derived_hex`]).
    other_key: Option<&'static str>,
    input: fn(&[Value]) -> Vec<Piece>,
    error: &'static str,
}

impl Case {
    fn check(&self) -> Check {
        match self.other_key {
            None => Check::Decrypt,
            Some(label) => Check::DecryptWithKey {
                key: derived_hex(label),
            },
        }
    }
}

const CASES: &[Case] = &[
    Case {
        name: "final_chunk_dropped",
        about: "The stream cut after chunk 1: it ends without a final chunk.",
        other_key: None,
        input: |_| outputs(&["header", "chunk_0", "chunk_1"]),
        error: "Truncated { chunks: 2 }",
    },
    Case {
        name: "chunks_0_and_1_swapped",
        about: "Chunks 0 and 1 swapped.",
        other_key: None,
        input: |_| outputs(&["header", "chunk_1", "chunk_0", "chunk_2"]),
        error: "OutOfOrder { expected: 0, got: 1 }",
    },
    Case {
        name: "chunk_1_dropped",
        about: "Chunk 1 left out: the final chunk arrives in its place.",
        other_key: None,
        input: |_| outputs(&["header", "chunk_0", "chunk_2"]),
        error: "OutOfOrder { expected: 1, got: 2 }",
    },
    Case {
        name: "chunk_0_repeated",
        about: "Chunk 0 twice.",
        other_key: None,
        input: |_| outputs(&["header", "chunk_0", "chunk_0", "chunk_1", "chunk_2"]),
        error: "Duplicate { index: 0 }",
    },
    Case {
        name: "byte_after_final_chunk",
        about: "One byte 0x00 after the final chunk.",
        other_key: None,
        input: |_| {
            let mut pieces = outputs(&["header", "chunk_0", "chunk_1", "chunk_2"]);
            pieces.push(Piece::Hex("00".to_string()));
            pieces
        },
        error: "TrailingData",
    },
    Case {
        name: "chunk_2_tag_flipped",
        about: "Chunk 2 with the lowest bit of its last tag byte flipped.",
        other_key: None,
        input: |values| {
            let mut chunk = output(values, "chunk_2");
            if let Some(last) = chunk.last_mut() {
                *last ^= 0x01;
            }
            let mut pieces = outputs(&["header", "chunk_0", "chunk_1"]);
            pieces.push(Piece::Hex(hex::encode(chunk)));
            pieces
        },
        error: "BadTag { index: 2 }",
    },
    Case {
        name: "wrong_key",
        about: "The whole stream, decrypted with another key: the commitment fails before any \
                chunk is decrypted.",
        other_key: Some("file/wrong-key"),
        input: |_| outputs(&["header", "chunk_0", "chunk_1", "chunk_2"]),
        error: "KeyMismatch",
    },
];

fn outputs(names: &[&str]) -> Vec<Piece> {
    let names = names.iter();
    names.map(|name| Piece::Output(name.to_string())).collect()
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

/// The section and explanation of each input field, in the order printed. Every input field
/// must have one.
#[rustfmt::skip]
const INPUT_FIELDS: &[Field] = &[
    ("file_key", FILES, "The 32-byte file key, which travels to the recipients inside an encrypted message."),
    ("salt", FILES, "The header's 32-byte salt: the one random value the encryptor draws."),
    ("chunk_size", FILES, "Plaintext bytes per chunk: the smallest allowed, 1 KiB (the default is 64 KiB)."),
    ("plaintext", FILES, "The file, 2560 bytes (2.5 chunks): byte i is i mod 251."),
];

fn input_rows(inputs: &Inputs) -> Vec<Row> {
    let mut rows = Vec::new();
    field_rows(
        "",
        &to_value(inputs),
        INPUT_FIELDS,
        ToString::to_string,
        &mut rows,
    );
    rows
}

const MARKDOWN_INTRO: &str = "\
### File stream vectors

These vectors fix a file stream of format 1 byte for byte. They are checked in as
`core/tests/data/kat/file-v1.json` and checked by `cargo test -p ember-core --lib kat`, which
encrypts the file with Ember, builds the stream again from this specification with the bare
primitives, and decrypts it (as a whole, and chunk by chunk). Byte strings are hex, integers
decimal; the key and salt were made as SHA-256(`ember-kat/` || label), but only the bytes
themselves are part of the vectors.

The file is encrypted with `chunk_size` 1024, so it makes three chunks: two full ones (flag
0x00) and a final one of 512 bytes (flag 0x01). The stream is `header || chunk_0 || chunk_1 ||
chunk_2`.
";

const MARKDOWN_MUST_FAIL: &str = "
#### Must-fail cases

Each stream is the concatenation of the listed pieces (outputs above, or bytes printed with the
case), decrypted with the file key (unless the case names another) and without an expected
digest; it must be rejected. The error names are Ember's; another implementation only has to
fail.
";

fn markdown(vectors: &Vectors) -> String {
    let mut out = String::from(MARKDOWN_INTRO);
    print_rows(&mut out, "#### Inputs", &input_rows(&vectors.inputs));
    print_rows(&mut out, "#### Outputs", &output_rows(&vectors.outputs));
    out.push_str(MARKDOWN_MUST_FAIL);
    for case in &vectors.must_fail {
        let pieces = case.input.iter().map(|piece| match piece {
            Piece::Output(name) => format!("`{name}`"),
            Piece::Hex(_) => "the bytes below".to_string(),
        });
        let stream = pieces.collect::<Vec<_>>().join(" || ");
        let key = match &case.check {
            Check::Decrypt => "the file key".to_string(),
            Check::DecryptWithKey { key } => format!("the key `{key}`"),
        };
        let _ = writeln!(
            out,
            "\n`{}`: {} Decrypt {stream} with {key}; Ember reports `{}`.",
            case.name, case.about, case.error
        );
        for piece in &case.input {
            if let Piece::Hex(text) = piece {
                print_hex(&mut out, text);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

impl VectorSet for Vectors {
    type Inputs = Inputs;

    const JSON_FILE: &'static str = JSON_FILE;
    const RECORDED: &'static str = include_str!("../../tests/data/kat/file-v1.json");
    const MARKDOWN_FILE: &'static str = MARKDOWN_FILE;

    /// A `### ... File stream vectors` heading.
    fn is_heading(line: &str) -> bool {
        line.starts_with("### ") && line.contains("File stream vectors")
    }

    fn derived_inputs() -> Inputs {
        derived_inputs()
    }

    fn compute(inputs: &Inputs, recorded: Option<&Self>) -> Self {
        compute(inputs, recorded)
    }

    fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    fn input_rows(inputs: &Inputs) -> Vec<Row> {
        input_rows(inputs)
    }

    fn outputs(&self) -> &[Value] {
        &self.outputs
    }

    fn case_rows(&self) -> Vec<Row> {
        super::case_rows(&self.must_fail)
    }

    fn markdown(&self) -> String {
        markdown(self)
    }
}

/// Compares Ember with the recorded vectors (or, with `EMBER_WRITE_KAT=1`, records them).
#[test]
fn file_vectors() {
    super::check::<Vectors>();
}

/// Once the specification prints the file vectors, it must print the current ones.
#[test]
fn protocol_md_prints_the_file_vectors() {
    super::check_protocol_md::<Vectors>();
}
