//! The human report: the findings that matter first, then a summary that ends with the verdict.
//!
//! While the run progresses it prints only a header line (and, with `--verbose`, a line per
//! finished check); a progress bar (via `indicatif`) is drawn on stderr only, never into the
//! report's writer. When the run finishes it prints the findings — failing ones first, sorted by
//! severity, resource and check, each as a compact block (`finding.rs`); `info` findings and the
//! ones a baseline accepts one line each — then the summary (`summary.rs`), whose last line is the
//! verdict, consistent with the exit code. Every line fits [`HumanOptions::width`] where it can
//! (a URL is never split; curl scripts, shown with `--verbose`, are never wrapped). Every part is
//! a pure function returning a `String`; [`HumanReporter`] only decides when to write.

mod finding;
mod fit;
mod palette;
mod summary;

use std::io::{self, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[cfg(test)]
pub(crate) use finding::render_fuzz;
pub(crate) use finding::{
    Layout, Reproduce, cases_seen, ordered, render_finding, render_finding_details,
    render_finding_line, same_cause,
};
pub(crate) use palette::Palette;
pub(crate) use summary::{render_check_finished, render_summary};

use super::Reporter;
use super::repro::repro_files;
use super::text::{clean, wrap_words};
use super::verdict::Expectation;
use crate::model::events::Event;
use crate::model::report::RunReport;
use palette::{BOLD, DIM};

/// What the human report shows and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HumanOptions {
    /// Colour the output with ANSI escapes.
    pub(crate) color: bool,
    /// Draw a progress bar on stderr while cases run.
    pub(crate) progress: bool,
    /// Also print a line per finished check, `info` findings as blocks, and every finding's
    /// curl script.
    pub(crate) verbose: bool,
    /// Columns per line: the terminal's, or [`super::text::DEFAULT_WIDTH`].
    pub(crate) width: usize,
    /// `--repro-dir`: where each finding's curl script is written (its block names the file).
    pub(crate) repro_dir: Option<String>,
    /// A run, or the demo (whose verdict inverts the sense of a finding).
    pub(crate) expectation: Expectation,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            progress: false,
            verbose: false,
            width: super::text::DEFAULT_WIDTH,
            repro_dir: None,
            expectation: Expectation::Run,
        }
    }
}

/// Streams the human report to `W`.
pub(crate) struct HumanReporter<W: Write> {
    out: W,
    options: HumanOptions,
    palette: Palette,
    bar: Option<ProgressBar>,
    /// Distinct findings so far.
    findings: u64,
    /// Occurrences of those findings so far (every case that found one).
    occurrences: u64,
    requests: u64,
    /// When a fuzz time budget runs out (for the bar's "left" counter).
    deadline: Option<std::time::Instant>,
}

impl<W: Write> HumanReporter<W> {
    /// A reporter writing to `out` with `options`.
    pub(crate) fn new(out: W, options: HumanOptions) -> Self {
        let palette = Palette::new(options.color);
        Self {
            out,
            options,
            palette,
            bar: None,
            findings: 0,
            occurrences: 0,
            requests: 0,
            deadline: None,
        }
    }

    /// Gives the writer back (e.g. to inspect a buffer in tests).
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
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

    /// A finding (new or seen again) is counted for the progress bar; findings are printed
    /// when the run finishes, in order.
    fn count_finding(&mut self, new: bool) {
        if new {
            self.findings += 1;
        }
        self.occurrences += 1;
        self.update_message();
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
                let header = render_run_started(*seed, run_id, base_url, p);
                self.write(&wrap(&header, self.options.width))
            }
            Event::VolatileDetected { resource, pointers } if self.options.verbose => {
                let line = render_volatile_detected(resource, pointers, p);
                self.write(&wrap(&line, self.options.width))
            }
            Event::CaseFinished { requests, .. } => {
                self.requests = *requests;
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                self.update_message();
                Ok(())
            }
            Event::Finding(_) => {
                self.count_finding(true);
                Ok(())
            }
            Event::FindingAgain(_) => {
                self.count_finding(false);
                Ok(())
            }
            Event::CheckFinished(result) if self.options.verbose => {
                let line = render_check_finished(result, p);
                self.write(&wrap(&line, self.options.width))
            }
            Event::CleanupStarted { resources } if self.options.verbose => self.write(&format!(
                "cleanup: deleting {resources} run-owned resource(s)\n"
            )),
            Event::RunFinished(report) => {
                self.finish_progress();
                let text = render_report_end(report, &self.options);
                self.write(&text)
            }
            Event::VolatileDetected { .. }
            | Event::CheckFinished(_)
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

/// Every line of `text` wrapped at `width` with a four-space indent.
fn wrap(text: &str, width: usize) -> String {
    text.lines()
        .flat_map(|line| wrap_words(line, width, "    "))
        .map(|line| line + "\n")
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Streamed parts

/// `idemfuzz: seed 42 · run r-abc · http://127.0.0.1:1234`
pub(crate) fn render_run_started(seed: u64, run_id: &str, base_url: &str, p: Palette) -> String {
    format!(
        "{} seed {seed} · run {} · {}\n",
        p.paint(BOLD, "idemfuzz:"),
        clean(run_id),
        clean(base_url)
    )
}

/// One line: which fields of a resource are ignored as volatile (verbose; the summary lists
/// them too).
pub(crate) fn render_volatile_detected(resource: &str, pointers: &[String], p: Palette) -> String {
    format!(
        "{} {}: {}\n",
        p.paint(DIM, "volatile fields ignored on"),
        clean(resource),
        clean(&pointers.join(", "))
    )
}

// ---------------------------------------------------------------------------------------------
// The end of the run

/// What is printed when the run finishes: the fit probe's blocks that matter, the findings in
/// order, then the summary.
pub(crate) fn render_report_end(report: &RunReport, options: &HumanOptions) -> String {
    let p = Palette::new(options.color);
    let layout = Layout {
        width: options.width,
        base_url: Some(report.base_url.as_str()),
    };
    let files = options
        .repro_dir
        .as_deref()
        .map(|dir| repro_files(report, dir));
    let file_of = |finding: &crate::model::findings::Finding| {
        files.as_ref().and_then(|files| {
            files
                .iter()
                .find(|f| std::ptr::eq(f.finding, finding))
                .map(|f| f.path.as_str())
        })
    };
    let reproduce = |finding| match (options.verbose, file_of(finding)) {
        (true, _) => Reproduce::Script,
        (false, Some(path)) => Reproduce::File(path),
        (false, None) => Reproduce::Hidden,
    };
    let (blocks, lines) = ordered(report);
    let mut out = fit::render_fit(&report.fit, options.verbose, p, options.width);
    for finding in &blocks {
        out.push_str(&render_finding(finding, p, &layout, reproduce(finding)));
    }
    if options.verbose {
        for finding in &lines {
            out.push_str(&render_finding(finding, p, &layout, reproduce(finding)));
        }
    } else if !lines.is_empty() {
        out.push('\n');
        for finding in &lines {
            out.push_str(&render_finding_line(finding, p, options.width));
        }
    }
    if !report.findings.is_empty() && !options.verbose && files.is_none() {
        let hint = "curl scripts: --verbose prints them, --repro-dir DIR saves them";
        out.push('\n');
        out.push_str(&wrap(&p.paint(DIM, hint), options.width));
    }
    out.push_str(&render_summary(
        report,
        &options.expectation,
        p,
        options.width,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture;
    use crate::model::report::RunOutcome;
    use crate::report::text::display_width;

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
    fn verbose_adds_check_lines_and_curl_scripts() {
        let out = run(HumanOptions {
            verbose: true,
            ..HumanOptions::default()
        });
        assert!(
            out.contains("check repeat-delete · items: skipped — resource declares no DELETE\n"),
            "{out}"
        );
        assert!(out.contains("  reproduce:\n    #!/bin/sh\n"), "{out}");
        assert!(!run(HumanOptions::default()).contains("#!/bin/sh"));
    }

    #[test]
    fn failing_findings_come_first_and_the_verdict_is_last() {
        let out = run(HumanOptions::default());
        let error = out.find("error[repeat-put]").expect("the error");
        let warning = out.find("warning[head-parity]").expect("the warning");
        assert!(error < warning, "{out}");
        assert!(
            out.trim_end()
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("verdict: FAILED (exit 1)")),
            "{out}"
        );
    }

    #[test]
    fn every_line_fits_the_width_but_urls_are_never_split() {
        for width in [40, 80, 120] {
            let out = run(HumanOptions {
                width,
                ..HumanOptions::default()
            });
            for line in out.lines() {
                let unbreakable = line.split(' ').any(|w| display_width(w) > width - 4);
                assert!(
                    display_width(line) <= width || unbreakable,
                    "{width}: {line:?}"
                );
            }
            assert!(out.contains("/items/r-abc-1"), "{out}");
        }
    }

    #[test]
    fn info_findings_take_one_line() {
        let mut report = fixture::sample_report();
        report.findings[1].severity = crate::model::findings::Severity::Info;
        let out = render_report_end(&report, &HumanOptions::default());
        let line = out
            .lines()
            .find(|l| l.starts_with("info[head-parity]"))
            .expect("one line");
        assert!(line.ends_with("— case 1"), "{line}");
        assert!(!out.contains("  observed: GET sent ETag"), "{out}");
    }

    #[test]
    fn repro_dir_names_the_file_in_the_block() {
        let report = fixture::sample_report();
        let options = HumanOptions {
            repro_dir: Some("repro".into()),
            ..HumanOptions::default()
        };
        let out = render_report_end(&report, &options);
        assert!(
            out.contains("  reproduce: sh repro/error-items-repeat-put-item-changed.sh\n"),
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
    fn the_demo_verdict_says_the_planted_bug_was_found() {
        let mut report = fixture::sample_report();
        report.outcome = RunOutcome::Completed;
        report
            .results
            .retain(|r| !matches!(r.status, crate::model::report::CheckStatus::Errored { .. }));
        let options = HumanOptions {
            expectation: Expectation::Demo(vec![crate::report::verdict::PlantedBug {
                name: "put-counter".into(),
                caught_by: vec![crate::model::check::CheckId::RepeatPut],
                file: None,
            }]),
            ..HumanOptions::default()
        };
        let out = render_report_end(&report, &options);
        assert!(
            out.contains("planted bugs:\n  put-counter: found (error[repeat-put] items)\n"),
            "{out}"
        );
        assert!(
            out.ends_with(
                "verdict: DEMO OK (exit 0): the planted bug was found, as the demo expects\n"
            ),
            "{out}"
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
        let text = render_fuzz(&detail, Palette::new(false), &Layout::UNWRAPPED);
        assert!(text.contains("insert-safe (final-state) · case seed 42 · shrunk from 7 to 2 step(s) in 30 execution(s)"), "{text}");
        assert!(text.contains("1. PUT slot 1 {\"name\":\"A\"}"), "{text}");
        assert!(
            text.contains("variant:  safe requests inserted: GET slot 1 before step 2"),
            "{text}"
        );
        assert!(text.contains("—      200      2. GET slot 1"), "{text}");
    }
}
