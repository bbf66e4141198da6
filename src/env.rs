//! The process environment, read exactly once at start-up and passed down as data.

use std::collections::BTreeMap;

/// A snapshot of environment variables. The core never calls `std::env` itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    vars: BTreeMap<String, String>,
    /// `${VAR}` of an unset variable in a scenario stands in with a placeholder instead of
    /// being an error (`check`, which validates without secrets).
    stand_in_for_unset: bool,
}

impl EnvSnapshot {
    /// Reads the real environment (call once, at the edge). Non-UTF-8 variables are skipped.
    pub fn capture() -> EnvSnapshot {
        EnvSnapshot {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            stand_in_for_unset: false,
        }
    }

    /// Builds a snapshot from pairs (for tests).
    #[cfg(test)]
    pub(crate) fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> EnvSnapshot {
        EnvSnapshot {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            stand_in_for_unset: false,
        }
    }

    /// A variable's value.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The same snapshot, in which a scenario's `${VAR}` of an unset variable stands in with a
    /// placeholder ([`crate::scenario::interpolate::STAND_IN`]) instead of being an error.
    pub(crate) fn standing_in_for_unset(self) -> EnvSnapshot {
        EnvSnapshot {
            stand_in_for_unset: true,
            ..self
        }
    }

    /// True for a snapshot made by [`EnvSnapshot::standing_in_for_unset`].
    pub(crate) fn stands_in_for_unset(&self) -> bool {
        self.stand_in_for_unset
    }
}
