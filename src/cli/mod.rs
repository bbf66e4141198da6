//! The command-line edge: parsing, validation into configuration, and the subcommands. The core
//! never sees clap; it receives validated data.

pub mod args;
mod bundled;
mod ci;
mod cleanup;
pub(crate) mod commands;
pub mod config;
pub mod error;
mod fuzz;
pub(crate) mod generate;
pub(crate) mod input;
mod merge;
mod openapi;
mod pipe;
mod signals;
pub mod transport;
mod values;
pub(crate) mod wait;

use crate::env::EnvSnapshot;
use args::{Cli, Command};
use config::Terminal;
use error::CliError;

/// Runs a parsed command line; returns the process exit code. A failure is printed here, once.
pub fn execute(cli: Cli, env: &EnvSnapshot, terminal: Terminal) -> u8 {
    match command(cli, env, terminal) {
        Ok(code) => code,
        Err(err) => err.report(),
    }
}

/// Runs the subcommand: `Ok` is the exit code of a command that ran to the end.
fn command(cli: Cli, env: &EnvSnapshot, terminal: Terminal) -> Result<u8, CliError> {
    let mut stdout = std::io::stdout();
    match &cli.command {
        Command::Run(args) => commands::run(args, cli.color, env, terminal),
        Command::Demo(args) => commands::demo(args, cli.color, env, terminal),
        Command::Fuzz(args) => fuzz::fuzz(args, cli.color, env, terminal),
        Command::Replay(args) => fuzz::replay(args, cli.color, env, terminal),
        Command::Merge(args) => merge::merge(args, cli.color, terminal),
        Command::Cleanup(args) => cleanup::cleanup(args, env),
        Command::ServeDemo(args) => commands::serve_demo(args),
        Command::Check(args) => commands::check(args, env, &mut stdout),
        Command::ListChecks => Ok(commands::list_checks(&mut stdout)),
        Command::ListBugs => Ok(commands::list_bugs(&mut stdout)),
        Command::Init(args) => openapi::init(args, env, &mut stdout),
        Command::Completions(args) => generate::completions(args.shell, &mut stdout),
        Command::Man(args) => generate::man(args.out_dir.as_deref(), &mut stdout),
    }
}
