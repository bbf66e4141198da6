//! Text for terminals: display widths (wide characters count two columns, colour escapes
//! none), wrapping at spaces so that a word — a URL — is never split, hard wrapping for lines
//! without spaces (diff lines), truncation, and neutralising control characters a server sent.

use unicode_width::UnicodeWidthChar;

/// The width a report assumes when its output is not a terminal.
pub(crate) const DEFAULT_WIDTH: usize = 80;

/// The narrowest width reports lay themselves out for; a narrower terminal gets this.
pub(crate) const MIN_WIDTH: usize = 40;

/// Columns `text` takes on a terminal: ANSI escape sequences take none, wide characters two,
/// control and combining characters none.
pub(crate) fn display_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI … final byte: `\x1b[31m`, `\x1b[0m`.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        width += c.width().unwrap_or(0);
    }
    width
}

/// Wraps `line` (no newline inside) at spaces so that no line is wider than `width` when it
/// can be: a word wider than a line stays whole on a line of its own (so a URL is never cut).
/// Lines after the first start with `indent`.
pub(crate) fn wrap_words(line: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0;
    // Whether `current` holds a word yet (not only its indent or leading spaces).
    let mut has_word = false;
    for (i, word) in line.split(' ').enumerate() {
        let word_width = display_width(word);
        if i > 0 && has_word && !word.is_empty() && current_width + 1 + word_width > width {
            lines.push(current.trim_end().to_string());
            current = format!("{indent}{word}");
            current_width = display_width(indent) + word_width;
        } else {
            if i > 0 {
                current.push(' ');
                current_width += 1;
            }
            current.push_str(word);
            current_width += word_width;
        }
        has_word |= !word.is_empty();
    }
    lines.push(current);
    lines
}

/// [`wrap_words`], then any line still wider than `width` cut by character ([`wrap_chars`],
/// continuations after `indent` and `↳ `) unless its widest word is a URL or a path: those
/// stay whole, so they can be copied.
pub(crate) fn wrap_line(line: &str, width: usize, indent: &str) -> Vec<String> {
    wrap_words(line, width, indent)
        .into_iter()
        .flat_map(|piece| {
            let widest = piece
                .split(' ')
                .max_by_key(|w| display_width(w))
                .unwrap_or("");
            let keep = widest.contains("://") || widest.starts_with('/');
            if display_width(&piece) <= width || keep {
                vec![piece]
            } else {
                wrap_chars(&piece, width, &format!("{indent}↳ "))
            }
        })
        .collect()
}

/// Cuts `line` into pieces of at most `width` columns (the last may be shorter); each piece
/// after the first is prefixed with `marker`, which counts towards its width. For lines
/// without spaces to wrap at, such as a diff line holding a long JSON string.
pub(crate) fn wrap_chars(line: &str, width: usize, marker: &str) -> Vec<String> {
    let marker_width = display_width(marker);
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_width = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if current_width + w > width && current_width > marker_width {
            pieces.push(std::mem::take(&mut current));
            current.push_str(marker);
            current_width = marker_width;
        }
        current.push(c);
        current_width += w;
    }
    pieces.push(current);
    pieces
}

/// `line` cut to `width` columns, ending in `…` when something was cut.
pub(crate) fn truncate(line: &str, width: usize) -> String {
    if display_width(line) <= width {
        return line.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Makes server-provided text safe for a terminal: control characters other than newline and
/// tab are shown escaped (`\u{1b}`), so a response can never inject terminal escape sequences.
pub(crate) fn clean(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Prefixes every non-empty line of `text` with `prefix`; every line ends with a newline.
pub(crate) fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| match line {
            "" => "\n".to_string(),
            line => format!("{prefix}{line}\n"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_ignore_colour_and_count_wide_characters_twice() {
        assert_eq!(display_width("\x1b[31mred\x1b[0m"), 3);
        assert_eq!(display_width("褩😑a"), 5);
    }

    #[test]
    fn words_wrap_and_urls_stay_whole() {
        let url = "http://127.0.0.1:41939/things/idf-xjiu9p-c0004-1";
        let lines = wrap_words(&format!("1. PUT {url} → 201 create"), 30, "   ");
        assert_eq!(lines, ["1. PUT", &format!("   {url}"), "   → 201 create"]);
        assert!(lines.iter().all(|l| !l.ends_with(' ')));
        assert_eq!(wrap_words("short", 80, "  "), ["short"]);
        assert_eq!(
            wrap_words("  indented line", 9, "    "),
            ["  indented", "    line"]
        );
    }

    #[test]
    fn long_words_are_cut_unless_they_are_urls() {
        let json = r#"{"color":"red","dimensions":{"height":0.5}}"#;
        let cut = wrap_line(&format!("1. PUT slot 1 {json}"), 24, "   ");
        assert!(cut.iter().all(|l| display_width(l) <= 24), "{cut:?}");
        assert!(cut[2].starts_with("   ↳ "), "{cut:?}");
        let url = "http://127.0.0.1:8080/a/very/long/path/that/cannot/be/cut";
        assert_eq!(wrap_line(url, 24, "  "), [url]);
    }

    #[test]
    fn long_words_wrap_by_character_with_a_marker() {
        let pieces = wrap_chars("+ \"abcdefghij\"", 8, "+ ↳");
        assert_eq!(pieces, ["+ \"abcde", "+ ↳fghij", "+ ↳\""]);
        assert!(pieces.iter().all(|p| display_width(p) <= 8));
    }

    #[test]
    fn truncation_ends_in_an_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn terminal_escapes_from_the_server_are_neutralised() {
        assert_eq!(clean("a\x1b[2Jb\nc"), "a\\u{1b}[2Jb\nc");
    }
}
