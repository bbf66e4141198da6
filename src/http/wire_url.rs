//! URLs as they go on the wire, built and compared with the `url` crate — the parser reqwest
//! sends with — so that what idemfuzz judges is what the server receives.
//!
//! * [`WireUrl`] is a URL after the normalisation the HTTP stack applies (WHATWG / RFC 3986
//!   §6: dot segments removed, `%2e` forms included; `\` read as `/` in http(s); host
//!   lower-cased; default port dropped) and without its fragment, which is never sent. Its
//!   [`WireUrl::key`] is the canonical form ownership is judged on: every path segment
//!   percent-decoded and re-encoded one way (so `%41` and `A` are the same segment, `%2F` and
//!   `/` are not), no query.
//! * [`segment`] encodes a value (an id, a captured value) as exactly one path segment, and
//!   refuses the values no encoding makes safe: `.` and `..` (`%2e%2e` *is* `..` on the wire),
//!   and values that hold a separator or delimiter in any encoding.
//! * [`join`] appends a path to a base URL, [`fill`] substitutes values into a path template.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use url::Url;

use crate::shorten::shorten;

/// Every byte but the unreserved characters (RFC 3986 §2.3) is percent-encoded in a segment
/// value, so a server that decodes once gets the value back whatever it holds.
const SEGMENT_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Times a value is percent-decoded when looking for a hidden separator or dot segment (a
/// server, proxy or framework that decodes twice turns `%252e` into `.`).
const DECODE_ROUNDS: usize = 4;

/// Why a text is not a URL idemfuzz can send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`{}` is not a URL: {reason}", shorten(url))]
    Invalid { url: String, reason: String },
    #[error("`{}` is not an http or https URL", shorten(url))]
    Scheme { url: String },
}

/// Why a value cannot be substituted into a path as one segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeSegment {
    #[error("an empty value would remove a path segment")]
    Empty,
    #[error(
        "`{}` is a dot segment (`.` or `..`, in some encoding): it would remove a path segment",
        shorten(.0)
    )]
    Dot(String),
    #[error(
        "`{}` holds a `/` or `\\` (in some encoding): it would add path segments",
        shorten(.0)
    )]
    Separator(String),
    #[error(
        "`{}` holds a `?` or `#` (in some encoding): it would end the path",
        shorten(.0)
    )]
    Delimiter(String),
    #[error(
        "`{}` percent-encodes bytes that are not UTF-8, which servers decode in different ways",
        shorten(.0)
    )]
    NotUtf8(String),
}

/// A URL as it goes on the wire (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireUrl(Url);

impl WireUrl {
    /// Parses an absolute http(s) URL as the HTTP stack will, dropping its fragment.
    pub fn parse(text: &str) -> Result<WireUrl, UrlError> {
        let url = Url::parse(text).map_err(|err| UrlError::Invalid {
            url: text.to_owned(),
            reason: err.to_string(),
        })?;
        WireUrl::from_url(url, text)
    }

    /// Resolves a reference (e.g. a `Location` field) against `base` (RFC 3986 §5), as a
    /// client following it would.
    pub fn resolve(base: &WireUrl, reference: &str) -> Result<WireUrl, UrlError> {
        let url = base.0.join(reference).map_err(|err| UrlError::Invalid {
            url: reference.to_owned(),
            reason: err.to_string(),
        })?;
        WireUrl::from_url(url, reference)
    }

    fn from_url(mut url: Url, text: &str) -> Result<WireUrl, UrlError> {
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(UrlError::Scheme {
                url: text.to_owned(),
            });
        }
        url.set_fragment(None);
        // A URL idemfuzz sends never carries user-info (which reqwest would turn into an
        // Authorization header); the base URL cannot have any.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(WireUrl(url))
    }

    /// The URL as sent.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// True when both URLs have the same origin (scheme, host and port; RFC 6454).
    pub fn same_origin(&self, other: &WireUrl) -> bool {
        self.0.origin() == other.0.origin()
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// The path's segments in canonical form: each percent-decoded and re-encoded one way.
    pub fn canonical_segments(&self) -> Vec<String> {
        self.0
            .path()
            .trim_start_matches('/')
            .split('/')
            .map(canonical_segment)
            .collect()
    }

    /// The canonical form ownership is judged on: origin and canonical path, no query.
    pub fn key(&self) -> String {
        key_of(&self.origin(), &self.canonical_segments())
    }
}

/// The ownership key of an origin and canonical segments (see [`WireUrl::key`]).
pub fn key_of(origin: &str, segments: &[String]) -> String {
    format!("{origin}/{}", segments.join("/"))
}

/// A segment decoded and re-encoded with [`SEGMENT_VALUE`].
fn canonical_segment(segment: &str) -> String {
    let bytes: Cow<'_, [u8]> = percent_decode_str(segment).into();
    percent_encode(&bytes, SEGMENT_VALUE).to_string()
}

/// `value` percent-encoded as exactly one path segment, or why no encoding makes it safe.
pub fn segment(value: &str) -> Result<String, UnsafeSegment> {
    check_segment_value(value)?;
    Ok(encode_segment(value))
}

/// `value` percent-encoded as a path segment, without the checks of [`segment`]: for values
/// already known to be safe (run-owned ids, adopted ids) or only shown, never written to. An
/// unsafe value (`..`) stays unsafe, and the guard refuses any write it would lead to.
pub fn encode_segment(value: &str) -> String {
    percent_encode(value.as_bytes(), SEGMENT_VALUE).to_string()
}

/// The item path of `id` in an item template (`/things/{id}`): the id encoded as one segment
/// ([`encode_segment`]).
pub fn item_path(template: &str, id: &str) -> String {
    template.replacen(ID_PLACEHOLDER, &encode_segment(id), 1)
}

/// The placeholder of an item template.
const ID_PLACEHOLDER: &str = "{id}";

/// Why `value`, percent-decoded as often as a server might, would not stay one segment.
pub fn check_segment_value(value: &str) -> Result<(), UnsafeSegment> {
    if value.is_empty() {
        return Err(UnsafeSegment::Empty);
    }
    let Some(decodings) = decodings(value) else {
        return Err(UnsafeSegment::NotUtf8(value.to_owned()));
    };
    for decoded in decodings {
        if decoded.contains(['/', '\\']) {
            return Err(UnsafeSegment::Separator(value.to_owned()));
        }
        if decoded.contains(['?', '#']) {
            return Err(UnsafeSegment::Delimiter(value.to_owned()));
        }
        if is_dot(&decoded) {
            return Err(UnsafeSegment::Dot(value.to_owned()));
        }
    }
    Ok(())
}

/// True when a segment of a path already on the wire, decoded as often as a server might, is
/// neither a dot segment nor holds a separator: it addresses something below its parent.
pub fn stays_below(segment: &str) -> bool {
    decodings(segment).is_some_and(|decodings| {
        decodings
            .iter()
            .all(|decoded| !decoded.contains(['/', '\\']) && !is_dot(decoded))
    })
}

/// `.` or `..`, also with path parameters after a `;` (servers such as Tomcat read `..;x` as
/// `..`).
fn is_dot(text: &str) -> bool {
    let name = text.split(';').next().unwrap_or(text);
    name == "." || name == ".."
}

/// The text, then each further percent-decoding of it that changes it (at most
/// [`DECODE_ROUNDS`]); `None` when a decoding is not UTF-8 (overlong or stray bytes, which
/// servers decode in different ways).
fn decodings(text: &str) -> Option<Vec<String>> {
    let mut forms = vec![text.to_owned()];
    for _ in 0..DECODE_ROUNDS {
        let last = forms.last()?;
        let decoded = percent_decode_str(last).decode_utf8().ok()?.into_owned();
        if decoded == *last {
            break;
        }
        forms.push(decoded);
    }
    Some(forms)
}

/// Appends `path` (a path relative to the base, starting with `/`, possibly with a query) to
/// the base URL's path. An absolute http(s) URL is taken as it is.
pub fn join(base: &str, path: &str) -> Result<WireUrl, UrlError> {
    if path.starts_with("http://") || path.starts_with("https://") {
        return WireUrl::parse(path);
    }
    let mut url = WireUrl::parse(base)?.0;
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let joined = format!(
        "{}/{}",
        url.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url.set_query(query);
    WireUrl::from_url(url, path)
}

/// Why a path template could not be filled; `E` is why the caller's `value_of` had no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError<E> {
    /// A placeholder has no value (from the caller's `value_of`).
    #[error("{0}")]
    NoValue(E),
    /// A value cannot go into the path safely.
    #[error("{0}")]
    Unsafe(String),
}

/// A path template with every placeholder replaced: a value in the path part is encoded as
/// one segment ([`segment`]; refused when unsafe), a value in the query part as one query
/// component. `value_of` gives a placeholder's text, or why it has none.
pub fn fill<P, E>(
    template: &str,
    placeholders: &[(std::ops::Range<usize>, P)],
    mut value_of: impl FnMut(&P) -> Result<String, E>,
) -> Result<String, FillError<E>> {
    let query_start = template.find('?').unwrap_or(template.len());
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for (range, placeholder) in placeholders {
        out.push_str(&template[last..range.start]);
        let value = value_of(placeholder).map_err(FillError::NoValue)?;
        if range.start < query_start {
            let encoded = segment(&value).map_err(|err| {
                FillError::Unsafe(format!(
                    "`{}` cannot go into the path: {err}",
                    &template[range.clone()]
                ))
            })?;
            out.push_str(&encoded);
        } else {
            out.extend(percent_encoding::utf8_percent_encode(&value, SEGMENT_VALUE));
        }
        last = range.end;
    }
    out.push_str(&template[last..]);
    let path = out.split('?').next().unwrap_or(&out);
    if let Some(bad) = path.split('/').find(|segment| !stays_below(segment)) {
        return Err(FillError::Unsafe(format!(
            "the path `{}` would hold the segment `{}`, a dot segment or separator once decoded",
            shorten(&out),
            shorten(bad)
        )));
    }
    Ok(out)
}

/// Why a path template (a scenario's collection, item or step path) can never be sent
/// safely, if it cannot: a `\` (read as `/`), a `#` (the rest is never sent), or a
/// percent-encoded `.`, `/`, `\` or `%` in the path part, which servers decode into dot
/// segments and separators.
pub fn template_hazard(template: &str) -> Option<&'static str> {
    let path = template.split('?').next().unwrap_or(template);
    if template.contains('\\') {
        return Some("cannot contain `\\`: http(s) URLs read it as `/`");
    }
    if template.contains('#') {
        return Some("cannot contain `#`: what follows it is a fragment, never sent");
    }
    let lower = path.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c", "%25"]
        .iter()
        .any(|e| lower.contains(e))
    {
        return Some(
            "cannot contain a percent-encoded `.`, `/`, `\\` or `%` (`%2e`, `%2f`, `%5c`, `%25`) in its path: servers decode them into dot segments and separators",
        );
    }
    if percent_decode_str(path).decode_utf8().is_err() {
        return Some(
            "cannot percent-encode bytes that are not UTF-8 in its path: servers decode them in different ways",
        );
    }
    if path.split('/').any(is_dot) {
        return Some("cannot contain `.` or `..` segments");
    }
    None
}

#[cfg(test)]
#[path = "wire_url_tests.rs"]
mod tests;
