//! Resource keys the document implies beyond paths and bodies: `etags` (If-Match /
//! If-None-Match parameters, 412 answers, ETag response headers), `preconditions_required`
//! (428, or a required If-Match), `post_put` (a POST without a request body beside a PUT),
//! `patch` (the PATCH media type), and the server-managed members that go to `ignore`.

use super::model::{JsonType, Operation, PathItem, Schema, SchemaObject};
use super::schema::{BodyPlan, Mapper};
use crate::model::exchange::Method;

/// Names of date-time members a server usually sets itself.
const TIMESTAMP_WORDS: [&str; 6] = [
    "created",
    "updated",
    "modified",
    "deleted",
    "changed",
    "timestamp",
];

/// The item's writes (PUT, PATCH, DELETE) that the document has.
fn writes(item: &PathItem) -> impl Iterator<Item = &Operation> {
    [Method::Put, Method::Patch, Method::Delete]
        .into_iter()
        .filter_map(|m| item.operation(m))
}

/// The evidence for `etags = true`, if any.
pub(crate) fn etags(item: &PathItem) -> Option<String> {
    let mut evidence = Vec::new();
    for op in writes(item) {
        let method = op.method.as_str();
        for header in ["If-Match", "If-None-Match"] {
            if op.header(header).is_some() {
                evidence.push(format!("{method} takes {header}"));
            }
        }
        if op.documents(412) {
            evidence.push(format!("{method} documents 412"));
        }
    }
    if let Some(get) = item.operation(Method::Get)
        && get.successes().any(|r| r.has_header("ETag"))
    {
        evidence.push("GET answers an ETag header".into());
    }
    evidence.dedup();
    (!evidence.is_empty()).then(|| format!("{} {}", item.path, evidence.join(", ")))
}

/// The evidence for `preconditions_required = true`, if any: PUT documents 428, or requires
/// an If-Match / If-None-Match header.
pub(crate) fn preconditions_required(item: &PathItem) -> Option<String> {
    let put = item.operation(Method::Put)?;
    if put.documents(428) {
        return Some(format!(
            "PUT {} documents 428 Precondition Required",
            item.path
        ));
    }
    ["If-Match", "If-None-Match"]
        .into_iter()
        .find(|h| put.header(h).is_some_and(|p| p.required))
        .map(|h| format!("PUT {} requires an {h} header", item.path))
}

/// The evidence for POST-PUT creation, if any: the collection's POST takes no request body
/// (so it mints an empty item) and the item documents PUT (which fills it).
pub(crate) fn post_put(item: &PathItem, post: &Operation, collection: &str) -> Option<String> {
    (post.request.is_none() && item.has(Method::Put)).then(|| {
        format!(
            "POST {collection} takes no request body and PUT {} fills the item it creates",
            item.path
        )
    })
}

/// `patch` from the media type of the item's PATCH: `merge` for
/// `application/merge-patch+json`, `json-patch` for `application/json-patch+json`.
pub(crate) fn patch(item: &PathItem) -> Option<(&'static str, String)> {
    let patch = item.operation(Method::Patch)?;
    let types = &patch.request.as_ref()?.media_types;
    let has = |wanted: &str| {
        types.iter().any(|t| {
            t.split(';')
                .next()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(wanted))
        })
    };
    if has("application/merge-patch+json") {
        Some((
            "merge",
            format!(
                "PATCH {} takes application/merge-patch+json (RFC 7396)",
                item.path
            ),
        ))
    } else if has("application/json-patch+json") {
        Some((
            "json-patch",
            format!(
                "PATCH {} takes application/json-patch+json (RFC 6902)",
                item.path
            ),
        ))
    } else {
        None
    }
}

/// An ignore pattern and why the server manages it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Managed {
    pub(crate) pointer: String,
    pub(crate) why: Why,
}

/// Why a member is server-managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Why {
    ReadOnly,
    /// In the item's GET answer but not in the request body.
    AnswerOnly,
    /// An optional date-time member named like a server timestamp.
    Timestamp,
}

impl Why {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Why::ReadOnly => "readOnly in the spec",
            Why::AnswerOnly => "in GET's answer but not in the request body",
            Why::Timestamp => "optional date-time members named like server timestamps, not sent",
        }
    }
}

/// Optional top-level date-time members of the body named like server timestamps
/// (`updatedAt`, `created_at`…): the client does not send them, the server sets them.
pub(crate) fn timestamps(
    mapper: &mut Mapper<'_>,
    request: &Schema,
    body: &BodyPlan,
) -> Vec<String> {
    mapper
        .members(request)
        .into_iter()
        .filter(|(name, member)| {
            member.format.as_deref() == Some("date-time")
                && !body.required.contains(name)
                && is_timestamp_name(name)
                && body
                    .members
                    .iter()
                    .any(|m| &m.name == name && m.tmpl.is_some())
        })
        .map(|(name, _)| name)
        .collect()
}

fn is_timestamp_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TIMESTAMP_WORDS.iter().any(|w| lower.contains(w))
        || name.ends_with("At")
        || lower.ends_with("_at")
        || lower.ends_with("_on")
}

/// Pointers of members of the representation that the request body does not have, at the top
/// level and inside objects both have — except the id and its envelope. `None` when the two
/// share no member (they are not the same resource's shapes, and ignoring everything would
/// leave nothing to compare).
pub(crate) fn answer_only(
    mapper: &mut Mapper<'_>,
    representation: &Schema,
    request: &Schema,
    id_pointer: &str,
) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let shared = walk_answer_only(mapper, representation, request, "", id_pointer, &mut out, 0);
    (shared > 0).then_some(out)
}

/// Members compared at most this deep.
const MAX_DEPTH: usize = 4;

fn walk_answer_only(
    mapper: &mut Mapper<'_>,
    answer: &Schema,
    request: &Schema,
    prefix: &str,
    id_pointer: &str,
    out: &mut Vec<String>,
    depth: usize,
) -> usize {
    let sent = mapper.members(request);
    let mut shared = 0;
    for (name, member) in mapper.members(answer) {
        let pointer = format!("{prefix}/{}", name.replace('~', "~0").replace('/', "~1"));
        if pointer == id_pointer || id_pointer.starts_with(&format!("{pointer}/")) {
            continue;
        }
        let Some((_, sent_member)) = sent.iter().find(|(n, _)| *n == name) else {
            if !member.read_only {
                out.push(pointer);
            }
            continue;
        };
        shared += 1;
        if depth < MAX_DEPTH && is_object(&member) && is_object(sent_member) {
            let (a, r) = (inline(member), inline(sent_member.clone()));
            walk_answer_only(mapper, &a, &r, &pointer, id_pointer, out, depth + 1);
        }
    }
    shared
}

fn is_object(schema: &SchemaObject) -> bool {
    !schema.properties.is_empty()
        && (schema.types.is_empty() || schema.types.contains(&JsonType::Object))
}

fn inline(schema: SchemaObject) -> Schema {
    Schema::Inline(Box::new(schema))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::load;

    const DOC: &str = r#"openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /notes:
    get: {responses: {'200': {description: ok}}}
    post: {responses: {'201': {description: ok, headers: {Location: {schema: {type: string}}}}}}
  /notes/{id}:
    get:
      responses: {'200': {description: ok, headers: {ETag: {schema: {type: string}}}, content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}}}
    put:
      parameters: [{name: If-Match, in: header, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/NoteInput'}}}}
      responses: {'200': {description: ok}, '428': {description: precondition required}}
    patch:
      requestBody: {content: {application/merge-patch+json: {schema: {$ref: '#/components/schemas/NoteInput'}}}}
      responses: {'200': {description: ok}}
    delete: {responses: {'204': {description: ok}}}
components:
  schemas:
    NoteInput:
      type: object
      properties:
        title: {type: string}
        meta: {type: object, properties: {lang: {type: string}}}
        editedAt: {type: string, format: date-time}
    Note:
      type: object
      properties:
        id: {type: string}
        title: {type: string}
        meta: {type: object, properties: {lang: {type: string}, words: {type: integer}}}
        revision: {type: integer, readOnly: true}
        createdAt: {type: string, format: date-time}
"#;

    #[test]
    fn conditional_requests_post_put_and_patch_come_from_the_document() {
        let api = load::parse(DOC, "t.yaml", None).expect("parses");
        let (Some(notes), Some(item)) = (api.path("/notes"), api.path("/notes/{id}")) else {
            panic!("paths");
        };
        let evidence = etags(item).unwrap_or_default();
        assert!(
            evidence.contains("PUT takes If-Match") && evidence.contains("GET answers an ETag"),
            "{evidence}"
        );
        assert!(preconditions_required(item).is_some_and(|e| e.contains("428")));
        let post = notes.operation(Method::Post).expect("POST");
        assert!(post_put(item, post, "/notes").is_some());
        assert_eq!(patch(item).map(|(p, _)| p), Some("merge"));
        let bare = PathItem {
            path: "/x/{id}".into(),
            operations: Vec::new(),
        };
        assert!(etags(&bare).is_none() && preconditions_required(&bare).is_none());
    }

    #[test]
    fn members_only_the_answer_has_are_server_managed() {
        let api = load::parse(DOC, "t.yaml", None).expect("parses");
        let mut mapper = Mapper::new(&api.schemas);
        let managed = answer_only(
            &mut mapper,
            &Schema::Ref("Note".into()),
            &Schema::Ref("NoteInput".into()),
            "/id",
        );
        // readOnly members are ignored as such; the id never.
        assert_eq!(
            managed,
            Some(vec!["/meta/words".to_string(), "/createdAt".to_string()])
        );
        let unrelated = answer_only(
            &mut mapper,
            &Schema::Ref("Note".into()),
            &Schema::Any,
            "/id",
        );
        assert_eq!(unrelated, None, "nothing shared: nothing is ignored");
        let body = mapper
            .body(&Schema::Ref("NoteInput".into()), None)
            .expect("body");
        assert_eq!(
            timestamps(&mut mapper, &Schema::Ref("NoteInput".into()), &body),
            ["editedAt"]
        );
    }
}
