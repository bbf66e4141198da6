//! The ownership guard: the one gate between idemfuzz and a target. Every request — a case's,
//! a batch released together, an unread one, the reachability probe, cleanup — is cleared here
//! before it can be sent, and only a [`Cleared`] request can be handed to
//! [`crate::session::auth`], which adds the credentials and calls the transport.
//!
//! A request is cleared when its URL, parsed as the HTTP stack will send it ([`WireUrl`]), is on
//! the target's origin (so credentials and secret headers never go anywhere else), and, for a
//! write, when it is a URL the run created or lies below one through segments that are neither
//! dot segments nor separators in any encoding. POST may also go to the resource's collection.
//! A request whose query asks servers to run it as another method (`_method=DELETE`) is judged
//! as a write.

use crate::http::transport::OutgoingRequest;
use crate::http::wire_url::{self, UrlError, WireUrl};
use crate::model::exchange::Method;
use crate::session::registry::Registry;
use crate::shorten::shorten;

/// Why a request was not sent. Never a finding: the case stops with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error(
        "refused to send {method} {}: idemfuzz only writes to resources it created",
        shorten(url)
    )]
    NotOwned { method: &'static str, url: String },
    #[error(
        "refused to send {method} {}: it is not on the target's origin {origin}; idemfuzz sends nothing (and no credentials) to another origin",
        shorten(url)
    )]
    OtherOrigin {
        method: &'static str,
        url: String,
        origin: String,
    },
    #[error("refused to send {method}: {reason}")]
    Unusable {
        method: &'static str,
        reason: UrlError,
    },
}

/// What a request may reach: the target (its base URL), what the run owns, and the
/// collection a POST may create in.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The target's base URL.
    pub(crate) base: &'a str,
    pub(crate) registry: &'a Registry,
    /// The absolute URL of the collection the session's resource creates in, if any.
    pub(crate) collection: Option<&'a str>,
}

/// A method and a URL the guard let through, ready to become a [`Cleared`] request.
#[derive(Debug, Clone)]
pub(crate) struct Clearance {
    method: Method,
    url: WireUrl,
}

impl Clearance {
    /// The URL exactly as it goes on the wire.
    pub(crate) fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The request for this method and URL, with these headers and body.
    pub(crate) fn request(
        self,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
        timeout: std::time::Duration,
    ) -> Cleared {
        Cleared(OutgoingRequest {
            method: self.method,
            url: self.url.as_str().to_owned(),
            headers,
            body,
            timeout,
        })
    }
}

/// A request the guard cleared. Only [`Clearance::request`] makes one, and the senders of
/// [`crate::session::auth`] take nothing else: there is no other way to a target.
#[derive(Debug, Clone)]
pub(crate) struct Cleared(OutgoingRequest);

impl Cleared {
    /// The request, for reading.
    #[cfg(test)]
    pub(crate) fn request(&self) -> &OutgoingRequest {
        &self.0
    }

    /// A copy for the wire with one more header (the credentials' `Authorization`).
    pub(crate) fn with_header(&self, header: Option<(&str, &str)>) -> OutgoingRequest {
        let mut request = self.0.clone();
        if let Some((name, value)) = header {
            request.headers.push((name.to_owned(), value.to_owned()));
        }
        request
    }
}

/// Clears `method url` in `scope`, or says why it may not be sent.
pub(crate) fn clear(scope: Scope<'_>, method: Method, url: &str) -> Result<Clearance, Refusal> {
    let unusable = |reason| Refusal::Unusable {
        method: method.as_str(),
        reason,
    };
    let wire = WireUrl::parse(url).map_err(unusable)?;
    let base = WireUrl::parse(scope.base).map_err(unusable)?;
    if !wire.same_origin(&base) {
        return Err(Refusal::OtherOrigin {
            method: method.as_str(),
            url: wire.as_str().to_owned(),
            origin: base.origin(),
        });
    }
    // A request whose query names another method (`_method=DELETE`) may be run as any
    // method: it is judged as a write, and only to a URL the run owns.
    let overridden = wire.url().query().is_some_and(wire_url::overrides_method);
    let allowed = match method {
        _ if overridden => scope.registry.owns(&wire),
        Method::Get | Method::Head | Method::Options | Method::Propfind => true,
        Method::Post => is_collection(scope, &wire) || scope.registry.owns(&wire),
        Method::Put | Method::Patch | Method::Delete => scope.registry.owns(&wire),
    };
    if !allowed {
        return Err(Refusal::NotOwned {
            method: method.as_str(),
            url: wire.as_str().to_owned(),
        });
    }
    Ok(Clearance { method, url: wire })
}

/// True when `wire` is the scope's collection (canonically, whatever its query).
fn is_collection(scope: Scope<'_>, wire: &WireUrl) -> bool {
    scope
        .collection
        .and_then(|collection| WireUrl::parse(collection).ok())
        .is_some_and(|collection| collection.key() == wire.key())
}

/// True when `url` is on the origin of `base` and below its path: the target a run-owned URL
/// belongs to.
pub(crate) fn belongs_to(base: &str, url: &str) -> bool {
    let (Ok(base), Ok(url)) = (WireUrl::parse(base), WireUrl::parse(url)) else {
        return false;
    };
    let base_segments: Vec<String> = base
        .canonical_segments()
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    url.same_origin(&base) && url.canonical_segments().starts_with(&base_segments)
}

/// The ownership key of an owned URL's prefix of `n` canonical segments.
pub(crate) fn prefix_key(wire: &WireUrl, segments: &[String], n: usize) -> String {
    wire_url::key_of(&wire.origin(), &segments[..n])
}

#[cfg(test)]
#[path = "guard_tests.rs"]
pub(crate) mod tests;
