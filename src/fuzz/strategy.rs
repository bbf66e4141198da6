//! The proptest strategy of a fuzz case: a sequence of operations a resource supports, over
//! [`SLOTS`] run-owned slots and a pool of two generated bodies (so identical writes are
//! common), plus the op a duplicate relation repeats and the safe ops an insert relation adds;
//! focused (one resource's history) or free (the whole vocabulary), by the case's [`Shape`].
//! proptest both generates and shrinks it: fewer steps, simpler ops, smaller bodies.

use proptest::bool::weighted;
use proptest::prelude::{BoxedStrategy, Strategy, any};

use crate::fuzz::resolve::{Choice, ROLL, Resolver, SafeChoice, pick_evenly};
use crate::model::exchange::Method;
use crate::model::fuzz::ops::{Insert, Op, PatchFormat, Relation, SLOTS};
use crate::scenario::Resource;
use crate::scenario::generate::template_strategy;

/// One generated case: the base sequence and the two relations it is judged by (besides the
/// per-step oracles).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Case {
    pub(crate) steps: Vec<Op>,
    /// `None` when the sequence has no idempotent op to repeat.
    pub(crate) duplicate: Option<Relation>,
    /// `None` when no safe op was chosen for insertion.
    pub(crate) insert: Option<Relation>,
}

impl Case {
    /// The relations to evaluate, per-step first.
    pub(crate) fn relations(&self) -> Vec<Relation> {
        let mut all = vec![Relation::PerStep];
        all.extend(self.duplicate.clone());
        all.extend(self.insert.clone());
        all
    }
}

/// What a resource lets a sequence do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Capabilities {
    pub(crate) put: bool,
    pub(crate) partial_put: bool,
    pub(crate) delete: bool,
    pub(crate) head: bool,
    pub(crate) options: bool,
    pub(crate) post: bool,
    pub(crate) keyed_post: bool,
    pub(crate) patch: Option<PatchFormat>,
}

impl Capabilities {
    pub(crate) fn of(resource: &Resource) -> Capabilities {
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
    pub(crate) fn can_write(&self) -> bool {
        self.put || self.post || self.delete || self.patch.is_some()
    }
}

/// How one generated case is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// A focused case creates one resource and continues with follow-up moves on it, with a
    /// read inserted before every later step; a free case draws each step from the whole
    /// vocabulary, on both slots.
    pub(crate) focused: bool,
    pub(crate) min_steps: usize,
    pub(crate) max_steps: usize,
}

/// Steps of a focused case: most bugs need three or four ops on one resource, and short
/// sequences are cheap to run and to shrink.
const FOCUSED_STEPS: (usize, usize) = (3, 5);

/// Every how many cases one is free (the others are focused).
const FREE_EVERY: u32 = 4;

impl Shape {
    /// The shape of case `index` (0-based) of a resource: three focused cases, then a free
    /// one with 1 to `max_steps` steps, and so on.
    pub(crate) fn of_case(index: u32, max_steps: usize) -> Shape {
        let max_steps = max_steps.max(1);
        if index % FREE_EVERY == FREE_EVERY - 1 {
            return Shape {
                focused: false,
                min_steps: 1,
                max_steps,
            };
        }
        Shape {
            focused: true,
            min_steps: FOCUSED_STEPS.0.min(max_steps),
            max_steps: FOCUSED_STEPS.1.min(max_steps),
        }
    }
}

/// The choices of one step.
fn choice_strategy() -> BoxedStrategy<Choice> {
    (
        0..ROLL,
        // Slot 1 six times as often as slot 2 (free cases).
        weighted(1.0 / 7.0),
        // The first pool body four times as often as the second, so identical writes are
        // common.
        weighted(0.2),
        0..ROLL,
        any::<bool>(),
        // The keyed form of POST three times in four: retrying it must be safe.
        weighted(0.75),
    )
        .prop_map(
            |(roll, other_slot, other_body, member, remove, keyed)| Choice {
                roll,
                other_slot,
                other_body,
                member,
                remove,
                keyed,
            },
        )
        .boxed()
}

/// Whether an insert goes before a step (free cases: half the time), and its choices.
fn insert_strategy() -> BoxedStrategy<(bool, SafeChoice)> {
    (any::<bool>(), 0..ROLL, weighted(1.0 / 7.0))
        .prop_map(|(insert, roll, other_slot)| (insert, SafeChoice { roll, other_slot }))
        .boxed()
}

/// The raw choices of a case, before they are resolved into ops.
struct Raw {
    /// Each step's choices, with the safe op the insert relation may put before it (so that
    /// removing a step while shrinking keeps every other step's insert where it was).
    steps: Vec<(Choice, (bool, SafeChoice))>,
    /// The safe op that may go after the last step.
    trailing: (bool, SafeChoice),
    /// Which idempotent step the duplicate relation repeats, in `0..ROLL`.
    duplicate: u32,
    /// Whether a focused case has the duplicate relation (half of them).
    duplicated: bool,
}

/// The strategy of a whole case for `resource`, of the given shape.
pub(crate) fn case_strategy(resource: &Resource, shape: Shape) -> BoxedStrategy<Case> {
    let caps = Capabilities::of(resource);
    let pool = (
        template_strategy(&resource.body),
        template_strategy(&resource.body),
    );
    let steps = proptest::collection::vec(
        (choice_strategy(), insert_strategy()),
        shape.min_steps..=shape.max_steps.max(shape.min_steps),
    );
    let required = resource.required.clone();
    let members: Vec<String> = resource
        .body
        .top_level_members()
        .into_iter()
        .map(str::to_string)
        .collect();
    // Steps first: proptest shrinks a tuple in order, so the sequence gets short before its
    // bodies are simplified (each candidate costs executions against the target).
    (steps, insert_strategy(), 0..ROLL, any::<bool>(), pool)
        .prop_map(move |(steps, trailing, duplicate, duplicated, (a, b))| {
            let resolver = Resolver {
                pool: [a, b],
                required: &required,
                members: &members,
                caps: &caps,
            };
            let raw = Raw {
                steps,
                trailing,
                duplicate,
                duplicated,
            };
            if shape.focused {
                focused_case(&resolver, &raw)
            } else {
                free_case(&resolver, &raw)
            }
        })
        .boxed()
}

/// A free case: steps from the whole vocabulary, a random idempotent step repeated, a safe op
/// inserted before each step (and after the last) half the time.
fn free_case(resolver: &Resolver<'_>, raw: &Raw) -> Case {
    let choices: Vec<Choice> = raw.steps.iter().map(|(choice, _)| *choice).collect();
    let steps = resolver.free(&choices);
    let duplicate = duplicate_at(&steps, raw.duplicate, false);
    let inserts: Vec<Insert> = raw
        .steps
        .iter()
        .map(|(_, insert)| *insert)
        .chain([raw.trailing])
        .enumerate()
        .filter(|(_, (insert, _))| *insert)
        .map(|(before, (_, safe))| {
            let slot = if safe.other_slot { SLOTS - 1 } else { 0 };
            Insert {
                before,
                op: resolver.safe(&safe, slot, false),
            }
        })
        .collect();
    case_of(steps, duplicate, inserts)
}

/// A case of `steps`, with its duplicate-idempotent relation (the step repeated, if any) and
/// its insert-safe relation (when anything is inserted).
fn case_of(steps: Vec<Op>, duplicate: Option<usize>, inserts: Vec<Insert>) -> Case {
    let insert = (!inserts.is_empty()).then_some(Relation::InsertSafe { inserts });
    Case {
        steps,
        duplicate: duplicate.map(|at| Relation::DuplicateIdempotent { at }),
        insert,
    }
}

/// A focused case: one resource's history, a read (mostly GET) inserted before every step
/// but the first (the resource exists from then on, and a read between two writes is what
/// the insert relation is about), and in half the cases a step repeated (a keyed POST when
/// there is one: retrying it must be safe).
fn focused_case(resolver: &Resolver<'_>, raw: &Raw) -> Case {
    let choices: Vec<Choice> = raw.steps.iter().map(|(choice, _)| *choice).collect();
    let steps = resolver.focused(&choices);
    let duplicate = duplicate_at(&steps, raw.duplicate, true).filter(|_| raw.duplicated);
    let inserts: Vec<Insert> = raw
        .steps
        .iter()
        .enumerate()
        .skip(1)
        .map(|(before, (_, (_, safe)))| Insert {
            before,
            op: resolver.safe(safe, steps[before].slot(), true),
        })
        .collect();
    case_of(steps, duplicate, inserts)
}

/// The position of the idempotent op `roll` (in `0..ROLL`) selects, if the sequence has one;
/// with `keyed_first`, the first keyed POST when there is one.
fn duplicate_at(steps: &[Op], roll: u32, keyed_first: bool) -> Option<usize> {
    let keyed = steps
        .iter()
        .position(|op| matches!(op, Op::Post { keyed: true, .. }));
    if let Some(at) = keyed.filter(|_| keyed_first) {
        return Some(at);
    }
    let candidates: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, op)| op.is_idempotent())
        .map(|(i, _)| i)
        .collect();
    pick_evenly(&candidates, roll)
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

    fn free(max_steps: usize) -> Shape {
        Shape {
            focused: false,
            min_steps: 1,
            max_steps,
        }
    }

    #[test]
    fn three_focused_cases_then_a_free_one() {
        let shapes: Vec<Shape> = (0..8).map(|index| Shape::of_case(index, 10)).collect();
        let focused: Vec<bool> = shapes.iter().map(|shape| shape.focused).collect();
        assert_eq!(focused, [true, true, true, false, true, true, true, false]);
        assert_eq!((shapes[0].min_steps, shapes[0].max_steps), (3, 5));
        assert_eq!(shapes[3], free(10));
        let short = Shape::of_case(0, 2);
        assert_eq!((short.min_steps, short.max_steps), (2, 2));
    }

    #[test]
    fn a_focused_case_is_one_resource_s_history_with_reads_between_its_writes() {
        let resource = resource();
        let strategy = case_strategy(&resource, Shape::of_case(0, 10));
        let mut runner = TestRunner::deterministic();
        let mut after_delete = Vec::new();
        for _ in 0..200 {
            let case = strategy.new_tree(&mut runner).expect("tree").current();
            let steps = &case.steps;
            assert!((3..=5).contains(&steps.len()));
            assert!(matches!(
                steps[0],
                Op::Put { partial: false, .. } | Op::Post { .. }
            ));
            assert!(steps.iter().all(|op| op.slot() == 0 && op.is_write()));
            let Some(Relation::InsertSafe { inserts }) = &case.insert else {
                panic!("no reads inserted: {case:?}");
            };
            let before: Vec<usize> = inserts.iter().map(|insert| insert.before).collect();
            assert_eq!(before, (1..steps.len()).collect::<Vec<_>>());
            assert!(inserts.iter().all(|i| i.op.is_safe() && i.op.slot() == 0));
            let keyed = steps
                .iter()
                .position(|op| matches!(op, Op::Post { keyed: true, .. }));
            if let (Some(Relation::DuplicateIdempotent { at }), Some(keyed)) =
                (&case.duplicate, keyed)
            {
                assert_eq!(*at, keyed, "a keyed POST is the step repeated");
            }
            after_delete.extend(
                steps
                    .windows(2)
                    .filter(|pair| matches!(pair[0], Op::Delete { .. }))
                    .map(|pair| pair[1].clone()),
            );
        }
        assert!(
            after_delete
                .iter()
                .all(|op| matches!(op, Op::Delete { .. } | Op::Put { partial: true, .. }))
        );
        assert!(after_delete.iter().any(|op| matches!(op, Op::Put { .. })));
    }

    #[test]
    fn cases_use_only_supported_ops_and_valid_relations() {
        let resource = resource();
        let strategy = case_strategy(&resource, free(6));
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
        let strategy = case_strategy(&resource, free(8));
        let mut runner = TestRunner::deterministic();
        let mut tree = strategy.new_tree(&mut runner).expect("tree");
        while tree.simplify() {}
        let simplest = tree.current();
        assert_eq!(simplest.steps.len(), 1);
    }

    #[test]
    fn partial_puts_keep_only_required_members() {
        let resource = resource();
        let strategy = case_strategy(&resource, free(8));
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
