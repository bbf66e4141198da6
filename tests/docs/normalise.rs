//! What differs between two runs of the same command and seed: ports, run ids (and the run
//! marker made of them), timings and
//! request counts (and so, sometimes, where a line breaks). A generated excerpt is written to the docs with fixed stand-ins for ports and
//! run ids (the same widths, so lines wrap the same), and compared with the docs with every
//! varying part replaced.

use regex::Regex;

/// The port and run id the docs show.
const DOC_PORT: &str = "45551";
const DOC_RUN: &str = "9lbrzw";
/// The run marker of [`DOC_RUN`] (`session::marker::text`: `idf`, digits as letters from `q`).
const DOC_MARKER: &str = "idfzlbrzw";

fn replace_all(text: &str, rules: &[(&str, &str)]) -> String {
    rules
        .iter()
        .fold(text.to_string(), |text, (pattern, with)| {
            Regex::new(pattern)
                .unwrap_or_else(|err| panic!("{pattern}: {err}"))
                .replace_all(&text, *with)
                .into_owned()
        })
}

/// `text` with the ports and run ids the docs show.
pub(crate) fn for_docs(text: &str) -> String {
    replace_all(
        text,
        &[
            (r"127\.0\.0\.1:\d{5}", &format!("127.0.0.1:{DOC_PORT}")),
            (r"idf-[a-z0-9]{6}-", &format!("idf-{DOC_RUN}-")),
            (r"· run [a-z0-9]{6} ·", &format!("· run {DOC_RUN} ·")),
            (r"\bidf[a-z]{6}", DOC_MARKER),
        ],
    )
}

/// `text` with everything that varies between runs replaced, and every run of white space made
/// one space (a count one digit longer may move a line break).
pub(crate) fn for_comparison(text: &str) -> String {
    let text = replace_all(
        &for_docs(text),
        &[
            (r"\d+\.\d+s\b", "T"),
            (r"requests: \d+ sent", "requests: N sent"),
            (r"after \d+ request\(s\)", "after N request(s)"),
            (
                r"deleted \d+ run-owned resource\(s\) \(\d+ during the run, \d+ at the end\)",
                "deleted N run-owned resource(s) (N during the run, N at the end)",
            ),
        ],
    );
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
