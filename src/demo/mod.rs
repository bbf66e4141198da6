//! The bundled demo API (axum, in-process) with switchable planted bugs.
