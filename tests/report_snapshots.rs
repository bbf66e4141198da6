//! Snapshots of the human and JSON reports of a real run (demo API with the merge-put bug,
//! partial-put only, one case, fixed seed), with the volatile parts redacted: ports, run ids
//! and the run marker, durations, timestamps, HTTP dates, ETags and the tool version.
//!
//! Update with `INSTA_UPDATE=always cargo test --test report_snapshots`, then review the
//! `tests/snapshots/*.snap` diff.

mod support;

use support::{Demo, run, scenario};

/// Regex → replacement for everything that differs between two runs of the same seed.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        // Ephemeral ports.
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        // Run ids: inside created ids, in the JSON field, in the human header.
        (r"idf-[a-z0-9]+-", "idf-[RUN]-"),
        (r#""run_id": "[a-z0-9]+""#, r#""run_id": "[RUN]""#),
        (r"· run [a-z0-9]+ ·", "· run [RUN] ·"),
        // The run marker at the start of a generated string (`idf` and six letters).
        (r#""idf[a-z]{6}"#, r#""idf[MARKER]"#),
        // Durations.
        (r#""(duration_ms|elapsed_ms)": \d+"#, r#""$1": "[MS]""#),
        (
            r"(requests: \d+ sent, \d+ transport error\(s\)), [0-9.]+m?s",
            "$1, [DURATION]",
        ),
        (
            r"(first failure: after \d+ request\(s\)), [0-9.]+s",
            "$1, [DURATION]",
        ),
        // Timestamps (updatedAt) and HTTP dates (Date header).
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
            "[TIMESTAMP]",
        ),
        (
            r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
            "[HTTP-DATE]",
        ),
        // ETags (they hash the representation, timestamp included).
        (r#"("name": "etag",\s*"value": )"[^\n]*""#, r#"$1"[ETAG]""#),
        (r#"(?i)(etag: )"[0-9a-f]{16}""#, r#"$1"[ETAG]""#),
        // Tool version.
        (
            r#""tool_version": "[^"]+""#,
            r#""tool_version": "[VERSION]""#,
        ),
    ]
}

fn args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "scenarios/demo.toml",
        "--base-url",
        url,
        "--checks",
        "partial-put",
        "--cases",
        "1",
        "--seed",
        "5",
        "--color",
        "never",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn human_report_of_a_real_run() {
    assert_eq!(scenario("demo.toml"), "scenarios/demo.toml");
    let demo = Demo::start("merge-put");
    let out = run(args(demo.url(), &[]));
    out.assert_code(1, "merge-put is found");
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("human_report", out.stdout);
    });
}

#[test]
fn json_report_of_a_real_run() {
    let demo = Demo::start("merge-put");
    let out = run(args(demo.url(), &["--format", "json"]));
    out.assert_code(1, "merge-put is found");
    // Valid JSON before any redaction.
    let report = out.json();
    assert_eq!(report["seed"], 5);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("json_report", out.stdout);
    });
}
