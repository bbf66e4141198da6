//! Generation of bodies from templates with proptest, deterministic from a seed.
//!
//! [`template_strategy`] turns a template into a proptest strategy (so a fuzzing engine can also
//! shrink); [`BodyGenerator`] draws values from such strategies with a ChaCha RNG seeded from a
//! `u64`, so the same seed always yields the same bodies.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use proptest::prelude::{BoxedStrategy, Just, Strategy, any};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

use crate::scenario::template::{Charset, Generator, TemplateNode};

/// How many bodies [`BodyGenerator::generate_different`] draws before giving up.
const DIFFERENT_TRIES: usize = 64;

/// Draws bodies and numbers from one seeded RNG.
pub(crate) struct BodyGenerator {
    runner: TestRunner,
}

impl BodyGenerator {
    /// A generator whose every draw is determined by `seed`.
    pub(crate) fn new(seed: u64) -> BodyGenerator {
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed));
        BodyGenerator {
            runner: TestRunner::new_with_rng(Config::default(), rng),
        }
    }

    /// The proptest runner, for callers that build their own strategies on the same RNG.
    pub(crate) fn runner(&mut self) -> &mut TestRunner {
        &mut self.runner
    }

    /// One body from the template.
    pub(crate) fn generate(&mut self, node: &TemplateNode) -> Value {
        // No strategy built here filters, so drawing cannot fail; null is a formal fallback.
        self.draw(template_strategy(node)).unwrap_or(Value::Null)
    }

    /// A body that differs from `from` when the template allows it; after a bounded number of
    /// draws, the last one (which may equal `from`, e.g. for a literal template).
    pub(crate) fn generate_different(&mut self, node: &TemplateNode, from: &Value) -> Value {
        let strategy = template_strategy(node);
        let mut last = Value::Null;
        for _ in 0..DIFFERENT_TRIES {
            last = self.draw(strategy.clone()).unwrap_or(Value::Null);
            if last != *from {
                break;
            }
        }
        last
    }

    /// A number in `lo..=hi` (the bounds are swapped when reversed).
    pub(crate) fn int_in(&mut self, lo: u32, hi: u32) -> u32 {
        let range = ordered(lo, hi);
        let start = *range.start();
        self.draw(range).unwrap_or(start)
    }

    fn draw<S: Strategy>(&mut self, strategy: S) -> Option<S::Value> {
        strategy
            .new_tree(&mut self.runner)
            .ok()
            .map(|tree| tree.current())
    }
}

/// Expands a `u64` into the 32 seed bytes ChaCha needs (SplitMix64).
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    bytes
}

/// The partial body of a "partial PUT": only the required top-level members of `body`
/// (a non-object body is returned unchanged).
pub(crate) fn partial_body(body: &Value, required: &[String]) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| required.contains(key))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The proptest strategy of a template.
pub(crate) fn template_strategy(node: &TemplateNode) -> BoxedStrategy<Value> {
    match node {
        TemplateNode::Literal(value) => Just(value.clone()).boxed(),
        TemplateNode::Object(members) => object_strategy(members),
        TemplateNode::Array(items) => items
            .iter()
            .map(template_strategy)
            .collect::<Vec<_>>()
            .prop_map(Value::Array)
            .boxed(),
        TemplateNode::Generator(generator) => generator_strategy(generator),
    }
}

fn object_strategy(members: &BTreeMap<String, TemplateNode>) -> BoxedStrategy<Value> {
    let keys: Vec<String> = members.keys().cloned().collect();
    let values: Vec<BoxedStrategy<Value>> = members.values().map(template_strategy).collect();
    values
        .prop_map(move |values| {
            Value::Object(keys.iter().cloned().zip(values).collect::<Map<_, _>>())
        })
        .boxed()
}

fn generator_strategy(generator: &Generator) -> BoxedStrategy<Value> {
    match generator {
        Generator::String {
            min_len,
            max_len,
            chars,
        } => string_strategy(*chars, ordered(*min_len, *max_len)),
        Generator::Int { min, max } => ordered(*min, *max).prop_map(Value::from).boxed(),
        Generator::Float { min, max, decimals } => float_strategy(*min, *max, *decimals),
        Generator::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Generator::OneOf(values) if values.is_empty() => Just(Value::Null).boxed(),
        Generator::OneOf(values) => proptest::sample::select(values.clone()).boxed(),
        Generator::Array {
            items,
            min_len,
            max_len,
        } => proptest::collection::vec(template_strategy(items), ordered(*min_len, *max_len))
            .prop_map(Value::Array)
            .boxed(),
        Generator::Const(value) => Just(value.clone()).boxed(),
        Generator::Uuid => any::<[u8; 16]>().prop_map(uuid_v4).boxed(),
        Generator::Bytes { min_len, max_len } => {
            proptest::collection::vec(any::<u8>(), *min_len..=*max_len)
                .prop_map(|bytes| Value::String(bytes.into_iter().map(char::from).collect()))
                .boxed()
        }
        Generator::Marked { marker, rest } => {
            let marker = marker.clone();
            generator_strategy(rest)
                .prop_map(move |value| match value {
                    Value::String(tail) => Value::String(format!("{marker}{tail}")),
                    other => other,
                })
                .boxed()
        }
    }
}

fn ordered<T: PartialOrd>(a: T, b: T) -> RangeInclusive<T> {
    if a <= b { a..=b } else { b..=a }
}

const TEXT_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";

/// Printable ranges of several scripts for `chars = "unicode"`.
const UNICODE_RANGES: &[RangeInclusive<char>] = &[
    ' '..='~',
    '\u{a1}'..='\u{ff}',
    '\u{100}'..='\u{17f}',
    '\u{391}'..='\u{3a9}',
    '\u{3b1}'..='\u{3c9}',
    '\u{410}'..='\u{44f}',
    '\u{4e00}'..='\u{9fa5}',
    '\u{1f600}'..='\u{1f64f}',
];

fn string_strategy(chars: Charset, len: RangeInclusive<usize>) -> BoxedStrategy<Value> {
    let char_strategy = match chars {
        Charset::Text => proptest::sample::select(TEXT_CHARS.chars().collect::<Vec<_>>()).boxed(),
        Charset::Alnum => {
            proptest::sample::select(TEXT_CHARS.trim_end().chars().collect::<Vec<_>>()).boxed()
        }
        Charset::Ascii => proptest::char::range(' ', '~').boxed(),
        Charset::Unicode => proptest::char::ranges(Cow::Borrowed(UNICODE_RANGES)).boxed(),
    };
    proptest::collection::vec(char_strategy, len)
        .prop_map(move |cs| {
            let text: String = cs.into_iter().collect();
            Value::String(match chars {
                Charset::Text => no_edge_spaces(&text),
                _ => text,
            })
        })
        .boxed()
}

/// Replaces a leading or trailing space by `x`, so servers that trim input store what was sent.
fn no_edge_spaces(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let last = chars.len().saturating_sub(1);
    for i in [0, last] {
        if chars.get(i) == Some(&' ') {
            chars[i] = 'x';
        }
    }
    chars.into_iter().collect()
}

fn float_strategy(min: f64, max: f64, decimals: Option<u32>) -> BoxedStrategy<Value> {
    let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
    let draw = if lo < hi {
        (lo..=hi).boxed()
    } else {
        Just(lo).boxed()
    };
    draw.prop_map(move |x| {
        let x = decimals.map_or(x, |d| round_to(x, d).clamp(lo, hi));
        Value::from(x)
    })
    .boxed()
}

fn round_to(x: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(15));
    (x * scale).round() / scale
}

/// Formats 16 random bytes as a version 4, RFC 4122 variant UUID.
fn uuid_v4(mut bytes: [u8; 16]) -> Value {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Value::String(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    /// The template under `[body]` of a TOML text (for tests).
    pub(crate) fn template(text: &str) -> TemplateNode {
        #[derive(Deserialize)]
        struct Doc {
            body: TemplateNode,
        }
        toml::from_str::<Doc>(text).expect("valid template").body
    }

    const RICH: &str = r#"
[body]
name = { gen = "string", min_len = 3, max_len = 8 }
word = { gen = "string", chars = "alnum", min_len = 5, max_len = 5 }
text = { gen = "string", chars = "unicode", max_len = 4 }
size = { gen = "int", min = -5, max = 5 }
price = { gen = "float", min = 1, max = 2, decimals = 2 }
on = { gen = "bool" }
color = { gen = "one_of", values = ["red", "green"] }
tags = { gen = "array", items = { gen = "string", max_len = 3 }, min_len = 1, max_len = 3 }
id = { gen = "uuid" }
raw = { gen = "const", value = { gen = "x" } }
fixed = "literal"
pair = [1, { gen = "int", min = 7, max = 7 }]
"#;

    #[test]
    fn same_seed_same_values() {
        let t = template(RICH);
        let mut a = BodyGenerator::new(42);
        let mut b = BodyGenerator::new(42);
        for _ in 0..20 {
            assert_eq!(a.generate(&t), b.generate(&t));
            assert_eq!(a.int_in(2, 9), b.int_in(2, 9));
        }
        let mut c = BodyGenerator::new(43);
        let differs = (0..5).any(|_| a.generate(&t) != c.generate(&t));
        assert!(differs, "another seed should give other bodies");
    }

    #[test]
    fn values_respect_the_generators() {
        let t = template(RICH);
        let mut g = BodyGenerator::new(7);
        for _ in 0..200 {
            let v = g.generate(&t);
            let name = v["name"].as_str().expect("string");
            assert!((3..=8).contains(&name.chars().count()));
            assert!(!name.starts_with(' ') && !name.ends_with(' '));
            let word = v["word"].as_str().expect("string");
            assert!(word.len() == 5 && word.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(v["text"].as_str().expect("string").chars().count() <= 4);
            assert!((-5..=5).contains(&v["size"].as_i64().expect("int")));
            let price = v["price"].as_f64().expect("float");
            assert!((1.0..=2.0).contains(&price));
            assert_eq!((price * 100.0).round() / 100.0, price);
            assert!(v["on"].is_boolean());
            assert!(["red", "green"].contains(&v["color"].as_str().expect("string")));
            let tags = v["tags"].as_array().expect("array");
            assert!((1..=3).contains(&tags.len()));
            let id = v["id"].as_str().expect("uuid");
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "4");
            assert_eq!(v["raw"], json!({"gen": "x"}));
            assert_eq!(v["fixed"], json!("literal"));
            assert_eq!(v["pair"], json!([1, 7]));
        }
    }

    #[test]
    fn int_in_stays_in_range() {
        let mut g = BodyGenerator::new(1);
        for _ in 0..100 {
            assert!((2..=4).contains(&g.int_in(2, 4)));
            assert!((2..=4).contains(&g.int_in(4, 2)));
        }
        assert_eq!(g.int_in(3, 3), 3);
    }

    #[test]
    fn generate_different_differs_when_possible() {
        let t = template("[body]\nn = { gen = 'bool' }\nc = 1");
        let mut g = BodyGenerator::new(9);
        for _ in 0..20 {
            let a = g.generate(&t);
            assert_ne!(g.generate_different(&t, &a), a);
        }
        let fixed = template("[body]\nc = 1");
        let a = g.generate(&fixed);
        assert_eq!(g.generate_different(&fixed, &a), a);
    }

    #[test]
    fn partial_body_keeps_required_members() {
        let body = json!({"name": "a", "color": "red", "note": "x"});
        let required = vec!["name".to_owned(), "color".to_owned()];
        assert_eq!(
            partial_body(&body, &required),
            json!({"name": "a", "color": "red"})
        );
        assert_eq!(partial_body(&body, &[]), json!({}));
        assert_eq!(partial_body(&json!([1]), &required), json!([1]));
    }

    #[test]
    fn strategy_shrinks() {
        let t = template("body = { gen = 'int', min = 0, max = 1000000 }");
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(3)),
        );
        let mut tree = template_strategy(&t)
            .new_tree(&mut runner)
            .expect("a value tree");
        while tree.simplify() {}
        assert_eq!(tree.current(), json!(0));
    }

    #[test]
    fn no_edge_spaces_replaces_only_the_ends() {
        assert_eq!(no_edge_spaces(" a b "), "xa bx");
        assert_eq!(no_edge_spaces(" "), "x");
        assert_eq!(no_edge_spaces(""), "");
    }
}
