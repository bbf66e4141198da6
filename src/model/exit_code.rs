//! The process exit codes: named, documented constants, computed from result data only.
//!
//! These values are a stable interface for CI; they are versioned with the report format and
//! change only with a major version.

/// The run completed and nothing at or above `--fail-on` was found.
pub(crate) const OK: u8 = 0;
/// The API misbehaved: at least one finding at or above `--fail-on` that no baseline accepts.
pub(crate) const FINDINGS: u8 = 1;
/// The command line, a scenario file or the `--baseline` file is wrong (nothing was sent, or
/// nothing more), or the `--write-baseline` file could not be written.
pub(crate) const USAGE: u8 = 2;
/// The target could not be tested: unreachable, TLS or connection errors, the target stopped
/// answering, a check could not run a single case (transport or setup errors, e.g. the API
/// refused the generated body), or a check was inconclusive in every case (it could not observe
/// what it judges). Never used for a misbehaving API.
pub(crate) const CANNOT_TEST: u8 = 3;
/// The run was interrupted (Ctrl-C, SIGTERM or SIGHUP) before it finished and found nothing
/// failing so far; its cleanup ran and its reports were written. (A second signal exits at once
/// with 128 + its number: 130, 143 or 129, see `cli::signals`.)
pub(crate) const INTERRUPTED: u8 = 130;

/// One line per code, for `--help` and the README.
pub(crate) const HELP: &str = "\
Exit codes:
  0    no failing findings
  1    failing findings (at or above --fail-on and not in the --baseline)
  2    usage or scenario-file error (also: a bad --baseline file or --openapi document)
  3    the target could not be tested (unreachable, TLS/connection errors, credentials
       rejected, stopped answering, never answered within --wait-for-target, or a check
       could not run a single case, also because --time-budget ran out first, or a
       check was inconclusive in every case: it could not observe what it judges), or
       the --openapi document's URL could not be reached
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP) with no failing finding so far; cleanup
       and reports done
  129/130/143  a second signal (HUP/INT/TERM) exited at once: run `idemfuzz cleanup RUNID`";

use crate::model::report::{RunReport, Verdict};

/// The exit code of `run`, from the report's [verdict](RunReport::verdict) alone.
pub(crate) fn for_report(report: &RunReport) -> u8 {
    match report.verdict() {
        Verdict::Failed => FINDINGS,
        Verdict::CannotTest | Verdict::CheckErrored | Verdict::Inconclusive => CANNOT_TEST,
        Verdict::Interrupted => INTERRUPTED,
        Verdict::Passed => OK,
    }
}
