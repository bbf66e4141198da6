//! A stand-in for a staging API, in this process on 127.0.0.1: N copies of the demo API's
//! `things` resource (a fresh demo store each, under `/r1` … `/rN`), every request delayed by
//! a fixed latency, an OpenAPI document of the N resources at `/openapi.json` (for
//! Schemathesis), the arrival time of every request logged (to count requests and check
//! `--rate-limit` from the server's side), and optionally answers written as a real server
//! like Python's `http.server` writes them: the header block and the body in two writes, with
//! Nagle's algorithm on (the default), which makes a kept-alive client that delays its ACKs
//! wait about 40 ms per request.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use idemfuzz::demo::BugSet;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// How the stand-in behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Added to every request before it is handled.
    pub latency: Duration,
    /// Copies of the `things` resource.
    pub resources: usize,
    /// Header block and body in two writes, Nagle on.
    pub split_writes: bool,
}

/// A running stand-in; stops when dropped.
pub(crate) struct StandIn {
    pub base_url: String,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    /// How long each answered request took the stand-in, from arrival to answer (the added
    /// latency plus the handling, and whatever the machine's load adds to both).
    handling: Arc<Mutex<Vec<Duration>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StandIn {
    pub(crate) fn start(options: Options) -> anyhow::Result<StandIn> {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let handling = Arc::new(Mutex::new(Vec::new()));
        let app = router(options, Arc::clone(&arrivals), Arc::clone(&handling))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let serving = async {
                    let _ = if options.split_writes {
                        axum::serve(SplitListener(listener), app).await
                    } else {
                        axum::serve(listener, app).await
                    };
                };
                tokio::select! {
                    () = serving => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime ends the connections still open.
            drop(runtime);
        });
        Ok(StandIn {
            base_url,
            arrivals,
            handling,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The arrival times of the requests since the last call (the log is emptied).
    pub(crate) fn take_arrivals(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.arrivals.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// How long each request answered since the last call took the stand-in (the log is
    /// emptied).
    pub(crate) fn take_handling(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.handling.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn openapi_url(&self) -> String {
        format!("{}/openapi.json", self.base_url)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The N demo copies, the document, the latency and the arrival log.
fn router(
    options: Options,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    handling: Arc<Mutex<Vec<Duration>>>,
) -> anyhow::Result<Router> {
    let document = openapi_document(options.resources)?;
    let mut app = Router::new().route(
        "/openapi.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    for k in 1..=options.resources {
        let prefix = format!("/r{k}");
        let demo = idemfuzz::demo::router(BugSet::none()).layer(axum::middleware::map_response(
            prefixed_location(prefix.clone()),
        ));
        app = app.nest(&prefix, demo);
    }
    let latency = options.latency;
    let trace = trace_file()?;
    let epoch = Instant::now();
    Ok(app.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let arrivals = Arc::clone(&arrivals);
            let handling = Arc::clone(&handling);
            let trace = trace.clone();
            async move {
                let arrived = Instant::now();
                arrivals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(arrived);
                let line = trace
                    .is_some()
                    .then(|| format!("{} {}", request.method(), request.uri().path()));
                // (A zero sleep would still wait for the timer's next tick, about 1 ms.)
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                let response = next.run(request).await;
                handling
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(arrived.elapsed());
                if let (Some(trace), Some(line)) = (&trace, line) {
                    let micros = |at: Instant| at.duration_since(epoch).as_micros();
                    let mut file = trace.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = writeln!(
                        file,
                        "{} {} {line}",
                        micros(arrived),
                        micros(Instant::now())
                    );
                }
                response
            }
        },
    )))
}

/// With `IDEMFUZZ_STANDIN_TRACE=FILE` (for profiling by hand), every request's arrival and
/// answer times (µs) with its method and path are appended to FILE.
fn trace_file() -> anyhow::Result<Option<Arc<Mutex<std::fs::File>>>> {
    let Some(path) = std::env::var_os("IDEMFUZZ_STANDIN_TRACE") else {
        return Ok(None);
    };
    let file = std::fs::File::create(&path)?;
    Ok(Some(Arc::new(Mutex::new(file))))
}

/// The demo answers `Location: /things/ID`; under `/rK` that is `/rK/things/ID`.
fn prefixed_location(
    prefix: String,
) -> impl FnMut(Response) -> std::future::Ready<Response> + Clone + Send + 'static {
    move |mut response: Response| {
        let moved = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .filter(|location| location.starts_with('/'))
            .and_then(|location| HeaderValue::from_str(&format!("{prefix}{location}")).ok());
        if let Some(location) = moved {
            response.headers_mut().insert(header::LOCATION, location);
        }
        std::future::ready(response)
    }
}

/// The demo's own OpenAPI document, reduced to `things` and repeated under `/r1` … `/rN`.
fn openapi_document(resources: usize) -> anyhow::Result<Value> {
    let path = crate::demo::root().join("src/demo/openapi.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let mut document: Value = serde_json::from_str(&text)?;
    let paths = document["paths"].take();
    let mut repeated = serde_json::Map::new();
    for k in 1..=resources {
        for name in ["/things", "/things/{thingId}"] {
            let mut item = paths[name].clone();
            if let Some(operations) = item.as_object_mut() {
                for operation in operations.values_mut() {
                    if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                        operation["operationId"] = Value::String(format!("{id}R{k}"));
                    }
                }
            }
            repeated.insert(format!("/r{k}{name}"), item);
        }
    }
    document["paths"] = Value::Object(repeated);
    Ok(document)
}

/// Accepts connections whose writes are split (see [`SplitWrites`]); Nagle stays on.
struct SplitListener(TcpListener);

impl axum::serve::Listener for SplitListener {
    type Io = SplitWrites;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (SplitWrites, std::net::SocketAddr) {
        loop {
            if let Ok((stream, addr)) = self.0.accept().await {
                return (SplitWrites(stream), addr);
            }
        }
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.local_addr()
    }
}

/// A stream whose vectored writes write only their first non-empty buffer, so hyper's header
/// block and body leave in two `write`s, as Python's `http.server` sends them.
struct SplitWrites(TcpStream);

impl AsyncRead for SplitWrites {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SplitWrites {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
        Pin::new(&mut self.0).poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A scenario file with N copies of `scenarios/demo.toml`'s `things` resource, `r1` … `rN`,
/// under `/r1/things` … `/rN/things`, written to `dir`.
pub(crate) fn scenario(dir: &std::path::Path, resources: usize) -> anyhow::Result<String> {
    let demo = std::fs::read_to_string(crate::demo::scenario("demo.toml"))?;
    let (target, resource) = demo
        .split_once("[resources.things]")
        .context("scenarios/demo.toml has no [resources.things]")?;
    let resource = format!("[resources.things]{resource}");
    let mut text = target.to_string();
    for k in 1..=resources {
        text.push_str(
            &resource
                .replace("[resources.things", &format!("[resources.r{k}"))
                .replace("\"/things", &format!("\"/r{k}/things")),
        );
    }
    let path = dir.join(format!("standin-{resources}.toml"));
    std::fs::write(&path, text)?;
    Ok(path.display().to_string())
}

/// The argument that makes the suite's binary serve a stand-in until it is killed, for
/// profiling runs by hand: `--serve-standin LATENCY_MS,RESOURCES[,split]`.
pub(crate) const SERVE_FLAG: &str = "--serve-standin";

/// Serves the stand-in `spec` describes; prints its base URL and the matching scenario file.
pub(crate) fn serve(spec: &str) -> anyhow::Result<()> {
    let mut parts = spec.split(',');
    let latency_ms: u64 = parts.next().context("latency in ms")?.parse()?;
    let resources: usize = parts.next().context("number of resources")?.parse()?;
    let split_writes = parts.next() == Some("split");
    let server = StandIn::start(Options {
        latency: Duration::from_millis(latency_ms),
        resources,
        split_writes,
    })?;
    let scenario = scenario(&std::env::temp_dir(), resources)?;
    println!("{} {scenario}", server.base_url);
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
