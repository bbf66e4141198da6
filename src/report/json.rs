//! The JSON report: the run's [`RunReport`] plus, per finding, its curl reproduction.
//!
//! The schema is documented in `docs/report-format.md` and versioned by
//! [`REPORT_FORMAT_VERSION`]. Field order is fixed by the view structs below (not by a map), so
//! the output is byte-stable for a given report.

use std::io::{self, Write};

use serde::Serialize;

use super::Reporter;
use super::curl::finding_repro;
use crate::model::baseline::BaselineSummary;
use crate::model::events::Event;
use crate::model::findings::{Finding, Severity};
use crate::model::fit::FitReport;
use crate::model::report::{
    CheckResult, CleanupReport, REPORT_FORMAT_VERSION, RunOutcome, RunReport, RunStats,
    VolatileFields,
};
use crate::model::shard::Shard;

/// The serialised shape of a report: every field of [`RunReport`], findings with `repro`.
#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    tool_version: &'a str,
    seed: u64,
    run_id: &'a str,
    base_url: &'a str,
    scenarios: &'a [String],
    fail_on: Severity,
    outcome: &'a RunOutcome,
    duration_ms: u64,
    results: &'a [CheckResult],
    findings: Vec<JsonFinding<'a>>,
    volatile: &'a [VolatileFields],
    fit: &'a [FitReport],
    cleanup: &'a CleanupReport,
    stats: &'a RunStats,
    shard: Option<Shard>,
    baseline: &'a Option<BaselineSummary>,
}

/// A finding as serialised: its own fields, then `fingerprint` and `repro`.
#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// `SCENARIO:RESOURCE:CHECK:RULE`, as baseline files list it ([`Finding::fingerprint`]).
    fingerprint: String,
    /// The curl reproduction script ([`finding_repro`]).
    repro: String,
}

impl<'a> JsonReport<'a> {
    /// The view of `report`. Destructuring is exhaustive on purpose: a field added to
    /// [`RunReport`] fails to compile here until it is added to the JSON (and the docs).
    fn new(report: &'a RunReport) -> Self {
        let RunReport {
            format_version: _,
            tool_version,
            seed,
            run_id,
            base_url,
            scenarios,
            fail_on,
            outcome,
            duration_ms,
            results,
            findings,
            volatile,
            fit,
            cleanup,
            stats,
            shard,
            baseline,
        } = report;
        JsonReport {
            format_version: REPORT_FORMAT_VERSION,
            tool_version,
            seed: *seed,
            run_id,
            base_url,
            scenarios,
            fail_on: *fail_on,
            outcome,
            duration_ms: *duration_ms,
            results,
            findings: findings.iter().map(JsonFinding::new).collect(),
            volatile,
            fit,
            cleanup,
            stats,
            shard: *shard,
            baseline,
        }
    }
}

impl<'a> JsonFinding<'a> {
    fn new(finding: &'a Finding) -> Self {
        JsonFinding {
            finding,
            fingerprint: finding.fingerprint(),
            repro: finding_repro(finding),
        }
    }
}

/// The pretty-printed JSON report (no trailing newline).
pub(crate) fn render_json(report: &RunReport) -> String {
    // Serialising plain structs, string-keyed maps and `serde_json::Value`s cannot fail.
    serde_json::to_string_pretty(&JsonReport::new(report)).expect("the JSON report serialises")
}

/// Writes the JSON report to `W` when the run finishes; ignores every other event.
pub(crate) struct JsonReporter<W: Write> {
    out: W,
}

impl<W: Write> JsonReporter<W> {
    /// A reporter writing to `out`.
    pub(crate) fn new(out: W) -> Self {
        Self { out }
    }

    /// Gives the writer back.
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> Reporter for JsonReporter<W> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        if let Event::RunFinished(report) = event {
            self.out.write_all(render_json(report).as_bytes())?;
            self.out.write_all(b"\n")?;
            self.out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture;

    #[test]
    fn json_report_snapshot() {
        insta::assert_snapshot!(render_json(&fixture::sample_report()));
    }

    #[test]
    fn round_trips_into_the_model() {
        let report = fixture::sample_report();
        let parsed: RunReport =
            serde_json::from_str(&render_json(&report)).expect("the JSON parses as a RunReport");
        assert_eq!(parsed, report);
    }

    #[test]
    fn every_finding_carries_its_repro() {
        let report = fixture::sample_report();
        let value: serde_json::Value =
            serde_json::from_str(&render_json(&report)).expect("valid JSON");
        let repro = value["findings"][0]["repro"]
            .as_str()
            .expect("repro is a string");
        assert!(repro.starts_with("#!/bin/sh\n"));
        assert_eq!(value["format_version"], REPORT_FORMAT_VERSION);
    }

    #[test]
    fn reporter_writes_only_on_run_finished() {
        let mut reporter = JsonReporter::new(Vec::new());
        for event in fixture::sample_events() {
            reporter
                .on_event(&event)
                .expect("writing to a Vec cannot fail");
        }
        let out = String::from_utf8(reporter.into_inner()).expect("UTF-8");
        assert_eq!(out, render_json(&fixture::sample_report()) + "\n");
    }
}
