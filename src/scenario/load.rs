//! Reading scenario files and directories.

use std::fs;
use std::path::{Path, PathBuf};

use crate::env::EnvSnapshot;
use crate::scenario::model::ScenarioDoc;
use crate::scenario::validate::{Ctx, validate};
use crate::scenario::{Scenario, ScenarioError};

/// Loads every scenario the paths name: a file must end in `.toml`; a directory means all its
/// `*.toml` files (not recursive), in name order.
pub fn load_paths(paths: &[PathBuf], env: &EnvSnapshot) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios = Vec::new();
    for path in paths {
        for file in scenario_files(path)? {
            scenarios.push(load_file(&file, env)?);
        }
    }
    Ok(scenarios)
}

/// Parses and validates one scenario file's text; `path` is used in messages.
pub fn load_str(path: &Path, text: &str, env: &EnvSnapshot) -> Result<Scenario, ScenarioError> {
    let doc: ScenarioDoc =
        toml::from_str(text).map_err(|err| ScenarioError::toml(path, text, &err))?;
    validate(Ctx::new(path, text), doc, env)
}

fn load_file(path: &Path, env: &EnvSnapshot) -> Result<Scenario, ScenarioError> {
    let text = fs::read_to_string(path).map_err(|source| io_error(path, source))?;
    load_str(path, &text, env)
}

/// The files a path stands for.
fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let metadata = fs::metadata(path).map_err(|source| io_error(path, source))?;
    if metadata.is_dir() {
        return directory_files(path);
    }
    if !is_toml(path) {
        return Err(ScenarioError::UnsupportedExtension {
            path: path.to_path_buf(),
        });
    }
    Ok(vec![path.to_path_buf()])
}

fn directory_files(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|source| io_error(dir, source))? {
        let path = entry.map_err(|source| io_error(dir, source))?.path();
        if is_toml(&path) && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ScenarioError::NoScenarioFiles {
            path: dir.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

fn is_toml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("toml"))
}

fn io_error(path: &Path, source: std::io::Error) -> ScenarioError {
    ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "reach_load_tests.rs"]
mod reach_tests;
