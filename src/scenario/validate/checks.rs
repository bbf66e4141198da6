//! `[resources.NAME.checks.*]`: per-check options with their defaults and bounds.

use super::common::{count, header_name, statuses};
use super::{Checked, Ctx};
use crate::scenario::model::{
    ChecksDoc, GetSafetyDoc, HeadParityDoc, PutAfterDeleteDoc, RepeatDeleteDoc, RepeatPutDoc,
    StatusesDoc, ToggleDoc, UseAfterDeleteDoc,
};
use crate::scenario::{
    CheckOptions, GetSafetyOptions, HeadParityOptions, PutAfterDeleteOptions, RepeatDeleteOptions,
    RepeatPutOptions, UseAfterDeleteOptions,
};

/// Most repetitions any check may be asked for, to keep runs gentle on the API.
const MAX_REPEATS: u32 = 100;
/// Most canaries `repeat-delete` may create.
const MAX_CANARIES: u32 = 20;

pub(super) fn check_options(ctx: Ctx<'_>, doc: &ChecksDoc) -> Checked<CheckOptions> {
    let toggle = |t: &Option<ToggleDoc>| t.as_ref().and_then(|t| t.enabled).unwrap_or(true);
    Ok(CheckOptions {
        repeat_put: repeat_put(ctx, doc.repeat_put.as_ref())?,
        partial_put_enabled: toggle(&doc.partial_put),
        repeat_delete: repeat_delete(ctx, doc.repeat_delete.as_ref())?,
        put_after_delete: put_after_delete(ctx, doc.put_after_delete.as_ref())?,
        use_after_delete: use_after_delete(ctx, doc.use_after_delete.as_ref())?,
        get_safety: get_safety(ctx, doc.get_safety.as_ref())?,
        head_parity: head_parity(ctx, doc.head_parity.as_ref())?,
        post_retry_enabled: toggle(&doc.post_retry),
        status_conformance_enabled: toggle(&doc.status_conformance),
        concurrent_put_enabled: toggle(&doc.concurrent_put),
        concurrent_post_key_enabled: toggle(&doc.concurrent_post_key),
        lost_response_retry_enabled: toggle(&doc.lost_response_retry),
        conditional_write_enabled: toggle(&doc.conditional_write),
        lost_update_enabled: toggle(&doc.lost_update),
        etag_stability_enabled: toggle(&doc.etag_stability),
        post_put_creation_enabled: toggle(&doc.post_put_creation),
    })
}

fn status_list(
    ctx: Ctx<'_>,
    doc: Option<&toml::Spanned<StatusesDoc>>,
    what: &str,
    allow_empty: bool,
    default: Vec<u16>,
) -> Checked<Vec<u16>> {
    doc.map_or(Ok(default), |list| statuses(ctx, list, what, allow_empty))
}

fn repeat_put(ctx: Ctx<'_>, doc: Option<&RepeatPutDoc>) -> Checked<RepeatPutOptions> {
    let defaults = RepeatPutOptions::default();
    let Some(doc) = doc else {
        return Ok(defaults);
    };
    Ok(RepeatPutOptions {
        enabled: doc.enabled.unwrap_or(defaults.enabled),
        max_repeats: count(
            ctx,
            doc.max_repeats.as_ref(),
            "max_repeats",
            2..=MAX_REPEATS,
            defaults.max_repeats,
        )?,
    })
}

fn repeat_delete(ctx: Ctx<'_>, doc: Option<&RepeatDeleteDoc>) -> Checked<RepeatDeleteOptions> {
    let defaults = RepeatDeleteOptions::default();
    let Some(doc) = doc else {
        return Ok(defaults);
    };
    Ok(RepeatDeleteOptions {
        enabled: doc.enabled.unwrap_or(defaults.enabled),
        second_delete_statuses: status_list(
            ctx,
            doc.second_delete_statuses.as_ref(),
            "second_delete_statuses",
            false,
            defaults.second_delete_statuses,
        )?,
        gone_statuses: status_list(
            ctx,
            doc.gone_statuses.as_ref(),
            "gone_statuses",
            false,
            defaults.gone_statuses,
        )?,
        canaries: count(
            ctx,
            doc.canaries.as_ref(),
            "canaries",
            0..=MAX_CANARIES,
            defaults.canaries,
        )?,
    })
}

fn put_after_delete(
    ctx: Ctx<'_>,
    doc: Option<&PutAfterDeleteDoc>,
) -> Checked<PutAfterDeleteOptions> {
    let defaults = PutAfterDeleteOptions::default();
    let Some(doc) = doc else {
        return Ok(defaults);
    };
    Ok(PutAfterDeleteOptions {
        enabled: doc.enabled.unwrap_or(defaults.enabled),
        refusal_statuses: status_list(
            ctx,
            doc.refusal_statuses.as_ref(),
            "refusal_statuses",
            true,
            defaults.refusal_statuses,
        )?,
    })
}

fn use_after_delete(
    ctx: Ctx<'_>,
    doc: Option<&UseAfterDeleteDoc>,
) -> Checked<UseAfterDeleteOptions> {
    let defaults = UseAfterDeleteOptions::default();
    let Some(doc) = doc else {
        return Ok(defaults);
    };
    Ok(UseAfterDeleteOptions {
        enabled: doc.enabled.unwrap_or(defaults.enabled),
        gone_statuses: status_list(
            ctx,
            doc.gone_statuses.as_ref(),
            "gone_statuses",
            false,
            defaults.gone_statuses,
        )?,
    })
}

fn get_safety(ctx: Ctx<'_>, doc: Option<&GetSafetyDoc>) -> Checked<GetSafetyOptions> {
    let defaults = GetSafetyOptions::default();
    let Some(doc) = doc else {
        return Ok(defaults);
    };
    Ok(GetSafetyOptions {
        enabled: doc.enabled.unwrap_or(defaults.enabled),
        repeats: count(
            ctx,
            doc.repeats.as_ref(),
            "repeats",
            1..=MAX_REPEATS,
            defaults.repeats,
        )?,
    })
}

fn head_parity(ctx: Ctx<'_>, doc: Option<&HeadParityDoc>) -> Checked<HeadParityOptions> {
    let defaults = HeadParityOptions::default();
    let Some(doc) = doc else {
        return Ok(defaults);
    };
    let headers = match &doc.headers {
        Some(names) => names
            .iter()
            .map(|name| header_name(ctx, name).map(|n| n.to_ascii_lowercase()))
            .collect::<Checked<Vec<_>>>()?,
        None => defaults.headers,
    };
    Ok(HeadParityOptions {
        enabled: doc.enabled.unwrap_or(defaults.enabled),
        headers,
    })
}
