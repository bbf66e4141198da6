//! The verdict: the last line of the human report and the exit code it states, computed
//! together from the report so that they never disagree — for `run` from the findings and the
//! outcome, for `demo` from whether each planted bug was found (the demo's inverted sense).

use crate::model::check::CheckId;
use crate::model::exit_code;
use crate::model::findings::{Finding, Severity};
use crate::model::report::{CheckStatus, RunOutcome, RunReport, Verdict as RunVerdict};
use crate::report::overview::file_name;

/// What the run was meant to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Expectation {
    /// A run against an API: findings fail it.
    #[default]
    Run,
    /// `demo`: every planted bug must be found; with none planted (the clean API), nothing may
    /// fail.
    Demo(Vec<PlantedBug>),
}

/// A bug planted in the demo API, and where its findings show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlantedBug {
    pub(crate) name: String,
    /// The checks whose findings (warning level or above) show it.
    pub(crate) caught_by: Vec<CheckId>,
    /// For a bug a script catches: the scenario file (name without directories) of the script.
    pub(crate) file: Option<String>,
}

impl PlantedBug {
    /// The first finding of warning level or above (whatever `--fail-on` says: some bugs
    /// break SHOULD rules only) of a check that catches this bug.
    pub(crate) fn found_by<'a>(&self, report: &'a RunReport) -> Option<&'a Finding> {
        report.findings.iter().find(|f| {
            f.severity >= Severity::Warning
                && self.caught_by.contains(&f.check)
                && self
                    .file
                    .as_deref()
                    .is_none_or(|file| file_name(&f.scenario) == file)
        })
    }

    /// Whether a check that catches this bug ran at all (a row that is not skipped).
    fn could_be_found(&self, report: &RunReport) -> bool {
        report.results.iter().any(|r| {
            self.caught_by.contains(&r.check) && !matches!(r.status, CheckStatus::Skipped { .. })
        })
    }
}

/// How the verdict reads: good, bad, or neither (interrupted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Pass,
    Fail,
    Neutral,
}

/// The verdict of a run: its exit code and the line that says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) code: u8,
    pub(crate) tone: Tone,
    /// `PASSED`, `FAILED`, `CANNOT TEST`, `INTERRUPTED`, `DEMO OK`, `DEMO FAILED`.
    pub(crate) headline: &'static str,
    /// Why, in a few words.
    pub(crate) detail: String,
}

impl Verdict {
    /// `verdict: FAILED (exit 1): 2 findings at or above --fail-on error`
    pub(crate) fn line(&self) -> String {
        format!(
            "verdict: {} (exit {}): {}",
            self.headline, self.code, self.detail
        )
    }
}

/// The verdict of `report` under `expectation`.
pub(crate) fn verdict(report: &RunReport, expectation: &Expectation) -> Verdict {
    match expectation {
        Expectation::Run => run_verdict(report),
        Expectation::Demo(bugs) if bugs.is_empty() => clean_demo_verdict(report),
        Expectation::Demo(bugs) => demo_verdict(report, bugs),
    }
}

fn run_verdict(report: &RunReport) -> Verdict {
    let code = exit_code::for_report(report);
    let fail_on = report.fail_on.as_str();
    let (tone, headline, detail) = match report.verdict() {
        RunVerdict::Failed => (
            Tone::Fail,
            "FAILED",
            format!(
                "{} at or above --fail-on {fail_on}",
                count(report.failing_findings().count(), "finding")
            ),
        ),
        RunVerdict::Passed if matches!(report.outcome, RunOutcome::Stopped { .. }) => (
            Tone::Pass,
            "PASSED, STOPPED EARLY",
            format!("no finding at or above --fail-on {fail_on} in the cases that ran"),
        ),
        RunVerdict::Passed => (
            Tone::Pass,
            "PASSED",
            format!("no finding at or above --fail-on {fail_on}"),
        ),
        RunVerdict::Interrupted => (
            Tone::Neutral,
            "INTERRUPTED",
            "no failing finding so far".to_string(),
        ),
        RunVerdict::CannotTest | RunVerdict::CheckErrored => {
            (Tone::Fail, "CANNOT TEST", cannot_test(report))
        }
        RunVerdict::Inconclusive => (Tone::Fail, "INCONCLUSIVE", inconclusive(report)),
    };
    Verdict {
        code,
        tone,
        headline,
        detail: detail + &others(report),
    }
}

/// Why the run could not test: the target, or checks that could not run a single case.
fn cannot_test(report: &RunReport) -> String {
    if let RunOutcome::CannotTest { .. } = report.outcome {
        return "the target could not be tested (see run:)".to_string();
    }
    let errored = report
        .results
        .iter()
        .filter(|r| matches!(r.status, CheckStatus::Errored { .. }))
        .count();
    format!(
        "{} could not run a single case (see not judged:)",
        count(errored, "check")
    )
}

/// Which checks observed nothing in any case, by name (`partial-put on things, ...`).
fn inconclusive(report: &RunReport) -> String {
    let rows: Vec<String> = report
        .inconclusive()
        .map(|r| format!("{} on {}", r.check, crate::report::text::clean(&r.resource)))
        .collect();
    format!(
        "{} observed nothing in any case, so {} not tested (see inconclusive:): {}",
        count(rows.len(), "check"),
        if rows.len() == 1 {
            "it was"
        } else {
            "they were"
        },
        rows.join(", ")
    )
}

/// `, 2 below it`, `, 1 accepted by the baseline`: findings that do not fail the run (below
/// the `--fail-on` threshold, or accepted by a baseline).
fn others(report: &RunReport) -> String {
    let failing = report.failing_findings().count();
    let accepted = report
        .findings
        .iter()
        .filter(|f| {
            f.baseline
                .is_some_and(crate::model::findings::BaselineMark::accepted)
        })
        .count();
    let below = report.findings.len() - failing - accepted;
    match (accepted, below) {
        (0, 0) => String::new(),
        (0, n) => format!(", {n} below it"),
        (k, 0) => format!(", {k} accepted by the baseline"),
        (k, n) => format!(", {k} accepted by the baseline, {n} below it"),
    }
}

fn clean_demo_verdict(report: &RunReport) -> Verdict {
    let run = run_verdict(report);
    match run.code {
        exit_code::OK => Verdict {
            headline: "DEMO OK",
            detail: "no failing finding on the clean API, as the demo expects".into(),
            ..run
        },
        exit_code::FINDINGS => Verdict {
            headline: "DEMO FAILED",
            detail: format!(
                "the clean API got {}",
                count(report.failing_findings().count(), "failing finding")
            ),
            ..run
        },
        _ => run,
    }
}

fn demo_verdict(report: &RunReport, bugs: &[PlantedBug]) -> Verdict {
    let code = demo_exit_code(bugs, report);
    let missed = bugs.iter().filter(|b| b.found_by(report).is_none()).count();
    match code {
        exit_code::OK => Verdict {
            code,
            tone: Tone::Pass,
            headline: "DEMO OK",
            detail: match bugs {
                [_] => "the planted bug was found, as the demo expects".to_string(),
                _ => format!(
                    "all {} planted bugs were found, as the demo expects",
                    bugs.len()
                ),
            },
        },
        exit_code::FINDINGS => Verdict {
            code,
            tone: Tone::Fail,
            headline: "DEMO FAILED",
            detail: match bugs {
                [bug] => format!("the planted bug {} was not found", bug.name),
                _ => format!("{missed} of {} planted bugs not found", bugs.len()),
            },
        },
        _ => Verdict {
            code,
            ..run_verdict(report)
        },
    }
}

/// The exit code of `demo` with bugs planted: 0 when every planted bug was found (by a finding
/// of a check that catches it), 1 when one was missed, else the run's own code (the target
/// could not be tested, the run was interrupted).
fn demo_exit_code(bugs: &[PlantedBug], report: &RunReport) -> u8 {
    let all_found = bugs.iter().all(|bug| bug.found_by(report).is_some());
    match exit_code::for_report(report) {
        exit_code::FINDINGS | exit_code::OK if all_found => exit_code::OK,
        exit_code::FINDINGS | exit_code::OK => exit_code::FINDINGS,
        code => code,
    }
}

/// One line per planted bug: found by which check, or not found and what to do.
pub(crate) fn planted_bug_lines(report: &RunReport, bugs: &[PlantedBug]) -> Vec<String> {
    bugs.iter()
        .map(|bug| match bug.found_by(report) {
            Some(finding) => format!(
                "{}: found ({}[{}] {})",
                bug.name,
                finding.severity.as_str(),
                finding.check,
                finding.resource
            ),
            None if bug.caught_by == [CheckId::Fuzz] && !bug.could_be_found(report) => format!(
                "{}: NOT found; only the fuzzer finds it (add --checks fuzz)",
                bug.name
            ),
            None if !bug.could_be_found(report) => {
                let checks: Vec<&str> = bug.caught_by.iter().map(|c| c.name()).collect();
                format!(
                    "{}: NOT found; the checks that catch it did not run ({})",
                    bug.name,
                    checks.join(", ")
                )
            }
            None => format!("{}: NOT found", bug.name),
        })
        .collect()
}

/// `1 finding`, `2 findings`.
fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture;

    fn bug(name: &str, caught_by: &[CheckId]) -> PlantedBug {
        PlantedBug {
            name: name.into(),
            caught_by: caught_by.to_vec(),
            file: None,
        }
    }

    #[test]
    fn the_run_verdict_follows_the_exit_code() {
        let mut report = fixture::sample_report();
        let v = verdict(&report, &Expectation::Run);
        assert_eq!(
            v.line(),
            "verdict: FAILED (exit 1): 1 finding at or above --fail-on error, 1 below it"
        );
        report.findings.clear();
        report.outcome = RunOutcome::Interrupted;
        assert_eq!(
            verdict(&report, &Expectation::Run).code,
            exit_code::INTERRUPTED
        );
        report.outcome = RunOutcome::CannotTest {
            reason: "connection refused".into(),
        };
        assert!(
            verdict(&report, &Expectation::Run)
                .line()
                .starts_with("verdict: CANNOT TEST (exit 3): the target")
        );
        report.outcome = RunOutcome::Completed;
        assert_eq!(
            verdict(&report, &Expectation::Run).line(),
            "verdict: CANNOT TEST (exit 3): 1 check could not run a single case (see not judged:)",
            "a check that ran no case is not a pass"
        );
        report
            .results
            .retain(|r| !matches!(r.status, CheckStatus::Errored { .. }));
        assert_eq!(
            verdict(&report, &Expectation::Run).line(),
            "verdict: PASSED (exit 0): no finding at or above --fail-on error"
        );
    }

    #[test]
    fn a_check_inconclusive_in_every_case_is_not_a_pass() {
        let mut report = fixture::sample_report();
        report.findings.clear();
        report
            .results
            .retain(|r| !matches!(r.status, CheckStatus::Errored { .. }));
        report.results[0].status = CheckStatus::Inconclusive {
            reason: "the item could not be read back".into(),
        };
        let name = format!(
            "{} on {}",
            report.results[0].check, report.results[0].resource
        );
        let v = verdict(&report, &Expectation::Run);
        assert_eq!(v.code, exit_code::CANNOT_TEST);
        assert_eq!(
            v.line(),
            format!(
                "verdict: INCONCLUSIVE (exit 3): 1 check observed nothing in any case, so it was not tested (see inconclusive:): {name}"
            )
        );
    }

    #[test]
    fn the_demo_verdict_is_per_planted_bug() {
        let mut report = fixture::sample_report();
        report
            .results
            .retain(|r| !matches!(r.status, CheckStatus::Errored { .. }));
        let found = bug("put-counter", &[CheckId::RepeatPut]);
        let missed = bug("delete-500", &[CheckId::RepeatDelete]);
        let one = verdict(&report, &Expectation::Demo(vec![found.clone()]));
        assert_eq!(
            one.line(),
            "verdict: DEMO OK (exit 0): the planted bug was found, as the demo expects"
        );
        let two = verdict(
            &report,
            &Expectation::Demo(vec![found.clone(), missed.clone()]),
        );
        assert_eq!(
            two.line(),
            "verdict: DEMO FAILED (exit 1): 1 of 2 planted bugs not found",
            "one bug found is not all bugs found"
        );
        assert_eq!(
            planted_bug_lines(&report, &[found, missed]),
            [
                "put-counter: found (error[repeat-put] items)",
                "delete-500: NOT found; the checks that catch it did not run (repeat-delete)"
            ]
        );
        let warning_only = bug("head-mismatch", &[CheckId::HeadParity]);
        assert_eq!(
            verdict(&report, &Expectation::Demo(vec![warning_only])).code,
            exit_code::OK,
            "a warning shows a bug whatever --fail-on says"
        );
        let clean = verdict(&report, &Expectation::Demo(Vec::new()));
        assert_eq!(
            clean.line(),
            "verdict: DEMO FAILED (exit 1): the clean API got 1 failing finding"
        );
    }
}
