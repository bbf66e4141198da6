//! One page of a collection listing, read as the scenario's `[listing]` says: the document
//! (JSON, or XML read as JSON), its entries, and where the next page is — or why the page cannot
//! be read, which makes the collection *unobserved* rather than empty.

use serde_json::Value;

use crate::model::exchange::{Body, ResponseRecord};
use crate::scenario::{JsonPointer, Listing, ListingFormat};
use crate::snapshot::pagination::{NextPageError, PageFacts, next_url};
use crate::snapshot::xml::{self, XmlError};

/// Longest server-controlled text quoted in a reason.
const CLIP: usize = 80;

/// What one page of a listing held.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    pub(crate) entries: Vec<Value>,
    /// The absolute URL of the next page, when there is one.
    pub(crate) next: Option<String>,
}

/// Where a page was read from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageAt<'a> {
    /// The URL the page was read from.
    pub(crate) url: &'a str,
    /// The URL of the listing's first page.
    pub(crate) first: &'a str,
    /// 1 for the first page.
    pub(crate) number: u32,
}

/// Why a page of a listing cannot be read (server-controlled text in it is clipped).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// The page was answered with a status other than 2xx (`status`: its status text).
    #[error("the listing {url} answered {status}")]
    Status { url: String, status: String },
    /// A JSON listing whose answer is not JSON.
    #[error("the listing is not JSON ({content_type}, {bytes} bytes)")]
    NotJson { content_type: String, bytes: usize },
    /// An XML listing longer than a recorded body keeps.
    #[error("the listing is longer than idemfuzz keeps ({bytes} bytes)")]
    TooLong { bytes: usize },
    /// An XML listing whose text does not parse.
    #[error("the listing is {source} ({content_type})")]
    Xml {
        #[source]
        source: XmlError,
        content_type: String,
    },
    /// An XML listing whose answer is not text.
    #[error("the listing is not XML ({content_type})")]
    NotXml { content_type: String },
    /// A JSON listing without an array at `items` (`found`: what is there).
    #[error("the listing has no array at \"{items}\" (found `{found}`)")]
    NoArray { items: JsonPointer, found: String },
    /// Nothing at `items`, not even an XML element's parent.
    #[error("the listing has no entries at \"{items}\"")]
    NoEntries { items: JsonPointer },
    /// Where the next page is cannot be told.
    #[error(transparent)]
    NextPage(#[from] NextPageError),
}

/// Reads one page, or says why it cannot be read.
pub(crate) fn read_page(
    listing: &Listing,
    at: PageAt<'_>,
    response: &ResponseRecord,
) -> Result<Page, PageError> {
    if !response.is_success() {
        return Err(PageError::Status {
            url: clip(at.url),
            status: response.status_text(),
        });
    }
    let document = document(&listing.format, response)?;
    let entries = entries(&listing.format, &document)?;
    let next = match &listing.pages {
        None => None,
        Some(pages) => {
            let facts = PageFacts {
                url: at.url,
                first: at.first,
                number: at.number,
                listed: entries.len(),
                document: &document,
                response,
            };
            next_url(pages, &facts)?
        }
    };
    Ok(Page { entries, next })
}

/// The page's document: JSON as it is, XML read as JSON.
fn document(format: &ListingFormat, response: &ResponseRecord) -> Result<Value, PageError> {
    let kind = response.header("content-type").unwrap_or("no Content-Type");
    match (format, &response.body) {
        (ListingFormat::Json { .. }, Body::Json { value }) => Ok(value.clone()),
        (ListingFormat::Json { .. }, _) => Err(PageError::NotJson {
            content_type: clip(kind),
            bytes: response.body_len,
        }),
        (
            _,
            Body::Text {
                truncated: true, ..
            },
        ) => Err(PageError::TooLong {
            bytes: response.body_len,
        }),
        (_, Body::Text { text, .. }) => xml::to_json(text).map_err(|source| PageError::Xml {
            source,
            content_type: clip(kind),
        }),
        _ => Err(PageError::NotXml {
            content_type: clip(kind),
        }),
    }
}

/// The entries at the format's place: an array, or (XML) one element or none at all.
fn entries(format: &ListingFormat, document: &Value) -> Result<Vec<Value>, PageError> {
    let Some(items) = format.items() else {
        return Ok(Vec::new());
    };
    let xml = !matches!(format, ListingFormat::Json { .. });
    match items.get(document) {
        Some(Value::Array(entries)) => Ok(entries.clone()),
        // XML has no empty list: one element is an object, none is absent (its parent is there).
        Some(one @ Value::Object(_)) if xml => Ok(vec![one.clone()]),
        None if xml && parent_exists(&items, document) => Ok(Vec::new()),
        Some(other) if !xml => Err(PageError::NoArray {
            items,
            found: clip(&other.to_string()),
        }),
        _ => Err(PageError::NoEntries { items }),
    }
}

fn parent_exists(items: &JsonPointer, document: &Value) -> bool {
    let tokens = items.tokens();
    let parent = JsonPointer::from_tokens(&tokens[..tokens.len().saturating_sub(1)]);
    parent.get(document).is_some_and(Value::is_object)
}

/// Server-controlled text shortened for a one-line reason.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(CLIP) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Header;
    use crate::scenario::{JsonPointer, Pages};
    use serde_json::json;

    fn answer(status: u16, content_type: &str, body: &str) -> ResponseRecord {
        ResponseRecord {
            status,
            headers: vec![Header {
                name: "Content-Type".into(),
                value: content_type.into(),
            }],
            body: Body::from_bytes(body.as_bytes()),
            body_len: body.len(),
            elapsed_ms: 1,
        }
    }

    const AT: PageAt<'static> = PageAt {
        url: "http://h/things",
        first: "http://h/things",
        number: 1,
    };

    fn xml(items: &str) -> Listing {
        Listing {
            format: ListingFormat::Xml {
                items: JsonPointer::from_tokens(items.split('/')),
            },
            ..Listing::json("/b", JsonPointer::root())
        }
    }

    #[test]
    fn reads_json_entries_and_says_why_a_page_is_unreadable() {
        let listing = Listing::json("/things", JsonPointer::parse("/items").unwrap());
        let page = read_page(
            &listing,
            AT,
            &answer(200, "application/json", r#"{"items": [{"id": "a"}]}"#),
        );
        assert_eq!(page.unwrap().entries, vec![json!({"id": "a"})]);
        let html = read_page(&listing, AT, &answer(200, "text/html", "<html></html>"));
        assert_eq!(
            html.unwrap_err().to_string(),
            "the listing is not JSON (text/html, 13 bytes)"
        );
        let missing = read_page(&listing, AT, &answer(404, "application/json", "{}"));
        assert_eq!(
            missing.unwrap_err().to_string(),
            "the listing http://h/things answered 404"
        );
        let object = read_page(
            &listing,
            AT,
            &answer(200, "application/json", r#"{"items": {}}"#),
        );
        assert_eq!(
            object.unwrap_err().to_string(),
            "the listing has no array at \"/items\" (found `{}`)"
        );
    }

    #[test]
    fn xml_listings_with_one_or_no_entry() {
        let listing = xml("ListBucketResult/Contents");
        let one =
            "<ListBucketResult><Name>b</Name><Contents><Key>k</Key></Contents></ListBucketResult>";
        let page = read_page(&listing, AT, &answer(200, "application/xml", one)).unwrap();
        assert_eq!(page.entries, vec![json!({"Key": "k"})]);
        let none = "<ListBucketResult><Name>b</Name></ListBucketResult>";
        let page = read_page(&listing, AT, &answer(200, "application/xml", none)).unwrap();
        assert!(page.entries.is_empty());
        let other = read_page(
            &listing,
            AT,
            &answer(200, "application/xml", "<Error><Code>x</Code></Error>"),
        );
        assert!(other.is_err());
    }

    #[test]
    fn the_next_page_comes_from_the_document() {
        let listing = Listing {
            pages: Some(Pages::Token {
                at: JsonPointer::parse("/next_cursor").unwrap(),
                param: "cursor".into(),
            }),
            ..Listing::json("/things", JsonPointer::parse("/items").unwrap())
        };
        let body = r#"{"items": [], "next_cursor": "t1"}"#;
        let page = read_page(&listing, AT, &answer(200, "application/json", body)).unwrap();
        assert_eq!(page.next.as_deref(), Some("http://h/things?cursor=t1"));
    }
}
