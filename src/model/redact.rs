//! Which header values are secrets, and how they are shown instead (a target's secret headers
//! make a scrubber in `crate::scenario`).

use crate::model::exchange::Body;

/// The text shown in place of a secret value.
pub(crate) const REDACTED: &str = "<redacted>";

/// True for header names that carry credentials: Authorization, Proxy-Authorization, Cookie,
/// Set-Cookie, and any name containing "token", "key" (but not Idempotency-Key), "secret",
/// "auth" or "password".
pub(crate) fn is_credential_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == "idempotency-key" {
        return false;
    }
    matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || ["token", "key", "secret", "auth", "password", "session"]
        .iter()
        .any(|word| lower.contains(word))
}

/// The value to record for a header: redacted when the name is a credential.
pub(crate) fn shown_value(name: &str, value: &str) -> String {
    if is_credential_header(name) {
        REDACTED.to_string()
    } else {
        value.to_string()
    }
}

/// Replaces secret header values (and their secret parts, e.g. the token of
/// `Bearer TOKEN`) wherever a server echoes them back, so recorded answers can be printed.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    /// (secret text, what to show instead), longest first.
    secrets: Vec<(String, String)>,
}

/// Never shows the secrets, only how many there are.
impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secret(s))", self.secrets.len())
    }
}

/// Authentication scheme names (IANA HTTP Authentication Scheme Registry, and common ones):
/// the first word of an Authorization value, never a secret by itself.
const AUTH_SCHEMES: [&str; 10] = [
    "basic",
    "bearer",
    "digest",
    "negotiate",
    "mutual",
    "scram-sha-1",
    "scram-sha-256",
    "aws4-hmac-sha256",
    "signature",
    "concealed",
];

fn is_auth_scheme(word: &str) -> bool {
    AUTH_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(word))
}

/// Secret parts shorter than this are not scrubbed on their own (too likely to be ordinary text).
const MIN_SECRET_PART: usize = 6;

impl Scrubber {
    /// A scrubber that shows each secret (and each of its long enough words) as `<redacted>`.
    pub(crate) fn for_secrets<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Scrubber {
        let mut scrubber = Scrubber::default();
        for secret in secrets {
            scrubber.add(secret.as_ref(), REDACTED);
        }
        scrubber
    }

    /// Adds a secret, shown as `shown`; its whitespace-separated words of at least 6 bytes that
    /// `shown` does not contain are shown as `<redacted>` (so `Bearer TOKEN` also hides a bare
    /// `TOKEN`). Returns false when the secret was already known (or is empty).
    /// A server that echoes a secret percent-encoded (in a `Location`, a link, a query) shows
    /// it in another spelling: each of those spellings is hidden too.
    pub(crate) fn add(&mut self, secret: &str, shown: &str) -> bool {
        if secret.is_empty() || self.knows(secret) {
            return false;
        }
        self.insert(secret, shown);
        let shown_words: Vec<&str> = shown.split_whitespace().collect();
        for part in secret.split_whitespace() {
            if part.len() >= MIN_SECRET_PART
                && part != secret
                && !is_auth_scheme(part)
                && !shown_words.contains(&part)
            {
                self.insert(part, REDACTED);
            }
        }
        let parts: Vec<String> = std::iter::once(secret)
            .chain(
                secret
                    .split_whitespace()
                    .filter(|p| p.len() >= MIN_SECRET_PART),
            )
            .flat_map(url_spellings)
            .collect();
        for spelling in parts {
            self.insert(&spelling, REDACTED);
        }
        self.secrets
            .sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
        true
    }

    /// Adds every secret `other` knows, shown as `other` shows it.
    pub(crate) fn merge(&mut self, other: &Scrubber) {
        for (secret, shown) in &other.secrets {
            self.insert(secret, shown);
        }
        self.secrets
            .sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
    }

    fn knows(&self, secret: &str) -> bool {
        self.secrets.iter().any(|(known, _)| known == secret)
    }

    /// Remembers one text to hide, unless it is known already.
    fn insert(&mut self, secret: &str, shown: &str) {
        if !secret.is_empty() && !self.knows(secret) {
            self.secrets.push((secret.to_owned(), shown.to_owned()));
        }
    }

    /// Text with every secret replaced.
    pub(crate) fn text(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |acc, (secret, shown)| {
                acc.replace(secret.as_str(), shown)
            })
    }

    /// A recorded body with every secret replaced (in JSON: in every string, keys included).
    pub(crate) fn body(&self, body: Body) -> Body {
        if self.secrets.is_empty() {
            return body;
        }
        match body {
            Body::Json { value } => Body::Json {
                value: self.json(value),
            },
            Body::Text { text, truncated } => Body::Text {
                text: self.text(&text),
                truncated,
            },
            other => other,
        }
    }

    fn json(&self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(text) => Value::String(self.text(&text)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.text(&k), self.json(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// The spellings of `secret` percent-encoded as URL encoders write it, other than `secret`
/// itself: every byte but letters and digits encoded, or every byte but RFC 3986's unreserved
/// ones (`-._~`), or as a form (space as `+`); with upper- and lower-case hex digits.
fn url_spellings(secret: &str) -> Vec<String> {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let mut spellings = vec![
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        utf8_percent_encode(secret, UNRESERVED_KEPT).to_string(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
    ];
    let lower: Vec<String> = spellings.iter().map(|s| lower_hex(s)).collect();
    spellings.extend(lower);
    let mut distinct: Vec<String> = Vec::new();
    for spelling in spellings {
        if spelling != secret && !distinct.contains(&spelling) {
            distinct.push(spelling);
        }
    }
    distinct
}

/// `%2F` written `%2f`: the two hex digits after each `%` in lower case.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut after_percent = 0;
    for c in encoded.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_a_server_echoes_percent_encoded_are_redacted_too() {
        let scrubber = Scrubber::for_secrets(["Bearer s3cret tok/en+v=1"]);
        for echoed in [
            "Bearer%20s3cret%20tok%2Fen%2Bv%3D1",
            "tok%2Fen%2Bv%3D1",
            "tok%2fen%2bv%3d1",
            "Bearer+s3cret+tok%2Fen%2Bv%3D1",
        ] {
            let shown = scrubber.text(&format!("/things/x?t={echoed}"));
            assert_eq!(shown, "/things/x?t=<redacted>", "{echoed}");
        }
        assert_eq!(scrubber.text("tok"), "tok");
    }

    #[test]
    fn plain_secrets_are_redacted_with_their_words() {
        let mut scrubber = Scrubber::for_secrets(["Bearer tok-abcdef"]);
        assert_eq!(
            scrubber.text("a Bearer tok-abcdef b tok-abcdef"),
            "a <redacted> b <redacted>"
        );
        assert!(scrubber.add("Basic dXNlcjpwYXNz", REDACTED));
        assert!(!scrubber.add("Basic dXNlcjpwYXNz", REDACTED), "known");
        assert!(!scrubber.add("", REDACTED), "empty");
        assert_eq!(scrubber.text("dXNlcjpwYXNz"), REDACTED);
        assert_eq!(scrubber.text("Bearer and Basic"), "Bearer and Basic");
    }

    #[test]
    fn credential_headers_are_recognised() {
        for name in [
            "Authorization",
            "X-Api-Key",
            "x-auth-token",
            "Cookie",
            "Set-Cookie",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in ["Content-Type", "ETag", "Idempotency-Key", "Location"] {
            assert!(!is_credential_header(name), "{name}");
        }
        assert_eq!(shown_value("Authorization", "Bearer x"), REDACTED);
        assert_eq!(
            shown_value("Accept", "application/json"),
            "application/json"
        );
    }
}
