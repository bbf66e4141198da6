//! Deviations found by hand on real servers, each caught by the right check against its buggy
//! stand-in (`tests/standins`) and silent on the correct variant (issue 15, "Deviations to stop
//! missing"): a repeated identical PUT answered 412, a 405 `Allow` that leaves out methods that
//! work, the `*` preconditions without ETags, a strong mtime-size ETag, a DELETE by prefix or
//! case, HEAD with content, and one finding for one cause.

mod standins;
mod support;

use serde_json::Value;
use tempfile::TempDir;

use standins::*;
use support::{findings, results, run_json};

/// The body every scenario here generates (members every stand-in accepts).
const BODY: &str = r#"
[resources.things.body]
name = { gen = "string", min_len = 1, max_len = 20 }
color = { gen = "one_of", values = ["red", "green", "blue"] }
size = { gen = "int", min = 1, max = 100 }
tags = { gen = "array", items = { gen = "string", chars = "alnum", min_len = 1, max_len = 6 }, max_len = 3 }
"#;

/// A scenario file with one resource `things`: `resource` holds its keys, [`BODY`] its body.
fn scenario(dir: &TempDir, resource: &str) -> String {
    let text = format!(
        "[target]\ntimeout = \"5s\"\n\n[resources.things]\n{resource}\nrequired = [\"name\"]\n{BODY}"
    );
    let path = support::write_file(dir.path(), "deviations.toml", &text);
    path.to_string_lossy().into_owned()
}

/// The generic API's `/things`, created by PUT, with `extra` keys.
fn generic(extra: &str) -> String {
    format!(
        "collection = \"/things\"\nitem = \"/things/{{id}}\"\ncreate = \"put\"\nitems = \"/items\"\n{extra}"
    )
}

/// Runs `checks` of the scenario `resource` against `api` (2 cases, seed 1); the JSON report.
fn run(api: &Standin, resource: &str, checks: &str) -> Value {
    let dir = TempDir::new().expect("temp dir");
    let path = scenario(&dir, resource);
    let base = api.base_url();
    let out = run_json(
        &path,
        &base,
        &["--checks", checks, "--cases", "2", "--seed", "1"],
    );
    out.assert_no_panic();
    assert!(
        matches!(out.code(), 0 | 1),
        "the run judged its cases\n{}",
        out.context()
    );
    out.json()
}

/// The findings of `check` whose rule is `rule`.
fn with_rule<'a>(report: &'a Value, check: &str, rule: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["check"] == check && f["rule"] == rule)
        .collect()
}

/// Every finding of `check` (check, rule, title), for messages and emptiness.
fn of_check(report: &Value, check: &str) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| format!("{} [{}] {}", f["check"], f["rule"], f["title"]))
        .collect()
}

/// Asserts that no case of the run stopped with an error.
fn no_case_errors(report: &Value) {
    for row in results(report) {
        assert!(
            row["status"]["kind"] != "errored"
                && row["cases_errored"].as_u64().unwrap_or(0) == 0
                && row["case_errors"].as_array().is_none_or(Vec::is_empty),
            "a case errored: {row}"
        );
    }
}

// ---- 1. repeat-put judges status -----------------------------------------------------------

const EVE: &str = "collection = \"/things\"\nitem = \"/things/{id}\"\ncreate = \"post\"\npost_id = \"/_id\"\nid_field = \"/_id\"\nitems = \"/_items\"\nmethods = [\"GET\", \"HEAD\", \"OPTIONS\", \"PUT\", \"PATCH\", \"DELETE\"]\nignore = [\"/_updated\", \"/_etag\", \"/_links\", \"/_created\"]";

#[test]
fn a_repeated_identical_put_answered_412_is_a_repeat_put_error() {
    let buggy = Standin::start(Eve::with_bug(EveBug::RepeatPut412));
    let report = run(&buggy, EVE, "repeat-put");
    let found = with_rule(&report, "repeat-put", "repeat-refused");
    assert_eq!(found.len(), 1, "{:?}", of_check(&report, "repeat-put"));
    assert_eq!(found[0]["severity"], "error");
    let observed = found[0]["observed"].as_str().unwrap_or_default();
    assert!(
        observed.contains("412") && observed.contains("no precondition sent"),
        "{observed}"
    );
    no_case_errors(&report);

    let correct = Standin::start(Eve::correct());
    let report = run(&correct, EVE, "repeat-put");
    assert!(of_check(&report, "repeat-put").is_empty());
    no_case_errors(&report);
}

// ---- 2. a 405 Allow that leaves out methods that work ---------------------------------------

const FASTAPI: &str = "collection = \"/items\"\nitem = \"/items/{id}\"\ncreate = \"post\"\npost_id = \"/id\"\nitems = \"\"\nmethods = [\"GET\", \"HEAD\", \"PUT\", \"DELETE\"]";

#[test]
fn an_allow_that_leaves_out_working_methods_is_a_status_conformance_error() {
    let buggy = Standin::builder(FastApi::with_bug(FastApiBug::ShortAllow))
        .seed(Seed::numbered("items", 3))
        .start();
    let report = run(&buggy, FASTAPI, "status-conformance");
    let found = with_rule(&report, "status-conformance", "405-allow-omits-method");
    assert_eq!(
        found.len(),
        1,
        "{:?}",
        of_check(&report, "status-conformance")
    );
    let title = found[0]["title"].as_str().unwrap_or_default();
    assert!(title.contains("PUT, DELETE"), "{title}");
    assert!(
        !title.contains("HEAD"),
        "HEAD is refused there too: {title}"
    );
    // The probes went to the case's own items only.
    buggy.assert_seed_untouched();

    let correct = Standin::start(FastApi::correct());
    let report = run(&correct, FASTAPI, "status-conformance");
    let allow: Vec<String> = of_check(&report, "status-conformance")
        .into_iter()
        .filter(|f| f.contains("405"))
        .collect();
    assert!(allow.is_empty(), "{allow:?}");
}

// ---- 3. the `*` preconditions need no ETag --------------------------------------------------

#[test]
fn star_preconditions_are_tested_without_etags() {
    // No `etags = true`: only the two `*` probes run.
    let ignoring = Standin::start(Generic::ignores_preconditions());
    let report = run(&ignoring, &generic(""), "conditional-write");
    let found = with_rule(&report, "conditional-write", "ignores-preconditions");
    assert_eq!(
        found.len(),
        1,
        "{:?}",
        of_check(&report, "conditional-write")
    );
    let observed = found[0]["observed"].as_str().unwrap_or_default();
    assert!(
        observed.contains("If-Match: * to a missing resource")
            && observed.contains("If-None-Match: *"),
        "{observed}"
    );

    // The If-Match: * PUT created its id, though the collection cannot be listed: never
    // "nothing changed".
    let unlisted = Standin::start(Generic::with(Knobs {
        preconditions: false,
        listing: Listing::NotFound,
        ..Knobs::default()
    }));
    let report = run(&unlisted, &generic(""), "conditional-write");
    assert_eq!(
        with_rule(&report, "conditional-write", "ignores-preconditions").len(),
        1,
        "{:?}",
        of_check(&report, "conditional-write")
    );
    assert!(with_rule(&report, "conditional-write", "not-412").is_empty());

    for (name, api, resource) in [
        ("generic", Standin::start(Generic::correct()), generic("")),
        (
            "fastapi",
            Standin::start(FastApi::correct()),
            FASTAPI.to_string(),
        ),
        ("eve", Standin::start(Eve::correct()), EVE.to_string()),
    ] {
        let report = run(&api, &resource, "conditional-write");
        assert!(
            of_check(&report, "conditional-write").is_empty(),
            "{name}: {:?}",
            of_check(&report, "conditional-write")
        );
        no_case_errors(&report);
    }
}

// ---- 4. a strong ETag that survives a same-length change ------------------------------------

#[test]
fn an_mtime_size_etag_is_caught_by_a_same_length_change() {
    let resource = generic("etags = true");
    let buggy = Standin::start(Generic::mtime_size_etag());
    let report = run(&buggy, &resource, "etag-stability");
    let found = with_rule(&report, "etag-stability", "unchanged-after-change");
    assert_eq!(found.len(), 1, "{:?}", of_check(&report, "etag-stability"));
    assert_eq!(found[0]["severity"], "error");

    let correct = Standin::start(Generic::correct());
    let report = run(&correct, &resource, "etag-stability");
    assert!(of_check(&report, "etag-stability").is_empty());
}

// ---- 5a. a DELETE by prefix or case ---------------------------------------------------------

#[test]
fn a_delete_by_prefix_or_case_is_caught_by_look_alike_canaries() {
    for (delete, extends, other_case) in [
        (DeleteMatch::Prefix, true, false),
        (DeleteMatch::CaseInsensitive, false, true),
        (DeleteMatch::PrefixAnyCase, true, true),
    ] {
        let buggy = Standin::start(Generic::with(Knobs {
            delete,
            ..Knobs::default()
        }));
        let report = run(&buggy, &generic(""), "repeat-delete");
        let found = with_rule(&report, "repeat-delete", "look-alike-removed");
        assert_eq!(
            (found.len(), of_check(&report, "repeat-delete").len()),
            (1, 1),
            "{delete:?}: one finding, no collateral-change beside it: {:?}",
            of_check(&report, "repeat-delete")
        );
        let observed = found[0]["observed"].as_str().unwrap_or_default();
        assert_eq!(
            (
                observed.contains("extends the target's id"),
                observed.contains("the target's id in other case")
            ),
            (extends, other_case),
            "{delete:?}: {observed}"
        );
        no_case_errors(&report);
    }
    // Exact ids, and ids that ignore case (one resource under two spellings): silent.
    for api in [Generic::correct(), Generic::case_insensitive_ids()] {
        let name = format!("{:?}", api.knobs.ids_ignore_case);
        let correct = Standin::start(api);
        let report = run(&correct, &generic(""), "repeat-delete");
        assert!(
            of_check(&report, "repeat-delete").is_empty(),
            "ids ignore case: {name}: {:?}",
            of_check(&report, "repeat-delete")
        );
        no_case_errors(&report);
    }
}

// ---- 5. HEAD with content -------------------------------------------------------------------

#[test]
fn head_with_content_is_a_head_parity_error_and_spoils_no_later_request() {
    let checks = "head-parity,use-after-delete,get-safety,repeat-put";
    let buggy = Standin::start(HeadBody::sends_body());
    let report = run(&buggy, &generic(""), checks);
    let found = with_rule(&report, "head-parity", "head-content");
    assert_eq!(found.len(), 1, "{:?}", of_check(&report, "head-parity"));
    let observed = found[0]["observed"].as_str().unwrap_or_default();
    assert!(
        observed.contains("answered 200") && observed.contains("answered 404"),
        "content after the 200 and after the 404: {observed}"
    );
    no_case_errors(&report);
    assert!(!report.to_string().contains("invalid HTTP version"));

    let correct = Standin::start(HeadBody::correct());
    let report = run(&correct, &generic(""), checks);
    assert!(of_check(&report, "head-parity").is_empty());
    no_case_errors(&report);
}

// ---- 6. one cause, one finding --------------------------------------------------------------

#[test]
fn a_server_ignoring_if_match_gets_one_finding_for_it() {
    let resource = generic("etags = true");
    let checks = "conditional-write,lost-update";
    let buggy = Standin::start(Generic::ignores_preconditions());
    let report = run(&buggy, &resource, checks);
    let errors: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "one finding for one cause: {:?}",
        findings(&report)
            .iter()
            .map(|f| format!("{} [{}]", f["check"], f["rule"]))
            .collect::<Vec<_>>()
    );
    let cause = &errors[0]["cause"];
    assert_eq!(errors[0]["check"], "conditional-write");
    assert_eq!(cause["key"], "if-match-ignored");
    let also: Vec<(&str, &str)> = cause["also"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["check"].as_str().unwrap_or(""),
                        x["rule"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        also.contains(&("lost-update", "both-succeeded")),
        "{also:?}"
    );
    // The human report and JUnit show the group on a `same cause:` line.
    let dir = TempDir::new().expect("temp dir");
    let path = scenario(&dir, &resource);
    for format in ["human", "junit"] {
        let out = support::run([
            "run",
            path.as_str(),
            "--base-url",
            buggy.base_url().as_str(),
            "--checks",
            checks,
            "--cases",
            "2",
            "--seed",
            "1",
            "--no-progress",
            "--color",
            "never",
            "--format",
            format,
        ]);
        let flat = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("same cause: if-match-ignored: also lost-update both-succeeded"),
            "{format}:\n{}",
            out.stdout
        );
    }
    // The two checks' rows still count their own failures.
    for check in ["conditional-write", "lost-update"] {
        let row = support::result_row(&report, check, "things");
        assert_eq!(row["status"]["kind"], "failed", "{row}");
    }

    let correct = Standin::start(Generic::correct());
    let report = run(&correct, &resource, checks);
    assert!(
        findings(&report).is_empty(),
        "{:?}",
        of_check(&report, "lost-update")
    );
}
