//! Tests of the checks' options: each check reads its own `[resources.NAME.checks.CHECK]`
//! table, with defaults, and a table or key no check knows is an error at file:line:col.

use std::path::Path;
use std::sync::Arc;

use crate::checks::check::{Check, options_of};
use crate::checks::get_safety::{GetSafety, GetSafetyOptions};
use crate::checks::head_parity::{HeadParity, HeadParityOptions};
use crate::checks::load::load_str;
use crate::checks::put_after_delete::{PutAfterDelete, PutAfterDeleteOptions};
use crate::checks::repeat_delete::{RepeatDelete, RepeatDeleteOptions};
use crate::checks::repeat_put::{RepeatPut, RepeatPutOptions};
use crate::checks::use_after_delete::{UseAfterDelete, UseAfterDeleteOptions};
use crate::env::EnvSnapshot;
use crate::scenario::{Resource, Scenario, ScenarioError};

fn load(text: &str) -> Result<Scenario, ScenarioError> {
    load_str(Path::new("t.toml"), text, &EnvSnapshot::default())
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

fn options<C: Check>(check: C, resource: &Resource) -> Arc<C::Options> {
    options_of(&check, resource).expect("valid options")
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
    let r = &scenario.resources[0];
    assert_eq!(options(RepeatPut, r).max_repeats, 6);
    let repeat_delete = options(RepeatDelete, r);
    assert_eq!(repeat_delete.second_delete_statuses, [204, 404]);
    assert_eq!(repeat_delete.gone_statuses, [404]);
    assert_eq!(repeat_delete.canaries, 0);
    assert_eq!(options(PutAfterDelete, r).refusal_statuses, [409, 410]);
    assert_eq!(options(GetSafety, r).repeats, 1);
    assert_eq!(options(HeadParity, r).headers, ["etag"]);
    assert_eq!(
        *options(UseAfterDelete, r),
        UseAfterDeleteOptions::default()
    );
}

#[test]
fn without_tables_every_check_has_its_defaults() {
    let scenario = load(RESOURCE).expect("valid");
    let r = &scenario.resources[0];
    assert_eq!(*options(RepeatPut, r), RepeatPutOptions::default());
    assert_eq!(*options(RepeatDelete, r), RepeatDeleteOptions::default());
    assert_eq!(
        *options(PutAfterDelete, r),
        PutAfterDeleteOptions::default()
    );
    assert_eq!(
        *options(UseAfterDelete, r),
        UseAfterDeleteOptions::default()
    );
    assert_eq!(*options(GetSafety, r), GetSafetyOptions::default());
    assert_eq!(*options(HeadParity, r), HeadParityOptions::default());
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

/// A resource with one more line.
fn resource_with(line: &str) -> String {
    format!(
        "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{{id}}\"\nbody = {{ name = \"x\" }}\n{line}\n"
    )
}

#[test]
fn check_option_errors() {
    let cases = [
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
