//! Memory: peak resident memory of whole runs of 1,000 and 10,000 cases (check mode and fuzz
//! mode, each against the clean and a buggy demo). Flat means findings and
//! exchanges are streamed to the reports, not kept.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::child::{Measured, measure};
use crate::demo::{DemoProcess, idemfuzz, scenario};
use crate::stats::count;
use crate::table::{Section, verdict};

const LIMIT_MIB: f64 = 64.0;
/// Bugs that make a finding in nearly every case of their checks.
const BUGGY: &str = "merge-put,put-counter,delete-500,get-counter";

/// One kind of run, scaled to a number of cases.
struct Mode {
    label: &'static str,
    bugs: &'static str,
    fuzz: bool,
}

const MODES: [Mode; 4] = [
    Mode {
        label: "default checks, clean API",
        bugs: "none",
        fuzz: false,
    },
    Mode {
        label: "default checks, 4 bugs (a finding in most cases)",
        bugs: BUGGY,
        fuzz: false,
    },
    Mode {
        label: "fuzz, clean API",
        bugs: "none",
        fuzz: true,
    },
    Mode {
        label: "fuzz, 4 bugs (failing sequences confirmed and shrunk)",
        bugs: BUGGY,
        fuzz: true,
    },
];

/// What a run's JSON report says.
struct Summary {
    cases: u64,
    requests: u64,
    findings: usize,
    report_bytes: u64,
}

fn summarise(report: &std::path::Path) -> anyhow::Result<Summary> {
    let bytes = std::fs::read(report).context("read the report")?;
    let json: Value = serde_json::from_slice(&bytes).context("parse the report")?;
    let cases = json["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|r| {
                    r["cases_run"].as_u64().unwrap_or(0) + r["cases_errored"].as_u64().unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0);
    Ok(Summary {
        cases,
        requests: json["stats"]["requests"].as_u64().unwrap_or(0),
        findings: json["findings"].as_array().map_or(0, Vec::len),
        report_bytes: bytes.len() as u64,
    })
}

fn run_mode(
    demo: &DemoProcess,
    mode: &Mode,
    cases_flag: u64,
    report: &std::path::Path,
    limit: Duration,
) -> anyhow::Result<Measured> {
    let mut command = idemfuzz();
    command.args([
        "run",
        &scenario("demo.toml"),
        "--base-url",
        &demo.base_url,
        "--seed",
        "1",
        "--cases",
        &cases_flag.to_string(),
        "--no-progress",
        "--format",
        "json",
        "--output",
        &report.display().to_string(),
    ]);
    if mode.fuzz {
        command.args(["--checks", "fuzz"]);
    }
    measure(&mut command, limit)
}

/// Planned cases per `--cases 1` of a mode (units of the plan).
fn units(demo: &DemoProcess, mode: &Mode, report: &std::path::Path) -> anyhow::Result<u64> {
    if mode.fuzz {
        return Ok(1);
    }
    let out = run_mode(demo, mode, 1, report, Duration::from_secs(60))?;
    anyhow::ensure!(out.code.is_some(), "the probe run died: {}", out.stderr);
    Ok(summarise(report)?.cases.max(1))
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let sizes: [u64; 2] = if quick { [100, 1_000] } else { [1_000, 10_000] };
    let limit = Duration::from_secs(if quick { 300 } else { 1_200 });
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("report.json");
    let mut section = Section::new(
        "Memory over many cases",
        &[
            "run",
            "cases",
            "requests",
            "wall",
            "peak RSS",
            "findings kept",
            "report size",
            "target < 64 MiB, flat",
        ],
    );
    for mode in &MODES {
        let demo = DemoProcess::start(mode.bugs)?;
        let per_flag = units(&demo, mode, &report)?;
        let mut peaks = Vec::new();
        for size in sizes {
            let flag = size.div_ceil(per_flag);
            let out = run_mode(&demo, mode, flag, &report, limit)?;
            let rss = out.max_rss_kib as f64 / 1024.0;
            if out.timed_out || out.code.is_none() {
                section.row(vec![
                    mode.label.into(),
                    count(size),
                    "—".into(),
                    format!("killed after {} s", limit.as_secs()),
                    format!("≥ {rss:.1} MiB"),
                    "—".into(),
                    "—".into(),
                    verdict(false),
                ]);
                peaks.push(f64::INFINITY);
                continue;
            }
            let summary = summarise(&report)?;
            peaks.push(rss);
            let flat = peaks.first().is_some_and(|first| rss <= first * 1.25 + 2.0);
            section.row(vec![
                mode.label.into(),
                count(summary.cases),
                count(summary.requests),
                format!("{:.1} s", out.wall.as_secs_f64()),
                format!("{rss:.1} MiB"),
                count(summary.findings as u64),
                format!("{:.1} KiB", summary.report_bytes as f64 / 1024.0),
                verdict(rss < LIMIT_MIB && flat),
            ]);
        }
    }
    section.note("Peak resident set size of the idemfuzz process (wait4's ru_maxrss), `--format json --output FILE`, default concurrency; the demo API runs in another process. Flat: the larger run's peak is within 25% (+2 MiB) of the smaller one's.");
    section.note(format!("The buggy API plants `{BUGGY}`; the cases count is read from the report (cases run + errored)."));
    Ok(section)
}
