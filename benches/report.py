#!/usr/bin/env python3
"""Summarise Ember's criterion groups as markdown tables with the target ratios.

Groups: `one_to_one` (benches/benches/one_to_one.rs), `rooms` (rooms.rs), `files`
(files.rs) and `calls` (calls.rs). For each group, reads
target/criterion/GROUP/*/new/{benchmark,estimates}.json (the median's point estimate) and
prints:

- a table of medians, with the 95% confidence interval of each median (and the throughput
  where the benchmark declares one);
- the group's floors and sums;
- each target ratio with PASS or MISS, and informational ratios (no goal) marked as such.
  Nothing is hidden: a missing result is a MISS.

A group with no results at all is reported as not run and skipped, unless it was named on
the command line, in which case its targets are MISSes. Exits with status 1 if any target of
a reported group was missed or any of its results is missing.

Usage (from the workspace root, after e.g. `cargo bench -p ember-benches --bench rooms`):

    python3 benches/report.py [CRITERION_DIR] [GROUP ...]

CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion next to this
crate. GROUP names select groups (default: every group, reporting those that were run).
Python 3 standard library only. Definitions of every id, floor and target:
docs/PERFORMANCE.md.
"""

import json
import os
import sys
from pathlib import Path

# ----------------------------------------------------------------------------------------
# one_to_one

ONE_TO_ONE_IDS = [
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

# ----------------------------------------------------------------------------------------
# rooms

ROOMS_IDS = [
    "ember/room_encrypt_500",
    "vodozemac/megolm_encrypt",
    "mls_rs/app_encrypt_500",
    "ember/room_decrypt_500",
    "vodozemac/megolm_decrypt",
    "mls_rs/app_decrypt_500",
    "ember/room_add_member_499/actor",
    "ember/room_add_member_499/receiver",
    "mls_rs/add_member_499/actor",
    "mls_rs/add_member_499/receiver",
    "ember/room_remove_member_500/actor",
    "ember/room_remove_member_500/receiver",
    "ember/room_remove_member_500/receiver_keys",
    "mls_rs/remove_member_500/actor",
    "mls_rs/remove_member_500/receiver",
    "floor/x25519_dh",
    "floor/x25519_keygen",
    "floor/ed25519_keygen",
    "floor/ed25519_sign_200B",
    "floor/ed25519_parse",
    "floor/ed25519_verify_200B",
]

# The public-key work of each membership change, counted in core/src for the session
# states the benchmark sets up (docs/PERFORMANCE.md, "Membership changes"): a list of
# (count, floor id) per Ember id.
OTHERS = 498  # the other remaining devices after a removal, and the old others in an addition
ROOM_CHANGE_WORK = {
    # 499 first sends on sessions whose last message came from the peer: a new ratchet key
    # and an agreement each (the second payload to the 498 remaining goes on the new chain).
    "ember/room_remove_member_500/actor": [
        (OTHERS + 1, "floor/x25519_keygen"),
        (OTHERS + 1, "floor/x25519_dh"),
        (1, "floor/ed25519_keygen"),
    ],
    # The actor's envelope carries a new ratchet key (1 agreement); a new chain (1 Ed25519
    # key); 498 first sends, each a DH ratchet step.
    "ember/room_remove_member_500/receiver": [
        (OTHERS, "floor/x25519_keygen"),
        (OTHERS + 1, "floor/x25519_dh"),
        (1, "floor/ed25519_keygen"),
    ],
    # 498 sender keys on chains that already exist: one Ed25519 key parse each.
    "ember/room_remove_member_500/receiver_keys": [
        (OTHERS, "floor/ed25519_parse"),
    ],
    # 498 first sends on existing sessions (DH steps); a session with the newcomer: its bundle
    # verified (3 signatures, 3 key parses in all), X3DH with a one-time prekey (4 agreements
    # + 1 for the first ratchet chain, 2 new keys); the newcomer's reply (1 agreement) and
    # its sender key (1 parse).
    "ember/room_add_member_499/actor": [
        (OTHERS + 2, "floor/x25519_keygen"),
        (OTHERS + 6, "floor/x25519_dh"),
        (3, "floor/ed25519_verify_200B"),
        (4, "floor/ed25519_parse"),
    ],
    # The actor's envelope (1 agreement); a session with the newcomer as above; the
    # newcomer's reply (1 agreement) and key (1 parse).
    "ember/room_add_member_499/receiver": [
        (2, "floor/x25519_keygen"),
        (7, "floor/x25519_dh"),
        (3, "floor/ed25519_verify_200B"),
        (4, "floor/ed25519_parse"),
    ],
}

# ----------------------------------------------------------------------------------------
# files and calls

FILES_IDS = [
    "floor/aes256gcm_64MiB",
    "ember/file_encrypt_64MiB",
    "ember/file_decrypt_64MiB",
    "floor/sha256_64MiB",
]

CALLS_IDS = [
    "floor/aes256gcm_1200B",
    "ember/sframe_encrypt_1200B",
    "floor/aes256gcm_open_1200B",
    "ember/sframe_decrypt_1200B",
]

RETENTION_IDS = [
    "ember/retention_reencrypt_1KiB",
    "ember/retention_room_1KiB",
    "ember/archive_throughput",
    "floor/ed25519_verify",
    "floor/aes256gcm_fresh_key_1KiB",
]

ORGANIZATION_IDS = [
    "ember/federation_verify",
    "floor/ed25519_verify",
    "ember/policy_check",
    "floor/content_decode",
]

# The federation gate verifies two signatures (the envelope's under the sending network's
# key, the device certificate's under its account key), each with its key parse.
FEDERATION_VERIFIES = 2

# 200,000 1:1 messages per second per core.
RETENTION_BUDGET_NS = 1e9 / 200_000

GROUPS = ["one_to_one", "rooms", "files", "calls", "retention", "organization"]


def criterion_dir(path_arg):
    if path_arg is not None:
        return Path(path_arg)
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "criterion"
    return Path(__file__).resolve().parent.parent / "target" / "criterion"


def load(root, group):
    """Maps each benchmark id to (median, lower bound, upper bound) in nanoseconds, and each
    id that declares a throughput to its bytes per iteration."""
    results = {}
    throughput = {}
    for estimates_path in sorted((root / group).glob("*/new/estimates.json")):
        benchmark_path = estimates_path.with_name("benchmark.json")
        with open(benchmark_path, encoding="utf-8") as f:
            benchmark = json.load(f)
        function_id = benchmark["function_id"]
        with open(estimates_path, encoding="utf-8") as f:
            median = json.load(f)["median"]
        interval = median["confidence_interval"]
        results[function_id] = (
            median["point_estimate"],
            interval["lower_bound"],
            interval["upper_bound"],
        )
        declared = benchmark.get("throughput") or {}
        if "Bytes" in declared:
            throughput[function_id] = declared["Bytes"]
    return results, throughput


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def fmt_rate(bytes_per_ns):
    mib_s = bytes_per_ns * 1e9 / (1 << 20)
    if mib_s >= 1024:
        return f"{mib_s / 1024:.3g} GiB/s"
    return f"{mib_s:.3g} MiB/s"


class Report:
    """One group's results, and the arithmetic on triples (median, low, high): the median's
    point estimate and the bounds of its 95% confidence interval, carried through sums and
    ratios so that a ratio also shows the range its terms' intervals allow."""

    def __init__(self, root, group):
        self.root = root
        self.group = group
        self.results, self.throughput = load(root, group)

    def combine(self, *terms):
        """Sum of coefficient × benchmark, or None if a result is missing."""
        total = [0.0, 0.0, 0.0]
        for coefficient, name in terms:
            if name not in self.results:
                return None
            for i in range(3):
                total[i] += coefficient * self.results[name][i]
        return tuple(total)

    def one(self, name):
        return self.combine((1, name))

    @staticmethod
    def ratio(numerator, denominator):
        if numerator is None or denominator is None or min(denominator) <= 0:
            return None
        return (
            numerator[0] / denominator[0],
            numerator[1] / denominator[2],
            numerator[2] / denominator[1],
        )

    def table(self, ids):
        print(f"Medians of criterion group `{self.group}` (from {self.root / self.group}):\n")
        with_rate = any(name in self.throughput for name in ids)
        if with_rate:
            print("| benchmark | median | 95% CI of the median | throughput (of the median) |")
            print("|---|---:|---:|---:|")
        else:
            print("| benchmark | median | 95% CI of the median |")
            print("|---|---:|---:|")
        for name in ids + sorted(set(self.results) - set(ids)):
            if name in self.results:
                mid, low, high = self.results[name]
                row = f"| `{name}` | {fmt_time(mid)} | {fmt_time(low)} – {fmt_time(high)} |"
                if with_rate:
                    rate = self.throughput.get(name)
                    row += f" {fmt_rate(rate / mid)} |" if rate else " |"
                print(row)
            else:
                print(f"| `{name}` | MISSING | |" + (" |" if with_rate else ""))
        print()

    @staticmethod
    def targets(targets, informational=()):
        """Prints the target table; returns the number of misses. `informational` rows are
        ratios without a goal: printed, never a miss (a missing term shows as missing)."""
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
                    if op == ">=":
                        result += f" (reaches {100 * mid / goal:.1f}% of the goal)"
                    if low <= goal <= high:
                        result += " (goal inside the CI range)"
            if result != "PASS":
                missed += 1
            print(f"| {label} | {shown} | {span} | {op} {goal} | {result} |")
        for label, value in informational:
            if value is None:
                shown, span = "—", "— (result missing)"
            else:
                shown, span = f"{value[0]:.3f}", f"{value[1]:.3f} – {value[2]:.3f}"
            print(f"| {label} | {shown} | {span} | — | informational (no goal) |")
        print()
        if targets:
            print(f"{len(targets) - missed} of {len(targets)} targets met.")
        else:
            print("No target with a goal in this group: the ratios are informational.")
        return missed


def report_one_to_one(r):
    r.table(ONE_TO_ONE_IDS)
    one, ratio, combine = r.one, r.ratio, r.combine

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
    return r.targets(targets)


def report_rooms(r):
    r.table(ROOMS_IDS)
    one, ratio, combine = r.one, r.ratio, r.combine

    add = "ember/room_add_member_499"
    remove = "ember/room_remove_member_500"
    sums = [
        (f"`{add}` (actor + receiver)", combine((1, f"{add}/actor"), (1, f"{add}/receiver"))),
        (
            "`mls_rs/add_member_499` (actor + receiver)",
            combine((1, "mls_rs/add_member_499/actor"), (1, "mls_rs/add_member_499/receiver")),
        ),
        (
            f"`{remove}` (actor + receiver)",
            combine((1, f"{remove}/actor"), (1, f"{remove}/receiver")),
        ),
        (
            f"`{remove}`, the actor's device in all (actor + receiver_keys)",
            combine((1, f"{remove}/actor"), (1, f"{remove}/receiver_keys")),
        ),
        (
            f"`{remove}`, a receiving device in all (receiver + receiver_keys)",
            combine((1, f"{remove}/receiver"), (1, f"{remove}/receiver_keys")),
        ),
        (
            "`mls_rs/remove_member_500` (actor + receiver)",
            combine(
                (1, "mls_rs/remove_member_500/actor"), (1, "mls_rs/remove_member_500/receiver")
            ),
        ),
    ]
    print("Sums (of medians; the range adds the CI bounds):\n")
    print("| sum | median | range |")
    print("|---|---:|---:|")
    for label, value in sums:
        if value is None:
            print(f"| {label} | MISSING | |")
        else:
            print(f"| {label} | {fmt_time(value[0])} | {fmt_time(value[1])} – {fmt_time(value[2])} |")
    print()

    print("Public-key work of Ember's membership changes (counts from core/src, times from the floors):\n")
    print("| benchmark | counted work | its floor | share of the median |")
    print("|---|---|---:|---:|")
    for name, work in ROOM_CHANGE_WORK.items():
        floor = combine(*work)
        counted = " + ".join(f"{count}×{floor_id.removeprefix('floor/')}" for count, floor_id in work)
        if floor is None or name not in r.results:
            print(f"| `{name}` | {counted} | MISSING | |")
        else:
            share = floor[0] / r.results[name][0]
            print(f"| `{name}` | {counted} | {fmt_time(floor[0])} | {100 * share:.0f}% |")
    print()

    targets = [
        (
            "room encrypt: ember/room_encrypt_500 ÷ vodozemac/megolm_encrypt",
            ratio(one("ember/room_encrypt_500"), one("vodozemac/megolm_encrypt")),
            "<=",
            1.0,
        ),
        (
            "room decrypt: ember/room_decrypt_500 ÷ vodozemac/megolm_decrypt",
            ratio(one("ember/room_decrypt_500"), one("vodozemac/megolm_decrypt")),
            "<=",
            1.0,
        ),
        (
            "room encrypt: mls_rs/app_encrypt_500 ÷ ember/room_encrypt_500",
            ratio(one("mls_rs/app_encrypt_500"), one("ember/room_encrypt_500")),
            ">=",
            1.5,
        ),
    ]
    informational = [
        (
            "room decrypt: mls_rs/app_decrypt_500 ÷ ember/room_decrypt_500",
            ratio(one("mls_rs/app_decrypt_500"), one("ember/room_decrypt_500")),
        ),
        ("add (actor + receiver): ember ÷ mls_rs", ratio(sums[0][1], sums[1][1])),
        ("remove (actor + receiver): ember ÷ mls_rs", ratio(sums[2][1], sums[5][1])),
        (
            "remove, a receiving device in all: ember (receiver + receiver_keys) ÷ mls_rs receiver",
            ratio(sums[4][1], one("mls_rs/remove_member_500/receiver")),
        ),
    ]
    return r.targets(targets, informational)


def throughput_ratio(r, name, floor):
    """Ember's throughput as a fraction of the floor's (the floor's time ÷ Ember's, for the
    same bytes per iteration)."""
    numerator, denominator = r.one(floor), r.one(name)
    if r.throughput.get(name) != r.throughput.get(floor):
        return None
    return r.ratio(numerator, denominator)


def report_files(r):
    r.table(FILES_IDS)
    floor = "floor/aes256gcm_64MiB"
    targets = [
        (
            f"file encrypt: throughput of ember/file_encrypt_64MiB ÷ {floor}",
            throughput_ratio(r, "ember/file_encrypt_64MiB", floor),
            ">=",
            0.85,
        ),
        (
            f"file decrypt: throughput of ember/file_decrypt_64MiB ÷ {floor}",
            throughput_ratio(r, "ember/file_decrypt_64MiB", floor),
            ">=",
            0.85,
        ),
    ]
    informational = [
        (
            f"file encrypt: ember ÷ ({floor} + floor/sha256_64MiB), times",
            r.ratio(
                r.one("ember/file_encrypt_64MiB"),
                r.combine((1, floor), (1, "floor/sha256_64MiB")),
            ),
        ),
        (
            f"file decrypt: ember ÷ ({floor} + floor/sha256_64MiB), times",
            r.ratio(
                r.one("ember/file_decrypt_64MiB"),
                r.combine((1, floor), (1, "floor/sha256_64MiB")),
            ),
        ),
    ]
    return r.targets(targets, informational)


def report_calls(r):
    r.table(CALLS_IDS)
    informational = [
        (
            "sframe encrypt: ember/sframe_encrypt_1200B ÷ floor/aes256gcm_1200B",
            r.ratio(r.one("ember/sframe_encrypt_1200B"), r.one("floor/aes256gcm_1200B")),
        ),
        (
            "sframe decrypt: ember/sframe_decrypt_1200B ÷ floor/aes256gcm_open_1200B",
            r.ratio(r.one("ember/sframe_decrypt_1200B"), r.one("floor/aes256gcm_open_1200B")),
        ),
    ]
    return r.targets([], informational)


def report_retention(r):
    r.table(RETENTION_IDS)
    one = r.one("ember/retention_reencrypt_1KiB")
    budget = (RETENTION_BUDGET_NS,) * 3
    targets = [
        (
            "1:1 retention: ember/retention_reencrypt_1KiB ÷ 5 µs (200,000 messages/s per core)",
            r.ratio(one, budget) if one else None,
            "<=",
            1.0,
        ),
        (
            "room retention: ember/retention_room_1KiB ÷ floor/ed25519_verify",
            r.ratio(r.one("ember/retention_room_1KiB"), r.one("floor/ed25519_verify")),
            "<=",
            1.1,
        ),
    ]
    return r.targets(targets)


def report_organization(r):
    r.table(ORGANIZATION_IDS)
    informational = [
        (
            f"federation: ember/federation_verify ÷ {FEDERATION_VERIFIES} × floor/ed25519_verify",
            r.ratio(
                r.one("ember/federation_verify"),
                r.combine((FEDERATION_VERIFIES, "floor/ed25519_verify")),
            ),
        ),
        (
            "policy: ember/policy_check ÷ floor/content_decode",
            r.ratio(r.one("ember/policy_check"), r.one("floor/content_decode")),
        ),
    ]
    return r.targets([], informational)


REPORTERS = {
    "one_to_one": report_one_to_one,
    "rooms": report_rooms,
    "files": report_files,
    "calls": report_calls,
    "retention": report_retention,
    "organization": report_organization,
}


def main(argv):
    named = [arg for arg in argv[1:] if arg in GROUPS]
    paths = [arg for arg in argv[1:] if arg not in GROUPS]
    if len(paths) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = criterion_dir(paths[0] if paths else None)
    missed = 0
    reported = 0
    not_run = []
    for group in named or GROUPS:
        r = Report(root, group)
        if not r.results and not named:
            not_run.append(group)
            continue
        if reported:
            print()
        print(f"## {group}\n")
        missed += REPORTERS[group](r)
        reported += 1
    if not_run:
        print()
        print("Not run (no results in " + str(root) + "): " + ", ".join(not_run) + ".")
    if not reported:
        print(f"No results found in {root}.")
        return 1
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
