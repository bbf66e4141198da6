//! Canonical forms of state for comparison: ignored fields removed, run-owned ids replaced by
//! stable placeholders, so that two snapshots compare equal exactly when their meaningful state is
//! equal.

use std::fmt::Write as _;

use serde_json::Value;

use crate::scenario::pointer::strip_all;
use crate::scenario::{IgnorePattern, Resource};
use crate::snapshot::opaque::METADATA;
use crate::snapshot::write_time;

/// What a masked entity tag reads as in a canonical state.
pub(crate) const ENTITY_TAG: &str = "{entity tag}";

/// How states are canonicalised before comparison.
#[derive(Debug, Clone, Default)]
pub struct Canon {
    /// Declared and auto-detected ignore patterns, applied to item bodies (and to each item
    /// of a collection).
    pub(crate) ignore: Vec<IgnorePattern>,
    /// Run-owned ids to replace, in order: the n-th id becomes `{id:n}`.
    pub(crate) ids: Vec<String>,
    /// When set, the members the client sends (top-level names): every time in the other
    /// members is write metadata and masked ([`write_time`]).
    pub(crate) write_times: Option<Vec<String>>,
}

impl Canon {
    /// A canon with ignore patterns and no id mapping.
    pub fn with_ignore(ignore: Vec<IgnorePattern>) -> Canon {
        Canon {
            ignore,
            ids: Vec::new(),
            write_times: None,
        }
    }

    /// The canon a resource declares: its ignore patterns, and its write times masked unless
    /// it sets `write_metadata = false`.
    pub(crate) fn declared(resource: &Resource) -> Canon {
        Canon {
            write_times: resource.write_metadata.then(|| {
                resource
                    .body
                    .top_level_members()
                    .into_iter()
                    .map(String::from)
                    .collect()
            }),
            ..Canon::with_ignore(resource.ignore.clone())
        }
    }

    /// The same canon with ids mapped to placeholders (for comparing two different resources).
    pub fn mapping_ids(mut self, ids: Vec<String>) -> Canon {
        self.ids = ids;
        self
    }

    /// Canonical form of an item state (`{"status", "body"}` as built by `ItemSnapshot`).
    pub fn item_state(&self, state: &Value) -> Value {
        let mut state = state.clone();
        if let Some(body) = state.get_mut("body") {
            self.strip(body);
        }
        if self.write_times.is_some()
            && let Some(Value::Object(metadata)) = state.get_mut(METADATA)
        {
            mask_entity_tags(metadata);
        }
        self.replace_ids(&mut state);
        state
    }

    /// Canonical form of a collection state (`{"status", "items"}`).
    pub(crate) fn collection_state(&self, state: &Value) -> Value {
        let mut state = state.clone();
        if let Some(Value::Array(items)) = state.get_mut("items") {
            for item in items.iter_mut() {
                self.strip(item);
                if self.write_times.is_some() {
                    mask_entity_tags_within(item);
                }
            }
        }
        self.replace_ids(&mut state);
        state
    }

    /// Canonical form of a bare body (e.g. a response body).
    pub(crate) fn body(&self, body: &Value) -> Value {
        let mut body = body.clone();
        self.strip(&mut body);
        self.replace_ids(&mut body);
        body
    }

    fn strip(&self, value: &mut Value) {
        strip_all(&self.ignore, value);
        if let Some(client_members) = &self.write_times {
            write_time::mask(value, client_members);
        }
    }

    fn replace_ids(&self, value: &mut Value) {
        if self.ids.iter().all(String::is_empty) {
            return;
        }
        // Longest first, so that an id which is a prefix of another (`x-1`, `x-10`) never
        // replaces part of the longer one. Sorted once per value, not once per string.
        let mut order: Vec<(usize, &str)> = self
            .ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !id.is_empty())
            .map(|(n, id)| (n, id.as_str()))
            .collect();
        order.sort_by_key(|(_, id)| std::cmp::Reverse(id.len()));
        let finders: Vec<(usize, &str, memchr::memmem::Finder)> = order
            .into_iter()
            .map(|(n, id)| (n, id, memchr::memmem::Finder::new(id)))
            .collect();
        replace_in(value, &finders);
    }
}

/// Entity tags are write metadata too: a representation's `ETag` and a WebDAV listing's
/// `getetag` (RFC 4918 §15.6) are the server's validator for one resource, minted on each write
/// from a modification time, an inode or a revision (Apache and rclone make a new one for every
/// write, identical rewrites included; WsgiDAV's holds the file's inode, so two files never
/// share one). Comparisons across writes or of two resources mask them with the write times;
/// that a tag is present still counts. `etag-stability` and the conditional checks judge the
/// tags themselves, from the exchanges.
fn mask_entity_tags(metadata: &mut serde_json::Map<String, Value>) {
    mask_member(metadata, "etag");
}

fn mask_member(members: &mut serde_json::Map<String, Value>, name: &str) {
    if let Some(tag) = members.get_mut(name) {
        *tag = Value::String(ENTITY_TAG.into());
    }
}

/// The `getetag` of a WebDAV listing's item, at any depth (`propstat/prop/getetag`). Only that
/// DAV property: a JSON item's own `etag` member is the item's data.
fn mask_entity_tags_within(value: &mut Value) {
    match value {
        Value::Object(members) => {
            mask_member(members, "getetag");
            members.values_mut().for_each(mask_entity_tags_within);
        }
        Value::Array(items) => items.iter_mut().for_each(mask_entity_tags_within),
        _ => {}
    }
}

/// Replaces every id (longest first, each with a prebuilt substring finder) by its `{id:n}`
/// placeholder in every string, where it stands on its own: not inside a longer run of letters
/// and digits (a numeric id `6` is replaced in `/things/6`, never in a name like `Ab6c`).
fn replace_in(value: &mut Value, ids: &[(usize, &str, memchr::memmem::Finder)]) {
    match value {
        Value::String(text) => {
            for (n, id, finder) in ids {
                if finder.find(text.as_bytes()).is_some() {
                    *text = replace_standalone(text, id, &format!("{{id:{}}}", n + 1));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_in(v, ids)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_in(v, ids)),
        _ => {}
    }
}

/// `text` with every occurrence of `id` that no letter or digit touches replaced by `by`.
fn replace_standalone(text: &str, id: &str, by: &str) -> String {
    let alnum_at = |i: Option<char>| i.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(id) {
        if at < rest {
            continue;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        let joined = |c: Option<char>, edge: Option<char>| alnum_at(c) && alnum_at(edge);
        if joined(before, id.chars().next()) || joined(after, id.chars().next_back()) {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str(by);
        rest = at + id.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// Concrete JSON pointers of the leaves where `a` and `b` differ (a member present on one side
/// only counts as a difference at that member). Sorted, without duplicates.
pub fn differing_leaves(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_differences(a, b, &mut String::new(), &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect_differences(a: &Value, b: &Value, path: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            // Every key of `a` (differing or missing in `b`), then the keys only `b` has; the
            // caller sorts the result.
            for (key, va) in ma {
                let len = push_token(path, key);
                match mb.get(key) {
                    Some(vb) => collect_differences(va, vb, path, out),
                    None => out.push(path.clone()),
                }
                path.truncate(len);
            }
            for key in mb.keys().filter(|key| !ma.contains_key(*key)) {
                let len = push_token(path, key);
                out.push(path.clone());
                path.truncate(len);
            }
        }
        (Value::Array(va), Value::Array(vb)) if va.len() == vb.len() => {
            for (i, (x, y)) in va.iter().zip(vb).enumerate() {
                let len = path.len();
                let _ = write!(path, "/{i}");
                collect_differences(x, y, path, out);
                path.truncate(len);
            }
        }
        _ if a == b => {}
        _ => out.push(path.clone()),
    }
}

/// Appends `/token` (escaped per RFC 6901) to `path`; returns the length to truncate back to.
fn push_token(path: &mut String, token: &str) -> usize {
    let len = path.len();
    path.push('/');
    if token.contains(['~', '/']) {
        path.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        path.push_str(token);
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_changed_added_and_removed_leaves() {
        let a = json!({"a": 1, "b": {"c": [1, 2]}, "gone": true});
        let b = json!({"a": 2, "b": {"c": [1, 3]}, "new": null});
        assert_eq!(
            differing_leaves(&a, &b),
            vec!["/a", "/b/c/1", "/gone", "/new"]
        );
        assert!(differing_leaves(&a, &a).is_empty());
    }

    #[test]
    fn arrays_of_different_length_differ_as_a_whole() {
        assert_eq!(
            differing_leaves(&json!({"t": [1]}), &json!({"t": [1, 2]})),
            vec!["/t"]
        );
    }

    #[test]
    fn replaces_run_ids_by_placeholders() {
        let canon = Canon::default().mapping_ids(vec!["idf-x-1".into()]);
        let body = canon.body(&json!({"id": "idf-x-1", "self": "/things/idf-x-1", "n": 1}));
        assert_eq!(
            body,
            json!({"id": "{id:1}", "self": "/things/{id:1}", "n": 1})
        );
        let numeric = Canon::default().mapping_ids(vec!["6".into()]);
        assert_eq!(
            numeric.body(&json!({"self": "/books/6/", "id": "6", "title": "ab6c 6"})),
            json!({"self": "/books/{id:1}/", "id": "{id:1}", "title": "ab6c {id:1}"}),
            "a short id is replaced only where it stands alone"
        );
        let prefixes = Canon::default().mapping_ids(vec!["x-1".into(), "x-10".into()]);
        assert_eq!(
            prefixes.body(&json!(["x-10", "x-1"])),
            json!(["{id:2}", "{id:1}"])
        );
        // A numeric server id is replaced where it stands alone, never inside a word.
        let numeric = Canon::default().mapping_ids(vec!["6".into()]);
        assert_eq!(
            numeric.body(&json!({"self": "/things/6", "name": "Ab6c", "n": "6"})),
            json!({"self": "/things/{id:1}", "name": "Ab6c", "n": "{id:1}"})
        );
    }
}
