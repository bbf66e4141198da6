//! End to end: the default checks on the one resource of `scenarios/demo.toml`, against the
//! demo API in a process of its own; wall time, requests, and the CPU time of idemfuzz against
//! the CPU time of the API (who is the bottleneck).

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::child::{cpu_of_running, measure};
use crate::demo::{DemoProcess, idemfuzz, scenario};
use crate::stats::{count, median, ms};
use crate::table::{Section, verdict};

/// One run of the default checks.
struct E2eRun {
    wall: Duration,
    client_cpu: Duration,
    server_cpu: Duration,
    requests: u64,
}

fn one_run(demo: &DemoProcess, seed: u64, report: &std::path::Path) -> anyhow::Result<E2eRun> {
    let server_before = cpu_of_running(demo.pid())?;
    let out = measure(
        idemfuzz().args([
            "run",
            &scenario("demo.toml"),
            "--base-url",
            &demo.base_url,
            "--seed",
            &seed.to_string(),
            "--no-progress",
            "--format",
            "json",
            "--output",
            &report.display().to_string(),
        ]),
        Duration::from_secs(120),
    )?;
    let server_after = cpu_of_running(demo.pid())?;
    anyhow::ensure!(
        out.code == Some(0),
        "the default checks failed on the clean demo: {}",
        out.stderr
    );
    let json: Value = serde_json::from_slice(&std::fs::read(report)?).context("read the report")?;
    Ok(E2eRun {
        wall: out.wall,
        client_cpu: out.cpu,
        server_cpu: server_after.saturating_sub(server_before),
        requests: json["stats"]["requests"].as_u64().unwrap_or(0),
    })
}

/// The CPU share of a minimal client: oha sending as many GETs of one thing, as many at a time
/// as a run's default concurrency, to the same demo process. No client can do much better than
/// this floor against an API whose per-request work is as small as the demo's.
fn oha_share(demo: &DemoProcess, requests: u64, concurrency: u64) -> anyhow::Result<E2eRun> {
    let url = format!(
        "{}/things/idf-bench-e2e-{}",
        demo.base_url,
        std::process::id()
    );
    let created = std::process::Command::new("oha")
        .args([
            "--no-tui",
            "-n",
            "1",
            "-m",
            "PUT",
            "-H",
            "content-type: application/json",
        ])
        .args(["-d", r#"{"name":"bench","color":"red"}"#, &url])
        .output()
        .context("run oha (scripts/bench.sh installs it)")?;
    anyhow::ensure!(created.status.success(), "oha could not create the thing");
    let server_before = cpu_of_running(demo.pid())?;
    let out = measure(
        std::process::Command::new("oha").args([
            "--no-tui",
            "-n",
            &requests.to_string(),
            "-c",
            &concurrency.to_string(),
            &url,
        ]),
        Duration::from_secs(120),
    )?;
    let server_after = cpu_of_running(demo.pid())?;
    anyhow::ensure!(out.code == Some(0), "oha failed: {}", out.stderr);
    Ok(E2eRun {
        wall: out.wall,
        client_cpu: out.cpu,
        server_cpu: server_after.saturating_sub(server_before),
        requests,
    })
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let runs = if quick { 3 } else { 9 };
    let demo = DemoProcess::start("none")?;
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("report.json");
    let mut results = Vec::new();
    for seed in 1..=runs {
        results.push(one_run(&demo, seed, &report)?);
    }
    let walls: Vec<Duration> = results.iter().map(|r| r.wall).collect();
    let requests: Vec<u64> = results.iter().map(|r| r.requests).collect();
    let wall = median(&walls).unwrap_or_default();
    let requests = median(&requests).unwrap_or(0);
    let ours = total(&results);
    let concurrency = crate::latency::default_concurrency()?;
    let floor = total(
        &(0..runs)
            .map(|_| oha_share(&demo, requests, concurrency))
            .collect::<anyhow::Result<Vec<_>>>()?,
    );
    let mut section = Section::new(
        "End to end: default checks on one demo resource",
        &[
            "client",
            "wall (median run)",
            "requests (median run)",
            "client CPU (all runs)",
            "demo API CPU (all runs)",
            "client share of CPU",
            "target < 2 s",
            "target share < 25%",
        ],
    );
    section.row(vec![
        format!("idemfuzz, default checks ({runs} runs)"),
        ms(wall),
        count(requests),
        ms(ours.client_cpu),
        ms(ours.server_cpu),
        format!("{:.1}%", share(&ours) * 100.0),
        verdict(wall < Duration::from_secs(2)),
        verdict(share(&ours) < 0.25),
    ]);
    section.row(vec![
        format!("oha, as many GETs ({runs} runs, reference)"),
        ms(floor.wall / u32::try_from(runs).unwrap_or(1)),
        count(requests),
        ms(floor.client_cpu),
        ms(floor.server_cpu),
        format!("{:.1}%", share(&floor) * 100.0),
        "—".into(),
        "—".into(),
    ]);
    section.note(format!("`idemfuzz run scenarios/demo.toml` (every default check, 3 cases each, default concurrency: {concurrency}) against `serve-demo` in another process, seeds 1..N; the oha row sends the median run's request count as GETs of one thing, {concurrency} at a time, to the same process, as often."));
    section.note("The oha row is the floor: a client that does nothing but send GETs still uses about as much CPU as this in-memory API, whose per-request work is little more than HTTP parsing. The 25% target presumes an API that does real work per request (storage, queries); against the demo no client can meet it, so the comparison that matters is idemfuzz's share against oha's.");
    section.note("CPU: user + system time of the client process (wait4) and of the demo process over the same interval (/proc/PID/stat, in 10 ms ticks, hence the sums over all runs). Much of idemfuzz's wall time is deliberate waiting (the lost-response and concurrency checks wait for the server), not CPU.");
    Ok(section)
}

/// The sums of several runs.
fn total(runs: &[E2eRun]) -> E2eRun {
    E2eRun {
        wall: runs.iter().map(|r| r.wall).sum(),
        client_cpu: runs.iter().map(|r| r.client_cpu).sum(),
        server_cpu: runs.iter().map(|r| r.server_cpu).sum(),
        requests: runs.iter().map(|r| r.requests).sum(),
    }
}

/// The client's part of the CPU time both processes used.
fn share(run: &E2eRun) -> f64 {
    let all = (run.client_cpu + run.server_cpu).as_secs_f64();
    if all > 0.0 {
        run.client_cpu.as_secs_f64() / all
    } else {
        0.0
    }
}
