//! idemfuzz against targets that misbehave at the transport level or answer oddly: an
//! unreachable port, a server that dies mid-run, odd bodies, a redirect, an endpoint that never
//! answers. Transport trouble is "cannot test" (exit 3), never a finding. Also: reports written
//! to files alongside the human report, and secrets never printed.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{
    Demo, DyingDemo, Served, dead_port, finding_lines, findings, results, run, run_cmd,
    run_json, scenario, weird_router, weird_scenario, write_file,
};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("report {} was not written: {err}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read(path))
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// No finding may come from a transport problem: none mentions a timeout or a connection.
fn assert_no_transport_finding(report: &Value, what: &str) {
    for finding in findings(report) {
        let text = format!(
            "{} {} {}",
            finding["title"], finding["observed"], finding["expected"]
        )
        .to_lowercase();
        for word in ["timed out", "timeout", "connection", "connect", "transport"] {
            assert!(
                !text.contains(word),
                "{what}: a transport error was reported as a finding ({word}): {finding}"
            );
        }
    }
}

#[test]
fn unreachable_target_cannot_be_tested_and_has_no_findings() {
    let url = format!("http://127.0.0.1:{}", dead_port());

    let out = run_json(
        &scenario("demo.toml"),
        &url,
        &["--seed", "7", "--cases", "1"],
    );
    out.assert_code(3, "unreachable target").assert_no_panic();
    let report = out.json();
    assert_eq!(
        report["outcome"]["kind"], "cannot_test",
        "outcome: {}",
        report["outcome"]
    );
    let reason = report["outcome"]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("cannot connect") && reason.contains(&url),
        "the reason must say it cannot connect to {url}: {reason}"
    );
    assert!(
        findings(&report).is_empty(),
        "a transport error is never a violation, but the report has findings:\n{}",
        finding_lines(&report)
    );
    assert!(
        results(&report)
            .iter()
            .all(|r| r["status"]["kind"] != "passed" && r["status"]["kind"] != "failed"),
        "no check may pass or fail against an unreachable target: {}",
        report["results"]
    );
    assert!(report["stats"]["transport_errors"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(report["cleanup"]["left_behind"], serde_json::json!([]));

    // The human report says so too.
    let out = run([
        "run",
        &scenario("demo.toml"),
        "--base-url",
        &url,
        "--seed",
        "7",
        "--cases",
        "1",
        "--no-progress",
        "--color",
        "never",
    ]);
    out.assert_code(3, "unreachable target, human report");
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert!(
        all.contains("cannot test") && all.contains("cannot connect"),
        "the human report does not say it cannot reach the target:\n{}",
        out.context()
    );
    assert!(
        !out.stdout.contains("error[") && !out.stdout.contains("warning["),
        "the human report shows a finding:\n{}",
        out.context()
    );
}

#[test]
fn json_and_junit_reports_are_written_alongside_the_human_report() {
    let demo = Demo::start("merge-put");
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("report.json");
    let junit_path = dir.path().join("nested-name.xml");
    let out = run([
        "run",
        &scenario("demo.toml"),
        "--base-url",
        demo.url(),
        "--checks",
        "repeat-put,partial-put,head-parity",
        "--seed",
        "7",
        "--cases",
        "1",
        "--no-progress",
        "--color",
        "never",
        "--report",
        &format!("json:{}", json_path.display()),
        "--report",
        &format!("junit:{}", junit_path.display()),
    ]);
    out.assert_code(1, "merge-put is found").assert_no_panic();

    // Human report on stdout.
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("error[partial-put] things:")),
        "stdout is not the human report with the finding:\n{}",
        out.context()
    );
    assert!(out.stdout.contains("verdict: FAILED"), "{}", out.context());

    // JSON file.
    let report = read_json(&json_path);
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["seed"], 7);
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["check"] == "partial-put" && f["severity"] == "error"),
        "the JSON file lacks the partial-put finding:\n{}",
        finding_lines(&report)
    );
    let rows = results(&report);
    assert!(!rows.is_empty());

    // JUnit file: one testcase per result row, the failing one with a <failure>.
    let junit = read(&junit_path);
    assert!(junit.starts_with("<?xml"), "not XML:\n{junit}");
    assert!(junit.contains("<testsuites"), "{junit}");
    assert!(junit.contains("<testsuite "), "no <testsuite:\n{junit}");
    assert_eq!(
        junit.matches("<testcase ").count(),
        rows.len(),
        "JUnit must hold one testcase per check × resource ({} rows):\n{junit}",
        rows.len()
    );
    for row in rows {
        let name = format!(
            "name=\"{} · {}\"",
            row["check"].as_str().unwrap(),
            row["resource"].as_str().unwrap()
        );
        assert!(junit.contains(&name), "JUnit lacks the testcase {name}:\n{junit}");
    }
    assert!(
        junit.contains("type=\"partial-put\""),
        "JUnit has no partial-put failure:\n{junit}"
    );
    assert_eq!(
        junit.matches("<failure ").count(),
        rows.iter().filter(|r| r["errors"].as_u64() > Some(0)).count(),
        "one <failure> per failing row:\n{junit}"
    );
    assert_eq!(
        junit.matches("<testsuite ").count(),
        junit.matches("</testsuite>").count(),
        "unbalanced <testsuite> elements:\n{junit}"
    );
}

#[test]
fn a_target_that_dies_mid_run_cannot_be_tested_and_still_gets_a_report() {
    // The clean API: every finding would be a false positive caused by the transport.
    let answered = 40;
    let server = DyingDemo::start(answered);
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("report.json");
    let out = run([
        "run",
        &scenario("demo.toml"),
        "--base-url",
        server.url(),
        "--seed",
        "7",
        "--cases",
        "2",
        "--concurrency",
        "1",
        "--no-progress",
        "--color",
        "never",
        "--report",
        &format!("json:{}", json_path.display()),
    ]);
    out.assert_code(3, "the target died mid-run").assert_no_panic();
    assert!(
        server.requests_seen() > answered,
        "the server never reached its limit ({} requests): the test did not test a death",
        server.requests_seen()
    );

    // The human report is complete and says why.
    assert!(
        out.stdout.contains("run: cannot test") && out.stdout.contains("verdict: CANNOT TEST"),
        "human report does not say the target could not be tested:\n{}",
        out.context()
    );

    let report = read_json(&json_path);
    assert_eq!(
        report["outcome"]["kind"], "cannot_test",
        "outcome: {}",
        report["outcome"]
    );
    assert!(
        report["outcome"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stopped answering")),
        "the reason must say the target stopped answering: {}",
        report["outcome"]
    );
    assert!(
        findings(&report).is_empty(),
        "transport errors caused findings on the clean API:\n{}",
        finding_lines(&report)
    );
    assert_no_transport_finding(&report, "dying target");
    assert!(report["stats"]["transport_errors"].as_u64().unwrap_or(0) >= 1);
    // Some checks ran and passed before the death: the report keeps them.
    assert!(
        results(&report)
            .iter()
            .any(|r| r["status"]["kind"] == "passed"),
        "no result survived the death: {}",
        report["results"]
    );
    // What the run created before the death could not be deleted: reported, not hidden.
    let left = report["cleanup"]["left_behind"].as_array().unwrap();
    assert!(
        !left.is_empty(),
        "resources created before the death cannot have been cleaned up: {}",
        report["cleanup"]
    );
    for item in left {
        assert!(
            item["url"].as_str().is_some_and(|u| u.starts_with(server.url())),
            "{item}"
        );
        assert!(item["reason"].as_str().is_some_and(|r| !r.is_empty()), "{item}");
    }
}

/// Runs the single-resource scenario of one weird kind against the weird API.
fn run_weird(kind: &str) -> (support::Out, Value) {
    let server = Served::start(weird_router());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), &format!("{kind}.toml"), &weird_scenario(kind));
    let out = run_json(
        &path.display().to_string(),
        &server.url(),
        &["--seed", "7", "--cases", "1"],
    );
    out.assert_no_panic();
    let code = out.code();
    assert!(
        [0, 1, 3].contains(&code),
        "`{kind}` API: exit code {code} is not 0, 1 or 3\n{}",
        out.context()
    );
    let report = out.json();
    assert_eq!(report["format_version"], 1, "`{kind}`: not a JSON report");
    assert_no_transport_finding(&report, kind);
    (out, report)
}

#[test]
fn weird_api_text_body() {
    let (_, report) = run_weird("text");
    assert!(
        results(&report)
            .iter()
            .any(|r| r["cases_run"].as_u64() > Some(0)),
        "nothing ran against the text API: {}",
        report["results"]
    );
}

#[test]
fn weird_api_binary_body() {
    let (_, report) = run_weird("binary");
    // Binary bodies are recorded as size + hex prefix, never as (lossy) text.
    for finding in findings(&report) {
        for exchange in finding["exchanges"].as_array().unwrap() {
            let body = &exchange["response"]["body"];
            if exchange["request"]["method"] == "GET" && exchange["response"]["status"] == 200 {
                let collection = exchange["request"]["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/binary"));
                if !collection {
                    assert_eq!(body["kind"], "binary", "{exchange}");
                    assert!(body["prefix_hex"].as_str().unwrap().starts_with("fffe0001"));
                }
            }
        }
    }
}

#[test]
fn weird_api_huge_body() {
    let (out, report) = run_weird("huge");
    for finding in findings(&report) {
        for exchange in finding["exchanges"].as_array().unwrap() {
            let response = &exchange["response"];
            if response["body_len"].as_u64() == Some(support::HUGE_BODY as u64) {
                assert_eq!(response["body"]["kind"], "text", "{exchange}");
                assert_eq!(response["body"]["truncated"], true);
            }
        }
    }
    // The report stays bounded: a recorded body is cut at 1 MiB.
    assert!(
        out.stdout.len() < 64 * support::HUGE_BODY,
        "the JSON report is {} bytes",
        out.stdout.len()
    );
}

#[test]
fn weird_api_redirect() {
    let (_, report) = run_weird("redirect");
    // idemfuzz never follows redirects: the 302 is what it recorded.
    for finding in findings(&report) {
        for exchange in finding["exchanges"].as_array().unwrap() {
            assert!(
                !exchange["request"]["url"]
                    .as_str()
                    .unwrap()
                    .contains("/moved/"),
                "idemfuzz followed a redirect: {exchange}"
            );
        }
    }
}

#[test]
fn weird_api_endpoint_that_never_answers() {
    let (out, report) = run_weird("slow");
    // The PUTs and DELETEs of this API are correct; every GET of an item times out. Nothing
    // can be judged, so there is no finding at all, and the run is not a pass.
    assert!(
        findings(&report).is_empty(),
        "a timeout was reported as a finding:\n{}",
        finding_lines(&report)
    );
    assert_eq!(out.code(), 3, "timeouts everywhere: cannot test\n{}", out.context());
    assert!(report["stats"]["transport_errors"].as_u64().unwrap_or(0) >= 1);
    let mentioned = report.to_string().contains("timed out");
    assert!(mentioned, "the report never says a request timed out: {report}");
}

#[test]
fn secrets_never_appear_in_any_output() {
    const SECRET: &str = "s3cr3t-idemfuzz-test-token-4f1c9a7e";
    let demo = Demo::start("merge-put");
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(support::root().join("scenarios/demo.toml"))
        .expect("read demo.toml");
    let with_auth = text.replacen(
        "timeout = \"5s\"\n",
        "timeout = \"5s\"\nheaders = { Authorization = \"Bearer ${IDEMFUZZ_TEST_TOKEN}\", X-Api-Key = \"${IDEMFUZZ_TEST_TOKEN}\" }\n",
        1,
    );
    assert_ne!(with_auth, text, "demo.toml changed: the header was not inserted");
    let path = write_file(dir.path(), "auth.toml", &with_auth);
    let path = path.display().to_string();
    let json_path = dir.path().join("r.json");
    let junit_path = dir.path().join("r.xml");

    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_TEST_TOKEN", SECRET);
    let out = run_cmd(
        cmd,
        [
            "run",
            &path,
            "--base-url",
            demo.url(),
            "--checks",
            "partial-put,repeat-put",
            "--seed",
            "7",
            "--cases",
            "1",
            "--no-progress",
            "--color",
            "never",
            "--verbose",
            "--report",
            &format!("json:{}", json_path.display()),
            "--report",
            &format!("junit:{}", junit_path.display()),
        ],
    );
    out.assert_code(1, "merge-put is found with the Authorization header");
    let json = read(&json_path);
    let junit = read(&junit_path);
    for (name, text) in [
        ("stdout", &out.stdout),
        ("stderr", &out.stderr),
        ("JSON report", &json),
        ("JUnit report", &junit),
    ] {
        assert!(!text.contains(SECRET), "the secret leaked into {name}:\n{text}");
    }
    let report: Value = serde_json::from_str(&json).expect("JSON report");
    let repro = findings(&report)
        .iter()
        .find(|f| f["check"] == "partial-put")
        .and_then(|f| f["repro"].as_str())
        .unwrap_or_else(|| panic!("no partial-put repro:\n{}", finding_lines(&report)));
    assert!(
        repro.contains("-H \"Authorization: Bearer ${IDEMFUZZ_TEST_TOKEN}\""),
        "the curl repro must keep the placeholder:\n{repro}"
    );
    assert!(
        out.stdout.contains("${IDEMFUZZ_TEST_TOKEN}"),
        "the human report's repro must keep the placeholder"
    );

    // The transport-error path, and credentials in the base URL, leak nothing either.
    let dead = format!("http://user:{SECRET}@127.0.0.1:{}", dead_port());
    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_TEST_TOKEN", SECRET);
    let out = run_cmd(
        cmd,
        [
            "run",
            &path,
            "--base-url",
            &dead,
            "--seed",
            "7",
            "--cases",
            "1",
            "--no-progress",
            "--format",
            "json",
            "--report",
            &format!("junit:{}", junit_path.display()),
        ],
    );
    out.assert_code(3, "unreachable target with credentials");
    let junit = read(&junit_path);
    for (name, text) in [
        ("stdout", &out.stdout),
        ("stderr", &out.stderr),
        ("JUnit report", &junit),
    ] {
        assert!(
            !text.contains(SECRET),
            "the secret leaked into {name} (unreachable target):\n{text}"
        );
    }

    // Credentials in the base URL of a reachable target: stripped everywhere.
    let with_creds = demo.url().replacen("http://", &format!("http://user:{SECRET}@"), 1);
    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_TEST_TOKEN", SECRET);
    let out = run_cmd(
        cmd,
        [
            "run",
            &path,
            "--base-url",
            &with_creds,
            "--checks",
            "partial-put",
            "--seed",
            "7",
            "--cases",
            "1",
            "--no-progress",
            "--format",
            "json",
            "--report",
            &format!("junit:{}", junit_path.display()),
        ],
    );
    out.assert_code(1, "merge-put is found with credentials in the base URL");
    let junit = read(&junit_path);
    for (name, text) in [
        ("stdout", &out.stdout),
        ("stderr", &out.stderr),
        ("JUnit report", &junit),
    ] {
        assert!(
            !text.contains(SECRET),
            "the base URL's password leaked into {name}:\n{}",
            text.chars().take(3000).collect::<String>()
        );
    }
}
