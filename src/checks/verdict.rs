//! Small pure helpers the oracles share: comparing two states, describing an exchange.

use serde_json::Value;

use crate::model::exchange::Exchange;
use crate::model::violation::Violation;
use crate::scenario::Resource;
use crate::snapshot::CollectionSnapshot;
use crate::snapshot::canonical::Canon;
use crate::snapshot::diff::unified_diff;

/// A violation when two canonical states differ, with their diff.
pub fn states_differ(
    (label_a, a): (&str, &Value),
    (label_b, b): (&str, &Value),
    violation: impl FnOnce() -> Violation,
) -> Option<Violation> {
    let diff = unified_diff(label_a, a, label_b, b)?;
    Some(violation().diff(Some(diff)))
}

/// A violation when two listings of the case's items differ, with their diff; nothing when
/// either was not observed (a later page that failed, say, because a concurrent case's delete
/// shortened a page-numbered listing): an unobserved collection judges nothing.
pub fn collections_differ(
    canon: &Canon,
    (label_a, a): (&str, &CollectionSnapshot),
    (label_b, b): (&str, &CollectionSnapshot),
    violation: impl FnOnce() -> Violation,
) -> Option<Violation> {
    if a.items.is_none() || b.items.is_none() {
        return None;
    }
    states_differ(
        (label_a, &canon.collection_state(&a.as_state())),
        (label_b, &canon.collection_state(&b.as_state())),
        violation,
    )
}

/// `METHOD URL → STATUS` of an exchange, for observed texts.
pub fn answered(exchange: &Exchange) -> String {
    format!(
        "{} {} answered {}",
        exchange.request.method, exchange.request.url, exchange.response.status
    )
}

/// The rule of [`token_refused`]'s info.
pub const STALE_TOKEN: &str = "stale-version-token";

/// On a resource with a version token (`[resources.NAME.version]`), a write answered 409 or 412
/// failed its precondition: its token was stale or missing, and RFC 9110 §13.2.1 lets the
/// server refuse it whatever the write would have done. The info that says the case could not
/// be judged, instead of a warning that a valid write did not succeed; `None` otherwise.
pub fn token_refused(resource: &Resource, write: &Exchange, what: &str) -> Option<Violation> {
    let version = resource.version.as_ref()?;
    if write.request.method.is_safe() || !matches!(write.response.status, 409 | 412) {
        return None;
    }
    let source = match &version.answer {
        Some(answer) => format!("`{answer}` of the latest write's answer"),
        None => "no write's answer (`version.answer` is not declared)".to_string(),
    };
    Some(
        Violation::info(format!(
            "{what} was refused as a failed precondition (a stale or missing version token); the case could not be judged"
        ))
        .rule(STALE_TOKEN)
        .expected(format!(
            "the write carries the current token, from `{}` of the latest read or {source}",
            version.member
        ))
        .observed(answered(write)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_states_are_no_violation() {
        let v = json!({"a": 1});
        assert!(states_differ(("x", &v), ("y", &v), || Violation::error("t")).is_none());
        let w = json!({"a": 2});
        let found = states_differ(("x", &v), ("y", &w), || Violation::error("t"));
        assert!(found.and_then(|f| f.diff).is_some());
    }

    #[test]
    fn a_half_unobserved_pair_of_listings_is_no_violation() {
        let canon = Canon::default();
        let seen = CollectionSnapshot::observed(1, 200, vec![json!({"id": "a"})]);
        let blind = CollectionSnapshot::unobserved(2, 200, "page 5 answered 404");
        let judge = |a, b| collections_differ(&canon, ("x", a), ("y", b), || Violation::error("t"));
        assert!(judge(&seen, &blind).is_none());
        assert!(judge(&blind, &seen).is_none());
        let other = CollectionSnapshot::observed(3, 200, Vec::new());
        assert!(judge(&seen, &other).is_some());
    }
}
