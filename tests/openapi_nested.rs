//! `run --openapi` on a document with a nested collection (`shop-nested-3.0.yaml`: orders under
//! their customer), against the nested stand-in the reach tests use: orders are imported as a
//! nested resource under `customers`, so a correct API (refusing or cascading the delete of a
//! customer with orders) is clean and every order is written under a customer the case
//! created; an API that keeps serving orders of a deleted customer is caught.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, assert_clean};
use standins::*;
use support::{Out, result_row, run_cmd};

const SHOP: &str = "tests/fixtures/openapi/shop-nested-3.0.yaml";

fn run_openapi_on(api: &Standin, extra: &[&str]) -> Out {
    let base = api.base_url();
    let mut args = vec![
        "run",
        "--openapi",
        SHOP,
        "--base-url",
        base.as_str(),
        "--format",
        "json",
        "--no-progress",
        "--color",
        "never",
        "--seed",
        "1",
    ];
    args.extend_from_slice(extra);
    run_cmd(support::idemfuzz(), args)
}

#[test]
fn a_nested_collection_runs_under_parents_of_its_own() {
    for (api, what) in [
        (Nested::correct(), "nested, ON DELETE RESTRICT"),
        (Nested::cascade(), "nested, ON DELETE CASCADE"),
    ] {
        let api = Standin::start(api);
        let out = run_openapi_on(&api, &[]);
        let report = assert_clean(&api, &out, &[], what);
        for check in [
            "repeat-put",
            "repeat-delete",
            "use-after-delete",
            "get-safety",
        ] {
            let row = result_row(&report, check, "orders");
            assert_eq!(row["status"]["kind"], "passed", "{what}: {row}");
        }
        let requests = api.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.target.contains("/orders/") && r.method == "PUT"),
            "{what}: orders were written"
        );
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
fn orders_served_under_a_deleted_customer_are_caught() {
    let api = Standin::start(Nested::with_bug(NestedBug::OrphansChildren));
    let out = run_openapi_on(&api, &["--checks", "use-after-delete"]);
    assert_caught(
        &out,
        "use-after-delete",
        "child-2xx-after-parent-delete",
        "OrphansChildren",
    );
}
