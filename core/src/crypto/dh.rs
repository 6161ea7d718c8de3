//! X25519 key agreement that refuses non-contributory results.

use alloc::boxed::Box;
use core::fmt;

use rand_core::CryptoRng;
use x25519_dalek::StaticSecret;

use super::Secret32;

/// Length of an X25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// An X25519 public key as it travels on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Wraps 32 bytes. Every 32-byte string is a valid X25519 input; low-order points are
    /// caught when an agreement with them comes out all-zero.
    pub const fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The 32 bytes of the key.
    pub const fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for byte in &self.0[..4] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "..)")
    }
}

/// The agreement produced the all-zero output: the peer's key is of low order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonContributory;

impl fmt::Display for NonContributory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519 agreement was non-contributory (low-order public key)")
    }
}

impl core::error::Error for NonContributory {}

/// An X25519 private key with its public key cached.
///
/// Zeroized on drop (by `x25519-dalek`), boxed so moves leave no copies, never printed.
pub struct PrivateKey {
    secret: Box<StaticSecret>,
    public: PublicKey,
}

impl PrivateKey {
    /// A fresh key from `rng`.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        Self::from_static(StaticSecret::random_from_rng(rng))
    }

    /// Restores a key from its 32 secret bytes (as stored in a snapshot).
    pub fn from_secret(secret: &Secret32) -> Self {
        Self::from_static(StaticSecret::from(*secret.expose()))
    }

    /// Restores a key and its public key from sealed state that this crate wrote, skipping
    /// the base-point multiplication. Only for state whose integrity is already proven.
    pub(crate) fn from_trusted_parts(secret: &Secret32, public: PublicKey) -> Self {
        Self {
            secret: Box::new(StaticSecret::from(*secret.expose())),
            public,
        }
    }

    /// An independent copy (the cached public key is copied, not recomputed), made where the
    /// protocol needs the same key in two places: a signed prekey that also starts a ratchet.
    pub(crate) fn duplicate(&self) -> Self {
        let mut bytes = self.secret.to_bytes();
        let secret = Box::new(StaticSecret::from(bytes));
        zeroize::Zeroize::zeroize(&mut bytes);
        Self {
            secret,
            public: self.public,
        }
    }

    fn from_static(secret: StaticSecret) -> Self {
        let secret = Box::new(secret);
        let public = PublicKey(x25519_dalek::PublicKey::from(&*secret).to_bytes());
        Self { secret, public }
    }

    /// The public key.
    pub const fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The secret bytes, for sealing into a snapshot.
    pub fn to_secret(&self) -> Secret32 {
        let mut bytes = self.secret.to_bytes();
        Secret32::from_bytes(&mut bytes)
    }

    /// X25519 with `their` key, refusing the all-zero result.
    pub fn agree(&self, their: &PublicKey) -> Result<Secret32, NonContributory> {
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(their.0));
        if !shared.was_contributory() {
            return Err(NonContributory);
        }
        let mut bytes = shared.to_bytes();
        Ok(Secret32::from_bytes(&mut bytes))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { secret: _, public } = self;
        f.debug_struct("PrivateKey")
            .field("public", public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn agreement_is_symmetric_and_low_order_is_refused() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let a = PrivateKey::generate(&mut rng);
        let b = PrivateKey::generate(&mut rng);
        let ab = a.agree(&b.public_key()).unwrap();
        let ba = b.agree(&a.public_key()).unwrap();
        assert_eq!(ab.expose(), ba.expose());
        assert_eq!(
            a.agree(&PublicKey::from_bytes([0; 32])).err(),
            Some(NonContributory)
        );
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(
            a.agree(&PublicKey::from_bytes(one)).err(),
            Some(NonContributory)
        );
    }

    #[test]
    fn restores_from_secret() {
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let a = PrivateKey::generate(&mut rng);
        let restored = PrivateKey::from_secret(&a.to_secret());
        assert_eq!(restored.public_key(), a.public_key());
    }
}
