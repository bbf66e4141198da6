//! The built-in checks: their identities and metadata (name, RFC section, summary), and the
//! dispatch from a check id to the module that drives and judges it.
//!
//! Each check lives in its own module with two halves: `execute` drives the requests through a
//! [`crate::runner::session::Session`] and returns a typed record; `judge` is a pure function from
//! that record to findings, unit-tested without a network.

pub mod dispatch;
pub mod get_safety;
pub mod head_parity;
pub mod outline;
pub mod partial_put;
pub mod post_retry;
pub mod put_after_delete;
pub mod repeat_delete;
pub mod repeat_put;
pub mod script;
pub mod status_conformance;
pub mod use_after_delete;
pub mod verdict;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every check idemfuzz knows, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    RepeatPut,
    PartialPut,
    RepeatDelete,
    PutAfterDelete,
    UseAfterDelete,
    GetSafety,
    HeadParity,
    PostRetry,
    StatusConformance,
    /// A hand-written script's expectations and state assertions.
    Script,
}

/// Static facts about a check, shown by `list-checks` and in reports.
#[derive(Debug, Clone, Copy)]
pub struct CheckInfo {
    pub id: CheckId,
    pub name: &'static str,
    pub rfc: &'static str,
    /// Section of `oracles.md` that digests the rule.
    pub oracle: &'static str,
    pub summary: &'static str,
}

/// The built-in checks (scripts are not listed: they are the user's own).
pub const BUILT_IN: [CheckId; 9] = [
    CheckId::RepeatPut,
    CheckId::PartialPut,
    CheckId::RepeatDelete,
    CheckId::PutAfterDelete,
    CheckId::UseAfterDelete,
    CheckId::GetSafety,
    CheckId::HeadParity,
    CheckId::PostRetry,
    CheckId::StatusConformance,
];

impl CheckId {
    /// The check's metadata.
    pub fn info(self) -> CheckInfo {
        let (name, rfc, oracle, summary) = match self {
            CheckId::RepeatPut => (
                "repeat-put",
                "RFC 9110 §9.2.2, §9.3.4",
                "RFC 9110 — methods: Idempotent methods, PUT",
                "the same full PUT applied N times leaves the state of applying it once; a repeat never answers 201",
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
                "create answers 201 (POST with a resolving Location), update 200/204, 405 carries Allow",
            ),
            CheckId::Script => (
                "script",
                "scenario file",
                "—",
                "a hand-written script's expectations and state assertions",
            ),
        };
        CheckInfo {
            id: self,
            name,
            rfc,
            oracle,
            summary,
        }
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
    pub name: String,
    pub known: String,
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

#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod testing;
