//! `repeat-delete`: DELETE twice (RFC 9110 §9.2.2, §9.3.5). The resource is gone afterwards,
//! the second DELETE answers 2xx, 404 or 410 (never 5xx), and no other resource disappears —
//! run-owned canaries sit beside the target to notice collateral deletes.
//!
//! With client-chosen ids (`create = "put"`) the canaries are look-alikes: those created after
//! the target have ids that extend the target's (`{target}-{n}`), and one more canary has the
//! target's id with the case of its letters swapped. A DELETE that matches ids by prefix,
//! pattern or case removes them too (`look-alike-removed`). A look-alike is judged only when the
//! listing before the DELETE shows it as a resource of its own (for the other-case one: beside
//! the target), so a server whose ids are case-insensitive — one resource under two spellings —
//! is not blamed.

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
use crate::scenario::{CreateMode, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// Most canaries `repeat-delete` may create.
const MAX_CANARIES: u32 = 20;

/// The check.
pub(crate) struct RepeatDelete;

/// `[resources.NAME.checks.repeat-delete]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepeatDeleteOptions {
    /// Statuses accepted for the second DELETE.
    pub(crate) second_delete_statuses: Vec<u16>,
    /// Statuses accepted for a GET after the DELETEs.
    pub(crate) gone_statuses: Vec<u16>,
    /// Run-owned resources kept beside the target to notice collateral deletes.
    pub(crate) canaries: u32,
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
        let item = &resource.item;
        let canaries = options.canaries;
        let (create, creates) = outline::create(resource, "generated bodies");
        if resource.create != CreateMode::Put {
            return after_creation(
                Outline::new().step(
                    format!(
                        "{create} ×{}: the target and {canaries} canary resource(s)",
                        canaries + 1
                    ),
                    [creates.times(canaries + 1)],
                ),
                resource,
            );
        }
        let after = canaries - canaries / 2;
        let steps = Outline::new()
            .step(
                format!(
                    "{create} ×{}: the target and {canaries} canary resource(s); the {after} created after the target are look-alikes whose ids extend the target's (for one the API refuses, PUT {item}: a plain canary)",
                    canaries + 1
                ),
                [
                    creates.times(canaries + 1),
                    send(Method::Put, To::Item).between(0, after),
                ],
            )
            .step(
                format!(
                    "GET {item}, PUT {item}: a look-alike canary whose id is the target's in other case, when that GET answers no 2xx"
                ),
                [
                    send(Method::Get, To::Item).between(0, 1),
                    send(Method::Put, To::Item).between(0, 1),
                ],
            );
        after_creation(steps, resource)
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

/// The outline's steps after the creations: list, DELETE twice, read back.
fn after_creation(steps: Outline, resource: &Resource) -> Outline {
    let (item, collection) = (&resource.item, &resource.collection);
    steps
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

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Delete)).then(|| "the resource declares no DELETE".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) target_id: String,
    /// The canaries the case created beside the target: collateral damage is judged on them
    /// only (other cases' resources come and go in the same collection).
    pub(crate) canary_ids: Vec<String>,
    pub(crate) collection_before: CollectionSnapshot,
    pub(crate) first_delete: Exchange,
    pub(crate) second_delete: Exchange,
    pub(crate) item_after: ItemSnapshot,
    pub(crate) collection_after: CollectionSnapshot,
    /// The canaries whose ids resemble the target's that the API accepted (2xx).
    pub(crate) look_alikes: Vec<LookAlike>,
}

/// A canary whose id resembles the target's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LookAlike {
    pub(crate) id: String,
    pub(crate) resemblance: Resemblance,
}

/// How a look-alike canary's id resembles the target's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resemblance {
    /// The target's id followed by more (`{target}-{n}`): removed by a prefix match.
    Extends,
    /// The target's id with the case of its letters swapped: removed by a match ignoring case.
    OtherCase,
}

impl Resemblance {
    fn describe(self) -> &'static str {
        match self {
            Resemblance::Extends => "extends the target's id",
            Resemblance::OtherCase => "the target's id in other case",
        }
    }
}

/// Creates canary, target, canary; DELETEs the target twice; snapshots.
pub(crate) async fn execute(
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
    let mut look_alikes = Vec::new();
    for n in before..options.canaries {
        let (id, look_alike) = create_canary_after(session, generator, n + 1, &target_id).await?;
        canary_ids.push(id);
        look_alikes.extend(look_alike);
    }
    if let Some(look_alike) = create_other_case(session, generator, &target_id).await? {
        canary_ids.push(look_alike.id.clone());
        look_alikes.push(look_alike);
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
        look_alikes,
    })
}

/// A canary created after the target. With client-chosen ids it is a look-alike whose id
/// extends the target's (`{target}-{n}`), which a DELETE of the target that matches by prefix
/// removes too; when the API refuses that id (non-2xx, e.g. an id pattern), a plain canary is
/// created in its place, so the collateral check keeps its canaries. Otherwise (server-assigned
/// ids) it is a plain canary.
async fn create_canary_after(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    n: u32,
    target: &str,
) -> Result<(String, Option<LookAlike>), CaseError> {
    if session.resource.create != CreateMode::Put {
        return Ok((create_canary(session, generator, n).await?, None));
    }
    let id = session.fresh_id_extending(target);
    match create_look_alike(session, generator, id, Resemblance::Extends, n).await? {
        Some(look_alike) => Ok((look_alike.id.clone(), Some(look_alike))),
        None => Ok((create_canary(session, generator, n).await?, None)),
    }
}

/// With client-chosen ids: PUTs a look-alike canary whose id is the target's in other case —
/// only when a GET of it answers no 2xx (an API whose ids ignore case answers it as the target,
/// and writing it would overwrite the target). One the API refuses (e.g. an id pattern without
/// capitals) is left out; it is no setup failure.
async fn create_other_case(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    target: &str,
) -> Result<Option<LookAlike>, CaseError> {
    if session.resource.create != CreateMode::Put {
        return Ok(None);
    }
    let Some(other_case) = session.id_in_other_case(target) else {
        return Ok(None);
    };
    let read = session
        .get_item(&other_case, OTHER_CASE_READ_PURPOSE)
        .await?;
    if (200..300).contains(&read.status) {
        return Ok(None);
    }
    let resemblance = Resemblance::OtherCase;
    create_look_alike(session, generator, other_case, resemblance, 0).await
}

/// The purpose of the GET that tells whether the target's id in other case is free.
const OTHER_CASE_READ_PURPOSE: &str =
    "is the target's id in other case free? (ids that ignore case answer it as the target)";

/// PUTs a generated body to a look-alike id (canary `n`, or 0 for the one beside the
/// canaries); the look-alike when the API accepted it (2xx).
async fn create_look_alike(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    id: String,
    resemblance: Resemblance,
    n: u32,
) -> Result<Option<LookAlike>, CaseError> {
    let body = generator.generate(&session.resource.body);
    let canary = if n == 0 {
        "create a look-alike canary".to_string()
    } else {
        format!("create canary {n}, a look-alike")
    };
    let purpose = format!("{canary} (its id {})", resemblance.describe());
    let index = session.put(&id, &body, &purpose).await?;
    let accepted = session.exchange(index).response.is_success();
    Ok(accepted.then_some(LookAlike { id, resemblance }))
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

/// The oracle.
pub(crate) fn judge(
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

/// Canaries that changed or vanished: look-alikes the DELETE removed, then the case's other
/// canaries listed before the DELETE, whatever the id type (other cases' resources, and the
/// target itself, come and go in the same collection).
fn collateral(
    record: &Record,
    canon: &Canon,
    id_field: &crate::scenario::IdField,
) -> Vec<Violation> {
    let (Some(before), Some(after)) = (
        &record.collection_before.items,
        &record.collection_after.items,
    ) else {
        return Vec::new();
    };
    let listed = |items: &[Value], id: &str| {
        items
            .iter()
            .any(|item| id_field.read(item).as_deref() == Some(id))
    };
    let target = record.target_id.as_str();
    let judged = |look: &&LookAlike| {
        listed(before, &look.id)
            && (look.resemblance != Resemblance::OtherCase || listed(before, target))
    };
    let (judged, unjudged): (Vec<&LookAlike>, Vec<&LookAlike>) =
        record.look_alikes.iter().partition(judged);
    let removed: Vec<&LookAlike> = judged
        .into_iter()
        .filter(|look| !listed(after, &look.id))
        .collect();
    let left_out = |id: &str| {
        id == target
            || unjudged.iter().any(|look| look.id == id)
            || removed.iter().any(|look| look.id == id)
    };
    let id_of = |item: &Value| id_field.read(item);
    let canaries_listed: Vec<&String> = record
        .canary_ids
        .iter()
        .filter(|id| id.as_str() != record.target_id)
        .filter(|id| before.iter().any(|item| id_of(item).as_ref() == Some(*id)))
        .collect();
    let canaries = |items: &[Value]| -> Value {
        Value::Array(
            items
                .iter()
                .filter(|item| {
                    id_of(item).is_some_and(|id| canaries_listed.contains(&&id) && !left_out(&id))
                })
                .map(|item| canon.body(item))
                .collect(),
        )
    };
    let mut found: Vec<Violation> = look_alikes_removed(record, &removed).into_iter().collect();
    found.extend(states_differ(
        ("canaries before DELETE", &canaries(before)),
        ("canaries after DELETE", &canaries(after)),
        || {
            Violation::error("DELETE changed or removed another resource")
                .rule("collateral-change")
                .expected("DELETE removes only its target (RFC 9110 §9.3.5)")
                .observed("the case's canaries in the collection differ (see diff)")
        },
    ));
    found
}

/// An error when the DELETE of the target removed canaries whose ids resemble its id.
fn look_alikes_removed(record: &Record, removed: &[&LookAlike]) -> Option<Violation> {
    if removed.is_empty() {
        return None;
    }
    let ids: Vec<String> = removed
        .iter()
        .map(|look| format!("{} ({})", look.id, look.resemblance.describe()))
        .collect();
    Some(
        Violation::error("DELETE also removed resources whose ids resemble the target's")
            .rule("look-alike-removed")
            .expected("DELETE removes only its target, matching its id exactly — never by prefix, pattern or case (RFC 9110 §9.3.5; paths are case-sensitive, RFC 3986 §6.2.2.1)")
            .observed(format!(
                "{}; the collection, which listed them before, no longer lists {}",
                answered(&record.first_delete),
                ids.join(", ")
            )),
    )
}
