//! `/notes`: POST-PUT creation under required preconditions.
//!
//! An empty `POST /notes` mints an empty note (201 with its Location) and publishes nothing;
//! the first PUT that gives a note content publishes it (`publications` becomes 1), later PUTs
//! only replace it. Every PUT must be conditional — `If-Match` or `If-None-Match` — and an
//! unconditional one is answered 428 Precondition Required (RFC 6585 §3); `If-None-Match: *`
//! creates a note under a client-chosen id. DELETE may be unconditional. Notes carry strong
//! ETags and honour conditional GET.
//!
//! Planted bugs: `no-428` accepts unconditional PUTs; `republish` publishes again on every PUT
//! with content, so a retried PUT repeats the side effect; `ifmatch-ignored`,
//! `ifnonematch-ignored` and `weak-etag-match` weaken the precondition evaluation as on things.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::bugs::{Bug, BugSet};
use super::conditional::{Lenience, check_write_with, has_precondition};
use super::etag::strong_etag;
use super::extract::{ItemId, RawBody, json_object};
use super::problem::Problem;
use super::reply::{self, Created};
use super::{Answer, App, methods};

const COLLECTION: &str = "/notes";
const COLLECTION_ALLOW: &str = "GET, HEAD, POST, OPTIONS";
const ITEM_ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS";

/// The notes table.
#[derive(Debug, Default)]
pub(super) struct Notes {
    live: BTreeMap<String, Note>,
    /// Ids handed out by POST so far.
    posted: u64,
}

/// One note: the members its client sent, and the server-managed ones.
#[derive(Debug, Clone, PartialEq)]
struct Note {
    members: Map<String, Value>,
    updated_at: String,
    /// How many times the note was published (its domain side effect): 0 while empty, then 1.
    publications: u64,
}

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route(COLLECTION, methods(COLLECTION_ALLOW).get(list).post(create))
        .route(
            "/notes/{id}",
            methods(ITEM_ALLOW).get(read).put(replace).delete(remove),
        )
}

fn representation(id: &str, note: &Note) -> Value {
    let mut body = note.members.clone();
    body.insert("id".into(), id.into());
    body.insert("updatedAt".into(), note.updated_at.clone().into());
    body.insert("publications".into(), note.publications.into());
    Value::Object(body)
}

/// The members a client may set: the body minus the server-managed ones; an empty body is an
/// empty note.
fn client_members(bytes: &[u8], id: Option<&str>) -> Result<Map<String, Value>, Problem> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    let mut body = json_object(bytes)?;
    if let (Some(sent), Some(id)) = (body.remove("id"), id)
        && sent.as_str() != Some(id)
    {
        return Err(Problem::bad_request(format!(
            "the body's id ({sent}) differs from the id in the path ({id:?})"
        )));
    }
    body.remove("updatedAt");
    body.remove("publications");
    Ok(body)
}

async fn list(State(app): State<App>) -> Response {
    let notes = app.store.notes();
    reply::collection(
        notes
            .live
            .iter()
            .map(|(id, note)| representation(id, note))
            .collect(),
    )
}

async fn read(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    ItemId(id): ItemId,
) -> Answer {
    let body = {
        let notes = app.store.notes();
        notes.live.get(&id).map(|note| representation(&id, note))
    };
    let body = body.ok_or_else(|| Problem::not_found("note", &id))?;
    Ok(reply::representation(&headers, &method, body))
}

/// `POST /notes`: a new note under the next server id; empty unless the body has members.
async fn create(State(app): State<App>, RawBody(bytes): RawBody) -> Answer {
    let members = client_members(&bytes, None)?;
    let mut notes = app.store.notes();
    notes.posted += 1;
    let id = format!("note-{:06}", notes.posted);
    let note = new_note(members, app.store.clock.tick());
    let body = representation(&id, &note);
    notes.live.insert(id.clone(), note);
    Ok(Created {
        status: StatusCode::CREATED,
        location: reply::location(COLLECTION, &id),
        body,
    }
    .into_response())
}

/// A note; one with content is published at once.
fn new_note(members: Map<String, Value>, updated_at: String) -> Note {
    Note {
        publications: u64::from(!members.is_empty()),
        members,
        updated_at,
    }
}

/// `PUT /notes/{id}`: conditional only; replaces a note, or creates one with
/// `If-None-Match: *`.
async fn replace(
    State(app): State<App>,
    headers: HeaderMap,
    ItemId(id): ItemId,
    RawBody(bytes): RawBody,
) -> Answer {
    let members = client_members(&bytes, Some(&id))?;
    if !has_precondition(&headers) && !app.bugs.contains(Bug::No428) {
        return Err(Problem::precondition_required(
            "notes are only written conditionally: send If-Match with the note's ETag (or If-None-Match: * to create one)",
        ));
    }
    let mut notes = app.store.notes();
    let current = notes
        .live
        .get(&id)
        .map(|note| strong_etag(&representation(&id, note)));
    check_write_with(
        &headers,
        &Method::PUT,
        current.as_deref(),
        Lenience::of(app.bugs),
    )?;
    let clock = &app.store.clock;
    if let Some(note) = notes.live.get_mut(&id) {
        fill(note, members, app.bugs, || clock.tick());
        return Ok(reply::json(StatusCode::OK, representation(&id, note)));
    }
    let note = new_note(members, clock.tick());
    let body = representation(&id, &note);
    notes.live.insert(id.clone(), note);
    Ok(Created {
        status: StatusCode::CREATED,
        location: reply::location(COLLECTION, &id),
        body,
    }
    .into_response())
}

/// Replaces a note's members; the first content publishes it (every content does, with
/// `republish`). `updatedAt` moves only when the members change.
fn fill(note: &mut Note, members: Map<String, Value>, bugs: BugSet, tick: impl FnOnce() -> String) {
    let has_content = !members.is_empty();
    if members != note.members {
        note.members = members;
        note.updated_at = tick();
    }
    if has_content && (note.publications == 0 || bugs.contains(Bug::Republish)) {
        note.publications += 1;
    }
}

async fn remove(State(app): State<App>, headers: HeaderMap, ItemId(id): ItemId) -> Answer {
    let mut notes = app.store.notes();
    let Some(note) = notes.live.get(&id) else {
        return Err(Problem::not_found("note", &id));
    };
    let current = strong_etag(&representation(&id, note));
    check_write_with(
        &headers,
        &Method::DELETE,
        Some(&current),
        Lenience::of(app.bugs),
    )?;
    notes.live.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
