//! etcd's v2 keys API (`/v2/keys/...`).
//!
//! Wire behaviour reproduced: `PUT /v2/keys/dir/key` takes the value from a form body
//! (`application/x-www-form-urlencoded`, `value=...`) or the query (`?value=`); **any other body
//! is ignored and an empty value is stored** (Go's `ParseForm` reads only forms), answered like
//! any set. A set answers JSON `{"action": "set", "node": {"key": "/dir/key", "value",
//! "modifiedIndex", "createdIndex"}}`, 201 when it created the key, 200 with `prevNode` when it
//! replaced one — a set replaces the node, so both indexes are new (`update` and
//! `compareAndSwap` keep `createdIndex`); parent directories are created on the way. Conditions: `prevExist=false` (412
//! errorCode 105 when the key exists; action `create`), `prevExist=true` (404 errorCode 100 when
//! missing; action `update`), `prevValue`/`prevIndex` (412 errorCode 101 "Compare failed";
//! action `compareAndSwap`). `If-Match` and `If-None-Match` are not evaluated: a PUT with
//! `If-None-Match: *` overwrites an existing key, one with `If-Match: *` creates a missing one.
//! `GET` of a key answers `{"action": "get", "node"}`; of a directory
//! `{"action": "get", "node": {"key": "/dir", "dir": true, "nodes": [...]}}` with full keys
//! (an empty directory has no `nodes` member)
//! (`recursive=true` nests subdirectories' nodes). `DELETE` answers 200 `{"action": "delete",
//! "node", "prevNode"}`; a directory needs `dir=true` (empty) or `recursive=true`. `POST` to a
//! directory creates an in-order key named by the index (20 digits). A missing key is 404
//! `{"errorCode": 100, "message": "Key not found", "cause": "/dir/key", "index"}`. Every answer
//! carries `X-Etcd-Index`, `X-Raft-Index`, `X-Raft-Term`, `X-Etcd-Cluster-Id`; JSON ends with a
//! newline, and the CORS headers; OPTIONS answers 200 with no `Allow` (the CORS handler). Other
//! methods answer 405 with `Allow`. Checked against etcd 3.4.23 `--enable-v2`. Indexes are
//! global and move on every write,
//! so `modifiedIndex` grows on identical PUTs (etcd's revision, not a counter of the value).
//!
//! [`EtcdBug::DeletePrefix`] deletes every key of the directory that starts with the key's name.

use axum::http::Method;
use serde_json::{Value, json};

use super::exchange::{Reply, Req};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, Entry, Store};

/// An etcd v2 server; its store's collections are directories (`""` is the root).
#[derive(Debug, Clone, Default)]
pub(crate) struct Etcd {
    pub bugs: Vec<EtcdBug>,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EtcdBug {
    /// DELETE of `/dir/X` also deletes `/dir/X0`, `/dir/X-1`.
    DeletePrefix,
}

impl Etcd {
    pub(crate) fn correct() -> Etcd {
        Etcd::default()
    }

    pub(crate) fn with_bug(bug: EtcdBug) -> Etcd {
        Etcd { bugs: vec![bug] }
    }

    fn set(&self, store: &mut Store, req: &Req, dir: &str, name: &str) -> Reply {
        if store.has_collection(&join(dir, name)) {
            return error(store, 403, 102, "Not a file", &key(dir, name));
        }
        let form = form(req);
        let field = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let previous = store.get(dir, name).cloned();
        let mut action = "set";
        match field("prevExist").as_deref() {
            Some("false") if previous.is_some() => {
                return error(store, 412, 105, "Key already exists", &key(dir, name));
            }
            Some("false") => action = "create",
            Some("true") if previous.is_none() => {
                return error(store, 404, 100, "Key not found", &key(dir, name));
            }
            Some("true") => action = "update",
            _ => {}
        }
        let prev_value = field("prevValue");
        let prev_index = field("prevIndex");
        if prev_value.is_some() || prev_index.is_some() {
            let Some(old) = &previous else {
                return error(store, 404, 100, "Key not found", &key(dir, name));
            };
            let value_ok = prev_value.as_deref().is_none_or(|v| v == value_of(old));
            let index_ok = prev_index
                .as_deref()
                .is_none_or(|i| i == modified(old).to_string());
            if !value_ok || !index_ok {
                let cause = format!("[{} != {}]", prev_value.unwrap_or_default(), value_of(old));
                return error(store, 412, 101, "Compare failed", &cause);
            }
            action = "compareAndSwap";
        }
        let value = field("value").unwrap_or_default();
        ensure_dirs(store, dir);
        // A plain set replaces the node (a new `createdIndex`); update and compareAndSwap keep it.
        let created_index = previous
            .as_ref()
            .filter(|_| action != "set")
            .map(|e| e.meta["createdIndex"].clone());
        store.put(
            dir,
            name,
            Body::Bytes {
                content_type: "text/plain".into(),
                bytes: value.into_bytes(),
            },
        );
        let index = store.index;
        if let Some(entry) = store.get_mut(dir, name) {
            entry.meta = json!({ "createdIndex": created_index.unwrap_or(json!(index)), "modifiedIndex": index });
        }
        let node = store
            .get(dir, name)
            .map(|e| node(dir, name, e))
            .unwrap_or(Value::Null);
        let mut body = json!({ "action": action, "node": node });
        if let Some(old) = &previous {
            body["prevNode"] = self::node(dir, name, old);
        }
        etcd(store, if previous.is_some() { 200 } else { 201 }, &body)
    }

    fn delete(&self, store: &mut Store, req: &Req, dir: &str, name: &str) -> Reply {
        let path = join(dir, name);
        if store.has_collection(&path) {
            let empty = store.list(&path).is_empty()
                && !store
                    .collections
                    .keys()
                    .any(|k| parent_of(k) == path && !k.is_empty());
            let recursive = req.query("recursive") == Some("true");
            if req.query("dir") != Some("true") && !recursive {
                return error(store, 403, 102, "Not a file", &key(dir, name));
            }
            if !empty && !recursive {
                return error(store, 403, 108, "Directory not empty", &key(dir, name));
            }
            // The directory's own indexes: `node` keeps createdIndex, `prevNode` has both.
            let meta = &store.collections[&path].meta;
            let (created, modified) = (meta["createdIndex"].clone(), meta["modifiedIndex"].clone());
            let inside = format!("{path}/");
            store
                .collections
                .retain(|k, _| *k != path && !k.starts_with(&inside));
            store.index += 1;
            let body = json!({
                "action": "delete",
                "node": { "key": key(dir, name), "dir": true, "modifiedIndex": store.index, "createdIndex": created },
                "prevNode": { "key": key(dir, name), "dir": true, "modifiedIndex": modified, "createdIndex": created }
            });
            return etcd(store, 200, &body);
        }
        let Some(old) = store.get(dir, name).cloned() else {
            return error(store, 404, 100, "Key not found", &key(dir, name));
        };
        let doomed: Vec<String> = if self.bugs.contains(&EtcdBug::DeletePrefix) {
            store
                .list(dir)
                .into_iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k.starts_with(name))
                .collect()
        } else {
            vec![name.to_string()]
        };
        for doomed in doomed {
            store.remove(dir, &doomed);
        }
        let body = json!({
            "action": "delete",
            "node": { "key": key(dir, name), "modifiedIndex": store.index, "createdIndex": old.meta["createdIndex"] },
            "prevNode": node(dir, name, &old)
        });
        etcd(store, 200, &body)
    }

    fn get(&self, store: &Store, req: &Req, dir: &str, name: &str) -> Reply {
        let path = join(dir, name);
        if store.has_collection(&path) {
            let recursive = req.query("recursive") == Some("true");
            let node = dir_node(store, &path, recursive);
            return etcd(store, 200, &json!({ "action": "get", "node": node }));
        }
        match store.get(dir, name) {
            Some(entry) => etcd(
                store,
                200,
                &json!({ "action": "get", "node": node(dir, name, entry) }),
            ),
            None => error(store, 404, 100, "Key not found", &key(dir, name)),
        }
    }

    fn post(&self, store: &mut Store, req: &Req, dir: &str) -> Reply {
        let name = format!("{:020}", store.index + 1);
        let mut reply = self.set(store, req, dir, &name);
        if reply.status == 201 {
            let mut body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
            body["action"] = json!("create");
            reply.body = format!("{body}\n").into_bytes();
        }
        reply
    }
}

impl Behaviour for Etcd {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        let Some(path) = parts.strip_prefix(&["v2", "keys"]) else {
            return match parts.as_slice() {
                ["version"] => Reply::json(
                    200,
                    &json!({ "etcdserver": "3.5.17", "etcdcluster": "3.5.0" }),
                ),
                _ => Reply::typed(404, "text/plain; charset=utf-8", "404 page not found\n"),
            };
        };
        let (dir, name) = match path.split_last() {
            Some((name, dir)) => (dir.join("/"), name.to_string()),
            None => (String::new(), String::new()),
        };
        match req.method {
            Method::GET | Method::HEAD if path.is_empty() => {
                let node = dir_node(store, "", req.query("recursive") == Some("true"));
                etcd(store, 200, &json!({ "action": "get", "node": node }))
            }
            Method::GET | Method::HEAD => self.get(store, req, &dir, &name),
            Method::PUT if req.query("dir") == Some("true") => {
                ensure_dirs(store, &join(&dir, &name));
                etcd(
                    store,
                    201,
                    &json!({ "action": "set", "node": { "key": key(&dir, &name), "dir": true, "modifiedIndex": store.index, "createdIndex": store.index } }),
                )
            }
            Method::PUT => self.set(store, req, &dir, &name),
            Method::POST => self.post(store, req, &join(&dir, &name)),
            Method::DELETE => self.delete(store, req, &dir, &name),
            // The CORS handler answers every OPTIONS, without `Allow`.
            Method::OPTIONS => cors(Reply::typed(200, "text/plain", Vec::new())),
            _ => cors(Reply::typed(
                405,
                "text/plain; charset=utf-8",
                "Method Not Allowed\n",
            ))
            .with_header("Allow", "HEAD,GET,PUT,POST,DELETE")
            .with_header("X-Content-Type-Options", "nosniff"),
        }
    }

    fn init(&self, store: &mut Store) {
        store.collection("");
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        ensure_dirs(store, collection);
        let value = seed::text(n).trim_end().as_bytes().to_vec();
        store.put(
            collection,
            id,
            Body::Bytes {
                content_type: "text/plain".into(),
                bytes: value,
            },
        );
        let index = store.index;
        if let Some(entry) = store.get_mut(collection, id) {
            entry.meta = json!({ "createdIndex": index, "modifiedIndex": index });
        }
    }
}

/// The body's form fields (form bodies only) after the query's, as `ParseForm` merges them.
fn form(req: &Req) -> Vec<(String, String)> {
    let is_form = req
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let mut fields: Vec<(String, String)> = Vec::new();
    if is_form {
        fields.extend(form_urlencoded::parse(&req.body).into_owned());
    }
    fields.extend(req.query.iter().cloned());
    fields
}

fn ensure_dirs(store: &mut Store, dir: &str) {
    let mut path = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        path = join(&path, part);
        if !store.has_collection(&path) {
            store.index += 1;
            let index = store.index;
            store.collection(&path).meta = json!({ "createdIndex": index, "modifiedIndex": index });
        }
    }
}

fn node(dir: &str, name: &str, entry: &Entry) -> Value {
    json!({
        "key": key(dir, name),
        "value": value_of(entry),
        "modifiedIndex": modified(entry),
        "createdIndex": entry.meta["createdIndex"]
    })
}

fn dir_node(store: &Store, path: &str, recursive: bool) -> Value {
    let mut nodes: Vec<Value> = store
        .list(path)
        .into_iter()
        .map(|(name, e)| node(path, name, e))
        .collect();
    for sub in store
        .collections
        .keys()
        .filter(|k| !k.is_empty() && parent_of(k) == path)
    {
        let mut child = if recursive {
            dir_node(store, sub, true)
        } else {
            json!({ "key": format!("/{sub}"), "dir": true })
        };
        child["modifiedIndex"] = store.collections[sub].meta["modifiedIndex"].clone();
        child["createdIndex"] = store.collections[sub].meta["createdIndex"].clone();
        nodes.push(child);
    }
    // An empty directory has no `nodes` member at all.
    let mut out = json!({ "dir": true });
    if !nodes.is_empty() {
        out["nodes"] = json!(nodes);
    }
    if !path.is_empty() {
        out["key"] = json!(format!("/{path}"));
        out["modifiedIndex"] = store
            .collections
            .get(path)
            .map_or(Value::Null, |c| c.meta["modifiedIndex"].clone());
        out["createdIndex"] = store
            .collections
            .get(path)
            .map_or(Value::Null, |c| c.meta["createdIndex"].clone());
    }
    out
}

fn value_of(entry: &Entry) -> String {
    String::from_utf8_lossy(entry.body.bytes().unwrap_or_default()).into_owned()
}

fn modified(entry: &Entry) -> u64 {
    entry.meta["modifiedIndex"].as_u64().unwrap_or(0)
}

/// `/dir/name`.
fn key(dir: &str, name: &str) -> String {
    format!("/{}", join(dir, name))
}

fn join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (false, true) => dir.to_string(),
        (false, false) => format!("{dir}/{name}"),
    }
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn error(store: &Store, status: u16, code: u16, message: &str, cause: &str) -> Reply {
    etcd(
        store,
        status,
        &json!({ "errorCode": code, "message": message, "cause": cause, "index": store.index }),
    )
}

/// The CORS headers etcd's v2 handler puts on every answer.
fn cors(reply: Reply) -> Reply {
    reply
        .with_header(
            "Access-Control-Allow-Headers",
            "accept, content-type, authorization",
        )
        .with_header(
            "Access-Control-Allow-Methods",
            "POST, GET, OPTIONS, PUT, DELETE",
        )
        .with_header("Access-Control-Allow-Origin", "*")
}

/// An etcd JSON answer with its headers.
fn etcd(store: &Store, status: u16, body: &Value) -> Reply {
    cors(Reply::typed(
        status,
        "application/json",
        format!("{body}\n"),
    ))
    .with_header("X-Etcd-Cluster-Id", "cdf818194e3a8c32")
    .with_header("X-Etcd-Index", store.index.to_string())
    .with_header("X-Raft-Index", (store.index + 3).to_string())
    .with_header("X-Raft-Term", "2")
}
