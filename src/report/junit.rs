//! The JUnit XML report, for CI systems that display test results.
//!
//! Mapping (documented in `docs/report-format.md`):
//! * one `<testsuite>` per scenario file, in the order results appear; a suite named `idemfuzz`
//!   holds the run-level testcase (when the run did not complete) and any finding whose
//!   check × resource has no result row;
//! * one `<testcase>` per check × resource, named `CHECK · RESOURCE`, classname the resource;
//! * a testcase **fails** only when it has a finding at or above the run's `fail_on` (so a
//!   warnings-only testcase passes unless `fail_on` is `warning`; its findings still appear in
//!   `system-out`); skipped and interrupted checks are `<skipped>`; errored checks are `<error>`;
//! * `system-out` holds each finding's headline and curl reproduction;
//! * findings a baseline accepts (`known`, `recorded`) never fail a testcase: a testcase with
//!   only such findings passes, and they are listed, marked, in its `system-out`.

use std::collections::HashSet;
use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::Reporter;
use super::curl::finding_repro;
use super::human::{Palette, render_finding_details};
use crate::model::check::CheckId;
use crate::model::events::Event;
use crate::model::findings::{BaselineMark, Finding};
use crate::model::report::{CheckResult, CheckStatus, RunOutcome, RunReport};

/// Name of the report and of the suite holding run-level testcases.
const RUN_SUITE: &str = "idemfuzz";

/// The JUnit XML document for `report`, valid against the common JUnit schema (Jenkins'
/// `junit-10.xsd`, `tests/fixtures/junit-10.xsd`).
pub(crate) fn render_junit(report: &RunReport) -> String {
    let mut junit = Report::new(RUN_SUITE);
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suites(suites(report));
    // Serialising into memory cannot fail: every string went through `XmlString`, and what
    // quick-junit wrote reads back.
    let xml = junit.to_string().expect("the JUnit report serialises");
    without_root_skipped(&xml).expect("quick-junit's output is well-formed XML")
}

/// quick-junit writes a `skipped` count on `<testsuites>`, which the common JUnit schema does
/// not allow (only on `<testsuite>`): the document again with that one attribute left out,
/// every other event written back as it was read.
fn without_root_skipped(xml: &str) -> Result<String, quick_xml::Error> {
    use quick_xml::events::{BytesStart, Event as Xml};
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(xml.len()));
    loop {
        match reader.read_event()? {
            Xml::Eof => break,
            Xml::Start(tag) if tag.name().as_ref() == b"testsuites" => {
                let mut root = BytesStart::new("testsuites");
                for attribute in tag.attributes() {
                    let attribute = attribute.map_err(quick_xml::Error::from)?;
                    if attribute.key.as_ref() != b"skipped" {
                        root.push_attribute(attribute);
                    }
                }
                writer.write_event(Xml::Start(root))?;
            }
            event => writer.write_event(event)?,
        }
    }
    Ok(String::from_utf8_lossy(&writer.into_inner()).into_owned())
}

/// One suite per scenario file, then the run suite when it has anything to say.
fn suites(report: &RunReport) -> Vec<TestSuite> {
    let mut suites: Vec<TestSuite> = scenario_names(report)
        .into_iter()
        .map(|scenario| scenario_suite(report, scenario))
        .collect();
    let run_cases = run_test_cases(report);
    if !run_cases.is_empty() || suites.is_empty() {
        let mut suite = new_suite(report, RUN_SUITE);
        suite.add_test_cases(run_cases);
        suites.push(suite);
    }
    suites
}

/// The distinct scenario names of the results, in order of first appearance.
fn scenario_names(report: &RunReport) -> Vec<&str> {
    let mut seen = HashSet::new();
    report
        .results
        .iter()
        .map(|r| r.scenario.as_str())
        .filter(|name| seen.insert(*name))
        .collect()
}

fn scenario_suite(report: &RunReport, scenario: &str) -> TestSuite {
    let name = if scenario.is_empty() {
        RUN_SUITE
    } else {
        scenario
    };
    let mut suite = new_suite(report, name);
    let rows: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.scenario == scenario)
        .collect();
    let busy_ms = rows.iter().map(|r| r.duration_ms).sum();
    suite.set_time(Duration::from_millis(busy_ms));
    suite.add_test_cases(rows.into_iter().map(|r| result_test_case(report, r)));
    suite
}

/// An empty suite carrying the run's identity as properties.
fn new_suite(report: &RunReport, name: &str) -> TestSuite {
    let mut suite = TestSuite::new(name);
    suite.add_properties([
        Property::new("seed", report.seed.to_string()),
        Property::new("run_id", &report.run_id),
        Property::new("base_url", &report.base_url),
        Property::new("fail_on", report.fail_on.as_str()),
        Property::new("tool_version", &report.tool_version),
    ]);
    if let Some(shard) = report.shard {
        suite.add_property(Property::new("shard", shard.to_string()));
    }
    let baseline = report.baseline.as_ref();
    if let Some(file) = baseline.and_then(|b| b.compared_with.as_deref()) {
        suite.add_property(Property::new("baseline", file));
    }
    if let RunOutcome::Stopped { reason } = &report.outcome {
        suite.add_property(Property::new("stopped_early", reason));
    }
    suite
}

/// The testcase of one result row.
fn result_test_case(report: &RunReport, result: &CheckResult) -> TestCase {
    let findings = findings_of(report, &result.scenario, result.check, &result.resource);
    let status = match &result.status {
        CheckStatus::Passed | CheckStatus::Failed => findings_status(report, &findings),
        CheckStatus::Skipped { reason } => skipped(reason),
        CheckStatus::Interrupted => skipped("the run was interrupted before this check finished"),
        CheckStatus::Inconclusive { reason } => skipped(&format!("inconclusive: {reason}")),
        CheckStatus::Errored { reason } => errored(reason, &result.case_errors),
    };
    let mut case = test_case(result.check, &result.resource, status);
    case.set_time(Duration::from_millis(result.duration_ms));
    let out = system_out(&result.notes, &findings);
    if !out.is_empty() {
        case.set_system_out(out);
    }
    case
}

/// `CHECK · RESOURCE`, classname the resource.
fn test_case(check: CheckId, resource: &str, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(format!("{check} · {resource}"), status);
    case.set_classname(resource);
    case
}

fn findings_of<'a>(
    report: &'a RunReport,
    scenario: &str,
    check: CheckId,
    resource: &str,
) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.scenario == scenario && f.check == check && f.resource == resource)
        .collect()
}

/// Failure when a finding is at or above `fail_on` (message: the first such title), success
/// otherwise.
fn findings_status(report: &RunReport, findings: &[&Finding]) -> TestCaseStatus {
    let failing: Vec<&Finding> = report
        .failing_findings()
        .filter(|f| findings.iter().any(|g| std::ptr::eq(*g, *f)))
        .collect();
    let Some(first) = failing.first() else {
        return TestCaseStatus::success();
    };
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_message(&first.title)
        .set_type(first.check.name())
        .set_description(failure_text(findings));
    status
}

/// Every finding of a testcase: headline, rule, expected / observed, requests and diff.
fn failure_text(findings: &[&Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}\n{}",
                headline(f),
                render_finding_details(f, Palette::PLAIN)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `error: TITLE`, then the baseline mark when there is one: `(known: in the baseline, not
/// failing)`, then ` — seen in N cases` when more than one case found it.
fn headline(finding: &Finding) -> String {
    let mark = match finding.baseline {
        Some(BaselineMark::Known) => " (known: in the baseline, not failing)",
        Some(BaselineMark::New) => " (new: not in the baseline)",
        Some(BaselineMark::Recorded) => " (recorded in the new baseline, not failing)",
        None => "",
    };
    let seen = match finding.occurrences {
        0 | 1 => String::new(),
        n => format!(" — seen in {n} cases"),
    };
    format!(
        "{}: {}{mark}{seen}",
        finding.severity.as_str(),
        finding.title
    )
}

/// The row's notes (`# note: …`), then each finding's headline and curl reproduction; empty
/// when there is neither.
fn system_out(notes: &[String], findings: &[&Finding]) -> String {
    let notes = notes.iter().map(|note| format!("# note: {note}\n"));
    let repros = findings
        .iter()
        .map(|f| format!("# {}\n{}", headline(f), finding_repro(f)));
    notes.chain(repros).collect::<Vec<_>>().join("\n")
}

fn skipped(reason: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status.set_message(reason);
    status
}

fn errored(reason: &str, case_errors: &[String]) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(reason).set_type("case-error");
    if !case_errors.is_empty() {
        status.set_description(case_errors.join("\n"));
    }
    status
}

/// The run-level testcases: `run` when the run did not complete, and one testcase per
/// check × resource that has findings but no result row (so no finding is ever lost).
fn run_test_cases(report: &RunReport) -> Vec<TestCase> {
    let mut cases: Vec<TestCase> = outcome_test_case(&report.outcome).into_iter().collect();
    let mut seen = HashSet::new();
    for finding in &report.findings {
        let key = (
            finding.scenario.as_str(),
            finding.check,
            finding.resource.as_str(),
        );
        let has_row = report
            .results
            .iter()
            .any(|r| (r.scenario.as_str(), r.check, r.resource.as_str()) == key);
        if !has_row && seen.insert(key) {
            let findings = findings_of(report, &finding.scenario, finding.check, &finding.resource);
            let status = findings_status(report, &findings);
            let mut case = test_case(finding.check, &finding.resource, status);
            case.set_system_out(system_out(&[], &findings));
            cases.push(case);
        }
    }
    cases
}

/// An errored `run` testcase when the run was interrupted or could not test.
fn outcome_test_case(outcome: &RunOutcome) -> Option<TestCase> {
    let (ty, message) = match outcome {
        RunOutcome::Completed | RunOutcome::Stopped { .. } => return None,
        RunOutcome::Interrupted => ("interrupted", "the run was interrupted (Ctrl-C)"),
        RunOutcome::CannotTest { reason } => ("cannot-test", reason.as_str()),
    };
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(message).set_type(ty);
    let mut case = TestCase::new("run", status);
    case.set_classname(RUN_SUITE);
    Some(case)
}

/// Writes the JUnit report to `W` when the run finishes; ignores every other event.
pub(crate) struct JunitReporter<W: Write> {
    out: W,
}

impl<W: Write> JunitReporter<W> {
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

impl<W: Write + Send> Reporter for JunitReporter<W> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        if let Event::RunFinished(report) = event {
            let mut xml = render_junit(report);
            if !xml.ends_with('\n') {
                xml.push('\n');
            }
            self.out.write_all(xml.as_bytes())?;
            self.out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::findings::Severity;
    use crate::model::fixture;

    #[test]
    fn junit_report_snapshot() {
        insta::assert_snapshot!(render_junit(&fixture::sample_report()));
    }

    #[test]
    fn parses_back_with_the_expected_counts() {
        let xml = render_junit(&fixture::sample_report());
        let parsed = Report::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(parsed.tests, 4);
        assert_eq!(
            parsed.failures, 1,
            "the warnings-only head-parity testcase passes"
        );
        assert_eq!(parsed.errors, 1);
        assert_eq!(parsed.test_suites[0].skipped, 1, "counted on the suite");
        assert!(
            !xml.lines()
                .any(|l| l.starts_with("<testsuites") && l.contains("skipped=")),
            "junit-10.xsd allows no `skipped` on <testsuites>: {xml}"
        );
        assert_eq!(
            parsed.test_suites[0].time,
            Some(Duration::from_millis(2138)),
            "a suite's time is its rows' time"
        );
    }

    #[test]
    fn warnings_fail_when_fail_on_is_warning() {
        let mut report = fixture::sample_report();
        report.fail_on = Severity::Warning;
        let parsed = Report::deserialize_from_str(&render_junit(&report)).expect("valid XML");
        assert_eq!(parsed.failures, 2);
    }

    #[test]
    fn reporter_writes_only_on_run_finished() {
        let mut reporter = JunitReporter::new(Vec::new());
        for event in fixture::sample_events() {
            reporter
                .on_event(&event)
                .expect("writing to a Vec cannot fail");
        }
        let out = String::from_utf8(reporter.into_inner()).expect("UTF-8");
        assert!(
            out.starts_with("<?xml") && out.ends_with("</testsuites>\n"),
            "{out}"
        );
        assert_eq!(out.matches("<testsuites").count(), 1);
    }

    #[test]
    fn a_run_that_cannot_test_is_an_error() {
        let mut report = fixture::sample_report();
        report.results.clear();
        report.findings.clear();
        report.outcome = RunOutcome::CannotTest {
            reason: "connection refused".into(),
        };
        let parsed = Report::deserialize_from_str(&render_junit(&report)).expect("valid XML");
        assert_eq!((parsed.tests, parsed.errors), (1, 1));
        assert_eq!(parsed.test_suites[0].name.as_str(), RUN_SUITE);
    }

    #[test]
    fn known_findings_pass_and_new_ones_fail() {
        let mut report = fixture::sample_report();
        report.findings[0].baseline = Some(BaselineMark::Known);
        let xml = render_junit(&report);
        let parsed = Report::deserialize_from_str(&xml).expect("valid XML");
        assert_eq!(parsed.failures, 0, "{xml}");
        assert!(xml.contains("# error: a repeated identical PUT changed the resource (known: in the baseline, not failing)"), "{xml}");
        report.findings[0].baseline = Some(BaselineMark::New);
        let parsed = Report::deserialize_from_str(&render_junit(&report)).expect("valid XML");
        assert_eq!(parsed.failures, 1);
    }

    #[test]
    fn failure_text_carries_the_fingerprint_and_the_diff() {
        let xml = render_junit(&fixture::sample_report());
        assert!(
            xml.contains("finding:  items.toml:items:repeat-put:item-changed (case 1; seen in 3 cases: also 2, 3)"),
            "{xml}"
        );
        assert!(xml.contains("+  &quot;version&quot;: 2"), "{xml}");
    }

    #[test]
    fn findings_seen_in_several_cases_say_how_many() {
        let mut report = fixture::sample_report();
        let xml = render_junit(&report);
        assert!(
            xml.contains(
                "# error: a repeated identical PUT changed the resource — seen in 3 cases\n"
            ),
            "{xml}"
        );
        report.findings[0].occurrences = 1;
        report.findings[0].other_cases.clear();
        let xml = render_junit(&report);
        assert!(
            xml.contains("# error: a repeated identical PUT changed the resource\n"),
            "{xml}"
        );
    }

    #[test]
    fn findings_without_a_result_row_are_not_lost() {
        let mut report = fixture::sample_report();
        report.results.retain(|r| r.check != CheckId::RepeatPut);
        let parsed = Report::deserialize_from_str(&render_junit(&report)).expect("valid XML");
        assert_eq!(parsed.failures, 1);
    }
}
