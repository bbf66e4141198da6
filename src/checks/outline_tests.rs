//! The outline test: every check's `--dry-run` outline lists the requests its `execute`
//! actually sends. Each check runs two cases on every resource of the bundled scenarios it
//! does not skip, against the demo API with no bug, and the requests of each case (method, and
//! item or collection) must match the outline's steps in order, each request as many times in
//! a row as its step allows. An outline that drifts from its `execute` fails here.
//!
//! `fuzz` is left out: its requests are generated, and its outline describes them. The
//! requests the session sends on its own ([`SESSION_PURPOSES`]: reading a POST-created resource
//! back before adopting it, listing the collection around an empty POST, checking a fresh id is
//! free before its first write) are the
//! session's, not the check's: they are not compared.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::checks::check::{AnyCheck, Canons, Case};
use crate::checks::fuzz::FuzzCase;
use crate::checks::load::load_str;
use crate::checks::outline::{Sends, To};
use crate::checks::table::CHECKS;
use crate::demo::{BugSet, DemoServer};
use crate::env::EnvSnapshot;
use crate::fuzz::FuzzSettings;
use crate::http::config::TransportConfig;
use crate::http::transport::ReqwestTransport;
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{Resource, Scenario};
use crate::session::context::{ResolvedTarget, RunContext};
use crate::session::{SESSION_PURPOSES, Session};
use crate::snapshot::canonical::Canon;

/// Cases per check and resource.
const CASES: u64 = 2;

fn bundled() -> Vec<Scenario> {
    let env = EnvSnapshot::default();
    [
        ("demo.toml", include_str!("../../scenarios/demo.toml")),
        ("notes.toml", include_str!("../../scenarios/notes.toml")),
        ("lamps.toml", include_str!("../../scenarios/lamps.toml")),
        ("devices.toml", include_str!("../../scenarios/devices.toml")),
    ]
    .iter()
    .map(|(path, text)| load_str(Path::new(path), text, &env).expect("bundled scenario"))
    .collect()
}

/// Where a request went: the item or the collection of the resource (`None`: elsewhere).
fn to(resource: &Resource, base_url: &str, url: &str) -> Option<To> {
    let path = url.strip_prefix(base_url)?;
    let path = path.split('?').next().unwrap_or(path);
    if path == resource.collection {
        return Some(To::Collection);
    }
    let (before, after) = resource.item.split_once("{id}")?;
    let id = path.strip_prefix(before)?.strip_suffix(after)?;
    (!id.is_empty() && !id.contains('/')).then_some(To::Item)
}

/// True when the requests match the sends in order, each send as many times in a row as it
/// allows.
fn matches(sends: &[Sends], requests: &[(Method, Option<To>)]) -> bool {
    let Some((first, rest)) = sends.split_first() else {
        return requests.is_empty();
    };
    let run = requests
        .iter()
        .take_while(|(method, to)| *method == first.method && *to == Some(first.to))
        .count();
    let most = first.max.min(u32::try_from(run).unwrap_or(u32::MAX));
    (first.min..=most).any(|n| matches(rest, &requests[n as usize..]))
}

/// Runs one case of `check` on `resource` and returns its exchanges.
async fn one_case(
    ctx: &RunContext,
    target: &ResolvedTarget,
    resource: &Resource,
    check: &dyn AnyCheck,
    number: u64,
) -> Vec<Exchange> {
    let mut session = Session::new(ctx, target, resource, number);
    let mut generator = BodyGenerator::new(number);
    let declared = Canon::with_ignore(resource.ignore.clone());
    let canons = Canons {
        full: declared.clone(),
        declared,
        fuzz_cross: None,
        fit: Default::default(),
    };
    let case = Case {
        session: &mut session,
        generator: &mut generator,
        canons: &canons,
        kind: FuzzCase::Generated {
            case_seed: number,
            index: 0,
        },
        fuzz: &FuzzSettings::default(),
        deadline: None,
    };
    if let Err(err) = check.run_case(case).await {
        panic!("{} on {}: {err}", check.id(), resource.name);
    }
    session.into_exchanges()
}

#[tokio::test]
async fn every_outline_lists_the_requests_its_check_sends() {
    let server = DemoServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), BugSet::none())
        .await
        .expect("the demo API starts");
    let transport = ReqwestTransport::new(&TransportConfig::default()).expect("a client");
    let ctx = RunContext::new(Arc::new(transport), "o".into(), CancellationToken::new());
    let mut number = 0;
    let mut runs = 0;
    for scenario in bundled() {
        let target = ResolvedTarget::new(server.base_url(), scenario.target.clone());
        for resource in &scenario.resources {
            let checks = CHECKS.iter().filter(|check| check.id() != CheckId::Fuzz);
            for check in checks.filter(|c| c.skip_reason(resource, false).is_none()) {
                let outline = check.outline(resource, false);
                let sends: Vec<Sends> = outline.sends().copied().collect();
                for _ in 0..CASES {
                    number += 1;
                    let exchanges = one_case(&ctx, &target, resource, *check, number).await;
                    let requests: Vec<(Method, Option<To>)> = exchanges
                        .iter()
                        .filter(|e| !SESSION_PURPOSES.contains(&e.purpose.as_str()))
                        .map(|e| {
                            let to = to(resource, &target.base_url, &e.request.url);
                            (e.request.method, to)
                        })
                        .collect();
                    assert!(
                        matches(&sends, &requests),
                        "{} on {}: the outline\n  {}\nlists {sends:?}\nbut the case sent\n  {}",
                        check.id(),
                        resource.name,
                        outline.lines().collect::<Vec<_>>().join("\n  "),
                        exchanges
                            .iter()
                            .map(|e| format!(
                                "{} {} ({})",
                                e.request.method, e.request.url, e.purpose
                            ))
                            .collect::<Vec<_>>()
                            .join("\n  ")
                    );
                    runs += 1;
                }
            }
        }
    }
    server.shutdown().await;
    assert!(runs >= 2 * 15, "only {runs} cases ran");
}

#[test]
fn the_matcher_counts_runs_of_a_request() {
    use crate::checks::outline::send;
    let put = send(Method::Put, To::Item);
    let get = send(Method::Get, To::Item);
    let req = |method| (method, Some(To::Item));
    let sends = [put, put.between(1, 3), get];
    assert!(matches(
        &sends,
        &[req(Method::Put), req(Method::Put), req(Method::Get)]
    ));
    assert!(matches(
        &sends,
        &[
            req(Method::Put),
            req(Method::Put),
            req(Method::Put),
            req(Method::Put),
            req(Method::Get)
        ]
    ));
    assert!(!matches(&sends, &[req(Method::Put), req(Method::Get)]));
    assert!(!matches(
        &sends,
        &[
            req(Method::Put),
            req(Method::Put),
            req(Method::Get),
            req(Method::Get)
        ]
    ));
    assert!(!matches(&[get], &[(Method::Get, None)]));
}

/// The resources of the bundled demo and notes scenarios.
fn resources() -> Vec<Resource> {
    bundled()
        .into_iter()
        .take(2)
        .flat_map(|scenario| scenario.resources)
        .collect()
}

#[test]
fn every_built_in_check_has_an_outline() {
    for resource in resources() {
        for check in CHECKS {
            assert!(
                !check.outline(&resource, false).is_empty(),
                "{:?} on {}",
                check.id(),
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
    let check = crate::checks::table::find(CheckId::PostPutCreation).expect("in the table");
    let direct = check.outline(&notes, false);
    let proxied = check.outline(&notes, true);
    assert!(direct.lines().any(|s| s.contains("not read")));
    assert!(!proxied.lines().any(|s| s.contains("not read")));
    assert_eq!(
        proxied.lines().next(),
        Some("POST /notes with no body (create)")
    );
}
