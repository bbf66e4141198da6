//! Schemas → body templates. `$ref`s are followed into `components.schemas`, `allOf` parts are
//! merged, `oneOf` / `anyOf` are narrowed to their first usable alternative, and each keyword
//! becomes the generator parameter that expresses it (see `docs/openapi.md`). `readOnly`
//! members are left out of the body and collected as ignore patterns. Recursion stops at a
//! schema that contains itself, or [`MAX_DEPTH`] references deep: the member is left out with a
//! comment saying why.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::body::{Gen, Member, Param, Tmpl, has_null, literal};
use super::formats;
use super::model::{Discriminator, JsonType, Schema, SchemaObject, component_name};
use crate::scenario::template::{MAX_ARRAY_LEN, MAX_STRING_LEN};

/// Nested references followed along one branch before the importer gives up on it.
pub const MAX_DEPTH: usize = 16;
/// Spread of array lengths the importer writes at most (`max_len - min_len`).
const ARRAY_SPREAD: u64 = 4;
/// Spread of numbers when the spec gives only an upper bound below zero.
const NUMBER_SPREAD: i64 = 1000;
/// Longest description copied into a comment.
const NOTE_LEN: usize = 72;

/// The body template of a request schema, and what the importer learned on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodyPlan {
    /// The root object's members.
    pub members: Vec<Member>,
    /// Top-level members the schema requires that are in the template.
    pub required: Vec<String>,
    /// Ignore patterns of `readOnly` members, in the order they were met.
    pub ignore: Vec<String>,
    /// A note about the root (e.g. which `oneOf` alternative was used).
    pub note: Option<String>,
}

/// Why a schema gave no template.
#[derive(Debug, Clone, PartialEq)]
enum Omit {
    Cycle(String),
    TooDeep,
    OtherRef(String),
    UnknownRef(String),
    Null,
    Nothing,
    NoAlternative,
    GenName,
}

impl Omit {
    fn reason(&self) -> String {
        match self {
            Omit::Cycle(name) => format!("left out: `{name}` contains itself (a recursive schema)"),
            Omit::TooDeep => format!("left out: nested more than {MAX_DEPTH} references deep"),
            Omit::OtherRef(reference) => {
                format!(
                    "left out: `$ref: {reference}` is not a local `#/components/schemas/` reference"
                )
            }
            Omit::UnknownRef(name) => format!("left out: no schema `{name}` in components.schemas"),
            Omit::Null => "left out: it can only be null, and TOML has no null".into(),
            Omit::Nothing => "left out: its schema is `false` (no value is valid)".into(),
            Omit::NoAlternative => "left out: no usable oneOf/anyOf alternative".into(),
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

/// A template and the comment that goes with it.
type Mapped = (Tmpl, Option<String>);

/// Maps schemas of one document.
#[derive(Debug)]
pub struct Mapper<'a> {
    schemas: &'a BTreeMap<String, Schema>,
    /// Names of the referenced schemas being expanded, outermost first.
    stack: Vec<String>,
    /// Where the mapper is in the body.
    at: Vec<Step>,
    ignore: Vec<String>,
    /// The top-level member that holds the item id: left out of bodies, never ignored.
    id_member: Option<String>,
}

impl<'a> Mapper<'a> {
    pub fn new(schemas: &'a BTreeMap<String, Schema>) -> Mapper<'a> {
        Mapper {
            schemas,
            stack: Vec::new(),
            at: Vec::new(),
            ignore: Vec::new(),
            id_member: None,
        }
    }

    /// The schema with references followed and `allOf` merged (members stay unresolved), or
    /// `None` when it cannot be resolved.
    pub fn inspect(&mut self, schema: &Schema) -> Option<SchemaObject> {
        self.stack.clear();
        let flat = self.flatten(schema).ok();
        self.stack.clear();
        flat
    }

    /// The top-level members of an object schema, resolved, in order.
    pub fn members(&mut self, schema: &Schema) -> Vec<(String, SchemaObject)> {
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
    pub fn body(&mut self, schema: &Schema, id_member: Option<&str>) -> Result<BodyPlan, String> {
        self.stack.clear();
        self.at.clear();
        self.ignore.clear();
        self.id_member = id_member.map(str::to_string);
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
            Schema::OtherRef(reference) => Err(Omit::OtherRef(reference.clone())),
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
            return enumeration(&object.enum_values);
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

fn enumeration(values: &[Value]) -> Result<Mapped, Omit> {
    let usable: Vec<Value> = values.iter().filter(|v| !has_null(v)).cloned().collect();
    match usable.as_slice() {
        [] => Err(Omit::Null),
        [only] => Ok((
            Tmpl::Literal(only.clone()),
            Some("the only value its enum allows".into()),
        )),
        _ => Ok((
            Tmpl::Gen(Gen::new("one_of").with("values", Param::Values(usable))),
            None,
        )),
    }
}

fn string(object: &SchemaObject) -> Mapped {
    let format = object.format.as_deref().unwrap_or("");
    if format == "uuid" {
        return (Tmpl::Gen(Gen::new("uuid")), None);
    }
    if let Some(samples) = formats::samples(format) {
        let values = samples.iter().map(|s| Value::from(*s)).collect();
        return (
            Tmpl::Gen(Gen::new("one_of").with("values", Param::Values(values))),
            Some(format!("format `{format}`: fixed valid values")),
        );
    }
    if let Some(chars) = object.pattern.as_deref().and_then(pattern_charset) {
        return (
            Tmpl::Gen(lengths(Gen::new("string"), object).with("chars", Param::Text(chars.into()))),
            None,
        );
    }
    if let Some(pattern) = &object.pattern {
        let examples: Vec<Value> = object
            .examples
            .iter()
            .chain(&object.default)
            .filter(|v| v.is_string())
            .cloned()
            .collect();
        if !examples.is_empty() {
            return (
                Tmpl::Gen(Gen::new("one_of").with("values", Param::Values(examples))),
                Some(format!("pattern `{pattern}`: the spec's examples")),
            );
        }
        let generator =
            lengths(Gen::new("string"), object).with("chars", Param::Text("alnum".into()));
        return (
            Tmpl::Gen(generator),
            Some(format!(
                "pattern `{pattern}` is not generated: adjust if the server enforces it"
            )),
        );
    }
    let mut generator = lengths(Gen::new("string"), object);
    if format == "password" {
        generator = generator.with("chars", Param::Text("alnum".into()));
    }
    (Tmpl::Gen(generator), None)
}

/// The generator charset that produces exactly the strings a simple pattern accepts:
/// `^[A-Za-z0-9]+$` (the three ranges in any order, `+` or `*`) is `alnum`.
fn pattern_charset(pattern: &str) -> Option<&'static str> {
    let class = pattern
        .strip_prefix("^[")?
        .strip_suffix("]+$")
        .or_else(|| pattern.strip_prefix("^[")?.strip_suffix("]*$"))?;
    let mut ranges: Vec<&str> = (0..class.len())
        .step_by(3)
        .filter_map(|i| class.get(i..i + 3))
        .collect();
    ranges.sort_unstable();
    (class.len() == 9 && ranges == ["0-9", "A-Z", "a-z"]).then_some("alnum")
}

/// `min_len` / `max_len` from `minLength` / `maxLength`, within what the generator allows.
fn lengths(mut generator: Gen, object: &SchemaObject) -> Gen {
    let cap = MAX_STRING_LEN as u64;
    let min = object.min_length.map(|n| n.min(cap));
    let max = object.max_length.map(|n| n.min(cap).max(min.unwrap_or(0)));
    if let Some(min) = min {
        generator = generator.with("min_len", Param::Int(as_i64(min)));
    }
    if let Some(max) = max {
        generator = generator.with("max_len", Param::Int(as_i64(max)));
    }
    generator
}

fn integer(object: &SchemaObject) -> Mapped {
    let low = object
        .minimum
        .map(f64::ceil)
        .or(object.exclusive_minimum.map(|m| m.floor() + 1.0))
        .map(|v| v as i64);
    let high = object
        .maximum
        .map(f64::floor)
        .or(object.exclusive_maximum.map(|m| m.ceil() - 1.0))
        .map(|v| v as i64);
    let (min, max) = match (low, high) {
        (Some(low), Some(high)) => (Some(low), Some(high.max(low))),
        (None, Some(high)) if high < 0 => (Some(high.saturating_sub(NUMBER_SPREAD)), Some(high)),
        other => other,
    };
    let mut generator = Gen::new("int");
    if let Some(min) = min {
        generator = generator.with("min", Param::Int(min));
    }
    if let Some(max) = max {
        generator = generator.with("max", Param::Int(max));
    }
    let note = object
        .multiple_of
        .filter(|m| *m != 1.0)
        .map(|m| format!("multipleOf {m} is not enforced"));
    (Tmpl::Gen(generator), note)
}

fn number(object: &SchemaObject) -> Mapped {
    let decimals = object.multiple_of.and_then(decimal_places);
    let step = decimals.map_or(0.001, |d| 10f64.powi(-(d as i32)));
    let low = object
        .minimum
        .or(object.exclusive_minimum.map(|m| m + step));
    let high = object
        .maximum
        .or(object.exclusive_maximum.map(|m| m - step));
    let (min, max) = match (low, high) {
        (Some(low), Some(high)) => (Some(low), Some(high.max(low))),
        (None, Some(high)) if high < 0.0 => (Some(high - NUMBER_SPREAD as f64), Some(high)),
        other => other,
    };
    let mut generator = Gen::new("float");
    if let Some(min) = min {
        generator = generator.with("min", Param::Float(min));
    }
    if let Some(max) = max {
        generator = generator.with("max", Param::Float(max));
    }
    if let Some(decimals) = decimals {
        generator = generator.with("decimals", Param::Int(i64::from(decimals)));
    }
    let note = match (object.multiple_of, decimals) {
        (Some(m), None) => Some(format!("multipleOf {m} is not enforced")),
        _ => None,
    };
    (Tmpl::Gen(generator), note)
}

/// `k` when `multiple_of` is `10^-k` (0.01 → 2, 1 → 0), up to 15 places.
fn decimal_places(multiple_of: f64) -> Option<u32> {
    (0..=15u32).find(|k| {
        let scaled = multiple_of * 10f64.powi(*k as i32);
        (scaled - 1.0).abs() < 1e-9
    })
}

fn array_gen(object: &SchemaObject, items: Tmpl, min: u64) -> Tmpl {
    let mut max = object
        .max_items
        .map_or(min + ARRAY_SPREAD, |m| m.min(min + ARRAY_SPREAD))
        .max(min)
        .min(MAX_ARRAY_LEN as u64);
    let repeats_values = matches!(&items, Tmpl::Literal(_))
        || matches!(&items, Tmpl::Gen(g) if g.name == "one_of" || g.name == "bool");
    if object.unique_items && repeats_values && min <= 1 {
        max = max.min(1);
    }
    let mut generator = Gen::new("array").with("items", Param::Items(Box::new(items)));
    if min > 0 {
        generator = generator.with("min_len", Param::Int(as_i64(min)));
    }
    if max != min + ARRAY_SPREAD {
        generator = generator.with("max_len", Param::Int(as_i64(max)));
    }
    Tmpl::Gen(generator)
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
        .find(|(_, target)| component_name(target).as_deref() == Some(name) || target == name)
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

/// Merges an `allOf` part into the schema built so far: members and `required` are united,
/// bounds take the tighter value, other keywords the first one given.
fn merge(into: &mut SchemaObject, part: SchemaObject) {
    if into.types.is_empty() {
        into.types = part.types;
    }
    if into.enum_values.is_empty() {
        into.enum_values = part.enum_values;
    }
    if into.one_of.is_empty() {
        into.one_of = part.one_of;
    }
    if into.any_of.is_empty() {
        into.any_of = part.any_of;
    }
    first(&mut into.format, part.format);
    first(&mut into.const_value, part.const_value);
    first(&mut into.multiple_of, part.multiple_of);
    first(&mut into.pattern, part.pattern);
    first(&mut into.items, part.items);
    first(&mut into.discriminator, part.discriminator);
    first(&mut into.default, part.default);
    first(&mut into.description, part.description);
    tighter(&mut into.minimum, part.minimum, f64::max);
    tighter(
        &mut into.exclusive_minimum,
        part.exclusive_minimum,
        f64::max,
    );
    tighter(&mut into.maximum, part.maximum, f64::min);
    tighter(
        &mut into.exclusive_maximum,
        part.exclusive_maximum,
        f64::min,
    );
    tighter(&mut into.min_length, part.min_length, u64::max);
    tighter(&mut into.max_length, part.max_length, u64::min);
    tighter(&mut into.min_items, part.min_items, u64::max);
    tighter(&mut into.max_items, part.max_items, u64::min);
    into.unique_items |= part.unique_items;
    into.open_map |= part.open_map;
    into.read_only |= part.read_only;
    into.write_only |= part.write_only;
    into.examples.extend(part.examples);
    for name in part.required {
        if !into.required.contains(&name) {
            into.required.push(name);
        }
    }
    for (name, schema) in part.properties {
        match into.properties.iter_mut().find(|(n, _)| *n == name) {
            // Both parts constrain the member: keep both, as an allOf of its own.
            Some(entry) => {
                entry.1 = Schema::Inline(Box::new(SchemaObject {
                    all_of: vec![entry.1.clone(), schema],
                    ..SchemaObject::default()
                }));
            }
            None => into.properties.push((name, schema)),
        }
    }
}

fn first<T>(into: &mut Option<T>, other: Option<T>) {
    if into.is_none() {
        *into = other;
    }
}

fn tighter<T: Copy>(into: &mut Option<T>, other: Option<T>, pick: fn(T, T) -> T) {
    *into = match (*into, other) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    };
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

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
