//! The media type of a resource's request bodies (`representation`, `content_type`,
//! `template`): how a generated body — a JSON value, as every check handles it — becomes the
//! bytes sent, under exactly one `Content-Type`. The reference is `docs/scenarios.md`
//! ("Representations").
//!
//! | representation | the generated body | is sent as |
//! |---|---|---|
//! | `json` | any JSON value (a table) | its JSON text |
//! | `text` | a string | its UTF-8 bytes |
//! | `bytes` | a string whose characters U+0000..U+00FF are bytes | those bytes |
//! | `form` | a table of scalars (arrays repeat a field) | `application/x-www-form-urlencoded` |
//! | `template` | a table of slot values | the template text with `{slot}` replaced |

use serde_json::Value;

use crate::scenario::placeholder;

/// How a resource's bodies are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Representation {
    pub(crate) kind: RepresentationKind,
    /// `content_type` as the scenario sets it; `None`: the kind's default.
    pub(crate) content_type: Option<String>,
}

/// The kinds of representation a scenario can declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RepresentationKind {
    Json,
    Text,
    Bytes,
    Form,
    /// A text with `{slot}` placeholders, each a top-level member of the body template.
    Template(String),
}

impl Default for Representation {
    fn default() -> Representation {
        Representation::json()
    }
}

impl Representation {
    /// JSON bodies as `application/json` (what a scenario without `representation` means).
    pub(crate) fn json() -> Representation {
        Representation {
            kind: RepresentationKind::Json,
            content_type: None,
        }
    }

    /// The name written in scenario files.
    pub(crate) fn name(&self) -> &'static str {
        match self.kind {
            RepresentationKind::Json => "json",
            RepresentationKind::Text => "text",
            RepresentationKind::Bytes => "bytes",
            RepresentationKind::Form => "form",
            RepresentationKind::Template(_) => "template",
        }
    }

    /// True for JSON bodies (the default).
    pub(crate) fn is_json(&self) -> bool {
        self.kind == RepresentationKind::Json
    }

    /// True when a body is a set of named members a partial body can leave out (JSON objects
    /// and form fields); text, bytes and templates are opaque.
    pub(crate) fn has_members(&self) -> bool {
        matches!(
            self.kind,
            RepresentationKind::Json | RepresentationKind::Form
        )
    }

    /// The default `Content-Type` of the kind (`template` has none: the scenario sets it).
    pub(crate) fn default_content_type(&self) -> Option<&'static str> {
        match self.kind {
            RepresentationKind::Json => Some("application/json"),
            RepresentationKind::Text => Some("text/plain; charset=utf-8"),
            RepresentationKind::Bytes => Some("application/octet-stream"),
            RepresentationKind::Form => Some("application/x-www-form-urlencoded"),
            RepresentationKind::Template(_) => None,
        }
    }

    /// The `Accept` a request of this resource sends when nothing else sets one.
    pub(crate) fn accept(&self) -> &'static str {
        match self.kind {
            RepresentationKind::Json => "application/json",
            _ => "*/*",
        }
    }

    /// The bytes of a body.
    pub(crate) fn encode(&self, body: &Value) -> Vec<u8> {
        match (&self.kind, body) {
            (RepresentationKind::Text, Value::String(text)) => text.as_bytes().to_vec(),
            (RepresentationKind::Bytes, Value::String(text)) => byte_string(text),
            (RepresentationKind::Form, Value::Object(fields)) => form(fields),
            (RepresentationKind::Template(text), Value::Object(slots)) => {
                fill(text, slots, self.escapes_xml()).into_bytes()
            }
            (_, other) => other.to_string().into_bytes(),
        }
    }

    /// True when template slots are XML-escaped: the content type is XML (`…/xml`, `…+xml`).
    fn escapes_xml(&self) -> bool {
        self.content_type
            .as_deref()
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|t| t.ends_with("/xml") || t.ends_with("+xml"))
    }
}

/// The bytes a `bytes` body stands for: each character U+0000..U+00FF is one byte (anything
/// above, which only a script's literal can hold, is sent as its UTF-8).
pub(crate) fn byte_string(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(byte) => bytes.push(byte),
            Err(_) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    bytes
}

/// `application/x-www-form-urlencoded` of a table: one field per member (an array repeats it,
/// null leaves it out), in member order.
fn form(fields: &serde_json::Map<String, Value>) -> Vec<u8> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        match value {
            Value::Null => {}
            Value::Array(values) => {
                for value in values.iter().filter(|v| !v.is_null()) {
                    out.append_pair(name, &placeholder::as_text(value));
                }
            }
            value => {
                out.append_pair(name, &placeholder::as_text(value));
            }
        }
    }
    out.finish().into_bytes()
}

/// The template text with every `{slot}` replaced by its value's text (XML-escaped when
/// `xml`); braces that are not a slot stay as written.
fn fill(text: &str, slots: &serde_json::Map<String, Value>, xml: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, found) in placeholder::find(text) {
        let Some(value) = slots.get(&found.name).filter(|_| found.offset == 0) else {
            continue;
        };
        out.push_str(&text[last..range.start]);
        let value = match value {
            Value::Null => String::new(),
            value => placeholder::as_text(value),
        };
        out.push_str(&if xml { xml_escape(&value) } else { value });
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// `text` with XML's five special characters escaped.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(kind: RepresentationKind, content_type: Option<&str>) -> Representation {
        Representation {
            kind,
            content_type: content_type.map(str::to_string),
        }
    }

    #[test]
    fn encodes_every_kind() {
        let json = Representation::json();
        assert_eq!(json.encode(&json!({"a": 1})), br#"{"a":1}"#);
        let text = of(RepresentationKind::Text, None);
        assert_eq!(text.encode(&json!("héllo")), "héllo".as_bytes());
        let bytes = of(RepresentationKind::Bytes, None);
        assert_eq!(bytes.encode(&json!("\u{0}\u{ff}A")), vec![0, 255, b'A']);
        let form = of(RepresentationKind::Form, None);
        assert_eq!(
            form.encode(&json!({"value": "a b&c", "n": 2, "tag": ["x", "y"], "gone": null})),
            b"n=2&tag=x&tag=y&value=a+b%26c"
        );
    }

    #[test]
    fn templates_fill_their_slots_and_escape_xml() {
        let xml = of(
            RepresentationKind::Template("<note id=\"{n}\">{name}</note>{ x }".into()),
            Some("application/xml; charset=utf-8"),
        );
        assert_eq!(
            String::from_utf8(xml.encode(&json!({"name": "a<b", "n": 7}))).unwrap(),
            "<note id=\"7\">a&lt;b</note>{ x }"
        );
        let plain = of(
            RepresentationKind::Template("name={name}\n".into()),
            Some("text/plain"),
        );
        assert_eq!(plain.encode(&json!({"name": "a<b"})), b"name=a<b\n");
    }
}
