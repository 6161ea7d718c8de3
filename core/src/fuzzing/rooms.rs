//! Rooms: [`room_message`] and [`room_control`] on a fixed member room, and their seeds.

use alloc::vec::Vec;

use super::{Sealable, flipped, open_fixture, rng, truncated};
use crate::ids::{AccountId, DeviceAddress, DeviceId};
use crate::payload::Payload;
use crate::room::{Distribution, MemberList, Room, SenderKey};

/// The seed of Alice's randomness: she creates the room and changes its members.
const ALICE: u8 = 0xa2;
/// The seed of Bob's randomness: he joins the room; the fixture is his view of it.
const BOB: u8 = 0xb2;
/// The seed of Carol's randomness: she joins too, but Bob never gets her sender key.
const CAROL: u8 = 0xc2;
/// The seed of the randomness Bob's room gets when it applies an update.
const UPDATE: u8 = 0xb3;
/// The seed of a room the fixture is not in.
const OTHER_ROOM: u8 = 0xd3;

/// What Alice's messages say, in order.
const SENT: [&[u8]; 4] = [b"room one", b"room two", b"room three", b"room four"];

/// A member device: account `[byte; 16]`, device 1.
fn device(byte: u8) -> DeviceAddress {
    DeviceAddress {
        account: AccountId::from_bytes([byte; 16]),
        device: DeviceId(1),
    }
}

fn alice() -> DeviceAddress {
    device(0xa1)
}

fn bob() -> DeviceAddress {
    device(0xb0)
}

fn carol() -> DeviceAddress {
    device(0xc0)
}

/// Dave is not a member.
fn dave() -> DeviceAddress {
    device(0xd0)
}

/// The sender that [`room_control`]'s first byte names.
fn sender(selector: u8) -> DeviceAddress {
    [alice(), carol(), bob(), dave()][usize::from(selector % 4)]
}

/// The first byte of a [`room_control`] input that names `who`.
fn selector(who: DeviceAddress) -> u8 {
    (0..4)
        .find(|&selector| sender(selector) == who)
        .expect("one of the room's four devices")
}

/// Bob's room, sealed.
struct Fixture {
    bob: Vec<u8>,
}

super::fixture! {
    /// Made once per process with `std`, on every call without.
    fn fixture() -> Fixture = || Fixture { bob: scenario().bob.sealed() };
}

/// Feeds a room message to [`Room::decrypt`] on a fixed room: Bob's view of a room of Alice,
/// Bob and Carol, holding Alice's sender key (with a skipped message key, after two of her
/// messages) but not Carol's.
///
/// A refused message must leave the room unchanged; a decrypted one comes from Alice and does
/// not decrypt again.
pub fn room_message(data: &[u8]) {
    let mut room = open_fixture::<Room>(&fixture().bob);
    let before = room.sealed();
    match room.decrypt(data) {
        Ok((sender, _)) => {
            assert_eq!(sender, alice(), "only Alice's sender key is in the room");
            assert!(
                room.decrypt(data).is_err(),
                "a room message decrypted twice"
            );
        }
        Err(_) => assert!(
            room.sealed() == before,
            "a refused room message changed the room"
        ),
    }
}

/// Feeds a room control payload to the fixed room of [`room_message`]: the first byte names
/// the device it came from over its 1:1 session (0: Alice, the creator, whose sender key the
/// room holds; 1: Carol, a member whose key it does not hold; 2: Bob himself; 3: Dave, not a
/// member; modulo 4), the rest is a [`Payload`]. A member list goes to
/// [`Room::receive_update`], a sender key to [`Room::receive_sender_key`]; content is not a
/// room control message and is ignored.
///
/// A refused payload must leave the room unchanged. An accepted sender key is accepted again
/// without changing anything; an accepted member list is the room's afterwards, is not
/// applied twice, and leaves a room that can still move on to a next version.
pub fn room_control(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let Ok(payload) = Payload::decode(bytes) else {
        return;
    };
    let from = sender(selector);
    let mut room = open_fixture::<Room>(&fixture().bob);
    let before = room.sealed();
    match payload {
        Payload::SenderKey(key) => {
            if room.receive_sender_key(from, key).is_err() {
                assert!(
                    room.sealed() == before,
                    "a refused sender key changed the room"
                );
                return;
            }
            let after = room.sealed();
            let Ok(Payload::SenderKey(again)) = Payload::decode(bytes) else {
                panic!("a sender key decodes differently the second time");
            };
            assert!(
                room.receive_sender_key(from, again).is_ok(),
                "an accepted sender key was refused the second time"
            );
            assert!(
                room.sealed() == after,
                "receiving a sender key twice changed the room"
            );
        }
        Payload::RoomUpdate(update) => {
            if room
                .receive_update(&mut rng(UPDATE), from, &update)
                .is_err()
            {
                assert!(
                    room.sealed() == before,
                    "a refused member list changed the room"
                );
                return;
            }
            assert_eq!(room.version(), update.version);
            assert_eq!(room.epoch(), update.epoch);
            assert_eq!(room.members(), &update.members);
            assert_eq!(room.is_active(), update.members.contains(&bob()));
            let after = room.sealed();
            assert!(
                room.receive_update(&mut rng(UPDATE), from, &update)
                    .is_err(),
                "a member list was applied twice"
            );
            assert!(
                room.sealed() == after,
                "a member list applied twice changed the room"
            );
            if room.is_active() {
                let (version, epoch) = (room.version(), room.epoch());
                let left = room.leave();
                assert!(left.is_ok(), "an active room cannot be left");
                assert!(
                    room.version() > version && room.epoch() > epoch,
                    "leaving after an accepted member list did not move the room on: version \
                     {version} -> {}, epoch {epoch} -> {}",
                    room.version(),
                    room.epoch()
                );
            }
        }
        Payload::Content(_) => {}
    }
}

/// Alice creates a room with Bob and Carol; Bob and Carol join from her member list, Bob
/// receives Alice's sender key (but not Carol's), and Alice sends four messages, of which
/// Bob decrypts the first and the third (so the second's key is stored as skipped).
struct Scenario {
    alice: Room,
    bob: Room,
    carol: Room,
    /// Alice's member list (version 1), as a payload.
    update: Vec<u8>,
    /// Alice's, Bob's and Carol's sender keys, as payloads.
    alice_key: Vec<u8>,
    bob_key: Vec<u8>,
    carol_key: Vec<u8>,
    /// What Alice sent.
    sent: Vec<Vec<u8>>,
}

fn scenario() -> Scenario {
    let mut members = MemberList::new();
    for member in [alice(), bob(), carol()] {
        members
            .insert(member.account, [member.device])
            .expect("three members are within the bounds");
    }
    let (mut alice_room, to_send) =
        Room::create(&mut rng(ALICE), alice(), members).expect("Alice creates the room");
    let [update, alice_key] = encoded::<2>(to_send);
    let Ok(Payload::RoomUpdate(first_update)) = Payload::decode(&update) else {
        panic!("Alice's first payload is her member list");
    };
    let (mut bob_room, to_send) =
        Room::join(&mut rng(BOB), bob(), alice(), &first_update).expect("Bob joins");
    let [bob_key] = encoded::<1>(to_send);
    let (carol_room, to_send) =
        Room::join(&mut rng(CAROL), carol(), alice(), &first_update).expect("Carol joins");
    let [carol_key] = encoded::<1>(to_send);
    bob_room
        .receive_sender_key(alice(), sender_key(&alice_key))
        .expect("Bob receives Alice's sender key");
    let sent: Vec<Vec<u8>> = SENT
        .into_iter()
        .map(|plaintext| alice_room.encrypt(plaintext).expect("Alice encrypts"))
        .collect();
    for at in [0, 2] {
        let (from, plaintext) = bob_room
            .decrypt(&sent[at])
            .expect("Bob decrypts Alice's message");
        assert!(from == alice() && plaintext == SENT[at]);
    }
    Scenario {
        alice: alice_room,
        bob: bob_room,
        carol: carol_room,
        update,
        alice_key,
        bob_key,
        carol_key,
        sent,
    }
}

/// The payloads of `N` distributions, encoded.
fn encoded<const N: usize>(distributions: Vec<Distribution>) -> [Vec<u8>; N] {
    let payloads: Vec<Vec<u8>> = distributions
        .iter()
        .map(|distribution| distribution.payload.encode().to_vec())
        .collect();
    payloads
        .try_into()
        .unwrap_or_else(|payloads: Vec<_>| panic!("{} payloads, not {N}", payloads.len()))
}

fn sender_key(payload: &[u8]) -> SenderKey {
    match Payload::decode(payload) {
        Ok(Payload::SenderKey(key)) => key,
        other => panic!("not a sender key: {other:?}"),
    }
}

/// A copy of a room, through its snapshot.
fn copy(room: &Room) -> Room {
    open_fixture(&room.sealed())
}

/// What a copy of Alice's room sends after `operation`: the member list, and her sender key
/// if it sends one.
fn change(
    alice: &Room,
    operation: impl FnOnce(&mut Room) -> Vec<Distribution>,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut room = copy(alice);
    let mut payloads = operation(&mut room)
        .iter()
        .map(|distribution| distribution.payload.encode().to_vec())
        .collect::<Vec<_>>()
        .into_iter();
    let update = payloads
        .next()
        .expect("a change sends the member list first");
    (update, payloads.next())
}

/// What other targets' seeds take from the room scenario.
pub(super) struct ForOtherSeeds {
    /// Bob's room (the fixture), and Alice's after she left, sealed.
    pub(super) sealed: [Vec<u8>; 2],
    /// Alice's first member list and sender key, as payloads.
    pub(super) update: Vec<u8>,
    pub(super) key: Vec<u8>,
}

/// The seeds of [`room_message`] and [`room_control`].
pub(super) fn seeds(add: &mut impl FnMut(&'static str, &'static str, Vec<u8>)) -> ForOtherSeeds {
    let Scenario {
        alice: alice_room,
        bob: mut bob_room,
        carol: mut carol_room,
        update,
        alice_key,
        bob_key,
        carol_key,
        sent,
    } = scenario();
    let bob_sealed = bob_room.sealed();

    let own = bob_room.encrypt(b"from Bob").expect("Bob encrypts");
    let from_carol = carol_room.encrypt(b"from Carol").expect("Carol encrypts");
    // Alice removes Carol: a new epoch, a new chain of Alice's that Bob does not hold yet.
    let mut next_epoch = copy(&alice_room);
    let removal = next_epoch
        .remove_member(&mut rng(ALICE), &carol().account)
        .expect("Alice removes Carol");
    let [remove_carol, new_chain_key] = encoded::<2>(removal);
    let new_chain = next_epoch.encrypt(b"new epoch").expect("Alice encrypts");
    add("room_message", "seed-skipped", sent[1].clone());
    add("room_message", "seed-in-order", sent[3].clone());
    add("room_message", "seed-replay", sent[2].clone());
    add("room_message", "seed-replay-first", sent[0].clone());
    add("room_message", "seed-own-message", own);
    add("room_message", "seed-missing-sender-key", from_carol);
    add("room_message", "seed-unknown-chain", new_chain);
    add("room_message", "seed-truncated", truncated(&sent[3]));
    add("room_message", "seed-bad-signature", flipped(&sent[3]));

    let from = |who: DeviceAddress, payload: &[u8]| [&[selector(who)][..], payload].concat();
    let (add_dave, _) = change(&alice_room, |room| {
        room.add_member(&mut rng(ALICE), dave().account, [dave().device])
            .expect("Alice adds Dave")
    });
    let (remove_bob, _) = change(&alice_room, |room| {
        room.remove_member(&mut rng(ALICE), &bob().account)
            .expect("Alice removes Bob")
    });
    let (other_room, other_key) = {
        let mut members = MemberList::new();
        for member in [alice(), bob()] {
            members
                .insert(member.account, [member.device])
                .expect("two members are within the bounds");
        }
        let (_, to_send) =
            Room::create(&mut rng(OTHER_ROOM), alice(), members).expect("Alice creates a room");
        let [update, key] = encoded::<2>(to_send);
        (update, key)
    };
    let text = Payload::Content(crate::content::Content::new(
        crate::content::MessageId([0x17; 16]),
        super::NOW,
        crate::content::Body::Text("not a control message".into()),
    ))
    .encode()
    .to_vec();
    add("room_control", "seed-add-member", from(alice(), &add_dave));
    add(
        "room_control",
        "seed-remove-member",
        from(alice(), &remove_carol),
    );
    add("room_control", "seed-remove-me", from(alice(), &remove_bob));
    add(
        "room_control",
        "seed-new-chain",
        from(alice(), &new_chain_key),
    );
    add("room_control", "seed-member-key", from(carol(), &carol_key));
    add("room_control", "seed-known-key", from(alice(), &alice_key));
    add("room_control", "seed-stale-update", from(alice(), &update));
    add(
        "room_control",
        "seed-update-from-non-member",
        from(dave(), &add_dave),
    );
    add(
        "room_control",
        "seed-key-from-non-member",
        from(dave(), &carol_key),
    );
    add("room_control", "seed-own-key", from(bob(), &bob_key));
    add(
        "room_control",
        "seed-other-room",
        from(alice(), &other_room),
    );
    add(
        "room_control",
        "seed-other-room-key",
        from(alice(), &other_key),
    );
    add("room_control", "seed-content", from(alice(), &text));
    add(
        "room_control",
        "seed-truncated",
        from(alice(), &truncated(&add_dave)),
    );

    let mut left = copy(&alice_room);
    left.leave().expect("Alice leaves");
    ForOtherSeeds {
        sealed: [bob_sealed, left.sealed()],
        update,
        key: alice_key,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Whether [`room_message`]'s fixture decrypts the input.
    pub(in crate::fuzzing) fn accepted_message(data: &[u8]) -> bool {
        open_fixture::<Room>(&fixture().bob).decrypt(data).is_ok()
    }

    /// Whether [`room_control`]'s fixture takes the input.
    pub(in crate::fuzzing) fn accepted_control(data: &[u8]) -> bool {
        let (&selector, bytes) = data.split_first().unwrap();
        let from = sender(selector);
        let mut room = open_fixture::<Room>(&fixture().bob);
        match Payload::decode(bytes) {
            Ok(Payload::SenderKey(key)) => room.receive_sender_key(from, key).is_ok(),
            Ok(Payload::RoomUpdate(update)) => {
                room.receive_update(&mut rng(UPDATE), from, &update).is_ok()
            }
            _ => false,
        }
    }
}
