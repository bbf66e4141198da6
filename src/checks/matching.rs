//! Whether a representation holds the members a request body sent, with numbers compared by
//! value (`1` equals `1.0`, as many servers normalise them), and which items of a listing do.

use serde_json::Value;

pub(crate) use crate::snapshot::holds::holds;

use crate::scenario::IdField;
use crate::scenario::representation::{byte_string, xml_escape};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::opaque::Content;

/// Whether an opaque representation (see [`crate::snapshot::opaque`]) holds what a body sent:
/// its content is the text or bytes sent, or — for a template's slots or form fields — holds
/// every value's text. `None` when the snapshot is not opaque (judge it as JSON).
pub(crate) fn opaque_holds(item: &ItemSnapshot, sent: &Value) -> Option<bool> {
    let opaque = item.opaque.as_ref()?;
    if !item.exists() {
        return Some(false);
    }
    let kept: Vec<u8> = match &opaque.content {
        Content::Text(text) => text.as_bytes().to_vec(),
        Content::Bytes(bytes) => bytes.clone(),
    };
    Some(match sent {
        Value::String(text) => kept == text.as_bytes() || kept == byte_string(text),
        Value::Object(values) => {
            let kept = String::from_utf8_lossy(&kept);
            values
                .values()
                .filter(|v| !v.is_null())
                .map(crate::scenario::placeholder::as_text)
                .all(|value| kept.contains(&value) || kept.contains(&xml_escape(&value)))
        }
        other => kept == other.to_string().as_bytes(),
    })
}

/// The ids (as text) of the items that hold `body`, in listing order.
pub(crate) fn ids_holding(items: &[Value], body: &Value, id_field: &IdField) -> Vec<String> {
    items
        .iter()
        .filter(|item| holds(item, body))
        .filter_map(|item| id_field.read(item))
        .collect()
}

/// How many items carry `id` at `id_field`.
pub(crate) fn rows_with_id(items: &[Value], id: &str, id_field: &IdField) -> usize {
    items
        .iter()
        .filter(|item| id_field.read(item).is_some_and(|found| found == id))
        .count()
}

/// Top-level member names of the bodies, sorted, without duplicates.
pub(crate) fn member_names(bodies: &[&Value]) -> Vec<String> {
    let mut names: Vec<String> = bodies
        .iter()
        .filter_map(|b| b.as_object())
        .flat_map(|map| map.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// An item state (`{"status", "body"}`) with the body reduced to the client-controlled
/// members: what comparing two different resources can judge (the server's own per-resource
/// members, such as ids and creation times, legitimately differ).
pub(crate) fn client_part(mut state: Value, members: &[String]) -> Value {
    if let Some(Value::Object(body)) = state.get_mut("body") {
        let kept: serde_json::Map<String, Value> = std::mem::take(body)
            .into_iter()
            .filter(|(name, _)| members.contains(name))
            .collect();
        *body = kept;
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn holds_compares_sent_members_only_and_numbers_by_value() {
        let item = json!({"id": "a", "n": 1.0, "tags": ["x"], "updatedAt": "t"});
        assert!(holds(&item, &json!({"n": 1, "tags": ["x"]})));
        assert!(!holds(&item, &json!({"n": 2})));
        assert!(!holds(&item, &json!({"missing": null})));
        assert!(!holds(&json!([1]), &json!({"n": 1})));
    }

    #[test]
    fn only_client_members_are_compared() {
        let state = json!({"status": 200, "body": {"id": "x", "name": "n", "note": "old", "last_boot": "t1"}});
        let members = member_names(&[&json!({"name": 1, "note": 2}), &json!({"name": 3})]);
        assert_eq!(members, vec!["name", "note"]);
        assert_eq!(
            client_part(state, &members),
            json!({"status": 200, "body": {"name": "n", "note": "old"}})
        );
    }

    #[test]
    fn finds_items_by_body_and_by_id() {
        let id = IdField::at(crate::scenario::JsonPointer::parse("/id").unwrap());
        let items = vec![
            json!({"id": "a", "n": 1}),
            json!({"id": 7, "n": 1}),
            json!({"id": "a", "n": 2}),
        ];
        assert_eq!(ids_holding(&items, &json!({"n": 1}), &id), vec!["a", "7"]);
        assert_eq!(rows_with_id(&items, "a", &id), 2);
        assert_eq!(rows_with_id(&items, "b", &id), 0);
    }
}
