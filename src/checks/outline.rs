//! The request outline of each check on a resource, for `--dry-run`: what one case sends, in
//! order, with the resource's paths. Checks are adaptive (later requests depend on earlier
//! answers, e.g. the id a POST returns), so this is the plan of a case, not a transcript.
//!
//! Keep each outline in step with its check's `execute`; a new check needs an arm here.

use crate::checks::CheckId;
use crate::http::model::Method;
use crate::scenario::{CreateMode, Resource, Script};

/// The steps of one case of `check` on `resource`, one line each.
pub fn outline(check: CheckId, resource: &Resource) -> Vec<String> {
    let item = resource.item.as_str();
    let collection = resource.collection.as_str();
    let options = &resource.checks;
    match check {
        CheckId::RepeatPut => {
            let max = options.repeat_put.max_repeats.max(2);
            let mut steps = vec![create_with(resource, "body A")];
            if resource.create == CreateMode::Post {
                steps.push(format!("PUT {item} body A"));
            }
            steps.extend([
                format!("GET {item}, GET {collection} (snapshots after 1 PUT)"),
                format!("PUT {item} body A again, until 2..={max} identical PUTs in all"),
                format!("GET {item}, GET {collection} (snapshots after all PUTs)"),
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
            format!("GET {collection}"),
            format!("DELETE {item} ×2"),
            format!("GET {item}, GET {collection}"),
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
                format!("GET {item} ×2, GET {collection} (snapshots)"),
                format!(
                    "{} {item}, ×{}",
                    safe.join(", "),
                    options.get_safety.repeats
                ),
                format!("GET {item}, GET {collection} (snapshots after)"),
                format!("GET {item} of a never-created id ×2, GET {collection}"),
            ]
        }
        CheckId::HeadParity => vec![
            create_with(resource, "a generated body"),
            format!("GET {item}, HEAD {item}"),
        ],
        CheckId::PostRetry => {
            let mut steps = vec![
                format!("POST {collection} body A ×2 without a key"),
                format!("GET {collection} (count duplicates)"),
            ];
            if let Some(key) = &resource.idempotency_key {
                let header = &key.header;
                steps.extend([
                    format!("POST {collection} body B ×2 with one {header}"),
                    format!("GET {collection} (count)"),
                    format!("POST {collection} body C with the same {header}"),
                    format!("GET {collection} (count)"),
                ]);
            }
            steps
        }
        CheckId::StatusConformance => status_conformance(resource),
        CheckId::Script => Vec::new(),
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
