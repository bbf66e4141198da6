//! Before the checks: a reachability probe of each target (so an unreachable target is one
//! clear line, not a run of errors), then, per resource, the fit probe (`runner::fit`) with the
//! detection of volatile fields (and of the fuzz check's per-instance fields) on its resource.

use crate::checks::fit::Fit;
use crate::model::exchange::Method;
use crate::runner::fit::{self, Created};
use crate::runner::plan::PlannedScenario;
use crate::scenario::Resource;
use crate::scenario::generate::BodyGenerator;
use crate::session::auth::{self, SendError};
use crate::session::context::{ResolvedTarget, RunContext};
use crate::session::guard::{self, Scope};
use crate::session::{CaseError, ParentCase, Session, faults};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::{Canon, differing_leaves};

/// GETs a collection (or the base URL) of each target; `Err` is the one-line reason the run
/// cannot test it.
pub(crate) async fn reachability(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
) -> Result<(), String> {
    let mut probed: Vec<&str> = Vec::new();
    for planned in scenarios {
        let base = planned.target.base_url.as_str();
        if probed.contains(&base) {
            continue;
        }
        probed.push(base);
        let path = planned
            .scenario
            .resources
            .iter()
            .find(|r| r.parent.is_none())
            .map_or("/".to_string(), |r| r.collection.clone());
        probe_one(ctx, planned, &path).await?;
    }
    Ok(())
}

/// One target's probe: a transient fault (a transport error, 502/503/504) is tried again, at
/// most [`faults::PROBE_ATTEMPTS`] times in all, waiting a little longer each time.
async fn probe_one(ctx: &RunContext, planned: &PlannedScenario, path: &str) -> Result<(), String> {
    let scope = Scope {
        base: &planned.target.base_url,
        registry: &ctx.registry,
        collection: None,
    };
    let clearance = guard::clear(scope, Method::Get, &planned.target.url(path))
        .map_err(|refusal| format!("cannot test {}: {refusal}", planned.target.base_url))?;
    let url = clearance.url().to_owned();
    let credentials = planned.target.auth.as_deref();
    let mut attempt = 1;
    let answer = loop {
        let request = clearance.clone().request(
            planned.target.wire_headers(),
            None,
            planned.target.target.timeout,
        );
        let answer = tokio::select! {
            _ = ctx.cancel.cancelled() => return Ok(()),
            answer = auth::send(ctx.transport.as_ref(), credentials, request) => answer,
        };
        if !faults::is_transient_answer(&answer) || attempt >= faults::PROBE_ATTEMPTS {
            break answer;
        }
        if answer.is_err() {
            ctx.record_transport_error();
        } else {
            ctx.record_answer();
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Ok(()),
            () = tokio::time::sleep(faults::backoff(attempt)) => {}
        }
        attempt += 1;
    };
    match answer {
        Err(SendError::Transport(err)) => {
            ctx.record_transport_error();
            Err(format!("cannot test {}: {err}", planned.target.base_url))
        }
        Err(SendError::Auth(err)) => Err(format!("cannot test {}: {err}", planned.target.base_url)),
        Ok(raw) => {
            ctx.record_answer();
            match raw.status {
                401 | 403 | 407 => Err(format!(
                    "cannot test {}: GET {url} answered {} — check the credentials ({})",
                    planned.target.base_url,
                    raw.status,
                    credentials_hint(planned)
                )),
                _ => Ok(()),
            }
        }
    }
}

/// Where the credentials of a target come from, for the probe's message.
fn credentials_hint(planned: &PlannedScenario) -> String {
    let path = planned.scenario.path.display();
    match &planned.target.target.auth {
        Some(auth) => format!("the {} credentials of [target.auth] in {path}", auth.kind()),
        None if planned
            .target
            .target
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("authorization")) =>
        {
            format!("the Authorization header of [target.headers] in {path}")
        }
        None => format!("none are set: add [target.auth] to {path}"),
    }
}

/// What probing a resource measured before its cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Measured {
    pub(crate) volatile: Vec<String>,
    /// The fuzz check's per-instance fields (see `per_instance` below), when it was measured.
    pub(crate) per_instance: Option<Vec<String>>,
    /// What the fit probe showed (see `runner::fit`).
    pub(crate) fit: Fit,
}

/// Probes a resource before its cases with one probe resource: the fit probe (create, read
/// back, list, an id never created, update, delete: `runner::fit`); the volatile fields, when the
/// scenario asks for them (a second read with nothing in between); and, for the fuzz check
/// (`fuzzed`), its per-instance fields (a second resource with the same body). A probe hit by a
/// transient fault runs again on fresh ids (like a case); nothing is measured when the probe
/// cannot create its resource (each fuzz case then measures again, and says why it cannot; the
/// fit probe says why). `number` numbers the probe like a case (its ids are `…-cNNNN-…`). A
/// nested resource is probed under a parent created for the probe. Also returns the URLs every
/// attempt created (children before their parent), for the cleanup before the cases.
pub(crate) async fn measure(
    ctx: &RunContext,
    target: &ResolvedTarget,
    resource: &Resource,
    seed: u64,
    fuzzed: bool,
    number: u64,
) -> (Measured, Vec<String>) {
    let mut reruns = faults::Reruns::default();
    // What every attempt created, for the cleanup before the cases.
    let mut owned = Vec::new();
    loop {
        let parent = ParentCase::create(ctx, target, resource, (number, reruns.done), seed).await;
        let child = match ParentCase::resource_of(parent.as_ref(), resource) {
            Ok(child) => child,
            Err(error) => {
                let case_tag = parent
                    .as_ref()
                    .map(ParentCase::case_tag)
                    .unwrap_or_default();
                if reruns.again(&error, &case_tag, ctx.cancel.is_cancelled()) {
                    continue;
                }
                return (Measured::default(), owned);
            }
        };
        let mut session = Session::attempt(ctx, target, &child, number, reruns.done);
        if let Some(parent) = parent {
            session.continue_after(parent);
        }
        let measured = measure_once(&mut session, &child, seed, fuzzed).await;
        owned.extend(session.owned_urls());
        let case_tag = session.case_tag().to_string();
        match measured {
            Ok(measured) => return (measured, owned),
            Err((_, error)) if reruns.again(&error, &case_tag, ctx.cancel.is_cancelled()) => {}
            Err((measured, _)) => return (measured, owned),
        }
    }
}

/// One measurement; `Err` carries what was measured before the error, and the error.
async fn measure_once(
    session: &mut Session<'_>,
    resource: &Resource,
    seed: u64,
    fuzzed: bool,
) -> Result<Measured, (Measured, CaseError)> {
    let mut generator = BodyGenerator::new(seed);
    let mut measured = Measured::default();
    let Some(created) = fit::create_and_read(session, &mut generator, &mut measured.fit).await
    else {
        return Ok(measured);
    };
    if resource.detect_volatile {
        match session
            .get_item(&created.id, "volatile-field probe: GET again")
            .await
        {
            Ok(second) => measured.volatile = volatile(resource, &created.read, &second),
            Err(error) => return Err((measured, error)),
        }
    }
    if fuzzed {
        match per_instance(session, &created).await {
            Ok(fields) => measured.per_instance = Some(fields),
            Err(error) => return Err((measured, error)),
        }
    }
    fit::the_rest(session, &mut generator, &created, &mut measured.fit).await;
    Ok(measured)
}

/// The members that differ between two reads with nothing in between, after the declared
/// ignore patterns.
fn volatile(resource: &Resource, first: &ItemSnapshot, second: &ItemSnapshot) -> Vec<String> {
    let canon = Canon::with_ignore(resource.ignore.clone());
    match (first.body.json(), second.body.json()) {
        (Some(a), Some(b)) => differing_leaves(&canon.body(a), &canon.body(b)),
        _ => Vec::new(),
    }
}

/// A second resource created with the probe's body and read once: the members that differ
/// between the two resources (server ids, creation times, links) are per-instance.
async fn per_instance(
    session: &mut Session<'_>,
    probed: &Created,
) -> Result<Vec<String>, CaseError> {
    let other = session
        .create(
            &probed.body,
            "per-instance probe: create again with the same body",
        )
        .await?;
    let read = session
        .get_item(&other.id, "per-instance probe: GET")
        .await?;
    Ok(crate::fuzz::execute::differing_instances(
        (&probed.id, &probed.read),
        (&other.id, &read),
    ))
}
