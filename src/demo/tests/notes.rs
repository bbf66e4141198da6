//! `/notes`: POST-PUT creation (an empty POST mints an empty note; the first PUT with content
//! publishes it) and required preconditions (an unconditional PUT is answered 428).

use reqwest::Method;
use serde_json::{Value, json};

use super::{Demo, Reply, start};

async fn put_with(demo: &Demo, path: &str, body: &Value, field: &str, value: &str) -> Reply {
    let request = demo.with_json(Method::PUT, path, body);
    demo.send(request.header(field, value)).await
}

/// An empty POST; returns the new note's path.
async fn empty_post(demo: &Demo) -> String {
    let reply = demo.send(demo.request(Method::POST, "/notes")).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.header("location").expect("Location").to_string()
}

#[tokio::test]
async fn an_empty_post_mints_an_empty_unpublished_note() {
    let demo = start("none").await;
    let path = empty_post(&demo).await;
    assert!(path.starts_with("/notes/note-"), "{path}");
    let note = demo.get(&path).await;
    assert_eq!(note.status, 200);
    assert!(note.header("etag").is_some_and(|t| t.starts_with('"')));
    let body = note.json();
    assert_eq!(body["publications"], 0, "{body}");
    assert_eq!(body.get("title"), None, "{body}");
}

#[tokio::test]
async fn every_put_must_be_conditional() {
    let demo = start("none").await;
    let path = empty_post(&demo).await;
    demo.put(&path, &json!({"title": "t"}))
        .await
        .assert_problem(428);
    assert_eq!(demo.get(&path).await.json()["publications"], 0);
    let tag = demo
        .get(&path)
        .await
        .header("etag")
        .unwrap_or_default()
        .to_string();
    let filled = put_with(&demo, &path, &json!({"title": "t"}), "if-match", &tag).await;
    assert_eq!(filled.status, 200);
    assert_eq!(filled.json()["publications"], 1);
    put_with(&demo, &path, &json!({"title": "u"}), "if-match", &tag)
        .await
        .assert_problem(412);
}

#[tokio::test]
async fn a_retried_put_publishes_once() {
    let demo = start("none").await;
    let path = empty_post(&demo).await;
    for _ in 0..3 {
        let reply = put_with(&demo, &path, &json!({"title": "t"}), "if-match", "*").await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(demo.get(&path).await.json()["publications"], 1);
}

#[tokio::test]
async fn if_none_match_star_creates_once_and_delete_needs_no_precondition() {
    let demo = start("none").await;
    let first = put_with(
        &demo,
        "/notes/mine",
        &json!({"title": "t"}),
        "if-none-match",
        "*",
    )
    .await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("location"), Some("/notes/mine"));
    put_with(
        &demo,
        "/notes/mine",
        &json!({"title": "u"}),
        "if-none-match",
        "*",
    )
    .await
    .assert_problem(412);
    put_with(
        &demo,
        "/notes/other",
        &json!({"title": "t"}),
        "if-match",
        "*",
    )
    .await
    .assert_problem(412);
    assert_eq!(demo.ids("/notes").await, ["mine"]);
    assert_eq!(demo.delete("/notes/mine").await.status, 204);
    demo.delete("/notes/mine").await.assert_problem(404);
}
