//! Unit tests of the schema mapper, on small documents parsed by the real loader.

use serde_json::json;

use super::*;
use crate::openapi::body::Param;
use crate::openapi::load;
use crate::openapi::model::Api;
use crate::openapi::scalars::pattern_charset;

/// A document of `version` whose `components.schemas` is `schemas` (YAML, two-space indent).
fn api(version: &str, schemas: &str) -> Api {
    let indented: String = schemas.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!(
        "openapi: {version}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{indented}"
    );
    load::parse(&text, "test.yaml", None).unwrap_or_else(|err| panic!("{err}\n{text}"))
}

fn body(version: &str, schemas: &str, root: &str) -> BodyPlan {
    let api = api(version, schemas);
    Mapper::new(&api.schemas)
        .body(&Schema::Ref(root.into()), None)
        .unwrap_or_else(|err| panic!("{err}"))
}

fn member<'a>(plan: &'a BodyPlan, name: &str) -> &'a Member {
    plan.members
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no member {name} in {plan:?}"))
}

fn tmpl<'a>(plan: &'a BodyPlan, name: &str) -> &'a Tmpl {
    member(plan, name)
        .tmpl
        .as_ref()
        .unwrap_or_else(|| panic!("member {name} is left out: {:?}", member(plan, name).note))
}

fn one_of(values: serde_json::Value) -> Tmpl {
    let values = values.as_array().cloned().unwrap_or_default();
    Tmpl::Gen(Gen::new("one_of").with("values", Param::Values(values)))
}

#[test]
fn enums_become_one_of_without_null_and_a_single_value_is_a_literal() {
    let plan = body(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    color: {enum: [red, blue, null]}\n    kind: {type: string, enum: [only]}",
        "T",
    );
    assert_eq!(tmpl(&plan, "color"), &one_of(json!(["red", "blue"])));
    assert_eq!(tmpl(&plan, "kind"), &Tmpl::Literal(json!("only")));
}

#[test]
fn integer_bounds_respect_exclusive_bounds_in_both_versions() {
    let v31 = body(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    n: {type: integer, exclusiveMinimum: 0, exclusiveMaximum: 10}\n    neg: {type: integer, maximum: -5}",
        "T",
    );
    let int = |min, max| {
        Tmpl::Gen(
            Gen::new("int")
                .with("min", Param::Int(min))
                .with("max", Param::Int(max)),
        )
    };
    assert_eq!(tmpl(&v31, "n"), &int(1, 9));
    assert_eq!(tmpl(&v31, "neg"), &int(-1005, -5));
    let v30 = body(
        "3.0.3",
        "T:\n  type: object\n  properties:\n    n: {type: integer, minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: true}",
        "T",
    );
    assert_eq!(tmpl(&v30, "n"), &int(1, 9));
}

#[test]
fn multiple_of_a_power_of_ten_sets_decimals() {
    let plan = body(
        "3.0.3",
        "T:\n  type: object\n  properties:\n    price: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 10, multipleOf: 0.01}\n    odd: {type: number, multipleOf: 0.25}",
        "T",
    );
    assert_eq!(
        tmpl(&plan, "price"),
        &Tmpl::Gen(
            Gen::new("float")
                .with("min", Param::Float(0.01))
                .with("max", Param::Float(10.0))
                .with("decimals", Param::Int(2))
        )
    );
    assert!(
        member(&plan, "odd")
            .note
            .as_deref()
            .is_some_and(|n| n.contains("multipleOf 0.25 is not enforced"))
    );
}

#[test]
fn all_of_merges_members_required_and_constraints() {
    let plan = body(
        "3.1.0",
        "Base:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string, maxLength: 10}\nT:\n  allOf:\n    - $ref: '#/components/schemas/Base'\n    - type: object\n      required: [size]\n      properties:\n        name: {minLength: 2}\n        size: {type: integer}",
        "T",
    );
    assert_eq!(plan.required, ["name", "size"]);
    assert_eq!(
        tmpl(&plan, "name"),
        &Tmpl::Gen(
            Gen::new("string")
                .with("min_len", Param::Int(2))
                .with("max_len", Param::Int(10))
        )
    );
    assert_eq!(tmpl(&plan, "size"), &Tmpl::Gen(Gen::new("int")));
}

#[test]
fn read_only_members_are_ignored_not_sent_at_any_depth() {
    let plan = body(
        "3.1.0",
        "Line:\n  type: object\n  properties:\n    lineId: {type: string, readOnly: true}\n    qty: {type: integer}\nT:\n  type: object\n  properties:\n    id: {type: string, readOnly: true}\n    a/b: {type: string, readOnly: true}\n    lines: {type: array, items: {$ref: '#/components/schemas/Line'}}",
        "T",
    );
    // Members come in document order, whatever the version.
    assert_eq!(plan.ignore, ["/id", "/a~1b", "/lines/*/lineId"]);
    let names: Vec<&str> = plan.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["lines"]);
    let Tmpl::Gen(array) = tmpl(&plan, "lines") else {
        panic!("lines is not a generator");
    };
    let Some((_, Param::Items(items))) = array.params.first() else {
        panic!("no items: {array:?}");
    };
    assert!(matches!(&**items, Tmpl::Object(m) if m.len() == 1 && m[0].name == "qty"));
}

#[test]
fn the_id_member_is_left_out_and_not_ignored() {
    let api = api(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    id: {type: string, readOnly: true}\n    name: {type: string}",
    );
    let plan = Mapper::new(&api.schemas)
        .body(&Schema::Ref("T".into()), Some("id"))
        .expect("maps");
    assert!(plan.ignore.is_empty(), "{:?}", plan.ignore);
    assert!(member(&plan, "id").tmpl.is_none());
}

#[test]
fn recursive_schemas_stop_with_a_comment() {
    let plan = body(
        "3.1.0",
        "Node:\n  type: object\n  required: [parent]\n  properties:\n    name: {type: string}\n    parent: {$ref: '#/components/schemas/Node'}\n    children: {type: array, items: {$ref: '#/components/schemas/Node'}}",
        "Node",
    );
    let parent = member(&plan, "parent");
    assert!(parent.tmpl.is_none());
    let note = parent.note.as_deref().unwrap_or("");
    assert!(
        note.contains("`Node` contains itself") && note.contains("requires it"),
        "{note}"
    );
    assert_eq!(tmpl(&plan, "children"), &Tmpl::Literal(json!([])));
}

#[test]
fn long_reference_chains_stop_at_the_depth_limit() {
    let mut schemas = String::new();
    for n in 0..MAX_DEPTH + 4 {
        schemas.push_str(&format!(
            "S{n}:\n  type: object\n  properties:\n    next: {{$ref: '#/components/schemas/S{}'}}\n",
            n + 1
        ));
    }
    schemas.push_str(&format!("S{}:\n  type: string\n", MAX_DEPTH + 4));
    let plan = body("3.1.0", &schemas, "S0");
    let mut depth = 0;
    let mut members = &plan.members;
    loop {
        let next = &members[0];
        match &next.tmpl {
            Some(Tmpl::Object(inner)) => {
                members = inner;
                depth += 1;
            }
            None => {
                assert!(
                    next.note
                        .as_deref()
                        .is_some_and(|n| n.contains("references deep"))
                );
                break;
            }
            other => panic!("unexpected {other:?} at depth {depth}"),
        }
    }
    assert_eq!(depth, MAX_DEPTH - 1);
}

#[test]
fn one_of_takes_the_first_alternative_and_sets_the_discriminator() {
    let plan = body(
        "3.1.0",
        "Card:\n  type: object\n  properties:\n    method: {type: string}\n    token: {type: string}\nWire:\n  type: object\n  properties:\n    method: {type: string}\n    iban: {type: string}\nT:\n  type: object\n  properties:\n    pay:\n      oneOf: [{$ref: '#/components/schemas/Card'}, {$ref: '#/components/schemas/Wire'}]\n      discriminator: {propertyName: method, mapping: {card: '#/components/schemas/Card'}}\n    last:\n      anyOf: [{type: 'null'}, {$ref: '#/components/schemas/Wire'}]\n      discriminator: {propertyName: method}",
        "T",
    );
    let pay = member(&plan, "pay");
    assert!(
        matches!(&pay.tmpl, Some(Tmpl::Object(m)) if m.iter().any(|x| x.name == "method" && x.tmpl == Some(Tmpl::Literal(json!("card")))))
    );
    assert!(
        pay.note
            .as_deref()
            .is_some_and(|n| n.starts_with("oneOf: alternative 1 of 2 (Card)"))
    );
    let last = member(&plan, "last");
    assert!(
        matches!(&last.tmpl, Some(Tmpl::Object(m)) if m.iter().any(|x| x.name == "method" && x.tmpl == Some(Tmpl::Literal(json!("Wire")))))
    );
}

#[test]
fn strings_by_format_and_pattern() {
    let plan = body(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    id: {type: string, format: uuid}\n    at: {type: string, format: date-time}\n    code: {type: string, pattern: '^[A-Z]{3}$', examples: [ABC, XYZ]}\n    word: {type: string, pattern: '^[a-zA-Z0-9]+$', maxLength: 8}\n    odd: {type: string, pattern: '^x+$'}",
        "T",
    );
    assert_eq!(tmpl(&plan, "id"), &Tmpl::Gen(Gen::new("uuid")));
    assert!(matches!(tmpl(&plan, "at"), Tmpl::Gen(g) if g.name == "one_of"));
    assert_eq!(tmpl(&plan, "code"), &one_of(json!(["ABC", "XYZ"])));
    assert_eq!(
        tmpl(&plan, "word"),
        &Tmpl::Gen(
            Gen::new("string")
                .with("max_len", Param::Int(8))
                .with("chars", Param::Text("alnum".into()))
        )
    );
    assert!(member(&plan, "word").note.is_none());
    assert!(
        member(&plan, "odd")
            .note
            .as_deref()
            .is_some_and(|n| n.contains("is not generated"))
    );
}

#[test]
fn unique_items_of_few_values_stay_short() {
    let plan = body(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    tags: {type: array, uniqueItems: true, items: {enum: [a, b]}}",
        "T",
    );
    let Tmpl::Gen(array) = tmpl(&plan, "tags") else {
        panic!("tags is not a generator");
    };
    assert_eq!(array.params.last(), Some(&("max_len", Param::Int(1))));
}

#[test]
fn what_toml_cannot_express_is_left_out() {
    let plan = body(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    gen: {type: string}\n    only_null: {type: 'null'}\n    elsewhere: {$ref: 'other.yaml#/Thing'}\n    missing: {$ref: '#/components/schemas/Missing'}\n    never: {type: array, minItems: 1, items: false}",
        "T",
    );
    for (name, why) in [
        ("gen", "named `gen`"),
        ("only_null", "null"),
        ("elsewhere", "not followed"),
        ("missing", "has nothing there"),
        ("never", "`false`"),
    ] {
        let left_out = member(&plan, name);
        assert!(left_out.tmpl.is_none(), "{name}");
        assert!(
            left_out.note.as_deref().is_some_and(|n| n.contains(why)),
            "{name}: {:?}",
            left_out.note
        );
    }
}

#[test]
fn a_root_that_is_not_an_object_is_an_error() {
    let api = api("3.1.0", "T: {type: array, items: {type: string}}");
    let err = Mapper::new(&api.schemas)
        .body(&Schema::Ref("T".into()), None)
        .expect_err("an array body");
    assert!(err.contains("not a JSON object"), "{err}");
}

#[test]
fn simple_charset_patterns() {
    assert_eq!(pattern_charset("^[A-Za-z0-9]+$"), Some("alnum"));
    assert_eq!(pattern_charset("^[0-9a-zA-Z]*$"), Some("alnum"));
    assert_eq!(pattern_charset("^[a-z0-9]+$"), None);
    assert_eq!(pattern_charset("^[A-Za-z0-9_]+$"), None);
}

#[test]
fn huge_bounds_stay_within_what_the_generators_accept() {
    let api = api(
        "3.1.0",
        "T:\n  type: object\n  properties:\n    many: {type: array, minItems: 5000, items: {type: integer}}\n    long: {type: string, minLength: 20000}\n    big: {type: integer, minimum: 1e30}",
    );
    let plan = Mapper::new(&api.schemas)
        .body(&Schema::Ref("T".into()), None)
        .expect("maps");
    let Tmpl::Gen(many) = tmpl(&plan, "many") else {
        panic!("many is not a generator");
    };
    assert!(many.params.contains(&("min_len", Param::Int(1000))));
    assert!(many.params.contains(&("max_len", Param::Int(1000))));
    assert_eq!(
        tmpl(&plan, "long"),
        &Tmpl::Gen(Gen::new("string").with("min_len", Param::Int(10_000)))
    );
    assert_eq!(
        tmpl(&plan, "big"),
        &Tmpl::Gen(Gen::new("int").with("min", Param::Int(i64::MAX)))
    );
}

#[test]
fn widely_shared_schemas_do_not_expand_without_bound() {
    // Six levels of ten members that all reference the next level: a million members if
    // expanded naively.
    let mut schemas = String::new();
    for level in 0..6 {
        schemas.push_str(&format!("L{level}:\n  type: object\n  properties:\n"));
        for member in 0..10 {
            schemas.push_str(&format!(
                "    m{member}: {{$ref: '#/components/schemas/L{}'}}\n",
                level + 1
            ));
        }
    }
    schemas.push_str("L6: {type: string}\n");
    let plan = body("3.1.0", &schemas, "L0");
    fn count(members: &[Member]) -> usize {
        members
            .iter()
            .map(|m| match &m.tmpl {
                Some(Tmpl::Object(inner)) => 1 + count(inner),
                _ => 1,
            })
            .sum()
    }
    assert!(
        count(&plan.members) <= MAX_MEMBERS + 10 * 6,
        "{}",
        count(&plan.members)
    );
    fn any_too_large(members: &[Member]) -> bool {
        members.iter().any(|m| match &m.tmpl {
            Some(Tmpl::Object(inner)) => any_too_large(inner),
            None => m
                .note
                .as_deref()
                .is_some_and(|n| n.contains("the import's limit")),
            _ => false,
        })
    }
    assert!(any_too_large(&plan.members));
}
