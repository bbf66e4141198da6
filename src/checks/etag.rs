//! Entity tags as the conditional-request checks read and send them (RFC 9110 §8.8.3): the
//! syntax `"opaque"` / `W/"opaque"`, weakness, and the weak form of a strong tag.

/// One entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntityTag {
    pub(crate) weak: bool,
    /// The opaque tag with its quotes, e.g. `"abc"`.
    pub(crate) opaque: String,
}

impl EntityTag {
    /// Parses one `entity-tag` (surrounding whitespace allowed); `None` when the text is not
    /// `"opaque"` or `W/"opaque"` with only `etagc` characters between the quotes.
    pub(crate) fn parse(text: &str) -> Option<EntityTag> {
        let text = text.trim();
        let (weak, quoted) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
        inner.chars().all(is_etagc).then(|| EntityTag {
            weak,
            opaque: quoted.to_string(),
        })
    }

    /// The field value: `W/"x"` or `"x"`.
    pub(crate) fn field(&self) -> String {
        if self.weak {
            format!("W/{}", self.opaque)
        } else {
            self.opaque.clone()
        }
    }

    /// The same opaque tag, weak.
    pub(crate) fn weakened(&self) -> EntityTag {
        EntityTag {
            weak: true,
            opaque: self.opaque.clone(),
        }
    }
}

/// `etagc = %x21 / %x23-7E / obs-text` (RFC 9110 §8.8.3): visible ASCII but `"`, or non-ASCII.
fn is_etagc(c: char) -> bool {
    c == '!' || ('#'..='~').contains(&c) || !c.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strong_and_weak_tags() {
        let strong = EntityTag::parse("\"abc\"").unwrap();
        assert!(!strong.weak);
        assert_eq!(strong.field(), "\"abc\"");
        let weak = EntityTag::parse(" W/\"a-1\" ").unwrap();
        assert!(weak.weak);
        assert_eq!(weak.field(), "W/\"a-1\"");
        assert_eq!(strong.weakened().field(), "W/\"abc\"");
        assert!(EntityTag::parse("\"\"").is_some());
    }

    #[test]
    fn rejects_malformed_tags() {
        for bad in [
            "abc",
            "\"abc",
            "w/\"abc\"",
            "W/abc",
            "\"a b\"",
            "\"a\"b\"",
            "",
            "*",
        ] {
            assert_eq!(EntityTag::parse(bad), None, "{bad}");
        }
    }
}
