//! Cleanup: deletes every resource this run created and did not already delete — and nothing
//! else — then reports what it could not delete. It runs during the run, for the cases that
//! finished (so the target's collections do not grow with the run), and once more at the end
//! of the run, as the safety net for cases that were interrupted or whose cleanup failed.
//!
//! Every cleanup DELETE passes the ownership guard like any other request: only a URL the
//! registry holds, on its target's origin, is ever deleted.
//!
//! A DELETE refused for want of a precondition (409, 412 or 428: CouchDB wants the current
//! `_rev`) is sent again after a GET of the resource: with `If-Match:` the version token its
//! body holds when the resource declares one (`[resources.NAME.version]`), then with the `ETag`
//! the GET answered (pouchdb-server's ETag is a hash of the body, not the revision).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::http::transport::Transport;
use crate::model::exchange::Method;
use crate::model::report::{CleanupReport, LeftBehind};
use crate::scenario::{JsonPointer, Scenario};
use crate::session::context::{ResolvedTarget, RunContext};
use crate::session::entity_tag;
use crate::session::faults;
use crate::session::guard::{self, Scope};
use crate::session::journal::Journal;
use crate::session::registry::{Owned, OwnedState, Registry};

/// Longest wait for one cleanup DELETE.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);
/// Transport errors in a row after which cleanup gives up (the target is gone).
const GIVE_UP_AFTER: usize = 3;

/// Where each resource keeps its version token (`[resources.NAME.version]`), by resource name:
/// what a DELETE refused for want of a precondition is retried with.
#[derive(Debug, Default, Clone)]
pub(crate) struct VersionMembers(BTreeMap<String, Vec<JsonPointer>>);

impl VersionMembers {
    /// The version members the resources of `scenarios` declare.
    pub(crate) fn of<'s>(scenarios: impl IntoIterator<Item = &'s Scenario>) -> VersionMembers {
        let mut members: BTreeMap<String, Vec<JsonPointer>> = BTreeMap::new();
        let declared = scenarios.into_iter().flat_map(|s| &s.resources);
        for resource in declared {
            if let Some(version) = &resource.version {
                let list = members.entry(resource.name.clone()).or_default();
                if !list.contains(&version.member) {
                    list.push(version.member.clone());
                }
            }
        }
        VersionMembers(members)
    }

    /// The `If-Match` values the body of a read of `resource` names as its version.
    fn tokens_in(&self, resource: &str, body: &[u8]) -> Vec<String> {
        let Some(members) = self.0.get(resource) else {
            return Vec::new();
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        members
            .iter()
            .filter_map(|member| member.get(&body))
            .filter(|token| token.is_string() || token.is_number())
            .map(entity_tag)
            .collect()
    }
}

/// DELETEs each owned resource (which `registry` must hold) with the headers of its target, and
/// records in `journal` what is proven gone.
pub(crate) async fn clean_up(
    transport: &dyn Transport,
    registry: &Registry,
    owned: Vec<Owned>,
    targets: &[ResolvedTarget],
    versions: &VersionMembers,
    journal: &Journal,
) -> CleanupReport {
    let mut report = CleanupReport::default();
    let mut failures_in_a_row = 0;
    for resource in owned {
        if !resource.deletable {
            report
                .left_behind
                .push(left(&resource, "the resource declares no DELETE"));
            continue;
        }
        if failures_in_a_row >= GIVE_UP_AFTER {
            report.left_behind.push(left(
                &resource,
                "not attempted: the target stopped answering",
            ));
            continue;
        }
        match delete_one(transport, registry, &resource, targets, versions).await {
            Ok(true) => {
                journal.gone(&resource.url);
                report.deleted += 1;
                failures_in_a_row = 0;
            }
            Ok(false) => {
                journal.gone(&resource.url);
                failures_in_a_row = 0;
            }
            Err(err) => {
                failures_in_a_row += usize::from(matches!(err, NotDeleted::Transport(_)));
                report.left_behind.push(left(&resource, &err.to_string()));
            }
        }
    }
    report
}

/// Deletes what one finished case created (`urls`, all run-owned) and did not delete itself,
/// and forgets every one whose deletion is proven. A resource that cannot be deleted now (no
/// DELETE declared, an error answer, a transport error) stays registered for the run-end
/// cleanup, which reports it; after a transport error the case's other resources wait too.
/// A fresh id that was never written cannot exist: it is forgotten without a request.
pub(crate) async fn clean_case(
    ctx: &RunContext,
    target: &ResolvedTarget,
    versions: &VersionMembers,
    urls: &[String],
) {
    for url in urls {
        let Some(owned) = ctx.registry.get(url) else {
            continue;
        };
        if owned.state == OwnedState::Deleted || !ctx.journal.may_exist(url) {
            ctx.registry.forget(url, false);
            continue;
        }
        if !owned.deletable {
            continue;
        }
        let target = std::slice::from_ref(target);
        let transport = ctx.transport.as_ref();
        match delete_one(transport, &ctx.registry, &owned, target, versions).await {
            Ok(deleted) => {
                ctx.journal.gone(url);
                ctx.registry.forget(url, deleted);
            }
            Err(NotDeleted::Transport(_)) => return,
            Err(_) => {}
        }
    }
}

/// Why a run-owned resource was not deleted (the reason a left-behind resource shows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum NotDeleted {
    #[error("no target matches its URL")]
    NoTarget,
    #[error("DELETE answered {0}")]
    Answered(u16),
    #[error("transport error: {0}")]
    Transport(String),
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Refused(String),
}

/// `Ok(true)` deleted, `Ok(false)` already absent, `Err` why it is left behind. A transient
/// fault is retried (at most [`faults::PROBE_ATTEMPTS`] tries in all).
async fn delete_one(
    transport: &dyn Transport,
    registry: &Registry,
    resource: &Owned,
    targets: &[ResolvedTarget],
    versions: &VersionMembers,
) -> Result<bool, NotDeleted> {
    let mut attempt = 1;
    loop {
        let result = delete_once(transport, registry, resource, targets, versions).await;
        let transient = match &result {
            Err(NotDeleted::Answered(status)) => faults::is_transient_status(*status),
            Err(NotDeleted::Transport(_)) => true,
            _ => false,
        };
        if !transient || attempt >= faults::PROBE_ATTEMPTS {
            return result;
        }
        tokio::time::sleep(faults::backoff(attempt)).await;
        attempt += 1;
    }
}

async fn delete_once(
    transport: &dyn Transport,
    registry: &Registry,
    resource: &Owned,
    targets: &[ResolvedTarget],
    versions: &VersionMembers,
) -> Result<bool, NotDeleted> {
    let target = targets
        .iter()
        .find(|t| guard::belongs_to(&t.base_url, &resource.url))
        .ok_or(NotDeleted::NoTarget)?;
    let scope = Scope {
        base: &target.base_url,
        registry,
        collection: None,
    };
    let send = |method: Method, extra: Option<(&str, String)>| {
        let mut headers = target.wire_headers();
        headers.extend(extra.map(|(name, value)| (name.to_string(), value)));
        let request = guard::clear(scope, method, &resource.url)
            .map_err(|refusal| NotDeleted::Refused(refusal.to_string()))
            .map(|cleared| {
                cleared.request(headers, None, target.target.timeout.min(CLEANUP_TIMEOUT))
            });
        async move {
            let request = request?;
            crate::session::auth::send(transport, target.auth.as_deref(), request)
                .await
                .map_err(not_sent)
        }
    };
    let mut answer = send(Method::Delete, None).await?;
    if needs_precondition(answer.status) {
        let read = send(Method::Get, None).await?;
        let mut preconditions = Vec::new();
        if (200..300).contains(&read.status) {
            preconditions = versions.tokens_in(&resource.resource, &read.body);
            let etag = read
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("etag"))
                .map(|(_, value)| value.clone());
            preconditions.extend(etag.filter(|etag| !preconditions.contains(etag)));
        }
        for precondition in preconditions {
            answer = send(Method::Delete, Some(("If-Match", precondition))).await?;
            if !needs_precondition(answer.status) {
                break;
            }
        }
    }
    match answer.status {
        200..=299 => Ok(true),
        404 | 410 => Ok(false),
        status => Err(NotDeleted::Answered(status)),
    }
}

/// A DELETE refused so may want a precondition (409 or 412: CouchDB without the current
/// `_rev`; 428 Precondition Required, RFC 6585 §3): it is sent once more with `If-Match`.
pub(crate) fn needs_precondition(status: u16) -> bool {
    matches!(status, 409 | 412 | 428)
}

fn not_sent(err: crate::session::auth::SendError) -> NotDeleted {
    match err {
        crate::session::auth::SendError::Transport(err) => NotDeleted::Transport(err.to_string()),
        crate::session::auth::SendError::Auth(err) => NotDeleted::Auth(err.to_string()),
    }
}

fn left(resource: &Owned, reason: &str) -> LeftBehind {
    LeftBehind {
        url: resource.url.clone(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::future::BoxFuture;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::env::EnvSnapshot;
    use crate::http::transport::{OutgoingRequest, RawResponse, TransportError};

    /// Answers DELETE with the status its URL ends in (`…/s500` → 500) and remembers the URLs.
    #[derive(Default)]
    struct ByUrl {
        deleted: Mutex<Vec<String>>,
    }

    impl Transport for ByUrl {
        fn send(
            &self,
            request: OutgoingRequest,
        ) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
            let status = request
                .url
                .rsplit("/s")
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(204);
            if let Ok(mut deleted) = self.deleted.lock() {
                deleted.push(request.url.clone());
            }
            Box::pin(async move {
                Ok(RawResponse {
                    status,
                    headers: Vec::new(),
                    body: Vec::new(),
                    body_len: 0,
                    elapsed: Duration::ZERO,
                })
            })
        }
    }

    #[tokio::test]
    async fn a_case_s_resources_are_deleted_and_forgotten_unless_they_cannot_be() {
        let transport = Arc::new(ByUrl::default());
        let ctx = RunContext::new(transport.clone(), "r".into(), CancellationToken::new());
        let scenario = crate::scenario::load_str(
            std::path::Path::new("t.toml"),
            "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nbody = { name = \"x\" }\n",
            &EnvSnapshot::from_pairs::<&str, &str>([]),
        )
        .expect("valid scenario");
        let target = ResolvedTarget::new("http://h".into(), scenario.target.clone());
        let url = |id: &str| format!("http://h/things/{id}");
        for (id, deletable) in [
            ("live", true),
            ("gone", true),
            ("s404", true),
            ("s500", true),
            ("fixed", false),
        ] {
            ctx.registry.allocate("things", id, &url(id), deletable);
            ctx.journal
                .may_create(&url(id), "http://h/things")
                .expect("in memory");
        }
        // Allocated but never written: forgotten without a request.
        ctx.registry
            .allocate("things", "unwritten", &url("unwritten"), true);
        ctx.registry.mark(&url("gone"), OwnedState::Deleted);
        ctx.registry
            .allocate("things", "other-case", &url("other-case"), true);
        let case: Vec<String> = ["live", "gone", "s404", "s500", "fixed", "unwritten"]
            .iter()
            .map(|id| url(id))
            .collect();
        clean_case(&ctx, &target, &VersionMembers::default(), &case).await;
        let sent = transport
            .deleted
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default();
        assert_eq!(
            sent,
            vec![url("live"), url("s404"), url("s500")],
            "only the case's resources not known to be deleted, and only deletable ones"
        );
        assert_eq!(
            ctx.registry.cleaned_after_cases(),
            1,
            "404 was already gone"
        );
        let left: Vec<String> = ctx
            .registry
            .not_deleted()
            .into_iter()
            .map(|owned| owned.id)
            .collect();
        assert_eq!(
            left,
            vec!["fixed", "other-case", "s500"],
            "what could not be deleted waits for the run-end cleanup"
        );
        let live = crate::http::wire_url::WireUrl::parse(&url("live")).expect("URL");
        assert!(!ctx.registry.owns(&live), "a deleted resource is forgotten");
    }
}
