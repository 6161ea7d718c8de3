//! The replay cache: the envelopes a gate accepted within the freshness window.
//!
//! Invariant: every envelope the gate accepted whose timestamp is after the horizon is in the
//! cache. The horizon starts where the caller says (after a restart: everything the previous
//! gate may have accepted) and only ever moves forward: each entry evicted, whether expired or
//! pushed out of a full cache, raises it to that entry's timestamp. So an envelope at or before
//! the horizon cannot be told apart from a replay and is refused; one after it is a replay
//! exactly when it is in the cache. When the cache is full the window shrinks instead of
//! forgetting: safety never depends on the capacity, only availability does.

use alloc::collections::BTreeSet;

use super::{FederationRefusal, MAX_ENVELOPE_AGE_SECS, MAX_EVICTIONS_PER_CHECK, NONCE_LEN};
use crate::ids::Timestamp;
use crate::network::{NETWORK_ID_LEN, NetworkId};

/// An accepted envelope, by its signed timestamp, sending network and nonce. A replay repeats
/// all three (they are signed); ordering by timestamp first makes the oldest entry the first.
pub(super) type ReplayKey = (u64, [u8; NETWORK_ID_LEN], [u8; NONCE_LEN]);

/// The key of an envelope.
pub(super) const fn key(
    timestamp: Timestamp,
    network: NetworkId,
    nonce: [u8; NONCE_LEN],
) -> ReplayKey {
    (timestamp.0, network.0, nonce)
}

#[derive(Debug, Clone)]
pub(super) struct ReplayCache {
    seen: BTreeSet<ReplayKey>,
    capacity: usize,
    horizon: Timestamp,
}

impl ReplayCache {
    pub(super) const fn new(capacity: usize, horizon: Timestamp) -> Self {
        Self {
            seen: BTreeSet::new(),
            capacity,
            horizon,
        }
    }

    pub(super) const fn horizon(&self) -> Timestamp {
        self.horizon
    }

    pub(super) fn len(&self) -> usize {
        self.seen.len()
    }

    pub(super) const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity; entries over it go oldest first, raising the horizon.
    pub(super) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.seen.len() > self.capacity {
            self.evict_oldest();
        }
    }

    /// Refuses an envelope that was accepted before, or that may have been. Changes nothing.
    pub(super) fn check(&self, key: &ReplayKey) -> Result<(), FederationRefusal> {
        if key.0 <= self.horizon.0 {
            return Err(FederationRefusal::ReplayUnverifiable {
                horizon: self.horizon,
            });
        }
        if self.seen.contains(key) {
            return Err(FederationRefusal::Replayed);
        }
        Ok(())
    }

    /// Records an accepted envelope (one that passed [`Self::check`]). Drops at most
    /// [`MAX_EVICTIONS_PER_CHECK`] expired entries, then, if the cache is over capacity, its
    /// oldest entry (possibly the new one); each drop raises the horizon.
    pub(super) fn commit(&mut self, key: ReplayKey, now: Timestamp) {
        let expired_before = now.0.saturating_sub(MAX_ENVELOPE_AGE_SECS);
        for _ in 0..MAX_EVICTIONS_PER_CHECK {
            match self.seen.first() {
                Some(oldest) if oldest.0 < expired_before => self.evict_oldest(),
                _ => break,
            }
        }
        self.seen.insert(key);
        while self.seen.len() > self.capacity {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        if let Some(oldest) = self.seen.pop_first() {
            self.horizon = self.horizon.max(Timestamp(oldest.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(t: u64, n: u8) -> ReplayKey {
        (t, [1; NETWORK_ID_LEN], [n; NONCE_LEN])
    }

    #[test]
    fn full_cache_raises_the_horizon_instead_of_forgetting() {
        let mut cache = ReplayCache::new(2, Timestamp(0));
        cache.commit(k(10, 1), Timestamp(10));
        cache.commit(k(11, 2), Timestamp(11));
        assert_eq!(cache.check(&k(10, 1)), Err(FederationRefusal::Replayed));
        cache.commit(k(12, 3), Timestamp(12));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.horizon(), Timestamp(10));
        assert_eq!(
            cache.check(&k(10, 1)),
            Err(FederationRefusal::ReplayUnverifiable {
                horizon: Timestamp(10)
            })
        );
        assert_eq!(cache.check(&k(11, 2)), Err(FederationRefusal::Replayed));
        assert_eq!(cache.check(&k(11, 9)), Ok(()));
        // An envelope older than everything in a full cache is accepted once, then covered by
        // the horizon.
        cache.commit(k(11, 9), Timestamp(12));
        assert_eq!(cache.horizon(), Timestamp(11));
        assert!(cache.check(&k(11, 9)).is_err());
    }

    #[test]
    fn expiry_is_bounded_per_commit() {
        let mut cache = ReplayCache::new(1000, Timestamp(0));
        for n in 0..100 {
            cache.commit(k(1, n), Timestamp(1));
        }
        let later = Timestamp(2 + MAX_ENVELOPE_AGE_SECS);
        cache.commit(k(later.0, 0), later);
        assert_eq!(cache.len(), 100 - MAX_EVICTIONS_PER_CHECK + 1);
        assert_eq!(cache.horizon(), Timestamp(1));
        for n in 1..10 {
            cache.commit(k(later.0, n), later);
        }
        assert_eq!(cache.len(), 10);
    }
}
