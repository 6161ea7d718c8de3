//! The errors of the policy module, one per operation. None carries a secret: a password
//! check names the rule that failed and its minimum, never the password or its length.

use core::fmt;

use crate::error::DecodeError;
use crate::network::NetworkId;

/// A policy or settings document breaks a rule of the policy model. Returned when signing
/// (the caller built an invalid document) and when verifying (the issuer signed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidPolicy {
    /// A text is longer than its bound.
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A text that must not be empty is empty.
    Empty(&'static str),
    /// The revision is 0; revisions start at 1.
    ZeroRevision,
    /// A list holds more entries than its bound.
    TooMany {
        /// The field.
        field: &'static str,
        /// How many entries it holds.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// A duration of zero seconds: a limit is either a positive number of seconds or `None`
    /// (a zero cap would encode as "no timer").
    ZeroDuration(&'static str),
    /// The password rules ask for a minimum length below
    /// [`MIN_PASSWORD_LENGTH`](super::MIN_PASSWORD_LENGTH).
    PasswordTooWeak {
        /// The minimum length the rules ask for.
        min_length: u32,
    },
    /// A password rule asks for more than [`MAX_PASSWORD_RULE`](super::MAX_PASSWORD_RULE).
    PasswordRuleTooLarge(&'static str),
    /// An ATAK package name is not a dotted Java package name.
    BadPackageName {
        /// Its position in the list.
        index: usize,
    },
    /// An enumeration value that is unspecified (0) or unknown to this version.
    UnknownValue(&'static str),
}

/// A signed policy or settings document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is malformed.
    Decode(DecodeError),
    /// The network key's signature does not verify.
    BadSignature,
    /// The document is signed for another network than the one expected.
    WrongNetwork {
        /// The network the caller expected.
        expected: NetworkId,
        /// The network the document names.
        got: NetworkId,
    },
    /// The document breaks a rule of the policy model.
    Invalid(InvalidPolicy),
}

/// A verified document could not replace the one held. The one held is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateError {
    /// The document is not newer than the one held: a rollback or a replay.
    Stale {
        /// Its revision.
        got: u64,
        /// The revision held.
        current: u64,
    },
    /// The document is for another network or security group than the one held.
    OtherDocument,
    /// The store already holds its bound of documents.
    Full {
        /// The bound.
        max: usize,
    },
}

/// A message breaks its sender's policy. Nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// The message is marked forwarded and the policy turns forwarding off.
    ForwardingOff,
    /// The message shares a location and the policy turns location sharing off.
    LocationOff,
    /// The message shares coordinates and the policy allows only links.
    LocationLinkOnly,
    /// The message starts, joins or rekeys a call and the policy turns audio calls off.
    CallsOff,
    /// The call has video (or screen sharing) and the policy turns video off.
    VideoOff,
    /// The message is marked as a quick reply but is not a text from the policy's list.
    NotAQuickReply,
    /// The receiver's policy allows previews only: the file may be shown, not saved.
    PreviewOnly,
}

/// A password breaks a rule of its security group. The variants are checked in this order;
/// each carries the rule's minimum, never anything about the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordRuleFailed {
    /// Fewer characters than the minimum length.
    TooShort {
        /// The minimum length.
        min: u32,
    },
    /// Fewer lowercase letters than required.
    NeedsLowercase {
        /// The number required.
        min: u32,
    },
    /// Fewer uppercase letters than required.
    NeedsUppercase {
        /// The number required.
        min: u32,
    },
    /// Fewer digits than required.
    NeedsDigits {
        /// The number required.
        min: u32,
    },
    /// Fewer special characters than required.
    NeedsSpecial {
        /// The number required.
        min: u32,
    },
}

impl From<DecodeError> for PolicyError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

impl From<InvalidPolicy> for PolicyError {
    fn from(error: InvalidPolicy) -> Self {
        Self::Invalid(error)
    }
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
    InvalidPolicy => "invalid policy",
    PolicyError => "policy document rejected",
    UpdateError => "policy update refused",
    PolicyViolation => "refused by policy",
    PasswordRuleFailed => "password rule not met",
}
