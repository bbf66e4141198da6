//! Result tables: a section is a title, a table and notes, rendered as Markdown and written
//! between the bench markers of `docs/performance.md`.

use std::path::Path;

use anyhow::Context;

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// One part of the suite's output.
pub struct Section {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Lines printed under the table (how it was measured, targets, misses).
    pub notes: Vec<String>,
}

impl Section {
    pub fn new(title: &str, headers: &[&str]) -> Section {
        Section {
            title: title.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The section as Markdown: a level-3 heading, the table, the notes as a list.
    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        if !self.headers.is_empty() {
            out.push_str(&format!("| {} |\n", self.headers.join(" | ")));
            out.push_str(&format!("|{}\n", "---|".repeat(self.headers.len())));
            for row in &self.rows {
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(&format!("- {note}\n"));
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
        out
    }
}

/// Replaces what lies between the markers of `path` with the sections.
pub fn write_between_markers(path: &Path, sections: &[Section]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let (before, rest) = text
        .split_once(BEGIN)
        .with_context(|| format!("{} has no `{BEGIN}` marker", path.display()))?;
    let (_, after) = rest
        .split_once(END)
        .with_context(|| format!("{} has no `{END}` marker", path.display()))?;
    let body: String = sections.iter().map(Section::markdown).collect();
    let updated = format!("{before}{BEGIN}\n\n{body}{END}{after}");
    std::fs::write(path, updated).with_context(|| format!("write {}", path.display()))
}
