//! Raw command-line arguments → validated configuration. Every user mistake on the command line
//! is found here, before anything is sent, and reported as a [`ConfigError`] (exit code 2).

use std::path::PathBuf;

use crate::checks::CheckId;
use crate::cli::args::{ColorChoice, ExecutionArgs, FailOn};
use crate::env::EnvSnapshot;
use crate::findings::Severity;
use crate::fuzz::FuzzSettings;
use crate::report::Format;
use crate::report::human::HumanOptions;
use crate::runner::plan::Selection;
use crate::runner::shard::{Shard, ShardError};

/// Facts about the terminal, observed once at the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    pub stdout_is_tty: bool,
    pub stderr_is_tty: bool,
}

impl Terminal {
    /// Looks at the real standard streams.
    pub fn detect() -> Terminal {
        use std::io::IsTerminal;
        Terminal {
            stdout_is_tty: std::io::stdout().is_terminal(),
            stderr_is_tty: std::io::stderr().is_terminal(),
        }
    }
}

/// A command-line mistake.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0}")]
    UnknownCheck(String),
    #[error("unknown report format `{0}`; expected human, json or junit")]
    UnknownFormat(String),
    #[error("--report takes FORMAT:PATH (e.g. junit:results.xml), got `{0}`")]
    BadReportSpec(String),
    #[error("more than one report would go to standard output; give the others a path")]
    TwoReportsOnStdout,
    #[error("--cases must be at least 1")]
    NoCases,
    #[error("--concurrency must be at least 1")]
    NoConcurrency,
    #[error(
        "{path}: no base URL: set [target] base_url in the file, --base-url, or IDEMFUZZ_BASE_URL"
    )]
    NoBaseUrl { path: String },
    #[error("{reason}")]
    BadBaseUrl { reason: String },
    #[error("{0}")]
    UnknownBug(String),
    #[error("--time-budget: {0}")]
    BadTimeBudget(String),
    #[error("--max-steps must be at least 1")]
    NoSteps,
    #[error("`{command}` runs only the fuzz check; --checks and --skip-checks do not apply")]
    ChecksWithFuzz { command: &'static str },
    #[error("{0}")]
    BadShard(#[from] ShardError),
    #[error(
        "--write-baseline records the whole suite's findings; run it without --shard (a shard's findings are a slice)"
    )]
    ShardedBaselineRecording,
    #[error(transparent)]
    Transport(#[from] crate::cli::transport::TransportArgsError),
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

/// One report to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: Format,
    pub destination: Destination,
}

/// The validated options of `run` and `demo`.
#[derive(Debug, Clone)]
pub struct ExecutionConfig {
    pub seed: u64,
    pub cases: u32,
    pub concurrency: usize,
    pub selection: Selection,
    pub fail_on: Severity,
    pub reports: Vec<ReportSpec>,
    pub human: HumanOptions,
    /// The fuzz check's settings (`run --checks fuzz`, `fuzz`, `replay`).
    pub fuzz: FuzzSettings,
    /// `--shard I/N`.
    pub shard: Option<Shard>,
    /// `--baseline FILE` (read before anything is sent).
    pub baseline: Option<PathBuf>,
    /// `--write-baseline FILE`.
    pub write_baseline: Option<PathBuf>,
    /// `--dry-run`: print the plan, send nothing.
    pub dry_run: bool,
    /// Auth and transport options (`--rate-limit`, `--proxy`, `--har`…).
    pub transport: crate::cli::transport::TransportSettings,
    /// `--ledger-dir`; `None` for `demo` (its API ends with the run).
    pub ledger_dir: Option<PathBuf>,
}

/// Cases per check and resource when `--cases` is not given (`fuzz` has its own default).
pub const DEFAULT_CASES: u32 = 3;

/// Validates the options shared by `run` and `demo`. `random` supplies the default seed.
pub fn execution(
    args: &ExecutionArgs,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
    random: u64,
) -> Result<ExecutionConfig, ConfigError> {
    let cases = args.cases.unwrap_or(DEFAULT_CASES);
    if cases == 0 {
        return Err(ConfigError::NoCases);
    }
    if args.concurrency == 0 {
        return Err(ConfigError::NoConcurrency);
    }
    if args.write_baseline.is_some() && args.shard.is_some() {
        return Err(ConfigError::ShardedBaselineRecording);
    }
    let reports = reports(args)?;
    let human_on_stdout = reports
        .iter()
        .any(|r| r.format == Format::Human && r.destination == Destination::Stdout);
    Ok(ExecutionConfig {
        seed: args.seed.unwrap_or(random),
        cases,
        concurrency: args.concurrency,
        selection: Selection {
            only: (!args.checks.is_empty())
                .then(|| check_ids(&args.checks))
                .transpose()?,
            skip: check_ids(&args.skip_checks)?,
        },
        fail_on: match args.fail_on {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        },
        reports,
        human: HumanOptions {
            color: use_color(color, env, terminal.stdout_is_tty),
            progress: human_on_stdout
                && !args.no_progress
                && terminal.stderr_is_tty
                && env.get("CI").is_none(),
            verbose: args.verbose,
        },
        // The fuzzer's own default (50 sequences) unless --cases is given, as --help says.
        fuzz: FuzzSettings {
            generated_cases: args.cases.unwrap_or(crate::fuzz::DEFAULT_CASES),
            ..FuzzSettings::default()
        },
        shard: args.shard.as_deref().map(str::parse).transpose()?,
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        dry_run: args.dry_run,
        transport: crate::cli::transport::settings(&args.transport, env)?,
        ledger_dir: Some(ledger_dir(args.ledger_dir.as_deref(), env)),
    })
}

/// The ledger directory: `--ledger-dir`, else a non-empty `IDEMFUZZ_LEDGER_DIR`, else
/// `.idemfuzz/runs`.
pub fn ledger_dir(option: Option<&std::path::Path>, env: &EnvSnapshot) -> PathBuf {
    option.map(std::path::Path::to_path_buf).unwrap_or_else(|| {
        env.get("IDEMFUZZ_LEDGER_DIR")
            .filter(|dir| !dir.is_empty())
            .map_or_else(
                || PathBuf::from(crate::session::ledger::DEFAULT_DIR),
                PathBuf::from,
            )
    })
}

fn check_ids(names: &[String]) -> Result<Vec<CheckId>, ConfigError> {
    names
        .iter()
        .map(|name| name.trim().parse::<CheckId>())
        .collect::<Result<_, _>>()
        .map_err(|err| ConfigError::UnknownCheck(err.to_string()))
}

fn reports(args: &ExecutionArgs) -> Result<Vec<ReportSpec>, ConfigError> {
    let main = ReportSpec {
        format: parse_format(&args.format)?,
        destination: args
            .output
            .clone()
            .map_or(Destination::Stdout, Destination::File),
    };
    let mut all = vec![main];
    for spec in &args.reports {
        let (format, path) = spec
            .split_once(':')
            .filter(|(_, path)| !path.is_empty())
            .ok_or_else(|| ConfigError::BadReportSpec(spec.clone()))?;
        let destination = match path {
            "-" => Destination::Stdout,
            path => Destination::File(PathBuf::from(path)),
        };
        all.push(ReportSpec {
            format: parse_format(format)?,
            destination,
        });
    }
    if all
        .iter()
        .filter(|r| r.destination == Destination::Stdout)
        .count()
        > 1
    {
        return Err(ConfigError::TwoReportsOnStdout);
    }
    Ok(all)
}

fn parse_format(text: &str) -> Result<Format, ConfigError> {
    text.parse::<Format>()
        .map_err(|_| ConfigError::UnknownFormat(text.to_string()))
}

/// Colour: `always`, `never`, or in `auto` a terminal without NO_COLOR.
fn use_color(choice: ColorChoice, env: &EnvSnapshot, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && env.get("NO_COLOR").is_none_or(str::is_empty),
    }
}

/// The base URL a scenario runs against: the command line, then IDEMFUZZ_BASE_URL, then the
/// file. Returned without a trailing slash.
pub fn base_url(
    cli: Option<&str>,
    env: &EnvSnapshot,
    from_file: Option<&str>,
    path: &str,
) -> Result<String, ConfigError> {
    let url = cli
        .or_else(|| env.get("IDEMFUZZ_BASE_URL").filter(|v| !v.is_empty()))
        .or(from_file)
        .ok_or_else(|| ConfigError::NoBaseUrl {
            path: path.to_string(),
        })?;
    crate::scenario::check_base_url(url).map_err(|reason| ConfigError::BadBaseUrl { reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(extra: &[&str]) -> ExecutionArgs {
        let mut argv = vec!["idemfuzz", "run", "x.toml"];
        argv.extend_from_slice(extra);
        match crate::cli::args::Cli::parse_from(argv).command {
            crate::cli::args::Command::Run(run) => run.execution,
            other => panic!("expected run, got {other:?}"),
        }
    }

    fn config(extra: &[&str]) -> Result<ExecutionConfig, ConfigError> {
        execution(
            &parse(extra),
            ColorChoice::Auto,
            &EnvSnapshot::default(),
            Terminal::default(),
            7,
        )
    }

    #[test]
    fn defaults_are_one_human_report_on_stdout_and_a_random_seed() {
        let config = config(&[]).expect("valid");
        assert_eq!(config.seed, 7);
        assert_eq!(
            config.reports,
            vec![ReportSpec {
                format: Format::Human,
                destination: Destination::Stdout
            }]
        );
        assert!(!config.human.color && !config.human.progress);
    }

    #[test]
    fn several_reports_in_one_run() {
        let config =
            config(&["--report", "junit:out.xml", "--report", "json:out.json"]).expect("valid");
        assert_eq!(config.reports.len(), 3);
        assert_eq!(
            config.reports[1].destination,
            Destination::File("out.xml".into())
        );
    }

    #[test]
    fn command_line_mistakes_are_config_errors() {
        assert!(
            matches!(config(&["--checks", "repeat-pot"]), Err(ConfigError::UnknownCheck(m)) if m.contains("repeat-put"))
        );
        assert_eq!(
            config(&["--format", "xml"]).err(),
            Some(ConfigError::UnknownFormat("xml".into()))
        );
        assert_eq!(
            config(&["--report", "junit"]).err(),
            Some(ConfigError::BadReportSpec("junit".into()))
        );
        assert_eq!(
            config(&["--report", "json:-"]).err(),
            Some(ConfigError::TwoReportsOnStdout)
        );
        assert_eq!(config(&["--cases", "0"]).err(), Some(ConfigError::NoCases));
        for bad in ["0/2", "3/2", "x"] {
            assert!(
                matches!(config(&["--shard", bad]), Err(ConfigError::BadShard(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_fuzzer_keeps_its_own_default_unless_cases_is_given() {
        let default = config(&["--checks", "repeat-put,fuzz"]).expect("valid");
        assert_eq!(default.cases, DEFAULT_CASES);
        assert_eq!(default.fuzz.generated_cases, crate::fuzz::DEFAULT_CASES);
        let given = config(&["--checks", "fuzz", "--cases", "7"]).expect("valid");
        assert_eq!((given.cases, given.fuzz.generated_cases), (7, 7));
    }

    #[test]
    fn ci_options_are_carried_over() {
        let sharded =
            config(&["--shard", "2/3", "--baseline", "b.json", "--dry-run"]).expect("valid");
        assert_eq!(sharded.shard, Some(Shard { index: 2, count: 3 }));
        assert_eq!(sharded.baseline, Some(PathBuf::from("b.json")));
        assert!(sharded.dry_run);
        let recording = config(&["--write-baseline", "w.json"]).expect("valid");
        assert_eq!(recording.write_baseline, Some(PathBuf::from("w.json")));
        assert_eq!(
            config(&["--write-baseline", "w.json", "--shard", "1/2"]).err(),
            Some(ConfigError::ShardedBaselineRecording),
            "a shard's findings are not the suite's"
        );
    }

    #[test]
    fn base_url_precedence_and_validation() {
        let env = EnvSnapshot::from_pairs([("IDEMFUZZ_BASE_URL", "http://env:1")]);
        assert_eq!(
            base_url(Some("http://cli:1/"), &env, Some("http://file:1"), "f").as_deref(),
            Ok("http://cli:1")
        );
        assert_eq!(
            base_url(None, &env, Some("http://file:1"), "f").as_deref(),
            Ok("http://env:1")
        );
        let empty = EnvSnapshot::default();
        assert_eq!(
            base_url(None, &empty, Some("http://file:1"), "f").as_deref(),
            Ok("http://file:1")
        );
        assert!(matches!(
            base_url(None, &empty, None, "f"),
            Err(ConfigError::NoBaseUrl { .. })
        ));
        assert!(matches!(
            base_url(Some("ftp://x"), &empty, None, "f"),
            Err(ConfigError::BadBaseUrl { .. })
        ));
        let with_secret = base_url(Some("http://u:hunter2@h"), &empty, None, "f");
        assert!(
            matches!(&with_secret, Err(ConfigError::BadBaseUrl { reason }) if reason.contains("credentials") && !reason.contains("hunter2")),
            "{with_secret:?}"
        );
    }
}
