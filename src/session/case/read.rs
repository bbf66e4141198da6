//! Item snapshots as checks compare them: a JSON answer as recorded; for a resource whose
//! representation is not JSON, a non-JSON answer read byte-exactly (the raw body of the last
//! answer is kept for it) with its `Content-Type`, `ETag` and `Content-Length`.

use super::Session;
use crate::model::exchange::{Body, ResponseRecord};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::opaque::{Content, Opaque};

/// The raw body of the last answer, by exchange index.
#[derive(Debug, Default)]
pub(super) struct LastBody(Option<(usize, Vec<u8>)>);

impl Session<'_> {
    /// Keeps the raw body of the answer just recorded, when the resource's representation is
    /// not JSON (nothing is kept otherwise).
    pub(super) fn keep_body(&mut self, body: Vec<u8>) {
        self.last_body.0 = (!self.resource.representation.is_json())
            .then(|| (self.exchanges.len().saturating_sub(1), body));
    }

    /// The item snapshot of the GET exchange at `index` (see the module documentation).
    pub(crate) fn item_snapshot(&self, index: usize) -> ItemSnapshot {
        let exchange = &self.exchanges[index];
        let mut snapshot = ItemSnapshot::from_exchange(exchange);
        let response = &exchange.response;
        if self.resource.representation.is_json() || json_answer(response) {
            return snapshot;
        }
        let content = match &self.last_body.0 {
            Some((kept, bytes)) if *kept == index => match std::str::from_utf8(bytes) {
                Ok(text) => Content::Text(self.scrubber.text(text)),
                Err(_) => Content::Bytes(bytes.clone()),
            },
            _ => recorded_content(&response.body),
        };
        let header = |name: &str| response.header(name).map(str::to_string);
        snapshot.opaque = Some(Opaque {
            content,
            content_type: header("content-type"),
            etag: header("etag"),
            content_length: header("content-length"),
        });
        snapshot
    }
}

/// True for a JSON answer: a JSON media type (`application/json`, `…+json`) and a JSON body.
fn json_answer(response: &ResponseRecord) -> bool {
    let essence = response
        .header("content-type")
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json_type = essence == "application/json" || essence.ends_with("+json");
    json_type && response.body.json().is_some()
}

/// The content as far as the record keeps it (when the raw body is gone).
fn recorded_content(body: &Body) -> Content {
    match body {
        Body::Empty => Content::Text(String::new()),
        Body::Json { value } => Content::Text(value.to_string()),
        Body::Text { text, .. } => Content::Text(text.clone()),
        Body::Binary { prefix_hex, .. } => Content::Text(format!("<binary: {prefix_hex}…>")),
    }
}
