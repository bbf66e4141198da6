//! End-to-end tests of the demo API: a real server on an ephemeral port, driven with reqwest.
//! This file holds the harness; each sibling file tests one resource or concern.

mod conditional;
mod devices;
mod lamps;
mod notes;
mod planted;
mod planted_concurrency;
mod post;
mod protocol;
mod things;

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;

use super::{BugSet, DemoServer};

/// A demo server and a client for it; the server stops when this is dropped.
pub(super) struct Demo {
    server: DemoServer,
    client: Client,
}

/// What came back, read completely.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) text: String,
}

impl Reply {
    /// The body as JSON (panics in a test when it is not).
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {:?}", self.text))
    }

    /// A header's value as text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts an RFC 9457 problem answer with this status.
    pub(super) fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["status"], status, "{body}");
        assert_eq!(body["type"], "about:blank", "{body}");
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
    }
}

/// Starts a demo server with the bugs named in `bugs` (a comma list, or `none`).
pub(super) async fn start(bugs: &str) -> Demo {
    let bugs: BugSet = bugs.parse().expect("test bug list");
    let addr = "127.0.0.1:0".parse().expect("loopback address");
    let server = DemoServer::start(addr, bugs)
        .await
        .expect("demo server starts");
    Demo {
        server,
        client: client(),
    }
}

/// A plain client. reqwest is built with `rustls-no-provider`, so a process-wide crypto provider
/// must exist before any client is built, even for http:// only; losing the install race is fine.
pub(super) fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

impl Demo {
    /// A request to `path` (which starts with `/`).
    pub(super) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}{path}", self.server.base_url());
        self.client.request(method, url)
    }

    /// Sends a request and reads the whole answer.
    pub(super) async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request
            .send()
            .await
            .expect("request reaches the demo server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body is readable");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// A request with a JSON body.
    pub(super) fn with_json(&self, method: Method, path: &str, body: &Value) -> RequestBuilder {
        self.request(method, path)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
    }

    pub(super) async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub(super) async fn head(&self, path: &str) -> Reply {
        self.send(self.request(Method::HEAD, path)).await
    }

    pub(super) async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub(super) async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.with_json(Method::PUT, path, body)).await
    }

    pub(super) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.with_json(Method::POST, path, body)).await
    }

    /// A POST with an `Idempotency-Key` header sent as is.
    pub(super) async fn post_with_key(&self, path: &str, key: &str, body: &Value) -> Reply {
        let request = self.with_json(Method::POST, path, body);
        self.send(request.header("idempotency-key", key)).await
    }

    /// The ids listed by `GET collection`, in order.
    pub(super) async fn ids(&self, collection: &str) -> Vec<String> {
        let list = self.get(collection).await.json();
        let items = list["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(list["total"], items.len(), "{list}");
        items
            .iter()
            .map(|item| item["id"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}
