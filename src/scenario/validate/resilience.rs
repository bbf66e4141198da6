//! The declarations the concurrency, lost-response and conditional-request checks rely on:
//! `concurrent_clients`, `etags`, `preconditions_required`, `[post_put]`, and the replay
//! expectations of `[idempotency_key]` (in-flight statuses, error replay, key expiry).

use std::collections::BTreeSet;

use toml::Spanned;

use super::common::{count, statuses};
use super::{Checked, Ctx};
use crate::model::exchange::Method;
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::env::EnvSnapshot;
    use crate::scenario::{EmptyBody, Resource, ScenarioError, load_str};

    const RESOURCE: &str = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\npost_id = \"location\"\nbody = { name = \"x\" }\n";

    fn load(extra: &str) -> Result<Resource, ScenarioError> {
        let text = format!("{RESOURCE}{extra}");
        let env = EnvSnapshot::from_pairs::<&str, &str>([]);
        load_str(Path::new("t.toml"), &text, &env).map(|s| s.resources[0].clone())
    }

    fn error(extra: &str) -> String {
        match load(extra) {
            Ok(_) => panic!("`{extra}` must be refused"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn defaults_fit_a_plain_rest_api() {
        let resource = load("").expect("valid");
        assert_eq!(resource.concurrent_clients, 8);
        assert!(!resource.conditional.etags && !resource.conditional.preconditions_required);
        assert_eq!(resource.post_put, None);
    }

    #[test]
    fn reads_the_declarations() {
        let resource = load(
            "concurrent_clients = 3\netags = true\npreconditions_required = true\n\
             methods = [\"GET\", \"PUT\"]\n[resources.things.post_put]\nempty_body = \"{}\"\n\
             [resources.things.idempotency_key]\nin_flight_statuses = [409, 425]\n\
             replays_errors = false\nexpires_after = \"24h\"\n",
        )
        .expect("valid");
        assert_eq!(resource.concurrent_clients, 3);
        assert!(resource.conditional.preconditions_required);
        assert_eq!(
            resource.post_put.map(|p| p.empty_body),
            Some(EmptyBody::EmptyObject)
        );
        let key = resource.idempotency_key.expect("declared");
        assert_eq!(key.in_flight_statuses, [409, 425]);
        assert!(!key.replays_errors);
        assert_eq!(key.expires_after, Some(Duration::from_secs(24 * 3600)));
    }

    #[test]
    fn refuses_inconsistent_declarations_at_their_place() {
        assert!(
            error("concurrent_clients = 1\n")
                .contains("t.toml:6:22: error: `concurrent_clients` must be from 2 to 64")
        );
        assert!(
            error("preconditions_required = true\n").contains(
                "t.toml:6:26: error: `preconditions_required = true` needs `etags = true`"
            )
        );
        assert!(
            error("[resources.things.post_put]\nempty_body = \"null\"\n")
                .contains("unknown `empty_body` `null`")
        );
        assert!(
            error("create = \"post\"\nmethods = [\"GET\"]\n[resources.things.post_put]\n")
                .contains("`post_put` needs PUT in `methods`")
        );
        assert!(
            error("[resources.things.idempotency_key]\nexpires_after = \"soon\"\n")
                .contains("`expires_after`")
        );
        assert!(
            error("[resources.things.idempotency_key]\nexpires_after = \"0s\"\n")
                .contains("longer than zero")
        );
    }

    #[test]
    fn post_put_needs_a_post() {
        let text = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\n\
                    body = { name = \"x\" }\n[resources.things.post_put]\n";
        let env = EnvSnapshot::from_pairs::<&str, &str>([]);
        let err = load_str(Path::new("t.toml"), text, &env).expect_err("refused");
        assert!(
            err.to_string().contains("`post_put` needs `post_id`"),
            "{err}"
        );
    }
}
