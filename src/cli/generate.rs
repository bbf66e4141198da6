//! `completions` and `man`: shell completion scripts (via `clap_complete`) and roff man pages
//! (via `clap_mangen`), generated from the clap definitions so they never drift from `--help`.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::args::Cli;
use crate::cli::error::CliError;
use crate::model::exit_code;

/// The binary's name as users type it.
const BIN: &str = "idemfuzz";

/// `completions SHELL`: the completion script on `out`. It is generated into memory first:
/// `clap_complete` panics when its writer fails (e.g. on a closed pipe).
pub(crate) fn completions(shell: Shell, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    finish(
        out.write_all(&script).and_then(|()| out.flush()),
        "writing the completion script failed",
    )
}

/// `man`: the top-level page on `out`, or with `out_dir` one page per command written there.
pub(crate) fn man(out_dir: Option<&Path>, out: &mut dyn Write) -> Result<u8, CliError> {
    let command = Cli::command();
    match out_dir {
        None => finish(
            clap_mangen::Man::new(command)
                .render(out)
                .and_then(|()| out.flush()),
            "writing the man page failed",
        ),
        Some(dir) => {
            let written = clap_mangen::generate_to(command, dir);
            if written.is_ok() {
                let _ = writeln!(out, "wrote the man pages to {}", dir.display());
            }
            finish(
                written,
                &format!("cannot write the man pages to {}", dir.display()),
            )
        }
    }
}

fn finish(result: std::io::Result<()>, what: &str) -> Result<u8, CliError> {
    match super::pipe::worth_reporting(result) {
        None => Ok(exit_code::OK),
        Some(source) => Err(CliError::Write {
            what: what.to_owned(),
            source,
        }),
    }
}
