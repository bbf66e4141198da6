//! Entity tags and conditional requests (RFC 9110 §8.8.3, §13): how a server derives its ETag
//! ([`EtagStyle`], including nginx's mtime-size tag), and the evaluation of `If-Match` /
//! `If-None-Match` in the order of §13.2.2.

use std::time::SystemTime;

use md5::{Digest, Md5};

use super::clock::epoch_seconds;
use super::exchange::Req;

/// How a server derives the ETag of a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EtagStyle {
    /// A strong tag from a hash of the content: changes whenever the bytes change. Correct.
    Content,
    /// nginx's (and WsgiDAV's) strong tag `"<mtime hex>-<size hex>"` from the second of the
    /// last modification and the size: a same-size change within the same second keeps the tag.
    /// Buggy: a strong tag must change with the representation (RFC 9110 §8.8.3).
    MtimeSize,
    /// Apache's (and, in its own format, rclone's) `"<size hex>-<mtime µs hex>"`: every write
    /// changes it, an identical rewrite included. RFC-conformant churn.
    SizeMtimeMicros,
    /// A weak tag `W/"<hash>"`: never matches `If-Match` (strong comparison).
    Weak,
    /// No ETag at all.
    None,
}

impl EtagStyle {
    /// The ETag field value of `content` last modified at `modified`.
    pub(crate) fn tag(self, content: &[u8], modified: SystemTime) -> Option<String> {
        match self {
            EtagStyle::Content => Some(format!("\"{}\"", &sha256_hex(content)[..32])),
            EtagStyle::MtimeSize => Some(format!(
                "\"{:x}-{:x}\"",
                epoch_seconds(modified),
                content.len()
            )),
            EtagStyle::SizeMtimeMicros => Some(format!(
                "\"{:x}-{:x}\"",
                content.len(),
                modified
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros())
            )),
            EtagStyle::Weak => Some(format!("W/\"{}\"", &sha256_hex(content)[..32])),
            EtagStyle::None => None,
        }
    }
}

/// Lower-case hex SHA-256.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex SHA-1 (Eve's `_etag`).
pub(super) fn sha1_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref())
}

/// The raw SHA-1 digest (Express's ETag).
pub(super) fn sha1(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .to_vec()
}

/// Lower-case hex MD5 (S3 ETags, CouchDB revs).
pub(super) fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The outcome of evaluating a request's preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// No precondition, or all of them hold: perform the method.
    Proceed,
    /// `If-None-Match` failed on GET or HEAD: 304.
    NotModified,
    /// A precondition failed: 412, nothing changed.
    Failed,
}

/// Evaluates `If-Match` then `If-None-Match` (RFC 9110 §13.2.2) against the current
/// representation's ETag (`None` when the resource does not exist, `Some(None)`-like cases
/// are a resource without a tag: pass `exists` with `current = None`).
pub(super) fn evaluate(req: &Req, exists: bool, current: Option<&str>) -> Outcome {
    if let Some(if_match) = req.header("if-match") {
        let holds = if if_match.trim() == "*" {
            exists
        } else {
            current.is_some_and(|tag| list(if_match).any(|t| strong_eq(t, tag)))
        };
        if !holds {
            return Outcome::Failed;
        }
    }
    if let Some(if_none_match) = req.header("if-none-match") {
        let matches = if if_none_match.trim() == "*" {
            exists
        } else {
            current.is_some_and(|tag| list(if_none_match).any(|t| weak_eq(t, tag)))
        };
        if matches {
            return if req.is_read() {
                Outcome::NotModified
            } else {
                Outcome::Failed
            };
        }
    }
    Outcome::Proceed
}

/// True when a write's `*` precondition fails: `If-Match: *` on a missing resource or
/// `If-None-Match: *` on an existing one (RFC 9110 §13.1.1, §13.1.2). Neither needs an entity
/// tag, so an API without ETags owes these two as well.
pub(super) fn star_fails(req: &Req, exists: bool) -> bool {
    let star = |name: &str| req.header(name).is_some_and(|value| value.trim() == "*");
    (star("if-match") && !exists) || (star("if-none-match") && exists)
}

fn list(field: &str) -> impl Iterator<Item = &str> {
    field.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Strong comparison (§8.8.3.2): both strong and identical.
pub(super) fn strong_eq(a: &str, b: &str) -> bool {
    !a.starts_with("W/") && !b.starts_with("W/") && a == b
}

/// Weak comparison: identical opaque tags, weakness ignored.
pub(super) fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}
