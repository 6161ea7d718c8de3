#!/usr/bin/env python3
"""Summarise the `one_to_one` criterion group as a markdown table with the target ratios.

Reads target/criterion/one_to_one/*/new/{benchmark,estimates}.json (the median's point
estimate) and prints:

- a table of medians, with the 95% confidence interval of each median;
- each target ratio with PASS or MISS. Nothing is hidden: a missing result is a MISS.

Exits with status 1 if any target was missed or any result is missing.

Usage (from the workspace root, after `cargo bench -p ember-benches --bench one_to_one`):

    python3 benches/report.py [CRITERION_DIR]

CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion next to this
crate. Python 3 standard library only. Floor definitions: docs/PERFORMANCE.md.
"""

import json
import os
import sys
from pathlib import Path

GROUP = "one_to_one"

# The ids, in table order.
IDS = [
    "ember/one_direction",
    "vodozemac/one_direction",
    "ember/ping_pong",
    "vodozemac/ping_pong",
    "ember/session_setup",
    "vodozemac/session_setup",
    "ember/snapshot",
    "vodozemac/pickle",
    "floor/aes256gcm_fresh_key_100B",
    "floor/hkdf_sha256",
    "floor/hmac_sha256",
    "floor/x25519_dh",
    "floor/x25519_keygen",
    "floor/ed25519_verify",
]

# Work Ember's code does in `ember/session_setup` (bundle verification, Session::initiate,
# the first encrypt, Session::accept), counted in core/src (see docs/PERFORMANCE.md):
#
# X25519 agreements: initiator 4 (x3dh::initiator_secret with a one-time prekey)
#   + 1 (Ratchet::initiator); responder 4 (x3dh::responder_secret) + 1 (Ratchet::responder).
SETUP_DH = 10
# Base-point multiplications: initiator 2 (the ephemeral key and the first ratchet key, both
#   PrivateKey::generate); the responder reuses its signed prekey's cached public key.
SETUP_KEYGEN = 2
# Ed25519 verifications, each with a key parse: initiator 3 (PreKeyBundle::from_bytes: the
#   device certificate, the signed prekey, the one one-time prekey in the bundle); responder 1
#   (DeviceCertificate::from_wire on the initiator's certificate). Each certificate parse also
#   decompresses two keys (account key, device signing key), so the code parses 4 keys in all:
#   the same as the 4 parses that the floor counts.
SETUP_VERIFY = 4


def criterion_dir(argv):
    if len(argv) > 1:
        return Path(argv[1])
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "criterion"
    return Path(__file__).resolve().parent.parent / "target" / "criterion"


def load(root):
    """Maps each benchmark id to (median, lower bound, upper bound) in nanoseconds."""
    results = {}
    for estimates_path in sorted((root / GROUP).glob("*/new/estimates.json")):
        benchmark_path = estimates_path.with_name("benchmark.json")
        with open(benchmark_path, encoding="utf-8") as f:
            function_id = json.load(f)["function_id"]
        with open(estimates_path, encoding="utf-8") as f:
            median = json.load(f)["median"]
        interval = median["confidence_interval"]
        results[function_id] = (
            median["point_estimate"],
            interval["lower_bound"],
            interval["upper_bound"],
        )
    return results


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def main(argv):
    root = criterion_dir(argv)
    results = load(root)
    print(f"Medians of criterion group `{GROUP}` (from {root / GROUP}):\n")
    print("| benchmark | median | 95% CI of the median |")
    print("|---|---:|---:|")
    for name in IDS + sorted(set(results) - set(IDS)):
        if name in results:
            mid, low, high = results[name]
            print(f"| `{name}` | {fmt_time(mid)} | {fmt_time(low)} – {fmt_time(high)} |")
        else:
            print(f"| `{name}` | MISSING | |")
    print()

    # Every quantity below is a triple (median, low, high): the median's point estimate and
    # the bounds of its 95% confidence interval, carried through sums and ratios so that a
    # ratio also shows the range its terms' intervals allow.
    def combine(*terms):
        """Sum of coefficient × benchmark, or None if a result is missing."""
        total = [0.0, 0.0, 0.0]
        for coefficient, name in terms:
            if name not in results:
                return None
            for i in range(3):
                total[i] += coefficient * results[name][i]
        return tuple(total)

    def ratio(numerator, denominator):
        if numerator is None or denominator is None or min(denominator) <= 0:
            return None
        return (
            numerator[0] / denominator[0],
            numerator[1] / denominator[2],
            numerator[2] / denominator[1],
        )

    def one(name):
        return combine((1, name))

    one_direction_floor = combine(
        (2, "floor/aes256gcm_fresh_key_100B"), (2, "floor/hkdf_sha256"), (2, "floor/hmac_sha256")
    )

    def setup_floor(keygens):
        return combine(
            (SETUP_DH, "floor/x25519_dh"),
            (keygens, "floor/x25519_keygen"),
            (SETUP_VERIFY, "floor/ed25519_verify"),
        )

    targets = [
        (
            "one_direction: ember ÷ 2×(aes256gcm_fresh_key_100B + hkdf_sha256 + hmac_sha256)",
            ratio(one("ember/one_direction"), one_direction_floor),
            "<=",
            1.3,
        ),
        (
            "one_direction: vodozemac ÷ ember",
            ratio(one("vodozemac/one_direction"), one("ember/one_direction")),
            ">=",
            5.0,
        ),
        (
            "ping_pong: ember ÷ vodozemac",
            ratio(one("ember/ping_pong"), one("vodozemac/ping_pong")),
            "<=",
            1.0,
        ),
        (
            f"session_setup: ember ÷ ({SETUP_DH}×x25519_dh + {SETUP_KEYGEN}×x25519_keygen"
            f" + {SETUP_VERIFY}×ed25519_verify)",
            ratio(one("ember/session_setup"), setup_floor(SETUP_KEYGEN)),
            "<=",
            1.1,
        ),
        (
            "snapshot: ember/snapshot ÷ vodozemac/pickle",
            ratio(one("ember/snapshot"), one("vodozemac/pickle")),
            "<=",
            1.0,
        ),
    ]

    print("Floors:\n")
    if one_direction_floor is not None:
        print(f"- one_direction floor: {fmt_time(one_direction_floor[0])}")
    code_floor = setup_floor(SETUP_KEYGEN)
    if code_floor is not None:
        print(f"- session_setup floor (the work the code does): {fmt_time(code_floor[0])}")
    print()

    print("| target | ratio (of medians) | range from the CIs | goal | result |")
    print("|---|---:|---:|---:|---|")
    missed = 0
    for label, value, op, goal in targets:
        if value is None:
            result, shown, span = "MISS (result missing)", "—", "—"
        else:
            mid, low, high = value
            shown = f"{mid:.3f}"
            span = f"{low:.3f} – {high:.3f}"
            ok = mid <= goal if op == "<=" else mid >= goal
            if ok:
                result = "PASS"
            else:
                # By how much, as the percentage the ratio is past its goal.
                off = (mid / goal - 1) if op == "<=" else (goal / mid - 1)
                result = f"MISS by {100 * off:.2f}%"
                if low <= goal <= high:
                    result += " (goal inside the CI range)"
        if result != "PASS":
            missed += 1
        print(f"| {label} | {shown} | {span} | {op} {goal} | {result} |")
    print()
    print(f"{len(targets) - missed} of {len(targets)} targets met.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
