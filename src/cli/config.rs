//! Raw command-line arguments → validated configuration. Every user mistake on the command line
//! is found here, before anything is sent, and reported as a [`ConfigError`] (exit code 2).

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::args::{ColorChoice, ExecutionArgs, FailOn, ReportArgs};
use crate::env::EnvSnapshot;
use crate::fuzz::FuzzSettings;
use crate::model::check::CheckId;
use crate::model::findings::Severity;
use crate::model::shard::{Shard, ShardError};
use crate::report::Format;
use crate::report::human::HumanOptions;
use crate::report::text;
use crate::runner::RunLimits;
use crate::runner::plan::{PlannedScenario, Selection};

/// Facts about the terminal, observed once at the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    pub(crate) stdout_is_tty: bool,
    pub(crate) stderr_is_tty: bool,
    /// Whether `--color auto` colours standard output: the common conventions as anstream
    /// reads them — never with a non-empty `NO_COLOR`, always with a non-empty
    /// `CLICOLOR_FORCE`, never with `CLICOLOR=0`, else on a terminal whose `TERM` is set and
    /// not `dumb`.
    pub(crate) stdout_color: bool,
    /// Columns of the terminal standard output is, when it is one.
    pub(crate) stdout_columns: Option<usize>,
}

impl Terminal {
    /// Looks at the real standard streams (and the colour variables, through anstream).
    pub fn detect() -> Terminal {
        use std::io::IsTerminal;
        let stdout = std::io::stdout();
        let stdout_is_tty = stdout.is_terminal();
        Terminal {
            stdout_is_tty,
            stderr_is_tty: std::io::stderr().is_terminal(),
            stdout_color: anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never,
            stdout_columns: stdout_is_tty
                .then(|| terminal_size::terminal_size_of(std::io::stdout()))
                .flatten()
                .map(|(width, _)| usize::from(width.0)),
        }
    }

    /// The width of the human report on standard output: `COLUMNS` when set to a number, else
    /// the terminal's, else [`text::DEFAULT_WIDTH`] when it is not a terminal; never less than
    /// [`text::MIN_WIDTH`].
    pub(crate) fn report_width(self, env: &EnvSnapshot) -> usize {
        let columns = env
            .get("COLUMNS")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .or(self.stdout_columns.filter(|_| self.stdout_is_tty));
        columns.map_or(text::DEFAULT_WIDTH, |c| c.max(text::MIN_WIDTH))
    }
}

/// A command-line mistake.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `--checks`/`--skip-checks` named no known check (the message says which).
    #[error("{0}")]
    UnknownCheck(String),
    /// `--format` or `--report` named an unknown format.
    #[error("unknown report format `{0}`; expected human, json, junit or html")]
    UnknownFormat(String),
    /// A `--report` value is not `FORMAT:PATH`.
    #[error("--report takes FORMAT:PATH (e.g. junit:results.xml), got `{0}`")]
    BadReportSpec(String),
    /// Two reports would both be written to standard output.
    #[error("more than one report would go to standard output; give the others a path")]
    TwoReportsOnStdout,
    /// `--cases 0`.
    #[error("--cases must be at least 1")]
    NoCases,
    /// `--concurrency 0`.
    #[error("--concurrency must be at least 1")]
    NoConcurrency,
    /// A scenario file has no base URL from the file, the flag or the environment.
    #[error(
        "{path}: no base URL: set [target] base_url in the file, --base-url, or IDEMFUZZ_BASE_URL"
    )]
    NoBaseUrl {
        /// The scenario file.
        path: String,
    },
    /// The base URL given is not usable.
    #[error(transparent)]
    BadBaseUrl(#[from] crate::scenario::BaseUrlError),
    /// `--bug` named no bug of the demo API.
    #[error("{0}")]
    UnknownBug(String),
    /// `--time-budget` is not a duration.
    #[error("--time-budget: {0}")]
    BadTimeBudget(String),
    /// `--max-steps 0`.
    #[error("--max-steps must be at least 1")]
    NoSteps,
    /// `--checks` or `--skip-checks` given to a command that runs only the fuzz check.
    #[error("`{command}` runs only the fuzz check; --checks and --skip-checks do not apply")]
    ChecksWithFuzz {
        /// The command (`fuzz`, `replay`).
        command: &'static str,
    },
    /// `--shard` is not `I/N` with 1 ≤ I ≤ N.
    #[error("{0}")]
    BadShard(#[from] ShardError),
    /// `--write-baseline` with `--shard`.
    #[error(
        "--write-baseline records the whole suite's findings; run it without --shard (a shard's findings are a slice)"
    )]
    ShardedBaselineRecording,
    /// A transport flag (timeouts, rate, proxy, TLS) is not usable.
    #[error(transparent)]
    Transport(#[from] crate::cli::transport::TransportArgsError),
    /// `--resources` named a resource no scenario file defines.
    #[error("unknown resource `{name}` (--resources); the scenario files define: {known}")]
    UnknownResource {
        /// The name given.
        name: String,
        /// The resources the files define, comma-separated.
        known: String,
    },
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Stdout,
    File(PathBuf),
}

/// One report to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportSpec {
    pub(crate) format: Format,
    pub(crate) destination: Destination,
}

/// The validated options of `run` and `demo`.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionConfig {
    pub(crate) seed: u64,
    pub(crate) cases: u32,
    pub(crate) concurrency: usize,
    pub(crate) selection: Selection,
    pub(crate) fail_on: Severity,
    pub(crate) reports: Vec<ReportSpec>,
    pub(crate) human: HumanOptions,
    /// `--repro-dir DIR`: each finding's curl script is written there.
    pub(crate) repro_dir: Option<PathBuf>,
    /// The fuzz check's settings (`run --checks fuzz`, `fuzz`, `replay`).
    pub(crate) fuzz: FuzzSettings,
    /// `--shard I/N`.
    pub(crate) shard: Option<Shard>,
    /// `--baseline FILE` (read before anything is sent).
    pub(crate) baseline: Option<PathBuf>,
    /// `--write-baseline FILE`.
    pub(crate) write_baseline: Option<PathBuf>,
    /// `--dry-run`: print the plan, send nothing.
    pub(crate) dry_run: bool,
    /// Auth and transport options (`--rate-limit`, `--proxy`, `--har`…).
    pub(crate) transport: crate::cli::transport::TransportSettings,
    /// `--max-failures`, `--time-budget`.
    pub(crate) limits: RunLimits,
    /// `--ledger-dir`; `None` for `demo` (its API ends with the run).
    pub(crate) ledger_dir: Option<PathBuf>,
}

/// Cases per check and resource when `--cases` is not given (`fuzz` has its own default).
pub(crate) const DEFAULT_CASES: u32 = 3;

/// Validates the options shared by `run` and `demo`. `random` supplies the default seed.
pub(crate) fn execution(
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
    let reports = reports(&args.report)?;
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
            resources: (!args.resources.is_empty()).then(|| {
                args.resources
                    .iter()
                    .map(|name| name.trim().to_owned())
                    .collect()
            }),
        },
        fail_on: match args.fail_on {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        },
        reports,
        human: HumanOptions {
            color: use_color(color, terminal),
            progress: human_on_stdout
                && !args.no_progress
                && terminal.stderr_is_tty
                && env.get("CI").is_none()
                && env.get("TERM") != Some("dumb"),
            verbose: args.verbose,
            width: terminal.report_width(env),
            repro_dir: args.repro_dir.as_ref().map(|dir| dir.display().to_string()),
            expectation: Default::default(),
        },
        repro_dir: args.repro_dir.clone(),
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
        limits: RunLimits {
            max_failures: args.max_failures,
            time_budget: args.time_budget.as_deref().map(parse_budget).transpose()?,
        },
        ledger_dir: Some(ledger_dir(args.ledger_dir.as_deref(), env)),
    })
}

/// The ledger directory: `--ledger-dir`, else a non-empty `IDEMFUZZ_LEDGER_DIR`, else
/// `.idemfuzz/runs`.
pub(crate) fn ledger_dir(option: Option<&std::path::Path>, env: &EnvSnapshot) -> PathBuf {
    option.map(std::path::Path::to_path_buf).unwrap_or_else(|| {
        env.get("IDEMFUZZ_LEDGER_DIR")
            .filter(|dir| !dir.is_empty())
            .map_or_else(
                || PathBuf::from(crate::session::ledger::DEFAULT_DIR),
                PathBuf::from,
            )
    })
}

/// `60s`, `5m`, `1h 30m` (humantime); zero is refused.
fn parse_budget(text: &str) -> Result<Duration, ConfigError> {
    match humantime::parse_duration(text) {
        Ok(budget) if !budget.is_zero() => Ok(budget),
        Ok(_) => Err(ConfigError::BadTimeBudget("must be more than zero".into())),
        Err(err) => Err(ConfigError::BadTimeBudget(format!(
            "`{text}` is not a duration such as 60s or 5m ({err})"
        ))),
    }
}

/// Every `--resources` name must name a resource of the scenarios (exit 2 otherwise).
pub(crate) fn check_resources(
    selection: &Selection,
    planned: &[PlannedScenario],
) -> Result<(), ConfigError> {
    let known: Vec<&str> = planned
        .iter()
        .flat_map(|p| p.scenario.resources.iter().map(|r| r.name.as_str()))
        .collect();
    let wanted = selection.resources.iter().flatten();
    match wanted
        .into_iter()
        .find(|name| !known.contains(&name.as_str()))
    {
        Some(name) => {
            let mut known = known;
            known.sort_unstable();
            known.dedup();
            Err(ConfigError::UnknownResource {
                name: name.clone(),
                known: known.join(", "),
            })
        }
        None => Ok(()),
    }
}

fn check_ids(names: &[String]) -> Result<Vec<CheckId>, ConfigError> {
    names
        .iter()
        .map(|name| name.trim().parse::<CheckId>())
        .collect::<Result<_, _>>()
        .map_err(|err| ConfigError::UnknownCheck(err.to_string()))
}

/// The reports `--format`, `--output` and `--report` ask for; at most one on standard output.
pub(crate) fn reports(args: &ReportArgs) -> Result<Vec<ReportSpec>, ConfigError> {
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

/// Colour: `always`, `never`, or in `auto` what the terminal conventions say.
pub(crate) fn use_color(choice: ColorChoice, terminal: Terminal) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal.stdout_color,
    }
}

/// The base URL a scenario runs against: the command line's (`--base-url`, or clap's
/// `IDEMFUZZ_BASE_URL`), then the file's. Returned without a trailing slash.
pub(crate) fn base_url(
    cli: Option<&str>,
    from_file: Option<&str>,
    path: &str,
) -> Result<String, ConfigError> {
    let url = cli.or(from_file).ok_or_else(|| ConfigError::NoBaseUrl {
        path: path.to_string(),
    })?;
    Ok(crate::scenario::check_base_url(url)?)
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
    fn the_report_fits_columns_then_the_terminal_then_80() {
        let tty = Terminal {
            stdout_is_tty: true,
            stderr_is_tty: true,
            stdout_columns: Some(132),
            ..Terminal::default()
        };
        let none = EnvSnapshot::default();
        assert_eq!(tty.report_width(&none), 132);
        assert_eq!(
            Terminal::default().report_width(&none),
            80,
            "not a terminal"
        );
        let columns = EnvSnapshot::from_pairs([("COLUMNS", "200")]);
        assert_eq!(Terminal::default().report_width(&columns), 200);
        let narrow = EnvSnapshot::from_pairs([("COLUMNS", "12")]);
        assert_eq!(tty.report_width(&narrow), text::MIN_WIDTH);
    }

    #[test]
    fn base_url_precedence_and_validation() {
        assert_eq!(
            base_url(Some("http://cli:1/"), Some("http://file:1"), "f").as_deref(),
            Ok("http://cli:1")
        );
        assert_eq!(
            base_url(None, Some("http://file:1"), "f").as_deref(),
            Ok("http://file:1")
        );
        assert!(matches!(
            base_url(None, None, "f"),
            Err(ConfigError::NoBaseUrl { .. })
        ));
        assert!(matches!(
            base_url(Some("ftp://x"), None, "f"),
            Err(ConfigError::BadBaseUrl(_))
        ));
        let with_secret = base_url(Some("http://u:hunter2@h"), None, "f");
        assert!(
            matches!(&with_secret, Err(ConfigError::BadBaseUrl(err)) if err.to_string().contains("credentials") && !err.to_string().contains("hunter2")),
            "{with_secret:?}"
        );
    }
}
