//! Stand-ins for the safety tests: a correct JSON API pre-seeded with resources no run may
//! touch (`pre00001`…), whose answers can be made hostile one knob at a time (the id a 201
//! gives, its `Location`, a redirect, a value a script captures), and a bystander server on
//! another port that logs every request it receives — which must stay empty.
//!
//! Both servers run on their own tokio runtime (see `tests/support`), listen on 127.0.0.1
//! ephemeral ports and log every request (method, path as received, headers).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::support::Served;

/// The ids of the pre-seeded resources.
pub const PRE_SEEDED: [&str; 5] = ["pre00001", "pre00002", "pre00003", "pre00004", "pre00005"];

/// The bearer token and the secret header the hostile scenarios send, by environment.
pub const TOKEN: &str = "s3cret-token-value";
pub const API_KEY: &str = "k3y-value-secret";

/// One request as a server received it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// Path and query as received (still percent-encoded).
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Logged {
    /// True when the request carried the run's credentials or secret header.
    pub fn has_credentials(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("x-api-key")
                || value.contains(TOKEN)
                || value.contains(API_KEY)
        })
    }
}

/// What the API answers differently from a correct one.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// The `id` a 201 body gives (the resource is stored under its real id all the same).
    pub post_body_id: Option<String>,
    /// The `Location` a 201 gives (`{origin}` is replaced by the API's own origin).
    pub post_location: Option<String>,
    /// Where `GET /things/{id}?go=1` redirects to (an absolute URL prefix; the id is appended).
    pub redirect_to: Option<String>,
    /// What `GET /echo` answers.
    pub echo: Value,
}

#[derive(Default)]
struct Store {
    items: BTreeMap<String, Value>,
    next: u64,
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    log: Arc<Mutex<Vec<Logged>>>,
    knobs: Arc<Knobs>,
    origin: Arc<Mutex<String>>,
}

/// The pre-seeded JSON API: `GET|POST /things`, `GET|PUT|DELETE /things/{id}`, `GET /echo`.
pub struct Api {
    served: Served,
    shared: Shared,
}

impl Api {
    pub fn start(knobs: Knobs) -> Api {
        let mut store = Store::default();
        for (n, id) in PRE_SEEDED.iter().enumerate() {
            store.items.insert(
                (*id).to_owned(),
                json!({ "id": id, "name": format!("customer {n}"), "size": n, "note": "pre-existing: never touch" }),
            );
        }
        let shared = Shared {
            store: Arc::new(Mutex::new(store)),
            log: Arc::default(),
            knobs: Arc::new(knobs),
            origin: Arc::default(),
        };
        let router = Router::new()
            .route("/things", get(list).post(create))
            .route("/things/{id}", get(read).put(replace).delete(remove))
            .route("/echo", get(echo))
            .fallback(|| async {
                (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"error": "no such route"})),
                )
            })
            .layer(axum::middleware::from_fn_with_state(shared.clone(), log))
            .with_state(shared.clone());
        let served = Served::start(router);
        *shared.origin.lock().unwrap() = served.url();
        Api { served, shared }
    }

    pub fn url(&self) -> String {
        self.served.url()
    }

    /// The pre-seeded resources as JSON bytes, to compare before and after a run.
    pub fn pre_seeded_bytes(&self) -> Vec<Option<Vec<u8>>> {
        let store = self.shared.store.lock().unwrap();
        PRE_SEEDED
            .iter()
            .map(|id| store.items.get(*id).map(|v| serde_json::to_vec(v).unwrap()))
            .collect()
    }

    /// Every stored id.
    pub fn ids(&self) -> Vec<String> {
        self.shared
            .store
            .lock()
            .unwrap()
            .items
            .keys()
            .cloned()
            .collect()
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The requests that could change state and that a server — decoding the path once or
    /// twice, reading `\\` as `/`, removing dot segments — routes to a pre-seeded resource or
    /// below one.
    pub fn writes_to_pre_seeded(&self) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD" | "OPTIONS"))
            .filter(|r| {
                let path = r.target.split('?').next().unwrap_or_default();
                (1..=2).any(|decodes| {
                    let routed = routed(path, decodes);
                    routed.first().is_some_and(|s| s == "things")
                        && routed
                            .get(1)
                            .is_some_and(|id| PRE_SEEDED.contains(&id.as_str()))
                })
            })
            .collect()
    }
}

/// The segments a server routes `path` on after decoding it `decodes` times.
fn routed(path: &str, decodes: usize) -> Vec<String> {
    let mut text = path.to_owned();
    for _ in 0..decodes {
        text = percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned();
    }
    let mut out: Vec<String> = Vec::new();
    for segment in text.split(['/', '\\']).filter(|s| !s.is_empty()) {
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            other => out.push(other.to_owned()),
        }
    }
    out
}

/// A server on another origin that answers 200 to everything and logs what it receives.
pub struct Bystander {
    served: Served,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl Bystander {
    pub fn start() -> Bystander {
        let received: Arc<Mutex<Vec<Logged>>> = Arc::default();
        let shared = Shared {
            store: Arc::default(),
            log: received.clone(),
            knobs: Arc::default(),
            origin: Arc::default(),
        };
        let router = Router::new()
            .fallback(|| async { axum::Json(json!({"id": "bystander", "name": "x"})) })
            .layer(axum::middleware::from_fn_with_state(shared, log));
        Bystander {
            served: Served::start(router),
            log: received,
        }
    }

    pub fn url(&self) -> String {
        self.served.url()
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

fn logged(request: &Request) -> Logged {
    Logged {
        method: request.method().to_string(),
        target: request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

async fn log(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    shared.log.lock().unwrap().push(logged(&request));
    next.run(request).await
}

/// The collection, pre-seeded resources first (they were created first).
async fn list(State(shared): State<Shared>) -> Response {
    let store = shared.store.lock().unwrap();
    let (pre, rest): (Vec<_>, Vec<_>) = store
        .items
        .iter()
        .partition(|(id, _)| PRE_SEEDED.contains(&id.as_str()));
    let items: Vec<Value> = pre
        .into_iter()
        .chain(rest)
        .map(|(_, v)| v.clone())
        .collect();
    axum::Json(json!({ "items": items })).into_response()
}

/// `POST /things`: a JSON object creates an item holding it; an empty body an empty item
/// (POST-PUT creation).
async fn create(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut object = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(object)) => object,
        _ if body.is_empty() => serde_json::Map::new(),
        _ => return (StatusCode::BAD_REQUEST, "a JSON object is required").into_response(),
    };
    let id = {
        let mut store = shared.store.lock().unwrap();
        store.next += 1;
        let id = format!("srv-{}", store.next);
        object.insert("id".into(), Value::String(id.clone()));
        store
            .items
            .insert(id.clone(), Value::Object(object.clone()));
        id
    };
    let origin = shared.origin.lock().unwrap().clone();
    let location = match &shared.knobs.post_location {
        Some(location) => location.replace("{origin}", &origin),
        None => format!("/things/{id}"),
    };
    if let Some(claimed) = &shared.knobs.post_body_id {
        object.insert("id".into(), Value::String(claimed.clone()));
    }
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(Value::Object(object)),
    )
        .into_response()
}

async fn read(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    if let (Some(to), true) = (&shared.knobs.redirect_to, uri.query() == Some("go=1")) {
        return (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{to}/things/{id}"))],
        )
            .into_response();
    }
    match shared.store.lock().unwrap().items.get(&id) {
        Some(value) => axum::Json(value.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "not found"})),
        )
            .into_response(),
    }
}

async fn replace(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    _headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object is required").into_response();
    };
    object.insert("id".into(), Value::String(id.clone()));
    let value = Value::Object(object);
    let created = shared
        .store
        .lock()
        .unwrap()
        .items
        .insert(id, value.clone())
        .is_none();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, axum::Json(value)).into_response()
}

async fn remove(State(shared): State<Shared>, Path(id): Path<String>) -> StatusCode {
    match shared.store.lock().unwrap().items.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

async fn echo(State(shared): State<Shared>) -> Response {
    axum::Json(shared.knobs.echo.clone()).into_response()
}

/// A scenario for the API: `things` (PUT-created unless `create` says otherwise), with the
/// bearer token and the secret header from the environment, plus `extra` (scripts, keys).
pub fn scenario(resource_keys: &str, extra: &str) -> String {
    format!(
        r#"[target]
timeout = "5s"

[target.auth]
bearer = "${{SAFETY_TOKEN}}"

[target.headers]
X-Api-Key = "${{SAFETY_KEY}}"

[resources.things]
collection = "/things"
item = "/things/{{id}}"
items = "/items"
methods = ["GET", "HEAD", "PUT", "DELETE"]
{resource_keys}
[resources.things.body]
name = {{ gen = "string", chars = "alnum", min_len = 4, max_len = 12 }}
size = {{ gen = "int", min = 1, max = 9 }}
{extra}"#
    )
}

/// `idemfuzz ARGS` with the scenario's secrets in the environment.
pub fn run_with_secrets(args: &[&str]) -> crate::support::Out {
    let mut cmd = crate::support::idemfuzz();
    cmd.env("SAFETY_TOKEN", TOKEN).env("SAFETY_KEY", API_KEY);
    crate::support::run_cmd(cmd, args)
}
