//! Findings aggregated by fingerprint: however many cases break the same rule, the report keeps
//! one full finding per scenario file, fingerprint and severity — the occurrence of the lowest
//! case, so the report does not depend on the order concurrent cases finish in — with how many
//! cases found it and the (capped) list of the others. The first occurrence is streamed in full
//! as [`Event::Finding`], later ones as the light [`Event::FindingAgain`]. Also marks findings
//! against the baselines and notes when the first failing one was produced.
//!
//! Findings of one cause ([`crate::model::cause`]) are one finding: the first of a group to
//! arrive is streamed in full and counted once towards `--max-failures`, later ones of the
//! group lightly; [`Aggregator::finish`] makes each group one finding.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use crate::model::baseline::BaselineOptions;
use crate::model::cause;
use crate::model::events::{Event, EventSink, FindingAgain};
use crate::model::findings::{Finding, Severity};
use crate::model::report::RunMoment;

/// What identifies one reported finding: scenario path, fingerprint, severity. (A rule that
/// fires with different severities in different cases is reported once per severity, so that
/// aggregating never changes whether the run fails.)
type Key = (String, String, Severity);

/// What identifies one group of findings of a cause: scenario path, resource, severity, cause.
type GroupKey = (String, String, Severity, String);

/// The findings of a run so far, one per [`Key`].
pub(crate) struct Aggregator<'a> {
    baseline: &'a BaselineOptions,
    fail_on: Severity,
    kept: BTreeMap<Key, Finding>,
    /// The groups of one cause seen so far.
    groups: BTreeSet<GroupKey>,
    first_failure: Option<RunMoment>,
    /// Kept findings that fail the run.
    failing: u32,
}

impl<'a> Aggregator<'a> {
    /// No finding yet; findings will be marked against `baseline` and judged against `fail_on`.
    pub(crate) fn new(baseline: &'a BaselineOptions, fail_on: Severity) -> Aggregator<'a> {
        Aggregator {
            baseline,
            fail_on,
            kept: BTreeMap::new(),
            groups: BTreeSet::new(),
            first_failure: None,
            failing: 0,
        }
    }

    /// Adds the findings of one case and emits an event for each. A rule broken several times
    /// in one case counts once. `now` tells where the run is, for the first failing finding.
    pub(crate) fn add_case(
        &mut self,
        findings: Vec<Finding>,
        now: impl Fn() -> RunMoment,
        sink: &dyn EventSink,
    ) {
        let mut seen_in_case: Vec<Key> = Vec::new();
        for mut finding in findings {
            let key = (
                finding.scenario.clone(),
                finding.fingerprint(),
                finding.severity,
            );
            if seen_in_case.contains(&key) {
                continue;
            }
            seen_in_case.push(key.clone());
            finding.baseline = self.baseline.mark_fingerprint(&key.1, key.2);
            if self.first_failure.is_none() && finding.fails(self.fail_on) {
                self.first_failure = Some(now());
            }
            self.add(key, finding, sink);
        }
    }

    fn add(&mut self, key: Key, finding: Finding, sink: &dyn EventSink) {
        // One case's finding is one occurrence.
        let finding = Finding {
            occurrences: 1,
            other_cases: Vec::new(),
            ..finding
        };
        let new_group = cause::group_key(&finding).is_none_or(|group| self.groups.insert(group));
        match self.kept.entry(key) {
            Entry::Vacant(slot) if new_group => {
                if finding.fails(self.fail_on) {
                    self.failing += 1;
                }
                sink.emit(Event::Finding(Box::new(finding.clone())));
                slot.insert(finding);
            }
            Entry::Vacant(slot) => {
                sink.emit(Event::FindingAgain(Box::new(again(
                    &slot.key().1,
                    &finding,
                ))));
                slot.insert(finding);
            }
            Entry::Occupied(mut slot) => {
                sink.emit(Event::FindingAgain(Box::new(again(
                    &slot.key().1,
                    &finding,
                ))));
                slot.get_mut().absorb(finding);
            }
        }
    }

    /// How many of the findings so far fail the run (one per key, as the report counts them).
    pub(crate) fn failing(&self) -> u32 {
        self.failing
    }

    /// The run's findings, one per key and one per cause, and when the first failing one was
    /// produced.
    pub(crate) fn finish(self) -> (Vec<Finding>, Option<RunMoment>) {
        (
            cause::group(self.kept.into_values().collect()),
            self.first_failure,
        )
    }
}

/// The light event of a later occurrence.
fn again(fingerprint: &str, finding: &Finding) -> FindingAgain {
    FindingAgain {
        check: finding.check,
        resource: finding.resource.clone(),
        severity: finding.severity,
        fingerprint: fingerprint.to_string(),
        case: finding.case,
        baseline: finding.baseline,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::model::check::CheckId;
    use crate::model::findings::BaselineMark;

    /// Keeps the events it receives.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Event>>);

    impl EventSink for Recorder {
        fn emit(&self, event: Event) {
            self.0.lock().expect("not poisoned").push(event);
        }
    }

    impl Recorder {
        fn kinds(&self) -> Vec<&'static str> {
            let events = self.0.lock().expect("not poisoned");
            events
                .iter()
                .map(|event| match event {
                    Event::Finding(_) => "finding",
                    Event::FindingAgain(_) => "again",
                    _ => "other",
                })
                .collect()
        }
    }

    fn finding(rule: &str, severity: Severity, case: u32) -> Finding {
        Finding {
            check: CheckId::RepeatPut,
            scenario: "scenarios/demo.toml".into(),
            resource: "things".into(),
            severity,
            rule: rule.into(),
            case,
            occurrences: 1,
            other_cases: Vec::new(),
            title: format!("title of case {case}"),
            rfc: String::new(),
            oracle: String::new(),
            expected: String::new(),
            observed: String::new(),
            diff: None,
            exchanges: Vec::new(),
            fuzz: None,
            baseline: None,
            cause: None,
        }
    }

    fn at(requests: u64) -> impl Fn() -> RunMoment {
        move || RunMoment {
            requests,
            elapsed_ms: requests * 10,
        }
    }

    /// Adds one finding per case, in the given case order.
    fn aggregate(cases: &[u32], fail_on: Severity) -> (Vec<Finding>, Option<RunMoment>) {
        let options = BaselineOptions::default();
        let mut aggregator = Aggregator::new(&options, fail_on);
        let sink = Recorder::default();
        for &case in cases {
            aggregator.add_case(
                vec![finding("item-changed", Severity::Error, case)],
                at(u64::from(case)),
                &sink,
            );
        }
        aggregator.finish()
    }

    #[test]
    fn one_finding_per_fingerprint_with_its_lowest_case_whatever_the_order() {
        let order_a: Vec<u32> = (1..=30).collect();
        let order_b: Vec<u32> = (1..=30).rev().collect();
        let (a, _) = aggregate(&order_a, Severity::Error);
        let (b, _) = aggregate(&order_b, Severity::Error);
        assert_eq!(a, b, "the report does not depend on the completion order");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].case, 1);
        assert_eq!(
            a[0].title, "title of case 1",
            "the lowest case's finding is kept"
        );
        assert_eq!(a[0].occurrences, 30);
        assert_eq!(a[0].other_cases, (2..=21).collect::<Vec<u32>>());
    }

    #[test]
    fn the_first_occurrence_is_streamed_in_full_the_others_lightly() {
        let options = BaselineOptions::default();
        let mut aggregator = Aggregator::new(&options, Severity::Error);
        let sink = Recorder::default();
        for case in [3, 1, 2] {
            aggregator.add_case(
                vec![
                    finding("item-changed", Severity::Error, case),
                    finding("item-changed", Severity::Error, case),
                    finding("collection-changed", Severity::Warning, case),
                ],
                at(1),
                &sink,
            );
        }
        assert_eq!(
            sink.kinds(),
            ["finding", "finding", "again", "again", "again", "again"],
            "a rule broken twice in one case counts once"
        );
        let (findings, _) = aggregator.finish();
        let counts: Vec<(u32, u32, Vec<u32>)> = findings
            .iter()
            .map(|f| (f.case, f.occurrences, f.other_cases.clone()))
            .collect();
        assert_eq!(counts, vec![(1, 3, vec![2, 3]), (1, 3, vec![2, 3])]);
    }

    #[test]
    fn findings_of_one_cause_are_one_finding_counted_once() {
        let options = BaselineOptions::default();
        let mut aggregator = Aggregator::new(&options, Severity::Error);
        let sink = Recorder::default();
        let of_cause = |check, rule: &str, case| Finding {
            check,
            cause: Some(crate::model::cause::Cause {
                key: "if-match-ignored".into(),
                also: Vec::new(),
            }),
            ..finding(rule, Severity::Error, case)
        };
        aggregator.add_case(
            vec![of_cause(CheckId::LostUpdate, "both-succeeded", 1)],
            at(1),
            &sink,
        );
        aggregator.add_case(
            vec![of_cause(CheckId::ConditionalWrite, "ignores-if-match", 2)],
            at(2),
            &sink,
        );
        aggregator.add_case(
            vec![finding("item-changed", Severity::Error, 1)],
            at(3),
            &sink,
        );
        assert_eq!(sink.kinds(), ["finding", "again", "finding"]);
        assert_eq!(aggregator.failing(), 2, "one per cause, one per rule");
        let (findings, _) = aggregator.finish();
        assert_eq!(findings.len(), 2);
        let grouped = findings
            .iter()
            .find(|f| f.cause.is_some())
            .expect("the group");
        assert_eq!(grouped.check, CheckId::ConditionalWrite);
        assert_eq!(
            grouped.cause.as_ref().map(|c| c.also.len()),
            Some(1),
            "lost-update is listed in it"
        );
    }

    #[test]
    fn severities_of_one_rule_are_kept_apart() {
        let options = BaselineOptions::default();
        let mut aggregator = Aggregator::new(&options, Severity::Error);
        let sink = Recorder::default();
        aggregator.add_case(vec![finding("r", Severity::Warning, 1)], at(1), &sink);
        aggregator.add_case(vec![finding("r", Severity::Error, 2)], at(2), &sink);
        let (findings, first) = aggregator.finish();
        assert_eq!(findings.len(), 2, "the error is not hidden by the warning");
        assert_eq!(first.map(|f| f.requests), Some(2));
    }

    #[test]
    fn the_first_failure_is_the_first_failing_finding_produced() {
        let (_, first) = aggregate(&[7, 3, 5], Severity::Error);
        assert_eq!(
            first,
            Some(RunMoment {
                requests: 7,
                elapsed_ms: 70
            }),
            "when it was produced, not the lowest case"
        );
        let options = BaselineOptions::default();
        let mut aggregator = Aggregator::new(&options, Severity::Error);
        let sink = Recorder::default();
        aggregator.add_case(vec![finding("w", Severity::Warning, 1)], at(1), &sink);
        aggregator.add_case(vec![finding("i", Severity::Info, 2)], at(2), &sink);
        assert_eq!(aggregator.finish().1, None, "below --fail-on: no failure");
    }

    #[test]
    fn findings_a_baseline_accepts_are_marked_and_never_the_first_failure() {
        let known = finding("item-changed", Severity::Error, 1);
        let options = BaselineOptions {
            compare: Some((
                "base.toml".into(),
                crate::model::baseline::Baseline::of_findings([&known]),
            )),
            record: None,
        };
        let mut aggregator = Aggregator::new(&options, Severity::Error);
        let sink = Recorder::default();
        aggregator.add_case(vec![known], at(1), &sink);
        let (findings, first) = aggregator.finish();
        assert_eq!(findings[0].baseline, Some(BaselineMark::Known));
        assert_eq!(first, None);
    }
}
