//! Snapshot comparison cost on a 1 MB JSON document: canonicalising both states (ignore
//! patterns and run-id placeholders), finding the differing leaves and rendering the capped
//! unified diff — with one changed leaf, and with 10,000.

use std::time::{Duration, Instant};

use idemfuzz::scenario::IgnorePattern;
use idemfuzz::snapshot::canonical::{Canon, differing_leaves};
use idemfuzz::snapshot::diff::unified_diff;
use serde_json::{Value, json};

use crate::stats::{count, median, ms};
use crate::table::{Section, verdict};

const TARGET: Duration = Duration::from_millis(50);

/// A document of `items` objects, about 1 MB serialised.
fn document() -> Value {
    let items: Vec<Value> = (0..5_000)
        .map(|i| {
            let color = ["red", "green", "blue"][i % 3];
            json!({
                "id": format!("idf-bench-{i:05}"),
                "name": format!("thing number {i} with a longer name"),
                "color": color,
                "size": i % 100,
                "tags": [format!("t{}", i % 7), format!("u{}", i % 11)],
                "owner": {"id": format!("idf-bench-owner-{}", i % 50), "team": "tools"},
                "updatedAt": format!("2026-11-21T12:{:02}:{:02}Z", i % 60, i % 60),
            })
        })
        .collect();
    json!({"status": 200, "body": {"items": items, "total": 5_000}})
}

/// The document with `changes` leaves changed (`size` and `name` of the first items).
fn changed(doc: &Value, changes: usize) -> Value {
    let mut doc = doc.clone();
    let mut left = changes;
    if let Some(Value::Array(items)) = doc.pointer_mut("/body/items") {
        for item in items.iter_mut() {
            for field in ["size", "name"] {
                if left == 0 {
                    return doc;
                }
                item[field] = json!(format!("changed {left}"));
                left -= 1;
            }
        }
    }
    doc
}

/// One comparison as a check makes it, timed by stage.
struct Timing {
    canonicalise: Duration,
    leaves: Duration,
    diff: Duration,
    leaf_count: usize,
    diff_lines: usize,
    diff_bytes: usize,
}

fn compare(canon: &Canon, a: &Value, b: &Value) -> Timing {
    let started = Instant::now();
    let ca = canon.item_state(a);
    let cb = canon.item_state(b);
    let canonicalised = Instant::now();
    let leaves = differing_leaves(&ca, &cb);
    let found = Instant::now();
    let diff = unified_diff("before", &ca, "after", &cb).unwrap_or_default();
    let rendered = Instant::now();
    Timing {
        canonicalise: canonicalised - started,
        leaves: found - canonicalised,
        diff: rendered - found,
        leaf_count: leaves.len(),
        diff_lines: diff.lines().count(),
        diff_bytes: diff.len(),
    }
}

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let iterations = if quick { 3 } else { 11 };
    let doc = document();
    let size = serde_json::to_vec(&doc)?.len();
    let ignore = vec![
        IgnorePattern::parse("/items/*/updatedAt").map_err(anyhow::Error::msg)?,
        IgnorePattern::parse("/total").map_err(anyhow::Error::msg)?,
    ];
    let canon = Canon::with_ignore(ignore)
        .mapping_ids((0..4).map(|i| format!("idf-bench-{i:05}")).collect());
    let mut section = Section::new(
        "Snapshot comparison on a 1 MB document",
        &[
            "changes",
            "canonicalise (both)",
            "differing leaves",
            "diff (capped)",
            "total",
            "leaves found",
            "diff shown",
            "target",
        ],
    );
    for changes in [1usize, 10_000] {
        let other = changed(&doc, changes);
        let timings: Vec<Timing> = (0..iterations)
            .map(|_| compare(&canon, &doc, &other))
            .collect();
        let stage = |f: fn(&Timing) -> Duration| {
            median(&timings.iter().map(f).collect::<Vec<_>>()).unwrap_or_default()
        };
        let total = stage(|t| t.canonicalise + t.leaves + t.diff);
        let last = timings
            .last()
            .map_or((0, 0, 0), |t| (t.leaf_count, t.diff_lines, t.diff_bytes));
        let target = if changes == 1 {
            verdict(total < TARGET)
        } else {
            verdict(last.1 <= idemfuzz::snapshot::diff::MAX_DIFF_LINES + 1)
        };
        section.row(vec![
            count(changes as u64),
            ms(stage(|t| t.canonicalise)),
            ms(stage(|t| t.leaves)),
            ms(stage(|t| t.diff)),
            ms(total),
            count(last.0 as u64),
            format!("{} lines, {} bytes", last.1, count(last.2 as u64)),
            target,
        ]);
    }
    section.note(format!(
        "Document: {} bytes of JSON ({} items), two ignore patterns (one with a wildcard), four run ids mapped to placeholders; median of {iterations} comparisons, in this process.",
        count(size as u64),
        5_000
    ));
    section.note("Targets: < 50 ms in total for one changed leaf; for 10,000 changes the diff shown stays capped (200 lines and a summary line).");
    Ok(section)
}
