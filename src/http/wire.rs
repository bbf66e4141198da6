//! Sends the pooled reqwest client cannot make, over HTTP/1.1 (plain TCP or rustls):
//!
//! * a **batch released together**: K connections are opened (TCP, TLS, HTTP handshake) before
//!   any request is written, then every request is handed to its connection at once, so that
//!   they reach the server within a fraction of a millisecond of each other;
//! * an **unread send**: a request written on a connection of its own, whose answer is never
//!   read — the connection is closed once the server begins to answer (a lost response);
//! * a **HEAD** on a connection of its own, closed after it, so content a server writes after
//!   the answer is seen (and recorded) instead of corrupting the next answer (`wire::head`).
//!
//! It honours the run's [`TransportConfig`] where it can: the TLS trust (`--ca-cert`,
//! `--insecure`) and `--connect-timeout`; each request's timeout; a rate limit through the
//! batch's [`Pace`]. It always speaks HTTP/1.1 (one connection per concurrent client, whatever
//! `--http-version` says), and it never goes through a proxy: a request a proxy would carry is
//! refused with a transport error, never sent around the proxy (the plan skips the checks that
//! need this client on such a target, see `crate::checks::check::Check::OWN_CONNECTIONS`).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::future::{BoxFuture, join_all};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_util::either::Either;

use crate::http::config::{HttpVersion, ProxyConfig, TransportConfig};
use crate::http::quickack::QuickAck;
use crate::http::sent::USER_AGENT;
use crate::http::transport::{
    MAX_COUNTED_BODY, MAX_KEPT_BODY, OutgoingRequest, Pace, RawResponse, TransportError,
    UnreadAnswer, error_chain, header_pairs, root_cause,
};

mod head;

/// A connection: plain TCP or TLS over TCP, acknowledging what it reads at once.
type Stream = Either<QuickAck, TlsStream<QuickAck>>;

/// Header fields the wire client writes itself; a request's own copies are dropped.
const OWN_HEADERS: [&str; 4] = ["host", "content-length", "connection", "transfer-encoding"];

/// The `User-Agent` to add, if the request has none.
fn default_user_agent(request: &OutgoingRequest) -> Option<&'static str> {
    let own = request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"));
    (!own).then_some(USER_AGENT)
}

/// Opens its own connections for batches and unread sends. The TLS configuration (rustls with
/// the platform's certificate verifier plus `--ca-cert` roots, as reqwest uses, or no
/// verification with `--insecure`) is built on the first https request.
#[derive(Default)]
pub struct WireClient {
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
    /// Trust: extra roots and `--insecure`.
    trust: Trust,
    /// Longest wait for TCP and TLS (`--connect-timeout`); the request's timeout applies too.
    connect_timeout: Option<Duration>,
    /// The run's proxies: requests they carry are refused, never sent around them.
    proxy: ProxyConfig,
    /// `--http-version`: which HEADs this client takes ([`WireClient::takes_head`]).
    http_version: HttpVersion,
}

/// Which server certificates the wire client accepts.
#[derive(Debug, Clone, Default)]
struct Trust {
    insecure: bool,
    extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

/// Where a request goes, taken apart for the wire.
struct Endpoint {
    https: bool,
    host: String,
    port: u16,
    /// The `Host` field: host, and port when it is not the scheme's default.
    authority: String,
    /// Origin-form request target: `/path?query`.
    target: String,
}

impl WireClient {
    /// A client with the TLS trust, timeouts and proxy settings of `config`; connects lazily.
    pub fn new(config: &TransportConfig) -> WireClient {
        WireClient {
            tls: OnceLock::new(),
            trust: Trust {
                insecure: config.insecure,
                extra_roots: config.ca_certs.clone(),
            },
            connect_timeout: config.connect_timeout,
            proxy: config.proxy.clone(),
            http_version: config.http_version,
        }
    }

    /// Opens one connection per request; once all are open (the barrier), writes each request
    /// as soon as `pace` lets it — all at once without a rate limit. Answers come back in
    /// request order; a request whose connection could not be opened gets its error.
    pub async fn send_together(
        &self,
        requests: Vec<OutgoingRequest>,
        pace: Pace,
    ) -> Vec<Result<RawResponse, TransportError>> {
        let opened = join_all(requests.iter().map(|request| self.open(request))).await;
        // The barrier: every connection is ready (or failed) before any request is written.
        let mut in_flight = Vec::with_capacity(requests.len());
        for (request, sender) in requests.into_iter().zip(opened) {
            let answer = match sender.and_then(|sender| Ok((sender, hyper_request(&request)?))) {
                Ok((mut sender, built)) => {
                    pace.wait().await;
                    Either::Left(sender.send_request(built))
                }
                Err(err) => Either::Right(err),
            };
            in_flight.push((request, Instant::now(), answer));
        }
        join_all(
            in_flight
                .into_iter()
                .map(|(request, started, answer)| receive(request, started, answer)),
        )
        .await
    }

    /// Writes a request on a connection of its own and returns without reading anything.
    pub async fn send_unread(
        &self,
        request: OutgoingRequest,
    ) -> Result<Box<dyn UnreadAnswer>, TransportError> {
        self.refuse_proxied(&request)?;
        let endpoint = endpoint(&request)?;
        let bytes = raw_request(&request, &endpoint)?;
        let mut stream = self.connect(&request, &endpoint).await?;
        let started = Instant::now();
        let written = async {
            stream.write_all(&bytes).await?;
            stream.flush().await
        };
        match tokio::time::timeout(request.timeout, written).await {
            Ok(Ok(())) => Ok(Box::new(Unread {
                stream,
                started,
                request,
            })),
            Ok(Err(err)) => Err(other(&request, &err)),
            Err(_) => Err(timeout(&request)),
        }
    }

    /// A connection ready to take one request (TCP, TLS when https, HTTP/1.1 handshake).
    async fn open(
        &self,
        request: &OutgoingRequest,
    ) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        self.refuse_proxied(request)?;
        let endpoint = endpoint(request)?;
        let stream = self.connect(request, &endpoint).await?;
        let handshake = async {
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                // The connection ends when its one exchange is done or the peer closes it;
                // an error there already reached the request's future.
                let _ = connection.await;
            });
            sender.ready().await?;
            Ok::<_, hyper::Error>(sender)
        };
        match tokio::time::timeout(request.timeout, handshake).await {
            Ok(Ok(sender)) => Ok(sender),
            Ok(Err(err)) => Err(other(request, &err)),
            Err(_) => Err(timeout(request)),
        }
    }

    /// A request that a proxy would carry is never sent directly.
    fn refuse_proxied(&self, request: &OutgoingRequest) -> Result<(), TransportError> {
        if !self.proxy.applies_to(&request.url) {
            return Ok(());
        }
        Err(TransportError::Other {
            method: request.method.as_str(),
            url: request.url.clone(),
            reason: PROXIED.into(),
        })
    }

    /// TCP (and TLS for https) to the request's host, within the connect timeout (and the
    /// request's own timeout).
    async fn connect(
        &self,
        request: &OutgoingRequest,
        endpoint: &Endpoint,
    ) -> Result<Stream, TransportError> {
        let connect_error = |reason: String| TransportError::Connect {
            url: request.url.clone(),
            reason,
        };
        let connecting = async {
            let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
                .await
                .map_err(|err| connect_error(err.to_string()))?;
            // Each request leaves in one segment, without waiting for an ACK.
            let _ = tcp.set_nodelay(true);
            // A server that writes header and body apart is not kept waiting for an ACK.
            let tcp = QuickAck::new(tcp);
            if !endpoint.https {
                return Ok(Either::Left(tcp));
            }
            let config = self.tls_config().map_err(connect_error)?;
            let name = rustls::pki_types::ServerName::try_from(endpoint.host.clone())
                .map_err(|err| connect_error(err.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|err| connect_error(root_cause(&err)))?;
            Ok(Either::Right(tls))
        };
        let limit = self
            .connect_timeout
            .map_or(request.timeout, |connect| connect.min(request.timeout));
        tokio::time::timeout(limit, connecting)
            .await
            .unwrap_or_else(|_| {
                Err(TransportError::Timeout {
                    method: request.method.as_str(),
                    url: request.url.clone(),
                    after: limit,
                })
            })
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.tls
            .get_or_init(|| build_tls_config(&self.trust))
            .clone()
    }
}

/// Why a request is refused when a proxy would carry it.
pub(crate) const PROXIED: &str = "a proxy carries requests to this target, and requests released together or left unread need connections of their own, which idemfuzz never opens around the proxy";

/// rustls speaking HTTP/1.1 only, verifying certificates as reqwest does: the platform
/// verifier with the extra roots, or nothing at all with `--insecure`.
fn build_tls_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("cannot set up TLS: {err}"))?
        .dangerous();
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = if trust.insecure {
        Arc::new(AcceptAnyCertificate(provider))
    } else {
        Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(
                trust.extra_roots.iter().cloned(),
                provider,
            )
            .map_err(|err| format!("cannot set up TLS: {err}"))?,
        )
    };
    let mut config = builder
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `--insecure`: accepts any certificate and host name, as the reqwest client then does.
/// Signatures are still checked with the provider's algorithms.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Awaits one answer of a batch and reads its body (capped), within the request's timeout.
async fn receive(
    request: OutgoingRequest,
    started: Instant,
    answer: Either<
        impl Future<Output = hyper::Result<hyper::Response<hyper::body::Incoming>>>,
        TransportError,
    >,
) -> Result<RawResponse, TransportError> {
    let answer = match answer {
        Either::Left(answer) => answer,
        Either::Right(err) => return Err(err),
    };
    let reading = async {
        let response = answer.await?;
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let body = read_capped(response.into_body()).await?;
        Ok::<_, hyper::Error>(RawResponse {
            status,
            headers,
            body: body.kept,
            body_len: body.total,
            elapsed: started.elapsed(),
        })
    };
    match tokio::time::timeout(request.timeout, reading).await {
        Ok(Ok(raw)) => Ok(raw),
        Ok(Err(err)) => Err(other(&request, &err)),
        Err(_) => Err(timeout(&request)),
    }
}

/// A response body as read: at most [`MAX_KEPT_BODY`] bytes kept, the length counted.
pub(crate) struct ReadBody {
    pub(crate) kept: Vec<u8>,
    pub(crate) total: usize,
    /// Read to its end (a kept-alive connection can take another request).
    pub(crate) complete: bool,
}

/// Reads a body frame by frame, keeping at most [`MAX_KEPT_BODY`] bytes and stopping after
/// [`MAX_COUNTED_BODY`].
pub(crate) async fn read_capped(mut body: hyper::body::Incoming) -> hyper::Result<ReadBody> {
    let mut read = ReadBody {
        kept: Vec::new(),
        total: 0,
        complete: false,
    };
    while read.total < MAX_COUNTED_BODY {
        let Some(frame) = body.frame().await else {
            read.complete = true;
            break;
        };
        if let Ok(data) = frame?.into_data() {
            read.total += data.len();
            let room = MAX_KEPT_BODY.saturating_sub(read.kept.len());
            read.kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(read)
}

/// A request written and not read.
struct Unread {
    stream: Stream,
    started: Instant,
    request: OutgoingRequest,
}

impl UnreadAnswer for Unread {
    fn abandon(self: Box<Self>) -> BoxFuture<'static, Result<Duration, TransportError>> {
        Box::pin(async move {
            let Unread {
                mut stream,
                started,
                request,
            } = *self;
            let mut first = [0u8; 1];
            // Plain TCP: peek, so not one byte of the answer is consumed. TLS: the socket also
            // carries handshake messages (session tickets), so the first byte of the decrypted
            // answer is the only reliable sign; it is read and dropped with the rest.
            let waiting = async {
                match &mut stream {
                    Either::Left(tcp) => tcp.get_ref().peek(&mut first).await,
                    Either::Right(tls) => tls.read(&mut first).await,
                }
            };
            let outcome = tokio::time::timeout(request.timeout, waiting).await;
            // Closing with the answer unread in the receive buffer resets the connection.
            drop(stream);
            match outcome {
                Ok(Ok(0)) => Err(TransportError::Other {
                    method: request.method.as_str(),
                    url: request.url.clone(),
                    reason: "the server closed the connection without answering".into(),
                }),
                Ok(Ok(_)) => Ok(started.elapsed()),
                Ok(Err(err)) => Err(other(&request, &err)),
                Err(_) => Err(timeout(&request)),
            }
        })
    }
}

/// Takes the URL apart; only http and https are sent.
fn endpoint(request: &OutgoingRequest) -> Result<Endpoint, TransportError> {
    let invalid = |reason: String| TransportError::invalid_request(request, reason);
    let url = reqwest::Url::parse(&request.url).map_err(|err| invalid(err.to_string()))?;
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        other => return Err(invalid(format!("unsupported scheme `{other}`"))),
    };
    let host = url
        .host_str()
        .ok_or_else(|| invalid("the URL has no host".into()))?
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| invalid("the URL has no port".into()))?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    // A bracketed IPv6 literal connects without its brackets.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    Ok(Endpoint {
        https,
        host,
        port,
        authority,
        target,
    })
}

/// The request as hyper sends it (origin-form target, `Host`, the request's fields, body).
fn hyper_request(request: &OutgoingRequest) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    let endpoint = endpoint(request)?;
    let target = endpoint
        .target
        .parse()
        .map_err(|err: http::uri::InvalidUri| TransportError::invalid_request(request, err))?;
    let host = http::HeaderValue::from_str(&endpoint.authority)
        .map_err(|err| TransportError::invalid_request(request, err))?;
    origin_form_request(request, target, host)
}

/// The request for a hyper client connection: `target` (origin form), `Host: host`,
/// `User-Agent` unless the request has its own, the request's fields, the body. Built field by
/// field rather than through `http::request::Builder`, which parses the target again: this is
/// on the hot path of every plain-http send.
pub(crate) fn origin_form_request(
    request: &OutgoingRequest,
    target: http::Uri,
    host: http::HeaderValue,
) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    let method = http::Method::from_bytes(request.method.as_str().as_bytes())
        .map_err(|err| TransportError::invalid_request(request, err))?;
    let body = Full::new(Bytes::from(request.body.clone().unwrap_or_default()));
    let mut built = hyper::Request::new(body);
    *built.method_mut() = method;
    *built.uri_mut() = target;
    let fields = built.headers_mut();
    fields.insert(http::header::HOST, host);
    if let Some(agent) = default_user_agent(request) {
        fields.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(agent),
        );
    }
    for (name, value) in own_fields(request) {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|err| TransportError::invalid_request(request, err))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|err| TransportError::invalid_request(request, err))?;
        fields.append(name, value);
    }
    Ok(built)
}

/// The request's header fields, without the ones the wire client writes itself.
fn own_fields(request: &OutgoingRequest) -> impl Iterator<Item = (&str, &str)> {
    request
        .headers
        .iter()
        .filter(|(name, _)| !OWN_HEADERS.iter().any(|own| name.eq_ignore_ascii_case(own)))
        .map(|(name, value)| (name.as_str(), value.as_str()))
}

/// The HTTP/1.1 bytes of a request, written by hand so that nothing is read back:
/// request line, `Host`, `User-Agent` (unless the request has one), the request's fields, `Content-Length`,
/// `Connection: close`, body. A field that could break the framing is refused.
fn raw_request(request: &OutgoingRequest, endpoint: &Endpoint) -> Result<Vec<u8>, TransportError> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        request.method.as_str(),
        endpoint.target,
        endpoint.authority
    );
    if let Some(agent) = default_user_agent(request) {
        head.push_str(&format!("User-Agent: {agent}\r\n"));
    }
    for (name, value) in own_fields(request) {
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) || value.chars().any(char::is_control) {
            return Err(TransportError::invalid_request(
                request,
                format!("the header field `{name}` cannot be sent as it is"),
            ));
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = request.body.as_deref().unwrap_or_default();
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    Ok(bytes)
}

pub(crate) fn timeout(request: &OutgoingRequest) -> TransportError {
    TransportError::Timeout {
        method: request.method.as_str(),
        url: request.url.clone(),
        after: request.timeout,
    }
}

pub(crate) fn other(
    request: &OutgoingRequest,
    err: &(dyn std::error::Error + 'static),
) -> TransportError {
    TransportError::Other {
        method: request.method.as_str(),
        url: request.url.clone(),
        reason: error_chain(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Method;

    fn request(method: Method, url: &str, body: Option<&str>) -> OutgoingRequest {
        OutgoingRequest {
            method,
            url: url.into(),
            headers: vec![
                ("Accept".into(), "application/json".into()),
                ("Connection".into(), "keep-alive".into()),
            ],
            body: body.map(|b| b.as_bytes().to_vec()),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn raw_requests_are_framed_and_close_the_connection() {
        let req = request(
            Method::Put,
            "http://127.0.0.1:8080/things/a?x=1",
            Some("{}"),
        );
        let parts = endpoint(&req).unwrap();
        let text = String::from_utf8(raw_request(&req, &parts).unwrap()).unwrap();
        assert!(text.starts_with("PUT /things/a?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
        assert!(text.contains("\r\nAccept: application/json\r\n"));
        assert!(!text.contains("keep-alive"), "{text}");
        assert!(text.ends_with("Content-Length: 2\r\nConnection: close\r\n\r\n{}"));
    }

    #[test]
    fn default_ports_are_left_out_of_host() {
        let req = request(Method::Post, "https://api.example.com/things", None);
        let https = endpoint(&req).unwrap();
        assert!(https.https);
        assert_eq!(https.port, 443);
        assert_eq!(https.authority, "api.example.com");
        let req = request(Method::Get, "http://[::1]:9/x", None);
        let v6 = endpoint(&req).unwrap();
        assert_eq!(v6.host, "::1");
        assert_eq!(v6.authority, "[::1]:9");
    }

    #[test]
    fn fields_that_would_break_the_framing_are_refused() {
        let mut req = request(Method::Put, "http://h/things/a", None);
        req.headers
            .push(("If-Match".into(), "\"a\"\r\nX: y".into()));
        let parts = endpoint(&req).unwrap();
        assert!(matches!(
            raw_request(&req, &parts),
            Err(TransportError::InvalidRequest { .. })
        ));
        let req = request(Method::Get, "ftp://h/x", None);
        assert!(endpoint(&req).is_err());
    }
}
