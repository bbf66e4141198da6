//! The end of the human report: one line per resource (failed, errored and interrupted checks
//! named, passed and skipped ones counted), then why checks did not run or ran only in part —
//! grouped by reason, so that a reason shared by many checks and resources is one line — then
//! cleanup, volatile fields, request counts, how the run ended, the seed, baseline and shard
//! notes, the planted bugs of a demo, and the verdict as the last line.

use std::fmt::Write as _;

use super::palette::{BOLD, DIM, GREEN, Palette, RED, YELLOW, status_style};
use crate::model::check::CheckId;
use crate::model::report::{
    CheckResult, CheckStatus, CleanupReport, RunOutcome, RunReport, VolatileFields,
};
use crate::report::overview::{Group, RowKind, groups, status_label, status_note};
use crate::report::text::{clean, display_width, wrap_words};
use crate::report::verdict::{Expectation, Tone, planted_bug_lines, verdict};

/// The longest resource name the summary pads its first column to.
const MAX_NAME_COLUMN: usize = 24;

/// Everything printed after the findings, every line at most `width` columns where it can be.
pub(crate) fn render_summary(
    report: &RunReport,
    expectation: &Expectation,
    p: Palette,
    width: usize,
) -> String {
    let wrap = |text: String| wrap_lines(&text, width, "    ");
    [
        format!("\n{}\n", p.paint(BOLD, "summary")),
        render_resource_lines(report, p, width),
        wrap(render_grouped("not judged", &not_judged(&report.results))),
        wrap(render_grouped(
            "inconclusive",
            &inconclusive(&report.results),
        )),
        wrap(render_grouped("skipped", &skips(&report.results))),
        wrap(render_grouped("partly run", &notes(&report.results))),
        wrap(render_cleanup(&report.cleanup, p)),
        wrap(render_volatile(&report.volatile)),
        wrap(render_stats(report)),
        wrap(render_outcome(&report.outcome, p)),
        format!("seed: {0} (re-run with --seed {0})\n", report.seed),
        wrap(render_shard(report)),
        wrap(render_baseline(report)),
        wrap(render_planted(report, expectation)),
        render_verdict(report, expectation, p, width),
    ]
    .concat()
}

/// Wraps every line of `text` (which ends with a newline, or is empty).
fn wrap_lines(text: &str, width: usize, indent: &str) -> String {
    text.lines()
        .flat_map(|line| wrap_words(line, width, indent))
        .map(|line| line + "\n")
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One line per resource

/// `  things   failed: partial-put · 14 passed · 1 skipped`, one per resource.
fn render_resource_lines(report: &RunReport, p: Palette, width: usize) -> String {
    let groups = groups(report);
    if groups.is_empty() {
        return "  no check ran\n".to_string();
    }
    let column = groups
        .iter()
        .map(|g| display_width(&g.label))
        .max()
        .unwrap_or(0)
        .min(MAX_NAME_COLUMN);
    let hang = " ".repeat(column + 4);
    groups
        .iter()
        .flat_map(|group| {
            let pad = " ".repeat(column.saturating_sub(display_width(&group.label)));
            let head = format!("  {}{pad}  ", group.label);
            wrap_parts(&head, &group_status(group, p), width, &hang)
        })
        .map(|line| line + "\n")
        .collect()
}

/// `head` then `parts` joined by ` · `, a part moved whole to the next line (after `hang`)
/// when it does not fit; a part wider than a line is wrapped at spaces.
fn wrap_parts(head: &str, parts: &[String], width: usize, hang: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = head.to_string();
    let mut fresh = true;
    for part in parts {
        let joined = if fresh {
            format!("{current}{part}")
        } else {
            format!("{current} · {part}")
        };
        if fresh || display_width(&joined) <= width {
            current = joined;
        } else {
            lines.push(current);
            current = format!("{hang}{part}");
        }
        fresh = false;
    }
    lines.push(current);
    lines
        .into_iter()
        .flat_map(|line| wrap_words(&line, width, hang))
        .collect()
}

/// What happened to a group's checks: the ones that did not pass named, the others counted.
fn group_status(group: &Group, p: Palette) -> Vec<String> {
    let mut parts = Vec::new();
    for (kind, label, style) in [
        (RowKind::Failed, "failed", RED.bold()),
        (RowKind::NotJudged, "not judged", RED.bold()),
        (RowKind::Inconclusive, "inconclusive", YELLOW.bold()),
        (RowKind::Interrupted, "interrupted", YELLOW.bold()),
    ] {
        let names = group.named(kind);
        if !names.is_empty() {
            parts.push(format!("{}: {}", p.paint(style, label), names.join(", ")));
        }
    }
    for (kind, label, style) in [
        (RowKind::Passed, "passed", GREEN),
        (RowKind::Skipped, "skipped", DIM),
    ] {
        match group.count(kind) {
            0 => {}
            n => parts.push(p.paint(style, &format!("{n} {label}"))),
        }
    }
    parts
}

/// A row's place: `repeat-put on things`, or `script "NAME"`.
fn row_place(row: &CheckResult) -> (String, String) {
    if row.check == CheckId::Script {
        (
            "script".to_string(),
            format!("\"{}\"", clean(&row.resource)),
        )
    } else {
        (row.check.name().to_string(), clean(&row.resource))
    }
}

// ---------------------------------------------------------------------------------------------
// Reasons, grouped

/// One reason and the check × resource pairs it applies to.
type Reason = (String, (String, String));

fn skips(results: &[CheckResult]) -> Vec<Reason> {
    results
        .iter()
        .filter_map(|r| match &r.status {
            CheckStatus::Skipped { reason } => Some((clean(reason), row_place(r))),
            _ => None,
        })
        .collect()
}

/// Why rows observed nothing they judge (inconclusive).
fn inconclusive(results: &[CheckResult]) -> Vec<Reason> {
    results
        .iter()
        .filter_map(|r| match &r.status {
            CheckStatus::Inconclusive { reason } => Some((clean(reason), row_place(r))),
            _ => None,
        })
        .collect()
}

fn notes(results: &[CheckResult]) -> Vec<Reason> {
    results
        .iter()
        .flat_map(|r| r.notes.iter().map(move |note| (clean(note), row_place(r))))
        .collect()
}

/// `title:` then one line per distinct reason: `CHECKS on RESOURCES: REASON` (checks with the
/// same resources share a part; parts are separated by `;`). Nothing when there is no reason.
fn render_grouped(title: &str, reasons: &[Reason]) -> String {
    let mut order: Vec<&str> = Vec::new();
    for (reason, _) in reasons {
        if !order.contains(&reason.as_str()) {
            order.push(reason);
        }
    }
    let mut out = String::new();
    for reason in order {
        let places: Vec<&(String, String)> = reasons
            .iter()
            .filter(|(r, _)| r == reason)
            .map(|(_, place)| place)
            .collect();
        let _ = writeln!(out, "  {}: {reason}", places_text(&places));
    }
    if out.is_empty() {
        out
    } else {
        format!("{title}:\n{out}")
    }
}

/// `a, b on x, y; c on z`: checks that apply to the same resources share a part.
fn places_text(places: &[&(String, String)]) -> String {
    let mut checks: Vec<(&str, Vec<&str>)> = Vec::new();
    for (check, resource) in places {
        match checks.iter_mut().find(|(c, _)| c == check) {
            Some((_, resources)) => resources.push(resource),
            None => checks.push((check, vec![resource])),
        }
    }
    let mut parts: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    for (check, resources) in checks {
        match parts.iter_mut().find(|(_, r)| *r == resources) {
            Some((names, _)) => names.push(check),
            None => parts.push((vec![check], resources)),
        }
    }
    parts
        .iter()
        .map(|(names, resources)| {
            if names == &["script"] {
                format!("script {}", resources.join(", "))
            } else {
                format!("{} on {}", names.join(", "), resources.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why rows could judge nothing, or not every case: the reason of an errored row, an
/// interruption, and every case error (the first few a row kept), each with its row.
fn not_judged(results: &[CheckResult]) -> Vec<Reason> {
    let mut reasons = Vec::new();
    for row in results {
        let place = row_place(row);
        match &row.status {
            CheckStatus::Errored { reason } if !row.case_errors.contains(reason) => {
                reasons.push((clean(reason), place.clone()));
            }
            CheckStatus::Interrupted => {
                let reason = "the run was interrupted before it finished".to_string();
                reasons.push((reason, place.clone()));
            }
            _ => {}
        }
        for error in &row.case_errors {
            reasons.push((clean(error), place.clone()));
        }
    }
    reasons
}

// ---------------------------------------------------------------------------------------------
// The run

/// How many run-owned resources were deleted and every one left behind, with the reason.
pub(crate) fn render_cleanup(cleanup: &CleanupReport, p: Palette) -> String {
    let mut deleted = format!("cleanup: deleted {} run-owned resource(s)", cleanup.deleted);
    if cleanup.deleted_after_cases > 0 {
        let _ = write!(
            deleted,
            " ({} during the run, {} at the end)",
            cleanup.deleted_after_cases,
            cleanup.deleted.saturating_sub(cleanup.deleted_after_cases)
        );
    }
    if cleanup.left_behind.is_empty() {
        return format!("{deleted}, none left behind\n");
    }
    let mut out = format!(
        "{deleted}; {}:\n",
        p.paint(
            YELLOW.bold(),
            &format!("{} left behind", cleanup.left_behind.len())
        )
    );
    for left in &cleanup.left_behind {
        let _ = writeln!(out, "  {}  ({})", clean(&left.url), clean(&left.reason));
    }
    out
}

/// Volatile fields ignored, per resource; nothing when none were.
fn render_volatile(volatile: &[VolatileFields]) -> String {
    volatile
        .iter()
        .map(|v| {
            format!(
                "volatile fields ignored: {}: {}\n",
                clean(&v.resource),
                clean(&v.pointers.join(", "))
            )
        })
        .collect()
}

/// `requests: 17 sent, 3 transport error(s), 1.2s`, the time to the first failure, and a note
/// when throttled answers were waited out.
fn render_stats(report: &RunReport) -> String {
    let mut text = format!(
        "requests: {} sent, {} transport error(s), {:.1}s\n",
        report.stats.requests,
        report.stats.transport_errors,
        report.duration_ms as f64 / 1000.0
    );
    if let Some(first) = report.stats.first_failure {
        let _ = writeln!(
            text,
            "first failure: after {} request(s), {:.1}s",
            first.requests,
            first.elapsed_ms as f64 / 1000.0
        );
    }
    if report.stats.throttled > 0 {
        let _ = writeln!(
            text,
            "throttled: {} answer(s) 429/503 waited out (Retry-After) and retried; none was judged",
            report.stats.throttled
        );
    }
    text
}

/// How the run ended.
pub(crate) fn render_outcome(outcome: &RunOutcome, p: Palette) -> String {
    let text = match outcome {
        RunOutcome::Completed => p.paint(GREEN, "completed"),
        RunOutcome::Interrupted => p.paint(YELLOW.bold(), "interrupted (results so far)"),
        RunOutcome::Stopped { reason } => {
            format!(
                "{} — {}",
                p.paint(YELLOW.bold(), "stopped early"),
                clean(reason)
            )
        }
        RunOutcome::CannotTest { reason } => {
            format!("{} — {}", p.paint(RED.bold(), "cannot test"), clean(reason))
        }
    };
    format!("run: {text}\n")
}

/// `shard: 2/3 …`; nothing in an unsharded run.
fn render_shard(report: &RunReport) -> String {
    report.shard.map_or_else(String::new, |shard| {
        format!(
            "shard: {shard} (this run's slice of the planned cases; the {} shards together run them all)\n",
            shard.count
        )
    })
}

/// What the baseline options did: counts, then the entries to prune; nothing without them.
fn render_baseline(report: &RunReport) -> String {
    let Some(summary) = &report.baseline else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(file) = &summary.compared_with {
        let _ = writeln!(
            out,
            "baseline {}: {} known finding(s) (not failing), {} new",
            clean(file),
            summary.known,
            summary.new
        );
        if !summary.fixed.is_empty() {
            let _ = writeln!(
                out,
                "  {} not found although their check ran (fixed?); remove from the file:",
                baseline_entries(summary.fixed.len())
            );
            for entry in &summary.fixed {
                let _ = writeln!(out, "    {}", clean(&entry.fingerprint));
            }
        }
        if summary.not_checked > 0 {
            let _ = writeln!(
                out,
                "  {} not checked: their check did not run every case here",
                baseline_entries(summary.not_checked as usize)
            );
        }
    }
    if let Some(file) = &summary.written_to {
        let _ = writeln!(
            out,
            "write baseline {}: {} finding(s) to record (not failing)",
            clean(file),
            summary.recorded + summary.known
        );
    }
    out
}

/// `1 baseline entry`, `2 baseline entries`.
fn baseline_entries(n: usize) -> String {
    match n {
        1 => "1 baseline entry".into(),
        n => format!("{n} baseline entries"),
    }
}

/// `planted bugs:` then one line per bug (demo only; nothing for a run or the clean API).
fn render_planted(report: &RunReport, expectation: &Expectation) -> String {
    let Expectation::Demo(bugs) = expectation else {
        return String::new();
    };
    if bugs.is_empty() {
        return String::new();
    }
    let lines: String = planted_bug_lines(report, bugs)
        .iter()
        .map(|line| format!("  {line}\n"))
        .collect();
    format!("planted bugs:\n{lines}")
}

/// The last line: [`verdict`]'s, coloured by its tone.
pub(crate) fn render_verdict(
    report: &RunReport,
    expectation: &Expectation,
    p: Palette,
    width: usize,
) -> String {
    let verdict = verdict(report, expectation);
    let style = match verdict.tone {
        Tone::Pass => GREEN.bold(),
        Tone::Fail => RED.bold(),
        Tone::Neutral => YELLOW.bold(),
    };
    wrap_words(&p.paint(style, &verdict.line()), width, "    ")
        .into_iter()
        .map(|line| line + "\n")
        .collect()
}

/// The verbose line for a finished check.
pub(crate) fn render_check_finished(result: &CheckResult, p: Palette) -> String {
    let mut line = format!(
        "check {} · {}: {}",
        result.check,
        clean(&result.resource),
        p.paint(status_style(&result.status), status_label(&result.status))
    );
    match status_note(&result.status) {
        Some(note) => {
            let _ = write!(line, " — {}", clean(note));
        }
        None => {
            let _ = write!(
                line,
                " — {} case(s), {} error(s), {} warning(s)",
                cases_cell(result),
                result.errors,
                result.warnings
            );
        }
    }
    line.push('\n');
    for note in &result.notes {
        let _ = writeln!(line, "  note: {}", clean(note));
    }
    line
}

/// `3`, or `3 (1 errored, 1 inconclusive)` when some cases hit transport errors or observed
/// nothing.
fn cases_cell(result: &CheckResult) -> String {
    let mut others = Vec::new();
    if result.cases_errored > 0 {
        others.push(format!("{} errored", result.cases_errored));
    }
    if result.cases_inconclusive > 0 {
        others.push(format!("{} inconclusive", result.cases_inconclusive));
    }
    match others.is_empty() {
        true => result.cases_run.to_string(),
        false => format!("{} ({})", result.cases_run, others.join(", ")),
    }
}
