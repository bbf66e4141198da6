//! The proptest strategy of a fuzz case: a sequence of operations a resource supports, over
//! [`SLOTS`] run-owned slots and a pool of two generated bodies (so identical writes are
//! common), plus the op a duplicate relation repeats and the safe op an insert relation adds.
//! proptest both generates and shrinks it: fewer steps, simpler ops, smaller bodies.

use proptest::prelude::{BoxedStrategy, Just, Strategy, any};
use proptest::sample::Index;
use serde_json::{Map, Value};

use crate::fuzz::ops::{Insert, Op, PatchFormat, Relation, SLOTS};
use crate::http::model::Method;
use crate::scenario::Resource;
use crate::scenario::generate::{partial_body, template_strategy};

/// One generated case: the base sequence and the two relations it is judged by (besides the
/// per-step oracles).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub steps: Vec<Op>,
    /// `None` when the sequence has no idempotent op to repeat.
    pub duplicate: Option<Relation>,
    /// `None` when no safe op was chosen for insertion.
    pub insert: Option<Relation>,
}

impl Case {
    /// The relations to evaluate, per-step first.
    pub fn relations(&self) -> Vec<Relation> {
        let mut all = vec![Relation::PerStep];
        all.extend(self.duplicate.clone());
        all.extend(self.insert.clone());
        all
    }
}

/// What a resource lets a sequence do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub put: bool,
    pub partial_put: bool,
    pub delete: bool,
    pub head: bool,
    pub options: bool,
    pub post: bool,
    pub keyed_post: bool,
    pub patch: Option<PatchFormat>,
}

impl Capabilities {
    pub fn of(resource: &Resource) -> Capabilities {
        let optional_members = resource
            .body
            .top_level_members()
            .iter()
            .any(|m| !resource.required.iter().any(|r| r == m));
        Capabilities {
            put: resource.supports(Method::Put),
            partial_put: resource.supports(Method::Put) && optional_members,
            delete: resource.supports(Method::Delete),
            head: resource.supports(Method::Head),
            options: resource.supports(Method::Options),
            post: resource.post_id.is_some(),
            keyed_post: resource.post_id.is_some() && resource.idempotency_key.is_some(),
            patch: resource.patch.filter(|_| resource.supports(Method::Patch)),
        }
    }

    /// Whether a sequence can write at all (otherwise fuzzing has nothing to test).
    pub fn can_write(&self) -> bool {
        self.put || self.post || self.delete || self.patch.is_some()
    }
}

/// An op before its body is taken from the pool.
#[derive(Debug, Clone, Copy)]
enum Draft {
    Put {
        slot: usize,
        body: usize,
    },
    PartialPut {
        slot: usize,
        body: usize,
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
    Post {
        slot: usize,
        body: usize,
        keyed: bool,
    },
    Patch {
        slot: usize,
        body: usize,
        member: Index,
        remove: bool,
    },
}

/// Slot 1 six times as often as slot 2: bugs need several ops on the same resource, and a
/// second slot is there for bugs that cross resources. Shrinks towards slot 1.
fn slot() -> BoxedStrategy<usize> {
    proptest::strategy::Union::new_weighted(vec![(6, Just(0usize)), (1, Just(SLOTS - 1))]).boxed()
}

/// The first pool body four times as often as the second, so identical writes are common.
fn pool_index() -> BoxedStrategy<usize> {
    proptest::strategy::Union::new_weighted(vec![(4, Just(0usize)), (1, Just(1usize))]).boxed()
}

/// The drafts a resource supports, weighted towards writes.
fn draft_strategy(caps: &Capabilities) -> BoxedStrategy<Draft> {
    let mut options: Vec<(u32, BoxedStrategy<Draft>)> = Vec::new();
    if caps.put {
        options.push((
            4,
            (slot(), pool_index())
                .prop_map(|(slot, body)| Draft::Put { slot, body })
                .boxed(),
        ));
    }
    options.push((2, slot().prop_map(|slot| Draft::Get { slot }).boxed()));
    if caps.partial_put {
        options.push((
            3,
            (slot(), pool_index())
                .prop_map(|(slot, body)| Draft::PartialPut { slot, body })
                .boxed(),
        ));
    }
    if caps.delete {
        options.push((3, slot().prop_map(|slot| Draft::Delete { slot }).boxed()));
    }
    if caps.post {
        let keyed = if caps.keyed_post {
            any::<bool>().boxed()
        } else {
            Just(false).boxed()
        };
        options.push((
            2,
            (slot(), pool_index(), keyed)
                .prop_map(|(slot, body, keyed)| Draft::Post { slot, body, keyed })
                .boxed(),
        ));
    }
    if caps.patch.is_some() {
        options.push((
            1,
            (slot(), pool_index(), any::<Index>(), any::<bool>())
                .prop_map(|(slot, body, member, remove)| Draft::Patch {
                    slot,
                    body,
                    member,
                    remove,
                })
                .boxed(),
        ));
    }
    if caps.head {
        options.push((1, slot().prop_map(|slot| Draft::Head { slot }).boxed()));
    }
    if caps.options {
        options.push((1, slot().prop_map(|slot| Draft::Options { slot }).boxed()));
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

/// The safe ops the insert relation may add.
fn safe_strategy(caps: &Capabilities) -> BoxedStrategy<Draft> {
    let mut options = vec![slot().prop_map(|slot| Draft::Get { slot }).boxed()];
    if caps.head {
        options.push(slot().prop_map(|slot| Draft::Head { slot }).boxed());
    }
    if caps.options {
        options.push(slot().prop_map(|slot| Draft::Options { slot }).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

/// The strategy of a whole case for `resource`, with 1 to `max_steps` steps.
pub fn case_strategy(resource: &Resource, max_steps: usize) -> BoxedStrategy<Case> {
    let caps = Capabilities::of(resource);
    let pool = (
        template_strategy(&resource.body),
        template_strategy(&resource.body),
    );
    // Each step carries the safe op the insert relation may put before it, so that removing a
    // step while shrinking keeps every other step's insert where it was.
    let step = (draft_strategy(&caps), any::<bool>(), safe_strategy(&caps));
    let steps = proptest::collection::vec(step, 1..=max_steps.max(1));
    let trailing = (any::<bool>(), safe_strategy(&caps));
    let required = resource.required.clone();
    let members: Vec<String> = resource
        .body
        .top_level_members()
        .into_iter()
        .map(str::to_string)
        .collect();
    let patch = caps.patch;
    (pool, steps, any::<Index>(), trailing)
        .prop_map(move |((a, b), drafts, dup, (append, last))| {
            let resolver = Resolver {
                pool: [a, b],
                required: &required,
                members: &members,
                patch,
            };
            let steps: Vec<Op> = drafts.iter().map(|(d, _, _)| resolver.op(*d)).collect();
            let duplicate =
                duplicate_at(&steps, dup).map(|at| Relation::DuplicateIdempotent { at });
            let chosen = drafts
                .iter()
                .map(|(_, insert, safe)| (*insert, *safe))
                .chain([(append, last)]);
            let inserts: Vec<Insert> = chosen
                .enumerate()
                .filter(|(_, (insert, _))| *insert)
                .map(|(before, (_, safe))| Insert {
                    before,
                    op: resolver.op(safe),
                })
                .collect();
            let insert = (!inserts.is_empty()).then_some(Relation::InsertSafe { inserts });
            Case {
                steps,
                duplicate,
                insert,
            }
        })
        .boxed()
}

/// The position of the idempotent op `choice` selects, if the sequence has one.
fn duplicate_at(steps: &[Op], choice: Index) -> Option<usize> {
    let candidates: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, op)| op.is_idempotent())
        .map(|(i, _)| i)
        .collect();
    (!candidates.is_empty()).then(|| candidates[choice.index(candidates.len())])
}

/// Turns drafts into concrete ops with bodies from the pool.
struct Resolver<'a> {
    pool: [Value; 2],
    required: &'a [String],
    members: &'a [String],
    patch: Option<PatchFormat>,
}

impl Resolver<'_> {
    fn op(&self, draft: Draft) -> Op {
        match draft {
            Draft::Put { slot, body } => Op::Put {
                slot,
                body: self.pool[body].clone(),
                partial: false,
            },
            Draft::PartialPut { slot, body } => Op::Put {
                slot,
                body: partial_body(&self.pool[body], self.required),
                partial: true,
            },
            Draft::Delete { slot } => Op::Delete { slot },
            Draft::Get { slot } => Op::Get { slot },
            Draft::Head { slot } => Op::Head { slot },
            Draft::Options { slot } => Op::Options { slot },
            Draft::Post { slot, body, keyed } => Op::Post {
                slot,
                body: self.pool[body].clone(),
                keyed,
            },
            Draft::Patch {
                slot,
                body,
                member,
                remove,
            } => self.patch_op(slot, &self.pool[body], member, remove),
        }
    }

    /// A one-member patch: set a member to the pool body's value, or (merge patch, optional
    /// member) remove it with `null`.
    fn patch_op(&self, slot: usize, body: &Value, member: Index, remove: bool) -> Op {
        let format = self.patch.unwrap_or(PatchFormat::Merge);
        let Some(name) =
            (!self.members.is_empty()).then(|| &self.members[member.index(self.members.len())])
        else {
            return Op::Patch {
                slot,
                body: Value::Object(Map::new()),
                format,
            };
        };
        let optional = !self.required.contains(name);
        let value = body.get(name).cloned().unwrap_or(Value::Null);
        let body = match format {
            PatchFormat::Merge if remove && optional => {
                Value::Object(Map::from_iter([(name.clone(), Value::Null)]))
            }
            PatchFormat::Merge => Value::Object(Map::from_iter([(name.clone(), value)])),
            PatchFormat::JsonPatch if remove && optional => serde_json::json!([
                {"op": "remove", "path": format!("/{}", escape(name))}
            ]),
            PatchFormat::JsonPatch => serde_json::json!([
                {"op": "add", "path": format!("/{}", escape(name)), "value": value}
            ]),
        };
        Op::Patch { slot, body, format }
    }
}

/// A member name as a JSON Pointer reference token (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn resource() -> Resource {
        let text = r#"
[target]
base_url = "http://127.0.0.1:1"
[resources.things]
collection = "/things"
item = "/things/{id}"
post_id = "location"
required = ["name"]
[resources.things.idempotency_key]
header = "Idempotency-Key"
[resources.things.body]
name = { gen = "string", min_len = 1, max_len = 8 }
size = { gen = "int", min = 1, max = 9 }
"#;
        let env = crate::env::EnvSnapshot::default();
        crate::scenario::load_str(std::path::Path::new("t.toml"), text, &env)
            .expect("valid scenario")
            .resources
            .remove(0)
    }

    #[test]
    fn cases_use_only_supported_ops_and_valid_relations() {
        let resource = resource();
        let strategy = case_strategy(&resource, 6);
        let mut runner = TestRunner::deterministic();
        for _ in 0..200 {
            let case = strategy.new_tree(&mut runner).expect("tree").current();
            assert!((1..=6).contains(&case.steps.len()));
            assert!(case.steps.iter().all(|op| op.slot() < SLOTS));
            assert!(!case.steps.iter().any(|op| matches!(op, Op::Patch { .. })));
            if let Some(Relation::DuplicateIdempotent { at }) = &case.duplicate {
                assert!(case.steps[*at].is_idempotent());
            }
            match &case.insert {
                Some(Relation::InsertSafe { inserts }) => {
                    assert!(!inserts.is_empty());
                    assert!(
                        inserts
                            .iter()
                            .all(|i| i.before <= case.steps.len() && i.op.is_safe())
                    );
                }
                None => {}
                other => panic!("unexpected insert relation {other:?}"),
            }
        }
    }

    #[test]
    fn shrinking_reaches_a_single_simple_step() {
        let resource = resource();
        let strategy = case_strategy(&resource, 8);
        let mut runner = TestRunner::deterministic();
        let mut tree = strategy.new_tree(&mut runner).expect("tree");
        while tree.simplify() {}
        let simplest = tree.current();
        assert_eq!(simplest.steps.len(), 1);
    }

    #[test]
    fn partial_puts_keep_only_required_members() {
        let resource = resource();
        let strategy = case_strategy(&resource, 8);
        let mut runner = TestRunner::deterministic();
        let mut seen = false;
        for _ in 0..100 {
            for op in strategy
                .new_tree(&mut runner)
                .expect("tree")
                .current()
                .steps
            {
                if let Op::Put {
                    body,
                    partial: true,
                    ..
                } = op
                {
                    seen = true;
                    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
                    assert_eq!(keys, vec!["name"]);
                }
            }
        }
        assert!(seen, "no partial PUT in 100 cases");
    }
}
