//! The data of fuzz findings: the minimal reproduction and how it was reached (`FuzzDetail`),
//! the two runs of a relation side by side, and the vocabulary of sequences ([`ops`]).

pub mod ops;

use serde::{Deserialize, Serialize};

use ops::Repro;

/// What a fuzz finding carries besides the usual finding fields: the minimal reproduction and
/// how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FuzzDetail {
    /// `per-step`, `duplicate-idempotent` or `insert-safe`.
    pub(crate) relation: String,
    /// The rule within the relation, e.g. `put-replaces`, `final-state`, `answers`.
    pub(crate) rule: String,
    /// The case's seed (derived from the run's seed).
    pub(crate) case_seed: u64,
    /// The minimal sequence and its relation, exactly as `replay` re-executes it.
    pub(crate) repro: Repro,
    /// Steps of the executed sequence that broke the rule (the base sequence, or its variant
    /// for a per-step rule broken in the variant).
    pub(crate) failing_len: usize,
    /// Steps of the sequence as first generated, before shrinking.
    pub(crate) original_steps: usize,
    /// Executions spent shrinking (each against the live target, on fresh ids).
    pub(crate) shrink_runs: u32,
    /// Why shrinking stopped early, when it did (the sequence may then not be minimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shrink_stopped: Option<String>,
    /// The two runs' answers side by side (relations only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) side_by_side: Vec<SideBySide>,
    /// True when the failure did not reproduce on a second execution.
    pub(crate) flaky: bool,
    /// The saved-failure file this finding was replayed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replayed_from: Option<String>,
    /// Requests the whole run had sent when the failing sequence first failed (before it was
    /// confirmed and shrunk): the detection cost.
    #[serde(default)]
    pub(crate) detected_after_requests: u64,
    /// Milliseconds since the run started when the failing sequence first failed.
    #[serde(default)]
    pub(crate) detected_after_ms: u64,
}

/// One row of the side-by-side view of a relation: a step and what each run answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SideBySide {
    pub(crate) step: String,
    /// The base run's status; `None` for the variant's extra step.
    pub(crate) base: Option<u16>,
    pub(crate) variant: Option<u16>,
}
