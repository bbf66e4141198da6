//! What stands in front of the demo API besides its bugs: a required bearer token (401
//! without it), throttling (429 with `Retry-After` on every Nth request), and a log of the
//! requests received, for tests that check what reached the server (rate, retries, HTTP
//! version). None of these is a bug: a correct API may require credentials and throttle
//! clients, and idemfuzz must cope without reporting a violation, so they are options of the
//! server, not members of `BugSet`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::demo::BugSet;
use crate::demo::problem::Problem;

/// How a demo server runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoOptions {
    /// The bugs the API exhibits (none: the clean API).
    pub bugs: BugSet,
    /// Answer 401 to every request without `Authorization: Bearer TOKEN`.
    pub require_token: Option<String>,
    /// Answer every Nth request 429 with `Retry-After`.
    pub throttle: Option<Throttle>,
}

impl DemoOptions {
    /// The clean or buggy API with no gate.
    pub fn with_bugs(bugs: BugSet) -> DemoOptions {
        DemoOptions {
            bugs,
            ..DemoOptions::default()
        }
    }
}

/// Throttling: every `every`-th request (counting all requests) answers 429 with
/// `Retry-After: retry_after_secs` and is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Every how many requests one is refused.
    pub every: u64,
    /// The `Retry-After` seconds the 429 answer carries.
    pub retry_after_secs: u64,
}

/// One request the server received, and the status it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// When the request reached the server.
    pub at: Instant,
    /// The request method, as received.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// `HTTP/1.1`, `HTTP/2.0`…
    pub version: String,
    /// The status the server answered.
    pub status: u16,
    /// The `Authorization` header as received (the demo is a test server: it may know it).
    pub authorization: Option<String>,
}

/// The requests a server received, in the order their answers completed (sort by
/// [`LoggedRequest::at`] for the order of arrival).
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<LoggedRequest>>>);

impl RequestLog {
    /// Everything logged so far.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, entry: LoggedRequest) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }
}

/// Wraps the API in its gates; the log (outermost) sees every request with its final status.
pub(super) fn gated(api: Router, options: &DemoOptions, log: Option<RequestLog>) -> Router {
    let mut router = api;
    if let Some(token) = options.require_token.clone() {
        let expected = Arc::new(format!("Bearer {token}"));
        router = router.layer(middleware::from_fn(move |request: Request, next: Next| {
            let expected = Arc::clone(&expected);
            async move { require_token(&expected, request, next).await }
        }));
    }
    if let Some(throttle) = options.throttle {
        let seen = Arc::new(AtomicU64::new(0));
        router = router.layer(middleware::from_fn(move |request: Request, next: Next| {
            let seen = Arc::clone(&seen);
            async move { throttled(throttle, &seen, request, next).await }
        }));
    }
    if let Some(log) = log {
        router = router.layer(middleware::from_fn(move |request: Request, next: Next| {
            let log = log.clone();
            async move { logged(&log, request, next).await }
        }));
    }
    router
}

async fn require_token(expected: &str, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given == Some(expected) {
        return next.run(request).await;
    }
    let detail = if given.is_some() {
        "the bearer token is not valid"
    } else {
        "a bearer token is required (Authorization: Bearer TOKEN)"
    };
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"idemfuzz-demo\""),
    );
    response
}

async fn throttled(throttle: Throttle, seen: &AtomicU64, request: Request, next: Next) -> Response {
    let number = seen.fetch_add(1, Ordering::SeqCst) + 1;
    if throttle.every == 0 || !number.is_multiple_of(throttle.every) {
        return next.run(request).await;
    }
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("slow down: every {}th request is refused", throttle.every),
    )
    .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(throttle.retry_after_secs),
    );
    response
}

async fn logged(log: &RequestLog, request: Request, next: Next) -> Response {
    let at = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let version = format!("{:?}", request.version());
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    log.push(LoggedRequest {
        at,
        method,
        path,
        version,
        status: response.status().as_u16(),
        authorization,
    });
    response
}
