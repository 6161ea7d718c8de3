//! Security-group policies and network settings: documents signed by the network key, and
//! the library's enforcement of them.
//!
//! A network's administrator sets a [`SecurityGroupPolicy`] for each security group (timer
//! caps, forwarding, quick replies, location sharing, calls, file downloads, sign-in and
//! password rules, secure shredder, open access, federation and guests, the ATAK plugin) and
//! one [`NetworkSettings`] for the whole network (read receipts, data retention, consent
//! banner, inactivity timeout). Each is signed with the [`NetworkKey`](crate::network::NetworkKey)
//! over its own domain label and carries a revision that only grows.
//!
//! A client verifies what it receives under the network's public key and for the network it
//! expects ([`VerifiedPolicy::verify`], [`VerifiedNetworkSettings::verify`]), keeps the newest
//! in a [`PolicyStore`] (refusing rollbacks), and passes its messages through:
//!
//! - [`check_outgoing`] with the sender's policy: timers capped, forbidden content refused;
//! - [`check_incoming`] with the receiver's policy: timers capped again (so the stricter of two
//!   groups wins) and file downloads refused where the receiver's group is preview-only;
//! - [`read_receipts_flow`]: read receipts only between two networks that both turn them on;
//! - [`PasswordRules::check`]: which password rule a new password breaks.
//!
//! Each member of a room, whatever its group or network, is governed by its own policy: its
//! client checks what it sends with its policy and what it receives with its policy.
//!
//! ```
//! use ember_core::content::{Body, Content, MessageId, Timers};
//! use ember_core::network::{NetworkId, NetworkKey};
//! use ember_core::policy::{
//!     check_incoming, check_outgoing, FileAccess, PolicyViolation, SecurityGroupId,
//!     SecurityGroupPolicy, VerifiedPolicy,
//! };
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
//! // The administrator's side.
//! let network_key = NetworkKey::generate(&mut rng);
//! let network_id = NetworkId::generate(&mut rng);
//! let mut policy = SecurityGroupPolicy::new(
//!     network_id, SecurityGroupId::generate(&mut rng), 1, Timestamp(1_700_000_000));
//! policy.name = "Field team".into();
//! policy.messaging.forwarding = false;
//! policy.messaging.timer_caps.max_burn_on_read = Some(60);
//! policy.files.access = FileAccess::PreviewOnly;
//! let signed = policy.sign(&network_key)?.to_bytes();
//!
//! // A client of the network.
//! let policy = VerifiedPolicy::verify(&signed, &network_key.public_key(), network_id)?;
//! let mut message = Content::new(MessageId::generate(&mut rng), Timestamp(1_700_000_100),
//!                                Body::Text("on my way".into()));
//! message.timers = Timers { expiry: None, burn_on_read: Some(3600) };
//! let message = check_outgoing(&policy, message)?;
//! assert_eq!(message.timers.burn_on_read, Some(60));
//!
//! let mut forwarded = Content::new(MessageId::generate(&mut rng), Timestamp(1_700_000_200),
//!                                  Body::Text("fwd".into()));
//! forwarded.forwarded = true;
//! assert_eq!(check_outgoing(&policy, forwarded), Err(PolicyViolation::ForwardingOff));
//!
//! let received = check_incoming(&policy, message);
//! assert_eq!(received.check_download(), Err(PolicyViolation::PreviewOnly));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod common;
mod enforce;
mod error;
mod group;
mod password;
mod settings;
mod store;

/// The ATAK settings of a policy are the ATAK module's own rules, so a verified policy feeds
/// [`crate::atak::PairingRegistry`] as it is.
pub use crate::atak::AtakRules;
pub use enforce::{
    Incoming, check_incoming, check_outgoing, read_receipts_flow, read_receipts_flow_in_room,
};
pub use error::{InvalidPolicy, PasswordRuleFailed, PolicyError, PolicyViolation, UpdateError};
pub use group::{
    AccountRules, CallingRules, DeviceRules, FederationMode, FederationRules, FileAccess,
    FileRules, LocationSharing, MessagingRules, OpenAccess, SECURITY_GROUP_ID_LEN, SecurityGroupId,
    SecurityGroupPolicy, ShredderIntensity, TcpCalling, VerifiedPolicy,
};
pub use password::PasswordRules;
pub use settings::{ConsentBanner, NetworkSettings, VerifiedNetworkSettings};
pub use store::PolicyStore;

/// Largest signed policy or settings document accepted. The largest policy the other bounds
/// allow (mostly [`MAX_BLOCKED_GUESTS`] ids) stays below it.
pub const MAX_POLICY_LEN: usize = 256 * 1024;
/// Longest security group name, in bytes.
pub const MAX_GROUP_NAME_LEN: usize = 256;
/// Most quick replies in a policy.
pub const MAX_QUICK_REPLIES: usize = 64;
/// Longest quick reply, in bytes.
pub const MAX_QUICK_REPLY_LEN: usize = 256;
/// Most networks in a restricted-federation allowlist.
pub const MAX_ALLOWED_NETWORKS: usize = 1000;
/// Most blocked guest accounts in a policy.
pub const MAX_BLOCKED_GUESTS: usize = 10_000;
/// Most ATAK package names in a policy.
pub const MAX_ATAK_PACKAGES: usize = 64;
/// Longest ATAK package name, in bytes.
pub const MAX_ATAK_PACKAGE_LEN: usize = 255;
/// The lowest minimum password length a policy may set.
pub const MIN_PASSWORD_LENGTH: u32 = 8;
/// The highest minimum length or count a password rule may ask for.
pub const MAX_PASSWORD_RULE: u32 = 128;
/// Longest consent banner title, in bytes.
pub const MAX_BANNER_TITLE_LEN: usize = 256;
/// Longest consent banner text, in bytes.
pub const MAX_BANNER_BODY_LEN: usize = 8192;
/// Longest consent banner button label, in bytes.
pub const MAX_BANNER_BUTTON_LEN: usize = 64;
/// Most security-group policies a [`PolicyStore`] holds.
pub const MAX_STORED_POLICIES: usize = 64;
/// Most networks' settings a [`PolicyStore`] holds: enough for every network of a full
/// restricted-federation allowlist and the client's own.
pub const MAX_STORED_NETWORKS: usize = 1024;
/// The package name of ATAK-CIV, the civilian ATAK app.
pub const ATAK_CIV_PACKAGE: &str = "com.atakmap.app.civ";
/// The package name of ATAK-MIL, the military ATAK app.
pub const ATAK_MIL_PACKAGE: &str = "com.atakmap.app.mil";
