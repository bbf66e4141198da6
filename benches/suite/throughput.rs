//! Request throughput of idemfuzz's HTTP engine — the transport stack a run sends through
//! (`build_transport` with default settings: Retry-After handling over the transport, which
//! sends plain http on its keep-alive hyper pool) — against oha on the same demo endpoint, at
//! concurrency 1, 16 and 64, in rounds that measure both clients back to back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use idemfuzz::cli::transport::{TransportSettings, build_transport};
use idemfuzz::http::transport::{OutgoingRequest, Transport};
use idemfuzz::model::exchange::Method;
use idemfuzz::report::ReporterSet;

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
            Workload::Mix if n.is_multiple_of(2) => Method::Get,
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
    let duration = format!("{}ms", duration.as_millis());
    let concurrency = concurrency.to_string();
    let mut args = vec!["-z", &duration, "-c", &concurrency];
    if method == Method::Put {
        args.extend([
            "-m",
            "PUT",
            "-H",
            "content-type: application/json",
            "-d",
            BODY,
        ]);
    }
    crate::oha::summary(&crate::oha::run(&args, url)?, "requestsPerSec")
}

/// idemfuzz's HTTP engine as a run builds it (`build_transport` with default settings), on a
/// multi-thread runtime of its own.
pub(crate) fn engine() -> anyhow::Result<(tokio::runtime::Runtime, Arc<dyn Transport>)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let transport = build_transport(
        &TransportSettings::default(),
        &[],
        &Arc::new(ReporterSet::new()),
    )
    .map_err(|err| anyhow::anyhow!("{err}"))?;
    Ok((runtime, transport))
}

/// One round at one concurrency level: each workload's rate for idemfuzz and for oha, measured
/// back to back so that both see the same load from the rest of the machine.
struct Round {
    engine: [f64; 3],
    oha: [f64; 3],
}

impl Round {
    fn ratio(&self, workload: usize) -> f64 {
        self.engine[workload] / self.oha[workload]
    }
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let (rounds, duration) = if quick {
        (3, Duration::from_secs(1))
    } else {
        (9, Duration::from_secs(2))
    };
    let demo = DemoProcess::start("none")?;
    let url = format!(
        "{}/things/idf-bench-throughput-{}",
        demo.base_url,
        std::process::id()
    );
    let (runtime, transport) = engine()?;
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
            "ratio range over rounds",
            "target ≥ 0.9",
        ],
    );
    let bench = Bench {
        runtime: &runtime,
        transport: &transport,
        url: &url,
        duration,
    };
    for concurrency in [1usize, 16, 64] {
        let level: Vec<Round> = (0..rounds)
            .map(|n| bench.round(concurrency, n % 2 == 1))
            .collect::<anyhow::Result<_>>()?;
        for (i, workload) in [Workload::Get, Workload::Put, Workload::Mix]
            .into_iter()
            .enumerate()
        {
            section.row(level_row(concurrency, workload, i, &level));
        }
    }
    section.note(format!(
        "{rounds} rounds of {} s per run at each concurrency. A round measures idemfuzz and oha back to back, one workload after the other, oha first in every other round; the ratio is the median of the rounds' ratios, so that a slow spell of this shared machine weighs on both sides of a ratio rather than on one. The rates are the medians over the rounds. Against the same `serve-demo` process on 127.0.0.1 and the same thing (`PUT` body `{BODY}`); only 2xx answers count, any other answer fails the suite.",
        duration.as_secs()
    ));
    section.note("oha sends one method per run, so its GET/PUT 1:1 figure is derived from its GET and PUT rates of the same round (the harmonic mean: the time per request is the average of both).");
    section.note("Both clients share the machine's cores with the demo API, which is the bottleneck at 16 and 64: the ratio says whether idemfuzz leaves the API as busy as oha does. At 1 the test is latency-bound, and the range shows how much the other tenants of this machine move a single round.");
    Ok(section)
}

/// The table row of one workload at one concurrency level.
fn level_row(concurrency: usize, workload: Workload, i: usize, level: &[Round]) -> Vec<String> {
    let mid = |values: Vec<f64>| median_f64(&values).unwrap_or(0.0);
    let ratios: Vec<f64> = level.iter().map(|round| round.ratio(i)).collect();
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ratio = mid(ratios);
    vec![
        concurrency.to_string(),
        workload.label().to_string(),
        count(mid(level.iter().map(|round| round.engine[i]).collect()) as u64),
        count(mid(level.iter().map(|round| round.oha[i]).collect()) as u64),
        format!("{ratio:.2}"),
        format!("{low:.2}–{high:.2}"),
        verdict(ratio >= TARGET_RATIO),
    ]
}

/// What every run of the suite shares.
struct Bench<'a> {
    runtime: &'a tokio::runtime::Runtime,
    transport: &'a Arc<dyn Transport>,
    url: &'a str,
    duration: Duration,
}

impl Bench<'_> {
    /// One round: GET and PUT for both clients, back to back (oha first when `oha_first`), then
    /// the engine's GET/PUT mix.
    fn round(&self, concurrency: usize, oha_first: bool) -> anyhow::Result<Round> {
        let (mut engine, mut oha) = ([0.0; 3], [0.0; 3]);
        for (i, (workload, method)) in [(Workload::Get, Method::Get), (Workload::Put, Method::Put)]
            .into_iter()
            .enumerate()
        {
            if oha_first {
                oha[i] = oha_rate(self.url, method, concurrency, self.duration)?;
            }
            engine[i] = self.engine_rate(workload, concurrency)?;
            if !oha_first {
                oha[i] = oha_rate(self.url, method, concurrency, self.duration)?;
            }
        }
        engine[2] = self.engine_rate(Workload::Mix, concurrency)?;
        oha[2] = 2.0 / (1.0 / oha[0] + 1.0 / oha[1]);
        Ok(Round { engine, oha })
    }

    fn engine_rate(&self, workload: Workload, concurrency: usize) -> anyhow::Result<f64> {
        self.runtime.block_on(engine_rate(
            Arc::clone(self.transport),
            self.url.to_string(),
            workload,
            concurrency,
            self.duration,
        ))
    }
}
