//! Networks: an organization's id, region and signing key.
//!
//! A network's Ed25519 key signs what the organization decides: security-group policies, the
//! directory entries that bind users to account keys, retention configurations and federation
//! envelopes. Every such signature carries its own domain label (see `docs/PROTOCOL.md`).
//!
//! ```
//! use ember_core::network::{NetworkId, NetworkKey};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([5; 32]);
//! let key = NetworkKey::generate(&mut rng);
//! let id = NetworkId::generate(&mut rng);
//! assert_ne!(id, NetworkId::generate(&mut rng));
//! let _public = key.public_key();
//! ```

use core::fmt;

use rand_core::CryptoRng;

use crate::crypto::Secret32;
use crate::crypto::sign::{Signature, SigningKey, VerifyingKey};

/// Length of a network id.
pub const NETWORK_ID_LEN: usize = 16;

/// A random 16-byte network id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkId(pub [u8; NETWORK_ID_LEN]);

impl NetworkId {
    /// A fresh random id.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut id = [0u8; NETWORK_ID_LEN];
        rng.fill_bytes(&mut id);
        Self(id)
    }
}

impl fmt::Debug for NetworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetworkId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// A network's signing key: zeroized on drop, never printed.
pub struct NetworkKey(SigningKey);

impl NetworkKey {
    /// A fresh key.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        Self(SigningKey::generate(rng))
    }

    /// Restores a key from its 32-byte seed.
    pub fn from_seed(seed: &Secret32) -> Self {
        Self(SigningKey::from_secret(seed))
    }

    /// The seed, for the administrator's key store.
    pub fn to_seed(&self) -> Secret32 {
        self.0.to_secret()
    }

    /// The public key that clients and federated networks trust.
    pub fn public_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    /// Signs `label || message`.
    pub fn sign(&self, label: &[u8], message: &[u8]) -> Signature {
        self.0.sign(label, message)
    }
}

impl fmt::Debug for NetworkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}
