//! `--har FILE`: every exchange of the run in HAR 1.2 (the HTTP Archive format browsers'
//! developer tools import), streamed: the document's head when the run starts, each entry as
//! its exchange arrives, and the end of the document when the run finishes — also when it was
//! interrupted or could not test. Nothing is kept in memory, however long the run.
//!
//! The reporter writes [`Event::Exchange`]s, whose secrets the transport already removed:
//! credential headers read `<redacted>` and known secrets are replaced wherever they appear.
//! Requests that got no answer have status 0 and the error in `_error`, as browsers record
//! failed requests. The reporter streams the document part by part; the unit tests compare it
//! with `render_har`, the whole document of a list of exchanges built from the same parts.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::model::events::Event;
use crate::model::exchange::{Body, Header, RequestRecord, ResponseRecord, header_value};
use crate::model::exchange::{WireAnswer, WireExchange};
use crate::report::Reporter;

/// What the log says about the run, besides its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HarRun {
    /// `idemfuzz run RUNID, seed SEED`, once the run started.
    pub(crate) comment: Option<String>,
}

/// The HAR 1.2 document of `exchanges`, in the order given (the order their answers came).
#[cfg(test)]
pub(crate) fn render_har(run: &HarRun, exchanges: &[WireExchange]) -> String {
    let mut out = head(run);
    for (n, exchange) in exchanges.iter().enumerate() {
        out.push_str(&entry_text(exchange, n == 0));
    }
    out.push_str(TAIL);
    out
}

/// The document up to the opening of `entries`: version, creator, comment, pages.
fn head(run: &HarRun) -> String {
    let creator = json!({ "name": "idemfuzz", "version": env!("CARGO_PKG_VERSION") });
    let mut head =
        format!("{{\n  \"log\": {{\n    \"version\": \"1.2\",\n    \"creator\": {creator},\n");
    if let Some(comment) = &run.comment {
        head.push_str(&format!("    \"comment\": {},\n", json!(comment)));
    }
    head.push_str("    \"pages\": [],\n    \"entries\": [");
    head
}

/// One entry on its own line, preceded by a comma unless it is the first.
fn entry_text(exchange: &WireExchange, first: bool) -> String {
    let separator = if first { "" } else { "," };
    format!("{separator}\n      {}", entry(exchange))
}

/// What closes the document after the last entry.
const TAIL: &str = "\n    ]\n  }\n}\n";

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
            WireAnswer::Answered(response) => self::response(response, &version),
            WireAnswer::Failed(_) => no_response(),
        },
        "cache": {},
        "timings": { "blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": time, "receive": 0, "ssl": -1 },
    });
    if let WireAnswer::Failed(error) = &exchange.response {
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

/// How far the streamed document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// Nothing written yet.
    NotStarted,
    /// The head and `entries` entries are written.
    Open { entries: u64 },
    /// The document is complete; later events are ignored.
    Closed,
}

/// Streams the HAR file of a run: the head on start, one entry per exchange, the end when the
/// run finishes. Give it a buffered writer.
pub(crate) struct HarReporter<W: Write + Send> {
    out: W,
    run: HarRun,
    progress: Progress,
}

impl<W: Write + Send> HarReporter<W> {
    pub(crate) fn new(out: W) -> HarReporter<W> {
        HarReporter {
            out,
            run: HarRun::default(),
            progress: Progress::NotStarted,
        }
    }

    /// Gives the writer back.
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }

    /// Writes the head unless it is written; the number of entries written so far.
    fn open(&mut self) -> io::Result<u64> {
        match self.progress {
            Progress::NotStarted => {
                self.out.write_all(head(&self.run).as_bytes())?;
                self.progress = Progress::Open { entries: 0 };
                Ok(0)
            }
            Progress::Open { entries } => Ok(entries),
            Progress::Closed => Ok(0),
        }
    }

    fn write_entry(&mut self, exchange: &WireExchange) -> io::Result<()> {
        if self.progress == Progress::Closed {
            return Ok(());
        }
        let entries = self.open()?;
        self.out
            .write_all(entry_text(exchange, entries == 0).as_bytes())?;
        self.progress = Progress::Open {
            entries: entries + 1,
        };
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        if self.progress == Progress::Closed {
            return Ok(());
        }
        self.open()?;
        self.out.write_all(TAIL.as_bytes())?;
        self.progress = Progress::Closed;
        self.out.flush()
    }
}

impl<W: Write + Send> Reporter for HarReporter<W> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted { seed, run_id, .. } => {
                if self.progress == Progress::NotStarted {
                    self.run.comment = Some(format!("idemfuzz run {run_id}, seed {seed}"));
                }
                self.open().map(drop)
            }
            Event::Exchange(exchange) => self.write_entry(exchange),
            Event::RunFinished(_) => self.close(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::model::exchange::Method;

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
            response: match response {
                Ok(answer) => WireAnswer::Answered(answer),
                Err(error) => WireAnswer::Failed(error),
            },
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

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("the HAR is JSON")
    }

    #[test]
    fn entries_follow_the_har_1_2_shape_in_arrival_order() {
        let har = parse(&render_har(
            &HarRun {
                comment: Some("idemfuzz run r, seed 1".into()),
            },
            &[
                exchange(1, Ok(answered())),
                exchange(5, Err("cannot connect".into())),
            ],
        ));
        let log = &har["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["creator"]["name"], "idemfuzz");
        assert_eq!(log["comment"], "idemfuzz run r, seed 1");
        assert_eq!(log["pages"], json!([]));
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
    fn a_run_without_exchanges_is_an_empty_log() {
        let har = parse(&render_har(&HarRun::default(), &[]));
        assert_eq!(har["log"]["entries"], json!([]));
        assert!(har["log"].get("comment").is_none());
    }

    fn run_started() -> Event {
        Event::RunStarted {
            seed: 7,
            run_id: "r1".into(),
            base_url: "http://127.0.0.1:1".into(),
            units: 1,
            cases: 1,
            time_budget_ms: None,
        }
    }

    fn run_finished() -> Event {
        Event::RunFinished(Box::new(crate::model::fixture::sample_report()))
    }

    #[test]
    fn entries_are_written_as_they_arrive_and_the_document_closed_at_the_end() {
        let mut reporter = HarReporter::new(Vec::new());
        reporter.on_event(&run_started()).expect("head");
        for started in 0..3 {
            reporter
                .on_event(&Event::Exchange(Box::new(exchange(
                    started,
                    Ok(answered()),
                ))))
                .expect("entry");
        }
        let streamed = String::from_utf8(reporter.out.clone()).expect("UTF-8");
        assert_eq!(
            streamed.matches("\"startedDateTime\"").count(),
            3,
            "nothing is held back until the end: {streamed}"
        );
        reporter.on_event(&run_finished()).expect("tail");
        reporter
            .on_event(&Event::Exchange(Box::new(exchange(9, Ok(answered())))))
            .expect("ignored");
        reporter.on_event(&run_finished()).expect("ignored");
        let text = String::from_utf8(reporter.into_inner()).expect("UTF-8");
        let har = parse(&text);
        assert_eq!(har["log"]["comment"], "idemfuzz run r1, seed 7");
        assert_eq!(har["log"]["entries"].as_array().map(Vec::len), Some(3));
        let exchanges: Vec<WireExchange> = (0..3)
            .map(|started| exchange(started, Ok(answered())))
            .collect();
        let expected = render_har(
            &HarRun {
                comment: Some("idemfuzz run r1, seed 7".into()),
            },
            &exchanges,
        );
        assert_eq!(text, expected, "the streamed file is the rendered document");
    }

    #[test]
    fn the_file_is_complete_even_without_a_start_event() {
        let mut reporter = HarReporter::new(Vec::new());
        reporter
            .on_event(&Event::Exchange(Box::new(exchange(1, Ok(answered())))))
            .expect("kept");
        reporter.on_event(&run_finished()).expect("written");
        let har = parse(&String::from_utf8(reporter.into_inner()).expect("UTF-8"));
        assert_eq!(har["log"]["entries"].as_array().map(Vec::len), Some(1));
    }
}
