//! Every built-in check against the real demo API, over real HTTP: it passes on the clean API
//! and fails on each planted bug it exists to catch; the two bundled scripts likewise.

mod support;

use support::{
    CHECKS, Demo, finding_lines, findings, findings_of, result_row, run_json, scenario,
    severity_rank,
};

const SEED: &str = "7";
const CASES: &str = "2";

/// `check` on the clean demo API: exit 0, its row passed (not skipped), no warning or error.
fn assert_passes_clean(check: &str) {
    let demo = Demo::start("none");
    let out = run_json(
        &scenario("demo.toml"),
        demo.url(),
        &["--checks", check, "--seed", SEED, "--cases", CASES],
    );
    out.assert_code(0, &format!("check `{check}` on the clean demo API"));
    let report = out.json();
    let row = result_row(&report, check, "things");
    assert_eq!(
        row["status"]["kind"], "passed",
        "check `{check}` on the clean demo API: row is not `passed`: {row}"
    );
    assert!(
        row["cases_run"].as_u64().unwrap_or(0) >= 1,
        "check `{check}` ran no case on the clean demo API: {row}"
    );
    let noisy: Vec<_> = findings_of(&report, check)
        .into_iter()
        .filter(|f| severity_rank(f) >= 1)
        .collect();
    assert!(
        noisy.is_empty(),
        "check `{check}` reported warnings/errors on the clean demo API:\n{}",
        finding_lines(&report)
    );
    assert_eq!(report["outcome"]["kind"], "completed");
}

/// `check` on the demo API with `bug`: exit 1, its row failed, a failing finding of `check`.
fn assert_catches(bug: &str, check: &str) {
    let demo = Demo::start(bug);
    let out = run_json(
        &scenario("demo.toml"),
        demo.url(),
        &["--checks", check, "--seed", SEED, "--cases", CASES],
    );
    out.assert_code(1, &format!("bug `{bug}` must fail check `{check}`"));
    let report = out.json();
    let errors: Vec<_> = findings_of(&report, check)
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(
        !errors.is_empty(),
        "bug `{bug}`: no error finding of check `{check}`; findings:\n{}",
        finding_lines(&report)
    );
    for finding in &errors {
        assert_eq!(finding["resource"], "things", "bug `{bug}`: {finding}");
        let rule = finding["rule"].as_str().unwrap_or("");
        assert_eq!(
            finding["fingerprint"].as_str(),
            Some(format!("demo.toml:things:{check}:{rule}").as_str()),
            "bug `{bug}`: a finding needs a rule and a fingerprint: {finding}"
        );
        assert!(
            finding["rfc"].as_str().is_some_and(|r| r.contains("RFC")),
            "bug `{bug}`, check `{check}`: finding without an RFC reference: {finding}"
        );
        assert!(
            finding["repro"]
                .as_str()
                .is_some_and(|r| r.starts_with("#!/bin/sh") && r.contains("curl ")),
            "bug `{bug}`, check `{check}`: finding without a curl reproduction: {finding}"
        );
        assert!(
            finding["exchanges"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "bug `{bug}`, check `{check}`: finding without exchanges: {finding}"
        );
    }
    let row = result_row(&report, check, "things");
    assert_eq!(
        row["status"]["kind"], "failed",
        "bug `{bug}`, check `{check}`: row is not `failed`: {row}"
    );
    assert!(
        row["errors"].as_u64().unwrap_or(0) >= 1,
        "bug `{bug}`, check `{check}`: row counts no error: {row}"
    );
    // Only the selected check ran, so every finding is that check's.
    assert!(
        findings(&report).iter().all(|f| f["check"] == check),
        "bug `{bug}`: findings of other checks although only `{check}` was selected:\n{}",
        finding_lines(&report)
    );
}

macro_rules! clean_passes {
    ($($name:ident => $check:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_passes_clean($check);
        }
    )*};
}

clean_passes! {
    clean_api_passes_repeat_put => "repeat-put",
    clean_api_passes_partial_put => "partial-put",
    clean_api_passes_repeat_delete => "repeat-delete",
    clean_api_passes_put_after_delete => "put-after-delete",
    clean_api_passes_use_after_delete => "use-after-delete",
    clean_api_passes_get_safety => "get-safety",
    clean_api_passes_head_parity => "head-parity",
    clean_api_passes_post_retry => "post-retry",
    clean_api_passes_status_conformance => "status-conformance",
}

macro_rules! bug_caught {
    ($($name:ident => $bug:literal by $check:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_catches($bug, $check);
        }
    )*};
}

bug_caught! {
    merge_put_fails_partial_put => "merge-put" by "partial-put",
    put_counter_fails_repeat_put => "put-counter" by "repeat-put",
    delete_500_fails_repeat_delete => "delete-500" by "repeat-delete",
    resurrect_fails_put_after_delete => "resurrect" by "put-after-delete",
    delete_other_fails_repeat_delete => "delete-other" by "repeat-delete",
    get_counter_fails_get_safety => "get-counter" by "get-safety",
    get_or_create_fails_get_safety => "get-or-create" by "get-safety",
    get_or_create_fails_use_after_delete => "get-or-create" by "use-after-delete",
    stale_read_fails_use_after_delete => "stale-read" by "use-after-delete",
    post_key_ignored_fails_post_retry => "post-key-ignored" by "post-retry",
    put_create_200_fails_status_conformance => "put-create-200" by "status-conformance",
    no_allow_fails_status_conformance => "no-allow" by "status-conformance",
}

/// head-mismatch breaks a SHOULD: warnings, which fail the run only with `--fail-on warning`.
#[test]
fn head_mismatch_fails_head_parity_with_fail_on_warning() {
    let demo = Demo::start("head-mismatch");
    let base = ["--checks", "head-parity", "--seed", SEED, "--cases", CASES];

    let strict: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--fail-on", "warning"])
        .collect();
    let out = run_json(&scenario("demo.toml"), demo.url(), &strict);
    out.assert_code(
        1,
        "bug `head-mismatch` must fail `head-parity` with --fail-on warning",
    );
    let report = out.json();
    assert_eq!(report["fail_on"], "warning");
    let warnings: Vec<_> = findings_of(&report, "head-parity")
        .into_iter()
        .filter(|f| f["severity"] == "warning")
        .collect();
    assert!(
        !warnings.is_empty(),
        "bug `head-mismatch`: no head-parity warning; findings:\n{}",
        finding_lines(&report)
    );
    assert_eq!(
        result_row(&report, "head-parity", "things")["status"]["kind"],
        "failed"
    );

    let out = run_json(&scenario("demo.toml"), demo.url(), &base);
    out.assert_code(
        0,
        "bug `head-mismatch` only breaks a SHOULD: without --fail-on warning the run passes",
    );
    let report = out.json();
    assert_eq!(report["fail_on"], "error");
    let head: Vec<_> = findings_of(&report, "head-parity");
    assert!(
        head.iter().any(|f| f["severity"] == "warning"),
        "bug `head-mismatch`: the warning must still be in the report without --fail-on; findings:\n{}",
        finding_lines(&report)
    );
    assert!(
        head.iter().all(|f| f["severity"] != "error"),
        "bug `head-mismatch`: head-parity findings must be warnings (RFC SHOULD), got:\n{}",
        finding_lines(&report)
    );
    // The row still shows the warnings even though the run passes.
    let row = result_row(&report, "head-parity", "things");
    assert!(
        row["warnings"].as_u64().unwrap_or(0) >= 1,
        "bug `head-mismatch`: row counts no warning: {row}"
    );
}

// ---------------------------------------------------------------------------------------------
// Scripts

/// Skips every built-in check so that only the file's scripts run.
fn only_scripts() -> String {
    CHECKS.join(",")
}

fn script_run(file: &str, bug: &str) -> (support::Out, serde_json::Value) {
    let demo = Demo::start(bug);
    let skip = only_scripts();
    let out = run_json(
        &scenario(file),
        demo.url(),
        &["--skip-checks", &skip, "--seed", SEED, "--cases", "1"],
    );
    let report = if out.code == Some(0) || out.code == Some(1) {
        out.json()
    } else {
        serde_json::Value::Null
    };
    (out, report)
}

fn assert_script_passes_clean(file: &str, script: &str) {
    let (out, report) = script_run(file, "none");
    out.assert_code(0, &format!("{file} on the clean demo API"));
    let row = result_row(&report, "script", script);
    assert_eq!(
        row["status"]["kind"], "passed",
        "{file}: script row is not `passed` on the clean API: {row}"
    );
    assert!(
        findings(&report).iter().all(|f| severity_rank(f) == 0),
        "{file} on the clean API has findings:\n{}",
        finding_lines(&report)
    );
}

fn assert_script_catches(file: &str, script: &str, bug: &str) {
    let (out, report) = script_run(file, bug);
    out.assert_code(1, &format!("bug `{bug}` must fail the script of {file}"));
    let errors: Vec<_> = findings_of(&report, "script")
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(
        !errors.is_empty(),
        "bug `{bug}`: no error finding of check `script` in {file}; findings:\n{}",
        finding_lines(&report)
    );
    assert!(
        errors
            .iter()
            .all(|f| f["resource"].as_str().is_some_and(|r| r.contains(script))),
        "bug `{bug}`: script findings must name the script `{script}`:\n{}",
        finding_lines(&report)
    );
    assert_eq!(
        result_row(&report, "script", script)["status"]["kind"],
        "failed",
        "bug `{bug}`: the script row of {file} is not `failed`"
    );
}

const LAMPS_SCRIPT: &str = "a broken lamp refuses to switch and stays as it was";
const DEVICES_SCRIPT: &str = "a retried reboot reboots once";

#[test]
fn lamps_script_passes_on_clean_api() {
    assert_script_passes_clean("lamps.toml", LAMPS_SCRIPT);
}

#[test]
fn lamp_unbreak_fails_lamps_script() {
    assert_script_catches("lamps.toml", LAMPS_SCRIPT, "lamp-unbreak");
}

#[test]
fn devices_script_passes_on_clean_api() {
    assert_script_passes_clean("devices.toml", DEVICES_SCRIPT);
}

#[test]
fn reboot_repeat_fails_devices_script() {
    assert_script_catches("devices.toml", DEVICES_SCRIPT, "reboot-repeat");
}
