//! How much chance went into a body drawn from a template: the bits of randomness its
//! generated values carry (the surprisal of the draw, estimated per generator). A resource read
//! back holding exactly what a POST sent proves the POST created it only when those values
//! could not have been there before: a body drawn with few bits (literal members, a small
//! `one_of`, an empty POST) can equal what a pre-existing resource holds.

use serde_json::Value;

use crate::scenario::template::{Charset, Generator, TemplateNode};

/// Bits a float drawn without rounding carries, at most (conservative: an `f64` has 52).
const UNROUNDED_FLOAT_BITS: f64 = 32.0;
/// Bits of a random (version 4) UUID.
const UUID_BITS: f64 = 122.0;

/// The bits of randomness in `value` as drawn from `template`: 0 for literal parts and for
/// parts that do not have the shape the template draws (a body not drawn from it).
pub(crate) fn drawn_bits(template: &TemplateNode, value: &Value) -> f64 {
    match (template, value) {
        (TemplateNode::Literal(_), _) => 0.0,
        (TemplateNode::Object(members), Value::Object(object)) => members
            .iter()
            .filter_map(|(name, member)| object.get(name).map(|v| drawn_bits(member, v)))
            .sum(),
        (TemplateNode::Array(items), Value::Array(values)) => items
            .iter()
            .zip(values)
            .map(|(item, v)| drawn_bits(item, v))
            .sum(),
        (TemplateNode::Generator(generator), _) => generated_bits(generator, value),
        _ => 0.0,
    }
}

fn generated_bits(generator: &Generator, value: &Value) -> f64 {
    match (generator, value) {
        (Generator::String { chars, .. }, Value::String(text)) => {
            text.chars().count() as f64 * char_bits(*chars)
        }
        (Generator::Int { min, max }, Value::Number(_)) => {
            choices(i128::from(*max) - i128::from(*min) + 1)
        }
        (Generator::Float { min, max, decimals }, Value::Number(_)) => {
            let width = (max - min).abs();
            match decimals {
                _ if width == 0.0 => 0.0,
                Some(decimals) => (width * 10f64.powi(i32::try_from(*decimals).unwrap_or(15))
                    + 1.0)
                    .log2()
                    .min(UNROUNDED_FLOAT_BITS),
                None => UNROUNDED_FLOAT_BITS,
            }
        }
        (Generator::Bool, Value::Bool(_)) => 1.0,
        (Generator::OneOf(values), drawn) if values.contains(drawn) => {
            let mut distinct: Vec<&Value> = Vec::with_capacity(values.len());
            for value in values {
                if !distinct.contains(&value) {
                    distinct.push(value);
                }
            }
            (distinct.len() as f64).log2()
        }
        (Generator::Array { items, .. }, Value::Array(values)) => {
            values.iter().map(|v| drawn_bits(items, v)).sum()
        }
        (Generator::Uuid, Value::String(_)) => UUID_BITS,
        _ => 0.0,
    }
}

/// Bits one character of the charset carries (conservatively, for `unicode`, as many as a
/// printable ASCII character: the draw favours some characters).
fn char_bits(chars: Charset) -> f64 {
    match chars {
        Charset::Text => 63f64.log2(),
        Charset::Alnum => 62f64.log2(),
        Charset::Ascii | Charset::Unicode => 95f64.log2(),
    }
}

/// `log2(n)` of a number of equally likely choices, 0 for one or none.
fn choices(n: i128) -> f64 {
    if n <= 1 { 0.0 } else { (n as f64).log2() }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::scenario::generate::BodyGenerator;

    fn template(toml_text: &str) -> TemplateNode {
        #[derive(Deserialize)]
        struct Doc {
            body: TemplateNode,
        }
        toml::from_str::<Doc>(toml_text).expect("template").body
    }

    #[test]
    fn literal_members_and_small_choices_carry_few_bits() {
        let fixed = template("[body]\nname = \"customer 1\"\nsize = 1\n");
        assert_eq!(
            drawn_bits(&fixed, &json!({"name": "customer 1", "size": 1})),
            0.0
        );
        let small = template(
            "[body]\nname = { gen = \"one_of\", values = [\"a\", \"b\", \"a\"] }\nok = { gen = \"bool\" }\n",
        );
        assert_eq!(drawn_bits(&small, &json!({"name": "a", "ok": true})), 2.0);
        let empty = template("[body]\nname = { gen = \"string\", min_len = 0, max_len = 8 }\n");
        assert_eq!(drawn_bits(&empty, &json!({"name": ""})), 0.0);
    }

    #[test]
    fn generated_values_carry_the_bits_of_their_draw() {
        let body = template(
            "[body]\nname = { gen = \"string\", chars = \"alnum\", min_len = 4, max_len = 12 }\nsize = { gen = \"int\", min = 1, max = 8 }\nid = { gen = \"uuid\" }\nw = { gen = \"float\", min = 0, max = 10, decimals = 1 }\n",
        );
        let bits = drawn_bits(
            &body,
            &json!({"name": "abcd", "size": 3, "id": "x", "w": 1.5}),
        );
        let expected = 4.0 * 62f64.log2() + 3.0 + 122.0 + 101f64.log2();
        assert!((bits - expected).abs() < 1e-9, "{bits} vs {expected}");
        // A value of another shape than the template draws carries nothing.
        assert_eq!(drawn_bits(&body, &json!({"name": 5, "size": "x"})), 0.0);
        assert_eq!(drawn_bits(&body, &json!([1, 2])), 0.0);
    }

    #[test]
    fn a_typical_body_carries_dozens_of_bits() {
        let body = template(
            "[body]\nname = { gen = \"string\", chars = \"alnum\", min_len = 4, max_len = 12 }\nsize = { gen = \"int\", min = 1, max = 9 }\n",
        );
        let mut generator = BodyGenerator::new(3);
        for _ in 0..100 {
            let drawn = generator.generate(&body);
            assert!(drawn_bits(&body, &drawn) >= 4.0 * 62f64.log2(), "{drawn}");
        }
    }
}
