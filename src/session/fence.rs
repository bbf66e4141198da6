//! The fence: one lock per collection that keeps the run's own POSTs from being handed an id
//! that a case deleted and is about to touch again. Servers may reuse a freed id (json-server
//! gives a new item `max + 1`, so deleting the newest frees its id); a case that DELETEs a
//! server-assigned id and then reads or writes that URL again (a repeated DELETE, a GET or HEAD
//! after DELETE, a fuzz sequence) must not meet another case's new resource there.
//!
//! A POST that may create takes its collection's fence *shared* for as long as its request is in
//! flight (a request whose answer is never read: until it is abandoned). A case takes the fence
//! *exclusively* before it DELETEs a server-assigned id and keeps it until it no longer touches
//! that URL (its end, or the end of a fuzz execution); meanwhile no other case can POST to the
//! collection. Its own POSTs pass.
//!
//! Deadlocks are ruled out as follows: a waiting exclusive taker blocks new shared takers, but
//! not a session that already holds a shared guard of the same fence (its nested POSTs would
//! otherwise wait for the writer that waits for them); and an exclusive taker that itself holds
//! shared guards waits only for the others' to end. Shared guards are held only while requests
//! are in flight, never while waiting for another guard of another session.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// The fences of a run, one per collection URL.
#[derive(Debug, Default)]
pub(crate) struct Fences {
    by_collection: Mutex<HashMap<String, Arc<Fence>>>,
}

impl Fences {
    /// The fence of a collection (created on first use).
    pub(crate) fn of(&self, collection: &str) -> Arc<Fence> {
        let mut fences = self
            .by_collection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        fences.entry(collection.to_string()).or_default().clone()
    }
}

/// One collection's fence.
#[derive(Debug, Default)]
pub(crate) struct Fence {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    shared: usize,
    exclusive: bool,
    /// Exclusive takers waiting: new (not nested) shared takers wait behind them.
    writers_waiting: usize,
}

/// Holds a fence shared; released when dropped.
#[derive(Debug)]
pub(crate) struct SharedGuard {
    fence: Arc<Fence>,
    /// The holding session's count of shared guards (see [`Fence::shared`]).
    held: Arc<AtomicUsize>,
}

/// Holds a fence exclusively; released when dropped.
#[derive(Debug)]
pub(crate) struct ExclusiveGuard {
    fence: Arc<Fence>,
}

impl Fence {
    /// Takes the fence shared. `held` counts the shared guards the calling session holds (of
    /// any fence): a session that holds one already passes waiting exclusive takers.
    pub(crate) async fn shared(self: &Arc<Self>, held: &Arc<AtomicUsize>) -> SharedGuard {
        let nested = held.load(Ordering::SeqCst) > 0;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if !state.exclusive && (nested || state.writers_waiting == 0) {
                    state.shared += 1;
                    held.fetch_add(1, Ordering::SeqCst);
                    return SharedGuard {
                        fence: self.clone(),
                        held: held.clone(),
                    };
                }
            }
            changed.await;
        }
    }

    /// Takes the fence exclusively, once no other session holds it. `own_shared` is how many
    /// shared guards of this fence the caller holds itself (they do not block it).
    pub(crate) async fn exclusive(self: &Arc<Self>, own_shared: usize) -> ExclusiveGuard {
        let waiting = Waiting::new(self);
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if !state.exclusive && state.shared <= own_shared {
                    state.exclusive = true;
                    drop(state);
                    drop(waiting);
                    return ExclusiveGuard {
                        fence: self.clone(),
                    };
                }
            }
            changed.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a holder panicked; the counters stay consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.changed.notify_waiters();
    }
}

/// Counts an exclusive taker as waiting until it gets the fence or gives up (is dropped).
struct Waiting<'a>(&'a Fence);

impl<'a> Waiting<'a> {
    fn new(fence: &'a Fence) -> Waiting<'a> {
        fence.update(|state| state.writers_waiting += 1);
        Waiting(fence)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0
            .update(|state| state.writers_waiting = state.writers_waiting.saturating_sub(1));
    }
}

impl Drop for SharedGuard {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::SeqCst);
        self.fence
            .update(|state| state.shared = state.shared.saturating_sub(1));
    }
}

impl Drop for ExclusiveGuard {
    fn drop(&mut self) {
        self.fence.update(|state| state.exclusive = false);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn held() -> Arc<AtomicUsize> {
        Arc::new(AtomicUsize::new(0))
    }

    async fn blocks<F: std::future::Future>(future: F) -> bool {
        tokio::time::timeout(Duration::from_millis(50), future)
            .await
            .is_err()
    }

    #[tokio::test]
    async fn an_exclusive_holder_keeps_posts_out_until_it_lets_go() {
        let fence = Fences::default().of("http://h/things");
        let exclusive = fence.exclusive(0).await;
        assert!(blocks(fence.shared(&held())).await, "a POST waits");
        drop(exclusive);
        let _post = fence.shared(&held()).await;
    }

    #[tokio::test]
    async fn an_exclusive_taker_waits_for_posts_in_flight() {
        let fence = Arc::new(Fence::default());
        let post = fence.shared(&held()).await;
        assert!(blocks(fence.exclusive(0)).await);
        drop(post);
        let _exclusive = fence.exclusive(0).await;
    }

    #[tokio::test]
    async fn a_waiting_writer_blocks_new_posts_but_not_nested_ones() {
        let fence = Arc::new(Fence::default());
        let session = held();
        let first = fence.shared(&session).await;
        let writer = {
            let fence = fence.clone();
            tokio::spawn(async move {
                let _guard = fence.exclusive(0).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            blocks(fence.shared(&held())).await,
            "a new POST waits behind the writer"
        );
        let nested = fence.shared(&session).await;
        drop((first, nested));
        writer.await.expect("the writer gets the fence");
    }

    #[tokio::test]
    async fn a_writer_holding_its_own_shared_guard_does_not_wait_for_itself() {
        let fence = Arc::new(Fence::default());
        let session = held();
        let _unread_post = fence.shared(&session).await;
        let _exclusive = fence.exclusive(session.load(Ordering::SeqCst)).await;
    }

    #[tokio::test]
    async fn a_writer_that_gives_up_no_longer_blocks_posts() {
        let fence = Arc::new(Fence::default());
        let post = fence.shared(&held()).await;
        assert!(blocks(fence.exclusive(0)).await, "gave up after 50 ms");
        let _another = fence.shared(&held()).await;
        drop(post);
    }
}
