//! Honest verdicts on the stand-in panel (issue 15, part A): each correct variant gives no error
//! or warning finding that is not a real deviation, and a check that could not observe what it
//! judges is `inconclusive` with its reason, never `passed`; each buggy variant is caught by the
//! right check. Real servers on 127.0.0.1, the real binary.

mod standins;
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use standins::*;
use support::*;

const BODY: &str = r#"[resources.r.body]
name = { gen = "string", min_len = 1, max_len = 20 }
color = { gen = "one_of", values = ["red", "green", "blue"] }
size = { gen = "int", min = 1, max = 100 }
tags = { gen = "array", items = { gen = "string", chars = "alnum", min_len = 1, max_len = 6 }, max_len = 3 }
"#;

const GENERIC: &str = r#"collection = "/things"
item = "/things/{id}"
create = "put"
post_id = "location"
items = "/items"
etags = true
required = ["name"]"#;

const DRF: &str = r#"collection = "/items/"
item = "/items/{id}/"
create = "post"
post_id = "/id"
items = "/results"
required = ["name"]
methods = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]"#;

const FASTAPI: &str = r#"collection = "/items"
item = "/items/{id}"
create = "post"
post_id = "/id"
items = ""
required = ["name"]
methods = ["GET", "HEAD", "PUT", "DELETE"]"#;

const JSON_SERVER: &str = r#"collection = "/items"
item = "/items/{id}"
create = "post"
post_id = "/id"
items = ""
required = ["name"]
methods = ["GET", "HEAD", "PUT", "PATCH", "DELETE"]
patch = "merge""#;

const COUCH: &str = r#"collection = "/idemfuzz"
item = "/idemfuzz/{id}"
create = "put"
items = "/rows"
id_field = "/id"
required = ["name"]
ignore = ["/_rev"]
etags = true"#;

const HTTPBIN: &str = r#"collection = "/anything/things"
item = "/anything/things/{id}"
create = "put"
items = ""
required = ["name"]"#;

/// A DRF page size that shows every item on the first page: following pagination is issue 16's
/// (idemfuzz reads the first page only), not what these tests are about.
const UNPAGED: usize = 1000;

/// Findings a correct variant may show because they are true: a 201 without `Location` (a
/// SHOULD of RFC 9110 §15.3.2, which DRF, FastAPI and json-server break).
const TRUE_ON_CORRECT: &[&str] = &["post-no-location"];

/// Runs every check but fuzz (or `extra`) against `api` with the resource `resource`.
fn run_against(api: &Standin, resource: &str, extra: &[&str]) -> (Out, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!("[target]\ntimeout = \"5s\"\n\n[resources.r]\n{resource}\n\n{BODY}");
    let path = write_file(dir.path(), "s.toml", &text);
    let mut args = vec!["--seed", "1"];
    args.extend_from_slice(extra);
    let out = run_json(path.to_str().expect("utf-8 path"), &api.base_url(), &args);
    out.assert_no_panic();
    let report = out.json();
    (out, report)
}

/// The error and warning findings that are not known to be true on a correct variant.
fn false_alarms(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| severity_rank(f) >= 1)
        .filter(|f| !TRUE_ON_CORRECT.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| format!("{} {}: {}", f["check"], f["rule"], f["title"]))
        .collect()
}

fn assert_no_false_alarm(report: &Value, what: &str) {
    let alarms = false_alarms(report);
    assert!(
        alarms.is_empty(),
        "{what}: findings on a correct variant:\n{}\n{}",
        alarms.join("\n"),
        finding_lines(report)
    );
}

fn status_of(report: &Value, check: &str) -> String {
    result_row(report, check, "r")["status"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn assert_inconclusive(report: &Value, check: &str, reason_has: &str) {
    let row = result_row(report, check, "r");
    assert_eq!(row["status"]["kind"], "inconclusive", "{check}: {row}");
    let reason = row["status"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(reason_has), "{check}: {reason}");
}

fn rules_of(report: &Value, check: &str) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| f["check"] == check && severity_rank(f) >= 1)
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn generic(api: Generic) -> Standin {
    Standin::builder(api)
        .seed(Seed::numbered("things", 3))
        .start()
}

#[test]
fn write_timestamps_are_write_metadata_and_counters_stay_violations() {
    let api = generic(Generic::write_timestamps());
    let (out, report) = run_against(&api, GENERIC, &[]);
    assert_no_false_alarm(&report, "write timestamps");
    out.assert_code(0, "write timestamps are not violations");
    let fit = report["fit"][0]["lines"].to_string();
    assert!(
        fit.contains("write metadata: "),
        "the report notes them: {fit}"
    );

    let api = generic(Generic::write_counters());
    let (out, report) = run_against(&api, GENERIC, &[]);
    out.assert_code(1, "counters on identical writes");
    assert!(
        rules_of(&report, "repeat-put").contains(&"item-changed".to_string()),
        "{}",
        finding_lines(&report)
    );
}

#[test]
fn serialiser_defaults_are_replacement_and_a_merging_put_is_caught() {
    for (api, resource) in [
        (
            Standin::builder(Drf::correct().page_size(UNPAGED))
                .seed(Seed::numbered("items", 3))
                .start(),
            DRF,
        ),
        (
            Standin::builder(FastApi::correct())
                .seed(Seed::numbered("items", 3))
                .start(),
            FASTAPI,
        ),
    ] {
        let (out, report) = run_against(&api, resource, &[]);
        assert_no_false_alarm(&report, resource);
        out.assert_code(0, "a correct serialiser API");
        assert_eq!(status_of(&report, "partial-put"), "passed");
        assert_eq!(status_of(&report, "repeat-delete"), "passed");
        let never_created: Vec<&Value> = report["cleanup"]["left_behind"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["url"].as_str().unwrap_or("").contains("/idf-"))
            .collect();
        assert!(
            never_created.is_empty(),
            "ids never written are not left behind: {never_created:?}"
        );
    }
    let api = Standin::builder(Drf::with_bug(DrfBug::PutMerges).page_size(UNPAGED))
        .seed(Seed::numbered("items", 3))
        .start();
    let (out, report) = run_against(&api, DRF, &[]);
    out.assert_code(1, "a merging PUT");
    assert_eq!(
        rules_of(&report, "partial-put"),
        ["merged"],
        "{}",
        finding_lines(&report)
    );
}

#[test]
fn numeric_ids_reused_after_delete_are_no_collateral_damage() {
    let api = Standin::builder(JsonServer::correct())
        .seed(Seed::numbered("items", 3))
        .start();
    let (_, report) = run_against(&api, JSON_SERVER, &["--checks", "repeat-delete"]);
    assert_no_false_alarm(&report, "json-server");
    assert_eq!(status_of(&report, "repeat-delete"), "passed");
}

#[test]
fn an_api_that_answers_every_id_makes_creation_checks_inconclusive() {
    let api = Standin::builder(Httpbin).start();
    let (out, report) = run_against(&api, HTTPBIN, &[]);
    assert_no_false_alarm(&report, "httpbin");
    out.assert_code(3, "nothing creation-dependent could be judged");
    for check in [
        "repeat-delete",
        "use-after-delete",
        "get-safety",
        "head-parity",
    ] {
        assert_inconclusive(&report, check, "never created");
    }
    for check in ["repeat-put", "partial-put"] {
        assert_ne!(status_of(&report, check), "passed", "{check} on an echo");
    }
}

#[test]
fn an_ignored_body_and_an_unlistable_collection_are_inconclusive() {
    let api = generic(Generic::ignores_body());
    let (out, report) = run_against(&api, GENERIC, &[]);
    assert_no_false_alarm(&report, "ignored body");
    out.assert_code(3, "an ignored body");
    for check in [
        "repeat-put",
        "partial-put",
        "conditional-write",
        "lost-update",
    ] {
        assert_inconclusive(&report, check, "none of the members");
    }

    let api = generic(Generic::unlistable(Listing::Html));
    let (out, report) = run_against(&api, GENERIC, &["--checks", "post-retry"]);
    assert_no_false_alarm(&report, "unlistable");
    out.assert_code(3, "an unlistable collection");
    assert_inconclusive(&report, "post-retry", "");
}

#[test]
fn a_version_token_the_scenario_does_not_send_is_inconclusive_not_a_violation() {
    let api = Standin::builder(Couch::correct()).start();
    let (out, report) = run_against(&api, COUCH, &[]);
    assert_no_false_alarm(&report, "CouchDB");
    out.assert_code(3, "updates need `_rev`");
    for check in [
        "repeat-put",
        "partial-put",
        "repeat-delete",
        "use-after-delete",
    ] {
        assert_inconclusive(&report, check, "version token");
    }
    let fit = report["fit"][0]["lines"].to_string();
    assert!(!fit.contains("does the body template match"), "{fit}");
}

#[test]
fn fuzz_mode_gives_no_false_alarm_on_correct_variants() {
    for (api, resource) in [
        (generic(Generic::correct()), GENERIC),
        (generic(Generic::write_timestamps()), GENERIC),
        (
            Standin::builder(Drf::correct().page_size(UNPAGED))
                .seed(Seed::numbered("items", 3))
                .start(),
            DRF,
        ),
        (
            Standin::builder(FastApi::correct())
                .seed(Seed::numbered("items", 3))
                .start(),
            FASTAPI,
        ),
    ] {
        let (_, report) = run_against(&api, resource, &["--checks", "fuzz"]);
        assert_no_false_alarm(&report, &format!("fuzz on {resource}"));
    }
}

/// A POST that answers 200 (not 201): the id it names is `n{counter}`, or always `pre1` (a
/// resource that existed before the run) when `names_existing`. Records the writes to items.
fn post_200_api(names_existing: bool) -> (Served, Arc<Mutex<Vec<String>>>) {
    use axum::extract::{Path as UrlPath, State};
    use axum::http::StatusCode;
    use axum::routing::get;
    type Store = Arc<Mutex<(u32, BTreeMap<String, Value>)>>;
    let store: Store = Arc::new(Mutex::new((0, BTreeMap::new())));
    if let Ok(mut s) = store.lock() {
        s.1.insert("pre1".into(), json!({"id": "pre1", "name": "kept"}));
    }
    let writes = Arc::new(Mutex::new(Vec::new()));
    let log = writes.clone();
    let list = |State(store): State<Store>| async move {
        let items: Vec<Value> = store
            .lock()
            .map(|s| s.1.values().cloned().collect())
            .unwrap_or_default();
        axum::Json(json!({ "items": items }))
    };
    let post = move |State(store): State<Store>, axum::Json(body): axum::Json<Value>| async move {
        let Ok(mut s) = store.lock() else {
            return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({})));
        };
        s.0 += 1;
        let id = if names_existing {
            "pre1".to_string()
        } else {
            format!("n{}", s.0)
        };
        let mut doc = body;
        doc["id"] = json!(id);
        // An upsert: with `names_existing`, it overwrites `pre1`, which then reads back as
        // what the POST sent; only the listing before the POST tells it is not new.
        s.1.insert(id, doc.clone());
        (StatusCode::OK, axum::Json(doc))
    };
    let get_one = |State(store): State<Store>, UrlPath(id): UrlPath<String>| async move {
        match store.lock().ok().and_then(|s| s.1.get(&id).cloned()) {
            Some(doc) => (StatusCode::OK, axum::Json(doc)),
            None => (StatusCode::NOT_FOUND, axum::Json(json!({}))),
        }
    };
    let put = move |State(store): State<Store>,
                    UrlPath(id): UrlPath<String>,
                    axum::Json(body): axum::Json<Value>| {
        if let Ok(mut w) = log.lock() {
            w.push(format!("PUT {id}"));
        }
        async move {
            let mut doc = body;
            doc["id"] = json!(id);
            let created = store
                .lock()
                .map(|mut s| s.1.insert(id, doc.clone()).is_none())
                .unwrap_or(false);
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, axum::Json(doc))
        }
    };
    let log = writes.clone();
    let delete = move |State(store): State<Store>, UrlPath(id): UrlPath<String>| {
        if let Ok(mut w) = log.lock() {
            w.push(format!("DELETE {id}"));
        }
        async move {
            match store.lock().map(|mut s| s.1.remove(&id)) {
                Ok(Some(_)) => StatusCode::NO_CONTENT,
                _ => StatusCode::NOT_FOUND,
            }
        }
    };
    let router = axum::Router::new()
        .route("/things", get(list).post(post))
        .route("/things/{id}", get(get_one).put(put).delete(delete))
        .with_state(store);
    (Served::start(router), writes)
}

const POST_200: &str = r#"collection = "/things"
item = "/things/{id}"
create = "post"
post_id = "/id"
items = "/items"
required = ["name"]
methods = ["GET", "PUT", "DELETE"]"#;

#[test]
fn a_post_answering_200_is_adopted_only_with_a_new_id() {
    let (served, _) = post_200_api(false);
    let api_url = served.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!("[target]\ntimeout = \"5s\"\n\n[resources.r]\n{POST_200}\n\n{BODY}");
    let path = write_file(dir.path(), "s.toml", &text);
    let args = ["--seed", "1", "--checks", "repeat-put,status-conformance"];
    let out = run_json(path.to_str().expect("utf-8 path"), &api_url, &args);
    let report = out.json();
    assert_eq!(
        status_of(&report, "repeat-put"),
        "passed",
        "{}",
        report["results"]
    );
    assert!(
        rules_of(&report, "status-conformance").contains(&"post-create-not-201".to_string()),
        "status-conformance judges the missing 201: {}",
        finding_lines(&report)
    );

    let (served, writes) = post_200_api(true);
    let out = run_json(path.to_str().expect("utf-8 path"), &served.url(), &args);
    out.assert_no_panic();
    let touched: Vec<String> = writes
        .lock()
        .map(|w| w.iter().filter(|w| w.ends_with(" pre1")).cloned().collect())
        .unwrap_or_default();
    assert!(
        touched.is_empty(),
        "a 200 naming a listed id is not the run's: {touched:?}"
    );
}
