//! Nothing the run created is ever lost track of: SIGTERM and SIGHUP stop a run like Ctrl-C
//! (cleanup, complete reports and HAR), a second signal exits at once and leaves the ledger, and
//! after `kill -9` `idemfuzz cleanup` deletes what the ledger names — real processes against a
//! real server on 127.0.0.1. A lost answer is never a silent leftover: a PUT that re-created a
//! deleted id is cleaned up, and what a POST with a lost answer created is listed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::faults::{Fault, FaultProxy};
use support::{
    Demo, DyingDemo, Served, finding_lines, findings, get_json, run, run_json, scenario,
    spawn_idemfuzz, write_file,
};

/// Checks and files that create only by PUT to run-chosen ids: everything they may create is
/// in the ledger before it is sent, so a killed run leaves nothing `cleanup` cannot delete.
const PUT_ONLY_CHECKS: &str = "repeat-put,partial-put,repeat-delete,put-after-delete,use-after-delete,get-safety,head-parity,concurrent-put,conditional-write,lost-update,etag-stability,script";

/// `run` of the PUT-only checks against `url`, with the ledger in `ledgers`.
fn put_only_run(url: &str, ledgers: &Path, extra: &[&str]) -> Child {
    let ledger_dir = ledgers.display().to_string();
    let mut args = vec![
        "run",
        "scenarios/demo.toml",
        "scenarios/lamps.toml",
        "scenarios/devices.toml",
        "--base-url",
        url,
        "--checks",
        PUT_ONLY_CHECKS,
        "--seed",
        "7",
        "--cases",
        "400",
        "--no-progress",
        "--ledger-dir",
        &ledger_dir,
    ];
    args.extend_from_slice(extra);
    spawn_idemfuzz(&args)
}

/// Waits until `seen()` reaches `count` (the child must still be running).
fn wait_for_requests(child: &mut Child, count: usize, seen: impl Fn() -> usize) {
    let mut polls = 0;
    while seen() < count {
        if let Some(status) = child.try_wait().expect("poll the child") {
            panic!("idemfuzz finished ({status}) before it could be stopped");
        }
        polls += 1;
        assert!(polls < 60_000, "fewer than {count} requests in a minute");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{name}");
}

/// The lines of the child's stderr, as they come.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("piped stderr");
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// The items every collection of the demo API holds, read directly.
fn demo_holds(url: &str) -> BTreeMap<&'static str, Vec<Value>> {
    ["/things", "/lamps", "/devices", "/notes"]
        .into_iter()
        .map(|collection| {
            let body = get_json(&format!("{url}{collection}"));
            (
                collection,
                body["items"].as_array().cloned().unwrap_or_default(),
            )
        })
        .collect()
}

fn assert_demo_empty(url: &str, why: &str) {
    for (collection, items) in demo_holds(url) {
        assert!(
            items.is_empty(),
            "{why}: {collection} still holds {items:?}"
        );
    }
}

fn ledger_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn sigterm_and_sighup_stop_a_run_like_ctrl_c() {
    for name in ["TERM", "HUP"] {
        let server = DyingDemo::start(usize::MAX);
        let dir = tempfile::tempdir().expect("tempdir");
        let report_path = dir.path().join("report.json");
        let har_path = dir.path().join("run.har");
        let ledgers = dir.path().join("runs");
        let (report_arg, har_arg) = (
            report_path.display().to_string(),
            har_path.display().to_string(),
        );
        let mut child = put_only_run(
            server.url(),
            &ledgers,
            &[
                "--format",
                "json",
                "--output",
                &report_arg,
                "--har",
                &har_arg,
            ],
        );
        wait_for_requests(&mut child, 150, || server.requests_seen());
        signal(&child, name);
        let output = child.wait_with_output().expect("wait for idemfuzz");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            output.status.code(),
            Some(130),
            "SIG{name} with no failing finding exits 130; stderr:\n{stderr}"
        );
        assert!(stderr.contains(&format!("SIG{name}: stopping")), "{stderr}");
        let report = read_json(&report_path);
        assert_eq!(report["outcome"]["kind"], "interrupted", "SIG{name}");
        assert_eq!(
            report["cleanup"]["left_behind"],
            serde_json::json!([]),
            "SIG{name}: cleanup runs: {}",
            report["cleanup"]
        );
        let har = read_json(&har_path);
        let entries = har["log"]["entries"].as_array().expect("HAR entries");
        assert!(entries.len() >= 150, "SIG{name}: {} entries", entries.len());
        assert!(
            entries.iter().any(|e| e["request"]["method"] == "DELETE"),
            "SIG{name}: the cleanup's requests are in the HAR"
        );
        assert_demo_empty(server.url(), &format!("after SIG{name}"));
        assert!(
            ledger_files(&ledgers).is_empty(),
            "SIG{name}: a run that left nothing removes its ledger: {:?}",
            ledger_files(&ledgers)
        );
    }
}

#[test]
fn a_second_signal_exits_at_once_and_cleanup_finishes_the_job() {
    let server = DyingDemo::start(usize::MAX);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledgers = dir.path().join("runs");
    let report_path = dir.path().join("report.json");
    let report_arg = report_path.display().to_string();
    let mut child = put_only_run(
        server.url(),
        &ledgers,
        &["--format", "json", "--output", &report_arg],
    );
    let lines = stderr_lines(&mut child);
    wait_for_requests(&mut child, 150, || server.requests_seen());
    signal(&child, "TERM");
    let stopping = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the first signal is acknowledged");
    assert!(stopping.contains("SIGTERM: stopping"), "{stopping}");
    signal(&child, "TERM");
    let status = child.wait().expect("wait for idemfuzz");
    let rest: Vec<String> = lines.try_iter().collect();
    if status.code() == Some(130) {
        // The graceful stop won the race: it cleaned up everything itself.
        assert_demo_empty(server.url(), "after a graceful stop");
        return;
    }
    assert_eq!(status.code(), Some(143), "128 + SIGTERM; stderr: {rest:?}");
    let said = rest.join("\n");
    assert!(
        said.contains("second SIGTERM") && said.contains("idemfuzz cleanup"),
        "{said}"
    );
    let files = ledger_files(&ledgers);
    assert_eq!(files.len(), 1, "the ledger stays: {files:?}");
    let run_id = files[0].trim_end_matches(".jsonl").to_string();
    let out = run([
        "cleanup",
        &run_id,
        "--ledger-dir",
        &ledgers.display().to_string(),
        "--base-url",
        server.url(),
    ]);
    out.assert_code(0, "cleanup after a second signal");
    assert!(
        out.stdout.contains("nothing left behind"),
        "{}",
        out.context()
    );
    assert_demo_empty(server.url(), "after cleanup");
    assert!(ledger_files(&ledgers).is_empty(), "the ledger is removed");
}

#[test]
fn kill_9_then_cleanup_leaves_nothing_behind() {
    let server = DyingDemo::start(usize::MAX);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledgers = dir.path().join("runs");
    let mut child = put_only_run(server.url(), &ledgers, &["--format", "json"]);
    wait_for_requests(&mut child, 300, || server.requests_seen());
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let held: usize = demo_holds(server.url()).values().map(Vec::len).sum();
    assert!(
        held > 0,
        "the killed run left resources: the test tests something"
    );
    let files = ledger_files(&ledgers);
    assert_eq!(files.len(), 1, "{files:?}");
    let ledger_dir = ledgers.display().to_string();
    // The run was given its base URL on the command line: the ledger alone never decides where
    // the file's credentials go, so without --base-url nothing is sent.
    let unconfirmed = run(["cleanup", "--all", "--ledger-dir", &ledger_dir]);
    unconfirmed
        .assert_no_panic()
        .assert_code(1, "left alone until --base-url confirms the ledger's");
    assert!(
        unconfirmed.stdout.contains("run cleanup with --base-url"),
        "{}",
        unconfirmed.context()
    );
    let still: usize = demo_holds(server.url()).values().map(Vec::len).sum();
    assert_eq!(still, held, "nothing deleted without --base-url");
    let out = run([
        "cleanup",
        "--all",
        "--ledger-dir",
        &ledger_dir,
        "--base-url",
        server.url(),
    ]);
    out.assert_no_panic()
        .assert_code(0, "everything the killed run created is in its ledger");
    assert!(out.stdout.contains("deleted"), "{}", out.context());
    assert!(
        out.stdout.contains("nothing left behind"),
        "{}",
        out.context()
    );
    assert_demo_empty(server.url(), "after kill -9 and cleanup");
    assert!(ledger_files(&ledgers).is_empty(), "the ledger is removed");
    let again = run(["cleanup", "--all", "--ledger-dir", &ledger_dir]);
    again.assert_code(0, "nothing more to do");
    assert!(
        again.stdout.contains("nothing to clean up"),
        "{}",
        again.context()
    );
}

/// The URLs `cleanup` printed as left behind.
fn listed_left(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("left behind"))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|url| url.rsplit('/').next().unwrap_or(url).to_string())
        .collect()
}

#[test]
fn kill_9_during_posts_lists_exactly_what_cleanup_cannot_prove() {
    let api = Served::start(support::reuse::router());
    let counting = FaultProxy::start_with(&api.url(), Box::new(|_, _: &_, _: &_| None));
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario_path = write_file(dir.path(), "reuse.toml", support::reuse::SCENARIO);
    let ledgers = dir.path().join("runs");
    let ledger_dir = ledgers.display().to_string();
    let mut child = spawn_idemfuzz(&[
        "run",
        &scenario_path.display().to_string(),
        "--base-url",
        &counting.url(),
        "--seed",
        "5",
        "--cases",
        "400",
        "--no-progress",
        "--format",
        "json",
        "--ledger-dir",
        &ledger_dir,
    ]);
    wait_for_requests(&mut child, 400, || {
        usize::try_from(counting.arrived()).unwrap_or(usize::MAX)
    });
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let out = run([
        "cleanup",
        "--all",
        "--ledger-dir",
        &ledger_dir,
        "--base-url",
        &counting.url(),
    ]);
    out.assert_no_panic();
    let listed = listed_left(&out.stdout);
    let held = support::reuse::held_ids(&api.url());
    assert_eq!(
        listed,
        held,
        "cleanup lists exactly what it could not delete\n{}",
        out.context()
    );
    assert_eq!(
        out.code(),
        if held.is_empty() { 0 } else { 1 },
        "{}",
        out.context()
    );
    for line in out.stdout.lines().filter(|l| l.contains("left behind ")) {
        assert!(
            line.contains("marker"),
            "only unprovable POSTs are left: {line}"
        );
    }
}

#[test]
fn a_lost_answer_to_a_put_that_recreates_a_deleted_id_is_cleaned_up() {
    let demo = Demo::start("none");
    // The first PUT to a path that was DELETEd loses its answer (it is applied).
    let deleted = std::sync::Mutex::new(BTreeSet::<String>::new());
    let lost = std::sync::Mutex::new(false);
    let proxy = FaultProxy::start_with(
        demo.url(),
        Box::new(move |_, method: &hyper::Method, path: &str| {
            if method == hyper::Method::DELETE {
                deleted.lock().expect("lock").insert(path.to_string());
            } else if method == hyper::Method::PUT
                && deleted.lock().expect("lock").contains(path)
                && !std::mem::replace(&mut *lost.lock().expect("lock"), true)
            {
                return Some(Fault::LostAnswer);
            }
            None
        }),
    );
    let out = run_json(
        &scenario("demo.toml"),
        &proxy.url(),
        &[
            "--checks",
            "put-after-delete",
            "--cases",
            "2",
            "--seed",
            "3",
        ],
    );
    out.assert_code(0, "the case is re-run after the lost answer");
    assert_eq!(proxy.injected()[2], 1, "one answer was lost");
    let report = out.json();
    assert_eq!(
        report["cleanup"]["left_behind"],
        serde_json::json!([]),
        "{}",
        report["cleanup"]
    );
    assert_demo_empty(demo.url(), "the re-created resource is cleaned up");
}

#[test]
fn what_a_post_with_a_lost_answer_created_is_listed_never_dropped() {
    let demo = Demo::start("none");
    let posts = std::sync::atomic::AtomicUsize::new(0);
    let proxy = FaultProxy::start_with(
        demo.url(),
        Box::new(move |_, method: &hyper::Method, _: &str| {
            let first = method == hyper::Method::POST
                && posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            first.then_some(Fault::LostAnswer)
        }),
    );
    let out = run_json(
        &scenario("demo.toml"),
        &proxy.url(),
        &["--checks", "post-retry", "--cases", "1", "--seed", "3"],
    );
    out.assert_code(0, "the case is re-run after the lost answer");
    let report = out.json();
    assert!(
        findings(&report).iter().all(|f| f["severity"] == "info"),
        "{}",
        finding_lines(&report)
    );
    let left = report["cleanup"]["left_behind"].as_array().expect("list");
    assert_eq!(
        left.len(),
        1,
        "the lost POST's resource: {}",
        report["cleanup"]
    );
    assert!(
        left[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("marker")),
        "{}",
        left[0]
    );
    let held = demo_holds(demo.url());
    let things: Vec<String> = held["/things"]
        .iter()
        .filter_map(|item| item["id"].as_str().map(str::to_string))
        .collect();
    let listed = left[0]["url"]
        .as_str()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("");
    assert_eq!(
        things,
        vec![listed.to_string()],
        "exactly that resource is left"
    );
}

#[test]
fn cleanup_explains_what_it_cannot_work_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger_dir = dir.path().display().to_string();
    let out = run(["cleanup", "abc123", "--ledger-dir", &ledger_dir]);
    out.assert_code(2, "no ledger for that run");
    assert!(
        out.stderr.contains("no ledger for run abc123"),
        "{}",
        out.context()
    );
    let out = run(["cleanup", "../etc", "--ledger-dir", &ledger_dir]);
    out.assert_code(2, "not a run id");
    run(["cleanup"]).assert_code(2, "a run id or --all");
    std::fs::write(
        dir.path().join("bad123.jsonl"),
        "{\"event\":\"start\"}\n{\"event\":\"gone\",\"url\":\"x\"}\n",
    )
    .expect("write");
    let out = run(["cleanup", "bad123", "--ledger-dir", &ledger_dir]);
    out.assert_code(2, "a broken ledger");
    assert!(out.stderr.contains("bad123.jsonl:1:"), "{}", out.context());
}
