//! Unified diffs of two states, for humans: JSON pretty-printed with sorted keys, opaque
//! content as text or a bytes summary (`crate::snapshot::opaque`), capped in size.

use serde_json::Value;
use similar::TextDiff;

/// Diff lines kept at most; the rest is summarised in one line.
pub const MAX_DIFF_LINES: usize = 200;

/// A unified diff (3 lines of context) between two states, or `None` when they are equal.
pub fn unified_diff(label_a: &str, a: &Value, label_b: &str, b: &Value) -> Option<String> {
    if a == b {
        return None;
    }
    if let Some(diff) = crate::snapshot::opaque::diff(label_a, a, label_b, b) {
        return Some(cap_lines(&diff, MAX_DIFF_LINES));
    }
    let left = pretty(a);
    let right = pretty(b);
    let diff = TextDiff::from_lines(&left, &right)
        .unified_diff()
        .context_radius(3)
        .header(label_a, label_b)
        .to_string();
    Some(cap_lines(&diff, MAX_DIFF_LINES))
}

/// Pretty JSON with a trailing newline (serde_json's maps are sorted by key).
fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// Keeps the first `max` lines and says how many were left out.
fn cap_lines(text: &str, max: usize) -> String {
    let total = text.lines().count();
    if total <= max {
        return text.to_string();
    }
    let mut kept: String = text.lines().take(max).map(|l| format!("{l}\n")).collect();
    kept.push_str(&format!("… {} more diff lines not shown\n", total - max));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_states_have_no_diff() {
        assert_eq!(
            unified_diff("a", &json!({"x": 1}), "b", &json!({"x": 1})),
            None
        );
    }

    #[test]
    fn diff_marks_the_changed_member() {
        let diff = unified_diff(
            "after 1 PUT",
            &json!({"n": 1, "s": "a"}),
            "after 3 PUTs",
            &json!({"n": 3, "s": "a"}),
        )
        .expect("states differ");
        assert!(
            diff.starts_with("--- after 1 PUT\n+++ after 3 PUTs\n"),
            "{diff}"
        );
        assert!(diff.contains("-  \"n\": 1,"), "{diff}");
        assert!(diff.contains("+  \"n\": 3,"), "{diff}");
    }

    #[test]
    fn huge_diffs_are_capped() {
        let a: Vec<u32> = (0..1000).collect();
        let b: Vec<u32> = (1000..2000).collect();
        let diff = unified_diff("a", &json!(a), "b", &json!(b)).expect("differ");
        assert!(diff.lines().count() <= MAX_DIFF_LINES + 1);
        assert!(diff.ends_with("more diff lines not shown\n"));
    }
}
