//! What the document says about writes: whether a PUT creates or only updates, whether the
//! item's path parameter can hold an id idemfuzz picks, whether a collection's POST creates one
//! item of this resource — or is a bulk or action endpoint, or takes another schema — and so
//! which create method the checks use. Each answer carries the evidence, for the comments.

use super::model::{JsonType, Operation, ParamIn, PathItem, Schema, SchemaObject, Status};
use super::schema::Mapper;
use crate::model::exchange::Method;
use crate::scenario::CreateMode;

/// Words of an operation id or summary that mark a bulk endpoint.
const BULK_WORDS: [&str; 2] = ["bulk", "batch"];
/// Request members that mark an action or bulk endpoint rather than one item's state.
const ACTION_MEMBERS: [&str; 4] = ["action", "actions", "ids", "operation"];

/// What a PUT on the item does, by its documented answers and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PutKind {
    Creates(String),
    Ambiguous,
    UpdateOnly(String),
}

/// Classifies the item's PUT: 201 or "create"/"upsert" → creates; 404 (without 201) or
/// "update"/"modify"/"edit" → update-only; else ambiguous.
pub(crate) fn put_kind(put: &Operation) -> PutKind {
    let words = put.words();
    if put.documents(201) {
        return PutKind::Creates("it documents 201 Created".into());
    }
    if let Some(word) = ["create", "upsert"].iter().find(|w| words.contains(**w)) {
        return PutKind::Creates(format!("its summary or operationId says \"{word}\""));
    }
    if put.documents(404) {
        return PutKind::UpdateOnly("it documents 404 and no 201, so it only updates".into());
    }
    if let Some(word) = ["update", "modify", "edit"]
        .iter()
        .find(|w| words.contains(**w))
    {
        return PutKind::UpdateOnly(format!(
            "its summary or operationId says \"{word}\" and it documents no 201"
        ));
    }
    PutKind::Ambiguous
}

/// Why the item's path parameter cannot hold an id idemfuzz picks (`idf-…`), if so: an
/// integer or number, a UUID, an enum, a digits-only pattern.
pub(crate) fn param_blocks_own_ids(
    mapper: &mut Mapper<'_>,
    item: &PathItem,
    param: &str,
) -> Option<String> {
    let schema = item
        .operations
        .iter()
        .flat_map(|op| &op.params)
        .find(|p| p.location == ParamIn::Path && p.name == param)
        .and_then(|p| p.schema.as_ref())?;
    let flat = mapper.inspect(schema)?;
    let what = if flat
        .types
        .iter()
        .any(|t| matches!(t, JsonType::Integer | JsonType::Number))
    {
        "an integer"
    } else if flat.format.as_deref() == Some("uuid") {
        "a UUID"
    } else if !flat.enum_values.is_empty() {
        "one of a fixed list of values"
    } else if flat
        .pattern
        .as_deref()
        .is_some_and(|p| ["^[0-9]+$", "^\\d+$", "^[0-9]*$", "^\\d*$"].contains(&p))
    {
        "digits only"
    } else {
        return None;
    };
    Some(format!(
        "the path parameter {{{param}}} is {what}, so the server picks ids and idemfuzz cannot PUT ids of its own"
    ))
}

/// Why a POST is a bulk or action endpoint rather than the creation of one item, if it is.
pub(crate) fn bulk_or_action(mapper: &mut Mapper<'_>, post: &Operation) -> Option<String> {
    let words = post.words();
    if let Some(word) = BULK_WORDS.iter().find(|w| words.contains(**w)) {
        return Some(format!(
            "its summary or operationId says \"{word}\" (a bulk endpoint)"
        ));
    }
    let schema = post.request_schema()?;
    let root = mapper.inspect(schema)?;
    if root.types.contains(&JsonType::Array) {
        return Some("its request body is an array (several items at once)".into());
    }
    let members = mapper.members(schema);
    if let Some((name, _)) = members.iter().find(|(name, _)| {
        let lower = name.to_ascii_lowercase();
        ACTION_MEMBERS.contains(&lower.as_str()) || lower.ends_with("_ids") || name.ends_with("Ids")
    }) {
        return Some(format!(
            "its request body has an `{name}` member (an action on other items)"
        ));
    }
    members
        .iter()
        .find(|(_, member)| is_wildcard_array(member) || has_wildcard_text(member))
        .map(|(name, _)| format!("its request body's `{name}` takes a wildcard (`*`: every item)"))
}

fn is_wildcard_array(member: &SchemaObject) -> bool {
    let star = serde_json::Value::from("*");
    member.types.contains(&JsonType::Array)
        && (member
            .examples
            .iter()
            .chain(&member.default)
            .any(|v| v == &star || v.as_array().is_some_and(|items| items.contains(&star)))
            || member.enum_values.contains(&star))
}

/// A description that offers `["*"]`.
fn has_wildcard_text(member: &SchemaObject) -> bool {
    member
        .description
        .as_deref()
        .is_some_and(|d| d.contains("[\"*\"]") || d.contains("['*']"))
}

/// Why a POST's request body is not the item's, if it is not: most of its members are not
/// members of the item (its representation or its PUT body).
pub(crate) fn foreign_request(
    mapper: &mut Mapper<'_>,
    post: &Operation,
    item_schemas: &[&Schema],
) -> Option<String> {
    let request = post.request_schema()?;
    if item_schemas.contains(&request) {
        return None;
    }
    let sent: Vec<String> = mapper
        .members(request)
        .into_iter()
        .filter(|(_, m)| !m.read_only)
        .map(|(name, _)| name)
        .collect();
    let known: Vec<String> = item_schemas
        .iter()
        .flat_map(|schema| mapper.members(schema))
        .map(|(name, _)| name)
        .collect();
    if sent.is_empty() || known.is_empty() {
        return None;
    }
    let foreign: Vec<&String> = sent.iter().filter(|name| !known.contains(name)).collect();
    (foreign.len() * 2 > sent.len()).then(|| {
        let shown: Vec<String> = foreign.iter().take(3).map(|n| format!("`{n}`")).collect();
        format!(
            "its request body is not the item's: {} of its {} members ({}…) are not members of the item",
            foreign.len(),
            sent.len(),
            shown.join(", ")
        )
    })
}

/// How a POST proves it created an item, if it does: 201, a `Location` header, or the item
/// (with its id) in the answer. The flag is true when only a 200-like answer documents it.
pub(crate) fn post_creates(post: &Operation, answers_item: bool) -> Option<(String, bool)> {
    if post.documents(201) {
        return Some(("POST documents 201 Created".into(), false));
    }
    let only_200 = !post.responses.iter().any(|r| r.status == Status::Code(201));
    if post.successes().any(|r| r.has_header("Location")) {
        return Some(("POST answers with a Location header".into(), only_200));
    }
    answers_item.then(|| ("POST answers the created item".into(), only_200))
}

/// The create method and its comment, or why the resource cannot create items.
pub(crate) struct Creation {
    pub(crate) mode: CreateMode,
    pub(crate) note: String,
}

/// Picks the create method from the evidence: ids the server must pick → POST; a PUT that
/// creates → PUT; a POST that creates → POST; an ambiguous PUT → PUT (a guess); else none.
pub(crate) fn creation(
    item: &PathItem,
    collection: &str,
    blocked: Option<&str>,
    post: Option<&(String, bool)>,
) -> Result<Creation, String> {
    let put = item.operation(Method::Put).map(put_kind);
    let post_note = |(why, only_200): &(String, bool)| {
        let mut note = format!("{why}: checks create with POST {collection}");
        if *only_200 {
            note.push_str(
                " (it documents no 201: idemfuzz adopts only ids a 201 answers, so if POST answers 200 the cases stop at setup; see docs/openapi.md)",
            );
        }
        note
    };
    if let Some(blocked) = blocked {
        return match post {
            Some(post) => Ok(Creation {
                mode: CreateMode::Post,
                note: format!("{blocked}; {}", post_note(post)),
            }),
            None => Err(format!(
                "no way to create an item: {blocked}, and no POST {collection} creates one"
            )),
        };
    }
    match (put, post) {
        (Some(PutKind::Creates(why)), _) => Ok(Creation {
            mode: CreateMode::Put,
            note: format!(
                "PUT {} creates ({why}): checks PUT run-owned ids",
                item.path
            ),
        }),
        (_, Some(post)) => Ok(Creation {
            mode: CreateMode::Post,
            note: post_note(post),
        }),
        (Some(PutKind::Ambiguous), None) => Ok(Creation {
            mode: CreateMode::Put,
            note: format!(
                "guess: PUT {} does not say whether it creates (no 201, no 404): checks PUT run-owned ids",
                item.path
            ),
        }),
        (Some(PutKind::UpdateOnly(why)), None) => Err(format!(
            "no way to create an item: PUT {} is update-only ({why}) and no POST {collection} creates one",
            item.path
        )),
        (None, None) => Err(format!(
            "no way to create an item: no PUT on it and no POST {collection} creates one"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::model::Response;

    fn op(method: Method, statuses: &[u16], summary: &str) -> Operation {
        Operation {
            method,
            operation_id: String::new(),
            summary: summary.into(),
            params: Vec::new(),
            request: None,
            responses: statuses
                .iter()
                .map(|s| Response {
                    status: Status::Code(*s),
                    headers: Vec::new(),
                    body: None,
                })
                .collect(),
        }
    }

    #[test]
    fn puts_create_update_or_do_not_say() {
        assert!(matches!(
            put_kind(&op(Method::Put, &[200, 201], "")),
            PutKind::Creates(_)
        ));
        assert!(matches!(
            put_kind(&op(Method::Put, &[200], "Create or replace")),
            PutKind::Creates(_)
        ));
        assert!(matches!(
            put_kind(&op(Method::Put, &[200, 404], "")),
            PutKind::UpdateOnly(_)
        ));
        assert!(matches!(
            put_kind(&op(Method::Put, &[200], "Update an Identity")),
            PutKind::UpdateOnly(_)
        ));
        assert_eq!(put_kind(&op(Method::Put, &[200], "")), PutKind::Ambiguous);
    }

    #[test]
    fn the_create_method_follows_the_evidence() {
        let item = |put: Option<Operation>| PathItem {
            path: "/a/{id}".into(),
            operations: put.into_iter().collect(),
        };
        let post = ("POST documents 201 Created".to_string(), false);
        let update_only = item(Some(op(Method::Put, &[200, 404], "")));
        let chosen = creation(&update_only, "/a", None, Some(&post)).map(|c| c.mode);
        assert_eq!(chosen.ok(), Some(CreateMode::Post));
        assert!(creation(&update_only, "/a", None, None).is_err());
        let creates = item(Some(op(Method::Put, &[201], "")));
        let chosen = creation(&creates, "/a", None, Some(&post)).map(|c| c.mode);
        assert_eq!(chosen.ok(), Some(CreateMode::Put));
        let blocked = creation(&creates, "/a", Some("integer ids"), Some(&post));
        assert_eq!(blocked.map(|c| c.mode).ok(), Some(CreateMode::Post));
        assert!(creation(&creates, "/a", Some("integer ids"), None).is_err());
        let only_200 = ("POST answers the created item".to_string(), true);
        let note = creation(&item(None), "/a", None, Some(&only_200)).map(|c| c.note);
        assert!(note.is_ok_and(|n| n.contains("documents no 201")));
    }
}
