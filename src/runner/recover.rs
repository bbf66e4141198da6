//! Recovery after a crash: what `idemfuzz cleanup` does with a run's ledger. Every URL the
//! ledger leaves open is registered as the run's and DELETEd through a [`Session`] — the same
//! ownership guard every request of a run passes; what POSTs with lost answers created is
//! searched for by the run marker and listed, never deleted. The outcome is appended to the
//! ledger, which is removed once nothing of the run is left.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::http::transport::Transport;
use crate::model::exchange::Method;
use crate::model::report::LeftBehind;
use crate::runner::leftovers;
use crate::runner::plan::PlannedScenario;
use crate::scenario::Resource;
use crate::session::context::RunContext;
use crate::session::ledger::{Entry, Ledger, Replayed};
use crate::session::registry::OwnedState;
use crate::session::{CaseError, Req, Session, faults};

/// What a recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// URLs whose DELETE succeeded.
    pub deleted: Vec<String>,
    /// URLs that answered 404 or 410: already gone.
    pub already_gone: Vec<String>,
    /// What is still there, or may be, with why.
    pub left_behind: Vec<LeftBehind>,
}

/// Deletes what `replayed` leaves open and searches what its lost POSTs created. `scenarios`
/// hold the targets (headers, credentials) and resources the ledger names; `ledger`, when
/// given, gets the outcome appended.
pub async fn recover(
    replayed: &Replayed,
    scenarios: &[PlannedScenario],
    transport: Arc<dyn Transport>,
    ledger: Option<&Ledger>,
) -> Recovery {
    let ctx = RunContext::new(
        transport,
        replayed.start.run_id.clone(),
        CancellationToken::new(),
    );
    let mut recovery = Recovery::default();
    if let Err(reason) =
        crate::session::auth::prepare(scenarios.iter().map(|p| &p.target), &ctx.cancel).await
    {
        recovery.left_behind = replayed.open.keys().map(|url| left(url, &reason)).collect();
        return recovery;
    }
    for (url, collection) in &replayed.open {
        let Some((planned, resource)) = leftovers::find(scenarios, collection) else {
            recovery.left_behind.push(left(
                url,
                "its resource is not in the ledger's start line (a damaged ledger)",
            ));
            continue;
        };
        delete(&ctx, planned, resource, url, &mut recovery).await;
    }
    for (collection, posts) in &replayed.unresolved_posts {
        recovery
            .left_behind
            .extend(search(&ctx, replayed, scenarios, collection, *posts).await);
    }
    if let Some(ledger) = ledger {
        record(ledger, &recovery);
    }
    recovery
}

/// DELETEs one URL the run may have left, through the guard; retried after transient faults.
async fn delete(
    ctx: &RunContext,
    planned: &PlannedScenario,
    resource: &Resource,
    url: &str,
    recovery: &mut Recovery,
) {
    if !resource.supports(Method::Delete) {
        recovery
            .left_behind
            .push(left(url, "the resource declares no DELETE"));
        return;
    }
    ctx.registry.allocate(&resource.name, "", url, true);
    ctx.registry.mark(url, OwnedState::Live);
    let mut attempt = 1;
    let outcome = loop {
        let mut session = Session::new(ctx, &planned.target, resource, 0);
        let sent = session
            .send("cleanup after the run", Req::new(Method::Delete, url))
            .await
            .map(|index| session.exchange(index).response.status);
        let transient = matches!(&sent, Err(error) if faults::rerun(error));
        if !transient || attempt >= faults::PROBE_ATTEMPTS {
            break sent;
        }
        tokio::time::sleep(faults::backoff(attempt)).await;
        attempt += 1;
    };
    match outcome {
        Ok(status) if (200..300).contains(&status) => recovery.deleted.push(url.to_string()),
        Ok(404 | 410) => recovery.already_gone.push(url.to_string()),
        Ok(status) => recovery
            .left_behind
            .push(left(url, &format!("DELETE answered {status}"))),
        Err(CaseError::Transport(err)) => recovery
            .left_behind
            .push(left(url, &format!("transport error: {err}"))),
        Err(error) => recovery.left_behind.push(left(url, &error.to_string())),
    }
}

/// What the lost POSTs to one collection created, by the run marker.
async fn search(
    ctx: &RunContext,
    replayed: &Replayed,
    scenarios: &[PlannedScenario],
    collection: &str,
    posts: u32,
) -> Vec<LeftBehind> {
    let unsearchable = |why: String| {
        vec![LeftBehind {
            url: collection.to_string(),
            reason: format!(
                "{posts} POST(s) to this collection lost their answer (or were answered without an id idemfuzz could adopt) and may have created resources idemfuzz cannot identify: {why}"
            ),
        }]
    };
    let Some(marker) = replayed
        .resource(collection)
        .and_then(|r| r.marker.as_deref())
    else {
        return unsearchable("its bodies carried no run marker".into());
    };
    let Some((planned, resource)) = leftovers::find(scenarios, collection) else {
        return unsearchable("its resource is not in the ledger's start line".into());
    };
    match leftovers::list(ctx.transport.as_ref(), &planned.target, resource).await {
        Err(why) => unsearchable(why),
        Ok(items) => leftovers::marked_left(&items, planned, resource, marker),
    }
}

/// Appends the outcome: what is gone, and the end line.
fn record(ledger: &Ledger, recovery: &Recovery) {
    for url in recovery.deleted.iter().chain(&recovery.already_gone) {
        let _ = ledger.append(&Entry::Gone { url: url.clone() });
    }
    let _ = ledger.append(&Entry::End {
        left_behind: recovery.left_behind.len(),
    });
}

fn left(url: &str, reason: &str) -> LeftBehind {
    LeftBehind {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

/// The resources of a ledger, grouped by the scenario file they come from: what the CLI loads
/// to rebuild targets.
pub fn scenario_files(replayed: &Replayed) -> BTreeMap<(String, String), Vec<String>> {
    let mut files: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for resource in &replayed.start.resources {
        files
            .entry((resource.scenario.clone(), resource.base_url.clone()))
            .or_default()
            .push(resource.name.clone());
    }
    files
}
