#!/usr/bin/env bash
# The project's one test command: sets up what it needs, then runs every check in order.
# CI runs it through .ci/run with CI=true.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${CI:-}" == "true" ]]; then
    export CARGO_TERM_COLOR=never
fi

step() {
    printf '\n==== %s ====\n' "$*"
}

# Installs only what is missing, so it is safe to run again. Later steps add their
# apt-get / npm / pip installs here (Kotlin, Swift, Python, C toolchains).
install_prerequisites() {
    step "prerequisites"
    local tool
    for tool in cargo rustfmt cargo-clippy; do
        if ! command -v "$tool" >/dev/null; then
            echo "missing $tool: this machine's Rust toolchain should provide it" >&2
            exit 1
        fi
    done
    echo "Rust: $(rustc --version)"
}

# Installs Debian packages that are not installed yet. Runs `apt-get update` once, and only
# if something is missing.
apt_install() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$package")
    done
    if ((${#missing[@]})); then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    fi
}

check_format() {
    step "cargo fmt --all -- --check"
    cargo fmt --all -- --check
}

# --all-features so that the fuzzing entry points (feature `fuzzing`) are linted too.
check_clippy() {
    step "cargo clippy --workspace --all-targets --all-features -- -D warnings"
    cargo clippy --workspace --all-targets --all-features -- -D warnings
}

# --all-features turns on `fuzzing`, which the fuzz corpus replay (core/tests/fuzz_corpora.rs)
# needs.
run_tests() {
    step "cargo test --workspace --all-features (includes fuzz corpus replay)"
    cargo test --workspace --all-features
}

# The multi-gigabyte file stream (3 GiB, bounded memory) is too slow for a debug build, so it
# runs here in release; it asserts that peak memory grows by less than 16 MiB.
run_release_tests() {
    step "cargo test -p ember-core --release --test files -- --ignored (3 GiB stream)"
    cargo test -p ember-core --release --test files -- --ignored
}

check_no_std() {
    step "checks/no-std/run.sh"
    checks/no-std/run.sh
}

# The fuzz targets build on stable with a plain `cargo check` (running them needs cargo-fuzz:
# see fuzz/README.md). fuzz/ is its own workspace with its own Cargo.lock. Not `--locked`:
# when ember-core gains a dependency, that lock file has to follow. `cargo fetch` downloads
# only what the registry cache lacks (libfuzzer-sys and its few dependencies), and the check
# itself then runs offline.
check_fuzz_targets() {
    if [[ -f fuzz/Cargo.toml ]]; then
        step "cargo check --manifest-path fuzz/Cargo.toml --offline"
        cargo fetch --manifest-path fuzz/Cargo.toml
        cargo check --manifest-path fuzz/Cargo.toml --offline
    fi
}

check_benches() {
    if [[ -f benches/Cargo.toml ]]; then
        step "cargo bench -p ember-benches --no-run"
        cargo bench -p ember-benches --no-run
    fi
}

install_prerequisites
check_format
check_clippy
run_tests
run_release_tests
check_no_std
check_fuzz_targets
check_benches

step "all checks passed"
