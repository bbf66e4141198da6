//! JSON pointers (RFC 6901) and ignore patterns (pointers with `*` wildcards).
//!
//! A [`JsonPointer`] names one place in a JSON document; an [`IgnorePattern`] names a set of
//! places, where a `*` segment stands for any array index or object key. Ignore patterns strip
//! server-managed fields (timestamps, versions) out of snapshots before they are compared.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A JSON pointer: a sequence of reference tokens, the empty sequence being the whole document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct JsonPointer(Vec<String>);

impl JsonPointer {
    /// The pointer to the whole document (`""`).
    pub(crate) fn root() -> JsonPointer {
        JsonPointer(Vec::new())
    }

    /// Parses RFC 6901 text: `""` is the root, anything else starts with `/`; `~1` stands for
    /// `/` and `~0` for `~` inside a token.
    pub(crate) fn parse(text: &str) -> Result<JsonPointer, PointerError> {
        split_tokens(text).map(JsonPointer)
    }

    /// Builds a pointer from unescaped tokens.
    pub(crate) fn from_tokens<S: Into<String>>(tokens: impl IntoIterator<Item = S>) -> JsonPointer {
        JsonPointer(tokens.into_iter().map(Into::into).collect())
    }

    /// True for the pointer to the whole document.
    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The unescaped reference tokens.
    pub(crate) fn tokens(&self) -> &[String] {
        &self.0
    }

    /// The value the pointer refers to, if any.
    pub(crate) fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0
            .iter()
            .try_fold(value, |current, token| step(current, token))
    }

    /// Removes the referenced member or element; `None` when it does not exist (or for the root).
    pub(crate) fn remove(&self, value: &mut Value) -> Option<Value> {
        let (last, parent) = self.0.split_last()?;
        let parent = parent
            .iter()
            .try_fold(value, |current, token| step_mut(current, token))?;
        match parent {
            Value::Object(map) => map.remove(last),
            Value::Array(items) => {
                let index = array_index(last).filter(|i| *i < items.len())?;
                Some(items.remove(index))
            }
            _ => None,
        }
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tokens(f, self.0.iter().map(String::as_str))
    }
}

impl FromStr for JsonPointer {
    type Err = PointerError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JsonPointer::parse(text)
    }
}

/// One segment of an ignore pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    /// `*`: any array index or object key.
    Any,
    /// One concrete key or index.
    Token(String),
}

impl Segment {
    fn matches(&self, token: &str) -> bool {
        match self {
            Segment::Any => true,
            Segment::Token(t) => t == token,
        }
    }
}

/// A JSON pointer whose segments may be `*` (any array index or object key), e.g.
/// `/items/*/updatedAt`. A pattern never matches the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IgnorePattern(Vec<Segment>);

impl IgnorePattern {
    /// Parses a pattern: pointer syntax where a whole segment `*` is a wildcard.
    pub fn parse(text: &str) -> Result<IgnorePattern, PointerError> {
        let tokens = split_tokens(text)?;
        if tokens.is_empty() {
            return Err(PointerError::WholeDocument);
        }
        // A literal `*` key cannot be escaped in RFC 6901, so `*` always means "any".
        let segments = text
            .split('/')
            .skip(1)
            .zip(tokens)
            .map(|(raw, token)| match raw {
                "*" => Segment::Any,
                _ => Segment::Token(token),
            })
            .collect();
        Ok(IgnorePattern(segments))
    }

    /// True when the pattern names exactly this concrete place.
    #[cfg(test)]
    pub(crate) fn matches(&self, concrete: &JsonPointer) -> bool {
        self.0.len() == concrete.0.len() && self.matches_prefix_of(concrete)
    }

    /// True when the pattern names this place or one of its ancestors (so a difference at
    /// `concrete` is inside an ignored field).
    #[cfg(test)]
    pub(crate) fn covers(&self, concrete: &JsonPointer) -> bool {
        self.0.len() <= concrete.0.len() && self.matches_prefix_of(concrete)
    }

    #[cfg(test)]
    fn matches_prefix_of(&self, concrete: &JsonPointer) -> bool {
        self.0
            .iter()
            .zip(&concrete.0)
            .all(|(segment, token)| segment.matches(token))
    }

    /// Every concrete place in `value` the pattern names, in document order.
    pub(crate) fn find(&self, value: &Value) -> Vec<JsonPointer> {
        let mut found = Vec::new();
        collect_matches(value, &self.0, &mut JsonPointer::root(), &mut found);
        found
    }
}

impl fmt::Display for IgnorePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tokens(
            f,
            self.0.iter().map(|segment| match segment {
                Segment::Any => "*",
                Segment::Token(t) => t.as_str(),
            }),
        )
    }
}

/// Removes what every pattern matches in `value`, matching all patterns against the value as it
/// was before any removal (array indexes are not shifted between matches).
pub(crate) fn strip_all(patterns: &[IgnorePattern], value: &mut Value) {
    if patterns.is_empty() {
        return;
    }
    let mut found: Vec<JsonPointer> = patterns
        .iter()
        .flat_map(|pattern| pattern.find(value))
        .collect();
    // In document order without repeats, removed in reverse (deepest and highest index
    // first): no removal shifts a place a later one names.
    found.sort_by(document_order);
    found.dedup();
    for pointer in found.iter().rev() {
        pointer.remove(value);
    }
}

/// Orders pointers as their places appear in a document: ancestors first, array indexes
/// numerically.
fn document_order(a: &JsonPointer, b: &JsonPointer) -> Ordering {
    for (x, y) in a.0.iter().zip(&b.0) {
        let ordering = match (array_index(x), array_index(y)) {
            (Some(i), Some(j)) => i.cmp(&j),
            _ => x.cmp(y),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a.0.len().cmp(&b.0.len())
}

fn collect_matches(
    value: &Value,
    segments: &[Segment],
    at: &mut JsonPointer,
    found: &mut Vec<JsonPointer>,
) {
    let Some((first, rest)) = segments.split_first() else {
        found.push(at.clone());
        return;
    };
    // A concrete token names at most one child: look it up instead of visiting them all.
    if let Segment::Token(token) = first {
        if let Some(child) = step(value, token) {
            at.0.push(token.clone());
            collect_matches(child, rest, at, found);
            at.0.pop();
        }
        return;
    }
    for (token, child) in children(value) {
        if first.matches(&token) {
            at.0.push(token);
            collect_matches(child, rest, at, found);
            at.0.pop();
        }
    }
}

/// The direct children of a container with their tokens; none for scalars.
fn children(value: &Value) -> Vec<(String, &Value)> {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    }
}

fn step<'a>(value: &'a Value, token: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(token),
        Value::Array(items) => items.get(array_index(token)?),
        _ => None,
    }
}

fn step_mut<'a>(value: &'a mut Value, token: &str) -> Option<&'a mut Value> {
    match value {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => items.get_mut(array_index(token)?),
        _ => None,
    }
}

/// An RFC 6901 array index: `0` or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// Why a JSON pointer or an ignore pattern cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    #[error("invalid JSON pointer `{text}`: it must be empty or start with `/`")]
    NoLeadingSlash { text: String },
    #[error("invalid JSON pointer `{text}`: `~` must be followed by `0` or `1`")]
    BadEscape { text: String },
    #[error("an ignore pattern cannot be the whole document (\"\")")]
    WholeDocument,
}

fn split_tokens(text: &str) -> Result<Vec<String>, PointerError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(PointerError::NoLeadingSlash {
            text: text.to_owned(),
        });
    };
    rest.split('/').map(|raw| unescape(raw, text)).collect()
}

fn unescape(raw: &str, whole: &str) -> Result<String, PointerError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => {
                return Err(PointerError::BadEscape {
                    text: whole.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

fn write_tokens<'a>(
    f: &mut fmt::Formatter<'_>,
    tokens: impl Iterator<Item = &'a str>,
) -> fmt::Result {
    for token in tokens {
        write!(f, "/{}", token.replace('~', "~0").replace('/', "~1"))?;
    }
    Ok(())
}

/// Ignore patterns for detected volatile pointers.
pub(crate) fn patterns(pointers: &[String]) -> Vec<IgnorePattern> {
    pointers
        .iter()
        .filter_map(|p| IgnorePattern::parse(p).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ptr(text: &str) -> JsonPointer {
        JsonPointer::parse(text).expect("valid pointer")
    }

    fn pattern(text: &str) -> IgnorePattern {
        IgnorePattern::parse(text).expect("valid pattern")
    }

    #[test]
    fn parses_root_and_escapes() {
        assert!(ptr("").is_root());
        assert_eq!(JsonPointer::root(), ptr(""));
        assert_eq!(ptr("/a~1b/c~0d").tokens(), ["a/b", "c~d"]);
        assert_eq!(ptr("/").tokens(), [""]);
        assert_eq!(ptr("/~01").tokens(), ["~1"]);
    }

    #[test]
    fn rejects_bad_pointers() {
        assert!(
            JsonPointer::parse("a")
                .unwrap_err()
                .to_string()
                .contains("start with `/`")
        );
        assert!(
            JsonPointer::parse("/a~2")
                .unwrap_err()
                .to_string()
                .contains("`~`")
        );
        assert!(JsonPointer::parse("/a~").is_err());
    }

    #[test]
    fn displays_round_trip() {
        for text in ["", "/", "/a~1b/c~0d", "/items/0/name", "/~01"] {
            assert_eq!(ptr(text).to_string(), text);
        }
        assert_eq!(JsonPointer::from_tokens(["a/b"]).to_string(), "/a~1b");
    }

    #[test]
    fn gets_rfc6901_examples() {
        let doc = json!({"foo": ["bar", "baz"], "": 0, "a/b": 1, "m~n": 8, " ": 7});
        assert_eq!(ptr("").get(&doc), Some(&doc));
        assert_eq!(ptr("/foo/0").get(&doc), Some(&json!("bar")));
        assert_eq!(ptr("/").get(&doc), Some(&json!(0)));
        assert_eq!(ptr("/a~1b").get(&doc), Some(&json!(1)));
        assert_eq!(ptr("/m~0n").get(&doc), Some(&json!(8)));
        assert_eq!(ptr("/ ").get(&doc), Some(&json!(7)));
        assert_eq!(ptr("/foo/2").get(&doc), None);
        assert_eq!(ptr("/foo/01").get(&doc), None);
        assert_eq!(ptr("/foo/-").get(&doc), None);
        assert_eq!(ptr("/foo/0/x").get(&doc), None);
    }

    #[test]
    fn removes_a_member() {
        let mut doc = json!({"a": 1, "b": {"c": 2}});
        assert_eq!(ptr("/b/c").remove(&mut doc), Some(json!(2)));
        assert_eq!(doc, json!({"a": 1, "b": {}}));
        assert_eq!(ptr("").remove(&mut doc), None);
    }

    #[test]
    fn pattern_parses_wildcards_and_displays() {
        let p = pattern("/items/*/updated~1at");
        assert_eq!(p.to_string(), "/items/*/updated~1at");
        assert!(IgnorePattern::parse("").is_err());
        assert!(IgnorePattern::parse("items").is_err());
    }

    #[test]
    fn pattern_matches_and_covers() {
        let p = pattern("/items/*/updatedAt");
        assert!(p.matches(&ptr("/items/3/updatedAt")));
        assert!(p.matches(&ptr("/items/x/updatedAt")));
        assert!(!p.matches(&ptr("/items/3")));
        assert!(!p.matches(&ptr("/items/3/updatedAt/x")));
        assert!(p.covers(&ptr("/items/3/updatedAt/x")));
        assert!(!p.covers(&ptr("/items/3/name")));
    }

    #[test]
    fn removes_every_wildcard_match_without_shifting() {
        let mut doc = json!({
            "updatedAt": "t0",
            "items": [{"id": 1, "updatedAt": "t1"}, {"id": 2}, {"id": 3, "updatedAt": "t3"}]
        });
        strip_all(&[pattern("/items/*/updatedAt")], &mut doc);
        assert_eq!(doc["items"], json!([{"id": 1}, {"id": 2}, {"id": 3}]));
        assert_eq!(doc["updatedAt"], json!("t0"));
    }

    #[test]
    fn removes_whole_array_elements_by_wildcard() {
        let mut doc = json!({"log": ["a", "b", "c"], "keep": 1});
        strip_all(&[pattern("/log/*")], &mut doc);
        assert_eq!(doc, json!({"log": [], "keep": 1}));
    }

    #[test]
    fn strip_all_matches_against_the_original_indexes() {
        let mut doc = json!({"xs": ["a", "b", "c", "d"]});
        strip_all(&[pattern("/xs/1"), pattern("/xs/2")], &mut doc);
        assert_eq!(doc, json!({"xs": ["a", "d"]}));
    }

    #[test]
    fn strip_all_handles_nested_and_duplicate_matches() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": 3});
        strip_all(&[pattern("/a/b"), pattern("/a"), pattern("/*/b")], &mut doc);
        assert_eq!(doc, json!({"d": 3}));
    }

    #[test]
    fn missing_places_remove_nothing() {
        let mut doc = json!({"a": 1});
        strip_all(&[pattern("/b"), pattern("/a/*")], &mut doc);
        assert_eq!(doc, json!({"a": 1}));
    }
}
