//! The outline of one case of a check, for `--dry-run`: its steps in order, each a line of
//! text and the requests the step sends. Checks are adaptive (later requests depend on earlier
//! answers, e.g. the id a POST returns), so an outline is the plan of a case on an API that
//! behaves, not a transcript. Each check writes its outline beside its `execute`
//! ([`crate::checks::check::Check::outline`]); the outline test (`outline_tests.rs`) runs every
//! check against the demo API and fails when the requests `execute` sends stop matching the
//! requests its outline lists.

use crate::model::exchange::Method;
use crate::scenario::{CreateMode, Resource};

/// What one case sends, step by step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outline {
    steps: Vec<Step>,
}

/// One step: its line of text and the requests it stands for.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    text: String,
    /// Declared by every check's outline; only the outline test reads them.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the outline test"))]
    sends: Vec<Sends>,
}

/// A request a step sends, and how many times in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sends {
    pub(crate) method: Method,
    pub(crate) to: To,
    /// The fewest times it is sent in a row.
    pub(crate) min: u32,
    /// The most times it is sent in a row.
    pub(crate) max: u32,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum To {
    /// The item path, with any id.
    Item,
    /// The collection path.
    Collection,
    /// The item of the parent a nested resource's case created.
    Parent,
}

impl Outline {
    /// An outline with no step yet.
    pub(crate) fn new() -> Outline {
        Outline::default()
    }

    /// The outline with one more step.
    pub(crate) fn step(
        mut self,
        text: impl Into<String>,
        sends: impl IntoIterator<Item = Sends>,
    ) -> Outline {
        self.push(text, sends);
        self
    }

    /// Adds a step.
    pub(crate) fn push(&mut self, text: impl Into<String>, sends: impl IntoIterator<Item = Sends>) {
        self.steps.push(Step {
            text: text.into(),
            sends: sends.into_iter().collect(),
        });
    }

    /// Adds the steps of another outline.
    pub(crate) fn extend(&mut self, other: Outline) {
        self.steps.extend(other.steps);
    }

    /// The lines of `--dry-run`, one per step.
    pub(crate) fn lines(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|step| step.text.as_str())
    }

    /// Every request of every step, in order.
    #[cfg(test)]
    pub(crate) fn sends(&self) -> impl Iterator<Item = &Sends> {
        self.steps.iter().flat_map(|step| &step.sends)
    }

    /// True when the outline has no step.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// `method` to `to`, once.
pub(crate) fn send(method: Method, to: To) -> Sends {
    Sends {
        method,
        to,
        min: 1,
        max: 1,
    }
}

impl Sends {
    /// Exactly `n` times in a row.
    pub(crate) fn times(self, n: u32) -> Sends {
        self.between(n, n)
    }

    /// From `min` to `max` times in a row.
    pub(crate) fn between(self, min: u32, max: u32) -> Sends {
        Sends { min, max, ..self }
    }
}

/// The step that creates the case's resource as the scenario says: PUT to a fresh id, or POST.
pub(crate) fn create(resource: &Resource, body: &str) -> (String, Sends) {
    match resource.create {
        CreateMode::Put => (
            format!("PUT {} {body} (create)", resource.item),
            send(Method::Put, To::Item),
        ),
        CreateMode::Post => (
            format!("POST {} {body} (create)", resource.collection),
            send(Method::Post, To::Collection),
        ),
    }
}

/// Creation as the conditional-request checks do it: a creating PUT carries
/// `If-None-Match: *` when the resource requires preconditions.
pub(crate) fn create_conditionally(resource: &Resource, body: &str) -> (String, Sends) {
    if resource.create == CreateMode::Put && resource.conditional.preconditions_required {
        (
            format!(
                "PUT {} {body} with If-None-Match: * (create)",
                resource.item
            ),
            send(Method::Put, To::Item),
        )
    } else {
        create(resource, body)
    }
}

/// ` with If-Match: *` where the resource requires preconditions (its PUTs to an existing
/// item carry it), else nothing.
pub(crate) fn star(resource: &Resource) -> &'static str {
    if resource.conditional.preconditions_required {
        " with If-Match: *"
    } else {
        ""
    }
}

/// The resource's Idempotency-Key header name (or the default name).
pub(crate) fn key_header(resource: &Resource) -> &str {
    resource
        .idempotency_key
        .as_ref()
        .map_or("Idempotency-Key", |key| key.header.as_str())
}
