//! What one device sends another inside a 1:1 session: message content, or a room's control
//! messages (sender keys and member list updates).
//!
//! ```
//! use ember_core::content::{Body, Content, MessageId};
//! use ember_core::payload::Payload;
//! use ember_core::Timestamp;
//!
//! let payload = Payload::Content(Content::new(MessageId([1; 16]), Timestamp(5), Body::Text("hi".into())));
//! let bytes = payload.encode();
//! assert_eq!(Payload::decode(&bytes)?, payload);
//! # Ok::<(), ember_core::error::PayloadError>(())
//! ```

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;
use zeroize::Zeroizing;

use crate::content::Content;
use crate::error::PayloadError;
use crate::limits::MAX_PLAINTEXT_LEN;
use crate::room::{RoomUpdate, SenderKey};
use crate::wire;

/// A 1:1 payload.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// A message between two people (and their devices).
    Content(Content),
    /// A room sender chain, for the receiving device only.
    SenderKey(SenderKey),
    /// A room's new member list.
    RoomUpdate(RoomUpdate),
}

impl Payload {
    /// The encoded payload, wiped when dropped (sender keys and file keys are secrets).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let kind = match self {
            Self::Content(content) => proto::payload::Kind::Content(content.to_wire()),
            Self::SenderKey(key) => proto::payload::Kind::SenderKey(key.to_wire()),
            Self::RoomUpdate(update) => proto::payload::Kind::RoomUpdate(update.to_wire()),
        };
        Zeroizing::new(proto::Payload { kind: Some(kind) }.encode_to_vec())
    }

    /// Decodes and checks a payload.
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        let payload: proto::Payload = wire::decode(bytes, MAX_PLAINTEXT_LEN)?;
        Ok(match wire::required(payload.kind.as_ref(), "kind")? {
            proto::payload::Kind::Content(content) => Self::Content(Content::from_wire(content)?),
            proto::payload::Kind::SenderKey(key) => Self::SenderKey(SenderKey::from_wire(key)?),
            proto::payload::Kind::RoomUpdate(update) => {
                Self::RoomUpdate(RoomUpdate::from_wire(update)?)
            }
        })
    }
}
