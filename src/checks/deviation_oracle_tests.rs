//! Unit tests of the oracles of the deviations issue 15 asks not to miss: each one flags the
//! record of the deviation and passes the record of a correct server (repeat-put's refused
//! repeat, an Allow that leaves out working methods, `If-Match: *` creating a resource, a
//! strong ETag that survives a same-length change, HEAD content on a 404, a DELETE that also
//! removes ids resembling its target's, and the cause that groups an ignored If-Match).

use serde_json::json;

use crate::checks::conditional_write::{IF_MATCH_IGNORED, Outcome, Probe, State};
use crate::checks::head_parity::{HeadParityOptions, Pair};
use crate::checks::testing::{canon, collection, exchange, item};
use crate::checks::*;
use crate::model::exchange::{Exchange, Method};
use crate::model::findings::Severity;
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::load_str;

const URL: &str = "http://h/things/a";

fn rules(found: &[Violation]) -> Vec<&str> {
    found.iter().map(|v| v.rule.as_str()).collect()
}

// ---- repeat-put -----------------------------------------------------------------------------

fn repeat_put_record(statuses: &[u16], refused_first: Option<u16>) -> repeat_put::Record {
    let same = item(200, json!({"id": "a", "name": "x"}));
    repeat_put::Record {
        repeats: 3,
        item_after_one: same.clone(),
        collection_after_one: collection(vec![json!({"id": "a"})]),
        item_after_all: same,
        collection_after_all: collection(vec![json!({"id": "a"})]),
        repeated_puts: statuses
            .iter()
            .map(|s| exchange(Method::Put, URL, *s, None, &[]))
            .collect(),
        refused_first_put: refused_first.map(|s| exchange(Method::Put, URL, s, None, &[])),
    }
}

#[test]
fn repeat_put_flags_a_refused_repeat_once() {
    let canon = canon(&[]);
    assert!(repeat_put::judge(&repeat_put_record(&[200, 204], None), &canon).is_empty());
    // A conflict, a lock or a rate limit may refuse a repeat.
    assert!(repeat_put::judge(&repeat_put_record(&[409, 429], None), &canon).is_empty());
    // Nor do credentials that expired meanwhile say anything about the repeat.
    assert!(repeat_put::judge(&repeat_put_record(&[401, 403], None), &canon).is_empty());
    let found = repeat_put::judge(&repeat_put_record(&[412, 412], None), &canon);
    assert_eq!(rules(&found), ["repeat-refused"]);
    assert_eq!(found[0].severity, Severity::Error);
    assert!(found[0].observed.contains("no precondition sent"));
    assert!(found[0].observed.contains("2 refusals"));
    // Eve: the PUT of the body the POST stored, answered 412.
    let found = repeat_put::judge(&repeat_put_record(&[200], Some(412)), &canon);
    assert_eq!(rules(&found), ["repeat-refused"]);
    let found = repeat_put::judge(&repeat_put_record(&[422], None), &canon);
    assert_eq!(rules(&found), ["repeat-refused"]);
    assert!(!found[0].observed.contains("no precondition"));
}

// ---- status-conformance: the Allow probe ----------------------------------------------------

fn status_record(allow: &str, probes: &[(Method, u16)]) -> status_conformance::Record {
    status_conformance::Record {
        put_update: Some(exchange(Method::Put, URL, 200, None, &[])),
        undeclared: Some(exchange(Method::Patch, URL, 405, None, &[("allow", allow)])),
        allow_probes: probes
            .iter()
            .map(|(m, s)| exchange(*m, URL, *s, None, &[]))
            .collect(),
        ..status_conformance::Record::default()
    }
}

#[test]
fn status_conformance_flags_an_allow_that_leaves_out_working_methods() {
    use Method::{Delete, Head, Put};
    let complete = status_record("GET, HEAD, PUT, DELETE", &[]);
    assert!(status_conformance::judge(&complete).is_empty());
    // Left out, and refused: consistent.
    let refused = status_record("GET", &[(Head, 405), (Put, 405), (Delete, 405)]);
    assert!(status_conformance::judge(&refused).is_empty());
    let short = status_record("GET", &[(Head, 405), (Put, 200), (Delete, 204)]);
    let found = status_conformance::judge(&short);
    assert_eq!(rules(&found), ["405-allow-omits-method"]);
    assert_eq!(found[0].severity, Severity::Error);
    assert!(
        found[0].title.ends_with("PUT, DELETE"),
        "{}",
        found[0].title
    );
    assert!(found[0].observed.contains("Allow: GET"));
}

// ---- conditional-write: If-Match: * to a missing resource -----------------------------------

fn missing_star(status: u16, listed: Option<bool>, read: Option<serde_json::Value>) -> Outcome {
    Outcome {
        probe: Probe::MissingStar,
        exchange: exchange(Method::Put, URL, status, None, &[]),
        body: Some(json!({"name": "x"})),
        before: State {
            item: None,
            listed: Some(false),
        },
        after: State {
            item: read.map(|body| item(200, body)),
            listed,
        },
        moot: false,
    }
}

fn star_record(outcome: Outcome, etags: bool) -> conditional_write::Record {
    conditional_write::Record {
        via: conditional_write::Via::EntityTag,
        initial_etag: None,
        etags_declared: etags,
        initial_token: None,
        outcomes: vec![outcome],
    }
}

#[test]
fn if_match_star_creating_a_resource_is_an_error_even_unlisted() {
    let canon = canon(&[]);
    // Refused: nothing to report, and no ETag needed.
    let refused = star_record(missing_star(412, Some(false), None), false);
    assert!(conditional_write::judge(&refused, &canon).is_empty());
    let unlisted_refusal = star_record(missing_star(404, None, None), false);
    assert!(conditional_write::judge(&unlisted_refusal, &canon).is_empty());
    // Created, though the collection cannot be listed: a 201, or a read that holds the body.
    for created in [
        missing_star(201, None, None),
        missing_star(200, None, Some(json!({"id": "b", "name": "x"}))),
        missing_star(204, Some(true), None),
    ] {
        let found = conditional_write::judge(&star_record(created, false), &canon);
        assert_eq!(rules(&found), ["if-match-star-created"]);
        assert_eq!(found[0].cause.as_deref(), Some(IF_MATCH_IGNORED));
    }
    // A 200 that created nothing one can see is a status finding, not a creation.
    let echo = star_record(missing_star(200, None, Some(json!({"echo": true}))), false);
    assert_eq!(rules(&conditional_write::judge(&echo, &canon)), ["not-412"]);
    // No ETag is a finding only where the scenario declares ETags.
    let declared = star_record(missing_star(412, Some(false), None), true);
    assert_eq!(
        rules(&conditional_write::judge(&declared, &canon)),
        ["no-etag"]
    );
}

// ---- etag-stability: a same-length change ---------------------------------------------------

fn read(tag: &str, body: serde_json::Value) -> Exchange {
    exchange(Method::Get, URL, 200, Some(body), &[("etag", tag)])
}

#[test]
fn etag_stability_flags_a_strong_tag_kept_across_a_same_length_change() {
    let (a, b, c) = (json!({"n": 1}), json!({"n": 22}), json!({"n": 33}));
    let record = |tags: [&str; 5]| etag_stability::Record {
        reads: vec![
            read(tags[0], a.clone()),
            read(tags[1], a.clone()),
            read(tags[2], a.clone()),
            read(tags[3], b.clone()),
            read(tags[4], c.clone()),
        ],
    };
    let content = ["\"1\"", "\"1\"", "\"1\"", "\"2\"", "\"3\""];
    assert!(etag_stability::judge(&record(content)).is_empty());
    // mtime-size: the size changed with B, not with C (same length, same second).
    let mtime_size = ["\"a-7\"", "\"a-7\"", "\"a-7\"", "\"a-8\"", "\"a-8\""];
    let found = etag_stability::judge(&record(mtime_size));
    assert_eq!(rules(&found), ["unchanged-after-change"]);
}

/// A scenario from its text.
fn load(text: &str) -> crate::scenario::Scenario {
    let env = crate::env::EnvSnapshot::from_pairs::<&str, &str>([]);
    load_str(std::path::Path::new("s.toml"), text, &env).expect("a valid scenario")
}

#[test]
fn a_same_length_variant_differs_in_content_only() {
    let scenario = load(
        r#"
[resources.things]
collection = "/things"
item = "/things/{id}"
[resources.things.body]
name = { gen = "string", min_len = 1, max_len = 20 }
color = { gen = "one_of", values = ["red", "green", "blue"] }
size = { gen = "int", min = 1, max = 100 }
fixed = "x"
"#,
    );
    let template = &scenario.resources[0].body;
    for seed in 0..50 {
        let mut generator = BodyGenerator::new(seed);
        let body = generator.generate(template);
        let variant = etag_stability::same_length_variant(&mut generator, template, &body)
            .expect("a variant");
        assert_ne!(variant, body);
        assert_eq!(variant.to_string().len(), body.to_string().len());
        assert_eq!(variant["fixed"], "x");
    }
    let literal = load(
        "[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\n[resources.t.body]\nfixed = \"x\"\n",
    );
    let template = &literal.resources[0].body;
    let mut generator = BodyGenerator::new(1);
    let body = generator.generate(template);
    assert_eq!(
        etag_stability::same_length_variant(&mut generator, template, &body),
        None
    );
}

// ---- head-parity: the 404s ------------------------------------------------------------------

fn with_content(mut exchange: Exchange, bytes: usize) -> Exchange {
    exchange.response.body_len = bytes;
    exchange
}

#[test]
fn head_parity_flags_content_after_a_404_head() {
    let get = exchange(Method::Get, URL, 200, Some(json!({"a": 1})), &[]);
    let head = exchange(Method::Head, URL, 200, None, &[]);
    let missing = |head_bytes| Pair {
        get: exchange(Method::Get, URL, 404, Some(json!({"error": "x"})), &[]),
        head: with_content(exchange(Method::Head, URL, 404, None, &[]), head_bytes),
    };
    let options = HeadParityOptions::default();
    let record = |missing| head_parity::Record {
        get: get.clone(),
        head: head.clone(),
        missing: Some(missing),
    };
    assert!(head_parity::judge(&record(missing(0)), &options).is_empty());
    let found = head_parity::judge(&record(missing(17)), &options);
    assert_eq!(rules(&found), ["head-content"]);
    assert!(found[0].observed.contains("answered 404, then 17 bytes"));
    // A 404 HEAD where GET answers 404 too is parity; another status is not.
    let mut refused = missing(0);
    refused.head.response.status = 405;
    let found = head_parity::judge(&record(refused), &options);
    assert_eq!(rules(&found), ["status-mismatch"]);
}

// ---- repeat-delete: look-alike canaries -----------------------------------------------------

fn look_alike_record(before: &[&str], after: &[&str]) -> repeat_delete::Record {
    use repeat_delete::{LookAlike, Resemblance};
    let listing = |ids: &[&str]| collection(ids.iter().map(|id| json!({"id": id})).collect());
    repeat_delete::Record {
        target_id: "run-c1-2".into(),
        // The case's canaries: a plain one and the look-alikes (as `execute` records them).
        canary_ids: ["run-c1-1", "run-c1-2-3", "RUN-C1-2"]
            .map(String::from)
            .to_vec(),
        collection_before: listing(before),
        first_delete: exchange(Method::Delete, URL, 204, None, &[]),
        second_delete: exchange(Method::Delete, URL, 404, None, &[]),
        item_after: item(404, json!({})),
        collection_after: listing(after),
        look_alikes: vec![
            LookAlike {
                id: "run-c1-2-3".into(),
                resemblance: Resemblance::Extends,
            },
            LookAlike {
                id: "RUN-C1-2".into(),
                resemblance: Resemblance::OtherCase,
            },
        ],
    }
}

#[test]
fn repeat_delete_flags_a_delete_that_removes_look_alikes_once() {
    let judge = |record: &repeat_delete::Record| {
        repeat_delete::judge(
            record,
            &canon(&[]),
            &repeat_delete::RepeatDeleteOptions::default(),
            &crate::checks::testing::id_field(),
        )
    };
    let all = ["run-c1-1", "run-c1-2", "run-c1-2-3", "RUN-C1-2"];
    let exact = judge(&look_alike_record(
        &all,
        &["run-c1-1", "run-c1-2-3", "RUN-C1-2"],
    ));
    assert!(exact.is_empty(), "{exact:?}");
    let prefix = judge(&look_alike_record(&all, &["run-c1-1", "RUN-C1-2"]));
    assert_eq!(
        rules(&prefix),
        ["look-alike-removed"],
        "and no collateral-change"
    );
    assert!(
        prefix[0]
            .observed
            .contains("run-c1-2-3 (extends the target's id)")
    );
    let any_case = judge(&look_alike_record(&all, &["run-c1-1"]));
    assert_eq!(rules(&any_case), ["look-alike-removed"]);
    assert!(
        any_case[0]
            .observed
            .contains("RUN-C1-2 (the target's id in other case)")
    );
    // Case-insensitive ids: the other-case PUT wrote the target, listed once under either
    // spelling. One resource, so its DELETE removing both spellings is no finding.
    for listed in ["run-c1-2", "RUN-C1-2"] {
        let one = ["run-c1-1", listed, "run-c1-2-3"];
        let found = judge(&look_alike_record(&one, &["run-c1-1", "run-c1-2-3"]));
        assert!(found.is_empty(), "{listed}: {found:?}");
    }
    // A look-alike the listing never showed is not judged.
    let unlisted = judge(&look_alike_record(&["run-c1-1", "run-c1-2"], &["run-c1-1"]));
    assert!(unlisted.is_empty(), "{unlisted:?}");
    // Another canary removed is still collateral.
    let other = judge(&look_alike_record(&all, &["run-c1-2-3", "RUN-C1-2"]));
    assert_eq!(rules(&other), ["collateral-change"]);
}
