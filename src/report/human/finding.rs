//! A finding as the human report shows it: a compact block (headline, rule, expected and
//! observed, numbered requests, diff, and — with `--verbose` — the curl script) for the findings
//! that matter, one line for the others (`info`, and findings a baseline accepts). Lines fit the
//! layout's width: text wraps at spaces (a URL is never split), diff lines wrap by character
//! with a `↳` marker, curl scripts are never wrapped (they are copied and pasted).

use std::fmt::Write as _;

use anstyle::Style;

use super::palette::{BOLD, CYAN, DIM, GREEN, Palette, RED, severity_style};
use crate::model::exchange::Exchange;
use crate::model::findings::{BaselineMark, Finding, Severity};
use crate::model::report::RunReport;
use crate::report::curl::finding_repro;
use crate::report::text::{
    clean, display_width, indent, truncate, wrap_chars, wrap_line, wrap_words,
};

/// Where the text goes: how wide it may be, and which base URL request URLs are shown under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout<'a> {
    /// Columns available; `usize::MAX` never wraps.
    pub(crate) width: usize,
    /// Request URLs that start with it are shown as paths (the report's header names it).
    pub(crate) base_url: Option<&'a str>,
}

impl Layout<'_> {
    /// No wrapping, full URLs (the JUnit failure text).
    pub(crate) const UNWRAPPED: Layout<'static> = Layout {
        width: usize::MAX,
        base_url: None,
    };
}

/// How a block offers the curl reproduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reproduce<'a> {
    /// The whole script (`--verbose`).
    Script,
    /// The file `--repro-dir` wrote it to.
    File(&'a str),
    /// Not in the block (the report ends with a hint instead).
    Hidden,
}

/// The findings of `report` in the order the human report shows them: blocks for the findings
/// at warning level or above that no baseline accepts — failing ones first — then one-liners
/// for the rest (`info`, accepted by a baseline). Each group is sorted by severity (most severe
/// first), resource, check and title.
pub(crate) fn ordered(report: &RunReport) -> (Vec<&Finding>, Vec<&Finding>) {
    let (mut blocks, mut lines): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(|f| {
            f.severity > Severity::Info && !f.baseline.is_some_and(BaselineMark::accepted)
        });
    let key = |f: &&Finding| {
        (
            !f.fails(report.fail_on),
            std::cmp::Reverse(f.severity),
            f.resource.clone(),
            f.check,
            f.title.clone(),
        )
    };
    blocks.sort_by_key(key);
    lines.sort_by_key(key);
    (blocks, lines)
}

/// The block of one finding, preceded by a blank line.
pub(crate) fn render_finding(
    finding: &Finding,
    p: Palette,
    layout: &Layout,
    reproduce: Reproduce,
) -> String {
    let mut out = String::from("\n");
    out.push_str(&render_headline(finding, p, layout.width));
    out.push_str(&finding_details(finding, p, layout));
    match reproduce {
        Reproduce::Script => {
            out.push_str(&labelled_block("reproduce", &finding_repro(finding), p));
        }
        Reproduce::File(path) => {
            out.push_str(&labelled_line(
                "reproduce",
                &format!("sh {path}"),
                p,
                layout,
            ));
        }
        Reproduce::Hidden => {}
    }
    out
}

/// `error[repeat-put] items: TITLE`, wrapped with a four-space indent.
fn render_headline(finding: &Finding, p: Palette, width: usize) -> String {
    let severity = finding.severity;
    let tag = format!("{}[{}]", severity.as_str(), finding.check);
    let line = format!(
        "{} {}: {}{}",
        p.paint(severity_style(severity), &tag),
        p.paint(BOLD, &clean(&finding.resource)),
        p.paint(BOLD, &clean(&finding.title)),
        baseline_tag(finding.baseline, p)
    );
    lines(wrap_words(&line, width, "    "))
}

/// One line for a finding shown without a block: `info[post-retry] things: TITLE — 3 cases`,
/// the title cut so that the line fits `width` (the tag, the baseline mark and the count stay).
pub(crate) fn render_finding_line(finding: &Finding, p: Palette, width: usize) -> String {
    let tag = format!("{}[{}]", finding.severity.as_str(), finding.check);
    let seen = match finding.occurrences {
        0 | 1 => format!("case {}", finding.case),
        n => format!("{n} cases"),
    };
    let head = format!("{tag} {}: ", clean(&finding.resource));
    let tail = format!(
        "{} — {seen}",
        baseline_tag(finding.baseline, Palette::PLAIN)
    );
    let room = width
        .saturating_sub(display_width(&head) + display_width(&tail))
        .max(10);
    let title = truncate(&clean(&finding.title), room);
    let rest = head.strip_prefix(&tag).unwrap_or(&head);
    format!(
        "{}{rest}{title}{tail}\n",
        p.paint(severity_style(finding.severity), &tag)
    )
}

/// ` (known: in the baseline, not failing)` and the like; nothing without a baseline.
fn baseline_tag(mark: Option<BaselineMark>, p: Palette) -> String {
    let text = match mark {
        None => return String::new(),
        Some(BaselineMark::Known) => "known: in the baseline, not failing",
        Some(BaselineMark::New) => "new: not in the baseline",
        Some(BaselineMark::Recorded) => "recorded in the new baseline, not failing",
    };
    format!(" {}", p.paint(DIM, &format!("({text})")))
}

/// Rule, expected, observed, the request sequence and the diff, unwrapped and with full URLs.
/// The JUnit failure text (with [`Palette::PLAIN`]).
pub(crate) fn render_finding_details(finding: &Finding, p: Palette) -> String {
    finding_details(finding, p, &Layout::UNWRAPPED)
}

/// Rule, fingerprint, expected, observed, the fuzz detail, the requests and the diff, each
/// labelled and indented by two spaces.
pub(crate) fn finding_details(finding: &Finding, p: Palette, layout: &Layout) -> String {
    let mut out = String::new();
    let rule = format!("{} · oracles.md: {}", finding.rfc, finding.oracle);
    out.push_str(&labelled_line("rule", &rule, p, layout));
    let fingerprint = format!("{} ({})", finding.fingerprint(), cases_seen(finding));
    out.push_str(&labelled_line("finding", &fingerprint, p, layout));
    if let Some(grouped) = same_cause(finding) {
        out.push_str(&labelled_line("same cause", &grouped, p, layout));
    }
    out.push_str(&labelled_line("expected", &finding.expected, p, layout));
    out.push_str(&labelled_line("observed", &finding.observed, p, layout));
    if let Some(detail) = &finding.fuzz {
        out.push_str(&render_fuzz(detail, p, layout));
    }
    out.push_str(&labelled_block(
        "requests",
        &render_exchanges(&finding.exchanges, layout),
        p,
    ));
    if let Some(diff) = &finding.diff {
        let inner = layout.width.saturating_sub(4);
        out.push_str(&labelled_block("diff", &render_diff(diff, p, inner), p));
    }
    out
}

/// The rules grouped into a finding by their cause: `if-match-ignored: also lost-update
/// both-succeeded: TITLE (case 1, 2 cases)`; `None` when it groups none.
pub(crate) fn same_cause(finding: &Finding) -> Option<String> {
    let cause = finding.cause.as_ref().filter(|c| !c.also.is_empty())?;
    let rules: Vec<String> = cause
        .also
        .iter()
        .map(|also| {
            let seen = match also.occurrences {
                0 | 1 => format!("case {}", also.case),
                n => format!("case {}, {n} cases", also.case),
            };
            format!("{} {}: {} ({seen})", also.check, also.rule, also.title)
        })
        .collect();
    Some(format!("{}: also {}", cause.key, rules.join("; ")))
}

/// `case 3`, or `case 3; seen in 25 cases: also 4, 9 and 22 more` when other cases found it.
pub(crate) fn cases_seen(finding: &Finding) -> String {
    let case = format!("case {}", finding.case);
    if finding.occurrences <= 1 {
        return case;
    }
    let listed: Vec<String> = finding.other_cases.iter().map(u32::to_string).collect();
    let listed_count = u32::try_from(listed.len()).unwrap_or(u32::MAX);
    let unlisted = (finding.occurrences - 1).saturating_sub(listed_count);
    let mut also = listed.join(", ");
    if unlisted > 0 {
        let _ = write!(also, " and {unlisted} more");
    }
    format!("{case}; seen in {} cases: also {also}", finding.occurrences)
}

/// The minimal sequence, the relation's change, both runs side by side, and how to replay.
pub(crate) fn render_fuzz(
    detail: &crate::model::fuzz::FuzzDetail,
    p: Palette,
    layout: &Layout,
) -> String {
    let mut out = String::new();
    let shrink = match (&detail.replayed_from, &detail.shrink_stopped) {
        (Some(file), _) => format!("replayed from {file}"),
        (None, Some(reason)) => format!(
            "{} step(s) as generated, {} after {} shrink execution(s); {reason}",
            detail.original_steps,
            detail.repro.steps.len(),
            detail.shrink_runs
        ),
        (None, None) => format!(
            "shrunk from {} to {} step(s) in {} execution(s)",
            detail.original_steps,
            detail.repro.steps.len(),
            detail.shrink_runs
        ),
    };
    let relation = format!(
        "{} ({}) · case seed {} · {shrink}",
        detail.relation, detail.rule, detail.case_seed
    );
    out.push_str(&labelled_line("relation", &relation, p, layout));
    let width = layout.width.saturating_sub(4);
    let steps: Vec<String> = detail
        .repro
        .steps
        .iter()
        .enumerate()
        .flat_map(|(n, op)| {
            let line = format!("{}. {}", n + 1, clean(&op.describe()));
            wrap_line(&line, width, "   ")
        })
        .collect();
    out.push_str(&labelled_block("sequence", &steps.join("\n"), p));
    if detail.repro.relation != crate::model::fuzz::ops::Relation::PerStep {
        let variant = clean(&detail.repro.relation.describe());
        out.push_str(&labelled_line("variant", &variant, p, layout));
    }
    if !detail.side_by_side.is_empty() {
        let table = render_side_by_side(&detail.side_by_side)
            .lines()
            .flat_map(|line| wrap_line(line, width, &" ".repeat(16)))
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&labelled_block("side by side", &table, p));
    }
    out
}

/// `alone | variant | step` rows; `—` where the base run has no such step.
fn render_side_by_side(rows: &[crate::model::fuzz::SideBySide]) -> String {
    let status = |s: Option<u16>| s.map_or_else(|| "—".to_string(), |s| s.to_string());
    let mut lines = vec!["alone  variant  step".to_string()];
    lines.extend(rows.iter().map(|row| {
        format!(
            "{:<5}  {:<7}  {}",
            status(row.base),
            status(row.variant),
            clean(&row.step)
        )
    }));
    lines.join("\n")
}

/// `  label:   text`, the text wrapped at the layout's width and continued under itself.
fn labelled_line(label: &str, text: &str, p: Palette, layout: &Layout) -> String {
    let head = format!("{label}:");
    let pad = " ".repeat(10usize.saturating_sub(head.len()).max(1));
    let continuation = " ".repeat(12);
    let mut out = String::new();
    for (n, line) in clean(text).lines().enumerate() {
        let first = if n == 0 {
            format!("  {}{pad}", p.paint(DIM, &head))
        } else {
            continuation.clone()
        };
        out.push_str(&lines(wrap_line(
            &format!("{first}{line}"),
            layout.width,
            &continuation,
        )));
    }
    out
}

/// `  label:` then `text` indented by four spaces.
fn labelled_block(label: &str, text: &str, p: Palette) -> String {
    format!(
        "  {}\n{}",
        p.paint(DIM, &format!("{label}:")),
        indent(text, "    ")
    )
}

/// One line per exchange, `N. METHOD URL → STATUS  (purpose)`, wrapped to the layout's width
/// (less the four columns of indentation) under the method. The requests of a batch released
/// together to one URL share a line: `3–10. PUT URL → 200 ×7, 201  (purpose; 8 clients released
/// together)`.
pub(crate) fn render_exchanges(exchanges: &[Exchange], layout: &Layout) -> String {
    let width = layout.width.saturating_sub(4);
    let mut out = String::new();
    let mut rest = exchanges;
    while let Some(first) = rest.first() {
        let batch = batch_len(rest);
        let (number, line) = if batch > 1 {
            let last = &rest[batch - 1];
            let number = format!("{}–{}", first.seq, last.seq);
            (
                number.clone(),
                batch_line(&number, &rest[..batch], layout.base_url),
            )
        } else {
            let number = first.seq.to_string();
            (number, exchange_line(first, layout.base_url))
        };
        let hang = " ".repeat(display_width(&number) + 2);
        out.push_str(&lines(wrap_line(&line, width, &hang)));
        rest = &rest[batch.max(1)..];
    }
    out
}

/// `(purpose, n, k)` of a purpose `PURPOSE (client N of K, released together)`.
fn released_together(purpose: &str) -> Option<(&str, usize, usize)> {
    let inner = purpose.strip_suffix(", released together)")?;
    let (base, client) = inner.rsplit_once(" (client ")?;
    let (n, k) = client.split_once(" of ")?;
    Some((base, n.parse().ok()?, k.parse().ok()?))
}

/// How many exchanges at the start of `exchanges` are one batch released together to one URL
/// (1 when the first is not part of one).
fn batch_len(exchanges: &[Exchange]) -> usize {
    let Some(first) = exchanges.first() else {
        return 0;
    };
    let Some((base, 1, clients)) = released_together(&first.purpose) else {
        return 1;
    };
    let same = exchanges
        .iter()
        .take(clients)
        .enumerate()
        .take_while(|(i, e)| {
            e.request.method == first.request.method
                && e.request.url == first.request.url
                && released_together(&e.purpose) == Some((base, i + 1, clients))
        })
        .count();
    if same == clients { same } else { 1 }
}

fn batch_line(number: &str, batch: &[Exchange], base_url: Option<&str>) -> String {
    let first = &batch[0];
    let (base, _, clients) = released_together(&first.purpose).unwrap_or((&first.purpose, 1, 1));
    let mut statuses: Vec<(String, usize)> = Vec::new();
    for exchange in batch {
        let status = exchange.response.status_text();
        match statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => statuses.push((status, 1)),
        }
    }
    let statuses: Vec<String> = statuses
        .into_iter()
        .map(|(status, n)| {
            if n == 1 {
                status
            } else {
                format!("{status} ×{n}")
            }
        })
        .collect();
    format!(
        "{number}. {} {} → {}  ({}; {clients} clients released together)",
        first.request.method,
        clean(shown_url(&first.request.url, base_url)),
        statuses.join(", "),
        clean(base)
    )
}

fn exchange_line(exchange: &Exchange, base_url: Option<&str>) -> String {
    format!(
        "{}. {} {} → {}  ({})",
        exchange.seq,
        exchange.request.method,
        clean(shown_url(&exchange.request.url, base_url)),
        exchange.response.status_text(),
        clean(&exchange.purpose)
    )
}

/// The URL as a path when it is under `base_url`.
fn shown_url<'a>(url: &'a str, base_url: Option<&str>) -> &'a str {
    base_url
        .and_then(|base| url.strip_prefix(base))
        .filter(|path| path.starts_with('/'))
        .unwrap_or(url)
}

/// The unified diff, each line cut to `width` columns with a `↳` marker on its continuations;
/// `+` lines green and `-` lines red when colour is on.
pub(crate) fn render_diff(diff: &str, p: Palette, width: usize) -> String {
    let mut out = String::new();
    for line in clean(diff).lines() {
        let style = diff_style(line);
        let sign = line.chars().next().unwrap_or(' ');
        for piece in wrap_chars(line, width, &format!("{sign}↳ ")) {
            out.push_str(&p.paint(style, &piece));
            out.push('\n');
        }
    }
    out
}

fn diff_style(line: &str) -> Style {
    if line.starts_with("+++") || line.starts_with("---") {
        BOLD
    } else if line.starts_with('+') {
        GREEN
    } else if line.starts_with('-') {
        RED
    } else if line.starts_with("@@") {
        CYAN
    } else {
        Style::new()
    }
}

/// Lines joined, each ending with a newline.
fn lines(lines: Vec<String>) -> String {
    lines.into_iter().map(|line| line + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::{Body, Method, RequestRecord, ResponseRecord};

    fn exchange(seq: usize, purpose: &str, status: u16) -> Exchange {
        Exchange {
            seq,
            purpose: purpose.into(),
            request: RequestRecord {
                method: Method::Put,
                url: "http://h:1/things/a".into(),
                headers: vec![],
                body: Body::Empty,
            },
            response: ResponseRecord {
                status,
                headers: vec![],
                body: Body::Empty,
                body_len: 0,
                elapsed_ms: 1,
            },
        }
    }

    #[test]
    fn a_batch_released_together_is_one_line() {
        let mut exchanges = vec![exchange(1, "reference", 201)];
        for n in 1..=3 {
            let status = if n == 3 { 201 } else { 200 };
            let purpose = format!("PUT body A (client {n} of 3, released together)");
            exchanges.push(exchange(n + 1, &purpose, status));
        }
        exchanges.push(exchange(5, "snapshot", 200));
        let layout = Layout {
            width: 200,
            base_url: Some("http://h:1"),
        };
        assert_eq!(
            render_exchanges(&exchanges, &layout),
            "1. PUT /things/a → 201  (reference)\n\
             2–4. PUT /things/a → 200 ×2, 201  (PUT body A; 3 clients released together)\n\
             5. PUT /things/a → 200  (snapshot)\n"
        );
        // An incomplete batch stays one line per request.
        let partial = &exchanges[..3];
        assert_eq!(render_exchanges(partial, &layout).lines().count(), 3);
    }
}
