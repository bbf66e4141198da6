//! `repeat-delete`: DELETE twice (RFC 9110 §9.2.2, §9.3.5). The resource is gone afterwards,
//! the second DELETE answers 2xx, 404 or 410 (never 5xx), and no other resource disappears —
//! run-owned canaries sit beside the target to notice collateral deletes.

use futures::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::verdict::{answered, states_differ, token_refused};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::{Violation, statuses};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::model::StatusesDoc;
use crate::scenario::{OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// Most canaries `repeat-delete` may create.
const MAX_CANARIES: u32 = 20;

/// The check.
pub struct RepeatDelete;

/// `[resources.NAME.checks.repeat-delete]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatDeleteOptions {
    /// Statuses accepted for the second DELETE.
    pub second_delete_statuses: Vec<u16>,
    /// Statuses accepted for a GET after the DELETEs.
    pub gone_statuses: Vec<u16>,
    /// Run-owned resources kept beside the target to notice collateral deletes.
    pub canaries: u32,
}

impl Default for RepeatDeleteOptions {
    fn default() -> Self {
        RepeatDeleteOptions {
            second_delete_statuses: vec![200, 202, 204, 404, 410],
            gone_statuses: vec![404, 410],
            canaries: 2,
        }
    }
}

/// `[resources.NAME.checks.repeat-delete]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepeatDeleteDoc {
    /// Read by `CheckOptions::enabled`; here so that the key is accepted and type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
    second_delete_statuses: Option<Spanned<StatusesDoc>>,
    gone_statuses: Option<Spanned<StatusesDoc>>,
    canaries: Option<Spanned<i64>>,
}

impl Check for RepeatDelete {
    const ID: CheckId = CheckId::RepeatDelete;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::ToCreate;
    type Options = RepeatDeleteOptions;
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<RepeatDeleteOptions, ScenarioError> {
        let doc: RepeatDeleteDoc = table.doc()?;
        let defaults = RepeatDeleteOptions::default();
        Ok(RepeatDeleteOptions {
            second_delete_statuses: table.statuses(
                doc.second_delete_statuses.as_ref(),
                "second_delete_statuses",
                false,
                defaults.second_delete_statuses,
            )?,
            gone_statuses: table.statuses(
                doc.gone_statuses.as_ref(),
                "gone_statuses",
                false,
                defaults.gone_statuses,
            )?,
            canaries: table.count(
                doc.canaries.as_ref(),
                "canaries",
                0..=MAX_CANARIES,
                defaults.canaries,
            )?,
        })
    }

    fn skip_reason(&self, resource: &Resource, _: &RepeatDeleteOptions) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &RepeatDeleteOptions) -> Vec<Need> {
        [Need::ItemReadable, Need::UnknownIdsAbsent, Need::Delete].into()
    }

    fn outline(&self, resource: &Resource, options: &RepeatDeleteOptions, _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let canaries = options.canaries;
        let (create, creates) = outline::create(resource, "generated bodies");
        Outline::new()
            .step(
                format!(
                    "{create} ×{}: the target and {canaries} canary resource(s)",
                    canaries + 1
                ),
                [creates.times(canaries + 1)],
            )
            .step(
                format!("GET {collection}"),
                [send(Method::Get, To::Collection)],
            )
            .step(
                format!("DELETE {item} ×2"),
                [send(Method::Delete, To::Item).times(2)],
            )
            .step(
                format!("GET {item}, GET {collection}"),
                [
                    send(Method::Get, To::Item),
                    send(Method::Get, To::Collection),
                ],
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        options: &'c RepeatDeleteOptions,
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator, options))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        options: &RepeatDeleteOptions,
        canons: &Canons,
    ) -> Vec<Violation> {
        if let Some(refused) = token_refused(resource, &record.first_delete, "the first DELETE") {
            return vec![refused];
        }
        judge(record, &canons.full, options, &resource.id_field)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Delete)).then(|| "the resource declares no DELETE".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub struct Record {
    pub target_id: String,
    /// The canaries the case created beside the target: collateral damage is judged on them
    /// only (other cases' resources come and go in the same collection).
    pub canary_ids: Vec<String>,
    pub collection_before: CollectionSnapshot,
    pub first_delete: Exchange,
    pub second_delete: Exchange,
    pub item_after: ItemSnapshot,
    pub collection_after: CollectionSnapshot,
}

/// Creates canary, target, canary; DELETEs the target twice; snapshots.
pub async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    options: &RepeatDeleteOptions,
) -> Result<Record, CaseError> {
    let before = options.canaries / 2;
    let mut canary_ids = Vec::new();
    for n in 0..before {
        canary_ids.push(create_canary(session, generator, n + 1).await?);
    }
    let target_id = session
        .create_generated(generator, "create the target")
        .await?;
    for n in before..options.canaries {
        canary_ids.push(create_canary_after(session, generator, n + 1, &target_id).await?);
    }
    let collection_before = session
        .get_collection("snapshot collection before DELETE")
        .await?;
    let first = session.delete(&target_id, "DELETE the target").await?;
    let first_delete = session.exchange(first).clone();
    let second = session
        .delete(&target_id, "DELETE the target again")
        .await?;
    let second_delete = session.exchange(second).clone();
    let item_after = session
        .get_item(&target_id, "GET the target after both DELETEs")
        .await?;
    let collection_after = session
        .get_collection("snapshot collection after DELETEs")
        .await?;
    Ok(Record {
        target_id,
        canary_ids,
        collection_before,
        first_delete,
        second_delete,
        item_after,
        collection_after,
    })
}

async fn create_canary(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    n: u32,
) -> Result<String, CaseError> {
    session
        .create_generated(generator, &format!("create canary {n}"))
        .await
}

/// A canary created after the target: with client-chosen ids, its id extends the target's, so
/// a DELETE that removes every id starting with the target's (a prefix match) removes it too.
async fn create_canary_after(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    n: u32,
    target: &str,
) -> Result<String, CaseError> {
    if session.resource.create != crate::scenario::CreateMode::Put {
        return create_canary(session, generator, n).await;
    }
    let id = session.fresh_id_extending(target);
    let body = generator.generate(&session.resource.body);
    let purpose = format!("create canary {n} (its id extends the target's)");
    let index = session.put(&id, &body, &purpose).await?;
    session.require_success(index)?;
    Ok(id)
}

/// The oracle.
pub fn judge(
    record: &Record,
    canon: &Canon,
    options: &RepeatDeleteOptions,
    id_field: &crate::scenario::IdField,
) -> Vec<Violation> {
    let first = &record.first_delete.response;
    if !first.is_success() {
        return vec![
            Violation::warning("the first DELETE of an existing resource did not succeed")
                .rule("first-delete-failed")
                .expected("200, 202 or 204; the rest of the check needs a successful DELETE")
                .observed(answered(&record.first_delete)),
        ];
    }
    let mut found = Vec::new();
    let second = &record.second_delete.response;
    if second.status >= 500 {
        found.push(
            Violation::error("a repeated DELETE answered a server error")
                .rule("repeat-5xx")
                .expected(format!(
                    "{} (RFC 9110 §9.2.2: repeating DELETE is harmless)",
                    statuses(&options.second_delete_statuses)
                ))
                .observed(answered(&record.second_delete)),
        );
    } else if !options.second_delete_statuses.contains(&second.status) {
        found.push(
            Violation::warning("a repeated DELETE answered an unexpected status")
                .rule("repeat-unexpected-status")
                .expected(statuses(&options.second_delete_statuses))
                .observed(answered(&record.second_delete)),
        );
    }
    if first.status != 202 && !options.gone_statuses.contains(&record.item_after.status) {
        found.push(
            Violation::error("the resource is still there after DELETE")
                .rule("still-there")
                .expected(format!("GET answers {}", statuses(&options.gone_statuses)))
                .observed(format!("GET answered {}", record.item_after.status)),
        );
    }
    found.extend(collateral(record, canon, id_field));
    found
}

/// Canaries that changed or vanished: only the case's own canaries listed before the DELETE
/// are compared, whatever the id type (other cases' resources, and the target itself, come and
/// go in the same collection).
fn collateral(
    record: &Record,
    canon: &Canon,
    id_field: &crate::scenario::IdField,
) -> Option<Violation> {
    let (Some(before), Some(after)) = (
        &record.collection_before.items,
        &record.collection_after.items,
    ) else {
        return None;
    };
    let id_of = |item: &Value| id_field.read(item);
    let listed: Vec<&String> = record
        .canary_ids
        .iter()
        .filter(|id| id.as_str() != record.target_id)
        .filter(|id| before.iter().any(|item| id_of(item).as_ref() == Some(*id)))
        .collect();
    let canaries = |items: &[Value]| -> Value {
        Value::Array(
            items
                .iter()
                .filter(|item| id_of(item).is_some_and(|id| listed.contains(&&id)))
                .map(|item| canon.body(item))
                .collect(),
        )
    };
    states_differ(
        ("canaries before DELETE", &canaries(before)),
        ("canaries after DELETE", &canaries(after)),
        || {
            Violation::error("DELETE changed or removed another resource")
                .rule("collateral-change")
                .expected("DELETE removes only its target (RFC 9110 §9.3.5)")
                .observed("the case's canaries in the collection differ (see diff)")
        },
    )
}
