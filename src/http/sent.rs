//! The header fields a request carries on the wire, in one place: the defaults every send adds
//! (`User-Agent`, `Accept`), and the fields the connection layer writes (`Host`,
//! `Content-Length`, `Connection`), so that what the wire tap records (the HAR file) is what the
//! server received, whichever client sent it.

use crate::http::transport::OutgoingRequest;
use crate::model::exchange::Method;

/// idemfuzz's `User-Agent`, sent unless the request has its own.
pub(crate) const USER_AGENT: &str = concat!("idemfuzz/", env!("CARGO_PKG_VERSION"));

/// The `Accept` sent unless the request has its own (what reqwest and curl send).
pub(crate) const DEFAULT_ACCEPT: &str = "*/*";

/// How a request is framed on its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A kept-alive connection (hyper, reqwest): `Content-Length` for a non-empty body, and over
    /// HTTP/2 also `Content-Length: 0` for a method with payload semantics (hyper's rules).
    KeepAlive,
    /// A connection of its own, written by hand and closed (an unread send): `Content-Length`
    /// always, and `Connection: close`.
    Close,
}

/// The request with idemfuzz's default fields added where it has none: `User-Agent` and
/// `Accept`, appended after its own fields. Every send goes through this first.
pub(crate) fn with_defaults(mut request: OutgoingRequest) -> OutgoingRequest {
    for (name, value) in [("User-Agent", USER_AGENT), ("Accept", DEFAULT_ACCEPT)] {
        if !has_field(&request, name) {
            request.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    request
}

/// Every field the request carried on the wire, as the server received them: `Host` (HTTP/1.x
/// only; HTTP/2 carries the authority in a pseudo-header), the request's own fields (after
/// [`with_defaults`]), then the framing fields.
pub(crate) fn wire_fields(
    request: &OutgoingRequest,
    framing: Framing,
    http2: bool,
) -> Vec<(String, String)> {
    let mut fields = Vec::with_capacity(request.headers.len() + 3);
    if !http2 && let Some(host) = authority(&request.url) {
        fields.push(("Host".to_owned(), host));
    }
    fields.extend(
        request
            .headers
            .iter()
            .filter(|(name, _)| !is_framing(name))
            .cloned(),
    );
    let body = request.body.as_deref().map_or(0, <[u8]>::len);
    let payload_method = !matches!(request.method, Method::Get | Method::Head | Method::Delete);
    if body > 0 || framing == Framing::Close || (http2 && payload_method) {
        fields.push(("Content-Length".to_owned(), body.to_string()));
    }
    if framing == Framing::Close {
        fields.push(("Connection".to_owned(), "close".to_owned()));
    }
    fields
}

/// Why a header field may not be set by a scenario or `-H`, if it may not: the fields the
/// connection layer writes (a `Host` naming another site could route the request — and its
/// credentials — there; framing fields could split one request into two), and method
/// overrides (a server that honours one runs the request as a method the ownership guard
/// never judged).
pub(crate) fn unsendable_header(name: &str) -> Option<&'static str> {
    let named = |names: &[&str]| names.iter().any(|own| name.eq_ignore_ascii_case(own));
    if named(&[
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    ]) {
        return Some(
            "is written by the connection itself: set by hand it could send the request, and its credentials, somewhere else or split it in two",
        );
    }
    if named(METHOD_OVERRIDES) {
        return Some(
            "asks servers to run the request as another method, which idemfuzz's ownership guard would not have judged",
        );
    }
    None
}

/// The header fields (and query parameters) with which servers let a request name the method
/// to run instead of its own (Express's `method-override`, Laravel, Symfony, Rails, ASP.NET).
pub(crate) const METHOD_OVERRIDES: &[&str] = &[
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "_method",
];

fn has_field(request: &OutgoingRequest, name: &str) -> bool {
    request
        .headers
        .iter()
        .any(|(own, _)| own.eq_ignore_ascii_case(name))
}

/// Fields the connection layer writes itself (a request's own copies are not sent).
fn is_framing(name: &str) -> bool {
    ["host", "content-length", "connection", "transfer-encoding"]
        .iter()
        .any(|own| name.eq_ignore_ascii_case(own))
}

/// `host` or `host:port` as the `Host` field carries it: the port only when it is not the
/// scheme's default.
fn authority(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn request(method: Method, url: &str, headers: &[(&str, &str)], body: &str) -> OutgoingRequest {
        OutgoingRequest {
            method,
            url: url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            body: (!body.is_empty()).then(|| body.as_bytes().to_vec()),
            timeout: Duration::from_secs(1),
        }
    }

    fn names(fields: &[(String, String)]) -> Vec<&str> {
        fields.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn fields_that_re_route_a_request_cannot_be_set() {
        for name in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "Connection",
            "Upgrade",
        ] {
            assert!(
                unsendable_header(name).is_some_and(|why| why.contains("connection")),
                "{name}"
            );
        }
        for name in [
            "X-HTTP-Method-Override",
            "x-http-method",
            "X-Method-Override",
        ] {
            assert!(
                unsendable_header(name).is_some_and(|why| why.contains("another method")),
                "{name}"
            );
        }
        for name in [
            "Authorization",
            "X-Api-Key",
            "Idempotency-Key",
            "Hostname",
            "Accept",
        ] {
            assert_eq!(unsendable_header(name), None, "{name}");
        }
    }

    #[test]
    fn defaults_fill_in_only_what_is_missing() {
        let own = with_defaults(request(
            Method::Get,
            "http://h/x",
            &[("accept", "application/json")],
            "",
        ));
        assert_eq!(
            own.headers,
            vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("User-Agent".to_owned(), USER_AGENT.to_owned()),
            ]
        );
        let bare = with_defaults(request(Method::Delete, "http://h/x", &[], ""));
        assert_eq!(names(&bare.headers), ["User-Agent", "Accept"]);
    }

    #[test]
    fn the_wire_adds_host_and_framing() {
        let put = with_defaults(request(
            Method::Put,
            "http://127.0.0.1:8080/x",
            &[("Content-Length", "99")],
            "{}",
        ));
        let fields = wire_fields(&put, Framing::KeepAlive, false);
        assert_eq!(fields[0], ("Host".to_owned(), "127.0.0.1:8080".to_owned()));
        assert_eq!(
            names(&fields),
            ["Host", "User-Agent", "Accept", "Content-Length"]
        );
        assert_eq!(
            fields[3].1, "2",
            "the body's length, not the request's own field"
        );
        let get = request(Method::Get, "https://api.example.com/x", &[], "");
        assert_eq!(
            wire_fields(&get, Framing::KeepAlive, false),
            vec![("Host".to_owned(), "api.example.com".to_owned())]
        );
        assert!(wire_fields(&get, Framing::KeepAlive, true).is_empty());
        let options = request(Method::Options, "https://api.example.com/x", &[], "");
        assert_eq!(
            wire_fields(&options, Framing::KeepAlive, true),
            vec![("Content-Length".to_owned(), "0".to_owned())],
            "hyper's HTTP/2 client frames an empty OPTIONS with a length"
        );
        assert_eq!(
            names(&wire_fields(&get, Framing::Close, false)),
            ["Host", "Content-Length", "Connection"]
        );
    }
}
