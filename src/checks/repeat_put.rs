//! `repeat-put`: the same full PUT applied N times leaves the state of applying it once
//! (RFC 9110 §9.2.2), and a repeat never answers 201 (§9.3.4). Statuses are judged as well as
//! state: a repeat the server refuses (4xx) although the same PUT succeeded tells a client
//! retrying after a lost response that its write failed, and a 412 answers a request that sent
//! no precondition (§15.5.13), as Eve does for an identical PUT within the second of the last
//! write.

use futures::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::checks::check::{Canons, Case, Check, MAX_REPEATS, UnconditionalPuts};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::verdict::{answered, collections_differ, states_differ, token_refused};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// The check.
pub(crate) struct RepeatPut;

/// `[resources.NAME.checks.repeat-put]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepeatPutOptions {
    /// Largest N for "the same PUT N times" (N is generated in 2..=max_repeats).
    pub(crate) max_repeats: u32,
}

impl Default for RepeatPutOptions {
    fn default() -> Self {
        RepeatPutOptions { max_repeats: 4 }
    }
}

/// `[resources.NAME.checks.repeat-put]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepeatPutDoc {
    /// Read by `CheckOptions::enabled`; here so that the key is accepted and type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
    max_repeats: Option<Spanned<i64>>,
}

impl Check for RepeatPut {
    const ID: CheckId = CheckId::RepeatPut;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::Sent;
    type Options = RepeatPutOptions;
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<RepeatPutOptions, ScenarioError> {
        let doc: RepeatPutDoc = table.doc()?;
        let defaults = RepeatPutOptions::default();
        Ok(RepeatPutOptions {
            max_repeats: table.count(
                doc.max_repeats.as_ref(),
                "max_repeats",
                2..=MAX_REPEATS,
                defaults.max_repeats,
            )?,
        })
    }

    fn skip_reason(&self, resource: &Resource, _: &RepeatPutOptions) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &RepeatPutOptions) -> Vec<Need> {
        [Need::BodyReflected, Need::UnconditionalUpdate].into()
    }

    fn outline(&self, resource: &Resource, options: &RepeatPutOptions, _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let max = options.max_repeats.max(2);
        let (create, creates) = outline::create(resource, "body A");
        let mut steps = Outline::new().step(create, [creates]);
        if resource.create == CreateMode::Post {
            steps.push(format!("PUT {item} body A"), [send(Method::Put, To::Item)]);
        }
        let snapshots = [
            send(Method::Get, To::Item),
            send(Method::Get, To::Collection),
        ];
        steps
            .step(
                format!("GET {item}, GET {collection} (snapshots after 1 PUT)"),
                snapshots,
            )
            .step(
                format!("PUT {item} body A again, until 2..={max} identical PUTs in all"),
                [send(Method::Put, To::Item).between(1, max - 1)],
            )
            .step(
                format!("GET {item}, GET {collection} (snapshots after all PUTs)"),
                snapshots,
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        options: &'c RepeatPutOptions,
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator, options))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        _: &RepeatPutOptions,
        canons: &Canons,
    ) -> Vec<Violation> {
        let mut found = judge(record, &canons.full);
        found.extend(
            record
                .repeated_puts
                .iter()
                .find_map(|put| token_refused(resource, put, "a repeated identical PUT")),
        );
        found
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Put)).then(|| "the resource declares no PUT".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) repeats: u32,
    pub(crate) item_after_one: ItemSnapshot,
    pub(crate) collection_after_one: CollectionSnapshot,
    pub(crate) item_after_all: ItemSnapshot,
    pub(crate) collection_after_all: CollectionSnapshot,
    /// The exchanges of PUTs 2..=N.
    pub(crate) repeated_puts: Vec<Exchange>,
    /// For a resource created by POST with body A: the PUT of body A that followed, when the
    /// server refused it with 412 although it carried no precondition (the case went on: the
    /// resource holds body A from the POST).
    pub(crate) refused_first_put: Option<Exchange>,
}

/// Creates a resource, PUTs body A once, snapshots, PUTs A N-1 more times, snapshots.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    options: &RepeatPutOptions,
) -> Result<Record, CaseError> {
    let body = generator.generate(&session.resource.body);
    let repeats = generator.int_in(2, options.max_repeats.max(2));
    let (id, refused_first_put) = first_put(session, &body).await?;
    let item_after_one = session.get_item(&id, "snapshot item after 1 PUT").await?;
    let collection_after_one = session
        .get_collection("snapshot collection after 1 PUT")
        .await?;
    let mut repeated_puts = Vec::new();
    for n in 2..=repeats {
        let index = session
            .put(
                &id,
                &body,
                &format!("the same PUT again ({n} of {repeats})"),
            )
            .await?;
        repeated_puts.push(session.exchange(index).clone());
    }
    let item_after_all = session
        .get_item(&id, &format!("snapshot item after {repeats} PUTs"))
        .await?;
    let collection_after_all = session
        .get_collection(&format!("snapshot collection after {repeats} PUTs"))
        .await?;
    Ok(Record {
        repeats,
        item_after_one,
        collection_after_one,
        item_after_all,
        collection_after_all,
        repeated_puts,
        refused_first_put,
    })
}

/// The first application of body A: a creating PUT, or (for POST-created resources) POST then
/// PUT. That PUT changes nothing (the POST stored body A), so a 412 to it, with no
/// precondition sent, is the refusal this check judges, not a setup failure: it is returned.
async fn first_put(
    session: &mut Session<'_>,
    body: &Value,
) -> Result<(String, Option<Exchange>), CaseError> {
    let created = session.create(body, "create with body A (PUT 1)").await?;
    if session.resource.create != CreateMode::Post {
        return Ok((created.id, None));
    }
    let index = session.put(&created.id, body, "PUT body A (1)").await?;
    let exchange = session.exchange(index);
    if exchange.response.status == 412 && !sends_precondition(exchange) {
        return Ok((created.id, Some(exchange.clone())));
    }
    session.require_success(index)?;
    Ok((created.id, None))
}

/// Statuses a refused repeat may legitimately carry: credentials that expired or were refused
/// meanwhile (401, 403, 407), a request timeout, a conflict (e.g. a version token the body
/// lacks), a lock, a required precondition, a rate limit. None of them says the write itself
/// is refused for being a repeat.
const REFUSALS_ALLOWED: [u16; 8] = [401, 403, 407, 408, 409, 423, 428, 429];

/// True when the request carried a precondition header field (RFC 9110 §13.1).
fn sends_precondition(exchange: &Exchange) -> bool {
    const PRECONDITIONS: [&str; 5] = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
    ];
    exchange
        .request
        .headers
        .iter()
        .any(|h| PRECONDITIONS.iter().any(|p| h.name.eq_ignore_ascii_case(p)))
}

/// True when a repeated identical PUT was refused with a status no repeat may get.
fn refused(exchange: &Exchange) -> bool {
    let status = exchange.response.status;
    (400..500).contains(&status) && !REFUSALS_ALLOWED.contains(&status)
}

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let n = record.repeats;
    let after_one = "after 1 PUT";
    let after_all = format!("after {n} identical PUTs");
    let mut found = Vec::new();
    found.extend(states_differ(
        (
            after_one,
            &canon.item_state(&record.item_after_one.as_state()),
        ),
        (
            &after_all,
            &canon.item_state(&record.item_after_all.as_state()),
        ),
        || {
            Violation::error("repeating an identical PUT changed the resource")
                .rule("item-changed")
                .expected(format!("the item {after_all} equals the item {after_one}"))
                .observed("the item differs (see diff)")
        },
    ));
    found.extend(collections_differ(
        canon,
        (after_one, &record.collection_after_one),
        (&after_all, &record.collection_after_all),
        || {
            Violation::error("repeating an identical PUT changed the collection")
                .rule("collection-changed")
                .expected(format!(
                    "the collection {after_all} equals the collection {after_one}"
                ))
                .observed("the run's items in the collection differ (see diff)")
        },
    ));
    found.extend(
        record
            .repeated_puts
            .iter()
            .filter(|e| e.response.status == 201)
            .take(1)
            .map(|exchange| {
                Violation::error("a repeated identical PUT answered 201 Created")
                    .rule("repeat-201")
                    .cause(crate::checks::verdict::UPDATE_ANSWERED_201)
                    .expected("200 or 204: the resource already existed (RFC 9110 §9.3.4)")
                    .observed(answered(exchange))
            }),
    );
    found.extend(refusals(record));
    found.extend(
        record
            .repeated_puts
            .iter()
            .filter(|e| e.response.status >= 500)
            .take(1)
            .map(|exchange| {
                Violation::error("a repeated identical PUT failed with a server error")
                    .rule("repeat-5xx")
                    .expected("the same success as the first PUT")
                    .observed(answered(exchange))
            }),
    );
    found
}

/// One error for the identical PUTs the server refused: the refused PUT after the creating
/// POST, and every refused repeat.
fn refusals(record: &Record) -> Option<Violation> {
    let lines: Vec<String> = record
        .refused_first_put
        .iter()
        .chain(record.repeated_puts.iter().filter(|e| refused(e)))
        .map(|exchange| {
            let why = if exchange.response.status == 412 && !sends_precondition(exchange) {
                " with no precondition sent"
            } else {
                ""
            };
            format!("{}{why}", answered(exchange))
        })
        .collect();
    let first = lines.first()?;
    let more = match lines.len() {
        1 => String::new(),
        n => format!(" ({n} refusals in all)"),
    };
    Some(
        Violation::error("an identical PUT was refused although it changes nothing")
            .rule("repeat-refused")
            .expected("the same success as the first PUT: an identical PUT is idempotent, so a client retrying it after a lost response must not be told it failed (RFC 9110 §9.2.2, §9.3.4); 412 only when a precondition the request sent fails (§15.5.13)")
            .observed(format!("{first}{more}; the resource already held that body")),
    )
}
