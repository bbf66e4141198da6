//! One cause, one finding. Several rules — of one check or of several — can break for one
//! reason: a server that ignores `If-Match` fails `conditional-write`'s stale, weak and
//! `If-Match: *` probes and `lost-update`'s race alike. A judge names such a reason with a
//! cause key ([`crate::model::violation::Violation::cause`]); the findings of one scenario
//! file, resource, severity and cause are reported as one ([`group`]): the finding of the rule
//! that comes first (check run order, then lowest case, then rule), listing the others in
//! [`Cause::also`].
//!
//! Fingerprints stay what they were: the grouped finding keeps its own, and every rule it
//! absorbed keeps one too ([`crate::model::findings::Finding::fingerprints`]), so a baseline
//! that lists any of them knows the group, and a baseline written from a grouped report lists
//! them all.

use serde::{Deserialize, Serialize};

use crate::model::baseline::scenario_file_name;
use crate::model::check::CheckId;
use crate::model::findings::{BaselineMark, Finding, MAX_OTHER_CASES, Severity};

/// The cause a finding shares with other rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cause {
    /// The cause's key, as the judges set it (e.g. `if-match-ignored`).
    pub(crate) key: String,
    /// The other rules that broke for the same cause on the same resource, by check run order
    /// and rule; empty when only this finding's rule did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) also: Vec<AlsoFound>,
}

/// A rule grouped into another finding of the same cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AlsoFound {
    pub(crate) check: CheckId,
    pub(crate) rule: String,
    pub(crate) title: String,
    /// The lowest case that found it (within its own check × resource).
    pub(crate) case: u32,
    /// How many cases found it.
    pub(crate) occurrences: u32,
}

impl AlsoFound {
    /// The summary of a finding that joins another's group.
    fn of(finding: &Finding) -> AlsoFound {
        AlsoFound {
            check: finding.check,
            rule: finding.rule_or_slug(),
            title: finding.title.clone(),
            case: finding.case,
            occurrences: finding.occurrences,
        }
    }

    /// Its fingerprint, on the scenario file and resource of the finding that lists it.
    pub(crate) fn fingerprint(&self, finding: &Finding) -> String {
        format!(
            "{}:{}:{}:{}",
            scenario_file_name(&finding.scenario),
            finding.resource,
            self.check,
            self.rule
        )
    }
}

/// What groups findings: scenario file, resource, severity and cause key (`None` without a
/// cause). Severities stay apart, so grouping never changes whether a run fails.
pub(crate) fn group_key(finding: &Finding) -> Option<(String, String, Severity, String)> {
    let cause = finding.cause.as_ref()?;
    Some((
        finding.scenario.clone(),
        finding.resource.clone(),
        finding.severity,
        cause.key.clone(),
    ))
}

/// The findings with every group of one cause made one finding (see the module
/// documentation); findings without a cause are left as they are, in their order. The result
/// does not depend on the order of `findings`.
pub(crate) fn group(findings: Vec<Finding>) -> Vec<Finding> {
    let mut grouped: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        let key = group_key(&finding);
        let same = key.as_ref().and_then(|key| {
            grouped
                .iter()
                .position(|f| group_key(f).as_ref() == Some(key))
        });
        match same {
            Some(index) => join(&mut grouped[index], finding),
            None => grouped.push(finding),
        }
    }
    grouped
}

/// The order that picks a group's finding: check run order, lowest case, rule.
fn rank(finding: &Finding) -> (CheckId, u32, String) {
    (finding.check, finding.case, finding.rule_or_slug())
}

/// Joins `other` (a finding of the same group) into `kept`: the one of lower rank stays the
/// finding, the other joins its list; counts of one rule add up.
fn join(kept: &mut Finding, mut other: Finding) {
    if rank(&other) < rank(kept) {
        std::mem::swap(kept, &mut other);
    }
    kept.baseline = stronger(kept.baseline, other.baseline);
    if other.fingerprint() == kept.fingerprint() {
        kept.absorb(other);
        return;
    }
    let theirs = other.cause.take().map(|c| c.also).unwrap_or_default();
    add_also(kept, AlsoFound::of(&other));
    add_all(kept, theirs);
}

/// Adds the rules another finding of the group listed to `kept`'s list (kept sorted by check
/// run order and rule).
pub(crate) fn add_all(kept: &mut Finding, others: Vec<AlsoFound>) {
    for also in others {
        add_also(kept, also);
    }
    if let Some(cause) = &mut kept.cause {
        cause
            .also
            .sort_by(|a, b| (a.check, &a.rule).cmp(&(b.check, &b.rule)));
    }
}

/// Adds one rule to a group's finding: into the finding's own counts when it is the finding's
/// rule, else into its list (adding up with an entry of the same rule).
fn add_also(kept: &mut Finding, also: AlsoFound) {
    if also.fingerprint(kept) == kept.fingerprint() {
        kept.occurrences = kept.occurrences.saturating_add(also.occurrences);
        if also.case != kept.case && !kept.other_cases.contains(&also.case) {
            kept.other_cases.push(also.case);
            kept.other_cases.sort_unstable();
            kept.other_cases.truncate(MAX_OTHER_CASES);
        }
        return;
    }
    let Some(cause) = &mut kept.cause else {
        return;
    };
    match cause
        .also
        .iter_mut()
        .find(|a| (a.check, &a.rule) == (also.check, &also.rule))
    {
        Some(entry) => {
            entry.occurrences = entry.occurrences.saturating_add(also.occurrences);
            if also.case < entry.case {
                entry.case = also.case;
                entry.title = also.title;
            }
        }
        None => cause.also.push(also),
    }
}

/// The mark of a group: known when the baseline knows any of its rules.
fn stronger(a: Option<BaselineMark>, b: Option<BaselineMark>) -> Option<BaselineMark> {
    if a == Some(BaselineMark::Known) || b == Some(BaselineMark::Known) {
        Some(BaselineMark::Known)
    } else {
        a.or(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: CheckId, rule: &str, case: u32, cause: Option<&str>) -> Finding {
        let mut finding = crate::model::fixture::sample_report().findings[0].clone();
        finding.check = check;
        finding.rule = rule.into();
        finding.title = format!("{rule} in case {case}");
        finding.case = case;
        finding.occurrences = 1;
        finding.other_cases = Vec::new();
        finding.cause = cause.map(|key| Cause {
            key: key.into(),
            also: Vec::new(),
        });
        finding
    }

    fn ignored_if_match() -> Vec<Finding> {
        vec![
            finding(CheckId::LostUpdate, "both-succeeded", 1, Some("if-match")),
            finding(
                CheckId::ConditionalWrite,
                "stale-put-applied",
                2,
                Some("if-match"),
            ),
            finding(
                CheckId::ConditionalWrite,
                "ignores-if-match",
                1,
                Some("if-match"),
            ),
            finding(CheckId::LostUpdate, "both-succeeded", 3, Some("if-match")),
            finding(CheckId::RepeatPut, "item-changed", 1, None),
        ]
    }

    #[test]
    fn one_cause_is_one_finding_listing_the_other_rules() {
        let grouped = group(ignored_if_match());
        assert_eq!(grouped.len(), 2);
        let kept = &grouped[0];
        assert_eq!(
            (kept.check, kept.rule.as_str()),
            (CheckId::ConditionalWrite, "ignores-if-match"),
            "the first check in run order, its lowest case"
        );
        let also: Vec<(CheckId, &str, u32, u32)> = kept
            .cause
            .as_ref()
            .map(|c| {
                c.also
                    .iter()
                    .map(|a| (a.check, a.rule.as_str(), a.case, a.occurrences))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            also,
            [
                (CheckId::ConditionalWrite, "stale-put-applied", 2, 1),
                (CheckId::LostUpdate, "both-succeeded", 1, 2),
            ]
        );
        assert_eq!(grouped[1].rule, "item-changed", "no cause: left alone");
        assert_eq!(
            kept.fingerprints().collect::<Vec<_>>(),
            [
                "items.toml:items:conditional-write:ignores-if-match",
                "items.toml:items:conditional-write:stale-put-applied",
                "items.toml:items:lost-update:both-succeeded",
            ]
        );
    }

    #[test]
    fn a_baseline_of_a_group_lists_every_rule_in_it() {
        let grouped = group(ignored_if_match());
        let baseline = crate::model::baseline::Baseline::of_findings(&grouped);
        let fingerprints: Vec<&str> = baseline
            .entries()
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        assert_eq!(
            fingerprints,
            [
                "items.toml:items:conditional-write:ignores-if-match",
                "items.toml:items:conditional-write:stale-put-applied",
                "items.toml:items:lost-update:both-succeeded",
                "items.toml:items:repeat-put:item-changed",
            ]
        );
        let lost = &baseline.entries()[2];
        assert_eq!(
            (lost.check.as_str(), lost.rule.as_str()),
            ("lost-update", "both-succeeded")
        );
    }

    #[test]
    fn grouping_does_not_depend_on_the_order() {
        let mut reversed = ignored_if_match();
        reversed.reverse();
        let mut a = group(ignored_if_match());
        let mut b = group(reversed);
        a.sort_by_key(Finding::fingerprint);
        b.sort_by_key(Finding::fingerprint);
        assert_eq!(a, b);
        // Grouping what is grouped changes nothing (merged shards are grouped again).
        assert_eq!(group(a.clone()), a);
    }

    #[test]
    fn groups_of_shards_add_up() {
        let shard_one = group(ignored_if_match());
        let shard_two = group(ignored_if_match());
        let mut both = shard_one;
        both.extend(shard_two);
        let merged = group(both);
        assert_eq!(
            merged.len(),
            3,
            "the finding without a cause is merged elsewhere"
        );
        let kept = &merged[0];
        assert_eq!(kept.occurrences, 2);
        let lost = kept.cause.as_ref().map(|c| c.also[1].occurrences);
        assert_eq!(lost, Some(4));
    }

    #[test]
    fn severities_and_resources_stay_apart() {
        let mut warning = finding(CheckId::LostUpdate, "both-succeeded", 1, Some("if-match"));
        warning.severity = Severity::Warning;
        let mut other = finding(CheckId::LostUpdate, "both-succeeded", 1, Some("if-match"));
        other.resource = "orders".into();
        let error = finding(
            CheckId::ConditionalWrite,
            "ignores-if-match",
            1,
            Some("if-match"),
        );
        assert_eq!(group(vec![warning, other, error]).len(), 3);
    }

    #[test]
    fn a_group_is_known_when_the_baseline_knows_any_of_its_rules() {
        let mut known = finding(CheckId::LostUpdate, "both-succeeded", 1, Some("if-match"));
        known.baseline = Some(BaselineMark::Known);
        let mut new = finding(
            CheckId::ConditionalWrite,
            "ignores-if-match",
            1,
            Some("if-match"),
        );
        new.baseline = Some(BaselineMark::New);
        let grouped = group(vec![new, known]);
        assert_eq!(grouped[0].baseline, Some(BaselineMark::Known));
    }
}
