//! Builders of records for the oracles' unit tests: exchanges and snapshots without a network.

use serde_json::Value;

use crate::model::exchange::{Body, Exchange, Header, Method, RequestRecord, ResponseRecord};
use crate::scenario::{IdField, IgnorePattern, JsonPointer};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// An exchange answering `status` with optional JSON body and headers.
pub(crate) fn exchange(
    method: Method,
    url: &str,
    status: u16,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Exchange {
    let body = body.map_or(Body::Empty, |value| Body::Json { value });
    let body_len = match &body {
        Body::Json { value } => value.to_string().len(),
        _ => 0,
    };
    Exchange {
        seq: 1,
        purpose: "test".into(),
        request: RequestRecord {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
        },
        response: ResponseRecord {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| Header {
                    name: (*name).into(),
                    value: (*value).into(),
                })
                .collect(),
            body,
            body_len,
            elapsed_ms: 1,
        },
    }
}

/// An item snapshot with a JSON body.
pub(crate) fn item(status: u16, body: Value) -> ItemSnapshot {
    ItemSnapshot {
        seq: 1,
        status,
        body: Body::Json { value: body },
        opaque: None,
    }
}

/// A collection snapshot of the given items.
pub(crate) fn collection(items: Vec<Value>) -> CollectionSnapshot {
    CollectionSnapshot::observed(1, 200, items)
}

/// A canon ignoring the given patterns.
pub(crate) fn canon(ignore: &[&str]) -> Canon {
    Canon::with_ignore(
        ignore
            .iter()
            .map(|p| IgnorePattern::parse(p).expect("valid pattern"))
            .collect(),
    )
}

/// The member `/id`.
pub(crate) fn id_field() -> IdField {
    IdField::at(JsonPointer::parse("/id").expect("valid pointer"))
}
