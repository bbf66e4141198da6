//! Opaque representations — text, bytes, XML, anything but JSON — compared byte-exactly together
//! with their metadata (`Content-Type`, `ETag`, `Content-Length`), and their diffs: a unified
//! diff of the text, or for bytes the sizes and the first difference.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use similar::TextDiff;

/// The state member holding text content.
pub(crate) const TEXT: &str = "text";
/// The state member holding bytes that are not UTF-8, as lower-case hex.
pub(crate) const BYTES: &str = "bytes";
/// The state member holding the representation metadata.
pub(crate) const METADATA: &str = "representation";
/// Bytes shown on each side of a first difference.
const SHOWN_BYTES: usize = 8;

/// A representation read as bytes, with the metadata compared along with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Opaque {
    pub(crate) content: Content,
    pub(crate) content_type: Option<String>,
    pub(crate) etag: Option<String>,
    pub(crate) content_length: Option<String>,
}

/// The content of an opaque representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// UTF-8 text (secrets a server echoed already scrubbed).
    Text(String),
    /// Anything else.
    Bytes(Vec<u8>),
}

impl Opaque {
    /// The state members of a 2xx answer: the metadata present, and the content.
    pub(crate) fn state_members(&self, state: &mut Map<String, Value>) {
        let mut metadata = Map::new();
        for (name, value) in [
            ("content-type", &self.content_type),
            ("etag", &self.etag),
            ("content-length", &self.content_length),
        ] {
            if let Some(value) = value {
                metadata.insert(name.into(), Value::String(value.clone()));
            }
        }
        state.insert(METADATA.into(), Value::Object(metadata));
        let (key, content) = match &self.content {
            Content::Text(text) => (TEXT, text.clone()),
            Content::Bytes(bytes) => (BYTES, hex(bytes)),
        };
        state.insert(key.into(), Value::String(content));
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn unhex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .filter_map(|pair| std::str::from_utf8(pair).ok())
        .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
        .collect()
}

/// The diff of two states when either holds opaque content, `None` otherwise: the other
/// members (status, metadata) as a unified diff of their JSON, then a unified diff of the text
/// or a summary of the bytes.
pub(crate) fn diff(label_a: &str, a: &Value, label_b: &str, b: &Value) -> Option<String> {
    let (content_a, rest_a, content_b, rest_b) = match (split(a), split(b)) {
        (None, None) => return None,
        (x, y) => {
            let (content_a, rest_a) = x.unwrap_or((Piece::None, a.clone()));
            let (content_b, rest_b) = y.unwrap_or((Piece::None, b.clone()));
            (content_a, rest_a, content_b, rest_b)
        }
    };
    let mut out = format!("--- {label_a}\n+++ {label_b}\n");
    if rest_a != rest_b {
        let left = pretty(&rest_a);
        let right = pretty(&rest_b);
        let lines = TextDiff::from_lines(&left, &right)
            .unified_diff()
            .context_radius(3)
            .to_string();
        out.push_str(&lines);
    }
    match (content_a, content_b) {
        (Piece::Text(x), Piece::Text(y)) if x != y => {
            out.push_str(
                &TextDiff::from_lines(&x, &y)
                    .unified_diff()
                    .context_radius(3)
                    .missing_newline_hint(true)
                    .to_string(),
            );
        }
        (x, y) if x != y => out.push_str(&bytes_summary(&x.bytes(), &y.bytes())),
        _ => {}
    }
    Some(out)
}

#[derive(Debug, PartialEq)]
enum Piece {
    None,
    Text(String),
    Bytes(Vec<u8>),
}

impl Piece {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Piece::None => Vec::new(),
            Piece::Text(text) => text.as_bytes().to_vec(),
            Piece::Bytes(bytes) => bytes.clone(),
        }
    }
}

/// The content of a state, and the state without it; `None` for a state without content.
fn split(state: &Value) -> Option<(Piece, Value)> {
    let mut rest = state.as_object()?.clone();
    let piece = match (rest.remove(TEXT), rest.remove(BYTES)) {
        (Some(Value::String(text)), _) => Piece::Text(text),
        (_, Some(Value::String(bytes))) => Piece::Bytes(unhex(&bytes)),
        _ => return None,
    };
    Some((piece, Value::Object(rest)))
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// `bytes: 1024 → 1030; first difference at byte 512 (0x200): … 41 42 … → … 41 58 …`.
fn bytes_summary(a: &[u8], b: &[u8]) -> String {
    let first = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let around = |bytes: &[u8]| {
        let start = first.saturating_sub(SHOWN_BYTES / 2);
        let end = (first + SHOWN_BYTES).min(bytes.len());
        let shown: Vec<String> = bytes
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let lead = if start > 0 { "… " } else { "" };
        let tail = if end < bytes.len() { " …" } else { "" };
        match shown.is_empty() {
            true => "(end)".to_string(),
            false => format!("{lead}{}{tail}", shown.join(" ")),
        }
    };
    format!(
        "@@ bytes @@\n- {} bytes\n+ {} bytes\n  first difference at byte {first} (0x{first:x}):\n-   {}\n+   {}\n",
        a.len(),
        b.len(),
        around(a),
        around(b)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_diffs_are_unified_diffs_of_the_text() {
        let a = json!({"status": 200, "representation": {"etag": "\"1\""}, "text": "one\ntwo\n"});
        let b = json!({"status": 200, "representation": {"etag": "\"2\""}, "text": "one\nthree\n"});
        let diff = diff("after 1 PUT", &a, "after 3 PUTs", &b).expect("opaque");
        assert!(
            diff.starts_with("--- after 1 PUT\n+++ after 3 PUTs\n"),
            "{diff}"
        );
        assert!(diff.contains("-    \"etag\": \"\\\"1\\\"\""), "{diff}");
        assert!(diff.contains("-two\n+three\n"), "{diff}");
        assert!(
            !diff.contains("\\n"),
            "the text is not JSON-escaped: {diff}"
        );
    }

    #[test]
    fn byte_diffs_give_sizes_and_the_first_difference() {
        let a = json!({"status": 200, "bytes": hex(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])});
        let b = json!({"status": 200, "bytes": hex(&[0, 1, 2, 3, 4, 5, 0xff, 7, 8])});
        let diff = diff("a", &a, "b", &b).expect("opaque");
        assert!(diff.contains("- 12 bytes\n+ 9 bytes\n"), "{diff}");
        assert!(diff.contains("first difference at byte 6 (0x6)"), "{diff}");
        assert!(
            diff.contains("-   … 02 03 04 05 06 07 08 09 0a 0b\n"),
            "{diff}"
        );
        assert!(diff.contains("+   … 02 03 04 05 ff 07 08\n"), "{diff}");
    }

    #[test]
    fn json_states_are_not_opaque() {
        assert_eq!(
            diff("a", &json!({"body": {}}), "b", &json!({"body": 1})),
            None
        );
    }
}
