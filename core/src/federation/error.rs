//! The errors of federation: one type per operation, each refusal its own variant. None
//! carries key bytes or payload bytes; only ids, counts, timestamps and field names.

use core::fmt;

use crate::error::{CertificateError, DecodeError};
use crate::ids::Timestamp;
use crate::network::NetworkId;

/// A region name is empty, longer than [`super::MAX_REGION_LEN`], or has a character other
/// than `a`-`z`, `0`-`9` and `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidRegion;

/// Which federation mode refused a pair of networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModeMismatch {
    /// The mode is local and the other network is in another region.
    OtherRegion,
    /// Restricted federation is involved and this mode does not list the other network
    /// (a global or local network lists no one).
    NotAllowlisted,
}

/// A network descriptor could not be signed or did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DescriptorError {
    /// The descriptor is malformed.
    Decode(DecodeError),
    /// The network key's signature does not verify.
    BadSignature,
    /// (Signing) revisions start at 1.
    ZeroRevision,
    /// (Signing) the allowlist is longer than [`super::MAX_ALLOWLIST_LEN`].
    AllowlistTooLong {
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
}

/// A trust store (or a gate's own descriptor) refused a change. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// The network is trusted already: send its new descriptors to `update`.
    AlreadyTrusted {
        /// The network.
        network: NetworkId,
    },
    /// The network is not trusted: an administrator must `add` it first.
    NotTrusted {
        /// The network.
        network: NetworkId,
    },
    /// The descriptor's revision is not higher than the trusted one's: a rollback or a replay.
    NotNewer {
        /// The revision received.
        got: u64,
        /// The revision trusted.
        current: u64,
    },
    /// The descriptor names a new network key without the trusted key's rotation signature.
    UnendorsedKeyChange,
    /// The store holds [`super::MAX_TRUSTED_NETWORKS`] networks already.
    Full {
        /// The bound.
        max: usize,
    },
    /// A descriptor of another network where this network's own was expected.
    OtherNetwork {
        /// The network it describes.
        network: NetworkId,
    },
}

/// A federation envelope could not be sealed. Nothing was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The signing key is not the one this network's descriptor names.
    KeyMismatch,
    /// The payload is longer than [`super::MAX_FEDERATED_PAYLOAD_LEN`].
    PayloadTooLarge {
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// This network's mode does not federate with the recipient's network.
    NotFederated {
        /// Why.
        reason: ModeMismatch,
    },
    /// The recipient network's mode does not federate with this network.
    NotReciprocated {
        /// Why.
        reason: ModeMismatch,
    },
}

/// Why a receiving network refused a federation envelope. Each check has its own variant;
/// nothing changed in the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FederationRefusal {
    /// The envelope is too large, not valid protobuf, or a field is missing or malformed.
    Malformed(DecodeError),
    /// The sending network is not in the trust store.
    UnknownNetwork {
        /// The network the envelope names.
        network: NetworkId,
    },
    /// The signature does not verify under the sending network's trusted key: forged or
    /// altered.
    BadSignature,
    /// The sender's device certificate does not verify.
    BadCertificate(CertificateError),
    /// The envelope is addressed to another network.
    WrongRecipientNetwork {
        /// The network it is addressed to.
        network: NetworkId,
    },
    /// A region in the envelope is not the one the descriptors state.
    RegionMismatch {
        /// `"sender_region"` or `"recipient_region"`.
        field: &'static str,
    },
    /// The envelope is older than [`super::MAX_ENVELOPE_AGE_SECS`].
    Stale {
        /// Its age in seconds.
        age: u64,
    },
    /// The envelope is dated more than [`super::MAX_FUTURE_SKEW_SECS`] ahead.
    FromTheFuture {
        /// How many seconds ahead.
        ahead: u64,
    },
    /// The envelope is dated at or before the replay horizon (the gate restarted, or its full
    /// cache dropped entries that old), so a replay cannot be ruled out: refused. The sending
    /// network may seal the payload again.
    ReplayUnverifiable {
        /// The horizon.
        horizon: Timestamp,
    },
    /// The envelope was accepted before.
    Replayed,
    /// This network's federation mode does not accept the sending network.
    NotFederated {
        /// Why.
        reason: ModeMismatch,
    },
    /// The sending network's mode does not accept this network (for restricted federation:
    /// its allowlist does not list this network, a one-sided allowlist).
    NotReciprocated {
        /// Why.
        reason: ModeMismatch,
    },
    /// The recipient device is not here, or cannot receive.
    UnknownRecipient,
    /// The recipient's security group does not talk to the sending network, although the two
    /// networks federate.
    GroupNotFederated,
    /// The sender is a guest and the recipient's security group does not enable guests.
    GuestsNotAllowed,
    /// The sender is a guest that this network blocked.
    BlockedGuest,
    /// The sender's account is suspended.
    SuspendedAccount,
    /// The sender's account is deleted.
    DeletedAccount,
    /// The sender's device was revoked.
    RevokedDevice,
}

/// A conversation's classification tracker refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClassificationError {
    /// The conversation tracks [`super::MAX_CONVERSATION_PARTICIPANTS`] participants already.
    TooManyParticipants {
        /// The bound.
        max: usize,
    },
}

macro_rules! impl_display_and_error {
    ($($ty:ty => $text:literal),* $(,)?) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($text, ": {:?}"), self)
            }
        }
        impl core::error::Error for $ty {}
    )*};
}

impl_display_and_error! {
    InvalidRegion => "invalid region name",
    ModeMismatch => "federation mode mismatch",
    DescriptorError => "network descriptor rejected",
    TrustError => "trust store change refused",
    SealError => "federation envelope not sealed",
    FederationRefusal => "federation envelope refused",
    ClassificationError => "classification change refused",
}

impl From<DecodeError> for DescriptorError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}
