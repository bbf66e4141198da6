//! A generic JSON API (`/{collection}` and `/{collection}/{id}`) whose behaviour is set by
//! [`Knobs`]: the shapes real APIs have that are not violations (write timestamps, unlistable
//! collections, reused ids), planted bugs (counters, prefix deletes, mtime-size ETags, ignored
//! `If-Match`, an ignored body), and hostile answers for the safety tests (ids and `Location`s
//! that name other resources, 2xx for ids never created).
//!
//! The correct default: PUT creates (201 + `Location`) or replaces (200); POST creates (201,
//! `Location: /{collection}/{id}`, id `n1`, `n2`, …); GET/HEAD answer the stored JSON with a
//! strong content ETag and `Last-Modified`; DELETE answers 204, then 404; `If-Match` and
//! `If-None-Match` are honoured on every method; the collection lists
//! `{"items": [...], "total": n}` in id order; PATCH answers 405 with `Allow`; OPTIONS 204 with
//! `Allow`. The `id` member of an item is its id (a string).

use std::time::SystemTime;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::clock::{epoch_millis, http_date, rfc3339_millis};
use super::conditional::{EtagStyle, Outcome, evaluate};
use super::exchange::{PathMode, Reply, Req};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, Entry, IdPolicy, Store};

/// The methods of an item.
const ITEM_ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS";
/// The methods of a collection.
const COLLECTION_ALLOW: &str = "GET, HEAD, POST, OPTIONS";

/// The generic JSON API.
#[derive(Debug, Clone, Default)]
pub(crate) struct Generic {
    pub knobs: Knobs,
}

/// Everything the generic API can be switched to. `Knobs::default()` is the correct API.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    /// Ids of POST-created items.
    pub ids: IdPolicy,
    /// How `GET /{collection}` answers.
    pub listing: Listing,
    /// How ETags are derived.
    pub etag: EtagStyle,
    /// Whether `If-Match` / `If-None-Match` are evaluated. `false` is the bug "If-Match
    /// ignored entirely" (lost updates).
    pub preconditions: bool,
    /// Server-managed members written on every write.
    pub meta: WriteMeta,
    /// Store nothing of the client's body (only `{"id": ...}`), yet answer 2xx: like etcd v2
    /// given a JSON body.
    pub ignore_body: bool,
    /// Which items a DELETE removes.
    pub delete: DeleteMatch,
    /// The `Location` of a 201.
    pub location: LocationStyle,
    /// Answer GET/HEAD of ids never created with 200 `{"id": ID}` (and PUT to them with 200):
    /// an API that answers for every id.
    pub answer_unknown_ids: bool,
    /// How paths are decoded.
    pub path_mode: PathMode,
    /// Ids are case-insensitive and case-preserving: every spelling of an id names the item
    /// first created under one of them (and listed under that one), as on a case-insensitive
    /// file system. Correct: one resource under two spellings, not two resources.
    pub ids_ignore_case: bool,
}

impl Default for Knobs {
    fn default() -> Knobs {
        Knobs {
            ids: IdPolicy::Counter("n".to_string()),
            listing: Listing::Wrapped,
            etag: EtagStyle::Content,
            preconditions: true,
            meta: WriteMeta::default(),
            ignore_body: false,
            delete: DeleteMatch::Exact,
            location: LocationStyle::Created,
            answer_unknown_ids: false,
            path_mode: PathMode::Resolve,
            ids_ignore_case: false,
        }
    }
}

/// How the collection answers GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// 200 `{"items": [...], "total": n}`.
    Wrapped,
    /// 200 `[...]`.
    Array,
    /// 200 `text/html`: a page of links, not JSON.
    Html,
    /// 404: the collection cannot be listed.
    NotFound,
    /// 405 `Allow: POST, OPTIONS`: the collection only accepts POST.
    MethodNotAllowed,
}

/// Server-managed members of an item. Timestamps are correct (write metadata); `revision` and
/// `history` are counters that grow on identical writes (a violation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WriteMeta {
    /// `createdAt`: RFC 3339 with milliseconds, set once.
    pub created_at: bool,
    /// `updatedAt`: RFC 3339 with milliseconds, moves forward on every write.
    pub updated_at: bool,
    /// `updated`: epoch milliseconds (an integer), moves forward on every write.
    pub epoch: bool,
    /// `revision`: 1, 2, 3, … one more on every write, identical ones included. Buggy.
    pub revision: bool,
    /// `history`: one `{"op", "at"}` more on every write. Buggy.
    pub history: bool,
}

impl WriteMeta {
    /// `createdAt`, `updatedAt` and `updated` (epoch ms): correct write metadata.
    pub(crate) fn timestamps() -> WriteMeta {
        WriteMeta {
            created_at: true,
            updated_at: true,
            epoch: true,
            ..WriteMeta::default()
        }
    }

    /// The timestamps plus the counters `revision` and `history`.
    pub(crate) fn counters() -> WriteMeta {
        WriteMeta {
            revision: true,
            history: true,
            ..WriteMeta::timestamps()
        }
    }
}

/// Which items `DELETE /{collection}/X` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteMatch {
    /// Only `X`. Correct.
    Exact,
    /// Every id that starts with `X` (`X0`, `X-1`): a `LIKE 'X%'` delete. Buggy.
    Prefix,
    /// Every id equal to `X` ignoring case (`x`). Buggy.
    CaseInsensitive,
    /// Both. Buggy.
    PrefixAnyCase,
}

impl DeleteMatch {
    fn hits(self, target: &str, other: &str) -> bool {
        match self {
            DeleteMatch::Exact => other == target,
            DeleteMatch::Prefix => other.starts_with(target),
            DeleteMatch::CaseInsensitive => other.eq_ignore_ascii_case(target),
            DeleteMatch::PrefixAnyCase => other
                .to_ascii_lowercase()
                .starts_with(&target.to_ascii_lowercase()),
        }
    }
}

/// The `Location` header of a 201.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LocationStyle {
    /// `/{collection}/{id}` of the created item (the id percent-encoded as one segment).
    Created,
    /// Exactly this text, whatever was created: a pre-existing item's path, or an absolute
    /// URL on another origin. Hostile.
    Fixed(String),
    /// No `Location`.
    Omitted,
}

impl Generic {
    /// The correct API.
    pub(crate) fn correct() -> Generic {
        Generic::default()
    }

    /// The API with these knobs.
    pub(crate) fn with(knobs: Knobs) -> Generic {
        Generic { knobs }
    }

    /// Correct, with write timestamps (`createdAt`, `updatedAt`, epoch `updated`).
    pub(crate) fn write_timestamps() -> Generic {
        Generic::with(Knobs {
            meta: WriteMeta::timestamps(),
            ..Knobs::default()
        })
    }

    /// Buggy: the timestamps plus a `revision` counter and a growing `history` array.
    pub(crate) fn write_counters() -> Generic {
        Generic::with(Knobs {
            meta: WriteMeta::counters(),
            ..Knobs::default()
        })
    }

    /// Stores nothing of the body, answers 2xx.
    pub(crate) fn ignores_body() -> Generic {
        Generic::with(Knobs {
            ignore_body: true,
            ..Knobs::default()
        })
    }

    /// Correct items, but the collection answers as `listing` says.
    pub(crate) fn unlistable(listing: Listing) -> Generic {
        Generic::with(Knobs {
            listing,
            ..Knobs::default()
        })
    }

    /// Buggy: DELETE of X also removes `X0`, `X-1` and `x`.
    pub(crate) fn prefix_delete() -> Generic {
        Generic::with(Knobs {
            delete: DeleteMatch::PrefixAnyCase,
            ..Knobs::default()
        })
    }

    /// Correct: ids are case-insensitive (one resource under every spelling of its id).
    pub(crate) fn case_insensitive_ids() -> Generic {
        Generic::with(Knobs {
            ids_ignore_case: true,
            ..Knobs::default()
        })
    }

    /// Buggy: nginx-style `"mtime-size"` strong ETags.
    pub(crate) fn mtime_size_etag() -> Generic {
        Generic::with(Knobs {
            etag: EtagStyle::MtimeSize,
            ..Knobs::default()
        })
    }

    /// Buggy: `If-Match` and `If-None-Match` are ignored entirely.
    pub(crate) fn ignores_preconditions() -> Generic {
        Generic::with(Knobs {
            preconditions: false,
            ..Knobs::default()
        })
    }

    /// Correct, with json-server's id reuse: a POST after deleting the last item gets its id.
    pub(crate) fn reused_ids() -> Generic {
        Generic::with(Knobs {
            ids: IdPolicy::MaxPlusOne,
            ..Knobs::default()
        })
    }

    /// Hostile: POSTs get these ids, in order (stored under exactly this text).
    pub(crate) fn created_ids(ids: &[&str]) -> Generic {
        Generic::with(Knobs {
            ids: IdPolicy::Scripted(ids.iter().map(|s| s.to_string()).collect()),
            ..Knobs::default()
        })
    }

    /// Hostile: every 201 carries `Location: location`.
    pub(crate) fn location(location: &str) -> Generic {
        Generic::with(Knobs {
            location: LocationStyle::Fixed(location.to_string()),
            ..Knobs::default()
        })
    }

    /// Hostile: 200 for GET of ids never created.
    pub(crate) fn answers_every_id() -> Generic {
        Generic::with(Knobs {
            answer_unknown_ids: true,
            ..Knobs::default()
        })
    }

    /// The item's representation and headers (200).
    pub(super) fn item_reply(&self, entry: &Entry) -> Reply {
        let bytes = body_bytes(entry);
        let mut reply = Reply::typed(200, "application/json", bytes.clone())
            .with_header("Last-Modified", http_date(entry.modified));
        if let Some(tag) = self.knobs.etag.tag(&bytes, entry.modified) {
            reply = reply.with_header("ETag", tag);
        }
        reply
    }

    /// The current ETag, for preconditions.
    fn tag_of(&self, entry: Option<&Entry>) -> Option<String> {
        entry.and_then(|e| self.knobs.etag.tag(&body_bytes(e), e.modified))
    }

    /// The stand-in entry of an id nobody created (with `answer_unknown_ids`).
    fn phantom(&self, id: &str) -> Entry {
        Entry {
            body: Body::Json(json!({ "id": id })),
            seq: 0,
            created: SystemTime::UNIX_EPOCH,
            modified: SystemTime::UNIX_EPOCH,
            writes: 0,
            tombstone: false,
            meta: Value::Null,
        }
    }

    fn current(&self, store: &Store, coll: &str, id: &str) -> Option<Entry> {
        store
            .get(coll, id)
            .cloned()
            .or_else(|| self.knobs.answer_unknown_ids.then(|| self.phantom(id)))
    }

    /// The stored spelling of `id`: itself, unless ids ignore case and an item exists under
    /// another spelling.
    fn spelling(&self, store: &Store, coll: &str, id: &str) -> String {
        let stored = self.knobs.ids_ignore_case.then(|| {
            store
                .list(coll)
                .into_iter()
                .map(|(known, _)| known)
                .find(|known| known.eq_ignore_ascii_case(id))
                .cloned()
        });
        stored.flatten().unwrap_or_else(|| id.to_string())
    }

    fn preconditions(&self, req: &Req, current: Option<&Entry>) -> Outcome {
        if !self.knobs.preconditions {
            return Outcome::Proceed;
        }
        evaluate(req, current.is_some(), self.tag_of(current).as_deref())
    }

    pub(super) fn collection(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        match req.method {
            Method::GET | Method::HEAD => self.listing(store, req, coll),
            Method::POST => self.create(store, req, coll),
            Method::OPTIONS => Reply::empty(204).with_header("Allow", COLLECTION_ALLOW),
            _ => not_allowed(COLLECTION_ALLOW),
        }
    }

    fn listing(&self, store: &Store, req: &Req, coll: &str) -> Reply {
        let items: Vec<Value> = store
            .list(coll)
            .into_iter()
            .filter_map(|(_, e)| e.body.json().cloned())
            .collect();
        match self.knobs.listing {
            Listing::Wrapped => Reply::json(200, &json!({ "items": items, "total": items.len() })),
            Listing::Array => Reply::json(200, &Value::Array(items)),
            Listing::Html => Reply::typed(
                200,
                "text/html; charset=utf-8",
                html_index(req, coll, store),
            ),
            Listing::NotFound => Reply::json(404, &json!({ "error": "not found" })),
            Listing::MethodNotAllowed => not_allowed("POST, OPTIONS"),
        }
    }

    pub(super) fn create(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        let Some(client) = client_object(req) else {
            return bad_body();
        };
        let id = store.mint(coll, &self.knobs.ids);
        let now = store.now();
        let doc = self.document(&id, client, None, now);
        store.put_at(coll, &id, Body::Json(doc), now);
        let entry = store
            .get(coll, &id)
            .cloned()
            .unwrap_or_else(|| self.phantom(&id));
        let mut reply = self.item_reply(&entry);
        reply.status = 201;
        self.with_location(reply, coll, &id)
    }

    fn with_location(&self, reply: Reply, coll: &str, id: &str) -> Reply {
        match &self.knobs.location {
            LocationStyle::Created => reply.with_header("Location", item_path(coll, id)),
            LocationStyle::Fixed(location) => reply.with_header("Location", location.clone()),
            LocationStyle::Omitted => reply,
        }
    }

    /// The stored document: the client's members (or nothing, with `ignore_body`), the id, and
    /// the server-managed members.
    fn document(
        &self,
        id: &str,
        client: Map<String, Value>,
        previous: Option<&Entry>,
        now: SystemTime,
    ) -> Value {
        let mut doc = if self.knobs.ignore_body {
            Map::new()
        } else {
            client
        };
        doc.insert("id".into(), json_id(id, &self.knobs.ids));
        stamp(self.knobs.meta, &mut doc, previous, now);
        Value::Object(doc)
    }

    pub(super) fn item(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        let current = self.current(store, coll, id);
        let outcome = self.preconditions(req, current.as_ref());
        if outcome == Outcome::Failed && req.method != Method::OPTIONS {
            return Reply::json(412, &json!({ "error": "precondition failed" }));
        }
        match req.method {
            Method::GET | Method::HEAD => match current {
                None => not_found(),
                Some(entry) if outcome == Outcome::NotModified => {
                    let mut reply = self.item_reply(&entry);
                    reply.status = 304;
                    reply.body.clear();
                    reply.headers.retain(|(k, _)| k != "Content-Type");
                    reply
                }
                Some(entry) => self.item_reply(&entry),
            },
            Method::PUT => self.replace(store, req, coll, id),
            Method::DELETE => self.delete(store, coll, id),
            Method::OPTIONS => Reply::empty(204).with_header("Allow", ITEM_ALLOW),
            _ => not_allowed(ITEM_ALLOW),
        }
    }

    fn replace(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        let Some(client) = client_object(req) else {
            return bad_body();
        };
        let previous = store.get(coll, id).cloned();
        let now = store.now();
        let doc = self.document(id, client, previous.as_ref(), now);
        let written = store.put_at(coll, id, Body::Json(doc), now);
        let entry = store
            .get(coll, id)
            .cloned()
            .unwrap_or_else(|| self.phantom(id));
        let mut reply = self.item_reply(&entry);
        if written.created && !self.knobs.answer_unknown_ids {
            reply.status = 201;
            reply = reply.with_header("Location", item_path(coll, id));
        }
        reply
    }

    fn delete(&self, store: &mut Store, coll: &str, id: &str) -> Reply {
        if store.get(coll, id).is_none() {
            return not_found();
        }
        let doomed: Vec<String> = store
            .list(coll)
            .into_iter()
            .map(|(other, _)| other.clone())
            .filter(|other| self.knobs.delete.hits(id, other))
            .collect();
        for other in doomed {
            store.remove(coll, &other);
        }
        Reply::empty(204)
    }
}

impl Behaviour for Generic {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        match req.parts().as_slice() {
            [coll] => self.collection(store, req, coll),
            [coll, id] => {
                let id = self.spelling(store, coll, id);
                self.item(store, req, coll, &id)
            }
            _ => not_found(),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let now = store.now();
        let doc = self.document(id, seed::members(n), None, now);
        store.put_at(collection, id, Body::Json(doc), now);
    }

    fn path_mode(&self) -> PathMode {
        self.knobs.path_mode
    }
}

/// Adds the server-managed members `meta` asks for.
fn stamp(meta: WriteMeta, doc: &mut Map<String, Value>, previous: Option<&Entry>, now: SystemTime) {
    let before = previous.and_then(|e| e.body.json());
    let created = previous.map_or(now, |e| e.created);
    if meta.created_at {
        doc.insert("createdAt".into(), json!(rfc3339_millis(created)));
    }
    if meta.updated_at {
        doc.insert("updatedAt".into(), json!(rfc3339_millis(now)));
    }
    if meta.epoch {
        doc.insert("updated".into(), json!(epoch_millis(now)));
    }
    if meta.revision {
        let last = before.and_then(|b| b["revision"].as_u64()).unwrap_or(0);
        doc.insert("revision".into(), json!(last + 1));
    }
    if meta.history {
        let mut history = before
            .and_then(|b| b["history"].as_array().cloned())
            .unwrap_or_default();
        let op = if previous.is_some() {
            "replace"
        } else {
            "create"
        };
        history.push(json!({ "op": op, "at": rfc3339_millis(now) }));
        doc.insert("history".into(), Value::Array(history));
    }
}

/// The id as JSON: a number under the numeric policies, a string otherwise.
fn json_id(id: &str, ids: &IdPolicy) -> Value {
    match (ids, id.parse::<u64>()) {
        (IdPolicy::Sequence | IdPolicy::MaxPlusOne, Ok(n)) => json!(n),
        _ => json!(id),
    }
}

/// The request body when it is a JSON object.
pub(crate) fn client_object(req: &Req) -> Option<Map<String, Value>> {
    match req.json() {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

fn body_bytes(entry: &Entry) -> Vec<u8> {
    match &entry.body {
        Body::Json(value) => value.to_string().into_bytes(),
        Body::Bytes { bytes, .. } => bytes.clone(),
    }
}

/// `/{collection}/{id}` with the id encoded as one segment (a nested collection keeps its
/// slashes: `customers/c1/orders`).
pub(crate) fn item_path(coll: &str, id: &str) -> String {
    let coll: Vec<String> = coll.split('/').map(encode_segment).collect();
    format!("/{}/{}", coll.join("/"), encode_segment(id))
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
pub(crate) fn encode_segment(segment: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(segment, RESERVED).to_string()
}

fn html_index(req: &Req, coll: &str, store: &Store) -> String {
    let links: String = store
        .list(coll)
        .into_iter()
        .map(|(id, _)| format!("<li><a href=\"{}\">{id}</a></li>\n", item_path(coll, id)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><title>{coll}</title></head>\n<body><h1>Index of {}</h1>\n<ul>\n{links}</ul></body></html>\n",
        req.path
    )
}

fn not_found() -> Reply {
    Reply::json(404, &json!({ "error": "not found" }))
}

fn bad_body() -> Reply {
    Reply::json(400, &json!({ "error": "the body must be a JSON object" }))
}

fn not_allowed(allow: &str) -> Reply {
    Reply::json(405, &json!({ "error": "method not allowed" })).with_header("Allow", allow)
}
