//! The control payloads of rooms, which travel inside 1:1 sessions: sender keys and member
//! list updates.

use core::fmt;

use ember_proto::v1 as proto;

use super::RoomId;
use super::members::MemberList;
use crate::crypto::Secret32;
use crate::crypto::sign::VerifyingKey;
use crate::error::{DecodeError, RoomError};
use crate::wire;

/// A member device's sender chain for one epoch of a room, for one other member device.
#[derive(PartialEq, Eq)]
pub struct SenderKey {
    pub(crate) room_id: RoomId,
    pub(crate) epoch: u64,
    pub(crate) chain_id: u32,
    pub(crate) counter: u32,
    pub(crate) chain_key: Secret32,
    pub(crate) signing_key: VerifyingKey,
}

impl SenderKey {
    /// The room it is for.
    pub const fn room_id(&self) -> RoomId {
        self.room_id
    }

    /// The room epoch of the chain.
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn to_wire(&self) -> proto::SenderKey {
        proto::SenderKey {
            room_id: self.room_id.0.to_vec(),
            epoch: self.epoch,
            chain_id: self.chain_id,
            counter: self.counter,
            chain_key: self.chain_key.expose().to_vec(),
            signing_key: self.signing_key.to_bytes().to_vec(),
        }
    }

    pub(crate) fn from_wire(key: &proto::SenderKey) -> Result<Self, RoomError> {
        Ok(Self {
            room_id: RoomId(wire::array("room_id", &key.room_id)?),
            epoch: key.epoch,
            chain_id: key.chain_id,
            counter: key.counter,
            chain_key: Secret32::from_slice(&key.chain_key).ok_or(DecodeError::BadLength {
                field: "chain_key",
                expected: 32,
                got: key.chain_key.len(),
            })?,
            signing_key: VerifyingKey::from_slice(&key.signing_key)
                .ok()
                .filter(|key| !key.is_weak())
                .ok_or(DecodeError::BadKey("signing_key"))?,
        })
    }
}

impl fmt::Debug for SenderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderKey")
            .field("room_id", &self.room_id)
            .field("epoch", &self.epoch)
            .field("chain_id", &self.chain_id)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// A room's new member list, as the member who changed it sends it to every device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomUpdate {
    pub(crate) room_id: RoomId,
    pub(crate) version: u64,
    pub(crate) epoch: u64,
    pub(crate) members: MemberList,
}

impl RoomUpdate {
    /// The room it is for.
    pub const fn room_id(&self) -> RoomId {
        self.room_id
    }

    /// The member list's version.
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The members.
    pub const fn members(&self) -> &MemberList {
        &self.members
    }

    pub(crate) fn to_wire(&self) -> proto::RoomUpdate {
        proto::RoomUpdate {
            room_id: self.room_id.0.to_vec(),
            version: self.version,
            epoch: self.epoch,
            members: self.members.to_wire(),
        }
    }

    pub(crate) fn from_wire(update: &proto::RoomUpdate) -> Result<Self, RoomError> {
        Ok(Self {
            room_id: RoomId(wire::array("room_id", &update.room_id)?),
            version: update.version,
            epoch: update.epoch,
            members: MemberList::from_wire(&update.members)?,
        })
    }
}
