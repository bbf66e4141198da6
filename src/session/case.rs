//! A case's session: allocates run-owned ids, sends requests through the transport, records
//! every exchange (redacted) in order, and refuses any write to a URL this run does not own.

use serde_json::Value;

use crate::http::transport::{RawResponse, TransportError};
use crate::http::wire_url::{UrlError, WireUrl};
use crate::model::exchange::{Body, Exchange, Header, Method, RequestRecord, ResponseRecord};
use crate::model::redact;
use crate::model::report::RunMoment;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, Resource};
use crate::session::auth::{self, SendError};
use crate::session::context::{ResolvedTarget, RunContext};
use crate::session::guard::{self, Clearance, Cleared, Refusal, Scope};
use crate::session::notice::Notice;
use crate::session::registry::OwnedState;
use crate::snapshot::ItemSnapshot;

mod adopt;

/// The purposes of the requests the session sends on its own (reading back what a POST
/// created, listing the collection around a POST that cannot prove it or that may answer 200,
/// checking a fresh id is free): a check's outline does not list them.
#[cfg(test)]
pub(crate) const SESSION_PURPOSES: [&str; 7] = [
    adopt::READ_BACK_PURPOSE,
    nest::PARENT_PURPOSE,
    adopt::LISTED_BEFORE_PURPOSE,
    adopt::LISTED_AFTER_PURPOSE,
    lifetime::FREE_CHECK_PURPOSE,
    lifetime::GET_CREATED_PURPOSE,
    lifetime::UNDO_GET_CREATION_PURPOSE,
];
mod concurrent;
mod encode;
mod lifetime;
mod listing;
mod nest;
mod read;
mod retry;
mod version;

pub(crate) use nest::ParentCase;

pub(crate) use version::{VersionUse, entity_tag};

/// Statuses with which an API refuses a write that lacks a version token (a `_rev` member, a
/// `?rev=` parameter, an `If-Match`): a conflict, a failed or a missing precondition.
pub(crate) const VERSION_TOKEN_STATUSES: [u16; 3] = [409, 412, 428];

/// Transport errors in a row after which the target is considered down.
pub(crate) const TARGET_DOWN_AFTER: u64 = 5;

/// Why a case stopped before it could be judged. None of these is a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CaseError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("interrupted")]
    Cancelled,
    /// The run's time budget ran out before the case started (fuzzing); not an error.
    #[error("the time budget ran out before the case started")]
    OutOfTime,
    /// The API did not let the case set up what it needs (e.g. creating a resource failed).
    #[error("{0}")]
    Setup(String),
    /// The case ran, but could not observe what its check judges (the item could not be read
    /// back, the API ignores the body, a write needs a version token the scenario does not
    /// send, the API answers 2xx for ids never created, ...): nothing judged, never a pass.
    #[error("{0}")]
    Inconclusive(String),
    /// The ownership guard refused a request (a write to a URL this run does not own, or any
    /// request to another origin); it was not sent.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A transient fault answer (502, 503, 504): never judged; the case is re-run.
    #[error("{method} {url} answered {status}, a transient fault (never judged)")]
    Fault {
        method: &'static str,
        url: String,
        status: u16,
    },
}

/// One request a check wants to send.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    /// Which version token a write carries (resources with `version` only).
    pub(crate) version: VersionUse,
}

impl Req {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Req {
        Req {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            version: VersionUse::Current,
        }
    }

    /// The version token the write carries (default: the latest the case saw).
    pub(crate) fn version(mut self, version: VersionUse) -> Req {
        self.version = version;
        self
    }

    pub(crate) fn body(mut self, body: &Value) -> Req {
        self.body = Some(body.clone());
        self
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A resource a case created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Created {
    pub(crate) id: String,
    /// Index of the creating exchange.
    pub(crate) exchange: usize,
}

/// The state of one case in progress.
pub(crate) struct Session<'a> {
    ctx: &'a RunContext,
    target: &'a ResolvedTarget,
    pub(crate) resource: &'a Resource,
    /// `{prefix}-{run}-{case}`: every client-chosen id of the case starts with it.
    case_tag: String,
    next_id: u32,
    /// Ids this case created or allocated (client-chosen and server-assigned).
    owned_ids: Vec<String>,
    exchanges: Vec<Exchange>,
    /// Removes secrets a server echoes back from recorded answers.
    scrubber: redact::Scrubber,
    /// What the case learned about its resource's listing.
    listing: listing::ListingState,
    /// What the case noticed about the target's answers, for the runner to report.
    notices: Vec<Notice>,
    /// The last POST whose 201 could not be adopted, and why.
    unadopted: Option<adopt::Unadopted>,
    /// The raw body of the last answer (opaque representations only).
    last_body: read::LastBody,
    /// The latest version token seen per item (resources with `version` only).
    versions: version::Versions,
    /// The URLs of the parent this case created for a nested resource (deleted after the
    /// case's own resources).
    parents: Vec<String>,
    /// The ids listed right before the next POST, when its body cannot prove what it created.
    listed: Option<adopt::Listed>,
    /// The POSTs whose 201 was already judged for adoption (exchange index → adopted id), so
    /// that judging one again sends nothing.
    adoptions: Vec<(usize, Option<String>)>,
    /// Fresh ids to check, server-assigned ids, the fence (see [`lifetime`]).
    lifetime: lifetime::Lifetime,
}

impl<'a> Session<'a> {
    /// `[target] max_body_bytes`: the largest body a request of this session may carry.
    pub(crate) fn max_body_bytes(&self) -> u64 {
        self.target.target.max_body_bytes
    }

    pub(crate) fn new(
        ctx: &'a RunContext,
        target: &'a ResolvedTarget,
        resource: &'a Resource,
        case_number: u64,
    ) -> Session<'a> {
        Session::attempt(ctx, target, resource, case_number, 0)
    }

    /// The session of a case's re-run after a fault (`attempt` 1, 2…): its ids are fresh, as
    /// `{prefix}-{run}-cNNNNrA-N`.
    pub(crate) fn attempt(
        ctx: &'a RunContext,
        target: &'a ResolvedTarget,
        resource: &'a Resource,
        case_number: u64,
        attempt: u32,
    ) -> Session<'a> {
        let rerun = match attempt {
            0 => String::new(),
            n => format!("r{n}"),
        };
        let case_tag = format!(
            "{}-{}-c{case_number:04}{rerun}",
            target.target.id_prefix, ctx.run_id
        );
        Session {
            ctx,
            target,
            resource,
            case_tag,
            next_id: 0,
            owned_ids: Vec::new(),
            exchanges: Vec::new(),
            scrubber: scrubber_for(target),
            listing: listing::ListingState::default(),
            last_body: read::LastBody::default(),
            versions: version::Versions::default(),
            notices: Vec::new(),
            unadopted: None,
            parents: Vec::new(),
            listed: None,
            adoptions: Vec::new(),
            lifetime: lifetime::Lifetime::default(),
        }
    }

    /// Takes what the case noticed about the target's answers (a 201 naming another resource,
    /// a Location or redirect to another origin), at most one per rule.
    pub(crate) fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Keeps a notice, unless one of its rule was already kept.
    fn notice(&mut self, notice: Notice) {
        if !self.notices.iter().any(|kept| kept.rule == notice.rule) {
            self.notices.push(notice);
        }
    }

    /// `{prefix}-{run}-cNNNN` (`…rA` for a re-run): the start of every id this case chooses.
    pub(crate) fn case_tag(&self) -> &str {
        &self.case_tag
    }

    /// True the first time this resource's fuzz failure `rule` is claimed in the run.
    pub(crate) fn claim_fuzz_failure(&self, rule: &str) -> bool {
        self.ctx.claim_fuzz_failure(self.fuzz_key(rule))
    }

    /// True when this resource's fuzz failure `rule` was already claimed in the run.
    pub(crate) fn fuzz_failure_claimed(&self, rule: &str) -> bool {
        self.ctx.fuzz_failure_claimed(&self.fuzz_key(rule))
    }

    /// The run-wide key of a fuzz failure of this resource.
    fn fuzz_key(&self, rule: &str) -> String {
        format!("{}\u{0}{}", self.resource.name, rule)
    }

    /// Where the whole run is now: requests sent so far (every case, answered or not) and
    /// time since it started.
    pub(crate) fn run_moment(&self) -> RunMoment {
        self.ctx.now()
    }

    /// True once the run was interrupted.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.ctx.cancel.is_cancelled()
    }

    /// Every exchange so far, in order.
    pub(crate) fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// The exchange at an index returned by [`Session::send`].
    pub(crate) fn exchange(&self, index: usize) -> &Exchange {
        &self.exchanges[index]
    }

    /// Ends the session, keeping its exchanges.
    pub(crate) fn into_exchanges(mut self) -> Vec<Exchange> {
        std::mem::take(&mut self.exchanges)
    }

    /// Drops every exchange recorded after the first `kept` (an earlier `exchanges().len()`),
    /// for callers that copied what they need (the fuzzer's shrink executions). Indices below
    /// `kept` stay valid; the next exchange gets index `kept`.
    pub(crate) fn drop_exchanges_after(&mut self, kept: usize) {
        self.exchanges.truncate(kept);
        // What was judged of a dropped POST must not answer for the next one at its index.
        self.adoptions.retain(|(post, _)| *post < kept);
        if self.unadopted.as_ref().is_some_and(|u| u.post >= kept) {
            self.unadopted = None;
        }
    }

    /// True when a proxy carries this target's requests, so requests released together and
    /// unread answers cannot be sent (checks skip those parts).
    pub(crate) fn proxied(&self) -> bool {
        self.target.proxied
    }

    /// Ids owned by this case, in the order they were allocated or learned.
    pub(crate) fn owned_ids(&self) -> &[String] {
        &self.owned_ids
    }

    /// The URLs of the ids this case owns (what its cleanup deletes), in the same order, then
    /// those of its parent (deleted after its children); not the server-assigned ids it
    /// deleted and let go of.
    pub(crate) fn owned_urls(&self) -> Vec<String> {
        let own = self.owned_ids.iter().map(|id| self.item_url(id));
        own.chain(self.parents.iter().cloned())
            .filter(|url| !self.lifetime.is_released(url))
            .collect()
    }

    /// The URL of the parent this case created, for a nested resource.
    pub(crate) fn parent_url(&self) -> Option<&str> {
        self.parents.first().map(String::as_str)
    }

    /// A new run-owned id (`{case_tag}-{n}`), registered before anything is sent to it.
    /// Ids of one case sort in allocation order.
    pub(crate) fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        let id = format!("{}-{}", self.case_tag, self.next_id);
        self.adopt(&id);
        self.note_fresh(&id);
        id
    }

    /// A new run-owned id that extends `base`, an id of this case (`{base}-{n}`): what a
    /// DELETE of `base` that matches by prefix would also remove.
    pub(crate) fn fresh_id_extending(&mut self, base: &str) -> String {
        self.next_id += 1;
        let id = format!("{base}-{}", self.next_id);
        self.adopt(&id);
        self.note_fresh(&id);
        id
    }

    /// `base`, an id of this case, with the case of each ASCII letter swapped, registered as
    /// run-owned: what a DELETE of `base` that ignores case would also remove. `None` when
    /// `base` has no letter. It is not checked free before its first write like a fresh id: an
    /// API whose ids ignore case answers it as `base`, so the caller reads it first and writes
    /// only when it is not there.
    pub(crate) fn id_in_other_case(&mut self, base: &str) -> Option<String> {
        let swapped: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        (swapped != base).then(|| {
            self.adopt(&swapped);
            swapped
        })
    }

    /// A run-unique Idempotency-Key value (`{case_tag}-k{n}`).
    pub(crate) fn fresh_key(&mut self) -> String {
        self.next_id += 1;
        format!("{}-k{}", self.case_tag, self.next_id)
    }

    /// Registers an id the server assigned to a resource this case created.
    fn adopt(&mut self, id: &str) {
        let url = self.item_url(id);
        let deletable = self.resource.supports(Method::Delete);
        self.ctx
            .registry
            .allocate(&self.resource.name, id, &url, deletable);
        if !self.owned_ids.iter().any(|known| known == id) {
            self.owned_ids.push(id.to_string());
        }
    }

    /// The absolute URL of an item.
    pub(crate) fn item_url(&self, id: &str) -> String {
        self.target.url(&self.resource.item_path(id))
    }

    /// Resolves a URL reference (e.g. a Location field) against the URL of the request of the
    /// exchange at `index` (RFC 9110 §10.2.2), as a client following it would.
    pub(crate) fn resolve(&self, index: usize, reference: &str) -> Result<WireUrl, UrlError> {
        let request = WireUrl::parse(&self.exchanges[index].request.url)?;
        WireUrl::resolve(&request, reference)
    }

    /// True when `url` is on the target's origin (where credentials may go).
    pub(crate) fn on_target_origin(&self, url: &WireUrl) -> bool {
        WireUrl::parse(&self.target.base_url).is_ok_and(|base| base.same_origin(url))
    }

    /// Sends a request and records the exchange; returns its index. A `path` that is already
    /// an absolute http(s) URL is sent as it is — if the guard clears it.
    /// A read in flight is abandoned when the run is interrupted; a write is let finish (within
    /// its timeout), so that what it created is known and cleaned up. A transient fault that
    /// cannot have changed anything is retried here (see `Session::send_retrying`). The 201 of
    /// a POST to the resource's collection is judged for adoption here
    /// ([`Session::adopt_created`]), whoever sent it.
    pub(crate) async fn send(
        &mut self,
        purpose: impl Into<String>,
        req: Req,
    ) -> Result<usize, CaseError> {
        let clearance = self.clear(&req)?;
        if self.ctx.cancel.is_cancelled() {
            return Err(CaseError::Cancelled);
        }
        let url = clearance.url().to_owned();
        let to_collection = req.method == Method::Post && self.is_collection_url(&url);
        let in_flight = self.before_send(req.method, &url).await?;
        let unproven = !req.body.as_ref().is_some_and(|b| self.proves_creation(b));
        if to_collection && (unproven || self.ctx.post_answers_200(&self.resource.collection)) {
            // Its body cannot prove what it created, or a POST there answered 200 (whose id
            // must be shown new): list the collection right before it, inside the fence the
            // POST holds (no other case deletes an id of it meanwhile).
            Box::pin(self.list_before_post()).await?;
        }
        let (record, raw) = self.send_retrying(&req, &clearance).await?;
        let status = raw.as_ref().ok().map(|raw| raw.status);
        let received = self.receive(&req, purpose.into(), record, raw);
        let adopted = match &received {
            Ok(index) if to_collection => match Box::pin(self.adopt_created(*index)).await {
                Ok(adopted) => adopted,
                Err(err) => {
                    self.after_answer(req.method, &url, status, in_flight, None);
                    return Err(err);
                }
            },
            _ => None,
        };
        self.after_answer(req.method, &url, status, in_flight, adopted.as_deref());
        received
    }

    /// Counts an answer (or transport error), tracks ownership and records the exchange.
    fn receive(
        &mut self,
        req: &Req,
        purpose: String,
        record: RequestRecord,
        raw: Result<RawResponse, SendError>,
    ) -> Result<usize, CaseError> {
        let raw = match raw {
            Ok(raw) if crate::session::faults::is_transient_status(raw.status) => {
                self.count_fault(format!(
                    "{} {} answered {}",
                    req.method, record.url, raw.status
                ));
                return Err(CaseError::Fault {
                    method: req.method.as_str(),
                    url: record.url,
                    status: raw.status,
                });
            }
            Ok(raw) => {
                self.ctx.record_answer();
                raw
            }
            Err(SendError::Transport(err)) => {
                self.count_fault(err.to_string());
                return Err(err.into());
            }
            Err(SendError::Auth(err)) => return Err(self.auth_failed(&err)),
        };
        let credentials = self.target.auth.as_deref();
        if auth::rejected(raw.status) {
            // Never judged: the API refused the credentials, so nothing it answers means anything.
            let method = req.method.as_str();
            let reason = auth::rejection(method, &record.url, raw.status, credentials);
            self.ctx.stop_cannot_test(reason);
            return Err(CaseError::Cancelled);
        }
        if let Some(credentials) = credentials {
            credentials.teach(&mut self.scrubber);
        }
        self.track_ownership(req, &record.url, raw.status);
        self.exchanges.push(Exchange {
            seq: self.exchanges.len() + 1,
            purpose,
            request: record,
            response: response_record(&raw, &self.scrubber),
        });
        self.keep_body(raw.body);
        let index = self.exchanges.len() - 1;
        self.learn_version(req, index);
        self.notice_foreign_redirect(index);
        Ok(index)
    }

    /// Reports a redirect (3xx) whose Location is on another origin; it is never followed.
    fn notice_foreign_redirect(&mut self, index: usize) {
        let exchange = &self.exchanges[index];
        if !(300..400).contains(&exchange.response.status) {
            return;
        }
        let Some(location) = exchange.response.header("location") else {
            return;
        };
        if self
            .resolve(index, location)
            .is_ok_and(|url| !self.on_target_origin(&url))
        {
            let observed = format!(
                "{} {} answered {}, Location: {}",
                exchange.request.method,
                crate::shorten::shorten(&exchange.request.url),
                exchange.response.status,
                crate::shorten::shorten(location)
            );
            self.notice(Notice::redirect_other_origin(observed));
        }
    }

    /// Stops the run: the credentials could not be obtained, so nothing can be tested.
    fn auth_failed(&self, err: &auth::AuthError) -> CaseError {
        self.ctx
            .stop_cannot_test(format!("cannot test {}: {err}", self.target.base_url));
        CaseError::Cancelled
    }

    /// The ownership guard's verdict on a request: writes go only to owned URLs (POST also to
    /// the resource's own collection), and nothing leaves the target's origin.
    fn clear(&self, req: &Req) -> Result<Clearance, CaseError> {
        let collection = self.target.url(&self.resource.collection);
        let scope = Scope {
            base: &self.target.base_url,
            registry: &self.ctx.registry,
            collection: Some(&collection),
        };
        Ok(guard::clear(
            scope,
            req.method,
            &self.target.url(&req.path),
        )?)
    }

    /// True when `url` is the resource's collection (canonically, whatever its query): where a
    /// POST creates.
    fn is_collection_url(&self, url: &str) -> bool {
        let collection = self.target.url(&self.resource.collection);
        match (WireUrl::parse(url), WireUrl::parse(&collection)) {
            (Ok(url), Ok(collection)) => url.key() == collection.key(),
            _ => false,
        }
    }

    /// The cleared wire request (real header values) and its record (shown values).
    fn prepare(&self, req: &Req, clearance: Clearance) -> (Cleared, RequestRecord) {
        let req = self.versioned(req);
        let encoded = self.encode(&req);
        let record = RequestRecord {
            method: req.method,
            url: clearance.url().to_owned(),
            headers: encoded.shown,
            body: encoded.recorded,
        };
        let outgoing = clearance.request(encoded.wire, encoded.body, self.target.target.timeout);
        (outgoing, record)
    }

    fn track_ownership(&self, req: &Req, url: &str, status: u16) {
        if !(200..300).contains(&status) {
            return;
        }
        match req.method {
            Method::Put | Method::Patch => self.ctx.registry.mark(url, OwnedState::Live),
            Method::Delete => self.ctx.registry.mark(url, OwnedState::Deleted),
            _ => {}
        }
    }

    // ---- Higher-level steps the checks share -------------------------------------------

    /// GET of an item.
    pub(crate) async fn get_item(
        &mut self,
        id: &str,
        purpose: &str,
    ) -> Result<ItemSnapshot, CaseError> {
        let index = self
            .send(purpose, Req::new(Method::Get, self.resource.item_path(id)))
            .await?;
        Ok(self.item_snapshot(index))
    }

    /// PUT of a body to an item.
    pub(crate) async fn put(
        &mut self,
        id: &str,
        body: &Value,
        purpose: &str,
    ) -> Result<usize, CaseError> {
        self.send(
            purpose,
            Req::new(Method::Put, self.resource.item_path(id)).body(body),
        )
        .await
    }

    /// DELETE of an item.
    pub(crate) async fn delete(&mut self, id: &str, purpose: &str) -> Result<usize, CaseError> {
        self.send(
            purpose,
            Req::new(Method::Delete, self.resource.item_path(id)),
        )
        .await
    }

    /// POST of a body to the collection. Only a 201 answer's id (per `post_id`), or a 200's
    /// that the collection provably did not list before, is adopted as run-owned: any other 2xx
    /// may name a resource that existed before (e.g. a server that de-duplicates by content),
    /// and idemfuzz never writes to or deletes what it cannot prove it created.
    pub(crate) async fn post(
        &mut self,
        body: &Value,
        headers: &[(String, String)],
        purpose: &str,
    ) -> Result<(usize, Option<String>), CaseError> {
        let mut req = Req::new(Method::Post, self.resource.collection.clone()).body(body);
        req.headers = headers.to_vec();
        let index = self.send(purpose, req).await?;
        Ok((index, self.adopt_created(index).await?))
    }

    /// Creates a fresh resource as the scenario says (PUT to a fresh id, or POST); anything
    /// but a 2xx is a setup failure.
    pub(crate) async fn create(
        &mut self,
        body: &Value,
        purpose: &str,
    ) -> Result<Created, CaseError> {
        match self.resource.create {
            CreateMode::Put => {
                let id = self.fresh_id();
                let exchange = self.put(&id, body, purpose).await?;
                self.require_success(exchange)?;
                Ok(Created { id, exchange })
            }
            CreateMode::Post => {
                let (exchange, id) = self.post(body, &[], purpose).await?;
                self.require_success(exchange)?;
                let id = id.ok_or_else(|| self.unowned_post(exchange))?;
                Ok(Created { id, exchange })
            }
        }
    }

    /// Why a successful POST gave the case no resource it may use.
    fn unowned_post(&self, exchange: usize) -> CaseError {
        let status = self.exchanges[exchange].response.status;
        if let Some(unadopted) = self
            .unadopted
            .as_ref()
            .filter(|u| u.post == exchange && u.body_ignored)
        {
            return CaseError::Inconclusive(unadopted.reason.clone());
        }
        CaseError::Setup(if matches!(status, 200 | 201) {
            match &self.unadopted {
                Some(unadopted) if unadopted.post == exchange => unadopted.reason.clone(),
                _ => format!(
                    "POST {} answered {status} but no id could be adopted from it",
                    self.resource.collection
                ),
            }
        } else {
            format!(
                "POST {} answered {status}, not 201 Created: idemfuzz only uses resources it can prove it created",
                self.resource.collection,
            )
        })
    }

    /// Creates a fresh resource with a body generated from the resource's template; returns
    /// its id.
    pub(crate) async fn create_generated(
        &mut self,
        generator: &mut BodyGenerator,
        purpose: &str,
    ) -> Result<String, CaseError> {
        let body = generator.generate(&self.resource.body);
        Ok(self.create(&body, purpose).await?.id)
    }

    /// A setup error unless the exchange answered 2xx. A write to a resource the run created
    /// that is refused as lacking a version token ([`VERSION_TOKEN_STATUSES`]) makes the case
    /// inconclusive instead: the request without its precondition would not succeed, so what
    /// the check judges cannot be observed (RFC 9110 §13.2.1).
    pub(crate) fn require_success(&self, index: usize) -> Result<(), CaseError> {
        let exchange = &self.exchanges[index];
        if exchange.response.is_success() {
            return Ok(());
        }
        let status = exchange.response.status;
        let request = &exchange.request;
        let what = format!(
            "{} {} answered {status} while setting up the case ({})",
            request.method,
            crate::shorten::shorten(&request.url),
            exchange.purpose,
        );
        let updates = matches!(request.method, Method::Put | Method::Patch | Method::Delete)
            && self
                .ctx
                .registry
                .get(&request.url)
                .is_some_and(|owned| owned.state == OwnedState::Live);
        if updates && VERSION_TOKEN_STATUSES.contains(&status) {
            // One rule with the judged writes' `stale-version-token`
            // (`crate::checks::verdict::token_refused`): a failed precondition observed nothing.
            let why = if self.resource.version.is_some() {
                "the write was refused as a failed precondition (a stale or missing version token)"
            } else {
                "the API refuses a write to an existing resource that carries no version token (a member such as `_rev`, a `?rev=` parameter, If-Match), and the scenario sends none"
            };
            return Err(CaseError::Inconclusive(format!(
                "{what}: {why} (RFC 9110 §13.2.1)"
            )));
        }
        Err(CaseError::Setup(what))
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.release_fence();
    }
}

/// The scrubber of a target's secrets: its secret headers and its credentials so far.
fn scrubber_for(target: &ResolvedTarget) -> redact::Scrubber {
    let mut scrubber = redact::Scrubber::for_headers(&target.target.headers);
    if let Some(credentials) = &target.auth {
        credentials.teach(&mut scrubber);
    }
    scrubber
}

/// The record of a raw answer, with credential headers redacted and echoed secrets scrubbed.
pub(crate) fn response_record(raw: &RawResponse, scrubber: &redact::Scrubber) -> ResponseRecord {
    ResponseRecord {
        status: raw.status,
        headers: raw
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: scrubber.text(&redact::shown_value(name, value)),
            })
            .collect(),
        body: scrubber.body(Body::from_bytes(&raw.body)),
        body_len: raw.body_len,
        elapsed_ms: u64::try_from(raw.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

/// An id as text: strings as they are, numbers printed.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
