//! The runner: executes the plan through a transport and returns the run's result data.
//! It never prints; it emits [`Event`]s to a sink and returns a [`RunReport`].

mod aggregate;

mod batch;
pub(crate) mod cleanup;

pub(crate) mod dry_run;
mod execute;
mod fit;
pub(crate) mod leftovers;
pub(crate) mod plan;
pub(crate) mod probe;
pub(crate) mod recover;
mod schedule;

pub(crate) mod shard;
mod unfit;
mod unobserved;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::checks::check::Canons;
use crate::checks::fuzz::cross_canon;
use crate::fuzz::FuzzSettings;
use crate::http::transport::Transport;
use crate::model::baseline::BaselineOptions;
use crate::model::events::{Event, EventSink};
use crate::model::findings::Severity;
use crate::model::report::{
    CheckResult, CheckStatus, LeftBehind, REPORT_FORMAT_VERSION, RunOutcome, RunReport, RunStats,
    VolatileFields,
};
use crate::scenario::pointer;
use crate::session::context::RunContext;
use crate::session::journal::Journal;
use crate::snapshot::canonical::Canon;
use aggregate::Aggregator;
use plan::{Plan, PlannedScenario, Selection};

/// How to run, validated by the caller.
#[derive(Debug, Clone)]
pub(crate) struct RunSettings {
    pub(crate) seed: u64,
    /// Cases per check and resource.
    pub(crate) cases: u32,
    /// Cases in flight at once.
    pub(crate) concurrency: usize,
    pub(crate) selection: Selection,
    pub(crate) fail_on: Severity,
    /// Run-unique tag inside every created id.
    pub(crate) run_id: String,
    /// How the (opt-in) fuzz check runs.
    pub(crate) fuzz: FuzzSettings,
    /// `--shard`: run only this slice of the plan.
    pub(crate) shard: Option<crate::model::shard::Shard>,
    /// `--baseline` / `--write-baseline`: how findings are marked.
    pub(crate) baseline: BaselineOptions,
    /// `--max-failures`, `--time-budget`: when the run stops early on its own.
    pub(crate) limits: RunLimits,
    /// Where the run's ledger file goes (`--ledger-dir`); `None` keeps the account in memory
    /// only (`demo`, whose API ends with the run).
    pub(crate) ledger_dir: Option<std::path::PathBuf>,
}

/// When a run stops early on its own. Either way no new case starts, the cases in flight
/// finish, cleanup runs and the report says why ([`RunOutcome::Stopped`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RunLimits {
    /// Stop once the run has this many failing findings (as the report counts them).
    pub(crate) max_failures: Option<u32>,
    /// Stop starting cases (and shrinking fuzz failures) once this much time has passed.
    pub(crate) time_budget: Option<Duration>,
}

/// Runs every scenario against its target and returns the report. Cancelling `cancel` (Ctrl-C)
/// stops the run early; cleanup and the report still happen.
pub(crate) async fn run(
    scenarios: &[PlannedScenario],
    settings: &RunSettings,
    transport: Arc<dyn Transport>,
    sink: &dyn EventSink,
    cancel: CancellationToken,
) -> RunReport {
    let started = Instant::now();
    let marker = crate::session::marker::text(&settings.run_id);
    let marked = leftovers::mark(scenarios, &marker);
    let scenarios = marked.as_slice();
    let start = leftovers::start(&settings.run_id, scenarios, &marker);
    let (journal, no_ledger) = match leftovers::open_journal(settings.ledger_dir.as_deref(), start)
    {
        Ok(journal) => (journal, None),
        Err(reason) => (Journal::in_memory(), Some(reason)),
    };
    let ctx = RunContext::new(transport, settings.run_id.clone(), cancel)
        .with_time_budget(settings.limits.time_budget)
        .with_journal(journal);
    let plan = planned_work(scenarios, settings);
    let mut findings = Aggregator::new(&settings.baseline, settings.fail_on);
    sink.emit(Event::RunStarted {
        seed: settings.seed,
        run_id: settings.run_id.clone(),
        base_url: base_urls(scenarios),
        units: plan.units.len(),
        cases: plan.total_cases(),
        time_budget_ms: settings
            .limits
            .time_budget
            .map(|budget| u64::try_from(budget.as_millis()).unwrap_or(u64::MAX)),
    });
    let mut report = empty_report(scenarios, settings, &plan);
    for skipped in &report.results {
        sink.emit(Event::CheckFinished(Box::new(skipped.clone())));
    }
    let ready = match (
        no_ledger,
        crate::session::auth::prepare(scenarios.iter().map(|p| &p.target), &ctx.cancel).await,
    ) {
        (Some(reason), _) => Err(format!("{reason}; nothing was sent")),
        (None, Ok(())) => probe::reachability(&ctx, scenarios).await,
        (None, Err(err)) => Err(err.to_string()),
    };
    match ready {
        Err(reason) => report.outcome = RunOutcome::CannotTest { reason },
        Ok(()) => {
            let (canons, volatile) = detect_volatile(&ctx, scenarios, &plan, settings, sink).await;
            report.volatile = volatile;
            report.fit = unfit::fit_reports(scenarios, &canons);
            let (plan, unfit) = unfit::split(plan.clone(), scenarios, &canons);
            for result in &unfit {
                sink.emit(Event::CheckFinished(Box::new(result.clone())));
            }
            report.results.extend(unfit);
            let work = execute::Work {
                scenarios,
                plan: &plan,
                canons: &canons,
                seed: settings.seed,
                concurrency: settings.concurrency,
                fuzz: &settings.fuzz,
                max_failures: settings.limits.max_failures,
            };
            let results = execute::run_cases(&ctx, &work, &mut findings, sink).await;
            report.results.extend(results);
            report.outcome = outcome(&ctx);
        }
    }
    let (found, first_failure) = findings.finish();
    report.findings = found;
    finish(&ctx, scenarios, &marker, &mut report, sink).await;
    report.stats.first_failure = first_failure;
    compare_with_baseline(&mut report, settings, scenarios, &plan);
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    sink.emit(Event::RunFinished(Box::new(report.clone())));
    report
}

/// The plan of this run: every check × resource and script, reduced to `--shard` if given.
/// Pure; `--dry-run` prints the same plan.
pub(crate) fn planned_work(scenarios: &[PlannedScenario], settings: &RunSettings) -> Plan {
    let plan = plan::build(
        scenarios,
        &settings.selection,
        settings.cases,
        &settings.fuzz,
    );
    match settings.shard {
        Some(slice) => shard::apply(plan, scenarios, slice),
        None => plan,
    }
}

/// Adds the baseline summary (the [`Aggregator`] already marked every finding).
fn compare_with_baseline(
    report: &mut RunReport,
    settings: &RunSettings,
    scenarios: &[PlannedScenario],
    plan: &Plan,
) {
    let complete = plan
        .units
        .iter()
        .filter(|unit| unit.case_count() == unit.cases)
        .map(|unit| {
            let path = scenarios[unit.scenario].scenario.path.display().to_string();
            (
                crate::model::baseline::scenario_file_name(&path).to_string(),
                unit.label.clone(),
                unit.check(),
            )
        })
        .collect();
    report.baseline = crate::model::baseline::summarise(&settings.baseline, report, &complete);
}

/// Cleanup, ordering and counters: the last steps of every run, whatever happened before.
async fn finish(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
    marker: &str,
    report: &mut RunReport,
    sink: &dyn EventSink,
) {
    // Only what was written may exist: a fresh id never sent anything is not deleted.
    let owned: Vec<_> = ctx
        .registry
        .not_deleted()
        .into_iter()
        .filter(|owned| ctx.journal.may_exist(&owned.url))
        .collect();
    sink.emit(Event::CleanupStarted {
        resources: owned.len(),
    });
    let targets: Vec<_> = scenarios.iter().map(|s| s.target.clone()).collect();
    let versions = cleanup::VersionMembers::of(scenarios.iter().map(|s| &s.scenario));
    report.cleanup = cleanup::clean_up(
        ctx.transport.as_ref(),
        &ctx.registry,
        owned,
        &targets,
        &versions,
        &ctx.journal,
    )
    .await;
    report.cleanup.deleted_after_cases = ctx.registry.cleaned_after_cases();
    report.cleanup.deleted = report
        .cleanup
        .deleted
        .saturating_add(report.cleanup.deleted_after_cases);
    let unadopted = ctx
        .registry
        .unadopted()
        .into_iter()
        .map(|(url, reason)| LeftBehind { url, reason })
        .collect();
    let lost = leftovers::search(ctx, scenarios, marker, ctx.registry.unproven(), unadopted).await;
    let cleaned_up_left = report.cleanup.left_behind.clone();
    for left in lost {
        if !cleaned_up_left.iter().any(|l| l.url == left.url) {
            report.cleanup.left_behind.push(left);
        }
    }
    ctx.journal.end(report.cleanup.left_behind.len());
    sink.emit(Event::CleanupFinished(report.cleanup.clone()));
    report.sort_for_reading();
    report.stats = RunStats {
        requests: ctx.requests.load(Ordering::Relaxed),
        transport_errors: ctx.transport_errors.load(Ordering::Relaxed),
        throttled: ctx.transport.throttled(),
        first_failure: None,
    };
}

fn outcome(ctx: &RunContext) -> RunOutcome {
    if let Some(reason) = ctx.cannot_test() {
        return RunOutcome::CannotTest {
            reason: reason.to_owned(),
        };
    }
    match ctx.target_down() {
        Some(reason) => RunOutcome::CannotTest {
            reason: format!("the target stopped answering: {reason}"),
        },
        None if ctx.cancel.is_cancelled() => RunOutcome::Interrupted,
        None => match ctx.early_stop() {
            Some(reason) => RunOutcome::Stopped { reason },
            None => RunOutcome::Completed,
        },
    }
}

/// The report before anything ran: skipped checks are already known.
fn empty_report(scenarios: &[PlannedScenario], settings: &RunSettings, plan: &Plan) -> RunReport {
    RunReport {
        format_version: REPORT_FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: settings.seed,
        run_id: settings.run_id.clone(),
        base_url: base_urls(scenarios),
        scenarios: scenarios
            .iter()
            .map(|s| s.scenario.path.display().to_string())
            .collect(),
        fail_on: settings.fail_on,
        outcome: RunOutcome::Completed,
        duration_ms: 0,
        results: plan
            .skipped
            .iter()
            .map(|skip| {
                CheckResult::new(
                    skip.check,
                    &skip.resource,
                    &scenarios[skip.scenario].scenario.path.display().to_string(),
                    CheckStatus::Skipped {
                        reason: skip.reason.clone(),
                    },
                )
            })
            .collect(),
        findings: Vec::new(),
        volatile: Vec::new(),
        fit: Vec::new(),
        cleanup: Default::default(),
        stats: Default::default(),
        shard: settings.shard,
        baseline: None,
    }
}

/// Distinct base URLs, credentials removed.
fn base_urls(scenarios: &[PlannedScenario]) -> String {
    let mut urls: Vec<String> = scenarios
        .iter()
        .map(|s| strip_credentials(&s.target.base_url))
        .collect();
    urls.dedup();
    urls.join(", ")
}

/// `https://user:pass@host/x` → `https://host/x`.
pub(crate) fn strip_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_string()
        }
        _ => url.to_string(),
    }
}

/// Probes every resource some unit uses — the fit probe where a built-in check runs, the
/// volatile fields where the scenario asks, the fuzz check's per-instance fields where it runs
/// — and builds its canons, which carry what was measured. The resources are probed side by
/// side (at most `concurrency` at once), then what the probes created is deleted, before any
/// case starts; events and the report's list follow the plan's order whatever order the probes
/// end.
async fn detect_volatile(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
    plan: &Plan,
    settings: &RunSettings,
    sink: &dyn EventSink,
) -> (BTreeMap<(usize, usize), Canons>, Vec<VolatileFields>) {
    // Every resource the plan uses: whether a built-in check runs on it (then the fit probe
    // does), and whether the fuzz check does.
    let mut used: BTreeMap<(usize, usize), (bool, bool)> = BTreeMap::new();
    for unit in &plan.units {
        let (checked, fuzzed) = used.entry((unit.scenario, unit.resource)).or_default();
        *checked |= unit.check() != crate::model::check::CheckId::Script;
        *fuzzed |= unit.check() == crate::model::check::CheckId::Fuzz;
    }
    let mut probe_number = plan.total_cases();
    let probes: Vec<Probe> = used
        .into_iter()
        .map(|((s, r), (checked, fuzzed))| {
            let resource = &scenarios[s].scenario.resources[r];
            let probed = checked || resource.detect_volatile;
            // Numbered in plan order, so probe ids do not depend on which probe ends first.
            probe_number += u64::from(probed);
            Probe {
                at: (s, r),
                fuzzed,
                number: probed.then_some(probe_number),
            }
        })
        .collect();
    let measured: Vec<(Probe, probe::Measured, Vec<String>)> = futures::stream::iter(probes)
        .map(|probe| measure_one(ctx, scenarios, settings.seed, probe))
        .buffered(settings.concurrency.max(1))
        .collect()
        .await;
    futures::stream::iter(&measured)
        .for_each_concurrent(settings.concurrency.max(1), |(probe, _, created)| {
            let planned = &scenarios[probe.at.0];
            let versions = cleanup::VersionMembers::of([&planned.scenario]);
            async move { cleanup::clean_case(ctx, &planned.target, &versions, created).await }
        })
        .await;
    let mut canons = BTreeMap::new();
    let mut volatile = Vec::new();
    for (probe, measured, _) in measured {
        let resource = &scenarios[probe.at.0].scenario.resources[probe.at.1];
        let declared = Canon::declared(resource);
        let mut full = declared.clone();
        let fit = measured.fit;
        let pointers = measured.volatile;
        if !pointers.is_empty() {
            full.ignore.extend(pointer::patterns(&pointers));
            sink.emit(Event::VolatileDetected {
                resource: resource.name.clone(),
                pointers: pointers.clone(),
            });
            volatile.push(VolatileFields {
                resource: resource.name.clone(),
                pointers,
            });
        }
        let fuzz_cross = measured
            .per_instance
            .map(|fields| cross_canon(&full, &fields));
        canons.insert(
            probe.at,
            Canons {
                declared,
                full,
                fuzz_cross,
                fit,
            },
        );
    }
    (canons, volatile)
}

/// One resource to probe before the cases: (scenario, resource), whether the fuzz check runs
/// on it, and the case number of its probe (none when nothing is measured).
struct Probe {
    at: (usize, usize),
    fuzzed: bool,
    number: Option<u64>,
}

/// Measures one resource; returns what the probe created, for the cleanup.
async fn measure_one(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
    seed: u64,
    probe: Probe,
) -> (Probe, probe::Measured, Vec<String>) {
    let Some(number) = probe.number else {
        return (probe, probe::Measured::default(), Vec::new());
    };
    let planned = &scenarios[probe.at.0];
    let resource = &planned.scenario.resources[probe.at.1];
    let (measured, created) =
        probe::measure(ctx, &planned.target, resource, seed, probe.fuzzed, number).await;
    (probe, measured, created)
}
