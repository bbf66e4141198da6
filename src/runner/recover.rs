//! Recovery after a crash: what `idemfuzz cleanup` does with a run's ledger. Every URL the
//! ledger leaves open that is provably the run's (an id of the run's form, or an item carrying
//! the run's marker: a ledger is a file anyone may edit) is registered as the run's and
//! DELETEd through a [`Session`] — the same ownership guard every request of a run passes; what POSTs with lost answers created is
//! searched for by the run marker and listed, never deleted. The outcome is appended to the
//! ledger, which is removed once nothing of the run is left.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::http::transport::Transport;
use crate::model::exchange::Method;
use crate::model::report::LeftBehind;
use crate::runner::plan::PlannedScenario;
use crate::runner::{cleanup, leftovers};
use crate::scenario::{Resource, nesting};
use crate::session::context::RunContext;
use crate::session::ledger::{Entry, Ledger, Replayed};
use crate::session::registry::OwnedState;
use crate::session::{CaseError, Req, Session, faults, marker};

/// What a recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// URLs whose DELETE succeeded.
    pub(crate) deleted: Vec<String>,
    /// URLs that answered 404 or 410: already gone.
    pub(crate) already_gone: Vec<String>,
    /// What is still there, or may be, with why.
    pub(crate) left_behind: Vec<LeftBehind>,
}

/// Deletes what `replayed` leaves open and searches what its lost POSTs created. `scenarios`
/// hold the targets (headers, credentials) and resources the ledger names; `ledger`, when
/// given, gets the outcome appended.
pub(crate) async fn recover(
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
    if let Err(err) =
        crate::session::auth::prepare(scenarios.iter().map(|p| &p.target), &ctx.cancel).await
    {
        let reason = err.to_string();
        recovery.left_behind = replayed.open.keys().map(|url| left(url, &reason)).collect();
        return recovery;
    }
    // Deeper URLs first: a nested resource's children before their parent.
    let mut open: Vec<(&String, &String)> = replayed.open.iter().collect();
    open.sort_by_key(|(url, _)| std::cmp::Reverse(crate::session::registry::depth(url)));
    for (url, collection) in open {
        let Some((planned, resource)) = leftovers::find(scenarios, collection) else {
            recovery.left_behind.push(left(
                url,
                "its resource is not in the ledger's start line (a damaged ledger)",
            ));
            continue;
        };
        let run_id = &replayed.start.run_id;
        match provably_the_runs(&ctx, planned, resource, url, run_id).await {
            Proof::Owned => delete(&ctx, planned, resource, url, &mut recovery).await,
            Proof::Gone => recovery.already_gone.push(url.clone()),
            Proof::Unproven(why) => recovery.left_behind.push(left(url, &why)),
        }
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

/// What a ledger's URL shows about whose it is.
enum Proof {
    /// The run's: the item of an id of the run's form, or an item carrying the run's marker.
    Owned,
    /// It answered 404 or 410.
    Gone,
    /// Not provably the run's (a damaged or tampered ledger), with why: never deleted.
    Unproven(String),
}

/// Whether `url` is provably the run's, whatever the ledger says: a ledger is a file anyone may
/// edit, so cleanup deletes only the item URL of an id of the run's own form
/// (`PREFIX-RUNID-cNNNN-N`, the scenario's prefix), or an item a GET shows to carry the run's
/// marker (a server-assigned id; the marker is derived from the run id, never read from the
/// ledger).
async fn provably_the_runs(
    ctx: &RunContext,
    planned: &PlannedScenario,
    resource: &Resource,
    url: &str,
    run_id: &str,
) -> Proof {
    let Some(id) = last_segment(url) else {
        return Proof::Unproven(not_provable("it is not an item URL"));
    };
    // A nested resource's item URL holds its parent's segment, whichever parent it was.
    let resource =
        match nesting::parent_segment_in(resource, url, |r| planned.target.url(&r.collection)) {
            Some(segment) => &resource.under_segment(segment),
            None => resource,
        };
    if planned.target.url(&resource.item_path(&id)) != url {
        return Proof::Unproven(not_provable(&format!(
            "it is not the item URL `{}` of its resource",
            resource.item
        )));
    }
    if is_run_id(&id, &planned.target.target.id_prefix, run_id) {
        return Proof::Owned;
    }
    let mut session = Session::new(ctx, &planned.target, resource, 0);
    let read = session
        .send("is it this run's? (cleanup)", Req::new(Method::Get, url))
        .await
        .map(|index| session.exchange(index).clone());
    match read {
        Ok(read) if matches!(read.response.status, 404 | 410) => Proof::Gone,
        Ok(read)
            if read.response.is_success()
                && read
                    .response
                    .body
                    .json()
                    .is_some_and(|body| marker::carries(body, &marker::text(run_id))) =>
        {
            Proof::Owned
        }
        Ok(read) => Proof::Unproven(not_provable(&format!(
            "its id is not of the run's form and GET answered {} without the run's marker `{}`",
            read.response.status,
            marker::text(run_id)
        ))),
        Err(error) => Proof::Unproven(not_provable(&format!("GET failed: {error}"))),
    }
}

fn not_provable(why: &str) -> String {
    format!(
        "the ledger names it, but idemfuzz cannot prove this run created it ({why}), so it was not deleted"
    )
}

/// The last path segment of `url`, percent-decoded.
fn last_segment(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let segment = parsed.path_segments()?.next_back()?;
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// True for an id of the run's own form: `PREFIX-RUNID-cNNNN-N`, `…-cNNNNrM-N` for a case
/// re-run after a fault, `…-cNNNN-p-N` for the parent a nested resource's case created.
fn is_run_id(id: &str, prefix: &str, run_id: &str) -> bool {
    let Some(rest) = id
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_prefix(run_id))
        .and_then(|rest| rest.strip_prefix("-c"))
    else {
        return false;
    };
    let Some((case, n)) = rest.split_once('-') else {
        return false;
    };
    // A nested resource's parent: `…-cNNNN-p-N`.
    let n = n.strip_prefix("p-").unwrap_or(n);
    let (number, rerun) = case.split_once('r').unwrap_or((case, "1"));
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    !run_id.is_empty() && number.len() >= 4 && digits(number) && digits(rerun) && digits(n)
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
        let sent = delete_once(&mut session, url).await;
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

/// The status of a DELETE of `url`; one refused for want of a precondition (409, 412, 428:
/// CouchDB wants the current `_rev`) is sent again after a GET, as the run's own cleanup does
/// ([`cleanup`]): with the version token the GET's body holds when the resource declares
/// `[resources.NAME.version]` (the session puts it in `If-Match`), then, if that is refused
/// too, with the `ETag` the GET answered (pouchdb-server's ETag is a hash of the body).
async fn delete_once(session: &mut Session<'_>, url: &str) -> Result<u16, CaseError> {
    let status = send(
        session,
        "cleanup after the run",
        Req::new(Method::Delete, url),
    )
    .await?;
    if !cleanup::needs_precondition(status) {
        return Ok(status);
    }
    let read = session
        .send(READ_BEFORE_DELETE, Req::new(Method::Get, url))
        .await?;
    let response = &session.exchange(read).response;
    if !response.is_success() {
        return Ok(status);
    }
    let etag = response.header("etag").map(str::to_owned);
    let tokens = session.resource.version.is_some();
    if tokens {
        // No If-Match of its own: the session names the token the GET just showed.
        let with_token = Req::new(Method::Delete, url);
        let purpose = "cleanup after the run, with the version token";
        let status = send(session, purpose, with_token).await?;
        if etag.is_none() || !cleanup::needs_precondition(status) {
            return Ok(status);
        }
    }
    let mut retry = Req::new(Method::Delete, url);
    if let Some(etag) = &etag {
        retry = retry.header("If-Match", etag);
    }
    send(
        session,
        "cleanup after the run, with the precondition",
        retry,
    )
    .await
}

/// What a cleanup says when it reads a resource whose DELETE wanted a precondition.
const READ_BEFORE_DELETE: &str = "read the entity tag (or version token) the DELETE needs";

async fn send(session: &mut Session<'_>, purpose: &str, req: Req) -> Result<u16, CaseError> {
    let index = session.send(purpose, req).await?;
    Ok(session.exchange(index).response.status)
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
    let Some((planned, resource)) = leftovers::find(scenarios, collection) else {
        return unsearchable("its resource is not in the ledger's start line".into());
    };
    // The start line names a nested resource's collection as declared, `{parent}` and all.
    let declared = planned.target.url(&resource.collection);
    let Some(marker) = replayed
        .resource(&declared)
        .and_then(|r| r.marker.as_deref())
    else {
        return unsearchable("its bodies carried no run marker".into());
    };
    let resource = leftovers::bound(planned, resource, collection);
    match leftovers::list(ctx.transport.as_ref(), &planned.target, &resource).await {
        Err(why) => unsearchable(why.to_string()),
        Ok(items) => leftovers::marked_left(&items, planned, &resource, marker),
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
pub(crate) fn scenario_files(replayed: &Replayed) -> BTreeMap<(String, String), Vec<String>> {
    let mut files: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for resource in &replayed.start.resources {
        files
            .entry((resource.scenario.clone(), resource.base_url.clone()))
            .or_default()
            .push(resource.name.clone());
    }
    files
}

#[cfg(test)]
mod tests {
    use super::is_run_id;

    #[test]
    fn only_ids_of_the_runs_own_form_are_the_runs() {
        for id in [
            "idf-abc123-c0001-1",
            "idf-abc123-c12345-7",
            "idf-abc123-c0002r1-3",
            "idf-abc123-c0001-p-1",
        ] {
            assert!(is_run_id(id, "idf", "abc123"), "{id}");
        }
        for id in [
            "pre00001",
            "idf-abc124-c0001-1",
            "idf-abc123-c01-1",
            "idf-abc123-c0001-",
            "idf-abc123-c0001-1x",
            "idf-abc123-c0001-k2",
            "xdf-abc123-c0001-1",
            "idf-abc123-c0001r-1",
            "idf-abc123-c0001-p-",
            "idf-abc123-c0001-q-1",
        ] {
            assert!(!is_run_id(id, "idf", "abc123"), "{id}");
        }
        assert!(!is_run_id("idf--c0001-1", "idf", ""));
    }
}
