//! Sealing and opening sessions and session books.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use ember_proto::v1 as proto;
use rand_core::CryptoRng;

use super::account::secret;
use super::{Kind, SnapshotKey, open, seal};
use crate::crypto::dh::{PrivateKey, PublicKey};
use crate::error::{DecodeError, SnapshotError};
use crate::identity::{DeviceCertificate, VerifiedDeviceList};
use crate::limits::{
    MAX_PREVIOUS_SESSIONS, MAX_RECEIVING_CHAINS, MAX_SESSIONS, MAX_STORED_SKIPPED_KEYS,
};
use crate::session::book::Peer;
use crate::session::chain::{ChainKey, MessageKey, RootKey};
use crate::session::message::Handshake;
use crate::session::ratchet::{Ratchet, ReceivingChain, SendingChain, SkippedKey};
use crate::session::{Session, SessionBook};
use crate::wire::{self, Suite};

/// The version of the session state layout.
const STATE_FORMAT: u32 = 1;

impl Session {
    /// Seals the session under `key`.
    pub fn seal(
        &self,
        key: &SnapshotKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        seal(key, Kind::Session, rng, &self.to_state())
    }

    /// Opens a session sealed by [`Session::seal`].
    pub fn open(key: &SnapshotKey, sealed: &[u8]) -> Result<Self, SnapshotError> {
        let state: proto::SessionState = open(key, Kind::Session, sealed)?;
        Ok(Self::from_state(&state)?)
    }

    fn to_state(&self) -> proto::SessionState {
        let ratchet = &self.ratchet;
        proto::SessionState {
            format: STATE_FORMAT,
            suite: Suite::Classic.id(),
            local_certificate: Some(self.local_certificate.to_wire()),
            remote_certificate: Some(self.remote_certificate.to_wire()),
            root_key: ratchet.root_key.0.expose().to_vec(),
            ratchet_secret: ratchet.ratchet_secret.to_secret().expose().to_vec(),
            ratchet_public: ratchet.ratchet_secret.public_key().as_bytes().to_vec(),
            remote_ratchet_key: ratchet.remote_ratchet_key.as_bytes().to_vec(),
            sending: ratchet.sending.as_ref().map(|chain| proto::ChainState {
                ratchet_key: Vec::new(),
                chain_key: chain.key.0.expose().to_vec(),
                next_counter: chain.next,
            }),
            previous_counter: ratchet.previous_counter,
            receiving: ratchet
                .receiving
                .iter()
                .map(|chain| proto::ChainState {
                    ratchet_key: chain.ratchet_key.as_bytes().to_vec(),
                    chain_key: chain.key.0.expose().to_vec(),
                    next_counter: chain.next,
                })
                .collect(),
            skipped: ratchet
                .skipped
                .iter()
                .map(|skipped| proto::SkippedKey {
                    ratchet_key: skipped.ratchet_key.as_bytes().to_vec(),
                    counter: skipped.counter,
                    message_key: skipped.key.0.expose().to_vec(),
                })
                .collect(),
            handshake: Some(proto::Handshake {
                base_key: self.handshake.base_key.as_bytes().to_vec(),
                signed_prekey_id: self.handshake.signed_prekey_id,
                one_time_prekey_id: self.handshake.one_time_prekey_id,
            }),
            awaiting_reply: self.awaiting_reply,
        }
    }

    fn from_state(state: &proto::SessionState) -> Result<Self, DecodeError> {
        Suite::from_id(state.suite)?;
        if state.receiving.len() > MAX_RECEIVING_CHAINS {
            return Err(DecodeError::TooMany {
                field: "receiving",
                max: MAX_RECEIVING_CHAINS,
            });
        }
        if state.skipped.len() > MAX_STORED_SKIPPED_KEYS {
            return Err(DecodeError::TooMany {
                field: "skipped",
                max: MAX_STORED_SKIPPED_KEYS,
            });
        }
        let certificate = |field, value: &Option<proto::DeviceCertificate>| {
            DeviceCertificate::from_sealed(value.as_ref().ok_or(DecodeError::MissingField(field))?)
        };
        let public = |field, bytes: &[u8]| wire::array(field, bytes).map(PublicKey::from_bytes);
        let handshake = wire::required(state.handshake.as_ref(), "handshake")?;
        let receiving = state
            .receiving
            .iter()
            .map(|chain| {
                Ok(ReceivingChain {
                    ratchet_key: public("receiving.ratchet_key", &chain.ratchet_key)?,
                    key: ChainKey(secret("receiving.chain_key", &chain.chain_key)?),
                    next: chain.next_counter,
                })
            })
            .collect::<Result<VecDeque<_>, DecodeError>>()?;
        let skipped = state
            .skipped
            .iter()
            .map(|skipped| {
                Ok(SkippedKey {
                    ratchet_key: public("skipped.ratchet_key", &skipped.ratchet_key)?,
                    counter: skipped.counter,
                    key: MessageKey(secret("skipped.message_key", &skipped.message_key)?),
                })
            })
            .collect::<Result<VecDeque<_>, DecodeError>>()?;
        let sending = state
            .sending
            .as_ref()
            .map(|chain| {
                Ok::<_, DecodeError>(SendingChain {
                    key: ChainKey(secret("sending.chain_key", &chain.chain_key)?),
                    next: chain.next_counter,
                })
            })
            .transpose()?;
        Ok(Self {
            local_certificate: certificate("local_certificate", &state.local_certificate)?,
            remote_certificate: certificate("remote_certificate", &state.remote_certificate)?,
            handshake: Handshake {
                base_key: public("handshake.base_key", &handshake.base_key)?,
                signed_prekey_id: handshake.signed_prekey_id,
                one_time_prekey_id: handshake.one_time_prekey_id,
            },
            awaiting_reply: state.awaiting_reply,
            ratchet: Ratchet {
                root_key: RootKey(secret("root_key", &state.root_key)?),
                ratchet_secret: PrivateKey::from_trusted_parts(
                    &secret("ratchet_secret", &state.ratchet_secret)?,
                    public("ratchet_public", &state.ratchet_public)?,
                ),
                remote_ratchet_key: public("remote_ratchet_key", &state.remote_ratchet_key)?,
                sending,
                previous_counter: state.previous_counter,
                receiving,
                skipped,
            },
        })
    }
}

impl SessionBook {
    /// Seals every session of the book under `key`.
    pub fn seal(
        &self,
        key: &SnapshotKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        let state = proto::SessionBookState {
            format: STATE_FORMAT,
            entries: self
                .peers
                .values()
                .map(|peer| proto::SessionBookEntry {
                    current: Some(peer.current.to_state()),
                    previous: peer.previous.iter().map(Session::to_state).collect(),
                })
                .collect(),
            device_lists: self
                .device_lists
                .values()
                .map(VerifiedDeviceList::to_bytes)
                .collect(),
        };
        seal(key, Kind::SessionBook, rng, &state)
    }

    /// Opens a book sealed by [`SessionBook::seal`].
    pub fn open(key: &SnapshotKey, sealed: &[u8]) -> Result<Self, SnapshotError> {
        let state: proto::SessionBookState = open(key, Kind::SessionBook, sealed)?;
        if state.entries.len() > MAX_SESSIONS {
            return Err(DecodeError::TooMany {
                field: "entries",
                max: MAX_SESSIONS,
            }
            .into());
        }
        let mut peers = BTreeMap::new();
        for entry in &state.entries {
            if entry.previous.len() > MAX_PREVIOUS_SESSIONS {
                return Err(DecodeError::TooMany {
                    field: "previous",
                    max: MAX_PREVIOUS_SESSIONS,
                }
                .into());
            }
            let current = Session::from_state(wire::required(entry.current.as_ref(), "current")?)?;
            let previous = entry
                .previous
                .iter()
                .map(Session::from_state)
                .collect::<Result<VecDeque<_>, _>>()?;
            peers.insert(current.remote_address(), Peer { current, previous });
        }
        if state.device_lists.len() > MAX_SESSIONS {
            return Err(DecodeError::TooMany {
                field: "device_lists",
                max: MAX_SESSIONS,
            }
            .into());
        }
        let mut device_lists = BTreeMap::new();
        for bytes in &state.device_lists {
            let list = VerifiedDeviceList::from_sealed(bytes)?;
            device_lists.insert(list.account().id, list);
        }
        Ok(Self {
            peers,
            device_lists,
        })
    }
}
