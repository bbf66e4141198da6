//! The checks idemfuzz knows: their ids (in run order), names and metadata (RFC section,
//! `oracles.md` section, summary), shown by `list-checks` and in reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every check idemfuzz knows, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// `repeat-put` (RFC 9110 §9.2.2, §9.3.4, §15.5.13): the same full PUT applied N times leaves
    /// the state of applying it once; a repeat never answers 201 and is never refused.
    RepeatPut,
    /// `partial-put` (RFC 9110 §9.3.4): a PUT that omits optional fields removes them (PUT
    /// replaces, it does not merge).
    PartialPut,
    /// `repeat-delete` (RFC 9110 §9.2.2, §9.3.5): DELETE twice: the resource is gone, the repeat
    /// never answers 5xx, nothing else disappears.
    RepeatDelete,
    /// `put-after-delete` (RFC 9110 §9.3.4, §9.3.5): PUT after DELETE creates exactly the new
    /// representation; no old field comes back.
    PutAfterDelete,
    /// `use-after-delete` (RFC 9110 §9.3.5): after a successful DELETE, GET and HEAD of the
    /// resource do not answer 2xx.
    UseAfterDelete,
    /// `get-safety` (RFC 9110 §9.2.1): GET, HEAD and OPTIONS change nothing; a GET of a missing id
    /// creates nothing.
    GetSafety,
    /// `head-parity` (RFC 9110 §9.3.2): HEAD answers the status and header fields of GET, with no
    /// content.
    HeadParity,
    /// `post-retry` (RFC 9110 §9.3.3; draft-ietf-httpapi-idempotency-key-header-07): POST retries:
    /// duplicates without a key are reported; with a key, exactly one resource.
    PostRetry,
    /// `status-conformance` (RFC 9110 §9.3.4, §15.3.2, §15.5.6): create answers 201 (POST with a
    /// resolving Location), update 200/204, 405 carries an Allow that lists what works.
    StatusConformance,
    /// A hand-written script's expectations and state assertions.
    Script,
    /// `concurrent-put` (RFC 9110 §9.2.2, §9.3.4): K identical PUTs released together create one
    /// resource in the state of one PUT, at most one 201; K more change nothing.
    ConcurrentPut,
    /// `concurrent-post-key` (RFC 9110 §9.3.3; draft-ietf-httpapi-idempotency-key-header-07): K
    /// concurrent POSTs with one Idempotency-Key create one resource; the others replay it or
    /// answer 409.
    ConcurrentPostKey,
    /// `lost-response-retry` (RFC 9110 §9.2.2, §9.3.3;
    /// draft-ietf-httpapi-idempotency-key-header-07): a write retried after its response was lost,
    /// or while still in flight, has the effect of one.
    LostResponseRetry,
    /// `conditional-write` (RFC 9110 §13.1.1, §13.1.2, §13.2; RFC 6585 §3): a failing If-Match /
    /// If-None-Match changes nothing (412), the current ETag succeeds, required preconditions
    /// answer 428.
    ConditionalWrite,
    /// `lost-update` (RFC 9110 §13.1.1): two clients writing with the same ETag: one succeeds, the
    /// other gets 412, the winner's state stays.
    LostUpdate,
    /// `etag-stability` (RFC 9110 §8.8.1, §8.8.3): ETags are well-formed, stay the same across
    /// identical PUTs, and change with the representation.
    EtagStability,
    /// `post-put-creation` (RFC 9110 §9.2.2, §9.3.3, §9.3.4): an empty POST creates an empty
    /// resource; the PUT that fills it can be retried after a lost response.
    PostPutCreation,
    /// Generated request sequences judged by metamorphic relations (opt-in).
    Fuzz,
}

/// Static facts about a check, shown by `list-checks` and in reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckInfo {
    pub(crate) name: &'static str,
    pub(crate) rfc: &'static str,
    /// Section of `oracles.md` that digests the rule.
    pub(crate) oracle: &'static str,
    pub(crate) summary: &'static str,
}

/// The built-in checks (scripts are not listed: they are the user's own).
pub const BUILT_IN: [CheckId; 17] = [
    CheckId::RepeatPut,
    CheckId::PartialPut,
    CheckId::RepeatDelete,
    CheckId::PutAfterDelete,
    CheckId::UseAfterDelete,
    CheckId::GetSafety,
    CheckId::HeadParity,
    CheckId::PostRetry,
    CheckId::StatusConformance,
    CheckId::ConcurrentPut,
    CheckId::ConcurrentPostKey,
    CheckId::LostResponseRetry,
    CheckId::ConditionalWrite,
    CheckId::LostUpdate,
    CheckId::EtagStability,
    CheckId::PostPutCreation,
    CheckId::Fuzz,
];

impl CheckId {
    /// The check's metadata.
    pub(crate) fn info(self) -> CheckInfo {
        let (name, rfc, oracle, summary) = match self {
            CheckId::RepeatPut => (
                "repeat-put",
                "RFC 9110 §9.2.2, §9.3.4, §15.5.13",
                "RFC 9110 — methods: Idempotent methods, PUT",
                "the same full PUT applied N times leaves the state of applying it once; a repeat never answers 201 and is never refused",
            ),
            CheckId::PartialPut => (
                "partial-put",
                "RFC 9110 §9.3.4",
                "RFC 9110 — methods: PUT",
                "a PUT that omits optional fields removes them (PUT replaces, it does not merge)",
            ),
            CheckId::RepeatDelete => (
                "repeat-delete",
                "RFC 9110 §9.2.2, §9.3.5",
                "RFC 9110 — methods: DELETE",
                "DELETE twice: the resource is gone, the repeat never answers 5xx, nothing else disappears",
            ),
            CheckId::PutAfterDelete => (
                "put-after-delete",
                "RFC 9110 §9.3.4, §9.3.5",
                "RFC 9110 — methods: PUT, DELETE",
                "PUT after DELETE creates exactly the new representation; no old field comes back",
            ),
            CheckId::UseAfterDelete => (
                "use-after-delete",
                "RFC 9110 §9.3.5",
                "RFC 9110 — methods: DELETE",
                "after a successful DELETE, GET and HEAD of the resource do not answer 2xx",
            ),
            CheckId::GetSafety => (
                "get-safety",
                "RFC 9110 §9.2.1",
                "RFC 9110 — methods: Safe methods",
                "GET, HEAD and OPTIONS change nothing; a GET of a missing id creates nothing",
            ),
            CheckId::HeadParity => (
                "head-parity",
                "RFC 9110 §9.3.2",
                "RFC 9110 — methods: HEAD",
                "HEAD answers the status and header fields of GET, with no content",
            ),
            CheckId::PostRetry => (
                "post-retry",
                "RFC 9110 §9.3.3; draft-ietf-httpapi-idempotency-key-header-07",
                "Idempotency-Key",
                "POST retries: duplicates without a key are reported; with a key, exactly one resource",
            ),
            CheckId::StatusConformance => (
                "status-conformance",
                "RFC 9110 §9.3.4, §15.3.2, §15.5.6",
                "RFC 9110 — methods: PUT, POST, 405",
                "create answers 201 (POST with a resolving Location), update 200/204, 405 carries an Allow that lists what works",
            ),
            CheckId::Fuzz => (
                "fuzz",
                "RFC 9110 §9.2.1, §9.2.2, §9.3.4, §9.3.5",
                "RFC 9110 — methods: Safe methods, Idempotent methods, PUT, DELETE",
                "opt-in: generated request sequences; a repeated idempotent request or an inserted safe one changes nothing; shrunk to a minimal repro",
            ),
            CheckId::Script => (
                "script",
                "scenario file",
                "—",
                "a hand-written script's expectations and state assertions",
            ),
            CheckId::ConcurrentPut => (
                "concurrent-put",
                "RFC 9110 §9.2.2, §9.3.4",
                "RFC 9110 — methods: Idempotent methods, PUT",
                "K identical PUTs released together create one resource in the state of one PUT, at most one 201; K more change nothing",
            ),
            CheckId::ConcurrentPostKey => (
                "concurrent-post-key",
                "RFC 9110 §9.3.3; draft-ietf-httpapi-idempotency-key-header-07",
                "Idempotency-Key",
                "K concurrent POSTs with one Idempotency-Key create one resource; the others replay it or answer 409",
            ),
            CheckId::LostResponseRetry => (
                "lost-response-retry",
                "RFC 9110 §9.2.2, §9.3.3; draft-ietf-httpapi-idempotency-key-header-07",
                "RFC 9110 — methods: Idempotent methods; Idempotency-Key",
                "a write retried after its response was lost, or while still in flight, has the effect of one",
            ),
            CheckId::ConditionalWrite => (
                "conditional-write",
                "RFC 9110 §13.1.1, §13.1.2, §13.2; RFC 6585 §3",
                "RFC 9110 §13 — conditional requests",
                "a failing If-Match / If-None-Match changes nothing (412), the current ETag succeeds, required preconditions answer 428",
            ),
            CheckId::LostUpdate => (
                "lost-update",
                "RFC 9110 §13.1.1",
                "RFC 9110 §13 — conditional requests",
                "two clients writing with the same ETag: one succeeds, the other gets 412, the winner's state stays",
            ),
            CheckId::EtagStability => (
                "etag-stability",
                "RFC 9110 §8.8.1, §8.8.3",
                "RFC 9110 §13 — conditional requests",
                "ETags are well-formed, stay the same across identical PUTs, and change with the representation",
            ),
            CheckId::PostPutCreation => (
                "post-put-creation",
                "RFC 9110 §9.2.2, §9.3.3, §9.3.4",
                "RFC 9110 — methods: PUT, POST; RFC 9110 §13 — conditional requests (POST-PUT creation)",
                "an empty POST creates an empty resource; the PUT that fills it can be retried after a lost response",
            ),
        };
        CheckInfo {
            name,
            rfc,
            oracle,
            summary,
        }
    }

    /// Checks that run only when selected by name (`--checks fuzz`, or `idemfuzz fuzz`).
    pub(crate) fn is_opt_in(self) -> bool {
        self == CheckId::Fuzz
    }

    /// The kebab-case name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.info().name
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown check name, with the list of known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown check `{name}`; known checks: {known}")]
pub struct UnknownCheck {
    pub(crate) name: String,
    pub(crate) known: String,
}

impl FromStr for CheckId {
    type Err = UnknownCheck;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BUILT_IN
            .iter()
            .copied()
            .chain([CheckId::Script])
            .find(|id| id.name() == s)
            .ok_or_else(|| UnknownCheck {
                name: s.to_string(),
                known: format!("{}, script", BUILT_IN.map(CheckId::name).join(", ")),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for id in BUILT_IN {
            assert_eq!(id.name().parse::<CheckId>(), Ok(id));
        }
        let err = "repeat-pot".parse::<CheckId>().unwrap_err();
        assert!(err.to_string().contains("repeat-put"));
    }
}
