//! Collections a check's cases could not observe (see
//! [`crate::snapshot::CollectionSnapshot::unobserved`]): one note on the check's row saying in
//! how many cases and why; and a case of a check whose only observation is the collection that
//! could not observe it judged nothing, so it is inconclusive ([`inconclusive_reason`]) — never
//! a pass.

use crate::checks::collection::observes_only_the_collection;
use crate::model::check::CheckId;
use crate::model::report::CheckResult;

/// Distinct reasons kept per row.
const MAX_REASONS: usize = 3;

/// Why a case of `check` that could not observe its collection (`reasons`, empty when it
/// observed it) judged nothing, when `check` observes only the collection: the case is then
/// inconclusive (unless it found a violation anyway).
pub(crate) fn inconclusive_reason(check: CheckId, reasons: &[String]) -> Option<String> {
    (observes_only_the_collection(check) && !reasons.is_empty()).then(|| {
        format!(
            "observed nothing: its only observation is the collection, and {}",
            reasons.join("; ")
        )
    })
}

/// The unobserved collections of one check × resource, as its judged cases end.
#[derive(Debug, Default, Clone)]
pub(crate) struct Unobserved {
    /// Cases with at least one unobserved collection.
    cases: u32,
    reasons: Vec<String>,
}

impl Unobserved {
    /// Records what one case could not observe (nothing when `reasons` is empty).
    pub(crate) fn add(&mut self, reasons: Vec<String>) {
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

    /// Adds the note to a finished row.
    pub(crate) fn apply(&self, result: &mut CheckResult) {
        if self.cases == 0 {
            return;
        }
        let why = self.reasons.join("; ");
        result.notes.push(format!(
            "the collection was not observed in {} of {} judged case(s), so its rules judged nothing there: {why}",
            self.cases, result.cases_run
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::report::CheckStatus;

    fn row(check: CheckId, cases_run: u32) -> CheckResult {
        CheckResult {
            cases_run,
            ..CheckResult::new(check, "things", "t.toml", CheckStatus::Passed)
        }
    }

    #[test]
    fn a_collection_only_check_that_observed_nothing_is_inconclusive() {
        let reasons = vec!["the listing answered 404".to_string()];
        let post_retry = inconclusive_reason(CheckId::PostRetry, &reasons);
        assert!(
            post_retry
                .as_deref()
                .is_some_and(|r| r.contains("observed nothing") && r.contains("404")),
            "{post_retry:?}"
        );
        assert!(inconclusive_reason(CheckId::ConcurrentPostKey, &reasons).is_some());
        assert_eq!(inconclusive_reason(CheckId::RepeatPut, &reasons), None);
        assert_eq!(inconclusive_reason(CheckId::PostRetry, &[]), None);
        let mut unobserved = Unobserved::default();
        for _ in 0..2 {
            unobserved.add(reasons.clone());
        }
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
