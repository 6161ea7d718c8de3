//! The receiving side: every check a network makes before it hands a federated ciphertext on.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

use super::classification::conversation_classification;
use super::envelope::Unverified;
use super::replay::{self, ReplayCache};
use super::{
    Boundary, FederationRefusal, MAX_ENVELOPE_AGE_SECS, MAX_FUTURE_SKEW_SECS, MAX_REPLAY_NONCES,
    NetworkDescriptor, SenderKind, TrustError, TrustStore,
};
use crate::content::Classification;
use crate::domain;
use crate::identity::DeviceCertificate;
use crate::ids::{AccountId, DeviceAddress, Timestamp};
use crate::network::NetworkId;

/// What the recipient's security group accepts from other networks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientRules {
    /// Whether guest accounts may reach the recipient.
    pub guests_allowed: bool,
    /// Guest accounts the recipient's network blocked (by account id, whichever network hosts
    /// them).
    pub blocked_guests: BTreeSet<AccountId>,
}

/// What the receiving network knows about a sending device, from its copy of the federated
/// networks' directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SenderStatus {
    /// Nothing against it (also the answer for an account the directory has no record of:
    /// the sending network's signature vouches for it).
    Active,
    /// The sender's account is suspended.
    SuspendedAccount,
    /// The sender's account is deleted.
    DeletedAccount,
    /// The sender's device was revoked.
    RevokedDevice,
}

/// The receiving network's directory, as far as federation needs it. The application
/// implements it over its own storage; the gate asks only after the envelope's signature
/// verified, and only about the sender and recipient the envelope names.
pub trait FederationDirectory {
    /// The rules of the security group of a local recipient device, or `None` if there is no
    /// such device here or it cannot receive (its account is suspended or deleted, the device
    /// revoked).
    fn recipient_rules(&self, recipient: &DeviceAddress) -> Option<&RecipientRules>;

    /// Whether the recipient's security group may talk to users of `network`, which is in the
    /// recipient network's region or not (`same_region`). A group's federation settings only
    /// narrow what the two networks' descriptors allow; this is asked only once those allow
    /// the pair. The default accepts every network the descriptors allow.
    fn recipient_accepts_network(
        &self,
        recipient: &DeviceAddress,
        network: NetworkId,
        same_region: bool,
    ) -> bool {
        let _ = (recipient, network, same_region);
        true
    }

    /// The status of the sending device of network `network`, whose certificate that network
    /// vouched for. Look the account up by [`DeviceCertificate::account_id`], the device by
    /// [`DeviceCertificate::address`] or [`DeviceCertificate::fingerprint`].
    fn sender_status(&self, network: NetworkId, certificate: &DeviceCertificate) -> SenderStatus;
}

/// A federated ciphertext that passed every check.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The network that sent and vouched for it.
    pub sender_network: NetworkId,
    /// Which side of the government/commercial boundary the sending network is on.
    pub sender_boundary: Boundary,
    /// The sending device's certificate, vouched for by the sending network. (Its account key
    /// is the sending network's binding; compare it with the directory entry or safety number
    /// the application holds, as for any certificate.)
    pub sender_certificate: DeviceCertificate,
    /// Whether the sender is a member or a guest.
    pub sender_kind: SenderKind,
    /// The local device the ciphertext is for.
    pub recipient: DeviceAddress,
    /// When the sending network sealed it.
    pub sent_at: Timestamp,
    /// The marker of a conversation between the sender and this network's recipient:
    /// [`Classification::Unclassified`] when the two networks are on different sides of the
    /// government/commercial boundary. (Rooms track every participant with
    /// [`super::ConversationClassification`].)
    pub classification: Classification,
    /// The end-to-end ciphertext, for the recipient's session or room.
    pub payload: Vec<u8>,
}

impl fmt::Debug for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accepted")
            .field("sender_network", &self.sender_network)
            .field("sender_boundary", &self.sender_boundary)
            .field("sender", &self.sender_certificate.address())
            .field("sender_kind", &self.sender_kind)
            .field("recipient", &self.recipient)
            .field("sent_at", &self.sent_at)
            .field("classification", &self.classification)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// The receiving network's checkpoint for federation envelopes.
///
/// It holds this network's own descriptor, the trust store of federated networks and a
/// bounded replay cache. [`Self::check`] accepts an envelope only if every check passes, in
/// this order (the refusal names the first that failed):
///
/// 1. size and structure: [`FederationRefusal::Malformed`];
/// 2. the sending network is trusted: [`FederationRefusal::UnknownNetwork`];
/// 3. its signature verifies under that network's key: [`FederationRefusal::BadSignature`]
///    (nothing else in the envelope is believed before this);
/// 4. the device certificate verifies: [`FederationRefusal::BadCertificate`];
/// 5. it is for this network, and both regions match the descriptors:
///    [`FederationRefusal::WrongRecipientNetwork`], [`FederationRefusal::RegionMismatch`];
/// 6. freshness: [`FederationRefusal::Stale`], [`FederationRefusal::FromTheFuture`];
/// 7. replay: [`FederationRefusal::ReplayUnverifiable`], [`FederationRefusal::Replayed`];
/// 8. both networks' federation modes: [`FederationRefusal::NotFederated`],
///    [`FederationRefusal::NotReciprocated`];
/// 9. the recipient exists here, and its security group talks to the sending network:
///    [`FederationRefusal::UnknownRecipient`], [`FederationRefusal::GroupNotFederated`];
/// 10. the sender's standing: [`FederationRefusal::SuspendedAccount`],
///     [`FederationRefusal::DeletedAccount`], [`FederationRefusal::RevokedDevice`];
/// 11. guests: [`FederationRefusal::GuestsNotAllowed`], [`FederationRefusal::BlockedGuest`].
///
/// Only an accepted envelope enters the replay cache, so a refused one changes nothing.
#[derive(Debug, Clone)]
pub struct FederationGate {
    own: NetworkDescriptor,
    trust: TrustStore,
    replay: ReplayCache,
}

impl FederationGate {
    /// A gate for the network `own` describes, accepting from the networks in `trust`.
    ///
    /// `replay_horizon`: envelopes with a timestamp at or before it are refused, because a
    /// gate's replay cache is not persisted. A gate that replaces one that ran before (a
    /// restart) must pass [`Self::horizon_after_restart`] of the current time, or of the last
    /// time the previous gate checked an envelope if that is known; only the first gate a
    /// network ever runs may pass `Timestamp(0)`. Several gates of one network must not share
    /// envelopes (route each sending network to one gate), or each could accept a copy.
    pub fn new(own: NetworkDescriptor, trust: TrustStore, replay_horizon: Timestamp) -> Self {
        Self {
            own,
            trust,
            replay: ReplayCache::new(MAX_REPLAY_NONCES, replay_horizon),
        }
    }

    /// The same gate with a smaller replay cache: `capacity` is clamped to
    /// `1..=`[`MAX_REPLAY_NONCES`]. A full cache stays safe (the replay horizon moves forward
    /// and older envelopes are refused as [`FederationRefusal::ReplayUnverifiable`]), so the
    /// capacity only decides how much traffic fits the freshness window before that happens.
    /// Lowering the capacity of a gate in use drops its oldest entries the same way.
    #[must_use]
    pub fn with_replay_capacity(mut self, capacity: usize) -> Self {
        self.replay
            .set_capacity(capacity.clamp(1, MAX_REPLAY_NONCES));
        self
    }

    /// The replay horizon for a gate started after another one stopped, at `last_seen` (the
    /// previous gate's last "now", or the current time): the previous gate may have accepted
    /// envelopes up to [`MAX_FUTURE_SKEW_SECS`] ahead of it.
    pub const fn horizon_after_restart(last_seen: Timestamp) -> Timestamp {
        Timestamp(last_seen.0.saturating_add(MAX_FUTURE_SKEW_SECS))
    }

    /// This network's descriptor.
    pub const fn own(&self) -> &NetworkDescriptor {
        &self.own
    }

    /// Moves to a newer descriptor of this network (a new mode, allowlist or key).
    pub fn set_own(&mut self, descriptor: NetworkDescriptor) -> Result<(), TrustError> {
        if descriptor.network() != self.own.network() {
            return Err(TrustError::OtherNetwork {
                network: descriptor.network(),
            });
        }
        if descriptor.revision() <= self.own.revision() {
            return Err(TrustError::NotNewer {
                got: descriptor.revision(),
                current: self.own.revision(),
            });
        }
        self.own = descriptor;
        Ok(())
    }

    /// The federated networks.
    pub const fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    /// The federated networks, to add, update or remove one.
    pub const fn trust_store_mut(&mut self) -> &mut TrustStore {
        &mut self.trust
    }

    /// Envelopes at or before this timestamp are refused as
    /// [`FederationRefusal::ReplayUnverifiable`].
    pub const fn replay_horizon(&self) -> Timestamp {
        self.replay.horizon()
    }

    /// How many accepted envelopes the replay cache remembers.
    pub fn remembered(&self) -> usize {
        self.replay.len()
    }

    /// How many accepted envelopes the replay cache can remember.
    pub const fn replay_capacity(&self) -> usize {
        self.replay.capacity()
    }

    /// Checks a federation envelope received at `now` (see the type's documentation for the
    /// checks and their order). On success the envelope is remembered against replays and its
    /// ciphertext returned; on refusal nothing changes.
    pub fn check(
        &mut self,
        bytes: &[u8],
        now: Timestamp,
        directory: &impl FederationDirectory,
    ) -> Result<Accepted, FederationRefusal> {
        let envelope = Unverified::decode(bytes).map_err(FederationRefusal::Malformed)?;
        let sender =
            self.trust
                .get(&envelope.sender_network)
                .ok_or(FederationRefusal::UnknownNetwork {
                    network: envelope.sender_network,
                })?;
        sender
            .network_key()
            .verify(
                domain::FEDERATION_ENVELOPE,
                &envelope.body,
                &envelope.signature,
            )
            .map_err(|_| FederationRefusal::BadSignature)?;
        let certificate = DeviceCertificate::from_wire(&envelope.sender_certificate)
            .map_err(FederationRefusal::BadCertificate)?;

        if envelope.recipient_network != self.own.network() {
            return Err(FederationRefusal::WrongRecipientNetwork {
                network: envelope.recipient_network,
            });
        }
        if &envelope.sender_region != sender.region() {
            return Err(FederationRefusal::RegionMismatch {
                field: "sender_region",
            });
        }
        if &envelope.recipient_region != self.own.region() {
            return Err(FederationRefusal::RegionMismatch {
                field: "recipient_region",
            });
        }

        let sent = envelope.timestamp;
        if sent.0 > now.0.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return Err(FederationRefusal::FromTheFuture {
                ahead: sent.0 - now.0,
            });
        }
        let age = now.0.saturating_sub(sent.0);
        if age > MAX_ENVELOPE_AGE_SECS {
            return Err(FederationRefusal::Stale { age });
        }
        let replay_key = replay::key(sent, envelope.sender_network, envelope.nonce);
        self.replay.check(&replay_key)?;

        self.own.check_pair(sender).map_err(|(ours, reason)| {
            if ours {
                FederationRefusal::NotFederated { reason }
            } else {
                FederationRefusal::NotReciprocated { reason }
            }
        })?;

        let rules = directory
            .recipient_rules(&envelope.recipient)
            .ok_or(FederationRefusal::UnknownRecipient)?;
        let same_region = sender.region() == self.own.region();
        if !directory.recipient_accepts_network(
            &envelope.recipient,
            envelope.sender_network,
            same_region,
        ) {
            return Err(FederationRefusal::GroupNotFederated);
        }
        match directory.sender_status(envelope.sender_network, &certificate) {
            SenderStatus::Active => {}
            SenderStatus::SuspendedAccount => return Err(FederationRefusal::SuspendedAccount),
            SenderStatus::DeletedAccount => return Err(FederationRefusal::DeletedAccount),
            SenderStatus::RevokedDevice => return Err(FederationRefusal::RevokedDevice),
        }
        if envelope.sender_kind == SenderKind::Guest {
            if !rules.guests_allowed {
                return Err(FederationRefusal::GuestsNotAllowed);
            }
            if rules.blocked_guests.contains(&certificate.account_id()) {
                return Err(FederationRefusal::BlockedGuest);
            }
        }

        let sender_boundary = sender.boundary();
        let classification = conversation_classification([sender_boundary], self.own.boundary());
        self.replay.commit(replay_key, now);
        Ok(Accepted {
            sender_network: envelope.sender_network,
            sender_boundary,
            sender_certificate: certificate,
            sender_kind: envelope.sender_kind,
            recipient: envelope.recipient,
            sent_at: sent,
            classification,
            payload: envelope.payload,
        })
    }
}
