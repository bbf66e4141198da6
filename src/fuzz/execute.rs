//! Executes one sequence of ops through a case's session on fresh run-owned ids, and snapshots
//! every resource it touched (and its collection) with GET afterwards. Returns plain records;
//! judging them is the oracle's job.

use std::ops::Range;

use serde_json::Value;

use crate::model::fuzz::ops::{Op, Relation, SLOTS};
use crate::scenario::generate::BodyGenerator;
use crate::session::{CaseError, Req, Session};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::{Canon, differing_leaves};

/// What one step of an execution observed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepResult {
    pub(crate) op: Op,
    /// The id the request went to (for a POST: the id it created, when it created one).
    pub(crate) id: Option<String>,
    pub(crate) status: u16,
    /// `{"status", "body"}` of a GET answer, for comparing reads.
    pub(crate) state: Option<Value>,
    /// Index of the exchange in the session.
    pub(crate) exchange: usize,
}

/// One executed sequence and the final state it left.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Execution {
    /// Every id the execution used or learned, in order of first use (slot ids first).
    pub(crate) ids: Vec<String>,
    pub(crate) steps: Vec<StepResult>,
    /// The final `{"status", "body"}` of every id, in `ids` order.
    pub(crate) finals: Vec<Value>,
    /// The final collection, restricted to this execution's ids (`{"status", "items"}`).
    pub(crate) collection: Value,
    /// The session exchanges of this execution (its steps and snapshots).
    pub(crate) exchanges: Range<usize>,
    /// A POST of this execution was handed an id the execution had already used (the API
    /// reuses freed ids): its states cannot be lined up with another execution's by id.
    pub(crate) reused_id: bool,
}

impl Execution {
    /// The final state of everything the execution touched, canonical, as one value.
    pub(crate) fn final_state(&self, canon: &Canon) -> Value {
        let canon = canon.clone().mapping_ids(self.ids.clone());
        serde_json::json!({
            "items": self
                .finals
                .iter()
                .map(|state| canon.item_state(state))
                .collect::<Vec<_>>(),
            "collection": canon.collection_state(&self.collection),
        })
    }
}

/// Executes `steps` on fresh ids. `repeat` names a step that repeats the one before it (the
/// duplicate relation): a keyed POST there reuses the previous step's Idempotency-Key.
/// `watched` lists the slots whose fresh ids the final snapshot reads (the slots any compared
/// execution uses: the others were never sent anything).
pub(crate) async fn execute(
    session: &mut Session<'_>,
    label: &str,
    steps: &[Op],
    repeat: Option<usize>,
    watched: &[usize],
) -> Result<Execution, CaseError> {
    let first_exchange = session.exchanges().len();
    let mut slots: Vec<String> = (0..SLOTS).map(|_| session.fresh_id()).collect();
    let mut ids: Vec<String> = watched
        .iter()
        .filter_map(|slot| slots.get(*slot).cloned())
        .collect();
    let mut results = Vec::with_capacity(steps.len());
    let mut last_key: Option<String> = None;
    let mut reused_id = false;
    for (n, op) in steps.iter().enumerate() {
        let purpose = format!("{label} step {}: {}", n + 1, op.describe());
        let key = match op {
            Op::Post { keyed: true, .. } => match (repeat == Some(n), &last_key) {
                (true, Some(key)) => Some(key.clone()),
                _ => Some(session.fresh_key()),
            },
            _ => None,
        };
        last_key = key.clone().or(last_key);
        let result = run_step(session, op, &mut slots, key, purpose).await?;
        if let Some(id) = &result.id {
            if !ids.contains(id) {
                ids.push(id.clone());
            } else if matches!(op, Op::Post { .. }) && (200..300).contains(&result.status) {
                reused_id = true;
            }
        }
        results.push(result);
    }
    let (finals, collection) = snapshot(session, label, &ids).await?;
    // The execution no longer touches its ids: other cases may be handed its deleted ones.
    session.release_fence();
    Ok(Execution {
        ids,
        steps: results,
        finals,
        collection,
        exchanges: first_exchange..session.exchanges().len(),
        reused_id,
    })
}

/// The slots whose fresh id some execution of `steps` or of its relations' variants sends
/// something to (a slot whose first op is a POST starts on the id the POST creates instead),
/// ascending: the same for every execution compared, so their ids map onto each other.
pub(crate) fn watched_slots(steps: &[Op], relations: &[Relation]) -> Vec<usize> {
    let variants: Vec<Vec<Op>> = relations.iter().filter_map(|r| r.variant(steps)).collect();
    (0..SLOTS)
        .filter(|slot| {
            std::iter::once(steps)
                .chain(variants.iter().map(Vec::as_slice))
                .any(|sequence| {
                    let first = sequence.iter().find(|op| op.slot() == *slot);
                    first.is_some_and(|op| !matches!(op, Op::Post { .. }))
                })
        })
        .collect()
}

async fn run_step(
    session: &mut Session<'_>,
    op: &Op,
    slots: &mut [String],
    key: Option<String>,
    purpose: String,
) -> Result<StepResult, CaseError> {
    let slot = op.slot().min(SLOTS - 1);
    let id = slots[slot].clone();
    let path = session.resource.item_path(&id);
    let (exchange, id) = match op {
        Op::Post { body, .. } => {
            let headers: Vec<(String, String)> = match (&key, &session.resource.idempotency_key) {
                (Some(key), Some(declared)) => vec![(declared.header.clone(), key.clone())],
                _ => Vec::new(),
            };
            let (exchange, created) = session.post(body, &headers, &purpose).await?;
            if let Some(created) = &created {
                slots[slot] = created.clone();
            }
            (exchange, created)
        }
        Op::Put { body, .. } => (
            session
                .send(purpose, Req::new(op.method(), path).body(body))
                .await?,
            Some(id),
        ),
        Op::Patch { body, format, .. } => (
            session
                .send(
                    purpose,
                    Req::new(op.method(), path)
                        .body(body)
                        .header("Content-Type", format.media_type()),
                )
                .await?,
            Some(id),
        ),
        Op::Delete { .. } | Op::Get { .. } | Op::Head { .. } | Op::Options { .. } => (
            session.send(purpose, Req::new(op.method(), path)).await?,
            Some(id),
        ),
    };
    let status = session.exchange(exchange).response.status;
    let state = matches!(op, Op::Get { .. })
        .then(|| ItemSnapshot::from_exchange(session.exchange(exchange)).as_state());
    Ok(StepResult {
        op: op.clone(),
        id,
        status,
        state,
        exchange,
    })
}

/// GETs every id and the collection (restricted to `ids`).
async fn snapshot(
    session: &mut Session<'_>,
    label: &str,
    ids: &[String],
) -> Result<(Vec<Value>, Value), CaseError> {
    let mut finals = Vec::with_capacity(ids.len());
    for (n, id) in ids.iter().enumerate() {
        let purpose = format!("{label} final snapshot of id {}", n + 1);
        finals.push(session.get_item(id, &purpose).await?.as_state());
    }
    let collection = session
        .get_collection(&format!("{label} final snapshot of the collection"))
        .await?;
    let id_field = &session.resource.id_field;
    // In the order of `ids`, so that two executions list corresponding items in the same
    // order whatever their ids sort like.
    let items = collection.items.map(|items| {
        let mut mine: Vec<(usize, Value)> = items
            .into_iter()
            .filter_map(|item| {
                let id = id_field.read(&item)?;
                let position = ids.iter().position(|known| *known == id)?;
                Some((position, item))
            })
            .collect();
        mine.sort_by_key(|(position, _)| *position);
        mine.into_iter().map(|(_, item)| item).collect::<Vec<_>>()
    });
    let state = serde_json::json!({
        "status": collection.status,
        "items": items.map(Value::Array).unwrap_or(Value::Null),
    });
    Ok((finals, state))
}

/// Members that differ between two resources created with the same body (creation times,
/// server ids, links): they cannot be compared across two executions, which always work on
/// different resources. Returned as concrete JSON pointers into an item body.
pub(crate) async fn per_instance_fields(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Vec<String>, CaseError> {
    let body = generator.generate(&session.resource.body);
    let first = session
        .create(&body, "calibration: create with body C")
        .await?;
    let second = session
        .create(&body, "calibration: create again with the same body C")
        .await?;
    let a = session
        .get_item(&first.id, "calibration: GET the first")
        .await?;
    let b = session
        .get_item(&second.id, "calibration: GET the second")
        .await?;
    Ok(differing_instances((&first.id, &a), (&second.id, &b)))
}

/// The members that differ between two resources' reads (each with its id), ids mapped.
pub(crate) fn differing_instances(
    a: (&str, &ItemSnapshot),
    b: (&str, &ItemSnapshot),
) -> Vec<String> {
    let canon_a = Canon::default().mapping_ids(vec![a.0.to_string()]);
    let canon_b = Canon::default().mapping_ids(vec![b.0.to_string()]);
    match (a.1.body.json(), b.1.body.json()) {
        (Some(x), Some(y)) => differing_leaves(&canon_a.body(x), &canon_b.body(y)),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fuzz::ops::Insert;
    use serde_json::json;

    #[test]
    fn only_slots_some_execution_sends_to_are_snapshotted() {
        let post = |slot| Op::Post {
            slot,
            body: json!({"a": 1}),
            keyed: false,
        };
        let put = Op::Put {
            slot: 0,
            body: json!({"a": 1}),
            partial: false,
        };
        assert_eq!(
            watched_slots(std::slice::from_ref(&put), &[Relation::PerStep]),
            vec![0]
        );
        // A POST first: the slot's fresh id is never used, the created id is snapshotted.
        assert!(watched_slots(&[post(1), Op::Delete { slot: 1 }], &[]).is_empty());
        // A variant that reads the fresh id first makes every execution snapshot it.
        let read_first = Relation::InsertSafe {
            inserts: vec![Insert {
                before: 0,
                op: Op::Get { slot: 1 },
            }],
        };
        assert_eq!(watched_slots(&[put, post(1)], &[read_first]), vec![0, 1]);
    }
}
