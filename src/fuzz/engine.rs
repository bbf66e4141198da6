//! The fuzz loop of one case: generate a sequence, execute it with its relations' variants,
//! judge, and on a failure confirm it, then shrink it with proptest's value tree — every
//! candidate re-executed against the live target on fresh ids — to the smallest sequence that
//! still breaks the same rule. Each execution's exchanges leave the session once judged: a found
//! rule keeps a copy of the ones that show it, so shrinking holds only the current candidates'.

use std::collections::HashSet;
use std::ops::Range;
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};

use crate::fuzz::FuzzLimits;
use crate::fuzz::execute::{Execution, execute, watched_slots};
use crate::fuzz::oracle::{self, Broken, OracleContext, Signature};
use crate::fuzz::strategy::{Case, case_strategy};
use crate::model::exchange::Exchange;
use crate::model::fuzz::ops::{Op, Relation, Repro};
use crate::model::fuzz::{FuzzDetail, SideBySide};
use crate::model::report::RunMoment;
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::session::{CaseError, Session};

/// A broken rule with the executions that show it.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) broken: Broken,
    pub(crate) repro: Repro,
    /// The exchanges of the executions involved (base, then variant), copied from the session.
    pub(crate) exchanges: Vec<Exchange>,
    pub(crate) side_by_side: Vec<SideBySide>,
    /// Length of the executed sequence that broke the rule.
    pub(crate) failing_len: usize,
}

impl Found {
    /// A rule `steps` (under `relation`) broke, shown by `exchanges`; no side-by-side rows.
    fn new(
        broken: Broken,
        steps: &[Op],
        relation: &Relation,
        exchanges: Vec<Exchange>,
        failing_len: usize,
    ) -> Found {
        Found {
            broken,
            repro: Repro {
                steps: steps.to_vec(),
                relation: relation.clone(),
            },
            exchanges,
            side_by_side: Vec::new(),
            failing_len,
        }
    }
}

/// Executes `steps` and, for each relation, its variant, judging as soon as it can; returns
/// the broken rules of the first execution after which some rule is broken, and does not run
/// the rest (the case fails either way). The insert variant runs first, since its inserted
/// reads show most per-step failures on their own; then the base, judged with it; then the
/// duplicate variant.
///
/// The executions' exchanges are dropped from the session afterwards: each found rule keeps a
/// copy of the ones that show it.
pub(crate) async fn evaluate(
    session: &mut Session<'_>,
    steps: &[Op],
    relations: &[Relation],
    context: &OracleContext,
) -> Result<Vec<Found>, CaseError> {
    let kept = session.exchanges().len();
    let found = evaluate_all(session, steps, relations, context).await?;
    session.drop_exchanges_after(kept);
    Ok(found)
}

async fn evaluate_all(
    session: &mut Session<'_>,
    steps: &[Op],
    relations: &[Relation],
    context: &OracleContext,
) -> Result<Vec<Found>, CaseError> {
    let watched = watched_slots(steps, relations);
    let (early, late): (Vec<&Relation>, Vec<&Relation>) = relations
        .iter()
        .filter(|r| **r != Relation::PerStep)
        .partition(|r| matches!(r, Relation::InsertSafe { .. }));
    let mut waiting = Vec::new();
    for relation in early {
        let Some(variant) = run_variant(session, steps, relation, &watched).await? else {
            continue;
        };
        let found = per_step_found(session, steps, relation, &variant, context);
        if !found.is_empty() {
            return Ok(found);
        }
        waiting.push((relation, variant));
    }
    let base = execute(session, "run A", steps, None, &watched).await?;
    let mut found = per_step_found(session, steps, &Relation::PerStep, &base, context);
    for (relation, variant) in &waiting {
        found.extend(relation_found(
            session, steps, relation, &base, variant, context,
        ));
    }
    for relation in late {
        if !found.is_empty() {
            break;
        }
        let Some(variant) = run_variant(session, steps, relation, &watched).await? else {
            continue;
        };
        found.extend(per_step_found(session, steps, relation, &variant, context));
        found.extend(relation_found(
            session, steps, relation, &base, &variant, context,
        ));
    }
    Ok(found)
}

/// Executes the variant `relation` makes of `steps` (`None` when it makes none): `run B`
/// for the duplicate relation, `run C` for the insert relation.
async fn run_variant(
    session: &mut Session<'_>,
    steps: &[Op],
    relation: &Relation,
    watched: &[usize],
) -> Result<Option<Execution>, CaseError> {
    let Some(variant_steps) = relation.variant(steps) else {
        return Ok(None);
    };
    let (label, repeat) = match relation {
        Relation::DuplicateIdempotent { at } => ("run B", Some(at + 1)),
        _ => ("run C", None),
    };
    let variant = execute(session, label, &variant_steps, repeat, watched).await?;
    Ok(Some(variant))
}

/// The per-step rules `execution` (of `steps`, or of the variant `relation` makes of them)
/// breaks; the failing sequence is the one executed.
fn per_step_found(
    session: &Session<'_>,
    steps: &[Op],
    relation: &Relation,
    execution: &Execution,
    context: &OracleContext,
) -> Vec<Found> {
    oracle::per_step(execution, context)
        .into_iter()
        .map(|broken| {
            let exchanges = copied(session, &[&execution.exchanges]);
            Found::new(broken, steps, relation, exchanges, execution.steps.len())
        })
        .collect()
}

/// The rules of `relation` the base and its variant break together.
fn relation_found(
    session: &Session<'_>,
    steps: &[Op],
    relation: &Relation,
    base: &Execution,
    variant: &Execution,
    context: &OracleContext,
) -> Vec<Found> {
    let broken = oracle::relation(relation, base, variant, context);
    if broken.is_empty() {
        return Vec::new();
    }
    // The rows show the runs side by side; built only for a rule that broke.
    let rows = oracle::side_by_side(relation, base, variant);
    broken
        .into_iter()
        .map(|broken| {
            let exchanges = copied(session, &[&base.exchanges, &variant.exchanges]);
            Found {
                side_by_side: rows.clone(),
                ..Found::new(broken, steps, relation, exchanges, steps.len())
            }
        })
        .collect()
}

/// Copies of the session exchanges in `ranges` (base, then variant), which a found rule keeps.
fn copied(session: &Session<'_>, ranges: &[&Range<usize>]) -> Vec<Exchange> {
    ranges
        .iter()
        .flat_map(|range| session.exchanges()[(*range).clone()].iter().cloned())
        .collect()
}

/// The first found rule with `signature`.
fn matching(found: Vec<Found>, signature: &Signature) -> Option<Found> {
    found.into_iter().find(|f| f.broken.signature == *signature)
}

async fn evaluate_case(
    session: &mut Session<'_>,
    case: &Case,
    context: &OracleContext,
) -> Result<Vec<Found>, CaseError> {
    evaluate(session, &case.steps, &case.relations(), context).await
}

/// Runs one generated case; returns its violations (none when it passes).
pub(crate) async fn generated_case(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    case_seed: u64,
    limits: &FuzzLimits,
    context: &OracleContext,
) -> Result<Vec<Violation>, CaseError> {
    let strategy = case_strategy(session.resource, limits.shape);
    let mut tree = strategy
        .new_tree(generator.runner())
        .map_err(|reason| CaseError::Setup(format!("cannot generate a sequence: {reason}")))?;
    let case = tree.current();
    let found = evaluate_case(session, &case, context).await?;
    let Some(first) = pick(found) else {
        return Ok(Vec::new());
    };
    let detection = session.run_moment();
    let signature = first.broken.signature.clone();
    let key = format!("{}\u{0}{}", signature.relation, signature.rule);
    if session.fuzz_failure_claimed(&key) {
        // Already shrunk and reported by an earlier case: one finding per broken rule.
        return Ok(Vec::new());
    }
    let confirmed = matching(evaluate_case(session, &case, context).await?, &signature);
    if confirmed.is_none() {
        return Ok(vec![flaky(first, case_seed, case.steps.len(), detection)]);
    }
    if !session.claim_fuzz_failure(&key) {
        return Ok(Vec::new());
    }
    let shrunk = shrink(session, &mut tree, first, limits, context).await?;
    let shrunk = remove_steps(session, shrunk, limits, context).await?;
    Ok(vec![report(shrunk, case_seed, case.steps.len(), detection)])
}

/// A per-step rule broken in a variant is a per-step rule of the variant's sequence: run it as
/// a plain sequence (unless it repeats a keyed POST, whose repeat must reuse the key).
fn flattened(found: &Found) -> Repro {
    let repro = &found.repro;
    let keyed_repeat = matches!(
        &repro.relation,
        Relation::DuplicateIdempotent { at } if matches!(repro.steps.get(*at), Some(Op::Post { keyed: true, .. }))
    );
    match repro.relation.variant(&repro.steps) {
        Some(steps) if found.broken.signature.relation == "per-step" && !keyed_repeat => Repro {
            steps,
            relation: Relation::PerStep,
        },
        _ => repro.clone(),
    }
}

/// The repro without base step `index`, the relation's positions adjusted.
fn without_step(repro: &Repro, index: usize) -> Option<Repro> {
    let mut steps = repro.steps.clone();
    if index >= steps.len() || steps.len() == 1 {
        return None;
    }
    steps.remove(index);
    let relation = match &repro.relation {
        Relation::PerStep => Relation::PerStep,
        Relation::DuplicateIdempotent { at } if *at == index => return None,
        Relation::DuplicateIdempotent { at } => Relation::DuplicateIdempotent {
            at: if *at > index { at - 1 } else { *at },
        },
        Relation::InsertSafe { inserts } => Relation::InsertSafe {
            inserts: inserts
                .iter()
                .map(|insert| crate::model::fuzz::ops::Insert {
                    before: if insert.before > index {
                        insert.before - 1
                    } else {
                        insert.before
                    },
                    op: insert.op.clone(),
                })
                .collect(),
        },
    };
    Some(Repro { steps, relation })
}

/// The repro without its `index`-th inserted safe op (never the last one).
fn without_insert(repro: &Repro, index: usize) -> Option<Repro> {
    let Relation::InsertSafe { inserts } = &repro.relation else {
        return None;
    };
    if index >= inserts.len() || inserts.len() == 1 {
        return None;
    }
    let mut inserts = inserts.clone();
    inserts.remove(index);
    Some(Repro {
        steps: repro.steps.clone(),
        relation: Relation::InsertSafe { inserts },
    })
}

/// After proptest's shrinking, which cannot drop a step while keeping what was attached to it,
/// greedily removes single steps and inserts while the same rule still breaks (confirmed by a
/// second execution).
async fn remove_steps(
    session: &mut Session<'_>,
    mut shrunk: Shrunk,
    limits: &FuzzLimits,
    context: &OracleContext,
) -> Result<Shrunk, CaseError> {
    let signature = shrunk.best.broken.signature.clone();
    let mut current = adopt_flattened(session, &mut shrunk, limits, context).await?;
    let mut index = 0;
    loop {
        if let Some(reason) = limit_reached(session, limits, shrunk.runs) {
            shrunk.stopped.get_or_insert(reason);
            break;
        }
        let steps = current.steps.len();
        let candidate = if index < steps {
            without_step(&current, index)
        } else {
            without_insert(&current, index - steps)
        };
        let inserts = match &current.relation {
            Relation::InsertSafe { inserts } => inserts.len(),
            _ => 0,
        };
        if index >= steps + inserts {
            break;
        }
        index += 1;
        let Some(candidate) = candidate else {
            continue;
        };
        shrunk.runs += 2;
        if let Some(found) = reproduce_twice(session, &candidate, &signature, context).await? {
            shrunk.best = found;
            current = candidate;
            index = 0;
        }
    }
    Ok(shrunk)
}

/// The repro greedy removal starts from: the flattened one (a per-step rule broken in a
/// variant, run as a plain sequence), which becomes the best when it breaks the rule twice, so
/// the finding shows the plain sequence even when no step can go; else the best as it is.
async fn adopt_flattened(
    session: &mut Session<'_>,
    shrunk: &mut Shrunk,
    limits: &FuzzLimits,
    context: &OracleContext,
) -> Result<Repro, CaseError> {
    let plain = flattened(&shrunk.best);
    if plain == shrunk.best.repro || limit_reached(session, limits, shrunk.runs).is_some() {
        return Ok(shrunk.best.repro.clone());
    }
    shrunk.runs += 2;
    let signature = shrunk.best.broken.signature.clone();
    match reproduce_twice(session, &plain, &signature, context).await? {
        Some(found) => {
            shrunk.best = found;
            Ok(plain)
        }
        None => Ok(shrunk.best.repro.clone()),
    }
}

/// The found rule when `repro` breaks `signature` on two executions in a row.
async fn reproduce_twice(
    session: &mut Session<'_>,
    repro: &Repro,
    signature: &Signature,
    context: &OracleContext,
) -> Result<Option<Found>, CaseError> {
    let relations = std::slice::from_ref(&repro.relation);
    let Some(_) = matching(
        evaluate(session, &repro.steps, relations, context).await?,
        signature,
    ) else {
        return Ok(None);
    };
    Ok(matching(
        evaluate(session, &repro.steps, relations, context).await?,
        signature,
    ))
}

/// The rule to chase when a case breaks several: per-step rules first (they need no variant),
/// then the relations in order.
fn pick(found: Vec<Found>) -> Option<Found> {
    let mut found = found;
    found.sort_by_key(|f| f.broken.signature.relation != "per-step");
    found.into_iter().next()
}

/// The outcome of shrinking.
pub(crate) struct Shrunk {
    pub(crate) best: Found,
    pub(crate) runs: u32,
    /// Why shrinking stopped before it was done, if it did.
    pub(crate) stopped: Option<String>,
}

/// The relation of `candidate` that corresponds to the one `found` broke (per-step rules broken
/// in a variant need that variant too).
fn corresponding(candidate: &Case, relation: &Relation) -> Option<Relation> {
    match relation {
        Relation::PerStep => Some(Relation::PerStep),
        Relation::DuplicateIdempotent { .. } => candidate.duplicate.clone(),
        Relation::InsertSafe { .. } => candidate.insert.clone(),
    }
}

/// Executes only what the chased rule needs: the base, plus the one variant involved.
async fn still_fails(
    session: &mut Session<'_>,
    candidate: &Case,
    chased: &Found,
    context: &OracleContext,
) -> Result<Option<Found>, CaseError> {
    let Some(relation) = corresponding(candidate, &chased.repro.relation) else {
        return Ok(None);
    };
    let found = evaluate(session, &candidate.steps, &[relation], context).await?;
    Ok(matching(found, &chased.broken.signature))
}

/// proptest's shrink loop, asynchronously: simplify while the candidate still fails, complicate
/// when it passes, until neither is possible or a limit is reached. Every candidate runs
/// against the live target on fresh ids. A candidate with fewer steps is taken only when a
/// second execution confirms it, and the final sequence is confirmed too (falling back to the
/// last confirmed one), so a flaky candidate is never reported as minimal.
async fn shrink<T: ValueTree<Value = Case>>(
    session: &mut Session<'_>,
    tree: &mut T,
    first: Found,
    limits: &FuzzLimits,
    context: &OracleContext,
) -> Result<Shrunk, CaseError> {
    let mut confirmed = first.clone();
    let mut shrunk = Shrunk {
        best: first,
        runs: 0,
        stopped: None,
    };
    // Many candidates of the value tree are the same sequence (a choice that resolves to the
    // same op): one that already passed, or is the current best, is not executed again.
    let mut passed: HashSet<String> = HashSet::new();
    let mut more = tree.simplify();
    while more {
        if let Some(reason) = limit_reached(session, limits, shrunk.runs) {
            shrunk.stopped = Some(reason);
            break;
        }
        let candidate = tree.current();
        let key = corresponding(&candidate, &shrunk.best.repro.relation)
            .map(|relation| case_key(&candidate.steps, &relation));
        let best = case_key(&shrunk.best.repro.steps, &shrunk.best.repro.relation);
        if key.as_ref() == Some(&best) {
            more = tree.simplify();
            continue;
        }
        if key.as_ref().is_none_or(|key| passed.contains(key)) {
            more = tree.complicate();
            continue;
        }
        shrunk.runs += 1;
        let mut failing = still_fails(session, &candidate, &shrunk.best, context).await?;
        if let Some(found) = &failing
            && found.repro.steps.len() < shrunk.best.repro.steps.len()
        {
            shrunk.runs += 1;
            failing = still_fails(session, &candidate, found, context).await?;
            if let Some(again) = &failing {
                confirmed = again.clone();
            }
        }
        more = match failing {
            Some(found) => {
                shrunk.best = found;
                tree.simplify()
            }
            None => {
                passed.extend(key);
                tree.complicate()
            }
        };
    }
    if shrunk.best.repro != confirmed.repro {
        shrunk.runs += 1;
        let repro = shrunk.best.repro.clone();
        let again = evaluate(
            session,
            &repro.steps,
            std::slice::from_ref(&repro.relation),
            context,
        )
        .await?;
        shrunk.best = matching(again, &shrunk.best.broken.signature).unwrap_or(confirmed);
    }
    Ok(shrunk)
}

/// A sequence and relation as a comparable key.
fn case_key(steps: &[Op], relation: &Relation) -> String {
    format!("{steps:?}{relation:?}")
}

fn limit_reached(session: &Session<'_>, limits: &FuzzLimits, runs: u32) -> Option<String> {
    if runs >= limits.max_shrink_runs {
        return Some(format!(
            "shrinking stopped after {runs} executions (the limit)"
        ));
    }
    if limits
        .deadline
        .is_some_and(|deadline| Instant::now() >= deadline)
    {
        return Some("shrinking stopped at the time budget".into());
    }
    session
        .is_cancelled()
        .then(|| "shrinking stopped: interrupted".into())
}

/// The report of a failure that reproduced.
fn report(
    shrunk: Shrunk,
    case_seed: u64,
    original_steps: usize,
    detection: RunMoment,
) -> Violation {
    let Shrunk {
        best,
        runs,
        stopped,
    } = shrunk;
    let detail = FuzzDetail {
        shrink_runs: runs,
        shrink_stopped: stopped,
        ..detail_of(&best, case_seed, original_steps, detection)
    };
    attach(best.broken.violation, detail, best.exchanges)
}

/// The detail of a found rule as it was found: not shrunk, not flaky, not replayed.
fn detail_of(
    found: &Found,
    case_seed: u64,
    original_steps: usize,
    detection: RunMoment,
) -> FuzzDetail {
    FuzzDetail {
        relation: found.broken.signature.relation.clone(),
        rule: found.broken.signature.rule.clone(),
        case_seed,
        failing_len: found.failing_len,
        repro: found.repro.clone(),
        original_steps,
        shrink_runs: 0,
        shrink_stopped: None,
        side_by_side: found.side_by_side.clone(),
        flaky: false,
        replayed_from: None,
        detected_after_requests: detection.requests,
        detected_after_ms: detection.elapsed_ms,
    }
}

/// A failure that did not reproduce: reported, never as a violation.
fn flaky(found: Found, case_seed: u64, original_steps: usize, detection: RunMoment) -> Violation {
    let title = format!(
        "flaky: \"{}\" did not reproduce when the same sequence ran again",
        found.broken.violation.title
    );
    let detail = FuzzDetail {
        shrink_stopped: Some("not shrunk: the failure did not reproduce".into()),
        flaky: true,
        ..detail_of(&found, case_seed, original_steps, detection)
    };
    let violation = Violation::info(title)
        .expected(found.broken.violation.expected)
        .observed(format!(
            "{} on the first execution only; a nondeterministic server, or state shared with other clients",
            found.broken.violation.observed
        ))
        .diff(found.broken.violation.diff);
    attach(violation, detail, found.exchanges)
}

/// Adds the fuzz detail and the exchanges of the executions that show the failure, renumbered
/// from 1.
fn attach(violation: Violation, detail: FuzzDetail, exchanges: Vec<Exchange>) -> Violation {
    let exchanges = exchanges
        .into_iter()
        .enumerate()
        .map(|(n, exchange)| Exchange {
            seq: n + 1,
            ..exchange
        })
        .collect();
    let rule = if detail.flaky {
        format!("flaky/{}/{}", detail.relation, detail.rule)
    } else {
        format!("{}/{}", detail.relation, detail.rule)
    };
    violation.rule(rule).with_fuzz(detail, exchanges)
}

/// Re-executes a saved failure once; returns its violation if the same rule still breaks.
pub(crate) async fn replay(
    session: &mut Session<'_>,
    saved: &crate::fuzz::saved::SavedFailure,
    context: &OracleContext,
) -> Result<Vec<Violation>, CaseError> {
    let found = evaluate(
        session,
        &saved.repro.steps,
        std::slice::from_ref(&saved.repro.relation),
        context,
    )
    .await?;
    let signature = saved.signature();
    let Some(found) = matching(found, &signature) else {
        return Ok(Vec::new());
    };
    let detection = session.run_moment();
    let detail = FuzzDetail {
        replayed_from: Some(saved.file.clone()),
        ..detail_of(&found, saved.case_seed, saved.repro.steps.len(), detection)
    };
    let violation = found.broken.violation;
    let title = format!("{} (saved failure still fails)", violation.title);
    let violation = Violation { title, ..violation };
    Ok(vec![attach(violation, detail, found.exchanges)])
}

#[cfg(test)]
mod tests {
    //! What the session keeps while the engine evaluates sequences, against the real demo API.

    use std::net::SocketAddr;
    use std::path::Path;
    use std::sync::Arc;

    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::demo::{BugSet, DemoServer};
    use crate::env::EnvSnapshot;
    use crate::http::config::TransportConfig;
    use crate::http::transport::ReqwestTransport;
    use crate::scenario::{self, Scenario};
    use crate::session::context::{ResolvedTarget, RunContext};
    use crate::snapshot::canonical::Canon;

    fn things() -> Scenario {
        let text = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nitems = \"/items\"\nignore = [\"/updatedAt\"]\nbody = { name = \"x\", color = \"red\", size = 3 }\n";
        scenario::load_str(
            Path::new("t.toml"),
            text,
            &EnvSnapshot::from_pairs::<&str, &str>([]),
        )
        .expect("valid scenario")
    }

    fn context(scenario: &Scenario) -> OracleContext {
        OracleContext {
            client_members: vec!["name".into(), "color".into(), "size".into()],
            gone_statuses: vec![404, 410],
            cross: Canon::with_ignore(scenario.resources[0].ignore.clone()),
        }
    }

    /// A full PUT, a PUT omitting `size`, then a GET: breaks `put-replaces` on a merging PUT.
    fn steps() -> Vec<Op> {
        vec![
            Op::Put {
                slot: 0,
                body: json!({"name": "a", "color": "red", "size": 3}),
                partial: false,
            },
            Op::Put {
                slot: 0,
                body: json!({"name": "b", "color": "blue"}),
                partial: true,
            },
            Op::Get { slot: 0 },
        ]
    }

    /// Evaluates [`steps`] with the duplicate relation against the demo API with `bugs`;
    /// returns what was found and how many exchanges the session holds before and after.
    async fn evaluate_on(bugs: &str) -> (Vec<Found>, usize, usize) {
        let bugs: BugSet = bugs.parse().expect("known bugs");
        let server = DemoServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), bugs)
            .await
            .expect("the demo API starts");
        let transport = ReqwestTransport::new(&TransportConfig::default()).expect("a client");
        let ctx = RunContext::new(Arc::new(transport), "t".into(), CancellationToken::new());
        let scenario = things();
        let target = ResolvedTarget::new(server.base_url(), scenario.target.clone());
        let mut session = Session::new(&ctx, &target, &scenario.resources[0], 1);
        session
            .get_collection("an exchange before the sequence")
            .await
            .expect("the demo API answers");
        let before = session.exchanges().len();
        let relations = [Relation::PerStep, Relation::DuplicateIdempotent { at: 0 }];
        let found = evaluate(&mut session, &steps(), &relations, &context(&scenario))
            .await
            .expect("the sequence runs");
        let after = session.exchanges().len();
        server.shutdown().await;
        (found, before, after)
    }

    #[tokio::test]
    async fn a_judged_execution_leaves_no_exchange_in_the_session() {
        let (found, before, after) = evaluate_on("none").await;
        assert!(found.is_empty(), "the clean API replaces on PUT");
        assert_eq!(
            (before, after),
            (1, 1),
            "earlier exchanges stay, the sequence's go"
        );
    }

    #[tokio::test]
    async fn a_found_rule_keeps_a_copy_of_the_exchanges_that_show_it() {
        let (found, before, after) = evaluate_on("merge-put").await;
        assert_eq!(after, before);
        let broken = found
            .iter()
            .find(|f| f.broken.signature.rule == "put-replaces")
            .expect("a merging PUT breaks put-replaces");
        let purposes: Vec<&str> = broken
            .exchanges
            .iter()
            .map(|e| e.purpose.as_str())
            .collect();
        assert!(
            purposes
                .iter()
                .find(|p| !p.starts_with("check that the fresh id is free"))
                .is_some_and(|p| p.starts_with("run A step 1")),
            "{purposes:?}"
        );
        assert!(
            purposes.iter().any(|p| p.contains("final snapshot")),
            "{purposes:?}"
        );
    }
}
