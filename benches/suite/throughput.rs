//! Request throughput of idemfuzz's HTTP engine — the transport stack a run sends through
//! (`build_transport` with default settings: Retry-After handling over the pooled reqwest
//! client) — against oha on the same demo endpoint, at concurrency 1, 16 and 64.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use idemfuzz::cli::transport::{TransportSettings, build_transport};
use idemfuzz::http::model::Method;
use idemfuzz::http::transport::{OutgoingRequest, Transport};
use idemfuzz::report::ReporterSet;
use serde_json::Value;

use crate::demo::DemoProcess;
use crate::stats::{count, median_f64};
use crate::table::{Section, verdict};

const BODY: &str = r#"{"name":"bench","color":"red","size":3}"#;
const TARGET_RATIO: f64 = 0.9;

/// What each client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Get,
    Put,
    /// GET and PUT alternately (1:1).
    Mix,
}

impl Workload {
    fn label(self) -> &'static str {
        match self {
            Workload::Get => "GET",
            Workload::Put => "PUT",
            Workload::Mix => "GET/PUT 1:1",
        }
    }

    fn method(self, n: u64) -> Method {
        match self {
            Workload::Get => Method::Get,
            Workload::Put => Method::Put,
            Workload::Mix if n % 2 == 0 => Method::Get,
            Workload::Mix => Method::Put,
        }
    }
}

fn request(method: Method, url: &str) -> OutgoingRequest {
    let put = method == Method::Put;
    OutgoingRequest {
        method,
        url: url.to_string(),
        headers: if put {
            vec![("content-type".into(), "application/json".into())]
        } else {
            Vec::new()
        },
        body: put.then(|| BODY.as_bytes().to_vec()),
        timeout: Duration::from_secs(10),
    }
}

/// Requests per second the engine completes with 2xx answers, counted over `duration` after
/// a short warm-up (connections opened).
async fn engine_rate(
    transport: Arc<dyn Transport>,
    url: String,
    workload: Workload,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let from = Instant::now() + Duration::from_millis(300);
    let until = from + duration;
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (transport, url, ok, failed) = (
                Arc::clone(&transport),
                url.clone(),
                Arc::clone(&ok),
                Arc::clone(&failed),
            );
            tokio::spawn(async move {
                let mut n = worker as u64;
                while Instant::now() < until {
                    let answer = transport.send(request(workload.method(n), &url)).await;
                    let now = Instant::now();
                    if now >= from && now <= until {
                        match answer {
                            Ok(raw) if (200..300).contains(&raw.status) => {
                                ok.fetch_add(1, Ordering::Relaxed)
                            }
                            _ => failed.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                    n += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    let failed = failed.load(Ordering::Relaxed);
    anyhow::ensure!(
        failed == 0,
        "{failed} requests failed or got non-2xx answers"
    );
    Ok(ok.load(Ordering::Relaxed) as f64 / duration.as_secs_f64())
}

/// oha's rate for one method against `url`.
fn oha_rate(
    url: &str,
    method: Method,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let mut command = Command::new("oha");
    command.args([
        "--no-tui",
        "--output-format",
        "json",
        "-z",
        &format!("{}ms", duration.as_millis()),
        "-c",
        &concurrency.to_string(),
    ]);
    if method == Method::Put {
        command.args([
            "-m",
            "PUT",
            "-H",
            "content-type: application/json",
            "-d",
            BODY,
        ]);
    }
    let out = command
        .arg(url)
        .output()
        .context("run oha (scripts/bench.sh installs it)")?;
    anyhow::ensure!(
        out.status.success(),
        "oha failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).context("oha's JSON output")?;
    let non_2xx: u64 = json["statusCodeDistribution"]
        .as_object()
        .map(|codes| {
            codes
                .iter()
                .filter(|(code, _)| !code.starts_with('2'))
                .map(|(_, n)| n.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    anyhow::ensure!(non_2xx == 0, "oha got {non_2xx} non-2xx answers");
    json["summary"]["requestsPerSec"]
        .as_f64()
        .context("oha's JSON has no summary.requestsPerSec")
}

/// Median rates of one concurrency level over the rounds.
struct Level {
    engine: [f64; 3],
    oha_get: f64,
    oha_put: f64,
}

pub fn run(quick: bool) -> anyhow::Result<Section> {
    let (rounds, duration) = if quick {
        (1, Duration::from_secs(1))
    } else {
        (3, Duration::from_secs(3))
    };
    let demo = DemoProcess::start("none")?;
    let url = format!(
        "{}/things/idf-bench-throughput-{}",
        demo.base_url,
        std::process::id()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let transport = build_transport(
        &TransportSettings::default(),
        &[],
        &Arc::new(ReporterSet::new()),
    )
    .map_err(|err| anyhow::anyhow!("{err}"))?;
    // The resource must exist for GET to answer 200.
    let created = runtime.block_on(transport.send(request(Method::Put, &url)));
    anyhow::ensure!(
        created.is_ok(),
        "cannot create the benchmark thing: {created:?}"
    );
    let mut section = Section::new(
        "Throughput: idemfuzz's HTTP engine vs oha",
        &[
            "concurrency",
            "workload",
            "idemfuzz req/s",
            "oha req/s",
            "ratio",
            "target ≥ 0.9",
        ],
    );
    for concurrency in [1usize, 16, 64] {
        let level = measure_level(&runtime, &transport, &url, concurrency, duration, rounds)?;
        let oha_mix = 2.0 / (1.0 / level.oha_get + 1.0 / level.oha_put);
        for (i, (workload, oha)) in [
            (Workload::Get, level.oha_get),
            (Workload::Put, level.oha_put),
            (Workload::Mix, oha_mix),
        ]
        .into_iter()
        .enumerate()
        {
            let ratio = level.engine[i] / oha;
            section.row(vec![
                concurrency.to_string(),
                workload.label().to_string(),
                count(level.engine[i] as u64),
                count(oha as u64),
                format!("{ratio:.2}"),
                verdict(ratio >= TARGET_RATIO),
            ]);
        }
    }
    section.note(format!(
        "Each figure is the median of {rounds} round(s) of {} s per workload; idemfuzz and oha alternate within a round, against the same `serve-demo` process on 127.0.0.1 and the same thing (`PUT` body `{BODY}`). Only 2xx answers count; any other answer fails the suite.",
        duration.as_secs()
    ));
    section.note("oha sends one method per run, so its GET/PUT 1:1 figure is derived from its GET and PUT rates (the harmonic mean: the time per request is the average of both).");
    section.note("Both clients share the machine's cores with the demo API, which is the bottleneck at 16 and 64: the ratio says whether idemfuzz leaves the API as busy as oha does.");
    Ok(section)
}

fn measure_level(
    runtime: &tokio::runtime::Runtime,
    transport: &Arc<dyn Transport>,
    url: &str,
    concurrency: usize,
    duration: Duration,
    rounds: usize,
) -> anyhow::Result<Level> {
    let mut engine: [Vec<f64>; 3] = Default::default();
    let (mut oha_get, mut oha_put) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (i, workload) in [Workload::Get, Workload::Put, Workload::Mix]
            .into_iter()
            .enumerate()
        {
            let rate = runtime.block_on(engine_rate(
                Arc::clone(transport),
                url.to_string(),
                workload,
                concurrency,
                duration,
            ))?;
            engine[i].push(rate);
        }
        oha_get.push(oha_rate(url, Method::Get, concurrency, duration)?);
        oha_put.push(oha_rate(url, Method::Put, concurrency, duration)?);
    }
    let mid = |v: &[f64]| median_f64(v).unwrap_or(0.0);
    Ok(Level {
        engine: [mid(&engine[0]), mid(&engine[1]), mid(&engine[2])],
        oha_get: mid(&oha_get),
        oha_put: mid(&oha_put),
    })
}
