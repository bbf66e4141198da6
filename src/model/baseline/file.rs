//! The baseline file: versioned JSON listing known findings by fingerprint, sorted, with the
//! check, rule, severity and title for people reading it. No seed, id or timestamp, so it only
//! changes when the findings do and diffs well under version control. Format in `docs/ci.md`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Baseline, BaselineEntry};

/// Version of the baseline file format; bumped on any incompatible change.
pub(crate) const BASELINE_FORMAT_VERSION: u32 = 1;

/// A baseline file that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: error: not a valid baseline file: {message}")]
    Malformed {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: error: baseline format_version {found} is not supported; this idemfuzz reads version {BASELINE_FORMAT_VERSION}"
    )]
    Version { path: String, found: u32 },
    #[error("cannot write the baseline file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The file's shape.
#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    format_version: u32,
    findings: Vec<BaselineEntry>,
}

/// Parses a baseline file's text; `path` names it in errors.
pub(crate) fn parse(path: &str, text: &str) -> Result<Baseline, BaselineError> {
    let file: BaselineFile =
        serde_json::from_str(text).map_err(|err| BaselineError::Malformed {
            path: path.to_string(),
            line: err.line(),
            column: err.column(),
            message: strip_position(&err.to_string()),
        })?;
    if file.format_version != BASELINE_FORMAT_VERSION {
        return Err(BaselineError::Version {
            path: path.to_string(),
            found: file.format_version,
        });
    }
    Ok(Baseline::new(file.findings))
}

/// serde_json appends ` at line L column C`, which the error already leads with.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Reads and parses the baseline file at `path`.
pub(crate) fn read(path: &Path) -> Result<Baseline, BaselineError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: name.clone(),
        source,
    })?;
    parse(&name, &text)
}

/// The text of a baseline file (pretty JSON, trailing newline).
pub(crate) fn render(baseline: &Baseline) -> String {
    let file = BaselineFile {
        format_version: BASELINE_FORMAT_VERSION,
        findings: baseline.entries().to_vec(),
    };
    // Serialising plain structs of strings cannot fail.
    let mut text = serde_json::to_string_pretty(&file).expect("the baseline serialises");
    text.push('\n');
    text
}

/// Writes `baseline` to `path`.
pub(crate) fn write(path: &Path, baseline: &Baseline) -> Result<(), BaselineError> {
    std::fs::write(path, render(baseline)).map_err(|source| BaselineError::Write {
        path: path.display().to_string(),
        source,
    })
}
