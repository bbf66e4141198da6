//! A small model schema for the framework stand-ins (DRF serializers, pydantic models, Eve
//! schemas): which members a resource has, their types, which are required, and the defaults
//! a serializer fills in when a full update omits them.

use serde_json::{Map, Value, json};

/// A collection's model name as frameworks title it: `items` → `Item` (DRF's 404 detail, Eve's
/// item links).
pub(super) fn model_title(collection: &str) -> String {
    let singular = collection.strip_suffix('s').unwrap_or(collection);
    let mut chars = singular.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The JSON type of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Int,
    Float,
    Bool,
    List,
    Object,
}

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::Str => value.is_string(),
            Kind::Int => value.is_i64() || value.is_u64(),
            Kind::Float => value.is_number(),
            Kind::Bool => value.is_boolean(),
            Kind::List => value.is_array(),
            Kind::Object => value.is_object(),
        }
    }
}

/// One member of the model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub name: String,
    pub kind: Kind,
    pub required: bool,
    /// What a full update stores when the member is omitted (`null`, `[]`, `""`, …).
    pub default: Value,
}

impl Field {
    pub(crate) fn required(name: &str, kind: Kind) -> Field {
        Field {
            name: name.to_string(),
            kind,
            required: true,
            default: Value::Null,
        }
    }

    pub(crate) fn optional(name: &str, kind: Kind, default: Value) -> Field {
        Field {
            name: name.to_string(),
            kind,
            required: false,
            default,
        }
    }
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// The body is not a JSON object.
    NotObject,
    /// A required member is absent.
    Missing(String),
    /// A required member is `null`.
    Null(String),
    /// A member has the wrong type.
    WrongType {
        field: String,
        kind: Kind,
        input: Value,
    },
    /// A member the model does not know (only for schemas that refuse them, like Eve's).
    Unknown(String),
}

/// The members of a model, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schema {
    pub fields: Vec<Field>,
    /// Whether unknown members are refused (Eve) rather than silently dropped (DRF, pydantic).
    pub refuse_unknown: bool,
}

impl Schema {
    /// The default model of the stand-ins: `name` (string, required); `color` (string or
    /// null, default null), `size` (integer or null, default null), `tags` (list, default
    /// `[]`), `note` (string, default `""`), `dimensions` (object or null, default null).
    pub(crate) fn things() -> Schema {
        Schema {
            fields: vec![
                Field::required("name", Kind::Str),
                Field::optional("color", Kind::Str, Value::Null),
                Field::optional("size", Kind::Int, Value::Null),
                Field::optional("tags", Kind::List, json!([])),
                Field::optional("note", Kind::Str, json!("")),
                Field::optional("dimensions", Kind::Object, Value::Null),
            ],
            refuse_unknown: false,
        }
    }

    /// Validates `body`; on success, the known members it carries (unknown ones dropped). With
    /// `partial` (PATCH), required members may be absent.
    pub(crate) fn validate(
        &self,
        body: &Value,
        partial: bool,
    ) -> Result<Map<String, Value>, Vec<Problem>> {
        let Some(object) = body.as_object() else {
            return Err(vec![Problem::NotObject]);
        };
        let mut problems = Vec::new();
        let mut known = Map::new();
        for field in &self.fields {
            match object.get(&field.name) {
                None if field.required && !partial => {
                    problems.push(Problem::Missing(field.name.clone()))
                }
                None => {}
                Some(Value::Null) if field.required => {
                    problems.push(Problem::Null(field.name.clone()))
                }
                Some(Value::Null) => {
                    known.insert(field.name.clone(), Value::Null);
                }
                Some(value) if !field.kind.accepts(value) => problems.push(Problem::WrongType {
                    field: field.name.clone(),
                    kind: field.kind,
                    input: value.clone(),
                }),
                Some(value) => {
                    known.insert(field.name.clone(), value.clone());
                }
            }
        }
        if self.refuse_unknown {
            for name in object.keys() {
                if !self.fields.iter().any(|f| &f.name == name) {
                    problems.push(Problem::Unknown(name.clone()));
                }
            }
        }
        if problems.is_empty() {
            Ok(known)
        } else {
            Err(problems)
        }
    }

    /// Every member of the model: the given value, else the default.
    pub(crate) fn filled(&self, given: &Map<String, Value>) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|f| {
                let value = given.get(&f.name).cloned().unwrap_or(f.default.clone());
                (f.name.clone(), value)
            })
            .collect()
    }
}
