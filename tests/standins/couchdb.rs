//! A CouchDB-compatible document store (the wire behaviour of CouchDB 3 and pouchdb-server).
//!
//! Wire behaviour reproduced: databases at `/{db}` (GET: info; PUT: create, 412 when it exists;
//! DELETE: drop); `POST /{db}` creates a document with a server uuid (32 hex digits, or the
//! body's `_id`): 201 `{"ok": true, "id", "rev"}` with `Location`. `PUT /{db}/{id}` creates
//! (201) or updates a document; an update must name the current revision — `_rev` in the body,
//! `?rev=`, or `If-Match` — else 409 `{"error": "conflict", "reason": "Document update
//! conflict."}`, also for a stale one. Revisions are `N-<md5>`; the ETag of a document is its
//! quoted rev (GET, HEAD, PUT answers; 304 on a matching `If-None-Match`). `DELETE
//! /{db}/{id}?rev=` (or `If-Match`) answers 200 `{"ok", "id", "rev"}` and leaves a tombstone:
//! GET is then 404 `{"error": "not_found", "reason": "deleted"}`, and a PUT without rev
//! re-creates the document with the next rev number. `GET /{db}/_all_docs` lists
//! `{"total_rows", "offset", "rows": [{"id", "key", "value": {"rev"}}]}` in id order
//! (`include_docs`, `limit`, `skip`, `startkey`/`endkey`/`key` as JSON strings). Ids starting
//! with `_` are 400 `illegal_docid`. Other methods answer 405 `method_not_allowed` with
//! `Allow`.
//!
//! The correct variant answers an update 200. Real CouchDB and pouchdb-server answer 201 to
//! every successful PUT, update included (RFC 9110 §9.3.4 wants 200 or 204 for a
//! modification): that is [`CouchBug::Update201`]. [`CouchBug::StaleRevAccepted`] is the lost
//! update: any `_rev` is accepted (a missing one is still 409).
//!
//! pouchdb-server (4.2.0, checked here; CouchDB itself is not installable on this machine) is
//! [`Couch::pouchdb_server`]: [`CouchBug::Update201`], and three more deviations —
//! [`CouchBug::DeleteWithoutRev`] (a DELETE without `?rev=` deletes the current revision
//! whatever `If-Match` says: the lost update on DELETE), [`CouchBug::IfMatchIgnoredOnPut`]
//! (`If-Match` is not read as the revision of a PUT: an update needs `_rev` or `?rev=`) and
//! [`CouchBug::ExpressEtag`] (GET and HEAD carry Express's weak ETag of the body instead of the
//! rev, so `If-None-Match: "<rev>"` is answered 200 — RFC-conformant, but the ETag of a read is
//! not the ETag a write answered), and [`CouchBug::NoMethodNotAllowed`] (PATCH to a document
//! is 404 `missing`, POST to it 400 `only_multipart_accepted`: no 405 anywhere).

use axum::http::Method;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::conditional::{md5_hex, weak_eq};
use super::exchange::{Reply, Req};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, IdPolicy, Store};

/// A CouchDB server.
#[derive(Debug, Clone)]
pub(crate) struct Couch {
    pub bugs: Vec<CouchBug>,
    /// Databases that exist at start (default `idemfuzz`).
    pub databases: Vec<String>,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CouchBug {
    /// Any `_rev` is accepted on update and delete: concurrent writers lose updates.
    StaleRevAccepted,
    /// Updates answer 201 Created, as real CouchDB does.
    Update201,
    /// A DELETE without `?rev=` deletes the current revision, `If-Match` unread; a stale
    /// `?rev=` is 404 `missing` (pouchdb-server).
    DeleteWithoutRev,
    /// `If-Match` does not name the revision of a PUT (pouchdb-server).
    IfMatchIgnoredOnPut,
    /// GET/HEAD answer Express's weak ETag of the body, not the rev (pouchdb-server).
    ExpressEtag,
    /// No 405: a method without a route (PATCH) falls through to 404 `missing`, and POST to a
    /// document is the attachment route's 400 `only_multipart_accepted` (pouchdb-server).
    NoMethodNotAllowed,
}

impl Default for Couch {
    fn default() -> Couch {
        Couch {
            bugs: Vec::new(),
            databases: vec!["idemfuzz".to_string()],
        }
    }
}

/// Which revision a request names, from where.
struct Named {
    rev: Option<String>,
    conflicting: bool,
}

impl Couch {
    pub(crate) fn correct() -> Couch {
        Couch::default()
    }

    pub(crate) fn with_bug(bug: CouchBug) -> Couch {
        Couch {
            bugs: vec![bug],
            ..Couch::default()
        }
    }

    /// pouchdb-server 4.2.0 as released.
    pub(crate) fn pouchdb_server() -> Couch {
        Couch {
            bugs: vec![
                CouchBug::Update201,
                CouchBug::DeleteWithoutRev,
                CouchBug::IfMatchIgnoredOnPut,
                CouchBug::ExpressEtag,
                CouchBug::NoMethodNotAllowed,
            ],
            ..Couch::default()
        }
    }

    fn has(&self, bug: CouchBug) -> bool {
        self.bugs.contains(&bug)
    }

    fn database(&self, store: &mut Store, req: &Req, db: &str) -> Reply {
        let exists = store.has_collection(db);
        match req.method {
            Method::GET | Method::HEAD if exists => {
                let live = store.list(db).len();
                let deleted = store
                    .collections
                    .get(db)
                    .map_or(0, |c| c.entries.values().filter(|e| e.tombstone).count());
                couch(
                    200,
                    &json!({
                        "db_name": db, "doc_count": live, "doc_del_count": deleted,
                        "update_seq": format!("{}-g1AAAA", store.index), "instance_start_time": "0"
                    }),
                )
            }
            Method::PUT if exists => couch(
                412,
                &json!({
                    "error": "file_exists",
                    "reason": "The database could not be created, the file already exists."
                }),
            ),
            Method::PUT => {
                store.collection(db);
                couch(201, &json!({ "ok": true }))
                    .with_header("Location", format!("{}/{db}", req.origin))
            }
            Method::DELETE if exists => {
                store.collections.remove(db);
                couch(200, &json!({ "ok": true }))
            }
            Method::POST if exists => self.post(store, req, db),
            Method::GET | Method::HEAD | Method::DELETE | Method::POST => no_db(),
            _ => not_allowed("DELETE,GET,HEAD,POST,PUT"),
        }
    }

    fn post(&self, store: &mut Store, req: &Req, db: &str) -> Reply {
        let Ok(Value::Object(doc)) = req.json() else {
            return bad_request("Document must be a JSON object");
        };
        let id = match doc.get("_id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => store.mint(db, &IdPolicy::Hex32),
        };
        self.save(store, req, db, &id, doc)
    }

    fn document(&self, store: &mut Store, req: &Req, db: &str, id: &str) -> Reply {
        if !store.has_collection(db) {
            return no_db();
        }
        if id.starts_with('_') {
            return bad_request_as(
                "illegal_docid",
                "Only reserved document ids may start with underscore.",
            );
        }
        match req.method {
            Method::GET | Method::HEAD => read(store, req, db, id, self.has(CouchBug::ExpressEtag)),
            Method::PUT => {
                let Ok(Value::Object(doc)) = req.json() else {
                    return bad_request("Document must be a JSON object");
                };
                self.save(store, req, db, id, doc)
            }
            Method::DELETE => self.delete(store, req, db, id),
            Method::POST if self.has(CouchBug::NoMethodNotAllowed) => {
                bad_request_as("bad_request", "only_multipart_accepted")
            }
            _ if self.has(CouchBug::NoMethodNotAllowed) => {
                couch(404, &json!({ "error": "not_found", "reason": "missing" }))
            }
            _ => not_allowed("DELETE,GET,HEAD,PUT"),
        }
    }

    /// Creates or updates `id` with `doc`, checking the named revision.
    fn save(
        &self,
        store: &mut Store,
        req: &Req,
        db: &str,
        id: &str,
        mut doc: Map<String, Value>,
    ) -> Reply {
        let if_match = !self.has(CouchBug::IfMatchIgnoredOnPut);
        let named = named_rev(req, doc.get("_rev").and_then(Value::as_str), if_match);
        if named.conflicting {
            return bad_request(
                "Document rev from request body and query string have different values",
            );
        }
        let live = store.get(db, id).cloned();
        let tombstone = store.raw(db, id).filter(|e| e.tombstone).cloned();
        let current = live.as_ref().map(rev_of);
        let accepted = match (&current, &named.rev) {
            (Some(_), None) => false,
            (Some(cur), Some(rev)) => cur == rev || self.has(CouchBug::StaleRevAccepted),
            (None, Some(rev)) => tombstone.as_ref().is_some_and(|t| &rev_of(t) == rev),
            (None, None) => true,
        };
        if !accepted {
            return conflict();
        }
        let previous = current.or_else(|| tombstone.as_ref().map(rev_of));
        doc.remove("_rev");
        let rev = next_rev(previous.as_deref(), &Value::Object(doc.clone()));
        doc.insert("_id".into(), json!(id));
        doc.insert("_rev".into(), json!(rev));
        let created = live.is_none();
        store.put(db, id, Body::Json(Value::Object(doc)));
        let status = if created || self.has(CouchBug::Update201) {
            201
        } else {
            200
        };
        let mut reply = couch(status, &json!({ "ok": true, "id": id, "rev": rev }))
            .with_header("ETag", format!("\"{rev}\""));
        if status == 201 {
            reply = reply.with_header(
                "Location",
                format!("{}/{db}/{}", req.origin, super::generic::encode_segment(id)),
            );
        }
        reply
    }

    fn delete(&self, store: &mut Store, req: &Req, db: &str, id: &str) -> Reply {
        let Some(live) = store.get(db, id).cloned() else {
            return missing(store, db, id);
        };
        let current = rev_of(&live);
        let sloppy = self.has(CouchBug::DeleteWithoutRev);
        let named = named_rev(req, None, !sloppy);
        let accepted = match &named.rev {
            Some(rev) if *rev == current || self.has(CouchBug::StaleRevAccepted) => true,
            Some(_) if sloppy => {
                return couch(404, &json!({ "error": "not_found", "reason": "missing" }));
            }
            Some(_) => false,
            None => sloppy,
        };
        if !accepted {
            return conflict();
        }
        let rev = next_rev(Some(&current), &json!({ "_deleted": true }));
        let tombstone = json!({ "_id": id, "_rev": rev, "_deleted": true });
        store.put(db, id, Body::Json(tombstone));
        if let Some(entry) = store.collection(db).entries.get_mut(id) {
            entry.tombstone = true;
        }
        couch(200, &json!({ "ok": true, "id": id, "rev": rev }))
            .with_header("ETag", format!("\"{rev}\""))
    }
}

impl Behaviour for Couch {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        match parts.as_slice() {
            [] => couch(
                200,
                &json!({ "couchdb": "Welcome", "version": "3.3.3", "vendor": { "name": "The Apache Software Foundation" } }),
            ),
            ["_all_dbs"] => couch(200, &json!(store.collections.keys().collect::<Vec<_>>())),
            [db] => self.database(store, req, db),
            [db, "_all_docs"] if req.is_read() => all_docs(store, req, db),
            [db, id] => self.document(store, req, db, id),
            _ => couch(404, &json!({ "error": "not_found", "reason": "missing" })),
        }
    }

    fn init(&self, store: &mut Store) {
        for db in &self.databases {
            store.collection(db);
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let body = Value::Object(seed::members(n));
        let rev = next_rev(None, &body);
        let mut doc = body;
        doc["_id"] = json!(id);
        doc["_rev"] = json!(rev);
        store.put(collection, id, Body::Json(doc));
    }
}

fn read(store: &Store, req: &Req, db: &str, id: &str, express_etag: bool) -> Reply {
    let Some(entry) = store.get(db, id) else {
        return missing(store, db, id);
    };
    let rev = rev_of(entry);
    if req.query("rev").is_some_and(|r| r != rev) {
        return couch(404, &json!({ "error": "not_found", "reason": "missing" }));
    }
    let body = entry.body.json().unwrap_or(&Value::Null);
    if express_etag {
        let bytes = format!("{body}\n");
        let digest = base64::engine::general_purpose::STANDARD
            .encode(super::conditional::sha1(bytes.as_bytes()));
        let etag = format!("W/\"{:x}-{}\"", bytes.len(), &digest[..27]);
        return couch(200, body).with_header("ETag", etag);
    }
    let etag = format!("\"{rev}\"");
    if req
        .header("if-none-match")
        .is_some_and(|t| t.split(',').any(|t| weak_eq(t.trim(), &etag)))
    {
        return Reply::empty(304)
            .with_header("ETag", etag)
            .with_header("Cache-Control", "must-revalidate");
    }
    couch(200, body).with_header("ETag", etag)
}

fn all_docs(store: &Store, req: &Req, db: &str) -> Reply {
    if !store.has_collection(db) {
        return no_db();
    }
    let key_param = |name: &str| {
        req.query(name)
            .and_then(|k| serde_json::from_str::<String>(k).ok())
    };
    let (start, end, key) = (key_param("startkey"), key_param("endkey"), key_param("key"));
    let include_docs = req.query("include_docs") == Some("true");
    let skip = req.query("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit = req
        .query("limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let mut docs: Vec<(&String, &super::store::Entry)> = store.list(db);
    docs.sort_by(|a, b| a.0.cmp(b.0));
    let total = docs.len();
    let rows: Vec<Value> = docs
        .into_iter()
        .filter(|(id, _)| start.as_ref().is_none_or(|s| *id >= s))
        .filter(|(id, _)| end.as_ref().is_none_or(|e| *id <= e))
        .filter(|(id, _)| key.as_ref().is_none_or(|k| *id == k))
        .skip(skip)
        .take(limit)
        .map(|(id, entry)| {
            let mut row = json!({ "id": id, "key": id, "value": { "rev": rev_of(entry) } });
            if include_docs {
                row["doc"] = entry.body.json().cloned().unwrap_or(Value::Null);
            }
            row
        })
        .collect();
    couch(
        200,
        &json!({ "total_rows": total, "offset": skip, "rows": rows }),
    )
}

/// The revision a request names: body `_rev`, `?rev=`, or `If-Match` (quotes removed; only
/// when `if_match` is read).
fn named_rev(req: &Req, body_rev: Option<&str>, if_match: bool) -> Named {
    let query = req.query("rev").map(str::to_string);
    let header = req
        .header("if-match")
        .filter(|_| if_match)
        .map(|t| t.trim().trim_matches('"').to_string());
    let others: Vec<String> = query.into_iter().chain(header).collect();
    let rev = body_rev
        .map(str::to_string)
        .or_else(|| others.first().cloned());
    let conflicting = rev.as_ref().is_some_and(|r| others.iter().any(|o| o != r));
    Named { rev, conflicting }
}

fn rev_of(entry: &super::store::Entry) -> String {
    entry
        .body
        .json()
        .and_then(|d| d["_rev"].as_str())
        .unwrap_or("")
        .to_string()
}

/// `N-<md5>`: one more than the previous revision's number, hashed over it and the body.
fn next_rev(previous: Option<&str>, body: &Value) -> String {
    let number = previous
        .and_then(|p| p.split('-').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    let hash = md5_hex(format!("{}{}", previous.unwrap_or(""), body).as_bytes());
    format!("{number}-{hash}")
}

fn missing(store: &Store, db: &str, id: &str) -> Reply {
    let deleted = store.raw(db, id).is_some_and(|e| e.tombstone);
    let reason = if deleted { "deleted" } else { "missing" };
    couch(404, &json!({ "error": "not_found", "reason": reason }))
}

fn conflict() -> Reply {
    couch(
        409,
        &json!({ "error": "conflict", "reason": "Document update conflict." }),
    )
}

fn bad_request(reason: &str) -> Reply {
    bad_request_as("bad_request", reason)
}

fn bad_request_as(error: &str, reason: &str) -> Reply {
    couch(400, &json!({ "error": error, "reason": reason }))
}

fn no_db() -> Reply {
    couch(
        404,
        &json!({ "error": "not_found", "reason": "Database does not exist." }),
    )
}

fn not_allowed(allow: &str) -> Reply {
    couch(
        405,
        &json!({ "error": "method_not_allowed", "reason": format!("Only {allow} allowed") }),
    )
    .with_header("Allow", allow)
}

/// A CouchDB JSON answer (with its trailing newline and server headers).
fn couch(status: u16, body: &Value) -> Reply {
    Reply::typed(status, "application/json", format!("{body}\n"))
        .with_header("Cache-Control", "must-revalidate")
        .with_header("Server", "CouchDB/3.3.3 (Erlang OTP/24)")
        .with_header("X-Couch-Request-ID", "0123456789")
        .with_header("X-CouchDB-Body-Time", "0")
}
