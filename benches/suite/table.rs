//! Result tables: a section is a title, a table and notes, rendered as Markdown and written
//! between the bench markers of `docs/performance.md`.

use std::path::Path;

use anyhow::Context;

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// "met" or "missed", for the target columns.
pub(crate) fn verdict(met: bool) -> String {
    if met {
        "met".into()
    } else {
        "**missed**".into()
    }
}

/// One part of the suite's output.
pub(crate) struct Section {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Lines printed under the table (how it was measured, targets, misses).
    pub notes: Vec<String>,
}

impl Section {
    pub(crate) fn new(title: &str, headers: &[&str]) -> Section {
        Section {
            title: title.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The section as Markdown: a level-3 heading, the table, the notes as a list.
    pub(crate) fn markdown(&self) -> String {
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

/// Puts the sections between the markers of `path`: a section replaces the one with the same
/// title, the others stay (so `--only` updates some parts and keeps the rest), new ones are
/// added at the end.
pub(crate) fn write_between_markers(path: &Path, sections: &[Section]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let (before, rest) = text
        .split_once(BEGIN)
        .with_context(|| format!("{} has no `{BEGIN}` marker", path.display()))?;
    let (old, after) = rest
        .split_once(END)
        .with_context(|| format!("{} has no `{END}` marker", path.display()))?;
    let mut blocks = existing_blocks(old);
    for section in sections {
        let fresh = section.markdown();
        match blocks.iter_mut().find(|(title, _)| *title == section.title) {
            Some(block) => block.1 = fresh,
            None => blocks.push((section.title.clone(), fresh)),
        }
    }
    let body: String = blocks.into_iter().map(|(_, text)| text).collect();
    let updated = format!("{before}{BEGIN}\n\n{body}{END}{after}");
    std::fs::write(path, updated).with_context(|| format!("write {}", path.display()))
}

/// The `### Title` blocks already between the markers, in order.
fn existing_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            blocks.push((title.to_string(), String::new()));
        }
        if let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    blocks
}
