//! The result data of a run: everything reporters serialise. Built by the runner, never printed
//! by it. The JSON report is this structure; its schema is documented in `docs/report-format.md`.

use serde::{Deserialize, Serialize};

use crate::model::baseline::BaselineSummary;
use crate::model::check::CheckId;
use crate::model::findings::{Finding, Severity};
use crate::model::fit::FitReport;
use crate::model::shard::Shard;

/// Version of the JSON report schema; bumped on any incompatible change.
pub(crate) const REPORT_FORMAT_VERSION: u32 = 2;

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum RunOutcome {
    /// Every planned case ran (some may have errored).
    Completed,
    /// Ctrl-C: the run stopped early; results so far are reported and cleanup ran.
    Interrupted,
    /// A limit the user set stopped the run early (`--max-failures`, `--time-budget`): some
    /// planned cases did not start; the cases that started finished, cleanup ran. `reason` is
    /// one line (which limit, how many cases did not start).
    Stopped { reason: String },
    /// The target could not be tested; `reason` is one line.
    CannotTest { reason: String },
}

/// The outcome of one check on one resource (or one script).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum CheckStatus {
    /// Ran and found nothing at warning level or above.
    Passed,
    /// Ran and found at least one warning or error (see `findings`).
    Failed,
    /// Did not run, and why (e.g. "resource declares no DELETE").
    Skipped { reason: String },
    /// No case could run (transport or setup errors); nothing could be judged.
    Errored { reason: String },
    /// The cases ran, but none could observe what the check judges (e.g. the item could not
    /// be read back, the collection lists none of the run's items, the API ignores the body
    /// it is sent), or the fit probe showed before the cases that they could not: nothing was
    /// judged, and `reason` says why. Never a pass.
    Inconclusive { reason: String },
    /// The run was interrupted before this check finished.
    Interrupted,
}

/// One row of the summary: a check on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CheckResult {
    pub(crate) check: CheckId,
    /// Resource name, or the script name for scripts.
    pub(crate) resource: String,
    pub(crate) scenario: String,
    pub(crate) status: CheckStatus,
    pub(crate) cases_run: u32,
    pub(crate) cases_errored: u32,
    /// Cases that ran but could not observe what the check judges (see
    /// [`CheckStatus::Inconclusive`]); neither run nor errored.
    #[serde(default)]
    pub(crate) cases_inconclusive: u32,
    pub(crate) errors: u32,
    pub(crate) warnings: u32,
    pub(crate) infos: u32,
    /// Why cases stopped before they could be judged (transport or setup errors), one line
    /// each (first few). Never findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) case_errors: Vec<String>,
    /// Parts of the check that did not run, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
    pub(crate) duration_ms: u64,
    /// With `--shard`: the case numbers (1-based) of this check × resource that this shard
    /// ran; empty (and omitted) in an unsharded run, which runs them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) case_numbers: Vec<u32>,
}

impl CheckResult {
    /// A result with no case run yet.
    pub(crate) fn new(
        check: CheckId,
        resource: &str,
        scenario: &str,
        status: CheckStatus,
    ) -> CheckResult {
        CheckResult {
            check,
            resource: resource.to_string(),
            scenario: scenario.to_string(),
            status,
            cases_run: 0,
            cases_errored: 0,
            cases_inconclusive: 0,
            errors: 0,
            warnings: 0,
            infos: 0,
            case_errors: Vec::new(),
            notes: Vec::new(),
            duration_ms: 0,
            case_numbers: Vec::new(),
        }
    }
}

/// Fields ignored automatically because two GETs with no write between disagreed on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VolatileFields {
    pub(crate) resource: String,
    pub(crate) pointers: Vec<String>,
}

/// A run-owned resource idemfuzz could not delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeftBehind {
    pub(crate) url: String,
    pub(crate) reason: String,
}

/// What cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CleanupReport {
    /// Run-owned resources the cleanup deleted: during the run, once their case (and its batch)
    /// finished, or at the end of the run.
    pub(crate) deleted: u32,
    /// Of `deleted`, those deleted during the run (the rest at the end of the run).
    #[serde(default)]
    pub(crate) deleted_after_cases: u32,
    pub(crate) left_behind: Vec<LeftBehind>,
}

/// Request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunStats {
    pub(crate) requests: u64,
    pub(crate) transport_errors: u64,
    /// Answers (429, or 503 with `Retry-After`) that were waited out and retried; never judged.
    /// Left out of the JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) throttled: u64,
    /// When the first failing finding (the ones the exit code counts) was produced; `None`
    /// when there was none.
    #[serde(default)]
    pub(crate) first_failure: Option<RunMoment>,
}

/// A moment of the run, as the run counts it: requests sent and time since it started. The
/// report's `first_failure` is the moment the run produced its first failing finding; a fuzz
/// finding's detection is the moment its sequence first failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunMoment {
    /// Requests the run had sent (the `requests` counter at that moment).
    pub(crate) requests: u64,
    /// Milliseconds since the run started.
    pub(crate) elapsed_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The whole result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunReport {
    pub(crate) format_version: u32,
    pub(crate) tool_version: String,
    pub(crate) seed: u64,
    /// Run-unique tag inside every id this run created.
    pub(crate) run_id: String,
    /// Base URL with any credentials removed.
    pub(crate) base_url: String,
    pub(crate) scenarios: Vec<String>,
    pub(crate) fail_on: Severity,
    pub(crate) outcome: RunOutcome,
    pub(crate) duration_ms: u64,
    pub(crate) results: Vec<CheckResult>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) volatile: Vec<VolatileFields>,
    /// What the fit probe told about each resource before the checks, in plan order.
    #[serde(default)]
    pub(crate) fit: Vec<FitReport>,
    pub(crate) cleanup: CleanupReport,
    pub(crate) stats: RunStats,
    /// The `--shard` this run executed; `None` for the whole plan.
    #[serde(default)]
    pub(crate) shard: Option<Shard>,
    /// The comparison with `--baseline` / `--write-baseline`; `None` when neither was given.
    #[serde(default)]
    pub(crate) baseline: Option<BaselineSummary>,
}

impl RunReport {
    /// Findings at or above the run's `fail_on` level, except those a baseline accepts
    /// (`known` / `recorded`): the findings that fail the run.
    pub(crate) fn failing_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.fails(self.fail_on))
    }

    /// What the run amounts to. Failing findings win: a violation that was observed is real
    /// even if the run could not finish; otherwise an untestable target, an interrupted run, a
    /// check that could not run on any case, or one that observed nothing in any case is not a
    /// pass.
    pub(crate) fn verdict(&self) -> Verdict {
        if self.failing_findings().next().is_some() {
            return Verdict::Failed;
        }
        match self.outcome {
            RunOutcome::CannotTest { .. } => Verdict::CannotTest,
            RunOutcome::Interrupted => Verdict::Interrupted,
            RunOutcome::Completed | RunOutcome::Stopped { .. } if self.any_errored() => {
                Verdict::CheckErrored
            }
            RunOutcome::Completed | RunOutcome::Stopped { .. } if self.any_inconclusive() => {
                Verdict::Inconclusive
            }
            RunOutcome::Completed | RunOutcome::Stopped { .. } => Verdict::Passed,
        }
    }

    fn any_errored(&self) -> bool {
        self.results
            .iter()
            .any(|r| matches!(r.status, CheckStatus::Errored { .. }))
    }

    fn any_inconclusive(&self) -> bool {
        self.inconclusive().next().is_some()
    }

    /// The rows whose check observed nothing in any case (`inconclusive`).
    pub(crate) fn inconclusive(&self) -> impl Iterator<Item = &CheckResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.status, CheckStatus::Inconclusive { .. }))
    }

    /// Puts results and findings in reading order, whatever order the work finished in:
    /// results by scenario file, resources by name with their checks in check order, then
    /// scripts; findings by resource, check, severity (most severe first) and title.
    pub(crate) fn sort_for_reading(&mut self) {
        self.results
            .sort_by(|a, b| result_order(a).cmp(&result_order(b)));
        self.findings.sort_by_cached_key(|f| {
            (
                f.resource.clone(),
                f.check,
                std::cmp::Reverse(f.severity),
                f.title.clone(),
                f.fingerprint(),
                f.scenario.clone(),
            )
        });
    }
}

/// What a run amounts to ([`RunReport::verdict`]): the exit code
/// ([`crate::model::exit_code::for_report`]) and the human report's last line both follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// At least one finding fails the run.
    Failed,
    /// The target could not be tested.
    CannotTest,
    /// Interrupted (Ctrl-C) with no failing finding so far.
    Interrupted,
    /// The run completed, but a check could not run a single case.
    CheckErrored,
    /// The run completed, but a check observed nothing it judges in any case (inconclusive):
    /// it was not tested.
    Inconclusive,
    /// Nothing fails the run.
    Passed,
}

/// Results read in file order: resources by name with their checks in check order, then scripts.
fn result_order(result: &CheckResult) -> (&str, bool, &str, CheckId) {
    (
        &result.scenario,
        result.check == CheckId::Script,
        &result.resource,
        result.check,
    )
}
