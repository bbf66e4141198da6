//! The human report of real runs: failing findings first and compact, lines that fit 80
//! columns (a URL is never split), curl scripts only with `--verbose` or in `--repro-dir`
//! (executable, secrets left out), and the verdict on stderr when no human report is on stdout.

mod support;

use std::path::Path;

use support::{Demo, idemfuzz, run, run_cmd, scenario};

/// Columns of `text` on a terminal (wide characters count two).
fn columns(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

fn demo_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["demo", "--seed", "3", "--cases", "1", "--no-progress"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn every_line_fits_80_columns_unless_a_single_word_cannot() {
    let out = run(demo_args(&["--bug", "merge-put,put-counter,delete-other"]));
    out.assert_code(0, "every planted bug is found")
        .assert_no_panic();
    for line in out.stdout.lines() {
        let unbreakable = line.split(' ').any(|word| columns(word) > 72);
        assert!(
            columns(line) <= 80 || unbreakable,
            "{} columns: {line:?}\n{}",
            columns(line),
            out.context()
        );
    }
    assert!(
        !out.stdout.contains("#!/bin/sh"),
        "no curl script without --verbose"
    );
    // Failing findings come before the one-line infos; the verdict is the last line.
    let error = out.stdout.find("error[").expect("an error block");
    let info = out.stdout.find("\ninfo[").expect("an info line");
    assert!(error < info, "{}", out.context());
    let last = out.stdout.trim_end().lines().last().unwrap_or("");
    assert_eq!(
        last,
        "verdict: DEMO OK (exit 0): all 3 planted bugs were found, as the demo expects"
    );
}

#[test]
fn verbose_shows_every_curl_script_whole() {
    let out = run(demo_args(&["--verbose"]));
    out.assert_code(0, "merge-put is found");
    let scripts = out.stdout.matches("    #!/bin/sh\n").count();
    let findings = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("info["))
        .count();
    assert!(findings >= 3, "{}", out.context());
    assert_eq!(scripts, findings, "one script per finding, infos included");
    assert!(
        out.stdout.contains("curl -sS -i -X PUT 'http://127.0.0.1:"),
        "scripts keep whole URLs:\n{}",
        out.context()
    );
}

/// `run scenarios/demo.toml --base-url URL --checks partial-put --cases 1` plus `extra`.
fn partial_put_run(url: &str, extra: &[&str]) -> support::Out {
    let demo_toml = scenario("demo.toml");
    let mut args = vec![
        "run",
        &demo_toml,
        "--base-url",
        url,
        "--checks",
        "partial-put",
        "--cases",
        "1",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    run(args)
}

#[test]
fn reports_written_to_files_still_print_the_verdict_and_their_paths_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("report.json");
    let junit = dir.path().join("results.xml");
    let demo = Demo::start("merge-put");
    let junit_report = format!("junit:{}", junit.display());
    let json_path = json.display().to_string();
    let out = partial_put_run(
        demo.url(),
        &[
            "--format",
            "json",
            "-o",
            &json_path,
            "--report",
            &junit_report,
        ],
    );
    out.assert_code(1, "merge-put is found");
    assert_eq!(out.stdout, "", "nothing on stdout");
    let expected = format!(
        "idemfuzz: reports: {} (json), {} (junit)\nidemfuzz: verdict: FAILED (exit 1): 1 finding at or above --fail-on error\n",
        json.display(),
        junit.display()
    );
    assert!(out.stderr.ends_with(&expected), "{}", out.context());
    // The human report on stdout ends with the verdict itself: nothing more on stderr.
    let human = partial_put_run(demo.url(), &[]);
    assert!(!human.stderr.contains("verdict"), "{}", human.context());
}

#[test]
fn repro_dir_holds_one_executable_script_per_finding_without_secrets() {
    const TOKEN: &str = "repro-s3cr3t-5150";
    let demo = support::demo_requiring_token("merge-put", TOKEN);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = support::demo_scenario_with_bearer(dir.path(), "REPRO_TOKEN");
    let repro = dir.path().join("repro");
    let mut cmd = idemfuzz();
    cmd.env("REPRO_TOKEN", TOKEN);
    let out = run_cmd(
        cmd,
        [
            "run",
            &file.display().to_string(),
            "--base-url",
            demo.url(),
            "--checks",
            "partial-put,post-retry",
            "--cases",
            "1",
            "--no-progress",
            "--repro-dir",
            &repro.display().to_string(),
        ],
    );
    out.assert_code(1, "merge-put is found").assert_no_panic();
    let mut names: Vec<String> = std::fs::read_dir(&repro)
        .expect("the directory was created")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "error-things-partial-put-merged.sh",
            "info-things-post-retry-unkeyed-duplicate.sh"
        ]
    );
    let script_path = repro.join(&names[0]);
    assert!(
        out.stdout
            .contains(&format!("  reproduce: sh {}\n", script_path.display())),
        "the block names the file:\n{}",
        out.context()
    );
    let script = std::fs::read_to_string(&script_path).expect("the script");
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(
        script.contains("Authorization: Bearer ${REPRO_TOKEN}"),
        "{script}"
    );
    assert!(!script.contains(TOKEN) && !out.stdout.contains(TOKEN));
    assert_executable_shell(&script_path);
}

/// The file is executable and `sh -n` accepts it.
fn assert_executable_shell(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{} is not executable", path.display());
        let check = std::process::Command::new("sh")
            .arg("-n")
            .arg(path)
            .output()
            .expect("sh runs");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}
