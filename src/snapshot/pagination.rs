//! Where the next page of a listing is: a `Link` field's target, a URL or a token in the
//! document, or the next page number. Pure: the session follows what this returns, and checks
//! that it stays on the target's origin.

use serde_json::Value;

use crate::model::exchange::ResponseRecord;
use crate::scenario::{JsonPointer, Pages};
use crate::snapshot::listing::clip;

/// Why the next page of a listing cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NextPageError {
    /// The member the next page's URL or token is read from is not a string (`found`: what
    /// it is, clipped).
    #[error("the next page's link at \"{at}\" is not a string: {found}")]
    NotAString { at: JsonPointer, found: String },
    /// The next page's link (clipped) does not resolve against the page's URL.
    #[error("the next page's link `{reference}` is not a URL ({source})")]
    NotAUrl {
        reference: String,
        #[source]
        source: url::ParseError,
    },
    /// The listing's first URL, which a token or page number goes into, is not a URL.
    #[error("{url} ({source})")]
    FirstNotAUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
}

/// What one page says about the next.
pub(crate) struct PageFacts<'a> {
    /// The URL the page was read from (relative next links resolve against it).
    pub(crate) url: &'a str,
    /// The URL of the listing's first page (tokens and page numbers go into its query).
    pub(crate) first: &'a str,
    /// 1 for the first page.
    pub(crate) number: u32,
    /// Entries the page listed.
    pub(crate) listed: usize,
    /// The page's document (XML already read as JSON).
    pub(crate) document: &'a Value,
    pub(crate) response: &'a ResponseRecord,
}

/// The absolute URL of the next page, `None` at the end, or why it cannot be told.
pub(crate) fn next_url(
    pages: &Pages,
    page: &PageFacts<'_>,
) -> Result<Option<String>, NextPageError> {
    match pages {
        Pages::Link { rel } => link_target(page.response, rel)
            .map(|target| resolve(page.url, &target))
            .transpose(),
        Pages::Url { at } => match text_at(page.document, at)? {
            Some(target) => resolve(page.url, &target).map(Some),
            None => Ok(None),
        },
        Pages::Token { at, param } => match text_at(page.document, at)? {
            Some(token) => with_param(page.first, param, &token).map(Some),
            None => Ok(None),
        },
        Pages::Page { param } if page.listed > 0 => {
            with_param(page.first, param, &(page.number + 1).to_string()).map(Some)
        }
        Pages::Page { .. } => Ok(None),
    }
}

/// The string at a pointer: `None` when absent, null or empty (the last page).
fn text_at(document: &Value, at: &JsonPointer) -> Result<Option<String>, NextPageError> {
    match at.get(document) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(NextPageError::NotAString {
            at: at.clone(),
            found: clip(&other.to_string()),
        }),
    }
}

/// The target of the first `Link` field value whose `rel` lists `rel` (RFC 8288 §3).
fn link_target(response: &ResponseRecord, rel: &str) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("link"))
        .flat_map(|h| links(&h.value))
        .find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
        .map(|(target, _)| target)
}

/// `<target>; rel="a b", <target>; rel=c` as (target, relations) pairs.
fn links(value: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let target = rest[open + 1..open + close].trim().to_string();
        let after = &rest[open + close + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let rels = after[..params_end]
            .split(';')
            .filter_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("rel")
                    .then(|| value.trim().trim_end_matches(',').trim().trim_matches('"'))
            })
            .flat_map(|rels| rels.split_whitespace().map(str::to_string))
            .collect();
        found.push((target, rels));
        rest = &after[params_end..];
    }
    found
}

/// A reference resolved against a page URL (RFC 3986 §5).
fn resolve(base: &str, reference: &str) -> Result<String, NextPageError> {
    reqwest::Url::parse(base)
        .and_then(|base| base.join(reference))
        .map(String::from)
        .map_err(|source| NextPageError::NotAUrl {
            reference: clip(reference),
            source,
        })
}

/// `url` with the query parameter `name` set to `value` (replacing any earlier one).
fn with_param(url: &str, name: &str, value: &str) -> Result<String, NextPageError> {
    let mut parsed = reqwest::Url::parse(url).map_err(|source| NextPageError::FirstNotAUrl {
        url: url.to_string(),
        source,
    })?;
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    Ok(parsed.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::{Body, Header};
    use crate::scenario::JsonPointer;
    use serde_json::json;

    fn response(headers: &[(&str, &str)]) -> ResponseRecord {
        ResponseRecord {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            body: Body::Empty,
            body_len: 0,
            elapsed_ms: 1,
        }
    }

    fn facts<'a>(
        document: &'a Value,
        response: &'a ResponseRecord,
        listed: usize,
    ) -> PageFacts<'a> {
        PageFacts {
            url: "http://h/api/items?page=2",
            first: "http://h/api/items?list-type=2",
            number: 2,
            listed,
            document,
            response,
        }
    }

    #[test]
    fn follows_the_next_link_among_several() {
        let links = response(&[(
            "Link",
            "<http://h/api/items?page=3>; rel=\"next\", <http://h/api/items?page=50>; rel=\"last\"",
        )]);
        let pages = Pages::Link { rel: "next".into() };
        let doc = json!([]);
        assert_eq!(
            next_url(&pages, &facts(&doc, &links, 20))
                .unwrap()
                .as_deref(),
            Some("http://h/api/items?page=3")
        );
        let last = response(&[("link", "</api/items?page=1>; rel=\"first prev\"")]);
        assert_eq!(next_url(&pages, &facts(&doc, &last, 20)).unwrap(), None);
        let relative = response(&[("Link", "<?page=3>; rel=next")]);
        assert_eq!(
            next_url(&pages, &facts(&doc, &relative, 1))
                .unwrap()
                .as_deref(),
            Some("http://h/api/items?page=3")
        );
    }

    #[test]
    fn reads_next_urls_tokens_and_page_numbers() {
        let none = response(&[]);
        let url = Pages::Url {
            at: JsonPointer::parse("/next").unwrap(),
        };
        let doc = json!({"next": "/api/items?after=abc"});
        assert_eq!(
            next_url(&url, &facts(&doc, &none, 20)).unwrap().as_deref(),
            Some("http://h/api/items?after=abc")
        );
        let end = json!({"next": null});
        assert_eq!(next_url(&url, &facts(&end, &none, 20)).unwrap(), None);
        let token = Pages::Token {
            at: JsonPointer::parse("/ListBucketResult/NextContinuationToken").unwrap(),
            param: "continuation-token".into(),
        };
        let doc = json!({"ListBucketResult": {"NextContinuationToken": "a+b/c"}});
        assert_eq!(
            next_url(&token, &facts(&doc, &none, 20))
                .unwrap()
                .as_deref(),
            Some("http://h/api/items?list-type=2&continuation-token=a%2Bb%2Fc")
        );
        let page = Pages::Page {
            param: "page".into(),
        };
        assert_eq!(
            next_url(&page, &facts(&doc, &none, 20)).unwrap().as_deref(),
            Some("http://h/api/items?list-type=2&page=3")
        );
        assert_eq!(next_url(&page, &facts(&doc, &none, 0)).unwrap(), None);
        let odd = json!({"next": 3});
        assert!(next_url(&url, &facts(&odd, &none, 1)).is_err());
    }
}
