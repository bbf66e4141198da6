//! The stand-in servers of `tests/standins` reproduce their systems' wire behaviour: statuses,
//! listing shapes, headers, error bodies, the planted bugs, the request log's raw targets, and
//! pre-existing resources left untouched by requests elsewhere.

mod standins;

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use standins::*;

// ---------------------------------------------------------------------------------------------
// Helpers

/// An answer, read whole.
struct Resp {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A client for one stand-in.
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(api: &Standin) -> Http {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("build a reqwest client");
        Http {
            client,
            base: api.base_url(),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("send");
        Resp {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("read body").to_vec(),
        }
    }

    /// `method path` with no header and no body.
    async fn call(&self, method: &str, path: &str) -> Resp {
        self.send(method, path, &[], None).await
    }

    /// `method path` with one header and a body (none when empty).
    async fn with(&self, method: &str, path: &str, header: (&str, &str), body: &str) -> Resp {
        let body = (!body.is_empty()).then_some(body);
        self.send(method, path, &[header], body).await
    }

    /// The status of a JSON request.
    async fn json_status(&self, method: &str, path: &str, body: Value) -> u16 {
        self.json(method, path, body).await.status
    }

    /// One member of a JSON request's JSON answer.
    async fn json_member(&self, method: &str, path: &str, body: Value, member: &str) -> Value {
        self.json(method, path, body).await.json()[member].clone()
    }

    /// One string member of a JSON request's JSON answer (empty when it is not a string).
    async fn json_text(&self, method: &str, path: &str, body: Value, member: &str) -> String {
        let value = self.json_member(method, path, body, member).await;
        value.as_str().unwrap_or("").to_string()
    }

    /// PUT of a text body with no header.
    async fn put_text(&self, path: &str, body: &str) -> Resp {
        self.send("PUT", path, &[], Some(body)).await
    }

    async fn get(&self, path: &str) -> Resp {
        self.call("GET", path).await
    }

    async fn json(&self, method: &str, path: &str, body: Value) -> Resp {
        let text = body.to_string();
        self.send(
            method,
            path,
            &[("content-type", "application/json")],
            Some(&text),
        )
        .await
    }
}

/// Starts `behaviour` and a client for it.
fn serve(behaviour: impl Behaviour) -> (Standin, Http) {
    let api = Standin::start(behaviour);
    let http = Http::new(&api);
    (api, http)
}

/// Starts `behaviour` with pre-existing resources, and a client for it.
fn serve_seeded(behaviour: impl Behaviour, seed: Seed) -> (Standin, Http) {
    let api = Standin::builder(behaviour).seed(seed).start();
    let http = Http::new(&api);
    (api, http)
}

/// Writes `request` on a fresh connection and reads until the server closes it.
async fn raw(api: &Standin, request: &str) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", api.port()))
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out));
    read.await
        .expect("the server closed the connection")
        .expect("read");
    out
}

/// The bytes after the first response's header section.
fn after_head(response: &[u8]) -> &[u8] {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header section");
    &response[end + 4..]
}

fn status_of(response: &[u8]) -> String {
    String::from_utf8_lossy(response)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Runs `attempt` until it reports that both of its writes fell within one second (the
/// precondition of the same-second behaviours), at most 5 times.
async fn within_one_second<F, Fut>(mut attempt: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for n in 0..5 {
        if attempt(n).await {
            return;
        }
    }
    panic!("five attempts each straddled a second boundary");
}

fn items(body: &Value, pointer: &str) -> Vec<Value> {
    body.pointer(pointer)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("no array at {pointer} in {body}"))
}

// ---------------------------------------------------------------------------------------------
// Common core

#[tokio::test]
async fn the_log_keeps_raw_targets_headers_and_bodies() {
    let api = Standin::builder(Generic::correct())
        .seed(Seed::numbered("things", 3))
        .start();
    let response = raw(
        &api,
        "GET /things/x/%2e%2e/pre00001 HTTP/1.1\r\nhost: a\r\nauthorization: Bearer s3cret\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(
        status_of(&response).contains("200"),
        "{}",
        status_of(&response)
    );
    raw(
        &api,
        "GET /things/pre00002#frag HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n",
    )
    .await;
    let http = Http::new(&api);
    http.json("PUT", "/things/mine", json!({ "name": "n" }))
        .await;

    let log = api.requests();
    assert_eq!(log[0].target, "/things/x/%2e%2e/pre00001");
    assert_eq!(log[0].header("Authorization"), Some("Bearer s3cret"));
    assert_eq!(log[1].target, "/things/pre00002#frag", "a fragment is kept");
    assert_eq!(log[2].method, "PUT");
    assert_eq!(log[2].body_text(), r#"{"name":"n"}"#);
    assert_eq!(log[2].status, 201);
    assert!(log[2].is_write() && !log[0].is_write());
}

#[tokio::test]
async fn pre_existing_resources_are_untouched_by_requests_elsewhere() {
    let (api, http) = serve_seeded(Generic::correct(), Seed::numbered("things", 3));
    assert_eq!(
        http.json_status("PUT", "/things/mine", json!({ "name": "a" }))
            .await,
        201
    );
    assert_eq!(http.get("/things/pre00001").await.status, 200);
    api.assert_seed_untouched();
    assert_eq!(
        api.left_behind(),
        vec![("things".to_string(), "mine".to_string())]
    );

    // The check itself notices a rewrite with the same content, and a delete.
    let same = http.get("/things/pre00002").await.json();
    http.json("PUT", "/things/pre00002", same).await;
    http.call("DELETE", "/things/pre00003").await;
    let changes = api.seed_changes();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].starts_with("things/pre00002: changed"));
    assert_eq!(changes[1], "things/pre00003: gone");
}

#[tokio::test]
async fn an_encoded_id_is_one_segment_and_dot_segments_resolve() {
    let (api, http) = serve_seeded(Generic::correct(), Seed::numbered("things", 2));
    let created = http
        .json(
            "PUT",
            "/things/x%2F..%2Fpre00002",
            json!({ "name": "mine" }),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["id"], "x/../pre00002");
    api.assert_seed_untouched();
    // Sent raw (as a client that substitutes ids unencoded would), it lands on pre00002.
    let raw_put = "PUT /things/x/../pre00002 HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: 14\r\nconnection: close\r\n\r\n{\"name\":\"bad\"}";
    let answer = raw(&api, raw_put).await;
    assert!(status_of(&answer).contains("200"));
    assert_eq!(api.seed_changes().len(), 1);
    assert_eq!(
        api.requests().last().map(|r| r.target.clone()).as_deref(),
        Some("/things/x/../pre00002")
    );
}

// ---------------------------------------------------------------------------------------------
// The generic JSON API

#[tokio::test]
async fn generic_correct_api() {
    let (_api, http) = serve(Generic::correct());
    let created = http
        .json("PUT", "/things/a", json!({ "name": "one" }))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/things/a"));
    assert_eq!(
        http.json_status("PUT", "/things/a", json!({ "name": "one" }))
            .await,
        200
    );
    let read = http.get("/things/a").await;
    assert_eq!(read.json(), json!({ "id": "a", "name": "one" }));
    let etag = read.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert!(read.header("last-modified").is_some());
    let body = r#"{"name":"x"}"#;
    for (path, precondition) in [
        ("/things/a", ("if-match", "\"stale\"")),
        ("/things/a", ("if-none-match", "*")),
        ("/things/b", ("if-match", "*")),
    ] {
        let refused = http.with("PUT", path, precondition, body).await;
        assert_eq!(refused.status, 412, "PUT {path} with {precondition:?}");
    }
    assert_eq!(
        http.with("GET", "/things/a", ("if-none-match", &etag), "")
            .await
            .status,
        304
    );
    let current = http
        .with("PUT", "/things/a", ("if-match", &etag), r#"{"name":"two"}"#)
        .await;
    assert_eq!(current.status, 200);

    let patch = http.json("PATCH", "/things/a", json!({})).await;
    assert_eq!(patch.status, 405);
    assert_eq!(
        patch.header("allow"),
        Some("GET, HEAD, PUT, DELETE, OPTIONS")
    );
    assert_eq!(
        http.call("OPTIONS", "/things/a").await.header("allow"),
        Some("GET, HEAD, PUT, DELETE, OPTIONS")
    );
    let posted = http.json("POST", "/things", json!({ "name": "p" })).await;
    assert_eq!(
        (posted.status, posted.header("location")),
        (201, Some("/things/n1"))
    );
    let list = http.get("/things").await.json();
    assert_eq!(list["total"], 2);
    assert_eq!(items(&list, "/items").len(), 2);
    assert_eq!(http.call("DELETE", "/things/a").await.status, 204);
    assert_eq!(http.call("DELETE", "/things/a").await.status, 404);
    assert_eq!(http.get("/things/a").await.status, 404);
    let head = http.call("HEAD", "/things/n1").await;
    assert!(head.status == 200 && head.body.is_empty() && head.header("etag").is_some());
}

#[tokio::test]
async fn write_timestamps_move_forward_and_counters_count() {
    let (_api, http) = serve(Generic::write_timestamps());
    let body = json!({ "name": "same" });
    http.json("PUT", "/things/t", body.clone()).await;
    let first = http.get("/things/t").await.json();
    http.json("PUT", "/things/t", body.clone()).await;
    let second = http.get("/things/t").await.json();
    let time = |v: &Value, k: &str| {
        humantime::parse_rfc3339(v[k].as_str().expect("a time")).expect("RFC 3339")
    };
    assert!(time(&second, "updatedAt") > time(&first, "updatedAt"));
    assert!(
        second["updated"].as_u64() > first["updated"].as_u64(),
        "epoch ms moves"
    );
    assert_eq!(first["createdAt"], second["createdAt"]);
    assert!(second.get("revision").is_none() && second.get("history").is_none());

    let (_buggy, http) = serve(Generic::write_counters());
    http.json("PUT", "/things/t", body.clone()).await;
    http.json("PUT", "/things/t", body.clone()).await;
    let after = http.get("/things/t").await.json();
    assert_eq!(after["revision"], 2);
    assert_eq!(items(&after, "/history").len(), 2);
}

#[tokio::test]
async fn an_ignored_body_answers_2xx_and_stores_nothing() {
    let (_api, http) = serve(Generic::ignores_body());
    assert_eq!(
        http.json_status("PUT", "/things/i", json!({ "name": "lost" }))
            .await,
        201
    );
    assert_eq!(http.get("/things/i").await.json(), json!({ "id": "i" }));
}

#[tokio::test]
async fn unlistable_collections() {
    for (listing, status, content_type) in [
        (Listing::Html, 200, "text/html; charset=utf-8"),
        (Listing::NotFound, 404, "application/json"),
        (Listing::MethodNotAllowed, 405, "application/json"),
        (Listing::Array, 200, "application/json"),
    ] {
        let (_api, http) = serve(Generic::unlistable(listing));
        http.json("PUT", "/things/u", json!({ "name": "n" })).await;
        let list = http.get("/things").await;
        assert_eq!(
            (list.status, list.header("content-type")),
            (status, Some(content_type)),
            "{listing:?}"
        );
        if listing == Listing::MethodNotAllowed {
            assert_eq!(list.header("allow"), Some("POST, OPTIONS"));
        }
        assert_eq!(
            http.get("/things/u").await.json()["name"],
            "n",
            "items stay JSON"
        );
    }
}

#[tokio::test]
async fn a_prefix_delete_removes_its_neighbours_and_the_correct_one_does_not() {
    let canaries = ["X", "X0", "X-1", "x", "Y"];
    let (buggy, http) = serve_seeded(Generic::prefix_delete(), Seed::ids("things", canaries));
    assert_eq!(http.call("DELETE", "/things/X").await.status, 204);
    let left: Vec<String> = buggy
        .state()
        .list("things")
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(left, ["Y"]);

    let correct = Standin::builder(Generic::correct())
        .seed(Seed::ids("things", canaries))
        .start();
    Http::new(&correct).call("DELETE", "/things/X").await;
    assert_eq!(correct.seed_changes(), ["things/X: gone"]);
}

#[tokio::test]
async fn an_mtime_size_etag_survives_a_same_size_change_within_a_second() {
    for (api, same_tag_expected) in [
        (Standin::start(Generic::mtime_size_etag()), true),
        (Standin::start(Generic::correct()), false),
    ] {
        let http = Http::new(&api);
        within_one_second(|n| {
            let http = &http;
            async move {
                let path = format!("/things/e{n}");
                http.json("PUT", &path, json!({ "name": "aaaa" })).await;
                let before = http.get(&path).await;
                http.json("PUT", &path, json!({ "name": "bbbb" })).await;
                let after = http.get(&path).await;
                if before.header("last-modified") != after.header("last-modified") {
                    return false;
                }
                assert_ne!(before.json(), after.json());
                assert_eq!(
                    before.header("etag") == after.header("etag"),
                    same_tag_expected
                );
                true
            }
        })
        .await;
    }
    let tag = EtagStyle::MtimeSize.tag(
        b"abcd",
        std::time::UNIX_EPOCH + Duration::from_secs(0x65ab_cdef),
    );
    assert_eq!(tag.as_deref(), Some("\"65abcdef-4\""), "nginx's format");
}

#[tokio::test]
async fn ignored_preconditions_lose_updates() {
    let (_api, http) = serve(Generic::ignores_preconditions());
    http.json("PUT", "/things/p", json!({ "name": "one" }))
        .await;
    let stale = http
        .with(
            "PUT",
            "/things/p",
            ("if-match", "\"stale\""),
            r#"{"name":"two"}"#,
        )
        .await;
    assert_eq!(stale.status, 200);
    assert_eq!(http.get("/things/p").await.json()["name"], "two");
}

#[tokio::test]
async fn hostile_ids_locations_and_answers() {
    let (api, http) = serve_seeded(
        Generic::created_ids(&["x/../pre00002", "pre00003#x", "a/b"]),
        Seed::numbered("things", 3),
    );
    let first = http.json("POST", "/things", json!({ "name": "h" })).await;
    assert_eq!(first.json()["id"], "x/../pre00002");
    assert_eq!(first.header("location"), Some("/things/x%2F..%2Fpre00002"));
    assert_eq!(
        http.json_member("POST", "/things", json!({ "name": "h" }), "id")
            .await,
        "pre00003#x"
    );
    assert_eq!(http.get("/things/pre00003%23x").await.json()["name"], "h");
    api.assert_seed_untouched();

    let other = Standin::start(Httpbin);
    let elsewhere = format!("{}/things/pre00001", other.base_url());
    let api = Standin::start(Generic::location(&elsewhere));
    let created = Http::new(&api)
        .json("POST", "/things", json!({ "name": "h" }))
        .await;
    assert_eq!(created.header("location"), Some(elsewhere.as_str()));
    assert!(other.requests().is_empty());

    let (_api, http) = serve(Generic::answers_every_id());
    let never = http.get("/things/never-created").await;
    assert_eq!(
        (never.status, never.json()),
        (200, json!({ "id": "never-created" }))
    );
    assert_eq!(
        http.json_status("PUT", "/things/fresh", json!({ "name": "n" }))
            .await,
        200
    );

    let (_api, http) = serve(Generic::reused_ids());
    http.json("POST", "/things", json!({ "name": "1" })).await;
    let second = http
        .json("POST", "/things", json!({ "name": "2" }))
        .await
        .json();
    assert_eq!(second["id"], 2);
    http.call("DELETE", "/things/2").await;
    assert_eq!(
        http.json_member("POST", "/things", json!({ "name": "3" }), "id")
            .await,
        2,
        "reused"
    );
}

// ---------------------------------------------------------------------------------------------
// Frameworks

#[tokio::test]
async fn drf_viewset() {
    let (api, http) = serve_seeded(Drf::correct(), Seed::numbered("items", 45));
    let base = api.base_url();
    let first = http.get("/items/").await;
    assert_eq!(first.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    assert_eq!(first.header("vary"), Some("Accept, Cookie"));
    let first = first.json();
    assert_eq!(first["count"], 45);
    assert_eq!(first["next"], format!("{base}/items/?page=2"));
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(items(&first, "/results").len(), 20);
    let second = http.get("/items/?page=2").await.json();
    assert_eq!(second["previous"], format!("{base}/items/"));
    assert_eq!(
        http.get("/items/?page=3").await.json()["previous"],
        format!("{base}/items/?page=2")
    );
    let past = http.get("/items/?page=4").await;
    assert_eq!(
        (past.status, past.json()),
        (404, json!({ "detail": "Invalid page." }))
    );

    let slashless = http.get("/items/3").await;
    assert_eq!(
        (slashless.status, slashless.header("location")),
        (301, Some("/items/3/"))
    );
    assert_eq!(
        http.json_status("PUT", "/items/3", json!({ "name": "x" }))
            .await,
        301
    );
    assert!(
        http.get("/nothing/")
            .await
            .text()
            .contains("<h1>Not Found</h1>")
    );

    let created = http
        .json(
            "POST",
            "/items/",
            json!({ "name": "new", "color": "red", "extra": 1 }),
        )
        .await;
    assert_eq!(created.status, 201);
    assert!(created.header("location").is_none());
    let expected = json!({ "id": 46, "name": "new", "color": "red", "size": null, "tags": [], "note": "", "dimensions": null });
    assert_eq!(
        created.json(),
        expected,
        "defaults filled, unknown member dropped"
    );
    let put = http
        .json("PUT", "/items/46/", json!({ "name": "renamed" }))
        .await;
    assert_eq!(
        put.json()["color"],
        Value::Null,
        "a full update stores the defaults"
    );
    let invalid = http
        .json("PUT", "/items/46/", json!({ "size": "big" }))
        .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.json(),
        json!({ "name": ["This field is required."], "size": ["A valid integer is required."] })
    );
    assert_eq!(
        http.json_status("PUT", "/items/999/", json!({ "name": "n" }))
            .await,
        404,
        "no upsert"
    );
    let wrong = http.json("POST", "/items/46/", json!({})).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(
        wrong.json(),
        json!({ "detail": "Method \"POST\" not allowed." })
    );
    assert_eq!(
        wrong.header("allow"),
        Some("GET, PUT, PATCH, DELETE, HEAD, OPTIONS")
    );
    assert_eq!(http.call("DELETE", "/items/46/").await.status, 204);
    let gone = http.call("DELETE", "/items/46/").await;
    assert_eq!(
        (gone.status, gone.json()),
        (404, json!({ "detail": "No Item matches the given query." }))
    );
    assert_eq!(
        http.json_member("POST", "/items/", json!({ "name": "n" }), "id")
            .await,
        47,
        "never reused"
    );
    // Django 5.2.19 + DRF 3.18.3: a non-integer pk is a bare Http404; OPTIONS is SimpleMetadata
    // with the serializer's fields under `actions`.
    let not_an_id = http.get("/items/abc/").await;
    assert_eq!(
        (not_an_id.status, not_an_id.json()),
        (404, json!({ "detail": "Not found." }))
    );
    let options = http.call("OPTIONS", "/items/1/").await.json();
    assert_eq!(options["name"], "Item Instance");
    assert_eq!(options["actions"]["PUT"]["name"]["required"], true);
    assert_eq!(options["actions"]["PUT"]["id"]["read_only"], true);
    let list_options = http.call("OPTIONS", "/items/").await.json();
    assert_eq!(list_options["actions"]["POST"]["color"]["required"], false);
    api.assert_seed_untouched();

    let (_merging, http) = serve(Drf::with_bug(DrfBug::PutMerges));
    http.json(
        "POST",
        "/items/",
        json!({ "name": "a", "color": "red", "tags": ["t"] }),
    )
    .await;
    let merged = http
        .json("PUT", "/items/1/", json!({ "name": "b" }))
        .await
        .json();
    assert_eq!(
        (merged["color"].clone(), merged["tags"].clone()),
        (json!("red"), json!(["t"]))
    );

    let (_crashing, http) = serve(Drf::with_bug(DrfBug::RepeatDelete500));
    http.json("POST", "/items/", json!({ "name": "a" })).await;
    assert_eq!(http.call("DELETE", "/items/1/").await.status, 204);
    assert_eq!(http.get("/items/1/").await.status, 404);
    assert_eq!(http.call("DELETE", "/items/1/").await.status, 500);
}

#[tokio::test]
async fn fastapi_app() {
    let (api, http) = serve(FastApi::correct());
    let created = http
        .json("POST", "/items", json!({ "name": "a", "tags": ["x"] }))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.json(),
        json!({ "id": 1, "name": "a", "color": null, "size": null, "tags": ["x"], "note": "", "dimensions": null })
    );
    let replaced = http
        .json("PUT", "/items/1", json!({ "name": "b" }))
        .await
        .json();
    assert_eq!(replaced["tags"], json!([]), "the model's default");
    let missing = http
        .json("PUT", "/items/1", json!({ "color": "red" }))
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.json()["detail"][0]["type"], "missing");
    assert_eq!(missing.json()["detail"][0]["loc"], json!(["body", "name"]));
    let path = http.get("/items/abc").await.json();
    assert_eq!(path["detail"][0]["loc"], json!(["path", "item_id"]));
    let patch = http.json("PATCH", "/items/1", json!({})).await;
    assert_eq!(
        (patch.status, patch.header("allow")),
        (405, Some("GET, HEAD, PUT, DELETE"))
    );
    assert_eq!(patch.json(), json!({ "detail": "Method Not Allowed" }));
    assert_eq!(http.call("HEAD", "/items/1").await.status, 200);
    let slash = http.get("/items/").await;
    assert_eq!(
        (slash.status, slash.header("location")),
        (307, Some(format!("{}/items", api.base_url()).as_str()))
    );
    assert_eq!(http.call("DELETE", "/items/1").await.status, 204);
    let gone = http.get("/items/1").await;
    assert_eq!(
        (gone.status, gone.json()),
        (404, json!({ "detail": "Item not found" }))
    );
    assert_eq!(
        items(&http.get("/items").await.json(), ""),
        Vec::<Value>::new()
    );

    let (_short, http) = serve(FastApi::with_bug(FastApiBug::ShortAllow));
    http.json("POST", "/items", json!({ "name": "a" })).await;
    let patch = http.json("PATCH", "/items/1", json!({})).await;
    assert_eq!((patch.status, patch.header("allow")), (405, Some("GET")));
    assert_eq!(http.call("HEAD", "/items/1").await.status, 405);
    assert_eq!(
        http.json_status("PUT", "/items/1", json!({ "name": "b" }))
            .await,
        200,
        "PUT works"
    );
    assert_eq!(
        http.call("DELETE", "/items/1").await.status,
        204,
        "DELETE works"
    );
}

#[tokio::test]
async fn json_server_reuses_the_last_id() {
    let (api, http) = serve_seeded(JsonServer::correct(), Seed::numbered("items", 3));
    let created = http.json("POST", "/items", json!({ "name": "four" })).await;
    assert_eq!(created.status, 201);
    // json-server 0.17.4: an absolute `Location` on POST.
    assert_eq!(
        created.header("location").map(str::to_string),
        Some(format!("{}/items/4", api.base_url()))
    );
    assert_eq!(created.json(), json!({ "name": "four", "id": 4 }));
    assert!(created.text().contains("\n  \""), "pretty-printed");
    let etag = created.header("etag").expect("Express's ETag");
    assert!(etag.starts_with("W/\""), "{etag}");
    let deleted = http.call("DELETE", "/items/4").await;
    assert_eq!((deleted.status, deleted.json()), (200, json!({})));
    assert_eq!(
        http.json_member("POST", "/items", json!({ "name": "again" }), "id")
            .await,
        4,
        "reused"
    );
    let filtered = http.get("/items?id=2").await.json();
    assert_eq!(items(&filtered, "").len(), 1);
    let page = http.get("/items?_page=1&_limit=2").await;
    assert_eq!(page.header("x-total-count"), Some("4"));
    assert!(
        page.header("link")
            .is_some_and(|l| l.contains("rel=\"next\""))
    );
    let replaced = http
        .json("PUT", "/items/4", json!({ "color": "red" }))
        .await
        .json();
    assert_eq!(replaced, json!({ "color": "red", "id": 4 }), "PUT replaces");
    let missing = http.json("PUT", "/items/99", json!({ "name": "x" })).await;
    assert_eq!((missing.status, missing.json()), (404, json!({})));
    // json-server 0.17.4: a method the route lacks is the same 404 `{}` (no `Allow`), a trailing
    // slash is ignored, `If-Match` is not evaluated, a body that is not JSON is Express's HTML 400.
    for (method, path) in [
        ("POST", "/items/1"),
        ("PUT", "/items"),
        ("DELETE", "/items"),
    ] {
        let wrong = http.json(method, path, json!({})).await;
        assert_eq!(
            (wrong.status, wrong.json()),
            (404, json!({})),
            "{method} {path}"
        );
        assert!(wrong.header("allow").is_none());
        assert!(wrong.header("etag").is_some_and(|t| t.starts_with("W/")));
    }
    assert_eq!(
        http.get("/items/1/").await.status,
        200,
        "trailing slash ignored"
    );
    let stale = http
        .with(
            "PUT",
            "/items/4",
            ("if-match", "\"stale\""),
            r#"{"name":"x"}"#,
        )
        .await;
    assert_eq!(stale.status, 200, "If-Match is not evaluated");
    let not_json = http
        .with(
            "POST",
            "/items",
            ("content-type", "application/json"),
            "nope",
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert!(not_json.text().contains("SyntaxError"));
    api.assert_seed_untouched();
}

/// json-server 1.0.0-beta.3 (tinyhttp): 4-hex-digit string ids, no `Location`, no ETag, text 404s,
/// and a HEAD of an item that deletes it.
#[tokio::test]
async fn json_server_v1_is_another_program_and_its_beta3_head_deletes() {
    let (api, http) = serve_seeded(JsonServerV1::correct(), Seed::numbered("items", 1));
    let created = http
        .json("POST", "/items", json!({ "name": "a", "id": 9 }))
        .await;
    assert_eq!(created.status, 201);
    assert!(created.header("location").is_none() && created.header("etag").is_none());
    let id = created.json()["id"].as_str().unwrap_or("").to_string();
    assert!(
        id.len() == 4 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(
        created.text().starts_with("{\n  \"id\""),
        "id first: {}",
        created.text()
    );
    let item = format!("/items/{id}");
    assert_eq!(http.call("HEAD", &item).await.status, 200);
    assert_eq!(
        http.get(&item).await.status,
        200,
        "the correct variant keeps it"
    );
    let missing = http
        .json("PUT", "/items/ffff", json!({ "name": "x" }))
        .await;
    assert_eq!(
        (missing.status, missing.text()),
        (404, "Not Found".to_string())
    );
    assert_eq!(http.get(&format!("{item}/")).await.status, 404);
    let page = http.get("/items?_page=1&_per_page=1").await.json();
    assert_eq!(
        (page["items"].clone(), page["next"].clone()),
        (json!(2), json!(2))
    );
    let deleted = http.call("DELETE", &item).await;
    assert_eq!(
        (deleted.status, deleted.json()["name"].clone()),
        (200, json!("a"))
    );
    // 1.0.0-beta.3: the body is parsed before routing; not JSON is a 500 with V8's message.
    for (path, body, message) in [
        (
            "/items",
            "nope",
            "Unexpected token 'o', \"nope\" is not valid JSON",
        ),
        (
            "/items/ffff",
            "hi",
            "Unexpected token 'h', \"hi\" is not valid JSON",
        ),
    ] {
        let broken = http
            .with("PUT", path, ("content-type", "text/plain"), body)
            .await;
        assert_eq!((broken.status, broken.text()), (500, message.to_string()));
        assert!(broken.header("content-type").is_none());
    }
    let next = http
        .json_text("POST", "/items", json!({ "name": "b" }), "id")
        .await;
    assert_ne!(next, id, "ids are not reused");
    api.assert_seed_untouched();

    let (_beta3, http) = serve(JsonServerV1::beta3());
    let id = http
        .json_text("POST", "/items", json!({ "name": "a" }), "id")
        .await;
    let item = format!("/items/{id}");
    let head = http.call("HEAD", &item).await;
    assert_eq!(head.status, 200);
    assert!(
        head.header("content-length").is_none(),
        "tinyhttp sends none"
    );
    assert_eq!(http.get(&item).await.status, 404, "the HEAD deleted it");
}

#[tokio::test]
async fn eve_api() {
    let (api, http) = serve(Eve::correct());
    let base = api.base_url();
    let created = http.json("POST", "/things", json!({ "name": "a" })).await;
    assert_eq!(created.status, 201);
    let summary = created.json();
    let id = summary["_id"].as_str().expect("an _id").to_string();
    // Eve 2.3.1 (over mongomock 4.3): POST answers an absolute `Location`; the list has
    // `X-Total-Count`; a trailing slash is accepted on an item.
    assert_eq!(
        created.header("location").map(str::to_string),
        Some(format!("{base}/things/{id}"))
    );
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(summary["_status"], "OK");
    assert_eq!(summary["_links"]["self"]["href"], format!("things/{id}"));
    let read = http.get(&format!("/things/{id}")).await;
    assert_eq!(
        read.header("etag").map(str::to_string),
        Some(format!(
            "\"{}\"",
            read.json()["_etag"].as_str().unwrap_or("")
        ))
    );
    assert!(httpdate::parse_http_date(read.json()["_updated"].as_str().unwrap_or("")).is_ok());
    let list = http.get("/things").await;
    assert_eq!(list.header("x-total-count"), Some("1"));
    assert!(
        list.header("last-modified").is_some(),
        "the newest _updated"
    );
    let list = list.json();
    assert_eq!(list["_meta"]["total"], 1);
    assert_eq!(http.get(&format!("/things/{id}/")).await.status, 200);
    assert_eq!(items(&list, "/_items").len(), 1);
    let unknown = http
        .json(
            "PUT",
            &format!("/things/{id}"),
            json!({ "name": "a", "bogus": 1 }),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.json()["_issues"]["bogus"].clone()),
        (422, json!("unknown field"))
    );
    let stale = http
        .with(
            "PUT",
            &format!("/things/{id}"),
            ("if-match", "deadbeef"),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(
        stale.json()["_error"]["message"],
        "Client and server etags don't match"
    );
    let create_only = http
        .with(
            "PUT",
            &format!("/things/{id}"),
            ("if-none-match", "*"),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(create_only.status, 412);
    let tag = http
        .get(&format!("/things/{id}"))
        .await
        .header("etag")
        .unwrap_or("")
        .to_string();
    let weak = http
        .with(
            "PUT",
            &format!("/things/{id}"),
            ("if-match", &format!("W/{tag}")),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(weak.status, 412, "If-Match compares strongly");
    let star = http
        .with(
            "PUT",
            &format!("/things/{id}"),
            ("if-match", "*"),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(star.status, 200, "* holds for an existing document");
    let wrong = http.json("POST", &format!("/things/{id}"), json!({})).await;
    assert_eq!(wrong.status, 405);
    assert!(wrong.header("allow").is_some_and(|a| !a.contains("POST")));
    assert_eq!(http.get("/things/not-an-object-id").await.status, 404);
    let upsert = http
        .json(
            "PUT",
            "/things/5f0000000000000000000099",
            json!({ "name": "u" }),
        )
        .await;
    assert_eq!(upsert.status, 201);
    assert_eq!(
        upsert.header("location").map(str::to_string),
        Some(format!("{base}/things/5f0000000000000000000099"))
    );
    for _ in 0..2 {
        let gone = http
            .call("DELETE", "/things/5f0000000000000000000099")
            .await;
        assert_eq!(gone.status, 204, "all_done(), also for a missing document");
    }
    assert_eq!(
        http.get("/things/5f0000000000000000000099").await.status,
        404
    );
    for _ in 0..2 {
        assert_eq!(
            http.json_status("PUT", &format!("/things/{id}"), json!({ "name": "same" }))
                .await,
            200
        );
    }

    let (_real, http) = serve(Eve::with_bug(EveBug::IfNoneMatchIgnored));
    let id = http
        .json_text("POST", "/things", json!({ "name": "a" }), "_id")
        .await;
    let overwrite = http
        .with(
            "PUT",
            &format!("/things/{id}"),
            ("if-none-match", "*"),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(overwrite.status, 200);

    // Eve 2.3.1: `max_results` pages and stays in the links; PATCH answers no Last-Modified.
    http.json("POST", "/things", json!({ "name": "second" }))
        .await;
    let page = http.get("/things?max_results=1").await.json();
    assert_eq!(
        (
            page["_meta"]["max_results"].clone(),
            page["_links"]["next"]["href"].clone()
        ),
        (json!(1), json!("things?max_results=1&page=2"))
    );
    assert_eq!(items(&page, "/_items").len(), 1);
    let patched = http
        .json("PATCH", &format!("/things/{id}"), json!({ "size": 9 }))
        .await;
    assert_eq!(patched.status, 200);
    assert!(patched.header("etag").is_some() && patched.header("last-modified").is_none());

    // Eve 2.3.1 as released: `If-Match: *` is 412, `W/` is stripped, a 405 has no `Allow`,
    // OPTIONS of an item lists POST, the upsert `Location` doubles the collection.
    let (released, http) = serve(Eve::as_released());
    let id = http
        .json_text("POST", "/things", json!({ "name": "a" }), "_id")
        .await;
    let item = format!("/things/{id}");
    let tag = http
        .get(&item)
        .await
        .header("etag")
        .unwrap_or("")
        .to_string();
    let star = http
        .with("PUT", &item, ("if-match", "*"), r#"{"name":"b"}"#)
        .await;
    assert_eq!(star.status, 412, "Eve compares * as a tag");
    let weak = http
        .with(
            "PUT",
            &item,
            ("if-match", &format!("W/{tag}")),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(weak.status, 200, "Eve strips W/");
    let wrong = http.json("POST", &item, json!({})).await;
    assert_eq!((wrong.status, wrong.header("allow")), (405, None));
    let options = http.call("OPTIONS", &item).await;
    assert!(options.header("allow").is_some_and(|a| a.contains("POST")));
    let upsert = http
        .json(
            "PUT",
            "/things/5f0000000000000000000098",
            json!({ "name": "u" }),
        )
        .await;
    assert_eq!(
        upsert.header("location").map(str::to_string),
        Some(format!(
            "{}/things/things/5f0000000000000000000098",
            released.base_url()
        ))
    );

    let (_buggy, http) = serve(Eve::with_bug(EveBug::RepeatPut412));
    let id = http
        .json_text("POST", "/things", json!({ "name": "a" }), "_id")
        .await;
    within_one_second(|n| {
        let (http, id) = (&http, &id);
        async move {
            let body = json!({ "name": format!("v{n}") });
            let first = http
                .json("PUT", &format!("/things/{id}"), body.clone())
                .await;
            assert_eq!(first.status, 200, "{}", first.text());
            // Eve 2.3.1: the matching If-Match does not help (checked by hand).
            let tag = first.header("etag").unwrap_or("").to_string();
            let matching = http
                .with(
                    "PUT",
                    &format!("/things/{id}"),
                    ("if-match", &tag),
                    &body.to_string(),
                )
                .await;
            let second = http.json("PUT", &format!("/things/{id}"), body).await;
            if matching.status == 200 || second.status == 200 {
                return false;
            }
            assert_eq!((matching.status, second.status), (412, 412));
            assert_eq!(second.json()["_error"]["code"], 412);
            true
        }
    })
    .await;
}

#[tokio::test]
async fn couchdb_documents_need_their_revision() {
    let (api, http) = serve_seeded(Couch::correct(), Seed::numbered("idemfuzz", 2));
    let created = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "a" }))
        .await;
    assert_eq!(created.status, 201);
    let rev1 = created.json()["rev"].as_str().expect("a rev").to_string();
    assert!(rev1.starts_with("1-") && rev1.len() == 34, "{rev1}");
    assert_eq!(
        created.json(),
        json!({ "ok": true, "id": "doc", "rev": rev1 })
    );
    assert_eq!(
        created.header("etag").map(str::to_string),
        Some(format!("\"{rev1}\""))
    );
    let read = http.get("/idemfuzz/doc").await;
    assert_eq!(
        read.json(),
        json!({ "_id": "doc", "_rev": rev1, "name": "a" })
    );
    let conflict = json!({ "error": "conflict", "reason": "Document update conflict." });
    let missing_rev = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "b" }))
        .await;
    assert_eq!(
        (missing_rev.status, missing_rev.json()),
        (409, conflict.clone())
    );
    let updated = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "b", "_rev": rev1 }))
        .await;
    assert_eq!(updated.status, 200);
    let rev2 = updated.json()["rev"].as_str().unwrap_or("").to_string();
    assert!(rev2.starts_with("2-"));
    let stale = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "c", "_rev": rev1 }))
        .await;
    assert_eq!((stale.status, stale.json()), (409, conflict.clone()));
    let by_header = http
        .send(
            "PUT",
            "/idemfuzz/doc",
            &[("if-match", &format!("\"{rev2}\""))],
            Some(r#"{"name":"d"}"#),
        )
        .await;
    assert_eq!(by_header.status, 200);
    let rev3 = by_header.json()["rev"].as_str().unwrap_or("").to_string();
    assert_eq!(http.call("DELETE", "/idemfuzz/doc").await.status, 409);
    let deleted = http
        .call("DELETE", &format!("/idemfuzz/doc?rev={rev3}"))
        .await;
    assert_eq!(
        (deleted.status, deleted.json()["ok"].clone()),
        (200, json!(true))
    );
    let gone = http.get("/idemfuzz/doc").await;
    assert_eq!(
        (gone.status, gone.json()),
        (404, json!({ "error": "not_found", "reason": "deleted" }))
    );
    let recreated = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "e" }))
        .await;
    assert_eq!(recreated.status, 201);
    assert!(
        recreated.json()["rev"]
            .as_str()
            .is_some_and(|r| r.starts_with("5-"))
    );
    let posted = http.json("POST", "/idemfuzz", json!({ "name": "p" })).await;
    assert_eq!(posted.status, 201);
    let new_id = posted.json()["id"].as_str().unwrap_or("").to_string();
    assert_eq!(new_id.len(), 32);
    assert_eq!(
        posted.header("location").map(str::to_string),
        Some(format!("{}/idemfuzz/{new_id}", api.base_url()))
    );
    let all = http.get("/idemfuzz/_all_docs").await.json();
    assert_eq!(all["total_rows"], 4);
    assert_eq!(all["offset"], 0);
    let rows = items(&all, "/rows");
    let ids: Vec<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "in id order");
    let doc = rows
        .iter()
        .find(|r| r["id"] == "doc")
        .expect("doc is listed");
    assert!(doc["value"]["rev"].is_string() && doc["key"] == "doc");
    api.assert_seed_untouched();

    let (_lossy, http) = serve(Couch::with_bug(CouchBug::StaleRevAccepted));
    let rev1 = http
        .json_member("PUT", "/idemfuzz/doc", json!({ "name": "a" }), "rev")
        .await;
    http.json("PUT", "/idemfuzz/doc", json!({ "name": "b", "_rev": rev1 }))
        .await;
    let lost = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "c", "_rev": rev1 }))
        .await;
    assert_eq!(lost.status, 200, "the stale rev overwrote the update");
    assert_eq!(
        http.json_status("PUT", "/idemfuzz/doc", json!({ "name": "d" }))
            .await,
        409
    );

    let (_real, http) = serve(Couch::with_bug(CouchBug::Update201));
    let rev1 = http
        .json_member("PUT", "/idemfuzz/doc", json!({ "name": "a" }), "rev")
        .await;
    assert_eq!(
        http.json_status("PUT", "/idemfuzz/doc", json!({ "name": "b", "_rev": rev1 }))
            .await,
        201
    );
}

/// pouchdb-server 4.2.0 (`--in-memory`): updates are 201, `If-Match` does not name a PUT's rev,
/// reads carry Express's weak ETag, a stale `?rev=` DELETE is 404 `missing`, and a DELETE
/// without `?rev=` deletes whatever `If-Match` says.
#[tokio::test]
async fn pouchdb_server_deletes_without_a_revision() {
    let (_pouch, http) = serve(Couch::pouchdb_server());
    let rev1 = http
        .json_text("PUT", "/idemfuzz/doc", json!({ "name": "a" }), "rev")
        .await;
    let by_header = http
        .with(
            "PUT",
            "/idemfuzz/doc",
            ("if-match", &format!("\"{rev1}\"")),
            r#"{"name":"b"}"#,
        )
        .await;
    assert_eq!(
        by_header.status, 409,
        "If-Match does not name the rev of a PUT"
    );
    let updated = http
        .json("PUT", "/idemfuzz/doc", json!({ "name": "b", "_rev": rev1 }))
        .await;
    assert_eq!(updated.status, 201);
    let rev2 = updated.json()["rev"].as_str().unwrap_or("").to_string();
    let read = http.get("/idemfuzz/doc").await;
    let tag = read.header("etag").unwrap_or("");
    assert!(
        tag.starts_with("W/\"") && !tag.contains(&rev2),
        "Express's tag: {tag}"
    );
    let revalidated = http
        .with(
            "GET",
            "/idemfuzz/doc",
            ("if-none-match", &format!("\"{rev2}\"")),
            "",
        )
        .await;
    assert_eq!(revalidated.status, 200, "the rev is not the read's ETag");
    let stale = http
        .call("DELETE", &format!("/idemfuzz/doc?rev={rev1}"))
        .await;
    assert_eq!(
        (stale.status, stale.json()["reason"].clone()),
        (404, json!("missing"))
    );
    let blind = http
        .with("DELETE", "/idemfuzz/doc", ("if-match", "\"1-stale\""), "")
        .await;
    assert_eq!(blind.status, 200, "deleted without a (matching) revision");
    assert_eq!(http.get("/idemfuzz/doc").await.status, 404);
    // pouchdb-server 4.2.0: no 405 anywhere.
    http.json("PUT", "/idemfuzz/other", json!({ "name": "a" }))
        .await;
    let patch = http.json("PATCH", "/idemfuzz/other", json!({})).await;
    assert_eq!(
        (patch.status, patch.json()["reason"].clone()),
        (404, json!("missing"))
    );
    let post = http.json("POST", "/idemfuzz/other", json!({})).await;
    assert_eq!(
        (post.status, post.json()["reason"].clone()),
        (400, json!("only_multipart_accepted"))
    );
}

#[tokio::test]
async fn httpbin_echoes_everything_and_keeps_nothing() {
    let (api, http) = serve(Httpbin);
    let never = http
        .with(
            "GET",
            "/anything/things/never",
            ("authorization", "Bearer t"),
            "",
        )
        .await;
    assert_eq!(never.status, 200);
    let echo = never.json();
    assert_eq!(echo["method"], "GET");
    assert_eq!(
        echo["url"],
        format!("{}/anything/things/never", api.base_url())
    );
    assert_eq!(echo["headers"]["Authorization"], "Bearer t");
    let put = http
        .json("PUT", "/anything/things/x", json!({ "name": "n" }))
        .await
        .json();
    assert_eq!(put["json"], json!({ "name": "n" }));
    assert_eq!(put["data"], r#"{"name":"n"}"#);
    assert_eq!(http.call("DELETE", "/anything/things/x").await.status, 200);
    assert_eq!(http.get("/status/418").await.status, 418);
    assert!(api.state().collections.is_empty(), "no state");
}

#[tokio::test]
async fn head_with_a_body_writes_bytes_after_the_header_section() {
    let head = |path: &str| format!("HEAD {path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n");
    let buggy = Standin::start(HeadBody::sends_body());
    Http::new(&buggy)
        .json("PUT", "/things/h", json!({ "name": "n" }))
        .await;
    let found = raw(&buggy, &head("/things/h")).await;
    assert!(status_of(&found).contains("200"));
    assert_eq!(after_head(&found), br#"{"id":"h","name":"n"}"#);
    let missing = raw(&buggy, &head("/things/none")).await;
    assert!(status_of(&missing).contains("404"));
    assert_eq!(after_head(&missing), br#"{"error":"not found"}"#);

    let correct = Standin::start(HeadBody::correct());
    Http::new(&correct)
        .json("PUT", "/things/h", json!({ "name": "n" }))
        .await;
    let found = raw(&correct, &head("/things/h")).await;
    assert!(status_of(&found).contains("200") && after_head(&found).is_empty());
    assert!(
        String::from_utf8_lossy(&found).contains("content-length: 21"),
        "HEAD keeps GET's length"
    );
    assert!(after_head(&raw(&correct, &head("/things/none")).await).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Reach

#[tokio::test]
async fn webdav_files_collections_and_propfind() {
    let (api, http) = serve_seeded(WebDav::correct(), Seed::numbered("shared", 2));
    assert_eq!(
        http.put_text("/things/a.txt", "hello").await.status,
        409,
        "no parent"
    );
    assert_eq!(http.call("MKCOL", "/things/").await.status, 201);
    assert_eq!(http.call("MKCOL", "/things/").await.status, 405);
    assert_eq!(http.call("MKCOL", "/x/y/").await.status, 409);
    assert_eq!(http.put_text("/things/a.txt", "hello").await.status, 201);
    assert_eq!(http.put_text("/things/a.txt", "hello").await.status, 204);
    let read = http.get("/things/a.txt").await;
    assert_eq!((read.status, read.text()), (200, "hello".to_string()));
    assert_eq!(read.header("content-type"), Some("text/plain"));
    let etag = read.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));
    assert!(read.header("last-modified").is_some());
    assert_eq!(
        http.with("PUT", "/things/a.txt", ("if-match", "\"old\""), "x")
            .await
            .status,
        412
    );
    assert_eq!(
        http.with("GET", "/things/a.txt", ("if-none-match", &etag), "")
            .await
            .status,
        304
    );
    let head = http.call("HEAD", "/things/a.txt").await;
    assert!(
        head.status == 200 && head.body.is_empty() && head.header("etag") == Some(etag.as_str())
    );

    let listing = http.with("PROPFIND", "/things/", ("depth", "1"), "").await;
    assert_eq!(listing.status, 207);
    assert_eq!(
        listing.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let xml = listing.text();
    assert!(xml.contains("<D:multistatus xmlns:D=\"DAV:\">"), "{xml}");
    assert!(
        xml.contains("<D:href>/things/</D:href>") && xml.contains("<D:href>/things/a.txt</D:href>"),
        "{xml}"
    );
    assert!(xml.contains("<D:getcontentlength>5</D:getcontentlength>"));
    assert_eq!(
        http.call("PROPFIND", "/things/").await.status,
        403,
        "infinite depth refused"
    );
    assert_eq!(http.get("/things").await.status, 301);
    assert!(http.get("/things/").await.text().contains("a.txt"));
    assert_eq!(http.call("DELETE", "/things/a.txt").await.status, 204);
    assert_eq!(http.get("/things/a.txt").await.status, 404);
    let options = http.call("OPTIONS", "/").await;
    assert_eq!(options.header("dav"), Some("1"));
    api.assert_seed_untouched();
    assert!(
        http.get("/shared/pre00001.txt")
            .await
            .text()
            .starts_with("pre-existing 1")
    );

    let (_appending, http) = serve(WebDav::with_bug(WebDavBug::PutAppends));
    http.put_text("/f.txt", "ab").await;
    http.put_text("/f.txt", "ab").await;
    assert_eq!(http.get("/f.txt").await.text(), "abab");

    let (_nginx, http) = serve(WebDav::with_bug(WebDavBug::MtimeSizeEtag));
    within_one_second(|n| {
        let http = &http;
        async move {
            let path = format!("/f{n}.txt");
            http.put_text(&path, "aaaa").await;
            let before = http.get(&path).await;
            http.put_text(&path, "bbbb").await;
            let after = http.get(&path).await;
            if before.header("last-modified") != after.header("last-modified") {
                return false;
            }
            assert_eq!(after.text(), "bbbb");
            assert_eq!(
                before.header("etag"),
                after.header("etag"),
                "same tag, new content"
            );
            true
        }
    })
    .await;
}

/// nginx 1.22.1 (+ dav-ext), rclone 1.60.1 `serve webdav`, WsgiDAV 4.4.0 and Apache 2.4.71 mod_dav_fs,
/// each against the same PUT/DELETE/precondition sequence.
#[tokio::test]
async fn real_webdav_servers_deviate_each_in_their_way() {
    let (api, http) = serve(WebDav::correct());
    let created = http.put_text("/new.txt", "a").await;
    assert_eq!(
        (
            created.status,
            created.header("location").map(str::to_string)
        ),
        (201, Some(format!("{}/new.txt", api.base_url())))
    );
    assert!(
        http.put_text("/new.txt", "b")
            .await
            .header("location")
            .is_none()
    );

    let (_nginx, http) = serve(WebDav::nginx());
    http.put_text("/f.txt", "a").await;
    let stale = http
        .with("PUT", "/f.txt", ("if-match", "\"stale\""), "b")
        .await;
    assert_eq!(stale.status, 204, "nginx does not evaluate If-Match");
    let create_only = http
        .with("PUT", "/f.txt", ("if-none-match", "*"), "c")
        .await;
    assert_eq!(create_only.status, 204);
    let wrong = http.call("POST", "/f.txt").await;
    assert_eq!((wrong.status, wrong.header("allow")), (405, None));
    let gone = http
        .with("DELETE", "/f.txt", ("if-match", "\"stale\""), "")
        .await;
    assert_eq!(gone.status, 204);

    // rclone 1.60.1: 201 with the new ETag and no `Location` to every PUT; POST reads.
    let (_rclone, http) = serve(WebDav::rclone());
    let first = http.put_text("/f.txt", "a").await;
    assert_eq!(first.status, 201);
    assert!(first.header("etag").is_some() && first.header("location").is_none());
    let again = http.put_text("/f.txt", "a").await;
    assert_eq!(again.status, 201, "201 on replace");
    assert_ne!(
        first.header("etag"),
        again.header("etag"),
        "a new tag per write"
    );
    let posted = http.call("POST", "/f.txt").await;
    assert_eq!((posted.status, posted.text()), (200, "a".to_string()));

    let (_wsgidav, http) = serve(WebDav::wsgidav());
    let blind = http.with("PUT", "/g.txt", ("if-match", "*"), "a").await;
    assert_eq!(blind.status, 201, "If-Match unevaluated on a missing file");
    let stale = http
        .with("PUT", "/g.txt", ("if-match", "\"stale\""), "b")
        .await;
    assert_eq!(stale.status, 412, "but evaluated on an existing one");
    assert!(http.call("PATCH", "/g.txt").await.header("allow").is_none());
    // WsgiDAV 4.4.0: If-Match compares weakly.
    let current = http
        .get("/g.txt")
        .await
        .header("etag")
        .unwrap_or("")
        .to_string();
    let weak = http
        .with("PUT", "/g.txt", ("if-match", &format!("W/{current}")), "w")
        .await;
    assert_eq!(weak.status, 204, "W/ + the current tag matches");
    // WsgiDAV 4.4.0: a PUT answers the new ETag, the one a GET then answers; no `Location`.
    let replaced = http.put_text("/g.txt", "c").await;
    let read = http.get("/g.txt").await;
    assert_eq!(replaced.header("etag"), read.header("etag"));
    assert!(replaced.header("location").is_none());

    let (_apache, http) = serve(WebDav::apache());
    http.put_text("/f.txt", "a").await;
    let tag = http
        .get("/f.txt")
        .await
        .header("etag")
        .unwrap_or("")
        .to_string();
    assert!(tag.starts_with("W/"), "weak while fresh: {tag}");
    let fresh = http.with("PUT", "/f.txt", ("if-match", &tag), "b").await;
    assert_eq!(fresh.status, 412, "a weak tag never passes If-Match");
    // Apache 2.4.71 mod_dav_fs: POST to a file serves it; PATCH is a 405 with `Allow`.
    assert_eq!(http.call("POST", "/f.txt").await.status, 200);
    // Apache 2.4.71 and rclone 1.60.1: an identical rewrite makes a new (mtime-based) tag.
    let before = http.put_text("/same.txt", "x").await;
    assert!(before.status == 201);
    let tag = |r: Resp| r.header("etag").unwrap_or("").to_string();
    let first = tag(http.get("/same.txt").await);
    http.put_text("/same.txt", "x").await;
    let second = tag(http.get("/same.txt").await);
    assert!(first.starts_with("W/\"1-"), "{first}");
    assert_ne!(first, second, "churn on an identical rewrite");
    let wrong = http.call("PATCH", "/f.txt").await;
    assert_eq!(wrong.status, 405);
    assert!(wrong.header("allow").is_some());
}

/// moto 5.2.6 `moto_server`: `If-Match: *` fails on an existing object, reads ignore
/// `If-None-Match: *`, POST and PATCH to an object are a 500 (the correct S3 variant answers
/// 200, 304 and 405 with `Allow`).
#[tokio::test]
async fn moto_compares_star_as_a_tag_and_answers_500_to_post() {
    for (behaviour, star_put, star_get, revalidated, post) in [
        (S3::correct(), 200, 200, 304, 405),
        (S3::moto(), 412, 412, 200, 500),
    ] {
        let (_api, http) = serve(behaviour);
        assert_eq!(http.put_text("/bucket/k", "a").await.status, 200);
        let put = http.with("PUT", "/bucket/k", ("if-match", "*"), "b").await;
        let get = http.with("GET", "/bucket/k", ("if-match", "*"), "").await;
        let fresh = http
            .with("GET", "/bucket/k", ("if-none-match", "*"), "")
            .await;
        let wrong = http.call("POST", "/bucket/k").await;
        assert_eq!(
            (put.status, get.status, fresh.status, wrong.status),
            (star_put, star_get, revalidated, post)
        );
        let create_only = http
            .with("PUT", "/bucket/k", ("if-none-match", "*"), "c")
            .await;
        assert_eq!(
            create_only.status, 412,
            "both refuse a create-only overwrite"
        );
    }
}

#[tokio::test]
async fn s3_objects_listing_and_auth() {
    let auth = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, Signature=x";
    let (api, http) = serve_seeded(
        S3::correct().authorization(auth),
        Seed::ids("bucket", ["data/pre00001", "data/pre00002"]),
    );
    let denied = http.call("GET", "/bucket/data/pre00001").await;
    assert_eq!(denied.status, 403);
    assert!(denied.text().contains("<Code>AccessDenied</Code>"));
    let a = [("authorization", auth)];
    let put = http
        .send(
            "PUT",
            "/bucket/idemfuzz/one",
            &[a[0], ("content-type", "text/plain")],
            Some("hello"),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        put.header("etag"),
        Some("\"5d41402abc4b2a76b9719d911017c592\""),
        "MD5 of hello"
    );
    let read = http.with("GET", "/bucket/idemfuzz/one", a[0], "").await;
    assert_eq!(
        (read.text(), read.header("content-type")),
        ("hello".to_string(), Some("text/plain"))
    );
    let head = http.with("HEAD", "/bucket/idemfuzz/one", a[0], "").await;
    assert!(
        head.status == 200 && head.body.is_empty() && head.header("content-length") == Some("5")
    );
    let missing = http.with("GET", "/bucket/idemfuzz/none", a[0], "").await;
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("<Code>NoSuchKey</Code>"));
    let create_only = http
        .send(
            "PUT",
            "/bucket/idemfuzz/one",
            &[a[0], ("if-none-match", "*")],
            Some("x"),
        )
        .await;
    assert_eq!(create_only.status, 412);
    let stale_delete = http
        .send(
            "DELETE",
            "/bucket/idemfuzz/one",
            &[a[0], ("if-match", "\"0\"")],
            None,
        )
        .await;
    assert_eq!(stale_delete.status, 412);
    for n in 2..=4 {
        http.send("PUT", &format!("/bucket/idemfuzz/{n}"), &a, Some("x"))
            .await;
    }
    let page = http
        .send(
            "GET",
            "/bucket?list-type=2&prefix=idemfuzz/&max-keys=3",
            &a,
            None,
        )
        .await
        .text();
    assert!(
        page.contains("<IsTruncated>true</IsTruncated>") && page.contains("<KeyCount>3</KeyCount>"),
        "{page}"
    );
    assert!(page.contains("<Contents><Key>idemfuzz/2</Key>"), "{page}");
    assert!(page.contains("<ETag>&quot;"), "quotes escaped as S3 does");
    let token = page
        .split("<NextContinuationToken>")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("a token");
    let rest = http
        .send(
            "GET",
            &format!(
                "/bucket?list-type=2&prefix=idemfuzz/&max-keys=3&continuation-token={}",
                urlencode(token)
            ),
            &a,
            None,
        )
        .await
        .text();
    assert!(
        rest.contains("<Key>idemfuzz/one</Key>")
            && rest.contains("<IsTruncated>false</IsTruncated>"),
        "{rest}"
    );
    assert_eq!(
        http.with("DELETE", "/bucket/idemfuzz/one", a[0], "")
            .await
            .status,
        204
    );
    assert_eq!(
        http.with("DELETE", "/bucket/idemfuzz/one", a[0], "")
            .await
            .status,
        204,
        "also when missing"
    );
    api.assert_seed_untouched();

    let (_old, http) = serve(S3::with_bug(S3Bug::IgnoresConditionalWrites));
    http.put_text("/bucket/k", "a").await;
    assert_eq!(
        http.with("PUT", "/bucket/k", ("if-none-match", "*"), "b")
            .await
            .status,
        200
    );

    let (_twice, http) = serve(S3::with_bug(S3Bug::ListsOverwritesTwice));
    http.put_text("/bucket/k", "a").await;
    http.put_text("/bucket/k", "a").await;
    let listing = http.get("/bucket?list-type=2").await.text();
    assert_eq!(listing.matches("<Key>k</Key>").count(), 2);
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn etcd_v2_keys() {
    let (api, http) = serve_seeded(Etcd::correct(), Seed::numbered("idemfuzz", 2));
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let created = http
        .send("PUT", "/v2/keys/idemfuzz/a", &form, Some("value=hello"))
        .await;
    assert_eq!(created.status, 201);
    let body = created.json();
    assert_eq!(body["action"], "set");
    assert_eq!(body["node"]["key"], "/idemfuzz/a");
    assert_eq!(body["node"]["value"], "hello");
    assert_eq!(body["node"]["createdIndex"], body["node"]["modifiedIndex"]);
    assert!(created.header("x-etcd-index").is_some());
    let again = http
        .send("PUT", "/v2/keys/idemfuzz/a", &form, Some("value=hello"))
        .await;
    assert_eq!(again.status, 200);
    let again = again.json();
    assert_eq!(again["prevNode"]["value"], "hello");
    assert!(again["node"]["modifiedIndex"].as_u64() > body["node"]["modifiedIndex"].as_u64());
    // etcd 3.4.23 `--enable-v2`: a set replaces the node (new createdIndex); OPTIONS is the CORS
    // handler's 200 without `Allow`; an empty directory has no `nodes`.
    assert_eq!(
        again["node"]["createdIndex"], again["node"]["modifiedIndex"],
        "a set replaces the node"
    );
    let options = http.call("OPTIONS", "/v2/keys/idemfuzz/a").await;
    assert_eq!((options.status, options.header("allow")), (200, None));
    assert_eq!(options.header("access-control-allow-origin"), Some("*"));
    http.send("PUT", "/v2/keys/empty?dir=true", &[], None).await;
    let empty = http.get("/v2/keys/empty").await.json();
    assert_eq!(empty["node"]["dir"], true);
    assert!(
        empty["node"].get("nodes").is_none(),
        "no `nodes` when empty: {empty}"
    );
    // etcd 3.4.23: a recursive DELETE of a directory keeps its createdIndex in `node` and
    // answers both of its indexes in `prevNode`.
    http.send("PUT", "/v2/keys/tree/leaf?value=x", &[], None)
        .await;
    let before = http.get("/v2/keys/tree").await.json();
    let gone = http
        .send("DELETE", "/v2/keys/tree?recursive=true", &[], None)
        .await
        .json();
    assert!(before["node"]["createdIndex"].is_u64(), "{before}");
    assert_eq!(
        gone["prevNode"]["createdIndex"],
        before["node"]["createdIndex"]
    );
    assert_eq!(
        gone["prevNode"]["modifiedIndex"],
        before["node"]["modifiedIndex"]
    );
    assert_eq!(gone["node"]["createdIndex"], before["node"]["createdIndex"]);
    let ignored = http
        .json("PUT", "/v2/keys/idemfuzz/j", json!({ "value": "lost" }))
        .await;
    assert_eq!(
        (ignored.status, ignored.json()["node"]["value"].clone()),
        (201, json!(""))
    );
    let dir = http.get("/v2/keys/idemfuzz").await.json();
    assert_eq!(dir["node"]["dir"], true);
    let keys: Vec<Value> = items(&dir, "/node/nodes")
        .iter()
        .map(|n| n["key"].clone())
        .collect();
    assert_eq!(
        keys,
        [
            json!("/idemfuzz/a"),
            json!("/idemfuzz/j"),
            json!("/idemfuzz/pre00001"),
            json!("/idemfuzz/pre00002")
        ]
    );
    let exists = http
        .send(
            "PUT",
            "/v2/keys/idemfuzz/a?prevExist=false",
            &form,
            Some("value=x"),
        )
        .await;
    assert_eq!(
        (exists.status, exists.json()["errorCode"].clone()),
        (412, json!(105))
    );
    // etcd v2 evaluates neither `If-None-Match` nor `If-Match`: its conditions are the
    // query's `prevExist`, `prevValue` and `prevIndex`.
    let overwritten = http
        .send(
            "PUT",
            "/v2/keys/idemfuzz/a",
            &[form[0], ("if-none-match", "*")],
            Some("value=y"),
        )
        .await;
    assert_eq!(
        (
            overwritten.status,
            overwritten.json()["node"]["value"].clone()
        ),
        (200, json!("y"))
    );
    let created = http
        .send(
            "PUT",
            "/v2/keys/idemfuzz/m",
            &[form[0], ("if-match", "*")],
            Some("value=z"),
        )
        .await;
    assert_eq!(created.status, 201);
    http.call("DELETE", "/v2/keys/idemfuzz/m").await;
    let deleted = http.call("DELETE", "/v2/keys/idemfuzz/a").await;
    assert_eq!(
        (deleted.status, deleted.json()["action"].clone()),
        (200, json!("delete"))
    );
    let gone = http.get("/v2/keys/idemfuzz/a").await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["errorCode"], 100);
    assert_eq!(gone.json()["cause"], "/idemfuzz/a");
    api.assert_seed_untouched();

    let buggy = Standin::builder(Etcd::with_bug(EtcdBug::DeletePrefix))
        .seed(Seed::ids("idemfuzz", ["X", "X0", "X-1", "Y"]))
        .start();
    Http::new(&buggy)
        .call("DELETE", "/v2/keys/idemfuzz/X")
        .await;
    assert_eq!(buggy.seed_changes().len(), 3);
}

#[tokio::test]
async fn nested_orders_need_their_customer() {
    let (api, http) = serve(Nested::correct());
    let orphan = http
        .json("PUT", "/customers/c1/orders/o1", json!({ "name": "o" }))
        .await;
    assert_eq!(
        (orphan.status, orphan.json()),
        (404, json!({ "error": "customer not found" }))
    );
    assert_eq!(
        http.json_status("PUT", "/customers/c1", json!({ "name": "c" }))
            .await,
        201
    );
    let order = http
        .json("PUT", "/customers/c1/orders/o1", json!({ "name": "o" }))
        .await;
    assert_eq!(
        (order.status, order.header("location")),
        (201, Some("/customers/c1/orders/o1"))
    );
    let posted = http
        .json("POST", "/customers/c1/orders", json!({ "name": "p" }))
        .await;
    assert_eq!(posted.header("location"), Some("/customers/c1/orders/n1"));
    assert_eq!(
        items(&http.get("/customers/c1/orders").await.json(), "/items").len(),
        2
    );
    let refused = http.call("DELETE", "/customers/c1").await;
    assert_eq!(
        (refused.status, refused.json()),
        (409, json!({ "error": "customer has orders" }))
    );
    http.call("DELETE", "/customers/c1/orders/o1").await;
    http.call("DELETE", "/customers/c1/orders/n1").await;
    assert_eq!(http.call("DELETE", "/customers/c1").await.status, 204);
    assert!(api.left_behind().is_empty());

    let (cascade, http) = serve(Nested::cascade());
    http.json("PUT", "/customers/c1", json!({ "name": "c" }))
        .await;
    http.json("PUT", "/customers/c1/orders/o1", json!({ "name": "o" }))
        .await;
    assert_eq!(http.call("DELETE", "/customers/c1").await.status, 204);
    assert!(
        cascade.left_behind().is_empty(),
        "{:?}",
        cascade.left_behind()
    );

    let (_flat, http) = serve(Nested::with_bug(NestedBug::OrdersNotScoped));
    http.json("PUT", "/customers/a", json!({ "name": "a" }))
        .await;
    http.json("PUT", "/customers/b", json!({ "name": "b" }))
        .await;
    http.json("PUT", "/customers/a/orders/x", json!({ "name": "a's" }))
        .await;
    assert_eq!(
        http.get("/customers/b/orders/x").await.json()["name"],
        "a's"
    );
}

/// Follows a listing from its first page to its end; the items seen and the pages read.
async fn follow(http: &Http, style: PageStyle, first: &str) -> (Vec<Value>, usize) {
    let mut seen = Vec::new();
    let mut url = Some(first.to_string());
    let mut pages = 0;
    let mut page_number = 1;
    while let Some(next) = url.take() {
        pages += 1;
        assert!(pages <= 60, "more pages than the listing has");
        let response = http.get(&next).await;
        let body = response.json();
        url = match style {
            PageStyle::LinkHeader => {
                seen.extend(items(&body, ""));
                response
                    .header("link")
                    .and_then(next_link)
                    .map(|u| u.replace(&http.base, ""))
            }
            PageStyle::NextUrl => {
                seen.extend(items(&body, "/data"));
                body["next"].as_str().map(|u| u.replace(&http.base, ""))
            }
            PageStyle::PageNumber => {
                seen.extend(items(&body, "/items"));
                page_number += 1;
                (body["page"].as_u64() < body["total_pages"].as_u64())
                    .then(|| format!("/items?page={page_number}"))
            }
            PageStyle::Cursor => {
                seen.extend(items(&body, "/items"));
                body["next_cursor"]
                    .as_str()
                    .map(|c| format!("/items?cursor={c}"))
            }
        };
    }
    (seen, pages)
}

fn next_link(header: &str) -> Option<String> {
    header
        .split(',')
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| part.split(['<', '>']).nth(1))
        .map(str::to_string)
}

#[tokio::test]
async fn paginated_collections_show_new_items_on_the_last_page() {
    for style in [
        PageStyle::LinkHeader,
        PageStyle::NextUrl,
        PageStyle::PageNumber,
        PageStyle::Cursor,
    ] {
        let (_api, http) = serve_seeded(
            Paginated::new(style).with_filter(),
            Seed::numbered("items", 1000),
        );
        http.json("PUT", "/items/mine", json!({ "name": "m" }))
            .await;
        let (seen, pages) = follow(&http, style, "/items").await;
        assert_eq!((seen.len(), pages), (1001, 51), "{style:?}");
        assert_eq!(
            seen.last().map(|i| i["id"].clone()),
            Some(json!("mine")),
            "{style:?}"
        );
        let first_page = http.get("/items").await.json();
        assert!(
            !first_page.to_string().contains("\"mine\""),
            "{style:?}: not on page 1"
        );
        let filtered = http.get("/items?id=mine").await.json();
        assert!(
            filtered.to_string().contains("\"mine\""),
            "{style:?}: the filter finds it"
        );
    }

    let (_api, http) = serve_seeded(
        Paginated::new(PageStyle::LinkHeader).with_bug(PaginatedBug::PutDuplicates),
        Seed::numbered("items", 1000),
    );
    http.json("PUT", "/items/mine", json!({ "name": "m" }))
        .await;
    http.json("PUT", "/items/mine", json!({ "name": "m" }))
        .await;
    let (seen, _) = follow(&http, PageStyle::LinkHeader, "/items").await;
    assert_eq!(seen.iter().filter(|i| i["id"] == "mine").count(), 2);
    assert_eq!(
        http.get("/items").await.json().as_array().map(Vec::len),
        Some(20)
    );
}
