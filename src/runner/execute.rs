//! Execution of the plan's cases with bounded concurrency: each case gets its own session,
//! seed and run-owned ids; its violations become findings carrying the case's exchanges, handed
//! to the [`Aggregator`] as each case ends. The [`Schedule`] says what starts next: the cases of
//! each collection in batches, what a batch created deleted before that collection's next batch
//! starts — so the target's collections stay small however long the run, and a cleanup DELETE
//! (which a buggy server may get wrong, e.g. by deleting a neighbour) never runs while a case of
//! that collection is being judged — and the cases of other collections side by side meanwhile.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::checks::check::{Canons, Case, Judged};
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
use crate::runner::schedule::{Schedule, Task};
use crate::runner::unobserved::{self, Unobserved};
use crate::runner::{cleanup, dry_run};
use crate::scenario::generate::BodyGenerator;
use crate::session::context::RunContext;
use crate::session::notice::Notice;
use crate::session::{CaseError, ParentCase, Session, faults};

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
    /// Why collections the case read were not observed.
    unobserved: Vec<String>,
    /// How many times the case was re-run after a transient fault.
    reruns: u32,
}

/// Per-unit tally while cases complete.
struct Tally {
    started: Instant,
    remaining: u32,
    /// Cases that did not start because the time budget ran out.
    out_of_time: u32,
    /// Why cases were inconclusive (distinct reasons, first few).
    inconclusive: Vec<String>,
    /// Re-runs after transient faults, over all cases.
    reruns: u32,
    result: CheckResult,
    unobserved: Unobserved,
}

/// The tallies of every unit, and the results of the units already finished.
struct Tallies {
    units: Vec<Tally>,
    finished: Vec<CheckResult>,
}

/// What every case of the run shares.
pub(crate) struct Work<'a> {
    pub(crate) scenarios: &'a [PlannedScenario],
    pub(crate) plan: &'a Plan,
    pub(crate) canons: &'a BTreeMap<(usize, usize), Canons>,
    pub(crate) seed: u64,
    pub(crate) concurrency: usize,
    /// How the (opt-in) fuzz check runs.
    pub(crate) fuzz: &'a FuzzSettings,
    /// `--max-failures`: the run stops early once it has this many failing findings.
    pub(crate) max_failures: Option<u32>,
}

/// Runs every case, at most `--concurrency` cases and cleanups at a time, in the order of the
/// [`Schedule`]: hands findings to `findings` and emits check results as they complete;
/// returns the results.
pub(crate) async fn run_cases(
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
    let steps = unit_steps(work);
    let lengths: Vec<usize> = units.iter().map(|&unit| steps[unit]).collect();
    let mut schedule = Schedule::new(&groups(work, &jobs), &units, &lengths, work.concurrency);
    // What each finished case created, until its cleanup starts.
    let mut created: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < work.concurrency.max(1) {
            let Some(task) = schedule.next() else { break };
            running.push(start(ctx, work, &jobs, task, &mut created));
        }
        let Some(done) = running.next().await else {
            break;
        };
        match done {
            Done::Case(position, mut outcome) => {
                let owned = std::mem::take(&mut outcome.owned);
                schedule.case_done(position, owned.len());
                if !owned.is_empty() {
                    created.insert(position, owned);
                }
                record(
                    ctx,
                    &mut tallies,
                    outcome,
                    findings,
                    work.max_failures,
                    sink,
                );
            }
            Done::Cleaned(position) => schedule.cleanup_done(position),
        }
    }
    debug_assert!(schedule.finished(), "every case and cleanup ran");
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

/// A task that ended.
enum Done {
    /// The case at this position of the job list, and what it produced.
    Case(usize, CaseOutcome),
    /// The cleanup after the case at this position.
    Cleaned(usize),
}

/// Stops the run early once it has `max` failing findings (`--max-failures`).
fn stop_at_max_failures(ctx: &RunContext, max: Option<u32>, failing: u32) {
    if let Some(max) = max.filter(|max| failing >= *max) {
        ctx.stop_early(format!(
            "--max-failures {max} reached ({failing} failing finding(s))"
        ));
    }
}

/// The future of one task of the schedule.
fn start<'a>(
    ctx: &'a RunContext,
    work: &'a Work<'a>,
    jobs: &[Job],
    task: Task,
    created: &mut BTreeMap<usize, Vec<String>>,
) -> futures::future::LocalBoxFuture<'a, Done> {
    match task {
        Task::Case(position) => {
            let job = jobs[position];
            Box::pin(async move { Done::Case(position, run_job(ctx, work, job).await) })
        }
        Task::CleanUp(position) => {
            let urls = created.remove(&position).unwrap_or_default();
            let scenario = work.plan.units[jobs[position].unit].scenario;
            Box::pin(async move {
                clean_up_case(ctx, work, scenario, &urls).await;
                Done::Cleaned(position)
            })
        }
    }
}

/// The group of each job: jobs on the same collection (the same URL, whatever scenario file or
/// resource name describes it) are one group, numbered in plan order. The URL is built once
/// per unit, not per job (a run may plan a million cases).
fn groups(work: &Work<'_>, jobs: &[Job]) -> Vec<usize> {
    let mut keys: Vec<String> = Vec::new();
    let group_of_unit: Vec<usize> = work
        .plan
        .units
        .iter()
        .map(|unit| {
            let planned = &work.scenarios[unit.scenario];
            let key = planned
                .target
                .url(&planned.scenario.resources[unit.resource].collection);
            match keys.iter().position(|known| *known == key) {
                Some(group) => group,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            }
        })
        .collect();
    jobs.iter().map(|job| group_of_unit[job.unit]).collect()
}

/// How long a case of each unit is, roughly: the steps of its `--dry-run` outline (a step is
/// one to a few requests in a row). Only orders the cases of a batch, longest first.
fn unit_steps(work: &Work<'_>) -> Vec<usize> {
    work.plan
        .units
        .iter()
        .map(|unit| {
            dry_run::outline_of(unit, &work.scenarios[unit.scenario])
                .lines()
                .count()
        })
        .collect()
}

/// Counts a finished case into its unit's tally and the findings, and emits the unit's result
/// when it was the unit's last case.
fn record(
    ctx: &RunContext,
    tallies: &mut Tallies,
    outcome: CaseOutcome,
    findings: &mut Aggregator<'_>,
    max_failures: Option<u32>,
    sink: &dyn EventSink,
) {
    let tally = &mut tallies.units[outcome.unit];
    let requests = ctx.requests.load(std::sync::atomic::Ordering::Relaxed);
    record_outcome(tally, &outcome, requests, sink);
    findings.add_case(outcome.findings, || ctx.now(), sink);
    stop_at_max_failures(ctx, max_failures, findings.failing());
    if tally.remaining == 0 {
        let result = finish(tally, ctx);
        sink.emit(Event::CheckFinished(Box::new(result.clone())));
        tallies.finished.push(result);
    }
}

/// Deletes what a finished case created (its batch is over); after an interruption the
/// end-of-run cleanup does it instead.
async fn clean_up_case(ctx: &RunContext, work: &Work<'_>, scenario: usize, urls: &[String]) {
    if ctx.cancel.is_cancelled() {
        return;
    }
    let planned = &work.scenarios[scenario];
    let versions = cleanup::VersionMembers::of([&planned.scenario]);
    cleanup::clean_case(ctx, &planned.target, &versions, urls).await;
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
        inconclusive: Vec::new(),
        unobserved: Unobserved::default(),
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
        Some(CaseError::Inconclusive(reason)) => {
            result.cases_inconclusive += 1;
            if tally.inconclusive.len() < MAX_ERROR_LINES && !tally.inconclusive.contains(reason) {
                tally.inconclusive.push(reason.clone());
            }
        }
        Some(error) => {
            result.cases_errored += 1;
            if result.case_errors.len() < MAX_ERROR_LINES {
                result.case_errors.push(error.to_string());
            }
        }
        None => {
            result.cases_run += 1;
            tally.unobserved.add(outcome.unobserved.clone());
        }
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
    } else if result.cases_run == 0 && result.cases_inconclusive > 0 {
        result.status = CheckStatus::Inconclusive {
            reason: tally.inconclusive.join("; "),
        };
    } else if result.cases_run == 0 {
        let reason = result.case_errors.first().cloned().unwrap_or_else(|| {
            if tally.out_of_time > 0 {
                format!("{} before any case ran", ctx.why_stopping())
            } else {
                "no case could run".into()
            }
        });
        result.status = CheckStatus::Errored { reason };
    } else if result.cases_inconclusive > 0 {
        result.notes.push(format!(
            "{} of {} case(s) inconclusive, so judged on the others: {}",
            result.cases_inconclusive,
            result.cases_run + result.cases_inconclusive,
            tally.inconclusive.join("; ")
        ));
    }
    tally.unobserved.apply(&mut result);
    result
}

async fn run_job(ctx: &RunContext, work: &Work<'_>, job: Job) -> CaseOutcome {
    let stopped = |error, owned| CaseOutcome {
        unit: job.unit,
        findings: Vec::new(),
        error: Some(error),
        owned,
        unobserved: Vec::new(),
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
        let target = &planned.target;
        let attempt = (job.number, reruns.done);
        let parent = ParentCase::create(ctx, target, resource, attempt, this_case_seed).await;
        let child = match ParentCase::resource_of(parent.as_ref(), resource) {
            Ok(child) => child,
            Err(error) => {
                let parent = parent.as_ref();
                owned.extend(parent.map(ParentCase::owned_urls).unwrap_or_default());
                let case_tag = parent.map(ParentCase::case_tag).unwrap_or_default();
                if reruns.again(&error, &case_tag, ctx.cancel.is_cancelled()) {
                    continue;
                }
                return CaseOutcome {
                    reruns: reruns.done,
                    ..stopped(error, owned)
                };
            }
        };
        let mut session = Session::attempt(ctx, target, &child, job.number, reruns.done);
        if let Some(parent) = parent {
            session.continue_after(parent);
        }
        let verdict = judge_case(ctx, work, unit, &mut session, case, this_case_seed).await;
        owned.extend(session.owned_urls());
        let case_tag = session.case_tag().to_string();
        let notices = session.take_notices();
        let unobserved = session.take_unobserved();
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
            Ok(Judged {
                violations,
                unobserved: judged_nothing,
            }) => {
                let failing = violations.iter().any(|v| v.severity >= Severity::Warning);
                findings.extend(
                    violations
                        .into_iter()
                        .map(|v| to_finding(unit, &path, job.case, v, exchanges.clone())),
                );
                // A check whose only observation is the collection judged nothing in a case
                // that could not observe it.
                judged_nothing
                    .or_else(|| unobserved::inconclusive_reason(unit.check(), &unobserved))
                    .filter(|_| !failing)
                    .map(CaseError::Inconclusive)
            }
            Err(error) => Some(error),
        };
        return CaseOutcome {
            unit: job.unit,
            findings,
            error,
            owned,
            unobserved,
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
) -> Result<Judged, CaseError> {
    let planned = &work.scenarios[unit.scenario];
    let resource = &planned.scenario.resources[unit.resource];
    let mut generator = BodyGenerator::new(case_seed);
    // Every planned resource has canons; the declared ignore list alone is the safe default.
    let canons = match work.canons.get(&(unit.scenario, unit.resource)) {
        Some(canons) => std::borrow::Cow::Borrowed(canons),
        None => {
            let declared = crate::snapshot::canonical::Canon::declared(resource);
            std::borrow::Cow::Owned(Canons {
                full: declared.clone(),
                declared,
                fuzz_cross: None,
                fit: Default::default(),
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
            None => Ok(Judged::default()),
        },
        UnitKind::Script(index) => {
            let script = &planned.scenario.scripts[index];
            match script::execute(session, script).await {
                Ok(record) => Ok(Judged::observed(script::judge(
                    &record,
                    script,
                    &canons.full,
                ))),
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
