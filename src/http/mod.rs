//! HTTP: the records of exchanges, and the transport that sends requests (pooled, or on
//! connections of its own for batches and lost responses).

pub mod model;
pub mod redact;
pub mod transport;
pub mod wire;
