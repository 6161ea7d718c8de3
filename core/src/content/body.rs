//! The kinds of message body and their checks.

use alloc::string::String;
use alloc::vec::Vec;

use ember_proto::v1 as proto;

use super::{MAX_NAME_LEN, MAX_RECEIPT_IDS, MAX_TEXT_LEN, MessageId};
use crate::error::{ContentError, DecodeError};
use crate::file::FileKey;
use crate::network::NetworkId;
use crate::sframe::CallSecret;
use crate::wire;

/// What a message says or does.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// A text message.
    Text(String),
    /// A file, encrypted with Ember's file encryption and stored by reference.
    File(FileReference),
    /// A push-to-talk voice clip.
    VoiceClip {
        /// The audio file.
        audio: FileReference,
        /// Its duration in milliseconds.
        duration_ms: u32,
    },
    /// A location.
    Location(Location),
    /// A delivery or read receipt for earlier messages.
    Receipt {
        /// Delivered or read.
        kind: ReceiptKind,
        /// The messages it covers.
        message_ids: Vec<MessageId>,
    },
    /// Delete an earlier message for everyone.
    Delete {
        /// The message to delete.
        message_id: MessageId,
    },
    /// Replace the text of an earlier message.
    Edit {
        /// The message to edit.
        message_id: MessageId,
        /// Its new text.
        text: String,
    },
    /// Call signalling.
    Call(CallSignal),
    /// A notice to show as a system message.
    System {
        /// What happened.
        notice: SystemNotice,
        /// The network it concerns.
        network: NetworkId,
    },
}

/// What a system message announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemNotice {
    /// The network turned data retention on: a compliance recipient now receives every message.
    RetentionOn,
    /// The network turned data retention off.
    RetentionOff,
}

/// A file by reference, with the key and digest to fetch and check it.
#[derive(Debug, PartialEq)]
pub struct FileReference {
    /// Where to fetch the ciphertext; opaque to Ember.
    pub reference: String,
    /// The file key (never printed).
    pub key: FileKey,
    /// SHA-256 of the whole ciphertext stream.
    pub digest: [u8; 32],
    /// Plaintext size in bytes.
    pub size: u64,
    /// Ciphertext size in bytes.
    pub ciphertext_size: u64,
    /// The file's name.
    pub name: String,
    /// Its media type, such as `audio/ogg`.
    pub media_type: String,
}

/// A location: coordinates, or only a link where the policy allows no map.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// Coordinates in degrees, with an accuracy radius in meters.
    Coordinates {
        /// Latitude, -90 to 90.
        latitude: f64,
        /// Longitude, -180 to 180.
        longitude: f64,
        /// Accuracy radius, at least 0.
        accuracy_meters: f32,
    },
    /// A link to a place.
    Link(String),
}

/// The kind of a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    /// The message reached the device.
    Delivered,
    /// The reader opened the message.
    Read,
}

/// A call signal.
#[derive(Debug, PartialEq)]
pub struct CallSignal {
    /// What happens.
    pub action: CallAction,
    /// The call's id.
    pub call_id: [u8; 16],
    /// The call secret, on start and rekey (never printed).
    pub call_secret: Option<CallSecret>,
    /// The SFrame key epoch.
    pub epoch: u32,
    /// The RFC 9605 cipher suite.
    pub sframe_suite: u16,
    /// Whether the call has video.
    pub video: bool,
}

/// What a call signal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallAction {
    /// Start a call, with its secret.
    Start,
    /// Join a running call.
    Join,
    /// Leave a call.
    Leave,
    /// A new call secret after someone left.
    Rekey,
}

impl Body {
    pub(crate) fn to_wire(&self) -> proto::content::Body {
        use proto::content::Body as Wire;
        match self {
            Self::Text(text) => Wire::Text(proto::Text { text: text.clone() }),
            Self::File(file) => Wire::File(file.to_wire()),
            Self::VoiceClip { audio, duration_ms } => Wire::VoiceClip(proto::VoiceClip {
                audio: Some(audio.to_wire()),
                duration_ms: *duration_ms,
            }),
            Self::Location(location) => Wire::Location(proto::Location {
                place: Some(match location {
                    Location::Coordinates {
                        latitude,
                        longitude,
                        accuracy_meters,
                    } => proto::location::Place::Coordinates(proto::Coordinates {
                        latitude: *latitude,
                        longitude: *longitude,
                        accuracy_meters: *accuracy_meters,
                    }),
                    Location::Link(link) => proto::location::Place::Link(link.clone()),
                }),
            }),
            Self::Receipt { kind, message_ids } => Wire::Receipt(proto::Receipt {
                kind: match kind {
                    ReceiptKind::Delivered => proto::ReceiptKind::Delivered,
                    ReceiptKind::Read => proto::ReceiptKind::Read,
                }
                .into(),
                message_ids: message_ids.iter().map(|id| id.0.to_vec()).collect(),
            }),
            Self::Delete { message_id } => Wire::Delete(proto::Delete {
                message_id: message_id.0.to_vec(),
            }),
            Self::Edit { message_id, text } => Wire::Edit(proto::Edit {
                message_id: message_id.0.to_vec(),
                text: text.clone(),
            }),
            Self::Call(call) => Wire::Call(proto::CallSignal {
                action: match call.action {
                    CallAction::Start => proto::CallAction::Start,
                    CallAction::Join => proto::CallAction::Join,
                    CallAction::Leave => proto::CallAction::Leave,
                    CallAction::Rekey => proto::CallAction::Rekey,
                }
                .into(),
                call_id: call.call_id.to_vec(),
                call_secret: call
                    .call_secret
                    .as_ref()
                    .map(|secret| secret.to_bytes().to_vec())
                    .unwrap_or_default(),
                epoch: call.epoch,
                sframe_suite: u32::from(call.sframe_suite),
                video: call.video,
            }),
            Self::System { notice, network } => Wire::System(proto::SystemNotice {
                kind: match notice {
                    SystemNotice::RetentionOn => proto::SystemNoticeKind::RetentionOn,
                    SystemNotice::RetentionOff => proto::SystemNoticeKind::RetentionOff,
                }
                .into(),
                network_id: network.0.to_vec(),
            }),
        }
    }

    pub(crate) fn from_wire(body: &proto::content::Body) -> Result<Self, ContentError> {
        use proto::content::Body as Wire;
        Ok(match body {
            Wire::Text(text) => Self::Text(bounded_text("text", &text.text, MAX_TEXT_LEN)?),
            Wire::File(file) => Self::File(FileReference::from_wire(file)?),
            Wire::VoiceClip(clip) => Self::VoiceClip {
                audio: FileReference::from_wire(wire::required(clip.audio.as_ref(), "audio")?)?,
                duration_ms: clip.duration_ms,
            },
            Wire::Location(location) => {
                Self::Location(match wire::required(location.place.as_ref(), "place")? {
                    proto::location::Place::Coordinates(at) => {
                        let valid = (-90.0..=90.0).contains(&at.latitude)
                            && (-180.0..=180.0).contains(&at.longitude)
                            && at.accuracy_meters >= 0.0
                            && at.accuracy_meters.is_finite();
                        if !valid {
                            return Err(ContentError::OutOfRange("coordinates"));
                        }
                        Location::Coordinates {
                            latitude: at.latitude,
                            longitude: at.longitude,
                            accuracy_meters: at.accuracy_meters,
                        }
                    }
                    proto::location::Place::Link(link) => {
                        Location::Link(bounded_text("link", link, MAX_NAME_LEN)?)
                    }
                })
            }
            Wire::Receipt(receipt) => {
                if receipt.message_ids.len() > MAX_RECEIPT_IDS {
                    return Err(DecodeError::TooMany {
                        field: "message_ids",
                        max: MAX_RECEIPT_IDS,
                    }
                    .into());
                }
                Self::Receipt {
                    kind: match proto::ReceiptKind::try_from(receipt.kind) {
                        Ok(proto::ReceiptKind::Delivered) => ReceiptKind::Delivered,
                        Ok(proto::ReceiptKind::Read) => ReceiptKind::Read,
                        _ => return Err(ContentError::UnknownKind("receipt kind")),
                    },
                    message_ids: receipt
                        .message_ids
                        .iter()
                        .map(|id| MessageId::from_wire("message_ids", id))
                        .collect::<Result<_, _>>()?,
                }
            }
            Wire::Delete(delete) => Self::Delete {
                message_id: MessageId::from_wire("message_id", &delete.message_id)?,
            },
            Wire::Edit(edit) => Self::Edit {
                message_id: MessageId::from_wire("message_id", &edit.message_id)?,
                text: bounded_text("text", &edit.text, MAX_TEXT_LEN)?,
            },
            Wire::Call(call) => Self::Call(CallSignal {
                action: match proto::CallAction::try_from(call.action) {
                    Ok(proto::CallAction::Start) => CallAction::Start,
                    Ok(proto::CallAction::Join) => CallAction::Join,
                    Ok(proto::CallAction::Leave) => CallAction::Leave,
                    Ok(proto::CallAction::Rekey) => CallAction::Rekey,
                    _ => return Err(ContentError::UnknownKind("call action")),
                },
                call_id: wire::array("call_id", &call.call_id)?,
                call_secret: match call.call_secret.as_slice() {
                    [] => None,
                    bytes => Some(CallSecret::from_slice(bytes).ok_or(DecodeError::BadLength {
                        field: "call_secret",
                        expected: 32,
                        got: bytes.len(),
                    })?),
                },
                epoch: call.epoch,
                sframe_suite: u16::try_from(call.sframe_suite)
                    .map_err(|_| ContentError::OutOfRange("sframe_suite"))?,
                video: call.video,
            }),
            Wire::System(system) => Self::System {
                notice: match proto::SystemNoticeKind::try_from(system.kind) {
                    Ok(proto::SystemNoticeKind::RetentionOn) => SystemNotice::RetentionOn,
                    Ok(proto::SystemNoticeKind::RetentionOff) => SystemNotice::RetentionOff,
                    _ => return Err(ContentError::UnknownKind("system notice")),
                },
                network: NetworkId(wire::array("network_id", &system.network_id)?),
            },
        })
    }
}

impl FileReference {
    fn to_wire(&self) -> proto::FileReference {
        proto::FileReference {
            reference: self.reference.clone(),
            key: self.key.expose_bytes().to_vec(),
            digest: self.digest.to_vec(),
            size: self.size,
            name: self.name.clone(),
            media_type: self.media_type.clone(),
            ciphertext_size: self.ciphertext_size,
        }
    }

    fn from_wire(file: &proto::FileReference) -> Result<Self, ContentError> {
        Ok(Self {
            reference: bounded_text("reference", &file.reference, MAX_NAME_LEN)?,
            key: FileKey::from_slice(&file.key).ok_or(DecodeError::BadLength {
                field: "key",
                expected: 32,
                got: file.key.len(),
            })?,
            digest: wire::array("digest", &file.digest)?,
            size: file.size,
            ciphertext_size: file.ciphertext_size,
            name: bounded_text("name", &file.name, MAX_NAME_LEN)?,
            media_type: bounded_text("media_type", &file.media_type, MAX_NAME_LEN)?,
        })
    }
}

fn bounded_text(field: &'static str, text: &str, max: usize) -> Result<String, ContentError> {
    if text.len() > max {
        return Err(ContentError::TooLong {
            field,
            len: text.len(),
            max,
        });
    }
    Ok(String::from(text))
}
