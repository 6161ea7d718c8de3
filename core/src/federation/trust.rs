//! The trust store: the verified descriptors of the networks this network federates with.

use alloc::collections::BTreeMap;

use super::{MAX_TRUSTED_NETWORKS, NetworkDescriptor, TrustError};
use crate::network::NetworkId;

/// The descriptors of the federated networks, one per network id.
///
/// A network enters by an administrator's decision ([`Self::add`]), after its key was checked
/// out of band (for example by comparing [`crate::crypto::sign::VerifyingKey`] bytes with the
/// other organization's administrator). From then on only strictly newer revisions replace it
/// ([`Self::update`]), and a new network key only with the trusted key's endorsement, so
/// neither an old descriptor nor a stranger's key can be slipped in. Holds at most
/// [`MAX_TRUSTED_NETWORKS`] networks.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    networks: BTreeMap<NetworkId, NetworkDescriptor>,
}

impl TrustStore {
    /// An empty store.
    pub const fn new() -> Self {
        Self {
            networks: BTreeMap::new(),
        }
    }

    /// Starts trusting a network that is not in the store yet.
    pub fn add(&mut self, descriptor: NetworkDescriptor) -> Result<(), TrustError> {
        let network = descriptor.network();
        if self.networks.contains_key(&network) {
            return Err(TrustError::AlreadyTrusted { network });
        }
        if self.networks.len() >= MAX_TRUSTED_NETWORKS {
            return Err(TrustError::Full {
                max: MAX_TRUSTED_NETWORKS,
            });
        }
        self.networks.insert(network, descriptor);
        Ok(())
    }

    /// Replaces a trusted network's descriptor with a newer one it sent.
    ///
    /// The revision must be strictly higher than the trusted one's (no rollback, no replay of
    /// the same revision), and a changed network key must carry the trusted key's rotation
    /// signature ([`NetworkDescriptor::sign_rotation`]). The store is unchanged on error.
    pub fn update(&mut self, descriptor: NetworkDescriptor) -> Result<(), TrustError> {
        let network = descriptor.network();
        let current = self
            .networks
            .get(&network)
            .ok_or(TrustError::NotTrusted { network })?;
        if descriptor.revision() <= current.revision() {
            return Err(TrustError::NotNewer {
                got: descriptor.revision(),
                current: current.revision(),
            });
        }
        if descriptor.network_key() != current.network_key()
            && !descriptor.endorsed_by(current.network_key())
        {
            return Err(TrustError::UnendorsedKeyChange);
        }
        self.networks.insert(network, descriptor);
        Ok(())
    }

    /// Stops trusting a network; returns its descriptor if it was trusted. Adding it again
    /// later is an administrator's decision like the first time, and may start from any
    /// revision.
    pub fn remove(&mut self, network: &NetworkId) -> Option<NetworkDescriptor> {
        self.networks.remove(network)
    }

    /// The trusted descriptor of a network.
    pub fn get(&self, network: &NetworkId) -> Option<&NetworkDescriptor> {
        self.networks.get(network)
    }

    /// How many networks are trusted.
    pub fn len(&self) -> usize {
        self.networks.len()
    }

    /// Whether no network is trusted.
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// The trusted descriptors, by network id.
    pub fn iter(&self) -> impl Iterator<Item = &NetworkDescriptor> {
        self.networks.values()
    }
}
