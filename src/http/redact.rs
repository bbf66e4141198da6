//! Which header values are secrets, and how they are shown instead.

use crate::http::model::Body;
use crate::scenario::TargetHeader;

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
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    /// (secret text, what to show instead), longest first.
    secrets: Vec<(String, String)>,
}

/// Secret parts shorter than this are not scrubbed on their own (too likely to be ordinary text).
const MIN_SECRET_PART: usize = 6;

impl Scrubber {
    /// A scrubber for the secret headers of a target.
    pub fn for_headers(headers: &[TargetHeader]) -> Scrubber {
        let mut secrets = Vec::new();
        for header in headers.iter().filter(|h| h.secret && !h.value.is_empty()) {
            secrets.push((header.value.clone(), header.shown.clone()));
            let shown_words: Vec<&str> = header.shown.split_whitespace().collect();
            secrets.extend(
                header
                    .value
                    .split_whitespace()
                    .filter(|part| part.len() >= MIN_SECRET_PART && !shown_words.contains(part))
                    .map(|part| (part.to_string(), REDACTED.to_string())),
            );
        }
        secrets.sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
        Scrubber { secrets }
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
    fn echoed_secrets_are_scrubbed_from_text_and_json() {
        let scrubber = Scrubber::for_headers(&[TargetHeader {
            name: "Authorization".into(),
            value: "Bearer tok-123456".into(),
            shown: "Bearer ${API_TOKEN}".into(),
            secret: true,
        }]);
        assert_eq!(
            scrubber.text("got Bearer tok-123456!"),
            "got Bearer ${API_TOKEN}!"
        );
        assert_eq!(scrubber.text("token=tok-123456"), "token=<redacted>");
        let body = Body::Json {
            value: serde_json::json!({"echo": {"authorization": "Bearer tok-123456"}}),
        };
        assert_eq!(
            scrubber.body(body),
            Body::Json {
                value: serde_json::json!({"echo": {"authorization": "Bearer ${API_TOKEN}"}})
            }
        );
        assert_eq!(scrubber.text("Bearer stays"), "Bearer stays");
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
