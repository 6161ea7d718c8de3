//! Ed25519 signatures with strict verification and a domain label on every message.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use ed25519_dalek::SECRET_KEY_LENGTH;
use ed25519_dalek::ed25519::signature::{MultipartSigner, MultipartVerifier, Signer};
use rand_core::CryptoRng;

use super::Secret32;

/// Length of a public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// A signature did not verify, or a key or signature was malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadSignature;

impl fmt::Display for BadSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519 signature did not verify")
    }
}

impl core::error::Error for BadSignature {}

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Wraps 64 bytes.
    pub const fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a signature from a slice of exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The 64 bytes.
    pub const fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(..)")
    }
}

/// An Ed25519 public key, checked to be a valid point when it is read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Reads and decompresses a public key.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, BadSignature> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| BadSignature)
    }

    /// Reads a public key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, BadSignature> {
        Self::from_bytes(bytes.try_into().map_err(|_| BadSignature)?)
    }

    /// The 32 bytes of the key.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// Verifies a raw Ed25519 signature over `message` (RFC 8032, with the strict checks
    /// of `verify_strict`: no small-order keys or R, canonical S).
    pub fn verify_raw(&self, message: &[u8], signature: &Signature) -> Result<(), BadSignature> {
        self.0
            .verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature.0))
            .map_err(|_| BadSignature)
    }

    /// Whether the key is of small order, a key no honest signer has.
    pub fn is_weak(&self) -> bool {
        self.0.is_weak()
    }

    /// Verifies a signature over the concatenation of `parts` without copying them, with
    /// RFC 8032's cofactorless check (canonical S required) instead of `verify_strict`'s extra
    /// decompression of R. Only for keys known not to be weak ([`VerifyingKey::is_weak`]): a
    /// small-order R then only lets the key's own holder make one message verify twice, which
    /// callers that refuse duplicates by counter do not care about. Room messages use it, as
    /// Megolm does.
    pub fn verify_parts(&self, parts: &[&[u8]], signature: &Signature) -> Result<(), BadSignature> {
        self.0
            .multipart_verify(parts, &ed25519_dalek::Signature::from_bytes(&signature.0))
            .map_err(|_| BadSignature)
    }

    /// Verifies a signature made by [`SigningKey::sign`] with the same `label`.
    pub fn verify(
        &self,
        label: &[u8],
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), BadSignature> {
        self.verify_raw(&labelled(label, message), signature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey(")?;
        for byte in &self.0.as_bytes()[..4] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "..)")
    }
}

/// An Ed25519 signing key: zeroized on drop, boxed, never printed.
pub struct SigningKey(Box<ed25519_dalek::SigningKey>);

impl SigningKey {
    /// A fresh key from `rng`.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut seed = [0u8; SECRET_KEY_LENGTH];
        rng.fill_bytes(&mut seed);
        Self::from_secret(&Secret32::from_bytes(&mut seed))
    }

    /// Restores a key from its 32-byte seed.
    pub fn from_secret(seed: &Secret32) -> Self {
        Self(Box::new(ed25519_dalek::SigningKey::from_bytes(
            seed.expose(),
        )))
    }

    /// The 32-byte seed, for sealing into a snapshot.
    pub fn to_secret(&self) -> Secret32 {
        let mut seed = self.0.to_bytes();
        Secret32::from_bytes(&mut seed)
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// A raw Ed25519 signature over `message`.
    pub fn sign_raw(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }

    /// Signs the concatenation of `parts` without copying them (the first part is the label).
    pub fn sign_parts(&self, parts: &[&[u8]]) -> Signature {
        // Ed25519 signing of in-memory parts cannot fail; an error would be a bug in dalek.
        match self.0.try_multipart_sign(parts) {
            Ok(signature) => Signature(signature.to_bytes()),
            Err(_) => self.sign_raw(&parts.concat()),
        }
    }

    /// Signs `label || message`. Every signature Ember makes carries a label naming what is
    /// signed, so that a signature for one purpose never verifies for another.
    pub fn sign(&self, label: &[u8], message: &[u8]) -> Signature {
        self.sign_raw(&labelled(label, message))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.verifying_key())
            .finish_non_exhaustive()
    }
}

fn labelled(label: &[u8], message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + message.len());
    out.extend_from_slice(label);
    out.extend_from_slice(message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn labels_separate_purposes() {
        let key = SigningKey::generate(&mut ChaCha20Rng::from_seed([3; 32]));
        let public = key.verifying_key();
        let signature = key.sign(b"purpose-a", b"message");
        assert_eq!(public.verify(b"purpose-a", b"message", &signature), Ok(()));
        assert_eq!(
            public.verify(b"purpose-b", b"message", &signature),
            Err(BadSignature)
        );
        assert_eq!(
            public.verify(b"purpose-a", b"messagf", &signature),
            Err(BadSignature)
        );
    }

    #[test]
    fn restores_from_seed() {
        let key = SigningKey::generate(&mut ChaCha20Rng::from_seed([4; 32]));
        let restored = SigningKey::from_secret(&key.to_secret());
        assert_eq!(restored.verifying_key(), key.verifying_key());
    }
}
