//! Nested resources: each case of a nested resource first creates its own parent, through a
//! session of the parent's resource, under the same rules as any resource a case creates — its
//! id is registered before the request, and it counts as created only when proven so (a PUT
//! answered with one of the parent's `put_create_statuses`, or a POST's 201 adopted after its
//! read-back). The child's session then carries on that session's exchanges, notices and
//! ownership: every path it sends is below the parent, and its cleanup deletes the children
//! first, then the parent.

use std::borrow::Cow;

use super::{CaseError, Session};
use crate::model::exchange::Method;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, Resource};
use crate::session::context::{ResolvedTarget, RunContext};

/// What a case says when it creates its parent.
pub(crate) const PARENT_PURPOSE: &str = "create the parent this case's resources live under";

/// The parent a case of a nested resource created, and the child resource under it.
pub(crate) struct ParentCase<'a> {
    session: Session<'a>,
    /// The child as the case sees it ([`Resource::under`] the parent), or why there is none.
    child: Result<Resource, CaseError>,
}

impl<'a> ParentCase<'a> {
    /// Creates the parent of `resource` for one attempt (case number, re-runs so far) of a
    /// case (`None` when `resource` is not nested), with a body generated from the parent's
    /// template and `seed`. Its ids are the attempt's, with `-p` (`…-c0001-p-1`).
    pub(crate) async fn create(
        ctx: &'a RunContext,
        target: &'a ResolvedTarget,
        resource: &'a Resource,
        (case_number, attempt): (u64, u32),
        seed: u64,
    ) -> Option<ParentCase<'a>> {
        let parent = &resource.parent.as_ref()?.resource;
        let mut session = Session::attempt(ctx, target, parent, case_number, attempt);
        session.case_tag.push_str("-p");
        let body = BodyGenerator::new(seed).generate(&parent.body);
        let child = match session.create(&body, PARENT_PURPOSE).await {
            Ok(created) => session
                .prove_parent(created.exchange)
                .map(|()| resource.under(&created.id)),
            Err(err) => Err(err),
        };
        let child = child.map_err(|err| match err {
            CaseError::Setup(why) => CaseError::Setup(format!(
                "the parent `{}` of this case could not be created: {why}",
                parent.name
            )),
            other => other,
        });
        Some(ParentCase { session, child })
    }

    /// The resource a case works on: `resource` itself when it has no parent (`parent` is
    /// `None`), else the child under the case's parent, or why the case cannot go on.
    pub(crate) fn resource_of<'r>(
        parent: Option<&ParentCase<'_>>,
        resource: &'r Resource,
    ) -> Result<Cow<'r, Resource>, CaseError> {
        match parent {
            None => Ok(Cow::Borrowed(resource)),
            Some(parent) => parent.child.clone().map(Cow::Owned),
        }
    }

    /// The prefix of the ids the parent's session allocated.
    pub(crate) fn case_tag(&self) -> String {
        self.session.case_tag().to_owned()
    }

    /// The URLs of what the parent's session owns (for the cleanup of a case that stopped).
    pub(crate) fn owned_urls(&self) -> Vec<String> {
        self.session.owned_urls()
    }
}

impl Session<'_> {
    /// A PUT-created parent counts as created only with one of its `put_create_statuses`
    /// (RFC 9110 §9.3.4: 201 by default); a POST-created one was adopted after its 201.
    fn prove_parent(&self, exchange: usize) -> Result<(), CaseError> {
        let exchange = &self.exchanges[exchange];
        let statuses = &self.resource.put_create_statuses;
        if self.resource.create == CreateMode::Post
            || exchange.request.method != Method::Put
            || statuses.contains(&exchange.response.status)
        {
            return Ok(());
        }
        Err(CaseError::Setup(format!(
            "PUT {} answered {}, not {} Created: idemfuzz puts children only under a parent it proved it created (declare `put_create_statuses` if the API answers otherwise)",
            crate::shorten::shorten(&exchange.request.url),
            exchange.response.status,
            statuses
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        )))
    }

    /// Carries on after the case's parent was created: its exchanges come first, its notices
    /// are the case's, and its resources are cleaned up after the case's own.
    pub(crate) fn continue_after(&mut self, parent: ParentCase<'_>) {
        let mut before = parent.session;
        self.parents = before.owned_urls();
        self.notices.append(&mut before.notices);
        let mut exchanges = std::mem::take(&mut before.exchanges);
        exchanges.append(&mut self.exchanges);
        self.exchanges = exchanges;
    }
}
