//! Compliance copies of 1:1 messages: the content and the conversation it belongs to.
//!
//! A room message names its room, but the content of a 1:1 message does not name the other
//! account: each recipient knows it from the session. The compliance device, a third party,
//! does not, so the sender sends it a [`compliance_copy`] instead of the ordinary payload.

use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;
use zeroize::Zeroizing;

use super::record::{Conversation, MessageInput};
use crate::content::Content;
use crate::error::{DecodeError, PayloadError};
use crate::ids::{AccountId, DeviceAddress, Timestamp};
use crate::limits::MAX_PLAINTEXT_LEN;
use crate::payload::Payload;
use crate::wire;

/// The lowest field number of `ember.v1.ComplianceCopy`; every `ember.v1.Payload` field is
/// lower, which is how [`Inbound::decode`] tells the two apart.
const FIRST_COPY_FIELD: u64 = 16;

/// The plaintext a client sends each compliance device for a 1:1 message to `peer` (wiped
/// when dropped): pass it to [`crate::session::SessionBook::send_to`] with
/// [`super::compliance_recipients`].
pub fn compliance_copy(peer: AccountId, content: &Content) -> Zeroizing<Vec<u8>> {
    // The struct wipes the content it holds when it drops.
    let copy = proto::ComplianceCopy {
        peer_account_id: peer.as_bytes().to_vec(),
        content: core::mem::take(&mut *content.encode()),
    };
    Zeroizing::new(copy.encode_to_vec())
}

/// A 1:1 message as the compliance device received it.
pub struct ComplianceCopy {
    peer: AccountId,
    content: Zeroizing<Vec<u8>>,
}

impl ComplianceCopy {
    /// The other account of the conversation (the sender's peer).
    pub const fn peer(&self) -> AccountId {
        self.peer
    }

    /// The encoded content, as the sender encoded it.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// Decodes the content.
    pub fn decode_content(&self) -> Result<Content, crate::error::ContentError> {
        Content::decode(&self.content)
    }

    /// The message to archive, sent by `sender` (the device the session says it came from).
    pub fn message(&self, sender: DeviceAddress, received_at: Timestamp) -> MessageInput<'_> {
        MessageInput {
            conversation: Conversation::direct(sender.account, self.peer),
            sender,
            received_at,
            content: &self.content,
        }
    }
}

impl fmt::Debug for ComplianceCopy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComplianceCopy")
            .field("peer", &self.peer)
            .field("content_len", &self.content.len())
            .finish_non_exhaustive()
    }
}

/// What a compliance device finds in a 1:1 plaintext.
#[derive(Debug)]
#[non_exhaustive]
pub enum Inbound {
    /// A compliance copy of a 1:1 message.
    Copy(ComplianceCopy),
    /// An ordinary payload: a room's sender key or member list (the compliance device is a
    /// member of every room), or content sent to it directly.
    Payload(Payload),
}

impl Inbound {
    /// Decodes a 1:1 plaintext: a compliance copy if its first field number is 16 or more,
    /// otherwise a payload.
    pub fn decode(plaintext: &[u8]) -> Result<Self, PayloadError> {
        if first_field(plaintext).is_some_and(|field| field >= FIRST_COPY_FIELD) {
            let mut copy: proto::ComplianceCopy = wire::decode(plaintext, MAX_PLAINTEXT_LEN)?;
            let peer =
                AccountId::from_bytes(wire::array("peer_account_id", &copy.peer_account_id)?);
            if copy.content.is_empty() {
                return Err(DecodeError::MissingField("content").into());
            }
            Ok(Self::Copy(ComplianceCopy {
                peer,
                content: Zeroizing::new(core::mem::take(&mut copy.content)),
            }))
        } else {
            Payload::decode(plaintext).map(Self::Payload)
        }
    }
}

/// The field number of the first key, if the bytes start with a well-formed varint.
fn first_field(bytes: &[u8]) -> Option<u64> {
    let mut key = 0u64;
    for (i, byte) in bytes.iter().take(10).enumerate() {
        key |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(key >> 3);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Body, MessageId};

    #[test]
    fn copies_and_payloads_are_told_apart() {
        let mut content = Content::new(MessageId([1; 16]), Timestamp(9), Body::Text("hi".into()));
        content.sequence = 3;
        let bob = AccountId::from_bytes([2; 16]);
        let copy = compliance_copy(bob, &content);
        assert_eq!(&copy[..2], &[0x82, 0x01], "field 16, length-delimited");
        let Ok(Inbound::Copy(decoded)) = Inbound::decode(&copy) else {
            panic!("not a copy")
        };
        assert_eq!(decoded.peer(), bob);
        assert_eq!(decoded.decode_content().unwrap(), content);
        let payload = Payload::Content(content).encode();
        assert!(matches!(
            Inbound::decode(&payload),
            Ok(Inbound::Payload(Payload::Content(_)))
        ));
        assert!(
            proto::ComplianceCopy::decode(payload.as_slice()).is_ok_and(|c| c.content.is_empty())
        );
        assert!(Payload::decode(&copy).is_err());
        assert!(Inbound::decode(&[]).is_err());
        assert!(Inbound::decode(&[0x82]).is_err());
    }
}
