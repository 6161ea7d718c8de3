//! The security-group policy document, its settings and its verified form.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;
use rand_core::CryptoRng;

use super::common::{
    check_count, check_duration, check_network, check_text, duration_from_wire, duration_to_wire,
    replace_if_newer, verify,
};
use super::error::{InvalidPolicy, PolicyError, UpdateError};
use super::password::PasswordRules;
use super::{
    ATAK_CIV_PACKAGE, ATAK_MIL_PACKAGE, MAX_ALLOWED_NETWORKS, MAX_ATAK_PACKAGE_LEN,
    MAX_ATAK_PACKAGES, MAX_BLOCKED_GUESTS, MAX_GROUP_NAME_LEN, MAX_POLICY_LEN, MAX_QUICK_REPLIES,
    MAX_QUICK_REPLY_LEN,
};
use crate::atak::AtakRules;
use crate::content::TimerCaps;
use crate::crypto::sign::VerifyingKey;
use crate::domain;
use crate::error::DecodeError;
use crate::ids::{AccountId, Timestamp};
use crate::network::{NetworkId, NetworkKey};
use crate::wire;

/// Length of a security group id.
pub const SECURITY_GROUP_ID_LEN: usize = 16;

const DAY: u32 = 24 * 60 * 60;

/// A random 16-byte security group id, unique within its network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecurityGroupId(pub [u8; SECURITY_GROUP_ID_LEN]);

impl SecurityGroupId {
    /// A fresh random id.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut id = [0u8; SECURITY_GROUP_ID_LEN];
        rng.fill_bytes(&mut id);
        Self(id)
    }
}

impl fmt::Debug for SecurityGroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityGroupId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// Every setting an administrator sets for one security group.
///
/// Build one with [`SecurityGroupPolicy::new`] (every setting at its documented default) and
/// change the fields; [`SecurityGroupPolicy::sign`] checks the result and signs it with the
/// network key. Clients only trust a [`VerifiedPolicy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroupPolicy {
    /// The network the group belongs to.
    pub network_id: NetworkId,
    /// The group.
    pub group_id: SecurityGroupId,
    /// Starts at 1 and grows with every change; a client refuses a policy whose revision is
    /// not above the one it holds for the group (see [`VerifiedPolicy::accept_newer`]).
    pub revision: u64,
    /// When the administrator issued this revision (informational).
    pub issued_at: Timestamp,
    /// The group's display name, at most [`MAX_GROUP_NAME_LEN`] bytes.
    pub name: String,
    /// Timers, forwarding, quick replies, location, notifications.
    pub messaging: MessagingRules,
    /// Audio and video calls.
    pub calling: CallingRules,
    /// Received files.
    pub files: FileRules,
    /// Sign-in, recovery and passwords.
    pub account: AccountRules,
    /// Secure shredder and traffic obfuscation.
    pub device: DeviceRules,
    /// Other networks and guest users.
    pub federation: FederationRules,
    /// The ATAK plugin.
    pub atak: AtakRules,
}

/// Messaging settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagingRules {
    /// The longest expiry and burn-on-read timers. A cap also gives a timer to a message
    /// that has none (see [`crate::content::Timers::capped`]).
    pub timer_caps: TimerCaps,
    /// Whether messages may be forwarded.
    pub forwarding: bool,
    /// The quick replies users may send with one tap: at most [`MAX_QUICK_REPLIES`], each
    /// 1 to [`MAX_QUICK_REPLY_LEN`] bytes.
    pub quick_replies: Vec<String>,
    /// Whether and how locations may be shared.
    pub location: LocationSharing,
    /// Whether notifications may show the message text.
    pub notification_previews: bool,
}

impl Default for MessagingRules {
    /// Messages expire within 30 days (the cap gives every message an expiry timer), no cap on
    /// burn-on-read, forwarding on, no quick replies, locations on a map, notifications
    /// without the message text.
    fn default() -> Self {
        Self {
            timer_caps: TimerCaps {
                max_expiry: Some(30 * DAY),
                max_burn_on_read: None,
            },
            forwarding: true,
            quick_replies: Vec::new(),
            location: LocationSharing::Map,
            notification_previews: false,
        }
    }
}

/// Whether and how a user may share a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationSharing {
    /// No location at all.
    Off,
    /// Only a link to a place, never coordinates.
    LinkOnly,
    /// Coordinates (shown on a map) or a link.
    Map,
}

/// Call settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallingRules {
    /// Audio calls. Every call needs it, a video call as well.
    pub audio: bool,
    /// Video calls and screen sharing (on top of `audio`).
    pub video: bool,
    /// Whether calls may or must go over TCP; for the application's call transport.
    pub tcp: TcpCalling,
}

impl Default for CallingRules {
    /// Audio and video calls on, TCP when UDP is blocked.
    fn default() -> Self {
        Self {
            audio: true,
            video: true,
            tcp: TcpCalling::Allowed,
        }
    }
}

/// Whether calls may or must go over TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpCalling {
    /// UDP only.
    Off,
    /// TCP where UDP is blocked.
    Allowed,
    /// Always TCP.
    Forced,
}

/// Settings for received files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRules {
    /// Whether received files may be saved or only shown.
    pub access: FileAccess,
    /// Low-bandwidth file transfer, for the application's transfers.
    pub low_bandwidth: bool,
}

impl Default for FileRules {
    /// Received files may be saved; normal transfers.
    fn default() -> Self {
        Self {
            access: FileAccess::Download,
            low_bandwidth: false,
        }
    }
}

/// Whether received files may be saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAccess {
    /// Received files may be saved.
    Download,
    /// Received files are shown in the app and never saved.
    PreviewOnly,
}

/// Sign-in, recovery and password settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRules {
    /// A new device is added only with a signature from an existing device or the master
    /// recovery key.
    pub account_takeover_protection: bool,
    /// The user signs in again every time the app opens.
    pub always_reauthenticate: bool,
    /// Users have a master recovery key.
    pub master_recovery_key: bool,
    /// How long a session of a user who does not sign in with SSO lasts, in seconds
    /// (`None`: no limit).
    pub non_sso_session_timeout: Option<u32>,
    /// Password complexity.
    pub password: PasswordRules,
}

impl Default for AccountRules {
    /// Account-takeover protection and the master recovery key on, no re-authentication at
    /// every start, non-SSO sessions of 30 days, the default [`PasswordRules`].
    fn default() -> Self {
        Self {
            account_takeover_protection: true,
            always_reauthenticate: false,
            master_recovery_key: true,
            non_sso_session_timeout: Some(30 * DAY),
            password: PasswordRules::default(),
        }
    }
}

/// Device settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceRules {
    /// How thoroughly the secure shredder overwrites deleted data.
    pub shredder: ShredderIntensity,
    /// Traffic obfuscation.
    pub open_access: OpenAccess,
}

impl Default for DeviceRules {
    /// The most thorough shredding; no traffic obfuscation unless the administrator allows it.
    fn default() -> Self {
        Self {
            shredder: ShredderIntensity::High,
            open_access: OpenAccess::Off,
        }
    }
}

/// How thoroughly the secure shredder overwrites deleted data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShredderIntensity {
    /// Least battery, least thorough.
    Low,
    /// In between.
    Medium,
    /// Most thorough.
    High,
}

/// Open access: traffic obfuscation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenAccess {
    /// Never.
    Off,
    /// The user may turn it on.
    Allowed,
    /// Always on.
    Forced,
}

/// Federation and guest settings.
///
/// `guests_allowed` and `blocked_guests` are what the federation module's `RecipientRules`
/// takes for a recipient in this group. `mode` and `allowed_networks` say which federated
/// networks the group's users may talk to; they narrow, for this group, the federation its
/// network declares in its network descriptor, and never widen it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederationRules {
    /// Which other networks the group may talk to.
    pub mode: FederationMode,
    /// The networks of [`FederationMode::Restricted`], at most [`MAX_ALLOWED_NETWORKS`]
    /// (kept but not read in the other modes).
    pub allowed_networks: Vec<NetworkId>,
    /// Whether guest users may talk to the group.
    pub guests_allowed: bool,
    /// Guest accounts that may not, at most [`MAX_BLOCKED_GUESTS`].
    pub blocked_guests: Vec<AccountId>,
}

impl Default for FederationRules {
    /// No federation, no guests: the administrator opens the group up.
    fn default() -> Self {
        Self {
            mode: FederationMode::Off,
            allowed_networks: Vec::new(),
            guests_allowed: false,
            blocked_guests: Vec::new(),
        }
    }
}

impl FederationRules {
    /// Whether these rules let the group talk to `peer`, a network in the same region as this
    /// one or not. This is one side's view: federation needs both networks' rules to agree.
    pub fn permits_network(&self, peer: NetworkId, same_region: bool) -> bool {
        match self.mode {
            FederationMode::Off => false,
            FederationMode::Local => same_region,
            FederationMode::Global => true,
            FederationMode::Restricted => self.allowed_networks.contains(&peer),
        }
    }

    /// Whether these rules let the group talk to the guest account `guest`.
    pub fn permits_guest(&self, guest: AccountId) -> bool {
        self.guests_allowed && !self.blocked_guests.contains(&guest)
    }
}

/// Which other networks a group may talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FederationMode {
    /// None.
    Off,
    /// Networks in the same region.
    Local,
    /// Networks in any region.
    Global,
    /// Only the networks in [`FederationRules::allowed_networks`].
    Restricted,
}

/// ATAK plugin settings of a new policy: off, with the civilian and military ATAK packages
/// listed for when an administrator turns it on.
fn default_atak_rules() -> AtakRules {
    AtakRules {
        enabled: false,
        allowed_packages: alloc::vec![ATAK_CIV_PACKAGE.into(), ATAK_MIL_PACKAGE.into()],
    }
}

impl SecurityGroupPolicy {
    /// A policy with every setting at its default (see each settings type's `Default`), and
    /// an empty name.
    pub fn new(
        network_id: NetworkId,
        group_id: SecurityGroupId,
        revision: u64,
        issued_at: Timestamp,
    ) -> Self {
        Self {
            network_id,
            group_id,
            revision,
            issued_at,
            name: String::new(),
            messaging: MessagingRules::default(),
            calling: CallingRules::default(),
            files: FileRules::default(),
            account: AccountRules::default(),
            device: DeviceRules::default(),
            federation: FederationRules::default(),
            atak: default_atak_rules(),
        }
    }

    /// Checks every rule of the policy model: a revision from 1, bounded texts and lists,
    /// positive durations, password rules of at least [`super::MIN_PASSWORD_LENGTH`], valid
    /// package names.
    pub fn validate(&self) -> Result<(), InvalidPolicy> {
        if self.revision == 0 {
            return Err(InvalidPolicy::ZeroRevision);
        }
        check_text("name", &self.name, MAX_GROUP_NAME_LEN, false)?;
        let messaging = &self.messaging;
        check_duration("max_expiry_seconds", messaging.timer_caps.max_expiry)?;
        check_duration(
            "max_burn_on_read_seconds",
            messaging.timer_caps.max_burn_on_read,
        )?;
        check_count(
            "quick_replies",
            messaging.quick_replies.len(),
            MAX_QUICK_REPLIES,
        )?;
        for reply in &messaging.quick_replies {
            check_text("quick_replies", reply, MAX_QUICK_REPLY_LEN, true)?;
        }
        check_duration(
            "non_sso_session_timeout_seconds",
            self.account.non_sso_session_timeout,
        )?;
        self.account.password.validate()?;
        check_count(
            "allowed_networks",
            self.federation.allowed_networks.len(),
            MAX_ALLOWED_NETWORKS,
        )?;
        check_count(
            "blocked_guests",
            self.federation.blocked_guests.len(),
            MAX_BLOCKED_GUESTS,
        )?;
        check_count(
            "allowed_packages",
            self.atak.allowed_packages.len(),
            MAX_ATAK_PACKAGES,
        )?;
        for (index, package) in self.atak.allowed_packages.iter().enumerate() {
            if !is_package_name(package) {
                return Err(InvalidPolicy::BadPackageName { index });
            }
        }
        Ok(())
    }

    /// Checks the policy and signs it with the network key. The result is trusted as it is
    /// (the signer holds the key); send [`VerifiedPolicy::to_bytes`] to clients.
    pub fn sign(&self, network_key: &NetworkKey) -> Result<VerifiedPolicy, InvalidPolicy> {
        self.validate()?;
        let body = self.to_wire().encode_to_vec();
        let signature = network_key.sign(domain::SECURITY_GROUP_POLICY, &body);
        let bytes = proto::SignedSecurityGroupPolicy {
            body,
            signature: signature.as_bytes().to_vec(),
        }
        .encode_to_vec();
        // Unreachable within the bounds checked above (a test signs the largest policy).
        if bytes.len() > MAX_POLICY_LEN {
            return Err(InvalidPolicy::TooLong {
                field: "policy",
                len: bytes.len(),
                max: MAX_POLICY_LEN,
            });
        }
        Ok(VerifiedPolicy {
            policy: self.clone(),
            bytes,
        })
    }

    fn to_wire(&self) -> proto::SecurityGroupPolicy {
        use proto::calling_rules::TcpCalling as WireTcp;
        use proto::device_rules::{OpenAccess as WireOpen, ShredderIntensity as WireShredder};
        use proto::federation_rules::Mode as WireMode;
        use proto::file_rules::FileAccess as WireAccess;
        use proto::messaging_rules::LocationSharing as WireLocation;
        let messaging = &self.messaging;
        proto::SecurityGroupPolicy {
            version: wire::VERSION,
            network_id: self.network_id.0.to_vec(),
            group_id: self.group_id.0.to_vec(),
            revision: self.revision,
            issued_at: self.issued_at.0,
            name: self.name.clone(),
            messaging: Some(proto::MessagingRules {
                max_expiry_seconds: duration_to_wire(messaging.timer_caps.max_expiry),
                max_burn_on_read_seconds: duration_to_wire(messaging.timer_caps.max_burn_on_read),
                forwarding: messaging.forwarding,
                quick_replies: messaging.quick_replies.clone(),
                location_sharing: match messaging.location {
                    LocationSharing::Off => WireLocation::Off,
                    LocationSharing::LinkOnly => WireLocation::LinkOnly,
                    LocationSharing::Map => WireLocation::Map,
                }
                .into(),
                notification_previews: messaging.notification_previews,
            }),
            calling: Some(proto::CallingRules {
                audio: self.calling.audio,
                video: self.calling.video,
                tcp: match self.calling.tcp {
                    TcpCalling::Off => WireTcp::Off,
                    TcpCalling::Allowed => WireTcp::Allowed,
                    TcpCalling::Forced => WireTcp::Forced,
                }
                .into(),
            }),
            files: Some(proto::FileRules {
                access: match self.files.access {
                    FileAccess::Download => WireAccess::Download,
                    FileAccess::PreviewOnly => WireAccess::PreviewOnly,
                }
                .into(),
                low_bandwidth: self.files.low_bandwidth,
            }),
            account: Some(proto::AccountRules {
                account_takeover_protection: self.account.account_takeover_protection,
                always_reauthenticate: self.account.always_reauthenticate,
                master_recovery_key: self.account.master_recovery_key,
                non_sso_session_timeout_seconds: duration_to_wire(
                    self.account.non_sso_session_timeout,
                ),
                password: Some(self.account.password.to_wire()),
            }),
            device: Some(proto::DeviceRules {
                shredder_intensity: match self.device.shredder {
                    ShredderIntensity::Low => WireShredder::Low,
                    ShredderIntensity::Medium => WireShredder::Medium,
                    ShredderIntensity::High => WireShredder::High,
                }
                .into(),
                open_access: match self.device.open_access {
                    OpenAccess::Off => WireOpen::Off,
                    OpenAccess::Allowed => WireOpen::Allowed,
                    OpenAccess::Forced => WireOpen::Forced,
                }
                .into(),
            }),
            federation: Some(proto::FederationRules {
                mode: match self.federation.mode {
                    FederationMode::Off => WireMode::Off,
                    FederationMode::Local => WireMode::Local,
                    FederationMode::Global => WireMode::Global,
                    FederationMode::Restricted => WireMode::Restricted,
                }
                .into(),
                allowed_networks: self
                    .federation
                    .allowed_networks
                    .iter()
                    .map(|network| network.0.to_vec())
                    .collect(),
                guests_allowed: self.federation.guests_allowed,
                blocked_guests: self
                    .federation
                    .blocked_guests
                    .iter()
                    .map(|guest| guest.as_bytes().to_vec())
                    .collect(),
            }),
            atak: Some(proto::AtakRules {
                enabled: self.atak.enabled,
                allowed_packages: self.atak.allowed_packages.clone(),
            }),
        }
    }

    /// Converts a decoded body whose signature and network id were checked. Lists are counted
    /// before their entries are converted.
    fn from_wire(
        policy: &proto::SecurityGroupPolicy,
        network_id: NetworkId,
    ) -> Result<Self, PolicyError> {
        use proto::calling_rules::TcpCalling as WireTcp;
        use proto::device_rules::{OpenAccess as WireOpen, ShredderIntensity as WireShredder};
        use proto::federation_rules::Mode as WireMode;
        use proto::file_rules::FileAccess as WireAccess;
        use proto::messaging_rules::LocationSharing as WireLocation;
        let messaging = wire::required(policy.messaging.as_ref(), "messaging")?;
        let calling = wire::required(policy.calling.as_ref(), "calling")?;
        let files = wire::required(policy.files.as_ref(), "files")?;
        let account = wire::required(policy.account.as_ref(), "account")?;
        let device = wire::required(policy.device.as_ref(), "device")?;
        let federation = wire::required(policy.federation.as_ref(), "federation")?;
        let atak = wire::required(policy.atak.as_ref(), "atak")?;
        check_count(
            "allowed_networks",
            federation.allowed_networks.len(),
            MAX_ALLOWED_NETWORKS,
        )?;
        check_count(
            "blocked_guests",
            federation.blocked_guests.len(),
            MAX_BLOCKED_GUESTS,
        )?;
        Ok(Self {
            network_id,
            group_id: SecurityGroupId(wire::array("group_id", &policy.group_id)?),
            revision: policy.revision,
            issued_at: Timestamp(policy.issued_at),
            name: policy.name.clone(),
            messaging: MessagingRules {
                timer_caps: TimerCaps {
                    max_expiry: duration_from_wire(messaging.max_expiry_seconds),
                    max_burn_on_read: duration_from_wire(messaging.max_burn_on_read_seconds),
                },
                forwarding: messaging.forwarding,
                quick_replies: messaging.quick_replies.clone(),
                location: match WireLocation::try_from(messaging.location_sharing) {
                    Ok(WireLocation::Off) => LocationSharing::Off,
                    Ok(WireLocation::LinkOnly) => LocationSharing::LinkOnly,
                    Ok(WireLocation::Map) => LocationSharing::Map,
                    Ok(WireLocation::Unspecified) | Err(_) => {
                        return Err(InvalidPolicy::UnknownValue("location_sharing").into());
                    }
                },
                notification_previews: messaging.notification_previews,
            },
            calling: CallingRules {
                audio: calling.audio,
                video: calling.video,
                tcp: match WireTcp::try_from(calling.tcp) {
                    Ok(WireTcp::Off) => TcpCalling::Off,
                    Ok(WireTcp::Allowed) => TcpCalling::Allowed,
                    Ok(WireTcp::Forced) => TcpCalling::Forced,
                    Ok(WireTcp::Unspecified) | Err(_) => {
                        return Err(InvalidPolicy::UnknownValue("tcp").into());
                    }
                },
            },
            files: FileRules {
                access: match WireAccess::try_from(files.access) {
                    Ok(WireAccess::Download) => FileAccess::Download,
                    Ok(WireAccess::PreviewOnly) => FileAccess::PreviewOnly,
                    Ok(WireAccess::Unspecified) | Err(_) => {
                        return Err(InvalidPolicy::UnknownValue("access").into());
                    }
                },
                low_bandwidth: files.low_bandwidth,
            },
            account: AccountRules {
                account_takeover_protection: account.account_takeover_protection,
                always_reauthenticate: account.always_reauthenticate,
                master_recovery_key: account.master_recovery_key,
                non_sso_session_timeout: duration_from_wire(
                    account.non_sso_session_timeout_seconds,
                ),
                password: PasswordRules::from_wire(wire::required(
                    account.password.as_ref(),
                    "password",
                )?),
            },
            device: DeviceRules {
                shredder: match WireShredder::try_from(device.shredder_intensity) {
                    Ok(WireShredder::Low) => ShredderIntensity::Low,
                    Ok(WireShredder::Medium) => ShredderIntensity::Medium,
                    Ok(WireShredder::High) => ShredderIntensity::High,
                    Ok(WireShredder::Unspecified) | Err(_) => {
                        return Err(InvalidPolicy::UnknownValue("shredder_intensity").into());
                    }
                },
                open_access: match WireOpen::try_from(device.open_access) {
                    Ok(WireOpen::Off) => OpenAccess::Off,
                    Ok(WireOpen::Allowed) => OpenAccess::Allowed,
                    Ok(WireOpen::Forced) => OpenAccess::Forced,
                    Ok(WireOpen::Unspecified) | Err(_) => {
                        return Err(InvalidPolicy::UnknownValue("open_access").into());
                    }
                },
            },
            federation: FederationRules {
                mode: match WireMode::try_from(federation.mode) {
                    Ok(WireMode::Off) => FederationMode::Off,
                    Ok(WireMode::Local) => FederationMode::Local,
                    Ok(WireMode::Global) => FederationMode::Global,
                    Ok(WireMode::Restricted) => FederationMode::Restricted,
                    Ok(WireMode::Unspecified) | Err(_) => {
                        return Err(InvalidPolicy::UnknownValue("mode").into());
                    }
                },
                allowed_networks: federation
                    .allowed_networks
                    .iter()
                    .map(|id| wire::array("allowed_networks", id).map(NetworkId))
                    .collect::<Result<_, DecodeError>>()?,
                guests_allowed: federation.guests_allowed,
                blocked_guests: federation
                    .blocked_guests
                    .iter()
                    .map(|id| wire::array("blocked_guests", id).map(AccountId::from_bytes))
                    .collect::<Result<_, DecodeError>>()?,
            },
            atak: AtakRules {
                enabled: atak.enabled,
                allowed_packages: atak.allowed_packages.clone(),
            },
        })
    }
}

/// An Android package name, as the ATAK module checks it: at most [`MAX_ATAK_PACKAGE_LEN`]
/// bytes, two or more dot-separated parts, each an ASCII letter followed by ASCII letters,
/// digits or `_`.
fn is_package_name(name: &str) -> bool {
    name.len() <= MAX_ATAK_PACKAGE_LEN
        && name.split('.').count() >= 2
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A security-group policy whose network signature verified.
///
/// The only ways to get one are [`SecurityGroupPolicy::sign`] (with the network key) and
/// [`VerifiedPolicy::verify`] (under the network's public key, for the network expected); so
/// holding one proves the network issued it. The enforcement functions
/// ([`super::check_outgoing`], [`super::check_incoming`]) take only this form.
#[derive(Clone)]
pub struct VerifiedPolicy {
    policy: SecurityGroupPolicy,
    bytes: Vec<u8>,
}

impl VerifiedPolicy {
    /// Decodes a signed policy, verifies the signature of `network_key` and checks that it is
    /// for `network_id` and follows every rule of the policy model.
    pub fn verify(
        bytes: &[u8],
        network_key: &VerifyingKey,
        network_id: NetworkId,
    ) -> Result<Self, PolicyError> {
        let signed: proto::SignedSecurityGroupPolicy = wire::decode(bytes, MAX_POLICY_LEN)?;
        verify(
            network_key,
            domain::SECURITY_GROUP_POLICY,
            &signed.body,
            &signed.signature,
        )?;
        let body: proto::SecurityGroupPolicy = wire::decode(&signed.body, MAX_POLICY_LEN)?;
        wire::check_version(body.version)?;
        let network_id = check_network(&body.network_id, network_id)?;
        let policy = SecurityGroupPolicy::from_wire(&body, network_id)?;
        policy.validate()?;
        Ok(Self {
            policy,
            bytes: bytes.to_vec(),
        })
    }

    /// The signed policy, byte for byte as it was signed or received: what clients store and
    /// verify again when they start.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The policy.
    pub const fn policy(&self) -> &SecurityGroupPolicy {
        &self.policy
    }

    /// The network the policy belongs to.
    pub const fn network_id(&self) -> NetworkId {
        self.policy.network_id
    }

    /// The security group.
    pub const fn group_id(&self) -> SecurityGroupId {
        self.policy.group_id
    }

    /// The policy's revision.
    pub const fn revision(&self) -> u64 {
        self.policy.revision
    }

    /// The timer caps, for [`crate::content::Timers::capped`].
    pub const fn timer_caps(&self) -> &TimerCaps {
        &self.policy.messaging.timer_caps
    }

    /// The federation and guest rules, for the federation module.
    pub const fn federation(&self) -> &FederationRules {
        &self.policy.federation
    }

    /// The ATAK rules, for the ATAK module.
    pub const fn atak(&self) -> &AtakRules {
        &self.policy.atak
    }

    /// The password rules.
    pub const fn password_rules(&self) -> &PasswordRules {
        &self.policy.account.password
    }

    /// Replaces this policy with `candidate` if it is for the same network and group and has
    /// a higher revision. Otherwise this policy is unchanged: an equal or lower revision is a
    /// rollback or a replay. (A user moved to another group starts from the new group's
    /// policy instead.)
    pub fn accept_newer(&mut self, candidate: Self) -> Result<(), UpdateError> {
        let same =
            candidate.network_id() == self.network_id() && candidate.group_id() == self.group_id();
        replace_if_newer(self, candidate, same, Self::revision)
    }
}

impl PartialEq for VerifiedPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for VerifiedPolicy {}

impl fmt::Debug for VerifiedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedPolicy")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn package_names_are_dotted_java_names() {
        for good in [
            ATAK_CIV_PACKAGE,
            ATAK_MIL_PACKAGE,
            "a.b",
            "Com.Example_1.x9",
        ] {
            assert!(is_package_name(good), "{good}");
        }
        let long = alloc::format!("a.{}", "b".repeat(MAX_ATAK_PACKAGE_LEN - 1));
        for bad in [
            "", "com", "com.", ".com", "com..x", "1com.x", "_com.x", "com.x-y", "com.x y", "cöm.x",
            &long,
        ] {
            assert!(!is_package_name(bad), "{bad}");
        }
    }

    #[test]
    fn any_altered_byte_is_refused() {
        let mut rng = ChaCha20Rng::from_seed([21; 32]);
        let key = NetworkKey::generate(&mut rng);
        let network = NetworkId::generate(&mut rng);
        let policy = SecurityGroupPolicy::new(
            network,
            SecurityGroupId::generate(&mut rng),
            1,
            Timestamp(10),
        );
        let bytes = policy.sign(&key).unwrap().to_bytes();
        let verified = VerifiedPolicy::verify(&bytes, &key.public_key(), network).unwrap();
        assert_eq!(verified.policy(), &policy);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(
                VerifiedPolicy::verify(&bad, &key.public_key(), network).is_err(),
                "byte {i} altered"
            );
        }
    }

    #[test]
    fn unspecified_and_unknown_settings_are_refused() {
        let mut rng = ChaCha20Rng::from_seed([22; 32]);
        let key = NetworkKey::generate(&mut rng);
        let network = NetworkId::generate(&mut rng);
        let policy = SecurityGroupPolicy::new(
            network,
            SecurityGroupId::generate(&mut rng),
            1,
            Timestamp(10),
        );
        type Edit = fn(&mut proto::SecurityGroupPolicy, i32);
        let edits: [(&str, Edit); 6] = [
            ("location_sharing", |p, v| {
                p.messaging.as_mut().unwrap().location_sharing = v
            }),
            ("tcp", |p, v| p.calling.as_mut().unwrap().tcp = v),
            ("access", |p, v| p.files.as_mut().unwrap().access = v),
            ("shredder_intensity", |p, v| {
                p.device.as_mut().unwrap().shredder_intensity = v
            }),
            ("open_access", |p, v| {
                p.device.as_mut().unwrap().open_access = v
            }),
            ("mode", |p, v| p.federation.as_mut().unwrap().mode = v),
        ];
        for (field, edit) in edits {
            for value in [0, 99, -1] {
                let mut body = policy.to_wire();
                edit(&mut body, value);
                let body = body.encode_to_vec();
                let signature = key.sign(domain::SECURITY_GROUP_POLICY, &body);
                let bytes = proto::SignedSecurityGroupPolicy {
                    body,
                    signature: signature.as_bytes().to_vec(),
                }
                .encode_to_vec();
                assert_eq!(
                    VerifiedPolicy::verify(&bytes, &key.public_key(), network),
                    Err(PolicyError::Invalid(InvalidPolicy::UnknownValue(field))),
                    "{field} = {value}"
                );
            }
        }
    }
}
