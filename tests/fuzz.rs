//! The sequence fuzzer against the real demo API over real HTTP: it finds each bug that only a
//! sequence exposes within a small budget and shrinks it to its known minimal length, finds
//! nothing on the clean API with the same budget, replays saved failures (exit 1 while the bug
//! is there, 0 once it is fixed), and a fixed seed sends the same requests.

mod support;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
use serde_json::Value;
use support::{Demo, Out, Served, findings, result_row, run, scenario};

/// Seeds whose first dozen generated sequences contain each planted pattern (generation is
/// deterministic, so these stay valid until the generator changes).
const CASES: &str = "12";

/// `fuzz demo.toml` against `url` with a JSON report on stdout.
fn fuzz(url: &str, seed: &str, failures: &std::path::Path, extra: &[&str]) -> Out {
    let failures = failures.display().to_string();
    let mut args = vec![
        "fuzz",
        &scenario("demo.toml"),
        "--base-url",
        url,
        "--seed",
        seed,
        "--concurrency",
        "1",
        "--failures-dir",
        &failures,
        "--format",
        "json",
        "--no-progress",
    ]
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    if !extra.contains(&"--cases") {
        args.extend(["--cases".to_string(), CASES.to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    run(args)
}

/// The fuzz findings of a report.
fn fuzz_findings(report: &Value) -> Vec<&Value> {
    findings(report)
        .iter()
        .filter(|f| f["check"] == "fuzz" && f["severity"] == "error")
        .collect()
}

/// Finds `bug` with `seed`, checks the minimal repro, and returns the saved failure file.
fn finds_and_shrinks(
    bug: &str,
    seed: &str,
    rule: (&str, &str),
    minimal: (usize, usize),
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let demo = Demo::start(bug);
    let out = fuzz(demo.url(), seed, dir, &[]);
    out.assert_code(1, &format!("fuzz must find `{bug}`"));
    let report = out.json();
    let found = fuzz_findings(&report);
    assert_eq!(
        found.len(),
        1,
        "one finding per broken rule\n{}",
        out.context()
    );
    let detail = &found[0]["fuzz"];
    assert_eq!(
        (detail["relation"].as_str(), detail["rule"].as_str()),
        (Some(rule.0), Some(rule.1)),
        "{detail}"
    );
    let steps = detail["repro"]["steps"].as_array().map_or(0, Vec::len);
    assert_eq!(
        (steps, detail["failing_len"].as_u64().unwrap_or(0) as usize),
        minimal,
        "`{bug}` must shrink to its minimal sequence: {detail}"
    );
    assert!(detail["shrink_stopped"].is_null(), "{detail}");
    assert!(
        out.stderr.contains("fuzz: saved failure"),
        "{}",
        out.context()
    );
    let saved: Vec<_> = std::fs::read_dir(dir)
        .expect("failures dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    saved[0].clone()
}

#[test]
fn post_put_merge_is_found_shrunk_saved_and_replayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = finds_and_shrinks(
        "post-put-merge",
        "3",
        ("per-step", "put-replaces"),
        (2, 2),
        dir.path(),
    );
    let text = std::fs::read_to_string(&file).expect("saved failure");
    assert!(
        text.contains("\"op\": \"post\"") && text.contains("\"partial\": true"),
        "{text}"
    );

    let buggy = Demo::start("post-put-merge");
    let clean = Demo::start("none");
    let replay = |url: &str| {
        run([
            "replay",
            &file.display().to_string(),
            "--base-url",
            url,
            "--no-progress",
        ])
    };
    replay(buggy.url()).assert_code(1, "the saved failure still fails on the buggy API");
    replay(clean.url()).assert_code(0, "the saved failure passes on the clean API");

    // A later fuzz run replays the saved failure before generating anything: one generated
    // case with another seed is not needed to catch the regression.
    let again = fuzz(buggy.url(), "99", dir.path(), &["--cases", "1"]);
    again.assert_code(1, "the saved failure is replayed first");
    assert!(
        again.stderr.contains("replaying 1 saved failure(s)"),
        "{}",
        again.context()
    );
    let report = again.json();
    let replayed = fuzz_findings(&report);
    assert!(
        replayed
            .iter()
            .any(|f| f["fuzz"]["replayed_from"].as_str().is_some()),
        "{}",
        again.context()
    );
}

/// `detected_after_requests` counts the run's requests up to the first failure of the failing
/// case, before confirmation and shrinking: more than the earlier cases alone send, fewer than
/// the whole run; the same for the same seed; and `detected_after_ms` lies within the run.
#[test]
fn the_detection_cost_counts_requests_up_to_the_first_failure() {
    let demo = Demo::start("post-put-merge");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = fuzz(demo.url(), "3", dir.path(), &["--no-saved-failures"]);
    out.assert_code(1, "fuzz must find `post-put-merge`");
    let report = out.json();
    let found = fuzz_findings(&report);
    assert_eq!(found.len(), 1, "{}", out.context());
    let detail = &found[0]["fuzz"];
    let detected = detail["detected_after_requests"].as_u64().unwrap_or(0);
    let total = report["stats"]["requests"].as_u64().unwrap_or(0);
    assert!(0 < detected && detected < total, "{detected} of {total}");
    let ms = detail["detected_after_ms"].as_u64();
    assert!(
        ms.is_some_and(|ms| ms <= report["duration_ms"].as_u64().unwrap_or(0)),
        "{detail}"
    );
    let case = found[0]["case"].as_u64().unwrap_or(0);
    assert!(case >= 1, "{}", found[0]);

    let before = (case - 1).to_string();
    let earlier = fuzz(
        demo.url(),
        "3",
        dir.path(),
        &["--no-saved-failures", "--cases", &before],
    );
    let earlier_report = earlier.json();
    assert!(
        fuzz_findings(&earlier_report).is_empty(),
        "{}",
        earlier.context()
    );
    let sent_before = earlier_report["stats"]["requests"].as_u64().unwrap_or(0);
    assert!(sent_before < detected, "{sent_before} before, {detected}");

    let upto = case.to_string();
    let again = fuzz(
        demo.url(),
        "3",
        dir.path(),
        &["--no-saved-failures", "--cases", &upto],
    );
    let again_report = again.json();
    let again_found = fuzz_findings(&again_report);
    assert_eq!(
        again_found
            .first()
            .map(|f| &f["fuzz"]["detected_after_requests"]),
        Some(&detail["detected_after_requests"]),
        "same seed, same detection cost\n{}",
        again.context()
    );
}

#[test]
fn tombstone_revive_is_found_and_shrunk_to_four_steps() {
    let dir = tempfile::tempdir().expect("temp dir");
    finds_and_shrinks(
        "tombstone-revive",
        "4",
        ("per-step", "put-replaces"),
        (4, 4),
        dir.path(),
    );
}

#[test]
fn read_bump_is_found_by_a_relation_and_shrunk_to_three_steps() {
    let dir = tempfile::tempdir().expect("temp dir");
    finds_and_shrinks(
        "read-bump",
        "3",
        ("insert-safe", "final-state"),
        (3, 3),
        dir.path(),
    );
}

#[test]
fn the_clean_api_passes_with_the_same_budgets() {
    let clean = Demo::start("none");
    for seed in ["3", "4"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = fuzz(clean.url(), seed, dir.path(), &[]);
        out.assert_code(0, "nothing to find on the clean API");
        let report = out.json();
        assert!(findings(&report).is_empty(), "{}", out.context());
        let row = result_row(&report, "fuzz", "things");
        assert_eq!(row["status"]["kind"], "passed", "{row}");
        assert_eq!(row["cases_run"], 12, "{row}");
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(0),
            0,
            "nothing saved"
        );
    }
}

/// The requests a server received, as `METHOD PATH BODY` lines.
type Log = Arc<Mutex<Vec<String>>>;

async fn record(log: Log, request: Request, next: Next) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let line = format!(
        "{} {} {} {}",
        parts.method,
        parts.uri.path(),
        parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-"),
        String::from_utf8_lossy(&bytes)
    );
    if let Ok(mut lines) = log.lock() {
        lines.push(line);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The requests one `fuzz` run sends to a fresh clean demo, with the run id replaced.
fn requests_of_a_run(seed: &str) -> Vec<String> {
    let log: Log = Arc::default();
    let tap = log.clone();
    let router = idemfuzz::demo::router(idemfuzz::demo::BugSet::none()).layer(middleware::from_fn(
        move |req, next| record(tap.clone(), req, next),
    ));
    let served = Served::start(router);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = fuzz(&served.url(), seed, dir.path(), &["--cases", "4"]);
    out.assert_code(0, "clean API");
    let run_id = out.json()["run_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!run_id.is_empty());
    let lines = log.lock().map(|l| l.clone()).unwrap_or_default();
    // Bodies carry the run marker, made of the run id: replaced first.
    let marker = idemfuzz::session::marker::text(&run_id);
    lines
        .iter()
        .map(|l| l.replace(&marker, "MARKER").replace(&run_id, "RUN"))
        .collect()
}

#[test]
fn a_fixed_seed_sends_the_same_requests() {
    let first = requests_of_a_run("5");
    let second = requests_of_a_run("5");
    assert!(first.len() > 50, "{} requests", first.len());
    assert_eq!(first, second, "same seed, same requests");
    assert_ne!(
        first,
        requests_of_a_run("6"),
        "another seed, other requests"
    );
}

#[test]
fn a_time_budget_bounds_the_run_and_says_so() {
    let clean = Demo::start("none");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = fuzz(
        clean.url(),
        "1",
        dir.path(),
        &["--cases", "1000000", "--time-budget", "2s"],
    );
    out.assert_code(0, "a bounded run on the clean API");
    let report = out.json();
    let row = result_row(&report, "fuzz", "things");
    let ran = row["cases_run"].as_u64().unwrap_or(0);
    assert!((1..1_000_000).contains(&ran), "{row}");
    assert!(
        row["notes"]
            .to_string()
            .contains("time budget (2s) ran out"),
        "{row}"
    );
}

#[test]
fn bad_fuzz_input_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = |extra: &[&str]| fuzz("http://127.0.0.1:9", "1", dir.path(), extra);
    let out = bad(&["--time-budget", "soon"]);
    out.assert_code(2, "bad duration");
    assert!(out.stderr.contains("--time-budget"), "{}", out.context());
    bad(&["--checks", "repeat-put"]).assert_code(2, "fuzz runs only the fuzz check");
    bad(&["--max-steps", "0"]).assert_code(2, "no steps");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"format_version\": 1,\n  oops\n}\n").expect("write");
    let out = run([
        "replay",
        &broken.display().to_string(),
        "--base-url",
        "http://127.0.0.1:9",
    ]);
    out.assert_code(2, "a malformed saved failure");
    assert!(
        out.stderr.contains("broken.json:3: error:"),
        "{}",
        out.context()
    );
    let out = bad(&[]);
    out.assert_code(2, "a malformed file in the failures dir stops fuzz too");
}

/// A server whose PUT merges until a merged state is first read back, and replaces from then
/// on: the first failure anyone sees can never be seen again.
fn merges_once_router() -> axum::Router {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::routing::get;
    use serde_json::Map;

    #[derive(Default)]
    struct Store {
        items: std::collections::BTreeMap<String, Map<String, Value>>,
        merged: std::collections::BTreeSet<String>,
        seen: bool,
    }
    type Shared = Arc<Mutex<Store>>;

    async fn put(
        State(store): State<Shared>,
        Path(id): Path<String>,
        axum::Json(body): axum::Json<Map<String, Value>>,
    ) -> (StatusCode, axum::Json<Value>) {
        let mut store = store.lock().expect("lock");
        let merge_now = !store.seen
            && store
                .items
                .get(&id)
                .is_some_and(|old| old.keys().any(|k| !body.contains_key(k)));
        let created = !store.items.contains_key(&id);
        if !merge_now {
            store.merged.remove(&id);
        }
        let next = if merge_now {
            store.merged.insert(id.clone());
            let mut merged = store.items.get(&id).cloned().unwrap_or_default();
            merged.extend(body);
            merged
        } else {
            body
        };
        store.items.insert(id.clone(), next.clone());
        let mut shown = next;
        shown.insert("id".into(), Value::String(id));
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, axum::Json(Value::Object(shown)))
    }

    async fn read(
        State(store): State<Shared>,
        Path(id): Path<String>,
    ) -> Result<axum::Json<Value>, StatusCode> {
        let mut store = store.lock().expect("lock");
        if store.merged.contains(&id) {
            store.seen = true;
        }
        let mut item = store.items.get(&id).cloned().ok_or(StatusCode::NOT_FOUND)?;
        item.insert("id".into(), Value::String(id));
        Ok(axum::Json(Value::Object(item)))
    }

    async fn delete(State(store): State<Shared>, Path(id): Path<String>) -> StatusCode {
        let mut store = store.lock().expect("lock");
        store.merged.remove(&id);
        match store.items.remove(&id) {
            Some(_) => StatusCode::NO_CONTENT,
            None => StatusCode::NOT_FOUND,
        }
    }

    async fn list(State(store): State<Shared>) -> axum::Json<Value> {
        let store = store.lock().expect("lock");
        let items: Vec<Value> = store
            .items
            .iter()
            .map(|(id, item)| {
                let mut item = item.clone();
                item.insert("id".into(), Value::String(id.clone()));
                Value::Object(item)
            })
            .collect();
        axum::Json(serde_json::json!({ "items": items }))
    }

    axum::Router::new()
        .route("/t", get(list))
        .route("/t/{id}", get(read).put(put).delete(delete))
        .with_state(Shared::default())
}

#[test]
fn a_failure_that_does_not_reproduce_is_reported_as_flaky_not_as_a_violation() {
    let served = Served::start(merges_once_router());
    let dir = tempfile::tempdir().expect("temp dir");
    let file = support::write_file(
        dir.path(),
        "once.toml",
        "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nitems = \"/items\"\nmethods = [\"GET\", \"PUT\", \"DELETE\"]\nrequired = [\"name\"]\ndetect_volatile = false\n[resources.t.body]\nname = { gen = \"string\", chars = \"alnum\", min_len = 1, max_len = 6 }\nsize = { gen = \"int\", min = 1, max = 9 }\n",
    );
    let failures = dir.path().join("failures");
    let out = run([
        "fuzz",
        &file.display().to_string(),
        "--base-url",
        &served.url(),
        "--seed",
        "1",
        "--cases",
        "30",
        "--concurrency",
        "1",
        "--failures-dir",
        &failures.display().to_string(),
        "--format",
        "json",
        "--no-progress",
    ]);
    out.assert_code(0, "a flaky failure never fails the run");
    let report = out.json();
    let flaky: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["fuzz"]["flaky"] == true)
        .collect();
    assert_eq!(flaky.len(), 1, "{}", out.context());
    assert_eq!(flaky[0]["severity"], "info");
    assert!(
        flaky[0]["title"]
            .as_str()
            .unwrap_or("")
            .starts_with("flaky:"),
        "{}",
        flaky[0]
    );
    assert!(
        findings(&report).iter().all(|f| f["severity"] == "info"),
        "{}",
        out.context()
    );
    assert!(!failures.exists(), "a flaky failure is not saved");
}
