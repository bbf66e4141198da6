//! A WebDAV server (RFC 4918) with the wire behaviour of nginx's `dav_methods` +
//! `nginx-dav-ext-module`, WsgiDAV and `rclone serve webdav`.
//!
//! Files: PUT answers 201 (new) or 204 (replaced), GET/HEAD answer the bytes with a
//! `Content-Type` from the extension (`.txt` `text/plain`, `.json` `application/json`, other
//! `application/octet-stream`), a strong `ETag`, `Last-Modified` (second resolution) and
//! `Accept-Ranges: bytes`; DELETE answers 204, then 404. A PUT whose parent collection is missing
//! is 409 Conflict; a PUT to a collection is 409. Collections: MKCOL answers 201 (405 when the
//! name exists, 409 without a parent, 415 with a body); GET of a collection without `/` is 301
//! to it with `/`, with `/` an HTML index; DELETE removes it with everything inside.
//! `PROPFIND` with `Depth: 0` or `1` answers 207 `application/xml` multistatus in the `DAV:`
//! namespace: one `response` per resource with its `href` (an absolute path, percent-encoded,
//! collections ending in `/`), `displayname`, `resourcetype`, and for files
//! `getcontentlength`, `getcontenttype`, `getetag`, `getlastmodified`; `Depth: infinity` (or
//! none) is refused with 403 and `propfind-finite-depth`. `If-Match` and `If-None-Match` are
//! evaluated on every method (412; 304 for reads). OPTIONS answers `DAV: 1` and `Allow`.
//!
//! A 201 carries an absolute `Location` (nginx, Apache).
//!
//! The correct variant's ETag hashes the content. [`WebDavBug::MtimeSizeEtag`] is nginx's
//! own `"<mtime hex>-<size hex>"`, unchanged by a same-size change within the same second;
//! [`WebDavBug::PutAppends`] appends a PUT's body to an existing file instead of replacing it.
//!
//! The real servers, checked here (`/work/notes/realservers.md`), each deviate somewhere:
//! [`WebDav::nginx`] (1.22 `dav_methods` + dav-ext: mtime-size ETags, `If-Match` /
//! `If-None-Match` ignored by PUT and DELETE, a 405 without `Allow`), [`WebDav::apache`]
//! (2.4 mod_dav_fs: `W/"<size>-<mtime µs>"` while the file is less than a second old, strong
//! after — RFC-conformant, but a fresh file's ETag cannot be used in `If-Match`),
//! [`WebDav::rclone`] (1.60 `serve webdav`: 201 to every PUT, replacements included,
//! preconditions ignored by PUT and DELETE) and [`WebDav::wsgidav`] (4.4:
//! `"<inode>-<mtime s>-<size>"`, which keeps a same-size change within the second; a 405
//! without `Allow`; `If-Match` unevaluated on a missing file, so `If-Match: *` creates it).
//! WsgiDAV and rclone answer a PUT with the new `ETag` and no `Location`; Apache and rclone
//! answer a POST to a file with the file and make a new mtime-based tag on every write, an
//! identical rewrite included; WsgiDAV's `If-Match` compares weakly (`W/"<tag>"` matches). Not reproduced: nginx answers 500 to a PUT whose
//! parent directory is missing (rclone 404), rclone 405 to a GET of a directory without `/`
//! and 400 to PATCH, WsgiDAV's 304 carries no `ETag`, error pages are each server's own.

use super::clock::http_date;
use super::conditional::{EtagStyle, Outcome, evaluate, weak_eq};
use super::exchange::{Reply, Req};
use super::generic::encode_segment;
use super::seed;
use super::server::Behaviour;
use super::store::{Body, Entry, Store};
use super::xml::escape;

const ALLOW: &str = "GET,HEAD,PUT,DELETE,MKCOL,PROPFIND,OPTIONS";

/// A WebDAV server; its store's collections are directory paths (`""` is the root).
#[derive(Debug, Clone, Default)]
pub(crate) struct WebDav {
    pub bugs: Vec<WebDavBug>,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WebDavBug {
    /// nginx's mtime-size strong ETag.
    MtimeSizeEtag,
    /// PUT to an existing file appends instead of replacing.
    PutAppends,
    /// PUT and DELETE do not evaluate `If-Match` / `If-None-Match` (nginx, rclone).
    IgnoresPreconditions,
    /// A 405 carries no `Allow` (nginx).
    NoAllowOn405,
    /// A PUT that replaces a file answers 201, as a create does (rclone).
    Put201OnReplace,
    /// The ETag is weak while the file is less than a second old (Apache: its mtime may still
    /// change within the second). Conformant, a quirk rather than a bug.
    WeakWhileFresh,
    /// `If-Match` is not evaluated when the file is missing: `If-Match: *` or a stale tag
    /// creates it (WsgiDAV).
    IfMatchIgnoredWhenMissing,
    /// A PUT answers the new content's `ETag` and no `Location` (WsgiDAV, rclone).
    PutEtagNoLocation,
    /// POST to a file answers it as GET does (Apache, rclone): not a 405.
    PostReads,
    /// The tag is `"<size hex>-<mtime µs hex>"`, new on every write, identical rewrites
    /// included (Apache, rclone): conformant churn.
    MtimeMicrosEtag,
    /// `If-Match` compares weakly: `W/` + the current tag matches (WsgiDAV).
    WeakIfMatchAccepted,
}

/// What a path names.
enum Target {
    Dir(String),
    File {
        dir: String,
        name: String,
        entry: Entry,
    },
    Missing {
        dir: String,
        name: String,
    },
}

impl WebDav {
    pub(crate) fn correct() -> WebDav {
        WebDav::default()
    }

    pub(crate) fn with_bug(bug: WebDavBug) -> WebDav {
        WebDav { bugs: vec![bug] }
    }

    /// nginx 1.22 with `dav_methods` and the dav-ext module.
    pub(crate) fn nginx() -> WebDav {
        WebDav {
            bugs: vec![
                WebDavBug::MtimeSizeEtag,
                WebDavBug::IgnoresPreconditions,
                WebDavBug::NoAllowOn405,
            ],
        }
    }

    /// Apache 2.4 mod_dav_fs.
    pub(crate) fn apache() -> WebDav {
        WebDav {
            bugs: vec![
                WebDavBug::WeakWhileFresh,
                WebDavBug::PostReads,
                WebDavBug::MtimeMicrosEtag,
            ],
        }
    }

    /// `rclone serve webdav` 1.60.
    pub(crate) fn rclone() -> WebDav {
        WebDav {
            bugs: vec![
                WebDavBug::IgnoresPreconditions,
                WebDavBug::Put201OnReplace,
                WebDavBug::PutEtagNoLocation,
                WebDavBug::PostReads,
                WebDavBug::MtimeMicrosEtag,
            ],
        }
    }

    /// WsgiDAV 4.4 (its inode-mtime-size tag behaves as nginx's mtime-size tag).
    pub(crate) fn wsgidav() -> WebDav {
        WebDav {
            bugs: vec![
                WebDavBug::MtimeSizeEtag,
                WebDavBug::NoAllowOn405,
                WebDavBug::IfMatchIgnoredWhenMissing,
                WebDavBug::PutEtagNoLocation,
                WebDavBug::WeakIfMatchAccepted,
            ],
        }
    }

    fn has(&self, bug: WebDavBug) -> bool {
        self.bugs.contains(&bug)
    }

    /// Whether the preconditions of a write hold (always, when they are ignored).
    fn write_allowed(&self, req: &Req, exists: bool, tag: Option<&str>) -> bool {
        let if_match = req.header("if-match").filter(|v| v.trim() != "*");
        if let (true, Some(if_match), Some(tag)) =
            (self.has(WebDavBug::WeakIfMatchAccepted), if_match, tag)
        {
            let weakly = if_match.split(',').any(|t| weak_eq(t.trim(), tag));
            let none_match = req
                .header("if-none-match")
                .is_some_and(|v| v.trim() == "*" || v.split(',').any(|t| weak_eq(t.trim(), tag)));
            return weakly && !none_match;
        }
        let blind_create = !exists && self.has(WebDavBug::IfMatchIgnoredWhenMissing);
        self.has(WebDavBug::IgnoresPreconditions)
            || blind_create
            || evaluate(req, exists, tag) == Outcome::Proceed
    }

    /// A 405 with `Allow`, unless [`WebDavBug::NoAllowOn405`].
    fn not_allowed(&self) -> Reply {
        let reply = nginx(405, "405 Not Allowed");
        if self.has(WebDavBug::NoAllowOn405) {
            reply
        } else {
            reply.with_header("Allow", ALLOW)
        }
    }

    fn style(&self) -> EtagStyle {
        if self.has(WebDavBug::MtimeMicrosEtag) {
            EtagStyle::SizeMtimeMicros
        } else if self.bugs.contains(&WebDavBug::MtimeSizeEtag) {
            EtagStyle::MtimeSize
        } else {
            EtagStyle::Content
        }
    }

    fn etag(&self, entry: &Entry) -> Option<String> {
        let tag = self
            .style()
            .tag(entry.body.bytes().unwrap_or_default(), entry.modified)?;
        let fresh = entry
            .modified
            .elapsed()
            .is_ok_and(|age| age.as_secs_f64() < 1.0);
        if self.has(WebDavBug::WeakWhileFresh) && fresh {
            return Some(format!("W/{tag}"));
        }
        Some(tag)
    }

    fn put(&self, store: &mut Store, req: &Req, target: Target) -> Reply {
        let (dir, name, current) = match target {
            Target::Dir(_) => return nginx(409, "409 Conflict"),
            Target::File { dir, name, entry } => (dir, name, Some(entry)),
            Target::Missing { dir, name } => (dir, name, None),
        };
        if req.trailing_slash {
            return nginx(409, "409 Conflict");
        }
        if !store.has_collection(&dir) {
            return nginx(409, "409 Conflict");
        }
        let tag = current.as_ref().and_then(|e| self.etag(e));
        if !self.write_allowed(req, current.is_some(), tag.as_deref()) {
            return nginx(412, "412 Precondition Failed");
        }
        let mut bytes = req.body.clone();
        if let (Some(old), true) = (&current, self.bugs.contains(&WebDavBug::PutAppends)) {
            bytes = [old.body.bytes().unwrap_or_default(), &bytes[..]].concat();
        }
        let content_type = content_type(&name).to_string();
        store.put(
            &dir,
            &name,
            Body::Bytes {
                content_type,
                bytes,
            },
        );
        let replaced = current.is_some() && !self.has(WebDavBug::Put201OnReplace);
        let reply = server(Reply::empty(if replaced { 204 } else { 201 }));
        if self.has(WebDavBug::PutEtagNoLocation) {
            let stored = store.get(&dir, &name).and_then(|e| self.etag(e));
            return match stored {
                Some(tag) => reply.with_header("ETag", tag),
                None => reply,
            };
        }
        if replaced {
            return reply;
        }
        reply.with_header("Location", format!("{}{}", req.origin, req.path))
    }

    fn read(&self, store: &Store, req: &Req, target: Target) -> Reply {
        match target {
            Target::Dir(_) if !req.trailing_slash && !req.segments.is_empty() => {
                let location = format!("{}{}/", req.origin, req.path);
                nginx(301, "301 Moved Permanently").with_header("Location", location)
            }
            Target::Dir(dir) => server(Reply::typed(200, "text/html", index(store, req, &dir))),
            Target::Missing { .. } => nginx(404, "404 Not Found"),
            Target::File { entry, .. } => {
                let tag = self.etag(&entry);
                match evaluate(req, true, tag.as_deref()) {
                    Outcome::Failed => nginx(412, "412 Precondition Failed"),
                    outcome => {
                        let (content_type, bytes) = match &entry.body {
                            Body::Bytes {
                                content_type,
                                bytes,
                            } => (content_type.clone(), bytes.clone()),
                            Body::Json(value) => {
                                ("application/json".into(), value.to_string().into_bytes())
                            }
                        };
                        let mut reply = if outcome == Outcome::NotModified {
                            Reply::empty(304)
                        } else {
                            Reply::typed(200, &content_type, bytes)
                                .with_header("Accept-Ranges", "bytes")
                        };
                        reply = reply.with_header("Last-Modified", http_date(entry.modified));
                        if let Some(tag) = tag {
                            reply = reply.with_header("ETag", tag);
                        }
                        server(reply)
                    }
                }
            }
        }
    }

    fn delete(&self, store: &mut Store, req: &Req, target: Target) -> Reply {
        match target {
            Target::Missing { .. } => nginx(404, "404 Not Found"),
            Target::Dir(dir) if dir.is_empty() => nginx(403, "403 Forbidden"),
            Target::Dir(dir) => {
                let inside = format!("{dir}/");
                store
                    .collections
                    .retain(|k, _| *k != dir && !k.starts_with(&inside));
                server(Reply::empty(204))
            }
            Target::File { dir, name, entry } => {
                let tag = self.etag(&entry);
                if !self.write_allowed(req, true, tag.as_deref()) {
                    return nginx(412, "412 Precondition Failed");
                }
                store.remove(&dir, &name);
                server(Reply::empty(204))
            }
        }
    }

    fn mkcol(&self, store: &mut Store, req: &Req, target: Target) -> Reply {
        if !req.body.is_empty() {
            return nginx(415, "415 Unsupported Media Type");
        }
        match target {
            Target::Dir(_) | Target::File { .. } => self.not_allowed(),
            Target::Missing { dir, .. } if !store.has_collection(&dir) => {
                nginx(409, "409 Conflict")
            }
            Target::Missing { .. } => {
                store.collection(&req.segments.join("/"));
                server(Reply::empty(201))
            }
        }
    }

    fn propfind(&self, store: &Store, req: &Req, target: Target) -> Reply {
        let depth = req
            .header("depth")
            .unwrap_or("infinity")
            .trim()
            .to_ascii_lowercase();
        if depth != "0" && depth != "1" {
            let body = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<D:error xmlns:D=\"DAV:\"><D:propfind-finite-depth/></D:error>\n";
            return server(Reply::typed(403, "application/xml; charset=utf-8", body));
        }
        let mut responses = Vec::new();
        match target {
            Target::Missing { .. } => return nginx(404, "404 Not Found"),
            Target::File { dir, name, entry } => {
                responses.push(self.file_props(&dir, &name, &entry))
            }
            Target::Dir(dir) => {
                responses.push(dir_props(&dir));
                if depth == "1" {
                    for sub in store.collections.keys() {
                        if !sub.is_empty() && parent_of(sub) == dir {
                            responses.push(dir_props(sub));
                        }
                    }
                    for (name, entry) in store.list(&dir) {
                        responses.push(self.file_props(&dir, name, entry));
                    }
                }
            }
        }
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<D:multistatus xmlns:D=\"DAV:\">\n{}</D:multistatus>\n",
            responses.concat()
        );
        server(Reply::typed(207, "application/xml; charset=utf-8", body))
    }

    fn file_props(&self, dir: &str, name: &str, entry: &Entry) -> String {
        let (content_type, size) = match &entry.body {
            Body::Bytes {
                content_type,
                bytes,
            } => (content_type.clone(), bytes.len()),
            Body::Json(value) => ("application/json".into(), value.to_string().len()),
        };
        let etag = self
            .etag(entry)
            .map(|t| format!("<D:getetag>{}</D:getetag>\n", escape(&t)))
            .unwrap_or_default();
        let href = href(&join(dir, name), false);
        format!(
            "<D:response>\n<D:href>{href}</D:href>\n<D:propstat>\n<D:prop>\n<D:displayname>{}</D:displayname>\n<D:getcontentlength>{size}</D:getcontentlength>\n<D:getcontenttype>{}</D:getcontenttype>\n{etag}<D:getlastmodified>{}</D:getlastmodified>\n<D:resourcetype/>\n</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n</D:response>\n",
            escape(name),
            escape(&content_type),
            http_date(entry.modified)
        )
    }
}

impl Behaviour for WebDav {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let target = locate(store, req);
        match req.method.as_str() {
            "GET" | "HEAD" => self.read(store, req, target),
            "PUT" => self.put(store, req, target),
            "POST" if self.has(WebDavBug::PostReads) && matches!(target, Target::File { .. }) => {
                self.read(store, req, target)
            }
            "DELETE" => self.delete(store, req, target),
            "MKCOL" => self.mkcol(store, req, target),
            "PROPFIND" => self.propfind(store, req, target),
            "OPTIONS" => server(Reply::empty(200))
                .with_header("DAV", "1")
                .with_header("Allow", ALLOW)
                .with_header("MS-Author-Via", "DAV"),
            _ => self.not_allowed(),
        }
    }

    fn init(&self, store: &mut Store) {
        store.collection("");
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        let mut path = String::new();
        for part in collection.split('/').filter(|p| !p.is_empty()) {
            path = join(&path, part);
            store.collection(&path);
        }
        let bytes = seed::text(n).into_bytes();
        let content_type = content_type(id).to_string();
        store.put(
            collection,
            id,
            Body::Bytes {
                content_type,
                bytes,
            },
        );
    }

    fn seed_id(&self, n: usize) -> String {
        format!("pre{n:05}.txt")
    }
}

/// What the request path names.
fn locate(store: &Store, req: &Req) -> Target {
    let path = req.segments.join("/");
    if store.has_collection(&path) {
        return Target::Dir(path);
    }
    let (dir, name) = match req.segments.split_last() {
        Some((name, dir)) => (dir.join("/"), name.clone()),
        None => (String::new(), String::new()),
    };
    match store.get(&dir, &name) {
        Some(entry) => Target::File {
            dir,
            name,
            entry: entry.clone(),
        },
        None => Target::Missing { dir, name },
    }
}

fn dir_props(dir: &str) -> String {
    let name = dir.rsplit('/').next().unwrap_or("");
    format!(
        "<D:response>\n<D:href>{}</D:href>\n<D:propstat>\n<D:prop>\n<D:displayname>{}</D:displayname>\n<D:resourcetype><D:collection/></D:resourcetype>\n</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n</D:response>\n",
        href(dir, true),
        escape(name)
    )
}

/// The absolute, percent-encoded path of a resource; collections end with `/`.
fn href(path: &str, collection: bool) -> String {
    let encoded: Vec<String> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(encode_segment)
        .collect();
    let mut out = format!("/{}", encoded.join("/"));
    if collection && out.len() > 1 {
        out.push('/');
    }
    out
}

fn parent_of(dir: &str) -> &str {
    dir.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// nginx's `mime.types` for the usual extensions.
fn content_type(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .as_deref()
    {
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("xml") => "text/xml",
        Some("html" | "htm") => "text/html",
        Some("csv") => "text/csv",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn index(store: &Store, req: &Req, dir: &str) -> String {
    let mut links = String::from("<a href=\"../\">../</a>\n");
    for sub in store.collections.keys() {
        if !sub.is_empty() && parent_of(sub) == dir {
            let name = sub.rsplit('/').next().unwrap_or("");
            links.push_str(&format!("<a href=\"{0}/\">{0}/</a>\n", escape(name)));
        }
    }
    for (name, _) in store.list(dir) {
        links.push_str(&format!("<a href=\"{0}\">{0}</a>\n", escape(name)));
    }
    format!(
        "<html>\r\n<head><title>Index of {0}</title></head>\r\n<body>\r\n<h1>Index of {0}</h1><hr><pre>{links}</pre><hr></body>\r\n</html>\r\n",
        escape(&req.path)
    )
}

/// nginx's own error page.
fn nginx(status: u16, title: &str) -> Reply {
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
    );
    let body = if status == 201 || status == 204 {
        String::new()
    } else {
        page
    };
    server(Reply::typed(status, "text/html", body))
}

fn server(reply: Reply) -> Reply {
    reply.with_header("Server", "nginx/1.22.1")
}
