//! End-to-end tests of the demo API: a real server on an ephemeral port, driven with reqwest.
