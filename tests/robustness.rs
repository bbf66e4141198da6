//! idemfuzz against targets that misbehave at the transport level or answer oddly: an
//! unreachable port, a server that dies mid-run, odd bodies, a redirect, an endpoint that never
//! answers. Transport trouble is "cannot test" (exit 3), never a finding. Also: reports written
//! to files alongside the human report, and secrets never printed.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{
    Demo, DyingDemo, Served, dead_port, finding_lines, findings, result_row, results, run, run_cmd,
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
    assert_eq!(report["format_version"], 2);
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
        assert!(
            junit.contains(&name),
            "JUnit lacks the testcase {name}:\n{junit}"
        );
    }
    assert!(
        junit.contains("type=\"partial-put\""),
        "JUnit has no partial-put failure:\n{junit}"
    );
    assert_eq!(
        junit.matches("<failure ").count(),
        rows.iter()
            .filter(|r| r["errors"].as_u64() > Some(0))
            .count(),
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
    let answered = 60;
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
    out.assert_code(3, "the target died mid-run")
        .assert_no_panic();
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
            item["url"]
                .as_str()
                .is_some_and(|u| u.starts_with(server.url())),
            "{item}"
        );
        assert!(
            item["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{item}"
        );
    }
}

#[test]
fn ctrl_c_stops_the_run_cleans_up_and_exits_130() {
    // Never dies; counts requests so the interrupt lands mid-run, deterministically.
    let server = DyingDemo::start(usize::MAX);
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("report.json");
    let json_arg = json_path.display().to_string();
    let har_path = dir.path().join("run.har");
    let har_arg = har_path.display().to_string();
    let mut child = support::spawn_idemfuzz(&[
        "run",
        "scenarios/",
        "--base-url",
        server.url(),
        "--seed",
        "7",
        "--cases",
        "500",
        "--concurrency",
        "2",
        "--no-progress",
        "--format",
        "json",
        "--output",
        &json_arg,
        "--har",
        &har_arg,
    ]);
    let mut polls = 0;
    while server.requests_seen() < 100 {
        if let Some(status) = child.try_wait().expect("poll the child") {
            panic!("idemfuzz finished ({status}) before it could be interrupted");
        }
        polls += 1;
        assert!(
            polls < 60_000,
            "idemfuzz sent fewer than 100 requests in a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill -INT");
    assert!(killed.success());
    let output = child.wait_with_output().expect("wait for idemfuzz");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        output.status.code(),
        Some(130),
        "Ctrl-C with no failing finding exits 130; stderr:\n{stderr}"
    );

    let report = read_json(&json_path);
    assert_eq!(
        report["outcome"]["kind"], "interrupted",
        "{}",
        report["outcome"]
    );
    assert!(
        findings(&report).iter().all(|f| f["severity"] == "info"),
        "an interrupted case was reported as a violation:\n{}",
        finding_lines(&report)
    );
    assert!(
        results(&report)
            .iter()
            .any(|r| r["status"]["kind"] == "interrupted"),
        "no check is marked interrupted: {}",
        report["results"]
    );
    assert_eq!(
        report["cleanup"]["left_behind"],
        serde_json::json!([]),
        "cleanup must still run after Ctrl-C: {}",
        report["cleanup"]
    );

    // The streamed HAR file was completed: valid JSON with every request, cleanup included.
    let har = read_json(&har_path);
    let entries = har["log"]["entries"].as_array().expect("HAR entries");
    assert!(
        entries.len() >= 100,
        "{} entries for 100+ requests",
        entries.len()
    );
    assert!(
        entries.iter().any(|e| e["request"]["method"] == "DELETE"),
        "cleanup's requests are in the HAR"
    );

    // And the API agrees: nothing the run created is left.
    let client = support::http_client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for collection in ["/things", "/lamps", "/devices"] {
        let body: Value = runtime.block_on(async {
            let response = client
                .get(format!("{}{collection}", server.url()))
                .send()
                .await
                .expect("GET collection");
            serde_json::from_slice(&response.bytes().await.expect("body")).expect("JSON")
        });
        assert_eq!(
            body["items"],
            serde_json::json!([]),
            "{collection} still holds run-owned resources after Ctrl-C"
        );
    }
}

/// Runs the single-resource scenario of one weird kind against the weird API: never a panic,
/// always a documented exit code and a JSON report, never a transport error as a finding.
fn run_weird(kind: &str, extra: &[&str]) -> (support::Out, Value) {
    let server = Served::start(weird_router());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), &format!("{kind}.toml"), &weird_scenario(kind));
    let mut args = vec!["--seed", "7", "--cases", "1"];
    args.extend_from_slice(extra);
    let out = run_json(&path.display().to_string(), &server.url(), &args);
    out.assert_no_panic();
    let code = out.code();
    assert!(
        [0, 1, 3].contains(&code),
        "`{kind}` API: exit code {code} is not 0, 1 or 3\n{}",
        out.context()
    );
    let report = out.json();
    assert_eq!(report["format_version"], 2, "`{kind}`: not a JSON report");
    assert_no_transport_finding(&report, kind);
    (out, report)
}

/// A correct API whose item GETs answer an odd representation (not JSON, where the scenario's
/// JSON body template expects JSON; a redirect): it must not be reported (no finding at warning
/// level or above), the checks that compare the item read back are inconclusive with the reason
/// (never passed: they could not observe anything), so the run exits 3, and the other checks
/// still run.
fn assert_odd_but_correct(kind: &str) {
    let (out, report) = run_weird(kind, &[]);
    assert_eq!(
        out.code(),
        3,
        "`{kind}`: a correct API with odd GET bodies was reported, or passed unobserved:\n{}\n{}",
        finding_lines(&report),
        out.context()
    );
    assert!(
        findings(&report).iter().all(|f| f["severity"] == "info"),
        "`{kind}`: findings on a correct API:\n{}",
        finding_lines(&report)
    );
    assert_eq!(report["outcome"]["kind"], "completed");
    for check in ["repeat-put", "partial-put", "get-safety"] {
        let row = result_row(&report, check, kind);
        assert_eq!(
            row["status"]["kind"], "inconclusive",
            "`{kind}` {check}: {row}"
        );
        let reason = row["status"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("right after a 2xx create") || reason.contains("not JSON"),
            "`{kind}` {check}: {reason}"
        );
    }
    assert!(
        results(&report)
            .iter()
            .any(|r| r["status"]["kind"] == "passed" && r["cases_run"].as_u64() > Some(0)),
        "`{kind}`: no check ran: {}",
        report["results"]
    );
    assert!(
        report["fit"][0]["lines"]
            .as_array()
            .is_some_and(|lines| lines.iter().any(|l| l["agrees"] == false)),
        "`{kind}`: the fit probe says what disagrees: {}",
        report["fit"]
    );
}

#[test]
fn weird_api_text_body() {
    assert_odd_but_correct("text");
}

#[test]
fn weird_api_binary_body() {
    assert_odd_but_correct("binary");
}

#[test]
fn weird_api_huge_body() {
    assert_odd_but_correct("huge");
}

#[test]
fn weird_api_redirect() {
    assert_odd_but_correct("redirect");
}

/// The response of the first exchange (the creating PUT) of the first status-conformance error.
fn creating_put_response(report: &Value, kind: &str) -> Value {
    let finding = findings(report)
        .iter()
        .find(|f| f["check"] == "status-conformance" && f["severity"] == "error")
        .unwrap_or_else(|| {
            panic!(
                "`{kind}`: PUT create answering 200 must be a status-conformance error:\n{}",
                finding_lines(report)
            )
        });
    let exchange = finding["exchanges"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|x| x["request"]["method"] == "PUT" && x["response"]["status"] == 200)
        })
        .unwrap_or_else(|| panic!("`{kind}`: no PUT → 200 in the finding: {finding}"));
    exchange["response"].clone()
}

#[test]
fn odd_bodies_inside_findings_are_recorded_not_mangled() {
    // text: kept as text, verbatim.
    let (out, report) = run_weird("bad-text", &["--checks", "status-conformance"]);
    assert_eq!(out.code(), 1, "{}", out.context());
    let response = creating_put_response(&report, "bad-text");
    assert_eq!(response["body"]["kind"], "text", "{response}");
    assert_eq!(response["body"]["truncated"], false, "{response}");
    assert!(
        response["body"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("thing idf-") && t.contains("this is not JSON")),
        "{response}"
    );

    // binary: size and hex prefix only.
    let (out, report) = run_weird("bad-binary", &["--checks", "status-conformance"]);
    assert_eq!(out.code(), 1, "{}", out.context());
    let response = creating_put_response(&report, "bad-binary");
    assert_eq!(response["body"]["kind"], "binary", "{response}");
    assert!(
        response["body"]["prefix_hex"]
            .as_str()
            .is_some_and(|h| h.starts_with("fffe000180c328")),
        "{response}"
    );
    assert_eq!(response["body"]["len"], response["body_len"], "{response}");

    // huge: cut at 1 MiB, the real size still known; the report stays bounded.
    let (out, report) = run_weird("bad-huge", &["--checks", "status-conformance"]);
    assert_eq!(out.code(), 1, "{}", out.context());
    let response = creating_put_response(&report, "bad-huge");
    assert_eq!(response["body_len"], support::HUGE_BODY, "{response}");
    assert_eq!(response["body"]["kind"], "text");
    assert_eq!(response["body"]["truncated"], true);
    let kept = response["body"]["text"].as_str().unwrap().len();
    assert!(
        kept <= 1024 * 1024,
        "the recorded body is {kept} bytes, more than 1 MiB"
    );
    assert!(
        out.stdout.len() < 16 * support::HUGE_BODY,
        "the JSON report is {} bytes",
        out.stdout.len()
    );
}

#[test]
fn weird_api_endpoint_that_never_answers() {
    let (out, report) = run_weird("slow", &[]);
    // The PUTs and DELETEs of this API are correct; every GET of an item times out. Nothing
    // can be judged from a timeout, so there is no finding at all, and the run is not a pass.
    assert!(
        findings(&report).is_empty(),
        "a timeout was reported as a finding:\n{}",
        finding_lines(&report)
    );
    assert_eq!(out.code(), 3, "timeouts: cannot test\n{}", out.context());
    assert!(report["stats"]["transport_errors"].as_u64().unwrap_or(0) >= 1);
    let errored: Vec<&Value> = results(&report)
        .iter()
        .filter(|r| r["status"]["kind"] == "errored")
        .collect();
    assert!(
        !errored.is_empty(),
        "checks whose GETs timed out must be `errored`: {}",
        report["results"]
    );
    for row in errored {
        assert!(
            row["status"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("timed out")),
            "an errored row must say the request timed out: {row}"
        );
        assert_eq!(row["errors"], 0, "{row}");
        assert_eq!(row["warnings"], 0, "{row}");
    }
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
    assert_ne!(
        with_auth, text,
        "demo.toml changed: the header was not inserted"
    );
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
    assert_no_secret(SECRET, &out, &[&json_path, &junit_path]);
    let report = read_json(&json_path);
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

    // The transport-error path leaks nothing either.
    let dead = format!("http://127.0.0.1:{}", dead_port());
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
    out.assert_code(3, "unreachable target with a secret header");
    assert_no_secret(SECRET, &out, &[&junit_path]);
}

fn assert_no_secret(secret: &str, out: &support::Out, files: &[&Path]) {
    let mut texts = vec![
        ("stdout".to_string(), out.stdout.clone()),
        ("stderr".to_string(), out.stderr.clone()),
    ];
    for file in files {
        texts.push((file.display().to_string(), read(file)));
    }
    for (name, text) in texts {
        let leaks: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(secret))
            .take(5)
            .collect();
        assert!(
            leaks.is_empty(),
            "the secret leaked into {name} ({}):\n{}",
            out.args,
            leaks.join("\n")
        );
    }
}

/// A password in the base URL (`http://user:PASSWORD@host`) would end up in every recorded URL
/// and curl reproduction, so it is refused up front — from the command line, the environment
/// or the file — without printing it and without sending anything.
#[test]
fn base_url_credentials_are_refused_without_printing_them() {
    const PASSWORD: &str = "pw-idemfuzz-test-9d2b7c41";
    // Counts requests; never dies.
    let server = DyingDemo::start(usize::MAX);
    let with_creds = server
        .url()
        .replacen("http://", &format!("http://user:{PASSWORD}@"), 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("r.json");
    let report_args = [
        "--seed",
        "7",
        "--cases",
        "1",
        "--no-progress",
        "--color",
        "never",
        "--report",
    ];
    let json_arg = format!("json:{}", json_path.display());

    // --base-url
    let mut args = vec!["run", "scenarios/demo.toml", "--base-url", &with_creds];
    args.extend_from_slice(&report_args);
    args.push(&json_arg);
    let out = run(&args);
    out.assert_code(2, "credentials in --base-url");
    assert_no_secret(PASSWORD, &out, &[]);
    assert!(
        out.stderr.contains("credentials") && out.stderr.contains("[target.headers]"),
        "the error must say why and what to do instead:\n{}",
        out.stderr
    );
    assert!(!json_path.exists(), "a usage error writes no report");

    // IDEMFUZZ_BASE_URL
    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_BASE_URL", &with_creds);
    let mut args = vec!["run", "scenarios/demo.toml"];
    args.extend_from_slice(&report_args);
    args.push(&json_arg);
    let out = run_cmd(cmd, &args);
    out.assert_code(2, "credentials in IDEMFUZZ_BASE_URL");
    assert_no_secret(PASSWORD, &out, &[]);

    // [target] base_url in the file
    let text = std::fs::read_to_string(support::root().join("scenarios/demo.toml"))
        .expect("read demo.toml");
    let with_url = text.replacen(
        "timeout = \"5s\"\n",
        &format!("timeout = \"5s\"\nbase_url = \"{with_creds}\"\n"),
        1,
    );
    assert_ne!(
        with_url, text,
        "demo.toml changed: base_url was not inserted"
    );
    let path = write_file(dir.path(), "creds.toml", &with_url);
    let path = path.display().to_string();
    let mut args = vec!["run", path.as_str()];
    args.extend_from_slice(&report_args);
    args.push(&json_arg);
    let out = run(&args);
    out.assert_code(2, "credentials in the file's base_url");
    let first = out.stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!("{path}:")) && !first.contains(PASSWORD),
        "the located error must name the file and mask the password: {first}"
    );

    assert_eq!(
        server.requests_seen(),
        0,
        "a refused base URL must not be contacted"
    );
}

/// The located error for a base URL with credentials masks them in its message, but the source
/// excerpt under it reprints the file's line, password included (stderr ends up in CI logs).
#[test]
fn base_url_credentials_in_a_file_are_not_reprinted_in_the_excerpt() {
    const PASSWORD: &str = "pw-idemfuzz-test-0c77e1d5";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "creds.toml",
        &format!(
            "[target]\nbase_url = \"http://user:{PASSWORD}@127.0.0.1:9\"\n\n\
             [resources.things]\ncollection = \"/things\"\nitem = \"/things/{{id}}\"\n\n\
             [resources.things.body]\nname = {{ gen = \"string\" }}\n"
        ),
    );
    let out = run(["check", &path.display().to_string()]);
    out.assert_code(2, "credentials in the file's base_url");
    assert_no_secret(PASSWORD, &out, &[]);
}

/// A server that echoes the request's credentials in a response body (debug endpoints, error
/// pages) must not make idemfuzz print them: the value is known (it came from the environment),
/// so it can be scrubbed from recorded bodies.
#[test]
fn secrets_echoed_by_the_server_are_scrubbed() {
    const SECRET: &str = "s3cr3t-idemfuzz-echo-71b0d2e9";
    let server = Served::start(weird_router());
    let dir = tempfile::tempdir().expect("tempdir");
    let text = weird_scenario("bad-echo").replacen(
        "timeout = \"1s\"\n",
        "timeout = \"1s\"\nheaders = { Authorization = \"Bearer ${IDEMFUZZ_TEST_TOKEN}\" }\n",
        1,
    );
    let path = write_file(dir.path(), "echo.toml", &text);
    let junit_path = dir.path().join("r.xml");
    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_TEST_TOKEN", SECRET);
    let out = run_cmd(
        cmd,
        [
            "run",
            &path.display().to_string(),
            "--base-url",
            &server.url(),
            "--checks",
            "status-conformance",
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
    out.assert_code(1, "PUT create answering 200 is a finding");
    assert_no_secret(SECRET, &out, &[&junit_path]);
}
