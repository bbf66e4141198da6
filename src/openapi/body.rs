//! The body template the importer builds from a schema, before it is written as TOML: the
//! generators and literals of `docs/scenarios.md`, plus a comment for every choice a user may
//! want to revisit.

use serde_json::Value;

/// One template value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tmpl {
    /// `{ gen = "NAME", ... }`.
    Gen(Gen),
    /// A JSON object whose members are templates; written as a sub-table when it is a member of
    /// a table, inline elsewhere.
    Object(Vec<Member>),
    /// A fixed JSON value without `null` anywhere (TOML has no null).
    Literal(Value),
}

/// A generator table with its parameters in the order they are written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gen {
    pub(crate) name: &'static str,
    pub(crate) params: Vec<(&'static str, Param)>,
}

impl Gen {
    pub(crate) fn new(name: &'static str) -> Gen {
        Gen {
            name,
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub(crate) fn with(mut self, key: &'static str, value: Param) -> Gen {
        self.params.push((key, value));
        self
    }
}

/// A generator parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Float(f64),
    Text(String),
    /// `values = [...]` of `one_of`: literals without null.
    Values(Vec<Value>),
    /// `items = <template>` of `array`.
    Items(Box<Tmpl>),
}

/// A member of an object template: its template, or why it is left out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub(crate) name: String,
    /// `None` when the member is left out (the note says why).
    pub(crate) tmpl: Option<Tmpl>,
    /// A one-line comment written after the member (or in its place when left out).
    pub(crate) note: Option<String>,
}

/// True when the JSON value holds a `null` anywhere.
pub(crate) fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(members) => members.values().any(has_null),
        _ => false,
    }
}

/// The value as a literal template, or `None` when TOML cannot hold it (a `null` inside).
pub(crate) fn literal(value: &Value) -> Option<Tmpl> {
    (!has_null(value)).then(|| Tmpl::Literal(value.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_refuse_null_anywhere() {
        assert_eq!(literal(&json!(1)), Some(Tmpl::Literal(json!(1))));
        assert_eq!(literal(&json!(null)), None);
        assert_eq!(literal(&json!({"a": [1, null]})), None);
    }
}
