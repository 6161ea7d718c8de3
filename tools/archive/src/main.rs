//! `ember-archive`: decrypts an Ember data-retention archive for the customer, and makes the
//! archive key pair.
//!
//! ```text
//! ember-archive keygen --out <private-key-file>
//! ember-archive decrypt --key <private-key-file> --out <dir>
//!                       [--signer <hex>]... [--first-segment <n>] <segment files...>
//! ```
//!
//! `decrypt` verifies the chain across every segment given (in any order: they are sorted by
//! the index in their headers), writes one JSON object per archived message or gap notice to
//! `<dir>/records.jsonl`, every archived file to `<dir>/files/<file id>`, and a summary to
//! `<dir>/report.json`; it prints every gap and every problem. Exit status: 0 when the archive
//! verified, 1 when a problem was found (the output holds everything that could be read), 2 on
//! a usage or I/O error. Memory stays constant: segments are read 1 MiB at a time and files are
//! written chunk by chunk.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ember_core::DeviceAddress;
use ember_core::content::{
    Body, CallAction, Classification, Content, FileReference, Location, ReceiptKind, SystemNotice,
};
use ember_core::crypto::Secret32;
use ember_core::crypto::sign::VerifyingKey;
use ember_core::retention::{
    ArchiveEntry, ArchivePrivateKey, ArchiveProblem, ArchiveReader, ArchiveRecord, ArchivedMessage,
    Conversation, Gap, GapNotice, HEADER_LEN, ProblemKind, SegmentHeader,
};
use serde_json::{Value, json};

/// The first line of a private key file; the key follows in hex.
const KEY_PREFIX: &str = "ember-archive-private-key-v1 ";
/// How much of a segment file is read at a time.
const READ_CHUNK: usize = 1 << 20;

const USAGE: &str = "usage:
  ember-archive keygen --out <private-key-file>
  ember-archive decrypt --key <private-key-file> --out <dir>
                        [--signer <hex>]... [--first-segment <n>] <segment files...>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("keygen") => keygen(&args[1..]),
        Some("decrypt") => decrypt(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(Failure::Usage("expected a command".into())),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            eprintln!("ember-archive: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Io(message)) => {
            eprintln!("ember-archive: {message}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
    Usage(String),
    Io(String),
}

fn io_error(what: &str, path: &Path) -> impl FnOnce(io::Error) -> Failure {
    let context = format!("{what} {}", path.display());
    move |error| Failure::Io(format!("{context}: {error}"))
}

// --- keygen ------------------------------------------------------------------------------------

fn keygen(args: &[String]) -> Result<ExitCode, Failure> {
    let mut out = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value(&mut args, "--out")?)),
            other => return Err(Failure::Usage(format!("unexpected argument {other}"))),
        }
    }
    let out = out.ok_or_else(|| Failure::Usage("keygen needs --out".into()))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| Failure::Io(format!("no randomness: {error}")))?;
    let key = ArchivePrivateKey::from_secret(&Secret32::from_bytes(&mut seed));
    let secret = key.to_secret();
    let mut text = [0u8; KEY_PREFIX.len() + 64 + 1];
    text[..KEY_PREFIX.len()].copy_from_slice(KEY_PREFIX.as_bytes());
    let encoded = hex::encode_to_slice(secret.expose(), &mut text[KEY_PREFIX.len()..][..64]);
    text[KEY_PREFIX.len() + 64] = b'\n';
    let written = encoded
        .map_err(|_| Failure::Io("encoding the key".into()))
        .and_then(|()| write_new_private(&out, &text));
    // The text held the secret: wipe it.
    text.fill(0);
    written?;
    let public = hex::encode(key.public_key().as_bytes());
    let public_path = with_suffix(&out, ".pub");
    fs::write(&public_path, format!("{public}\n")).map_err(io_error("writing", &public_path))?;
    println!("private key written to {} (keep it offline)", out.display());
    println!("public key written to {}", public_path.display());
    println!("{public}");
    Ok(ExitCode::SUCCESS)
}

/// Creates `path` (refusing to overwrite it), readable by its owner only.
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error("creating", path))?;
    file.write_all(bytes).map_err(io_error("writing", path))?;
    file.sync_all().map_err(io_error("writing", path))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn read_private_key(path: &Path) -> Result<ArchivePrivateKey, Failure> {
    let mut text = fs::read_to_string(path).map_err(io_error("reading", path))?;
    let key = text
        .trim()
        .strip_prefix(KEY_PREFIX.trim_end())
        .map(str::trim)
        .and_then(|hex_key| hex::decode(hex_key).ok())
        .and_then(|mut bytes| {
            let secret = Secret32::from_slice(&bytes);
            bytes.fill(0);
            secret
        })
        .map(|secret| ArchivePrivateKey::from_secret(&secret));
    // Wipe the text that held the key.
    let mut bytes = std::mem::take(&mut text).into_bytes();
    bytes.fill(0);
    key.ok_or_else(|| Failure::Io(format!("{} is not an archive private key", path.display())))
}

// --- decrypt -----------------------------------------------------------------------------------

struct DecryptArgs {
    key: PathBuf,
    out: PathBuf,
    signers: Vec<VerifyingKey>,
    first_segment: u64,
    segments: Vec<PathBuf>,
}

fn value<'a>(args: &mut impl Iterator<Item = &'a String>, name: &str) -> Result<&'a str, Failure> {
    args.next()
        .map(String::as_str)
        .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))
}

fn parse_decrypt(args: &[String]) -> Result<DecryptArgs, Failure> {
    let (mut key, mut out, mut signers, mut first_segment, mut segments) =
        (None, None, Vec::new(), 0, Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = Some(PathBuf::from(value(&mut args, "--key")?)),
            "--out" => out = Some(PathBuf::from(value(&mut args, "--out")?)),
            "--signer" => {
                let text = value(&mut args, "--signer")?;
                let signer = hex::decode(text)
                    .ok()
                    .and_then(|bytes| VerifyingKey::from_slice(&bytes).ok())
                    .ok_or_else(|| {
                        Failure::Usage(format!("--signer {text}: not an Ed25519 key"))
                    })?;
                signers.push(signer);
            }
            "--first-segment" => {
                let text = value(&mut args, "--first-segment")?;
                first_segment = text
                    .parse()
                    .map_err(|_| Failure::Usage(format!("--first-segment {text}: not a number")))?;
            }
            "--" => segments.extend(args.by_ref().map(PathBuf::from)),
            flag if flag.starts_with("--") => {
                return Err(Failure::Usage(format!("unknown option {flag}")));
            }
            path => segments.push(PathBuf::from(path)),
        }
    }
    Ok(DecryptArgs {
        key: key.ok_or_else(|| Failure::Usage("decrypt needs --key".into()))?,
        out: out.ok_or_else(|| Failure::Usage("decrypt needs --out".into()))?,
        signers,
        first_segment,
        segments: if segments.is_empty() {
            return Err(Failure::Usage("decrypt needs segment files".into()));
        } else {
            segments
        },
    })
}

/// Orders segment files by the index their header claims (unauthenticated: the reader checks
/// it), so that storage order does not matter; unreadable files go last, as given.
fn sort_segments(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, Failure> {
    let mut keyed = Vec::with_capacity(paths.len());
    for (given, path) in paths.into_iter().enumerate() {
        let mut header = vec![0u8; HEADER_LEN];
        let mut file = File::open(&path).map_err(io_error("opening", &path))?;
        let read = read_full(&mut file, &mut header).map_err(io_error("reading", &path))?;
        let index = SegmentHeader::peek(&header[..read]).map(|header| header.index);
        keyed.push((index.is_none(), index, given, path));
    }
    keyed.sort_by_key(|(unreadable, index, given, _)| (*unreadable, *index, *given));
    Ok(keyed.into_iter().map(|(.., path)| path).collect())
}

fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        match file.read(&mut buf[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read)
}

fn decrypt(args: &[String]) -> Result<ExitCode, Failure> {
    let args = parse_decrypt(args)?;
    let key = read_private_key(&args.key)?;
    let segments = sort_segments(args.segments)?;
    prepare_out(&args.out)?;
    let files_dir = args.out.join("files");
    fs::create_dir_all(&files_dir).map_err(io_error("creating", &files_dir))?;
    let records_path = args.out.join("records.jsonl");
    let mut jsonl =
        BufWriter::new(File::create(&records_path).map_err(io_error("creating", &records_path))?);

    let mut reader = ArchiveReader::new(&key);
    for signer in &args.signers {
        reader.trust_signer(*signer);
    }
    reader.starting_at(args.first_segment);
    let mut writer = Output {
        jsonl: &mut jsonl,
        files_dir: &files_dir,
        files: BTreeSet::new(),
        messages: 0,
        notices: 0,
    };
    let mut buf = vec![0u8; READ_CHUNK];
    let mut records = Vec::new();
    for path in &segments {
        let mut file = File::open(path).map_err(io_error("opening", path))?;
        loop {
            let read = file.read(&mut buf).map_err(io_error("reading", path))?;
            if read == 0 {
                break;
            }
            reader.push(&buf[..read], &mut records);
            for record in records.drain(..) {
                writer.record(record)?;
            }
        }
        reader.end_segment();
    }
    buf.fill(0);
    let (messages, notices, files) = (writer.messages, writer.notices, writer.files.len());
    drop(writer);
    jsonl.flush().map_err(io_error("writing", &records_path))?;
    let report = reader.finish();

    let report_path = args.out.join("report.json");
    let summary = json!({
        "segments": report.segments.iter().map(|s| json!({
            "file": segments.get(s.position).map(|p| p.display().to_string()),
            "index": s.index,
            "created_at": s.created_at.0,
            "closed_at": s.closed_at.map(|t| t.0),
            "records": s.records,
            "complete": s.complete,
            "signer": hex::encode(s.signer),
        })).collect::<Vec<_>>(),
        "gaps": report.gaps.iter().map(gap_json).collect::<Vec<_>>(),
        "problems": report.problems.iter().map(|p| problem_json(p, &segments)).collect::<Vec<_>>(),
    });
    fs::write(&report_path, format!("{summary:#}\n")).map_err(io_error("writing", &report_path))?;

    println!(
        "{} segment(s), {messages} message(s), {notices} gap notice(s), {files} file(s) -> {}",
        report.segments.len(),
        args.out.display()
    );
    let mut signers: Vec<String> = report
        .segments
        .iter()
        .map(|s| hex::encode(s.signer))
        .collect();
    signers.sort();
    signers.dedup();
    for signer in signers {
        println!("signed by {signer}");
    }
    for gap in &report.gaps {
        println!("gap: {}", describe_gap(gap));
    }
    for problem in &report.problems {
        println!("problem: {}", describe_problem(problem, &segments));
    }
    if report.is_clean() {
        println!("archive verified: no problem found");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} problem(s) found", report.problems.len());
        Ok(ExitCode::from(1))
    }
}

/// The output directory must be new or empty, so that nothing of an earlier run mixes in.
fn prepare_out(out: &Path) -> Result<(), Failure> {
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Failure::Usage(format!("{} is not empty", out.display())));
            }
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(io_error("creating", out))
        }
        Err(error) => Err(io_error("reading", out)(error)),
    }
}

struct Output<'a, W: Write> {
    jsonl: &'a mut W,
    files_dir: &'a Path,
    /// The files written, by id (each is opened per chunk, so none stays open).
    files: BTreeSet<[u8; 32]>,
    messages: u64,
    notices: u64,
}

impl<W: Write> Output<'_, W> {
    fn record(&mut self, record: ArchiveRecord) -> Result<(), Failure> {
        let ArchiveRecord {
            segment,
            index,
            entry,
        } = record;
        let line = match entry {
            ArchiveEntry::Message(message) => {
                self.messages += 1;
                message_json(segment, index, &message)
            }
            ArchiveEntry::Gap(notice) => {
                self.notices += 1;
                notice_json(segment, index, &notice)
            }
            ArchiveEntry::FileChunk(chunk) => {
                let path = self.files_dir.join(hex::encode(chunk.file.0));
                let mut file = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)
                    .map_err(io_error("creating", &path))?;
                file.seek(SeekFrom::Start(chunk.offset))
                    .and_then(|_| file.write_all(&chunk.data))
                    .map_err(io_error("writing", &path))?;
                self.files.insert(chunk.file.0);
                return Ok(());
            }
            _ => return Ok(()),
        };
        writeln!(self.jsonl, "{line}")
            .map_err(|error| Failure::Io(format!("writing records: {error}")))
    }
}

fn conversation_json(conversation: &Conversation) -> Value {
    match conversation {
        Conversation::Direct(a, b) => json!({
            "kind": "direct",
            "accounts": [hex::encode(a.as_bytes()), hex::encode(b.as_bytes())],
        }),
        Conversation::Room(room) => json!({ "kind": "room", "id": hex::encode(room.0) }),
    }
}

fn device_json(device: &DeviceAddress) -> Value {
    json!({ "account": hex::encode(device.account.as_bytes()), "device": device.device.0 })
}

fn message_json(segment: u64, index: u32, message: &ArchivedMessage) -> Value {
    let mut line = json!({
        "type": "message",
        "segment": segment,
        "record": index,
        "conversation": conversation_json(&message.conversation),
        "sender": device_json(&message.sender),
        "sequence": message.sequence,
        "sent_at": message.sent_at.0,
        "received_at": message.received_at.0,
    });
    let extra = match message.decode_content() {
        Ok(content) => content_json(&content),
        Err(error) => json!({
            "body": { "kind": "undecodable", "error": error.to_string() },
            "content_hex": hex::encode(&message.content[..]),
        }),
    };
    if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), extra) {
        line.extend(extra);
    }
    line
}

fn content_json(content: &Content) -> Value {
    json!({
        "message_id": hex::encode(content.message_id.0),
        "expiry_seconds": content.timers.expiry,
        "burn_on_read_seconds": content.timers.burn_on_read,
        "forwarded": content.forwarded,
        "quick_reply": content.quick_reply,
        "unclassified": content.classification == Classification::Unclassified,
        "body": body_json(&content.body),
    })
}

fn file_json(file: &FileReference) -> Value {
    // The key is left out: the file's plaintext is in files/, under its id.
    let id = hex::encode(file.digest);
    json!({
        "id": id,
        "path": format!("files/{id}"),
        "name": file.name,
        "media_type": file.media_type,
        "size": file.size,
        "reference": file.reference,
    })
}

fn body_json(body: &Body) -> Value {
    match body {
        Body::Text(text) => json!({ "kind": "text", "text": text }),
        Body::File(file) => json!({ "kind": "file", "file": file_json(file) }),
        Body::VoiceClip { audio, duration_ms } => {
            json!({ "kind": "voice_clip", "file": file_json(audio), "duration_ms": duration_ms })
        }
        Body::Location(Location::Coordinates {
            latitude,
            longitude,
            accuracy_meters,
        }) => json!({
            "kind": "location",
            "latitude": latitude,
            "longitude": longitude,
            "accuracy_meters": accuracy_meters,
        }),
        Body::Location(Location::Link(link)) => json!({ "kind": "location", "link": link }),
        Body::Receipt { kind, message_ids } => json!({
            "kind": "receipt",
            "receipt": match kind { ReceiptKind::Delivered => "delivered", ReceiptKind::Read => "read" },
            "message_ids": message_ids.iter().map(|id| hex::encode(id.0)).collect::<Vec<_>>(),
        }),
        Body::Delete { message_id } => {
            json!({ "kind": "delete", "message_id": hex::encode(message_id.0) })
        }
        Body::Edit { message_id, text } => {
            json!({ "kind": "edit", "message_id": hex::encode(message_id.0), "text": text })
        }
        Body::Call(call) => json!({
            // The call secret is left out.
            "kind": "call",
            "action": match call.action {
                CallAction::Start => "start",
                CallAction::Join => "join",
                CallAction::Leave => "leave",
                CallAction::Rekey => "rekey",
            },
            "call_id": hex::encode(call.call_id),
            "epoch": call.epoch,
            "video": call.video,
        }),
        Body::System { notice, network } => json!({
            "kind": "system",
            "notice": match notice {
                SystemNotice::RetentionOn => "retention_on",
                SystemNotice::RetentionOff => "retention_off",
            },
            "network": hex::encode(network.0),
        }),
        _ => json!({ "kind": "other" }),
    }
}

fn notice_json(segment: u64, index: u32, notice: &GapNotice) -> Value {
    json!({
        "type": "gap_notice",
        "segment": segment,
        "record": index,
        "detected_at": notice.detected_at.0,
        "gap": gap_json(&notice.gap),
    })
}

fn gap_json(gap: &Gap) -> Value {
    json!({
        "conversation": conversation_json(&gap.conversation),
        "sender": device_json(&gap.sender),
        "first_missing": gap.missing.start,
        "last_missing": gap.missing.end - 1,
        "count": gap.missing.end - gap.missing.start,
    })
}

fn describe_gap(gap: &Gap) -> String {
    let conversation = match gap.conversation {
        Conversation::Direct(a, b) => format!(
            "1:1 {} / {}",
            hex::encode(a.as_bytes()),
            hex::encode(b.as_bytes())
        ),
        Conversation::Room(room) => format!("room {}", hex::encode(room.0)),
    };
    let count = gap.missing.end - gap.missing.start;
    let numbers = if count == 1 {
        format!("sequence {}", gap.missing.start)
    } else {
        format!("sequences {} to {}", gap.missing.start, gap.missing.end - 1)
    };
    format!(
        "{conversation}, sender {} device {}: {numbers} never received ({count} message(s))",
        hex::encode(gap.sender.account.as_bytes()),
        gap.sender.device.0
    )
}

fn problem_text(kind: ProblemKind) -> String {
    match kind {
        ProblemKind::Unreadable => "not an archive segment (or its header is cut)".into(),
        ProblemKind::WrongKey => {
            "data key does not unwrap: another archive key, or the header was altered".into()
        }
        ProblemKind::WrongNetwork => "segment of another network's archive".into(),
        ProblemKind::UntrustedSigner => "signed by a key not given with --signer".into(),
        ProblemKind::BadSignature => "signature does not verify".into(),
        ProblemKind::MissingSegments { count } => format!("{count} segment(s) missing"),
        ProblemKind::DuplicateSegment => "segment given twice, or the archive forked".into(),
        ProblemKind::Reordered => "out of order (its content verified)".into(),
        ProblemKind::BrokenChain => {
            "does not continue the chain: the previous segment was replaced".into()
        }
        ProblemKind::Altered => "record altered (does not authenticate)".into(),
        ProblemKind::MissingRecords { count } => format!("{count} record(s) missing"),
        ProblemKind::DuplicateRecord => "record repeated".into(),
        ProblemKind::Malformed => "record authenticated but is malformed".into(),
        ProblemKind::Truncated => "segment cut short (or never closed)".into(),
        ProblemKind::ChainMismatch => "chain hash disagrees with the trailer".into(),
        ProblemKind::TrailingData => "bytes after the segment's signature".into(),
        ProblemKind::IncompleteFile(file) => {
            format!("file {} is incomplete", hex::encode(file.0))
        }
        _ => format!("{kind:?}"),
    }
}

fn kind_name(kind: ProblemKind) -> String {
    let debug = format!("{kind:?}");
    let name = debug.split([' ', '(']).next().unwrap_or_default();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn where_(problem: &ArchiveProblem, segments: &[PathBuf]) -> String {
    let mut parts = Vec::new();
    if let Some(path) = problem.position.and_then(|at| segments.get(at)) {
        parts.push(path.display().to_string());
    }
    if let Some(segment) = problem.segment {
        parts.push(format!("segment {segment}"));
    }
    if let Some(record) = problem.record {
        parts.push(format!("record {record}"));
    }
    parts.join(", ")
}

fn describe_problem(problem: &ArchiveProblem, segments: &[PathBuf]) -> String {
    let place = where_(problem, segments);
    let text = problem_text(problem.kind);
    if place.is_empty() {
        text
    } else {
        format!("{place}: {text}")
    }
}

fn problem_json(problem: &ArchiveProblem, segments: &[PathBuf]) -> Value {
    json!({
        "kind": kind_name(problem.kind),
        "description": problem_text(problem.kind),
        "file": problem.position.and_then(|at| segments.get(at)).map(|p| p.display().to_string()),
        "segment": problem.segment,
        "record": problem.record,
    })
}
