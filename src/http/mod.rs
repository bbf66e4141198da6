//! HTTP: the records of exchanges, and the transport that sends requests.

pub mod model;
pub mod redact;
pub mod transport;
