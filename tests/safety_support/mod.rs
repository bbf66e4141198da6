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
pub(crate) const PRE_SEEDED: [&str; 5] =
    ["pre00001", "pre00002", "pre00003", "pre00004", "pre00005"];

/// The bearer token and the secret header the hostile scenarios send, by environment.
pub(crate) const TOKEN: &str = "s3cret-token-value";
pub(crate) const API_KEY: &str = "k3y-value-secret";

/// One request as a server received it.
#[derive(Debug, Clone)]
pub(crate) struct Logged {
    pub method: String,
    /// Path and query as received (still percent-encoded).
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Logged {
    /// True when the request names another method to run, as method-override middleware
    /// reads it (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`, `_method`).
    pub(crate) fn overrides_method(&self) -> bool {
        override_of(&self.target, &self.headers).is_some()
    }

    /// True when the request carried these credentials (bearer token, `X-Api-Key`).
    pub(crate) fn has_credentials_of(&self, token: &str, key: &str) -> bool {
        self.headers.iter().any(|(name, value)| {
            (name.eq_ignore_ascii_case("authorization") && value.contains(token))
                || (name.eq_ignore_ascii_case("x-api-key") && value == key)
        })
    }

    /// True when the request carried the run's credentials or secret header.
    pub(crate) fn has_credentials(&self) -> bool {
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
pub(crate) struct Knobs {
    /// The `id` a 201 body gives (the resource is stored under its real id all the same).
    pub post_body_id: Option<String>,
    /// The `Location` a 201 gives (`{origin}` is replaced by the API's own origin).
    pub post_location: Option<String>,
    /// Where `GET /things/{id}?go=1` redirects to (an absolute URL prefix; the id is appended).
    pub redirect_to: Option<String>,
    /// What `GET /echo` answers.
    pub echo: Value,
    /// Honour method overrides on POST, as Express's `method-override` and Laravel do: a
    /// `X-HTTP-Method-Override` header or a `_method` query parameter names the method run.
    pub method_override: bool,
    /// More pre-existing resources, beside `pre00001`…`pre00005`: (id, stored JSON).
    pub extra_seed: Vec<(String, Value)>,
    /// Reflect the credentials each request carried, as careless servers do: raw and
    /// percent-encoded in response headers and in `GET /echo`'s body, and in the `Location` of
    /// a 201 (`{key}` in [`Knobs::post_location`] is the request's `X-Api-Key`, percent-encoded).
    pub reflect_credentials: bool,
    /// List at most this many items (the first page), as paginated collections do.
    pub page_size: Option<usize>,
}

#[derive(Default)]
struct Store {
    items: BTreeMap<String, Value>,
    next: u64,
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    /// The ids of every pre-existing resource.
    seeded: Arc<Vec<String>>,
    log: Arc<Mutex<Vec<Logged>>>,
    knobs: Arc<Knobs>,
    origin: Arc<Mutex<String>>,
}

/// The pre-seeded JSON API: `GET|POST /things`, `GET|PUT|DELETE /things/{id}`, `GET /echo`.
pub(crate) struct Api {
    served: Served,
    shared: Shared,
}

impl Api {
    pub(crate) fn start(knobs: Knobs) -> Api {
        let mut store = Store::default();
        for (n, id) in PRE_SEEDED.iter().enumerate() {
            store.items.insert(
                (*id).to_owned(),
                json!({ "id": id, "name": format!("customer {n}"), "size": n, "note": "pre-existing: never touch" }),
            );
        }
        let mut seeded: Vec<String> = PRE_SEEDED.iter().map(|id| (*id).to_owned()).collect();
        for (id, value) in &knobs.extra_seed {
            store.items.insert(id.clone(), value.clone());
            seeded.push(id.clone());
        }
        let shared = Shared {
            store: Arc::new(Mutex::new(store)),
            seeded: Arc::new(seeded),
            log: Arc::default(),
            knobs: Arc::new(knobs),
            origin: Arc::default(),
        };
        let routes = Router::new()
            .route("/things", get(list).post(create))
            .route("/things/{id}", get(read).put(replace).delete(remove))
            .route("/echo", get(echo))
            .fallback(|| async {
                (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"error": "no such route"})),
                )
            })
            .with_state(shared.clone());
        // Logging and method overrides wrap the routes, so an overridden method is routed.
        let router = Router::new()
            .fallback_service(routes)
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                reflect,
            ))
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                method_override,
            ))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), log));
        let served = Served::start(router);
        *shared.origin.lock().unwrap() = served.url();
        Api { served, shared }
    }

    pub(crate) fn url(&self) -> String {
        self.served.url()
    }

    /// The pre-seeded resources as JSON bytes, to compare before and after a run.
    pub(crate) fn pre_seeded_bytes(&self) -> Vec<Option<Vec<u8>>> {
        let store = self.shared.store.lock().unwrap();
        self.shared
            .seeded
            .iter()
            .map(|id| store.items.get(id).map(|v| serde_json::to_vec(v).unwrap()))
            .collect()
    }

    /// The ids of every pre-existing resource.
    pub(crate) fn seeded(&self) -> Vec<String> {
        self.shared.seeded.as_ref().clone()
    }

    /// Every stored id.
    pub(crate) fn ids(&self) -> Vec<String> {
        self.shared
            .store
            .lock()
            .unwrap()
            .items
            .keys()
            .cloned()
            .collect()
    }

    pub(crate) fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The requests that could change state (a write, or any request with a method override)
    /// and that some server routes to a pre-seeded resource or below one (see [`routed`]).
    pub(crate) fn writes_to_pre_seeded(&self) -> Vec<Logged> {
        let seeded = self.seeded();
        self.requests()
            .into_iter()
            .filter(|r| {
                !matches!(r.method.as_str(), "GET" | "HEAD" | "OPTIONS") || r.overrides_method()
            })
            .filter(|r| {
                let path = r.target.split('?').next().unwrap_or_default();
                routed(path).iter().any(|routed| {
                    routed
                        .first()
                        .is_some_and(|s| s.eq_ignore_ascii_case("things"))
                        && routed
                            .get(1)
                            .is_some_and(|id| seeded.iter().any(|s| s.eq_ignore_ascii_case(id)))
                })
            })
            .collect()
    }
}

/// The segments servers of several kinds route `path` on: percent-decoding it once or twice
/// (also IIS's `%uXXXX`), with or without Unicode NFKC normalisation, each segment cut at a NUL
/// (C strings) and at a `;` (path parameters), trailing dots and spaces dropped (Windows),
/// `\\` read as `/`, empty segments merged and dot segments removed.
pub(crate) fn routed(path: &str) -> Vec<Vec<String>> {
    let mut views = Vec::new();
    for decodes in 1..=2 {
        for nfkc in [false, true] {
            let mut text = path.to_owned();
            for _ in 0..decodes {
                text = percent_u_decoded(&text);
                text = percent_encoding::percent_decode_str(&text)
                    .decode_utf8_lossy()
                    .into_owned();
                if nfkc {
                    text = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc()
                        .normalize(&text)
                        .into_owned();
                }
            }
            views.push(resolve_dots(&text));
        }
    }
    views
}

/// The segments of a decoded path after a server's clean-up and dot-segment removal: each
/// segment cut at a NUL or `;`, invisible characters dropped; a segment of dots alone is `..`
/// (Windows drops trailing dots), others lose trailing dots and spaces.
fn resolve_dots(text: &str) -> Vec<String> {
    let mut routed: Vec<String> = Vec::new();
    for segment in text.split(['/', '\\']) {
        let name = segment.split(['\0', ';']).next().unwrap_or_default();
        let name: String = name
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{feff}'))
            .collect();
        let name = name.trim();
        if name.is_empty() || name == "." {
            continue;
        }
        if name.chars().all(|c| c == '.') {
            routed.pop();
            continue;
        }
        routed.push(name.trim_end_matches(['.', ' ']).to_owned());
    }
    routed
}

/// `%uXXXX` (IIS's non-standard escape) replaced by its character.
fn percent_u_decoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("%u") {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 2..at + 6).unwrap_or_default();
        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
            Some(c) if hex.len() == 4 => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            _ => {
                out.push_str("%u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A server on another origin that answers 200 to everything and logs what it receives.
pub(crate) struct Bystander {
    served: Served,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl Bystander {
    pub(crate) fn start() -> Bystander {
        let received: Arc<Mutex<Vec<Logged>>> = Arc::default();
        let shared = Shared {
            store: Arc::default(),
            seeded: Arc::default(),
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

    pub(crate) fn url(&self) -> String {
        self.served.url()
    }

    pub(crate) fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

/// The method a request asks to be run as instead of its own, if any.
fn override_of(target: &str, headers: &[(String, String)]) -> Option<String> {
    let from_header = headers.iter().find_map(|(name, value)| {
        [
            "x-http-method-override",
            "x-http-method",
            "x-method-override",
        ]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
        .then(|| value.clone())
    });
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let from_query = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "_method")
        .map(|(_, value)| value.into_owned());
    from_header.or(from_query)
}

/// With [`Knobs::method_override`], a POST that names another method is run as that method.
async fn method_override(
    State(shared): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    if shared.knobs.method_override && request.method() == axum::http::Method::POST {
        let seen = logged(&request);
        if let Some(method) = override_of(&seen.target, &seen.headers)
            .and_then(|m| axum::http::Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
        {
            *request.method_mut() = method;
        }
    }
    next.run(request).await
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
        .take(shared.knobs.page_size.unwrap_or(usize::MAX))
        .collect();
    axum::Json(json!({ "items": items })).into_response()
}

/// `POST /things`: a JSON object creates an item holding it; an empty body an empty item
/// (POST-PUT creation).
async fn create(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
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
        Some(location) => location.replace("{origin}", &origin).replace(
            "{key}",
            &encoded(
                headers
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
            ),
        ),
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

async fn echo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if shared.knobs.reflect_credentials {
        let mut seen = serde_json::Map::new();
        for (name, value) in credentials_of(&headers) {
            seen.insert(format!("{name} raw"), Value::String(value.clone()));
            seen.insert(format!("{name} encoded"), Value::String(encoded(&value)));
        }
        return axum::Json(json!({ "you_sent": seen })).into_response();
    }
    axum::Json(shared.knobs.echo.clone()).into_response()
}

/// The credential headers of a request: (name, value).
fn credentials_of(headers: &HeaderMap) -> Vec<(String, String)> {
    ["authorization", "x-api-key"]
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), value.to_owned()))
        })
        .collect()
}

/// `text` percent-encoded as a URL component.
pub(crate) fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// With [`Knobs::reflect_credentials`], every answer carries the request's credentials back.
async fn reflect(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    if !shared.knobs.reflect_credentials {
        return next.run(request).await;
    }
    let credentials = credentials_of(request.headers());
    let mut response = next.run(request).await;
    for (name, value) in credentials {
        let headers = response.headers_mut();
        for (suffix, value) in [("raw", value.clone()), ("encoded", encoded(&value))] {
            if let (Ok(n), Ok(v)) = (
                header::HeaderName::from_bytes(format!("x-seen-{name}-{suffix}").as_bytes()),
                header::HeaderValue::from_str(&value),
            ) {
                headers.insert(n, v);
            }
        }
    }
    response
}

/// A scenario for the API: `things` (PUT-created unless `create` says otherwise), with the
/// bearer token and the secret header from the environment, plus `extra` (scripts, keys).
pub(crate) fn scenario(resource_keys: &str, extra: &str) -> String {
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
pub(crate) fn run_with_secrets(args: &[&str]) -> crate::support::Out {
    let mut cmd = crate::support::idemfuzz();
    cmd.env("SAFETY_TOKEN", TOKEN).env("SAFETY_KEY", API_KEY);
    crate::support::run_cmd(cmd, args)
}

/// Runs one scenario text against the API (`--format json`), with `extra` options.
pub(crate) fn run(
    api: &Api,
    text: &str,
    extra: &[&str],
) -> (crate::support::Out, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = crate::support::write_file(dir.path(), "hostile.toml", text);
    let path = path.to_str().expect("UTF-8 path").to_owned();
    let url = api.url();
    let mut args = vec![
        "run",
        &path,
        "--base-url",
        &url,
        "--format",
        "json",
        "--no-progress",
        "--seed",
        "3",
    ];
    args.extend_from_slice(extra);
    (run_with_secrets(&args), dir)
}

/// The API's pre-seeded resources are exactly as they were, and no write reached them.
#[track_caller]
pub(crate) fn untouched(api: &Api, before: &[Option<Vec<u8>>]) {
    let now = api.pre_seeded_bytes();
    let changed: Vec<String> = api
        .seeded()
        .into_iter()
        .zip(now.iter().zip(before))
        .filter(|(_, (now, before))| now != before)
        .map(|(id, (now, _))| match now {
            Some(bytes) => format!("{id} is now {}", String::from_utf8_lossy(bytes)),
            None => format!("{id} was deleted"),
        })
        .collect();
    assert!(
        changed.is_empty(),
        "pre-seeded resources changed: {changed:?}"
    );
    let writes = api.writes_to_pre_seeded();
    assert!(
        writes.is_empty(),
        "writes reached pre-seeded resources: {writes:?}"
    );
}

/// Nothing at all reached the bystander on another origin (so no credentials either).
#[track_caller]
pub(crate) fn nothing_sent_to(bystander: &Bystander) {
    let received = bystander.requests();
    assert!(
        received.is_empty(),
        "requests reached another origin (with credentials: {}): {received:?}",
        received.iter().any(|r| r.has_credentials())
    );
}

pub(crate) fn rules(report: &Value) -> Vec<String> {
    crate::support::findings(report)
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) fn left_behind(report: &Value) -> Vec<Value> {
    report["cleanup"]["left_behind"]
        .as_array()
        .unwrap_or_else(|| panic!("no left_behind list: {report}"))
        .clone()
}

/// Nothing the POSTs named was adopted: pre-seeded resources untouched, one left-behind entry
/// per POST, and no DELETE at all.
#[track_caller]
pub(crate) fn nothing_adopted(api: &Api, before: &[Option<Vec<u8>>], report: &Value) {
    untouched(api, before);
    assert_eq!(
        left_behind(report).len(),
        posts(api),
        "{}",
        report["cleanup"]
    );
    assert!(
        api.requests().iter().all(|r| r.method != "DELETE"),
        "nothing may be deleted"
    );
}

pub(crate) fn posts(api: &Api) -> usize {
    api.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.target == "/things")
        .count()
}

/// The scenario with `things` created by POST, its id read as `post_id` says.
pub(crate) fn post_scenario(post_id: &str) -> String {
    scenario(&format!("create = \"post\"\npost_id = \"{post_id}\"\n"), "").replace(
        "methods = [\"GET\", \"HEAD\", \"PUT\", \"DELETE\"]",
        "methods = [\"GET\", \"HEAD\", \"DELETE\"]",
    )
}

/// A script on `things` with these steps (TOML).
pub(crate) fn script(steps: &str) -> String {
    format!("\n[[scripts]]\nname = \"s\"\nresource = \"things\"\n{steps}")
}
