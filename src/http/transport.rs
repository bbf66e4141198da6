//! The transport seam: one trait the runner sends requests through, and its real
//! implementation (reqwest, with plain-http sends on pooled hyper connections). Redirects are
//! never followed (a 3xx is an answer to judge), bodies are read up to a cap, and every failure
//! to get an HTTP answer is a [`TransportError`] — never a finding.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;

use crate::http::config::{TransportConfig, client_builder};
use crate::http::pool::PlainPool;
use crate::http::sent::{self, Framing};
use crate::http::tap::Recorder;
use crate::http::wire::WireClient;

/// Bytes of a response body kept; the rest is counted (up to [`MAX_COUNTED_BODY`]) and dropped.
pub(crate) const MAX_KEPT_BODY: usize = crate::model::exchange::MAX_RECORDED_BODY + 1;
/// Bytes of a response body read at most; a longer body stops being read.
pub(crate) const MAX_COUNTED_BODY: usize = 64 * 1024 * 1024;

/// A request ready for the wire (header values are the real ones, secrets included).
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// The method.
    pub method: crate::model::exchange::Method,
    /// The absolute URL.
    pub url: String,
    /// Header fields as name/value pairs, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body's bytes, if any.
    pub body: Option<Vec<u8>>,
    /// How long the request may take, answer included.
    pub timeout: Duration,
}

/// Header fields as name/value pairs (values decoded lossily), in the order received.
pub(crate) fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                match value.to_str() {
                    // Visible ASCII, the common case, is copied without a UTF-8 decode.
                    Ok(text) => text.to_owned(),
                    Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
                },
            )
        })
        .collect()
}

/// An HTTP answer as received, before classification into a record.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    pub(crate) headers: Vec<(String, String)>,
    /// At most [`MAX_KEPT_BODY`] bytes.
    pub(crate) body: Vec<u8>,
    /// Bytes received in total (capped at [`MAX_COUNTED_BODY`]).
    pub(crate) body_len: usize,
    pub(crate) elapsed: Duration,
}

/// Why no HTTP answer was obtained. One line each; never contains header values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The target could not be reached.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The request's URL.
        url: String,
        /// Why the connection failed.
        reason: String,
    },
    /// No complete answer within the request's timeout.
    #[error("{method} {url} timed out after {after:?}")]
    Timeout {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The request cannot be put on the wire as it is.
    #[error("{method} {url}: invalid request: {reason}")]
    InvalidRequest {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The API kept answering 429 or 503 with `Retry-After`; idemfuzz waited and retried as
    /// often as allowed. Never a finding: nothing could be judged.
    #[error(
        "{method} {url} still answered {status} after {retries} retry(ies) honouring Retry-After{why}"
    )]
    Throttled {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The last status: 429 or 503.
        status: u16,
        /// How many times the request was retried.
        retries: u32,
        /// Empty, or why idemfuzz stopped waiting (e.g. the asked wait was over the cap).
        why: String,
    },
    /// Any other failure to get an answer (the connection broke, the answer was malformed).
    #[error("{method} {url}: {reason}")]
    Other {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

impl TransportError {
    /// `request` cannot be put on the wire as it is, for `reason`.
    pub(crate) fn invalid_request(
        request: &OutgoingRequest,
        reason: impl std::fmt::Display,
    ) -> TransportError {
        TransportError::InvalidRequest {
            method: request.method.as_str(),
            url: request.url.clone(),
            reason: reason.to_string(),
        }
    }

    /// True when the target could not be reached at all (as opposed to one slow answer).
    #[cfg(test)]
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, TransportError::Connect { .. })
    }
}

/// Sends one request and returns the raw answer. The seam tests can replace.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the answer as received, or why there is none.
    fn send(&self, request: OutgoingRequest) -> BoxFuture<'_, Result<RawResponse, TransportError>>;

    /// Answers (429, or 503 with `Retry-After`) this transport waited out and retried so far,
    /// so that no check ever judged them. Transports that do not retry report 0.
    fn throttled(&self) -> u64 {
        0
    }

    /// Sends requests together, as concurrent clients would: the real transport opens one
    /// connection per request and writes none before all are open (a barrier); then each
    /// request is written as soon as `pace` lets it (at once, or one rate-limit interval after
    /// the previous one). Answers come back in request order. By default the requests are
    /// simply sent concurrently, each after its turn.
    fn send_together(
        &self,
        requests: Vec<OutgoingRequest>,
        pace: Pace,
    ) -> BoxFuture<'_, Vec<Result<RawResponse, TransportError>>> {
        Box::pin(futures::future::join_all(requests.into_iter().map(
            move |request| {
                let pace = pace.clone();
                async move {
                    pace.wait().await;
                    self.send(request).await
                }
            },
        )))
    }

    /// Writes a request on a connection of its own and returns at once, without reading the
    /// answer; [`UnreadAnswer::abandon`] later closes the connection (a lost response). By
    /// default a transport cannot do this.
    fn send_unread(
        &self,
        request: OutgoingRequest,
    ) -> BoxFuture<'_, Result<Box<dyn UnreadAnswer>, TransportError>> {
        Box::pin(async move {
            Err(TransportError::Other {
                method: request.method.as_str(),
                url: request.url,
                reason: "this transport cannot leave an answer unread".into(),
            })
        })
    }
}

/// When each request of a batch may be written once every connection is open: all at once
/// (the default), or each after its turn from a `Turns` source such as the run's rate
/// limiter — which spreads the batch over one interval per request.
#[derive(Clone, Default)]
pub struct Pace(Option<Arc<dyn Turns>>);

/// Hands out turns to send, one request each (the rate limiter).
pub(crate) trait Turns: Send + Sync {
    /// Waits until the next request may leave.
    fn wait_turn(&self) -> BoxFuture<'_, ()>;
}

impl Pace {
    /// Every request is written as soon as all connections are open.
    pub fn at_once() -> Pace {
        Pace(None)
    }

    /// Each request waits for its turn from `turns` before it is written.
    pub(crate) fn by(turns: Arc<dyn Turns>) -> Pace {
        Pace(Some(turns))
    }

    /// Waits until the next request of the batch may be written.
    pub(crate) async fn wait(&self) {
        if let Some(turns) = &self.0 {
            turns.wait_turn().await;
        }
    }
}

/// A request whose answer is never read (see [`Transport::send_unread`]).
pub trait UnreadAnswer: Send {
    /// Waits until the server begins to answer — the sign that it processed the request —
    /// then closes the connection without reading the answer. Returns the time from the send
    /// to that moment; a server that never answers within the request's timeout is a
    /// [`TransportError::Timeout`].
    fn abandon(self: Box<Self>) -> BoxFuture<'static, Result<Duration, TransportError>>;
}

/// The real transport, over reqwest (HTTP/1.1 and HTTP/2, rustls); plain-http requests on a
/// direct route go through [`PlainPool`] instead, which sends them identically with less work.
pub(crate) struct ReqwestTransport {
    client: reqwest::Client,
    /// Keep-alive HTTP/1.1 connections for the plain-http requests it takes.
    plain: PlainPool,
    /// Receives every exchange (redacted), e.g. for the HAR file.
    recorder: Option<Arc<Recorder>>,
    /// Batches released together and unread sends, on connections of their own.
    wire: WireClient,
}

impl ReqwestTransport {
    /// Builds a client from the configuration: never follows redirects, keeps connections
    /// pooled, and uses exactly the proxies of the configuration (never the process
    /// environment's: the CLI reads those into the configuration).
    pub(crate) fn new(config: &TransportConfig) -> Result<ReqwestTransport, TransportError> {
        let client = client_builder(config)
            .map_err(build_error)?
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| build_error(error_chain(&err)))?;
        Ok(ReqwestTransport {
            client,
            plain: PlainPool::new(config),
            recorder: None,
            wire: WireClient::new(config),
        })
    }

    /// Hands every exchange, redacted, to `recorder` (e.g. for `--har`).
    pub(crate) fn recorded_by(mut self, recorder: Arc<Recorder>) -> ReqwestTransport {
        self.recorder = Some(recorder);
        self
    }

    async fn send_inner(&self, request: OutgoingRequest) -> Result<RawResponse, TransportError> {
        let request = sent::with_defaults(request);
        let own_connection = self.wire.takes_head(&request);
        let Some(recorder) = &self.recorder else {
            return self
                .exchange(&request, own_connection)
                .await
                .map(|(raw, _)| raw);
        };
        let started = SystemTime::now();
        let result = self.exchange(&request, own_connection).await;
        let framing = if own_connection {
            Framing::Close
        } else {
            Framing::KeepAlive
        };
        recorder.record(
            &request,
            framing,
            started,
            result.as_ref().map(|(raw, version)| (raw, *version)),
        );
        result.map(|(raw, _)| raw)
    }

    /// Sends a request and reads its answer; also returns the HTTP version that was spoken. A
    /// HEAD the wire client takes goes on a connection of its own (`own_connection`), so content
    /// after its answer is seen and never read as the next answer.
    async fn exchange(
        &self,
        request: &OutgoingRequest,
        own_connection: bool,
    ) -> Result<(RawResponse, &'static str), TransportError> {
        if own_connection {
            return self
                .wire
                .send_head(request)
                .await
                .map(|raw| (raw, WIRE_VERSION));
        }
        match self.plain.try_send(request).await {
            Some(answer) => answer.map(|raw| (raw, WIRE_VERSION)),
            None => self.exchange_reqwest(request).await,
        }
    }

    async fn exchange_reqwest(
        &self,
        request: &OutgoingRequest,
    ) -> Result<(RawResponse, &'static str), TransportError> {
        let method = request.method.as_str();
        let url = request.url.clone();
        let start = Instant::now();
        let response = self
            .build(request)?
            .send()
            .await
            .map_err(|err| classify(&err, method, &url, request.timeout))?;
        let version = version_label(response.version());
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let (body, body_len) = read_capped(response, method, &url, request.timeout).await?;
        let raw = RawResponse {
            status,
            headers,
            body,
            body_len,
            elapsed: start.elapsed(),
        };
        Ok((raw, version))
    }

    fn build(&self, request: &OutgoingRequest) -> Result<reqwest::RequestBuilder, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(|err| TransportError::invalid_request(request, err))?;
        let mut builder = self
            .client
            .request(method, &request.url)
            .timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        Ok(builder)
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: OutgoingRequest) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
        Box::pin(self.send_inner(request))
    }

    fn send_together(
        &self,
        requests: Vec<OutgoingRequest>,
        pace: Pace,
    ) -> BoxFuture<'_, Vec<Result<RawResponse, TransportError>>> {
        let requests: Vec<OutgoingRequest> =
            requests.into_iter().map(sent::with_defaults).collect();
        Box::pin(async move {
            let Some(recorder) = &self.recorder else {
                return self.wire.send_together(requests, pace).await;
            };
            let started = SystemTime::now();
            let answers = self.wire.send_together(requests.clone(), pace).await;
            for (request, answer) in requests.iter().zip(&answers) {
                let answer = answer.as_ref().map(|raw| (raw, WIRE_VERSION));
                recorder.record(request, Framing::KeepAlive, started, answer);
            }
            answers
        })
    }

    fn send_unread(
        &self,
        request: OutgoingRequest,
    ) -> BoxFuture<'_, Result<Box<dyn UnreadAnswer>, TransportError>> {
        let request = sent::with_defaults(request);
        Box::pin(async move {
            let Some(recorder) = &self.recorder else {
                return self.wire.send_unread(request).await;
            };
            let started = SystemTime::now();
            match self.wire.send_unread(request.clone()).await {
                Ok(inner) => Ok(Box::new(RecordedUnread {
                    inner,
                    request,
                    started,
                    recorder: Arc::clone(recorder),
                }) as Box<dyn UnreadAnswer>),
                Err(err) => {
                    recorder.record(&request, Framing::Close, started, Err(&err));
                    Err(err)
                }
            }
        })
    }
}

/// The HTTP version the wire client and the plain pool speak.
const WIRE_VERSION: &str = "HTTP/1.1";

/// An HTTP version as HAR writes it.
fn version_label(version: reqwest::Version) -> &'static str {
    match version {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2.0",
        reqwest::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// An unread answer whose exchange goes to the wire tap once it is abandoned: as a request
/// that got no answer (a HAR entry with status 0), with the reason.
struct RecordedUnread {
    inner: Box<dyn UnreadAnswer>,
    request: OutgoingRequest,
    started: SystemTime,
    recorder: Arc<Recorder>,
}

impl UnreadAnswer for RecordedUnread {
    fn abandon(self: Box<Self>) -> BoxFuture<'static, Result<Duration, TransportError>> {
        Box::pin(async move {
            let RecordedUnread {
                inner,
                request,
                started,
                recorder,
            } = *self;
            let outcome = inner.abandon().await;
            let unread = TransportError::Other {
                method: request.method.as_str(),
                url: request.url.clone(),
                reason: "answer not read: idemfuzz closed the connection once the server began to answer (a simulated lost response)".into(),
            };
            let shown = match &outcome {
                Ok(_) => &unread,
                Err(err) => err,
            };
            recorder.record(&request, Framing::Close, started, Err(shown));
            outcome
        })
    }
}

/// The error of a client that could not be built (e.g. a bad proxy or certificate).
fn build_error(reason: impl std::fmt::Display) -> TransportError {
    TransportError::Other {
        method: "-",
        url: "-".into(),
        reason: format!("cannot build the HTTP client: {reason}"),
    }
}

/// Reads a body chunk by chunk, keeping at most [`MAX_KEPT_BODY`] bytes.
async fn read_capped(
    mut response: reqwest::Response,
    method: &'static str,
    url: &str,
    timeout: Duration,
) -> Result<(Vec<u8>, usize), TransportError> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    while total < MAX_COUNTED_BODY {
        let chunk = response
            .chunk()
            .await
            .map_err(|err| classify(&err, method, url, timeout))?;
        let Some(chunk) = chunk else { break };
        total += chunk.len();
        let room = MAX_KEPT_BODY.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((kept, total))
}

/// Turns a reqwest error into one line that says what went wrong, without header values.
fn classify(
    err: &reqwest::Error,
    method: &'static str,
    url: &str,
    timeout: Duration,
) -> TransportError {
    if err.is_timeout() {
        return TransportError::Timeout {
            method,
            url: url.to_string(),
            after: timeout,
        };
    }
    if err.is_connect() {
        return TransportError::Connect {
            url: url.to_string(),
            reason: root_cause(err),
        };
    }
    if err.is_builder() {
        return TransportError::InvalidRequest {
            method,
            url: url.to_string(),
            reason: error_chain(err),
        };
    }
    TransportError::Other {
        method,
        url: url.to_string(),
        reason: error_chain(err),
    }
}

/// The innermost error message (e.g. "Connection refused (os error 111)").
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Every message of an error chain, joined with ": ", duplicates skipped.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
