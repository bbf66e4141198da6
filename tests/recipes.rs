//! The recipes of docs/recipes.md that no other reach test runs, end to end against their
//! stand-ins: a nested resource (issue 16, item 3) and a CouchDB-style document store with
//! version tokens (issue 16, item 5). The correct stand-in is clean; a planted bug is caught.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, assert_clean, recipe, run_on};
use standins::*;
use support::{findings, result_row};

#[test]
fn a_nested_resource_under_a_parent_of_its_own_is_clean() {
    for (api, what) in [
        (Nested::correct(), "nested, ON DELETE RESTRICT"),
        (Nested::cascade(), "nested, ON DELETE CASCADE"),
    ] {
        let api = Standin::start(api);
        let out = run_on(&api, &recipe("nested"), &[], &[]);
        let report = assert_clean(&api, &out, &[], what);
        for check in [
            "repeat-put",
            "repeat-delete",
            "use-after-delete",
            "put-after-delete",
            "post-retry",
            "get-safety",
        ] {
            let row = result_row(&report, check, "orders");
            assert_eq!(row["status"]["kind"], "passed", "{what}: {row}");
        }
        let requests = api.requests();
        assert!(
            requests
                .iter()
                .filter(
                    |r| r.target.contains("/orders") && matches!(r.method.as_str(), "PUT" | "POST")
                )
                .all(|r| r.status != 404),
            "{what}: every order was written under an existing customer"
        );
    }
}

#[test]
fn orders_left_reachable_under_a_deleted_customer_are_caught() {
    let api = Standin::start(Nested::with_bug(NestedBug::OrphansChildren));
    let out = run_on(
        &api,
        &recipe("nested"),
        &["--checks", "use-after-delete"],
        &[],
    );
    assert_caught(
        &out,
        "use-after-delete",
        "child-2xx-after-parent-delete",
        "OrphansChildren",
    );
}

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

#[test]
fn a_correct_couchdb_store_is_clean() {
    let api = couch(Couch::correct());
    let out = run_on(&api, &recipe("couchdb"), &[], &[]);
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
    assert!(deletes.iter().any(|r| r.status == 200));
    assert!(
        deletes
            .iter()
            .filter(|r| r.status == 200)
            .all(|r| r.header("if-match").is_some()),
        "a DELETE names the revision in If-Match"
    );
    assert_eq!(
        api.left_behind(),
        Vec::<(String, String)>::new(),
        "cleanup deleted every document, reading its revision first"
    );
}

#[test]
fn a_couchdb_store_accepting_any_rev_is_caught() {
    let api = couch(Couch::with_bug(CouchBug::StaleRevAccepted));
    let out = run_on(
        &api,
        &recipe("couchdb"),
        &["--checks", "lost-update,conditional-write"],
        &[],
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
fn a_couchdb_store_that_creates_on_if_match_star_is_caught() {
    // pouchdb-server reads no `If-Match` on a PUT: `If-Match: *` to a fresh id creates it.
    // conditional-write's `*` probes run beside the version token's.
    let api = couch(Couch::with_bug(CouchBug::IfMatchIgnoredOnPut));
    let out = run_on(
        &api,
        &recipe("couchdb"),
        &["--checks", "conditional-write"],
        &[],
    );
    assert_caught(
        &out,
        "conditional-write",
        "if-match-star-created",
        "IfMatchIgnoredOnPut",
    );
    assert_eq!(
        api.left_behind(),
        Vec::<(String, String)>::new(),
        "the documents If-Match: * created were deleted too"
    );
}

#[test]
fn a_couchdb_store_whose_etag_is_no_revision_is_cleaned_with_the_revision() {
    // pouchdb-server's GET answers Express's weak ETag of the body: a DELETE with it as
    // `If-Match` is refused 409 like one without, so the cleanup names the `_rev` the read holds.
    let api = couch(Couch::with_bug(CouchBug::ExpressEtag));
    let out = run_on(
        &api,
        &recipe("couchdb"),
        &["--checks", "repeat-put,concurrent-put"],
        &[],
    );
    assert!(out.code.is_some(), "the run ended: {}", out.stderr);
    assert_eq!(
        api.left_behind(),
        Vec::<(String, String)>::new(),
        "cleanup deleted every document with its revision"
    );
}

#[test]
fn no_child_is_written_when_the_parent_is_not_proven_created() {
    let api = Standin::start(Nested::correct());
    // The customers' POST answers 201, but its id is not where `post_id` says: the case cannot
    // prove it created a customer, so it writes no order anywhere.
    let scenario = recipe("nested").replacen(
        "item = \"/customers/{id}\"\n",
        "item = \"/customers/{id}\"\ncreate = \"post\"\npost_id = \"/no-such-member\"\n",
        1,
    );
    let out = run_on(&api, &scenario, &["--checks", "repeat-put"], &[]);
    out.assert_no_panic();
    let report = out.json();
    let row = result_row(&report, "repeat-put", "orders");
    assert_eq!(row["cases_errored"], 3, "{row}");
    assert!(
        out.stdout
            .contains("the parent `customers` of this case could not be created"),
        "{}",
        out.context()
    );
    assert!(
        !api.requests().iter().any(|r| r.target.contains("/orders")),
        "nothing was sent to an order"
    );
}

#[test]
fn cleanup_after_a_killed_nested_run_deletes_the_children_before_their_parent() {
    // What a killed run of the recipe left: a customer of its own with an order under it, both
    // announced in its ledger. The API refuses to delete a customer that has orders.
    const CUSTOMER: &str = "idf-dead-c0001-p-1";
    const ORDER: &str = "idf-dead-c0001-1";
    let orders = format!("customers/{CUSTOMER}/orders");
    let api = Standin::builder(Nested::correct())
        .seed(Seed::ids("customers", [CUSTOMER]))
        .seed(Seed::ids(&orders, [ORDER]))
        .start();
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("nested.toml");
    std::fs::write(&scenario, recipe("nested")).expect("scenario");
    let base = api.base_url();
    let resource = |name: &str, collection: &str, item: &str| {
        serde_json::json!({
            "scenario": scenario.display().to_string(), "name": name, "base_url": base,
            "collection": format!("{base}{collection}"), "item": item, "items": "/items",
            "id_field": "/id", "deletable": true,
        })
    };
    let lines = [
        serde_json::json!({
            "event": "start", "format": 1, "run_id": "dead", "pid": 1, "started": 0,
            "idemfuzz": "0.1.0",
            "resources": [
                resource("customers", "/customers", "/customers/{id}"),
                resource(
                    "orders",
                    "/customers/%7Bcustomers%7D/orders",
                    "/customers/{customers}/orders/{id}",
                ),
            ],
        }),
        serde_json::json!({
            "event": "may_create", "url": format!("{base}/customers/{CUSTOMER}"),
            "collection": format!("{base}/customers"),
        }),
        serde_json::json!({
            "event": "may_create", "url": format!("{base}/{orders}/{ORDER}"),
            "collection": format!("{base}/{orders}"),
        }),
    ];
    let out = cleanup_dead(dir.path(), &lines, &base);
    out.assert_no_panic()
        .assert_code(0, "the order, then its customer, are deleted");
    let deletes: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| format!("{} {}", r.target, r.status))
        .collect();
    assert_eq!(
        deletes,
        vec![
            format!("/{orders}/{ORDER} 204"),
            format!("/customers/{CUSTOMER} 204")
        ],
        "{}",
        out.context()
    );
}

#[test]
fn cleanup_after_a_killed_couchdb_run_deletes_each_document_with_its_revision() {
    // What a killed run of the recipe left: a document it created and updated, announced in its
    // ledger. A DELETE without the current `_rev` is refused 409.
    // pouchdb-server's ETag is a hash of the body, not the revision: the token must go first.
    for couch in [Couch::correct(), Couch::with_bug(CouchBug::ExpressEtag)] {
        cleanup_a_killed_couchdb_run(couch);
    }
}

fn cleanup_a_killed_couchdb_run(couch: Couch) {
    const DOC: &str = "idf-dead-c0001-1";
    let api = Standin::builder(couch)
        .seed(Seed::ids("idemfuzz", [DOC]))
        .start();
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("couchdb.toml");
    std::fs::write(&scenario, recipe("couchdb")).expect("scenario");
    let base = api.base_url();
    let lines = [
        serde_json::json!({
            "event": "start", "format": 1, "run_id": "dead", "pid": 1, "started": 0,
            "idemfuzz": "0.1.0",
            "resources": [{
                "scenario": scenario.display().to_string(), "name": "docs", "base_url": base,
                "collection": format!("{base}/idemfuzz"), "item": "/idemfuzz/{id}",
                "items": "/rows", "id_field": "/id", "deletable": true,
            }],
        }),
        serde_json::json!({
            "event": "may_create", "url": format!("{base}/idemfuzz/{DOC}"),
            "collection": format!("{base}/idemfuzz"),
        }),
    ];
    let out = cleanup_dead(dir.path(), &lines, &base);
    out.assert_no_panic()
        .assert_code(0, "the document is deleted with its revision");
    let deletes: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| {
            format!(
                "{} {} {}",
                r.target,
                r.status,
                r.header("if-match").is_some()
            )
        })
        .collect();
    assert_eq!(
        deletes.last().map(String::as_str),
        Some(format!("/idemfuzz/{DOC} 200 true").as_str()),
        "{deletes:?}\n{}",
        out.context()
    );
    assert_eq!(
        api.left_behind(),
        Vec::<(String, String)>::new(),
        "{}",
        out.context()
    );
}

/// `idemfuzz cleanup dead --base-url BASE` (the recipes name no `base_url`: the run had it on
/// the command line) after writing `lines` as the ledger of the run `dead` in `dir`.
fn cleanup_dead(dir: &std::path::Path, lines: &[serde_json::Value], base: &str) -> support::Out {
    let ledger: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(dir.join("dead.jsonl"), ledger).expect("ledger");
    let ledger_dir = dir.display().to_string();
    support::run([
        "cleanup",
        "dead",
        "--ledger-dir",
        &ledger_dir,
        "--base-url",
        base,
    ])
}

#[test]
fn pouchdb_server_is_reported_for_its_own_deviations_only() {
    // pouchdb-server 4.2 as the stand-in reproduces it: updates answered 201, a DELETE without
    // `?rev=` deleting whatever `If-Match` says, `If-Match` not read on a PUT, Express's ETag.
    let api = couch(Couch::pouchdb_server());
    let out = run_on(&api, &recipe("couchdb"), &[], &[]);
    let report = out.json();
    let mut rules: Vec<String> = findings(&report)
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{} {}", f["check"], f["rule"]).replace('"', ""))
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "conditional-write if-match-star-created",
            "conditional-write stale-token-delete-applied",
            "repeat-put repeat-201",
        ],
        "{}",
        out.context()
    );
    let grouped = findings(&report)
        .iter()
        .find(|f| f["rule"] == "repeat-201")
        .map(|f| f["cause"].to_string())
        .unwrap_or_default();
    assert!(
        grouped.contains("put-update-201") && grouped.contains("replace-201"),
        "one cause, one finding: every update answered 201 is one finding: {grouped}"
    );
    assert_eq!(api.left_behind(), Vec::<(String, String)>::new());
}
