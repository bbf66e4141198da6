//! Path pairing: which collection/item path pairs of a document become resources, and every
//! resource setting the document implies (creation mode from the evidence in
//! `evidence`, id location, listing shape, methods, body, server-managed
//! members, conditional requests, POST-PUT creation and PATCH format from
//! `infer`, Idempotency-Key support, checks to turn off), each with the reason
//! the generated file shows as a comment. What is not imported — paths, and operations such as
//! bulk or action POSTs that idemfuzz must never send — is listed with the reason.

use super::evidence::{self, Creation};
use super::infer::{self, Managed, Why};
use super::model::{Api, JsonType, Operation, PathItem, Response, Schema, SchemaObject};
use super::nested;
use super::pagination::{self, Next};
use super::schema::{BodyPlan, Mapper};
use crate::model::check::CheckId;
use crate::model::exchange::Method;
use crate::scenario::CreateMode;

/// Names of a collection response's member that usually holds the items, best first.
const ITEM_ARRAY_NAMES: [&str; 8] = [
    "items", "data", "results", "content", "records", "values", "elements", "entries",
];
/// The Idempotency-Key header of draft-ietf-httpapi-idempotency-key-header.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// What the importer makes of a document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) resources: Vec<ResourcePlan>,
    /// Item-like paths (ending in a path parameter) that did not become a resource, and
    /// operations of imported resources that are never sent.
    pub(crate) skipped: Vec<Skipped>,
}

/// An item path (or an operation, `POST /path`) that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A setting and the reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) note: String,
}

impl Choice {
    fn new(value: impl Into<String>, note: impl Into<String>) -> Choice {
        Choice {
            value: value.into(),
            note: note.into(),
        }
    }
}

/// Idempotency-Key support of a collection's POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyPlan {
    pub(crate) header: String,
    /// `[422]` when the POST documents a 422 answer, else empty (the scenario default).
    pub(crate) mismatch_statuses: Vec<u16>,
}

/// One resource to write.
#[derive(Debug, Clone)]
pub(crate) struct ResourcePlan {
    pub(crate) name: String,
    pub(crate) collection: String,
    /// The item path with the spec's parameter replaced by `{id}`.
    pub(crate) item: String,
    /// The item path as the spec writes it.
    pub(crate) spec_item: String,
    /// For a nested resource, which resource it lives under, in words.
    pub(crate) parent: Option<String>,
    pub(crate) create: CreateMode,
    pub(crate) create_note: String,
    pub(crate) post_id: Option<Choice>,
    pub(crate) id_field: Choice,
    pub(crate) items: Choice,
    /// `[listing] next`: how GET on the collection pages its items, when the document says.
    pub(crate) paging: Option<Next>,
    pub(crate) methods: Vec<Method>,
    pub(crate) methods_note: String,
    pub(crate) body: BodyPlan,
    /// Which operation's request body the template comes from.
    pub(crate) body_source: String,
    /// Server-managed members, each with why.
    pub(crate) ignore: Vec<Managed>,
    pub(crate) idempotency_key: Option<KeyPlan>,
    /// `etags = true`, with the evidence.
    pub(crate) etags: Option<String>,
    /// `preconditions_required = true`, with the evidence.
    pub(crate) preconditions_required: Option<String>,
    /// `[post_put]` (the empty POST sends no body), with the evidence.
    pub(crate) post_put: Option<String>,
    /// `patch`, with the evidence.
    pub(crate) patch: Option<Choice>,
    /// Checks turned off because the spec documents no method they need.
    pub(crate) disabled: Vec<(CheckId, String)>,
}

/// Pairs the document's paths into resources: top-level ones first, then nested collections
/// under the imported resource whose item they live below.
pub(crate) fn plan(api: &Api) -> Plan {
    let mut mapper = Mapper::new(&api.schemas);
    let mut plan = Plan::default();
    let mut nested = Vec::new();
    for item in &api.paths {
        match item_shape(&item.path) {
            None => {}
            Some(Ok(shape)) if shape.under.is_some() => nested.push((item, shape)),
            Some(shape) => add(api, &mut mapper, &mut plan, item, shape, None),
        }
    }
    let top_level = plan.resources.len();
    for (item, shape) in nested {
        let under = shape.under.as_deref().unwrap_or("");
        let parent = plan.resources[..top_level]
            .iter()
            .position(|r| nested::same_item(&r.spec_item, under));
        let shape = match parent {
            Some(_) => Ok(shape),
            None => Err(format!(
                "a nested collection under `{under}`, which is not an imported resource (a nested resource needs its parent's resource to create it)"
            )),
        };
        add(api, &mut mapper, &mut plan, item, shape, parent);
    }
    plan
}

/// Builds one resource (under the plan's resource at `parent`, if given) or records why not.
fn add(
    api: &Api,
    mapper: &mut Mapper<'_>,
    plan: &mut Plan,
    item: &PathItem,
    shape: Result<Shape, String>,
    parent: Option<usize>,
) {
    let mut excluded = Vec::new();
    let built = shape.and_then(|shape| resource(api, mapper, item, &shape, &mut excluded));
    plan.skipped.extend(excluded);
    match built {
        Ok(mut resource) => {
            resource.name = unique_name(&resource.collection, &plan.resources);
            if let Some(parent) = parent.and_then(|at| plan.resources.get(at)) {
                nested::place_under(&mut resource, parent);
            }
            plan.resources.push(resource);
        }
        Err(reason) => plan.skipped.push(Skipped {
            path: item.path.clone(),
            reason,
        }),
    }
}

/// An item path's parts: the collection path before its last parameter, the parameter's name,
/// and whether the path ends in `/` (`/items/{id}/`, as Django REST framework writes them).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    parent: String,
    param: String,
    trailing_slash: bool,
    /// For a nested collection, the item path of its parent (`/customers/{customerId}`).
    under: Option<String>,
}

/// For a path whose last segment is exactly one parameter (a trailing `/` allowed): its shape,
/// or why the pair cannot be a resource. `None` for any other path.
fn item_shape(path: &str) -> Option<Result<Shape, String>> {
    let trailing_slash = path.len() > 1 && path.ends_with('/');
    let trimmed = if trailing_slash {
        &path[..path.len() - 1]
    } else {
        path
    };
    let (parent, last) = trimmed.rsplit_once('/')?;
    let param = last.strip_prefix('{')?.strip_suffix('}')?;
    if param.is_empty() || param.contains(['{', '}']) {
        return None;
    }
    if let Some(problem) = unusable(parent) {
        return Some(Err(problem));
    }
    let under = if parent.contains('{') {
        match nested::parent_item(parent) {
            Ok(under) => Some(under),
            Err(reason) => return Some(Err(reason)),
        }
    } else {
        None
    };
    let parent = if parent.is_empty() { "/" } else { parent };
    Some(Ok(Shape {
        parent: parent.to_string(),
        param: param.to_string(),
        trailing_slash,
        under,
    }))
}

/// The collection path of a shape: as written beside the item (`/items/` for `/items/{id}/`,
/// else `/items`, else the other spelling).
fn collection_of<'a>(api: &'a Api, shape: &Shape) -> Option<&'a PathItem> {
    let bare = shape.parent.as_str();
    let slashed = format!("{}/", shape.parent.trim_end_matches('/'));
    let (first, second) = if shape.trailing_slash {
        (slashed.as_str(), bare)
    } else {
        (bare, slashed.as_str())
    };
    api.path(first).or_else(|| api.path(second))
}

fn resource(
    api: &Api,
    mapper: &mut Mapper<'_>,
    item: &PathItem,
    shape: &Shape,
    excluded: &mut Vec<Skipped>,
) -> Result<ResourcePlan, String> {
    let collection = collection_of(api, shape)
        .ok_or_else(|| format!("the document has no collection path `{}`", shape.parent))?;
    let param = shape.param.as_str();
    let spec_item = item.path.as_str();
    if !item.has(Method::Put) && !item.has(Method::Delete) && !collection.has(Method::Post) {
        return Err(format!(
            "read-only: no PUT or DELETE on it and no POST {}",
            collection.path
        ));
    }
    if !collection.has(Method::Get) {
        return Err(format!(
            "no GET {}: the checks list the collection to find the items they created",
            collection.path
        ));
    }
    let get = item.operation(Method::Get).ok_or_else(|| {
        "no GET on it: idemfuzz reads every resource it checks with GET".to_string()
    })?;
    if !item.has(Method::Delete) {
        return Err("no DELETE on it: what the checks create could not be cleaned up".to_string());
    }
    let representation = success_body(get);
    let (id, id_field) = id_field(mapper, representation, param, spec_item);
    let post = usable_post(mapper, item, collection, representation, excluded);
    let post_proof = post.and_then(|post| {
        let answers_item = success_body(post)
            .and_then(|schema| find_id(mapper, schema, param))
            .is_some();
        evidence::post_creates(post, answers_item)
    });
    let post = post.filter(|_| post_proof.is_some());
    let blocked = evidence::param_blocks_own_ids(mapper, item, param);
    let Creation {
        mode: create,
        note: create_note,
    } = evidence::creation(
        item,
        &collection.path,
        blocked.as_deref(),
        post_proof.as_ref(),
    )?;
    let id_member = id.member.as_deref();
    let (mut body, body_source, request) =
        request_body(mapper, item, post, &collection.path, id_member)?;
    let ignore = ignore_patterns(mapper, &mut body, representation, request, &id);
    let etags = infer::etags(item);
    let preconditions_required = infer::preconditions_required(item);
    Ok(ResourcePlan {
        name: String::new(),
        collection: collection.path.clone(),
        item: item_path(spec_item, param),
        spec_item: spec_item.to_string(),
        parent: None,
        create,
        create_note,
        post_id: post.map(|post| post_id(mapper, post, &collection.path, param)),
        id_field,
        items: items_pointer(mapper, collection),
        paging: paging(mapper, collection),
        methods: methods(item),
        methods_note: methods_note(item),
        body,
        body_source,
        ignore,
        idempotency_key: post.and_then(idempotency_key),
        etags: etags.or_else(|| preconditions_required.clone()),
        preconditions_required,
        post_put: post.and_then(|post| infer::post_put(item, post, &collection.path)),
        patch: infer::patch(item).map(|(value, note)| Choice::new(value, note)),
        disabled: disabled(item, post.is_some(), &collection.path),
    })
}

/// The collection's POST when it creates one item of this resource; a bulk or action POST,
/// or one whose request body is not the item's, is listed as excluded and never sent.
fn usable_post<'a>(
    mapper: &mut Mapper<'_>,
    item: &PathItem,
    collection: &'a PathItem,
    representation: Option<&Schema>,
    excluded: &mut Vec<Skipped>,
) -> Option<&'a Operation> {
    let post = collection.operation(Method::Post)?;
    let item_schemas: Vec<&Schema> = representation
        .into_iter()
        .chain(
            item.operation(Method::Put)
                .and_then(Operation::request_schema),
        )
        .collect();
    let why = evidence::bulk_or_action(mapper, post)
        .or_else(|| evidence::foreign_request(mapper, post, &item_schemas));
    match why {
        Some(why) => {
            excluded.push(Skipped {
                path: format!("POST {}", collection.path),
                reason: format!("{why}; never sent"),
            });
            None
        }
        None => Some(post),
    }
}

/// Server-managed members: `readOnly` ones of the request body and of the item's GET answer,
/// members only the answer has, and optional timestamps the body then leaves out. The id is
/// never ignored.
fn ignore_patterns(
    mapper: &mut Mapper<'_>,
    body: &mut BodyPlan,
    representation: Option<&Schema>,
    request: &Schema,
    id: &IdLocation,
) -> Vec<Managed> {
    let answer = representation.and_then(|schema| mapper.body(schema, id.member.as_deref()).ok());
    let mut found: Vec<(String, Why)> = body
        .ignore
        .iter()
        .chain(answer.iter().flat_map(|a| &a.ignore))
        .map(|p| (p.clone(), Why::ReadOnly))
        .collect();
    for name in infer::timestamps(mapper, request, body) {
        body.members.retain(|m| m.name != name);
        found.push((pointer_to(&name), Why::Timestamp));
    }
    if let Some(representation) = representation {
        for pointer in
            infer::answer_only(mapper, representation, request, &id.pointer).unwrap_or_default()
        {
            found.push((pointer, Why::AnswerOnly));
        }
    }
    let mut ignore: Vec<Managed> = Vec::new();
    for (pointer, why) in found {
        if pointer != id.pointer && !ignore.iter().any(|m| m.pointer == pointer) {
            ignore.push(Managed { pointer, why });
        }
    }
    ignore
}

/// The JSON body schema of an operation's first documented success (201 before 200 when both).
fn success_body(op: &Operation) -> Option<&Schema> {
    let mut successes: Vec<&Response> = op.successes().collect();
    successes.sort_by_key(|r| r.status != super::model::Status::Code(201));
    successes.into_iter().find_map(|r| r.body.as_ref())
}

/// Where an item's id is in a representation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdLocation {
    /// JSON pointer to the id, e.g. `/id` or `/data/id`.
    pointer: String,
    /// The top-level member holding it (`None` inside an envelope): left out of bodies.
    member: Option<String>,
    read_only: bool,
}

/// The id in a representation schema: the member named like the path parameter, else `id`,
/// else a `readOnly` member whose name ends in `id` — at the top level, or inside a `data`
/// envelope (`{"data": {"id": …}}`, as in JSON:API).
fn find_id(mapper: &mut Mapper<'_>, schema: &Schema, param: &str) -> Option<IdLocation> {
    let members = mapper.members(schema);
    if let Some((name, member)) = pick_id(&members, param) {
        return Some(IdLocation {
            pointer: pointer_to(name),
            member: Some(name.clone()),
            read_only: member.read_only,
        });
    }
    let (_, data) = members
        .iter()
        .find(|(name, m)| name == "data" && !m.properties.is_empty())?;
    let inner = mapper.members(&Schema::Inline(Box::new(data.clone())));
    let (name, member) = pick_id(&inner, param)?;
    Some(IdLocation {
        pointer: format!("/data{}", pointer_to(name)),
        member: None,
        read_only: member.read_only,
    })
}

fn pick_id<'m>(
    members: &'m [(String, SchemaObject)],
    param: &str,
) -> Option<&'m (String, SchemaObject)> {
    members
        .iter()
        .find(|(name, _)| name == param)
        .or_else(|| members.iter().find(|(name, _)| name == "id"))
        .or_else(|| {
            members
                .iter()
                .find(|(name, m)| m.read_only && name.to_ascii_lowercase().ends_with("id"))
        })
}

/// The `id_field` setting from the item's GET answer (`/id`, marked `guess`, when it has none).
fn id_field(
    mapper: &mut Mapper<'_>,
    representation: Option<&Schema>,
    param: &str,
    spec_item: &str,
) -> (IdLocation, Choice) {
    match representation.and_then(|schema| find_id(mapper, schema, param)) {
        Some(found) => {
            let why = if found.read_only { "readOnly " } else { "" };
            let choice = Choice::new(
                found.pointer.clone(),
                format!(
                    "the {why}id `{}` of GET {spec_item}'s answer",
                    found.pointer
                ),
            );
            (found, choice)
        }
        None => (
            IdLocation {
                pointer: "/id".into(),
                member: Some("id".into()),
                read_only: false,
            },
            Choice::new(
                "/id",
                format!("guess: GET {spec_item}'s answer documents no id member"),
            ),
        ),
    }
}

/// The body template: from the request body of PUT on the item when it documents one (PUT is
/// how checks create then, and what fills a POST-PUT item), else of the usable POST. Returns
/// the body, where it came from, and its schema.
fn request_body<'s>(
    mapper: &mut Mapper<'_>,
    item: &'s PathItem,
    post: Option<&'s Operation>,
    collection: &str,
    id_member: Option<&str>,
) -> Result<(BodyPlan, String, &'s Schema), String> {
    let writes = [item.operation(Method::Put), post];
    let (op, schema) = writes
        .iter()
        .flatten()
        .find_map(|op| Some((op, op.request_schema()?)))
        .ok_or_else(|| {
            let documented: Vec<String> = writes
                .iter()
                .flatten()
                .map(|op| op.method.as_str().to_string())
                .collect();
            if documented.is_empty() {
                "no PUT on it and no usable POST: nothing documents a request body".to_string()
            } else {
                format!(
                    "no JSON request body is documented for {}",
                    documented.join(" or ")
                )
            }
        })?;
    let path = if op.method == Method::Put {
        item.path.as_str()
    } else {
        collection
    };
    let source = format!("the request body of {} {path}", op.method.as_str());
    let body = mapper
        .body(schema, id_member)
        .map_err(|reason| format!("{source}: {reason}"))?;
    Ok((body, source, schema))
}

/// Where a POST answer carries the new id: `Location` when documented, else the id member of
/// the answer's body, else a guess (`location`).
fn post_id(mapper: &mut Mapper<'_>, post: &Operation, collection: &str, param: &str) -> Choice {
    if post.successes().any(|r| r.has_header("Location")) {
        return Choice::new(
            "location",
            format!("POST {collection} answers with a Location header"),
        );
    }
    match success_body(post).and_then(|schema| find_id(mapper, schema, param)) {
        Some(found) => Choice::new(
            found.pointer.clone(),
            format!("the id `{}` of POST {collection}'s answer", found.pointer),
        ),
        None => Choice::new(
            "location",
            format!(
                "guess: POST {collection} documents neither a Location header nor an id in its answer"
            ),
        ),
    }
}

/// Where the items are in a collection answer: the root when it is an array, else its array
/// member with a usual name (or its only array member).
fn items_pointer(mapper: &mut Mapper<'_>, collection: &PathItem) -> Choice {
    let path = &collection.path;
    let Some(schema) = collection.operation(Method::Get).and_then(success_body) else {
        return Choice::new(
            "",
            format!("guess: GET {path} and its JSON answer are not documented"),
        );
    };
    let Some(root) = mapper.inspect(schema) else {
        return Choice::new("", format!("guess: GET {path}'s answer cannot be resolved"));
    };
    if is_array(&root) {
        return Choice::new("", format!("GET {path} answers a JSON array of items"));
    }
    let arrays: Vec<String> = mapper
        .members(schema)
        .into_iter()
        .filter(|(_, member)| is_array(member))
        .map(|(name, _)| name)
        .collect();
    let chosen = ITEM_ARRAY_NAMES
        .iter()
        .find(|name| arrays.iter().any(|a| a == *name))
        .map(|name| name.to_string())
        .or_else(|| match arrays.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        });
    match chosen {
        Some(name) => Choice::new(
            pointer_to(&name),
            format!("GET {path} answers an object whose `{name}` lists the items"),
        ),
        None => Choice::new(
            "",
            format!("guess: no array of items found in GET {path}'s answer"),
        ),
    }
}

/// How GET on the collection pages its items: from its headers and query parameters, and from
/// its answer when that is an object.
fn paging(mapper: &mut Mapper<'_>, collection: &PathItem) -> Option<Next> {
    let answer = collection
        .operation(Method::Get)
        .and_then(success_body)
        .and_then(|schema| mapper.inspect(schema))
        .filter(|root| !is_array(root));
    pagination::next(mapper, collection, answer.as_ref())
}

fn is_array(schema: &SchemaObject) -> bool {
    schema.types.contains(&JsonType::Array) || (schema.types.is_empty() && schema.items.is_some())
}

/// The item's documented methods, plus HEAD wherever GET is (RFC 9110 §9.1: every
/// general-purpose server supports both).
fn methods(item: &PathItem) -> Vec<Method> {
    let mut methods: Vec<Method> = item.operations.iter().map(|op| op.method).collect();
    if !methods.contains(&Method::Head) {
        methods.push(Method::Head);
    }
    methods.sort();
    methods
}

fn methods_note(item: &PathItem) -> String {
    let mut note = format!("documented on {}", item.path);
    if !item.has(Method::Head) {
        note.push_str("; HEAD goes with GET (RFC 9110 §9.1)");
    }
    note
}

/// The Idempotency-Key header a POST documents, if any: `Idempotency-Key` itself, else a
/// header parameter whose name contains "idempotency".
fn idempotency_key(post: &Operation) -> Option<KeyPlan> {
    let header = post
        .header_params()
        .find(|h| h.eq_ignore_ascii_case(IDEMPOTENCY_KEY))
        .or_else(|| {
            post.header_params()
                .find(|h| h.to_ascii_lowercase().contains("idempotency"))
        })?;
    Some(KeyPlan {
        header: header.to_string(),
        mismatch_statuses: if post.documents(422) {
            vec![422]
        } else {
            Vec::new()
        },
    })
}

/// Checks that need a method the spec does not document (or a POST that is not usable), and
/// why they are off.
fn disabled(item: &PathItem, has_post: bool, collection: &str) -> Vec<(CheckId, String)> {
    let mut off = Vec::new();
    if !item.has(Method::Put) {
        let why = format!("the spec documents no PUT {}", item.path);
        for check in [
            CheckId::RepeatPut,
            CheckId::PartialPut,
            CheckId::PutAfterDelete,
        ] {
            off.push((check, why.clone()));
        }
    }
    if !has_post {
        off.push((
            CheckId::PostRetry,
            format!("no POST {collection} that creates one item"),
        ));
    }
    off.sort_by_key(|(check, _)| {
        crate::model::check::BUILT_IN
            .iter()
            .position(|c| c == check)
    });
    off
}

/// Why a collection path cannot be written in a scenario file (white space, `.` or `..`
/// segments), if so. (The item path's parameter becomes `{id}`, so its name does not matter.)
fn unusable(path: &str) -> Option<String> {
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("the path contains white space, which a scenario path cannot".into());
    }
    path.split('/')
        .any(|segment| segment == "." || segment == "..")
        .then(|| "the path has a `.` or `..` segment, which a scenario path cannot".into())
}

/// The item path with its (last) parameter replaced by `{id}`.
fn item_path(spec_item: &str, param: &str) -> String {
    let written = format!("{{{param}}}");
    match spec_item.rfind(&written) {
        Some(at) => format!(
            "{}{{id}}{}",
            &spec_item[..at],
            &spec_item[at + written.len()..]
        ),
        None => spec_item.to_string(),
    }
}

/// A JSON pointer to a top-level member.
pub(super) fn pointer_to(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// A resource name from the collection path: its last segment (letters, digits, `_` and `-`;
/// anything else becomes `_`), with more segments or a number added until it is unique.
fn unique_name(collection: &str, taken: &[ResourcePlan]) -> String {
    let segments: Vec<String> = collection
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    let is_free = |name: &str| !taken.iter().any(|r| r.name == name);
    for count in 1..=segments.len() {
        let name = segments[segments.len() - count..].join("-");
        if is_free(&name) {
            return name;
        }
    }
    let base = segments.join("-");
    let base = if base.is_empty() {
        "root".to_string()
    } else {
        base
    };
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|name| is_free(name))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_shapes() {
        let shape = |parent: &str, param: &str, trailing_slash: bool| {
            Some(Ok(Shape {
                parent: parent.into(),
                param: param.into(),
                trailing_slash,
                under: None,
            }))
        };
        assert_eq!(
            item_shape("/things/{thingId}"),
            shape("/things", "thingId", false)
        );
        assert_eq!(item_shape("/items/{id}/"), shape("/items", "id", true));
        assert_eq!(item_shape("/{id}"), shape("/", "id", false));
        assert_eq!(item_shape("/"), None);
        assert_eq!(item_shape("/things"), None);
        assert_eq!(item_shape("/lamps/{id}/break"), None);
        assert_eq!(item_shape("/files/{name}.json"), None);
        assert!(matches!(item_shape("/a b/{id}"), Some(Err(r)) if r.contains("white space")));
        assert!(matches!(item_shape("/a/../b/{id}"), Some(Err(r)) if r.contains("`..`")));
        assert!(
            matches!(item_shape("/users/{userId}/orders/{orderId}"), Some(Ok(s)) if s.under.as_deref() == Some("/users/{userId}"))
        );
        assert!(
            matches!(item_shape("/a/{x}/b/{y}/c/{z}"), Some(Err(r)) if r.contains("one level"))
        );
    }

    #[test]
    fn ids_inside_a_data_envelope() {
        let text = r#"openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /notes:
    get: {responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {data: {type: array, items: {$ref: '#/components/schemas/Doc'}}}}}}}}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Doc'}}}}
      responses: {'201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Doc'}}}}}
  /notes/{noteId}:
    get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Doc'}}}}}}
    delete: {responses: {'204': {description: ok}}}
components:
  schemas:
    Doc:
      type: object
      properties:
        data:
          type: object
          properties:
            id: {type: string, readOnly: true}
            text: {type: string}
"#;
        let api = crate::openapi::load::parse(text, "t.yaml", None).expect("parses");
        let plan = plan(&api);
        let notes = &plan.resources[0];
        assert_eq!(notes.id_field.value, "/data/id");
        assert_eq!(
            notes.post_id.as_ref().map(|c| c.value.as_str()),
            Some("/data/id")
        );
        assert_eq!(notes.items.value, "/data");
        assert!(
            notes.ignore.is_empty(),
            "the id is never ignored: {:?}",
            notes.ignore
        );
    }

    #[test]
    fn item_paths_use_id() {
        assert_eq!(item_path("/things/{thingId}", "thingId"), "/things/{id}");
        assert_eq!(item_path("/items/{pk}/", "pk"), "/items/{id}/");
    }

    #[test]
    fn names_are_unique_and_valid() {
        let taken = |names: &[&str]| -> Vec<ResourcePlan> {
            names
                .iter()
                .map(|n| ResourcePlan {
                    name: n.to_string(),
                    collection: String::new(),
                    item: String::new(),
                    spec_item: String::new(),
                    parent: None,
                    create: CreateMode::Put,
                    create_note: String::new(),
                    post_id: None,
                    id_field: Choice::new("", ""),
                    items: Choice::new("", ""),
                    paging: None,
                    methods: Vec::new(),
                    methods_note: String::new(),
                    body: BodyPlan::default(),
                    body_source: String::new(),
                    ignore: Vec::new(),
                    idempotency_key: None,
                    etags: None,
                    preconditions_required: None,
                    post_put: None,
                    patch: None,
                    disabled: Vec::new(),
                })
                .collect()
        };
        assert_eq!(unique_name("/api/v1/orders", &[]), "orders");
        assert_eq!(
            unique_name("/api/v2/orders", &taken(&["orders"])),
            "v2-orders"
        );
        assert_eq!(unique_name("/orders", &taken(&["orders"])), "orders-2");
        assert_eq!(unique_name("/line.items", &[]), "line_items");
        assert_eq!(unique_name("/", &[]), "root");
    }
}
