//! The table of built-in checks, in the order they run: the one list the plan, the dry run,
//! the runner and scenario validation go through. Adding a check adds it here (see README,
//! "Adding a check").

use crate::checks::check::AnyCheck;
use crate::checks::{
    concurrent_post_key, concurrent_put, conditional_write, etag_stability, fuzz, get_safety,
    head_parity, lost_response_retry, lost_update, partial_put, post_put_creation, post_retry,
    put_after_delete, repeat_delete, repeat_put, status_conformance, use_after_delete,
};
use crate::model::check::CheckId;
use crate::scenario::{Scenario, ScenarioError};

/// Every built-in check, in run order (the order of [`crate::model::check::BUILT_IN`]).
pub(crate) static CHECKS: [&dyn AnyCheck; 17] = [
    &repeat_put::RepeatPut,
    &partial_put::PartialPut,
    &repeat_delete::RepeatDelete,
    &put_after_delete::PutAfterDelete,
    &use_after_delete::UseAfterDelete,
    &get_safety::GetSafety,
    &head_parity::HeadParity,
    &post_retry::PostRetry,
    &status_conformance::StatusConformance,
    &concurrent_put::ConcurrentPut,
    &concurrent_post_key::ConcurrentPostKey,
    &lost_response_retry::LostResponseRetry,
    &conditional_write::ConditionalWrite,
    &lost_update::LostUpdate,
    &etag_stability::EtagStability,
    &post_put_creation::PostPutCreation,
    &fuzz::Fuzz,
];

/// The built-in check with this id (`None` for `script`, the user's own sequences).
pub(crate) fn find(id: CheckId) -> Option<&'static dyn AnyCheck> {
    CHECKS.iter().copied().find(|check| check.id() == id)
}

/// Validates every `[resources.NAME.checks.CHECK]` table of a scenario: each names a check
/// that has options, and each check accepts its own. The first error is located at
/// file:line:col, like every scenario error.
pub(crate) fn validate(scenario: &Scenario) -> Result<(), ScenarioError> {
    let with_table: Vec<&str> = CHECKS
        .iter()
        .filter(|check| check.has_table())
        .map(|check| check.id().name())
        .collect();
    for resource in &scenario.resources {
        resource.checks.unknown_table(&with_table)?;
        for check in CHECKS {
            check.validate(resource)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check::BUILT_IN;

    #[test]
    fn the_table_lists_every_built_in_check_in_run_order() {
        let ids: Vec<CheckId> = CHECKS.iter().map(|check| check.id()).collect();
        assert_eq!(ids, BUILT_IN);
        assert!(find(CheckId::Script).is_none());
    }
}
