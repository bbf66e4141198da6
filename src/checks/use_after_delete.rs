//! `use-after-delete`: after a successful DELETE, GET and HEAD of the resource answer 404 or
//! 410, never 2xx (RFC 9110 §9.3.5). For a nested resource, the case then deletes its parent
//! while a child of it exists: the API may refuse (`ON DELETE RESTRICT`) or delete the
//! children with it (`ON DELETE CASCADE`), but a child still served under a deleted parent is
//! an orphan.

use futures::future::LocalBoxFuture;
use serde::Deserialize;
use toml::Spanned;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::verdict::{answered, token_refused};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::{Violation, statuses};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::model::StatusesDoc;
use crate::scenario::{OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};

/// The check.
pub(crate) struct UseAfterDelete;

/// `[resources.NAME.checks.use-after-delete]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UseAfterDeleteOptions {
    /// Statuses accepted for GET/HEAD after a DELETE.
    pub(crate) gone_statuses: Vec<u16>,
}

impl Default for UseAfterDeleteOptions {
    fn default() -> Self {
        UseAfterDeleteOptions {
            gone_statuses: vec![404, 410],
        }
    }
}

/// `[resources.NAME.checks.use-after-delete]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UseAfterDeleteDoc {
    /// Read by `CheckOptions::enabled`; here so that the key is accepted and type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
    gone_statuses: Option<Spanned<StatusesDoc>>,
}

impl Check for UseAfterDelete {
    const ID: CheckId = CheckId::UseAfterDelete;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::ToCreate;
    type Options = UseAfterDeleteOptions;
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<UseAfterDeleteOptions, ScenarioError> {
        let doc: UseAfterDeleteDoc = table.doc()?;
        Ok(UseAfterDeleteOptions {
            gone_statuses: table.statuses(
                doc.gone_statuses.as_ref(),
                "gone_statuses",
                false,
                UseAfterDeleteOptions::default().gone_statuses,
            )?,
        })
    }

    fn skip_reason(&self, resource: &Resource, _: &UseAfterDeleteOptions) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &UseAfterDeleteOptions) -> Vec<Need> {
        [Need::UnknownIdsAbsent, Need::Delete].into()
    }

    fn outline(&self, resource: &Resource, _: &UseAfterDeleteOptions, _: bool) -> Outline {
        let item = &resource.item;
        let (create, creates) = outline::create(resource, "a generated body");
        let mut steps = Outline::new()
            .step(create, [creates])
            .step(format!("DELETE {item}"), [send(Method::Delete, To::Item)])
            .step(format!("GET {item}"), [send(Method::Get, To::Item)]);
        if resource.supports(Method::Head) {
            steps.push(format!("HEAD {item}"), [send(Method::Head, To::Item)]);
        }
        if let Some(parent) = &resource.parent {
            let (create, creates) = outline::create(resource, "another generated body");
            steps = steps
                .step(create, [creates])
                .step(
                    format!(
                        "DELETE the parent {} while it holds that item",
                        parent.resource.item
                    ),
                    [send(Method::Delete, To::Parent)],
                )
                .step(
                    format!("GET {item} (when the parent's DELETE succeeded)"),
                    [send(Method::Get, To::Item).between(0, 1)],
                );
        }
        steps
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c UseAfterDeleteOptions,
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        options: &UseAfterDeleteOptions,
        _: &Canons,
    ) -> Vec<Violation> {
        if let Some(refused) = token_refused(resource, &record.delete, "the DELETE") {
            return vec![refused];
        }
        judge(record, options)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Delete)).then(|| "the resource declares no DELETE".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) delete: Exchange,
    /// GET, then HEAD (when declared) of the deleted resource.
    pub(crate) reads: Vec<Exchange>,
    /// For a nested resource: the DELETE of the case's parent while a child existed.
    pub(crate) parent: Option<ParentDelete>,
}

/// A nested resource's parent deleted under a live child.
#[derive(Debug, Clone)]
pub(crate) struct ParentDelete {
    pub(crate) delete: Exchange,
    /// The GET of the child, after a DELETE of the parent that succeeded (not 202).
    pub(crate) child: Option<Exchange>,
}

/// Create, DELETE, then GET and HEAD.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let id = session.create_generated(generator, "create").await?;
    let delete = session.delete(&id, "DELETE it").await?;
    let delete = session.exchange(delete).clone();
    let mut reads = Vec::new();
    if delete.response.is_success() {
        let path = session.resource.item_path(&id);
        let get = session
            .send("GET after DELETE", Req::new(Method::Get, path.clone()))
            .await?;
        reads.push(session.exchange(get).clone());
        if session.resource.supports(Method::Head) {
            let head = session
                .send("HEAD after DELETE", Req::new(Method::Head, path))
                .await?;
            reads.push(session.exchange(head).clone());
        }
    }
    let parent = match session.parent_url().map(str::to_owned) {
        Some(parent) => Some(delete_parent(session, generator, parent).await?),
        None => None,
    };
    Ok(Record {
        delete,
        reads,
        parent,
    })
}

/// Creates a child, DELETEs the case's parent, and GETs the child when that succeeded.
async fn delete_parent(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    parent: String,
) -> Result<ParentDelete, CaseError> {
    let id = session
        .create_generated(generator, "create a child")
        .await?;
    let delete = session
        .send(
            "DELETE the parent while it has a child",
            Req::new(Method::Delete, parent),
        )
        .await?;
    let delete = session.exchange(delete).clone();
    let gone = delete.response.is_success() && delete.response.status != 202;
    let child = if gone {
        let path = session.resource.item_path(&id);
        let get = session
            .send(
                "GET the child after its parent's DELETE",
                Req::new(Method::Get, path),
            )
            .await?;
        Some(session.exchange(get).clone())
    } else {
        None
    };
    Ok(ParentDelete { delete, child })
}

/// A child still served under its deleted parent.
fn orphan(parent: &ParentDelete, options: &UseAfterDeleteOptions) -> Option<Violation> {
    let child = parent.child.as_ref()?;
    if !child.response.is_success() {
        return None;
    }
    Some(
        Violation::warning("a child is still served after its parent was deleted")
            .rule("child-2xx-after-parent-delete")
            .expected(format!(
                "the parent's DELETE refused while it has children (e.g. 409), or {} for its children after it",
                statuses(&options.gone_statuses)
            ))
            .observed(format!("{}; then {}", answered(&parent.delete), answered(child))),
    )
}

/// A HEAD refused outright (405, 501): the server does not support HEAD on the item at all,
/// which `head-parity` reports (RFC 9110 §9.1); it says nothing about the deletion.
fn head_refused(read: &Exchange) -> bool {
    read.request.method == Method::Head && matches!(read.response.status, 405 | 501)
}

/// The oracle.
pub(crate) fn judge(record: &Record, options: &UseAfterDeleteOptions) -> Vec<Violation> {
    if !record.delete.response.is_success() {
        return vec![
            Violation::warning("DELETE of an existing resource did not succeed")
                .rule("delete-failed")
                .expected("200, 202 or 204")
                .observed(answered(&record.delete)),
        ];
    }
    let orphan = record.parent.as_ref().and_then(|p| orphan(p, options));
    if record.delete.response.status == 202 {
        // Accepted: the deletion may not have happened yet; nothing to demand.
        return orphan.into_iter().collect();
    }
    record
        .reads
        .iter()
        .filter(|read| !options.gone_statuses.contains(&read.response.status))
        .filter(|read| !head_refused(read))
        .map(|read| {
            let severity_error = read.response.is_success();
            let violation = if severity_error {
                Violation::error(format!(
                    "{} of a deleted resource answered {}",
                    read.request.method, read.response.status
                ))
                .rule(format!(
                    "{}-2xx-after-delete",
                    read.request.method.as_str().to_ascii_lowercase()
                ))
            } else {
                Violation::warning(format!(
                    "{} of a deleted resource answered an unexpected status",
                    read.request.method
                ))
                .rule(format!(
                    "{}-unexpected-status-after-delete",
                    read.request.method.as_str().to_ascii_lowercase()
                ))
            };
            violation
                .expected(format!(
                    "{} after a successful DELETE",
                    statuses(&options.gone_statuses)
                ))
                .observed(answered(read))
        })
        .chain(orphan)
        .collect()
}
