//! The network-signed retention configuration, and what clients do with it.

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;

use super::error::ConfigError;
use super::keys::ArchivePublicKey;
use super::{
    DEFAULT_SEGMENT_BYTES, DEFAULT_SEGMENT_SECONDS, MAX_COMPLIANCE_DEVICES, MAX_SEGMENT_BYTES,
    MAX_SEGMENT_SECONDS, MIN_SEGMENT_BYTES, MIN_SEGMENT_SECONDS,
};
use crate::content::{Body, SystemNotice};
use crate::crypto::sign::{Signature, VerifyingKey};
use crate::domain;
use crate::error::RoomError;
use crate::identity::DeviceCertificate;
use crate::ids::{DeviceAddress, Timestamp};
use crate::limits::MAX_WIRE_LEN;
use crate::network::{NetworkId, NetworkKey};
use crate::room::MemberList;
use crate::wire;

/// When the compliance side closes an archive segment and starts the next: whichever limit is
/// reached first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// Largest segment, in bytes, within [`MIN_SEGMENT_BYTES`] ..= [`MAX_SEGMENT_BYTES`]. A
    /// single record larger than this gets a segment of its own.
    pub max_bytes: u64,
    /// Longest time a segment stays open, in seconds, within [`MIN_SEGMENT_SECONDS`] ..=
    /// [`MAX_SEGMENT_SECONDS`].
    pub max_seconds: u64,
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_SEGMENT_BYTES,
            max_seconds: DEFAULT_SEGMENT_SECONDS,
        }
    }
}

impl Rotation {
    fn check(&self) -> Result<(), ConfigError> {
        if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(&self.max_bytes) {
            return Err(ConfigError::BadRotation("max_segment_bytes"));
        }
        if !(MIN_SEGMENT_SECONDS..=MAX_SEGMENT_SECONDS).contains(&self.max_seconds) {
            return Err(ConfigError::BadRotation("max_segment_seconds"));
        }
        Ok(())
    }
}

/// What a network decides about retention: the contents of a [`RetentionConfig`] before the
/// network signs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    /// The network.
    pub network: NetworkId,
    /// From 1, strictly increasing with every new configuration of the network.
    pub version: u64,
    /// Whether retention is on.
    pub enabled: bool,
    /// The compliance devices (1 to [`MAX_COMPLIANCE_DEVICES`] when on), certified by their
    /// compliance account; the network's signature over the configuration vouches for them.
    pub compliance_devices: Vec<DeviceCertificate>,
    /// The customer's archive public key (required when on).
    pub archive_key: Option<ArchivePublicKey>,
    /// When the administrator issued the configuration.
    pub issued_at: Timestamp,
    /// The archive's segment rotation.
    pub rotation: Rotation,
}

impl RetentionSettings {
    fn check(&self) -> Result<(), ConfigError> {
        if self.version == 0 {
            return Err(ConfigError::BadVersion);
        }
        self.rotation.check()?;
        let devices = &self.compliance_devices;
        if devices.len() > MAX_COMPLIANCE_DEVICES {
            return Err(ConfigError::TooManyDevices {
                got: devices.len(),
                max: MAX_COMPLIANCE_DEVICES,
            });
        }
        for (i, device) in devices.iter().enumerate() {
            if devices[..i]
                .iter()
                .any(|other| other.address() == device.address())
            {
                return Err(ConfigError::DuplicateDevice);
            }
        }
        if let Some(key) = &self.archive_key
            && !key.is_contributory()
        {
            return Err(ConfigError::BadArchiveKey);
        }
        if self.enabled {
            if devices.is_empty() {
                return Err(ConfigError::NoComplianceDevice);
            }
            if self.archive_key.is_none() {
                return Err(ConfigError::MissingArchiveKey);
            }
        }
        Ok(())
    }

    fn to_body(&self) -> proto::RetentionConfigBody {
        proto::RetentionConfigBody {
            version: wire::VERSION,
            network_id: self.network.0.to_vec(),
            config_version: self.version,
            enabled: self.enabled,
            compliance_devices: self
                .compliance_devices
                .iter()
                .map(DeviceCertificate::to_wire)
                .collect(),
            archive_key: self
                .archive_key
                .map(|key| key.as_bytes().to_vec())
                .unwrap_or_default(),
            issued_at: self.issued_at.0,
            max_segment_bytes: self.rotation.max_bytes,
            max_segment_seconds: self.rotation.max_seconds,
        }
    }

    fn from_body(body: &proto::RetentionConfigBody) -> Result<Self, ConfigError> {
        wire::check_version(body.version)?;
        if body.compliance_devices.len() > MAX_COMPLIANCE_DEVICES {
            return Err(ConfigError::TooManyDevices {
                got: body.compliance_devices.len(),
                max: MAX_COMPLIANCE_DEVICES,
            });
        }
        let archive_key = match body.archive_key.len() {
            0 => None,
            _ => Some(ArchivePublicKey::from_bytes(wire::array(
                "archive_key",
                &body.archive_key,
            )?)),
        };
        Ok(Self {
            network: NetworkId(wire::array("network_id", &body.network_id)?),
            version: body.config_version,
            enabled: body.enabled,
            compliance_devices: body
                .compliance_devices
                .iter()
                .map(DeviceCertificate::from_wire)
                .collect::<Result<_, _>>()?,
            archive_key,
            issued_at: Timestamp(body.issued_at),
            rotation: Rotation {
                max_bytes: body.max_segment_bytes,
                max_seconds: body.max_segment_seconds,
            },
        })
    }
}

/// A network's retention configuration, signed by the network key.
///
/// The only ways to get one are to issue it with the network key or to decode one whose
/// signature verifies under the network key the caller trusts; holding one proves both the
/// signature and that its settings are well formed. Whether it is newer than the one a client
/// already follows is [`RetentionConfig::check_update`]'s question.
#[derive(Clone, Debug)]
pub struct RetentionConfig {
    settings: RetentionSettings,
    body: Vec<u8>,
    signature: Signature,
}

impl RetentionConfig {
    /// Checks the settings and signs them with the network key.
    pub fn issue(
        network_key: &NetworkKey,
        settings: RetentionSettings,
    ) -> Result<Self, ConfigError> {
        settings.check()?;
        let body = settings.to_body().encode_to_vec();
        let signature = network_key.sign(domain::RETENTION_CONFIG, &body);
        Ok(Self {
            settings,
            body,
            signature,
        })
    }

    /// Decodes a configuration of `network` and verifies it under the network's key: the
    /// signature first, then the settings and every compliance device certificate.
    pub fn from_bytes(
        bytes: &[u8],
        network: NetworkId,
        network_key: &VerifyingKey,
    ) -> Result<Self, ConfigError> {
        let config: proto::RetentionConfig = wire::decode(bytes, MAX_WIRE_LEN)?;
        let signature = Signature::from_bytes(wire::array("signature", &config.signature)?);
        network_key
            .verify(domain::RETENTION_CONFIG, &config.body, &signature)
            .map_err(|_| ConfigError::BadSignature)?;
        let body: proto::RetentionConfigBody = wire::decode(&config.body, MAX_WIRE_LEN)?;
        let settings = RetentionSettings::from_body(&body)?;
        if settings.network != network {
            return Err(ConfigError::WrongNetwork);
        }
        settings.check()?;
        Ok(Self {
            settings,
            body: config.body,
            signature,
        })
    }

    /// Verifies `bytes` as [`RetentionConfig::from_bytes`] does and checks that it may replace
    /// `current`, the configuration the client follows now ([`RetentionConfig::check_update`]).
    pub fn accept(
        current: Option<&Self>,
        bytes: &[u8],
        network: NetworkId,
        network_key: &VerifyingKey,
    ) -> Result<Self, ConfigError> {
        let next = Self::from_bytes(bytes, network, network_key)?;
        if let Some(current) = current {
            current.check_update(&next)?;
        }
        Ok(next)
    }

    /// Whether `next` may replace this configuration: same network, and a higher version, or
    /// the same version with the very same signed bytes (a repeat). A lower version is a
    /// rollback; the same version with other bytes means the network signed two
    /// configurations under one version, and neither is preferred.
    pub fn check_update(&self, next: &Self) -> Result<(), ConfigError> {
        if next.settings.network != self.settings.network {
            return Err(ConfigError::WrongNetwork);
        }
        let (current, got) = (self.settings.version, next.settings.version);
        if got < current {
            return Err(ConfigError::Rollback { current, got });
        }
        if got == current && (next.body != self.body) {
            return Err(ConfigError::Equivocation { version: got });
        }
        Ok(())
    }

    /// The encoded configuration, as clients receive it.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::RetentionConfig {
            body: self.body.clone(),
            signature: self.signature.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }

    /// The settings.
    pub const fn settings(&self) -> &RetentionSettings {
        &self.settings
    }

    /// The network.
    pub const fn network(&self) -> NetworkId {
        self.settings.network
    }

    /// The configuration's version.
    pub const fn version(&self) -> u64 {
        self.settings.version
    }

    /// Whether retention is on.
    pub const fn is_enabled(&self) -> bool {
        self.settings.enabled
    }

    /// The customer's archive key, if any.
    pub const fn archive_key(&self) -> Option<&ArchivePublicKey> {
        self.settings.archive_key.as_ref()
    }

    /// The segment rotation.
    pub const fn rotation(&self) -> Rotation {
        self.settings.rotation
    }

    /// The compliance devices listed (whether or not retention is on).
    pub fn compliance_devices(&self) -> &[DeviceCertificate] {
        &self.settings.compliance_devices
    }

    /// Whether `device` is one of the listed compliance devices, with the same certificate.
    pub fn lists(&self, device: &DeviceCertificate) -> bool {
        self.settings.compliance_devices.iter().any(|c| c == device)
    }

    /// The compliance devices' signing keys: the keys that sign this network's archive
    /// segments, for [`super::ArchiveReader::trust_signer`].
    pub fn archive_signers(&self) -> impl Iterator<Item = VerifyingKey> + '_ {
        self.settings
            .compliance_devices
            .iter()
            .map(|certificate| *certificate.signing_key())
    }
}

impl PartialEq for RetentionConfig {
    fn eq(&self, other: &Self) -> bool {
        self.body == other.body && self.signature == other.signature
    }
}

impl Eq for RetentionConfig {}

/// The devices a client adds to the fan-out of every message in a conversation of this
/// network (empty while retention is off): pass them to
/// [`crate::session::SessionBook::send_to`] with a [`super::compliance_copy`] of the content.
pub fn compliance_recipients(config: &RetentionConfig) -> Vec<DeviceAddress> {
    compliance_recipients_of([config])
}

/// The compliance devices of every network taking part in a conversation (a federated
/// conversation honours the retention of each side), sorted and without repeats.
pub fn compliance_recipients_of<'a>(
    configs: impl IntoIterator<Item = &'a RetentionConfig>,
) -> Vec<DeviceAddress> {
    let mut out: Vec<DeviceAddress> = configs
        .into_iter()
        .filter(|config| config.is_enabled())
        .flat_map(|config| config.compliance_devices().iter().map(|c| c.address()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Adds the compliance devices of `config` to a room's member list (nothing while retention is
/// off). Returns whether the list changed; the room then applies it with
/// [`crate::room::Room::change_members`], which hands every member's sender key to the
/// compliance devices.
pub fn add_compliance_members(
    config: &RetentionConfig,
    members: &mut MemberList,
) -> Result<bool, RoomError> {
    if !config.is_enabled() {
        return Ok(false);
    }
    let mut next = members.clone();
    for certificate in config.compliance_devices() {
        next.insert(certificate.account_id(), [certificate.device_id()])?;
    }
    let changed = next != *members;
    *members = next;
    Ok(changed)
}

/// Removes the compliance devices that `config` lists from a room's member list, for example
/// when a newer configuration turns retention off or replaces a device. Returns whether the
/// list changed; the room then applies it with [`crate::room::Room::change_members`], which
/// starts a new epoch so the removed devices read nothing sent after.
pub fn remove_compliance_members(config: &RetentionConfig, members: &mut MemberList) -> bool {
    let mut changed = false;
    for certificate in config.compliance_devices() {
        changed |= members.remove_device(&certificate.address());
    }
    changed
}

/// The system message to show (and send into each conversation) when a client moves from
/// `previous` to `next`: [`SystemNotice::RetentionOn`] when retention turns on,
/// [`SystemNotice::RetentionOff`] when it turns off, nothing otherwise.
pub fn notice_for_change(
    previous: Option<&RetentionConfig>,
    next: &RetentionConfig,
) -> Option<Body> {
    let was_on = previous.is_some_and(RetentionConfig::is_enabled);
    let notice = match (was_on, next.is_enabled()) {
        (false, true) => SystemNotice::RetentionOn,
        (true, false) => SystemNotice::RetentionOff,
        _ => return None,
    };
    Some(Body::System {
        notice,
        network: next.network(),
    })
}
