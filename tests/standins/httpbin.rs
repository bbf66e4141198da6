//! httpbin's `/anything`: every path and method answers 200 with an echo of the request, and
//! nothing is stored. A GET of any id "exists"; a PUT "succeeds" without effect.
//!
//! The echo is httpbin's: `{"args", "data", "files", "form", "headers", "json", "method",
//! "origin", "url"}`, header names in Title-Case — the request's `Authorization` included, as
//! the real one does. `/status/{code}` answers that status. HEAD answers 200 without content;
//! OPTIONS 200 with `Allow` and CORS headers.
//!
//! Also the "other origin" of the safety tests: start a second one and read its
//! [`requests`](super::Standin::requests) to see what reached it.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::exchange::{Reply, Req};
use super::server::Behaviour;
use super::store::{Body, Store};

/// An httpbin.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Httpbin;

impl Behaviour for Httpbin {
    fn answer(&self, _store: &mut Store, req: &Req) -> Reply {
        if let ["status", code] = req.parts().as_slice() {
            match code.parse::<u16>() {
                Ok(code) if (200..600).contains(&code) => return gunicorn(Reply::empty(code)),
                _ => return gunicorn(Reply::empty(400)),
            }
        }
        if req.method == Method::OPTIONS {
            return gunicorn(Reply::empty(200))
                .with_header("Allow", "GET, HEAD, PUT, POST, PATCH, DELETE, OPTIONS")
                .with_header("Access-Control-Allow-Origin", "*")
                .with_header(
                    "Access-Control-Allow-Methods",
                    "GET, POST, PUT, DELETE, PATCH, OPTIONS",
                );
        }
        let body_text = String::from_utf8_lossy(&req.body).into_owned();
        let form: Map<String, Value> = if is_form(req) {
            form_urlencoded::parse(&req.body)
                .map(|(k, v)| (k.into_owned(), json!(v)))
                .collect()
        } else {
            Map::new()
        };
        let args: Map<String, Value> = req
            .query
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let headers: Map<String, Value> = req
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    title_case(k.as_str()),
                    json!(String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect();
        let echo = json!({
            "args": args,
            "data": if is_form(req) { String::new() } else { body_text },
            "files": {},
            "form": form,
            "headers": headers,
            "json": req.json().ok(),
            "method": req.method.as_str(),
            "origin": "127.0.0.1",
            "url": format!("{}{}", req.origin, req.target),
        });
        let pretty = serde_json::to_string_pretty(&echo).unwrap_or_default() + "\n";
        gunicorn(Reply::typed(200, "application/json", pretty))
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Access-Control-Allow-Credentials", "true")
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, _n: usize) {
        // httpbin keeps nothing; the entry only records that the test asked for one.
        store.put(collection, id, Body::Json(json!({ "id": id })));
    }
}

fn is_form(req: &Req) -> bool {
    req.header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn gunicorn(reply: Reply) -> Reply {
    reply.with_header("Server", "gunicorn/19.9.0")
}
