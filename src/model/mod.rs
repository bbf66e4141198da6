//! The data layer: what a run is about and what it finds, as plain data every other layer
//! shares. It imports no other module of the crate.
//!
//! Check ids and their metadata ([`check`]), exchange records ([`exchange`]) and which of their
//! values are secrets (`redact`), violations and findings (`violation`, `findings`), how
//! findings of one cause become one (`cause`), what the fit probe told about each resource
//! (`fit`), the fuzzer's reproductions ([`fuzz`]), the report model and its verdict
//! (`report`), the events a run emits (`events`), baselines and fingerprints
//! (`baseline`), shards (`shard`) and the exit codes computed from a report
//! (`exit_code`).

pub(crate) mod baseline;
pub(crate) mod cause;
pub mod check;
pub(crate) mod events;
pub mod exchange;
pub(crate) mod exit_code;
pub(crate) mod findings;
pub(crate) mod fit;
pub mod fuzz;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod shard;
pub(crate) mod violation;

#[cfg(test)]
pub(crate) mod fixture;
