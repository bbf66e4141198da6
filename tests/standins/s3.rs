//! An S3-compatible object store, path-style (`/{bucket}/{key}`), with the wire behaviour of
//! AWS S3 and its emulators (MinIO, LocalStack, s3rver).
//!
//! Objects: PUT answers 200 with `ETag: "<MD5 of the body>"` and no content — also when it
//! creates the object, as S3 documents (RFC 9110 §9.3.4 wants 201 for a create: the one
//! deviation of the correct variant, kept because clients and recipes meet it); GET answers the
//! bytes with the stored `Content-Type` (default `binary/octet-stream`), `ETag`,
//! `Last-Modified`, `Content-Length`; HEAD the same without content (404 without content too);
//! DELETE answers 204 whether the key existed or not. Conditional writes as S3 has them since
//! 2024: `If-None-Match: *` on an existing key and a stale `If-Match` (PUT and DELETE) are 412
//! `PreconditionFailed`, `If-Match` on a missing key 404 `NoSuchKey`; reads honour `If-Match`
//! (412) and `If-None-Match` (304). Keys are
//! taken verbatim (no dot-segment removal; `a/../b` is a key). Errors are XML `<Error>` with
//! `Code` (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`, `MethodNotAllowed`, …), `Message`,
//! `RequestId`.
//!
//! Listing: `GET /{bucket}?list-type=2` is ListObjectsV2 — `ListBucketResult` with `Name`,
//! `Prefix`, `KeyCount`, `MaxKeys`, `IsTruncated`, one `Contents` per key (`Key`,
//! `LastModified`, `ETag`, `Size`, `StorageClass`) in key order, and `NextContinuationToken`
//! when truncated; parameters `prefix`, `max-keys` (default and at most 1000),
//! `continuation-token`, `start-after`, `delimiter` (with `CommonPrefixes`). Without
//! `list-type=2` the V1 listing (`Marker`, `NextMarker`).
//!
//! Authentication: no SigV4. When [`S3::authorization`] is set, every request must carry an
//! `Authorization` header with exactly that value, else 403 `AccessDenied`; tests configure it
//! and check that the value never reaches another origin.
//!
//! Planted bugs: [`S3Bug::IgnoresConditionalWrites`] (S3 before 2024: `If-None-Match: *` and
//! `If-Match` on PUT and DELETE are ignored, a create-only PUT overwrites); [`S3Bug::ListsOverwritesTwice`]
//! (every overwrite adds another `Contents` entry for the key to the listing).
//!
//! moto 5.2's `moto_server` (checked here, `/work/notes/realservers.md`) is [`S3::moto`]: as
//! the correct variant, except that `If-Match: *` fails on an existing object (PUT and GET
//! answer 412: [`S3Bug::IfMatchStarFails`]), GET and HEAD ignore `If-None-Match: *`
//! ([`S3Bug::ReadsIgnoreIfNoneMatchStar`]) and POST or PATCH to an object is an HTML 500
//! ([`S3Bug::UnknownMethod500`]). Not reproduced: moto's `Last-Modified` on PUT, its
//! `text/html` `Content-Type` on empty answers, `<Key>` instead of `<Resource>` in errors.

use axum::http::Method;
use serde_json::json;

use super::clock::{http_date, rfc3339_s3};
use super::conditional::{Outcome, evaluate, md5_hex};
use super::exchange::{PathMode, Reply, Req};
use super::seed;
use super::server::Behaviour;
use super::store::{Body, Entry, Store};
use super::token;
use super::xml::escape;

const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const MAX_KEYS: usize = 1000;

/// An S3-compatible store.
#[derive(Debug, Clone)]
pub(crate) struct S3 {
    pub bugs: Vec<S3Bug>,
    /// Buckets that exist at start (default `bucket`).
    pub buckets: Vec<String>,
    /// The exact `Authorization` value every request must carry (`None`: no check).
    pub authorization: Option<String>,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum S3Bug {
    /// `If-None-Match` / `If-Match` on PUT and DELETE are ignored.
    IgnoresConditionalWrites,
    /// Each overwrite of a key adds another listing entry for it.
    ListsOverwritesTwice,
    /// `If-Match: *` is compared as an entity tag, so it fails on an existing object: PUT and
    /// GET answer 412 (moto).
    IfMatchStarFails,
    /// GET and HEAD ignore `If-None-Match: *`: 200 instead of 304 (moto).
    ReadsIgnoreIfNoneMatchStar,
    /// POST and PATCH to an object are Flask's HTML 500, OPTIONS an empty 200 (moto).
    UnknownMethod500,
}

/// Every deviation of moto 5.2's `moto_server` from S3.
const MOTO: [S3Bug; 3] = [
    S3Bug::IfMatchStarFails,
    S3Bug::ReadsIgnoreIfNoneMatchStar,
    S3Bug::UnknownMethod500,
];

impl Default for S3 {
    fn default() -> S3 {
        S3 {
            bugs: Vec::new(),
            buckets: vec!["bucket".to_string()],
            authorization: None,
        }
    }
}

impl S3 {
    pub(crate) fn correct() -> S3 {
        S3::default()
    }

    pub(crate) fn with_bug(bug: S3Bug) -> S3 {
        S3 {
            bugs: vec![bug],
            ..S3::default()
        }
    }

    /// moto 5.2's `moto_server` as released: every [`MOTO`] deviation.
    pub(crate) fn moto() -> S3 {
        S3 {
            bugs: MOTO.to_vec(),
            ..S3::default()
        }
    }

    fn has(&self, bug: S3Bug) -> bool {
        self.bugs.contains(&bug)
    }

    /// The same store requiring `Authorization: value`.
    pub(crate) fn authorization(mut self, value: &str) -> S3 {
        self.authorization = Some(value.to_string());
        self
    }

    fn object(&self, store: &mut Store, req: &Req, bucket: &str, key: &str) -> Reply {
        let current = store.get(bucket, key).cloned();
        let tag = current.as_ref().map(etag);
        let star_match = req.header("if-match").is_some_and(|v| v.trim() == "*");
        let reads_or_puts = matches!(req.method, Method::GET | Method::HEAD | Method::PUT);
        if self.has(S3Bug::IfMatchStarFails) && star_match && reads_or_puts && current.is_some() {
            return error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                key,
            );
        }
        let star_none_match = req.header("if-none-match").is_some_and(|v| v.trim() == "*");
        match req.method {
            Method::PUT => {
                let checked = !self.bugs.contains(&S3Bug::IgnoresConditionalWrites);
                if checked && req.header("if-match").is_some() && current.is_none() {
                    return error(404, "NoSuchKey", "The specified key does not exist.", key);
                }
                if checked && evaluate(req, current.is_some(), tag.as_deref()) != Outcome::Proceed {
                    return error(
                        412,
                        "PreconditionFailed",
                        "At least one of the pre-conditions you specified did not hold",
                        key,
                    );
                }
                let content_type = req
                    .header("content-type")
                    .unwrap_or("binary/octet-stream")
                    .to_string();
                let tag = format!("\"{}\"", md5_hex(&req.body));
                let overwrites = current
                    .as_ref()
                    .map_or(0, |e| e.meta["overwrites"].as_u64().unwrap_or(0) + 1);
                store.put(
                    bucket,
                    key,
                    Body::Bytes {
                        content_type,
                        bytes: req.body.clone(),
                    },
                );
                if let Some(entry) = store.get_mut(bucket, key) {
                    entry.meta = json!({ "overwrites": overwrites });
                }
                amz(Reply::empty(200)).with_header("ETag", tag)
            }
            Method::GET | Method::HEAD => {
                let Some(entry) = current else {
                    return error(404, "NoSuchKey", "The specified key does not exist.", key);
                };
                let tag = etag(&entry);
                let mut outcome = evaluate(req, true, Some(&tag));
                if self.has(S3Bug::ReadsIgnoreIfNoneMatchStar) && star_none_match {
                    outcome = Outcome::Proceed;
                }
                match outcome {
                    Outcome::Failed => error(
                        412,
                        "PreconditionFailed",
                        "At least one of the pre-conditions you specified did not hold",
                        key,
                    ),
                    Outcome::NotModified => amz(Reply::empty(304)).with_header("ETag", tag),
                    Outcome::Proceed => {
                        let Body::Bytes {
                            content_type,
                            bytes,
                        } = &entry.body
                        else {
                            return error(
                                500,
                                "InternalError",
                                "We encountered an internal error. Please try again.",
                                key,
                            );
                        };
                        amz(Reply::typed(200, content_type, bytes.clone()))
                            .with_header("ETag", tag)
                            .with_header("Last-Modified", http_date(entry.modified))
                            .with_header("Accept-Ranges", "bytes")
                    }
                }
            }
            Method::DELETE => {
                let checked = !self.bugs.contains(&S3Bug::IgnoresConditionalWrites);
                if checked && req.header("if-match").is_some() {
                    if current.is_none() {
                        return error(404, "NoSuchKey", "The specified key does not exist.", key);
                    }
                    if evaluate(req, true, tag.as_deref()) != Outcome::Proceed {
                        return error(
                            412,
                            "PreconditionFailed",
                            "At least one of the pre-conditions you specified did not hold",
                            key,
                        );
                    }
                }
                store.remove(bucket, key);
                amz(Reply::empty(204))
            }
            Method::OPTIONS if self.has(S3Bug::UnknownMethod500) => {
                amz(Reply::typed(200, "text/html; charset=utf-8", Vec::new()))
            }
            _ if self.has(S3Bug::UnknownMethod500) => Reply::typed(
                500,
                "text/html; charset=utf-8",
                "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n",
            ),
            _ => error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                key,
            )
            .with_header("Allow", "GET, HEAD, PUT, DELETE"),
        }
    }

    fn bucket(&self, store: &mut Store, req: &Req, bucket: &str) -> Reply {
        let exists = store.has_collection(bucket);
        match req.method {
            Method::GET if exists => self.listing(store, req, bucket),
            Method::HEAD if exists => amz(Reply::empty(200)),
            Method::PUT if exists => error(
                409,
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                bucket,
            ),
            Method::PUT => {
                store.collection(bucket);
                amz(Reply::empty(200)).with_header("Location", format!("/{bucket}"))
            }
            Method::DELETE if exists && !store.list(bucket).is_empty() => error(
                409,
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
                bucket,
            ),
            Method::DELETE if exists => {
                store.collections.remove(bucket);
                amz(Reply::empty(204))
            }
            Method::GET | Method::HEAD | Method::DELETE => no_bucket(bucket),
            _ => error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                bucket,
            )
            .with_header("Allow", "GET, HEAD, PUT, DELETE"),
        }
    }

    fn listing(&self, store: &Store, req: &Req, bucket: &str) -> Reply {
        let v2 = req.query("list-type") == Some("2");
        let prefix = req.query("prefix").unwrap_or("");
        let delimiter = req.query("delimiter").filter(|d| !d.is_empty());
        let max_keys = req
            .query("max-keys")
            .and_then(|m| m.parse().ok())
            .unwrap_or(MAX_KEYS)
            .min(MAX_KEYS);
        let token = req.query("continuation-token").and_then(decode_token);
        let after = if v2 {
            token.or_else(|| req.query("start-after").map(str::to_string))
        } else {
            req.query("marker").map(str::to_string)
        };
        let mut keys: Vec<(&String, &Entry)> = store.list(bucket);
        keys.sort_by(|a, b| a.0.cmp(b.0));
        let mut contents = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut last = None;
        let mut truncated = false;
        for (key, entry) in keys.into_iter().filter(|(k, _)| k.starts_with(prefix)) {
            if after.as_ref().is_some_and(|a| key.as_str() <= a.as_str()) {
                continue;
            }
            if contents.len() + prefixes.len() >= max_keys {
                truncated = true;
                break;
            }
            let rest = &key[prefix.len()..];
            if let Some(cut) = delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
                let common = format!("{prefix}{}", &rest[..cut]);
                if !prefixes.contains(&common) {
                    prefixes.push(common);
                }
            } else {
                let copies = if self.bugs.contains(&S3Bug::ListsOverwritesTwice) {
                    1 + entry.meta["overwrites"].as_u64().unwrap_or(0)
                } else {
                    1
                };
                for _ in 0..copies {
                    contents.push(contents_xml(key, entry));
                }
            }
            last = Some(key.clone());
        }
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"{NAMESPACE}\"><Name>{}</Name><Prefix>{}</Prefix>",
            escape(bucket),
            escape(prefix)
        );
        if v2 {
            if let Some(token) = req.query("continuation-token") {
                xml.push_str(&format!(
                    "<ContinuationToken>{}</ContinuationToken>",
                    escape(token)
                ));
            }
            xml.push_str(&format!(
                "<KeyCount>{}</KeyCount>",
                contents.len() + prefixes.len()
            ));
        } else {
            xml.push_str(&format!(
                "<Marker>{}</Marker>",
                escape(req.query("marker").unwrap_or(""))
            ));
        }
        xml.push_str(&format!("<MaxKeys>{max_keys}</MaxKeys>"));
        if let Some(d) = delimiter {
            xml.push_str(&format!("<Delimiter>{}</Delimiter>", escape(d)));
        }
        xml.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
        if let (true, Some(last)) = (truncated, &last) {
            if v2 {
                xml.push_str(&format!(
                    "<NextContinuationToken>{}</NextContinuationToken>",
                    encode_token(last)
                ));
            } else {
                xml.push_str(&format!("<NextMarker>{}</NextMarker>", escape(last)));
            }
        }
        xml.push_str(&contents.concat());
        for common in prefixes {
            xml.push_str(&format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                escape(&common)
            ));
        }
        xml.push_str("</ListBucketResult>");
        amz(Reply::typed(200, "application/xml", xml))
    }
}

impl Behaviour for S3 {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        if let Some(expected) = &self.authorization
            && req.header("authorization") != Some(expected.as_str())
        {
            return error(403, "AccessDenied", "Access Denied", &req.path);
        }
        let Some((bucket, key_parts)) = req.segments.split_first() else {
            let buckets: String = store
                .collections
                .keys()
                .map(|b| format!("<Bucket><Name>{}</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>", escape(b)))
                .collect();
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"{NAMESPACE}\"><Owner><ID>idemfuzz</ID></Owner><Buckets>{buckets}</Buckets></ListAllMyBucketsResult>"
            );
            return amz(Reply::typed(200, "application/xml", xml));
        };
        if key_parts.is_empty() {
            return self.bucket(store, req, bucket);
        }
        if !store.has_collection(bucket) {
            return no_bucket(bucket);
        }
        let mut key = key_parts.join("/");
        if req.trailing_slash {
            key.push('/');
        }
        self.object(store, req, bucket, &key)
    }

    fn init(&self, store: &mut Store) {
        for bucket in &self.buckets {
            store.collection(bucket);
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let bytes = seed::text(n).into_bytes();
        store.put(
            collection,
            id,
            Body::Bytes {
                content_type: "text/plain".into(),
                bytes,
            },
        );
    }

    fn path_mode(&self) -> PathMode {
        PathMode::Verbatim
    }
}

fn etag(entry: &Entry) -> String {
    format!("\"{}\"", md5_hex(entry.body.bytes().unwrap_or_default()))
}

fn contents_xml(key: &str, entry: &Entry) -> String {
    format!(
        "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
        escape(key),
        rfc3339_s3(entry.modified),
        escape(&etag(entry)),
        entry.body.bytes().map_or(0, <[u8]>::len)
    )
}

fn encode_token(key: &str) -> String {
    token::seal("after", key)
}

fn decode_token(sealed: &str) -> Option<String> {
    token::open("after", sealed)
}

fn no_bucket(bucket: &str) -> Reply {
    error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
        bucket,
    )
}

/// An S3 `<Error>` answer.
fn error(status: u16, code: &str, message: &str, resource: &str) -> Reply {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>",
        escape(message),
        escape(resource)
    );
    amz(Reply::typed(status, "application/xml", xml))
}

fn amz(reply: Reply) -> Reply {
    reply
        .with_header("x-amz-request-id", "4442587FB7D0A2F9")
        .with_header("x-amz-id-2", "idemfuzz-standin")
        .with_header("Server", "AmazonS3")
}
