//! The concurrency, lost-response and conditional-request checks against the real demo API over
//! real HTTP on 127.0.0.1: each passes on the clean API and fails on the bug it exists to catch;
//! the race bugs are caught on at least 19 of 20 independent runs (and the clean API passes all
//! 20); batches and lost responses are recorded as documented; the wire client opens one
//! connection per request of a batch and leaves a lost answer unread.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{
    Demo, finding_lines, findings, findings_of, result_row, run_json, scenario, severity_rank,
};

const SEED: &str = "7";
const CASES: &str = "2";

/// Where a check runs: the scenario file and its resource.
#[derive(Clone, Copy)]
struct On {
    file: &'static str,
    resource: &'static str,
}

const THINGS: On = On {
    file: "demo.toml",
    resource: "things",
};
const NOTES: On = On {
    file: "notes.toml",
    resource: "notes",
};

fn run_check(on: On, demo: &Demo, check: &str, extra: &[&str]) -> support::Out {
    let mut args = vec!["--checks", check, "--seed", SEED, "--cases", CASES];
    args.extend_from_slice(extra);
    run_json(&scenario(on.file), demo.url(), &args)
}

/// One case of `check`.
fn run_one_case(on: On, demo: &Demo, check: &str) -> support::Out {
    let args = ["--checks", check, "--seed", SEED, "--cases", "1"];
    run_json(&scenario(on.file), demo.url(), &args)
}

/// `check` on the clean demo API: exit 0, its row passed with cases run, no warning or error.
fn assert_passes_clean(on: On, check: &str) {
    let demo = Demo::start("none");
    let out = run_check(on, &demo, check, &[]);
    out.assert_code(
        0,
        &format!("check `{check}` on the clean demo API ({})", on.file),
    );
    let report = out.json();
    let row = result_row(&report, check, on.resource);
    assert_eq!(row["status"]["kind"], "passed", "`{check}`: {row}");
    assert!(
        row["cases_run"].as_u64().unwrap_or(0) >= 1,
        "`{check}` ran no case: {row}"
    );
    let noisy: Vec<_> = findings_of(&report, check)
        .into_iter()
        .filter(|f| severity_rank(f) >= 1)
        .collect();
    assert!(
        noisy.is_empty(),
        "`{check}` reported warnings/errors on the clean demo API:\n{}",
        finding_lines(&report)
    );
    assert!(
        report["cleanup"]["left_behind"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "`{check}` left resources behind on the clean API: {}",
        report["cleanup"]
    );
}

/// `check` on the demo API with `bug`: exit 1, its row failed, failing findings of `check` only,
/// each with an RFC reference, exchanges and a curl reproduction. Returns the report.
fn assert_catches(on: On, bug: &str, check: &str, severity: &str) -> Value {
    let demo = Demo::start(bug);
    let fail_on: &[&str] = if severity == "warning" {
        &["--fail-on", "warning"]
    } else {
        &[]
    };
    let out = run_check(on, &demo, check, fail_on);
    out.assert_code(1, &format!("bug `{bug}` must fail check `{check}`"));
    let report = out.json();
    let failing: Vec<_> = findings_of(&report, check)
        .into_iter()
        .filter(|f| f["severity"] == severity)
        .collect();
    assert!(
        !failing.is_empty(),
        "bug `{bug}`: no {severity} finding of `{check}`; findings:\n{}",
        finding_lines(&report)
    );
    for finding in &failing {
        assert_eq!(finding["resource"], on.resource, "{finding}");
        assert!(
            finding["rfc"].as_str().is_some_and(|r| r.contains("RFC")),
            "finding without an RFC reference: {finding}"
        );
        assert!(
            finding["repro"]
                .as_str()
                .is_some_and(|r| r.starts_with("#!/bin/sh") && r.contains("curl ")),
            "finding without a curl reproduction: {finding}"
        );
    }
    let row = result_row(&report, check, on.resource);
    assert_eq!(row["status"]["kind"], "failed", "bug `{bug}`: {row}");
    assert!(
        findings(&report).iter().all(|f| f["check"] == check),
        "bug `{bug}`: findings of other checks:\n{}",
        finding_lines(&report)
    );
    report
}

macro_rules! clean_passes {
    ($($name:ident => $check:literal on $on:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_passes_clean($on, $check);
        }
    )*};
}

clean_passes! {
    clean_api_passes_concurrent_put => "concurrent-put" on THINGS,
    clean_api_passes_concurrent_post_key => "concurrent-post-key" on THINGS,
    clean_api_passes_lost_response_retry => "lost-response-retry" on THINGS,
    clean_api_passes_conditional_write => "conditional-write" on THINGS,
    clean_api_passes_lost_update => "lost-update" on THINGS,
    clean_api_passes_etag_stability => "etag-stability" on THINGS,
    clean_notes_pass_conditional_write => "conditional-write" on NOTES,
    clean_notes_pass_lost_update => "lost-update" on NOTES,
    clean_notes_pass_etag_stability => "etag-stability" on NOTES,
    clean_notes_pass_post_put_creation => "post-put-creation" on NOTES,
}

macro_rules! bug_caught {
    ($($name:ident => $bug:literal by $check:literal on $on:ident as $severity:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_catches($on, $bug, $check, $severity);
        }
    )*};
}

bug_caught! {
    put_race_fails_concurrent_put => "put-race" by "concurrent-put" on THINGS as "error",
    key_race_fails_concurrent_post_key => "key-race" by "concurrent-post-key" on THINGS as "error",
    key_late_commit_fails_lost_response_retry => "key-late-commit" by "lost-response-retry" on THINGS as "error",
    key_late_commit_fails_concurrent_post_key => "key-late-commit" by "concurrent-post-key" on THINGS as "error",
    ifmatch_ignored_fails_lost_update => "ifmatch-ignored" by "lost-update" on THINGS as "error",
    ifnonematch_ignored_fails_conditional_write => "ifnonematch-ignored" by "conditional-write" on THINGS as "error",
    weak_etag_match_fails_conditional_write => "weak-etag-match" by "conditional-write" on THINGS as "error",
    etag_churn_fails_etag_stability => "etag-churn" by "etag-stability" on THINGS as "warning",
    no_428_fails_conditional_write_on_notes => "no-428" by "conditional-write" on NOTES as "error",
    republish_fails_post_put_creation => "republish" by "post-put-creation" on NOTES as "error",
}

/// A server that ignores If-Match (or every conditional header) gets one clear finding per
/// case, not one per probe.
#[test]
fn an_ignored_header_is_one_finding_per_case() {
    let bugs = [
        ("ifmatch-ignored", "the server ignores If-Match"),
        (
            "ifmatch-ignored,ifnonematch-ignored",
            "the server ignores conditional request headers",
        ),
    ];
    for (bug, title) in bugs {
        for on in [THINGS, NOTES] {
            let report = assert_catches(on, bug, "conditional-write", "error");
            let found = findings_of(&report, "conditional-write");
            let titles: Vec<&str> = found.iter().filter_map(|f| f["title"].as_str()).collect();
            // The report aggregates the cases' findings by fingerprint: one finding, seen in
            // every case; the row counts every violation, so one per probe would show there.
            let cases = CASES.parse::<u64>().unwrap_or(0);
            assert_eq!(
                titles.len(),
                1,
                "{bug} on {}: one finding:\n{}",
                on.file,
                finding_lines(&report)
            );
            assert_eq!(
                found[0]["occurrences"].as_u64(),
                Some(cases),
                "{}",
                found[0]
            );
            assert_eq!(
                result_row(&report, "conditional-write", on.resource)["errors"].as_u64(),
                Some(cases),
                "{bug} on {}: one finding per case, not one per probe",
                on.file
            );
            assert!(titles.iter().all(|t| t.starts_with(title)), "{titles:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Race repeatability

const RUNS: usize = 20;
const MUST_CATCH: usize = 19;

/// Whether one run of `check` alone (one case) found an error of it.
fn one_run_catches(demo: &Demo, check: &str, run: usize) -> bool {
    let seed = (1000 + run).to_string();
    let out = run_json(
        &scenario("demo.toml"),
        demo.url(),
        &["--checks", check, "--cases", "1", "--seed", &seed],
    );
    out.assert_no_panic();
    match out.code() {
        0 => false,
        1 => findings_of(&out.json(), check)
            .iter()
            .any(|f| f["severity"] == "error"),
        other => panic!(
            "`{check}` run {run} could not test (exit {other})\n{}",
            out.context()
        ),
    }
}

/// The race bug is caught on at least 19 of 20 runs, and the clean API passes all 20.
fn assert_race_repeatable(bug: &str, check: &str) {
    let buggy = Demo::start(bug);
    let caught = (0..RUNS)
        .filter(|run| one_run_catches(&buggy, check, *run))
        .count();
    assert!(
        caught >= MUST_CATCH,
        "bug `{bug}` caught by `{check}` in only {caught} of {RUNS} runs"
    );
    let clean = Demo::start("none");
    let false_alarms = (0..RUNS)
        .filter(|run| one_run_catches(&clean, check, *run))
        .count();
    assert_eq!(
        false_alarms, 0,
        "`{check}` failed {false_alarms} of {RUNS} runs on the clean API"
    );
}

#[test]
fn put_race_is_caught_on_at_least_19_of_20_runs() {
    assert_race_repeatable("put-race", "concurrent-put");
}

#[test]
fn key_race_is_caught_on_at_least_19_of_20_runs() {
    assert_race_repeatable("key-race", "concurrent-post-key");
}

#[test]
fn key_late_commit_is_caught_on_at_least_19_of_20_runs() {
    assert_race_repeatable("key-late-commit", "lost-response-retry");
}

// ---------------------------------------------------------------------------------------------
// What the report records

/// Batches are recorded in client order, marked as released together; a lost answer is
/// recorded with status 0 (`not read` in the human report and the curl reproduction).
#[test]
fn batches_and_lost_responses_are_recorded_as_documented() {
    let demo = Demo::start("put-race");
    let out = run_one_case(THINGS, &demo, "concurrent-put");
    let report = out.json();
    let finding = findings_of(&report, "concurrent-put")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no finding:\n{}", finding_lines(&report)));
    let purposes: Vec<&str> = finding["exchanges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["purpose"].as_str())
        .filter(|p| p.contains("released together"))
        .collect();
    let expected: Vec<String> = (1..=8)
        .map(|n| format!("PUT body A to a new id (client {n} of 8, released together)"))
        .collect();
    assert_eq!(purposes[..8], expected[..], "{purposes:#?}");

    let demo = Demo::start("key-late-commit");
    // Wide enough that no request line wraps; --verbose for the curl reproduction.
    let mut wide = support::idemfuzz();
    wide.env("COLUMNS", "200");
    let human = support::run_cmd(
        wide,
        [
            "run",
            &scenario("demo.toml"),
            "--base-url",
            demo.url(),
            "--checks",
            "lost-response-retry",
            "--cases",
            "1",
            "--no-progress",
            "--color",
            "never",
            "--verbose",
        ],
    );
    human.assert_code(1, "key-late-commit must fail lost-response-retry");
    assert!(
        human
            .stdout
            .contains("→ not read  (POST body C with a new key; its answer is never read)"),
        "the human report does not mark the unread answer:\n{}",
        human.context()
    );
    assert!(
        human.stdout.contains("→ observed not read"),
        "the curl reproduction does not mark the unread answer:\n{}",
        human.context()
    );
}

/// A resource created by a request whose answer idemfuzz never read is listed as left behind,
/// never deleted.
#[test]
fn resources_of_unread_answers_are_left_behind_and_reported() {
    let demo = Demo::start("key-late-commit");
    let out = run_one_case(THINGS, &demo, "lost-response-retry");
    let report = out.json();
    let left = report["cleanup"]["left_behind"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(left.len(), 1, "{}", report["cleanup"]);
    assert!(
        left[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("did not read")),
        "{}",
        left[0]
    );
    let url = left[0]["url"].as_str().unwrap_or_default().to_string();
    let still_there = demo.block_on(async {
        support::http_client()
            .get(&url)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(still_there.ok(), Some(200), "{url} must not be deleted");
}

// ---------------------------------------------------------------------------------------------
// The wire client

mod wire {
    use super::*;
    use idemfuzz::http::config::TransportConfig;
    use idemfuzz::http::transport::{OutgoingRequest, Pace};
    use idemfuzz::http::wire::WireClient;
    use idemfuzz::model::exchange::Method;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn request(url: &str, method: Method) -> OutgoingRequest {
        OutgoingRequest {
            method,
            url: url.to_string(),
            headers: vec![("Accept".into(), "application/json".into())],
            body: Some(b"{}".to_vec()),
            timeout: Duration::from_secs(10),
        }
    }

    /// Reads one HTTP/1.1 request head (and its 2-byte body) from a connection.
    async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&bytes).contains("\r\n\r\n{}") {
            let n = stream.read(&mut buf).await.expect("read the request");
            assert!(n > 0, "connection closed mid-request");
            bytes.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Every request of a batch arrives on a connection of its own.
    #[test]
    fn a_batch_uses_one_connection_per_request() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = format!("http://{}/things/x", listener.local_addr().expect("addr"));
            let server = tokio::spawn(async move {
                let mut requests = Vec::new();
                for _ in 0..4 {
                    let (mut stream, _) = listener.accept().await.expect("accept");
                    requests.push(tokio::spawn(async move {
                        let text = read_request(&mut stream).await;
                        stream
                            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                            .await
                            .expect("answer");
                        text
                    }));
                }
                let mut texts = Vec::new();
                for request in requests {
                    texts.push(request.await.expect("connection task"));
                }
                texts
            });
            let answers = WireClient::new(&TransportConfig::default())
                .send_together(
                    (0..4).map(|_| request(&url, Method::Put)).collect(),
                    Pace::at_once(),
                )
                .await;
            let statuses: Vec<u16> = answers
                .into_iter()
                .map(|a| a.expect("answered").status)
                .collect();
            assert_eq!(statuses, [204; 4]);
            let texts = server.await.expect("server");
            assert_eq!(texts.len(), 4, "four connections, one request each");
            for text in texts {
                assert!(text.starts_with("PUT /things/x HTTP/1.1\r\n"), "{text}");
            }
        });
    }

    /// An unread send: the server gets the whole request; once it begins to answer, the
    /// client closes the connection without reading the answer.
    #[test]
    fn an_unread_answer_is_abandoned_once_the_server_answers() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = format!("http://{}/things", listener.local_addr().expect("addr"));
            let (answer_now, answer) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.expect("accept");
                let text = read_request(&mut stream).await;
                let _ = answer.await;
                stream
                    .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                    .await
                    .expect("answer");
                // The client closes its end; reading finds the end (or a reset).
                let mut rest = [0u8; 16];
                let closed = matches!(stream.read(&mut rest).await, Ok(0) | Err(_));
                (text, closed)
            });
            let client = WireClient::new(&TransportConfig::default());
            let unread = client
                .send_unread(request(&url, Method::Post))
                .await
                .expect("written");
            let _ = answer_now.send(());
            unread.abandon().await.expect("the server began to answer");
            let (text, closed) = server.await.expect("server");
            assert!(text.starts_with("POST /things HTTP/1.1\r\n"), "{text}");
            assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
            assert!(closed, "the client closed the connection");
        });
    }
}
