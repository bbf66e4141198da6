//! Flaky networks still give verdicts: the demo API behind a proxy that answers 10% of the
//! requests with a fault (503, a reset, a lost answer, a stall; seeded) — every check ends with
//! a verdict, no fault becomes a finding, planted bugs are still found, and the report's
//! "left behind" list is exactly what the API still holds.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::faults::{Fault, FaultProxy, KINDS, schedule};
use support::{
    Demo, finding_lines, findings, get_json, left_behind_ids, results, run_json, scenario,
};

/// 10% of the requests get a fault.
const PER_MILLE: u64 = 100;

/// The ids a collection of the demo API holds, read directly (not through the proxy).
fn ids_in(demo: &Demo, collection: &str) -> BTreeSet<String> {
    get_json(&format!("{}{collection}", demo.url()))["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_fault_schedule_is_seeded_and_as_dense_as_asked() {
    let faults: Vec<Fault> = (0..10_000)
        .filter_map(|n| schedule(7, n, PER_MILLE))
        .collect();
    assert!((900..1100).contains(&faults.len()), "{}", faults.len());
    for kind in KINDS {
        let count = faults.iter().filter(|f| **f == kind).count();
        assert!((180..320).contains(&count), "{kind:?}: {count}");
    }
    let again: Vec<Fault> = (0..10_000)
        .filter_map(|n| schedule(7, n, PER_MILLE))
        .collect();
    assert_eq!(faults, again, "same seed, same schedule");
    let other: Vec<Option<Fault>> = (0..200).map(|n| schedule(8, n, PER_MILLE)).collect();
    assert_ne!(
        (0..200)
            .map(|n| schedule(7, n, PER_MILLE))
            .collect::<Vec<_>>(),
        other
    );
}

#[test]
fn every_check_gives_a_verdict_at_ten_percent_faults() {
    let demo = Demo::start("none");
    let proxy = FaultProxy::start(demo.url(), 7, PER_MILLE);
    let out = run_json(
        &scenario("demo.toml"),
        &proxy.url(),
        &["--seed", "7", "--timeout", "500ms"],
    );
    out.assert_no_panic()
        .assert_code(0, "a clean API behind a flaky network");
    let injected = proxy.injected();
    assert!(
        injected.iter().all(|n| *n >= 5),
        "every kind of fault must have happened: {injected:?} of {} requests",
        proxy.arrived()
    );
    let report = out.json();
    assert_eq!(
        report["outcome"]["kind"], "completed",
        "{}",
        report["outcome"]
    );
    assert!(
        findings(&report).iter().all(|f| f["severity"] == "info"),
        "a fault became a finding:\n{}",
        finding_lines(&report)
    );
    let mut reruns = 0;
    for row in results(&report) {
        let status = row["status"]["kind"].as_str().unwrap_or("");
        assert!(
            matches!(status, "passed" | "skipped"),
            "every check ends with a verdict: {row}"
        );
        if status == "passed" {
            assert!(row["cases_run"].as_u64().unwrap_or(0) >= 1, "{row}");
        }
        reruns += usize::from(
            row["notes"]
                .to_string()
                .contains("were run again on fresh ids"),
        );
    }
    assert!(reruns > 0, "no case was re-run: {}", report["results"]);
    assert!(report["stats"]["transport_errors"].as_u64().unwrap_or(0) > 0);

    // Exact: what the report lists is what the API still holds, nothing more, nothing less.
    assert_eq!(
        left_behind_ids(&report),
        ids_in(&demo, "/things"),
        "left behind: {}",
        report["cleanup"]
    );
    for left in report["cleanup"]["left_behind"].as_array().expect("list") {
        assert!(
            left["reason"]
                .as_str()
                .is_some_and(|r| r.contains("marker")),
            "only what lost POSTs created may be left: {left}"
        );
    }
}

#[test]
fn a_planted_bug_is_still_found_at_ten_percent_faults() {
    let demo = Demo::start("merge-put");
    let proxy = FaultProxy::start(demo.url(), 11, PER_MILLE);
    let out = run_json(
        &scenario("demo.toml"),
        &proxy.url(),
        &[
            "--checks",
            "partial-put,repeat-put",
            "--seed",
            "11",
            "--timeout",
            "500ms",
        ],
    );
    out.assert_no_panic().assert_code(1, "merge-put is found");
    let report = out.json();
    let partial: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["check"] == "partial-put" && f["severity"] == "error")
        .collect();
    assert!(!partial.is_empty(), "{}", finding_lines(&report));
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["check"] == "partial-put" || f["severity"] == "info"),
        "only the planted bug is found:\n{}",
        finding_lines(&report)
    );
}

#[test]
fn a_reset_on_the_very_first_request_does_not_end_the_run() {
    let demo = Demo::start("none");
    let proxy = FaultProxy::start_with(
        demo.url(),
        Box::new(|n, _: &_, _: &_| (n == 0).then_some(Fault::Reset)),
    );
    let out = run_json(
        &scenario("demo.toml"),
        &proxy.url(),
        &["--checks", "repeat-put", "--cases", "1", "--seed", "3"],
    );
    out.assert_code(0, "the probe tries again after a reset");
    assert_eq!(proxy.injected()[1], 1, "the first request was reset");
    assert_eq!(out.json()["outcome"]["kind"], "completed");
}

#[test]
fn an_api_that_answers_only_503_cannot_be_tested_and_has_no_finding() {
    // Reachable (the probe is answered), then 503 to everything: nothing can be judged.
    let demo = Demo::start("none");
    let proxy = FaultProxy::start_with(
        demo.url(),
        Box::new(|n, _: &_, _: &_| (n > 0).then_some(Fault::Unavailable)),
    );
    let out = run_json(
        &scenario("demo.toml"),
        &proxy.url(),
        &["--checks", "repeat-delete,use-after-delete", "--seed", "3"],
    );
    out.assert_no_panic()
        .assert_code(3, "503 to everything: cannot test");
    let report = out.json();
    assert!(findings(&report).is_empty(), "{}", finding_lines(&report));
    assert!(
        report["outcome"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stopped answering") && r.contains("503")),
        "{}",
        report["outcome"]
    );
}
