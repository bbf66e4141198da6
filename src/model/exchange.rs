//! The records of one HTTP exchange: what idemfuzz sent and what came back, as plain data (and
//! as it went on the wire, for the HAR file: `WireExchange`).
//!
//! Everything downstream (oracles, findings, reports, curl reproductions) reads these records,
//! never a live response. Header values are already redacted when a record is built, so a record
//! can be printed anywhere.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest response body kept in a record; longer bodies are cut and marked truncated.
pub(crate) const MAX_RECORDED_BODY: usize = 1024 * 1024;

/// The status recorded for an answer idemfuzz deliberately did not read (a simulated lost
/// response): the request was sent and the connection closed once the server began to answer.
pub(crate) const NOT_READ: u16 = 0;

/// An HTTP method idemfuzz sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET` (RFC 9110 §9.3.1).
    Get,
    /// `HEAD` (RFC 9110 §9.3.2).
    Head,
    /// `OPTIONS` (RFC 9110 §9.3.7).
    Options,
    /// `PUT` (RFC 9110 §9.3.4).
    Put,
    /// `POST` (RFC 9110 §9.3.3).
    Post,
    /// `PATCH` (RFC 5789).
    Patch,
    /// `DELETE` (RFC 9110 §9.3.5).
    Delete,
    /// WebDAV's safe listing method (RFC 4918 §9.1); sent only to read a `propfind` listing,
    /// never declared in a scenario's `methods`.
    Propfind,
}

impl Method {
    /// The method's name as sent on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Propfind => "PROPFIND",
        }
    }

    /// Safe methods per RFC 9110 §9.2.1 (and RFC 4918 §9.1 for PROPFIND).
    pub(crate) fn is_safe(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Options | Method::Propfind
        )
    }

    /// Parses a method name a scenario may use, case-insensitively (PROPFIND is not one).
    pub(crate) fn parse(name: &str) -> Option<Method> {
        Some(match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header as recorded; `value` is `<redacted>` when it carried a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// A request body or response body as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Body {
    /// No body at all.
    Empty,
    /// A body that parsed as JSON.
    Json { value: Value },
    /// A UTF-8 body that is not JSON (or not declared as JSON and not parseable).
    Text { text: String, truncated: bool },
    /// A body that is not UTF-8; only its size and a short hex prefix are kept.
    Binary { len: usize, prefix_hex: String },
}

impl Body {
    /// The JSON value, when the body was JSON.
    pub(crate) fn json(&self) -> Option<&Value> {
        match self {
            Body::Json { value } => Some(value),
            _ => None,
        }
    }

    /// Records bytes sent as they are: text when UTF-8, binary otherwise (never parsed as
    /// JSON, so the record shows exactly what went on the wire).
    pub(crate) fn opaque(bytes: &[u8]) -> Body {
        if bytes.is_empty() {
            return Body::Empty;
        }
        match std::str::from_utf8(bytes) {
            Ok(_) if bytes.len() > MAX_RECORDED_BODY => Body::from_bytes(bytes),
            Ok(text) => Body::Text {
                text: text.to_string(),
                truncated: false,
            },
            Err(_) => Body::from_bytes(bytes),
        }
    }

    /// Classifies raw bytes: JSON when they parse, text when UTF-8, binary otherwise.
    /// Bodies longer than [`MAX_RECORDED_BODY`] are kept as truncated text or binary.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Body {
        if bytes.is_empty() {
            return Body::Empty;
        }
        if bytes.len() <= MAX_RECORDED_BODY
            && let Ok(value) = serde_json::from_slice::<Value>(bytes)
        {
            return Body::Json { value };
        }
        let kept = &bytes[..bytes.len().min(MAX_RECORDED_BODY)];
        match std::str::from_utf8(kept) {
            Ok(text) => Body::Text {
                text: text.to_string(),
                truncated: kept.len() < bytes.len(),
            },
            Err(err) if err.valid_up_to() + 4 > kept.len() && kept.len() < bytes.len() => {
                // The cut fell inside a multi-byte character: keep the valid part.
                Body::Text {
                    text: String::from_utf8_lossy(&kept[..err.valid_up_to()]).into_owned(),
                    truncated: true,
                }
            }
            Err(_) => Body::Binary {
                len: bytes.len(),
                prefix_hex: bytes.iter().take(16).map(|b| format!("{b:02x}")).collect(),
            },
        }
    }
}

/// What idemfuzz sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RequestRecord {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Body,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResponseRecord {
    pub(crate) status: u16,
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Body,
    /// Total body size in bytes as received (before any truncation of the record).
    pub(crate) body_len: usize,
    pub(crate) elapsed_ms: u64,
}

impl ResponseRecord {
    /// The first value of a header, by case-insensitive name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// True for 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The status as reports print it: the number, or `not read` for [`NOT_READ`].
    pub(crate) fn status_text(&self) -> String {
        match self.status {
            NOT_READ => "not read".to_string(),
            status => status.to_string(),
        }
    }
}

/// The first value of a header in a list, by case-insensitive name.
pub(crate) fn header_value<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// One request and its response, as one step of a check's sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Exchange {
    /// Position in the case's sequence, from 1.
    pub(crate) seq: usize,
    /// Why the step was sent, e.g. "snapshot item" or "PUT body A (2 of 3)".
    pub(crate) purpose: String,
    pub(crate) request: RequestRecord,
    pub(crate) response: ResponseRecord,
}

/// What came back for a request on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireAnswer {
    /// The answer.
    Answered(ResponseRecord),
    /// No answer: the one-line transport error, secrets scrubbed.
    Failed(String),
}

/// One request as it went on the wire, and its answer or the reason there was none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireExchange {
    /// When the request was handed to the HTTP client.
    pub(crate) started: SystemTime,
    /// The HTTP version spoken (`HTTP/1.1`, `HTTP/2.0`); `None` when no answer came.
    pub(crate) http_version: Option<String>,
    pub(crate) request: RequestRecord,
    /// The answer, or the one-line transport error.
    pub(crate) response: WireAnswer,
    /// Milliseconds from sending to the end of the answer (or to the error).
    pub(crate) time_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_json_text_and_binary_bodies() {
        assert_eq!(Body::from_bytes(b""), Body::Empty);
        assert!(matches!(Body::from_bytes(br#"{"a":1}"#), Body::Json { .. }));
        assert!(matches!(
            Body::from_bytes(b"hello"),
            Body::Text {
                truncated: false,
                ..
            }
        ));
        assert!(matches!(
            Body::from_bytes(&[0xff, 0xfe, 0x00, 0x01]),
            Body::Binary { len: 4, .. }
        ));
    }

    #[test]
    fn truncates_huge_text_bodies() {
        let big = vec![b'x'; MAX_RECORDED_BODY + 10];
        match Body::from_bytes(&big) {
            Body::Text { text, truncated } => {
                assert!(truncated);
                assert_eq!(text.len(), MAX_RECORDED_BODY);
            }
            other => panic!("expected truncated text, got {other:?}"),
        }
    }

    #[test]
    fn method_names_round_trip() {
        for m in [Method::Get, Method::Put, Method::Delete, Method::Options] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("put"), Some(Method::Put));
        assert_eq!(Method::parse("BREW"), None);
    }
}
