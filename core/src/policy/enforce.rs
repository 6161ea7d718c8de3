//! Enforcement: pure functions of a verified policy and a message's content.

use crate::content::{Body, CallAction, CallSignal, Content, Location};

use super::error::PolicyViolation;
use super::group::{CallingRules, FileAccess, LocationSharing, VerifiedPolicy};
use super::settings::VerifiedNetworkSettings;

/// Checks a message against its sender's policy before it is encrypted, and caps its timers.
///
/// Call it with the policy of the member who sends, whatever the conversation: in a room
/// whose members come from several groups or networks, each member's own policy governs what
/// that member may send. Refused, with nothing changed on the way:
///
/// - a forwarded message when forwarding is off;
/// - a location when location sharing is off, coordinates when it is link-only;
/// - a call start, join or rekey when audio calls are off, and one with video when video is
///   off (leaving a call is always allowed);
/// - a message marked as a quick reply that is not a text from the policy's list.
///
/// On success the content's timers are capped by the policy ([`crate::content::Timers::capped`]):
/// a timer above its cap is lowered to it, and a missing timer becomes the cap.
pub fn check_outgoing(
    policy: &VerifiedPolicy,
    mut content: Content,
) -> Result<Content, PolicyViolation> {
    let rules = &policy.policy().messaging;
    if content.forwarded && !rules.forwarding {
        return Err(PolicyViolation::ForwardingOff);
    }
    if content.quick_reply {
        let listed = match &content.body {
            Body::Text(text) => rules.quick_replies.iter().any(|reply| reply == text),
            _ => false,
        };
        if !listed {
            return Err(PolicyViolation::NotAQuickReply);
        }
    }
    // Every kind is named, so that a new kind of body is a decision, not a default.
    match &content.body {
        Body::Location(location) => match (rules.location, location) {
            (LocationSharing::Off, _) => return Err(PolicyViolation::LocationOff),
            (LocationSharing::LinkOnly, Location::Coordinates { .. }) => {
                return Err(PolicyViolation::LocationLinkOnly);
            }
            (LocationSharing::LinkOnly, Location::Link(_)) | (LocationSharing::Map, _) => {}
        },
        Body::Call(call) => check_call(&policy.policy().calling, call)?,
        Body::Text(_)
        | Body::File(_)
        | Body::VoiceClip { .. }
        | Body::Receipt { .. }
        | Body::Delete { .. }
        | Body::Edit { .. }
        | Body::System { .. } => {}
    }
    content.timers = content.timers.capped(&rules.timer_caps);
    Ok(content)
}

fn check_call(rules: &CallingRules, call: &CallSignal) -> Result<(), PolicyViolation> {
    match call.action {
        CallAction::Leave => Ok(()),
        CallAction::Start | CallAction::Join | CallAction::Rekey => {
            if !rules.audio {
                Err(PolicyViolation::CallsOff)
            } else if call.video && !rules.video {
                Err(PolicyViolation::VideoOff)
            } else {
                Ok(())
            }
        }
    }
}

/// Applies the receiver's policy to a message it decrypted: its timers are capped by the
/// receiver's caps, and a file it carries may be saved only where the receiver's group
/// allows downloads.
///
/// The sender applied its own caps before sending ([`check_outgoing`]), so when the two
/// groups differ the stricter timer wins. Nothing is refused here: the message was already
/// sent, and the receiver's policy governs what the receiver does with it.
pub fn check_incoming(receiver_policy: &VerifiedPolicy, mut content: Content) -> Incoming {
    let policy = receiver_policy.policy();
    content.timers = content.timers.capped(&policy.messaging.timer_caps);
    Incoming {
        content,
        file_access: policy.files.access,
    }
}

/// A received message after the receiver's policy was applied.
#[derive(Debug, PartialEq)]
pub struct Incoming {
    content: Content,
    file_access: FileAccess,
}

impl Incoming {
    /// The content, with its timers capped by the receiver's policy.
    pub const fn content(&self) -> &Content {
        &self.content
    }

    /// The content, with its timers capped by the receiver's policy.
    pub fn into_content(self) -> Content {
        self.content
    }

    /// Whether a file or voice clip in the message may be saved or only shown.
    pub const fn file_access(&self) -> FileAccess {
        self.file_access
    }

    /// Call before saving a file or voice clip of the message to storage the app does not
    /// control (downloads, export, share sheet): refused with
    /// [`PolicyViolation::PreviewOnly`] where the receiver's group allows previews only.
    pub const fn check_download(&self) -> Result<(), PolicyViolation> {
        match self.file_access {
            FileAccess::Download => Ok(()),
            FileAccess::PreviewOnly => Err(PolicyViolation::PreviewOnly),
        }
    }
}

/// Whether read receipts flow between users of two networks: only when both networks turn
/// them on. Delivery receipts are not affected. Either side checks before sending a read
/// receipt, and may check before showing one.
pub fn read_receipts_flow(a: &VerifiedNetworkSettings, b: &VerifiedNetworkSettings) -> bool {
    a.settings().read_receipts && b.settings().read_receipts
}

/// Whether a member may send a read receipt into a room: every member receives it, so its
/// own network and the network of every other member must turn read receipts on.
pub fn read_receipts_flow_in_room<'a>(
    own: &VerifiedNetworkSettings,
    others: impl IntoIterator<Item = &'a VerifiedNetworkSettings>,
) -> bool {
    own.settings().read_receipts
        && others
            .into_iter()
            .all(|other| other.settings().read_receipts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{MessageId, Timers};
    use crate::ids::Timestamp;
    use crate::network::{NetworkId, NetworkKey};
    use crate::policy::{SecurityGroupId, SecurityGroupPolicy};
    use alloc::string::ToString;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn call(action: CallAction, video: bool) -> Content {
        Content::new(
            MessageId([1; 16]),
            Timestamp(5),
            Body::Call(CallSignal {
                action,
                call_id: [2; 16],
                call_secret: None,
                epoch: 0,
                sframe_suite: 1,
                video,
            }),
        )
    }

    #[test]
    fn leaving_a_call_is_always_allowed_and_quick_replies_must_be_listed() {
        let mut rng = ChaCha20Rng::from_seed([31; 32]);
        let key = NetworkKey::generate(&mut rng);
        let mut policy = SecurityGroupPolicy::new(
            NetworkId::generate(&mut rng),
            SecurityGroupId::generate(&mut rng),
            1,
            Timestamp(0),
        );
        policy.calling.audio = false;
        policy.calling.video = false;
        policy.messaging.quick_replies = alloc::vec!["On my way".to_string()];
        let policy = policy.sign(&key).unwrap();
        assert!(check_outgoing(&policy, call(CallAction::Leave, true)).is_ok());
        for action in [CallAction::Start, CallAction::Join, CallAction::Rekey] {
            assert_eq!(
                check_outgoing(&policy, call(action, false)),
                Err(PolicyViolation::CallsOff)
            );
        }
        let mut reply = Content::new(
            MessageId([3; 16]),
            Timestamp(5),
            Body::Text("On my way".into()),
        );
        reply.quick_reply = true;
        assert!(check_outgoing(&policy, reply).is_ok());
        let mut forged = Content::new(MessageId([4; 16]), Timestamp(5), Body::Text("Hi".into()));
        forged.quick_reply = true;
        assert_eq!(
            check_outgoing(&policy, forged),
            Err(PolicyViolation::NotAQuickReply)
        );
        let mut not_text = call(CallAction::Leave, false);
        not_text.quick_reply = true;
        assert_eq!(
            check_outgoing(&policy, not_text),
            Err(PolicyViolation::NotAQuickReply)
        );
        // The default caps give every message an expiry timer.
        let plain = check_outgoing(
            &policy,
            Content::new(MessageId([5; 16]), Timestamp(5), Body::Text("x".into())),
        )
        .unwrap();
        assert_eq!(
            plain.timers,
            Timers {
                expiry: Some(30 * 24 * 3600),
                burn_on_read: None
            }
        );
    }
}
