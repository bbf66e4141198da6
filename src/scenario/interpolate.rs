//! `${ENV_VAR}` interpolation in header values.
// STUB: owned by the scenario helper.
