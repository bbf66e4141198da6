//! The CI options at the edge: reading the `--baseline` file before anything is sent, writing
//! the `--write-baseline` file after the run, and printing the `--dry-run` plan.

use std::io::Write;
use std::path::Path;

use crate::cli::config::ExecutionConfig;
use crate::cli::error::CliError;
use crate::cli::transport;
use crate::model::baseline::file::{self, BaselineError};
use crate::model::baseline::{Baseline, BaselineOptions};
use crate::model::exit_code;
use crate::model::report::{CheckStatus, RunOutcome, RunReport};
use crate::runner::plan::PlannedScenario;
use crate::runner::{self, RunSettings, dry_run};

/// The baseline options of `config`: the `--baseline` file read and parsed, the
/// `--write-baseline` file's directory checked. Any problem is a usage error (exit 2).
pub(crate) fn baseline_options(config: &ExecutionConfig) -> Result<BaselineOptions, BaselineError> {
    let compare = match &config.baseline {
        Some(path) => Some((path.display().to_string(), file::read(path)?)),
        None => None,
    };
    if let Some(path) = &config.write_baseline {
        check_writable(path)?;
    }
    Ok(BaselineOptions {
        compare,
        record: config
            .write_baseline
            .as_ref()
            .map(|p| p.display().to_string()),
    })
}

/// The file's directory must exist (the file itself is written only after a complete run, so
/// an earlier baseline is never clobbered by a failed one).
fn check_writable(path: &Path) -> Result<(), BaselineError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if dir.is_dir() {
        Ok(())
    } else {
        Err(BaselineError::Write {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("directory {} does not exist", dir.display()),
            ),
        })
    }
}

/// After the run: writes the `--write-baseline` file when the run completed and every check
/// could run; says on stderr what happened.
pub(crate) fn write_baseline(
    config: &ExecutionConfig,
    report: &RunReport,
) -> Result<(), BaselineError> {
    let Some(path) = &config.write_baseline else {
        return Ok(());
    };
    if let Some(why) = incomplete(report) {
        eprintln!(
            "idemfuzz: baseline {} not written: {why}; an incomplete run would drop known findings",
            path.display()
        );
        return Ok(());
    }
    let baseline = Baseline::of_findings(&report.findings);
    file::write(path, &baseline)?;
    eprintln!(
        "idemfuzz: wrote baseline {} ({} finding(s))",
        path.display(),
        baseline.entries().len()
    );
    Ok(())
}

/// Why the run's findings are not a complete picture, if they are not.
fn incomplete(report: &RunReport) -> Option<&'static str> {
    match report.outcome {
        RunOutcome::Interrupted => Some("the run was interrupted"),
        RunOutcome::Stopped { .. } => Some("the run stopped early"),
        RunOutcome::CannotTest { .. } => Some("the target could not be tested"),
        RunOutcome::Completed
            if report
                .results
                .iter()
                .any(|r| matches!(r.status, CheckStatus::Errored { .. })) =>
        {
            Some("a check could not run a single case")
        }
        RunOutcome::Completed => report
            .inconclusive()
            .next()
            .map(|_| "a check observed nothing it judges in any case (inconclusive)"),
    }
}

/// `--dry-run`: prints the plan to `out` and sends nothing. The `--baseline` file is read
/// (so a broken one fails the preview too) and summarised, and the auth and transport options
/// are applied to the targets (so `--bearer-env` over an `Authorization` header fails it too).
pub(crate) fn dry_run(
    planned: &[PlannedScenario],
    settings: &RunSettings,
    config: &ExecutionConfig,
    note: Option<&str>,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    crate::cli::config::check_resources(&config.selection, planned)?;
    let baseline = baseline_options(config)?;
    let planned = transport::prepare_targets(planned.to_vec(), &config.transport)?;
    let plan = runner::planned_work(&planned, settings);
    let mut text = dry_run::render(&planned, settings, &plan);
    if let Some((file, known)) = &baseline.compare {
        text.push_str(&format!(
            "\nbaseline {file}: {} known finding(s) would not fail the run\n",
            known.entries().len()
        ));
    }
    if let Some(note) = note {
        text.push_str(&format!("\nnote: {note}\n"));
    }
    match super::pipe::worth_reporting(out.write_all(text.as_bytes()).and_then(|()| out.flush())) {
        None => Ok(exit_code::OK),
        Some(source) => Err(CliError::Write {
            what: "writing the plan failed".into(),
            source,
        }),
    }
}
