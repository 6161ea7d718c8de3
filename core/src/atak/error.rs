//! The errors of pairing and of the channel. None carries key bytes, package names or text.

use core::fmt;

use crate::error::DecodeError;

/// A pairing step failed. The step's state was consumed: pairing starts again from
/// [`super::PluginPairing::start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairingError {
    /// The pairing message is malformed, or of another version or suite.
    Decode(DecodeError),
    /// A pairing message of another step arrived (a reveal where a response was expected).
    UnexpectedStep,
    /// The policy turns ATAK integration off.
    AtakDisabled,
    /// The policy does not allow this package to pair.
    PackageNotAllowed,
    /// The package name is not an Android package name of at most
    /// [`super::MAX_PACKAGE_NAME_LEN`] bytes.
    InvalidPackageName,
    /// The request names another package than the one the platform reports for the caller.
    CallerMismatch,
    /// The revealed nonce is not the one the request committed to.
    BadCommitment,
    /// An ephemeral key is of low order: the key agreement would be non-contributory.
    NonContributory,
    /// The user did not confirm that both codes match. No channel was made.
    NotApproved,
    /// The confirmation names another channel, or its MAC does not verify: the messenger
    /// derived other keys (a man in the middle) or the message was altered.
    BadConfirmation,
    /// The registry already holds [`super::MAX_PAIRED_CHANNELS`] channels; unpair one first.
    RegistryFull {
        /// The bound.
        max: usize,
    },
}

/// A channel frame could not be sealed or opened. The channel is unchanged: a refused frame
/// does not move the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelError {
    /// The frame (or the frame a request would make) is longer than [`super::MAX_FRAME_LEN`].
    TooLarge {
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The frame is shorter than a header and a tag, or its counter is beyond
    /// [`super::MAX_FRAMES_PER_DIRECTION`].
    Malformed,
    /// A frame version this implementation does not read.
    UnsupportedVersion(u8),
    /// The frame travels in this end's own sending direction: it was reflected back.
    WrongDirection,
    /// The registry has no channel with this id.
    UnknownChannel,
    /// The frame belongs to another channel than this plugin's.
    WrongChannel,
    /// The channel was unpaired.
    Revoked,
    /// A replayed or reordered frame: its counter is below the lowest one still accepted.
    Stale {
        /// The frame's counter.
        counter: u64,
        /// The lowest counter still accepted.
        next: u64,
    },
    /// The frame did not authenticate: altered, or sealed under another channel's key.
    BadTag,
    /// The frame authenticated but its plaintext is malformed.
    Decode(DecodeError),
    /// A text, name or id is longer than its bound (or empty where it must not be).
    BadLength {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// This direction sealed [`super::MAX_FRAMES_PER_DIRECTION`] frames: pair again.
    Exhausted,
}

impl fmt::Display for PairingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ATAK pairing failed: {self:?}")
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ATAK channel frame refused: {self:?}")
    }
}

impl core::error::Error for PairingError {}
impl core::error::Error for ChannelError {}

impl From<DecodeError> for PairingError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

impl From<DecodeError> for ChannelError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}
