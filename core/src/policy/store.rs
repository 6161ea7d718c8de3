//! The newest verified policy of each security group and settings of each network a client
//! knows, refusing rollbacks.

use alloc::collections::BTreeMap;
use alloc::collections::btree_map::Entry;

use super::error::UpdateError;
use super::group::{SecurityGroupId, VerifiedPolicy};
use super::settings::VerifiedNetworkSettings;
use super::{MAX_STORED_NETWORKS, MAX_STORED_POLICIES};
use crate::network::NetworkId;

/// The newest verified policy per security group and settings per network.
///
/// A client keeps its own group's policy and network's settings here, and the settings of
/// the networks it federates with (for [`super::read_receipts_flow`]). Each document only
/// ever moves forward: one whose revision is not above the one held is refused as
/// [`UpdateError::Stale`]. The store holds verified documents, which are public: to keep it
/// across restarts, save each document's [`VerifiedPolicy::to_bytes`] (or
/// [`VerifiedNetworkSettings::to_bytes`]) and verify and accept them again at start.
#[derive(Clone, Debug, Default)]
pub struct PolicyStore {
    policies: BTreeMap<(NetworkId, SecurityGroupId), VerifiedPolicy>,
    networks: BTreeMap<NetworkId, VerifiedNetworkSettings>,
}

impl PolicyStore {
    /// An empty store.
    pub const fn new() -> Self {
        Self {
            policies: BTreeMap::new(),
            networks: BTreeMap::new(),
        }
    }

    /// Keeps `policy` if the store holds none for its group yet, or an older revision.
    /// Returns the policy now held.
    pub fn accept_policy(
        &mut self,
        policy: VerifiedPolicy,
    ) -> Result<&VerifiedPolicy, UpdateError> {
        let full = self.policies.len() >= MAX_STORED_POLICIES;
        match self
            .policies
            .entry((policy.network_id(), policy.group_id()))
        {
            Entry::Occupied(held) => {
                let held = held.into_mut();
                held.accept_newer(policy)?;
                Ok(held)
            }
            Entry::Vacant(_) if full => Err(UpdateError::Full {
                max: MAX_STORED_POLICIES,
            }),
            Entry::Vacant(slot) => Ok(slot.insert(policy)),
        }
    }

    /// Keeps `settings` if the store holds none for their network yet, or an older revision.
    /// Returns the settings now held.
    pub fn accept_network_settings(
        &mut self,
        settings: VerifiedNetworkSettings,
    ) -> Result<&VerifiedNetworkSettings, UpdateError> {
        let full = self.networks.len() >= MAX_STORED_NETWORKS;
        match self.networks.entry(settings.network_id()) {
            Entry::Occupied(held) => {
                let held = held.into_mut();
                held.accept_newer(settings)?;
                Ok(held)
            }
            Entry::Vacant(_) if full => Err(UpdateError::Full {
                max: MAX_STORED_NETWORKS,
            }),
            Entry::Vacant(slot) => Ok(slot.insert(settings)),
        }
    }

    /// The policy held for a group.
    pub fn policy(&self, network: NetworkId, group: SecurityGroupId) -> Option<&VerifiedPolicy> {
        self.policies.get(&(network, group))
    }

    /// The settings held for a network.
    pub fn network_settings(&self, network: NetworkId) -> Option<&VerifiedNetworkSettings> {
        self.networks.get(&network)
    }

    /// Forgets a group's policy (the user left the group). A later policy for the group is
    /// accepted whatever its revision.
    pub fn remove_policy(
        &mut self,
        network: NetworkId,
        group: SecurityGroupId,
    ) -> Option<VerifiedPolicy> {
        self.policies.remove(&(network, group))
    }

    /// Forgets a network's settings (the network is no longer federated with). Later
    /// settings for it are accepted whatever their revision.
    pub fn remove_network_settings(
        &mut self,
        network: NetworkId,
    ) -> Option<VerifiedNetworkSettings> {
        self.networks.remove(&network)
    }
}
