//! Sender-key rooms of up to [`MAX_ROOM_MEMBERS`] member accounts.
//!
//! Every member device has its own sender chain for the room's current epoch and hands it,
//! over the 1:1 sessions, to every other member device ([`SenderKey`]). A room message is
//! encrypted once on the sender's chain and signed with the chain's Ed25519 key; the server
//! fans the one ciphertext out. Membership is a versioned [`MemberList`]:
//!
//! - adding members gives the new devices every member's chain *at its current counter*, so
//!   they cannot read what was sent before they joined;
//! - removing members (or leaving) starts a new epoch: every remaining device makes a fresh
//!   chain and sends it only to the remaining devices, so the removed ones read nothing sent
//!   after;
//! - a message from a device that is not a member of the list is refused.
//!
//! The room never sends anything itself: operations return [`Distribution`]s, payloads and
//! the devices they must reach over 1:1 sessions ([`crate::session::SessionBook::send_to`], with the payload's
//! [`crate::payload::Payload::encode`]).
//!
//! ```
//! use ember_core::room::{MemberList, Room};
//! use ember_core::{AccountId, DeviceAddress, DeviceId};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([4; 32]);
//! let alice = DeviceAddress { account: AccountId::from_bytes([1; 16]), device: DeviceId(1) };
//! let bob = DeviceAddress { account: AccountId::from_bytes([2; 16]), device: DeviceId(1) };
//! let mut members = MemberList::new();
//! members.insert(alice.account, [alice.device])?;
//! members.insert(bob.account, [bob.device])?;
//!
//! let (mut alice_room, to_send) = Room::create(&mut rng, alice, members)?;
//! // `to_send` goes to Bob over the 1:1 session: first the member list, then Alice's key.
//! let mut bob_room = None;
//! for distribution in to_send {
//!     match distribution.payload {
//!         ember_core::payload::Payload::RoomUpdate(update) => {
//!             let (room, _bobs_key_for_alice) = Room::join(&mut rng, bob, alice, &update)?;
//!             bob_room = Some(room);
//!         }
//!         ember_core::payload::Payload::SenderKey(key) => {
//!             bob_room.as_mut().unwrap().receive_sender_key(alice, key)?;
//!         }
//!         _ => unreachable!(),
//!     }
//! }
//! let message = alice_room.encrypt(b"hello room")?;
//! let (sender, plaintext) = bob_room.unwrap().decrypt(&message)?;
//! assert_eq!((sender, plaintext.as_slice()), (alice, &b"hello room"[..]));
//! # Ok::<(), ember_core::error::RoomError>(())
//! ```

pub(crate) mod chains;
mod members;
mod message;
mod payload;

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;

pub use members::MemberList;
pub use payload::{RoomUpdate, SenderKey};

use chains::{ChainName, OwnChain, PeerChain};
use message::{Header, RoomMessage};

use crate::error::{DecodeError, DecryptError, RoomError};
use crate::ids::DeviceAddress;
use crate::limits::{
    MAX_CHAINS_PER_SENDER, MAX_PLAINTEXT_LEN, MAX_ROOM_MEMBERS, MAX_STORED_SKIPPED_KEYS,
};
use crate::payload::Payload;
use crate::session::chain::{ChainKey, MessageKey};

/// Length of a room id.
pub const ROOM_ID_LEN: usize = 16;

/// A random 16-byte room id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(pub [u8; ROOM_ID_LEN]);

impl RoomId {
    /// A fresh random id.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut id = [0u8; ROOM_ID_LEN];
        rng.fill_bytes(&mut id);
        Self(id)
    }
}

impl fmt::Debug for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// A payload and the member devices it must reach over their 1:1 sessions.
#[derive(Debug)]
pub struct Distribution {
    /// What to send.
    pub payload: Payload,
    /// To which devices.
    pub to: Vec<DeviceAddress>,
}

/// A skipped message key of another member's chain.
pub(crate) struct SkippedKey {
    pub(crate) sender: DeviceAddress,
    pub(crate) chain: ChainName,
    pub(crate) counter: u32,
    pub(crate) key: MessageKey,
}

/// One device's view of a room.
pub struct Room {
    pub(crate) id: RoomId,
    pub(crate) me: DeviceAddress,
    pub(crate) version: u64,
    pub(crate) epoch: u64,
    pub(crate) members: MemberList,
    /// `None` once this device is no longer a member.
    pub(crate) own: Option<OwnChain>,
    pub(crate) next_chain_id: u32,
    pub(crate) peers: BTreeMap<DeviceAddress, VecDeque<PeerChain>>,
    pub(crate) skipped: VecDeque<SkippedKey>,
}

impl Room {
    /// Creates a room with `members` (which must include `me`), at version 1 and epoch 0.
    ///
    /// Returns the room and what to send: the member list and this device's sender key, to
    /// every other member device.
    pub fn create(
        rng: &mut (impl CryptoRng + ?Sized),
        me: DeviceAddress,
        members: MemberList,
    ) -> Result<(Self, Vec<Distribution>), RoomError> {
        if !members.contains(&me) {
            return Err(RoomError::NotInRoom);
        }
        let id = RoomId::generate(rng);
        let room = Self::with_members(rng, id, me, 1, 0, members);
        let others = room.other_devices();
        let update = Distribution {
            payload: Payload::RoomUpdate(room.update()),
            to: others,
        };
        let key = room.own_key_for(room.other_devices());
        Ok((room, [Some(update), key].into_iter().flatten().collect()))
    }

    /// Joins a room from the member list a member sent (`from`, who must be in it).
    ///
    /// Returns the room and this device's sender key for every other member device.
    pub fn join(
        rng: &mut (impl CryptoRng + ?Sized),
        me: DeviceAddress,
        from: DeviceAddress,
        update: &RoomUpdate,
    ) -> Result<(Self, Vec<Distribution>), RoomError> {
        if !update.members.contains(&me) {
            return Err(RoomError::NotInRoom);
        }
        if !update.members.contains(&from) {
            return Err(RoomError::NotAMember);
        }
        check_counters(update.version, update.epoch)?;
        let room = Self::with_members(
            rng,
            update.room_id,
            me,
            update.version,
            update.epoch,
            update.members.clone(),
        );
        let key = room.own_key_for(room.other_devices());
        Ok((room, key.into_iter().collect()))
    }

    fn with_members(
        rng: &mut (impl CryptoRng + ?Sized),
        id: RoomId,
        me: DeviceAddress,
        version: u64,
        epoch: u64,
        members: MemberList,
    ) -> Self {
        Self {
            id,
            me,
            version,
            epoch,
            members,
            own: Some(OwnChain::generate(rng, ChainName { epoch, chain_id: 1 })),
            next_chain_id: 2,
            peers: BTreeMap::new(),
            skipped: VecDeque::new(),
        }
    }

    /// Changes the member list (adding or removing accounts or devices) as this device's
    /// user asked. Removing anyone starts a new epoch with a fresh chain for this device.
    ///
    /// Returns what to send: the new list to every device of the old and new lists, and this
    /// device's sender key to the devices that need it.
    pub fn change_members(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        members: MemberList,
    ) -> Result<Vec<Distribution>, RoomError> {
        if self.own.is_none() {
            return Err(RoomError::NotInRoom);
        }
        if !members.contains(&self.me) {
            return Err(RoomError::NotInRoom);
        }
        let removed = self
            .members
            .devices()
            .any(|device| !members.contains(&device));
        let update = RoomUpdate {
            room_id: self.id,
            version: next(self.version)?,
            epoch: if removed {
                next(self.epoch)?
            } else {
                self.epoch
            },
            members,
        };
        let everyone: BTreeSet<DeviceAddress> = self
            .members
            .devices()
            .chain(update.members.devices())
            .filter(|device| *device != self.me)
            .collect();
        let mut out = alloc::vec![Distribution {
            payload: Payload::RoomUpdate(update.clone()),
            to: everyone.into_iter().collect(),
        }];
        out.extend(self.apply(rng, &update));
        Ok(out)
    }

    /// Adds an account with the given devices.
    pub fn add_member(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        account: crate::AccountId,
        devices: impl IntoIterator<Item = crate::DeviceId>,
    ) -> Result<Vec<Distribution>, RoomError> {
        let mut members = self.members.clone();
        members.insert(account, devices)?;
        self.change_members(rng, members)
    }

    /// Removes an account and all its devices.
    pub fn remove_member(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        account: &crate::AccountId,
    ) -> Result<Vec<Distribution>, RoomError> {
        let mut members = self.members.clone();
        members.remove_account(account);
        self.change_members(rng, members)
    }

    /// Leaves the room: this device's account is removed, the others move to a new epoch.
    /// Returns the new list for every other device of the old list (the account's other
    /// devices stop when they apply it); the room is inactive afterwards.
    pub fn leave(&mut self) -> Result<Vec<Distribution>, RoomError> {
        if self.own.is_none() {
            return Err(RoomError::NotInRoom);
        }
        let mut members = self.members.clone();
        members.remove_account(&self.me.account);
        let update = RoomUpdate {
            room_id: self.id,
            version: next(self.version)?,
            epoch: next(self.epoch)?,
            members,
        };
        // Every old device but this one: the remaining ones move to the new epoch, this
        // account's other devices learn that they are out.
        let to = self.other_devices();
        self.deactivate(&update);
        Ok(alloc::vec![Distribution {
            payload: Payload::RoomUpdate(update),
            to,
        }])
    }

    /// Applies a member list that the member `from` sent. Returns this device's sender key
    /// for the devices that now need it (every other device after a removal, the new devices
    /// after an addition).
    pub fn receive_update(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        from: DeviceAddress,
        update: &RoomUpdate,
    ) -> Result<Vec<Distribution>, RoomError> {
        if update.room_id != self.id {
            return Err(RoomError::WrongRoom);
        }
        if self.own.is_none() {
            return Err(RoomError::NotInRoom);
        }
        if !self.members.contains(&from) {
            return Err(RoomError::NotAMember);
        }
        if update.version <= self.version {
            return Err(RoomError::StaleUpdate {
                got: update.version,
                current: self.version,
            });
        }
        check_counters(update.version, update.epoch)?;
        if update.version - self.version > MAX_UPDATE_GAP
            || update.epoch.saturating_sub(self.epoch) > MAX_UPDATE_GAP
        {
            return Err(DecodeError::OutOfRange("version").into());
        }
        let removed = self
            .members
            .devices()
            .any(|device| !update.members.contains(&device));
        if update.epoch < self.epoch || (removed && update.epoch == self.epoch) {
            return Err(DecodeError::OutOfRange("epoch").into());
        }
        if !update.members.contains(&self.me) {
            self.deactivate(update);
            return Ok(Vec::new());
        }
        Ok(self.apply(rng, update))
    }

    /// Installs another member device's sender chain, received over its 1:1 session.
    pub fn receive_sender_key(
        &mut self,
        from: DeviceAddress,
        key: SenderKey,
    ) -> Result<(), RoomError> {
        if key.room_id != self.id {
            return Err(RoomError::WrongRoom);
        }
        if self.own.is_none() {
            return Err(RoomError::NotInRoom);
        }
        if !self.members.contains(&from) || from == self.me {
            return Err(RoomError::NotAMember);
        }
        let name = ChainName {
            epoch: key.epoch,
            chain_id: key.chain_id,
        };
        let chains = self.peers.entry(from).or_default();
        if chains.iter().any(|chain| chain.name == name) {
            return Ok(());
        }
        let SenderKey {
            chain_key,
            signing_key,
            counter,
            ..
        } = key;
        chains.push_back(PeerChain {
            name,
            key: ChainKey(chain_key),
            next: counter,
            signing_key,
        });
        chains.make_contiguous().sort_by_key(|chain| chain.name);
        while chains.len() > MAX_CHAINS_PER_SENDER {
            chains.pop_front();
        }
        Ok(())
    }

    /// Encrypts `plaintext` (an encoded [`crate::content::Content`]) once for the whole room.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, RoomError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(RoomError::TooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            });
        }
        let Some(own) = self.own.as_mut() else {
            return Err(RoomError::NotInRoom);
        };
        if own.next == u32::MAX {
            return Err(RoomError::ChainExhausted);
        }
        let header = Header {
            room_id: self.id,
            sender: self.me,
            chain: own.name,
            counter: own.next,
        };
        let (message_key, next_key) = own.key.step();
        let ciphertext = message_key
            .seal(&header.associated_data(), plaintext)
            .map_err(|_| RoomError::TooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            })?;
        let header_bytes = header.bytes();
        let signature = own
            .signing
            .sign_parts(&Header::signed_parts(&header_bytes, &ciphertext));
        own.key = next_key;
        own.next += 1;
        Ok(RoomMessage {
            header,
            ciphertext,
            signature,
        }
        .encode())
    }

    /// Verifies and decrypts a room message, returning its sender and plaintext. On any error
    /// the room is unchanged.
    pub fn decrypt(&mut self, bytes: &[u8]) -> Result<(DeviceAddress, Vec<u8>), RoomError> {
        let message = RoomMessage::decode(bytes)?;
        let header = &message.header;
        if header.room_id != self.id {
            return Err(RoomError::WrongRoom);
        }
        if self.own.is_none() {
            return Err(RoomError::NotInRoom);
        }
        let sender = header.sender;
        let chain = self
            .peers
            .get_mut(&sender)
            .and_then(|chains| chains.iter_mut().find(|chain| chain.name == header.chain));
        let Some(chain) = chain else {
            return Err(if self.members.contains(&sender) && sender != self.me {
                RoomError::MissingSenderKey
            } else {
                RoomError::NotAMember
            });
        };
        let header_bytes = header.bytes();
        chain
            .signing_key
            .verify_parts(
                &Header::signed_parts(&header_bytes, &message.ciphertext),
                &message.signature,
            )
            .map_err(|_| RoomError::BadSignature)?;
        let associated_data = header.associated_data();

        if let Some(at) = self.skipped.iter().position(|skipped| {
            skipped.sender == sender
                && skipped.chain == header.chain
                && skipped.counter == header.counter
        }) {
            let plaintext = self.skipped[at]
                .key
                .open(&associated_data, &message.ciphertext)
                .map_err(|_| RoomError::BadTag)?;
            self.skipped.remove(at);
            return Ok((sender, plaintext));
        }
        if header.counter < chain.next {
            return Err(RoomError::Duplicate {
                counter: header.counter,
            });
        }
        let (skipped, at_counter) =
            chain
                .key
                .skip(chain.next, header.counter)
                .map_err(|error| match error {
                    DecryptError::GapTooLarge { got, max } => RoomError::GapTooLarge { got, max },
                    _ => RoomError::BadTag,
                })?;
        let (message_key, next_key) = at_counter.step();
        let plaintext = message_key
            .open(&associated_data, &message.ciphertext)
            .map_err(|_| RoomError::BadTag)?;
        chain.key = next_key;
        chain.next = header.counter + 1;
        let name = chain.name;
        for (counter, key) in skipped {
            if self.skipped.len() == MAX_STORED_SKIPPED_KEYS {
                self.skipped.pop_front();
            }
            self.skipped.push_back(SkippedKey {
                sender,
                chain: name,
                counter,
                key,
            });
        }
        Ok((sender, plaintext))
    }

    /// The room's id.
    pub const fn id(&self) -> RoomId {
        self.id
    }

    /// The member list.
    pub const fn members(&self) -> &MemberList {
        &self.members
    }

    /// The member list's version.
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The current epoch (it grows with every removal).
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether this device is still a member.
    pub const fn is_active(&self) -> bool {
        self.own.is_some()
    }

    /// Applies a validated update that keeps this device a member.
    fn apply(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        update: &RoomUpdate,
    ) -> Vec<Distribution> {
        let added: Vec<DeviceAddress> = update
            .members
            .devices()
            .filter(|device| !self.members.contains(device) && *device != self.me)
            .collect();
        self.peers
            .retain(|device, _| update.members.contains(device));
        self.skipped
            .retain(|skipped| update.members.contains(&skipped.sender));
        let new_epoch = update.epoch > self.epoch;
        self.members = update.members.clone();
        self.version = update.version;
        self.epoch = update.epoch;
        if new_epoch {
            let chain_id = self.next_chain_id;
            self.next_chain_id = self.next_chain_id.wrapping_add(1).max(1);
            self.own = Some(OwnChain::generate(
                rng,
                ChainName {
                    epoch: self.epoch,
                    chain_id,
                },
            ));
            self.own_key_for(self.other_devices()).into_iter().collect()
        } else {
            self.own_key_for(added).into_iter().collect()
        }
    }

    fn deactivate(&mut self, update: &RoomUpdate) {
        self.members = update.members.clone();
        self.version = update.version;
        self.epoch = update.epoch;
        self.own = None;
        self.peers.clear();
        self.skipped.clear();
    }

    fn other_devices(&self) -> Vec<DeviceAddress> {
        self.members
            .devices()
            .filter(|device| *device != self.me)
            .collect()
    }

    fn update(&self) -> RoomUpdate {
        RoomUpdate {
            room_id: self.id,
            version: self.version,
            epoch: self.epoch,
            members: self.members.clone(),
        }
    }

    /// This device's chain at its current counter, for `to`; nothing if `to` is empty.
    fn own_key_for(&self, to: Vec<DeviceAddress>) -> Option<Distribution> {
        let own = self.own.as_ref()?;
        if to.is_empty() {
            return None;
        }
        Some(Distribution {
            payload: Payload::SenderKey(SenderKey {
                room_id: self.id,
                epoch: own.name.epoch,
                chain_id: own.name.chain_id,
                counter: own.next,
                chain_key: own.key.0.duplicate(),
                signing_key: own.signing.verifying_key(),
            }),
            to,
        })
    }
}

/// Highest member list version or epoch a room accepts: far beyond any real room's changes,
/// and far enough below `u64::MAX` that counting on never overflows.
pub const MAX_ROOM_COUNTER: u64 = 1 << 62;
/// How far ahead of this device's list a received version or epoch may be (updates it missed).
pub const MAX_UPDATE_GAP: u64 = 1 << 16;

fn check_counters(version: u64, epoch: u64) -> Result<(), RoomError> {
    if version > MAX_ROOM_COUNTER || epoch > MAX_ROOM_COUNTER {
        return Err(DecodeError::OutOfRange("version").into());
    }
    Ok(())
}

/// The next version or epoch, within [`MAX_ROOM_COUNTER`].
fn next(counter: u64) -> Result<u64, RoomError> {
    if counter >= MAX_ROOM_COUNTER {
        return Err(RoomError::ChainExhausted);
    }
    Ok(counter + 1)
}

impl fmt::Debug for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Room")
            .field("id", &self.id)
            .field("me", &self.me)
            .field("version", &self.version)
            .field("epoch", &self.epoch)
            .field("members", &self.members.account_count())
            .field("active", &self.own.is_some())
            .field("peer_devices", &self.peers.len())
            .field("skipped_keys", &self.skipped.len())
            .finish_non_exhaustive()
    }
}

const _: () = assert!(MAX_ROOM_MEMBERS == 500);
