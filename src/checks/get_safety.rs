//! `get-safety`: safe methods change nothing (RFC 9110 §9.2.1). GET, HEAD and OPTIONS repeated
//! N times leave the item and the collection as they were, and a GET of a never-created id
//! creates nothing.
//!
//! Volatile fields are judged here, not ignored: a member that moves between two back-to-back
//! GETs is a clock or nonce when it is a string (ignored), but a counter when it is a number —
//! and a counter that moves on GET is exactly the side effect this check exists to catch.

use futures::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::checks::check::{Canons, Case, Check, MAX_REPEATS, UnconditionalPuts};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::verdict::{answered, collections_differ, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{IdField, IgnorePattern, JsonPointer, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::canonical::{Canon, differing_leaves};
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// The check.
pub(crate) struct GetSafety;

/// `[resources.NAME.checks.get-safety]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GetSafetyOptions {
    /// How many times each safe method is repeated.
    pub(crate) repeats: u32,
}

impl Default for GetSafetyOptions {
    fn default() -> Self {
        GetSafetyOptions { repeats: 3 }
    }
}

/// `[resources.NAME.checks.get-safety]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GetSafetyDoc {
    /// Read by `CheckOptions::enabled`; here so that the key is accepted and type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
    repeats: Option<Spanned<i64>>,
}

impl Check for GetSafety {
    const ID: CheckId = CheckId::GetSafety;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::ToCreate;
    type Options = GetSafetyOptions;
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<GetSafetyOptions, ScenarioError> {
        let doc: GetSafetyDoc = table.doc()?;
        Ok(GetSafetyOptions {
            repeats: table.count(
                doc.repeats.as_ref(),
                "repeats",
                1..=MAX_REPEATS,
                GetSafetyOptions::default().repeats,
            )?,
        })
    }

    fn skip_reason(&self, resource: &Resource, _: &GetSafetyOptions) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &GetSafetyOptions) -> Vec<Need> {
        [Need::ItemReadable, Need::UnknownIdsAbsent].into()
    }

    fn outline(&self, resource: &Resource, options: &GetSafetyOptions, _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let safe = safe_methods(resource, 1);
        let names: Vec<&str> = safe.iter().map(|m| m.as_str()).collect();
        let (create, creates) = outline::create(resource, "a generated body");
        let snapshots = [
            send(Method::Get, To::Item),
            send(Method::Get, To::Collection),
        ];
        Outline::new()
            .step(create, [creates])
            .step(
                format!("GET {item} ×2, GET {collection} (snapshots)"),
                [
                    send(Method::Get, To::Item).times(2),
                    send(Method::Get, To::Collection),
                ],
            )
            .step(
                format!("{} {item}, ×{}", names.join(", "), options.repeats),
                safe_methods(resource, options.repeats)
                    .into_iter()
                    .map(|method| send(method, To::Item)),
            )
            .step(
                format!("GET {item}, GET {collection} (snapshots after)"),
                snapshots,
            )
            .step(
                format!("GET {item} of a never-created id ×2, GET {collection}"),
                [
                    send(Method::Get, To::Item).times(2),
                    send(Method::Get, To::Collection),
                ],
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        options: &'c GetSafetyOptions,
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator, options))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        _: &GetSafetyOptions,
        canons: &Canons,
    ) -> Vec<Violation> {
        judge(record, &canons.declared, &resource.id_field)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Get)).then(|| "the resource declares no GET".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Two back-to-back GETs before the safe requests.
    pub(crate) probe_a: ItemSnapshot,
    pub(crate) probe_b: ItemSnapshot,
    pub(crate) collection_before: CollectionSnapshot,
    /// The safe requests sent, in order.
    pub(crate) safe_requests: Vec<Method>,
    pub(crate) item_after: ItemSnapshot,
    pub(crate) collection_after: CollectionSnapshot,
    pub(crate) missing_id: String,
    pub(crate) missing_get: Exchange,
    pub(crate) missing_get_again: Exchange,
    /// The collection after the GETs of the never-created id.
    pub(crate) collection_after_missing: CollectionSnapshot,
}

/// Create; GET twice; snapshot collection; GET/HEAD/OPTIONS × N; snapshot; GET a fresh id.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    options: &GetSafetyOptions,
) -> Result<Record, CaseError> {
    let id = session.create_generated(generator, "create").await?;
    let probe_a = session.get_item(&id, "snapshot item").await?;
    let probe_b = session
        .get_item(&id, "snapshot item again, nothing in between")
        .await?;
    let collection_before = session.get_collection("snapshot collection").await?;
    let safe_requests = safe_methods(session.resource, options.repeats);
    let path = session.resource.item_path(&id);
    for (n, method) in safe_requests.iter().enumerate() {
        let purpose = format!("safe request {} of {}", n + 1, safe_requests.len());
        session
            .send(purpose, Req::new(*method, path.clone()))
            .await?;
    }
    let item_after = session
        .get_item(&id, "snapshot item after the safe requests")
        .await?;
    let collection_after = session
        .get_collection("snapshot collection after the safe requests")
        .await?;
    let (missing_id, missing_get, missing_get_again) = probe_missing(session).await?;
    let collection_after_missing = session
        .get_collection("snapshot collection after GETs of the never-created id")
        .await?;
    Ok(Record {
        probe_a,
        probe_b,
        collection_before,
        safe_requests,
        item_after,
        collection_after,
        missing_id,
        missing_get,
        missing_get_again,
        collection_after_missing,
    })
}

/// GET, HEAD and OPTIONS (those the resource declares), `repeats` rounds.
fn safe_methods(resource: &Resource, repeats: u32) -> Vec<Method> {
    let round: Vec<Method> = [Method::Get, Method::Head, Method::Options]
        .into_iter()
        .filter(|m| resource.supports(*m))
        .collect();
    (0..repeats).flat_map(|_| round.clone()).collect()
}

/// GETs a run-owned id that was never created, twice.
async fn probe_missing(
    session: &mut Session<'_>,
) -> Result<(String, Exchange, Exchange), CaseError> {
    let missing_id = session.fresh_id();
    let path = session.resource.item_path(&missing_id);
    let first = session
        .send(
            "GET a never-created id",
            Req::new(Method::Get, path.clone()),
        )
        .await?;
    let first = session.exchange(first).clone();
    let again = session
        .send(
            "GET the never-created id again",
            Req::new(Method::Get, path),
        )
        .await?;
    Ok((missing_id, first, session.exchange(again).clone()))
}

/// The oracle. `canon` carries only the declared ignore patterns.
pub(crate) fn judge(record: &Record, canon: &Canon, id_field: &IdField) -> Vec<Violation> {
    let canon = with_clock_fields(canon, record);
    let mut found = Vec::new();
    let label = format!("after {} safe requests", record.safe_requests.len());
    found.extend(states_differ(
        ("before", &canon.item_state(&record.probe_b.as_state())),
        (&label, &canon.item_state(&record.item_after.as_state())),
        || {
            Violation::error("safe requests changed the resource")
                .rule("item-changed")
                .expected("GET, HEAD and OPTIONS change nothing (RFC 9110 §9.2.1)")
                .observed(format!("the item changed {label} (see diff)"))
        },
    ));
    found.extend(collections_differ(
        &canon,
        ("before", &record.collection_before),
        (&label, &record.collection_after),
        || {
            Violation::error("safe requests changed the collection")
                .rule("collection-changed")
                .expected("GET, HEAD and OPTIONS change nothing (RFC 9110 §9.2.1)")
                .observed(format!(
                    "the run's items in the collection changed {label} (see diff)"
                ))
        },
    ));
    found.extend(judge_missing(record, id_field));
    found
}

/// Adds string members that moved between two back-to-back GETs (clocks, nonces) to the ignore
/// list. Numbers that moved stay: a number that moves on GET is a counter, a side effect.
fn with_clock_fields(canon: &Canon, record: &Record) -> Canon {
    let (Some(a), Some(b)) = (record.probe_a.body.json(), record.probe_b.body.json()) else {
        return canon.clone();
    };
    let mut canon = canon.clone();
    let clocks = differing_leaves(a, b).into_iter().filter(|pointer| {
        let at = |v: &Value| {
            JsonPointer::parse(pointer)
                .ok()
                .and_then(|p| p.get(v).cloned())
        };
        matches!(
            (at(a), at(b)),
            (Some(Value::String(_)), Some(Value::String(_)))
        )
    });
    canon
        .ignore
        .extend(clocks.filter_map(|p| IgnorePattern::parse(&p).ok()));
    canon
}

fn judge_missing(record: &Record, id_field: &IdField) -> Option<Violation> {
    let listed = record
        .collection_after_missing
        .items
        .as_ref()
        .is_some_and(|items| {
            items
                .iter()
                .any(|item| id_field.read(item).as_deref() == Some(record.missing_id.as_str()))
        });
    if listed
        || record.missing_get_again.response.is_success()
            && record.missing_get.response.is_success()
    {
        let how = if listed {
            "it is now listed in the collection"
        } else {
            "a second GET finds it too"
        };
        let severity = if listed {
            Violation::error
        } else {
            Violation::warning
        };
        return Some(
            severity("a GET of a never-created id created a resource")
                .rule("get-or-create")
                .expected("404 or 410, and nothing created (RFC 9110 §9.2.1: GET is safe)")
                .observed(format!("{}; {how}", answered(&record.missing_get))),
        );
    }
    None
}
