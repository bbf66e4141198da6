//! The CI options with the real binary against the demo API on 127.0.0.1: baselines (a known
//! finding passes, a new one fails), shards (their union is the unsharded run, every case
//! once), `--dry-run` (nothing sent), completions and man pages.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::{Demo, dead_port, findings, results, run, run_json, scenario, write_file};

const SEED: &str = "7";

/// The JSON report of `demo.toml` against `demo` with `extra` options (2 cases, `seed`).
fn demo_json_seeded(demo: &Demo, seed: &str, extra: &[&str]) -> support::Out {
    let mut args = vec!["--seed", seed, "--cases", "2"];
    args.extend_from_slice(extra);
    run_json(&scenario("demo.toml"), demo.url(), &args)
}

/// [`demo_json_seeded`] with the tests' usual seed.
fn demo_json(demo: &Demo, extra: &[&str]) -> support::Out {
    demo_json_seeded(demo, SEED, extra)
}

/// (fingerprint, baseline mark) of every finding of warning level or above.
fn marks(report: &Value) -> BTreeSet<(String, String)> {
    findings(report)
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap_or("?").to_string(),
                f["baseline"].as_str().unwrap_or("none").to_string(),
            )
        })
        .collect()
}

fn fingerprints_in(file: &std::path::Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).expect("the baseline was written");
    let value: Value = serde_json::from_str(&text).expect("the baseline is JSON");
    assert_eq!(value["format_version"], 1, "{text}");
    value["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|e| e["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect()
}

#[test]
fn a_known_finding_passes_and_a_new_one_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("baseline.json");
    let file_arg = file.to_str().expect("UTF-8 path");
    let checks = ["--checks", "partial-put,repeat-put"];

    // Record the merge-put bug's findings: they no longer fail this run.
    let merge = Demo::start("merge-put");
    let out = demo_json(
        &merge,
        &[&checks[..], &["--write-baseline", file_arg]].concat(),
    );
    out.assert_code(0, "--write-baseline accepts the findings it records");
    let recorded = fingerprints_in(&file);
    assert!(
        recorded.contains("demo.toml:things:partial-put:merged"),
        "{recorded:?}"
    );
    assert!(
        marks(&out.json())
            .iter()
            .all(|(_, mark)| mark == "recorded"),
        "{}",
        out.context()
    );

    // The same bug against the baseline, with other generated values: known, exit 0.
    let out = demo_json_seeded(
        &merge,
        "8",
        &[&checks[..], &["--baseline", file_arg]].concat(),
    );
    out.assert_code(0, "known findings do not fail the run");
    let report = out.json();
    assert!(!marks(&report).is_empty());
    assert!(marks(&report).iter().all(|(_, mark)| mark == "known"));
    assert_eq!(report["baseline"]["new"], 0);
    drop(merge);

    // A second bug: its findings are new and fail the run; the first stays known.
    let both = Demo::start("merge-put,put-counter");
    let out = demo_json(&both, &[&checks[..], &["--baseline", file_arg]].concat());
    out.assert_code(1, "a new finding fails the run");
    let report = out.json();
    let new: Vec<_> = marks(&report)
        .into_iter()
        .filter(|(_, mark)| mark == "new")
        .collect();
    assert!(
        new.iter()
            .any(|(fp, _)| fp.starts_with("demo.toml:things:repeat-put:")),
        "{new:?}"
    );
    assert!(new.iter().all(|(fp, _)| !recorded.contains(fp)));
    assert!(
        marks(&report).contains(&("demo.toml:things:partial-put:merged".into(), "known".into()))
    );
    drop(both);

    // The bug fixed: nothing found, the entries are reported as fixed.
    let clean = Demo::start("none");
    let out = demo_json(&clean, &[&checks[..], &["--baseline", file_arg]].concat());
    out.assert_code(0, "the clean API passes with a baseline");
    let fixed: BTreeSet<String> = out.json()["baseline"]["fixed"]
        .as_array()
        .expect("fixed entries")
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(fixed, recorded);
}

#[test]
fn known_findings_are_marked_in_the_human_and_junit_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_file(
        dir.path(),
        "baseline.json",
        r#"{"format_version": 1, "findings": [{"fingerprint": "demo.toml:things:partial-put:merged"}]}"#,
    );
    let junit = dir.path().join("junit.xml");
    let demo = Demo::start("merge-put");
    let out = run([
        "run",
        &scenario("demo.toml"),
        "--base-url",
        demo.url(),
        "--seed",
        SEED,
        "--cases",
        "1",
        "--checks",
        "partial-put",
        "--baseline",
        file.to_str().expect("UTF-8"),
        "--report",
        &format!("junit:{}", junit.display()),
        "--color",
        "never",
    ]);
    out.assert_code(0, "the only finding is known");
    assert!(
        out.stdout.contains("(known: in the baseline, not failing)")
            && out.stdout.contains("0 new"),
        "{}",
        out.context()
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains("(known: in the baseline, not failing)"),
        "{xml}"
    );
}

#[test]
fn a_bad_baseline_is_a_usage_error_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("http://127.0.0.1:{}", dead_port());
    let bad = write_file(
        dir.path(),
        "bad.json",
        "{\n  \"format_version\": 1,\n  \"findings\": 3\n}",
    );
    let missing = dir.path().join("missing.json");
    for (file, message) in [
        (bad.clone(), "bad.json:3:"),
        (missing, "cannot read the baseline file"),
    ] {
        let out = run_json(
            &scenario("demo.toml"),
            &url,
            &["--baseline", file.to_str().expect("UTF-8")],
        );
        out.assert_code(2, "a bad baseline file").assert_no_panic();
        assert!(out.stderr.contains(message), "{}", out.context());
    }
    let nowhere = dir.path().join("no/such/dir/b.json");
    let out = run_json(
        &scenario("demo.toml"),
        &url,
        &["--write-baseline", nowhere.to_str().expect("UTF-8")],
    );
    out.assert_code(2, "an unwritable --write-baseline");
}

/// (scenario, check, resource, case) of every case a report ran, and the findings as
/// (check, resource, case, fingerprint).
type Cases = Vec<(String, String, String, u64)>;
type Found = Vec<(String, String, u64, String)>;

fn ran(report: &Value, sharded: bool) -> (Cases, Found, Vec<String>) {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for row in results(report) {
        let key = (
            text(&row["scenario"]),
            text(&row["check"]),
            text(&row["resource"]),
        );
        if row["status"]["kind"] == "skipped" {
            skipped.push(format!("{key:?}"));
            continue;
        }
        let numbers: Vec<u64> = if sharded {
            row["case_numbers"]
                .as_array()
                .expect("a sharded row lists its cases")
                .iter()
                .filter_map(Value::as_u64)
                .collect()
        } else {
            assert!(row.get("case_numbers").is_none(), "{row}");
            let n =
                row["cases_run"].as_u64().unwrap_or(0) + row["cases_errored"].as_u64().unwrap_or(0);
            (1..=n).collect()
        };
        cases.extend(
            numbers
                .into_iter()
                .map(|c| (key.0.clone(), key.1.clone(), key.2.clone(), c)),
        );
    }
    // A finding stands for every case that found it: its own and `other_cases` (complete
    // here, since fewer cases than the cap found each one).
    let found = findings(report)
        .iter()
        .flat_map(|f| {
            let others: Vec<u64> = f["other_cases"]
                .as_array()
                .expect("other_cases")
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            assert_eq!(
                f["occurrences"].as_u64(),
                Some(1 + others.len() as u64),
                "{f}"
            );
            let case = f["case"].as_u64().unwrap_or(0);
            assert!(others.iter().all(|other| *other > case), "{f}");
            std::iter::once(case).chain(others).map(|case| {
                (
                    text(&f["check"]),
                    text(&f["resource"]),
                    case,
                    text(&f["fingerprint"]),
                )
            })
        })
        .collect();
    (cases, found, skipped)
}

#[test]
fn three_shards_together_are_the_unsharded_run_and_merge_into_it() {
    let demo = Demo::start("merge-put,delete-500");
    let dir = tempfile::tempdir().expect("temp dir");
    let json = |shard: Option<&str>| {
        let mut args = vec!["--seed", SEED, "--cases", "3", "--concurrency", "1"];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let out = run_json("scenarios", demo.url(), &args);
        // A shard fails only when its slice happens to find a planted bug.
        assert!(
            matches!(out.code(), 0 | 1),
            "shard {shard:?}: unexpected exit code\n{}",
            out.context()
        );
        let name = format!("shard-{}.json", shard.unwrap_or("all").replace('/', "-of-"));
        write_file(dir.path(), &name, &out.stdout);
        (out.json(), out.code())
    };
    let (whole, whole_code) = json(None);
    assert!(whole["shard"].is_null());
    let (mut all_cases, mut all_found, mut all_skipped) = ran(&whole, false);
    assert!(!all_found.is_empty());
    let (mut cases, mut found, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    let mut files = Vec::new();
    for index in 1..=3 {
        let shard = format!("{index}/3");
        let (part, _) = json(Some(&shard));
        files.push(dir.path().join(format!("shard-{index}-of-3.json")));
        assert_eq!(part["shard"]["index"], index);
        assert_eq!(part["shard"]["count"], 3);
        let (c, f, s) = ran(&part, true);
        assert!(!c.is_empty(), "shard {shard} ran nothing");
        cases.extend(c);
        found.extend(f);
        skipped.extend(s);
    }
    for list in [&mut all_cases, &mut cases] {
        list.sort();
    }
    let unique: BTreeSet<_> = cases.iter().collect();
    assert_eq!(unique.len(), cases.len(), "a case ran in two shards");
    assert_eq!(
        cases, all_cases,
        "the shards' cases are the unsharded run's"
    );
    all_found.sort();
    found.sort();
    assert_eq!(
        found, all_found,
        "the shards' findings are the unsharded run's"
    );
    all_skipped.sort();
    skipped.sort();
    assert_eq!(
        skipped, all_skipped,
        "each skipped check is listed by one shard"
    );

    // `merge` gives the unsharded run's report back, with its exit code.
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let junit = dir.path().join("merged.xml");
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().rev().cloned());
    args.extend(["--format", "json", "--report"].map(String::from));
    args.push(format!("junit:{}", junit.display()));
    let out = run(&args);
    out.assert_code(
        whole_code,
        "the merged report's exit code is the whole run's",
    );
    let merged = out.json();
    assert!(
        merged["shard"].is_null(),
        "the merged report is the whole plan's"
    );
    let (mut merged_cases, mut merged_found, mut merged_skipped) = ran(&merged, false);
    merged_cases.sort();
    merged_found.sort();
    merged_skipped.sort();
    assert_eq!(
        merged_cases, all_cases,
        "the merged rows count every case once"
    );
    assert_eq!(
        merged_found, all_found,
        "the merged findings are the unsharded run's"
    );
    assert_eq!(merged_skipped, all_skipped);
    for field in [
        "seed",
        "scenarios",
        "fail_on",
        "format_version",
        "tool_version",
    ] {
        assert_eq!(merged[field], whole[field], "{field}");
    }
    let statuses = |report: &Value| -> Vec<(String, String, String)> {
        results(report)
            .iter()
            .map(|r| {
                let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
                (
                    text(&r["check"]),
                    text(&r["resource"]),
                    text(&r["status"]["kind"]),
                )
            })
            .collect()
    };
    assert_eq!(
        statuses(&merged),
        statuses(&whole),
        "rows in the same order, judged alike"
    );
    let junit = std::fs::read_to_string(&junit).expect("the merged JUnit report");
    assert_eq!(
        junit.matches("<testcase ").count(),
        results(&whole).len(),
        "one testcase per check × resource of the whole run"
    );
    assert!(
        out.stderr.contains("merge: 3 report(s) of seed 7"),
        "{}",
        out.context()
    );

    // Human output of the same merge ends with the verdict of the whole run.
    let human = run(["merge", &files[0], &files[1], &files[2]]);
    human.assert_code(whole_code, "merge, human report");
    assert!(
        human.stdout.contains("verdict: FAILED"),
        "{}",
        human.context()
    );

    // Reports that are not the shards of one run are refused, and nothing is written.
    let refused = |args: &[&str], why: &str| {
        let mut all = vec!["merge"];
        all.extend_from_slice(args);
        let out = run(&all);
        out.assert_code(2, why);
        assert!(out.stdout.is_empty(), "{why}: nothing is written");
        out.stderr
    };
    let stderr = refused(&[&files[0], &files[0], &files[2]], "shard 1 twice");
    assert!(stderr.contains("are both shard 1/3"), "{stderr}");
    let stderr = refused(&[&files[0], &files[2]], "shard 2 missing");
    assert!(stderr.contains("shard(s) 2 of 3 missing"), "{stderr}");
    let whole_file = dir.path().join("shard-all.json").display().to_string();
    let stderr = refused(&[&files[0], &whole_file], "a whole run among shards");
    assert!(stderr.contains("is the report of a whole run"), "{stderr}");
    let other_seed = std::fs::read_to_string(&files[1])
        .expect("shard 2")
        .replacen("\"seed\": 7,", "\"seed\": 8,", 1);
    let other_seed = write_file(dir.path(), "other-seed.json", &other_seed);
    let other_seed = other_seed.display().to_string();
    let stderr = refused(&[&files[0], &other_seed, &files[2]], "another seed");
    assert!(stderr.contains("their seeds differ (7 and 8)"), "{stderr}");
    let newer = std::fs::read_to_string(&files[1])
        .expect("shard 2")
        .replacen("\"format_version\": 2,", "\"format_version\": 3,", 1);
    let newer = write_file(dir.path(), "newer.json", &newer)
        .display()
        .to_string();
    let stderr = refused(&[&files[0], &newer, &files[2]], "another format version");
    assert!(stderr.contains("report format_version 3"), "{stderr}");
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    for bad in ["0/3", "4/3", "1", "x/y"] {
        let out = run(["demo", "--shard", bad]);
        out.assert_code(2, "a bad --shard").assert_no_panic();
        assert!(
            out.stderr.contains("--shard takes I/N"),
            "{}",
            out.context()
        );
    }
}

#[test]
fn dry_run_sends_nothing_and_prints_the_plan() {
    let url = format!("http://127.0.0.1:{}", dead_port());
    let out = run([
        "run",
        "scenarios/demo.toml",
        "--base-url",
        &url,
        "--dry-run",
        "--seed",
        SEED,
    ]);
    out.assert_code(0, "a dry run against a dead port")
        .assert_no_panic();
    for expected in [
        "dry run: nothing is sent",
        "repeat-put · things: 3 of 3 case(s)",
        "cases: 1 (seed ",
        "PUT /things/{id} body A again",
        "GET /things/{id}, HEAD /things/{id}",
    ] {
        assert!(
            out.stdout.contains(expected),
            "missing `{expected}`\n{}",
            out.context()
        );
    }
    let demo = run(["demo", "--dry-run"]);
    demo.assert_code(0, "demo --dry-run");
    assert!(demo.stdout.contains("skipped — "), "{}", demo.context());
}

/// The `cases:` lines of a dry run, split into (unit, case) pairs.
fn planned_cases(stdout: &str) -> Vec<String> {
    let mut scenario = String::new();
    let mut unit = String::new();
    let mut cases = Vec::new();
    for line in stdout.lines() {
        if line.contains(" → ") && !line.starts_with(' ') {
            scenario = line.to_string();
        } else if let Some(rest) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            unit = rest.split(':').next().unwrap_or("").to_string();
        } else if let Some(list) = line.trim().strip_prefix("cases: ") {
            cases.extend(
                list.split(", ")
                    .map(|case| format!("{scenario} {unit} #{case}")),
            );
        }
    }
    cases
}

#[test]
fn dry_run_shards_partition_the_planned_cases() {
    let plan = |shard: Option<&str>| {
        let mut args = vec!["demo", "--dry-run", "--seed", SEED];
        args.extend(shard.map(|s| ["--shard", s]).into_iter().flatten());
        let out = run(args);
        out.assert_code(0, "demo --dry-run");
        planned_cases(&out.stdout)
    };
    let mut whole = plan(None);
    assert!(whole.len() > 20, "{whole:?}");
    let mut union: Vec<String> = (1..=4)
        .flat_map(|i| plan(Some(&format!("{i}/4"))))
        .collect();
    whole.sort();
    union.sort();
    assert_eq!(union, whole);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(["completions", shell]);
        out.assert_code(0, shell);
        for word in ["idemfuzz", "demo", "list-checks", "write-baseline", "shard"] {
            assert!(
                out.stdout.contains(word),
                "{shell}: no `{word}`\n{}",
                out.context()
            );
        }
    }
    run(["completions", "tcsh"]).assert_code(2, "an unknown shell");
}

#[test]
fn formats_checks_and_bugs_are_offered_by_completions_and_help() {
    let formats: Vec<&str> = idemfuzz::report::Format::ALL
        .iter()
        .map(|f| f.as_str())
        .collect();
    let checks: Vec<&str> = idemfuzz::model::check::BUILT_IN
        .iter()
        .map(|c| c.name())
        .chain(["script"])
        .collect();
    let bugs: Vec<&str> = ["none"]
        .into_iter()
        .chain(idemfuzz::demo::Bug::ALL.iter().map(|b| b.name()))
        .collect();
    let bash = run(["completions", "bash"]);
    bash.assert_code(0, "bash completions");
    for (option, values) in [
        ("--format", &formats),
        ("--checks", &checks),
        ("--bug", &bugs),
    ] {
        let offered = format!(
            "{option})\n                    COMPREPLY=($(compgen -W \"{}\"",
            values.join(" ")
        );
        assert!(
            bash.stdout.contains(&offered),
            "bash does not complete {option} with {values:?}"
        );
    }
    let fish = run(["completions", "fish"]);
    assert!(
        fish.stdout.contains("-l bug -d ") && fish.stdout.contains("merge-put\\t'"),
        "fish completes --bug with the bugs and their descriptions"
    );

    // Help is wrapped to the terminal width: compare words.
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(&run(["run", "--help"]).stdout);
    for check in &checks {
        assert!(
            help.contains(&format!("- {check}:")),
            "run --help does not list `{check}`:\n{help}"
        );
    }
    let formats_line = format!("[possible values: {}]", formats.join(", "));
    assert!(help.contains(&formats_line), "{help}");
    let short = words(&run(["demo", "-h"]).stdout);
    let bugs_line = format!("[possible values: {}]", bugs.join(", "));
    assert!(short.contains(&bugs_line), "{short}");
}

#[test]
fn man_pages_from_the_clap_definitions() {
    let out = run(["man"]);
    out.assert_code(0, "man");
    for word in [
        ".TH idemfuzz 1",
        "completions",
        "serve\\-demo",
        "Exit codes",
    ] {
        assert!(out.stdout.contains(word), "no `{word}`\n{}", out.context());
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run(["man", "--out-dir", dir.path().to_str().expect("UTF-8")]);
    out.assert_code(0, "man --out-dir");
    for page in [
        "idemfuzz.1",
        "idemfuzz-run.1",
        "idemfuzz-demo.1",
        "idemfuzz-man.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page} missing or empty");
    }
    let run_page = std::fs::read_to_string(dir.path().join("idemfuzz-run.1")).unwrap_or_default();
    assert!(run_page.contains("write\\-baseline"), "{run_page}");
}

/// The items the demo API holds in `/things` now (after a run, cleanup should have left none).
fn things_left(demo: &Demo) -> usize {
    let client = support::http_client();
    let url = format!("{}/things", demo.url());
    let body: Value = demo.block_on(async {
        let response = client.get(&url).send().await.expect("GET /things");
        let bytes = response.bytes().await.expect("the collection's body");
        serde_json::from_slice(&bytes).expect("a JSON collection")
    });
    body["items"].as_array().map_or(0, Vec::len)
}

#[test]
fn resources_selects_resources_and_their_scripts_and_names_the_known_ones() {
    let demo = Demo::start("none");
    let out = run_json(
        "scenarios/",
        demo.url(),
        &["--resources", "lamps", "--cases", "1", "--seed", SEED],
    );
    out.assert_code(0, "the clean demo, lamps only");
    let report = out.json();
    let resources: BTreeSet<&str> = results(&report)
        .iter()
        .map(|r| r["resource"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        resources.contains("lamps") && !resources.contains("things"),
        "{resources:?}"
    );
    assert!(
        results(&report)
            .iter()
            .any(|r| r["check"] == "script" && r["scenario"] == "scenarios/lamps.toml"),
        "the lamps scripts run with their resource"
    );
    assert!(
        results(&report)
            .iter()
            .all(|r| r["scenario"] == "scenarios/lamps.toml"),
        "nothing of the other files runs"
    );

    let out = run_json(
        "scenarios/",
        &format!("http://127.0.0.1:{}", dead_port()),
        &["--resources", "lamps,lamb"],
    );
    out.assert_code(2, "an unknown resource");
    assert!(
        out.stderr.contains("unknown resource `lamb`")
            && out.stderr.contains("devices, lamps, notes, things"),
        "{}",
        out.context()
    );
}

#[test]
fn max_failures_stops_the_run_cleans_up_and_says_why() {
    let demo = Demo::start("merge-put,put-counter");
    let out = run_json(
        &scenario("demo.toml"),
        demo.url(),
        &[
            "--max-failures",
            "1",
            "--cases",
            "20",
            "--concurrency",
            "1",
            "--seed",
            SEED,
        ],
    );
    out.assert_code(1, "the run stops with its failing finding");
    let report = out.json();
    assert_eq!(report["outcome"]["kind"], "stopped", "{}", out.context());
    // The case that reached the limit finishes, with every rule it broke; nothing after it
    // starts (one case at a time here).
    let failing = findings(&report)
        .iter()
        .filter(|f| f["severity"] == "error")
        .count();
    let reason = report["outcome"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with(&format!(
            "--max-failures 1 reached ({failing} failing finding(s)); "
        )) && reason.ends_with("case(s) did not start"),
        "{reason}\n{}",
        support::finding_lines(&report)
    );
    let cases_run: u64 = results(&report)
        .iter()
        .map(|r| r["cases_run"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(cases_run, 1, "the first case failed; no other started");
    assert!(
        results(&report)
            .iter()
            .any(|r| r["status"]["kind"] == "interrupted"),
        "the checks that never started are interrupted, not errored"
    );
    assert!(
        !results(&report)
            .iter()
            .any(|r| r["status"]["kind"] == "errored"),
        "{}",
        serde_json::to_string_pretty(&report["results"]).unwrap_or_default()
    );
    assert_eq!(report["cleanup"]["left_behind"], serde_json::json!([]));
    assert_eq!(things_left(&demo), 0, "cleanup ran");

    let out = run_json(&scenario("demo.toml"), demo.url(), &["--max-failures", "0"]);
    out.assert_code(2, "--max-failures 0");
}

#[test]
fn a_time_budget_stops_run_early_and_a_check_it_never_started_is_errored() {
    let demo = Demo::start("none");
    let budget = [
        "--checks",
        "repeat-put",
        "--cases",
        "100000",
        "--time-budget",
        "2s",
    ];
    let out = run_json(&scenario("demo.toml"), demo.url(), &budget);
    out.assert_code(0, "the cases that ran passed");
    let report = out.json();
    assert_eq!(report["outcome"]["kind"], "stopped", "{}", out.context());
    let reason = report["outcome"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("the time budget (2s) ran out; "),
        "{reason}"
    );
    let row = support::result_row(&report, "repeat-put", "things");
    assert_eq!(row["status"]["kind"], "passed", "{row}");
    assert!(
        row["notes"].to_string().contains("case(s) did not start"),
        "{row}"
    );
    assert_eq!(things_left(&demo), 0, "cleanup ran");

    // Two resources, one case at a time: the first resource's cases always come first, so the
    // second never starts within the budget, and that is not a pass. (With more in flight,
    // resources run side by side and both would start.)
    let out = run_json(
        "scenarios/",
        demo.url(),
        &[
            &["--resources", "devices,things", "--concurrency", "1"][..],
            &budget,
        ]
        .concat(),
    );
    out.assert_code(3, "a check the budget never started");
    let report = out.json();
    let never = support::result_row(&report, "repeat-put", "devices");
    assert_eq!(
        never["status"]["reason"], "the time budget (2s) ran out before any case ran",
        "{never}"
    );
    assert!(
        out.stderr.is_empty() || !out.stderr.contains("panicked"),
        "{}",
        out.context()
    );
}

#[test]
fn wait_for_target_waits_for_an_api_that_starts_late_and_gives_up_with_exit_3() {
    let port = support::port_outside_the_ephemeral_range();
    let url = format!("http://127.0.0.1:{port}");
    let run_url = url.clone();
    let waiting = std::thread::spawn(move || {
        run_json(
            &scenario("demo.toml"),
            &run_url,
            &[
                "--wait-for-target",
                "60s",
                "--checks",
                "repeat-put",
                "--cases",
                "1",
            ],
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let demo = Demo::start_on_port(port, idemfuzz::demo::DemoOptions::default());
    let out = waiting.join().expect("the waiting run");
    out.assert_code(0, "the run waited for the API, then passed");
    assert_eq!(out.json()["outcome"]["kind"], "completed");
    assert!(
        out.stderr
            .contains(&format!("waiting up to 1m for {url} to answer")),
        "{}",
        out.context()
    );
    assert!(!demo.requests().is_empty());
    drop(demo);

    let silent = format!(
        "http://127.0.0.1:{}",
        support::port_outside_the_ephemeral_range()
    );
    let out = run_json(
        &scenario("demo.toml"),
        &silent,
        &["--wait-for-target", "1s"],
    );
    out.assert_code(3, "a target that never answers");
    assert!(out.stdout.is_empty(), "no report: nothing was tested");
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "idemfuzz: error: {silent} did not answer within 1s (--wait-for-target); last attempt: cannot connect"
        )),
        "{}",
        out.context()
    );
}
