//! FastAPI with pydantic v2 models: the CRUD app of FastAPI's tutorial, served by uvicorn.
//!
//! Wire behaviour reproduced: `/items` (GET: a JSON array; POST: 201 with the model, integer
//! ids from a counter) and `/items/{item_id}` with an `int` path parameter (GET, PUT, DELETE).
//! A PUT replaces the item with the validated model, so omitted optional members come back as
//! their defaults (`null`, `[]`, `""`). A missing item is 404 `{"detail": "Item not found"}`;
//! DELETE answers 204 with no content; a PUT to a missing id is 404 (no upsert). Validation
//! errors are 422 `{"detail": [{"type", "loc", "msg", "input"}]}`, also for a path id that is
//! not an integer (`["path", "item_id"]`). An unknown path is 404 `{"detail": "Not Found"}`; a
//! trailing slash is redirected (307) to the path without it (`redirect_slashes`). A method the
//! path lacks answers 405 `{"detail": "Method Not Allowed"}` with `Allow`.
//!
//! The correct variant answers HEAD like GET and lists every method that works in `Allow`.
//! Real FastAPI does neither: each route has its own methods and the 405 comes from the first
//! route of the path, so it says `Allow: GET` while PUT and DELETE work, and HEAD is 405 too;
//! that is [`FastApiBug::ShortAllow`]. The correct variant also refuses a write whose
//! `If-None-Match: *` fails (the item exists) with 412 (RFC 9110 §13.1.2); real FastAPI
//! ignores the field unless the app checks it.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::conditional::star_fails;
use super::exchange::{Reply, Req};
use super::schema::{Kind, Problem, Schema};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, IdPolicy, Store};

/// A FastAPI CRUD app.
#[derive(Debug, Clone)]
pub(crate) struct FastApi {
    pub bugs: Vec<FastApiBug>,
    /// The collections it serves (default `items`).
    pub collections: Vec<String>,
    pub schema: Schema,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FastApiBug {
    /// 405 says `Allow: GET` while PUT and DELETE work; HEAD is 405 (real FastAPI routing).
    ShortAllow,
}

impl Default for FastApi {
    fn default() -> FastApi {
        FastApi {
            bugs: Vec::new(),
            collections: vec!["items".to_string()],
            schema: Schema::things(),
        }
    }
}

impl FastApi {
    pub(crate) fn correct() -> FastApi {
        FastApi::default()
    }

    pub(crate) fn with_bug(bug: FastApiBug) -> FastApi {
        FastApi {
            bugs: vec![bug],
            ..FastApi::default()
        }
    }

    fn short_allow(&self) -> bool {
        self.bugs.contains(&FastApiBug::ShortAllow)
    }

    fn item_allow(&self) -> &'static str {
        if self.short_allow() {
            "GET"
        } else {
            "GET, HEAD, PUT, DELETE"
        }
    }

    fn collection(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        match req.method {
            Method::GET => list(store, coll),
            Method::HEAD if !self.short_allow() => list(store, coll),
            Method::POST => self.create(store, req, coll),
            _ => not_allowed(if self.short_allow() {
                "GET"
            } else {
                "GET, HEAD, POST"
            }),
        }
    }

    fn create(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        let given = match self.validated(req) {
            Ok(given) => given,
            Err(reply) => return reply,
        };
        let id = store.mint(coll, &IdPolicy::Sequence);
        let doc = representation(&id, self.schema.filled(&given));
        store.put(coll, &id, Body::Json(doc.clone()));
        uvicorn(Reply::json(201, &doc))
    }

    fn validated(&self, req: &Req) -> Result<Map<String, Value>, Reply> {
        let body = match req.json() {
            Ok(body) => body,
            Err(_) => {
                let error = json!({
                    "type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error",
                    "input": {}, "ctx": { "error": "Expecting value" }
                });
                return Err(unprocessable(vec![error]));
            }
        };
        self.schema
            .validate(&body, false)
            .map_err(|problems| unprocessable(problems.iter().map(|p| error(p, &body)).collect()))
    }

    fn item(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        let read = req.method == Method::GET || (req.method == Method::HEAD && !self.short_allow());
        if !read && req.method != Method::PUT && req.method != Method::DELETE {
            return not_allowed(self.item_allow());
        }
        if id.parse::<i64>().is_err() {
            let error = json!({
                "type": "int_parsing", "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": id
            });
            return unprocessable(vec![error]);
        }
        let Some(entry) = store.get(coll, id).cloned() else {
            return uvicorn(Reply::json(404, &json!({ "detail": "Item not found" })));
        };
        if !read && star_fails(req, true) {
            return uvicorn(Reply::json(
                412,
                &json!({ "detail": "Precondition Failed" }),
            ));
        }
        match req.method {
            Method::PUT => {
                let given = match self.validated(req) {
                    Ok(given) => given,
                    Err(reply) => return reply,
                };
                let doc = representation(id, self.schema.filled(&given));
                store.put(coll, id, Body::Json(doc.clone()));
                uvicorn(Reply::json(200, &doc))
            }
            Method::DELETE => {
                store.remove(coll, id);
                uvicorn(Reply::empty(204))
            }
            _ => uvicorn(Reply::json(200, entry.body.json().unwrap_or(&Value::Null))),
        }
    }
}

impl Behaviour for FastApi {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        let served = |c: &str| self.collections.iter().any(|s| s == c);
        match parts.as_slice() {
            [coll] | [coll, _] if served(coll) && req.trailing_slash => redirect_slash(req),
            [coll] if served(coll) => self.collection(store, req, coll),
            [coll, id] if served(coll) => self.item(store, req, coll, id),
            _ => uvicorn(Reply::json(404, &json!({ "detail": "Not Found" }))),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let doc = representation(id, self.schema.filled(&seed::members(n)));
        store.put(collection, id, Body::Json(doc));
    }

    fn seed_id(&self, n: usize) -> String {
        n.to_string()
    }
}

fn list(store: &Store, coll: &str) -> Reply {
    let items: Vec<Value> = store
        .list(coll)
        .into_iter()
        .filter_map(|(_, e)| e.body.json().cloned())
        .collect();
    uvicorn(Reply::json(200, &Value::Array(items)))
}

fn representation(id: &str, members: Map<String, Value>) -> Value {
    let mut doc = members;
    doc.insert("id".into(), json!(id.parse::<i64>().unwrap_or(0)));
    Value::Object(doc)
}

fn uvicorn(reply: Reply) -> Reply {
    reply.with_header("server", "uvicorn")
}

fn not_allowed(allow: &str) -> Reply {
    uvicorn(Reply::json(405, &json!({ "detail": "Method Not Allowed" })))
        .with_header("allow", allow)
}

fn unprocessable(errors: Vec<Value>) -> Reply {
    uvicorn(Reply::json(422, &json!({ "detail": errors })))
}

/// 307 to the absolute URL without the trailing slash.
fn redirect_slash(req: &Req) -> Reply {
    let mut location = format!("{}{}", req.origin, req.path.trim_end_matches('/'));
    if !req.raw_query.is_empty() {
        location = format!("{location}?{}", req.raw_query);
    }
    uvicorn(Reply::empty(307)).with_header("location", location)
}

/// One pydantic v2 error.
fn error(problem: &Problem, body: &Value) -> Value {
    match problem {
        Problem::NotObject => json!({
            "type": "model_attributes_type", "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": body
        }),
        Problem::Missing(field) => json!({
            "type": "missing", "loc": ["body", field], "msg": "Field required", "input": body
        }),
        Problem::Null(field) => json!({
            "type": "string_type", "loc": ["body", field],
            "msg": "Input should be a valid string", "input": null
        }),
        Problem::Unknown(field) => json!({
            "type": "extra_forbidden", "loc": ["body", field],
            "msg": "Extra inputs are not permitted", "input": body[field.as_str()]
        }),
        Problem::WrongType { field, kind, input } => {
            let (kind, msg) = match kind {
                Kind::Str => ("string_type", "Input should be a valid string"),
                Kind::Int => ("int_type", "Input should be a valid integer"),
                Kind::Float => ("float_type", "Input should be a valid number"),
                Kind::Bool => ("bool_type", "Input should be a valid boolean"),
                Kind::List => ("list_type", "Input should be a valid list"),
                Kind::Object => ("dict_type", "Input should be a valid dictionary"),
            };
            json!({ "type": kind, "loc": ["body", field], "msg": msg, "input": input })
        }
    }
}
