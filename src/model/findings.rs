//! Findings: one observed violation of a rule, with everything a reader needs to act on it.

use serde::{Deserialize, Serialize};

use crate::model::cause::Cause;
use crate::model::check::CheckId;
use crate::model::exchange::Exchange;

/// How bad a finding is. Severity follows the RFC keyword: MUST → error, SHOULD → warning;
/// `info` is never a failure (e.g. POST creating duplicates without a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Finding {
    pub(crate) check: CheckId,
    /// The scenario file the check or script comes from.
    pub(crate) scenario: String,
    /// Resource name, or the script's name for hand-written scripts.
    pub(crate) resource: String,
    pub(crate) severity: Severity,
    /// Which sub-rule of the check fired: a stable slug (see
    /// [`crate::model::violation::Violation::rule`]); part of the [`Finding::fingerprint`].
    #[serde(default)]
    pub(crate) rule: String,
    /// The case that found it: 1-based, within its check × resource (`--cases`). When several
    /// cases found it, the lowest of them (see [`Finding::occurrences`]).
    #[serde(default)]
    pub(crate) case: u32,
    /// How many cases found it, `case` included. A run reports one finding per fingerprint and
    /// severity, with the exchanges of its lowest case, however many cases found it.
    #[serde(default = "one")]
    pub(crate) occurrences: u32,
    /// The other cases that found it, ascending, at most [`MAX_OTHER_CASES`] (the lowest ones).
    #[serde(default)]
    pub(crate) other_cases: Vec<u32>,
    /// One-line statement of the rule that was broken.
    pub(crate) title: String,
    /// Where the rule comes from, e.g. "RFC 9110 §9.3.4".
    pub(crate) rfc: String,
    /// Section of `oracles.md` that digests the rule.
    pub(crate) oracle: String,
    pub(crate) expected: String,
    pub(crate) observed: String,
    /// Unified diff of the two compared snapshots (canonical JSON), when state was compared.
    pub(crate) diff: Option<String>,
    /// The exact request sequence of the case, redacted, in order.
    pub(crate) exchanges: Vec<Exchange>,
    /// Fuzz findings only: the minimal sequence, its relation, seeds and shrinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fuzz: Option<Box<crate::model::fuzz::FuzzDetail>>,
    /// Whether `--baseline` / `--write-baseline` knew this finding; `None` when neither was
    /// given, and always for `info` findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) baseline: Option<BaselineMark>,
    /// The cause it shares with other rules, and the rules grouped into it
    /// ([`crate::model::cause`]); `None` when its judge names no cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cause: Option<Cause>,
}

impl Finding {
    /// True when this finding fails a run whose `--fail-on` level is `fail_on`: at or above
    /// it, above `info`, and not accepted by a baseline (`known` / `recorded`).
    pub(crate) fn fails(&self, fail_on: Severity) -> bool {
        self.severity >= fail_on
            && self.severity > Severity::Info
            && !self.baseline.is_some_and(BaselineMark::accepted)
    }

    /// Counts `other` — the same rule broken in other cases, with its own occurrences — into
    /// this finding. The finding of the lower case is the one kept, so the result does not
    /// depend on the order findings arrive in; `other_cases` keeps the lowest
    /// [`MAX_OTHER_CASES`] of the rest.
    pub(crate) fn absorb(&mut self, mut other: Finding) {
        if other.case < self.case {
            std::mem::swap(self, &mut other);
        }
        let grouped = other.cause.take().map(|c| c.also).unwrap_or_default();
        crate::model::cause::add_all(self, grouped);
        self.occurrences = self.occurrences.saturating_add(other.occurrences);
        let mut cases = std::mem::take(&mut self.other_cases);
        cases.extend(other.other_cases);
        cases.push(other.case);
        cases.sort_unstable();
        cases.dedup();
        cases.retain(|case| *case != self.case);
        cases.truncate(MAX_OTHER_CASES);
        self.other_cases = cases;
    }
}

impl Finding {
    /// Its fingerprint, then those of the rules grouped into it (see [`crate::model::cause`]).
    pub(crate) fn fingerprints(&self) -> impl Iterator<Item = String> + '_ {
        let grouped = self.cause.iter().flat_map(|cause| &cause.also);
        std::iter::once(self.fingerprint()).chain(grouped.map(|also| also.fingerprint(self)))
    }
}

/// The most case numbers a finding lists in [`Finding::other_cases`].
pub(crate) const MAX_OTHER_CASES: usize = 20;

fn one() -> u32 {
    1
}

/// A finding compared with a baseline file (see `docs/ci.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BaselineMark {
    /// In the `--baseline` file: reported, but it does not fail the run.
    Known,
    /// Not in the `--baseline` file: fails the run like any finding.
    New,
    /// Written to the `--write-baseline` file by this run: it does not fail the run.
    Recorded,
}

impl BaselineMark {
    /// True when the finding does not count towards the exit code.
    pub(crate) fn accepted(self) -> bool {
        matches!(self, BaselineMark::Known | BaselineMark::Recorded)
    }
}
