//! What an oracle returns: violations (a finding without the case's context), and how a list
//! of statuses reads in them.

use crate::model::exchange::Exchange;
use crate::model::findings::Severity;

/// A broken rule, as judged from a case's records. The runner adds check, resource, RFC and
/// the request sequence to make it a [`crate::model::findings::Finding`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Violation {
    pub(crate) severity: Severity,
    /// Which sub-rule of the check fired: a stable, kebab-case slug such as `state-changed` or
    /// `second-201`, set by the judge with [`Violation::rule`]. With the scenario file, resource
    /// and check it forms the finding's fingerprint (`scenario:resource:check:rule`), which
    /// `--baseline` files match on, so it must stay the same across runs, seeds and servers:
    /// never put server-controlled values (statuses, ids, bodies) in it. It may be qualified
    /// with names from the scenario file (`header-mismatch/etag`, `step/create/status`).
    /// Every judge sets one; an empty rule falls back to a slug of the title.
    pub(crate) rule: String,
    pub(crate) title: String,
    pub(crate) expected: String,
    pub(crate) observed: String,
    pub(crate) diff: Option<String>,
    /// Fuzz findings: the minimal reproduction and how it was reached.
    pub(crate) fuzz: Option<Box<crate::model::fuzz::FuzzDetail>>,
    /// The exchanges that show the violation, when they are not all of the case's (fuzz
    /// findings keep only the executions of the minimal sequence).
    pub(crate) exchanges: Option<Vec<Exchange>>,
    /// The cause it shares with other rules (a stable kebab-case key, e.g. `if-match-ignored`):
    /// the report makes the findings of one cause on one resource one finding
    /// ([`crate::model::cause`]). Like the rule, never a value from the server.
    pub(crate) cause: Option<String>,
}

impl Violation {
    pub(crate) fn error(title: impl Into<String>) -> Violation {
        Violation::new(Severity::Error, title)
    }

    pub(crate) fn warning(title: impl Into<String>) -> Violation {
        Violation::new(Severity::Warning, title)
    }

    pub(crate) fn info(title: impl Into<String>) -> Violation {
        Violation::new(Severity::Info, title)
    }

    fn new(severity: Severity, title: impl Into<String>) -> Violation {
        Violation {
            severity,
            rule: String::new(),
            title: title.into(),
            expected: String::new(),
            observed: String::new(),
            diff: None,
            fuzz: None,
            exchanges: None,
            cause: None,
        }
    }

    /// Names the sub-rule that fired (see the field's documentation).
    pub(crate) fn rule(mut self, rule: impl Into<String>) -> Violation {
        self.rule = rule.into();
        self
    }

    pub(crate) fn expected(mut self, text: impl Into<String>) -> Violation {
        self.expected = text.into();
        self
    }

    pub(crate) fn observed(mut self, text: impl Into<String>) -> Violation {
        self.observed = text.into();
        self
    }

    /// Names the cause it shares with other rules (see the field's documentation).
    pub(crate) fn cause(mut self, key: impl Into<String>) -> Violation {
        self.cause = Some(key.into());
        self
    }

    pub(crate) fn diff(mut self, diff: Option<String>) -> Violation {
        self.diff = diff;
        self
    }

    /// A fuzz violation: its detail and the exchanges of the executions that show it.
    pub(crate) fn with_fuzz(
        mut self,
        detail: crate::model::fuzz::FuzzDetail,
        exchanges: Vec<Exchange>,
    ) -> Violation {
        self.fuzz = Some(Box::new(detail));
        self.exchanges = Some(exchanges);
        self
    }
}

/// A status list as text: `404 or 410`.
pub(crate) fn statuses(list: &[u16]) -> String {
    match list {
        [] => "any status".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} or {last}",
            init.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_read_naturally() {
        assert_eq!(statuses(&[404]), "404");
        assert_eq!(statuses(&[404, 410]), "404 or 410");
        assert_eq!(statuses(&[200, 204, 404]), "200, 204 or 404");
    }
}
