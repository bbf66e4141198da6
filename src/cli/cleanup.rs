//! `idemfuzz cleanup [RUNID | --all]`: reads run ledgers, rebuilds the targets they name (from
//! the scenario files, for headers and credentials), lets the core delete what may be left, and
//! prints what remains and why.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::args::CleanupArgs;
use crate::cli::commands::runtime;
use crate::cli::config;
use crate::cli::error::CliError;
use crate::cli::transport::{self, TransportArgsError, TransportSettings};
use crate::env::EnvSnapshot;
use crate::http::transport::TransportError;
use crate::http::wire_url::WireUrl;
use crate::model::exit_code;
use crate::report::ReporterSet;
use crate::runner::plan::PlannedScenario;
use crate::runner::recover::{self, Recovery};
use crate::scenario::{self, Scenario};
use crate::session::context::ResolvedTarget;
use crate::session::ledger::{self, Ledger, LedgerError, LedgerResource, Replayed};

/// Why one run could not be cleaned up after (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    /// `--har` records a run; cleanup is not one.
    #[error("--har is not available with cleanup")]
    Har,
    /// `RUNID` is not a run id.
    #[error("`{run_id}` is not a run id (letters and digits, as reports print it)")]
    NotARunId { run_id: String },
    /// No ledger of `RUNID` in the ledger directory.
    #[error(
        "no ledger for run {run_id} in {} (a run that left nothing behind removes its ledger)",
        dir.display()
    )]
    NoLedger { run_id: String, dir: PathBuf },
    /// The ledger could not be read, replayed or appended to.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The run that writes the ledger is still going.
    #[error("run {run_id} is still in progress (pid {pid}); clean up after it ends")]
    StillRunning { run_id: String, pid: u32 },
    /// The auth and transport options against the ledger's targets.
    #[error(transparent)]
    Targets(#[from] TransportArgsError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// `cleanup`. A ledger that cannot be worked on is reported and the others are still cleaned
/// up after: the exit code is the worst of all (2 for a failed ledger, 1 if anything is left).
pub(crate) fn cleanup(args: &CleanupArgs, env: &EnvSnapshot) -> Result<u8, CliError> {
    if args.transport.har.is_some() {
        return Err(CleanupError::Har.into());
    }
    let settings = transport::settings(&args.transport, env)?;
    let dir = config::ledger_dir(args.ledger_dir.as_deref(), env);
    let ledgers = ledgers(args, &dir)?;
    if ledgers.is_empty() {
        println!("nothing to clean up: no run ledger in {}", dir.display());
        return Ok(exit_code::OK);
    }
    let runtime = runtime()?;
    let mut code = exit_code::OK;
    for path in ledgers {
        let confirmed = args.base_url.as_deref();
        let outcome = match clean_one(&path, &settings, env, &runtime, args.all, confirmed) {
            Ok(left) if left > 0 => exit_code::FINDINGS,
            Ok(_) => exit_code::OK,
            Err(err) => CliError::from(err).report(),
        };
        code = code.max(outcome);
    }
    Ok(code)
}

/// The ledger files to work on: the one of `RUNID`, or every one in `dir`.
fn ledgers(args: &CleanupArgs, dir: &Path) -> Result<Vec<PathBuf>, CleanupError> {
    if let Some(run_id) = &args.run_id {
        if run_id.is_empty() || !run_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(CleanupError::NotARunId {
                run_id: run_id.clone(),
            });
        }
        let path = ledger::path_of(dir, run_id);
        if !path.exists() {
            return Err(CleanupError::NoLedger {
                run_id: run_id.clone(),
                dir: dir.to_path_buf(),
            });
        }
        return Ok(vec![path]);
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Cleans up after one run; returns how many resources are left. A run still in progress is
/// an error, skipped quietly with `--all`.
fn clean_one(
    path: &Path,
    settings: &TransportSettings,
    env: &EnvSnapshot,
    runtime: &tokio::runtime::Runtime,
    all: bool,
    confirmed: Option<&str>,
) -> Result<usize, CleanupError> {
    let replayed = ledger::read(path)?;
    let run_id = replayed.start.run_id.clone();
    if still_running(replayed.start.pid) {
        let running = CleanupError::StillRunning {
            run_id,
            pid: replayed.start.pid,
        };
        if all {
            println!("skipped: {running}");
            return Ok(0);
        }
        return Err(running);
    }
    let (planned, notes) = targets(&replayed, env, confirmed);
    let planned = transport::prepare_targets(planned, settings)?;
    let transport = transport::build_transport(settings, &planned, &Arc::new(ReporterSet::new()))?;
    let ledger = Ledger::append_to(path)?;
    println!("run {run_id} (ledger {}):", path.display());
    for note in notes {
        println!("  note: {note}");
    }
    let recovery = runtime.block_on(recover::recover(
        &replayed,
        &planned,
        transport,
        Some(&ledger),
    ));
    print_recovery(&recovery);
    let left = recovery.left_behind.len();
    if left == 0 {
        let removed = ledger.remove().is_ok();
        println!(
            "run {run_id}: nothing left behind{}",
            if removed { "; ledger removed" } else { "" }
        );
    } else {
        println!(
            "run {run_id}: {left} resource(s) left behind; the ledger is kept: run `idemfuzz cleanup {run_id}` again once they can be deleted"
        );
    }
    Ok(left)
}

fn print_recovery(recovery: &Recovery) {
    for url in &recovery.deleted {
        println!("  deleted       {url}");
    }
    for url in &recovery.already_gone {
        println!("  already gone  {url}");
    }
    for left in &recovery.left_behind {
        println!("  left behind   {} — {}", left.url, left.reason);
    }
}

/// Whether the process that wrote a ledger is still an idemfuzz run (Linux: `/proc`; elsewhere
/// a ledger is never taken for a live run).
fn still_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains("idemfuzz"))
}

/// The targets and resources the ledger names: from their scenario files when those still
/// load (for headers and credentials), else from the ledger alone (with a note: no headers or
/// credentials are sent then). A file without a base URL of its own is cleaned up only where
/// `confirmed` (`--base-url`) names the ledger's origin.
fn targets(
    replayed: &Replayed,
    env: &EnvSnapshot,
    confirmed: Option<&str>,
) -> (Vec<PlannedScenario>, Vec<String>) {
    let mut planned = Vec::new();
    let mut notes = Vec::new();
    for ((file, base_url), names) in recover::scenario_files(replayed) {
        let described: Vec<&LedgerResource> = replayed
            .start
            .resources
            .iter()
            .filter(|r| r.scenario == file && r.base_url == base_url)
            .collect();
        let scenario = match load(&file, &names, env) {
            Ok(scenario) => scenario,
            Err(why) => {
                notes.push(format!(
                    "{file}: {why}; its resources are cleaned up without the file's headers or credentials"
                ));
                match from_ledger(&file, &described, env) {
                    Ok(scenario) => scenario,
                    Err(why) => {
                        notes.push(format!(
                            "{file}: the ledger's description is unusable: {why}"
                        ));
                        continue;
                    }
                }
            }
        };
        if let Some(pinned) = &scenario.target.base_url
            && !same_origin(pinned, &base_url)
        {
            // A ledger is a file anyone may edit: the file's headers and credentials never go
            // to a base URL it does not name.
            notes.push(format!(
                "{file}: the ledger's base URL {base_url} is not on the origin of the file's base_url {pinned}; its resources are left alone (a damaged or tampered ledger)"
            ));
            continue;
        }
        if scenario.target.base_url.is_none()
            && !confirmed.is_some_and(|confirmed| same_origin(confirmed, &base_url))
        {
            // The run was given its base URL on the command line: only the command line can
            // confirm it, never the ledger alone.
            let given = match confirmed {
                Some(confirmed) => format!("--base-url {confirmed} is another origin"),
                None => "no --base-url (or IDEMFUZZ_BASE_URL) was given".to_string(),
            };
            notes.push(format!(
                "{file}: names no base_url, and {given}: the ledger alone never decides where the file's credentials go, so its resources at {base_url} are left alone (run cleanup with --base-url {base_url} to confirm it)"
            ));
            continue;
        }
        planned.push(PlannedScenario {
            target: ResolvedTarget::new(base_url.clone(), scenario.target.clone()),
            scenario,
        });
    }
    (planned, notes)
}

/// True when both URLs parse and share scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    match (WireUrl::parse(a), WireUrl::parse(b)) {
        (Ok(a), Ok(b)) => a.same_origin(&b),
        _ => false,
    }
}

/// A scenario file that still holds every resource `names`.
fn load(file: &str, names: &[String], env: &EnvSnapshot) -> Result<Scenario, String> {
    let mut loaded = scenario::load_paths(&[PathBuf::from(file)], env)
        .map_err(|err| format!("cannot be loaded ({})", first_line(&err.to_string())))?;
    let scenario = loaded.pop().ok_or("holds no scenario")?;
    match names
        .iter()
        .find(|name| !scenario.resources.iter().any(|r| &r.name == *name))
    {
        Some(missing) => Err(format!("no longer declares the resource `{missing}`")),
        None => Ok(scenario),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// A scenario rebuilt from the ledger's description of its resources alone.
fn from_ledger(
    file: &str,
    resources: &[&LedgerResource],
    env: &EnvSnapshot,
) -> Result<Scenario, String> {
    let quoted = |text: &str| serde_json::Value::String(text.to_string()).to_string();
    let mut text = String::new();
    for resource in resources {
        let collection = resource
            .collection
            .strip_prefix(&resource.base_url)
            .unwrap_or(&resource.collection);
        text.push_str(&format!(
            "[resources.{name}]\ncollection = {collection}\nitem = {item}\nitems = {items}\nid_field = {id_field}\nmethods = [\"GET\", \"PUT\", \"DELETE\"]\nbody = {{ idemfuzz = \"cleanup\" }}\n\n",
            name = quoted(&resource.name),
            collection = quoted(collection),
            item = quoted(&resource.item),
            items = quoted(&resource.items),
            id_field = quoted(&resource.id_field),
        ));
    }
    let mut scenario = scenario::load_str(Path::new(file), &text, env)
        .map_err(|err| first_line(&err.to_string()).to_string())?;
    // What the ledger says about DELETE wins over the stand-in methods above.
    for resource in &mut scenario.resources {
        let deletable = resources
            .iter()
            .any(|r| r.name == resource.name && r.deletable);
        if !deletable {
            resource
                .methods
                .remove(&crate::model::exchange::Method::Delete);
        }
    }
    Ok(scenario)
}
