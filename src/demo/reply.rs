//! Successful answers: JSON bodies, representations with a strong ETag (and 304/412 when the
//! request's preconditions say so), creations with a Location, and the `Allow` field of OPTIONS
//! and 405 answers.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::bugs::{Bug, BugSet};
use super::conditional::{self, Verdict};
use super::etag::strong_etag;
use super::problem::Problem;

/// A collection answer: `{"total": n, "items": [...]}` with 200.
pub(super) fn collection(items: Vec<Value>) -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({"total": items.len(), "items": items}),
    )
}

/// A JSON body with a status and no validator (lists, PUT results).
pub(super) fn json(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// The current representation of an item, as GET and HEAD answer it: 200 with a strong ETag,
/// 304 when `If-None-Match` shows the client has it, 412 when `If-Match` fails.
pub(super) fn representation(headers: &HeaderMap, method: &Method, body: Value) -> Response {
    let etag = strong_etag(&body);
    tagged_representation(headers, method, body, etag)
}

/// [`representation`] with a given entity tag.
pub(super) fn tagged_representation(
    headers: &HeaderMap,
    method: &Method,
    body: Value,
    etag: String,
) -> Response {
    match conditional::evaluate(headers, method, Some(&etag)) {
        Verdict::Proceed => (StatusCode::OK, [(header::ETAG, etag)], Json(body)).into_response(),
        Verdict::NotModified => (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response(),
        Verdict::Failed => Problem::precondition_failed("If-Match does not hold").into_response(),
    }
}

/// An answer that created (or, with a bug, claims to have changed) the item at `location`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Created {
    pub(super) status: StatusCode,
    pub(super) location: String,
    pub(super) body: Value,
}

impl IntoResponse for Created {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::LOCATION, self.location)],
            Json(self.body),
        )
            .into_response()
    }
}

/// The path of an item: the collection path and the id as one percent-encoded segment.
pub(super) fn location(collection: &str, id: &str) -> String {
    let mut path = format!("{collection}/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

/// 204 to OPTIONS, listing the methods the target allows.
pub(super) fn options(allow: &'static str) -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::ALLOW, HeaderValue::from_static(allow))],
    )
        .into_response()
}

/// 405 problem for a method the target does not allow, with `Allow` unless the bug drops it.
pub(super) fn method_not_allowed(method: &Method, allow: &'static str, bugs: BugSet) -> Response {
    let problem = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed here; allowed: {allow}"),
    );
    if bugs.contains(Bug::NoAllow) {
        return problem.into_response();
    }
    ([(header::ALLOW, HeaderValue::from_static(allow))], problem).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_encode_the_id_as_one_segment() {
        assert_eq!(location("/things", "a-1_b.c~"), "/things/a-1_b.c~");
        assert_eq!(location("/things", "a b/é"), "/things/a%20b%2F%C3%A9");
    }
}
