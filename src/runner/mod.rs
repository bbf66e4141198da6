//! The runner: executes the plan through a transport and produces the run's result data.

pub mod events;
