#!/usr/bin/env bash
# Proves that ember-core and ember-proto build without std (see README.md):
#   1. negative control: the check crate with std pulled in must FAIL with a duplicate lang item;
#   2. the check crate as it is must build.
# Needs no network: the crates come from the cache that the main workspace's build filled.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# Its own directory under the main target dir: reruns are quick and the main builds stay cached.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/no-std-check"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

build() {
    cargo build --offline --manifest-path "$here/Cargo.toml" "$@" >"$log" 2>&1
}

fail() {
    cat "$log" >&2
    echo "no-std check: FAILED: $1" >&2
    exit 1
}

duplicate_lang_item='found duplicate lang item `panic_impl`'

if build --features negative-control; then
    fail "the negative control (std pulled in) built, so this check cannot detect std"
fi
if ! grep -qF "$duplicate_lang_item" "$log"; then
    fail "the negative control failed, but not with \"$duplicate_lang_item\""
fi
culprit="$(grep -o 'first defined in crate `std` (which `[^`]*` depends on)' "$log" | head -n 1 || true)"
echo "no-std check: ok: negative control fails as it must (\"$duplicate_lang_item\"; ${culprit:-std})"

if ! build; then
    if grep -qF "$duplicate_lang_item" "$log"; then
        fail "std is in the dependency graph of ember-core or ember-proto (see the note above: which crate depends on std)"
    fi
    fail "the no_std check crate did not build"
fi
echo "no-std check: ok: ember-core and ember-proto link into a no_std staticlib (panic=abort, no std)"
