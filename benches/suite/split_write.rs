//! The delayed-ACK stall: against a server that writes an answer's header block and body in
//! two writes with Nagle on (the stand-in's `split_writes`, as Python's `http.server` does), a
//! kept-alive client that delays its ACKs waits about 40 ms per request. Side by side in one
//! run: oha and idemfuzz's engine, one request at a time on one kept-alive connection, and
//! whole default runs, each against the split-write stand-in and the same stand-in writing
//! answers in one piece.

use std::sync::Arc;
use std::time::{Duration, Instant};

use idemfuzz::http::transport::{OutgoingRequest, Transport};
use idemfuzz::model::exchange::Method;

use crate::standin::{self, Options, StandIn};
use crate::stats::count;
use crate::table::{Section, verdict};

/// idemfuzz's time per request at most this share of oha's on the split-write server.
const TARGET_SHARE: f64 = 0.1;

/// Per-request time of one client on one server.
struct Timed {
    requests: u64,
    wall: Duration,
}

impl Timed {
    fn ms_per_request(&self) -> f64 {
        self.wall.as_secs_f64() * 1000.0 / self.requests.max(1) as f64
    }
}

fn request(method: Method, url: &str) -> OutgoingRequest {
    OutgoingRequest {
        method,
        url: url.to_string(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: (method == Method::Put).then(|| br#"{"name":"bench","color":"red"}"#.to_vec()),
        timeout: Duration::from_secs(10),
    }
}

/// `requests` GETs of `url`, one at a time, through the transport a run uses (after one
/// warm-up request that opens the connection).
fn engine(
    runtime: &tokio::runtime::Runtime,
    transport: &Arc<dyn Transport>,
    url: &str,
    requests: u64,
) -> anyhow::Result<Timed> {
    runtime.block_on(async {
        let warm = transport.send(request(Method::Get, url)).await;
        anyhow::ensure!(matches!(&warm, Ok(raw) if raw.status == 200), "{warm:?}");
        let started = Instant::now();
        for _ in 0..requests {
            let answer = transport.send(request(Method::Get, url)).await;
            anyhow::ensure!(
                matches!(&answer, Ok(raw) if raw.status == 200),
                "{answer:?}"
            );
        }
        Ok(Timed {
            requests,
            wall: started.elapsed(),
        })
    })
}

/// oha's average time per request, one connection, `requests` GETs.
fn oha(url: &str, requests: u64) -> anyhow::Result<Timed> {
    let n = requests.to_string();
    let json = crate::oha::run(&["-n", &n, "-c", "1"], url)?;
    let average = crate::oha::summary(&json, "average")?;
    Ok(Timed {
        requests,
        wall: Duration::from_secs_f64(average * requests as f64),
    })
}

/// A default run (`idemfuzz run`, default settings) of the one-resource scenario; every
/// request it sent (the stand-in's count).
fn default_run(server: &StandIn, scenario: &str, dir: &std::path::Path) -> anyhow::Result<Timed> {
    let run = crate::latency::default_run(server, scenario, &[], dir)?;
    Ok(Timed {
        requests: run.arrivals.len() as u64,
        wall: run.wall,
    })
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let (oha_requests, engine_requests) = if quick { (20, 200) } else { (100, 2000) };
    let server = |split_writes| {
        StandIn::start(Options {
            latency: Duration::ZERO,
            resources: 1,
            split_writes,
        })
    };
    let (split, whole) = (server(true)?, server(false)?);
    let (runtime, transport) = crate::throughput::engine()?;
    let dir = tempfile::tempdir()?;
    let scenario = standin::scenario(dir.path(), 1)?;
    let mut section = Section::new(
        "Delayed ACK: a server that writes header and body apart",
        &[
            "server writes an answer",
            "client",
            "requests",
            "wall",
            "ms per request",
            "target: idemfuzz ≤ 1/10 of oha",
        ],
    );
    for (label, server, split_writes) in [
        ("in two writes", &split, true),
        ("in one write", &whole, false),
    ] {
        let url = format!("{}/r1/things/idf-bench-split", server.base_url);
        let created = runtime.block_on(transport.send(request(Method::Put, &url)));
        anyhow::ensure!(
            matches!(&created, Ok(raw) if (200..300).contains(&raw.status)),
            "cannot create the benchmark thing: {created:?}"
        );
        let oha = oha(&url, oha_requests)?;
        let ours = engine(&runtime, &transport, &url, engine_requests)?;
        let run = default_run(server, &scenario, dir.path())?;
        let target = if split_writes {
            verdict(ours.ms_per_request() <= oha.ms_per_request() * TARGET_SHARE)
        } else {
            "—".into()
        };
        section.row(row(
            label,
            "oha, 1 connection, 1 request at a time",
            &oha,
            "—".into(),
        ));
        section.row(row(label, "idemfuzz's engine, the same way", &ours, target));
        section.row(row(
            label,
            "idemfuzz, a default run (concurrency as default)",
            &run,
            "—".into(),
        ));
    }
    section.note("The stand-in (benches/suite/standin.rs) serves the demo API's `things` in this process on 127.0.0.1, with no added latency. \"In two writes\": the header block, then the body, each its own `write`, Nagle's algorithm left on — as Python's `http.server` answers. With Nagle on, the body leaves only once the header block is acknowledged, and a client in delayed-ACK mode acknowledges about 40 ms later. \"In one write\": the same server as hyper normally writes (one `writev`), for reference.");
    section.note("oha and the engine (`build_transport` with default settings, the transport of a run) send GETs of one thing, one at a time on one kept-alive connection, after one warm-up request; ms per request is the wall time over the requests (oha: its average). A default run is `idemfuzz run` of `scenarios/demo.toml`'s resource (several cases in flight), so its ms per request is wall time over requests.");
    Ok(section)
}

fn row(server: &str, client: &str, timed: &Timed, target: String) -> Vec<String> {
    vec![
        server.to_string(),
        client.to_string(),
        count(timed.requests),
        format!("{:.2} s", timed.wall.as_secs_f64()),
        format!("{:.3}", timed.ms_per_request()),
        target,
    ]
}
