//! Reading scenario files and directories.
// STUB: owned by the scenario helper.

use std::path::{Path, PathBuf};

use crate::env::EnvSnapshot;
use crate::scenario::{Scenario, ScenarioError};

pub fn load_paths(paths: &[PathBuf], env: &EnvSnapshot) -> Result<Vec<Scenario>, ScenarioError> {
    let _ = (paths, env);
    todo!()
}

pub fn load_str(path: &Path, text: &str, env: &EnvSnapshot) -> Result<Scenario, ScenarioError> {
    let _ = (path, text, env);
    todo!()
}
