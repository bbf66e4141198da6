//! JSON Merge Patch (RFC 7396) applied to a thing's members: `null` removes a member, an
//! object merges recursively, anything else replaces. Idempotent by construction.

use serde_json::{Map, Value};

/// Applies `patch` to `target` (RFC 7396 §2, for an object target and an object patch).
pub(super) fn apply(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (name, value) in patch {
        match value {
            Value::Null => {
                target.remove(name);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(existing) = slot {
                    apply(existing, inner);
                }
            }
            other => {
                target.insert(name.clone(), other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn follows_the_rfc_7396_examples() {
        let mut target = object(json!({"a": "b", "c": {"d": "e", "f": "g"}}));
        let patch = object(json!({"a": "z", "c": {"f": null}}));
        apply(&mut target, &patch);
        assert_eq!(
            Value::Object(target.clone()),
            json!({"a": "z", "c": {"d": "e"}})
        );
        apply(&mut target, &patch);
        assert_eq!(
            Value::Object(target),
            json!({"a": "z", "c": {"d": "e"}}),
            "idempotent"
        );
    }

    #[test]
    fn replaces_non_objects_with_objects() {
        let mut target = object(json!({"a": [1, 2]}));
        apply(&mut target, &object(json!({"a": {"b": 1}})));
        assert_eq!(Value::Object(target), json!({"a": {"b": 1}}));
    }
}
