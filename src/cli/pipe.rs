//! A standard output closed by its reader (`idemfuzz list-checks | head -1`, a report piped into
//! a pager that was quit) is not an error: nothing more is written to it and nothing is said
//! about it, as ripgrep does. Every other write error is still reported.

use std::io;

/// True when a write failed because the reader closed the pipe.
pub(crate) fn is_closed_pipe(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::BrokenPipe
}

/// The write error worth reporting: `None` for success and for a closed pipe.
pub(crate) fn worth_reporting(result: io::Result<()>) -> Option<io::Error> {
    result.err().filter(|err| !is_closed_pipe(err))
}
