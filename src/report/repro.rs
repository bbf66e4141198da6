//! `--repro-dir DIR`: one executable curl script per finding, written when the run finishes.
//!
//! A script is the finding's [`finding_repro`] (secrets already redacted or in `${NAME}` form,
//! as in every other format). Its file name says what it reproduces and is stable for a given
//! finding: `SEVERITY-RESOURCE-CHECK-RULE.sh`, lower-case letters, digits and `-` only (e.g.
//! `error-things-partial-put-merged.sh`), prefixed with the scenario file's name when two
//! findings would share a name. The human report names each finding's file.

use std::io;
use std::path::PathBuf;

use super::Reporter;
use super::curl::finding_repro;
use crate::model::events::Event;
use crate::model::findings::Finding;
use crate::model::report::RunReport;

/// The longest file name stem, in bytes (file systems allow 255).
const MAX_STEM: usize = 120;

/// A finding and the file its script goes to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReproFile<'a> {
    pub(crate) finding: &'a Finding,
    /// The file name, e.g. `error-things-partial-put-merged.sh`.
    pub(crate) name: String,
    /// `DIR/NAME`, as the user wrote `DIR`.
    pub(crate) path: String,
}

/// The file of every finding of `report` in `dir`, in the report's order; names are distinct.
pub(crate) fn repro_files<'a>(report: &'a RunReport, dir: &str) -> Vec<ReproFile<'a>> {
    let stems: Vec<String> = report.findings.iter().map(|f| stem(f, false)).collect();
    let mut taken: Vec<String> = Vec::new();
    let dir = match dir.trim_end_matches('/') {
        "" if dir.starts_with('/') => "/",
        trimmed => trimmed,
    };
    report
        .findings
        .iter()
        .zip(&stems)
        .map(|(finding, plain)| {
            let shared = stems.iter().filter(|s| *s == plain).count() > 1;
            let base = if shared {
                stem(finding, true)
            } else {
                plain.clone()
            };
            let mut name = format!("{base}.sh");
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}-{n}.sh");
                n += 1;
            }
            taken.push(name.clone());
            let path = if dir == "/" {
                format!("/{name}")
            } else {
                format!("{dir}/{name}")
            };
            ReproFile {
                finding,
                name,
                path,
            }
        })
        .collect()
}

/// `SEVERITY-RESOURCE-CHECK-RULE`, with the scenario file's stem first when `with_scenario`.
fn stem(finding: &Finding, with_scenario: bool) -> String {
    let scenario = finding
        .scenario
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(&finding.scenario)
        .trim_end_matches(".toml");
    let mut parts = vec![
        finding.severity.as_str(),
        finding.resource.as_str(),
        finding.check.name(),
        finding.rule.as_str(),
    ];
    if with_scenario {
        parts.insert(0, scenario);
    }
    let mut stem = slug(&parts.join("-"));
    if stem.len() > MAX_STEM {
        stem.truncate(MAX_STEM);
        stem = stem.trim_end_matches('-').to_string();
    }
    stem
}

/// Lower-case ASCII letters and digits; every run of anything else becomes one `-`.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Where scripts are written.
pub(crate) trait ScriptSink: Send {
    /// Writes one executable script named `name`.
    fn write_script(&mut self, name: &str, script: &str) -> io::Result<()>;
}

/// A directory on disk, created when the first script is written; scripts are made
/// executable (mode 755 on Unix).
pub(crate) struct Directory(pub PathBuf);

impl ScriptSink for Directory {
    fn write_script(&mut self, name: &str, script: &str) -> io::Result<()> {
        std::fs::create_dir_all(&self.0)?;
        let path = self.0.join(name);
        std::fs::write(&path, script)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    }
}

/// Writes every finding's script to its sink when the run finishes.
pub(crate) struct ReproReporter<S: ScriptSink> {
    sink: S,
}

impl<S: ScriptSink> ReproReporter<S> {
    pub(crate) fn new(sink: S) -> Self {
        Self { sink }
    }

    /// Gives the sink back.
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> S {
        self.sink
    }
}

impl<S: ScriptSink> Reporter for ReproReporter<S> {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        if let Event::RunFinished(report) = event {
            for file in repro_files(report, "") {
                self.sink
                    .write_script(&file.name, &finding_repro(file.finding))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture;

    #[derive(Default)]
    struct Memory(Vec<(String, String)>);

    impl ScriptSink for Memory {
        fn write_script(&mut self, name: &str, script: &str) -> io::Result<()> {
            self.0.push((name.into(), script.into()));
            Ok(())
        }
    }

    #[test]
    fn one_script_per_finding_named_after_it() {
        let mut reporter = ReproReporter::new(Memory::default());
        for event in fixture::sample_events() {
            reporter.on_event(&event).expect("memory");
        }
        let written = reporter.into_inner().0;
        let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "error-items-repeat-put-item-changed.sh",
                "warning-items-head-parity-header-mismatch-etag.sh"
            ]
        );
        assert!(written[0].1.starts_with("#!/bin/sh\n"));
        assert!(
            written[0].1.contains("Bearer ${API_TOKEN}") && !written[0].1.contains("<redacted>"),
            "secrets stay redacted: {}",
            written[0].1
        );
    }

    #[test]
    fn shared_names_get_the_scenario_then_a_number() {
        let mut report = fixture::sample_report();
        let mut twin = report.findings[0].clone();
        twin.scenario = "other/items.toml".into();
        report.findings.push(twin.clone());
        report.findings.push(twin);
        let names: Vec<String> = repro_files(&report, "out/")
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(
            names,
            [
                "out/items-error-items-repeat-put-item-changed.sh",
                "out/warning-items-head-parity-header-mismatch-etag.sh",
                "out/items-error-items-repeat-put-item-changed-2.sh",
                "out/items-error-items-repeat-put-item-changed-3.sh",
            ]
        );
    }

    #[test]
    fn slugs_keep_letters_digits_and_single_dashes() {
        assert_eq!(
            slug("a broken lamp: refuses/“switch”"),
            "a-broken-lamp-refuses-switch"
        );
    }
}
