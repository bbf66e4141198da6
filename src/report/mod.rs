//! Reports: the run's result data and the reporters that render it (human, JSON, JUnit, curl).

pub mod model;
