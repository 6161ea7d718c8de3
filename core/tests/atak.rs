//! ATAK plugin pairing: the happy path in both directions, then one test per attack or misuse
//! (policy, caller, code mismatch, man in the middle, tampered, replayed, reordered, reflected
//! and misrouted frames, unpairing from either side, policy changes, sealed state).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::atak::{
    AtakRules, ChannelError, ChannelId, ConversationId, FRAME_HEADER_LEN, MAX_FRAME_LEN,
    MAX_PAIRED_CHANNELS, MAX_PAIRING_MESSAGE_LEN, MessengerReply, PairingError, PairingRegistry,
    PendingApproval, PluginAction, PluginChannel, PluginConfirmation, PluginPairing,
    PluginResponse, RequestId, RequestStatus,
};
use ember_core::content::MAX_TEXT_LEN;
use ember_core::crypto::Secret32;
use ember_core::error::{DecodeError, SnapshotError};
use ember_proto::prost::Message;
use ember_proto::v1 as proto;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const ATAK: &str = "com.atakmap.app.civ";
const ATAK_MIL: &str = "com.atakmap.app.mil";

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn rules() -> AtakRules {
    AtakRules::allowing([ATAK, ATAK_MIL])
}

fn conversation(name: &[u8]) -> ConversationId {
    ConversationId::from_slice(name).unwrap()
}

fn message(text: &str) -> PluginAction {
    PluginAction::SendMessage {
        conversation: conversation(b"room-1"),
        text: text.into(),
    }
}

/// Runs the four pairing messages up to the point where both sides show their code.
fn up_to_codes(
    rng: &mut ChaCha20Rng,
    registry: &PairingRegistry,
    package: &str,
) -> (PluginConfirmation, PendingApproval) {
    let (plugin, request) = PluginPairing::start(rng, package).unwrap();
    let (pending, response) = registry.receive_request(rng, &request, package).unwrap();
    let (plugin, reveal) = plugin.receive_response(&response).unwrap();
    let approval = pending.receive_reveal(&reveal).unwrap();
    (plugin, approval)
}

/// A full pairing, both users confirming.
fn pair(rng: &mut ChaCha20Rng, registry: &mut PairingRegistry, package: &str) -> PluginChannel {
    let (plugin, approval) = up_to_codes(rng, registry, package);
    assert_eq!(plugin.sas(), approval.sas());
    let (id, confirm) = approval.approve(true, registry).unwrap();
    let channel = plugin.finish(&confirm, true).unwrap();
    assert_eq!(channel.id(), id);
    channel
}

fn pairing_message(step: proto::atak_pairing::Step) -> Vec<u8> {
    proto::AtakPairing {
        version: 1,
        step: Some(step),
    }
    .encode_to_vec()
}

fn step(bytes: &[u8]) -> proto::atak_pairing::Step {
    proto::AtakPairing::decode(bytes).unwrap().step.unwrap()
}

#[test]
fn pairing_then_every_request_and_response() {
    let mut rng = rng(1);
    let mut registry = PairingRegistry::new(rules());
    let (plugin, approval) = up_to_codes(&mut rng, &registry, ATAK);
    assert_eq!(plugin.sas(), approval.sas());
    assert_eq!(plugin.sas().to_string().len(), 6);
    assert_eq!((plugin.package(), approval.package()), (ATAK, ATAK));
    let (id, confirm) = approval.approve(true, &mut registry).unwrap();
    let mut channel = plugin.finish(&confirm, true).unwrap();
    assert_eq!(channel.id(), id);
    assert_eq!(channel.package(), ATAK);
    assert_eq!(registry.channels().collect::<Vec<_>>(), [(id, ATAK)]);
    assert_eq!(registry.package(id), Some(ATAK));

    let actions = [
        message("contact at grid 18S UJ 2337 0651"),
        PluginAction::SendFile {
            conversation: conversation(b"room-1"),
            file_token: "content://com.atakmap.app.civ.files/42".into(),
            name: "overlay.kmz".into(),
            media_type: "application/vnd.google-earth.kmz".into(),
        },
        PluginAction::SendVoiceClip {
            conversation: conversation(&[7; 16]),
            file_token: "content://com.atakmap.app.civ.files/43".into(),
            media_type: "audio/ogg".into(),
            duration_ms: 4200,
        },
        PluginAction::StartCall {
            conversation: conversation(&[7; 16]),
            video: true,
        },
        message(""),
        message(&"x".repeat(MAX_TEXT_LEN)),
    ];
    let statuses = [
        RequestStatus::Ok,
        RequestStatus::RefusedByPolicy,
        RequestStatus::UnknownConversation,
        RequestStatus::FileUnavailable,
        RequestStatus::Failed,
        RequestStatus::Ok,
    ];
    for (n, (action, status)) in actions.iter().zip(statuses).enumerate() {
        let (request_id, frame) = channel.seal_request(&mut rng, action).unwrap();
        assert_eq!(
            request_id,
            RequestId(n as u64),
            "request ids are the counters"
        );
        let (from, request) = registry.open_request(&frame).unwrap();
        assert_eq!(from, id);
        assert_eq!(request.id, request_id);
        assert_eq!(&request.action, action);
        let response = PluginResponse {
            request: request.id,
            status,
        };
        let reply = registry.seal_response(&mut rng, from, &response).unwrap();
        assert_eq!(
            channel.open_reply(&reply).unwrap(),
            MessengerReply::Response(response)
        );
    }
    // Responses may come in any order of requests, but frames only in order.
    let (first, a) = channel.seal_request(&mut rng, &message("a")).unwrap();
    let (second, b) = channel.seal_request(&mut rng, &message("b")).unwrap();
    registry.open_request(&a).unwrap();
    registry.open_request(&b).unwrap();
    for request in [second, first] {
        let response = PluginResponse {
            request,
            status: RequestStatus::Ok,
        };
        let reply = registry.seal_response(&mut rng, id, &response).unwrap();
        assert_eq!(
            channel.open_reply(&reply).unwrap(),
            MessengerReply::Response(response)
        );
    }
}

#[test]
fn package_the_policy_does_not_allow_is_refused() {
    let mut rng = rng(2);
    let registry = PairingRegistry::new(AtakRules::allowing([ATAK]));
    let (_plugin, request) = PluginPairing::start(&mut rng, "com.example.tracker").unwrap();
    assert_eq!(
        registry
            .receive_request(&mut rng, &request, "com.example.tracker")
            .unwrap_err(),
        PairingError::PackageNotAllowed
    );
    // Names are compared exactly.
    let (_plugin, request) = PluginPairing::start(&mut rng, "com.atakmap.app.CIV").unwrap();
    assert_eq!(
        registry
            .receive_request(&mut rng, &request, "com.atakmap.app.CIV")
            .unwrap_err(),
        PairingError::PackageNotAllowed
    );
    assert!(registry.is_empty());
}

#[test]
fn atak_disabled_is_refused_before_parsing() {
    let mut rng = rng(3);
    let (_plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let off = AtakRules {
        enabled: false,
        allowed_packages: vec![ATAK.into()],
    };
    for rules in [off, AtakRules::default()] {
        let registry = PairingRegistry::new(rules);
        for input in [&request[..], b"garbage"] {
            assert_eq!(
                registry.receive_request(&mut rng, input, ATAK).unwrap_err(),
                PairingError::AtakDisabled
            );
        }
    }
}

#[test]
fn request_naming_another_package_than_the_caller_is_refused() {
    let mut rng = rng(4);
    let registry = PairingRegistry::new(rules());
    // A different app claims to be ATAK: the platform reports its real package.
    let (_plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    assert_eq!(
        registry
            .receive_request(&mut rng, &request, "com.example.spy")
            .unwrap_err(),
        PairingError::CallerMismatch
    );
}

#[test]
fn invalid_package_names_are_refused_on_both_sides() {
    let mut rng = rng(5);
    for bad in [
        "",
        "atak",
        "com.atak map",
        &format!("a.{}", "b".repeat(300)),
    ] {
        assert_eq!(
            PluginPairing::start(&mut rng, bad).unwrap_err(),
            PairingError::InvalidPackageName
        );
    }
    let (_plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let proto::atak_pairing::Step::Request(mut inner) = step(&request) else {
        panic!()
    };
    inner.package_name = "atak".into();
    let registry = PairingRegistry::new(AtakRules::allowing(["atak"]));
    assert_eq!(
        registry
            .receive_request(
                &mut rng,
                &pairing_message(proto::atak_pairing::Step::Request(inner)),
                "atak"
            )
            .unwrap_err(),
        PairingError::InvalidPackageName
    );
}

#[test]
fn codes_not_confirmed_make_no_channel() {
    let mut rng = rng(6);
    let mut registry = PairingRegistry::new(rules());
    let (plugin, approval) = up_to_codes(&mut rng, &registry, ATAK);
    assert_eq!(
        approval.approve(false, &mut registry).unwrap_err(),
        PairingError::NotApproved
    );
    assert!(registry.is_empty());

    // The messenger's user approved but the plugin's did not.
    let (plugin_2, approval) = up_to_codes(&mut rng, &registry, ATAK);
    let (id, confirm) = approval.approve(true, &mut registry).unwrap();
    assert_eq!(
        plugin_2.finish(&confirm, false).unwrap_err(),
        PairingError::NotApproved
    );
    // A confirmation of one pairing does not finish another.
    assert_eq!(
        plugin.finish(&confirm, true).unwrap_err(),
        PairingError::BadConfirmation
    );
    // The messenger's end stays useless: nothing can be sealed to it without the keys.
    assert_eq!(registry.len(), 1);
    assert_eq!(registry.package(id), Some(ATAK));
}

/// An app between the plugin and the messenger runs one pairing with each.
#[test]
fn man_in_the_middle_shows_different_codes() {
    for seed in 0..20 {
        let mut rng = rng(100 + seed);
        let mut messenger = PairingRegistry::new(rules());
        let mut attacker = PairingRegistry::new(rules());

        let (plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
        let (attacker_as_messenger, to_plugin) =
            attacker.receive_request(&mut rng, &request, ATAK).unwrap();
        let (attacker_as_plugin, to_messenger) = PluginPairing::start(&mut rng, ATAK).unwrap();
        let (pending, response) = messenger
            .receive_request(&mut rng, &to_messenger, ATAK)
            .unwrap();

        let (plugin, reveal) = plugin.receive_response(&to_plugin).unwrap();
        let attacker_approval = attacker_as_messenger.receive_reveal(&reveal).unwrap();
        let (attacker_plugin, attacker_reveal) =
            attacker_as_plugin.receive_response(&response).unwrap();
        let approval = pending.receive_reveal(&attacker_reveal).unwrap();

        // What the user compares: the plugin's screen and the messenger's.
        assert_ne!(plugin.sas(), approval.sas(), "seed {seed}");
        assert_eq!(attacker_approval.sas(), plugin.sas());
        assert_eq!(attacker_plugin.sas(), approval.sas());

        if seed % 2 == 0 {
            // The user sees the mismatch and rejects on both screens.
            assert_eq!(
                approval.approve(false, &mut messenger).unwrap_err(),
                PairingError::NotApproved
            );
            assert!(messenger.is_empty());
            let (_, forged) = attacker_approval.approve(true, &mut attacker).unwrap();
            assert_eq!(
                plugin.finish(&forged, false).unwrap_err(),
                PairingError::NotApproved
            );
        } else {
            // A careless messenger user approves anyway: the real confirmation, relayed to the
            // plugin, does not verify there.
            let (_, confirm) = approval.approve(true, &mut messenger).unwrap();
            assert_eq!(
                plugin.finish(&confirm, true).unwrap_err(),
                PairingError::BadConfirmation
            );
        }
    }
}

#[test]
fn swapped_plugin_key_breaks_the_commitment() {
    let mut rng = rng(7);
    let registry = PairingRegistry::new(rules());
    let (plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let (_, attacker_request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let proto::atak_pairing::Step::Request(mut inner) = step(&request) else {
        panic!()
    };
    let proto::atak_pairing::Step::Request(attacker) = step(&attacker_request) else {
        panic!()
    };
    inner.plugin_key = attacker.plugin_key;
    let swapped = pairing_message(proto::atak_pairing::Step::Request(inner));
    let (pending, response) = registry.receive_request(&mut rng, &swapped, ATAK).unwrap();
    let (plugin, reveal) = plugin.receive_response(&response).unwrap();
    assert_eq!(
        pending.receive_reveal(&reveal).unwrap_err(),
        PairingError::BadCommitment
    );
    drop(plugin);
}

#[test]
fn swapped_messenger_key_changes_the_code_and_fails_confirmation() {
    let mut rng = rng(8);
    let mut registry = PairingRegistry::new(rules());
    let (plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let (pending, response) = registry.receive_request(&mut rng, &request, ATAK).unwrap();
    let (_, other_response) = PairingRegistry::new(rules())
        .receive_request(&mut rng, &request, ATAK)
        .unwrap();
    let proto::atak_pairing::Step::Response(mut inner) = step(&response) else {
        panic!()
    };
    let proto::atak_pairing::Step::Response(other) = step(&other_response) else {
        panic!()
    };
    inner.messenger_key = other.messenger_key;
    let (plugin, reveal) = plugin
        .receive_response(&pairing_message(proto::atak_pairing::Step::Response(inner)))
        .unwrap();
    let approval = pending.receive_reveal(&reveal).unwrap();
    assert_ne!(plugin.sas(), approval.sas());
    let (_, confirm) = approval.approve(true, &mut registry).unwrap();
    assert_eq!(
        plugin.finish(&confirm, true).unwrap_err(),
        PairingError::BadConfirmation
    );
}

#[test]
fn altered_confirmation_is_refused() {
    type Alter = fn(&mut proto::AtakPairingConfirm);
    let alterations: [(Alter, PairingError); 4] = [
        (|c| c.mac[31] ^= 1, PairingError::BadConfirmation),
        (|c| c.channel_id[0] ^= 1, PairingError::BadConfirmation),
        (
            |c| c.mac.truncate(16),
            PairingError::Decode(DecodeError::BadLength {
                field: "mac",
                expected: 32,
                got: 16,
            }),
        ),
        (
            |c| c.channel_id.clear(),
            PairingError::Decode(DecodeError::BadLength {
                field: "channel_id",
                expected: 16,
                got: 0,
            }),
        ),
    ];
    let mut rng = rng(9);
    for (alter, expected) in alterations {
        // `finish` consumes its state: a fresh pairing for each alteration.
        let mut registry = PairingRegistry::new(rules());
        let (plugin, approval) = up_to_codes(&mut rng, &registry, ATAK);
        let (_, confirm) = approval.approve(true, &mut registry).unwrap();
        let proto::atak_pairing::Step::Confirm(mut inner) = step(&confirm) else {
            panic!()
        };
        alter(&mut inner);
        let altered = pairing_message(proto::atak_pairing::Step::Confirm(inner));
        assert_eq!(plugin.finish(&altered, true).unwrap_err(), expected);
    }
}

#[test]
fn malformed_and_misordered_pairing_messages_are_refused() {
    let mut rng = rng(10);
    let registry = PairingRegistry::new(rules());
    let (plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let (pending, response) = registry.receive_request(&mut rng, &request, ATAK).unwrap();

    // A response where a request is expected, and the reverse.
    assert_eq!(
        registry
            .receive_request(&mut rng, &response, ATAK)
            .unwrap_err(),
        PairingError::UnexpectedStep
    );
    assert_eq!(
        pending.receive_reveal(&response).unwrap_err(),
        PairingError::UnexpectedStep
    );
    assert_eq!(
        plugin.receive_response(&request).unwrap_err(),
        PairingError::UnexpectedStep
    );

    let oversized = vec![0u8; MAX_PAIRING_MESSAGE_LEN + 1];
    assert_eq!(
        registry
            .receive_request(&mut rng, &oversized, ATAK)
            .unwrap_err(),
        PairingError::Decode(DecodeError::TooLarge {
            len: MAX_PAIRING_MESSAGE_LEN + 1,
            max: MAX_PAIRING_MESSAGE_LEN
        })
    );
    assert_eq!(
        registry
            .receive_request(&mut rng, &[0xff; 8], ATAK)
            .unwrap_err(),
        PairingError::Decode(DecodeError::Protobuf)
    );
    let mut v2 = proto::AtakPairing::decode(&request[..]).unwrap();
    v2.version = 2;
    assert_eq!(
        registry
            .receive_request(&mut rng, &v2.encode_to_vec(), ATAK)
            .unwrap_err(),
        PairingError::Decode(DecodeError::UnsupportedVersion(2))
    );
    let proto::atak_pairing::Step::Request(mut suite_2) = step(&request) else {
        panic!()
    };
    suite_2.suite = 2;
    assert_eq!(
        registry
            .receive_request(
                &mut rng,
                &pairing_message(proto::atak_pairing::Step::Request(suite_2)),
                ATAK
            )
            .unwrap_err(),
        PairingError::Decode(DecodeError::UnsupportedSuite(2))
    );
    let empty = proto::AtakPairing {
        version: 1,
        step: None,
    };
    assert_eq!(
        registry
            .receive_request(&mut rng, &empty.encode_to_vec(), ATAK)
            .unwrap_err(),
        PairingError::Decode(DecodeError::MissingField("step"))
    );
    // A short reveal.
    let (_, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let (pending, _) = registry.receive_request(&mut rng, &request, ATAK).unwrap();
    let short = pairing_message(proto::atak_pairing::Step::Reveal(
        proto::AtakPairingReveal {
            plugin_nonce: vec![0; 31],
        },
    ));
    assert_eq!(
        pending.receive_reveal(&short).unwrap_err(),
        PairingError::Decode(DecodeError::BadLength {
            field: "plugin_nonce",
            expected: 32,
            got: 31
        })
    );
}

#[test]
fn low_order_ephemeral_keys_are_refused() {
    let mut rng = rng(11);
    let registry = PairingRegistry::new(rules());
    let (plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let proto::atak_pairing::Step::Request(mut inner) = step(&request) else {
        panic!()
    };
    inner.plugin_key = vec![0; 32];
    assert_eq!(
        registry
            .receive_request(
                &mut rng,
                &pairing_message(proto::atak_pairing::Step::Request(inner)),
                ATAK
            )
            .unwrap_err(),
        PairingError::NonContributory
    );
    let mut one = vec![0; 32];
    one[0] = 1;
    let low_order = pairing_message(proto::atak_pairing::Step::Response(
        proto::AtakPairingResponse {
            suite: 1,
            messenger_key: one,
            messenger_nonce: vec![5; 32],
        },
    ));
    assert_eq!(
        plugin.receive_response(&low_order).unwrap_err(),
        PairingError::NonContributory
    );
}

#[test]
fn tampered_frames_are_refused_and_change_nothing() {
    let mut rng = rng(12);
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    let (_, frame) = channel.seal_request(&mut rng, &message("hold")).unwrap();
    for i in 0..frame.len() {
        let mut bad = frame.clone();
        bad[i] ^= 0x01;
        let error = registry.open_request(&bad).unwrap_err();
        let expected = match i {
            0 => ChannelError::UnsupportedVersion(0),
            1 => ChannelError::Malformed,
            2..=17 => ChannelError::UnknownChannel,
            // The counter's high four bytes: beyond MAX_FRAMES_PER_DIRECTION.
            18..=21 => ChannelError::Malformed,
            _ => ChannelError::BadTag,
        };
        assert_eq!(error, expected, "byte {i}");
    }
    assert_eq!(
        registry
            .open_request(&frame[..frame.len() - 1])
            .unwrap_err(),
        ChannelError::BadTag
    );
    assert_eq!(
        registry
            .open_request(&frame[..FRAME_HEADER_LEN + 15])
            .unwrap_err(),
        ChannelError::Malformed
    );
    assert_eq!(
        registry.open_request(&[]).unwrap_err(),
        ChannelError::Malformed
    );
    let mut extended = frame.clone();
    extended.push(0);
    assert_eq!(
        registry.open_request(&extended).unwrap_err(),
        ChannelError::BadTag
    );
    assert_eq!(
        registry
            .open_request(&vec![1; MAX_FRAME_LEN + 1])
            .unwrap_err(),
        ChannelError::TooLarge {
            len: MAX_FRAME_LEN + 1,
            max: MAX_FRAME_LEN
        }
    );
    // A counter beyond the bound is malformed before any decryption.
    let mut far = frame.clone();
    far[18..26].copy_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(
        registry.open_request(&far).unwrap_err(),
        ChannelError::Malformed
    );
    // None of it moved the counter: the genuine frame still opens.
    assert_eq!(
        registry.open_request(&frame).unwrap().1.action,
        message("hold")
    );

    // The same on the plugin's side.
    let response = PluginResponse {
        request: RequestId(0),
        status: RequestStatus::Ok,
    };
    let reply = registry
        .seal_response(&mut rng, channel.id(), &response)
        .unwrap();
    for i in 0..reply.len() {
        let mut bad = reply.clone();
        bad[i] ^= 0x80;
        assert!(channel.open_reply(&bad).is_err(), "byte {i}");
    }
    assert_eq!(
        channel.open_reply(&reply).unwrap(),
        MessengerReply::Response(response)
    );
}

#[test]
fn replayed_and_reordered_frames_are_refused_lost_ones_are_not_waited_for() {
    let mut rng = rng(13);
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    let frames: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            channel
                .seal_request(&mut rng, &message(&i.to_string()))
                .unwrap()
                .1
        })
        .collect();
    registry.open_request(&frames[0]).unwrap();
    assert_eq!(
        registry.open_request(&frames[0]).unwrap_err(),
        ChannelError::Stale {
            counter: 0,
            next: 1
        }
    );
    // Frame 1 is lost; 2 opens; 1 arriving late is refused.
    registry.open_request(&frames[2]).unwrap();
    assert_eq!(
        registry.open_request(&frames[1]).unwrap_err(),
        ChannelError::Stale {
            counter: 1,
            next: 3
        }
    );
    registry.open_request(&frames[4]).unwrap();
    assert_eq!(
        registry.open_request(&frames[3]).unwrap_err(),
        ChannelError::Stale {
            counter: 3,
            next: 5
        }
    );

    // The messenger's replies, the same way.
    let reply = |registry: &mut PairingRegistry, rng: &mut ChaCha20Rng, n: u64| {
        registry
            .seal_response(
                rng,
                channel.id(),
                &PluginResponse {
                    request: RequestId(n),
                    status: RequestStatus::Ok,
                },
            )
            .unwrap()
    };
    let r0 = reply(&mut registry, &mut rng, 0);
    let r1 = reply(&mut registry, &mut rng, 2);
    channel.open_reply(&r1).unwrap();
    assert_eq!(
        channel.open_reply(&r0).unwrap_err(),
        ChannelError::Stale {
            counter: 0,
            next: 2
        }
    );
    assert_eq!(
        channel.open_reply(&r1).unwrap_err(),
        ChannelError::Stale {
            counter: 1,
            next: 2
        }
    );
}

#[test]
fn reflected_frames_are_refused() {
    let mut rng = rng(14);
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    let (request_id, request) = channel.seal_request(&mut rng, &message("x")).unwrap();
    assert_eq!(
        channel.open_reply(&request).unwrap_err(),
        ChannelError::WrongDirection
    );
    registry.open_request(&request).unwrap();
    let reply = registry
        .seal_response(
            &mut rng,
            channel.id(),
            &PluginResponse {
                request: request_id,
                status: RequestStatus::Ok,
            },
        )
        .unwrap();
    assert_eq!(
        registry.open_request(&reply).unwrap_err(),
        ChannelError::WrongDirection
    );
}

#[test]
fn frames_of_another_channel_are_refused() {
    let mut rng = rng(15);
    let mut registry = PairingRegistry::new(rules());
    let mut civ = pair(&mut rng, &mut registry, ATAK);
    let mut mil = pair(&mut rng, &mut registry, ATAK_MIL);
    assert_ne!(civ.id(), mil.id());
    assert_eq!(registry.len(), 2);

    // A frame of one channel relabelled with the other's id.
    let (_, frame) = civ.seal_request(&mut rng, &message("x")).unwrap();
    let mut relabelled = frame.clone();
    relabelled[2..18].copy_from_slice(&mil.id().0);
    assert_eq!(
        registry.open_request(&relabelled).unwrap_err(),
        ChannelError::BadTag
    );
    relabelled[2..18].copy_from_slice(&[0x5a; 16]);
    assert_eq!(
        registry.open_request(&relabelled).unwrap_err(),
        ChannelError::UnknownChannel
    );
    let (from, _) = registry.open_request(&frame).unwrap();
    assert_eq!(from, civ.id());

    // A reply for one plugin delivered to the other.
    let (mil_request, frame) = mil.seal_request(&mut rng, &message("y")).unwrap();
    registry.open_request(&frame).unwrap();
    let reply = registry
        .seal_response(
            &mut rng,
            mil.id(),
            &PluginResponse {
                request: mil_request,
                status: RequestStatus::Ok,
            },
        )
        .unwrap();
    assert_eq!(
        civ.open_reply(&reply).unwrap_err(),
        ChannelError::WrongChannel
    );
    let mut relabelled = reply.clone();
    relabelled[2..18].copy_from_slice(&civ.id().0);
    assert_eq!(
        civ.open_reply(&relabelled).unwrap_err(),
        ChannelError::BadTag
    );
    mil.open_reply(&reply).unwrap();

    assert_eq!(
        registry
            .seal_response(
                &mut rng,
                ChannelId([9; 16]),
                &PluginResponse {
                    request: RequestId(0),
                    status: RequestStatus::Ok
                }
            )
            .unwrap_err(),
        ChannelError::UnknownChannel
    );
}

#[test]
fn messenger_unpairs_and_everything_after_is_revoked() {
    let mut rng = rng(16);
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    let id = channel.id();
    let (request_id, in_flight) = channel.seal_request(&mut rng, &message("x")).unwrap();

    let notice = registry.unpair(&mut rng, id).unwrap();
    assert!(registry.is_empty());
    assert!(registry.is_revoked(id));
    assert_eq!(
        registry.open_request(&in_flight).unwrap_err(),
        ChannelError::Revoked
    );
    assert_eq!(
        registry
            .seal_response(
                &mut rng,
                id,
                &PluginResponse {
                    request: request_id,
                    status: RequestStatus::Ok
                }
            )
            .unwrap_err(),
        ChannelError::Revoked
    );
    assert_eq!(
        registry.unpair(&mut rng, id).unwrap_err(),
        ChannelError::Revoked
    );

    assert_eq!(
        channel.open_reply(&notice).unwrap(),
        MessengerReply::Unpaired
    );
    assert!(channel.is_revoked());
    assert_eq!(
        channel.seal_request(&mut rng, &message("y")).unwrap_err(),
        ChannelError::Revoked
    );
    assert_eq!(
        channel.open_reply(&notice).unwrap_err(),
        ChannelError::Revoked
    );
}

#[test]
fn plugin_unpairs_and_everything_after_is_revoked() {
    let mut rng = rng(17);
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    let id = channel.id();
    let (_, earlier) = channel.seal_request(&mut rng, &message("x")).unwrap();
    let (_, later) = channel.seal_request(&mut rng, &message("y")).unwrap();
    let unpair = channel.unpair(&mut rng).unwrap();

    registry.open_request(&earlier).unwrap();
    let (from, request) = registry.open_request(&unpair).unwrap();
    assert_eq!((from, request.action), (id, PluginAction::Unpair));
    assert!(registry.is_empty());
    assert_eq!(
        registry.open_request(&later).unwrap_err(),
        ChannelError::Revoked
    );
    assert_eq!(
        registry.open_request(&unpair).unwrap_err(),
        ChannelError::Revoked
    );

    // Sealing Unpair through `seal_request` revokes the plugin's end as well.
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    channel
        .seal_request(&mut rng, &PluginAction::Unpair)
        .unwrap();
    assert!(channel.is_revoked());
    assert_eq!(
        channel.seal_request(&mut rng, &message("z")).unwrap_err(),
        ChannelError::Revoked
    );
}

#[test]
fn policy_change_revokes_channels_it_no_longer_allows() {
    let mut rng = rng(18);
    let mut registry = PairingRegistry::new(rules());
    let mut civ = pair(&mut rng, &mut registry, ATAK);
    let mut mil = pair(&mut rng, &mut registry, ATAK_MIL);

    let revoked = registry.set_rules(AtakRules::allowing([ATAK]));
    assert_eq!(revoked, [mil.id()]);
    let (_, frame) = mil.seal_request(&mut rng, &message("x")).unwrap();
    assert_eq!(
        registry.open_request(&frame).unwrap_err(),
        ChannelError::Revoked
    );
    let (_, frame) = civ.seal_request(&mut rng, &message("x")).unwrap();
    registry.open_request(&frame).unwrap();

    let revoked = registry.set_rules(AtakRules::default());
    assert_eq!(revoked, [civ.id()]);
    assert!(registry.is_empty());

    // The rules are checked again on approval: a pairing under way when ATAK is turned off
    // does not finish.
    let mut registry = PairingRegistry::new(rules());
    let (_plugin, approval) = up_to_codes(&mut rng, &registry, ATAK);
    registry.set_rules(AtakRules::default());
    assert_eq!(
        approval.approve(true, &mut registry).unwrap_err(),
        PairingError::AtakDisabled
    );
    assert!(registry.is_empty());
}

#[test]
fn pairing_again_replaces_the_packages_channel() {
    let mut rng = rng(19);
    let mut registry = PairingRegistry::new(rules());
    let mut old = pair(&mut rng, &mut registry, ATAK);
    let mut new = pair(&mut rng, &mut registry, ATAK);
    assert_eq!(registry.len(), 1);
    let (_, frame) = old.seal_request(&mut rng, &message("x")).unwrap();
    assert_eq!(
        registry.open_request(&frame).unwrap_err(),
        ChannelError::Revoked
    );
    let (_, frame) = new.seal_request(&mut rng, &message("x")).unwrap();
    assert_eq!(registry.open_request(&frame).unwrap().0, new.id());
}

#[test]
fn registry_is_bounded() {
    let mut rng = rng(20);
    let packages: Vec<String> = (0..=MAX_PAIRED_CHANNELS)
        .map(|i| format!("org.example.plugin{i}"))
        .collect();
    let mut registry =
        PairingRegistry::new(AtakRules::allowing(packages.iter().map(|p| p.as_str())));
    for package in &packages[..MAX_PAIRED_CHANNELS] {
        pair(&mut rng, &mut registry, package);
    }
    let (_plugin, approval) = up_to_codes(&mut rng, &registry, &packages[MAX_PAIRED_CHANNELS]);
    assert_eq!(
        approval.approve(true, &mut registry).unwrap_err(),
        PairingError::RegistryFull {
            max: MAX_PAIRED_CHANNELS
        }
    );
    assert_eq!(registry.len(), MAX_PAIRED_CHANNELS);
}

#[test]
fn requests_beyond_their_bounds_are_refused_when_sealed() {
    let mut rng = rng(21);
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    assert_eq!(
        channel
            .seal_request(&mut rng, &message(&"x".repeat(MAX_TEXT_LEN + 1)))
            .unwrap_err(),
        ChannelError::BadLength {
            field: "text",
            len: MAX_TEXT_LEN + 1,
            max: MAX_TEXT_LEN
        }
    );
    let no_token = PluginAction::SendVoiceClip {
        conversation: conversation(b"c"),
        file_token: String::new(),
        media_type: "audio/ogg".into(),
        duration_ms: 1,
    };
    assert!(matches!(
        channel.seal_request(&mut rng, &no_token).unwrap_err(),
        ChannelError::BadLength {
            field: "file_token",
            ..
        }
    ));
    // Nothing was sealed: the next request is still number 0.
    assert_eq!(
        channel.seal_request(&mut rng, &message("ok")).unwrap().0,
        RequestId(0)
    );
    // A response must answer a request that was opened.
    assert_eq!(
        registry
            .seal_response(
                &mut rng,
                channel.id(),
                &PluginResponse {
                    request: RequestId(0),
                    status: RequestStatus::Ok
                }
            )
            .unwrap_err(),
        ChannelError::Decode(DecodeError::OutOfRange("request_id"))
    );
}

#[test]
fn sealed_state_survives_a_restart_on_both_ends() {
    let mut rng = rng(22);
    let key = || Secret32::from_slice(&[0x42; 32]).unwrap();
    let other_key = Secret32::from_slice(&[0x43; 32]).unwrap();
    let mut registry = PairingRegistry::new(rules());
    let mut channel = pair(&mut rng, &mut registry, ATAK);
    let (_, frame) = channel.seal_request(&mut rng, &message("before")).unwrap();
    registry.open_request(&frame).unwrap();

    let plugin_state = channel.seal_state(&key(), &mut rng).unwrap();
    let registry_state = registry.seal_state(&key(), &mut rng).unwrap();
    assert_eq!(&plugin_state[..4], b"EMBA");
    drop((channel, registry));

    let mut channel = PluginChannel::open_state(&key(), &plugin_state).unwrap();
    let mut registry = PairingRegistry::open_state(&key(), &registry_state, rules()).unwrap();
    // The replay window survived: the frame opened before the restart is still refused.
    assert_eq!(
        registry.open_request(&frame).unwrap_err(),
        ChannelError::Stale {
            counter: 0,
            next: 1
        }
    );
    let (id, frame) = channel.seal_request(&mut rng, &message("after")).unwrap();
    assert_eq!(id, RequestId(1));
    let (from, request) = registry.open_request(&frame).unwrap();
    let response = PluginResponse {
        request: request.id,
        status: RequestStatus::Ok,
    };
    let reply = registry.seal_response(&mut rng, from, &response).unwrap();
    assert_eq!(
        channel.open_reply(&reply).unwrap(),
        MessengerReply::Response(response)
    );

    assert_eq!(
        PluginChannel::open_state(&other_key, &plugin_state).unwrap_err(),
        SnapshotError::BadKeyOrCorrupted
    );
    assert_eq!(
        PluginChannel::open_state(&key(), &registry_state).unwrap_err(),
        SnapshotError::WrongKind {
            expected: 1,
            got: 2
        }
    );
    let mut altered = plugin_state.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    assert_eq!(
        PluginChannel::open_state(&key(), &altered).unwrap_err(),
        SnapshotError::BadKeyOrCorrupted
    );
    let mut magic = plugin_state.clone();
    magic[..4].copy_from_slice(b"EMBS");
    assert_eq!(
        PluginChannel::open_state(&key(), &magic).unwrap_err(),
        SnapshotError::BadMagic
    );
    assert_eq!(
        PluginChannel::open_state(&key(), &plugin_state[..10]).unwrap_err(),
        SnapshotError::BadLength
    );

    // Opened under rules that no longer allow the package, the channel is revoked at once.
    let registry_state = registry.seal_state(&key(), &mut rng).unwrap();
    let mut registry =
        PairingRegistry::open_state(&key(), &registry_state, AtakRules::allowing([ATAK_MIL]))
            .unwrap();
    assert!(registry.is_empty());
    let (_, frame) = channel.seal_request(&mut rng, &message("x")).unwrap();
    assert_eq!(
        registry.open_request(&frame).unwrap_err(),
        ChannelError::Revoked
    );
}

#[test]
fn debug_output_shows_no_key_material() {
    let mut rng = rng(23);
    let mut registry = PairingRegistry::new(rules());
    let (plugin, request) = PluginPairing::start(&mut rng, ATAK).unwrap();
    let shown = format!("{plugin:?}");
    assert!(
        shown.starts_with("PluginPairing {") && shown.ends_with(".. }"),
        "{shown}"
    );
    let (pending, response) = registry.receive_request(&mut rng, &request, ATAK).unwrap();
    let shown = format!("{pending:?}");
    assert!(shown.contains(ATAK) && shown.ends_with(".. }"), "{shown}");
    let (plugin, reveal) = plugin.receive_response(&response).unwrap();
    let approval = pending.receive_reveal(&reveal).unwrap();
    for shown in [format!("{plugin:?}"), format!("{approval:?}")] {
        assert!(shown.contains("sas") && shown.ends_with(".. }"), "{shown}");
        assert!(!shown.contains("key"), "{shown}");
    }
    let (_, confirm) = approval.approve(true, &mut registry).unwrap();
    let channel = plugin.finish(&confirm, true).unwrap();
    for shown in [format!("{channel:?}"), format!("{registry:?}")] {
        assert!(shown.ends_with(".. }") && !shown.contains("key"), "{shown}");
    }
    // Errors carry no package names.
    let error = PairingRegistry::new(AtakRules::default())
        .receive_request(&mut rng, &request, ATAK)
        .unwrap_err();
    assert!(!error.to_string().contains("atakmap"));
}
