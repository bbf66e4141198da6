//! The raw command line, as clap parses it. Nothing here is validated beyond syntax; see
//! `config` for the validated form the core receives.

// The doc comments of clap arguments are their `--help` text, printed as written: a TOML table
// such as `[target]` stays in brackets there, so rustdoc must not read it as a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::cli::values;
use crate::model::exit_code;

/// Tests live HTTP APIs for idempotence and safety violations (RFC 9110).
#[derive(Debug, Parser)]
#[command(name = "idemfuzz", version, about, long_about = None, after_help = exit_code::HELP)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub(crate) color: ColorChoice,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's command line. An `IDEMFUZZ_*` variable that is set but empty counts
    /// as unset (as an empty `NO_COLOR` does), so a CI template may leave one blank.
    pub fn parse_args() -> Result<Cli, clap::Error> {
        let mut command = without_empty_env(Cli::command());
        let mut matches = command.try_get_matches_from_mut(std::env::args_os())?;
        Cli::from_arg_matches_mut(&mut matches).map_err(|err| err.format(&mut command))
    }
}

/// `command` with the environment variable of every argument whose variable is set but empty
/// left out, in every subcommand.
fn without_empty_env(command: clap::Command) -> clap::Command {
    let empty: Vec<clap::Id> = command
        .get_arguments()
        .filter(|arg| {
            arg.get_env()
                .and_then(std::env::var_os)
                .is_some_and(|value| value.is_empty())
        })
        .map(|arg| arg.get_id().clone())
        .collect();
    let command = empty.into_iter().fold(command, |command, id| {
        command.mut_arg(id, |arg| arg.env(None))
    });
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    subcommands.into_iter().fold(command, |command, name| {
        command.mut_subcommand(name, without_empty_env)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks and scripts of scenario files against a live API.
    #[command(after_help = exit_code::HELP)]
    Run(RunArgs),
    /// Run the bundled scenarios against the bundled demo API, in-process.
    ///
    /// One bug is planted by default so that a real finding shows. Exit code: 0 when the demo
    /// behaved as expected (the planted bug was found, or nothing was found with --bug none).
    Demo(DemoArgs),
    /// Fuzz: generate request sequences, judge them by metamorphic relations, shrink failures.
    ///
    /// Saved failures (--failures-dir) are replayed first; new ones are saved there. Every run
    /// prints its seed; --seed replays the same generation.
    #[command(after_help = exit_code::HELP)]
    Fuzz(FuzzArgs),
    /// Re-execute saved fuzz failures exactly: exit 1 if one still fails, 0 if all are fixed.
    #[command(after_help = exit_code::HELP)]
    Replay(ReplayArgs),
    /// Combine the JSON reports of a sharded run (`--shard I/N`, every I of one N) into the
    /// report of the whole run, in any format, with the whole run's exit code.
    ///
    /// The shards must come from one run: the same idemfuzz version, seed, scenario files,
    /// --fail-on and --baseline file, each shard once and none missing. A single report of a
    /// whole run is written as it is (a way to turn a JSON report into JUnit or human).
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Delete what a crashed, killed or interrupted run left behind, from its ledger.
    ///
    /// Every resource the run's ledger (--ledger-dir, RUNID.jsonl) may have left, and that is
    /// provably the run's (an id of the run's form, or an item carrying its marker), is deleted
    /// through the same ownership guard a run uses; what POSTs with lost answers created is
    /// found by the run marker and listed, never deleted. Prints what remains and why; the
    /// ledger is removed once nothing of the run is left. See docs/safety.md.
    #[command(after_help = CLEANUP_HELP)]
    Cleanup(CleanupArgs),
    /// Serve the bundled demo API alone, for trying idemfuzz by hand.
    ServeDemo(ServeDemoArgs),
    /// Validate scenario files and run nothing.
    #[command(
        after_help = "Exit codes:\n  0    every file is valid\n  2    a file is invalid (file:line:col on stderr)"
    )]
    Check(CheckArgs),
    /// List every built-in check with its RFC reference.
    ListChecks,
    /// List the bugs the demo API can plant.
    ListBugs,
    /// Write a scenario file generated from an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or
    /// YAML).
    ///
    /// Every collection/item path pair (`/things` and `/things/{id}`, `/items/{id}/`) that can
    /// create, read and delete its own items becomes a resource; the create method, ETags,
    /// required preconditions, POST-PUT creation, the PATCH format and server-managed members
    /// come from what the document says; bulk and action endpoints are never imported. Every
    /// setting carries a comment saying where it came from, and the file has no active
    /// base_url (the document's server is shown as a comment). Prints which checks will run on
    /// each resource, and why the others will not. See docs/openapi.md.
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// Print a shell completion script to standard output.
    ///
    /// For example: `idemfuzz completions bash > /etc/bash_completion.d/idemfuzz`, or
    /// `idemfuzz completions zsh > "${fpath[1]}/_idemfuzz"`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output, or write one page per command to a
    /// directory.
    ///
    /// For example: `idemfuzz man | man -l -`, or `idemfuzz man --out-dir man/man1`.
    Man(ManArgs),
}

/// Exit codes of `merge`.
const MERGE_HELP: &str = "\
Exit codes (those of the whole run, from the merged report):
  0    no failing findings
  1    failing findings (at or above --fail-on and not in the --baseline)
  2    a report cannot be read, or the reports are not the shards of one run (nothing is
       written)
  3    a shard could not test the target, or a check could not run a single case in any
       shard
  130  a shard was interrupted, with no failing finding";
/// Exit codes of `cleanup`.
const CLEANUP_HELP: &str = "\
The auth and transport options apply as for `run`, except --har.

Exit codes:
  0    nothing of the run(s) is left (that the ledger knows of)
  1    something is left: each resource is listed with why
  2    usage error: no such ledger, an unreadable ledger, a run still in progress";

/// The arguments of `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The run to clean up after: the run id every report prints (its ledger is
    /// RUNID.jsonl in the ledger directory).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub(crate) run_id: Option<String>,
    /// Every run with a ledger in the ledger directory (runs still in progress are skipped).
    #[arg(long)]
    pub(crate) all: bool,
    /// The ledger directory [default: IDEMFUZZ_LEDGER_DIR, else .idemfuzz/runs].
    #[arg(long, value_name = "DIR")]
    pub(crate) ledger_dir: Option<PathBuf>,
    /// Confirms the base URL a run was given with --base-url: a scenario file without a
    /// [target] base_url is cleaned up only where this names the ledger's origin (a ledger
    /// alone never decides where credentials go).
    #[arg(long, env = "IDEMFUZZ_BASE_URL")]
    pub(crate) base_url: Option<String>,
    #[command(flatten)]
    pub(crate) transport: crate::cli::transport::TransportArgs,
}

/// Exit codes of `init`.
const INIT_HELP: &str = "\
Exit codes:
  0    the scenario file was written
  2    the document cannot be read or parsed, yields no resource, no check of the written
       file can run, or --out exists
  3    the document's URL could not be reached";

/// The arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The OpenAPI document: a file (.json, .yaml) or an http(s):// URL.
    #[arg(long, value_name = "FILE|URL")]
    pub openapi: String,
    /// Where to write the scenario file; `-` for standard output.
    #[arg(long, short, value_name = "PATH", default_value = "scenarios/api.toml")]
    pub(crate) out: PathBuf,
    /// Overwrite --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// The arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON reports of the shards (`--report json:FILE` or `--format json` of each shard).
    #[arg(required = true, value_name = "REPORT.json")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

/// The arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// The arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write idemfuzz.1 and one page per subcommand (idemfuzz-run.1, …) into this existing
    /// directory instead of printing idemfuzz.1.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
}

/// Options shared by `run` and `demo`.
#[derive(Debug, Args)]
pub(crate) struct ExecutionArgs {
    /// Seed for generated values; printed in every report. Default: random.
    #[arg(long, env = "IDEMFUZZ_SEED")]
    pub(crate) seed: Option<u64>,
    /// Generated cases per check and resource [default: 3; fuzz: 50 sequences per resource].
    #[arg(long, env = "IDEMFUZZ_CASES")]
    pub(crate) cases: Option<u32>,
    /// Cases (and their cleanups) in flight at once, across checks and resources; the requests
    /// inside one case are sequential. Against a slow API (tens of ms per request) a run takes
    /// about requests × latency ÷ this.
    #[arg(long, default_value_t = 8, env = "IDEMFUZZ_CONCURRENCY")]
    pub(crate) concurrency: usize,
    /// Run only these checks (comma-separated names from `list-checks`; `script` selects the
    /// hand-written scripts).
    #[arg(long, value_delimiter = ',', value_parser = values::checks())]
    pub(crate) checks: Vec<String>,
    /// Do not run these checks (comma-separated names).
    #[arg(long, value_delimiter = ',', value_parser = values::checks())]
    pub(crate) skip_checks: Vec<String>,
    /// Lowest severity that fails the run.
    #[arg(long, value_enum, default_value_t = FailOn::Error, env = "IDEMFUZZ_FAIL_ON")]
    pub(crate) fail_on: FailOn,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
    /// Never draw a progress bar.
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Also print every finding's curl script, info findings in full, and a line per
    /// finished check.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// Write each finding's curl script to DIR as an executable file, named after the
    /// finding (DIR is created if missing); the report names each file.
    #[arg(long, value_name = "DIR")]
    pub(crate) repro_dir: Option<PathBuf>,
    /// Known findings (a file written by --write-baseline): they are reported as known and do
    /// not fail the run; new findings still do. See docs/ci.md.
    #[arg(long, value_name = "FILE", env = "IDEMFUZZ_BASELINE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record this run's findings (warning and above) in FILE as a baseline; they then do not
    /// fail this run. Written only after a complete run; not with --shard.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
    /// Run only slice I of N (1-based) of the planned cases, for splitting across CI jobs; the
    /// N slices together run every case exactly once.
    #[arg(long, value_name = "I/N", env = "IDEMFUZZ_SHARD")]
    pub(crate) shard: Option<String>,
    /// Print the planned checks, cases and request outlines, and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Test only these resources (comma-separated names from the scenario files), with the
    /// scripts written for them. Default: every resource.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub(crate) resources: Vec<String>,
    /// Stop after N failing findings: no new case starts, the cases in flight finish, cleanup
    /// runs, and the report says the run stopped early and why (exit 1).
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..),
        env = "IDEMFUZZ_MAX_FAILURES"
    )]
    pub(crate) max_failures: Option<u32>,
    /// Stop starting cases (and shrinking fuzz failures) after this long, e.g. 60s or 5m; the
    /// cases in flight finish, cleanup runs, and the report says the run stopped early. A check
    /// the budget left without a single case is errored (exit 3).
    #[arg(long, value_name = "DURATION", env = "IDEMFUZZ_TIME_BUDGET")]
    pub(crate) time_budget: Option<String>,
    /// Directory of the run's ledger, RUNID.jsonl: what the run may have created, written
    /// before each request that may create it, for `idemfuzz cleanup` after a crash (not used
    /// by `demo`, whose API ends with the run) [default: IDEMFUZZ_LEDGER_DIR, else
    /// .idemfuzz/runs].
    #[arg(long, value_name = "DIR")]
    pub(crate) ledger_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) transport: crate::cli::transport::TransportArgs,
}

/// Where the reports go (`run`, `demo`, `fuzz`, `replay` and `merge`).
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Format of the main report.
    #[arg(long, default_value = "human", value_parser = values::formats(), env = "IDEMFUZZ_FORMAT")]
    pub(crate) format: String,
    /// Where the main report goes (default: standard output).
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// An additional report, as FORMAT:PATH (e.g. junit:results.xml, html:report.html);
    /// repeatable.
    #[arg(long = "report", value_name = "FORMAT:PATH")]
    pub(crate) reports: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Warning,
}

/// The arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (every *.toml in a directory); `-` reads one scenario
    /// from standard input.
    #[arg(required_unless_present = "openapi")]
    pub paths: Vec<PathBuf>,
    /// Also run a scenario generated in memory from this OpenAPI 3.0/3.1 or Swagger 2.0
    /// document (file or http(s):// URL), as `idemfuzz init --openapi` would write it. A URL is
    /// fetched with the proxy and TLS options below, without credentials. The target is never
    /// taken from the document: --base-url (or IDEMFUZZ_BASE_URL) is required.
    #[arg(long, value_name = "FILE|URL")]
    pub openapi: Option<String>,
    /// Base URL of the API; overrides the files' [target] base_url.
    #[arg(long, env = "IDEMFUZZ_BASE_URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

/// The arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Bug(s) to plant in the demo API (comma-separated; `none` for the clean API; see
    /// `list-bugs`).
    #[arg(long, default_value = "merge-put", value_parser = values::bugs())]
    pub(crate) bug: String,
    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

/// The arguments of `serve-demo`.
#[derive(Debug, Args)]
pub struct ServeDemoArgs {
    /// Port to listen on (127.0.0.1); 0 picks a free port, announced on standard error.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Bug(s) to plant (comma-separated; `none` for the clean API).
    #[arg(long, default_value = "none", value_parser = values::bugs())]
    pub bug: String,
    /// Answer 401 to every request without `Authorization: Bearer TOKEN` (to try [target.auth]).
    #[arg(long, value_name = "TOKEN")]
    pub(crate) require_token: Option<String>,
    /// Answer every Nth request 429 Too Many Requests with `Retry-After: 1` (to try throttling).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) throttle: Option<u64>,
}

/// The arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or directories; `-` reads one scenario from standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// The arguments of `fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Scenario files or directories (every *.toml in a directory); `-` reads one scenario
    /// from standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Base URL of the API; overrides the files' [target] base_url.
    #[arg(long, env = "IDEMFUZZ_BASE_URL")]
    pub base_url: Option<String>,
    /// Most steps in one generated sequence.
    #[arg(long, default_value_t = crate::fuzz::DEFAULT_MAX_STEPS)]
    pub(crate) max_steps: usize,
    /// Most executions spent shrinking one failure.
    #[arg(long, default_value_t = crate::fuzz::DEFAULT_MAX_SHRINK_RUNS)]
    pub(crate) max_shrink_runs: u32,
    /// Where failures are saved, and read from to be replayed first.
    #[arg(long, default_value = crate::fuzz::saved::DEFAULT_FAILURES_DIR)]
    pub(crate) failures_dir: PathBuf,
    /// Neither replay nor save failures.
    #[arg(long)]
    pub(crate) no_saved_failures: bool,
    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

/// The arguments of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Saved failure files (from --failures-dir of `fuzz`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Base URL of the API; overrides the scenario's [target] base_url.
    #[arg(long, env = "IDEMFUZZ_BASE_URL")]
    pub base_url: Option<String>,
    /// The scenario file to use instead of the one the failure names.
    #[arg(long)]
    pub(crate) scenario: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}
