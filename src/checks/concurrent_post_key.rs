//! `concurrent-post-key`: K POSTs with the same Idempotency-Key and body, released together,
//! create exactly one resource; each of the others replays the first answer or answers 409
//! while the first is in flight (draft-ietf-httpapi-idempotency-key-header-07). A retry after
//! they all answered replays the stored result.

use futures::future::LocalBoxFuture;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::steps;
use crate::checks::verdict::answered;
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::{Violation, statuses};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{IdempotencyKey, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};

/// The check.
pub(crate) struct ConcurrentPostKey;

impl Check for ConcurrentPostKey {
    const ID: CheckId = CheckId::ConcurrentPostKey;
    const OWN_CONNECTIONS: bool = true;
    type Options = ();
    /// `None` on a resource without key support, which `skip_reason` rules out.
    type Record = Option<Record>;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    /// It counts what the POSTs created by the listed items that hold their body.
    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected, Need::Listing].into()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let collection = &resource.collection;
        let k = resource.concurrent_clients;
        let header = outline::key_header(resource);
        let count = [send(Method::Get, To::Collection)];
        Outline::new()
            .step(format!("GET {collection} (count items with body B)"), count)
            .step(
                format!("POST {collection} body B ×{k} with one new {header}, released together"),
                [send(Method::Post, To::Collection).times(k)],
            )
            .step(
                format!(
                    "POST {collection} body B with the same {header} once all have answered (again while answered in flight)"
                ),
                [send(Method::Post, To::Collection).between(1, steps::MAX_IN_FLIGHT_RETRIES + 1)],
            )
            .step(format!("GET {collection} (count items with body B)"), count)
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Option<Record>, CaseError>> {
        Box::pin(async move {
            let Some(key) = &case.session.resource.idempotency_key else {
                return Ok(None);
            };
            execute(case.session, case.generator, key).await.map(Some)
        })
    }

    fn judge(&self, record: &Option<Record>, _: &Resource, _: &(), _: &Canons) -> Vec<Violation> {
        record.as_ref().map_or_else(Vec::new, judge)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    if resource.post_id.is_none() {
        return Some("the collection accepts no POST (set `post_id` to declare it)".into());
    }
    let Some(key) = &resource.idempotency_key else {
        return Some(
            "the scenario declares no Idempotency-Key support ([resources.NAME.idempotency_key])"
                .into(),
        );
    };
    steps::key_expires_too_soon(key)
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) key: IdempotencyKey,
    /// The K POSTs, in client order.
    pub(crate) answers: Vec<Exchange>,
    /// A retry with the same key once all K had answered (plus its own retries while it was
    /// answered "in flight").
    pub(crate) settled: Vec<Exchange>,
    /// Ids of listed items holding the body that appeared during the case (`None`: the
    /// collection could not be read).
    pub(crate) created: Option<Vec<String>>,
}

/// Counts items holding body B; K keyed POSTs of B together; a keyed retry; counts again.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    key: &IdempotencyKey,
) -> Result<Record, CaseError> {
    let clients = session.resource.concurrent_clients;
    let body = generator.generate(&session.resource.body);
    let value = steps::fresh_key(session);
    let before = steps::ids_holding(session, &body, "count resources with body B before").await?;
    let post = steps::keyed_post(session.resource, key, &value, &body);
    let label = "POST body B with one new key";
    let answers = steps::together(session, label, &post, clients).await?;
    let retry = "retry: the same key and body once all have answered";
    let settled = steps::post_until_settled(session, key, &post, retry).await?;
    let after = steps::ids_holding(session, &body, "count resources with body B after").await?;
    let created = steps::created(before.as_deref(), after.as_deref());
    steps::note_orphans(session, created.as_deref());
    Ok(Record {
        key: key.clone(),
        answers,
        settled,
        created,
    })
}

/// The oracle.
pub(crate) fn judge(record: &Record) -> Vec<Violation> {
    let header = &record.key.header;
    let Some(stored) = record.settled.last() else {
        return Vec::new();
    };
    let in_flight = &record.key.in_flight_statuses;
    if !stored.response.is_success() && !record.answers.iter().any(|e| e.response.is_success()) {
        return vec![
            Violation::warning(format!(
                "no POST with a new {header} succeeded; key semantics under concurrency not judged"
            ))
            .rule("none-succeeded")
            .expected("2xx for a valid body")
            .observed(answered(stored)),
        ];
    }
    let mut found = Vec::new();
    found.extend(count_violation(record));
    if in_flight.contains(&stored.response.status) {
        found.push(
            Violation::warning(format!(
                "a retry with the same {header} was still answered as in flight after every request had answered"
            ))
            .rule("still-in-flight")
            .expected("the stored result, replayed")
            .observed(format!(
                "{} retries; the last: {}",
                record.settled.len(),
                answered(stored)
            )),
        );
    } else {
        found.extend(non_replays(record, stored));
    }
    found
}

/// Exactly one resource.
fn count_violation(record: &Record) -> Option<Violation> {
    let header = &record.key.header;
    let clients = record.answers.len();
    match record.created.as_ref().map(Vec::len) {
        Some(1) => None,
        Some(n) if n >= 2 => Some(
            Violation::error(format!(
                "{clients} concurrent POSTs with the same {header} created {n} resources"
            ))
            .rule("duplicate")
            .expected("exactly one resource for one key and body; the others replay it or answer 409 while it is in flight")
            .observed(format!(
                "{n} new resources hold the body: {}",
                record.created.as_deref().unwrap_or_default().join(", ")
            )),
        ),
        other => Some(
            Violation::warning(format!(
                "the resource created by concurrent POSTs with one {header} could not be found in the collection"
            ))
            .rule("not-listed")
            .expected("the created resource listed in the collection, so duplicates can be counted")
            .observed(match other {
                Some(_) => "no new listed item holds the body".to_string(),
                None => "the collection gave no readable list".to_string(),
            }),
        ),
    }
}

/// Answers that are neither in flight nor a replay of the stored result.
fn non_replays(record: &Record, stored: &Exchange) -> Option<Violation> {
    let key = &record.key;
    let expect_replay = stored.response.is_success() || key.replays_errors;
    if !expect_replay {
        return None;
    }
    let location = stored.response.header("location");
    let odd: Vec<&Exchange> = record
        .answers
        .iter()
        .filter(|e| !key.in_flight_statuses.contains(&e.response.status))
        .filter(|e| {
            e.response.status != stored.response.status || e.response.header("location") != location
        })
        .collect();
    let first = odd.first()?;
    let in_flight = statuses(&key.in_flight_statuses);
    Some(
        Violation::warning(format!(
            "{} of {} concurrent POSTs with the same {} answered neither the stored result nor {in_flight}",
            odd.len(),
            record.answers.len(),
            key.header
        ))
        .rule("not-replayed")
        .expected(format!(
            "a replay of the stored result ({}{}) or {in_flight} while the first was in flight",
            stored.response.status,
            location.map(|l| format!(", Location {l}")).unwrap_or_default()
        ))
        .observed(answered(first)),
    )
}
