//! Key derivation (RFC 9605, section 4.4.2) and frame protection (sections 4.4.3, 4.4.4).

use alloc::vec::Vec;
use core::fmt;

use hkdf::Hkdf;
use hmac::EagerHash;
use sha2::{Sha256, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::header::Header;
use super::suite::{CipherSuite, FrameCipher, MAX_KEY_LEN, NONCE_LEN};
use crate::error::{SframeError, SframeSealError};
use crate::limits::MAX_CALL_FRAME_LEN;

/// Prefix of the HKDF-Expand info of `sframe_key`; the KID (u64, big-endian) and the cipher
/// suite (u16, big-endian) follow.
const KEY_LABEL: &[u8] = b"SFrame 1.0 Secret key ";
/// Prefix of the HKDF-Expand info of `sframe_salt`, followed like [`KEY_LABEL`].
const SALT_LABEL: &[u8] = b"SFrame 1.0 Secret salt ";
/// The longest `sframe_secret` (SHA-512's output).
const MAX_SECRET_LEN: usize = 64;

/// Everything RFC 9605 derives from one `base_key` for one KID: `sframe_secret`,
/// `sframe_key` and `sframe_salt`.
///
/// Exposed for known-answer tests and interoperability checks; frames are protected with
/// the [`SframeKey`] made from it. Zeroized on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SframeKeyMaterial {
    #[zeroize(skip)]
    suite: CipherSuite,
    kid: u64,
    secret: [u8; MAX_SECRET_LEN],
    key: [u8; MAX_KEY_LEN],
    salt: [u8; NONCE_LEN],
}

impl SframeKeyMaterial {
    /// `derive_key_salt(KID, base_key)`: HKDF-Extract with an empty salt, then HKDF-Expand
    /// with `"SFrame 1.0 Secret key " || KID || cipher_suite` (AEAD.Nk bytes) and
    /// `"SFrame 1.0 Secret salt " || KID || cipher_suite` (AEAD.Nn bytes), KID as a u64 and
    /// the suite as a u16, both big-endian. The hash is SHA-512 for
    /// [`CipherSuite::Aes256GcmSha512Tag128`] and SHA-256 otherwise.
    pub fn derive(suite: CipherSuite, kid: u64, base_key: &[u8]) -> Self {
        let mut material = Self {
            suite,
            kid,
            secret: [0u8; MAX_SECRET_LEN],
            key: [0u8; MAX_KEY_LEN],
            salt: [0u8; NONCE_LEN],
        };
        match suite {
            CipherSuite::Aes256GcmSha512Tag128 => material.fill::<Sha512>(base_key),
            _ => material.fill::<Sha256>(base_key),
        }
        material
    }

    fn fill<H: EagerHash>(&mut self, base_key: &[u8]) {
        let (prk, hkdf) = Hkdf::<H>::extract(Some(&[]), base_key);
        let secret_len = self.suite.hash_len();
        self.secret[..secret_len].copy_from_slice(&prk[..secret_len]);
        let mut prk = prk;
        prk.zeroize();
        let key_len = self.suite.key_len();
        // Nk and Nn (at most 48 bytes) are far below HKDF's 255 * Nh limit: these cannot fail.
        let _ = hkdf.expand(&self.label(KEY_LABEL), &mut self.key[..key_len]);
        let _ = hkdf.expand(&self.label(SALT_LABEL), &mut self.salt);
    }

    /// `prefix || KID (u64be) || cipher_suite (u16be)`.
    fn label(&self, prefix: &[u8]) -> Vec<u8> {
        let mut label = Vec::with_capacity(prefix.len() + 10);
        label.extend_from_slice(prefix);
        label.extend_from_slice(&self.kid.to_be_bytes());
        label.extend_from_slice(&self.suite.id().to_be_bytes());
        label
    }

    /// The suite.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// The key id.
    pub fn kid(&self) -> u64 {
        self.kid
    }

    /// `sframe_secret`, Hash.Nh bytes.
    pub fn sframe_secret(&self) -> &[u8] {
        self.secret.get(..self.suite.hash_len()).unwrap_or(&[])
    }

    /// `sframe_key`, AEAD.Nk bytes.
    pub fn sframe_key(&self) -> &[u8] {
        self.key.get(..self.suite.key_len()).unwrap_or(&[])
    }

    /// `sframe_salt`, AEAD.Nn bytes.
    pub fn sframe_salt(&self) -> &[u8; NONCE_LEN] {
        &self.salt
    }

    /// The nonce of frame `ctr`: the salt XOR the counter as a 12-byte big-endian integer.
    pub fn nonce(&self, ctr: u64) -> [u8; NONCE_LEN] {
        nonce(&self.salt, ctr)
    }
}

impl fmt::Debug for SframeKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            suite,
            kid,
            secret: _,
            key: _,
            salt: _,
        } = self;
        f.debug_struct("SframeKeyMaterial")
            .field("suite", suite)
            .field("kid", kid)
            .finish_non_exhaustive()
    }
}

fn nonce(salt: &[u8; NONCE_LEN], ctr: u64) -> [u8; NONCE_LEN] {
    let mut nonce = *salt;
    for (n, c) in nonce[NONCE_LEN - 8..].iter_mut().zip(ctr.to_be_bytes()) {
        *n ^= c;
    }
    nonce
}

/// The key and salt of one KID with its AEAD already keyed: what protecting or opening a
/// frame needs, at the cost of one nonce XOR per frame.
///
/// Zeroized on drop, never printed.
pub struct SframeKey {
    kid: u64,
    salt: Salt,
    cipher: FrameCipher,
}

#[derive(Zeroize, ZeroizeOnDrop)]
struct Salt([u8; NONCE_LEN]);

impl SframeKey {
    /// Derives the key of `kid` from `base_key` ([`SframeKeyMaterial::derive`]) and keys
    /// its AEAD.
    pub fn derive(suite: CipherSuite, kid: u64, base_key: &[u8]) -> Self {
        Self::from_material(&SframeKeyMaterial::derive(suite, kid, base_key))
    }

    /// Keys the AEAD of already derived material.
    pub fn from_material(material: &SframeKeyMaterial) -> Self {
        Self {
            kid: material.kid,
            salt: Salt(material.salt),
            cipher: FrameCipher::from_key(material.suite, &material.key),
        }
    }

    /// The key id.
    pub fn kid(&self) -> u64 {
        self.kid
    }

    /// The suite.
    pub fn suite(&self) -> CipherSuite {
        self.cipher.suite()
    }

    /// Encrypts one frame as `header || ciphertext || tag`, appended to `out`, with
    /// `header || metadata` as associated data (RFC 9605 `encrypt`).
    ///
    /// The caller owns the counter: it must never pass the same `ctr` twice for one key.
    pub(crate) fn protect_into(
        &self,
        ctr: u64,
        metadata: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), SframeSealError> {
        if plaintext.len() > MAX_CALL_FRAME_LEN {
            return Err(SframeSealError::TooLong {
                len: plaintext.len(),
                max: MAX_CALL_FRAME_LEN,
            });
        }
        let header = Header::new(self.kid, ctr).encode();
        let header = header.as_bytes();
        let start = out.len();
        out.reserve(header.len() + plaintext.len() + self.suite().tag_len());
        out.extend_from_slice(header);
        out.extend_from_slice(plaintext);
        let nonce = nonce(&self.salt.0, ctr);
        let body = &mut out[start + header.len()..];
        match self.cipher.seal_detached(&nonce, header, metadata, body) {
            Ok(tag) => {
                out.extend_from_slice(tag.as_bytes());
                Ok(())
            }
            // Unreachable below MAX_CALL_FRAME_LEN; reported as the same bound.
            Err(_) => {
                out.truncate(start);
                Err(SframeSealError::TooLong {
                    len: plaintext.len(),
                    max: MAX_CALL_FRAME_LEN,
                })
            }
        }
    }

    /// Verifies and decrypts the frame whose header was already read (`header`, `header_len`
    /// bytes), appending the plaintext to `out`. Nothing is appended unless the tag verified.
    pub(crate) fn unprotect_into(
        &self,
        header: Header,
        header_len: usize,
        metadata: &[u8],
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), SframeError> {
        if frame.len() > MAX_CALL_FRAME_LEN {
            return Err(SframeError::TooLong {
                len: frame.len(),
                max: MAX_CALL_FRAME_LEN,
            });
        }
        if header.kid != self.kid {
            return Err(SframeError::UnknownKeyId { kid: header.kid });
        }
        let (header_bytes, sealed) = frame
            .split_at_checked(header_len)
            .ok_or(SframeError::BadHeader)?;
        let split = sealed
            .len()
            .checked_sub(self.suite().tag_len())
            .ok_or(SframeError::BadTag)?;
        let (ciphertext, tag) = sealed.split_at(split);
        let start = out.len();
        out.extend_from_slice(ciphertext);
        let body = &mut out[start..];
        let nonce = nonce(&self.salt.0, header.ctr);
        match self
            .cipher
            .open_detached(&nonce, header_bytes, metadata, body, tag)
        {
            Ok(()) => Ok(()),
            Err(_) => {
                out.truncate(start);
                Err(SframeError::BadTag)
            }
        }
    }
}

impl fmt::Debug for SframeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            kid,
            salt: _,
            cipher,
        } = self;
        f.debug_struct("SframeKey")
            .field("kid", kid)
            .field("suite", &cipher.suite())
            .finish_non_exhaustive()
    }
}

/// RFC 9605 `encrypt(CTR, KID, metadata, plaintext)`: `header || AEAD.Encrypt(sframe_key,
/// nonce, header || metadata, plaintext)`, under `key`'s KID.
///
/// This is the bare RFC operation: the caller must never use a counter twice with one key.
/// Calls go through [`super::FrameSender`], which owns the counter.
pub fn protect(
    key: &SframeKey,
    ctr: u64,
    metadata: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SframeSealError> {
    let mut out = Vec::new();
    key.protect_into(ctr, metadata, plaintext, &mut out)?;
    Ok(out)
}

/// RFC 9605 `decrypt(metadata, sframe_ciphertext)` with `key`: reads the header, checks that
/// it names `key`'s KID, and returns the plaintext if the tag verifies.
///
/// This is the bare RFC operation, without replay protection; calls go through
/// [`super::CallKeys::open`].
pub fn unprotect(key: &SframeKey, metadata: &[u8], frame: &[u8]) -> Result<Vec<u8>, SframeError> {
    let (header, header_len) = Header::decode(frame)?;
    let mut out = Vec::new();
    key.unprotect_into(header, header_len, metadata, frame, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_the_rfc_layout() {
        let material =
            SframeKeyMaterial::derive(CipherSuite::Aes128GcmSha256Tag128, 0x123, &[0; 16]);
        let label = material.label(KEY_LABEL);
        assert_eq!(label.len(), 32);
        assert_eq!(&label[..22], b"SFrame 1.0 Secret key ");
        assert_eq!(&label[22..], &[0, 0, 0, 0, 0, 0, 1, 0x23, 0, 4]);
        assert_eq!(material.label(SALT_LABEL).len(), 33);
    }

    #[test]
    fn nonce_is_salt_xor_counter() {
        let salt = [0xFF; NONCE_LEN];
        let n = nonce(&salt, 0x0102);
        assert_eq!(&n[..10], &[0xFF; 10]);
        assert_eq!(&n[10..], &[0xFE, 0xFD]);
    }

    #[test]
    fn protect_unprotect_and_wrong_key() {
        for suite in CipherSuite::ALL {
            let key = SframeKey::derive(suite, 9, b"base key");
            let frame = protect(&key, 300, b"meta", b"hello").unwrap();
            assert_eq!(
                frame.len(),
                Header::new(9, 300).encoded_len() + 5 + suite.tag_len()
            );
            assert_eq!(unprotect(&key, b"meta", &frame).unwrap(), b"hello");
            assert_eq!(unprotect(&key, b"metb", &frame), Err(SframeError::BadTag));
            let other = SframeKey::derive(suite, 10, b"base key");
            assert_eq!(
                unprotect(&other, b"meta", &frame),
                Err(SframeError::UnknownKeyId { kid: 9 })
            );
            let same_kid = SframeKey::derive(suite, 9, b"other base key");
            assert_eq!(
                unprotect(&same_kid, b"meta", &frame),
                Err(SframeError::BadTag)
            );
        }
    }

    #[test]
    fn debug_hides_key_material() {
        let material = SframeKeyMaterial::derive(CipherSuite::Aes256GcmSha512Tag128, 7, &[1; 16]);
        let shown = alloc::format!("{material:?}");
        assert_eq!(
            shown,
            "SframeKeyMaterial { suite: Aes256GcmSha512Tag128, kid: 7, .. }"
        );
        let key = SframeKey::from_material(&material);
        let shown = alloc::format!("{key:?}");
        assert_eq!(
            shown,
            "SframeKey { kid: 7, suite: Aes256GcmSha512Tag128, .. }"
        );
    }
}
