//! The data layer: what a run is about and what it finds, as plain data every other layer
//! shares. It imports no other module of the crate.
//!
//! Check ids and their metadata ([`check`]), exchange records ([`exchange`]) and which of their
//! values are secrets ([`redact`]), violations and findings ([`violation`], [`findings`]), how
//! findings of one cause become one ([`cause`]), what the fit probe told about each resource
//! ([`fit`]), the fuzzer's reproductions ([`fuzz`]), the report model and its verdict
//! ([`report`]), the events a run emits ([`events`]), baselines and fingerprints
//! ([`baseline`]), shards ([`shard`]) and the exit codes computed from a report
//! ([`exit_code`]).

pub mod baseline;
pub mod cause;
pub mod check;
pub mod events;
pub mod exchange;
pub mod exit_code;
pub mod findings;
pub mod fit;
pub mod fuzz;
pub mod redact;
pub mod report;
pub mod shard;
pub mod violation;

#[cfg(test)]
pub(crate) mod fixture;
