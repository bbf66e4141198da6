//! oha, the reference load generator: one run, its JSON summary, any non-2xx answer an error.

use std::process::Command;

use anyhow::Context;
use serde_json::Value;

/// Runs `oha --no-tui --output-format json ARGS… URL` and returns its JSON report.
pub(crate) fn run(args: &[&str], url: &str) -> anyhow::Result<Value> {
    let out = Command::new("oha")
        .args(["--no-tui", "--output-format", "json"])
        .args(args)
        .arg(url)
        .output()
        .context("run oha (scripts/bench.sh installs it)")?;
    anyhow::ensure!(
        out.status.success(),
        "oha failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).context("oha's JSON output")?;
    let non_2xx: u64 = json["statusCodeDistribution"]
        .as_object()
        .map(|codes| {
            codes
                .iter()
                .filter(|(code, _)| !code.starts_with('2'))
                .map(|(_, n)| n.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    anyhow::ensure!(non_2xx == 0, "oha got {non_2xx} non-2xx answers");
    Ok(json)
}

/// A number of oha's `summary` (e.g. `requestsPerSec`, `average` in seconds).
pub(crate) fn summary(json: &Value, field: &str) -> anyhow::Result<f64> {
    json["summary"][field]
        .as_f64()
        .with_context(|| format!("oha's JSON has no summary.{field}"))
}
