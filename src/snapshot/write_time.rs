//! Write metadata (oracles.md, "Judging honestly"): a member the client does not send whose
//! value is a time — RFC 3339, an HTTP date, or seconds or milliseconds since the epoch — is
//! what the server stamps on each write (`updatedAt`, `modified`), not state the write
//! changed. Comparisons mask such values; counters stay: an integer that is not a plausible
//! time (`revision: 3`) and an array that grows (`history`) still differ.
//!
//! A scenario turns the rule off per resource with `write_metadata = false`.

use serde_json::Value;

/// What a masked time reads as in a canonical state.
pub(crate) const WRITE_TIME: &str = "{write time}";

/// Seconds since the epoch taken for a time: 2001-09-09 up to 2096.
const EPOCH_SECONDS: std::ops::RangeInclusive<f64> = 1.0e9..=4.0e9;
/// The same span in milliseconds.
const EPOCH_MILLIS: std::ops::RangeInclusive<f64> = 1.0e12..=4.0e12;

/// True when the value reads as a time a server writes.
pub(crate) fn is_time(value: &Value) -> bool {
    match value {
        Value::String(text) => is_rfc3339(text) || httpdate::parse_http_date(text).is_ok(),
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|n| EPOCH_SECONDS.contains(&n) || EPOCH_MILLIS.contains(&n)),
        _ => false,
    }
}

/// `YYYY-MM-DDTHH:MM` (or a space for the `T`) at the start, as RFC 3339 and ISO 8601 write
/// date-times.
fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() >= 16
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
}

/// Masks every time inside the members of the object `body` that are not among
/// `client_members` (at any depth below them).
pub(crate) fn mask(body: &mut Value, client_members: &[String]) {
    let Value::Object(members) = body else {
        return;
    };
    for (name, value) in members.iter_mut() {
        if !client_members.contains(name) {
            mask_times(value);
        }
    }
}

fn mask_times(value: &mut Value) {
    if is_time(value) {
        *value = Value::String(WRITE_TIME.to_string());
        return;
    }
    match value {
        Value::Array(items) => items.iter_mut().for_each(mask_times),
        Value::Object(members) => members.values_mut().for_each(mask_times),
        _ => {}
    }
}

/// The top-level members of `body` outside `client_members` that hold a time (directly or
/// below), in order: what [`mask`] hides, for the report's note.
pub(crate) fn time_members(body: &Value, client_members: &[String]) -> Vec<String> {
    let Value::Object(members) = body else {
        return Vec::new();
    };
    members
        .iter()
        .filter(|(name, _)| !client_members.contains(name))
        .filter(|(_, value)| holds_time(value))
        .map(|(name, _)| name.clone())
        .collect()
}

fn holds_time(value: &Value) -> bool {
    is_time(value)
        || match value {
            Value::Array(items) => items.iter().any(holds_time),
            Value::Object(members) => members.values().any(holds_time),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_of_every_common_shape_are_recognised() {
        for time in [
            json!("2026-12-05T00:13:23.456Z"),
            json!("2026-12-05T00:13:23+01:00"),
            json!("2026-12-05 00:13:23"),
            json!("Sat, 05 Dec 2026 00:13:23 GMT"),
            json!(1_796_429_603),
            json!(1_796_429_603_456_u64),
            json!(1_796_429_603.25),
        ] {
            assert!(is_time(&time), "{time}");
        }
        for other in [
            json!(3),
            json!("red"),
            json!("2026-12-05"),
            json!(null),
            json!(12_345_678),
        ] {
            assert!(!is_time(&other), "{other}");
        }
    }

    #[test]
    fn only_members_the_client_does_not_send_are_masked_and_counters_stay() {
        let client = vec!["name".to_string(), "due".to_string()];
        let mut body = json!({
            "name": "a",
            "due": "2026-12-05T00:00:00Z",
            "updatedAt": "2026-12-05T00:13:23.456Z",
            "updated": 1_796_429_603_456_u64,
            "revision": 3,
            "history": [{"op": "put", "at": "2026-12-05T00:13:23.456Z"}],
        });
        assert_eq!(
            time_members(&body, &client),
            ["history", "updated", "updatedAt"]
        );
        mask(&mut body, &client);
        assert_eq!(
            body,
            json!({
                "name": "a",
                "due": "2026-12-05T00:00:00Z",
                "updatedAt": WRITE_TIME,
                "updated": WRITE_TIME,
                "revision": 3,
                "history": [{"op": "put", "at": WRITE_TIME}],
            })
        );
    }
}
