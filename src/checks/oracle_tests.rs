//! Unit tests of every oracle: each one passes a record of correct behaviour and flags the
//! record of the bug it exists to catch, with the severity its RFC keyword gives.

use serde_json::json;

use crate::checks::head_parity::HeadParityOptions;
use crate::checks::put_after_delete::PutAfterDeleteOptions;
use crate::checks::repeat_delete::RepeatDeleteOptions;
use crate::checks::testing::{canon, collection, exchange, id_field, item};
use crate::checks::use_after_delete::UseAfterDeleteOptions;
use crate::checks::*;
use crate::model::exchange::Method::{Delete, Get, Head, Patch, Post, Put};
use crate::model::findings::Severity;
use crate::model::violation::Violation;
use crate::scenario::IdempotencyKey;

/// The severities of `found`; also asserts that every violation names its rule (a stable
/// slug: the baseline fingerprint depends on it).
fn severities(found: &[Violation]) -> Vec<Severity> {
    for v in found {
        assert!(
            !v.rule.is_empty()
                && v.rule
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-/_".contains(c)),
            "violation `{}` has no stable rule slug: {:?}",
            v.title,
            v.rule
        );
    }
    found.iter().map(|v| v.severity).collect()
}

const URL: &str = "http://h/things/a";

#[test]
fn repeat_put_flags_a_visible_counter_and_a_repeated_201() {
    let record = |rev: u32, repeat_status: u16| repeat_put::Record {
        repeats: 3,
        item_after_one: item(
            200,
            json!({"id": "a", "n": 1, "revision": 1, "updatedAt": "t1"}),
        ),
        collection_after_one: collection(vec![json!({"id": "a"})]),
        item_after_all: item(
            200,
            json!({"id": "a", "n": 1, "revision": rev, "updatedAt": "t9"}),
        ),
        collection_after_all: collection(vec![json!({"id": "a"})]),
        repeated_puts: vec![exchange(Put, URL, repeat_status, None, &[])],
        refused_first_put: None,
    };
    let canon = canon(&["/updatedAt"]);
    assert!(repeat_put::judge(&record(1, 200), &canon).is_empty());
    let found = repeat_put::judge(&record(3, 201), &canon);
    assert_eq!(severities(&found), vec![Severity::Error, Severity::Error]);
    assert!(
        found[0]
            .diff
            .as_deref()
            .is_some_and(|d| d.contains("\"revision\": 3"))
    );
    assert!(found[1].title.contains("201"));
}

#[test]
fn partial_put_flags_members_that_survive_a_replacing_put() {
    let record = |after_b| partial_put::Record {
        omitted: vec!["note".into()],
        client_members: vec!["name".into(), "note".into()],
        id: "a".into(),
        after_a: item(200, json!({"id": "a", "name": "x", "note": "n"})),
        after_b: item(200, after_b),
        after_a_again: item(200, json!({"id": "a", "name": "x", "note": "n"})),
        reference_id: "b".into(),
        reference: item(200, json!({"id": "b", "name": "x"})),
    };
    assert!(partial_put::judge(&record(json!({"id": "a", "name": "x"})), &canon(&[])).is_empty());
    let found = partial_put::judge(
        &record(json!({"id": "a", "name": "x", "note": "n"})),
        &canon(&[]),
    );
    assert_eq!(found.len(), 1);
    assert!(found[0].title.contains("merged") && found[0].observed.contains("`note`"));
}

fn delete_record(second: u16, after: u16, canary_after: bool) -> repeat_delete::Record {
    let canary = json!({"id": "b", "name": "canary"});
    let after_items = if canary_after {
        vec![canary.clone()]
    } else {
        vec![]
    };
    repeat_delete::Record {
        target_id: "a".into(),
        canary_ids: vec!["b".into()],
        collection_before: collection(vec![json!({"id": "a"}), canary]),
        first_delete: exchange(Delete, URL, 204, None, &[]),
        second_delete: exchange(Delete, URL, second, None, &[]),
        item_after: item(after, json!({})),
        collection_after: collection(after_items),
        look_alikes: Vec::new(),
    }
}

#[test]
fn repeat_delete_passes_204_then_404() {
    let options = RepeatDeleteOptions::default();
    assert!(
        repeat_delete::judge(
            &delete_record(404, 404, true),
            &canon(&[]),
            &options,
            &id_field()
        )
        .is_empty()
    );
}

#[test]
fn repeat_delete_finds_a_numeric_target_id_among_the_others() {
    // Server-picked integer ids (Django, FastAPI): the target `7` is `7` in the listing.
    let record = repeat_delete::Record {
        target_id: "7".into(),
        canary_ids: vec!["6".into()],
        collection_before: collection(vec![json!({"id": 6}), json!({"id": 7})]),
        collection_after: collection(vec![json!({"id": 6})]),
        ..delete_record(404, 404, true)
    };
    let found = repeat_delete::judge(
        &record,
        &canon(&[]),
        &RepeatDeleteOptions::default(),
        &id_field(),
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn repeat_delete_judges_collateral_damage_on_its_canaries_only() {
    // Other cases' items (8, 9) come and go in the same collection; only a canary counts.
    let judge = |after: Vec<serde_json::Value>| {
        let record = repeat_delete::Record {
            target_id: "7".into(),
            canary_ids: vec!["6".into()],
            collection_before: collection(vec![
                json!({"id": 6}),
                json!({"id": 7}),
                json!({"id": 8}),
            ]),
            collection_after: collection(after),
            ..delete_record(404, 404, true)
        };
        repeat_delete::judge(
            &record,
            &canon(&[]),
            &RepeatDeleteOptions::default(),
            &id_field(),
        )
    };
    let others_moved = judge(vec![json!({"id": 6}), json!({"id": 9})]);
    assert!(others_moved.is_empty(), "{others_moved:?}");
    let canary_gone = judge(vec![json!({"id": 8})]);
    assert_eq!(severities(&canary_gone), vec![Severity::Error]);
    assert_eq!(canary_gone[0].rule, "collateral-change");
    let diff = canary_gone[0].diff.as_deref().unwrap_or_default();
    assert!(diff.contains("6") && !diff.contains("7"), "{diff}");
}

#[test]
fn repeat_delete_flags_500_survivors_and_collateral_deletes() {
    let options = RepeatDeleteOptions::default();
    let found = repeat_delete::judge(
        &delete_record(500, 404, true),
        &canon(&[]),
        &options,
        &id_field(),
    );
    assert!(found.len() == 1 && found[0].title.contains("server error"));
    let found = repeat_delete::judge(
        &delete_record(404, 200, true),
        &canon(&[]),
        &options,
        &id_field(),
    );
    assert!(found.len() == 1 && found[0].title.contains("still there"));
    let found = repeat_delete::judge(
        &delete_record(404, 404, false),
        &canon(&[]),
        &options,
        &id_field(),
    );
    assert!(found.len() == 1 && found[0].title.contains("another resource"));
}

#[test]
fn repeat_delete_tells_a_numeric_target_from_its_canaries() {
    // json-server, DRF, FastAPI: ids are numbers; the deleted target is not collateral.
    let record = repeat_delete::Record {
        target_id: "7".into(),
        canary_ids: vec!["6".into(), "8".into()],
        collection_before: collection(vec![
            json!({"id": 6, "name": "canary"}),
            json!({"id": 7, "name": "target"}),
            json!({"id": 8, "name": "canary"}),
        ]),
        first_delete: exchange(Delete, URL, 200, None, &[]),
        second_delete: exchange(Delete, URL, 404, None, &[]),
        item_after: item(404, json!({})),
        collection_after: collection(vec![
            json!({"id": 6, "name": "canary"}),
            json!({"id": 8, "name": "canary"}),
        ]),
        look_alikes: Vec::new(),
    };
    let options = RepeatDeleteOptions::default();
    assert!(repeat_delete::judge(&record, &canon(&[]), &options, &id_field()).is_empty());
    let collateral = repeat_delete::Record {
        collection_after: collection(vec![json!({"id": 6, "name": "canary"})]),
        ..record
    };
    let found = repeat_delete::judge(&collateral, &canon(&[]), &options, &id_field());
    assert!(found.len() == 1 && found[0].title.contains("another resource"));
}

#[test]
fn put_after_delete_flags_resurrected_members_and_a_200_create() {
    let record = |status, after| put_after_delete::Record {
        client_members: vec!["name".into(), "note".into()],
        id: "a".into(),
        fresh_id: "f".into(),
        delete: exchange(Delete, URL, 204, None, &[]),
        put_b: exchange(Put, URL, status, None, &[]),
        after: item(200, after),
        reference: item(200, json!({"id": "f", "name": "b", "born": "t2"})),
        create_statuses: Vec::new(),
    };
    let options = PutAfterDeleteOptions::default();
    let clean = record(201, json!({"id": "a", "name": "b", "born": "t1"}));
    assert!(put_after_delete::judge(&clean, &canon(&[]), &options).is_empty());
    let resurrected = record(
        201,
        json!({"id": "a", "name": "b", "note": "old", "born": "t1"}),
    );
    let found = put_after_delete::judge(&resurrected, &canon(&[]), &options);
    assert!(
        found.len() == 1
            && found[0]
                .diff
                .as_deref()
                .is_some_and(|d| d.contains("+    \"note\": \"old\""))
    );
    let found = put_after_delete::judge(
        &record(200, json!({"id": "a", "name": "b"})),
        &canon(&[]),
        &options,
    );
    assert!(found.len() == 1 && found[0].title.contains("201"));
}

#[test]
fn put_after_delete_accepts_a_declared_refusal_only_if_nothing_was_created() {
    let options = PutAfterDeleteOptions {
        refusal_statuses: vec![409],
    };
    let record = |after_status| put_after_delete::Record {
        client_members: vec!["name".into()],
        id: "a".into(),
        fresh_id: "f".into(),
        delete: exchange(Delete, URL, 204, None, &[]),
        put_b: exchange(Put, URL, 409, None, &[]),
        after: item(after_status, json!({})),
        reference: item(200, json!({"name": "b"})),
        create_statuses: Vec::new(),
    };
    assert!(put_after_delete::judge(&record(404), &canon(&[]), &options).is_empty());
    assert_eq!(
        put_after_delete::judge(&record(200), &canon(&[]), &options).len(),
        1
    );
}

#[test]
fn use_after_delete_flags_2xx_reads_of_a_deleted_resource() {
    let record = |get, head| use_after_delete::Record {
        delete: exchange(Delete, URL, 204, None, &[]),
        reads: vec![
            exchange(Get, URL, get, None, &[]),
            exchange(Head, URL, head, None, &[]),
        ],
        parent: None,
    };
    let options = UseAfterDeleteOptions::default();
    assert!(use_after_delete::judge(&record(404, 404), &options).is_empty());
    assert_eq!(
        severities(&use_after_delete::judge(&record(200, 200), &options)),
        vec![Severity::Error; 2]
    );
    assert_eq!(
        severities(&use_after_delete::judge(&record(400, 404), &options)),
        vec![Severity::Warning]
    );
    // A server that refuses HEAD outright (FastAPI: 405 to every HEAD) is head-parity's
    // finding, not a use after delete.
    assert!(use_after_delete::judge(&record(404, 405), &options).is_empty());
    assert!(use_after_delete::judge(&record(404, 501), &options).is_empty());
}

#[test]
fn use_after_delete_flags_a_child_served_under_its_deleted_parent() {
    const PARENT: &str = "http://h/customers/p";
    const CHILD: &str = "http://h/customers/p/orders/o";
    let record = |parent: u16, child: Option<u16>| use_after_delete::Record {
        delete: exchange(Delete, CHILD, 204, None, &[]),
        reads: vec![exchange(Get, CHILD, 404, None, &[])],
        parent: Some(use_after_delete::ParentDelete {
            delete: exchange(Delete, PARENT, parent, None, &[]),
            child: child.map(|status| exchange(Get, CHILD, status, None, &[])),
        }),
    };
    let options = UseAfterDeleteOptions::default();
    let restrict = record(409, None);
    let cascade = record(204, Some(404));
    assert!(use_after_delete::judge(&restrict, &options).is_empty());
    assert!(use_after_delete::judge(&cascade, &options).is_empty());
    let orphaned = use_after_delete::judge(&record(204, Some(200)), &options);
    assert_eq!(severities(&orphaned), vec![Severity::Warning]);
    assert_eq!(orphaned[0].rule, "child-2xx-after-parent-delete");
}

fn safety_record(views_after: u64, stamp_after: &str, missing_listed: bool) -> get_safety::Record {
    let mut after_missing = vec![json!({"id": "a"})];
    if missing_listed {
        after_missing.push(json!({"id": "m"}));
    }
    get_safety::Record {
        probe_a: item(200, json!({"id": "a", "views": 1, "servedAt": "t1"})),
        probe_b: item(200, json!({"id": "a", "views": 1, "servedAt": "t2"})),
        collection_before: collection(vec![json!({"id": "a"})]),
        safe_requests: vec![Get, Head, Get],
        item_after: item(
            200,
            json!({"id": "a", "views": views_after, "servedAt": stamp_after}),
        ),
        collection_after: collection(vec![json!({"id": "a"})]),
        missing_id: "m".into(),
        missing_get: exchange(
            Get,
            "http://h/things/m",
            if missing_listed { 200 } else { 404 },
            None,
            &[],
        ),
        missing_get_again: exchange(
            Get,
            "http://h/things/m",
            if missing_listed { 200 } else { 404 },
            None,
            &[],
        ),
        collection_after_missing: collection(after_missing),
    }
}

#[test]
fn get_safety_ignores_moving_clock_strings_but_flags_counters_and_get_or_create() {
    assert!(get_safety::judge(&safety_record(1, "t3", false), &canon(&[]), &id_field()).is_empty());
    let found = get_safety::judge(&safety_record(4, "t3", false), &canon(&[]), &id_field());
    assert!(
        found.len() == 1
            && found[0]
                .diff
                .as_deref()
                .is_some_and(|d| d.contains("\"views\": 4"))
    );
    let found = get_safety::judge(&safety_record(1, "t3", true), &canon(&[]), &id_field());
    assert!(found.len() == 1 && found[0].title.contains("never-created"));
    assert_eq!(found[0].severity, Severity::Error);
}

#[test]
fn head_parity_flags_status_and_header_differences() {
    let get_headers = [
        ("etag", "\"v1\""),
        ("content-type", "application/json"),
        ("content-length", "20"),
    ];
    let record = |status, headers: &[(&str, &str)]| head_parity::Record {
        get: exchange(Get, URL, 200, Some(json!({"a": 1})), &get_headers),
        head: exchange(Head, URL, status, None, headers),
        missing: None,
    };
    let options = HeadParityOptions::default();
    let same = [("etag", "\"v1\""), ("content-type", "application/json")];
    assert!(
        head_parity::judge(&record(200, &same), &options).is_empty(),
        "HEAD may omit Content-Length"
    );
    assert_eq!(
        severities(&head_parity::judge(&record(404, &same), &options)),
        vec![Severity::Error]
    );
    let found = head_parity::judge(&record(200, &[("content-type", "text/plain")]), &options);
    assert_eq!(
        severities(&found),
        vec![Severity::Warning, Severity::Warning]
    );
}

fn keyed(
    retry_status: u16,
    after_retry: Option<usize>,
    other_status: u16,
    other_created: Option<usize>,
) -> post_retry::Keyed {
    post_retry::Keyed {
        key: IdempotencyKey::new("Idempotency-Key"),
        first: exchange(Post, "http://h/things", 201, Some(json!({"id": "s1"})), &[]),
        retry: exchange(
            Post,
            "http://h/things",
            retry_status,
            Some(json!({"id": "s1"})),
            &[],
        ),
        matching_after_retry: after_retry,
        other_body: exchange(Post, "http://h/things", other_status, None, &[]),
        matching_other_body: other_created,
    }
}

#[test]
fn post_retry_reports_unkeyed_duplicates_as_info_and_keyed_ones_as_errors() {
    let unkeyed = post_retry::Unkeyed {
        posts: [
            exchange(Post, "http://h/things", 201, None, &[]),
            exchange(Post, "http://h/things", 201, None, &[]),
        ],
        matching: Some(2),
    };
    let record = |keyed| post_retry::Record {
        unkeyed: unkeyed.clone(),
        keyed: Some(keyed),
    };
    let clean = post_retry::judge(&record(keyed(201, Some(1), 422, Some(0))), &canon(&[]));
    assert_eq!(severities(&clean), vec![Severity::Info]);
    let ignored_key = post_retry::judge(&record(keyed(201, Some(2), 201, Some(1))), &canon(&[]));
    assert_eq!(
        severities(&ignored_key),
        vec![
            Severity::Info,
            Severity::Error,
            Severity::Error,
            Severity::Error
        ]
    );
    let other_4xx = post_retry::judge(&record(keyed(201, Some(1), 400, Some(0))), &canon(&[]));
    assert_eq!(
        severities(&other_4xx),
        vec![Severity::Info, Severity::Warning]
    );
}

#[test]
fn status_conformance_flags_create_200_and_405_without_allow() {
    let record = |create, allow: &[(&str, &str)]| status_conformance::Record {
        put_create: Some(exchange(Put, URL, create, None, &[])),
        put_update: Some(exchange(Put, URL, 200, None, &[])),
        post_create: Some(exchange(
            Post,
            "http://h/things",
            201,
            None,
            &[("location", "/things/s1")],
        )),
        location_get: Some(exchange(Get, "http://h/things/s1", 200, None, &[])),
        undeclared: Some(exchange(Patch, URL, 405, None, allow)),
        allow_probes: Vec::new(),
        create_statuses: Vec::new(),
    };
    let allow = [("allow", "GET, HEAD, PUT, DELETE")];
    assert!(status_conformance::judge(&record(201, &allow)).is_empty());
    let found = status_conformance::judge(&record(200, &[]));
    assert_eq!(severities(&found), vec![Severity::Error, Severity::Error]);
    assert!(found[1].title.contains("Allow"));
    let lists_patch = status_conformance::judge(&record(201, &[("allow", "GET, PATCH")]));
    assert!(lists_patch.len() == 1 && lists_patch[0].title.contains("lists PATCH"));
}
