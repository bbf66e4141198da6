use proptest::prelude::*;

use super::*;

fn wire(text: &str) -> WireUrl {
    WireUrl::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"))
}

#[test]
fn urls_are_judged_as_the_http_stack_sends_them() {
    for (given, sent) in [
        (
            "http://h/things/idf-1/%2e%2e/pre00001",
            "http://h/things/pre00001",
        ),
        ("http://h/things/idf-1/%2E%2e/pre1", "http://h/things/pre1"),
        ("http://h/things/idf-1/.%2e/pre1", "http://h/things/pre1"),
        ("http://h/things/idf-1/%2e./pre1", "http://h/things/pre1"),
        ("http://h/things/x\\..\\pre4", "http://h/things/pre4"),
        ("http://h/things/pre1#{id}", "http://h/things/pre1"),
        ("HTTP://H:80/a/./b/../c?x=1#f", "http://h/a/c?x=1"),
        ("http://user:pw@h/a", "http://h/a"),
    ] {
        assert_eq!(wire(given).as_str(), sent, "{given}");
    }
}

#[test]
fn the_key_is_one_spelling_per_resource() {
    assert_eq!(
        wire("http://h/things/%41b").key(),
        wire("http://h/things/Ab").key()
    );
    assert_eq!(wire("http://h/a:b").key(), wire("http://h/a%3Ab").key());
    assert_eq!(wire("http://h/x?q=1#f").key(), wire("http://h/x").key());
    assert_ne!(wire("http://h/a%2Fb").key(), wire("http://h/a/b").key());
    assert_ne!(wire("http://h/a").key(), wire("https://h/a").key());
    assert_eq!(wire("http://h:80/a").key(), "http://h/a");
}

#[test]
fn values_become_exactly_one_segment_or_are_refused() {
    assert_eq!(segment("idf-x1-c0001-1").as_deref(), Ok("idf-x1-c0001-1"));
    assert_eq!(segment("a b").as_deref(), Ok("a%20b"));
    assert_eq!(segment("100%").as_deref(), Ok("100%25"));
    assert_eq!(segment("a:b+c").as_deref(), Ok("a%3Ab%2Bc"));
    assert_eq!(segment("é").as_deref(), Ok("%C3%A9"));
    for dot in [
        ".",
        "..",
        "%2e",
        "%2e%2e",
        ".%2E",
        "%252e%252e",
        "..;x",
        ".%2e%3Bjsessionid",
    ] {
        assert!(matches!(segment(dot), Err(UnsafeSegment::Dot(_))), "{dot}");
    }
    for separator in [
        "/../pre00002",
        "x/../pre00002",
        "a%2f..%2fb",
        "a%252fb",
        "a\\b",
        "a%5Cb",
    ] {
        assert!(
            matches!(segment(separator), Err(UnsafeSegment::Separator(_))),
            "{separator}"
        );
    }
    for delimiter in ["pre00003#x", "pre00003?k=1", "a%23b", "a%3fb"] {
        assert!(
            matches!(segment(delimiter), Err(UnsafeSegment::Delimiter(_))),
            "{delimiter}"
        );
    }
    assert_eq!(segment(""), Err(UnsafeSegment::Empty));
    for overlong in ["%c0%ae%c0%ae", "%ff", "a%25c0%25ae"] {
        assert!(
            matches!(segment(overlong), Err(UnsafeSegment::NotUtf8(_))),
            "{overlong}"
        );
    }
    assert!(!stays_below("%c0%ae%c0%ae"));
    assert!(!stays_below("..;"));
    assert!(stays_below("v1;rev=2"));
}

#[test]
fn values_servers_read_as_dots_or_separators_in_other_spellings_are_refused() {
    // Unicode NFKC (`．` U+FF0E, `‥` U+2025, `／` U+FF0F), IIS's `%uXXXX`, and names that
    // servers trim to `..` (a NUL, whitespace, zero-width characters, trailing dots).
    for dot in [
        "．．",
        "‥",
        "%EF%BC%8E%EF%BC%8E",
        "％２ｅ％２ｅ",
        "%u002e%u002e",
        "%U002E.",
        "...",
        ".. ",
        " ..",
        ".\u{200b}.",
        "..%3B",
        "..%20",
        "%252e%252e%2520",
    ] {
        assert!(matches!(segment(dot), Err(UnsafeSegment::Dot(_))), "{dot}");
        assert!(!stays_below(dot), "{dot}");
    }
    for separator in ["a／b", "a＼b", "%EF%BC%8F", "a%u002fb", "%u005c"] {
        assert!(
            matches!(segment(separator), Err(UnsafeSegment::Separator(_))),
            "{separator}"
        );
        assert!(!stays_below(separator), "{separator}");
    }
    for delimiter in ["a？b", "a＃b"] {
        assert!(
            matches!(segment(delimiter), Err(UnsafeSegment::Delimiter(_))),
            "{delimiter}"
        );
    }
    // A NUL cuts the name for C servers: `..\0x` is `..`; other control characters are
    // refused in values (they would alias another id).
    assert!(matches!(segment("..\u{0}x"), Err(UnsafeSegment::Dot(_))));
    for control in ["pre00001\u{0}", "a%00b", "a\r\nb", "a%0Ab", "a\u{7f}"] {
        assert!(
            matches!(segment(control), Err(UnsafeSegment::Control(_))),
            "{control:?}"
        );
    }
    // Ordinary values stay.
    for fine in ["v1.2", "a.b", "ＡＢ", "日本", "a;b", "100%", "%u00zz"] {
        assert!(segment(fine).is_ok(), "{fine}");
    }
    let shown = segment("a\u{0}b").expect_err("control").to_string();
    assert!(shown.contains("a\\0b"), "{shown}");
}

#[test]
fn refusals_shorten_long_values() {
    let long = format!("{}/x", "a".repeat(5_000));
    let message = segment(&long).expect_err("separator").to_string();
    assert!(message.len() < 300, "{message}");
}

#[test]
fn paths_are_appended_to_the_base_path() {
    let joined = |base: &str, path: &str| join(base, path).expect("joined").as_str().to_owned();
    assert_eq!(joined("http://h", "/things/a"), "http://h/things/a");
    assert_eq!(
        joined("http://h/api", "/things/a?x=1"),
        "http://h/api/things/a?x=1"
    );
    assert_eq!(joined("http://h/api/", "/things"), "http://h/api/things");
    assert_eq!(joined("http://h/api", "/"), "http://h/api/");
    assert_eq!(joined("http://h/api", "http://o/x"), "http://o/x");
    // Dots are resolved as the HTTP stack would, so the guard sees where it really goes.
    assert_eq!(
        joined("http://h/api", "/things/a/%2e%2e/b"),
        "http://h/api/things/b"
    );
    assert!(join("not a url", "/x").is_err());
}

#[test]
fn templates_are_filled_segment_by_segment() {
    let fill_with = |template: &str, value: &str| {
        let found = [(
            template.find('{').expect("{")..template.find('}').expect("}") + 1,
            (),
        )];
        fill(template, &found, |_| Ok::<_, String>(value.to_owned()))
    };
    assert_eq!(fill_with("/t/{x}/v", "a b").as_deref(), Ok("/t/a%20b/v"));
    assert_eq!(
        fill_with("/t/a?k={x}", "1&2 /").as_deref(),
        Ok("/t/a?k=1%262%20%2F")
    );
    for hostile in [
        "..",
        "/../pre1",
        "x/../pre1",
        "a%2f..%2fb",
        "p#x",
        "p?x",
        "a\\b",
    ] {
        let err = fill_with("/t/{x}", hostile).expect_err(hostile);
        assert!(
            matches!(&err, FillError::Unsafe(m) if m.contains("cannot go into the path")),
            "{err}"
        );
    }
    // A literal dot next to a value that decodes to one.
    assert!(fill_with("/t/.{x}", "%2e").is_err());
    assert!(fill_with("/t/.{x}", "x").is_ok());
    assert_eq!(item_path("/things/{id}", "a/b"), "/things/a%2Fb");
}

#[test]
fn templates_that_can_never_be_safe() {
    for bad in [
        "/things/{id}/%2e%2e/pre00002",
        "/things/{id}/%2E./pre00002",
        "/things/{id}\\..\\pre00004",
        "/things/pre00001#{id}",
        "/things/a%2fb/{id}",
        "/things/%252e/{id}",
        "/things/{id}/..",
        "/things/./{id}",
        "/things/{id}/..;/pre00001",
        "/things/{id}/%c0%ae%c0%ae/pre00001",
        "/things/{id}/..%3B/pre00001",
        "/things/{id}/．．/pre00001",
        "/things/{id}／..／pre00001",
        "/things/{id}/%u002e%u002e/pre00001",
        "/things/{id}/..%00/pre00001",
        "/things/{id}/..%20/pre00001",
        "/things/{id}/.../pre00001",
        "/things/{id}/x%0Ay",
        "/things/{id}?_method=DELETE",
        "/things?a=1&_METHOD=put",
        "/things/{id}?X-HTTP-Method-Override=PUT",
    ] {
        assert!(template_hazard(bad).is_some(), "{bad}");
    }
    for good in [
        "/things/{id}",
        "/v1.2/things/{id}/break",
        "/t/{id}?q=%2e",
        "/t/{id}?method=x",
        "/t/.{x}",
        "/t/{x}..",
    ] {
        assert_eq!(template_hazard(good), None, "{good}");
    }
}

proptest! {
    /// Whatever the value, an accepted one is exactly one segment on the wire, and a server
    /// that decodes it (once or twice) gets one segment that is not a dot segment.
    #[test]
    fn an_accepted_value_is_one_segment_on_the_wire(value in "(\\PC|%|/|\\\\|\\.|#|\\?){0,12}") {
        if let Ok(encoded) = segment(&value) {
            let url = join("http://h/api", &format!("/things/{encoded}")).expect("joined");
            let segments: Vec<&str> = url.url().path().split('/').collect();
            prop_assert_eq!(segments.len(), 4, "{}", url.as_str());
            prop_assert!(stays_below(segments[3]), "{}", url.as_str());
            let once = percent_decode_str(segments[3]).decode_utf8_lossy();
            prop_assert_eq!(once.as_ref(), value.as_str());
        }
    }
}
