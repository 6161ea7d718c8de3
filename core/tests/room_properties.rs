//! Property tests of rooms through the public API: random interleavings of sends, additions,
//! removals, leaves, and reordered, duplicated and lost room messages, across 3 to 20 member
//! accounts with 1 to 3 devices each.
//!
//! The model ([`World`]):
//!
//! - Control payloads ([`Payload::RoomUpdate`], [`Payload::SenderKey`]) travel as encoded
//!   bytes in one FIFO queue per (sending device, receiving device) pair, as inside a 1:1
//!   session; the queues of different pairs are delivered in random interleaving. A sender key
//!   that arrives before its receiver can install it (the receiver has not joined yet, or its
//!   member list does not name the sender yet, because the list that does is still on its way
//!   over another pair) is refused by the room, kept, and retried after the receiver's next
//!   member list, as an application would.
//! - Room messages travel apart from them: any message can reach any device at any time, in
//!   any order, more than once, or never again once it is lost.
//! - Membership changes are made only in a settled world (every control queue drained), so
//!   the acting device's view is current. Changes made concurrently from stale views are
//!   refused by design (`StaleUpdate`: the protocol leaves it to the room's moderators to
//!   serialize them), so the model does not make them.
//!
//! Ground truth: every message records the member devices of its sender's view when it was
//! sent (its *group*); the world records the true member list, version and epoch, when each
//! device was added, and in which version it was removed. A receiver judges membership by its
//! own view, which lags while control payloads are in flight. Handing a message to a device:
//!
//! - a device that is no longer a member in its own view is refused (`NotInRoom`);
//! - a sender that is not a member in the receiver's view (removed, or added by a list the
//!   receiver has not seen yet) is refused (`NotAMember`): removal drops the removed device's
//!   chains, so a message made before a removal and arriving after it is refused;
//! - a device outside the message's group never decrypts it: neither one added after it was
//!   sent nor one removed before (judged by the sender's view: a sender that has not yet
//!   applied a removal still writes to the removed device, which reads it until it applies its
//!   own removal; nothing orders the two without a server);
//! - a message already decrypted by this device is refused (a duplicate) and never returns its
//!   plaintext again;
//! - otherwise it decrypts to exactly its sender and plaintext if the receiver has installed
//!   the sender key of that chain and still keeps it (the newest
//!   [`MAX_CHAINS_PER_SENDER`] chains of each sender), else it is refused with
//!   `MissingSenderKey` and kept for a retry after the next settling.
//!
//! At the end everything is settled and every message that was not lost is handed to every
//! device that has a room and has not decrypted it. Then each receiver has decrypted only
//! messages of its groups, each exactly once, and every message of a group it is in from a
//! sender still in its view, unless that chain was dropped for newer ones before the message
//! arrived. After every settling, all member devices agree on version, epoch and member list
//! with the ground truth, and every removed device has stopped (also the focused property
//! `members_agree_after_any_changes`, which makes only membership changes).
//!
//! When a device leaves, its account's other devices are told too and stop
//! (`leaving_stops_the_leaving_accounts_other_devices`).
//!
//! All key material comes from a ChaCha20 generator seeded by a generated `u64`, so a failing
//! case replays exactly. `PROPTEST_CASES` raises the number of cases for a soak run; run with
//! `--nocapture` to see what a run exercised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::{Range, RangeInclusive};

use ember_core::error::RoomError;
use ember_core::limits::MAX_CHAINS_PER_SENDER;
use ember_core::payload::Payload;
use ember_core::room::{Distribution, MemberList, Room};
use ember_core::{AccountId, DeviceAddress, DeviceId};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// Member accounts a room starts with.
const MEMBERS: RangeInclusive<usize> = 3..=20;
/// Accounts that may be added later.
const NEWCOMERS: RangeInclusive<usize> = 1..=4;
/// Devices per account.
const DEVICES: RangeInclusive<usize> = 1..=3;
/// Operations per case of the main property.
const OPS: Range<usize> = 30..80;
/// Membership changes per case of the focused property.
const CHANGES: Range<usize> = 1..10;

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

#[derive(Clone, Debug)]
enum Op {
    /// An active device sends a room message.
    Send(Index),
    /// A device of the account added last sends, if it has joined (while the others may not
    /// have applied the list that names it yet).
    SendFromNewcomer(Index),
    /// A message that is not lost reaches a device of its group.
    Deliver { message: Index, device: Index },
    /// A message that is not lost reaches any device that has a room, member or not.
    Handover { message: Index, device: Index },
    /// A message reaches a device that already decrypted it.
    Duplicate { device: Index, message: Index },
    /// A message is lost: it reaches no one any more.
    Lose(Index),
    /// The head of a random non-empty control queue arrives.
    Control(Index),
    /// Every control queue is drained; messages waiting for a sender key are retried.
    Settle,
    /// Every message that is not lost reaches every device of its group that has not
    /// decrypted it yet (before later epochs push its chain out).
    Flush,
    /// After settling, a member device adds an account that never was a member.
    Add { account: Index, actor: Index },
    /// After settling, a member device removes another account.
    Remove { account: Index, actor: Index },
    /// After settling, a member device leaves (its whole account does).
    Leave { actor: Index },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<Index>().prop_map(Op::Send),
        1 => any::<Index>().prop_map(Op::SendFromNewcomer),
        6 => (any::<Index>(), any::<Index>())
            .prop_map(|(message, device)| Op::Deliver { message, device }),
        3 => (any::<Index>(), any::<Index>())
            .prop_map(|(message, device)| Op::Handover { message, device }),
        2 => (any::<Index>(), any::<Index>())
            .prop_map(|(device, message)| Op::Duplicate { device, message }),
        1 => any::<Index>().prop_map(Op::Lose),
        14 => any::<Index>().prop_map(Op::Control),
        1 => Just(Op::Settle),
        1 => Just(Op::Flush),
        2 => (any::<Index>(), any::<Index>())
            .prop_map(|(account, actor)| Op::Add { account, actor }),
        2 => (any::<Index>(), any::<Index>())
            .prop_map(|(account, actor)| Op::Remove { account, actor }),
        1 => any::<Index>().prop_map(|actor| Op::Leave { actor }),
    ]
}

fn change() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<Index>(), any::<Index>()).prop_map(|(account, actor)| Op::Add { account, actor }),
        (any::<Index>(), any::<Index>()).prop_map(|(account, actor)| Op::Remove { account, actor }),
        any::<Index>().prop_map(|actor| Op::Leave { actor }),
    ]
}

/// The accounts of a case: devices per initial member, devices per newcomer, the creating
/// device, and the seed of all key material and of the settling order.
#[derive(Clone, Debug)]
struct Setup {
    seed: u64,
    members: Vec<usize>,
    newcomers: Vec<usize>,
    creator: Index,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        any::<u64>(),
        vec(DEVICES, MEMBERS),
        vec(DEVICES, NEWCOMERS),
        any::<Index>(),
    )
        .prop_map(|(seed, members, newcomers, creator)| Setup {
            seed,
            members,
            newcomers,
            creator,
        })
}

/// What runs exercised, summed over all cases.
#[derive(Default, Debug)]
struct Stats {
    cases: u64,
    devices: u64,
    largest_room_devices: u64,
    messages_sent: u64,
    messages_lost: u64,
    /// Room messages decrypted (each exactly once per receiver).
    decrypted: u64,
    /// ... of them after an earlier `MissingSenderKey` or `NotAMember` for the same receiver.
    decrypted_after_waiting: u64,
    /// `MissingSenderKey` for a receiver of the message's group, kept for a retry.
    waited_for_sender_key: u64,
    /// `MissingSenderKey` at the end because the receiver had dropped the chain as too old.
    unreadable_dropped_chain: u64,
    duplicates_refused: u64,
    /// Refused at a device added after the message was sent.
    refused_added_after: u64,
    /// Refused at a device removed before the message was sent (in the sender's view).
    refused_removed_before: u64,
    /// Refused at a device that had applied its own removal (`NotInRoom`).
    refused_not_in_room: u64,
    /// Refused because the receiver had applied the sender's removal (`NotAMember`).
    refused_sender_removed: u64,
    /// Refused because the receiver had not yet applied the sender's addition (`NotAMember`).
    refused_sender_not_yet_known: u64,
    /// A device that does not decrypt its own messages.
    refused_own: u64,
    control_delivered: u64,
    /// Sender keys that arrived before the receiver could install them, kept and retried.
    sender_keys_retried: u64,
    settlings: u64,
    flushes: u64,
    adds: u64,
    removes: u64,
    leaves: u64,
}

impl Stats {
    fn add(&mut self, other: &Self) {
        self.cases += 1;
        self.devices += other.devices;
        self.largest_room_devices = self.largest_room_devices.max(other.largest_room_devices);
        self.messages_sent += other.messages_sent;
        self.messages_lost += other.messages_lost;
        self.decrypted += other.decrypted;
        self.decrypted_after_waiting += other.decrypted_after_waiting;
        self.waited_for_sender_key += other.waited_for_sender_key;
        self.unreadable_dropped_chain += other.unreadable_dropped_chain;
        self.duplicates_refused += other.duplicates_refused;
        self.refused_added_after += other.refused_added_after;
        self.refused_removed_before += other.refused_removed_before;
        self.refused_not_in_room += other.refused_not_in_room;
        self.refused_sender_removed += other.refused_sender_removed;
        self.refused_sender_not_yet_known += other.refused_sender_not_yet_known;
        self.refused_own += other.refused_own;
        self.control_delivered += other.control_delivered;
        self.sender_keys_retried += other.sender_keys_retried;
        self.settlings += other.settlings;
        self.flushes += other.flushes;
        self.adds += other.adds;
        self.removes += other.removes;
        self.leaves += other.leaves;
    }
}

struct Account {
    id: AccountId,
    /// Node indexes of its devices.
    nodes: Vec<usize>,
    /// Whether it was ever a member (accounts are added at most once).
    joined: bool,
}

/// One device.
struct Node {
    address: DeviceAddress,
    room: Option<Room>,
    /// The step of the operation that added its account (0 for the initial members).
    added_at: Option<u64>,
    /// The member list version that removed it.
    removed_in: Option<u64>,
    /// Epochs of the sender keys installed, per sending device.
    chains: BTreeMap<DeviceAddress, BTreeSet<u64>>,
    /// Sender keys it could not install yet: sending node and encoded payload.
    deferred: Vec<(usize, Vec<u8>)>,
    /// Messages it decrypted.
    read: BTreeSet<usize>,
    /// Messages of its groups that it could not decrypt yet, to retry after settling.
    waiting: BTreeSet<usize>,
}

impl Node {
    /// Whether it holds the sender's chain of `epoch`: it installed that sender key and has
    /// not dropped it for newer ones.
    fn holds_chain(&self, sender: &DeviceAddress, epoch: u64) -> bool {
        self.chains.get(sender).is_some_and(|epochs| {
            epochs
                .iter()
                .rev()
                .take(MAX_CHAINS_PER_SENDER)
                .any(|held| *held == epoch)
        })
    }
}

struct Message {
    sender: usize,
    /// The epoch of the sender's chain (the sender's epoch when it sent).
    epoch: u64,
    /// The sender's member list version when it sent.
    version: u64,
    sent_at: u64,
    bytes: Vec<u8>,
    plaintext: Vec<u8>,
    /// The other member devices in the sender's view when it sent.
    group: BTreeSet<DeviceAddress>,
    lost: bool,
}

struct World {
    /// Key material.
    rng: ChaCha20Rng,
    /// Which control queue delivers next while settling.
    schedule: ChaCha20Rng,
    accounts: Vec<Account>,
    nodes: Vec<Node>,
    by_address: BTreeMap<DeviceAddress, usize>,
    /// The true member list, version and epoch: the last change's.
    members: MemberList,
    version: u64,
    epoch: u64,
    /// Control payloads in flight, per (sending node, receiving node), oldest first.
    queues: BTreeMap<(usize, usize), VecDeque<Vec<u8>>>,
    /// The pairs whose queue is not empty.
    busy: Vec<(usize, usize)>,
    messages: Vec<Message>,
    /// The account added last.
    last_added: Option<usize>,
    /// The current operation's number.
    step: u64,
    stats: Stats,
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

impl World {
    /// Creates the accounts, and the room by the creator, with every control payload still in
    /// flight.
    fn new(setup: &Setup) -> Result<Self, TestCaseError> {
        let mut rng = ChaCha20Rng::seed_from_u64(setup.seed);
        let schedule = ChaCha20Rng::seed_from_u64(setup.seed ^ 0x5eed_5eed_5eed_5eed);
        let mut accounts = Vec::new();
        let mut nodes = Vec::new();
        let mut members = MemberList::new();
        let initial = setup.members.len();
        for (number, &devices) in setup.members.iter().chain(&setup.newcomers).enumerate() {
            let id = AccountId::generate(&mut rng);
            let joined = number < initial;
            let mut account = Account {
                id,
                nodes: Vec::new(),
                joined,
            };
            for device in 0..devices {
                // Device ids differ between accounts too, which makes mix-ups visible.
                let device = DeviceId(100 * number as u32 + device as u32 + 1);
                account.nodes.push(nodes.len());
                nodes.push(Node {
                    address: DeviceAddress {
                        account: id,
                        device,
                    },
                    room: None,
                    added_at: joined.then_some(0),
                    removed_in: None,
                    chains: BTreeMap::new(),
                    deferred: Vec::new(),
                    read: BTreeSet::new(),
                    waiting: BTreeSet::new(),
                });
            }
            if joined {
                members
                    .insert(
                        id,
                        account.nodes.iter().map(|&node| nodes[node].address.device),
                    )
                    .map_err(|error| fail(format!("member list: {error:?}")))?;
            }
            accounts.push(account);
        }
        let by_address = nodes
            .iter()
            .enumerate()
            .map(|(index, node)| (node.address, index))
            .collect();
        let member_nodes: Vec<usize> = accounts[..initial]
            .iter()
            .flat_map(|account| account.nodes.iter().copied())
            .collect();
        let creator = member_nodes[setup.creator.index(member_nodes.len())];
        let (room, out) = Room::create(&mut rng, nodes[creator].address, members.clone())
            .map_err(|error| fail(format!("create: {error:?}")))?;
        nodes[creator].room = Some(room);
        let mut world = Self {
            rng,
            schedule,
            accounts,
            nodes,
            by_address,
            members,
            version: 1,
            epoch: 0,
            queues: BTreeMap::new(),
            busy: Vec::new(),
            messages: Vec::new(),
            last_added: None,
            step: 0,
            stats: Stats::default(),
        };
        world.stats.devices = world.nodes.len() as u64;
        world.stats.largest_room_devices = member_nodes.len() as u64;
        world.post(creator, out);
        Ok(world)
    }

    fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
        self.step += 1;
        match op {
            Op::Send(pick) => {
                let active: Vec<usize> = (0..self.nodes.len())
                    .filter(|&node| self.nodes[node].room.as_ref().is_some_and(Room::is_active))
                    .collect();
                self.send(&active, *pick)
            }
            Op::SendFromNewcomer(pick) => {
                let Some(account) = self.last_added else {
                    return Ok(());
                };
                let active: Vec<usize> = self.accounts[account]
                    .nodes
                    .iter()
                    .copied()
                    .filter(|&node| self.nodes[node].room.as_ref().is_some_and(Room::is_active))
                    .collect();
                self.send(&active, *pick)
            }
            Op::Deliver { message, device } => {
                let Some(message) = self.pick_message(*message) else {
                    return Ok(());
                };
                let group: Vec<usize> = self.messages[message]
                    .group
                    .iter()
                    .map(|address| self.by_address[address])
                    .collect();
                if group.is_empty() {
                    return Ok(());
                }
                self.hand(message, group[device.index(group.len())])
            }
            Op::Handover { message, device } => {
                let Some(message) = self.pick_message(*message) else {
                    return Ok(());
                };
                let with_room: Vec<usize> = (0..self.nodes.len())
                    .filter(|&node| self.nodes[node].room.is_some())
                    .collect();
                self.hand(message, with_room[device.index(with_room.len())])
            }
            Op::Duplicate { device, message } => {
                let readers: Vec<usize> = (0..self.nodes.len())
                    .filter(|&node| !self.nodes[node].read.is_empty())
                    .collect();
                if readers.is_empty() {
                    return Ok(());
                }
                let reader = readers[device.index(readers.len())];
                let read: Vec<usize> = self.nodes[reader].read.iter().copied().collect();
                self.hand(read[message.index(read.len())], reader)
            }
            Op::Lose(pick) => {
                if let Some(message) = self.pick_message(*pick) {
                    self.messages[message].lost = true;
                    self.stats.messages_lost += 1;
                }
                Ok(())
            }
            Op::Control(pick) => {
                if self.busy.is_empty() {
                    return Ok(());
                }
                self.deliver_control(pick.index(self.busy.len()))
            }
            Op::Settle => self.settle(),
            Op::Flush => {
                self.stats.flushes += 1;
                for message in 0..self.messages.len() {
                    let unread: Vec<usize> = self.messages[message]
                        .group
                        .iter()
                        .map(|address| self.by_address[address])
                        .filter(|&node| !self.nodes[node].read.contains(&message))
                        .collect();
                    for node in unread {
                        if !self.messages[message].lost {
                            self.hand(message, node)?;
                        }
                    }
                }
                Ok(())
            }
            Op::Add { account, actor } => self.add(*account, *actor),
            Op::Remove { account, actor } => self.remove(*account, *actor),
            Op::Leave { actor } => self.leave(*actor),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Control payloads
    // -----------------------------------------------------------------------------------------

    fn post(&mut self, from: usize, distributions: Vec<Distribution>) {
        for distribution in distributions {
            let bytes = distribution.payload.encode();
            for to in distribution.to {
                let to = self.by_address[&to];
                let queue = self.queues.entry((from, to)).or_default();
                if queue.is_empty() {
                    self.busy.push((from, to));
                }
                queue.push_back(bytes.to_vec());
            }
        }
    }

    /// Delivers the head of the `busy`-th non-empty queue.
    fn deliver_control(&mut self, busy: usize) -> Result<(), TestCaseError> {
        let pair = self.busy[busy];
        let queue = self.queues.get_mut(&pair).expect("busy queues exist");
        let bytes = queue.pop_front().expect("busy queues are not empty");
        if queue.is_empty() {
            self.busy.swap_remove(busy);
        }
        self.stats.control_delivered += 1;
        self.receive_control(pair.0, pair.1, bytes)
    }

    fn receive_control(
        &mut self,
        from: usize,
        to: usize,
        bytes: Vec<u8>,
    ) -> Result<(), TestCaseError> {
        let sender = self.nodes[from].address;
        let me = self.nodes[to].address;
        let payload =
            Payload::decode(&bytes).map_err(|error| fail(format!("payload: {error:?}")))?;
        match payload {
            Payload::RoomUpdate(update) => {
                let node = &mut self.nodes[to];
                let out = match node.room.as_mut() {
                    None => {
                        let (room, out) = Room::join(&mut self.rng, me, sender, &update)
                            .map_err(|error| fail(format!("{me:?} joins: {error:?}")))?;
                        node.room = Some(room);
                        out
                    }
                    Some(room) => room
                        .receive_update(&mut self.rng, sender, &update)
                        .map_err(|error| {
                            fail(format!(
                                "{me:?} applies {update:?} from {sender:?}: {error:?}"
                            ))
                        })?,
                };
                self.post(to, out);
                // Sender keys that came before this list may be installable now.
                let deferred = std::mem::take(&mut self.nodes[to].deferred);
                for (from, bytes) in deferred {
                    self.stats.sender_keys_retried += 1;
                    self.receive_control(from, to, bytes)?;
                }
                Ok(())
            }
            Payload::SenderKey(key) => {
                let epoch = key.epoch();
                let node = &mut self.nodes[to];
                let Some(room) = node.room.as_mut() else {
                    node.deferred.push((from, bytes));
                    return Ok(());
                };
                match room.receive_sender_key(sender, key) {
                    Ok(()) => {
                        node.chains.entry(sender).or_default().insert(epoch);
                        Ok(())
                    }
                    Err(RoomError::NotAMember) if !room.members().contains(&sender) => {
                        node.deferred.push((from, bytes));
                        Ok(())
                    }
                    Err(error) => Err(fail(format!(
                        "{me:?} installs the sender key of {sender:?}: {error:?}"
                    ))),
                }
            }
            other => Err(fail(format!("unexpected payload {other:?}"))),
        }
    }

    /// Drains every control queue in random order, checks that every member agrees, and
    /// retries the messages waiting for a sender key.
    fn settle(&mut self) -> Result<(), TestCaseError> {
        while !self.busy.is_empty() {
            let busy = (self.schedule.next_u64() % self.busy.len() as u64) as usize;
            self.deliver_control(busy)?;
        }
        self.stats.settlings += 1;
        self.check_agreement()?;
        for node in 0..self.nodes.len() {
            let waiting: Vec<usize> = self.nodes[node].waiting.iter().copied().collect();
            for message in waiting {
                if !self.messages[message].lost {
                    self.hand(message, node)?;
                }
            }
        }
        Ok(())
    }

    /// In a settled world: no sender key is left over, every member device has the true
    /// list, version and epoch, and every other device that has a room has stopped.
    fn check_agreement(&self) -> Result<(), TestCaseError> {
        for node in &self.nodes {
            let address = node.address;
            prop_assert!(
                node.deferred.is_empty(),
                "{:?} still cannot install {} sender keys",
                address,
                node.deferred.len()
            );
            if self.members.contains(&address) {
                let room = node
                    .room
                    .as_ref()
                    .ok_or_else(|| fail(format!("member {address:?} has no room")))?;
                prop_assert!(room.is_active(), "member {:?} has stopped", address);
                prop_assert_eq!(room.version(), self.version, "version at {:?}", address);
                prop_assert_eq!(room.epoch(), self.epoch, "epoch at {:?}", address);
                prop_assert_eq!(room.members(), &self.members, "members at {:?}", address);
            } else if let Some(room) = &node.room {
                prop_assert!(
                    !room.is_active(),
                    "{:?} was removed but is still active",
                    address
                );
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Room messages
    // -----------------------------------------------------------------------------------------

    fn pick_message(&self, pick: Index) -> Option<usize> {
        let live: Vec<usize> = (0..self.messages.len())
            .filter(|&message| !self.messages[message].lost)
            .collect();
        (!live.is_empty()).then(|| live[pick.index(live.len())])
    }

    /// One of the `active` nodes sends.
    fn send(&mut self, active: &[usize], pick: Index) -> Result<(), TestCaseError> {
        if active.is_empty() {
            return Ok(());
        }
        let sender = active[pick.index(active.len())];
        let number = self.messages.len();
        let node = &mut self.nodes[sender];
        let room = node.room.as_mut().expect("active");
        let mut plaintext = format!("message {number} from {:?}", node.address).into_bytes();
        plaintext.resize(plaintext.len() + number % 37, b'.');
        let bytes = room
            .encrypt(&plaintext)
            .map_err(|error| fail(format!("encrypt: {error:?}")))?;
        let group = room
            .members()
            .devices()
            .filter(|device| *device != node.address)
            .collect();
        self.messages.push(Message {
            sender,
            epoch: room.epoch(),
            version: room.version(),
            sent_at: self.step,
            bytes,
            plaintext,
            group,
            lost: false,
        });
        self.stats.messages_sent += 1;
        Ok(())
    }

    /// Hands `message` to `node` and checks the outcome against the model.
    fn hand(&mut self, message: usize, node: usize) -> Result<(), TestCaseError> {
        let sent = &self.messages[message];
        let sender = self.nodes[sent.sender].address;
        let sender_removed_in = self.nodes[sent.sender].removed_in;
        let receiver = &mut self.nodes[node];
        let address = receiver.address;
        let in_group = sent.group.contains(&address);
        let already = receiver.read.contains(&message);
        let holds_chain = receiver.holds_chain(&sender, sent.epoch);
        let added_after = receiver.added_at.is_some_and(|at| at > sent.sent_at);
        let removed_before = receiver
            .removed_in
            .is_some_and(|version| version <= sent.version);
        let Some(room) = receiver.room.as_mut() else {
            // Not joined yet: an application keeps the message until it has the room.
            if in_group {
                receiver.waiting.insert(message);
            }
            return Ok(());
        };
        let active = room.is_active();
        let knows_sender = room.members().contains(&sender) && address != sender;
        let sender_removed = sender_removed_in.is_some_and(|version| version <= room.version());
        let result = room.decrypt(&sent.bytes);
        let stats = &mut self.stats;
        if added_after || removed_before {
            // The two never-decrypt rules in the world's own terms (removed in a version the
            // sender had applied); the group recorded at sending must agree.
            prop_assert!(
                !in_group,
                "{:?} is in the group of message {}",
                address,
                message
            );
            prop_assert!(
                result.is_err(),
                "{:?} decrypted message {} sent before it was added or after it was removed",
                address,
                message
            );
            if added_after {
                stats.refused_added_after += 1;
            } else {
                stats.refused_removed_before += 1;
            }
        }
        match result {
            Ok((from, plaintext)) => {
                prop_assert!(
                    active && knows_sender && in_group && !already,
                    "{:?} decrypted message {} (active {}, knows the sender {}, in the group {}, \
                     read before {})",
                    address,
                    message,
                    active,
                    knows_sender,
                    in_group,
                    already
                );
                prop_assert_eq!(from, sender);
                prop_assert_eq!(&plaintext, &sent.plaintext);
                receiver.read.insert(message);
                if receiver.waiting.remove(&message) {
                    stats.decrypted_after_waiting += 1;
                }
                stats.decrypted += 1;
            }
            Err(error) if !active => {
                prop_assert_eq!(error, RoomError::NotInRoom, "at stopped {:?}", address);
                stats.refused_not_in_room += 1;
            }
            Err(error) if !knows_sender => {
                prop_assert_eq!(error, RoomError::NotAMember, "at {:?}", address);
                if address == sender {
                    stats.refused_own += 1;
                } else if sender_removed {
                    stats.refused_sender_removed += 1;
                } else {
                    // Its list naming the sender is still on its way.
                    stats.refused_sender_not_yet_known += 1;
                    if in_group && !already {
                        receiver.waiting.insert(message);
                    }
                }
            }
            Err(_) if already => stats.duplicates_refused += 1,
            Err(_) if !in_group => {}
            Err(error) => {
                prop_assert!(
                    !holds_chain,
                    "{:?} holds the chain of message {} but: {:?}",
                    address,
                    message,
                    error
                );
                prop_assert_eq!(error, RoomError::MissingSenderKey, "at {:?}", address);
                receiver.waiting.insert(message);
                stats.waited_for_sender_key += 1;
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Membership changes
    // -----------------------------------------------------------------------------------------

    /// The member devices, each with an active room once settled.
    fn member_nodes(&self) -> Vec<usize> {
        self.members
            .devices()
            .map(|address| self.by_address[&address])
            .collect()
    }

    fn add(&mut self, account: Index, actor: Index) -> Result<(), TestCaseError> {
        // Every change starts from a settled world: two changes made from the same version
        // would conflict, and the room refuses the second (`StaleUpdate`) by design.
        self.settle()?;
        let fresh: Vec<usize> = (0..self.accounts.len())
            .filter(|&account| !self.accounts[account].joined)
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let account = fresh[account.index(fresh.len())];
        let members = self.member_nodes();
        let actor = members[actor.index(members.len())];
        let id = self.accounts[account].id;
        let devices: Vec<DeviceId> = self.accounts[account]
            .nodes
            .iter()
            .map(|&node| self.nodes[node].address.device)
            .collect();
        let out = self.nodes[actor]
            .room
            .as_mut()
            .expect("members have rooms")
            .add_member(&mut self.rng, id, devices.iter().copied())
            .map_err(|error| fail(format!("add: {error:?}")))?;
        self.post(actor, out);
        self.accounts[account].joined = true;
        self.last_added = Some(account);
        self.members
            .insert(id, devices)
            .map_err(|error| fail(format!("add: {error:?}")))?;
        self.version += 1;
        for node in self.accounts[account].nodes.clone() {
            self.nodes[node].added_at = Some(self.step);
        }
        self.stats.adds += 1;
        self.stats.largest_room_devices = self
            .stats
            .largest_room_devices
            .max(self.members.devices().count() as u64);
        Ok(())
    }

    fn remove(&mut self, account: Index, actor: Index) -> Result<(), TestCaseError> {
        self.settle()?;
        let accounts: Vec<AccountId> = self.members.accounts().collect();
        if accounts.len() < 2 {
            return Ok(());
        }
        let removed = accounts[account.index(accounts.len())];
        let actors: Vec<usize> = self
            .member_nodes()
            .into_iter()
            .filter(|&node| self.nodes[node].address.account != removed)
            .collect();
        let actor = actors[actor.index(actors.len())];
        let out = self.nodes[actor]
            .room
            .as_mut()
            .expect("members have rooms")
            .remove_member(&mut self.rng, &removed)
            .map_err(|error| fail(format!("remove: {error:?}")))?;
        self.post(actor, out);
        self.removed(removed);
        self.stats.removes += 1;
        Ok(())
    }

    fn leave(&mut self, actor: Index) -> Result<(), TestCaseError> {
        self.settle()?;
        if self.members.account_count() < 2 {
            return Ok(());
        }
        let members = self.member_nodes();
        let actor = members[actor.index(members.len())];
        let out = self.nodes[actor]
            .room
            .as_mut()
            .expect("members have rooms")
            .leave()
            .map_err(|error| fail(format!("leave: {error:?}")))?;
        self.post(actor, out);
        let account = self.nodes[actor].address.account;
        self.removed(account);
        self.stats.leaves += 1;
        Ok(())
    }

    fn removed(&mut self, account: AccountId) {
        self.members.remove_account(&account);
        self.version += 1;
        self.epoch += 1;
        let index = self
            .accounts
            .iter()
            .position(|candidate| candidate.id == account)
            .expect("known account");
        for node in self.accounts[index].nodes.clone() {
            self.nodes[node].removed_in = Some(self.version);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The end
    // -----------------------------------------------------------------------------------------

    /// Settles, hands every message that is not lost to every device that has a room, and
    /// checks each receiver's decrypted set.
    fn finish(&mut self) -> Result<(), TestCaseError> {
        self.settle()?;
        for message in 0..self.messages.len() {
            if self.messages[message].lost {
                continue;
            }
            for node in 0..self.nodes.len() {
                // Duplicates were tried along the way; each costs a signature check.
                if !self.nodes[node].read.contains(&message) {
                    self.hand(message, node)?;
                }
            }
        }
        let mut unreadable = 0;
        for node in &self.nodes {
            let Some(room) = &node.room else {
                prop_assert!(node.read.is_empty());
                continue;
            };
            for &message in &node.read {
                prop_assert!(
                    self.messages[message].group.contains(&node.address),
                    "{:?} read message {} outside its group",
                    node.address,
                    message
                );
            }
            if !room.is_active() {
                continue;
            }
            for (number, message) in self.messages.iter().enumerate() {
                let sender = self.nodes[message.sender].address;
                if message.lost
                    || !message.group.contains(&node.address)
                    || !room.members().contains(&sender)
                    || node.read.contains(&number)
                {
                    continue;
                }
                // Unread: only if its chain was dropped for newer ones of the same sender
                // before the message arrived (more than MAX_CHAINS_PER_SENDER epochs later).
                prop_assert!(
                    !node.holds_chain(&sender, message.epoch),
                    "{:?} never decrypted message {}",
                    node.address,
                    number
                );
                unreadable += 1;
            }
        }
        self.stats.unreadable_dropped_chain = unreadable;
        Ok(())
    }
}

fn run_case(setup: &Setup, ops: &[Op]) -> Result<Stats, TestCaseError> {
    let mut world = World::new(setup)?;
    for op in ops {
        world.run(op)?;
    }
    world.finish()?;
    Ok(world.stats)
}

#[test]
fn random_schedules() {
    let cases = cases(12);
    let mut runner = TestRunner::new(config(cases));
    let totals = RefCell::new(Stats::default());
    let result = runner.run(&(setup(), vec(op(), OPS)), |(setup, ops)| {
        let stats = run_case(&setup, &ops)?;
        totals.borrow_mut().add(&stats);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let totals = totals.into_inner();
    println!("random_schedules: {totals:#?}");
    assert_eq!(totals.cases, u64::from(cases));
    if cases < 8 {
        // A quick run with a handful of cases need not hit everything.
        return;
    }
    // At 12 cases each of these is in the tens or hundreds.
    assert!(totals.decrypted >= 10 * u64::from(cases));
    for (what, count) in [
        ("decrypted", totals.decrypted),
        ("decrypted after waiting", totals.decrypted_after_waiting),
        ("duplicates refused", totals.duplicates_refused),
        ("refused at devices added after", totals.refused_added_after),
        (
            "refused at devices removed before",
            totals.refused_removed_before,
        ),
        ("refused at stopped devices", totals.refused_not_in_room),
        (
            "refused from removed senders",
            totals.refused_sender_removed,
        ),
        ("adds", totals.adds),
        ("removes", totals.removes),
        ("leaves", totals.leaves),
    ] {
        assert!(count > 0, "no {what} in {cases} cases");
    }
}

#[test]
fn members_agree_after_any_changes() {
    let cases = cases(32);
    let mut runner = TestRunner::new(config(cases));
    let totals = RefCell::new(Stats::default());
    let result = runner.run(&(setup(), vec(change(), CHANGES)), |(setup, changes)| {
        let mut world = World::new(&setup)?;
        for change in &changes {
            // Every change settles first, which checks the agreement.
            world.run(change)?;
        }
        world.settle()?;
        totals.borrow_mut().add(&world.stats);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let totals = totals.into_inner();
    println!("members_agree_after_any_changes: {totals:#?}");
    assert_eq!(totals.cases, u64::from(cases));
    assert!(cases < 8 || totals.adds > 0 && totals.removes > 0 && totals.leaves > 0);
}

// ---------------------------------------------------------------------------------------------
// Deterministic reproductions
// ---------------------------------------------------------------------------------------------

fn address(account: u8, device: u32) -> DeviceAddress {
    DeviceAddress {
        account: AccountId::from_bytes([account; 16]),
        device: DeviceId(device),
    }
}

/// Delivers `out` from `from` and everything it causes, oldest first, joining devices that
/// are named by a list they receive.
fn deliver_all(
    rng: &mut ChaCha20Rng,
    rooms: &mut BTreeMap<DeviceAddress, Room>,
    from: DeviceAddress,
    out: Vec<Distribution>,
) {
    type InFlight = VecDeque<(DeviceAddress, DeviceAddress, Vec<u8>)>;
    fn post(from: DeviceAddress, out: Vec<Distribution>, in_flight: &mut InFlight) {
        for distribution in out {
            let bytes = distribution.payload.encode();
            for to in distribution.to {
                in_flight.push_back((from, to, bytes.to_vec()));
            }
        }
    }
    let mut in_flight = InFlight::new();
    post(from, out, &mut in_flight);
    while let Some((from, to, bytes)) = in_flight.pop_front() {
        let out = match Payload::decode(&bytes).unwrap() {
            Payload::RoomUpdate(update) => match rooms.get_mut(&to) {
                Some(room) => room.receive_update(rng, from, &update).unwrap(),
                None => {
                    let (room, out) = Room::join(rng, to, from, &update).unwrap();
                    rooms.insert(to, room);
                    out
                }
            },
            Payload::SenderKey(key) => {
                rooms
                    .get_mut(&to)
                    .unwrap()
                    .receive_sender_key(from, key)
                    .unwrap();
                Vec::new()
            }
            other => panic!("unexpected payload {other:?}"),
        };
        post(to, out, &mut in_flight);
    }
}

#[test]
fn leaving_stops_the_leaving_accounts_other_devices() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut members = MemberList::new();
    for (account, devices) in [(1, &[1, 2][..]), (2, &[1]), (3, &[1])] {
        members
            .insert(
                AccountId::from_bytes([account; 16]),
                devices.iter().map(|&device| DeviceId(device)),
            )
            .unwrap();
    }
    let mut rooms = BTreeMap::new();
    let (room, out) = Room::create(&mut rng, address(2, 1), members).unwrap();
    rooms.insert(address(2, 1), room);
    deliver_all(&mut rng, &mut rooms, address(2, 1), out);
    assert_eq!(rooms.len(), 4);

    // Device 1 of account 1 leaves: the whole account is out of the list.
    let out = rooms.get_mut(&address(1, 1)).unwrap().leave().unwrap();
    let told: BTreeSet<DeviceAddress> = out.iter().flat_map(|d| d.to.iter().copied()).collect();
    deliver_all(&mut rng, &mut rooms, address(1, 1), out);
    assert!(
        !rooms[&address(2, 1)]
            .members()
            .contains_account(&AccountId::from_bytes([1; 16]))
    );
    // PROTOCOL.md section 10: "the list goes to every old device"; "a device that is no longer
    // in the list stops". The other device of account 1 is never sent the list.
    assert!(told.contains(&address(1, 2)), "told only {told:?}");
    assert!(!rooms[&address(1, 2)].is_active());
}
