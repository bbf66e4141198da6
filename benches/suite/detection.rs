//! Detection cost: for each bug the demo API can plant, over several seeds, the requests sent
//! and the time until the first failing finding — with the default checks (check mode: the
//! whole run, and the catching check run alone) and with the sequence fuzzer (fuzz mode; until
//! the failing sequence is first seen, and until its shrunk finding is reported).

use std::time::Duration;

use anyhow::Context;
use idemfuzz::demo::Bug;
use serde_json::Value;

use crate::child::measure;
use crate::demo::{DemoProcess, idemfuzz, scenario};
use crate::stats::{count, median};
use crate::table::{Section, verdict};

const TARGET_REQUESTS: u64 = 100;

/// The bundled scenario that declares the resource a bug lives in.
fn scenario_for(bug: &str) -> &'static str {
    match bug {
        "lamp-unbreak" => "lamps.toml",
        "reboot-repeat" => "devices.toml",
        "no-428" | "republish" => "notes.toml",
        _ => "demo.toml",
    }
}

/// When a run first failed: requests sent and milliseconds since it started.
#[derive(Debug, Clone, Copy)]
struct Hit {
    requests: u64,
    ms: u64,
    /// Fuzz mode: requests when the shrunk finding was reported.
    reported: Option<u64>,
}

/// One mode's runs of one bug.
#[derive(Default)]
struct Tally {
    hits: Vec<Hit>,
    runs: usize,
    /// Checks (check mode) that flagged the bug.
    by: std::collections::BTreeSet<String>,
    /// Check mode: per seed, the fewest requests to the first failure when one catching check
    /// runs alone (`--checks NAME`).
    alone: Vec<u64>,
    /// Why the mode could not run at all (every unit skipped), if so.
    skipped: Option<String>,
}

fn first_failure(report: &Value) -> Option<(u64, u64)> {
    let first = &report["stats"]["first_failure"];
    Some((first["requests"].as_u64()?, first["elapsed_ms"].as_u64()?))
}

fn failing(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["severity"] != "info").collect())
        .unwrap_or_default()
}

/// The reason every unit was skipped, when nothing ran.
fn all_skipped(report: &Value) -> Option<String> {
    let results = report["results"].as_array()?;
    let ran = results.iter().any(|r| r["status"]["kind"] != "skipped");
    (!ran).then(|| {
        results
            .first()
            .and_then(|r| r["status"]["reason"].as_str())
            .unwrap_or("skipped")
            .to_string()
    })
}

fn run_once(
    demo: &DemoProcess,
    bug: &str,
    seed: u64,
    checks: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<Value> {
    let mut command = idemfuzz();
    command.args([
        "run",
        &scenario(scenario_for(bug)),
        "--base-url",
        &demo.base_url,
        "--seed",
        &seed.to_string(),
        "--concurrency",
        "1",
        "--fail-on",
        "warning",
        "--no-progress",
        "--format",
        "json",
        "--output",
        &out.display().to_string(),
    ]);
    if let Some(checks) = checks {
        command.args(["--checks", checks]);
    }
    let run = measure(&mut command, Duration::from_secs(600))?;
    anyhow::ensure!(
        matches!(run.code, Some(0 | 1)),
        "{bug} seed {seed} (checks: {checks:?}) ended with {:?}: {}",
        run.code,
        run.stderr
    );
    serde_json::from_slice(&std::fs::read(out)?).context("parse the report")
}

fn tally_check(tally: &mut Tally, report: &Value) {
    tally.runs += 1;
    tally.skipped = all_skipped(report);
    if let Some((requests, ms)) = first_failure(report) {
        tally.hits.push(Hit {
            requests,
            ms,
            reported: None,
        });
    }
    for check in catching_checks(report) {
        tally.by.insert(check);
    }
}

/// The checks with a failing finding in a report.
fn catching_checks(report: &Value) -> std::collections::BTreeSet<String> {
    failing(report)
        .iter()
        .filter_map(|finding| finding["check"].as_str().map(str::to_string))
        .collect()
}

/// Check mode, one seed: each check that caught the bug in the whole run, run alone; the
/// fewest requests any of them needed to its first failing finding.
fn tally_alone(
    tally: &mut Tally,
    whole: &Value,
    rerun: impl Fn(&str) -> anyhow::Result<Value>,
) -> anyhow::Result<()> {
    let mut fewest: Option<u64> = None;
    for check in catching_checks(whole) {
        if let Some((requests, _)) = first_failure(&rerun(&check)?) {
            fewest = Some(fewest.map_or(requests, |f| f.min(requests)));
        }
    }
    tally.alone.extend(fewest);
    Ok(())
}

fn tally_fuzz(tally: &mut Tally, report: &Value) {
    tally.runs += 1;
    tally.skipped = all_skipped(report);
    let Some((reported, reported_ms)) = first_failure(report) else {
        return;
    };
    // When the failing sequence was first seen; a report without the figure counts the
    // shrunk report's.
    let detected = failing(report)
        .iter()
        .filter_map(|f| {
            Some((
                f["fuzz"]["detected_after_requests"].as_u64()?,
                f["fuzz"]["detected_after_ms"].as_u64()?,
            ))
        })
        .min()
        .unwrap_or((reported, reported_ms));
    tally.hits.push(Hit {
        requests: detected.0,
        ms: detected.1,
        reported: Some(reported),
    });
}

/// "k/n", median requests and median time of a tally.
fn cells(tally: &Tally) -> [String; 3] {
    if let Some(reason) = &tally.skipped {
        return [format!("not run ({reason})"), "—".into(), "—".into()];
    }
    let requests: Vec<u64> = tally.hits.iter().map(|h| h.requests).collect();
    let ms: Vec<u64> = tally.hits.iter().map(|h| h.ms).collect();
    [
        format!("{}/{}", tally.hits.len(), tally.runs),
        median(&requests).map_or("—".into(), count),
        median(&ms).map_or("—".into(), |ms| format!("{ms} ms")),
    ]
}

/// Found with every seed at a median of at most the target, by one of the figures.
fn met(runs: usize, found: usize, requests: &[u64]) -> bool {
    runs > 0 && found == runs && median(requests).is_some_and(|m| m <= TARGET_REQUESTS)
}

/// Which figures meet the target for one bug: the whole default run, the catching check
/// alone, fuzz mode.
fn target_cell(check: &Tally, fuzz: &Tally) -> String {
    let requests = |tally: &Tally| tally.hits.iter().map(|h| h.requests).collect::<Vec<_>>();
    let by: Vec<&str> = [
        (
            met(check.runs, check.hits.len(), &requests(check)),
            "whole run",
        ),
        (
            met(check.runs, check.alone.len(), &check.alone),
            "check alone",
        ),
        (met(fuzz.runs, fuzz.hits.len(), &requests(fuzz)), "fuzz"),
    ]
    .into_iter()
    .filter_map(|(ok, label)| ok.then_some(label))
    .collect();
    if by.is_empty() {
        verdict(false)
    } else {
        format!("{} ({})", verdict(true), by.join(", "))
    }
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let seeds: u64 = if quick { 3 } else { 10 };
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("report.json");
    let mut section = Section::new(
        "Detection cost per planted bug",
        &[
            "bug",
            "check mode: found",
            "requests (median)",
            "time (median)",
            "found by",
            "catching check alone: requests (median)",
            "fuzz mode: found",
            "requests to detect (median)",
            "time (median)",
            "requests to shrunk report (median)",
            "target: found every time, ≤ 100 requests",
        ],
    );
    let mut names: Vec<&str> = Bug::ALL.iter().map(|bug| bug.name()).collect();
    names.push("none");
    for bug in names {
        eprintln!("bench: detection: {bug}");
        let demo = DemoProcess::start(bug)?;
        let (mut check, mut fuzz) = (Tally::default(), Tally::default());
        for seed in 1..=seeds {
            let whole = run_once(&demo, bug, seed, None, &out)?;
            tally_check(&mut check, &whole);
            tally_alone(&mut check, &whole, |name| {
                run_once(&demo, bug, seed, Some(name), &out)
            })?;
            tally_fuzz(&mut fuzz, &run_once(&demo, bug, seed, Some("fuzz"), &out)?);
        }
        let reported: Vec<u64> = fuzz.hits.iter().filter_map(|h| h.reported).collect();
        let [c_found, c_req, c_ms] = cells(&check);
        let [f_found, f_req, f_ms] = cells(&fuzz);
        let target = if bug == "none" {
            verdict(check.hits.is_empty() && fuzz.hits.is_empty()) + " (no false alarm)"
        } else {
            target_cell(&check, &fuzz)
        };
        section.row(vec![
            format!("`{bug}`"),
            c_found,
            c_req,
            c_ms,
            check.by.iter().cloned().collect::<Vec<_>>().join(", "),
            median(&check.alone).map_or("—".into(), count),
            f_found,
            f_req,
            f_ms,
            median(&reported).map_or("—".into(), count),
            target,
        ]);
    }
    section.note(format!(
        "Seeds 1..{seeds}, `--concurrency 1` (so request counts are exact), `--fail-on warning`, default cases (3 per check; fuzz: 50 sequences); each bug alone in a fresh `serve-demo`, against the bundled scenario of its resource. Medians over the seeds that found the bug."
    ));
    section.note("Check mode: `stats.first_failure` of the JSON report (the run-wide request count and time when the first failing finding was made; the run goes through every check in order, so a bug caught by a late check costs the requests of the earlier ones). *Catching check alone*: the same seed re-run with `--checks NAME` for each check that caught the bug, the fewest requests of those runs (what a run of that check alone pays, the probe included). Fuzz mode: `fuzz.detected_after_requests`/`_ms` (when the failing sequence first failed, before confirmation and shrinking), and the first failure once shrunk and reported.");
    section.note("The target holds for a bug when one figure finds it with every seed at a median ≤ 100 requests; the cell names which: the whole default run, the catching check alone, or fuzz mode. `none` is the control: the clean API must give no failing finding in either mode.");
    Ok(section)
}
