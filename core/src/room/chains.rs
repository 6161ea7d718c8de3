//! Sender chains: each member device's own chain, and the chains it holds for the others.
//!
//! A chain is a symmetric ratchet with the same key schedule as a 1:1 receiving chain
//! (HMAC-SHA256, `mk = HMAC(ck, 0x01)`, `ck' = HMAC(ck, 0x02)`), plus an Ed25519 key that
//! signs every message on it.

use alloc::fmt;

use rand_core::CryptoRng;

use crate::crypto::Secret32;
use crate::crypto::sign::{SigningKey, VerifyingKey};
use crate::session::chain::ChainKey;

/// The identity of a chain within a room: its epoch and the sender's chain number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ChainName {
    pub(crate) epoch: u64,
    pub(crate) chain_id: u32,
}

/// The local device's own sending chain.
pub(crate) struct OwnChain {
    pub(crate) name: ChainName,
    pub(crate) key: ChainKey,
    pub(crate) next: u32,
    pub(crate) signing: SigningKey,
}

impl OwnChain {
    pub(crate) fn generate(rng: &mut (impl CryptoRng + ?Sized), name: ChainName) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Self {
            name,
            key: ChainKey(Secret32::from_bytes(&mut key)),
            next: 0,
            signing: SigningKey::generate(rng),
        }
    }
}

/// Another member device's chain, as far as this device has advanced it.
pub(crate) struct PeerChain {
    pub(crate) name: ChainName,
    pub(crate) key: ChainKey,
    pub(crate) next: u32,
    pub(crate) signing_key: VerifyingKey,
}

impl fmt::Debug for OwnChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnChain")
            .field("name", &self.name)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PeerChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerChain")
            .field("name", &self.name)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}
