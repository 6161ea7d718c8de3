//! The network-wide settings document and its verified form.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;

use super::common::{
    check_duration, check_network, check_text, duration_from_wire, duration_to_wire,
    replace_if_newer, verify,
};
use super::error::{InvalidPolicy, PolicyError, UpdateError};
use super::{MAX_BANNER_BODY_LEN, MAX_BANNER_BUTTON_LEN, MAX_BANNER_TITLE_LEN, MAX_POLICY_LEN};
use crate::crypto::sign::VerifyingKey;
use crate::domain;
use crate::ids::Timestamp;
use crate::network::{NetworkId, NetworkKey};
use crate::wire;

/// The settings that hold for every security group of a network.
///
/// The defaults of [`NetworkSettings::new`]: no read receipts, no data retention, no consent
/// banner, no inactivity timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// The network.
    pub network_id: NetworkId,
    /// Starts at 1 and grows with every change; a client refuses settings whose revision is
    /// not above the one it holds for the network.
    pub revision: u64,
    /// When the administrator issued this revision (informational).
    pub issued_at: Timestamp,
    /// Whether the network's users send and receive read receipts. They flow only between
    /// two networks that both turn them on ([`super::read_receipts_flow`]).
    pub read_receipts: bool,
    /// Whether the network keeps a compliance archive of its conversations.
    pub data_retention: bool,
    /// A banner users must accept before using the app.
    pub consent_banner: Option<ConsentBanner>,
    /// How long an idle app stays signed in, in seconds (`None`: no limit).
    pub inactivity_timeout: Option<u32>,
}

/// A banner users must accept before using the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentBanner {
    /// The title, 1 to [`MAX_BANNER_TITLE_LEN`] bytes.
    pub title: String,
    /// The text, 1 to [`MAX_BANNER_BODY_LEN`] bytes.
    pub body: String,
    /// The accept button's label, 1 to [`MAX_BANNER_BUTTON_LEN`] bytes.
    pub button_label: String,
}

impl NetworkSettings {
    /// Settings with every value at its default.
    pub const fn new(network_id: NetworkId, revision: u64, issued_at: Timestamp) -> Self {
        Self {
            network_id,
            revision,
            issued_at,
            read_receipts: false,
            data_retention: false,
            consent_banner: None,
            inactivity_timeout: None,
        }
    }

    /// Checks every rule: a revision from 1, bounded non-empty banner texts and a positive
    /// timeout.
    pub fn validate(&self) -> Result<(), InvalidPolicy> {
        if self.revision == 0 {
            return Err(InvalidPolicy::ZeroRevision);
        }
        if let Some(banner) = &self.consent_banner {
            check_text("title", &banner.title, MAX_BANNER_TITLE_LEN, true)?;
            check_text("body", &banner.body, MAX_BANNER_BODY_LEN, true)?;
            check_text(
                "button_label",
                &banner.button_label,
                MAX_BANNER_BUTTON_LEN,
                true,
            )?;
        }
        check_duration("inactivity_timeout_seconds", self.inactivity_timeout)
    }

    /// Checks the settings and signs them with the network key.
    pub fn sign(&self, network_key: &NetworkKey) -> Result<VerifiedNetworkSettings, InvalidPolicy> {
        self.validate()?;
        let body = self.to_wire().encode_to_vec();
        let signature = network_key.sign(domain::NETWORK_SETTINGS, &body);
        let bytes = proto::SignedNetworkSettings {
            body,
            signature: signature.as_bytes().to_vec(),
        }
        .encode_to_vec();
        Ok(VerifiedNetworkSettings {
            settings: self.clone(),
            bytes,
        })
    }

    fn to_wire(&self) -> proto::NetworkSettings {
        proto::NetworkSettings {
            version: wire::VERSION,
            network_id: self.network_id.0.to_vec(),
            revision: self.revision,
            issued_at: self.issued_at.0,
            read_receipts: self.read_receipts,
            data_retention: self.data_retention,
            consent_banner: self
                .consent_banner
                .as_ref()
                .map(|banner| proto::ConsentBanner {
                    title: banner.title.clone(),
                    body: banner.body.clone(),
                    button_label: banner.button_label.clone(),
                }),
            inactivity_timeout_seconds: duration_to_wire(self.inactivity_timeout),
        }
    }

    fn from_wire(settings: &proto::NetworkSettings, network_id: NetworkId) -> Self {
        Self {
            network_id,
            revision: settings.revision,
            issued_at: Timestamp(settings.issued_at),
            read_receipts: settings.read_receipts,
            data_retention: settings.data_retention,
            consent_banner: settings
                .consent_banner
                .as_ref()
                .map(|banner| ConsentBanner {
                    title: banner.title.clone(),
                    body: banner.body.clone(),
                    button_label: banner.button_label.clone(),
                }),
            inactivity_timeout: duration_from_wire(settings.inactivity_timeout_seconds),
        }
    }
}

/// Network settings whose network signature verified.
///
/// The only ways to get one are [`NetworkSettings::sign`] and
/// [`VerifiedNetworkSettings::verify`], as for [`super::VerifiedPolicy`].
#[derive(Clone)]
pub struct VerifiedNetworkSettings {
    settings: NetworkSettings,
    bytes: Vec<u8>,
}

impl VerifiedNetworkSettings {
    /// Decodes signed settings, verifies the signature of `network_key` and checks that they
    /// are for `network_id` and follow every rule.
    pub fn verify(
        bytes: &[u8],
        network_key: &VerifyingKey,
        network_id: NetworkId,
    ) -> Result<Self, PolicyError> {
        let signed: proto::SignedNetworkSettings = wire::decode(bytes, MAX_POLICY_LEN)?;
        verify(
            network_key,
            domain::NETWORK_SETTINGS,
            &signed.body,
            &signed.signature,
        )?;
        let body: proto::NetworkSettings = wire::decode(&signed.body, MAX_POLICY_LEN)?;
        wire::check_version(body.version)?;
        let network_id = check_network(&body.network_id, network_id)?;
        let settings = NetworkSettings::from_wire(&body, network_id);
        settings.validate()?;
        Ok(Self {
            settings,
            bytes: bytes.to_vec(),
        })
    }

    /// The signed settings, byte for byte as they were signed or received.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The settings.
    pub const fn settings(&self) -> &NetworkSettings {
        &self.settings
    }

    /// The network.
    pub const fn network_id(&self) -> NetworkId {
        self.settings.network_id
    }

    /// The settings' revision.
    pub const fn revision(&self) -> u64 {
        self.settings.revision
    }

    /// Replaces these settings with `candidate` if they are for the same network and have a
    /// higher revision. Otherwise these settings are unchanged.
    pub fn accept_newer(&mut self, candidate: Self) -> Result<(), UpdateError> {
        let same = candidate.network_id() == self.network_id();
        replace_if_newer(self, candidate, same, Self::revision)
    }
}

impl PartialEq for VerifiedNetworkSettings {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for VerifiedNetworkSettings {}

impl fmt::Debug for VerifiedNetworkSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedNetworkSettings")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
