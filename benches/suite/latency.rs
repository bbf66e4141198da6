//! Latency-bound runs: a default run against the stand-in API that adds 20 ms or 100 ms to
//! every request, with 1, 10 and 50 resources, its wall time against the lower bound
//! `requests × latency ÷ concurrency` (no run can keep more requests in flight than its
//! concurrency, each taking at least the latency); and a run under `--rate-limit`, whose
//! departures the stand-in checks from its side.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use crate::child::measure;
use crate::demo::idemfuzz;
use crate::standin::{self, Options, StandIn};
use crate::stats::count;
use crate::table::{Section, verdict};

/// Wall time at most this multiple of the lower bound.
const TARGET_RATIO: f64 = 1.5;

/// One run to measure.
struct Setup {
    latency_ms: u64,
    resources: usize,
    /// `--rate-limit N/s`.
    rate: Option<u32>,
}

/// What one run measured.
pub(crate) struct Measured {
    pub requests: u64,
    /// Requests the stand-in received (the run's count plus nothing else: a check).
    pub arrivals: Vec<Instant>,
    /// How long each request took the stand-in, arrival to answer.
    pub handling: Vec<Duration>,
    pub wall: Duration,
    /// User + system time of the idemfuzz process.
    pub cpu: Duration,
}

/// `idemfuzz --help`'s default `--concurrency` (the bound divides by it).
pub(crate) fn default_concurrency() -> anyhow::Result<u64> {
    let out = idemfuzz().args(["run", "--help"]).output()?;
    let help = String::from_utf8_lossy(&out.stdout);
    let after = help
        .split_once("--concurrency")
        .map(|(_, rest)| rest)
        .context("`run --help` lists no --concurrency")?;
    let default = after
        .split_once("[default: ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(value, _)| value)
        .context("`run --help` gives --concurrency no default")?;
    Ok(default.trim().parse()?)
}

/// A default run of the N-resource scenario against `server` (with `extra` arguments).
pub(crate) fn default_run(
    server: &StandIn,
    scenario: &str,
    extra: &[&str],
    dir: &std::path::Path,
) -> anyhow::Result<Measured> {
    let report = dir.join("report.json");
    server.take_arrivals();
    server.take_handling();
    let out = measure(
        idemfuzz()
            .args([
                "run",
                scenario,
                "--base-url",
                &server.base_url,
                "--seed",
                "1",
                "--no-progress",
                "--format",
                "json",
                "--output",
                &report.display().to_string(),
            ])
            .args(extra),
        Duration::from_secs(1800),
    )?;
    anyhow::ensure!(
        out.code == Some(0),
        "the default run failed on the stand-in: {}",
        out.stderr
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&report)?).context("the report")?;
    Ok(Measured {
        requests: json["stats"]["requests"].as_u64().unwrap_or(0),
        arrivals: server.take_arrivals(),
        handling: server.take_handling(),
        wall: out.wall,
        cpu: out.cpu,
    })
}

/// The most arrivals within any window of `width` (half-open), from sorted arrival times.
pub(crate) fn most_within(arrivals: &[Instant], width: Duration) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let mut most = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= width {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let setups: Vec<Setup> = if quick {
        vec![
            Setup {
                latency_ms: 20,
                resources: 1,
                rate: None,
            },
            Setup {
                latency_ms: 20,
                resources: 10,
                rate: None,
            },
            Setup {
                latency_ms: 20,
                resources: 1,
                rate: Some(50),
            },
        ]
    } else {
        let mut setups = Vec::new();
        for latency_ms in [20, 100] {
            for resources in [1, 10, 50] {
                setups.push(Setup {
                    latency_ms,
                    resources,
                    rate: None,
                });
            }
        }
        setups.push(Setup {
            latency_ms: 20,
            resources: 10,
            rate: Some(100),
        });
        setups
    };
    let concurrency = default_concurrency()?;
    let dir = tempfile::tempdir()?;
    let mut section = Section::new(
        "Latency-bound runs: wall time against its bound",
        &[
            "latency",
            "resources",
            "`--rate-limit`",
            "requests",
            "wall",
            "lower bound",
            "wall ÷ bound",
            "stand-in's time per request (median / p90)",
            "bound from the stand-in's times",
            "wall ÷ that bound",
            "most requests in any 1 s (stand-in)",
            "target ≤ 1.5× bound, limit kept",
        ],
    );
    for setup in &setups {
        eprintln!(
            "bench: latency {} ms, {} resource(s){}…",
            setup.latency_ms,
            setup.resources,
            setup.rate.map(|r| format!(", {r}/s")).unwrap_or_default()
        );
        section.row(measure_setup(setup, concurrency, dir.path())?);
    }
    section.note(format!("A default run (`idemfuzz run FILE --seed 1`: every default check, 3 cases each, concurrency {concurrency}, the default) of N copies of `scenarios/demo.toml`'s resource against the stand-in (benches/suite/standin.rs): N copies of the demo API's `things` under `/r1` … `/rN` in this process on 127.0.0.1, every request held for the latency before it is handled."));
    section.note("Requests: every request the stand-in received from the run; the report's `stats.requests` leaves out the cleanup DELETEs.");
    section.note("Lower bound: requests × latency ÷ concurrency — no run keeps more than its concurrency of cases, each sending one request at a time, in flight (the concurrency checks' batches are the exception, in idemfuzz's favour) — and, under `--rate-limit N/s`, no less than (requests − 1) ÷ N. \"Most requests in any 1 s\" counts arrivals at the stand-in in a sliding one-second window; under the limit it must not exceed N.");
    section.note("The stand-in's time per request runs from a request's arrival to its answer: the latency plus the handling, and whatever this machine's load adds to both (the stand-in's timer and threads wait for a core like every other process). The bound from the stand-in's times puts the sum of those times in place of requests × latency; the distance between that bound and the wall time is what the run's structure costs, the rest is the stand-in's overshoot. The target is judged against the nominal bound.");
    Ok(section)
}

fn measure_setup(
    setup: &Setup,
    concurrency: u64,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    let latency = Duration::from_millis(setup.latency_ms);
    let server = StandIn::start(Options {
        latency,
        resources: setup.resources,
        split_writes: false,
    })?;
    let scenario = standin::scenario(dir, setup.resources)?;
    let limit = setup.rate.map(|rate| format!("{rate}/s"));
    let extra: Vec<&str> = match &limit {
        Some(limit) => vec!["--rate-limit", limit],
        None => Vec::new(),
    };
    let run = default_run(&server, &scenario, &extra, dir)?;
    // Every request the run sent, its cleanup DELETEs included (the report counts the others).
    let requests = run.arrivals.len() as u64;
    let in_flight = latency.as_secs_f64() * requests as f64 / concurrency as f64;
    let paced = setup.rate.map_or(0.0, |rate| {
        requests.saturating_sub(1) as f64 / f64::from(rate)
    });
    let bound = in_flight.max(paced);
    let ratio = run.wall.as_secs_f64() / bound;
    // The same bound with each request's real time at the stand-in instead of the nominal
    // latency: on a loaded machine the stand-in's timer and scheduler add to every request.
    let handled: Duration = run.handling.iter().sum();
    let measured_bound = (handled.as_secs_f64() / concurrency as f64).max(paced);
    let mut handling = run.handling.clone();
    handling.sort();
    let quantile = |q: f64| {
        handling
            .get(((handling.len() as f64 * q) as usize).min(handling.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let most = most_within(&run.arrivals, Duration::from_secs(1));
    let kept = setup.rate.is_none_or(|rate| most <= rate as usize);
    Ok(vec![
        format!("{} ms", setup.latency_ms),
        setup.resources.to_string(),
        setup.rate.map_or("—".into(), |rate| format!("{rate}/s")),
        format!(
            "{} ({} in the report)",
            count(requests),
            count(run.requests)
        ),
        format!("{:.1} s", run.wall.as_secs_f64()),
        format!("{bound:.1} s"),
        format!("{ratio:.2}"),
        format!("{:.1} / {:.1} ms", quantile(0.5), quantile(0.9)),
        format!("{measured_bound:.1} s"),
        format!("{:.2}", run.wall.as_secs_f64() / measured_bound),
        count(most as u64),
        verdict(ratio <= TARGET_RATIO && kept),
    ])
}
