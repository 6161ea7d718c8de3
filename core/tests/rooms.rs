//! Room scenarios through the public API: creation, messages, additions, removals, leaving,
//! non-members, duplicates, reordering and snapshots. Control payloads travel as encoded
//! bytes, as they would inside 1:1 sessions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, VecDeque};

use ember_core::error::RoomError;
use ember_core::payload::Payload;
use ember_core::room::{Distribution, MemberList, Room};
use ember_core::snapshot::SnapshotKey;
use ember_core::{AccountId, DeviceAddress, DeviceId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn device(account: u8, device: u32) -> DeviceAddress {
    DeviceAddress {
        account: AccountId::from_bytes([account; 16]),
        device: DeviceId(device),
    }
}

/// Every device's room (if it has joined) and the 1:1 payloads in flight.
struct World {
    rng: ChaCha20Rng,
    rooms: BTreeMap<DeviceAddress, Room>,
    in_flight: VecDeque<(DeviceAddress, DeviceAddress, Vec<u8>)>,
}

impl World {
    fn new(seed: u8) -> Self {
        Self {
            rng: ChaCha20Rng::from_seed([seed; 32]),
            rooms: BTreeMap::new(),
            in_flight: VecDeque::new(),
        }
    }

    fn post(&mut self, from: DeviceAddress, distributions: Vec<Distribution>) {
        for distribution in distributions {
            let bytes = distribution.payload.encode();
            for to in distribution.to {
                self.in_flight.push_back((from, to, bytes.to_vec()));
            }
        }
    }

    /// Delivers every control payload, including the ones that delivery itself produces.
    fn settle(&mut self) {
        while let Some((from, to, bytes)) = self.in_flight.pop_front() {
            let out = match Payload::decode(&bytes).unwrap() {
                Payload::RoomUpdate(update) => match self.rooms.get_mut(&to) {
                    Some(room) => room.receive_update(&mut self.rng, from, &update).unwrap(),
                    None => {
                        let (room, out) = Room::join(&mut self.rng, to, from, &update).unwrap();
                        self.rooms.insert(to, room);
                        out
                    }
                },
                Payload::SenderKey(key) => {
                    let room = self.rooms.get_mut(&to).expect("the update came first");
                    room.receive_sender_key(from, key).unwrap();
                    Vec::new()
                }
                other => panic!("unexpected payload {other:?}"),
            };
            self.post(to, out);
        }
    }

    fn create(&mut self, creator: DeviceAddress, members: &[(u8, &[u32])]) {
        let mut list = MemberList::new();
        for (account, devices) in members {
            list.insert(
                AccountId::from_bytes([*account; 16]),
                devices.iter().map(|d| DeviceId(*d)),
            )
            .unwrap();
        }
        let (room, out) = Room::create(&mut self.rng, creator, list).unwrap();
        self.rooms.insert(creator, room);
        self.post(creator, out);
        self.settle();
    }

    fn send(&mut self, from: DeviceAddress, text: &str) -> Vec<u8> {
        self.rooms
            .get_mut(&from)
            .unwrap()
            .encrypt(text.as_bytes())
            .unwrap()
    }

    fn read(&mut self, at: DeviceAddress, message: &[u8]) -> Result<String, RoomError> {
        let (_, plaintext) = self.rooms.get_mut(&at).unwrap().decrypt(message)?;
        Ok(String::from_utf8(plaintext).unwrap())
    }
}

#[test]
fn every_other_member_device_reads_a_message_once() {
    let mut world = World::new(1);
    world.create(device(1, 1), &[(1, &[1, 2]), (2, &[1, 2]), (3, &[1])]);
    assert_eq!(world.rooms.len(), 5);
    let message = world.send(device(2, 2), "hello room");
    for reader in [device(1, 1), device(1, 2), device(2, 1), device(3, 1)] {
        assert_eq!(world.read(reader, &message).unwrap(), "hello room");
        assert_eq!(
            world.read(reader, &message),
            Err(RoomError::Duplicate { counter: 0 })
        );
    }
}

#[test]
fn out_of_order_messages_decrypt_and_gaps_are_bounded() {
    let mut world = World::new(2);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1])]);
    let messages: Vec<Vec<u8>> = (0..6)
        .map(|i| world.send(device(1, 1), &format!("m{i}")))
        .collect();
    for i in [5, 0, 3, 1, 4, 2] {
        assert_eq!(
            world.read(device(2, 1), &messages[i]).unwrap(),
            format!("m{i}")
        );
    }
    for _ in 0..ember_core::limits::MAX_SKIP + 1 {
        world.send(device(1, 1), "lost");
    }
    let far = world.send(device(1, 1), "far");
    assert!(matches!(
        world.read(device(2, 1), &far),
        Err(RoomError::GapTooLarge { .. })
    ));
}

#[test]
fn a_new_member_reads_nothing_sent_before_it_joined() {
    let mut world = World::new(3);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1])]);
    let before = world.send(device(2, 1), "before");
    let out = world
        .rooms
        .get_mut(&device(1, 1))
        .unwrap()
        .add_member(
            &mut world.rng,
            AccountId::from_bytes([3; 16]),
            [DeviceId(1), DeviceId(2)],
        )
        .unwrap();
    world.post(device(1, 1), out);
    world.settle();
    for newcomer in [device(3, 1), device(3, 2)] {
        assert!(world.read(newcomer, &before).is_err());
    }
    let after = world.send(device(2, 1), "after");
    for reader in [device(1, 1), device(3, 1), device(3, 2)] {
        assert_eq!(world.read(reader, &after).unwrap(), "after");
    }
    let from_new = world.send(device(3, 2), "I'm in");
    assert_eq!(world.read(device(2, 1), &from_new).unwrap(), "I'm in");
    assert_eq!(world.rooms[&device(2, 1)].version(), 2);
    assert_eq!(world.rooms[&device(2, 1)].epoch(), 0);
}

#[test]
fn a_removed_member_reads_nothing_sent_after_and_is_refused_as_sender() {
    let mut world = World::new(4);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1]), (3, &[1, 2])]);
    let removed_room_before = world.rooms[&device(3, 1)].epoch();
    let out = world
        .rooms
        .get_mut(&device(1, 1))
        .unwrap()
        .remove_member(&mut world.rng, &AccountId::from_bytes([3; 16]))
        .unwrap();
    world.post(device(1, 1), out);
    world.settle();
    for gone in [device(3, 1), device(3, 2)] {
        assert!(!world.rooms[&gone].is_active());
    }
    assert_eq!(world.rooms[&device(2, 1)].epoch(), removed_room_before + 1);

    let after = world.send(device(2, 1), "secret plans");
    assert_eq!(world.read(device(1, 1), &after).unwrap(), "secret plans");
    for gone in [device(3, 1), device(3, 2)] {
        assert_eq!(world.read(gone, &after), Err(RoomError::NotInRoom));
    }
    // The remaining member's state survives a snapshot with the new epoch's chain in it.
    let key = SnapshotKey::from_bytes(&mut [3; 32]);
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let sealed = world.rooms[&device(1, 1)].seal(&key, &mut rng).unwrap();
    let mut reopened = Room::open(&key, &sealed).unwrap();
    assert_eq!(
        reopened.decrypt(&after),
        Err(RoomError::Duplicate { counter: 0 })
    );
}

#[test]
fn a_message_from_an_old_chain_of_a_removed_member_is_refused() {
    let mut world = World::new(5);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1]), (3, &[1])]);
    // Member 3 writes before it is removed, but the message arrives after the removal.
    let late = world.send(device(3, 1), "sent before removal");
    let out = world
        .rooms
        .get_mut(&device(1, 1))
        .unwrap()
        .remove_member(&mut world.rng, &AccountId::from_bytes([3; 16]))
        .unwrap();
    world.post(device(1, 1), out);
    world.settle();
    assert_eq!(world.read(device(2, 1), &late), Err(RoomError::NotAMember));
}

#[test]
fn leaving_moves_everyone_else_to_a_new_epoch() {
    let mut world = World::new(6);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1]), (3, &[1])]);
    let out = world.rooms.get_mut(&device(3, 1)).unwrap().leave().unwrap();
    assert!(!world.rooms[&device(3, 1)].is_active());
    world.post(device(3, 1), out);
    world.settle();
    assert_eq!(world.rooms[&device(1, 1)].epoch(), 1);
    assert!(
        !world.rooms[&device(1, 1)]
            .members()
            .contains_account(&AccountId::from_bytes([3; 16]))
    );
    let message = world.send(device(1, 1), "without 3");
    assert_eq!(world.read(device(2, 1), &message).unwrap(), "without 3");
    assert_eq!(
        world.rooms.get_mut(&device(3, 1)).unwrap().encrypt(b"x"),
        Err(RoomError::NotInRoom)
    );
}

#[test]
fn tampering_and_forgery_are_refused_without_changing_state() {
    let mut world = World::new(7);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1])]);
    let message = world.send(device(1, 1), "original");
    let mut flipped = message.clone();
    let at = flipped.len() - 70;
    flipped[at] ^= 0x01;
    assert!(matches!(
        world.read(device(2, 1), &flipped),
        Err(RoomError::BadSignature | RoomError::Decode(_))
    ));
    assert_eq!(world.read(device(2, 1), &message).unwrap(), "original");

    // Updates from a non-member and stale versions are refused.
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let mut list = MemberList::new();
    list.insert(AccountId::from_bytes([1; 16]), [DeviceId(1)])
        .unwrap();
    list.insert(AccountId::from_bytes([9; 16]), [DeviceId(1)])
        .unwrap();
    let (mut outsider_room, _) = Room::create(&mut rng, device(9, 1), list).unwrap();
    let forged = outsider_room.encrypt(b"let me in").unwrap();
    assert_eq!(world.read(device(2, 1), &forged), Err(RoomError::WrongRoom));
}

#[test]
fn rooms_survive_a_snapshot() {
    let mut world = World::new(8);
    world.create(device(1, 1), &[(1, &[1]), (2, &[1])]);
    let first = world.send(device(1, 1), "one");
    let second = world.send(device(1, 1), "two");
    assert_eq!(world.read(device(2, 1), &second).unwrap(), "two");
    let key = SnapshotKey::from_bytes(&mut [4; 32]);
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let sealed = world.rooms[&device(2, 1)].seal(&key, &mut rng).unwrap();
    let mut reopened = Room::open(&key, &sealed).unwrap();
    assert_eq!(reopened.decrypt(&first).unwrap().1, b"one");
    assert_eq!(
        reopened.decrypt(&second),
        Err(RoomError::Duplicate { counter: 1 })
    );
    let sealed_sender = world.rooms[&device(1, 1)].seal(&key, &mut rng).unwrap();
    let mut sender = Room::open(&key, &sealed_sender).unwrap();
    let third = sender.encrypt(b"three").unwrap();
    assert_eq!(reopened.decrypt(&third).unwrap().1, b"three");
}
