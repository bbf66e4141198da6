//! A Django REST framework viewset end to end (issue 16, items 4 and 6): items at
//! `/items/{id}/` (a trailing slash, integer ids chosen by the server), created by POST to
//! `/items/`, listed 20 per page with `{"count", "next", "results"}` over 1,000 pre-existing
//! items. The correct viewset is clean; a merging PUT and a 500 on a repeated DELETE are caught.
//! The scenario is the recipe of docs/recipes.md.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, assert_clean, recipe, run_on};
use standins::*;

fn drf(viewset: Drf) -> Standin {
    Standin::builder(viewset)
        .seed(Seed::numbered("items", 1000))
        .start()
}

#[test]
fn a_correct_drf_viewset_with_trailing_slashes_and_pages_is_clean() {
    let api = drf(Drf::correct());
    let out = run_on(&api, &recipe("drf"), &[], &[]);
    assert_clean(
        &api,
        &out,
        &[
            "repeat-put",
            "partial-put",
            "repeat-delete",
            "use-after-delete",
            "get-safety",
            "head-parity",
            "post-retry",
        ],
        "DRF, correct",
    );
    let requests = api.requests();
    assert!(
        requests
            .iter()
            .filter(|r| matches!(r.method.as_str(), "PUT" | "DELETE" | "PATCH"))
            .all(|r| r.target.ends_with('/') && r.status != 301),
        "every write went to /items/{{id}}/ and none was redirected"
    );
    assert!(
        requests.iter().any(|r| r.target.contains("page=51")),
        "the listing was followed to its last page"
    );
}

#[test]
fn a_merging_put_is_caught_and_told_from_default_filling() {
    let api = drf(Drf::with_bug(DrfBug::PutMerges));
    let out = run_on(&api, &recipe("drf"), &["--checks", "partial-put"], &[]);
    assert_caught(&out, "partial-put", "merged", "PutMerges");
}

#[test]
fn a_repeated_delete_answering_500_is_caught() {
    let api = drf(Drf::with_bug(DrfBug::RepeatDelete500));
    let out = run_on(&api, &recipe("drf"), &["--checks", "repeat-delete"], &[]);
    assert_caught(&out, "repeat-delete", "repeat-5xx", "RepeatDelete500");
}
