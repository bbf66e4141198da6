//! `--dry-run`: the plan of a run as text — per scenario file, each check × resource (or
//! script) with its cases, each case's seed and the request outline of one case, then the
//! skipped checks with their reasons. Pure: nothing is sent, the caller prints the text.

use std::fmt::Write as _;

use crate::checks::outline::Outline;
use crate::checks::{script, table};
use crate::runner::plan::{Plan, PlannedScenario, Unit, UnitKind, case_seed};
use crate::runner::{RunSettings, strip_credentials};

/// The dry-run text of `plan` (already reduced to `settings.shard`).
pub(crate) fn render(scenarios: &[PlannedScenario], settings: &RunSettings, plan: &Plan) -> String {
    let mut out = String::from("dry run: nothing is sent\n");
    let shard = settings
        .shard
        .map_or_else(String::new, |shard| format!(" · shard {shard}"));
    let _ = writeln!(
        out,
        "seed {} · {} case(s) per check{shard} · {} check(s) to run, {} case(s), {} skipped",
        settings.seed,
        settings.cases,
        plan.units.len(),
        plan.total_cases(),
        plan.skipped.len()
    );
    out.push_str(
        "before its first write, every fresh id is read once (GET) and must not exist; a case hit by a transient fault runs again on fresh ids (docs/safety.md)\n",
    );
    for (index, planned) in scenarios.iter().enumerate() {
        out.push_str(&render_scenario(index, planned, settings.seed, plan));
    }
    out
}

fn render_scenario(index: usize, planned: &PlannedScenario, seed: u64, plan: &Plan) -> String {
    let path = planned.scenario.path.display().to_string();
    let mut out = format!(
        "\n{path} → {}\n",
        strip_credentials(&planned.target.base_url)
    );
    for resource in &planned.scenario.resources {
        if let Some(parent) = &resource.parent {
            let _ = writeln!(
                out,
                "  {}: each case first creates its own `{}` ({} below is its id), and deletes it after its {}",
                resource.name, parent.resource.name, parent.placeholder, resource.name
            );
        }
        if let Some(listing) = resource.listing.describe(&resource.collection) {
            let _ = writeln!(
                out,
                "  {}: {listing} (`GET {}` below stands for it)",
                resource.name, resource.collection
            );
        }
    }
    for unit in plan.units.iter().filter(|u| u.scenario == index) {
        out.push_str(&render_unit(unit, planned, &path, seed));
    }
    for skip in plan.skipped.iter().filter(|s| s.scenario == index) {
        let _ = writeln!(
            out,
            "  {} · {}: skipped — {}",
            skip.check, skip.resource, skip.reason
        );
    }
    out
}

fn render_unit(unit: &Unit, planned: &PlannedScenario, path: &str, seed: u64) -> String {
    let mut out = format!(
        "  {} · {}: {} of {} case(s)\n",
        unit.check(),
        unit.label,
        unit.case_count(),
        unit.cases
    );
    let cases: Vec<String> = unit
        .case_indices()
        .into_iter()
        .map(|case| format!("{} (seed {})", case + 1, case_seed(seed, unit, path, case)))
        .collect();
    let _ = writeln!(out, "    cases: {}", cases.join(", "));
    for note in &unit.notes {
        let _ = writeln!(out, "    note: {note}");
    }
    let steps = outline_of(unit, planned);
    for (n, step) in steps.lines().enumerate() {
        let _ = writeln!(out, "    {}. {step}", n + 1);
    }
    out
}

/// The request outline of one case of `unit` (what `--dry-run` prints; the runner also orders a
/// batch's cases by its length).
pub(crate) fn outline_of(unit: &Unit, planned: &PlannedScenario) -> Outline {
    match unit.kind {
        UnitKind::Check(check) => planned
            .scenario
            .resources
            .get(unit.resource)
            .zip(table::find(check))
            .map(|(resource, check)| check.outline(resource, planned.target.proxied))
            .unwrap_or_default(),
        UnitKind::Script(index) => planned
            .scenario
            .scripts
            .get(index)
            .map(script::outline)
            .unwrap_or_default(),
    }
}
