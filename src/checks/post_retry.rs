//! `post-retry`: what retrying a POST does (RFC 9110 §9.3.3; draft-ietf-httpapi-idempotency-key-
//! header-07). Without a key a duplicate is allowed and only reported (info). With the same
//! Idempotency-Key and body: exactly one resource, and the retry replays the first answer. With
//! the same key and another body: a 4xx (422 per the draft) and nothing created.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::fit::Need;
use crate::checks::matching::holds;
use crate::checks::outline::{Outline, To, send};
use crate::checks::verdict::{answered, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::{Violation, statuses};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{IdempotencyKey, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::CollectionSnapshot;
use crate::snapshot::canonical::Canon;

/// The check.
pub(crate) struct PostRetry;

impl Check for PostRetry {
    const ID: CheckId = CheckId::PostRetry;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    /// Without a key, its only observation is the count of duplicates in the listing.
    fn needs(&self, resource: &Resource, _: &()) -> Vec<Need> {
        match resource.idempotency_key {
            Some(_) => Vec::new(),
            None => vec![Need::BodyReflected, Need::Listing],
        }
    }

    fn notes(&self, resource: &Resource, _: bool) -> Vec<String> {
        notes(resource)
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let collection = &resource.collection;
        let count = [send(Method::Get, To::Collection)];
        let mut steps = Outline::new()
            .step(
                format!("POST {collection} body A ×2 without a key"),
                [send(Method::Post, To::Collection).times(2)],
            )
            .step(format!("GET {collection} (count duplicates)"), count);
        if let Some(key) = &resource.idempotency_key {
            let header = &key.header;
            steps = steps
                .step(
                    format!("POST {collection} body B ×2 with one {header}"),
                    [send(Method::Post, To::Collection).times(2)],
                )
                .step(format!("GET {collection} (count)"), count)
                .step(
                    format!("POST {collection} body C with the same {header}"),
                    [send(Method::Post, To::Collection)],
                )
                .step(format!("GET {collection} (count)"), count);
        }
        steps
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(&self, record: &Record, _: &Resource, _: &(), canons: &Canons) -> Vec<Violation> {
        judge(record, &canons.full)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    resource
        .post_id
        .is_none()
        .then(|| "the collection accepts no POST (set `post_id` to declare it)".to_string())
}

/// Notes for the report about parts that did not run.
pub(crate) fn notes(resource: &Resource) -> Vec<String> {
    match resource.idempotency_key {
        Some(_) => Vec::new(),
        None => vec![
            "Idempotency-Key part not run: the scenario declares no key support ([resources.NAME.idempotency_key])".into(),
        ],
    }
}

/// Two identical POSTs without a key.
#[derive(Debug, Clone)]
pub(crate) struct Unkeyed {
    pub(crate) posts: [Exchange; 2],
    /// The case's resources in the collection whose members equal the body (`None`: the
    /// collection could not be read).
    pub(crate) matching: Option<usize>,
}

/// Same key twice with one body, then the same key with another body.
#[derive(Debug, Clone)]
pub(crate) struct Keyed {
    pub(crate) key: IdempotencyKey,
    pub(crate) first: Exchange,
    pub(crate) retry: Exchange,
    pub(crate) matching_after_retry: Option<usize>,
    pub(crate) other_body: Exchange,
    pub(crate) matching_other_body: Option<usize>,
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) unkeyed: Unkeyed,
    pub(crate) keyed: Option<Keyed>,
}

/// Runs the unkeyed retry, then the keyed one when the scenario declares key support.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let unkeyed = execute_unkeyed(session, generator).await?;
    let keyed = match session.resource.idempotency_key.clone() {
        Some(key) => Some(execute_keyed(session, generator, key).await?),
        None => None,
    };
    Ok(Record { unkeyed, keyed })
}

async fn execute_unkeyed(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Unkeyed, CaseError> {
    let body = generator.generate(&session.resource.body);
    let (first, first_id) = session
        .post(&body, &[], "POST body A without a key")
        .await?;
    let first = session.exchange(first).clone();
    let (second, second_id) = session
        .post(&body, &[], "the same POST again, no key")
        .await?;
    let second = session.exchange(second).clone();
    let collection = session
        .get_collection("count resources with body A")
        .await?;
    // The listing is read for the case's own items: a POST that succeeded but whose resource
    // could not be proven the case's is not among them, so nothing can be counted.
    let unproven = [(&first, &first_id), (&second, &second_id)]
        .iter()
        .any(|(post, id)| id.is_none() && post.response.is_success());
    let matching = if unproven {
        session.note_unobserved(
            "a POST answered 2xx but idemfuzz could not prove which resource it created, so the listing cannot count it".to_string(),
        );
        None
    } else {
        count_matching(&collection, &body)
    };
    Ok(Unkeyed {
        posts: [first, second],
        matching,
    })
}

async fn execute_keyed(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    key: IdempotencyKey,
) -> Result<Keyed, CaseError> {
    let body = generator.generate(&session.resource.body);
    let other = generator.generate_different(&session.resource.body, &body);
    let key_value = format!("\"{}\"", session.fresh_key());
    let headers = vec![(key.header.clone(), key_value)];
    let first = session
        .post(&body, &headers, "POST body B with a new key")
        .await?
        .0;
    let first = session.exchange(first).clone();
    let retry = session
        .post(&body, &headers, "retry: same key, same body")
        .await?
        .0;
    let retry = session.exchange(retry).clone();
    let after_retry = session
        .get_collection("count resources with body B")
        .await?;
    let other_body = session
        .post(&other, &headers, "same key, another body C")
        .await?
        .0;
    let other_body = session.exchange(other_body).clone();
    let after_other = session
        .get_collection("count resources with body C")
        .await?;
    Ok(Keyed {
        key,
        first,
        retry,
        matching_after_retry: count_matching(&after_retry, &body),
        other_body,
        matching_other_body: count_matching(&after_other, &other),
    })
}

/// The listed items that hold every member of `body` ([`holds`]: numbers by value, as servers
/// normalise them): the count comes from what the listing shows; `None` when the collection
/// gave no readable list.
fn count_matching(collection: &CollectionSnapshot, body: &Value) -> Option<usize> {
    body.as_object()?;
    let items = collection.items.as_ref()?;
    Some(items.iter().filter(|item| holds(item, body)).count())
}

/// A count for observed texts.
fn count_text(count: Option<usize>) -> String {
    count.map_or_else(|| "an unknown number of".to_string(), |n| n.to_string())
}

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let mut found = vec![judge_unkeyed(&record.unkeyed)];
    if let Some(keyed) = &record.keyed {
        found.extend(judge_keyed(keyed, canon));
    }
    found
}

fn judge_unkeyed(unkeyed: &Unkeyed) -> Violation {
    let [first, second] = &unkeyed.posts;
    let observed = format!(
        "{}; {}; {} resource(s) with that body exist",
        answered(first),
        answered(second),
        count_text(unkeyed.matching)
    );
    let (rule, title) = match unkeyed.matching {
        Some(n) if n >= 2 => (
            "unkeyed-duplicate",
            "POST retried without Idempotency-Key created a duplicate (allowed: POST is not idempotent)",
        ),
        Some(_) => (
            "unkeyed-no-duplicate",
            "POST retried without Idempotency-Key did not create a duplicate",
        ),
        None => (
            "unkeyed-not-counted",
            "POST retried without Idempotency-Key: duplicates not counted (the collection could not be read)",
        ),
    };
    Violation::info(title)
        .rule(rule)
        .expected("informational: a client that retries a POST without a key risks duplicates")
        .observed(observed)
}

fn judge_keyed(keyed: &Keyed, canon: &Canon) -> Vec<Violation> {
    if !keyed.first.response.is_success() {
        return vec![
            Violation::warning(
                "POST with a new Idempotency-Key did not succeed; key semantics not judged",
            )
            .rule("keyed-post-failed")
            .expected("2xx")
            .observed(answered(&keyed.first)),
        ];
    }
    let mut found = Vec::new();
    found.extend(judge_retry_count(keyed));
    found.extend(replay_mismatch(keyed, canon));
    found.extend(judge_other_body(keyed));
    found
}

/// Exactly one resource after a keyed retry; a count that cannot be made is said, not guessed.
fn judge_retry_count(keyed: &Keyed) -> Option<Violation> {
    let header = &keyed.key.header;
    match keyed.matching_after_retry {
        Some(1) => None,
        Some(n) if n >= 2 => Some(
            Violation::error(format!(
                "a retry with the same {header} created a duplicate"
            ))
            .rule("keyed-retry-duplicate")
            .expected(
                "exactly one resource for one key and body (the retry replays the first result)",
            )
            .observed(format!(
                "{n} resources with that body after {}",
                answered(&keyed.retry)
            )),
        ),
        count => Some(
            Violation::warning(format!(
                "the resource created with an {header} could not be found in the collection"
            ))
            .rule("keyed-resource-not-listed")
            .expected("the created resource listed in the collection, so duplicates can be counted")
            .observed(format!(
                "{} resource(s) with that body after {}",
                count_text(count),
                answered(&keyed.retry)
            )),
        ),
    }
}

/// The retry should replay the first answer: same status, same content.
fn replay_mismatch(keyed: &Keyed, canon: &Canon) -> Option<Violation> {
    let (first, retry) = (&keyed.first.response, &keyed.retry.response);
    if first.status != retry.status {
        return Some(
            Violation::warning("the keyed retry did not replay the first answer's status")
                .rule("replay-status-differs")
                .expected(format!("{} as the first answer", first.status))
                .observed(answered(&keyed.retry)),
        );
    }
    let (Some(a), Some(b)) = (first.body.json(), retry.body.json()) else {
        return None;
    };
    states_differ(
        ("first answer", &canon.body(a)),
        ("replayed answer", &canon.body(b)),
        || {
            Violation::warning("the keyed retry did not replay the first answer's content")
.rule("replay-content-differs")
                .expected("the earlier result, unchanged (draft-ietf-httpapi-idempotency-key-header §2.6)")
                .observed("the answers differ (see diff)")
        },
    )
}

fn judge_other_body(keyed: &Keyed) -> Vec<Violation> {
    let mut found = Vec::new();
    let status = keyed.other_body.response.status;
    let accepted = &keyed.key.mismatch_statuses;
    let expected = if accepted.is_empty() {
        "422 (or another 4xx) and nothing created".to_string()
    } else {
        format!("{} and nothing created", statuses(accepted))
    };
    if (200..300).contains(&status) || status >= 500 {
        found.push(
            Violation::error(format!(
                "the same {} with another body was not rejected",
                keyed.key.header
            ))
            .rule("other-body-not-rejected")
            .expected(expected.clone())
            .observed(answered(&keyed.other_body)),
        );
    } else if !accepted.is_empty() && !accepted.contains(&status)
        || accepted.is_empty() && status != 422
    {
        found.push(
            Violation::warning("the same key with another body answered an unexpected status")
                .rule("other-body-unexpected-status")
                .expected(expected.clone())
                .observed(answered(&keyed.other_body)),
        );
    }
    if let Some(created) = keyed.matching_other_body.filter(|n| *n > 0) {
        found.push(
            Violation::error("a request reusing a key with another body created a resource")
                .rule("other-body-created")
                .expected(expected)
                .observed(format!("{created} resource(s) with the other body exist")),
        );
    }
    found
}
