//! `head-parity`: HEAD answers the status and header fields of GET, with no content
//! (RFC 9110 §9.3.2). A status mismatch is an error; a header mismatch a warning (SHOULD);
//! Content-Length may be omitted by HEAD, but when sent it must match.
//!
//! It compares the pair twice: on the case's resource, and on a never-created run-owned id
//! (the 404 answers), statuses and content only there. Content after a HEAD answer is seen
//! because the transport sends HEAD on a connection of its own and records the bytes that
//! follow the header section as the answer's body (`crate::http::wire`).

use futures::future::LocalBoxFuture;
use serde::Deserialize;
use toml::Spanned;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::verdict::answered;
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};

/// The check.
pub(crate) struct HeadParity;

/// `[resources.NAME.checks.head-parity]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeadParityOptions {
    /// Lower-case header names compared between GET and HEAD.
    pub(crate) headers: Vec<String>,
}

impl Default for HeadParityOptions {
    fn default() -> Self {
        HeadParityOptions {
            headers: vec![
                "etag".into(),
                "content-type".into(),
                "last-modified".into(),
                "content-length".into(),
            ],
        }
    }
}

/// `[resources.NAME.checks.head-parity]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadParityDoc {
    /// Read by `CheckOptions::enabled`; here so that the key is accepted and type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
    /// Headers that must match between GET and HEAD when GET sends them.
    headers: Option<Vec<Spanned<String>>>,
}

impl Check for HeadParity {
    const ID: CheckId = CheckId::HeadParity;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::ToCreate;
    type Options = HeadParityOptions;
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<HeadParityOptions, ScenarioError> {
        let doc: HeadParityDoc = table.doc()?;
        let headers = match &doc.headers {
            Some(names) => names
                .iter()
                .map(|name| table.header_name(name).map(|n| n.to_ascii_lowercase()))
                .collect::<Result<Vec<_>, _>>()?,
            None => HeadParityOptions::default().headers,
        };
        Ok(HeadParityOptions { headers })
    }

    fn skip_reason(&self, resource: &Resource, _: &HeadParityOptions) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &HeadParityOptions) -> Vec<Need> {
        [Need::ItemReadable, Need::UnknownIdsAbsent].into()
    }

    fn outline(&self, resource: &Resource, _: &HeadParityOptions, _: bool) -> Outline {
        let item = &resource.item;
        let (create, creates) = outline::create(resource, "a generated body");
        let pair = [send(Method::Get, To::Item), send(Method::Head, To::Item)];
        Outline::new()
            .step(create, [creates])
            .step(format!("GET {item}, HEAD {item}"), pair)
            .step(
                format!("GET {item}, HEAD {item} of a never-created id (the 404s)"),
                pair,
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c HeadParityOptions,
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(
        &self,
        record: &Record,
        _: &Resource,
        options: &HeadParityOptions,
        _: &Canons,
    ) -> Vec<Violation> {
        judge(record, options)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Head)).then(|| "the resource declares no HEAD".to_string())
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) get: Exchange,
    pub(crate) head: Exchange,
    /// GET and HEAD of a never-created id (`None` in records made before they were sent).
    pub(crate) missing: Option<Pair>,
}

/// A GET and a HEAD of one URL, with nothing in between.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) get: Exchange,
    pub(crate) head: Exchange,
}

/// Create, then GET and HEAD the item with nothing in between; then GET and HEAD a fresh
/// run-owned id nothing was sent to.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let id = session.create_generated(generator, "create").await?;
    let existing = pair(session, &id, "the item").await?;
    let missing_id = session.fresh_id();
    let missing = pair(session, &missing_id, "a never-created id").await?;
    Ok(Record {
        get: existing.get,
        head: existing.head,
        missing: Some(missing),
    })
}

/// GET then HEAD of the item `id`.
async fn pair(session: &mut Session<'_>, id: &str, what: &str) -> Result<Pair, CaseError> {
    let path = session.resource.item_path(id);
    let get = session
        .send(format!("GET {what}"), Req::new(Method::Get, path.clone()))
        .await?;
    let get = session.exchange(get).clone();
    let head = session
        .send(format!("HEAD {what}"), Req::new(Method::Head, path))
        .await?;
    Ok(Pair {
        get,
        head: session.exchange(head).clone(),
    })
}

/// The oracle.
pub(crate) fn judge(record: &Record, options: &HeadParityOptions) -> Vec<Violation> {
    let (get, head) = (&record.get.response, &record.head.response);
    let mut found = Vec::new();
    let mismatch = [
        Some((&record.get, &record.head)),
        record.missing.as_ref().map(|p| (&p.get, &p.head)),
    ]
    .into_iter()
    .flatten()
    .find(|(get, head)| get.response.status != head.response.status);
    if let Some((get, head)) = mismatch {
        found.push(
            Violation::error("HEAD answered another status than GET")
                .rule("status-mismatch")
                .expected(format!(
                    "HEAD answers {} like GET (RFC 9110 §9.3.2)",
                    get.response.status
                ))
                .observed(answered(head)),
        );
    }
    if get.status == head.status {
        found.extend(
            options
                .headers
                .iter()
                .filter_map(|name| header_mismatch(record, name)),
        );
    }
    found.extend(content(record));
    found
}

/// An error when a HEAD answer carried content, on the resource or on the missing id.
fn content(record: &Record) -> Option<Violation> {
    let heads = std::iter::once(&record.head).chain(record.missing.as_ref().map(|p| &p.head));
    let lines: Vec<String> = heads
        .filter(|head| head.response.body_len > 0)
        .map(|head| {
            format!(
                "{}, then {} bytes of content",
                answered(head),
                head.response.body_len
            )
        })
        .collect();
    (!lines.is_empty()).then(|| {
        Violation::error("HEAD answered with content")
            .rule("head-content")
            .expected("no content in a HEAD response, whatever its status (RFC 9110 §9.3.2: MUST NOT); a client keeping the connection would read it as the start of its next answer")
            .observed(lines.join("; "))
    })
}

fn header_mismatch(record: &Record, name: &str) -> Option<Violation> {
    let get_value = record.get.response.header(name)?;
    let head_value = record.head.response.header(name);
    let omitted_length = name.eq_ignore_ascii_case("content-length") && head_value.is_none();
    if omitted_length || head_value == Some(get_value) {
        return None;
    }
    Some(
        Violation::warning(format!("HEAD and GET disagree on {name}"))
            .rule(format!("header-mismatch/{}", name.to_ascii_lowercase()))
            .expected(format!(
                "{name}: {get_value} (as GET sent it; RFC 9110 §9.3.2)"
            ))
            .observed(match head_value {
                Some(value) => format!("HEAD sent {name}: {value}"),
                None => format!("HEAD sent no {name}"),
            }),
    )
}
