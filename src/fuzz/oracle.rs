//! The fuzz oracles, pure functions from executions to broken rules: the per-step rules of the
//! core checks applied at every point of a sequence, and the metamorphic relations that compare
//! a sequence with its variant (oracles.md, "RFC 9110 — methods": idempotent and safe methods).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fuzz::execute::{Execution, StepResult};
use crate::model::exchange::Method;
use crate::model::fuzz::SideBySide;
use crate::model::fuzz::ops::{Op, Relation};
use crate::model::violation::Violation;
use crate::snapshot::canonical::Canon;
use crate::snapshot::diff::unified_diff;
use crate::snapshot::holds::same;

/// Which rule broke: the relation and the rule within it. Shrinking keeps a candidate only when
/// it breaks the same rule, so a failure never shrinks into a different bug.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Signature {
    pub(crate) relation: String,
    pub(crate) rule: String,
}

impl Signature {
    fn new(relation: &str, rule: &str) -> Signature {
        Signature {
            relation: relation.into(),
            rule: rule.into(),
        }
    }
}

/// A broken rule with its explanation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Broken {
    pub(crate) signature: Signature,
    pub(crate) violation: Violation,
}

/// What the oracles need to know about the resource.
#[derive(Debug, Clone)]
pub(crate) struct OracleContext {
    /// Top-level members of the body template: the members a client controls.
    pub(crate) client_members: Vec<String>,
    /// Statuses that say "gone" (404, 410 unless the scenario says otherwise).
    pub(crate) gone_statuses: Vec<u16>,
    /// Canon for comparing two executions: declared, volatile and per-instance fields ignored.
    pub(crate) cross: Canon,
}

// ---- Per-step rules -------------------------------------------------------------------------

/// A read of an id and the last write to that id before it.
struct Read<'a> {
    label: String,
    state: &'a Value,
    status: u16,
    last_write: Option<&'a StepResult>,
}

/// Every read of the execution (GET steps, then the final snapshots) with its last write.
fn reads(execution: &Execution) -> Vec<Read<'_>> {
    let mut last: BTreeMap<&str, &StepResult> = BTreeMap::new();
    let mut found = Vec::new();
    for (n, step) in execution.steps.iter().enumerate() {
        let Some(id) = step.id.as_deref() else {
            continue;
        };
        if let Some(state) = &step.state {
            found.push(Read {
                label: format!("step {} ({})", n + 1, step.op.method()),
                state,
                status: step.status,
                last_write: last.get(id).copied(),
            });
        }
        if step.op.is_write() {
            last.insert(id, step);
        }
    }
    for (n, (id, state)) in execution.ids.iter().zip(&execution.finals).enumerate() {
        found.push(Read {
            label: format!("the final snapshot of id {}", n + 1),
            state,
            status: state.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
            last_write: last.get(id.as_str()).copied(),
        });
    }
    found
}

fn succeeded(step: &StepResult) -> bool {
    (200..300).contains(&step.status)
}

/// Every per-step rule on one execution; at most one violation per rule (the first).
pub(crate) fn per_step(execution: &Execution, context: &OracleContext) -> Vec<Broken> {
    let mut found = Vec::new();
    found.extend(put_replaces(execution, context));
    found.extend(used_after_delete(execution, context));
    found.extend(repeated_delete_5xx(execution));
    found
}

/// After a successful PUT, a read shows none of the client members the PUT omitted with the
/// value an earlier write to that id gave them. Judged differentially: a member the PUT omitted
/// that reads as a server default (`null`, `[]`, or any value no earlier write sent) is what a
/// fresh resource given that body alone would hold — replacement, not merging (oracles.md,
/// "Judging honestly").
fn put_replaces(execution: &Execution, context: &OracleContext) -> Option<Broken> {
    reads(execution).into_iter().find_map(|read| {
        let write = read.last_write?;
        let Op::Put { body, .. } = &write.op else {
            return None;
        };
        if !succeeded(write) || !(200..300).contains(&read.status) {
            return None;
        }
        let (sent, seen) = (body.as_object()?, read.state.get("body")?.as_object()?);
        let earlier = earlier_values(execution, write);
        let survivors: Vec<&String> = context
            .client_members
            .iter()
            .filter(|m| !sent.contains_key(*m))
            .filter(|m| {
                seen.get(*m).is_some_and(|value| {
                    !looks_like_a_default(value)
                        && earlier
                            .iter()
                            .any(|body| body.get(*m).is_some_and(|old| same(old, value)))
                })
            })
            .collect();
        if survivors.is_empty() {
            return None;
        }
        let names = survivors
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut expected = read.state.clone();
        if let Some(Value::Object(body)) = expected.get_mut("body") {
            body.retain(|name, _| !survivors.contains(&name));
        }
        Some(Broken {
            signature: Signature::new("per-step", "put-replaces"),
            violation: Violation::error(format!(
                "PUT merged instead of replacing: {names} survived a PUT that omitted them"
            ))
            .expected(format!(
                "after a successful PUT without {names}, the resource has no {names} (PUT replaces the whole state)"
            ))
            .observed(format!("{} still shows {names}", read.label))
            .diff(unified_diff(
                "expected (the read without the omitted members)",
                &context.cross.item_state(&expected),
                &format!("observed ({})", read.label),
                &context.cross.item_state(read.state),
            )),
        })
    })
}

/// `null`, `[]`, `{}`, `""`, `0` or `false`: what a serialiser fills an omitted member with, so
/// an earlier write that sent the same value proves nothing about merging.
fn looks_like_a_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.is_empty(),
    }
}

/// The bodies of the successful writes to `write`'s id before it (PUT, PATCH, creating POST),
/// DELETEs included in between: what a merging or reviving server could carry over.
fn earlier_values<'a>(execution: &'a Execution, write: &StepResult) -> Vec<&'a Value> {
    execution
        .steps
        .iter()
        .take_while(|step| !std::ptr::eq(*step, write))
        .filter(|step| step.id == write.id && succeeded(step))
        .filter_map(|step| match &step.op {
            Op::Put { body, .. } | Op::Post { body, .. } | Op::Patch { body, .. } => Some(body),
            _ => None,
        })
        .collect()
}

/// After a successful DELETE (and no write since), reads answer 404/410.
fn used_after_delete(execution: &Execution, context: &OracleContext) -> Option<Broken> {
    reads(execution).into_iter().find_map(|read| {
        let write = read.last_write?;
        let deleted =
            matches!(write.op, Op::Delete { .. }) && succeeded(write) && write.status != 202;
        if !deleted || context.gone_statuses.contains(&read.status) {
            return None;
        }
        Some(Broken {
            signature: Signature::new("per-step", "use-after-delete"),
            violation: Violation::error(format!(
                "a deleted resource answered {} after a successful DELETE",
                read.status
            ))
            .expected(format!(
                "every read after DELETE answered {} answers {}",
                write.status,
                crate::model::violation::statuses(&context.gone_statuses)
            ))
            .observed(format!("{} answered {}", read.label, read.status)),
        })
    })
}

/// A DELETE of an already deleted resource never answers 5xx.
fn repeated_delete_5xx(execution: &Execution) -> Option<Broken> {
    let mut deleted: BTreeMap<&str, bool> = BTreeMap::new();
    for (n, step) in execution.steps.iter().enumerate() {
        let Some(id) = step.id.as_deref() else {
            continue;
        };
        if matches!(step.op, Op::Delete { .. })
            && deleted.get(id) == Some(&true)
            && step.status >= 500
        {
            return Some(Broken {
                signature: Signature::new("per-step", "repeated-delete-5xx"),
                violation: Violation::error("a repeated DELETE answered a server error")
                    .expected("DELETE of a deleted resource answers 404/410 or 2xx, never 5xx (RFC 9110 §9.2.2)")
                    .observed(format!("step {} (DELETE) answered {}", n + 1, step.status)),
            });
        }
        if step.op.is_write() {
            deleted.insert(id, matches!(step.op, Op::Delete { .. }) && succeeded(step));
        }
    }
    None
}

// ---- Relations ------------------------------------------------------------------------------

/// Whether two answers to the same request are equivalent: equal, both 2xx (201 vs 200/204),
/// or for DELETE 2xx vs 404/410.
fn equivalent(method: Method, a: u16, b: u16, gone: &[u16]) -> bool {
    let ok = |s: u16| (200..300).contains(&s);
    a == b
        || (ok(a) && ok(b))
        || (method == Method::Delete
            && (ok(a) || gone.contains(&a))
            && (ok(b) || gone.contains(&b)))
}

/// Compares a sequence's execution with its variant's under `relation`. Nothing is judged when
/// either execution was handed a reused id by a POST: its resources cannot be lined up by id.
pub(crate) fn relation(
    relation: &Relation,
    base: &Execution,
    variant: &Execution,
    context: &OracleContext,
) -> Vec<Broken> {
    if base.reused_id || variant.reused_id {
        return Vec::new();
    }
    let name = relation.name();
    let change = relation.describe();
    let mut found = Vec::new();
    let before = base.final_state(&context.cross);
    let after = variant.final_state(&context.cross);
    if let Some(diff) = unified_diff("the sequence", &before, &format!("with {change}"), &after) {
        found.push(Broken {
            signature: Signature::new(name, "final-state"),
            violation: Violation::error(match relation {
                Relation::InsertSafe { .. } => {
                    "safe requests inside the sequence changed the final state"
                }
                _ => "repeating an idempotent request changed the final state",
            })
            .expected(format!(
                "the same final state with and without {change} ({})",
                rule_text(relation)
            ))
            .observed("the final states differ (see diff)")
            .diff(Some(diff)),
        });
    }
    found.extend(answers_differ(relation, base, variant, context));
    found
}

fn rule_text(relation: &Relation) -> &'static str {
    match relation {
        Relation::InsertSafe { .. } => "RFC 9110 §9.2.1: safe methods change nothing",
        _ => "RFC 9110 §9.2.2: the effect of N identical requests is the effect of one",
    }
}

/// Later answers (statuses, and GET contents) must not change.
fn answers_differ(
    relation: &Relation,
    base: &Execution,
    variant: &Execution,
    context: &OracleContext,
) -> Option<Broken> {
    let base_canon = context.cross.clone().mapping_ids(base.ids.clone());
    let variant_canon = context.cross.clone().mapping_ids(variant.ids.clone());
    let mut differences = Vec::new();
    for index in relation.first_constrained()..base.steps.len() {
        let a = &base.steps[index];
        let b = variant.steps.get(relation.variant_index(index))?;
        if !equivalent(a.op.method(), a.status, b.status, &context.gone_statuses) {
            differences.push(format!(
                "step {} ({}) answered {} alone, {} in the variant",
                index + 1,
                a.op.method(),
                a.status,
                b.status
            ));
            continue;
        }
        if let (Some(sa), Some(sb)) = (&a.state, &b.state)
            && base_canon.item_state(sa) != variant_canon.item_state(sb)
        {
            differences.push(format!(
                "step {} (GET) read different content in the variant",
                index + 1
            ));
        }
    }
    let first = differences.first()?;
    Some(Broken {
        signature: Signature::new(relation.name(), "answers"),
        violation: Violation::error(format!(
            "{} changed the answers of later requests",
            relation.describe()
        ))
        .expected(format!(
            "the requests after the change answer as they do without it ({})",
            rule_text(relation)
        ))
        .observed(if differences.len() == 1 {
            first.clone()
        } else {
            format!("{first}; and {} more", differences.len() - 1)
        }),
    })
}

/// The two runs' statuses, aligned step by step on the variant.
pub(crate) fn side_by_side(
    relation: &Relation,
    base: &Execution,
    variant: &Execution,
) -> Vec<SideBySide> {
    let mut rows: Vec<SideBySide> = variant
        .steps
        .iter()
        .enumerate()
        .map(|(n, step)| SideBySide {
            step: format!("{}. {}", n + 1, step.op.describe()),
            base: None,
            variant: Some(step.status),
        })
        .collect();
    for (index, step) in base.steps.iter().enumerate() {
        if let Some(row) = rows.get_mut(relation.variant_index(index)) {
            row.base = Some(step.status);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(op: Op, id: &str, status: u16, state: Option<Value>) -> StepResult {
        StepResult {
            op,
            id: Some(id.into()),
            status,
            state,
            exchange: 0,
        }
    }

    fn context() -> OracleContext {
        OracleContext {
            client_members: vec!["name".into(), "size".into()],
            gone_statuses: vec![404, 410],
            cross: Canon::default(),
        }
    }

    fn execution(steps: Vec<StepResult>, finals: Vec<Value>) -> Execution {
        Execution {
            ids: vec!["a".into()],
            steps,
            finals,
            collection: json!({"status": 200, "items": []}),
            exchanges: 0..0,
            reused_id: false,
        }
    }

    fn put(body: Value) -> Op {
        Op::Put {
            slot: 0,
            body,
            partial: false,
        }
    }

    #[test]
    fn put_replaces_flags_survivors_in_the_final_snapshot() {
        let merged = execution(
            vec![
                step(put(json!({"name": "x", "size": 1})), "a", 201, None),
                step(put(json!({"name": "y"})), "a", 200, None),
            ],
            vec![json!({"status": 200, "body": {"id": "a", "name": "y", "size": 1}})],
        );
        let found = per_step(&merged, &context());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].signature.rule, "put-replaces");
        assert!(found[0].violation.title.contains("`size`"));
        let replaced = execution(
            merged.steps.clone(),
            vec![json!({"status": 200, "body": {"id": "a", "name": "y"}})],
        );
        assert!(per_step(&replaced, &context()).is_empty());
    }

    #[test]
    fn put_replaces_accepts_members_a_serialiser_fills_with_defaults() {
        let steps = vec![
            step(
                put(json!({"name": "x", "size": 1, "tags": ["a"]})),
                "a",
                201,
                None,
            ),
            step(put(json!({"name": "y"})), "a", 200, None),
        ];
        let defaults = execution(
            steps.clone(),
            vec![
                json!({"status": 200, "body": {"id": "a", "name": "y", "size": null, "tags": []}}),
            ],
        );
        assert!(
            per_step(&defaults, &context()).is_empty(),
            "null and [] are what a fresh resource given the body alone holds"
        );
        let created_with_defaults = execution(
            vec![step(put(json!({"name": "y"})), "a", 201, None)],
            vec![json!({"status": 200, "body": {"id": "a", "name": "y", "size": 0}})],
        );
        assert!(per_step(&created_with_defaults, &context()).is_empty());
        let revived = execution(
            vec![
                steps[0].clone(),
                step(Op::Delete { slot: 0 }, "a", 204, None),
                steps[1].clone(),
            ],
            vec![json!({"status": 200, "body": {"id": "a", "name": "y", "size": 1, "tags": []}})],
        );
        let found = per_step(&revived, &context());
        assert_eq!(found.len(), 1, "a value of the deleted resource came back");
        assert!(found[0].violation.title.contains("`size`"));
    }

    #[test]
    fn reads_after_delete_must_be_gone() {
        let steps = vec![
            step(put(json!({"name": "x"})), "a", 201, None),
            step(Op::Delete { slot: 0 }, "a", 204, None),
            step(
                Op::Get { slot: 0 },
                "a",
                200,
                Some(json!({"status": 200, "body": {}})),
            ),
        ];
        let found = per_step(
            &execution(steps.clone(), vec![json!({"status": 404, "body": null})]),
            &context(),
        );
        assert_eq!(found[0].signature.rule, "use-after-delete");
        let mut fine = steps;
        fine[2].status = 404;
        fine[2].state = Some(json!({"status": 404, "body": null}));
        assert!(
            per_step(
                &execution(fine, vec![json!({"status": 404, "body": null})]),
                &context()
            )
            .is_empty()
        );
    }

    #[test]
    fn a_second_delete_may_not_answer_5xx() {
        let steps = vec![
            step(put(json!({"name": "x"})), "a", 201, None),
            step(Op::Delete { slot: 0 }, "a", 204, None),
            step(Op::Delete { slot: 0 }, "a", 500, None),
        ];
        let found = per_step(
            &execution(steps, vec![json!({"status": 404, "body": null})]),
            &context(),
        );
        assert_eq!(found[0].signature.rule, "repeated-delete-5xx");
    }

    #[test]
    fn relations_compare_final_states_and_later_answers() {
        let relation = Relation::DuplicateIdempotent { at: 0 };
        let base = execution(
            vec![step(put(json!({"name": "x"})), "a", 201, None)],
            vec![json!({"status": 200, "body": {"id": "a", "name": "x", "rev": 1}})],
        );
        let mut variant = base.clone();
        variant.ids = vec!["b".into()];
        variant
            .steps
            .push(step(put(json!({"name": "x"})), "b", 200, None));
        variant.finals = vec![json!({"status": 200, "body": {"id": "b", "name": "x", "rev": 1}})];
        assert!(super::relation(&relation, &base, &variant, &context()).is_empty());
        variant.finals = vec![json!({"status": 200, "body": {"id": "b", "name": "x", "rev": 2}})];
        let found = super::relation(&relation, &base, &variant, &context());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].signature.relation, "duplicate-idempotent");
        assert_eq!(found[0].signature.rule, "final-state");
        assert!(
            found[0]
                .violation
                .diff
                .as_deref()
                .is_some_and(|d| d.contains("rev"))
        );
        variant.reused_id = true;
        assert!(
            super::relation(&relation, &base, &variant, &context()).is_empty(),
            "an execution handed a reused id cannot be lined up with another by id"
        );
    }

    #[test]
    fn equivalent_answers_allow_create_versus_update_and_delete_versus_gone() {
        let gone = [404, 410];
        assert!(equivalent(Method::Put, 201, 200, &gone));
        assert!(equivalent(Method::Delete, 204, 404, &gone));
        assert!(!equivalent(Method::Get, 200, 404, &gone));
        assert!(!equivalent(Method::Put, 200, 409, &gone));
    }

    #[test]
    fn side_by_side_aligns_the_extra_step() {
        let relation = Relation::DuplicateIdempotent { at: 0 };
        let base = execution(vec![step(put(json!({})), "a", 201, None)], vec![]);
        let mut variant = base.clone();
        variant.steps.push(step(put(json!({})), "b", 200, None));
        let rows = side_by_side(&relation, &base, &variant);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].base, rows[0].variant), (Some(201), Some(201)));
        assert_eq!((rows[1].base, rows[1].variant), (None, Some(200)));
    }
}
