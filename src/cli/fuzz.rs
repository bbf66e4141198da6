//! `fuzz` and `replay`: the sequence fuzzer's subcommands. They read saved failures before the
//! run and write new ones after it (files are the edge's business; the core only returns
//! data), and otherwise run like `run`, with only the fuzz check selected.

use std::path::Path;

use crate::checks;
use crate::cli::args::{ColorChoice, ExecutionArgs, FuzzArgs, ReplayArgs};
use crate::cli::commands::{execute, plan, random_u64};
use crate::cli::config::{self, ConfigError, ExecutionConfig, Terminal};
use crate::cli::error::CliError;
use crate::env::EnvSnapshot;
use crate::fuzz::FuzzSettings;
use crate::fuzz::saved::{self, SavedFailure};
use crate::model::check::CheckId;
use crate::model::exit_code;
use crate::model::report::RunReport;
use crate::runner::plan::Selection;
use crate::scenario;

/// `fuzz`: replay saved failures, generate and shrink new ones, save them.
pub(crate) fn fuzz(
    args: &FuzzArgs,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
) -> Result<u8, CliError> {
    let mut config = fuzz_config(args, color, env, terminal)?;
    let scenarios = crate::cli::input::load_scenarios(&args.paths, env)?;
    if !args.no_saved_failures {
        config.fuzz.replays = relevant(saved::read_dir(&args.failures_dir)?, &scenarios);
    }
    let replayed = config.fuzz.replays.len();
    let planned = plan(scenarios, args.base_url.as_deref())?;
    if replayed > 0 {
        eprintln!(
            "fuzz: replaying {replayed} saved failure(s) from {} first",
            args.failures_dir.display()
        );
    }
    let report = execute(&planned, &config)?;
    if !args.no_saved_failures {
        save_failures(&report, &args.failures_dir);
    }
    Ok(exit_code::for_report(&report))
}

/// The validated configuration of `fuzz`: only the fuzz check, its own defaults.
fn fuzz_config(
    args: &FuzzArgs,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
) -> Result<ExecutionConfig, ConfigError> {
    let mut config = fuzz_only(&args.execution, "fuzz", color, env, terminal)?;
    if args.max_steps == 0 {
        return Err(ConfigError::NoSteps);
    }
    // The number of sequences (`--cases`, or the fuzzer's default) is set by the shared
    // options already.
    config.fuzz = FuzzSettings {
        max_steps: args.max_steps,
        max_shrink_runs: args.max_shrink_runs,
        ..config.fuzz
    };
    Ok(config)
}

/// The shared options, with the selection fixed to the fuzz check.
fn fuzz_only(
    args: &ExecutionArgs,
    command: &'static str,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
) -> Result<ExecutionConfig, ConfigError> {
    if !args.checks.is_empty() || !args.skip_checks.is_empty() {
        return Err(ConfigError::ChecksWithFuzz { command });
    }
    let mut config = config::execution(args, color, env, terminal, random_u64())?;
    config.selection = Selection {
        only: Some(vec![CheckId::Fuzz]),
        skip: Vec::new(),
        ..config.selection
    };
    Ok(config)
}

/// The saved failures that belong to one of the loaded scenarios.
fn relevant(all: Vec<SavedFailure>, scenarios: &[scenario::Scenario]) -> Vec<SavedFailure> {
    let paths: Vec<String> = scenarios
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    all.into_iter()
        .filter(|saved| paths.contains(&saved.scenario))
        .collect()
}

/// Writes every new, reproduced fuzz failure of the report; says where on stderr.
fn save_failures(report: &RunReport, dir: &Path) {
    let failures: Vec<SavedFailure> = report
        .findings
        .iter()
        .filter_map(|finding| SavedFailure::from_finding(finding, report.seed))
        .collect();
    if failures.is_empty() {
        return;
    }
    if let Err(err) = std::fs::create_dir_all(dir) {
        eprintln!(
            "idemfuzz: error: cannot create {} to save failures: {err}",
            dir.display()
        );
        return;
    }
    for failure in failures {
        let path = dir.join(failure.file_name());
        match std::fs::write(&path, failure.to_text()) {
            Ok(()) => eprintln!(
                "fuzz: saved failure {} (replay: idemfuzz replay {} --base-url URL)",
                path.display(),
                path.display()
            ),
            Err(err) => eprintln!("idemfuzz: error: cannot write {}: {err}", path.display()),
        }
    }
}

/// `replay`: re-execute saved failures exactly.
pub(crate) fn replay(
    args: &ReplayArgs,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
) -> Result<u8, CliError> {
    let mut config = fuzz_only(&args.execution, "replay", color, env, terminal)?;
    let failures = args
        .files
        .iter()
        .map(|file| saved::read_file(file))
        .collect::<Result<Vec<_>, _>>()?;
    let (scenarios, failures) = replay_scenarios(args, failures, env)?;
    config.fuzz = FuzzSettings {
        replays: failures,
        generated_cases: 0,
        ..FuzzSettings::default()
    };
    let planned = plan(scenarios, args.base_url.as_deref())?;
    let report = execute(&planned, &config)?;
    Ok(exit_code::for_report(&report))
}

/// Loads the scenario every failure names (or `--scenario` for all of them); failures are
/// re-pointed at the loaded scenario's path so that they match its resources.
fn replay_scenarios(
    args: &ReplayArgs,
    failures: Vec<SavedFailure>,
    env: &EnvSnapshot,
) -> Result<(Vec<scenario::Scenario>, Vec<SavedFailure>), CliError> {
    let mut paths: Vec<std::path::PathBuf> = match &args.scenario {
        Some(path) => vec![path.clone()],
        None => failures.iter().map(|f| f.scenario.clone().into()).collect(),
    };
    paths.sort();
    paths.dedup();
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(CliError::ReplayScenarioMissing {
            path: missing.clone(),
        });
    }
    let scenarios = checks::load::load_paths(&paths, env)?;
    let failures = match &args.scenario {
        Some(path) => failures
            .into_iter()
            .map(|f| SavedFailure {
                scenario: path.display().to_string(),
                ..f
            })
            .collect(),
        None => failures,
    };
    for failure in &failures {
        let known = scenarios.iter().any(|s| {
            s.path.display().to_string() == failure.scenario
                && s.resources.iter().any(|r| r.name == failure.resource)
        });
        if !known {
            return Err(CliError::ReplayUnknownResource {
                file: failure.file.clone(),
                scenario: failure.scenario.clone(),
                resource: failure.resource.clone(),
            });
        }
    }
    Ok((scenarios, failures))
}
