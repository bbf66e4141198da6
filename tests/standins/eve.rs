//! Eve (Flask + MongoDB) with `IF_MATCH = True`, `ENFORCE_IF_MATCH = False` (ETags on,
//! preconditions optional) and `UPSERT_ON_PUT = True`.
//!
//! Wire behaviour reproduced: items at `/things/<ObjectId>` (24 hex digits; any other id is
//! Flask's 404; a trailing `/` is accepted, `/things/<ObjectId>/`). Documents carry `_id`, `_created`,
//! `_updated` (RFC 1123 dates, second resolution), `_etag` (SHA-1 of the document) and
//! `_links`; GET answers `ETag: "<_etag>"` and `Last-Modified`. The collection (also at
//! `/things/`) is `{"_items", "_links", "_meta": {"page", "max_results", "total"}}` (25 per
//! page or `?max_results=N`, `?page=N`, `next` and `last` links) with `X-Total-Count` and the
//! newest `_updated` of the page as `Last-Modified`. POST answers 201 with the write summary
//! `{"_id", "_updated", "_created", "_etag", "_links", "_status": "OK"}` and an absolute
//! `Location`. PUT replaces (200 with the summary, `ETag` and `Last-Modified`; 201 with
//! `Location` creating a missing valid id), PATCH merges (200, `ETag` only), DELETE answers 204 — also for a valid
//! id that names no document (Eve's `all_done()`), so a repeated DELETE is 204 too. `If-Match` is
//! compared with `_etag` (quotes optional, strong comparison, `*` holds for an existing
//! document): 412 `{"_status": "ERR", "_error": {"code": 412, "message": "Client and server
//! etags don't match"}}`. Unknown members are refused: 422 `{"_status": "ERR", "_issues": {...},
//! "_error": {...}}`. Only the members the client sent are stored (no schema defaults). A GET
//! with `If-None-Match: *` is answered 200 (Eve compares tags only). A method the route lacks is
//! 405 with `Allow`.
//!
//! Real Eve deviates from that in several ways, each a planted bug here and all of them
//! together in [`Eve::as_released`] (checked against Eve 2.3.1 over mongomock: MongoDB itself
//! is not installable here, so `modified_count` is mongomock's, which follows MongoDB's):
//! [`EveBug::RepeatPut412`] reproduces Eve's `modified_count == 0` check: an identical PUT
//! repeated within the second of the last write is answered 412, with or without a matching
//! `If-Match` (the document, `_updated` included, did not change, so MongoDB reports nothing
//! modified);
//! [`EveBug::IfNoneMatchIgnored`] (`If-None-Match` on writes is not evaluated);
//! [`EveBug::IfMatchStarRefused`] (`If-Match: *` is compared as a tag, so it fails: 412);
//! [`EveBug::WeakIfMatchAccepted`] (`W/` is stripped before comparing);
//! [`EveBug::UpsertLocationDoubled`] (the 201 of a PUT upsert says
//! `Location: http://host/things/things/<id>`); [`EveBug::NoAllowOn405`] (a 405 has no
//! `Allow`, and OPTIONS lists POST on an item, which is 405).

use std::time::SystemTime;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::clock::{http_date, to_second};
use super::conditional::{sha1_hex, strong_eq};
use super::exchange::{Reply, Req};
use super::schema::{Kind, Problem, Schema, model_title};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, IdPolicy, Store};

/// Items per page (`PAGINATION_DEFAULT`).
const PAGE: usize = 25;
const META: [&str; 5] = ["_id", "_created", "_updated", "_etag", "_links"];

/// An Eve API.
#[derive(Debug, Clone)]
pub(crate) struct Eve {
    pub bugs: Vec<EveBug>,
    /// The `DOMAIN` (default `things`).
    pub collections: Vec<String>,
    pub schema: Schema,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EveBug {
    /// 412 to an identical PUT repeated within one second, whether or not it carries the
    /// current ETag in `If-Match`.
    RepeatPut412,
    /// `If-None-Match` on writes is ignored: `If-None-Match: *` overwrites an existing
    /// document (real Eve evaluates only `If-Match`).
    IfNoneMatchIgnored,
    /// `If-Match: *` is compared with `_etag` as a tag, so it never holds (412).
    IfMatchStarRefused,
    /// A weak `If-Match` (`W/"<etag>"`) matches: Eve strips `W/` before comparing.
    WeakIfMatchAccepted,
    /// The 201 of an upserting PUT carries `Location: http://host/<coll>/<coll>/<id>`.
    UpsertLocationDoubled,
    /// A 405 carries no `Allow`, and OPTIONS on an item lists POST (Flask's route methods).
    NoAllowOn405,
}

/// Every deviation of real Eve 2.3.1.
const AS_RELEASED: [EveBug; 6] = [
    EveBug::RepeatPut412,
    EveBug::IfNoneMatchIgnored,
    EveBug::IfMatchStarRefused,
    EveBug::WeakIfMatchAccepted,
    EveBug::UpsertLocationDoubled,
    EveBug::NoAllowOn405,
];

impl Default for Eve {
    fn default() -> Eve {
        Eve {
            bugs: Vec::new(),
            collections: vec!["things".to_string()],
            schema: Schema {
                refuse_unknown: true,
                ..Schema::things()
            },
        }
    }
}

impl Eve {
    pub(crate) fn correct() -> Eve {
        Eve::default()
    }

    pub(crate) fn with_bug(bug: EveBug) -> Eve {
        Eve {
            bugs: vec![bug],
            ..Eve::default()
        }
    }

    /// Eve as released (2.3.1): every [`EveBug`].
    pub(crate) fn as_released() -> Eve {
        Eve {
            bugs: AS_RELEASED.to_vec(),
            ..Eve::default()
        }
    }

    fn has(&self, bug: EveBug) -> bool {
        self.bugs.contains(&bug)
    }

    /// A 405, with `Allow` unless [`EveBug::NoAllowOn405`].
    fn not_allowed(&self, allow: &str) -> Reply {
        let reply = error(405, "The method is not allowed for the requested URL.");
        if self.has(EveBug::NoAllowOn405) {
            reply
        } else {
            reply.with_header("Allow", allow)
        }
    }

    fn collection(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        match req.method {
            Method::GET | Method::HEAD => list(store, req, coll),
            Method::POST => self.create(store, req, coll),
            Method::OPTIONS => Reply::typed(200, "text/html; charset=utf-8", Vec::new())
                .with_header("Allow", "GET, HEAD, POST, OPTIONS"),
            _ => self.not_allowed("GET, HEAD, POST, OPTIONS"),
        }
    }

    fn create(&self, store: &mut Store, req: &Req, coll: &str) -> Reply {
        let fields = match self.validated(req, false) {
            Ok(fields) => fields,
            Err(reply) => return reply,
        };
        let id = store.mint(coll, &IdPolicy::ObjectId);
        let location = format!("{}/{coll}/{id}", req.origin);
        self.write(store, coll, &id, fields, None, 201)
            .with_header("Location", location)
    }

    fn validated(&self, req: &Req, partial: bool) -> Result<Map<String, Value>, Reply> {
        let Ok(body) = req.json() else {
            return Err(error(
                400,
                "The browser (or proxy) sent a request that this server could not understand.",
            ));
        };
        self.schema.validate(&body, partial).map_err(|problems| {
            let issues: Map<String, Value> = problems.iter().map(issue).collect();
            Reply::json(422, &json!({
                "_status": "ERR",
                "_issues": issues,
                "_error": { "code": 422, "message": "Insertion failure: 1 document(s) contain(s) error(s)" }
            }))
        })
    }

    /// Stores `fields` as the document `id` and answers the write summary with `status`.
    fn write(
        &self,
        store: &mut Store,
        coll: &str,
        id: &str,
        fields: Map<String, Value>,
        created: Option<SystemTime>,
        status: u16,
    ) -> Reply {
        let now = store.now();
        let updated = to_second(now);
        let created = created.unwrap_or(updated);
        let doc = document(coll, id, fields, created, updated);
        store.put_at(coll, id, Body::Json(doc.clone()), now);
        let summary: Map<String, Value> = ["_id", "_updated", "_created", "_etag"]
            .into_iter()
            .map(|k| (k.to_string(), doc[k].clone()))
            .chain([
                ("_links".to_string(), json!({ "self": self_link(coll, id) })),
                ("_status".to_string(), json!("OK")),
            ])
            .collect();
        let mut reply = Reply::json(status, &Value::Object(summary));
        if status == 200 {
            reply = reply
                .with_header(
                    "ETag",
                    format!("\"{}\"", doc["_etag"].as_str().unwrap_or("")),
                )
                .with_header("Last-Modified", http_date(updated));
        }
        reply
    }

    fn item(&self, store: &mut Store, req: &Req, coll: &str, id: &str) -> Reply {
        const ALLOW: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";
        let valid_id = id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid_id {
            return flask_404();
        }
        let current = store.get(coll, id).and_then(|e| e.body.json()).cloned();
        let etag = current
            .as_ref()
            .and_then(|d| d["_etag"].as_str())
            .map(|t| format!("\"{t}\""));
        if let Some(if_match) = req.header("if-match").filter(|_| req.method != Method::GET) {
            let mut if_match = if_match.trim();
            if self.has(EveBug::WeakIfMatchAccepted) {
                if_match = if_match.trim_start_matches("W/");
            }
            let quoted = if if_match.starts_with('"') || if_match.starts_with("W/") {
                if_match.to_string()
            } else {
                format!("\"{if_match}\"")
            };
            let star = if_match == "*" && !self.has(EveBug::IfMatchStarRefused);
            let holds = match &etag {
                Some(tag) => star || strong_eq(&quoted, tag),
                None => false,
            };
            if !holds {
                return error(412, "Client and server etags don't match");
            }
        }
        let write = matches!(req.method, Method::PUT | Method::PATCH | Method::DELETE);
        let honours_none_match = !self.has(EveBug::IfNoneMatchIgnored);
        if let (true, true, Some(none_match)) =
            (write, honours_none_match, req.header("if-none-match"))
        {
            let matches = match &etag {
                Some(tag) => {
                    none_match.trim() == "*"
                        || none_match
                            .split(',')
                            .any(|t| t.trim().trim_start_matches("W/") == tag)
                }
                None => false,
            };
            if matches {
                return error(412, "Client and server etags don't match");
            }
        }
        match (&req.method, current) {
            (&Method::OPTIONS, _) => {
                let allow = if self.has(EveBug::NoAllowOn405) {
                    "DELETE, GET, HEAD, OPTIONS, PUT, POST, PATCH"
                } else {
                    ALLOW
                };
                Reply::typed(200, "text/html; charset=utf-8", Vec::new())
                    .with_header("Allow", allow)
            }
            (&Method::GET | &Method::HEAD, Some(doc)) => {
                let not_modified = req
                    .header("if-none-match")
                    .zip(etag.as_deref())
                    .is_some_and(|(inm, tag)| {
                        inm.split(',')
                            .any(|t| t.trim().trim_start_matches("W/") == tag)
                    });
                let mut full = doc.clone();
                full["_links"] = json!({
                    "parent": { "title": "home", "href": "/" },
                    "collection": { "title": coll, "href": coll },
                    "self": self_link(coll, id)
                });
                let status = if not_modified { 304 } else { 200 };
                let body = if not_modified {
                    Vec::new()
                } else {
                    full.to_string().into_bytes()
                };
                let mut reply = Reply::typed(status, "application/json", body)
                    .with_header("ETag", etag.unwrap_or_default())
                    .with_header("Last-Modified", doc["_updated"].as_str().unwrap_or(""));
                if not_modified {
                    reply.headers.retain(|(k, _)| k != "Content-Type");
                }
                reply
            }
            (&Method::PUT, None) => match self.validated(req, false) {
                Ok(fields) => {
                    let path = if self.has(EveBug::UpsertLocationDoubled) {
                        format!("{coll}/{coll}/{id}")
                    } else {
                        format!("{coll}/{id}")
                    };
                    self.write(store, coll, id, fields, None, 201)
                        .with_header("Location", format!("{}/{path}", req.origin))
                }
                Err(reply) => reply,
            },
            (&Method::PUT | &Method::PATCH, Some(doc)) => self.replace(store, req, coll, id, &doc),
            (&Method::DELETE, found) => {
                // `deleteitem` answers `all_done()` whether or not the document was there.
                if found.is_some() {
                    store.remove(coll, id);
                }
                Reply::typed(204, "application/json", Vec::new())
            }
            (&Method::GET | &Method::HEAD | &Method::PATCH, None) => flask_404(),
            _ => self.not_allowed(ALLOW),
        }
    }

    fn replace(&self, store: &mut Store, req: &Req, coll: &str, id: &str, old: &Value) -> Reply {
        let patch = req.method == Method::PATCH;
        let given = match self.validated(req, patch) {
            Ok(fields) => fields,
            Err(reply) => return reply,
        };
        let old_fields: Map<String, Value> = old
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| !META.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let fields = if patch {
            let mut merged = old_fields.clone();
            merged.extend(given);
            merged
        } else {
            given
        };
        let same_second = old["_updated"].as_str() == Some(http_date(SystemTime::now()).as_str());
        if self.has(EveBug::RepeatPut412) && same_second && fields == old_fields {
            return error(412, "Client and server etags don't match");
        }
        let created = old["_created"]
            .as_str()
            .and_then(|c| httpdate::parse_http_date(c).ok());
        let mut reply = self.write(store, coll, id, fields, created, 200);
        if patch {
            // `patch_internal` answers the ETag but no `Last-Modified`.
            reply
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case("Last-Modified"));
        }
        reply
    }
}

impl Behaviour for Eve {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        let known = |c: &str| self.collections.iter().any(|s| s == c);
        match parts.as_slice() {
            [] => Reply::json(
                200,
                &json!({ "_links": { "child": self.collections.iter().map(|c| json!({ "title": c, "href": c })).collect::<Vec<_>>() } }),
            ),
            [coll] if known(coll) => self.collection(store, req, coll),
            [coll, id] if known(coll) => self.item(store, req, coll, id),
            _ => flask_404(),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let now = to_second(store.now());
        let doc = document(collection, id, seed::members(n), now, now);
        store.put(collection, id, Body::Json(doc));
    }

    fn seed_id(&self, n: usize) -> String {
        format!("5f00000000000000{n:08x}")
    }
}

/// The stored document: the client's fields and Eve's meta fields, `_etag` over the rest.
fn document(
    _coll: &str,
    id: &str,
    fields: Map<String, Value>,
    created: SystemTime,
    updated: SystemTime,
) -> Value {
    let mut doc = fields;
    doc.insert("_id".into(), json!(id));
    doc.insert("_created".into(), json!(http_date(created)));
    doc.insert("_updated".into(), json!(http_date(updated)));
    let etag = sha1_hex(Value::Object(doc.clone()).to_string().as_bytes());
    doc.insert("_etag".into(), json!(etag));
    Value::Object(doc)
}

fn list(store: &Store, req: &Req, coll: &str) -> Reply {
    let all = store.list_by_creation(coll);
    let total = all.len();
    let page = req
        .query("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = req
        .query("max_results")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(PAGE)
        .max(1);
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .filter_map(|(id, e)| {
            let mut doc = e.body.json()?.clone();
            doc["_links"] = json!({ "self": self_link(coll, id) });
            Some(doc)
        })
        .collect();
    // The newest `_updated` of the page (RFC 1123 dates, compared as times).
    let newest = items
        .iter()
        .filter_map(|doc| httpdate::parse_http_date(doc["_updated"].as_str()?).ok())
        .max();
    // Links keep `max_results` when the client sent it, before `page`.
    let query = |n: usize| match req.query("max_results") {
        Some(_) => format!("{coll}?max_results={per_page}&page={n}"),
        None => format!("{coll}?page={n}"),
    };
    let own = match req.query("max_results") {
        Some(_) => format!("{coll}?max_results={per_page}"),
        None => coll.to_string(),
    };
    let mut links = json!({
        "parent": { "title": "home", "href": "/" },
        "self": { "title": coll, "href": own }
    });
    let last = total.div_ceil(per_page).max(1);
    if page < last {
        links["next"] = json!({ "title": "next page", "href": query(page + 1) });
        links["last"] = json!({ "title": "last page", "href": query(last) });
    }
    if page > 1 {
        links["prev"] = json!({ "title": "previous page", "href": query(page - 1) });
    }
    let reply = Reply::json(
        200,
        &json!({
            "_items": items,
            "_links": links,
            "_meta": { "page": page, "max_results": per_page, "total": total }
        }),
    )
    .with_header("X-Total-Count", total.to_string());
    match newest {
        Some(time) => reply.with_header("Last-Modified", http_date(time)),
        None => reply,
    }
}

/// `{"title": "Thing", "href": "things/ID"}`.
fn self_link(coll: &str, id: &str) -> Value {
    json!({ "title": model_title(coll), "href": format!("{coll}/{id}") })
}

fn issue(problem: &Problem) -> (String, Value) {
    match problem {
        Problem::NotObject => ("_schema".into(), json!("must be of dict type")),
        Problem::Missing(f) => (f.clone(), json!("required field")),
        Problem::Null(f) => (f.clone(), json!("null value not allowed")),
        Problem::Unknown(f) => (f.clone(), json!("unknown field")),
        Problem::WrongType { field, kind, .. } => {
            let name = match kind {
                Kind::Str => "string",
                Kind::Int => "integer",
                Kind::Float => "float",
                Kind::Bool => "boolean",
                Kind::List => "list",
                Kind::Object => "dict",
            };
            (field.clone(), json!(format!("must be of {name} type")))
        }
    }
}

/// Eve's error body.
fn error(code: u16, message: &str) -> Reply {
    Reply::json(
        code,
        &json!({ "_status": "ERR", "_error": { "code": code, "message": message } }),
    )
}

fn flask_404() -> Reply {
    error(
        404,
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    )
}
