//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the entry points of
//! `ember_core::fuzzing`, the functions the fuzz targets call, and checks that the seeds in
//! the corpora are the ones `ember_core::fuzzing::seed_corpus` makes for today's fixtures.
//!
//! After a change to the wire format, the snapshot format or the fixtures, regenerate the seeds
//! with `EMBER_WRITE_CORPUS=1 cargo test -p ember-core --features fuzzing --test fuzz_corpora`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ember_core::fuzzing::{self, Seed, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn corpus_dir(target: &str) -> PathBuf {
    fuzz_dir().join("corpus").join(target)
}

/// The files of a directory, sorted by name.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Calls `entry` on every file of the target's corpus; fails listing every file that panicked.
fn replay(target: &str) {
    let (_, entry) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzzing entry point named {target}"));
    let files = files(&corpus_dir(target));
    assert!(
        !files.is_empty(),
        "fuzz/corpus/{target}/ is empty: the replay would test nothing"
    );
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = fs::read(path).unwrap();
            panic::catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err()
        })
        .map(|path| file_name(path))
        .collect();
    println!("{target}: replayed {} corpus files", files.len());
    assert!(
        failed.is_empty(),
        "{target}: {} of {} corpus files panicked (messages above): {failed:?}",
        failed.len(),
        files.len()
    );
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        /// One test per fuzz target.
        mod replay {
            $(
                #[test]
                fn $target() {
                    super::replay(stringify!($target));
                }
            )*
        }

        const REPLAYED: &[&str] = &[$(stringify!($target)),*];
    };
}

replay_tests!(
    prekey_bundle,
    certificate,
    initial_message,
    ratchet_message,
    session_book,
    snapshot,
    snapshot_state,
    content,
    payload,
    room_message,
    room_control,
    file_stream,
    sframe,
    policy,
    federation,
    atak,
    devices,
    retention,
);

#[test]
fn every_target_is_replayed_and_has_a_fuzz_target() {
    let names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        REPLAYED,
        names.as_slice(),
        "replay_tests! must list TARGETS"
    );
    let target_files: BTreeSet<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .map(|path| file_name(path))
        .collect();
    let expected: BTreeSet<String> = names.iter().map(|name| format!("{name}.rs")).collect();
    assert_eq!(
        target_files, expected,
        "fuzz/fuzz_targets/ must match TARGETS"
    );
    for name in names {
        let source =
            fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs"))).unwrap();
        assert!(
            source.contains(&format!("ember_core::fuzzing::{name}(data)")),
            "fuzz/fuzz_targets/{name}.rs must call ember_core::fuzzing::{name}"
        );
    }
}

/// The seeds in `fuzz/corpus/`, by target and file name.
fn seeds_on_disk() -> BTreeSet<(String, String)> {
    TARGETS
        .iter()
        .flat_map(|(target, _)| {
            let dir = corpus_dir(target);
            let names = if dir.is_dir() {
                files(&dir)
            } else {
                Vec::new()
            };
            names
                .into_iter()
                .map(|path| file_name(&path))
                .filter(|name| name.starts_with("seed-"))
                .map(|name| (target.to_string(), name))
        })
        .collect()
}

/// Writes the seeds and removes seed files that the generator no longer makes. Files that the
/// fuzzer found (named by their hash) stay.
fn write_seeds(seeds: &[Seed]) {
    let wanted: BTreeSet<(String, String)> = seeds
        .iter()
        .map(|seed| (seed.target.to_string(), seed.name.to_string()))
        .collect();
    for (target, name) in seeds_on_disk().difference(&wanted) {
        fs::remove_file(corpus_dir(target).join(name)).unwrap();
    }
    for seed in seeds {
        let dir = corpus_dir(seed.target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(seed.name), &seed.data).unwrap();
    }
}

#[test]
fn seed_corpus_is_up_to_date() {
    let seeds = fuzzing::seed_corpus();
    for seed in &seeds {
        assert!(seed.name.starts_with("seed-"), "{}", seed.name);
        assert!(seed.data.len() < 64 * 1024, "{} is too large", seed.name);
        assert!(
            TARGETS.iter().any(|(name, _)| *name == seed.target),
            "{}",
            seed.target
        );
    }
    if std::env::var_os("EMBER_WRITE_CORPUS").is_some_and(|value| value == "1") {
        write_seeds(&seeds);
        println!("wrote {} seed files under fuzz/corpus/", seeds.len());
        return;
    }
    let regenerate = "regenerate them with `EMBER_WRITE_CORPUS=1 cargo test -p ember-core \
                      --features fuzzing --test fuzz_corpora`";
    let mut stale = Vec::new();
    for seed in &seeds {
        let path = corpus_dir(seed.target).join(seed.name);
        if fs::read(&path).ok().as_deref() != Some(seed.data.as_slice()) {
            stale.push(format!("{}/{}", seed.target, seed.name));
        }
    }
    let wanted: BTreeSet<(String, String)> = seeds
        .iter()
        .map(|seed| (seed.target.to_string(), seed.name.to_string()))
        .collect();
    let extra: Vec<String> = seeds_on_disk()
        .difference(&wanted)
        .map(|(target, name)| format!("{target}/{name}"))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "the seed corpus does not match the fixtures (missing or different: {stale:?}; \
         no longer generated: {extra:?}): {regenerate}"
    );
}
