//! "Replaces" judged differentially (oracles.md, "Judging honestly"): the state a PUT of body B
//! leaves on a resource with a history (an earlier body A, a DELETE) must equal the state of a
//! fresh resource that received B alone — over the members the client controls, each
//! resource's own id mapped to `{id:1}`. A server may fill the members B omits with `null` or
//! defaults (DRF, pydantic): the fresh resource shows the same defaults, so that is replacement,
//! not merging. Shared by `partial-put` and `put-after-delete`.

use serde_json::Value;

use crate::checks::matching::client_part;
use crate::snapshot::ItemSnapshot;
use crate::snapshot::canonical::Canon;
use crate::snapshot::diff::unified_diff;

/// One of the two resources compared: a label for the diff, its id and its read.
pub(crate) struct Side<'a> {
    pub(crate) label: &'a str,
    pub(crate) id: &'a str,
    pub(crate) read: &'a ItemSnapshot,
}

/// The two sides in comparable form: canonical, ids mapped, reduced to the client members.
fn comparable(side: &Side<'_>, members: &[String], canon: &Canon) -> Value {
    let canon = canon.clone().mapping_ids(vec![side.id.to_string()]);
    client_part(canon.item_state(&side.read.as_state()), members)
}

/// The diff from the fresh resource (`reference`) to the one with a history (`subject`), when
/// their client members differ.
pub(crate) fn differs(
    subject: &Side<'_>,
    reference: &Side<'_>,
    members: &[String],
    canon: &Canon,
) -> Option<String> {
    unified_diff(
        reference.label,
        &comparable(reference, members, canon),
        subject.label,
        &comparable(subject, members, canon),
    )
}

/// The members the subject holds with another value than the reference (absent on one side
/// counts), among `members`, in order.
pub(crate) fn differing_members(
    subject: &Side<'_>,
    reference: &Side<'_>,
    members: &[String],
    canon: &Canon,
) -> Vec<String> {
    let (a, b) = (
        comparable(subject, members, canon),
        comparable(reference, members, canon),
    );
    members
        .iter()
        .filter(|m| a["body"].get(m.as_str()) != b["body"].get(m.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Body;
    use serde_json::json;

    fn read(body: Value) -> ItemSnapshot {
        ItemSnapshot {
            seq: 1,
            status: 200,
            body: Body::Json { value: body },
            opaque: None,
        }
    }

    fn members() -> Vec<String> {
        ["color", "name", "size"].map(String::from).to_vec()
    }

    #[test]
    fn defaults_a_fresh_resource_also_gets_are_replacement() {
        let after_b = read(json!({"id": 7, "name": "b", "color": null, "size": null, "at": "t1"}));
        let fresh = read(json!({"id": 9, "name": "b", "color": null, "size": null, "at": "t2"}));
        let subject = Side {
            label: "after A, B",
            id: "7",
            read: &after_b,
        };
        let reference = Side {
            label: "B alone",
            id: "9",
            read: &fresh,
        };
        assert_eq!(
            differs(&subject, &reference, &members(), &Canon::default()),
            None
        );
    }

    #[test]
    fn a_member_of_a_that_survives_b_differs() {
        let after_b = read(json!({"id": "x-1", "name": "b", "color": "red", "self": "/t/x-1"}));
        let fresh = read(json!({"id": "x-2", "name": "b", "self": "/t/x-2"}));
        let subject = Side {
            label: "after A, B",
            id: "x-1",
            read: &after_b,
        };
        let reference = Side {
            label: "B alone",
            id: "x-2",
            read: &fresh,
        };
        let diff = differs(&subject, &reference, &members(), &Canon::default());
        assert!(diff.is_some_and(|d| d.contains("+    \"color\": \"red\"")));
        assert_eq!(
            differing_members(&subject, &reference, &members(), &Canon::default()),
            ["color"]
        );
    }
}
