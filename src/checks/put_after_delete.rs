//! `put-after-delete`: PUT A, DELETE, PUT B re-creates the resource with exactly B
//! (RFC 9110 §9.3.4, §9.3.5): no member of A comes back, and the PUT answers 201 — or a declared
//! refusal with nothing created. "Exactly B" is judged against PUT B on a fresh id, over the
//! members the client controls (those of A or B): the server's own per-resource members (ids,
//! creation times) legitimately differ between two resources and are not compared.

use futures::future::LocalBoxFuture;
use serde::Deserialize;
use toml::Spanned;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts};
use crate::checks::fit::Need;
use crate::checks::matching::member_names;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::replacement::{self, Side};
use crate::checks::verdict::{answered, token_refused};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::{Violation, statuses};
use crate::scenario::generate::{BodyGenerator, partial_body};
use crate::scenario::model::StatusesDoc;
use crate::scenario::{CreateMode, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;

/// The check.
pub(crate) struct PutAfterDelete;

/// `[resources.NAME.checks.put-after-delete]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PutAfterDeleteOptions {
    /// Statuses with which the API may refuse to re-create a deleted id (default none).
    pub(crate) refusal_statuses: Vec<u16>,
}

/// `[resources.NAME.checks.put-after-delete]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutAfterDeleteDoc {
    /// Read by `CheckOptions::enabled`; here so that the key is accepted and type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
    refusal_statuses: Option<Spanned<StatusesDoc>>,
}

impl Check for PutAfterDelete {
    const ID: CheckId = CheckId::PutAfterDelete;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::Sent;
    type Options = PutAfterDeleteOptions;
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<PutAfterDeleteOptions, ScenarioError> {
        let doc: PutAfterDeleteDoc = table.doc()?;
        Ok(PutAfterDeleteOptions {
            refusal_statuses: table.statuses(
                doc.refusal_statuses.as_ref(),
                "refusal_statuses",
                true,
                Vec::new(),
            )?,
        })
    }

    fn skip_reason(&self, resource: &Resource, _: &PutAfterDeleteOptions) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &PutAfterDeleteOptions) -> Vec<Need> {
        [Need::BodyReflected, Need::UnknownIdsAbsent, Need::Delete].into()
    }

    fn notes(&self, resource: &Resource, _: bool) -> Vec<String> {
        crate::checks::status_conformance::declared_create_statuses(resource)
            .into_iter()
            .collect()
    }

    fn outline(&self, resource: &Resource, _: &PutAfterDeleteOptions, _: bool) -> Outline {
        let item = &resource.item;
        let (create, creates) = outline::create(resource, "body A");
        let put_get = [send(Method::Put, To::Item), send(Method::Get, To::Item)];
        Outline::new()
            .step(create, [creates])
            .step(format!("DELETE {item}"), [send(Method::Delete, To::Item)])
            .step(
                format!("PUT {item} body B (required members only), GET {item}"),
                put_get,
            )
            .step(
                format!("PUT {item} body B on a fresh id, GET it (reference)"),
                put_get,
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c PutAfterDeleteOptions,
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        options: &PutAfterDeleteOptions,
        canons: &Canons,
    ) -> Vec<Violation> {
        if let Some(refused) = token_refused(resource, &record.delete, "the DELETE") {
            return vec![refused];
        }
        judge(record, &canons.full, options)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    if resource.create != CreateMode::Put {
        return Some(
            "the resource is created by POST, so PUT to a deleted id is not a create".into(),
        );
    }
    if !resource.supports(Method::Delete) {
        return Some("the resource declares no DELETE".into());
    }
    None
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Top-level members of body A or body B: the client-controlled part of the state.
    pub(crate) client_members: Vec<String>,
    pub(crate) id: String,
    pub(crate) fresh_id: String,
    pub(crate) delete: Exchange,
    pub(crate) put_b: Exchange,
    pub(crate) after: ItemSnapshot,
    /// The same body B PUT to a never-used id: what "exactly B" looks like on this server.
    pub(crate) reference: ItemSnapshot,
    /// Statuses accepted for a PUT that creates (`put_create_statuses`); empty means 201.
    pub(crate) create_statuses: Vec<u16>,
}

/// PUT A, DELETE, PUT B, snapshot; PUT B to a fresh id, snapshot.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let body_a = generator.generate(&session.resource.body);
    let full_b = generator.generate_different(&session.resource.body, &body_a);
    let body_b = partial_body(&full_b, &session.resource.required);
    let client_members = member_names(&[&body_a, &body_b]);
    let id = session.create(&body_a, "create with body A").await?.id;
    let delete = session.delete(&id, "DELETE it").await?;
    let delete = session.exchange(delete).clone();
    let put_b = session
        .put(&id, &body_b, "PUT body B to the deleted id")
        .await?;
    let put_b = session.exchange(put_b).clone();
    let after = session.get_item(&id, "snapshot after PUT B").await?;
    let fresh_id = session.fresh_id();
    let reference = session
        .put(&fresh_id, &body_b, "reference: PUT body B to a fresh id")
        .await?;
    session.require_success(reference)?;
    let reference = session
        .get_item(&fresh_id, "snapshot the reference")
        .await?;
    Ok(Record {
        client_members,
        id,
        fresh_id,
        delete,
        put_b,
        after,
        reference,
        create_statuses: session.resource.put_create_statuses.clone(),
    })
}

/// The oracle.
pub(crate) fn judge(
    record: &Record,
    canon: &Canon,
    options: &PutAfterDeleteOptions,
) -> Vec<Violation> {
    if !record.delete.response.is_success() || record.delete.response.status == 202 {
        return vec![
            Violation::warning("DELETE did not complete, so PUT after DELETE could not be judged")
                .rule("delete-incomplete")
                .expected("200 or 204")
                .observed(answered(&record.delete)),
        ];
    }
    let status = record.put_b.response.status;
    if options.refusal_statuses.contains(&status) {
        return refused(record);
    }
    let mut found = Vec::new();
    let created = match record.create_statuses.as_slice() {
        [] => status == 201,
        accepted => accepted.contains(&status),
    };
    if !created {
        let create = match record.create_statuses.as_slice() {
            [] | [201] => "201 (RFC 9110 §9.3.4: a PUT that creates MUST answer 201)".to_string(),
            declared => crate::checks::status_conformance::create_expectation(declared),
        };
        found.push(
            Violation::error("PUT re-creating a deleted resource did not answer 201 Created")
                .rule("recreate-not-201")
                .expected(if options.refusal_statuses.is_empty() {
                    create
                } else {
                    format!(
                        "{create}, or a declared refusal: {}",
                        statuses(&options.refusal_statuses)
                    )
                })
                .observed(answered(&record.put_b)),
        );
    }
    let subject = Side {
        label: "PUT A, DELETE, PUT B",
        id: &record.id,
        read: &record.after,
    };
    let reference = Side {
        label: "PUT B on a fresh id",
        id: &record.fresh_id,
        read: &record.reference,
    };
    if let Some(diff) = replacement::differs(&subject, &reference, &record.client_members, canon) {
        found.push(
            Violation::error("PUT after DELETE did not produce exactly the new representation")
                .rule("old-state-back")
                .expected("the same state as PUT B on a never-used id: nothing of A comes back")
                .observed("the re-created resource differs (see diff)")
                .diff(Some(diff)),
        );
    }
    found
}

/// A declared refusal: then nothing may have been created.
fn refused(record: &Record) -> Vec<Violation> {
    if record.after.exists() {
        vec![
            Violation::error("PUT after DELETE was refused but the resource exists")
                .rule("refused-but-exists")
                .expected("a refused PUT creates nothing")
                .observed(format!(
                    "{}; GET then answered {}",
                    answered(&record.put_b),
                    record.after.status
                )),
        ]
    } else {
        Vec::new()
    }
}
