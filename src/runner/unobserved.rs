//! Collections a check's cases could not observe (see
//! [`crate::snapshot::CollectionSnapshot::unobserved`]): one note on the check's row saying in
//! how many cases and why, and a check whose only observation is the collection never ends
//! `passed` when it observed nothing — its row says so instead (`skipped`, with the reason,
//! until the report model has an `inconclusive` status).

use crate::checks::collection::observes_only_the_collection;
use crate::model::report::{CheckResult, CheckStatus};

/// Distinct reasons kept per row.
const MAX_REASONS: usize = 3;

/// The unobserved collections of one check × resource, as its cases end.
#[derive(Debug, Default, Clone)]
pub struct Unobserved {
    /// Cases with at least one unobserved collection.
    cases: u32,
    reasons: Vec<String>,
}

impl Unobserved {
    /// Records what one case could not observe (nothing when `reasons` is empty).
    pub fn add(&mut self, reasons: Vec<String>) {
        if reasons.is_empty() {
            return;
        }
        self.cases += 1;
        for reason in reasons {
            if self.reasons.len() < MAX_REASONS && !self.reasons.contains(&reason) {
                self.reasons.push(reason);
            }
        }
    }

    /// Adds the note to a finished row, and makes a collection-only check that observed
    /// nothing in any judged case say so instead of passing.
    pub fn apply(&self, result: &mut CheckResult) {
        if self.cases == 0 {
            return;
        }
        let why = self.reasons.join("; ");
        result.notes.push(format!(
            "the collection was not observed in {} of {} judged case(s), so its rules judged nothing there: {why}",
            self.cases, result.cases_run
        ));
        if observes_only_the_collection(result.check)
            && self.cases >= result.cases_run
            && result.status == CheckStatus::Passed
        {
            result.status = CheckStatus::Skipped {
                reason: format!(
                    "observed nothing: its only observation is the collection, and {why}"
                ),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check::CheckId;

    fn row(check: CheckId, cases_run: u32) -> CheckResult {
        CheckResult {
            cases_run,
            ..CheckResult::new(check, "things", "t.toml", CheckStatus::Passed)
        }
    }

    #[test]
    fn a_collection_only_check_that_observed_nothing_does_not_pass() {
        let mut unobserved = Unobserved::default();
        for _ in 0..2 {
            unobserved.add(vec!["the listing answered 404".into()]);
        }
        let mut post_retry = row(CheckId::PostRetry, 2);
        unobserved.apply(&mut post_retry);
        assert!(matches!(
            &post_retry.status,
            CheckStatus::Skipped { reason } if reason.contains("observed nothing") && reason.contains("404")
        ));
        assert_eq!(post_retry.notes.len(), 1);
        let mut repeat_put = row(CheckId::RepeatPut, 2);
        unobserved.apply(&mut repeat_put);
        assert_eq!(repeat_put.status, CheckStatus::Passed);
        assert!(repeat_put.notes[0].contains("not observed in 2 of 2"));
    }

    #[test]
    fn observed_collections_change_nothing() {
        let mut unobserved = Unobserved::default();
        unobserved.add(Vec::new());
        let mut result = row(CheckId::PostRetry, 1);
        unobserved.apply(&mut result);
        assert_eq!(result, row(CheckId::PostRetry, 1));
    }
}
