//! json-server 0.17 (Express + lowdb) over a `db.json` with one array per collection.
//!
//! Wire behaviour reproduced: `GET /items` is the array in insertion order, filtered by any
//! `member=value` parameter (`?id=3`) and sliced by `_page`/`_limit` (with `X-Total-Count` and a
//! `Link` header). POST answers 201 with the stored object and an absolute `Location`
//! (`http://host/items/3`); its id is the largest numeric id plus one, so **deleting the last
//! item hands its id to the next POST** (a client-sent free `id` is kept; a taken one is 500).
//! `GET /items/1` is the object or 404 `{}`; a trailing slash is ignored (`/items/1/`).
//! PUT replaces the whole object (keeping the id) and is 404 `{}` for a missing id; PATCH
//! merges. DELETE answers 200 `{}`, then 404 `{}`. A method the route lacks (POST to an item,
//! PUT or DELETE to the collection) and an unknown path answer the same 404 `{}`, with no
//! `Allow`; a body that is not JSON is Express's HTML 400. Bodies are pretty-printed; every
//! answer, 404s included, carries Express's weak ETag `W/"<len hex>-<sha1 base64>"` (304 on a
//! matching `If-None-Match` or `*`) and the CORS and no-cache headers json-server sets; `If-Match` is
//! ignored (a stale one still writes). OPTIONS is answered by the CORS middleware (204). Real
//! json-server ignores `If-None-Match: *` on a write; the correct variant refuses such a write
//! to an existing item with 412 (RFC 9110 §13.1.2).
//!
//! Checked against json-server 0.17.4. json-server 1.0 (beta) is another program: string ids
//! (4 hex digits), no `Location`, no ETag, 404 `Not Found` as text, and a HEAD that deletes the
//! item (1.0.0-beta.3); see `/work/notes/realservers.md`.

use axum::http::Method;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::conditional::{sha1, star_fails, weak_eq};
use super::exchange::{Reply, Req};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, IdPolicy, Store};

/// A json-server.
#[derive(Debug, Clone)]
pub(crate) struct JsonServer {
    /// The arrays of `db.json` (default `items`).
    pub collections: Vec<String>,
}

impl Default for JsonServer {
    fn default() -> JsonServer {
        JsonServer {
            collections: vec!["items".to_string()],
        }
    }
}

impl JsonServer {
    pub(crate) fn correct() -> JsonServer {
        JsonServer::default()
    }

    fn collection(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        match req.method {
            Method::GET | Method::HEAD => list(store, req, coll),
            Method::POST => create(store, req, coll),
            _ => express(req, 404, &json!({})),
        }
    }

    fn item(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        if !matches!(
            req.method,
            Method::GET | Method::HEAD | Method::PUT | Method::PATCH | Method::DELETE
        ) {
            return express(req, 404, &json!({}));
        }
        let Some(entry) = store.get(coll, id).cloned() else {
            return express(req, 404, &json!({}));
        };
        if !req.is_read() && star_fails(req, true) {
            return express(req, 412, &json!({}));
        }
        let old = entry.body.json().cloned().unwrap_or(Value::Null);
        let Ok(Value::Object(body)) = (match req.method {
            Method::PUT | Method::PATCH => req.json(),
            _ => Ok(json!({})),
        }) else {
            return cannot(req, 400, "SyntaxError: Unexpected token in JSON");
        };
        match req.method {
            Method::PUT | Method::PATCH => {
                let mut doc = if req.method == Method::PATCH {
                    old.as_object().cloned().unwrap_or_default()
                } else {
                    Map::new()
                };
                doc.extend(body);
                doc.insert("id".into(), old["id"].clone());
                store.put(coll, id, Body::Json(Value::Object(doc.clone())));
                express(req, 200, &Value::Object(doc))
            }
            Method::DELETE => {
                store.remove(coll, id);
                express(req, 200, &json!({}))
            }
            _ => express(req, 200, &old),
        }
    }
}

impl Behaviour for JsonServer {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        if req.method == Method::OPTIONS {
            return cors(Reply::empty(204)).with_header(
                "Access-Control-Allow-Methods",
                "GET,HEAD,PUT,PATCH,POST,DELETE",
            );
        }
        let parts = req.parts();
        let known = |c: &str| self.collections.iter().any(|s| s == c);
        match parts.as_slice() {
            [coll] if known(coll) => self.collection(store, req, coll),
            [coll, id] if known(coll) => self.item(store, req, coll, id),
            _ => express(req, 404, &json!({})),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let id_value = id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n));
        let mut doc = seed::members(n);
        doc.insert("id".into(), id_value);
        store.put(collection, id, Body::Json(Value::Object(doc)));
    }

    fn seed_id(&self, n: usize) -> String {
        n.to_string()
    }
}

fn create(store: &mut Store, req: &Req, coll: &str) -> Reply {
    let Ok(Value::Object(mut doc)) = req.json() else {
        return cannot(req, 400, "SyntaxError: Unexpected token in JSON");
    };
    let id = match doc.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => {
            let id = store.mint(coll, &IdPolicy::MaxPlusOne);
            doc.insert("id".into(), json!(id.parse::<u64>().unwrap_or(0)));
            id
        }
    };
    if store.get(coll, &id).is_some() {
        return express(req, 500, &json!({ "error": "Insert failed, duplicate id" }));
    }
    store.put(coll, &id, Body::Json(Value::Object(doc.clone())));
    let location = format!(
        "{}/{coll}/{}",
        req.origin,
        super::generic::encode_segment(&id)
    );
    express(req, 201, &Value::Object(doc)).with_header("Location", location)
}

fn list(store: &Store, req: &Req, coll: &str) -> Reply {
    let filters: Vec<&(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    let items: Vec<Value> = store
        .list_by_creation(coll)
        .into_iter()
        .filter_map(|(_, e)| e.body.json().cloned())
        .filter(|item| filters.iter().all(|(k, v)| text(&item[k.as_str()]) == *v))
        .collect();
    let total = items.len();
    let limit = req.query("_limit").and_then(|l| l.parse::<usize>().ok());
    let page = req.query("_page").and_then(|p| p.parse::<usize>().ok());
    let (items, link) = match (page, limit) {
        (Some(page), limit) => {
            let limit = limit.unwrap_or(10).max(1);
            let page = page.max(1);
            let slice = items
                .into_iter()
                .skip((page - 1) * limit)
                .take(limit)
                .collect();
            (slice, Some(links(req, page, total.div_ceil(limit).max(1))))
        }
        (None, Some(limit)) => (items.into_iter().take(limit).collect(), None),
        (None, None) => (items, None),
    };
    let mut reply = express(req, 200, &Value::Array(items));
    if page.is_some() || limit.is_some() {
        reply = reply
            .with_header("X-Total-Count", total.to_string())
            .with_header("Access-Control-Expose-Headers", "X-Total-Count, Link");
    }
    if let Some(link) = link {
        reply = reply.with_header("Link", link);
    }
    reply
}

/// json-server's `Link` header for `_page` (first, prev, next, last).
fn links(req: &Req, page: usize, last: usize) -> String {
    let url = |p: usize| {
        let query: Vec<(String, String)> = req
            .query
            .iter()
            .map(|(k, v)| {
                if k == "_page" {
                    (k.clone(), p.to_string())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect();
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!("<{}{}?{encoded}>", req.origin, req.path)
    };
    let mut parts = vec![format!("{}; rel=\"first\"", url(1))];
    if page > 1 {
        parts.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    if page < last {
        parts.push(format!("{}; rel=\"next\"", url(page + 1)));
    }
    parts.push(format!("{}; rel=\"last\"", url(last)));
    parts.join(", ")
}

/// A member as json-server compares it with a query value (`String(value)`).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Express's `res.send` of pretty JSON: weak ETag, 304 when fresh, json-server's headers.
fn express(req: &Req, status: u16, body: &Value) -> Reply {
    let bytes = serde_json::to_vec_pretty(body).unwrap_or_default();
    let digest = base64::engine::general_purpose::STANDARD.encode(sha1(&bytes));
    let etag = format!("W/\"{:x}-{}\"", bytes.len(), &digest[..27]);
    let fresh = req.is_read()
        && status == 200
        && req.header("if-none-match").is_some_and(|tags| {
            tags.trim() == "*" || tags.split(',').any(|t| weak_eq(t.trim(), &etag))
        });
    let reply = if fresh {
        Reply::empty(304)
    } else {
        Reply::typed(status, "application/json; charset=utf-8", bytes)
    };
    cors(reply)
        .with_header("Cache-Control", "no-cache")
        .with_header("Pragma", "no-cache")
        .with_header("Expires", "-1")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("ETag", etag)
}

fn cors(reply: Reply) -> Reply {
    reply
        .with_header("X-Powered-By", "Express")
        .with_header("Vary", "Origin, Accept-Encoding")
        .with_header("Access-Control-Allow-Credentials", "true")
}

/// Express's final error handler: an HTML page with the error's text.
fn cannot(req: &Req, status: u16, error: &str) -> Reply {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>{error}<br> &nbsp; &nbsp;at {} {}</pre>\n</body>\n</html>\n",
        req.method, req.path
    );
    cors(Reply::typed(status, "text/html; charset=utf-8", page))
        .with_header("Content-Security-Policy", "default-src 'none'")
}
