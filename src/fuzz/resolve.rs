//! Turns a case's raw random choices into concrete ops. A free case draws every step from the
//! whole vocabulary; a focused case creates one resource and continues with follow-up moves on
//! it (repeat the last write, overwrite it partially, delete it; after a delete, delete again
//! or re-create), the histories in which idempotence bugs hide.

use serde_json::{Map, Value};

use crate::fuzz::strategy::Capabilities;
use crate::model::fuzz::ops::{Op, PatchFormat, SLOTS};
use crate::scenario::generate::partial_body;

/// The range of a roll: a choice among a few weighted options, shrinking towards the first.
pub(crate) const ROLL: u32 = 64;

/// The random choices of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choice {
    /// Which op (free cases) or which move (focused cases), in `0..ROLL`.
    pub(crate) roll: u32,
    /// The second slot instead of the first (free cases).
    pub(crate) other_slot: bool,
    /// The second pool body instead of the first.
    pub(crate) other_body: bool,
    /// Which member a PATCH sets, in `0..ROLL`.
    pub(crate) member: u32,
    /// A PATCH removes its (optional) member.
    pub(crate) remove: bool,
    /// A POST carries an Idempotency-Key (when the resource declares one).
    pub(crate) keyed: bool,
}

/// The safe op an insert relation adds: `roll` (in `0..ROLL`) picks GET, HEAD or OPTIONS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SafeChoice {
    pub(crate) roll: u32,
    pub(crate) other_slot: bool,
}

/// The op kinds of a free step, simplest first (shrinking moves towards the front), with how
/// often each is drawn: writes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Put,
    Get,
    PartialPut,
    Delete,
    Post,
    Patch,
    Head,
    Options,
}

const KINDS: [(Kind, u32); 8] = [
    (Kind::Put, 4),
    (Kind::Get, 2),
    (Kind::PartialPut, 3),
    (Kind::Delete, 3),
    (Kind::Post, 2),
    (Kind::Patch, 1),
    (Kind::Head, 1),
    (Kind::Options, 1),
];

impl Kind {
    fn supported(self, caps: &Capabilities) -> bool {
        match self {
            Kind::Put => caps.put,
            Kind::PartialPut => caps.partial_put,
            Kind::Delete => caps.delete,
            Kind::Post => caps.post,
            Kind::Patch => caps.patch.is_some(),
            Kind::Get => true,
            Kind::Head => caps.head,
            Kind::Options => caps.options,
        }
    }
}

/// A follow-up move of a focused case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    /// The slot's last write again, identical (a POST's body is PUT).
    Repeat,
    /// A PUT of the required members only.
    Partial,
    Delete,
    /// A PUT creating the resource again (after a delete, when partial PUTs are impossible).
    Recreate,
}

/// Turns choices into concrete ops with bodies from the pool.
pub(crate) struct Resolver<'a> {
    pub(crate) pool: [Value; 2],
    pub(crate) required: &'a [String],
    pub(crate) members: &'a [String],
    pub(crate) caps: &'a Capabilities,
}

impl Resolver<'_> {
    /// The ops of a free case: every step drawn from the whole vocabulary.
    pub(crate) fn free(&self, choices: &[Choice]) -> Vec<Op> {
        choices.iter().map(|choice| self.fresh(choice)).collect()
    }

    /// The ops of a focused case: a creation on slot 1, then follow-up moves on it.
    pub(crate) fn focused(&self, choices: &[Choice]) -> Vec<Op> {
        let mut steps: Vec<Op> = Vec::with_capacity(choices.len());
        for choice in choices {
            let op = match steps.last() {
                Some(previous) => self.follow(&steps, previous, choice),
                None => self.create(choice),
            };
            steps.push(op);
        }
        steps
    }

    /// A step drawn from the whole vocabulary, by weight.
    fn fresh(&self, choice: &Choice) -> Op {
        let kinds: Vec<(Kind, u32)> = KINDS
            .into_iter()
            .filter(|(kind, _)| kind.supported(self.caps))
            .collect();
        let kind = pick_weighted(&kinds, choice.roll).unwrap_or(Kind::Get);
        let slot = if choice.other_slot { SLOTS - 1 } else { 0 };
        self.op(kind, slot, choice)
    }

    /// The first step of a focused case: a POST two times in three when the resource has
    /// one (it is the usual way to create, and the only way for some bugs), else a PUT.
    fn create(&self, choice: &Choice) -> Op {
        let post = self.caps.post && (!self.caps.put || choice.roll >= ROLL / 3);
        let kind = if post { Kind::Post } else { Kind::Put };
        self.op(kind, 0, choice)
    }

    /// A move that continues from `previous` on its slot: after a write, repeat it, overwrite
    /// it partially or delete it, each as likely; after a delete, re-create it (partially
    /// when the template has optional members) twice as often as deleting it again, since
    /// what comes back after a delete is where more goes wrong. Reads come from the insert
    /// relation.
    fn follow(&self, steps: &[Op], previous: &Op, choice: &Choice) -> Op {
        let slot = previous.slot();
        let deleted = matches!(previous, Op::Delete { .. });
        let moves: Vec<(Move, u32)> = if deleted {
            vec![(Move::Delete, 1), (Move::Partial, 2), (Move::Recreate, 2)]
        } else {
            vec![(Move::Repeat, 1), (Move::Partial, 1), (Move::Delete, 1)]
        }
        .into_iter()
        .filter(|(mv, _)| self.can(*mv, deleted))
        .collect();
        let Some(mv) = pick_weighted(&moves, choice.roll) else {
            return self.fresh(choice);
        };
        match mv {
            Move::Repeat => self.repeat(steps, slot, choice),
            Move::Partial => self.op(Kind::PartialPut, slot, choice),
            Move::Delete => Op::Delete { slot },
            Move::Recreate => self.op(Kind::Put, slot, choice),
        }
    }

    /// Whether a move is possible on this resource (after a delete, when `deleted`).
    fn can(&self, mv: Move, deleted: bool) -> bool {
        match mv {
            Move::Repeat => self.caps.put || self.caps.patch.is_some(),
            Move::Partial => self.caps.partial_put,
            Move::Delete => self.caps.delete,
            Move::Recreate => deleted && self.caps.put && !self.caps.partial_put,
        }
    }

    /// The last write to `slot` again: the same PUT or PATCH, or a PUT of a POST's body.
    fn repeat(&self, steps: &[Op], slot: usize, choice: &Choice) -> Op {
        let last = steps
            .iter()
            .rev()
            .find(|op| op.slot() == slot && !matches!(op, Op::Delete { .. }) && op.is_write());
        match last {
            Some(Op::Post { body, .. }) if self.caps.put => Op::Put {
                slot,
                body: body.clone(),
                partial: false,
            },
            Some(write @ (Op::Put { .. } | Op::Patch { .. })) => write.clone(),
            _ if self.caps.put => self.op(Kind::Put, slot, choice),
            _ => self.op(Kind::Patch, slot, choice),
        }
    }

    /// The op of `kind` on `slot`.
    fn op(&self, kind: Kind, slot: usize, choice: &Choice) -> Op {
        let body = &self.pool[usize::from(choice.other_body)];
        match kind {
            Kind::Put => Op::Put {
                slot,
                body: body.clone(),
                partial: false,
            },
            Kind::PartialPut => Op::Put {
                slot,
                body: partial_body(body, self.required),
                partial: true,
            },
            Kind::Post => Op::Post {
                slot,
                body: body.clone(),
                keyed: choice.keyed && self.caps.keyed_post,
            },
            Kind::Delete => Op::Delete { slot },
            Kind::Get => Op::Get { slot },
            Kind::Head => Op::Head { slot },
            Kind::Options => Op::Options { slot },
            Kind::Patch => self.patch_op(slot, body, choice.member, choice.remove),
        }
    }

    /// The safe op an insert adds, on `slot`: GET, HEAD or OPTIONS, each as likely, or (for
    /// the dense reads of a focused case, `reads`) GET eight times as often as each other.
    pub(crate) fn safe(&self, choice: &SafeChoice, slot: usize, reads: bool) -> Op {
        let get = if reads { 8 } else { 1 };
        let kinds: Vec<(Kind, u32)> = [(Kind::Get, get), (Kind::Head, 1), (Kind::Options, 1)]
            .into_iter()
            .filter(|(kind, _)| kind.supported(self.caps))
            .collect();
        match pick_weighted(&kinds, choice.roll) {
            Some(Kind::Head) => Op::Head { slot },
            Some(Kind::Options) => Op::Options { slot },
            _ => Op::Get { slot },
        }
    }

    /// A one-member patch: set a member to the pool body's value, or (optional member) remove
    /// it (`null` in a merge patch, a `remove` operation in a JSON Patch).
    fn patch_op(&self, slot: usize, body: &Value, member: u32, remove: bool) -> Op {
        let format = self.caps.patch.unwrap_or(PatchFormat::Merge);
        let Some(name) = pick_evenly(self.members, member) else {
            return Op::Patch {
                slot,
                body: Value::Object(Map::new()),
                format,
            };
        };
        let optional = !self.required.contains(&name);
        let value = body.get(&name).cloned().unwrap_or(Value::Null);
        let body = match format {
            PatchFormat::Merge if remove && optional => {
                Value::Object(Map::from_iter([(name.clone(), Value::Null)]))
            }
            PatchFormat::Merge => Value::Object(Map::from_iter([(name.clone(), value)])),
            PatchFormat::JsonPatch if remove && optional => serde_json::json!([
                {"op": "remove", "path": format!("/{}", escape(&name))}
            ]),
            PatchFormat::JsonPatch => serde_json::json!([
                {"op": "add", "path": format!("/{}", escape(&name)), "value": value}
            ]),
        };
        Op::Patch { slot, body, format }
    }
}

/// The option `roll` (in `0..ROLL`) selects, all equally likely.
pub(crate) fn pick_evenly<T: Clone>(options: &[T], roll: u32) -> Option<T> {
    let len = u32::try_from(options.len()).ok().filter(|len| *len > 0)?;
    let at = roll.min(ROLL - 1) * len / ROLL;
    options.get(usize::try_from(at).ok()?).cloned()
}

/// The option `roll` (in `0..ROLL`) selects, by weight.
fn pick_weighted<T: Copy>(options: &[(T, u32)], roll: u32) -> Option<T> {
    let total: u32 = options.iter().map(|(_, weight)| weight).sum();
    let mut target = roll.min(ROLL - 1) * total / ROLL;
    for (option, weight) in options {
        if target < *weight {
            return Some(*option);
        }
        target -= weight;
    }
    None
}

/// A member name as a JSON Pointer reference token (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caps(partial_put: bool) -> Capabilities {
        Capabilities {
            put: true,
            partial_put,
            delete: true,
            head: true,
            options: false,
            post: true,
            keyed_post: true,
            patch: None,
        }
    }

    fn choices(rolls: &[u32]) -> Vec<Choice> {
        rolls
            .iter()
            .map(|roll| Choice {
                roll: *roll,
                other_slot: false,
                other_body: false,
                member: 0,
                remove: false,
                keyed: true,
            })
            .collect()
    }

    fn resolver(caps: &Capabilities) -> Resolver<'_> {
        Resolver {
            pool: [json!({"name": "a", "size": 1}), json!({"name": "b"})],
            required: &[],
            members: &[],
            caps,
        }
    }

    #[test]
    fn a_focused_history_repeats_overwrites_and_deletes_one_resource() {
        let caps = caps(true);
        let resolver = Resolver {
            required: &["name".to_string()],
            ..resolver(&caps)
        };
        // POST, repeat it (a PUT of its body), delete, delete again, re-create partially.
        let steps = resolver.focused(&choices(&[63, 0, 63, 0, 63]));
        let full = json!({"name": "a", "size": 1});
        assert_eq!(
            steps,
            vec![
                Op::Post {
                    slot: 0,
                    body: full.clone(),
                    keyed: true
                },
                Op::Put {
                    slot: 0,
                    body: full,
                    partial: false
                },
                Op::Delete { slot: 0 },
                Op::Delete { slot: 0 },
                Op::Put {
                    slot: 0,
                    body: json!({"name": "a"}),
                    partial: true
                },
            ]
        );
        // A PUT first when the roll says so, and a partial overwrite after it.
        let steps = resolver.focused(&choices(&[0, 32]));
        assert!(matches!(steps[0], Op::Put { partial: false, .. }));
        assert!(matches!(steps[1], Op::Put { partial: true, .. }));
    }

    #[test]
    fn without_optional_members_a_deleted_resource_is_recreated_in_full() {
        let caps = caps(false);
        let resolver = resolver(&caps);
        let steps = resolver.focused(&choices(&[0, 63, 63]));
        assert_eq!(steps[1], Op::Delete { slot: 0 });
        assert!(matches!(steps[2], Op::Put { partial: false, .. }));
    }

    #[test]
    fn rolls_pick_by_weight_and_shrink_to_the_first_option() {
        let options = [("a", 1), ("b", 3)];
        assert_eq!(pick_weighted(&options, 0), Some("a"));
        assert_eq!(pick_weighted(&options, 15), Some("a"));
        assert_eq!(pick_weighted(&options, 16), Some("b"));
        assert_eq!(pick_weighted(&options, 63), Some("b"));
        assert_eq!(pick_evenly(&["x", "y"], 31), Some("x"));
        assert_eq!(pick_evenly::<&str>(&[], 5), None);
    }
}
