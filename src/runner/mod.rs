//! The runner: executes the plan through a transport and returns the run's result data.
//! It never prints; it emits [`events::Event`]s to a sink and returns a [`RunReport`].

mod aggregate;
pub mod auth;
mod batch;
pub mod cleanup;
pub mod context;
pub mod dry_run;
pub mod events;
mod execute;
pub mod plan;
pub mod probe;
pub mod registry;
mod schedule;
pub mod session;
pub mod shard;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::baseline::BaselineOptions;
use crate::checks::dispatch::Canons;
use crate::checks::fuzz::cross_canon;
use crate::findings::Severity;
use crate::fuzz::FuzzSettings;
use crate::http::transport::Transport;
use crate::report::model::{
    CheckResult, CheckStatus, REPORT_FORMAT_VERSION, RunOutcome, RunReport, RunStats,
    VolatileFields,
};
use crate::snapshot::canonical::Canon;
use aggregate::Aggregator;
use context::RunContext;
use events::{Event, EventSink};
use plan::{Plan, PlannedScenario, Selection};
use session::Session;

/// How to run, validated by the caller.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub seed: u64,
    /// Cases per check and resource.
    pub cases: u32,
    /// Cases in flight at once.
    pub concurrency: usize,
    pub selection: Selection,
    pub fail_on: Severity,
    /// Run-unique tag inside every created id.
    pub run_id: String,
    /// How the (opt-in) fuzz check runs.
    pub fuzz: FuzzSettings,
    /// `--shard`: run only this slice of the plan.
    pub shard: Option<shard::Shard>,
    /// `--baseline` / `--write-baseline`: how findings are marked.
    pub baseline: BaselineOptions,
}

/// Runs every scenario against its target and returns the report. Cancelling `cancel` (Ctrl-C)
/// stops the run early; cleanup and the report still happen.
pub async fn run(
    scenarios: &[PlannedScenario],
    settings: &RunSettings,
    transport: Arc<dyn Transport>,
    sink: &dyn EventSink,
    cancel: CancellationToken,
) -> RunReport {
    let started = Instant::now();
    let ctx = RunContext::new(transport, settings.run_id.clone(), cancel)
        .with_fuzz(settings.fuzz.clone());
    let plan = planned_work(scenarios, settings);
    let mut findings = Aggregator::new(&settings.baseline, settings.fail_on);
    sink.emit(Event::RunStarted {
        seed: settings.seed,
        run_id: settings.run_id.clone(),
        base_url: base_urls(scenarios),
        units: plan.units.len(),
        cases: plan.total_cases(),
        time_budget_ms: settings
            .fuzz
            .time_budget
            .filter(|_| {
                plan.units
                    .iter()
                    .any(|u| u.check() == crate::checks::CheckId::Fuzz)
            })
            .map(|budget| u64::try_from(budget.as_millis()).unwrap_or(u64::MAX)),
    });
    let mut report = empty_report(scenarios, settings, &plan);
    for skipped in &report.results {
        sink.emit(Event::CheckFinished(Box::new(skipped.clone())));
    }
    let ready = match auth::prepare(scenarios, &ctx.cancel).await {
        Ok(()) => probe::reachability(&ctx, scenarios).await,
        Err(reason) => Err(reason),
    };
    match ready {
        Err(reason) => report.outcome = RunOutcome::CannotTest { reason },
        Ok(()) => {
            let (canons, volatile) = detect_volatile(&ctx, scenarios, &plan, settings, sink).await;
            report.volatile = volatile;
            let work = execute::Work {
                scenarios,
                plan: &plan,
                canons: &canons,
                seed: settings.seed,
                concurrency: settings.concurrency,
            };
            let results = execute::run_cases(&ctx, &work, &mut findings, sink).await;
            report.results.extend(results);
            report.outcome = outcome(&ctx);
        }
    }
    let (found, first_failure) = findings.finish();
    report.findings = found;
    finish(&ctx, scenarios, &mut report, sink).await;
    report.stats.first_failure = first_failure;
    compare_with_baseline(&mut report, settings, scenarios, &plan);
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    sink.emit(Event::RunFinished(Box::new(report.clone())));
    report
}

/// The plan of this run: every check × resource and script, reduced to `--shard` if given.
/// Pure; `--dry-run` prints the same plan.
pub fn planned_work(scenarios: &[PlannedScenario], settings: &RunSettings) -> Plan {
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
                crate::baseline::scenario_file_name(&path).to_string(),
                unit.label.clone(),
                unit.check(),
            )
        })
        .collect();
    report.baseline = crate::baseline::summarise(&settings.baseline, report, &complete);
}

/// Cleanup, ordering and counters: the last steps of every run, whatever happened before.
async fn finish(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
    report: &mut RunReport,
    sink: &dyn EventSink,
) {
    let owned = ctx.registry.not_deleted();
    sink.emit(Event::CleanupStarted {
        resources: owned.len(),
    });
    let targets: Vec<_> = scenarios.iter().map(|s| s.target.clone()).collect();
    report.cleanup = cleanup::clean_up(ctx.transport.as_ref(), owned, &targets).await;
    report.cleanup.deleted_after_cases = ctx.registry.cleaned_after_cases();
    report.cleanup.deleted = report
        .cleanup
        .deleted
        .saturating_add(report.cleanup.deleted_after_cases);
    report
        .cleanup
        .left_behind
        .extend(ctx.registry.unproven().into_iter().map(cleanup::unproven));
    sink.emit(Event::CleanupFinished(report.cleanup.clone()));
    report
        .results
        .sort_by(|a, b| result_order(a).cmp(&result_order(b)));
    report.findings.sort_by_cached_key(|f| {
        (
            f.resource.clone(),
            f.check,
            std::cmp::Reverse(f.severity),
            f.title.clone(),
            f.fingerprint(),
            f.scenario.clone(),
        )
    });
    report.stats = RunStats {
        requests: ctx.requests.load(Ordering::Relaxed),
        transport_errors: ctx.transport_errors.load(Ordering::Relaxed),
        throttled: ctx.transport.throttled(),
        first_failure: None,
    };
}

/// Results read in file order: resources by name with their checks in check order, then scripts.
fn result_order(result: &CheckResult) -> (&str, bool, &str, crate::checks::CheckId) {
    (
        &result.scenario,
        result.check == crate::checks::CheckId::Script,
        &result.resource,
        result.check,
    )
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
        None => RunOutcome::Completed,
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
pub fn strip_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_string()
        }
        _ => url.to_string(),
    }
}

/// Detects volatile fields of every resource some unit uses, and builds its canons (with the
/// fuzz check's per-instance fields where it runs). The resources are probed side by side (at
/// most `concurrency` at once), then what the probes created is deleted, before any case
/// starts; events and the report's list follow the plan's order whatever order the probes end.
async fn detect_volatile(
    ctx: &RunContext,
    scenarios: &[PlannedScenario],
    plan: &Plan,
    settings: &RunSettings,
    sink: &dyn EventSink,
) -> (BTreeMap<(usize, usize), Canons>, Vec<VolatileFields>) {
    // Every resource the plan uses, and whether the fuzz check runs on it.
    let mut used: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    for unit in &plan.units {
        *used.entry((unit.scenario, unit.resource)).or_default() |=
            unit.check() == crate::checks::CheckId::Fuzz;
    }
    let mut probe_number = plan.total_cases();
    let probes: Vec<Probe> = used
        .into_iter()
        .map(|((s, r), fuzzed)| {
            let resource = &scenarios[s].scenario.resources[r];
            let probed = resource.detect_volatile || fuzzed;
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
            let target = &scenarios[probe.at.0].target;
            async move { cleanup::clean_case(ctx, target, created).await }
        })
        .await;
    let mut canons = BTreeMap::new();
    let mut volatile = Vec::new();
    for (probe, measured, _) in measured {
        let resource = &scenarios[probe.at.0].scenario.resources[probe.at.1];
        let declared = Canon::with_ignore(resource.ignore.clone());
        let mut full = declared.clone();
        let pointers = measured.volatile;
        if !pointers.is_empty() {
            full.ignore.extend(probe::patterns(&pointers));
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
    let mut session = Session::new(ctx, &planned.target, resource, number);
    let measured = probe::measure(&mut session, resource, seed, probe.fuzzed).await;
    let created = session.owned_urls();
    (probe, measured, created)
}
