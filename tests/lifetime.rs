//! Ownership has a lifetime: a fresh id is checked free before its first write, and a
//! server-assigned id a case deleted is fenced while the case touches it again — so an API that
//! reuses freed ids (json-server: `max + 1`) gives no false alarm, at the default concurrency
//! and in fuzz mode, and an API that answers for every id is never written to.

mod support;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, Request, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use support::{Served, finding_lines, findings, left_behind_ids, result_row, run_json, write_file};

/// The id-reusing API and its scenario, written to a temporary directory.
fn reusing_api() -> (Served, tempfile::TempDir, String) {
    let server = Served::start(support::reuse::router());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "reuse.toml", support::reuse::SCENARIO);
    (server, dir, path.display().to_string())
}

#[test]
fn the_runs_own_id_reuse_gives_no_false_alarm() {
    let (server, _dir, path) = reusing_api();
    let out = run_json(&path, &server.url(), &["--seed", "1", "--cases", "20"]);
    let report = out.json();
    let alarms: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| {
            f["severity"] == "error"
                || matches!(
                    f["check"].as_str(),
                    Some("repeat-delete" | "use-after-delete" | "head-parity")
                )
        })
        .collect();
    assert!(
        alarms.is_empty(),
        "false alarms from the run's own id reuse:\n{}",
        finding_lines(&report)
    );
    for check in ["repeat-delete", "use-after-delete"] {
        let row = result_row(&report, check, "things");
        assert_eq!(row["status"]["kind"], "passed", "{row}");
        assert_eq!(row["cases_run"], 20, "{row}");
    }
    // Unkeyed POSTs whose answer lost-response-retry left unread: listed, exactly.
    assert_eq!(
        left_behind_ids(&report),
        support::reuse::held_ids(&server.url()),
        "{}",
        report["cleanup"]
    );
}

#[test]
fn fuzz_mode_gives_no_false_alarm_on_reused_ids() {
    let (server, _dir, path) = reusing_api();
    let out = run_json(
        &path,
        &server.url(),
        &["--checks", "fuzz", "--cases", "60", "--seed", "2"],
    );
    out.assert_code(0, "fuzzing an API that reuses ids");
    let report = out.json();
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["severity"] == "info" && !f["title"].to_string().contains("deleted")),
        "false alarms from the run's own id reuse:\n{}",
        finding_lines(&report)
    );
    assert_eq!(
        left_behind_ids(&report),
        support::reuse::held_ids(&server.url()),
        "{}",
        report["cleanup"]
    );
    assert!(
        support::reuse::held_ids(&server.url()).is_empty(),
        "the fuzzer adopts what it creates: {}",
        report["cleanup"]
    );
}

/// Every write the echo API received, as `METHOD PATH`.
type Writes = Arc<Mutex<Vec<String>>>;

/// An API that answers 200 for every id (as httpbin echoes anything) and lists nothing.
fn echo_api(writes: Writes) -> Router {
    Router::new()
        .route(
            "/things",
            get(|| async { axum::Json(json!({"items": []})) }),
        )
        .route(
            "/things/{id}",
            get(|UrlPath(id): UrlPath<String>| async move { axum::Json(json!({ "id": id })) })
                .fallback(
                    |State(writes): State<Writes>, request: Request| async move {
                        let line = format!("{} {}", request.method(), request.uri().path());
                        writes.lock().expect("lock").push(line);
                        axum::Json(json!({})).into_response()
                    },
                ),
        )
        .with_state(writes)
}

#[test]
fn an_api_that_answers_for_every_id_is_never_written_and_cannot_be_judged() {
    let writes = Writes::default();
    let server = Served::start(echo_api(writes.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "echo.toml",
        "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nitems = \"/items\"\nbody = { name = { gen = \"string\" } }\n",
    );
    let out = run_json(
        &path.display().to_string(),
        &server.url(),
        &[
            "--checks",
            "repeat-put,repeat-delete,use-after-delete",
            "--seed",
            "4",
        ],
    );
    out.assert_code(3, "no check can judge an API that answers for every id");
    let report = out.json();
    assert!(findings(&report).is_empty(), "{}", finding_lines(&report));
    let row = result_row(&report, "repeat-put", "things");
    assert_eq!(row["status"]["kind"], "inconclusive", "{row}");
    let reason = row["status"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("answers for ids it never created"), "{row}");
    let writes = writes.lock().expect("lock").clone();
    assert!(
        writes.is_empty(),
        "idemfuzz wrote to ids it never created: {writes:?}"
    );
    assert_eq!(report["cleanup"]["left_behind"], json!([]));
}

/// A client error performs nothing: a write answered 4xx at a URL where nothing of the run
/// existed (an `If-Match: *` PUT to a fresh id answered 412) leaves nothing to clean up. With
/// every check on the demo API, each DELETE goes to a URL where an earlier request succeeded.
#[test]
fn nothing_is_deleted_where_no_request_of_the_run_ever_succeeded() {
    let demo = support::Demo::start("none");
    let out = run_json(
        &support::scenario("demo.toml"),
        demo.url(),
        &["--seed", "4", "--cases", "3"],
    );
    out.assert_no_panic();
    let mut succeeded = std::collections::BTreeSet::new();
    for request in demo.requests() {
        let path = request
            .path
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        if request.method == "DELETE" {
            assert!(
                succeeded.contains(&path),
                "DELETE {path} although no request there had succeeded"
            );
        }
        if (200..300).contains(&request.status) {
            succeeded.insert(path);
        }
    }
}
