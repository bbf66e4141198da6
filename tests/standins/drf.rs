//! Django REST Framework: a `ModelViewSet` behind Django's `CommonMiddleware`, as
//! `DefaultRouter` routes it.
//!
//! Wire behaviour reproduced: URLs end with `/` (`/items/`, `/items/{id}/`); without it Django's
//! `APPEND_SLASH` answers 301 to the slash URL (every method, `DEBUG = False`), and an unknown
//! path answers Django's HTML 404 page. Ids are integers from a database sequence (never
//! reused). The list is `PageNumberPagination`: `{"count", "next", "previous", "results"}` with
//! absolute `next`/`previous` URLs (`?page=N`; page 1's link drops the parameter) and
//! `{"detail": "Invalid page."}` 404 past the end. POST answers 201 with the serializer's data
//! and no `Location` (DRF sets one only for a `url` field). PUT is a full update: the
//! serializer's fields declared with `default=` store their default when omitted (`null`, `[]`,
//! `""`). PATCH is a partial update. DELETE answers 204, then 404
//! `{"detail": "No Item matches the given query."}` (an id that is not an integer: 404
//! `{"detail": "Not found."}`). A PUT to a missing id is 404 (no upsert).
//! Validation errors are 400 `{"field": ["This field is required."]}`. Methods a view lacks
//! answer 405 `{"detail": "Method \"POST\" not allowed."}`. Every view response carries
//! `Allow` (the view's methods), `Vary: Accept, Cookie` and Django's security headers; OPTIONS
//! answers 200 with the view's metadata (`SimpleMetadata`, its `actions` included). No ETag
//! (DRF sends none by default), and `If-Match` is ignored. Real DRF ignores `If-None-Match`
//! too; the correct variant refuses a write whose `If-None-Match: *` fails (the item exists)
//! with 412, as RFC 9110 §13.1.2 requires of any origin server (idemfuzz tests that without
//! ETags).
//!
//! Which serializer: the correct variant is a `ModelSerializer` whose optional fields declare
//! `default=` (so a PUT replaces). A *stock* `ModelSerializer` does not copy the model's
//! defaults: omitted optional fields are left out of `validated_data` and `update()` keeps
//! their old values, so a PUT merges — that is [`DrfBug::PutMerges`]. Both were checked against
//! Django 5.2 + DRF 3.18 (`/work/notes/realservers.md`).

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::conditional::star_fails;
use super::exchange::{Reply, Req};
use super::schema::{Kind, Problem, Schema, model_title};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, IdPolicy, Store};

const LIST_ALLOW: &str = "GET, POST, HEAD, OPTIONS";
const DETAIL_ALLOW: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";

/// A DRF viewset API.
#[derive(Debug, Clone)]
pub(crate) struct Drf {
    pub bugs: Vec<DrfBug>,
    /// `PAGE_SIZE` of `PageNumberPagination`.
    pub page_size: usize,
    /// The router's registered collections (default `items`).
    pub collections: Vec<String>,
    pub schema: Schema,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DrfBug {
    /// PUT keeps omitted members: what a stock `ModelSerializer` does (its optional fields get
    /// no `default=`, and `update()` only sets the members in `validated_data`). The default
    /// of a DRF app written from the tutorial.
    PutMerges,
    /// A repeated DELETE answers 500 (a soft-delete that then trips over the deleted row).
    RepeatDelete500,
}

impl Default for Drf {
    fn default() -> Drf {
        Drf {
            bugs: Vec::new(),
            page_size: 20,
            collections: vec!["items".to_string()],
            schema: Schema::things(),
        }
    }
}

impl Drf {
    pub(crate) fn correct() -> Drf {
        Drf::default()
    }

    pub(crate) fn with_bug(bug: DrfBug) -> Drf {
        Drf {
            bugs: vec![bug],
            ..Drf::default()
        }
    }

    /// The same API with another page size.
    pub(crate) fn page_size(mut self, size: usize) -> Drf {
        self.page_size = size.max(1);
        self
    }

    fn has(&self, bug: DrfBug) -> bool {
        self.bugs.contains(&bug)
    }

    fn list(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        match req.method {
            Method::GET | Method::HEAD => self.page(store, req, coll),
            Method::POST => self.create(store, req, coll),
            Method::OPTIONS => view(200, &self.metadata(coll, "List", "POST"), LIST_ALLOW),
            _ => not_allowed(&req.method, LIST_ALLOW),
        }
    }

    fn page(&self, store: &Store, req: &Req, coll: &str) -> Reply {
        let all = store.list(coll);
        let count = all.len();
        let pages = count.div_ceil(self.page_size).max(1);
        let page = match req.query("page").map(str::parse::<usize>) {
            None => 1,
            Some(Ok(n)) if (1..=pages).contains(&n) => n,
            Some(_) => return view(404, &json!({ "detail": "Invalid page." }), LIST_ALLOW),
        };
        let results: Vec<Value> = all
            .iter()
            .skip((page - 1) * self.page_size)
            .take(self.page_size)
            .filter_map(|(_, e)| e.body.json().cloned())
            .collect();
        let next = (page < pages).then(|| page_url(req, Some(page + 1)));
        let previous = (page > 1).then(|| page_url(req, (page > 2).then_some(page - 1)));
        let body =
            json!({ "count": count, "next": next, "previous": previous, "results": results });
        view(200, &body, LIST_ALLOW)
    }

    fn create(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        let given = match self.validated(req, false) {
            Ok(given) => given,
            Err(reply) => return with_allow(reply, LIST_ALLOW),
        };
        let id = store.mint(coll, &IdPolicy::Sequence);
        let doc = self.representation(&id, self.schema.filled(&given));
        store.put(coll, &id, Body::Json(doc.clone()));
        view(201, &doc, LIST_ALLOW)
    }

    /// The request's members validated by the serializer, or the 400 answer.
    fn validated(&self, req: &Req, partial: bool) -> Result<Map<String, Value>, Reply> {
        let body = match req.json() {
            Ok(body) => body,
            Err(err) => {
                let detail = format!("JSON parse error - {}", python_json_error(&err));
                return Err(view(400, &json!({ "detail": detail }), ""));
            }
        };
        self.schema
            .validate(&body, partial)
            .map_err(|problems| view(400, &errors(&problems, &body), ""))
    }

    fn representation(&self, id: &str, members: Map<String, Value>) -> Value {
        let mut doc = members;
        doc.insert("id".into(), json!(id.parse::<u64>().unwrap_or(0)));
        Value::Object(doc)
    }

    fn detail(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        let numeric = id.parse::<u64>().is_ok();
        let current = numeric.then(|| store.get(coll, id).cloned()).flatten();
        match req.method {
            Method::OPTIONS => {
                return view(200, &self.metadata(coll, "Instance", "PUT"), DETAIL_ALLOW);
            }
            Method::GET | Method::HEAD | Method::PUT | Method::PATCH | Method::DELETE => {}
            _ => return not_allowed(&req.method, DETAIL_ALLOW),
        }
        let Some(entry) = current else {
            let tombstone = store.raw(coll, id).is_some_and(|e| e.tombstone);
            if req.method == Method::DELETE && tombstone && self.has(DrfBug::RepeatDelete500) {
                return server_error();
            }
            let detail = if numeric {
                format!("No {} matches the given query.", model_title(coll))
            } else {
                // `filter(pk="abc")` raises ValueError; DRF's `get_object_or_404` turns it into
                // a bare Http404.
                "Not found.".to_string()
            };
            return view(404, &json!({ "detail": detail }), DETAIL_ALLOW);
        };
        let old = entry
            .body
            .json()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if !req.is_read() && star_fails(req, true) {
            return view(
                412,
                &json!({ "detail": "Precondition failed." }),
                DETAIL_ALLOW,
            );
        }
        match req.method {
            Method::GET | Method::HEAD => view(200, &Value::Object(old), DETAIL_ALLOW),
            Method::PUT | Method::PATCH => {
                let partial = req.method == Method::PATCH;
                let given = match self.validated(req, partial) {
                    Ok(given) => given,
                    Err(reply) => return with_allow(reply, DETAIL_ALLOW),
                };
                let members = if partial || self.has(DrfBug::PutMerges) {
                    let mut merged = old;
                    merged.extend(given);
                    merged
                } else {
                    self.schema.filled(&given)
                };
                let doc = self.representation(id, members);
                store.put(coll, id, Body::Json(doc.clone()));
                view(200, &doc, DETAIL_ALLOW)
            }
            _ => {
                store.remove(coll, id);
                if self.has(DrfBug::RepeatDelete500) {
                    // A soft delete: the row stays, flagged.
                    let mut tombstone = entry.clone();
                    tombstone.tombstone = true;
                    store
                        .collection(coll)
                        .entries
                        .insert(id.to_string(), tombstone);
                }
                with_allow(Reply::empty(204), DETAIL_ALLOW).with_header("Vary", "Accept, Cookie")
            }
        }
    }
}

impl Behaviour for Drf {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        let registered = |c: &str| self.collections.iter().any(|r| r == c);
        match parts.as_slice() {
            [coll] | [coll, _] if registered(coll) && !req.trailing_slash => append_slash(req),
            [coll] if registered(coll) => self.list(store, req, coll),
            [coll, id] if registered(coll) => self.detail(store, req, coll, id),
            _ => django_404(),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let doc = self.representation(id, self.schema.filled(&seed::members(n)));
        store.put(collection, id, Body::Json(doc));
    }

    fn seed_id(&self, n: usize) -> String {
        n.to_string()
    }
}

/// A response of a DRF view: JSON, its `Allow`, and the headers Django adds.
fn view(status: u16, body: &Value, allow: &str) -> Reply {
    let reply = Reply::json(status, body)
        .with_header("Vary", "Accept, Cookie")
        .with_header("X-Frame-Options", "DENY")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Referrer-Policy", "same-origin")
        .with_header("Cross-Origin-Opener-Policy", "same-origin");
    with_allow(reply, allow)
}

fn with_allow(reply: Reply, allow: &str) -> Reply {
    if allow.is_empty() {
        reply
    } else {
        reply.with_header("Allow", allow)
    }
}

fn not_allowed(method: &Method, allow: &str) -> Reply {
    let detail = format!("Method \"{method}\" not allowed.");
    view(405, &json!({ "detail": detail }), allow)
}

/// `APPEND_SLASH`: 301 to the same path with `/` appended, query kept.
fn append_slash(req: &Req) -> Reply {
    let mut location = format!("{}/", req.path);
    if !req.raw_query.is_empty() {
        location = format!("{location}?{}", req.raw_query);
    }
    Reply::typed(301, "text/html; charset=utf-8", Vec::new())
        .with_header("Location", location)
        .with_header("X-Content-Type-Options", "nosniff")
}

fn django_404() -> Reply {
    Reply::typed(
        404,
        "text/html; charset=utf-8",
        "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n",
    )
}

fn server_error() -> Reply {
    Reply::typed(
        500,
        "text/html; charset=utf-8",
        "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n",
    )
}

/// The absolute URL of the same list with `page` set (or removed for page 1).
fn page_url(req: &Req, page: Option<usize>) -> String {
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    if let Some(page) = page {
        query.push(("page".into(), page.to_string()));
    }
    let mut url = format!("{}{}", req.origin, req.path);
    if !query.is_empty() {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        url = format!("{url}?{encoded}");
    }
    url
}

impl Drf {
    /// The body of an OPTIONS answer (`SimpleMetadata`): the view, and the serializer's fields
    /// under the write method the view allows (`POST` on the list, `PUT` on an instance).
    fn metadata(&self, coll: &str, kind: &str, write: &str) -> Value {
        let mut fields = Map::new();
        fields.insert(
            "id".into(),
            json!({ "type": "integer", "required": false, "read_only": true, "label": "ID" }),
        );
        for field in &self.schema.fields {
            let label = capitalized(&field.name);
            fields.insert(
                field.name.clone(),
                json!({
                    "type": field_type(field.kind),
                    "required": field.required,
                    "read_only": false,
                    "label": label
                }),
            );
        }
        json!({
            "name": format!("{} {kind}", model_title(coll)),
            "description": "",
            "renders": ["application/json", "text/html"],
            "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
            "actions": { write: fields }
        })
    }
}

/// Django's `verbose_name` of a model field, capitalised as DRF labels it: `name` → `Name`.
fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `SimpleMetadata`'s name of a serializer field's type.
fn field_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "string",
        Kind::Int => "integer",
        Kind::Float => "float",
        Kind::Bool => "boolean",
        Kind::List => "list",
        Kind::Object => "nested object",
    }
}

/// DRF's validation error body: `{"member": ["message"]}`.
fn errors(problems: &[Problem], body: &Value) -> Value {
    let mut out = Map::new();
    for problem in problems {
        let (field, message) = match problem {
            Problem::NotObject => {
                let got = python_type(body);
                let message = format!("Invalid data. Expected a dictionary, but got {got}.");
                ("non_field_errors".to_string(), message)
            }
            Problem::Missing(f) => (f.clone(), "This field is required.".into()),
            Problem::Null(f) => (f.clone(), "This field may not be null.".into()),
            Problem::Unknown(f) => (f.clone(), "Unknown field.".into()),
            Problem::WrongType { field, kind, input } => {
                (field.clone(), type_message(*kind, input))
            }
        };
        out.insert(field, json!([message]));
    }
    Value::Object(out)
}

fn type_message(kind: Kind, input: &Value) -> String {
    let got = python_type(input);
    match kind {
        Kind::Str => "Not a valid string.".into(),
        Kind::Int => "A valid integer is required.".into(),
        Kind::Float => "A valid number is required.".into(),
        Kind::Bool => "Must be a valid boolean.".into(),
        Kind::List => format!("Expected a list of items but got type \"{got}\"."),
        Kind::Object => format!("Expected a dictionary of items but got type \"{got}\"."),
    }
}

fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's `json` error text for what serde rejected (the common case: not JSON at all).
fn python_json_error(err: &serde_json::Error) -> String {
    format!(
        "Expecting value: line {} column {} (char {})",
        err.line(),
        err.column(),
        err.column().saturating_sub(1)
    )
}
