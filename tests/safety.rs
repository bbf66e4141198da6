//! idemfuzz only touches what it created: a pre-existing resource survives a full run
//! byte-for-byte, and the run leaves nothing of its own behind.

mod support;

use serde_json::{Value, json};
use support::{Demo, findings, http_client, run_json, scenario};

const CUSTOMER: &str = "customer-data-1";

/// GET a URL: status, ETag and JSON body.
fn get(demo: &Demo, url: &str) -> (u16, Option<String>, Value) {
    let client = http_client();
    demo.block_on(async {
        let response = client.get(url).send().await.expect("GET");
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .map(|v| v.to_str().expect("ASCII ETag").to_string());
        let bytes = response.bytes().await.expect("body");
        let body: Value = serde_json::from_slice(&bytes).expect("JSON body");
        (status, etag, body)
    })
}

fn ids(collection: &Value) -> Vec<String> {
    collection["items"]
        .as_array()
        .unwrap_or_else(|| panic!("collection without items: {collection}"))
        .iter()
        .map(|item| item["id"].as_str().expect("item id").to_string())
        .collect()
}

#[test]
fn a_pre_existing_resource_is_untouched_and_nothing_is_left_behind() {
    let demo = Demo::start("none");
    let item_url = format!("{}/things/{CUSTOMER}", demo.url());
    let collection_url = format!("{}/things", demo.url());

    // The customer's data, created directly, before idemfuzz runs.
    let client = http_client();
    let created = demo.block_on(async {
        client
            .put(&item_url)
            .header("content-type", "application/json")
            .body(
                json!({
                    "name": "Important customer",
                    "color": "green",
                    "size": 42,
                    "tags": ["vip", "do-not-touch"],
                    "note": "pre-existing data",
                })
                .to_string(),
            )
            .send()
            .await
            .expect("PUT the pre-existing resource")
            .status()
            .as_u16()
    });
    assert_eq!(
        created, 201,
        "the demo API did not create the customer resource"
    );
    let (status, etag_before, body_before) = get(&demo, &item_url);
    assert_eq!(status, 200);
    let etag_before = etag_before.expect("the demo API sends an ETag");

    // Every check, more than one case.
    let out = run_json(
        &scenario("demo.toml"),
        demo.url(),
        &["--seed", "7", "--cases", "2"],
    );
    out.assert_code(0, "all checks on the clean demo API");
    let report = out.json();
    assert_eq!(report["outcome"]["kind"], "completed");
    assert!(
        support::results(&report)
            .iter()
            .filter(|r| r["status"]["kind"] == "passed")
            .count()
            >= 8,
        "most checks must have run: {}",
        report["results"]
    );

    // The customer's resource is exactly as it was.
    let (status, etag_after, body_after) = get(&demo, &item_url);
    assert_eq!(
        status, 200,
        "the pre-existing resource is gone after the run"
    );
    assert_eq!(
        body_after, body_before,
        "the pre-existing resource changed during the run"
    );
    assert_eq!(
        etag_after.as_deref(),
        Some(etag_before.as_str()),
        "the pre-existing resource's ETag changed during the run"
    );

    // No exchange of any finding wrote to it (belt and braces: the clean run has no error
    // findings, but info findings carry exchanges too).
    for finding in findings(&report) {
        for exchange in finding["exchanges"].as_array().unwrap() {
            let method = exchange["request"]["method"].as_str().unwrap();
            let url = exchange["request"]["url"].as_str().unwrap();
            assert!(
                !url.contains(CUSTOMER) || matches!(method, "GET" | "HEAD" | "OPTIONS"),
                "idemfuzz sent {method} {url}"
            );
        }
    }

    // Cleanup: the report says nothing was left behind, and the collection agrees.
    let cleanup = &report["cleanup"];
    assert_eq!(
        cleanup["left_behind"],
        json!([]),
        "cleanup left resources behind: {cleanup}"
    );
    assert!(
        cleanup["deleted"].as_u64().unwrap_or(0) >= 1,
        "the run created resources, so cleanup must have deleted some: {cleanup}"
    );
    let (status, _, collection) = get(&demo, &collection_url);
    assert_eq!(status, 200);
    let ids = ids(&collection);
    assert!(
        ids.iter().any(|id| id == CUSTOMER),
        "the collection lost the pre-existing resource: {ids:?}"
    );
    let run_owned: Vec<&String> = ids.iter().filter(|id| id.starts_with("idf-")).collect();
    assert!(
        run_owned.is_empty(),
        "run-owned resources remain after the run: {run_owned:?}"
    );
    let run_id = report["run_id"].as_str().expect("run_id");
    assert!(
        !ids.iter().any(|id| id.contains(run_id)),
        "resources with the run id {run_id} remain: {ids:?}"
    );
    // POST-created resources (server-chosen ids) are the run's too.
    assert_eq!(
        ids,
        vec![CUSTOMER.to_string()],
        "the run left resources behind (e.g. POST-created ones): {ids:?}"
    );
}
