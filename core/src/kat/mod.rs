//! Ember's own known-answer vectors, three sets checked in under `tests/data/kat/`:
//!
//! - [`session`] (`session-v1.json`): session setup and the first messages of a 1:1
//!   conversation;
//! - [`room`] (`room-v1.json`): a room member's sender chain, three room messages on it, and
//!   another member receiving them;
//! - [`file`] (`file-v1.json`): the chunked stream of a small file.
//!
//! Each set lists its `inputs` (every byte the scenario uses, including whatever Ember draws
//! from its RNG), its `outputs` (named byte strings, each with the section of
//! `docs/PROTOCOL.md` it exercises and a one-line explanation) and its `must_fail` cases.
//! Another implementation checks itself by rebuilding the scenario from the inputs alone; each
//! set does the same with Ember's own code:
//!
//! - it runs the scenario through Ember with a [`ScriptedRng`] that hands out exactly the
//!   listed random bytes, and fails if a step draws more or fewer of them than listed;
//! - it derives the intermediate values again from the specification with the bare
//!   primitives ([`crate::crypto`]) and checks them against what Ember made;
//! - it compares every output with the recorded one and checks that every must-fail input
//!   fails with the intended error.
//!
//! Regenerating (only for a deliberate change of the protocol or of a scenario):
//!
//! ```text
//! EMBER_WRITE_KAT=1 cargo test -p ember-core --lib kat          # every set
//! EMBER_WRITE_KAT=1 cargo test -p ember-core --lib kat::room    # one set
//! ```
//!
//! writes each set's JSON file and its markdown (`docs/PROTOCOL-vectors*.md`) instead of
//! comparing; the markdown then replaces its part of `docs/PROTOCOL.md` by hand. Once
//! `docs/PROTOCOL.md` has a set's heading, the compare mode also checks that it prints every
//! input and output of the set, so the published vectors cannot drift from the code.

extern crate std;

mod file;
mod retention;
mod room;
mod session;

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt::{Debug, Write as _};

use rand_core::{TryCryptoRng, TryRng};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The specification, which must print each set once it has the set's heading.
const PROTOCOL_FILE: &str = "../docs/PROTOCOL.md";
/// The environment variable that switches the tests from comparing to writing.
const WRITE_VAR: &str = "EMBER_WRITE_KAT";

// ---------------------------------------------------------------------------------------------
// A vector set
// ---------------------------------------------------------------------------------------------

/// What every vector set provides; [`check`] and [`check_protocol_md`] do the rest.
trait VectorSet: Serialize + DeserializeOwned {
    /// Everything another implementation needs to rebuild the scenario.
    type Inputs;

    /// The vector set, relative to the crate.
    const JSON_FILE: &'static str;
    /// The recorded vector set (`include_str!` of [`Self::JSON_FILE`]).
    const RECORDED: &'static str;
    /// The vectors printed for the specification, relative to the crate.
    const MARKDOWN_FILE: &'static str;
    /// The specification that prints the set once it has the set's heading, relative to the
    /// crate.
    const SPEC_FILE: &'static str = PROTOCOL_FILE;

    /// Whether `line` of `docs/PROTOCOL.md` is the heading under which the set is printed.
    fn is_heading(line: &str) -> bool;
    /// The scenario's inputs, made from their labels (see [`derived`]).
    fn derived_inputs() -> Self::Inputs;
    /// Computes every output from `inputs` and runs every must-fail case. With `recorded`,
    /// what Ember sends must equal the recorded bytes, and the receive side gets those.
    fn compute(inputs: &Self::Inputs, recorded: Option<&Self>) -> Self;
    /// The inputs the set holds.
    fn inputs(&self) -> &Self::Inputs;
    /// The inputs, one printed value each.
    fn input_rows(inputs: &Self::Inputs) -> Vec<Row>;
    /// The outputs.
    fn outputs(&self) -> &[Value];
    /// The must-fail cases, one comparable value each (see [`case_rows`]).
    fn case_rows(&self) -> Vec<Row>;
    /// The set printed for `docs/PROTOCOL.md`.
    fn markdown(&self) -> String;
}

/// Compares Ember with the recorded set (or, with `EMBER_WRITE_KAT=1`, records it).
fn check<S: VectorSet>() {
    if writing() {
        let vectors = S::compute(&S::derived_inputs(), None);
        write(S::JSON_FILE, &to_json(&vectors));
        write(S::MARKDOWN_FILE, &vectors.markdown());
        return;
    }
    let recorded = recorded::<S>();
    let derived = S::derived_inputs();
    assert_same(
        "input",
        &S::input_rows(&derived),
        &S::input_rows(recorded.inputs()),
    );
    let computed = S::compute(recorded.inputs(), Some(&recorded));
    assert_same(
        "output",
        &output_rows(computed.outputs()),
        &output_rows(recorded.outputs()),
    );
    assert_same(
        "must-fail case",
        &computed.case_rows(),
        &recorded.case_rows(),
    );
    assert!(
        to_json(&computed) == S::RECORDED,
        "{}: the values agree but not the text; regenerate with {WRITE_VAR}=1",
        S::JSON_FILE
    );
}

/// Once the specification prints the set (it has the set's heading), it must print every
/// input and output of the current one.
fn check_protocol_md<S: VectorSet>() {
    let Ok(text) = std::fs::read_to_string(crate_path(S::SPEC_FILE)) else {
        return;
    };
    if writing() || !text.lines().any(S::is_heading) {
        return;
    }
    let squeezed: String = text.split_whitespace().collect();
    let vectors = recorded::<S>();
    let inputs = S::input_rows(vectors.inputs());
    for row in inputs.iter().chain(&output_rows(vectors.outputs())) {
        assert!(
            squeezed.contains(&row.text),
            "{} does not print {} of {}",
            S::SPEC_FILE,
            row.name,
            S::JSON_FILE
        );
    }
}

fn recorded<S: VectorSet>() -> S {
    let parsed = serde_json::from_str(S::RECORDED);
    parsed.unwrap_or_else(|error| panic!("{}: {error}", S::JSON_FILE))
}

/// Compares two lists of printed values one by one, so that a mismatch names the value.
fn assert_same(what: &str, ours: &[Row], recorded: &[Row]) {
    for (ours, recorded) in ours.iter().zip(recorded) {
        assert_eq!(ours.name, recorded.name, "{what}s out of order");
        assert_eq!(ours.text, recorded.text, "{what} {}", ours.name);
    }
    assert_eq!(ours.len(), recorded.len(), "number of {what}s");
}

// ---------------------------------------------------------------------------------------------
// Outputs and must-fail cases, as stored
// ---------------------------------------------------------------------------------------------

/// One output: a named byte string.
#[derive(Serialize, Deserialize, Debug)]
struct Value {
    name: String,
    section: String,
    about: String,
    hex: String,
}

/// The outputs of a set, in the order of the protocol.
#[derive(Default)]
struct Outputs(Vec<Value>);

impl Outputs {
    fn push(
        &mut self,
        section: &str,
        name: impl Into<String>,
        about: impl Into<String>,
        bytes: &[u8],
    ) {
        self.0.push(Value {
            name: name.into(),
            section: section.to_string(),
            about: about.into(),
            hex: hex::encode(bytes),
        });
    }
}

/// The bytes of the output `name`.
fn output(outputs: &[Value], name: &str) -> Vec<u8> {
    let value = outputs.iter().find(|value| value.name == name);
    unhex(&value.unwrap_or_else(|| panic!("no output {name}")).hex)
}

/// Gives the recorded bytes of output `name` after checking that Ember made the same, or
/// Ember's bytes when there is no recording yet: the receive side of a scenario gets them.
fn sent_bytes(recorded: Option<&[Value]>, name: &str, ours: Vec<u8>) -> Vec<u8> {
    let Some(recorded) = recorded else {
        return ours;
    };
    let wanted = output(recorded, name);
    assert_eq!(hex::encode(&ours), hex::encode(&wanted), "{name}");
    wanted
}

/// An input that must be rejected: what is done with it (`check`, flattened into the case),
/// the input, and the error Ember reports in its `Debug` form (another implementation only
/// has to fail).
#[derive(Serialize, Deserialize, Debug)]
struct MustFail<C, I = String> {
    name: String,
    about: String,
    #[serde(flatten)]
    check: C,
    input: I,
    error: String,
}

impl<C, I> MustFail<C, I> {
    /// Records a case after checking that `result` is the intended `error`.
    fn checked(
        (name, about, error): (&str, &str, &str),
        check: C,
        input: I,
        result: Result<(), String>,
    ) -> Self {
        assert_eq!(result, Err(error.to_string()), "must-fail case {name}");
        Self {
            name: name.to_string(),
            about: about.to_string(),
            check,
            input,
            error: error.to_string(),
        }
    }
}

/// The must-fail cases as comparable values: check, error and input of each.
fn case_rows<C: Debug, I: Debug>(cases: &[MustFail<C, I>]) -> Vec<Row> {
    let cases = cases.iter();
    cases
        .map(|case| {
            let text = format!("{:?} {} {:?}", case.check, case.error, case.input);
            Row::hex("", case.name.clone(), case.about.clone(), &text)
        })
        .collect()
}

fn debug(error: impl Debug) -> String {
    format!("{error:?}")
}

// ---------------------------------------------------------------------------------------------
// Input bytes
// ---------------------------------------------------------------------------------------------

/// An input's bytes: SHA-256("ember-kat/" || label). Only the resulting bytes are part of
/// the vectors.
fn derived(label: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"ember-kat/")
        .chain_update(label)
        .finalize()
        .into()
}

fn derived_hex(label: &str) -> String {
    hex::encode(derived(label))
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|_| panic!("not hex: {text}"))
}

fn unhex32(text: &str) -> [u8; 32] {
    unhex_array(text)
}

fn unhex_array<const N: usize>(text: &str) -> [u8; N] {
    unhex(text)
        .try_into()
        .unwrap_or_else(|_| panic!("not {N} bytes: {text}"))
}

// ---------------------------------------------------------------------------------------------
// Scripted randomness
// ---------------------------------------------------------------------------------------------

/// An RNG that hands out listed byte strings in order. Ember draws randomness only as whole
/// values (an X25519 or Ed25519 secret, a chain key, a room id, a salt), one `fill_bytes` each,
/// so anything else is a failure: a draw of another size than the next listed value, a
/// `u32`/`u64`, or more draws than listed.
struct ScriptedRng(VecDeque<Vec<u8>>);

impl ScriptedRng {
    /// Runs `step` with `script` as its randomness; fails unless it draws exactly all of it.
    fn run<T, B: AsRef<[u8]>>(script: &[B], step: impl FnOnce(&mut Self) -> T) -> T {
        let mut rng = Self(script.iter().map(|value| value.as_ref().to_vec()).collect());
        let out = step(&mut rng);
        assert!(
            rng.0.is_empty(),
            "the step drew {} fewer values than scripted",
            rng.0.len()
        );
        out
    }
}

impl TryRng for ScriptedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        panic!("scripted RNG: unexpected next_u32")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        panic!("scripted RNG: unexpected next_u64")
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let value = self
            .0
            .pop_front()
            .unwrap_or_else(|| panic!("scripted RNG: the step drew more values than scripted"));
        assert_eq!(
            dst.len(),
            value.len(),
            "scripted RNG: a draw of {} bytes",
            dst.len()
        );
        dst.copy_from_slice(&value);
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng {}

// ---------------------------------------------------------------------------------------------
// Editing wire messages
// ---------------------------------------------------------------------------------------------

fn decode<M: prost::Message + Default>(bytes: &[u8]) -> M {
    M::decode(bytes).unwrap_or_else(|error| panic!("decoding our own bytes: {error}"))
}

/// Re-encoding a prost message Ember wrote gives the same bytes, so only the edit differs.
fn edit<M: prost::Message + Default>(bytes: &[u8], change: impl FnOnce(&mut M)) -> Vec<u8> {
    let mut message = decode::<M>(bytes);
    change(&mut message);
    message.encode_to_vec()
}

/// Flips the lowest bit of the first byte.
fn flip(bytes: &mut [u8]) {
    bytes[0] ^= 0x01;
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

/// One printed value: hex in a fenced block, or an integer inline.
struct Row {
    name: String,
    section: String,
    about: String,
    text: String,
    fenced: bool,
}

impl Row {
    fn hex(section: &str, name: String, about: String, hex: &str) -> Self {
        Self {
            name,
            section: section.to_string(),
            about,
            text: hex.to_string(),
            fenced: true,
        }
    }
}

/// The path of an input field (`.` between levels), its section and its explanation.
type Field = (&'static str, &'static str, &'static str);

/// The rows of one input object (`prefix.` before each name, unless empty), in the order of
/// `fields`, which must explain every field of the object; `describe` finishes an
/// explanation.
fn field_rows(
    prefix: &str,
    object: &serde_json::Value,
    fields: &[Field],
    describe: impl Fn(&str) -> String,
    rows: &mut Vec<Row>,
) {
    let mut printed = 0;
    for (path, section, about) in fields {
        let Some(leaf) = object.pointer(&format!("/{}", path.replace('.', "/"))) else {
            continue;
        };
        printed += 1;
        rows.push(Row {
            name: if prefix.is_empty() {
                path.to_string()
            } else {
                format!("{prefix}.{path}")
            },
            section: section.to_string(),
            about: describe(about),
            text: leaf
                .as_str()
                .map_or_else(|| leaf.to_string(), ToString::to_string),
            fenced: leaf.is_string(),
        });
    }
    assert_eq!(
        printed,
        leaves(object),
        "a field of {prefix} has no explanation"
    );
}

fn leaves(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Object(object) => object.values().map(leaves).sum(),
        _ => 1,
    }
}

fn to_value(input: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(input).unwrap_or_else(|error| panic!("serializing: {error}"))
}

fn output_rows(outputs: &[Value]) -> Vec<Row> {
    let rows = outputs.iter();
    rows.map(|value| {
        Row::hex(
            &value.section,
            value.name.clone(),
            value.about.clone(),
            &value.hex,
        )
    })
    .collect()
}

/// Prints `rows` under `heading` (a whole markdown heading line, `### Inputs`).
fn print_rows(out: &mut String, heading: &str, rows: &[Row]) {
    let _ = writeln!(out, "\n{heading}");
    for row in rows {
        if row.fenced {
            let _ = writeln!(out, "\n`{}` ({}): {}", row.name, row.section, row.about);
            print_hex(out, &row.text);
        } else {
            let (name, text) = (&row.name, &row.text);
            let _ = writeln!(out, "\n`{name}` = {text} ({}): {}", row.section, row.about);
        }
    }
}

/// A fenced block, 64 characters a line.
fn print_hex(out: &mut String, text: &str) {
    out.push_str("\n```text\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("```\n");
}

fn to_json(vectors: &impl Serialize) -> String {
    let json = serde_json::to_string_pretty(vectors);
    json.unwrap_or_else(|error| panic!("serializing: {error}")) + "\n"
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

fn writing() -> bool {
    std::env::var(WRITE_VAR).is_ok_and(|value| value == "1")
}

fn crate_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn write(relative: &str, text: &str) {
    let path = crate_path(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

// ---------------------------------------------------------------------------------------------
// Tests of the scripted RNG
// ---------------------------------------------------------------------------------------------

#[test]
#[should_panic(expected = "drew more values than scripted")]
fn scripted_rng_refuses_an_unlisted_draw() {
    ScriptedRng::run::<_, [u8; 32]>(&[], crate::crypto::dh::PrivateKey::generate);
}

#[test]
#[should_panic(expected = "drew 1 fewer values than scripted")]
fn scripted_rng_refuses_an_unused_value() {
    ScriptedRng::run(&[[7; 32]], |_| ());
}

#[test]
#[should_panic(expected = "a draw of 32 bytes")]
fn scripted_rng_refuses_a_draw_of_another_size() {
    ScriptedRng::run(&[[7; 16]], crate::crypto::dh::PrivateKey::generate);
}
