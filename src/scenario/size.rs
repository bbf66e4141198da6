//! The largest body a template can produce, computed from the template alone (nothing is
//! generated), so that a template whose bodies would exhaust memory is refused when the file is
//! checked. The result is an upper bound of the compact JSON text, in bytes.

use serde_json::Value;

use crate::scenario::template::{Charset, Generator, TemplateNode};

/// Default bound on the largest body of a template (`[target] max_body_bytes`): 1 MiB.
pub(crate) const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Bytes of the longest JSON text of a float (`-1.7976931348623157e308`), quotes excluded.
const MAX_FLOAT_TEXT: u64 = 24;
/// Bytes of a UUID string with its quotes.
const UUID_TEXT: u64 = 38;

/// An upper bound of the size in bytes of any body the template produces, as compact JSON.
/// Saturates instead of overflowing.
pub(crate) fn largest_body(node: &TemplateNode) -> u64 {
    match node {
        TemplateNode::Literal(value) => json_len(value),
        TemplateNode::Object(members) => enclosed(members.iter().map(|(name, member)| {
            json_len(&Value::String(name.clone()))
                .saturating_add(1)
                .saturating_add(largest_body(member))
        })),
        TemplateNode::Array(items) => enclosed(items.iter().map(largest_body)),
        TemplateNode::Generator(generator) => largest_generated(generator),
    }
}

fn largest_generated(generator: &Generator) -> u64 {
    match generator {
        Generator::String { max_len, chars, .. } => to_u64(*max_len)
            .saturating_mul(char_bytes(*chars))
            .saturating_add(2),
        Generator::Int { min, max } => to_u64(min.to_string().len().max(max.to_string().len())),
        Generator::Float { .. } => MAX_FLOAT_TEXT,
        Generator::Bool => 5,
        Generator::OneOf(values) => values.iter().map(json_len).max().unwrap_or(4),
        Generator::Const(value) => json_len(value),
        Generator::Uuid => UUID_TEXT,
        // Only a `bytes` body, sent as the bytes themselves.
        Generator::Bytes { max_len, .. } => to_u64(*max_len),
        Generator::Marked { marker, rest } => {
            to_u64(marker.len()).saturating_add(largest_generated(rest))
        }
        Generator::Array { items, max_len, .. } => {
            let item = largest_body(items);
            let count = to_u64(*max_len);
            2u64.saturating_add(item.saturating_mul(count))
                .saturating_add(count.saturating_sub(1))
        }
    }
}

/// Bytes a character of the charset takes in JSON text at most (an escaped `"` or `\` is 2,
/// a 4-byte UTF-8 character 4).
fn char_bytes(chars: Charset) -> u64 {
    match chars {
        Charset::Text | Charset::Alnum => 1,
        Charset::Ascii => 2,
        Charset::Unicode => 4,
    }
}

/// Brackets or braces around parts separated by commas.
fn enclosed(parts: impl Iterator<Item = u64>) -> u64 {
    let (sum, count) = parts.fold((0u64, 0u64), |(sum, count), part| {
        (sum.saturating_add(part), count + 1)
    });
    2u64.saturating_add(sum)
        .saturating_add(count.saturating_sub(1))
}

/// Bytes of a value as compact JSON.
fn json_len(value: &Value) -> u64 {
    to_u64(serde_json::to_vec(value).map_or(0, |text| text.len()))
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::scenario::generate::BodyGenerator;

    fn template(toml_text: &str) -> TemplateNode {
        let table: toml::Table = toml::from_str(toml_text).expect("TOML");
        let body = table.get("body").expect("body").clone();
        TemplateNode::deserialize(body).expect("template")
    }

    use serde::Deserialize;

    #[test]
    fn nested_arrays_of_long_strings_are_huge_without_being_generated() {
        let huge = template(
            r#"body = { a = { gen = "array", max_len = 1000, items = { gen = "array", max_len = 1000, items = { gen = "string", max_len = 10000 } } } }"#,
        );
        assert!(
            largest_body(&huge) > 10_000_000_000,
            "{}",
            largest_body(&huge)
        );
        let small = template(r#"body = { name = "x", n = { gen = "int", min = -5, max = 10 } }"#);
        assert_eq!(largest_body(&small), r#"{"n":-5,"name":"x"}"#.len() as u64);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The bound holds for what the generator really draws.
        #[test]
        fn generated_bodies_never_exceed_the_bound(seed in any::<u64>(), chars in prop_oneof![
            Just("text"), Just("alnum"), Just("ascii"), Just("unicode")
        ]) {
            let node = template(&format!(
                r#"body = {{ s = {{ gen = "string", max_len = 30, chars = "{chars}" }}, xs = {{ gen = "array", max_len = 3, items = {{ f = {{ gen = "float" }}, i = {{ gen = "int", min = -100000, max = 7 }}, u = {{ gen = "uuid" }}, b = {{ gen = "bool" }} }} }} }}"#
            ));
            let bound = largest_body(&node);
            let mut generator = BodyGenerator::new(seed);
            for _ in 0..8 {
                let body = generator.generate(&node);
                let len = serde_json::to_vec(&body).expect("JSON").len() as u64;
                prop_assert!(len <= bound, "{len} > {bound}: {body}");
            }
        }
    }
}
