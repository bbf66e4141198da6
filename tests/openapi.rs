//! OpenAPI import end to end with the real binary: `init --openapi` and `run --openapi` on the
//! demo API's own document (served at /openapi.json) find each planted bug with the same check
//! and severity as the hand-written scenarios/demo.toml, and pass the clean API; the committed
//! fixtures import into files `check` accepts; bad documents and misuse are clear errors with
//! their exit codes, never panics.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{
    Demo, Out, Served, dead_port, finding_lines, findings, findings_of, result_row, run, run_json,
    scenario, severity_rank, write_file,
};

const SEED: &str = "7";
const CASES: &str = "2";

fn spec_url(demo: &Demo) -> String {
    format!("{}/openapi.json", demo.url())
}

/// The strongest severity (info 0, warning 1, error 2) of `check`'s findings on `things`.
fn strongest(report: &Value, check: &str) -> Option<u8> {
    findings_of(report, check)
        .into_iter()
        .filter(|f| f["resource"] == "things")
        .map(severity_rank)
        .max()
}

/// `run --openapi URL --base-url BASE --format json` plus `extra`.
fn run_openapi(url: &str, base_url: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "run",
        "--openapi",
        url,
        "--base-url",
        base_url,
        "--format",
        "json",
        "--no-progress",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    run(args)
}

/// `init --openapi LOCATION --out DIR/api.toml`, asserted to succeed; returns the file.
fn init(location: &str, dir: &Path) -> String {
    let out_path = dir.join("api.toml");
    let out_path = out_path.to_str().expect("UTF-8 temp path").to_string();
    run(["init", "--openapi", location, "--out", &out_path])
        .assert_code(0, "init --openapi")
        .assert_no_panic();
    out_path
}

/// With `bug` planted, the generated scenario (written by `init`, and in memory with `run
/// --openapi`) fails `check` on `things` exactly as scenarios/demo.toml does: same exit code,
/// same strongest severity, at least a warning.
fn assert_same_finding(bug: &str, check: &str) {
    let demo = Demo::start(bug);
    let selection = ["--checks", check, "--seed", SEED, "--cases", CASES];
    let hand = run_json(&scenario("demo.toml"), demo.url(), &selection);
    let expected = strongest(&hand.json(), check);
    assert!(
        expected >= Some(1),
        "bug `{bug}`: demo.toml finds nothing with `{check}`:\n{}",
        finding_lines(&hand.json())
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = init(&spec_url(&demo), dir.path());
    let from_file = run_json(&generated, demo.url(), &selection);
    let in_memory = run_openapi(&spec_url(&demo), demo.url(), &selection);
    for (how, out) in [("init + run", from_file), ("run --openapi", in_memory)] {
        out.assert_no_panic().assert_code(
            hand.code(),
            &format!("bug `{bug}`, {how}: same exit code as demo.toml"),
        );
        let report = out.json();
        assert_eq!(
            strongest(&report, check),
            expected,
            "bug `{bug}`, {how}: `{check}` on things must be as severe as with demo.toml; findings:\n{}",
            finding_lines(&report)
        );
        assert_eq!(
            result_row(&report, check, "things")["status"]["kind"],
            "failed"
        );
    }
}

macro_rules! same_finding {
    ($($name:ident => $bug:literal by $check:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            assert_same_finding($bug, $check);
        }
    )*};
}

same_finding! {
    generated_finds_merge_put => "merge-put" by "partial-put",
    generated_finds_put_counter => "put-counter" by "repeat-put",
    generated_finds_delete_500 => "delete-500" by "repeat-delete",
    generated_finds_resurrect => "resurrect" by "put-after-delete",
    generated_finds_delete_other => "delete-other" by "repeat-delete",
    generated_finds_get_counter => "get-counter" by "get-safety",
    generated_finds_get_or_create => "get-or-create" by "get-safety",
    generated_finds_stale_read => "stale-read" by "use-after-delete",
    generated_finds_post_key_ignored => "post-key-ignored" by "post-retry",
    generated_finds_head_mismatch => "head-mismatch" by "head-parity",
    generated_finds_put_create_200 => "put-create-200" by "status-conformance",
    generated_finds_no_allow => "no-allow" by "status-conformance",
    generated_finds_put_race => "put-race" by "concurrent-put",
    generated_finds_key_race => "key-race" by "concurrent-post-key",
    generated_finds_key_late_commit => "key-late-commit" by "lost-response-retry",
    generated_finds_ifmatch_ignored => "ifmatch-ignored" by "conditional-write",
    generated_finds_ifmatch_ignored_by_lost_update => "ifmatch-ignored" by "lost-update",
    generated_finds_ifnonematch_ignored => "ifnonematch-ignored" by "conditional-write",
    generated_finds_weak_etag_match => "weak-etag-match" by "conditional-write",
    generated_finds_etag_churn => "etag-churn" by "etag-stability",
}

#[test]
fn clean_demo_passes_every_check_of_its_generated_scenario() {
    let demo = Demo::start("none");
    let out = run_openapi(
        &spec_url(&demo),
        demo.url(),
        &["--seed", SEED, "--cases", CASES],
    );
    out.assert_no_panic()
        .assert_code(0, "the clean demo API against its own OpenAPI document");
    assert!(
        out.stderr.contains("2 resource(s): things, lamps"),
        "run --openapi says what it imported:\n{}",
        out.stderr
    );
    let report = out.json();
    let failing: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| severity_rank(f) >= 1)
        .collect();
    assert!(
        failing.is_empty(),
        "the clean demo API has failing findings:\n{}",
        finding_lines(&report)
    );
    // `fuzz` is opt-in: it has no row unless selected.
    for check in support::CHECKS.into_iter().filter(|c| *c != "fuzz") {
        let row = result_row(&report, check, "things");
        let expected = if NOT_INFERRED.contains(&check) {
            "skipped"
        } else {
            "passed"
        };
        assert_eq!(row["status"]["kind"], expected, "{check} on things: {row}");
    }
    assert_eq!(report["outcome"]["kind"], "completed");
}

/// Checks the demo's document gives no ground for on `things` (it shows no POST-PUT
/// creation): skipped on the generated scenario.
const NOT_INFERRED: [&str; 1] = ["post-put-creation"];

#[test]
fn run_combines_scenario_files_and_a_generated_scenario() {
    let demo = Demo::start("merge-put");
    let devices = scenario("devices.toml");
    let out = run_openapi(
        &spec_url(&demo),
        demo.url(),
        &[
            devices.as_str(),
            "--checks",
            "partial-put",
            "--seed",
            SEED,
            "--cases",
            CASES,
        ],
    );
    out.assert_no_panic()
        .assert_code(1, "merge-put found through the generated scenario");
    let report = out.json();
    let resources: Vec<&str> = support::results(&report)
        .iter()
        .filter_map(|r| r["resource"].as_str())
        .collect();
    for name in ["devices", "lamps", "things"] {
        assert!(
            resources.contains(&name),
            "{name} missing from {resources:?}"
        );
    }
}

/// The demo's document as a file, so that a run can target a gated demo with it.
const DEMO_SPEC_FILE: &str = "src/demo/openapi.json";

/// The total case count of a dry run's summary line (`…, 24 case(s), 2 skipped`).
fn planned_total(stdout: &str) -> u32 {
    stdout
        .lines()
        .find_map(|line| line.split(" check(s) to run, ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"))
}

#[test]
fn the_generated_scenario_runs_with_auth_rate_limit_and_shards() {
    const TOKEN: &str = "openapi-t0ken-5150";
    let demo = Demo::start_with(idemfuzz::demo::DemoOptions {
        require_token: Some(TOKEN.into()),
        ..idemfuzz::demo::DemoOptions::default()
    });
    let mut cmd = support::idemfuzz();
    cmd.env("OPENAPI_TOKEN", TOKEN);
    let common = [
        "run",
        "--openapi",
        DEMO_SPEC_FILE,
        "--base-url",
        demo.url(),
        "--bearer-env",
        "OPENAPI_TOKEN",
        "--rate-limit",
        "50/s",
        "--checks",
        "repeat-put,repeat-delete",
        "--seed",
        SEED,
        "--cases",
        "1",
        "--format",
        "json",
    ];
    let out = support::run_cmd(cmd, [&common[..], &["--shard", "2/2"]].concat());
    out.assert_no_panic()
        .assert_code(0, "--bearer-env, --rate-limit and --shard with --openapi");
    let report = out.json();
    assert_eq!(report["shard"]["index"], 2, "{}", out.context());
    assert!(
        report["stats"]["requests"].as_u64() > Some(0),
        "{}",
        out.context()
    );
    let requests = demo.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "every request carries the --bearer-env token"
    );
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));

    // The dry run's shards partition the generated scenario's cases; nothing is sent.
    let seen = requests.len();
    let total = |shard: Option<&str>| {
        let mut args = vec!["run", "--openapi", DEMO_SPEC_FILE, "--base-url", demo.url()];
        args.extend(["--dry-run", "--seed", SEED]);
        args.extend(shard.map(|s| ["--shard", s]).into_iter().flatten());
        let out = run(args);
        out.assert_code(0, "run --openapi --dry-run");
        planned_total(&out.stdout)
    };
    let whole = total(None);
    assert!(whole > 10, "{whole}");
    assert_eq!(
        total(Some("1/3")) + total(Some("2/3")) + total(Some("3/3")),
        whole
    );
    assert_eq!(demo.requests().len(), seen, "a dry run sends nothing");
}

#[test]
fn a_dry_run_of_a_document_url_fetches_only_the_document() {
    let demo = Demo::start("none");
    let out = run([
        "run",
        "--openapi",
        &spec_url(&demo),
        "--base-url",
        demo.url(),
        "--dry-run",
    ]);
    out.assert_no_panic()
        .assert_code(0, "run --openapi URL --dry-run");
    assert!(
        out.stdout.contains("the OpenAPI document was fetched from"),
        "{}",
        out.context()
    );
    let paths: Vec<String> = demo.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/openapi.json"]);
}

#[test]
fn run_openapi_without_a_base_url_is_a_usage_error_that_names_the_documents_server() {
    let demo = Demo::start("none");
    let out = run(["run", "--openapi", &spec_url(&demo)]);
    out.assert_no_panic().assert_code(2, "no --base-url");
    assert!(
        out.stderr
            .contains("no base URL: idemfuzz never takes the API to test from the document")
            && out
                .stderr
                .contains(&format!("the document names {}", demo.url()))
            && out.stderr.contains("--base-url"),
        "{}",
        out.stderr
    );
    let paths: Vec<String> = demo.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/openapi.json"],
        "nothing but the document is fetched"
    );
}

#[test]
fn init_says_which_checks_run_on_each_resource_and_why_others_do_not() {
    let out = run(["init", "--openapi", DEMO_SPEC_FILE, "--out", "-"]);
    out.assert_code(0, "init of the demo document");
    assert!(
        out.stderr
            .contains("things: 15 check(s) will run: repeat-put")
            && out
                .stderr
                .contains("not post-retry: no POST /lamps that creates one item"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("base_url")),
        "no active base_url:\n{}",
        out.stdout
    );
}

#[test]
fn init_writes_files_that_check_accepts_for_every_fixture() {
    let dir = tempfile::tempdir().expect("temp dir");
    for fixture in [
        "tests/fixtures/openapi/bookshop-3.0.yaml",
        "tests/fixtures/openapi/fleet-3.1.json",
        "src/demo/openapi.json",
    ] {
        let out_path = dir.path().join("imported.toml");
        let out_path = out_path.to_str().expect("UTF-8 temp path");
        let out = run(["init", "--openapi", fixture, "--out", out_path, "--force"]);
        out.assert_no_panic().assert_code(0, fixture);
        assert!(
            out.stderr.contains("generated a scenario from"),
            "{}",
            out.stderr
        );
        run(["check", out_path])
            .assert_code(0, &format!("check of the file generated from {fixture}"));
    }
}

#[test]
fn init_to_stdout_prints_the_scenario() {
    let out = run(["init", "--openapi", "src/demo/openapi.json", "--out", "-"]);
    out.assert_code(0, "init --out -");
    assert!(
        out.stdout
            .starts_with("# Generated by idemfuzz from src/demo/openapi.json")
    );
    assert!(out.stdout.contains("[resources.things]"));
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let existing = write_file(dir.path(), "api.toml", "# mine\n");
    let existing = existing.to_str().expect("UTF-8 temp path");
    let out = run([
        "init",
        "--openapi",
        "src/demo/openapi.json",
        "--out",
        existing,
    ]);
    out.assert_code(2, "an existing --out");
    assert!(
        out.stderr.contains("already exists; pass --force"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(existing).ok().as_deref(),
        Some("# mine\n")
    );
    run([
        "init",
        "--openapi",
        "src/demo/openapi.json",
        "--out",
        existing,
        "--force",
    ])
    .assert_code(0, "--force overwrites");
    assert!(
        std::fs::read_to_string(existing)
            .unwrap_or_default()
            .contains("[resources.things]")
    );
}

#[test]
fn init_creates_the_output_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = dir.path().join("scenarios").join("api.toml");
    let nested = nested.to_str().expect("UTF-8 temp path");
    run([
        "init",
        "--openapi",
        "src/demo/openapi.json",
        "--out",
        nested,
    ])
    .assert_code(0, "nested --out");
    assert!(Path::new(nested).is_file());
}

#[test]
fn bad_documents_are_clear_errors_with_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "broken.yaml",
            "openapi: 3.1.0\npaths: [\n",
            "not a valid YAML document",
        ),
        (
            "broken.json",
            "{\"openapi\": \"3.1.0\",",
            "not a valid JSON document",
        ),
        (
            "swagger.yaml",
            "swagger: '1.2'\ninfo: {title: t, version: '1'}\npaths: {}\n",
            "Swagger 1.2 is not supported",
        ),
        (
            "future.yaml",
            "openapi: 4.0.0\n",
            "OpenAPI 4.0.0 is not supported",
        ),
        (
            "plain.json",
            "{\"title\": \"not a spec\"}",
            "no `openapi` field",
        ),
        (
            "invalid.yaml",
            "openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n",
            "invalid OpenAPI 3.0.3 document",
        ),
        (
            "readonly.yaml",
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {responses: {'200': {description: ok}}}}\n  /a/{id}: {get: {responses: {'200': {description: ok}}}}\n",
            "nothing to import",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write_file(dir.path(), name, text);
        let path = path.to_str().expect("UTF-8 temp path");
        for args in [
            vec!["init", "--openapi", path, "--out", "-"],
            vec!["run", "--openapi", path, "--base-url", "http://127.0.0.1:9"],
        ] {
            let out = run(&args);
            out.assert_no_panic().assert_code(2, name);
            assert!(
                out.stderr.contains(path) && out.stderr.contains(expected),
                "{name}: expected `{expected}` naming the file:\n{}",
                out.stderr
            );
            assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
        }
    }
    let out = run(["init", "--openapi", "no/such/spec.json", "--out", "-"]);
    out.assert_code(2, "a missing file");
    assert!(
        out.stderr
            .contains("no/such/spec.json: cannot read the OpenAPI document")
    );
}

#[test]
fn unreachable_document_url_exits_3_and_a_missing_one_2() {
    let url = format!("http://127.0.0.1:{}/openapi.json", dead_port());
    let out = run(["init", "--openapi", &url, "--out", "-"]);
    out.assert_no_panic().assert_code(3, "nobody listens");
    assert!(
        out.stderr.contains("cannot fetch the OpenAPI document"),
        "{}",
        out.stderr
    );

    let demo = Demo::start("none");
    let missing = format!("{}/nope.json", demo.url());
    let out = run(["run", "--openapi", &missing]);
    out.assert_code(2, "a 404 for the document");
    assert!(out.stderr.contains("404"), "{}", out.stderr);
}

#[test]
fn a_document_that_is_not_text_is_an_error() {
    let served = Served::start(axum::Router::new().route(
        "/spec",
        axum::routing::get(|| async { vec![0xffu8, 0xfe, 0x00, 0x80] }),
    ));
    let out = run([
        "init",
        "--openapi",
        &format!("{}/spec", served.url()),
        "--out",
        "-",
    ]);
    out.assert_no_panic().assert_code(2, "binary document");
    assert!(out.stderr.contains("not UTF-8 text"), "{}", out.stderr);
}

#[test]
fn run_needs_scenario_files_or_openapi() {
    let out = run(["run"]);
    out.assert_code(2, "run without paths or --openapi");
    assert!(
        out.stderr.contains("--openapi") || out.stderr.contains("<PATHS>"),
        "{}",
        out.stderr
    );
}

#[test]
fn init_help_lists_its_exit_codes() {
    let out = run(["init", "--help"]);
    out.assert_code(0, "init --help");
    let codes = out
        .stdout
        .split_once("Exit codes:")
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_default();
    for (code, words) in [
        ("0", "written"),
        ("2", "cannot be read"),
        ("3", "could not be reached"),
    ] {
        assert!(
            codes
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} ")) && l.contains(words)),
            "no line for exit code {code}:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("--openapi <FILE|URL>") && out.stdout.contains("--force"));
}
