//! One request as a stand-in's behaviour sees it ([`Req`]: method, raw target, parsed path and
//! query, headers, body) and the answer it gives ([`Reply`]), independent of the transport.

use axum::http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// How a server turns the request path into resource segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathMode {
    /// Like nginx in front of an application: every segment is percent-decoded, dot segments
    /// (`.`, `..`, also encoded as `%2e`, `%2E%2e`, `.%2e`) are removed per RFC 3986 §5.2.4, and
    /// empty segments (`//`) are merged. An encoded slash (`%2F`) stays inside its segment, so a
    /// client that encodes an id as one segment can always address it.
    Resolve,
    /// Segments split on `/` as sent, each percent-decoded; `..` is an ordinary id (S3 keys).
    Verbatim,
}

/// The request, parsed once for the behaviour.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub method: Method,
    /// The request-target exactly as it was received on the wire.
    pub target: String,
    /// The path as the application sees it (the target without query; no fragment).
    pub path: String,
    /// The decoded path segments (see [`PathMode`]); `/` has none.
    pub segments: Vec<String>,
    /// Whether the path ends with `/` (and is not `/` itself).
    pub trailing_slash: bool,
    /// The query string, raw (without `?`); empty when none.
    pub raw_query: String,
    /// The decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// `http://HOST` from the `Host` header, as frameworks build absolute links.
    pub origin: String,
}

impl Req {
    /// Builds the request from what the transport read.
    pub(crate) fn new(
        method: Method,
        target: String,
        path_and_query: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        mode: PathMode,
    ) -> Req {
        let without_fragment = path_and_query.split('#').next().unwrap_or("");
        let (path, raw_query) = match without_fragment.split_once('?') {
            Some((path, query)) => (path.to_string(), query.to_string()),
            None => (without_fragment.to_string(), String::new()),
        };
        let (segments, trailing_slash) = segments(&path, mode);
        let query = form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect();
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_string();
        Req {
            method,
            target,
            path,
            segments,
            trailing_slash,
            raw_query,
            query,
            headers,
            body,
            origin: format!("http://{host}"),
        }
    }

    /// A request header as text (`None` when absent or not visible ASCII).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first query parameter called `name`.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub(crate) fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Whether the method is GET or HEAD (HEAD is answered like GET; the transport drops the
    /// content).
    pub(crate) fn is_read(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }

    /// The segments as `&str`s, for matching.
    pub(crate) fn parts(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }
}

/// Splits and decodes a path per `mode`; also tells whether it ends with `/`.
fn segments(path: &str, mode: PathMode) -> (Vec<String>, bool) {
    let trailing = path.len() > 1 && path.ends_with('/');
    let raw: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out: Vec<String> = Vec::new();
    for (i, segment) in raw.iter().enumerate() {
        let decoded = percent_decode_str(segment).decode_utf8_lossy().into_owned();
        let last = i + 1 == raw.len();
        match mode {
            PathMode::Resolve => match decoded.as_str() {
                "" | "." => {}
                ".." => {
                    out.pop();
                }
                _ => out.push(decoded),
            },
            PathMode::Verbatim if decoded.is_empty() && (last || i == 0) => {}
            PathMode::Verbatim => out.push(decoded),
        }
    }
    (out, trailing)
}

/// A stand-in's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    /// Header fields in order; the transport adds `Content-Length` and `Date` when missing.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Write the content even when answering HEAD (the raw transport's HEAD bug; the hyper
    /// transport never can).
    pub body_on_head: bool,
    /// Send no `Content-Length` on a HEAD answer (raw transport only; RFC 9110 §9.3.2 lets a
    /// server omit it).
    pub no_length: bool,
}

impl Reply {
    /// A reply with no header and no content.
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            body_on_head: false,
            no_length: false,
        }
    }

    /// `application/json` content, serialised compactly.
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        Reply::typed(status, "application/json", value.to_string().into_bytes())
    }

    /// Content of a given media type.
    pub(crate) fn typed(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::empty(status)
            .with_header("Content-Type", content_type)
            .with_body(body)
    }

    /// Adds a header field.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Replaces the content.
    pub(crate) fn with_body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// The value of a header field this reply carries.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
