//! Scenario paths as the command line gives them: files, directories, and `-`, which reads one
//! scenario from standard input (named `<stdin>` in messages, reports and fingerprints).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::checks;
use crate::env::EnvSnapshot;
use crate::scenario::{Scenario, ScenarioError};

/// The path that stands for standard input.
pub(crate) const STDIN_PATH: &str = "-";
/// The name a scenario read from standard input goes by.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// Why the scenarios of a command line could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("`-` (a scenario on standard input) can be given only once")]
    StdinTwice,
}

/// Loads every scenario `paths` name, in order; `-` reads one from the process's standard input.
pub(crate) fn load_scenarios(
    paths: &[PathBuf],
    env: &EnvSnapshot,
) -> Result<Vec<Scenario>, InputError> {
    load_scenarios_from(paths, env, &mut std::io::stdin())
}

/// [`load_scenarios`] with standard input given.
fn load_scenarios_from(
    paths: &[PathBuf],
    env: &EnvSnapshot,
    stdin: &mut dyn Read,
) -> Result<Vec<Scenario>, InputError> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err(InputError::StdinTwice);
    }
    let mut scenarios = Vec::new();
    for path in paths {
        if is_stdin(path) {
            scenarios.push(read_stdin(stdin, env)?);
        } else {
            scenarios.extend(checks::load::load_paths(std::slice::from_ref(path), env)?);
        }
    }
    Ok(scenarios)
}

/// True for `-`.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_PATH
}

fn read_stdin(stdin: &mut dyn Read, env: &EnvSnapshot) -> Result<Scenario, ScenarioError> {
    let name = Path::new(STDIN_NAME);
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|source| ScenarioError::Io {
            path: name.to_path_buf(),
            source,
        })?;
    checks::load::load_str(name, &text, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nbody = { name = \"x\" }\n";

    fn load(paths: &[&str], stdin: &str) -> Result<Vec<Scenario>, InputError> {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        load_scenarios_from(&paths, &EnvSnapshot::default(), &mut stdin.as_bytes())
    }

    #[test]
    fn a_dash_reads_standard_input_in_its_place() {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/demo.toml");
        let loaded = load(&[demo, "-"], SCENARIO).expect("valid");
        let names: Vec<String> = loaded
            .iter()
            .map(|s| s.path.display().to_string())
            .collect();
        assert_eq!(names, [demo, STDIN_NAME]);
    }

    #[test]
    fn errors_on_standard_input_are_located_there() {
        let err = load(&["-"], "[resources.things]\ncollection = 3\n").expect_err("invalid");
        assert!(err.to_string().starts_with("<stdin>:2:14: error:"), "{err}");
        assert!(matches!(
            load(&["-", "-"], SCENARIO),
            Err(InputError::StdinTwice)
        ));
    }
}
