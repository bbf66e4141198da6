//! `[target.auth]` as validated data: how every request of a target authenticates (a bearer
//! token, basic credentials, or a command that prints a token). Every value here is a secret;
//! the shown forms are what reports and curl reproductions print instead.

/// The variable a curl reproduction asks the user to set for a bearer token that did not come
/// from the environment (a literal in the file, or the output of a token command).
pub(crate) const TOKEN_VARIABLE: &str = "IDEMFUZZ_TOKEN";
/// The variable a curl reproduction asks the user to set for basic credentials
/// (`base64(user:password)`).
pub(crate) const BASIC_VARIABLE: &str = "IDEMFUZZ_BASIC_AUTH";

/// How the requests of a target authenticate. Sent as an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Auth {
    /// `Authorization: Bearer TOKEN`.
    Bearer(SecretText),
    /// `Authorization: Basic base64(USER:PASSWORD)`.
    Basic {
        user: SecretText,
        password: SecretText,
    },
    /// `Authorization: Bearer OUTPUT`, where OUTPUT is the standard output (trimmed) of
    /// `sh -c COMMAND`, run before the first request and again when the API answers 401.
    Command(String),
}

/// A secret value and how the file wrote it. Its `Debug` form never shows the value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SecretText {
    /// The value to send.
    pub(crate) value: String,
    /// The file's text with `${VAR}` left in, when the value came from the environment.
    pub(crate) from_env: Option<String>,
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretText")
            .field("value", &crate::model::redact::REDACTED)
            .field("from_env", &self.from_env)
            .finish()
    }
}

impl Auth {
    /// The `Authorization` value as reports and curl reproductions show it: the file's
    /// `${VAR}` form for an environment bearer token, a fixed `${IDEMFUZZ_…}` placeholder
    /// otherwise. Never the secret.
    pub(crate) fn shown(&self) -> String {
        match self {
            Auth::Bearer(SecretText {
                from_env: Some(text),
                ..
            }) => format!("Bearer {text}"),
            Auth::Bearer(_) | Auth::Command(_) => format!("Bearer ${{{TOKEN_VARIABLE}}}"),
            Auth::Basic { .. } => format!("Basic ${{{BASIC_VARIABLE}}}"),
        }
    }

    /// What kind of authentication this is, for messages (`bearer`, `basic`, `command`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Auth::Bearer(_) => "bearer",
            Auth::Basic { .. } => "basic",
            Auth::Command(_) => "command",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(value: &str, from_env: Option<&str>) -> SecretText {
        SecretText {
            value: value.into(),
            from_env: from_env.map(str::to_owned),
        }
    }

    #[test]
    fn shown_forms_never_contain_the_secret() {
        let env_bearer = Auth::Bearer(secret("s3cr3t-token", Some("${API_TOKEN}")));
        assert_eq!(env_bearer.shown(), "Bearer ${API_TOKEN}");
        let literal = Auth::Bearer(secret("s3cr3t-token", None));
        assert_eq!(literal.shown(), "Bearer ${IDEMFUZZ_TOKEN}");
        let basic = Auth::Basic {
            user: secret("bob", None),
            password: secret("hunter22", Some("${PW}")),
        };
        assert_eq!(basic.shown(), "Basic ${IDEMFUZZ_BASIC_AUTH}");
        assert_eq!(
            Auth::Command("vault read x".into()).shown(),
            "Bearer ${IDEMFUZZ_TOKEN}"
        );
        assert!(
            !format!("{basic:?}").contains("hunter22"),
            "Debug hides values"
        );
    }
}
