//! Digests of JSON values: a canonical form (sorted members) hashed with FNV-1a, used for strong
//! entity tags and for Idempotency-Key payload fingerprints.

use serde_json::Value;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The strong entity tag of a representation: the same representation always gets the same tag,
/// whatever the order of its members.
pub(super) fn strong_etag(representation: &Value) -> String {
    format!("\"{:016x}\"", digest(representation))
}

/// A 64-bit digest of a JSON value's canonical form.
pub(super) fn digest(value: &Value) -> u64 {
    let mut canonical = String::new();
    write_canonical(value, &mut canonical);
    fnv1a(canonical.as_bytes())
}

/// A 64-bit digest of raw bytes.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(FNV_PRIME)
    })
}

/// Compact JSON with object members sorted by name, so equal values serialize identically.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (name, member)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(name.as_str()).to_string());
                out.push(':');
                write_canonical(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_values_share_a_tag_and_different_ones_do_not() {
        let a = json!({"id": "x", "n": [1, {"b": 2, "a": 1}]});
        let b: Value = serde_json::from_str(r#"{"n":[1,{"a":1,"b":2}],"id":"x"}"#).unwrap();
        assert_eq!(strong_etag(&a), strong_etag(&b));
        assert_ne!(strong_etag(&a), strong_etag(&json!({"id": "x"})));
    }

    #[test]
    fn tags_are_quoted_and_strong() {
        let tag = strong_etag(&json!({}));
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 18,
            "{tag}"
        );
    }

    #[test]
    fn canonical_form_sorts_nested_members() {
        let mut out = String::new();
        write_canonical(&json!({"b": {"d": null, "c": "é"}, "a": 1.5}), &mut out);
        assert_eq!(out, r#"{"a":1.5,"b":{"c":"é","d":null}}"#);
    }
}
