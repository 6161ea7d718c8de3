//! One criterion group, `rooms`: Ember's sender-key rooms of 500 members beside vodozemac's
//! Megolm and mls-rs (MLS, RFC 9420), plus the primitive floors that explain the costs.
//!
//! - Messages: one 100-byte message encrypted by its sender and decrypted by one receiver.
//! - Membership changes: the whole CPU cost of adding a member to a room of 499 and of
//!   removing one from a room of 500, for the member making the change (`/actor`) and for
//!   one other member (`/receiver`), including Ember's 1:1 Double Ratchet sessions that
//!   carry the room's control payloads (`SessionBook::send_to` and `SessionBook::decrypt`
//!   over real sessions with every other device).
//!
//! Precise definitions are in `docs/PERFORMANCE.md`; `benches/report.py` prints the table,
//! the sums and the target ratios.
//!
//! mls-rs runs `CURVE25519_AES128` (X25519, Ed25519, SHA-256 as Ember; AES-128-GCM where
//! Ember has AES-256-GCM: the RustCrypto provider offers no X25519 suite with AES-256) with
//! its RustCrypto provider, without its `rayon` feature.
// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]
// A benchmark whose setup fails must stop loudly; there is no caller to return an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::hint::black_box;
use std::time::Instant;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main,
};
use ember_core::Timestamp;
use ember_core::crypto::dh::PrivateKey;
use ember_core::crypto::sign::{SigningKey, VerifyingKey};
use ember_core::identity::{Account, Device};
use ember_core::payload::Payload;
use ember_core::prekeys::PreKeyBundle;
use ember_core::room::{Distribution, MemberList, Room, RoomUpdate, SenderKey};
use ember_core::session::{Outgoing, SessionBook};
use ember_core::snapshot::SnapshotKey;
use ember_core::{AccountId, DeviceAddress};
use mls_rs::client_builder::MlsConfig;
use mls_rs::group::ReceivedMessage;
use mls_rs::identity::SigningIdentity;
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::mls_rules::{CommitOptions, DefaultMlsRules};
use mls_rs::{
    CipherSuite, CipherSuiteProvider, Client, CryptoProvider, ExtensionList, Group, MlsMessage,
};
use mls_rs_crypto_rustcrypto::RustCryptoProvider;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use vodozemac::megolm::{
    GroupSession, InboundGroupSession, MegolmMessage, SessionConfig as MegolmConfig,
};

/// Plaintext length of every room message.
const MESSAGE_LEN: usize = 100;
/// Members (accounts, one device each) of the room a member is removed from; a member is
/// added to a room of `MEMBERS - 1`.
const MEMBERS: usize = 500;
/// Index of the member device making the change.
const ACTOR: usize = 0;
/// Index of the member device that receives the change (Ember).
const RECEIVER: usize = 1;
/// Index of the member removed from the room of 500, and the newcomer added to the room of
/// 499 (the same device, with its sessions with the actor and receiver dropped).
const LEAVER: usize = MEMBERS - 1;
/// The receiver's leaf in the mls-rs tree: in the other half of the tree from the actor
/// (leaf 0), as about half of all members are, so its common ancestor with the actor is the
/// root and it decrypts one path secret (see docs/PERFORMANCE.md).
const MLS_RECEIVER_LEAF: usize = 300;
const MLS_SUITE: CipherSuite = CipherSuite::CURVE25519_AES128;

const NOW: Timestamp = Timestamp(1_700_000_000);
const PLAINTEXT: [u8; MESSAGE_LEN] = [0x5a; MESSAGE_LEN];
const SNAPSHOT_KEY: [u8; 32] = [7; 32];
const ACTOR_SEED: u8 = 0xA0;
const RECEIVER_SEED: u8 = 0xB0;

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn sender_key(bytes: &[u8]) -> SenderKey {
    let Ok(Payload::SenderKey(key)) = Payload::decode(bytes) else {
        unreachable!("a sender key payload")
    };
    key
}

fn room_update(distribution: &Distribution) -> RoomUpdate {
    let Payload::RoomUpdate(update) = &distribution.payload else {
        unreachable!("a room update")
    };
    update.clone()
}

fn envelope_for(sent: &[Outgoing], to: DeviceAddress) -> Vec<u8> {
    sent.iter()
        .find(|outgoing| outgoing.to == to)
        .expect("an envelope for the device")
        .envelope
        .clone()
}

// ----------------------------------------------------------------------------------------
// Ember: what one device does for a membership change (the timed routines)

/// Encodes every distribution and encrypts it to its devices over their 1:1 sessions.
fn send_all(
    book: &mut SessionBook,
    rng: &mut ChaCha20Rng,
    distributions: &[Distribution],
) -> Vec<Vec<Outgoing>> {
    distributions
        .iter()
        .map(|distribution| {
            let plaintext = distribution.payload.encode();
            book.send_to(rng, &distribution.to, &plaintext)
                .expect("send_to")
        })
        .collect()
}

/// Decrypts a 1:1 envelope and installs the sender key in it.
fn install_key(
    room: &mut Room,
    book: &mut SessionBook,
    device: &mut Device,
    from: DeviceAddress,
    envelope: &[u8],
) {
    let plaintext = book.decrypt(device, from, envelope).expect("decrypt");
    let key = sender_key(&plaintext);
    room.receive_sender_key(from, key).expect("install key");
}

/// Decrypts a 1:1 envelope holding a room update and applies it; returns what the room
/// asks this device to send.
fn apply_update(
    room: &mut Room,
    book: &mut SessionBook,
    device: &mut Device,
    rng: &mut ChaCha20Rng,
    from: DeviceAddress,
    envelope: &[u8],
) -> Vec<Distribution> {
    let plaintext = book.decrypt(device, from, envelope).expect("decrypt");
    let Ok(Payload::RoomUpdate(update)) = Payload::decode(&plaintext) else {
        unreachable!("a room update payload")
    };
    room.receive_update(rng, from, &update)
        .expect("receive update")
}

/// The actor removes `leaver`: the new member list to every device of the old list, its new
/// sender key to every remaining device.
fn remove_actor(
    room: &mut Room,
    book: &mut SessionBook,
    rng: &mut ChaCha20Rng,
    leaver: &AccountId,
) -> Vec<Vec<Outgoing>> {
    let distributions = room.remove_member(rng, leaver).expect("remove member");
    send_all(book, rng, &distributions)
}

/// A receiving member applies the removal: a new chain, its new sender key to every
/// remaining device.
fn remove_receiver(
    room: &mut Room,
    book: &mut SessionBook,
    device: &mut Device,
    rng: &mut ChaCha20Rng,
    from: DeviceAddress,
    update: &[u8],
) -> Vec<Vec<Outgoing>> {
    let distributions = apply_update(room, book, device, rng, from, update);
    send_all(book, rng, &distributions)
}

/// The newcomer's prekey bundle and its sender key, as the actor and receiver get them.
struct Newcomer<'a> {
    address: DeviceAddress,
    bundle: &'a [u8],
    /// `None` in the setup run that produces it.
    key: Option<&'a [u8]>,
}

/// Verifies the newcomer's bundle from the directory and starts a session with it.
fn start_session(book: &mut SessionBook, device: &Device, rng: &mut ChaCha20Rng, bundle: &[u8]) {
    let bundle = PreKeyBundle::from_bytes(bundle).expect("verify bundle");
    book.start(rng, device, &bundle).expect("start session");
}

/// The actor adds the newcomer: a session with it, the new member list to every device,
/// the actor's sender key to the newcomer; then it installs the newcomer's sender key.
fn add_actor(
    room: &mut Room,
    book: &mut SessionBook,
    device: &mut Device,
    rng: &mut ChaCha20Rng,
    newcomer: &Newcomer<'_>,
) -> Vec<Vec<Outgoing>> {
    start_session(book, device, rng, newcomer.bundle);
    let distributions = room
        .add_member(rng, newcomer.address.account, [newcomer.address.device])
        .expect("add member");
    let sent = send_all(book, rng, &distributions);
    if let Some(key) = newcomer.key {
        install_key(room, book, device, newcomer.address, key);
    }
    sent
}

/// A receiving member applies the addition: a session with the newcomer, its sender key
/// to the newcomer; then it installs the newcomer's sender key.
fn add_receiver(
    room: &mut Room,
    book: &mut SessionBook,
    device: &mut Device,
    rng: &mut ChaCha20Rng,
    from: DeviceAddress,
    update: &[u8],
    newcomer: &Newcomer<'_>,
) -> Vec<Vec<Outgoing>> {
    let distributions = apply_update(room, book, device, rng, from, update);
    start_session(book, device, rng, newcomer.bundle);
    let sent = send_all(book, rng, &distributions);
    if let Some(key) = newcomer.key {
        install_key(room, book, device, newcomer.address, key);
    }
    sent
}

// ----------------------------------------------------------------------------------------
// Ember: the world the routines run in (built once, outside the timing)

/// A device's room and session book, sealed, so that every iteration starts from the same
/// state (opened in the setup of `iter_batched`, outside the timing).
struct Sealed {
    room: Vec<u8>,
    book: Vec<u8>,
}

impl Sealed {
    fn seal(key: &SnapshotKey, room: &Room, book: &SessionBook) -> Self {
        let mut rng = rng(0x5e);
        Self {
            room: room.seal(key, &mut rng).expect("seal room"),
            book: book.seal(key, &mut rng).expect("seal book"),
        }
    }

    fn open(&self, key: &SnapshotKey) -> (Room, SessionBook) {
        (
            Room::open(key, &self.room).expect("open room"),
            SessionBook::open(key, &self.book).expect("open book"),
        )
    }
}

struct RemoveScenario {
    leaver: AccountId,
    actor: Sealed,
    receiver: Sealed,
    /// The actor's envelope with the new member list, for the receiver.
    update_to_receiver: Vec<u8>,
    /// The receiver after `remove_receiver`.
    receiver_after: Sealed,
    /// The new sender keys of the 498 other remaining devices (the actor's first), each in
    /// its 1:1 envelope for the receiver.
    keys_to_receiver: Vec<(DeviceAddress, Vec<u8>)>,
}

struct AddScenario {
    actor: Sealed,
    receiver: Sealed,
    update_to_receiver: Vec<u8>,
    newcomer: DeviceAddress,
    bundle_for_actor: Vec<u8>,
    bundle_for_receiver: Vec<u8>,
    newcomer_key_to_actor: Vec<u8>,
    newcomer_key_to_receiver: Vec<u8>,
}

struct EmberWorld {
    key: SnapshotKey,
    devices: Vec<Device>,
    remove: RemoveScenario,
    add: AddScenario,
    /// The actor's room of 500 (sealed: each message benchmark opens its own sender) and
    /// the receiver's, for the message benchmarks.
    actor_room: Vec<u8>,
    receiver_room: Room,
}

/// A 1:1 session between two devices, established the way `one_to_one` does it: `x`
/// initiates, `y` accepts and replies, `x` decrypts the reply. The last message came from
/// `y`, so `x`'s next message starts a new DH ratchet step and `y`'s does not.
fn pair(
    rng: &mut ChaCha20Rng,
    (x_device, x_book): (&mut Device, &mut SessionBook),
    (y_device, y_book): (&mut Device, &mut SessionBook),
) {
    let otk = y_device
        .prekey_bundle()
        .one_time_prekey_ids()
        .next()
        .expect("a one-time prekey");
    let bundle = y_device
        .prekey_bundle()
        .with_one_time_prekey(otk)
        .expect("bundle");
    x_book.start(rng, x_device, &bundle).expect("start");
    let first = x_book
        .send_to(rng, &[y_device.address()], b"hello")
        .expect("first");
    y_book
        .decrypt(y_device, x_device.address(), &first[0].envelope)
        .expect("accept");
    let reply = y_book
        .send_to(rng, &[x_device.address()], b"hi")
        .expect("reply");
    x_book
        .decrypt(x_device, y_device.address(), &reply[0].envelope)
        .expect("decrypt reply");
}

/// Two mutable elements of a slice, `i < j`.
fn two<T>(items: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
    let (low, high) = items.split_at_mut(j);
    (&mut low[i], &mut high[0])
}

/// A room of `addresses` created by the first and joined by the others, with payloads
/// handed over as values (the 1:1 sessions are left as `pair` made them). Every room has
/// the creator's sender key; the creator's and the second device's rooms have everyone's.
fn room_world(rng: &mut ChaCha20Rng, addresses: &[DeviceAddress]) -> Vec<Room> {
    let mut members = MemberList::new();
    for address in addresses {
        members
            .insert(address.account, [address.device])
            .expect("insert member");
    }
    let creator = addresses[0];
    let (room, created) = Room::create(rng, creator, members).expect("create room");
    let update = room_update(&created[0]);
    let creator_key = created[1].payload.encode();
    let mut rooms = vec![room];
    for &me in &addresses[1..] {
        let (mut room, joined) = Room::join(rng, me, creator, &update).expect("join");
        room.receive_sender_key(creator, sender_key(&creator_key))
            .expect("creator's key");
        let key = joined[0].payload.encode();
        rooms[0]
            .receive_sender_key(me, sender_key(&key))
            .expect("key at the creator");
        if let Some(second) = rooms.get_mut(1) {
            second
                .receive_sender_key(me, sender_key(&key))
                .expect("key at the second device");
        }
        rooms.push(room);
    }
    rooms
}

fn ember_world() -> EmberWorld {
    let started = Instant::now();
    let mut rng = rng(1);
    let key = SnapshotKey::from_bytes(&mut SNAPSHOT_KEY.clone());
    let mut devices: Vec<Device> = (0..MEMBERS)
        .map(|_| {
            let mut device = Account::generate(&mut rng).new_device(&mut rng, NOW);
            device.generate_one_time_prekeys(&mut rng, 4);
            device
        })
        .collect();
    let addresses: Vec<DeviceAddress> = devices.iter().map(Device::address).collect();
    let mut books: Vec<SessionBook> = (0..MEMBERS).map(|_| SessionBook::new()).collect();
    // The actor and the receiver have a session with every other device; in each, the last
    // message came from the other device.
    for x in [ACTOR, RECEIVER] {
        for y in x + 1..MEMBERS {
            let (x_device, y_device) = two(&mut devices, x, y);
            let (x_book, y_book) = two(&mut books, x, y);
            pair(&mut rng, (x_device, x_book), (y_device, y_book));
        }
    }
    let actor = addresses[ACTOR];
    let receiver = addresses[RECEIVER];

    // Removal from a room of 500.
    let mut rooms = room_world(&mut rng, &addresses);
    let actor_state = Sealed::seal(&key, &rooms[ACTOR], &books[ACTOR]);
    let receiver_state = Sealed::seal(&key, &rooms[RECEIVER], &books[RECEIVER]);
    let actor_room = actor_state.room.clone();
    let leaver = addresses[LEAVER].account;
    let update = {
        let (mut copy, _) = actor_state.open(&key);
        room_update(
            &copy
                .remove_member(&mut rng, &leaver)
                .expect("remove member")[0],
        )
    };
    let (mut room, mut book) = actor_state.open(&key);
    let sent = remove_actor(
        &mut room,
        &mut book,
        &mut ChaCha20Rng::from_seed([ACTOR_SEED; 32]),
        &leaver,
    );
    let update_to_receiver = envelope_for(&sent[0], receiver);
    let mut keys_to_receiver = vec![(actor, envelope_for(&sent[1], receiver))];
    let (mut room, mut book) = receiver_state.open(&key);
    remove_receiver(
        &mut room,
        &mut book,
        &mut devices[RECEIVER],
        &mut ChaCha20Rng::from_seed([RECEIVER_SEED; 32]),
        actor,
        &update_to_receiver,
    );
    let receiver_after = Sealed::seal(&key, &room, &book);
    for member in RECEIVER + 1..LEAVER {
        let distributions = rooms[member]
            .receive_update(&mut rng, actor, &update)
            .expect("member applies the removal");
        let plaintext = distributions[0].payload.encode();
        let sent = books[member]
            .send_to(&mut rng, &[receiver], &plaintext)
            .expect("member's new key");
        keys_to_receiver.push((addresses[member], sent[0].envelope.clone()));
    }
    let receiver_room = rooms.swap_remove(RECEIVER);
    let remove = RemoveScenario {
        leaver,
        actor: actor_state,
        receiver: receiver_state,
        update_to_receiver,
        receiver_after,
        keys_to_receiver,
    };

    // Addition to a room of 499 (everyone but the leaver, who is the newcomer and has no
    // session with the actor or the receiver yet).
    let newcomer = addresses[LEAVER];
    let rooms = room_world(&mut rng, &addresses[..LEAVER]);
    for index in [ACTOR, RECEIVER] {
        assert!(books[index].remove(&newcomer));
    }
    let actor_state = Sealed::seal(&key, &rooms[ACTOR], &books[ACTOR]);
    let receiver_state = Sealed::seal(&key, &rooms[RECEIVER], &books[RECEIVER]);
    let mut otks = devices[LEAVER]
        .prekey_bundle()
        .one_time_prekey_ids()
        .collect::<Vec<_>>();
    otks.truncate(2);
    let bundle = |device: &Device, otk: u32| {
        device
            .prekey_bundle()
            .with_one_time_prekey(otk)
            .expect("bundle")
            .to_bytes()
    };
    let bundle_for_actor = bundle(&devices[LEAVER], otks[0]);
    let bundle_for_receiver = bundle(&devices[LEAVER], otks[1]);
    // One run of the actor and of the receiver, with the RNG each iteration gets, so that
    // the newcomer can answer on the sessions the iterations start.
    let (mut room, mut book) = actor_state.open(&key);
    let sent = add_actor(
        &mut room,
        &mut book,
        &mut devices[ACTOR],
        &mut ChaCha20Rng::from_seed([ACTOR_SEED; 32]),
        &Newcomer {
            address: newcomer,
            bundle: &bundle_for_actor,
            key: None,
        },
    );
    let update_to_newcomer = envelope_for(&sent[0], newcomer);
    let update_to_receiver = envelope_for(&sent[0], receiver);
    let (mut room, mut book) = receiver_state.open(&key);
    let sent = add_receiver(
        &mut room,
        &mut book,
        &mut devices[RECEIVER],
        &mut ChaCha20Rng::from_seed([RECEIVER_SEED; 32]),
        actor,
        &update_to_receiver,
        &Newcomer {
            address: newcomer,
            bundle: &bundle_for_receiver,
            key: None,
        },
    );
    let receiver_to_newcomer = envelope_for(&sent[0], newcomer);
    // The newcomer accepts both sessions, joins, and sends its sender key on them.
    let mut newcomer_book = SessionBook::new();
    let newcomer_device = &mut devices[LEAVER];
    let plaintext = newcomer_book
        .decrypt(newcomer_device, actor, &update_to_newcomer)
        .expect("newcomer accepts the actor's session");
    let Ok(Payload::RoomUpdate(update)) = Payload::decode(&plaintext) else {
        unreachable!("a room update payload")
    };
    let (_, joined) = Room::join(&mut rng, newcomer, actor, &update).expect("newcomer joins");
    newcomer_book
        .decrypt(newcomer_device, receiver, &receiver_to_newcomer)
        .expect("newcomer accepts the receiver's session");
    let sent = newcomer_book
        .send_to(&mut rng, &[actor, receiver], &joined[0].payload.encode())
        .expect("newcomer's key");
    let add = AddScenario {
        actor: actor_state,
        receiver: receiver_state,
        update_to_receiver,
        newcomer,
        bundle_for_actor,
        bundle_for_receiver,
        newcomer_key_to_actor: envelope_for(&sent, actor),
        newcomer_key_to_receiver: envelope_for(&sent, receiver),
    };
    eprintln!(
        "rooms: Ember's world of {MEMBERS} devices built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    EmberWorld {
        key,
        devices,
        remove,
        add,
        actor_room,
        receiver_room,
    }
}

// ----------------------------------------------------------------------------------------
// Ember: the benchmarks

fn ember_encrypt(group: &mut BenchmarkGroup<'_, WallTime>, world: &mut Option<EmberWorld>) {
    let mut sender = None;
    group.bench_function("ember/room_encrypt_500", |b| {
        let world = world.get_or_insert_with(ember_world);
        let sender =
            sender.get_or_insert_with(|| Room::open(&world.key, &world.actor_room).expect("open"));
        b.iter(|| sender.encrypt(black_box(&PLAINTEXT)).expect("encrypt"));
    });
}

fn ember_decrypt(group: &mut BenchmarkGroup<'_, WallTime>, world: &mut Option<EmberWorld>) {
    // A sender of its own (at counter 0, where the receiver's copy of its chain is), so that
    // the receiver never meets a gap; messages are made in the setup, in counter order.
    let mut sender = None;
    group.bench_function("ember/room_decrypt_500", |b| {
        let EmberWorld {
            key,
            actor_room,
            receiver_room,
            ..
        } = world.get_or_insert_with(ember_world);
        let sender = sender.get_or_insert_with(|| Room::open(key, actor_room).expect("open"));
        b.iter_batched(
            || sender.encrypt(&PLAINTEXT).expect("encrypt"),
            |message| receiver_room.decrypt(black_box(&message)).expect("decrypt"),
            BatchSize::SmallInput,
        );
    });
}

fn ember_add(group: &mut BenchmarkGroup<'_, WallTime>, world: &mut Option<EmberWorld>) {
    group.bench_function("ember/room_add_member_499/actor", |b| {
        let EmberWorld {
            key, devices, add, ..
        } = world.get_or_insert_with(ember_world);
        let newcomer = Newcomer {
            address: add.newcomer,
            bundle: &add.bundle_for_actor,
            key: Some(&add.newcomer_key_to_actor),
        };
        b.iter_batched(
            || {
                let (room, book) = add.actor.open(key);
                (room, book, rng(ACTOR_SEED))
            },
            |(mut room, mut book, mut rng)| {
                let sent = add_actor(
                    &mut room,
                    &mut book,
                    &mut devices[ACTOR],
                    &mut rng,
                    &newcomer,
                );
                (room, book, sent)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("ember/room_add_member_499/receiver", |b| {
        let EmberWorld {
            key, devices, add, ..
        } = world.get_or_insert_with(ember_world);
        let actor = devices[ACTOR].address();
        let newcomer = Newcomer {
            address: add.newcomer,
            bundle: &add.bundle_for_receiver,
            key: Some(&add.newcomer_key_to_receiver),
        };
        b.iter_batched(
            || {
                let (room, book) = add.receiver.open(key);
                (room, book, rng(RECEIVER_SEED))
            },
            |(mut room, mut book, mut rng)| {
                let sent = add_receiver(
                    &mut room,
                    &mut book,
                    &mut devices[RECEIVER],
                    &mut rng,
                    actor,
                    &add.update_to_receiver,
                    &newcomer,
                );
                (room, book, sent)
            },
            BatchSize::PerIteration,
        );
    });
}

fn ember_remove(group: &mut BenchmarkGroup<'_, WallTime>, world: &mut Option<EmberWorld>) {
    group.bench_function("ember/room_remove_member_500/actor", |b| {
        let EmberWorld { key, remove, .. } = world.get_or_insert_with(ember_world);
        b.iter_batched(
            || {
                let (room, book) = remove.actor.open(key);
                (room, book, rng(ACTOR_SEED))
            },
            |(mut room, mut book, mut rng)| {
                let sent = remove_actor(&mut room, &mut book, &mut rng, &remove.leaver);
                (room, book, sent)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("ember/room_remove_member_500/receiver", |b| {
        let EmberWorld {
            key,
            devices,
            remove,
            ..
        } = world.get_or_insert_with(ember_world);
        let actor = devices[ACTOR].address();
        b.iter_batched(
            || {
                let (room, book) = remove.receiver.open(key);
                (room, book, rng(RECEIVER_SEED))
            },
            |(mut room, mut book, mut rng)| {
                let sent = remove_receiver(
                    &mut room,
                    &mut book,
                    &mut devices[RECEIVER],
                    &mut rng,
                    actor,
                    &remove.update_to_receiver,
                );
                (room, book, sent)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("ember/room_remove_member_500/receiver_keys", |b| {
        let EmberWorld {
            key,
            devices,
            remove,
            ..
        } = world.get_or_insert_with(ember_world);
        b.iter_batched(
            || remove.receiver_after.open(key),
            |(mut room, mut book)| {
                for (from, envelope) in &remove.keys_to_receiver {
                    install_key(
                        &mut room,
                        &mut book,
                        &mut devices[RECEIVER],
                        *from,
                        black_box(envelope),
                    );
                }
                (room, book)
            },
            BatchSize::PerIteration,
        );
    });
}

// ----------------------------------------------------------------------------------------
// vodozemac: Megolm (SessionConfig::version_1, as deployed in Matrix)

fn megolm_encrypt(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut outbound = GroupSession::new(MegolmConfig::version_1());
    group.bench_function("vodozemac/megolm_encrypt", |b| {
        b.iter(|| outbound.encrypt(black_box(PLAINTEXT)).to_bytes());
    });
}

fn megolm_decrypt(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut outbound = GroupSession::new(MegolmConfig::version_1());
    let mut inbound = InboundGroupSession::new(&outbound.session_key(), MegolmConfig::version_1());
    group.bench_function("vodozemac/megolm_decrypt", |b| {
        b.iter_batched(
            || outbound.encrypt(PLAINTEXT).to_bytes(),
            |bytes| {
                let message = MegolmMessage::from_bytes(black_box(&bytes)).expect("decode");
                inbound.decrypt(&message).expect("decrypt")
            },
            BatchSize::SmallInput,
        );
    });
}

// ----------------------------------------------------------------------------------------
// mls-rs

struct MlsWorld<C: MlsConfig> {
    /// The actor (leaf 0) and the receiver (leaf MLS_RECEIVER_LEAF) in the group of 499.
    actor_499: Group<C>,
    receiver_499: Group<C>,
    /// The newcomer's key package.
    key_package: MlsMessage,
    /// The actor's commit adding the newcomer.
    add_commit: Vec<u8>,
    /// Both after the addition: the group of 500.
    actor_500: Group<C>,
    receiver_500: Group<C>,
    /// The actor's commit removing the newcomer (leaf 499) from the group of 500.
    remove_commit: Vec<u8>,
}

fn mls_client(
    provider: &RustCryptoProvider,
    index: usize,
    path_required: bool,
) -> Client<impl MlsConfig + use<>> {
    let suite = provider
        .cipher_suite_provider(MLS_SUITE)
        .expect("cipher suite");
    let (secret, public) = suite.signature_key_generate().expect("signature key");
    let credential = BasicCredential::new(format!("member {index:03}").into_bytes());
    Client::builder()
        .identity_provider(BasicIdentityProvider)
        .crypto_provider(provider.clone())
        .mls_rules(
            DefaultMlsRules::new()
                .with_commit_options(CommitOptions::new().with_path_required(path_required)),
        )
        .signing_identity(
            SigningIdentity::new(credential.into_credential(), public),
            secret,
            MLS_SUITE,
        )
        .build()
}

fn key_package<C: MlsConfig>(client: &Client<C>) -> MlsMessage {
    client
        .generate_key_package_message(ExtensionList::default(), ExtensionList::default(), None)
        .expect("key package")
}

/// The group of 499 grown one member at a time, each new member (with `path_required`)
/// committing the next addition with an UpdatePath, so that the tree's parent nodes are
/// populated as in a group that has lived for a while; a group made by one commit adding
/// everyone has blank parents, which makes every later UpdatePath encrypt to every leaf.
/// The actor and the receiver process every commit; the receiver joins with the member
/// after it, so it never commits.
fn mls_world() -> MlsWorld<impl MlsConfig> {
    let started = Instant::now();
    let provider = RustCryptoProvider::default();
    let mut actor = mls_client(&provider, ACTOR, false)
        .create_group(ExtensionList::default(), ExtensionList::default(), None)
        .expect("create group");
    let mut receiver: Option<Group<_>> = None;
    let mut latest = None;
    let mut leaf = 1;
    while leaf < MEMBERS - 1 {
        let receiver_joins = leaf == MLS_RECEIVER_LEAF;
        let mut joining = vec![];
        if receiver_joins {
            joining.push(mls_client(&provider, leaf, false));
        }
        joining.push(mls_client(&provider, leaf + joining.len(), true));
        let committer = latest.as_mut().unwrap_or(&mut actor);
        let mut builder = committer.commit_builder();
        for client in &joining {
            builder = builder.add_member(key_package(client)).expect("add");
        }
        let output = builder.build().expect("commit");
        committer.apply_pending_commit().expect("apply");
        if latest.is_some() {
            actor
                .process_incoming_message(output.commit_message.clone())
                .expect("actor processes");
        }
        if let Some(receiver) = receiver.as_mut() {
            receiver
                .process_incoming_message(output.commit_message.clone())
                .expect("receiver processes");
        }
        let welcome = &output.welcome_messages[0];
        let mut groups = joining
            .iter()
            .map(|client| client.join_group(None, welcome, None).expect("join").0);
        if receiver_joins {
            receiver = groups.next();
        }
        latest = groups.next();
        leaf += joining.len();
    }
    let receiver_499 = receiver.expect("the receiver joined");
    assert_eq!(
        receiver_499.current_member_index() as usize,
        MLS_RECEIVER_LEAF
    );
    assert_eq!(actor.roster().members().len(), MEMBERS - 1);

    let key_package = key_package(&mls_client(&provider, LEAVER, false));
    let mut actor_500 = actor.clone();
    let output = actor_500
        .commit_builder()
        .add_member(key_package.clone())
        .expect("add")
        .build()
        .expect("commit");
    actor_500.apply_pending_commit().expect("apply");
    let add_commit = output.commit_message.to_bytes().expect("encode");
    let mut receiver_500 = receiver_499.clone();
    receiver_500
        .process_incoming_message(output.commit_message)
        .expect("receiver processes the addition");
    assert_eq!(
        actor_500
            .member_at_index(LEAVER as u32)
            .expect("the newcomer")
            .index as usize,
        LEAVER
    );
    let remove_commit = actor_500
        .clone()
        .commit_builder()
        .remove_member(LEAVER as u32)
        .expect("remove")
        .build()
        .expect("commit")
        .commit_message
        .to_bytes()
        .expect("encode");
    eprintln!(
        "rooms: mls-rs group of {MEMBERS} built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    MlsWorld {
        actor_499: actor,
        receiver_499,
        key_package,
        add_commit,
        actor_500,
        receiver_500,
        remove_commit,
    }
}

/// Encodes a commit and its Welcome messages, as they leave the committer.
fn commit_bytes(output: &mls_rs::group::CommitOutput) -> (Vec<u8>, Vec<Vec<u8>>) {
    (
        output.commit_message.to_bytes().expect("encode commit"),
        output
            .welcome_messages
            .iter()
            .map(|welcome| welcome.to_bytes().expect("encode welcome"))
            .collect(),
    )
}

/// Decodes and processes a commit.
fn process_commit<C: MlsConfig>(group: &mut Group<C>, commit: &[u8]) {
    let message = MlsMessage::from_bytes(commit).expect("decode commit");
    let received = group.process_incoming_message(message).expect("process");
    assert!(matches!(received, ReceivedMessage::Commit(_)));
}

fn mls_benches<C: MlsConfig>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    world: &mut Option<MlsWorld<C>>,
    make: impl Fn() -> MlsWorld<C> + Copy,
    part: MlsPart,
) {
    match part {
        MlsPart::Encrypt => {
            let mut sender = None;
            group.bench_function("mls_rs/app_encrypt_500", |b| {
                let world = world.get_or_insert_with(make);
                let sender = sender.get_or_insert_with(|| world.actor_500.clone());
                b.iter(|| {
                    sender
                        .encrypt_application_message(black_box(&PLAINTEXT), vec![])
                        .expect("encrypt")
                        .to_bytes()
                        .expect("encode")
                });
            });
        }
        MlsPart::Decrypt => {
            let mut pair = None;
            group.bench_function("mls_rs/app_decrypt_500", |b| {
                let world = world.get_or_insert_with(make);
                let (sender, receiver) = pair
                    .get_or_insert_with(|| (world.actor_500.clone(), world.receiver_500.clone()));
                b.iter_batched(
                    || {
                        sender
                            .encrypt_application_message(&PLAINTEXT, vec![])
                            .expect("encrypt")
                            .to_bytes()
                            .expect("encode")
                    },
                    |bytes| {
                        let message = MlsMessage::from_bytes(black_box(&bytes)).expect("decode");
                        match receiver.process_incoming_message(message).expect("decrypt") {
                            ReceivedMessage::ApplicationMessage(message) => message,
                            _ => unreachable!("an application message"),
                        }
                    },
                    BatchSize::SmallInput,
                );
            });
        }
        MlsPart::Add => {
            group.bench_function("mls_rs/add_member_499/actor", |b| {
                let world = world.get_or_insert_with(make);
                b.iter_batched(
                    || (world.actor_499.clone(), world.key_package.clone()),
                    |(mut group, key_package)| {
                        let output = group
                            .commit_builder()
                            .add_member(key_package)
                            .expect("add")
                            .build()
                            .expect("commit");
                        group.apply_pending_commit().expect("apply");
                        (group, commit_bytes(&output))
                    },
                    BatchSize::PerIteration,
                );
            });
            group.bench_function("mls_rs/add_member_499/receiver", |b| {
                let world = world.get_or_insert_with(make);
                b.iter_batched(
                    || world.receiver_499.clone(),
                    |mut group| {
                        process_commit(&mut group, black_box(&world.add_commit));
                        group
                    },
                    BatchSize::PerIteration,
                );
            });
        }
        MlsPart::Remove => {
            group.bench_function("mls_rs/remove_member_500/actor", |b| {
                let world = world.get_or_insert_with(make);
                b.iter_batched(
                    || world.actor_500.clone(),
                    |mut group| {
                        let output = group
                            .commit_builder()
                            .remove_member(LEAVER as u32)
                            .expect("remove")
                            .build()
                            .expect("commit");
                        group.apply_pending_commit().expect("apply");
                        (group, commit_bytes(&output))
                    },
                    BatchSize::PerIteration,
                );
            });
            group.bench_function("mls_rs/remove_member_500/receiver", |b| {
                let world = world.get_or_insert_with(make);
                b.iter_batched(
                    || world.receiver_500.clone(),
                    |mut group| {
                        process_commit(&mut group, black_box(&world.remove_commit));
                        group
                    },
                    BatchSize::PerIteration,
                );
            });
        }
    }
}

#[derive(Clone, Copy)]
enum MlsPart {
    Encrypt,
    Decrypt,
    Add,
    Remove,
}

// ----------------------------------------------------------------------------------------
// Floors: the public-key primitives that dominate room operations.

/// Length of what a room message's signature covers: label, header, ciphertext and tag of
/// a 100-byte message.
const SIGNED_LEN: usize = 200;

fn floors(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut rng = rng(5);
    let ours = PrivateKey::generate(&mut rng);
    let theirs = PrivateKey::generate(&mut rng).public_key();
    group.bench_function("floor/x25519_dh", |b| {
        b.iter(|| black_box(&ours).agree(black_box(&theirs)).expect("agree"));
    });
    group.bench_function("floor/x25519_keygen", |b| {
        b.iter(|| PrivateKey::generate(&mut rng));
    });
    group.bench_function("floor/ed25519_keygen", |b| {
        b.iter(|| SigningKey::generate(&mut rng));
    });
    let signing = SigningKey::generate(&mut rng);
    let verifying = signing.verifying_key();
    let message = [0x66u8; SIGNED_LEN];
    let signature = signing.sign_raw(&message);
    group.bench_function("floor/ed25519_sign_200B", |b| {
        b.iter(|| signing.sign_raw(black_box(&message)));
    });
    let public = verifying.to_bytes();
    group.bench_function("floor/ed25519_parse", |b| {
        b.iter(|| VerifyingKey::from_bytes(black_box(&public)).expect("parse"));
    });
    group.bench_function("floor/ed25519_verify_200B", |b| {
        b.iter(|| {
            verifying
                .verify_raw(black_box(&message), black_box(&signature))
                .expect("verify")
        });
    });
}

fn bench_rooms(c: &mut Criterion) {
    let mut group = c.benchmark_group("rooms");
    let mut ember = None;
    let mut mls = None;
    // The terms of each comparison run back to back.
    floors(&mut group);
    ember_encrypt(&mut group, &mut ember);
    megolm_encrypt(&mut group);
    mls_benches(&mut group, &mut mls, mls_world, MlsPart::Encrypt);
    ember_decrypt(&mut group, &mut ember);
    megolm_decrypt(&mut group);
    mls_benches(&mut group, &mut mls, mls_world, MlsPart::Decrypt);
    // Membership changes take milliseconds each, and every iteration first opens the sealed
    // state (outside the timing).
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    ember_add(&mut group, &mut ember);
    mls_benches(&mut group, &mut mls, mls_world, MlsPart::Add);
    ember_remove(&mut group, &mut ember);
    mls_benches(&mut group, &mut mls, mls_world, MlsPart::Remove);
    group.finish();
}

criterion_group!(rooms, bench_rooms);
criterion_main!(rooms);
