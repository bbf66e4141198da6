//! The human report: streamed to a terminal (or any writer) while the run progresses.
//!
//! A header line on start, one block per finding as it is found, one line per detected volatile
//! field set, and a summary when the run finishes. Every part is rendered by a small pure
//! function returning a `String`; [`HumanReporter`] only decides when to write. Colour (via
//! `anstyle`) is applied only when asked for; the progress bar (via `indicatif`) is drawn to
//! stderr only, never into the report's writer.

use std::fmt::Write as _;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Reporter;
use super::curl::finding_repro;
use crate::model::events::Event;
use crate::model::exchange::Exchange;
use crate::model::findings::{BaselineMark, Finding, Severity};
use crate::model::report::{
    CheckResult, CheckStatus, CleanupReport, RunOutcome, RunReport, Verdict, VolatileFields,
};

/// What the human report shows and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// Colour the output with ANSI escapes.
    pub color: bool,
    /// Draw a progress bar on stderr while cases run.
    pub progress: bool,
    /// Also print a line per finished check and when cleanup starts.
    pub verbose: bool,
}

/// Streams the human report to `W`.
pub struct HumanReporter<W: Write> {
    out: W,
    options: HumanOptions,
    palette: Palette,
    bar: Option<ProgressBar>,
    /// Distinct findings so far (each printed once).
    findings: u64,
    /// Occurrences of those findings so far (every case that found one).
    occurrences: u64,
    requests: u64,
    /// When a fuzz time budget runs out (for the bar's "left" counter).
    deadline: Option<std::time::Instant>,
}

impl<W: Write> HumanReporter<W> {
    /// A reporter writing to `out` with `options`.
    pub fn new(out: W, options: HumanOptions) -> Self {
        Self {
            out,
            options,
            palette: Palette::new(options.color),
            bar: None,
            findings: 0,
            occurrences: 0,
            requests: 0,
            deadline: None,
        }
    }

    /// Gives the writer back (e.g. to inspect a buffer in tests).
    pub fn into_inner(self) -> W {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.out
    }

    /// Writes `text` with the progress bar (if any) hidden meanwhile, so nothing is garbled.
    fn write(&mut self, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let out = &mut self.out;
        let mut write = move || {
            out.write_all(text.as_bytes())?;
            out.flush()
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn start_progress(&mut self, cases: u64) {
        if self.options.progress {
            let bar = ProgressBar::with_draw_target(Some(cases), ProgressDrawTarget::stderr());
            bar.set_style(progress_style());
            self.bar = Some(bar);
            self.update_message();
        }
    }

    fn finish_progress(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn update_message(&self) {
        if let Some(bar) = &self.bar {
            let left = self
                .deadline
                .map(|deadline| deadline.saturating_duration_since(std::time::Instant::now()));
            bar.set_message(progress_message(
                (self.findings, self.occurrences),
                self.requests,
                left,
            ));
        }
    }

    fn on_finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.findings += 1;
        self.occurrences += 1;
        self.update_message();
        self.write(&render_finding(finding, self.palette))
    }

    /// Another case found a finding already printed: counted, not printed again.
    fn on_finding_again(&mut self) -> io::Result<()> {
        self.occurrences += 1;
        self.update_message();
        Ok(())
    }
}

impl<W: Write + Send> Reporter for HumanReporter<W> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        let p = self.palette;
        match event {
            Event::RunStarted {
                seed,
                run_id,
                base_url,
                cases,
                time_budget_ms,
                ..
            } => {
                self.deadline = time_budget_ms
                    .map(|ms| std::time::Instant::now() + std::time::Duration::from_millis(ms));
                self.start_progress(*cases);
                self.write(&render_run_started(*seed, run_id, base_url, p))
            }
            Event::VolatileDetected { resource, pointers } => {
                self.write(&render_volatile_detected(resource, pointers, p))
            }
            Event::CaseFinished { requests, .. } => {
                self.requests = *requests;
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                self.update_message();
                Ok(())
            }
            Event::Finding(finding) => self.on_finding(finding),
            Event::FindingAgain(_) => self.on_finding_again(),
            Event::CheckFinished(result) if self.options.verbose => {
                self.write(&render_check_finished(result, p))
            }
            Event::CleanupStarted { resources } if self.options.verbose => self.write(&format!(
                "cleanup: deleting {resources} run-owned resource(s)\n"
            )),
            Event::RunFinished(report) => {
                self.finish_progress();
                self.write(&render_summary(report, p))
            }
            Event::CheckFinished(_)
            | Event::CleanupStarted { .. }
            | Event::CleanupFinished(_)
            | Event::Exchange(_) => Ok(()),
        }
    }
}

fn progress_style() -> ProgressStyle {
    ProgressStyle::with_template("{bar:30} {pos}/{len} cases · {msg} · {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// `2 finding(s) · 310 requests · 41s left`; `2 finding(s), seen 9 times · …` once a finding
/// was seen again.
fn progress_message(
    (findings, occurrences): (u64, u64),
    requests: u64,
    left: Option<std::time::Duration>,
) -> String {
    let mut message = format!("{findings} finding(s)");
    if occurrences > findings {
        message.push_str(&format!(", seen {occurrences} times"));
    }
    message.push_str(&format!(" · {requests} requests"));
    if let Some(left) = left {
        message.push_str(&format!(" · {}s left", left.as_secs()));
    }
    message
}

// ---------------------------------------------------------------------------------------------
// Colour

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const YELLOW: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const CYAN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

/// Applies styles when colour is on; a no-op otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Palette {
    color: bool,
}

impl Palette {
    /// No colour at all (for JUnit text and tests).
    pub const PLAIN: Palette = Palette { color: false };

    /// ANSI colour when `color` is true, plain text otherwise.
    pub fn new(color: bool) -> Self {
        Palette { color }
    }

    fn paint(self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => RED.bold(),
        Severity::Warning => YELLOW.bold(),
        Severity::Info => CYAN.bold(),
    }
}

// ---------------------------------------------------------------------------------------------
// Streamed parts

/// `idemfuzz: seed 42 · run r-abc · http://127.0.0.1:1234`
pub fn render_run_started(seed: u64, run_id: &str, base_url: &str, p: Palette) -> String {
    format!(
        "{} seed {seed} · run {} · {}\n",
        p.paint(BOLD, "idemfuzz:"),
        clean(run_id),
        clean(base_url)
    )
}

/// One line: which fields of a resource are ignored as volatile.
pub fn render_volatile_detected(resource: &str, pointers: &[String], p: Palette) -> String {
    format!(
        "{} {}: {}\n",
        p.paint(DIM, "volatile fields ignored on"),
        clean(resource),
        clean(&pointers.join(", "))
    )
}

/// The block printed for one finding: headline, rule, expected / observed, requests, diff and
/// the curl reproduction, preceded by a blank line.
pub fn render_finding(finding: &Finding, p: Palette) -> String {
    let mut out = String::from("\n");
    out.push_str(&render_finding_headline(finding, p));
    out.push_str(&render_finding_details(finding, p));
    out.push_str(&labelled_block("reproduce", &finding_repro(finding), p));
    out
}

/// `error[repeat-put] items: TITLE`
fn render_finding_headline(finding: &Finding, p: Palette) -> String {
    let severity = finding.severity;
    let tag = format!("{}[{}]", severity.as_str(), finding.check);
    format!(
        "{} {}: {}{}\n",
        p.paint(severity_style(severity), &tag),
        p.paint(BOLD, &clean(&finding.resource)),
        p.paint(BOLD, &clean(&finding.title)),
        baseline_tag(finding.baseline, p)
    )
}

/// ` (known: in the baseline)` and the like; nothing without a baseline.
fn baseline_tag(mark: Option<BaselineMark>, p: Palette) -> String {
    let text = match mark {
        None => return String::new(),
        Some(BaselineMark::Known) => "known: in the baseline, not failing",
        Some(BaselineMark::New) => "new: not in the baseline",
        Some(BaselineMark::Recorded) => "recorded in the new baseline, not failing",
    };
    format!(" {}", p.paint(DIM, &format!("({text})")))
}

/// Rule, expected, observed, the request sequence and the diff, indented by two spaces.
/// Shared with the JUnit failure text (with [`Palette::PLAIN`]).
pub fn render_finding_details(finding: &Finding, p: Palette) -> String {
    let mut out = String::new();
    let rule = format!("{} · oracles.md: {}", finding.rfc, finding.oracle);
    out.push_str(&labelled_line("rule", &rule, p));
    let fingerprint = format!("{} ({})", finding.fingerprint(), cases_seen(finding));
    out.push_str(&labelled_line("finding", &fingerprint, p));
    out.push_str(&labelled_line("expected", &finding.expected, p));
    out.push_str(&labelled_line("observed", &finding.observed, p));
    if let Some(detail) = &finding.fuzz {
        out.push_str(&render_fuzz(detail, p));
    }
    out.push_str(&labelled_block(
        "requests",
        &render_exchanges(&finding.exchanges),
        p,
    ));
    if let Some(diff) = &finding.diff {
        out.push_str(&labelled_block("diff", &render_diff(diff, p), p));
    }
    out
}

/// `case 3`, or `case 3; seen in 25 cases: also 4, 9 and 22 more` when other cases found it.
pub fn cases_seen(finding: &Finding) -> String {
    let case = format!("case {}", finding.case);
    if finding.occurrences <= 1 {
        return case;
    }
    let listed: Vec<String> = finding.other_cases.iter().map(u32::to_string).collect();
    let listed_count = u32::try_from(listed.len()).unwrap_or(u32::MAX);
    let unlisted = (finding.occurrences - 1).saturating_sub(listed_count);
    let mut also = listed.join(", ");
    if unlisted > 0 {
        let _ = write!(also, " and {unlisted} more");
    }
    format!("{case}; seen in {} cases: also {also}", finding.occurrences)
}

/// The minimal sequence, the relation's change, both runs side by side, and how to replay.
pub fn render_fuzz(detail: &crate::model::fuzz::FuzzDetail, p: Palette) -> String {
    let mut out = String::new();
    let shrink = match (&detail.replayed_from, &detail.shrink_stopped) {
        (Some(file), _) => format!("replayed from {file}"),
        (None, Some(reason)) => format!(
            "{} step(s) as generated, {} after {} shrink execution(s); {reason}",
            detail.original_steps,
            detail.repro.steps.len(),
            detail.shrink_runs
        ),
        (None, None) => format!(
            "shrunk from {} to {} step(s) in {} execution(s)",
            detail.original_steps,
            detail.repro.steps.len(),
            detail.shrink_runs
        ),
    };
    out.push_str(&labelled_line(
        "relation",
        &format!(
            "{} ({}) · case seed {} · {shrink}",
            detail.relation, detail.rule, detail.case_seed
        ),
        p,
    ));
    let steps: Vec<String> = detail
        .repro
        .steps
        .iter()
        .enumerate()
        .map(|(n, op)| format!("{}. {}", n + 1, clean(&op.describe())))
        .collect();
    out.push_str(&labelled_block("sequence", &steps.join("\n"), p));
    if detail.repro.relation != crate::model::fuzz::ops::Relation::PerStep {
        out.push_str(&labelled_line(
            "variant",
            &clean(&detail.repro.relation.describe()),
            p,
        ));
    }
    if !detail.side_by_side.is_empty() {
        out.push_str(&labelled_block(
            "side by side",
            &render_side_by_side(&detail.side_by_side),
            p,
        ));
    }
    out
}

/// `alone | variant | step` rows; `—` where the base run has no such step.
fn render_side_by_side(rows: &[crate::model::fuzz::SideBySide]) -> String {
    let status = |s: Option<u16>| s.map_or_else(|| "—".to_string(), |s| s.to_string());
    let mut lines = vec!["alone  variant  step".to_string()];
    lines.extend(rows.iter().map(|row| {
        format!(
            "{:<5}  {:<7}  {}",
            status(row.base),
            status(row.variant),
            clean(&row.step)
        )
    }));
    lines.join("\n")
}

fn labelled_line(label: &str, text: &str, p: Palette) -> String {
    let head = format!("{label}:");
    let text = indent_continuation(&clean(text), &" ".repeat(12));
    format!(
        "  {}{}{text}\n",
        p.paint(DIM, &head),
        " ".repeat(10usize.saturating_sub(head.len()).max(1))
    )
}

/// `  label:` then `text` indented by four spaces.
fn labelled_block(label: &str, text: &str, p: Palette) -> String {
    format!(
        "  {}\n{}",
        p.paint(DIM, &format!("{label}:")),
        indent(text, "    ")
    )
}

/// One line per exchange: `N. METHOD URL → STATUS  (purpose)`.
pub fn render_exchanges(exchanges: &[Exchange]) -> String {
    exchanges.iter().map(render_exchange_line).collect()
}

fn render_exchange_line(exchange: &Exchange) -> String {
    format!(
        "{}. {} {} → {}  ({})\n",
        exchange.seq,
        exchange.request.method,
        clean(&exchange.request.url),
        exchange.response.status_text(),
        clean(&exchange.purpose)
    )
}

/// The unified diff, `+` lines green and `-` lines red when colour is on.
pub fn render_diff(diff: &str, p: Palette) -> String {
    let mut out = String::new();
    for line in clean(diff).lines() {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            BOLD
        } else if line.starts_with('+') {
            GREEN
        } else if line.starts_with('-') {
            RED
        } else if line.starts_with("@@") {
            CYAN
        } else {
            Style::new()
        };
        out.push_str(&p.paint(style, line));
        out.push('\n');
    }
    out
}

/// The verbose line for a finished check.
pub fn render_check_finished(result: &CheckResult, p: Palette) -> String {
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

// ---------------------------------------------------------------------------------------------
// Summary

/// Everything printed when the run finishes.
pub fn render_summary(report: &RunReport, p: Palette) -> String {
    [
        format!("\n{}\n", p.paint(BOLD, "summary")),
        render_results_table(&report.results, p),
        render_findings_seen(&report.findings, p),
        render_case_errors(&report.results),
        render_notes(&report.results),
        render_cleanup(&report.cleanup, p),
        render_volatile(&report.volatile),
        render_stats(report),
        render_outcome(&report.outcome, p),
        format!("seed: {0} (re-run with --seed {0})\n", report.seed),
        render_shard(report),
        render_baseline(report),
        render_verdict(report, p),
    ]
    .concat()
}

/// `findings:` then one line per finding with how many cases found it; nothing when none.
pub fn render_findings_seen(findings: &[Finding], p: Palette) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut out = String::from("findings:\n");
    for finding in findings {
        let severity = finding.severity;
        let tag = format!("{}[{}]", severity.as_str(), finding.check);
        let seen = match finding.occurrences {
            0 | 1 => format!("case {}", finding.case),
            n => format!("seen in {n} cases, first case {}", finding.case),
        };
        let _ = writeln!(
            out,
            "  {} {}: {} — {seen}",
            p.paint(severity_style(severity), &tag),
            clean(&finding.resource),
            clean(&finding.title)
        );
    }
    out
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

/// The aligned table of check × resource results.
pub fn render_results_table(results: &[CheckResult], p: Palette) -> String {
    if results.is_empty() {
        return "  no check ran\n".to_string();
    }
    let header = [
        "CHECK", "RESOURCE", "STATUS", "CASES", "ERRORS", "WARNINGS", "NOTE",
    ];
    let mut rows = vec![
        header
            .map(|h| Cell::new(h, DIM))
            .into_iter()
            .collect::<Vec<_>>(),
    ];
    rows.extend(results.iter().map(result_row));
    render_table(&rows, p)
}

/// One table cell: plain text and the style applied when colour is on.
struct Cell {
    text: String,
    style: Style,
}

impl Cell {
    fn new(text: impl Into<String>, style: Style) -> Self {
        Cell {
            text: text.into(),
            style,
        }
    }

    fn plain(text: impl Into<String>) -> Self {
        Cell::new(text, Style::new())
    }
}

fn result_row(result: &CheckResult) -> Vec<Cell> {
    vec![
        Cell::plain(result.check.name()),
        Cell::plain(clean(&result.resource)),
        Cell::new(status_label(&result.status), status_style(&result.status)),
        Cell::plain(cases_cell(result)),
        Cell::plain(result.errors.to_string()),
        Cell::plain(result.warnings.to_string()),
        Cell::plain(clean(status_note(&result.status).unwrap_or(""))),
    ]
}

/// Columns padded to their widest cell (padding outside the colour), two spaces apart.
fn render_table(rows: &[Vec<Cell>], p: Palette) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| width(&cell.text))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(" ");
        for (cell, w) in row.iter().zip(&widths) {
            line.push(' ');
            line.push_str(&p.paint(cell.style, &cell.text));
            line.push_str(&" ".repeat(w - width(&cell.text) + 1));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn status_label(status: &CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "passed",
        CheckStatus::Failed => "failed",
        CheckStatus::Skipped { .. } => "skipped",
        CheckStatus::Errored { .. } => "errored",
        CheckStatus::Interrupted => "interrupted",
    }
}

fn status_style(status: &CheckStatus) -> Style {
    match status {
        CheckStatus::Passed => GREEN,
        CheckStatus::Failed | CheckStatus::Errored { .. } => RED.bold(),
        CheckStatus::Skipped { .. } | CheckStatus::Interrupted => YELLOW,
    }
}

fn status_note(status: &CheckStatus) -> Option<&str> {
    match status {
        CheckStatus::Skipped { reason } | CheckStatus::Errored { reason } => Some(reason),
        CheckStatus::Interrupted => Some("the run was interrupted"),
        CheckStatus::Passed | CheckStatus::Failed => None,
    }
}

/// `3`, or `3 (1 errored)` when some cases hit transport errors.
fn cases_cell(result: &CheckResult) -> String {
    match result.cases_errored {
        0 => result.cases_run.to_string(),
        n => format!("{} ({n} errored)", result.cases_run),
    }
}

/// The transport errors of every row, one line each; nothing when there were none.
fn render_case_errors(results: &[CheckResult]) -> String {
    render_row_lines("case errors", results, |r| &r.case_errors)
}

/// The notes of every row (parts of a check that did not run, and why); nothing when none.
fn render_notes(results: &[CheckResult]) -> String {
    render_row_lines("notes", results, |r| &r.notes)
}

/// `title:` then one `  CHECK · RESOURCE: LINE` per line of every row; nothing when no row has
/// any line.
fn render_row_lines(
    title: &str,
    results: &[CheckResult],
    lines: impl Fn(&CheckResult) -> &[String],
) -> String {
    let mut out = String::new();
    for result in results {
        for line in lines(result) {
            let _ = writeln!(
                out,
                "  {} · {}: {}",
                result.check,
                clean(&result.resource),
                clean(line)
            );
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("{title}:\n{out}")
    }
}

/// How many run-owned resources were deleted and every one left behind, with the reason.
pub fn render_cleanup(cleanup: &CleanupReport, p: Palette) -> String {
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

/// `requests: 17 sent, 3 transport error(s), 1.2s`, and a note when throttled answers were
/// waited out.
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
pub fn render_outcome(outcome: &RunOutcome, p: Palette) -> String {
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

/// The last line: the report's [verdict](RunReport::verdict), which the exit code follows too.
pub fn render_verdict(report: &RunReport, p: Palette) -> String {
    let failing = report.failing_findings().count();
    let accepted = report
        .findings
        .iter()
        .filter(|f| f.baseline.is_some_and(BaselineMark::accepted))
        .count();
    let others = report.findings.len() - failing - accepted;
    let fail_on = report.fail_on.as_str();
    let (style, text) = match report.verdict() {
        Verdict::Failed => (
            RED.bold(),
            format!("FAILED: {failing} finding(s) at or above --fail-on {fail_on}"),
        ),
        Verdict::CannotTest => (
            RED.bold(),
            "CANNOT TEST: the target could not be tested".to_string(),
        ),
        Verdict::Interrupted => (
            YELLOW.bold(),
            "INTERRUPTED: no failing finding so far".to_string(),
        ),
        Verdict::CheckErrored => (
            RED.bold(),
            "CANNOT TEST: a check could not run a single case (see case errors)".to_string(),
        ),
        Verdict::Passed if matches!(report.outcome, RunOutcome::Stopped { .. }) => (
            YELLOW.bold(),
            format!(
                "PASSED, STOPPED EARLY: no finding at or above --fail-on {fail_on} in the cases that ran"
            ),
        ),
        Verdict::Passed => (
            GREEN.bold(),
            format!("PASSED: no finding at or above --fail-on {fail_on}"),
        ),
    };
    let below = match (accepted, others) {
        (0, 0) => String::new(),
        (0, n) => format!(" ({n} below the threshold)"),
        (k, 0) => format!(" ({k} accepted by the baseline)"),
        (k, n) => format!(" ({k} accepted by the baseline, {n} below the threshold)"),
    };
    format!("{}{below}\n", p.paint(style, &format!("verdict: {text}")))
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/// Makes server-provided text safe for a terminal: control characters other than newline and
/// tab are shown escaped (`\x1b`), so a response can never inject terminal escape sequences.
fn clean(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Prefixes every non-empty line of `text` with `prefix`.
fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| match line {
            "" => "\n".to_string(),
            line => format!("{prefix}{line}\n"),
        })
        .collect()
}

/// Prefixes every line after the first with `prefix`.
fn indent_continuation(text: &str, prefix: &str) -> String {
    text.lines()
        .collect::<Vec<_>>()
        .join(&format!("\n{prefix}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture;

    fn run(options: HumanOptions) -> String {
        let mut reporter = HumanReporter::new(Vec::new(), options);
        for event in fixture::sample_events() {
            reporter
                .on_event(&event)
                .expect("writing to a Vec cannot fail");
        }
        String::from_utf8(reporter.into_inner()).expect("the report is UTF-8")
    }

    #[test]
    fn human_report_snapshot() {
        insta::assert_snapshot!(run(HumanOptions::default()));
    }

    #[test]
    fn verbose_adds_check_lines() {
        let out = run(HumanOptions {
            verbose: true,
            ..HumanOptions::default()
        });
        assert!(
            out.contains("check repeat-delete · items: skipped — resource declares no DELETE\n"),
            "{out}"
        );
    }

    #[test]
    fn progress_bar_never_reaches_the_writer() {
        let plain = run(HumanOptions::default());
        let with_bar = run(HumanOptions {
            progress: true,
            ..HumanOptions::default()
        });
        assert_eq!(plain, with_bar);
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!run(HumanOptions::default()).contains('\x1b'));
        let coloured = run(HumanOptions {
            color: true,
            ..HumanOptions::default()
        });
        assert!(coloured.contains("\x1b[32m+"), "added diff lines are green");
        assert!(coloured.contains("\x1b[31m-"), "removed diff lines are red");
    }

    #[test]
    fn terminal_escapes_from_the_server_are_neutralised() {
        assert_eq!(clean("a\x1b[2Jb\nc"), "a\\u{1b}[2Jb\nc");
    }

    #[test]
    fn verdict_precedence_follows_the_exit_code() {
        let mut report = fixture::sample_report();
        assert!(render_verdict(&report, Palette::PLAIN).starts_with("verdict: FAILED: 1 finding"));
        report.findings.clear();
        report.outcome = RunOutcome::Interrupted;
        assert!(render_verdict(&report, Palette::PLAIN).starts_with("verdict: INTERRUPTED"));
        report.outcome = RunOutcome::CannotTest {
            reason: "connection refused".into(),
        };
        assert!(render_verdict(&report, Palette::PLAIN).starts_with("verdict: CANNOT TEST"));
        report.outcome = RunOutcome::Completed;
        assert!(
            render_verdict(&report, Palette::PLAIN).starts_with("verdict: CANNOT TEST"),
            "a check that ran no case is not a pass (exit code 3)"
        );
        report
            .results
            .retain(|r| !matches!(r.status, CheckStatus::Errored { .. }));
        assert_eq!(
            render_verdict(&report, Palette::PLAIN),
            "verdict: PASSED: no finding at or above --fail-on error\n"
        );
    }
}

#[cfg(test)]
mod fuzz_rendering_tests {
    use super::*;
    use crate::model::fuzz::FuzzDetail;
    use crate::model::fuzz::SideBySide;
    use crate::model::fuzz::ops::{Insert, Op, Relation, Repro};
    use serde_json::json;

    #[test]
    fn shows_the_minimal_sequence_the_variant_and_both_runs() {
        let put = Op::Put {
            slot: 0,
            body: json!({"name": "A"}),
            partial: false,
        };
        let detail = FuzzDetail {
            relation: "insert-safe".into(),
            rule: "final-state".into(),
            case_seed: 42,
            repro: Repro {
                steps: vec![put.clone(), put],
                relation: Relation::InsertSafe {
                    inserts: vec![Insert {
                        before: 1,
                        op: Op::Get { slot: 0 },
                    }],
                },
            },
            failing_len: 2,
            original_steps: 7,
            shrink_runs: 30,
            shrink_stopped: None,
            side_by_side: vec![
                SideBySide {
                    step: "1. PUT slot 1".into(),
                    base: Some(201),
                    variant: Some(201),
                },
                SideBySide {
                    step: "2. GET slot 1".into(),
                    base: None,
                    variant: Some(200),
                },
            ],
            flaky: false,
            replayed_from: None,
            detected_after_requests: 120,
            detected_after_ms: 15,
        };
        let text = render_fuzz(&detail, Palette::new(false));
        assert!(text.contains("insert-safe (final-state) · case seed 42 · shrunk from 7 to 2 step(s) in 30 execution(s)"), "{text}");
        assert!(text.contains("1. PUT slot 1 {\"name\":\"A\"}"), "{text}");
        assert!(
            text.contains("variant:  safe requests inserted: GET slot 1 before step 2"),
            "{text}"
        );
        assert!(text.contains("—      200      2. GET slot 1"), "{text}");
    }
}
