//! `[target]`: base URL, default headers (with `${VAR}` secrets), timeout and id prefix.

use std::collections::BTreeSet;
use std::time::Duration;

use toml::Spanned;

use super::common::{header_value, sent_header_name};
use super::{Checked, Ctx};
use crate::env::EnvSnapshot;
use crate::scenario::interpolate::interpolate;
use crate::scenario::model::TargetDoc;
use crate::scenario::size::DEFAULT_MAX_BODY_BYTES;
use crate::scenario::{DEFAULT_ID_PREFIX, DEFAULT_TIMEOUT, Target, TargetHeader};

/// What a literal secret header value is shown as.
pub(crate) const REDACTED: &str = "<redacted>";
/// Longest id prefix, so generated ids stay short.
const MAX_ID_PREFIX: usize = 32;

pub(super) fn target(
    ctx: Ctx<'_>,
    doc: TargetDoc,
    env: &EnvSnapshot,
    max_body_bytes: u64,
) -> Checked<Target> {
    let base_url = doc
        .base_url
        .map(|url| check_base_url(url.get_ref()).map_err(|e| ctx.err(url.span(), e.to_string())))
        .transpose()?;
    let timeout = doc
        .timeout
        .map(|t| timeout(ctx, &t))
        .transpose()?
        .unwrap_or(DEFAULT_TIMEOUT);
    let id_prefix = doc
        .id_prefix
        .map(|p| id_prefix(ctx, &p))
        .transpose()?
        .unwrap_or_else(|| DEFAULT_ID_PREFIX.to_owned());
    let headers = headers(ctx, &doc.headers, env)?;
    let auth = doc
        .auth
        .map(|auth| super::auth::auth(ctx, &auth, &headers, env))
        .transpose()?;
    Ok(Target {
        base_url,
        headers,
        timeout,
        id_prefix,
        auth,
        max_body_bytes,
    })
}

/// `max_body_bytes`: at least 1, at most 1 GiB; 1 MiB when absent.
pub(super) fn max_body_bytes(ctx: Ctx<'_>, doc: Option<&Spanned<i64>>) -> Checked<u64> {
    let Some(doc) = doc else {
        return Ok(DEFAULT_MAX_BODY_BYTES);
    };
    u64::try_from(*doc.get_ref())
        .ok()
        .filter(|n| (1..=MAX_BODY_BYTES_LIMIT).contains(n))
        .ok_or_else(|| {
            ctx.err(
                doc.span(),
                format!(
                    "`max_body_bytes` must be from 1 to {MAX_BODY_BYTES_LIMIT} (1 GiB), found {}",
                    doc.get_ref()
                ),
            )
        })
}

/// The largest `max_body_bytes` accepted.
const MAX_BODY_BYTES_LIMIT: u64 = 1024 * 1024 * 1024;

/// Why a base URL cannot be used. Credentials it carries are never repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("invalid base URL `{text}`: {reason}")]
    Invalid { text: String, reason: String },
    #[error("the base URL `{text}` must use http or https, not `{scheme}`")]
    Scheme { text: String, scheme: String },
    #[error("the base URL `{text}` has no host")]
    NoHost { text: String },
    /// `shown` has the user-info replaced.
    #[error(
        "the base URL `{shown}` carries credentials; put them in [target.headers] (e.g. Authorization = \"Basic ${{API_AUTH}}\") so they are never printed"
    )]
    Credentials { shown: String },
    #[error("the base URL `{text}` cannot have a query or a fragment")]
    QueryOrFragment { text: String },
}

/// Checks a base URL (from a file, `--base-url` or `IDEMFUZZ_BASE_URL`): absolute http(s) with
/// a host, no query or fragment. Returns it without a trailing `/`, so request URLs are
/// `base_url + path`.
pub(crate) fn check_base_url(text: &str) -> Result<String, BaseUrlError> {
    let url = reqwest::Url::parse(text).map_err(|e| BaseUrlError::Invalid {
        text: text.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BaseUrlError::Scheme {
            text: text.to_owned(),
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(BaseUrlError::NoHost {
            text: text.to_owned(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BaseUrlError::Credentials {
            shown: redact_userinfo(&url),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment {
            text: text.to_owned(),
        });
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// The URL with its user-info replaced, for error messages.
fn redact_userinfo(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("USER");
    let _ = shown.set_password(url.password().map(|_| "PASSWORD"));
    shown.to_string()
}

fn timeout(ctx: Ctx<'_>, text: &Spanned<String>) -> Checked<Duration> {
    let duration = humantime::parse_duration(text.get_ref()).map_err(|e| {
        ctx.err(
            text.span(),
            format!(
                "invalid timeout `{}`: {e} (write e.g. \"10s\" or \"500ms\")",
                text.get_ref()
            ),
        )
    })?;
    if duration.is_zero() {
        return Err(ctx.err(text.span(), "the timeout must be longer than zero"));
    }
    Ok(duration)
}

fn id_prefix(ctx: Ctx<'_>, prefix: &Spanned<String>) -> Checked<String> {
    let text = prefix.get_ref();
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if text.is_empty() || text.len() > MAX_ID_PREFIX || !text.chars().all(unreserved) {
        return Err(ctx.err(
            prefix.span(),
            format!(
                "`id_prefix` must be 1 to {MAX_ID_PREFIX} of the characters A-Z a-z 0-9 - . _ ~"
            ),
        ));
    }
    Ok(text.clone())
}

fn headers(
    ctx: Ctx<'_>,
    docs: &std::collections::BTreeMap<Spanned<String>, Spanned<String>>,
    env: &EnvSnapshot,
) -> Checked<Vec<TargetHeader>> {
    let mut seen = BTreeSet::new();
    let mut headers = Vec::new();
    for (name, value) in docs {
        if !seen.insert(name.get_ref().to_ascii_lowercase()) {
            return Err(ctx.err(
                name.span(),
                format!(
                    "the header `{}` is set twice (names are case-insensitive)",
                    name.get_ref()
                ),
            ));
        }
        headers.push(target_header(ctx, name, value, env)?);
    }
    Ok(headers)
}

fn target_header(
    ctx: Ctx<'_>,
    name: &Spanned<String>,
    value: &Spanned<String>,
    env: &EnvSnapshot,
) -> Checked<TargetHeader> {
    let name = sent_header_name(ctx, name)?;
    let interpolated =
        interpolate(value.get_ref(), env).map_err(|e| ctx.err(value.span(), e.to_string()))?;
    header_value(ctx, &interpolated.value, value.span())?;
    Ok(TargetHeader::new(name, interpolated))
}

/// True for header names that carry credentials.
pub(crate) fn is_credential_name(name: &str) -> bool {
    crate::model::redact::is_credential_header(name)
}
