//! What the fit probe told about a resource before the checks: one line per observation,
//! whether the scenario and the API agree on it, for the reports.

use serde::{Deserialize, Serialize};

/// The fit probe's block for one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FitReport {
    /// The scenario file the resource comes from.
    pub(crate) scenario: String,
    pub(crate) resource: String,
    /// One line per observation, in the probe's order.
    pub(crate) lines: Vec<FitLine>,
}

impl FitReport {
    /// True when the scenario and the API disagree on something.
    pub(crate) fn disagrees(&self) -> bool {
        self.lines.iter().any(|line| !line.agrees)
    }
}

/// One observation of the fit probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FitLine {
    /// Whether what the API did is what the scenario (and the checks) expect.
    pub(crate) agrees: bool,
    /// What was sent and seen, and what follows from it (one line).
    pub(crate) text: String,
}

impl FitLine {
    pub(crate) fn agree(text: impl Into<String>) -> FitLine {
        FitLine {
            agrees: true,
            text: text.into(),
        }
    }

    pub(crate) fn disagree(text: impl Into<String>) -> FitLine {
        FitLine {
            agrees: false,
            text: text.into(),
        }
    }
}
