//! Long values in messages: a value quoted in an error, a refusal or a finding is shortened, so
//! that a 10,000-character capture or path never floods a terminal.

use std::borrow::Cow;

/// Characters of a value shown in a message before it is shortened.
pub(crate) const SHOWN_CHARS: usize = 80;

/// `text` when it has at most [`SHOWN_CHARS`] characters; otherwise its start and end around
/// `…(N characters)…`.
pub(crate) fn shorten(text: &str) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= SHOWN_CHARS {
        return Cow::Borrowed(text);
    }
    let head: String = text.chars().take(SHOWN_CHARS / 2).collect();
    let tail: String = text.chars().skip(count - SHOWN_CHARS / 4).collect();
    Cow::Owned(format!("{head}…({count} characters)…{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_kept_and_long_ones_cut_in_the_middle() {
        assert_eq!(shorten("abc"), "abc");
        let long = format!("{}END", "x".repeat(10_000));
        let shown = shorten(&long);
        assert!(shown.starts_with(&"x".repeat(40)), "{shown}");
        assert!(shown.contains("…(10003 characters)…"), "{shown}");
        assert!(shown.ends_with("END"), "{shown}");
        assert!(shown.chars().count() < 2 * SHOWN_CHARS);
        let wide = "é".repeat(200);
        assert!(shorten(&wide).contains("(200 characters)"));
    }
}
