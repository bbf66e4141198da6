//! Execution of the plan's cases with bounded concurrency: each case gets its own session,
//! seed and run-owned ids; its violations become findings carrying the case's exchanges, handed
//! to the [`Aggregator`] as each case ends. Cases run in batches ([`batch::cut`]): when every
//! case of a batch has finished, what they created is deleted, before the next batch starts — so
//! the target's collections stay small however long the run, and a cleanup DELETE (which a buggy
//! server may get wrong, e.g. by deleting a neighbour) never runs while a case is being judged.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;

use crate::checks::check::{Canons, Case};
use crate::checks::fuzz::FuzzCase;
use crate::checks::{script, table};
use crate::fuzz::FuzzSettings;
use crate::model::cause::Cause;
use crate::model::check::CheckId;
use crate::model::events::{Event, EventSink};
use crate::model::findings::{Finding, Severity};
use crate::model::report::{CheckResult, CheckStatus};
use crate::model::violation::Violation;
use crate::runner::aggregate::Aggregator;
use crate::runner::plan::{Plan, PlannedScenario, Unit, UnitKind, case_seed};
use crate::runner::{batch, cleanup};
use crate::scenario::generate::BodyGenerator;
use crate::session::context::RunContext;
use crate::session::notice::Notice;
use crate::session::{CaseError, Session, faults};

/// Transport error lines kept per check result.
const MAX_ERROR_LINES: usize = 3;

/// One case to run.
#[derive(Debug, Clone, Copy)]
struct Job {
    unit: usize,
    case: u32,
    /// Global, plan-ordered case number: part of every id the case creates.
    number: u64,
}

/// What one case produced.
struct CaseOutcome {
    unit: usize,
    findings: Vec<Finding>,
    error: Option<CaseError>,
    /// The URLs of the resources the case owns (for the cleanup after its batch), of every
    /// attempt.
    owned: Vec<String>,
    /// How many times the case was re-run after a transient fault.
    reruns: u32,
}

/// Per-unit tally while cases complete.
struct Tally {
    started: Instant,
    remaining: u32,
    /// Cases that did not start because the time budget ran out.
    out_of_time: u32,
    /// Re-runs after transient faults, over all cases.
    reruns: u32,
    result: CheckResult,
}

/// The tallies of every unit, and the results of the units already finished.
struct Tallies {
    units: Vec<Tally>,
    finished: Vec<CheckResult>,
}

/// What every case of the run shares.
pub struct Work<'a> {
    pub scenarios: &'a [PlannedScenario],
    pub plan: &'a Plan,
    pub canons: &'a BTreeMap<(usize, usize), Canons>,
    pub seed: u64,
    pub concurrency: usize,
    /// How the (opt-in) fuzz check runs.
    pub fuzz: &'a FuzzSettings,
    /// `--max-failures`: the run stops early once it has this many failing findings.
    pub max_failures: Option<u32>,
}

/// Runs every case, batch by batch; hands findings to `findings` and emits check results as
/// they complete; returns the results.
pub async fn run_cases(
    ctx: &RunContext,
    work: &Work<'_>,
    findings: &mut Aggregator<'_>,
    sink: &dyn EventSink,
) -> Vec<CheckResult> {
    let jobs = jobs(work.plan);
    let mut tallies = Tallies {
        units: work
            .plan
            .units
            .iter()
            .map(|u| tally(u, work.scenarios))
            .collect(),
        finished: Vec::new(),
    };
    let units: Vec<usize> = jobs.iter().map(|job| job.unit).collect();
    for batch in batch::cut(&units, work.concurrency) {
        let created = run_batch(ctx, work, &jobs[batch], &mut tallies, findings, sink).await;
        clean_up_batch(ctx, work, created).await;
    }
    let Tallies {
        mut units,
        mut finished,
    } = tallies;
    finished.extend(
        units
            .iter_mut()
            .filter(|t| t.remaining > 0)
            .map(|t| finish(t, ctx)),
    );
    finished
}

/// Stops the run early once it has `max` failing findings (`--max-failures`).
fn stop_at_max_failures(ctx: &RunContext, max: Option<u32>, failing: u32) {
    if let Some(max) = max.filter(|max| failing >= *max) {
        ctx.stop_early(format!(
            "--max-failures {max} reached ({failing} failing finding(s))"
        ));
    }
}

/// Runs the cases of one batch concurrently; returns what each created, by scenario.
async fn run_batch(
    ctx: &RunContext,
    work: &Work<'_>,
    jobs: &[Job],
    tallies: &mut Tallies,
    findings: &mut Aggregator<'_>,
    sink: &dyn EventSink,
) -> Vec<(usize, Vec<String>)> {
    let mut created = Vec::with_capacity(jobs.len());
    let mut outcomes = futures::stream::iter(jobs.iter().copied())
        .map(|job| run_job(ctx, work, job))
        .buffer_unordered(work.concurrency.max(1));
    while let Some(mut outcome) = outcomes.next().await {
        let scenario = work.plan.units[outcome.unit].scenario;
        created.push((scenario, std::mem::take(&mut outcome.owned)));
        let tally = &mut tallies.units[outcome.unit];
        let requests = ctx.requests.load(std::sync::atomic::Ordering::Relaxed);
        record_outcome(tally, &outcome, requests, sink);
        findings.add_case(outcome.findings, || ctx.now(), sink);
        stop_at_max_failures(ctx, work.max_failures, findings.failing());
        if tally.remaining == 0 {
            let result = finish(tally, ctx);
            sink.emit(Event::CheckFinished(Box::new(result.clone())));
            tallies.finished.push(result);
        }
    }
    created
}

/// Deletes what the finished cases of a batch created (several cases at once, up to
/// `--concurrency`); after an interruption the end-of-run cleanup does it instead.
async fn clean_up_batch(ctx: &RunContext, work: &Work<'_>, created: Vec<(usize, Vec<String>)>) {
    if ctx.cancel.is_cancelled() {
        return;
    }
    futures::stream::iter(created)
        .for_each_concurrent(work.concurrency.max(1), |(scenario, urls)| async move {
            cleanup::clean_case(ctx, &work.scenarios[scenario].target, &urls).await;
        })
        .await;
}

fn jobs(plan: &Plan) -> Vec<Job> {
    let mut number = 0;
    let mut jobs = Vec::new();
    for (unit, planned) in plan.units.iter().enumerate() {
        for case in planned.case_indices() {
            number += 1;
            jobs.push(Job { unit, case, number });
        }
    }
    jobs
}

fn tally(unit: &Unit, scenarios: &[PlannedScenario]) -> Tally {
    Tally {
        started: Instant::now(),
        remaining: unit.case_count(),
        out_of_time: 0,
        reruns: 0,
        result: CheckResult {
            notes: unit.notes.clone(),
            case_numbers: unit
                .only_cases
                .iter()
                .flatten()
                .map(|case| case + 1)
                .collect(),
            ..CheckResult::new(
                unit.check(),
                &unit.label,
                &scenarios[unit.scenario].scenario.path.display().to_string(),
                CheckStatus::Passed,
            )
        },
    }
}

fn record_outcome(tally: &mut Tally, outcome: &CaseOutcome, requests: u64, sink: &dyn EventSink) {
    tally.remaining -= 1;
    tally.reruns += outcome.reruns;
    let result = &mut tally.result;
    match &outcome.error {
        Some(CaseError::Cancelled) => {
            result.status = CheckStatus::Interrupted;
            return;
        }
        Some(CaseError::OutOfTime) => {
            tally.out_of_time += 1;
            return;
        }
        Some(error) => {
            result.cases_errored += 1;
            if result.case_errors.len() < MAX_ERROR_LINES {
                result.case_errors.push(error.to_string());
            }
        }
        None => result.cases_run += 1,
    }
    for finding in &outcome.findings {
        match finding.severity {
            Severity::Error => result.errors += 1,
            Severity::Warning => result.warnings += 1,
            Severity::Info => result.infos += 1,
        }
    }
    sink.emit(Event::CaseFinished {
        check: result.check,
        resource: result.resource.clone(),
        errored: outcome.error.is_some(),
        requests,
    });
}

/// The final status of a unit from its tally. A unit none of whose cases started because the
/// run stopped early is `interrupted` when a limit such as `--max-failures` stopped it, and
/// `errored` when the time budget did (a check the budget never let run is not a pass).
fn finish(tally: &mut Tally, ctx: &RunContext) -> CheckResult {
    let mut result = tally.result.clone();
    result.duration_ms = u64::try_from(tally.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if tally.out_of_time > 0 {
        result.notes.push(format!(
            "{}: {} case(s) did not start",
            ctx.why_stopping(),
            tally.out_of_time
        ));
    }
    if tally.reruns > 0 {
        result.notes.push(format!(
            "{} case run(s) hit a transient fault (a transport error, or 502/503/504) and were run again on fresh ids",
            tally.reruns
        ));
    }
    let none_started = result.cases_run + result.cases_errored == 0 && tally.out_of_time > 0;
    if tally.remaining > 0
        || result.status == CheckStatus::Interrupted
        || (none_started && ctx.stopped_by_limit())
    {
        result.status = CheckStatus::Interrupted;
    } else if result.errors + result.warnings > 0 {
        result.status = CheckStatus::Failed;
    } else if result.cases_run == 0 {
        let reason = result.case_errors.first().cloned().unwrap_or_else(|| {
            if tally.out_of_time > 0 {
                format!("{} before any case ran", ctx.why_stopping())
            } else {
                "no case could run".into()
            }
        });
        result.status = CheckStatus::Errored { reason };
    }
    result
}

async fn run_job(ctx: &RunContext, work: &Work<'_>, job: Job) -> CaseOutcome {
    let stopped = |error, owned| CaseOutcome {
        unit: job.unit,
        findings: Vec::new(),
        error: Some(error),
        owned,
        reruns: 0,
    };
    if ctx.cancel.is_cancelled() {
        return stopped(CaseError::Cancelled, Vec::new());
    }
    let unit = &work.plan.units[job.unit];
    let planned = &work.scenarios[unit.scenario];
    let resource = &planned.scenario.resources[unit.resource];
    let path = planned.scenario.path.display().to_string();
    let replays = match unit.kind {
        UnitKind::Check(CheckId::Fuzz) => work.fuzz.replays_for(&path, &resource.name),
        _ => Vec::new(),
    };
    let replay = replays.get(job.case as usize).copied();
    // Generated cases are numbered after the replays, so their seeds do not depend on how many
    // saved failures there are.
    let generated_index = job
        .case
        .saturating_sub(u32::try_from(replays.len()).unwrap_or(0));
    let this_case_seed = case_seed(work.seed, unit, &path, generated_index);
    if replay.is_none() && ctx.starts_no_new_case() {
        ctx.record_not_started();
        return stopped(CaseError::OutOfTime, Vec::new());
    }
    let mut owned = Vec::new();
    let mut reruns = faults::Reruns::default();
    loop {
        let case = match replay {
            Some(saved) => FuzzCase::Replay(saved),
            None => FuzzCase::Generated {
                case_seed: this_case_seed,
                index: generated_index,
            },
        };
        let mut session = Session::attempt(ctx, &planned.target, resource, job.number, reruns.done);
        let verdict = judge_case(ctx, work, unit, &mut session, case, this_case_seed).await;
        owned.extend(session.owned_urls());
        let case_tag = session.case_tag().to_string();
        let notices = session.take_notices();
        let exchanges = session.into_exchanges();
        if let Err(error) = &verdict
            && reruns.again(error, &case_tag, ctx.cancel.is_cancelled())
        {
            continue;
        }
        // What the session noticed about the target's answers is reported whether or not the
        // case could go on (a 201 naming another resource stops a case that needed it).
        let mut findings: Vec<Finding> = notices
            .into_iter()
            .map(|notice| notice_finding(unit, &path, job.case, notice, exchanges.clone()))
            .collect();
        let error = match verdict {
            Ok(violations) => {
                findings.extend(
                    violations
                        .into_iter()
                        .map(|v| to_finding(unit, &path, job.case, v, exchanges.clone())),
                );
                None
            }
            Err(error) => Some(error),
        };
        return CaseOutcome {
            unit: job.unit,
            findings,
            error,
            owned,
            reruns: reruns.done,
        };
    }
}

/// Runs the unit's check (or script) for one case through `session`; returns its violations.
async fn judge_case(
    ctx: &RunContext,
    work: &Work<'_>,
    unit: &Unit,
    session: &mut Session<'_>,
    case: FuzzCase<'_>,
    case_seed: u64,
) -> Result<Vec<Violation>, CaseError> {
    let planned = &work.scenarios[unit.scenario];
    let resource = &planned.scenario.resources[unit.resource];
    let mut generator = BodyGenerator::new(case_seed);
    // Every planned resource has canons; the declared ignore list alone is the safe default.
    let canons = match work.canons.get(&(unit.scenario, unit.resource)) {
        Some(canons) => std::borrow::Cow::Borrowed(canons),
        None => {
            let declared = crate::snapshot::canonical::Canon::with_ignore(resource.ignore.clone());
            std::borrow::Cow::Owned(Canons {
                full: declared.clone(),
                declared,
                fuzz_cross: None,
            })
        }
    };
    let canons = canons.as_ref();
    match unit.kind {
        UnitKind::Check(check) => match table::find(check) {
            Some(check) => {
                let case = Case {
                    session,
                    generator: &mut generator,
                    canons,
                    kind: case,
                    fuzz: work.fuzz,
                    deadline: ctx.deadline,
                };
                check.run_case(case).await
            }
            // Every unit of a built-in check names one of the table (the plan comes from it).
            None => Ok(Vec::new()),
        },
        UnitKind::Script(index) => {
            let script = &planned.scenario.scripts[index];
            match script::execute(session, script).await {
                Ok(record) => Ok(script::judge(&record, script, &canons.full)),
                Err(err) => Err(err),
            }
        }
    }
}

/// A finding from what a session noticed: the unit's check and resource, the notice's rule,
/// RFC and oracle.
fn notice_finding(
    unit: &Unit,
    scenario: &str,
    case: u32,
    notice: Notice,
    exchanges: Vec<crate::model::exchange::Exchange>,
) -> Finding {
    let violation = Violation {
        severity: notice.severity,
        rule: notice.rule.to_owned(),
        title: notice.title,
        expected: notice.expected,
        observed: notice.observed,
        diff: None,
        fuzz: None,
        exchanges: None,
        cause: None,
    };
    Finding {
        rfc: notice.rfc.to_owned(),
        oracle: notice.oracle.to_owned(),
        ..to_finding(unit, scenario, case, violation, exchanges)
    }
}

fn to_finding(
    unit: &Unit,
    scenario: &str,
    case: u32,
    violation: Violation,
    exchanges: Vec<crate::model::exchange::Exchange>,
) -> Finding {
    let info = unit.check().info();
    let rule = match violation.rule {
        rule if rule.is_empty() => crate::model::baseline::slug(&violation.title),
        rule => rule,
    };
    Finding {
        check: unit.check(),
        scenario: scenario.to_string(),
        resource: unit.label.clone(),
        severity: violation.severity,
        rule,
        case: case + 1,
        occurrences: 1,
        other_cases: Vec::new(),
        title: violation.title,
        rfc: info.rfc.to_string(),
        oracle: info.oracle.to_string(),
        expected: violation.expected,
        observed: violation.observed,
        diff: violation.diff,
        exchanges: violation.exchanges.unwrap_or(exchanges),
        fuzz: violation.fuzz,
        baseline: None,
        cause: violation.cause.map(|key| Cause {
            key,
            also: Vec::new(),
        }),
    }
}
