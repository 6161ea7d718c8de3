//! Property tests of 1:1 sessions and multi-device fan-out, through the public API only.
//!
//! - `fan_out_schedules`: two accounts with two devices each exchange messages through their
//!   [`SessionBook`]s under a random schedule of sends, reordered deliveries, losses,
//!   duplicates, tampered copies and snapshot round trips. Every envelope that arrives
//!   decrypts exactly once to exactly its plaintext; every duplicate and tampered copy is
//!   refused and changes nothing; at the end every device still reaches every other.
//! - `failed_decrypts_leave_a_session_unchanged`: the same on one pair of [`Session`]s, with
//!   the sealed state compared byte for byte around every refused envelope.
//! - The `gap_*` tests: a message further ahead than [`MAX_SKIP`] is refused with
//!   [`DecryptError::GapTooLarge`] and the session keeps working.
//!
//! All key material of a case comes from a ChaCha20 generator seeded by a proptest-generated
//! `u64`, so the case proptest prints on failure replays exactly. The number of cases can be
//! raised for a soak run with `PROPTEST_CASES`; run with `--nocapture` to see what a run
//! exercised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

extern crate alloc;

use alloc::collections::BTreeSet;
use core::cell::{Cell, RefCell};

use ember_core::error::{AcceptError, BookError, DecryptError};
use ember_core::identity::{Account, Device};
use ember_core::limits::{MAX_SKIP, MAX_STORED_SKIPPED_KEYS};
use ember_core::prekeys::PreKeyBundle;
use ember_core::session::{Session, SessionBook};
use ember_core::snapshot::SnapshotKey;
use ember_core::{AccountId, DeviceAddress, Timestamp};
use ember_proto::v1 as proto;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use prost::Message;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: Timestamp = Timestamp(1_700_000_000);
/// Alice's devices are nodes 0 and 1, Bob's 2 and 3.
const DEVICES: usize = 4;
/// One-time prekeys each device publishes: one for each device that may start a session
/// with it.
const ONE_TIME_PREKEYS: usize = DEVICES - 1;
/// Schedule lengths of the fan-out property.
const SCHEDULE: core::ops::Range<usize> = 150..300;
/// Most envelopes a fan-out schedule loses. A session carries at most one envelope per send,
/// and a schedule makes fewer sends than it has operations (plus two per device at the end):
/// far fewer than [`MAX_SKIP`] or [`MAX_STORED_SKIPPED_KEYS`], so no loss can open a gap the
/// receiver refuses. The cap only keeps most of the traffic arriving.
const MAX_DROPS: usize = 25;
const _: () = assert!(SCHEDULE.end + 2 * DEVICES < MAX_SKIP as usize);
const _: () = assert!(SCHEDULE.end + 2 * DEVICES < MAX_STORED_SKIPPED_KEYS);

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Nothing is written next to the sources; proptest prints the failing input instead.
        failure_persistence: None,
        max_shrink_time: 120_000,
        ..Config::default()
    }
}

fn snapshot_key() -> SnapshotKey {
    SnapshotKey::from_bytes(&mut [0x42; 32])
}

/// The sealed bytes of a session book and its device under a fixed key and nonce: equal
/// state gives equal bytes, so this detects any change.
fn sealed_state(book: &SessionBook, device: &Device) -> (Vec<u8>, Vec<u8>) {
    let key = snapshot_key();
    (
        book.seal(&key, &mut ChaCha20Rng::seed_from_u64(0)).unwrap(),
        device
            .seal(&key, &mut ChaCha20Rng::seed_from_u64(0))
            .unwrap(),
    )
}

fn sealed_session(session: &Session) -> Vec<u8> {
    session
        .seal(&snapshot_key(), &mut ChaCha20Rng::seed_from_u64(0))
        .unwrap()
}

/// A unique plaintext of varying length.
fn plaintext(seq: u64, from: usize) -> Vec<u8> {
    let mut text = format!("message {seq} from node {from}").into_bytes();
    text.resize(text.len() + (seq % 61) as usize, b'.');
    text
}

/// The counter of a handshake-carrying envelope, `None` for a plain ratchet message.
fn initial_counter(envelope: &[u8]) -> Option<u32> {
    match proto::Envelope::decode(envelope).unwrap().body.unwrap() {
        proto::envelope::Body::Initial(initial) => Some(initial.message.unwrap().counter),
        proto::envelope::Body::Ratchet(_) => None,
    }
}

fn flip(bytes: &[u8], at: usize, bit: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 1 << bit;
    out
}

// ---------------------------------------------------------------------------------------------
// Two accounts, four devices, session books
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    /// A device sends to the other account (fanned out to its own other device too).
    Send { from: usize },
    /// A random in-flight envelope arrives.
    Deliver(Index),
    /// A random in-flight envelope is lost.
    Drop(Index),
    /// An envelope that already arrived arrives again.
    Duplicate(Index),
    /// A copy of an in-flight envelope with a bit of its AES-GCM tag flipped arrives first.
    TamperTag { pick: Index, at: Index, bit: u8 },
    /// A copy of an in-flight envelope with any bit flipped arrives first.
    TamperAnywhere { pick: Index, at: Index, bit: u8 },
    /// A device seals and reopens its device state and session book, and goes on with those.
    Snapshot { node: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..DEVICES).prop_map(|from| Op::Send { from }),
        10 => any::<Index>().prop_map(Op::Deliver),
        1 => any::<Index>().prop_map(Op::Drop),
        1 => any::<Index>().prop_map(Op::Duplicate),
        1 => (any::<Index>(), any::<Index>(), 0..8u8)
            .prop_map(|(pick, at, bit)| Op::TamperTag { pick, at, bit }),
        1 => (any::<Index>(), any::<Index>(), 0..8u8)
            .prop_map(|(pick, at, bit)| Op::TamperAnywhere { pick, at, bit }),
        1 => (0..DEVICES).prop_map(|node| Op::Snapshot { node }),
    ]
}

struct Node {
    device: Device,
    book: SessionBook,
}

struct Envelope {
    from: usize,
    to: usize,
    bytes: Vec<u8>,
    plaintext: Vec<u8>,
}

/// What runs exercised, summed over all cases.
#[derive(Default, Debug)]
struct Stats {
    cases: u64,
    envelopes_sent: u64,
    envelopes_delivered: u64,
    dropped: u64,
    duplicates_refused: u64,
    tampered_refused: u64,
    /// Tampered copies that decrypted to the original plaintext (counted as delivered too):
    /// the flipped bit was in the certificate or prekey ids of a handshake-carrying message,
    /// which a session that already exists does not read (it compares only the base key).
    tampered_accepted_as_original: u64,
    snapshots: u64,
    /// Sessions a responder made from a handshake-carrying message that was not the first
    /// one sent (an earlier one was still in flight or lost).
    sessions_made_out_of_order: u64,
    /// Handshake-carrying messages that arrived at an existing session.
    late_handshakes: u64,
}

struct World {
    rng: ChaCha20Rng,
    nodes: Vec<Node>,
    accounts: [AccountId; 2],
    /// Node indexes by ascending address: the lower address of each pair starts the session.
    order: Vec<usize>,
    /// One-time prekeys each node should have left once every session with it exists.
    expected_prekeys_left: Vec<usize>,
    pending: Vec<Envelope>,
    delivered: Vec<Envelope>,
    next_seq: u64,
    stats: Stats,
}

impl World {
    /// Four devices; for each pair the lower-addressed one starts a session from the other's
    /// verified bundle (with its own one-time prekey when `one_time_prekeys` has the pair's
    /// bit set). Nothing is sent yet: the first messages of each session carry the handshake.
    fn new(seed: u64, one_time_prekeys: u8) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut accounts = [Account::generate(&mut rng), Account::generate(&mut rng)];
        let mut nodes: Vec<Node> = (0..DEVICES)
            .map(|node| {
                let mut device = accounts[node / 2].new_device(&mut rng, NOW);
                assert_eq!(
                    device.generate_one_time_prekeys(&mut rng, ONE_TIME_PREKEYS),
                    ONE_TIME_PREKEYS
                );
                Node {
                    device,
                    book: SessionBook::new(),
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..DEVICES).collect();
        order.sort_by_key(|&node| nodes[node].device.address());
        let mut expected_prekeys_left = vec![ONE_TIME_PREKEYS; DEVICES];
        let mut pair = 0;
        for (rank, &initiator) in order.iter().enumerate() {
            for &responder in &order[rank + 1..] {
                let published =
                    PreKeyBundle::from_bytes(&nodes[responder].device.prekey_bundle().to_bytes())
                        .unwrap();
                // A directory hands each initiator a different one-time prekey, or none.
                let bundle = if one_time_prekeys & (1 << pair) != 0 {
                    expected_prekeys_left[responder] -= 1;
                    let id = published.one_time_prekey_ids().nth(rank).unwrap();
                    published.with_one_time_prekey(id).unwrap()
                } else {
                    published.without_one_time_prekeys()
                };
                let bundle = PreKeyBundle::from_bytes(&bundle.to_bytes()).unwrap();
                let node = &mut nodes[initiator];
                node.book.start(&mut rng, &node.device, &bundle).unwrap();
                pair += 1;
            }
        }
        Self {
            rng,
            nodes,
            accounts: [accounts[0].id(), accounts[1].id()],
            order,
            expected_prekeys_left,
            pending: Vec::new(),
            delivered: Vec::new(),
            next_seq: 0,
            stats: Stats::default(),
        }
    }

    fn address(&self, node: usize) -> DeviceAddress {
        self.nodes[node].device.address()
    }

    fn node_at(&self, address: DeviceAddress) -> usize {
        (0..DEVICES)
            .find(|&node| self.address(node) == address)
            .unwrap()
    }

    fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Send { from } => self.send(from).map(drop),
            Op::Deliver(pick) => {
                if !self.pending.is_empty() {
                    let envelope = self.pending.swap_remove(pick.index(self.pending.len()));
                    self.deliver(envelope)?;
                }
                Ok(())
            }
            Op::Drop(pick) => {
                if !self.pending.is_empty() && (self.stats.dropped as usize) < MAX_DROPS {
                    self.pending.swap_remove(pick.index(self.pending.len()));
                    self.stats.dropped += 1;
                }
                Ok(())
            }
            Op::Duplicate(pick) => self.duplicate(pick),
            Op::TamperTag { pick, at, bit } => self.tamper(pick, at, bit, true),
            Op::TamperAnywhere { pick, at, bit } => self.tamper(pick, at, bit, false),
            Op::Snapshot { node } => self.snapshot(node),
        }
    }

    /// `from` sends one message to the other account; returns how many envelopes it made.
    fn send(&mut self, from: usize) -> Result<usize, TestCaseError> {
        let own = self.address(from);
        let other = self.accounts[1 - from / 2];
        let seq = self.next_seq;
        self.next_seq += 1;
        let plaintext = plaintext(seq, from);
        let node = &mut self.nodes[from];
        let expected: BTreeSet<DeviceAddress> = node
            .book
            .devices_of(other)
            .chain(node.book.devices_of(own.account).filter(|&to| to != own))
            .collect();
        let has_peer = node.book.devices_of(other).next().is_some();
        match node
            .book
            .encrypt_for_account(&mut self.rng, &node.device, other, &plaintext)
        {
            Err(BookError::NoSession) => {
                // Only a device that has not heard from the other account yet.
                prop_assert!(!has_peer, "NoSession although a session exists");
                Ok(0)
            }
            Err(error) => Err(TestCaseError::fail(format!("send failed: {error}"))),
            Ok(out) => {
                let to: BTreeSet<DeviceAddress> = out.iter().map(|outgoing| outgoing.to).collect();
                prop_assert_eq!(out.len(), to.len(), "one envelope per device");
                prop_assert_eq!(&to, &expected, "fan-out reaches exactly the known devices");
                for outgoing in out {
                    let to = self.node_at(outgoing.to);
                    self.pending.push(Envelope {
                        from,
                        to,
                        bytes: outgoing.envelope,
                        plaintext: plaintext.clone(),
                    });
                    self.stats.envelopes_sent += 1;
                }
                Ok(to.len())
            }
        }
    }

    fn deliver(&mut self, envelope: Envelope) -> Result<(), TestCaseError> {
        let from = self.address(envelope.from);
        let node = &mut self.nodes[envelope.to];
        let had_session = node.book.session(&from).is_some();
        let result = node.book.decrypt(&mut node.device, from, &envelope.bytes);
        prop_assert_eq!(
            result.as_deref(),
            Ok(&envelope.plaintext[..]),
            "envelope {} -> {} did not decrypt to its plaintext",
            envelope.from,
            envelope.to
        );
        if let Some(counter) = initial_counter(&envelope.bytes) {
            if had_session {
                self.stats.late_handshakes += 1;
            } else if counter > 0 {
                self.stats.sessions_made_out_of_order += 1;
            }
        }
        self.stats.envelopes_delivered += 1;
        self.delivered.push(envelope);
        Ok(())
    }

    /// Delivers `bytes` as if from `envelope.from` to `envelope.to`, expecting a refusal that
    /// changes neither the receiver's session book nor its device.
    fn refused(
        &mut self,
        from: usize,
        to: usize,
        bytes: &[u8],
    ) -> Result<BookError, TestCaseError> {
        let from = self.address(from);
        let node = &mut self.nodes[to];
        let before = sealed_state(&node.book, &node.device);
        let result = node.book.decrypt(&mut node.device, from, bytes);
        let Err(error) = result else {
            return Err(TestCaseError::fail("a refused envelope decrypted"));
        };
        prop_assert!(
            sealed_state(&node.book, &node.device) == before,
            "a refused envelope ({error}) changed the receiver"
        );
        Ok(error)
    }

    fn duplicate(&mut self, pick: Index) -> Result<(), TestCaseError> {
        if self.delivered.is_empty() {
            return Ok(());
        }
        let envelope = &self.delivered[pick.index(self.delivered.len())];
        let (from, to, bytes) = (envelope.from, envelope.to, envelope.bytes.clone());
        self.refused(from, to, &bytes)?;
        self.stats.duplicates_refused += 1;
        Ok(())
    }

    /// A tampered copy of an in-flight envelope arrives before the original. A flipped tag
    /// bit must be refused as a bad tag. A bit flipped anywhere must be refused, unless the
    /// copy decrypts to exactly the original plaintext: then the original counts as delivered
    /// (and arriving again is a duplicate).
    fn tamper(&mut self, pick: Index, at: Index, bit: u8, tag: bool) -> Result<(), TestCaseError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let index = pick.index(self.pending.len());
        let envelope = &self.pending[index];
        let (from, to) = (envelope.from, envelope.to);
        let len = envelope.bytes.len();
        // The ciphertext is the last field of the last message, so the envelope ends with the
        // 16-byte tag.
        let at = if tag {
            len - 16 + at.index(16)
        } else {
            at.index(len)
        };
        let tampered = flip(&envelope.bytes, at, bit);
        if tag {
            let error = self.refused(from, to, &tampered)?;
            prop_assert!(
                matches!(
                    error,
                    BookError::Decrypt(DecryptError::BadTag)
                        | BookError::Accept(AcceptError::Decrypt(DecryptError::BadTag))
                ),
                "a flipped tag bit gave {:?}",
                error
            );
            self.stats.tampered_refused += 1;
            return Ok(());
        }
        let sender = self.address(from);
        let node = &mut self.nodes[to];
        let before = sealed_state(&node.book, &node.device);
        match node.book.decrypt(&mut node.device, sender, &tampered) {
            Err(error) => {
                prop_assert!(
                    sealed_state(&node.book, &node.device) == before,
                    "a refused tampered envelope ({error}) changed the receiver"
                );
                self.stats.tampered_refused += 1;
            }
            Ok(plaintext) => {
                let original = self.pending.swap_remove(index);
                prop_assert_eq!(
                    &plaintext,
                    &original.plaintext,
                    "a tampered envelope (byte {}) decrypted to another plaintext",
                    at
                );
                prop_assert!(
                    initial_counter(&original.bytes).is_some(),
                    "a tampered ratchet message decrypted"
                );
                self.stats.tampered_accepted_as_original += 1;
                self.stats.envelopes_delivered += 1;
                self.delivered.push(original);
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, node: usize) -> Result<(), TestCaseError> {
        let key = snapshot_key();
        let node = &mut self.nodes[node];
        let book = SessionBook::open(&key, &node.book.seal(&key, &mut self.rng).unwrap());
        let device = Device::open(&key, &node.device.seal(&key, &mut self.rng).unwrap());
        let (Ok(book), Ok(device)) = (book, device) else {
            return Err(TestCaseError::fail("a snapshot did not open"));
        };
        prop_assert!(
            sealed_state(&book, &device) == sealed_state(&node.book, &node.device),
            "a reopened snapshot differs from the state sealed"
        );
        prop_assert_eq!(book.len(), node.book.len());
        node.book = book;
        node.device = device;
        self.stats.snapshots += 1;
        Ok(())
    }

    /// Delivers everything still in flight, then checks that both sides still agree: in
    /// ascending address order each device sends once (so that by its turn it has heard from
    /// every lower device), then in descending order, and every fan-out reaches all three
    /// other devices and decrypts at once. Finally every one-time prekey handed out was
    /// consumed exactly once.
    fn finish(&mut self) -> Result<(), TestCaseError> {
        while let Some(envelope) = self.pending.pop() {
            self.deliver(envelope)?;
        }
        let order = self.order.clone();
        for &node in order.iter().chain(order.iter().rev()) {
            prop_assert_eq!(
                self.send(node)?,
                DEVICES - 1,
                "node {} reaches everyone",
                node
            );
            while let Some(envelope) = self.pending.pop() {
                self.deliver(envelope)?;
            }
        }
        for (node, expected) in self.nodes.iter().zip(&self.expected_prekeys_left) {
            prop_assert_eq!(node.device.one_time_prekey_count(), *expected);
            prop_assert_eq!(node.book.len(), DEVICES - 1);
        }
        Ok(())
    }
}

impl Stats {
    fn add(&mut self, other: &Self) {
        self.cases += 1;
        self.envelopes_sent += other.envelopes_sent;
        self.envelopes_delivered += other.envelopes_delivered;
        self.dropped += other.dropped;
        self.duplicates_refused += other.duplicates_refused;
        self.tampered_refused += other.tampered_refused;
        self.tampered_accepted_as_original += other.tampered_accepted_as_original;
        self.snapshots += other.snapshots;
        self.sessions_made_out_of_order += other.sessions_made_out_of_order;
        self.late_handshakes += other.late_handshakes;
    }
}

#[test]
fn fan_out_schedules() {
    let cases = cases(24);
    let mut runner = TestRunner::new(config(cases));
    let totals = RefCell::new(Stats::default());
    let strategy = (
        any::<u64>(),
        any::<u8>(),
        prop::collection::vec(op(), SCHEDULE),
    );
    let result = runner.run(&strategy, |(seed, one_time_prekeys, ops)| {
        let mut world = World::new(seed, one_time_prekeys);
        for op in &ops {
            world.run(op)?;
        }
        world.finish()?;
        totals.borrow_mut().add(&world.stats);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let totals = totals.into_inner();
    println!("fan_out_schedules: {totals:#?}");
    // The run must have exercised what it claims to (at 24 cases each of these is in the
    // hundreds or thousands; a handful of cases, as in a filtered quick run, gives fewer).
    let scale = u64::from(cases);
    assert_eq!(totals.cases, scale);
    assert!(totals.envelopes_delivered >= 100 * scale);
    assert_eq!(
        totals.envelopes_delivered + totals.dropped,
        totals.envelopes_sent
    );
    if scale >= 8 {
        assert!(totals.duplicates_refused > 0);
        assert!(totals.tampered_refused > 0);
        assert!(totals.snapshots > 0);
        assert!(totals.sessions_made_out_of_order > 0);
        assert!(totals.late_handshakes > 0);
    }
}

// ---------------------------------------------------------------------------------------------
// One pair of sessions
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum PairOp {
    /// Side `from` (0 = initiator, 1 = responder) encrypts a message for the other.
    Encrypt {
        from: usize,
    },
    Deliver(Index),
    Duplicate(Index),
    Tamper {
        pick: Index,
        at: Index,
        bit: u8,
    },
    Snapshot {
        side: usize,
    },
}

fn pair_op() -> impl Strategy<Value = PairOp> {
    prop_oneof![
        4 => (0..2usize).prop_map(|from| PairOp::Encrypt { from }),
        4 => any::<Index>().prop_map(PairOp::Deliver),
        1 => any::<Index>().prop_map(PairOp::Duplicate),
        2 => (any::<Index>(), any::<Index>(), 0..8u8)
            .prop_map(|(pick, at, bit)| PairOp::Tamper { pick, at, bit }),
        1 => (0..2usize).prop_map(|side| PairOp::Snapshot { side }),
    ]
}

struct PairMessage {
    to: usize,
    bytes: Vec<u8>,
    plaintext: Vec<u8>,
}

/// Delivers a message that must be refused, and checks the receiving session is unchanged.
fn refuse(session: &mut Session, bytes: &[u8]) -> Result<DecryptError, TestCaseError> {
    let before = sealed_session(session);
    let Err(error) = session.decrypt(bytes) else {
        return Err(TestCaseError::fail("a refused message decrypted"));
    };
    prop_assert!(
        sealed_session(session) == before,
        "a failed decrypt ({error}) changed the session"
    );
    Ok(error)
}

fn run_pair(seed: u64, first_burst: usize, ops: &[PairOp]) -> Result<u64, TestCaseError> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = Account::generate(&mut rng).new_device(&mut rng, NOW);
    let mut bob = Account::generate(&mut rng).new_device(&mut rng, NOW);
    bob.generate_one_time_prekeys(&mut rng, 1);
    let bundle = PreKeyBundle::from_bytes(&bob.prekey_bundle().to_bytes()).unwrap();
    let mut initiator = Session::initiate(&mut rng, &alice, &bundle).unwrap();

    // Several handshake-carrying messages; the responder's session comes from the last.
    let mut pending: Vec<PairMessage> = (0..first_burst)
        .map(|seq| {
            let plaintext = plaintext(seq as u64, 0);
            PairMessage {
                to: 1,
                bytes: initiator.encrypt(&mut rng, &plaintext).unwrap(),
                plaintext,
            }
        })
        .collect();
    let first = pending.pop().unwrap();
    let (responder, text) = Session::accept(&mut bob, &first.bytes).unwrap();
    prop_assert_eq!(&text, &first.plaintext);
    prop_assert_eq!(bob.one_time_prekey_count(), 0);
    let mut sessions = [initiator, responder];
    let mut delivered = vec![first];
    let mut next_seq = first_burst as u64;
    let mut messages = first_burst as u64;
    let key = snapshot_key();

    for op in ops {
        match *op {
            PairOp::Encrypt { from } => {
                let plaintext = plaintext(next_seq, from);
                next_seq += 1;
                let bytes = sessions[from].encrypt(&mut rng, &plaintext).unwrap();
                pending.push(PairMessage {
                    to: 1 - from,
                    bytes,
                    plaintext,
                });
                messages += 1;
            }
            PairOp::Deliver(pick) if !pending.is_empty() => {
                let message = pending.swap_remove(pick.index(pending.len()));
                let result = sessions[message.to].decrypt(&message.bytes);
                prop_assert_eq!(result.as_deref(), Ok(&message.plaintext[..]));
                delivered.push(message);
            }
            PairOp::Duplicate(pick) => {
                let message = &delivered[pick.index(delivered.len())];
                refuse(&mut sessions[message.to], &message.bytes)?;
            }
            PairOp::Tamper { pick, at, bit } if !pending.is_empty() => {
                let index = pick.index(pending.len());
                let message = &pending[index];
                let at = at.index(message.bytes.len());
                let tampered = flip(&message.bytes, at, bit);
                let session = &mut sessions[message.to];
                let before = sealed_session(session);
                match session.decrypt(&tampered) {
                    Err(error) => prop_assert!(
                        sealed_session(session) == before,
                        "a failed decrypt ({error}) changed the session"
                    ),
                    Ok(plaintext) => {
                        // Only an unread part of an initial message can have changed.
                        prop_assert_eq!(&plaintext, &message.plaintext, "byte {}", at);
                        prop_assert!(initial_counter(&message.bytes).is_some());
                        delivered.push(pending.swap_remove(index));
                    }
                }
            }
            PairOp::Snapshot { side } => {
                let sealed = sessions[side].seal(&key, &mut rng).unwrap();
                let reopened = Session::open(&key, &sealed).unwrap();
                prop_assert!(sealed_session(&reopened) == sealed_session(&sessions[side]));
                sessions[side] = reopened;
            }
            PairOp::Deliver(_) | PairOp::Tamper { .. } => {}
        }
    }

    while let Some(message) = pending.pop() {
        let result = sessions[message.to].decrypt(&message.bytes);
        prop_assert_eq!(result.as_deref(), Ok(&message.plaintext[..]));
        delivered.push(message);
    }
    for message in &delivered {
        refuse(&mut sessions[message.to], &message.bytes)?;
    }
    for from in [0, 1, 0] {
        let bytes = sessions[from].encrypt(&mut rng, b"still in step").unwrap();
        prop_assert_eq!(
            sessions[1 - from].decrypt(&bytes).unwrap(),
            b"still in step"
        );
        messages += 1;
    }
    Ok(messages)
}

#[test]
fn failed_decrypts_leave_a_session_unchanged() {
    let cases = cases(32);
    let mut runner = TestRunner::new(config(cases));
    let messages = Cell::new(0u64);
    let strategy = (
        any::<u64>(),
        1..5usize,
        prop::collection::vec(pair_op(), 50..200),
    );
    let result = runner.run(&strategy, |(seed, first_burst, ops)| {
        messages.set(messages.get() + run_pair(seed, first_burst, &ops)?);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    println!(
        "failed_decrypts_leave_a_session_unchanged: {} messages in {cases} cases",
        messages.get()
    );
}

// ---------------------------------------------------------------------------------------------
// Gaps beyond MAX_SKIP
// ---------------------------------------------------------------------------------------------

struct Pair {
    rng: ChaCha20Rng,
    alice_to_bob: Session,
    bob_to_alice: Session,
}

/// A session pair after one message each way.
fn acknowledged_pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = Account::generate(&mut rng).new_device(&mut rng, NOW);
    let mut bob = Account::generate(&mut rng).new_device(&mut rng, NOW);
    let bundle = PreKeyBundle::from_bytes(&bob.prekey_bundle().to_bytes()).unwrap();
    let mut alice_to_bob = Session::initiate(&mut rng, &alice, &bundle).unwrap();
    let first = alice_to_bob.encrypt(&mut rng, b"hello").unwrap();
    let (mut bob_to_alice, _) = Session::accept(&mut bob, &first).unwrap();
    let reply = bob_to_alice.encrypt(&mut rng, b"hi").unwrap();
    assert_eq!(alice_to_bob.decrypt(&reply).unwrap(), b"hi");
    Pair {
        rng,
        alice_to_bob,
        bob_to_alice,
    }
}

fn burst(rng: &mut ChaCha20Rng, session: &mut Session, count: u32) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| session.encrypt(rng, &i.to_be_bytes()).unwrap())
        .collect()
}

fn gap_too_large() -> DecryptError {
    DecryptError::GapTooLarge {
        got: MAX_SKIP + 1,
        max: MAX_SKIP,
    }
}

/// Within one receiving chain: the receiver's next counter is `n`; a message at
/// `n + MAX_SKIP + 1` is refused without a change, one at `n + MAX_SKIP` is accepted (and
/// stores `MAX_SKIP` skipped keys), after which the refused one is within bounds and
/// decrypts, as do the skipped ones, and the session still works both ways.
#[test]
fn gap_within_a_chain_is_refused_and_the_session_recovers() {
    let Pair {
        mut rng,
        mut alice_to_bob,
        mut bob_to_alice,
        ..
    } = acknowledged_pair(1);
    // Alice's second chain; Bob receives its counter 0 so that the rest stays in that chain.
    let opening = alice_to_bob.encrypt(&mut rng, b"new chain").unwrap();
    assert_eq!(bob_to_alice.decrypt(&opening).unwrap(), b"new chain");
    let messages = burst(&mut rng, &mut alice_to_bob, MAX_SKIP + 2);
    // Counters 1..=MAX_SKIP+2; Bob expects 1, so the last needs MAX_SKIP+1 skipped keys.
    let last = messages.len() - 1;
    assert_eq!(
        refuse(&mut bob_to_alice, &messages[last]).unwrap(),
        gap_too_large()
    );
    assert_eq!(
        bob_to_alice.decrypt(&messages[last - 1]).unwrap(),
        (last as u32 - 1).to_be_bytes()
    );
    assert_eq!(
        bob_to_alice.decrypt(&messages[last]).unwrap(),
        (last as u32).to_be_bytes()
    );
    for i in [0, 1, last / 2, last - 2] {
        assert_eq!(
            bob_to_alice.decrypt(&messages[i]).unwrap(),
            (i as u32).to_be_bytes()
        );
    }
    for i in [0, last - 1, last] {
        assert!(matches!(
            refuse(&mut bob_to_alice, &messages[i]).unwrap(),
            DecryptError::Duplicate { .. }
        ));
    }
    let reply = bob_to_alice.encrypt(&mut rng, b"still here").unwrap();
    assert_eq!(alice_to_bob.decrypt(&reply).unwrap(), b"still here");
    let more = alice_to_bob.encrypt(&mut rng, b"and here").unwrap();
    assert_eq!(bob_to_alice.decrypt(&more).unwrap(), b"and here");
}

/// A new ratchet key whose first message to arrive has counter `MAX_SKIP + 1` is refused
/// without a change; the chain opens from any message within bounds.
#[test]
fn gap_in_a_new_chain_is_refused_and_the_session_recovers() {
    let Pair {
        mut rng,
        mut alice_to_bob,
        mut bob_to_alice,
        ..
    } = acknowledged_pair(2);
    let messages = burst(&mut rng, &mut alice_to_bob, MAX_SKIP + 2);
    let last = messages.len() - 1;
    assert_eq!(
        refuse(&mut bob_to_alice, &messages[last]).unwrap(),
        gap_too_large()
    );
    // Bob's own sending goes on while the refused message waits.
    let reply = bob_to_alice.encrypt(&mut rng, b"meanwhile").unwrap();
    assert_eq!(alice_to_bob.decrypt(&reply).unwrap(), b"meanwhile");
    assert_eq!(
        bob_to_alice.decrypt(&messages[last - 1]).unwrap(),
        (last as u32 - 1).to_be_bytes()
    );
    assert_eq!(
        bob_to_alice.decrypt(&messages[last]).unwrap(),
        (last as u32).to_be_bytes()
    );
    assert_eq!(
        bob_to_alice.decrypt(&messages[0]).unwrap(),
        0u32.to_be_bytes()
    );
}

/// A new ratchet key announcing that more than `MAX_SKIP` messages of the previous chain are
/// missing is refused without a change. Once an earlier message of that chain arrives the
/// rest of the gap is within bounds and the new chain opens.
#[test]
fn gap_in_the_tail_of_the_previous_chain_is_refused_and_the_session_recovers() {
    let Pair {
        mut rng,
        mut alice_to_bob,
        mut bob_to_alice,
        ..
    } = acknowledged_pair(3);
    // Alice's chain 2: Bob receives only its first message.
    let old = burst(&mut rng, &mut alice_to_bob, MAX_SKIP + 2);
    assert_eq!(bob_to_alice.decrypt(&old[0]).unwrap(), 0u32.to_be_bytes());
    // Bob replies; Alice's next message opens chain 3 and announces MAX_SKIP + 2 messages of
    // chain 2, of which Bob misses MAX_SKIP + 1.
    let reply = bob_to_alice.encrypt(&mut rng, b"reply").unwrap();
    assert_eq!(alice_to_bob.decrypt(&reply).unwrap(), b"reply");
    let new = alice_to_bob.encrypt(&mut rng, b"chain 3").unwrap();
    assert_eq!(refuse(&mut bob_to_alice, &new).unwrap(), gap_too_large());
    assert_eq!(bob_to_alice.decrypt(&old[1]).unwrap(), 1u32.to_be_bytes());
    assert_eq!(bob_to_alice.decrypt(&new).unwrap(), b"chain 3");
    let last = old.len() - 1;
    assert_eq!(
        bob_to_alice.decrypt(&old[last]).unwrap(),
        (last as u32).to_be_bytes()
    );
    let reply = bob_to_alice.encrypt(&mut rng, b"again").unwrap();
    assert_eq!(alice_to_bob.decrypt(&reply).unwrap(), b"again");
}

/// The same bound on the responder's very first message, through a session book: an initial
/// message at counter `MAX_SKIP + 1` makes no session and consumes no one-time prekey; one
/// within bounds does.
#[test]
fn gap_before_the_first_message_is_refused_and_the_session_recovers() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let alice = Account::generate(&mut rng).new_device(&mut rng, NOW);
    let mut bob = Account::generate(&mut rng).new_device(&mut rng, NOW);
    bob.generate_one_time_prekeys(&mut rng, 1);
    let bundle = PreKeyBundle::from_bytes(&bob.prekey_bundle().to_bytes()).unwrap();
    let mut to_bob = Session::initiate(&mut rng, &alice, &bundle).unwrap();
    let messages = burst(&mut rng, &mut to_bob, MAX_SKIP + 2);
    let last = messages.len() - 1;
    let mut book = SessionBook::new();
    let before = sealed_state(&book, &bob);
    assert_eq!(
        book.decrypt(&mut bob, alice.address(), &messages[last]),
        Err(BookError::Accept(AcceptError::Decrypt(gap_too_large())))
    );
    assert!(sealed_state(&book, &bob) == before);
    assert!(book.is_empty());
    assert_eq!(bob.one_time_prekey_count(), 1);
    for i in [last - 1, last, 0] {
        assert_eq!(
            book.decrypt(&mut bob, alice.address(), &messages[i])
                .unwrap(),
            (i as u32).to_be_bytes()
        );
    }
    assert_eq!(bob.one_time_prekey_count(), 0);
}
