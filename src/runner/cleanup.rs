//! Cleanup: deletes every resource this run created and did not already delete — and nothing
//! else — then reports what it could not delete.

use std::time::Duration;

use crate::http::model::Method;
use crate::http::transport::{OutgoingRequest, Transport};
use crate::report::model::{CleanupReport, LeftBehind};
use crate::runner::context::ResolvedTarget;
use crate::runner::registry::Owned;

/// Longest wait for one cleanup DELETE.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);
/// Transport errors in a row after which cleanup gives up (the target is gone).
const GIVE_UP_AFTER: usize = 3;

/// DELETEs each owned resource with the headers of its target.
pub async fn clean_up(
    transport: &dyn Transport,
    owned: Vec<Owned>,
    targets: &[ResolvedTarget],
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
        match delete_one(transport, &resource, targets).await {
            Ok(true) => {
                report.deleted += 1;
                failures_in_a_row = 0;
            }
            Ok(false) => failures_in_a_row = 0,
            Err(reason) => {
                failures_in_a_row += usize::from(reason.starts_with("transport"));
                report.left_behind.push(left(&resource, &reason));
            }
        }
    }
    report
}

/// `Ok(true)` deleted, `Ok(false)` already absent, `Err` why it is left behind.
async fn delete_one(
    transport: &dyn Transport,
    resource: &Owned,
    targets: &[ResolvedTarget],
) -> Result<bool, String> {
    let target = targets
        .iter()
        .find(|t| resource.url.starts_with(&t.base_url))
        .ok_or_else(|| "no target matches its URL".to_string())?;
    let request = OutgoingRequest {
        method: Method::Delete,
        url: resource.url.clone(),
        headers: target.wire_headers(),
        body: None,
        timeout: target.target.timeout.min(CLEANUP_TIMEOUT),
    };
    match crate::runner::auth::send(transport, target.auth.as_deref(), request).await {
        Ok(raw) if (200..300).contains(&raw.status) => Ok(true),
        Ok(raw) if raw.status == 404 || raw.status == 410 => Ok(false),
        Ok(raw) => Err(format!("DELETE answered {}", raw.status)),
        Err(crate::runner::auth::SendError::Transport(err)) => {
            Err(format!("transport error: {err}"))
        }
        Err(crate::runner::auth::SendError::Auth(err)) => Err(err.to_string()),
    }
}

/// A resource the run cannot prove it created, so it never deletes it.
pub fn unproven(url: String) -> LeftBehind {
    LeftBehind {
        url,
        reason: "created by a POST whose answer idemfuzz did not read (a simulated lost response); not deleted, since idemfuzz cannot prove it created it".into(),
    }
}

fn left(resource: &Owned, reason: &str) -> LeftBehind {
    LeftBehind {
        url: resource.url.clone(),
        reason: reason.to_string(),
    }
}
