//! Runs that provoke every message of the user guide's troubleshooting table, against real
//! servers on 127.0.0.1: nobody listening, a demo API that wants a token, one that stops
//! accepting it mid-run, one that dies, a failing token command, a resource whose creates all
//! fail, one whose listing cannot be read, and command-line and scenario-file mistakes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::IntoResponse;
use regex::Regex;

use crate::commands::Workdir;
use crate::support::{Demo, DyingDemo, Served, dead_port};

/// A doc message as a regex: the placeholders stand for what varies.
pub(crate) fn pattern(message: &str) -> Regex {
    let mut regex = regex::escape(message);
    for (placeholder, with) in [
        ("…", ".*"),
        ("URL", r"\S+?"),
        ("PATH", r"\S+?"),
        ("FILE", r"\S+?"),
        ("METHOD", "[A-Z]+"),
        ("LINE", r"\d+"),
        ("COL", r"\d+"),
        ("4xx", r"4\d\d"),
    ] {
        regex = regex.replace(placeholder, with);
    }
    Regex::new(&regex).unwrap_or_else(|err| panic!("{message}: {err}"))
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_string()).collect()
}

/// `run FILE --base-url URL` with the demo scenario's usual flags, plus `extra`.
fn run_against(
    work: &Workdir,
    file: &str,
    url: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Vec<String> {
    let mut words = vec![
        "run",
        file,
        "--base-url",
        url,
        "--cases",
        "1",
        "--no-progress",
    ];
    words.extend_from_slice(extra);
    // Wide enough that no message wraps.
    let env: Vec<(String, String)> = env
        .iter()
        .chain(&[("COLUMNS", "1000")])
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let out = work.run(&args(&words), &env);
    out.assert_no_panic();
    format!("{}\n{}", out.stdout, out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The demo API answering 401 to every request after the first `accepted` ones.
fn revoking_demo(accepted: usize) -> Served {
    let seen = Arc::new(AtomicUsize::new(0));
    let router = idemfuzz::demo::router(idemfuzz::demo::BugSet::none()).layer(
        axum::middleware::from_fn(move |request: Request, next: Next| {
            let seen = Arc::clone(&seen);
            async move {
                if seen.fetch_add(1, Ordering::SeqCst) >= accepted {
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                }
                next.run(request).await
            }
        }),
    );
    Served::start(router)
}

/// Every line the provoking runs printed (stdout and stderr).
pub(crate) fn provoke_every_message() -> Vec<String> {
    let work = Workdir::new();
    let demo_toml =
        std::fs::read_to_string(work.path().join("scenarios/demo.toml")).expect("demo.toml");
    work.write(
        "token.toml",
        &format!("{demo_toml}\n[target.auth]\nbearer = \"${{API_TOKEN}}\"\n"),
    );
    work.write(
        "command.toml",
        &format!("{demo_toml}\n[target.auth]\ncommand = \"echo no token here >&2; exit 1\"\n"),
    );
    work.write(
        "lost.toml",
        "[resources.lost]\ncollection = \"/nowhere\"\nitem = \"/nowhere/{id}\"\nitems = \"/items\"\n\
         required = [\"name\"]\n\n[resources.lost.body]\nname = { gen = \"string\", min_len = 1, max_len = 8 }\n\
         size = { gen = \"int\", min = 1, max = 9 }\n",
    );
    work.write(
        "unlisted.toml",
        "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\npost_id = \"location\"\n\
         items = \"/nowhere\"\nrequired = [\"name\"]\n\n[resources.things.body]\n\
         name = { gen = \"string\", min_len = 1, max_len = 8 }\nsize = { gen = \"int\", min = 1, max = 9 }\n",
    );
    work.write(
        "nobase.toml",
        "[resources.things]\ncollection = \"/things\"\nitem = \"/things/{id}\"\nitems = \"/items\"\n\n\
         [resources.things.body]\nname = { gen = \"string\", min_len = 1, max_len = 8 }\n",
    );
    let mut lines = Vec::new();
    let dead = format!("http://127.0.0.1:{}", dead_port());
    lines.extend(run_against(&work, "scenarios/demo.toml", &dead, &[], &[]));
    let gated = Demo::start_with(idemfuzz::demo::DemoOptions {
        require_token: Some("doc-token".into()),
        ..idemfuzz::demo::DemoOptions::default()
    });
    lines.extend(run_against(
        &work,
        "scenarios/demo.toml",
        gated.url(),
        &[],
        &[],
    ));
    lines.extend(run_against(&work, "command.toml", gated.url(), &[], &[]));
    let revoking = revoking_demo(60);
    lines.extend(run_against(
        &work,
        "token.toml",
        &revoking.url(),
        &["--concurrency", "1"],
        &[("API_TOKEN", "doc-token")],
    ));
    let dying = DyingDemo::start(40);
    lines.extend(run_against(
        &work,
        "scenarios/demo.toml",
        dying.url(),
        &["--concurrency", "1"],
        &[],
    ));
    let demo = Demo::start("none");
    lines.extend(run_against(
        &work,
        "lost.toml",
        demo.url(),
        &["--checks", "repeat-put"],
        &[],
    ));
    lines.extend(run_against(
        &work,
        "lost.toml",
        demo.url(),
        &["--checks", "repeat-pot"],
        &[],
    ));
    lines.extend(run_against(
        &work,
        "unlisted.toml",
        demo.url(),
        &["--checks", "post-retry"],
        &[],
    ));
    lines.extend(run_against(&work, "token.toml", demo.url(), &[], &[]));
    let out = work.run(
        &args(&["run", "nobase.toml"]),
        &[("COLUMNS".to_string(), "1000".to_string())],
    );
    lines.extend(out.stderr.lines().map(str::to_string));
    lines
}
