//! The run's account of what it may have created: the URLs that may exist (written, not proven
//! gone) and the POSTs whose answer did not let the run adopt what they created. Kept in memory
//! for the run's own cleanup and report, and mirrored line by line into the run's
//! [`Ledger`] file, when there is one, for `idemfuzz cleanup` after a crash.
//!
//! A line that announces a request ([`Journal::may_create`], [`Journal::post`]) is written and
//! flushed before the request is sent; when it cannot be written, the request is not sent. Lines
//! that record an outcome are best effort: a missing one only makes the ledger more cautious.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::session::ledger::{Entry, Ledger, LedgerError, Start};

/// The run's account, shared by all its cases.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    ledger: Option<Ledger>,
    state: Mutex<State>,
    /// The first failure to record an outcome (the ledger is then more cautious than needed).
    late_failure: OnceLock<String>,
}

#[derive(Debug, Default)]
struct State {
    /// URLs that may exist on the server.
    open: BTreeSet<String>,
    next_post: u64,
    /// POSTs whose answer was lost or adopted nothing, per collection URL.
    unresolved: BTreeMap<String, u32>,
}

/// A POST announced in the journal, to be settled with [`Journal::posted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PostTicket {
    number: u64,
    collection: String,
}

impl Journal {
    /// A journal without a ledger file (tests, `demo`).
    pub(crate) fn in_memory() -> Journal {
        Journal::default()
    }

    /// A journal mirrored into `ledger`.
    pub(crate) fn with_ledger(ledger: Ledger) -> Journal {
        Journal {
            ledger: Some(ledger),
            ..Journal::default()
        }
    }

    /// Writes the start line.
    pub(crate) fn start(&self, start: Start) -> Result<(), LedgerError> {
        self.write(&Entry::Start(start))
    }

    /// Announces a write to `url` that may create it; `Err` when it could not be recorded (the
    /// request must not be sent then). A URL already open is not written again.
    pub(crate) fn may_create(&self, url: &str, collection: &str) -> Result<(), LedgerError> {
        let mut state = self.lock();
        if state.open.contains(url) {
            return Ok(());
        }
        self.write(&Entry::MayCreate {
            url: url.to_string(),
            collection: collection.to_string(),
        })?;
        state.open.insert(url.to_string());
        Ok(())
    }

    /// Announces a POST to `collection`; `Err` when it could not be recorded. The POST counts as
    /// unresolved until [`Journal::posted`] settles it.
    pub(crate) fn post(&self, collection: &str) -> Result<PostTicket, LedgerError> {
        let mut state = self.lock();
        state.next_post += 1;
        let number = state.next_post;
        self.write(&Entry::Post {
            post: number,
            collection: collection.to_string(),
        })?;
        *state.unresolved.entry(collection.to_string()).or_insert(0) += 1;
        Ok(PostTicket {
            number,
            collection: collection.to_string(),
        })
    }

    /// Settles an answered POST: `adopted` is the URL the run adopted from its 201. A POST
    /// answered 4xx created nothing; any other answer that adopted nothing stays unresolved.
    pub(crate) fn posted(&self, ticket: &PostTicket, status: u16, adopted: Option<&str>) {
        let mut state = self.lock();
        if adopted.is_some() || (400..500).contains(&status) {
            if let Some(count) = state.unresolved.get_mut(&ticket.collection) {
                *count = count.saturating_sub(1);
            }
            state.unresolved.retain(|_, count| *count > 0);
        }
        if let Some(url) = adopted {
            state.open.insert(url.to_string());
        }
        self.write_late(&Entry::Posted {
            post: ticket.number,
            status,
            url: adopted.map(str::to_string),
        });
    }

    /// Records that `url` is proven gone.
    pub(crate) fn gone(&self, url: &str) {
        let mut state = self.lock();
        if state.open.remove(url) {
            self.write_late(&Entry::Gone {
                url: url.to_string(),
            });
        }
    }

    /// True when something may exist at `url` (it was written and is not proven gone).
    pub(crate) fn may_exist(&self, url: &str) -> bool {
        self.lock().open.contains(url)
    }

    /// The unresolved POSTs, per collection URL.
    pub(crate) fn unresolved_posts(&self) -> BTreeMap<String, u32> {
        self.lock().unresolved.clone()
    }

    /// Ends the run's account: writes the end line, and removes the ledger file when nothing
    /// is left behind. Returns the ledger's path when it is kept.
    pub(crate) fn end(&self, left_behind: usize) -> Option<&Path> {
        let ledger = self.ledger.as_ref()?;
        if left_behind == 0 && self.late_failure.get().is_none() && ledger.remove().is_ok() {
            return None;
        }
        self.write_late(&Entry::End { left_behind });
        Some(ledger.path())
    }

    fn write(&self, entry: &Entry) -> Result<(), LedgerError> {
        match &self.ledger {
            Some(ledger) => ledger.append(entry),
            None => Ok(()),
        }
    }

    fn write_late(&self, entry: &Entry) {
        if let Err(err) = self.write(entry) {
            let _ = self.late_failure.set(err.to_string());
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ledger::{self, FORMAT};

    const THINGS: &str = "http://h/things";

    fn start() -> Start {
        Start {
            format: FORMAT,
            run_id: "r".into(),
            pid: 1,
            started: 0,
            idemfuzz: "0".into(),
            resources: Vec::new(),
        }
    }

    #[test]
    fn the_ledger_mirrors_what_may_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = ledger::path_of(dir.path(), "r");
        let journal = Journal::with_ledger(Ledger::create(&path).expect("ledger"));
        journal.start(start()).expect("start");
        journal.may_create("http://h/things/a", THINGS).expect("a");
        journal
            .may_create("http://h/things/a", THINGS)
            .expect("again");
        let ticket = journal.post(THINGS).expect("post");
        journal.posted(&ticket, 201, Some("http://h/things/7"));
        let lost = journal.post(THINGS).expect("post");
        journal.gone("http://h/things/a");
        assert!(journal.may_exist("http://h/things/7"));
        assert!(!journal.may_exist("http://h/things/a"));
        assert_eq!(journal.unresolved_posts()[THINGS], 1);
        let replayed = ledger::read(&path).expect("replays");
        assert_eq!(
            replayed.open.keys().collect::<Vec<_>>(),
            ["http://h/things/7"]
        );
        assert_eq!(replayed.unresolved_posts[THINGS], 1);
        drop(lost);
        assert_eq!(journal.end(1), Some(path.as_path()), "kept: one is left");
        assert_eq!(ledger::read(&path).expect("replays").ended, Some(1));
    }

    #[test]
    fn a_run_that_left_nothing_removes_its_ledger() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = ledger::path_of(dir.path(), "r");
        let journal = Journal::with_ledger(Ledger::create(&path).expect("ledger"));
        journal.start(start()).expect("start");
        assert_eq!(journal.end(0), None);
        assert!(!path.exists());
    }
}
