//! Cold start: wall time of `idemfuzz --version` and of `idemfuzz check` on the bundled
//! scenarios, each started many times as a new process.

use std::time::Duration;

use crate::child::measure;
use crate::demo::{idemfuzz, scenario};
use crate::stats::{median, ms};
use crate::table::{Section, verdict};

const TARGET: Duration = Duration::from_millis(20);

pub(crate) fn run(quick: bool) -> anyhow::Result<Section> {
    let runs = if quick { 10 } else { 50 };
    let mut section = Section::new(
        "Cold start",
        &[
            "command",
            "runs",
            "median",
            "fastest",
            "peak RSS",
            "target < 20 ms",
        ],
    );
    let bundled: Vec<String> = ["demo.toml", "notes.toml", "lamps.toml", "devices.toml"]
        .iter()
        .map(|name| scenario(name))
        .collect();
    let mut check_args = vec!["check".to_string()];
    check_args.extend(bundled);
    for (label, args) in [
        ("idemfuzz --version", vec!["--version".to_string()]),
        ("idemfuzz check scenarios/*.toml", check_args),
    ] {
        let mut walls = Vec::new();
        let mut rss = 0;
        for _ in 0..runs {
            let out = measure(idemfuzz().args(&args), Duration::from_secs(10))?;
            anyhow::ensure!(out.code == Some(0), "{label} failed: {}", out.stderr);
            walls.push(out.wall);
            rss = rss.max(out.max_rss_kib);
        }
        let mid = median(&walls).unwrap_or_default();
        section.row(vec![
            format!("`{label}`"),
            runs.to_string(),
            ms(mid),
            ms(walls.iter().min().copied().unwrap_or_default()),
            format!("{:.1} MiB", rss as f64 / 1024.0),
            verdict(mid < TARGET),
        ]);
    }
    section.note("Wall time from spawn to exit, measured by the suite (fork, exec, dynamic linking and the run).");
    Ok(section)
}
