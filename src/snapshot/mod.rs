//! Snapshots of resource state taken with GET, and the pure functions that compare them:
//! canonical forms (ignored fields removed, run ids replaced), leaf differences and diffs.

pub mod canonical;
pub mod diff;
pub mod holds;

use serde_json::Value;

use crate::model::exchange::{Body, Exchange};

/// The state of one item as a GET saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSnapshot {
    /// Sequence number of the GET exchange in its case.
    pub seq: usize,
    pub status: u16,
    pub body: Body,
}

impl ItemSnapshot {
    /// Builds a snapshot from the GET exchange that took it.
    pub fn from_exchange(exchange: &Exchange) -> ItemSnapshot {
        ItemSnapshot {
            seq: exchange.seq,
            status: exchange.response.status,
            body: exchange.response.body.clone(),
        }
    }

    /// True when the GET found the resource (2xx).
    pub fn exists(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The state as one JSON value: `{"status": …, "body": …}` so that a change of status
    /// shows in a diff as clearly as a change of content.
    pub fn as_state(&self) -> Value {
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

/// The items of a collection that belong to one case, as a GET of the collection saw them.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSnapshot {
    pub seq: usize,
    pub status: u16,
    /// Items owned by the case, sorted by id; `None` when the response had no readable list.
    pub items: Option<Vec<Value>>,
}

impl CollectionSnapshot {
    /// The state as one JSON value for comparison and diffs.
    pub fn as_state(&self) -> Value {
        serde_json::json!({
            "status": self.status,
            "items": self.items.clone().map(Value::Array).unwrap_or(Value::Null),
        })
    }
}
