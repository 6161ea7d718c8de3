//! The customer's archive key pair (X25519).

use core::fmt;

use rand_core::CryptoRng;

use crate::crypto::Secret32;
use crate::crypto::dh::{self, NonContributory, PrivateKey, PublicKey};

/// Length of an archive public key.
pub const ARCHIVE_KEY_LEN: usize = dh::PUBLIC_KEY_LEN;

/// The public half of the customer's archive key, named in the retention configuration. Every
/// segment's data key is wrapped to it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArchivePublicKey(PublicKey);

impl ArchivePublicKey {
    /// Wraps 32 bytes. A low-order point is refused when a configuration naming it is issued
    /// or accepted.
    pub const fn from_bytes(bytes: [u8; ARCHIVE_KEY_LEN]) -> Self {
        Self(PublicKey::from_bytes(bytes))
    }

    /// Reads a key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        PublicKey::from_slice(bytes).map(Self)
    }

    /// The 32 bytes of the key.
    pub const fn as_bytes(&self) -> &[u8; ARCHIVE_KEY_LEN] {
        self.0.as_bytes()
    }

    pub(crate) const fn as_dh(&self) -> &PublicKey {
        &self.0
    }

    /// Whether an agreement with this key is contributory (it is not a low-order point).
    pub(crate) fn is_contributory(&self) -> bool {
        // Any fixed scalar will do: a low-order point gives the all-zero output for every one.
        let probe = PrivateKey::from_secret(&Secret32::from_bytes(&mut [0x5a; 32]));
        probe.agree(&self.0).is_ok()
    }
}

impl fmt::Debug for ArchivePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArchivePublicKey(")?;
        for byte in &self.as_bytes()[..4] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "..)")
    }
}

/// The customer's archive private key: it alone opens the archive. Zeroized on drop, boxed,
/// never printed. Ember never needs it on the compliance side; only the archive reader does.
pub struct ArchivePrivateKey(PrivateKey);

impl ArchivePrivateKey {
    /// A fresh key pair.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        Self(PrivateKey::generate(rng))
    }

    /// Restores a key from its 32 secret bytes.
    pub fn from_secret(secret: &Secret32) -> Self {
        Self(PrivateKey::from_secret(secret))
    }

    /// The 32 secret bytes, for the customer's key store.
    pub fn to_secret(&self) -> Secret32 {
        self.0.to_secret()
    }

    /// The public key to put in the retention configuration.
    pub const fn public_key(&self) -> ArchivePublicKey {
        ArchivePublicKey(self.0.public_key())
    }

    pub(crate) fn agree(&self, their: &PublicKey) -> Result<Secret32, NonContributory> {
        self.0.agree(their)
    }
}

impl fmt::Debug for ArchivePrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchivePrivateKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}
