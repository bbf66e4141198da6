//! Idempotency-Key support (draft-ietf-httpapi-idempotency-key-header-07): reading the key,
//! fingerprinting the payload, and remembering each key's first answer for exact replay.

use std::collections::HashMap;

use axum::http::HeaderMap;
use serde_json::Value;

use super::etag::{digest, fnv1a};
use super::problem::Problem;

/// The request header carrying the key.
const HEADER: &str = "idempotency-key";

/// Longest key accepted, in characters.
const MAX_KEY_LEN: usize = 255;

/// The key of a request, if it sent one; a malformed or repeated header is a 400 problem.
///
/// The value is a structured-field string (`"abc"`); the bare token form (`abc`) is accepted too.
pub(super) fn key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let mut values = headers.get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Problem::bad_request("send Idempotency-Key once"));
    }
    let text = value
        .to_str()
        .map_err(|_| Problem::bad_request("Idempotency-Key must be printable ASCII"))?;
    let key = parse_key(text.trim()).ok_or_else(|| {
        Problem::bad_request(format!(
            "Idempotency-Key must be a structured-field string such as \"abc\" (at most \
             {MAX_KEY_LEN} characters); got {text}"
        ))
    })?;
    Ok(Some(key))
}

/// Parses an sf-string (RFC 8941 §3.3.3) or a bare token-like key; `None` when it is neither,
/// or is empty or too long.
fn parse_key(text: &str) -> Option<String> {
    let key = match text.strip_prefix('"') {
        Some(quoted) => parse_sf_string(quoted)?,
        None => parse_bare_key(text)?,
    };
    (!key.is_empty() && key.chars().count() <= MAX_KEY_LEN).then_some(key)
}

/// The content of an sf-string whose opening quote is already consumed.
fn parse_sf_string(rest: &str) -> Option<String> {
    let mut key = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().is_empty().then_some(key),
            '\\' => match chars.next() {
                Some(escaped @ ('"' | '\\')) => key.push(escaped),
                _ => return None,
            },
            ' '..='~' => key.push(c),
            _ => return None,
        }
    }
    None
}

/// A bare key: the characters of an sf-token, leniently allowing a leading digit so that
/// unquoted UUIDs (as many clients send them) are accepted.
fn parse_bare_key(text: &str) -> Option<String> {
    text.chars()
        .all(|c| is_tchar(c) || c == ':' || c == '/')
        .then(|| text.to_string())
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The fingerprint of a payload: equal JSON (whatever the member order or spacing) gives equal
/// fingerprints; a body that is not JSON is fingerprinted byte for byte.
pub(super) fn fingerprint(body: &[u8]) -> u64 {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => digest(&value),
        Err(_) => fnv1a(body),
    }
}

/// What the table says about a key.
pub(super) enum Lookup<R> {
    /// The key is new: process the request and [`KeyTable::remember`] the answer.
    Fresh,
    /// The key was used with the same payload: answer this again.
    Replay(R),
    /// The key's first request is still being processed (it was [`KeyTable::reserve`]d): 409.
    InFlight,
    /// The key was used with a different payload: 422.
    Mismatch,
}

/// Each key's payload fingerprint and first answer (`None` while that request is in flight).
/// Keys do not expire (a demo server is short lived) and are not scoped to a caller (the demo
/// has no authentication).
#[derive(Debug)]
pub(super) struct KeyTable<R> {
    entries: HashMap<String, (u64, Option<R>)>,
}

impl<R> Default for KeyTable<R> {
    fn default() -> KeyTable<R> {
        KeyTable {
            entries: HashMap::new(),
        }
    }
}

impl<R: Clone> KeyTable<R> {
    pub(super) fn lookup(&self, key: &str, fingerprint: u64) -> Lookup<R> {
        match self.entries.get(key) {
            None => Lookup::Fresh,
            Some((stored, _)) if *stored != fingerprint => Lookup::Mismatch,
            Some((_, Some(answer))) => Lookup::Replay(answer.clone()),
            Some((_, None)) => Lookup::InFlight,
        }
    }

    /// Marks a key's first request as in flight, before it is processed.
    pub(super) fn reserve(&mut self, key: String, fingerprint: u64) {
        self.entries.insert(key, (fingerprint, None));
    }

    pub(super) fn remember(&mut self, key: String, fingerprint: u64, answer: R) {
        self.entries.insert(key, (fingerprint, Some(answer)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn key_of(value: &'static str) -> Result<Option<String>, Problem> {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static(value));
        key(&headers)
    }

    #[test]
    fn reads_strings_and_tokens() {
        assert_eq!(key_of(r#""abc-1""#), Ok(Some("abc-1".into())));
        assert_eq!(key_of(r#""a \"q\" \\ b""#), Ok(Some(r#"a "q" \ b"#.into())));
        assert_eq!(key_of("abc:1/x"), Ok(Some("abc:1/x".into())));
        let uuid = "8e03978e-40d5-43e8-bc93-6894a57f9324";
        assert_eq!(key_of(uuid), Ok(Some(uuid.into())));
        assert_eq!(key(&HeaderMap::new()), Ok(None));
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in [r#""""#, r#""open"#, r#""a"b"#, r#""\x""#, "a b", "a,b", ""] {
            assert!(key_of(bad).is_err(), "{bad}");
        }
        let mut headers = HeaderMap::new();
        headers.append(HEADER, HeaderValue::from_static("\"a\""));
        headers.append(HEADER, HeaderValue::from_static("\"b\""));
        assert!(key(&headers).is_err());
    }

    #[test]
    fn fingerprints_ignore_json_formatting() {
        assert_eq!(
            fingerprint(br#"{"a":1,"b":2}"#),
            fingerprint(b"{ \"b\": 2, \"a\": 1 }")
        );
        assert_ne!(fingerprint(br#"{"a":1}"#), fingerprint(br#"{"a":2}"#));
        assert_ne!(fingerprint(b"x"), fingerprint(b"y"));
    }

    #[test]
    fn table_replays_or_reports_mismatch() {
        let mut table = KeyTable::default();
        assert!(matches!(table.lookup("k", 1), Lookup::Fresh));
        table.remember("k".into(), 1, "first");
        assert!(matches!(table.lookup("k", 1), Lookup::Replay("first")));
        assert!(matches!(table.lookup("k", 2), Lookup::Mismatch));
        table.reserve("r".into(), 1);
        assert!(matches!(table.lookup("r", 1), Lookup::InFlight));
        assert!(matches!(table.lookup("r", 2), Lookup::Mismatch));
    }
}
