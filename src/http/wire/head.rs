//! HEAD on a connection of its own. A HEAD answer has no content (RFC 9110 §9.3.2), so a
//! client that keeps the connection reads any content the server writes anyway as the start of
//! its next answer ("invalid HTTP version parsed" on an innocent later request), or drops the
//! connection without a word. Here the HEAD goes out with `Connection: close`; once its header
//! section is read, the bytes that follow until the server closes are the answer's content —
//! recorded as its body, for `head-parity` to judge — and the connection is never reused.

use std::time::{Duration, Instant};

use hyper::client::conn::http1::Parts;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;

use super::{Stream, WireClient, endpoint, hyper_request, other, timeout};
use crate::http::config::HttpVersion;
use crate::http::transport::{
    MAX_COUNTED_BODY, MAX_KEPT_BODY, OutgoingRequest, RawResponse, TransportError, header_pairs,
};
use crate::model::exchange::Method;

/// Longest wait, once a HEAD answer's header section is read, for the server to close the
/// connection as asked; bytes that arrive meanwhile are content. A server that honours
/// `Connection: close` closes at once, so this is only reached by one that ignores it.
const CLOSE_GRACE: Duration = Duration::from_millis(200);

/// Bytes read at once after the header section.
const CHUNK: usize = 8 * 1024;

impl WireClient {
    /// True when `request` is a HEAD this client sends on a connection of its own: a direct
    /// route (no proxy carries it), over HTTP/1.1 as the pooled clients would speak it — plain
    /// http unless `--http-version 2`, https only with `--http-version 1` (HTTP/2 frames
    /// cannot carry content after a HEAD answer).
    pub(crate) fn takes_head(&self, request: &OutgoingRequest) -> bool {
        if request.method != Method::Head || self.proxy.applies_to(&request.url) {
            return false;
        }
        match request.url.get(..8) {
            Some(scheme) if scheme.eq_ignore_ascii_case("https://") => {
                self.http_version == HttpVersion::Http1
            }
            _ => self.http_version != HttpVersion::Http2,
        }
    }

    /// Sends a HEAD with `Connection: close` (and `Content-Length: 0`, as every request on a
    /// connection of its own carries) and returns its answer, with the bytes the server wrote
    /// after the header section as the body. All within the request's timeout.
    pub(crate) async fn send_head(
        &self,
        request: &OutgoingRequest,
    ) -> Result<RawResponse, TransportError> {
        self.refuse_proxied(request)?;
        let endpoint = endpoint(request)?;
        let mut built = hyper_request(request)?;
        let fields = built.headers_mut();
        fields.insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        fields.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("0"),
        );
        let exchange = async {
            let started = Instant::now();
            let stream = self.connect(request, &endpoint).await?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|err| other(request, &err))?;
            let finished = tokio::spawn(connection.without_shutdown());
            let response = sender
                .send_request(built)
                .await
                .map_err(|err| other(request, &err))?;
            drop(sender);
            let status = response.status().as_u16();
            let headers = header_pairs(response.headers());
            drop(response);
            let parts = finished
                .await
                .map_err(|err| other(request, &err))?
                .map_err(|err| other(request, &err))?;
            let content = content_after(parts).await;
            Ok(RawResponse {
                status,
                headers,
                body: content.kept,
                body_len: content.total,
                elapsed: started.elapsed(),
            })
        };
        tokio::time::timeout(request.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(timeout(request)))
    }
}

/// Content after a header section: at most [`MAX_KEPT_BODY`] bytes kept, the length counted.
#[derive(Debug, Default)]
struct Content {
    kept: Vec<u8>,
    total: usize,
}

impl Content {
    fn add(&mut self, bytes: &[u8]) {
        self.total += bytes.len();
        let room = MAX_KEPT_BODY.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

/// The bytes hyper read past the header section, then whatever arrives until the server
/// closes the connection (or [`CLOSE_GRACE`] passes, or a read fails).
async fn content_after(parts: Parts<TokioIo<Stream>>) -> Content {
    let mut content = Content::default();
    content.add(&parts.read_buf);
    let mut stream = parts.io.into_inner();
    let mut chunk = vec![0u8; CHUNK];
    let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
    while content.total < MAX_COUNTED_BODY {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(read @ 1..)) => content.add(&chunk[..read]),
            // The close, the grace passed, or a reset or an unclean TLS close (which end the
            // connection like a close).
            Ok(Ok(_) | Err(_)) | Err(_) => break,
        }
    }
    content
}
