//! Why a command failed: [`CliError`], every failure of every subcommand, typed. Its
//! `CliError::exit_code` is the one mapping from failures to the exit codes of
//! `crate::model::exit_code`; [`CliError::report`] prints the error once, on stderr, at the
//! edge. A command that ran to the end returns its exit code computed from its report instead
//! (`exit_code::for_report`, `for_demo`).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::cli::cleanup::CleanupError;
use crate::cli::config::ConfigError;
use crate::cli::input::InputError;
use crate::cli::transport::TransportArgsError;
use crate::cli::wait::WaitError;
use crate::fuzz::saved::SavedError;
use crate::http::transport::TransportError;
use crate::model::baseline::file::BaselineError;
use crate::model::exit_code;
use crate::openapi::OpenApiError;
use crate::report::merge::MergeError;
use crate::scenario::ScenarioError;

/// A command that could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line itself (clap's error; `--help` and `--version` are "errors" too).
    #[error("{0}")]
    Arguments(clap::Error),
    /// An option's value.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The auth and transport options against the scenarios' targets.
    #[error(transparent)]
    TransportArgs(#[from] TransportArgsError),
    /// The scenario paths of the command line.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A scenario (the bundled ones, one generated from an OpenAPI document).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The `--baseline` file, or writing the `--write-baseline` file.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// A saved fuzz failure.
    #[error(transparent)]
    SavedFailure(#[from] SavedError),
    /// `replay`: the scenario a saved failure names does not exist.
    #[error(
        "the scenario {} named by the saved failure does not exist; give it with --scenario PATH",
        path.display()
    )]
    ReplayScenarioMissing {
        /// The scenario file the saved failure names.
        path: PathBuf,
    },
    /// `replay`: the scenario has no resource of the saved failure's name.
    #[error("{file}: the scenario {scenario} has no resource `{resource}`")]
    ReplayUnknownResource {
        /// The scenario file.
        file: String,
        /// The scenario's name.
        scenario: String,
        /// The resource the saved failure names.
        resource: String,
    },
    /// `cleanup`: a run's ledger cannot be worked on.
    #[error(transparent)]
    Cleanup(#[from] CleanupError),
    /// `merge`: the reports cannot be merged.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// An OpenAPI document could not be read, fetched or imported.
    #[error(transparent)]
    OpenApi(#[from] OpenApiError),
    /// `run --openapi` without a base URL: the document never says which API to test.
    #[error(
        "{}: no base URL: idemfuzz never takes the API to test from the document ({server}); pass --base-url URL (or set IDEMFUZZ_BASE_URL) to say which API the checks create, change and delete resources on",
        path.display()
    )]
    OpenApiNoBaseUrl {
        /// The OpenAPI document.
        path: PathBuf,
        /// What the document says about its server.
        server: String,
    },
    /// No check of a generated scenario can run.
    #[error(
        "no check of the scenario generated into {place} can run (the reasons are listed above); edit it (idemfuzz init --openapi … --out FILE) to declare what the document does not say"
    )]
    NothingRuns {
        /// Where the generated scenario went: a file, standard output, or memory (`run --openapi`).
        place: String,
    },
    /// `init`: `--out` exists and `--force` was not given.
    #[error(
        "{} already exists; pass --force to overwrite it, or choose another --out",
        path.display()
    )]
    OutExists {
        /// The `--out` path.
        path: PathBuf,
    },
    /// A file or directory could not be created or written (what, and why).
    #[error("{what}: {source}")]
    Write {
        /// What was being written.
        what: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] io::Error),
    /// `demo`: the demo API could not start.
    #[error("cannot start the demo API: {0}")]
    DemoStart(#[source] io::Error),
    /// `serve-demo`: the port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why it could not be bound.
        #[source]
        source: io::Error,
    },
    /// `serve-demo`: the server failed while serving.
    #[error("the demo API stopped: {0}")]
    DemoStopped(#[source] io::Error),
    /// `--wait-for-target`: a target never answered.
    #[error(transparent)]
    WaitForTarget(#[from] WaitError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl CliError {
    /// The process exit code of the failure: the one place that decides it.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Arguments(err) if !err.use_stderr() => exit_code::OK,
            CliError::OpenApi(err) if err.is_unreachable() => exit_code::CANNOT_TEST,
            CliError::Runtime(_)
            | CliError::DemoStart(_)
            | CliError::Listen { .. }
            | CliError::DemoStopped(_)
            | CliError::WaitForTarget(_)
            | CliError::Transport(_) => exit_code::CANNOT_TEST,
            CliError::Arguments(_)
            | CliError::Config(_)
            | CliError::TransportArgs(_)
            | CliError::Input(_)
            | CliError::Scenario(_)
            | CliError::Baseline(_)
            | CliError::SavedFailure(_)
            | CliError::ReplayScenarioMissing { .. }
            | CliError::ReplayUnknownResource { .. }
            | CliError::Cleanup(_)
            | CliError::Merge(_)
            | CliError::OpenApi(_)
            | CliError::OpenApiNoBaseUrl { .. }
            | CliError::NothingRuns { .. }
            | CliError::OutExists { .. }
            | CliError::Write { .. } => exit_code::USAGE,
        }
    }

    /// Prints the error once, on stderr, and returns its exit code.
    pub fn report(&self) -> u8 {
        match self {
            // clap formats its own messages, and prints help and version on stdout.
            CliError::Arguments(err) => {
                let _ = err.print();
            }
            _ => eprintln!("{}", self.message()),
        }
        self.exit_code()
    }

    /// The line(s) printed: the error as it is when it starts with its own place, compiler
    /// style (`PATH:LINE:COL: error: …`), else after `idemfuzz: error: `.
    fn message(&self) -> String {
        if self.names_its_place() {
            self.to_string()
        } else {
            format!("idemfuzz: error: {self}")
        }
    }

    /// True for the errors about a place in a file that say so themselves (`PATH: error: …`).
    fn names_its_place(&self) -> bool {
        match self {
            CliError::Scenario(_) | CliError::SavedFailure(_) => true,
            CliError::Input(InputError::Scenario(_)) => true,
            CliError::Baseline(err) => matches!(
                err,
                BaselineError::Malformed { .. } | BaselineError::Version { .. }
            ),
            // Carries the located error of the scenario it generated.
            CliError::OpenApi(err) => matches!(err, OpenApiError::Internal { .. }),
            _ => false,
        }
    }
}

impl From<clap::Error> for CliError {
    fn from(err: clap::Error) -> Self {
        CliError::Arguments(err)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn located() -> ScenarioError {
        ScenarioError::invalid(Path::new("t.toml"), "x = 1\n", 0..1, "bad".into())
    }

    #[test]
    fn usage_errors_exit_2_and_unreachable_targets_3() {
        assert_eq!(CliError::from(ConfigError::NoCases).exit_code(), 2);
        assert_eq!(CliError::from(located()).exit_code(), 2);
        let unreachable = OpenApiError::Fetch {
            origin: "u".into(),
            reason: "refused".into(),
            unreachable: true,
        };
        assert_eq!(CliError::from(unreachable).exit_code(), 3);
        let answered = OpenApiError::Fetch {
            origin: "u".into(),
            reason: "404".into(),
            unreachable: false,
        };
        assert_eq!(CliError::from(answered).exit_code(), 2);
        let refused = io::Error::new(io::ErrorKind::AddrInUse, "in use");
        assert_eq!(CliError::DemoStart(refused).exit_code(), 3);
    }

    #[test]
    fn located_errors_are_printed_as_they_are_the_others_after_a_prefix() {
        assert_eq!(
            CliError::from(located()).message().lines().next(),
            Some("t.toml:1:1: error: bad")
        );
        assert_eq!(
            CliError::from(InputError::Scenario(located()))
                .message()
                .lines()
                .next(),
            Some("t.toml:1:1: error: bad")
        );
        assert_eq!(
            CliError::from(ConfigError::NoCases).message(),
            "idemfuzz: error: --cases must be at least 1"
        );
        let missing = CliError::ReplayScenarioMissing {
            path: PathBuf::from("s.toml"),
        };
        assert!(
            missing
                .message()
                .starts_with("idemfuzz: error: the scenario s.toml")
        );
    }
}
