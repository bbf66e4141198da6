//! `idemfuzz merge`: the JSON reports of the shards of one run (`--shard I/N`, every `I` of one
//! `N`) combined into the report of the whole plan, as one unsharded run would have given it:
//! result rows split across shards are added up and judged again, a rule broken in several
//! shards is one finding (its lowest case kept, occurrences added up), counters are summed,
//! and the outcome is the worst of the shards'. Reports that cannot be parts of one run —
//! another report format, another tool version, seed, scenario list or `--fail-on`, another
//! baseline file, overlapping or missing shards — are refused with the reason.

use std::collections::BTreeMap;

use crate::model::baseline::{BaselineEntry, BaselineSummary};
use crate::model::cause;
use crate::model::events::{Event, EventSink};
use crate::model::findings::{BaselineMark, Finding};
use crate::model::fit::FitReport;
use crate::model::report::{
    CheckResult, CheckStatus, CleanupReport, REPORT_FORMAT_VERSION, RunOutcome, RunReport,
    RunStats, VolatileFields,
};
use crate::model::shard::Shard;

/// One report to merge, with the name it is known by (its file).
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) report: RunReport,
}

/// Why reports cannot be merged (a usage error: nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("no report to merge")]
    Nothing,
    #[error("{name}: not a JSON report of idemfuzz: {reason}")]
    NotAReport { name: String, reason: String },
    #[error(
        "{name}: report format_version {found}; this idemfuzz reads {expected} (merge with the idemfuzz version that wrote it)"
    )]
    FormatVersion {
        name: String,
        found: String,
        expected: u32,
    },
    #[error(
        "{first} and {other} are not shards of one run: their {what} differ ({first_value} and {other_value})"
    )]
    Mismatch {
        what: &'static str,
        first: String,
        first_value: String,
        other: String,
        other_value: String,
    },
    #[error(
        "{name} is the report of a whole run (no --shard); merge takes the reports of one run's shards"
    )]
    NotAShard { name: String },
    #[error("{first} and {other} are both shard {shard}: a shard can be merged once")]
    Overlap {
        shard: Shard,
        first: String,
        other: String,
    },
    #[error(
        "shard(s) {missing} of {count} missing: merge needs the report of every shard (got {got})"
    )]
    Missing {
        missing: String,
        count: u32,
        got: String,
    },
}

/// Reads one JSON report. A report of another `format_version` is refused before its fields
/// are read: they may mean something else.
pub(crate) fn parse(name: &str, text: &str) -> Result<RunReport, MergeError> {
    let not_a_report = |reason: String| MergeError::NotAReport {
        name: name.to_owned(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| not_a_report(err.to_string()))?;
    let version = &value["format_version"];
    if version.as_u64() != Some(u64::from(REPORT_FORMAT_VERSION)) {
        return Err(MergeError::FormatVersion {
            name: name.to_owned(),
            found: version.to_string(),
            expected: REPORT_FORMAT_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|err| not_a_report(err.to_string()))
}

/// The report of the whole run from the reports of its shards (or a single whole report, which
/// is returned as it is).
pub(crate) fn merge(mut parts: Vec<Part>) -> Result<RunReport, MergeError> {
    if let [single] = parts.as_slice()
        && single.report.shard.is_none()
    {
        return Ok(single.report.clone());
    }
    check_same_run(&parts)?;
    check_shards(&parts)?;
    parts.sort_by_key(|part| part.report.shard.map(|s| s.index));
    let reports: Vec<RunReport> = parts.into_iter().map(|part| part.report).collect();
    let mut merged = combine(reports).ok_or(MergeError::Nothing)?;
    merged.sort_for_reading();
    Ok(merged)
}

/// The fields every shard of one run shares.
fn check_same_run(parts: &[Part]) -> Result<(), MergeError> {
    let Some(first) = parts.first() else {
        return Ok(());
    };
    let identity = |r: &RunReport| -> [(&'static str, String); 5] {
        [
            ("tool versions", r.tool_version.clone()),
            ("seeds", r.seed.to_string()),
            ("scenario files", r.scenarios.join(", ")),
            ("--fail-on levels", r.fail_on.as_str().to_owned()),
            (
                "--baseline files",
                r.baseline
                    .as_ref()
                    .and_then(|b| b.compared_with.clone())
                    .unwrap_or_else(|| "none".to_owned()),
            ),
        ]
    };
    let expected = identity(&first.report);
    for part in &parts[1..] {
        let found = identity(&part.report);
        if let Some(((what, first_value), (_, other_value))) =
            expected.iter().zip(&found).find(|(a, b)| a.1 != b.1)
        {
            return Err(MergeError::Mismatch {
                what,
                first: first.name.clone(),
                first_value: first_value.clone(),
                other: part.name.clone(),
                other_value: other_value.clone(),
            });
        }
    }
    Ok(())
}

/// Every part is a shard of the same count, each index once, none missing.
fn check_shards(parts: &[Part]) -> Result<(), MergeError> {
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    let mut count = None;
    for part in parts {
        let shard = part.report.shard.ok_or_else(|| MergeError::NotAShard {
            name: part.name.clone(),
        })?;
        let (first_name, first_count) = *count.get_or_insert((part.name.as_str(), shard.count));
        if shard.count != first_count {
            return Err(MergeError::Mismatch {
                what: "shard counts",
                first: first_name.to_owned(),
                first_value: format!("of {first_count}"),
                other: part.name.clone(),
                other_value: format!("of {}", shard.count),
            });
        }
        if let Some(first) = seen.insert(shard.index, &part.name) {
            return Err(MergeError::Overlap {
                shard,
                first: first.to_owned(),
                other: part.name.clone(),
            });
        }
    }
    let count = count.map_or(0, |(_, count)| count);
    let missing: Vec<String> = (1..=count)
        .filter(|index| !seen.contains_key(index))
        .map(|index| index.to_string())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(MergeError::Missing {
        missing: missing.join(", "),
        count,
        got: seen
            .keys()
            .map(|index| format!("{index}/{count}"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The combined report of shard reports known to belong together, in shard order; `None`
/// without any.
fn combine(reports: Vec<RunReport>) -> Option<RunReport> {
    let template = reports.first()?.clone();
    let mut merged = RunReport {
        run_id: joined(reports.iter().map(|r| r.run_id.as_str()), ","),
        base_url: joined(reports.iter().map(|r| r.base_url.as_str()), ", "),
        outcome: outcome(&reports),
        duration_ms: reports.iter().map(|r| r.duration_ms).max().unwrap_or(0),
        results: Vec::new(),
        findings: Vec::new(),
        volatile: Vec::new(),
        fit: Vec::new(),
        cleanup: CleanupReport::default(),
        stats: RunStats::default(),
        shard: None,
        baseline: None,
        ..template
    };
    let summaries: Vec<BaselineSummary> =
        reports.iter().filter_map(|r| r.baseline.clone()).collect();
    let entries = reports
        .iter()
        .find_map(|r| Some(entries_in_file(r.baseline.as_ref()?, &r.findings)))
        .unwrap_or(0);
    for report in reports {
        add_results(&mut merged.results, report.results);
        add_findings(&mut merged.findings, report.findings);
        add_volatile(&mut merged.volatile, report.volatile);
        add_fit(&mut merged.fit, report.fit);
        add_cleanup(&mut merged.cleanup, report.cleanup);
        add_stats(&mut merged.stats, report.stats);
    }
    // Shards that ran different checks of one cause each reported a finding of it.
    merged.findings = cause::group(std::mem::take(&mut merged.findings));
    merged.baseline = baseline(&summaries, entries, &merged.findings);
    Some(merged)
}

/// The distinct values, in order, joined by `separator`.
fn joined<'a>(values: impl Iterator<Item = &'a str>, separator: &str) -> String {
    let mut distinct: Vec<&str> = Vec::new();
    for value in values {
        if !distinct.contains(&value) {
            distinct.push(value);
        }
    }
    distinct.join(separator)
}

/// The worst outcome of the shards: cannot test, then interrupted, then stopped early; the
/// reason says which shard.
fn outcome(reports: &[RunReport]) -> RunOutcome {
    let with_shard = |report: &RunReport, reason: &str| match report.shard {
        Some(shard) => format!("shard {shard}: {reason}"),
        None => reason.to_owned(),
    };
    let first = |wanted: fn(&RunOutcome) -> Option<&str>| {
        reports
            .iter()
            .find_map(|r| wanted(&r.outcome).map(|reason| with_shard(r, reason)))
    };
    if let Some(reason) = first(|o| match o {
        RunOutcome::CannotTest { reason } => Some(reason),
        _ => None,
    }) {
        return RunOutcome::CannotTest { reason };
    }
    if reports.iter().any(|r| r.outcome == RunOutcome::Interrupted) {
        return RunOutcome::Interrupted;
    }
    match first(|o| match o {
        RunOutcome::Stopped { reason } => Some(reason),
        _ => None,
    }) {
        Some(reason) => RunOutcome::Stopped { reason },
        None => RunOutcome::Completed,
    }
}

/// Adds a shard's rows: a check × resource split across shards becomes one row.
fn add_results(merged: &mut Vec<CheckResult>, results: Vec<CheckResult>) {
    for result in results {
        let same = |r: &&mut CheckResult| {
            (&r.scenario, r.check, &r.resource)
                == (&result.scenario, result.check, &result.resource)
        };
        match merged.iter_mut().find(same) {
            Some(row) => add_row(row, result),
            None => merged.push(CheckResult {
                case_numbers: Vec::new(),
                ..result
            }),
        }
    }
}

/// Adds `other` (the same check × resource in another shard) to `row` and judges it again as
/// one unsharded row would be judged.
fn add_row(row: &mut CheckResult, other: CheckResult) {
    row.cases_run += other.cases_run;
    row.cases_errored += other.cases_errored;
    row.cases_inconclusive += other.cases_inconclusive;
    row.errors += other.errors;
    row.warnings += other.warnings;
    row.infos += other.infos;
    row.duration_ms = row.duration_ms.saturating_add(other.duration_ms);
    for line in other.case_errors {
        if !row.case_errors.contains(&line) {
            row.case_errors.push(line);
        }
    }
    for note in other.notes {
        if !row.notes.contains(&note) {
            row.notes.push(note);
        }
    }
    row.status = match (&row.status, &other.status) {
        (CheckStatus::Skipped { .. }, _) => return,
        (CheckStatus::Interrupted, _) | (_, CheckStatus::Interrupted) => CheckStatus::Interrupted,
        _ if row.errors + row.warnings > 0 => CheckStatus::Failed,
        (CheckStatus::Errored { reason }, _) | (_, CheckStatus::Errored { reason })
            if row.cases_run == 0 =>
        {
            CheckStatus::Errored {
                reason: reason.clone(),
            }
        }
        (CheckStatus::Inconclusive { reason }, _) | (_, CheckStatus::Inconclusive { reason })
            if row.cases_run == 0 =>
        {
            CheckStatus::Inconclusive {
                reason: reason.clone(),
            }
        }
        _ => CheckStatus::Passed,
    };
}

/// Emits the events a run with this result would have emitted, in a run's order, so that every
/// reporter renders a merged report as it renders a run.
pub(crate) fn replay(report: &RunReport, sink: &dyn EventSink) {
    sink.emit(Event::RunStarted {
        seed: report.seed,
        run_id: report.run_id.clone(),
        base_url: report.base_url.clone(),
        units: report.results.len(),
        cases: report
            .results
            .iter()
            .map(|r| u64::from(r.cases_run + r.cases_errored + r.cases_inconclusive))
            .sum(),
        time_budget_ms: None,
    });
    for volatile in &report.volatile {
        sink.emit(Event::VolatileDetected {
            resource: volatile.resource.clone(),
            pointers: volatile.pointers.clone(),
        });
    }
    for finding in &report.findings {
        sink.emit(Event::Finding(Box::new(finding.clone())));
    }
    for result in &report.results {
        sink.emit(Event::CheckFinished(Box::new(result.clone())));
    }
    sink.emit(Event::CleanupFinished(report.cleanup.clone()));
    sink.emit(Event::RunFinished(Box::new(report.clone())));
}

/// Adds a shard's findings: one finding per scenario file, fingerprint and severity.
fn add_findings(merged: &mut Vec<Finding>, findings: Vec<Finding>) {
    for finding in findings {
        let key = (
            finding.scenario.clone(),
            finding.fingerprint(),
            finding.severity,
        );
        let same = |f: &&mut Finding| {
            (&f.scenario, f.fingerprint(), f.severity) == (&key.0, key.1.clone(), key.2)
        };
        match merged.iter_mut().find(same) {
            Some(kept) => kept.absorb(finding),
            None => merged.push(finding),
        }
    }
}

/// Each resource's fit block once (every shard probes every resource it runs; the first
/// shard's block is kept).
fn add_fit(merged: &mut Vec<FitReport>, fit: Vec<FitReport>) {
    for block in fit {
        let known = merged
            .iter()
            .any(|kept| (&kept.scenario, &kept.resource) == (&block.scenario, &block.resource));
        if !known {
            merged.push(block);
        }
    }
}

fn add_volatile(merged: &mut Vec<VolatileFields>, volatile: Vec<VolatileFields>) {
    for fields in volatile {
        match merged.iter_mut().find(|v| v.resource == fields.resource) {
            Some(kept) => {
                for pointer in fields.pointers {
                    if !kept.pointers.contains(&pointer) {
                        kept.pointers.push(pointer);
                    }
                }
            }
            None => merged.push(fields),
        }
    }
}

fn add_cleanup(merged: &mut CleanupReport, cleanup: CleanupReport) {
    merged.deleted = merged.deleted.saturating_add(cleanup.deleted);
    merged.deleted_after_cases = merged
        .deleted_after_cases
        .saturating_add(cleanup.deleted_after_cases);
    merged.left_behind.extend(cleanup.left_behind);
}

/// Counters add up; the first failure is the earliest of the shards' (each counted from its
/// own start: the shards run side by side).
fn add_stats(merged: &mut RunStats, stats: RunStats) {
    merged.requests = merged.requests.saturating_add(stats.requests);
    merged.transport_errors = merged
        .transport_errors
        .saturating_add(stats.transport_errors);
    merged.throttled = merged.throttled.saturating_add(stats.throttled);
    merged.first_failure = match (merged.first_failure, stats.first_failure) {
        (Some(a), Some(b)) => Some(if b.elapsed_ms < a.elapsed_ms { b } else { a }),
        (a, b) => a.or(b),
    };
}

/// The baseline summary of the merged findings. Known and new are counted again; an entry is
/// fixed when a shard that ran its check completely proved it (and no shard found it); the
/// entries neither found nor fixed are the rest of the file. An entry whose check was split
/// across shards is never proven fixed: it stays not checked.
fn baseline(
    summaries: &[BaselineSummary],
    entries_in_file: u32,
    findings: &[Finding],
) -> Option<BaselineSummary> {
    let first = summaries.first()?;
    let count = |mark: BaselineMark| {
        let n = findings.iter().filter(|f| f.baseline == Some(mark)).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let found: Vec<String> = findings.iter().flat_map(Finding::fingerprints).collect();
    let mut fixed: Vec<BaselineEntry> = Vec::new();
    for entry in summaries.iter().flat_map(|s| &s.fixed) {
        let listed = fixed.iter().any(|e| e.fingerprint == entry.fingerprint);
        if !listed && !found.contains(&entry.fingerprint) {
            fixed.push(entry.clone());
        }
    }
    let accounted = known_fingerprints(findings) + u32::try_from(fixed.len()).unwrap_or(u32::MAX);
    Some(BaselineSummary {
        compared_with: first.compared_with.clone(),
        written_to: first.written_to.clone(),
        known: count(BaselineMark::Known),
        new: count(BaselineMark::New),
        recorded: count(BaselineMark::Recorded),
        fixed,
        not_checked: entries_in_file.saturating_sub(accounted),
    })
}

/// The entries of the baseline file a shard compared with: each is found (a known finding),
/// fixed or not checked there.
fn entries_in_file(summary: &BaselineSummary, findings: &[Finding]) -> u32 {
    let fixed = u32::try_from(summary.fixed.len()).unwrap_or(u32::MAX);
    summary.not_checked + fixed + known_fingerprints(findings)
}

/// The distinct fingerprints of the findings a baseline knows.
fn known_fingerprints(findings: &[Finding]) -> u32 {
    let mut fingerprints: Vec<String> = findings
        .iter()
        .filter(|f| f.baseline == Some(BaselineMark::Known))
        .map(Finding::fingerprint)
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    u32::try_from(fingerprints.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture::sample_report;
    use crate::report::json::render_json;

    /// Shard `index` of 2 of the sample run: shard 1 ran case 1 of every row and found the
    /// repeat-put error there; shard 2 ran case 2 and found it again.
    fn shard(index: u32) -> Part {
        let mut report = sample_report();
        report.shard = Some(Shard { index, count: 2 });
        report.run_id = format!("run{index}");
        for result in &mut report.results {
            result.case_numbers = vec![index];
        }
        for finding in &mut report.findings {
            (finding.case, finding.occurrences) = (index, 1);
            finding.other_cases.clear();
        }
        if index == 2 {
            report.findings.truncate(1);
            report
                .results
                .retain(|r| !matches!(r.status, CheckStatus::Skipped { .. }));
            report.stats.first_failure = None;
        }
        Part {
            name: format!("shard-{index}.json"),
            report,
        }
    }

    #[test]
    fn a_json_report_reads_back_as_it_was_written() {
        let report = sample_report();
        assert_eq!(parse("r.json", &render_json(&report)), Ok(report));
        let older = render_json(&sample_report()).replacen(
            "\"format_version\": 2",
            "\"format_version\": 0",
            1,
        );
        assert!(matches!(
            parse("old.json", &older),
            Err(MergeError::FormatVersion { .. })
        ));
        assert!(matches!(
            parse("x.json", "{"),
            Err(MergeError::NotAReport { .. })
        ));
    }

    #[test]
    fn shards_add_up_to_one_report() {
        let one = shard(1).report;
        let merged = merge(vec![shard(2), shard(1)]).expect("two halves");
        assert_eq!(merged.shard, None);
        assert_eq!(merged.run_id, "run1,run2");
        assert_eq!(
            merged.results.len(),
            one.results.len(),
            "one row per check × resource"
        );
        let repeat_put = &merged.results[0];
        assert_eq!(
            (repeat_put.cases_run, repeat_put.errors),
            (one.results[0].cases_run * 2, one.results[0].errors * 2)
        );
        assert!(merged.results.iter().all(|r| r.case_numbers.is_empty()));
        let finding = &merged.findings[0];
        assert_eq!(
            (finding.case, finding.occurrences, &finding.other_cases),
            (1, 2, &vec![2])
        );
        assert_eq!(merged.findings.len(), one.findings.len());
        assert_eq!(merged.stats.requests, one.stats.requests * 2);
        assert_eq!(merged.stats.first_failure, one.stats.first_failure);
        assert_eq!(merged.cleanup.left_behind.len(), 2);
        assert_eq!(merged.volatile, one.volatile);
    }

    #[test]
    fn rows_are_judged_again_as_one() {
        let mut a = shard(1);
        let mut b = shard(2);
        let errored = CheckStatus::Errored {
            reason: "every case hit a transport error".into(),
        };
        for part in [&mut a, &mut b] {
            let row = &mut part.report.results[0];
            (row.errors, row.warnings, row.cases_run) = (0, 0, 0);
            row.status = errored.clone();
        }
        b.report.results[0].cases_run = 1;
        b.report.results[0].status = CheckStatus::Passed;
        let merged = merge(vec![a.clone(), b]).expect("merge");
        assert_eq!(
            merged.results[0].status,
            CheckStatus::Passed,
            "a case ran somewhere"
        );
        let mut c = shard(2);
        c.report.results[0].status = errored.clone();
        (c.report.results[0].cases_run, c.report.results[0].errors) = (0, 0);
        let merged = merge(vec![a, c]).expect("merge");
        assert_eq!(merged.results[0].status, errored, "no case ran anywhere");
    }

    #[test]
    fn the_worst_outcome_wins_and_says_which_shard() {
        let mut a = shard(1);
        let mut b = shard(2);
        b.report.outcome = RunOutcome::CannotTest {
            reason: "connection refused".into(),
        };
        a.report.outcome = RunOutcome::Interrupted;
        let merged = merge(vec![a, b]).expect("merge");
        assert_eq!(
            merged.outcome,
            RunOutcome::CannotTest {
                reason: "shard 2/2: connection refused".into()
            }
        );
    }

    #[test]
    fn reports_of_different_runs_are_refused() {
        let mut other_seed = shard(2);
        other_seed.report.seed = 7;
        let err = merge(vec![shard(1), other_seed]).expect_err("seeds");
        assert_eq!(
            err.to_string(),
            "shard-1.json and shard-2.json are not shards of one run: their seeds differ (42 and 7)"
        );
        let err = merge(vec![shard(1), shard(1)]).expect_err("overlap");
        assert!(matches!(err, MergeError::Overlap { .. }), "{err}");
        let err = merge(vec![shard(2)]).expect_err("missing");
        assert_eq!(
            err.to_string(),
            "shard(s) 1 of 2 missing: merge needs the report of every shard (got 2/2)"
        );
        let whole = Part {
            name: "whole.json".into(),
            report: sample_report(),
        };
        assert!(matches!(
            merge(vec![shard(1), whole.clone()]),
            Err(MergeError::NotAShard { .. })
        ));
        assert_eq!(
            merge(vec![whole]),
            Ok(sample_report()),
            "one whole report is itself"
        );
        assert_eq!(merge(Vec::new()), Err(MergeError::Nothing));
        let mut three = shard(2);
        three.report.shard = Some(Shard { index: 2, count: 3 });
        assert!(matches!(
            merge(vec![shard(1), three]),
            Err(MergeError::Mismatch {
                what: "shard counts",
                ..
            })
        ));
    }
}
