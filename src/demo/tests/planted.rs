//! Each planted bug: the same short sequence run against the clean API and against the API with
//! that one bug, showing the observable difference the matching idemfuzz check relies on.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Demo, start};
use crate::demo::Bug;

/// Runs `scenario` against the clean API and with `bug`, returning both observations.
async fn clean_and_buggy<F, T>(bug: Bug, scenario: F) -> (T, T)
where
    F: AsyncFn(&Demo) -> T,
{
    let clean = scenario(&start("none").await).await;
    let buggy = scenario(&start(bug.name()).await).await;
    (clean, buggy)
}

#[tokio::test]
async fn merge_put_keeps_omitted_members() {
    let (clean, buggy) = clean_and_buggy(Bug::MergePut, async |demo: &Demo| {
        demo.put("/things/m", &json!({"a": 1, "b": 2})).await;
        demo.put("/things/m", &json!({"a": 1})).await;
        demo.get("/things/m").await.json().get("b").cloned()
    })
    .await;
    assert_eq!((clean, buggy), (None, Some(json!(2))));
}

#[tokio::test]
async fn put_counter_changes_the_etag_on_identical_puts() {
    let (clean, buggy) = clean_and_buggy(Bug::PutCounter, async |demo: &Demo| {
        demo.put("/things/p", &json!({"a": 1})).await;
        let first = demo.get("/things/p").await;
        demo.put("/things/p", &json!({"a": 1})).await;
        let second = demo.get("/things/p").await;
        (
            first.header("etag") == second.header("etag"),
            second.json()["revision"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (true, Value::Null));
    assert_eq!(buggy, (false, json!(2)));
}

#[tokio::test]
async fn delete_500_answers_a_repeated_delete_with_500() {
    let (clean, buggy) = clean_and_buggy(Bug::Delete500, async |demo: &Demo| {
        demo.put("/things/d", &json!({})).await;
        demo.delete("/things/d").await;
        (
            demo.delete("/things/d").await.status,
            demo.delete("/things/never").await.status,
        )
    })
    .await;
    assert_eq!((clean, buggy), ((404, 404), (500, 404)));
}

#[tokio::test]
async fn resurrect_brings_old_members_back() {
    let (clean, buggy) = clean_and_buggy(Bug::Resurrect, async |demo: &Demo| {
        demo.put("/things/r", &json!({"old": 1, "keep": 1})).await;
        demo.delete("/things/r").await;
        demo.put("/things/r", &json!({"keep": 2})).await;
        demo.get("/things/r").await.json()
    })
    .await;
    assert_eq!((clean.get("old"), &clean["keep"]), (None, &json!(2)));
    assert_eq!((&buggy["old"], &buggy["keep"]), (&json!(1), &json!(2)));
}

#[tokio::test]
async fn delete_other_removes_the_next_thing_too() {
    let (clean, buggy) = clean_and_buggy(Bug::DeleteOther, async |demo: &Demo| {
        for id in ["a", "b", "c"] {
            demo.put(&format!("/things/{id}"), &json!({})).await;
        }
        demo.delete("/things/a").await;
        demo.ids("/things").await
    })
    .await;
    assert_eq!(clean, ["b", "c"]);
    assert_eq!(buggy, ["c"]);
}

#[tokio::test]
async fn get_counter_makes_get_change_the_state() {
    let (clean, buggy) = clean_and_buggy(Bug::GetCounter, async |demo: &Demo| {
        demo.put("/things/g", &json!({})).await;
        let first = demo.get("/things/g").await;
        let second = demo.get("/things/g").await;
        (
            first.header("etag") == second.header("etag"),
            second.json()["views"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (true, Value::Null));
    assert_eq!(buggy, (false, json!(2)));
}

#[tokio::test]
async fn get_or_create_creates_on_read() {
    let (clean, buggy) = clean_and_buggy(Bug::GetOrCreate, async |demo: &Demo| {
        let status = demo.get("/things/ghost").await.status;
        (status, demo.ids("/things").await)
    })
    .await;
    assert_eq!(clean, (404, vec![]));
    assert_eq!(buggy, (200, vec!["ghost".to_string()]));
}

#[tokio::test]
async fn stale_read_serves_deleted_things() {
    let (clean, buggy) = clean_and_buggy(Bug::StaleRead, async |demo: &Demo| {
        demo.put("/things/s", &json!({"v": 1})).await;
        demo.delete("/things/s").await;
        let get = demo.get("/things/s").await.status;
        let head = demo.head("/things/s").await.status;
        let again = demo.delete("/things/s").await.status;
        (get, head, again, demo.ids("/things").await.len())
    })
    .await;
    assert_eq!(clean, (404, 404, 404, 0));
    assert_eq!(buggy, (200, 200, 404, 0));
}

#[tokio::test]
async fn post_key_ignored_creates_duplicates() {
    let (clean, buggy) = clean_and_buggy(Bug::PostKeyIgnored, async |demo: &Demo| {
        demo.post_with_key("/things", "\"k\"", &json!({"v": 1}))
            .await;
        demo.post_with_key("/things", "\"k\"", &json!({"v": 1}))
            .await;
        demo.ids("/things").await.len()
    })
    .await;
    assert_eq!((clean, buggy), (1, 2));
}

#[tokio::test]
async fn head_mismatch_differs_from_get() {
    let (clean, buggy) = clean_and_buggy(Bug::HeadMismatch, async |demo: &Demo| {
        demo.put("/things/h", &json!({})).await;
        let get = demo.get("/things/h").await;
        let head = demo.head("/things/h").await;
        let same = |name: &str| get.header(name) == head.header(name);
        (same("etag"), same("content-type"))
    })
    .await;
    assert_eq!((clean, buggy), ((true, true), (false, false)));
}

#[tokio::test]
async fn put_create_200_hides_the_creation() {
    let (clean, buggy) = clean_and_buggy(Bug::PutCreate200, async |demo: &Demo| {
        demo.put("/things/n", &json!({})).await.status
    })
    .await;
    assert_eq!((clean, buggy), (201, 200));
}

#[tokio::test]
async fn no_allow_drops_the_allow_header_from_405() {
    let (clean, buggy) = clean_and_buggy(Bug::NoAllow, async |demo: &Demo| {
        let reply = demo.send(demo.request(Method::POST, "/things/x")).await;
        (reply.status, reply.header("allow").map(str::to_string))
    })
    .await;
    let allow = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS".to_string();
    assert_eq!((clean, buggy), ((405, Some(allow)), (405, None)));
}

#[tokio::test]
async fn lamp_unbreak_switches_a_broken_lamp() {
    let (clean, buggy) = clean_and_buggy(Bug::LampUnbreak, async |demo: &Demo| {
        demo.put("/lamps/l", &json!({"state": "ON"})).await;
        demo.send(demo.request(Method::POST, "/lamps/l/break"))
            .await;
        let status = demo.put("/lamps/l", &json!({"state": "OFF"})).await.status;
        (status, demo.get("/lamps/l").await.json()["state"].clone())
    })
    .await;
    assert_eq!(clean, (409, json!("BROKEN")));
    assert_eq!(buggy, (200, json!("OFF")));
}

#[tokio::test]
async fn reboot_repeat_reboots_on_a_retry() {
    let (clean, buggy) = clean_and_buggy(Bug::RebootRepeat, async |demo: &Demo| {
        let reboot = json!({"name": "d", "times_rebooted": 1});
        demo.put("/devices/d", &json!({"name": "d", "times_rebooted": 0}))
            .await;
        demo.put("/devices/d", &reboot).await;
        let before = demo.get("/devices/d").await.json();
        demo.put("/devices/d", &reboot).await;
        let after = demo.get("/devices/d").await.json();
        (
            before["last_boot"] == after["last_boot"],
            after["times_rebooted"].clone(),
        )
    })
    .await;
    assert_eq!((clean, buggy), ((true, json!(1)), (false, json!(1))));
}

#[test]
fn every_bug_has_a_test_here() {
    // A reminder for whoever adds a bug: add its clean-versus-buggy test to this file (the
    // race and conditional-request bugs have theirs in `planted_concurrency.rs`).
    assert_eq!(Bug::ALL.len(), 26);
}

#[tokio::test]
async fn post_put_merge_merges_only_on_posted_things() {
    let (clean, buggy) = clean_and_buggy(Bug::PostPutMerge, async |demo: &Demo| {
        demo.put("/things/put-made", &json!({"name": "a", "size": 1}))
            .await;
        demo.put("/things/put-made", &json!({"name": "b"})).await;
        let posted = demo.post("/things", &json!({"name": "a", "size": 1})).await;
        let location = posted.header("location").unwrap_or_default().to_string();
        demo.put(&location, &json!({"name": "b"})).await;
        (
            demo.get("/things/put-made")
                .await
                .json()
                .get("size")
                .cloned(),
            demo.get(&location).await.json().get("size").cloned(),
        )
    })
    .await;
    assert_eq!(clean, (None, None));
    assert_eq!(buggy, (None, Some(json!(1))));
}

#[tokio::test]
async fn tombstone_revive_needs_a_get_between_delete_and_put() {
    let (clean, buggy) = clean_and_buggy(Bug::TombstoneRevive, async |demo: &Demo| {
        let mut sizes = Vec::new();
        for (path, read_between) in [("/things/plain", false), ("/things/read", true)] {
            demo.put(path, &json!({"name": "a", "size": 1})).await;
            demo.delete(path).await;
            if read_between {
                assert_eq!(demo.get(path).await.status, 404);
            }
            demo.put(path, &json!({"name": "c"})).await;
            sizes.push(demo.get(path).await.json().get("size").cloned());
        }
        sizes
    })
    .await;
    assert_eq!(clean, vec![None, None]);
    assert_eq!(buggy, vec![None, Some(json!(1))]);
}

#[tokio::test]
async fn read_bump_needs_an_update_and_a_get_before_an_identical_put() {
    let (clean, buggy) = clean_and_buggy(Bug::ReadBump, async |demo: &Demo| {
        let body = json!({"name": "a"});
        demo.put("/things/r", &body).await;
        demo.get("/things/r").await;
        demo.put("/things/r", &body).await;
        let after_create_get = demo.get("/things/r").await.json().get("version").cloned();
        demo.put("/things/r", &body).await;
        (
            after_create_get,
            demo.get("/things/r").await.json().get("version").cloned(),
        )
    })
    .await;
    assert_eq!(clean, (None, None));
    assert_eq!(buggy, (Some(json!(1)), Some(json!(2))));
}
