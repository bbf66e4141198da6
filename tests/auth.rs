//! `[target.auth]` and `--har` against real servers on 127.0.0.1: a demo API that requires a
//! bearer token, a server that rotates its token mid-run (the token command must be re-run),
//! and an API that echoes credentials back. A wrong or rejected token is "cannot test" (exit 3),
//! never a violation; no secret ever reaches an output, the HAR file included.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use idemfuzz::demo::{DemoOptions, LoggedRequest};
use serde_json::Value;
use support::{
    Demo, Out, Served, finding_lines, findings, idemfuzz, result_row, run_cmd, weird_router,
    weird_scenario, write_file,
};

const TOKEN: &str = "demo-s3cr3t-token-4242";
const WRONG: &str = "wrong-t0ken-9999";
const TENANT: &str = "tenant-hush-7777";

/// The bundled demo scenario with extra `[target]` sub-tables appended.
fn demo_scenario(dir: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(support::root().join("scenarios/demo.toml"))
        .expect("read scenarios/demo.toml");
    write_file(dir, "auth.toml", &format!("{text}\n{extra}\n"))
}

/// The demo scenario with a bearer token from `DEMO_TOKEN` and an `X-Tenant` header from
/// `TENANT`.
fn tenant_scenario(dir: &Path) -> PathBuf {
    demo_scenario(
        dir,
        "[target.auth]\nbearer = \"${DEMO_TOKEN}\"\n[target.headers]\nX-Tenant = \"${TENANT}\"",
    )
}

/// `run FILE --base-url URL --format json` with the variables of `env` set.
fn run_with_env(env: &[(&str, &str)], file: &Path, url: &str, extra: &[&str]) -> Out {
    let mut cmd = idemfuzz();
    for (name, value) in env {
        cmd.env(name, value);
    }
    let file = file.display().to_string();
    let mut args = vec![
        "run",
        &file,
        "--base-url",
        url,
        "--format",
        "json",
        "--no-progress",
        "--seed",
        "5",
    ];
    if !extra.contains(&"--cases") {
        args.extend_from_slice(&["--cases", "1"]);
    }
    args.extend_from_slice(extra);
    run_cmd(cmd, args)
}

/// Findings at warning level or above.
fn violations(report: &Value) -> usize {
    findings(report)
        .iter()
        .filter(|f| f["severity"] != "info")
        .count()
}

#[track_caller]
fn assert_nowhere(secret: &str, out: &Out, files: &[&Path]) {
    assert!(
        !out.stdout.contains(secret) && !out.stderr.contains(secret),
        "the secret {secret:?} was printed\n{}",
        out.context()
    );
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            !text.contains(secret),
            "the secret {secret:?} is in {}",
            file.display()
        );
    }
}

fn token_demo() -> Demo {
    Demo::start_with(DemoOptions {
        require_token: Some(TOKEN.into()),
        ..DemoOptions::default()
    })
}

#[test]
fn a_wrong_token_is_one_clear_line_and_exit_3_never_a_violation() {
    let demo = token_demo();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_scenario(dir.path(), "[target.auth]\nbearer = \"${DEMO_TOKEN}\"");
    let out = run_with_env(&[("DEMO_TOKEN", WRONG)], &file, demo.url(), &[]);
    out.assert_code(3, "a rejected token cannot test")
        .assert_no_panic();
    let report = out.json();
    let reason = report["outcome"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("answered 401")
            && reason.contains("bearer credentials of [target.auth]")
            && !reason.contains('\n'),
        "{reason}"
    );
    assert_eq!(violations(&report), 0, "{}", finding_lines(&report));
    assert_nowhere(WRONG, &out, &[]);

    // Without any credentials: the same, and the line says none are set.
    let plain = support::run_json("scenarios/demo.toml", demo.url(), &["--cases", "1"]);
    plain.assert_code(3, "no credentials cannot test");
    let reason = plain.json()["outcome"]["reason"].to_string();
    assert!(
        reason.contains("none are set: add [target.auth]"),
        "{reason}"
    );
}

#[test]
fn the_right_token_is_sent_everywhere_and_shown_as_its_variable() {
    let demo = Demo::start_with(DemoOptions {
        require_token: Some(TOKEN.into()),
        bugs: "merge-put".parse().expect("bug"),
        ..DemoOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_scenario(dir.path(), "[target.auth]\nbearer = \"${DEMO_TOKEN}\"");
    let out = run_with_env(
        &[("DEMO_TOKEN", TOKEN)],
        &file,
        demo.url(),
        &["--checks", "partial-put,repeat-delete"],
    );
    out.assert_code(1, "the planted merge-put bug is found through auth")
        .assert_no_panic();
    let report = out.json();
    let finding = &findings(&report)[0];
    let repro = finding["repro"].as_str().unwrap_or_default();
    assert!(
        repro.contains(r#"-H "Authorization: Bearer ${DEMO_TOKEN}""#),
        "{repro}"
    );
    assert_nowhere(TOKEN, &out, &[]);
    let requests = demo.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "every request (probe, checks, cleanup) carries the token"
    );
    assert!(requests.iter().any(|r| r.method == "DELETE"));
}

#[test]
fn bearer_env_authenticates_a_file_without_auth() {
    let demo = token_demo();
    let mut cmd = idemfuzz();
    cmd.env("MY_TOKEN", TOKEN);
    let out = run_cmd(
        cmd,
        [
            "run",
            "scenarios/demo.toml",
            "--base-url",
            demo.url(),
            "--format",
            "json",
            "--cases",
            "1",
            "--checks",
            "repeat-put",
            "--bearer-env",
            "MY_TOKEN",
        ],
    );
    out.assert_code(0, "--bearer-env supplies the token");
    assert_nowhere(TOKEN, &out, &[]);
    let unset = support::run_json(
        "scenarios/demo.toml",
        demo.url(),
        &["--bearer-env", "NOT_SET_ANYWHERE"],
    );
    unset.assert_code(2, "an unset --bearer-env variable is a usage error");
    assert!(
        unset.stderr.contains("`NOT_SET_ANYWHERE` is not set"),
        "{}",
        unset.stderr
    );
}

#[test]
fn header_options_authenticate_and_are_redacted_like_target_headers() {
    let demo = Demo::start_with(DemoOptions {
        require_token: Some(TOKEN.into()),
        bugs: "merge-put".parse().expect("bug"),
        ..DemoOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let har = dir.path().join("run.har");
    let har_arg = har.display().to_string();
    let out = run_with_env(
        &[("DEMO_TOKEN", TOKEN)],
        Path::new("scenarios/demo.toml"),
        demo.url(),
        &[
            "--checks",
            "partial-put",
            "-H",
            "Authorization: Bearer ${DEMO_TOKEN}",
            "--header",
            &format!("X-Tenant:{TENANT}"),
            "--har",
            &har_arg,
        ],
    );
    out.assert_code(1, "the planted bug is found through -H credentials")
        .assert_no_panic();
    assert!(
        demo.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "every request carries the -H header"
    );
    let report = out.json();
    let repro = findings(&report)[0]["repro"].as_str().unwrap_or_default();
    assert!(
        repro.contains(r#"-H "Authorization: Bearer ${DEMO_TOKEN}""#),
        "a ${{VAR}} header is shown as written:\n{repro}"
    );
    assert!(
        repro.contains(&format!("-H 'X-Tenant: {TENANT}'")),
        "a literal header whose name is no credential's is shown as it is:\n{repro}"
    );
    assert_nowhere(TOKEN, &out, &[&har]);

    // A literal credential given with -H is redacted as a literal [target.headers] one is.
    let out = run_with_env(
        &[],
        Path::new("scenarios/demo.toml"),
        demo.url(),
        &[
            "--checks",
            "partial-put",
            "-H",
            &format!("Authorization: Bearer {TOKEN}"),
        ],
    );
    out.assert_code(1, "a literal -H token works too");
    let repro = findings(&out.json())[0]["repro"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        repro.contains("# fill in and add: -H 'Authorization: ...'"),
        "{repro}"
    );
    assert_nowhere(TOKEN, &out, &[]);

    // An unset variable is a usage error naming it; the value is never echoed.
    let out = run_with_env(
        &[],
        Path::new("scenarios/demo.toml"),
        demo.url(),
        &["-H", "Authorization: Bearer ${NOT_SET_ANYWHERE}"],
    );
    out.assert_code(2, "an unset -H variable");
    assert!(
        out.stderr
            .contains("-H Authorization: environment variable `NOT_SET_ANYWHERE` is not set"),
        "{}",
        out.context()
    );
}

#[test]
fn basic_credentials_go_on_the_wire_as_base64() {
    let demo = Demo::start("none");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_scenario(
        dir.path(),
        "[target.auth]\nbasic = { user = \"Aladdin\", password = \"${DEMO_PASSWORD}\" }",
    );
    let out = run_with_env(
        &[("DEMO_PASSWORD", "open sesame")],
        &file,
        demo.url(),
        &["--checks", "repeat-put"],
    );
    out.assert_code(0, "basic auth on the clean API");
    assert!(
        demo.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")),
        "basic credentials on every request"
    );
    assert_nowhere("QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &out, &[]);
    assert_nowhere("open sesame", &out, &[]);
}

// ---------------------------------------------------------------------------------------------
// A server whose token changes mid-run

/// The clean demo API behind a token that changes every `every` requests; the current token is
/// written to `token_file` (where a token command can read it).
struct Rotating {
    served: Served,
    rotations: Arc<AtomicU64>,
}

impl Rotating {
    fn start(every: u64, token_file: PathBuf) -> Rotating {
        std::fs::write(&token_file, "rotated-token-0\n").expect("write token");
        let current = Arc::new(Mutex::new("Bearer rotated-token-0".to_string()));
        let seen = Arc::new(AtomicU64::new(0));
        let rotations = Arc::new(AtomicU64::new(0));
        let counter = rotations.clone();
        let router = idemfuzz::demo::router_with(&DemoOptions::default(), None).layer(
            axum::middleware::from_fn(move |request: Request, next: Next| {
                let (current, seen, counter, file) = (
                    current.clone(),
                    seen.clone(),
                    counter.clone(),
                    token_file.clone(),
                );
                async move {
                    let expected = {
                        let mut current = current.lock().expect("lock");
                        if (seen.fetch_add(1, Ordering::SeqCst) + 1) % every == 0 {
                            let generation = counter.fetch_add(1, Ordering::SeqCst) + 1;
                            let token = format!("rotated-token-{generation}");
                            std::fs::write(&file, format!("{token}\n")).expect("rotate");
                            *current = format!("Bearer {token}");
                        }
                        current.clone()
                    };
                    let given = request
                        .headers()
                        .get(header::AUTHORIZATION)
                        .and_then(|v| v.to_str().ok());
                    if given == Some(expected.as_str()) {
                        next.run(request).await
                    } else {
                        StatusCode::UNAUTHORIZED.into_response()
                    }
                }
            }),
        );
        Rotating {
            served: Served::start(router),
            rotations,
        }
    }
}

fn runs_of(file: &Path) -> usize {
    std::fs::read_to_string(file).map_or(0, |t| t.lines().count())
}

#[test]
fn requests_released_together_and_left_unread_carry_the_token_too() {
    let demo = token_demo();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_scenario(dir.path(), "[target.auth]\nbearer = \"${DEMO_TOKEN}\"");
    let har = dir.path().join("run.har");
    let checks = "concurrent-put,concurrent-post-key,lost-response-retry,lost-update";
    let out = run_with_env(
        &[("DEMO_TOKEN", TOKEN)],
        &file,
        demo.url(),
        &["--checks", checks, "--har", &har.display().to_string()],
    );
    out.assert_code(0, "the clean demo API behind a token")
        .assert_no_panic();
    let report = out.json();
    for check in checks.split(',') {
        assert_eq!(
            result_row(&report, check, "things")["status"]["kind"],
            "passed",
            "{check}: {}",
            finding_lines(&report)
        );
    }
    let requests = demo.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "every request, batches and unread ones included, carries the token"
    );
    let doc = read_har(&har);
    assert_eq!(har_problems(&doc), Vec::<String>::new());
    let unread = entries(&doc)
        .iter()
        .filter(|e| {
            e["response"]["status"] == 0
                && e["_error"]
                    .as_str()
                    .is_some_and(|m| m.contains("answer not read"))
        })
        .count();
    assert!(unread >= 4, "the lost responses are in the HAR: {unread}");
    assert_nowhere(TOKEN, &out, &[&har]);
}

#[test]
fn the_token_command_is_re_run_when_the_api_answers_401() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (token, runs) = (dir.path().join("token"), dir.path().join("runs"));
    let server = Rotating::start(20, token.clone());
    let command = format!(
        "echo run >> '{}'; cat '{}'",
        runs.display(),
        token.display()
    );
    let file = demo_scenario(
        dir.path(),
        &format!("[target.auth]\ncommand = \"{command}\""),
    );
    let har = dir.path().join("run.har");
    let out = run_with_env(
        &[],
        &file,
        &server.served.url(),
        &[
            "--checks",
            "repeat-put,repeat-delete,get-safety",
            "--har",
            &har.display().to_string(),
        ],
    );
    out.assert_code(0, "a fresh token from the command keeps the run going")
        .assert_no_panic();
    let rotations = server.rotations.load(Ordering::SeqCst) as usize;
    assert!(rotations >= 2, "the server rotated {rotations} time(s)");
    let runs = runs_of(&runs);
    assert!(
        (2..=rotations + 1).contains(&runs),
        "the command ran {runs} time(s) for {rotations} rotation(s): once at start, once per rotation at most"
    );
    let report = out.json();
    assert_eq!(violations(&report), 0, "{}", finding_lines(&report));
    for generation in 0..=rotations {
        assert_nowhere(&format!("rotated-token-{generation}"), &out, &[&har]);
    }
}

#[test]
fn a_failing_token_command_or_a_rejected_static_token_stops_the_run_as_cannot_test() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (token, runs) = (dir.path().join("token"), dir.path().join("runs"));
    let server = Rotating::start(15, token.clone());
    // Works once, then fails.
    let command = format!(
        "echo run >> '{0}'; test $(wc -l < '{0}') -le 1 && cat '{1}'",
        runs.display(),
        token.display()
    );
    let file = demo_scenario(
        dir.path(),
        &format!("[target.auth]\ncommand = \"{command}\""),
    );
    let out = run_with_env(&[], &file, &server.served.url(), &["--cases", "3"]);
    out.assert_code(3, "the token command failed on 401")
        .assert_no_panic();
    let report = out.json();
    let reason = report["outcome"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("token command of [target.auth]") && reason.contains("failed"),
        "{reason}"
    );
    assert!(
        !reason.contains("wc -l"),
        "the command is never printed: {reason}"
    );
    assert_eq!(violations(&report), 0, "{}", finding_lines(&report));
    assert_eq!(runs_of(&runs), 2);

    let dir = tempfile::tempdir().expect("tempdir");
    let server = Rotating::start(15, dir.path().join("token"));
    let file = demo_scenario(dir.path(), "[target.auth]\nbearer = \"${DEMO_TOKEN}\"");
    let out = run_with_env(
        &[("DEMO_TOKEN", "rotated-token-0")],
        &file,
        &server.served.url(),
        &["--cases", "3"],
    );
    out.assert_code(3, "a static token rejected mid-run")
        .assert_no_panic();
    let report = out.json();
    let reason = report["outcome"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("answered 401 Unauthorized: the credentials were not accepted"),
        "{reason}"
    );
    assert_eq!(violations(&report), 0, "{}", finding_lines(&report));
}

// ---------------------------------------------------------------------------------------------
// HAR

/// Collects the ways a document departs from the HAR 1.2 shape.
#[derive(Default)]
struct Shape(Vec<String>);

impl Shape {
    fn need(&mut self, value: &Value, path: &str, ok: fn(&Value) -> bool) {
        if !ok(value) {
            self.0.push(format!("{path}: {value}"));
        }
    }
}

/// `[{name: string, value: string}, ...]`.
fn is_pairs(value: &Value) -> bool {
    value.as_array().is_some_and(|items| {
        items
            .iter()
            .all(|p| p["name"].is_string() && p["value"].is_string())
    })
}

fn is_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| humantime::parse_rfc3339(s).is_ok() && s.ends_with('Z'))
}

/// Problems of `har` against the HAR 1.2 shape (required members and their types).
fn har_problems(har: &Value) -> Vec<String> {
    let mut shape = Shape::default();
    let log = &har["log"];
    shape.need(&log["version"], "log.version", |v| v == "1.2");
    shape.need(
        &log["creator"]["name"],
        "log.creator.name",
        Value::is_string,
    );
    shape.need(
        &log["creator"]["version"],
        "log.creator.version",
        Value::is_string,
    );
    shape.need(&log["entries"], "log.entries", Value::is_array);
    for (i, entry) in log["entries"].as_array().into_iter().flatten().enumerate() {
        let at = |member: &str| format!("entries[{i}].{member}");
        shape.need(
            &entry["startedDateTime"],
            &at("startedDateTime"),
            is_timestamp,
        );
        shape.need(&entry["time"], &at("time"), |v| {
            v.as_f64().is_some_and(|t| t >= 0.0)
        });
        shape.need(&entry["cache"], &at("cache"), Value::is_object);
        for timing in ["send", "wait", "receive"] {
            shape.need(&entry["timings"][timing], &at(timing), Value::is_number);
        }
        let request = &entry["request"];
        for member in ["method", "url", "httpVersion"] {
            shape.need(&request[member], &at(member), Value::is_string);
        }
        for member in ["headersSize", "bodySize"] {
            shape.need(&request[member], &at(member), Value::is_i64);
        }
        shape.need(&request["cookies"], &at("request.cookies"), Value::is_array);
        shape.need(&request["headers"], &at("request.headers"), is_pairs);
        shape.need(&request["queryString"], &at("queryString"), is_pairs);
        shape.need(&request["postData"], &at("postData"), |v| {
            v.is_null() || (v["mimeType"].is_string() && v["text"].is_string())
        });
        let response = &entry["response"];
        shape.need(&response["status"], &at("status"), Value::is_u64);
        for member in ["statusText", "httpVersion", "redirectURL"] {
            shape.need(&response[member], &at(member), Value::is_string);
        }
        for member in ["headersSize", "bodySize"] {
            shape.need(&response[member], &at(member), Value::is_i64);
        }
        shape.need(
            &response["cookies"],
            &at("response.cookies"),
            Value::is_array,
        );
        shape.need(&response["headers"], &at("response.headers"), is_pairs);
        let content = &response["content"];
        shape.need(&content["size"], &at("content.size"), Value::is_i64);
        shape.need(
            &content["mimeType"],
            &at("content.mimeType"),
            Value::is_string,
        );
        shape.need(&content["text"], &at("content.text"), |v| {
            v.is_null() || v.is_string()
        });
    }
    shape.0
}

fn read_har(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("no HAR file at {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("the HAR is not JSON: {err}"))
}

fn entries(har: &Value) -> &Vec<Value> {
    har["log"]["entries"].as_array().expect("entries")
}

#[test]
fn the_har_file_holds_every_exchange_in_har_1_2_shape_and_no_secret() {
    let demo = Demo::start_with(DemoOptions {
        require_token: Some(TOKEN.into()),
        throttle: Some(idemfuzz::demo::Throttle {
            every: 30,
            retry_after_secs: 0,
        }),
        ..DemoOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let file = tenant_scenario(dir.path());
    let har = dir.path().join("run.har");
    let out = run_with_env(
        &[("DEMO_TOKEN", TOKEN), ("TENANT", TENANT)],
        &file,
        demo.url(),
        &["--har", &har.display().to_string()],
    );
    out.assert_code(0, "the clean demo API with a token")
        .assert_no_panic();
    let doc = read_har(&har);
    assert_eq!(har_problems(&doc), Vec::<String>::new());
    let requests: Vec<LoggedRequest> = demo.requests();
    assert_eq!(
        entries(&doc).len(),
        requests.len(),
        "one entry per request the server received (probe, checks, 429s, cleanup)"
    );
    assert!(
        entries(&doc).iter().any(|e| e["response"]["status"] == 429),
        "throttled answers are in the HAR too"
    );
    assert!(
        entries(&doc)
            .iter()
            .any(|e| e["request"]["method"] == "DELETE")
    );
    for entry in entries(&doc) {
        let auth = entry["request"]["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| {
                h["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
            });
        assert_eq!(
            auth.map(|h| &h["value"]),
            Some(&Value::from("<redacted>")),
            "{entry}"
        );
    }
    assert_nowhere(TOKEN, &out, &[&har]);
    assert_nowhere(TENANT, &out, &[&har]);
}

#[test]
fn echoed_credentials_are_scrubbed_from_the_har_and_the_report() {
    let served = Served::start(weird_router());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(
        dir.path(),
        "echo.toml",
        &format!(
            "{}\n[target.auth]\nbearer = \"${{ECHO_TOKEN}}\"\n",
            weird_scenario("bad-echo")
        ),
    );
    let har = dir.path().join("echo.har");
    let out = run_with_env(
        &[("ECHO_TOKEN", TOKEN)],
        &file,
        &served.url(),
        &[
            "--checks",
            "status-conformance",
            "--har",
            &har.display().to_string(),
        ],
    );
    out.assert_code(1, "bad-echo answers 200 on create")
        .assert_no_panic();
    let doc = read_har(&har);
    assert_eq!(har_problems(&doc), Vec::<String>::new());
    let echoed = entries(&doc)
        .iter()
        .filter(|e| {
            e["response"]["content"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("you_sent"))
        })
        .count();
    assert!(echoed > 0, "the API echoed something back");
    assert_nowhere(TOKEN, &out, &[&har]);
    assert!(
        out.stdout.contains("Bearer ${ECHO_TOKEN}"),
        "the report shows the variable"
    );
}

#[test]
fn the_har_is_written_even_when_the_target_cannot_be_tested() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = dir.path().join("down.har");
    let url = format!("http://127.0.0.1:{}", support::dead_port());
    let out = support::run_json(
        "scenarios/demo.toml",
        &url,
        &["--har", &har.display().to_string()],
    );
    out.assert_code(3, "nobody listens");
    let doc = read_har(&har);
    assert_eq!(har_problems(&doc), Vec::<String>::new());
    let probe = &entries(&doc)[0];
    assert_eq!(probe["response"]["status"], 0);
    assert!(
        probe["_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{probe}"
    );
}

#[test]
fn an_unwritable_har_path_is_a_usage_error() {
    // Nothing is sent: the file is opened before the run starts.
    let out = support::run_json(
        "scenarios/demo.toml",
        "http://127.0.0.1:9",
        &["--har", "/nonexistent-dir/x.har"],
    );
    out.assert_code(2, "cannot create the HAR file");
    assert!(
        out.stderr
            .contains("cannot write the HAR file /nonexistent-dir/x.har"),
        "{}",
        out.stderr
    );
}

#[test]
fn bearer_env_over_an_authorization_header_is_a_usage_error_also_in_a_dry_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_scenario(
        dir.path(),
        "[target.headers]\nAuthorization = \"Bearer ${DEMO_TOKEN}\"",
    );
    let env = [("DEMO_TOKEN", TOKEN), ("MY_TOKEN", TOKEN)];
    let url = format!("http://127.0.0.1:{}", support::dead_port());
    for extra in [
        &["--bearer-env", "MY_TOKEN"][..],
        &["--bearer-env", "MY_TOKEN", "--dry-run"],
    ] {
        let out = run_with_env(&env, &file, &url, extra);
        out.assert_code(2, "--bearer-env replaces [target.auth], not a header")
            .assert_no_panic();
        assert!(
            out.stderr
                .contains("sets Authorization in [target.headers]"),
            "{}",
            out.context()
        );
        assert_nowhere(TOKEN, &out, &[]);
    }
}

/// One request as a server received it: method, path and query, and every header field (name
/// lower-cased, value as received), sorted.
type Received = (String, String, Vec<(String, String)>);

/// The demo API (clean), recording every request's header fields as received.
fn header_recording_demo() -> (Served, Arc<Mutex<Vec<Received>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let router = idemfuzz::demo::router(idemfuzz::demo::BugSet::none()).layer(
        axum::middleware::from_fn(move |request: Request, next: Next| {
            let log = Arc::clone(&log);
            async move {
                let mut fields: Vec<(String, String)> = request
                    .headers()
                    .iter()
                    .map(|(name, value)| {
                        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                        (name.as_str().to_owned(), value)
                    })
                    .collect();
                fields.sort();
                let target = request
                    .uri()
                    .path_and_query()
                    .map_or_else(String::new, ToString::to_string);
                log.lock()
                    .expect("lock")
                    .push((request.method().to_string(), target, fields));
                next.run(request).await
            }
        }),
    );
    (Served::start(router), seen)
}

/// A HAR entry in the shape of [`Received`]; a redacted value stands for any value.
fn as_received(entry: &Value) -> Received {
    let request = &entry["request"];
    let url = request["url"].as_str().expect("url");
    let target = url
        .splitn(4, '/')
        .nth(3)
        .map_or("/".to_owned(), |t| format!("/{t}"));
    let mut fields: Vec<(String, String)> = request["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| {
            let name = h["name"].as_str().expect("name").to_ascii_lowercase();
            (name, h["value"].as_str().expect("value").to_owned())
        })
        .collect();
    fields.sort();
    (
        request["method"].as_str().expect("method").to_owned(),
        target,
        fields,
    )
}

/// Every HAR entry is a request the server received with exactly these header fields
/// (credentials compared by name: their values are redacted), and every received request has
/// its entry — the probe, requests released together, unread (lost) answers and cleanup's
/// DELETEs included.
fn assert_har_matches(doc: &Value, received: Vec<Received>) {
    let redacted = |entry: &Received, got: &Received| {
        entry.0 == got.0
            && entry.1 == got.1
            && entry.2.len() == got.2.len()
            && entry
                .2
                .iter()
                .zip(&got.2)
                .all(|((n1, v1), (n2, v2))| n1 == n2 && (v1 == v2 || v1 == "<redacted>"))
    };
    let mut unmatched = received;
    let total = unmatched.len();
    for entry in entries(doc).iter().map(as_received) {
        let Some(at) = unmatched.iter().position(|got| redacted(&entry, got)) else {
            let same: Vec<&Received> = unmatched
                .iter()
                .filter(|got| got.0 == entry.0 && got.1 == entry.1)
                .collect();
            panic!("HAR entry not received with these fields: {entry:?}\nreceived: {same:?}");
        };
        unmatched.swap_remove(at);
    }
    assert!(
        unmatched.is_empty(),
        "received but not in the HAR: {unmatched:?}"
    );
    assert_eq!(entries(doc).len(), total);
}

#[test]
fn the_har_holds_every_header_field_the_server_received() {
    for version in ["auto", "2"] {
        let (served, received) = header_recording_demo();
        let dir = tempfile::tempdir().expect("tempdir");
        let file = tenant_scenario(dir.path());
        let har = dir.path().join("run.har");
        let out = run_with_env(
            &[("DEMO_TOKEN", TOKEN), ("TENANT", TENANT)],
            &file,
            &served.url(),
            &[
                "--har",
                &har.display().to_string(),
                "--http-version",
                version,
            ],
        );
        out.assert_code(0, "the clean demo API").assert_no_panic();
        let doc = read_har(&har);
        let received = std::mem::take(&mut *received.lock().expect("lock"));
        assert!(
            received.iter().any(|r| r.0 == "DELETE"
                && r.2
                    .iter()
                    .any(|(n, v)| n == "user-agent" && v.starts_with("idemfuzz/"))),
            "cleanup DELETEs carry the default fields"
        );
        assert_har_matches(&doc, received);
        assert_nowhere(TOKEN, &out, &[&har]);
    }
}
