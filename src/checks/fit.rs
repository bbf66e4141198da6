//! What the fit probe learned about a resource before the checks ([`Fit`]), and what a check
//! needs of it ([`Need`]): a check whose needs the API cannot meet is inconclusive up front,
//! with the reason, instead of running cases that cannot observe anything (see
//! `docs/checks.md`, "The fit probe").
//!
//! Every fact is `None` until the probe showed the API cannot give that observation: a resource
//! that was not probed (or whose probe could not create anything) meets every need, and its
//! cases find out for themselves.

use crate::model::fit::FitLine;

/// What the fit probe of one resource showed (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fit {
    /// The probe's lines for the report, in order.
    pub(crate) lines: Vec<FitLine>,
    /// Why an item cannot be read back after it was created (a 3xx, a 404, not JSON).
    pub(crate) item_unreadable: Option<String>,
    /// Why the item read back does not show what the client sent (the API ignores the body).
    pub(crate) body_not_reflected: Option<String>,
    /// Why the collection shows none of the run's items (unreadable, or not listed).
    pub(crate) not_listed: Option<String>,
    /// Why a GET of an id never created proves nothing (the API answers 2xx for any id).
    pub(crate) answers_unknown_ids: Option<String>,
    /// Why an unconditional PUT to an existing resource is refused (a version token needed).
    pub(crate) update_needs_token: Option<String>,
    /// Why an unconditional DELETE is refused (a version token needed).
    pub(crate) delete_needs_token: Option<String>,
}

/// An observation a check cannot judge without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// A GET of an item it created answers 2xx with a readable (JSON) representation.
    ItemReadable,
    /// ... which shows the members the client sent (implies [`Need::ItemReadable`]).
    BodyReflected,
    /// The collection lists the run's items.
    Listing,
    /// A GET of an id never created answers 404 or 410, so "it exists" means something.
    UnknownIdsAbsent,
    /// An unconditional PUT to an existing resource succeeds.
    UnconditionalUpdate,
    /// An unconditional DELETE succeeds.
    Delete,
}

impl Fit {
    /// Why the first of `needs` the API cannot meet is unmet, if one is.
    pub(crate) fn unmet(&self, needs: &[Need]) -> Option<String> {
        needs.iter().find_map(|need| self.why_not(*need))
    }

    fn why_not(&self, need: Need) -> Option<String> {
        let reason = match need {
            Need::ItemReadable => self.item_unreadable.as_ref(),
            Need::BodyReflected => self
                .item_unreadable
                .as_ref()
                .or(self.body_not_reflected.as_ref()),
            Need::Listing => self.not_listed.as_ref(),
            Need::UnknownIdsAbsent => self.answers_unknown_ids.as_ref(),
            Need::UnconditionalUpdate => self.update_needs_token.as_ref(),
            Need::Delete => self.delete_needs_token.as_ref(),
        }?;
        Some(format!(
            "the fit probe showed before the cases that {reason}"
        ))
    }

    /// True when an unconditional write to an existing resource is refused because the API
    /// needs a version token: then a write whose precondition fails may be refused with the
    /// status the request without its precondition gets (409, 428), not only 412 (RFC 9110
    /// §13.2.1).
    pub(crate) fn needs_version_token(&self) -> bool {
        self.update_needs_token.is_some() || self.delete_needs_token.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unprobed_resource_meets_every_need() {
        let fit = Fit::default();
        let all = [
            Need::ItemReadable,
            Need::BodyReflected,
            Need::Listing,
            Need::UnknownIdsAbsent,
            Need::UnconditionalUpdate,
            Need::Delete,
        ];
        assert_eq!(fit.unmet(&all), None);
        assert!(!fit.needs_version_token());
    }

    #[test]
    fn an_unreadable_item_is_also_an_unreflected_body() {
        let fit = Fit {
            item_unreadable: Some("GET /t/x answered 404 right after a 2xx create".into()),
            ..Fit::default()
        };
        let why = fit.unmet(&[Need::Listing, Need::BodyReflected]);
        assert_eq!(
            why.as_deref(),
            Some(
                "the fit probe showed before the cases that GET /t/x answered 404 right after a 2xx create"
            )
        );
        assert_eq!(fit.unmet(&[Need::Listing, Need::Delete]), None);
    }
}
