//! Reading a document's text: JSON or YAML, then the `openapi` version picks the parser
//! (`openapiv3` for 3.0.x, `oas3` for 3.1.x), and the version adapter turns the result into the
//! importer's model.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::OpenApiError;
use super::model::Api;
use super::{v30, v31};

/// The document's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    /// JSON when the text starts with `{` (after white space and a byte-order mark), else YAML.
    fn of(text: &str) -> Syntax {
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            Syntax::Json
        } else {
            Syntax::Yaml
        }
    }

    fn name(self) -> &'static str {
        match self {
            Syntax::Json => "JSON",
            Syntax::Yaml => "YAML",
        }
    }

    fn parse<T: DeserializeOwned>(self, text: &str) -> Result<T, String> {
        let text = text.trim_start_matches('\u{feff}');
        match self {
            Syntax::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
            Syntax::Yaml => yaml_serde::from_str(text).map_err(|e| e.to_string()),
        }
    }
}

/// The version fields, read before the whole document.
#[derive(Debug, Deserialize)]
struct Versions {
    openapi: Option<serde_json::Value>,
    swagger: Option<serde_json::Value>,
}

/// Parses a document. `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Api, OpenApiError> {
    let syntax = Syntax::of(text);
    let versions: Versions = syntax.parse(text).map_err(|reason| OpenApiError::Syntax {
        origin: origin.to_string(),
        format: syntax.name(),
        reason,
    })?;
    if let Some(swagger) = versions.swagger {
        return Err(OpenApiError::UnsupportedVersion {
            origin: origin.to_string(),
            found: format!("Swagger {}", scalar_text(&swagger)),
            hint: " (convert the document to OpenAPI 3 first, e.g. with swagger2openapi)",
        });
    }
    let version = match versions.openapi {
        Some(value) => scalar_text(&value),
        None => {
            return Err(OpenApiError::NotOpenApi {
                origin: origin.to_string(),
            });
        }
    };
    let invalid = |reason: String| OpenApiError::Invalid {
        origin: origin.to_string(),
        version: version.clone(),
        reason,
    };
    if is_minor(&version, "3.0") {
        let doc: openapiv3::OpenAPI = syntax.parse(text).map_err(invalid)?;
        Ok(v30::convert(&doc))
    } else if is_minor(&version, "3.1") {
        let doc: oas3::Spec = syntax.parse(text).map_err(invalid)?;
        Ok(v31::convert(&doc))
    } else {
        Err(OpenApiError::UnsupportedVersion {
            origin: origin.to_string(),
            found: format!("OpenAPI {version}"),
            hint: "",
        })
    }
}

/// `3.0`, `3.0.3`, `3.0.4-rc1`… for minor `3.0`.
fn is_minor(version: &str, minor: &str) -> bool {
    version == minor
        || version
            .strip_prefix(minor)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn scalar_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_or_yaml_by_the_first_character() {
        assert_eq!(Syntax::of("  {\"openapi\": 1}"), Syntax::Json);
        assert_eq!(Syntax::of("\u{feff}{}"), Syntax::Json);
        assert_eq!(Syntax::of("openapi: 3.1.0"), Syntax::Yaml);
    }

    #[test]
    fn minor_versions() {
        assert!(is_minor("3.0.3", "3.0") && is_minor("3.1", "3.1"));
        assert!(!is_minor("3.10.0", "3.1") && !is_minor("3.2.0", "3.1"));
    }

    #[test]
    fn bad_documents_are_errors_not_panics() {
        let cases = [
            ("{", "not a valid JSON document"),
            ("a: [", "not a valid YAML document"),
            ("- 1\n- 2", "not a valid YAML document"),
            ("title: x", "no `openapi` field"),
            ("swagger: '2.0'", "Swagger 2.0 is not supported"),
            ("openapi: 3.2.0", "OpenAPI 3.2.0 is not supported"),
            ("openapi: 3.0.3\ninfo: 7", "invalid OpenAPI 3.0.3 document"),
            (
                "openapi: 3.1.0\npaths: []",
                "invalid OpenAPI 3.1.0 document",
            ),
            ("", "no `openapi` field"),
        ];
        for (text, expected) in cases {
            let err = parse(text, "spec.yaml").expect_err(text).to_string();
            assert!(err.starts_with("spec.yaml: "), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
