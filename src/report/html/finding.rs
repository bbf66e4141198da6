//! One finding in the HTML report: its facts, the request sequence as a timeline with each
//! answer's status (request and response expandable), the diff side by side, and the curl
//! script with a copy button.

use maud::{Markup, html};

use crate::model::exchange::{Body, Exchange, Header, NOT_READ};
use crate::model::findings::{BaselineMark, Finding};
use crate::report::curl::finding_repro;
use crate::report::human::{cases_seen, same_cause};
use crate::report::side_by_side::{Kind, Row, side_by_side};

/// The `<article>` of the `index`-th finding (its ids are unique in the document).
pub(crate) fn finding(index: usize, finding: &Finding, failing: bool) -> Markup {
    let severity = finding.severity.as_str();
    let repro_id = format!("repro-{index}");
    html! {
        article class=(format!("finding {severity}")) id=(format!("finding-{index}"))
            data-severity=(severity) data-check=(finding.check.name())
            data-resource=(finding.resource) {
            h3 {
                span class=(format!("badge {severity}")) { (severity) } " "
                code { (finding.check.name()) } " "
                (finding.resource) ": " (finding.title)
                @if let Some(mark) = baseline_text(finding.baseline) {
                    " " span class="badge mark" { (mark) }
                }
                @if !failing && finding.severity > crate::model::findings::Severity::Info {
                    " " span class="badge mark" { "below --fail-on" }
                }
            }
            dl class="facts" {
                dt { "rule" } dd { (finding.rfc) " · oracles.md: " (finding.oracle) }
                dt { "finding" } dd { code { (finding.fingerprint()) } " (" (cases_seen(finding)) ")" }
                @if let Some(grouped) = same_cause(finding) {
                    dt { "same cause" } dd { (grouped) }
                }
                dt { "expected" } dd { (finding.expected) }
                dt { "observed" } dd { (finding.observed) }
                @if let Some(fuzz) = &finding.fuzz {
                    dt { "relation" } dd { (fuzz.relation) " (" (fuzz.rule) ") · case seed " (fuzz.case_seed) }
                    dt { "sequence" } dd {
                        ol { @for op in &fuzz.repro.steps { li { code { (op.describe()) } } } }
                    }
                }
            }
            h4 { "Requests" }
            (timeline(&finding.exchanges))
            @if let Some(diff) = &finding.diff {
                h4 { "Diff" }
                (diff_table(diff))
            }
            h4 { "Reproduce" }
            button type="button" class="copy" data-copy=(repro_id) { "Copy curl script" }
            pre class="repro" id=(repro_id) { (finding_repro(finding)) }
        }
    }
}

fn baseline_text(mark: Option<BaselineMark>) -> Option<&'static str> {
    match mark? {
        BaselineMark::Known => Some("known: in the baseline"),
        BaselineMark::New => Some("new: not in the baseline"),
        BaselineMark::Recorded => Some("recorded in the new baseline"),
    }
}

/// `s2xx`, `s4xx`…, `s0` for an answer that was not read.
fn status_class(status: u16) -> String {
    match status {
        NOT_READ => "s0".to_string(),
        status => format!("s{}xx", status / 100),
    }
}

/// The exchanges in order, each with its status, purpose and time; request and response in a
/// `<details>`.
fn timeline(exchanges: &[Exchange]) -> Markup {
    html! {
        ol class="timeline" {
            @for exchange in exchanges {
                @let class = status_class(exchange.response.status);
                li class=(class) {
                    span class="seq" { (exchange.seq) "." } " "
                    span class="method" { (exchange.request.method) } " "
                    code class="url" { (exchange.request.url) } " → "
                    span class=(format!("status {class}")) { (exchange.response.status_text()) } " "
                    span class="purpose" { (exchange.purpose) } " "
                    span class="muted" { (exchange.response.elapsed_ms) " ms" }
                    details {
                        summary { "request and response" }
                        div class="exchange" {
                            div {
                                h5 { "Request" }
                                pre { (message(&exchange.request.headers, &exchange.request.body)) }
                            }
                            div {
                                h5 { "Response" }
                                pre { (message(&exchange.response.headers, &exchange.response.body)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Header lines, a blank line, and the body (pretty JSON, text, or a note for binary bodies).
fn message(headers: &[Header], body: &Body) -> String {
    let mut text: String = headers
        .iter()
        .map(|h| format!("{}: {}\n", h.name, h.value))
        .collect();
    let body = match body {
        Body::Empty => String::new(),
        Body::Json { value } => serde_json::to_string_pretty(value).unwrap_or_default(),
        Body::Text { text, truncated } => {
            if *truncated {
                format!("{text}\n… (truncated)")
            } else {
                text.clone()
            }
        }
        Body::Binary { len, .. } => format!("({len} bytes of binary data, not kept)"),
    };
    if !body.is_empty() {
        text.push('\n');
        text.push_str(&body);
    }
    text
}

/// The diff side by side: old state left, new state right, line numbers on both.
fn diff_table(diff: &str) -> Markup {
    let diff = side_by_side(diff);
    html! {
        table class="diff" {
            colgroup { col class="ln"; col; col class="ln"; col; }
            thead { tr { th colspan="2" { (diff.left_title) } th colspan="2" { (diff.right_title) } } }
            tbody {
                @for row in &diff.rows {
                    @match row {
                        Row::Hunk(header) => tr class="hunk" { td colspan="4" { (header) } },
                        Row::Line { left, right, kind } => {
                            @let (del, add) = match kind { Kind::Same => ("", ""), Kind::Changed => (" del", " add") };
                            tr class=(if *kind == Kind::Same { "same" } else { "changed" }) {
                                @match left {
                                    Some(cell) => {
                                        td class=(format!("ln{del}")) { (cell.number) }
                                        td class=(format!("text{del}")) { (cell.text) }
                                    }
                                    None => { td class="ln empty" {} td class="text empty" {} }
                                }
                                @match right {
                                    Some(cell) => {
                                        td class=(format!("ln{add}")) { (cell.number) }
                                        td class=(format!("text{add}")) { (cell.text) }
                                    }
                                    None => { td class="ln empty" {} td class="text empty" {} }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
