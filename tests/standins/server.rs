//! Running a stand-in: the [`Behaviour`] trait every system implements, the [`Standin`] handle
//! (own tokio runtime, 127.0.0.1 port, dropping it stops the server) with its [`Builder`], and
//! the hyper transport (axum, with raw request-targets from the [`tap`](super::tap)).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

use super::exchange::{PathMode, Reply, Req};
use super::log::{Logged, RequestLog};
use super::raw_http;
use super::seed::{Seed, Seeded};
use super::store::Store;
use super::tap::{Tap, TapListener};

/// Largest request body a stand-in reads.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Which HTTP implementation serves a stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// hyper through axum: correct HTTP/1.1 framing; a HEAD answer never carries content.
    Hyper,
    /// A minimal hand-written HTTP/1.1 server ([`raw_http`](super::raw_http)) that writes what
    /// the behaviour says, content after a HEAD answer included.
    Raw,
}

/// How a system answers. One request is answered at a time (the store is locked for the whole
/// call), so every request is atomic.
pub(crate) trait Behaviour: Send + Sync + 'static {
    /// Answers one request. For HEAD, answer as for GET: the transport drops the content
    /// (unless [`Reply::body_on_head`] and the raw transport).
    fn answer(&self, store: &mut Store, req: &Req) -> Reply;

    /// Sets the store up before seeding (databases, buckets, root directories).
    fn init(&self, _store: &mut Store) {}

    /// Stores the `n`-th (1-based) pre-existing resource `id` of `collection`.
    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize);

    /// The id of the `n`-th pre-existing resource of a numbered seed.
    fn seed_id(&self, n: usize) -> String {
        format!("pre{n:05}")
    }

    /// How request paths become segments.
    fn path_mode(&self) -> PathMode {
        PathMode::Resolve
    }

    /// The transport that serves this system.
    fn transport(&self) -> Transport {
        Transport::Hyper
    }
}

/// What both transports share: the behaviour, its store and the request log.
pub(super) struct Shared {
    behaviour: Box<dyn Behaviour>,
    store: Mutex<Store>,
    log: RequestLog,
}

/// What a transport read of one request.
pub(super) struct Incoming {
    pub method: axum::http::Method,
    /// The request-target as it came on the wire.
    pub target: String,
    /// The path and query the application sees.
    pub path_and_query: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Shared {
    /// Answers and logs one request.
    pub(super) fn answer(&self, incoming: Incoming) -> Reply {
        let logged_headers = incoming
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let req = Req::new(
            incoming.method,
            incoming.target,
            &incoming.path_and_query,
            incoming.headers,
            incoming.body,
            self.behaviour.path_mode(),
        );
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let reply = self.behaviour.answer(&mut store, &req);
        self.log.push(Logged {
            method: req.method.as_str().to_string(),
            target: req.target,
            headers: logged_headers,
            body: req.body,
            status: reply.status,
        });
        reply
    }
}

/// A running stand-in. Dropping it stops the server and closes every connection.
pub(crate) struct Standin {
    runtime: Option<Runtime>,
    addr: SocketAddr,
    shared: Arc<Shared>,
    seeded: Vec<Seeded>,
}

/// Sets a stand-in up before it starts: pre-existing resources and the port.
pub(crate) struct Builder {
    behaviour: Box<dyn Behaviour>,
    seeds: Vec<Seed>,
    port: u16,
}

impl Builder {
    /// Pre-existing resources the server holds before the first request.
    pub(crate) fn seed(mut self, seed: Seed) -> Builder {
        self.seeds.push(seed);
        self
    }

    /// Listen on this port of 127.0.0.1 instead of an ephemeral one (exploration only).
    pub(crate) fn port(mut self, port: u16) -> Builder {
        self.port = port;
        self
    }

    /// Seeds the store, binds 127.0.0.1 and serves on a runtime of its own.
    pub(crate) fn start(self) -> Standin {
        let mut store = Store::default();
        self.behaviour.init(&mut store);
        let mut seeded = Vec::new();
        for seed in &self.seeds {
            seeded.extend(seed.apply(self.behaviour.as_ref(), &mut store));
        }
        let transport = self.behaviour.transport();
        let shared = Arc::new(Shared {
            behaviour: self.behaviour,
            store: Mutex::new(store),
            log: RequestLog::default(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a tokio runtime");
        // Bound without `block_on`, so that a stand-in can also be started inside an async test.
        let bound = std::net::TcpListener::bind(("127.0.0.1", self.port)).expect("bind 127.0.0.1");
        bound
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let addr = bound.local_addr().expect("local address");
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(bound).expect("hand the listener to tokio")
        };
        let serving = Arc::clone(&shared);
        match transport {
            Transport::Hyper => runtime.spawn(serve_hyper(listener, serving)),
            Transport::Raw => runtime.spawn(raw_http::serve(listener, serving)),
        };
        Standin {
            runtime: Some(runtime),
            addr,
            shared,
            seeded,
        }
    }
}

impl Standin {
    /// A stand-in of `behaviour` that has not started yet.
    pub(crate) fn builder(behaviour: impl Behaviour) -> Builder {
        Builder {
            behaviour: Box::new(behaviour),
            seeds: Vec::new(),
            port: 0,
        }
    }

    /// Starts `behaviour` with an empty store.
    pub(crate) fn start(behaviour: impl Behaviour) -> Standin {
        Standin::builder(behaviour).start()
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request so far, in the order they were answered.
    pub(crate) fn requests(&self) -> Vec<Logged> {
        self.shared.log.entries()
    }

    /// Forgets the requests logged so far.
    pub(crate) fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// A copy of the whole server state.
    pub(crate) fn state(&self) -> Store {
        self.shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The pre-existing resources as they were seeded.
    pub(crate) fn seeded(&self) -> &[Seeded] {
        &self.seeded
    }

    /// One line per pre-existing resource that is no longer exactly as seeded (changed,
    /// rewritten with the same content, or gone); empty when the seed is untouched.
    pub(crate) fn seed_changes(&self) -> Vec<String> {
        let state = self.state();
        self.seeded
            .iter()
            .filter_map(|s| match state.raw(&s.collection, &s.id) {
                None => Some(format!("{}/{}: gone", s.collection, s.id)),
                Some(now) if now.tombstone => Some(format!("{}/{}: deleted", s.collection, s.id)),
                Some(now) if *now != s.entry => Some(format!(
                    "{}/{}: changed\n  seeded: {:?}\n  now:    {:?}",
                    s.collection, s.id, s.entry, now
                )),
                Some(_) => None,
            })
            .collect()
    }

    /// Panics, listing them, when a pre-existing resource changed.
    #[track_caller]
    pub(crate) fn assert_seed_untouched(&self) {
        let changes = self.seed_changes();
        assert!(
            changes.is_empty(),
            "pre-existing resources were touched:\n{}\nrequests:\n{}",
            changes.join("\n"),
            self.requests()
                .iter()
                .map(Logged::line)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// `(collection, id)` of every live resource that was not seeded: what runs left behind.
    pub(crate) fn left_behind(&self) -> Vec<(String, String)> {
        let state = self.state();
        let mut left = Vec::new();
        for (name, collection) in &state.collections {
            for (id, _) in collection.live() {
                let seeded = self
                    .seeded
                    .iter()
                    .any(|s| &s.collection == name && &s.id == id);
                if !seeded {
                    left.push((name.clone(), id.clone()));
                }
            }
        }
        left
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Serves with hyper (axum) until the runtime stops.
async fn serve_hyper(listener: TcpListener, shared: Arc<Shared>) {
    let app = Router::new().fallback(handle).with_state(shared);
    let _ = axum::serve(
        TapListener(listener),
        app.into_make_service_with_connect_info::<Tap>(),
    )
    .await;
}

/// The one handler: every route is the behaviour's business.
async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(tap): ConnectInfo<Tap>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.to_string(), |pq| pq.as_str().to_string());
    let target = tap.take_target(parts.method.as_str(), &parts.uri.to_string());
    let reply = shared.answer(Incoming {
        method: parts.method,
        target,
        path_and_query,
        headers: parts.headers,
        body: body.to_vec(),
    });
    into_response(reply)
}

fn into_response(reply: Reply) -> Response {
    let mut response = Response::new(AxumBody::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn plain(status: StatusCode) -> Response {
    let mut response = Response::new(AxumBody::empty());
    *response.status_mut() = status;
    response
}
