//! Leaf schemas → generators: enums, strings (formats, patterns, lengths), integers and numbers
//! (bounds, exclusive bounds, `multipleOf`), and the array generator around an item template.
//! Each returns the template and, when a keyword could not be honoured, a comment saying so.

use serde_json::Value;

use super::body::{Gen, Param, Tmpl, has_null};
use super::formats;
use super::model::SchemaObject;
use crate::scenario::template::{MAX_ARRAY_LEN, MAX_STRING_LEN};

/// Spread of array lengths the importer writes at most (`max_len - min_len`).
const ARRAY_SPREAD: u64 = 4;
/// Spread of numbers when the spec gives only an upper bound below zero.
const NUMBER_SPREAD: i64 = 1000;

/// A template and the comment that goes with it.
pub(crate) type Mapped = (Tmpl, Option<String>);

/// `one_of` of the enum's values without `null`; a single value is a literal. `None` when only
/// `null` is left.
pub(crate) fn enumeration(values: &[Value]) -> Option<Mapped> {
    let usable: Vec<Value> = values.iter().filter(|v| !has_null(v)).cloned().collect();
    match usable.as_slice() {
        [] => None,
        [only] => Some((
            Tmpl::Literal(only.clone()),
            Some("the only value its enum allows".into()),
        )),
        _ => Some((
            Tmpl::Gen(Gen::new("one_of").with("values", Param::Values(usable))),
            None,
        )),
    }
}

pub(crate) fn string(object: &SchemaObject) -> Mapped {
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
pub(crate) fn pattern_charset(pattern: &str) -> Option<&'static str> {
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

pub(crate) fn integer(object: &SchemaObject) -> Mapped {
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

pub(crate) fn number(object: &SchemaObject) -> Mapped {
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

pub(crate) fn array_gen(object: &SchemaObject, items: Tmpl, min: u64) -> Tmpl {
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

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
