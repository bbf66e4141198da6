//! `lost-response-retry`: a write whose response is lost is retried, and the retry must leave
//! the state of one application (RFC 9110 §9.2.2; for POST, draft-ietf-httpapi-idempotency-key-
//! header-07). The first request is written and its connection closed, unread, once the server
//! begins to answer; the identical request is then sent again — and, in a second round, sent
//! again while the first is still in flight.
//!
//! PUT: exactly one resource with the state one PUT gives. POST with an Idempotency-Key: exactly
//! one resource. POST without a key (the API declares none): a duplicate is only reported (info):
//! POST is not idempotent, though the API gives clients no way to retry safely.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::fit::Need;
use crate::checks::matching::{client_part, member_names, rows_with_id};
use crate::checks::outline::{Outline, To, send};
use crate::checks::steps;
use crate::checks::verdict::{answered, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, IdField, IdempotencyKey, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// The check.
pub(crate) struct LostResponseRetry;

impl Check for LostResponseRetry {
    const ID: CheckId = CheckId::LostResponseRetry;
    const OWN_CONNECTIONS: bool = true;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    /// It counts what a retried write created by the listed items that hold its body, and
    /// compares states with a reference.
    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected, Need::Listing].into()
    }

    fn notes(&self, resource: &Resource, _: bool) -> Vec<String> {
        notes(resource)
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let mut steps = Outline::new();
        if put_part_skip(resource).is_none() {
            steps.extend(put_outline(resource));
        }
        steps.extend(post_outline(resource));
        steps
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        _: &(),
        canons: &Canons,
    ) -> Vec<Violation> {
        judge(record, &canons.full, &resource.id_field)
    }
}

/// The PUT part of a case.
fn put_outline(resource: &Resource) -> Outline {
    let (item, collection) = (&resource.item, &resource.collection);
    let retried = [
        send(Method::Put, To::Item).times(2),
        send(Method::Get, To::Item),
    ];
    Outline::new()
        .step(
            format!(
                "PUT {item} body A to a new id, answer not read (lost response); the same PUT again; GET {item}"
            ),
            retried,
        )
        .step(
            format!(
                "PUT {item} body A to another new id, answer not read; the same PUT while it is in flight; GET {item}"
            ),
            retried,
        )
        .step(
            format!("PUT {item} body A on a fresh id, GET it (reference); GET {collection}"),
            [
                send(Method::Put, To::Item),
                send(Method::Get, To::Item),
                send(Method::Get, To::Collection),
            ],
        )
}

/// The POST part of a case.
fn post_outline(resource: &Resource) -> Outline {
    let collection = &resource.collection;
    let count = send(Method::Get, To::Collection);
    let post = send(Method::Post, To::Collection);
    let settling = steps::MAX_IN_FLIGHT_RETRIES + 1;
    match post_mode(resource) {
        PostMode::Keyed(key) => {
            let header = &key.header;
            Outline::new()
                .step(
                    format!(
                        "GET {collection} (count); POST {collection} body B with a new {header}, answer not read; the same POST again (until not in flight); GET {collection} (count)"
                    ),
                    [count, post, post.between(1, settling), count],
                )
                .step(
                    format!(
                        "GET {collection} (count); POST {collection} body C with a new {header}, answer not read; the same POST while it is in flight; GET {collection} (count)"
                    ),
                    [count, post.times(2), post.between(0, settling), count],
                )
        }
        PostMode::Unkeyed => Outline::new().step(
            format!(
                "GET {collection} (count); POST {collection} body D without a key, answer not read; the same POST again; GET {collection} (count)"
            ),
            [count, post.times(2), count],
        ),
        PostMode::NotRun(_) => Outline::new(),
    }
}

/// How the POST part runs on a resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PostMode {
    Keyed(IdempotencyKey),
    Unkeyed,
    NotRun(String),
}

/// Why the PUT part cannot run on a resource, if it cannot.
pub(crate) fn put_part_skip(resource: &Resource) -> Option<String> {
    if !resource.supports(Method::Put) {
        Some("the resource declares no PUT".into())
    } else if resource.create != CreateMode::Put {
        Some("the resource is created by POST, so there is no new id to PUT to".into())
    } else if resource.conditional.preconditions_required {
        Some("the resource requires preconditions, so an unconditional PUT is answered 428".into())
    } else {
        None
    }
}

/// How the POST part runs on a resource.
pub(crate) fn post_mode(resource: &Resource) -> PostMode {
    if resource.post_id.is_none() {
        return PostMode::NotRun("the collection accepts no POST (no `post_id`)".into());
    }
    if let Some(reason) = crate::checks::representation::counting_skip(resource) {
        return PostMode::NotRun(reason);
    }
    match &resource.idempotency_key {
        None => PostMode::Unkeyed,
        Some(key) => match steps::key_expires_too_soon(key) {
            Some(reason) => PostMode::NotRun(reason),
            None => PostMode::Keyed(key.clone()),
        },
    }
}

/// Why the check cannot run on a resource, if neither part can.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    match (put_part_skip(resource), post_mode(resource)) {
        (Some(put), PostMode::NotRun(post)) => Some(format!("PUT part: {put}; POST part: {post}")),
        _ => None,
    }
}

/// Notes for the report about parts that do not run, or run without a key.
pub(crate) fn notes(resource: &Resource) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(reason) = put_part_skip(resource) {
        notes.push(format!("PUT part not run: {reason}"));
    }
    match post_mode(resource) {
        PostMode::NotRun(reason) => notes.push(format!("POST part not run: {reason}")),
        PostMode::Unkeyed => notes.push(
            "POST part run without Idempotency-Key (the scenario declares no key support): a duplicate is reported as info (POST is not idempotent), and the resource the unread POST created is left behind".into(),
        ),
        PostMode::Keyed(_) => {}
    }
    notes
}

/// A PUT and its retry.
#[derive(Debug, Clone)]
pub(crate) struct PutRetry {
    pub(crate) id: String,
    pub(crate) retry: Exchange,
    pub(crate) after: ItemSnapshot,
}

/// The PUT part.
#[derive(Debug, Clone)]
pub(crate) struct PutRetries {
    pub(crate) lost: PutRetry,
    pub(crate) in_flight: PutRetry,
    /// One PUT of the same body to a fresh id: the state of one application.
    pub(crate) reference_id: String,
    pub(crate) reference: ItemSnapshot,
    /// The top-level members of the body: the part of two resources' states that compares.
    pub(crate) members: Vec<String>,
    pub(crate) collection: CollectionSnapshot,
}

/// A POST and its retries.
#[derive(Debug, Clone)]
pub(crate) struct PostRetry {
    /// The retries, in order (more than one when the API answered "in flight").
    pub(crate) retries: Vec<Exchange>,
    /// Ids of listed items holding the body that appeared during the step.
    pub(crate) created: Option<Vec<String>>,
    /// Those of them the case could not adopt (left behind).
    pub(crate) orphans: Vec<String>,
}

/// The POST part: with a key, a lost-response retry and an in-flight retry; without one
/// (`key` is `None`), a lost-response retry only.
#[derive(Debug, Clone)]
pub(crate) struct PostRetries {
    pub(crate) key: Option<IdempotencyKey>,
    pub(crate) lost: PostRetry,
    pub(crate) in_flight: Option<PostRetry>,
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) put: Option<PutRetries>,
    pub(crate) post: Option<PostRetries>,
}

/// Runs the parts the resource supports.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let put = match put_part_skip(session.resource) {
        None => Some(execute_put(session, generator).await?),
        Some(_) => None,
    };
    let post = match post_mode(session.resource) {
        PostMode::Keyed(key) => Some(execute_keyed(session, generator, key).await?),
        PostMode::Unkeyed => Some(PostRetries {
            key: None,
            lost: execute_unkeyed(session, generator).await?,
            in_flight: None,
        }),
        PostMode::NotRun(_) => None,
    };
    Ok(Record { put, post })
}

async fn execute_put(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<PutRetries, CaseError> {
    let body = generator.generate(&session.resource.body);
    let lost = put_lost(session, &body).await?;
    let in_flight = put_in_flight(session, &body).await?;
    let reference_id = session.fresh_id();
    let index = session
        .put(
            &reference_id,
            &body,
            "reference: one PUT of body A to a fresh id",
        )
        .await?;
    session.require_success(index)?;
    let reference = session
        .get_item(&reference_id, "snapshot the reference")
        .await?;
    let collection = session
        .get_collection("snapshot collection after the retried PUTs")
        .await?;
    Ok(PutRetries {
        lost,
        in_flight,
        reference_id,
        reference,
        members: member_names(&[&body]),
        collection,
    })
}

async fn put_lost(session: &mut Session<'_>, body: &Value) -> Result<PutRetry, CaseError> {
    let id = session.fresh_id();
    let put = Req::new(Method::Put, session.resource.item_path(&id)).body(body);
    session
        .send_lost(
            "PUT body A to a new id; connection closed before the answer was read (lost response)",
            put.clone(),
        )
        .await?;
    let retry = session
        .send("retry: the same PUT after the lost response", put)
        .await?;
    let after = session
        .get_item(&id, "snapshot after the retry (lost response)")
        .await?;
    Ok(PutRetry {
        retry: session.exchange(retry).clone(),
        id,
        after,
    })
}

async fn put_in_flight(session: &mut Session<'_>, body: &Value) -> Result<PutRetry, CaseError> {
    let id = session.fresh_id();
    let put = Req::new(Method::Put, session.resource.item_path(&id)).body(body);
    let unanswered = session
        .send_unread(
            "PUT body A to another new id; its answer is never read",
            put.clone(),
        )
        .await?;
    let retry = session
        .send("retry: the same PUT while the first is in flight", put)
        .await?;
    session.abandon(unanswered).await?;
    let after = session
        .get_item(&id, "snapshot after the retry (in flight)")
        .await?;
    Ok(PutRetry {
        retry: session.exchange(retry).clone(),
        id,
        after,
    })
}

async fn execute_keyed(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    key: IdempotencyKey,
) -> Result<PostRetries, CaseError> {
    let body_b = generator.generate(&session.resource.body);
    let lost = keyed_lost(session, &key, &body_b).await?;
    let body_c = generator.generate_different(&session.resource.body, &body_b);
    let in_flight = keyed_in_flight(session, &key, &body_c).await?;
    Ok(PostRetries {
        key: Some(key),
        lost,
        in_flight: Some(in_flight),
    })
}

async fn keyed_lost(
    session: &mut Session<'_>,
    key: &IdempotencyKey,
    body: &Value,
) -> Result<PostRetry, CaseError> {
    let value = steps::fresh_key(session);
    let post = steps::keyed_post(session.resource, key, &value, body);
    let before = steps::ids_holding(session, body, "count resources with body B before").await?;
    session
        .send_lost(
            "POST body B with a new key; connection closed before the answer was read (lost response)",
            post.clone(),
        )
        .await?;
    let retry = "retry: the same key and body after the lost response";
    let retries = steps::post_until_settled(session, key, &post, retry).await?;
    let after = steps::ids_holding(session, body, "count resources with body B after").await?;
    Ok(finish_post(session, retries, before, after))
}

async fn keyed_in_flight(
    session: &mut Session<'_>,
    key: &IdempotencyKey,
    body: &Value,
) -> Result<PostRetry, CaseError> {
    let value = steps::fresh_key(session);
    let post = steps::keyed_post(session.resource, key, &value, body);
    let before = steps::ids_holding(session, body, "count resources with body C before").await?;
    let unanswered = session
        .send_unread(
            "POST body C with a new key; its answer is never read",
            post.clone(),
        )
        .await?;
    let retry = session
        .send(
            "retry: the same key and body while the first is in flight",
            post.clone(),
        )
        .await?;
    session.adopt_created(retry).await?;
    let mut retries = vec![session.exchange(retry).clone()];
    session.abandon(unanswered).await?;
    if key.in_flight_statuses.contains(&retries[0].response.status) {
        let again = "retry again: the first has answered meanwhile";
        retries.extend(steps::post_until_settled(session, key, &post, again).await?);
    }
    let after = steps::ids_holding(session, body, "count resources with body C after").await?;
    Ok(finish_post(session, retries, before, after))
}

async fn execute_unkeyed(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<PostRetry, CaseError> {
    let body = generator.generate(&session.resource.body);
    let post = Req::new(Method::Post, session.resource.collection.clone()).body(&body);
    let before = steps::ids_holding(session, &body, "count resources with body D before").await?;
    session
        .send_lost(
            "POST body D without a key; connection closed before the answer was read (lost response)",
            post,
        )
        .await?;
    let (retry, _) = session
        .post(
            &body,
            &[],
            "retry: the same POST after the lost response, no key",
        )
        .await?;
    let retries = vec![session.exchange(retry).clone()];
    let after = steps::ids_holding(session, &body, "count resources with body D after").await?;
    Ok(finish_post(session, retries, before, after))
}

/// What a POST step created, and which of it the case could not adopt.
fn finish_post(
    session: &Session<'_>,
    retries: Vec<Exchange>,
    before: Option<Vec<String>>,
    after: Option<Vec<String>>,
) -> PostRetry {
    let created = steps::created(before.as_deref(), after.as_deref());
    steps::note_orphans(session, created.as_deref());
    let orphans = created
        .iter()
        .flatten()
        .filter(|id| !session.owned_ids().contains(id))
        .cloned()
        .collect();
    PostRetry {
        retries,
        created,
        orphans,
    }
}

/// When a retry was sent: its words for titles and its part of rule slugs.
#[derive(Debug, Clone, Copy)]
struct Round {
    when: &'static str,
    slug: &'static str,
}

const AFTER_LOST: Round = Round {
    when: "after a lost response",
    slug: "lost",
};
const IN_FLIGHT: Round = Round {
    when: "while the first was in flight",
    slug: "in-flight",
};

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon, id_field: &IdField) -> Vec<Violation> {
    let mut found = Vec::new();
    if let Some(put) = &record.put {
        for (round, retry) in [(AFTER_LOST, &put.lost), (IN_FLIGHT, &put.in_flight)] {
            found.extend(judge_put(put, retry, round, canon, id_field));
        }
    }
    if let Some(post) = &record.post {
        match &post.key {
            Some(key) => {
                found.extend(judge_keyed(key, &post.lost, AFTER_LOST));
                if let Some(in_flight) = &post.in_flight {
                    found.extend(judge_keyed(key, in_flight, IN_FLIGHT));
                }
            }
            None => found.extend(judge_unkeyed(&post.lost)),
        }
    }
    found
}

fn judge_put(
    put: &PutRetries,
    retry: &PutRetry,
    round: Round,
    canon: &Canon,
    id_field: &IdField,
) -> Vec<Violation> {
    let (when, part) = (round.when, round.slug);
    let mut found = Vec::new();
    let rows = put
        .collection
        .items
        .as_ref()
        .map_or(0, |items| rows_with_id(items, &retry.id, id_field));
    if rows >= 2 {
        found.push(
            Violation::error(format!("a PUT retried {when} created {rows} resources"))
                .rule(format!("put-{part}-duplicate"))
                .expected("exactly one resource with that id: the retry has the effect of one PUT (RFC 9110 §9.2.2)")
                .observed(format!("the collection lists the id {} {rows} times", retry.id)),
        );
    }
    let never_created = !retry.after.exists() && !retry.retry.response.is_success();
    if never_created {
        found.push(
            Violation::warning(format!(
                "neither a PUT whose answer was not read nor its retry {when} created the resource"
            ))
            .rule(format!("put-{part}-not-created"))
            .expected("the resource, created by one of them")
            .observed(format!(
                "{}; GET answered {}",
                answered(&retry.retry),
                retry.after.status
            )),
        );
    } else {
        // Each resource's own id becomes `{id:1}`; then only the members the body sets compare.
        let view = |id: &str, item: &ItemSnapshot| {
            let canon = canon.clone().mapping_ids(vec![id.to_string()]);
            client_part(canon.item_state(&item.as_state()), &put.members)
        };
        found.extend(states_differ(
            ("one PUT", &view(&put.reference_id, &put.reference)),
            (
                &format!("PUT retried {when}"),
                &view(&retry.id, &retry.after),
            ),
            || {
                Violation::error(format!("a PUT retried {when} left another state than one PUT"))
                    .rule(format!("put-{part}-state-differs"))
                    .expected("the state of one PUT of the body (RFC 9110 §9.2.2), in the members the body sets")
                    .observed("the resource differs from a resource PUT once (see diff)")
            },
        ));
    }
    if retry.retry.response.status >= 500 {
        found.push(
            Violation::warning(format!(
                "the retry of a PUT {when} failed with a server error"
            ))
            .rule(format!("put-{part}-retry-5xx"))
            .expected("the same success as a PUT sent once")
            .observed(answered(&retry.retry)),
        );
    }
    found
}

fn judge_keyed(key: &IdempotencyKey, retry: &PostRetry, round: Round) -> Vec<Violation> {
    let (when, part) = (round.when, round.slug);
    let header = &key.header;
    let mut found = Vec::new();
    found.extend(count_violation(
        retry,
        &format!("keyed-post-{part}"),
        || {
            Violation::error(format!(
                "a POST retried with the same {header} {when} created a duplicate"
            ))
        },
        "exactly one resource for one key and body (the retry replays the first result)",
    ));
    let Some(last) = retry.retries.last() else {
        return found;
    };
    let status = last.response.status;
    let problem = if key.in_flight_statuses.contains(&status) {
        Some((
            "still-in-flight",
            format!(
                "a POST retried with the same {header} {when} was still answered as in flight after {} retries",
                retry.retries.len()
            ),
        ))
    } else if status >= 500 {
        Some((
            "retry-5xx",
            format!("a POST retried with the same {header} {when} failed with a server error"),
        ))
    } else if !last.response.is_success() {
        Some((
            "retry-refused",
            format!("a POST retried with the same {header} {when} was refused"),
        ))
    } else {
        None
    };
    found.extend(problem.map(|(rule, title)| {
        Violation::warning(title)
            .rule(format!("keyed-post-{part}-{rule}"))
            .expected("the first request's result, replayed (draft-ietf-httpapi-idempotency-key-header §2.6)")
            .observed(answered(last))
    }));
    found
}

fn judge_unkeyed(retry: &PostRetry) -> Option<Violation> {
    count_violation(
        retry,
        "unkeyed-post-lost",
        || {
            Violation::info(
                "a POST retried after a lost response without an Idempotency-Key created a duplicate (allowed: POST is not idempotent)",
            )
        },
        "informational: POST is not idempotent (RFC 9110 §9.3.3), so without Idempotency-Key support (or POST-PUT creation) clients cannot retry a POST safely",
    )
}

/// Exactly one new resource after a POST step.
/// `part` prefixes the rule slugs (`PART-duplicate`, `PART-not-listed`).
fn count_violation(
    retry: &PostRetry,
    part: &str,
    duplicate: impl FnOnce() -> Violation,
    expected: &str,
) -> Option<Violation> {
    match retry.created.as_ref().map(Vec::len) {
        Some(1) => None,
        Some(n) if n >= 2 => Some(
            duplicate()
                .rule(format!("{part}-duplicate"))
                .expected(expected)
                .observed(created_text(retry, n)),
        ),
        other => Some(
            Violation::warning(
                "the resource a retried POST created could not be found in the collection",
            )
            .rule(format!("{part}-not-listed"))
            .expected("the created resource listed in the collection, so duplicates can be counted")
            .observed(match other {
                Some(_) => format!(
                    "no new listed item holds the body after {}",
                    retry.retries.last().map_or_else(String::new, answered)
                ),
                None => "the collection gave no readable list".to_string(),
            }),
        ),
    }
}

fn created_text(retry: &PostRetry, n: usize) -> String {
    let ids = retry.created.as_deref().unwrap_or_default().join(", ");
    if retry.orphans.is_empty() {
        format!("{n} new resources hold the body: {ids}")
    } else {
        format!(
            "{n} new resources hold the body: {ids}; left behind (idemfuzz never read the answer that created them): {}",
            retry.orphans.join(", ")
        )
    }
}
