//! The `idemfuzz` binary: parse arguments, read the environment once, run, exit. The only exit
//! point of the process.

use std::process::ExitCode;

use idemfuzz::cli::args::Cli;
use idemfuzz::cli::config::Terminal;
use idemfuzz::env::EnvSnapshot;
use idemfuzz::model::exit_code;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are "errors" that print to stdout and succeed.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::OK
            });
        }
    };
    let env = EnvSnapshot::capture();
    ExitCode::from(idemfuzz::cli::execute(cli, &env, Terminal::detect()))
}
