//! The plan of a run, computed before anything is sent: which check runs on which resource
//! (and how many cases), which are skipped and why, and each case's seed. Pure and deterministic.

use crate::checks::table::CHECKS;
use crate::fuzz::FuzzSettings;
use crate::model::check::CheckId;
use crate::scenario::Scenario;
use crate::session::context::ResolvedTarget;

/// One scenario file with its resolved target.
#[derive(Debug, Clone)]
pub struct PlannedScenario {
    pub(crate) scenario: Scenario,
    pub(crate) target: ResolvedTarget,
}

/// What a unit runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    Check(CheckId),
    /// Index into the scenario's scripts.
    Script(usize),
}

/// A check on a resource (or a script), with its cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub(crate) scenario: usize,
    pub(crate) resource: usize,
    pub(crate) kind: UnitKind,
    /// Resource name, or script name.
    pub(crate) label: String,
    pub(crate) cases: u32,
    /// Notes on parts that do not run.
    pub(crate) notes: Vec<String>,
    /// With `--shard`: the case indices (0-based, ascending) this shard runs; `None` runs
    /// every case `0..cases`.
    pub(crate) only_cases: Option<Vec<u32>>,
}

impl Unit {
    pub(crate) fn check(&self) -> CheckId {
        match self.kind {
            UnitKind::Check(check) => check,
            UnitKind::Script(_) => CheckId::Script,
        }
    }

    /// The case indices this run executes (0-based, ascending).
    pub(crate) fn case_indices(&self) -> Vec<u32> {
        self.only_cases
            .clone()
            .unwrap_or_else(|| (0..self.cases).collect())
    }

    /// The number of cases this run executes.
    pub(crate) fn case_count(&self) -> u32 {
        self.only_cases
            .as_ref()
            .map_or(self.cases, |cases| cases.len() as u32)
    }
}

/// A check that cannot run on a resource, and why. (Checks the user deselected with
/// `--checks` / `--skip-checks` are not planned at all and not listed.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skip {
    pub(crate) scenario: usize,
    pub(crate) check: CheckId,
    pub(crate) resource: String,
    pub(crate) reason: String,
}

/// Everything the runner will do.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) units: Vec<Unit>,
    pub(crate) skipped: Vec<Skip>,
}

impl Plan {
    /// Total cases across units.
    pub(crate) fn total_cases(&self) -> u64 {
        self.units.iter().map(|u| u64::from(u.case_count())).sum()
    }
}

/// Which checks and resources the user selected (`--checks` / `--skip-checks`,
/// `--resources`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    pub(crate) only: Option<Vec<CheckId>>,
    pub(crate) skip: Vec<CheckId>,
    /// `--resources`: only these resources (and the scripts written for them); `None`: all.
    pub(crate) resources: Option<Vec<String>>,
}

impl Selection {
    #[cfg(test)]
    pub(crate) fn all() -> Selection {
        Selection {
            only: None,
            skip: Vec::new(),
            resources: None,
        }
    }

    /// True when the user's selection keeps the resource.
    pub(crate) fn includes_resource(&self, name: &str) -> bool {
        self.resources
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }

    /// True when the user's selection keeps the check (scripts are the check `script`).
    /// Opt-in checks (fuzz) run only when named in `only`.
    pub(crate) fn includes(&self, check: CheckId) -> bool {
        let listed = |only: &Vec<CheckId>| only.contains(&check);
        let selected = match &self.only {
            Some(only) => listed(only),
            None => !check.is_opt_in(),
        };
        selected && !self.skip.contains(&check)
    }
}

/// Builds the plan: every built-in check on every resource, then the scripts. The fuzz check's
/// cases are the saved failures of the resource (replayed first) and the generated ones.
pub(crate) fn build(
    scenarios: &[PlannedScenario],
    selection: &Selection,
    cases: u32,
    fuzz: &FuzzSettings,
) -> Plan {
    let mut plan = Plan {
        units: Vec::new(),
        skipped: Vec::new(),
    };
    for (s, planned) in scenarios.iter().enumerate() {
        let resources = planned.scenario.resources.iter().enumerate();
        for (r, resource) in resources.filter(|(_, r)| selection.includes_resource(&r.name)) {
            for check in CHECKS.iter().filter(|c| selection.includes(c.id())) {
                let proxied = planned.target.proxied;
                match check.skip_reason(resource, proxied) {
                    Some(reason) => plan.skipped.push(Skip {
                        scenario: s,
                        check: check.id(),
                        resource: resource.name.clone(),
                        reason,
                    }),
                    None => {
                        let cases = match check.id() {
                            CheckId::Fuzz => fuzz_cases(fuzz, planned, &resource.name),
                            _ => cases.max(1),
                        };
                        if cases > 0 {
                            plan.units.push(Unit {
                                scenario: s,
                                resource: r,
                                kind: UnitKind::Check(check.id()),
                                label: resource.name.clone(),
                                cases,
                                notes: check.notes(resource, proxied),
                                only_cases: None,
                            });
                        }
                    }
                }
            }
        }
        let resources = &planned.scenario.resources;
        let scripts = planned
            .scenario
            .scripts
            .iter()
            .enumerate()
            .filter(|(_, script)| {
                selection.includes(CheckId::Script)
                    && selection.includes_resource(&resources[script.resource].name)
            });
        for (index, script) in scripts {
            plan.units.push(Unit {
                scenario: s,
                resource: script.resource,
                kind: UnitKind::Script(index),
                label: script.name.clone(),
                cases: 1,
                notes: Vec::new(),
                only_cases: None,
            });
        }
    }
    plan
}

/// Saved failures of the resource plus generated cases.
fn fuzz_cases(fuzz: &FuzzSettings, planned: &PlannedScenario, resource: &str) -> u32 {
    let path = planned.scenario.path.display().to_string();
    let replays = u32::try_from(fuzz.replays_for(&path, resource).len()).unwrap_or(u32::MAX);
    replays.saturating_add(fuzz.generated_cases)
}

/// The seed of one case: a stable mix of the run seed, the unit and the case index, so that
/// a case generates the same values whatever the concurrency or the order of completion.
pub(crate) fn case_seed(run_seed: u64, unit: &Unit, scenario_path: &str, case: u32) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let kind = match unit.kind {
        UnitKind::Check(check) => check.name().to_string(),
        UnitKind::Script(index) => format!("script {index}"),
    };
    for part in [scenario_path, &unit.label, &kind, &case.to_string()] {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    splitmix(run_seed ^ hash)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(label: &str) -> Unit {
        Unit {
            scenario: 0,
            resource: 0,
            kind: UnitKind::Check(CheckId::RepeatPut),
            label: label.into(),
            cases: 3,
            notes: Vec::new(),
            only_cases: None,
        }
    }

    #[test]
    fn case_seeds_are_stable_and_distinct() {
        let a = case_seed(42, &unit("things"), "s.toml", 0);
        assert_eq!(a, case_seed(42, &unit("things"), "s.toml", 0));
        assert_ne!(a, case_seed(42, &unit("things"), "s.toml", 1));
        assert_ne!(a, case_seed(43, &unit("things"), "s.toml", 0));
        assert_ne!(a, case_seed(42, &unit("lamps"), "s.toml", 0));
    }

    #[test]
    fn selection_keeps_only_and_drops_skip() {
        let selection = Selection {
            only: Some(vec![CheckId::RepeatPut, CheckId::GetSafety]),
            skip: vec![CheckId::GetSafety],
            resources: None,
        };
        assert!(selection.includes(CheckId::RepeatPut));
        assert!(!selection.includes(CheckId::GetSafety));
        assert!(!selection.includes(CheckId::Script));
        assert!(Selection::all().includes(CheckId::Script));
        assert!(!Selection::all().includes(CheckId::Fuzz), "fuzz is opt-in");
        let fuzz = Selection {
            only: Some(vec![CheckId::Fuzz]),
            skip: Vec::new(),
            resources: None,
        };
        assert!(fuzz.includes(CheckId::Fuzz) && !fuzz.includes(CheckId::RepeatPut));
    }
}
