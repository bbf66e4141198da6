//! `conditional-write`: writes whose precondition fails change nothing and are answered 412;
//! a write with the current entity tag succeeds (RFC 9110 §13.1.1, §13.1.2, §13.2; RFC 6585 §3).
//!
//! On a resource with the ETag read from GET, the case sends, in order: PUT with the current
//! tag (must succeed); PUT with the now stale tag; PUT with the weak form of the current tag
//! (`If-Match` uses the strong comparison, so it never matches); `If-None-Match: *` PUT to the
//! existing resource (create-only); `If-Match: *` PUT to a never-created id; an unconditional
//! PUT when the resource requires preconditions (428); DELETE with the stale tag; DELETE with
//! the current tag (must succeed). Each probe body differs from every earlier one, so a write
//! that should have been refused shows as a state change. Only state changes are errors; a
//! server that ignores a header altogether gets one finding for it, not one per probe.
//!
//! The two `*` probes need no entity tag (RFC 9110 §13.1.1, §13.1.2), so they run on every
//! resource that supports PUT, also without `etags = true` (then they are the whole case). The
//! `If-Match: *` PUT goes to a fresh run-owned id, registered before it is sent; when it is
//! answered 2xx the id is read back, and a 201, a listing that shows the id or a read that
//! holds the body means it created the resource (`if-match-star-created`).
//!
//! Every finding of an ignored `If-Match` carries the cause [`IF_MATCH_IGNORED`], which
//! `lost-update`'s "both writes succeeded" shares: the report shows them as one finding.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::etag::EntityTag;
use crate::checks::matching::{holds, opaque_holds};
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::steps::{self, IF_MATCH, IF_NONE_MATCH};
use crate::checks::verdict::{answered, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;

/// The check.
pub struct ConditionalWrite;

impl Check for ConditionalWrite {
    const ID: CheckId = CheckId::ConditionalWrite;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let observe = [
            send(Method::Get, To::Collection),
            send(Method::Get, To::Item),
        ];
        let probe = |method| [send(method, To::Item), observe[0], observe[1]];
        let (create, creates) = outline::create_conditionally(resource, "body A");
        let tags = resource.conditional.etags;
        let read = if tags { "state and ETag" } else { "state" };
        let mut steps = Outline::new().step(create, [creates]).step(
            format!("GET {collection}, GET {item} ({read}; again after each write below)"),
            observe,
        );
        if tags {
            steps = steps
                .step(
                    format!("PUT {item} with If-Match: the current ETag"),
                    probe(Method::Put),
                )
                .step(
                    format!("PUT {item} with If-Match: the now stale ETag"),
                    probe(Method::Put),
                )
                .step(
                    format!("PUT {item} with If-Match: W/ + the current ETag"),
                    probe(Method::Put),
                );
        }
        steps = steps
            .step(
                format!("PUT {item} with If-None-Match: *"),
                probe(Method::Put),
            )
            .step(
                format!(
                    "PUT {item} with If-Match: * to a never-created id, GET {collection}, GET {item} when it answered 2xx"
                ),
                [
                    send(Method::Put, To::Item),
                    send(Method::Get, To::Collection),
                    send(Method::Get, To::Item).between(0, 1),
                ],
            );
        if resource.conditional.preconditions_required {
            steps.push(
                format!("PUT {item} without a precondition (expects 428)"),
                probe(Method::Put),
            );
        }
        if !tags {
            return steps;
        }
        steps
            .step(
                format!("DELETE {item} with If-Match: the stale ETag"),
                probe(Method::Delete),
            )
            .step(
                format!("DELETE {item} with If-Match: the current ETag"),
                probe(Method::Delete),
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(&self, record: &Record, _: &Resource, _: &(), canons: &Canons) -> Vec<Violation> {
        judge(record, &canons.full)
    }
}

/// Why the check cannot run on a resource, if it cannot. Without `etags = true` it still
/// sends the two `*` probes, which need no entity tag.
pub fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Put)).then(|| "the resource declares no PUT".into())
}

/// The cause every finding of an ignored `If-Match` shares, across checks: the report groups
/// them into one finding (`lost-update` sets it too).
pub const IF_MATCH_IGNORED: &str = "if-match-ignored";

/// One conditional request the case sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// PUT with the current strong tag in `If-Match`: must succeed.
    CurrentPut,
    /// PUT with a tag that was current before the last change.
    StalePut,
    /// PUT with `W/` + the current opaque tag.
    WeakPut,
    /// `If-None-Match: *` PUT to the existing resource.
    CreateOnlyPut,
    /// `If-Match: *` PUT to an id nothing was ever sent to.
    MissingStar,
    /// PUT without any precondition, to a resource that requires one.
    Unconditional,
    /// DELETE with a stale tag.
    StaleDelete,
    /// DELETE with the current strong tag: must succeed.
    CurrentDelete,
}

/// Which precondition header a probe tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    IfMatch,
    IfNoneMatch,
    None,
}

impl Probe {
    /// What was sent, for titles: "a PUT with a stale If-Match".
    pub fn describe(self) -> &'static str {
        match self {
            Probe::CurrentPut => "a PUT with the current ETag in If-Match",
            Probe::StalePut => "a PUT with a stale If-Match",
            Probe::WeakPut => "a PUT with a weak entity tag in If-Match",
            Probe::CreateOnlyPut => "a PUT with If-None-Match: * to an existing resource",
            Probe::MissingStar => "a PUT with If-Match: * to a missing resource",
            Probe::Unconditional => "an unconditional PUT",
            Probe::StaleDelete => "a DELETE with a stale If-Match",
            Probe::CurrentDelete => "a DELETE with the current ETag in If-Match",
        }
    }

    /// True when the precondition must fail, so nothing may change.
    fn must_fail(self) -> bool {
        !matches!(self, Probe::CurrentPut | Probe::CurrentDelete)
    }

    fn header(self) -> Header {
        match self {
            Probe::CreateOnlyPut => Header::IfNoneMatch,
            Probe::Unconditional => Header::None,
            _ => Header::IfMatch,
        }
    }

    /// The error when the probe changed state although its precondition fails.
    fn ignored_title(self) -> &'static str {
        match self {
            Probe::StalePut => "a PUT with a stale If-Match changed the resource",
            Probe::WeakPut => {
                "If-Match accepted a weak entity tag: a PUT with W/ + the current tag changed the resource"
            }
            Probe::CreateOnlyPut => "a PUT with If-None-Match: * overwrote an existing resource",
            Probe::MissingStar => "a PUT with If-Match: * created a resource",
            Probe::Unconditional => {
                "an unconditional PUT changed a resource that requires preconditions"
            }
            Probe::StaleDelete => "a DELETE with a stale If-Match removed the resource",
            Probe::CurrentPut | Probe::CurrentDelete => "a conditional write misbehaved",
        }
    }

    /// The rule slug of the error when the probe changed state although its precondition fails.
    fn ignored_slug(self) -> &'static str {
        match self {
            Probe::StalePut => "stale-put-applied",
            Probe::WeakPut => "weak-etag-matched",
            Probe::CreateOnlyPut => "if-none-match-overwrote",
            Probe::MissingStar => "if-match-star-created",
            Probe::Unconditional => "unconditional-applied",
            Probe::StaleDelete => "stale-delete-applied",
            Probe::CurrentPut | Probe::CurrentDelete => "misbehaved",
        }
    }

    /// The rule a refused probe follows.
    fn rule(self) -> &'static str {
        match self {
            Probe::WeakPut => {
                "412 and nothing changed: If-Match uses the strong comparison, a weak tag never matches (RFC 9110 §13.1.1, §8.8.3.2)"
            }
            Probe::CreateOnlyPut => {
                "412 and nothing overwritten: If-None-Match: * fails when the resource exists (RFC 9110 §13.1.2)"
            }
            Probe::MissingStar => {
                "412 (or another 4xx) and nothing created: If-Match: * fails when there is no current representation (RFC 9110 §13.1.1)"
            }
            Probe::Unconditional => "428 Precondition Required and nothing changed (RFC 6585 §3)",
            _ => "412 Precondition Failed and nothing changed (RFC 9110 §13.1.1)",
        }
    }
}

/// The state a probe is judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The item's GET (`None` where reading the item could itself create it: a never-created
    /// id, which is judged by the collection only).
    pub item: Option<ItemSnapshot>,
    /// Whether the collection lists the id (`None`: no readable list).
    pub listed: Option<bool>,
}

/// One probe: its exchange, the body it sent, and the state before and after.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub probe: Probe,
    pub exchange: Exchange,
    pub body: Option<Value>,
    pub before: State,
    pub after: State,
}

/// What the case observed.
#[derive(Debug, Clone)]
pub struct Record {
    /// The `ETag` field of the first GET, as sent.
    pub initial_etag: Option<String>,
    /// Whether the scenario declares ETag support (`etags = true`): without it only the `*`
    /// probes run, and a missing ETag is no finding.
    pub etags_declared: bool,
    pub outcomes: Vec<Outcome>,
}

/// The probes of one case, in order (see the module documentation).
pub async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let body = generator.generate(&session.resource.body);
    let id = steps::create(session, &body, "create with body A").await?;
    let (state, initial_etag) = observe(session, &id, "read the resource and its ETag").await?;
    let etags_declared = session.resource.conditional.etags;
    let initial = initial_etag
        .as_deref()
        .and_then(EntityTag::parse)
        .filter(|_| etags_declared);
    let mut prober = Prober {
        id,
        generator,
        bodies: vec![body],
        current: initial.clone(),
        state,
        record: Record {
            initial_etag,
            etags_declared,
            outcomes: Vec::new(),
        },
    };
    let stale = match &initial {
        Some(initial) => prober.tagged_puts(session, initial).await?,
        None => None,
    };
    let create_only = Some((IF_NONE_MATCH, "*".to_string()));
    prober
        .put(session, Probe::CreateOnlyPut, create_only)
        .await?;
    prober.missing_star(session).await?;
    if session.resource.conditional.preconditions_required {
        prober.put(session, Probe::Unconditional, None).await?;
    }
    if let Some(tag) = stale {
        prober.delete(session, Probe::StaleDelete, tag).await?;
    }
    let current = prober.current.clone().filter(|_| initial.is_some());
    if let Some(current) = current.filter(|tag| !tag.weak) {
        prober
            .delete(session, Probe::CurrentDelete, current.field())
            .await?;
    }
    Ok(prober.record)
}

/// Sends probes to one resource, tracking its current state and entity tag, the bodies sent,
/// and the outcomes.
struct Prober<'g> {
    id: String,
    generator: &'g mut BodyGenerator,
    bodies: Vec<Value>,
    /// The tag of the latest read of the resource, when it had a well-formed one.
    current: Option<EntityTag>,
    /// The state of the latest read of the resource.
    state: State,
    record: Record,
}

impl Prober<'_> {
    /// The PUTs that need the resource's entity tag: with the current tag, the now stale one
    /// and the weak form. Returns the stale tag, when there is one.
    async fn tagged_puts(
        &mut self,
        session: &mut Session<'_>,
        initial: &EntityTag,
    ) -> Result<Option<String>, CaseError> {
        if !initial.weak {
            self.put(
                session,
                Probe::CurrentPut,
                Some((IF_MATCH, initial.field())),
            )
            .await?;
        }
        let changed = self.current.as_ref() != Some(initial);
        let stale = (!initial.weak && changed).then(|| initial.field());
        if let Some(tag) = &stale {
            self.put(session, Probe::StalePut, Some((IF_MATCH, tag.clone())))
                .await?;
        }
        if let Some(weak) = self.current.as_ref().map(|tag| tag.weakened().field()) {
            self.put(session, Probe::WeakPut, Some((IF_MATCH, weak)))
                .await?;
        }
        Ok(stale)
    }

    /// A body unlike every body sent so far.
    fn next_body(&mut self, resource: &Resource) -> Value {
        let others: Vec<&Value> = self.bodies.iter().collect();
        let body = steps::body_unlike(self.generator, &resource.body, &others);
        self.bodies.push(body.clone());
        body
    }

    async fn put(
        &mut self,
        session: &mut Session<'_>,
        probe: Probe,
        header: Option<(&str, String)>,
    ) -> Result<(), CaseError> {
        let body = self.next_body(session.resource);
        let mut req = Req::new(Method::Put, session.resource.item_path(&self.id)).body(&body);
        if let Some((name, value)) = header {
            req = req.header(name, &value);
        }
        self.send(session, probe, req, Some(body)).await
    }

    async fn delete(
        &mut self,
        session: &mut Session<'_>,
        probe: Probe,
        tag: String,
    ) -> Result<(), CaseError> {
        let req =
            Req::new(Method::Delete, session.resource.item_path(&self.id)).header(IF_MATCH, &tag);
        self.send(session, probe, req, None).await
    }

    /// Sends a probe to the resource, reads the state after it, and records the outcome.
    async fn send(
        &mut self,
        session: &mut Session<'_>,
        probe: Probe,
        req: Req,
        body: Option<Value>,
    ) -> Result<(), CaseError> {
        let index = session.send(probe.describe(), req).await?;
        let exchange = session.exchange(index).clone();
        let purpose = format!("read the resource after {}", probe.describe());
        let (after, etag) = observe(session, &self.id, &purpose).await?;
        self.current = etag.as_deref().and_then(EntityTag::parse);
        let before = std::mem::replace(&mut self.state, after.clone());
        self.record.outcomes.push(Outcome {
            probe,
            exchange,
            body,
            before,
            after,
        });
        Ok(())
    }

    /// `If-Match: *` PUT to a fresh run-owned id (registered before it is sent). A GET of a
    /// missing id is not trusted to be free of side effects, so the item is read back only
    /// when the PUT answered 2xx; the collection is read either way.
    async fn missing_star(&mut self, session: &mut Session<'_>) -> Result<(), CaseError> {
        let id = session.fresh_id();
        let body = self.next_body(session.resource);
        let req = Req::new(Method::Put, session.resource.item_path(&id))
            .body(&body)
            .header(IF_MATCH, "*");
        let index = session.send(Probe::MissingStar.describe(), req).await?;
        let exchange = session.exchange(index).clone();
        let collection = session
            .get_collection("check the collection for the never-created id")
            .await?;
        let listed = listed(session.resource, collection.items.as_deref(), &id);
        let item = if exchange.response.is_success() {
            let read = steps::read(session, &id, "read the id If-Match: * was sent to").await?;
            Some(read.snapshot)
        } else {
            None
        };
        self.record.outcomes.push(Outcome {
            probe: Probe::MissingStar,
            exchange,
            body: Some(body),
            before: State {
                item: None,
                listed: Some(false),
            },
            after: State { item, listed },
        });
        Ok(())
    }
}

/// GET of the collection, then of the item: the state, and the item's `ETag` field. The
/// collection comes first, so a GET that itself creates a missing item (a bug of its own,
/// `get-safety`'s to report) cannot make a deleted item look listed.
async fn observe(
    session: &mut Session<'_>,
    id: &str,
    purpose: &str,
) -> Result<(State, Option<String>), CaseError> {
    let collection = session
        .get_collection(&format!("{purpose} (collection)"))
        .await?;
    let read = steps::read(session, id, purpose).await?;
    let state = State {
        listed: listed(session.resource, collection.items.as_deref(), id),
        item: Some(read.snapshot.clone()),
    };
    let etag = read
        .snapshot
        .exists()
        .then(|| read.etag().map(str::to_string))
        .flatten();
    Ok((state, etag))
}

fn listed(resource: &Resource, items: Option<&[Value]>, id: &str) -> Option<bool> {
    items.map(|items| crate::checks::matching::rows_with_id(items, id, &resource.id_field) > 0)
}

/// The oracle.
pub fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let mut found: Vec<Violation> = if record.etags_declared {
        tag_findings(record.initial_etag.as_deref())
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    let ignored: Vec<&Outcome> = record
        .outcomes
        .iter()
        .filter(|o| o.probe.must_fail() && changed(o, canon))
        .collect();
    found.extend(ignored_findings(record, &ignored, canon));
    found.extend(status_findings(record, &ignored));
    found.extend(
        record
            .outcomes
            .iter()
            .filter_map(|o| judge_success(o, canon)),
    );
    found
}

/// What the ETag of the first read says when the scenario declares ETags: none or a malformed
/// one (the probes that need a tag did not run), or a weak one (If-Match cannot succeed).
fn tag_findings(raw: Option<&str>) -> Option<Violation> {
    let Some(raw) = raw else {
        return Some(
            Violation::warning(
                "GET of the resource sent no ETag although the scenario declares `etags = true`; conditional writes with an entity tag not tested",
            )
            .rule("no-etag")
            .expected("an ETag on every 2xx GET of the resource")
            .observed("no ETag field"),
        );
    };
    let Some(initial) = EntityTag::parse(raw) else {
        return Some(
            Violation::warning(
                "GET of the resource sent a malformed ETag; conditional writes with an entity tag not tested",
            )
            .rule("malformed-etag")
            .expected("\"opaque\" or W/\"opaque\" (RFC 9110 §8.8.3)")
            .observed(format!("ETag: {raw}")),
        );
    };
    initial.weak.then(|| {
        Violation::info("the resource's ETags are weak, so If-Match can never succeed with them; stale and current If-Match were not tested")
            .rule("weak-etags")
            .expected("a strong ETag for conditional writes (RFC 9110 §13.1.1 uses the strong comparison)")
            .observed(format!("ETag: {raw}"))
    })
}

/// Whether a probe changed the state it was sent to.
fn changed(outcome: &Outcome, canon: &Canon) -> bool {
    if outcome.probe == Probe::MissingStar {
        return created(outcome, canon);
    }
    let item_changed = match (&outcome.before.item, &outcome.after.item) {
        (Some(before), Some(after)) => {
            canon.item_state(&before.as_state()) != canon.item_state(&after.as_state())
        }
        _ => false,
    };
    let listing_changed = match (outcome.before.listed, outcome.after.listed) {
        (Some(before), Some(after)) => before != after,
        _ => false,
    };
    item_changed || listing_changed
}

/// Whether the `If-Match: *` PUT to a never-created id created it: it answered 201, the
/// listing shows the id, or reading the id back shows the body it sent.
fn created(outcome: &Outcome, canon: &Canon) -> bool {
    let response = &outcome.exchange.response;
    let read_holds = match (&outcome.after.item, &outcome.body) {
        (Some(item), Some(sent)) if item.exists() => item
            .body
            .json()
            .is_some_and(|kept| holds(&canon.body(kept), &canon.body(sent))),
        _ => false,
    };
    response.is_success() && (response.status == 201 || read_holds)
        || outcome.after.listed == Some(true)
}

/// Errors for failing preconditions that were applied, collapsed per ignored header.
fn ignored_findings(record: &Record, ignored: &[&Outcome], canon: &Canon) -> Vec<Violation> {
    let run = |header: Header| {
        record
            .outcomes
            .iter()
            .filter(|o| o.probe.must_fail() && o.probe.header() == header)
            .count()
    };
    let hit = |header: Header| {
        ignored
            .iter()
            .filter(|o| o.probe.header() == header)
            .count()
    };
    let all_ignored = |header: Header| run(header) > 0 && hit(header) == run(header);
    let (if_match, if_none_match) = (
        all_ignored(Header::IfMatch),
        all_ignored(Header::IfNoneMatch),
    );
    let mut found = Vec::new();
    let mut rest: Vec<&Outcome> = ignored.to_vec();
    if if_match && if_none_match {
        found.push(collapsed(
            "ignores-preconditions",
            "the server ignores conditional request headers: every write whose If-Match or If-None-Match fails was applied",
            ignored,
            canon,
        ));
        rest.retain(|o| o.probe.header() == Header::None);
    } else if if_match && run(Header::IfMatch) >= 2 {
        let hits: Vec<&Outcome> = rest
            .iter()
            .copied()
            .filter(|o| o.probe.header() == Header::IfMatch)
            .collect();
        found.push(collapsed(
            "ignores-if-match",
            "the server ignores If-Match: every write whose If-Match fails was applied",
            &hits,
            canon,
        ));
        rest.retain(|o| o.probe.header() != Header::IfMatch);
    }
    found.extend(rest.into_iter().map(|o| {
        let violation = Violation::error(o.probe.ignored_title())
            .rule(o.probe.ignored_slug())
            .expected(o.probe.rule())
            .observed(format!("{}, and the state changed", answered(&o.exchange)))
            .diff(state_diff(o, canon));
        match o.probe {
            // A stale or `*` If-Match applied: If-Match is not evaluated, as in lost-update's
            // race (a weak tag accepted is another cause: the weak comparison).
            Probe::StalePut | Probe::StaleDelete | Probe::MissingStar => {
                violation.cause(IF_MATCH_IGNORED)
            }
            _ => violation,
        }
    }));
    found
}

/// One error for many ignored preconditions, listing each.
fn collapsed(rule: &str, title: &str, outcomes: &[&Outcome], canon: &Canon) -> Violation {
    let lines: Vec<String> = outcomes
        .iter()
        .map(|o| {
            format!(
                "{}: {}, and the state changed",
                o.probe.describe(),
                answered(&o.exchange)
            )
        })
        .collect();
    Violation::error(title)
        .rule(rule)
        .expected(
            "412 Precondition Failed and nothing changed for each (RFC 9110 §13.1.1, §13.1.2)",
        )
        .observed(lines.join("; "))
        .diff(outcomes.first().and_then(|o| state_diff(o, canon)))
        .cause(IF_MATCH_IGNORED)
}

/// The diff of a probe's item, when both reads exist.
fn state_diff(outcome: &Outcome, canon: &Canon) -> Option<String> {
    let (Some(before), Some(after)) = (&outcome.before.item, &outcome.after.item) else {
        return None;
    };
    states_differ(
        ("before", &canon.item_state(&before.as_state())),
        ("after", &canon.item_state(&after.as_state())),
        || Violation::error(""),
    )
    .and_then(|v| v.diff)
}

/// Warnings for refused probes answered with another status than the rule's.
fn status_findings(record: &Record, ignored: &[&Outcome]) -> Vec<Violation> {
    let refused = record
        .outcomes
        .iter()
        .filter(|o| o.probe.must_fail() && !ignored.iter().any(|i| std::ptr::eq(*i, *o)));
    let (mut not_412, mut not_428) = (Vec::new(), Vec::new());
    for outcome in refused {
        let status = outcome.exchange.response.status;
        let fine = match outcome.probe {
            Probe::Unconditional => status == 428,
            Probe::MissingStar => (400..500).contains(&status),
            _ => status == 412,
        };
        if fine {
            continue;
        }
        let line = format!(
            "{}: {}",
            outcome.probe.describe(),
            answered(&outcome.exchange)
        );
        match outcome.probe {
            Probe::Unconditional => not_428.push(line),
            _ => not_412.push(line),
        }
    }
    let mut found = Vec::new();
    if !not_412.is_empty() {
        found.push(
            Violation::warning(
                "writes whose precondition fails were not answered 412 (nothing changed)",
            )
            .rule("not-412")
            .expected("412 Precondition Failed (RFC 9110 §13.1.1, §13.1.2)")
            .observed(not_412.join("; ")),
        );
    }
    if !not_428.is_empty() {
        found.push(
            Violation::warning("an unconditional PUT to a resource that requires preconditions was not answered 428 (nothing changed)")
                .rule("not-428")
                .expected("428 Precondition Required (RFC 6585 §3)")
                .observed(not_428.join("; ")),
        );
    }
    found
}

/// Errors when a write with the current entity tag did not succeed.
fn judge_success(outcome: &Outcome, canon: &Canon) -> Option<Violation> {
    let response = &outcome.exchange.response;
    match outcome.probe {
        Probe::CurrentPut if !response.is_success() => Some(
            Violation::error("a PUT with the current ETag in If-Match was refused")
                .rule("current-put-refused")
                .expected("2xx: the precondition holds (RFC 9110 §13.1.1)")
                .observed(answered(&outcome.exchange)),
        ),
        Probe::CurrentPut => {
            let item = outcome.after.item.as_ref()?;
            let kept = item.body.json().map(|b| canon.body(b));
            let sent = outcome.body.as_ref().map(|b| canon.body(b));
            let opaque = outcome.body.as_ref().and_then(|b| opaque_holds(item, b));
            let applied = match (opaque, kept, sent) {
                (Some(applied), _, _) => applied,
                (None, Some(kept), Some(sent)) => holds(&kept, &sent),
                _ => true,
            };
            (!applied).then(|| {
                Violation::error("a PUT with the current ETag in If-Match succeeded but did not apply its body")
                    .rule("current-put-not-applied")
                    .expected("the resource holds the PUT's body")
                    .observed(format!("{}, but GET shows other values", answered(&outcome.exchange)))
            })
        }
        Probe::CurrentDelete if !response.is_success() => Some(
            Violation::error("a DELETE with the current ETag in If-Match was refused")
                .rule("current-delete-refused")
                .expected("2xx: the precondition holds (RFC 9110 §13.1.1)")
                .observed(answered(&outcome.exchange)),
        ),
        Probe::CurrentDelete if response.status != 202 && outcome.after.listed == Some(true) => Some(
            Violation::error("a DELETE with the current ETag in If-Match succeeded but the resource is still listed")
                .rule("current-delete-still-listed")
                .expected("the resource gone from the collection (RFC 9110 §9.3.5)")
                .observed(answered(&outcome.exchange)),
        ),
        _ => None,
    }
}
