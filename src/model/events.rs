//! Events the runner emits while it works; reporters subscribe to them.
//!
//! Events are owned data so that concurrent cases can send them through one sink.

use crate::model::check::CheckId;
use crate::model::exchange::WireExchange;
use crate::model::findings::{BaselineMark, Finding, Severity};
use crate::model::report::{CheckResult, CleanupReport, RunReport};

/// Something that happened during a run.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// The plan is known: how many check×resource units and cases will run.
    RunStarted {
        seed: u64,
        run_id: String,
        base_url: String,
        #[expect(dead_code, reason = "emitted for reporters; none reads it yet")]
        units: usize,
        cases: u64,
        /// The fuzz time budget, when one applies.
        time_budget_ms: Option<u64>,
    },
    /// Volatile fields were detected for a resource and will be ignored.
    VolatileDetected {
        resource: String,
        pointers: Vec<String>,
    },
    /// One case of a check finished.
    CaseFinished {
        #[expect(dead_code, reason = "emitted for reporters; none reads it yet")]
        check: CheckId,
        #[expect(dead_code, reason = "emitted for reporters; none reads it yet")]
        resource: String,
        #[expect(dead_code, reason = "emitted for reporters; none reads it yet")]
        errored: bool,
        /// Requests sent by the whole run so far.
        requests: u64,
    },
    /// A violation was found, for the first time in the run (by fingerprint and severity).
    Finding(#[expect(dead_code, reason = "emitted for reporters; none reads it yet")] Box<Finding>),
    /// A violation already reported as a [`Event::Finding`] was found again by another case.
    /// Light: no exchanges; the report counts it in the finding's `occurrences`.
    FindingAgain(
        #[expect(dead_code, reason = "emitted for reporters; none reads it yet")] Box<FindingAgain>,
    ),
    /// A check on a resource finished (or was skipped).
    CheckFinished(Box<CheckResult>),
    /// Cleanup of run-owned resources started.
    CleanupStarted { resources: usize },
    CleanupFinished(
        #[expect(dead_code, reason = "emitted for reporters; none reads it yet")] CleanupReport,
    ),
    /// The run is over; the report is complete.
    RunFinished(Box<RunReport>),
    /// One request went on the wire (any request: checks, probe, retries, cleanup), with its
    /// answer; secrets already removed. Only emitted when a reporter asked for exchanges
    /// (e.g. `--har`), from the transport, in the order answers arrive.
    Exchange(Box<WireExchange>),
}

/// Another occurrence of a finding already reported: what a reporter needs to count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FindingAgain {
    pub(crate) check: CheckId,
    pub(crate) resource: String,
    pub(crate) severity: Severity,
    /// `SCENARIO:RESOURCE:CHECK:RULE` ([`Finding::fingerprint`]).
    pub(crate) fingerprint: String,
    /// The case that found it again (1-based, within its check × resource).
    pub(crate) case: u32,
    /// The mark the finding has against the baselines.
    pub(crate) baseline: Option<BaselineMark>,
}

/// Receives events. Implementations must be cheap and must not block for long.
pub(crate) trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}
