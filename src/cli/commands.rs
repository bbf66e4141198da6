//! One function per subcommand: each turns validated input into a core call and an exit code,
//! or a [`CliError`] that `cli::execute` prints, once, at the edge.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::checks;
use crate::cli::args::{CheckArgs, ColorChoice, DemoArgs, RunArgs, ServeDemoArgs};
use crate::cli::bundled;
use crate::cli::ci;
use crate::cli::config::{self, ConfigError, Destination, ExecutionConfig, ReportSpec, Terminal};
use crate::cli::error::CliError;
use crate::cli::input;
use crate::cli::signals;
use crate::cli::transport;
use crate::cli::wait;
use crate::demo::{Bug, BugSet, DemoOptions, DemoServer, Throttle};
use crate::env::EnvSnapshot;
use crate::model::baseline::BaselineOptions;
use crate::model::check::BUILT_IN;
use crate::model::exit_code;
use crate::model::report::RunReport;
use crate::report::har::HarReporter;
use crate::report::html::HtmlReporter;
use crate::report::human::{HumanOptions, HumanReporter};
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::repro::{Directory, ReproReporter};
use crate::report::verdict::{Expectation, PlantedBug, verdict};
use crate::report::{Format, Reporter, ReporterSet};
use crate::runner::plan::PlannedScenario;
use crate::runner::{self, RunSettings};
use crate::scenario::{Scenario, ScenarioError};
use crate::session::context::ResolvedTarget;

/// `list-checks`.
pub(crate) fn list_checks(out: &mut dyn Write) -> u8 {
    let infos = BUILT_IN.map(|check| check.info());
    let name_width = infos.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let rfc_width = infos
        .iter()
        .map(|i| i.rfc.chars().count())
        .max()
        .unwrap_or(0);
    for info in infos {
        let _ = writeln!(
            out,
            "{:<name_width$}  {:<rfc_width$}  {}",
            info.name, info.rfc, info.summary
        );
    }
    exit_code::OK
}

/// `list-bugs`.
pub(crate) fn list_bugs(out: &mut dyn Write) -> u8 {
    let width = Bug::ALL.iter().map(|b| b.name().len()).max().unwrap_or(0);
    for bug in Bug::ALL {
        let _ = writeln!(out, "{:<width$} {}", bug.name(), bug.description());
    }
    exit_code::OK
}

/// `check`: validate scenario files. Secrets are not needed: an unset variable stands in with a
/// placeholder, and each file's line says which variables `run` will need.
pub(crate) fn check(
    args: &CheckArgs,
    env: &EnvSnapshot,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let lenient = env.clone().standing_in_for_unset();
    let scenarios = input::load_scenarios(&args.paths, &lenient)?;
    for s in &scenarios {
        let _ = writeln!(
            out,
            "ok: {} ({} resource(s), {} script(s))",
            s.path.display(),
            s.resources.len(),
            s.scripts.len()
        );
        if let Some(line) = needed_variables(s, env) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(exit_code::OK)
}

/// `  run will need: API_TOKEN (not set here), TENANT`, or `None` when the file reads no
/// variable.
fn needed_variables(scenario: &Scenario, env: &EnvSnapshot) -> Option<String> {
    let names: Vec<String> = scenario
        .variables()
        .into_iter()
        .map(|name| match env.get(&name) {
            Some(_) => name,
            None => format!("{name} (not set here)"),
        })
        .collect();
    (!names.is_empty()).then(|| format!("  run will need: {}", names.join(", ")))
}

/// `run`: validate the options, load (and generate), run, report. The options are validated
/// first, so that a mistake in them is reported before an `--openapi` document is fetched
/// (with their proxy and TLS settings).
pub(crate) fn run(
    args: &RunArgs,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
) -> Result<u8, CliError> {
    let config = config::execution(&args.execution, color, env, terminal, random_u64())?;
    let scenarios = super::openapi::run_scenarios(args, env, &config.transport.client)?;
    let planned = plan(scenarios, args.base_url.as_deref())?;
    if config.dry_run {
        let fetched = args
            .openapi
            .as_deref()
            .filter(|location| crate::openapi::fetch::is_url(location))
            .map(|location| {
                format!("the OpenAPI document was fetched from {location} to plan the run; nothing else is sent")
            });
        let settings = run_settings(&config, Default::default());
        return ci::dry_run(
            &planned,
            &settings,
            &config,
            fetched.as_deref(),
            &mut std::io::stdout(),
        );
    }
    let report = execute(&planned, &config)?;
    Ok(exit_code::for_report(&report))
}

/// `demo`: the demo API in-process, the bundled scenarios against it. The exit code (and the
/// report's verdict) invert the sense of a finding: 0 when every planted bug was found.
pub(crate) fn demo(
    args: &DemoArgs,
    color: ColorChoice,
    env: &EnvSnapshot,
    terminal: Terminal,
) -> Result<u8, CliError> {
    let bugs = bugs(&args.bug)?;
    let mut config = config::execution(&args.execution, color, env, terminal, random_u64())?;
    let planted = planted_bugs(bugs);
    config.human.expectation = Expectation::Demo(planted.clone());
    // The demo API ends with the run: nothing could be cleaned up after it.
    config.ledger_dir = None;
    let scenarios = bundled_scenarios(env)?;
    if config.dry_run {
        return demo_dry_run(scenarios, &config);
    }
    let runtime = runtime()?;
    let server = runtime
        .block_on(DemoServer::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            bugs,
        ))
        .map_err(CliError::DemoStart)?;
    eprintln!("{}", demo_announcement(bugs, &server.base_url()));
    let result = plan(scenarios, Some(&server.base_url()))
        .map_err(CliError::from)
        .and_then(|planned| execute(&planned, &config));
    runtime.block_on(server.shutdown());
    let report = result?;
    Ok(verdict(&report, &Expectation::Demo(planted)).code)
}

/// The bugs `--bug` names.
fn bugs(names: &str) -> Result<BugSet, ConfigError> {
    names
        .parse()
        .map_err(|err| ConfigError::UnknownBug(format!("{err}")))
}

/// The bugs planted in the demo API, and the checks whose findings show each.
fn planted_bugs(bugs: BugSet) -> Vec<PlantedBug> {
    bugs.iter()
        .map(|bug| PlantedBug {
            name: bug.name().to_string(),
            caught_by: bug.caught_by().to_vec(),
            file: bug.script_file().map(str::to_string),
        })
        .collect()
}

/// The line `demo` prints on stderr before it runs: where the demo API is, what it plants, and
/// how to try others.
fn demo_announcement(bugs: BugSet, url: &str) -> String {
    if bugs.is_empty() {
        format!(
            "demo: the clean demo API runs at {url}; idemfuzz must find nothing failing. Plant a bug with `--bug NAME` (`idemfuzz list-bugs`)."
        )
    } else {
        format!(
            "demo: the demo API runs at {url} with {bugs} planted; idemfuzz must find {}. The clean API: `--bug none`; other bugs: `idemfuzz list-bugs`.",
            if bugs.iter().count() == 1 {
                "it"
            } else {
                "each"
            }
        )
    }
}

/// `demo --dry-run`: the bundled scenarios' plan; the demo API is not started.
fn demo_dry_run(scenarios: Vec<Scenario>, config: &ExecutionConfig) -> Result<u8, CliError> {
    let planned = plan(scenarios, Some(DRY_RUN_DEMO_URL))?;
    ci::dry_run(
        &planned,
        &run_settings(config, Default::default()),
        config,
        Some(
            "the demo API is not started in a dry run; port 0 stands for the free port it would get",
        ),
        &mut std::io::stdout(),
    )
}

/// The demo API's address in a dry run, where it is not started.
const DRY_RUN_DEMO_URL: &str = "http://127.0.0.1:0";

/// `serve-demo`: the demo API until Ctrl-C.
pub(crate) fn serve_demo(args: &ServeDemoArgs) -> Result<u8, CliError> {
    let bugs = bugs(&args.bug)?;
    let runtime = runtime()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| CliError::Listen { addr, source })?;
        // `--port 0` asks the system for a free port: announce the one it gave.
        let bound = listener.local_addr().unwrap_or(addr);
        eprintln!("demo API listening on http://{bound} (bugs: {bugs}); Ctrl-C to stop");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let options = DemoOptions {
            bugs,
            require_token: args.require_token.clone(),
            throttle: args.throttle.map(|every| Throttle {
                every,
                retry_after_secs: 1,
            }),
        };
        crate::demo::serve_with(listener, options, shutdown)
            .await
            .map_err(CliError::DemoStopped)?;
        Ok(exit_code::OK)
    })
}

/// Resolves every scenario's base URL.
pub(super) fn plan(
    scenarios: Vec<Scenario>,
    cli_url: Option<&str>,
) -> Result<Vec<PlannedScenario>, ConfigError> {
    scenarios
        .into_iter()
        .map(|scenario| {
            let path = scenario.path.display().to_string();
            let base_url = config::base_url(cli_url, scenario.target.base_url.as_deref(), &path)?;
            Ok(PlannedScenario {
                target: ResolvedTarget::new(base_url, scenario.target.clone()),
                scenario,
            })
        })
        .collect()
}

fn bundled_scenarios(env: &EnvSnapshot) -> Result<Vec<Scenario>, ScenarioError> {
    bundled::SCENARIOS
        .iter()
        .map(|(path, text)| checks::load::load_str(Path::new(path), text, env))
        .collect()
}

/// Opens the reports, runs with Ctrl-C handling, and returns the report.
pub(super) fn execute(
    planned: &[PlannedScenario],
    config: &ExecutionConfig,
) -> Result<RunReport, CliError> {
    config::check_resources(&config.selection, planned)?;
    let baseline = ci::baseline_options(config)?;
    let planned = transport::prepare_targets(planned.to_vec(), &config.transport)?;
    let runtime = runtime()?;
    if let Some(patience) = config.transport.wait_for_target {
        let waited = wait::wait_for_targets(&planned, &config.transport.client, patience);
        runtime.block_on(waited)?;
    }
    let reporters = open_reporters(
        &config.reports,
        &config.human,
        config.transport.har.as_deref(),
        config.repro_dir.as_deref(),
    )?;
    let reporters = Arc::new(reporters);
    let transport = transport::build_transport(&config.transport, &planned, &reporters)?;
    if let Some(dir) = &config.ledger_dir {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            what: format!("cannot create the ledger directory {}", dir.display()),
            source,
        })?;
    }
    let settings = run_settings(config, baseline);
    let ledger = config
        .ledger_dir
        .as_deref()
        .map(|dir| crate::session::ledger::path_of(dir, &settings.run_id));
    let report = runtime.block_on(async {
        let cancel = CancellationToken::new();
        let second = signals::OnSecondSignal {
            run_id: settings.run_id.clone(),
            ledger: ledger.as_ref().map(|path| path.display().to_string()),
        };
        signals::watch(cancel.clone(), second);
        runner::run(&planned, &settings, transport, reporters.as_ref(), cancel).await
    });
    report_write_error(&reporters);
    ci::write_baseline(config, &report)?;
    if let Some(path) = ledger.filter(|path| path.exists()) {
        eprintln!(
            "idemfuzz: {} resource(s) may be left behind (see the report); {} keeps what the run may have created: `idemfuzz cleanup {}` tries again",
            report.cleanup.left_behind.len(),
            path.display(),
            settings.run_id
        );
    }
    if let Some(lines) = stderr_verdict(config, &report) {
        eprint!("{lines}");
    }
    Ok(report)
}

/// Says on stderr when a report could not be written (a closed standard output excepted).
pub(super) fn report_write_error(reporters: &ReporterSet) {
    let report_error = reporters.take_error().map_or(Ok(()), Err);
    if let Some(err) = super::pipe::worth_reporting(report_error) {
        eprintln!("idemfuzz: error: writing a report failed: {err}");
    }
}

/// When no human report goes to standard output (`-o FILE`, `--format json`…), the verdict and
/// where the reports went, for stderr; `None` when the human report on stdout ends with them.
fn stderr_verdict(config: &ExecutionConfig, report: &RunReport) -> Option<String> {
    let human_on_stdout = config
        .reports
        .iter()
        .any(|r| r.format == Format::Human && r.destination == Destination::Stdout);
    if human_on_stdout {
        return None;
    }
    let mut files: Vec<String> = config
        .reports
        .iter()
        .filter_map(|r| match &r.destination {
            Destination::File(path) => Some(format!("{} ({})", path.display(), r.format)),
            Destination::Stdout => None,
        })
        .collect();
    if let Some(har) = &config.transport.har {
        files.push(format!("{} (har)", har.display()));
    }
    if let Some(dir) = &config.repro_dir {
        files.push(format!("{} (curl scripts)", dir.display()));
    }
    let verdict = verdict(report, &config.human.expectation);
    let mut text = String::new();
    if !files.is_empty() {
        text.push_str(&format!("idemfuzz: reports: {}\n", files.join(", ")));
    }
    text.push_str(&format!("idemfuzz: {}\n", verdict.line()));
    Some(text)
}

/// The runner's settings from the validated configuration.
fn run_settings(config: &ExecutionConfig, baseline: BaselineOptions) -> RunSettings {
    RunSettings {
        seed: config.seed,
        cases: config.cases,
        concurrency: config.concurrency,
        selection: config.selection.clone(),
        fail_on: config.fail_on,
        run_id: run_id(),
        shard: config.shard,
        baseline,
        fuzz: config.fuzz.clone(),
        limits: config.limits,
        ledger_dir: config.ledger_dir.clone(),
    }
}

/// The reporters of `specs` (human ones with `human`, uncoloured in files) and, with `har`, the
/// HAR writer. `Err` names the file that could not be created.
pub(super) fn open_reporters(
    specs: &[ReportSpec],
    human: &HumanOptions,
    har: Option<&Path>,
    repro_dir: Option<&Path>,
) -> Result<ReporterSet, CliError> {
    let set = ReporterSet::new();
    for spec in specs {
        let out: Box<dyn Write + Send> = match &spec.destination {
            Destination::Stdout => Box::new(std::io::stdout()),
            Destination::File(path) => {
                Box::new(BufWriter::new(File::create(path).map_err(|source| {
                    CliError::Write {
                        what: format!("cannot write the report to {}", path.display()),
                        source,
                    }
                })?))
            }
        };
        let reporter: Box<dyn Reporter> = match spec.format {
            Format::Human => {
                let mut options = human.clone();
                if spec.destination != Destination::Stdout {
                    options.color = false;
                    options.progress = false;
                    options.width = crate::report::text::DEFAULT_WIDTH;
                }
                Box::new(HumanReporter::new(out, options))
            }
            Format::Json => Box::new(JsonReporter::new(out)),
            Format::Junit => Box::new(JunitReporter::new(out)),
            Format::Html => Box::new(HtmlReporter::new(out, human.expectation.clone())),
        };
        set.add(reporter);
    }
    if let Some(dir) = repro_dir {
        set.add(Box::new(ReproReporter::new(Directory(dir.to_path_buf()))));
    }
    if let Some(path) = har {
        let file = File::create(path).map_err(|source| CliError::Write {
            what: format!("cannot write the HAR file {}", path.display()),
            source,
        })?;
        set.add(Box::new(HarReporter::new(BufWriter::new(file))));
    }
    Ok(set)
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// A random number from the clock and the process id (seed and run id defaults).
pub(super) fn random_u64() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) % 1_000_000_000
}

/// Six base-36 characters, unique per run.
fn run_id() -> String {
    let mut n = random_u64().rotate_left(17) ^ 0x5deece66d;
    (0..6)
        .map(|_| {
            let digit = (n % 36) as u32;
            n /= 36;
            char::from_digit(digit, 36).unwrap_or('0')
        })
        .collect()
}
