//! `--har FILE`: every exchange of the run in HAR 1.2 (the HTTP Archive format browsers'
//! developer tools import), written when the run finishes — also when it was interrupted or
//! could not test.
//!
//! The reporter collects [`Event::Exchange`]s, whose secrets the transport already removed:
//! credential headers read `<redacted>` and known secrets are replaced wherever they appear.
//! Requests that got no answer have status 0 and the error in `_error`, as browsers record
//! failed requests. Rendering is pure: [`render_har`].

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::http::model::{Body, Header, RequestRecord, ResponseRecord, header_value};
use crate::http::tap::WireExchange;
use crate::report::Reporter;
use crate::runner::events::Event;

/// What the log says about the run, besides its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarRun {
    /// `idemfuzz run RUNID, seed SEED`, once the run started.
    pub comment: Option<String>,
}

/// The HAR 1.2 document of a run's exchanges, sorted by start time.
pub fn render_har(run: &HarRun, exchanges: &[WireExchange]) -> Value {
    let mut sorted: Vec<&WireExchange> = exchanges.iter().collect();
    sorted.sort_by_key(|e| e.started);
    let mut log = json!({
        "version": "1.2",
        "creator": { "name": "idemfuzz", "version": env!("CARGO_PKG_VERSION") },
        "pages": [],
        "entries": sorted.into_iter().map(entry).collect::<Vec<_>>(),
    });
    if let Some(comment) = &run.comment {
        log["comment"] = json!(comment);
    }
    json!({ "log": log })
}

fn entry(exchange: &WireExchange) -> Value {
    let version = exchange
        .http_version
        .clone()
        .unwrap_or_else(|| "HTTP/1.1".to_owned());
    let time = exchange.time_ms as f64;
    let mut entry = json!({
        "startedDateTime": humantime::format_rfc3339_millis(exchange.started).to_string(),
        "time": time,
        "request": request(&exchange.request, &version),
        "response": match &exchange.response {
            Ok(response) => self::response(response, &version),
            Err(_) => no_response(),
        },
        "cache": {},
        "timings": { "blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": time, "receive": 0, "ssl": -1 },
    });
    if let Err(error) = &exchange.response {
        entry["_error"] = json!(error);
    }
    entry
}

fn request(record: &RequestRecord, version: &str) -> Value {
    let (text, size) = body_text(&record.body);
    let mut request = json!({
        "method": record.method.as_str(),
        "url": record.url,
        "httpVersion": version,
        "cookies": [],
        "headers": headers(&record.headers),
        "queryString": query_string(&record.url),
        "headersSize": -1,
        "bodySize": size,
    });
    if let Some(text) = text {
        request["postData"] = json!({
            "mimeType": header_value(&record.headers, "content-type").unwrap_or("application/octet-stream"),
            "params": [],
            "text": text,
        });
    }
    request
}

fn response(record: &ResponseRecord, version: &str) -> Value {
    let (text, _) = body_text(&record.body);
    let mut content = json!({
        "size": record.body_len,
        "mimeType": header_value(&record.headers, "content-type").unwrap_or("x-unknown"),
    });
    if let Some(text) = text {
        content["text"] = json!(text);
    }
    if let Some(note) = body_note(&record.body) {
        content["comment"] = json!(note);
    }
    json!({
        "status": record.status,
        "statusText": status_text(record.status),
        "httpVersion": version,
        "cookies": [],
        "headers": headers(&record.headers),
        "content": content,
        "redirectURL": header_value(&record.headers, "location").unwrap_or(""),
        "headersSize": -1,
        "bodySize": record.body_len,
    })
}

/// The response of a request that got none: status 0, as browsers record it.
fn no_response() -> Value {
    json!({
        "status": 0,
        "statusText": "",
        "httpVersion": "",
        "cookies": [],
        "headers": [],
        "content": { "size": 0, "mimeType": "x-unknown" },
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    })
}

fn headers(headers: &[Header]) -> Vec<Value> {
    headers
        .iter()
        .map(|h| json!({ "name": h.name, "value": h.value }))
        .collect()
}

fn query_string(url: &str) -> Vec<Value> {
    reqwest::Url::parse(url)
        .map(|url| {
            url.query_pairs()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect()
        })
        .unwrap_or_default()
}

/// The body as text (none when empty or binary) and its size in bytes.
fn body_text(body: &Body) -> (Option<String>, usize) {
    match body {
        Body::Empty => (None, 0),
        Body::Json { value } => {
            let text = value.to_string();
            let len = text.len();
            (Some(text), len)
        }
        Body::Text { text, .. } => (Some(text.clone()), text.len()),
        Body::Binary { len, .. } => (None, *len),
    }
}

/// Why a body's text is missing or incomplete.
fn body_note(body: &Body) -> Option<String> {
    match body {
        Body::Binary { len, .. } => Some(format!("binary body of {len} bytes, not kept")),
        Body::Text {
            truncated: true, ..
        } => Some("body truncated to the first 1 MiB".to_owned()),
        _ => None,
    }
}

fn status_text(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Collects the exchanges of a run and writes the HAR file when the run finishes.
pub struct HarReporter<W: Write + Send> {
    out: W,
    run: HarRun,
    exchanges: Vec<WireExchange>,
}

impl<W: Write + Send> HarReporter<W> {
    pub fn new(out: W) -> HarReporter<W> {
        HarReporter {
            out,
            run: HarRun::default(),
            exchanges: Vec::new(),
        }
    }
}

impl<W: Write + Send> Reporter for HarReporter<W> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted { seed, run_id, .. } => {
                self.run.comment = Some(format!("idemfuzz run {run_id}, seed {seed}"));
            }
            Event::Exchange(exchange) => self.exchanges.push((**exchange).clone()),
            Event::RunFinished(_) => {
                let har = render_har(&self.run, &self.exchanges);
                serde_json::to_writer_pretty(&mut self.out, &har)?;
                writeln!(self.out)?;
                self.out.flush()?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::http::model::Method;

    fn header(name: &str, value: &str) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    fn exchange(started_s: u64, response: Result<ResponseRecord, String>) -> WireExchange {
        WireExchange {
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + started_s),
            http_version: response.is_ok().then(|| "HTTP/1.1".to_owned()),
            request: RequestRecord {
                method: Method::Put,
                url: "http://127.0.0.1:1/things/a?x=1&y=2".into(),
                headers: vec![
                    header("Authorization", "<redacted>"),
                    header("Content-Type", "application/json"),
                ],
                body: Body::Json {
                    value: json!({"name": "n"}),
                },
            },
            response,
            time_ms: 12,
        }
    }

    fn answered() -> ResponseRecord {
        ResponseRecord {
            status: 201,
            headers: vec![
                header("content-type", "application/json"),
                header("location", "/things/a"),
            ],
            body: Body::Json {
                value: json!({"id": "a"}),
            },
            body_len: 10,
            elapsed_ms: 12,
        }
    }

    #[test]
    fn entries_follow_the_har_1_2_shape_in_start_order() {
        let har = render_har(
            &HarRun {
                comment: Some("idemfuzz run r, seed 1".into()),
            },
            &[
                exchange(5, Err("cannot connect".into())),
                exchange(1, Ok(answered())),
            ],
        );
        let log = &har["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["creator"]["name"], "idemfuzz");
        let first = &log["entries"][0];
        assert_eq!(first["startedDateTime"], "2023-11-14T22:13:21.000Z");
        assert_eq!(first["request"]["method"], "PUT");
        assert_eq!(
            first["request"]["queryString"],
            json!([{"name": "x", "value": "1"}, {"name": "y", "value": "2"}])
        );
        assert_eq!(first["request"]["postData"]["text"], r#"{"name":"n"}"#);
        assert_eq!(first["request"]["bodySize"], 12);
        assert_eq!(first["response"]["statusText"], "Created");
        assert_eq!(first["response"]["redirectURL"], "/things/a");
        assert_eq!(first["response"]["content"]["text"], r#"{"id":"a"}"#);
        assert_eq!(first["response"]["content"]["mimeType"], "application/json");
        let failed = &log["entries"][1];
        assert_eq!(failed["response"]["status"], 0);
        assert_eq!(failed["_error"], "cannot connect");
    }

    #[test]
    fn the_file_is_written_when_the_run_finishes() {
        let mut out = Vec::new();
        {
            let mut reporter = HarReporter::new(&mut out);
            reporter
                .on_event(&Event::Exchange(Box::new(exchange(1, Ok(answered())))))
                .expect("kept");
            let report = crate::report::fixture::sample_report();
            reporter
                .on_event(&Event::RunFinished(Box::new(report)))
                .expect("written");
        }
        let har: Value = serde_json::from_slice(&out).expect("JSON");
        assert_eq!(har["log"]["entries"].as_array().map(Vec::len), Some(1));
    }
}
