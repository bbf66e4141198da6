//! Small pure helpers the oracles share: comparing two states, describing an exchange.

use serde_json::Value;

use crate::model::exchange::Exchange;
use crate::model::violation::Violation;
use crate::scenario::Resource;
use crate::snapshot::CollectionSnapshot;
use crate::snapshot::canonical::Canon;
use crate::snapshot::diff::unified_diff;

/// The cause a `201 Created` to a PUT on an existing resource shares across checks
/// (`repeat-put`'s `repeat-201`, `status-conformance`'s `put-update-201`, `concurrent-put`'s
/// `replace-201`; RFC 9110 §9.3.4): the report groups them into one finding (real CouchDB and
/// pouchdb-server answer every update 201).
pub(crate) const UPDATE_ANSWERED_201: &str = "update-answered-201";

/// A violation when two canonical states differ, with their diff.
pub(crate) fn states_differ(
    (label_a, a): (&str, &Value),
    (label_b, b): (&str, &Value),
    violation: impl FnOnce() -> Violation,
) -> Option<Violation> {
    let diff = unified_diff(label_a, a, label_b, b)?;
    Some(violation().diff(Some(diff)))
}

/// A violation when two listings of the case's items differ, with their diff; nothing when
/// either was not observed (a later page that failed, say, because a concurrent case's delete
/// shortened a page-numbered listing): an unobserved collection judges nothing.
pub(crate) fn collections_differ(
    canon: &Canon,
    (label_a, a): (&str, &CollectionSnapshot),
    (label_b, b): (&str, &CollectionSnapshot),
    violation: impl FnOnce() -> Violation,
) -> Option<Violation> {
    if a.items.is_none() || b.items.is_none() {
        return None;
    }
    states_differ(
        (label_a, &canon.collection_state(&a.as_state())),
        (label_b, &canon.collection_state(&b.as_state())),
        violation,
    )
}

/// `METHOD URL → STATUS` of an exchange, for observed texts.
pub(crate) fn answered(exchange: &Exchange) -> String {
    format!(
        "{} {} answered {}",
        exchange.request.method, exchange.request.url, exchange.response.status
    )
}

/// The rule of [`token_refused`]'s info.
pub(crate) const STALE_TOKEN: &str = "stale-version-token";

/// On a resource with a version token (`[resources.NAME.version]`), a write answered 409 or 412
/// failed its precondition: its token was stale or missing, and RFC 9110 §13.2.1 lets the
/// server refuse it whatever the write would have done. The info that says the case could not
/// be judged, instead of a warning that a valid write did not succeed; `None` otherwise.
pub(crate) fn token_refused(
    resource: &Resource,
    write: &Exchange,
    what: &str,
) -> Option<Violation> {
    let version = resource.version.as_ref()?;
    if write.request.method.is_safe() || !matches!(write.response.status, 409 | 412) {
        return None;
    }
    let source = match &version.answer {
        Some(answer) => format!("`{answer}` of the latest write's answer"),
        None => "no write's answer (`version.answer` is not declared)".to_string(),
    };
    Some(
        Violation::info(format!(
            "{what} was refused as a failed precondition (a stale or missing version token); the case could not be judged"
        ))
        .rule(STALE_TOKEN)
        .expected(format!(
            "the write carries the current token, from `{}` of the latest read or {source}",
            version.member
        ))
        .observed(answered(write)),
    )
}

/// Where the scenario declares no version token but the fit probe showed that the API refuses
/// an unconditional write to an existing resource (409, 412, 428: it wants one), such a refusal
/// of `write`: the same info as [`token_refused`]'s, for the token the scenario does not send.
pub(crate) fn token_missing(write: &Exchange, what: &str) -> Violation {
    Violation::info(format!(
        "{what} was refused as a failed precondition (a version token the scenario does not send); the case could not be judged"
    ))
    .rule(STALE_TOKEN)
    .expected("the write carries the current version token (RFC 9110 §13.2.1)")
    .observed(answered(write))
}

/// Why a case that [`token_refused`] (or [`token_missing`]) judged observed nothing: the title of its first
/// `stale-version-token` info, and where the scenario could declare the fresh token when it
/// does not. The runner makes such a case inconclusive (one rule with a setup write refused
/// 409/412/428, [`crate::session::Session::require_success`]): never a pass.
pub(crate) fn stale_token_reason(violations: &[Violation], resource: &Resource) -> Option<String> {
    let refused = violations.iter().find(|v| v.rule == STALE_TOKEN)?;
    let hint = match resource.version.as_ref().map(|v| &v.answer) {
        Some(None) => " (declare where writes answer the new token: `version.answer`)",
        Some(Some(_)) => "",
        None => " (declare the token: `[resources.NAME.version]`)",
    };
    Some(format!("observed nothing: {}{hint}", refused.title))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_states_are_no_violation() {
        let v = json!({"a": 1});
        assert!(states_differ(("x", &v), ("y", &v), || Violation::error("t")).is_none());
        let w = json!({"a": 2});
        let found = states_differ(("x", &v), ("y", &w), || Violation::error("t"));
        assert!(found.and_then(|f| f.diff).is_some());
    }

    fn couch(version: &str) -> Resource {
        let text = format!(
            r#"
[target]
base_url = "http://127.0.0.1:1"
[resources.docs]
collection = "/db"
item = "/db/{{id}}"
create = "put"
required = ["name"]
[resources.docs.body]
name = {{ gen = "string", min_len = 1, max_len = 8 }}
{version}
"#
        );
        let env = crate::env::EnvSnapshot::default();
        let scenario = crate::scenario::load_str(std::path::Path::new("t.toml"), &text, &env)
            .expect("valid scenario");
        scenario.resources.into_iter().next().expect("one resource")
    }

    #[test]
    fn a_write_refused_for_its_token_makes_the_case_inconclusive_with_a_hint() {
        use crate::checks::testing::exchange;
        use crate::model::exchange::Method;
        let refused = exchange(Method::Delete, "http://127.0.0.1:1/db/a", 409, None, &[]);
        let bare = couch("[resources.docs.version]\nmember = \"/_rev\"");
        let info = token_refused(&bare, &refused, "the DELETE").expect("a stale token");
        let reason = stale_token_reason(std::slice::from_ref(&info), &bare).expect("inconclusive");
        assert!(
            reason.starts_with("observed nothing: the DELETE was refused"),
            "{reason}"
        );
        assert!(reason.contains("`version.answer`"), "{reason}");
        let answered = couch("[resources.docs.version]\nmember = \"/_rev\"\nanswer = \"/rev\"");
        let reason = stale_token_reason(std::slice::from_ref(&info), &answered);
        assert!(reason.is_some_and(|r| !r.contains("version.answer")));
        // Without a declared token, the fit probe's finding names the token to declare.
        let tokenless = couch("");
        assert!(token_refused(&tokenless, &refused, "the DELETE").is_none());
        let missing = token_missing(&refused, "a PUT to an existing resource");
        let reason = stale_token_reason(&[missing], &tokenless).expect("inconclusive");
        assert!(reason.contains("[resources.NAME.version]"), "{reason}");
        // Another finding alone observed something.
        assert!(stale_token_reason(&[Violation::info("x").rule("y")], &bare).is_none());
    }

    #[test]
    fn a_half_unobserved_pair_of_listings_is_no_violation() {
        let canon = Canon::default();
        let seen = CollectionSnapshot::observed(1, 200, vec![json!({"id": "a"})]);
        let blind = CollectionSnapshot::unobserved(2, 200, "page 5 answered 404");
        let judge = |a, b| collections_differ(&canon, ("x", a), ("y", b), || Violation::error("t"));
        assert!(judge(&seen, &blind).is_none());
        assert!(judge(&blind, &seen).is_none());
        let other = CollectionSnapshot::observed(3, 200, Vec::new());
        assert!(judge(&seen, &other).is_some());
    }
}
