//! What the policy documents share: the signature over `label || body`, the network id check
//! the checks on texts, lists and durations, and the rollback rule.

use crate::crypto::sign::{Signature, VerifyingKey};
use crate::network::NetworkId;
use crate::wire;

use super::error::{PolicyError, UpdateError};

/// Verifies the network key's signature over `label || body`, before the body is decoded.
pub(super) fn verify(
    network_key: &VerifyingKey,
    label: &[u8],
    body: &[u8],
    signature: &[u8],
) -> Result<(), PolicyError> {
    let signature = Signature::from_bytes(wire::array("signature", signature)?);
    network_key
        .verify(label, body, &signature)
        .map_err(|_| PolicyError::BadSignature)
}

/// Reads the network id of a verified body and checks it is the one expected.
pub(super) fn check_network(bytes: &[u8], expected: NetworkId) -> Result<NetworkId, PolicyError> {
    let got = NetworkId(wire::array("network_id", bytes)?);
    if got == expected {
        Ok(got)
    } else {
        Err(PolicyError::WrongNetwork { expected, got })
    }
}

/// A duration on the wire: 0 is "no limit".
pub(super) fn duration_from_wire(seconds: u32) -> Option<u32> {
    (seconds != 0).then_some(seconds)
}

/// A duration for the wire. [`check_duration`] has refused `Some(0)` before signing.
pub(super) fn duration_to_wire(seconds: Option<u32>) -> u32 {
    seconds.unwrap_or(0)
}

/// A limit is a positive number of seconds or `None`.
pub(super) fn check_duration(
    field: &'static str,
    seconds: Option<u32>,
) -> Result<(), super::InvalidPolicy> {
    if seconds == Some(0) {
        Err(super::InvalidPolicy::ZeroDuration(field))
    } else {
        Ok(())
    }
}

/// A text of at most `max` bytes, and not empty if `required`.
pub(super) fn check_text(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<(), super::InvalidPolicy> {
    if required && text.is_empty() {
        return Err(super::InvalidPolicy::Empty(field));
    }
    if text.len() > max {
        return Err(super::InvalidPolicy::TooLong {
            field,
            len: text.len(),
            max,
        });
    }
    Ok(())
}

/// A list of at most `max` entries.
pub(super) fn check_count(
    field: &'static str,
    got: usize,
    max: usize,
) -> Result<(), super::InvalidPolicy> {
    if got > max {
        Err(super::InvalidPolicy::TooMany { field, got, max })
    } else {
        Ok(())
    }
}

/// The rollback rule both signed documents follow: `candidate` replaces `current` only if it
/// is the same document (`same`) with a higher revision; otherwise `current` is unchanged.
pub(super) fn replace_if_newer<T>(
    current: &mut T,
    candidate: T,
    same: bool,
    revision: impl Fn(&T) -> u64,
) -> Result<(), UpdateError> {
    if !same {
        return Err(UpdateError::OtherDocument);
    }
    let (got, now) = (revision(&candidate), revision(current));
    if got <= now {
        return Err(UpdateError::Stale { got, current: now });
    }
    *current = candidate;
    Ok(())
}
