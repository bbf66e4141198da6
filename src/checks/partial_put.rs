//! `partial-put`: PUT replaces the whole state (RFC 9110 §9.3.4). Full body A, then body B
//! without the optional members, then A again: after B the omitted members are gone, and after
//! the second A the state equals the state after the first.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts, no_options};
use crate::checks::outline::{self, Outline, To, send};
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
pub struct PartialPut;

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
        steps
            .step(format!("GET {item}"), [send(Method::Get, To::Item)])
            .step(
                format!("PUT {item} body B (required members only), GET {item}"),
                put_get,
            )
            .step(format!("PUT {item} full body A again, GET {item}"), put_get)
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
pub fn skip_reason(resource: &Resource) -> Option<String> {
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
pub struct Record {
    /// Members of A that B omits.
    pub omitted: Vec<String>,
    pub after_a: ItemSnapshot,
    pub after_b: ItemSnapshot,
    pub after_a_again: ItemSnapshot,
}

/// PUT A, snapshot, PUT B (required members only), snapshot, PUT A, snapshot.
pub async fn execute(
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
    Ok(Record {
        omitted,
        after_a,
        after_b,
        after_a_again,
    })
}

/// An item state with the given top-level body members removed.
fn without_members(mut state: Value, members: &[String]) -> Value {
    if let Some(Value::Object(body)) = state.get_mut("body") {
        body.retain(|name, _| !members.contains(name));
    }
    state
}

/// The values servers fill an omitted optional member with.
fn is_default_like(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.is_empty(),
    }
}

fn omitted_members(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Vec::new();
    };
    a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
}

/// The oracle.
pub fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let mut found = Vec::new();
    let after_b = canon.item_state(&record.after_b.as_state());
    let after_a = canon.item_state(&record.after_a.as_state());
    let member = |state: &Value, name: &str| state.get("body").and_then(|b| b.get(name)).cloned();
    // A member that kept its value from A survived the PUT; one the server reset to a default
    // (`null`, `""`, `[]`: what DRF and pydantic store for an omitted optional field) was
    // replaced. A value of A that is itself such a default cannot tell the two apart.
    let survivors: Vec<&String> = record
        .omitted
        .iter()
        .filter(
            |name| match (member(&after_a, name), member(&after_b, name)) {
                (Some(a), Some(b)) => a == b && !is_default_like(&a),
                (None, Some(_)) => true,
                _ => false,
            },
        )
        .collect();
    if !survivors.is_empty() {
        let names = survivors
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let expected_state = without_members(
            canon.item_state(&record.after_a.as_state()),
            &record.omitted,
        );
        found.push(
            Violation::error("PUT merged instead of replacing: omitted members survived")
                .rule("merged")
                .expected(format!(
                    "after a PUT without {names}, the resource has no {names}"
                ))
                .observed(format!("{names} still present after PUT B"))
                .diff(crate::snapshot::diff::unified_diff(
                    "expected after PUT B (state of A without the omitted members)",
                    &expected_state,
                    "observed after PUT B",
                    &after_b,
                )),
        );
    }
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
