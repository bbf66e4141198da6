//! The request outline of each check on a resource, for `--dry-run`: what one case sends, in
//! order, with the resource's paths. Checks are adaptive (later requests depend on earlier
//! answers, e.g. the id a POST returns), so this is the plan of a case, not a transcript.
//!
//! Keep each outline in step with its check's `execute`; a new check needs an arm here.

use crate::model::check::CheckId;
use crate::model::exchange::Method;
use crate::scenario::{CreateMode, EmptyBody, ListingFormat, Resource, Script};

/// The steps of one case of `check` on `resource`, one line each. `proxied`: a proxy carries
/// the target's requests, so no answer is left unread (see `checks::dispatch::target_skip`).
pub fn outline(check: CheckId, resource: &Resource, proxied: bool) -> Vec<String> {
    let item = resource.item.as_str();
    let collection = resource.collection.as_str();
    let listing = listing_step(resource);
    let options = &resource.checks;
    match check {
        CheckId::RepeatPut => {
            let max = options.repeat_put.max_repeats.max(2);
            let mut steps = vec![create_with(resource, "body A")];
            if resource.create == CreateMode::Post {
                steps.push(format!("PUT {item} body A"));
            }
            steps.extend([
                format!("GET {item}, {listing} (snapshots after 1 PUT)"),
                format!("PUT {item} body A again, until 2..={max} identical PUTs in all"),
                format!("GET {item}, {listing} (snapshots after all PUTs)"),
            ]);
            steps
        }
        CheckId::PartialPut => {
            let mut steps = vec![create_with(resource, "full body A")];
            if resource.create == CreateMode::Post {
                steps.push(format!("PUT {item} full body A"));
            }
            steps.extend([
                format!("GET {item}"),
                format!("PUT {item} body B (required members only), GET {item}"),
                format!("PUT {item} full body A again, GET {item}"),
            ]);
            steps
        }
        CheckId::RepeatDelete => vec![
            format!(
                "{} ×{}: the target and {} canary resource(s)",
                create_with(resource, "generated bodies"),
                options.repeat_delete.canaries + 1,
                options.repeat_delete.canaries
            ),
            format!("{listing}"),
            format!("DELETE {item} ×2"),
            format!("GET {item}, {listing}"),
        ],
        CheckId::PutAfterDelete => vec![
            create_with(resource, "body A"),
            format!("DELETE {item}"),
            format!("PUT {item} body B (required members only), GET {item}"),
            format!("PUT {item} body B on a fresh id, GET it (reference)"),
        ],
        CheckId::UseAfterDelete => {
            let mut steps = vec![
                create_with(resource, "a generated body"),
                format!("DELETE {item}"),
                format!("GET {item}"),
            ];
            if resource.supports(Method::Head) {
                steps.push(format!("HEAD {item}"));
            }
            steps
        }
        CheckId::GetSafety => {
            let safe: Vec<&str> = [Method::Get, Method::Head, Method::Options]
                .into_iter()
                .filter(|m| resource.supports(*m))
                .map(Method::as_str)
                .collect();
            vec![
                create_with(resource, "a generated body"),
                format!("GET {item} ×2, {listing} (snapshots)"),
                format!(
                    "{} {item}, ×{}",
                    safe.join(", "),
                    options.get_safety.repeats
                ),
                format!("GET {item}, {listing} (snapshots after)"),
                format!("GET {item} of a never-created id ×2, {listing}"),
            ]
        }
        CheckId::HeadParity => vec![
            create_with(resource, "a generated body"),
            format!("GET {item}, HEAD {item}"),
        ],
        CheckId::PostRetry => {
            let mut steps = vec![
                format!("POST {collection} body A ×2 without a key"),
                format!("{listing} (count duplicates)"),
            ];
            if let Some(key) = &resource.idempotency_key {
                let header = &key.header;
                steps.extend([
                    format!("POST {collection} body B ×2 with one {header}"),
                    format!("{listing} (count)"),
                    format!("POST {collection} body C with the same {header}"),
                    format!("{listing} (count)"),
                ]);
            }
            steps
        }
        CheckId::StatusConformance => status_conformance(resource),
        CheckId::Script => Vec::new(),
        CheckId::ConcurrentPut => {
            let k = resource.concurrent_clients;
            vec![
                format!("PUT {item} body A on a fresh id, GET it (reference)"),
                format!("PUT {item} body A ×{k} to a new id, released together"),
                format!("GET {item}, {listing} (snapshots)"),
                format!("PUT {item} body A ×{k} to that id again, released together"),
                format!("GET {item}, {listing} (snapshots after)"),
            ]
        }
        CheckId::ConcurrentPostKey => {
            let k = resource.concurrent_clients;
            let header = key_header(resource);
            vec![
                format!("{listing} (count items with body B)"),
                format!("POST {collection} body B ×{k} with one new {header}, released together"),
                format!(
                    "POST {collection} body B with the same {header} once all have answered (again while answered in flight)"
                ),
                format!("{listing} (count items with body B)"),
            ]
        }
        CheckId::LostResponseRetry => lost_response_retry(resource),
        CheckId::ConditionalWrite => conditional_write(resource),
        CheckId::LostUpdate => vec![
            create_conditionally(resource, "a generated body"),
            format!("GET {item} (the ETag both clients read)"),
            format!(
                "PUT {item} body X and PUT {item} body Y, both with If-Match: that ETag, released together"
            ),
            format!("GET {item}"),
        ],
        CheckId::EtagStability => {
            let star = if resource.conditional.preconditions_required {
                " with If-Match: *"
            } else {
                ""
            };
            vec![
                create_conditionally(resource, "body A"),
                format!("GET {item} (ETag)"),
                format!("PUT {item} body A{star}, GET {item}, ×2 (identical PUTs)"),
                format!("PUT {item} body B{star}, GET {item}"),
            ]
        }
        CheckId::Fuzz => vec![
            "a generated sequence (run A): three cases in four focused, 3 to 5 requests on one resource; the fourth free, 1..=MAX_STEPS requests on 2 run-owned slots".into(),
            "its insert-safe and duplicate-idempotent variants (runs C, B), each on fresh ids: C, then A, then B, stopping at the first run after which a rule is broken".into(),
            format!("after each run: GET {item} of every id it touched, {listing}"),
            "on a failure: the same case again (confirmation), then shrinking executions (up to --max-shrink-runs)".into(),
        ],
        CheckId::PostPutCreation => {
            let star = if resource.conditional.preconditions_required {
                " with If-Match: *"
            } else {
                ""
            };
            let empty = match resource.post_put.map(|p| p.empty_body) {
                Some(EmptyBody::EmptyObject) => "body {}",
                _ => "no body",
            };
            let mut steps = vec![
                format!("POST {collection} with {empty} (create)"),
                format!("GET {item} (the empty resource)"),
                format!("PUT {item} body A{star}, GET {item}, {listing}"),
            ];
            if !proxied {
                steps.extend([
                    format!("PUT {item} body A again, answer not read (lost response)"),
                    format!("PUT {item} body A again (retry), GET {item}, {listing}"),
                ]);
            }
            steps
        }
    }
}

/// How a case reads the collection: the listing request, with its pages or per-id filter.
fn listing_step(resource: &Resource) -> String {
    let listing = &resource.listing;
    let request = match listing.format {
        ListingFormat::None => return "(no listing: collection rules not judged)".into(),
        ListingFormat::Propfind => format!("PROPFIND {} (Depth: 1)", listing.path),
        _ => format!("GET {}", listing.path),
    };
    match (&listing.filter, &listing.pages) {
        (Some(filter), _) => format!("{request} with {filter} per id"),
        (None, Some(_)) => format!("{request} and its next pages"),
        (None, None) => request,
    }
}

/// The outline of a hand-written script: its steps as written.
pub fn script_outline(script: &Script) -> Vec<String> {
    script
        .steps
        .iter()
        .map(|step| {
            let repeat = match step.repeat {
                0 | 1 => String::new(),
                n => format!(" ×{n}"),
            };
            format!("{} {}{repeat}  ({})", step.method, step.path, step.name)
        })
        .collect()
}

fn create_with(resource: &Resource, body: &str) -> String {
    match resource.create {
        CreateMode::Put => format!("PUT {} {body} (create)", resource.item),
        CreateMode::Post => format!("POST {} {body} (create)", resource.collection),
    }
}

/// Creation as the conditional-request checks do it: a creating PUT carries
/// `If-None-Match: *` when the resource requires preconditions.
fn create_conditionally(resource: &Resource, body: &str) -> String {
    if resource.create == CreateMode::Put && resource.conditional.preconditions_required {
        format!(
            "PUT {} {body} with If-None-Match: * (create)",
            resource.item
        )
    } else {
        create_with(resource, body)
    }
}

/// The resource's Idempotency-Key header name (or the default name).
fn key_header(resource: &Resource) -> &str {
    resource
        .idempotency_key
        .as_ref()
        .map_or("Idempotency-Key", |key| key.header.as_str())
}

fn lost_response_retry(resource: &Resource) -> Vec<String> {
    use crate::checks::lost_response_retry::{PostMode, post_mode, put_part_skip};
    let item = resource.item.as_str();
    let collection = resource.collection.as_str();
    let listing = listing_step(resource);
    let mut steps = Vec::new();
    if put_part_skip(resource).is_none() {
        steps.extend([
            format!(
                "PUT {item} body A to a new id, answer not read (lost response); the same PUT again; GET {item}"
            ),
            format!(
                "PUT {item} body A to another new id, answer not read; the same PUT while it is in flight; GET {item}"
            ),
            format!("PUT {item} body A on a fresh id, GET it (reference); {listing}"),
        ]);
    }
    match post_mode(resource) {
        PostMode::Keyed(key) => {
            let header = &key.header;
            steps.extend([
                format!(
                    "{listing} (count); POST {collection} body B with a new {header}, answer not read; the same POST again (until not in flight); {listing} (count)"
                ),
                format!(
                    "{listing} (count); POST {collection} body C with a new {header}, answer not read; the same POST while it is in flight; {listing} (count)"
                ),
            ]);
        }
        PostMode::Unkeyed => steps.push(format!(
            "{listing} (count); POST {collection} body D without a key, answer not read; the same POST again; {listing} (count)"
        )),
        PostMode::NotRun(_) => {}
    }
    steps
}

fn conditional_write(resource: &Resource) -> Vec<String> {
    let item = resource.item.as_str();
    let listing = listing_step(resource);
    let mut steps = vec![
        create_conditionally(resource, "body A"),
        format!("{listing}, GET {item} (state and ETag; again after each write below)"),
        format!("PUT {item} with If-Match: the current ETag"),
        format!("PUT {item} with If-Match: the now stale ETag"),
        format!("PUT {item} with If-Match: W/ + the current ETag"),
        format!("PUT {item} with If-None-Match: *"),
        format!("PUT {item} with If-Match: * to a never-created id, {listing}"),
    ];
    if resource.conditional.preconditions_required {
        steps.push(format!("PUT {item} without a precondition (expects 428)"));
    }
    steps.extend([
        format!("DELETE {item} with If-Match: the stale ETag"),
        format!("DELETE {item} with If-Match: the current ETag"),
    ]);
    steps
}

fn status_conformance(resource: &Resource) -> Vec<String> {
    let item = resource.item.as_str();
    let mut steps = Vec::new();
    if resource.supports(Method::Put) && resource.create == CreateMode::Put {
        steps.push(format!("PUT {item} on a fresh id (create)"));
    }
    if resource.post_id.is_some() {
        steps.push(format!(
            "POST {} (create), GET its Location",
            resource.collection
        ));
    }
    if resource.supports(Method::Put) {
        steps.push(format!("PUT {item} another body (update)"));
    }
    if !resource.supports(Method::Patch) {
        steps.push(format!("PATCH {item} (undeclared: expects 405 with Allow)"));
    }
    steps
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::env::EnvSnapshot;
    use crate::model::check::BUILT_IN;

    fn resources() -> Vec<Resource> {
        let env = EnvSnapshot::default();
        ["../../scenarios/demo.toml", "../../scenarios/notes.toml"]
            .iter()
            .zip([
                include_str!("../../scenarios/demo.toml"),
                include_str!("../../scenarios/notes.toml"),
            ])
            .flat_map(|(path, text)| {
                crate::scenario::load_str(Path::new(path), text, &env)
                    .expect("bundled scenario")
                    .resources
            })
            .collect()
    }

    #[test]
    fn every_built_in_check_has_an_outline() {
        for resource in resources() {
            for check in BUILT_IN.into_iter().filter(|c| *c != CheckId::Script) {
                assert!(
                    !outline(check, &resource, false).is_empty(),
                    "{check:?} on {}",
                    resource.name
                );
            }
        }
    }

    #[test]
    fn behind_a_proxy_post_put_creation_leaves_no_answer_unread() {
        let notes = resources()
            .into_iter()
            .find(|r| r.post_put.is_some())
            .expect("notes");
        let direct = outline(CheckId::PostPutCreation, &notes, false);
        let proxied = outline(CheckId::PostPutCreation, &notes, true);
        assert!(direct.iter().any(|s| s.contains("not read")));
        assert!(!proxied.iter().any(|s| s.contains("not read")));
        assert_eq!(proxied[0], "POST /notes with no body (create)");
    }
}
