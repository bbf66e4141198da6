//! OpenAPI import: an OpenAPI 3.0 or 3.1, or Swagger 2.0, document (JSON or YAML) → a
//! commented scenario file.
//!
//! `load` parses the text into an ordered `node` tree and checks its skeleton; `walk` (with
//! `walk_schema`, and `documents` for references, files beside the document included) turns
//! every version into the importer's `model`; `resources` pairs collection and item paths into
//! resources; `schema` turns request schemas into body templates; `emit` writes the TOML. The
//! result is always loaded back through `crate::scenario::load_str` before it is handed out,
//! so a generated file is a valid scenario by construction.

mod body;
mod documents;
pub(crate) mod emit;
mod error;
mod evidence;
pub(crate) mod fetch;
mod formats;
mod infer;
pub(crate) mod load;
mod merge;
pub(crate) mod model;
mod nested;
mod node;
pub(crate) mod pagination;
pub(crate) mod resources;
mod scalars;
pub(crate) mod schema;
mod walk;
mod walk_schema;

use std::path::Path;

pub(crate) use error::OpenApiError;
pub use fetch::Spec;
pub(crate) use fetch::read_spec;

pub(crate) use emit::BaseUrl;
use emit::Origin;
use model::Api;
use resources::Skipped;

use crate::env::EnvSnapshot;
use crate::model::check::CheckId;
use crate::scenario::check_base_url;

/// Skipped paths an error message names at most.
const SHOWN_REASONS: usize = 5;

/// A generated scenario file.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The TOML text.
    pub toml: String,
    /// The resources it defines, in order.
    pub resources: Vec<String>,
    /// Item paths that were not imported, and why.
    pub skipped: Vec<Skipped>,
    /// The document's version, e.g. `OpenAPI 3.1.0` or `Swagger 2.0`.
    pub version: String,
    /// The document's server (never used as the target; for messages), or why it has none.
    pub(crate) server: BaseUrl,
    /// Checks turned off per resource because of what the document says, and why.
    pub(crate) disabled: Vec<(String, CheckId, String)>,
}

/// Imports a document already read. Fails when it cannot be parsed or yields no resource.
pub fn import(spec: &Spec) -> Result<Generated, OpenApiError> {
    let file = spec.url.is_none().then(|| Path::new(&spec.origin));
    let api = load::parse(&spec.text, &spec.origin, file)?;
    let plan = resources::plan(&api);
    if plan.resources.is_empty() {
        return Err(OpenApiError::NoResources {
            origin: spec.origin.clone(),
            reason: no_resource_reason(&plan.skipped),
        });
    }
    let base_url = base_url(&api, spec.url.as_deref());
    let toml = emit::scenario(&api, &plan, Origin { name: &spec.origin }, &base_url);
    crate::scenario::load_str(&generated_path(spec), &toml, &EnvSnapshot::default()).map_err(
        |err| OpenApiError::Internal {
            origin: spec.origin.clone(),
            reason: err.to_string(),
        },
    )?;
    let disabled = plan
        .resources
        .iter()
        .flat_map(|r| {
            r.disabled
                .iter()
                .map(|(check, why)| (r.name.clone(), *check, why.clone()))
        })
        .collect();
    Ok(Generated {
        toml,
        resources: plan.resources.iter().map(|r| r.name.clone()).collect(),
        skipped: plan.skipped,
        version: api.version,
        server: base_url,
        disabled,
    })
}

/// The path a generated scenario is loaded under, so that messages point at its origin:
/// `spec.json (generated)`.
pub(crate) fn generated_path(spec: &Spec) -> std::path::PathBuf {
    Path::new(&format!("{} (generated)", spec.origin)).to_path_buf()
}

fn no_resource_reason(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return "no path ends in a path parameter (such as /things/{id}), so there is no collection/item pair".into();
    }
    let mut reasons: Vec<String> = skipped
        .iter()
        .take(SHOWN_REASONS)
        .map(|s| format!("{}: {}", s.path, s.reason))
        .collect();
    if skipped.len() > SHOWN_REASONS {
        reasons.push(format!("and {} more", skipped.len() - SHOWN_REASONS));
    }
    format!(
        "no collection/item pair could be imported ({})",
        reasons.join("; ")
    )
}

/// The base URL from `servers[0]` (the spec's default `/` when it lists none). A relative URL is
/// resolved against the URL the document was fetched from, as OpenAPI specifies.
fn base_url(api: &Api, fetched_from: Option<&str>) -> BaseUrl {
    let (server, from) = match api.servers.first() {
        Some(server) => (server.as_str(), "servers[0] of the spec"),
        None => ("/", "the spec lists no servers"),
    };
    let absolute = server.starts_with("http://") || server.starts_with("https://");
    let resolved = match (absolute, fetched_from) {
        (true, _) => Ok((server.to_string(), from.to_string())),
        (false, Some(document)) => reqwest::Url::parse(document)
            .and_then(|url| url.join(server))
            .map(|url| {
                (
                    url.to_string(),
                    format!("{from} (`{server}`), relative to the spec's URL"),
                )
            })
            .map_err(|err| format!("`{server}` cannot be resolved against {document}: {err}")),
        (false, None) => Err(if api.servers.is_empty() {
            "the spec lists no servers".to_string()
        } else {
            format!("servers[0] is `{server}`, relative to wherever the spec is served")
        }),
    };
    let checked = |(url, from): (String, String)| match check_base_url(&url) {
        Ok(url) => Ok((url, from)),
        Err(err) => Err(err.to_string()),
    };
    match resolved.and_then(checked) {
        Ok((url, from)) => BaseUrl::Known { url, from },
        Err(reason) => BaseUrl::Unknown(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(servers: &[&str]) -> Api {
        Api {
            servers: servers.iter().map(|s| s.to_string()).collect(),
            ..Api::default()
        }
    }

    #[test]
    fn base_urls_from_servers() {
        assert_eq!(
            base_url(&api(&["https://api.example.com/v1/"]), None),
            BaseUrl::Known {
                url: "https://api.example.com/v1".into(),
                from: "servers[0] of the spec".into()
            }
        );
        assert!(matches!(
            base_url(&api(&["/api"]), Some("http://127.0.0.1:8080/docs/openapi.json")),
            BaseUrl::Known { url, .. } if url == "http://127.0.0.1:8080/api"
        ));
        assert!(matches!(
            base_url(&api(&[]), Some("http://127.0.0.1:8080/openapi.json")),
            BaseUrl::Known { url, .. } if url == "http://127.0.0.1:8080"
        ));
        assert!(
            matches!(base_url(&api(&["/api"]), None), BaseUrl::Unknown(r) if r.contains("relative"))
        );
        assert!(
            matches!(base_url(&api(&[]), None), BaseUrl::Unknown(r) if r.contains("no servers"))
        );
        assert!(matches!(
            base_url(&api(&["https://user:pw@example.com"]), None),
            BaseUrl::Unknown(r) if r.contains("credentials") && !r.contains("pw@")
        ));
    }
}
