//! `lost-update`: two clients read the same entity tag and both PUT a different body with it in
//! `If-Match`, released together. Exactly one succeeds, the other is answered 412, and the
//! resource ends with the winner's body (RFC 9110 §13.1.1: the precondition prevents the "lost
//! update" of §13.1.1's note).
//!
//! With a version token in the body (`[resources.NAME.version]`, CouchDB `_rev`) both writes
//! carry the token both clients read — alone when the resource has no ETags, beside the ETag
//! otherwise — and the refused one may be answered 409 Conflict as well as 412.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::conditional_write::{
    IF_MATCH_IGNORED, NO_PRECONDITION, VERSION_TOKEN_IGNORED, Via,
};
use crate::checks::etag::EntityTag;
use crate::checks::fit::Need;
use crate::checks::matching::{holds, opaque_holds};
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::steps::{self, IF_MATCH};
use crate::checks::verdict::answered;
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session, VersionUse};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;

/// The check.
pub(crate) struct LostUpdate;

impl Check for LostUpdate {
    const ID: CheckId = CheckId::LostUpdate;
    const OWN_CONNECTIONS: bool = true;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected].into()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let item = &resource.item;
        let (create, creates) = outline::create_conditionally(resource, "a generated body");
        let (read, with) = match Via::of(resource) {
            Via::EntityTag => ("the ETag", "If-Match: that ETag".to_string()),
            Via::VersionToken { member } => {
                ("the version token", format!("that token at `{member}`"))
            }
        };
        Outline::new()
            .step(create, [creates])
            .step(
                format!("GET {item} ({read} both clients read)"),
                [send(Method::Get, To::Item)],
            )
            .step(
                format!(
                    "PUT {item} body X and PUT {item} body Y, both with {with}, released together"
                ),
                [send(Method::Put, To::Item).times(2)],
            )
            .step(format!("GET {item}"), [send(Method::Get, To::Item)])
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    /// Where the fit probe showed that the write without its precondition would not succeed
    /// either (a version token is needed), the loser's refusal other than 412 is not a
    /// violation (RFC 9110 §13.2.1).
    fn judge(&self, record: &Record, _: &Resource, _: &(), canons: &Canons) -> Vec<Violation> {
        let mut found = judge(record, &canons.full);
        if canons.fit.needs_version_token() {
            found.retain(|v| v.rule != LOSER_NOT_412);
        }
        found
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    if !resource.conditional.etags && resource.version.is_none() {
        return Some(NO_PRECONDITION.into());
    }
    (!resource.supports(Method::Put)).then(|| "the resource declares no PUT".into())
}

/// The two clients' writes.
#[derive(Debug, Clone)]
pub(crate) struct Writes {
    pub(crate) bodies: [Value; 2],
    pub(crate) exchanges: Vec<Exchange>,
    pub(crate) after: ItemSnapshot,
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// How the two writes name the version they were written against.
    pub(crate) via: Via,
    /// The `ETag` field both clients read.
    pub(crate) etag: Option<String>,
    /// The version token both clients read (resources with `version`).
    pub(crate) token: Option<Value>,
    /// `None` when the tag was missing, malformed or weak (no write was sent).
    pub(crate) writes: Option<Writes>,
}

/// Create; GET the tag (or token); PUT X and PUT Y with it, together; GET.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let template = &session.resource.body;
    let body = generator.generate(template);
    let id = steps::create(session, &body, "create").await?;
    let via = Via::of(session.resource);
    let purpose = match via {
        Via::EntityTag => "both clients read the resource and its ETag",
        Via::VersionToken { .. } => "both clients read the resource and its version token",
    };
    let read = steps::read(session, &id, purpose).await?;
    let etag = read.etag().map(str::to_string);
    let token = session.version_token(&id);
    let mut record = Record {
        via,
        etag,
        token,
        writes: None,
    };
    let Some(precondition) = precondition(&record) else {
        return Ok(record);
    };
    let x = steps::body_unlike(generator, template, &[&body]);
    let y = steps::body_unlike(generator, template, &[&body, &x]);
    let path = session.resource.item_path(&id);
    let version = record
        .token
        .clone()
        .map_or(VersionUse::Current, VersionUse::Given);
    let sends = [("client 1: PUT body X", &x), ("client 2: PUT body Y", &y)]
        .map(|(label, body)| {
            let mut req = Req::new(Method::Put, path.clone())
                .body(body)
                .version(version.clone());
            if let Some(tag) = &precondition {
                req = req.header(IF_MATCH, tag);
            }
            (
                format!(
                    "{label} with {} both read (released together)",
                    describe(&record.via)
                ),
                req,
            )
        })
        .to_vec();
    let indexes = session.send_together(sends).await?;
    let exchanges = indexes
        .into_iter()
        .map(|index| session.exchange(index).clone())
        .collect();
    let after = session.get_item(&id, "read the final state").await?;
    record.writes = Some(Writes {
        bodies: [x, y],
        exchanges,
        after,
    });
    Ok(record)
}

/// What the two writes carry: `Some(Some(tag))` an `If-Match` tag, `Some(None)` the version
/// token alone; `None` when neither is usable (no write is sent).
fn precondition(record: &Record) -> Option<Option<String>> {
    match record.via {
        Via::EntityTag => record
            .etag
            .as_deref()
            .and_then(EntityTag::parse)
            .filter(|t| !t.weak)
            .map(|t| Some(t.field())),
        Via::VersionToken { .. } => record.token.as_ref().map(|_| None),
    }
}

/// What both clients' writes carry, for purposes and titles.
fn describe(via: &Via) -> &'static str {
    match via {
        Via::EntityTag => "If-Match: the ETag",
        Via::VersionToken { .. } => "the version token",
    }
}

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let Some(writes) = &record.writes else {
        return vec![match &record.via {
            Via::EntityTag => untestable(record.etag.as_deref()),
            Via::VersionToken { member } => no_token(member),
        }];
    };
    let succeeded: Vec<usize> = writes
        .exchanges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.response.is_success())
        .map(|(n, _)| n)
        .collect();
    let mut found = Vec::new();
    match succeeded.as_slice() {
        [_, _, ..] => found.push(
            Violation::error(format!("two writes with the same {} both succeeded: one update was lost", same(&record.via)))
                .rule("both-succeeded")
                .expected("exactly one succeeds; the other's precondition no longer holds: 412 (RFC 9110 §13.1.1)")
                .observed(both(&writes.exchanges))
                .cause(ignored_cause(&record.via)),
        ),
        [winner] => {
            found.extend(winner_kept(writes, *winner, canon));
            found.extend(loser_status(writes, *winner, record));
        }
        [] => found.push(
            Violation::warning(format!("neither of two writes with the current {} succeeded", match record.via {
                Via::EntityTag => "ETag in If-Match",
                Via::VersionToken { .. } => "version token",
            }))
                .rule("neither-succeeded")
                .expected(format!("exactly one succeeds (the first to be processed), the other answers {}", refusal(record)))
                .observed(both(&writes.exchanges)),
        ),
    }
    found
}

/// The cause both writes succeeding shares with `conditional-write`'s findings: `If-Match`
/// not evaluated, or the version token not compared when it alone names the version.
fn ignored_cause(via: &Via) -> &'static str {
    match via {
        Via::EntityTag => IF_MATCH_IGNORED,
        Via::VersionToken { .. } => VERSION_TOKEN_IGNORED,
    }
}

/// What both writes share, for titles.
fn same(via: &Via) -> &'static str {
    match via {
        Via::EntityTag => "If-Match",
        Via::VersionToken { .. } => "version token",
    }
}

/// How the refused write may be answered: 412, or 409 too when it carried a version token (its
/// body would fail without `If-Match` as well: RFC 9110 §13.2.1).
fn refusal(record: &Record) -> &'static str {
    if record.token.is_some() {
        "409 or 412"
    } else {
        "412"
    }
}

fn no_token(member: &str) -> Violation {
    Violation::warning(format!(
        "GET of the resource showed no version token at `{member}` although the scenario declares it; lost updates not tested"
    ))
    .rule("no-version-token")
    .expected(format!("a string or number at `{member}` of every 2xx GET of the resource ([resources.NAME.version])"))
    .observed("no token there")
}

fn untestable(etag: Option<&str>) -> Violation {
    let (rule, title) = match etag.map(EntityTag::parse) {
        None => (
            "no-etag",
            "GET of the resource sent no ETag although the scenario declares `etags = true`; lost updates not tested",
        ),
        Some(None) => (
            "malformed-etag",
            "GET of the resource sent a malformed ETag; lost updates not tested",
        ),
        Some(Some(_)) => {
            return Violation::info("the resource's ETag is weak, so If-Match can never succeed with it; lost updates not tested")
                .rule("weak-etag")
                .expected("a strong ETag for conditional writes (RFC 9110 §13.1.1)")
                .observed(format!("ETag: {}", etag.unwrap_or_default()));
        }
    };
    Violation::warning(title)
        .rule(rule)
        .expected("a strong ETag on a 2xx GET of the resource (RFC 9110 §8.8.3)")
        .observed(etag.map_or_else(|| "no ETag field".to_string(), |e| format!("ETag: {e}")))
}

/// The final state holds the winner's body.
fn winner_kept(writes: &Writes, winner: usize, canon: &Canon) -> Option<Violation> {
    let after = writes.after.body.json().map(|b| canon.body(b));
    let sent = canon.body(&writes.bodies[winner]);
    let kept = opaque_holds(&writes.after, &writes.bodies[winner])
        .unwrap_or_else(|| after.as_ref().is_some_and(|after| holds(after, &sent)));
    if kept {
        return None;
    }
    Some(
        Violation::error(
            "after two conditional writes, the resource does not hold the successful one's body",
        )
        .rule("winner-not-kept")
        .expected(format!(
            "the body of client {} (the write that succeeded); the refused write changes nothing",
            winner + 1
        ))
        .observed(format!(
            "{}; the final GET answered {} with other values",
            both(&writes.exchanges),
            writes.after.status
        )),
    )
}

/// The rule of a refused write answered with another status than 412 (or 409 for a token).
const LOSER_NOT_412: &str = "loser-not-412";

/// The refused write should be answered 412 (or 409, when it carried a version token).
fn loser_status(writes: &Writes, winner: usize, record: &Record) -> Option<Violation> {
    let loser = writes.exchanges.get(1 - winner)?;
    let status = loser.response.status;
    let fine = status == 412 || (status == 409 && record.token.is_some());
    (!fine).then(|| {
        Violation::warning(format!(
            "the refused one of two writes with the same {} was not answered {}",
            same(&record.via),
            refusal(record)
        ))
        .rule(LOSER_NOT_412)
        .expected(if record.token.is_some() {
            "409 or 412 (RFC 9110 §13.1.1; §15.5.10 for a stale version token)"
        } else {
            "412 Precondition Failed (RFC 9110 §13.1.1)"
        })
        .observed(answered(loser))
    })
}

fn both(exchanges: &[Exchange]) -> String {
    exchanges
        .iter()
        .map(answered)
        .collect::<Vec<_>>()
        .join("; ")
}
