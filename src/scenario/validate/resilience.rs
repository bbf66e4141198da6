//! The declarations the concurrency, lost-response and conditional-request checks rely on:
//! `concurrent_clients`, `etags`, `preconditions_required`, `[post_put]`, and the replay
//! expectations of `[idempotency_key]` (in-flight statuses, error replay, key expiry).

use std::collections::BTreeSet;

use toml::Spanned;

use super::common::{count, statuses};
use super::{Checked, Ctx};
use crate::http::model::Method;
use crate::scenario::model::{IdempotencyKeyDoc, PostPutDoc, ResourceDoc};
use crate::scenario::{
    Conditional, DEFAULT_CONCURRENT_CLIENTS, EmptyBody, IdempotencyKey, PostPut,
};

/// Most clients a concurrency check may run at once, to keep runs gentle on the API.
const MAX_CONCURRENT_CLIENTS: u32 = 64;

/// `concurrent_clients`: 2 to 64, default 8.
pub(super) fn concurrent_clients(ctx: Ctx<'_>, doc: &ResourceDoc) -> Checked<u32> {
    count(
        ctx,
        doc.concurrent_clients.as_ref(),
        "concurrent_clients",
        2..=MAX_CONCURRENT_CLIENTS,
        DEFAULT_CONCURRENT_CLIENTS,
    )
}

/// `etags` and `preconditions_required`; the second needs the first.
pub(super) fn conditional(ctx: Ctx<'_>, doc: &ResourceDoc) -> Checked<Conditional> {
    let etags = doc.etags.as_ref().is_some_and(|e| *e.get_ref());
    let required = doc.preconditions_required.as_ref();
    if let Some(required) = required.filter(|r| *r.get_ref())
        && !etags
    {
        return Err(ctx.err_note(
            required.span(),
            "`preconditions_required = true` needs `etags = true`",
            "a client satisfies a required precondition with the entity tag it read",
        ));
    }
    Ok(Conditional {
        etags,
        preconditions_required: required.is_some_and(|r| *r.get_ref()),
    })
}

/// `[post_put]`: needs POST to the collection (`post_id`) and PUT on the item.
pub(super) fn post_put(
    ctx: Ctx<'_>,
    doc: Option<&Spanned<PostPutDoc>>,
    accepts_post: bool,
    methods: &BTreeSet<Method>,
) -> Checked<Option<PostPut>> {
    let Some(doc) = doc else {
        return Ok(None);
    };
    if !accepts_post {
        return Err(ctx.err(
            doc.span(),
            "`post_put` needs `post_id`: the empty POST goes to the collection",
        ));
    }
    if !methods.contains(&Method::Put) {
        return Err(ctx.err(
            doc.span(),
            "`post_put` needs PUT in `methods`: the PUT fills the item the empty POST created",
        ));
    }
    let empty_body = match doc.get_ref().empty_body.as_ref() {
        None => EmptyBody::None,
        Some(text) => match text.get_ref().as_str() {
            "none" => EmptyBody::None,
            "{}" => EmptyBody::EmptyObject,
            other => {
                return Err(ctx.err(
                    text.span(),
                    format!("unknown `empty_body` `{other}`, expected \"none\" or \"{{}}\""),
                ));
            }
        },
    };
    Ok(Some(PostPut { empty_body }))
}

/// The replay expectations of `[idempotency_key]`, added to `key`.
pub(super) fn replay_expectations(
    ctx: Ctx<'_>,
    doc: &IdempotencyKeyDoc,
    mut key: IdempotencyKey,
) -> Checked<IdempotencyKey> {
    if let Some(list) = &doc.in_flight_statuses {
        key.in_flight_statuses = statuses(ctx, list, "in_flight_statuses", true)?;
    }
    if let Some(replays) = doc.replays_errors {
        key.replays_errors = replays;
    }
    if let Some(text) = &doc.expires_after {
        let duration = humantime::parse_duration(text.get_ref()).map_err(|err| {
            ctx.err(
                text.span(),
                format!("`expires_after`: {err}; write a duration such as \"24h\" or \"30s\""),
            )
        })?;
        if duration.is_zero() {
            return Err(ctx.err(text.span(), "`expires_after` must be longer than zero"));
        }
        key.expires_after = Some(duration);
    }
    Ok(key)
}
