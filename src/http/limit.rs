//! `--rate-limit`: one limiter shared by every request of a run (checks, snapshots, the probe,
//! retries and cleanup), so that idemfuzz never sends faster than the limit.
//!
//! Semantics: requests leave at least `1/N` of the period apart, with no burst: with `20/s`,
//! one request every 50 ms, so no window of one second ever holds more than 20 departures.
//! Requests released together (a batch of concurrent clients) are no exception: every
//! connection of the batch is opened first, then each request is written at its own turn, so
//! a batch of K spreads over K−1 intervals and a race window shorter than that may be missed.
//! Hand-written (a mutex-guarded "next departure" instant on tokio's clock) rather than a
//! crate such as `governor`: one global, burst-free limiter is a dozen lines, and being on
//! tokio's clock it is tested deterministically with a paused clock.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::http::transport::{
    OutgoingRequest, Pace, RawResponse, Transport, TransportError, Turns, UnreadAnswer,
};

/// At most `count` requests per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimit {
    pub(crate) count: u32,
    pub(crate) per: Duration,
}

impl RateLimit {
    /// The least time between two departures.
    pub(crate) fn interval(&self) -> Duration {
        self.per / self.count.max(1)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            60 => "m",
            3600 => "h",
            _ => "s",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// A `--rate-limit` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate limit `{0}`: write N/s, N/m or N/h with N a whole number from 1 (e.g. 10/s)")]
pub struct BadRateLimit(pub String);

impl FromStr for RateLimit {
    type Err = BadRateLimit;

    /// `N/s`, `N/m` or `N/h` (also `sec`, `min`, `hour`); a bare `N` means per second.
    fn from_str(text: &str) -> Result<RateLimit, BadRateLimit> {
        let bad = || BadRateLimit(text.to_owned());
        let (count, unit) = text.trim().split_once('/').unwrap_or((text.trim(), "s"));
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(bad());
        }
        Ok(RateLimit { count, per })
    }
}

/// A transport that makes every request wait for its turn under a [`RateLimit`].
pub(crate) struct RateLimited {
    inner: Arc<dyn Transport>,
    turns: Arc<Departures>,
}

/// The departure schedule shared by every request of a run.
struct Departures {
    interval: Duration,
    /// The earliest departure of the next request; `None` before the first one.
    next: Mutex<Option<Instant>>,
}

impl Turns for Departures {
    /// Waits until this request may leave. Waiters queue in order (tokio's mutex is fair);
    /// the next departure is counted from the moment this one really leaves, so a late
    /// wake-up never lets two requests out closer than the interval.
    fn wait_turn(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut next = self.next.lock().await;
            if let Some(at) = *next {
                tokio::time::sleep_until(at).await;
            }
            *next = Some(Instant::now() + self.interval);
        })
    }
}

impl RateLimited {
    pub(crate) fn new(inner: Arc<dyn Transport>, limit: RateLimit) -> RateLimited {
        RateLimited {
            inner,
            turns: Arc::new(Departures {
                interval: limit.interval(),
                next: Mutex::new(None),
            }),
        }
    }
}

impl Transport for RateLimited {
    fn send(&self, request: OutgoingRequest) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
        Box::pin(async move {
            self.turns.wait_turn().await;
            self.inner.send(request).await
        })
    }

    /// Each request of the batch takes its turn after the connections are open (the one
    /// limiter of the run: an outer pace is replaced, never added to).
    fn send_together(
        &self,
        requests: Vec<OutgoingRequest>,
        _pace: Pace,
    ) -> BoxFuture<'_, Vec<Result<RawResponse, TransportError>>> {
        let turns: Arc<dyn Turns> = self.turns.clone();
        self.inner.send_together(requests, Pace::by(turns))
    }

    fn send_unread(
        &self,
        request: OutgoingRequest,
    ) -> BoxFuture<'_, Result<Box<dyn UnreadAnswer>, TransportError>> {
        Box::pin(async move {
            self.turns.wait_turn().await;
            self.inner.send_unread(request).await
        })
    }

    fn throttled(&self) -> u64 {
        self.inner.throttled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Method;

    #[test]
    fn rates_parse_and_print() {
        let limit: RateLimit = "20/s".parse().expect("valid");
        assert_eq!(limit.interval(), Duration::from_millis(50));
        assert_eq!(limit.to_string(), "20/s");
        let per_minute: RateLimit = "120/min".parse().expect("valid");
        assert_eq!(per_minute.interval(), Duration::from_millis(500));
        assert_eq!(per_minute.to_string(), "120/m");
        assert_eq!("5".parse::<RateLimit>().expect("bare").to_string(), "5/s");
        for bad in ["0/s", "x/s", "10/d", "-1/s", "", "1.5/s"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    /// Answers 200 at once and notes when each request arrived (on tokio's clock).
    #[derive(Default)]
    struct Clocked(std::sync::Mutex<Vec<Instant>>);

    impl Transport for Clocked {
        fn send(&self, _: OutgoingRequest) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
            self.0.lock().expect("lock").push(Instant::now());
            Box::pin(async {
                Ok(RawResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: Vec::new(),
                    body_len: 0,
                    elapsed: Duration::ZERO,
                })
            })
        }
    }

    fn request() -> OutgoingRequest {
        OutgoingRequest {
            method: Method::Get,
            url: "http://127.0.0.1/".into(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(1),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_leave_one_interval_apart() {
        let clocked = Arc::new(Clocked::default());
        let limited = RateLimited::new(clocked.clone(), "20/s".parse().expect("valid"));
        let sends = (0..45).map(|_| limited.send(request()));
        for answer in futures::future::join_all(sends).await {
            assert!(answer.is_ok());
        }
        let times = clocked.0.lock().expect("lock").clone();
        assert_eq!(times.len(), 45);
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(50), "{pair:?}");
        }
        // No window of one second holds more than 20 departures.
        for (i, start) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|t| **t - *start < Duration::from_secs(1))
                .count();
            assert!(in_window <= 20, "{in_window} departures within 1 s");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_takes_one_turn_per_request_and_shares_the_schedule() {
        let clocked = Arc::new(Clocked::default());
        let limited = RateLimited::new(clocked.clone(), "20/s".parse().expect("valid"));
        assert!(limited.send(request()).await.is_ok());
        let answers = limited
            .send_together(vec![request(); 4], Pace::at_once())
            .await;
        assert_eq!(answers.len(), 4);
        assert!(limited.send(request()).await.is_ok());
        let times = clocked.0.lock().expect("lock").clone();
        assert_eq!(times.len(), 6, "one before, four in the batch, one after");
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(50), "{pair:?}");
        }
    }
}
