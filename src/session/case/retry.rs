//! Transient faults that cannot have changed anything are retried where they happen, so that a
//! flaky network does not cost a whole case: a safe request (GET, HEAD, OPTIONS) after any fault,
//! and any request answered 503 Service Unavailable (the server did not handle it); see
//! [`faults::retry_request`]. Other faults of writes (a reset, a lost answer, a timeout, 502,
//! 504: the write may have been applied) end the case, which the runner re-runs on fresh ids.

use super::{CaseError, Req, Session, TARGET_DOWN_AFTER};
use crate::http::transport::RawResponse;
use crate::model::exchange::RequestRecord;
use crate::session::auth::{self, SendError};
use crate::session::faults;
use crate::session::guard::Clearance;

impl Session<'_> {
    /// Sends `req` to `url`, trying again after a fault that cannot have changed anything;
    /// returns the last try's record and answer.
    pub(super) async fn send_retrying(
        &mut self,
        req: &Req,
        clearance: &Clearance,
    ) -> Result<(RequestRecord, Result<RawResponse, SendError>), CaseError> {
        let mut attempt = 1;
        loop {
            let (record, raw) = self.send_once(req, clearance).await?;
            if !faults::retry_request(req.method, &raw, attempt) {
                return Ok((record, raw));
            }
            // Counted, but not towards "the target stopped answering": only the last try of
            // a request tells whether it was answered.
            self.ctx.record_retried_fault();
            tokio::select! {
                biased;
                _ = self.ctx.cancel.cancelled() => return Err(CaseError::Cancelled),
                () = tokio::time::sleep(faults::backoff(attempt)) => {}
            }
            attempt += 1;
        }
    }

    /// One try on the wire. A read is abandoned when the run is interrupted; a write is let
    /// finish.
    async fn send_once(
        &self,
        req: &Req,
        clearance: &Clearance,
    ) -> Result<(RequestRecord, Result<RawResponse, SendError>), CaseError> {
        let (outgoing, record) = self.prepare(req, clearance.clone());
        let credentials = self.target.auth.as_deref();
        let sending = auth::send(self.ctx.transport.as_ref(), credentials, outgoing);
        let raw = if req.method.is_safe() {
            tokio::select! {
                biased;
                _ = self.ctx.cancel.cancelled() => return Err(CaseError::Cancelled),
                answer = sending => answer,
            }
        } else {
            sending.await
        };
        Ok((record, raw))
    }

    /// Counts a fault like a transport error (the target is declared down after
    /// [`TARGET_DOWN_AFTER`] in a row).
    pub(super) fn count_fault(&self, what: String) {
        if self.ctx.record_transport_error() >= TARGET_DOWN_AFTER {
            self.ctx.mark_target_down(what);
        }
    }
}
