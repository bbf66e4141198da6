//! `representation`, `content_type` and `template`, and the body template each representation
//! needs: a table (json), a string (text), bytes, a table of scalars (form), a table of the
//! template's slots (template).

use serde_json::Value;
use toml::Spanned;

use super::common::header_value;
use super::{Checked, Ctx};
use crate::scenario::model::ResourceDoc;
use crate::scenario::placeholder;
use crate::scenario::representation::{Representation, RepresentationKind};
use crate::scenario::template::{Generator, TemplateNode};

/// The resource's representation, with its body template checked against it.
pub(super) fn representation(ctx: Ctx<'_>, doc: &ResourceDoc) -> Checked<Representation> {
    let kind = kind(ctx, doc)?;
    let content_type = doc
        .content_type
        .as_ref()
        .map(|t| content_type(ctx, t))
        .transpose()?;
    let representation = Representation { kind, content_type };
    if representation.default_content_type().is_none() && representation.content_type.is_none() {
        return Err(ctx.err_note(
            doc.representation.as_ref().map_or(0..0, Spanned::span),
            "a `template` representation needs `content_type`",
            "say what the template's text is, e.g. `content_type = \"application/xml\"`",
        ));
    }
    body_fits(ctx, doc, &representation)?;
    posts_json(ctx, doc, &representation)?;
    Ok(representation)
}

/// POST to the collection needs JSON bodies: a POST-created item is adopted only when, read
/// back, it holds the JSON members the POST sent.
fn posts_json(ctx: Ctx<'_>, doc: &ResourceDoc, representation: &Representation) -> Checked<()> {
    match (&doc.post_id, representation.is_json()) {
        (Some(post_id), false) => Err(ctx.err_note(
            post_id.span(),
            format!(
                "`post_id` (POST to the collection) needs `representation = \"json\"`, not `{}`",
                representation.name()
            ),
            "idemfuzz adopts a POST-created item only when, read back, it holds the JSON members the POST sent; create with PUT (`create = \"put\"`) instead",
        )),
        _ => Ok(()),
    }
}

fn kind(ctx: Ctx<'_>, doc: &ResourceDoc) -> Checked<RepresentationKind> {
    let name = doc.representation.as_ref();
    let kind = match name.map(|n| n.get_ref().as_str()) {
        None | Some("json") => RepresentationKind::Json,
        Some("text") => RepresentationKind::Text,
        Some("bytes") => RepresentationKind::Bytes,
        Some("form") => RepresentationKind::Form,
        Some("template") => match &doc.template {
            Some(text) => RepresentationKind::Template(template_text(ctx, text)?),
            None => {
                return Err(ctx.err_note(
                    name.map_or(0..0, Spanned::span),
                    "`representation = \"template\"` needs `template`, the text with `{slot}` placeholders",
                    "template = \"<note><name>{name}</name></note>\" with body = { name = { gen = \"string\" } }",
                ));
            }
        },
        Some(other) => {
            return Err(ctx.err(
                name.map_or(0..0, Spanned::span),
                format!(
                    "unknown representation `{other}`, expected `json`, `text`, `bytes`, `form` or `template`"
                ),
            ));
        }
    };
    if let (Some(text), false) = (
        &doc.template,
        matches!(kind, RepresentationKind::Template(_)),
    ) {
        return Err(ctx.err(
            text.span(),
            "`template` needs `representation = \"template\"`",
        ));
    }
    Ok(kind)
}

fn template_text(ctx: Ctx<'_>, text: &Spanned<String>) -> Checked<String> {
    if placeholder::find(text.get_ref()).is_empty() {
        return Err(ctx.err(
            text.span(),
            "the template has no `{slot}`: every body would be the same",
        ));
    }
    Ok(text.get_ref().clone())
}

/// A media type: `type/subtype`, optionally with parameters; one line.
fn content_type(ctx: Ctx<'_>, doc: &Spanned<String>) -> Checked<String> {
    let text = doc.get_ref().trim();
    header_value(ctx, text, doc.span())?;
    let essence = text.split(';').next().unwrap_or("").trim();
    let well_formed = essence
        .split_once('/')
        .is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty() && !sub.contains('/'));
    if !well_formed || essence.contains(char::is_whitespace) {
        return Err(ctx.err(
            doc.span(),
            format!("`{text}` is not a media type such as \"text/plain; charset=utf-8\""),
        ));
    }
    Ok(text.to_string())
}

/// The body template produces what the representation sends.
fn body_fits(ctx: Ctx<'_>, doc: &ResourceDoc, representation: &Representation) -> Checked<()> {
    let body = doc.body.get_ref();
    let problem = match &representation.kind {
        RepresentationKind::Json => (!body.is_object())
            .then(|| "the body template must be a table (a JSON object)".to_string()),
        RepresentationKind::Text => (!produces_string(body, false)).then(|| {
            "a `text` body is a string: a literal, or a generator such as { gen = \"string\" }"
                .to_string()
        }),
        RepresentationKind::Bytes => (!produces_string(body, true)).then(|| {
            "a `bytes` body is { gen = \"bytes\" } or a string whose characters are U+0000 to U+00FF (one per byte)".to_string()
        }),
        RepresentationKind::Form => form_problem(body),
        RepresentationKind::Template(text) => slots_problem(body, text),
    };
    match problem {
        Some(problem) => Err(ctx.err(doc.body.span(), problem)),
        None => Ok(()),
    }
}

/// True when every body the template makes is a string (`bytes`: of byte characters).
fn produces_string(node: &TemplateNode, bytes: bool) -> bool {
    let fits = |value: &Value| {
        value
            .as_str()
            .is_some_and(|s| !bytes || s.chars().all(|c| u32::from(c) <= 0xFF))
    };
    match node {
        TemplateNode::Literal(value) | TemplateNode::Generator(Generator::Const(value)) => {
            fits(value)
        }
        TemplateNode::Generator(Generator::OneOf(values)) => values.iter().all(fits),
        TemplateNode::Generator(Generator::Bytes { .. }) => bytes,
        TemplateNode::Generator(Generator::String { chars, .. }) => {
            !bytes || *chars != crate::scenario::template::Charset::Unicode
        }
        TemplateNode::Generator(Generator::Uuid) => true,
        _ => false,
    }
}

/// Why a table cannot be sent as form fields: it is not a table, or a member is an object.
fn form_problem(body: &TemplateNode) -> Option<String> {
    let TemplateNode::Object(members) = body else {
        return match body.as_literal() {
            Some(Value::Object(map)) if map.values().all(|v| !v.is_object()) => None,
            _ => Some("a `form` body is a table of fields".into()),
        };
    };
    members
        .iter()
        .find(|(_, member)| nests_objects(member))
        .map(|(name, _)| {
            format!("the form field `{name}` holds a table; a form field is a value or an array of values")
        })
}

/// True when a template can produce an object (or an array holding one).
fn nests_objects(node: &TemplateNode) -> bool {
    match node {
        TemplateNode::Object(_) => true,
        TemplateNode::Literal(value) | TemplateNode::Generator(Generator::Const(value)) => {
            value.is_object()
                || value
                    .as_array()
                    .is_some_and(|items| items.iter().any(|v| v.is_object() || v.is_array()))
        }
        TemplateNode::Array(items) => items.iter().any(nests_objects),
        TemplateNode::Generator(Generator::Array { items, .. }) => {
            nests_objects(items) || matches!(**items, TemplateNode::Array(_))
        }
        TemplateNode::Generator(Generator::OneOf(values)) => {
            values.iter().any(|v| v.is_object() || v.is_array())
        }
        TemplateNode::Generator(_) => false,
    }
}

/// Why a table does not fill the template: not a table, a slot without a member, or a member
/// no slot uses.
fn slots_problem(body: &TemplateNode, text: &str) -> Option<String> {
    if !body.is_object() {
        return Some("a `template` body is a table of the template's slots".into());
    }
    let members = body.top_level_members();
    let slots: Vec<String> = placeholder::find(text)
        .into_iter()
        .filter(|(_, p)| p.offset == 0)
        .map(|(_, p)| p.name)
        .collect();
    if let Some(slot) = slots.iter().find(|s| !members.contains(&s.as_str())) {
        return Some(format!(
            "the template's slot `{{{slot}}}` is not a member of the body template"
        ));
    }
    members
        .iter()
        .find(|m| !slots.iter().any(|s| s == *m))
        .map(|m| format!("the body member `{m}` is not a slot of the template"))
}
