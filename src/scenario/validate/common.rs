//! Checks shared by several tables: statuses, bounded counts, header names, pointers, paths.

use serde_json::Value;
use toml::Spanned;

use super::{Checked, Ctx};
use crate::http::wire_url;
use crate::scenario::convert::toml_to_json;
use crate::scenario::model::StatusesDoc;
use crate::scenario::placeholder;
use crate::scenario::pointer::JsonPointer;
use crate::shorten::shorten;

/// Statuses in 100..=599; `allow_empty` says whether `[]` is meaningful.
pub(crate) fn statuses(
    ctx: Ctx<'_>,
    doc: &Spanned<StatusesDoc>,
    what: &str,
    allow_empty: bool,
) -> Checked<Vec<u16>> {
    if !allow_empty && doc.get_ref().0.is_empty() {
        return Err(ctx.err(
            doc.span(),
            format!("`{what}` must list at least one status"),
        ));
    }
    doc.get_ref()
        .0
        .iter()
        .map(|status| {
            u16::try_from(*status)
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| {
                    ctx.err(
                        doc.span(),
                        format!("`{what}`: {status} is not an HTTP status (100 to 599)"),
                    )
                })
        })
        .collect()
}

/// An optional count within `min..=max`, or the default.
pub(crate) fn count(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<i64>>,
    what: &str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Checked<u32> {
    let Some(doc) = doc else {
        return Ok(default);
    };
    u32::try_from(*doc.get_ref())
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            ctx.err(
                doc.span(),
                format!(
                    "`{what}` must be from {} to {}, found {}",
                    range.start(),
                    range.end(),
                    doc.get_ref()
                ),
            )
        })
}

/// A header field name (an RFC 9110 token), as written.
pub(crate) fn header_name(ctx: Ctx<'_>, name: &Spanned<String>) -> Checked<String> {
    let text = name.get_ref();
    if !is_header_name(text) {
        return Err(ctx.err(name.span(), format!("`{text}` is not a valid header name")));
    }
    Ok(text.clone())
}

/// The name of a header field idemfuzz sends: a valid name, and one a request may carry
/// ([`crate::http::sent::unsendable_header`]).
pub(crate) fn sent_header_name(ctx: Ctx<'_>, name: &Spanned<String>) -> Checked<String> {
    let text = header_name(ctx, name)?;
    match crate::http::sent::unsendable_header(&text) {
        Some(problem) => Err(ctx.err(
            name.span(),
            format!("the header `{text}` cannot be set: it {problem}"),
        )),
        None => Ok(text),
    }
}

/// A header value with no line breaks or other control characters.
pub(crate) fn header_value(ctx: Ctx<'_>, value: &str, span: std::ops::Range<usize>) -> Checked<()> {
    if !is_header_value(value) {
        return Err(ctx.err(span, BAD_HEADER_VALUE));
    }
    Ok(())
}

/// Why a header value is refused.
pub(crate) const BAD_HEADER_VALUE: &str =
    "a header value cannot contain line breaks or control characters";

/// True for a valid header field name: a non-empty RFC 9110 token.
pub(crate) fn is_header_name(text: &str) -> bool {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    !text.is_empty() && text.chars().all(token)
}

/// True for a header value idemfuzz sends: no line breaks or control characters but tabs.
pub(crate) fn is_header_value(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() && c != '\t')
}

/// A JSON pointer.
pub(crate) fn pointer(ctx: Ctx<'_>, text: &Spanned<String>) -> Checked<JsonPointer> {
    JsonPointer::parse(text.get_ref()).map_err(|err| ctx.err(text.span(), err.to_string()))
}

/// A TOML value as JSON.
pub(crate) fn json(ctx: Ctx<'_>, value: &Spanned<toml::Value>) -> Checked<Value> {
    toml_to_json(value.get_ref().clone()).map_err(|message| ctx.err(value.span(), message))
}

/// A request path: starts with `/`, no whitespace, and nothing that can never be sent safely
/// (see [`wire_url::template_hazard`]: `\`, `#`, `.` and `..` segments, percent-encoded dots
/// and separators).
pub(crate) fn path(ctx: Ctx<'_>, path: &Spanned<String>, what: &str) -> Checked<String> {
    let text = path.get_ref();
    let problem = if !text.starts_with('/') {
        Some("must start with `/`")
    } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("cannot contain whitespace")
    } else {
        wire_url::template_hazard(text)
    };
    match problem {
        Some(problem) => Err(ctx.err(
            path.span(),
            format!("the {what} `{}` {problem}", shorten(text)),
        )),
        None => Ok(text.clone()),
    }
}

/// The byte offset of `{id}` (the run-owned id, without offset) in a path, when it is there.
pub(crate) fn own_id_at(path: &str) -> Option<usize> {
    placeholder::find(path)
        .into_iter()
        .find(|(_, p)| p.name == placeholder::ID && p.offset == 0)
        .map(|(range, _)| range.start)
}

/// "`a`, `b`" for error messages, or "none" when empty.
pub(crate) fn names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    if quoted.is_empty() {
        "none".to_owned()
    } else {
        quoted.join(", ")
    }
}
