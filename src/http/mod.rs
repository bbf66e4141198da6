//! HTTP: the records of exchanges, and the transport that sends requests.

pub mod config;
pub mod limit;
pub mod model;
pub mod redact;
pub mod tap;
pub mod throttle;
pub mod transport;
