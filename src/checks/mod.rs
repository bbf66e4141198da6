//! The built-in checks (their ids and metadata are data: [`crate::model::check`]), each whole
//! in its own module as an implementation of `check::Check`, and the `table` that lists
//! them.
//!
//! A check has two halves: `execute` drives the requests through a
//! `crate::session::Session` and returns a typed record; `judge` is a pure function from
//! that record to findings, unit-tested without a network.

pub(crate) mod check;
pub(crate) mod collection;
pub(crate) mod concurrent_post_key;
pub(crate) mod concurrent_put;
pub(crate) mod conditional_write;
pub(crate) mod etag;
pub(crate) mod etag_stability;
pub(crate) mod fit;
pub(crate) mod fuzz;
pub(crate) mod get_safety;
pub(crate) mod head_parity;
pub mod load;
pub(crate) mod lost_response_retry;
pub(crate) mod lost_update;
pub(crate) mod matching;
pub(crate) mod outline;
pub(crate) mod partial_put;
pub(crate) mod post_put_creation;
pub(crate) mod post_retry;
pub(crate) mod put_after_delete;
pub(crate) mod repeat_delete;
pub(crate) mod repeat_put;
pub(crate) mod replacement;
pub(crate) mod representation;
pub(crate) mod script;
pub(crate) mod status_conformance;
pub(crate) mod steps;
pub(crate) mod table;
pub(crate) mod use_after_delete;
pub(crate) mod verdict;

#[cfg(test)]
mod concurrency_oracle_tests;
#[cfg(test)]
mod deviation_oracle_tests;
#[cfg(test)]
mod options_tests;
#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod outline_tests;
#[cfg(test)]
mod reach_oracle_tests;
#[cfg(test)]
mod testing;
