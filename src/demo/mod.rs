//! The bundled demo API (axum, in-process) with switchable planted bugs: the public entry points
//! (router, `serve`, `DemoServer`) and the assembly of the resources' routes.
//!
//! The API is correct by default; each [`Bug`] switches on one realistic defect for idemfuzz's
//! checks to find. Resources: `/things` (generic JSON items, with POST and Idempotency-Key),
//! `/lamps` (switched ON/OFF by clients, marked BROKEN by the system), `/devices` (rebooted
//! idempotently by `PUT {"times_rebooted": n + 1}`) and `/notes` (POST-PUT creation, every PUT
//! conditional). Items carry strong ETags and honour `If-Match` / `If-None-Match`; errors are
//! RFC 9457 problem details. `GET /openapi.json` serves the API's own OpenAPI 3.1 document
//! (things and lamps).

mod bugs;
mod clock;
mod conditional;
mod devices;
mod etag;
mod extract;
mod gate;
mod idempotency;
mod keyed;
mod lamps;
mod merge_patch;
mod notes;
mod openapi;
mod problem;
mod race;
mod reply;
mod store;
mod things;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{MethodRouter, any};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use bugs::{Bug, BugSet};
pub use gate::Throttle;
pub use gate::{DemoOptions, LoggedRequest, RequestLog};

use extract::MAX_BODY;
use problem::Problem;
use store::Store;

/// The state every handler sees: the bugs switched on, and the shared store.
#[derive(Debug, Clone)]
struct App {
    bugs: BugSet,
    store: Arc<Store>,
}

/// The demo API as an axum router, with a fresh empty store.
pub fn router(bugs: BugSet) -> Router {
    let app = App {
        bugs,
        store: Arc::default(),
    };
    Router::new()
        .merge(things::routes())
        .merge(lamps::routes())
        .merge(devices::routes())
        .merge(notes::routes())
        .merge(openapi::routes())
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// The method routing of one path that allows exactly the methods in `allow`: OPTIONS answers
/// 204 with `Allow`, and any method without a handler answers 405 with `Allow`. Chain the
/// handlers of the other methods onto the result.
///
/// Built on `any` so that axum adds no `Allow` of its own: the field is ours to set (or, with
/// the `no-allow` bug, to forget).
fn methods(allow: &'static str) -> MethodRouter<App> {
    any(move |method: Method, State(app): State<App>| async move {
        reply::method_not_allowed(&method, allow, app.bugs)
    })
    .options(move || async move { reply::options(allow) })
}

/// The demo API behind the gates of `options` (required token, throttling), logging requests
/// to `log` when given.
pub fn router_with(options: &DemoOptions, log: Option<RequestLog>) -> Router {
    gate::gated(router(options.bugs), options, log)
}

/// Serves the demo API behind the gates of `options` on `listener` until `shutdown` resolves,
/// then finishes the requests in flight and returns.
pub(crate) async fn serve_with(
    listener: TcpListener,
    options: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with(&options, None))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A running demo server. Dropping it without [`DemoServer::shutdown`] also stops the server,
/// without waiting.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    log: RequestLog,
}

impl DemoServer {
    /// Binds `addr` (use 127.0.0.1:0 for an ephemeral port) and serves in a spawned tokio task.
    pub(crate) async fn start(addr: SocketAddr, bugs: BugSet) -> std::io::Result<DemoServer> {
        DemoServer::start_with(addr, DemoOptions::with_bugs(bugs)).await
    }

    /// `DemoServer::start` with gates (required token, throttling); every request is logged
    /// (see [`DemoServer::requests`]).
    pub async fn start_with(addr: SocketAddr, options: DemoOptions) -> std::io::Result<DemoServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        let signal = async move {
            // A send or a dropped sender both mean "stop".
            let _ = stop.await;
        };
        let log = RequestLog::default();
        let app = router_with(&options, Some(log.clone()));
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
        });
        Ok(DemoServer {
            addr,
            shutdown,
            task,
            log,
        })
    }

    /// Every request the server received so far (see [`RequestLog::entries`]).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.entries()
    }

    /// The address the server listens on.
    #[cfg(test)]
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, with a loopback host when the server listens on all interfaces.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// Stops accepting and waits for the server task to end (graceful).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        // The task's own result (an accept error) has nobody left to report it to.
        let _ = self.task.await;
    }
}

/// What a fallible handler returns: its response, or the problem to answer instead.
type Answer = Result<Response, Problem>;
