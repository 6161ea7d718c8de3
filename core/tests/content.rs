//! Message content: every body kind round-trips, and malformed content is refused with the
//! right error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::Timestamp;
use ember_core::content::{
    Body, CallAction, CallSignal, Classification, Content, FileReference, Location, MAX_TEXT_LEN,
    MessageId, ReceiptKind, Timers,
};
use ember_core::error::{ContentError, DecodeError};
use ember_core::file::FileKey;
use ember_core::sframe::CallSecret;
use ember_proto::prost::Message;
use ember_proto::v1 as proto;

fn file(name: &str) -> FileReference {
    FileReference {
        reference: "blob/42".into(),
        key: FileKey::from_slice(&[7; 32]).unwrap(),
        digest: [9; 32],
        size: 5 << 30,
        ciphertext_size: (5 << 30) + 1234,
        name: name.into(),
        media_type: "application/pdf".into(),
    }
}

fn bodies() -> Vec<Body> {
    vec![
        Body::Text("hello".into()),
        Body::File(file("report.pdf")),
        Body::VoiceClip {
            audio: file("clip.ogg"),
            duration_ms: 4200,
        },
        Body::Location(Location::Coordinates {
            latitude: 38.8977,
            longitude: -77.0365,
            accuracy_meters: 12.5,
        }),
        Body::Location(Location::Link("https://maps.example/p/1".into())),
        Body::Receipt {
            kind: ReceiptKind::Read,
            message_ids: vec![MessageId([1; 16]), MessageId([2; 16])],
        },
        Body::Delete {
            message_id: MessageId([3; 16]),
        },
        Body::Edit {
            message_id: MessageId([4; 16]),
            text: "fixed".into(),
        },
        Body::Call(CallSignal {
            action: CallAction::Start,
            call_id: [5; 16],
            call_secret: Some(CallSecret::from_slice(&[6; 32]).unwrap()),
            epoch: 0,
            sframe_suite: 4,
            video: true,
        }),
        Body::System {
            notice: ember_core::content::SystemNotice::RetentionOn,
            network: ember_core::network::NetworkId([8; 16]),
        },
    ]
}

#[test]
fn every_body_kind_round_trips_with_metadata() {
    for (i, body) in bodies().into_iter().enumerate() {
        let mut content = Content::new(
            MessageId([i as u8; 16]),
            Timestamp(1_700_000_000 + i as u64),
            body,
        );
        content.timers = Timers {
            expiry: Some(86_400),
            burn_on_read: (i % 2 == 0).then_some(10),
        };
        content.forwarded = i % 3 == 0;
        content.quick_reply = i % 4 == 0;
        content.sequence = i as u64;
        content.classification = if i % 2 == 0 {
            Classification::Unclassified
        } else {
            Classification::Unspecified
        };
        let decoded = Content::decode(&content.encode()).unwrap();
        assert_eq!(decoded, content, "body {i}");
    }
}

fn wire_text(text: &str) -> proto::Content {
    proto::Content {
        version: 1,
        message_id: vec![0; 16],
        sent_at: 1,
        body: Some(proto::content::Body::Text(proto::Text {
            text: text.into(),
        })),
        ..Default::default()
    }
}

#[test]
fn malformed_content_is_refused() {
    let decode = |content: proto::Content| Content::decode(&content.encode_to_vec());
    assert!(decode(wire_text("ok")).is_ok());
    assert_eq!(
        decode(proto::Content {
            version: 2,
            ..wire_text("x")
        }),
        Err(ContentError::Decode(DecodeError::UnsupportedVersion(2)))
    );
    assert_eq!(
        decode(proto::Content {
            message_id: vec![0; 15],
            ..wire_text("x")
        }),
        Err(ContentError::Decode(DecodeError::BadLength {
            field: "message_id",
            expected: 16,
            got: 15
        }))
    );
    assert_eq!(
        decode(proto::Content {
            body: None,
            ..wire_text("x")
        }),
        Err(ContentError::Decode(DecodeError::MissingField("body")))
    );
    let long = "a".repeat(MAX_TEXT_LEN + 1);
    assert!(matches!(
        decode(wire_text(&long)),
        Err(ContentError::TooLong { field: "text", .. })
    ));
    let bad_place = proto::Content {
        body: Some(proto::content::Body::Location(proto::Location {
            place: Some(proto::location::Place::Coordinates(proto::Coordinates {
                latitude: f64::NAN,
                longitude: 0.0,
                accuracy_meters: 1.0,
            })),
        })),
        ..wire_text("x")
    };
    assert_eq!(
        decode(bad_place),
        Err(ContentError::OutOfRange("coordinates"))
    );
    let bad_receipt = proto::Content {
        body: Some(proto::content::Body::Receipt(proto::Receipt {
            kind: 9,
            message_ids: vec![],
        })),
        ..wire_text("x")
    };
    assert_eq!(
        decode(bad_receipt),
        Err(ContentError::UnknownKind("receipt kind"))
    );
    assert_eq!(
        Content::decode(&[0xff, 0x01]),
        Err(ContentError::Decode(DecodeError::Protobuf))
    );
}

#[test]
fn debug_output_hides_file_keys_and_call_secrets() {
    for body in bodies() {
        let shown = format!("{body:?}");
        assert!(
            !shown.contains("7, 7, 7") && !shown.contains("6, 6, 6"),
            "{shown}"
        );
    }
}
