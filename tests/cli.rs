//! The command line of the real binary: help, listings, validation errors with their exit codes
//! and locations, and the `demo` command.

mod support;

use support::{CHECKS, run, scenario, write_file};

/// `args` prints help whose `Exit codes:` section has a line `CODE  ...WORDS...` for each pair.
fn assert_help_lists(args: &[&str], codes: &[(&str, &str)]) {
    let out = run(args);
    out.assert_code(0, "--help");
    let section = out
        .stdout
        .split_once("Exit codes:")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| {
            panic!(
                "`{}` does not list the exit codes:\n{}",
                args.join(" "),
                out.stdout
            )
        });
    for (code, words) in codes {
        assert!(
            section
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} ")) && l.contains(words)),
            "`{}`: no line for exit code {code} ({words}):\n{}",
            args.join(" "),
            out.stdout
        );
    }
}

const RUN_CODES: [(&str, &str); 5] = [
    ("0", "no failing findings"),
    ("1", "failing findings"),
    ("2", "usage or scenario-file error"),
    ("3", "could not be tested"),
    ("130", "interrupted"),
];

#[test]
fn help_lists_the_exit_codes() {
    assert_help_lists(&["--help"], &RUN_CODES);
    assert_help_lists(&["run", "--help"], &RUN_CODES);
}

#[test]
fn check_help_lists_its_exit_codes() {
    assert_help_lists(&["check", "--help"], &[("0", "valid"), ("2", "invalid")]);
}

#[test]
fn list_checks_prints_every_check_with_its_rfc() {
    let out = run(["list-checks"]);
    out.assert_code(0, "list-checks");
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(names, CHECKS, "list-checks names:\n{}", out.stdout);
    for line in &lines {
        assert!(
            line.contains("RFC 9110"),
            "list-checks line without `RFC 9110`: {line}"
        );
    }
}

#[test]
fn list_bugs_prints_every_demo_bug() {
    let out = run(["list-bugs"]);
    out.assert_code(0, "list-bugs");
    for bug in idemfuzz::demo::Bug::ALL {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(bug.name())),
            "list-bugs does not list `{bug}`:\n{}",
            out.stdout
        );
    }
}

#[test]
fn check_accepts_the_bundled_scenarios() {
    let out = run(["check", "scenarios/"]);
    out.assert_code(0, "check scenarios/");
    for file in ["demo.toml", "devices.toml", "lamps.toml", "notes.toml"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("ok:") && l.contains(file)),
            "check scenarios/ does not name {file} as ok:\n{}",
            out.context()
        );
    }
}

/// A malformed scenario: exit 2, and stderr's first line is `PATH:LINE:COL: error: MESSAGE`.
fn assert_located_error(name: &str, text: &str, line: usize, message: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), name, text);
    let path_text = path.display().to_string();
    let out = run(["check", &path_text]);
    out.assert_code(2, &format!("check of the malformed {name}"));
    let first = out.stderr.lines().next().unwrap_or("");
    let prefix = format!("{path_text}:{line}:");
    let rest = first.strip_prefix(&prefix).unwrap_or_else(|| {
        panic!("{name}: stderr's first line must start with `{prefix}COL: error:`, got:\n{first}\n(stderr:\n{})", out.stderr)
    });
    let (col, rest) = rest
        .split_once(": error: ")
        .unwrap_or_else(|| panic!("{name}: no `: error: ` after the line number in: {first}"));
    assert!(
        col.parse::<usize>().is_ok_and(|c| c >= 1),
        "{name}: column is not a number >= 1 in: {first}"
    );
    assert!(
        rest.contains(message),
        "{name}: error message does not mention `{message}`: {first}"
    );

    // `run` rejects the same file the same way, and sends nothing (no server is needed).
    let out = run([
        "run",
        &path_text,
        "--base-url",
        "http://127.0.0.1:9",
        "--no-progress",
    ]);
    out.assert_code(2, &format!("run of the malformed {name}"));
    assert!(
        out.stderr
            .lines()
            .next()
            .is_some_and(|l| l.starts_with(&prefix)),
        "{name}: `run` does not locate the error at {prefix}\n{}",
        out.context()
    );
}

#[test]
fn unknown_key_is_located() {
    assert_located_error(
        "unknown_key.toml",
        r#"[target]
timeout = "5s"

[resources.things]
collection = "/things"
item = "/things/{id}"
colour = "red"

[resources.things.body]
name = { gen = "string" }
"#,
        7,
        "colour",
    );
}

#[test]
fn toml_syntax_error_is_located() {
    assert_located_error(
        "syntax.toml",
        r#"[target]
timeout = "5s"

[resources.things]
collection = "/things"
item = "/things/{id}
"#,
        6,
        "",
    );
}

#[test]
fn bad_generator_is_located() {
    assert_located_error(
        "bad_generator.toml",
        r#"[resources.things]
collection = "/things"
item = "/things/{id}"

[resources.things.body]
name = { gen = "string" }
size = { gen = "integr", min = 1 }
"#,
        7,
        "integr",
    );
}

#[test]
fn unknown_check_name_is_a_usage_error_naming_the_known_checks() {
    let out = run([
        "run",
        &scenario("demo.toml"),
        "--base-url",
        "http://127.0.0.1:9",
        "--checks",
        "repeat-put,bogus-check",
        "--no-progress",
    ]);
    out.assert_code(2, "unknown --checks name");
    assert!(
        out.stderr.contains("bogus-check"),
        "stderr does not name the unknown check:\n{}",
        out.stderr
    );
    for check in CHECKS {
        assert!(
            out.stderr.contains(check),
            "stderr does not name the known check `{check}`:\n{}",
            out.stderr
        );
    }
    assert!(out.stdout.is_empty(), "nothing may run:\n{}", out.stdout);
}

#[test]
fn missing_base_url_is_a_usage_error() {
    let out = run(["run", &scenario("demo.toml"), "--no-progress"]);
    out.assert_code(2, "run without a base URL");
    assert!(
        out.stderr.contains("no base URL"),
        "stderr does not say there is no base URL:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--base-url") && out.stderr.contains("IDEMFUZZ_BASE_URL"),
        "stderr does not say how to give a base URL:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("demo.toml"),
        "stderr does not name the file:\n{}",
        out.stderr
    );
}

#[test]
fn demo_finds_the_default_bug() {
    let out = run([
        "demo",
        "--seed",
        "3",
        "--cases",
        "1",
        "--no-progress",
        "--color",
        "never",
    ]);
    out.assert_code(0, "demo with its default bug (merge-put) found");
    out.assert_no_panic();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("error[partial-put] things:")),
        "demo stdout has no partial-put finding:\n{}",
        out.context()
    );
    assert_eq!(
        out.stdout.trim_end().lines().last(),
        Some("verdict: DEMO OK (exit 0): the planted bug was found, as the demo expects"),
        "the last line is the demo's verdict, as the exit code says:\n{}",
        out.context()
    );
    assert!(
        out.stdout
            .contains("planted bugs:\n  merge-put: found (error[partial-put] things)\n"),
        "{}",
        out.context()
    );
}

#[test]
fn a_demo_with_several_bugs_exits_0_only_when_every_bug_was_found() {
    let demo = |bugs: &str| {
        run([
            "demo",
            "--bug",
            bugs,
            "--seed",
            "3",
            "--cases",
            "1",
            "--no-progress",
            "--checks",
            "partial-put,repeat-put",
        ])
    };
    let both = demo("merge-put,put-counter");
    both.assert_code(0, "both planted bugs are found")
        .assert_no_panic();
    assert!(
        both.stdout.trim_end().ends_with(
            "verdict: DEMO OK (exit 0): all 2 planted bugs were found, as the demo expects"
        ),
        "{}",
        both.context()
    );
    let one_missed = demo("merge-put,post-put-merge");
    one_missed.assert_code(
        1,
        "post-put-merge needs the fuzzer: one bug missed is a failure",
    );
    for expected in [
        "  merge-put: found (error[partial-put] things)\n",
        "  post-put-merge: NOT found; only the fuzzer finds it (add --checks fuzz)\n",
    ] {
        assert!(
            one_missed.stdout.contains(expected),
            "no `{expected}`\n{}",
            one_missed.context()
        );
    }
    assert!(
        one_missed
            .stdout
            .trim_end()
            .ends_with("verdict: DEMO FAILED (exit 1): 1 of 2 planted bugs not found"),
        "{}",
        one_missed.context()
    );
}

#[test]
fn demo_on_the_clean_api_finds_nothing_failing() {
    let out = run([
        "demo",
        "--bug",
        "none",
        "--seed",
        "3",
        "--cases",
        "1",
        "--format",
        "json",
        "--no-progress",
    ]);
    out.assert_code(0, "demo --bug none");
    let report = out.json();
    let failing: Vec<_> = support::findings(&report)
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(
        failing.is_empty(),
        "demo --bug none reported failing findings:\n{}",
        support::finding_lines(&report)
    );
    assert_eq!(report["outcome"]["kind"], "completed");
    assert!(
        support::results(&report)
            .iter()
            .any(|r| r["status"]["kind"] == "passed"),
        "no check passed on the clean demo API"
    );
}

#[test]
fn demo_with_an_unknown_bug_is_a_usage_error() {
    let out = run(["demo", "--bug", "nonsense", "--no-progress"]);
    out.assert_code(2, "demo --bug nonsense");
    assert!(
        out.stderr.contains("unknown bug `nonsense`") && out.stderr.contains("merge-put"),
        "stderr does not name the unknown bug and the known ones:\n{}",
        out.stderr
    );
}

#[test]
fn serve_demo_on_port_zero_announces_the_port_it_got() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = support::spawn_idemfuzz(&["serve-demo", "--port", "0"]);
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut first_line = String::new();
    let read = BufReader::new(stderr).read_line(&mut first_line);
    let announced = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string);
    // No panic before the child is killed: failures become an empty answer.
    let answer = announced.as_deref().and_then(|addr| {
        let mut stream = std::net::TcpStream::connect(addr).ok()?;
        stream
            .write_all(b"GET /things HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        Some(text)
    });
    let _ = child.kill();
    let _ = child.wait();
    read.expect("read the announcement");
    let addr = announced.unwrap_or_else(|| panic!("no address announced: {first_line:?}"));
    assert!(
        !addr.ends_with(":0"),
        "announced the requested port, not the bound one: {first_line}"
    );
    let answer = answer.unwrap_or_default();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "GET /things on {addr}: {answer}"
    );
}
