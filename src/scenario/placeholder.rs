//! Script placeholders: `{name}`, `{name+K}` and `{name-K}` in step paths, headers and bodies.
//!
//! `name` is `id` (the script's run-owned id) or a value captured by an earlier step; `K` is an
//! integer added to a numeric value. In a path or header, a placeholder is replaced by the
//! value's text. In a body, a string that is exactly one placeholder is replaced by the JSON
//! value itself (so `"{n+1}"` becomes the number), and placeholders inside longer strings are
//! replaced by text. Braces that do not form a placeholder are ordinary text.

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::{Number, Value};

/// The placeholder every script may use: the run-owned id of the script's resource.
pub(crate) const ID: &str = "id";

/// One `{name}` / `{name+K}` / `{name-K}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    pub(crate) name: String,
    /// `K`, 0 for a plain `{name}`.
    pub(crate) offset: i64,
}

/// Every placeholder in `text`, with its byte range, in order.
pub(crate) fn find(text: &str) -> Vec<(Range<usize>, Placeholder)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|i| from + i) {
        match text[open + 1..].find(['{', '}']).map(|i| open + 1 + i) {
            Some(close) if text.as_bytes()[close] == b'}' => {
                if let Some(placeholder) = parse_inner(&text[open + 1..close]) {
                    found.push((open..close + 1, placeholder));
                }
                from = close + 1;
            }
            Some(next_open) => from = next_open,
            None => break,
        }
    }
    found
}

/// The placeholder when `text` is exactly one, e.g. `"{n+1}"`.
pub(crate) fn whole(text: &str) -> Option<Placeholder> {
    match find(text).as_slice() {
        [(range, placeholder)] if *range == (0..text.len()) => Some(placeholder.clone()),
        _ => None,
    }
}

/// Why a placeholder has no value to stand for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlaceholderError {
    #[error("`{{{name}}}` has no value")]
    NoValue { name: String },
    /// `{name+1}` on a value that is not a number; `value` is its text.
    #[error("`{{{name}{offset:+}}}` needs a number, but `{name}` is {value}")]
    NotANumber {
        name: String,
        offset: i64,
        value: String,
    },
}

/// Replaces every placeholder in `text` by its value's text.
pub(crate) fn substitute_text(
    text: &str,
    vars: &BTreeMap<String, Value>,
) -> Result<String, PlaceholderError> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, placeholder) in find(text) {
        out.push_str(&text[last..range.start]);
        out.push_str(&as_text(&resolve(&placeholder, vars)?));
        last = range.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// An upper bound of the bytes `body` (serialized) becomes with its placeholders replaced,
/// computed without building it: a step that repeats a large captured value thousands of
/// times must be refused before it exhausts memory. Placeholders without a value count as
/// nothing.
pub(crate) fn filled_body_len(body: &Value, vars: &BTreeMap<String, Value>) -> usize {
    body_len(body, &value_lens(vars))
}

/// An upper bound of the bytes `text` becomes with its placeholders replaced (see
/// [`filled_body_len`]).
pub(crate) fn filled_text_len(text: &str, vars: &BTreeMap<String, Value>) -> usize {
    text_len(text, &value_lens(vars))
}

/// The bytes each value takes serialized (a string with its quotes and escapes), measured once.
fn value_lens(vars: &BTreeMap<String, Value>) -> BTreeMap<&str, usize> {
    vars.iter()
        .map(|(name, value)| {
            let len = serde_json::to_vec(value).map_or(0, |bytes| bytes.len());
            (name.as_str(), len)
        })
        .collect()
}

fn text_len(text: &str, lens: &BTreeMap<&str, usize>) -> usize {
    find(text).iter().fold(text.len(), |len, (_, placeholder)| {
        len.saturating_add(lens.get(placeholder.name.as_str()).copied().unwrap_or(0))
    })
}

fn body_len(body: &Value, lens: &BTreeMap<&str, usize>) -> usize {
    match body {
        Value::String(text) => text_len(text, lens).saturating_add(2),
        Value::Array(items) => items.iter().fold(2, |len, item| {
            len.saturating_add(body_len(item, lens)).saturating_add(1)
        }),
        Value::Object(map) => map.iter().fold(2, |len, (key, value)| {
            len.saturating_add(key.len().saturating_add(4))
                .saturating_add(body_len(value, lens))
        }),
        other => other.to_string().len(),
    }
}

/// Replaces placeholders in every string of a JSON body (object keys are left alone).
pub(crate) fn substitute_body(
    body: &Value,
    vars: &BTreeMap<String, Value>,
) -> Result<Value, PlaceholderError> {
    Ok(match body {
        Value::String(text) => match whole(text) {
            Some(placeholder) => resolve(&placeholder, vars)?,
            None => Value::String(substitute_text(text, vars)?),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute_body(item, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_body(v, vars)?)))
                .collect::<Result<_, PlaceholderError>>()?,
        ),
        other => other.clone(),
    })
}

/// Every placeholder used in the strings of a JSON body.
pub(crate) fn find_in_body(body: &Value) -> Vec<Placeholder> {
    match body {
        Value::String(text) => find(text).into_iter().map(|(_, p)| p).collect(),
        Value::Array(items) => items.iter().flat_map(find_in_body).collect(),
        Value::Object(map) => map.values().flat_map(find_in_body).collect(),
        _ => Vec::new(),
    }
}

/// The value a placeholder stands for.
pub(crate) fn resolve(
    placeholder: &Placeholder,
    vars: &BTreeMap<String, Value>,
) -> Result<Value, PlaceholderError> {
    let value = vars
        .get(&placeholder.name)
        .ok_or_else(|| PlaceholderError::NoValue {
            name: placeholder.name.clone(),
        })?;
    if placeholder.offset == 0 {
        return Ok(value.clone());
    }
    add(value, placeholder.offset).ok_or_else(|| PlaceholderError::NotANumber {
        name: placeholder.name.clone(),
        offset: placeholder.offset,
        value: as_text(value),
    })
}

/// `value + offset` for an integer, a float, or a string holding an integer.
fn add(value: &Value, offset: i64) -> Option<Value> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.checked_add(offset).map(Value::from)
            } else {
                Number::from_f64(n.as_f64()? + offset as f64).map(Value::Number)
            }
        }
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()?
            .checked_add(offset)
            .map(Value::from),
        _ => None,
    }
}

/// A value as text: strings as they are, anything else as compact JSON.
pub(crate) fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses the text between braces: an identifier, optionally followed by `+K` or `-K`.
fn parse_inner(inner: &str) -> Option<Placeholder> {
    let split = inner.find(['+', '-']).unwrap_or(inner.len());
    let (name, offset) = inner.split_at(split);
    if !is_name(name) {
        return None;
    }
    let offset = match offset {
        "" => 0,
        signed => {
            let digits = &signed[1..];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            signed.parse().ok()?
        }
    };
    Some(Placeholder {
        name: name.to_owned(),
        offset,
    })
}

/// A placeholder or capture name: ASCII letters, digits and `_`, not starting with a digit.
pub(crate) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("id".to_owned(), json!("idf-1")),
            ("n".to_owned(), json!(4)),
            ("f".to_owned(), json!(1.5)),
            ("etag".to_owned(), json!("\"v1\"")),
            ("s".to_owned(), json!("7")),
        ])
    }

    fn p(name: &str, offset: i64) -> Placeholder {
        Placeholder {
            name: name.to_owned(),
            offset,
        }
    }

    #[test]
    fn finds_placeholders_and_ignores_other_braces() {
        let found: Vec<_> = find("/a/{id}/{n+1}/{n-2}/{ x }/{a-b}/{{id}}/{}/{n+}")
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(found, [p("id", 0), p("n", 1), p("n", -2), p("id", 0)]);
    }

    #[test]
    fn whole_only_for_exactly_one() {
        assert_eq!(whole("{n+1}"), Some(p("n", 1)));
        assert_eq!(whole(" {n}"), None);
        assert_eq!(whole("{n}{n}"), None);
    }

    #[test]
    fn substitutes_text() {
        let got = substitute_text("/things/{id}/v{n+1}?e={etag}", &vars()).expect("defined");
        assert_eq!(got, "/things/idf-1/v5?e=\"v1\"");
        assert_eq!(
            substitute_text("{s+1}", &vars()).expect("numeric string"),
            "8"
        );
        assert_eq!(substitute_text("{f-1}", &vars()).expect("float"), "0.5");
    }

    #[test]
    fn substitutes_bodies_with_types() {
        let body = json!({"times": "{n+1}", "name": "dev {id}", "xs": ["{n}"], "k": 1});
        let got = substitute_body(&body, &vars()).expect("defined");
        assert_eq!(
            got,
            json!({"times": 5, "name": "dev idf-1", "xs": [4], "k": 1})
        );
    }

    #[test]
    fn errors_name_the_placeholder() {
        assert_eq!(
            substitute_text("{nope}", &vars())
                .expect_err("undefined")
                .to_string(),
            "`{nope}` has no value"
        );
        assert_eq!(
            substitute_text("{id+1}", &vars())
                .expect_err("not a number")
                .to_string(),
            "`{id+1}` needs a number, but `id` is idf-1"
        );
    }

    #[test]
    fn lists_placeholders_in_bodies() {
        let body = json!({"a": "{x}", "b": ["{y-1}"], "c": 3});
        assert_eq!(find_in_body(&body), [p("x", 0), p("y", -1)]);
    }
}
