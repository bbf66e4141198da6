//! Nested resources: a `{NAME}` segment in a resource's collection names its parent, a declared
//! resource that is neither the resource itself nor nested in turn (one level, so no cycle),
//! and that every case can delete after its children.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use super::common::names;
use super::{Checked, Ctx};
use crate::model::exchange::Method;
use crate::scenario::nesting::parent_segments;
use crate::scenario::placeholder::{self, Placeholder};
use crate::scenario::{Parent, Resource};
use crate::shorten::shorten;

/// A resource's reference to its parent, to link once every resource is built.
pub(super) struct ParentRef {
    /// The child's index among the resources.
    child: usize,
    /// The parent's name.
    name: String,
    /// Where the child's collection names it.
    span: Range<usize>,
}

/// The parent the collection's `{NAME}` segment names, if any: one, declared, and not the
/// resource itself.
pub(super) fn parent_name(
    ctx: Ctx<'_>,
    collection: &Spanned<String>,
    own: &str,
    declared: &BTreeSet<String>,
) -> Checked<Option<String>> {
    let text = collection.get_ref();
    let found = parent_segments(text);
    let name = match found.as_slice() {
        [] => return Ok(None),
        [name] => *name,
        _ => {
            return Err(ctx.err(
                collection.span(),
                format!(
                    "the collection `{}` names {} parents; a nested resource has one parent (one level of nesting)",
                    shorten(text),
                    found.len()
                ),
            ));
        }
    };
    if name == own {
        return Err(ctx.err(
            collection.span(),
            format!(
                "the collection `{}` names `{own}` itself as its parent: a cyclic nesting",
                shorten(text)
            ),
        ));
    }
    if !declared.contains(name) {
        return Err(ctx.err_note(
            collection.span(),
            format!("`{{{name}}}` in the collection `{}` is not a declared resource", shorten(text)),
            format!(
                "a `{{NAME}}` segment names the parent resource each case creates first; this file declares: {}",
                names(declared.iter().map(String::as_str))
            ),
        ));
    }
    Ok(Some(name.to_owned()))
}

impl ParentRef {
    pub(super) fn new(child: usize, name: String, span: Range<usize>) -> ParentRef {
        ParentRef { child, name, span }
    }
}

/// Gives every child its parent: a top-level resource (a chain of parents leading back to the
/// child is a cycle; any other chain is deeper than the one level supported) that declares
/// DELETE.
pub(super) fn link(ctx: Ctx<'_>, resources: &mut [Resource], refs: &[ParentRef]) -> Checked<()> {
    for reference in refs {
        let child = &resources[reference.child].name;
        let Some(parent) = resources.iter().position(|r| r.name == reference.name) else {
            continue; // `parent_name` checked every name is declared.
        };
        if refs.iter().any(|r| r.child == parent) {
            let why = nested_parent(child, refs, resources, parent);
            return Err(ctx.err(reference.span.clone(), why));
        }
        if !resources[parent].supports(Method::Delete) {
            return Err(ctx.err_note(
                reference.span.clone(),
                format!(
                    "`{}` cannot be the parent of `{child}`: its `methods` have no DELETE",
                    reference.name
                ),
                "each case creates its own parent and deletes it after its children; idemfuzz never leaves a parent behind by design",
            ));
        }
        let parent = Parent::new(resources[parent].clone());
        resources[reference.child].parent = Some(Box::new(parent));
    }
    Ok(())
}

/// Why a parent that is nested in turn is refused: the chain of parents, a cycle when it leads
/// back to the child.
fn nested_parent(child: &str, refs: &[ParentRef], resources: &[Resource], first: usize) -> String {
    let mut chain = vec![child.to_owned()];
    let mut at = Some(first);
    while let Some(now) = at {
        let name = resources[now].name.clone();
        let cycle = chain.contains(&name);
        chain.push(name);
        if cycle {
            return format!("cyclic nesting: {}", chain.join(" → "));
        }
        at = refs
            .iter()
            .find(|r| r.child == now)
            .and_then(|r| resources.iter().position(|res| res.name == r.name));
    }
    format!(
        "`{}` is nested itself ({}); a parent must be a top-level resource (one level of nesting)",
        chain[1],
        chain.join(" → ")
    )
}

/// The placeholders of a path but its parent's `{NAME}`.
pub(super) fn other_placeholders(
    text: &str,
    parent: Option<&str>,
) -> Vec<(Range<usize>, Placeholder)> {
    placeholder::find(text)
        .into_iter()
        .filter(|(_, found)| Some(found.name.as_str()) != parent || found.offset != 0)
        .collect()
}
