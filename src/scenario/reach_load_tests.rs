//! Tests of loading what issue 16 added: `[listing]` (formats, ids, pages, filters) and the
//! documented examples of `docs/scenarios.md` § Listings.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::scenario::{JsonPointer, ListingFormat, Pages};

fn load(text: &str) -> Result<Scenario, ScenarioError> {
    load_str(Path::new("t.toml"), text, &EnvSnapshot::default())
}

fn first_line(text: &str) -> String {
    let err = load(text).expect_err("the text is invalid");
    err.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The `n`-th (0-based) TOML block of a section of `docs/scenarios.md`.
fn documented_toml(section: &str, n: usize) -> &'static str {
    include_str!("../../docs/scenarios.md")
        .split(&format!("## {section}"))
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .and_then(|rest| rest.split("```toml\n").nth(n + 1))
        .and_then(|block| block.split("```").next())
        .unwrap_or_else(|| panic!("TOML block {n} of § {section}"))
}

fn with_listing(listing: &str) -> String {
    format!(
        "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{{id}}\"\nbody = {{ a = 1 }}\n[resources.t.listing]\n{listing}"
    )
}

#[test]
fn the_documented_listing_example_loads() {
    let scenario = load(documented_toml("Listings", 0)).expect("the example is valid");
    let objects = &scenario.resources[0];
    assert_eq!(objects.listing.path, "/bucket?list-type=2");
    assert!(matches!(objects.listing.format, ListingFormat::Xml { .. }));
    assert!(matches!(objects.listing.pages, Some(Pages::Token { .. })));
    assert_eq!(objects.listing.max_pages, 50);
    assert_eq!(
        objects.id_field.read(&json!({"Key": "idf-1"})).as_deref(),
        Some("idf-1")
    );
    // The shorter shapes after it, each under a resource of its own.
    for shape in documented_toml("Listings", 1).split("\n\n") {
        let shape: String = shape
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let listing = shape
            .split_once("]\n")
            .map(|(_, rest)| rest)
            .expect("a listing table");
        load(&with_listing(listing)).unwrap_or_else(|err| panic!("{shape}: {err}"));
    }
}

#[test]
fn ids_are_read_with_patterns_and_from_hrefs() {
    let etcd = load(&with_listing(
        "items = \"/node/nodes\"\nid = \"/key\"\nid_pattern = \"^/idemfuzz/(?<id>[^/]+)$\"\n",
    ))
    .expect("valid");
    let keys = &etcd.resources[0].id_field;
    assert_eq!(
        keys.read(&json!({"key": "/idemfuzz/x-1"})).as_deref(),
        Some("x-1")
    );
    let dav = load(&with_listing("format = \"propfind\"\n")).expect("valid");
    let hrefs = &dav.resources[0].id_field;
    assert_eq!(
        hrefs.read(&json!({"href": "/t/x-1"})).as_deref(),
        Some("x-1")
    );
    assert_eq!(dav.resources[0].listing.format, ListingFormat::Propfind);
}

#[test]
fn listing_mistakes_are_located() {
    for (listing, expected) in [
        (
            "format = \"csv\"\n",
            "6:10: error: unknown listing format `csv`",
        ),
        (
            "format = \"xml\"\n",
            "5:1: error: an xml listing needs `items`",
        ),
        (
            "id_pattern = \"^(x)$\"\n",
            "6:14: error: `id_pattern` has no group named `id`",
        ),
        (
            "id_pattern = \"(\"\n",
            "6:14: error: `id_pattern` is not a valid regex",
        ),
        (
            "format = \"none\"\nitems = \"/x\"\n",
            "7:9: error: `items` means nothing for a listing with `format = \"none\"`",
        ),
        (
            "format = \"propfind\"\nid = \"/x\"\n",
            "7:6: error: a propfind listing reads each multistatus",
        ),
        (
            "next = { token = \"/t\" }\n",
            "6:18: error: `token` needs `param`",
        ),
        (
            "next = { link = \"next\", page = \"p\" }\n",
            "6:8: error: `next` takes exactly one of",
        ),
        (
            "filter = \"q=1\"\n",
            "6:10: error: the filter `q=1` must be a query with `{id}` exactly once",
        ),
        (
            "max_pages = 0\n",
            "6:13: error: `max_pages` must be from 1 to 1000, found 0",
        ),
        (
            "path = \"/t/{id}\"\n",
            "6:8: error: the listing path `/t/{id}` cannot contain placeholders",
        ),
    ] {
        let line = first_line(&with_listing(listing));
        assert!(
            line.starts_with(&format!("t.toml:{expected}")),
            "{listing}: {line}"
        );
    }
    let twice = "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nitems = \"/a\"\nbody = { a = 1 }\n[resources.t.listing]\nitems = \"/b\"\n";
    assert!(
        first_line(twice).contains("`items` is set twice"),
        "{}",
        first_line(twice)
    );
}

#[test]
fn the_documented_representations_load() {
    use crate::scenario::RepresentationKind;
    let scenario = load(documented_toml("Representations", 0)).expect("the examples are valid");
    let kinds: Vec<&str> = scenario
        .resources
        .iter()
        .map(|r| r.representation.name())
        .collect();
    assert_eq!(kinds, ["text", "bytes", "form", "template"]);
    let notes = &scenario.resources[3];
    assert!(matches!(
        notes.representation.kind,
        RepresentationKind::Template(_)
    ));
    let sent = notes
        .representation
        .encode(&json!({"title": "a<b", "pages": 3}));
    assert_eq!(
        String::from_utf8(sent).expect("utf-8"),
        "<note><title>a&lt;b</title><pages>3</pages></note>"
    );
    assert_eq!(scenario.resources[1].put_create_statuses, [200, 201]);
}

#[test]
fn bodies_must_fit_their_representation() {
    let resource = |extra: &str, body: &str| {
        format!(
            "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{{id}}\"\n{extra}\nbody = {body}\n"
        )
    };
    for (extra, body, expected) in [
        (
            "",
            "\"hello\"",
            "5:8: error: the body template must be a table",
        ),
        (
            "representation = \"text\"",
            "{ a = 1 }",
            "5:8: error: a `text` body is a string",
        ),
        (
            "representation = \"text\"",
            "{ gen = \"int\" }",
            "5:8: error: a `text` body is a string",
        ),
        (
            "representation = \"bytes\"",
            "\"☃\"",
            "5:8: error: a `bytes` body is",
        ),
        (
            "representation = \"form\"",
            "{ a = { b = 1 } }",
            "5:8: error: the form field `a` holds a table",
        ),
        (
            "representation = \"template\"",
            "{ a = 1 }",
            "4:18: error: `representation = \"template\"` needs `template`",
        ),
        (
            "representation = \"template\"\ntemplate = \"<a>{a}</a>\"",
            "{ a = 1 }",
            "4:18: error: a `template` representation needs `content_type`",
        ),
        (
            "representation = \"template\"\ntemplate = \"<a>{b}</a>\"\ncontent_type = \"text/xml\"",
            "{ a = 1 }",
            "7:8: error: the template's slot `{b}` is not a member",
        ),
        (
            "representation = \"yaml\"",
            "{ a = 1 }",
            "4:18: error: unknown representation `yaml`",
        ),
        (
            "template = \"{a}\"",
            "{ a = 1 }",
            "4:12: error: `template` needs `representation = \"template\"`",
        ),
        (
            "content_type = \"text\"",
            "{ a = 1 }",
            "4:16: error: `text` is not a media type",
        ),
        (
            "put_create_statuses = [200, 404]",
            "{ a = 1 }",
            "4:23: error: `put_create_statuses`: 404 is not a success",
        ),
        (
            "representation = \"bytes\"",
            "{ gen = \"bytes\", max_len = 2000000 }",
            "5:8: error",
        ),
    ] {
        let line = first_line(&resource(extra, body));
        assert!(
            line.starts_with(&format!("t.toml:{expected}")),
            "{extra} / {body}: {line}"
        );
    }
    for (extra, body) in [
        ("representation = \"text\"", "\"hello\""),
        (
            "representation = \"text\"",
            "{ gen = \"one_of\", values = [\"a\", \"b\"] }",
        ),
        ("representation = \"bytes\"", "\"\\u0000\\u00ff\""),
        (
            "representation = \"form\"",
            "{ v = \"x\", n = { gen = \"int\" }, t = [\"a\", \"b\"] }",
        ),
    ] {
        load(&resource(extra, body)).unwrap_or_else(|err| panic!("{extra} / {body}: {err}"));
    }
}

#[test]
fn posting_needs_json_bodies() {
    let text = "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nrepresentation = \"text\"\npost_id = \"location\"\nbody = \"x\"\n";
    let line = first_line(text);
    assert!(
        line.starts_with("t.toml:5:11: error: `post_id` (POST to the collection) needs `representation = \"json\"`, not `text`"),
        "{line}"
    );
}

#[test]
fn the_documented_version_token_example_loads_and_ignores_its_member() {
    let text = documented_toml("Version tokens: `[resources.NAME.version]`", 0);
    let env = EnvSnapshot::from_pairs([("COUCHDB_PASSWORD", "p")]);
    let scenario = load_str(Path::new("t.toml"), text, &env).expect("the example is valid");
    let docs = &scenario.resources[0];
    let version = docs.version.as_ref().expect("a version token");
    assert_eq!(
        version.member,
        JsonPointer::parse("/_rev").expect("pointer")
    );
    assert_eq!(version.answer, JsonPointer::parse("/rev").ok());
    let member = JsonPointer::parse("/_rev").expect("pointer");
    assert!(
        docs.ignore.iter().any(|p| p.matches(&member)),
        "the token is left out of state comparisons"
    );
}

#[test]
fn version_tokens_need_json_and_one_member() {
    let with = |extra: &str, version: &str| {
        format!(
            "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{{id}}\"\n{extra}\n[resources.t.version]\n{version}"
        )
    };
    let json_body = "body = { a = 1 }";
    let text_body = "representation = \"text\"\nbody = \"x\"";
    assert!(first_line(&with(text_body, "member = \"/_rev\"")).contains("needs JSON bodies"));
    assert!(first_line(&with(json_body, "member = \"\"")).contains("must point to one member"));
    assert!(first_line(&with(json_body, "member = \"/*\"")).contains("must point to one member"));
    assert!(
        first_line(&with(json_body, "member = \"/_rev\"\nanswer = \"rev\"")).contains("t.toml:")
    );
    assert!(first_line(&with(json_body, "membr = \"/_rev\"")).contains("unknown field"));
    assert!(load(&with(json_body, "member = \"/meta/rev\"")).is_ok());
}

/// A parent `customers` and a child `orders` below it; `child` and `parent` are added to
/// their tables.
fn nested(parent: &str, child: &str) -> String {
    format!(
        "[resources.customers]\ncollection = \"/customers\"\nitem = \"/customers/{{id}}\"\nbody = {{ a = 1 }}\n{parent}\n[resources.orders]\nbody = {{ b = 1 }}\n{child}\n"
    )
}

const ORDERS: &str = "collection = \"/customers/{customers}/orders\"\nitem = \"/customers/{customers}/orders/{id}\"\n";

#[test]
fn the_documented_nested_resource_loads_with_its_parent() {
    let scenario = load(documented_toml("Nested resources", 0)).expect("the example is valid");
    let orders = scenario
        .resources
        .iter()
        .find(|r| r.name == "orders")
        .expect("orders");
    let parent = orders.parent.as_ref().expect("a parent");
    assert_eq!(parent.resource.name, "customers");
    let child = orders.under("idf-r-c0001-p-1");
    assert_eq!(child.collection, "/customers/idf-r-c0001-p-1/orders");
    assert_eq!(
        child.item_path("x y"),
        "/customers/idf-r-c0001-p-1/orders/x%20y"
    );
    assert_eq!(child.listing.path, "/customers/idf-r-c0001-p-1/orders");
    assert!(child.parent.is_none());
    let customers = &scenario.resources[0];
    assert!(customers.parent.is_none());
}

#[test]
fn a_child_under_its_parent_keeps_its_version_token() {
    let text = nested(
        "",
        &format!("{ORDERS}\n[resources.orders.version]\nmember = \"/_rev\"\nanswer = \"/rev\"\n"),
    );
    let scenario = load(&text).expect("valid");
    let orders = scenario
        .resources
        .iter()
        .find(|r| r.name == "orders")
        .expect("orders");
    let child = orders.under("p-1");
    assert_eq!(child.version, orders.version);
    assert!(child.version.is_some());
    let member = JsonPointer::parse("/_rev").expect("pointer");
    assert!(child.ignore.iter().any(|p| p.matches(&member)));
}

#[test]
fn parents_must_be_declared_top_level_and_deletable() {
    for (text, expected) in [
        (
            nested("", &ORDERS.replace("{customers}", "{clients}")),
            "8:14: error: `{clients}` in the collection `/customers/{clients}/orders` is not a declared resource",
        ),
        (
            nested("", &ORDERS.replace("{customers}", "{orders}")),
            "8:14: error: the collection `/customers/{orders}/orders` names `orders` itself as its parent: a cyclic nesting",
        ),
        (
            nested("methods = [\"GET\", \"PUT\"]", ORDERS),
            "8:14: error: `customers` cannot be the parent of `orders`: its `methods` have no DELETE",
        ),
        (
            nested(
                "",
                "collection = \"/c/{customers}/{customers}/o\"\nitem = \"/c/{customers}/{customers}/o/{id}\"",
            ),
            "8:14: error: the collection `/c/{customers}/{customers}/o` names 2 parents",
        ),
        (
            nested("", "collection = \"/o\"\nitem = \"/o/{id}/{customers}x\""),
            "9:8: error: the item path `/o/{id}/{customers}x` can only use `{id}`, not `{customers}`",
        ),
    ] {
        let line = first_line(&text);
        assert!(line.starts_with(&format!("t.toml:{expected}")), "{line}");
    }
}

#[test]
fn a_cycle_of_parents_and_a_parent_nested_in_turn_are_refused() {
    let cycle = "[resources.a]\ncollection = \"/a/{b}/x\"\nitem = \"/a/{b}/x/{id}\"\nbody = { a = 1 }\n[resources.b]\ncollection = \"/b/{a}/y\"\nitem = \"/b/{a}/y/{id}\"\nbody = { b = 1 }\n";
    let line = first_line(cycle);
    assert!(
        line.starts_with("t.toml:2:14: error: cyclic nesting: a → b → a"),
        "{line}"
    );
    let deep = format!(
        "{}[resources.lines]\ncollection = \"/l/{{orders}}/lines\"\nitem = \"/l/{{orders}}/lines/{{id}}\"\nbody = {{ c = 1 }}\n",
        nested("", ORDERS)
    );
    let line = first_line(&deep);
    assert!(
        line.starts_with(
            "t.toml:12:14: error: `orders` is nested itself (lines → orders → customers)"
        ),
        "{line}"
    );
    let script = format!(
        "{}[[scripts]]\nname = \"s\"\nresource = \"orders\"\nsteps = [{{ method = \"GET\", path = \"/x\" }}]\n",
        nested("", ORDERS)
    );
    let line = first_line(&script);
    assert!(
        line.contains("error: `orders` is nested under `customers`: scripts on a nested resource are not supported yet"),
        "{line}"
    );
}
