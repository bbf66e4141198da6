//! A peer side by side: Schemathesis (`--checks all`, its defaults otherwise) and a default
//! idemfuzz run against the same latency stand-in, which serves its OpenAPI document; wall
//! time, requests (counted by the stand-in) and CPU time of each. `scripts/bench.sh` installs
//! Schemathesis into a virtual environment (`target/bench-venv`) on demand; CI never does.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::child::measure;
use crate::latency::{default_concurrency, default_run};
use crate::standin::{self, Options, StandIn};
use crate::stats::count;
use crate::table::Section;

/// Where scripts/bench.sh installs Schemathesis.
const VENV_BINARY: &str = "target/bench-venv/bin/schemathesis";

/// The Schemathesis binary: `IDEMFUZZ_BENCH_SCHEMATHESIS`, the bench virtual environment, or
/// `schemathesis` on the PATH.
fn schemathesis() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("IDEMFUZZ_BENCH_SCHEMATHESIS") {
        return Ok(PathBuf::from(path));
    }
    let venv = crate::demo::root().join(VENV_BINARY);
    if venv.exists() {
        return Ok(venv);
    }
    let found = Command::new("schemathesis").arg("--version").output();
    anyhow::ensure!(
        found.is_ok_and(|out| out.status.success()),
        "Schemathesis not found: scripts/bench.sh installs it into {VENV_BINARY}"
    );
    Ok(PathBuf::from("schemathesis"))
}

/// What one tool's run cost.
struct ToolRun {
    wall: Duration,
    cpu: Duration,
    requests: usize,
    /// How the run ended, in the tool's own words (exit code, findings).
    ended: String,
}

fn schemathesis_run(
    binary: &PathBuf,
    server: &StandIn,
    dir: &std::path::Path,
) -> anyhow::Result<ToolRun> {
    server.take_arrivals();
    let out = measure(
        Command::new(binary)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .args([
                "run",
                &server.openapi_url(),
                "--checks",
                "all",
                "--seed",
                "1",
            ]),
        Duration::from_secs(3600),
    )?;
    anyhow::ensure!(!out.timed_out, "Schemathesis ran over an hour");
    let ended = match out.code {
        Some(0) => "exit 0".to_string(),
        Some(code) => format!("exit {code} (failures reported)"),
        None => "killed".to_string(),
    };
    Ok(ToolRun {
        wall: out.wall,
        cpu: out.cpu,
        requests: server.take_arrivals().len(),
        ended,
    })
}

fn idemfuzz_run(
    server: &StandIn,
    resources: usize,
    dir: &std::path::Path,
) -> anyhow::Result<ToolRun> {
    let scenario = standin::scenario(dir, resources)?;
    let run = default_run(server, &scenario, &[], dir)?;
    Ok(ToolRun {
        wall: run.wall,
        cpu: run.cpu,
        requests: run.arrivals.len(),
        ended: "exit 0 (no failing finding)".into(),
    })
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let binary = schemathesis()?;
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .context("run schemathesis --version")?;
    let setups: &[(u64, usize)] = if quick {
        &[(20, 1)]
    } else {
        &[(20, 1), (100, 1), (20, 10)]
    };
    let concurrency = default_concurrency()?;
    let dir = tempfile::tempdir()?;
    let mut section = Section::new(
        "A peer side by side: Schemathesis and idemfuzz on the same stand-in",
        &[
            "latency",
            "resources",
            "tool",
            "wall",
            "requests",
            "ms of wall per request",
            "client CPU",
            "ended",
        ],
    );
    for &(latency_ms, resources) in setups {
        eprintln!("bench: peer, latency {latency_ms} ms, {resources} resource(s)…");
        let server = StandIn::start(Options {
            latency: Duration::from_millis(latency_ms),
            resources,
            split_writes: false,
        })?;
        let ours = idemfuzz_run(&server, resources, dir.path())?;
        let theirs = schemathesis_run(&binary, &server, dir.path())?;
        for (tool, run) in [
            (
                format!("idemfuzz (default run, concurrency {concurrency})"),
                &ours,
            ),
            (format!("{version} (`--checks all`, 1 worker)"), &theirs),
        ] {
            section.row(vec![
                format!("{latency_ms} ms"),
                resources.to_string(),
                tool,
                format!("{:.1} s", run.wall.as_secs_f64()),
                count(run.requests as u64),
                format!(
                    "{:.1}",
                    run.wall.as_secs_f64() * 1000.0 / run.requests.max(1) as f64
                ),
                format!("{:.2} s", run.cpu.as_secs_f64()),
                run.ended.clone(),
            ]);
        }
    }
    section.note("Both against the same stand-in process (benches/suite/standin.rs: the demo API's `things` under `/r1` … `/rN`, every request held for the latency): idemfuzz with N copies of `scenarios/demo.toml`'s resource and `--seed 1`, Schemathesis with the stand-in's OpenAPI document (the demo's own `things` operations under each `/rK`), `--checks all --seed 1` and its other defaults (every phase, one worker). Requests are counted by the stand-in; CPU is user + system time of the tool's process.");
    section.note("The tools test different things (idemfuzz: state after repeated and concurrent writes; Schemathesis: conformance to the OpenAPI document), so the comparison is of cost, not of findings. Schemathesis's failures here are about the demo's document (response schemas, validation it does not declare), which idemfuzz does not check.");
    Ok(section)
}
