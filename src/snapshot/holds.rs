//! Whether a representation holds the members a request body sent, with numbers compared by
//! value (`1` equals `1.0`, as many servers normalise them).

use serde_json::Value;

/// True when every member of the object `body` is in `item` with an equal value.
pub(crate) fn holds(item: &Value, body: &Value) -> bool {
    match (item.as_object(), body.as_object()) {
        (Some(item), Some(body)) => body
            .iter()
            .all(|(name, sent)| item.get(name).is_some_and(|kept| same(kept, sent))),
        _ => false,
    }
}

/// JSON equality with numbers compared as numbers.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
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
