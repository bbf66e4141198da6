//! Keep-alive HTTP/1.1 connections for plain `http://` sends on a direct route: the hot path of
//! a run against a local or in-cluster API. reqwest's per-request work (a WHATWG URL parse with
//! IDNA, a second parse into a URI, its large request future) cost a fifth of the throughput
//! against oha (docs/performance.md, *Throughput*); this client sends through hyper's
//! connection API directly and keeps the connections it opened, per origin.
//!
//! It only takes the requests it sends exactly as reqwest would: scheme `http`, no user info,
//! a URI `http` parses as it is, no proxy in the configuration, and `--http-version` not `2`.
//! Everything else goes through reqwest ([`PlainPool::try_send`] hands it back).
//!
//! Connections acknowledge answers at once ([`QuickAck`]), so a server that writes header and
//! body apart never waits 40 ms for a delayed ACK.
//!
//! A request is retried on a fresh connection only when hyper hands it back unsent (the idle
//! connection closed just before it was written); a request that may have reached the server is
//! never sent twice.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::http::config::{HttpVersion, TransportConfig};
use crate::http::quickack::QuickAck;
use crate::http::sent::DEFAULT_ACCEPT;
use crate::http::transport::{OutgoingRequest, RawResponse, TransportError, header_pairs};
use crate::http::wire::{origin_form_request, other, read_capped, timeout};

/// Idle connections kept per origin; more are closed when they come back.
const MAX_IDLE_PER_ORIGIN: usize = 128;

type Sender = SendRequest<Full<Bytes>>;

/// Where a plain-http target's connections go: its authority as written. The pool takes
/// only lower-case hosts and no explicit `:80`, so one origin has one spelling.
type Origin = http::uri::Authority;

/// Pooled HTTP/1.1 connections to plain-http origins.
pub(crate) struct PlainPool {
    /// False when the configuration rules the pool out (a proxy, or HTTP/2 only).
    enabled: bool,
    connect_timeout: Option<Duration>,
    /// Idle connections by origin, keyed by its spelling (`Authority` hashes and compares
    /// case-insensitively byte by byte, which cost more than the rest of a checkout).
    idle: Mutex<HashMap<String, Vec<Sender>>>,
}

/// A request taken apart for the pool.
struct Target {
    origin: Origin,
    /// Origin-form request target: `/path?query`.
    path: http::Uri,
}

/// How one exchange on a connection ended.
enum Attempt {
    Answered(RawResponse),
    /// The connection closed before the request was written; the request comes back.
    Unsent(hyper::Request<Full<Bytes>>),
}

impl PlainPool {
    pub(crate) fn new(config: &TransportConfig) -> PlainPool {
        PlainPool {
            enabled: config.proxy.is_direct() && config.http_version != HttpVersion::Http2,
            connect_timeout: config.connect_timeout,
            idle: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `request` if the pool takes it, and reads its answer (the body capped), all
    /// within the request's timeout; `None` leaves the request to the caller (reqwest).
    pub(crate) async fn try_send(
        &self,
        request: &OutgoingRequest,
    ) -> Option<Result<RawResponse, TransportError>> {
        let target = self.target_for(request)?;
        let start = Instant::now();
        let built = match build(request, &target) {
            Ok(built) => built,
            Err(err) => return Some(Err(err)),
        };
        let exchange = self.exchange(request, &target, built, start);
        Some(
            match tokio::time::timeout(request.timeout, exchange).await {
                Ok(answer) => answer,
                Err(_) => Err(timeout(request)),
            },
        )
    }

    /// The request taken apart, when this pool sends it.
    fn target_for(&self, request: &OutgoingRequest) -> Option<Target> {
        self.enabled.then(|| target(&request.url)).flatten()
    }

    /// Tries idle connections of the origin, then a new one; a request handed back unsent goes
    /// to the next connection.
    async fn exchange(
        &self,
        request: &OutgoingRequest,
        target: &Target,
        mut built: hyper::Request<Full<Bytes>>,
        start: Instant,
    ) -> Result<RawResponse, TransportError> {
        loop {
            let (sender, reused) = match self.checkout(&target.origin).await {
                Some(sender) => (sender, true),
                None => (self.open(request, target).await?, false),
            };
            match self.attempt(request, target, sender, built, start).await? {
                Attempt::Answered(raw) => return Ok(raw),
                Attempt::Unsent(back) if reused => built = back,
                Attempt::Unsent(_) => {
                    return Err(TransportError::Other {
                        method: request.method.as_str(),
                        url: request.url.clone(),
                        reason: "the new connection closed before the request".into(),
                    });
                }
            }
        }
    }

    /// Writes the request on `sender`, reads the answer, and returns the connection to the
    /// pool when the answer was read to its end.
    async fn attempt(
        &self,
        request: &OutgoingRequest,
        target: &Target,
        mut sender: Sender,
        built: hyper::Request<Full<Bytes>>,
        start: Instant,
    ) -> Result<Attempt, TransportError> {
        let response = match sender.try_send_request(built).await {
            Ok(response) => response,
            Err(mut failed) => {
                return match failed.take_message() {
                    Some(back) => Ok(Attempt::Unsent(back)),
                    None => Err(other(request, failed.error())),
                };
            }
        };
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let body = read_capped(response.into_body())
            .await
            .map_err(|err| other(request, &err))?;
        if body.complete {
            self.checkin(&target.origin, sender);
        }
        Ok(Attempt::Answered(RawResponse {
            status,
            headers,
            body: body.kept,
            body_len: body.total,
            elapsed: start.elapsed(),
        }))
    }

    /// An idle connection to `origin` that can take a request now, if any.
    async fn checkout(&self, origin: &Origin) -> Option<Sender> {
        loop {
            let mut sender = self.lock().get_mut(origin.as_str()).and_then(Vec::pop)?;
            // Resolves once the connection has finished its previous exchange; fails when
            // the server closed it meanwhile.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    fn checkin(&self, origin: &Origin, sender: Sender) {
        let mut idle = self.lock();
        match idle.get_mut(origin.as_str()) {
            Some(list) if list.len() >= MAX_IDLE_PER_ORIGIN => {}
            Some(list) => list.push(sender),
            None => {
                idle.insert(origin.as_str().to_owned(), vec![sender]);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Sender>>> {
        // The map holds no invariant a panicking holder could break.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new connection: TCP within the connect timeout, then the HTTP/1.1 handshake.
    async fn open(
        &self,
        request: &OutgoingRequest,
        target: &Target,
    ) -> Result<Sender, TransportError> {
        let connecting = TcpStream::connect(socket_address(&target.origin));
        let tcp = match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, connecting).await.map_err(|_| {
                TransportError::Timeout {
                    method: request.method.as_str(),
                    url: request.url.clone(),
                    after: limit,
                }
            })?,
            None => connecting.await,
        }
        .map_err(|err| TransportError::Connect {
            url: request.url.clone(),
            reason: err.to_string(),
        })?;
        let _ = tcp.set_nodelay(true);
        let io = TokioIo::new(QuickAck::new(tcp));
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|err| other(request, &err))?;
        tokio::spawn(async move {
            // Runs until the server closes the connection or its sender is dropped; an error
            // there already reached the request's future.
            let _ = connection.await;
        });
        sender.ready().await.map_err(|err| other(request, &err))?;
        Ok(sender)
    }
}

/// The parts of a URL the pool sends as it is, or `None` for any URL it leaves to reqwest.
fn target(url: &str) -> Option<Target> {
    let uri: http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let authority = uri.authority()?;
    let host = authority.host();
    let path = origin_form(&uri)?;
    // reqwest's URL parser lower-cases and IDNA-maps host names, percent-encodes some
    // characters, resolves dot segments and drops a default port; only URLs it would leave
    // exactly as they are are taken.
    let plain_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-[]:".contains(&b));
    let plain_path = path
        .as_str()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/?%".contains(&b));
    let port = authority.port_u16();
    if !plain_host || !plain_path || has_dot_segment(path.path()) || port == Some(80) {
        return None;
    }
    // User info (which reqwest turns into an `Authorization` field), or an empty port.
    if authority.as_str().contains('@') || (port.is_none() && authority.as_str() != host) {
        return None;
    }
    Some(Target {
        origin: authority.clone(),
        path: http::Uri::from(path),
    })
}

/// The request target in origin form. `http://host` and `http://host?q` have no path, which
/// reqwest sends as `/`.
fn origin_form(uri: &http::Uri) -> Option<http::uri::PathAndQuery> {
    match uri.path_and_query() {
        Some(path) if path.as_str().starts_with('/') => Some(path.clone()),
        Some(path) => format!("/{}", path.as_str()).parse().ok(),
        None => Some(http::uri::PathAndQuery::from_static("/")),
    }
}

/// Host and port to connect to: a bracketed IPv6 literal without its brackets.
fn socket_address(origin: &Origin) -> (&str, u16) {
    let host = origin.host().trim_start_matches('[').trim_end_matches(']');
    (host, origin.port_u16().unwrap_or(80))
}

/// A `.` or `..` segment, which reqwest's URL parser would resolve away.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(is_dot_segment)
}

/// `.` or `..`, each dot possibly percent-encoded (`%2e`, either case).
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while let [b'.', after @ ..] | [b'%', b'2', b'e' | b'E', after @ ..] = rest {
        rest = after;
        dots += 1;
    }
    rest.is_empty() && (1..=2).contains(&dots)
}

/// The request as hyper sends it: as the wire client builds it, plus `Accept: */*` unless
/// the request has its own (as reqwest adds it).
fn build(
    request: &OutgoingRequest,
    target: &Target,
) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    // An authority `http::Uri` parsed is a valid field value.
    let host = http::HeaderValue::from_str(target.origin.as_str())
        .map_err(|err| TransportError::invalid_request(request, err))?;
    let mut built = origin_form_request(request, target.path.clone(), host)?;
    built
        .headers_mut()
        .entry(http::header::ACCEPT)
        .or_insert(http::HeaderValue::from_static(DEFAULT_ACCEPT));
    Ok(built)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn plain_http_urls_are_taken_apart() {
        let t = target("http://127.0.0.1:8080/things/a?x=1").unwrap();
        assert_eq!(t.origin, "127.0.0.1:8080");
        assert_eq!(socket_address(&t.origin), ("127.0.0.1", 8080));
        assert_eq!(t.path, "/things/a?x=1");
        let t = target("http://localhost").unwrap();
        assert_eq!(t.origin, "localhost");
        assert_eq!(socket_address(&t.origin), ("localhost", 80));
        assert_eq!(t.path, "/");
        // What hyper writes as the request target.
        let written = |url: &str| {
            target(url)
                .unwrap()
                .path
                .path_and_query()
                .unwrap()
                .to_owned()
        };
        assert_eq!(written("http://localhost?x=1").as_str(), "/?x=1");
        assert_eq!(written("http://localhost").as_str(), "/");
        let v6 = target("http://[::1]:9/x").unwrap();
        assert_eq!(v6.origin, "[::1]:9");
        assert_eq!(socket_address(&v6.origin), ("::1", 9));
        // Dots that are not a whole `.` or `..` segment stay as they are in reqwest too.
        for url in [
            "http://127.0.0.1/v1.2/x",
            "http://127.0.0.1/a/.../b",
            "http://127.0.0.1/a/.b/%2e%2e%2e",
            "http://127.0.0.1/a/b.?x=..",
        ] {
            assert!(target(url).is_some(), "{url}");
        }
    }

    #[test]
    fn urls_reqwest_would_rewrite_are_left_to_it() {
        for url in [
            "https://127.0.0.1/things",
            "http://user:secret@127.0.0.1/things",
            "http://LOCALHOST/things",
            "http://127.0.0.1/a/../b",
            "http://127.0.0.1/a/./b",
            "http://127.0.0.1/a b",
            "http://127.0.0.1/a/%2E%2e/b",
            "http://127.0.0.1/a/%2e",
            "http://127.0.0.1/a/.%2E?x=1",
            "http://127.0.0.1/..",
            "http://127.0.0.1/x?q=\"quoted\"",
            "http://127.0.0.1/{id}",
            "http://127.0.0.1:80/x",
            "http://127.0.0.1:/x",
            "http://bücher.example/x",
            "ftp://127.0.0.1/x",
        ] {
            assert!(target(url).is_none(), "{url}");
        }
    }

    #[test]
    fn a_proxy_or_http2_only_rules_the_pool_out() {
        let request = get("http://127.0.0.1:1/x");
        let takes =
            |config: &TransportConfig| PlainPool::new(config).target_for(&request).is_some();
        assert!(takes(&TransportConfig::default()));
        let mut proxied = TransportConfig::default();
        proxied.proxy.http = Some("http://proxy.example:3128".into());
        assert!(!takes(&proxied));
        let h2 = TransportConfig {
            http_version: HttpVersion::Http2,
            ..TransportConfig::default()
        };
        assert!(!takes(&h2));
    }

    #[test]
    fn default_fields_are_added_unless_the_request_has_its_own() {
        let mut request = OutgoingRequest {
            method: crate::model::exchange::Method::Put,
            url: "http://127.0.0.1:1/x".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(b"{}".to_vec()),
            timeout: Duration::from_secs(1),
        };
        let t = target(&request.url).unwrap();
        let built = build(&request, &t).unwrap();
        assert_eq!(built.headers()["accept"], "*/*");
        assert_eq!(built.headers()["host"], "127.0.0.1:1");
        assert!(
            built.headers()["user-agent"]
                .to_str()
                .unwrap()
                .starts_with("idemfuzz/")
        );
        request
            .headers
            .push(("Accept".into(), "application/json".into()));
        let built = build(&request, &t).unwrap();
        assert_eq!(built.headers().get_all("accept").iter().count(), 1);
        assert_eq!(built.headers()["accept"], "application/json");
    }

    /// A server on 127.0.0.1 that answers every request `200 ok` on a keep-alive connection
    /// (closing it right after the first answer when `close_after_one`); counts connections.
    async fn counting_server(close_after_one: bool) -> (String, Arc<AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/things/a", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while let Ok(n @ 1..) = socket.read(&mut chunk).await {
                        buffer.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            buffer.drain(..end + 4);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if socket.write_all(answer).await.is_err() || close_after_one {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    fn get(url: &str) -> OutgoingRequest {
        OutgoingRequest {
            method: crate::model::exchange::Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn connections_are_kept_and_reused() {
        let (url, accepted) = counting_server(false).await;
        let pool = PlainPool::new(&TransportConfig::default());
        for _ in 0..5 {
            let raw = pool.try_send(&get(&url)).await.unwrap().unwrap();
            assert_eq!((raw.status, raw.body.as_slice()), (200, b"ok".as_slice()));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced() {
        let (url, accepted) = counting_server(true).await;
        let pool = PlainPool::new(&TransportConfig::default());
        for _ in 0..3 {
            let raw = pool.try_send(&get(&url)).await.unwrap().unwrap();
            assert_eq!(raw.status, 200);
            // Let the connection see the close before the next send.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        drop(listener);
        let pool = PlainPool::new(&TransportConfig::default());
        let err = pool.try_send(&get(&url)).await.unwrap().unwrap_err();
        assert!(err.is_connect(), "{err}");
    }
}
