//! HKDF-SHA256 and HMAC-SHA256.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Output length of HMAC-SHA256.
pub const MAC_LEN: usize = 32;

/// HKDF was asked for more than 255 * 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputTooLong;

impl core::fmt::Display for OutputTooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HKDF-SHA256 output longer than 8160 bytes")
    }
}

impl core::error::Error for OutputTooLong {}

/// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` into `out`.
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), OutputTooLong> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| OutputTooLong)
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; MAC_LEN] {
    keyed(key).chain_update(data).finalize().into_bytes().into()
}

/// HMAC-SHA256 of two messages under one key, keying the MAC once.
///
/// The symmetric ratchet uses this to derive a message key and the next chain key.
pub fn hmac_sha256_pair(key: &[u8], first: &[u8], second: &[u8]) -> ([u8; MAC_LEN], [u8; MAC_LEN]) {
    let mac = keyed(key);
    let a = mac
        .clone()
        .chain_update(first)
        .finalize()
        .into_bytes()
        .into();
    let b = mac.chain_update(second).finalize().into_bytes().into();
    (a, b)
}

/// Checks `tag` against HMAC-SHA256 of `data` under `key`, in constant time.
///
/// A tag shorter than 32 bytes is compared as a truncated HMAC (Wycheproof and RFC 4868
/// style); an empty or over-long tag never verifies.
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    if tag.is_empty() || tag.len() > MAC_LEN {
        return false;
    }
    let full = hmac_sha256(key, data);
    bool::from(full[..tag.len()].ct_eq(tag))
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed, short ones padded), so this never
    // fails; the fallback only exists because the trait's signature is fallible.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_matches_two_single_macs() {
        let (a, b) = hmac_sha256_pair(b"chain key", &[1], &[2]);
        assert_eq!(a, hmac_sha256(b"chain key", &[1]));
        assert_eq!(b, hmac_sha256(b"chain key", &[2]));
        assert_ne!(a, b);
    }

    #[test]
    fn verify_rejects_wrong_and_degenerate_tags() {
        let tag = hmac_sha256(b"k", b"data");
        assert!(hmac_sha256_verify(b"k", b"data", &tag));
        assert!(hmac_sha256_verify(b"k", b"data", &tag[..16]));
        assert!(!hmac_sha256_verify(b"k", b"datA", &tag));
        assert!(!hmac_sha256_verify(b"k", b"data", &[]));
        let mut long = tag.to_vec();
        long.push(0);
        assert!(!hmac_sha256_verify(b"k", b"data", &long));
    }

    #[test]
    fn hkdf_refuses_oversized_output() {
        let mut big = [0u8; 255 * 32 + 1];
        assert_eq!(hkdf_sha256(b"", b"ikm", b"", &mut big), Err(OutputTooLong));
        let mut max = [0u8; 255 * 32];
        assert_eq!(hkdf_sha256(b"", b"ikm", b"", &mut max), Ok(()));
    }
}
