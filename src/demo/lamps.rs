//! `/lamps`: a lamp the client switches ON or OFF with PUT, and the system marks BROKEN through
//! `POST /lamps/{id}/break`. A broken lamp refuses every PUT with 409 (unless `lamp-unbreak`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::bugs::Bug;
use super::conditional::check_write;
use super::etag::strong_etag;
use super::extract::{ItemId, RawBody, json_object, kind};
use super::problem::Problem;
use super::reply::{self, Created};
use super::store::{Lamp, LampState};
use super::{Answer, App, methods};

const COLLECTION: &str = "/lamps";
const COLLECTION_ALLOW: &str = "GET, HEAD, OPTIONS";
const ITEM_ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS";
const BREAK_ALLOW: &str = "POST, OPTIONS";

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route(COLLECTION, methods(COLLECTION_ALLOW).get(list))
        .route(
            "/lamps/{id}",
            methods(ITEM_ALLOW).get(read).put(switch).delete(remove),
        )
        .route("/lamps/{id}/break", methods(BREAK_ALLOW).post(break_lamp))
}

fn representation(id: &str, lamp: &Lamp) -> Value {
    json!({"id": id, "state": lamp.state.as_str(), "updatedAt": lamp.updated_at})
}

/// The state a PUT body asks for: `{"state": "ON" | "OFF"}`, optionally with the server-managed
/// `id` (which must match) and `updatedAt` (ignored) that a GET returned.
fn requested_state(body: Map<String, Value>, id: &str) -> Result<LampState, Problem> {
    let mut state = None;
    for (name, value) in body {
        match name.as_str() {
            "state" => state = Some(value),
            "id" if value.as_str() == Some(id) => {}
            "id" => {
                return Err(Problem::bad_request(format!(
                    "the body's id ({value}) differs from the id in the path ({id:?})"
                )));
            }
            "updatedAt" => {}
            other => {
                return Err(Problem::bad_request(format!(
                    "unknown member {other:?}; a lamp has only \"state\""
                )));
            }
        }
    }
    match state.as_ref().and_then(Value::as_str) {
        Some("ON") => Ok(LampState::On),
        Some("OFF") => Ok(LampState::Off),
        Some("BROKEN") => Err(Problem::unprocessable(
            "only the system marks a lamp BROKEN; a client may set ON or OFF",
        )),
        _ => Err(Problem::bad_request(format!(
            "\"state\" must be \"ON\" or \"OFF\"; got {}",
            state.as_ref().map_or("nothing", kind)
        ))),
    }
}

async fn list(State(app): State<App>) -> Response {
    let lamps = app.store.lamps();
    let items: Vec<Value> = lamps
        .iter()
        .map(|(id, lamp)| representation(id, lamp))
        .collect();
    reply::collection(items)
}

async fn read(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    ItemId(id): ItemId,
) -> Answer {
    let lamps = app.store.lamps();
    let lamp = lamps
        .get(&id)
        .ok_or_else(|| Problem::not_found("lamp", &id))?;
    Ok(reply::representation(
        &headers,
        &method,
        representation(&id, lamp),
    ))
}

async fn switch(
    State(app): State<App>,
    headers: HeaderMap,
    ItemId(id): ItemId,
    RawBody(bytes): RawBody,
) -> Answer {
    let wanted = requested_state(json_object(&bytes)?, &id)?;
    let mut lamps = app.store.lamps();
    let Some(lamp) = lamps.get_mut(&id) else {
        check_write(&headers, &Method::PUT, None)?;
        return Ok(create(&mut lamps, id, wanted, app.store.clock.tick()));
    };
    if lamp.state == LampState::Broken && !app.bugs.contains(Bug::LampUnbreak) {
        return Err(Problem::conflict(
            "lamp is broken; it cannot be switched until it is repaired",
        ));
    }
    let current = strong_etag(&representation(&id, lamp));
    check_write(&headers, &Method::PUT, Some(&current))?;
    if lamp.state != wanted {
        lamp.state = wanted;
        lamp.updated_at = app.store.clock.tick();
    }
    Ok(reply::json(StatusCode::OK, representation(&id, lamp)))
}

fn create(
    lamps: &mut BTreeMap<String, Lamp>,
    id: String,
    state: LampState,
    now: String,
) -> Response {
    let lamp = Lamp {
        state,
        updated_at: now,
    };
    let created = Created {
        status: StatusCode::CREATED,
        location: reply::location(COLLECTION, &id),
        body: representation(&id, &lamp),
    };
    lamps.insert(id, lamp);
    created.into_response()
}

async fn remove(State(app): State<App>, headers: HeaderMap, ItemId(id): ItemId) -> Answer {
    let mut lamps = app.store.lamps();
    let lamp = lamps
        .get(&id)
        .ok_or_else(|| Problem::not_found("lamp", &id))?;
    let current = strong_etag(&representation(&id, lamp));
    check_write(&headers, &Method::DELETE, Some(&current))?;
    lamps.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The system marks a lamp broken (a maintenance endpoint); breaking it again changes nothing.
async fn break_lamp(State(app): State<App>, ItemId(id): ItemId) -> Answer {
    let mut lamps = app.store.lamps();
    let lamp = lamps
        .get_mut(&id)
        .ok_or_else(|| Problem::not_found("lamp", &id))?;
    if lamp.state != LampState::Broken {
        lamp.state = LampState::Broken;
        lamp.updated_at = app.store.clock.tick();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
