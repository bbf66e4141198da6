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
//! A resource with a version token in its body (`[resources.NAME.version]`, CouchDB `_rev`)
//! and no ETags gets the token's probes instead: PUT with the current token (must succeed);
//! PUT with the now stale token; DELETE with the stale token; DELETE with the current token.
//! A stale token is a failed precondition: 409 or 412, and nothing changed. With ETags too,
//! every probe's body carries the token of the same read as its tag (the stale tag's stale
//! token; none with `If-None-Match: *`), so a request that would fail without its precondition
//! may be refused with another status than 412 (RFC 9110 §13.2.1); only its state is judged.
//!
//! The two `*` probes need no entity tag (RFC 9110 §13.1.1, §13.1.2), so they run on every
//! resource that supports PUT, also without `etags = true` or a version token (then they are
//! the whole case); with a version token alone they run between the token's PUTs and DELETEs,
//! the `If-None-Match: *` PUT without a token (CouchDB refuses an overwrite without `_rev` with
//! 409, which passes: the request would fail without its precondition too). The
//! `If-Match: *` PUT goes to a fresh run-owned id, registered before it is sent; when it is
//! answered 2xx the id is read back, and a 201, a listing that shows the id or a read that
//! holds the body means it created the resource (`if-match-star-created`).
//!
//! Every finding of an ignored `If-Match` carries the cause [`IF_MATCH_IGNORED`], which
//! `lost-update`'s "both writes succeeded" shares: the report shows them as one finding. A
//! stale version token applied carries [`VERSION_TOKEN_IGNORED`] likewise.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::etag::EntityTag;
use crate::checks::fit::Need;
use crate::checks::matching::{holds, opaque_holds};
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::steps::{self, IF_MATCH, IF_NONE_MATCH};
use crate::checks::verdict::{answered, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session, VersionUse};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;

/// The check.
pub(crate) struct ConditionalWrite;

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

    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected].into()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let observe = [
            send(Method::Get, To::Collection),
            send(Method::Get, To::Item),
        ];
        let probe = |method| [send(method, To::Item), observe[0], observe[1]];
        let (create, creates) = outline::create_conditionally(resource, "body A");
        let via = Via::of(resource);
        let tags = resource.conditional.etags;
        let read = match &via {
            Via::VersionToken { member } => format!("state and the token at `{member}`"),
            Via::EntityTag if tags => "state and ETag".to_string(),
            Via::EntityTag => "state".to_string(),
        };
        let mut steps = Outline::new().step(create, [creates]).step(
            format!("GET {collection}, GET {item} ({read}; again after each write below)"),
            observe,
        );
        let token = matches!(via, Via::VersionToken { .. });
        if token {
            steps = steps
                .step(
                    format!("PUT {item} with the current token"),
                    probe(Method::Put),
                )
                .step(
                    format!("PUT {item} with the now stale token"),
                    probe(Method::Put),
                );
        } else if tags {
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
        let without = if token { " (no token in the body)" } else { "" };
        steps = steps
            .step(
                format!("PUT {item} with If-None-Match: *{without}"),
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
        if token {
            return steps
                .step(
                    format!("DELETE {item} with If-Match: the stale token"),
                    probe(Method::Delete),
                )
                .step(
                    format!("DELETE {item} with If-Match: the current token"),
                    probe(Method::Delete),
                );
        }
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

    /// Where the fit probe showed that the write without its precondition would not succeed
    /// either (a version token is needed), a refusal other than 412 is not a violation (RFC 9110
    /// §13.2.1: the server may answer as it would without the precondition).
    fn judge(&self, record: &Record, _: &Resource, _: &(), canons: &Canons) -> Vec<Violation> {
        let mut found = judge(record, &canons.full);
        if canons.fit.needs_version_token() {
            found.retain(|v| v.rule != NOT_412);
        }
        found
    }

    /// A resource that vanished around a probe that cannot have removed it leaves the probes
    /// nothing to observe: the state they are judged on is another hand's doing.
    fn unobserved(&self, record: &Record, _: &Resource) -> Option<String> {
        vanished_during(record)
    }
}

/// Why the case observed nothing, when something other than its probes removed its resource.
pub(crate) fn vanished_during(record: &Record) -> Option<String> {
    let outcome = record
        .outcomes
        .iter()
        .find(|o| vanished_by_another_hand(o))?;
    Some(format!(
        "the resource was gone after {} ({}), which cannot have removed it: something else did, so the probes' effect could not be observed",
        outcome.probe.describe(),
        answered(&outcome.exchange)
    ))
}

/// The rule of refused probes answered with another status than 412.
const NOT_412: &str = "not-412";

/// Why the check cannot run on a resource, if it cannot. With neither `etags = true` nor a
/// version token it still sends the two `*` probes, which need neither.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Put)).then(|| "the resource declares no PUT".into())
}

/// The cause every finding of an ignored `If-Match` shares, across checks: the report groups
/// them into one finding (`lost-update` sets it too).
pub(crate) const IF_MATCH_IGNORED: &str = "if-match-ignored";

/// The cause every finding of a stale version token applied shares, across checks
/// (`lost-update`'s "both writes succeeded" with the token alone sets it too).
pub(crate) const VERSION_TOKEN_IGNORED: &str = "version-token-ignored";

/// The skip reason of a resource with neither ETags nor a version token, for the checks that
/// need one (`lost-update`; `conditional-write` still sends its `*` probes there).
pub(crate) const NO_PRECONDITION: &str = "the scenario declares neither ETag support (`etags = true`) nor a version token ([resources.NAME.version])";

/// How the probes name the version they were written against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Via {
    /// `If-Match` / `If-None-Match` with the ETag of a GET (`etags = true`); with neither
    /// ETags nor a version token only the `*` probes, which need no tag.
    EntityTag,
    /// The version token at `member` of the body (`[resources.NAME.version]`, no ETags).
    VersionToken { member: String },
}

impl Via {
    /// How a resource's probes name versions.
    pub(crate) fn of(resource: &Resource) -> Via {
        match &resource.version {
            Some(version) if !resource.conditional.etags => Via::VersionToken {
                member: version.member.to_string(),
            },
            _ => Via::EntityTag,
        }
    }
}

/// One conditional request the case sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
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
    /// PUT with the current version token in the body: must succeed.
    TokenCurrentPut,
    /// PUT with a version token that was current before the last change.
    TokenStalePut,
    /// DELETE with a stale version token.
    TokenStaleDelete,
    /// DELETE with the current version token: must succeed.
    TokenCurrentDelete,
}

/// Which precondition header a probe tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    IfMatch,
    IfNoneMatch,
    Token,
    None,
}

impl Probe {
    /// What was sent, for titles: "a PUT with a stale If-Match".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Probe::CurrentPut => "a PUT with the current ETag in If-Match",
            Probe::StalePut => "a PUT with a stale If-Match",
            Probe::WeakPut => "a PUT with a weak entity tag in If-Match",
            Probe::CreateOnlyPut => "a PUT with If-None-Match: * to an existing resource",
            Probe::MissingStar => "a PUT with If-Match: * to a missing resource",
            Probe::Unconditional => "an unconditional PUT",
            Probe::StaleDelete => "a DELETE with a stale If-Match",
            Probe::CurrentDelete => "a DELETE with the current ETag in If-Match",
            Probe::TokenCurrentPut => "a PUT with the current version token",
            Probe::TokenStalePut => "a PUT with a stale version token",
            Probe::TokenStaleDelete => "a DELETE with a stale version token",
            Probe::TokenCurrentDelete => "a DELETE with the current version token",
        }
    }

    /// True when the precondition must fail, so nothing may change.
    fn must_fail(self) -> bool {
        !self.is_current_put() && !self.is_current_delete()
    }

    fn is_current_put(self) -> bool {
        matches!(self, Probe::CurrentPut | Probe::TokenCurrentPut)
    }

    fn is_current_delete(self) -> bool {
        matches!(self, Probe::CurrentDelete | Probe::TokenCurrentDelete)
    }

    /// The rule slug of a probe with the current version that failed: `current-put-refused`.
    fn current_slug(self, what: &str) -> String {
        let token = matches!(self, Probe::TokenCurrentPut | Probe::TokenCurrentDelete);
        let method = if self.is_current_put() {
            "put"
        } else {
            "delete"
        };
        format!(
            "current-{}{method}-{what}",
            if token { "token-" } else { "" }
        )
    }

    fn header(self) -> Header {
        match self {
            Probe::CreateOnlyPut => Header::IfNoneMatch,
            Probe::Unconditional => Header::None,
            Probe::TokenCurrentPut
            | Probe::TokenStalePut
            | Probe::TokenStaleDelete
            | Probe::TokenCurrentDelete => Header::Token,
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
            Probe::TokenStalePut => {
                "a PUT with a stale version token changed the resource: an update was lost"
            }
            Probe::TokenStaleDelete => "a DELETE with a stale version token removed the resource",
            _ => "a conditional write misbehaved",
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
            Probe::TokenStalePut => "stale-token-put-applied",
            Probe::TokenStaleDelete => "stale-token-delete-applied",
            _ => "misbehaved",
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
            Probe::TokenStalePut | Probe::TokenStaleDelete => STALE_TOKEN_RULE,
            _ => "412 Precondition Failed and nothing changed (RFC 9110 §13.1.1)",
        }
    }
}

/// What a write with a stale version token must get.
const STALE_TOKEN_RULE: &str = "409 or 412 and nothing changed: a stale version token is a failed precondition, like a stale If-Match (RFC 9110 §13.1.1, §15.5.10)";

/// The state a probe is judged on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    /// The item's GET (`None` where reading the item could itself create it: a never-created
    /// id, which is judged by the collection only).
    pub(crate) item: Option<ItemSnapshot>,
    /// Whether the collection lists the id (`None`: no readable list).
    pub(crate) listed: Option<bool>,
}

/// One probe: its exchange, the body it sent, and the state before and after.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) probe: Probe,
    pub(crate) exchange: Exchange,
    pub(crate) body: Option<Value>,
    pub(crate) before: State,
    pub(crate) after: State,
    /// True when the request would not have succeeded without its precondition header either
    /// (its body carried a stale version token, or none to an existing resource): then any
    /// refusal is the precondition failure (RFC 9110 §13.2.1), not only 412.
    pub(crate) moot: bool,
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// How the probes named versions.
    pub(crate) via: Via,
    /// The `ETag` field of the first GET, as sent.
    pub(crate) initial_etag: Option<String>,
    /// Whether the scenario declares ETag support (`etags = true`): without it the probes that
    /// need a tag do not run, and a missing ETag is no finding.
    pub(crate) etags_declared: bool,
    /// The version token the first GET showed (resources with `version`).
    pub(crate) initial_token: Option<Value>,
    pub(crate) outcomes: Vec<Outcome>,
}

/// The probes of one case, in order (see the module documentation).
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let body = generator.generate(&session.resource.body);
    let id = steps::create(session, &body, "create with body A").await?;
    let via = Via::of(session.resource);
    let purpose = match via {
        Via::EntityTag => "read the resource and its ETag",
        Via::VersionToken { .. } => "read the resource and its version token",
    };
    let (state, initial_etag) = observe(session, &id, purpose).await?;
    let initial_token = session.version_token(&id);
    let etags_declared = session.resource.conditional.etags;
    let initial = match via {
        Via::EntityTag => initial_etag
            .as_deref()
            .and_then(EntityTag::parse)
            .filter(|_| etags_declared),
        Via::VersionToken { .. } => None,
    };
    let mut prober = Prober {
        id,
        generator,
        bodies: vec![body],
        current: initial.clone(),
        state,
        record: Record {
            via: via.clone(),
            initial_etag,
            etags_declared,
            initial_token: initial_token.clone(),
            outcomes: Vec::new(),
        },
    };
    let tokens = session.resource.version.is_some();
    let stale_tag = match &initial {
        Some(initial) => {
            prober
                .tagged_puts(session, initial, initial_token.clone())
                .await?
        }
        None => None,
    };
    let stale_token = match (&via, initial_token) {
        (Via::VersionToken { .. }, Some(token)) => prober.token_puts(session, token).await?,
        _ => None,
    };
    // Without its precondition the create-only PUT would fail too when it carries no token
    // to a resource that has one (RFC 9110 §13.2.1): then any refusal is fine.
    let create_only = Sent::new(Probe::CreateOnlyPut, Some((IF_NONE_MATCH, "*".into())))
        .version(VersionUse::Omit, tokens);
    prober.put(session, create_only).await?;
    prober.missing_star(session).await?;
    if let Via::VersionToken { .. } = via {
        if let Some(token) = stale_token {
            let sent =
                Sent::new(Probe::TokenStaleDelete, None).version(VersionUse::Given(token), false);
            prober.delete(session, sent).await?;
        }
        let tested = prober.record.initial_token.is_some();
        if tested && session.version_token(&prober.id).is_some() {
            prober
                .delete(session, Sent::new(Probe::TokenCurrentDelete, None))
                .await?;
        }
        return Ok(prober.record);
    }
    if session.resource.conditional.preconditions_required {
        prober
            .put(session, Sent::new(Probe::Unconditional, None))
            .await?;
    }
    if let Some(tag) = stale_tag {
        // With a version token, the DELETE names it only in If-Match: without the header it
        // would fail too.
        let sent = Sent::new(Probe::StaleDelete, Some((IF_MATCH, tag)))
            .version(VersionUse::Current, tokens);
        prober.delete(session, sent).await?;
    }
    let current = prober.current.clone().filter(|_| initial.is_some());
    if let Some(current) = current.filter(|tag| !tag.weak) {
        let sent = Sent::new(Probe::CurrentDelete, Some((IF_MATCH, current.field())));
        prober.delete(session, sent).await?;
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
    /// and the weak form; each body carries the version token of the same read as its tag, when
    /// the resource declares one (`initial_token`: the token of the first read). Returns the
    /// stale tag, when there is one.
    async fn tagged_puts(
        &mut self,
        session: &mut Session<'_>,
        initial: &EntityTag,
        initial_token: Option<Value>,
    ) -> Result<Option<String>, CaseError> {
        if !initial.weak {
            let sent = Sent::new(Probe::CurrentPut, Some((IF_MATCH, initial.field())));
            self.put(session, sent).await?;
        }
        let changed = self.current.as_ref() != Some(initial);
        let stale = (!initial.weak && changed).then(|| initial.field());
        if let Some(tag) = &stale {
            let mut sent = Sent::new(Probe::StalePut, Some((IF_MATCH, tag.clone())));
            if let Some(token) = &initial_token {
                sent = sent.version(VersionUse::Given(token.clone()), true);
            }
            self.put(session, sent).await?;
        }
        if let Some(weak) = self.current.as_ref().map(|tag| tag.weakened().field()) {
            let sent = Sent::new(Probe::WeakPut, Some((IF_MATCH, weak)));
            self.put(session, sent).await?;
        }
        Ok(stale)
    }

    /// The PUTs with version tokens in the body (no ETags): with the current token, then with
    /// `initial` (the token of the first read) once it is stale. Returns the stale token, when
    /// there is one.
    async fn token_puts(
        &mut self,
        session: &mut Session<'_>,
        initial: Value,
    ) -> Result<Option<Value>, CaseError> {
        self.put(session, Sent::new(Probe::TokenCurrentPut, None))
            .await?;
        let current = session.version_token(&self.id);
        let stale = (current.as_ref() != Some(&initial)).then_some(initial);
        if let Some(token) = &stale {
            let sent = Sent::new(Probe::TokenStalePut, None)
                .version(VersionUse::Given(token.clone()), false);
            self.put(session, sent).await?;
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

    async fn put(&mut self, session: &mut Session<'_>, sent: Sent) -> Result<(), CaseError> {
        let body = self.next_body(session.resource);
        let req = Req::new(Method::Put, session.resource.item_path(&self.id)).body(&body);
        self.send(session, sent, req, Some(body)).await
    }

    async fn delete(&mut self, session: &mut Session<'_>, sent: Sent) -> Result<(), CaseError> {
        let req = Req::new(Method::Delete, session.resource.item_path(&self.id));
        self.send(session, sent, req, None).await
    }

    /// Sends a probe to the resource, reads the state after it, and records the outcome.
    async fn send(
        &mut self,
        session: &mut Session<'_>,
        sent: Sent,
        mut req: Req,
        body: Option<Value>,
    ) -> Result<(), CaseError> {
        if let Some((name, value)) = &sent.header {
            req = req.header(name, value);
        }
        let probe = sent.probe;
        let index = session
            .send(probe.describe(), req.version(sent.version))
            .await?;
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
            moot: sent.moot,
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
            moot: false,
        });
        Ok(())
    }
}

/// One probe as it is sent: its precondition header and version token.
struct Sent {
    probe: Probe,
    header: Option<(&'static str, String)>,
    version: VersionUse,
    /// See [`Outcome::moot`].
    moot: bool,
}

impl Sent {
    /// A probe with `header`, and the latest version token.
    fn new(probe: Probe, header: Option<(&'static str, String)>) -> Sent {
        Sent {
            probe,
            header,
            version: VersionUse::Current,
            moot: false,
        }
    }

    fn version(mut self, version: VersionUse, moot: bool) -> Sent {
        self.version = version;
        self.moot = moot;
        self
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
pub(crate) fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let mut found: Vec<Violation> = match &record.via {
        Via::EntityTag if record.etags_declared => tag_findings(record.initial_etag.as_deref())
            .into_iter()
            .collect(),
        Via::EntityTag => Vec::new(),
        Via::VersionToken { member } => token_findings(record, member).into_iter().collect(),
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

/// A warning when the first read showed no version token: the token's probes did not run.
fn token_findings(record: &Record, member: &str) -> Option<Violation> {
    record.initial_token.is_none().then(|| {
        Violation::warning(format!(
            "GET of the resource showed no version token at `{member}` although the scenario declares it; conditional writes with a version token not tested"
        ))
        .rule("no-version-token")
        .expected(format!("a string or number at `{member}` of every 2xx GET of the resource ([resources.NAME.version])"))
        .observed("no token there")
    })
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
    if vanished_by_another_hand(outcome) {
        return false;
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

/// True when the resource was there before the probe and gone after it, and the probe cannot
/// have removed it: a PUT, or a DELETE answered 404 or 410 (it found nothing to delete). Then
/// something else removed it (a server whose DELETE of another resource removes this one too:
/// `repeat-delete` reports that), and the probe's precondition is not what changed the state.
fn vanished_by_another_hand(outcome: &Outcome) -> bool {
    let existed = |state: &State| state.item.as_ref().map(ItemSnapshot::exists);
    let vanished = existed(&outcome.before) == Some(true) && existed(&outcome.after) == Some(false);
    let could_remove = outcome.exchange.request.method == Method::Delete
        && !matches!(outcome.exchange.response.status, 404 | 410);
    vanished && !could_remove
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
        let hits: Vec<&Outcome> = ignored
            .iter()
            .copied()
            .filter(|o| o.probe.header() != Header::Token)
            .collect();
        found.push(collapsed(
            "ignores-preconditions",
            "the server ignores conditional request headers: every write whose If-Match or If-None-Match fails was applied",
            &hits,
            canon,
        ));
        rest.retain(|o| matches!(o.probe.header(), Header::None | Header::Token));
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
    if all_ignored(Header::Token) && run(Header::Token) >= 2 {
        let hits: Vec<&Outcome> = rest
            .iter()
            .copied()
            .filter(|o| o.probe.header() == Header::Token)
            .collect();
        found.push(
            collapsed(
                "ignores-version-token",
                "the server ignores version tokens: every write with a stale token was applied, so concurrent writers lose updates",
                &hits,
                canon,
            )
            .expected(STALE_TOKEN_RULE)
            .cause(VERSION_TOKEN_IGNORED),
        );
        rest.retain(|o| o.probe.header() != Header::Token);
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
            // A stale version token applied, as in lost-update's race with the token alone.
            Probe::TokenStalePut | Probe::TokenStaleDelete => {
                violation.cause(VERSION_TOKEN_IGNORED)
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
            Probe::TokenStalePut | Probe::TokenStaleDelete => matches!(status, 409 | 412),
            // RFC 9110 §13.2.1: the request would have failed without its precondition too.
            _ if outcome.moot => (400..500).contains(&status),
            // Gone before the request (another hand removed it): 404 or 410 without it too.
            _ if vanished_by_another_hand(outcome) => matches!(status, 404 | 410 | 412),
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
            .rule(NOT_412)
            .expected("412 Precondition Failed (RFC 9110 §13.1.1, §13.1.2); 409 Conflict too for a stale version token")
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

/// Errors when a write with the current entity tag or version token did not succeed.
fn judge_success(outcome: &Outcome, canon: &Canon) -> Option<Violation> {
    let (probe, response) = (outcome.probe, &outcome.exchange.response);
    if !probe.is_current_put() && !probe.is_current_delete() {
        return None;
    }
    if vanished_by_another_hand(outcome) {
        // Gone before it arrived: a refusal of the current version says nothing.
        return None;
    }
    if !response.is_success() {
        return Some(
            Violation::error(format!("{} was refused", probe.describe()))
                .rule(probe.current_slug("refused"))
                .expected("2xx: the precondition holds (RFC 9110 §13.1.1)")
                .observed(answered(&outcome.exchange)),
        );
    }
    if probe.is_current_delete() {
        return (response.status != 202 && outcome.after.listed == Some(true)).then(|| {
            Violation::error(format!(
                "{} succeeded but the resource is still listed",
                probe.describe()
            ))
            .rule(probe.current_slug("still-listed"))
            .expected("the resource gone from the collection (RFC 9110 §9.3.5)")
            .observed(answered(&outcome.exchange))
        });
    }
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
        Violation::error(format!(
            "{} succeeded but did not apply its body",
            probe.describe()
        ))
        .rule(probe.current_slug("not-applied"))
        .expected("the resource holds the PUT's body")
        .observed(format!(
            "{}, but GET shows other values",
            answered(&outcome.exchange)
        ))
    })
}
