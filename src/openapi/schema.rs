//! Schemas → body templates. `$ref`s are followed into `components.schemas`, `allOf` parts are
//! merged, `oneOf` / `anyOf` are narrowed to their first usable alternative, and each keyword
//! becomes the generator parameter that expresses it (see `docs/openapi.md`). `readOnly`
//! members are left out of the body and collected as ignore patterns. Recursion stops at a
//! schema that contains itself, or [`MAX_DEPTH`] references deep: the member is left out with a
//! comment saying why.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::body::{Gen, Member, Tmpl, literal};
use super::merge::merge;
use super::model::{Discriminator, JsonType, Schema, SchemaObject};
use super::scalars::{Mapped, array_gen, enumeration, integer, number, string};
use crate::scenario::template::MAX_ARRAY_LEN;

/// Nested references followed along one branch before the importer gives up on it.
pub(crate) const MAX_DEPTH: usize = 16;
/// Members (at any depth, array items included) one body template holds at most: a document
/// whose schemas reference each other widely would otherwise expand exponentially.
pub(crate) const MAX_MEMBERS: usize = 500;
/// Longest description copied into a comment.
const NOTE_LEN: usize = 72;

/// The body template of a request schema, and what the importer learned on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct BodyPlan {
    /// The root object's members.
    pub(crate) members: Vec<Member>,
    /// Top-level members the schema requires that are in the template.
    pub(crate) required: Vec<String>,
    /// Ignore patterns of `readOnly` members, in the order they were met.
    pub(crate) ignore: Vec<String>,
    /// A note about the root (e.g. which `oneOf` alternative was used).
    pub(crate) note: Option<String>,
}

/// Why a schema gave no template.
#[derive(Debug, Clone, PartialEq)]
enum Omit {
    Cycle(String),
    TooDeep,
    Unresolved(String, String),
    UnknownRef(String),
    Null,
    Nothing,
    NoAlternative,
    GenName,
    TooLarge,
}

impl Omit {
    fn reason(&self) -> String {
        match self {
            Omit::Cycle(name) => format!("left out: `{name}` contains itself (a recursive schema)"),
            Omit::TooDeep => format!("left out: nested more than {MAX_DEPTH} references deep"),
            Omit::Unresolved(reference, reason) => {
                format!("left out: `$ref: {reference}` is not followed: {reason}")
            }
            Omit::UnknownRef(name) => format!("left out: no schema `{name}` in the document"),
            Omit::Null => "left out: it can only be null, and TOML has no null".into(),
            Omit::Nothing => "left out: its schema is `false` (no value is valid)".into(),
            Omit::NoAlternative => "left out: no usable oneOf/anyOf alternative".into(),
            Omit::TooLarge => format!(
                "left out: the body template already has {MAX_MEMBERS} members, the import's limit"
            ),
            Omit::GenName => {
                "left out: a member named `gen` would turn its table into a generator".into()
            }
        }
    }
}

/// One step of a JSON pointer: a member name, or any array element (`*`).
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Name(String),
    Any,
}

/// Maps schemas of one document.
#[derive(Debug)]
pub(crate) struct Mapper<'a> {
    schemas: &'a BTreeMap<String, Schema>,
    /// Names of the referenced schemas being expanded, outermost first.
    stack: Vec<String>,
    /// Where the mapper is in the body.
    at: Vec<Step>,
    ignore: Vec<String>,
    /// The top-level member that holds the item id: left out of bodies, never ignored.
    id_member: Option<String>,
    /// Members still allowed in the body being mapped.
    budget: usize,
}

impl<'a> Mapper<'a> {
    pub(crate) fn new(schemas: &'a BTreeMap<String, Schema>) -> Mapper<'a> {
        Mapper {
            schemas,
            stack: Vec::new(),
            at: Vec::new(),
            ignore: Vec::new(),
            id_member: None,
            budget: MAX_MEMBERS,
        }
    }

    /// The schema with references followed and `allOf` merged (members stay unresolved), or
    /// `None` when it cannot be resolved.
    pub(crate) fn inspect(&mut self, schema: &Schema) -> Option<SchemaObject> {
        self.stack.clear();
        let flat = self.flatten(schema).ok();
        self.stack.clear();
        flat
    }

    /// The top-level members of an object schema, resolved, in order.
    pub(crate) fn members(&mut self, schema: &Schema) -> Vec<(String, SchemaObject)> {
        let Some(object) = self.inspect(schema) else {
            return Vec::new();
        };
        object
            .properties
            .iter()
            .filter_map(|(name, member)| Some((name.clone(), self.inspect(member)?)))
            .collect()
    }

    /// The body template of a request schema whose root is an object. `id_member` names the
    /// top-level member holding the item id, which is left out (the id is in the path).
    pub(crate) fn body(
        &mut self,
        schema: &Schema,
        id_member: Option<&str>,
    ) -> Result<BodyPlan, String> {
        self.stack.clear();
        self.at.clear();
        self.ignore.clear();
        self.id_member = id_member.map(str::to_string);
        self.budget = MAX_MEMBERS;
        let flat = self.flatten(schema).map_err(|omit| omit.reason())?;
        let required = flat.required.clone();
        let mapped = self.template(flat);
        self.stack.clear();
        let (tmpl, note) = mapped.map_err(|omit| omit.reason())?;
        let members = match tmpl {
            Tmpl::Object(members) => members,
            Tmpl::Literal(Value::Object(map)) if map.is_empty() => Vec::new(),
            _ => return Err("its schema is not a JSON object".into()),
        };
        let required = required
            .into_iter()
            .filter(|name| members.iter().any(|m| &m.name == name && m.tmpl.is_some()))
            .collect();
        Ok(BodyPlan {
            members,
            required,
            ignore: std::mem::take(&mut self.ignore),
            note,
        })
    }

    /// Follows references and merges `allOf`. Every reference entered stays on the stack until
    /// the caller truncates it, so that a schema met again below itself is a cycle.
    fn flatten(&mut self, schema: &Schema) -> Result<SchemaObject, Omit> {
        match schema {
            Schema::Ref(name) => {
                if self.stack.contains(name) {
                    return Err(Omit::Cycle(name.clone()));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Omit::TooDeep);
                }
                let schemas = self.schemas;
                let target = schemas
                    .get(name)
                    .ok_or_else(|| Omit::UnknownRef(name.clone()))?;
                self.stack.push(name.clone());
                self.flatten(target)
            }
            Schema::Unresolved { reference, reason } => {
                Err(Omit::Unresolved(reference.clone(), reason.clone()))
            }
            Schema::Any => Ok(SchemaObject::default()),
            Schema::Nothing => Err(Omit::Nothing),
            Schema::Inline(object) => {
                let mut own = (**object).clone();
                let parts = std::mem::take(&mut own.all_of);
                let mut merged = SchemaObject::default();
                for part in &parts {
                    let flat = self.flatten(part)?;
                    merge(&mut merged, flat);
                }
                merge(&mut merged, own);
                Ok(merged)
            }
        }
    }

    /// The template of a flattened schema.
    fn template(&mut self, object: SchemaObject) -> Result<Mapped, Omit> {
        if let Some(value) = &object.const_value {
            return literal(value).map(|t| (t, None)).ok_or(Omit::Null);
        }
        if !object.enum_values.is_empty() {
            return enumeration(&object.enum_values).ok_or(Omit::Null);
        }
        if !object.one_of.is_empty() || !object.any_of.is_empty() {
            return self.alternative(object);
        }
        match kind(&object) {
            Some(JsonType::Object) if object.properties.is_empty() => Ok((
                Tmpl::Literal(json!({})),
                object
                    .open_map
                    .then(|| "a map of arbitrary members: sent empty".to_string()),
            )),
            Some(JsonType::Object) => self.object(&object).map(|t| (t, None)),
            Some(JsonType::Array) => self.array(&object),
            Some(JsonType::String) => Ok(string(&object)),
            Some(JsonType::Integer) => Ok(integer(&object)),
            Some(JsonType::Number) => Ok(number(&object)),
            Some(JsonType::Boolean) => Ok((Tmpl::Gen(Gen::new("bool")), None)),
            Some(JsonType::Null) => Err(Omit::Null),
            None => Ok((
                Tmpl::Gen(Gen::new("string")),
                Some("no type in the spec: a string is sent".into()),
            )),
        }
    }

    /// `oneOf` / `anyOf`: the first alternative that resolves and is not just `null`, merged
    /// with the schema's own keywords; a discriminator member gets the alternative's value.
    fn alternative(&mut self, object: SchemaObject) -> Result<Mapped, Omit> {
        let (keyword, alternatives) = if object.one_of.is_empty() {
            ("anyOf", object.any_of.clone())
        } else {
            ("oneOf", object.one_of.clone())
        };
        let mut base = object;
        base.one_of.clear();
        base.any_of.clear();
        for (index, alternative) in alternatives.iter().enumerate() {
            let mark = self.stack.len();
            let Ok(flat) = self.flatten(alternative) else {
                self.stack.truncate(mark);
                continue;
            };
            if flat.types == [JsonType::Null] || flat.const_value == Some(Value::Null) {
                self.stack.truncate(mark);
                continue;
            }
            let mut merged = SchemaObject::default();
            merge(&mut merged, base.clone());
            merge(&mut merged, flat);
            let tag = base
                .discriminator
                .as_ref()
                .and_then(|d| discriminator_value(d, alternative))
                .map(|(property, value)| {
                    set_const(&mut merged, &property, &value);
                    format!(", {property} = {value:?}")
                })
                .unwrap_or_default();
            let result = self.template(merged);
            self.stack.truncate(mark);
            let name = match alternative {
                Schema::Ref(name) => format!(" ({name})"),
                _ => String::new(),
            };
            let note = format!(
                "{keyword}: alternative {} of {}{name}{tag}",
                index + 1,
                alternatives.len()
            );
            return result.map(|(tmpl, inner)| (tmpl, Some(join(Some(note), inner))));
        }
        Err(Omit::NoAlternative)
    }

    fn object(&mut self, object: &SchemaObject) -> Result<Tmpl, Omit> {
        let mut members = Vec::new();
        for (name, schema) in &object.properties {
            let required = object.required.contains(name);
            members.extend(self.member(name, schema, required));
        }
        Ok(Tmpl::Object(members))
    }

    /// One member of an object: its template, a comment saying why it is left out, or nothing
    /// when it is `readOnly` (then an ignore pattern) or the item id.
    fn member(&mut self, name: &str, schema: &Schema, required: bool) -> Option<Member> {
        if self.at.is_empty() && self.id_member.as_deref() == Some(name) {
            return Some(Member {
                name: name.to_string(),
                tmpl: None,
                note: Some(
                    "left out: it holds the item's id, which the path or the server supplies"
                        .into(),
                ),
            });
        }
        if self.budget == 0 {
            return Some(left_out(name, &Omit::TooLarge, required));
        }
        self.budget -= 1;
        self.at.push(Step::Name(name.to_string()));
        let mark = self.stack.len();
        let member = match self.flatten(schema) {
            _ if name == "gen" => Some(left_out(name, &Omit::GenName, required)),
            Err(omit) => Some(left_out(name, &omit, required)),
            Ok(flat) if flat.read_only => {
                self.ignore_here();
                None
            }
            Ok(flat) => {
                let description = flat.description.as_deref().and_then(short);
                Some(match self.template(flat) {
                    Ok((tmpl, note)) => Member {
                        name: name.to_string(),
                        tmpl: Some(tmpl),
                        note: note.or(description),
                    },
                    Err(omit) => left_out(name, &omit, required),
                })
            }
        };
        self.stack.truncate(mark);
        self.at.pop();
        member
    }

    fn array(&mut self, object: &SchemaObject) -> Result<Mapped, Omit> {
        let min = object.min_items.unwrap_or(0).min(MAX_ARRAY_LEN as u64);
        let Some(items) = &object.items else {
            let generator = array_gen(object, Tmpl::Gen(Gen::new("string")), min);
            return Ok((
                generator,
                Some("items have no schema: strings are sent".into()),
            ));
        };
        self.at.push(Step::Any);
        let mark = self.stack.len();
        let mapped = match self.flatten(items) {
            Ok(flat) if flat.read_only => {
                self.ignore_here();
                Err(Omit::Null)
            }
            Ok(flat) => self.template(flat),
            Err(omit) => Err(omit),
        };
        self.stack.truncate(mark);
        self.at.pop();
        match mapped {
            Ok((tmpl, note)) => Ok((
                array_gen(object, tmpl, min),
                note.map(|n| format!("items: {n}")),
            )),
            Err(omit) if min == 0 => Ok((
                Tmpl::Literal(json!([])),
                Some(format!("always empty; the items are {}", omit.reason())),
            )),
            Err(omit) => Err(omit),
        }
    }

    fn ignore_here(&mut self) {
        if self.at.iter().any(|step| *step == Step::Name("*".into())) {
            return;
        }
        let pointer: String = self
            .at
            .iter()
            .map(|step| match step {
                Step::Name(name) => format!("/{}", name.replace('~', "~0").replace('/', "~1")),
                Step::Any => "/*".to_string(),
            })
            .collect();
        if !self.ignore.contains(&pointer) {
            self.ignore.push(pointer);
        }
    }
}

fn left_out(name: &str, omit: &Omit, required: bool) -> Member {
    let mut note = omit.reason();
    if required {
        note.push_str(" (the spec requires it: add it by hand)");
    }
    Member {
        name: name.to_string(),
        tmpl: None,
        note: Some(note),
    }
}

/// The JSON type a template is made for: the first declared non-null type, else one inferred
/// from the keywords present; `None` when nothing says.
fn kind(object: &SchemaObject) -> Option<JsonType> {
    if let Some(ty) = object.types.iter().find(|t| **t != JsonType::Null) {
        return Some(*ty);
    }
    if !object.types.is_empty() {
        return Some(JsonType::Null);
    }
    if !object.properties.is_empty() || object.open_map || !object.required.is_empty() {
        Some(JsonType::Object)
    } else if object.items.is_some() || object.min_items.is_some() || object.max_items.is_some() {
        Some(JsonType::Array)
    } else if object.format.is_some()
        || object.pattern.is_some()
        || object.min_length.is_some()
        || object.max_length.is_some()
    {
        Some(JsonType::String)
    } else if object.minimum.is_some()
        || object.maximum.is_some()
        || object.exclusive_minimum.is_some()
        || object.exclusive_maximum.is_some()
    {
        Some(JsonType::Number)
    } else {
        None
    }
}

/// The discriminator member and the value that selects `alternative`: the `mapping` key
/// pointing to it, else (for a reference) the schema's name, as OpenAPI defines.
fn discriminator_value(
    discriminator: &Discriminator,
    alternative: &Schema,
) -> Option<(String, String)> {
    let Schema::Ref(name) = alternative else {
        return None;
    };
    let value = discriminator
        .mapping
        .iter()
        .find(|(_, target)| target == name)
        .map_or_else(|| name.clone(), |(key, _)| key.clone());
    Some((discriminator.property.clone(), value))
}

/// Makes a member a constant (adding it when absent).
fn set_const(object: &mut SchemaObject, property: &str, value: &str) {
    let schema = Schema::Inline(Box::new(SchemaObject {
        const_value: Some(Value::from(value)),
        ..SchemaObject::default()
    }));
    match object
        .properties
        .iter_mut()
        .find(|(name, _)| name == property)
    {
        Some(entry) => entry.1 = schema,
        None => object.properties.push((property.to_string(), schema)),
    }
}

fn join(first: Option<String>, second: Option<String>) -> String {
    match (first, second) {
        (Some(a), Some(b)) => format!("{a}; {b}"),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => String::new(),
    }
}

/// The first line of a description, shortened for a comment.
fn short(description: &str) -> Option<String> {
    let line = description.lines().map(str::trim).find(|l| !l.is_empty())?;
    if line.chars().count() <= NOTE_LEN {
        return Some(line.to_string());
    }
    let cut: String = line.chars().take(NOTE_LEN - 1).collect();
    Some(format!("{}…", cut.trim_end()))
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
