//! `POST /things` with an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header-07): the
//! key is reserved before the work, a request with a key still in flight is answered 409, and
//! the stored answer is replayed to later retries. The work takes one storage round trip.
//!
//! Two planted bugs break the reservation: `key-race` looks the key up, then reserves it only
//! after a round trip (so requests sent together all find it free); `key-late-commit` keeps no
//! in-flight record and stores the key with the answer after the work (so a retry sent while the
//! first is processed runs again).

use axum::body::Bytes;
use axum::response::IntoResponse;

use super::bugs::Bug;
use super::idempotency::{self, Lookup};
use super::problem::Problem;
use super::race::{committed, round_trip};
use super::store::PostAnswer;
use super::things::post;
use super::{Answer, App};

/// Answers a keyed POST.
pub(super) async fn create(app: App, key: String, bytes: Bytes) -> Answer {
    let fingerprint = idempotency::fingerprint(&bytes);
    if let Some(answer) = earlier(&app, &key, fingerprint)? {
        return Ok(answer.into_response());
    }
    if app.bugs.contains(Bug::KeyRace) {
        // The lookup above was one query; the reservation is another, a round trip later.
        round_trip().await;
        app.store.things().keys.reserve(key.clone(), fingerprint);
    }
    // With `key-late-commit` nothing is reserved: the key is stored with the answer only.
    let answer = committed(async move {
        round_trip().await;
        let mut things = app.store.things();
        let answer = post(&mut things, &bytes, app.bugs, &app.store.clock);
        things.keys.remember(key, fingerprint, answer.clone());
        answer
    })
    .await?;
    Ok(answer.into_response())
}

/// The answer to replay or the problem to answer when the key was seen before; `None` when the
/// key is new. With the clean API the key is reserved in the same step, so no concurrent request
/// can find it free too.
fn earlier(app: &App, key: &str, fingerprint: u64) -> Result<Option<PostAnswer>, Problem> {
    let mut things = app.store.things();
    match things.keys.lookup(key, fingerprint) {
        Lookup::Replay(answer) => Ok(Some(answer)),
        Lookup::Mismatch => Err(Problem::unprocessable(format!(
            "Idempotency-Key {key:?} was already used with a different request body"
        ))),
        Lookup::InFlight => Err(Problem::conflict(format!(
            "a request with Idempotency-Key {key:?} is still being processed; retry later"
        ))),
        Lookup::Fresh => {
            let buggy = app.bugs.contains(Bug::KeyRace) || app.bugs.contains(Bug::KeyLateCommit);
            if !buggy {
                things.keys.reserve(key.to_string(), fingerprint);
            }
            Ok(None)
        }
    }
}
