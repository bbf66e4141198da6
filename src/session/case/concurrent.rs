//! Session steps beyond one request at a time: a batch of requests released together (as
//! concurrent clients send them), a request whose answer is never read (a lost response), and a
//! read-only listing of the whole collection (to count what such a request may have created).
//!
//! Every request still passes the ownership guard, and every exchange is recorded, redacted.

use std::collections::HashSet;
use std::time::Duration;

use super::{CaseError, Req, Session};
use crate::http::transport::UnreadAnswer;
use crate::model::exchange::{Body, Exchange, Method, NOT_READ, ResponseRecord};
use crate::session::auth::{self, SendError};
use crate::session::faults;
use crate::session::guard::Cleared;

/// A request whose answer is not read; its exchange is already recorded (status `not read`).
/// Hand it to [`Session::abandon`] to close its connection.
pub(crate) struct Unanswered {
    index: usize,
    answer: Box<dyn UnreadAnswer>,
    /// What the request holds until it is abandoned (a POST keeps the fence shared).
    in_flight: super::lifetime::InFlight,
}

/// One request of a batch released together, cleared and announced, not yet sent.
struct Member {
    purpose: String,
    req: Req,
    clearance: crate::session::guard::Clearance,
    url: String,
    in_flight: super::lifetime::InFlight,
    outgoing: Cleared,
    record: crate::model::exchange::RequestRecord,
}

impl Session<'_> {
    /// Sends the requests together — one connection each, all opened before any request is
    /// written (see [`crate::http::transport::Transport::send_together`]) — and records their
    /// exchanges in the order of `sends` (client 1 first), whatever order the answers came in.
    /// Every request passes the ownership guard before any is sent; a member answered 503 (not
    /// handled) is sent again alone; any other fault of any of them ends the case. A 201 to a
    /// POST to the collection is adopted as run-owned (also when another request of the batch
    /// failed). Returns the exchanges' indexes, in order.
    pub(crate) async fn send_together(
        &mut self,
        sends: Vec<(String, Req)>,
    ) -> Result<Vec<usize>, CaseError> {
        let mut cleared = Vec::with_capacity(sends.len());
        for (purpose, req) in sends {
            let clearance = self.clear(&req)?;
            cleared.push((purpose, req, clearance));
        }
        if self.ctx.cancel.is_cancelled() {
            return Err(CaseError::Cancelled);
        }
        let mut prepared = Vec::with_capacity(cleared.len());
        for (purpose, req, clearance) in cleared {
            let url = clearance.url().to_owned();
            let in_flight = self.before_send(req.method, &url).await?;
            let (outgoing, record) = self.prepare(&req, clearance.clone());
            prepared.push(Member {
                purpose,
                req,
                clearance,
                url,
                in_flight,
                outgoing,
                record,
            });
        }
        let outgoing: Vec<Cleared> = prepared.iter().map(|m| m.outgoing.clone()).collect();
        let credentials = self.target.auth.as_deref();
        // Writes are let finish when the run is interrupted (see `Session::send`).
        let answers = auth::send_together(self.ctx.transport.as_ref(), credentials, outgoing).await;
        // A URL some member may have written: a refusal of another member there proves nothing.
        let written: HashSet<String> = prepared
            .iter()
            .zip(&answers)
            .filter(|(_, answer)| !matches!(answer, Ok(raw) if (400..500).contains(&raw.status)))
            .map(|(member, _)| member.url.clone())
            .collect();
        for member in &mut prepared {
            if written.contains(&member.url) {
                member.in_flight.not_alone();
            }
        }
        let mut indexes = Vec::with_capacity(answers.len());
        let mut creations = Vec::new();
        let mut first_error = None;
        for (member, answer) in prepared.into_iter().zip(answers) {
            let Member {
                purpose,
                req,
                clearance,
                url,
                in_flight,
                record,
                ..
            } = member;
            // A member answered 503 was not handled: it alone is sent again, at once.
            let (record, answer) = if faults::retry_request(req.method, &answer, 1) {
                self.ctx.record_retried_fault();
                self.send_retrying(&req, &clearance).await?
            } else {
                (record, answer)
            };
            let creates = req.method == Method::Post && self.is_collection_url(&url);
            let status = answer.as_ref().ok().map(|raw| raw.status);
            match self.receive(&req, purpose, record, answer) {
                Ok(index) if creates => {
                    creations.push((index, url, status, in_flight));
                    indexes.push(index);
                }
                Ok(index) => {
                    self.after_answer(req.method, &url, status, in_flight, None);
                    indexes.push(index);
                }
                Err(err) => {
                    self.after_answer(req.method, &url, status, in_flight, None);
                    first_error.get_or_insert(err);
                }
            }
        }
        // Read back once every answer is in, so the reads never interleave with the batch.
        for (index, url, status, in_flight) in creations {
            match self.adopt_created(index).await {
                Ok(adopted) => {
                    self.after_answer(Method::Post, &url, status, in_flight, adopted.as_deref());
                }
                Err(err) => {
                    self.after_answer(Method::Post, &url, status, in_flight, None);
                    first_error.get_or_insert(err);
                }
            }
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(indexes),
        }
    }

    /// Writes a request on a connection of its own and returns at once, recording the exchange
    /// with the status `not read`. The answer is never read: [`Session::abandon`] closes the
    /// connection once the server has begun to answer.
    pub(crate) async fn send_unread(
        &mut self,
        purpose: impl Into<String>,
        req: Req,
    ) -> Result<Unanswered, CaseError> {
        let clearance = self.clear(&req)?;
        if self.ctx.cancel.is_cancelled() {
            return Err(CaseError::Cancelled);
        }
        let url = clearance.url().to_owned();
        let in_flight = self.before_send(req.method, &url).await?;
        let (outgoing, record) = self.prepare(&req, clearance);
        let credentials = self.target.auth.as_deref();
        let sent = tokio::select! {
            biased;
            _ = self.ctx.cancel.cancelled() => return Err(CaseError::Cancelled),
            sent = auth::send_unread(self.ctx.transport.as_ref(), credentials, outgoing) => sent,
        };
        // Counted as a request once its fate is known, in `abandon`.
        let answer = match sent {
            Ok(answer) => answer,
            Err(SendError::Transport(err)) => return Err(self.transport_error(err)),
            Err(SendError::Auth(err)) => return Err(self.auth_failed(&err)),
        };
        self.exchanges.push(Exchange {
            seq: self.exchanges.len() + 1,
            purpose: purpose.into(),
            request: record,
            response: not_read(Duration::ZERO),
        });
        Ok(Unanswered {
            index: self.exchanges.len() - 1,
            answer,
            in_flight,
        })
    }

    /// Waits until the server begins to answer an unread request, then closes its connection
    /// without reading the answer. Returns the index of its exchange.
    pub(crate) async fn abandon(&mut self, unanswered: Unanswered) -> Result<usize, CaseError> {
        let Unanswered {
            index,
            answer,
            in_flight,
        } = unanswered;
        let waited = tokio::select! {
            biased;
            _ = self.ctx.cancel.cancelled() => return Err(CaseError::Cancelled),
            waited = answer.abandon() => waited,
        };
        let elapsed = waited.map_err(|err| self.transport_error(err))?;
        self.ctx.record_answer();
        self.exchanges[index].response = not_read(elapsed);
        // No answer was read: a POST stays unresolved in the journal.
        let (method, url) = {
            let request = &self.exchanges[index].request;
            (request.method, request.url.clone())
        };
        self.after_answer(method, &url, None, in_flight, None);
        Ok(index)
    }

    /// A request whose response is lost: written, then its connection closed once the server
    /// begins to answer, without reading the answer. Returns the index of its exchange.
    pub(crate) async fn send_lost(
        &mut self,
        purpose: impl Into<String>,
        req: Req,
    ) -> Result<usize, CaseError> {
        let unanswered = self.send_unread(purpose, req).await?;
        self.abandon(unanswered).await
    }

    /// Records that an item (by id) was very probably created by this case but cannot be
    /// proven to be: it is never written to or deleted, and the report lists it as left behind.
    pub(crate) fn note_unproven(&self, id: &str) {
        self.ctx
            .registry
            .note_unproven(&self.resource.name, &self.item_url(id));
    }

    /// Counts a transport error (and declares the target down after too many in a row).
    fn transport_error(&self, err: crate::http::transport::TransportError) -> CaseError {
        self.count_fault(err.to_string());
        err.into()
    }
}

/// The record of an answer that was not read.
fn not_read(elapsed: Duration) -> ResponseRecord {
    ResponseRecord {
        status: NOT_READ,
        headers: Vec::new(),
        body: Body::Empty,
        body_len: 0,
        elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use futures::future::BoxFuture;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::env::EnvSnapshot;
    use crate::http::transport::{OutgoingRequest, RawResponse, Transport, TransportError};
    use crate::scenario::{self, Scenario};
    use crate::session::context::{ResolvedTarget, RunContext};

    /// Answers every request 201 with a Location and the body of the request whose index ends
    /// the URL (the body of `srv-N` is what the N-th request sent), and remembers what it was
    /// sent.
    #[derive(Default)]
    struct Recording {
        sent: Mutex<Vec<(Method, String, Vec<u8>)>>,
    }

    impl Transport for Recording {
        fn send(
            &self,
            request: OutgoingRequest,
        ) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
            let mut sent = self.sent.lock().expect("not poisoned");
            let id = sent.len();
            let named = request
                .url
                .rsplit_once("/srv-")
                .and_then(|(_, n)| n.parse::<usize>().ok());
            let body = named
                .and_then(|n| sent.get(n).map(|(_, _, body)| body.clone()))
                .unwrap_or_else(|| b"{}".to_vec());
            sent.push((
                request.method,
                request.url.clone(),
                request.body.unwrap_or_default(),
            ));
            Box::pin(async move {
                Ok(RawResponse {
                    status: 201,
                    headers: vec![("location".into(), format!("/things/srv-{id}"))],
                    body_len: body.len(),
                    body,
                    elapsed: Duration::ZERO,
                })
            })
        }
    }

    fn scenario() -> Scenario {
        let text = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\npost_id = \"location\"\nbody = { name = { gen = \"uuid\" } }\n";
        scenario::load_str(
            Path::new("t.toml"),
            text,
            &EnvSnapshot::from_pairs::<&str, &str>([]),
        )
        .expect("valid scenario")
    }

    fn target(scenario: &Scenario) -> ResolvedTarget {
        ResolvedTarget::new("http://h".into(), scenario.target.clone())
    }

    #[tokio::test]
    async fn a_batch_with_one_unowned_write_sends_nothing() {
        let transport = Arc::new(Recording::default());
        let ctx = RunContext::new(transport.clone(), "run".into(), CancellationToken::new());
        let scenario = scenario();
        let target = target(&scenario);
        let mut session = Session::new(&ctx, &target, &scenario.resources[0], 1);
        let owned = session.fresh_id();
        let sends = vec![
            (
                "mine".to_string(),
                Req::new(Method::Put, format!("/things/{owned}")),
            ),
            (
                "not mine".to_string(),
                Req::new(Method::Put, "/things/someone-elses"),
            ),
        ];
        let refused = session.send_together(sends).await;
        assert!(
            matches!(
                refused,
                Err(CaseError::Refused(
                    crate::session::guard::Refusal::NotOwned { .. }
                ))
            ),
            "{refused:?}"
        );
        assert!(transport.sent.lock().map(|s| s.is_empty()).unwrap_or(false));
        assert!(session.exchanges().is_empty());
    }

    #[tokio::test]
    async fn a_batch_is_recorded_in_request_order_and_created_ids_adopted() {
        let transport = Arc::new(Recording::default());
        let ctx = RunContext::new(transport.clone(), "run".into(), CancellationToken::new());
        let scenario = scenario();
        let target = target(&scenario);
        let mut session = Session::new(&ctx, &target, &scenario.resources[0], 1);
        let sends = (1..=3)
            .map(|n| {
                let body = serde_json::json!({ "name": format!("5f0c9b7e-1d2a-4c3b-9e8f-00000000000{n}") });
                (
                    format!("client {n}"),
                    Req::new(Method::Post, "/things").body(&body),
                )
            })
            .collect();
        session.send_together(sends).await.expect("sent");
        let purposes: Vec<&str> = session
            .exchanges()
            .iter()
            .map(|e| e.purpose.as_str())
            .collect();
        assert_eq!(purposes[..3], ["client 1", "client 2", "client 3"]);
        assert!(
            purposes[3..]
                .iter()
                .all(|p| p.starts_with("GET the created")),
            "each created resource is read back after the batch: {purposes:?}"
        );
        assert_eq!(session.owned_ids(), ["srv-0", "srv-1", "srv-2"]);
        let srv2 = crate::http::wire_url::WireUrl::parse("http://h/things/srv-2").expect("URL");
        assert!(ctx.registry.owns(&srv2));
    }

    #[tokio::test]
    async fn a_transport_that_cannot_leave_answers_unread_is_a_case_error() {
        let transport = Arc::new(Recording::default());
        let ctx = RunContext::new(transport, "run".into(), CancellationToken::new());
        let scenario = scenario();
        let target = target(&scenario);
        let mut session = Session::new(&ctx, &target, &scenario.resources[0], 1);
        let lost = session
            .send_lost("lost", Req::new(Method::Post, "/things"))
            .await;
        assert!(matches!(lost, Err(CaseError::Transport(_))), "{lost:?}");
        assert!(session.exchanges().is_empty());
    }
}
