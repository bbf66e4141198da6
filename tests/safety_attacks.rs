//! The safety guarantees attacked as a pentester and an unlucky user would: more spellings of
//! the classes `tests/safety_hostile.rs` covers — dot segments and separators in every encoding
//! servers decode (Unicode NFKC, IIS `%uXXXX`, NUL and whitespace around dots, path
//! parameters), method overrides, headers that re-route a request, `Location`s on other
//! origins in every spelling, and 201s naming a pre-existing resource that holds exactly what
//! the POST sent. Each runs the real binary against the pre-seeded API and asserts that no
//! pre-existing resource changed, that no write reached one on any server's reading of the
//! path, and that nothing reached another origin.

mod safety_support;
mod support;

use serde_json::{Value, json};

use safety_support::{
    Api, Bystander, Knobs, left_behind, nothing_sent_to, post_scenario, posts, run,
    run_with_secrets, scenario, script, untouched,
};
use support::{findings, result_row, write_file};

/// Spellings of `..` and `/` that some server decodes into a dot segment or a separator.
const HIDDEN_DOTS: [&str; 12] = [
    "．．",
    "‥",
    "%EF%BC%8E%EF%BC%8E",
    "%u002e%u002e",
    "..%3B",
    "..%3bx",
    "..%00",
    "..%20",
    "..%09",
    "...",
    ".%E2%80%8B.",
    "%E2%80%A5",
];

/// Runs `idemfuzz check` on each text; each must be refused with `file:line:col`, and `run`
/// must send nothing.
#[track_caller]
fn refused_by_check(api: &Api, texts: &[String]) {
    let dir = tempfile::tempdir().expect("tempdir");
    for text in texts {
        let path = write_file(dir.path(), "bad.toml", text);
        let path = path.to_str().expect("UTF-8").to_owned();
        let checked = run_with_secrets(&["check", &path]);
        checked.assert_no_panic();
        assert_eq!(
            checked.code(),
            2,
            "check accepted:\n{text}\n{}",
            checked.context()
        );
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

/// The scenario with `item` as the item template.
fn with_item(item: &str) -> String {
    scenario("", "").replace("item = \"/things/{id}\"", &format!("item = \"{item}\""))
}

/// The scenario with one script step.
fn with_step(method: &str, path: &str) -> String {
    scenario(
        "",
        &script(&format!(
            "[[scripts.steps]]\nmethod = \"{method}\"\npath = \"{path}\"\n"
        )),
    )
}

#[test]
fn check_refuses_dot_segments_and_separators_that_servers_decode_from_other_spellings() {
    let api = Api::start(Knobs::default());
    let mut texts = Vec::new();
    for dots in HIDDEN_DOTS {
        texts.push(with_item(&format!("/things/{{id}}/{dots}/pre00002")));
        texts.push(with_step(
            "DELETE",
            &format!("/things/{{id}}/{dots}/pre00001"),
        ));
    }
    for separator in ["／", "＼", "%EF%BC%8F", "%u002f", "%u005c"] {
        texts.push(with_item(&format!(
            "/things/{{id}}{separator}..{separator}pre00002"
        )));
        texts.push(with_step(
            "PUT",
            &format!("/things/{{id}}{separator}..{separator}pre00001"),
        ));
    }
    refused_by_check(&api, &texts);
}

#[test]
fn check_refuses_method_overrides_and_headers_that_re_route_a_request() {
    let api = Api::start(Knobs::default());
    let mut texts = Vec::new();
    for name in [
        "X-HTTP-Method-Override",
        "x-http-method",
        "X-Method-Override",
        "Host",
        "Content-Length",
        "Transfer-Encoding",
    ] {
        let value = if name.contains("ength") {
            "0"
        } else {
            "DELETE"
        };
        texts.push(scenario("", "").replace(
            "[target.headers]\n",
            &format!("[target.headers]\n{name} = \"{value}\"\n"),
        ));
        texts.push(scenario(
            "",
            &script(&format!(
                "[[scripts.steps]]\nmethod = \"GET\"\npath = \"/things/pre00001\"\nheaders = {{ \"{name}\" = \"{value}\" }}\n"
            )),
        ));
    }
    for path in ["/things?_method=DELETE", "/things?a=1&_METHOD=put"] {
        texts.push(scenario("", "").replace(
            "collection = \"/things\"",
            &format!("collection = \"{path}\""),
        ));
        texts.push(with_step("GET", &format!("/things/pre00001{}", &path[7..])));
    }
    refused_by_check(&api, &texts);
}

#[test]
fn captured_values_in_other_spellings_of_dots_and_separators_are_never_sent() {
    for payload in [
        "．．",
        "‥",
        "a／..／b",
        "a＼..＼b",
        "%u002e%u002e",
        "%u002f",
        "..\u{0}",
        "..%00",
        ".. ",
        "..\t",
        "...",
        ".\u{200b}.",
        "pre00001\u{0}x",
    ] {
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
        assert_eq!(row["status"]["kind"], "errored", "{payload:?}: {row}");
        let reason = row["status"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with(
                "step `write below the own item` was not sent: `{sfx}` cannot go into the path:"
            ),
            "{payload:?}: {reason}"
        );
        assert!(findings(&report).is_empty(), "{payload:?}");
        untouched(&api, &before);
        assert_eq!(left_behind(&report), Vec::<Value>::new(), "{payload:?}");
    }
}

#[test]
fn a_captured_id_never_replaces_the_run_owned_one() {
    let api = Api::start(Knobs::default());
    let steps = r#"[[scripts.steps]]
method = "GET"
path = "/things"
capture = { id = { pointer = "/items/0/id" } }

[[scripts.steps]]
method = "DELETE"
path = "/things/{id}"
"#;
    refused_by_check(&api, &[scenario("", &script(steps))]);
}

#[test]
fn server_ids_in_other_spellings_of_dots_and_separators_are_never_adopted() {
    for id in [
        "．．",
        "‥",
        "a／..／pre00002",
        "%u002e%u002e",
        "..\u{0}",
        "pre00001\u{0}",
        "...",
        ". .",
    ] {
        let api = Api::start(Knobs {
            post_body_id: Some(id.to_owned()),
            ..Knobs::default()
        });
        let before = api.pre_seeded_bytes();
        let (out, _dir) = run(
            &api,
            &post_scenario("/id"),
            &["--checks", "repeat-delete", "--cases", "2"],
        );
        out.assert_no_panic();
        out.assert_code(3, "no case could prove what it created");
        let report = out.json();
        let reason = result_row(&report, "repeat-delete", "things")["status"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            reason.contains("the id it gave cannot be used"),
            "{id:?}: {reason}"
        );
        untouched(&api, &before);
        assert_eq!(left_behind(&report).len(), posts(&api), "{id:?}");
        assert!(
            api.requests().iter().all(|r| r.method != "DELETE"),
            "{id:?}"
        );
    }
}

/// A template whose every value equals one pre-seeded resource's (`pre00002`: `customer 1`,
/// size 1), and a server whose 201 names that resource: reading it back shows exactly what the
/// POST sent, which proves nothing.
#[test]
fn a_201_naming_an_existing_resource_that_holds_what_the_post_sent_is_never_adopted() {
    for (post_id, knobs) in [
        (
            "location",
            Knobs {
                post_location: Some("/things/pre00002".to_owned()),
                ..Knobs::default()
            },
        ),
        (
            "/id",
            Knobs {
                post_body_id: Some("pre00002".to_owned()),
                post_location: Some("/things/pre00002".to_owned()),
                ..Knobs::default()
            },
        ),
    ] {
        let api = Api::start(knobs);
        let before = api.pre_seeded_bytes();
        let text = post_scenario(post_id).replace(
            "name = { gen = \"string\", chars = \"alnum\", min_len = 4, max_len = 12 }\nsize = { gen = \"int\", min = 1, max = 9 }",
            "name = \"customer 1\"\nsize = { gen = \"one_of\", values = [1] }",
        );
        let (out, _dir) = run(
            &api,
            &text,
            &["--checks", "repeat-delete,use-after-delete", "--cases", "2"],
        );
        out.assert_no_panic();
        let report = out.json();
        untouched(&api, &before);
        assert!(
            api.requests().iter().all(|r| r.method != "DELETE"),
            "{post_id}: nothing may be deleted: {}",
            report["results"]
        );
        assert_eq!(left_behind(&report).len(), posts(&api), "{post_id}");
    }
}

#[test]
fn an_empty_post_naming_an_existing_empty_resource_never_fills_it() {
    let api = Api::start(Knobs {
        post_location: Some("/things/pre00006".to_owned()),
        extra_seed: vec![("pre00006".to_owned(), json!({ "id": "pre00006" }))],
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
    out.assert_no_panic();
    let report = out.json();
    untouched(&api, &before);
    assert!(
        api.requests()
            .iter()
            .all(|r| r.method != "PUT" && r.method != "DELETE"),
        "{}",
        report["results"]
    );
}

#[test]
fn a_collection_post_is_never_turned_into_another_method() {
    let api = Api::start(Knobs {
        method_override: true,
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let (out, _dir) = run(
        &api,
        &post_scenario("/id"),
        &["--checks", "repeat-delete", "--cases", "1"],
    );
    out.assert_code(0, "a correct run");
    untouched(&api, &before);
    assert!(api.requests().iter().all(|r| !r.overrides_method()));
}

#[test]
fn locations_and_redirects_to_another_origin_in_any_spelling_are_never_requested() {
    let bystander = Bystander::start();
    let b = bystander.url();
    let b_authority = b.trim_start_matches("http://").to_owned();
    let api_probe = Api::start(Knobs::default());
    let a_authority = api_probe.url().trim_start_matches("http://").to_owned();
    drop(api_probe);
    let locations = [
        b.replace("http://", "HTTP://"),
        format!("/\\{b_authority}/things/srv-1"),
        format!("\\/{b_authority}/things/srv-1"),
        format!("http://{a_authority}@{b_authority}/things/srv-1"),
        format!("http:\\\\{b_authority}\\things\\srv-1"),
        format!("http://{b_authority}\\@{a_authority}/things/srv-1"),
        format!(" //{b_authority}/things/srv-1"),
        format!("//{b_authority}\t/things/srv-1"),
        format!(
            "http://localhost:{}/things/srv-1",
            b_authority.rsplit(':').next().unwrap_or("1")
        ),
    ];
    for location in locations {
        let api = Api::start(Knobs {
            post_location: Some(location.clone()),
            redirect_to: Some(location.trim_end_matches("/things/srv-1").to_owned()),
            ..Knobs::default()
        });
        let before = api.pre_seeded_bytes();
        let text = post_scenario("/id")
            + &script(
                r#"[[scripts.steps]]
method = "GET"
path = "/things/pre00001?go=1"
"#,
            );
        let (out, _dir) = run(
            &api,
            &text,
            &[
                "--checks",
                "repeat-delete,status-conformance,script",
                "--cases",
                "1",
            ],
        );
        out.assert_no_panic();
        untouched(&api, &before);
        let _ = out.json();
    }
    nothing_sent_to(&bystander);
}

/// Secrets with characters that change when percent-encoded, so that an encoded echo differs
/// from the raw one.
const ODD_TOKEN: &str = "s3cret tok/en+v=1?&x";
const ODD_KEY: &str = "k3y:val/ue;secret";

/// Every file in `dir`, recursively, as text.
fn texts_under(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(texts_under(&path));
        } else {
            let bytes = std::fs::read(&path).expect("read");
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

#[test]
fn credentials_a_server_reflects_raw_or_encoded_appear_in_no_output() {
    let api = Api::start(Knobs {
        reflect_credentials: true,
        post_location: Some("/things/x?t={key}".to_owned()),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let text = post_scenario("/id")
        + &script(
            r#"[[scripts.steps]]
method = "GET"
path = "/echo"
expect = { status = [418] }
"#,
        );
    let file = write_file(dir.path(), "reflect.toml", &text);
    let at = |name: &str| out_dir.join(name).display().to_string();
    let reports = [
        format!("human:{}", at("report.txt")),
        format!("html:{}", at("report.html")),
        format!("junit:{}", at("report.xml")),
        format!("json:{}", at("report.json")),
    ];
    let (har, repro) = (at("run.har"), at("repro"));
    let url = api.url();
    let mut args = vec![
        "run",
        file.to_str().expect("UTF-8"),
        "--base-url",
        &url,
        "--no-progress",
        "--checks",
        "repeat-delete,status-conformance,script",
        "--cases",
        "2",
        "--har",
        &har,
        "--repro-dir",
        &repro,
    ];
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    let mut cmd = support::idemfuzz();
    cmd.env("SAFETY_TOKEN", ODD_TOKEN)
        .env("SAFETY_KEY", ODD_KEY);
    let out = support::run_cmd(cmd, &args);
    out.assert_no_panic();
    assert_eq!(out.code(), 1, "{}", out.context());
    untouched(&api, &before);
    let reflected = api
        .requests()
        .iter()
        .any(|r| r.target == "/echo" && r.has_credentials_of(ODD_TOKEN, ODD_KEY));
    assert!(reflected, "the echo was asked with the credentials");
    let mut outputs = texts_under(&out_dir);
    assert!(outputs.len() >= 6, "every output was written: {outputs:?}");
    outputs.push(("stdout".to_owned(), out.stdout.clone()));
    outputs.push(("stderr".to_owned(), out.stderr.clone()));
    for secret in [ODD_TOKEN, ODD_KEY] {
        let encoded = safety_support::encoded(secret);
        for (name, text) in &outputs {
            for form in [secret, encoded.as_str()] {
                assert!(!text.contains(form), "{form:?} is in {name}");
            }
        }
    }
}

/// The listing taken before an empty POST proves an id new only when the listing is whole: a
/// paginated collection whose first page does not show a pre-existing empty item must not make
/// a 201 naming that item look like a fresh creation.
#[test]
fn a_201_naming_an_existing_item_beyond_the_first_page_is_never_adopted() {
    let api = Api::start(Knobs {
        post_location: Some("/things/pre00006".to_owned()),
        extra_seed: vec![("pre00006".to_owned(), json!({ "id": "pre00006" }))],
        page_size: Some(5),
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
        &[
            "--checks",
            "post-put-creation,repeat-delete",
            "--cases",
            "2",
        ],
    );
    out.assert_no_panic();
    let report = out.json();
    untouched(&api, &before);
    assert!(
        api.requests()
            .iter()
            .all(|r| r.method != "PUT" && r.method != "DELETE"),
        "{}",
        report["results"]
    );
    assert_eq!(left_behind(&report).len(), posts(&api));
}

/// Credentials in a proxy URL or the base URL are never printed, and the base URL's are
/// refused before anything is sent.
#[test]
fn credentials_in_proxy_and_base_urls_are_never_printed() {
    let api = Api::start(Knobs::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(dir.path(), "proxy.toml", &scenario("", ""));
    let file = file.to_str().expect("UTF-8").to_owned();
    let har = dir.path().join("run.har").display().to_string();
    let dead = format!(
        "http://user:pr0xy-pa55word@127.0.0.1:{}",
        support::dead_port()
    );
    let url = api.url();
    let via_option = run_with_secrets(&[
        "run",
        &file,
        "--base-url",
        &url,
        "--proxy",
        &dead,
        "--no-progress",
        "--har",
        &har,
    ]);
    let mut via_env = support::idemfuzz();
    via_env
        .env("SAFETY_TOKEN", "t")
        .env("SAFETY_KEY", "k")
        .env("HTTP_PROXY", &dead)
        .env("ALL_PROXY", &dead);
    let via_env = support::run_cmd(via_env, ["run", &file, "--base-url", &url, "--no-progress"]);
    let with_userinfo = url.replace("http://", "http://user:ba5e-pa55word@");
    let in_base = run_with_secrets(&["run", &file, "--base-url", &with_userinfo, "--no-progress"]);
    in_base.assert_code(2, "credentials in the base URL are refused");
    for out in [&via_option, &via_env, &in_base] {
        out.assert_no_panic();
        for secret in ["pr0xy-pa55word", "ba5e-pa55word"] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{}",
                out.context()
            );
        }
    }
    let har = std::fs::read_to_string(&har).unwrap_or_default();
    assert!(!har.contains("pr0xy-pa55word"));
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}

/// A server-controlled value a step repeats many times would make a body far larger than the
/// bound (here 10 copies of 300 kB against the default 1 MiB; thousands of copies used to
/// exhaust memory): the step is never built, and its case stops with the reason.
#[test]
fn a_step_that_repeats_a_large_captured_value_is_refused_before_it_is_built() {
    let api = Api::start(Knobs {
        echo: json!({ "big": "x".repeat(300_000) }),
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let copies = ["\"{big}\""; 10].join(", ");
    let steps = format!(
        r#"[[scripts.steps]]
name = "capture"
method = "GET"
path = "/echo"
capture = {{ big = {{ pointer = "/big" }} }}

[[scripts.steps]]
name = "amplify"
method = "PUT"
path = "/things/{{id}}"
body = {{ name = [{copies}], size = 1 }}
"#
    );
    let (out, _dir) = run(
        &api,
        &scenario("", &script(&steps)),
        &["--checks", "script"],
    );
    out.assert_no_panic();
    out.assert_code(3, "the only case could not go on");
    let report = out.json();
    let reason = result_row(&report, "script", "s")["status"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.starts_with("step `amplify` was not sent:") && reason.contains("max_body_bytes"),
        "{reason}"
    );
    untouched(&api, &before);
    let large: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| {
            r.headers.iter().any(|(name, value)| {
                name == "content-length" && value.parse::<usize>().unwrap_or(usize::MAX) > 300_000
            })
        })
        .collect();
    assert!(large.is_empty(), "{large:?}");
}

/// A ledger is a file anyone may edit: one that names pre-existing resources (as URLs a PUT
/// "may create", as URLs a POST "created", in other spellings, under another collection) must
/// never make `idemfuzz cleanup` delete them. Only an id of the run's own form, or an item
/// carrying the run's marker, is deleted.
#[test]
fn a_tampered_ledger_never_makes_cleanup_delete_what_the_run_did_not_create() {
    let api = Api::start(Knobs {
        extra_seed: vec![(
            "idf-zzzzzz-c0001-1".to_owned(),
            json!({ "id": "idf-zzzzzz-c0001-1", "note": "another run's: never touch" }),
        )],
        ..Knobs::default()
    });
    let before = api.pre_seeded_bytes();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(dir.path(), "t.toml", &post_scenario("/id"));
    let origin = api.url();
    let things = format!("{origin}/things");
    let resource = json!({
        "scenario": file.display().to_string(), "name": "things", "base_url": origin,
        "collection": things, "item": "/things/{id}", "items": "/items", "id_field": "/id",
        "deletable": true, "marker": "customer"
    });
    let start = json!({
        "event": "start", "format": 1, "run_id": "abc123", "pid": 999_999_999u32,
        "started": 1, "idemfuzz": "0.1.0", "resources": [resource]
    });
    let mut lines = vec![start];
    for (n, url) in [
        format!("{things}/pre00001"),
        format!("{things}/idf-abc123-c0001-1/../pre00002"),
        format!("{things}/idf-abc123-c0001-1%2F..%2Fpre00002"),
        format!("{origin}/echo/../things/pre00003"),
        format!("{things}/idf-zzzzzz-c0001-1"),
        format!("{things}/PRE00004"),
    ]
    .into_iter()
    .enumerate()
    {
        lines.push(json!({ "event": "may_create", "url": url, "collection": things }));
        lines.push(json!({ "event": "post", "post": n, "collection": things }));
    }
    for (n, id) in ["pre00004", "pre00005", "pre00002"].iter().enumerate() {
        lines.push(json!({
            "event": "posted", "post": n, "status": 201, "url": format!("{things}/{id}")
        }));
    }
    let ledger = lines
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let ledgers = dir.path().join("runs");
    std::fs::create_dir(&ledgers).expect("mkdir");
    std::fs::write(ledgers.join("abc123.jsonl"), ledger).expect("write");
    let ledger_dir = ledgers.display().to_string();
    let out = run_with_secrets(&[
        "cleanup",
        "abc123",
        "--ledger-dir",
        &ledger_dir,
        "--base-url",
        &origin,
    ]);
    out.assert_no_panic();
    untouched(&api, &before);
    assert!(
        api.requests().iter().all(|r| r.method != "DELETE"),
        "{:?}\n{}",
        api.requests(),
        out.context()
    );
    assert!(
        out.stdout.contains("cannot prove") || out.stderr.contains("cannot prove"),
        "{}",
        out.context()
    );
}

/// A tampered ledger that moves a run's resources to another origin never makes `cleanup`
/// send the scenario's credentials there (nor anything else) when the file names its base URL.
#[test]
fn a_tampered_ledger_never_sends_credentials_to_another_origin() {
    let api = Api::start(Knobs::default());
    let bystander = Bystander::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = scenario("", "").replace(
        "[target]\n",
        &format!("[target]\nbase_url = \"{}\"\n", api.url()),
    );
    let file = write_file(dir.path(), "t.toml", &text);
    let other = bystander.url();
    let things = format!("{other}/things");
    let resource = json!({
        "scenario": file.display().to_string(), "name": "things", "base_url": other,
        "collection": things, "item": "/things/{id}", "items": "/items", "id_field": "/id",
        "deletable": true
    });
    let lines = [
        json!({
            "event": "start", "format": 1, "run_id": "abc123", "pid": 999_999_999u32,
            "started": 1, "idemfuzz": "0.1.0", "resources": [resource]
        }),
        json!({
            "event": "may_create", "url": format!("{things}/idf-abc123-c0001-1"),
            "collection": things
        }),
    ];
    let ledgers = dir.path().join("runs");
    std::fs::create_dir(&ledgers).expect("mkdir");
    let ledger: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(ledgers.join("abc123.jsonl"), ledger).expect("write");
    let ledger_dir = ledgers.display().to_string();
    let out = run_with_secrets(&["cleanup", "abc123", "--ledger-dir", &ledger_dir]);
    out.assert_no_panic();
    nothing_sent_to(&bystander);
    assert!(api.requests().is_empty(), "{:?}", api.requests());
    assert!(
        out.stderr.contains("not on the origin") || out.stdout.contains("not on the origin"),
        "{}",
        out.context()
    );
}
