//! What can go wrong importing an OpenAPI document; each message names the document.

/// An import failure. [`OpenApiError::is_unreachable`] tells "could not fetch" (exit 3) from
/// everything else (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    #[error("{origin}: cannot read the OpenAPI document: {reason}")]
    Read { origin: String, reason: String },
    #[error("{origin}: cannot fetch the OpenAPI document: {reason}")]
    Fetch {
        origin: String,
        reason: String,
        /// True when no HTTP answer came (connection refused, timeout).
        unreachable: bool,
    },
    #[error("{origin}: not a valid {format} document: {reason}")]
    Syntax {
        origin: String,
        format: &'static str,
        reason: String,
    },
    #[error(
        "{origin}: not an OpenAPI document: it has no `openapi` field (idemfuzz imports OpenAPI 3.0 and 3.1, and Swagger 2.0)"
    )]
    NotOpenApi { origin: String },
    #[error(
        "{origin}: {found} is not supported; idemfuzz imports OpenAPI 3.0.x and 3.1.x, and Swagger 2.0"
    )]
    UnsupportedVersion { origin: String, found: String },
    #[error("{origin}: invalid {version} document: {reason}")]
    Invalid {
        origin: String,
        version: String,
        reason: String,
    },
    #[error("{origin}: nothing to import: {reason}")]
    NoResources { origin: String, reason: String },
    #[error(
        "{origin}: the generated scenario does not validate; this is a bug in idemfuzz's OpenAPI import, please report it with the spec:\n{reason}"
    )]
    Internal { origin: String, reason: String },
}

impl OpenApiError {
    /// True when the document's URL gave no HTTP answer.
    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(
            self,
            OpenApiError::Fetch {
                unreachable: true,
                ..
            }
        )
    }
}
