//! The edge between prost's wire structs and Ember's domain types.
//!
//! Every decoder goes through [`decode`] (length bound, then protobuf), and every field
//! through the small checks here, so that a malformed input gives one [`DecodeError`]
//! variant and never a panic.

use prost::Message;

use crate::error::DecodeError;

/// The wire format version this implementation writes and reads.
pub const VERSION: u32 = 1;

/// The cipher suites Ember knows. The id travels on the wire, so a later suite (the planned
/// post-quantum hybrid) can be added without a new wire version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// X25519, Ed25519, AES-256-GCM, HKDF-SHA256, HMAC-SHA256.
    Classic = 1,
}

impl Suite {
    /// The id on the wire.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The suite with this wire id, if this implementation speaks it.
    pub fn from_id(id: u32) -> Result<Self, DecodeError> {
        match id {
            1 => Ok(Self::Classic),
            other => Err(DecodeError::UnsupportedSuite(other)),
        }
    }
}

/// Decodes a protobuf message after checking its length against `max`.
pub(crate) fn decode<M: Message + Default>(bytes: &[u8], max: usize) -> Result<M, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
    M::decode(bytes).map_err(|_| DecodeError::Protobuf)
}

/// A required sub-message.
pub(crate) fn required<T>(value: Option<T>, field: &'static str) -> Result<T, DecodeError> {
    value.ok_or(DecodeError::MissingField(field))
}

/// A fixed-length byte field.
pub(crate) fn array<const N: usize>(
    field: &'static str,
    bytes: &[u8],
) -> Result<[u8; N], DecodeError> {
    bytes.try_into().map_err(|_| DecodeError::BadLength {
        field,
        expected: N,
        got: bytes.len(),
    })
}

/// The protocol version must be the one this implementation speaks.
pub(crate) fn check_version(version: u32) -> Result<(), DecodeError> {
    if version == VERSION {
        Ok(())
    } else {
        Err(DecodeError::UnsupportedVersion(version))
    }
}
