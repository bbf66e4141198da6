//! idemfuzz: tests live HTTP APIs for idempotence and safety violations (RFC 9110) by replaying
//! request sequences, snapshotting every touched resource with GET and diffing the snapshots.
//!
//! Data flows once: scenario → plan → runner (through a transport) → snapshots → oracles
//! (pure functions) → findings → events → reporters.
//!
//! The modules are layers that only point down (`tests/layers.rs` keeps it so): the data in
//! [`model`] (and [`mod@env`], `shorten`); [`scenario`], [`http`] and [`snapshot`]; the
//! [`session`]; [`checks`], `fuzz`, [`openapi`] and [`demo`]; the `runner`; the reporters in
//! [`report`]; the [`cli`]. Only what the binary, the tests and the benchmarks use is public.

pub mod checks;
pub mod cli;
pub mod demo;
pub mod env;
pub(crate) mod fuzz;
pub mod http;
pub mod model;
pub mod openapi;
pub mod report;
pub(crate) mod runner;
pub mod scenario;
pub mod session;
pub(crate) mod shorten;
pub mod snapshot;
