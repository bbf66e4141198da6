//! Tests of loading: the bundled scenarios, every error class and its `file:line:col` line.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::model::check::{BUILT_IN, CheckId};
use crate::model::exchange::Method;
use crate::scenario::{Capture, CreateMode, PostId, REDACTED};

fn env() -> EnvSnapshot {
    EnvSnapshot::from_pairs([("API_TOKEN", "s3cr3t")])
}

fn load(text: &str) -> Result<Scenario, ScenarioError> {
    load_str(Path::new("t.toml"), text, &env())
}

/// The first line of the error a text produces.
fn first_line(text: &str) -> String {
    let err = load(text).expect_err("the text is invalid");
    err.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

const RESOURCE: &str = r#"
[resources.things]
collection = "/things"
item = "/things/{id}"
body = { name = { gen = "string" }, color = "red" }
"#;

fn with_resource(extra: &str) -> String {
    format!("{RESOURCE}{extra}")
}

#[test]
fn every_bundled_scenario_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_paths(&[dir], &env()).expect("bundled scenarios are valid");
    let names: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| s.resources.iter().map(|r| r.name.as_str()))
        .collect();
    assert_eq!(names, ["things", "devices", "lamps", "notes"]);
}

#[test]
fn demo_scenario_has_the_declared_contract() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo.toml");
    let scenario = &load_paths(&[path], &env()).expect("valid")[0];
    let things = &scenario.resources[0];
    assert_eq!(scenario.target.base_url, None);
    assert_eq!(things.create, CreateMode::Put);
    assert_eq!(things.post_id, Some(PostId::Location));
    assert_eq!(
        things.listing.format,
        crate::scenario::ListingFormat::Json {
            items: JsonPointer::parse("/items").unwrap()
        }
    );
    assert_eq!(things.listing.path, "/things");
    assert_eq!(things.id_field.to_string(), "/id");
    assert_eq!(things.required, ["name", "color"]);
    assert_eq!(things.ignore[0].to_string(), "/updatedAt");
    assert!(things.supports(Method::Put) && things.supports(Method::Delete));
    assert!(!things.supports(Method::Post));
    let key = things.idempotency_key.as_ref().expect("declared");
    assert_eq!(key.header, "Idempotency-Key");
    assert_eq!(key.mismatch_statuses, [422]);
    assert_eq!(things.item_path("x1"), "/things/x1");
}

#[test]
fn lamps_and_devices_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let lamps = load_paths(&[dir.join("lamps.toml")], &env()).expect("valid");
    let script = &lamps[0].scripts[0];
    assert_eq!(script.steps.len(), 4);
    assert_eq!(script.steps[1].repeat, 3);
    assert_eq!(script.steps[1].expect.json[0].1, json!("ON"));
    assert_eq!(script.same_state, [(2, 3)]);
    let devices = load_paths(&[dir.join("devices.toml")], &env()).expect("valid");
    let script = &devices[0].scripts[0];
    assert_eq!(
        script.steps[1].capture,
        [(
            "n".to_owned(),
            Capture::Pointer(JsonPointer::parse("/times_rebooted").expect("ok"))
        )]
    );
    assert_eq!(
        script.steps[2].body,
        Some(json!({"name": "printer", "times_rebooted": "{n+1}"}))
    );
    assert_eq!(script.same_state, [(2, 4)]);
}

use crate::scenario::JsonPointer;

#[test]
fn defaults_are_filled_in() {
    let scenario = load(RESOURCE).expect("valid");
    let target = &scenario.target;
    assert_eq!(target.timeout, crate::scenario::DEFAULT_TIMEOUT);
    assert_eq!(target.id_prefix, "idf");
    let r = &scenario.resources[0];
    assert_eq!(r.create, CreateMode::Put);
    assert_eq!(r.post_id, None);
    assert_eq!(r.listing.format.items(), Some(JsonPointer::root()));
    assert!(r.detect_volatile);
    assert_eq!(
        r.methods.iter().copied().collect::<Vec<_>>(),
        [
            Method::Get,
            Method::Head,
            Method::Options,
            Method::Put,
            Method::Delete
        ]
    );
    assert!(BUILT_IN.into_iter().all(|check| r.checks.enabled(check)));
}

#[test]
fn check_tables_can_turn_checks_off() {
    // What the tables hold besides `enabled` is each check's to read (checks/options_tests.rs).
    let scenario = load(&with_resource(
        r#"
[resources.things.checks.repeat-put]
max_repeats = 6
[resources.things.checks.use-after-delete]
enabled = false
[resources.things.checks.partial-put]
enabled = false
"#,
    ))
    .expect("valid");
    let c = &scenario.resources[0].checks;
    assert!(!c.enabled(CheckId::UseAfterDelete));
    assert!(!c.enabled(CheckId::PartialPut));
    assert!(c.enabled(CheckId::PostRetry));
    assert!(c.enabled(CheckId::RepeatPut));
}

#[test]
fn target_headers_are_interpolated_and_redacted() {
    let scenario = load(&with_resource(
        r#"
[target]
base_url = "https://api.example.com/v1/"
timeout = "1500ms"
id_prefix = "ci-run"
[target.headers]
Authorization = "Bearer ${API_TOKEN}"
X-Api-Key = "literal-key"
Accept = "application/json"
"#,
    ))
    .expect("valid");
    let t = &scenario.target;
    assert_eq!(t.base_url.as_deref(), Some("https://api.example.com/v1"));
    assert_eq!(t.timeout, std::time::Duration::from_millis(1500));
    assert_eq!(t.id_prefix, "ci-run");
    let shown: Vec<(&str, &str, &str, bool)> = t
        .headers
        .iter()
        .map(|h| {
            (
                h.name.as_str(),
                h.value.as_str(),
                h.shown.as_str(),
                h.secret,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Accept", "application/json", "application/json", false),
            (
                "Authorization",
                "Bearer s3cr3t",
                "Bearer ${API_TOKEN}",
                true
            ),
            ("X-Api-Key", "literal-key", REDACTED, true),
        ]
    );
}

#[test]
fn toml_syntax_error() {
    assert_eq!(
        first_line("[target\nbase_url = 1\n"),
        "t.toml:1:8: error: unclosed table, expected `]`"
    );
}

#[test]
fn unknown_field_is_located_at_the_key() {
    let text = "[resources.things]\ncolection = \"/things\"\n";
    let err = load(text).expect_err("invalid");
    let rendered = err.to_string();
    let mut lines = rendered.lines();
    assert_eq!(
        lines.next(),
        Some(
            "t.toml:2:1: error: unknown field `colection`, expected one of `collection`, `item`, `create`, `post_id`, `id_field`, `items`, `methods`, `body`, `representation`, `content_type`, `template`, `put_create_statuses`, `required`, `ignore`, `detect_volatile`, `write_metadata`, `idempotency_key`, `patch`, `checks`, `concurrent_clients`, `etags`, `preconditions_required`, `post_put`, `listing`, `version`"
        )
    );
    assert_eq!(
        lines.collect::<Vec<_>>(),
        ["   |", " 2 | colection = \"/things\"", "   | ^^^^^^^^^"]
    );
    assert!(matches!(err, ScenarioError::Toml(_)));
}

#[test]
fn template_errors_are_located() {
    let text = "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nbody = { n = { gen = \"int\", min = 3, max = 1 } }\n";
    assert_eq!(
        first_line(text),
        "t.toml:4:14: error: `min` (3) is greater than `max` (1)"
    );
}

#[test]
fn empty_file() {
    assert_eq!(
        first_line("# nothing\n"),
        "t.toml:1:1: error: the file defines no resources and no scripts"
    );
}

#[test]
fn target_errors() {
    assert_eq!(
        first_line(&with_resource("[target]\nbase_url = \"ftp://x\"\n")),
        "t.toml:7:12: error: the base URL `ftp://x` must use http or https, not `ftp`"
    );
    assert_eq!(
        first_line(&with_resource("[target]\nbase_url = \"not a url\"\n")),
        "t.toml:7:12: error: invalid base URL `not a url`: relative URL without a base"
    );
    assert_eq!(
        first_line(&with_resource("[target]\ntimeout = \"soon\"\n")),
        "t.toml:7:11: error: invalid timeout `soon`: expected number at 0 (write e.g. \"10s\" or \"500ms\")"
    );
    assert_eq!(
        first_line(&with_resource(
            "[target.headers]\nAuthorization = \"Bearer ${NOPE}\"\n"
        )),
        "t.toml:7:17: error: environment variable `NOPE` is not set"
    );
    assert_eq!(
        first_line(&with_resource("[target.headers]\n\"Bad Name\" = \"x\"\n")),
        "t.toml:7:1: error: `Bad Name` is not a valid header name"
    );
    assert_eq!(
        first_line(&with_resource("[target]\nid_prefix = \"a/b\"\n")),
        "t.toml:7:13: error: `id_prefix` must be 1 to 32 of the characters A-Z a-z 0-9 - . _ ~"
    );
}

/// A resource with one line replaced.
fn resource_with(line: &str) -> String {
    format!(
        "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{{id}}\"\nbody = {{ name = \"x\" }}\n{line}\n"
    )
}

#[test]
fn resource_errors() {
    let cases = [
        (
            "[resources.things]\ncollection = \"things\"\nitem = \"/things/{id}\"\nbody = {}\n",
            "t.toml:2:14: error: the collection `things` must start with `/`",
        ),
        (
            "[resources.things]\ncollection = \"/things\"\nitem = \"/things/id\"\nbody = {}\n",
            "t.toml:3:8: error: the item path `/things/id` must contain `{id}` exactly once, found 0",
        ),
        (
            "[resources.things]\ncollection = \"/things\"\nitem = \"/t/{id}/{id}\"\nbody = {}\n",
            "t.toml:3:8: error: the item path `/t/{id}/{id}` must contain `{id}` exactly once, found 2",
        ),
        (
            "[resources.things]\ncollection = \"/things\"\nitem = \"things/{id}\"\nbody = {}\n",
            "t.toml:3:8: error: the item path `things/{id}` must start with `/`",
        ),
        (
            "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nbody = 3\n",
            "t.toml:4:8: error: the body template must be a table (a JSON object)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(first_line(text), expected, "for {text}");
    }
}

/// The first line of the error of a file with one resource whose item path is `item`.
fn item_error(item: &str) -> String {
    first_line(&format!(
        "[resources.things]\ncollection = \"/things\"\nitem = '{item}'\nbody = {{}}\n"
    ))
}

#[test]
fn item_paths_that_can_never_be_safe_are_refused() {
    let at = "t.toml:3:8: error: the item path";
    for (item, problem) in [
        (
            "/things/pre00001#{id}",
            "cannot contain `#`: what follows it is a fragment, never sent",
        ),
        (
            "/things/{id}/%2e%2e/pre00002",
            "cannot contain a percent-encoded `.`, `/`, `\\` or `%` (`%2e`, `%2f`, `%5c`, `%25`) in its path: servers decode them into dot segments and separators",
        ),
        (
            "/things/{id}/.%2E/pre00002",
            "cannot contain a percent-encoded",
        ),
        (
            "/things/{id}\\..\\pre00004",
            "cannot contain `\\`: http(s) URLs read it as `/`",
        ),
        (
            "/things/{id}/../pre00004",
            "cannot contain `.` or `..` segments",
        ),
        (
            "/things/pre00003?k={id}",
            "has `{id}` in its query: the id must be a path segment",
        ),
        (
            "/things/pre00001/{id}",
            "must be the collection's path followed by `/{id}` (and optionally more segments)",
        ),
        (
            "/other/{id}",
            "must be the collection's path followed by `/{id}`",
        ),
        (
            "/things/x{id}",
            "must be the collection's path followed by `/{id}`",
        ),
        (
            "/things/{id}x",
            "must be the collection's path followed by `/{id}`",
        ),
    ] {
        let error = item_error(item);
        assert!(
            error.starts_with(&format!("{at} `{item}` {problem}")),
            "{item}: {error}"
        );
    }
    for fine in [
        "/things/{id}",
        "/things/{id}/",
        "/things/{id}/meta",
        "/things/{id}?v=1",
    ] {
        let text =
            format!("[resources.things]\ncollection = \"/things\"\nitem = '{fine}'\nbody = {{}}\n");
        assert!(load(&text).is_ok(), "{fine}");
    }
}

#[test]
fn write_steps_that_could_leave_the_own_item_are_refused() {
    let step = |method: &str, path: &str| {
        first_line(&script_with(&format!(
            "[[scripts.steps]]\nmethod = \"{method}\"\npath = '{path}'\n"
        )))
    };
    let at = "t.toml:12:8: error:";
    assert_eq!(
        step("DELETE", "/things/{id}/%2e%2e/pre00001"),
        format!(
            "{at} the path `/things/{{id}}/%2e%2e/pre00001` cannot contain a percent-encoded `.`, `/`, `\\` or `%` (`%2e`, `%2f`, `%5c`, `%25`) in its path: servers decode them into dot segments and separators"
        )
    );
    assert!(step("PUT", "/things/{id}\\..\\pre00004").contains("cannot contain `\\`"));
    assert!(step("PATCH", "/things/{id}#x").contains("cannot contain `#`"));
    assert_eq!(
        step("PUT", "/things/pre00003?k={id}"),
        format!("{at} a PUT step has `{{id}}` in its query: it would write to `/things/pre00003`")
    );
    assert_eq!(
        step("DELETE", "/things/pre00001/{id}"),
        format!(
            "{at} a DELETE step must target the script's own item `/things/{{id}}` or a path below it, not `/things/pre00001/{{id}}`"
        )
    );
    // Reads may go anywhere on the target; writes below the own item are fine.
    for (method, path) in [
        ("GET", "/things/pre00001?k={id}"),
        ("POST", "/things/{id}/break"),
        ("PUT", "/things/{id}?v=2"),
    ] {
        let text = script_with(&format!(
            "[[scripts.steps]]\nmethod = \"{method}\"\npath = '{path}'\n"
        ));
        assert!(load(&text).is_ok(), "{method} {path}");
    }
}

#[test]
fn resource_option_errors() {
    let cases = [
        (
            "create = \"patch\"",
            "t.toml:5:10: error: unknown create mode `patch`, expected `put` or `post`",
        ),
        (
            "create = \"post\"",
            "t.toml:5:10: error: `create = \"post\"` needs `post_id` (\"location\" or a JSON pointer) to find the new resource's id",
        ),
        (
            "post_id = \"header\"",
            "t.toml:5:11: error: `post_id` must be \"location\" or a JSON pointer such as \"/id\", found `header`",
        ),
        (
            "methods = [\"GET\", \"FETCH\"]",
            "t.toml:5:19: error: unknown method `FETCH`, expected one of GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE",
        ),
        (
            "methods = [\"PUT\"]",
            "t.toml:5:11: error: `methods` must include GET: idemfuzz reads every resource it checks with GET",
        ),
        (
            "required = [\"name\", \"colour\"]",
            "t.toml:5:21: error: `colour` is not a top-level member of the body template (members: `name`)",
        ),
        (
            "ignore = [\"updatedAt\"]",
            "t.toml:5:11: error: invalid JSON pointer `updatedAt`: it must be empty or start with `/`",
        ),
        (
            "idempotency_key = {}",
            "t.toml:5:19: error: `idempotency_key` needs `post_id`: the key is sent with POST to the collection",
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(first_line(&resource_with(line)), expected, "for {line}");
    }
}

/// The resource and a script whose steps are given.
fn script_with(steps: &str) -> String {
    with_resource(&format!(
        "\n[[scripts]]\nname = \"s\"\nresource = \"things\"\n{steps}"
    ))
}

#[test]
fn script_errors() {
    let step = "[[scripts.steps]]\n";
    let cases = [
        (
            script_with(&format!("{step}method = \"GET\"\npath = \"/things/{{id}}\"\n"))
                .replace("resource = \"things\"", "resource = \"thing\""),
            "t.toml:9:12: error: unknown resource `thing`; this file defines: `things`".to_owned(),
        ),
        (
            script_with(&format!("{step}method = \"FETCH\"\npath = \"/things/{{id}}\"\n")),
            "t.toml:11:10: error: unknown method `FETCH`, expected one of GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE".to_owned(),
        ),
        (
            script_with(&format!("{step}method = \"GET\"\npath = \"things\"\n")),
            "t.toml:12:8: error: the path `things` must start with `/`".to_owned(),
        ),
        (
            script_with(&format!("{step}method = \"DELETE\"\npath = \"/things\"\n")),
            "t.toml:12:8: error: a DELETE step must target a path containing `{id}`".to_owned(),
        ),
        (
            script_with(&format!("{step}method = \"GET\"\npath = \"/things/{{n}}\"\n")),
            "t.toml:12:8: error: `{n}` is not defined here; defined so far: `id`".to_owned(),
        ),
        (
            script_with(&format!(
                "{step}method = \"GET\"\npath = \"/things/{{id}}\"\ncapture = {{ e = {{ header = \"etag\", pointer = \"/e\" }} }}\n"
            )),
            "t.toml:13:17: error: a capture takes exactly one of `header` or `pointer`".to_owned(),
        ),
        (
            script_with(&format!(
                "{step}method = \"PUT\"\npath = \"/things/{{id}}\"\nbody = {{ n = \"{{m+1}}\" }}\n"
            )),
            "t.toml:13:8: error: `{m}` is not defined here; defined so far: `id`".to_owned(),
        ),
        (
            script_with(&format!(
                "{step}method = \"GET\"\npath = \"/things/{{id}}\"\nexpect = {{ status = 99 }}\n"
            )),
            "t.toml:13:21: error: `status`: 99 is not an HTTP status (100 to 599)".to_owned(),
        ),
        (
            script_with(&format!(
                "{step}method = \"GET\"\npath = \"/things/{{id}}\"\n[[scripts.same_state]]\nafter = [\"first\", 3]\n"
            )),
            "t.toml:14:10: error: no step is named `first`; use a step name (`step 1`), a number from 1 to 1, or \"last\"".to_owned(),
        ),
        (
            script_with("steps = []\n"),
            "t.toml:7:1: error: script `s` has no steps".to_owned(),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(first_line(&text), expected, "for {text}");
    }
}

#[test]
fn write_steps_explain_the_safety_rule() {
    let text = script_with("[[scripts.steps]]\nmethod = \"POST\"\npath = \"/things\"\n");
    let rendered = load(&text).expect_err("invalid").to_string();
    assert!(rendered.contains("= note: idemfuzz only changes resources it created itself"));
}

#[test]
fn captures_define_placeholders_for_later_steps() {
    let text = script_with(
        r#"[[scripts.steps]]
name = "read"
method = "GET"
path = "/things/{id}"
capture = { etag = { header = "ETag" } }
[[scripts.steps]]
method = "PUT"
path = "/things/{id}"
headers = { If-Match = "{etag}" }
body = { name = "x" }
expect = { status = [200, 204], headers = ["ETag"], json = { "/name" = "x" } }
[[scripts.same_state]]
after = ["read", 2]
"#,
    );
    let scenario = load(&text).expect("valid");
    let script = &scenario.scripts[0];
    let put = &script.steps[1];
    assert_eq!(put.name, "step 2");
    assert_eq!(put.headers, [("If-Match".to_owned(), "{etag}".to_owned())]);
    assert_eq!(put.expect.status, [200, 204]);
    assert_eq!(put.expect.headers, ["etag"]);
    assert_eq!(script.same_state, [(0, 1)]);
}

#[test]
fn a_capture_is_not_visible_in_its_own_step() {
    let text = script_with(
        "[[scripts.steps]]\nmethod = \"GET\"\npath = \"/things/{id}/{e}\"\ncapture = { e = { header = \"etag\" } }\n",
    );
    assert_eq!(
        first_line(&text),
        "t.toml:12:8: error: `{e}` is not defined here; defined so far: `id`"
    );
}

#[test]
fn directories_files_and_extensions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    std::fs::write(empty.join("notes.txt"), "x").expect("write");
    let err = load_paths(std::slice::from_ref(&empty), &env()).expect_err("no files");
    assert!(matches!(err, ScenarioError::NoScenarioFiles { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: error: no scenario files (*.toml) in this directory",
            empty.display()
        )
    );

    let json = dir.path().join("s.json");
    std::fs::write(&json, "{}").expect("write");
    let err = load_paths(&[json], &env()).expect_err("extension");
    assert!(matches!(err, ScenarioError::UnsupportedExtension { .. }));

    let missing = dir.path().join("missing.toml");
    let err = load_paths(std::slice::from_ref(&missing), &env()).expect_err("missing");
    assert!(matches!(err, ScenarioError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: error: cannot read:", missing.display()))
    );

    let full = dir.path().join("full");
    std::fs::create_dir(&full).expect("mkdir");
    std::fs::write(full.join("b.toml"), RESOURCE.replace("things", "bees")).expect("write");
    std::fs::write(full.join("a.toml"), RESOURCE).expect("write");
    let loaded = load_paths(std::slice::from_ref(&full), &env()).expect("valid");
    let files: Vec<_> = loaded.iter().map(|s| s.path.clone()).collect();
    assert_eq!(files, [full.join("a.toml"), full.join("b.toml")]);
}

#[test]
fn the_documented_complete_example_loads() {
    let doc = include_str!("../../docs/scenarios.md");
    let section = doc
        .split("## A complete example")
        .nth(1)
        .expect("the section exists");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("a toml block");
    let env = EnvSnapshot::from_pairs([("ORDERS_TOKEN", "t")]);
    let scenario = load_str(Path::new("orders.toml"), example, &env).expect("the example is valid");
    let orders = &scenario.resources[0];
    assert_eq!(
        orders.post_id,
        Some(PostId::Pointer(JsonPointer::parse("/data/id").expect("ok")))
    );
    assert_eq!(orders.ignore.len(), 3);
    assert_eq!(scenario.scripts[0].same_state, [(1, 2)]);
    assert_eq!(scenario.target.headers[1].shown, "Bearer ${ORDERS_TOKEN}");
}

#[test]
fn patch_format_is_validated_and_adds_patch_to_default_methods() {
    let base = "[target]\nbase_url = \"http://h\"\n[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nbody = { a = 1 }\n";
    let merge = load(&format!("{base}patch = \"merge\"\n")).expect("valid");
    let resource = &merge.resources[0];
    assert_eq!(
        resource.patch,
        Some(crate::model::fuzz::ops::PatchFormat::Merge)
    );
    assert!(resource.supports(crate::model::exchange::Method::Patch));
    assert!(
        first_line(&format!("{base}patch = \"xml\"\n"))
            .starts_with("t.toml:7:9: error: unknown patch format `xml`"),
        "{}",
        first_line(&format!("{base}patch = \"xml\"\n"))
    );
    assert!(
        first_line(&format!(
            "{base}patch = \"json-patch\"\nmethods = [\"GET\", \"PUT\"]\n"
        ))
        .contains("`methods` does not include PATCH")
    );
}

#[test]
fn a_template_whose_largest_body_exceeds_the_bound_is_refused_without_generating_it() {
    let huge = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\n[resources.things.body]\nxs = { gen = \"array\", max_len = 1000, items = { gen = \"array\", max_len = 1000, items = { gen = \"string\", max_len = 10000 } } }\n";
    let error = load(huge).expect_err("too large").to_string();
    assert!(
        error.starts_with("t.toml:4:1: error: the body template can produce bodies of up to 10003002008 bytes, more than the 1048576 bytes `max_body_bytes` allows"),
        "{error}"
    );
    assert!(error.contains("= note: lower the `max_len`"), "{error}");
    // The bound is configurable, and a body under it is fine.
    let raised = format!(
        "[target]\nmax_body_bytes = 20_000_000\n{}",
        huge.replace(
            "max_len = 1000, items = { gen = \"string\"",
            "max_len = 1, items = { gen = \"string\""
        )
    );
    assert!(
        load(&raised).is_ok(),
        "{:?}",
        load(&raised).err().map(|e| e.to_string())
    );
    assert_eq!(
        first_line(&format!("[target]\nmax_body_bytes = 0\n{RESOURCE}")),
        "t.toml:2:18: error: `max_body_bytes` must be from 1 to 1073741824 (1 GiB), found 0"
    );
}

#[test]
fn too_deep_nesting_is_a_located_error() {
    let deep = format!(
        "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{{id}}\"\nbody = {{ a = {}1{} }}\n",
        "[".repeat(500),
        "]".repeat(500)
    );
    let error = load(&deep).expect_err("too deep").to_string();
    assert!(error.starts_with("t.toml:4:"), "{error}");
    assert!(error.len() < 1_000, "the excerpt is cut: {error}");
}

#[test]
fn a_file_that_is_not_utf8_is_a_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    let mut bytes = b"[resources.things]\ncollection = \"/th".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"ings\"\n");
    std::fs::write(&path, bytes).expect("write");
    let error = crate::scenario::load_paths(std::slice::from_ref(&path), &env())
        .expect_err("not UTF-8")
        .to_string();
    assert!(
        error.starts_with(&format!(
            "{}:2:18: error: the file is not valid UTF-8: byte 0xff",
            path.display()
        )),
        "{error}"
    );
}
