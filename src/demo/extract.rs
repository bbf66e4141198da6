//! Request extraction: the item id from the path and the raw body (at most [`MAX_BODY`] bytes),
//! plus parsing a body as a JSON object. Every failure is a [`Problem`], never a panic.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use super::problem::Problem;

/// Largest request body accepted; a longer one is answered 413.
pub(super) const MAX_BODY: usize = 1024 * 1024;

/// The `{id}` segment of an item's path, percent-decoded.
pub(super) struct ItemId(pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for ItemId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ItemId, Problem> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(ItemId(id)),
            Err(rejection) => Err(Problem::new(rejection.status(), rejection.body_text())),
        }
    }
}

/// The request body as bytes, read under the size limit set by the router.
pub(super) struct RawBody(pub(super) Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<RawBody, Problem> {
        match Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Problem::new(
                    rejection.status(),
                    format!("the body exceeds {MAX_BODY} bytes"),
                ))
            }
            Err(rejection) => Err(Problem::new(rejection.status(), rejection.body_text())),
        }
    }
}

/// Parses a body that must be a JSON object; anything else is a 400 problem.
pub(super) fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, Problem> {
    if bytes.is_empty() {
        return Err(Problem::bad_request(
            "the body must be a JSON object; it is empty",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(other) => Err(Problem::bad_request(format!(
            "the body must be a JSON object, not {}",
            kind(&other)
        ))),
        Err(err) => Err(Problem::bad_request(format!("the body is not JSON: {err}"))),
    }
}

/// A JSON value's kind, for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_objects() {
        assert!(json_object(br#"{"a":1}"#).is_ok());
        for bad in [&b""[..], b"[1]", b"42", b"{", b"not json", b"\xff"] {
            let problem = json_object(bad).unwrap_err();
            assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        }
    }
}
