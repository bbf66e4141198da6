//! idemfuzz: tests live HTTP APIs for idempotence and safety violations (RFC 9110) by replaying
//! request sequences, snapshotting every touched resource with GET and diffing the snapshots.
//!
//! Data flows once: scenario → plan → runner (through a transport) → snapshots → oracles
//! (pure functions) → findings → events → reporters.

pub mod baseline;
pub mod checks;
pub mod cli;
pub mod demo;
pub mod env;
pub mod exit_code;
pub mod findings;
pub mod fuzz;
pub mod http;
pub mod openapi;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod session;
pub mod shorten;
pub mod snapshot;
