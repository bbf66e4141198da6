//! A realistic synthetic run shared by the reporters' snapshot tests: four checks on one
//! resource (a failure with a diff, a warning, a skip, a transport error), a volatile field and
//! a resource left behind. Volatile parts (durations, version, run id) are fixed here.

use serde_json::json;

use crate::model::check::CheckId;
use crate::model::events::Event;
use crate::model::exchange::{Body, Exchange, Header, Method, RequestRecord, ResponseRecord};
use crate::model::findings::{Finding, Severity};
use crate::model::report::{
    CheckResult, CheckStatus, CleanupReport, LeftBehind, REPORT_FORMAT_VERSION, RunMoment,
    RunOutcome, RunReport, RunStats, VolatileFields,
};

const BASE: &str = "http://127.0.0.1:1234";
const SCENARIO: &str = "scenarios/items.toml";

fn header(name: &str, value: &str) -> Header {
    Header {
        name: name.into(),
        value: value.into(),
    }
}

fn response(status: u16, body: Body) -> ResponseRecord {
    ResponseRecord {
        status,
        headers: vec![header("Content-Type", "application/json")],
        body,
        body_len: 64,
        elapsed_ms: 4,
    }
}

/// The same full PUT sent twice; the second one bumps `version`.
fn repeat_put_exchanges() -> Vec<Exchange> {
    let item = json!({"name": "O'Brien's widget", "price": 5});
    let put = |seq: usize, status: u16, version: u32| Exchange {
        seq,
        purpose: format!("PUT body A ({seq} of 2)"),
        request: RequestRecord {
            method: Method::Put,
            url: format!("{BASE}/items/r-abc-1"),
            headers: vec![
                header("Authorization", "Bearer ${API_TOKEN}"),
                header("Cookie", "<redacted>"),
                header("Content-Type", "application/json"),
            ],
            body: Body::Json {
                value: item.clone(),
            },
        },
        response: response(
            status,
            Body::Json {
                value: json!({"id": "r-abc-1", "name": "O'Brien's widget", "price": 5, "version": version}),
            },
        ),
    };
    vec![put(1, 201, 1), put(2, 200, 2)]
}

const REPEAT_PUT_DIFF: &str = "\
--- snapshot after PUT 1
+++ snapshot after PUT 2
@@ -2,5 +2,5 @@
   \"id\": \"r-abc-1\",
   \"name\": \"O'Brien's widget\",
   \"price\": 5,
-  \"version\": 1
+  \"version\": 2
 }
";

fn repeat_put_finding() -> Finding {
    Finding {
        scenario: SCENARIO.into(),
        check: CheckId::RepeatPut,
        resource: "items".into(),
        severity: Severity::Error,
        rule: "item-changed".into(),
        case: 1,
        occurrences: 3,
        other_cases: vec![2, 3],
        title: "a repeated identical PUT changed the resource".into(),
        rfc: "RFC 9110 §9.2.2, §9.3.4".into(),
        oracle: "RFC 9110 — methods: Idempotent methods, PUT".into(),
        expected: "the snapshot after PUT 2 equals the snapshot after PUT 1".into(),
        observed: "/version changed from 1 to 2".into(),
        diff: Some(REPEAT_PUT_DIFF.into()),
        exchanges: repeat_put_exchanges(),
        fuzz: None,
        baseline: None,
        cause: None,
    }
}

/// GET then HEAD of the same item; HEAD drops `ETag`.
fn head_parity_exchanges() -> Vec<Exchange> {
    let request = |seq: usize, method: Method| Exchange {
        seq,
        purpose: format!("{method} the item"),
        request: RequestRecord {
            method,
            url: format!("{BASE}/items/r-abc-2"),
            headers: vec![header("Accept", "application/json")],
            body: Body::Empty,
        },
        response: response(200, Body::Empty),
    };
    vec![request(1, Method::Get), request(2, Method::Head)]
}

fn head_parity_finding() -> Finding {
    Finding {
        scenario: SCENARIO.into(),
        check: CheckId::HeadParity,
        resource: "items".into(),
        severity: Severity::Warning,
        rule: "header-mismatch/etag".into(),
        case: 1,
        occurrences: 1,
        other_cases: Vec::new(),
        title: "HEAD omits a header field that GET sends".into(),
        rfc: "RFC 9110 §9.3.2".into(),
        oracle: "RFC 9110 — methods: HEAD".into(),
        expected: "HEAD sends the header fields of GET".into(),
        observed: "GET sent ETag: \"v1\"; HEAD sent no ETag".into(),
        diff: None,
        exchanges: head_parity_exchanges(),
        fuzz: None,
        baseline: None,
        cause: None,
    }
}

fn result(check: CheckId, status: CheckStatus) -> CheckResult {
    CheckResult::new(check, "items", SCENARIO, status)
}

fn results() -> Vec<CheckResult> {
    let repeat_put = CheckResult {
        cases_run: 3,
        errors: 3,
        notes: vec!["the conditional variant did not run: the resource sends no ETag".into()],
        duration_ms: 120,
        ..result(CheckId::RepeatPut, CheckStatus::Failed)
    };
    let head_parity = CheckResult {
        cases_run: 1,
        warnings: 1,
        duration_ms: 15,
        ..result(CheckId::HeadParity, CheckStatus::Failed)
    };
    let skipped = result(
        CheckId::RepeatDelete,
        CheckStatus::Skipped {
            reason: "resource declares no DELETE".into(),
        },
    );
    let errored = CheckResult {
        cases_run: 2,
        cases_errored: 2,
        case_errors: vec![format!(
            "GET {BASE}/items/r-abc-3: connection reset by peer"
        )],
        duration_ms: 2003,
        ..result(
            CheckId::GetSafety,
            CheckStatus::Errored {
                reason: "every case hit a transport error".into(),
            },
        )
    };
    vec![repeat_put, skipped, errored, head_parity]
}

/// The complete report of the synthetic run.
pub(crate) fn sample_report() -> RunReport {
    RunReport {
        format_version: REPORT_FORMAT_VERSION,
        tool_version: "0.0.0-test".into(),
        seed: 42,
        run_id: "r-abc".into(),
        base_url: BASE.into(),
        scenarios: vec![SCENARIO.into()],
        fail_on: Severity::Error,
        outcome: RunOutcome::Completed,
        duration_ms: 2345,
        results: results(),
        findings: vec![repeat_put_finding(), head_parity_finding()],
        volatile: vec![VolatileFields {
            resource: "items".into(),
            pointers: vec!["/updated_at".into()],
        }],
        fit: vec![crate::model::fit::FitReport {
            scenario: SCENARIO.into(),
            resource: "items".into(),
            lines: vec![
                crate::model::fit::FitLine::agree(format!(
                    "create: ids chosen by the client: PUT {BASE}/items/r-abc-1 answered 201"
                )),
                crate::model::fit::FitLine::disagree(format!(
                    "listing: GET {BASE}/items answered 200 but lists none of the run's items (looked for the id at `/id` in the array at `/items`): the checks that count or compare the collection judge nothing there"
                )),
            ],
        }],
        cleanup: CleanupReport {
            deleted: 2,
            deleted_after_cases: 1,
            left_behind: vec![LeftBehind {
                url: format!("{BASE}/items/r-abc-2"),
                reason: "DELETE answered 500".into(),
            }],
        },
        stats: RunStats {
            requests: 17,
            transport_errors: 2,
            throttled: 0,
            first_failure: Some(RunMoment {
                requests: 5,
                elapsed_ms: 412,
            }),
        },
        shard: None,
        baseline: None,
    }
}

/// The events a runner would emit for [`sample_report`], in order.
pub(crate) fn sample_events() -> Vec<Event> {
    let report = sample_report();
    let mut events = vec![
        Event::RunStarted {
            seed: report.seed,
            run_id: report.run_id.clone(),
            base_url: report.base_url.clone(),
            units: report.results.len(),
            cases: 6,
            time_budget_ms: None,
        },
        Event::VolatileDetected {
            resource: "items".into(),
            pointers: vec!["/updated_at".into()],
        },
    ];
    for finding in &report.findings {
        events.push(Event::CaseFinished {
            check: finding.check,
            resource: finding.resource.clone(),
            errored: false,
            requests: 12,
        });
        events.push(Event::Finding(Box::new(finding.clone())));
    }
    events.extend(
        report
            .results
            .iter()
            .map(|r| Event::CheckFinished(Box::new(r.clone()))),
    );
    events.push(Event::CleanupStarted { resources: 3 });
    events.push(Event::CleanupFinished(report.cleanup.clone()));
    events.push(Event::RunFinished(Box::new(report)));
    events
}
