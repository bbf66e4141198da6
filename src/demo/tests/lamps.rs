//! The clean behaviour of `/lamps`: switching, the system's BROKEN state, and its 409.

use serde_json::json;

use super::start;

#[tokio::test]
async fn switching_creates_then_updates_and_repeats_are_no_ops() {
    let demo = start("none").await;
    let created = demo.put("/lamps/l1", &json!({"state": "ON"})).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/lamps/l1"));
    let first = demo.get("/lamps/l1").await;
    let repeat = demo.put("/lamps/l1", &json!({"state": "ON"})).await;
    assert_eq!(repeat.status, 200);
    let second = demo.get("/lamps/l1").await;
    assert_eq!(first.text, second.text);
    assert_eq!(first.header("etag"), second.header("etag"));

    let off = demo.put("/lamps/l1", &json!({"state": "OFF"})).await;
    assert_eq!((off.status, &off.json()["state"]), (200, &json!("OFF")));
}

#[tokio::test]
async fn a_client_cannot_set_broken_or_unknown_members() {
    let demo = start("none").await;
    demo.put("/lamps/l", &json!({"state": "BROKEN"}))
        .await
        .assert_problem(422);
    demo.put("/lamps/l", &json!({"state": "DIM"}))
        .await
        .assert_problem(400);
    demo.put("/lamps/l", &json!({"state": "ON", "color": "red"}))
        .await
        .assert_problem(400);
    demo.get("/lamps/l").await.assert_problem(404);
}

#[tokio::test]
async fn a_broken_lamp_refuses_switching_with_409() {
    let demo = start("none").await;
    demo.put("/lamps/b", &json!({"state": "ON"})).await;
    let broke = demo
        .send(demo.request(reqwest::Method::POST, "/lamps/b/break"))
        .await;
    assert_eq!(broke.status, 204);
    demo.put("/lamps/b", &json!({"state": "OFF"}))
        .await
        .assert_problem(409);
    assert_eq!(demo.get("/lamps/b").await.json()["state"], "BROKEN");
    let missing = demo.request(reqwest::Method::POST, "/lamps/none/break");
    demo.send(missing).await.assert_problem(404);
}

#[tokio::test]
async fn lamps_list_delete_and_options() {
    let demo = start("none").await;
    demo.put("/lamps/z", &json!({"state": "OFF"})).await;
    demo.put("/lamps/a", &json!({"state": "ON", "id": "a"}))
        .await;
    assert_eq!(demo.ids("/lamps").await, ["a", "z"]);
    assert_eq!(demo.delete("/lamps/a").await.status, 204);
    demo.delete("/lamps/a").await.assert_problem(404);
    let options = demo
        .send(demo.request(reqwest::Method::OPTIONS, "/lamps/z/break"))
        .await;
    assert_eq!(options.header("allow"), Some("POST, OPTIONS"));
}
