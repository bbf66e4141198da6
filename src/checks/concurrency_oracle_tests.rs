//! Unit tests of the concurrency, lost-response and conditional-request oracles: each passes a
//! record of correct behaviour and flags the record of the bug it exists to catch, with the
//! severity its RFC keyword gives.

use serde_json::{Value, json};

use crate::checks::conditional_write::{Outcome, Probe, State};
use crate::checks::testing::{canon, collection, exchange, id_field, item};
use crate::checks::*;
use crate::model::exchange::Exchange;
use crate::model::exchange::Method::{Delete, Get, Post, Put};
use crate::model::findings::Severity;
use crate::model::violation::Violation;
use crate::scenario::IdempotencyKey;

/// The severities of `found`; also asserts that every violation names its rule (a stable
/// slug: the baseline fingerprint depends on it).
fn severities(found: &[Violation]) -> Vec<Severity> {
    for v in found {
        assert!(
            !v.rule.is_empty()
                && v.rule
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "violation `{}` has no stable rule slug: {:?}",
            v.title,
            v.rule
        );
    }
    found.iter().map(|v| v.severity).collect()
}

/// The rules table of docs/checks.md, which lists every rule slug.
const CHECKS_DOC: &str = include_str!("../../docs/checks.md");

/// The rule slugs of `found`, in order; asserts that docs/checks.md lists each.
fn rules(found: &[Violation]) -> Vec<&str> {
    for v in found {
        assert!(
            CHECKS_DOC.contains(&format!("`{}`", v.rule)),
            "docs/checks.md does not list the rule `{}`",
            v.rule
        );
    }
    found.iter().map(|v| v.rule.as_str()).collect()
}

fn titles(found: &[Violation]) -> String {
    found
        .iter()
        .map(|v| v.title.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

const URL: &str = "http://h/things/a";
const COLLECTION: &str = "http://h/things";

fn puts(statuses: &[u16]) -> Vec<Exchange> {
    statuses
        .iter()
        .map(|s| exchange(Put, URL, *s, None, &[]))
        .collect()
}

// ---- concurrent-put -------------------------------------------------------------------------

fn concurrent_put_record(rows: usize, creating: &[u16]) -> concurrent_put::Record {
    let thing = json!({"id": "a", "n": 1, "updatedAt": "t1"});
    concurrent_put::Record {
        id: "a".into(),
        creating: puts(creating),
        item_after_create: item(200, thing.clone()),
        collection_after_create: collection(vec![thing.clone(); rows]),
        reference_id: "r".into(),
        reference: item(200, json!({"id": "r", "n": 1, "updatedAt": "t0"})),
        members: vec!["n".into()],
        replacing: puts(&[200, 200]),
        item_after_replace: item(200, json!({"id": "a", "n": 1, "updatedAt": "t2"})),
        collection_after_replace: collection(vec![thing; rows]),
    }
}

#[test]
fn concurrent_put_flags_duplicate_rows_and_repeated_201s() {
    let canon = canon(&["/updatedAt"]);
    let clean = concurrent_put_record(1, &[201, 200, 200]);
    assert!(concurrent_put::judge(&clean, &canon, &id_field()).is_empty());
    let raced = concurrent_put_record(3, &[201, 201, 201]);
    let found = concurrent_put::judge(&raced, &canon, &id_field());
    assert_eq!(
        severities(&found),
        vec![Severity::Error, Severity::Info],
        "{}",
        titles(&found)
    );
    assert!(found[0].title.contains("created 3 resources"));
    assert!(found[1].title.contains("3 of 3"));
    // The rule never carries the counts: the fingerprint is the same whatever the race did.
    assert_eq!(rules(&found), ["duplicate-rows", "created-twice"]);
}

#[test]
fn concurrent_put_compares_with_one_put_and_judges_the_replacing_round() {
    let canon = canon(&["/updatedAt"]);
    let mut record = concurrent_put_record(1, &[201, 200]);
    record.item_after_create = item(200, json!({"id": "a", "n": 2}));
    record.item_after_replace = item(200, json!({"id": "a", "n": 2}));
    record.replacing = puts(&[201, 500]);
    let found = concurrent_put::judge(&record, &canon, &id_field());
    assert_eq!(
        severities(&found),
        vec![Severity::Warning, Severity::Error, Severity::Error],
        "{}",
        titles(&found)
    );
    assert!(
        found[1]
            .diff
            .as_deref()
            .is_some_and(|d| d.contains("\"n\": 2"))
    );
    assert!(found[2].title.contains("existing resource answered 201"));
}

#[test]
fn concurrent_put_that_never_succeeded_is_one_warning() {
    let record = concurrent_put_record(0, &[503, 503]);
    let found = concurrent_put::judge(&record, &canon(&[]), &id_field());
    assert_eq!(severities(&found), vec![Severity::Warning]);
}

// ---- concurrent-post-key --------------------------------------------------------------------

fn key() -> IdempotencyKey {
    IdempotencyKey::new("Idempotency-Key")
}

fn created(status: u16, location: &str) -> Exchange {
    exchange(Post, COLLECTION, status, None, &[("location", location)])
}

fn post_key_record(answers: Vec<Exchange>, created_ids: &[&str]) -> concurrent_post_key::Record {
    concurrent_post_key::Record {
        key: key(),
        answers,
        settled: vec![created(201, "/things/s1")],
        created: Some(created_ids.iter().map(|s| s.to_string()).collect()),
    }
}

#[test]
fn concurrent_post_key_accepts_replays_and_in_flight_answers() {
    let clean = post_key_record(
        vec![
            created(201, "/things/s1"),
            exchange(Post, COLLECTION, 409, None, &[]),
            created(201, "/things/s1"),
        ],
        &["s1"],
    );
    assert!(concurrent_post_key::judge(&clean).is_empty());
}

#[test]
fn concurrent_post_key_flags_every_post_running() {
    let raced = post_key_record(
        vec![created(201, "/things/s1"), created(201, "/things/s2")],
        &["s1", "s2"],
    );
    let found = concurrent_post_key::judge(&raced);
    assert_eq!(
        severities(&found),
        vec![Severity::Error, Severity::Warning],
        "{}",
        titles(&found)
    );
    assert!(found[0].title.contains("created 2 resources"));
    assert!(found[1].title.contains("1 of 2"));
}

#[test]
fn concurrent_post_key_replay_of_errors_follows_the_declaration() {
    let failing = |replays_errors: bool| {
        let mut record = post_key_record(
            vec![
                exchange(Post, COLLECTION, 201, None, &[]),
                exchange(Post, COLLECTION, 400, None, &[]),
            ],
            &["s1"],
        );
        record.key.replays_errors = replays_errors;
        record.settled = vec![exchange(Post, COLLECTION, 400, None, &[])];
        concurrent_post_key::judge(&record)
    };
    assert_eq!(severities(&failing(true)), vec![Severity::Warning]);
    assert!(failing(false).is_empty());
}

#[test]
fn concurrent_post_key_still_in_flight_after_all_answered_is_a_warning() {
    let mut record = post_key_record(vec![created(201, "/things/s1")], &["s1"]);
    record.settled = vec![exchange(Post, COLLECTION, 409, None, &[]); 6];
    let found = concurrent_post_key::judge(&record);
    assert_eq!(severities(&found), vec![Severity::Warning]);
    assert!(found[0].title.contains("in flight"));
}

// ---- lost-response-retry --------------------------------------------------------------------

fn put_retry(id: &str, retry_status: u16, after: Value) -> lost_response_retry::PutRetry {
    lost_response_retry::PutRetry {
        id: id.into(),
        retry: exchange(Put, URL, retry_status, None, &[]),
        after: item(200, after),
    }
}

fn put_retries(rows: &[&str], in_flight: Value) -> lost_response_retry::PutRetries {
    lost_response_retry::PutRetries {
        lost: put_retry("a", 200, json!({"id": "a", "n": 1})),
        in_flight: put_retry("b", 200, in_flight),
        reference_id: "r".into(),
        reference: item(200, json!({"id": "r", "n": 1})),
        members: vec!["n".into()],
        collection: collection(rows.iter().map(|id| json!({"id": id})).collect()),
    }
}

#[test]
fn lost_response_retry_flags_a_duplicate_row_and_a_doubled_state() {
    let clean = lost_response_retry::Record {
        put: Some(put_retries(&["a", "b", "r"], json!({"id": "b", "n": 1}))),
        post: None,
    };
    assert!(lost_response_retry::judge(&clean, &canon(&[]), &id_field()).is_empty());
    let raced = lost_response_retry::Record {
        put: Some(put_retries(
            &["a", "b", "b", "r"],
            json!({"id": "b", "n": 2}),
        )),
        post: None,
    };
    let found = lost_response_retry::judge(&raced, &canon(&[]), &id_field());
    assert_eq!(
        severities(&found),
        vec![Severity::Error, Severity::Error],
        "{}",
        titles(&found)
    );
    assert!(found[0].title.contains("in flight created 2 resources"));
    assert_eq!(
        rules(&found),
        ["put-in-flight-duplicate", "put-in-flight-state-differs"]
    );
}

fn post_retry(created: &[&str], orphans: &[&str], last: u16) -> lost_response_retry::PostRetry {
    lost_response_retry::PostRetry {
        retries: vec![exchange(Post, COLLECTION, last, None, &[])],
        created: Some(created.iter().map(|s| s.to_string()).collect()),
        orphans: orphans.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn lost_response_retry_with_a_key_must_create_exactly_one() {
    let record = |in_flight| lost_response_retry::Record {
        put: None,
        post: Some(lost_response_retry::PostRetries {
            key: Some(key()),
            lost: post_retry(&["s1"], &[], 201),
            in_flight: Some(in_flight),
        }),
    };
    let clean = record(post_retry(&["s2"], &[], 201));
    assert!(lost_response_retry::judge(&clean, &canon(&[]), &id_field()).is_empty());
    let late_commit = record(post_retry(&["s2", "s3"], &["s2"], 201));
    let found = lost_response_retry::judge(&late_commit, &canon(&[]), &id_field());
    assert_eq!(severities(&found), vec![Severity::Error]);
    assert!(found[0].title.contains("while the first was in flight"));
    assert!(found[0].observed.contains("left behind"));
    assert_eq!(rules(&found), ["keyed-post-in-flight-duplicate"]);
    let stuck = record(post_retry(&["s2"], &[], 409));
    let found = lost_response_retry::judge(&stuck, &canon(&[]), &id_field());
    assert_eq!(severities(&found), vec![Severity::Warning]);
    assert_eq!(rules(&found), ["keyed-post-in-flight-still-in-flight"]);
}

#[test]
fn lost_response_retry_without_a_key_reports_the_duplicate_as_info() {
    let record = lost_response_retry::Record {
        put: None,
        post: Some(lost_response_retry::PostRetries {
            key: None,
            lost: post_retry(&["s1", "s2"], &["s1"], 201),
            in_flight: None,
        }),
    };
    let found = lost_response_retry::judge(&record, &canon(&[]), &id_field());
    assert_eq!(
        severities(&found),
        vec![Severity::Info],
        "POST is not idempotent: a duplicate without a key is allowed"
    );
    assert!(found[0].title.contains("without an Idempotency-Key"));
    assert_eq!(rules(&found), ["unkeyed-post-lost-duplicate"]);
}

// ---- conditional-write ----------------------------------------------------------------------

fn state(n: i64, listed: bool) -> State {
    State {
        item: Some(item(200, json!({"id": "a", "n": n}))),
        listed: Some(listed),
    }
}

/// A probe answered `status`; `applied` says whether the state changed.
fn outcome(probe: Probe, status: u16, applied: bool) -> Outcome {
    let method = match probe {
        Probe::StaleDelete
        | Probe::CurrentDelete
        | Probe::TokenStaleDelete
        | Probe::TokenCurrentDelete => Delete,
        _ => Put,
    };
    let (before, after) = match (probe, applied) {
        (Probe::MissingStar, applied) => (
            State {
                item: None,
                listed: Some(false),
            },
            State {
                item: None,
                listed: Some(applied),
            },
        ),
        (
            Probe::StaleDelete
            | Probe::CurrentDelete
            | Probe::TokenStaleDelete
            | Probe::TokenCurrentDelete,
            true,
        ) => (
            state(1, true),
            State {
                item: Some(item(404, json!({}))),
                listed: Some(false),
            },
        ),
        (_, true) => (state(1, true), state(2, true)),
        (_, false) => (state(1, true), state(1, true)),
    };
    Outcome {
        probe,
        exchange: exchange(method, URL, status, None, &[]),
        body: Some(json!({"n": 2})),
        before,
        after,
        moot: false,
    }
}

fn conditional_record(outcomes: Vec<Outcome>) -> conditional_write::Record {
    conditional_write::Record {
        via: conditional_write::Via::EntityTag,
        initial_etag: Some("\"abc\"".into()),
        etags_declared: true,
        initial_token: None,
        outcomes,
    }
}

/// A clean server's answers, with `bugged` probes applied (and answered 200/204 instead).
fn probes(bugged: &[Probe]) -> Vec<Outcome> {
    use Probe::*;
    let mut outcomes = vec![outcome(CurrentPut, 200, true)];
    for probe in [StalePut, WeakPut, CreateOnlyPut, MissingStar, StaleDelete] {
        let applied = bugged.contains(&probe);
        let status = match (probe, applied) {
            (StaleDelete, true) => 204,
            (MissingStar, true) => 201,
            (_, true) => 200,
            _ => 412,
        };
        outcomes.push(outcome(probe, status, applied));
    }
    if !bugged.contains(&StaleDelete) {
        outcomes.push(outcome(CurrentDelete, 204, true));
    }
    outcomes
}

#[test]
fn conditional_write_passes_a_server_that_honours_preconditions() {
    let found = conditional_write::judge(&conditional_record(probes(&[])), &canon(&[]));
    assert!(found.is_empty(), "{}", titles(&found));
}

#[test]
fn conditional_write_does_not_blame_a_probe_for_a_resource_another_hand_removed() {
    // The resource vanished between the reads around a refused PUT, or around a DELETE that
    // found nothing (404): another case's DELETE removed it on a server that deletes
    // neighbours (repeat-delete reports that). The probe's precondition changed nothing.
    let gone = || State {
        item: Some(item(404, json!({}))),
        listed: Some(false),
    };
    let mut put = outcome(Probe::CreateOnlyPut, 412, false);
    put.after = gone();
    let mut delete = outcome(Probe::StaleDelete, 404, false);
    delete.after = gone();
    let mut current = outcome(Probe::CurrentDelete, 404, false);
    current.after = gone();
    let records = conditional_record(vec![put, delete, current]);
    let found = conditional_write::judge(&records, &canon(&[]));
    assert!(found.is_empty(), "{}", titles(&found));
    // Nor is the case a pass: it observed nothing of the probes' effect.
    let why = conditional_write::vanished_during(&records).unwrap_or_default();
    assert!(why.contains("something else"), "{why}");
    let kept = conditional_record(probes(&[]));
    assert_eq!(conditional_write::vanished_during(&kept), None);
    // A stale DELETE that answered 2xx and removed it is still its own doing.
    let applied = outcome(Probe::StaleDelete, 204, true);
    let found = conditional_write::judge(&conditional_record(vec![applied]), &canon(&[]));
    assert_eq!(
        rules(&found),
        ["stale-delete-applied"],
        "{}",
        titles(&found)
    );
}

#[test]
fn conditional_write_collapses_an_ignored_if_match_into_one_finding() {
    use Probe::*;
    let record = conditional_record(probes(&[StalePut, WeakPut, MissingStar, StaleDelete]));
    let found = conditional_write::judge(&record, &canon(&[]));
    assert_eq!(
        severities(&found),
        vec![Severity::Error],
        "{}",
        titles(&found)
    );
    assert!(found[0].title.contains("ignores If-Match"));
    assert_eq!(rules(&found), ["ignores-if-match"]);
    assert!(found[0].observed.contains("stale If-Match"));
    assert!(found[0].diff.is_some());
}

#[test]
fn conditional_write_collapses_ignoring_every_header() {
    use Probe::*;
    let record = conditional_record(probes(&[
        StalePut,
        WeakPut,
        CreateOnlyPut,
        MissingStar,
        StaleDelete,
    ]));
    let found = conditional_write::judge(&record, &canon(&[]));
    assert_eq!(
        severities(&found),
        vec![Severity::Error],
        "{}",
        titles(&found)
    );
    assert!(
        found[0]
            .title
            .contains("ignores conditional request headers")
    );
}

#[test]
fn conditional_write_names_a_single_weakness() {
    let weak = conditional_record(probes(&[Probe::WeakPut]));
    let found = conditional_write::judge(&weak, &canon(&[]));
    assert_eq!(severities(&found), vec![Severity::Error]);
    assert!(found[0].title.contains("weak entity tag"));
    assert_eq!(rules(&found), ["weak-etag-matched"]);
    let create_only = conditional_record(probes(&[Probe::CreateOnlyPut]));
    let found = conditional_write::judge(&create_only, &canon(&[]));
    assert_eq!(severities(&found), vec![Severity::Error]);
    assert!(found[0].title.contains("If-None-Match: * overwrote"));
    assert_eq!(rules(&found), ["if-none-match-overwrote"]);
}

#[test]
fn conditional_write_judges_status_only_deviations_as_warnings() {
    let mut outcomes = probes(&[]);
    outcomes[1].exchange.response.status = 409;
    outcomes.push(outcome(Probe::Unconditional, 400, false));
    let found = conditional_write::judge(&conditional_record(outcomes), &canon(&[]));
    assert_eq!(
        severities(&found),
        vec![Severity::Warning, Severity::Warning],
        "{}",
        titles(&found)
    );
    assert!(found[1].title.contains("428"));
    let applied = vec![outcome(Probe::Unconditional, 200, true)];
    let found = conditional_write::judge(&conditional_record(applied), &canon(&[]));
    assert_eq!(severities(&found), vec![Severity::Error]);
    assert!(found[0].title.contains("requires preconditions"));
}

#[test]
fn conditional_write_flags_a_refused_current_etag() {
    let outcomes = vec![
        outcome(Probe::CurrentPut, 412, false),
        outcome(Probe::CurrentDelete, 412, false),
    ];
    let found = conditional_write::judge(&conditional_record(outcomes), &canon(&[]));
    assert_eq!(severities(&found), vec![Severity::Error, Severity::Error]);
}

#[test]
fn conditional_write_without_a_usable_etag_is_one_finding() {
    let missing = conditional_write::Record {
        via: conditional_write::Via::EntityTag,
        initial_token: None,
        initial_etag: None,
        etags_declared: true,
        outcomes: Vec::new(),
    };
    assert_eq!(
        severities(&conditional_write::judge(&missing, &canon(&[]))),
        vec![Severity::Warning]
    );
    let weak = conditional_write::Record {
        via: conditional_write::Via::EntityTag,
        initial_token: None,
        initial_etag: Some("W/\"abc\"".into()),
        etags_declared: true,
        outcomes: vec![outcome(Probe::WeakPut, 412, false)],
    };
    assert_eq!(
        severities(&conditional_write::judge(&weak, &canon(&[]))),
        vec![Severity::Info]
    );
}

// ---- lost-update ----------------------------------------------------------------------------

fn lost_update_record(statuses: [u16; 2], final_n: i64) -> lost_update::Record {
    lost_update::Record {
        via: conditional_write::Via::EntityTag,
        token: None,
        etag: Some("\"e0\"".into()),
        writes: Some(lost_update::Writes {
            bodies: [json!({"n": 1}), json!({"n": 2})],
            exchanges: puts(&statuses),
            after: item(200, json!({"id": "a", "n": final_n})),
        }),
    }
}

#[test]
fn lost_update_wants_one_winner_and_its_state() {
    let canon = canon(&[]);
    assert!(lost_update::judge(&lost_update_record([200, 412], 1), &canon).is_empty());
    assert!(lost_update::judge(&lost_update_record([412, 200], 2), &canon).is_empty());
    let both = lost_update::judge(&lost_update_record([200, 200], 2), &canon);
    assert_eq!(severities(&both), vec![Severity::Error]);
    assert!(both[0].title.contains("lost"));
    let wrong = lost_update::judge(&lost_update_record([200, 409], 2), &canon);
    assert_eq!(
        severities(&wrong),
        vec![Severity::Error, Severity::Warning],
        "{}",
        titles(&wrong)
    );
    let neither = lost_update::judge(&lost_update_record([412, 412], 0), &canon);
    assert_eq!(severities(&neither), vec![Severity::Warning]);
}

#[test]
fn lost_update_without_a_strong_etag_is_not_judged() {
    for (etag, severity) in [
        (None, Severity::Warning),
        (Some("nope"), Severity::Warning),
        (Some("W/\"x\""), Severity::Info),
    ] {
        let record = lost_update::Record {
            via: conditional_write::Via::EntityTag,
            token: None,
            etag: etag.map(str::to_string),
            writes: None,
        };
        assert_eq!(
            severities(&lost_update::judge(&record, &canon(&[]))),
            vec![severity]
        );
    }
}

#[test]
fn lost_update_with_version_tokens_accepts_409_and_catches_both_succeeding() {
    let canon = canon(&[]);
    let tokens = |statuses: [u16; 2], final_n: i64| lost_update::Record {
        via: conditional_write::Via::VersionToken {
            member: "/_rev".into(),
        },
        token: Some(json!("1-a")),
        ..lost_update_record(statuses, final_n)
    };
    assert!(lost_update::judge(&tokens([200, 409], 1), &canon).is_empty());
    assert!(lost_update::judge(&tokens([412, 200], 2), &canon).is_empty());
    let both = lost_update::judge(&tokens([200, 200], 2), &canon);
    assert_eq!(rules(&both), ["both-succeeded"]);
    assert!(both[0].title.contains("same version token"));
    assert_eq!(
        both[0].cause.as_deref(),
        Some(conditional_write::VERSION_TOKEN_IGNORED)
    );
    let wrong = lost_update::judge(&tokens([200, 400], 1), &canon);
    assert_eq!(rules(&wrong), ["loser-not-412"]);
    let missing = lost_update::Record {
        token: None,
        writes: None,
        ..tokens([200, 409], 1)
    };
    assert_eq!(
        rules(&lost_update::judge(&missing, &canon)),
        ["no-version-token"]
    );
}

/// A token resource's probes: the current ones succeed; `stale` ones answered `status`, and
/// applied when `applied`.
fn token_record(status: u16, applied: bool) -> conditional_write::Record {
    use Probe::*;
    let mut outcomes = vec![outcome(TokenCurrentPut, 200, true)];
    for probe in [TokenStalePut, TokenStaleDelete] {
        outcomes.push(outcome(probe, status, applied));
    }
    outcomes.push(outcome(TokenCurrentDelete, 200, true));
    conditional_write::Record {
        via: conditional_write::Via::VersionToken {
            member: "/_rev".into(),
        },
        initial_etag: None,
        etags_declared: false,
        initial_token: Some(json!("1-a")),
        outcomes,
    }
}

#[test]
fn conditional_write_with_version_tokens_accepts_409_or_412_for_a_stale_token() {
    for status in [409, 412] {
        let found = conditional_write::judge(&token_record(status, false), &canon(&[]));
        assert!(found.is_empty(), "{status}: {}", titles(&found));
    }
    let found = conditional_write::judge(&token_record(400, false), &canon(&[]));
    assert_eq!(rules(&found), ["not-412"]);
    let ignored = conditional_write::judge(&token_record(200, true), &canon(&[]));
    assert_eq!(rules(&ignored), ["ignores-version-token"]);
    assert_eq!(severities(&ignored), vec![Severity::Error]);
    assert_eq!(
        ignored[0].cause.as_deref(),
        Some(conditional_write::VERSION_TOKEN_IGNORED)
    );
    let no_token = conditional_write::Record {
        initial_token: None,
        outcomes: Vec::new(),
        ..token_record(409, false)
    };
    assert_eq!(
        rules(&conditional_write::judge(&no_token, &canon(&[]))),
        ["no-version-token"]
    );
}

#[test]
fn conditional_write_judges_a_moot_precondition_by_state_only() {
    // With a version token, the stale If-Match goes with the stale token: CouchDB's 409 is the
    // failed precondition (RFC 9110 §13.2.1), not a not-412 deviation.
    let mut outcomes = probes(&[]);
    outcomes[1].exchange.response.status = 409;
    outcomes[1].moot = true;
    let found = conditional_write::judge(&conditional_record(outcomes), &canon(&[]));
    assert!(found.is_empty(), "{}", titles(&found));
}

// ---- etag-stability -------------------------------------------------------------------------

fn read(etag: &str, body: Value) -> Exchange {
    exchange(Get, URL, 200, Some(body), &[("etag", etag)])
}

#[test]
fn etag_stability_warns_on_churn_and_flags_malformed_or_stuck_tags() {
    let a = json!({"id": "a", "n": 1});
    let b = json!({"id": "a", "n": 2});
    let record = |tags: [&str; 4]| etag_stability::Record {
        reads: vec![
            read(tags[0], a.clone()),
            read(tags[1], a.clone()),
            read(tags[2], a.clone()),
            read(tags[3], b.clone()),
        ],
    };
    assert!(etag_stability::judge(&record(["\"1\"", "\"1\"", "\"1\"", "\"2\""])).is_empty());
    let churn = etag_stability::judge(&record(["\"1\"", "\"2\"", "\"3\"", "\"4\""]));
    assert_eq!(severities(&churn), vec![Severity::Warning]);
    let malformed = etag_stability::judge(&record(["abc", "abc", "abc", "abd"]));
    assert_eq!(severities(&malformed), vec![Severity::Error]);
    assert!(malformed[0].observed.contains("ETag: abc"));
    let stuck = etag_stability::judge(&record(["\"1\"", "\"1\"", "\"1\"", "\"1\""]));
    assert_eq!(severities(&stuck), vec![Severity::Error]);
    assert!(stuck[0].title.contains("kept its strong ETag"));
    // A weak tag may stay the same across a change.
    assert!(etag_stability::judge(&record(["W/\"1\""; 4])).is_empty());
}

// ---- post-put-creation ----------------------------------------------------------------------

fn filled(retry_status: u16, publications: i64) -> post_put_creation::Filled {
    let after = |n: i64| item(200, json!({"id": "s1", "title": "t", "publications": n}));
    post_put_creation::Filled {
        empty: item(200, json!({"id": "s1", "publications": 0})),
        members: vec!["title".into()],
        put: exchange(Put, URL, 200, None, &[]),
        after_put: after(1),
        collection_after_put: collection(vec![json!({"id": "s1"})]),
        retried: Some(post_put_creation::Retried {
            retry: exchange(Put, URL, retry_status, None, &[]),
            after_retry: after(publications),
            collection_after_retry: collection(vec![json!({"id": "s1"})]),
        }),
    }
}

fn post_put_record(filled: Option<post_put_creation::Filled>) -> post_put_creation::Record {
    post_put_creation::Record {
        post: exchange(Post, COLLECTION, 201, None, &[("location", "/things/s1")]),
        filled,
        unadopted: None,
    }
}

#[test]
fn post_put_creation_wants_an_idempotent_filling_put() {
    let canon = canon(&[]);
    assert!(post_put_creation::judge(&post_put_record(Some(filled(200, 1))), &canon).is_empty());
    let republished = post_put_creation::judge(&post_put_record(Some(filled(200, 3))), &canon);
    assert_eq!(severities(&republished), vec![Severity::Error]);
    assert!(
        republished[0]
            .diff
            .as_deref()
            .is_some_and(|d| d.contains("3"))
    );
    let created = post_put_creation::judge(&post_put_record(Some(filled(201, 1))), &canon);
    assert_eq!(severities(&created), vec![Severity::Error]);
    assert_eq!(rules(&created), ["retry-201"]);
    // Behind a proxy the lost-response retry is not sent, and nothing about it is judged.
    let mut proxied = filled(201, 3);
    proxied.retried = None;
    assert!(post_put_creation::judge(&post_put_record(Some(proxied)), &canon).is_empty());
}

#[test]
fn post_put_creation_checks_the_empty_post() {
    let canon = canon(&[]);
    let refused = post_put_creation::Record {
        post: exchange(Post, COLLECTION, 400, None, &[]),
        filled: None,
        unadopted: None,
    };
    assert_eq!(
        severities(&post_put_creation::judge(&refused, &canon)),
        vec![Severity::Warning]
    );
    let mut not_empty = filled(200, 1);
    not_empty.empty = item(200, json!({"id": "s1", "title": "default"}));
    let found = post_put_creation::judge(&post_put_record(Some(not_empty)), &canon);
    assert_eq!(severities(&found), vec![Severity::Warning]);
    assert!(found[0].observed.contains("title"));
    let mut unreadable = filled(200, 1);
    unreadable.empty = item(404, json!({}));
    assert_eq!(
        severities(&post_put_creation::judge(
            &post_put_record(Some(unreadable)),
            &canon
        )),
        vec![Severity::Error]
    );
}

#[test]
fn post_put_creation_judges_what_the_session_would_not_adopt_without_filling_it() {
    let canon = canon(&[]);
    let unadopted = |status, body| post_put_creation::Record {
        unadopted: Some(post_put_creation::Unadopted {
            read: item(status, body),
            members: vec!["title".to_owned()],
        }),
        ..post_put_record(None)
    };
    let defaults =
        post_put_creation::judge(&unadopted(200, json!({"id": "s1", "title": "x"})), &canon);
    assert_eq!(rules(&defaults), ["created-not-empty"]);
    assert_eq!(severities(&defaults), vec![Severity::Warning]);
    let unreadable = post_put_creation::judge(&unadopted(404, json!({})), &canon);
    assert_eq!(rules(&unreadable), ["created-unreadable"]);
    let nothing = post_put_creation::judge(&post_put_record(None), &canon);
    assert_eq!(rules(&nothing), ["post-no-id"]);
}

/// A token resource's case as it runs now: the token probes, and between its PUTs and DELETEs
/// the two `*` probes — the `If-None-Match: *` PUT without a token, so a refusal for the
/// missing token is its precondition failing (`moot`).
fn token_record_with_stars(create_only: u16, created: bool) -> conditional_write::Record {
    use Probe::*;
    let mut record = token_record(409, false);
    let mut overwrite = outcome(CreateOnlyPut, create_only, created);
    overwrite.moot = true;
    let at = record
        .outcomes
        .iter()
        .position(|o| o.probe == TokenStaleDelete)
        .expect("the stale DELETE");
    record.outcomes.insert(at, overwrite);
    record
        .outcomes
        .insert(at + 1, outcome(MissingStar, 409, false));
    record
}

#[test]
fn conditional_write_with_version_tokens_judges_the_star_probes_too() {
    // CouchDB refuses the overwrite without `_rev` with 409 and `If-Match: *` with 409 (400 on
    // the real server): clean.
    let clean = conditional_write::judge(&token_record_with_stars(409, false), &canon(&[]));
    assert!(clean.is_empty(), "{}", titles(&clean));
    // A store that overwrites whatever If-None-Match says is caught, and on its own cause.
    let overwrote = conditional_write::judge(&token_record_with_stars(200, true), &canon(&[]));
    assert_eq!(rules(&overwrote), ["if-none-match-overwrote"]);
    assert_eq!(overwrote[0].cause, None);
    // Stale tokens and `*` ignored alike: the token's finding keeps its cause, the headers'
    // finding lists only the header probes.
    let mut all = token_record_with_stars(200, true);
    for o in &mut all.outcomes {
        if matches!(
            o.probe,
            Probe::TokenStalePut | Probe::TokenStaleDelete | Probe::MissingStar
        ) {
            *o = outcome(o.probe, 200, true);
        }
    }
    let found = conditional_write::judge(&all, &canon(&[]));
    assert_eq!(
        rules(&found),
        ["ignores-preconditions", "ignores-version-token"]
    );
    assert!(
        !found[0].observed.contains("version token"),
        "{}",
        found[0].observed
    );
    assert_eq!(
        found[1].cause.as_deref(),
        Some(conditional_write::VERSION_TOKEN_IGNORED)
    );
}
