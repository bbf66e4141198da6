//! What a session noticed about the target's own answers while keeping the run safe — a 201
//! that names some other resource, a `Location` or redirect to another origin — reported as a
//! finding of the check whose case saw it (the runner adds the check, scenario, resource and
//! the case's exchanges). The request such an answer points to is never written to, and never
//! sent to another origin.

use crate::model::findings::Severity;

/// RFC sections of the notices about created resources.
const CREATED_RFC: &str = "RFC 9110 §15.3.2, §10.2.2";
/// RFC sections of the notices about other origins.
const ORIGIN_RFC: &str = "RFC 9110 §10.2.2, §15.4; RFC 6454";
/// The section of `oracles.md` that digests a created resource's Location.
const CREATED_ORACLE: &str = "RFC 9110 — methods: POST";

/// One observation that becomes a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) severity: Severity,
    /// A stable slug (see `Violation::rule`).
    pub(crate) rule: &'static str,
    pub(crate) title: String,
    pub(crate) expected: String,
    pub(crate) observed: String,
    pub(crate) rfc: &'static str,
    pub(crate) oracle: &'static str,
}

impl Notice {
    /// A 201 whose `Location` names a resource that is not the one the POST created: another
    /// item (one that does not hold what the POST sent), or a URL that is no item of the
    /// collection.
    pub(crate) fn location_not_created(observed: String) -> Notice {
        Notice {
            severity: Severity::Error,
            rule: "location-not-created-resource",
            title: "201 Location does not name the created resource".into(),
            expected: "the Location of a 201 identifies the resource the request created (RFC 9110 §15.3.2), which holds what the POST sent".into(),
            observed,
            rfc: CREATED_RFC,
            oracle: CREATED_ORACLE,
        }
    }

    /// A 201 whose body names (at `post_id`) an id whose resource is not the one created.
    pub(crate) fn post_id_not_created(observed: String) -> Notice {
        Notice {
            severity: Severity::Error,
            rule: "post-id-not-created-resource",
            title: "the id in a 201 answer does not name the created resource".into(),
            expected: "the id a 201 answer gives is the created resource's, which holds what the POST sent".into(),
            observed,
            rfc: CREATED_RFC,
            oracle: CREATED_ORACLE,
        }
    }

    /// A 201 whose `Location` is on another origin: never requested, never adopted.
    pub(crate) fn location_other_origin(observed: String) -> Notice {
        Notice {
            severity: Severity::Warning,
            rule: "location-other-origin",
            title: "the Location of a created resource is on another origin".into(),
            expected: "a Location on the target's origin, where idemfuzz can read it back (it sends nothing, and no credentials, to another origin)".into(),
            observed,
            rfc: ORIGIN_RFC,
            oracle: CREATED_ORACLE,
        }
    }

    /// A redirect (3xx) whose `Location` is on another origin: never followed.
    pub(crate) fn redirect_other_origin(observed: String) -> Notice {
        Notice {
            severity: Severity::Info,
            rule: "redirect-other-origin",
            title: "a redirect points to another origin".into(),
            expected: "nothing: idemfuzz never follows redirects, and sends nothing (no credentials) to another origin".into(),
            observed,
            rfc: ORIGIN_RFC,
            oracle: "RFC 9110 — methods",
        }
    }
}
