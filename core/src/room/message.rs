//! Room messages on the wire, and the exact bytes they authenticate and sign.

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;

use super::RoomId;
use super::chains::ChainName;
use crate::crypto::sign::Signature;
use crate::domain;
use crate::error::{DecodeError, RoomError};
use crate::ids::{AccountId, DeviceAddress, DeviceId};
use crate::limits::MAX_WIRE_LEN;
use crate::wire::{self, Suite};

/// Everything about a room message except its ciphertext and signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) room_id: RoomId,
    pub(crate) sender: DeviceAddress,
    pub(crate) chain: ChainName,
    pub(crate) counter: u32,
}

/// `u32be(suite) || room_id || u64be(epoch) || sender account || u32be(sender device)
/// || u32be(chain_id) || u32be(counter)`.
pub(crate) const HEADER_BYTES: usize = 4 + 16 + 8 + 16 + 4 + 4 + 4;

impl Header {
    /// The header's bytes, for [`Header::signed_parts`] and the associated data.
    pub(crate) fn bytes(&self) -> [u8; HEADER_BYTES] {
        let mut out = [0u8; HEADER_BYTES];
        let parts: [&[u8]; 7] = [
            &Suite::Classic.id().to_be_bytes(),
            &self.room_id.0,
            &self.chain.epoch.to_be_bytes(),
            self.sender.account.as_bytes(),
            &self.sender.device.0.to_be_bytes(),
            &self.chain.chain_id.to_be_bytes(),
            &self.counter.to_be_bytes(),
        ];
        let mut at = 0;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        out
    }

    /// The AEAD associated data: `"ember/v1/room-message\0" || header bytes`.
    pub(crate) fn associated_data(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(domain::ROOM_MESSAGE.len() + HEADER_BYTES);
        out.extend_from_slice(domain::ROOM_MESSAGE);
        out.extend_from_slice(&self.bytes());
        out
    }

    /// What the chain's signing key signs, as parts:
    /// `"ember/v1/room-message-signature\0" || header bytes || ciphertext`.
    pub(crate) fn signed_parts<'a>(
        bytes: &'a [u8; HEADER_BYTES],
        ciphertext: &'a [u8],
    ) -> [&'a [u8]; 3] {
        [domain::ROOM_MESSAGE_SIGNATURE, bytes, ciphertext]
    }
}

/// A decoded room message.
pub(crate) struct RoomMessage {
    pub(crate) header: Header,
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) signature: Signature,
}

impl RoomMessage {
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, RoomError> {
        let message: proto::RoomMessage = wire::decode(bytes, MAX_WIRE_LEN)?;
        wire::check_version(message.version)?;
        Suite::from_id(message.suite)?;
        if message.counter == u32::MAX {
            return Err(DecodeError::OutOfRange("counter").into());
        }
        Ok(Self {
            header: Header {
                room_id: RoomId(wire::array("room_id", &message.room_id)?),
                sender: DeviceAddress {
                    account: AccountId::from_bytes(wire::array(
                        "sender_account",
                        &message.sender_account,
                    )?),
                    device: DeviceId(message.sender_device),
                },
                chain: ChainName {
                    epoch: message.epoch,
                    chain_id: message.chain_id,
                },
                counter: message.counter,
            },
            signature: Signature::from_bytes(wire::array("signature", &message.signature)?),
            ciphertext: message.ciphertext,
        })
    }

    pub(crate) fn encode(self) -> Vec<u8> {
        let header = &self.header;
        proto::RoomMessage {
            version: wire::VERSION,
            suite: Suite::Classic.id(),
            room_id: header.room_id.0.to_vec(),
            epoch: header.chain.epoch,
            sender_account: header.sender.account.as_bytes().to_vec(),
            sender_device: header.sender.device.0,
            chain_id: header.chain.chain_id,
            counter: header.counter,
            ciphertext: self.ciphertext,
            signature: self.signature.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }
}
