//! Scenario loading errors, located at file:line:col and rendered once, rustc-style.
//!
//! A located error displays as `PATH:LINE:COL: error: MESSAGE` (1-based line and column, the
//! column counted in characters), then the offending source line with carets under the span.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Why scenarios could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A file or directory could not be read.
    #[error("{}: error: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or does not have the shape of a scenario file.
    #[error("{0}")]
    Toml(Box<Located>),
    /// The file is well-formed but says something idemfuzz cannot run.
    #[error("{0}")]
    Invalid(Box<Located>),
    /// A directory holds no `*.toml` file.
    #[error("{}: error: no scenario files (*.toml) in this directory", path.display())]
    NoScenarioFiles { path: PathBuf },
    /// A file given explicitly does not end in `.toml`.
    #[error("{}: error: scenario files must end in `.toml`", path.display())]
    UnsupportedExtension { path: PathBuf },
}

impl ScenarioError {
    /// A TOML syntax or shape error, located from the toml error's span.
    pub(crate) fn toml(path: &Path, text: &str, err: &toml::de::Error) -> ScenarioError {
        let message = err.message().trim_end().to_owned();
        ScenarioError::Toml(Box::new(Located::new(path, text, err.span(), message)))
    }

    /// A semantic error at a span of the file.
    pub(crate) fn invalid(
        path: &Path,
        text: &str,
        span: Range<usize>,
        message: String,
    ) -> ScenarioError {
        ScenarioError::Invalid(Box::new(Located::new(path, text, Some(span), message)))
    }
}

/// An error message with its place in a file and the source line it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub(crate) path: PathBuf,
    /// `None` when the parser could not say where.
    pub(crate) position: Option<Position>,
    pub(crate) message: String,
    /// Extra lines shown after the snippet as `= note: ...`.
    pub(crate) notes: Vec<String>,
}

/// A 1-based place in a file, with the source line and how many characters to underline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The source line as shown: a long line is cut to `SHOWN_LINE` characters around the
    /// column, with `…` where it was cut.
    pub(crate) source_line: String,
    /// The column of the span in `source_line` as shown.
    pub(crate) shown_column: usize,
    pub(crate) width: usize,
}

/// Characters of a source line shown under an error.
const SHOWN_LINE: usize = 120;
/// Characters shown before the column when a long line is cut.
const SHOWN_BEFORE: usize = 40;

impl Located {
    /// Locates a byte span of `text` (clamped to the text and to character boundaries).
    pub(crate) fn new(
        path: &Path,
        text: &str,
        span: Option<Range<usize>>,
        message: String,
    ) -> Located {
        Located {
            path: path.to_path_buf(),
            position: span.map(|span| Position::of(text, span)),
            message: shorten_quoted(&message),
            notes: Vec::new(),
        }
    }

    /// Adds a `= note:` line.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Located {
        self.notes.push(note.into());
        self
    }
}

impl Position {
    fn of(text: &str, span: Range<usize>) -> Position {
        let start = floor_boundary(text, span.start);
        let end = floor_boundary(text, span.end.max(start));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let source_line = text[line_start..line_end].trim_end_matches('\r');
        let column = text[line_start..start].chars().count() + 1;
        let underlined = text[start..end.min(line_end)].chars().count().max(1);
        let (source_line, shown_column, width) =
            window(&mask_userinfo(source_line), column, underlined);
        Position {
            line: text[..start].matches('\n').count() + 1,
            column,
            source_line,
            shown_column,
            width,
        }
    }
}

/// A long line cut to [`SHOWN_LINE`] characters around `column`, with the column and width of
/// the underline in what is shown.
fn window(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let count = line.chars().count();
    if count <= SHOWN_LINE {
        return (line.to_owned(), column, width);
    }
    let start = column.saturating_sub(1).saturating_sub(SHOWN_BEFORE);
    let end = (start + SHOWN_LINE).min(count);
    let mut shown: String = line.chars().skip(start).take(end - start).collect();
    let mut shown_column = column - start;
    if start > 0 {
        shown.insert(0, '…');
        shown_column += 1;
    }
    if end < count {
        shown.push('…');
    }
    let width = width.min(end.saturating_sub(column - 1)).max(1);
    (shown, shown_column, width)
}

/// A message with every `quoted` value longer than a few dozen characters shortened.
fn shorten_quoted(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(n, part)| {
            if n % 2 == 1 {
                crate::shorten::shorten(part).into_owned()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// A source line with the user-info of any URL in it (`scheme://user:password@`) masked, so an
/// error about credentials never prints them.
fn mask_userinfo(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(['/', '"', '\'', ' ', '?', '#'])
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(userinfo_end) => {
                out.push_str("USER:PASSWORD");
                rest = &tail[userinfo_end..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// The largest character boundary at or before `index`, within the text.
fn floor_boundary(text: &str, index: usize) -> usize {
    let mut i = index.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let Some(pos) = &self.position else {
            write!(f, "{path}: error: {}", self.message)?;
            return self.write_notes(f, 1);
        };
        writeln!(
            f,
            "{path}:{}:{}: error: {}",
            pos.line, pos.column, self.message
        )?;
        let gutter = pos.line.to_string().len() + 1;
        let blank = " ".repeat(gutter);
        let indent: String = pos
            .source_line
            .chars()
            .take(pos.shown_column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{blank} |")?;
        writeln!(f, "{:>gutter$} | {}", pos.line, pos.source_line)?;
        write!(f, "{blank} | {indent}{}", "^".repeat(pos.width))?;
        self.write_notes(f, gutter)
    }
}

impl Located {
    fn write_notes(&self, f: &mut fmt::Formatter<'_>, gutter: usize) -> fmt::Result {
        for note in &self.notes {
            write!(f, "\n{} = note: {note}", " ".repeat(gutter))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rustc_style() {
        let text = "[resources.t]\n\ncolection = \"/things\"\n";
        let start = text.find("colection").expect("present");
        let err = ScenarioError::invalid(
            Path::new("scenarios/bad.toml"),
            text,
            start..start + 9,
            "unknown field `colection`".into(),
        );
        assert_eq!(
            err.to_string(),
            "scenarios/bad.toml:3:1: error: unknown field `colection`\n   |\n 3 | colection = \"/things\"\n   | ^^^^^^^^^"
        );
    }

    #[test]
    fn columns_count_characters_and_carets_stop_at_the_line_end() {
        let text = "a = \"é\"; b = 1\nnext";
        let start = text.find('b').expect("present");
        let located = Located::new(
            Path::new("f.toml"),
            text,
            Some(start..text.len()),
            "m".into(),
        );
        let pos = located.position.clone().expect("located");
        assert_eq!((pos.line, pos.column, pos.width), (1, 10, 5));
        let rendered = located.with_note("a note").to_string();
        assert!(rendered.ends_with("   |          ^^^^^\n   = note: a note"));
    }

    #[test]
    fn wide_line_numbers_widen_the_gutter() {
        let text = format!("{}x", "\n".repeat(11));
        let located = Located::new(Path::new("f.toml"), &text, Some(11..12), "m".into());
        assert_eq!(
            located.to_string(),
            "f.toml:12:1: error: m\n    |\n 12 | x\n    | ^"
        );
    }

    #[test]
    fn spans_past_the_end_or_inside_a_character_are_clamped() {
        let located = Located::new(Path::new("f"), "é", Some(1..99), "m".into());
        let pos = located.position.expect("located");
        assert_eq!((pos.line, pos.column), (1, 1));
        let empty = Located::new(Path::new("f"), "", Some(0..0), "m".into());
        assert_eq!(empty.to_string(), "f:1:1: error: m\n   |\n 1 | \n   | ^");
    }

    #[test]
    fn long_lines_and_long_values_are_shortened() {
        let value = "x".repeat(5_000);
        let text = format!("item = \"/t/{value}\" # end");
        let at = text.find("# end").expect("present");
        let located = Located::new(
            Path::new("f.toml"),
            &text,
            Some(at..at + 5),
            format!("the item path `{value}` is wrong"),
        );
        let rendered = located.to_string();
        assert!(
            rendered.starts_with("f.toml:1:5014: error: the item path `xxx"),
            "{rendered}"
        );
        assert!(rendered.len() < 600, "{rendered}");
        let lines: Vec<&str> = rendered.lines().collect();
        let caret = lines[3].chars().position(|c| c == '^').expect("caret");
        let hash = lines[2]
            .chars()
            .position(|c| c == '#')
            .expect("the span is shown");
        assert_eq!(caret, hash, "{rendered}");
    }

    #[test]
    fn url_credentials_are_masked_in_excerpts() {
        assert_eq!(
            mask_userinfo(r#"base_url = "http://user:hunter2@h:1/x" # http://plain/y"#),
            r#"base_url = "http://USER:PASSWORD@h:1/x" # http://plain/y"#
        );
    }

    #[test]
    fn unlocated_errors_have_no_snippet() {
        let located = Located::new(Path::new("f.toml"), "", None, "m".into());
        assert_eq!(located.to_string(), "f.toml: error: m");
    }
}
