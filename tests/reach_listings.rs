//! Listings and pagination end to end (issue 16, items 2 and 4): idemfuzz against stand-ins
//! whose collections are paginated in four styles over 1,000 pre-existing items, filtered by
//! id, or cannot be listed at all. A run still finds its own items on the last page; a
//! collection that cannot be read makes the collection rules say they observed nothing (never
//! a silent pass); a planted duplicate row on the last page is caught.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, assert_clean, run_on};
use standins::*;
use support::{result_row, results};

const BODY: &str = r#"
[resources.items.body]
name = { gen = "string", min_len = 1, max_len = 20 }
size = { gen = "int", min = 1, max = 100 }
"#;

/// A paginated scenario for `/items` with `listing` lines added.
fn paginated_scenario(listing: &str) -> String {
    format!(
        r#"
[target]
timeout = "5s"

[resources.items]
collection = "/items"
item = "/items/{{id}}"
post_id = "location"
required = ["name"]
etags = true

[resources.items.listing]
{listing}
{BODY}"#
    )
}

fn paginated(style: PageStyle) -> Standin {
    Standin::builder(Paginated::new(style))
        .seed(Seed::numbered("items", 1000))
        .start()
}

const REACH_CHECKS: [&str; 3] = ["repeat-put", "repeat-delete", "concurrent-put"];

#[test]
fn a_link_header_listing_of_1000_items_still_shows_the_runs_items() {
    let api = paginated(PageStyle::LinkHeader);
    let out = run_on(
        &api,
        &paginated_scenario("next = { link = \"next\" }"),
        &[],
        &[],
    );
    assert_clean(&api, &out, &REACH_CHECKS, "Link rel=next");
    let followed = api
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.target.starts_with("/items?page="))
        .count();
    assert!(
        followed >= 50,
        "the pages were followed ({followed} page GETs)"
    );
}

#[test]
fn next_urls_cursors_and_page_numbers_are_followed_too() {
    for (style, listing) in [
        (
            PageStyle::NextUrl,
            "items = \"/data\"\nnext = { url = \"/next\" }",
        ),
        (
            PageStyle::Cursor,
            "items = \"/items\"\nnext = { token = \"/next_cursor\", param = \"cursor\" }",
        ),
        (
            PageStyle::PageNumber,
            "items = \"/items\"\nnext = { page = \"page\" }",
        ),
    ] {
        let api = paginated(style);
        let out = run_on(
            &api,
            &paginated_scenario(listing),
            &["--checks", "repeat-put,repeat-delete"],
            &[],
        );
        assert_clean(
            &api,
            &out,
            &["repeat-put", "repeat-delete"],
            &format!("{style:?}"),
        );
    }
}

#[test]
fn a_server_side_filter_reads_one_short_listing_per_id() {
    let api = Standin::builder(Paginated::new(PageStyle::PageNumber).with_filter())
        .seed(Seed::numbered("items", 1000))
        .start();
    let out = run_on(
        &api,
        &paginated_scenario("items = \"/items\"\nfilter = \"id={id}\""),
        &["--checks", "repeat-put,repeat-delete,concurrent-put"],
        &[],
    );
    assert_clean(&api, &out, &REACH_CHECKS, "filter");
    assert!(
        !api.requests().iter().any(|r| r.target.contains("page=")),
        "no page was read"
    );
}

#[test]
fn a_duplicate_row_on_the_last_page_is_caught() {
    let api = Standin::builder(
        Paginated::new(PageStyle::LinkHeader).with_bug(PaginatedBug::PutDuplicates),
    )
    .seed(Seed::numbered("items", 1000))
    .start();
    let out = run_on(
        &api,
        &paginated_scenario("next = { link = \"next\" }"),
        &["--checks", "repeat-put"],
        &[],
    );
    assert_caught(&out, "repeat-put", "collection-changed", "PutDuplicates");
}

#[test]
fn the_first_page_alone_observes_nothing_and_says_so() {
    let api = paginated(PageStyle::LinkHeader);
    let out = run_on(
        &api,
        &paginated_scenario("max_pages = 1"),
        &["--checks", "repeat-put,post-retry"],
        &[],
    );
    out.assert_no_panic();
    let report = out.json();
    let repeat_put = result_row(&report, "repeat-put", "items");
    assert!(
        repeat_put["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("not observed") && n.contains("shows none")),
        "{repeat_put}"
    );
    // post-retry's only observation is the collection: the fit probe's listing (its first page
    // alone) did not show the probe's resource, so it is inconclusive before any case runs —
    // never a pass, and not a skip (oracles.md: a verdict needs an observation).
    let post_retry = result_row(&report, "post-retry", "items");
    assert_eq!(post_retry["status"]["kind"], "inconclusive", "{post_retry}");
    assert!(
        post_retry["status"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("does not list the created resource")),
        "{post_retry}"
    );
}

/// The generic API with `{"items": [...]}` listings, or one that cannot be listed.
fn generic_scenario(listing: &str) -> String {
    format!(
        r#"
[target]
timeout = "5s"

[resources.things]
collection = "/things"
item = "/things/{{id}}"
post_id = "location"
required = ["name"]
etags = true

[resources.things.listing]
{listing}

[resources.things.body]
name = {{ gen = "string", min_len = 1, max_len = 20 }}
size = {{ gen = "int", min = 1, max = 100 }}
"#
    )
}

#[test]
fn an_unreadable_listing_never_passes_a_collection_rule() {
    for listing in [Listing::Html, Listing::NotFound, Listing::MethodNotAllowed] {
        let api = Standin::start(Generic::unlistable(listing));
        let out = run_on(&api, &generic_scenario("items = \"/items\""), &[], &[]);
        out.assert_no_panic();
        let report = out.json();
        for check in [
            "repeat-put",
            "repeat-delete",
            "get-safety",
            "concurrent-put",
        ] {
            let row = result_row(&report, check, "things");
            assert!(
                row["notes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|n| n.as_str().unwrap_or("").contains("not observed")),
                "{listing:?}: {check} notes its unobserved collection: {row}"
            );
        }
        let row = result_row(&report, "post-retry", "things");
        assert_ne!(row["status"]["kind"], "passed", "{listing:?}: {row}");
    }
}

#[test]
fn a_declared_missing_listing_skips_what_only_counts_and_notes_the_rest() {
    let api = Standin::start(Generic::unlistable(Listing::NotFound));
    let out = run_on(&api, &generic_scenario("format = \"none\""), &[], &[]);
    out.assert_no_panic();
    let report = out.json();
    let post_retry = result_row(&report, "post-retry", "things");
    assert_eq!(post_retry["status"]["kind"], "skipped", "{post_retry}");
    let repeat_put = result_row(&report, "repeat-put", "things");
    assert_eq!(repeat_put["status"]["kind"], "passed", "{repeat_put}");
    assert!(
        repeat_put["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("no listing")),
        "{repeat_put}"
    );
    let listings = api
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.target == "/things")
        .count();
    assert!(
        listings <= 1,
        "only the reachability probe GETs the collection ({listings})"
    );
    assert!(
        results(&report)
            .iter()
            .all(|r| r["status"]["kind"] != "errored")
    );
}

#[test]
fn an_item_path_with_a_fixed_query_is_owned_written_and_cleaned_up() {
    let api = Standin::builder(Generic::correct())
        .seed(Seed::numbered("things", 3))
        .start();
    let scenario = generic_scenario("items = \"/items\"").replace(
        "item = \"/things/{id}\"",
        "item = \"/things/{id}?format=json\"",
    );
    let out = run_on(&api, &scenario, &[], &[]);
    let report = assert_clean(
        &api,
        &out,
        &[
            "repeat-put",
            "repeat-delete",
            "put-after-delete",
            "use-after-delete",
        ],
        "fixed query",
    );
    // Every id the run chose was deleted through the item path with its query. (What an
    // unkeyed POST whose answer was never read created, `n…`, is not the run's to delete.)
    let own: Vec<_> = api
        .left_behind()
        .into_iter()
        .filter(|(_, id)| id.starts_with("idf-"))
        .collect();
    assert!(own.is_empty(), "{own:?}\n{}", report["cleanup"]);
    let writes: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" || r.method == "DELETE")
        .map(|r| r.target.clone())
        .collect();
    assert!(!writes.is_empty());
    assert!(
        writes.iter().all(|t| t.ends_with("?format=json")),
        "{writes:?}"
    );
}

/// A minimal JSON API whose listing links its next page to `next` (another origin).
fn linking_api(next: String) -> support::Served {
    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Path, State};
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    type Items = Arc<Mutex<BTreeMap<String, serde_json::Value>>>;
    async fn list(State((items, next)): State<(Items, String)>) -> impl IntoResponse {
        let all: Vec<serde_json::Value> = items.lock().unwrap().values().cloned().collect();
        (
            [(header::LINK, format!("<{next}>; rel=\"next\""))],
            axum::Json(serde_json::json!({ "items": all })),
        )
    }
    async fn put(
        State((items, _)): State<(Items, String)>,
        Path(id): Path<String>,
        body: Bytes,
    ) -> StatusCode {
        let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        value["id"] = serde_json::json!(id);
        match items.lock().unwrap().insert(id, value) {
            None => StatusCode::CREATED,
            Some(_) => StatusCode::NO_CONTENT,
        }
    }
    async fn read(
        State((items, _)): State<(Items, String)>,
        Path(id): Path<String>,
    ) -> axum::response::Response {
        match items.lock().unwrap().get(&id) {
            Some(item) => axum::Json(item.clone()).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let state: (Items, String) = (Arc::default(), next);
    support::Served::start(
        Router::new()
            .route("/things", get(list))
            .route("/things/{id}", get(read).put(put))
            .with_state(state),
    )
}

#[test]
fn a_next_page_on_another_origin_is_never_followed() {
    let bystander = Standin::start(Generic::correct());
    let api = linking_api(format!("{}/things?page=2", bystander.base_url()));
    let scenario = r#"
[target]
timeout = "5s"

[resources.things]
collection = "/things"
item = "/things/{id}"
methods = ["GET", "PUT"]
body = { name = { gen = "string" } }

[resources.things.listing]
items = "/items"
next = { link = "next" }
"#;
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, scenario.as_bytes()).unwrap();
    let path = file.path().display().to_string();
    let out = support::run_json(&path, &api.url(), &["--checks", "repeat-put"]);
    out.assert_no_panic();
    let report = out.json();
    let row = result_row(&report, "repeat-put", "things");
    assert!(
        row["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("not on the target's origin")),
        "{row}"
    );
    assert!(
        bystander.requests().is_empty(),
        "nothing reached the other origin: {:?}",
        bystander.requests()
    );
}

#[test]
fn a_listing_longer_than_max_pages_is_not_observed() {
    let api = paginated(PageStyle::LinkHeader);
    let out = run_on(
        &api,
        &paginated_scenario("next = { link = \"next\" }\nmax_pages = 3"),
        &["--checks", "repeat-put"],
        &[],
    );
    out.assert_no_panic();
    let report = out.json();
    let row = result_row(&report, "repeat-put", "items");
    assert!(
        row["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("more than 3 pages")),
        "{row}"
    );
    // Each listing starts at `/items` and follows at most 2 more pages (`max_pages = 3`),
    // however many listings the run makes (the fit probe's, the cases', those around a POST).
    let requests = api.requests();
    let starts = requests
        .iter()
        .filter(|r| r.method == "GET" && r.target == "/items")
        .count();
    let pages = requests
        .iter()
        .filter(|r| r.target.starts_with("/items?page="))
        .count();
    assert!(starts > 0, "the collection was listed");
    assert!(
        pages <= 2 * starts,
        "at most 3 pages per listing ({pages} next pages for {starts} listings)"
    );
}
