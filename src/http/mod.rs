//! HTTP: the transport that sends requests (pooled — through hyper directly for plain http,
//! reqwest otherwise — or on connections of its own for batches and lost responses). The
//! records of exchanges are data, in [`crate::model::exchange`].

pub mod config;
pub(crate) mod limit;
pub(crate) mod pool;
pub(crate) mod quickack;
pub(crate) mod sent;
pub(crate) mod tap;
pub(crate) mod throttle;
pub mod transport;
pub mod wire;
pub(crate) mod wire_url;
