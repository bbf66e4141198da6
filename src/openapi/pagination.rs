//! How a collection's GET pages its items, from the document: a `Link` response header, a next
//! URL or next token in the answer (DRF's `{count, next, previous, results}`, cursors), or a
//! page-number query parameter — the `[resources.NAME.listing] next` the generated file holds.

use super::model::{JsonType, Operation, ParamIn, PathItem, SchemaObject};
use super::resources::pointer_to;
use super::schema::Mapper;
use crate::model::exchange::Method;

/// Members that hold the paging links or tokens, one level down (`links.next`, `meta.next_cursor`).
const ENVELOPES: [&str; 5] = ["links", "_links", "meta", "pagination", "page_info"];
/// Names of a member holding the next page's URL.
const NEXT_URL_NAMES: [&str; 6] = [
    "next",
    "next_url",
    "nextUrl",
    "next_page_url",
    "nextPageUrl",
    "next_link",
];
/// Names of a member holding the next page's token, best first.
const NEXT_TOKEN_NAMES: [&str; 10] = [
    "next_cursor",
    "nextCursor",
    "next_token",
    "nextToken",
    "next_page_token",
    "nextPageToken",
    "continuation_token",
    "continuationToken",
    "cursor",
    "next",
];
/// Query parameters that carry a token back, best first.
const TOKEN_PARAMS: [&str; 10] = [
    "cursor",
    "page_token",
    "pageToken",
    "continuation_token",
    "continuationToken",
    "next_token",
    "nextToken",
    "token",
    "after",
    "starting_after",
];
/// Query parameters that take a page number.
const PAGE_PARAMS: [&str; 3] = ["page", "page_number", "pageNumber"];

/// How the next page is found (the keys of `[listing] next`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `{ link = "next" }`.
    Link,
    /// `{ url = POINTER }`.
    Url(String),
    /// `{ token = POINTER, param = PARAM }`.
    Token { pointer: String, param: String },
    /// `{ page = PARAM }`.
    Page(String),
}

/// The inferred paging and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Next {
    pub(crate) paging: Paging,
    pub(crate) note: String,
}

/// How GET on the collection pages its items, in this order of evidence: a `Link` header on a
/// 2xx answer; a next-URL member of the answer; a next-token member with a query parameter to
/// send it back in; a token query parameter without a token in the answer (a guess: the
/// `Link` header Ory's APIs send but do not document); a page-number query parameter. `answer` is the resolved GET answer (its
/// root when the items are a member of it); `None` when the document shows no paging.
pub(crate) fn next(
    mapper: &mut Mapper<'_>,
    collection: &PathItem,
    answer: Option<&SchemaObject>,
) -> Option<Next> {
    let get = collection.operation(Method::Get)?;
    let path = &collection.path;
    if get.successes().any(|r| r.has_header("Link")) {
        return Some(Next {
            paging: Paging::Link,
            note: format!("GET {path} answers a Link header (RFC 8288 rel=next)"),
        });
    }
    let members = answer
        .map(|a| paging_members(mapper, a))
        .unwrap_or_default();
    if let Some((pointer, _)) = members.iter().find(|(p, m)| is_next_url(p, m)) {
        return Some(Next {
            paging: Paging::Url(pointer.clone()),
            note: format!("GET {path}'s answer has the next page's URL at `{pointer}`"),
        });
    }
    if let Some(next) = token(get, path, &members) {
        return Some(next);
    }
    if let Some(param) = query_params(get).find(|name| TOKEN_PARAMS.contains(name)) {
        return Some(Next {
            paging: Paging::Link,
            note: format!(
                "guess: GET {path} takes a `{param}` token but its answer holds none, so it is taken to come in a Link header"
            ),
        });
    }
    let page = query_params(get).find(|name| PAGE_PARAMS.contains(name))?;
    Some(Next {
        paging: Paging::Page(page.to_string()),
        note: format!("GET {path} takes a page number in the query parameter `{page}`"),
    })
}

/// A next token in the answer and the query parameter that sends it back: the parameter named
/// like the member without its `next` (`next_cursor` → `cursor`), else a usual token parameter.
fn token(get: &Operation, path: &str, members: &[(String, SchemaObject)]) -> Option<Next> {
    let params: Vec<&str> = query_params(get).collect();
    let (pointer, param) = NEXT_TOKEN_NAMES.iter().find_map(|name| {
        let (pointer, member) = members.iter().find(|(p, _)| last_segment(p) == *name)?;
        if !is_string(member) {
            return None;
        }
        let bare = strip_next(name);
        let param = params
            .iter()
            .find(|p| p.eq_ignore_ascii_case(&bare) || p.eq_ignore_ascii_case(name))
            .or_else(|| {
                TOKEN_PARAMS
                    .iter()
                    .find_map(|t| params.iter().find(|p| *p == t))
            })?;
        Some((pointer.clone(), param.to_string()))
    })?;
    Some(Next {
        paging: Paging::Token {
            pointer: pointer.clone(),
            param: param.clone(),
        },
        note: format!(
            "GET {path}'s answer has the next page's token at `{pointer}`, sent back as `{param}`"
        ),
    })
}

/// The answer's top-level members and those of a paging envelope (`links`, `meta`…), by JSON
/// pointer; a HAL link object (`_links.next.href`) counts as its `href`.
fn paging_members(mapper: &mut Mapper<'_>, answer: &SchemaObject) -> Vec<(String, SchemaObject)> {
    let mut found = Vec::new();
    for (name, member) in resolved(mapper, answer) {
        let pointer = pointer_to(&name);
        if ENVELOPES.contains(&name.as_str()) {
            for (inner, value) in resolved(mapper, &member) {
                let inner_pointer = format!("{pointer}{}", pointer_to(&inner));
                let href = resolved(mapper, &value)
                    .into_iter()
                    .find(|(n, v)| n == "href" && is_string(v));
                match href {
                    Some((_, href)) => found.push((format!("{inner_pointer}/href"), href)),
                    None => found.push((inner_pointer, value)),
                }
            }
        } else {
            found.push((pointer, member));
        }
    }
    found
}

fn resolved(mapper: &mut Mapper<'_>, object: &SchemaObject) -> Vec<(String, SchemaObject)> {
    object
        .properties
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), mapper.inspect(schema)?)))
        .collect()
}

/// A member named like a next URL that holds a string; a `next` holding a token (no `uri`
/// format, inside no link envelope) is read as a URL only when it is called exactly `next`
/// and documents a URI format or sits in `links`.
fn is_next_url(pointer: &str, member: &SchemaObject) -> bool {
    let name = last_segment(pointer);
    let name = if name == "href" {
        pointer.rsplit('/').nth(1).unwrap_or("")
    } else {
        name
    };
    if !NEXT_URL_NAMES.contains(&name) || !is_string(member) {
        return false;
    }
    let uri = matches!(
        member.format.as_deref(),
        Some("uri" | "uri-reference" | "url")
    );
    name != "next" || uri || pointer.contains("links/") || pointer.ends_with("/href")
}

fn is_string(schema: &SchemaObject) -> bool {
    schema.types.contains(&JsonType::String) || schema.types.is_empty()
}

fn query_params(get: &Operation) -> impl Iterator<Item = &str> {
    get.params
        .iter()
        .filter(|p| p.location == ParamIn::Query)
        .map(|p| p.name.as_str())
}

fn last_segment(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

/// `next_cursor` → `cursor`, `nextPageToken` → `pageToken`.
fn strip_next(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("next_") {
        return rest.to_string();
    }
    match name.strip_prefix("next") {
        Some(rest) if !rest.is_empty() => {
            let mut chars = rest.chars();
            chars
                .next()
                .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paging of the one resource of a document with `/things` and `/things/{id}`: the
    /// collection's GET written as `get` (YAML flow style).
    fn paging_of(get: &str) -> Option<Paging> {
        let text = format!(
            r#"openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /things:
    get: {get}
  /things/{{id}}:
    get: {{responses: {{'200': {{description: ok, content: {{application/json: {{schema: {{type: object, properties: {{id: {{type: string}}, name: {{type: string}}}}}}}}}}}}}}}}
    put:
      summary: create or replace
      requestBody: {{content: {{application/json: {{schema: {{type: object, properties: {{name: {{type: string}}}}}}}}}}}}
      responses: {{'201': {{description: ok}}}}
    delete: {{responses: {{'204': {{description: ok}}}}}}
"#
        );
        let api = crate::openapi::load::parse(&text, "t.yaml", None).expect("parses");
        let plan = crate::openapi::resources::plan(&api);
        let things = plan.resources.first().expect("imported");
        things.paging.as_ref().map(|next| next.paging.clone())
    }

    const ARRAY: &str = "{type: array, items: {type: object}}";

    fn answer(schema: &str, headers: &str, params: &str) -> String {
        format!(
            "{{parameters: [{params}], responses: {{'200': {{description: ok, headers: {{{headers}}}, content: {{application/json: {{schema: {schema}}}}}}}}}}}"
        )
    }

    #[test]
    fn a_link_header_is_followed() {
        let get = answer(ARRAY, "Link: {schema: {type: string}}", "");
        assert_eq!(paging_of(&get), Some(Paging::Link));
    }

    #[test]
    fn next_urls_at_the_top_and_in_link_envelopes() {
        let drf = "{type: object, properties: {count: {type: integer}, next: {type: string, format: uri, nullable: true}, results: {type: array, items: {type: object}}}}";
        assert_eq!(
            paging_of(&answer(drf, "", "")),
            Some(Paging::Url("/next".into()))
        );
        let json_api = "{type: object, properties: {data: {type: array, items: {type: object}}, links: {type: object, properties: {next: {type: string}}}}}";
        assert_eq!(
            paging_of(&answer(json_api, "", "")),
            Some(Paging::Url("/links/next".into()))
        );
        let hal = "{type: object, properties: {items: {type: array, items: {type: object}}, _links: {type: object, properties: {next: {type: object, properties: {href: {type: string}}}}}}}";
        assert_eq!(
            paging_of(&answer(hal, "", "")),
            Some(Paging::Url("/_links/next/href".into()))
        );
    }

    #[test]
    fn a_next_token_goes_back_in_its_query_parameter() {
        let page = "{type: object, properties: {items: {type: array, items: {type: object}}, nextPageToken: {type: string}}}";
        let param = "{name: pageToken, in: query, schema: {type: string}}";
        assert_eq!(
            paging_of(&answer(page, "", param)),
            Some(Paging::Token {
                pointer: "/nextPageToken".into(),
                param: "pageToken".into()
            })
        );
        assert_eq!(
            paging_of(&answer(page, "", "")),
            None,
            "no way to send it back"
        );
    }

    #[test]
    fn page_numbers_and_no_paging() {
        let param = "{name: page, in: query, schema: {type: integer}}";
        assert_eq!(
            paging_of(&answer(ARRAY, "", param)),
            Some(Paging::Page("page".into()))
        );
        let token = "{name: page_token, in: query, schema: {type: string}}";
        assert_eq!(
            paging_of(&answer(ARRAY, "", &format!("{param}, {token}"))),
            Some(Paging::Link),
            "a token parameter with no token in the answer: Link (a guess)"
        );
        assert_eq!(paging_of(&answer(ARRAY, "", "")), None);
    }

    #[test]
    fn strips_the_next_prefix() {
        assert_eq!(strip_next("next_cursor"), "cursor");
        assert_eq!(strip_next("nextPageToken"), "pageToken");
        assert_eq!(strip_next("cursor"), "cursor");
    }
}
