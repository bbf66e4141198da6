//! Whether a representation holds the members a request body sent, with numbers compared by
//! value (`1` equals `1.0`, as many servers normalise them), and which items of a listing do.

use serde_json::Value;

use crate::scenario::JsonPointer;

/// True when every member of the object `body` is in `item` with an equal value.
pub fn holds(item: &Value, body: &Value) -> bool {
    match (item.as_object(), body.as_object()) {
        (Some(item), Some(body)) => body
            .iter()
            .all(|(name, sent)| item.get(name).is_some_and(|kept| same(kept, sent))),
        _ => false,
    }
}

/// JSON equality with numbers compared as numbers.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(name, x)| ys.get(name).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

/// The ids (as text) of the items that hold `body`, in listing order.
pub fn ids_holding(items: &[Value], body: &Value, id_field: &JsonPointer) -> Vec<String> {
    items
        .iter()
        .filter(|item| holds(item, body))
        .filter_map(|item| id_text(id_field.get(item)?))
        .collect()
}

/// How many items carry `id` at `id_field`.
pub fn rows_with_id(items: &[Value], id: &str, id_field: &JsonPointer) -> usize {
    items
        .iter()
        .filter(|item| {
            id_field
                .get(item)
                .and_then(id_text)
                .is_some_and(|found| found == id)
        })
        .count()
}

/// An id as text: strings as they are, numbers printed.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
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
    fn finds_items_by_body_and_by_id() {
        let id = JsonPointer::parse("/id").unwrap();
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
