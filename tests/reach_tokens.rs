//! Version tokens in bodies end to end (issue 16 item 5, issue 15 item 5): a CouchDB-style
//! document store whose every update must name the current `_rev`, run with the CouchDB recipe
//! of docs/recipes.md. A 409 for a stale or missing token is a precondition failure, never "a
//! PUT of a valid body did not succeed"; real CouchDB's 201 to an update is reported. The
//! recipe's clean run and its planted lost update are in tests/recipes.rs.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, recipe, run_on};
use standins::*;
use support::{findings, result_row};

fn couch(couch: Couch) -> Standin {
    Standin::builder(couch)
        .seed(Seed::numbered("idemfuzz", 3))
        .start()
}

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
fn updates_answered_201_as_real_couchdb_does_are_caught() {
    let api = couch(Couch::with_bug(CouchBug::Update201));
    let out = run_couch(&api, &recipe("couchdb"), &["status-conformance"]);
    assert_caught(&out, "status-conformance", "put-update-201", "Update201");
}

#[test]
fn a_409_for_a_stale_token_is_a_failed_precondition_not_a_failed_write() {
    // Without `version.answer`, a write that follows another write (no read between) carries
    // the stale token of the last read: CouchDB answers 409, which is judged as the failed
    // precondition it is (RFC 9110 §13.2.1), never as "a valid write did not succeed".
    let api = couch(Couch::correct());
    let scenario = recipe("couchdb").replace("answer = \"/rev\"", "");
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
        assert_eq!(row["status"]["kind"], "inconclusive", "never a pass: {row}");
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
    let scenario = recipe("couchdb").replace(
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
