//! The vocabulary of generated sequences: operations on a small pool of run-owned slots, the
//! metamorphic relation a case is judged by, and the minimal reproduction a failure is shrunk to.
//! Everything here is plain serialisable data, so a failure can be saved and replayed exactly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::exchange::Method;

/// How many run-owned resources (slots) one sequence works on.
pub(crate) const SLOTS: usize = 2;

/// The patch document format a resource declares for PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchFormat {
    /// JSON Merge Patch (RFC 7396, `application/merge-patch+json`): idempotent by construction.
    Merge,
    /// JSON Patch (RFC 6902, `application/json-patch+json`): not idempotent in general.
    JsonPatch,
}

impl PatchFormat {
    /// The media type sent as `Content-Type`.
    pub(crate) fn media_type(self) -> &'static str {
        match self {
            PatchFormat::Merge => "application/merge-patch+json",
            PatchFormat::JsonPatch => "application/json-patch+json",
        }
    }
}

/// One request of a sequence. `slot` names one of the sequence's run-owned resources: a fresh
/// client-chosen id at the start, re-bound to the server's id when a POST creates one for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub(crate) enum Op {
    /// PUT of a body; `partial` when the body keeps only the template's required members.
    Put {
        slot: usize,
        body: Value,
        #[serde(default)]
        partial: bool,
    },
    Delete {
        slot: usize,
    },
    Get {
        slot: usize,
    },
    Head {
        slot: usize,
    },
    Options {
        slot: usize,
    },
    /// POST to the collection; a 201 with an id re-binds `slot` to the created resource.
    Post {
        slot: usize,
        body: Value,
        /// Sent with a fresh Idempotency-Key (the same key when the relation repeats it).
        keyed: bool,
    },
    Patch {
        slot: usize,
        body: Value,
        format: PatchFormat,
    },
}

impl Op {
    pub(crate) fn slot(&self) -> usize {
        match self {
            Op::Put { slot, .. }
            | Op::Delete { slot }
            | Op::Get { slot }
            | Op::Head { slot }
            | Op::Options { slot }
            | Op::Post { slot, .. }
            | Op::Patch { slot, .. } => *slot,
        }
    }

    pub(crate) fn method(&self) -> Method {
        match self {
            Op::Put { .. } => Method::Put,
            Op::Delete { .. } => Method::Delete,
            Op::Get { .. } => Method::Get,
            Op::Head { .. } => Method::Head,
            Op::Options { .. } => Method::Options,
            Op::Post { .. } => Method::Post,
            Op::Patch { .. } => Method::Patch,
        }
    }

    /// GET, HEAD and OPTIONS (RFC 9110 §9.2.1).
    pub(crate) fn is_safe(&self) -> bool {
        matches!(self, Op::Get { .. } | Op::Head { .. } | Op::Options { .. })
    }

    /// Whether sending the op twice in a row must have the effect of sending it once: PUT and
    /// DELETE (RFC 9110 §9.2.2), a JSON Merge Patch (RFC 7396), and a POST carrying an
    /// Idempotency-Key (the key is repeated with it).
    pub(crate) fn is_idempotent(&self) -> bool {
        match self {
            Op::Put { .. } | Op::Delete { .. } => true,
            Op::Patch { format, .. } => *format == PatchFormat::Merge,
            Op::Post { keyed, .. } => *keyed,
            Op::Get { .. } | Op::Head { .. } | Op::Options { .. } => false,
        }
    }

    /// Whether the op writes (anything that is not safe).
    pub(crate) fn is_write(&self) -> bool {
        !self.is_safe()
    }

    /// One line for reports: `PUT slot 1 (required members only) {"name":"a"}`.
    pub(crate) fn describe(&self) -> String {
        let slot = format!("slot {}", self.slot() + 1);
        match self {
            Op::Put {
                body,
                partial: true,
                ..
            } => format!("PUT {slot} (required members only) {body}"),
            Op::Put { body, .. } => format!("PUT {slot} {body}"),
            Op::Post {
                body, keyed: true, ..
            } => format!("POST collection → {slot}, with Idempotency-Key {body}"),
            Op::Post { body, .. } => format!("POST collection → {slot} {body}"),
            Op::Patch { body, format, .. } => {
                format!("PATCH {slot} ({}) {body}", format.media_type())
            }
            other => format!("{} {slot}", other.method()),
        }
    }
}

/// The rule a sequence is judged by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum Relation {
    /// The sequence alone, judged step by step (PUT replaces, nothing is used after DELETE,
    /// a repeated DELETE never answers 5xx).
    PerStep,
    /// The op at `at` sent twice in a row must end in the same state as sending it once.
    DuplicateIdempotent { at: usize },
    /// Safe ops inserted into the sequence must change nothing. Each insert goes before base
    /// step `before` (`before == len` appends); inserts are sorted by `before`.
    InsertSafe { inserts: Vec<Insert> },
}

/// One safe op added by the insert relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Insert {
    pub(crate) before: usize,
    pub(crate) op: Op,
}

impl Relation {
    /// The relation's name in reports and saved failures.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Relation::PerStep => "per-step",
            Relation::DuplicateIdempotent { .. } => "duplicate-idempotent",
            Relation::InsertSafe { .. } => "insert-safe",
        }
    }

    /// The other sequence the relation compares with `steps`, if any.
    pub(crate) fn variant(&self, steps: &[Op]) -> Option<Vec<Op>> {
        match self {
            Relation::PerStep => None,
            Relation::DuplicateIdempotent { at } => {
                let op = steps.get(*at)?;
                let mut variant = steps.to_vec();
                variant.insert(at + 1, op.clone());
                Some(variant)
            }
            Relation::InsertSafe { inserts } => {
                let mut variant = Vec::with_capacity(steps.len() + inserts.len());
                for (index, step) in steps.iter().enumerate() {
                    variant.extend(inserts_before(inserts, |b| b == index));
                    variant.push(step.clone());
                }
                variant.extend(inserts_before(inserts, |b| b >= steps.len()));
                Some(variant)
            }
        }
    }

    /// The index in the variant of step `index` of the base sequence.
    pub(crate) fn variant_index(&self, index: usize) -> usize {
        match self {
            Relation::PerStep => index,
            Relation::DuplicateIdempotent { at } if index > *at => index + 1,
            Relation::DuplicateIdempotent { .. } => index,
            Relation::InsertSafe { inserts } => {
                index + inserts.iter().filter(|i| i.before <= index).count()
            }
        }
    }

    /// The first base step whose answer the relation constrains (steps after the change).
    pub(crate) fn first_constrained(&self) -> usize {
        match self {
            Relation::PerStep => 0,
            Relation::DuplicateIdempotent { at } => at + 1,
            Relation::InsertSafe { inserts } => {
                inserts.iter().map(|i| i.before).min().unwrap_or(usize::MAX)
            }
        }
    }

    /// What the variant changes, in words: `step 2 sent twice`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Relation::PerStep => "the sequence alone, judged step by step".into(),
            Relation::DuplicateIdempotent { at } => {
                format!("step {} sent twice in a row", at + 1)
            }
            Relation::InsertSafe { inserts } => {
                let parts: Vec<String> = inserts
                    .iter()
                    .map(|i| format!("{} before step {}", i.op.describe(), i.before + 1))
                    .collect();
                format!("safe requests inserted: {}", parts.join(", "))
            }
        }
    }
}

/// The ops inserted before base step `index` (or after the end).
fn inserts_before<'a>(
    inserts: &'a [Insert],
    at: impl Fn(usize) -> bool + 'a,
) -> impl Iterator<Item = Op> + 'a {
    inserts
        .iter()
        .filter(move |insert| at(insert.before))
        .map(|insert| insert.op.clone())
}

/// A failing case in its smallest known form: everything needed to re-execute it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Repro {
    pub(crate) steps: Vec<Op>,
    pub(crate) relation: Relation,
}

impl Repro {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(slot: usize) -> Op {
        Op::Put {
            slot,
            body: json!({"a": 1}),
            partial: false,
        }
    }

    #[test]
    fn duplicate_repeats_the_op_right_after_itself() {
        let steps = vec![put(0), Op::Delete { slot: 0 }, Op::Get { slot: 0 }];
        let relation = Relation::DuplicateIdempotent { at: 1 };
        let variant = relation.variant(&steps).expect("variant");
        assert_eq!(variant.len(), 4);
        assert_eq!(variant[1], variant[2]);
        assert_eq!(relation.variant_index(0), 0);
        assert_eq!(relation.variant_index(2), 3);
        assert_eq!(relation.first_constrained(), 2);
    }

    #[test]
    fn insertion_shifts_later_steps() {
        let steps = vec![put(0), put(0)];
        let get = |before| Insert {
            before,
            op: Op::Get { slot: 0 },
        };
        let relation = Relation::InsertSafe {
            inserts: vec![get(1), get(2)],
        };
        let variant = relation.variant(&steps).expect("variant");
        assert_eq!(variant.len(), 4);
        assert_eq!(
            (&variant[1], &variant[3]),
            (&Op::Get { slot: 0 }, &Op::Get { slot: 0 })
        );
        assert_eq!(relation.variant_index(0), 0);
        assert_eq!(relation.variant_index(1), 2);
        assert_eq!(relation.first_constrained(), 1);
        let none = Relation::InsertSafe { inserts: vec![] };
        assert_eq!(none.variant(&steps), Some(steps.clone()));
    }

    #[test]
    fn idempotence_follows_the_method_and_the_patch_format() {
        assert!(put(0).is_idempotent());
        assert!(Op::Delete { slot: 0 }.is_idempotent());
        let merge = Op::Patch {
            slot: 0,
            body: json!({}),
            format: PatchFormat::Merge,
        };
        assert!(merge.is_idempotent());
        let json_patch = Op::Patch {
            slot: 0,
            body: json!([]),
            format: PatchFormat::JsonPatch,
        };
        assert!(!json_patch.is_idempotent());
        let post = |keyed| Op::Post {
            slot: 0,
            body: json!({}),
            keyed,
        };
        assert!(post(true).is_idempotent() && !post(false).is_idempotent());
        assert!(!Op::Get { slot: 0 }.is_idempotent() && Op::Get { slot: 0 }.is_safe());
    }

    #[test]
    fn repro_round_trips_through_json() {
        let repro = Repro {
            steps: vec![put(1), Op::Delete { slot: 1 }],
            relation: Relation::InsertSafe {
                inserts: vec![Insert {
                    before: 1,
                    op: Op::Head { slot: 1 },
                }],
            },
        };
        let text = serde_json::to_string(&repro).expect("serialise");
        assert!(text.contains("\"op\":\"put\"") && text.contains("\"kind\":\"insert-safe\""));
        let back: Repro = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, repro);
    }
}
