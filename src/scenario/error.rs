//! Scenario loading errors, located at file:line:col and rendered once, rustc-style.
// STUB: owned by the scenario helper.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: {message}")]
    Other { path: PathBuf, message: String },
}
