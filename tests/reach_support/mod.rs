//! Running idemfuzz against a stand-in with a scenario written inline, and the verdicts the
//! reach tests share: a correct stand-in is clean (no error or warning finding but the listed
//! true ones, no row that passed without observing its collection, nothing left behind, the
//! pre-existing resources untouched); a buggy one is caught by the named check and rule.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::Write;

use serde_json::Value;

use crate::standins::Standin;
use crate::support::{Out, finding_lines, findings, results, run_cmd, severity_rank};

/// Findings that are true on a correct stand-in by design, never false alarms: POST without
/// Idempotency-Key (a retried POST may duplicate: RFC 9110 §9.2.2 does not make POST
/// idempotent), and a 201 without `Location` (RFC 9110 §15.3.2 SHOULD), which DRF sends.
pub(crate) const TRUE_ON_CORRECT: [&str; 2] = ["unkeyed-post-lost-duplicate", "post-no-location"];

/// Runs `scenario` (TOML text) against `api` with `--format json` and `extra` options; `env`
/// is set for the binary.
pub(crate) fn run_on(api: &Standin, scenario: &str, extra: &[&str], env: &[(&str, &str)]) -> Out {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("scenario file");
    file.write_all(scenario.as_bytes()).expect("write scenario");
    let path = file.path().display().to_string();
    let base = api.base_url();
    let mut args = vec![
        "run",
        path.as_str(),
        "--base-url",
        base.as_str(),
        "--format",
        "json",
        "--no-progress",
        "--color",
        "never",
        "--seed",
        "1",
    ];
    args.extend_from_slice(extra);
    let mut cmd = crate::support::idemfuzz();
    for (name, value) in env {
        cmd.env(name, value);
    }
    run_cmd(cmd, args)
}

/// The report of a correct stand-in: exit 0, no error or warning but [`TRUE_ON_CORRECT`], no
/// row that passed with an unobserved collection, every named check passed, the seed untouched
/// and nothing of the run left on the server.
#[track_caller]
pub(crate) fn assert_clean(api: &Standin, out: &Out, passed: &[&str], what: &str) -> Value {
    out.assert_no_panic();
    let report = out.json();
    let failing: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| severity_rank(f) >= 1)
        .filter(|f| !TRUE_ON_CORRECT.contains(&f["rule"].as_str().unwrap_or("")))
        .collect();
    assert!(
        failing.is_empty(),
        "{what}: failing findings on a correct stand-in:\n{}\n{}",
        finding_lines(&report),
        out.context()
    );
    assert_observed(&report, what);
    for check in passed {
        let row = results(&report)
            .iter()
            .find(|r| r["check"] == *check)
            .unwrap_or_else(|| panic!("{what}: no row for {check}"));
        assert_eq!(
            row["status"]["kind"], "passed",
            "{what}: {check} should run and pass: {row}"
        );
    }
    out.assert_code(0, what);
    api.assert_seed_untouched();
    report
}

/// No row says its collection went unobserved.
#[track_caller]
pub(crate) fn assert_observed(report: &Value, what: &str) {
    for row in results(report) {
        let notes = row["notes"].as_array().cloned().unwrap_or_default();
        assert!(
            !notes
                .iter()
                .any(|n| n.as_str().unwrap_or("").contains("not observed")),
            "{what}: {} did not observe its collection: {row}",
            row["check"]
        );
    }
}

/// The report has a finding of `check` with `rule` at warning level or above: the finding's
/// own rule, or one grouped into a finding of the same cause (`cause.also`), which the report
/// shows as that finding.
#[track_caller]
pub(crate) fn assert_caught(out: &Out, check: &str, rule: &str, what: &str) -> Value {
    out.assert_no_panic();
    let report = out.json();
    let names = |f: &Value| f["check"] == check && f["rule"] == rule;
    let caught = findings(&report).iter().any(|f| {
        let grouped = f["cause"]["also"]
            .as_array()
            .is_some_and(|also| also.iter().any(names));
        (names(f) || grouped) && severity_rank(f) >= 1
    });
    assert!(
        caught,
        "{what}: expected {check} [{rule}]; findings:\n{}\n{}",
        finding_lines(&report),
        out.context()
    );
    report
}

/// The scenario of a recipe in docs/recipes.md: the TOML block after `<!-- recipe: NAME -->`,
/// so the documented recipe is the one the tests run.
pub(crate) fn recipe(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/recipes.md");
    let text = std::fs::read_to_string(path).expect("docs/recipes.md");
    let marker = format!("<!-- recipe: {name} -->");
    let after = text
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no `{marker}` in docs/recipes.md"))
        .1;
    let block = after
        .trim_start()
        .strip_prefix("```toml\n")
        .unwrap_or_else(|| panic!("`{marker}` is not followed by a ```toml block"));
    let end = block.find("\n```").expect("the block is closed");
    block[..=end].to_string()
}
