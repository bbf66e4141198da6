//! Reading a document's text: JSON or YAML into an ordered `Node` tree, the version field
//! (`swagger: "2.0"`, `openapi: 3.0.x` or `3.1.x`), a check of the skeleton every version
//! requires (`info.title`, `info.version`, `paths`), then the one walker of all versions
//! (`walk`) builds the importer's model.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::documents::Documents;
use super::error::OpenApiError;
use super::model::Api;
use super::node::Node;
use super::walk::{self, Dialect};

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

/// What every version requires, read with serde so that a message says where (line and
/// column) the document goes wrong.
#[derive(Debug, Deserialize)]
struct Skeleton {
    #[allow(dead_code)]
    info: Info,
    #[allow(dead_code)]
    paths: Option<HashMap<String, IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
struct Info {
    #[allow(dead_code)]
    title: String,
    #[allow(dead_code)]
    version: String,
}

/// Parses text into a node tree; `Err` is the syntax's name and why.
pub(crate) fn parse_node(text: &str) -> Result<Node, (&'static str, String)> {
    let syntax = Syntax::of(text);
    syntax.parse(text).map_err(|reason| (syntax.name(), reason))
}

/// Parses a document. `origin` names it in errors; `file` is its path when it was read from
/// disk, so that references to files beside it can be followed.
pub(crate) fn parse(text: &str, origin: &str, file: Option<&Path>) -> Result<Api, OpenApiError> {
    let root = parse_node(text).map_err(|(format, reason)| OpenApiError::Syntax {
        origin: origin.to_string(),
        format,
        reason,
    })?;
    let (dialect, version) = dialect(&root, origin)?;
    let invalid = |reason: String| OpenApiError::Invalid {
        origin: origin.to_string(),
        version: version.clone(),
        reason,
    };
    let skeleton: Skeleton = Syntax::of(text).parse(text).map_err(invalid)?;
    if skeleton.paths.is_none() && dialect != Dialect::V31 {
        return Err(invalid("missing field `paths`".into()));
    }
    Ok(walk::api(Documents::new(root, file), dialect, version))
}

/// The walker's dialect and the version as messages name it.
fn dialect(root: &Node, origin: &str) -> Result<(Dialect, String), OpenApiError> {
    if !root.is_object() {
        return Err(OpenApiError::NotOpenApi {
            origin: origin.to_string(),
        });
    }
    if let Some(swagger) = root.get("swagger") {
        let found = swagger.scalar_text();
        return if found == "2.0" {
            Ok((Dialect::V2, "Swagger 2.0".into()))
        } else {
            Err(OpenApiError::UnsupportedVersion {
                origin: origin.to_string(),
                found: format!("Swagger {found}"),
            })
        };
    }
    let Some(openapi) = root.get("openapi") else {
        return Err(OpenApiError::NotOpenApi {
            origin: origin.to_string(),
        });
    };
    let version = openapi.scalar_text();
    if is_minor(&version, "3.0") {
        Ok((Dialect::V30, format!("OpenAPI {version}")))
    } else if is_minor(&version, "3.1") {
        Ok((Dialect::V31, format!("OpenAPI {version}")))
    } else {
        Err(OpenApiError::UnsupportedVersion {
            origin: origin.to_string(),
            found: format!("OpenAPI {version}"),
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
            ("- 1\n- 2", "no `openapi` field"),
            ("title: x", "no `openapi` field"),
            ("swagger: '1.2'", "Swagger 1.2 is not supported"),
            (
                "swagger: '2.0'\ninfo: {title: t, version: '1'}",
                "invalid Swagger 2.0 document: missing field `paths`",
            ),
            ("openapi: 3.2.0", "OpenAPI 3.2.0 is not supported"),
            ("openapi: 3.0.3\ninfo: 7", "invalid OpenAPI 3.0.3 document"),
            (
                "openapi: 3.1.0\npaths: []",
                "invalid OpenAPI 3.1.0 document",
            ),
            ("", "no `openapi` field"),
            (
                "openapi: 3.0.3\ninfo: {title: t, version: '1'}",
                "invalid OpenAPI 3.0.3 document: missing field `paths`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text, "spec.yaml", None).expect_err(text).to_string();
            assert!(err.starts_with("spec.yaml: "), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
