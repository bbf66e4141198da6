//! A minimal HTTP/1.1 server over raw TCP, for behaviour hyper refuses to produce: it writes the
//! content of a HEAD answer when the behaviour asks for it ([`Reply::body_on_head`]). Requests
//! need `Content-Length` framing (no chunked bodies); connections are kept alive.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::exchange::Reply;
use super::server::{Incoming, Shared};

/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// Accepts connections until the runtime stops.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, Arc::clone(&shared)));
    }
}

/// A parsed request head.
struct Head {
    method: Method,
    target: String,
    headers: HeaderMap,
    content_length: usize,
    close: bool,
}

/// Answers the requests of one connection in order until it closes.
async fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let head_end = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end;
            }
            if buffer.len() > MAX_HEAD || !read_more(&mut stream, &mut buffer).await {
                return;
            }
        };
        let Some(head) = parse_head(&buffer[..head_end]) else {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            return;
        };
        buffer.drain(..head_end + 4);
        while buffer.len() < head.content_length {
            if !read_more(&mut stream, &mut buffer).await {
                return;
            }
        }
        let body: Vec<u8> = buffer.drain(..head.content_length).collect();
        let is_head = head.method == Method::HEAD;
        let reply = shared.answer(Incoming {
            method: head.method,
            path_and_query: head.target.clone(),
            target: head.target,
            headers: head.headers,
            body,
        });
        if stream.write_all(&serialise(&reply, is_head)).await.is_err() || head.close {
            return;
        }
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn parse_head(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = Method::from_bytes(request_line.next()?.as_bytes()).ok()?;
    let target = request_line.next()?.to_string();
    let version = request_line.next()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::try_from(name.trim()).ok()?,
            HeaderValue::try_from(value.trim()).ok()?,
        );
    }
    let content_length = match headers.get("content-length") {
        Some(value) => value.to_str().ok()?.parse().ok()?,
        None => 0,
    };
    let connection = headers
        .get("connection")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let close = connection.contains("close") || version == "HTTP/1.0";
    Some(Head {
        method,
        target,
        headers,
        content_length,
        close,
    })
}

/// The response bytes: status line, the reply's headers, `Content-Length` of the content, and
/// the content — after a HEAD answer only when the reply asks for it.
fn serialise(reply: &Reply, is_head: bool) -> Vec<u8> {
    let reason = axum::http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    let bodiless = reply.status == 204 || reply.status == 304 || reply.status < 200;
    if reply.header("content-length").is_none() && !bodiless && !(is_head && reply.no_length) {
        out.push_str(&format!("content-length: {}\r\n", reply.body.len()));
    }
    out.push_str(&format!(
        "date: {}\r\n\r\n",
        httpdate::fmt_http_date(std::time::SystemTime::now())
    ));
    let mut bytes = out.into_bytes();
    if !is_head || reply.body_on_head {
        bytes.extend_from_slice(&reply.body);
    }
    bytes
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
