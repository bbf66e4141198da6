//! `[resources.NAME]`: paths, creation mode, methods, body template, required members, ignore
//! patterns and Idempotency-Key support.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::common::{self, names, path, sent_header_name, statuses};
use super::{Checked, Ctx};
use super::{listing, nesting, representation, resilience, version};
use crate::model::exchange::Method;
use crate::model::fuzz::ops::PatchFormat;
use crate::scenario::model::{IdempotencyKeyDoc, ResourceDoc};
use crate::scenario::placeholder::ID;
use crate::scenario::pointer::{IgnorePattern, JsonPointer};
use crate::scenario::size;
use crate::scenario::template::TemplateNode;
use crate::scenario::{CheckOptions, CreateMode, IdempotencyKey, PostId, Resource};
use crate::shorten::shorten;

/// The header used when `idempotency_key` does not name one.
const DEFAULT_IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Every resource, in the order the file defines them.
pub(super) fn resources(
    ctx: Ctx<'_>,
    docs: BTreeMap<Spanned<String>, Spanned<ResourceDoc>>,
    mut check_options: Vec<(String, CheckOptions)>,
    max_body: u64,
) -> Checked<Vec<Resource>> {
    let mut docs: Vec<_> = docs.into_iter().collect();
    docs.sort_by_key(|(_, doc)| doc.span().start);
    let declared: BTreeSet<String> = docs
        .iter()
        .map(|(name, _)| name.get_ref().clone())
        .collect();
    let mut resources = Vec::with_capacity(docs.len());
    let mut parents = Vec::new();
    for (child, (name, doc)) in docs.into_iter().enumerate() {
        let doc = doc.into_inner();
        let parent = nesting::parent_name(ctx, &doc.collection, name.get_ref(), &declared)?;
        if let Some(parent) = &parent {
            parents.push(nesting::ParentRef::new(
                child,
                parent.clone(),
                doc.collection.span(),
            ));
        }
        let at = check_options.iter().position(|(n, _)| n == name.get_ref());
        // Every resource of the file has its tables (none when it names no check).
        let checks = at.map(|at| check_options.swap_remove(at).1);
        resources.push(resource(
            ctx,
            &name,
            doc,
            checks,
            max_body,
            parent.as_deref(),
        )?);
    }
    nesting::link(ctx, &mut resources, &parents)?;
    Ok(resources)
}

fn resource(
    ctx: Ctx<'_>,
    name: &Spanned<String>,
    doc: ResourceDoc,
    checks: Option<CheckOptions>,
    max_body: u64,
    parent: Option<&str>,
) -> Checked<Resource> {
    let create = create_mode(ctx, doc.create.as_ref())?;
    let post_id = doc.post_id.as_ref().map(|p| post_id(ctx, p)).transpose()?;
    if let (CreateMode::Post, None, Some(span)) =
        (create, &post_id, doc.create.as_ref().map(Spanned::span))
    {
        return Err(ctx.err(
            span,
            "`create = \"post\"` needs `post_id` (\"location\" or a JSON pointer) to find the new resource's id",
        ));
    }
    let patch = patch_format(ctx, doc.patch.as_ref())?;
    let body = doc.body.get_ref();
    let representation = representation::representation(ctx, &doc)?;
    body_within_bound(ctx, &doc.body, max_body)?;
    let methods = methods(ctx, doc.methods.as_ref(), create, patch.clone())?;
    let collection = collection(ctx, &doc.collection, parent)?;
    let (listing, id_field) = listing::listing(ctx, &doc, &collection, parent)?;
    let mut ignore = ignore(ctx, &doc.ignore)?;
    let version = version::version(ctx, &doc, &representation)?.map(|(token, member)| {
        ignore.push(member);
        token
    });
    Ok(Resource {
        name: resource_name(ctx, name)?,
        item: item(ctx, &doc.item, &collection, parent)?,
        collection,
        create,
        concurrent_clients: resilience::concurrent_clients(ctx, &doc)?,
        conditional: resilience::conditional(ctx, &doc)?,
        post_put: resilience::post_put(ctx, doc.post_put.as_ref(), post_id.is_some(), &methods)?,
        methods,
        required: required(ctx, &doc.required, body)?,
        representation,
        put_create_statuses: put_create_statuses(ctx, doc.put_create_statuses.as_ref())?,
        ignore,
        version,
        id_field,
        listing,
        detect_volatile: doc.detect_volatile.unwrap_or(true),
        write_metadata: doc.write_metadata.unwrap_or(true),
        idempotency_key: idempotency_key(ctx, doc.idempotency_key.as_ref(), post_id.is_some())?,
        checks: checks.unwrap_or_else(|| CheckOptions::none(ctx)),
        patch: patch.map(|(format, _)| format),
        post_id,
        body: doc.body.into_inner(),
        parent: None,
    })
}

/// The largest body the template can produce (computed, not generated) is within the bound.
fn body_within_bound(ctx: Ctx<'_>, body: &Spanned<TemplateNode>, max_body: u64) -> Checked<()> {
    let largest = size::largest_body(body.get_ref());
    if largest <= max_body {
        return Ok(());
    }
    Err(ctx.err_note(
        body.span(),
        format!(
            "the body template can produce bodies of up to {largest} bytes, more than the {max_body} bytes `max_body_bytes` allows"
        ),
        "lower the `max_len` of its strings and arrays, or raise `max_body_bytes` in [target] (default 1048576, 1 MiB)",
    ))
}

/// `put_create_statuses`: 2xx statuses only, default 201.
fn put_create_statuses(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<crate::scenario::model::StatusesDoc>>,
) -> Checked<Vec<u16>> {
    let Some(doc) = doc else {
        return Ok(vec![201]);
    };
    let list = statuses(ctx, doc, "put_create_statuses", false)?;
    if let Some(status) = list.iter().find(|s| !(200..300).contains(*s)) {
        return Err(ctx.err(
            doc.span(),
            format!("`put_create_statuses`: {status} is not a success (2xx) status"),
        ));
    }
    Ok(list)
}

fn resource_name(ctx: Ctx<'_>, name: &Spanned<String>) -> Checked<String> {
    let text = name.get_ref();
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if text.is_empty() || !text.chars().all(allowed) {
        return Err(ctx.err(
            name.span(),
            format!("the resource name `{text}` may only use A-Z a-z 0-9 _ -"),
        ));
    }
    Ok(text.clone())
}

fn collection(ctx: Ctx<'_>, doc: &Spanned<String>, parent: Option<&str>) -> Checked<String> {
    let text = path(ctx, doc, "collection")?;
    if !nesting::other_placeholders(&text, parent).is_empty() {
        return Err(ctx.err(
            doc.span(),
            format!("the collection `{text}` cannot contain placeholders such as `{{id}}`"),
        ));
    }
    Ok(text)
}

fn item(
    ctx: Ctx<'_>,
    doc: &Spanned<String>,
    collection: &str,
    parent: Option<&str>,
) -> Checked<String> {
    let text = path(ctx, doc, "item path")?;
    let found = nesting::other_placeholders(&text, parent);
    if let Some((_, other)) = found.iter().find(|(_, p)| p.name != ID || p.offset != 0) {
        return Err(ctx.err(
            doc.span(),
            format!(
                "the item path `{text}` can only use `{{id}}`, not `{{{}}}`",
                other.name
            ),
        ));
    }
    if found.len() != 1 {
        return Err(ctx.err(
            doc.span(),
            format!(
                "the item path `{text}` must contain `{{id}}` exactly once, found {}",
                found.len()
            ),
        ));
    }
    item_below_collection(ctx, doc, &text, collection)?;
    Ok(text)
}

/// The item path is the collection's path, then `{id}` as a whole segment, then nothing or
/// more segments: so an item is always a fresh URL directly below the collection, never one
/// below a fixed (possibly pre-existing) item, and never an id in the query.
fn item_below_collection(
    ctx: Ctx<'_>,
    doc: &Spanned<String>,
    text: &str,
    collection: &str,
) -> Checked<()> {
    let expected = format!("{}/{{id}}", collection.trim_end_matches('/'));
    let rest = text.strip_prefix(&expected);
    if rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?'])) {
        return Ok(());
    }
    let problem = match text.find('?') {
        Some(query) if common::own_id_at(text).is_some_and(|at| at > query) => {
            "has `{id}` in its query: the id must be a path segment"
        }
        _ => "must be the collection's path followed by `/{id}` (and optionally more segments)",
    };
    Err(ctx.err_note(
        doc.span(),
        format!("the item path `{}` {problem}", shorten(text)),
        format!(
            "with the collection `{collection}`, write `{expected}`: idemfuzz only writes to the items it creates, directly below their collection"
        ),
    ))
}

fn create_mode(ctx: Ctx<'_>, doc: Option<&Spanned<String>>) -> Checked<CreateMode> {
    match doc.map(|d| (d.get_ref().as_str(), d.span())) {
        None | Some(("put", _)) => Ok(CreateMode::Put),
        Some(("post", _)) => Ok(CreateMode::Post),
        Some((other, span)) => Err(ctx.err(
            span,
            format!("unknown create mode `{other}`, expected `put` or `post`"),
        )),
    }
}

/// `patch = "merge" | "json-patch"`, with its span for errors about `methods`.
fn patch_format(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<String>>,
) -> Checked<Option<(PatchFormat, std::ops::Range<usize>)>> {
    let Some(doc) = doc else {
        return Ok(None);
    };
    let format = match doc.get_ref().as_str() {
        "merge" => PatchFormat::Merge,
        "json-patch" => PatchFormat::JsonPatch,
        other => {
            return Err(ctx.err(
                doc.span(),
                format!("unknown patch format `{other}`, expected `merge` (RFC 7396) or `json-patch` (RFC 6902)"),
            ));
        }
    };
    Ok(Some((format, doc.span())))
}

fn post_id(ctx: Ctx<'_>, doc: &Spanned<String>) -> Checked<PostId> {
    if doc.get_ref() == "location" {
        return Ok(PostId::Location);
    }
    JsonPointer::parse(doc.get_ref())
        .map(PostId::Pointer)
        .map_err(|_| {
            ctx.err(
                doc.span(),
                format!(
                    "`post_id` must be \"location\" or a JSON pointer such as \"/id\", found `{}`",
                    doc.get_ref()
                ),
            )
        })
}

const METHOD_NAMES: &str = "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE";

fn methods(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<Vec<Spanned<String>>>>,
    create: CreateMode,
    patch: Option<(PatchFormat, std::ops::Range<usize>)>,
) -> Checked<BTreeSet<Method>> {
    let Some(doc) = doc else {
        let mut methods =
            BTreeSet::from([Method::Get, Method::Head, Method::Options, Method::Delete]);
        if create == CreateMode::Put {
            methods.insert(Method::Put);
        }
        if patch.is_some() {
            methods.insert(Method::Patch);
        }
        return Ok(methods);
    };
    let methods = doc
        .get_ref()
        .iter()
        .map(|name| method(ctx, name))
        .collect::<Checked<BTreeSet<_>>>()?;
    if !methods.contains(&Method::Get) {
        return Err(ctx.err(
            doc.span(),
            "`methods` must include GET: idemfuzz reads every resource it checks with GET",
        ));
    }
    if create == CreateMode::Put && !methods.contains(&Method::Put) {
        return Err(ctx.err(
            doc.span(),
            "`methods` must include PUT when `create = \"put\"` (the default)",
        ));
    }
    if let Some((_, span)) = patch
        && !methods.contains(&Method::Patch)
    {
        return Err(ctx.err(
            span,
            "`patch` declares a patch format but `methods` does not include PATCH",
        ));
    }
    Ok(methods)
}

/// A method name, case-insensitive.
pub(super) fn method(ctx: Ctx<'_>, name: &Spanned<String>) -> Checked<Method> {
    Method::parse(name.get_ref()).ok_or_else(|| {
        ctx.err(
            name.span(),
            format!(
                "unknown method `{}`, expected one of {METHOD_NAMES}",
                name.get_ref()
            ),
        )
    })
}

fn required(ctx: Ctx<'_>, docs: &[Spanned<String>], body: &TemplateNode) -> Checked<Vec<String>> {
    let members = body.top_level_members();
    let mut required: Vec<String> = Vec::new();
    for doc in docs {
        let name = doc.get_ref();
        if !members.contains(&name.as_str()) {
            return Err(ctx.err(
                doc.span(),
                format!(
                    "`{name}` is not a top-level member of the body template (members: {})",
                    names(members.iter().copied())
                ),
            ));
        }
        if required.contains(name) {
            return Err(ctx.err(doc.span(), format!("`{name}` is listed twice")));
        }
        required.push(name.clone());
    }
    Ok(required)
}

fn ignore(ctx: Ctx<'_>, docs: &[Spanned<String>]) -> Checked<Vec<IgnorePattern>> {
    docs.iter()
        .map(|doc| {
            IgnorePattern::parse(doc.get_ref()).map_err(|err| ctx.err(doc.span(), err.to_string()))
        })
        .collect()
}

fn idempotency_key(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<IdempotencyKeyDoc>>,
    accepts_post: bool,
) -> Checked<Option<IdempotencyKey>> {
    let Some(doc) = doc else {
        return Ok(None);
    };
    if !accepts_post {
        return Err(ctx.err(
            doc.span(),
            "`idempotency_key` needs `post_id`: the key is sent with POST to the collection",
        ));
    }
    let inner = doc.get_ref();
    let header = match &inner.header {
        Some(name) => sent_header_name(ctx, name)?,
        None => DEFAULT_IDEMPOTENCY_HEADER.to_owned(),
    };
    let mismatch_statuses = match &inner.mismatch_statuses {
        Some(list) => statuses(ctx, list, "mismatch_statuses", true)?,
        None => Vec::new(),
    };
    let key = IdempotencyKey {
        mismatch_statuses,
        ..IdempotencyKey::new(header)
    };
    resilience::replay_expectations(ctx, inner, key).map(Some)
}
