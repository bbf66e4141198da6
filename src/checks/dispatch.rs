//! From a check id to its module: whether it can run on a resource, and one case of it
//! (execute through the session, then judge the record).

use crate::checks::{
    concurrent_post_key, concurrent_put, conditional_write, etag_stability, get_safety,
    head_parity, lost_response_retry, lost_update, partial_put, post_put_creation, post_retry,
    put_after_delete, repeat_delete, repeat_put, status_conformance, use_after_delete,
};
use crate::model::check::CheckId;
use crate::model::violation::Violation;
use crate::scenario::Resource;
use crate::scenario::generate::BodyGenerator;
use crate::session::context::ResolvedTarget;
use crate::session::{CaseError, Session};
use crate::snapshot::canonical::Canon;

/// The two ways a case compares state.
#[derive(Debug, Clone)]
pub struct Canons {
    /// Declared `ignore` patterns only (used where volatile fields are judged, not ignored).
    pub declared: Canon,
    /// Declared plus auto-detected volatile fields.
    pub full: Canon,
    /// What the fuzz check compares two executions with: `full` plus the members that differ
    /// between two resources created with the same body, measured once before the cases when
    /// the fuzz check runs on the resource (`None`: each fuzz case measures them itself).
    pub fuzz_cross: Option<Canon>,
}

/// Whether the scenario turned the check off.
fn enabled(check: CheckId, resource: &Resource) -> bool {
    let options = &resource.checks;
    match check {
        CheckId::RepeatPut => options.repeat_put.enabled,
        CheckId::PartialPut => options.partial_put_enabled,
        CheckId::RepeatDelete => options.repeat_delete.enabled,
        CheckId::PutAfterDelete => options.put_after_delete.enabled,
        CheckId::UseAfterDelete => options.use_after_delete.enabled,
        CheckId::GetSafety => options.get_safety.enabled,
        CheckId::HeadParity => options.head_parity.enabled,
        CheckId::PostRetry => options.post_retry_enabled,
        CheckId::StatusConformance => options.status_conformance_enabled,
        CheckId::Fuzz | CheckId::Script => true,
        CheckId::ConcurrentPut => options.concurrent_put_enabled,
        CheckId::ConcurrentPostKey => options.concurrent_post_key_enabled,
        CheckId::LostResponseRetry => options.lost_response_retry_enabled,
        CheckId::ConditionalWrite => options.conditional_write_enabled,
        CheckId::LostUpdate => options.lost_update_enabled,
        CheckId::EtagStability => options.etag_stability_enabled,
        CheckId::PostPutCreation => options.post_put_creation_enabled,
    }
}

/// Why a check cannot run on a resource that requires preconditions (`preconditions_required`):
/// the API answers 428 to its unconditional PUTs. The concurrency and conditional checks send
/// the preconditions such an API needs.
fn precondition_skip(check: CheckId, resource: &Resource) -> Option<String> {
    if !resource.conditional.preconditions_required {
        return None;
    }
    let creates_by_put = resource.create == crate::scenario::CreateMode::Put;
    match check {
        CheckId::RepeatPut
        | CheckId::PartialPut
        | CheckId::PutAfterDelete
        | CheckId::StatusConformance
        | CheckId::ConcurrentPut => Some(
            "the resource requires preconditions (`preconditions_required = true`) and this check sends unconditional PUTs, which the API answers 428".into(),
        ),
        CheckId::GetSafety
        | CheckId::HeadParity
        | CheckId::RepeatDelete
        | CheckId::UseAfterDelete
            if creates_by_put =>
        {
            Some(
                "the resource requires preconditions (`preconditions_required = true`) and this check creates its resource with an unconditional PUT, which the API answers 428".into(),
            )
        }
        _ => None,
    }
}

/// Why a check does not run on a resource, or `None` when it runs.
pub fn skip_reason(check: CheckId, resource: &Resource) -> Option<String> {
    if !enabled(check, resource) {
        return Some("disabled in the scenario file (enabled = false)".into());
    }
    if let Some(reason) = precondition_skip(check, resource) {
        return Some(reason);
    }
    if let Some(reason) = super::collection::skip_reason(check, resource) {
        return Some(reason);
    }
    match check {
        CheckId::RepeatPut => repeat_put::skip_reason(resource),
        CheckId::PartialPut => partial_put::skip_reason(resource),
        CheckId::RepeatDelete => repeat_delete::skip_reason(resource),
        CheckId::PutAfterDelete => put_after_delete::skip_reason(resource),
        CheckId::UseAfterDelete => use_after_delete::skip_reason(resource),
        CheckId::GetSafety => get_safety::skip_reason(resource),
        CheckId::HeadParity => head_parity::skip_reason(resource),
        CheckId::PostRetry => post_retry::skip_reason(resource),
        CheckId::StatusConformance => status_conformance::skip_reason(resource),
        CheckId::Fuzz => super::fuzz::skip_reason(resource),
        CheckId::Script => None,
        CheckId::ConcurrentPut => concurrent_put::skip_reason(resource),
        CheckId::ConcurrentPostKey => concurrent_post_key::skip_reason(resource),
        CheckId::LostResponseRetry => lost_response_retry::skip_reason(resource),
        CheckId::ConditionalWrite => conditional_write::skip_reason(resource),
        CheckId::LostUpdate => lost_update::skip_reason(resource),
        CheckId::EtagStability => etag_stability::skip_reason(resource),
        CheckId::PostPutCreation => post_put_creation::skip_reason(resource),
    }
}

/// Why requests released together or left unread cannot reach a target: a proxy carries its
/// requests, and idemfuzz never opens the connections of its own those need around the proxy.
pub const PROXIED: &str = "a proxy carries the requests to this target (--proxy, or HTTP_PROXY / HTTPS_PROXY / ALL_PROXY), and requests released together or left unread need connections of their own, which idemfuzz never opens around the proxy; to run it, list the target's host in NO_PROXY";

/// Why a check cannot run against a target: it sends requests together or leaves answers
/// unread, and a proxy carries the target's requests.
pub fn target_skip(check: CheckId, target: &ResolvedTarget) -> Option<String> {
    let needs_own_connections = matches!(
        check,
        CheckId::ConcurrentPut
            | CheckId::ConcurrentPostKey
            | CheckId::LostResponseRetry
            | CheckId::LostUpdate
    );
    (needs_own_connections && target.proxied).then(|| PROXIED.to_string())
}

/// Notes about parts of a check that do not run on a resource of a target.
pub fn notes(check: CheckId, resource: &Resource, target: &ResolvedTarget) -> Vec<String> {
    let mut notes = super::collection::notes(check, resource);
    notes.extend(match check {
        CheckId::PostRetry => post_retry::notes(resource),
        CheckId::LostResponseRetry => lost_response_retry::notes(resource),
        CheckId::PostPutCreation if target.proxied => {
            vec![format!(
                "lost-response retry of the filling PUT not run: {PROXIED}"
            )]
        }
        _ => Vec::new(),
    });
    notes
}

/// Runs one case of a built-in check and judges it.
pub async fn run_case(
    check: CheckId,
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    canons: &Canons,
) -> Result<Vec<Violation>, CaseError> {
    let resource = session.resource;
    let options = &resource.checks;
    Ok(match check {
        CheckId::RepeatPut => {
            let record = repeat_put::execute(session, generator, &options.repeat_put).await?;
            repeat_put::judge(&record, &canons.full)
        }
        CheckId::PartialPut => {
            let record = partial_put::execute(session, generator).await?;
            partial_put::judge(&record, &canons.full)
        }
        CheckId::RepeatDelete => {
            let record = repeat_delete::execute(session, generator, &options.repeat_delete).await?;
            repeat_delete::judge(
                &record,
                &canons.full,
                &options.repeat_delete,
                &resource.id_field,
            )
        }
        CheckId::PutAfterDelete => {
            let record = put_after_delete::execute(session, generator).await?;
            put_after_delete::judge(&record, &canons.full, &options.put_after_delete)
        }
        CheckId::UseAfterDelete => {
            let record = use_after_delete::execute(session, generator).await?;
            use_after_delete::judge(&record, &options.use_after_delete)
        }
        CheckId::GetSafety => {
            let record = get_safety::execute(session, generator, &options.get_safety).await?;
            get_safety::judge(&record, &canons.declared, &resource.id_field)
        }
        CheckId::HeadParity => {
            let record = head_parity::execute(session, generator).await?;
            head_parity::judge(&record, &options.head_parity)
        }
        CheckId::PostRetry => {
            let record = post_retry::execute(session, generator).await?;
            post_retry::judge(&record, &canons.full)
        }
        CheckId::StatusConformance => {
            let record = status_conformance::execute(session, generator).await?;
            status_conformance::judge(&record)
        }
        // Fuzz cases need the case's kind (generated or replayed): the runner calls
        // `checks::fuzz::run_case` itself.
        CheckId::Fuzz | CheckId::Script => Vec::new(),
        CheckId::ConcurrentPut => {
            let record = concurrent_put::execute(session, generator).await?;
            concurrent_put::judge(&record, &canons.full, &resource.id_field)
        }
        CheckId::ConcurrentPostKey => match &resource.idempotency_key {
            Some(key) => {
                let record = concurrent_post_key::execute(session, generator, key).await?;
                concurrent_post_key::judge(&record)
            }
            None => Vec::new(),
        },
        CheckId::LostResponseRetry => {
            let record = lost_response_retry::execute(session, generator).await?;
            lost_response_retry::judge(&record, &canons.full, &resource.id_field)
        }
        CheckId::ConditionalWrite => {
            let record = conditional_write::execute(session, generator).await?;
            conditional_write::judge(&record, &canons.full)
        }
        CheckId::LostUpdate => {
            let record = lost_update::execute(session, generator).await?;
            lost_update::judge(&record, &canons.full)
        }
        CheckId::EtagStability => {
            let record = etag_stability::execute(session, generator).await?;
            etag_stability::judge(&record)
        }
        CheckId::PostPutCreation => {
            let record = post_put_creation::execute(session, generator).await?;
            post_put_creation::judge(&record, &canons.full)
        }
    })
}
