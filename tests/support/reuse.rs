//! A json-server-style stand-in that reuses ids: `POST /things` gives the new item the id
//! `max(existing ids) + 1` (a number), so deleting the newest item frees its id for the next
//! POST. Otherwise it is a correct API: GET/HEAD/PUT/DELETE of `/things/{id}` (PUT replaces an
//! existing item and answers 404 for a missing one, and 412 when its `If-None-Match: *` fails),
//! `GET /things` answers the bare array.
//!
//! Reusing a freed id is legitimate (RFC 9110 says nothing against it); a tool that deletes a
//! resource and then reads or writes its URL again must make sure no request of its own was
//! handed that id in between.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The items, by numeric id.
type Items = Arc<Mutex<BTreeMap<u64, Value>>>;

/// The router of the id-reusing API.
pub(crate) fn router() -> Router {
    let items: Items = Arc::default();
    Router::new()
        .route("/things", get(list).post(create))
        .route("/things/{id}", get(read).put(replace).delete(remove))
        .with_state(items)
}

/// The scenario of the id-reusing API (`create = "post"`, numeric ids read from `/id`).
pub(crate) const SCENARIO: &str = r#"# A json-server-style API that reuses the id of a deleted newest item.
[target]
timeout = "5s"

[resources.things]
collection = "/things"
item = "/things/{id}"
create = "post"
post_id = "/id"
items = ""
methods = ["GET", "HEAD", "PUT", "DELETE"]
required = ["name", "size"]

[resources.things.body]
name = { gen = "string", chars = "alnum", min_len = 1, max_len = 24 }
size = { gen = "int", min = 1, max = 100 }
"#;

/// The ids the API at `base_url` holds, read directly.
pub(crate) fn held_ids(base_url: &str) -> std::collections::BTreeSet<String> {
    super::get_json(&format!("{base_url}/things"))
        .as_array()
        .expect("GET /things answers an array")
        .iter()
        .map(|item| item["id"].to_string())
        .collect()
}

async fn list(State(items): State<Items>) -> Response {
    let all: Vec<Value> = items.lock().unwrap().values().cloned().collect();
    axum::Json(all).into_response()
}

fn object(body: &Bytes) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

async fn create(State(items): State<Items>, body: Bytes) -> Response {
    let Some(mut members) = object(&body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object is required").into_response();
    };
    let mut items = items.lock().unwrap();
    let id = items.keys().next_back().map_or(1, |max| max + 1);
    members.insert("id".into(), json!(id));
    let item = Value::Object(members);
    items.insert(id, item.clone());
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/things/{id}"))],
        axum::Json(item),
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({}))).into_response()
}

async fn read(State(items): State<Items>, UrlPath(id): UrlPath<String>) -> Response {
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|id| items.lock().unwrap().get(&id).cloned());
    match found {
        Some(item) => axum::Json(item).into_response(),
        None => not_found(),
    }
}

async fn replace(
    State(items): State<Items>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(mut members) = object(&body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object is required").into_response();
    };
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let mut items = items.lock().unwrap();
    let Some(slot) = items.get_mut(&id) else {
        return not_found();
    };
    if super::star_fails(&headers, true) {
        return (StatusCode::PRECONDITION_FAILED, "precondition failed").into_response();
    }
    members.insert("id".into(), json!(id));
    *slot = Value::Object(members);
    axum::Json(slot.clone()).into_response()
}

async fn remove(State(items): State<Items>, UrlPath(id): UrlPath<String>) -> Response {
    let removed = id
        .parse::<u64>()
        .ok()
        .and_then(|id| items.lock().unwrap().remove(&id));
    match removed {
        Some(_) => (StatusCode::OK, axum::Json(json!({}))).into_response(),
        None => not_found(),
    }
}
