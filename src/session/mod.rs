//! The session layer: what one case of a run may do on the wire. Run-owned ids and the
//! owned-resource registry, the ownership guard every request passes, the target's credentials,
//! and what every case of a run shares (transport, counters, cancellation).
//!
//! Checks and the fuzzer drive requests through a `Session`; the runner creates the shared
//! `context::RunContext` and one session per case.

pub(crate) mod auth;
mod case;
pub(crate) mod context;
pub(crate) mod faults;
pub(crate) mod fence;
pub(crate) mod guard;
pub(crate) mod journal;
pub(crate) mod ledger;
pub mod marker;
pub(crate) mod notice;
pub(crate) mod registry;

#[cfg(test)]
pub(crate) use case::SESSION_PURPOSES;
pub(crate) use case::{
    CaseError, ParentCase, Req, Session, VERSION_TOKEN_STATUSES, VersionUse, entity_tag,
    response_record,
};
