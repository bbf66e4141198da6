//! The race and conditional-request bugs: the same short sequence against the clean API and
//! against the API with that one bug. Concurrent requests are started together with
//! `join_all`; each buggy path holds a 50 ms storage round trip, so they all land inside it.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Demo, Reply, start};
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

async fn put_with(demo: &Demo, path: &str, body: &Value, field: &str, value: &str) -> Reply {
    let request = demo.with_json(Method::PUT, path, body);
    demo.send(request.header(field, value)).await
}

async fn etag(demo: &Demo, path: &str) -> String {
    let reply = demo.get(path).await;
    reply.header("etag").unwrap_or_default().to_string()
}

#[tokio::test]
async fn put_race_inserts_a_row_per_racing_put() {
    let (clean, buggy) = clean_and_buggy(Bug::PutRace, async |demo: &Demo| {
        let body = json!({"v": 1});
        let puts = (0..8).map(|_| demo.put("/things/race", &body));
        let created = futures::future::join_all(puts)
            .await
            .iter()
            .filter(|reply| reply.status == 201)
            .count();
        let rows = demo.ids("/things").await.len();
        demo.delete("/things/race").await;
        (created, rows, demo.ids("/things").await.len())
    })
    .await;
    assert_eq!(clean, (1, 1, 0));
    assert_eq!(
        buggy,
        (8, 8, 0),
        "every racer inserts; DELETE removes every row"
    );
}

#[tokio::test]
async fn key_race_runs_every_concurrent_post_of_one_key() {
    let (clean, buggy) = clean_and_buggy(Bug::KeyRace, async |demo: &Demo| {
        let body = json!({"v": 1});
        let posts = (0..8).map(|_| demo.post_with_key("/things", "\"k\"", &body));
        futures::future::join_all(posts).await;
        demo.ids("/things").await.len()
    })
    .await;
    assert_eq!((clean, buggy), (1, 8));
}

#[tokio::test]
async fn key_late_commit_runs_a_retry_sent_while_the_first_is_in_flight() {
    let (clean, buggy) = clean_and_buggy(Bug::KeyLateCommit, async |demo: &Demo| {
        let body = json!({"v": 1});
        let (first, retry) = futures::future::join(
            demo.post_with_key("/things", "\"k\"", &body),
            demo.post_with_key("/things", "\"k\"", &body),
        )
        .await;
        let mut statuses = [first.status, retry.status];
        statuses.sort_unstable();
        let later = demo.post_with_key("/things", "\"k\"", &body).await.status;
        (statuses, later, demo.ids("/things").await.len())
    })
    .await;
    assert_eq!(clean, ([201, 409], 201, 1));
    assert_eq!(buggy, ([201, 201], 201, 2));
}

#[tokio::test]
async fn ifmatch_ignored_applies_stale_writes() {
    let (clean, buggy) = clean_and_buggy(Bug::IfMatchIgnored, async |demo: &Demo| {
        demo.put("/things/c", &json!({"v": 1})).await;
        let stale = put_with(demo, "/things/c", &json!({"v": 2}), "if-match", "\"old\"").await;
        let missing = put_with(demo, "/things/none", &json!({"v": 1}), "if-match", "*").await;
        (
            stale.status,
            missing.status,
            demo.get("/things/c").await.json()["v"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (412, 412, json!(1)));
    assert_eq!(buggy, (200, 201, json!(2)));
}

#[tokio::test]
async fn ifnonematch_ignored_lets_a_create_only_put_overwrite() {
    let (clean, buggy) = clean_and_buggy(Bug::IfNoneMatchIgnored, async |demo: &Demo| {
        demo.put("/things/c", &json!({"v": 1})).await;
        let reply = put_with(demo, "/things/c", &json!({"v": 2}), "if-none-match", "*").await;
        (
            reply.status,
            demo.get("/things/c").await.json()["v"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (412, json!(1)));
    assert_eq!(buggy, (200, json!(2)));
}

#[tokio::test]
async fn weak_etag_match_accepts_a_weak_tag_in_if_match() {
    let (clean, buggy) = clean_and_buggy(Bug::WeakEtagMatch, async |demo: &Demo| {
        demo.put("/things/c", &json!({"v": 1})).await;
        let weak = format!("W/{}", etag(demo, "/things/c").await);
        put_with(demo, "/things/c", &json!({"v": 2}), "if-match", &weak)
            .await
            .status
    })
    .await;
    assert_eq!((clean, buggy), (412, 200));
}

#[tokio::test]
async fn etag_churn_changes_the_tag_on_an_identical_put() {
    let (clean, buggy) = clean_and_buggy(Bug::EtagChurn, async |demo: &Demo| {
        demo.put("/things/c", &json!({"v": 1})).await;
        let first = demo.get("/things/c").await;
        demo.put("/things/c", &json!({"v": 1})).await;
        let second = demo.get("/things/c").await;
        let tag = first.header("etag").unwrap_or_default().to_string();
        let conditional = put_with(demo, "/things/c", &json!({"v": 2}), "if-match", &tag).await;
        (
            first.text == second.text,
            first.header("etag") == second.header("etag"),
            conditional.status,
        )
    })
    .await;
    assert_eq!(clean, (true, true, 200));
    assert_eq!(buggy, (true, false, 412));
}

#[tokio::test]
async fn no_428_accepts_an_unconditional_put_to_a_note() {
    let (clean, buggy) = clean_and_buggy(Bug::No428, async |demo: &Demo| {
        let created = demo.send(demo.request(Method::POST, "/notes")).await;
        let path = created.header("location").unwrap_or_default().to_string();
        let reply = demo.put(&path, &json!({"title": "t"})).await;
        (
            reply.status,
            demo.get(&path).await.json().get("title").cloned(),
        )
    })
    .await;
    assert_eq!(clean, (428, None));
    assert_eq!(buggy, (200, Some(json!("t"))));
}

#[tokio::test]
async fn republish_publishes_again_on_a_retried_put() {
    let (clean, buggy) = clean_and_buggy(Bug::Republish, async |demo: &Demo| {
        let created = demo.send(demo.request(Method::POST, "/notes")).await;
        let path = created.header("location").unwrap_or_default().to_string();
        for _ in 0..2 {
            put_with(demo, &path, &json!({"title": "t"}), "if-match", "*").await;
        }
        demo.get(&path).await.json()["publications"].clone()
    })
    .await;
    assert_eq!((clean, buggy), (json!(1), json!(2)));
}
