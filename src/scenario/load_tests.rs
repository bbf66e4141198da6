//! Tests of loading: the bundled scenarios, every error class and its `file:line:col` line.

use std::path::Path;

use serde_json::json;

use super::*;
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
    assert_eq!(r.checks, crate::scenario::CheckOptions::default());
}

#[test]
fn check_options_are_read() {
    let scenario = load(&with_resource(
        r#"
[resources.things.checks.repeat-put]
max_repeats = 6
[resources.things.checks.repeat-delete]
second_delete_statuses = [204, 404]
gone_statuses = 404
canaries = 0
[resources.things.checks.put-after-delete]
refusal_statuses = [409, 410]
[resources.things.checks.use-after-delete]
enabled = false
[resources.things.checks.get-safety]
repeats = 1
[resources.things.checks.head-parity]
headers = ["ETag"]
[resources.things.checks.partial-put]
enabled = false
"#,
    ))
    .expect("valid");
    let c = &scenario.resources[0].checks;
    assert_eq!(c.repeat_put.max_repeats, 6);
    assert_eq!(c.repeat_delete.second_delete_statuses, [204, 404]);
    assert_eq!(c.repeat_delete.gone_statuses, [404]);
    assert_eq!(c.repeat_delete.canaries, 0);
    assert_eq!(c.put_after_delete.refusal_statuses, [409, 410]);
    assert!(!c.use_after_delete.enabled);
    assert_eq!(c.get_safety.repeats, 1);
    assert_eq!(c.head_parity.headers, ["etag"]);
    assert!(!c.partial_put_enabled);
    assert!(c.post_retry_enabled);
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
            "t.toml:2:1: error: unknown field `colection`, expected one of `collection`, `item`, `create`, `post_id`, `id_field`, `items`, `methods`, `body`, `required`, `ignore`, `detect_volatile`, `idempotency_key`, `patch`, `checks`, `concurrent_clients`, `etags`, `preconditions_required`, `post_put`, `listing`"
        )
    );
    assert_eq!(
        lines.collect::<Vec<_>>(),
        ["   |", " 2 | colection = \"/things\"", "   | ^^^^^^^^^"]
    );
    assert!(matches!(err, ScenarioError::Toml(_)));
}

#[test]
fn unknown_keys_in_nested_tables() {
    assert_eq!(
        first_line(&with_resource(
            "[resources.things.checks.repeat-put]\nmax = 3\n"
        )),
        "t.toml:7:1: error: unknown field `max`, expected `enabled` or `max_repeats`"
    );
    assert_eq!(
        first_line(&with_resource("[resources.things.checks.repeat-puts]\n")),
        "t.toml:6:26: error: unknown field `repeat-puts`, expected one of `repeat-put`, `partial-put`, `repeat-delete`, `put-after-delete`, `use-after-delete`, `get-safety`, `head-parity`, `post-retry`, `status-conformance`, `concurrent-put`, `concurrent-post-key`, `lost-response-retry`, `conditional-write`, `lost-update`, `etag-stability`, `post-put-creation`"
    );
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
        (
            "checks.repeat-put.max_repeats = 1",
            "t.toml:5:33: error: `max_repeats` must be from 2 to 100, found 1",
        ),
        (
            "checks.get-safety.repeats = 0",
            "t.toml:5:29: error: `repeats` must be from 1 to 100, found 0",
        ),
        (
            "checks.repeat-delete.gone_statuses = [404, 700]",
            "t.toml:5:38: error: `gone_statuses`: 700 is not an HTTP status (100 to 599)",
        ),
        (
            "checks.repeat-delete.second_delete_statuses = []",
            "t.toml:5:47: error: `second_delete_statuses` must list at least one status",
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
