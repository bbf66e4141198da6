//! The request log of a stand-in: per request, the method, the raw request-target as received on
//! the wire, the headers, the body and the status it was answered with.

use std::sync::{Arc, Mutex, PoisonError};

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Logged {
    pub method: String,
    /// The request-target exactly as it came on the wire: no percent-decoding, no dot-segment
    /// removal, a `#fragment` kept if a client sent one.
    pub target: String,
    /// The header fields in order of arrival (names lower-case; values decoded lossily).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

impl Logged {
    /// The first value of a header field (case-insensitive name).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query (and fragment).
    pub(crate) fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("")
    }

    /// Whether the method may change state (anything but GET, HEAD, OPTIONS).
    pub(crate) fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// The body as text (lossy).
    pub(crate) fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `METHOD target -> status`, for messages.
    pub(crate) fn line(&self) -> String {
        format!("{} {} -> {}", self.method, self.target, self.status)
    }
}

/// Shared, append-only; entries are in the order the server processed the requests.
#[derive(Debug, Clone, Default)]
pub(super) struct RequestLog(Arc<Mutex<Vec<Logged>>>);

impl RequestLog {
    pub(super) fn push(&self, entry: Logged) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }

    pub(super) fn entries(&self) -> Vec<Logged> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
