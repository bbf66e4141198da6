//! The HTML report (`--report html:FILE`, `--format html`): one self-contained file — styles and
//! script inline, no external asset, a Content-Security-Policy that forbids every network
//! request — that works from a CI artifact. It holds the verdict and the run's facts, a summary
//! per resource, filters by severity, check and resource, and every finding with its request
//! timeline, side-by-side diff and curl script (with a copy button).
//!
//! [`render_html`] is pure; [`HtmlReporter`] writes it to the writer it was given when the run
//! finishes. Every string is escaped by the templates (`maud`); secrets are redacted in the
//! report data before any reporter sees it, as for every format.

mod finding;

use std::collections::BTreeSet;
use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Reporter;
use super::human::ordered;
use super::overview::{RowKind, groups, status_label, status_note};
use super::verdict::{Expectation, Tone, planted_bug_lines, verdict};
use crate::model::events::Event;
use crate::model::report::{CheckResult, RunOutcome, RunReport};

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// No network, no plugin, no frame: only the inline style and script of the file itself.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                   img-src data:; base-uri 'none'; form-action 'none'";

/// The whole HTML document of `report`.
pub(crate) fn render_html(report: &RunReport, expectation: &Expectation) -> String {
    let verdict = verdict(report, expectation);
    let tone = match verdict.tone {
        Tone::Pass => "pass",
        Tone::Fail => "fail",
        Tone::Neutral => "neutral",
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "idemfuzz report — " (verdict.headline) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    header {
                        h1 { "idemfuzz report" }
                        p class=(format!("verdict {tone}")) id="verdict" { (verdict.line()) }
                        (facts(report))
                    }
                    (summary(report, expectation))
                    (findings(report))
                    footer { "Written by idemfuzz " (report.tool_version) ". This file needs no network." }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string() + "\n"
}

/// The run's identity and counters.
fn facts(report: &RunReport) -> Markup {
    let outcome = match &report.outcome {
        RunOutcome::Completed => "completed".to_string(),
        RunOutcome::Interrupted => "interrupted (results so far)".to_string(),
        RunOutcome::Stopped { reason } => format!("stopped early — {reason}"),
        RunOutcome::CannotTest { reason } => format!("cannot test — {reason}"),
    };
    html! {
        table class="meta" {
            tr { th { "base URL" } td { code { (report.base_url) } } }
            tr { th { "scenario files" } td { (report.scenarios.join(", ")) } }
            tr { th { "run" } td { (outcome) } }
            tr { th { "seed" } td { (report.seed) " (re-run with " code { "--seed " (report.seed) } ")" } }
            tr { th { "run id" } td { code { (report.run_id) } } }
            tr { th { "fail on" } td { (report.fail_on.as_str()) } }
            tr { th { "requests" } td {
                (report.stats.requests) " sent, " (report.stats.transport_errors)
                " transport error(s), " (format!("{:.1}", report.duration_ms as f64 / 1000.0)) " s"
            } }
            tr { th { "cleanup" } td {
                "deleted " (report.cleanup.deleted) " run-owned resource(s); "
                (report.cleanup.left_behind.len()) " left behind"
            } }
            @if let Some(shard) = report.shard {
                tr { th { "shard" } td { (shard.to_string()) } }
            }
        }
    }
}

/// One row per resource, then every check × resource, the skips, cleanup and planted bugs.
fn summary(report: &RunReport, expectation: &Expectation) -> Markup {
    html! {
        section id="summary" {
            h2 { "Summary" }
            table class="summary" {
                thead { tr { th { "resource" } th { "failed" } th { "not judged" } th { "inconclusive" } th { "passed" } th { "skipped" } } }
                tbody {
                    @for group in groups(report) {
                        tr {
                            td { (group.label) }
                            td class="failed" { (group.named(RowKind::Failed).join(", ")) }
                            td class="notjudged" {
                                (group.named(RowKind::NotJudged).into_iter()
                                    .chain(group.named(RowKind::Interrupted)).collect::<Vec<_>>().join(", "))
                            }
                            td class="inconclusive" { (group.named(RowKind::Inconclusive).join(", ")) }
                            td class="passed" { (group.count(RowKind::Passed)) }
                            td class="skipped" { (group.count(RowKind::Skipped)) }
                        }
                    }
                }
            }
            @for block in report.fit.iter().filter(|block| block.disagrees()) {
                h4 { "Fit probe: " (block.resource) }
                ul class="fit" {
                    @for line in &block.lines {
                        li class=(if line.agrees { "passed" } else { "inconclusive" }) {
                            (if line.agrees { "✓ " } else { "✗ " }) (line.text)
                        }
                    }
                }
            }
            @if let Expectation::Demo(bugs) = expectation {
                @if !bugs.is_empty() {
                    h4 { "Planted bugs" }
                    ul class="planted" { @for line in planted_bug_lines(report, bugs) { li { (line) } } }
                }
            }
            details {
                summary { "Every check (" (report.results.len()) ")" }
                table class="checks" {
                    thead { tr { th { "check" } th { "resource" } th { "status" } th { "cases" } th { "errors" } th { "warnings" } th { "why" } } }
                    tbody { @for row in &report.results { (check_row(row)) } }
                }
            }
            @if !report.cleanup.left_behind.is_empty() {
                h4 { "Left behind by cleanup" }
                ul { @for left in &report.cleanup.left_behind { li { code { (left.url) } " — " (left.reason) } } }
            }
        }
    }
}

fn check_row(row: &CheckResult) -> Markup {
    let status = status_label(&row.status);
    let why = status_note(&row.status)
        .into_iter()
        .map(str::to_string)
        .chain(row.notes.iter().cloned())
        .chain(row.case_errors.iter().cloned())
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        tr {
            td { code { (row.check.name()) } }
            td { (row.resource) }
            td class=(status) { (status) }
            td { (row.cases_run) }
            td { (row.errors) }
            td { (row.warnings) }
            td class="muted" { (why) }
        }
    }
}

/// The filters, then every finding: the failing ones first, as in the human report.
fn findings(report: &RunReport) -> Markup {
    let (blocks, lines) = ordered(report);
    let all: Vec<_> = blocks.into_iter().chain(lines).collect();
    let checks: BTreeSet<&str> = all.iter().map(|f| f.check.name()).collect();
    let resources: BTreeSet<&str> = all.iter().map(|f| f.resource.as_str()).collect();
    html! {
        section id="findings" {
            h2 { "Findings (" (all.len()) ")" }
            @if all.is_empty() {
                p class="muted" { "No finding." }
            } @else {
                form class="filters" id="filters" {
                    fieldset {
                        legend { "Severity" }
                        @for severity in ["error", "warning", "info"] {
                            label { input type="checkbox" name="severity" value=(severity) checked; " " (severity) }
                        }
                    }
                    label { "Check " select id="filter-check" {
                        option value="" { "all" }
                        @for check in &checks { option value=(check) { (check) } }
                    } }
                    label { "Resource " select id="filter-resource" {
                        option value="" { "all" }
                        @for resource in &resources { option value=(resource) { (resource) } }
                    } }
                    output id="shown" { (all.len()) " findings" }
                }
                @for (index, f) in all.iter().enumerate() {
                    (finding::finding(index + 1, f, f.fails(report.fail_on)))
                }
            }
        }
    }
}

/// Writes the HTML report to `W` when the run finishes; ignores every other event.
pub(crate) struct HtmlReporter<W: Write> {
    out: W,
    expectation: Expectation,
}

impl<W: Write> HtmlReporter<W> {
    /// A reporter writing to `out`; `expectation` gives the verdict its sense (run or demo).
    pub(crate) fn new(out: W, expectation: Expectation) -> Self {
        Self { out, expectation }
    }

    /// Gives the writer back.
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> Reporter for HtmlReporter<W> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        if let Event::RunFinished(report) = event {
            self.out
                .write_all(render_html(report, &self.expectation).as_bytes())?;
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
    fn server_text_is_escaped() {
        let mut report = fixture::sample_report();
        report.findings[0].title = "<script>alert(1)</script>".into();
        report.findings[0].observed = "\"><img src=x onerror=alert(1)>".into();
        let html = render_html(&report, &Expectation::Run);
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn the_reporter_writes_once_when_the_run_finishes() {
        let mut reporter = HtmlReporter::new(Vec::new(), Expectation::Run);
        for event in fixture::sample_events() {
            reporter.on_event(&event).expect("a Vec");
        }
        let html = String::from_utf8(reporter.into_inner()).expect("UTF-8");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(html.matches("<html").count(), 1);
        assert!(html.contains("verdict: FAILED (exit 1)"));
    }
}
