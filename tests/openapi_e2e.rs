//! `run --openapi` end to end on third-party documents, against stand-in servers that behave as
//! the documents say (`tests/openapi_standins/`): a correct stand-in gives no error or warning
//! finding and leaves nothing behind, a stand-in with a planted bug is caught, and operations
//! the import excludes (Ory Kratos' bulk session management) are never sent.

mod openapi_standins;
mod support;

use std::sync::atomic::Ordering;

use openapi_standins::{Bug, Collection, Ids, Listing, router};
use serde_json::Value;
use support::{Out, Served, finding_lines, findings, result_row, run, severity_rank};

const DRF: &str = "tests/fixtures/openapi/drf-library-3.0.yaml";
const KRATOS: &str = "tests/fixtures/openapi/kratos-3.0.json";
const DRF_PAGES: &str = "tests/fixtures/openapi/drf-shelf-3.0.yaml";

/// Django REST framework's shape: `/api/NAME/` and `/api/NAME/{id}/`, integer ids.
fn drf(path: &'static str, bug: Bug) -> Collection {
    let timestamps = path.ends_with("books");
    Collection {
        path,
        trailing_slash: true,
        ids: Ids::Integer,
        created: if timestamps { &["created_at"] } else { &[] },
        updated: if timestamps { &["updated_at"] } else { &[] },
        bug,
        listing: Listing::Array,
        seeded: 0,
    }
}

fn run_openapi(spec: &str, base_url: &str) -> Out {
    run_openapi_with(spec, base_url, &[])
}

fn run_openapi_with(spec: &str, base_url: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "run",
        "--openapi",
        spec,
        "--base-url",
        base_url,
        "--format",
        "json",
        "--seed",
        "7",
        "--cases",
        "2",
        "--no-progress",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    run(args)
}

/// What `lost-response-retry` reports, by design, on every API whose POST takes no
/// Idempotency-Key (these documents declare none): an info that the retried POST created a
/// duplicate, and the duplicate left behind, since idemfuzz never read the answer that created
/// it and so cannot prove it may delete it. Not a false alarm about the stand-in.
const UNKEYED_POST_LOST: &str = "unkeyed-post-lost-duplicate";
const UNREAD_ANSWER: &str = "created by a POST whose answer idemfuzz did not read";

/// Exit 0, no error finding, no warning but [`UNKEYED_POST_LOST`], and nothing left behind
/// but what [`UNREAD_ANSWER`] created.
fn assert_clean(out: &Out, what: &str) -> Value {
    out.assert_no_panic().assert_code(0, what);
    let report = out.json();
    let failing: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| severity_rank(f) >= 1 && f["rule"] != UNKEYED_POST_LOST)
        .collect();
    assert!(
        failing.is_empty(),
        "{what}: failing findings on a correct stand-in:\n{}",
        finding_lines(&report)
    );
    let left: Vec<&Value> = report["cleanup"]["left_behind"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| {
            !l["reason"]
                .as_str()
                .unwrap_or("")
                .starts_with(UNREAD_ANSWER)
        })
        .collect();
    assert!(left.is_empty(), "{what}: {}", report["cleanup"]);
    report
}

#[test]
fn the_drf_document_runs_clean_on_a_correct_drf_like_server_with_trailing_slashes() {
    let (router, _) = router(
        vec![drf("/api/authors", Bug::None), drf("/api/books", Bug::None)],
        &[],
    );
    let served = Served::start(router);
    let out = run_openapi(DRF, &served.url());
    let report = assert_clean(&out, "DRF document, correct stand-in");
    for check in [
        "repeat-put",
        "partial-put",
        "repeat-delete",
        "use-after-delete",
        "get-safety",
    ] {
        assert_eq!(
            result_row(&report, check, "books")["status"]["kind"],
            "passed",
            "{check} ran and passed on /api/books/{{id}}/"
        );
    }
}

#[test]
fn the_drf_document_finds_a_merging_put() {
    let (router, _) = router(
        vec![
            drf("/api/authors", Bug::None),
            drf("/api/books", Bug::MergePut),
        ],
        &[],
    );
    let served = Served::start(router);
    let out = run_openapi(DRF, &served.url());
    out.assert_no_panic()
        .assert_code(1, "a merging PUT on books");
    let report = out.json();
    assert_eq!(
        result_row(&report, "partial-put", "books")["status"]["kind"],
        "failed",
        "{}",
        finding_lines(&report)
    );
    assert_eq!(
        result_row(&report, "partial-put", "authors")["status"]["kind"],
        "passed"
    );
}

/// The paginated DRF document's API: shelves by page number, volumes by cursor (with the bug,
/// if any: its `year` is optional, so partial-put runs), 4 items a page and 9 items there
/// before the run, so every item a case creates is on page 3 or later.
fn paginated(bug: Bug) -> Vec<Collection> {
    let mut shelves = drf("/api/shelves", Bug::None);
    shelves.listing = Listing::Pages(4);
    shelves.seeded = 9;
    let mut volumes = drf("/api/volumes", bug);
    volumes.listing = Listing::Cursor(4);
    volumes.seeded = 9;
    volumes.created = &["shelved_at"];
    vec![shelves, volumes]
}

#[test]
fn the_paginated_drf_document_follows_every_page_on_a_correct_server() {
    let (router, _) = router(paginated(Bug::None), &[]);
    let served = Served::start(router);
    // One case at a time: a page-numbered listing read while another case deletes an item
    // shifts under the reader (a later page may then answer 404, and the listing is not
    // observed rather than misjudged); run alone, every listing is observed.
    let out = run_openapi_with(DRF_PAGES, &served.url(), &["--concurrency", "1"]);
    let report = assert_clean(&out, "paginated DRF document, correct stand-in");
    for resource in ["shelves", "volumes"] {
        // post-retry observes nothing but the listing: it passes only when the case's items
        // were found past the first page.
        for check in ["post-retry", "repeat-put", "repeat-delete", "get-safety"] {
            let row = result_row(&report, check, resource);
            assert_eq!(
                row["status"]["kind"], "passed",
                "{check} on {resource}: {row}"
            );
            let notes = row["notes"].to_string();
            assert!(
                !notes.contains("not observed"),
                "{check} on {resource} read every page: {notes}"
            );
        }
    }
}

/// With cases in parallel, pages shift under the readers; that costs observations, never a
/// false alarm.
#[test]
fn the_paginated_drf_document_is_clean_with_cases_in_parallel() {
    let (router, _) = router(paginated(Bug::None), &[]);
    let served = Served::start(router);
    let out = run_openapi_with(DRF_PAGES, &served.url(), &["--concurrency", "4"]);
    let report = assert_clean(&out, "paginated DRF document, 4 cases at once");
    for resource in ["shelves", "volumes"] {
        let row = result_row(&report, "post-retry", resource);
        assert_eq!(row["status"]["kind"], "passed", "{resource}: {row}");
    }
}

#[test]
fn the_paginated_drf_document_finds_a_merging_put() {
    let (router, _) = router(paginated(Bug::MergePut), &[]);
    let served = Served::start(router);
    let out = run_openapi(DRF_PAGES, &served.url());
    out.assert_no_panic()
        .assert_code(1, "a merging PUT on volumes");
    let report = out.json();
    assert_eq!(
        result_row(&report, "partial-put", "volumes")["status"]["kind"],
        "failed",
        "{}",
        finding_lines(&report)
    );
}

#[test]
fn kratos_bulk_endpoints_are_never_sent() {
    let identities = Collection {
        path: "/admin/identities",
        trailing_slash: false,
        ids: Ids::Uuid,
        created: &["created_at"],
        updated: &["updated_at", "state_changed_at"],
        bug: Bug::None,
        listing: Listing::Array,
        seeded: 0,
    };
    let (router, forbidden) = router(vec![identities], &[("POST", "/admin/sessions")]);
    let served = Served::start(router);
    let out = run_openapi(KRATOS, &served.url());
    assert!(
        out.stderr.contains(
            "not imported: POST /admin/sessions: its summary or operationId says \"bulk\""
        ),
        "{}",
        out.stderr
    );
    assert_clean(&out, "Kratos document, correct identities stand-in");
    assert_eq!(
        forbidden.count.load(Ordering::SeqCst),
        0,
        "POST /admin/sessions is a bulk action and must never be sent"
    );
}
