//! HTTP: the transport that sends requests (pooled — through hyper directly for plain http,
//! reqwest otherwise — or on connections of its own for batches and lost responses). The
//! records of exchanges are data, in [`crate::model::exchange`].

pub mod config;
pub mod limit;
pub mod pool;
pub mod quickack;
pub mod sent;
pub mod tap;
pub mod throttle;
pub mod transport;
pub mod wire;
pub mod wire_url;
