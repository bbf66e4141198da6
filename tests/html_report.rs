//! The HTML report of a real run, parsed with an HTML parser (scraper, on html5ever): one
//! self-contained document (no external URL in any `src` or `href`, no stylesheet link, a
//! Content-Security-Policy that forbids the network), the verdict, a summary row per resource,
//! filters by severity, check and resource, and per finding a timeline with one step per
//! request, a side-by-side diff and a copy button for its curl script; secrets redacted.

mod support;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use support::{idemfuzz, run_cmd};

const TOKEN: &str = "html-s3cr3t-8086";

fn select<'a>(root: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|err| panic!("selector {css}: {err:?}"));
    root.select(&selector).collect()
}

fn text(element: ElementRef) -> String {
    element.text().collect()
}

/// A run with errors, warnings and infos (put-counter, head-mismatch), through credentials,
/// writing JSON on stdout and the HTML report to a file.
fn run_with_html() -> (Value, String) {
    let demo = support::demo_requiring_token("put-counter,head-mismatch", TOKEN);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = support::demo_scenario_with_bearer(dir.path(), "HTML_TOKEN");
    let html = dir.path().join("report.html");
    let mut cmd = idemfuzz();
    cmd.env("HTML_TOKEN", TOKEN);
    let out = run_cmd(
        cmd,
        [
            "run",
            &file.display().to_string(),
            "--base-url",
            demo.url(),
            "--checks",
            "repeat-put,head-parity,post-retry,concurrent-put",
            "--cases",
            "2",
            "--seed",
            "4",
            "--no-progress",
            "--format",
            "json",
            "--report",
            &format!("html:{}", html.display()),
        ],
    );
    out.assert_code(1, "put-counter is found").assert_no_panic();
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    (out.json(), page)
}

#[test]
fn the_html_report_is_self_contained_and_holds_every_finding() {
    let (report, page) = run_with_html();
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..100]);
    assert!(!page.contains(TOKEN), "a secret reached the HTML report");
    let doc = Html::parse_document(&page);
    let root = doc.root_element();

    // Self-contained: nothing to fetch.
    for element in select(root, "[src], [href]") {
        for attribute in ["src", "href"] {
            if let Some(url) = element.value().attr(attribute) {
                assert!(
                    url.starts_with('#') || url.starts_with("data:"),
                    "external {attribute}: {url}"
                );
            }
        }
    }
    assert!(select(root, "link[rel=stylesheet], script[src], iframe, img").is_empty());
    let csp = select(root, "meta[http-equiv=Content-Security-Policy]");
    assert_eq!(csp.len(), 1);
    assert!(
        csp[0]
            .value()
            .attr("content")
            .is_some_and(|c| c.starts_with("default-src 'none'")),
        "the policy forbids the network"
    );
    assert_eq!(select(root, "head > style").len(), 1);
    assert_eq!(select(root, "body > script").len(), 1);

    // The verdict and the summary.
    let findings = report["findings"].as_array().expect("findings");
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    let verdict = select(root, "#verdict");
    assert_eq!(
        text(verdict[0]),
        format!(
            "verdict: FAILED (exit 1): {errors} findings at or above --fail-on error, {} below it",
            findings.len() - errors
        ),
        "as the human report says it"
    );
    let rows = select(root, "table.summary tbody tr");
    assert_eq!(rows.len(), 1, "one resource");
    assert!(text(rows[0]).contains("repeat-put"), "{}", text(rows[0]));

    // Filters: every severity, every check and resource that has a finding.
    let severities: Vec<&str> = select(root, "#filters input[name=severity]")
        .iter()
        .filter_map(|i| i.value().attr("value"))
        .collect();
    assert_eq!(severities, ["error", "warning", "info"]);
    let mut checks: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["check"].as_str())
        .collect();
    checks.sort_unstable();
    checks.dedup();
    let options: Vec<&str> = select(root, "#filter-check option")
        .iter()
        .filter_map(|o| o.value().attr("value"))
        .collect();
    assert_eq!(options[0], "", "`all` first");
    assert_eq!(&options[1..], checks.as_slice());
    assert_eq!(select(root, "#filter-resource option").len(), 2);

    // One article per finding, in the human report's order: failing findings first.
    let articles = select(root, "article.finding");
    assert_eq!(articles.len(), findings.len());
    assert_eq!(articles[0].value().attr("data-severity"), Some("error"));
    let severities: Vec<&str> = articles
        .iter()
        .filter_map(|a| a.value().attr("data-severity"))
        .collect();
    assert!(
        severities.windows(2).all(|w| rank(w[0]) >= rank(w[1])),
        "{severities:?}"
    );
    for article in &articles {
        assert_finding_structure(*article, findings);
    }
}

fn rank(severity: &str) -> u8 {
    match severity {
        "error" => 2,
        "warning" => 1,
        _ => 0,
    }
}

/// The article's finding in the JSON report (by fingerprint and severity), and its parts.
fn assert_finding_structure(article: ElementRef, findings: &[Value]) {
    let fingerprint = text(select(article, "dl.facts code")[0]);
    let severity = article.value().attr("data-severity").expect("severity");
    let finding = findings
        .iter()
        .find(|f| f["fingerprint"] == fingerprint.as_str() && f["severity"] == severity)
        .unwrap_or_else(|| panic!("no finding {fingerprint} ({severity}) in the JSON"));
    assert_eq!(
        article.value().attr("data-check"),
        finding["check"].as_str()
    );
    assert_eq!(
        article.value().attr("data-resource"),
        finding["resource"].as_str()
    );
    // The timeline: one step per request, each with its status.
    let exchanges = finding["exchanges"].as_array().expect("exchanges");
    let steps = select(article, "ol.timeline > li");
    assert_eq!(steps.len(), exchanges.len(), "{fingerprint}");
    for (step, exchange) in steps.iter().zip(exchanges) {
        let status = text(select(*step, "span.status")[0]);
        let expected = match exchange["response"]["status"].as_u64() {
            Some(0) => "not read".to_string(),
            Some(n) => n.to_string(),
            None => panic!("no status"),
        };
        assert_eq!(status, expected);
        assert_eq!(
            text(select(*step, "code.url")[0]),
            exchange["request"]["url"].as_str().expect("url")
        );
        assert_eq!(
            select(*step, "details pre").len(),
            2,
            "request and response"
        );
    }
    // The diff side by side: a removed line on the left, an added one on the right.
    if finding["diff"].is_string() {
        let changed = select(article, "table.diff tr.changed");
        assert!(!changed.is_empty(), "{fingerprint}: no changed row");
        assert!(!select(article, "table.diff td.text.del").is_empty());
        assert!(!select(article, "table.diff td.text.add").is_empty());
        assert_eq!(select(article, "table.diff thead th").len(), 2);
    } else {
        assert!(select(article, "table.diff").is_empty());
    }
    // The curl script, and the button that copies it.
    let button = select(article, "button.copy");
    assert_eq!(button.len(), 1);
    let target = button[0].value().attr("data-copy").expect("data-copy");
    let script = select(article, &format!("pre#{target}"));
    assert_eq!(script.len(), 1, "the button copies this article's script");
    assert_eq!(text(script[0]), finding["repro"].as_str().expect("repro"));
}
