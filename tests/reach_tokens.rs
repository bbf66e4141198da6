//! Version tokens in bodies end to end (issue 16 item 5, issue 15 item 5): a CouchDB-style
//! document store whose every update must name the current `_rev`. With
//! `[resources.NAME.version]` every write carries the latest token, the correct store is clean
//! (a 409 for a stale or missing token is a precondition failure, never "a PUT of a valid body
//! did not succeed"), and a store that accepts a stale `_rev` is caught as a lost update.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, assert_clean, run_on};
use standins::*;
use support::{findings, result_row};

/// The CouchDB scenario (the recipe's): documents created with PUT to client-chosen ids,
/// listed at `_all_docs`, every write with the current `_rev`. Tested below against the
/// CouchDB stand-in; docs/scenarios.md shows it as the version-token example.
pub const COUCHDB_SCENARIO: &str = r#"
[target]
timeout = "5s"

[resources.docs]
collection = "/idemfuzz"                # the database (create it first: PUT /idemfuzz)
item = "/idemfuzz/{id}"
methods = ["GET", "HEAD", "PUT", "DELETE"]
required = ["name"]
ignore = ["/value/rev"]                 # _all_docs rows: {"id", "key", "value": {"rev"}}

[resources.docs.version]
member = "/_rev"                        # GET /idemfuzz/ID answers {"_id", "_rev", …}
answer = "/rev"                         # a write answers {"ok": true, "id", "rev"}

[resources.docs.listing]
path = "/idemfuzz/_all_docs"
items = "/rows"
id = "/id"

[resources.docs.body]
name = { gen = "string", chars = "alnum", min_len = 1, max_len = 12 }
size = { gen = "int", min = 1, max = 100 }
tags = { gen = "array", items = { gen = "string", chars = "alnum", max_len = 6 }, max_len = 3 }
"#;

fn couch(couch: Couch) -> Standin {
    Standin::builder(couch)
        .seed(Seed::numbered("idemfuzz", 3))
        .start()
}

/// Every check that makes sense for a CouchDB database (no POST declared, no
/// Idempotency-Key, no ETags declared).
const COUCH_CHECKS: [&str; 12] = [
    "repeat-put",
    "partial-put",
    "repeat-delete",
    "put-after-delete",
    "use-after-delete",
    "get-safety",
    "head-parity",
    "status-conformance",
    "concurrent-put",
    "lost-response-retry",
    "conditional-write",
    "lost-update",
];

fn run_couch(api: &Standin, scenario: &str, checks: &[&str]) -> support::Out {
    let list = checks.join(",");
    let extra: Vec<&str> = if checks.is_empty() {
        Vec::new()
    } else {
        vec!["--checks", list.as_str()]
    };
    run_on(api, scenario, &extra, &[])
}

#[test]
fn a_couchdb_store_with_revisions_is_clean() {
    let api = couch(Couch::correct());
    let out = run_couch(&api, COUCHDB_SCENARIO, &[]);
    let report = assert_clean(&api, &out, &COUCH_CHECKS, "CouchDB, correct");
    assert!(
        !findings(&report)
            .iter()
            .any(|f| f["rule"] == "stale-version-token"),
        "every write carried the current token"
    );
    let requests = api.requests();
    let doc = |r: &&Logged| r.path().starts_with("/idemfuzz/idf-");
    // Updates carry `_rev`: only the creating PUTs and the deliberate probes are refused.
    let updates: Vec<&Logged> = requests
        .iter()
        .filter(doc)
        .filter(|r| r.method == "PUT" && r.body_text().contains("\"_rev\""))
        .collect();
    assert!(
        updates.iter().filter(|r| r.status == 200).count() >= 10,
        "updates with the current _rev succeed"
    );
    assert!(
        updates.iter().any(|r| r.status == 409),
        "stale-token probes were sent and refused"
    );
    let deletes: Vec<&Logged> = requests
        .iter()
        .filter(doc)
        .filter(|r| r.method == "DELETE")
        .collect();
    assert!(!deletes.is_empty());
    for d in deletes.iter().filter(|r| r.header("if-match").is_none()) {
        eprintln!("NOIFMATCH {}", d.line());
    }
    assert!(
        deletes
            .iter()
            .filter(|r| r.status == 200)
            .all(|r| r.header("if-match").is_some()),
        "a DELETE names the revision in If-Match"
    );
    assert!(deletes.iter().any(|r| r.status == 200));
    assert_eq!(
        api.left_behind(),
        Vec::<(String, String)>::new(),
        "cleanup deleted every document, reading its revision first"
    );
}

#[test]
fn a_store_that_accepts_a_stale_rev_is_caught() {
    let api = couch(Couch::with_bug(CouchBug::StaleRevAccepted));
    let out = run_couch(
        &api,
        COUCHDB_SCENARIO,
        &["lost-update", "conditional-write"],
    );
    assert_caught(&out, "lost-update", "both-succeeded", "StaleRevAccepted");
    let report = assert_caught(
        &out,
        "conditional-write",
        "ignores-version-token",
        "StaleRevAccepted",
    );
    let finding = findings(&report)
        .iter()
        .find(|f| f["rule"] == "ignores-version-token")
        .expect("the finding");
    assert_eq!(finding["severity"], "error");
    assert!(
        finding["expected"]
            .as_str()
            .is_some_and(|e| e.contains("409 or 412")),
        "{finding}"
    );
}

#[test]
fn updates_answered_201_as_real_couchdb_does_are_caught() {
    let api = couch(Couch::with_bug(CouchBug::Update201));
    let out = run_couch(&api, COUCHDB_SCENARIO, &["status-conformance"]);
    assert_caught(&out, "status-conformance", "put-update-201", "Update201");
}

#[test]
fn a_409_for_a_stale_token_is_a_failed_precondition_not_a_failed_write() {
    // Without `version.answer`, a write that follows another write (no read between) carries
    // the stale token of the last read: CouchDB answers 409, which is judged as the failed
    // precondition it is (RFC 9110 §13.2.1), never as "a valid write did not succeed".
    let api = couch(Couch::correct());
    let scenario = COUCHDB_SCENARIO.replace("answer = \"/rev\"", "");
    let out = run_couch(
        &api,
        &scenario,
        &["repeat-delete", "use-after-delete", "status-conformance"],
    );
    out.assert_no_panic();
    let report = out.json();
    let failing: Vec<&serde_json::Value> = findings(&report)
        .iter()
        .filter(|f| support::severity_rank(f) >= 1)
        .collect();
    assert!(failing.is_empty(), "{}", support::finding_lines(&report));
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["rule"] == "stale-version-token" && f["severity"] == "info")
    );
    for check in ["repeat-delete", "use-after-delete"] {
        let row = result_row(&report, check, "docs");
        assert_eq!(row["status"]["kind"], "skipped", "never a pass: {row}");
        assert!(
            row["status"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("version.answer")),
            "{row}"
        );
    }
}

#[test]
fn with_etags_a_refusal_the_missing_token_explains_is_not_a_412_deviation() {
    // CouchDB reads If-Match as the revision: a stale one is 409 (the DELETE would fail
    // without it too, RFC 9110 §13.2.1); a weak one is 400, a real deviation (412 is due).
    let api = couch(Couch::correct());
    let scenario = COUCHDB_SCENARIO.replace(
        "required = [\"name\"]",
        "required = [\"name\"]\netags = true",
    );
    let out = run_couch(&api, &scenario, &["conditional-write", "lost-update"]);
    let report = assert_caught(&out, "conditional-write", "not-412", "weak If-Match");
    let not_412 = findings(&report)
        .iter()
        .find(|f| f["rule"] == "not-412")
        .expect("the finding");
    let observed = not_412["observed"].as_str().unwrap_or("");
    assert!(observed.contains("weak entity tag"), "{observed}");
    assert!(!observed.contains("stale"), "precedence: {observed}");
    assert_eq!(
        result_row(&report, "lost-update", "docs")["status"]["kind"],
        "passed"
    );
}
