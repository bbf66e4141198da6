//! Stateful sequence fuzzing: generated request sequences over run-owned resources, judged by
//! per-step oracles and metamorphic relations (a repeated idempotent request, an inserted safe
//! request), shrunk with proptest to a minimal reproduction, saved and replayable.
//!
//! Data flows as everywhere else: [`strategy`] generates a case, [`execute`] runs it through the
//! session, [`oracle`] judges the records (pure), [`engine`] drives confirmation and shrinking,
//! and [`saved`] owns the saved-failure format. The vocabulary of sequences (operations,
//! relations, reproductions) is data, in [`crate::model::fuzz`].

pub(crate) mod engine;
pub(crate) mod execute;
pub(crate) mod oracle;
pub(crate) mod resolve;
pub(crate) mod saved;
pub(crate) mod strategy;

use std::time::Instant;

use saved::SavedFailure;

/// Default number of generated sequences per resource for `idemfuzz fuzz` and the `fuzz` check.
pub(crate) const DEFAULT_CASES: u32 = 50;
/// Default maximum number of steps of a generated sequence.
pub(crate) const DEFAULT_MAX_STEPS: usize = 10;
/// Default cap on shrink executions per failure.
pub(crate) const DEFAULT_MAX_SHRINK_RUNS: u32 = 400;

/// How the fuzz check runs, validated by the caller.
#[derive(Debug, Clone)]
pub(crate) struct FuzzSettings {
    pub(crate) max_steps: usize,
    pub(crate) max_shrink_runs: u32,
    /// Saved failures to replay first (matched to resources by scenario path and name).
    pub(crate) replays: Vec<SavedFailure>,
    /// Generated cases per resource (0 with `replay`: only the saved failures run).
    pub(crate) generated_cases: u32,
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
    pub(crate) fn replays_for(&self, scenario: &str, resource: &str) -> Vec<&SavedFailure> {
        self.replays
            .iter()
            .filter(|saved| saved.scenario == scenario && saved.resource == resource)
            .collect()
    }
}

/// The per-case limits the engine obeys.
#[derive(Debug, Clone)]
pub(crate) struct FuzzLimits {
    pub(crate) shape: strategy::Shape,
    pub(crate) max_shrink_runs: u32,
    pub(crate) deadline: Option<Instant>,
}
