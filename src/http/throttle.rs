//! Honouring `Retry-After` (RFC 9110 §10.2.3): a 429 Too Many Requests, or a 503 Service
//! Unavailable that carries `Retry-After`, is waited out and the same request sent again, so no
//! check ever judges such an answer. The waits are capped and the retries bounded; when they run
//! out the request fails with [`TransportError::Throttled`] — a case error, never a finding.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use crate::http::transport::{
    OutgoingRequest, Pace, RawResponse, Transport, TransportError, UnreadAnswer,
};

/// How long and how often to wait for a throttling API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThrottlePolicy {
    /// Retries of one request at most.
    pub(crate) max_retries: u32,
    /// Longest single wait; an API that asks for more makes the request fail at once.
    pub(crate) max_wait: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> ThrottlePolicy {
        ThrottlePolicy {
            max_retries: 3,
            max_wait: Duration::from_secs(60),
        }
    }
}

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Hand it to the caller.
    Keep,
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
}

/// First wait for a 429 without a usable `Retry-After`; doubled on each retry.
const BACKOFF: Duration = Duration::from_secs(1);

/// Whether an answer is a throttle to wait out: a 429 (waiting what `Retry-After` says, or
/// 1 s, 2 s, 4 s… without it) or a 503 with a usable `Retry-After`. Everything else is kept.
pub(crate) fn verdict(raw: &RawResponse, retry: u32, now: SystemTime) -> Verdict {
    let asked = raw
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, value)| retry_after(value, now));
    match (raw.status, asked) {
        (429 | 503, Some(wait)) => Verdict::RetryAfter(wait),
        (429, None) => Verdict::RetryAfter(BACKOFF.saturating_mul(1 << retry.min(16))),
        _ => Verdict::Keep,
    }
}

/// A `Retry-After` value: delay-seconds or an HTTP-date (a past date means no wait).
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A transport that waits out throttling answers and retries, per a [`ThrottlePolicy`].
pub(crate) struct RetryAfter {
    inner: Arc<dyn Transport>,
    policy: ThrottlePolicy,
    retried: AtomicU64,
}

impl RetryAfter {
    pub(crate) fn new(inner: Arc<dyn Transport>, policy: ThrottlePolicy) -> RetryAfter {
        RetryAfter {
            inner,
            policy,
            retried: AtomicU64::new(0),
        }
    }

    async fn send_patiently(
        &self,
        request: OutgoingRequest,
    ) -> Result<RawResponse, TransportError> {
        let mut retry = 0;
        loop {
            let raw = self.inner.send(request.clone()).await?;
            let Verdict::RetryAfter(wait) = verdict(&raw, retry, SystemTime::now()) else {
                return Ok(raw);
            };
            if let Some(why) = self.give_up(wait, retry) {
                return Err(throttled(&request, raw.status, retry, why));
            }
            self.retried.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    /// A batch released together: throttled answers are waited out (the longest wait any of
    /// them asked for) and those requests alone are released together again. A request sent
    /// again is no longer concurrent with the others, so such a case can miss a race but never
    /// invent one; the answers it finally gets are the ones judged.
    async fn send_together_patiently(
        &self,
        requests: Vec<OutgoingRequest>,
        pace: Pace,
    ) -> Vec<Result<RawResponse, TransportError>> {
        let mut answers = self
            .inner
            .send_together(requests.clone(), pace.clone())
            .await;
        let mut retry = 0;
        loop {
            let now = SystemTime::now();
            let throttled_now: Vec<(usize, Duration)> = answers
                .iter()
                .enumerate()
                .filter_map(|(n, answer)| match answer {
                    Ok(raw) => match verdict(raw, retry, now) {
                        Verdict::RetryAfter(wait) => Some((n, wait)),
                        Verdict::Keep => None,
                    },
                    Err(_) => None,
                })
                .collect();
            let Some(wait) = throttled_now.iter().map(|(_, wait)| *wait).max() else {
                return answers;
            };
            if let Some(why) = self.give_up(wait, retry) {
                for (n, _) in throttled_now {
                    let status = answers[n].as_ref().map_or(429, |raw| raw.status);
                    answers[n] = Err(throttled(&requests[n], status, retry, why.clone()));
                }
                return answers;
            }
            self.retried
                .fetch_add(throttled_now.len() as u64, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
            retry += 1;
            let again = throttled_now
                .iter()
                .map(|(n, _)| requests[*n].clone())
                .collect();
            let fresh = self.inner.send_together(again, pace.clone()).await;
            for ((n, _), answer) in throttled_now.into_iter().zip(fresh) {
                answers[n] = answer;
            }
        }
    }

    /// Why to stop waiting before retry number `retry + 1`, asked to wait `wait`; `None` to
    /// wait and retry.
    fn give_up(&self, wait: Duration, retry: u32) -> Option<String> {
        if wait > self.policy.max_wait {
            Some(format!(
                " (it asked to wait {}, more than the {} allowed by --throttle-max-wait)",
                humantime::format_duration(wait),
                humantime::format_duration(self.policy.max_wait)
            ))
        } else if retry >= self.policy.max_retries {
            Some(String::new())
        } else {
            None
        }
    }
}

fn throttled(request: &OutgoingRequest, status: u16, retries: u32, why: String) -> TransportError {
    TransportError::Throttled {
        method: request.method.as_str(),
        url: request.url.clone(),
        status,
        retries,
        why,
    }
}

impl Transport for RetryAfter {
    fn send(&self, request: OutgoingRequest) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
        Box::pin(self.send_patiently(request))
    }

    fn send_together(
        &self,
        requests: Vec<OutgoingRequest>,
        pace: Pace,
    ) -> BoxFuture<'_, Vec<Result<RawResponse, TransportError>>> {
        Box::pin(self.send_together_patiently(requests, pace))
    }

    /// An unread answer cannot be seen, so a throttled one cannot be waited out: it is sent
    /// as it is.
    fn send_unread(
        &self,
        request: OutgoingRequest,
    ) -> BoxFuture<'_, Result<Box<dyn UnreadAnswer>, TransportError>> {
        self.inner.send_unread(request)
    }

    fn throttled(&self) -> u64 {
        self.retried.load(Ordering::Relaxed) + self.inner.throttled()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::model::exchange::Method;

    fn answer(status: u16, retry_after: Option<&str>) -> RawResponse {
        RawResponse {
            status,
            headers: retry_after
                .map(|v| vec![("Retry-After".to_string(), v.to_string())])
                .unwrap_or_default(),
            body: Vec::new(),
            body_len: 0,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn which_answers_are_waited_out() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let secs = Duration::from_secs;
        assert_eq!(
            verdict(&answer(429, Some("3")), 0, now),
            Verdict::RetryAfter(secs(3))
        );
        assert_eq!(
            verdict(&answer(503, Some("0")), 0, now),
            Verdict::RetryAfter(secs(0))
        );
        assert_eq!(
            verdict(&answer(429, None), 2, now),
            Verdict::RetryAfter(secs(4))
        );
        assert_eq!(verdict(&answer(503, None), 0, now), Verdict::Keep);
        assert_eq!(verdict(&answer(503, Some("soon")), 0, now), Verdict::Keep);
        assert_eq!(verdict(&answer(200, Some("5")), 0, now), Verdict::Keep);
        assert_eq!(verdict(&answer(500, Some("5")), 0, now), Verdict::Keep);
    }

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("-1", now), None);
        assert_eq!(retry_after("", now), None);
    }

    /// Answers from a script, in order; then 200.
    struct Scripted(Mutex<Vec<RawResponse>>);

    impl Transport for Scripted {
        fn send(&self, _: OutgoingRequest) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
            let mut script = self.0.lock().expect("lock");
            let next = if script.is_empty() {
                answer(200, None)
            } else {
                script.remove(0)
            };
            Box::pin(async move { Ok(next) })
        }
    }

    fn request() -> OutgoingRequest {
        OutgoingRequest {
            method: Method::Put,
            url: "http://127.0.0.1/things/1".into(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(1),
        }
    }

    fn retrying(script: Vec<RawResponse>) -> RetryAfter {
        RetryAfter::new(
            Arc::new(Scripted(Mutex::new(script))),
            ThrottlePolicy::default(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_are_waited_out_and_never_returned() {
        let transport = retrying(vec![answer(429, Some("2")), answer(503, Some("1"))]);
        let raw = transport.send(request()).await.expect("answered");
        assert_eq!(raw.status, 200);
        assert_eq!(transport.throttled(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_run_out_as_a_transport_error() {
        let transport = retrying(vec![answer(429, Some("1")); 4]);
        let err = transport.send(request()).await.expect_err("gave up");
        assert!(
            matches!(
                err,
                TransportError::Throttled {
                    status: 429,
                    retries: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.is_connect());
        let too_long = retrying(vec![answer(503, Some("3600"))]);
        let err = too_long.send(request()).await.expect_err("gave up");
        assert!(err.to_string().contains("more than the 1m"), "{err}");
        assert_eq!(too_long.throttled(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_answers_of_a_batch_are_waited_out_and_sent_again_together() {
        // Answers in send order: the batch of three gets 200, 429, 503; the retry of the two
        // throttled ones gets 201 and 200.
        let transport = retrying(vec![
            answer(200, None),
            answer(429, Some("1")),
            answer(503, Some("2")),
            answer(201, None),
        ]);
        let answers = transport
            .send_together(vec![request(); 3], Pace::at_once())
            .await;
        let statuses: Vec<u16> = answers
            .iter()
            .map(|a| a.as_ref().expect("answered").status)
            .collect();
        assert_eq!(statuses, [200, 201, 200]);
        assert_eq!(transport.throttled(), 2);
        let stubborn = retrying(vec![answer(429, Some("1")); 8]);
        let answers = stubborn
            .send_together(vec![request(); 2], Pace::at_once())
            .await;
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, Err(TransportError::Throttled { retries: 3, .. }))),
            "{answers:?}"
        );
    }
}
