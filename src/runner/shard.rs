//! `--shard i/n`: a deterministic slice of the plan, so a large suite splits across CI jobs.
//!
//! Every case of the full plan (scenario × resource × check × case) gets a stable key hash;
//! the cases are ordered by that hash and dealt round-robin to the `n` shards. So the slice is
//! independent of timing and concurrency, the shards differ in size by at most one case, each
//! shard mixes cheap and expensive checks, and the union of shards `1..=n` is the full plan with
//! every case exactly once. A skipped check (nothing to run) is listed by exactly one shard.

use crate::model::shard::Shard;
use crate::runner::plan::{Plan, PlannedScenario, Unit};

impl Shard {
    /// True when the item of rank `rank` (0-based, in hash order) belongs to this shard.
    fn owns_rank(self, rank: usize) -> bool {
        rank % self.count as usize == (self.index - 1) as usize
    }

    /// True when an item of key hash `hash` belongs to this shard (for items dealt alone).
    fn owns_hash(self, hash: u64) -> bool {
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// The plan reduced to `shard`: each unit keeps the cases dealt to this shard (in
/// [`Unit::only_cases`]); units left with no case are dropped, as are skips owned by another
/// shard.
pub(crate) fn apply(mut plan: Plan, scenarios: &[PlannedScenario], shard: Shard) -> Plan {
    let mut keyed: Vec<(u64, usize, u32)> = plan
        .units
        .iter()
        .enumerate()
        .flat_map(|(u, unit)| {
            let file = file_name(scenarios, unit.scenario);
            (0..unit.cases).map(move |case| (case_key(&file, unit, case), u, case))
        })
        .collect();
    keyed.sort_unstable();
    let mut mine: Vec<Vec<u32>> = vec![Vec::new(); plan.units.len()];
    for (rank, (_, unit, case)) in keyed.into_iter().enumerate() {
        if shard.owns_rank(rank) {
            mine[unit].push(case);
        }
    }
    plan.units = plan
        .units
        .into_iter()
        .zip(mine)
        .filter(|(_, cases)| !cases.is_empty())
        .map(|(unit, mut cases)| {
            cases.sort_unstable();
            Unit {
                only_cases: Some(cases),
                ..unit
            }
        })
        .collect();
    plan.skipped.retain(|skip| {
        let file = file_name(scenarios, skip.scenario);
        shard.owns_hash(hash([&file, &skip.resource, skip.check.name()]))
    });
    plan
}

/// The scenario file's name without directories (so shards agree whatever the working
/// directory).
fn file_name(scenarios: &[PlannedScenario], index: usize) -> String {
    scenarios.get(index).map_or_else(String::new, |planned| {
        let path = &planned.scenario.path;
        path.file_name().map_or_else(
            || path.display().to_string(),
            |name| name.to_string_lossy().into(),
        )
    })
}

/// The stable key of one case.
fn case_key(file: &str, unit: &Unit, case: u32) -> u64 {
    hash([file, &unit.label, unit.check().name(), &case.to_string()])
}

/// FNV-1a over the parts, each followed by a separator byte, then a final mix.
fn hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check::CheckId;
    use crate::runner::plan::{Skip, UnitKind};

    fn unit(label: &str, check: CheckId, cases: u32) -> Unit {
        Unit {
            scenario: 0,
            resource: 0,
            kind: UnitKind::Check(check),
            label: label.into(),
            cases,
            notes: Vec::new(),
            only_cases: None,
        }
    }

    fn plan() -> Plan {
        let mut units = Vec::new();
        for label in ["things", "lamps", "devices"] {
            for check in crate::model::check::BUILT_IN {
                units.push(unit(label, check, 3));
            }
        }
        let skipped = ["a", "b", "c", "d", "e"]
            .into_iter()
            .map(|resource| Skip {
                scenario: 0,
                check: CheckId::RepeatDelete,
                resource: resource.into(),
                reason: "no DELETE".into(),
            })
            .collect();
        Plan { units, skipped }
    }

    /// (label, check, case) of every case a plan runs.
    fn cases(plan: &Plan) -> Vec<(String, CheckId, u32)> {
        plan.units
            .iter()
            .flat_map(|u| {
                u.case_indices()
                    .into_iter()
                    .map(|c| (u.label.clone(), u.check(), c))
            })
            .collect()
    }

    #[test]
    fn shards_partition_the_plan_and_are_balanced() {
        let full = plan();
        let mut all = cases(&full);
        all.sort();
        for count in 1..=5 {
            let mut union = Vec::new();
            let mut skips = Vec::new();
            let mut sizes = Vec::new();
            for index in 1..=count {
                let part = apply(full.clone(), &[], Shard { index, count });
                sizes.push(part.total_cases());
                assert!(part.units.iter().all(|u| u.only_cases.is_some()));
                union.extend(cases(&part));
                skips.extend(part.skipped.into_iter().map(|s| s.resource));
            }
            union.sort();
            assert_eq!(union, all, "{count} shards cover every case exactly once");
            skips.sort();
            assert_eq!(skips, ["a", "b", "c", "d", "e"], "{count} shards");
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            assert!(
                max.zip(min).is_some_and(|(max, min)| max - min <= 1),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn a_shard_is_the_same_every_time() {
        let shard = Shard { index: 2, count: 3 };
        assert_eq!(
            cases(&apply(plan(), &[], shard)),
            cases(&apply(plan(), &[], shard))
        );
    }
}
