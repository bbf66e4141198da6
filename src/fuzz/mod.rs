//! Stateful sequence fuzzing: generated request sequences over run-owned resources, judged by
//! per-step oracles and metamorphic relations (a repeated idempotent request, an inserted safe
//! request), shrunk with proptest to a minimal reproduction, saved and replayable.
//!
//! Data flows as everywhere else: [`strategy`] generates a case, [`execute`] runs it through the
//! session, [`oracle`] judges the records (pure), [`engine`] drives confirmation and shrinking,
//! and [`saved`] owns the saved-failure format.

pub mod engine;
pub mod execute;
pub mod ops;
pub mod oracle;
pub mod resolve;
pub mod saved;
pub mod strategy;

use std::time::Instant;

use serde::{Deserialize, Serialize};

use ops::Repro;
use oracle::SideBySide;
use saved::SavedFailure;

/// Default number of generated sequences per resource for `idemfuzz fuzz` and the `fuzz` check.
pub const DEFAULT_CASES: u32 = 50;
/// Default maximum number of steps of a generated sequence.
pub const DEFAULT_MAX_STEPS: usize = 10;
/// Default cap on shrink executions per failure.
pub const DEFAULT_MAX_SHRINK_RUNS: u32 = 400;

/// How the fuzz check runs, validated by the caller.
#[derive(Debug, Clone)]
pub struct FuzzSettings {
    pub max_steps: usize,
    pub max_shrink_runs: u32,
    /// Saved failures to replay first (matched to resources by scenario path and name).
    pub replays: Vec<SavedFailure>,
    /// Generated cases per resource (0 with `replay`: only the saved failures run).
    pub generated_cases: u32,
}

impl Default for FuzzSettings {
    fn default() -> Self {
        FuzzSettings {
            max_steps: DEFAULT_MAX_STEPS,
            max_shrink_runs: DEFAULT_MAX_SHRINK_RUNS,
            replays: Vec::new(),
            generated_cases: DEFAULT_CASES,
        }
    }
}

impl FuzzSettings {
    /// The saved failures of one resource of one scenario file.
    pub fn replays_for(&self, scenario: &str, resource: &str) -> Vec<&SavedFailure> {
        self.replays
            .iter()
            .filter(|saved| saved.scenario == scenario && saved.resource == resource)
            .collect()
    }
}

/// The per-case limits the engine obeys.
#[derive(Debug, Clone)]
pub struct FuzzLimits {
    pub shape: strategy::Shape,
    pub max_shrink_runs: u32,
    pub deadline: Option<Instant>,
}

/// What a fuzz finding carries besides the usual finding fields: the minimal reproduction and
/// how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuzzDetail {
    /// `per-step`, `duplicate-idempotent` or `insert-safe`.
    pub relation: String,
    /// The rule within the relation, e.g. `put-replaces`, `final-state`, `answers`.
    pub rule: String,
    /// The case's seed (derived from the run's seed).
    pub case_seed: u64,
    /// The minimal sequence and its relation, exactly as `replay` re-executes it.
    pub repro: Repro,
    /// Steps of the executed sequence that broke the rule (the base sequence, or its variant
    /// for a per-step rule broken in the variant).
    pub failing_len: usize,
    /// Steps of the sequence as first generated, before shrinking.
    pub original_steps: usize,
    /// Executions spent shrinking (each against the live target, on fresh ids).
    pub shrink_runs: u32,
    /// Why shrinking stopped early, when it did (the sequence may then not be minimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink_stopped: Option<String>,
    /// The two runs' answers side by side (relations only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub side_by_side: Vec<SideBySide>,
    /// True when the failure did not reproduce on a second execution.
    pub flaky: bool,
    /// The saved-failure file this finding was replayed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_from: Option<String>,
    /// Requests the whole run had sent when the failing sequence first failed (before it was
    /// confirmed and shrunk): the detection cost.
    #[serde(default)]
    pub detected_after_requests: u64,
    /// Milliseconds since the run started when the failing sequence first failed.
    #[serde(default)]
    pub detected_after_ms: u64,
}
