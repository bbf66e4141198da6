//! Conditional requests on every resource: If-None-Match on reads, If-Match and
//! If-None-Match on writes, and preconditions ignored when the request fails anyway.

use reqwest::Method;
use serde_json::json;

use super::{Demo, Reply, start};

async fn put_if(demo: &Demo, path: &str, field: &str, value: &str) -> Reply {
    let request = demo.with_json(Method::PUT, path, &json!({"state": "ON", "v": 2}));
    demo.send(request.header(field, value)).await
}

async fn etag(demo: &Demo, path: &str) -> String {
    let reply = demo.get(path).await;
    reply.header("etag").unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_matching_if_none_match_answers_304_to_get_and_head() {
    let demo = start("none").await;
    demo.put("/things/c", &json!({"v": 1})).await;
    let tag = etag(&demo, "/things/c").await;
    for method in [Method::GET, Method::HEAD] {
        let request = demo
            .request(method, "/things/c")
            .header("if-none-match", &tag);
        let reply = demo.send(request).await;
        assert_eq!((reply.status, reply.text.as_str()), (304, ""));
        assert_eq!(reply.header("etag"), Some(tag.as_str()));
    }
    let stale = demo
        .request(Method::GET, "/things/c")
        .header("if-none-match", "\"old\"");
    assert_eq!(demo.send(stale).await.status, 200);
}

#[tokio::test]
async fn if_match_guards_puts_and_deletes_against_lost_updates() {
    let demo = start("none").await;
    demo.put("/things/c", &json!({"v": 1})).await;
    let tag = etag(&demo, "/things/c").await;
    put_if(&demo, "/things/c", "if-match", "\"old\"")
        .await
        .assert_problem(412);
    put_if(&demo, "/things/c", "if-match", &format!("W/{tag}"))
        .await
        .assert_problem(412);
    assert_eq!(
        demo.get("/things/c").await.json()["v"],
        1,
        "nothing changed"
    );
    assert_eq!(
        put_if(&demo, "/things/c", "if-match", &tag).await.status,
        200
    );

    let delete = demo
        .request(Method::DELETE, "/things/c")
        .header("if-match", &tag);
    demo.send(delete).await.assert_problem(412);
    let current = etag(&demo, "/things/c").await;
    let delete = demo
        .request(Method::DELETE, "/things/c")
        .header("if-match", &current);
    assert_eq!(demo.send(delete).await.status, 204);
    let missing = demo
        .request(Method::DELETE, "/things/c")
        .header("if-match", &current);
    demo.send(missing).await.assert_problem(404);
}

#[tokio::test]
async fn star_conditions_make_create_only_and_update_only_puts() {
    let demo = start("none").await;
    put_if(&demo, "/things/n", "if-match", "*")
        .await
        .assert_problem(412);
    demo.get("/things/n").await.assert_problem(404);
    assert_eq!(
        put_if(&demo, "/things/n", "if-none-match", "*")
            .await
            .status,
        201
    );
    put_if(&demo, "/things/n", "if-none-match", "*")
        .await
        .assert_problem(412);
    assert_eq!(
        put_if(&demo, "/things/n", "if-match", "*").await.status,
        200
    );
}

#[tokio::test]
async fn lamps_and_devices_honour_preconditions_after_their_own_conflicts() {
    let demo = start("none").await;
    demo.put("/lamps/l", &json!({"state": "OFF"})).await;
    let put = demo.with_json(Method::PUT, "/lamps/l", &json!({"state": "ON"}));
    demo.send(put.header("if-match", "\"old\""))
        .await
        .assert_problem(412);
    demo.send(demo.request(Method::POST, "/lamps/l/break"))
        .await;
    let put = demo.with_json(Method::PUT, "/lamps/l", &json!({"state": "ON"}));
    demo.send(put.header("if-match", "\"old\""))
        .await
        .assert_problem(409);

    demo.put("/devices/d", &json!({"name": "d", "times_rebooted": 0}))
        .await;
    let tag = etag(&demo, "/devices/d").await;
    let reboot = json!({"name": "d", "times_rebooted": 1});
    let put = demo.with_json(Method::PUT, "/devices/d", &reboot);
    demo.send(put.header("if-none-match", &tag))
        .await
        .assert_problem(412);
    let put = demo.with_json(Method::PUT, "/devices/d", &reboot);
    assert_eq!(demo.send(put.header("if-match", &tag)).await.status, 200);
}
