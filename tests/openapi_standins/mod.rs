//! Stand-in servers that behave as the OpenAPI fixtures in `tests/fixtures/openapi/` say: a
//! generic in-memory collection (server-picked ids, POST 201 with Location, PUT that replaces
//! or 404s, PATCH that merges, DELETE 204 then 404, HEAD like GET, OPTIONS and 405 with
//! `Allow`, server timestamps, 412 for a write whose `If-None-Match: *` fails), mounted at the
//! paths of a document, with or without trailing slashes, listed as one array or in Django
//! REST framework's pages (`{count, next, previous, results}`, by page number or by cursor);
//! plus a recorder for operations that must never be sent. A planted bug makes the same
//! stand-in wrong, so the tests show the generated scenario can fail too.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};

/// How the stand-in picks ids.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ids {
    /// 1, 2, 3… as JSON numbers (Django, FastAPI).
    Integer,
    /// UUID-like strings (Ory Kratos).
    Uuid,
}

/// A bug a stand-in can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bug {
    None,
    /// PUT merges the body into the item instead of replacing it.
    MergePut,
}

/// How GET on a collection lists its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// One JSON array of every item.
    Array,
    /// DRF's `PageNumberPagination`: `?page=N`, this many items a page, absolute `next` URLs,
    /// 404 for a page past the end.
    Pages(usize),
    /// DRF's `CursorPagination`: `?cursor=TOKEN`, this many items a page, absolute `next`
    /// URLs.
    Cursor(usize),
}

/// One collection of a stand-in.
#[derive(Debug, Clone)]
pub(crate) struct Collection {
    /// The collection path without a trailing slash, e.g. `/api/books`.
    pub path: &'static str,
    pub trailing_slash: bool,
    pub ids: Ids,
    /// Members set when an item is created.
    pub created: &'static [&'static str],
    /// Members set on every write.
    pub updated: &'static [&'static str],
    pub bug: Bug,
    pub listing: Listing,
    /// Items that exist before the run (not the run's: never written by it), listed first.
    pub seeded: usize,
}

const ITEM_ALLOW: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";
const COLLECTION_ALLOW: &str = "GET, HEAD, POST, OPTIONS";

#[derive(Debug)]
struct Store {
    spec: Collection,
    items: Mutex<BTreeMap<String, Map<String, Value>>>,
    next: AtomicU64,
    clock: AtomicU64,
}

/// The requests a stand-in received for operations that must never be sent.
#[derive(Debug, Default)]
pub(crate) struct Forbidden {
    pub count: AtomicUsize,
}

/// A router with the collections, and `forbidden` (method, path) routes that only count.
pub(crate) fn router(
    collections: Vec<Collection>,
    forbidden: &[(&str, &str)],
) -> (Router, Arc<Forbidden>) {
    let mut router = Router::new();
    for spec in collections {
        let slash = if spec.trailing_slash { "/" } else { "" };
        let list = format!("{}{slash}", spec.path);
        let item = format!("{}/{{id}}{slash}", spec.path);
        let store = Arc::new(Store {
            spec,
            items: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(1),
            clock: AtomicU64::new(0),
        });
        store.seed();
        let at_list = Arc::clone(&store);
        router = router
            .route(
                &list,
                any(move |request: Request| {
                    let store = Arc::clone(&at_list);
                    async move { collection(&store, request).await }
                }),
            )
            .route(
                &item,
                any(move |Path(id): Path<String>, request: Request| {
                    let store = Arc::clone(&store);
                    async move { item_route(&store, &id, request).await }
                }),
            );
    }
    let recorder = Arc::new(Forbidden::default());
    for (method, path) in forbidden {
        let method: Method = method.parse().unwrap_or(Method::POST);
        let seen = Arc::clone(&recorder);
        router = router.route(
            path,
            any(move |request: Request| {
                let seen = Arc::clone(&seen);
                let method = method.clone();
                async move {
                    if request.method() == method {
                        seen.count.fetch_add(1, Ordering::SeqCst);
                    }
                    StatusCode::NO_CONTENT
                }
            }),
        );
    }
    (router, recorder)
}

async fn body_of(request: Request) -> Option<Map<String, Value>> {
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        value.to_string(),
    )
        .into_response()
}

fn allow(status: StatusCode, methods: &'static str) -> Response {
    (status, [(header::ALLOW, HeaderValue::from_static(methods))]).into_response()
}

fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"detail": "Not found."}))
}

fn bad_request() -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"detail": "a JSON object is required"}),
    )
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Map<String, Value>>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn new_id(&self) -> (String, Value) {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        match self.spec.ids {
            Ids::Integer => (n.to_string(), json!(n)),
            Ids::Uuid => {
                let text = format!("7f3e2a10-0000-4000-8000-{n:012x}");
                (text.clone(), json!(text))
            }
        }
    }

    fn stamp(&self, item: &mut Map<String, Value>, names: &[&str]) {
        let tick = self.clock.fetch_add(1, Ordering::SeqCst);
        for name in names {
            let at = format!("2025-01-01T00:{:02}:{:02}Z", (tick / 60) % 60, tick % 60);
            item.insert((*name).to_string(), json!(at));
        }
    }

    /// Creates the items that exist before the run.
    fn seed(&self) {
        for n in 0..self.spec.seeded {
            let (key, id) = self.new_id();
            let mut item = Map::new();
            item.insert("id".into(), id);
            item.insert("seeded".into(), json!(n));
            self.lock().insert(key, item);
        }
    }

    /// Every item, oldest first (ids are numbers for `Ids::Integer`: sorted by value).
    fn listed(&self) -> Vec<Value> {
        let items = self.lock();
        let mut keyed: Vec<(u64, &String)> = items
            .keys()
            .map(|key| (key.parse().unwrap_or(u64::MAX), key))
            .collect();
        keyed.sort();
        keyed
            .into_iter()
            .filter_map(|(_, key)| items.get(key).cloned().map(Value::Object))
            .collect()
    }

    fn location(&self, id: &str) -> String {
        let slash = if self.spec.trailing_slash { "/" } else { "" };
        format!("{}/{id}{slash}", self.spec.path)
    }
}

async fn collection(store: &Store, request: Request) -> Response {
    match *request.method() {
        Method::GET | Method::HEAD => list(store, &request),
        Method::POST => {
            let Some(mut body) = body_of(request).await else {
                return bad_request();
            };
            let (key, id) = store.new_id();
            body.insert("id".into(), id);
            store.stamp(&mut body, store.spec.created);
            store.stamp(&mut body, store.spec.updated);
            store.lock().insert(key.clone(), body.clone());
            let mut response = json_response(StatusCode::CREATED, &Value::Object(body));
            if let Ok(location) = HeaderValue::from_str(&store.location(&key)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Method::OPTIONS => allow(StatusCode::NO_CONTENT, COLLECTION_ALLOW),
        _ => allow(StatusCode::METHOD_NOT_ALLOWED, COLLECTION_ALLOW),
    }
}

/// GET on the collection, as its [`Listing`] says.
fn list(store: &Store, request: &Request) -> Response {
    let items = store.listed();
    let (size, param) = match store.spec.listing {
        Listing::Array => return json_response(StatusCode::OK, &Value::Array(items)),
        Listing::Pages(size) => (size.max(1), "page"),
        Listing::Cursor(size) => (size.max(1), "cursor"),
    };
    let asked = query_value(request, param);
    // Page numbers count from 1; a cursor is `o` and the offset of the page.
    let offset = match (store.spec.listing, asked.as_deref()) {
        (_, None) => Some(0),
        (Listing::Pages(_), Some(page)) => page
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .map(|p| (p - 1) * size),
        (_, Some(cursor)) => cursor.strip_prefix('o').and_then(|o| o.parse().ok()),
    };
    let Some(offset) = offset.filter(|o| *o == 0 || *o < items.len()) else {
        return json_response(StatusCode::NOT_FOUND, &json!({"detail": "Invalid page."}));
    };
    let end = (offset + size).min(items.len());
    let link = |at: usize| {
        let value = match store.spec.listing {
            Listing::Pages(_) => (at / size + 1).to_string(),
            _ => format!("o{at}"),
        };
        Value::String(format!("{}?{param}={value}", page_origin(store, request)))
    };
    let next = if end < items.len() {
        link(end)
    } else {
        Value::Null
    };
    let previous = if offset > 0 {
        link(offset.saturating_sub(size))
    } else {
        Value::Null
    };
    let mut page = json!({"next": next, "previous": previous, "results": &items[offset..end]});
    if store.spec.listing != Listing::Cursor(size) {
        page["count"] = json!(items.len());
    }
    json_response(StatusCode::OK, &page)
}

/// `http://HOST/collection/` as DRF builds its absolute page links.
fn page_origin(store: &Store, request: &Request) -> String {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let slash = if store.spec.trailing_slash { "/" } else { "" };
    format!("http://{host}{}{slash}", store.spec.path)
}

/// The value of a query parameter (no percent-decoding: the values here are plain).
fn query_value(request: &Request, name: &str) -> Option<String> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

async fn item_route(store: &Store, id: &str, request: Request) -> Response {
    let method = request.method().clone();
    let create_only = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes().trim_ascii() == b"*");
    let write = matches!(method, Method::PUT | Method::PATCH | Method::DELETE);
    if write && create_only && store.lock().contains_key(id) {
        // RFC 9110 §13.1.2: the item exists, so `If-None-Match: *` fails.
        return json_response(
            StatusCode::PRECONDITION_FAILED,
            &json!({"detail": "precondition failed"}),
        );
    }
    match method {
        Method::GET | Method::HEAD => match store.lock().get(id) {
            Some(item) => json_response(StatusCode::OK, &Value::Object(item.clone())),
            None => not_found(),
        },
        Method::PUT | Method::PATCH => {
            let Some(body) = body_of(request).await else {
                return bad_request();
            };
            let mut items = store.lock();
            let Some(current) = items.get_mut(id) else {
                return not_found();
            };
            let kept: Vec<&str> = std::iter::once("id")
                .chain(store.spec.created.iter().copied())
                .collect();
            let replace = method == Method::PUT && store.spec.bug != Bug::MergePut;
            if replace {
                current.retain(|name, _| kept.contains(&name.as_str()));
            }
            for (name, value) in body {
                if !kept.contains(&name.as_str()) {
                    current.insert(name, value);
                }
            }
            store.stamp(current, store.spec.updated);
            json_response(StatusCode::OK, &Value::Object(current.clone()))
        }
        Method::DELETE => match store.lock().remove(id) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => not_found(),
        },
        Method::OPTIONS => allow(StatusCode::NO_CONTENT, ITEM_ALLOW),
        _ => allow(StatusCode::METHOD_NOT_ALLOWED, ITEM_ALLOW),
    }
}
