//! Oracle tests of what issue 16 changed in the judges: a partial PUT whose omitted members are
//! reset to the defaults a fresh resource has is a replacement, a declared
//! `put_create_statuses` is accepted, opaque representations hold (or do not hold) what was
//! sent, and unobserved collections raise nothing.

use serde_json::json;

use crate::checks::matching::opaque_holds;
use crate::checks::put_after_delete::PutAfterDeleteOptions;
use crate::checks::testing::{canon, exchange, item};
use crate::checks::*;
use crate::model::exchange::Method::{Delete, Put};
use crate::snapshot::CollectionSnapshot;
use crate::snapshot::opaque::{Content, Opaque};

const URL: &str = "http://h/things/a";

#[test]
fn members_reset_to_defaults_were_replaced_not_merged() {
    let record = |after_b| partial_put::Record {
        omitted: vec!["color".into(), "tags".into(), "note".into()],
        client_members: ["name", "color", "tags", "note"].map(String::from).to_vec(),
        id: "1".into(),
        after_a: item(
            200,
            json!({"id": 1, "name": "x", "color": "red", "tags": ["t"], "note": ""}),
        ),
        after_b: item(200, after_b),
        after_a_again: item(
            200,
            json!({"id": 1, "name": "x", "color": "red", "tags": ["t"], "note": ""}),
        ),
        // A fresh resource given B alone: the server's defaults for what B omits.
        reference_id: "2".into(),
        reference: item(
            200,
            json!({"id": 2, "name": "x", "color": null, "tags": [], "note": ""}),
        ),
    };
    let defaults = json!({"id": 1, "name": "x", "color": null, "tags": [], "note": ""});
    assert!(partial_put::judge(&record(defaults), &canon(&[])).is_empty());
    let merged = json!({"id": 1, "name": "x", "color": "red", "tags": [], "note": ""});
    let found = partial_put::judge(&record(merged), &canon(&[]));
    assert_eq!(found.len(), 1);
    assert!(found[0].observed.contains("`color`") && !found[0].observed.contains("`note`"));
}

#[test]
fn a_declared_put_create_status_is_accepted() {
    let record = |create_statuses: Vec<u16>| put_after_delete::Record {
        client_members: vec!["name".into()],
        id: "a".into(),
        fresh_id: "f".into(),
        delete: exchange(Delete, URL, 204, None, &[]),
        put_b: exchange(Put, URL, 200, None, &[]),
        after: item(200, json!({"name": "b"})),
        reference: item(200, json!({"name": "b"})),
        create_statuses,
    };
    let options = PutAfterDeleteOptions::default();
    assert_eq!(
        put_after_delete::judge(&record(vec![201]), &canon(&[]), &options).len(),
        1
    );
    assert!(put_after_delete::judge(&record(vec![200, 201]), &canon(&[]), &options).is_empty());
    let status = |create_statuses| status_conformance::Record {
        put_create: Some(exchange(Put, URL, 200, None, &[])),
        create_statuses,
        ..status_conformance::Record::default()
    };
    assert_eq!(status_conformance::judge(&status(Vec::new())).len(), 1);
    assert!(status_conformance::judge(&status(vec![200, 201])).is_empty());
}

fn opaque(status: u16, content: Content) -> crate::snapshot::ItemSnapshot {
    let mut snapshot = item(status, json!(null));
    snapshot.opaque = Some(Opaque {
        content,
        content_type: Some("application/octet-stream".into()),
        etag: Some("\"1\"".into()),
        content_length: None,
    });
    snapshot
}

#[test]
fn opaque_representations_hold_the_bytes_sent() {
    let text = opaque(200, Content::Text("héllo".into()));
    assert_eq!(opaque_holds(&text, &json!("héllo")), Some(true));
    assert_eq!(opaque_holds(&text, &json!("hello")), Some(false));
    let bytes = opaque(200, Content::Bytes(vec![0, 0xff]));
    assert_eq!(opaque_holds(&bytes, &json!("\u{0}\u{ff}")), Some(true));
    let xml = opaque(200, Content::Text("<n><t>a&amp;b</t><p>3</p></n>".into()));
    assert_eq!(opaque_holds(&xml, &json!({"t": "a&b", "p": 3})), Some(true));
    assert_eq!(opaque_holds(&xml, &json!({"t": "c", "p": 3})), Some(false));
    assert_eq!(
        opaque_holds(&opaque(404, Content::Text(String::new())), &json!("")),
        Some(false)
    );
    assert_eq!(
        opaque_holds(&item(200, json!({"a": 1})), &json!({"a": 1})),
        None
    );
}

#[test]
fn opaque_states_compare_content_and_metadata() {
    let a = opaque(200, Content::Text("one\n".into()));
    let mut b = opaque(200, Content::Text("one\n".into()));
    assert_eq!(a.as_state(), b.as_state());
    b.opaque.as_mut().unwrap().etag = Some("\"2\"".into());
    assert_ne!(a.as_state(), b.as_state());
    let gone = opaque(404, Content::Text("<html>404</html>".into()));
    assert_eq!(gone.as_state(), json!({"status": 404, "body": null}));
}

#[test]
fn unobserved_collections_raise_no_finding() {
    let unobserved = || CollectionSnapshot::unobserved(3, 404, "the listing answered 404");
    let record = repeat_put::Record {
        repeats: 2,
        item_after_one: item(200, json!({"a": 1})),
        collection_after_one: unobserved(),
        item_after_all: item(200, json!({"a": 1})),
        collection_after_all: unobserved(),
        repeated_puts: Vec::new(),
        refused_first_put: None,
    };
    assert!(repeat_put::judge(&record, &canon(&[])).is_empty());
}
