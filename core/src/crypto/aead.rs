//! AES-256-GCM with a 96-bit nonce and a 128-bit tag, the only AEAD of suite 1.

use alloc::vec::Vec;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};

/// Length of the authentication tag appended to every ciphertext.
pub const TAG_LEN: usize = 16;
/// Length of a nonce.
pub const NONCE_LEN: usize = 12;
/// Length of a key.
pub const KEY_LEN: usize = 32;

/// The plaintext or associated data is longer than AES-GCM allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// The ciphertext did not authenticate: wrong key, wrong associated data, or tampering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTag;

impl core::fmt::Display for TooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("input too long for AES-256-GCM")
    }
}

impl core::fmt::Display for BadTag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ciphertext did not authenticate")
    }
}

impl core::error::Error for TooLong {}
impl core::error::Error for BadTag {}

/// Encrypts `plaintext`, returning `ciphertext || tag`.
pub fn seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, TooLong> {
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    seal_in_place(key, nonce, aad, &mut out)?;
    Ok(out)
}

/// Encrypts `buffer` in place and appends the tag.
pub fn seal_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(), TooLong> {
    let cipher = Aes256Gcm::new(key.into());
    let tag = cipher
        .encrypt_inout_detached(nonce.into(), aad, buffer.as_mut_slice().into())
        .map_err(|_| TooLong)?;
    buffer.extend_from_slice(&tag);
    Ok(())
}

/// Verifies and decrypts `ciphertext || tag`. Nothing is released unless the tag verified.
pub fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, BadTag> {
    let split = sealed.len().checked_sub(TAG_LEN).ok_or(BadTag)?;
    let (ciphertext, tag) = sealed.split_at(split);
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| BadTag)?;
    let mut out = Vec::from(ciphertext);
    let cipher = Aes256Gcm::new(key.into());
    match cipher.decrypt_inout_detached(nonce.into(), aad, out.as_mut_slice().into(), tag.into()) {
        Ok(()) => Ok(out),
        Err(_) => Err(BadTag),
    }
}

/// Encrypts `buffer` in place and returns the tag, for callers that frame the tag themselves.
///
/// The file stream seals each chunk inside the caller's output buffer with it, so that no
/// chunk costs an allocation.
pub fn seal_in_place_detached(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut [u8],
) -> Result<[u8; TAG_LEN], TooLong> {
    let cipher = Aes256Gcm::new(key.into());
    let tag = cipher
        .encrypt_inout_detached(nonce.into(), aad, buffer.into())
        .map_err(|_| TooLong)?;
    Ok(tag.into())
}

/// Verifies `tag` over `buffer` and only then decrypts `buffer` in place.
///
/// When the tag does not verify, `buffer` is left as it was (still ciphertext).
pub fn open_in_place_detached(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), BadTag> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt_inout_detached(nonce.into(), aad, buffer.into(), tag.into())
        .map_err(|_| BadTag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_tamper_fails() {
        let key = [1u8; 32];
        let nonce = [2u8; 12];
        let sealed = seal(&key, &nonce, b"ad", b"message").unwrap();
        assert_eq!(sealed.len(), 7 + TAG_LEN);
        assert_eq!(open(&key, &nonce, b"ad", &sealed).unwrap(), b"message");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(open(&key, &nonce, b"ad", &bad), Err(BadTag));
        }
        assert_eq!(open(&key, &nonce, b"ax", &sealed), Err(BadTag));
        assert_eq!(open(&[9u8; 32], &nonce, b"ad", &sealed), Err(BadTag));
        assert_eq!(open(&key, &nonce, b"ad", &sealed[..10]), Err(BadTag));
    }

    #[test]
    fn detached_variants_match_the_attached_ones() {
        let key = [3u8; 32];
        let nonce = [4u8; 12];
        let mut buffer = *b"chunk of a file";
        let tag = seal_in_place_detached(&key, &nonce, b"ad", &mut buffer).unwrap();
        let mut attached = buffer.to_vec();
        attached.extend_from_slice(&tag);
        assert_eq!(
            attached,
            seal(&key, &nonce, b"ad", b"chunk of a file").unwrap()
        );
        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        let before = buffer;
        assert_eq!(
            open_in_place_detached(&key, &nonce, b"ad", &mut buffer, &bad_tag),
            Err(BadTag)
        );
        assert_eq!(
            buffer, before,
            "a failed open leaves the ciphertext untouched"
        );
        open_in_place_detached(&key, &nonce, b"ad", &mut buffer, &tag).unwrap();
        assert_eq!(&buffer, b"chunk of a file");
    }
}
