//! Reading scenario files and directories.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::DeTable;

use crate::env::EnvSnapshot;
use crate::scenario::model::ScenarioDoc;
use crate::scenario::validate::{Ctx, validate};
use crate::scenario::{CheckOptions, Scenario, ScenarioError};

/// Loads every scenario the paths name: a file must end in `.toml`; a directory means all its
/// `*.toml` files (not recursive), in name order. Each check's options are left to the checks
/// (`crate::checks::load` validates them too).
pub(crate) fn load_paths(
    paths: &[PathBuf],
    env: &EnvSnapshot,
) -> Result<Vec<Scenario>, ScenarioError> {
    load_paths_with(paths, env, |_| Ok(()))
}

/// [`load_paths`], with `check` validating what the scenario layer leaves to others (each
/// check's options: `crate::checks::load`) file by file, so the error reported is the first
/// file's.
pub(crate) fn load_paths_with(
    paths: &[PathBuf],
    env: &EnvSnapshot,
    check: impl Fn(&Scenario) -> Result<(), ScenarioError>,
) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios = Vec::new();
    for path in paths {
        for file in scenario_files(path)? {
            let scenario = load_file(&file, env)?;
            check(&scenario)?;
            scenarios.push(scenario);
        }
    }
    Ok(scenarios)
}

/// Parses and validates one scenario file's text; `path` is used in messages.
pub(crate) fn load_str(
    path: &Path,
    text: &str,
    env: &EnvSnapshot,
) -> Result<Scenario, ScenarioError> {
    let toml_error = |err| ScenarioError::toml(path, text, &err);
    let root = DeTable::parse(text).map_err(toml_error)?;
    let check_options = CheckOptions::of_file(path, text, root.get_ref());
    let doc = ScenarioDoc::deserialize(toml::de::Deserializer::from(root)).map_err(toml_error)?;
    validate(Ctx::new(path, text), doc, check_options, env)
}

fn load_file(path: &Path, env: &EnvSnapshot) -> Result<Scenario, ScenarioError> {
    let bytes = fs::read(path).map_err(|source| io_error(path, source))?;
    let text = utf8(path, bytes)?;
    load_str(path, &text, env)
}

/// The file's text, or an error located at its first byte that is not UTF-8.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let byte = err.as_bytes().get(at).copied().unwrap_or_default();
        let text = String::from_utf8_lossy(err.as_bytes());
        ScenarioError::invalid(
            path,
            &text,
            at..at + 1,
            format!("the file is not valid UTF-8: byte 0x{byte:02x} cannot start a character here; scenario files are UTF-8 text"),
        )
    })
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
