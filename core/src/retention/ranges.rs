//! A set of `u64`s kept as disjoint, non-adjacent ranges: sequence numbers seen, record indexes
//! seen, file bytes written. A stream that arrives in order is one range.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::ops::Range;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RangeSet {
    /// start -> end (exclusive).
    ranges: BTreeMap<u64, u64>,
}

impl RangeSet {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn contains(&self, value: u64) -> bool {
        self.ranges
            .range(..=value)
            .next_back()
            .is_some_and(|(_, &end)| value < end)
    }

    /// Adds `range`, merging it with the ranges it overlaps or touches.
    pub(crate) fn insert(&mut self, range: Range<u64>) {
        if range.is_empty() {
            return;
        }
        let (mut start, mut end) = (range.start, range.end);
        if let Some((&before, &before_end)) = self.ranges.range(..=start).next_back()
            && before_end >= start
        {
            start = before;
            end = end.max(before_end);
        }
        while let Some((&next, &next_end)) = self.ranges.range(start..).next() {
            if next > end {
                break;
            }
            end = end.max(next_end);
            self.ranges.remove(&next);
        }
        self.ranges.insert(start, end);
    }

    pub(crate) fn first(&self) -> Option<u64> {
        self.ranges.keys().next().copied()
    }

    /// One past the largest value.
    pub(crate) fn end(&self) -> Option<u64> {
        self.ranges.values().next_back().copied()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.ranges.iter().map(|(&start, &end)| start..end)
    }

    /// The parts of `within` that are not in the set.
    pub(crate) fn holes(&self, within: Range<u64>) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut at = within.start;
        for range in self.iter() {
            if range.end <= at {
                continue;
            }
            if range.start >= within.end {
                break;
            }
            if range.start > at {
                out.push(at..range.start);
            }
            at = range.end;
        }
        if at < within.end {
            out.push(at..within.end);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn merges_and_finds_holes() {
        let mut set = RangeSet::new();
        set.insert(1..3);
        set.insert(5..6);
        set.insert(3..4);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![1..4, 5..6]);
        assert_eq!(set.holes(0..10), vec![0..1, 4..5, 6..10]);
        assert_eq!(set.holes(2..5), vec![4..5]);
        set.insert(0..10);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![0..10]);
        assert!(set.contains(9) && !set.contains(10));
        set.insert(12..u64::MAX);
        assert_eq!(set.end(), Some(u64::MAX));
        assert_eq!(set.first(), Some(0));
        assert_eq!(set.holes(0..u64::MAX), vec![10..12]);
        set.insert(4..4);
        assert_eq!(set.iter().count(), 2);
    }
}
