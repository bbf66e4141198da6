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

#[test]
fn a_dash_reads_the_scenario_from_standard_input() {
    let text = std::fs::read_to_string(support::root().join("scenarios/demo.toml"))
        .expect("read demo.toml");
    let mut cmd = support::idemfuzz();
    cmd.write_stdin(text.clone());
    let out = support::run_cmd(cmd, ["check", "-"]);
    out.assert_code(0, "check - with a valid scenario on stdin");
    assert!(
        out.stdout.starts_with("ok: <stdin> (1 resource(s)"),
        "{}",
        out.context()
    );

    let mut cmd = support::idemfuzz();
    cmd.write_stdin(text.replace("item = \"/things/{id}\"", "item = 42"));
    let out = support::run_cmd(cmd, ["check", "-"]);
    out.assert_code(2, "an invalid scenario on stdin");
    assert!(
        out.stderr.starts_with("<stdin>:"),
        "errors point into <stdin>:\n{}",
        out.context()
    );

    let demo = support::Demo::start("merge-put");
    let mut cmd = support::idemfuzz();
    cmd.write_stdin(text);
    let out = support::run_cmd(
        cmd,
        [
            "run",
            "-",
            "--base-url",
            demo.url(),
            "--checks",
            "partial-put",
            "--cases",
            "1",
            "--format",
            "json",
        ],
    );
    out.assert_code(1, "run - finds the planted bug");
    let report = out.json();
    assert_eq!(report["scenarios"], serde_json::json!(["<stdin>"]));
    assert!(
        support::findings(&report)
            .iter()
            .any(|f| f["fingerprint"] == "<stdin>:things:partial-put:merged"),
        "{}",
        support::finding_lines(&report)
    );
}

/// True when `text` holds an ANSI colour escape.
fn coloured(text: &str) -> bool {
    text.contains("\x1b[")
}

#[test]
fn colour_follows_clicolor_force_and_no_color_when_piped() {
    let demo = [
        "demo",
        "--bug",
        "none",
        "--checks",
        "repeat-put",
        "--cases",
        "1",
    ];
    let with_env = |vars: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = support::idemfuzz();
        for (name, value) in vars {
            cmd.env(name, value);
        }
        let out = support::run_cmd(cmd, demo.iter().chain(extra));
        out.assert_code(0, "the clean demo");
        coloured(&out.stdout)
    };
    assert!(!with_env(&[], &[]), "a pipe gets no colour by default");
    assert!(
        with_env(&[("CLICOLOR_FORCE", "1")], &[]),
        "CLICOLOR_FORCE colours a pipe"
    );
    assert!(
        !with_env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]),
        "NO_COLOR wins"
    );
    assert!(
        !with_env(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]),
        "--color never wins over the variables"
    );
    assert!(
        with_env(&[("NO_COLOR", "1")], &["--color", "always"]),
        "--color always wins over the variables"
    );
}

/// The clean demo run on a pseudo-terminal (util-linux `script`) with `TERM` set to `term`,
/// outside CI; true when its output (the human report and the progress bar) holds escapes.
fn coloured_on_a_terminal(term: &str) -> bool {
    let binary = assert_cmd::cargo::cargo_bin!("idemfuzz");
    let command = format!(
        "{} demo --bug none --checks repeat-put --cases 1",
        binary.display()
    );
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(support::root())
        .env("TERM", term);
    for name in ["CI", "NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        script.env_remove(name);
    }
    for name in support::PROXY_VARIABLES {
        script.env_remove(name);
    }
    let output = script.output().expect("run util-linux `script`");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("verdict:"),
        "the demo on a pseudo-terminal: {:?}\n{stdout}",
        output.status
    );
    coloured(&stdout)
}

#[test]
fn a_dumb_terminal_gets_no_colour_and_no_progress_bar() {
    assert!(
        coloured_on_a_terminal("xterm-256color"),
        "a terminal is coloured"
    );
    assert!(!coloured_on_a_terminal("dumb"), "TERM=dumb is not");
}

/// Runs the binary with its standard output on a pipe whose reader is already gone (as after
/// `| head -1` has read its line); returns the exit code and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `pipe` fills two new descriptors; the read end is closed at once and the write
    // end is owned by the `OwnedFd` from then on.
    let write_end = unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "pipe()");
        libc::close(fds[0]);
        std::os::fd::OwnedFd::from_raw_fd(fds[1])
    };
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin!("idemfuzz"))
        .args(args)
        .current_dir(support::root())
        .env("CI", "1")
        .env_remove("IDEMFUZZ_BASE_URL")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(write_end))
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run idemfuzz");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let demo = support::Demo::start("none");
    let url = demo.url();
    let commands: [(&[&str], i32); 5] = [
        (&["list-checks"], 0),
        (&["completions", "bash"], 0),
        (&["man"], 0),
        (
            &["run", "scenarios/demo.toml", "--base-url", url, "--dry-run"],
            0,
        ),
        (
            &[
                "run",
                "scenarios/demo.toml",
                "--base-url",
                url,
                "--checks",
                "repeat-put",
                "--cases",
                "1",
            ],
            0,
        ),
    ];
    for (args, code) in commands {
        let (got, stderr) = with_closed_stdout(args);
        assert_eq!(got, Some(code), "{args:?}\n{stderr}");
        assert!(
            !stderr.contains("Broken pipe")
                && !stderr.contains("error")
                && !stderr.contains("panicked"),
            "{args:?} complained about the closed pipe:\n{stderr}"
        );
    }
}

#[test]
fn check_needs_no_secrets_and_names_the_variables_run_will_need() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "secrets.toml",
        r#"[target.headers]
X-Tenant = "${IDEMFUZZ_TEST_TENANT}"

[target.auth]
basic = { user = "ci", password = "${IDEMFUZZ_TEST_PASSWORD}" }

[resources.things]
collection = "/things"
item = "/things/{id}"
body = { name = "x" }
"#,
    );
    let path = path.display().to_string();
    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_TEST_TENANT", "t1")
        .env_remove("IDEMFUZZ_TEST_PASSWORD");
    let out = support::run_cmd(cmd, ["check", &path]);
    out.assert_code(0, "check validates without the secret");
    assert!(
        out.stdout.contains(
            "\n  run will need: IDEMFUZZ_TEST_PASSWORD (not set here), IDEMFUZZ_TEST_TENANT\n"
        ),
        "{}",
        out.context()
    );

    // `run` still needs it, before anything is sent.
    let out = run([
        "run",
        &path,
        "--base-url",
        "http://127.0.0.1:9",
        "--no-progress",
    ]);
    out.assert_code(2, "run without the secret");
    assert!(
        out.stderr
            .contains("environment variable `IDEMFUZZ_TEST_TENANT` is not set"),
        "{}",
        out.context()
    );

    // A real mistake is still one, with or without the variables.
    let broken = write_file(
        dir.path(),
        "broken.toml",
        "[target.auth]\nbearer = \"${NOPE\"\n[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nbody = { a = 1 }\n",
    );
    let out = run(["check", &broken.display().to_string()]);
    out.assert_code(2, "a malformed reference");
    assert!(out.stderr.contains("unterminated"), "{}", out.context());
}

/// The `IDEMFUZZ_*` table as it must read: one row per variable, in the order `--help` first
/// shows them, with the option it stands for and the commands that take it — from the clap
/// definitions the binary's `--help` is generated from.
fn environment_table() -> String {
    use clap::CommandFactory;
    let cli = idemfuzz::cli::args::Cli::command();
    let mut rows: Vec<(String, String, Vec<String>)> = Vec::new();
    for command in cli.get_subcommands() {
        for arg in command.get_arguments() {
            let Some(variable) = arg.get_env() else {
                continue;
            };
            let variable = variable.to_string_lossy().into_owned();
            let option = format!("--{}", arg.get_long().unwrap_or_default());
            let name = command.get_name().to_owned();
            match rows.iter_mut().find(|row| row.0 == variable) {
                Some(row) => row.2.push(name),
                None => rows.push((variable, option, vec![name])),
            }
        }
    }
    let mut table = String::from("| Variable | Option | Commands |\n|---|---|---|\n");
    for (variable, option, commands) in rows {
        let commands: Vec<String> = commands.iter().map(|c| format!("`{c}`")).collect();
        table.push_str(&format!(
            "| `{variable}` | `{option}` | {} |\n",
            commands.join(", ")
        ));
    }
    table
}

#[test]
fn the_environment_variable_table_matches_the_options() {
    let readme = std::fs::read_to_string(support::root().join("README.md")).expect("README");
    let expected = environment_table();
    assert!(
        readme.contains(&expected),
        "README.md's IDEMFUZZ_* table differs from the options; it must read:\n\n{expected}"
    );
    // And the binary's help says so for each variable.
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(&run(["run", "--help"]).stdout) + &words(&run(["fuzz", "--help"]).stdout);
    for line in expected.lines().skip(2) {
        let variable = line.split('`').nth(1).unwrap_or_default();
        assert!(
            help.contains(&format!("[env: {variable}=]")),
            "--help does not name {variable}"
        );
    }
}

#[test]
fn environment_variables_set_options_and_empty_ones_count_as_unset() {
    let demo = support::Demo::start("none");
    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_BASE_URL", demo.url())
        .env("IDEMFUZZ_SEED", "42")
        .env("IDEMFUZZ_CASES", "1")
        .env("IDEMFUZZ_FORMAT", "json")
        .env("IDEMFUZZ_SHARD", "");
    let out = support::run_cmd(
        cmd,
        ["run", "scenarios/demo.toml", "--checks", "repeat-put"],
    );
    out.assert_code(0, "options from the environment");
    let report = out.json();
    assert_eq!(report["seed"], 42);
    assert_eq!(
        report["shard"],
        serde_json::Value::Null,
        "an empty variable is unset"
    );
    assert_eq!(
        support::result_row(&report, "repeat-put", "things")["cases_run"],
        1
    );

    let mut cmd = support::idemfuzz();
    cmd.env("IDEMFUZZ_SEED", "7").env("IDEMFUZZ_FORMAT", "json");
    let out = support::run_cmd(
        cmd,
        [
            "run",
            "scenarios/demo.toml",
            "--base-url",
            demo.url(),
            "--seed",
            "9",
            "--cases",
            "1",
            "--checks",
            "repeat-put",
        ],
    );
    assert_eq!(out.json()["seed"], 9, "the command line wins");
}
