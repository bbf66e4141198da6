//! Loading scenarios whole: the scenario layer's loading, then each check's reading of its own
//! options tables, so that every error of a file — options included — is reported, located,
//! before anything runs. Everything that runs scenarios loads them here.

use std::path::{Path, PathBuf};

use crate::checks::table;
use crate::env::EnvSnapshot;
use crate::scenario::{self, Scenario, ScenarioError};

/// Loads and validates every scenario the paths name (see [`scenario::load_paths`]).
pub(crate) fn load_paths(
    paths: &[PathBuf],
    env: &EnvSnapshot,
) -> Result<Vec<Scenario>, ScenarioError> {
    scenario::load_paths_with(paths, env, table::validate)
}

/// Loads and validates one scenario file's text; `path` is used in messages.
pub fn load_str(path: &Path, text: &str, env: &EnvSnapshot) -> Result<Scenario, ScenarioError> {
    let scenario = scenario::load_str(path, text, env)?;
    table::validate(&scenario)?;
    Ok(scenario)
}
