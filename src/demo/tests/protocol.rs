//! Protocol-level behaviour shared by every resource: OPTIONS, 405 with Allow, the body limit,
//! unknown routes, and the server's lifecycle.

use reqwest::Method;
use serde_json::json;

use super::{client, start};
use crate::demo::{BugSet, DemoServer};

#[tokio::test]
async fn options_lists_the_allowed_methods() {
    let demo = start("none").await;
    let cases = [
        ("/things/x", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"),
        ("/things", "GET, HEAD, POST, OPTIONS"),
        ("/lamps", "GET, HEAD, OPTIONS"),
        ("/devices/x", "GET, HEAD, PUT, DELETE, OPTIONS"),
    ];
    for (path, allow) in cases {
        let reply = demo.send(demo.request(Method::OPTIONS, path)).await;
        assert_eq!(
            (reply.status, reply.header("allow")),
            (204, Some(allow)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn other_methods_answer_405_with_allow() {
    let demo = start("none").await;
    let cases = [
        (
            Method::PATCH,
            "/devices/x",
            "GET, HEAD, PUT, DELETE, OPTIONS",
        ),
        (
            Method::POST,
            "/things/x",
            "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        ),
        (Method::PUT, "/things", "GET, HEAD, POST, OPTIONS"),
        (Method::DELETE, "/devices", "GET, HEAD, OPTIONS"),
        (Method::GET, "/lamps/x/break", "POST, OPTIONS"),
    ];
    for (method, path, allow) in cases {
        let reply = demo.send(demo.request(method.clone(), path)).await;
        reply.assert_problem(405);
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let demo = start("none").await;
    let big = json!({"blob": "x".repeat(1024 * 1024)});
    demo.put("/things/big", &big).await.assert_problem(413);
    demo.post("/things", &big).await.assert_problem(413);
    demo.get("/things/big").await.assert_problem(404);
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let demo = start("none").await;
    demo.get("/nothing/here").await.assert_problem(404);
}

#[tokio::test]
async fn the_server_reports_its_address_and_shuts_down() {
    let addr = "127.0.0.1:0".parse().expect("address");
    let server = DemoServer::start(addr, BugSet::none())
        .await
        .expect("starts");
    let base = server.base_url();
    assert_eq!(base, format!("http://127.0.0.1:{}", server.addr().port()));
    let client = client();
    let list = client
        .get(format!("{base}/things"))
        .send()
        .await
        .expect("up");
    assert_eq!(list.status(), 200);
    server.shutdown().await;
    assert!(client.get(format!("{base}/things")).send().await.is_err());
}
