//! `fuzz` (opt-in): the sequence fuzzer as a check. One case is either a saved failure replayed
//! exactly, or a generated sequence judged by the per-step rules and the metamorphic relations,
//! shrunk on failure (see `crate::fuzz`).

use std::time::Instant;

use futures::future::LocalBoxFuture;

use crate::checks::check::{Canons, Case, Check, options_of};
use crate::checks::fit::Need;
use crate::checks::outline::Outline;
use crate::checks::use_after_delete::UseAfterDelete;
use crate::fuzz::engine;
use crate::fuzz::execute::per_instance_fields;
use crate::fuzz::oracle::OracleContext;
use crate::fuzz::saved::SavedFailure;
use crate::fuzz::strategy::{Capabilities, Shape};
use crate::fuzz::{FuzzLimits, FuzzSettings};
use crate::model::check::CheckId;
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{OptionsTable, Resource, ScenarioError, pointer};
use crate::session::{CaseError, Session};
use crate::snapshot::canonical::Canon;

/// The check. Its requests are generated, so its outline describes them without listing them;
/// it judges while it runs (confirming and shrinking a failure need new executions), so its
/// `execute` calls the pure oracle (`crate::fuzz::oracle`) and its `judge` hands the findings
/// on.
pub(crate) struct Fuzz;

impl Check for Fuzz {
    const ID: CheckId = CheckId::Fuzz;
    const HAS_TABLE: bool = false;
    type Options = ();
    /// What the fuzzer found, judged already.
    type Record = Vec<Violation>;

    fn options(&self, _: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        Ok(())
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected, Need::UnknownIdsAbsent].into()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        Outline::new()
            .step("a generated sequence (run A): three cases in four focused, 3 to 5 requests on one resource; the fourth free, 1..=MAX_STEPS requests on 2 run-owned slots", [])
            .step("its insert-safe and duplicate-idempotent variants (runs C, B), each on fresh ids: C, then A, then B, stopping at the first run after which a rule is broken", [])
            .step(format!("after each run: GET {item} of every id it touched, GET {collection}"), [])
            .step("on a failure: the same case again (confirmation), then shrinking executions (up to --max-shrink-runs)", [])
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Vec<Violation>, CaseError>> {
        Box::pin(run_case(
            case.session,
            case.generator,
            case.canons,
            case.kind,
            case.fuzz,
            case.deadline,
        ))
    }

    fn judge(&self, found: &Vec<Violation>, _: &Resource, _: &(), _: &Canons) -> Vec<Violation> {
        found.clone()
    }
}

/// Why the fuzzer cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!Capabilities::of(resource).can_write()).then(|| {
        "the resource declares no write the fuzzer could send (PUT, POST, DELETE or PATCH)".into()
    })
}

/// The canonical form two executions are compared with: `full`, and the members that differ
/// between two resources created with the same body (`per_instance`, as JSON pointers).
pub(crate) fn cross_canon(full: &Canon, per_instance: &[String]) -> Canon {
    let mut cross = full.clone();
    cross.ignore.extend(pointer::patterns(per_instance));
    cross
}

/// What one case of the fuzz check runs.
pub(crate) enum FuzzCase<'a> {
    Replay(&'a SavedFailure),
    /// The `index`-th generated case of the resource (0-based), with its seed.
    Generated {
        case_seed: u64,
        index: u32,
    },
}

/// Runs one case: knows which members differ between two resources (measured before the
/// cases, or now when that failed), then replays or generates.
pub(crate) async fn run_case(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    canons: &Canons,
    case: FuzzCase<'_>,
    settings: &FuzzSettings,
    deadline: Option<Instant>,
) -> Result<Vec<Violation>, CaseError> {
    let cross = match &canons.fuzz_cross {
        Some(measured) => measured.clone(),
        None => cross_canon(
            &canons.full,
            &per_instance_fields(session, generator).await?,
        ),
    };
    let resource = session.resource;
    let context = OracleContext {
        client_members: resource
            .body
            .top_level_members()
            .into_iter()
            .map(str::to_string)
            .collect(),
        gone_statuses: options_of(&UseAfterDelete, resource)
            .map_err(|err| CaseError::Setup(format!("invalid options: {err}")))?
            .gone_statuses
            .clone(),
        cross,
    };
    match case {
        FuzzCase::Replay(saved) => engine::replay(session, saved, &context).await,
        FuzzCase::Generated { case_seed, index } => {
            let limits = FuzzLimits {
                shape: Shape::of_case(index, settings.max_steps),
                max_shrink_runs: settings.max_shrink_runs,
                deadline,
            };
            engine::generated_case(session, generator, case_seed, &limits, &context).await
        }
    }
}
