//! Small pure helpers the oracles share: comparing two states, describing an exchange.

use serde_json::Value;

use crate::model::exchange::Exchange;
use crate::model::violation::Violation;
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

/// `METHOD URL → STATUS` of an exchange, for observed texts.
pub fn answered(exchange: &Exchange) -> String {
    format!(
        "{} {} answered {}",
        exchange.request.method, exchange.request.url, exchange.response.status
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
}
