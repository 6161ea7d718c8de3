//! Security-group policies and network settings: signed documents that survive the round trip
//! setting by setting, refuse tampering, the wrong key or network, rollbacks and invalid
//! settings; and the enforcement of each setting against adversarial messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::Timestamp;
use ember_core::content::{
    Body, CallAction, CallSignal, Content, FileReference, Location, MessageId, ReceiptKind,
    TimerCaps, Timers,
};
use ember_core::error::DecodeError;
use ember_core::file::FileKey;
use ember_core::network::{NetworkId, NetworkKey};
use ember_core::policy::{
    ATAK_CIV_PACKAGE, ATAK_MIL_PACKAGE, AccountRules, AtakRules, CallingRules, ConsentBanner,
    DeviceRules, FederationMode, FederationRules, FileAccess, FileRules, InvalidPolicy,
    LocationSharing, MAX_ALLOWED_NETWORKS, MAX_ATAK_PACKAGES, MAX_BANNER_BODY_LEN,
    MAX_BLOCKED_GUESTS, MAX_GROUP_NAME_LEN, MAX_POLICY_LEN, MAX_QUICK_REPLIES, MAX_QUICK_REPLY_LEN,
    MAX_STORED_POLICIES, MessagingRules, NetworkSettings, OpenAccess, PasswordRuleFailed,
    PasswordRules, PolicyError, PolicyStore, PolicyViolation, SecurityGroupId, SecurityGroupPolicy,
    ShredderIntensity, TcpCalling, UpdateError, VerifiedNetworkSettings, VerifiedPolicy,
    check_incoming, check_outgoing, read_receipts_flow, read_receipts_flow_in_room,
};
use ember_core::{AccountId, crypto::sign::VerifyingKey};
use ember_proto::v1 as proto;
use prost::Message;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: Timestamp = Timestamp(1_700_000_000);
const HOUR: u32 = 3600;
const DAY: u32 = 24 * HOUR;
const POLICY_LABEL: &[u8] = b"ember/v1/security-group-policy\0";
const SETTINGS_LABEL: &[u8] = b"ember/v1/network-settings\0";

/// A network: its key, id and a random source for ids.
struct Network {
    key: NetworkKey,
    id: NetworkId,
    rng: ChaCha20Rng,
}

impl Network {
    fn new(seed: u8) -> Self {
        let mut rng = ChaCha20Rng::from_seed([seed; 32]);
        Self {
            key: NetworkKey::generate(&mut rng),
            id: NetworkId::generate(&mut rng),
            rng,
        }
    }

    fn public(&self) -> VerifyingKey {
        self.key.public_key()
    }

    fn policy(&mut self) -> SecurityGroupPolicy {
        SecurityGroupPolicy::new(self.id, SecurityGroupId::generate(&mut self.rng), 1, NOW)
    }

    fn verified(&self, policy: &SecurityGroupPolicy) -> VerifiedPolicy {
        let bytes = policy.sign(&self.key).unwrap().to_bytes();
        VerifiedPolicy::verify(&bytes, &self.public(), self.id).unwrap()
    }

    fn settings(&self, read_receipts: bool) -> VerifiedNetworkSettings {
        let mut settings = NetworkSettings::new(self.id, 1, NOW);
        settings.read_receipts = read_receipts;
        let bytes = settings.sign(&self.key).unwrap().to_bytes();
        VerifiedNetworkSettings::verify(&bytes, &self.public(), self.id).unwrap()
    }

    /// Signs a hand-made body, as a network whose administrator tool has a bug would.
    fn sign_raw_policy(&self, body: &proto::SecurityGroupPolicy) -> Vec<u8> {
        let body = body.encode_to_vec();
        let signature = self.key.sign(POLICY_LABEL, &body);
        proto::SignedSecurityGroupPolicy {
            body,
            signature: signature.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }
}

/// A policy with every setting away from its default.
fn every_setting(network: &mut Network) -> SecurityGroupPolicy {
    let mut rng = ChaCha20Rng::from_seed([99; 32]);
    SecurityGroupPolicy {
        network_id: network.id,
        group_id: SecurityGroupId::generate(&mut network.rng),
        revision: 42,
        issued_at: Timestamp(1_700_001_234),
        name: "Field team — north".into(),
        messaging: MessagingRules {
            timer_caps: TimerCaps {
                max_expiry: Some(7 * DAY),
                max_burn_on_read: Some(5 * 60),
            },
            forwarding: false,
            quick_replies: vec!["On my way".into(), "Copy that".into(), "Can't talk".into()],
            location: LocationSharing::LinkOnly,
            notification_previews: true,
        },
        calling: CallingRules {
            audio: true,
            video: false,
            tcp: TcpCalling::Forced,
        },
        files: FileRules {
            access: FileAccess::PreviewOnly,
            low_bandwidth: true,
        },
        account: AccountRules {
            account_takeover_protection: false,
            always_reauthenticate: true,
            master_recovery_key: false,
            non_sso_session_timeout: Some(8 * HOUR),
            password: PasswordRules {
                min_length: 14,
                min_lowercase: 1,
                min_uppercase: 2,
                min_digits: 3,
                min_special: 4,
            },
        },
        device: DeviceRules {
            shredder: ShredderIntensity::Low,
            open_access: OpenAccess::Forced,
        },
        federation: FederationRules {
            mode: FederationMode::Restricted,
            allowed_networks: vec![NetworkId::generate(&mut rng), NetworkId::generate(&mut rng)],
            guests_allowed: true,
            blocked_guests: vec![AccountId::generate(&mut rng)],
        },
        atak: AtakRules {
            enabled: true,
            allowed_packages: vec![ATAK_MIL_PACKAGE.into()],
        },
    }
}

fn text(body: &str) -> Content {
    Content::new(MessageId([1; 16]), NOW, Body::Text(body.into()))
}

fn with_timers(mut content: Content, expiry: Option<u32>, burn_on_read: Option<u32>) -> Content {
    content.timers = Timers {
        expiry,
        burn_on_read,
    };
    content
}

fn file() -> Content {
    Content::new(
        MessageId([2; 16]),
        NOW,
        Body::File(FileReference {
            reference: "blob/1".into(),
            key: FileKey::from_slice(&[7; 32]).unwrap(),
            digest: [9; 32],
            size: 1000,
            ciphertext_size: 1100,
            name: "map.pdf".into(),
            media_type: "application/pdf".into(),
        }),
    )
}

fn call(action: CallAction, video: bool) -> Content {
    Content::new(
        MessageId([3; 16]),
        NOW,
        Body::Call(CallSignal {
            action,
            call_id: [4; 16],
            call_secret: None,
            epoch: 1,
            sframe_suite: 1,
            video,
        }),
    )
}

fn coordinates() -> Content {
    Content::new(
        MessageId([5; 16]),
        NOW,
        Body::Location(Location::Coordinates {
            latitude: 38.9,
            longitude: -77.0,
            accuracy_meters: 10.0,
        }),
    )
}

fn link() -> Content {
    Content::new(
        MessageId([6; 16]),
        NOW,
        Body::Location(Location::Link("https://maps.example/x".into())),
    )
}

// ---------------------------------------------------------------------------------------------
// Signed documents

#[test]
fn every_setting_survives_sign_and_verify() {
    let mut network = Network::new(1);
    let policy = every_setting(&mut network);
    let issued = policy.sign(&network.key).unwrap();
    assert_eq!(issued.policy(), &policy);
    let bytes = issued.to_bytes();
    let verified = VerifiedPolicy::verify(&bytes, &network.public(), network.id).unwrap();
    assert_eq!(verified.policy(), &policy);
    assert_eq!(verified, issued);
    assert_eq!(verified.to_bytes(), bytes);
    assert_eq!(verified.network_id(), network.id);
    assert_eq!(verified.group_id(), policy.group_id);
    assert_eq!(verified.revision(), 42);
    assert_eq!(verified.timer_caps(), &policy.messaging.timer_caps);
    assert_eq!(verified.federation(), &policy.federation);
    assert_eq!(verified.atak(), &policy.atak);
    assert_eq!(verified.password_rules(), &policy.account.password);

    // Each enumeration, at every value.
    let mut each = network.policy();
    for location in [
        LocationSharing::Off,
        LocationSharing::LinkOnly,
        LocationSharing::Map,
    ] {
        for tcp in [TcpCalling::Off, TcpCalling::Allowed, TcpCalling::Forced] {
            for shredder in [
                ShredderIntensity::Low,
                ShredderIntensity::Medium,
                ShredderIntensity::High,
            ] {
                each.messaging.location = location;
                each.calling.tcp = tcp;
                each.device.shredder = shredder;
                assert_eq!(network.verified(&each).policy(), &each);
            }
        }
    }
    for open_access in [OpenAccess::Off, OpenAccess::Allowed, OpenAccess::Forced] {
        for mode in [
            FederationMode::Off,
            FederationMode::Local,
            FederationMode::Global,
            FederationMode::Restricted,
        ] {
            for access in [FileAccess::Download, FileAccess::PreviewOnly] {
                each.device.open_access = open_access;
                each.federation.mode = mode;
                each.files.access = access;
                assert_eq!(network.verified(&each).policy(), &each);
            }
        }
    }
}

#[test]
fn network_settings_survive_sign_and_verify() {
    let network = Network::new(2);
    let settings = NetworkSettings {
        network_id: network.id,
        revision: 7,
        issued_at: NOW,
        read_receipts: true,
        data_retention: true,
        consent_banner: Some(ConsentBanner {
            title: "Notice".into(),
            body: "This system is for authorized use only.".into(),
            button_label: "I agree".into(),
        }),
        inactivity_timeout: Some(15 * 60),
    };
    let bytes = settings.sign(&network.key).unwrap().to_bytes();
    let verified = VerifiedNetworkSettings::verify(&bytes, &network.public(), network.id).unwrap();
    assert_eq!(verified.settings(), &settings);
    assert_eq!(verified.revision(), 7);
    let defaults = NetworkSettings::new(network.id, 1, NOW);
    let bytes = defaults.sign(&network.key).unwrap().to_bytes();
    let verified = VerifiedNetworkSettings::verify(&bytes, &network.public(), network.id).unwrap();
    assert_eq!(verified.settings(), &defaults);
    assert!(!defaults.read_receipts && !defaults.data_retention);
}

#[test]
fn the_defaults_are_documented_and_valid() {
    let mut network = Network::new(3);
    let policy = network.policy();
    assert_eq!(policy.validate(), Ok(()));
    assert_eq!(policy.messaging.timer_caps.max_expiry, Some(30 * DAY));
    assert_eq!(policy.messaging.timer_caps.max_burn_on_read, None);
    assert!(!policy.messaging.notification_previews);
    assert!(policy.account.account_takeover_protection);
    assert_eq!(policy.account.password.min_length, 12);
    assert_eq!(policy.federation.mode, FederationMode::Off);
    assert!(!policy.federation.guests_allowed);
    assert!(!policy.atak.enabled);
    assert_eq!(
        policy.atak.allowed_packages,
        [ATAK_CIV_PACKAGE.to_string(), ATAK_MIL_PACKAGE.to_string()]
    );
    assert_eq!(policy.device.shredder, ShredderIntensity::High);
}

#[test]
fn tampering_the_wrong_key_and_the_wrong_network_are_refused() {
    let mut network = Network::new(4);
    let policy = every_setting(&mut network);
    let bytes = policy.sign(&network.key).unwrap().to_bytes();
    let signed = proto::SignedSecurityGroupPolicy::decode(bytes.as_slice()).unwrap();

    // A body altered after signing: forwarding turned back on.
    let mut body = proto::SecurityGroupPolicy::decode(signed.body.as_slice()).unwrap();
    body.messaging.as_mut().unwrap().forwarding = true;
    let tampered = proto::SignedSecurityGroupPolicy {
        body: body.encode_to_vec(),
        signature: signed.signature.clone(),
    }
    .encode_to_vec();
    assert_eq!(
        VerifiedPolicy::verify(&tampered, &network.public(), network.id),
        Err(PolicyError::BadSignature)
    );

    // An altered signature.
    let mut signature = signed.signature.clone();
    signature[10] ^= 1;
    let tampered = proto::SignedSecurityGroupPolicy {
        body: signed.body.clone(),
        signature,
    }
    .encode_to_vec();
    assert_eq!(
        VerifiedPolicy::verify(&tampered, &network.public(), network.id),
        Err(PolicyError::BadSignature)
    );

    // A truncated signature.
    let tampered = proto::SignedSecurityGroupPolicy {
        body: signed.body.clone(),
        signature: signed.signature[..63].to_vec(),
    }
    .encode_to_vec();
    assert!(matches!(
        VerifiedPolicy::verify(&tampered, &network.public(), network.id),
        Err(PolicyError::Decode(DecodeError::BadLength { .. }))
    ));

    // Another network's key: a policy signed by network B is not network A's.
    let other = Network::new(5);
    assert_eq!(
        VerifiedPolicy::verify(&bytes, &other.public(), network.id),
        Err(PolicyError::BadSignature)
    );
    // Network B signs a policy naming network A: refused under B's key for A's id,
    // and under A's key.
    let mut forged = policy.clone();
    forged.revision = 1000;
    let forged = forged.sign(&other.key).unwrap().to_bytes();
    assert_eq!(
        VerifiedPolicy::verify(&forged, &network.public(), network.id),
        Err(PolicyError::BadSignature)
    );
    // The right key, but the document is for another network than the one expected.
    assert_eq!(
        VerifiedPolicy::verify(&bytes, &network.public(), other.id),
        Err(PolicyError::WrongNetwork {
            expected: other.id,
            got: network.id
        })
    );

    // Garbage and oversized input.
    assert_eq!(
        VerifiedPolicy::verify(&[0xFF; 10], &network.public(), network.id),
        Err(PolicyError::Decode(DecodeError::Protobuf))
    );
    assert_eq!(
        VerifiedPolicy::verify(&vec![0; MAX_POLICY_LEN + 1], &network.public(), network.id),
        Err(PolicyError::Decode(DecodeError::TooLarge {
            len: MAX_POLICY_LEN + 1,
            max: MAX_POLICY_LEN
        }))
    );
}

#[test]
fn a_signature_for_one_document_kind_does_not_verify_as_the_other() {
    let network = Network::new(6);
    // The two signed wrappers have the same shape; only the label tells them apart.
    let settings = network.settings(true).to_bytes();
    assert_eq!(
        VerifiedPolicy::verify(&settings, &network.public(), network.id),
        Err(PolicyError::BadSignature)
    );
    let mut network = network;
    let policy = network.policy();
    let policy = policy.sign(&network.key).unwrap().to_bytes();
    assert_eq!(
        VerifiedNetworkSettings::verify(&policy, &network.public(), network.id),
        Err(PolicyError::BadSignature)
    );
    // The labels are the specified ones.
    let signed = proto::SignedNetworkSettings::decode(settings.as_slice()).unwrap();
    let signature = ember_core::crypto::sign::Signature::from_slice(&signed.signature).unwrap();
    assert_eq!(
        network
            .public()
            .verify(SETTINGS_LABEL, &signed.body, &signature),
        Ok(())
    );
}

#[test]
fn invalid_policies_are_refused_when_signing_and_when_verifying() {
    let mut network = Network::new(7);
    let valid = network.policy();
    type Edit = fn(&mut SecurityGroupPolicy);
    let cases: Vec<(Edit, InvalidPolicy)> = vec![
        (
            |p| p.account.password.min_length = 7,
            InvalidPolicy::PasswordTooWeak { min_length: 7 },
        ),
        (
            |p| p.account.password.min_length = 0,
            InvalidPolicy::PasswordTooWeak { min_length: 0 },
        ),
        (
            |p| p.account.password.min_special = 129,
            InvalidPolicy::PasswordRuleTooLarge("min_special"),
        ),
        (
            |p| p.messaging.quick_replies = vec!["ok".into(); MAX_QUICK_REPLIES + 1],
            InvalidPolicy::TooMany {
                field: "quick_replies",
                got: MAX_QUICK_REPLIES + 1,
                max: MAX_QUICK_REPLIES,
            },
        ),
        (
            |p| p.messaging.quick_replies = vec!["x".repeat(MAX_QUICK_REPLY_LEN + 1)],
            InvalidPolicy::TooLong {
                field: "quick_replies",
                len: MAX_QUICK_REPLY_LEN + 1,
                max: MAX_QUICK_REPLY_LEN,
            },
        ),
        (
            |p| p.messaging.quick_replies = vec![String::new()],
            InvalidPolicy::Empty("quick_replies"),
        ),
        (
            |p| p.name = "n".repeat(MAX_GROUP_NAME_LEN + 1),
            InvalidPolicy::TooLong {
                field: "name",
                len: MAX_GROUP_NAME_LEN + 1,
                max: MAX_GROUP_NAME_LEN,
            },
        ),
        (|p| p.revision = 0, InvalidPolicy::ZeroRevision),
        (
            |p| p.messaging.timer_caps.max_expiry = Some(0),
            InvalidPolicy::ZeroDuration("max_expiry_seconds"),
        ),
        (
            |p| p.messaging.timer_caps.max_burn_on_read = Some(0),
            InvalidPolicy::ZeroDuration("max_burn_on_read_seconds"),
        ),
        (
            |p| p.account.non_sso_session_timeout = Some(0),
            InvalidPolicy::ZeroDuration("non_sso_session_timeout_seconds"),
        ),
        (
            |p| p.federation.allowed_networks = vec![NetworkId([1; 16]); MAX_ALLOWED_NETWORKS + 1],
            InvalidPolicy::TooMany {
                field: "allowed_networks",
                got: MAX_ALLOWED_NETWORKS + 1,
                max: MAX_ALLOWED_NETWORKS,
            },
        ),
        (
            |p| {
                p.federation.blocked_guests =
                    vec![AccountId::from_bytes([2; 16]); MAX_BLOCKED_GUESTS + 1];
            },
            InvalidPolicy::TooMany {
                field: "blocked_guests",
                got: MAX_BLOCKED_GUESTS + 1,
                max: MAX_BLOCKED_GUESTS,
            },
        ),
        (
            |p| p.atak.allowed_packages = vec![ATAK_CIV_PACKAGE.into(); MAX_ATAK_PACKAGES + 1],
            InvalidPolicy::TooMany {
                field: "allowed_packages",
                got: MAX_ATAK_PACKAGES + 1,
                max: MAX_ATAK_PACKAGES,
            },
        ),
        (
            |p| p.atak.allowed_packages = vec![ATAK_CIV_PACKAGE.into(), "com.evil;rm -rf".into()],
            InvalidPolicy::BadPackageName { index: 1 },
        ),
    ];
    for (edit, expected) in cases {
        let mut policy = valid.clone();
        edit(&mut policy);
        assert_eq!(policy.validate(), Err(expected));
        assert_eq!(policy.sign(&network.key).err(), Some(expected));
        // A network whose tool skipped the checks signs it anyway: clients refuse it. (A zero
        // duration has no wire form of its own: 0 on the wire is "no limit", which is why
        // signing refuses `Some(0)`.)
        if matches!(expected, InvalidPolicy::ZeroDuration(_)) {
            continue;
        }
        let bytes = network.sign_raw_policy(&to_wire(&policy));
        assert_eq!(
            VerifiedPolicy::verify(&bytes, &network.public(), network.id),
            Err(PolicyError::Invalid(expected)),
            "{expected:?}"
        );
    }
}

#[test]
fn malformed_bodies_are_refused() {
    let mut network = Network::new(8);
    let valid = to_wire(&network.policy());
    type Edit = fn(&mut proto::SecurityGroupPolicy);
    let cases: Vec<(Edit, PolicyError)> = vec![
        (
            |p| p.version = 2,
            PolicyError::Decode(DecodeError::UnsupportedVersion(2)),
        ),
        (
            |p| p.group_id = vec![1; 15],
            PolicyError::Decode(DecodeError::BadLength {
                field: "group_id",
                expected: 16,
                got: 15,
            }),
        ),
        (
            |p| p.messaging = None,
            PolicyError::Decode(DecodeError::MissingField("messaging")),
        ),
        (
            |p| p.atak = None,
            PolicyError::Decode(DecodeError::MissingField("atak")),
        ),
        (
            |p| p.account.as_mut().unwrap().password = None,
            PolicyError::Decode(DecodeError::MissingField("password")),
        ),
        (
            |p| {
                p.federation.as_mut().unwrap().allowed_networks = vec![vec![3; 17]];
            },
            PolicyError::Decode(DecodeError::BadLength {
                field: "allowed_networks",
                expected: 16,
                got: 17,
            }),
        ),
        (
            |p| p.messaging.as_mut().unwrap().location_sharing = 0,
            PolicyError::Invalid(InvalidPolicy::UnknownValue("location_sharing")),
        ),
        (
            |p| p.federation.as_mut().unwrap().mode = 5,
            PolicyError::Invalid(InvalidPolicy::UnknownValue("mode")),
        ),
    ];
    for (edit, expected) in cases {
        let mut body = valid.clone();
        edit(&mut body);
        let bytes = network.sign_raw_policy(&body);
        assert_eq!(
            VerifiedPolicy::verify(&bytes, &network.public(), network.id),
            Err(expected)
        );
    }
}

#[test]
fn invalid_network_settings_are_refused() {
    let network = Network::new(9);
    let banner = ConsentBanner {
        title: "Notice".into(),
        body: "b".repeat(MAX_BANNER_BODY_LEN + 1),
        button_label: "OK".into(),
    };
    let mut settings = NetworkSettings::new(network.id, 1, NOW);
    settings.consent_banner = Some(banner.clone());
    assert_eq!(
        settings.sign(&network.key).err(),
        Some(InvalidPolicy::TooLong {
            field: "body",
            len: MAX_BANNER_BODY_LEN + 1,
            max: MAX_BANNER_BODY_LEN
        })
    );
    settings.consent_banner = Some(ConsentBanner {
        button_label: String::new(),
        body: "b".into(),
        ..banner
    });
    assert_eq!(
        settings.validate(),
        Err(InvalidPolicy::Empty("button_label"))
    );
    settings.consent_banner = None;
    settings.revision = 0;
    assert_eq!(settings.validate(), Err(InvalidPolicy::ZeroRevision));
    settings.revision = 1;
    settings.inactivity_timeout = Some(0);
    assert_eq!(
        settings.validate(),
        Err(InvalidPolicy::ZeroDuration("inactivity_timeout_seconds"))
    );
    // Signed anyway by a careless tool: refused by clients.
    let body = proto::NetworkSettings {
        version: 1,
        network_id: network.id.0.to_vec(),
        revision: 1,
        consent_banner: Some(proto::ConsentBanner::default()),
        ..Default::default()
    }
    .encode_to_vec();
    let bytes = proto::SignedNetworkSettings {
        signature: network.key.sign(SETTINGS_LABEL, &body).as_bytes().to_vec(),
        body,
    }
    .encode_to_vec();
    assert_eq!(
        VerifiedNetworkSettings::verify(&bytes, &network.public(), network.id),
        Err(PolicyError::Invalid(InvalidPolicy::Empty("title")))
    );
    let other = Network::new(10);
    assert_eq!(
        VerifiedNetworkSettings::verify(&bytes, &other.public(), network.id),
        Err(PolicyError::BadSignature)
    );
}

#[test]
fn the_largest_policy_fits_its_bound() {
    let mut network = Network::new(11);
    let mut policy = network.policy();
    policy.name = "n".repeat(MAX_GROUP_NAME_LEN);
    policy.messaging.quick_replies = vec!["q".repeat(MAX_QUICK_REPLY_LEN); MAX_QUICK_REPLIES];
    policy.federation.allowed_networks = vec![NetworkId([0xFF; 16]); MAX_ALLOWED_NETWORKS];
    policy.federation.blocked_guests = vec![AccountId::from_bytes([0xFF; 16]); MAX_BLOCKED_GUESTS];
    let package = format!(
        "a.{}",
        "b".repeat(ember_core::policy::MAX_ATAK_PACKAGE_LEN - 2)
    );
    policy.atak.allowed_packages = vec![package; MAX_ATAK_PACKAGES];
    policy.account.password = PasswordRules {
        min_length: 128,
        min_lowercase: 128,
        min_uppercase: 128,
        min_digits: 128,
        min_special: 128,
    };
    policy.revision = u64::MAX;
    policy.issued_at = Timestamp(u64::MAX);
    policy.messaging.timer_caps = TimerCaps {
        max_expiry: Some(u32::MAX),
        max_burn_on_read: Some(u32::MAX),
    };
    let bytes = policy.sign(&network.key).unwrap().to_bytes();
    assert!(bytes.len() <= MAX_POLICY_LEN, "{} bytes", bytes.len());
    assert_eq!(
        VerifiedPolicy::verify(&bytes, &network.public(), network.id)
            .unwrap()
            .policy(),
        &policy
    );
}

// ---------------------------------------------------------------------------------------------
// Rollback

#[test]
fn a_rollback_or_replay_is_refused() {
    let mut network = Network::new(12);
    let mut policy = network.policy();
    policy.revision = 5;
    let v5 = network.verified(&policy);
    policy.revision = 4;
    policy.messaging.forwarding = true;
    let v4 = network.verified(&policy);
    policy.revision = 6;
    policy.messaging.forwarding = false;
    let v6 = network.verified(&policy);
    // Same revision, different content: an equivocation, also refused.
    policy.revision = 6;
    policy.messaging.forwarding = true;
    let v6_other = network.verified(&policy);

    let mut held = v5.clone();
    assert_eq!(
        held.accept_newer(v4.clone()),
        Err(UpdateError::Stale { got: 4, current: 5 })
    );
    assert_eq!(
        held.accept_newer(v5.clone()),
        Err(UpdateError::Stale { got: 5, current: 5 })
    );
    assert_eq!(held, v5);
    assert_eq!(held.accept_newer(v6.clone()), Ok(()));
    assert_eq!(held, v6);
    assert_eq!(
        held.accept_newer(v6_other),
        Err(UpdateError::Stale { got: 6, current: 6 })
    );
    assert_eq!(
        held.accept_newer(v4),
        Err(UpdateError::Stale { got: 4, current: 6 })
    );
    // Another group's policy does not replace this one, whatever its revision.
    let mut other_group = network.policy();
    other_group.revision = 100;
    assert_eq!(
        held.accept_newer(network.verified(&other_group)),
        Err(UpdateError::OtherDocument)
    );
    assert_eq!(held, v6);

    // Network settings likewise.
    let mut settings = NetworkSettings::new(network.id, 3, NOW);
    let sign = |settings: &NetworkSettings| {
        let bytes = settings.sign(&network.key).unwrap().to_bytes();
        VerifiedNetworkSettings::verify(&bytes, &network.public(), network.id).unwrap()
    };
    let mut held = sign(&settings);
    settings.revision = 2;
    settings.read_receipts = true;
    assert_eq!(
        held.accept_newer(sign(&settings)),
        Err(UpdateError::Stale { got: 2, current: 3 })
    );
    settings.revision = 4;
    assert_eq!(held.accept_newer(sign(&settings)), Ok(()));
    assert!(held.settings().read_receipts);
    assert_eq!(
        held.accept_newer(Network::new(13).settings(true)),
        Err(UpdateError::OtherDocument)
    );
}

#[test]
fn the_store_keeps_the_newest_per_group_and_network() {
    let mut a = Network::new(14);
    let b = Network::new(15);
    let mut store = PolicyStore::new();
    let mut policy = a.policy();
    policy.revision = 2;
    let group = policy.group_id;
    assert_eq!(
        store.accept_policy(a.verified(&policy)).unwrap().revision(),
        2
    );
    policy.revision = 1;
    assert_eq!(
        store.accept_policy(a.verified(&policy)).err(),
        Some(UpdateError::Stale { got: 1, current: 2 })
    );
    policy.revision = 3;
    store.accept_policy(a.verified(&policy)).unwrap();
    assert_eq!(store.policy(a.id, group).unwrap().revision(), 3);
    assert!(store.policy(b.id, group).is_none());

    store.accept_network_settings(a.settings(true)).unwrap();
    store.accept_network_settings(b.settings(false)).unwrap();
    assert_eq!(
        store.accept_network_settings(b.settings(true)).err(),
        Some(UpdateError::Stale { got: 1, current: 1 })
    );
    assert!(!read_receipts_flow(
        store.network_settings(a.id).unwrap(),
        store.network_settings(b.id).unwrap()
    ));
    // Forgetting a network lets its settings start again.
    assert!(store.remove_network_settings(b.id).is_some());
    store.accept_network_settings(b.settings(true)).unwrap();
    assert!(read_receipts_flow(
        store.network_settings(a.id).unwrap(),
        store.network_settings(b.id).unwrap()
    ));

    // Bounded.
    for _ in 1..MAX_STORED_POLICIES {
        let policy = a.policy();
        store.accept_policy(a.verified(&policy)).unwrap();
    }
    let policy = a.policy();
    assert_eq!(
        store.accept_policy(a.verified(&policy)).err(),
        Some(UpdateError::Full {
            max: MAX_STORED_POLICIES
        })
    );
    // Updates to groups already held still go through.
    let mut policy = store.policy(a.id, group).unwrap().policy().clone();
    policy.revision = 4;
    store.accept_policy(a.verified(&policy)).unwrap();
    assert!(store.remove_policy(a.id, group).is_some());
}

// ---------------------------------------------------------------------------------------------
// Enforcement

#[test]
fn timers_beyond_the_caps_are_clamped_on_both_sides() {
    let mut network = Network::new(16);
    let mut policy = network.policy();
    policy.messaging.timer_caps = TimerCaps {
        max_expiry: Some(DAY),
        max_burn_on_read: Some(60),
    };
    let policy = network.verified(&policy);

    // A sender asking for longer timers, or for none, gets the caps.
    for (asked, expected) in [
        ((Some(365 * DAY), Some(7 * DAY)), (Some(DAY), Some(60))),
        ((None, None), (Some(DAY), Some(60))),
        ((Some(u32::MAX), None), (Some(DAY), Some(60))),
        ((Some(HOUR), Some(10)), (Some(HOUR), Some(10))),
    ] {
        let sent = check_outgoing(&policy, with_timers(text("hi"), asked.0, asked.1)).unwrap();
        assert_eq!(
            (sent.timers.expiry, sent.timers.burn_on_read),
            expected,
            "outgoing {asked:?}"
        );
        // A malicious or older sender that skipped its checks: the receiver clamps too.
        let received = check_incoming(&policy, with_timers(text("hi"), asked.0, asked.1));
        assert_eq!(
            (
                received.content().timers.expiry,
                received.content().timers.burn_on_read
            ),
            expected,
            "incoming {asked:?}"
        );
    }
}

#[test]
fn the_stricter_timer_wins_between_two_groups() {
    // Group A: expiry within a day, burn-on-read unlimited. Group B (another network):
    // expiry within a week, burn within five minutes.
    let mut network_a = Network::new(17);
    let mut network_b = Network::new(18);
    let mut a = network_a.policy();
    a.messaging.timer_caps = TimerCaps {
        max_expiry: Some(DAY),
        max_burn_on_read: None,
    };
    let a = network_a.verified(&a);
    let mut b = network_b.policy();
    b.messaging.timer_caps = TimerCaps {
        max_expiry: Some(7 * DAY),
        max_burn_on_read: Some(300),
    };
    let b = network_b.verified(&b);

    // A sends to B asking for a month and an hour: A caps the expiry, B the burn.
    let sent = check_outgoing(&a, with_timers(text("x"), Some(30 * DAY), Some(HOUR))).unwrap();
    let received = check_incoming(&b, sent).into_content();
    assert_eq!(
        received.timers,
        Timers {
            expiry: Some(DAY),
            burn_on_read: Some(300)
        }
    );
    // B sends to A: the same effective timers, whoever sends.
    let sent = check_outgoing(&b, with_timers(text("x"), Some(30 * DAY), Some(HOUR))).unwrap();
    let received = check_incoming(&a, sent).into_content();
    assert_eq!(
        received.timers,
        Timers {
            expiry: Some(DAY),
            burn_on_read: Some(300)
        }
    );
    // Shorter timers than both caps are kept.
    let sent = check_outgoing(&a, with_timers(text("x"), Some(60), Some(5))).unwrap();
    assert_eq!(
        check_incoming(&b, sent).content().timers,
        Timers {
            expiry: Some(60),
            burn_on_read: Some(5)
        }
    );
}

#[test]
fn forwarding_is_refused_when_off() {
    let mut network = Network::new(19);
    let mut policy = network.policy();
    policy.messaging.forwarding = false;
    let off = network.verified(&policy);
    policy.messaging.forwarding = true;
    let on = network.verified(&policy);
    for body in [text("fwd"), file(), coordinates()] {
        let mut forwarded = body;
        forwarded.forwarded = true;
        assert_eq!(
            check_outgoing(&off, forwarded),
            Err(PolicyViolation::ForwardingOff)
        );
    }
    let mut forwarded = text("fwd");
    forwarded.forwarded = true;
    assert!(check_outgoing(&on, forwarded).unwrap().forwarded);
    assert!(check_outgoing(&off, text("not forwarded")).is_ok());
}

#[test]
fn location_sharing_off_and_link_only() {
    let mut network = Network::new(20);
    let mut policy = network.policy();
    let mut verified = |location| {
        policy.messaging.location = location;
        network.verified(&policy)
    };
    let off = verified(LocationSharing::Off);
    let link_only = verified(LocationSharing::LinkOnly);
    let map = verified(LocationSharing::Map);
    assert_eq!(
        check_outgoing(&off, coordinates()),
        Err(PolicyViolation::LocationOff)
    );
    assert_eq!(
        check_outgoing(&off, link()),
        Err(PolicyViolation::LocationOff)
    );
    assert_eq!(
        check_outgoing(&link_only, coordinates()),
        Err(PolicyViolation::LocationLinkOnly)
    );
    assert!(check_outgoing(&link_only, link()).is_ok());
    assert!(check_outgoing(&map, coordinates()).is_ok());
    assert!(check_outgoing(&map, link()).is_ok());
}

#[test]
fn calls_and_video_are_refused_when_off() {
    let mut network = Network::new(21);
    let mut policy = network.policy();
    let mut verified = |audio, video| {
        policy.calling.audio = audio;
        policy.calling.video = video;
        network.verified(&policy)
    };
    let none = verified(false, false);
    let audio_only = verified(true, false);
    let both = verified(true, true);
    // Video switched on without audio: no call at all.
    let video_without_audio = verified(false, true);
    for action in [CallAction::Start, CallAction::Join, CallAction::Rekey] {
        for video in [false, true] {
            assert_eq!(
                check_outgoing(&none, call(action, video)),
                Err(PolicyViolation::CallsOff)
            );
            assert_eq!(
                check_outgoing(&video_without_audio, call(action, video)),
                Err(PolicyViolation::CallsOff)
            );
            assert!(check_outgoing(&both, call(action, video)).is_ok());
        }
        assert!(check_outgoing(&audio_only, call(action, false)).is_ok());
        assert_eq!(
            check_outgoing(&audio_only, call(action, true)),
            Err(PolicyViolation::VideoOff)
        );
    }
    // Leaving is always allowed, so a policy change never traps anyone in a call.
    for policy in [&none, &audio_only, &video_without_audio] {
        assert!(check_outgoing(policy, call(CallAction::Leave, true)).is_ok());
    }
}

#[test]
fn quick_replies_must_come_from_the_list() {
    let mut network = Network::new(22);
    let mut policy = network.policy();
    policy.messaging.quick_replies = vec!["Copy that".into(), "On my way".into()];
    let policy = network.verified(&policy);
    let mut reply = text("Copy that");
    reply.quick_reply = true;
    assert!(check_outgoing(&policy, reply).unwrap().quick_reply);
    for body in ["copy that", "Copy that ", "anything"] {
        let mut forged = text(body);
        forged.quick_reply = true;
        assert_eq!(
            check_outgoing(&policy, forged),
            Err(PolicyViolation::NotAQuickReply),
            "{body:?}"
        );
    }
    let mut forged = file();
    forged.quick_reply = true;
    assert_eq!(
        check_outgoing(&policy, forged),
        Err(PolicyViolation::NotAQuickReply)
    );
}

#[test]
fn preview_only_groups_refuse_downloads() {
    let mut network = Network::new(23);
    let mut policy = network.policy();
    policy.files.access = FileAccess::PreviewOnly;
    let preview = network.verified(&policy);
    policy.files.access = FileAccess::Download;
    let download = network.verified(&policy);

    // Sending files is not affected by the sender's download setting.
    assert!(check_outgoing(&preview, file()).is_ok());

    let received = check_incoming(&preview, file());
    assert_eq!(received.file_access(), FileAccess::PreviewOnly);
    assert_eq!(received.check_download(), Err(PolicyViolation::PreviewOnly));
    // The file can still be shown: its reference and key are there.
    assert!(matches!(received.content().body, Body::File(_)));

    let received = check_incoming(&download, file());
    assert_eq!(received.file_access(), FileAccess::Download);
    assert_eq!(received.check_download(), Ok(()));
}

#[test]
fn read_receipts_flow_only_when_both_networks_enable_them() {
    let a = Network::new(24);
    let b = Network::new(25);
    let c = Network::new(26);
    for (a_on, b_on) in [(false, false), (false, true), (true, false), (true, true)] {
        let flows = read_receipts_flow(&a.settings(a_on), &b.settings(b_on));
        assert_eq!(flows, a_on && b_on, "{a_on} {b_on}");
        assert_eq!(
            read_receipts_flow(&b.settings(b_on), &a.settings(a_on)),
            flows
        );
    }
    // In a room, every member's network must enable them.
    let own = a.settings(true);
    let others = [b.settings(true), c.settings(true)];
    assert!(read_receipts_flow_in_room(&own, &others));
    let others = [b.settings(true), c.settings(false)];
    assert!(!read_receipts_flow_in_room(&own, &others));
    assert!(!read_receipts_flow_in_room(&a.settings(false), []));
    assert!(read_receipts_flow_in_room(&own, []));
    // A read receipt is content like any other for the group policy.
    let receipt = Content::new(
        MessageId([8; 16]),
        NOW,
        Body::Receipt {
            kind: ReceiptKind::Read,
            message_ids: vec![MessageId([1; 16])],
        },
    );
    let mut network = Network::new(27);
    let policy = network.policy();
    assert!(check_outgoing(&network.verified(&policy), receipt).is_ok());
}

#[test]
fn each_room_member_is_governed_by_its_own_policy() {
    // One room, members from two groups of network A and one group of network B.
    let mut network_a = Network::new(28);
    let mut network_b = Network::new(29);
    let mut strict = network_a.policy();
    strict.name = "Strict".into();
    strict.messaging.forwarding = false;
    strict.messaging.location = LocationSharing::Off;
    strict.calling.video = false;
    strict.files.access = FileAccess::PreviewOnly;
    strict.messaging.timer_caps.max_expiry = Some(HOUR);
    let strict = network_a.verified(&strict);
    let mut open = network_a.policy();
    open.name = "Open".into();
    open.messaging.timer_caps.max_expiry = None;
    let open = network_a.verified(&open);
    let mut partner = network_b.policy();
    partner.messaging.timer_caps.max_expiry = Some(DAY);
    let partner = network_b.verified(&partner);

    // What each member may send is decided by its own policy alone.
    let mut forwarded = text("fwd");
    forwarded.forwarded = true;
    assert_eq!(
        check_outgoing(&strict, forwarded),
        Err(PolicyViolation::ForwardingOff)
    );
    let mut forwarded = text("fwd");
    forwarded.forwarded = true;
    let from_open = check_outgoing(&open, forwarded).unwrap();
    assert_eq!(
        check_outgoing(&strict, coordinates()),
        Err(PolicyViolation::LocationOff)
    );
    assert!(check_outgoing(&partner, coordinates()).is_ok());
    assert_eq!(
        check_outgoing(&strict, call(CallAction::Start, true)),
        Err(PolicyViolation::VideoOff)
    );
    assert!(check_outgoing(&open, call(CallAction::Start, true)).is_ok());

    // The open member's forwarded message reaches everyone, each applying their own policy.
    let encoded = from_open.encode();
    let at_strict = check_incoming(&strict, Content::decode(&encoded).unwrap());
    let at_partner = check_incoming(&partner, Content::decode(&encoded).unwrap());
    assert!(at_strict.content().forwarded);
    assert_eq!(at_strict.content().timers.expiry, Some(HOUR));
    assert_eq!(at_partner.content().timers.expiry, Some(DAY));

    // A file from the partner: the strict member may only preview it, the open member save it.
    let sent = check_outgoing(&partner, file()).unwrap().encode();
    assert_eq!(
        check_incoming(&strict, Content::decode(&sent).unwrap()).check_download(),
        Err(PolicyViolation::PreviewOnly)
    );
    assert_eq!(
        check_incoming(&open, Content::decode(&sent).unwrap()).check_download(),
        Ok(())
    );
}

#[test]
fn password_rules_name_the_rule_that_failed() {
    let mut network = Network::new(30);
    let mut policy = network.policy();
    policy.account.password = PasswordRules {
        min_length: 12,
        min_lowercase: 2,
        min_uppercase: 2,
        min_digits: 2,
        min_special: 1,
    };
    let policy = network.verified(&policy);
    let rules = policy.password_rules();
    assert_eq!(rules.check("correct HORSE 42"), Ok(()));
    assert_eq!(
        rules.check("aB3$aB3$"),
        Err(PasswordRuleFailed::TooShort { min: 12 })
    );
    assert_eq!(
        rules.check("CORRECT hORSE 42"),
        Err(PasswordRuleFailed::NeedsLowercase { min: 2 })
    );
    assert_eq!(
        rules.check("correct horse 42"),
        Err(PasswordRuleFailed::NeedsUppercase { min: 2 })
    );
    assert_eq!(
        rules.check("correct HORSE 4x"),
        Err(PasswordRuleFailed::NeedsDigits { min: 2 })
    );
    assert_eq!(
        rules.check("correctHORSE42x"),
        Err(PasswordRuleFailed::NeedsSpecial { min: 1 })
    );
    assert_eq!(
        rules.failures("abc"),
        [
            PasswordRuleFailed::TooShort { min: 12 },
            PasswordRuleFailed::NeedsUppercase { min: 2 },
            PasswordRuleFailed::NeedsDigits { min: 2 },
            PasswordRuleFailed::NeedsSpecial { min: 1 },
        ]
    );
    // The error says which rule, never anything about the password.
    let message = rules.check("hunter2").unwrap_err().to_string();
    assert!(
        !message.contains("hunter2") && !message.contains('7'),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rules for the federation and ATAK modules

#[test]
fn federation_and_atak_rules_read_as_the_other_modules_need() {
    let peer = NetworkId([9; 16]);
    let stranger = NetworkId([8; 16]);
    let rules = |mode| FederationRules {
        mode,
        allowed_networks: vec![peer],
        guests_allowed: true,
        blocked_guests: vec![AccountId::from_bytes([1; 16])],
    };
    for (same_region, expected) in [(true, true), (false, false)] {
        assert_eq!(
            rules(FederationMode::Local).permits_network(stranger, same_region),
            expected
        );
    }
    assert!(!rules(FederationMode::Off).permits_network(peer, true));
    assert!(rules(FederationMode::Global).permits_network(stranger, false));
    assert!(rules(FederationMode::Restricted).permits_network(peer, false));
    assert!(!rules(FederationMode::Restricted).permits_network(stranger, true));
    assert!(rules(FederationMode::Off).permits_guest(AccountId::from_bytes([2; 16])));
    assert!(!rules(FederationMode::Off).permits_guest(AccountId::from_bytes([1; 16])));
    let no_guests = FederationRules {
        guests_allowed: false,
        ..rules(FederationMode::Global)
    };
    assert!(!no_guests.permits_guest(AccountId::from_bytes([2; 16])));

    let mut atak = AtakRules {
        enabled: true,
        allowed_packages: vec![ATAK_CIV_PACKAGE.into()],
    };
    assert!(atak.allows(ATAK_CIV_PACKAGE));
    assert!(!atak.allows(ATAK_MIL_PACKAGE));
    assert!(!atak.allows("com.atakmap.app.civ.evil"));
    atak.enabled = false;
    assert!(!atak.allows(ATAK_CIV_PACKAGE));
}

#[test]
fn debug_output_names_the_settings_not_the_bytes() {
    let mut network = Network::new(31);
    let policy = network.policy();
    let verified = network.verified(&policy);
    let debug = format!("{verified:?}");
    assert!(debug.starts_with("VerifiedPolicy { policy: SecurityGroupPolicy {"));
    assert!(!debug.contains("bytes"), "{debug}");
    assert!(!format!("{:?}", network.key).contains("seed"));
}

/// The wire form of a policy, built field by field from the spec (docs/protocol/policy.md),
/// for signing invalid policies the library would refuse to sign.
fn to_wire(policy: &SecurityGroupPolicy) -> proto::SecurityGroupPolicy {
    use proto::calling_rules::TcpCalling as Tcp;
    use proto::device_rules::{OpenAccess as Open, ShredderIntensity as Shredder};
    use proto::federation_rules::Mode;
    use proto::file_rules::FileAccess as Access;
    use proto::messaging_rules::LocationSharing as Loc;
    let m = &policy.messaging;
    proto::SecurityGroupPolicy {
        version: 1,
        network_id: policy.network_id.0.to_vec(),
        group_id: policy.group_id.0.to_vec(),
        revision: policy.revision,
        issued_at: policy.issued_at.0,
        name: policy.name.clone(),
        messaging: Some(proto::MessagingRules {
            max_expiry_seconds: m.timer_caps.max_expiry.unwrap_or(0),
            max_burn_on_read_seconds: m.timer_caps.max_burn_on_read.unwrap_or(0),
            forwarding: m.forwarding,
            quick_replies: m.quick_replies.clone(),
            location_sharing: match m.location {
                LocationSharing::Off => Loc::Off,
                LocationSharing::LinkOnly => Loc::LinkOnly,
                LocationSharing::Map => Loc::Map,
            } as i32,
            notification_previews: m.notification_previews,
        }),
        calling: Some(proto::CallingRules {
            audio: policy.calling.audio,
            video: policy.calling.video,
            tcp: match policy.calling.tcp {
                TcpCalling::Off => Tcp::Off,
                TcpCalling::Allowed => Tcp::Allowed,
                TcpCalling::Forced => Tcp::Forced,
            } as i32,
        }),
        files: Some(proto::FileRules {
            access: match policy.files.access {
                FileAccess::Download => Access::Download,
                FileAccess::PreviewOnly => Access::PreviewOnly,
            } as i32,
            low_bandwidth: policy.files.low_bandwidth,
        }),
        account: Some(proto::AccountRules {
            account_takeover_protection: policy.account.account_takeover_protection,
            always_reauthenticate: policy.account.always_reauthenticate,
            master_recovery_key: policy.account.master_recovery_key,
            non_sso_session_timeout_seconds: policy.account.non_sso_session_timeout.unwrap_or(0),
            password: Some(proto::PasswordRules {
                min_length: policy.account.password.min_length,
                min_lowercase: policy.account.password.min_lowercase,
                min_uppercase: policy.account.password.min_uppercase,
                min_digits: policy.account.password.min_digits,
                min_special: policy.account.password.min_special,
            }),
        }),
        device: Some(proto::DeviceRules {
            shredder_intensity: match policy.device.shredder {
                ShredderIntensity::Low => Shredder::Low,
                ShredderIntensity::Medium => Shredder::Medium,
                ShredderIntensity::High => Shredder::High,
            } as i32,
            open_access: match policy.device.open_access {
                OpenAccess::Off => Open::Off,
                OpenAccess::Allowed => Open::Allowed,
                OpenAccess::Forced => Open::Forced,
            } as i32,
        }),
        federation: Some(proto::FederationRules {
            mode: match policy.federation.mode {
                FederationMode::Off => Mode::Off,
                FederationMode::Local => Mode::Local,
                FederationMode::Global => Mode::Global,
                FederationMode::Restricted => Mode::Restricted,
            } as i32,
            allowed_networks: policy
                .federation
                .allowed_networks
                .iter()
                .map(|id| id.0.to_vec())
                .collect(),
            guests_allowed: policy.federation.guests_allowed,
            blocked_guests: policy
                .federation
                .blocked_guests
                .iter()
                .map(|id| id.as_bytes().to_vec())
                .collect(),
        }),
        atak: Some(proto::AtakRules {
            enabled: policy.atak.enabled,
            allowed_packages: policy.atak.allowed_packages.clone(),
        }),
    }
}

#[test]
fn the_library_encodes_as_the_spec_says() {
    // The library's encoding is the field-by-field one of the spec: the signed body of a
    // policy is exactly `to_wire` above, encoded.
    let mut network = Network::new(32);
    let policy = every_setting(&mut network);
    let bytes = policy.sign(&network.key).unwrap().to_bytes();
    let signed = proto::SignedSecurityGroupPolicy::decode(bytes.as_slice()).unwrap();
    assert_eq!(signed.body, to_wire(&policy).encode_to_vec());
    assert_eq!(signed.signature.len(), 64);
    let signature = ember_core::crypto::sign::Signature::from_slice(&signed.signature).unwrap();
    assert_eq!(
        network
            .public()
            .verify(POLICY_LABEL, &signed.body, &signature),
        Ok(())
    );
}

// ---------------------------------------------------------------------------------------------
// Known-answer vectors (docs/protocol/policy.md, "Test vectors")

/// Network key seed 0x11 x 32; network id 0x22 x 16; group id 0x33 x 16.
const VECTOR_PUBLIC_KEY: &str = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737";
const VECTOR_POLICY: &str = "0a960108011210222222222222222222222222222222221a1033333333333333333333\
    33333333333320012880e2cfaa06320a4669656c64207465616d3a0908809a9e011801280342060801100118024a02\
    0801520d0801180120809a9e012a02080c5a0408031001620208016a2a1213636f6d2e6174616b6d61702e6170702e\
    6369761213636f6d2e6174616b6d61702e6170702e6d696c1240e0f8a1266b5edee67b8573c506fa4c43fbc0b762cd\
    1b584a9b6753d133ec85777b0cbde799da98a5538435040af3f584732b756cdf7058bdec1d8ced493b4100";
const VECTOR_SETTINGS: &str = "0a45080112102222222222222222222222222222222218012080e2cfaa0628013a\
    220a064e6f746963651214417574686f72697a656420757365206f6e6c792e1a024f4b4084071240cc97473bf978bf\
    8aaf05f9773448c078ec7d332ea2dffd92728e137dd45903efd7404f1e8d69a8e0590e3cae56f393e8029af42eaeb3\
    4932df66b04cb6973302";

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(text).unwrap()
}

#[test]
fn known_answer_vectors() {
    let key = NetworkKey::from_seed(&ember_core::crypto::Secret32::from_bytes(&mut [0x11; 32]));
    assert_eq!(hex::encode(key.public_key().to_bytes()), VECTOR_PUBLIC_KEY);
    let network = NetworkId([0x22; 16]);

    let mut policy = SecurityGroupPolicy::new(
        network,
        SecurityGroupId([0x33; 16]),
        1,
        Timestamp(1_700_000_000),
    );
    policy.name = "Field team".into();
    let bytes = unhex(VECTOR_POLICY);
    assert_eq!(policy.sign(&key).unwrap().to_bytes(), bytes);
    let verified = VerifiedPolicy::verify(&bytes, &key.public_key(), network).unwrap();
    assert_eq!(verified.policy(), &policy);

    let mut settings = NetworkSettings::new(network, 1, Timestamp(1_700_000_000));
    settings.read_receipts = true;
    settings.consent_banner = Some(ConsentBanner {
        title: "Notice".into(),
        body: "Authorized use only.".into(),
        button_label: "OK".into(),
    });
    settings.inactivity_timeout = Some(900);
    let bytes = unhex(VECTOR_SETTINGS);
    assert_eq!(settings.sign(&key).unwrap().to_bytes(), bytes);
    let verified = VerifiedNetworkSettings::verify(&bytes, &key.public_key(), network).unwrap();
    assert_eq!(verified.settings(), &settings);
}
