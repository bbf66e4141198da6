//! What every case of a run shares: the transport, the target, the owned-resource registry,
//! counters, and the cancellation signal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::http::transport::Transport;
use crate::http::wire_url;
use crate::model::report::RunMoment;
use crate::scenario::Target;
use crate::session::auth::Credentials;
use crate::session::fence::Fences;
use crate::session::journal::Journal;
use crate::session::registry::Registry;

/// The target of one scenario file, with the base URL resolved.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedTarget {
    /// Base URL without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) target: Target,
    /// The credentials of `target.auth` for this run (shared by the targets of one command).
    pub(crate) auth: Option<Arc<Credentials>>,
    /// True when a proxy carries the requests to this target: requests released together and
    /// unread answers cannot be sent then (see [`crate::http::wire`]).
    pub(crate) proxied: bool,
}

impl ResolvedTarget {
    /// The absolute URL of a path relative to the base URL (an absolute http(s) URL stays as it
    /// is), built with the url crate as it goes on the wire. A path that cannot be joined (a
    /// base URL that is not one) is returned as it is, which the ownership guard refuses.
    pub(crate) fn url(&self, path: &str) -> String {
        wire_url::join(&self.base_url, path)
            .map_or_else(|_| path.to_owned(), |url| url.as_str().to_owned())
    }

    /// A target without `[target.auth]` credentials (or whose credentials are added later).
    pub(crate) fn new(base_url: String, target: Target) -> ResolvedTarget {
        ResolvedTarget {
            base_url,
            target,
            auth: None,
            proxied: false,
        }
    }

    /// The default headers with their real (secret) values, for the wire only, as requests
    /// without a body (the probe, cleanup) send them: without a `Content-Type`. The
    /// `Authorization` of `[target.auth]` is not among them: [`crate::session::auth::send`]
    /// adds it.
    pub(crate) fn wire_headers(&self) -> Vec<(String, String)> {
        self.target
            .headers
            .iter()
            .filter(|h| !h.name.eq_ignore_ascii_case("content-type"))
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect()
    }
}

/// Shared by all cases of a run.
pub(crate) struct RunContext {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) registry: Registry,
    /// What the run may have created, mirrored into its ledger file (see [`Journal`]).
    pub(crate) journal: Journal,
    /// One fence per collection: no case's POST is handed an id another case deleted and is
    /// about to touch again (see [`crate::session::fence`]).
    pub(crate) fences: Fences,
    /// When the run started: elapsed times in the report (time to the first failure, to a
    /// fuzz detection) count from here.
    pub(crate) started: Instant,
    /// Run-unique tag inside every id this run creates.
    pub(crate) run_id: String,
    pub(crate) requests: AtomicU64,
    pub(crate) transport_errors: AtomicU64,
    /// Transport errors in a row, across cases; reset by any answer.
    pub(crate) consecutive_transport_errors: AtomicU64,
    /// Cancelled on Ctrl-C or when the target stopped answering.
    pub(crate) cancel: CancellationToken,
    /// Set (once) when the target stopped answering; the run ends as "cannot test".
    target_down: OnceLock<String>,
    /// When the time budget (`--time-budget`) runs out, if there is one: no case starts after
    /// it, and the fuzzer stops shrinking.
    pub(crate) deadline: Option<Instant>,
    /// The time budget itself, for messages.
    time_budget: Option<Duration>,
    /// Set (once) when a limit stops the run early (`--max-failures`): no new case starts;
    /// cases in flight finish. The time budget needs no flag: it is [`RunContext::deadline`].
    stopping: OnceLock<String>,
    /// Cases that did not start because the run was stopping early.
    not_started: AtomicU64,
    /// Fuzz failures already reported (scenario, resource, relation, rule): a later case that
    /// breaks the same rule is not shrunk and reported again.
    fuzz_reported: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The collections (paths) whose POST answered 200 rather than 201: before each later POST
    /// there, a session lists the collection, so that a 200 naming a new id can be adopted.
    posts_answering_200: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Set (once) when the run cannot go on for another reason (e.g. credentials rejected
    /// mid-run); the run ends as "cannot test" with this reason as it is.
    cannot_test: OnceLock<String>,
}

impl RunContext {
    pub(crate) fn new(
        transport: Arc<dyn Transport>,
        run_id: String,
        cancel: CancellationToken,
    ) -> RunContext {
        RunContext {
            transport,
            registry: Registry::default(),
            journal: Journal::in_memory(),
            fences: Fences::default(),
            started: Instant::now(),
            run_id,
            requests: AtomicU64::new(0),
            transport_errors: AtomicU64::new(0),
            consecutive_transport_errors: AtomicU64::new(0),
            cancel,
            target_down: OnceLock::new(),
            cannot_test: OnceLock::new(),
            deadline: None,
            time_budget: None,
            stopping: OnceLock::new(),
            not_started: AtomicU64::new(0),
            fuzz_reported: Default::default(),
            posts_answering_200: Default::default(),
        }
    }

    /// The same context with its account mirrored into a ledger file.
    pub(crate) fn with_journal(mut self, journal: Journal) -> RunContext {
        self.journal = journal;
        self
    }

    /// The same context with a time budget (`--time-budget`), which starts now.
    pub(crate) fn with_time_budget(mut self, budget: Option<Duration>) -> RunContext {
        self.deadline = budget.map(|budget| Instant::now() + budget);
        self.time_budget = budget;
        self
    }

    /// Notes that a POST to `collection` answered 200 rather than 201.
    pub(crate) fn note_post_answering_200(&self, collection: &str) {
        match self.posts_answering_200.lock() {
            Ok(mut seen) => seen.insert(collection.to_string()),
            Err(poisoned) => poisoned.into_inner().insert(collection.to_string()),
        };
    }

    /// True when a POST to `collection` answered 200 earlier in the run.
    pub(crate) fn post_answers_200(&self, collection: &str) -> bool {
        match self.posts_answering_200.lock() {
            Ok(seen) => seen.contains(collection),
            Err(poisoned) => poisoned.into_inner().contains(collection),
        }
    }

    /// True the first time a fuzz failure `key` is claimed; false when it was already reported.
    pub(crate) fn claim_fuzz_failure(&self, key: String) -> bool {
        match self.fuzz_reported.lock() {
            Ok(mut reported) => reported.insert(key),
            Err(poisoned) => poisoned.into_inner().insert(key),
        }
    }

    /// True when a fuzz failure `key` was already claimed.
    pub(crate) fn fuzz_failure_claimed(&self, key: &str) -> bool {
        match self.fuzz_reported.lock() {
            Ok(reported) => reported.contains(key),
            Err(poisoned) => poisoned.into_inner().contains(key),
        }
    }

    /// Milliseconds since the run started.
    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Where the run is now: requests sent and time since it started.
    pub(crate) fn now(&self) -> RunMoment {
        RunMoment {
            requests: self.requests.load(std::sync::atomic::Ordering::Relaxed),
            elapsed_ms: self.elapsed_ms(),
        }
    }

    /// True once the time budget has run out.
    pub(crate) fn out_of_time(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Stops the run early for `reason` (one line): no new case starts, cases in flight finish,
    /// then cleanup and the report happen as usual. The first reason is kept.
    pub(crate) fn stop_early(&self, reason: String) {
        let _ = self.stopping.set(reason);
    }

    /// True when no new case may start: the time budget ran out or a limit stopped the run.
    pub(crate) fn starts_no_new_case(&self) -> bool {
        self.stopping.get().is_some() || self.out_of_time()
    }

    /// Counts a case that did not start because the run was stopping early.
    pub(crate) fn record_not_started(&self) {
        self.not_started.fetch_add(1, Ordering::Relaxed);
    }

    /// Why cases did not start: the limit that stopped the run, or the time budget.
    pub(crate) fn why_stopping(&self) -> String {
        match (self.stopping.get(), self.time_budget) {
            (Some(reason), _) => reason.clone(),
            (None, Some(budget)) => format!(
                "the time budget ({}) ran out",
                humantime::format_duration(budget)
            ),
            (None, None) => "the run stopped early".to_owned(),
        }
    }

    /// True when a limit other than the time budget stopped the run (`--max-failures`).
    pub(crate) fn stopped_by_limit(&self) -> bool {
        self.stopping.get().is_some()
    }

    /// How the run stopped early, when some case did not start because of it; `None` when
    /// every planned case started (a budget that ran out during the last shrink stops nothing).
    pub(crate) fn early_stop(&self) -> Option<String> {
        match self.not_started.load(Ordering::Relaxed) {
            0 => None,
            n => Some(format!(
                "{}; {n} case(s) did not start",
                self.why_stopping()
            )),
        }
    }

    /// Stops the run: it cannot go on, for `reason` (one line, shown as it is).
    pub(crate) fn stop_cannot_test(&self, reason: String) {
        let _ = self.cannot_test.set(reason);
        self.cancel.cancel();
    }

    /// Why the run was stopped with [`RunContext::stop_cannot_test`], if it was.
    pub(crate) fn cannot_test(&self) -> Option<&str> {
        self.cannot_test.get().map(String::as_str)
    }

    /// Records that the target stopped answering and stops the run.
    pub(crate) fn mark_target_down(&self, reason: String) {
        let _ = self.target_down.set(reason);
        self.cancel.cancel();
    }

    /// Why the target was declared down, if it was.
    pub(crate) fn target_down(&self) -> Option<&str> {
        self.target_down.get().map(String::as_str)
    }

    /// Counts one answered request.
    pub(crate) fn record_answer(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.consecutive_transport_errors
            .store(0, Ordering::Relaxed);
    }

    /// Counts a transport error or fault after which the request is sent again: not towards
    /// the errors in a row (the retry tells whether the target answers).
    pub(crate) fn record_retried_fault(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.transport_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one transport error; returns how many happened in a row.
    pub(crate) fn record_transport_error(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.transport_errors.fetch_add(1, Ordering::Relaxed);
        self.consecutive_transport_errors
            .fetch_add(1, Ordering::Relaxed)
            + 1
    }
}
