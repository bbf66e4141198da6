//! `partial-put`: PUT replaces the whole state (RFC 9110 §9.3.4). Full body A, then body B
//! without the optional members, then A again: after B the resource holds what a fresh resource
//! given B alone holds (judged differentially, [`crate::checks::replacement`]: a server may fill
//! the omitted members with `null` or defaults), and after the second A the state equals the
//! state after the first.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts, no_options};
use crate::checks::fit::Need;
use crate::checks::matching::member_names;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::replacement::{self, Side};
use crate::checks::verdict::states_differ;
use crate::model::check::CheckId;
use crate::model::exchange::Method;
use crate::model::violation::Violation;
use crate::scenario::generate::{BodyGenerator, partial_body};
use crate::scenario::{CreateMode, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;

/// The check.
pub(crate) struct PartialPut;

impl Check for PartialPut {
    const ID: CheckId = CheckId::PartialPut;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::Sent;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected, Need::UnconditionalUpdate].into()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let item = &resource.item;
        let (create, creates) = outline::create(resource, "full body A");
        let mut steps = Outline::new().step(create, [creates]);
        if resource.create == CreateMode::Post {
            steps.push(
                format!("PUT {item} full body A"),
                [send(Method::Put, To::Item)],
            );
        }
        let put_get = [send(Method::Put, To::Item), send(Method::Get, To::Item)];
        let steps = steps
            .step(format!("GET {item}"), [send(Method::Get, To::Item)])
            .step(
                format!("PUT {item} body B (required members only), GET {item}"),
                put_get,
            )
            .step(format!("PUT {item} full body A again, GET {item}"), put_get);
        match resource.create {
            CreateMode::Put => steps.step(
                format!("PUT {item} body B on a fresh id, GET it (reference: B alone)"),
                put_get,
            ),
            CreateMode::Post => steps.step(
                format!(
                    "POST {} body B, PUT {item} body B, GET it (reference: B alone)",
                    resource.collection
                ),
                [
                    send(Method::Post, To::Collection),
                    send(Method::Put, To::Item),
                    send(Method::Get, To::Item),
                ],
            ),
        }
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
    if !resource.supports(Method::Put) {
        return Some("the resource declares no PUT".into());
    }
    let optional = optional_members(resource);
    optional.is_empty().then(|| {
        "the body template has no optional top-level member (every member is in `required`)".into()
    })
}

/// Top-level members of the template that are not required.
fn optional_members(resource: &Resource) -> Vec<String> {
    resource
        .body
        .top_level_members()
        .into_iter()
        .filter(|member| !resource.required.iter().any(|r| r == member))
        .map(str::to_string)
        .collect()
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Members of A that B omits.
    pub(crate) omitted: Vec<String>,
    /// Top-level members of A or B: the client-controlled part of the state.
    pub(crate) client_members: Vec<String>,
    pub(crate) id: String,
    pub(crate) after_a: ItemSnapshot,
    pub(crate) after_b: ItemSnapshot,
    pub(crate) after_a_again: ItemSnapshot,
    /// A fresh resource that received B alone: what replacing with B looks like here.
    pub(crate) reference_id: String,
    pub(crate) reference: ItemSnapshot,
}

/// PUT A, snapshot, PUT B (required members only), snapshot, PUT A, snapshot; then B alone on a
/// fresh resource, snapshot.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let body_a = generator.generate(&session.resource.body);
    let body_b = partial_body(&body_a, &session.resource.required);
    let omitted = omitted_members(&body_a, &body_b);
    let created = session.create(&body_a, "create with full body A").await?;
    let id = created.id;
    if session.resource.create == CreateMode::Post {
        let index = session.put(&id, &body_a, "PUT full body A").await?;
        session.require_success(index)?;
    }
    let after_a = session.get_item(&id, "snapshot after PUT A").await?;
    let index = session
        .put(&id, &body_b, "PUT body B: required members only")
        .await?;
    session.require_success(index)?;
    let after_b = session.get_item(&id, "snapshot after PUT B").await?;
    let index = session.put(&id, &body_a, "PUT full body A again").await?;
    session.require_success(index)?;
    let after_a_again = session.get_item(&id, "snapshot after PUT A again").await?;
    let reference_id = reference(session, &body_b).await?;
    let reference = session
        .get_item(&reference_id, "snapshot the reference (B alone)")
        .await?;
    Ok(Record {
        omitted,
        client_members: member_names(&[&body_a, &body_b]),
        id,
        after_a,
        after_b,
        after_a_again,
        reference_id,
        reference,
    })
}

/// A fresh resource that received body B alone: PUT to a fresh id, or POST then the same PUT
/// (so that both resources went through a PUT of B).
async fn reference(session: &mut Session<'_>, body_b: &Value) -> Result<String, CaseError> {
    match session.resource.create {
        CreateMode::Put => {
            let id = session.fresh_id();
            let index = session
                .put(&id, body_b, "reference: PUT body B to a fresh id")
                .await?;
            session.require_success(index)?;
            Ok(id)
        }
        CreateMode::Post => {
            let id = session.create(body_b, "reference: POST body B").await?.id;
            let index = session
                .put(&id, body_b, "reference: PUT body B to it")
                .await?;
            session.require_success(index)?;
            Ok(id)
        }
    }
}

fn omitted_members(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Vec::new();
    };
    a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
}

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let mut found = Vec::new();
    found.extend(merged(record, canon));
    found.extend(states_differ(
        ("after PUT A", &canon.item_state(&record.after_a.as_state())),
        (
            "after PUT A, B, A",
            &canon.item_state(&record.after_a_again.as_state()),
        ),
        || {
            Violation::error("PUT A after PUT B does not restore the state of PUT A")
                .rule("not-restored")
                .expected("the same full PUT gives the same state whatever came before")
                .observed("the state after A, B, A differs from the state after A (see diff)")
        },
    ));
    found
}

/// After A then B, the resource must hold what a fresh resource given B alone holds.
fn merged(record: &Record, canon: &Canon) -> Option<Violation> {
    let subject = Side {
        label: "observed after PUT A, then PUT B",
        id: &record.id,
        read: &record.after_b,
    };
    let reference = Side {
        label: "expected: a fresh resource given B alone",
        id: &record.reference_id,
        read: &record.reference,
    };
    let diff = replacement::differs(&subject, &reference, &record.client_members, canon)?;
    let differing =
        replacement::differing_members(&subject, &reference, &record.client_members, canon);
    let survivors: Vec<&String> = differing
        .iter()
        .filter(|m| record.omitted.contains(m))
        .collect();
    let names = |members: &[&String]| {
        members
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let observed = if survivors.is_empty() {
        format!(
            "after PUT B, {} differ from a fresh resource given B alone",
            names(&differing.iter().collect::<Vec<_>>())
        )
    } else {
        format!(
            "{} still hold what PUT A sent, where a fresh resource given B alone holds something else",
            names(&survivors)
        )
    };
    Some(
        Violation::error("PUT merged instead of replacing: omitted members survived")
            .rule("merged")
            .expected(
                "after PUT A then PUT B, the state a fresh resource given B alone has (RFC 9110 §9.3.4: PUT replaces; members B omits hold the server's defaults, not A's values)",
            )
            .observed(observed)
            .diff(Some(diff)),
    )
}
