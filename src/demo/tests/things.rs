//! The clean behaviour of `/things`: PUT create and replace, GET/HEAD with ETag, DELETE, list.

use reqwest::Method;
use serde_json::{Value, json};

use super::start;

#[tokio::test]
async fn put_creates_with_201_then_replaces_with_200() {
    let demo = start("none").await;
    let created = demo.put("/things/t1", &json!({"a": 1, "b": 2})).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/things/t1"));
    let body = created.json();
    assert_eq!(
        (&body["id"], &body["a"], &body["b"]),
        (&json!("t1"), &json!(1), &json!(2))
    );
    assert!(body["updatedAt"].is_string());

    let replaced = demo.put("/things/t1", &json!({"a": 3})).await;
    assert_eq!(replaced.status, 200);
    let read = demo.get("/things/t1").await.json();
    assert_eq!(read, replaced.json());
    assert_eq!(read["a"], 3);
    assert!(read.get("b").is_none(), "PUT replaces: {read}");
}

#[tokio::test]
async fn identical_put_changes_nothing_not_even_the_etag() {
    let demo = start("none").await;
    let body = json!({"name": "x", "tags": ["a", "b"], "nested": {"k": null}});
    demo.put("/things/same", &body).await;
    let first = demo.get("/things/same").await;
    let again = demo.put("/things/same", &body).await;
    assert_eq!(again.status, 200);
    let second = demo.get("/things/same").await;
    assert_eq!(first.text, second.text);
    assert_eq!(first.header("etag"), second.header("etag"));
    assert!(first.header("etag").is_some_and(|tag| tag.starts_with('"')));
}

#[tokio::test]
async fn a_changing_put_moves_updated_at_and_the_etag() {
    let demo = start("none").await;
    demo.put("/things/c", &json!({"v": 1})).await;
    let before = demo.get("/things/c").await;
    demo.put("/things/c", &json!({"v": 2})).await;
    let after = demo.get("/things/c").await;
    assert_ne!(before.header("etag"), after.header("etag"));
    assert_ne!(before.json()["updatedAt"], after.json()["updatedAt"]);
}

#[tokio::test]
async fn put_ignores_server_members_and_rejects_bad_bodies() {
    let demo = start("none").await;
    let echoed = json!({"id": "s", "updatedAt": "1999-01-01T00:00:00.000Z", "v": 1});
    let created = demo.put("/things/s", &echoed).await.json();
    assert_ne!(created["updatedAt"], "1999-01-01T00:00:00.000Z");

    demo.put("/things/s", &json!({"id": "other", "v": 2}))
        .await
        .assert_problem(400);
    demo.put("/things/s", &json!([1, 2]))
        .await
        .assert_problem(400);
    let not_json = demo.request(reqwest::Method::PUT, "/things/s").body("v=1");
    demo.send(not_json).await.assert_problem(400);
    assert_eq!(
        demo.get("/things/s").await.json()["v"],
        1,
        "nothing changed"
    );
}

#[tokio::test]
async fn get_and_head_of_a_missing_thing_are_404() {
    let demo = start("none").await;
    demo.get("/things/nope").await.assert_problem(404);
    let head = demo.head("/things/nope").await;
    assert_eq!((head.status, head.text.as_str()), (404, ""));
}

#[tokio::test]
async fn head_answers_the_headers_of_get_without_content() {
    let demo = start("none").await;
    demo.put("/things/h", &json!({"v": "é"})).await;
    let get = demo.get("/things/h").await;
    let head = demo.head("/things/h").await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    for name in ["etag", "content-type", "content-length"] {
        assert_eq!(get.header(name), head.header(name), "{name}");
        assert!(get.header(name).is_some(), "{name}");
    }
    assert_eq!(get.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn delete_removes_then_answers_404() {
    let demo = start("none").await;
    demo.put("/things/d", &json!({})).await;
    let deleted = demo.delete("/things/d").await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    demo.get("/things/d").await.assert_problem(404);
    demo.delete("/things/d").await.assert_problem(404);
    demo.delete("/things/never").await.assert_problem(404);
}

#[tokio::test]
async fn put_after_delete_creates_exactly_the_new_representation() {
    let demo = start("none").await;
    demo.put("/things/r", &json!({"old": true})).await;
    demo.delete("/things/r").await;
    let created = demo.put("/things/r", &json!({"new": true})).await;
    assert_eq!(created.status, 201);
    let read = demo.get("/things/r").await.json();
    assert!(read.get("old").is_none(), "{read}");
}

#[tokio::test]
async fn list_is_sorted_by_id_and_deleting_removes_only_the_target() {
    let demo = start("none").await;
    for id in ["b", "c", "a"] {
        demo.put(&format!("/things/{id}"), &json!({})).await;
    }
    assert_eq!(demo.ids("/things").await, ["a", "b", "c"]);
    demo.delete("/things/a").await;
    assert_eq!(demo.ids("/things").await, ["b", "c"]);
}

#[tokio::test]
async fn ids_are_percent_encoded_in_location() {
    let demo = start("none").await;
    let created = demo.put("/things/a%20b", &json!({})).await;
    assert_eq!(created.header("location"), Some("/things/a%20b"));
    assert_eq!(created.json()["id"], "a b");
    assert_eq!(demo.get("/things/a%20b").await.status, 200);
}

#[tokio::test]
async fn merge_patch_changes_only_the_named_members_and_is_idempotent() {
    let demo = start("none").await;
    demo.put("/things/p", &json!({"name": "a", "size": 3, "tags": ["x"]}))
        .await;
    let patch = |body: Value| merge_patch(&demo, "/things/p", &body);
    let first = demo.send(patch(json!({"size": 4, "tags": null}))).await;
    assert_eq!(first.status, 200);
    let second = demo.send(patch(json!({"size": 4, "tags": null}))).await;
    assert_eq!(first.json(), second.json(), "a merge patch is idempotent");
    let body = demo.get("/things/p").await.json();
    assert_eq!((&body["name"], &body["size"]), (&json!("a"), &json!(4)));
    assert!(body.get("tags").is_none());
}

#[tokio::test]
async fn merge_patch_needs_its_media_type_and_an_existing_thing() {
    let demo = start("none").await;
    demo.send(demo.with_json(Method::PATCH, "/things/none", &json!({})))
        .await
        .assert_problem(415);
    let missing = merge_patch(&demo, "/things/none", &json!({}));
    demo.send(missing).await.assert_problem(404);
}

fn merge_patch(demo: &super::Demo, path: &str, body: &Value) -> reqwest::RequestBuilder {
    demo.request(Method::PATCH, path)
        .header("Content-Type", "application/merge-patch+json")
        .body(body.to_string())
}
