//! Representations end to end (issue 16, item 1): text files on WebDAV (PROPFIND listings),
//! bytes in an S3-compatible bucket (XML listings, continuation tokens, the credentials from the
//! environment), form bodies on etcd v2 (keys listed by full path). Each correct stand-in is
//! clean, with every check that makes sense for it run and passed; each planted bug is caught
//! by its check. The scenarios are the recipes of docs/recipes.md.

mod reach_support;
mod standins;
mod support;

use reach_support::{assert_caught, assert_clean, recipe, run_on};
use standins::*;
use support::{findings, result_row};

fn webdav(dav: WebDav) -> Standin {
    Standin::builder(dav)
        .seed(Seed::numbered("things", 3))
        .start()
}

/// One check against a buggy WebDAV server.
fn webdav_check(bug: WebDavBug, check: &str) -> support::Out {
    run_on(
        &webdav(WebDav::with_bug(bug)),
        &recipe("webdav"),
        &["--checks", check],
        &[],
    )
}

/// The checks that make sense for a text file on WebDAV (no POST, no members).
const FILE_CHECKS: [&str; 12] = [
    "repeat-put",
    "repeat-delete",
    "put-after-delete",
    "use-after-delete",
    "get-safety",
    "head-parity",
    "status-conformance",
    "concurrent-put",
    "lost-response-retry",
    "conditional-write",
    "lost-update",
    "etag-stability",
];

#[test]
fn text_files_on_webdav_are_compared_byte_exactly_and_pass() {
    let api = webdav(WebDav::correct());
    let out = run_on(&api, &recipe("webdav"), &[], &[]);
    let report = assert_clean(&api, &out, &FILE_CHECKS, "WebDAV, correct");
    let partial = result_row(&report, "partial-put", "files");
    assert!(
        partial["status"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("`text` body has none")),
        "{partial}"
    );
    let puts: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert!(!puts.is_empty());
    for put in &puts {
        let types: Vec<_> = put
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .collect();
        assert_eq!(
            types.len(),
            1,
            "exactly one Content-Type: {:?}",
            put.headers
        );
        assert_eq!(types[0].1, "text/plain; charset=utf-8");
        assert_eq!(
            put.body.len(),
            16,
            "sent as the text, not a JSON string: {:?}",
            put.body
        );
    }
    assert!(
        api.requests()
            .iter()
            .any(|r| r.method == "PROPFIND" && r.header("depth") == Some("1")),
        "listed with PROPFIND, Depth: 1"
    );
}

#[test]
fn a_put_that_appends_is_caught_with_a_text_diff() {
    let out = webdav_check(WebDavBug::PutAppends, "repeat-put");
    let report = assert_caught(&out, "repeat-put", "item-changed", "PutAppends");
    let finding = findings(&report)
        .iter()
        .find(|f| f["rule"] == "item-changed")
        .expect("the finding");
    let diff = finding["diff"].as_str().expect("a diff");
    assert!(
        diff.contains("\"content-length\""),
        "metadata compared: {diff}"
    );
    assert!(
        diff.contains("@@ -1 +1 @@") && diff.contains("\\ No newline at end of file"),
        "the text itself is diffed line by line, not as a JSON string: {diff}"
    );
}

#[test]
fn entity_tags_new_on_every_write_are_no_state_change() {
    // Apache and rclone make a new mtime-based tag on every write, identical rewrites included;
    // WsgiDAV's tag holds the file's inode, so two files never share one. A tag is the server's
    // validator for one resource, not state the client wrote: the checks that compare states
    // across writes, or of two resources, leave it out (etag-stability judges it).
    for (what, dav) in [
        (
            "MtimeMicrosEtag",
            WebDav::with_bug(WebDavBug::MtimeMicrosEtag),
        ),
        ("MtimeSizeEtag", WebDav::with_bug(WebDavBug::MtimeSizeEtag)),
    ] {
        let api = webdav(dav);
        let checks = "repeat-put,put-after-delete,concurrent-put,lost-response-retry";
        let out = run_on(&api, &recipe("webdav"), &["--checks", checks], &[]);
        assert_clean(
            &api,
            &out,
            &[
                "repeat-put",
                "put-after-delete",
                "concurrent-put",
                "lost-response-retry",
            ],
            what,
        );
    }
}

#[test]
fn an_mtime_size_etag_is_caught() {
    let out = webdav_check(WebDavBug::MtimeSizeEtag, "etag-stability");
    out.assert_no_panic();
    let report = out.json();
    // Same-size content within one second keeps nginx's "mtime-size" tag; identical PUTs across
    // a second boundary change it. Which of the two a run shows depends on the clock.
    let caught = findings(&report).iter().any(|f| {
        f["check"] == "etag-stability"
            && (f["rule"] == "unchanged-after-change" || f["rule"] == "churn")
    });
    assert!(caught, "MtimeSizeEtag: {}", out.context());
}

const S3_SECRET: &str = "AWS4-HMAC-SHA256 Credential=idemfuzz/20250101/us-east-1/s3/aws4_request, Signature=0123456789abcdef";

fn s3(bucket: S3) -> Standin {
    Standin::builder(bucket.authorization(S3_SECRET))
        .seed(Seed::numbered("bucket", 100))
        .start()
}

fn run_s3(api: &Standin, checks: &[&str]) -> support::Out {
    let mut extra = Vec::new();
    let list = checks.join(",");
    if !checks.is_empty() {
        extra.extend(["--checks", list.as_str()]);
    }
    run_on(
        api,
        &recipe("s3"),
        &extra,
        &[("S3_AUTHORIZATION", S3_SECRET)],
    )
}

#[test]
fn random_bytes_in_an_s3_bucket_listed_page_by_page_pass() {
    let api = s3(S3::correct());
    let out = run_s3(&api, &[]);
    let report = assert_clean(
        &api,
        &out,
        &[
            "repeat-put",
            "repeat-delete",
            "use-after-delete",
            "get-safety",
            "head-parity",
            "concurrent-put",
            "conditional-write",
            "lost-update",
            "etag-stability",
        ],
        "S3, correct",
    );
    assert!(
        !out.stdout.contains("Signature=") && !out.stderr.contains("Signature="),
        "the credentials never appear in the output"
    );
    assert!(
        api.requests()
            .iter()
            .any(|r| r.target.contains("continuation-token=")),
        "the listing was followed past its first page"
    );
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("authorization") == Some(S3_SECRET)),
        "every request carried the credentials from the environment"
    );
    let _ = report;
}

#[test]
fn an_s3_that_ignores_conditional_writes_is_caught() {
    let api = s3(S3::with_bug(S3Bug::IgnoresConditionalWrites));
    let out = run_s3(&api, &["conditional-write"]);
    assert_caught(
        &out,
        "conditional-write",
        "ignores-preconditions",
        "IgnoresConditionalWrites",
    );
}

#[test]
fn an_s3_listing_an_overwritten_key_twice_is_caught() {
    let api = s3(S3::with_bug(S3Bug::ListsOverwritesTwice));
    let out = run_s3(&api, &["repeat-put"]);
    assert_caught(
        &out,
        "repeat-put",
        "collection-changed",
        "ListsOverwritesTwice",
    );
}

fn etcd(server: Etcd) -> Standin {
    Standin::builder(server)
        .seed(Seed::numbered("idemfuzz", 3))
        .start()
}

#[test]
fn form_bodies_on_etcd_are_stored_and_listed_by_full_key() {
    let api = etcd(Etcd::correct());
    let out = run_on(&api, &recipe("etcd"), &[], &[]);
    assert_clean(
        &api,
        &out,
        &[
            "repeat-put",
            "repeat-delete",
            "put-after-delete",
            "use-after-delete",
            "get-safety",
            "head-parity",
            "status-conformance",
            "concurrent-put",
        ],
        "etcd, correct",
    );
    let puts: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert!(
        puts.iter().any(|put| put.body.starts_with(b"value=")),
        "the run wrote values"
    );
    for put in &puts {
        assert_eq!(
            put.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        // A body of the required members only (none here) is the empty form.
        assert!(
            put.body.is_empty() || put.body.starts_with(b"value="),
            "{:?}",
            put.body
        );
    }
    let state = api.state();
    let stored = state
        .list("idemfuzz")
        .into_iter()
        .filter(|(key, _)| key.starts_with("idf-"))
        .count();
    assert_eq!(stored, 0, "the run cleaned up after itself");
}

#[test]
fn a_delete_that_removes_every_key_with_the_same_prefix_is_caught() {
    let api = etcd(Etcd::with_bug(EtcdBug::DeletePrefix));
    let out = run_on(&api, &recipe("etcd"), &["--checks", "repeat-delete"], &[]);
    // The canaries created after the target are look-alikes whose ids extend the target's: the
    // keys a prefix delete removes are named as such, not as a collateral change.
    assert_caught(&out, "repeat-delete", "look-alike-removed", "DeletePrefix");
}
