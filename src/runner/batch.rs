//! How the plan's cases are cut into batches. Cases of a batch run concurrently; when all of
//! them are judged, what they created is deleted, then the next batch starts (see
//! [`crate::runner::cleanup`]). Batches bound how many cases' resources a collection holds, and
//! a unit's first case starts a batch whenever that costs little, so the case a finding usually
//! shows (the lowest) reads a collection holding only the cases then in flight.

use std::ops::Range;

/// Most cases in a batch, per `--concurrency` worker (and at least [`MIN_MAX`]).
const MAX_PER_WORKER: usize = 8;
const MIN_MAX: usize = 32;
/// A batch holding this many cases per worker ends where the next unit starts.
const CUT_PER_WORKER: usize = 4;

/// The batches of a plan whose case `n` belongs to unit `units[n]` (cases of a unit are
/// consecutive), as ranges of case positions: a batch ends after the most cases allowed, or
/// where a unit starts once it holds at least a few cases per worker.
pub(crate) fn cut(units: &[usize], concurrency: usize) -> Vec<Range<usize>> {
    let workers = concurrency.max(1);
    let most = (workers * MAX_PER_WORKER).max(MIN_MAX);
    let enough = workers * CUT_PER_WORKER;
    let mut batches = Vec::new();
    let mut start = 0;
    for at in 1..units.len() {
        let held = at - start;
        if held >= most || (held >= enough && units[at] != units[at - 1]) {
            batches.push(start..at);
            start = at;
        }
    }
    if start < units.len() {
        batches.push(start..units.len());
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `counts[u]` cases of unit `u`, in order.
    fn plan(counts: &[usize]) -> Vec<usize> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(unit, &n)| std::iter::repeat_n(unit, n))
            .collect()
    }

    #[test]
    fn large_units_start_a_batch_and_are_cut_at_the_most() {
        let batches = cut(&plan(&[80, 40]), 4);
        assert_eq!(batches, vec![0..32, 32..64, 64..80, 80..112, 112..120]);
        // Too few cases held at the boundary (6 of 16): the batch goes on.
        let batches = cut(&plan(&[70, 40]), 4);
        assert_eq!(batches, vec![0..32, 32..64, 64..96, 96..110]);
    }

    #[test]
    fn small_units_share_a_batch_until_it_holds_enough() {
        // 4 workers: a batch ends at a unit boundary once it holds 16 cases.
        let batches = cut(&plan(&[3; 12]), 4);
        assert_eq!(batches, vec![0..18, 18..36]);
        assert_eq!(cut(&plan(&[1]), 4), vec![0..1]);
        assert!(cut(&[], 4).is_empty());
    }

    #[test]
    fn more_workers_make_larger_batches() {
        let batches = cut(&plan(&[100]), 8);
        assert_eq!(batches, vec![0..64, 64..100]);
        assert_eq!(cut(&plan(&[40]), 0), vec![0..32, 32..40]);
    }

    #[test]
    fn every_case_is_in_exactly_one_batch_in_order() {
        let units = plan(&[5, 1, 40, 2, 90, 3]);
        let batches = cut(&units, 2);
        let flat: Vec<usize> = batches.iter().flat_map(Clone::clone).collect();
        assert_eq!(flat, (0..units.len()).collect::<Vec<_>>());
    }
}
