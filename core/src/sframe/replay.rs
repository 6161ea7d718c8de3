//! Replay protection per sender: a sliding window over the counters already opened.
//!
//! The network may reorder frames, so a counter below the highest seen is still accepted if
//! it lies within [`SFRAME_REPLAY_WINDOW`] of it and was not seen before. Anything further
//! back is refused as too old: the window cannot tell whether it was seen.

use crate::error::SframeError;
use crate::limits::SFRAME_REPLAY_WINDOW;

// The window is one u128 bitmap.
const _: () = assert!(SFRAME_REPLAY_WINDOW == u128::BITS as u64);

/// Which of the last [`SFRAME_REPLAY_WINDOW`] counters of one sender were opened.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplayWindow {
    /// The highest counter opened, once one was.
    highest: Option<u64>,
    /// Bit `i` set: counter `highest - i` was opened.
    seen: u128,
}

impl ReplayWindow {
    /// Whether `ctr` may still be opened. Changes nothing: call [`Self::commit`] once the
    /// frame authenticated.
    pub(crate) fn check(&self, ctr: u64) -> Result<(), SframeError> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if ctr > highest {
            return Ok(());
        }
        let back = highest - ctr;
        if back >= SFRAME_REPLAY_WINDOW {
            return Err(SframeError::TooOld { ctr });
        }
        if self.seen & (1u128 << back) != 0 {
            return Err(SframeError::Replay { ctr });
        }
        Ok(())
    }

    /// Records `ctr` as opened. Only for a counter that passed [`Self::check`].
    pub(crate) fn commit(&mut self, ctr: u64) {
        match self.highest {
            Some(highest) if ctr <= highest => {
                let back = highest - ctr;
                if back < SFRAME_REPLAY_WINDOW {
                    self.seen |= 1u128 << back;
                }
            }
            Some(highest) => {
                let ahead = ctr - highest;
                self.seen = if ahead >= SFRAME_REPLAY_WINDOW {
                    0
                } else {
                    self.seen << ahead
                };
                self.seen |= 1;
                self.highest = Some(ctr);
            }
            None => {
                self.seen = 1;
                self.highest = Some(ctr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(window: &mut ReplayWindow, ctr: u64) -> Result<(), SframeError> {
        window.check(ctr)?;
        window.commit(ctr);
        Ok(())
    }

    #[test]
    fn in_order_reordered_replayed_and_too_old() {
        let mut w = ReplayWindow::default();
        assert_eq!(accept(&mut w, 5), Ok(()));
        assert_eq!(accept(&mut w, 5), Err(SframeError::Replay { ctr: 5 }));
        // A frame below the first one seen, but within the window, is still new.
        assert_eq!(accept(&mut w, 0), Ok(()));
        assert_eq!(accept(&mut w, 10), Ok(()));
        assert_eq!(accept(&mut w, 7), Ok(()));
        assert_eq!(accept(&mut w, 7), Err(SframeError::Replay { ctr: 7 }));
        assert_eq!(accept(&mut w, 200), Ok(()));
        assert_eq!(accept(&mut w, 200 - 127), Ok(()));
        assert_eq!(
            accept(&mut w, 200 - 128),
            Err(SframeError::TooOld { ctr: 72 })
        );
        assert_eq!(accept(&mut w, 10), Err(SframeError::TooOld { ctr: 10 }));
        // A jump of exactly the window size forgets everything before it.
        assert_eq!(accept(&mut w, 328), Ok(()));
        assert_eq!(accept(&mut w, 201), Ok(()));
        assert_eq!(accept(&mut w, 200), Err(SframeError::TooOld { ctr: 200 }));
        assert_eq!(accept(&mut w, u64::MAX), Ok(()));
        assert_eq!(
            accept(&mut w, u64::MAX),
            Err(SframeError::Replay { ctr: u64::MAX })
        );
    }

    #[test]
    fn every_counter_in_a_shuffled_window_opens_once() {
        let mut w = ReplayWindow::default();
        // A fixed permutation of 0..128 (multiplying by an odd number mod 128).
        for i in 0..128u64 {
            assert_eq!(accept(&mut w, (i * 37) % 128), Ok(()), "{i}");
        }
        for ctr in 0..128u64 {
            assert_eq!(accept(&mut w, ctr), Err(SframeError::Replay { ctr }));
        }
    }
}
