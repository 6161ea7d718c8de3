//! The organization layer: [`policy`], [`federation`], [`atak`] and [`devices`] on fixed
//! fixtures, and their seeds.
//!
//! Each target's first byte picks the decoder; the rest is its input. The fixtures (a network
//! key and id, a federation gate with one trusted peer, an ATAK pairing registry and plugin
//! channel paired with each other, an account with a device list and a directory entry, a
//! device link in progress) are made from fixed seeds, so the seeds made here are valid for
//! them.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use super::{NOW, flipped, rng, truncated};
use crate::atak::{
    AtakRules, ConversationId, PairingRegistry, PluginAction, PluginChannel, PluginPairing,
    PluginResponse, RequestStatus, Sas,
};
use crate::crypto::Secret32;
use crate::federation::{
    Boundary, DescriptorFields, FederationDirectory, FederationGate, FederationMode,
    FederationRefusal, NetworkDescriptor, Outgoing, RecipientRules, Region, SenderKind,
    SenderStatus, TrustStore, seal,
};
use crate::identity::{
    Account, ApproverLink, DeviceCertificate, DirectoryEntry, DirectoryStatus, LinkOffer,
    LinkRequest, LinkReveal, NewDeviceLink, PublicIdentity, RecoveryKey, VerifiedDeviceList,
    VerifiedDirectoryEntry,
};
use crate::ids::{AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::network::{NetworkId, NetworkKey};
use crate::policy::{
    ATAK_CIV_PACKAGE, ConsentBanner, NetworkSettings, SecurityGroupId, SecurityGroupPolicy,
    UpdateError, VerifiedNetworkSettings, VerifiedPolicy,
};

/// The seed of this network's key and id (policies, settings, directory entries, the gate's
/// own descriptor).
const NETWORK: u8 = 0x0e;
/// The seed of the federated peer network, and of its member who sends.
const PEER: u8 = 0x9e;
/// The seed of a network the gate does not trust.
const UNTRUSTED: u8 = 0x7e;
/// The seed of the peer's envelope nonces.
const ENVELOPES: u8 = 0xe7;
/// When the gate checks envelopes: ten seconds after they were sealed.
const GATE_NOW: Timestamp = Timestamp(NOW.0 + 10);
/// The seeds of the ATAK plugin's and the messenger's randomness during pairing.
const PLUGIN: u8 = 0x91;
const MESSENGER: u8 = 0x3e;
/// The key the ATAK fixtures are sealed under.
const ATAK_STATE_KEY: [u8; 32] = [0xa7; 32];
/// The seeds of the account (device list, linking) and of the new device being linked.
const ACCOUNT: u8 = 0xac;
const NEW_DEVICE: u8 = 0x4d;
const APPROVER: u8 = 0xa9;
/// When the linking fixtures receive: a second after they started.
const LINK_NOW: Timestamp = Timestamp(NOW.0 + 1);
/// The seed of the recovery key.
const RECOVERY: u8 = 0x2e;

fn network() -> (NetworkKey, NetworkId) {
    let mut rng = rng(NETWORK);
    (
        NetworkKey::generate(&mut rng),
        NetworkId::generate(&mut rng),
    )
}

/// Feeds a signed document of the network to its verifier: the first byte picks
/// [`VerifiedPolicy::verify`] (even) or [`VerifiedNetworkSettings::verify`] (odd), under the
/// fixed network's key and id.
///
/// An accepted document keeps its bytes, verifies again to an equal document, re-signed
/// verifies to an equal model, and does not replace itself ([`UpdateError::Stale`]).
pub fn policy(data: &[u8]) {
    let Some((&selector, document)) = data.split_first() else {
        return;
    };
    let (key, id) = network();
    let public = key.public_key();
    if selector % 2 == 0 {
        let Ok(verified) = VerifiedPolicy::verify(document, &public, id) else {
            return;
        };
        assert_eq!(verified.to_bytes(), document, "a policy changed its bytes");
        assert_eq!(
            VerifiedPolicy::verify(&verified.to_bytes(), &public, id).as_ref(),
            Ok(&verified),
            "a verified policy does not verify again"
        );
        let resigned = verified
            .policy()
            .sign(&key)
            .expect("a verified policy is valid");
        let reverified = VerifiedPolicy::verify(&resigned.to_bytes(), &public, id)
            .expect("a re-signed policy verifies");
        assert_eq!(
            reverified.policy(),
            verified.policy(),
            "a policy does not survive re-encoding"
        );
        let mut current = verified.clone();
        assert!(
            matches!(
                current.accept_newer(verified.clone()),
                Err(UpdateError::Stale { .. })
            ),
            "a policy replaced itself"
        );
        assert_eq!(current, verified, "a refused update changed the policy");
    } else {
        let Ok(verified) = VerifiedNetworkSettings::verify(document, &public, id) else {
            return;
        };
        assert_eq!(
            verified.to_bytes(),
            document,
            "settings changed their bytes"
        );
        assert_eq!(
            VerifiedNetworkSettings::verify(&verified.to_bytes(), &public, id).as_ref(),
            Ok(&verified),
            "verified settings do not verify again"
        );
        let resigned = verified
            .settings()
            .sign(&key)
            .expect("verified settings are valid");
        let reverified = VerifiedNetworkSettings::verify(&resigned.to_bytes(), &public, id)
            .expect("re-signed settings verify");
        assert_eq!(
            reverified.settings(),
            verified.settings(),
            "settings do not survive re-encoding"
        );
        let mut current = verified.clone();
        assert!(
            matches!(
                current.accept_newer(verified.clone()),
                Err(UpdateError::Stale { .. })
            ),
            "settings replaced themselves"
        );
        assert_eq!(current, verified, "a refused update changed the settings");
    }
}

/// The receiving network's directory: one recipient, whose group takes guests but blocks
/// one; one suspended sender account.
#[derive(Clone, Debug)]
struct Directory {
    recipient: DeviceAddress,
    rules: RecipientRules,
    suspended: AccountId,
}

impl FederationDirectory for Directory {
    fn recipient_rules(&self, recipient: &DeviceAddress) -> Option<&RecipientRules> {
        (recipient == &self.recipient).then_some(&self.rules)
    }

    fn sender_status(&self, _: NetworkId, certificate: &DeviceCertificate) -> SenderStatus {
        if certificate.account_id() == self.suspended {
            SenderStatus::SuspendedAccount
        } else {
            SenderStatus::Active
        }
    }
}

/// The federation fixture: a fresh gate (this network, trusting the peer), its directory,
/// and an envelope it accepts.
struct Federation {
    gate: FederationGate,
    directory: Directory,
    valid: Vec<u8>,
}

fixture! {
    /// The federation fixture (see [`federation_seeds`]).
    fn federation_fixture() -> Federation = || federation_seeds().0;
}

/// Feeds the bytes to [`NetworkDescriptor::from_bytes`] (first byte even) or to
/// [`FederationGate::check`] on a fixed gate at a fixed time with a fixed directory (odd).
///
/// An accepted descriptor re-encodes to an equal one, stably. An accepted envelope is refused
/// as [`FederationRefusal::Replayed`] the second time; a refused one leaves the gate accepting
/// a valid envelope.
pub fn federation(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        let Ok(descriptor) = NetworkDescriptor::from_bytes(input) else {
            return;
        };
        let encoded = descriptor.to_bytes();
        let decoded = NetworkDescriptor::from_bytes(&encoded);
        assert_eq!(
            decoded.as_ref(),
            Ok(&descriptor),
            "a descriptor does not survive re-encoding"
        );
        if let Ok(decoded) = decoded {
            assert_eq!(
                decoded.to_bytes(),
                encoded,
                "descriptor encoding is not stable"
            );
        }
        return;
    }
    let fixture = federation_fixture();
    let mut gate = fixture.gate.clone();
    match gate.check(input, GATE_NOW, &fixture.directory) {
        Ok(_) => assert_eq!(
            gate.check(input, GATE_NOW, &fixture.directory).err(),
            Some(FederationRefusal::Replayed),
            "an envelope was accepted twice"
        ),
        Err(_) => assert!(
            gate.check(&fixture.valid, GATE_NOW, &fixture.directory)
                .is_ok(),
            "a refused envelope made the gate refuse a valid one"
        ),
    }
}

fn describe(
    key: &NetworkKey,
    network: NetworkId,
    region: &str,
    boundary: Boundary,
    mode: FederationMode,
) -> NetworkDescriptor {
    let fields = DescriptorFields {
        network,
        region: Region::new(region).expect("a valid region"),
        boundary,
        mode,
        revision: 1,
    };
    NetworkDescriptor::sign(key, fields).expect("a valid descriptor")
}

/// The federation fixture and the seeds for it.
fn federation_seeds() -> (Federation, Vec<(&'static str, Vec<u8>)>) {
    let (own_key, own_id) = network();
    let own = describe(
        &own_key,
        own_id,
        "eu-west-1",
        Boundary::Government,
        FederationMode::Global,
    );
    let mut peer_rng = rng(PEER);
    let peer_key = NetworkKey::generate(&mut peer_rng);
    let peer_id = NetworkId::generate(&mut peer_rng);
    let peer = describe(
        &peer_key,
        peer_id,
        "us-east-1",
        Boundary::Commercial,
        FederationMode::Global,
    );
    let restricted = describe(
        &peer_key,
        peer_id,
        "us-east-1",
        Boundary::Commercial,
        FederationMode::Restricted(BTreeSet::from([own_id, NetworkId([0x22; 16])])),
    );
    let mut untrusted_rng = rng(UNTRUSTED);
    let untrusted_key = NetworkKey::generate(&mut untrusted_rng);
    let untrusted = describe(
        &untrusted_key,
        NetworkId::generate(&mut untrusted_rng),
        "us-east-1",
        Boundary::Commercial,
        FederationMode::Global,
    );
    let mut account = Account::generate(&mut peer_rng);
    let sender = account.new_device(&mut peer_rng, NOW);
    let mut suspended = Account::generate(&mut peer_rng);
    let suspended_sender = suspended.new_device(&mut peer_rng, NOW);
    let recipient = DeviceAddress {
        account: AccountId::from_bytes([0x0a; crate::ACCOUNT_ID_LEN]),
        device: DeviceId(1),
    };
    let directory = Directory {
        recipient,
        rules: RecipientRules {
            guests_allowed: true,
            blocked_guests: BTreeSet::from([suspended.public_identity().id]),
        },
        suspended: suspended.public_identity().id,
    };
    let mut trust = TrustStore::new();
    trust
        .add(peer.clone())
        .expect("an empty store trusts the peer");
    let gate = FederationGate::new(own.clone(), trust, Timestamp(0));

    let mut nonces = rng(ENVELOPES);
    let mut envelope = |key: &NetworkKey,
                        from: &NetworkDescriptor,
                        to: &NetworkDescriptor,
                        certificate: &DeviceCertificate,
                        kind: SenderKind,
                        recipient: DeviceAddress,
                        at: Timestamp| {
        let message = Outgoing {
            sender_certificate: certificate,
            sender_kind: kind,
            recipient,
            payload: b"end-to-end ciphertext",
        };
        seal(key, from, to, &message, &mut nonces, at).expect("the peer seals")
    };
    let member = sender.certificate();
    let member_envelope = envelope(
        &peer_key,
        &peer,
        &own,
        member,
        SenderKind::Member,
        recipient,
        NOW,
    );
    let guest = envelope(
        &peer_key,
        &peer,
        &own,
        member,
        SenderKind::Guest,
        recipient,
        NOW,
    );
    let stale = envelope(
        &peer_key,
        &peer,
        &own,
        member,
        SenderKind::Member,
        recipient,
        Timestamp(NOW.0 - 400),
    );
    let future = envelope(
        &peer_key,
        &peer,
        &own,
        member,
        SenderKind::Member,
        recipient,
        Timestamp(GATE_NOW.0 + 120),
    );
    let stranger = DeviceAddress {
        device: DeviceId(2),
        ..recipient
    };
    let unknown_recipient = envelope(
        &peer_key,
        &peer,
        &own,
        member,
        SenderKind::Member,
        stranger,
        NOW,
    );
    let suspended_envelope = envelope(
        &peer_key,
        &peer,
        &own,
        suspended_sender.certificate(),
        SenderKind::Member,
        recipient,
        NOW,
    );
    let blocked_guest = envelope(
        &peer_key,
        &peer,
        &own,
        suspended_sender.certificate(),
        SenderKind::Guest,
        recipient,
        NOW,
    );
    let untrusted_envelope = envelope(
        &untrusted_key,
        &untrusted,
        &own,
        member,
        SenderKind::Member,
        recipient,
        NOW,
    );
    let elsewhere = envelope(
        &peer_key,
        &peer,
        &untrusted,
        member,
        SenderKind::Member,
        recipient,
        NOW,
    );
    let rotated_key = NetworkKey::generate(&mut peer_rng);
    let rotation = NetworkDescriptor::sign_rotation(
        &rotated_key,
        &peer_key,
        DescriptorFields {
            revision: 2,
            ..peer.fields().clone()
        },
    )
    .expect("a valid rotation");

    let descriptor = |bytes: Vec<u8>| [&[0u8][..], &bytes].concat();
    let check = |bytes: Vec<u8>| [&[1u8][..], &bytes].concat();
    let seeds = alloc::vec![
        ("seed-descriptor-own", descriptor(own.to_bytes())),
        ("seed-descriptor-peer", descriptor(peer.to_bytes())),
        (
            "seed-descriptor-restricted",
            descriptor(restricted.to_bytes())
        ),
        ("seed-descriptor-rotation", descriptor(rotation.to_bytes())),
        (
            "seed-descriptor-truncated",
            descriptor(truncated(&own.to_bytes()))
        ),
        (
            "seed-descriptor-bad-signature",
            descriptor(flipped(&own.to_bytes()))
        ),
        ("seed-member", check(member_envelope.clone())),
        ("seed-guest", check(guest)),
        ("seed-truncated", check(truncated(&member_envelope))),
        ("seed-bad-signature", check(flipped(&member_envelope))),
        ("seed-stale", check(stale)),
        ("seed-from-the-future", check(future)),
        ("seed-unknown-recipient", check(unknown_recipient)),
        ("seed-suspended-sender", check(suspended_envelope)),
        ("seed-blocked-guest", check(blocked_guest)),
        ("seed-unknown-network", check(untrusted_envelope)),
        ("seed-wrong-recipient-network", check(elsewhere)),
    ];
    let fixture = Federation {
        gate,
        directory,
        valid: member_envelope,
    };
    (fixture, seeds)
}

/// The ATAK fixtures: the messenger's registry as paired (no request opened yet) and the
/// plugin's channel (its requests sealed, no reply opened yet), both sealed; the plugin's
/// pairing request and the code both sides show; and a valid frame in each direction.
struct Atak {
    registry: Vec<u8>,
    channel: Vec<u8>,
    pairing_request: Vec<u8>,
    sas: Sas,
    request: Vec<u8>,
    reply: Vec<u8>,
}

fixture! {
    /// The ATAK fixtures (see [`atak_seeds`]).
    fn atak_fixture() -> Atak = || atak_seeds().0;
}

fn atak_key() -> Secret32 {
    let mut key = ATAK_STATE_KEY;
    Secret32::from_bytes(&mut key)
}

fn atak_rules() -> AtakRules {
    AtakRules::allowing([ATAK_CIV_PACKAGE])
}

fn open_registry(sealed: &[u8]) -> PairingRegistry {
    PairingRegistry::open_state(&atak_key(), sealed, atak_rules()).expect("the registry opens")
}

fn open_channel(sealed: &[u8]) -> PluginChannel {
    PluginChannel::open_state(&atak_key(), sealed).expect("the channel opens")
}

/// Feeds the bytes to the ATAK pairing and channel, by the first byte modulo 4: the
/// messenger's [`PairingRegistry::receive_request`] (fixed rules, the caller is
/// [`ATAK_CIV_PACKAGE`]), its reveal step after the fixed pairing request,
/// [`PairingRegistry::open_request`] on the fixed paired registry, or the plugin's
/// [`PluginChannel::open_reply`] on the fixed channel.
///
/// An accepted request is for the caller's package; an accepted reveal shows the code the
/// plugin shows. An opened frame does not open twice; a refused one leaves the channel
/// opening the next valid frame.
pub fn atak(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let fixture = atak_fixture();
    match selector % 4 {
        0 => {
            let registry = PairingRegistry::new(atak_rules());
            if let Ok((pending, _)) =
                registry.receive_request(&mut rng(MESSENGER), input, ATAK_CIV_PACKAGE)
            {
                assert_eq!(pending.package(), ATAK_CIV_PACKAGE, "a stranger paired");
            }
        }
        1 => {
            let registry = PairingRegistry::new(atak_rules());
            let (pending, _) = registry
                .receive_request(
                    &mut rng(MESSENGER),
                    &fixture.pairing_request,
                    ATAK_CIV_PACKAGE,
                )
                .expect("the fixed pairing request is accepted");
            if let Ok(approval) = pending.receive_reveal(input) {
                assert_eq!(approval.sas(), fixture.sas, "a reveal changed the code");
            }
        }
        2 => {
            let mut registry = open_registry(&fixture.registry);
            match registry.open_request(input) {
                Ok(_) => assert!(
                    registry.open_request(input).is_err(),
                    "a request opened twice"
                ),
                Err(_) => assert!(
                    registry.open_request(&fixture.request).is_ok(),
                    "a refused request broke the channel"
                ),
            }
        }
        _ => {
            let mut channel = open_channel(&fixture.channel);
            match channel.open_reply(input) {
                Ok(_) => assert!(channel.open_reply(input).is_err(), "a reply opened twice"),
                Err(_) => assert!(
                    channel.open_reply(&fixture.reply).is_ok(),
                    "a refused reply broke the channel"
                ),
            }
        }
    }
}

/// The ATAK fixtures and the seeds for them.
fn atak_seeds() -> (Atak, Vec<(&'static str, Vec<u8>)>) {
    let mut plugin_rng = rng(PLUGIN);
    let mut registry = PairingRegistry::new(atak_rules());
    let (plugin, pairing_request) =
        PluginPairing::start(&mut plugin_rng, ATAK_CIV_PACKAGE).expect("the plugin starts");
    let (pending, response) = registry
        .receive_request(&mut rng(MESSENGER), &pairing_request, ATAK_CIV_PACKAGE)
        .expect("the messenger answers");
    let (plugin, reveal) = plugin
        .receive_response(&response)
        .expect("the plugin reads the response");
    let approval = pending
        .receive_reveal(&reveal)
        .expect("the messenger reads the reveal");
    let sas = approval.sas();
    let (_, confirm) = approval
        .approve(true, &mut registry)
        .expect("the user approves");
    let mut channel = plugin.finish(&confirm, true).expect("the plugin confirms");

    // Another plugin's pairing: a request from a package the rules do not allow, and a reveal
    // that does not match the fixed request's commitment.
    let (other, other_request) =
        PluginPairing::start(&mut plugin_rng, "org.example.other").expect("another plugin");
    let (_, other_response) = PairingRegistry::new(AtakRules::allowing(["org.example.other"]))
        .receive_request(&mut plugin_rng, &other_request, "org.example.other")
        .expect("its own messenger answers");
    let (_, other_reveal) = other
        .receive_response(&other_response)
        .expect("it reads the response");

    let sealed_registry = registry
        .seal_state(&atak_key(), &mut rng(MESSENGER))
        .expect("the registry seals");
    let conversation = ConversationId::from_slice(b"room-7").expect("a conversation id");
    let actions = [
        PluginAction::SendMessage {
            conversation: conversation.clone(),
            text: "contact north".into(),
        },
        PluginAction::SendFile {
            conversation: conversation.clone(),
            file_token: "content://atak/map.kmz".into(),
            name: "map.kmz".into(),
            media_type: "application/vnd.google-earth.kmz".into(),
        },
        PluginAction::SendVoiceClip {
            conversation: conversation.clone(),
            file_token: "content://atak/clip.ogg".into(),
            media_type: "audio/ogg".into(),
            duration_ms: 2500,
        },
        PluginAction::StartCall {
            conversation,
            video: true,
        },
    ];
    let requests: Vec<Vec<u8>> = actions
        .iter()
        .map(|action| {
            channel
                .seal_request(&mut plugin_rng, action)
                .expect("the plugin seals")
                .1
        })
        .collect();
    let sealed_channel = channel
        .seal_state(&atak_key(), &mut rng(PLUGIN))
        .expect("the channel seals");
    let unpair_request = open_channel(&sealed_channel)
        .unpair(&mut plugin_rng)
        .expect("the plugin unpairs");

    let mut messenger = open_registry(&sealed_registry);
    let mut messenger_rng = rng(MESSENGER);
    let replies: Vec<Vec<u8>> = [RequestStatus::Ok, RequestStatus::RefusedByPolicy]
        .into_iter()
        .zip(&requests)
        .map(|(status, request)| {
            let (from, opened) = messenger
                .open_request(request)
                .expect("the messenger opens");
            let response = PluginResponse {
                request: opened.id,
                status,
            };
            messenger
                .seal_response(&mut messenger_rng, from, &response)
                .expect("the messenger answers")
        })
        .collect();
    let channel_id = messenger
        .channels()
        .next()
        .expect("the messenger is paired")
        .0;
    let unpaired = messenger
        .unpair(&mut messenger_rng, channel_id)
        .expect("the messenger unpairs");

    let input = |selector: u8, bytes: &[u8]| [&[selector][..], bytes].concat();
    let seeds = alloc::vec![
        ("seed-pairing-request", input(0, &pairing_request)),
        ("seed-pairing-other-package", input(0, &other_request)),
        (
            "seed-pairing-truncated",
            input(0, &truncated(&pairing_request))
        ),
        ("seed-pairing-response", input(0, &response)),
        ("seed-reveal", input(1, &reveal)),
        ("seed-reveal-other", input(1, &other_reveal)),
        ("seed-reveal-truncated", input(1, &truncated(&reveal))),
        ("seed-request-message", input(2, &requests[0])),
        ("seed-request-file", input(2, &requests[1])),
        ("seed-request-voice-clip", input(2, &requests[2])),
        ("seed-request-call", input(2, &requests[3])),
        ("seed-request-unpair", input(2, &unpair_request)),
        ("seed-request-bad-tag", input(2, &flipped(&requests[0]))),
        ("seed-request-truncated", input(2, &truncated(&requests[0]))),
        ("seed-request-reply", input(2, &replies[0])),
        ("seed-reply-ok", input(3, &replies[0])),
        ("seed-reply-refused", input(3, &replies[1])),
        ("seed-reply-unpaired", input(3, &unpaired)),
        ("seed-reply-bad-tag", input(3, &flipped(&replies[0]))),
        ("seed-reply-truncated", input(3, &truncated(&replies[0]))),
        ("seed-reply-request", input(3, &requests[0])),
    ];
    let fixture = Atak {
        registry: sealed_registry,
        channel: sealed_channel,
        pairing_request,
        sas,
        request: requests[3].clone(),
        reply: replies[1].clone(),
    };
    (fixture, seeds)
}

/// The identity fixtures: the account (its identity), the new device's link request, and the
/// code both sides of the fixed link show.
struct Identity {
    account: PublicIdentity,
    request: Vec<u8>,
    offer: Vec<u8>,
    code: String,
}

fixture! {
    /// The identity fixtures (see [`devices_seeds`]).
    fn identity_fixture() -> Identity = || devices_seeds().0;
}

/// Feeds the bytes to the device and account decoders, by the first byte modulo 7:
///
/// 0. [`LinkRequest::from_bytes`], answered by the fixed account's [`ApproverLink::respond`];
/// 1. [`LinkOffer::from_bytes`], received by a fixed [`NewDeviceLink`];
/// 2. [`LinkReveal::from_bytes`], received by the [`ApproverLink`] that answered the fixed
///    new device;
/// 3. [`VerifiedDeviceList::verify`] under the fixed account;
/// 4. [`VerifiedDirectoryEntry::verify`] under the fixed network;
/// 5. [`RecoveryKey::from_words`], the input read as UTF-8 (lossily);
/// 6. [`RecoveryKey::from_qr_payload`].
///
/// Whatever is accepted re-encodes to an equal value; a reveal or offer the fixed link takes
/// gives the code of the fixed link only with the fixed counterpart.
pub fn devices(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let fixture = identity_fixture();
    match selector % 7 {
        0 => {
            let Ok(request) = LinkRequest::from_bytes(input) else {
                return;
            };
            assert_eq!(LinkRequest::from_bytes(&request.to_bytes()), Ok(request));
            let account = Account::generate(&mut rng(ACCOUNT));
            let (_, offer) = ApproverLink::respond(&mut rng(APPROVER), &account, &request, NOW);
            assert_eq!(offer.account(), fixture.account);
        }
        1 => {
            let Ok(offer) = LinkOffer::from_bytes(input) else {
                return;
            };
            assert_eq!(LinkOffer::from_bytes(&offer.to_bytes()), Ok(offer));
            let (link, _) = NewDeviceLink::start(&mut rng(NEW_DEVICE), NOW);
            let (code, reveal) = link
                .receive_offer(&offer, LINK_NOW)
                .expect("a new device takes any offer in time");
            assert_eq!(LinkReveal::from_bytes(&reveal.to_bytes()), Ok(reveal));
            if offer.to_bytes() == fixture.offer {
                assert_eq!(code.code().digits(), fixture.code, "the code changed");
            }
        }
        2 => {
            let Ok(reveal) = LinkReveal::from_bytes(input) else {
                return;
            };
            assert_eq!(LinkReveal::from_bytes(&reveal.to_bytes()), Ok(reveal));
            let account = Account::generate(&mut rng(ACCOUNT));
            let request =
                LinkRequest::from_bytes(&fixture.request).expect("the fixed request decodes");
            let (link, _) = ApproverLink::respond(&mut rng(APPROVER), &account, &request, NOW);
            if let Ok(code) = link.receive_reveal(&reveal, LINK_NOW) {
                assert_eq!(
                    code.code().digits(),
                    fixture.code,
                    "a reveal changed the code"
                );
                assert_eq!(code.keys(), request.keys());
            }
        }
        3 => {
            let Ok(list) = VerifiedDeviceList::verify(input, &fixture.account) else {
                return;
            };
            assert_eq!(
                VerifiedDeviceList::verify(&list.to_bytes(), &fixture.account).as_ref(),
                Ok(&list),
                "a device list does not survive re-encoding"
            );
        }
        4 => {
            let (key, id) = network();
            let Ok(entry) = VerifiedDirectoryEntry::verify(input, id, &key.public_key()) else {
                return;
            };
            let decoded = VerifiedDirectoryEntry::verify(&entry.to_bytes(), id, &key.public_key());
            assert!(
                decoded.as_ref().ok() == Some(&entry),
                "a directory entry does not survive re-encoding"
            );
        }
        5 => {
            let Ok(key) = RecoveryKey::from_words(&String::from_utf8_lossy(input)) else {
                return;
            };
            assert_recovery_round_trip(&key);
        }
        _ => {
            let Ok(key) = RecoveryKey::from_qr_payload(input) else {
                return;
            };
            assert_eq!(
                key.to_qr_payload().as_slice(),
                input,
                "a QR payload has two forms"
            );
            assert_recovery_round_trip(&key);
        }
    }
}

fn assert_recovery_round_trip(key: &RecoveryKey) {
    assert!(
        RecoveryKey::from_words(&key.to_words()).as_ref().ok() == Some(key),
        "a recovery key does not survive its words"
    );
    assert!(
        RecoveryKey::from_qr_payload(&key.to_qr_payload())
            .as_ref()
            .ok()
            == Some(key),
        "a recovery key does not survive its QR payload"
    );
}

/// The identity fixtures and the seeds for them.
fn devices_seeds() -> (Identity, Vec<(&'static str, Vec<u8>)>) {
    let mut account = Account::generate(&mut rng(ACCOUNT));
    let identity = account.public_identity();
    let (link, request) = NewDeviceLink::start(&mut rng(NEW_DEVICE), NOW);
    let (approver, offer) = ApproverLink::respond(&mut rng(APPROVER), &account, &request, NOW);
    let (new_code, reveal) = link
        .receive_offer(&offer, LINK_NOW)
        .expect("the new device reads the offer");
    let approver_code = approver
        .receive_reveal(&reveal, LINK_NOW)
        .expect("the approver reads the reveal");
    assert_eq!(approver_code.code(), new_code.code());
    let code = String::from(new_code.code().digits());
    let (other_link, other_request) = NewDeviceLink::start(&mut rng(NEW_DEVICE ^ 1), NOW);
    let (_, other_offer) =
        ApproverLink::respond(&mut rng(APPROVER ^ 1), &account, &other_request, NOW);
    let (_, other_reveal) = other_link
        .receive_offer(&other_offer, LINK_NOW)
        .expect("the other device reads its offer");

    let mut device_rng = rng(ACCOUNT ^ 1);
    let devices = [
        account.new_device(&mut device_rng, NOW),
        account.new_device(&mut device_rng, NOW),
        account.new_device(&mut device_rng, NOW),
    ];
    let list = account
        .device_list(1, [devices[0].certificate(), devices[1].certificate()], NOW)
        .expect("a list of own devices");
    let grown = account
        .add_to_device_list(&list, devices[2].certificate(), NOW)
        .expect("a device joins the list");
    let mut stranger = Account::generate(&mut device_rng);
    let strange_device = stranger.new_device(&mut device_rng, NOW);
    let foreign = stranger
        .device_list(1, [strange_device.certificate()], NOW)
        .expect("the stranger's list");

    let (key, network) = network();
    let entry = DirectoryEntry {
        network,
        handle: "alice@example.org".into(),
        account: identity,
        status: DirectoryStatus::Active,
        version: 1,
        issued_at: NOW,
    }
    .sign(&key)
    .expect("a valid entry");
    let suspended = DirectoryEntry {
        status: DirectoryStatus::Suspended,
        version: 2,
        ..entry.entry().clone()
    }
    .sign(&key)
    .expect("a valid entry");
    let other_network = DirectoryEntry {
        network: NetworkId([0x11; 16]),
        ..entry.entry().clone()
    }
    .sign(&key)
    .expect("a valid entry");

    let recovery = RecoveryKey::generate(&mut rng(RECOVERY));
    let words = recovery.to_words().as_bytes().to_vec();
    let phrase = String::from(recovery.to_words().as_str());
    let mut shuffled: Vec<&str> = phrase.split_whitespace().collect();
    shuffled.swap(0, 1);
    let shuffled = shuffled.join(" ").into_bytes();
    let upper = phrase.to_uppercase().into_bytes();
    let qr = recovery.to_qr_payload().to_vec();

    let input = |selector: u8, bytes: &[u8]| [&[selector][..], bytes].concat();
    let seeds = alloc::vec![
        ("seed-link-request", input(0, &request.to_bytes())),
        (
            "seed-link-request-truncated",
            input(0, &truncated(&request.to_bytes()))
        ),
        ("seed-link-offer", input(1, &offer.to_bytes())),
        ("seed-link-offer-other", input(1, &other_offer.to_bytes())),
        (
            "seed-link-offer-truncated",
            input(1, &truncated(&offer.to_bytes()))
        ),
        ("seed-link-reveal", input(2, &reveal.to_bytes())),
        ("seed-link-reveal-other", input(2, &other_reveal.to_bytes())),
        (
            "seed-link-reveal-truncated",
            input(2, &truncated(&reveal.to_bytes()))
        ),
        ("seed-device-list", input(3, &list.to_bytes())),
        ("seed-device-list-grown", input(3, &grown.to_bytes())),
        ("seed-device-list-foreign", input(3, &foreign.to_bytes())),
        (
            "seed-device-list-bad-signature",
            input(3, &flipped(&list.to_bytes()))
        ),
        ("seed-directory-entry", input(4, &entry.to_bytes())),
        ("seed-directory-suspended", input(4, &suspended.to_bytes())),
        (
            "seed-directory-other-network",
            input(4, &other_network.to_bytes())
        ),
        (
            "seed-directory-bad-signature",
            input(4, &flipped(&entry.to_bytes()))
        ),
        ("seed-recovery-words", input(5, &words)),
        ("seed-recovery-words-upper", input(5, &upper)),
        ("seed-recovery-words-swapped", input(5, &shuffled)),
        (
            "seed-recovery-words-truncated",
            input(5, &truncated(&words))
        ),
        ("seed-recovery-qr", input(6, &qr)),
        ("seed-recovery-qr-bad-checksum", input(6, &flipped(&qr))),
        ("seed-recovery-qr-truncated", input(6, &truncated(&qr))),
    ];
    let fixture = Identity {
        account: identity,
        request: request.to_bytes(),
        offer: offer.to_bytes(),
        code,
    };
    (fixture, seeds)
}

/// The policy seeds: policies and settings of the fixed network, and ones it must refuse.
fn policy_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let (key, id) = network();
    let mut rng = rng(NETWORK ^ 1);
    let group = SecurityGroupId::generate(&mut rng);
    let default = SecurityGroupPolicy::new(id, group, 1, NOW);
    let mut custom = SecurityGroupPolicy::new(id, group, 2, NOW);
    custom.name = "Field team".into();
    custom.messaging.quick_replies = alloc::vec!["On my way".into(), "Copy".into()];
    custom.federation.mode = crate::policy::FederationMode::Restricted;
    custom.federation.allowed_networks = alloc::vec![NetworkId([0x22; 16])];
    custom.federation.guests_allowed = true;
    custom.atak.enabled = true;
    custom.atak.allowed_packages = alloc::vec![ATAK_CIV_PACKAGE.into()];
    let (other_key, other_id) = {
        let mut rng = rng;
        (
            NetworkKey::generate(&mut rng),
            NetworkId::generate(&mut rng),
        )
    };
    let default = default.sign(&key).expect("a valid policy").to_bytes();
    let custom = custom.sign(&key).expect("a valid policy").to_bytes();
    let foreign_key = SecurityGroupPolicy::new(id, group, 1, NOW)
        .sign(&other_key)
        .expect("a valid policy")
        .to_bytes();
    let foreign_network = SecurityGroupPolicy::new(other_id, group, 1, NOW)
        .sign(&key)
        .expect("a valid policy")
        .to_bytes();

    let settings = NetworkSettings::new(id, 1, NOW);
    let mut bannered = NetworkSettings::new(id, 2, NOW);
    bannered.read_receipts = true;
    bannered.data_retention = true;
    bannered.inactivity_timeout = Some(900);
    bannered.consent_banner = Some(ConsentBanner {
        title: "Notice".into(),
        body: "This system is monitored.".into(),
        button_label: "Accept".into(),
    });
    let settings = settings.sign(&key).expect("valid settings").to_bytes();
    let bannered = bannered.sign(&key).expect("valid settings").to_bytes();

    let input = |selector: u8, bytes: &[u8]| [&[selector][..], bytes].concat();
    alloc::vec![
        ("seed-policy-default", input(0, &default)),
        ("seed-policy-custom", input(0, &custom)),
        ("seed-policy-other-key", input(0, &foreign_key)),
        ("seed-policy-other-network", input(0, &foreign_network)),
        ("seed-policy-bad-signature", input(0, &flipped(&default))),
        ("seed-policy-truncated", input(0, &truncated(&custom))),
        ("seed-policy-as-settings", input(1, &default)),
        ("seed-settings-default", input(1, &settings)),
        ("seed-settings-banner", input(1, &bannered)),
        ("seed-settings-bad-signature", input(1, &flipped(&settings))),
        ("seed-settings-truncated", input(1, &truncated(&bannered))),
    ]
}

/// Adds the seeds of the four targets.
pub(super) fn seeds(add: &mut impl FnMut(&'static str, &'static str, Vec<u8>)) {
    for (name, data) in policy_seeds() {
        add("policy", name, data);
    }
    for (name, data) in federation_seeds().1 {
        add("federation", name, data);
    }
    for (name, data) in atak_seeds().1 {
        add("atak", name, data);
    }
    for (name, data) in devices_seeds().1 {
        add("devices", name, data);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The seeds the fixtures must refuse.
    pub(in crate::fuzzing) const REFUSED: &[&str] = &[
        "seed-policy-other-key",
        "seed-policy-other-network",
        "seed-policy-bad-signature",
        "seed-policy-truncated",
        "seed-policy-as-settings",
        "seed-settings-bad-signature",
        "seed-settings-truncated",
        "seed-descriptor-truncated",
        "seed-descriptor-bad-signature",
        "seed-stale",
        "seed-from-the-future",
        "seed-unknown-recipient",
        "seed-suspended-sender",
        "seed-blocked-guest",
        "seed-unknown-network",
        "seed-wrong-recipient-network",
        "seed-pairing-other-package",
        "seed-pairing-truncated",
        "seed-pairing-response",
        "seed-reveal-other",
        "seed-reveal-truncated",
        "seed-request-bad-tag",
        "seed-request-truncated",
        "seed-request-reply",
        "seed-reply-bad-tag",
        "seed-reply-truncated",
        "seed-reply-request",
        "seed-link-request-truncated",
        "seed-link-offer-truncated",
        "seed-link-reveal-other",
        "seed-link-reveal-truncated",
        "seed-device-list-foreign",
        "seed-device-list-bad-signature",
        "seed-directory-other-network",
        "seed-directory-bad-signature",
        "seed-recovery-words-swapped",
        "seed-recovery-words-truncated",
        "seed-recovery-qr-bad-checksum",
        "seed-recovery-qr-truncated",
    ];

    /// Whether the target's fixture accepts the input.
    pub(in crate::fuzzing) fn accepted(target: &str, data: &[u8]) -> bool {
        let (&selector, input) = data.split_first().unwrap();
        match target {
            "policy" => {
                let (key, id) = network();
                if selector % 2 == 0 {
                    VerifiedPolicy::verify(input, &key.public_key(), id).is_ok()
                } else {
                    VerifiedNetworkSettings::verify(input, &key.public_key(), id).is_ok()
                }
            }
            "federation" => {
                if selector % 2 == 0 {
                    NetworkDescriptor::from_bytes(input).is_ok()
                } else {
                    let fixture = federation_fixture();
                    fixture
                        .gate
                        .clone()
                        .check(input, GATE_NOW, &fixture.directory)
                        .is_ok()
                }
            }
            "atak" => {
                let fixture = atak_fixture();
                let registry = PairingRegistry::new(atak_rules());
                match selector % 4 {
                    0 => registry
                        .receive_request(&mut rng(MESSENGER), input, ATAK_CIV_PACKAGE)
                        .is_ok(),
                    1 => registry
                        .receive_request(
                            &mut rng(MESSENGER),
                            &fixture.pairing_request,
                            ATAK_CIV_PACKAGE,
                        )
                        .unwrap()
                        .0
                        .receive_reveal(input)
                        .is_ok(),
                    2 => open_registry(&fixture.registry).open_request(input).is_ok(),
                    _ => open_channel(&fixture.channel).open_reply(input).is_ok(),
                }
            }
            "devices" => {
                let fixture = identity_fixture();
                match selector % 7 {
                    0 => LinkRequest::from_bytes(input).is_ok(),
                    1 => LinkOffer::from_bytes(input).is_ok_and(|offer| {
                        offer.to_bytes() != fixture.offer || offer.account() == fixture.account
                    }),
                    2 => LinkReveal::from_bytes(input).is_ok_and(|reveal| {
                        let account = Account::generate(&mut rng(ACCOUNT));
                        let request = LinkRequest::from_bytes(&fixture.request).unwrap();
                        ApproverLink::respond(&mut rng(APPROVER), &account, &request, NOW)
                            .0
                            .receive_reveal(&reveal, LINK_NOW)
                            .is_ok()
                    }),
                    3 => VerifiedDeviceList::verify(input, &fixture.account).is_ok(),
                    4 => {
                        let (key, id) = network();
                        VerifiedDirectoryEntry::verify(input, id, &key.public_key()).is_ok()
                    }
                    5 => RecoveryKey::from_words(&String::from_utf8_lossy(input)).is_ok(),
                    _ => RecoveryKey::from_qr_payload(input).is_ok(),
                }
            }
            other => panic!("no organization target {other}"),
        }
    }
}
