//! The built-in checks (their ids and metadata are data: [`crate::model::check`]), each whole
//! in its own module as an implementation of [`check::Check`], and the [`table`] that lists
//! them.
//!
//! A check has two halves: `execute` drives the requests through a
//! [`crate::session::Session`] and returns a typed record; `judge` is a pure function from
//! that record to findings, unit-tested without a network.

pub mod check;
pub mod collection;
pub mod concurrent_post_key;
pub mod concurrent_put;
pub mod conditional_write;
pub mod etag;
pub mod etag_stability;
pub mod fit;
pub mod fuzz;
pub mod get_safety;
pub mod head_parity;
pub mod load;
pub mod lost_response_retry;
pub mod lost_update;
pub mod matching;
pub mod outline;
pub mod partial_put;
pub mod post_put_creation;
pub mod post_retry;
pub mod put_after_delete;
pub mod repeat_delete;
pub mod repeat_put;
pub mod replacement;
pub mod representation;
pub mod script;
pub mod status_conformance;
pub mod steps;
pub mod table;
pub mod use_after_delete;
pub mod verdict;

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
