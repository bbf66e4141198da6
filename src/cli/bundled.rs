//! The scenario files bundled into the binary, so `idemfuzz demo` works from any directory.

/// (display path, contents) of each bundled scenario, in run order.
pub(crate) const SCENARIOS: &[(&str, &str)] = &[
    (
        "scenarios/demo.toml",
        include_str!("../../scenarios/demo.toml"),
    ),
    (
        "scenarios/lamps.toml",
        include_str!("../../scenarios/lamps.toml"),
    ),
    (
        "scenarios/devices.toml",
        include_str!("../../scenarios/devices.toml"),
    ),
    (
        "scenarios/notes.toml",
        include_str!("../../scenarios/notes.toml"),
    ),
];
