//! The [`Check`] trait: one built-in check, whole, in one file — its options and their
//! validation, why it cannot run on a resource, its notes, the outline of a case for
//! `--dry-run`, `execute` (the requests, through the session) and `judge` (the pure oracle).
//! [`crate::checks::table::CHECKS`] lists them; [`AnyCheck`] is the object-safe face the table
//! holds, implemented once for every `Check`.
//!
//! What every check shares is decided here, not in each file: `enabled = false` in the
//! scenario turns a check off; a resource that requires preconditions skips the checks whose
//! unconditional PUTs it would answer 428 ([`Check::UNCONDITIONAL_PUTS`]); a representation
//! without members, or not JSON, skips the checks that need them
//! ([`crate::checks::representation`]); a collection declared unlistable skips the checks that
//! only observe it and notes it on the others ([`crate::checks::collection`]); a proxy skips
//! the checks that need connections of their own ([`Check::OWN_CONNECTIONS`]).
//!
//! `execute` returns a boxed future so that the table can hold checks as trait objects; it is
//! a `LocalBoxFuture` (not `Send`) because the fuzzer holds proptest strategies, which are not
//! `Send`, across its awaits, and the runner polls every case from the run's task (none is
//! spawned).
//!
//! Two kinds of case fit this shape only in part, and say so:
//! - `fuzz` ([`crate::checks::fuzz`]) is in the table, but judges while it runs: confirming and
//!   shrinking a failure need new executions, so its pure oracle (`crate::fuzz::oracle`) is
//!   called from inside its `execute`, and its `judge` hands the findings on. Its requests are
//!   generated, so its outline describes them instead of listing them.
//! - scripts ([`crate::checks::script`]) are not in the table: a script is the user's own
//!   sequence, planned once per `[[scripts]]` entry rather than once per resource, with no
//!   options table and no reason to be skipped; its outline is its steps as written.

use std::sync::Arc;
use std::time::Instant;

use futures::future::LocalBoxFuture;

use crate::checks::fit::{Fit, Need};
use crate::checks::fuzz::FuzzCase;
use crate::checks::outline::Outline;
use crate::fuzz::FuzzSettings;
use crate::model::check::CheckId;
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::model::ToggleDoc;
use crate::scenario::{CreateMode, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Session};
use crate::snapshot::canonical::Canon;

/// Most repetitions any check may be asked for, to keep runs gentle on the API.
pub(crate) const MAX_REPEATS: u32 = 100;

/// The two ways a case compares state.
#[derive(Debug, Clone)]
pub(crate) struct Canons {
    /// Declared `ignore` patterns only (used where volatile fields are judged, not ignored).
    pub(crate) declared: Canon,
    /// Declared plus auto-detected volatile fields.
    pub(crate) full: Canon,
    /// What the fuzz check compares two executions with: `full` plus the members that differ
    /// between two resources created with the same body, measured once before the cases when
    /// the fuzz check runs on the resource (`None`: each fuzz case measures them itself).
    pub(crate) fuzz_cross: Option<Canon>,
    /// What the fit probe showed about the resource before the cases (measured with the
    /// volatile fields, on the same probe resource); empty when it was not probed.
    pub(crate) fit: Fit,
}

/// One case of a check: the session it sends through, its generated values, how it compares
/// state, and which case it is.
pub(crate) struct Case<'a, 's> {
    pub(crate) session: &'a mut Session<'s>,
    pub(crate) generator: &'a mut BodyGenerator,
    pub(crate) canons: &'a Canons,
    /// Which case this is: generated (its index and seed) or a saved fuzz failure replayed.
    /// Only the fuzz check tells them apart.
    pub(crate) kind: FuzzCase<'a>,
    /// How the fuzz check runs (the other checks ignore it).
    pub(crate) fuzz: &'a FuzzSettings,
    /// When the run's time budget ends (the fuzz check stops shrinking then).
    pub(crate) deadline: Option<Instant>,
}

/// Which of a check's PUTs carry no precondition: a resource that requires preconditions
/// (`preconditions_required = true`) answers them 428, so the check cannot run there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnconditionalPuts {
    /// None: it sends the preconditions such an API needs, or no PUT at all.
    None,
    /// Its own PUTs.
    Sent,
    /// Only the PUT that creates its resource (when the resource is created by PUT).
    ToCreate,
}

/// A built-in check. Implement it in the check's own file and add the check to
/// [`crate::checks::table::CHECKS`]; its id and facts ([`CheckId`], [`CheckId::info`]) are data
/// in the model layer, so that reports can name checks without knowing them.
pub(crate) trait Check: Sync + 'static {
    /// The check's id.
    const ID: CheckId;
    /// Which of its PUTs carry no precondition.
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::None;
    /// True when it sends requests together or leaves answers unread: that needs connections
    /// of its own, which idemfuzz never opens around a proxy.
    const OWN_CONNECTIONS: bool = false;
    /// True when `[resources.NAME.checks.<name>]` may configure it.
    const HAS_TABLE: bool = true;

    /// Its options, defaults filled in.
    type Options: Send + Sync + 'static;
    /// What one case observed: `execute`'s output, `judge`'s input.
    type Record: Send;

    /// Reads and validates `[resources.NAME.checks.<name>]` (absent: the defaults); errors are
    /// located at file:line:col.
    fn options(&self, table: &OptionsTable<'_>) -> Result<Self::Options, ScenarioError>;

    /// Why it cannot run on a resource, if it cannot (what every check shares is decided by
    /// [`AnyCheck::skip_reason`]).
    fn skip_reason(&self, resource: &Resource, options: &Self::Options) -> Option<String>;

    /// What it cannot judge without ([`Need`]): when the fit probe showed the API cannot give
    /// one of them, the check is inconclusive on the resource before any case runs.
    fn needs(&self, resource: &Resource, options: &Self::Options) -> Vec<Need> {
        let _ = (resource, options);
        Vec::new()
    }

    /// Notes about parts of it that do not run on a resource; `proxied`: a proxy carries the
    /// target's requests.
    fn notes(&self, resource: &Resource, proxied: bool) -> Vec<String> {
        let _ = (resource, proxied);
        Vec::new()
    }

    /// What one case sends, step by step (`--dry-run`); the outline test matches it against
    /// the requests `execute` sends.
    fn outline(&self, resource: &Resource, options: &Self::Options, proxied: bool) -> Outline;

    /// Drives one case's requests through the session and records what it observed.
    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        options: &'c Self::Options,
    ) -> LocalBoxFuture<'c, Result<Self::Record, CaseError>>;

    /// The oracle: a pure function from the record to violations.
    fn judge(
        &self,
        record: &Self::Record,
        resource: &Resource,
        options: &Self::Options,
        canons: &Canons,
    ) -> Vec<Violation>;

    /// Why the case observed nothing of what the check judges (no readable state, a body the
    /// API did not keep, ...), if so: the case is then inconclusive, unless it found a
    /// violation anyway. A pure function of the record, like `judge`.
    fn unobserved(&self, record: &Self::Record, resource: &Resource) -> Option<String> {
        let _ = (record, resource);
        None
    }
}

/// What judging one case gave: its violations, and why it observed nothing the check judges
/// (then the case is inconclusive unless a violation at warning level or above was found).
#[derive(Debug, Clone, Default)]
pub(crate) struct Judged {
    pub(crate) violations: Vec<Violation>,
    pub(crate) unobserved: Option<String>,
}

impl Judged {
    /// Violations only (every observation made).
    pub(crate) fn observed(violations: Vec<Violation>) -> Judged {
        Judged {
            violations,
            unobserved: None,
        }
    }
}

/// A check as the table holds it: [`Check`] without its types, implemented for every `Check`.
pub(crate) trait AnyCheck: Sync {
    /// The check's id.
    fn id(&self) -> CheckId;

    /// True when `[resources.NAME.checks.<name>]` may configure it.
    fn has_table(&self) -> bool;

    /// Reads and validates its options table on a resource.
    fn validate(&self, resource: &Resource) -> Result<(), ScenarioError>;

    /// Why it does not run on a resource of a target (`proxied`: a proxy carries the target's
    /// requests), or `None` when it runs.
    fn skip_reason(&self, resource: &Resource, proxied: bool) -> Option<String>;

    /// Notes about parts of it that do not run on a resource of a target.
    fn notes(&self, resource: &Resource, proxied: bool) -> Vec<String>;

    /// What it cannot judge without on a resource ([`Check::needs`]).
    fn needs(&self, resource: &Resource) -> Vec<Need>;

    /// What one case on the resource sends, step by step.
    fn outline(&self, resource: &Resource, proxied: bool) -> Outline;

    /// Runs one case: execute, then judge.
    fn run_case<'a>(&'a self, case: Case<'a, '_>) -> LocalBoxFuture<'a, Result<Judged, CaseError>>;
}

/// Why requests released together or left unread cannot reach a target: a proxy carries its
/// requests, and idemfuzz never opens the connections of its own those need around the proxy.
pub(crate) const PROXIED: &str = "a proxy carries the requests to this target (--proxy, or HTTP_PROXY / HTTPS_PROXY / ALL_PROXY), and requests released together or left unread need connections of their own, which idemfuzz never opens around the proxy; to run it, list the target's host in NO_PROXY";

/// The options of a check that has none but `enabled`: its table is only checked.
pub(crate) fn no_options(table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
    table.doc::<ToggleDoc>().map(|_| ())
}

/// The options of `check` on `resource`, read once per resource.
pub(crate) fn options_of<C: Check>(
    check: &C,
    resource: &Resource,
) -> Result<Arc<C::Options>, ScenarioError> {
    resource
        .checks
        .read(C::ID.name(), |table| check.options(table))
}

impl<C: Check> AnyCheck for C {
    fn id(&self) -> CheckId {
        C::ID
    }

    fn has_table(&self) -> bool {
        C::HAS_TABLE
    }

    fn validate(&self, resource: &Resource) -> Result<(), ScenarioError> {
        options_of(self, resource).map(|_| ())
    }

    fn skip_reason(&self, resource: &Resource, proxied: bool) -> Option<String> {
        if !resource.checks.enabled(C::ID) {
            return Some("disabled in the scenario file (enabled = false)".into());
        }
        if let Some(reason) = precondition_skip(C::UNCONDITIONAL_PUTS, resource) {
            return Some(reason);
        }
        if let Some(reason) = crate::checks::representation::skip_reason(C::ID, resource) {
            return Some(reason);
        }
        let options = match options_of(self, resource) {
            Ok(options) => options,
            // Scenario loading validates every table first, so a run never gets here.
            Err(err) => return Some(format!("invalid options: {err}")),
        };
        self.skip_reason(resource, &options)
            .or_else(|| crate::checks::collection::skip_reason(C::ID, resource))
            .or_else(|| (C::OWN_CONNECTIONS && proxied).then(|| PROXIED.to_string()))
    }

    fn notes(&self, resource: &Resource, proxied: bool) -> Vec<String> {
        let mut notes = crate::checks::collection::notes(C::ID, resource);
        notes.extend(Check::notes(self, resource, proxied));
        notes
    }

    fn needs(&self, resource: &Resource) -> Vec<Need> {
        options_of(self, resource)
            .map(|options| Check::needs(self, resource, &options))
            .unwrap_or_default()
    }

    fn outline(&self, resource: &Resource, proxied: bool) -> Outline {
        match options_of(self, resource) {
            Ok(options) => Check::outline(self, resource, &options, proxied),
            Err(err) => Outline::new().step(format!("invalid options: {err}"), []),
        }
    }

    fn run_case<'a>(&'a self, case: Case<'a, '_>) -> LocalBoxFuture<'a, Result<Judged, CaseError>> {
        Box::pin(async move {
            let resource = case.session.resource;
            let canons = case.canons;
            let options = options_of(self, resource)
                .map_err(|err| CaseError::Setup(format!("invalid options: {err}")))?;
            let record = self.execute(case, &options).await?;
            let violations = self.judge(&record, resource, &options, canons);
            // A write refused for a stale or missing version token observed nothing of what
            // the check judges: the case is inconclusive, its info says which write.
            let unobserved = self
                .unobserved(&record, resource)
                .or_else(|| crate::checks::verdict::stale_token_reason(&violations, resource));
            Ok(Judged {
                violations,
                unobserved,
            })
        })
    }
}

/// Why a check cannot run on a resource that requires preconditions: the API answers 428 to
/// its unconditional PUTs.
fn precondition_skip(puts: UnconditionalPuts, resource: &Resource) -> Option<String> {
    if !resource.conditional.preconditions_required {
        return None;
    }
    match puts {
        UnconditionalPuts::Sent => Some(
            "the resource requires preconditions (`preconditions_required = true`) and this check sends unconditional PUTs, which the API answers 428".into(),
        ),
        UnconditionalPuts::ToCreate if resource.create == CreateMode::Put => Some(
            "the resource requires preconditions (`preconditions_required = true`) and this check creates its resource with an unconditional PUT, which the API answers 428".into(),
        ),
        _ => None,
    }
}
