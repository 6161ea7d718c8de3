//! Runs the real `ember-archive` binary: `keygen`, then `decrypt` on an archive written by
//! `ComplianceArchiver`, clean and tampered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use ember_core::content::{Body, Content, FileReference, MessageId};
use ember_core::file::FileKey;
use ember_core::identity::Account;
use ember_core::network::{NetworkId, NetworkKey};
use ember_core::retention::{
    ArchivePublicKey, ChainHead, ComplianceArchiver, Conversation, FileArchiving, FileId,
    MIN_SEGMENT_BYTES, MessageInput, RetentionConfig, RetentionSettings, Rotation, SealedSegment,
};
use ember_core::{AccountId, DeviceAddress, DeviceId, Timestamp};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

const T0: Timestamp = Timestamp(1_700_000_000);

fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ember-archive-test-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ember-archive"))
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

struct Archive {
    segment_files: Vec<PathBuf>,
    file_id: [u8; 32],
    file_data: Vec<u8>,
    signer: String,
}

/// Makes a key with `keygen`, then an archive to its public key: five messages (sequence 3
/// never arrives), a file of 150 000 bytes, a voice-free file message, in 4 KiB segments.
fn make_archive(dir: &Path) -> (PathBuf, Archive) {
    let key_path = dir.join("archive.key");
    let output = run(&["keygen", "--out", key_path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let public_hex = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let public = ArchivePublicKey::from_slice(&hex::decode(&public_hex).unwrap()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("archive.key.pub"))
            .unwrap()
            .trim(),
        public_hex
    );
    let again = run(&["keygen", "--out", key_path.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "keygen never overwrites a key"
    );

    let mut rng = ChaCha20Rng::from_seed([42; 32]);
    let network_key = NetworkKey::generate(&mut rng);
    let compliance = Account::generate(&mut rng).new_device(&mut rng, T0);
    let config = RetentionConfig::issue(
        &network_key,
        RetentionSettings {
            network: NetworkId::generate(&mut rng),
            version: 1,
            enabled: true,
            compliance_devices: vec![compliance.certificate().clone()],
            archive_key: Some(public),
            issued_at: T0,
            rotation: Rotation {
                max_bytes: MIN_SEGMENT_BYTES,
                max_seconds: 3600,
            },
        },
    )
    .unwrap();
    let mut archiver = ComplianceArchiver::new(&config, &compliance, ChainHead::GENESIS).unwrap();
    let alice = DeviceAddress {
        account: AccountId::from_bytes([1; 16]),
        device: DeviceId(1),
    };
    let conversation = Conversation::direct(alice.account, AccountId::from_bytes([2; 16]));
    let mut segments: Vec<SealedSegment> = Vec::new();
    let file_data: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
    let file_id = [0xF1; 32];
    for sequence in [1u64, 2, 4, 5, 6] {
        let body = if sequence == 4 {
            Body::File(FileReference {
                reference: "blob/7".into(),
                key: FileKey::from_slice(&[3; 32]).unwrap(),
                digest: file_id,
                size: file_data.len() as u64,
                ciphertext_size: 150_000 + 73 + 3 * 25,
                name: "../../etc/report.pdf".into(),
                media_type: "application/pdf".into(),
            })
        } else {
            Body::Text(format!("message number {sequence} {}", "·".repeat(400)))
        };
        let mut content = Content::new(MessageId([sequence as u8; 16]), T0, body);
        content.sequence = sequence;
        let bytes = content.encode();
        let archived = archiver
            .record_message(
                &mut rng,
                T0,
                &MessageInput {
                    conversation,
                    sender: alice,
                    received_at: Timestamp(T0.0 + sequence),
                    content: &bytes,
                },
            )
            .unwrap();
        segments.extend(archived.closed);
        if sequence == 4 {
            let mut file = FileArchiving::new(FileId(file_id));
            for piece in file_data.chunks(40_000) {
                segments.extend(archiver.push_file(&mut rng, T0, &mut file, piece).unwrap());
            }
            segments.extend(archiver.finish_file(&mut rng, T0, file).unwrap());
        }
    }
    segments.extend(archiver.rotate(T0));
    assert!(segments.len() >= 4, "{} segments", segments.len());
    let mut segment_files = Vec::new();
    for segment in &segments {
        assert_eq!(segment.offset, 0);
        let path = dir.join(format!("segment-{}.emba", segment.index));
        std::fs::write(&path, &segment.bytes).unwrap();
        segment_files.push(path);
    }
    let signer = hex::encode(compliance.certificate().signing_key().to_bytes());
    (
        key_path,
        Archive {
            segment_files,
            file_id,
            file_data,
            signer,
        },
    )
}

fn decrypt(key: &Path, out: &Path, extra: &[&str], segments: &[PathBuf]) -> Output {
    let mut args = vec![
        "decrypt",
        "--key",
        key.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.extend(segments.iter().map(|p| p.to_str().unwrap()));
    run(&args)
}

#[test]
fn decrypts_a_clean_archive_in_any_file_order() {
    let dir = scratch("clean");
    let (key, archive) = make_archive(&dir);
    let out = dir.join("out");
    // Storage order is not archive order: give the files reversed.
    let mut reversed = archive.segment_files.clone();
    reversed.reverse();
    let output = decrypt(&key, &out, &["--signer", &archive.signer], &reversed);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(0), "{printed}");
    assert!(printed.contains("archive verified"), "{printed}");
    assert!(printed.contains("sequence 3 never received"), "{printed}");

    let records = std::fs::read_to_string(out.join("records.jsonl")).unwrap();
    let lines: Vec<Value> = records
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let messages: Vec<&Value> = lines.iter().filter(|l| l["type"] == "message").collect();
    let notices: Vec<&Value> = lines.iter().filter(|l| l["type"] == "gap_notice").collect();
    assert_eq!(messages.len(), 5);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["gap"]["first_missing"], 3);
    let sequences: Vec<u64> = messages
        .iter()
        .map(|m| m["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, vec![1, 2, 4, 5, 6]);
    assert_eq!(messages[0]["body"]["kind"], "text");
    assert!(
        messages[0]["body"]["text"]
            .as_str()
            .unwrap()
            .starts_with("message number 1 ·")
    );
    assert_eq!(messages[0]["conversation"]["kind"], "direct");
    assert_eq!(messages[0]["sender"]["device"], 1);
    assert_eq!(messages[0]["received_at"], T0.0 + 1);
    let file = &messages[2]["body"]["file"];
    let id = hex::encode(archive.file_id);
    assert_eq!(file["id"], id.as_str());
    assert_eq!(file["name"], "../../etc/report.pdf");
    assert!(
        !records.contains(&hex::encode([3u8; 32])),
        "no file key in the output"
    );
    // The file lands under its id, never under the name the sender chose.
    let written = std::fs::read(out.join("files").join(&id)).unwrap();
    assert_eq!(written, archive.file_data);
    assert_eq!(std::fs::read_dir(out.join("files")).unwrap().count(), 1);

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["problems"].as_array().unwrap().len(), 0);
    assert_eq!(report["gaps"][0]["count"], 1);
    assert_eq!(
        report["segments"].as_array().unwrap().len(),
        archive.segment_files.len()
    );

    // The output directory must be new or empty.
    let again = decrypt(&key, &out, &[], &reversed);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn reports_tampering_and_exits_non_zero() {
    let dir = scratch("tampered");
    let (key, archive) = make_archive(&dir);

    // A byte of a middle segment altered.
    let victim = &archive.segment_files[1];
    let mut bytes = std::fs::read(victim).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(victim, &bytes).unwrap();
    let out = dir.join("altered");
    let output = decrypt(&key, &out, &[], &archive.segment_files);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(printed.contains("problem: "), "{printed}");
    assert!(printed.contains("segment 1"), "{printed}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(!report["problems"].as_array().unwrap().is_empty());

    // A whole segment left out.
    let out = dir.join("missing");
    let mut fewer = archive.segment_files.clone();
    fewer.remove(2);
    let output = decrypt(&key, &out, &[], &fewer);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains("segment 2: 1 segment(s) missing"),
        "{printed}"
    );

    // An untrusted signer.
    let out = dir.join("signer");
    let stranger = NetworkKey::generate(&mut ChaCha20Rng::from_seed([7; 32])).public_key();
    let stranger = hex::encode(stranger.to_bytes());
    let output = decrypt(
        &key,
        &out,
        &["--signer", &stranger],
        &archive.segment_files[..1],
    );
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(printed.contains("not given with --signer"), "{printed}");

    // The wrong key.
    let other = dir.join("other.key");
    assert!(
        run(&["keygen", "--out", other.to_str().unwrap()])
            .status
            .success()
    );
    let out = dir.join("wrong-key");
    let output = decrypt(&other, &out, &[], &archive.segment_files);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(printed.contains("does not unwrap"), "{printed}");
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["decrypt"][..],
        &["decrypt", "--key", "k"][..],
        &["keygen"][..],
        &[
            "decrypt",
            "--key",
            "/nonexistent/key",
            "--out",
            "/tmp/x",
            "seg",
        ][..],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    }
    assert!(run(&["help"]).status.success());
}
