//! Transient faults: what a flaky network or an overloaded gateway does to a request, as opposed
//! to an answer a check may judge. A fault is never a finding: a request it cannot have changed
//! anything with is sent again ([`retry_request`]); otherwise the case it hit is re-run on fresh
//! ids (at most [`CASE_ATTEMPTS`] times in all); the reachability probe and the cleanup try
//! again too.
//!
//! Faults are transport errors (connection refused or reset, an answer cut short or never
//! sent, a timeout) and the statuses 502 Bad Gateway, 503 Service Unavailable and 504 Gateway
//! Timeout (RFC 9110 §15.6.3–15.6.5: a gateway or an overloaded server could not handle the
//! request *now*), with or without `Retry-After` (a 503 with a usable `Retry-After` is first
//! waited out by the transport, see [`crate::http::throttle`]). Every other status, 500
//! included, is an answer that the checks judge.

use std::time::Duration;

use crate::http::transport::{RawResponse, TransportError};
use crate::model::exchange::Method;
use crate::session::CaseError;
use crate::session::auth::SendError;

/// How many times a case runs at most: once, and again on fresh ids after a fault, nine times.
pub(crate) const CASE_ATTEMPTS: u32 = 10;

/// How many times a request that a fault cannot have changed anything with is sent at most
/// (see [`retry_request`]).
pub(crate) const REQUEST_ATTEMPTS: u32 = 3;

/// How many times the reachability probe (and the volatile-field probe) tries a target.
pub(crate) const PROBE_ATTEMPTS: u32 = 4;

/// Wait before the n-th retry (1-based) of a probe or a cleanup DELETE: 100 ms, 200 ms, 400 ms…
pub(crate) fn backoff(retry: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << retry.saturating_sub(1).min(6)))
}

/// Whether a status is a transient fault rather than an answer.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// Whether a transport error is worth trying again: everything but a request that cannot be
/// put on the wire at all, and an API that kept throttling after every allowed wait.
pub(crate) fn is_transient_transport(err: &TransportError) -> bool {
    !matches!(
        err,
        TransportError::InvalidRequest { .. } | TransportError::Throttled { .. }
    )
}

/// Whether an answer (or its absence) is a transient fault worth trying again.
pub(crate) fn is_transient_answer(answer: &Result<RawResponse, SendError>) -> bool {
    match answer {
        Ok(raw) => is_transient_status(raw.status),
        Err(SendError::Transport(err)) => is_transient_transport(err),
        Err(SendError::Auth(_)) => false,
    }
}

/// Whether a request's fault cannot have changed anything, so that it is simply sent again
/// after its `tries`-th try: a safe request after any transient fault, any request answered 503
/// (the server did not handle it) — up to [`REQUEST_ATTEMPTS`] tries, but a timeout only once
/// more (each try costs the whole timeout). A write that met any other fault may have been
/// applied: its case is re-run instead.
pub(crate) fn retry_request(
    method: Method,
    answer: &Result<RawResponse, SendError>,
    tries: u32,
) -> bool {
    let timed_out = matches!(
        answer,
        Err(SendError::Transport(TransportError::Timeout { .. }))
    );
    if tries >= REQUEST_ATTEMPTS || (timed_out && tries >= 2) {
        return false;
    }
    matches!(answer, Ok(raw) if raw.status == 503)
        || (method.is_safe() && is_transient_answer(answer))
}

/// Re-runs of one case (or probe) on fresh ids: at most [`CASE_ATTEMPTS`] runs in all, and none
/// after a run whose read timed out on the same request as the run before it — an endpoint that
/// never answers would cost every re-run its timeouts again. (A write that times out is not
/// retried where it happens, so its re-runs cost one timeout each.)
#[derive(Debug, Default)]
pub(crate) struct Reruns {
    /// Runs so far that ended in a fault and were run again.
    pub(crate) done: u32,
    timed_out_on: Option<String>,
}

impl Reruns {
    /// Whether the run that just ended with `error` (its ids starting with `case_tag`) is
    /// followed by another; counts it when it is.
    pub(crate) fn again(&mut self, error: &CaseError, case_tag: &str, cancelled: bool) -> bool {
        let signature = timeout_signature(error, case_tag);
        let same_timeout = signature.is_some() && signature == self.timed_out_on;
        self.timed_out_on = signature;
        let again = rerun(error) && !same_timeout && self.done + 1 < CASE_ATTEMPTS && !cancelled;
        self.done += u32::from(again);
        again
    }
}

/// The read a case timed out on — its method and URL, with the attempt's own case tag
/// (`PREFIX-RUNID-cNNNNrA`) taken out — so that two attempts on fresh ids compare.
fn timeout_signature(error: &CaseError, case_tag: &str) -> Option<String> {
    match error {
        CaseError::Transport(TransportError::Timeout { method, url, .. })
            if matches!(*method, "GET" | "HEAD" | "OPTIONS") =>
        {
            Some(format!("{method} {}", url.replace(case_tag, "{case}")))
        }
        _ => None,
    }
}

/// Whether a case stopped by `error` is re-run on fresh ids.
pub(crate) fn rerun(error: &CaseError) -> bool {
    match error {
        CaseError::Transport(err) => is_transient_transport(err),
        CaseError::Fault { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_statuses_are_faults_and_500_is_an_answer() {
        assert!(is_transient_status(502));
        assert!(is_transient_status(503));
        assert!(is_transient_status(504));
        assert!(!is_transient_status(500));
        assert!(!is_transient_status(501));
        assert!(!is_transient_status(429));
    }

    #[test]
    fn only_faults_rerun_a_case() {
        let reset = TransportError::Other {
            method: "GET",
            url: "http://h/x".into(),
            reason: "connection reset".into(),
        };
        assert!(rerun(&CaseError::Transport(reset)));
        assert!(rerun(&CaseError::Fault {
            method: "PUT",
            url: "http://h/x".into(),
            status: 503
        }));
        assert!(!rerun(&CaseError::Setup("no".into())));
        let timeout = |tag: &str| {
            CaseError::Transport(TransportError::Timeout {
                method: "GET",
                url: format!("http://h/things/{tag}-1"),
                after: Duration::from_secs(1),
            })
        };
        let mut reruns = Reruns::default();
        assert!(reruns.again(&timeout("idf-r-c0001"), "idf-r-c0001", false));
        assert!(
            !reruns.again(&timeout("idf-r-c0001r1"), "idf-r-c0001r1", false),
            "timed out on the same request twice: not again"
        );
        let reset = CaseError::Fault {
            method: "PUT",
            url: "http://h/x".into(),
            status: 502,
        };
        let mut reruns = Reruns::default();
        for _ in 1..CASE_ATTEMPTS {
            assert!(reruns.again(&reset, "t", false));
        }
        assert!(
            !reruns.again(&reset, "t", false),
            "at most CASE_ATTEMPTS runs"
        );
        assert_eq!(reruns.done, CASE_ATTEMPTS - 1);
        assert!(
            !Reruns::default().again(&reset, "t", true),
            "not after a signal"
        );
        assert!(!rerun(&CaseError::Inconclusive("no".into())));
        assert!(!rerun(&CaseError::Cancelled));
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(3), Duration::from_millis(400));
    }
}
