//! Which checks observe the collection, and what a collection that cannot be listed does to
//! them: a check whose only observation is the collection does not run (or, at run time, ends
//! as having observed nothing); the others judge their item rules and note that the collection
//! rules judged nothing.

use crate::model::check::CheckId;
use crate::scenario::Resource;

/// Checks whose every judgement counts items in the collection.
pub(crate) fn observes_only_the_collection(check: CheckId) -> bool {
    matches!(check, CheckId::PostRetry | CheckId::ConcurrentPostKey)
}

/// Checks that read the collection for some of their rules.
pub(crate) fn reads_the_collection(check: CheckId) -> bool {
    observes_only_the_collection(check)
        || matches!(
            check,
            CheckId::RepeatPut
                | CheckId::RepeatDelete
                | CheckId::GetSafety
                | CheckId::ConcurrentPut
                | CheckId::LostResponseRetry
                | CheckId::ConditionalWrite
                | CheckId::PostPutCreation
                | CheckId::Fuzz
        )
}

/// What the scenario says when it declares no listing.
const NO_LISTING: &str =
    "the scenario declares that the collection has no listing (`[listing] format = \"none\"`)";

/// Why a check does not run on a resource whose collection cannot be listed.
pub(crate) fn skip_reason(check: CheckId, resource: &Resource) -> Option<String> {
    (resource.unlistable() && observes_only_the_collection(check))
        .then(|| format!("{NO_LISTING}, and this check observes only the collection"))
}

/// The note of a check that runs without its collection rules.
pub(crate) fn notes(check: CheckId, resource: &Resource) -> Vec<String> {
    if resource.unlistable() && reads_the_collection(check) {
        vec![format!("its collection rules judged nothing: {NO_LISTING}")]
    } else {
        Vec::new()
    }
}
