//! Peak resident memory while encrypting a large file as a stream.
//!
//! Streams generated plaintext (default 5 GiB, Ember's largest file) through
//! `ember_core::file::FileEncryptor` in pieces of 1,000,000 bytes (not a multiple of the
//! 64 KiB chunk, so the encryptor's chunk buffer is used), discards the output after hashing
//! it (SHA-256, checked against the digest the encryptor reports), and prints the process's
//! peak resident set size (`VmHWM` in `/proc/self/status`).
//!
//! ```sh
//! cargo run --release -p ember-benches --bin file_stream_rss -- 5GiB
//! /usr/bin/time -v target/release/file_stream_rss 5GiB
//! ```
//!
//! The size takes the suffixes B, KiB, MiB and GiB (powers of 1024) or KB, MB and GB (powers
//! of 1000).

use std::process::ExitCode;
use std::time::Instant;

use ember_core::file::{FileEncryptor, FileKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

/// Plaintext bytes pushed per call, as a reader of a file or a socket might hand them over.
const PIECE: usize = 1_000_000;

fn parse_size(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let multiplier: u64 = match unit {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(multiplier)
}

/// A `kB` field of `/proc/self/status`, such as `VmHWM` (peak) or `VmRSS` (current).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
    line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "5GiB".to_owned());
    let Some(total) = parse_size(&arg) else {
        eprintln!("usage: file_stream_rss [SIZE], for example 5GiB or 100MB (got {arg:?})");
        return ExitCode::from(2);
    };

    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let key = FileKey::generate(&mut rng);
    let mut encryptor = FileEncryptor::new(&mut rng, &key);
    let mut piece = vec![0u8; PIECE];
    let mut output = Vec::with_capacity(PIECE + 2 * 65_536);
    let mut hasher = Sha256::new();
    let mut counter = 0u64;
    let mut left = total;
    let started = Instant::now();
    while left > 0 {
        let len = usize::try_from(left.min(PIECE as u64)).unwrap_or(PIECE);
        // Cheap generated plaintext: a running counter, different in every 8 bytes.
        for word in piece[..len].chunks_mut(8) {
            counter = counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
            word.copy_from_slice(&counter.to_le_bytes()[..word.len()]);
        }
        if let Err(error) = encryptor.push(&piece[..len], &mut output) {
            eprintln!("push failed: {error}");
            return ExitCode::FAILURE;
        }
        hasher.update(&output);
        output.clear();
        left -= len as u64;
    }
    let summary = match encryptor.finish(&mut output) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("finish failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    hasher.update(&output);
    let elapsed = started.elapsed();
    let digest: [u8; 32] = hasher.finalize().into();
    if digest != summary.digest {
        eprintln!("the stream's SHA-256 differs from the digest the encryptor reported");
        return ExitCode::FAILURE;
    }

    let mib = |bytes: u64| bytes as f64 / f64::from(1u32 << 20);
    println!("plaintext:  {total} bytes ({:.1} MiB)", mib(total));
    println!(
        "stream:     {} bytes in {} chunks",
        summary.ciphertext_len, summary.chunk_count
    );
    println!(
        "time:       {:.2} s ({:.0} MiB/s, SHA-256 of the output and plaintext generation included)",
        elapsed.as_secs_f64(),
        mib(total) / elapsed.as_secs_f64()
    );
    match (status_kib("VmHWM"), status_kib("VmRSS")) {
        (Some(peak), Some(now)) => {
            println!(
                "VmHWM:      {peak} kB ({:.2} MiB) peak resident set",
                peak as f64 / 1024.0
            );
            println!(
                "VmRSS:      {now} kB ({:.2} MiB) at the end",
                now as f64 / 1024.0
            );
        }
        _ => println!("VmHWM:      unavailable (no /proc/self/status)"),
    }
    ExitCode::SUCCESS
}
