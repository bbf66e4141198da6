//! json-server 1.0 (beta; tinyhttp + lowdb) over a `db.json` with one array per collection: a
//! different program from json-server 0.17 ([`super::JsonServer`]).
//!
//! Wire behaviour reproduced (checked against 1.0.0-beta.3): `GET /items` is the array;
//! `_page` with `_per_page` (default 10) answers `{"first", "prev", "next", "last", "pages",
//! "items", "data"}`. POST answers 201 with the stored object, its `id` first: a string of 4 hex
//! digits (never reused), no `Location`, no ETag. `GET /items/ab12` is the object; PUT replaces
//! it (keeping the id), PATCH merges, DELETE answers 200 with the deleted object. Anything else
//! — a missing id (PUT included: no upsert), a trailing `/`, a method the route lacks, an
//! unknown path — is 404 `Not Found` as `text/plain` with a weak ETag. JSON is pretty-printed
//! as `application/json` without a charset. OPTIONS answers 204 (CORS). HEAD answers 200 and no
//! `Content-Length` (served by the raw transport, which can leave it out). No conditional requests at all. A body that is not JSON (whatever its
//! `Content-Type`, before routing) is 500 with V8's message as text and no `Content-Type`.
//!
//! [`JsonServerV1::beta3`] adds the bug of 1.0.0-beta.3: **a HEAD of an item deletes it**
//! (tinyhttp runs the DELETE route's handler for HEAD), which RFC 9110 §9.2.1 forbids.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::exchange::{Reply, Req};
use super::seed;
use super::server::{Behaviour, Transport};
use super::store::{Body, IdPolicy, Store};

/// A json-server 1.0.
#[derive(Debug, Clone)]
pub(crate) struct JsonServerV1 {
    /// The arrays of `db.json` (default `items`).
    pub collections: Vec<String>,
    /// HEAD of an item deletes it (1.0.0-beta.3).
    pub head_deletes: bool,
}

impl Default for JsonServerV1 {
    fn default() -> JsonServerV1 {
        JsonServerV1 {
            collections: vec!["items".to_string()],
            head_deletes: false,
        }
    }
}

impl JsonServerV1 {
    /// json-server 1.0 without the HEAD bug.
    pub(crate) fn correct() -> JsonServerV1 {
        JsonServerV1::default()
    }

    /// json-server 1.0.0-beta.3 as released: HEAD deletes.
    pub(crate) fn beta3() -> JsonServerV1 {
        JsonServerV1 {
            head_deletes: true,
            ..JsonServerV1::default()
        }
    }

    fn collection(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        match req.method {
            Method::GET | Method::HEAD => list(store, req, coll),
            Method::POST => match req.json() {
                Ok(Value::Object(given)) => {
                    let n = store.mint(coll, &IdPolicy::Sequence);
                    let id = format!("{:04x}", n.parse::<u64>().unwrap_or(0) * 7919 % 65536);
                    let doc = with_id_first(&id, given);
                    store.put(coll, &id, Body::Json(doc.clone()));
                    pretty(201, &doc)
                }
                _ => not_found(),
            },
            _ => not_found(),
        }
    }

    fn item(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        let Some(old) = store.get(coll, id).and_then(|e| e.body.json()).cloned() else {
            return not_found();
        };
        match req.method {
            Method::GET => pretty(200, &old),
            Method::HEAD => {
                if self.head_deletes {
                    store.remove(coll, id);
                }
                let mut reply =
                    cors(Reply::empty(200).with_header("Content-Type", "application/json"));
                reply.no_length = true;
                reply
            }
            Method::PUT | Method::PATCH => {
                let Ok(Value::Object(given)) = req.json() else {
                    return not_found();
                };
                let doc = if req.method == Method::PATCH {
                    let mut merged = old.as_object().cloned().unwrap_or_default();
                    merged.extend(given);
                    Value::Object(merged)
                } else {
                    let mut replaced = given;
                    replaced.insert("id".into(), json!(id));
                    Value::Object(replaced)
                };
                store.put(coll, id, Body::Json(doc.clone()));
                pretty(200, &doc)
            }
            Method::DELETE => {
                store.remove(coll, id);
                pretty(200, &old)
            }
            _ => not_found(),
        }
    }
}

impl Behaviour for JsonServerV1 {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        if req.method == Method::OPTIONS {
            return Reply::empty(204)
                .with_header("Access-Control-Allow-Origin", "*")
                .with_header(
                    "Access-Control-Allow-Methods",
                    "GET, HEAD, PUT, PATCH, POST, DELETE",
                );
        }
        if !req.body.is_empty() && req.json().is_err() {
            // The body is parsed (as JSON, whatever its type) before routing; the error escapes.
            return unparsable(&req.body);
        }
        let known = |c: &str| self.collections.iter().any(|s| s == c);
        match req.parts().as_slice() {
            [coll] if known(coll) => self.collection(store, req, coll),
            [coll, id] if known(coll) && !req.trailing_slash => self.item(store, req, coll, id),
            _ => not_found(),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let doc = with_id_first(id, seed::members(n));
        store.put(collection, id, Body::Json(doc));
    }

    fn seed_id(&self, n: usize) -> String {
        format!("pr{n:02x}")
    }

    /// Raw, so that a HEAD answer can go without `Content-Length`, as tinyhttp's does.
    fn transport(&self) -> Transport {
        Transport::Raw
    }
}

fn list(store: &Store, req: &Req, coll: &str) -> Reply {
    let items: Vec<Value> = store
        .list_by_creation(coll)
        .into_iter()
        .filter_map(|(_, e)| e.body.json().cloned())
        .collect();
    let Some(page) = req.query("_page").and_then(|p| p.parse::<usize>().ok()) else {
        return pretty(200, &Value::Array(items));
    };
    let per_page = req
        .query("_per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(10)
        .max(1);
    let total = items.len();
    let pages = total.div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let body = json!({
        "first": 1,
        "prev": (page > 1).then(|| page - 1),
        "next": (page < pages).then(|| page + 1),
        "last": pages,
        "pages": pages,
        "items": total,
        "data": data
    });
    pretty(200, &body)
}

/// The object as json-server 1.0 stores a created one: `id` first (a string), then the rest.
fn with_id_first(id: &str, given: Map<String, Value>) -> Value {
    let mut doc = Map::new();
    doc.insert("id".into(), json!(id));
    doc.extend(given.into_iter().filter(|(k, _)| k != "id"));
    Value::Object(doc)
}

fn pretty(status: u16, body: &Value) -> Reply {
    let bytes = serde_json::to_vec_pretty(body).unwrap_or_default();
    cors(Reply::typed(status, "application/json", bytes))
}

/// The 500 of a body that is not JSON: V8's `SyntaxError` message as text, no `Content-Type`.
fn unparsable(body: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(body);
    let literal = match text.chars().next() {
        Some('n') => "null",
        Some('t') => "true",
        Some('f') => "false",
        _ => "",
    };
    // The first character that no JSON value can continue with.
    let token = text
        .chars()
        .zip(literal.chars().map(Some).chain(std::iter::repeat(None)))
        .find(|(c, expected)| Some(*c) != *expected)
        .map_or(' ', |(c, _)| c);
    let message = format!("Unexpected token '{token}', \"{text}\" is not valid JSON");
    cors(Reply::empty(500).with_body(message.into_bytes()))
}

/// The CORS headers json-server 1.0 sets on every answer.
fn cors(reply: Reply) -> Reply {
    reply
        .with_header("Access-Control-Allow-Origin", "*")
        .with_header(
            "Access-Control-Allow-Methods",
            "GET, HEAD, PUT, PATCH, POST, DELETE",
        )
        .with_header("Access-Control-Allow-Headers", "content-type")
        .with_header("X-Powered-By", "tinyhttp")
}

fn not_found() -> Reply {
    cors(Reply::typed(404, "text/plain; charset=utf-8", "Not Found"))
        .with_header("etag", "W/\"9-0gXL1ngzMqISxa6S1zx3F4wtLyg\"")
}
