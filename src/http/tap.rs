//! The wire tap: a record of every request the HTTP client sends (including retries, probes and
//! cleanup) and what came back, with secrets removed before the record leaves the transport.
//! Observers (e.g. the HAR reporter) receive these records; they never see a secret.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::http::sent::{self, Framing};
use crate::http::transport::{OutgoingRequest, RawResponse, TransportError};
use crate::model::exchange::{
    Body, Header, RequestRecord, ResponseRecord, WireAnswer, WireExchange,
};
use crate::model::redact::{self, REDACTED, Scrubber};

/// Receives every wire exchange. Must be cheap and must not block for long.
pub(crate) trait ExchangeObserver: Send + Sync {
    fn observe(&self, exchange: WireExchange);
}

/// Turns raw exchanges into redacted [`WireExchange`]s and hands them to an observer.
///
/// Redaction: credential headers (by name, see [`redact::is_credential_header`]) are shown as
/// `<redacted>`, and every known secret is replaced wherever it appears (URL, header values,
/// bodies). Known secrets are the ones given at construction (the scenarios' secret header and
/// auth values) plus every credential header value the client sends, learned as it goes (so a
/// token a command printed mid-run is removed from the answers too).
pub(crate) struct Recorder {
    observer: Arc<dyn ExchangeObserver>,
    secrets: Mutex<Scrubber>,
}

impl Recorder {
    pub(crate) fn new<S: AsRef<str>>(
        observer: Arc<dyn ExchangeObserver>,
        secrets: impl IntoIterator<Item = S>,
    ) -> Recorder {
        Recorder {
            observer,
            secrets: Mutex::new(Scrubber::for_secrets(secrets)),
        }
    }

    /// Records one exchange: `answer` is the raw answer and the HTTP version, or the error.
    /// The request's fields are recorded as the server received them ([`sent::wire_fields`]:
    /// with `Host` and the framing fields of `framing`).
    pub(crate) fn record(
        &self,
        request: &OutgoingRequest,
        framing: Framing,
        started: SystemTime,
        answer: Result<(&RawResponse, &str), &TransportError>,
    ) {
        let exchange = {
            let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
            for (name, value) in &request.headers {
                if redact::is_credential_header(name) {
                    secrets.add(value, REDACTED);
                }
            }
            let http_version = answer.as_ref().ok().map(|(_, v)| (*v).to_owned());
            let http2 = http_version
                .as_deref()
                .is_some_and(|v| v.starts_with("HTTP/2"));
            let fields = sent::wire_fields(request, framing, http2);
            WireExchange {
                started,
                http_version,
                request: request_record(request, &fields, &secrets),
                response: match answer {
                    Ok((raw, _)) => WireAnswer::Answered(response_record(raw, &secrets)),
                    Err(err) => WireAnswer::Failed(secrets.text(&err.to_string())),
                },
                time_ms: started
                    .elapsed()
                    .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            }
        };
        self.observer.observe(exchange);
    }
}

fn request_record(
    request: &OutgoingRequest,
    fields: &[(String, String)],
    secrets: &Scrubber,
) -> RequestRecord {
    RequestRecord {
        method: request.method,
        url: secrets.text(&request.url),
        headers: headers(fields, secrets),
        body: request
            .body
            .as_deref()
            .map_or(Body::Empty, |bytes| secrets.body(Body::from_bytes(bytes))),
    }
}

fn response_record(raw: &RawResponse, secrets: &Scrubber) -> ResponseRecord {
    ResponseRecord {
        status: raw.status,
        headers: headers(&raw.headers, secrets),
        body: secrets.body(Body::from_bytes(&raw.body)),
        body_len: raw.body_len,
        elapsed_ms: u64::try_from(raw.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

fn headers(pairs: &[(String, String)], secrets: &Scrubber) -> Vec<Header> {
    pairs
        .iter()
        .map(|(name, value)| Header {
            name: name.clone(),
            value: secrets.text(&redact::shown_value(name, value)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::exchange::Method;

    #[derive(Default)]
    struct Keep(Mutex<Vec<WireExchange>>);

    impl ExchangeObserver for Keep {
        fn observe(&self, exchange: WireExchange) {
            self.0.lock().expect("lock").push(exchange);
        }
    }

    #[test]
    fn secrets_never_leave_the_tap() {
        let keep = Arc::new(Keep::default());
        let recorder = Recorder::new(keep.clone(), ["tenant-s3cr3t"]);
        let request = OutgoingRequest {
            method: Method::Put,
            url: "http://h/things/1?tenant=tenant-s3cr3t".into(),
            headers: vec![
                ("Authorization".into(), "Bearer tok-from-command".into()),
                ("X-Tenant".into(), "tenant-s3cr3t".into()),
                ("Accept".into(), "application/json".into()),
            ],
            body: Some(br#"{"note":"tok-from-command"}"#.to_vec()),
            timeout: Duration::from_secs(1),
        };
        let raw = RawResponse {
            status: 200,
            headers: vec![("Set-Cookie".into(), "sid=abc".into())],
            body: br#"{"echo":"Bearer tok-from-command","t":"tenant-s3cr3t"}"#.to_vec(),
            body_len: 10,
            elapsed: Duration::from_millis(3),
        };
        recorder.record(
            &request,
            Framing::KeepAlive,
            SystemTime::now(),
            Ok((&raw, "HTTP/1.1")),
        );
        let err = TransportError::Other {
            method: "GET",
            url: "http://h/tenant-s3cr3t".into(),
            reason: "boom".into(),
        };
        recorder.record(&request, Framing::KeepAlive, SystemTime::now(), Err(&err));
        let seen = keep.0.lock().expect("lock");
        let text = format!("{seen:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("tok-from-command"), "{text}");
        assert!(!text.contains("sid=abc"), "{text}");
        assert_eq!(seen[0].http_version.as_deref(), Some("HTTP/1.1"));
        let fields = &seen[0].request.headers;
        let names: Vec<&str> = fields.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Host",
                "Authorization",
                "X-Tenant",
                "Accept",
                "Content-Length"
            ],
            "recorded as the server received them"
        );
        assert_eq!(fields[3].value, "application/json");
        assert!(matches!(seen[1].response, WireAnswer::Failed(_)));
    }
}
