//! Generation of bodies from templates with proptest, deterministic from a seed.
// STUB: owned by the scenario helper.
