//! Body templates: literal JSON with generator tables at any depth.
//!
//! In a template, a TOML table with a `gen` key is a generator, any other table is a JSON object
//! whose members are templates, an array is a fixed-length JSON array whose elements are
//! templates, and every other value is a literal. Deserialization is written by hand so that a
//! mistake inside a generator is reported at the offending key, value or table: the TOML
//! deserializer attaches the span of whatever was being deserialized to the error.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::Error as _};
use serde_json::Value;

use crate::scenario::convert::{json_float, json_type_name, toml_to_json};

/// Longest string a `string` generator may produce.
pub(crate) const MAX_STRING_LEN: usize = 10_000;
/// Longest array an `array` generator may produce.
pub(crate) const MAX_ARRAY_LEN: usize = 1_000;
/// Longest body a `bytes` generator may produce.
pub(crate) const MAX_BYTES_LEN: usize = 1024 * 1024;
/// Default spread between `min_len` and `max_len` of bytes.
const BYTES_LEN_SPREAD: usize = 255;
/// Default spread between `min_len` and `max_len` of a string.
const STRING_LEN_SPREAD: usize = 15;
/// Default spread between `min_len` and `max_len` of an array.
const ARRAY_LEN_SPREAD: usize = 4;
/// Default spread between `min` and `max` of numbers.
const NUMBER_SPREAD: i64 = 1000;
/// The key toml uses to hand a datetime to a visitor as a one-entry map.
const TOML_DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A body template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateNode {
    /// A fixed JSON value.
    Literal(Value),
    /// A JSON object whose members are templates.
    Object(BTreeMap<String, TemplateNode>),
    /// A fixed-length JSON array whose elements are templates (at least one is not a literal;
    /// an array of literals is a [`TemplateNode::Literal`]).
    Array(Vec<TemplateNode>),
    /// A generator table.
    Generator(Generator),
}

impl TemplateNode {
    /// True when the template produces a JSON object.
    pub(crate) fn is_object(&self) -> bool {
        matches!(
            self,
            TemplateNode::Object(_) | TemplateNode::Literal(Value::Object(_))
        )
    }

    /// The names of the root object's members (empty when the root is not an object).
    pub fn top_level_members(&self) -> Vec<&str> {
        match self {
            TemplateNode::Object(members) => members.keys().map(String::as_str).collect(),
            TemplateNode::Literal(Value::Object(map)) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The fixed value when the template is a literal.
    pub(crate) fn as_literal(&self) -> Option<&Value> {
        match self {
            TemplateNode::Literal(value) => Some(value),
            _ => None,
        }
    }
}

/// A generator: `{ gen = "NAME", ... }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Generator {
    /// `{ gen = "string", min_len = 1, max_len = 16, chars = "text" }`.
    String {
        min_len: usize,
        max_len: usize,
        chars: Charset,
    },
    /// `{ gen = "int", min = 0, max = 1000 }`, bounds inclusive.
    Int { min: i64, max: i64 },
    /// `{ gen = "float", min = 0.0, max = 1000.0, decimals = 2 }`, bounds inclusive.
    Float {
        min: f64,
        max: f64,
        /// Round to this many decimal places (no rounding when absent).
        decimals: Option<u32>,
    },
    /// `{ gen = "bool" }`.
    Bool,
    /// `{ gen = "one_of", values = [...] }`: one of the literal values.
    OneOf(Vec<Value>),
    /// `{ gen = "array", items = <template>, min_len = 0, max_len = 4 }`.
    Array {
        items: Box<TemplateNode>,
        min_len: usize,
        max_len: usize,
    },
    /// `{ gen = "const", value = <any TOML> }`: the value, taken literally.
    Const(Value),
    /// `{ gen = "uuid" }`: a random (version 4) UUID string.
    Uuid,
    /// `{ gen = "bytes", min_len = 1, max_len = 256 }`: random bytes, as a string whose every
    /// character (U+0000 to U+00FF) stands for one byte — the body of a `bytes` representation.
    Bytes { min_len: usize, max_len: usize },
    /// The run marker followed by what `rest` draws. Never read from a scenario file: the
    /// runner puts it in place of one string generator (see [`crate::session::marker`]).
    Marked {
        marker: String,
        rest: Box<Generator>,
    },
}

/// The characters a `string` generator draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// ASCII letters, digits and space (the default).
    Text,
    /// ASCII letters and digits.
    Alnum,
    /// Printable ASCII, `' '` to `'~'`.
    Ascii,
    /// Printable characters from several scripts (Latin, Greek, Cyrillic, CJK, emoji).
    Unicode,
}

impl Charset {
    fn parse(name: &str) -> Option<Charset> {
        Some(match name {
            "text" => Charset::Text,
            "alnum" => Charset::Alnum,
            "ascii" => Charset::Ascii,
            "unicode" => Charset::Unicode,
            _ => return None,
        })
    }
}

/// The generator names, as written after `gen =`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GenKind {
    String,
    Int,
    Float,
    Bool,
    OneOf,
    Array,
    Const,
    Uuid,
    Bytes,
}

const GEN_NAMES: [&str; 9] = [
    "string", "int", "float", "bool", "one_of", "array", "const", "uuid", "bytes",
];

impl GenKind {
    fn parse(name: &str) -> Option<GenKind> {
        Some(match name {
            "string" => GenKind::String,
            "int" => GenKind::Int,
            "float" => GenKind::Float,
            "bool" => GenKind::Bool,
            "one_of" => GenKind::OneOf,
            "array" => GenKind::Array,
            "const" => GenKind::Const,
            "uuid" => GenKind::Uuid,
            "bytes" => GenKind::Bytes,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            GenKind::String => "string",
            GenKind::Int => "int",
            GenKind::Float => "float",
            GenKind::Bool => "bool",
            GenKind::OneOf => "one_of",
            GenKind::Array => "array",
            GenKind::Const => "const",
            GenKind::Uuid => "uuid",
            GenKind::Bytes => "bytes",
        }
    }

    /// The keys this generator accepts besides `gen`.
    fn keys(self) -> &'static [&'static str] {
        match self {
            GenKind::String => &["min_len", "max_len", "chars"],
            GenKind::Bytes => &["min_len", "max_len"],
            GenKind::Int => &["min", "max"],
            GenKind::Float => &["min", "max", "decimals"],
            GenKind::Bool | GenKind::Uuid => &[],
            GenKind::OneOf => &["values"],
            GenKind::Array => &["items", "min_len", "max_len"],
            GenKind::Const => &["value"],
        }
    }

    /// What a parameter of this generator must be, `None` for an unknown key.
    fn param_type(self, key: &str) -> Option<ParamType> {
        if !self.keys().contains(&key) {
            return None;
        }
        Some(match (self, key) {
            (_, "min_len" | "max_len") => ParamType::Len,
            (GenKind::Int, _) => ParamType::Int,
            (_, "decimals") => ParamType::Decimals,
            (GenKind::Float, _) => ParamType::Float,
            (_, "chars") => ParamType::Charset,
            (_, "values") => ParamType::Literals,
            (_, "items") => ParamType::Template,
            _ => ParamType::Literal,
        })
    }

    fn unknown_key(self, key: &str) -> String {
        let keys = self.keys();
        if keys.is_empty() {
            return format!(
                "unknown key `{key}` for generator `{}`, which takes no parameters",
                self.name()
            );
        }
        format!(
            "unknown key `{key}` for generator `{}`, expected {}",
            self.name(),
            one_of_list(keys)
        )
    }
}

/// "one of `a`, `b`" or "`a`".
pub(crate) fn one_of_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [only] => only.clone(),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// What a generator parameter must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamType {
    Len,
    Int,
    Float,
    Decimals,
    Charset,
    Literals,
    Literal,
    Template,
}

/// A generator parameter after its type was checked.
#[derive(Debug, Clone)]
enum Param {
    Len(usize),
    Int(i64),
    Float(f64),
    Decimals(u32),
    Charset(Charset),
    Literals(Vec<Value>),
    Literal(Value),
    Template(TemplateNode),
}

/// A table member read before the table was known to be a generator or an object.
#[derive(Debug, Clone)]
enum Entry {
    /// Read as a template (right for object members and for `items`).
    Node(TemplateNode),
    /// Read as raw TOML: `value` and `values`, which a generator takes literally.
    Raw(toml::Value),
    /// A generator parameter whose type was checked where it was read.
    Param(Param),
}

impl<'de> Deserialize<'de> for TemplateNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = TemplateNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a body template: a value, a table, or a generator table with `gen`")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<TemplateNode, E> {
        Ok(TemplateNode::Literal(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TemplateNode, E> {
        Ok(TemplateNode::Literal(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TemplateNode, E> {
        Ok(TemplateNode::Literal(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TemplateNode, E> {
        json_float(v)
            .map(|n| TemplateNode::Literal(Value::Number(n)))
            .map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TemplateNode, E> {
        Ok(TemplateNode::Literal(Value::String(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<TemplateNode, E> {
        Ok(TemplateNode::Literal(Value::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TemplateNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<TemplateNode>()? {
            items.push(item);
        }
        Ok(array_node(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TemplateNode, A::Error> {
        let mut table = TableReader::default();
        while let Some(key) = map.next_key_seed(KeySeed(table.kind))? {
            if key == TOML_DATETIME_FIELD {
                return Ok(TemplateNode::Literal(Value::String(map.next_value()?)));
            }
            table.read_member(key, &mut map)?;
        }
        table.finish().map_err(A::Error::custom)
    }
}

/// An array of templates, collapsed to a literal when every element is one.
fn array_node(items: Vec<TemplateNode>) -> TemplateNode {
    if items.iter().all(|item| item.as_literal().is_some()) {
        let values = items
            .into_iter()
            .filter_map(|item| match item {
                TemplateNode::Literal(value) => Some(value),
                _ => None,
            })
            .collect();
        return TemplateNode::Literal(Value::Array(values));
    }
    TemplateNode::Array(items)
}

/// Reads a table's members, deciding between generator and object as soon as `gen` is seen.
#[derive(Default)]
struct TableReader {
    kind: Option<GenKind>,
    entries: Vec<(String, Entry)>,
}

impl TableReader {
    fn read_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: String,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key == "gen" {
            self.kind = Some(map.next_value::<GenName>()?.0);
            return Ok(());
        }
        let entry = match self.kind.and_then(|kind| kind.param_type(&key)) {
            Some(ParamType::Template) => Entry::Node(map.next_value()?),
            Some(ty) => Entry::Param(map.next_value_seed(ParamSeed(ty, &key))?),
            None if key == "value" || key == "values" => Entry::Raw(map.next_value()?),
            None => Entry::Node(map.next_value()?),
        };
        self.entries.push((key, entry));
        Ok(())
    }

    fn finish(self) -> Result<TemplateNode, String> {
        match self.kind {
            Some(kind) => build_generator(kind, self.entries).map(TemplateNode::Generator),
            None => build_object(self.entries).map(TemplateNode::Object),
        }
    }
}

fn build_object(entries: Vec<(String, Entry)>) -> Result<BTreeMap<String, TemplateNode>, String> {
    entries
        .into_iter()
        .map(|(key, entry)| {
            let node = match entry {
                Entry::Node(node) => node,
                Entry::Raw(raw) => TemplateNode::deserialize(raw)
                    .map_err(|e| format!("in member `{key}`: {}", e.message()))?,
                Entry::Param(_) => return Err(format!("`{key}` is not a template")),
            };
            Ok((key, node))
        })
        .collect()
}

/// The checked parameters of one generator table.
struct Params(BTreeMap<String, Param>);

fn build_generator(kind: GenKind, entries: Vec<(String, Entry)>) -> Result<Generator, String> {
    let mut params = BTreeMap::new();
    for (key, entry) in entries {
        let ty = kind
            .param_type(&key)
            .ok_or_else(|| kind.unknown_key(&key))?;
        params.insert(key.clone(), convert_entry(ty, &key, entry)?);
    }
    Params(params).generator(kind)
}

fn convert_entry(ty: ParamType, key: &str, entry: Entry) -> Result<Param, String> {
    match entry {
        Entry::Param(param) => Ok(param),
        Entry::Node(node) if ty == ParamType::Template => Ok(Param::Template(node)),
        Entry::Raw(raw) if ty == ParamType::Template => TemplateNode::deserialize(raw)
            .map(Param::Template)
            .map_err(|e| e.message().to_owned()),
        Entry::Raw(raw) => check_param(ty, key, toml_to_json(raw)?),
        Entry::Node(TemplateNode::Literal(value)) => check_param(ty, key, value),
        Entry::Node(_) => Err(format!("`{key}` must be {}", expected(ty))),
    }
}

/// What a parameter type expects, for messages.
fn expected(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Len => "a non-negative integer",
        ParamType::Int => "an integer",
        ParamType::Float => "a number",
        ParamType::Decimals => "an integer from 0 to 15",
        ParamType::Charset => "one of `text`, `alnum`, `ascii`, `unicode`",
        ParamType::Literals => "a non-empty array of values",
        ParamType::Literal => "a value",
        ParamType::Template => "a template",
    }
}

fn check_param(ty: ParamType, key: &str, value: Value) -> Result<Param, String> {
    let wrong = || {
        format!(
            "`{key}` must be {}, found {}",
            expected(ty),
            json_type_name(&value)
        )
    };
    let param = match ty {
        ParamType::Len => value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Param::Len),
        ParamType::Int => value.as_i64().map(Param::Int),
        ParamType::Float => value.as_f64().map(Param::Float),
        ParamType::Decimals => value
            .as_u64()
            .filter(|d| *d <= 15)
            .and_then(|d| u32::try_from(d).ok())
            .map(Param::Decimals),
        ParamType::Charset => value.as_str().and_then(Charset::parse).map(Param::Charset),
        ParamType::Literals => match &value {
            Value::Array(items) if !items.is_empty() => Some(Param::Literals(items.clone())),
            _ => None,
        },
        ParamType::Literal => Some(Param::Literal(value.clone())),
        ParamType::Template => None,
    };
    param.ok_or_else(wrong)
}

impl Params {
    fn generator(mut self, kind: GenKind) -> Result<Generator, String> {
        Ok(match kind {
            GenKind::String => self.string()?,
            GenKind::Int => self.int()?,
            GenKind::Float => self.float()?,
            GenKind::Bool => Generator::Bool,
            GenKind::Uuid => Generator::Uuid,
            GenKind::Bytes => {
                let (min_len, max_len) = self.lengths(1, BYTES_LEN_SPREAD, MAX_BYTES_LEN)?;
                Generator::Bytes { min_len, max_len }
            }
            GenKind::OneOf => match self.0.remove("values") {
                Some(Param::Literals(values)) => Generator::OneOf(values),
                _ => return Err(missing(kind, "values")),
            },
            GenKind::Array => self.array()?,
            GenKind::Const => match self.0.remove("value") {
                Some(Param::Literal(value)) => Generator::Const(value),
                _ => return Err(missing(kind, "value")),
            },
        })
    }

    fn len(&self, key: &str) -> Option<usize> {
        match self.0.get(key) {
            Some(Param::Len(n)) => Some(*n),
            _ => None,
        }
    }

    /// `min_len` and `max_len`: a missing `min_len` is `default_min` (never above `max_len`),
    /// a missing `max_len` is `min_len + spread`.
    fn lengths(
        &self,
        default_min: usize,
        spread: usize,
        cap: usize,
    ) -> Result<(usize, usize), String> {
        let given_max = self.len("max_len");
        let min = self
            .len("min_len")
            .unwrap_or_else(|| default_min.min(given_max.unwrap_or(usize::MAX)));
        let max = given_max.unwrap_or(min.saturating_add(spread));
        if min > max {
            return Err(format!(
                "`min_len` ({min}) is greater than `max_len` ({max})"
            ));
        }
        if max > cap {
            return Err(format!("`max_len` ({max}) is larger than the limit {cap}"));
        }
        Ok((min, max))
    }

    fn string(&self) -> Result<Generator, String> {
        // Default 1..=16: an empty string is valid but rarely what a body field wants.
        let (min_len, max_len) = self.lengths(1, STRING_LEN_SPREAD, MAX_STRING_LEN)?;
        let chars = match self.0.get("chars") {
            Some(Param::Charset(c)) => *c,
            _ => Charset::Text,
        };
        Ok(Generator::String {
            min_len,
            max_len,
            chars,
        })
    }

    fn array(&mut self) -> Result<Generator, String> {
        let (min_len, max_len) = self.lengths(0, ARRAY_LEN_SPREAD, MAX_ARRAY_LEN)?;
        let Some(Param::Template(items)) = self.0.remove("items") else {
            return Err(missing(GenKind::Array, "items"));
        };
        Ok(Generator::Array {
            items: Box::new(items),
            min_len,
            max_len,
        })
    }

    fn int(&self) -> Result<Generator, String> {
        let get = |key: &str| match self.0.get(key) {
            Some(Param::Int(n)) => Some(*n),
            _ => None,
        };
        let min = get("min").unwrap_or(0);
        let max = get("max").unwrap_or(min.saturating_add(NUMBER_SPREAD));
        if min > max {
            return Err(format!("`min` ({min}) is greater than `max` ({max})"));
        }
        Ok(Generator::Int { min, max })
    }

    fn float(&self) -> Result<Generator, String> {
        let get = |key: &str| match self.0.get(key) {
            Some(Param::Float(n)) => Some(*n),
            _ => None,
        };
        let min = get("min").unwrap_or(0.0);
        let max = get("max").unwrap_or(min + NUMBER_SPREAD as f64);
        if !min.is_finite() || !max.is_finite() {
            return Err("`min` and `max` must be finite numbers".into());
        }
        if min > max {
            return Err(format!("`min` ({min}) is greater than `max` ({max})"));
        }
        let decimals = match self.0.get("decimals") {
            Some(Param::Decimals(d)) => Some(*d),
            _ => None,
        };
        Ok(Generator::Float { min, max, decimals })
    }
}

fn missing(kind: GenKind, key: &str) -> String {
    format!("generator `{}` needs `{key}`", kind.name())
}

/// Reads a key, rejecting keys the already-known generator does not take (located at the key).
struct KeySeed(Option<GenKind>);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        let key = String::deserialize(deserializer)?;
        match self.0 {
            Some(kind) if key != "gen" && kind.param_type(&key).is_none() => {
                Err(D::Error::custom(kind.unknown_key(&key)))
            }
            _ => Ok(key),
        }
    }
}

/// Reads a generator parameter and checks its type (located at the value).
struct ParamSeed<'k>(ParamType, &'k str);

impl<'de> DeserializeSeed<'de> for ParamSeed<'_> {
    type Value = Param;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Param, D::Error> {
        let raw = toml::Value::deserialize(deserializer)?;
        let json = toml_to_json(raw).map_err(D::Error::custom)?;
        check_param(self.0, self.1, json).map_err(D::Error::custom)
    }
}

/// The value of `gen`, checked against the known generator names (located at the value).
struct GenName(GenKind);

impl<'de> Deserialize<'de> for GenName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        GenKind::parse(&name).map(GenName).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown generator `{name}`, expected {}",
                one_of_list(&GEN_NAMES)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        body: TemplateNode,
    }

    fn parse(text: &str) -> Result<TemplateNode, toml::de::Error> {
        toml::from_str::<Doc>(text).map(|doc| doc.body)
    }

    fn node(text: &str) -> TemplateNode {
        parse(text).expect("valid template")
    }

    /// The 1-based line and column where the error's span starts.
    fn error_at(text: &str) -> (usize, usize, String) {
        let err = parse(text).expect_err("invalid template");
        let start = err.span().expect("located").start;
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, col, err.message().to_owned())
    }

    #[test]
    fn literals_objects_and_arrays() {
        let t = node("[body]\nname = 'x'\nn = 1\nxs = [1, 2]\nnested = { a = true }");
        assert!(t.is_object());
        assert_eq!(t.top_level_members(), ["n", "name", "nested", "xs"]);
        let TemplateNode::Object(members) = &t else {
            panic!("object expected")
        };
        assert_eq!(members["xs"], TemplateNode::Literal(json!([1, 2])));
        assert!(matches!(members["nested"], TemplateNode::Object(_)));
    }

    #[test]
    fn every_generator_parses() {
        let t = node(
            r#"[body]
s = { gen = "string", min_len = 2, max_len = 5, chars = "alnum" }
i = { gen = "int", min = -3, max = 3 }
f = { gen = "float", min = 1, max = 2.5, decimals = 2 }
b = { gen = "bool" }
o = { gen = "one_of", values = ["a", 1, { gen = "x" }] }
a = { gen = "array", items = { gen = "uuid" }, max_len = 2 }
c = { gen = "const", value = { gen = "not a generator" } }
u = { gen = "uuid" }
"#,
        );
        let TemplateNode::Object(m) = t else {
            panic!("object expected")
        };
        let gen_of = |k: &str| match &m[k] {
            TemplateNode::Generator(g) => g.clone(),
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(
            gen_of("s"),
            Generator::String {
                min_len: 2,
                max_len: 5,
                chars: Charset::Alnum
            }
        );
        assert_eq!(gen_of("i"), Generator::Int { min: -3, max: 3 });
        assert_eq!(
            gen_of("f"),
            Generator::Float {
                min: 1.0,
                max: 2.5,
                decimals: Some(2)
            }
        );
        assert_eq!(gen_of("b"), Generator::Bool);
        assert_eq!(
            gen_of("o"),
            Generator::OneOf(vec![json!("a"), json!(1), json!({"gen": "x"})])
        );
        assert_eq!(
            gen_of("a"),
            Generator::Array {
                items: Box::new(TemplateNode::Generator(Generator::Uuid)),
                min_len: 0,
                max_len: 2
            }
        );
        assert_eq!(
            gen_of("c"),
            Generator::Const(json!({"gen": "not a generator"}))
        );
        assert_eq!(gen_of("u"), Generator::Uuid);
    }

    #[test]
    fn defaults() {
        let t = node("body = { gen = 'string' }");
        assert_eq!(
            t,
            TemplateNode::Generator(Generator::String {
                min_len: 1,
                max_len: 16,
                chars: Charset::Text
            })
        );
        let t = node("body = { gen = 'int', min = 10 }");
        assert_eq!(
            t,
            TemplateNode::Generator(Generator::Int { min: 10, max: 1010 })
        );
        let t = node("body = { gen = 'array', items = 1 }");
        assert!(matches!(
            t,
            TemplateNode::Generator(Generator::Array {
                min_len: 0,
                max_len: 4,
                ..
            })
        ));
    }

    #[test]
    fn arrays_of_generators_are_templates() {
        let t = node("body = [1, { gen = 'bool' }]");
        assert!(matches!(t, TemplateNode::Array(ref xs) if xs.len() == 2));
        assert!(!t.is_object());
        assert!(t.top_level_members().is_empty());
    }

    #[test]
    fn datetimes_are_string_literals() {
        let t = node("body = { at = 1979-05-27T07:32:00Z }");
        assert_eq!(
            t,
            TemplateNode::Object(BTreeMap::from([(
                "at".to_owned(),
                TemplateNode::Literal(json!("1979-05-27T07:32:00Z"))
            )]))
        );
    }

    #[test]
    fn object_member_named_value_is_a_template() {
        let t = node("body = { value = { gen = 'bool' } }");
        let TemplateNode::Object(m) = t else {
            panic!("object expected")
        };
        assert_eq!(m["value"], TemplateNode::Generator(Generator::Bool));
    }

    #[test]
    fn unknown_generator_is_located_at_its_name() {
        let text = "[body]\nname = { gen = \"strng\" }\n";
        let (line, col, msg) = error_at(text);
        assert_eq!((line, col), (2, 16));
        assert!(msg.starts_with("unknown generator `strng`, expected one of `string`"));
    }

    #[test]
    fn unknown_key_is_located_at_the_key() {
        let text = "[body]\nname = { gen = \"string\", max_length = 3 }\n";
        let (line, col, msg) = error_at(text);
        assert_eq!((line, col), (2, 26));
        assert_eq!(
            msg,
            "unknown key `max_length` for generator `string`, expected one of `min_len`, `max_len`, `chars`"
        );
    }

    #[test]
    fn unknown_key_before_gen_is_located_at_the_table() {
        let text = "[body]\nn = { gen = \"int\", default = 3 }\n";
        let (line, col, msg) = error_at(text);
        assert_eq!((line, col), (2, 5));
        assert!(msg.starts_with("unknown key `default` for generator `int`"));
    }

    #[test]
    fn min_greater_than_max_is_located_at_the_table() {
        let text = "[body]\nsize = { gen = \"int\", min = 5, max = 1 }\n";
        let (line, col, msg) = error_at(text);
        assert_eq!((line, col), (2, 8));
        assert_eq!(msg, "`min` (5) is greater than `max` (1)");
    }

    #[test]
    fn wrong_type_is_located_at_the_value() {
        let text = "[body]\nname = { gen = \"string\", min_len = \"3\" }\n";
        let (line, col, msg) = error_at(text);
        assert_eq!((line, col), (2, 36));
        assert_eq!(
            msg,
            "`min_len` must be a non-negative integer, found a string"
        );
    }

    #[test]
    fn nested_errors_are_located_at_the_nested_table() {
        let text = "[body]\ntags = { gen = \"array\", items = { gen = \"string\", min_len = 9, max_len = 2 } }\n";
        let (line, col, msg) = error_at(text);
        assert_eq!((line, col), (2, 33));
        assert_eq!(msg, "`min_len` (9) is greater than `max_len` (2)");
    }

    #[test]
    fn missing_required_parameters() {
        let (_, _, msg) = error_at("body = { gen = 'one_of' }");
        assert_eq!(msg, "generator `one_of` needs `values`");
        let (_, _, msg) = error_at("body = { gen = 'one_of', values = [] }");
        assert!(msg.contains("non-empty array"));
        let (_, _, msg) = error_at("body = { gen = 'const' }");
        assert_eq!(msg, "generator `const` needs `value`");
        let (_, _, msg) = error_at("body = { gen = 'array' }");
        assert_eq!(msg, "generator `array` needs `items`");
    }

    #[test]
    fn generator_without_parameters_rejects_any() {
        let (_, _, msg) = error_at("body = { gen = 'bool', min = 1 }");
        assert_eq!(
            msg,
            "unknown key `min` for generator `bool`, which takes no parameters"
        );
    }

    #[test]
    fn limits_are_enforced() {
        let (_, _, msg) = error_at("body = { gen = 'string', max_len = 100000 }");
        assert!(msg.contains("larger than the limit"));
        let (_, _, msg) = error_at("body = { gen = 'float', decimals = 40 }");
        assert!(msg.contains("from 0 to 15"));
        let (_, _, msg) = error_at("body = { gen = 'string', chars = 'emoji' }");
        assert!(msg.contains("one of `text`"));
    }
}
