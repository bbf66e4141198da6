//! What the fit probe's facts do before the cases: a unit whose check needs an observation the
//! API cannot give ([`crate::checks::fit::Need`]) is judged `inconclusive` with the reason and
//! never runs, and each probed resource's block goes into the report.

use std::collections::BTreeMap;

use crate::checks::check::Canons;
use crate::checks::table;
use crate::model::fit::FitReport;
use crate::model::report::{CheckResult, CheckStatus};
use crate::runner::plan::{Plan, PlannedScenario, UnitKind};

/// The fit probe's block of every probed resource, in plan order.
pub(crate) fn fit_reports(
    scenarios: &[PlannedScenario],
    canons: &BTreeMap<(usize, usize), Canons>,
) -> Vec<FitReport> {
    canons
        .iter()
        .filter(|(_, canons)| !canons.fit.lines.is_empty())
        .map(|((s, r), canons)| FitReport {
            scenario: scenarios[*s].scenario.path.display().to_string(),
            resource: scenarios[*s].scenario.resources[*r].name.clone(),
            lines: canons.fit.lines.clone(),
        })
        .collect()
}

/// The plan without the units whose needs the API cannot meet, and their results.
pub(crate) fn split(
    mut plan: Plan,
    scenarios: &[PlannedScenario],
    canons: &BTreeMap<(usize, usize), Canons>,
) -> (Plan, Vec<CheckResult>) {
    let mut unfit = Vec::new();
    plan.units.retain(|unit| {
        let UnitKind::Check(id) = unit.kind else {
            return true;
        };
        let (Some(check), Some(canons)) =
            (table::find(id), canons.get(&(unit.scenario, unit.resource)))
        else {
            return true;
        };
        let resource = &scenarios[unit.scenario].scenario.resources[unit.resource];
        let Some(reason) = canons.fit.unmet(&check.needs(resource)) else {
            return true;
        };
        let scenario = scenarios[unit.scenario].scenario.path.display().to_string();
        unfit.push(CheckResult {
            notes: unit.notes.clone(),
            ..CheckResult::new(
                id,
                &unit.label,
                &scenario,
                CheckStatus::Inconclusive { reason },
            )
        });
        false
    });
    (plan, unfit)
}
