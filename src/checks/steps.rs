//! Steps the concurrency, lost-response and conditional-request checks share: reading an item
//! with its entity tag, creating under a required precondition, sending copies of a request
//! together, retrying a keyed POST until it is no longer in flight, and finding what a POST
//! created by its body (for requests whose answer idemfuzz never read).

use std::time::Duration;

use serde_json::Value;

use crate::model::exchange::{Exchange, Method};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, IdempotencyKey, Resource, TemplateNode};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::ItemSnapshot;

pub(crate) const IF_MATCH: &str = "If-Match";
pub(crate) const IF_NONE_MATCH: &str = "If-None-Match";

/// Retries of a keyed POST answered "in flight" before giving up.
pub(crate) const MAX_IN_FLIGHT_RETRIES: u32 = 5;
/// Pause before the n-th retry of a request answered "in flight" (n × this).
const IN_FLIGHT_BACKOFF: Duration = Duration::from_millis(100);

/// How long a key must live for the keyed retries of a case, which all happen within this
/// time of the first request.
pub(crate) const KEY_LIFETIME_NEEDED: Duration = Duration::from_secs(60);

/// Why keyed retries cannot be judged on a resource whose keys expire too soon, if they cannot.
pub(crate) fn key_expires_too_soon(key: &IdempotencyKey) -> Option<String> {
    let lifetime = key.expires_after?;
    (lifetime < KEY_LIFETIME_NEEDED).then(|| {
        format!(
            "keys expire after {} (`expires_after`), sooner than the {} idemfuzz's keyed retries may take",
            humantime::format_duration(lifetime),
            humantime::format_duration(KEY_LIFETIME_NEEDED),
        )
    })
}

/// An item GET, with its headers (for the ETag).
#[derive(Debug, Clone)]
pub(crate) struct Read {
    pub(crate) exchange: Exchange,
    pub(crate) snapshot: ItemSnapshot,
}

impl Read {
    /// The `ETag` field of the answer, when it sent one.
    pub(crate) fn etag(&self) -> Option<&str> {
        self.exchange.response.header("etag")
    }
}

/// GET of an item, keeping the whole exchange.
pub(crate) async fn read(
    session: &mut Session<'_>,
    id: &str,
    purpose: &str,
) -> Result<Read, CaseError> {
    let index = session
        .send(
            purpose,
            Req::new(Method::Get, session.resource.item_path(id)),
        )
        .await?;
    let exchange = session.exchange(index).clone();
    let snapshot = session.item_snapshot(index);
    Ok(Read { exchange, snapshot })
}

/// Creates a fresh resource with `body` and returns its id. When the resource requires
/// preconditions, a creating PUT carries `If-None-Match: *` (create only).
pub(crate) async fn create(
    session: &mut Session<'_>,
    body: &Value,
    purpose: &str,
) -> Result<String, CaseError> {
    let resource = session.resource;
    if resource.create == CreateMode::Put && resource.conditional.preconditions_required {
        let id = session.fresh_id();
        let req = Req::new(Method::Put, resource.item_path(&id))
            .body(body)
            .header(IF_NONE_MATCH, "*");
        let index = session
            .send(format!("{purpose}, If-None-Match: *"), req)
            .await?;
        session.require_success(index)?;
        return Ok(id);
    }
    Ok(session.create(body, purpose).await?.id)
}

/// A PUT of `body` to an item meant to apply to whatever version is current: `If-Match: *`
/// when the resource requires preconditions (the item must exist), unconditional otherwise.
pub(crate) fn overwrite(resource: &Resource, id: &str, body: &Value) -> Req {
    let req = Req::new(Method::Put, resource.item_path(id)).body(body);
    if resource.conditional.preconditions_required {
        req.header(IF_MATCH, "*")
    } else {
        req
    }
}

/// Sends `clients` copies of `req` together (one connection each, released at once) and
/// returns their exchanges in client order (the session adopts what a POST's 201s name).
pub(crate) async fn together(
    session: &mut Session<'_>,
    label: &str,
    req: &Req,
    clients: u32,
) -> Result<Vec<Exchange>, CaseError> {
    let sends = (1..=clients)
        .map(|n| {
            (
                format!("{label} (client {n} of {clients}, released together)"),
                req.clone(),
            )
        })
        .collect();
    let indexes = session.send_together(sends).await?;
    Ok(indexes
        .into_iter()
        .map(|index| session.exchange(index).clone())
        .collect())
}

/// A POST of `body` to the collection with the key `value` (already quoted).
pub(crate) fn keyed_post(
    resource: &Resource,
    key: &IdempotencyKey,
    value: &str,
    body: &Value,
) -> Req {
    Req::new(Method::Post, resource.collection.clone())
        .body(body)
        .header(&key.header, value)
}

/// A fresh key, quoted as a structured-field string.
pub(crate) fn fresh_key(session: &mut Session<'_>) -> String {
    format!("\"{}\"", session.fresh_key())
}

/// Sends a keyed POST; while it is answered with one of the key's in-flight statuses, waits a
/// little longer each time and sends it again (at most [`MAX_IN_FLIGHT_RETRIES`] times).
/// Adopts any resource a 201 names. Returns every exchange, in order.
pub(crate) async fn post_until_settled(
    session: &mut Session<'_>,
    key: &IdempotencyKey,
    req: &Req,
    purpose: &str,
) -> Result<Vec<Exchange>, CaseError> {
    let mut sent = Vec::new();
    for attempt in 0..=MAX_IN_FLIGHT_RETRIES {
        if attempt > 0 {
            tokio::time::sleep(IN_FLIGHT_BACKOFF * attempt).await;
        }
        let label = match attempt {
            0 => purpose.to_string(),
            n => format!("{purpose} (again, {n} after an in-flight answer)"),
        };
        let index = session.send(label, req.clone()).await?;
        session.adopt_created(index).await?;
        let exchange = session.exchange(index).clone();
        let in_flight = key.in_flight_statuses.contains(&exchange.response.status);
        sent.push(exchange);
        if !in_flight {
            break;
        }
    }
    Ok(sent)
}

/// The ids of every listed item that holds `body`, or `None` when the collection gave no
/// readable list. Reads the whole collection (read-only), not only the case's items.
pub(crate) async fn ids_holding(
    session: &mut Session<'_>,
    body: &Value,
    purpose: &str,
) -> Result<Option<Vec<String>>, CaseError> {
    let items = session.list_collection(purpose).await?;
    Ok(items.map(|items| {
        crate::checks::matching::ids_holding(&items, body, &session.resource.id_field)
    }))
}

/// What a step created, judged by body: the ids listed after it and not before.
pub(crate) fn created(before: Option<&[String]>, after: Option<&[String]>) -> Option<Vec<String>> {
    let (before, after) = (before?, after?);
    Some(
        after
            .iter()
            .filter(|id| !before.contains(id))
            .cloned()
            .collect(),
    )
}

/// Records every id in `created` that the case does not own as unproven (left behind).
pub(crate) fn note_orphans(session: &Session<'_>, created: Option<&[String]>) {
    for id in created.unwrap_or_default() {
        if !session.owned_ids().contains(id) {
            session.note_unproven(id);
        }
    }
}

/// A body different from each of `others`, as far as the template allows.
pub(crate) fn body_unlike(
    generator: &mut BodyGenerator,
    template: &TemplateNode,
    others: &[&Value],
) -> Value {
    let Some(first) = others.first() else {
        return generator.generate(template);
    };
    let mut body = generator.generate_different(template, first);
    for _ in 0..16 {
        if !others.contains(&&body) {
            break;
        }
        body = generator.generate_different(template, first);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_ids_are_the_new_ones() {
        let before = vec!["a".to_string()];
        let after = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            created(Some(&before), Some(&after)),
            Some(vec!["b".to_string()])
        );
        assert_eq!(created(None, Some(&after)), None);
    }
}
