//! `/devices`: a device is rebooted idempotently by `PUT {"times_rebooted": n + 1}` where `n` is
//! its current count. Repeating that PUT (a retry) finds `times_rebooted == n + 1` already in
//! place and reboots nothing more; a stale or skipped count is a 409.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::bugs::{Bug, BugSet};
use super::clock::Clock;
use super::conditional::check_write;
use super::etag::strong_etag;
use super::extract::{ItemId, RawBody, json_object, kind};
use super::problem::Problem;
use super::reply::{self, Created};
use super::store::Device;
use super::{Answer, App, methods};

const COLLECTION: &str = "/devices";
const COLLECTION_ALLOW: &str = "GET, HEAD, OPTIONS";
const ITEM_ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS";

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route(COLLECTION, methods(COLLECTION_ALLOW).get(list))
        .route(
            "/devices/{id}",
            methods(ITEM_ALLOW).get(read).put(update).delete(remove),
        )
}

fn representation(id: &str, device: &Device) -> Value {
    json!({
        "id": id,
        "name": device.name,
        "times_rebooted": device.times_rebooted,
        "last_boot": device.last_boot,
        "updatedAt": device.updated_at,
    })
}

/// What a PUT body asks for.
struct Wanted {
    name: String,
    times_rebooted: u64,
}

/// Reads `{"name": string, "times_rebooted": non-negative integer}`; the server-managed members
/// a GET returns (`id`, which must match, `last_boot`, `updatedAt`) are accepted and ignored.
fn wanted(body: Map<String, Value>, id: &str) -> Result<Wanted, Problem> {
    let (mut name, mut times_rebooted) = (None, None);
    for (member, value) in body {
        match member.as_str() {
            "name" => name = Some(value),
            "times_rebooted" => times_rebooted = Some(value),
            "id" if value.as_str() == Some(id) => {}
            "id" => {
                return Err(Problem::bad_request(format!(
                    "the body's id ({value}) differs from the id in the path ({id:?})"
                )));
            }
            "last_boot" | "updatedAt" => {}
            other => {
                return Err(Problem::bad_request(format!(
                    "unknown member {other:?}; a device has \"name\" and \"times_rebooted\""
                )));
            }
        }
    }
    let Some(Value::String(name)) = name else {
        return Err(expected("\"name\"", "a string", name.as_ref()));
    };
    let Some(count) = times_rebooted.as_ref().and_then(Value::as_u64) else {
        let what = "a non-negative integer";
        return Err(expected(
            "\"times_rebooted\"",
            what,
            times_rebooted.as_ref(),
        ));
    };
    Ok(Wanted {
        name,
        times_rebooted: count,
    })
}

fn expected(member: &str, what: &str, got: Option<&Value>) -> Problem {
    let got = got.map_or("nothing", kind);
    Problem::bad_request(format!("{member} must be {what}; got {got}"))
}

async fn list(State(app): State<App>) -> Response {
    let devices = app.store.devices();
    let items: Vec<Value> = devices
        .iter()
        .map(|(id, device)| representation(id, device))
        .collect();
    reply::collection(items)
}

async fn read(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    ItemId(id): ItemId,
) -> Answer {
    let devices = app.store.devices();
    let device = devices
        .get(&id)
        .ok_or_else(|| Problem::not_found("device", &id))?;
    Ok(reply::representation(
        &headers,
        &method,
        representation(&id, device),
    ))
}

async fn update(
    State(app): State<App>,
    headers: HeaderMap,
    ItemId(id): ItemId,
    RawBody(bytes): RawBody,
) -> Answer {
    let wanted = wanted(json_object(&bytes)?, &id)?;
    let clock = &app.store.clock;
    let mut devices = app.store.devices();
    let Some(device) = devices.get_mut(&id) else {
        if wanted.times_rebooted != 0 {
            return Err(Problem::conflict(format!(
                "device {id:?} does not exist; create it with \"times_rebooted\": 0"
            )));
        }
        check_write(&headers, &Method::PUT, None)?;
        return Ok(create(&mut devices, id, wanted, clock));
    };
    let reboot = is_reboot(device, &wanted, app.bugs)?;
    let current = strong_etag(&representation(&id, device));
    check_write(&headers, &Method::PUT, Some(&current))?;
    apply(device, wanted, reboot, clock);
    Ok(reply::json(StatusCode::OK, representation(&id, device)))
}

/// Creates a device that has never been rebooted.
fn create(
    devices: &mut BTreeMap<String, Device>,
    id: String,
    wanted: Wanted,
    clock: &Clock,
) -> Response {
    let now = clock.tick();
    let device = Device {
        name: wanted.name,
        times_rebooted: 0,
        last_boot: now.clone(),
        updated_at: now,
    };
    let created = Created {
        status: StatusCode::CREATED,
        location: reply::location(COLLECTION, &id),
        body: representation(&id, &device),
    };
    devices.insert(id, device);
    created.into_response()
}

/// Whether a PUT reboots: `times_rebooted` one more than the current count reboots once; equal
/// to it reboots nothing (unless `reboot-repeat`); any other count is a conflict.
fn is_reboot(device: &Device, wanted: &Wanted, bugs: BugSet) -> Result<bool, Problem> {
    let current = device.times_rebooted;
    if current.checked_add(1) == Some(wanted.times_rebooted) {
        return Ok(true);
    }
    if wanted.times_rebooted == current {
        return Ok(bugs.contains(Bug::RebootRepeat));
    }
    Err(Problem::conflict(format!(
        "\"times_rebooted\" is {current}: send {current} to keep it or {} to reboot; got {}",
        current.saturating_add(1),
        wanted.times_rebooted
    )))
}

/// Renames and/or reboots; `updatedAt` moves only when something changes.
fn apply(device: &mut Device, wanted: Wanted, reboot: bool, clock: &Clock) {
    if !reboot && wanted.name == device.name {
        return;
    }
    let now = clock.tick();
    if reboot {
        device.times_rebooted = wanted.times_rebooted;
        device.last_boot = now.clone();
    }
    device.name = wanted.name;
    device.updated_at = now;
}

async fn remove(State(app): State<App>, headers: HeaderMap, ItemId(id): ItemId) -> Answer {
    let mut devices = app.store.devices();
    let device = devices
        .get(&id)
        .ok_or_else(|| Problem::not_found("device", &id))?;
    let current = strong_etag(&representation(&id, device));
    check_write(&headers, &Method::DELETE, Some(&current))?;
    devices.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
