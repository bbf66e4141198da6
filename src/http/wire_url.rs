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
pub(crate) enum UrlError {
    #[error("`{}` is not a URL: {reason}", shorten(url))]
    Invalid { url: String, reason: String },
    #[error("`{}` is not an http or https URL", shorten(url))]
    Scheme { url: String },
}

/// Why a value cannot be substituted into a path as one segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UnsafeSegment {
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
    #[error(
        "`{}` holds a control character (in some encoding), which servers cut or drop",
        shorten(&.0.escape_debug().to_string())
    )]
    Control(String),
}

/// A URL as it goes on the wire (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireUrl(Url);

impl WireUrl {
    /// Parses an absolute http(s) URL as the HTTP stack will, dropping its fragment.
    pub(crate) fn parse(text: &str) -> Result<WireUrl, UrlError> {
        let url = Url::parse(text).map_err(|err| UrlError::Invalid {
            url: text.to_owned(),
            reason: err.to_string(),
        })?;
        WireUrl::from_url(url, text)
    }

    /// Resolves a reference (e.g. a `Location` field) against `base` (RFC 3986 §5), as a
    /// client following it would.
    pub(crate) fn resolve(base: &WireUrl, reference: &str) -> Result<WireUrl, UrlError> {
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
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub(crate) fn url(&self) -> &Url {
        &self.0
    }

    /// True when both URLs have the same origin (scheme, host and port; RFC 6454).
    pub(crate) fn same_origin(&self, other: &WireUrl) -> bool {
        self.0.origin() == other.0.origin()
    }

    /// `scheme://host[:port]`.
    pub(crate) fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// The path's segments in canonical form: each percent-decoded and re-encoded one way.
    pub(crate) fn canonical_segments(&self) -> Vec<String> {
        self.0
            .path()
            .trim_start_matches('/')
            .split('/')
            .map(canonical_segment)
            .collect()
    }

    /// The canonical form ownership is judged on: origin and canonical path, no query.
    pub(crate) fn key(&self) -> String {
        key_of(&self.origin(), &self.canonical_segments())
    }
}

/// The ownership key of an origin and canonical segments (see [`WireUrl::key`]).
pub(crate) fn key_of(origin: &str, segments: &[String]) -> String {
    format!("{origin}/{}", segments.join("/"))
}

/// A segment decoded and re-encoded with [`SEGMENT_VALUE`].
fn canonical_segment(segment: &str) -> String {
    let bytes: Cow<'_, [u8]> = percent_decode_str(segment).into();
    percent_encode(&bytes, SEGMENT_VALUE).to_string()
}

/// `value` percent-encoded as exactly one path segment, or why no encoding makes it safe.
pub(crate) fn segment(value: &str) -> Result<String, UnsafeSegment> {
    check_segment_value(value)?;
    Ok(encode_segment(value))
}

/// `value` percent-encoded as a path segment, without the checks of [`segment`]: for values
/// already known to be safe (run-owned ids, adopted ids) or only shown, never written to. An
/// unsafe value (`..`) stays unsafe, and the guard refuses any write it would lead to.
pub(crate) fn encode_segment(value: &str) -> String {
    percent_encode(value.as_bytes(), SEGMENT_VALUE).to_string()
}

/// The item path of `id` in an item template (`/things/{id}`): the id encoded as one segment
/// ([`encode_segment`]).
pub(crate) fn item_path(template: &str, id: &str) -> String {
    template.replacen(ID_PLACEHOLDER, &encode_segment(id), 1)
}

/// The placeholder of an item template.
const ID_PLACEHOLDER: &str = "{id}";

/// Why `value`, read as any server might read it (see `server_readings`), would not stay one
/// segment naming one resource.
pub(crate) fn check_segment_value(value: &str) -> Result<(), UnsafeSegment> {
    if value.is_empty() {
        return Err(UnsafeSegment::Empty);
    }
    let Some(readings) = server_readings(value) else {
        return Err(UnsafeSegment::NotUtf8(value.to_owned()));
    };
    for reading in readings {
        if reading.contains(['/', '\\']) {
            return Err(UnsafeSegment::Separator(value.to_owned()));
        }
        if reading.contains(['?', '#']) {
            return Err(UnsafeSegment::Delimiter(value.to_owned()));
        }
        if is_dot(&reading) {
            return Err(UnsafeSegment::Dot(value.to_owned()));
        }
        if reading.contains(char::is_control) {
            return Err(UnsafeSegment::Control(value.to_owned()));
        }
    }
    Ok(())
}

/// True when a segment of a path already on the wire, read as any server might read it, is
/// neither a dot segment nor holds a separator: it addresses something below its parent.
pub(crate) fn stays_below(segment: &str) -> bool {
    server_readings(segment).is_some_and(|readings| {
        readings
            .iter()
            .all(|reading| !reading.contains(['/', '\\']) && !is_dot(reading))
    })
}

/// `.` or `..` as servers read a segment: only the part before a NUL (C strings) or a `;`
/// (path parameters: Tomcat reads `..;x` as `..`) counts, without whitespace and invisible
/// characters (`.. ` and `.\u{200b}.` are `..` to servers that trim them), and a name of
/// three or more dots is one too (Windows drops trailing dots).
fn is_dot(text: &str) -> bool {
    let name = text.split(['\0', ';']).next().unwrap_or(text);
    let mut visible = name.chars().filter(|c| !is_invisible(*c)).peekable();
    visible.peek().is_some() && visible.all(|c| c == '.')
}

/// Whitespace, control characters and the zero-width characters servers may drop.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// The readings servers may make of a text: the text, and what any sequence of up to
/// [`DECODE_ROUNDS`] steps makes of it, a step being one percent-decoding (`%XX`, and IIS's
/// `%uXXXX`) or Unicode NFKC normalisation (`．．` is `..`, `／` is `/`, `％２ｅ` is `%2e`).
/// `None` when a decoding is not UTF-8 (overlong or stray bytes, which servers decode in
/// different ways).
fn server_readings(text: &str) -> Option<Vec<String>> {
    let mut readings = vec![text.to_owned()];
    let mut latest = vec![text.to_owned()];
    for _ in 0..DECODE_ROUNDS {
        let mut next = Vec::new();
        for reading in &latest {
            for step in [percent_decoded(reading)?, nfkc(reading)] {
                if !readings.contains(&step) {
                    readings.push(step.clone());
                    next.push(step);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        latest = next;
    }
    Some(readings)
}

/// `text` percent-decoded once (IIS's `%uXXXX` included), or `None` when that is not UTF-8.
fn percent_decoded(text: &str) -> Option<String> {
    let text = percent_u_decoded(text);
    percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// `%uXXXX`, IIS's non-standard escape, replaced by its character.
fn percent_u_decoded(text: &str) -> Cow<'_, str> {
    if !text.contains("%u") && !text.contains("%U") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['%']) {
        out.push_str(&rest[..at]);
        let escaped = rest
            .get(at + 1..at + 6)
            .filter(|e| e.starts_with(['u', 'U']))
            .and_then(|e| u32::from_str_radix(&e[1..], 16).ok())
            .and_then(char::from_u32);
        match escaped {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `text` in Unicode normalisation form NFKC.
fn nfkc(text: &str) -> String {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfkc()
        .normalize(text)
        .into_owned()
}

/// Appends `path` (a path relative to the base, starting with `/`, possibly with a query) to
/// the base URL's path. An absolute http(s) URL is taken as it is.
pub(crate) fn join(base: &str, path: &str) -> Result<WireUrl, UrlError> {
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
pub(crate) enum FillError<E> {
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
pub(crate) fn fill<P, E>(
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
pub(crate) fn template_hazard(template: &str) -> Option<&'static str> {
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
    if let Some((_, query)) = template.split_once('?')
        && overrides_method(query)
    {
        return Some(
            "cannot name another method in its query (`_method=`): servers that honour it run the request as that method",
        );
    }
    path.split('/').find_map(segment_hazard)
}

/// True when a query names a method to run instead of the request's own (`_method=DELETE`, as
/// Express's `method-override`, Laravel and Symfony read it; see
/// [`crate::http::sent::METHOD_OVERRIDES`]).
pub(crate) fn overrides_method(query: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes()).any(|(key, _)| {
        crate::http::sent::METHOD_OVERRIDES
            .iter()
            .any(|name| key.eq_ignore_ascii_case(name))
    })
}

/// Why one segment of a path template can never be sent safely, read as servers may read it
/// ([`server_readings`]); placeholders (`{name}`) are left out, and only a segment without one
/// can be a dot segment (a filled one is checked when it is filled, see [`fill`]).
fn segment_hazard(segment: &str) -> Option<&'static str> {
    let literal = without_placeholders(segment);
    let Some(readings) = server_readings(&literal) else {
        return Some(
            "cannot percent-encode bytes that are not UTF-8 in its path: servers decode them in different ways",
        );
    };
    for reading in &readings {
        if reading.contains(['/', '\\']) {
            return Some(
                "cannot contain a character servers read as `/` or `\\` (`／`, `＼`, `%u002f`) in its path",
            );
        }
        if literal.len() == segment.len() && is_dot(reading) {
            return Some(
                "cannot contain `.` or `..` segments in any spelling (`..;x`, `..%00`, `．．`, `%u002e`, `...`)",
            );
        }
        if reading.contains(char::is_control) {
            return Some(
                "cannot contain control characters (`%00`, `%0A`) in its path: servers cut or drop them",
            );
        }
    }
    None
}

/// `text` without its `{name}` placeholders.
fn without_placeholders(text: &str) -> Cow<'_, str> {
    if !text.contains('{') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
#[path = "wire_url_tests.rs"]
mod tests;
