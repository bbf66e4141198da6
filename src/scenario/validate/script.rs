//! `[[scripts]]`: steps, placeholders, captures, expectations and `same_state` assertions.
//!
//! Safety rule: a step that writes (PUT, POST, PATCH, DELETE) must target the script's own
//! item — the resource's item path with `{id}`, the run-owned id, or a path below it — so a
//! script only changes resources the run created.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use super::common::{
    count, header_name, header_value, json, names, own_id_at, path, pointer, sent_header_name,
    statuses,
};
use super::resource::method;
use super::{Checked, Ctx};
use crate::model::exchange::Method;
use crate::scenario::model::{CaptureDoc, ExpectDoc, SameStateDoc, ScriptDoc, StepDoc, StepRefDoc};
use crate::scenario::placeholder::{self, ID, Placeholder};
use crate::scenario::{Capture, Expect, Resource, Script, Step};
use crate::shorten::shorten;

/// Most times one step may be sent.
const MAX_STEP_REPEAT: u32 = 100;
/// The step reference that means the last step.
const LAST: &str = "last";

pub(super) fn scripts(
    ctx: Ctx<'_>,
    docs: Vec<Spanned<ScriptDoc>>,
    resources: &[Resource],
) -> Checked<Vec<Script>> {
    let mut seen = BTreeSet::new();
    let mut scripts = Vec::new();
    for doc in docs {
        let span = doc.span();
        let doc = doc.into_inner();
        let name = doc.name.get_ref();
        if name.trim().is_empty() {
            return Err(ctx.err(doc.name.span(), "a script needs a non-empty name"));
        }
        if !seen.insert(name.clone()) {
            return Err(ctx.err(doc.name.span(), format!("two scripts are named `{name}`")));
        }
        scripts.push(script(ctx, doc, span, resources)?);
    }
    Ok(scripts)
}

fn script(
    ctx: Ctx<'_>,
    doc: ScriptDoc,
    span: Range<usize>,
    resources: &[Resource],
) -> Checked<Script> {
    let resource = resource_index(ctx, &doc.resource, resources)?;
    if let Some(parent) = &resources[resource].parent {
        return Err(ctx.err(
            doc.resource.span(),
            format!(
                "`{}` is nested under `{}`: scripts on a nested resource are not supported yet; the built-in checks test it",
                doc.resource.get_ref(),
                parent.resource.name
            ),
        ));
    }
    if doc.steps.is_empty() {
        return Err(ctx.err(
            span,
            format!("script `{}` has no steps", doc.name.get_ref()),
        ));
    }
    let mut defined = BTreeSet::from([ID.to_owned()]);
    let mut steps: Vec<Step> = Vec::new();
    for (index, step_doc) in doc.steps.iter().enumerate() {
        let step = step(
            ctx,
            step_doc.get_ref(),
            index,
            &steps,
            &defined,
            &resources[resource],
        )?;
        defined.extend(step.capture.iter().map(|(name, _)| name.clone()));
        steps.push(step);
    }
    let same_state = doc
        .same_state
        .iter()
        .map(|assertion| same_state(ctx, assertion.get_ref(), &steps))
        .collect::<Checked<_>>()?;
    Ok(Script {
        name: doc.name.into_inner(),
        resource,
        steps,
        same_state,
    })
}

fn resource_index(ctx: Ctx<'_>, name: &Spanned<String>, resources: &[Resource]) -> Checked<usize> {
    resources
        .iter()
        .position(|r| r.name == *name.get_ref())
        .ok_or_else(|| {
            let known = if resources.is_empty() {
                "this file defines no resources (a script uses a resource of its own file)"
                    .to_owned()
            } else {
                format!(
                    "this file defines: {}",
                    names(resources.iter().map(|r| r.name.as_str()))
                )
            };
            ctx.err(
                name.span(),
                format!("unknown resource `{}`; {known}", name.get_ref()),
            )
        })
}

fn step(
    ctx: Ctx<'_>,
    doc: &StepDoc,
    index: usize,
    earlier: &[Step],
    defined: &BTreeSet<String>,
    resource: &Resource,
) -> Checked<Step> {
    let method = method(ctx, &doc.method)?;
    let path = step_path(ctx, &doc.path, method, defined, resource)?;
    let body = doc
        .body
        .as_ref()
        .map(|b| step_body(ctx, b, method, defined))
        .transpose()?;
    Ok(Step {
        name: step_name(ctx, doc.name.as_ref(), index, earlier)?,
        method,
        path,
        headers: step_headers(ctx, doc, defined)?,
        body,
        repeat: count(ctx, doc.repeat.as_ref(), "repeat", 1..=MAX_STEP_REPEAT, 1)?,
        expect: expect(ctx, &doc.expect)?,
        capture: captures(ctx, doc)?,
    })
}

fn step_name(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<String>>,
    index: usize,
    earlier: &[Step],
) -> Checked<String> {
    let Some(doc) = doc else {
        return Ok(format!("step {}", index + 1));
    };
    let name = doc.get_ref();
    let problem = if name.trim().is_empty() {
        Some("a step name cannot be empty".to_owned())
    } else if name == LAST || name.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!(
            "`{name}` cannot name a step: `same_state` reads it as a step position"
        ))
    } else if earlier.iter().any(|step| step.name == *name) {
        Some(format!("two steps are named `{name}`"))
    } else {
        None
    };
    match problem {
        Some(message) => Err(ctx.err(doc.span(), message)),
        None => Ok(name.clone()),
    }
}

fn step_path(
    ctx: Ctx<'_>,
    doc: &Spanned<String>,
    method: Method,
    defined: &BTreeSet<String>,
    resource: &Resource,
) -> Checked<String> {
    let text = path(ctx, doc, "path")?;
    let found: Vec<Placeholder> = placeholder::find(&text)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    check_defined(ctx, &found, defined, doc.span())?;
    if !method.is_safe() {
        write_targets_own_item(ctx, doc, &text, method, resource)?;
    }
    Ok(text)
}

/// A write step targets the script's own item: its path is the item path up to `{id}`, then
/// nothing, more segments or a query — never `{id}` in a query or after a fixed id.
fn write_targets_own_item(
    ctx: Ctx<'_>,
    doc: &Spanned<String>,
    text: &str,
    method: Method,
    resource: &Resource,
) -> Checked<()> {
    let own_item = resource
        .item
        .find("{id}")
        .map(|at| &resource.item[..at + "{id}".len()])
        .unwrap_or(&resource.item);
    let rest = text.strip_prefix(own_item);
    if rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?'])) {
        return Ok(());
    }
    let problem = match (own_id_at(text), text.find('?')) {
        (None, _) => format!("a {method} step must target a path containing `{{id}}`"),
        (Some(at), Some(query)) if at > query => format!(
            "a {method} step has `{{id}}` in its query: it would write to `{}`",
            shorten(&text[..query])
        ),
        _ => format!(
            "a {method} step must target the script's own item `{}` or a path below it, not `{}`",
            resource.item,
            shorten(text)
        ),
    };
    Err(ctx.err_note(
        doc.span(),
        problem,
        "idemfuzz only changes resources it created itself: `{id}` is the run-owned id of the script's resource",
    ))
}

fn check_defined(
    ctx: Ctx<'_>,
    used: &[Placeholder],
    defined: &BTreeSet<String>,
    span: Range<usize>,
) -> Checked<()> {
    match used.iter().find(|p| !defined.contains(&p.name)) {
        None => Ok(()),
        Some(p) => Err(ctx.err(
            span,
            format!(
                "`{{{}}}` is not defined here; defined so far: {}",
                p.name,
                names(defined.iter().map(String::as_str))
            ),
        )),
    }
}

fn step_body(
    ctx: Ctx<'_>,
    doc: &Spanned<toml::Value>,
    method: Method,
    defined: &BTreeSet<String>,
) -> Checked<serde_json::Value> {
    if method.is_safe() {
        return Err(ctx.err(doc.span(), format!("a {method} step cannot have a body")));
    }
    let body = json(ctx, doc)?;
    check_defined(ctx, &placeholder::find_in_body(&body), defined, doc.span())?;
    Ok(body)
}

fn step_headers(
    ctx: Ctx<'_>,
    doc: &StepDoc,
    defined: &BTreeSet<String>,
) -> Checked<Vec<(String, String)>> {
    doc.headers
        .iter()
        .map(|(name, value)| {
            let name = sent_header_name(ctx, name)?;
            if value.get_ref().contains("${") {
                return Err(ctx.err(
                    value.span(),
                    "`${VAR}` is only expanded in [target.headers]; set the header there",
                ));
            }
            header_value(ctx, value.get_ref(), value.span())?;
            let used: Vec<Placeholder> = placeholder::find(value.get_ref())
                .into_iter()
                .map(|(_, p)| p)
                .collect();
            check_defined(ctx, &used, defined, value.span())?;
            Ok((name, value.get_ref().clone()))
        })
        .collect()
}

fn expect(ctx: Ctx<'_>, doc: &ExpectDoc) -> Checked<Expect> {
    let status = match &doc.status {
        Some(list) => statuses(ctx, list, "status", true)?,
        None => Vec::new(),
    };
    let headers = doc
        .headers
        .iter()
        .map(|name| header_name(ctx, name).map(|n| n.to_ascii_lowercase()))
        .collect::<Checked<_>>()?;
    let json = doc
        .json
        .iter()
        .map(|(at, value)| Ok((pointer(ctx, at)?, json(ctx, value)?)))
        .collect::<Checked<_>>()?;
    Ok(Expect {
        status,
        headers,
        json,
    })
}

fn captures(ctx: Ctx<'_>, doc: &StepDoc) -> Checked<Vec<(String, Capture)>> {
    doc.capture
        .iter()
        .map(|(name, capture)| {
            let text = name.get_ref();
            if text == ID {
                return Err(ctx.err(name.span(), "`id` is reserved for the run-owned id"));
            }
            if !placeholder::is_name(text) {
                return Err(ctx.err(
                    name.span(),
                    format!("`{text}` cannot be a capture name: use letters, digits and `_`, not starting with a digit"),
                ));
            }
            Ok((text.clone(), capture_source(ctx, capture)?))
        })
        .collect()
}

fn capture_source(ctx: Ctx<'_>, doc: &Spanned<CaptureDoc>) -> Checked<Capture> {
    match (&doc.get_ref().header, &doc.get_ref().pointer) {
        (Some(name), None) => Ok(Capture::Header(header_name(ctx, name)?)),
        (None, Some(at)) => Ok(Capture::Pointer(pointer(ctx, at)?)),
        _ => Err(ctx.err(
            doc.span(),
            "a capture takes exactly one of `header` or `pointer`",
        )),
    }
}

fn same_state(ctx: Ctx<'_>, doc: &SameStateDoc, steps: &[Step]) -> Checked<(usize, usize)> {
    let [a, b] = &doc.after;
    Ok((step_ref(ctx, a, steps)?, step_ref(ctx, b, steps)?))
}

fn step_ref(ctx: Ctx<'_>, doc: &Spanned<StepRefDoc>, steps: &[Step]) -> Checked<usize> {
    let found = match doc.get_ref() {
        StepRefDoc::Name(name) if name == LAST => steps.len().checked_sub(1),
        StepRefDoc::Name(name) => steps.iter().position(|s| s.name == *name),
        StepRefDoc::Index(n) => usize::try_from(*n)
            .ok()
            .filter(|n| (1..=steps.len()).contains(n))
            .map(|n| n - 1),
    };
    found.ok_or_else(|| {
        let what = match doc.get_ref() {
            StepRefDoc::Name(name) => format!("no step is named `{name}`"),
            StepRefDoc::Index(n) => format!("there is no step {n}"),
        };
        ctx.err(
            doc.span(),
            format!(
                "{what}; use a step name ({}), a number from 1 to {}, or \"last\"",
                names(steps.iter().map(|s| s.name.as_str())),
                steps.len()
            ),
        )
    })
}
