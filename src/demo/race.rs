//! Time in the demo's write paths: a simulated storage round trip, and work that completes
//! even when the client goes away.
//!
//! The planted races (`put-race`, `key-race`, `key-late-commit`) put [`ROUND_TRIP`] between a
//! check and the write that depends on it, as a real service does when the check is one query
//! and the write another. Requests that idemfuzz releases together reach the server within a
//! millisecond of each other, so all of them land inside that window: the race is realistic and
//! still caught on every run. Keyed POSTs take the round trip on the clean API too (their work
//! while the key is reserved), so a retry can really arrive while the first is in flight.

use std::future::Future;
use std::time::Duration;

use super::problem::Problem;

/// One simulated storage round trip.
pub(super) const ROUND_TRIP: Duration = Duration::from_millis(50);

/// Waits one storage round trip.
pub(super) async fn round_trip() {
    tokio::time::sleep(ROUND_TRIP).await;
}

/// Runs `work` to completion in its own task, so that a client closing its connection (which
/// drops the handler) does not cancel a write half-way: a server commits what it started.
pub(super) async fn committed<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, Problem> {
    tokio::spawn(work)
        .await
        .map_err(|err| Problem::internal(format!("the write did not complete: {err}")))
}
