//! How a resource's collection is listed: where (`path`, default the collection), in which
//! format (a JSON pointer to an array, an XML element path, WebDAV `PROPFIND`, or no listing at
//! all), how an entry's id is read (a pointer or element path, optionally narrowed by a regex
//! with a named group `id`), how further pages are followed, and whether the server filters the
//! listing by id. The reference is `docs/scenarios.md` ("Listings").

use std::fmt;

use regex::Regex;
use serde_json::Value;

use crate::scenario::pointer::JsonPointer;

/// Default of `listing.max_pages`.
pub(crate) const DEFAULT_MAX_PAGES: u32 = 100;
/// Largest `listing.max_pages`.
pub(crate) const MAX_PAGES: u32 = 1000;
/// The element path of a WebDAV multistatus' entries.
pub(crate) const PROPFIND_ITEMS: [&str; 2] = ["multistatus", "response"];
/// The member of a multistatus entry that holds its URL.
pub(crate) const PROPFIND_HREF: &str = "href";

/// How the collection of a resource is listed.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The path of the listing request; may hold a fixed query (`/bucket?list-type=2`).
    pub(crate) path: String,
    pub format: ListingFormat,
    /// How further pages are reached; `None`: the first answer is the whole listing.
    pub pages: Option<Pages>,
    /// Most pages one listing reads; a listing with more is not judged.
    pub(crate) max_pages: u32,
    /// A query with `{id}` (`id={id}`) that makes the server list only that id: a snapshot of
    /// the case's items then asks once per id instead of reading every page.
    pub(crate) filter: Option<String>,
}

impl Listing {
    /// A JSON listing at `path` whose items are at `items`, one page, no filter.
    pub(crate) fn json(path: impl Into<String>, items: JsonPointer) -> Listing {
        Listing {
            path: path.into(),
            format: ListingFormat::Json { items },
            pages: None,
            max_pages: DEFAULT_MAX_PAGES,
            filter: None,
        }
    }

    /// True when the scenario declares that the collection cannot be listed.
    pub(crate) fn is_none(&self) -> bool {
        matches!(self.format, ListingFormat::None)
    }

    /// How the collection is read, in words, when it is not a plain GET of `collection` (for
    /// `--dry-run`); `None` for the default.
    pub(crate) fn describe(&self, collection: &str) -> Option<String> {
        let request = match &self.format {
            ListingFormat::None => return Some("the collection has no listing".into()),
            ListingFormat::Propfind => format!("PROPFIND {} (Depth: 1)", self.path),
            ListingFormat::Xml { .. } => format!("GET {} (XML)", self.path),
            ListingFormat::Json { .. } => format!("GET {}", self.path),
        };
        let how = match (&self.filter, &self.pages) {
            (Some(filter), _) => format!("{request}, once per id with `{filter}`"),
            (None, Some(_)) => format!("{request} and its next pages (at most {})", self.max_pages),
            (None, None) => request,
        };
        let plain = self.path == collection
            && matches!(self.format, ListingFormat::Json { .. })
            && self.pages.is_none()
            && self.filter.is_none();
        (!plain).then(|| format!("the collection is listed by {how}"))
    }

    /// True when listed entries are JSON members of the API's own items (so a listed item can
    /// be matched against a request body by its members).
    pub(crate) fn entries_are_items(&self) -> bool {
        matches!(self.format, ListingFormat::Json { .. })
    }
}

/// The format of a listing answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingFormat {
    /// A JSON document; the entries are the array at the pointer.
    Json {
        /// Where the array of entries is.
        items: JsonPointer,
    },
    /// An XML document, read as JSON (an element is an object of its child elements, a leaf
    /// its text, repeated children an array); the entries are the elements at the path.
    Xml {
        /// Where the entry elements are.
        items: JsonPointer,
    },
    /// WebDAV: `PROPFIND` with `Depth: 1`; the entries are the multistatus' `response`s.
    Propfind,
    /// The collection cannot be listed.
    None,
}

impl ListingFormat {
    /// The name written in scenario files.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ListingFormat::Json { .. } => "json",
            ListingFormat::Xml { .. } => "xml",
            ListingFormat::Propfind => "propfind",
            ListingFormat::None => "none",
        }
    }

    /// Where the entries are in the document (as read into JSON).
    pub fn items(&self) -> Option<JsonPointer> {
        match self {
            ListingFormat::Json { items } | ListingFormat::Xml { items } => Some(items.clone()),
            ListingFormat::Propfind => Some(JsonPointer::from_tokens(PROPFIND_ITEMS)),
            ListingFormat::None => None,
        }
    }
}

/// How the next page of a listing is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pages {
    /// The `Link` field's target with this relation (`rel="next"`).
    Link {
        /// The relation.
        rel: String,
    },
    /// A URL (absolute or relative to the page) in the document; absent, null or empty at the
    /// end.
    Url {
        /// Where the URL is.
        at: JsonPointer,
    },
    /// A token in the document, sent back in the query parameter `param`; absent, null or
    /// empty at the end.
    Token {
        /// Where the token is.
        at: JsonPointer,
        /// The query parameter it is sent back in.
        param: String,
    },
    /// A page number in the query parameter `param` (2, 3, …) until a page lists nothing.
    Page {
        /// The query parameter.
        param: String,
    },
}

/// How an entry's id is read: the text at a pointer, narrowed by a pattern.
#[derive(Debug, Clone)]
pub struct IdField {
    pointer: JsonPointer,
    extract: IdExtract,
}

/// What part of the text at the pointer is the id.
#[derive(Debug, Clone)]
enum IdExtract {
    /// All of it.
    Whole,
    /// The named group `id` of the first match.
    Pattern(Regex),
    /// The last non-empty path segment of a URL, percent-decoded (WebDAV hrefs).
    LastSegment,
}

impl IdField {
    /// The whole text (or number) at the pointer.
    pub(crate) fn at(pointer: JsonPointer) -> IdField {
        IdField {
            pointer,
            extract: IdExtract::Whole,
        }
    }

    /// The named group `id` of `pattern`'s first match in the text at the pointer.
    pub(crate) fn matching(pointer: JsonPointer, pattern: Regex) -> IdField {
        IdField {
            pointer,
            extract: IdExtract::Pattern(pattern),
        }
    }

    /// The last path segment of the URL at the pointer (WebDAV `href`s).
    pub(crate) fn last_segment(pointer: JsonPointer) -> IdField {
        IdField {
            pointer,
            extract: IdExtract::LastSegment,
        }
    }

    /// The id of a listed entry, if it has one.
    pub(crate) fn read(&self, entry: &Value) -> Option<String> {
        let text = match self.pointer.get(entry)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        match &self.extract {
            IdExtract::Whole => Some(text),
            IdExtract::Pattern(pattern) => pattern
                .captures(&text)
                .and_then(|found| found.name("id"))
                .map(|id| id.as_str().to_string())
                .filter(|id| !id.is_empty()),
            IdExtract::LastSegment => last_segment(&text),
        }
    }
}

impl fmt::Display for IdField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.extract {
            IdExtract::Whole => write!(f, "{}", self.pointer),
            IdExtract::Pattern(pattern) => {
                write!(f, "{} matching `{}`", self.pointer, pattern.as_str())
            }
            IdExtract::LastSegment => write!(f, "the last segment of {}", self.pointer),
        }
    }
}

/// The last non-empty path segment of a URL or path, percent-decoded; `None` when it is not
/// UTF-8 or there is none.
fn last_segment(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let segment = path.trim_end_matches('/').rsplit('/').next()?;
    if segment.is_empty() {
        return None;
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointer(text: &str) -> JsonPointer {
        JsonPointer::parse(text).expect("pointer")
    }

    #[test]
    fn only_listings_other_than_a_get_of_the_collection_are_described() {
        let plain = Listing::json("/things", JsonPointer::root());
        assert_eq!(plain.describe("/things"), None);
        let couch = Listing::json("/db/_all_docs", pointer("/rows"));
        assert_eq!(
            couch.describe("/db").as_deref(),
            Some("the collection is listed by GET /db/_all_docs")
        );
        let dav = Listing {
            format: ListingFormat::Propfind,
            ..Listing::json("/dav/", JsonPointer::root())
        };
        assert_eq!(
            dav.describe("/dav/").as_deref(),
            Some("the collection is listed by PROPFIND /dav/ (Depth: 1)")
        );
        let pages = Listing {
            pages: Some(Pages::Link { rel: "next".into() }),
            ..Listing::json("/things", JsonPointer::root())
        };
        assert_eq!(
            pages.describe("/things").as_deref(),
            Some("the collection is listed by GET /things and its next pages (at most 100)")
        );
    }

    #[test]
    fn reads_ids_whole_by_pattern_and_by_last_segment() {
        let whole = IdField::at(pointer("/id"));
        assert_eq!(whole.read(&json!({"id": 7})).as_deref(), Some("7"));
        assert_eq!(whole.read(&json!({"id": null})), None);
        let keys = IdField::matching(
            pointer("/key"),
            Regex::new("^/idemfuzz/(?<id>[^/]+)$").expect("regex"),
        );
        assert_eq!(
            keys.read(&json!({"key": "/idemfuzz/idf-x-1"})).as_deref(),
            Some("idf-x-1")
        );
        assert_eq!(keys.read(&json!({"key": "/other/idf-x-1"})), None);
        let hrefs = IdField::last_segment(pointer("/href"));
        assert_eq!(
            hrefs.read(&json!({"href": "/dav/things/a%20b"})).as_deref(),
            Some("a b")
        );
        assert_eq!(
            hrefs
                .read(&json!({"href": "http://h/dav/things/x-1/"}))
                .as_deref(),
            Some("x-1")
        );
        assert_eq!(hrefs.read(&json!({"href": "/"})), None);
    }
}
