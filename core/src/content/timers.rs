//! Ephemeral timers as pure functions of timestamps the caller passes in.
//!
//! A message has up to two timers: expiry (counted from when it was sent) and burn-on-read
//! (counted from when its reader opened it). It must be destroyed at the earlier of the two
//! deadlines. Where several limits apply (the sender's timers, the sender's policy cap, the
//! receiver's policy cap) the stricter wins: the shorter timer, and a cap turns "no timer"
//! into the cap itself.

use crate::ids::Timestamp;

/// A message's timers, in seconds. `None` means no timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timers {
    /// Destroy this long after the message was sent.
    pub expiry: Option<u32>,
    /// Destroy this long after the reader opened the message.
    pub burn_on_read: Option<u32>,
}

/// The longest timers a policy allows, in seconds. `None` means no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerCaps {
    /// The longest expiry timer.
    pub max_expiry: Option<u32>,
    /// The longest burn-on-read timer.
    pub max_burn_on_read: Option<u32>,
}

impl Timers {
    /// The stricter of two sets of timers, field by field.
    pub fn stricter(self, other: Self) -> Self {
        Self {
            expiry: shorter(self.expiry, other.expiry),
            burn_on_read: shorter(self.burn_on_read, other.burn_on_read),
        }
    }

    /// The timers within `caps`: each timer at most its cap, and a missing timer becomes the
    /// cap where there is one.
    pub fn capped(self, caps: &TimerCaps) -> Self {
        Self {
            expiry: shorter(self.expiry, caps.max_expiry),
            burn_on_read: shorter(self.burn_on_read, caps.max_burn_on_read),
        }
    }

    /// When the message must be destroyed, if ever.
    ///
    /// Expiry counts from the earlier of the sender's `sent_at` and the local `received_at`,
    /// so a sender whose clock runs ahead cannot extend a message's life. Burn-on-read counts
    /// from `read_at`, once the message was read.
    pub fn destroy_at(
        &self,
        sent_at: Timestamp,
        received_at: Timestamp,
        read_at: Option<Timestamp>,
    ) -> Option<Timestamp> {
        let expiry = self.expiry.map(|seconds| {
            sent_at
                .min(received_at)
                .0
                .saturating_add(u64::from(seconds))
        });
        let burn = self
            .burn_on_read
            .zip(read_at)
            .map(|(seconds, read)| read.0.saturating_add(u64::from(seconds)));
        shorter(expiry, burn).map(Timestamp)
    }

    /// Whether the message must be destroyed by `now`.
    pub fn is_due(
        &self,
        now: Timestamp,
        sent_at: Timestamp,
        received_at: Timestamp,
        read_at: Option<Timestamp>,
    ) -> bool {
        self.destroy_at(sent_at, received_at, read_at)
            .is_some_and(|deadline| deadline <= now)
    }
}

fn shorter<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u32 = 3600;

    #[test]
    fn the_stricter_timer_wins_and_caps_fill_gaps() {
        let sender = Timers {
            expiry: Some(24 * HOUR),
            burn_on_read: None,
        };
        let receiver_caps = TimerCaps {
            max_expiry: Some(HOUR),
            max_burn_on_read: Some(60),
        };
        let effective = sender.capped(&receiver_caps);
        assert_eq!(effective.expiry, Some(HOUR));
        assert_eq!(effective.burn_on_read, Some(60));
        assert_eq!(sender.capped(&TimerCaps::default()), sender);
        let other = Timers {
            expiry: None,
            burn_on_read: Some(30),
        };
        assert_eq!(
            sender.stricter(other),
            Timers {
                expiry: Some(24 * HOUR),
                burn_on_read: Some(30)
            }
        );
    }

    #[test]
    fn deadlines_follow_sent_received_and_read_times() {
        let timers = Timers {
            expiry: Some(100),
            burn_on_read: Some(10),
        };
        let sent = Timestamp(1000);
        // Unread: expiry only.
        assert_eq!(
            timers.destroy_at(sent, Timestamp(1005), None),
            Some(Timestamp(1100))
        );
        // Read early: burn-on-read is sooner.
        assert_eq!(
            timers.destroy_at(sent, Timestamp(1005), Some(Timestamp(1020))),
            Some(Timestamp(1030))
        );
        // Read late: expiry is sooner.
        assert_eq!(
            timers.destroy_at(sent, Timestamp(1005), Some(Timestamp(1095))),
            Some(Timestamp(1100))
        );
        // A sender clock ahead of ours does not extend the life.
        assert_eq!(
            timers.destroy_at(Timestamp(5000), Timestamp(1005), None),
            Some(Timestamp(1105))
        );
        assert!(timers.is_due(Timestamp(1100), sent, Timestamp(1005), None));
        assert!(!timers.is_due(Timestamp(1099), sent, Timestamp(1005), None));
        assert_eq!(Timers::default().destroy_at(sent, sent, Some(sent)), None);
        let huge = Timers {
            expiry: Some(u32::MAX),
            burn_on_read: None,
        };
        assert_eq!(
            huge.destroy_at(Timestamp(u64::MAX - 1), Timestamp(u64::MAX), None),
            Some(Timestamp(u64::MAX))
        );
    }
}
