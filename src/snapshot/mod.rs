//! Snapshots of resource state taken with GET, and the pure functions that compare them:
//! canonical forms (ignored fields removed, write times masked, run ids replaced), leaf
//! differences and diffs.

pub mod canonical;
pub mod diff;
pub(crate) mod holds;
pub(crate) mod listing;
pub(crate) mod opaque;
pub(crate) mod pagination;
pub(crate) mod write_time;
pub(crate) mod xml;

use serde_json::Value;

use crate::model::exchange::{Body, Exchange};

/// The state of one item as a GET saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemSnapshot {
    /// Sequence number of the GET exchange in its case.
    pub(crate) seq: usize,
    pub(crate) status: u16,
    pub(crate) body: Body,
    /// The representation read byte-exactly, for resources whose representation is not JSON
    /// and whose answer is not JSON; its state is then the content and metadata.
    pub(crate) opaque: Option<opaque::Opaque>,
}

impl ItemSnapshot {
    /// Builds a snapshot from the GET exchange that took it.
    pub(crate) fn from_exchange(exchange: &Exchange) -> ItemSnapshot {
        ItemSnapshot {
            seq: exchange.seq,
            status: exchange.response.status,
            body: exchange.response.body.clone(),
            opaque: None,
        }
    }

    /// True when the GET found the resource (2xx).
    pub(crate) fn exists(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The state as one JSON value: `{"status": …, "body": …}` so that a change of status
    /// shows in a diff as clearly as a change of content. An opaque representation is
    /// `{"status", "representation": {"content-type", "etag", "content-length"}, "text"}` (or
    /// `"bytes"` in hex) when the GET succeeded, `{"status", "body": null}` when it did not
    /// (an error page is not the resource's state).
    pub(crate) fn as_state(&self) -> Value {
        if let Some(opaque) = &self.opaque {
            let mut state = serde_json::Map::new();
            state.insert("status".into(), Value::from(self.status));
            if self.exists() {
                opaque.state_members(&mut state);
            } else {
                state.insert("body".into(), Value::Null);
            }
            return Value::Object(state);
        }
        let body = match &self.body {
            Body::Empty => Value::Null,
            Body::Json { value } => value.clone(),
            Body::Text { text, truncated } => Value::String(if *truncated {
                format!("{text}…")
            } else {
                text.clone()
            }),
            Body::Binary { len, prefix_hex } => {
                Value::String(format!("<{len} binary bytes: {prefix_hex}…>"))
            }
        };
        serde_json::json!({ "status": self.status, "body": body })
    }
}

/// The items of a collection that belong to one case, as a listing of the collection saw them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CollectionSnapshot {
    /// Sequence number of the (first) listing exchange in its case; 0 when nothing was sent.
    pub(crate) seq: usize,
    /// Status of the (first) listing answer; 0 when nothing was sent.
    pub(crate) status: u16,
    /// Items owned by the case, sorted by id; `None` when the collection was not observed.
    pub(crate) items: Option<Vec<Value>>,
    /// Why the collection was not observed (`items` is `None`): the scenario declares no
    /// listing, the listing could not be read, or it showed none of the items the case holds.
    /// A rule that compares collections judges nothing then, and must not pass silently.
    pub(crate) unobserved: Option<String>,
}

impl CollectionSnapshot {
    /// The case's items as a listing showed them.
    pub(crate) fn observed(seq: usize, status: u16, items: Vec<Value>) -> CollectionSnapshot {
        CollectionSnapshot {
            seq,
            status,
            items: Some(items),
            unobserved: None,
        }
    }

    /// A collection that was not observed, and why.
    pub(crate) fn unobserved(
        seq: usize,
        status: u16,
        reason: impl Into<String>,
    ) -> CollectionSnapshot {
        CollectionSnapshot {
            seq,
            status,
            items: None,
            unobserved: Some(reason.into()),
        }
    }

    /// The state as one JSON value for comparison and diffs.
    pub(crate) fn as_state(&self) -> Value {
        serde_json::json!({
            "status": self.status,
            "items": self.items.clone().map(Value::Array).unwrap_or(Value::Null),
        })
    }
}
