//! String `format`s the generators cannot draw at random, mapped to a few fixed valid values
//! (a `one_of`), so that a server that validates the format accepts the bodies.

/// Sample values for a string format, or `None` when a plain string (or `uuid`) will do.
pub(crate) fn samples(format: &str) -> Option<&'static [&'static str]> {
    Some(match format {
        "date-time" => &[
            "2024-01-15T09:30:00Z",
            "2024-06-30T18:45:10Z",
            "2025-02-03T07:05:59Z",
            "2025-11-20T23:00:00Z",
        ],
        "date" => &["2024-01-15", "2024-06-30", "2025-02-03", "2025-11-20"],
        "time" => &["09:30:00Z", "18:45:10Z", "07:05:59Z"],
        "email" | "idn-email" => &["ada@example.com", "grace@example.org", "linus@example.net"],
        "uri" | "url" | "iri" => &[
            "https://example.com/a",
            "https://example.org/b/c",
            "https://example.net/d?e=f",
        ],
        "uri-reference" | "iri-reference" => &["/a", "/b/c", "https://example.com/d"],
        "hostname" | "idn-hostname" => &["example.com", "api.example.org", "host.example.net"],
        "ipv4" => &["192.0.2.1", "198.51.100.7", "203.0.113.42"],
        "ipv6" => &["2001:db8::1", "2001:db8::42", "2001:db8:1::7"],
        "byte" => &["aGVsbG8=", "d29ybGQ=", "aWRlbWZ1eno="],
        "duration" => &["PT1H", "P1D", "PT30M"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_are_rfc3339() {
        for value in samples("date-time").unwrap_or_default() {
            assert!(humantime::parse_rfc3339(value).is_ok(), "{value}");
        }
        assert_eq!(samples("uuid"), None);
        assert_eq!(samples("something-else"), None);
    }
}
