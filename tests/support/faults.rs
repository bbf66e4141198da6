//! A fault-injecting stand-in: an HTTP/1.1 proxy on 127.0.0.1 in front of a real API (the demo
//! API, the id-reusing API) that answers a seeded share of requests with a fault instead:
//!
//! * `Unavailable`: 503 Service Unavailable, the request never reaches the API;
//! * `Reset`: the connection is closed without an answer, the request never reaches the API;
//! * `LostAnswer`: the request is applied by the API, then the connection is closed unanswered;
//! * `Stall`: no answer until the client gives up (the connection is closed after 5 s).
//!
//! Which request gets which fault is a pure function of the seed and the request's arrival
//! number ([`schedule`]), so a schedule is the same on every run; what a case sees still
//! depends on which of its requests arrive when.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::runtime::Runtime;

/// A fault the proxy answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Unavailable,
    Reset,
    LostAnswer,
    Stall,
}

pub(crate) const KINDS: [Fault; 4] = [
    Fault::Unavailable,
    Fault::Reset,
    Fault::LostAnswer,
    Fault::Stall,
];

/// How long a stalled request is held before its connection is closed.
const STALL: Duration = Duration::from_secs(5);

/// The fault of request number `n` (0-based arrival order), if any: `per_mille` of the requests
/// get one, the four kinds equally often.
pub(crate) fn schedule(seed: u64, n: u64, per_mille: u64) -> Option<Fault> {
    let draw = mix(seed ^ mix(n.wrapping_add(0x9E37_79B9_7F4A_7C15)));
    (draw % 1000 < per_mille).then(|| KINDS[((draw / 1000) % 4) as usize])
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The proxy; dropping it stops it.
pub(crate) struct FaultProxy {
    runtime: Option<Runtime>,
    addr: SocketAddr,
    state: Arc<State>,
}

/// Which request gets which fault, from its arrival number (0-based), method and path.
pub(crate) type Schedule = Box<dyn Fn(u64, &hyper::Method, &str) -> Option<Fault> + Send + Sync>;

struct State {
    backend: String,
    schedule: Schedule,
    arrived: AtomicU64,
    injected: [AtomicUsize; 4],
    client: reqwest::Client,
}

/// The connection is dropped without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

impl FaultProxy {
    /// Starts the proxy in front of `backend` (`http://127.0.0.1:PORT`): `per_mille` of the
    /// requests get a fault, as [`schedule`] draws them from `seed`.
    pub(crate) fn start(backend: &str, seed: u64, per_mille: u64) -> FaultProxy {
        FaultProxy::start_with(
            backend,
            Box::new(move |n, _: &hyper::Method, _: &str| schedule(seed, n, per_mille)),
        )
    }

    /// Starts the proxy with a schedule of its own.
    pub(crate) fn start_with(backend: &str, schedule: Schedule) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a tokio runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            backend: backend.trim_end_matches('/').to_string(),
            schedule,
            arrived: AtomicU64::new(0),
            injected: Default::default(),
            client: {
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::Client::builder()
                    .no_proxy()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("a client")
            },
        });
        let serving = state.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(state.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FaultProxy {
            runtime: Some(runtime),
            addr,
            state,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests that arrived so far.
    pub(crate) fn arrived(&self) -> u64 {
        self.state.arrived.load(Ordering::SeqCst)
    }

    /// How many faults of each kind were injected, in [`Fault`] order.
    pub(crate) fn injected(&self) -> [usize; 4] {
        std::array::from_fn(|k| self.state.injected[k].load(Ordering::SeqCst))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let n = state.arrived.fetch_add(1, Ordering::SeqCst);
    let fault = (state.schedule)(n, request.method(), request.uri().path());
    if let Some(fault) = fault {
        let kind = KINDS.iter().position(|k| *k == fault).unwrap_or(0);
        state.injected[kind].fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Some(Fault::Unavailable) => Ok(Response::builder()
            .status(503)
            .body(Full::new(Bytes::new()))
            .expect("a response")),
        Some(Fault::Reset) => Err(Dropped),
        Some(Fault::Stall) => {
            tokio::time::sleep(STALL).await;
            Err(Dropped)
        }
        Some(Fault::LostAnswer) => {
            let _ = forward(&state, request).await;
            Err(Dropped)
        }
        None => forward(&state, request).await.map_err(|_| Dropped),
    }
}

/// Sends the request on to the backend and returns its answer.
async fn forward(
    state: &State,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut outgoing = state
        .client
        .request(parts.method.clone(), format!("{}{path}", state.backend))
        .body(body.to_vec());
    for (name, value) in &parts.headers {
        if !hop_by_hop(name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return Ok(Response::builder()
            .status(502)
            .body(Full::new(Bytes::new()))
            .expect("a response"));
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !hop_by_hop(name.as_str()) {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    Ok(response.body(Full::new(bytes)).expect("a response"))
}

fn hop_by_hop(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "host" | "connection" | "keep-alive" | "transfer-encoding" | "content-length"
    )
}
