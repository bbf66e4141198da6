//! Path pairing: which collection/item path pairs of a document become resources, and every
//! resource setting the document implies (creation mode, id location, listing shape, methods,
//! body, ignore patterns, Idempotency-Key support, checks to turn off), each with the reason the
//! generated file shows as a comment.

use super::model::{Api, JsonType, Operation, PathItem, Response, Schema, SchemaObject};
use super::schema::{BodyPlan, Mapper};
use crate::checks::CheckId;
use crate::http::model::Method;
use crate::scenario::CreateMode;

/// Names of a collection response's member that usually holds the items, best first.
const ITEM_ARRAY_NAMES: [&str; 8] = [
    "items", "data", "results", "content", "records", "values", "elements", "entries",
];
/// The Idempotency-Key header of draft-ietf-httpapi-idempotency-key-header.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// What the importer makes of a document.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub resources: Vec<ResourcePlan>,
    /// Item-like paths (ending in a path parameter) that did not become a resource.
    pub skipped: Vec<Skipped>,
}

/// An item path that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A setting and the reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub note: String,
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
pub struct KeyPlan {
    pub header: String,
    /// `[422]` when the POST documents a 422 answer, else empty (the scenario default).
    pub mismatch_statuses: Vec<u16>,
}

/// One resource to write.
#[derive(Debug, Clone)]
pub struct ResourcePlan {
    pub name: String,
    pub collection: String,
    /// The item path with the spec's parameter replaced by `{id}`.
    pub item: String,
    /// The item path as the spec writes it.
    pub spec_item: String,
    pub create: CreateMode,
    pub create_note: String,
    pub post_id: Option<Choice>,
    pub id_field: Choice,
    pub items: Choice,
    pub methods: Vec<Method>,
    pub methods_note: String,
    pub body: BodyPlan,
    /// Which operation's request body the template comes from.
    pub body_source: String,
    pub ignore: Vec<String>,
    pub idempotency_key: Option<KeyPlan>,
    /// Checks turned off because the spec documents no method they need.
    pub disabled: Vec<(CheckId, String)>,
}

/// Pairs the document's paths into resources.
pub fn plan(api: &Api) -> Plan {
    let mut mapper = Mapper::new(&api.schemas);
    let mut plan = Plan::default();
    for item in &api.paths {
        let Some(shape) = item_shape(&item.path) else {
            continue;
        };
        match shape.and_then(|(parent, param)| resource(api, &mut mapper, item, &parent, &param)) {
            Ok(mut resource) => {
                resource.name = unique_name(&resource.collection, &plan.resources);
                plan.resources.push(resource);
            }
            Err(reason) => plan.skipped.push(Skipped {
                path: item.path.clone(),
                reason,
            }),
        }
    }
    plan
}

/// For a path whose last segment is exactly one parameter: the parent path and the parameter
/// name, or why the pair cannot be a resource. `None` for any other path.
fn item_shape(path: &str) -> Option<Result<(String, String), String>> {
    let (parent, last) = path.rsplit_once('/')?;
    let param = last.strip_prefix('{')?.strip_suffix('}')?;
    if param.is_empty() || param.contains(['{', '}']) {
        return None;
    }
    if let Some(problem) = unusable(parent) {
        return Some(Err(problem));
    }
    if parent.contains('{') {
        return Some(Err(format!(
            "its collection `{parent}` contains a path parameter; idemfuzz needs a fixed collection path"
        )));
    }
    let parent = if parent.is_empty() { "/" } else { parent };
    Some(Ok((parent.to_string(), param.to_string())))
}

fn resource(
    api: &Api,
    mapper: &mut Mapper<'_>,
    item: &PathItem,
    parent: &str,
    param: &str,
) -> Result<ResourcePlan, String> {
    let collection = api
        .path(parent)
        .or_else(|| api.path(&format!("{parent}/")))
        .ok_or_else(|| format!("the document has no collection path `{parent}`"))?;
    let spec_item = item.path.as_str();
    let post = collection.operation(Method::Post);
    if !item.has(Method::Put) && !item.has(Method::Delete) && post.is_none() {
        return Err(format!(
            "read-only: no PUT or DELETE on it and no POST on `{}`",
            collection.path
        ));
    }
    let get = item.operation(Method::Get).ok_or_else(|| {
        "no GET on it: idemfuzz reads every resource it checks with GET".to_string()
    })?;
    let (create, create_note) = creation(item, collection)?;
    let representation = success_body(get);
    let (id, id_field) = id_field(mapper, representation, param, spec_item);
    let id_member = id.member.as_deref();
    let (body, body_source) = request_body(mapper, item, collection, id_member)?;
    let ignore = ignore_patterns(mapper, &body, representation, &id);
    Ok(ResourcePlan {
        name: String::new(),
        collection: collection.path.clone(),
        item: item_path(spec_item, param),
        spec_item: spec_item.to_string(),
        create,
        create_note,
        post_id: post.map(|post| post_id(mapper, post, &collection.path, param)),
        id_field,
        items: items_pointer(mapper, collection),
        methods: methods(item),
        methods_note: methods_note(item),
        body,
        body_source,
        ignore,
        idempotency_key: post.and_then(idempotency_key),
        disabled: disabled(item, collection),
    })
}

/// The `readOnly` members of the request body and of the item's representation (where
/// server-managed members usually are), as ignore patterns.
fn ignore_patterns(
    mapper: &mut Mapper<'_>,
    body: &BodyPlan,
    representation: Option<&Schema>,
    id: &IdLocation,
) -> Vec<String> {
    let answer = representation.and_then(|schema| mapper.body(schema, id.member.as_deref()).ok());
    let mut ignore: Vec<String> = Vec::new();
    for pointer in body
        .ignore
        .iter()
        .cloned()
        .chain(answer.map(|a| a.ignore).unwrap_or_default())
    {
        if pointer != id.pointer && !ignore.contains(&pointer) {
            ignore.push(pointer);
        }
    }
    ignore
}

/// How checks create an item: PUT to the item when the spec documents it, else POST to the
/// collection. Returns the mode and its comment.
fn creation(item: &PathItem, collection: &PathItem) -> Result<(CreateMode, String), String> {
    if item.has(Method::Put) {
        return Ok((
            CreateMode::Put,
            format!(
                "the spec documents PUT {}: checks PUT run-owned ids",
                item.path
            ),
        ));
    }
    if collection.has(Method::Post) {
        return Ok((
            CreateMode::Post,
            format!(
                "no PUT on {}: checks create with POST {}",
                item.path, collection.path
            ),
        ));
    }
    Err(format!(
        "no way to create an item: no PUT on it and no POST on `{}`",
        collection.path
    ))
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
/// how checks create then), else of POST on the collection.
fn request_body(
    mapper: &mut Mapper<'_>,
    item: &PathItem,
    collection: &PathItem,
    id_member: Option<&str>,
) -> Result<(BodyPlan, String), String> {
    let writes = [
        item.operation(Method::Put).map(|op| (op, &item.path)),
        collection
            .operation(Method::Post)
            .map(|op| (op, &collection.path)),
    ];
    let (op, schema, path) = writes
        .iter()
        .flatten()
        .find_map(|(op, path)| Some((op, op.request_schema()?, path)))
        .ok_or_else(|| {
            let documented: Vec<String> = writes
                .iter()
                .flatten()
                .map(|(op, path)| format!("{} {path}", op.method.as_str()))
                .collect();
            format!(
                "no JSON request body is documented for {}",
                documented.join(" or ")
            )
        })?;
    let source = format!("the request body of {} {path}", op.method.as_str());
    let body = mapper
        .body(schema, id_member)
        .map_err(|reason| format!("{source}: {reason}"))?;
    Ok((body, source))
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
    if !item.has(Method::Delete) {
        note.push_str("; no DELETE, so what the checks create stays behind");
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

/// Checks that need a method the spec does not document, and why they are off.
fn disabled(item: &PathItem, collection: &PathItem) -> Vec<(CheckId, String)> {
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
    if !item.has(Method::Delete) {
        let why = format!("the spec documents no DELETE {}", item.path);
        for check in [
            CheckId::RepeatDelete,
            CheckId::PutAfterDelete,
            CheckId::UseAfterDelete,
        ] {
            if !off.iter().any(|(c, _)| *c == check) {
                off.push((check, why.clone()));
            }
        }
    }
    if !collection.has(Method::Post) {
        off.push((
            CheckId::PostRetry,
            format!("the spec documents no POST {}", collection.path),
        ));
    }
    off.sort_by_key(|(check, _)| crate::checks::BUILT_IN.iter().position(|c| c == check));
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

/// The item path with its parameter replaced by `{id}`.
fn item_path(spec_item: &str, param: &str) -> String {
    let suffix = format!("{{{param}}}");
    match spec_item.strip_suffix(&suffix) {
        Some(prefix) => format!("{prefix}{{id}}"),
        None => spec_item.to_string(),
    }
}

/// A JSON pointer to a top-level member.
fn pointer_to(name: &str) -> String {
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
        assert_eq!(
            item_shape("/things/{thingId}"),
            Some(Ok(("/things".into(), "thingId".into())))
        );
        assert_eq!(item_shape("/{id}"), Some(Ok(("/".into(), "id".into()))));
        assert_eq!(item_shape("/things"), None);
        assert_eq!(item_shape("/lamps/{id}/break"), None);
        assert_eq!(item_shape("/files/{name}.json"), None);
        assert!(matches!(item_shape("/a b/{id}"), Some(Err(r)) if r.contains("white space")));
        assert!(matches!(item_shape("/a/../b/{id}"), Some(Err(r)) if r.contains("`..`")));
        assert!(
            matches!(item_shape("/users/{userId}/orders/{orderId}"), Some(Err(r)) if r.contains("/users/{userId}/orders"))
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
                    create: CreateMode::Put,
                    create_note: String::new(),
                    post_id: None,
                    id_field: Choice::new("", ""),
                    items: Choice::new("", ""),
                    methods: Vec::new(),
                    methods_note: String::new(),
                    body: BodyPlan::default(),
                    body_source: String::new(),
                    ignore: Vec::new(),
                    idempotency_key: None,
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
