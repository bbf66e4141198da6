//! A unified diff (as findings carry it) laid out side by side: the old state on the left, the
//! new on the right, each line with its number; removed and added lines of one change are paired
//! row by row. Pure: the HTML report renders the rows.

/// What one row of a side-by-side diff shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Row {
    /// A hunk header (`@@ -9,7 +9,7 @@`).
    Hunk(String),
    /// A line on either side; `None` where that side has no line.
    Line {
        left: Option<Cell>,
        right: Option<Cell>,
        kind: Kind,
    },
}

/// One side of a row: the line number in its file and the text (without the diff marker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) number: usize,
    pub(crate) text: String,
}

/// How the two sides of a row relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The same line on both sides.
    Same,
    /// Removed on the left, added on the right (or only one of them).
    Changed,
}

/// The diff's two titles (from `---` and `+++`) and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SideBySide {
    pub(crate) left_title: String,
    pub(crate) right_title: String,
    pub(crate) rows: Vec<Row>,
}

/// Lays `diff` out side by side. Lines that are not part of a unified diff are shown on both
/// sides, so nothing is lost.
pub(crate) fn side_by_side(diff: &str) -> SideBySide {
    let mut out = SideBySide::default();
    let (mut left_no, mut right_no) = (0, 0);
    let mut removed: Vec<Cell> = Vec::new();
    let mut added: Vec<Cell> = Vec::new();
    for line in diff.lines() {
        if let Some(title) = line.strip_prefix("--- ") {
            out.left_title = title.to_string();
            continue;
        }
        if let Some(title) = line.strip_prefix("+++ ") {
            out.right_title = title.to_string();
            continue;
        }
        if line.starts_with("@@") {
            flush(&mut out.rows, &mut removed, &mut added);
            (left_no, right_no) = hunk_starts(line);
            out.rows.push(Row::Hunk(line.to_string()));
            continue;
        }
        if let Some(text) = line.strip_prefix('-') {
            left_no += 1;
            removed.push(cell(left_no, text));
        } else if let Some(text) = line.strip_prefix('+') {
            right_no += 1;
            added.push(cell(right_no, text));
        } else {
            flush(&mut out.rows, &mut removed, &mut added);
            let text = line.strip_prefix(' ').unwrap_or(line);
            left_no += 1;
            right_no += 1;
            out.rows.push(Row::Line {
                left: Some(cell(left_no, text)),
                right: Some(cell(right_no, text)),
                kind: Kind::Same,
            });
        }
    }
    flush(&mut out.rows, &mut removed, &mut added);
    out
}

fn cell(number: usize, text: &str) -> Cell {
    Cell {
        number,
        text: text.to_string(),
    }
}

/// Pairs the pending removed and added lines row by row.
fn flush(rows: &mut Vec<Row>, removed: &mut Vec<Cell>, added: &mut Vec<Cell>) {
    let count = removed.len().max(added.len());
    let mut left = removed.drain(..);
    let mut right = added.drain(..);
    for _ in 0..count {
        rows.push(Row::Line {
            left: left.next(),
            right: right.next(),
            kind: Kind::Changed,
        });
    }
}

/// The line before the first of each side in `@@ -L,n +R,m @@` (so that the first line of the
/// hunk is `L`, `R`); `(0, 0)` when the header cannot be read.
fn hunk_starts(header: &str) -> (usize, usize) {
    let start = |marker: char| {
        header
            .split_whitespace()
            .find_map(|part| part.strip_prefix(marker))
            .and_then(|range| range.split(',').next())
            .and_then(|n| n.parse::<usize>().ok())
            .map_or(0, |n| n.saturating_sub(1))
    };
    (start('-'), start('+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "\
--- after 1 PUT
+++ after 4 PUTs
@@ -9,4 +9,5 @@
   \"id\": \"a\",
-  \"revision\": 1,
+  \"revision\": 4,
+  \"views\": 2,
   \"size\": 2
";

    #[test]
    fn removed_and_added_lines_pair_up_with_their_numbers() {
        let diff = side_by_side(DIFF);
        assert_eq!(diff.left_title, "after 1 PUT");
        assert_eq!(diff.right_title, "after 4 PUTs");
        assert_eq!(diff.rows[0], Row::Hunk("@@ -9,4 +9,5 @@".into()));
        assert_eq!(
            diff.rows[2],
            Row::Line {
                left: Some(cell(10, "  \"revision\": 1,")),
                right: Some(cell(10, "  \"revision\": 4,")),
                kind: Kind::Changed,
            }
        );
        assert_eq!(
            diff.rows[3],
            Row::Line {
                left: None,
                right: Some(cell(11, "  \"views\": 2,")),
                kind: Kind::Changed,
            }
        );
        assert_eq!(
            diff.rows[4],
            Row::Line {
                left: Some(cell(11, "  \"size\": 2")),
                right: Some(cell(12, "  \"size\": 2")),
                kind: Kind::Same,
            }
        );
    }
}
