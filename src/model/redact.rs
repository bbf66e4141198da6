//! Which header values are secrets, and how they are shown instead (a target's secret headers
//! make a scrubber in `crate::scenario`).

use crate::model::exchange::Body;

/// The text shown in place of a secret value.
pub const REDACTED: &str = "<redacted>";

/// True for header names that carry credentials: Authorization, Proxy-Authorization, Cookie,
/// Set-Cookie, and any name containing "token", "key" (but not Idempotency-Key), "secret",
/// "auth" or "password".
pub fn is_credential_header(name: &str) -> bool {
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
pub fn shown_value(name: &str, value: &str) -> String {
    if is_credential_header(name) {
        REDACTED.to_string()
    } else {
        value.to_string()
    }
}

/// Replaces secret header values (and their secret parts, e.g. the token of
/// `Bearer TOKEN`) wherever a server echoes them back, so recorded answers can be printed.
#[derive(Clone, Default)]
pub struct Scrubber {
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
    pub fn for_secrets<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Scrubber {
        let mut scrubber = Scrubber::default();
        for secret in secrets {
            scrubber.add(secret.as_ref(), REDACTED);
        }
        scrubber
    }

    /// Adds a secret, shown as `shown`; its whitespace-separated words of at least 6 bytes that
    /// `shown` does not contain are shown as `<redacted>` (so `Bearer TOKEN` also hides a bare
    /// `TOKEN`). Returns false when the secret was already known (or is empty).
    pub fn add(&mut self, secret: &str, shown: &str) -> bool {
        if secret.is_empty() || self.secrets.iter().any(|(known, _)| known == secret) {
            return false;
        }
        self.secrets.push((secret.to_owned(), shown.to_owned()));
        let shown_words: Vec<&str> = shown.split_whitespace().collect();
        for part in secret.split_whitespace() {
            if part.len() >= MIN_SECRET_PART
                && part != secret
                && !is_auth_scheme(part)
                && !shown_words.contains(&part)
                && !self.secrets.iter().any(|(known, _)| known == part)
            {
                self.secrets.push((part.to_owned(), REDACTED.to_owned()));
            }
        }
        self.secrets
            .sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
        true
    }

    /// Adds every secret `other` knows, shown as `other` shows it.
    pub fn merge(&mut self, other: &Scrubber) {
        for (secret, shown) in &other.secrets {
            self.add(secret, shown);
        }
    }

    /// Text with every secret replaced.
    pub fn text(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |acc, (secret, shown)| {
                acc.replace(secret.as_str(), shown)
            })
    }

    /// A recorded body with every secret replaced (in JSON: in every string, keys included).
    pub fn body(&self, body: Body) -> Body {
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

#[cfg(test)]
mod tests {
    use super::*;

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
