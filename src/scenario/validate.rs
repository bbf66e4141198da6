//! From the raw file model to a validated scenario.
// STUB: owned by the scenario helper.
