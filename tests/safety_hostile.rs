//! Safety against hostile input: a correct JSON API pre-seeded with resources no run may touch,
//! driven by the real binary with scenarios, captured values and server answers built to make
//! idemfuzz write outside what it created or send credentials elsewhere. Every test asserts
//! that the pre-seeded resources are byte-identical afterwards, that nothing reached another
//! origin, and that the report says exactly what happened (findings, errored checks, left
//! behind).

mod safety_support;
mod support;

use serde_json::{Value, json};

use safety_support::{
    Api, Bystander, Knobs, PRE_SEEDED, left_behind, nothing_adopted, nothing_sent_to,
    post_scenario, posts, rules, run, run_with_secrets, scenario, script, untouched,
};
use support::{findings, result_row, write_file};

#[test]
fn check_refuses_item_templates_and_step_paths_that_can_never_be_safe_and_run_sends_nothing() {
    let api = Api::start(Knobs::default());
    let items = [
        "/things/pre00001#{id}",
        "/things/{id}/%2e%2e/pre00002",
        "/things/{id}/%2E%2E/pre00002",
        "/things/{id}/.%2e/pre00002",
        "/things/{id}\\\\..\\\\pre00004",
        "/things/pre00003?k={id}",
        "/things/pre00001/{id}",
        "/things/{id}/..%2fpre00001",
    ];
    let steps = [
        ("DELETE", "/things/{id}/%2e%2e/pre00001"),
        ("DELETE", "/things/{id}/%2E%2E/pre00001"),
        ("PUT", "/things/{id}/.%2e/pre00001"),
        ("PATCH", "/things/{id}\\\\..\\\\pre00001"),
        ("DELETE", "/things/pre00001#{id}"),
        ("PUT", "/things/pre00003?k={id}"),
        ("DELETE", "/things/pre00001/{id}"),
        ("POST", "/things/{id}/%252e%252e/pre00001"),
        ("DELETE", "/things/{id}/..;/pre00001"),
        ("PUT", "/things/{id}/%c0%ae%c0%ae/pre00001"),
    ];
    let mut texts: Vec<String> = items
        .iter()
        .map(|item| {
            scenario("", "").replace("item = \"/things/{id}\"", &format!("item = \"{item}\""))
        })
        .collect();
    texts.extend(steps.iter().map(|(method, path)| {
        scenario(
            "",
            &script(&format!(
                "[[scripts.steps]]\nmethod = \"{method}\"\npath = \"{path}\"\n"
            )),
        )
    }));
    let dir = tempfile::tempdir().expect("tempdir");
    for text in texts {
        let path = write_file(dir.path(), "bad.toml", &text);
        let path = path.to_str().expect("UTF-8").to_owned();
        let checked = run_with_secrets(&["check", &path]);
        checked.assert_code(2, "check refuses the file");
        let first = checked.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("{path}:")) && first.contains(": error: "),
            "not located: {first}\n{text}"
        );
        let url = api.url();
        run_with_secrets(&["run", &path, "--base-url", &url, "--no-progress"])
            .assert_code(2, "run refuses the file before sending anything");
    }
    assert!(
        api.requests().is_empty(),
        "something was sent: {:?}",
        api.requests()
    );
}

#[test]
fn captured_values_that_would_add_or_remove_segments_are_never_sent() {
    let payloads = [
        "/../pre00002",
        "x/../pre00002",
        "..",
        "%2e%2e",
        ".%2E",
        "a%2f..%2fb",
        "..%2f..%2fpre00002",
        "..\\pre00002",
        "pre00003#x",
        "pre00003?x=1",
        "%252e%252e",
        "..;jsessionid=x",
        "%c0%ae%c0%ae",
    ];
    for payload in payloads {
        let api = Api::start(Knobs {
            echo: json!({ "sfx": payload }),
            ..Knobs::default()
        });
        let before = api.pre_seeded_bytes();
        let steps = r#"[[scripts.steps]]
name = "create"
method = "PUT"
path = "/things/{id}"
body = { name = "mine", size = 1 }

[[scripts.steps]]
name = "read a value the server controls"
method = "GET"
path = "/echo"
capture = { sfx = { pointer = "/sfx" } }

[[scripts.steps]]
name = "write below the own item"
method = "DELETE"
path = "/things/{id}/{sfx}"
"#;
        let (out, _dir) = run(&api, &scenario("", &script(steps)), &["--checks", "script"]);
        out.assert_no_panic();
        out.assert_code(3, "the only case could not go on safely");
        let report = out.json();
        let row = result_row(&report, "script", "s");
        assert_eq!(row["status"]["kind"], "errored", "{payload}: {row}");
        let reason = row["status"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with(
                "step `write below the own item` was not sent: `{sfx}` cannot go into the path:"
            ),
            "{payload}: {reason}"
        );
        assert!(
            findings(&report).is_empty(),
            "{payload}: {}",
            report["findings"]
        );
        assert_eq!(left_behind(&report), Vec::<Value>::new(), "{payload}");
        untouched(&api, &before);
        // Only cleanup DELETEs, each of one run-owned item.
        let deletes: Vec<_> = api
            .requests()
            .into_iter()
            .filter(|r| r.method == "DELETE")
            .collect();
        assert!(
            deletes.iter().all(|r| r.target.starts_with("/things/idf-") && r.target.matches('/').count() == 2),
            "{payload}: {deletes:?}"
        );
    }
}

#[test]
fn a_value_read_from_the_collection_stays_one_segment_below_the_own_item() {
    let api = Api::start(Knobs::default());
    let before = api.pre_seeded_bytes();
    let steps = r#"[[scripts.steps]]
method = "PUT"
path = "/things/{id}"
body = { name = "mine", size = 1 }

[[scripts.steps]]
method = "GET"
path = "/things"
capture = { first = { pointer = "/items/0/id" } }
expect = { json = { "/items/0/id" = "pre00001" } }

[[scripts.steps]]
method = "DELETE"
path = "/things/{id}/{first}"
expect = { status = [404] }
"#;
    let (out, _dir) = run(&api, &scenario("", &script(steps)), &["--checks", "script"]);
    out.assert_code(0, "the DELETE goes below the own item and finds nothing");
    untouched(&api, &before);
    let below: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.target.ends_with("/pre00001"))
        .map(|r| r.target)
        .collect();
    assert_eq!(below.len(), 1, "{below:?}");
    assert!(below[0].starts_with("/things/idf-"), "{below:?}");
}

#[test]
fn server_ids_that_are_not_one_segment_are_never_adopted() {
    for id in [
        "x/../pre00002",
        "/../pre00002",
        "pre00003#x",
        "pre00004?x=1",
        "a%2f..%2fb",
        "..",
        "%2e%2e",
        "..\\pre00005",
    ] {
        let api = Api::start(Knobs {
            post_body_id: Some(id.to_owned()),
            ..Knobs::default()
        });
        let before = api.pre_seeded_bytes();
        let text = post_scenario("/id");
        let (out, _dir) = run(
            &api,
            &text,
            &["--checks", "repeat-delete,use-after-delete", "--cases", "2"],
        );
        out.assert_no_panic();
        out.assert_code(3, "no case could prove what it created");
        let report = out.json();
        for check in ["repeat-delete", "use-after-delete"] {
            let row = result_row(&report, check, "things");
            assert_eq!(row["status"]["kind"], "errored", "{id}: {row}");
            let reason = row["status"]["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("the id it gave cannot be used"),
                "{id}: {reason}"
            );
        }
        untouched(&api, &before);
        // Every POST created a resource the run cannot name by its answer: each is found by the
        // run marker and listed under the id the listing gives it, none deleted.
        let left = left_behind(&report);
        assert_eq!(left.len(), posts(&api), "{id}: {left:?}");
        let things = format!("{}/things/srv-", api.url());
        assert!(
            left.iter().all(|l| l["url"]
                .as_str()
                .is_some_and(|url| url.starts_with(&things))),
            "{left:?}"
        );
        let created = api
            .ids()
            .into_iter()
            .filter(|i| i.starts_with("srv-"))
            .count();
        assert_eq!(created, left.len(), "{id}");
        assert!(
            api.requests().iter().all(|r| r.method != "DELETE"),
            "{id}: nothing may be deleted"
        );
    }
}

#[test]
fn a_201_location_naming_an_existing_resource_is_a_finding_and_is_never_written() {
    let api = Api::start(Knobs {
        post_location: Some("/things/pre00001".to_owned()),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let text = post_scenario("location");
    let (out, _dir) = run(
        &api,
        &text,
        &[
            "--checks",
            "repeat-delete,status-conformance",
            "--cases",
            "2",
        ],
    );
    out.assert_no_panic();
    out.assert_code(1, "the misnamed 201 is an error finding");
    let report = out.json();
    let misnamed: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["rule"] == "location-not-created-resource")
        .collect();
    assert_eq!(misnamed.len(), 2, "one per check: {}", report["findings"]);
    for finding in &misnamed {
        assert_eq!(
            finding["title"],
            "201 Location does not name the created resource"
        );
        assert_eq!(finding["severity"], "error");
        assert_eq!(finding["rfc"], "RFC 9110 §15.3.2, §10.2.2");
        assert!(
            finding["observed"]
                .as_str()
                .unwrap_or_default()
                .contains("pre00001")
        );
    }
    assert_eq!(
        result_row(&report, "repeat-delete", "things")["status"]["kind"],
        "failed"
    );
    nothing_adopted(&api, &before, &report);
}

#[test]
fn an_empty_post_whose_location_names_an_existing_resource_is_never_filled() {
    let api = Api::start(Knobs {
        post_location: Some("/things/pre00004".to_owned()),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let text = scenario(
        "create = \"post\"\npost_id = \"location\"\n",
        "[resources.things.post_put]\nempty_body = \"none\"\n",
    );
    let (out, _dir) = run(
        &api,
        &text,
        &["--checks", "post-put-creation", "--cases", "2"],
    );
    // An empty POST sends no members to recognise its resource by: the session lists the
    // collection before it, and a Location naming an id listed there is some other resource
    // (a finding), never filled.
    out.assert_code(1, "the Location names an existing resource");
    let report = out.json();
    let rules = rules(&report);
    assert!(
        rules.iter().any(|r| r == "location-not-created-resource"),
        "{}",
        report["findings"]
    );
    untouched(&api, &before);
    let left = left_behind(&report);
    assert_eq!(left.len(), posts(&api));
    assert!(
        left.iter().any(|l| l["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("already listed before the POST")),
        "{left:?}"
    );
    assert!(
        api.requests()
            .iter()
            .all(|r| r.method != "PUT" && r.method != "DELETE")
    );
}

#[test]
fn a_201_whose_body_id_names_an_existing_resource_is_a_finding_and_is_never_written() {
    let api = Api::start(Knobs {
        post_body_id: Some("pre00003".to_owned()),
        post_location: Some("/things/pre00003".to_owned()),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let text = post_scenario("/id");
    let (out, _dir) = run(
        &api,
        &text,
        &["--checks", "use-after-delete", "--cases", "2"],
    );
    out.assert_code(1, "the misnamed 201 is an error finding");
    let report = out.json();
    assert_eq!(
        rules(&report),
        ["post-id-not-created-resource"],
        "{}",
        report["findings"]
    );
    assert_eq!(
        findings(&report)[0]["title"],
        "the id in a 201 answer does not name the created resource"
    );
    nothing_adopted(&api, &before, &report);
}

#[test]
fn a_201_location_that_disagrees_with_the_body_id_is_a_finding_and_the_verified_id_is_used() {
    let api = Api::start(Knobs {
        post_location: Some("/things/pre00002".to_owned()),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let text = post_scenario("/id");
    let (out, _dir) = run(&api, &text, &["--checks", "repeat-delete", "--cases", "2"]);
    out.assert_code(1, "the Location finding fails the run");
    let report = out.json();
    assert_eq!(
        rules(&report),
        ["location-not-created-resource"],
        "{}",
        report["findings"]
    );
    assert_eq!(
        report["results"][0]["cases_errored"], 0,
        "{}",
        report["results"]
    );
    untouched(&api, &before);
    assert_eq!(left_behind(&report), Vec::<Value>::new());
    assert_eq!(
        api.ids(),
        PRE_SEEDED,
        "what the run created was deleted, nothing else"
    );
}

#[test]
fn a_201_location_on_another_origin_is_reported_and_never_requested() {
    let bystander = Bystander::start();
    for location in [
        format!("{}/things/srv-1", bystander.url()),
        format!(
            "//{}/things/srv-1",
            bystander.url().trim_start_matches("http://")
        ),
        format!(
            "\\\\{}\\things\\srv-1",
            bystander.url().trim_start_matches("http://")
        ),
    ] {
        // With the id in the body, the resource is still the run's once read back.
        let api = Api::start(Knobs {
            post_location: Some(location.clone()),
            ..Knobs::default()
        });
        let before = api.pre_seeded_bytes();
        let text = post_scenario("/id");
        let (out, _dir) = run(
            &api,
            &text,
            &[
                "--checks",
                "repeat-delete,status-conformance",
                "--cases",
                "1",
            ],
        );
        out.assert_code(0, "a warning does not fail the run");
        let report = out.json();
        let other: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| f["rule"] == "location-other-origin")
            .collect();
        assert_eq!(other.len(), 2, "{location}: {}", report["findings"]);
        assert!(other.iter().all(|f| f["severity"] == "warning"));
        untouched(&api, &before);
        assert_eq!(left_behind(&report), Vec::<Value>::new());
        assert_eq!(api.ids(), PRE_SEEDED);
        // With the id only in the Location, nothing can be adopted.
        let api = Api::start(Knobs {
            post_location: Some(location.clone()),
            ..Knobs::default()
        });
        let text = text.replace("post_id = \"/id\"", "post_id = \"location\"");
        let (out, _dir) = run(&api, &text, &["--checks", "repeat-delete", "--cases", "1"]);
        out.assert_code(0, "the warning is the check's only verdict");
        let report = out.json();
        assert_eq!(rules(&report), ["location-other-origin"]);
        let row = result_row(&report, "repeat-delete", "things");
        assert_eq!(
            (&row["status"]["kind"], &row["cases_errored"]),
            (&json!("failed"), &json!(1))
        );
        assert!(
            row["case_errors"][0]
                .as_str()
                .unwrap_or_default()
                .contains("is not a URL on the target's origin"),
            "{row}"
        );
        assert_eq!(left_behind(&report).len(), posts(&api));
        untouched(&api, &before);
    }
    nothing_sent_to(&bystander);
}

#[test]
fn redirects_to_another_origin_are_reported_and_never_followed() {
    let bystander = Bystander::start();
    let api = Api::start(Knobs {
        redirect_to: Some(bystander.url()),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let steps = r#"[[scripts.steps]]
method = "PUT"
path = "/things/{id}"
body = { name = "mine", size = 1 }

[[scripts.steps]]
method = "GET"
path = "/things/{id}?go=1"
expect = { status = [302] }
"#;
    let (out, _dir) = run(&api, &scenario("", &script(steps)), &["--checks", "script"]);
    out.assert_code(0, "the redirect is only reported");
    let report = out.json();
    assert_eq!(rules(&report), ["redirect-other-origin"]);
    assert_eq!(findings(&report)[0]["severity"], "info");
    untouched(&api, &before);
    nothing_sent_to(&bystander);
    assert_eq!(api.ids(), PRE_SEEDED);
}

#[test]
fn a_full_run_on_the_correct_pre_seeded_api_touches_nothing_and_leaves_nothing() {
    let api = Api::start(Knobs::default());
    let before = api.pre_seeded_bytes();
    let text = scenario("post_id = \"/id\"\n", "");
    // lost-response-retry lists what its unread POST created as left behind (it cannot prove
    // it created it); every other check leaves nothing.
    let (out, _dir) = run(
        &api,
        &text,
        &["--cases", "2", "--skip-checks", "lost-response-retry"],
    );
    out.assert_no_panic();
    let report = out.json();
    assert_eq!(report["outcome"]["kind"], "completed", "{}", out.context());
    let errored: Vec<&Value> = support::results(&report)
        .iter()
        .filter(|r| r["status"]["kind"] == "errored")
        .collect();
    assert!(errored.is_empty(), "{errored:?}");
    untouched(&api, &before);
    assert_eq!(left_behind(&report), Vec::<Value>::new());
    assert_eq!(api.ids(), PRE_SEEDED, "the run left resources behind");
    assert!(
        api.requests().iter().all(|r| r.has_credentials()),
        "every request carries the credentials"
    );
}
