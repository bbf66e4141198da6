//! `merge`: reads the JSON reports of a sharded run's shards, combines them
//! ([`crate::report::merge`]) and writes the whole run's report in any format, with the whole
//! run's exit code. Reports that cannot be read or do not belong together are a usage error
//! (exit 2) and nothing is written.

use crate::cli::args::{ColorChoice, MergeArgs};
use crate::cli::commands::{open_reporters, report_write_error};
use crate::cli::config::{self, Terminal};
use crate::cli::error::CliError;
use crate::model::exit_code;
use crate::model::report::RunReport;
use crate::report::human::HumanOptions;
use crate::report::merge::{self, MergeError, Part};

/// `merge REPORT.json…`.
pub(crate) fn merge(
    args: &MergeArgs,
    color: ColorChoice,
    terminal: Terminal,
) -> Result<u8, CliError> {
    let specs = config::reports(&args.report)?;
    let merged = read(args).and_then(merge::merge)?;
    let human = HumanOptions {
        color: config::use_color(color, terminal),
        ..HumanOptions::default()
    };
    let reporters = open_reporters(&specs, &human, None, None)?;
    merge::replay(&merged, &reporters);
    report_write_error(&reporters);
    eprintln!("{}", summary(args.files.len(), &merged));
    Ok(exit_code::for_report(&merged))
}

/// Every file, read and parsed.
fn read(args: &MergeArgs) -> Result<Vec<Part>, MergeError> {
    args.files
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|err| MergeError::NotAReport {
                name: name.clone(),
                reason: err.to_string(),
            })?;
            let report = merge::parse(&name, &text)?;
            Ok(Part { name, report })
        })
        .collect()
}

/// `merge: 3 report(s) of seed 7 → one report of 27 check row(s): 2 failing finding(s)`.
fn summary(files: usize, merged: &RunReport) -> String {
    format!(
        "merge: {files} report(s) of seed {} → one report of {} check row(s): {} failing finding(s)",
        merged.seed,
        merged.results.len(),
        merged.failing_findings().count()
    )
}
