//! Sealing and opening rooms.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use ember_proto::v1 as proto;
use rand_core::CryptoRng;

use super::account::secret;
use super::{Kind, SnapshotKey, open, seal};
use crate::crypto::sign::{SigningKey, VerifyingKey};
use crate::error::{DecodeError, SnapshotError};
use crate::ids::{AccountId, DeviceAddress, DeviceId};
use crate::limits::{
    MAX_CHAINS_PER_SENDER, MAX_DEVICES_PER_MEMBER, MAX_ROOM_MEMBERS, MAX_STORED_SKIPPED_KEYS,
};
use crate::room::chains::{ChainName, OwnChain, PeerChain};
use crate::room::{MemberList, Room, RoomId, SkippedKey};
use crate::session::chain::{ChainKey, MessageKey};
use crate::wire;

/// The version of the room state layout.
const STATE_FORMAT: u32 = 1;

impl Room {
    /// Seals the room under `key`.
    pub fn seal(
        &self,
        key: &SnapshotKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        let state = proto::RoomState {
            format: STATE_FORMAT,
            room_id: self.id.0.to_vec(),
            me_account: self.me.account.as_bytes().to_vec(),
            me_device: self.me.device.0,
            version: self.version,
            epoch: self.epoch,
            members: self.members.to_wire(),
            own: self.own.as_ref().map(|own| proto::RoomChainState {
                epoch: own.name.epoch,
                chain_id: own.name.chain_id,
                chain_key: own.key.0.expose().to_vec(),
                next_counter: own.next,
                signing_key: own.signing.to_secret().expose().to_vec(),
            }),
            next_chain_id: self.next_chain_id,
            peers: self
                .peers
                .iter()
                .map(|(device, chains)| proto::RoomPeerChains {
                    account_id: device.account.as_bytes().to_vec(),
                    device_id: device.device.0,
                    chains: chains
                        .iter()
                        .map(|chain| proto::RoomChainState {
                            epoch: chain.name.epoch,
                            chain_id: chain.name.chain_id,
                            chain_key: chain.key.0.expose().to_vec(),
                            next_counter: chain.next,
                            signing_key: chain.signing_key.to_bytes().to_vec(),
                        })
                        .collect(),
                })
                .collect(),
            skipped: self
                .skipped
                .iter()
                .map(|skipped| proto::RoomSkippedKey {
                    account_id: skipped.sender.account.as_bytes().to_vec(),
                    device_id: skipped.sender.device.0,
                    epoch: skipped.chain.epoch,
                    chain_id: skipped.chain.chain_id,
                    counter: skipped.counter,
                    message_key: skipped.key.0.expose().to_vec(),
                })
                .collect(),
        };
        seal(key, Kind::Room, rng, &state)
    }

    /// Opens a room sealed by [`Room::seal`].
    pub fn open(key: &SnapshotKey, sealed: &[u8]) -> Result<Self, SnapshotError> {
        let state: proto::RoomState = open(key, Kind::Room, sealed)?;
        Ok(Self::from_state(&state)?)
    }

    fn from_state(state: &proto::RoomState) -> Result<Self, DecodeError> {
        let device_bound = MAX_ROOM_MEMBERS * MAX_DEVICES_PER_MEMBER;
        if state.peers.len() > device_bound {
            return Err(DecodeError::TooMany {
                field: "peers",
                max: device_bound,
            });
        }
        if state.skipped.len() > MAX_STORED_SKIPPED_KEYS {
            return Err(DecodeError::TooMany {
                field: "skipped",
                max: MAX_STORED_SKIPPED_KEYS,
            });
        }
        let address = |account: &[u8], device: u32| -> Result<DeviceAddress, DecodeError> {
            Ok(DeviceAddress {
                account: AccountId::from_bytes(wire::array("account_id", account)?),
                device: DeviceId(device),
            })
        };
        let name = |chain: &proto::RoomChainState| ChainName {
            epoch: chain.epoch,
            chain_id: chain.chain_id,
        };
        let own = state
            .own
            .as_ref()
            .map(|own| {
                Ok::<_, DecodeError>(OwnChain {
                    name: name(own),
                    key: ChainKey(secret("own.chain_key", &own.chain_key)?),
                    next: own.next_counter,
                    signing: SigningKey::from_secret(&secret("own.signing_key", &own.signing_key)?),
                })
            })
            .transpose()?;
        let mut peers = BTreeMap::new();
        for peer in &state.peers {
            if peer.chains.len() > MAX_CHAINS_PER_SENDER {
                return Err(DecodeError::TooMany {
                    field: "chains",
                    max: MAX_CHAINS_PER_SENDER,
                });
            }
            let chains = peer
                .chains
                .iter()
                .map(|chain| {
                    Ok(PeerChain {
                        name: name(chain),
                        key: ChainKey(secret("peer.chain_key", &chain.chain_key)?),
                        next: chain.next_counter,
                        signing_key: VerifyingKey::from_slice(&chain.signing_key)
                            .map_err(|_| DecodeError::BadKey("peer.signing_key"))?,
                    })
                })
                .collect::<Result<VecDeque<_>, DecodeError>>()?;
            peers.insert(address(&peer.account_id, peer.device_id)?, chains);
        }
        let skipped = state
            .skipped
            .iter()
            .map(|skipped| {
                Ok(SkippedKey {
                    sender: address(&skipped.account_id, skipped.device_id)?,
                    chain: ChainName {
                        epoch: skipped.epoch,
                        chain_id: skipped.chain_id,
                    },
                    counter: skipped.counter,
                    key: MessageKey(secret("skipped.message_key", &skipped.message_key)?),
                })
            })
            .collect::<Result<VecDeque<_>, DecodeError>>()?;
        Ok(Self {
            id: RoomId(wire::array("room_id", &state.room_id)?),
            me: address(&state.me_account, state.me_device)?,
            version: state.version,
            epoch: state.epoch,
            members: MemberList::from_wire(&state.members)
                .map_err(|_| DecodeError::OutOfRange("members"))?,
            own,
            next_chain_id: state.next_chain_id.max(1),
            peers,
            skipped,
        })
    }
}
