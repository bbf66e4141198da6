//! `use-after-delete`: after a successful DELETE, GET and HEAD of the resource answer 404 or
//! 410, never 2xx (RFC 9110 §9.3.5).

use crate::checks::verdict::answered;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::{Violation, statuses};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{Resource, UseAfterDeleteOptions};
use crate::session::{CaseError, Req, Session};

/// Why the check cannot run on a resource, if it cannot.
pub fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Delete)).then(|| "the resource declares no DELETE".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub struct Record {
    pub delete: Exchange,
    /// GET, then HEAD (when declared) of the deleted resource.
    pub reads: Vec<Exchange>,
}

/// Create, DELETE, then GET and HEAD.
pub async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let id = session.create_generated(generator, "create").await?;
    let delete = session.delete(&id, "DELETE it").await?;
    let delete = session.exchange(delete).clone();
    let mut reads = Vec::new();
    if delete.response.is_success() {
        let path = session.resource.item_path(&id);
        let get = session
            .send("GET after DELETE", Req::new(Method::Get, path.clone()))
            .await?;
        reads.push(session.exchange(get).clone());
        if session.resource.supports(Method::Head) {
            let head = session
                .send("HEAD after DELETE", Req::new(Method::Head, path))
                .await?;
            reads.push(session.exchange(head).clone());
        }
    }
    Ok(Record { delete, reads })
}

/// The oracle.
pub fn judge(record: &Record, options: &UseAfterDeleteOptions) -> Vec<Violation> {
    if !record.delete.response.is_success() {
        return vec![
            Violation::warning("DELETE of an existing resource did not succeed")
                .rule("delete-failed")
                .expected("200, 202 or 204")
                .observed(answered(&record.delete)),
        ];
    }
    if record.delete.response.status == 202 {
        // Accepted: the deletion may not have happened yet; nothing to demand.
        return Vec::new();
    }
    record
        .reads
        .iter()
        .filter(|read| !options.gone_statuses.contains(&read.response.status))
        .map(|read| {
            let severity_error = read.response.is_success();
            let violation = if severity_error {
                Violation::error(format!(
                    "{} of a deleted resource answered {}",
                    read.request.method, read.response.status
                ))
                .rule(format!(
                    "{}-2xx-after-delete",
                    read.request.method.as_str().to_ascii_lowercase()
                ))
            } else {
                Violation::warning(format!(
                    "{} of a deleted resource answered an unexpected status",
                    read.request.method
                ))
                .rule(format!(
                    "{}-unexpected-status-after-delete",
                    read.request.method.as_str().to_ascii_lowercase()
                ))
            };
            violation
                .expected(format!(
                    "{} after a successful DELETE",
                    statuses(&options.gone_statuses)
                ))
                .observed(answered(read))
        })
        .collect()
}
