//! Message content and 1:1 payloads: [`content`] and [`payload`], and their seeds.

use alloc::vec::Vec;

use super::{NOW, truncated};
use crate::content::{
    Body, CallAction, CallSignal, Classification, Content, FileReference, Location, MessageId,
    ReceiptKind, SystemNotice, Timers,
};
use crate::file::FileKey;
use crate::network::NetworkId;
use crate::payload::Payload;
use crate::sframe::{CallSecret, CipherSuite};

/// Decodes message content with [`Content::decode`]. Accepted content must re-encode to equal
/// content, and its encoding must be stable.
pub fn content(data: &[u8]) {
    let Ok(content) = Content::decode(data) else {
        return;
    };
    let encoded = content.encode();
    let decoded = Content::decode(&encoded);
    assert_eq!(
        decoded.as_ref(),
        Ok(&content),
        "content does not survive re-encoding"
    );
    if let Ok(decoded) = decoded {
        assert!(
            decoded.encode() == encoded,
            "content encoding is not stable"
        );
    }
}

/// Decodes a 1:1 payload with [`Payload::decode`]. An accepted payload must re-encode to an
/// equal payload, and its encoding must be stable.
pub fn payload(data: &[u8]) {
    let Ok(payload) = Payload::decode(data) else {
        return;
    };
    let encoded = payload.encode();
    let decoded = Payload::decode(&encoded);
    assert_eq!(
        decoded.as_ref(),
        Ok(&payload),
        "a payload does not survive re-encoding"
    );
    if let Ok(decoded) = decoded {
        assert!(
            decoded.encode() == encoded,
            "payload encoding is not stable"
        );
    }
}

fn id(byte: u8) -> MessageId {
    MessageId([byte; 16])
}

fn message(byte: u8, body: Body) -> Content {
    Content::new(id(byte), NOW, body)
}

fn file_reference(name: &str, media_type: &str) -> FileReference {
    let mut key = [0x4b; 32];
    FileReference {
        reference: "blob/0123456789abcdef".into(),
        key: FileKey::from_bytes(&mut key),
        digest: [0xd1; 32],
        size: 2500,
        ciphertext_size: 2648,
        name: name.into(),
        media_type: media_type.into(),
    }
}

/// One message of each kind of body, with timers and flags on the first.
fn messages() -> Vec<(&'static str, Content)> {
    let mut text = message(1, Body::Text("on my way".into()));
    text.timers = Timers {
        expiry: Some(3600),
        burn_on_read: Some(30),
    };
    text.forwarded = true;
    text.quick_reply = true;
    text.classification = Classification::Unclassified;
    text.sequence = 7;
    let mut call_secret = [0x5c; 32];
    vec_of([
        ("seed-text", text),
        (
            "seed-file",
            message(
                2,
                Body::File(file_reference("report.pdf", "application/pdf")),
            ),
        ),
        (
            "seed-voice-clip",
            message(
                3,
                Body::VoiceClip {
                    audio: file_reference("clip.ogg", "audio/ogg"),
                    duration_ms: 4200,
                },
            ),
        ),
        (
            "seed-coordinates",
            message(
                4,
                Body::Location(Location::Coordinates {
                    latitude: 48.8566,
                    longitude: -2.3522,
                    accuracy_meters: 12.5,
                }),
            ),
        ),
        (
            "seed-link",
            message(
                5,
                Body::Location(Location::Link("https://example.invalid/place".into())),
            ),
        ),
        (
            "seed-receipt",
            message(
                6,
                Body::Receipt {
                    kind: ReceiptKind::Read,
                    message_ids: [1, 2, 3].map(id).to_vec(),
                },
            ),
        ),
        (
            "seed-delete",
            message(7, Body::Delete { message_id: id(1) }),
        ),
        (
            "seed-edit",
            message(
                8,
                Body::Edit {
                    message_id: id(1),
                    text: "on my way, 5 min".into(),
                },
            ),
        ),
        (
            "seed-call-start",
            message(
                9,
                Body::Call(CallSignal {
                    action: CallAction::Start,
                    call_id: [0xca; 16],
                    call_secret: Some(CallSecret::from_bytes(&mut call_secret)),
                    epoch: 0,
                    sframe_suite: CipherSuite::Aes256GcmSha512Tag128.id(),
                    video: true,
                }),
            ),
        ),
        (
            "seed-call-leave",
            message(
                10,
                Body::Call(CallSignal {
                    action: CallAction::Leave,
                    call_id: [0xca; 16],
                    call_secret: None,
                    epoch: 3,
                    sframe_suite: CipherSuite::Aes256GcmSha512Tag128.id(),
                    video: false,
                }),
            ),
        ),
        (
            "seed-system",
            message(
                11,
                Body::System {
                    notice: SystemNotice::RetentionOn,
                    network: NetworkId([0x4e; 16]),
                },
            ),
        ),
    ])
}

fn vec_of<T, const N: usize>(items: [T; N]) -> Vec<T> {
    items.into_iter().collect()
}

/// The seeds of [`content`] and [`payload`]: content of every kind, room control payloads
/// (`room_payloads`: a member list and a sender key), and a few that must be refused.
pub(super) fn seeds(
    add: &mut impl FnMut(&'static str, &'static str, Vec<u8>),
    room_payloads: [(&'static str, Vec<u8>); 2],
) {
    let messages = messages();
    for (name, content) in &messages {
        add("content", name, content.encode().to_vec());
    }
    let text = messages[0].1.encode().to_vec();
    let out_of_range = message(
        12,
        Body::Location(Location::Coordinates {
            latitude: 91.0,
            longitude: 0.0,
            accuracy_meters: 1.0,
        }),
    );
    add(
        "content",
        "seed-out-of-range",
        out_of_range.encode().to_vec(),
    );
    add("content", "seed-truncated", truncated(&text));

    for (name, content) in messages
        .into_iter()
        .filter(|(name, _)| ["seed-text", "seed-file", "seed-call-start"].contains(name))
    {
        add("payload", name, Payload::Content(content).encode().to_vec());
    }
    let [(update_name, update), (key_name, key)] = room_payloads;
    add("payload", key_name, key.clone());
    add("payload", "seed-truncated", truncated(&key));
    add("payload", update_name, update);
    add("payload", "seed-empty", Vec::new());
}
