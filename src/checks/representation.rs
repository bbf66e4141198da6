//! Which checks need JSON bodies, and why the others run on any representation: a check that
//! compares states, statuses or headers judges text, bytes and templates byte-exactly; one that
//! leaves members out of a body needs members (JSON or form); one that finds a POST's items by
//! the members they hold needs a JSON listing; the fuzzer and POST-PUT creation need JSON.

use crate::model::check::CheckId;
use crate::scenario::Resource;

/// Why counting what a POST created cannot work on a resource: its items are found by the
/// members of its (JSON: validation requires it with `post_id`) body, so the listed entries must
/// be the API's JSON items.
pub(crate) fn counting_skip(resource: &Resource) -> Option<String> {
    (!resource.listing.entries_are_items()).then(|| {
        format!(
            "a POST's items are found by the members of its body in the listed items, and a `{}` listing's entries are not the items",
            resource.listing.format.name()
        )
    })
}

/// Why a check does not run on the resource's representation (checked before the check's own
/// reasons: a text body has no optional members because it has no members at all).
pub(crate) fn skip_reason(check: CheckId, resource: &Resource) -> Option<String> {
    let representation = &resource.representation;
    let name = representation.name();
    match check {
        CheckId::PartialPut if !representation.has_members() => Some(format!(
            "a partial PUT leaves members out of the body, and a `{name}` body has none"
        )),
        CheckId::PostRetry | CheckId::ConcurrentPostKey if resource.post_id.is_some() => {
            counting_skip(resource)
        }
        CheckId::PostPutCreation if !representation.is_json() => Some(format!(
            "the empty item is judged by the JSON members it lacks, and the representation is `{name}`"
        )),
        CheckId::Fuzz if !representation.is_json() => Some(format!(
            "the sequence fuzzer sends JSON bodies and patches, and the representation is `{name}`"
        )),
        _ => None,
    }
}
