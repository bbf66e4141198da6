//! Saved failures: the minimal sequence, its relation and seeds in a small versioned JSON file
//! (default `.idemfuzz/failures/`), written after a run that found one and replayed first by
//! later `fuzz` runs and by `replay`. Reading and writing files happens at the edge (the CLI);
//! this module owns the format.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fuzz::oracle::Signature;
use crate::model::findings::Finding;
use crate::model::fuzz::ops::Repro;

/// Version of the saved-failure format; bumped on any incompatible change.
pub(crate) const SAVED_FORMAT_VERSION: u32 = 1;

/// Default directory of saved failures, relative to the working directory.
pub(crate) const DEFAULT_FAILURES_DIR: &str = ".idemfuzz/failures";

/// One saved failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedFailure {
    pub(crate) format_version: u32,
    pub(crate) tool_version: String,
    /// The scenario file, as given on the command line when the failure was found.
    pub(crate) scenario: String,
    pub(crate) resource: String,
    pub(crate) relation: String,
    pub(crate) rule: String,
    pub(crate) title: String,
    /// The run's seed and the case's seed: `--seed` with the run seed regenerates the case.
    pub(crate) seed: u64,
    pub(crate) case_seed: u64,
    pub(crate) repro: Repro,
    /// The file this was read from (not stored in the file).
    #[serde(skip)]
    pub(crate) file: String,
}

impl SavedFailure {
    /// The rule the failure broke.
    pub(crate) fn signature(&self) -> Signature {
        Signature {
            relation: self.relation.clone(),
            rule: self.rule.clone(),
        }
    }

    /// The saved form of a reproduced fuzz finding (`None` for other findings and flaky ones).
    pub(crate) fn from_finding(finding: &Finding, run_seed: u64) -> Option<SavedFailure> {
        let detail = finding.fuzz.as_deref()?;
        (!detail.flaky && detail.replayed_from.is_none()).then(|| SavedFailure {
            format_version: SAVED_FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: finding.scenario.clone(),
            resource: finding.resource.clone(),
            relation: detail.relation.clone(),
            rule: detail.rule.clone(),
            title: finding.title.clone(),
            seed: run_seed,
            case_seed: detail.case_seed,
            repro: detail.repro.clone(),
            file: String::new(),
        })
    }

    /// A file name that is stable for the same failure: scenario, resource, rule and a hash of
    /// the sequence, so saving the same minimal sequence twice keeps one file.
    pub(crate) fn file_name(&self) -> String {
        let stem = Path::new(&self.scenario)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into());
        let text = serde_json::to_string(&self.repro).unwrap_or_default();
        format!(
            "{}-{}-{}-{}-{:016x}.json",
            slug(&stem),
            slug(&self.resource),
            self.relation,
            self.rule,
            fnv(text.as_bytes())
        )
    }

    /// The file's text (pretty JSON with a trailing newline).
    pub(crate) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a saved failure; `file` is remembered for reports.
    pub(crate) fn parse(text: &str, file: &Path) -> Result<SavedFailure, SavedError> {
        let mut saved: SavedFailure =
            serde_json::from_str(text).map_err(|err| SavedError::Malformed {
                file: file.to_path_buf(),
                line: err.line(),
                reason: err.to_string(),
            })?;
        if saved.format_version != SAVED_FORMAT_VERSION {
            return Err(SavedError::Version {
                file: file.to_path_buf(),
                found: saved.format_version,
            });
        }
        saved.file = file.display().to_string();
        Ok(saved)
    }
}

/// A saved failure that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error("{}:{line}: error: not a saved idemfuzz failure: {reason}", file.display())]
    Malformed {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "{}: error: saved-failure format version {found} is not supported (this idemfuzz reads version {SAVED_FORMAT_VERSION})",
        file.display()
    )]
    Version { file: PathBuf, found: u32 },
    #[error("{}: error: cannot read: {reason}", file.display())]
    Io { file: PathBuf, reason: String },
}

/// Reads every `*.json` of a directory (sorted by name); a missing directory holds none.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<SavedFailure>, SavedError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(SavedError::Io {
                file: dir.to_path_buf(),
                reason: err.to_string(),
            });
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|path| read_file(path)).collect()
}

/// Reads one saved failure.
pub(crate) fn read_file(path: &Path) -> Result<SavedFailure, SavedError> {
    let text = std::fs::read_to_string(path).map_err(|err| SavedError::Io {
        file: path.to_path_buf(),
        reason: err.to_string(),
    })?;
    SavedFailure::parse(&text, path)
}

/// Lower-case letters, digits and dashes.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fuzz::ops::{Op, Relation};

    fn saved() -> SavedFailure {
        SavedFailure {
            format_version: SAVED_FORMAT_VERSION,
            tool_version: "0.1.0".into(),
            scenario: "scenarios/demo.toml".into(),
            resource: "things".into(),
            relation: "per-step".into(),
            rule: "put-replaces".into(),
            title: "PUT merged".into(),
            seed: 7,
            case_seed: 99,
            repro: Repro {
                steps: vec![Op::Delete { slot: 0 }],
                relation: Relation::PerStep,
            },
            file: String::new(),
        }
    }

    #[test]
    fn round_trips_and_names_files_stably() {
        let original = saved();
        let back = SavedFailure::parse(&original.to_text(), Path::new("x.json")).expect("parse");
        assert_eq!(back.repro, original.repro);
        assert_eq!(back.file, "x.json");
        let name = original.file_name();
        assert!(
            name.starts_with("demo-things-per-step-put-replaces-"),
            "{name}"
        );
        assert_eq!(name, back.file_name());
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let err = SavedFailure::parse("{\n  \"format_version\": 1,\n  oops", Path::new("f.json"))
            .expect_err("malformed");
        assert!(err.to_string().starts_with("f.json:3: error:"), "{err}");
        let mut future = saved();
        future.format_version = 99;
        let err = SavedFailure::parse(&future.to_text(), Path::new("g.json")).expect_err("version");
        assert!(err.to_string().contains("version 99"), "{err}");
        assert!(
            read_dir(Path::new("/nonexistent/idemfuzz"))
                .expect("missing dir")
                .is_empty()
        );
    }
}
