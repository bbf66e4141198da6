//! Hand-written scripts: ordered steps with `{id}` and captured placeholders, per-step
//! expectations (status, headers, JSON values), and state assertions between steps.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::checks::outline::Outline;
use crate::checks::verdict::{answered, states_differ};
use crate::http::wire_url::{self, FillError};
use crate::model::exchange::Exchange;
use crate::model::violation::{Violation, statuses};
use crate::scenario::placeholder::{
    self, PlaceholderError, as_text, filled_body_len, filled_text_len, resolve, substitute_body,
    substitute_text,
};
use crate::scenario::{Capture, Expect, Script, Step};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;

/// The outline of a script for `--dry-run`: its steps as written.
pub(crate) fn outline(script: &Script) -> Outline {
    let mut steps = Outline::new();
    for step in &script.steps {
        let repeat = match step.repeat {
            0 | 1 => String::new(),
            n => format!(" ×{n}"),
        };
        steps.push(
            format!("{} {}{repeat}  ({})", step.method, step.path, step.name),
            [],
        );
    }
    steps
}

/// What one step did.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    pub(crate) name: String,
    pub(crate) expect: Expect,
    /// One exchange per send (`repeat`).
    pub(crate) sends: Vec<Exchange>,
    /// The item after the step, when an assertion refers to the step.
    pub(crate) snapshot: Option<ItemSnapshot>,
}

/// What the script run observed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    pub(crate) steps: Vec<StepRecord>,
    /// Why the script stopped early (e.g. a capture that found nothing).
    pub(crate) stopped: Option<String>,
}

/// Runs every step in order against a fresh run-owned id.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    script: &Script,
) -> Result<Record, CaseError> {
    let id = session.fresh_id();
    let mut captures: BTreeMap<String, Value> = BTreeMap::new();
    captures.insert("id".into(), Value::String(id.clone()));
    let snapshot_after: Vec<usize> = script
        .same_state
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .collect();
    let mut record = Record::default();
    for (index, step) in script.steps.iter().enumerate() {
        let req = match build_request(step, &captures, session.max_body_bytes()) {
            Ok(req) => req,
            Err(FillError::NoValue(missing)) => {
                record.stopped = Some(format!("step `{}`: {missing}", step.name));
                break;
            }
            Err(FillError::Unsafe(why)) => {
                return Err(CaseError::Setup(format!(
                    "step `{}` was not sent: {why}",
                    step.name
                )));
            }
        };
        let mut sends = Vec::new();
        for n in 1..=step.repeat {
            let purpose = if step.repeat > 1 {
                format!("{} ({n} of {})", step.name, step.repeat)
            } else {
                step.name.clone()
            };
            let sent = session.send(purpose, req.clone()).await?;
            sends.push(session.exchange(sent).clone());
        }
        if let Some(last) = sends.last()
            && let Err(missing) = capture_values(step, last, &mut captures)
        {
            record.stopped = Some(format!("step `{}`: {missing}", step.name));
        }
        let snapshot = match snapshot_after.contains(&index) {
            true => Some(
                session
                    .get_item(&id, &format!("snapshot after `{}`", step.name))
                    .await?,
            ),
            false => None,
        };
        record.steps.push(StepRecord {
            name: step.name.clone(),
            expect: step.expect.clone(),
            sends,
            snapshot,
        });
        if record.stopped.is_some() {
            break;
        }
    }
    Ok(record)
}

/// The request of a step with every placeholder replaced. In the path, a value is encoded as
/// exactly one segment, and one that cannot be (`..`, or a `/`, `\`, `?` or `#` in any
/// encoding) stops the script: a captured value never adds or removes path segments.
/// A request whose body or headers, filled with captured values, would exceed `max_bytes`
/// (`[target] max_body_bytes`) is never built: captured values are the server's, and a step
/// repeating one could exhaust memory.
fn build_request(
    step: &Step,
    captures: &BTreeMap<String, Value>,
    max_bytes: u64,
) -> Result<Req, FillError<PlaceholderError>> {
    let path = wire_url::fill(&step.path, &placeholder::find(&step.path), |p| {
        resolve(p, captures).map(|value| as_text(&value))
    })?;
    let filled = step
        .headers
        .iter()
        .map(|(name, value)| name.len().saturating_add(filled_text_len(value, captures)))
        .fold(0usize, usize::saturating_add)
        .saturating_add(
            step.body
                .as_ref()
                .map_or(0, |body| filled_body_len(body, captures)),
        );
    if u64::try_from(filled).unwrap_or(u64::MAX) > max_bytes {
        return Err(FillError::Unsafe(format!(
            "its body and headers, filled with the captured values, would take up to {filled} bytes, more than the {max_bytes} bytes `max_body_bytes` allows"
        )));
    }
    let mut req = Req::new(step.method, path);
    for (name, value) in &step.headers {
        let value = substitute_text(value, captures).map_err(FillError::NoValue)?;
        req = req.header(name, &value);
    }
    if let Some(body) = &step.body {
        req.body = Some(substitute_body(body, captures).map_err(FillError::NoValue)?);
    }
    Ok(req)
}

/// Captures the values a step names from its last answer.
fn capture_values(
    step: &Step,
    exchange: &Exchange,
    captures: &mut BTreeMap<String, Value>,
) -> Result<(), String> {
    for (name, source) in &step.capture {
        let value = match source {
            Capture::Header(header) => exchange
                .response
                .header(header)
                .map(|v| Value::String(v.to_string())),
            Capture::Pointer(pointer) => exchange
                .response
                .body
                .json()
                .and_then(|b| pointer.get(b))
                .cloned(),
        };
        let value = value
            .ok_or_else(|| format!("capture `{name}` found nothing in {}", answered(exchange)))?;
        captures.insert(name.clone(), value);
    }
    Ok(())
}

/// The oracle: every step's expectations, every state assertion, and an early stop.
pub(crate) fn judge(record: &Record, script: &Script, canon: &Canon) -> Vec<Violation> {
    let mut found: Vec<Violation> = record.steps.iter().flat_map(judge_step).collect();
    for (a, b) in &script.same_state {
        found.extend(judge_same_state(record, *a, *b, canon));
    }
    if let Some(reason) = &record.stopped {
        found.push(
            Violation::error("the script stopped early")
                .rule("stopped-early")
                .expected("every step runs")
                .observed(reason.clone()),
        );
    }
    found
}

fn judge_step(step: &StepRecord) -> Vec<Violation> {
    step.sends
        .iter()
        .flat_map(|exchange| judge_expect(&step.name, &step.expect, exchange))
        .collect()
}

fn judge_expect(name: &str, expect: &Expect, exchange: &Exchange) -> Vec<Violation> {
    let mut found = Vec::new();
    let response = &exchange.response;
    if !expect.status.is_empty() && !expect.status.contains(&response.status) {
        found.push(
            Violation::error(format!(
                "step `{name}`: unexpected status {}",
                response.status
            ))
            .rule(format!("step/{name}/status"))
            .expected(statuses(&expect.status))
            .observed(answered(exchange)),
        );
    }
    for header in &expect.headers {
        if response.header(header).is_none() {
            found.push(
                Violation::error(format!("step `{name}`: header {header} missing"))
                    .rule(format!(
                        "step/{name}/header/{}",
                        header.to_ascii_lowercase()
                    ))
                    .expected(format!("a {header} header"))
                    .observed(answered(exchange)),
            );
        }
    }
    for (pointer, wanted) in &expect.json {
        let actual = response.body.json().and_then(|b| pointer.get(b));
        if actual != Some(wanted) {
            found.push(
                Violation::error(format!("step `{name}`: {pointer} is not {wanted}"))
                    .rule(format!("step/{name}/json{pointer}"))
                    .expected(format!("{pointer} = {wanted}"))
                    .observed(match actual {
                        Some(v) => format!("{pointer} = {v}"),
                        None => format!("no {pointer} in the answer of {}", answered(exchange)),
                    }),
            );
        }
    }
    found
}

fn judge_same_state(record: &Record, a: usize, b: usize, canon: &Canon) -> Option<Violation> {
    let (step_a, step_b) = (record.steps.get(a)?, record.steps.get(b)?);
    let (snap_a, snap_b) = (step_a.snapshot.as_ref()?, step_b.snapshot.as_ref()?);
    let (label_a, label_b) = (
        format!("after `{}`", step_a.name),
        format!("after `{}`", step_b.name),
    );
    states_differ(
        (&label_a, &canon.item_state(&snap_a.as_state())),
        (&label_b, &canon.item_state(&snap_b.as_state())),
        || {
            Violation::error(format!(
                "the resource {label_b} differs from the resource {label_a}"
            ))
            .rule(format!("same-state/{}/{}", step_a.name, step_b.name))
            .expected(format!(
                "the same state {label_a} and {label_b} (same_state assertion)"
            ))
            .observed("the states differ (see diff)")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Method;
    use serde_json::json;

    #[test]
    fn requests_get_captured_values_with_their_types() {
        let step = Step {
            name: "reboot".into(),
            method: Method::Put,
            path: "/devices/{id}".into(),
            headers: vec![("If-Match".into(), "{etag}".into())],
            body: Some(json!({"times_rebooted": "{n+1}", "label": "dev {id}"})),
            repeat: 1,
            expect: Expect::default(),
            capture: Vec::new(),
        };
        let captures = BTreeMap::from([
            ("id".to_string(), json!("idf-1")),
            ("n".to_string(), json!(4)),
            ("etag".to_string(), json!("\"v1\"")),
        ]);
        let req = build_request(&step, &captures, 1 << 20).expect("all placeholders captured");
        assert_eq!(req.path, "/devices/idf-1");
        assert_eq!(
            req.headers,
            vec![("If-Match".to_string(), "\"v1\"".to_string())]
        );
        assert_eq!(
            req.body,
            Some(json!({"times_rebooted": 5, "label": "dev idf-1"}))
        );
        let missing = BTreeMap::from([("id".to_string(), json!("idf-1"))]);
        assert!(build_request(&step, &missing, 1 << 20).is_err());
    }

    #[test]
    fn captured_values_never_add_or_remove_path_segments() {
        let step = Step {
            name: "write".into(),
            method: Method::Delete,
            path: "/things/{id}/v/{sfx}?k={sfx}".into(),
            headers: Vec::new(),
            body: None,
            repeat: 1,
            expect: Expect::default(),
            capture: Vec::new(),
        };
        let with = |value: &str| {
            let captures = BTreeMap::from([
                ("id".to_string(), json!("idf-1")),
                ("sfx".to_string(), json!(value)),
            ]);
            build_request(&step, &captures, 1 << 20).map(|req| req.path)
        };
        assert_eq!(
            with("a b&c").as_deref(),
            Ok("/things/idf-1/v/a%20b%26c?k=a%20b%26c")
        );
        for hostile in [
            "/../pre00002",
            "x/../pre00002",
            "..",
            "%2e%2e",
            "a%2f..%2fb",
            "p#x",
            "p?x",
            "a\\b",
        ] {
            let refused = with(hostile).expect_err(hostile);
            assert!(
                matches!(refused, FillError::Unsafe(_)),
                "{hostile}: {refused}"
            );
        }
    }
}
