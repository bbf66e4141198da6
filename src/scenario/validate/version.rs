//! `[resources.NAME.version]`: a version token in the body (CouchDB `_rev`). Its member is a
//! concrete JSON pointer into a JSON representation, and is left out of every state comparison
//! (it legitimately changes on every write).

use toml::Spanned;

use super::common::pointer;
use super::{Checked, Ctx};
use crate::scenario::model::{ResourceDoc, VersionDoc};
use crate::scenario::pointer::IgnorePattern;
use crate::scenario::{Representation, VersionToken};

/// The version token, and the ignore pattern of its member; `None` when not declared.
pub(super) fn version(
    ctx: Ctx<'_>,
    doc: &ResourceDoc,
    representation: &Representation,
) -> Checked<Option<(VersionToken, IgnorePattern)>> {
    let Some(table) = &doc.version else {
        return Ok(None);
    };
    if !representation.is_json() {
        return Err(ctx.err_note(
            table.span(),
            "`version` needs JSON bodies (`representation = \"json\"`)",
            "the token is a member of the resource's JSON representation, copied into every PUT body",
        ));
    }
    let VersionDoc { member, answer } = table.get_ref();
    let ignored = concrete(ctx, member, "member")?;
    let answer = answer
        .as_ref()
        .map(|a| concrete(ctx, a, "answer").and_then(|_| pointer(ctx, a)))
        .transpose()?;
    let token = VersionToken {
        member: pointer(ctx, member)?,
        answer,
    };
    Ok(Some((token, ignored)))
}

/// A pointer to one member (not the root, no `*`), and its ignore pattern.
fn concrete(ctx: Ctx<'_>, text: &Spanned<String>, key: &str) -> Checked<IgnorePattern> {
    let parsed = pointer(ctx, text)?;
    if parsed.is_root() || parsed.tokens().iter().any(|t| t == "*") {
        return Err(ctx.err(
            text.span(),
            format!(
                "`version.{key}` must point to one member, e.g. \"/_rev\", not `{}`",
                text.get_ref()
            ),
        ));
    }
    IgnorePattern::parse(text.get_ref()).map_err(|error| ctx.err(text.span(), error.to_string()))
}
