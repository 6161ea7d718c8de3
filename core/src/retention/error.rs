//! The errors of the retention module. None carries key bytes or plaintext: only counts,
//! versions and field names.

use core::fmt;

use crate::error::{CertificateError, DecodeError};

/// A retention configuration was refused, when issued or when received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration is malformed.
    Decode(DecodeError),
    /// The network key's signature does not verify.
    BadSignature,
    /// The configuration is for another network than the one expected.
    WrongNetwork,
    /// A compliance device certificate did not verify.
    Certificate(CertificateError),
    /// More compliance devices than [`super::MAX_COMPLIANCE_DEVICES`].
    TooManyDevices {
        /// How many the configuration lists.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// The same compliance device is listed twice.
    DuplicateDevice,
    /// Retention is on but no compliance device is listed.
    NoComplianceDevice,
    /// Retention is on but no archive key is given.
    MissingArchiveKey,
    /// The archive key is a low-order X25519 point: nothing could be wrapped to it.
    BadArchiveKey,
    /// A segment rotation limit is outside its bounds.
    BadRotation(&'static str),
    /// The configuration version is 0 (versions start at 1).
    BadVersion,
    /// The configuration is older than the one already accepted.
    Rollback {
        /// The version already accepted.
        current: u64,
        /// The version received.
        got: u64,
    },
    /// A different configuration with the version already accepted: the network signed two.
    Equivocation {
        /// The version both claim.
        version: u64,
    },
}

/// The compliance archiver refused an operation. The archive is unchanged: no record of the
/// refused input was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The configuration has retention off, so there is nothing to archive to.
    RetentionOff,
    /// The signing device is not one of the configuration's compliance devices.
    NotAComplianceDevice,
    /// The configuration is for another network than the archive's.
    WrongNetwork,
    /// The key agreement with the archive key was non-contributory (a low-order key).
    BadArchiveKey,
    /// A record's plaintext would be longer than [`super::MAX_RECORD_LEN`].
    RecordTooLong {
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A file grew past [`crate::limits::MAX_FILE_LEN`].
    FileTooLong,
}

impl From<DecodeError> for ConfigError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

impl From<CertificateError> for ConfigError {
    fn from(error: CertificateError) -> Self {
        Self::Certificate(error)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "retention configuration rejected: {self:?}")
    }
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "archive operation refused: {self:?}")
    }
}

impl core::error::Error for ConfigError {}
impl core::error::Error for ArchiveError {}
