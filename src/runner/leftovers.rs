//! What a run may leave behind, and how it keeps track of it: the run marker in the bodies of
//! resources that accept POST, the ledger's start line, and — at the end of the run — the search
//! for what POSTs whose answer was lost (or adopted nothing) created, by the marker.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::http::transport::Transport;
use crate::model::exchange::Method;
use crate::model::redact::Scrubber;
use crate::model::report::LeftBehind;
use crate::runner::plan::PlannedScenario;
use crate::runner::strip_credentials;
use crate::scenario::nesting::parent_segment_in;
use crate::scenario::{ListingFormat, Resource};
use crate::session::auth::{self, SendError};
use crate::session::context::{ResolvedTarget, RunContext};
use crate::session::guard::{self, Refusal, Scope};
use crate::session::journal::Journal;
use crate::session::ledger::{self, FORMAT, Ledger, LedgerError, LedgerResource, Start};
use crate::session::registry::Registry;
use crate::session::{faults, marker, response_record};
use crate::snapshot::listing::{PageAt, PageError, read_page};

/// The scenarios with the run marker in the body template of every resource that accepts POST
/// (where the template has a string that can hold it).
pub(crate) fn mark(scenarios: &[PlannedScenario], marker: &str) -> Vec<PlannedScenario> {
    scenarios
        .iter()
        .map(|planned| {
            let mut planned = planned.clone();
            for resource in &mut planned.scenario.resources {
                if resource.post_id.is_none() {
                    continue;
                }
                if let Some((body, _)) = marker::mark(&resource.body, marker, &resource.required) {
                    resource.body = body;
                }
            }
            planned
        })
        .collect()
}

/// Whether a (marked) resource's bodies carry `marker`.
fn carries_marker(resource: &Resource, marker: &str) -> bool {
    marker::holds(&resource.body, marker)
}

/// The ledger's first line: the run and every resource it may write to.
pub(crate) fn start(run_id: &str, scenarios: &[PlannedScenario], marker: &str) -> Start {
    let resources = scenarios
        .iter()
        .flat_map(|planned| {
            planned
                .scenario
                .resources
                .iter()
                .map(move |resource| LedgerResource {
                    scenario: absolute(&planned.scenario.path),
                    name: resource.name.clone(),
                    base_url: strip_credentials(&planned.target.base_url),
                    collection: planned.target.url(&resource.collection),
                    item: resource.item.clone(),
                    items: resource
                        .listing
                        .format
                        .items()
                        .map_or_else(String::new, |items| items.to_string()),
                    id_field: resource.id_field.to_string(),
                    deletable: resource.supports(Method::Delete),
                    marker: carries_marker(resource, marker).then(|| marker.to_string()),
                })
        })
        .collect();
    Start {
        format: FORMAT,
        run_id: run_id.to_string(),
        pid: std::process::id(),
        started: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        idemfuzz: env!("CARGO_PKG_VERSION").to_string(),
        resources,
    }
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// The run's journal: mirrored into `DIR/RUNID.jsonl` when a ledger directory is set, its
/// start line written. `Err` is why the run cannot start.
pub(crate) fn open_journal(dir: Option<&Path>, start: Start) -> Result<Journal, LedgerError> {
    let Some(dir) = dir else {
        return Ok(Journal::in_memory());
    };
    let path = ledger::path_of(dir, &start.run_id);
    let journal = Journal::with_ledger(Ledger::create(&path)?);
    journal.start(start)?;
    Ok(journal)
}

/// What POSTs whose answer was lost (or adopted nothing) left in each collection, found by the
/// run marker; `unproven` lists resources a check saw appear but could not adopt, `unadopted` the
/// POSTs answered 201 whose resource could not be adopted (their URL is the collection's, their
/// reason says why). Called after the cleanup: every marked item still listed is left behind. A
/// marked item found accounts for one unadopted POST of its collection; the unadopted POSTs no
/// item accounts for (an empty POST carries no marker) are listed with their reason. A collection
/// that cannot be searched (no marker in its bodies, an unreadable listing) is listed itself for
/// its POSTs that lost their answer, with why.
pub(crate) async fn search(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
    marker: &str,
    unproven: Vec<String>,
    unadopted: Vec<LeftBehind>,
) -> Vec<LeftBehind> {
    let mut lost = ctx.journal.unresolved_posts();
    let mut unproven_by_collection: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for url in unproven {
        let collection = owning_collection(scenarios, &url).unwrap_or_default();
        lost.entry(collection.clone()).or_insert(0);
        unproven_by_collection
            .entry(collection)
            .or_default()
            .push(url);
    }
    let mut unadopted_by_collection: BTreeMap<String, Vec<LeftBehind>> = BTreeMap::new();
    for post in unadopted {
        lost.entry(post.url.clone()).or_insert(0);
        unadopted_by_collection
            .entry(post.url.clone())
            .or_default()
            .push(post);
    }
    let mut left = Vec::new();
    for (collection, posts) in lost {
        let unproven = unproven_by_collection
            .remove(&collection)
            .unwrap_or_default();
        let unadopted = unadopted_by_collection
            .remove(&collection)
            .unwrap_or_default();
        let Some((planned, resource)) = find(scenarios, &collection) else {
            left.extend(unproven.into_iter().map(|url| unproven_left(url, None)));
            left.extend(unadopted);
            continue;
        };
        let resource = bound(planned, resource, &collection);
        match search_one(ctx, planned, &resource, marker).await {
            Ok(found) => {
                let accounted = found.len();
                left.extend(found);
                left.extend(unadopted.into_iter().skip(accounted));
            }
            Err(why) => {
                left.extend(unproven.into_iter().map(|url| unproven_left(url, None)));
                let lost_answers = usize::try_from(posts)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(unadopted.len());
                left.extend(unadopted);
                if lost_answers > 0 {
                    left.push(LeftBehind {
                        url: collection,
                        reason: format!(
                            "{lost_answers} POST(s) to this collection lost their answer and may have created resources idemfuzz cannot identify: {why}"
                        ),
                    });
                }
            }
        }
    }
    left
}

/// The marked items of one collection, or why it cannot be searched.
async fn search_one(
    ctx: &RunContext,
    planned: &PlannedScenario,
    resource: &Resource,
    marker: &str,
) -> Result<Vec<LeftBehind>, String> {
    if !carries_marker(resource, marker) {
        return Err("its body template has no string that can carry the run marker".into());
    }
    let listed = list(ctx.transport.as_ref(), &planned.target, resource)
        .await
        .map_err(|err| err.to_string())?;
    Ok(marked_left(&listed, planned, resource, marker))
}

/// The items of a listing that carry the run marker, as left behind.
pub(crate) fn marked_left(
    listed: &[Value],
    planned: &PlannedScenario,
    resource: &Resource,
    marker: &str,
) -> Vec<LeftBehind> {
    listed
        .iter()
        .filter(|item| marker::carries(item, marker))
        .map(|item| {
            let url = resource
                .id_field
                .read(item)
                .map(|id| planned.target.url(&resource.item_path(&id)));
            unproven_left(
                url.unwrap_or_else(|| planned.target.url(&resource.collection)),
                Some(marker),
            )
        })
        .collect()
}

/// The entries of the first page of a collection's listing, read with one GET (retried after a
/// transient fault). A read needs no ownership; it runs after an interruption too, like the
/// cleanup.
pub(crate) async fn list(
    transport: &dyn Transport,
    target: &ResolvedTarget,
    resource: &Resource,
) -> Result<Vec<Value>, ListError> {
    let scope = Scope {
        base: &target.base_url,
        registry: &Registry::default(),
        collection: None,
    };
    let listing = &resource.listing;
    if matches!(
        listing.format,
        ListingFormat::None | ListingFormat::Propfind
    ) {
        return Err(ListError::NotAGet {
            format: listing.format.name(),
        });
    }
    let clearance =
        guard::clear(scope, Method::Get, &target.url(&listing.path)).map_err(ListError::Refused)?;
    let url = clearance.url().to_owned();
    let mut attempt = 1;
    let answer = loop {
        let request = clearance
            .clone()
            .request(target.wire_headers(), None, target.target.timeout);
        let answer = auth::send(transport, target.auth.as_deref(), request).await;
        if !faults::is_transient_answer(&answer) || attempt >= faults::PROBE_ATTEMPTS {
            break answer;
        }
        tokio::time::sleep(faults::backoff(attempt)).await;
        attempt += 1;
    };
    let raw = answer.map_err(ListError::Send)?;
    if !(200..300).contains(&raw.status) {
        return Err(ListError::Status {
            url,
            status: raw.status,
        });
    }
    let record = response_record(&raw, &Scrubber::for_headers(&target.target.headers));
    // The first page: what a run just created is on it on most APIs.
    let at = PageAt {
        url: &url,
        first: &url,
        number: 1,
    };
    read_page(listing, at, &record)
        .map(|page| page.entries)
        .map_err(|why| ListError::Page { url, why })
}

/// Why the items of a collection could not be read (the reason a search for leftovers gives).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ListError {
    /// The listing is not read with a GET.
    #[error("its collection is not read with a GET (`format = \"{format}\"`)")]
    NotAGet { format: &'static str },
    /// The ownership guard refused the GET.
    #[error("the collection could not be listed ({0})")]
    Refused(Refusal),
    /// The GET got no answer.
    #[error("the collection could not be listed ({0})")]
    Send(SendError),
    /// The GET was answered with a status other than 2xx.
    #[error("the collection could not be listed (GET {url} answered {status})")]
    Status { url: String, status: u16 },
    /// The first page of the listing could not be read.
    #[error("GET {url}: {why}")]
    Page { url: String, why: PageError },
}

/// A resource the run very probably created but cannot prove it did.
pub(crate) fn unproven_left(url: String, marker: Option<&str>) -> LeftBehind {
    let how = match marker {
        Some(marker) => format!("it carries this run's marker `{marker}`, but "),
        None => String::new(),
    };
    LeftBehind {
        url,
        reason: format!(
            "created by a POST whose answer idemfuzz did not read (lost, or a simulated lost response) or named no resource it could adopt; {how}idemfuzz cannot prove it created it, so it was not deleted"
        ),
    }
}

/// The scenario and resource whose collection URL is `collection`.
pub(crate) fn find<'a>(
    scenarios: &'a [PlannedScenario],
    collection: &str,
) -> Option<(&'a PlannedScenario, &'a Resource)> {
    scenarios.iter().find_map(|planned| {
        planned
            .scenario
            .resources
            .iter()
            .find(|r| {
                planned
                    .target
                    .url(&bound(planned, r, collection).collection)
                    == collection
            })
            .map(|r| (planned, r))
    })
}

/// `resource` as the cases saw it whose collection or item is at `url`: a nested resource under
/// the parent `url` names; any other as it is.
pub(crate) fn bound<'a>(
    planned: &PlannedScenario,
    resource: &'a Resource,
    url: &str,
) -> Cow<'a, Resource> {
    let to_url = |r: &Resource| planned.target.url(&r.collection);
    match parent_segment_in(resource, url, to_url) {
        Some(segment) => Cow::Owned(resource.under_segment(segment)),
        None => Cow::Borrowed(resource),
    }
}

/// The collection URL of the resource an item URL belongs to.
fn owning_collection(scenarios: &[PlannedScenario], url: &str) -> Option<String> {
    scenarios.iter().find_map(|planned| {
        planned.scenario.resources.iter().find_map(|resource| {
            let resource = bound(planned, resource, url);
            let item = planned.target.url(&resource.item_path(""));
            url.starts_with(&item)
                .then(|| planned.target.url(&resource.collection))
        })
    })
}
