//! Which header values are secrets, and how they are shown instead.

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

#[cfg(test)]
mod tests {
    use super::*;

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
