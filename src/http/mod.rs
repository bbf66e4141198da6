//! HTTP: the records of exchanges, and the transport that sends requests (pooled — through
//! hyper directly for plain http, reqwest otherwise — or on connections of its own for batches
//! and lost responses).

pub mod config;
pub mod limit;
pub mod model;
pub mod pool;
pub mod quickack;
pub mod redact;
pub mod tap;
pub mod throttle;
pub mod transport;
pub mod wire;
