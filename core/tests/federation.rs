//! Federation: descriptors and the trust store, sealing, and every refusal of the receiving
//! gate, against forged, altered, stale, replayed and misrouted envelopes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use ember_core::content::Classification;
use ember_core::crypto::Secret32;
use ember_core::error::{CertificateError, DecodeError};
use ember_core::federation::{
    Accepted, Boundary, ConversationClassification, DescriptorFields, FederationDirectory,
    FederationGate, FederationMode, FederationRefusal, MAX_ENVELOPE_AGE_SECS, MAX_ENVELOPE_LEN,
    MAX_FEDERATED_PAYLOAD_LEN, MAX_FUTURE_SKEW_SECS, MAX_REPLAY_NONCES, MarkerChange, ModeMismatch,
    NetworkDescriptor, Outgoing, RecipientRules, Region, SealError, SenderKind, SenderStatus,
    TrustError, TrustStore, seal,
};
use ember_core::identity::{Account, Device, DeviceCertificate, RecoveryKey};
use ember_core::network::{NetworkId, NetworkKey};
use ember_core::{AccountId, DeviceAddress, Timestamp};
use ember_proto::prost::Message;
use ember_proto::v1 as proto;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: Timestamp = Timestamp(1_700_000_000);
const PAYLOAD: &[u8] = b"an end-to-end ciphertext";

fn at(offset: i64) -> Timestamp {
    Timestamp(NOW.0.checked_add_signed(offset).unwrap())
}

fn region(name: &str) -> Region {
    Region::new(name).unwrap()
}

fn restricted(networks: &[&Network]) -> FederationMode {
    FederationMode::Restricted(networks.iter().map(|n| n.id).collect())
}

/// A network: its key, id and current descriptor.
struct Network {
    key: NetworkKey,
    id: NetworkId,
    descriptor: NetworkDescriptor,
}

impl Network {
    fn new(rng: &mut ChaCha20Rng, region_name: &str, boundary: Boundary) -> Self {
        let key = NetworkKey::generate(rng);
        let id = NetworkId::generate(rng);
        let descriptor = NetworkDescriptor::sign(
            &key,
            DescriptorFields {
                network: id,
                region: region(region_name),
                boundary,
                mode: FederationMode::Global,
                revision: 1,
            },
        )
        .unwrap();
        Self {
            key,
            id,
            descriptor,
        }
    }

    /// The next revision of the descriptor, with `change` applied to its fields.
    fn revise(&self, change: impl FnOnce(&mut DescriptorFields)) -> NetworkDescriptor {
        let mut fields = self.descriptor.fields().clone();
        fields.revision += 1;
        change(&mut fields);
        NetworkDescriptor::sign(&self.key, fields).unwrap()
    }

    fn set_mode(&mut self, mode: FederationMode) {
        self.descriptor = self.revise(|fields| fields.mode = mode);
    }
}

/// The receiving network's directory.
#[derive(Default)]
struct Directory {
    recipients: BTreeMap<DeviceAddress, RecipientRules>,
    accounts: BTreeMap<AccountId, SenderStatus>,
    revoked: BTreeSet<[u8; 32]>,
    /// Networks bob's group does not talk to.
    group_refuses: BTreeSet<NetworkId>,
    /// Whether bob's group talks only to networks of its region.
    group_local: bool,
}

impl FederationDirectory for Directory {
    fn recipient_rules(&self, recipient: &DeviceAddress) -> Option<&RecipientRules> {
        self.recipients.get(recipient)
    }

    fn recipient_accepts_network(
        &self,
        _recipient: &DeviceAddress,
        network: NetworkId,
        same_region: bool,
    ) -> bool {
        !self.group_refuses.contains(&network) && (same_region || !self.group_local)
    }

    fn sender_status(&self, _network: NetworkId, certificate: &DeviceCertificate) -> SenderStatus {
        if let Some(status) = self.accounts.get(&certificate.account_id()) {
            return *status;
        }
        if self.revoked.contains(certificate.fingerprint()) {
            return SenderStatus::RevokedDevice;
        }
        SenderStatus::Active
    }
}

/// A commercial network in us-east-1 (alice's) and a government one in us-gov-west-1 (bob's),
/// both global; bob's gate trusts alice's network.
struct World {
    rng: ChaCha20Rng,
    vendor: Network,
    agency: Network,
    alice: Device,
    bob: Device,
    gate: FederationGate,
    directory: Directory,
}

impl World {
    fn new(seed: u8) -> Self {
        let mut rng = ChaCha20Rng::from_seed([seed; 32]);
        let vendor = Network::new(&mut rng, "us-east-1", Boundary::Commercial);
        let agency = Network::new(&mut rng, "us-gov-west-1", Boundary::Government);
        // The account comes from a fixed recovery key, so the vector does not depend on how
        // account creation draws from the RNG.
        let recovery = RecoveryKey::from_bytes(&mut [0x44; 32]);
        let alice = Account::from_recovery_key(&recovery).new_device(&mut rng, NOW);
        let bob = Account::generate(&mut rng).new_device(&mut rng, NOW);
        let mut trust = TrustStore::new();
        trust.add(vendor.descriptor.clone()).unwrap();
        let gate = FederationGate::new(agency.descriptor.clone(), trust, Timestamp(0));
        let mut directory = Directory::default();
        directory
            .recipients
            .insert(bob.address(), RecipientRules::default());
        Self {
            rng,
            vendor,
            agency,
            alice,
            bob,
            gate,
            directory,
        }
    }

    /// Alice's network seals `PAYLOAD` for bob at `now`, with its view `peer` of bob's network.
    fn seal_as(&mut self, kind: SenderKind, peer: &NetworkDescriptor, now: Timestamp) -> Vec<u8> {
        let message = Outgoing {
            sender_certificate: self.alice.certificate(),
            sender_kind: kind,
            recipient: self.bob.address(),
            payload: PAYLOAD,
        };
        seal(
            &self.vendor.key,
            &self.vendor.descriptor,
            peer,
            &message,
            &mut self.rng,
            now,
        )
        .unwrap()
    }

    fn seal_at(&mut self, now: Timestamp) -> Vec<u8> {
        let peer = self.agency.descriptor.clone();
        self.seal_as(SenderKind::Member, &peer, now)
    }

    fn envelope(&mut self) -> Vec<u8> {
        self.seal_at(NOW)
    }

    fn check_at(&mut self, envelope: &[u8], now: Timestamp) -> Result<Accepted, FederationRefusal> {
        self.gate.check(envelope, now, &self.directory)
    }

    fn check(&mut self, envelope: &[u8]) -> Result<Accepted, FederationRefusal> {
        self.check_at(envelope, at(1))
    }

    /// The gate's network moves to `mode` (a new revision of its own descriptor).
    fn agency_mode(&mut self, mode: FederationMode) {
        self.agency.set_mode(mode);
        self.gate.set_own(self.agency.descriptor.clone()).unwrap();
    }

    /// The sending network moves to `mode`, and the gate learns it.
    fn vendor_mode(&mut self, mode: FederationMode) {
        self.vendor.set_mode(mode);
        self.gate
            .trust_store_mut()
            .update(self.vendor.descriptor.clone())
            .unwrap();
    }
}

/// Re-signs an envelope body as `key` would: `"ember/v1/federation-envelope\0" || body`.
fn sign_body(key: &NetworkKey, body: &proto::FederationEnvelopeBody) -> Vec<u8> {
    let body = body.encode_to_vec();
    proto::FederationEnvelope {
        signature: key
            .sign(b"ember/v1/federation-envelope\0", &body)
            .as_bytes()
            .to_vec(),
        body,
    }
    .encode_to_vec()
}

/// An edit of an envelope body.
type BodyChange = fn(&mut proto::FederationEnvelopeBody);

fn decode_body(envelope: &[u8]) -> (proto::FederationEnvelope, proto::FederationEnvelopeBody) {
    let envelope = proto::FederationEnvelope::decode(envelope).unwrap();
    let body = proto::FederationEnvelopeBody::decode(envelope.body.as_slice()).unwrap();
    (envelope, body)
}

#[test]
fn global_federation_across_regions_delivers_the_payload() {
    let mut world = World::new(1);
    let envelope = world.envelope();
    let accepted = world.check(&envelope).unwrap();
    assert_eq!(accepted.payload, PAYLOAD);
    assert_eq!(accepted.sender_network, world.vendor.id);
    assert_eq!(accepted.sender_boundary, Boundary::Commercial);
    assert_eq!(&accepted.sender_certificate, world.alice.certificate());
    assert_eq!(accepted.sender_kind, SenderKind::Member);
    assert_eq!(accepted.recipient, world.bob.address());
    assert_eq!(accepted.sent_at, NOW);
    assert_eq!(accepted.classification, Classification::Unclassified);
    assert_eq!(world.gate.remembered(), 1);
}

#[test]
fn networks_on_one_side_of_the_boundary_carry_no_marker() {
    let mut world = World::new(2);
    world.agency = Network::new(&mut world.rng, "us-west-2", Boundary::Commercial);
    let trust = world.gate.trust_store().clone();
    world.gate = FederationGate::new(world.agency.descriptor.clone(), trust, Timestamp(0));
    let envelope = world.envelope();
    let accepted = world.check(&envelope).unwrap();
    assert_eq!(accepted.classification, Classification::Unspecified);
}

#[test]
fn forged_envelope_from_another_key_is_refused() {
    let mut world = World::new(3);
    // The forger claims the vendor network's id but signs with its own key.
    let forger = NetworkKey::generate(&mut world.rng);
    let fake = NetworkDescriptor::sign(&forger, world.vendor.descriptor.fields().clone()).unwrap();
    let message = Outgoing {
        sender_certificate: world.alice.certificate(),
        sender_kind: SenderKind::Member,
        recipient: world.bob.address(),
        payload: PAYLOAD,
    };
    let forged = seal(
        &forger,
        &fake,
        &world.agency.descriptor,
        &message,
        &mut world.rng,
        NOW,
    )
    .unwrap();
    assert_eq!(world.check(&forged), Err(FederationRefusal::BadSignature));
    // And a genuine envelope whose signature was replaced.
    let (mut envelope, _) = decode_body(&world.envelope());
    envelope.signature = forger
        .sign(b"ember/v1/federation-envelope\0", &envelope.body)
        .as_bytes()
        .to_vec();
    assert_eq!(
        world.check(&envelope.encode_to_vec()),
        Err(FederationRefusal::BadSignature)
    );
    assert_eq!(world.gate.remembered(), 0);
}

#[test]
fn tampered_payload_is_refused() {
    let mut world = World::new(4);
    let (mut envelope, mut body) = decode_body(&world.envelope());
    body.payload[0] ^= 1;
    envelope.body = body.encode_to_vec();
    assert_eq!(
        world.check(&envelope.encode_to_vec()),
        Err(FederationRefusal::BadSignature)
    );
}

#[test]
fn unknown_network_is_refused() {
    let mut world = World::new(6);
    let envelope = world.envelope();
    world
        .gate
        .trust_store_mut()
        .remove(&world.vendor.id)
        .unwrap();
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::UnknownNetwork {
            network: world.vendor.id
        })
    );
}

#[test]
fn malformed_envelopes_are_refused_before_any_work() {
    let mut world = World::new(7);
    assert_eq!(
        world.check(&vec![0; MAX_ENVELOPE_LEN + 1]),
        Err(FederationRefusal::Malformed(DecodeError::TooLarge {
            len: MAX_ENVELOPE_LEN + 1,
            max: MAX_ENVELOPE_LEN
        }))
    );
    assert_eq!(
        world.check(&[0xff, 0xff, 0xff]),
        Err(FederationRefusal::Malformed(DecodeError::Protobuf))
    );
    let (_, body) = decode_body(&world.envelope());
    let cases: [(BodyChange, DecodeError); 7] = [
        (|b| b.version = 2, DecodeError::UnsupportedVersion(2)),
        (
            |b| b.nonce.truncate(15),
            DecodeError::BadLength {
                field: "nonce",
                expected: 16,
                got: 15,
            },
        ),
        (
            |b| b.sender_certificate = None,
            DecodeError::MissingField("sender_certificate"),
        ),
        (
            |b| b.recipient = None,
            DecodeError::MissingField("recipient"),
        ),
        (
            |b| b.sender_kind = 0,
            DecodeError::OutOfRange("sender_kind"),
        ),
        (
            |b| b.recipient_region = "US-GOV".into(),
            DecodeError::OutOfRange("recipient_region"),
        ),
        (
            |b| b.payload = vec![0; MAX_FEDERATED_PAYLOAD_LEN + 1],
            DecodeError::TooLarge {
                len: MAX_FEDERATED_PAYLOAD_LEN + 1,
                max: MAX_FEDERATED_PAYLOAD_LEN,
            },
        ),
    ];
    for (change, expected) in cases {
        let mut bad = body.clone();
        change(&mut bad);
        assert_eq!(
            world.check(&sign_body(&world.vendor.key, &bad)),
            Err(FederationRefusal::Malformed(expected))
        );
    }
}

#[test]
fn certificate_that_does_not_verify_is_refused() {
    let mut world = World::new(8);
    let (_, mut body) = decode_body(&world.envelope());
    let certificate = body.sender_certificate.as_mut().unwrap();
    certificate.signature[0] ^= 1;
    // The network signed it, but the account key did not.
    assert_eq!(
        world.check(&sign_body(&world.vendor.key, &body)),
        Err(FederationRefusal::BadCertificate(
            CertificateError::BadSignature
        ))
    );
}

#[test]
fn envelope_for_another_network_or_region_is_refused() {
    let mut world = World::new(9);
    let other = Network::new(&mut world.rng, "us-gov-west-1", Boundary::Government);
    let envelope = world.seal_as(SenderKind::Member, &other.descriptor, NOW);
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::WrongRecipientNetwork { network: other.id })
    );

    // The vendor's view of the agency is out of date: it has moved regions.
    let moved = world
        .agency
        .revise(|fields| fields.region = region("us-gov-east-1"));
    world.gate.set_own(moved).unwrap();
    let envelope = world.envelope();
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::RegionMismatch {
            field: "recipient_region"
        })
    );

    // The vendor moved regions, and the agency has not learned it.
    let mut world = World::new(10);
    world.vendor.descriptor = world
        .vendor
        .revise(|fields| fields.region = region("eu-west-1"));
    let envelope = world.envelope();
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::RegionMismatch {
            field: "sender_region"
        })
    );
}

#[test]
fn stale_and_future_envelopes_are_refused_at_the_window_edges() {
    let mut world = World::new(11);
    let oldest = world.envelope();
    let max_age = MAX_ENVELOPE_AGE_SECS as i64;
    assert_eq!(
        world.check_at(&oldest, at(max_age + 1)),
        Err(FederationRefusal::Stale {
            age: MAX_ENVELOPE_AGE_SECS + 1
        })
    );
    assert!(world.check_at(&oldest, at(max_age)).is_ok());

    let skew = MAX_FUTURE_SKEW_SECS as i64;
    let ahead = world.envelope();
    assert_eq!(
        world.check_at(&ahead, at(-skew - 1)),
        Err(FederationRefusal::FromTheFuture {
            ahead: MAX_FUTURE_SKEW_SECS + 1
        })
    );
    assert!(world.check_at(&ahead, at(-skew)).is_ok());
}

#[test]
fn replayed_envelope_is_refused_and_refusals_are_not_remembered() {
    let mut world = World::new(12);
    let envelope = world.envelope();
    world.directory.recipients.clear();
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::UnknownRecipient)
    );
    assert_eq!(world.gate.remembered(), 0);
    world
        .directory
        .recipients
        .insert(world.bob.address(), RecipientRules::default());
    assert!(world.check(&envelope).is_ok());
    assert_eq!(
        world.check_at(&envelope, at(2)),
        Err(FederationRefusal::Replayed)
    );
    // The same payload sealed again is a new envelope (a new nonce).
    let again = world.envelope();
    assert!(world.check_at(&again, at(2)).is_ok());
    // A replay once the window has passed is stale, not forgotten.
    assert_eq!(
        world.check_at(&envelope, at(MAX_ENVELOPE_AGE_SECS as i64 + 1)),
        Err(FederationRefusal::Stale {
            age: MAX_ENVELOPE_AGE_SECS + 1
        })
    );
}

#[test]
fn a_full_replay_cache_shrinks_the_window_instead_of_forgetting() {
    let mut world = World::new(13);
    world.gate = world.gate.clone().with_replay_capacity(3);
    assert_eq!(world.gate.replay_capacity(), 3);
    let envelopes: Vec<Vec<u8>> = (0..4).map(|i| world.seal_at(at(i))).collect();
    for (i, envelope) in envelopes.iter().enumerate() {
        world.check_at(envelope, at(10)).unwrap();
        assert_eq!(world.gate.remembered(), (i + 1).min(3));
    }
    // The oldest entry was dropped; the horizon moved up to it, so its replay is still refused.
    assert_eq!(world.gate.replay_horizon(), at(0));
    assert_eq!(
        world.check_at(&envelopes[0], at(11)),
        Err(FederationRefusal::ReplayUnverifiable { horizon: at(0) })
    );
    for envelope in &envelopes[1..] {
        assert_eq!(
            world.check_at(envelope, at(11)),
            Err(FederationRefusal::Replayed)
        );
    }
    // A genuine new envelope as old as the dropped one cannot be told from a replay.
    let late = world.seal_at(at(0));
    assert_eq!(
        world.check_at(&late, at(11)),
        Err(FederationRefusal::ReplayUnverifiable { horizon: at(0) })
    );
    // Newer ones still pass.
    let fresh = world.seal_at(at(11));
    assert!(world.check_at(&fresh, at(11)).is_ok());
    assert_eq!(world.gate.remembered(), 3);
    assert_eq!(world.gate.replay_horizon(), at(1));

    let clamped = world.gate.clone().with_replay_capacity(usize::MAX);
    assert_eq!(clamped.replay_capacity(), MAX_REPLAY_NONCES);
    assert_eq!(clamped.remembered(), 3);

    // Shrinking a gate in use drops its oldest entries the same way, never forgetting.
    world.gate = world.gate.clone().with_replay_capacity(0);
    assert_eq!(world.gate.replay_capacity(), 1);
    assert_eq!(world.gate.remembered(), 1);
    assert_eq!(world.gate.replay_horizon(), at(3));
    assert_eq!(
        world.check_at(&envelopes[3], at(11)),
        Err(FederationRefusal::ReplayUnverifiable { horizon: at(3) })
    );
    assert_eq!(
        world.check_at(&fresh, at(11)),
        Err(FederationRefusal::Replayed)
    );
}

#[test]
fn a_restarted_gate_refuses_what_the_previous_one_may_have_accepted() {
    let mut world = World::new(14);
    let envelope = world.envelope();
    world.check(&envelope).unwrap();
    // Restart: the replay cache is gone.
    let horizon = FederationGate::horizon_after_restart(at(1));
    assert_eq!(horizon, at(1 + MAX_FUTURE_SKEW_SECS as i64));
    world.gate = FederationGate::new(
        world.agency.descriptor.clone(),
        world.gate.trust_store().clone(),
        horizon,
    );
    assert_eq!(
        world.check_at(&envelope, at(2)),
        Err(FederationRefusal::ReplayUnverifiable { horizon })
    );
    let after = world.seal_at(Timestamp(horizon.0 + 1));
    assert!(world.check_at(&after, at(70)).is_ok());
}

#[test]
fn local_mode_refuses_other_regions_both_ways() {
    let mut world = World::new(15);
    let stale_view = world.agency.descriptor.clone();
    world.agency_mode(FederationMode::Local);
    let envelope = world.seal_as(SenderKind::Member, &stale_view, NOW);
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::NotFederated {
            reason: ModeMismatch::OtherRegion
        })
    );

    let mut world = World::new(16);
    world.vendor_mode(FederationMode::Local);
    // The vendor would not seal it...
    let message = Outgoing {
        sender_certificate: world.alice.certificate(),
        sender_kind: SenderKind::Member,
        recipient: world.bob.address(),
        payload: PAYLOAD,
    };
    assert_eq!(
        seal(
            &world.vendor.key,
            &world.vendor.descriptor,
            &world.agency.descriptor,
            &message,
            &mut world.rng,
            NOW
        ),
        Err(SealError::NotFederated {
            reason: ModeMismatch::OtherRegion
        })
    );
    // ...and the agency refuses what the vendor sent under its previous, global descriptor.
    let mut old = world.vendor.descriptor.fields().clone();
    old.mode = FederationMode::Global;
    old.revision = 1;
    let old = NetworkDescriptor::sign(&world.vendor.key, old).unwrap();
    let envelope = seal(
        &world.vendor.key,
        &old,
        &world.agency.descriptor,
        &message,
        &mut world.rng,
        NOW,
    )
    .unwrap();
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::NotReciprocated {
            reason: ModeMismatch::OtherRegion
        })
    );
}

#[test]
fn local_mode_accepts_the_same_region() {
    let mut world = World::new(17);
    let moved = world
        .agency
        .revise(|fields| fields.region = region("us-east-1"));
    world.agency.descriptor = moved.clone();
    world.gate.set_own(moved).unwrap();
    world.agency_mode(FederationMode::Local);
    world.vendor_mode(FederationMode::Local);
    let envelope = world.envelope();
    assert!(world.check(&envelope).is_ok());
}

#[test]
fn restricted_federation_needs_both_allowlists() {
    // Both list each other: accepted.
    let mut world = World::new(18);
    let agency_list = restricted(&[&world.vendor]);
    let vendor_list = restricted(&[&world.agency]);
    world.agency_mode(agency_list.clone());
    world.vendor_mode(vendor_list);
    let envelope = world.envelope();
    assert!(world.check(&envelope).is_ok());

    // The agency lists the vendor, the vendor lists someone else: one-sided.
    let mut world = World::new(19);
    let stranger = NetworkId([0x55; 16]);
    world.agency_mode(restricted(&[&world.vendor]));
    let view = world.agency.descriptor.clone();
    world.vendor_mode(FederationMode::Restricted([stranger].into()));
    let message = Outgoing {
        sender_certificate: world.alice.certificate(),
        sender_kind: SenderKind::Member,
        recipient: world.bob.address(),
        payload: PAYLOAD,
    };
    assert_eq!(
        seal(
            &world.vendor.key,
            &world.vendor.descriptor,
            &view,
            &message,
            &mut world.rng,
            NOW
        ),
        Err(SealError::NotFederated {
            reason: ModeMismatch::NotAllowlisted
        })
    );
    let mut old = world.vendor.descriptor.fields().clone();
    old.mode = restricted(&[&world.agency]);
    let old = NetworkDescriptor::sign(&world.vendor.key, old).unwrap();
    let envelope = seal(
        &world.vendor.key,
        &old,
        &view,
        &message,
        &mut world.rng,
        NOW,
    )
    .unwrap();
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::NotReciprocated {
            reason: ModeMismatch::NotAllowlisted
        })
    );

    // The agency is restricted and lists the vendor; the vendor is global and lists no one.
    let mut world = World::new(20);
    let view = world.agency.descriptor.clone();
    world.agency_mode(restricted(&[&world.vendor]));
    let envelope = world.seal_as(SenderKind::Member, &view, NOW);
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::NotReciprocated {
            reason: ModeMismatch::NotAllowlisted
        })
    );

    // The vendor lists the agency; the agency is restricted to others.
    let mut world = World::new(21);
    let mut view = world.agency.descriptor.fields().clone();
    view.mode = restricted(&[&world.vendor]);
    let view = NetworkDescriptor::sign(&world.agency.key, view).unwrap();
    world.agency_mode(FederationMode::Restricted([stranger].into()));
    world.vendor_mode(restricted(&[&world.agency]));
    let envelope = world.seal_as(SenderKind::Member, &view, NOW);
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::NotFederated {
            reason: ModeMismatch::NotAllowlisted
        })
    );

    // The vendor is restricted and lists the agency; the global agency lists no one.
    let mut world = World::new(22);
    world.vendor_mode(restricted(&[&world.agency]));
    let mut view = world.agency.descriptor.fields().clone();
    view.mode = restricted(&[&world.vendor]);
    let view = NetworkDescriptor::sign(&world.agency.key, view).unwrap();
    let envelope = world.seal_as(SenderKind::Member, &view, NOW);
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::NotFederated {
            reason: ModeMismatch::NotAllowlisted
        })
    );
}

#[test]
fn a_security_group_narrows_federation_for_its_users() {
    let mut world = World::new(30);
    let envelope = world.envelope();
    world.directory.group_refuses.insert(world.vendor.id);
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::GroupNotFederated)
    );
    world.directory.group_refuses.clear();
    // The vendor is in another region than the agency.
    world.directory.group_local = true;
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::GroupNotFederated)
    );
    world.directory.group_local = false;
    assert!(world.check(&envelope).is_ok());
}

#[test]
fn guests_need_a_group_that_enables_them_and_must_not_be_blocked() {
    let mut world = World::new(23);
    let agency = world.agency.descriptor.clone();
    let guest = world.seal_as(SenderKind::Guest, &agency, NOW);
    assert_eq!(
        world.check(&guest),
        Err(FederationRefusal::GuestsNotAllowed)
    );
    let member = world.seal_as(SenderKind::Member, &agency, NOW);
    assert!(world.check(&member).is_ok());

    let rules = world
        .directory
        .recipients
        .get_mut(&world.bob.address())
        .unwrap();
    rules.guests_allowed = true;
    rules
        .blocked_guests
        .insert(world.alice.certificate().account_id());
    assert_eq!(world.check(&guest), Err(FederationRefusal::BlockedGuest));

    let rules = world
        .directory
        .recipients
        .get_mut(&world.bob.address())
        .unwrap();
    rules.blocked_guests.clear();
    let accepted = world.check(&guest).unwrap();
    assert_eq!(accepted.sender_kind, SenderKind::Guest);
}

#[test]
fn suspended_deleted_and_revoked_senders_are_refused() {
    let mut world = World::new(24);
    let envelope = world.envelope();
    let account = world.alice.certificate().account_id();
    for (status, refusal) in [
        (
            SenderStatus::SuspendedAccount,
            FederationRefusal::SuspendedAccount,
        ),
        (
            SenderStatus::DeletedAccount,
            FederationRefusal::DeletedAccount,
        ),
    ] {
        world.directory.accounts.insert(account, status);
        assert_eq!(world.check(&envelope), Err(refusal));
    }
    world.directory.accounts.clear();
    world
        .directory
        .revoked
        .insert(*world.alice.certificate().fingerprint());
    assert_eq!(
        world.check(&envelope),
        Err(FederationRefusal::RevokedDevice)
    );
    world.directory.revoked.clear();
    assert!(world.check(&envelope).is_ok());
}

#[test]
fn trust_store_refuses_rollback_and_unendorsed_keys() {
    let mut world = World::new(25);
    let store = world.gate.trust_store_mut();
    let first = world.vendor.descriptor.clone();
    assert_eq!(
        store.add(first.clone()),
        Err(TrustError::AlreadyTrusted {
            network: world.vendor.id
        })
    );
    assert_eq!(
        store.update(first.clone()),
        Err(TrustError::NotNewer { got: 1, current: 1 })
    );
    let second = world.vendor.revise(|_| {});
    store.update(second.clone()).unwrap();
    assert_eq!(
        store.update(first),
        Err(TrustError::NotNewer { got: 1, current: 2 })
    );
    let stranger = Network::new(&mut world.rng, "us-east-1", Boundary::Commercial);
    assert_eq!(
        store.update(stranger.descriptor.clone()),
        Err(TrustError::NotTrusted {
            network: stranger.id
        })
    );

    // A new key without the trusted key's endorsement: refused, even with a higher revision.
    let new_key = NetworkKey::generate(&mut world.rng);
    let mut fields = second.fields().clone();
    fields.revision = 3;
    let unendorsed = NetworkDescriptor::sign(&new_key, fields.clone()).unwrap();
    assert_eq!(
        store.update(unendorsed),
        Err(TrustError::UnendorsedKeyChange)
    );
    let wrongly_endorsed =
        NetworkDescriptor::sign_rotation(&new_key, &stranger.key, fields.clone()).unwrap();
    assert_eq!(
        store.update(wrongly_endorsed),
        Err(TrustError::UnendorsedKeyChange)
    );
    assert_eq!(store.get(&world.vendor.id), Some(&second));

    // An endorsed rotation: the old key's envelopes stop verifying, the new key's pass.
    let rotated = NetworkDescriptor::sign_rotation(&new_key, &world.vendor.key, fields).unwrap();
    let rotated = NetworkDescriptor::from_bytes(&rotated.to_bytes()).unwrap();
    store.update(rotated.clone()).unwrap();
    let old_envelope = world.envelope();
    assert_eq!(
        world.check(&old_envelope),
        Err(FederationRefusal::BadSignature)
    );
    world.vendor.key = new_key;
    world.vendor.descriptor = rotated;
    let envelope = world.envelope();
    assert!(world.check(&envelope).is_ok());
}

#[test]
fn own_descriptor_moves_forward_only() {
    let mut world = World::new(26);
    assert_eq!(
        world.gate.set_own(world.agency.descriptor.clone()),
        Err(TrustError::NotNewer { got: 1, current: 1 })
    );
    assert_eq!(
        world.gate.set_own(world.vendor.revise(|_| {})),
        Err(TrustError::OtherNetwork {
            network: world.vendor.id
        })
    );
    assert_eq!(world.gate.own(), &world.agency.descriptor);
}

#[test]
fn sealing_refuses_a_wrong_key_and_oversized_payloads() {
    let mut world = World::new(27);
    let big = vec![0; MAX_FEDERATED_PAYLOAD_LEN + 1];
    let mut message = Outgoing {
        sender_certificate: world.alice.certificate(),
        sender_kind: SenderKind::Member,
        recipient: world.bob.address(),
        payload: &big,
    };
    let (vendor, agency) = (&world.vendor.descriptor, &world.agency.descriptor);
    assert_eq!(
        seal(
            &world.agency.key,
            vendor,
            agency,
            &message,
            &mut world.rng,
            NOW
        ),
        Err(SealError::KeyMismatch)
    );
    assert_eq!(
        seal(
            &world.vendor.key,
            vendor,
            agency,
            &message,
            &mut world.rng,
            NOW
        ),
        Err(SealError::PayloadTooLarge {
            len: MAX_FEDERATED_PAYLOAD_LEN + 1,
            max: MAX_FEDERATED_PAYLOAD_LEN
        })
    );
    // The largest payload fits the envelope bound and is accepted.
    message.payload = &big[1..];
    let envelope = seal(
        &world.vendor.key,
        vendor,
        agency,
        &message,
        &mut world.rng,
        NOW,
    )
    .unwrap();
    assert!(envelope.len() <= MAX_ENVELOPE_LEN);
    assert!(world.check(&envelope).is_ok());
}

#[test]
fn classification_marker_appears_and_disappears_with_participants() {
    let mut world = World::new(28);
    let envelope = world.envelope();
    let accepted = world.check(&envelope).unwrap();

    // Bob's room on the government network.
    let mut room = ConversationClassification::new(Boundary::Government);
    let colleague = AccountId::from_bytes([1; 16]);
    assert_eq!(
        room.join(world.agency.id, colleague, Boundary::Government),
        Ok(None)
    );
    assert_eq!(room.classification(), Classification::Unspecified);

    let alice = accepted.sender_certificate.account_id();
    assert_eq!(
        room.join(accepted.sender_network, alice, accepted.sender_boundary),
        Ok(Some(MarkerChange::Appeared))
    );
    assert_eq!(room.classification(), Classification::Unclassified);
    let carol = AccountId::from_bytes([3; 16]);
    assert_eq!(
        room.join(world.vendor.id, carol, Boundary::Commercial),
        Ok(None)
    );
    assert_eq!(
        room.join(world.vendor.id, carol, Boundary::Commercial),
        Ok(None)
    );
    assert_eq!(room.len(), 3);

    // The marker stays while any commercial participant remains.
    assert_eq!(room.leave(world.vendor.id, alice), None);
    assert_eq!(room.classification(), Classification::Unclassified);
    assert_eq!(
        room.leave(world.vendor.id, carol),
        Some(MarkerChange::Disappeared)
    );
    assert_eq!(room.classification(), Classification::Unspecified);
    assert_eq!(room.leave(world.vendor.id, carol), None);

    // A participant whose network changes sides moves the marker too.
    assert_eq!(
        room.join(world.agency.id, colleague, Boundary::Commercial),
        Ok(Some(MarkerChange::Appeared))
    );
    assert_eq!(
        room.join(world.agency.id, colleague, Boundary::Government),
        Ok(Some(MarkerChange::Disappeared))
    );

    // A commercial network's conversation with a government participant is marked for it too.
    let mut theirs = ConversationClassification::new(Boundary::Commercial);
    assert_eq!(
        theirs.join(world.agency.id, colleague, Boundary::Government),
        Ok(Some(MarkerChange::Appeared))
    );
}

#[test]
fn accepted_debug_shows_no_payload_bytes() {
    let mut world = World::new(29);
    let envelope = world.envelope();
    let accepted = world.check(&envelope).unwrap();
    let debug = format!("{accepted:?}");
    assert!(debug.contains("payload_len: 24"), "{debug}");
    assert!(!debug.contains("payload:"), "{debug}");
    let key = format!("{:?}", world.vendor.key);
    assert!(
        key.starts_with("NetworkKey { public: VerifyingKey("),
        "{key}"
    );
}

/// The vectors of docs/protocol/federation.md: fixed keys and randomness, so another
/// implementation can check its encoding and signatures byte for byte.
#[test]
fn spec_vectors() {
    let spec = include_str!("../../docs/protocol/federation.md");
    let key = |byte: u8| NetworkKey::from_seed(&Secret32::from_bytes(&mut [byte; 32]));
    let (vendor_key, agency_key) = (key(0x11), key(0x22));
    let vendor = NetworkDescriptor::sign(
        &vendor_key,
        DescriptorFields {
            network: NetworkId([0xaa; 16]),
            region: region("us-east-1"),
            boundary: Boundary::Commercial,
            mode: FederationMode::Restricted([NetworkId([0xbb; 16])].into()),
            revision: 7,
        },
    )
    .unwrap();
    let agency = NetworkDescriptor::sign(
        &agency_key,
        DescriptorFields {
            network: NetworkId([0xbb; 16]),
            region: region("us-gov-west-1"),
            boundary: Boundary::Government,
            mode: FederationMode::Restricted([NetworkId([0xaa; 16])].into()),
            revision: 3,
        },
    )
    .unwrap();
    let mut rng = ChaCha20Rng::from_seed([0x33; 32]);
    // The account comes from a fixed recovery key, so the vector does not depend on how
    // account creation draws from the RNG.
    let recovery = RecoveryKey::from_bytes(&mut [0x44; 32]);
    let alice = Account::from_recovery_key(&recovery).new_device(&mut rng, NOW);
    let message = Outgoing {
        sender_certificate: alice.certificate(),
        sender_kind: SenderKind::Guest,
        recipient: DeviceAddress {
            account: AccountId::from_bytes([0xcc; 16]),
            device: ember_core::DeviceId(2),
        },
        payload: b"ciphertext",
    };
    let envelope = seal(&vendor_key, &vendor, &agency, &message, &mut rng, NOW).unwrap();
    let (outer, _) = decode_body(&envelope);

    let missing: Vec<String> = [
        (
            "vendor network key",
            vendor_key.public_key().to_bytes().to_vec(),
        ),
        (
            "agency network key",
            agency_key.public_key().to_bytes().to_vec(),
        ),
        ("vendor descriptor", vendor.to_bytes()),
        ("agency descriptor", agency.to_bytes()),
        ("sender certificate", alice.certificate().to_bytes()),
        ("envelope body", outer.body.clone()),
        ("envelope signature", outer.signature.clone()),
    ]
    .into_iter()
    .map(|(name, bytes)| (name, wrap(&hex::encode(bytes))))
    .filter(|(_, hex)| !spec.contains(hex.as_str()))
    .map(|(name, hex)| format!("{name}:\n{hex}\n"))
    .collect();
    assert!(missing.is_empty(), "not in the spec:\n{}", missing.concat());

    let mut framed = vec![0x0a, 0xc6, 0x02];
    framed.extend_from_slice(&outer.body);
    framed.extend_from_slice(&[0x12, 0x40]);
    framed.extend_from_slice(&outer.signature);
    assert_eq!(envelope, framed);

    // The vectors verify: a gate of the agency accepts the envelope, and refuses the
    // must-fail cases.
    let mut directory = Directory::default();
    let rules = RecipientRules {
        guests_allowed: true,
        blocked_guests: BTreeSet::new(),
    };
    directory.recipients.insert(message.recipient, rules);
    let gate = |trusted: &[&NetworkDescriptor]| {
        let mut trust = TrustStore::new();
        for descriptor in trusted {
            trust
                .add(NetworkDescriptor::from_bytes(&descriptor.to_bytes()).unwrap())
                .unwrap();
        }
        FederationGate::new(agency.clone(), trust, Timestamp(0))
    };
    let refusal = |gate: &mut FederationGate, bytes: &[u8], now: Timestamp| {
        gate.check(bytes, now, &directory).unwrap_err()
    };

    // A refusal changes nothing, so one gate sees every altered copy.
    let mut flips = gate(&[&vendor]);
    for i in 0..envelope.len() {
        for flip in [0x01, 0x80] {
            let mut altered = envelope.clone();
            altered[i] ^= flip;
            refusal(&mut flips, &altered, NOW);
        }
    }
    assert_eq!(flips.remembered(), 0);
    let (mut tampered, mut body) = decode_body(&envelope);
    body.payload[0] ^= 1;
    tampered.body = body.encode_to_vec();
    let cases = [
        (
            tampered.encode_to_vec(),
            NOW,
            FederationRefusal::BadSignature,
        ),
        (
            proto::FederationEnvelope {
                signature: agency_key
                    .sign(b"ember/v1/federation-envelope\0", &outer.body)
                    .as_bytes()
                    .to_vec(),
                body: outer.body.clone(),
            }
            .encode_to_vec(),
            NOW,
            FederationRefusal::BadSignature,
        ),
        (
            envelope.clone(),
            at(301),
            FederationRefusal::Stale { age: 301 },
        ),
        (
            envelope.clone(),
            at(-61),
            FederationRefusal::FromTheFuture { ahead: 61 },
        ),
    ];
    for (bytes, now, expected) in cases {
        assert_eq!(refusal(&mut gate(&[&vendor]), &bytes, now), expected);
    }
    let (_, mut body) = decode_body(&envelope);
    body.sender_certificate.as_mut().unwrap().signature[0] ^= 1;
    assert_eq!(
        refusal(&mut gate(&[&vendor]), &sign_body(&vendor_key, &body), NOW),
        FederationRefusal::BadCertificate(CertificateError::BadSignature)
    );
    assert_eq!(
        refusal(&mut gate(&[]), &envelope, NOW),
        FederationRefusal::UnknownNetwork {
            network: NetworkId([0xaa; 16])
        }
    );

    let mut closed = gate(&[&vendor]);
    let mut fields = agency.fields().clone();
    fields.mode = FederationMode::Restricted(BTreeSet::new());
    fields.revision = 4;
    closed
        .set_own(NetworkDescriptor::sign(&agency_key, fields).unwrap())
        .unwrap();
    assert_eq!(
        refusal(&mut closed, &envelope, NOW),
        FederationRefusal::NotFederated {
            reason: ModeMismatch::NotAllowlisted
        }
    );
    let mut unlisted = gate(&[&vendor]);
    let mut fields = vendor.fields().clone();
    fields.mode = FederationMode::Restricted(BTreeSet::new());
    fields.revision = 8;
    unlisted
        .trust_store_mut()
        .update(NetworkDescriptor::sign(&vendor_key, fields).unwrap())
        .unwrap();
    assert_eq!(
        refusal(&mut unlisted, &envelope, NOW),
        FederationRefusal::NotReciprocated {
            reason: ModeMismatch::NotAllowlisted
        }
    );

    let mut open = gate(&[&vendor]);
    let accepted = open.check(&envelope, NOW, &directory).unwrap();
    assert_eq!(accepted.payload, b"ciphertext");
    assert_eq!(accepted.sender_kind, SenderKind::Guest);
    assert_eq!(accepted.classification, Classification::Unclassified);
    assert_eq!(
        refusal(&mut open, &envelope, NOW),
        FederationRefusal::Replayed
    );

    directory
        .recipients
        .get_mut(&message.recipient)
        .unwrap()
        .guests_allowed = false;
    assert_eq!(
        gate(&[&vendor]).check(&envelope, NOW, &directory),
        Err(FederationRefusal::GuestsNotAllowed)
    );
}

/// Hex in lines of 64 characters, as the spec prints it.
fn wrap(hex: &str) -> String {
    hex.as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}
