//! `POST /things` and Idempotency-Key: server ids, Location, replay, and payload mismatch.

use serde_json::json;

use super::start;

#[tokio::test]
async fn post_without_a_key_creates_every_time() {
    let demo = start("none").await;
    let first = demo.post("/things", &json!({"v": 1})).await;
    let second = demo.post("/things", &json!({"v": 1})).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.header("location"), Some("/things/srv-000001"));
    assert_eq!(second.header("location"), Some("/things/srv-000002"));
    let read = demo.get("/things/srv-000001").await;
    assert_eq!(read.status, 200, "Location resolves");
    assert_eq!(read.json(), first.json());
}

#[tokio::test]
async fn post_skips_ids_taken_by_put_and_ignores_a_body_id() {
    let demo = start("none").await;
    demo.put("/things/srv-000001", &json!({})).await;
    let posted = demo.post("/things", &json!({"id": "mine"})).await;
    assert_eq!(posted.header("location"), Some("/things/srv-000002"));
    assert_eq!(posted.json()["id"], "srv-000002");
}

#[tokio::test]
async fn same_key_and_body_replay_the_first_answer_exactly() {
    let demo = start("none").await;
    let first = demo
        .post_with_key("/things", "\"k-1\"", &json!({"v": 1}))
        .await;
    let retry = demo
        .post_with_key("/things", "\"k-1\"", &json!({"v": 1}))
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(retry.status, first.status);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.text, first.text);
    assert_eq!(demo.ids("/things").await.len(), 1);
}

#[tokio::test]
async fn the_bare_token_form_names_the_same_key() {
    let demo = start("none").await;
    let quoted = demo.post_with_key("/things", "\"abc\"", &json!({})).await;
    let bare = demo.post_with_key("/things", "abc", &json!({})).await;
    assert_eq!(bare.text, quoted.text);
    assert_eq!(demo.ids("/things").await.len(), 1);
}

#[tokio::test]
async fn same_key_with_another_body_is_422_and_creates_nothing() {
    let demo = start("none").await;
    demo.post_with_key("/things", "\"k\"", &json!({"v": 1}))
        .await;
    let other = demo
        .post_with_key("/things", "\"k\"", &json!({"v": 2}))
        .await;
    other.assert_problem(422);
    assert_eq!(demo.ids("/things").await.len(), 1);
}

#[tokio::test]
async fn errors_are_remembered_and_malformed_keys_rejected() {
    let demo = start("none").await;
    let bad = demo.post_with_key("/things", "\"e\"", &json!([1])).await;
    bad.assert_problem(400);
    let retry = demo.post_with_key("/things", "\"e\"", &json!([1])).await;
    assert_eq!(
        (retry.status, retry.text.as_str()),
        (400, bad.text.as_str())
    );
    demo.post_with_key("/things", "\"open", &json!({}))
        .await
        .assert_problem(400);
    assert!(demo.ids("/things").await.is_empty());
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_thing() {
    let demo = start("none").await;
    let body = json!({"v": 1});
    let retries = (0..8).map(|_| demo.post_with_key("/things", "\"race\"", &body));
    let replies = futures::future::join_all(retries).await;
    let created: Vec<_> = replies.iter().filter(|reply| reply.status == 201).collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|reply| reply.text == created[0].text));
    for reply in replies.iter().filter(|reply| reply.status != 201) {
        // Still in flight: the first request holds the key for its storage round trip.
        reply.assert_problem(409);
    }
    assert_eq!(demo.ids("/things").await.len(), 1);
    let settled = demo.post_with_key("/things", "\"race\"", &body).await;
    assert_eq!((settled.status, &settled.text), (201, &created[0].text));
}

#[tokio::test]
async fn concurrent_identical_puts_create_once() {
    let demo = start("none").await;
    let body = json!({"v": 1});
    let puts = (0..8).map(|_| demo.put("/things/once", &body));
    let mut statuses: Vec<u16> = futures::future::join_all(puts)
        .await
        .iter()
        .map(|reply| reply.status)
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
}
