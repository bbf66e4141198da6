//! The lifetime of what a case owns, enforced around every request it sends:
//!
//! * a fresh (client-chosen) id is checked free with one GET before its first write: an API
//!   that answers 2xx for an id the run never created cannot be judged on creation, and that
//!   id is never written;
//! * a DELETE of a server-assigned id takes its collection's [fence](crate::session::fence)
//!   exclusively, kept until the case no longer touches that URL ([`Session::release_fence`],
//!   or the end of the case); when the fence is let go, the deleted ids stop being the run's;
//! * a POST to the collection holds the fence shared while in flight (unless this case holds
//!   it exclusively), so no other case's POST can be handed an id this case deleted;
//! * every request that may create something is first announced in the run's
//!   [journal](crate::session::journal) (and its ledger file), and its outcome recorded after.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{CaseError, Req, Session};
use crate::model::exchange::Method;
use crate::session::fence::{ExclusiveGuard, SharedGuard};
use crate::session::guard::Refusal;
use crate::session::journal::PostTicket;
use crate::session::registry::OwnedState;

/// The case's part of ownership lifetimes.
#[derive(Debug, Default)]
pub(super) struct Lifetime {
    /// Ids the server assigned to this case's POSTs.
    server_ids: BTreeSet<String>,
    /// Fresh ids not yet checked free (the check comes before their first write).
    unchecked: BTreeSet<String>,
    /// The fence of the case's collection, while held exclusively.
    exclusive: Option<ExclusiveGuard>,
    /// URLs of server-assigned ids deleted while the fence was held.
    tombstones: Vec<String>,
    /// URLs of server-assigned ids this case deleted and let go of: another case (or another
    /// client) may have been handed them since; this case never writes to them again.
    released: Vec<String>,
    /// How many shared guards this case holds (requests in flight, unread answers).
    shared_held: Arc<AtomicUsize>,
}

/// The purpose of the GET that checks a fresh id is free before its first write.
pub(crate) const FREE_CHECK_PURPOSE: &str =
    "check that the fresh id is free before its first write";
/// The purpose of the listing read when a fresh id answered 2xx before its first write.
pub(crate) const GET_CREATED_PURPOSE: &str = "the fresh id answered 2xx: did that GET create it?";
/// The purpose of the DELETE that undoes what a GET created at a fresh id.
pub(crate) const UNDO_GET_CREATION_PURPOSE: &str =
    "the GET created it: delete it, so that the fresh id is free again";

impl Lifetime {
    /// True for the URL of a server-assigned id this case deleted and let go of.
    pub(super) fn is_released(&self, url: &str) -> bool {
        self.released.iter().any(|released| released == url)
    }

    /// Takes back a released URL that this case's own POST was just handed again: whether it
    /// is the case's is then decided afresh, by reading it back.
    pub(super) fn forget_release(&mut self, url: &str) {
        self.released.retain(|released| released != url);
    }
}

/// What a request holds while it is in flight, settled by [`Session::after_answer`].
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    shared: Option<SharedGuard>,
    post: Option<PostTicket>,
    /// A write to an item URL where nothing of the run may exist yet: refused (4xx), it
    /// created nothing there, and nothing is ever deleted there.
    fresh_write: bool,
}

impl InFlight {
    /// Another request of its batch to the same URL was answered other than 4xx, or not at
    /// all: this one's refusal no longer shows the URL free (of K identical PUTs to a fresh
    /// id released together, only the first counts as a fresh write, and it may be the one
    /// refused with 409 while another created the resource).
    pub(super) fn not_alone(&mut self) {
        self.fresh_write = false;
    }
}

impl Session<'_> {
    /// Remembers a fresh id, to be checked free before its first write.
    pub(super) fn note_fresh(&mut self, id: &str) {
        self.lifetime.unchecked.insert(id.to_string());
    }

    /// Remembers an id the server assigned to this case's POST.
    pub(super) fn note_server_id(&mut self, id: &str) {
        self.lifetime.server_ids.insert(id.to_string());
    }

    /// Everything due before a request goes out (after the ownership guard passed it).
    pub(super) async fn before_send(
        &mut self,
        method: Method,
        url: &str,
    ) -> Result<InFlight, CaseError> {
        if method.is_safe() {
            return Ok(InFlight::default());
        }
        if self.lifetime.released.iter().any(|gone| below(url, gone)) {
            return Err(CaseError::Refused(Refusal::NotOwned {
                method: method.as_str(),
                url: url.to_string(),
            }));
        }
        let mut in_flight = InFlight::default();
        let item = self.owning_item(url);
        if let Some((id, item_url)) = &item {
            if self.lifetime.unchecked.remove(id) {
                self.check_free(id, item_url).await?;
            }
            if method == Method::Delete && self.lifetime.server_ids.contains(id) {
                self.take_fence().await?;
            }
            if matches!(method, Method::Put | Method::Patch) {
                in_flight.fresh_write = url == item_url && !self.ctx.journal.may_exist(item_url);
                self.announce_write(item_url)?;
            }
        }
        if method == Method::Post && self.is_collection_url(url) {
            in_flight.shared = self.shared_fence().await?;
            in_flight.post = Some(
                self.ctx
                    .journal
                    .post(url)
                    .map_err(|err| self.no_ledger(&err))?,
            );
        }
        Ok(in_flight)
    }

    /// Records what an answer (`None`: none came) says about what the request created or
    /// removed. `adopted` is the id a POST's 201 made the run's.
    pub(super) fn after_answer(
        &mut self,
        method: Method,
        url: &str,
        status: Option<u16>,
        in_flight: InFlight,
        adopted: Option<&str>,
    ) {
        if let (Some(ticket), Some(status)) = (&in_flight.post, status) {
            let adopted = adopted.map(|id| self.item_url(id));
            self.ctx.journal.posted(ticket, status, adopted.as_deref());
        }
        if in_flight.fresh_write && status.is_some_and(|s| (400..500).contains(&s)) {
            // A client error performed nothing: the URL is as free as before the write.
            self.ctx.journal.gone(url);
        }
        let deleted = method == Method::Delete && status.is_some_and(|s| (200..300).contains(&s));
        if deleted {
            self.ctx.journal.gone(url);
            let server = self
                .owning_item(url)
                .is_some_and(|(id, item)| item == url && self.lifetime.server_ids.contains(&id));
            if server {
                self.lifetime.tombstones.push(url.to_string());
            }
        }
    }

    /// Lets go of the collection's fence: the server-assigned ids this case deleted (and did
    /// not re-create) stop being the run's. Called when the case no longer touches them.
    pub(crate) fn release_fence(&mut self) {
        for url in std::mem::take(&mut self.lifetime.tombstones) {
            if self
                .ctx
                .registry
                .get(&url)
                .is_some_and(|owned| owned.state == OwnedState::Deleted)
            {
                self.ctx.registry.forget(&url, false);
                self.lifetime.released.push(url);
            }
        }
        self.lifetime.exclusive = None;
    }

    /// The GET before a fresh id's first write: the id must not answer 2xx before the run
    /// created it. When it does and the collection now lists it, the GET itself created it
    /// (an unsafe GET, which `get-safety` reports): that resource is the run's, created by its
    /// own request on its own id, so it is deleted and the case goes on with the id free again.
    /// Otherwise the API answers for ids it never created: the case is inconclusive and the id
    /// is never written.
    async fn check_free(&mut self, id: &str, item_url: &str) -> Result<(), CaseError> {
        let purpose = FREE_CHECK_PURPOSE;
        let index = Box::pin(self.send(purpose, Req::new(Method::Get, item_url))).await?;
        let status = self.exchange(index).response.status;
        if !(200..300).contains(&status) {
            return Ok(());
        }
        let purpose = GET_CREATED_PURPOSE;
        let listing = Box::pin(self.get_collection(purpose)).await?;
        let id_field = &self.resource.id_field;
        let created_by_get = listing.items.is_some_and(|items| {
            items
                .iter()
                .any(|item| id_field.read(item).as_deref() == Some(id))
        });
        if created_by_get {
            return self.undo_get_creation(item_url).await;
        }
        self.ctx.registry.forget(item_url, false);
        Err(CaseError::Inconclusive(format!(
            "GET {item_url} answered {status} before this run created anything there: the API answers for ids it never created, so the checks that depend on creating a resource cannot judge it (idemfuzz never writes to that id)"
        )))
    }

    /// Deletes the resource the free check's GET created, so that the fresh id is free again.
    async fn undo_get_creation(&mut self, item_url: &str) -> Result<(), CaseError> {
        let collection = self.collection_url();
        self.ctx
            .journal
            .may_create(item_url, &collection)
            .map_err(|err| self.no_ledger(&err))?;
        let gone = if self.resource.supports(Method::Delete) {
            let purpose = UNDO_GET_CREATION_PURPOSE;
            let index = Box::pin(self.send(purpose, Req::new(Method::Delete, item_url))).await?;
            let status = self.exchange(index).response.status;
            (200..300).contains(&status) || status == 404 || status == 410
        } else {
            false
        };
        if gone {
            self.ctx.journal.gone(item_url);
            return Ok(());
        }
        Err(CaseError::Inconclusive(format!(
            "a GET of the fresh id {item_url} created a resource there, and it could not be deleted again: the checks that depend on creating a resource cannot judge this API"
        )))
    }

    /// Takes the collection's fence exclusively, unless this case holds it already.
    async fn take_fence(&mut self) -> Result<(), CaseError> {
        if self.lifetime.exclusive.is_some() {
            return Ok(());
        }
        let fence = self.ctx.fences.of(&self.collection_url());
        let own = self.lifetime.shared_held.load(Ordering::SeqCst);
        let guard = tokio::select! {
            biased;
            _ = self.ctx.cancel.cancelled() => return Err(CaseError::Cancelled),
            guard = fence.exclusive(own) => guard,
        };
        self.lifetime.exclusive = Some(guard);
        Ok(())
    }

    /// Holds the collection's fence shared for a POST, unless this case holds it exclusively.
    async fn shared_fence(&mut self) -> Result<Option<SharedGuard>, CaseError> {
        if self.lifetime.exclusive.is_some() {
            return Ok(None);
        }
        let fence = self.ctx.fences.of(&self.collection_url());
        let held = self.lifetime.shared_held.clone();
        tokio::select! {
            biased;
            _ = self.ctx.cancel.cancelled() => Err(CaseError::Cancelled),
            guard = fence.shared(&held) => Ok(Some(guard)),
        }
    }

    /// Announces a PUT or PATCH of an owned item: it may (re-)create it.
    fn announce_write(&mut self, item_url: &str) -> Result<(), CaseError> {
        if self
            .ctx
            .registry
            .get(item_url)
            .is_some_and(|owned| owned.state == OwnedState::Deleted)
        {
            // Whatever the answer (or none), it may exist again.
            self.ctx.registry.mark(item_url, OwnedState::Allocated);
        }
        let collection = self.collection_url();
        self.ctx
            .journal
            .may_create(item_url, &collection)
            .map_err(|err| self.no_ledger(&err))
    }

    /// Stops the run: a request that may create something could not be announced.
    fn no_ledger(&self, err: &crate::session::ledger::LedgerError) -> CaseError {
        self.ctx
            .stop_cannot_test(format!("{err}; nothing more is sent"));
        CaseError::Cancelled
    }

    /// The owned id whose item URL is `url` or a prefix of it, with that item URL.
    fn owning_item(&self, url: &str) -> Option<(String, String)> {
        self.owned_ids().iter().find_map(|id| {
            let item = self.item_url(id);
            below(url, &item).then(|| (id.clone(), item))
        })
    }

    fn collection_url(&self) -> String {
        self.target.url(&self.resource.collection)
    }
}

/// True when `url` is `item` or a path below it, both without query or fragment (an item path
/// may carry a fixed query, `/things/{id}?format=json`).
fn below(url: &str, item: &str) -> bool {
    let path = |url: &'_ str| url.split(['?', '#']).next().unwrap_or(url).to_owned();
    path(url)
        .strip_prefix(&path(item))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use futures::future::BoxFuture;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::env::EnvSnapshot;
    use crate::http::transport::{OutgoingRequest, RawResponse, Transport, TransportError};
    use crate::http::wire_url::WireUrl;
    use crate::scenario::{self, Scenario};
    use crate::session::context::{ResolvedTarget, RunContext};

    /// A json-server-like API on `http://h/things`: POST gives `max + 1`; `answers_all` makes
    /// every item GET answer 200 (an API that answers for ids it never created).
    #[derive(Default)]
    struct Api {
        items: Mutex<BTreeMap<u64, serde_json::Value>>,
        sent: Mutex<Vec<String>>,
        answers_all: bool,
    }

    impl Api {
        fn answer(&self, request: &OutgoingRequest) -> (u16, Vec<(String, String)>, String) {
            let mut items = self.items.lock().expect("lock");
            let id = request
                .url
                .rsplit('/')
                .next()
                .and_then(|s| s.parse::<u64>().ok());
            match (request.method, id) {
                (Method::Post, _) => {
                    let id = items.keys().next_back().map_or(1, |max| max + 1);
                    items.insert(id, json!({ "id": id }));
                    let location = vec![("location".to_string(), format!("/things/{id}"))];
                    (201, location, String::new())
                }
                (Method::Get, _) if request.url.ends_with("/things") => {
                    let all: Vec<_> = items.values().cloned().collect();
                    (200, Vec::new(), json!({ "items": all }).to_string())
                }
                (Method::Get, _) if self.answers_all => (200, Vec::new(), "{}".into()),
                (Method::Get, Some(id)) if items.contains_key(&id) => {
                    (200, Vec::new(), items[&id].to_string())
                }
                (Method::Delete, Some(id)) if items.remove(&id).is_some() => {
                    (204, Vec::new(), String::new())
                }
                (Method::Put, Some(id)) if items.contains_key(&id) => {
                    (200, Vec::new(), String::new())
                }
                _ => (404, Vec::new(), String::new()),
            }
        }
    }

    impl Transport for Api {
        fn send(
            &self,
            request: OutgoingRequest,
        ) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
            self.sent
                .lock()
                .expect("lock")
                .push(format!("{} {}", request.method, request.url));
            let (status, headers, body) = self.answer(&request);
            Box::pin(async move {
                Ok(RawResponse {
                    status,
                    headers,
                    body_len: body.len(),
                    body: body.into_bytes(),
                    elapsed: Duration::ZERO,
                })
            })
        }
    }

    fn scenario() -> Scenario {
        let text = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nitems = \"/items\"\npost_id = \"location\"\nbody = { name = \"x\" }\n";
        scenario::load_str(
            Path::new("t.toml"),
            text,
            &EnvSnapshot::from_pairs::<&str, &str>([]),
        )
        .expect("valid scenario")
    }

    #[tokio::test]
    async fn a_deleted_server_id_is_fenced_then_stops_being_the_runs() {
        let api = Arc::new(Api::default());
        let ctx = RunContext::new(api.clone(), "r".into(), CancellationToken::new());
        let scenario = scenario();
        let target = ResolvedTarget::new("http://h".into(), scenario.target.clone());
        let resource = &scenario.resources[0];
        let mut a = Session::new(&ctx, &target, resource, 1);
        let mut b = Session::new(&ctx, &target, resource, 2);
        let (_, id) = a.post(&json!({}), &[], "create").await.expect("posted");
        let id = id.expect("adopted");
        let url = a.item_url(&id);
        a.delete(&id, "delete").await.expect("deleted");
        assert!(
            ctx.registry.owns(&WireUrl::parse(&url).expect("a URL")),
            "still the case's while it may touch it"
        );
        let blocked = tokio::time::timeout(
            Duration::from_millis(50),
            b.post(&json!({}), &[], "another case's create"),
        )
        .await;
        assert!(blocked.is_err(), "no other case may be handed the freed id");
        a.delete(&id, "delete again").await.expect("repeated");
        a.release_fence();
        assert!(
            !ctx.registry.owns(&WireUrl::parse(&url).expect("a URL")),
            "a deleted server id is no longer the run's"
        );
        let (_, reused) = b.post(&json!({}), &[], "create").await.expect("posted");
        assert_eq!(
            reused.as_deref(),
            Some(id.as_str()),
            "the API reused the id"
        );
        let refused = a.put(&id, &json!({}), "write the old id").await;
        assert!(
            matches!(refused, Err(CaseError::Refused(Refusal::NotOwned { .. }))),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn an_id_the_api_answers_for_before_it_was_created_is_never_written() {
        let api = Arc::new(Api {
            answers_all: true,
            ..Api::default()
        });
        let ctx = RunContext::new(api.clone(), "r".into(), CancellationToken::new());
        let scenario = scenario();
        let target = ResolvedTarget::new("http://h".into(), scenario.target.clone());
        let mut session = Session::new(&ctx, &target, &scenario.resources[0], 1);
        let id = session.fresh_id();
        let put = session.put(&id, &json!({}), "create").await;
        assert!(
            matches!(&put, Err(CaseError::Inconclusive(why)) if why.contains("never created")),
            "{put:?}"
        );
        let sent = api.sent.lock().expect("lock").clone();
        assert!(sent.iter().all(|line| line.starts_with("GET ")), "{sent:?}");
        assert!(
            !ctx.registry
                .owns(&WireUrl::parse(&session.item_url(&id)).expect("a URL"))
        );
        assert!(!ctx.journal.may_exist(&session.item_url(&id)));
    }

    #[tokio::test]
    async fn a_fresh_id_is_checked_once_before_its_first_write() {
        let api = Arc::new(Api::default());
        let ctx = RunContext::new(api.clone(), "r".into(), CancellationToken::new());
        let scenario = scenario();
        let target = ResolvedTarget::new("http://h".into(), scenario.target.clone());
        let mut session = Session::new(&ctx, &target, &scenario.resources[0], 1);
        let id = session.fresh_id();
        session
            .get_item(&id, "a read is no write")
            .await
            .expect("read");
        for _ in 0..2 {
            session.delete(&id, "a write").await.expect("sent");
        }
        let sent = api.sent.lock().expect("lock").clone();
        let url = session.item_url(&id);
        assert_eq!(
            sent,
            [
                format!("GET {url}"),
                format!("GET {url}"),
                format!("DELETE {url}"),
                format!("DELETE {url}"),
            ]
        );
    }
}
