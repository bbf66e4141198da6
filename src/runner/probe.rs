//! Before the checks: a reachability probe of each target (so an unreachable target is one
//! clear line, not a run of errors), and the detection of volatile fields per resource.

use crate::http::model::Method;
use crate::http::transport::OutgoingRequest;
use crate::runner::auth::{self, SendError};
use crate::runner::context::RunContext;
use crate::runner::plan::PlannedScenario;
use crate::runner::session::{CaseError, Session};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{IgnorePattern, Resource};
use crate::snapshot::canonical::{Canon, differing_leaves};

/// GETs a collection (or the base URL) of each target; `Err` is the one-line reason the run
/// cannot test it.
pub async fn reachability(ctx: &RunContext, scenarios: &[PlannedScenario]) -> Result<(), String> {
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
            .first()
            .map_or("/".to_string(), |r| r.collection.clone());
        probe_one(ctx, planned, &path).await?;
    }
    Ok(())
}

async fn probe_one(ctx: &RunContext, planned: &PlannedScenario, path: &str) -> Result<(), String> {
    let url = planned.target.url(path);
    let request = OutgoingRequest {
        method: Method::Get,
        url: url.clone(),
        headers: planned.target.wire_headers(),
        body: None,
        timeout: planned.target.target.timeout,
    };
    let credentials = planned.target.auth.as_deref();
    let answer = tokio::select! {
        _ = ctx.cancel.cancelled() => return Ok(()),
        answer = auth::send(ctx.transport.as_ref(), credentials, request) => answer,
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

/// Creates a probe resource and GETs it twice with nothing in between; the members that
/// differ (after the declared ignore patterns) are volatile.
pub async fn volatile_fields(
    session: &mut Session<'_>,
    resource: &Resource,
    seed: u64,
) -> Result<Vec<String>, CaseError> {
    let mut generator = BodyGenerator::new(seed);
    let id = session
        .create_generated(&mut generator, "volatile-field probe: create")
        .await?;
    let first = session.get_item(&id, "volatile-field probe: GET").await?;
    let second = session
        .get_item(&id, "volatile-field probe: GET again")
        .await?;
    let canon = Canon::with_ignore(resource.ignore.clone());
    Ok(match (first.body.json(), second.body.json()) {
        (Some(a), Some(b)) => differing_leaves(&canon.body(a), &canon.body(b)),
        _ => Vec::new(),
    })
}

/// Ignore patterns for detected volatile pointers.
pub fn patterns(pointers: &[String]) -> Vec<IgnorePattern> {
    pointers
        .iter()
        .filter_map(|p| IgnorePattern::parse(p).ok())
        .collect()
}
