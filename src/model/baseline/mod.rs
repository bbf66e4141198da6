//! Baselines: findings already known, matched by a stable fingerprint, so that CI fails only on
//! new ones (`--baseline FILE`), and the recording of a run's findings as a new baseline
//! (`--write-baseline FILE`). The file format lives in [`mod@file`]; this module owns the
//! fingerprint, the marking of findings and the run's [`BaselineSummary`].
//!
//! A fingerprint is `SCENARIO:RESOURCE:CHECK:RULE` — the scenario file's name without
//! directories, the resource (or script) name, the check name and the sub-rule that fired
//! ([`crate::model::violation::Violation::rule`]). It contains no id, seed, status or
//! timestamp, so the same bug gives the same fingerprint in every run.

pub(crate) mod file;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::check::CheckId;
use crate::model::findings::{BaselineMark, Finding, Severity};
use crate::model::report::{CheckStatus, RunReport};

/// One known finding, as a baseline file lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BaselineEntry {
    /// `SCENARIO:RESOURCE:CHECK:RULE`: the only field used for matching.
    pub(crate) fingerprint: String,
    /// The parts of the fingerprint and a title, for people reading the file.
    #[serde(default)]
    pub(crate) scenario: String,
    #[serde(default)]
    pub(crate) resource: String,
    #[serde(default)]
    pub(crate) check: String,
    #[serde(default)]
    pub(crate) rule: String,
    #[serde(default = "default_severity")]
    pub(crate) severity: Severity,
    #[serde(default)]
    pub(crate) title: String,
}

fn default_severity() -> Severity {
    Severity::Error
}

impl BaselineEntry {
    /// The entry recording `finding`.
    pub(crate) fn of(finding: &Finding) -> BaselineEntry {
        BaselineEntry {
            fingerprint: finding.fingerprint(),
            scenario: scenario_file_name(&finding.scenario).to_string(),
            resource: finding.resource.clone(),
            check: finding.check.name().to_string(),
            rule: finding.rule_or_slug(),
            severity: finding.severity,
            title: finding.title.clone(),
        }
    }

    /// The entries recording `finding` and each rule grouped into it by its cause.
    pub(crate) fn all_of(finding: &Finding) -> Vec<BaselineEntry> {
        let grouped = finding.cause.iter().flat_map(|cause| &cause.also);
        std::iter::once(BaselineEntry::of(finding))
            .chain(grouped.map(|also| BaselineEntry {
                fingerprint: also.fingerprint(finding),
                check: also.check.name().to_string(),
                rule: also.rule.clone(),
                title: also.title.clone(),
                ..BaselineEntry::of(finding)
            }))
            .collect()
    }
}

/// The known findings of a baseline file, one entry per fingerprint, sorted by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Baseline {
    entries: Vec<BaselineEntry>,
}

impl Baseline {
    /// A baseline of `entries`: sorted by fingerprint, one entry per fingerprint (the most
    /// severe, then the first title in order).
    pub(crate) fn new(mut entries: Vec<BaselineEntry>) -> Baseline {
        entries.sort_by(|a, b| {
            (&a.fingerprint, std::cmp::Reverse(a.severity), &a.title).cmp(&(
                &b.fingerprint,
                std::cmp::Reverse(b.severity),
                &b.title,
            ))
        });
        entries.dedup_by(|later, first| later.fingerprint == first.fingerprint);
        Baseline { entries }
    }

    /// The baseline recording every finding of warning level or above (`info` never fails a
    /// run, so it needs no baseline), with every rule grouped into it by its cause (so that the
    /// baseline still knows the cause if another of its rules reports it).
    pub(crate) fn of_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        Baseline::new(
            findings
                .into_iter()
                .filter(|f| f.severity > Severity::Info)
                .flat_map(BaselineEntry::all_of)
                .collect(),
        )
    }

    pub(crate) fn entries(&self) -> &[BaselineEntry] {
        &self.entries
    }

    /// True when the baseline lists `fingerprint`.
    pub(crate) fn contains(&self, fingerprint: &str) -> bool {
        self.entries
            .binary_search_by(|entry| entry.fingerprint.as_str().cmp(fingerprint))
            .is_ok()
    }
}

/// What a run does with baselines (validated from `--baseline` / `--write-baseline`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BaselineOptions {
    /// `--baseline`: the file as named on the command line, and its entries.
    pub(crate) compare: Option<(String, Baseline)>,
    /// `--write-baseline`: the file this run's findings are recorded in, as named.
    pub(crate) record: Option<String>,
}

impl BaselineOptions {
    /// True when neither option was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.compare.is_none() && self.record.is_none()
    }

    /// The mark of `finding`: `known` when the compared baseline lists it, else `recorded`
    /// when this run writes a baseline, else `new` when it compares with one. `None` without
    /// either option, and for `info` findings (they never fail a run).
    #[cfg(test)]
    pub(crate) fn mark(&self, finding: &Finding) -> Option<BaselineMark> {
        self.mark_fingerprint(&finding.fingerprint(), finding.severity)
    }

    /// [`mark`](Self::mark) for a finding whose fingerprint is already at hand.
    pub(crate) fn mark_fingerprint(
        &self,
        fingerprint: &str,
        severity: Severity,
    ) -> Option<BaselineMark> {
        if severity == Severity::Info || self.is_empty() {
            return None;
        }
        let known = self
            .compare
            .as_ref()
            .is_some_and(|(_, baseline)| baseline.contains(fingerprint));
        Some(if known {
            BaselineMark::Known
        } else if self.record.is_some() {
            BaselineMark::Recorded
        } else {
            BaselineMark::New
        })
    }
}

/// How the run's findings compare with the baselines; part of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BaselineSummary {
    /// The `--baseline` file, as named on the command line.
    pub(crate) compared_with: Option<String>,
    /// The `--write-baseline` file, as named on the command line.
    pub(crate) written_to: Option<String>,
    /// Findings listed in the `--baseline` file (they do not fail the run).
    pub(crate) known: u32,
    /// Findings not listed in the `--baseline` file (they fail the run as usual).
    pub(crate) new: u32,
    /// Findings recorded in the `--write-baseline` file (they do not fail the run).
    pub(crate) recorded: u32,
    /// Entries of the `--baseline` file not found although their check ran every case on
    /// their resource: fixed, or no longer reachable — candidates to remove from the file.
    pub(crate) fixed: Vec<BaselineEntry>,
    /// Entries of the `--baseline` file neither found nor fixed: their check × resource did
    /// not run completely here (deselected, skipped, errored, interrupted, not in these
    /// scenario files, or split across shards).
    pub(crate) not_checked: u32,
}

/// A check × resource that ran every one of its cases in this run:
/// (scenario file name, resource, check).
pub(crate) type CompleteUnit = (String, String, CheckId);

/// The summary of `report` (its findings already marked) under `options`; `None` when no
/// baseline option was given. `complete` lists the check × resource pairs that ran all their
/// cases here (see [`CompleteUnit`]); only those can prove an entry fixed.
pub(crate) fn summarise(
    options: &BaselineOptions,
    report: &RunReport,
    complete: &BTreeSet<CompleteUnit>,
) -> Option<BaselineSummary> {
    if options.is_empty() {
        return None;
    }
    let count = |mark: BaselineMark| -> u32 {
        let n = report
            .findings
            .iter()
            .filter(|f| f.baseline == Some(mark))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let mut summary = BaselineSummary {
        compared_with: options.compare.as_ref().map(|(name, _)| name.clone()),
        written_to: options.record.clone(),
        known: count(BaselineMark::Known),
        new: count(BaselineMark::New),
        recorded: count(BaselineMark::Recorded),
        ..BaselineSummary::default()
    };
    let found: BTreeSet<String> = report
        .findings
        .iter()
        .flat_map(Finding::fingerprints)
        .collect();
    let entries = options.compare.iter().flat_map(|(_, b)| b.entries());
    for entry in entries.filter(|e| !found.contains(&e.fingerprint)) {
        if ran_completely(report, complete, entry) {
            summary.fixed.push(entry.clone());
        } else {
            summary.not_checked += 1;
        }
    }
    Some(summary)
}

/// True when the entry's check ran every case on its resource and was judged (passed or
/// failed, not errored or interrupted).
fn ran_completely(
    report: &RunReport,
    complete: &BTreeSet<CompleteUnit>,
    entry: &BaselineEntry,
) -> bool {
    let Ok(check) = entry.check.parse::<CheckId>() else {
        return false;
    };
    let key = (entry.scenario.clone(), entry.resource.clone(), check);
    complete.contains(&key)
        && report.results.iter().any(|r| {
            (
                scenario_file_name(&r.scenario),
                r.resource.as_str(),
                r.check,
            ) == (key.0.as_str(), key.1.as_str(), check)
                && matches!(r.status, CheckStatus::Passed | CheckStatus::Failed)
        })
}

impl Finding {
    /// `SCENARIO:RESOURCE:CHECK:RULE` (see the module documentation).
    pub(crate) fn fingerprint(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            scenario_file_name(&self.scenario),
            self.resource,
            self.check,
            self.rule_or_slug()
        )
    }

    /// The finding's rule, or a slug of its title when the check set none.
    pub(crate) fn rule_or_slug(&self) -> String {
        if self.rule.is_empty() {
            slug(&self.title)
        } else {
            self.rule.clone()
        }
    }
}

/// A scenario path's file name: `scenarios/demo.toml` → `demo.toml`.
pub(crate) fn scenario_file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A stable slug of a title: lower-case ASCII words joined by `-`, words made only of digits
/// (statuses, counts) left out. The fallback rule of a check that names none.
pub(crate) fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty() && !word.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests;
