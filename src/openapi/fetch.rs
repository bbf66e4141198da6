//! Getting a document's text: from a file, or with GET from an `http(s)://` URL through a
//! client built like the transport's ([`client_builder`]: same proxies, TLS trust, connect
//! timeout and HTTP version). Documents are capped at [`MAX_SPEC_BYTES`].

use std::time::Duration;

use super::error::OpenApiError;
use crate::http::config::{TransportConfig, client_builder};

/// Largest document read.
pub(crate) const MAX_SPEC_BYTES: usize = 32 * 1024 * 1024;
/// How long fetching a document may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed when fetching a document.
const MAX_REDIRECTS: usize = 5;

/// A document's text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The path or URL as the user gave it (used in messages and comments).
    pub origin: String,
    /// The document's text (JSON or YAML).
    pub text: String,
    /// The URL it was fetched from, for resolving relative server URLs.
    pub url: Option<String>,
}

/// True when the argument is an `http://` or `https://` URL rather than a file path.
pub(crate) fn is_url(location: &str) -> bool {
    let lower = location.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Reads a document from a file path or an `http(s)://` URL; `client` says how to connect
/// (proxies, TLS trust…), as for the run's requests.
pub(crate) async fn read_spec(
    location: &str,
    client: &TransportConfig,
) -> Result<Spec, OpenApiError> {
    if is_url(location) {
        fetch(location, client).await
    } else {
        read_file(location)
    }
}

fn read_file(path: &str) -> Result<Spec, OpenApiError> {
    let error = |reason: String| OpenApiError::Read {
        origin: path.to_string(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|e| error(e.to_string()))?;
    if metadata.is_dir() {
        return Err(error("it is a directory".into()));
    }
    if metadata.len() > MAX_SPEC_BYTES as u64 {
        return Err(error(format!(
            "it is larger than {} MiB",
            MAX_SPEC_BYTES / 1024 / 1024
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| error("it is not UTF-8 text".into()))?;
    Ok(Spec {
        origin: path.to_string(),
        text,
        url: None,
    })
}

async fn fetch(url: &str, config: &TransportConfig) -> Result<Spec, OpenApiError> {
    let error = |reason: String, unreachable: bool| OpenApiError::Fetch {
        origin: url.to_string(),
        reason,
        unreachable,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| error(format!("invalid URL: {e}"), false))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(OpenApiError::Fetch {
            origin: "the --openapi URL".into(),
            reason: "it carries credentials, which idemfuzz would print; download the document and pass the file".into(),
            unreachable: false,
        });
    }
    let client = client_builder(config)
        .map_err(|e| error(format!("cannot build the HTTP client: {e}"), false))?
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| error(format!("cannot build the HTTP client: {e}"), false))?;
    let mut response = client
        .get(parsed)
        .header(
            "Accept",
            "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.1",
        )
        .send()
        .await
        .map_err(|e| error(reqwest_reason(&e), e.is_connect() || e.is_timeout()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(error(format!("the server answered {status}"), false));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| error(reqwest_reason(&e), e.is_timeout()))?
    {
        if body.len() + chunk.len() > MAX_SPEC_BYTES {
            return Err(error(
                format!("it is larger than {} MiB", MAX_SPEC_BYTES / 1024 / 1024),
                false,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| error("it is not UTF-8 text".into(), false))?;
    Ok(Spec {
        origin: url.to_string(),
        text,
        url: Some(url.to_string()),
    })
}

/// The innermost cause of a reqwest error, on one line.
fn reqwest_reason(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(inner) = source.source() {
        source = inner;
    }
    let cause = source.to_string();
    if err.is_timeout() {
        format!("timed out after {FETCH_TIMEOUT:?}")
    } else if err.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        cause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert!(is_url("http://127.0.0.1:8080/openapi.json"));
        assert!(is_url("HTTPS://example.com/spec.yaml"));
        assert!(!is_url("specs/api.yaml"));
        assert!(!is_url("./http/spec.json"));
    }

    #[test]
    fn unreadable_files_are_read_errors() {
        let err = read_file("/nonexistent/idemfuzz/spec.json").expect_err("missing file");
        assert!(
            err.to_string()
                .starts_with("/nonexistent/idemfuzz/spec.json: cannot read"),
            "{err}"
        );
        assert!(!err.is_unreachable());
    }
}
