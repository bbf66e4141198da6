//! The run at a glance, shared by the human and HTML summaries: the result rows grouped by
//! resource (the scripts of a scenario file together), and what each row's status counts as.

use crate::model::check::CheckId;
use crate::model::report::{CheckResult, CheckStatus, RunReport};
use crate::report::text::clean;

/// A resource of a scenario file, or the scripts of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group<'a> {
    pub(crate) label: String,
    pub(crate) rows: Vec<&'a CheckResult>,
}

impl Group<'_> {
    /// The names of the group's rows of `kind` ([`row_name`]).
    pub(crate) fn named(&self, kind: RowKind) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| row_kind(&r.status) == kind)
            .map(|r| row_name(r))
            .collect()
    }

    /// How many of the group's rows are of `kind`.
    pub(crate) fn count(&self, kind: RowKind) -> usize {
        self.rows
            .iter()
            .filter(|r| row_kind(&r.status) == kind)
            .count()
    }
}

/// The result rows grouped by resource (scripts: by scenario file), in order of appearance.
pub(crate) fn groups(report: &RunReport) -> Vec<Group<'_>> {
    let several_files = report.scenarios.len() > 1;
    let mut groups: Vec<(String, String, Group)> = Vec::new();
    for row in &report.results {
        let file = file_name(&row.scenario);
        let (key, label) = if row.check == CheckId::Script {
            ("\0scripts".to_string(), format!("scripts ({file})"))
        } else if several_files {
            (
                row.resource.clone(),
                format!("{} ({file})", clean(&row.resource)),
            )
        } else {
            (row.resource.clone(), clean(&row.resource))
        };
        match groups
            .iter_mut()
            .find(|(s, k, _)| *s == row.scenario && *k == key)
        {
            Some((_, _, group)) => group.rows.push(row),
            None => groups.push((
                row.scenario.clone(),
                key,
                Group {
                    label,
                    rows: vec![row],
                },
            )),
        }
    }
    groups.into_iter().map(|(_, _, group)| group).collect()
}

/// The file name of a scenario path, without its directories.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// How the summary treats a row's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowKind {
    Passed,
    Failed,
    /// No case could run (errored).
    NotJudged,
    /// The cases ran but observed nothing the check judges.
    Inconclusive,
    Skipped,
    Interrupted,
}

pub(crate) fn row_kind(status: &CheckStatus) -> RowKind {
    match status {
        CheckStatus::Passed => RowKind::Passed,
        CheckStatus::Failed => RowKind::Failed,
        CheckStatus::Errored { .. } => RowKind::NotJudged,
        CheckStatus::Inconclusive { .. } => RowKind::Inconclusive,
        CheckStatus::Skipped { .. } => RowKind::Skipped,
        CheckStatus::Interrupted => RowKind::Interrupted,
    }
}

/// A row's name within its group: the check, or the script's name for scripts.
pub(crate) fn row_name(row: &CheckResult) -> String {
    if row.check == CheckId::Script {
        format!("\"{}\"", clean(&row.resource))
    } else {
        row.check.name().to_string()
    }
}

/// A status as one word: `passed`, `failed`, `skipped`, `errored`, `inconclusive`,
/// `interrupted`.
pub(crate) fn status_label(status: &CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "passed",
        CheckStatus::Failed => "failed",
        CheckStatus::Skipped { .. } => "skipped",
        CheckStatus::Errored { .. } => "errored",
        CheckStatus::Inconclusive { .. } => "inconclusive",
        CheckStatus::Interrupted => "interrupted",
    }
}

/// Why a row was not judged: the skip, error or inconclusive reason, or the interruption.
pub(crate) fn status_note(status: &CheckStatus) -> Option<&str> {
    match status {
        CheckStatus::Skipped { reason }
        | CheckStatus::Errored { reason }
        | CheckStatus::Inconclusive { reason } => Some(reason),
        CheckStatus::Interrupted => Some("the run was interrupted"),
        CheckStatus::Passed | CheckStatus::Failed => None,
    }
}
