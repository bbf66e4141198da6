//! What a request carries, each header once: `Accept`, the target's headers, the credentials
//! (shown redacted; `auth::send` adds the real value), exactly one `Content-Type` when there is
//! a body, and the request's own headers, which replace the target's of the same name. The body
//! is encoded with the resource's representation (a request that sets a JSON `Content-Type` of
//! its own, such as a merge patch, is JSON), and recorded exactly as sent.

use super::{Req, Session};
use crate::model::exchange::{Body, Header};
use crate::model::redact;

/// A request's headers (real values for the wire, shown values for the record) and body.
pub(super) struct Encoded {
    pub(crate) wire: Vec<(String, String)>,
    pub(crate) shown: Vec<Header>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) recorded: Body,
}

impl Encoded {
    fn push(&mut self, name: &str, wire: &str, shown: &str) {
        self.wire.push((name.to_string(), wire.to_string()));
        self.shown.push(Header {
            name: name.to_string(),
            value: shown.to_string(),
        });
    }
}

impl Session<'_> {
    /// The headers and body of `req`.
    pub(super) fn encode(&self, req: &Req) -> Encoded {
        let own = |name: &str| {
            req.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let target = &self.target.target.headers;
        let from_target = |name: &str| target.iter().find(|h| h.name.eq_ignore_ascii_case(name));
        let representation = &self.resource.representation;
        let (body, recorded) = self.body_of(req);
        let mut encoded = Encoded {
            wire: Vec::new(),
            shown: Vec::new(),
            body,
            recorded,
        };
        if !own("accept") && from_target("accept").is_none() {
            let accept = representation.accept();
            encoded.push("Accept", accept, accept);
        }
        for header in target {
            if !own(&header.name) && !header.name.eq_ignore_ascii_case("content-type") {
                encoded.push(&header.name, &header.value, &header.shown);
            }
        }
        if let Some(credentials) = &self.target.auth {
            encoded.shown.push(Header {
                name: "Authorization".into(),
                value: credentials.shown().to_owned(),
            });
        }
        if encoded.body.is_some() && !own("content-type") {
            let (wire, shown) = match (&representation.content_type, from_target("content-type")) {
                (Some(declared), _) => (declared.as_str(), declared.as_str()),
                (None, Some(header)) => (header.value.as_str(), header.shown.as_str()),
                (None, None) => {
                    let default = representation
                        .default_content_type()
                        .unwrap_or("application/octet-stream");
                    (default, default)
                }
            };
            encoded.push("Content-Type", wire, shown);
        }
        for (name, value) in &req.headers {
            encoded.push(name, value, &redact::shown_value(name, value));
        }
        encoded
    }

    /// The bytes of the body, and its record: JSON as the value, anything else as the text or
    /// bytes sent (never re-read as JSON, so a curl reproduction sends the same bytes).
    fn body_of(&self, req: &Req) -> (Option<Vec<u8>>, Body) {
        let Some(value) = &req.body else {
            return (None, Body::Empty);
        };
        let own_json = req.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("content-type") && value.to_ascii_lowercase().contains("json")
        });
        let representation = &self.resource.representation;
        if representation.is_json() || own_json {
            let bytes = value.to_string().into_bytes();
            return (
                Some(bytes),
                Body::Json {
                    value: value.clone(),
                },
            );
        }
        let bytes = representation.encode(value);
        let recorded = Body::opaque(&bytes);
        (Some(bytes), recorded)
    }
}
