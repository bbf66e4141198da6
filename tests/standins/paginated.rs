//! A paginated collection: the [generic](super::generic) API's items (PUT, POST, GET, DELETE),
//! listed in creation order, `page_size` (default 20) per page, in one of four styles
//! ([`PageStyle`]). Seed it with 1,000 items (`Seed::numbered("items", 1000)`) and a run's own
//! items are on the last of 50 pages. With `filter`, `?id=X` lists only the item `X` (in the
//! same shape).
//!
//! [`PaginatedBug::PutDuplicates`]: a PUT to an existing item adds another row for it to the
//! listing — visible only to a client that follows the pages to the end.

use axum::http::Method;
use serde_json::{Value, json};

use super::exchange::{Reply, Req};
use super::generic::Generic;
use super::server::Behaviour;
use super::store::{Entry, Store};
use super::token;

/// How the listing is paginated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageStyle {
    /// A JSON array per page; `?page=N`; `Link: <…?page=2>; rel="next", <…>; rel="last"`
    /// (GitHub style).
    LinkHeader,
    /// `{"data": [...], "next": "http://…/items?after=TOKEN"}`, `next` null on the last page.
    NextUrl,
    /// `{"items": [...], "page": N, "per_page": 20, "total": T, "total_pages": P}`; `?page=N`;
    /// past the end an empty page.
    PageNumber,
    /// `{"items": [...], "next_cursor": "TOKEN"}`; `?cursor=TOKEN`; null at the end.
    Cursor,
}

/// The paginated API.
#[derive(Debug, Clone)]
pub(crate) struct Paginated {
    pub style: PageStyle,
    pub page_size: usize,
    /// Whether `?id=X` filters the listing.
    pub filter: bool,
    pub bugs: Vec<PaginatedBug>,
    pub api: Generic,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PaginatedBug {
    /// Each PUT to an existing item adds a listing row for it.
    PutDuplicates,
}

impl Paginated {
    pub(crate) fn new(style: PageStyle) -> Paginated {
        Paginated {
            style,
            page_size: 20,
            filter: false,
            bugs: Vec::new(),
            api: Generic::default(),
        }
    }

    /// With the server-side `?id=` filter.
    pub(crate) fn with_filter(mut self) -> Paginated {
        self.filter = true;
        self
    }

    pub(crate) fn with_bug(mut self, bug: PaginatedBug) -> Paginated {
        self.bugs.push(bug);
        self
    }

    fn rows<'a>(&self, store: &'a Store, req: &Req, coll: &str) -> Vec<&'a Value> {
        let wanted = req.query("id").filter(|_| self.filter);
        let mut rows = Vec::new();
        for (id, entry) in store.list_by_creation(coll) {
            if wanted.is_some_and(|w| w != id) {
                continue;
            }
            for _ in 0..copies(entry, &self.bugs) {
                rows.extend(entry.body.json());
            }
        }
        rows
    }

    fn listing(&self, store: &Store, req: &Req, coll: &str) -> Reply {
        let rows = self.rows(store, req, coll);
        let total = rows.len();
        let size = self.page_size.max(1);
        let pages = total.div_ceil(size).max(1);
        let offset = match self.style {
            PageStyle::LinkHeader | PageStyle::PageNumber => {
                let page = req
                    .query("page")
                    .and_then(|p| p.parse::<usize>().ok())
                    .unwrap_or(1)
                    .max(1);
                (page - 1) * size
            }
            PageStyle::NextUrl => req.query("after").and_then(decode).unwrap_or(0),
            PageStyle::Cursor => req.query("cursor").and_then(decode).unwrap_or(0),
        };
        let page: Vec<Value> = rows.into_iter().skip(offset).take(size).cloned().collect();
        let more = offset + size < total;
        let number = offset / size + 1;
        match self.style {
            PageStyle::LinkHeader => {
                let mut links = Vec::new();
                if more {
                    links.push(format!(
                        "<{}>; rel=\"next\"",
                        url(req, "page", &(number + 1).to_string())
                    ));
                }
                links.push(format!(
                    "<{}>; rel=\"last\"",
                    url(req, "page", &pages.to_string())
                ));
                if number > 1 {
                    links.push(format!(
                        "<{}>; rel=\"prev\"",
                        url(req, "page", &(number - 1).to_string())
                    ));
                    links.push(format!("<{}>; rel=\"first\"", url(req, "page", "1")));
                }
                Reply::json(200, &Value::Array(page)).with_header("Link", links.join(", "))
            }
            PageStyle::NextUrl => {
                let next = more.then(|| url(req, "after", &encode(offset + size)));
                Reply::json(200, &json!({ "data": page, "next": next }))
            }
            PageStyle::PageNumber => Reply::json(
                200,
                &json!({
                    "items": page, "page": number, "per_page": size, "total": total, "total_pages": pages
                }),
            ),
            PageStyle::Cursor => {
                let next = more.then(|| encode(offset + size));
                Reply::json(200, &json!({ "items": page, "next_cursor": next }))
            }
        }
    }
}

impl Behaviour for Paginated {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        match parts.as_slice() {
            [coll] if req.is_read() => self.listing(store, req, coll),
            [coll, id]
                if req.method == Method::PUT
                    && self.bugs.contains(&PaginatedBug::PutDuplicates) =>
            {
                let existed = store.get(coll, id).is_some();
                let reply = self.api.item(store, req, coll, id);
                if existed
                    && reply.status < 300
                    && let Some(entry) = store.get_mut(coll, id)
                {
                    let dupes = entry.meta["dupes"].as_u64().unwrap_or(0) + 1;
                    entry.meta = json!({ "dupes": dupes });
                }
                reply
            }
            _ => self.api.answer(store, req),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        self.api.seed(store, collection, id, n);
    }
}

fn copies(entry: &Entry, bugs: &[PaginatedBug]) -> u64 {
    if bugs.contains(&PaginatedBug::PutDuplicates) {
        1 + entry.meta["dupes"].as_u64().unwrap_or(0)
    } else {
        1
    }
}

/// The absolute URL of this listing with `name=value` instead of the request's own.
fn url(req: &Req, name: &str, value: &str) -> String {
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != name)
        .cloned()
        .collect();
    query.push((name.to_string(), value.to_string()));
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{}{}?{encoded}", req.origin, req.path)
}

/// An opaque token for an offset.
fn encode(offset: usize) -> String {
    token::seal("o", &offset.to_string())
}

fn decode(sealed: &str) -> Option<usize> {
    token::open("o", sealed)?.parse().ok()
}
