//! Unit tests of fingerprints, marking, summaries and the baseline file.

use std::collections::BTreeSet;

use super::file::{self, BaselineError};
use super::*;
use crate::model::fixture;

fn finding(check: CheckId, rule: &str, severity: Severity) -> Finding {
    let mut finding = fixture::sample_report().findings[0].clone();
    finding.check = check;
    finding.rule = rule.into();
    finding.severity = severity;
    finding
}

#[test]
fn fingerprints_ignore_directories_ids_and_values() {
    let mut a = finding(CheckId::RepeatPut, "item-changed", Severity::Error);
    assert_eq!(a.fingerprint(), "items.toml:items:repeat-put:item-changed");
    let mut b = a.clone();
    b.scenario = "/elsewhere/ci/items.toml".into();
    b.exchanges.clear();
    b.case = 3;
    b.observed = "something else".into();
    assert_eq!(a.fingerprint(), b.fingerprint());
    a.rule.clear();
    a.title = "HEAD answered 404, not 200".into();
    assert_eq!(
        a.fingerprint(),
        "items.toml:items:repeat-put:head-answered-not"
    );
}

#[test]
fn slugs_drop_numbers_and_punctuation() {
    assert_eq!(
        slug("a PUT answered 201 Created!"),
        "a-put-answered-created"
    );
    assert_eq!(slug("step `x1`: /id is not 2"), "step-x1-id-is-not");
}

fn options(known: &[&Finding], record: bool) -> BaselineOptions {
    BaselineOptions {
        compare: (!known.is_empty()).then(|| {
            (
                "b.json".into(),
                Baseline::of_findings(known.iter().copied()),
            )
        }),
        record: record.then(|| "new.json".into()),
    }
}

#[test]
fn marks_known_new_recorded_and_leaves_info_alone() {
    let known = finding(CheckId::RepeatPut, "item-changed", Severity::Error);
    let fresh = finding(CheckId::RepeatPut, "repeat-201", Severity::Error);
    let info = finding(CheckId::PostRetry, "unkeyed-duplicate", Severity::Info);
    let compare = options(&[&known], false);
    assert_eq!(compare.mark(&known), Some(BaselineMark::Known));
    assert_eq!(compare.mark(&fresh), Some(BaselineMark::New));
    assert_eq!(compare.mark(&info), None);
    let both = options(&[&known], true);
    assert_eq!(both.mark(&known), Some(BaselineMark::Known));
    assert_eq!(both.mark(&fresh), Some(BaselineMark::Recorded));
    assert_eq!(BaselineOptions::default().mark(&fresh), None);
}

#[test]
fn known_findings_do_not_fail_the_run_and_new_ones_do() {
    let mut report = fixture::sample_report();
    let known = report.findings[0].clone();
    let compare = options(&[&known], false);
    for f in &mut report.findings {
        f.baseline = compare.mark(f);
    }
    assert_eq!(report.failing_findings().count(), 0);
    assert_eq!(
        crate::model::exit_code::for_report(&report),
        crate::model::exit_code::CANNOT_TEST,
        "the fixture's errored check still counts"
    );
    report.findings.push(Finding {
        rule: "repeat-201".into(),
        baseline: Some(BaselineMark::New),
        ..known
    });
    assert_eq!(report.failing_findings().count(), 1);
    assert_eq!(
        crate::model::exit_code::for_report(&report),
        crate::model::exit_code::FINDINGS
    );
}

#[test]
fn summary_counts_marks_and_separates_fixed_from_not_checked() {
    let mut report = fixture::sample_report();
    let found = report.findings[0].clone();
    let gone = finding(CheckId::RepeatPut, "repeat-201", Severity::Error);
    let elsewhere = finding(CheckId::GetSafety, "item-changed", Severity::Error);
    let compare = options(&[&found, &gone, &elsewhere], false);
    for f in &mut report.findings {
        f.baseline = compare.mark(f);
    }
    let complete: BTreeSet<CompleteUnit> = [
        (
            "items.toml".to_string(),
            "items".to_string(),
            CheckId::RepeatPut,
        ),
        (
            "items.toml".to_string(),
            "items".to_string(),
            CheckId::GetSafety,
        ),
    ]
    .into();
    let summary = summarise(&compare, &report, &complete).expect("a baseline was given");
    assert_eq!((summary.known, summary.new, summary.recorded), (1, 1, 0));
    assert_eq!(
        summary
            .fixed
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect::<Vec<_>>(),
        ["items.toml:items:repeat-put:repeat-201"]
    );
    assert_eq!(
        summary.not_checked, 1,
        "get-safety errored: it proves nothing"
    );
    assert!(summarise(&BaselineOptions::default(), &report, &complete).is_none());
}

#[test]
fn the_file_round_trips_sorted_and_deduplicated() {
    let a = finding(CheckId::RepeatPut, "repeat-201", Severity::Error);
    let b = finding(CheckId::RepeatPut, "item-changed", Severity::Warning);
    let baseline = Baseline::of_findings([&a, &b, &a]);
    let text = file::render(&baseline);
    insta::assert_snapshot!(text);
    let parsed = file::parse("b.json", &text).expect("parses");
    assert_eq!(parsed, baseline);
    assert!(parsed.contains("items.toml:items:repeat-put:repeat-201"));
    assert!(!parsed.contains("items.toml:items:repeat-put"));
}

#[test]
fn a_hand_written_entry_needs_only_the_fingerprint() {
    let text =
        r#"{"format_version": 1, "findings": [{"fingerprint": "a.toml:x:repeat-put:repeat-201"}]}"#;
    let parsed = file::parse("b.json", text).expect("parses");
    assert!(parsed.contains("a.toml:x:repeat-put:repeat-201"));
}

#[test]
fn malformed_files_are_located_errors() {
    let err = file::parse(
        "b.json",
        "{\n  \"format_version\": 1,\n  \"findings\": [1]\n}",
    )
    .expect_err("an entry must be an object");
    assert!(
        matches!(err, BaselineError::Malformed { line: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("b.json:3:"), "{err}");
    let err = file::parse("b.json", "not json").expect_err("not JSON");
    assert!(
        err.to_string().contains("not a valid baseline file"),
        "{err}"
    );
    let err = file::parse("b.json", r#"{"format_version": 2, "findings": []}"#)
        .expect_err("future version");
    assert!(
        matches!(err, BaselineError::Version { found: 2, .. }),
        "{err}"
    );
    let err = file::read(std::path::Path::new("/nonexistent/b.json")).expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/b.json"), "{err}");
}
