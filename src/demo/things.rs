//! `/things`: generic JSON items. PUT replaces, DELETE removes, GET reads through a cache, and
//! POST creates under a server-assigned id, honouring Idempotency-Key. Most planted bugs live
//! here, each behind one `bugs.contains(..)` test.

use std::ops::Bound;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::bugs::{Bug, BugSet};
use super::clock::Clock;
use super::conditional::{Lenience, check_write_with};
use super::etag::{digest, strong_etag};
use super::extract::{ItemId, RawBody, json_object};
use super::idempotency;
use super::keyed;
use super::problem::Problem;
use super::race::{committed, round_trip};
use super::reply::{self, Created};
use super::store::{PostAnswer, Thing, Things};
use super::{Answer, App, methods};

const COLLECTION: &str = "/things";
const COLLECTION_ALLOW: &str = "GET, HEAD, POST, OPTIONS";
const ITEM_ALLOW: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route(COLLECTION, methods(COLLECTION_ALLOW).get(list).post(create))
        .route(
            "/things/{id}",
            methods(ITEM_ALLOW)
                .get(read)
                .put(replace)
                .patch(merge)
                .delete(remove),
        )
}

/// The representation: the client members plus `id`, `updatedAt`, and the counters the
/// `put-counter` and `get-counter` bugs expose.
fn representation(id: &str, thing: &Thing, bugs: BugSet) -> Value {
    let mut body = thing.members.clone();
    body.insert("id".into(), id.into());
    body.insert("updatedAt".into(), thing.updated_at.clone().into());
    if bugs.contains(Bug::PutCounter) {
        body.insert("revision".into(), thing.revision.into());
    }
    if bugs.contains(Bug::GetCounter) {
        body.insert("views".into(), thing.views.into());
    }
    if bugs.contains(Bug::ReadBump) {
        body.insert("version".into(), thing.version.into());
    }
    Value::Object(body)
}

/// The members a client may set: the body minus the server-managed ones. A body `id` must
/// equal `id` (the path's, or `None` for POST, where any body `id` is ignored).
fn client_members(
    mut body: Map<String, Value>,
    id: Option<&str>,
    bugs: BugSet,
) -> Result<Map<String, Value>, Problem> {
    if let (Some(sent), Some(id)) = (body.remove("id"), id)
        && sent.as_str() != Some(id)
    {
        return Err(Problem::bad_request(format!(
            "the body's id ({sent}) differs from the id in the path ({id:?})"
        )));
    }
    body.remove("updatedAt");
    if bugs.contains(Bug::PutCounter) {
        body.remove("revision");
    }
    if bugs.contains(Bug::GetCounter) {
        body.remove("views");
    }
    if bugs.contains(Bug::ReadBump) {
        body.remove("version");
    }
    Ok(body)
}

async fn list(State(app): State<App>) -> Response {
    let things = app.store.things();
    let mut rows: Vec<(&String, &Thing)> = things
        .live
        .iter()
        .chain(things.duplicates.iter().map(|(id, thing)| (id, thing)))
        .collect();
    rows.sort_by_key(|(id, _)| *id);
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(id, thing)| representation(id, thing, app.bugs))
        .collect();
    reply::collection(items)
}

async fn read(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    ItemId(id): ItemId,
) -> Answer {
    let found = {
        let mut things = app.store.things();
        let body = read_through(&mut things, &id, &method, app.bugs, &app.store.clock);
        let revision = things.live.get(&id).map(|thing| thing.revision);
        body.map(|body| (body, revision))
    };
    let (body, revision) = found.ok_or_else(|| Problem::not_found("thing", &id))?;
    let etag = etag_of(&body, revision, app.bugs);
    let mut response = reply::tagged_representation(&headers, &method, body, etag);
    if method == Method::HEAD && app.bugs.contains(Bug::HeadMismatch) {
        mislabel(&mut response);
    }
    Ok(response)
}

/// The representation GET serves: the live thing (cached on the way), else the cache (stale
/// only with `stale-read`), else, with `get-or-create`, a new empty thing.
fn read_through(
    things: &mut Things,
    id: &str,
    method: &Method,
    bugs: BugSet,
    clock: &Clock,
) -> Option<Value> {
    if let Some(thing) = things.live.get_mut(id) {
        if bugs.contains(Bug::GetCounter) {
            thing.views += 1;
        }
        if *method == Method::GET && thing.writes >= 2 {
            thing.read_since_write = true;
        }
        let body = representation(id, thing, bugs);
        things.cache.insert(id.to_string(), body.clone());
        return Some(body);
    }
    if let Some(cached) = things.cache.get(id) {
        return Some(cached.clone());
    }
    if bugs.contains(Bug::TombstoneRevive) && things.tombstones.contains_key(id) {
        things.cached_tombstones.insert(id.to_string());
    }
    bugs.contains(Bug::GetOrCreate)
        .then(|| insert_new(things, id.to_string(), Map::new(), bugs, clock))
}

/// The strong tag of a live thing's representation, for evaluating a write's preconditions.
fn current_etag(things: &Things, id: &str, bugs: BugSet) -> Option<String> {
    let thing = things.live.get(id)?;
    Some(etag_of(
        &representation(id, thing, bugs),
        Some(thing.revision),
        bugs,
    ))
}

/// The tag of a representation; with `etag-churn`, it also depends on the write counter of
/// the live thing, so an identical PUT changes it.
fn etag_of(body: &Value, revision: Option<u64>, bugs: BugSet) -> String {
    match revision {
        Some(revision) if bugs.contains(Bug::EtagChurn) => {
            format!("\"{:016x}-w{revision}\"", digest(body))
        }
        _ => strong_etag(body),
    }
}

/// The `head-mismatch` bug: HEAD drops the ETag and claims a different media type.
fn mislabel(response: &mut Response) {
    let headers = response.headers_mut();
    headers.remove(header::ETAG);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
}

async fn replace(
    State(app): State<App>,
    headers: HeaderMap,
    ItemId(id): ItemId,
    RawBody(bytes): RawBody,
) -> Answer {
    let members = client_members(json_object(&bytes)?, Some(&id), app.bugs)?;
    if app.bugs.contains(Bug::PutRace) && !exists_after_check(&app, &headers, &id)? {
        return Ok(race_insert(app, id, members).await?.into_response());
    }
    let mut things = app.store.things();
    check_write_with(
        &headers,
        &Method::PUT,
        current_etag(&things, &id, app.bugs).as_deref(),
        Lenience::of(app.bugs),
    )?;
    if let Some(thing) = things.live.get_mut(&id) {
        overwrite(thing, members, app.bugs, &app.store.clock);
        let body = representation(&id, thing, app.bugs);
        things.cache.insert(id, body.clone());
        return Ok(reply::json(StatusCode::OK, body));
    }
    let members = revive(&things, &id, members, app.bugs);
    let body = insert_new(&mut things, id.clone(), members, app.bugs, &app.store.clock);
    let status = if app.bugs.contains(Bug::PutCreate200) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = reply::location(COLLECTION, &id);
    Ok(Created {
        status,
        location,
        body,
    }
    .into_response())
}

/// `put-race`, first query: evaluates the preconditions and says whether the thing exists.
fn exists_after_check(app: &App, headers: &HeaderMap, id: &str) -> Result<bool, Problem> {
    let things = app.store.things();
    let current = current_etag(&things, id, app.bugs);
    check_write_with(
        headers,
        &Method::PUT,
        current.as_deref(),
        Lenience::of(app.bugs),
    )?;
    Ok(current.is_some())
}

/// `put-race`, second query a round trip after the check: inserts a row for the id without
/// looking again, so PUTs that raced past the check each insert one (the table has no unique
/// key). Every racer answers 201.
async fn race_insert(
    app: App,
    id: String,
    members: Map<String, Value>,
) -> Result<Created, Problem> {
    committed(async move {
        round_trip().await;
        let mut things = app.store.things();
        let location = reply::location(COLLECTION, &id);
        let body = if things.live.contains_key(&id) {
            let thing = Thing::new(members, app.store.clock.tick());
            let body = representation(&id, &thing, app.bugs);
            things.duplicates.push((id, thing));
            body
        } else {
            insert_new(&mut things, id, members, app.bugs, &app.store.clock)
        };
        Created {
            status: StatusCode::CREATED,
            location,
            body,
        }
    })
    .await
}

/// Replaces the client members (merges them with `merge-put`, and with `post-put-merge` on
/// things created by POST). `updatedAt` moves only when the members change; `put-counter`
/// counts every write; `read-bump` bumps `version` on an identical PUT after a GET.
fn overwrite(thing: &mut Thing, sent: Map<String, Value>, bugs: BugSet, clock: &Clock) {
    let merges =
        bugs.contains(Bug::MergePut) || (bugs.contains(Bug::PostPutMerge) && thing.via_post);
    let next = if merges {
        let mut merged = thing.members.clone();
        merged.extend(sent);
        merged
    } else {
        sent
    };
    if bugs.contains(Bug::ReadBump) && thing.read_since_write && next == thing.members {
        thing.version += 1;
    }
    if next != thing.members {
        thing.members = next;
        thing.updated_at = clock.tick();
    }
    thing.revision += 1;
    thing.writes += 1;
    thing.read_since_write = false;
}

/// `PATCH` with a JSON Merge Patch (RFC 7396): the thing must exist; answers the new
/// representation.
async fn merge(
    State(app): State<App>,
    headers: HeaderMap,
    ItemId(id): ItemId,
    RawBody(bytes): RawBody,
) -> Answer {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !media_type.starts_with("application/merge-patch+json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "PATCH takes application/merge-patch+json (RFC 7396)",
        ));
    }
    let patch = client_members(json_object(&bytes)?, Some(&id), app.bugs)?;
    let mut things = app.store.things();
    check_write_with(
        &headers,
        &Method::PATCH,
        current_etag(&things, &id, app.bugs).as_deref(),
        Lenience::of(app.bugs),
    )?;
    let thing = things
        .live
        .get_mut(&id)
        .ok_or_else(|| Problem::not_found("thing", &id))?;
    let mut next = thing.members.clone();
    super::merge_patch::apply(&mut next, &patch);
    if next != thing.members {
        thing.members = next;
        thing.updated_at = app.store.clock.tick();
    }
    thing.read_since_write = false;
    let body = representation(&id, thing, app.bugs);
    things.cache.insert(id, body.clone());
    Ok(reply::json(StatusCode::OK, body))
}

/// The members of a thing created by PUT; with `resurrect`, a deleted thing's old members come
/// back under the sent ones.
fn revive(things: &Things, id: &str, sent: Map<String, Value>, bugs: BugSet) -> Map<String, Value> {
    let revives = bugs.contains(Bug::Resurrect)
        || (bugs.contains(Bug::TombstoneRevive) && things.cached_tombstones.contains(id));
    let Some(old) = things.tombstones.get(id).filter(|_| revives) else {
        return sent;
    };
    let mut members = old.clone();
    members.extend(sent);
    members
}

/// Creates a thing, forgetting any earlier deleted one of that id; returns its representation.
fn insert_new(
    things: &mut Things,
    id: String,
    members: Map<String, Value>,
    bugs: BugSet,
    clock: &Clock,
) -> Value {
    let thing = Thing::new(members, clock.tick());
    let body = representation(&id, &thing, bugs);
    things.tombstones.remove(&id);
    things.cached_tombstones.remove(&id);
    things.cache.insert(id.clone(), body.clone());
    things.live.insert(id, thing);
    body
}

async fn remove(State(app): State<App>, headers: HeaderMap, ItemId(id): ItemId) -> Answer {
    let mut things = app.store.things();
    if let Some(current) = current_etag(&things, &id, app.bugs) {
        check_write_with(
            &headers,
            &Method::DELETE,
            Some(&current),
            Lenience::of(app.bugs),
        )?;
        bury(&mut things, &id, app.bugs);
        if app.bugs.contains(Bug::DeleteOther)
            && let Some(next) = id_after(&things, &id)
        {
            bury(&mut things, &next, app.bugs);
        }
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if app.bugs.contains(Bug::Delete500) && things.tombstones.contains_key(&id) {
        return Err(Problem::internal("tombstone already exists for this id"));
    }
    Err(Problem::not_found("thing", &id))
}

/// Deletes a live thing, keeping its members in a tombstone; the cache entry goes too, unless
/// the `stale-read` bug forgets to invalidate it.
fn bury(things: &mut Things, id: &str, bugs: BugSet) {
    if let Some(thing) = things.live.remove(id) {
        things.tombstones.insert(id.to_string(), thing.members);
    }
    things.duplicates.retain(|(row, _)| row != id);
    if !bugs.contains(Bug::StaleRead) {
        things.cache.remove(id);
    }
}

/// The id of the live thing sorting right after `id`, if any.
fn id_after(things: &Things, id: &str) -> Option<String> {
    things
        .live
        .range::<str, _>((Bound::Excluded(id), Bound::Unbounded))
        .next()
        .map(|(next, _)| next.clone())
}

async fn create(State(app): State<App>, headers: HeaderMap, RawBody(bytes): RawBody) -> Answer {
    let key = if app.bugs.contains(Bug::PostKeyIgnored) {
        None
    } else {
        idempotency::key(&headers)?
    };
    match key {
        Some(key) => keyed::create(app, key, bytes).await,
        None => {
            let mut things = app.store.things();
            Ok(post(&mut things, &bytes, app.bugs, &app.store.clock).into_response())
        }
    }
}

/// Creates a thing from a POST body under the next free server id.
pub(super) fn post(things: &mut Things, bytes: &[u8], bugs: BugSet, clock: &Clock) -> PostAnswer {
    let members = client_members(json_object(bytes)?, None, bugs)?;
    let id = next_free_id(things);
    let location = reply::location(COLLECTION, &id);
    let body = insert_new(things, id.clone(), members, bugs, clock);
    if let Some(thing) = things.live.get_mut(&id) {
        thing.via_post = true;
    }
    Ok(Created {
        status: StatusCode::CREATED,
        location,
        body,
    })
}

/// `srv-000001`, `srv-000002`, …, skipping ids a client already took with PUT.
fn next_free_id(things: &mut Things) -> String {
    loop {
        things.posted += 1;
        let id = format!("srv-{:06}", things.posted);
        if !things.live.contains_key(&id) {
            return id;
        }
    }
}
