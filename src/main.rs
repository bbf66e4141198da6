//! The `idemfuzz` binary: parse arguments, read the environment once, run, exit. The only exit
//! point of the process.

use std::process::ExitCode;

use idemfuzz::cli::args::Cli;
use idemfuzz::cli::config::Terminal;
use idemfuzz::cli::error::CliError;
use idemfuzz::env::EnvSnapshot;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        // --help and --version are "errors" that print to stdout and succeed.
        Err(err) => return ExitCode::from(CliError::from(err).report()),
    };
    let env = EnvSnapshot::capture();
    ExitCode::from(idemfuzz::cli::execute(cli, &env, Terminal::detect()))
}
