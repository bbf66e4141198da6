//! The run marker: a run-unique text that idemfuzz writes at the start of one generated string
//! of every body it sends, so that a resource created by a POST whose answer was lost (and whose
//! id the run therefore never learned) can still be found in its collection afterwards.
//!
//! The marker is `idf` followed by the run id with its digits written as letters (`0`→`q` …
//! `9`→`z`), e.g. `idfxfryzl` (letters only: numeric server ids are replaced inside strings
//! when states are compared, and must never hit the marker). It goes into the first string
//! generator of the body template that can hold it (`max_len` at least the marker's length):
//! top-level members first — required ones before the others, each group in name order — then
//! members of nested objects, depth first. The generated value is the marker followed by a
//! shorter draw of the same generator, so the value keeps its charset and length bounds and
//! bodies still differ. A template without such a string carries no marker; a lost POST to it
//! is then reported as such.

use serde_json::Value;

use crate::scenario::template::{Generator, TemplateNode};

/// The marker of a run.
pub fn text(run_id: &str) -> String {
    let letters: String = run_id
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) => char::from(b'q' + digit as u8),
            None => c.to_ascii_lowercase(),
        })
        .collect();
    format!("idf{letters}")
}

/// The template with the marker in its first string generator that can hold it, and the
/// JSON pointer of that member; `None` when no string can hold it.
pub(crate) fn mark(
    template: &TemplateNode,
    marker: &str,
    required: &[String],
) -> Option<(TemplateNode, String)> {
    let TemplateNode::Object(members) = template else {
        return None;
    };
    let mut order: Vec<&String> = members.keys().filter(|k| required.contains(k)).collect();
    order.extend(members.keys().filter(|k| !required.contains(k)));
    for name in &order {
        if let Some(marked) = marked_string(&members[*name], marker) {
            let mut members = members.clone();
            members.insert((*name).clone(), marked);
            return Some((TemplateNode::Object(members), pointer(&[name])));
        }
    }
    for name in order {
        if let Some((marked, inner)) = mark(&members[name], marker, &[]) {
            let mut members = members.clone();
            members.insert(name.clone(), marked);
            return Some((
                TemplateNode::Object(members),
                format!("{}{inner}", pointer(&[name])),
            ));
        }
    }
    None
}

/// A string generator that can hold the marker, marked.
fn marked_string(node: &TemplateNode, marker: &str) -> Option<TemplateNode> {
    let TemplateNode::Generator(Generator::String {
        min_len,
        max_len,
        chars,
    }) = node
    else {
        return None;
    };
    let room = max_len.checked_sub(marker.len())?;
    Some(TemplateNode::Generator(Generator::Marked {
        marker: marker.to_string(),
        rest: Box::new(Generator::String {
            min_len: min_len.saturating_sub(marker.len()).min(room),
            max_len: room,
            chars: *chars,
        }),
    }))
}

fn pointer(tokens: &[&String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// True when a (marked) template puts `marker` into the bodies it generates.
pub(crate) fn holds(template: &TemplateNode, marker: &str) -> bool {
    match template {
        TemplateNode::Object(members) => members.values().any(|m| holds(m, marker)),
        TemplateNode::Generator(Generator::Marked { marker: held, .. }) => held == marker,
        _ => false,
    }
}

/// True when some string anywhere in `value` contains the marker.
pub(crate) fn carries(value: &Value, marker: &str) -> bool {
    match value {
        Value::String(text) => text.contains(marker),
        Value::Array(items) => items.iter().any(|v| carries(v, marker)),
        Value::Object(members) => members.values().any(|v| carries(v, marker)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::generate::BodyGenerator;
    use crate::scenario::generate::tests::template;

    #[test]
    fn the_marker_is_letters_only() {
        assert_eq!(text("x0fr9z"), "idfxqfrzz");
        assert!(text("012345").chars().all(|c| c.is_ascii_lowercase()));
    }

    #[test]
    fn a_required_string_that_can_hold_it_carries_the_marker() {
        let body = template(
            r#"
[body]
alias = { gen = "string", max_len = 30 }
code = { gen = "string", max_len = 4 }
name = { gen = "string", chars = "alnum", min_len = 12, max_len = 24 }
size = { gen = "int", min = 1, max = 9 }
"#,
        );
        let (marked, at) = mark(&body, "idfabcdef", &["code".into(), "name".into()])
            .expect("a string can hold it");
        assert_eq!(at, "/name", "required first; `code` is too short");
        assert!(holds(&marked, "idfabcdef"));
        assert!(!holds(&body, "idfabcdef"));
        let mut generator = BodyGenerator::new(7);
        for _ in 0..50 {
            let value = generator.generate(&marked);
            let name = value["name"].as_str().expect("a string");
            assert!(name.starts_with("idfabcdef"), "{name}");
            assert!((12..=24).contains(&name.len()), "{name}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            assert!(carries(&value, "idfabcdef"));
            assert!(!value["alias"].as_str().unwrap_or("").contains("idf"));
        }
    }

    #[test]
    fn nested_strings_are_used_when_no_top_level_one_can() {
        let body = template(
            r#"
[body]
size = { gen = "int", min = 1, max = 9 }
[body.meta]
label = { gen = "string", max_len = 40 }
"#,
        );
        let (_, at) = mark(&body, "idfabcdef", &[]).expect("nested");
        assert_eq!(at, "/meta/label");
        let none = template(
            "[body]\nsize = { gen = \"int\" }\ncode = { gen = \"string\", max_len = 3 }\n",
        );
        assert!(mark(&none, "idfabcdef", &[]).is_none());
    }
}
