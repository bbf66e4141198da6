//! TOML values as JSON: the one conversion every literal in a scenario file goes through.

use serde_json::{Map, Number, Value};

/// Converts a TOML value to JSON. Datetimes become their RFC 3339 text; a float that JSON cannot
/// hold (`nan`, `inf`) is an error.
pub(crate) fn toml_to_json(value: toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::Number(json_float(f)?),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(toml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| Ok((k, toml_to_json(v)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
    })
}

/// A finite float as a JSON number.
pub(crate) fn json_float(f: f64) -> Result<Number, String> {
    Number::from_f64(f).ok_or_else(|| format!("`{f}` cannot be represented in JSON"))
}

/// A short name of a JSON value's type, for error messages.
pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn converts_every_toml_type() {
        let doc: toml::Table = toml::from_str(
            "s = 'x'\ni = 3\nf = 1.5\nb = true\nd = 1979-05-27T07:32:00Z\na = [1, 'two']\nt = { k = 1 }",
        )
        .expect("valid toml");
        let json = toml_to_json(toml::Value::Table(doc)).expect("convertible");
        assert_eq!(
            json,
            json!({"s": "x", "i": 3, "f": 1.5, "b": true, "d": "1979-05-27T07:32:00Z",
                   "a": [1, "two"], "t": {"k": 1}})
        );
    }

    #[test]
    fn rejects_nan() {
        assert!(toml_to_json(toml::Value::Float(f64::NAN)).is_err());
    }
}
