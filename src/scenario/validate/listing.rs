//! `[resources.NAME.listing]` (with the shorthands `items` and `id_field`): where and in which
//! format the collection is listed, how ids are read from its entries, how pages are followed.

use regex::Regex;
use toml::Spanned;

use super::common::{count, path, pointer};
use super::{Checked, Ctx};
use crate::scenario::listing::{
    DEFAULT_MAX_PAGES, IdField, Listing, ListingFormat, MAX_PAGES, PROPFIND_HREF, Pages,
};
use crate::scenario::model::{ListingDoc, NextDoc, ResourceDoc};
use crate::scenario::placeholder::{self, ID};
use crate::scenario::pointer::JsonPointer;

/// The listing of a resource and how its entries' ids are read.
pub(super) fn listing(
    ctx: Ctx<'_>,
    doc: &ResourceDoc,
    collection: &str,
    parent: Option<&str>,
) -> Checked<(Listing, IdField)> {
    let empty = ListingDoc::default();
    let listing = doc.listing.as_ref().map_or(&empty, Spanned::get_ref);
    let format = format_name(ctx, listing)?;
    if format == "none" {
        return no_listing(ctx, listing, collection);
    }
    let path = match &listing.path {
        Some(doc) => listing_path(ctx, doc, parent)?,
        None => collection.to_string(),
    };
    let span = doc.listing.as_ref().map_or(0..0, Spanned::span);
    let (format, id_field) = match format {
        "xml" => xml(ctx, doc, listing, span)?,
        "propfind" => propfind(ctx, doc, listing)?,
        _ => json(ctx, doc, listing)?,
    };
    let pages = listing
        .next
        .as_ref()
        .map(|next| pages(ctx, next, &format))
        .transpose()?;
    Ok((
        Listing {
            path,
            format,
            pages,
            max_pages: count(
                ctx,
                listing.max_pages.as_ref(),
                "max_pages",
                1..=MAX_PAGES,
                DEFAULT_MAX_PAGES,
            )?,
            filter: listing
                .filter
                .as_ref()
                .map(|f| filter(ctx, f))
                .transpose()?,
        },
        id_field,
    ))
}

fn format_name<'a>(ctx: Ctx<'_>, listing: &'a ListingDoc) -> Checked<&'a str> {
    match &listing.format {
        None => Ok("json"),
        Some(doc) => match doc.get_ref().as_str() {
            name @ ("json" | "xml" | "propfind" | "none") => Ok(name),
            other => Err(ctx.err(
                doc.span(),
                format!(
                    "unknown listing format `{other}`, expected `json`, `xml`, `propfind` or `none`"
                ),
            )),
        },
    }
}

/// `format = "none"`: the collection cannot be listed, so no other key means anything.
fn no_listing(ctx: Ctx<'_>, listing: &ListingDoc, collection: &str) -> Checked<(Listing, IdField)> {
    let extra = [
        ("path", listing.path.as_ref().map(Spanned::span)),
        ("items", listing.items.as_ref().map(Spanned::span)),
        ("id", listing.id.as_ref().map(Spanned::span)),
        ("id_pattern", listing.id_pattern.as_ref().map(Spanned::span)),
        ("next", listing.next.as_ref().map(Spanned::span)),
        ("max_pages", listing.max_pages.as_ref().map(Spanned::span)),
        ("filter", listing.filter.as_ref().map(Spanned::span)),
    ];
    if let Some((key, Some(span))) = extra.into_iter().find(|(_, span)| span.is_some()) {
        return Err(ctx.err(
            span,
            format!("`{key}` means nothing for a listing with `format = \"none\"`"),
        ));
    }
    Ok((
        Listing {
            format: ListingFormat::None,
            ..Listing::json(collection, JsonPointer::root())
        },
        IdField::at(JsonPointer::from_tokens(["id"])),
    ))
}

fn listing_path(ctx: Ctx<'_>, doc: &Spanned<String>, parent: Option<&str>) -> Checked<String> {
    let text = path(ctx, doc, "listing path")?;
    if !super::nesting::other_placeholders(&text, parent).is_empty() {
        return Err(ctx.err(
            doc.span(),
            format!("the listing path `{text}` cannot contain placeholders such as `{{id}}`"),
        ));
    }
    Ok(text)
}

/// A JSON listing: `items` and `id` are pointers, here or as the resource's shorthands.
fn json(
    ctx: Ctx<'_>,
    doc: &ResourceDoc,
    listing: &ListingDoc,
) -> Checked<(ListingFormat, IdField)> {
    let items = match once(ctx, "items", doc.items.as_ref(), listing.items.as_ref())? {
        Some(text) => pointer(ctx, text)?,
        None => JsonPointer::root(),
    };
    let id = match once(ctx, "id", doc.id_field.as_ref(), listing.id.as_ref())? {
        Some(text) => pointer(ctx, text)?,
        None => JsonPointer::from_tokens(["id"]),
    };
    Ok((ListingFormat::Json { items }, id_field(ctx, listing, id)?))
}

/// An XML listing: `items` and `id` are element paths, both required.
fn xml(
    ctx: Ctx<'_>,
    doc: &ResourceDoc,
    listing: &ListingDoc,
    span: std::ops::Range<usize>,
) -> Checked<(ListingFormat, IdField)> {
    no_shorthands(ctx, doc, "xml")?;
    let items = listing.items.as_ref();
    let items = required_path(
        ctx,
        items,
        "items",
        "ListBucketResult/Contents",
        span.clone(),
    )?;
    let id = required_path(ctx, listing.id.as_ref(), "id", "Key", span)?;
    Ok((ListingFormat::Xml { items }, id_field(ctx, listing, id)?))
}

/// A WebDAV listing: entries and ids are fixed (each `response`'s `href`).
fn propfind(
    ctx: Ctx<'_>,
    doc: &ResourceDoc,
    listing: &ListingDoc,
) -> Checked<(ListingFormat, IdField)> {
    no_shorthands(ctx, doc, "propfind")?;
    for (key, value) in [("items", &listing.items), ("id", &listing.id)] {
        if let Some(value) = value {
            return Err(ctx.err(
                value.span(),
                format!(
                    "a propfind listing reads each multistatus `response`'s `href`; `{key}` cannot be set"
                ),
            ));
        }
    }
    let href = JsonPointer::from_tokens([PROPFIND_HREF]);
    let id = match &listing.id_pattern {
        Some(pattern) => IdField::matching(href, id_pattern(ctx, pattern)?),
        None => IdField::last_segment(href),
    };
    Ok((ListingFormat::Propfind, id))
}

/// The resource-level `items` / `id_field` are JSON pointers: not for other formats.
fn no_shorthands(ctx: Ctx<'_>, doc: &ResourceDoc, format: &str) -> Checked<()> {
    for (key, value) in [("items", &doc.items), ("id_field", &doc.id_field)] {
        if let Some(value) = value {
            return Err(ctx.err(
                value.span(),
                format!(
                    "`{key}` is a JSON pointer for JSON listings; a {format} listing sets its own in `[listing]`"
                ),
            ));
        }
    }
    Ok(())
}

/// A key that may be written at the resource (the shorthand) or in `[listing]`, not both.
fn once<'a>(
    ctx: Ctx<'_>,
    key: &str,
    shorthand: Option<&'a Spanned<String>>,
    in_listing: Option<&'a Spanned<String>>,
) -> Checked<Option<&'a Spanned<String>>> {
    match (shorthand, in_listing) {
        (Some(_), Some(second)) => Err(ctx.err(
            second.span(),
            format!("`{key}` is set twice: at the resource and in `[listing]`; keep one"),
        )),
        (first, second) => Ok(first.or(second)),
    }
}

fn id_field(ctx: Ctx<'_>, listing: &ListingDoc, pointer: JsonPointer) -> Checked<IdField> {
    Ok(match &listing.id_pattern {
        Some(pattern) => IdField::matching(pointer, id_pattern(ctx, pattern)?),
        None => IdField::at(pointer),
    })
}

/// A regex with a named group `id`.
fn id_pattern(ctx: Ctx<'_>, doc: &Spanned<String>) -> Checked<Regex> {
    let pattern = Regex::new(doc.get_ref()).map_err(|err| {
        ctx.err(
            doc.span(),
            format!(
                "`id_pattern` is not a valid regex: {}",
                one_line(&err.to_string())
            ),
        )
    })?;
    if !pattern.capture_names().any(|name| name == Some("id")) {
        return Err(ctx.err_note(
            doc.span(),
            "`id_pattern` has no group named `id`",
            "name the part that is the id: \"^/idemfuzz/(?<id>[^/]+)$\"",
        ));
    }
    Ok(pattern)
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An element path that must be given (`A/B/C`, or a JSON pointer).
fn required_path(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<String>>,
    key: &str,
    example: &str,
    span: std::ops::Range<usize>,
) -> Checked<JsonPointer> {
    match doc {
        Some(doc) => element_path(ctx, doc),
        None => Err(ctx.err(
            span,
            format!(
                "an xml listing needs `{key}` in `[listing]`, an element path such as \"{example}\""
            ),
        )),
    }
}

/// `A/B/C` (local element names; a leading `/` is allowed) as a pointer into the XML document
/// read as JSON.
fn element_path(ctx: Ctx<'_>, doc: &Spanned<String>) -> Checked<JsonPointer> {
    let text = doc.get_ref();
    let names: Vec<&str> = text.trim_start_matches('/').split('/').collect();
    let valid = |name: &&str| {
        !name.is_empty()
            && !name
                .chars()
                .any(|c| c.is_whitespace() || "<>&\"'".contains(c))
    };
    if !names.iter().all(valid) {
        return Err(ctx.err(
            doc.span(),
            format!("`{text}` is not an element path such as \"ListBucketResult/Contents\""),
        ));
    }
    Ok(JsonPointer::from_tokens(names))
}

/// `next`: exactly one of `link`, `url`, `token` (with `param`) and `page`.
fn pages(ctx: Ctx<'_>, doc: &Spanned<NextDoc>, format: &ListingFormat) -> Checked<Pages> {
    let next = doc.get_ref();
    if *format == ListingFormat::Propfind {
        return Err(ctx.err(
            doc.span(),
            "a propfind listing has no pages (`Depth: 1` lists the whole collection)",
        ));
    }
    let given = [&next.link, &next.url, &next.token, &next.page]
        .iter()
        .filter(|k| k.is_some())
        .count();
    if given != 1 {
        return Err(ctx.err(
            doc.span(),
            "`next` takes exactly one of `link`, `url`, `token` (with `param`) and `page`",
        ));
    }
    let place = |text: &Spanned<String>| match format {
        ListingFormat::Xml { .. } => element_path(ctx, text),
        _ => pointer(ctx, text),
    };
    match (next, &next.param) {
        (
            NextDoc {
                token: Some(at), ..
            },
            Some(param),
        ) => Ok(Pages::Token {
            at: place(at)?,
            param: query_name(ctx, param)?,
        }),
        (
            NextDoc {
                token: Some(at), ..
            },
            None,
        ) => Err(ctx.err(
            at.span(),
            "`token` needs `param`, the query parameter the token is sent back in",
        )),
        (_, Some(param)) => Err(ctx.err(param.span(), "`param` goes with `token` only")),
        (
            NextDoc {
                link: Some(rel), ..
            },
            None,
        ) => Ok(Pages::Link {
            rel: query_name(ctx, rel)?,
        }),
        (NextDoc { url: Some(at), .. }, None) => Ok(Pages::Url { at: place(at)? }),
        (
            NextDoc {
                page: Some(param), ..
            },
            None,
        ) => Ok(Pages::Page {
            param: query_name(ctx, param)?,
        }),
        _ => Err(ctx.err(doc.span(), "`next` names no way to the next page")),
    }
}

/// A query parameter name or link relation: not empty, no separators or whitespace.
fn query_name(ctx: Ctx<'_>, doc: &Spanned<String>) -> Checked<String> {
    let text = doc.get_ref();
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || "&=#?\"".contains(c))
    {
        return Err(ctx.err(
            doc.span(),
            format!("`{text}` is not a query parameter name (or link relation)"),
        ));
    }
    Ok(text.clone())
}

/// `filter`: query text with `{id}` exactly once, e.g. `id={id}` (a leading `?` is dropped).
fn filter(ctx: Ctx<'_>, doc: &Spanned<String>) -> Checked<String> {
    let text = doc.get_ref().trim_start_matches('?');
    let found = placeholder::find(text);
    let only_id = found.len() == 1 && found.iter().all(|(_, p)| p.name == ID && p.offset == 0);
    if !only_id || text.chars().any(|c| c.is_whitespace() || c == '#') {
        return Err(ctx.err_note(
            doc.span(),
            format!("the filter `{text}` must be a query with `{{id}}` exactly once"),
            "for an API that lists only the item X at `?id=X`, write `filter = \"id={id}\"`",
        ));
    }
    Ok(text.to_string())
}
