//! Long runs stay bounded: the resources of finished cases are deleted during the run, batch by
//! batch (so the target's collections do not grow with the run), a rule broken in many cases is
//! one finding that counts them, and the report says when the first failing finding came. Real
//! binary, real demo API on 127.0.0.1.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::{Demo, findings_of, result_row, run_json, scenario};

const SEED: &str = "11";

fn demo_toml() -> String {
    scenario("demo.toml")
}

/// The global case number in a run-owned item path (`/things/idf-RUN-c0042-1` → 42).
fn case_of(path: &str) -> Option<u32> {
    let rest = path.strip_prefix("/things/")?;
    let at = rest.rfind("-c")?;
    rest[at + 2..].get(..4)?.parse().ok()
}

#[test]
fn cases_delete_what_they_created_in_batches_and_never_while_a_case_runs() {
    let demo = Demo::start("none");
    // 130 cases run in batches of 32 with --concurrency 1: 1–32, 33–64, … 129–130.
    let out = run_json(
        &demo_toml(),
        demo.url(),
        &[
            "--checks",
            "repeat-put",
            "--cases",
            "130",
            "--concurrency",
            "1",
            "--seed",
            SEED,
        ],
    );
    out.assert_code(0, "the clean demo API").assert_no_panic();
    let requests = demo.requests();
    let first_of = |case: u32| {
        requests
            .iter()
            .position(|r| case_of(&r.path) == Some(case))
            .unwrap_or_else(|| panic!("case {case} sent nothing"))
    };
    let last_of = |case: u32| {
        requests
            .iter()
            .rposition(|r| case_of(&r.path) == Some(case) && r.method != "DELETE")
            .unwrap_or_else(|| panic!("case {case} sent nothing"))
    };
    // Bounded: the first batch's items are all gone before the second batch starts.
    let second_batch = first_of(33);
    let first_batch: BTreeSet<&str> = requests
        .iter()
        .filter(|r| case_of(&r.path).is_some_and(|case| case <= 32))
        .map(|r| r.path.as_str())
        .collect();
    assert!(first_batch.len() >= 32, "{}", first_batch.len());
    for item in first_batch {
        assert!(
            requests[..second_batch]
                .iter()
                .any(|r| r.method == "DELETE" && r.path == item),
            "{item} was not deleted before the next batch started"
        );
    }
    // Never while a case runs: between a case's first and last request, only its own items.
    for case in 1..=130 {
        let (first, last) = (first_of(case), last_of(case));
        let intruder = requests[first..=last]
            .iter()
            .find(|r| case_of(&r.path).is_some_and(|other| other != case));
        assert!(
            intruder.is_none(),
            "{intruder:?} was sent while case {case} ran"
        );
    }
    let report = out.json();
    let cleanup = &report["cleanup"];
    let during = cleanup["deleted_after_cases"].as_u64().unwrap_or(0);
    assert!(during >= 130, "{cleanup}");
    assert!(
        cleanup["deleted"].as_u64().unwrap_or(0) >= during,
        "`deleted` counts both cleanups: {cleanup}"
    );
    assert_eq!(cleanup["left_behind"], serde_json::json!([]), "{cleanup}");
}

/// A server whose DELETE also deletes a neighbour (`delete-other`) must not be blamed by checks
/// that never delete: the cleanup of finished cases never runs while other cases are judged.
#[test]
fn cleanup_during_the_run_never_disturbs_the_cases_being_judged() {
    let demo = Demo::start("delete-other");
    let out = run_json(
        &demo_toml(),
        demo.url(),
        &[
            "--checks",
            "repeat-put,partial-put,get-safety,head-parity",
            "--cases",
            "10",
            "--concurrency",
            "4",
            "--seed",
            SEED,
        ],
    );
    let report = out.json();
    out.assert_code(0, "none of these checks deletes anything")
        .assert_no_panic();
    assert!(
        report["cleanup"]["deleted_after_cases"].as_u64() > Some(0),
        "{}",
        report["cleanup"]
    );
}

/// (fingerprint, case, occurrences, other cases, title) of every finding.
fn aggregated(report: &Value) -> Vec<(String, u64, u64, Value, String)> {
    support::findings(report)
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap_or("?").to_string(),
                f["case"].as_u64().unwrap_or(0),
                f["occurrences"].as_u64().unwrap_or(0),
                f["other_cases"].clone(),
                f["title"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_rule_broken_in_every_case_is_one_finding_that_counts_the_cases() {
    let demo = Demo::start("merge-put");
    let dir = tempfile::tempdir().expect("tempdir");
    let human = dir.path().join("report.txt");
    let human_arg = format!("human:{}", human.display());
    let run = |concurrency: &str, extra: &[&str]| {
        let mut args = vec![
            "--checks",
            "partial-put",
            "--cases",
            "25",
            "--seed",
            SEED,
            "--concurrency",
            concurrency,
        ];
        args.extend_from_slice(extra);
        let out = run_json(&demo_toml(), demo.url(), &args);
        out.assert_code(1, "merge-put breaks partial-put")
            .assert_no_panic();
        out.json()
    };
    let report = run("4", &["--report", &human_arg]);
    let merged = findings_of(&report, "partial-put");
    assert_eq!(merged.len(), 1, "one finding per rule, not per case");
    let finding = merged[0];
    assert_eq!(finding["case"], 1, "the lowest case is the one kept");
    assert_eq!(finding["occurrences"], 25, "{finding}");
    let others: Vec<u64> = (2..=21).collect();
    assert_eq!(
        finding["other_cases"],
        serde_json::json!(others),
        "the lowest 20 other cases"
    );
    assert!(
        finding["exchanges"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "the kept finding has its case's exchanges"
    );
    assert_eq!(
        result_row(&report, "partial-put", "things")["errors"],
        25,
        "the row still counts every case"
    );
    assert_eq!(
        aggregated(&run("1", &[])),
        aggregated(&report),
        "the report does not depend on the order concurrent cases finish in"
    );
    let text = std::fs::read_to_string(&human).expect("the human report");
    assert_eq!(
        text.matches("error[partial-put] things: PUT merged")
            .count(),
        1,
        "printed once:\n{text}"
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("(case 1; seen in 25 cases: also 2, 3, 4,"),
        "the block says how many cases found it (wrapped as it may be):\n{text}"
    );
}

#[test]
fn the_report_says_when_the_first_failing_finding_came() {
    let first_failure = |bug: &str, check: &str, extra: &[&str]| {
        let demo = Demo::start(bug);
        let mut args = vec![
            "--checks",
            check,
            "--cases",
            "10",
            "--seed",
            SEED,
            "--concurrency",
            "1",
        ];
        args.extend_from_slice(extra);
        let out = run_json(&demo_toml(), demo.url(), &args);
        out.assert_no_panic();
        let report = out.json();
        (report["stats"]["first_failure"].clone(), report)
    };
    let (clean, _) = first_failure("none", "partial-put", &[]);
    assert!(clean.is_null(), "no failure, no time to it: {clean}");

    let (first, report) = first_failure("merge-put", "partial-put", &[]);
    let requests = first["requests"].as_u64().expect("requests");
    let total = report["stats"]["requests"].as_u64().unwrap_or(0);
    assert!(
        requests > 0 && requests * 3 < total,
        "counted when the first case failed, not at the end: {requests} of {total}"
    );
    let elapsed = first["elapsed_ms"].as_u64().expect("elapsed_ms");
    assert!(elapsed <= report["duration_ms"].as_u64().unwrap_or(0));

    // Only findings at or above --fail-on count: etag-churn breaks a SHOULD (warning).
    let (below, report) = first_failure("etag-churn", "etag-stability", &[]);
    assert!(
        below.is_null() && !support::findings(&report).is_empty(),
        "a warning does not fail the run by default: {below}"
    );
    let (at, _) = first_failure("etag-churn", "etag-stability", &["--fail-on", "warning"]);
    assert!(at["requests"].as_u64().is_some(), "{at}");
}
