//! What travels inside the channel: the plugin's requests and the messenger's replies, and
//! their conversion to and from `atak.proto`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;
use zeroize::Zeroizing;

use super::{ChannelError, MAX_CONVERSATION_ID_LEN};
use crate::content::{MAX_NAME_LEN, MAX_TEXT_LEN};
use crate::error::DecodeError;
use crate::wire;

/// A request's id: the counter of the frame that carried it. Responses name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// The messenger's id of a conversation (1:1 or room), opaque to Ember:
/// 1 to [`MAX_CONVERSATION_ID_LEN`] bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId(Vec<u8>);

impl ConversationId {
    /// Copies an id of 1 to [`MAX_CONVERSATION_ID_LEN`] bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        (!bytes.is_empty() && bytes.len() <= MAX_CONVERSATION_ID_LEN).then(|| Self(bytes.to_vec()))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn from_wire(bytes: &[u8]) -> Result<Self, ChannelError> {
        Self::from_slice(bytes).ok_or(ChannelError::BadLength {
            field: "conversation_id",
            len: bytes.len(),
            max: MAX_CONVERSATION_ID_LEN,
        })
    }
}

impl fmt::Debug for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConversationId(")?;
        for byte in &self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// What a plugin asks the messenger to do. The messenger applies its policy to each, as to
/// anything its own user does, and answers with a [`PluginResponse`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginAction {
    /// Send a text message.
    SendMessage {
        /// Where to.
        conversation: ConversationId,
        /// The text, up to [`MAX_TEXT_LEN`] bytes.
        text: String,
    },
    /// Send a file. The messenger reads, encrypts and uploads it itself.
    SendFile {
        /// Where to.
        conversation: ConversationId,
        /// How the messenger reads the file, such as a `content://` URI the plugin granted it
        /// read access to: 1 to [`MAX_NAME_LEN`] bytes.
        file_token: String,
        /// The file's name, up to [`MAX_NAME_LEN`] bytes.
        name: String,
        /// Its media type, up to [`MAX_NAME_LEN`] bytes.
        media_type: String,
    },
    /// Send a push-to-talk voice clip.
    SendVoiceClip {
        /// Where to.
        conversation: ConversationId,
        /// How the messenger reads the audio: 1 to [`MAX_NAME_LEN`] bytes.
        file_token: String,
        /// Its media type, such as `audio/ogg`, up to [`MAX_NAME_LEN`] bytes.
        media_type: String,
        /// Its duration in milliseconds.
        duration_ms: u32,
    },
    /// Start a call.
    StartCall {
        /// With whom.
        conversation: ConversationId,
        /// Whether with video.
        video: bool,
    },
    /// The plugin unpairs: the messenger revokes the channel when it opens this.
    Unpair,
}

/// A request as the messenger opened it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRequest {
    /// Its id, to answer it with.
    pub id: RequestId,
    /// What the plugin asks for.
    pub action: PluginAction,
}

/// The outcome of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestStatus {
    /// Done (the message or file is on its way, the call is ringing).
    Ok,
    /// The messenger's policy does not allow it (file sending, calls, video, ...).
    RefusedByPolicy,
    /// The messenger has no such conversation.
    UnknownConversation,
    /// The messenger could not read the file through its token.
    FileUnavailable,
    /// Anything else went wrong.
    Failed,
}

/// The messenger's answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PluginResponse {
    /// The request it answers.
    pub request: RequestId,
    /// The outcome.
    pub status: RequestStatus,
}

/// What the plugin receives from the messenger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessengerReply {
    /// The answer to a request.
    Response(PluginResponse),
    /// The messenger unpaired: the plugin's channel is now revoked.
    Unpaired,
}

fn check_len(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), ChannelError> {
    if value.len() < min || value.len() > max {
        return Err(ChannelError::BadLength {
            field,
            len: value.len(),
            max,
        });
    }
    Ok(())
}

impl PluginAction {
    /// Every length within its bound.
    pub(crate) fn check(&self) -> Result<(), ChannelError> {
        match self {
            Self::SendMessage { text, .. } => check_len("text", text, 0, MAX_TEXT_LEN),
            Self::SendFile {
                file_token,
                name,
                media_type,
                ..
            } => {
                check_len("file_token", file_token, 1, MAX_NAME_LEN)?;
                check_len("name", name, 0, MAX_NAME_LEN)?;
                check_len("media_type", media_type, 0, MAX_NAME_LEN)
            }
            Self::SendVoiceClip {
                file_token,
                media_type,
                ..
            } => {
                check_len("file_token", file_token, 1, MAX_NAME_LEN)?;
                check_len("media_type", media_type, 0, MAX_NAME_LEN)
            }
            Self::StartCall { .. } | Self::Unpair => Ok(()),
        }
    }

    /// The encoded request, wiped when dropped.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        use proto::atak_plugin_request::Action;
        let action = match self {
            Self::SendMessage { conversation, text } => {
                Action::SendMessage(proto::AtakSendMessage {
                    conversation_id: conversation.0.clone(),
                    text: text.clone(),
                })
            }
            Self::SendFile {
                conversation,
                file_token,
                name,
                media_type,
            } => Action::SendFile(proto::AtakSendFile {
                conversation_id: conversation.0.clone(),
                file_token: file_token.clone(),
                name: name.clone(),
                media_type: media_type.clone(),
            }),
            Self::SendVoiceClip {
                conversation,
                file_token,
                media_type,
                duration_ms,
            } => Action::SendVoiceClip(proto::AtakSendVoiceClip {
                conversation_id: conversation.0.clone(),
                file_token: file_token.clone(),
                media_type: media_type.clone(),
                duration_ms: *duration_ms,
            }),
            Self::StartCall {
                conversation,
                video,
            } => Action::StartCall(proto::AtakStartCall {
                conversation_id: conversation.0.clone(),
                video: *video,
            }),
            Self::Unpair => Action::Unpair(proto::AtakUnpair {}),
        };
        let request = proto::AtakPluginRequest {
            version: wire::VERSION,
            action: Some(action),
        };
        Zeroizing::new(request.encode_to_vec())
    }

    /// Decodes and checks an authenticated plaintext.
    pub(crate) fn decode(plaintext: &[u8]) -> Result<Self, ChannelError> {
        use proto::atak_plugin_request::Action;
        let request: proto::AtakPluginRequest = wire::decode(plaintext, super::MAX_FRAME_LEN)?;
        wire::check_version(request.version)?;
        let action = match wire::required(request.action, "action")? {
            Action::SendMessage(m) => Self::SendMessage {
                conversation: ConversationId::from_wire(&m.conversation_id)?,
                text: m.text,
            },
            Action::SendFile(m) => Self::SendFile {
                conversation: ConversationId::from_wire(&m.conversation_id)?,
                file_token: m.file_token,
                name: m.name,
                media_type: m.media_type,
            },
            Action::SendVoiceClip(m) => Self::SendVoiceClip {
                conversation: ConversationId::from_wire(&m.conversation_id)?,
                file_token: m.file_token,
                media_type: m.media_type,
                duration_ms: m.duration_ms,
            },
            Action::StartCall(m) => Self::StartCall {
                conversation: ConversationId::from_wire(&m.conversation_id)?,
                video: m.video,
            },
            Action::Unpair(proto::AtakUnpair {}) => Self::Unpair,
        };
        action.check()?;
        Ok(action)
    }
}

impl RequestStatus {
    fn to_wire(self) -> proto::AtakStatus {
        match self {
            Self::Ok => proto::AtakStatus::Ok,
            Self::RefusedByPolicy => proto::AtakStatus::RefusedByPolicy,
            Self::UnknownConversation => proto::AtakStatus::UnknownConversation,
            Self::FileUnavailable => proto::AtakStatus::FileUnavailable,
            Self::Failed => proto::AtakStatus::Failed,
        }
    }

    fn from_wire(status: i32) -> Result<Self, DecodeError> {
        match proto::AtakStatus::try_from(status) {
            Ok(proto::AtakStatus::Ok) => Ok(Self::Ok),
            Ok(proto::AtakStatus::RefusedByPolicy) => Ok(Self::RefusedByPolicy),
            Ok(proto::AtakStatus::UnknownConversation) => Ok(Self::UnknownConversation),
            Ok(proto::AtakStatus::FileUnavailable) => Ok(Self::FileUnavailable),
            Ok(proto::AtakStatus::Failed) => Ok(Self::Failed),
            Ok(proto::AtakStatus::Unspecified) | Err(_) => Err(DecodeError::OutOfRange("status")),
        }
    }
}

impl MessengerReply {
    /// The encoded reply (it holds no secret).
    pub(crate) fn encode(&self) -> Vec<u8> {
        use proto::atak_messenger_reply::Reply;
        let reply = match self {
            Self::Response(response) => Reply::Response(proto::AtakResponse {
                request_id: response.request.0,
                status: response.status.to_wire().into(),
            }),
            Self::Unpaired => Reply::Unpaired(proto::AtakUnpaired {}),
        };
        proto::AtakMessengerReply {
            version: wire::VERSION,
            reply: Some(reply),
        }
        .encode_to_vec()
    }

    /// Decodes and checks an authenticated plaintext.
    pub(crate) fn decode(plaintext: &[u8]) -> Result<Self, ChannelError> {
        use proto::atak_messenger_reply::Reply;
        let reply: proto::AtakMessengerReply = wire::decode(plaintext, super::MAX_FRAME_LEN)?;
        wire::check_version(reply.version)?;
        Ok(match wire::required(reply.reply, "reply")? {
            Reply::Response(response) => Self::Response(PluginResponse {
                request: RequestId(response.request_id),
                status: RequestStatus::from_wire(response.status)?,
            }),
            Reply::Unpaired(proto::AtakUnpaired {}) => Self::Unpaired,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation() -> ConversationId {
        ConversationId::from_slice(b"c").unwrap()
    }

    #[test]
    fn every_action_round_trips() {
        let actions = [
            PluginAction::SendMessage {
                conversation: conversation(),
                text: "x".into(),
            },
            PluginAction::SendFile {
                conversation: conversation(),
                file_token: "content://a/1".into(),
                name: "map.kmz".into(),
                media_type: "application/vnd.google-earth.kmz".into(),
            },
            PluginAction::SendVoiceClip {
                conversation: conversation(),
                file_token: "content://a/2".into(),
                media_type: "audio/ogg".into(),
                duration_ms: 3100,
            },
            PluginAction::StartCall {
                conversation: conversation(),
                video: true,
            },
            PluginAction::Unpair,
        ];
        for action in actions {
            assert_eq!(PluginAction::decode(&action.encode()), Ok(action));
        }
    }

    #[test]
    fn malformed_requests_are_refused() {
        let missing = proto::AtakPluginRequest {
            version: 1,
            action: None,
        };
        assert_eq!(
            PluginAction::decode(&missing.encode_to_vec()),
            Err(ChannelError::Decode(DecodeError::MissingField("action")))
        );
        let empty_conversation = proto::AtakPluginRequest {
            version: 1,
            action: Some(proto::atak_plugin_request::Action::StartCall(
                proto::AtakStartCall::default(),
            )),
        };
        assert_eq!(
            PluginAction::decode(&empty_conversation.encode_to_vec()),
            Err(ChannelError::BadLength {
                field: "conversation_id",
                len: 0,
                max: MAX_CONVERSATION_ID_LEN
            })
        );
        let no_token = PluginAction::SendFile {
            conversation: conversation(),
            file_token: String::new(),
            name: String::new(),
            media_type: String::new(),
        };
        assert!(matches!(
            PluginAction::decode(&no_token.encode()),
            Err(ChannelError::BadLength {
                field: "file_token",
                ..
            })
        ));
        let version_2 = proto::AtakPluginRequest {
            version: 2,
            action: None,
        };
        assert_eq!(
            PluginAction::decode(&version_2.encode_to_vec()),
            Err(ChannelError::Decode(DecodeError::UnsupportedVersion(2)))
        );
        assert!(ConversationId::from_slice(&[]).is_none());
        assert!(ConversationId::from_slice(&[0; MAX_CONVERSATION_ID_LEN + 1]).is_none());
    }

    #[test]
    fn replies_round_trip_and_unknown_status_is_refused() {
        for reply in [
            MessengerReply::Unpaired,
            MessengerReply::Response(PluginResponse {
                request: RequestId(7),
                status: RequestStatus::FileUnavailable,
            }),
        ] {
            assert_eq!(MessengerReply::decode(&reply.encode()), Ok(reply));
        }
        for status in [0, 99] {
            let bad = proto::AtakMessengerReply {
                version: 1,
                reply: Some(proto::atak_messenger_reply::Reply::Response(
                    proto::AtakResponse {
                        request_id: 1,
                        status,
                    },
                )),
            };
            assert_eq!(
                MessengerReply::decode(&bad.encode_to_vec()),
                Err(ChannelError::Decode(DecodeError::OutOfRange("status")))
            );
        }
    }
}
