//! Message content: what 1:1 sessions and rooms carry inside their encryption.
//!
//! One model for both: a [`Content`] has an id, the sender's clock, ephemeral [`Timers`],
//! the forwarded and quick-reply flags, a classification marker and one [`Body`]. It is
//! encoded as `ember.v1.Content` (`content.proto`), checked on the way in: required fields,
//! lengths within the named bounds, coordinates in range.
//!
//! ```
//! use ember_core::content::{Body, Content, MessageId, Timers};
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
//! let mut content = Content::new(MessageId::generate(&mut rng), Timestamp(1_700_000_000), Body::Text("on my way".into()));
//! content.timers = Timers { expiry: Some(3600), burn_on_read: Some(30) };
//! let bytes = content.encode();
//! let decoded = Content::decode(&bytes)?;
//! assert_eq!(decoded.body, Body::Text("on my way".into()));
//! assert_eq!(decoded.timers.burn_on_read, Some(30));
//! # Ok::<(), ember_core::error::ContentError>(())
//! ```

mod body;
mod timers;

use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

pub use body::{Body, CallAction, CallSignal, FileReference, Location, ReceiptKind, SystemNotice};
pub use timers::{TimerCaps, Timers};

use crate::error::{ContentError, DecodeError};
use crate::ids::Timestamp;
use crate::limits::MAX_PLAINTEXT_LEN;
use crate::wire;

/// Longest text of a text message or an edit, in bytes.
pub const MAX_TEXT_LEN: usize = 64 * 1024;
/// Longest file name, media type or file reference, in bytes.
pub const MAX_NAME_LEN: usize = 2048;
/// Most message ids in one receipt.
pub const MAX_RECEIPT_IDS: usize = 1000;

/// Length of a message id.
pub const MESSAGE_ID_LEN: usize = 16;

/// A random 16-byte message id; receipts, deletes and edits refer to messages by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub [u8; MESSAGE_ID_LEN]);

impl MessageId {
    /// A fresh random id.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut id = [0u8; MESSAGE_ID_LEN];
        rng.fill_bytes(&mut id);
        Self(id)
    }

    fn from_wire(field: &'static str, bytes: &[u8]) -> Result<Self, DecodeError> {
        wire::array(field, bytes).map(Self)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// Marks a conversation that crosses the government/commercial boundary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Classification {
    /// No marker.
    #[default]
    Unspecified,
    /// A participant is outside the government boundary: the conversation is unclassified.
    Unclassified,
}

/// One message as its sender wrote it.
#[derive(Debug, PartialEq)]
pub struct Content {
    /// The message's id.
    pub message_id: MessageId,
    /// The sender's clock when it sent the message.
    pub sent_at: Timestamp,
    /// The sender's ephemeral timers.
    pub timers: Timers,
    /// Whether the message was forwarded from another conversation.
    pub forwarded: bool,
    /// Whether it is one of the policy's quick replies.
    pub quick_reply: bool,
    /// The conversation's classification marker.
    pub classification: Classification,
    /// The sender device's number for this message in this conversation, from 1 (0: not
    /// numbered). A compliance recipient reports the numbers it never received.
    pub sequence: u64,
    /// What the message says or does.
    pub body: Body,
}

impl Content {
    /// A message with no timers or flags.
    pub fn new(message_id: MessageId, sent_at: Timestamp, body: Body) -> Self {
        Self {
            message_id,
            sent_at,
            timers: Timers::default(),
            forwarded: false,
            quick_reply: false,
            classification: Classification::Unspecified,
            sequence: 0,
            body,
        }
    }

    /// The encoded content, wiped when dropped (it may hold file keys or a call secret).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.to_wire().encode_to_vec())
    }

    /// Decodes and checks content.
    pub fn decode(bytes: &[u8]) -> Result<Self, ContentError> {
        let content: proto::Content = wire::decode(bytes, MAX_PLAINTEXT_LEN)?;
        Self::from_wire(&content)
    }

    pub(crate) fn to_wire(&self) -> proto::Content {
        proto::Content {
            version: wire::VERSION,
            message_id: self.message_id.0.to_vec(),
            sent_at: self.sent_at.0,
            timers: (self.timers != Timers::default()).then(|| proto::Timers {
                expiry_seconds: self.timers.expiry.unwrap_or(0),
                burn_on_read_seconds: self.timers.burn_on_read.unwrap_or(0),
            }),
            forwarded: self.forwarded,
            quick_reply: self.quick_reply,
            classification: match self.classification {
                Classification::Unspecified => proto::Classification::Unspecified,
                Classification::Unclassified => proto::Classification::Unclassified,
            }
            .into(),
            sequence: self.sequence,
            body: Some(self.body.to_wire()),
        }
    }

    pub(crate) fn from_wire(content: &proto::Content) -> Result<Self, ContentError> {
        wire::check_version(content.version)?;
        let timers = content
            .timers
            .as_ref()
            .map_or(Timers::default(), |timers| Timers {
                expiry: non_zero(timers.expiry_seconds),
                burn_on_read: non_zero(timers.burn_on_read_seconds),
            });
        let classification = match proto::Classification::try_from(content.classification) {
            Ok(proto::Classification::Unspecified) => Classification::Unspecified,
            Ok(proto::Classification::Unclassified) => Classification::Unclassified,
            Err(_) => return Err(ContentError::UnknownKind("classification")),
        };
        Ok(Self {
            message_id: MessageId::from_wire("message_id", &content.message_id)?,
            sent_at: Timestamp(content.sent_at),
            timers,
            forwarded: content.forwarded,
            quick_reply: content.quick_reply,
            classification,
            sequence: content.sequence,
            body: Body::from_wire(wire::required(content.body.as_ref(), "body")?)?,
        })
    }
}

fn non_zero(seconds: u32) -> Option<u32> {
    (seconds != 0).then_some(seconds)
}
