//! Conditional requests (RFC 9110 §13): evaluating `If-Match` and `If-None-Match` against the
//! current entity tag of the target, in the order of §13.2.2.
//!
//! Callers evaluate only when the request would otherwise succeed (§13.2.1): a request that
//! fails anyway (404, 409, …) answers that failure and ignores its preconditions.

use axum::http::{HeaderMap, Method, header};

use super::bugs::{Bug, BugSet};
use super::problem::Problem;

/// The parts of precondition evaluation a planted bug switches off or weakens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Lenience {
    /// `If-Match` is not evaluated at all (`ifmatch-ignored`).
    pub(super) ignore_if_match: bool,
    /// `If-None-Match` is not evaluated at all (`ifnonematch-ignored`).
    pub(super) ignore_if_none_match: bool,
    /// `If-Match` uses the weak comparison (`weak-etag-match`).
    pub(super) weak_if_match: bool,
}

impl Lenience {
    /// The lenience the planted bugs of a server call for.
    pub(super) fn of(bugs: BugSet) -> Lenience {
        Lenience {
            ignore_if_match: bugs.contains(Bug::IfMatchIgnored),
            ignore_if_none_match: bugs.contains(Bug::IfNoneMatchIgnored),
            weak_if_match: bugs.contains(Bug::WeakEtagMatch),
        }
    }
}

/// The outcome of evaluating a request's preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// No precondition, or all of them hold: perform the method.
    Proceed,
    /// `If-None-Match` failed on GET or HEAD: answer 304.
    NotModified,
    /// A precondition failed: answer 412 and change nothing.
    Failed,
}

/// Evaluates the preconditions of `method` on a target whose current strong tag is `current`
/// (`None` when the target has no current representation).
pub(super) fn evaluate(headers: &HeaderMap, method: &Method, current: Option<&str>) -> Verdict {
    evaluate_with(headers, method, current, Lenience::default())
}

/// [`evaluate`], with the parts `lenience` switches off or weakens.
pub(super) fn evaluate_with(
    headers: &HeaderMap,
    method: &Method,
    current: Option<&str>,
    lenience: Lenience,
) -> Verdict {
    if let Some(field) = field(headers, header::IF_MATCH).filter(|_| !lenience.ignore_if_match)
        && !if_match_holds(&field, current, lenience.weak_if_match)
    {
        return Verdict::Failed;
    }
    if let Some(field) =
        field(headers, header::IF_NONE_MATCH).filter(|_| !lenience.ignore_if_none_match)
        && !if_none_match_holds(&field, current)
    {
        return if *method == Method::GET || *method == Method::HEAD {
            Verdict::NotModified
        } else {
            Verdict::Failed
        };
    }
    Verdict::Proceed
}

/// For a write: `Ok` to proceed, or the 412 problem to answer.
pub(super) fn check_write(
    headers: &HeaderMap,
    method: &Method,
    current: Option<&str>,
) -> Result<(), Problem> {
    check_write_with(headers, method, current, Lenience::default())
}

/// [`check_write`], with the parts `lenience` switches off or weakens.
pub(super) fn check_write_with(
    headers: &HeaderMap,
    method: &Method,
    current: Option<&str>,
    lenience: Lenience,
) -> Result<(), Problem> {
    match evaluate_with(headers, method, current, lenience) {
        Verdict::Proceed => Ok(()),
        Verdict::NotModified | Verdict::Failed => Err(Problem::precondition_failed(
            "a precondition (If-Match or If-None-Match) does not hold for the current state",
        )),
    }
}

/// All lines of a list-valued field, joined; `None` when absent. A value that is not text
/// matches no tag.
fn field(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    let texts: Vec<&str> = lines.map(|line| line.to_str().unwrap_or("")).collect();
    Some(texts.join(","))
}

/// §13.1.1: `*` holds when there is a current representation; a list holds when one of its
/// tags matches the current tag by the strong comparison (the weak one when `weak` — a bug).
fn if_match_holds(field: &str, current: Option<&str>, weak: bool) -> bool {
    let Some(current) = current else {
        return false;
    };
    field.trim() == "*"
        || entity_tags(field).any(|(is_weak, tag)| (weak || !is_weak) && tag == current)
}

/// True when the request carries `If-Match` or `If-None-Match`.
pub(super) fn has_precondition(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_MATCH) || headers.contains_key(header::IF_NONE_MATCH)
}

/// §13.1.2: `*` holds when there is no current representation; a list holds when none of its
/// tags matches the current tag by the weak comparison.
fn if_none_match_holds(field: &str, current: Option<&str>) -> bool {
    let Some(current) = current else {
        return true;
    };
    field.trim() != "*" && !entity_tags(field).any(|(_, tag)| tag == current)
}

/// The entity tags of a list, each as (weak, quoted opaque tag); parsing stops at the first
/// malformed member.
fn entity_tags(field: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = field;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let (weak, tagged) = match rest.strip_prefix("W/") {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let opaque = tagged.strip_prefix('"')?;
        let end = opaque.find('"')? + 2;
        let tag = &tagged[..end];
        rest = &tagged[end..];
        Some((weak, tag))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const CURRENT: &str = "\"abc\"";

    fn verdict(
        name: &'static str,
        value: &'static str,
        method: Method,
        current: Option<&str>,
    ) -> Verdict {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        evaluate(&headers, &method, current)
    }

    #[test]
    fn parses_lists_of_strong_and_weak_tags() {
        let tags: Vec<_> = entity_tags(r#" "a", W/"b,c" ,"", W/"d""#).collect();
        assert_eq!(
            tags,
            [
                (false, "\"a\""),
                (true, "\"b,c\""),
                (false, "\"\""),
                (true, "\"d\"")
            ]
        );
        assert_eq!(entity_tags("abc").count(), 0);
    }

    #[test]
    fn if_match_uses_the_strong_comparison() {
        let put = || Method::PUT;
        assert_eq!(
            verdict("if-match", "\"abc\"", put(), Some(CURRENT)),
            Verdict::Proceed
        );
        assert_eq!(
            verdict("if-match", "\"x\", \"abc\"", put(), Some(CURRENT)),
            Verdict::Proceed
        );
        assert_eq!(
            verdict("if-match", "W/\"abc\"", put(), Some(CURRENT)),
            Verdict::Failed
        );
        assert_eq!(
            verdict("if-match", "\"old\"", put(), Some(CURRENT)),
            Verdict::Failed
        );
        assert_eq!(
            verdict("if-match", "*", put(), Some(CURRENT)),
            Verdict::Proceed
        );
        assert_eq!(verdict("if-match", "*", put(), None), Verdict::Failed);
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        let tag = "W/\"abc\"";
        assert_eq!(
            verdict("if-none-match", tag, Method::GET, Some(CURRENT)),
            Verdict::NotModified
        );
        assert_eq!(
            verdict("if-none-match", tag, Method::HEAD, Some(CURRENT)),
            Verdict::NotModified
        );
        assert_eq!(
            verdict("if-none-match", tag, Method::PUT, Some(CURRENT)),
            Verdict::Failed
        );
        assert_eq!(
            verdict("if-none-match", "\"x\"", Method::GET, Some(CURRENT)),
            Verdict::Proceed
        );
        assert_eq!(
            verdict("if-none-match", "*", Method::PUT, Some(CURRENT)),
            Verdict::Failed
        );
        assert_eq!(
            verdict("if-none-match", "*", Method::PUT, None),
            Verdict::Proceed
        );
    }

    #[test]
    fn lenience_switches_parts_off() {
        let mut headers = HeaderMap::new();
        headers.insert("if-match", HeaderValue::from_static("W/\"abc\""));
        let put = Method::PUT;
        let weak = Lenience {
            weak_if_match: true,
            ..Lenience::default()
        };
        assert_eq!(
            evaluate_with(&headers, &put, Some(CURRENT), weak),
            Verdict::Proceed
        );
        assert_eq!(
            evaluate_with(&headers, &put, Some("\"x\""), weak),
            Verdict::Failed
        );
        let ignored = Lenience::of(BugSet::single(Bug::IfMatchIgnored));
        assert_eq!(
            evaluate_with(&headers, &put, None, ignored),
            Verdict::Proceed
        );
        let mut create_only = HeaderMap::new();
        create_only.insert("if-none-match", HeaderValue::from_static("*"));
        let ignored = Lenience::of(BugSet::single(Bug::IfNoneMatchIgnored));
        assert_eq!(
            evaluate_with(&create_only, &put, Some(CURRENT), ignored),
            Verdict::Proceed
        );
        assert!(has_precondition(&create_only) && !has_precondition(&HeaderMap::new()));
    }

    #[test]
    fn no_precondition_proceeds() {
        assert_eq!(
            evaluate(&HeaderMap::new(), &Method::PUT, None),
            Verdict::Proceed
        );
    }
}
