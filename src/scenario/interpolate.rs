//! `${ENV_VAR}` interpolation in header values.
//!
//! Values come from an [`EnvSnapshot`], never from the process environment directly. `$$` stands
//! for a literal `$`; a `$` followed by anything else is kept as it is.

use crate::env::EnvSnapshot;

/// A header value after interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interpolated {
    /// The value to send.
    pub(crate) value: String,
    /// The value to show: the file's text (with `${VAR}` left in) when a variable was used, so a
    /// report prints `Bearer ${API_TOKEN}` and a reproduction can let the user's shell expand it;
    /// the value otherwise.
    pub(crate) shown: String,
    /// True when at least one `${VAR}` was expanded.
    pub(crate) used_env: bool,
}

/// What an unset variable stands for in a snapshot that
/// [stands in for unset variables](EnvSnapshot::standing_in_for_unset) (`check`): a value
/// every rule on header values and credentials accepts.
pub(crate) const STAND_IN: &str = "idemfuzz-check-stand-in";

/// Why a `${VAR}` reference cannot be expanded; each names the variable or the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InterpolateError {
    #[error("environment variable `{name}` is not set")]
    Unset { name: String },
    #[error("unterminated `${{` in `{text}` (write `$$` for a literal `$`)")]
    Unterminated { text: String },
    #[error(
        "invalid environment variable name `{name}` in `{text}`: use letters, digits and `_`, not starting with a digit"
    )]
    BadName { name: String, text: String },
}

/// Expands every `${VAR}` in `text`. An unset variable or a malformed reference is an error
/// that names it (an unset one is [`STAND_IN`] when the snapshot says so).
pub(crate) fn interpolate(text: &str, env: &EnvSnapshot) -> Result<Interpolated, InterpolateError> {
    let mut used_env = false;
    let value = expand(text, |name| {
        used_env = true;
        match env.get(name) {
            Some(value) => Ok(value),
            None if env.stands_in_for_unset() => Ok(STAND_IN),
            None => Err(InterpolateError::Unset {
                name: name.to_owned(),
            }),
        }
    })?;
    let shown = if used_env {
        text.to_owned()
    } else {
        value.clone()
    };
    Ok(Interpolated {
        value,
        shown,
        used_env,
    })
}

/// The names of the variables `text` refers to, in order (none for a malformed reference).
pub(crate) fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let expanded = expand(text, |name| {
        names.push(name.to_owned());
        Ok("")
    });
    if expanded.is_err() {
        names.clear();
    }
    names
}

/// `text` with every `${VAR}` replaced by what `lookup` gives for `VAR`, and `$$` by `$`.
fn expand<'v>(
    text: &str,
    mut lookup: impl FnMut(&str) -> Result<&'v str, InterpolateError>,
) -> Result<String, InterpolateError> {
    let mut value = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        value.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            value.push('$');
            rest = tail;
        } else if let Some(reference) = after.strip_prefix('{') {
            let (name, tail) = variable_name(reference, text)?;
            value.push_str(lookup(name)?);
            rest = tail;
        } else {
            value.push('$');
            rest = after;
        }
    }
    value.push_str(rest);
    Ok(value)
}

/// Splits `NAME}rest` into the variable name and what follows the `}`.
fn variable_name<'a>(
    reference: &'a str,
    whole: &str,
) -> Result<(&'a str, &'a str), InterpolateError> {
    let close = reference
        .find('}')
        .ok_or_else(|| InterpolateError::Unterminated {
            text: whole.to_owned(),
        })?;
    let name = &reference[..close];
    if !crate::scenario::placeholder::is_name(name) {
        return Err(InterpolateError::BadName {
            name: name.to_owned(),
            text: whole.to_owned(),
        });
    }
    Ok((name, &reference[close + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> EnvSnapshot {
        EnvSnapshot::from_pairs([("API_TOKEN", "s3cr3t"), ("USER_1", "bob")])
    }

    #[test]
    fn expands_variables_and_keeps_the_shown_form() {
        let got = interpolate("Bearer ${API_TOKEN}", &env()).expect("set");
        assert_eq!(got.value, "Bearer s3cr3t");
        assert_eq!(got.shown, "Bearer ${API_TOKEN}");
        assert!(got.used_env);
    }

    #[test]
    fn several_variables() {
        let got = interpolate("${USER_1}:${API_TOKEN}", &env()).expect("set");
        assert_eq!(got.value, "bob:s3cr3t");
    }

    #[test]
    fn plain_text_is_unchanged() {
        let got = interpolate("application/json", &env()).expect("plain");
        assert_eq!(got.value, "application/json");
        assert_eq!(got.shown, "application/json");
        assert!(!got.used_env);
    }

    #[test]
    fn dollars() {
        let got = interpolate("a$$b $5 $", &env()).expect("literal dollars");
        assert_eq!(got.value, "a$b $5 $");
        assert_eq!(got.shown, "a$b $5 $");
        let got = interpolate("$${API_TOKEN}", &env()).expect("escaped");
        assert_eq!(got.value, "${API_TOKEN}");
        assert!(!got.used_env);
    }

    #[test]
    fn unset_variable_is_named() {
        let err = interpolate("Bearer ${MISSING}", &env()).expect_err("unset");
        assert_eq!(err.to_string(), "environment variable `MISSING` is not set");
    }

    #[test]
    fn unset_variables_stand_in_when_the_snapshot_says_so() {
        let lenient = env().standing_in_for_unset();
        let got = interpolate("Bearer ${MISSING} ${API_TOKEN}", &lenient).expect("stands in");
        assert_eq!(got.value, format!("Bearer {STAND_IN} s3cr3t"));
        assert_eq!(got.shown, "Bearer ${MISSING} ${API_TOKEN}");
        assert!(interpolate("${1X}", &lenient).is_err(), "still malformed");
    }

    #[test]
    fn variables_are_named_in_order() {
        assert_eq!(variables("${A}:$${B} $x ${C_1}"), ["A", "C_1"]);
        assert!(variables("plain").is_empty());
        assert!(variables("${A} ${").is_empty(), "malformed");
    }

    #[test]
    fn malformed_references() {
        assert!(
            interpolate("${API_TOKEN", &env())
                .expect_err("open")
                .to_string()
                .contains("unterminated")
        );
        assert!(
            interpolate("${}", &env())
                .expect_err("empty")
                .to_string()
                .contains("invalid environment variable name ``")
        );
        assert!(interpolate("${1X}", &env()).is_err());
        assert!(interpolate("${A-B}", &env()).is_err());
    }
}
