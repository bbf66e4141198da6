//! Colour for the human report: ANSI styles (via `anstyle`) applied only when asked for.

use anstyle::{AnsiColor, Style};

use crate::model::findings::Severity;
use crate::model::report::CheckStatus;

pub(super) const BOLD: Style = Style::new().bold();
pub(super) const DIM: Style = Style::new().dimmed();
pub(super) const RED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
pub(super) const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
pub(super) const YELLOW: Style =
    Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
pub(super) const CYAN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

/// Applies styles when colour is on; a no-op otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Palette {
    color: bool,
}

impl Palette {
    /// No colour at all (for JUnit text and tests).
    pub(crate) const PLAIN: Palette = Palette { color: false };

    /// ANSI colour when `color` is true, plain text otherwise.
    pub(crate) fn new(color: bool) -> Self {
        Palette { color }
    }

    pub(super) fn paint(self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

pub(super) fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => RED.bold(),
        Severity::Warning => YELLOW.bold(),
        Severity::Info => CYAN.bold(),
    }
}

pub(super) fn status_style(status: &CheckStatus) -> Style {
    match status {
        CheckStatus::Passed => GREEN,
        CheckStatus::Failed | CheckStatus::Errored { .. } => RED.bold(),
        CheckStatus::Inconclusive { .. } => YELLOW.bold(),
        CheckStatus::Skipped { .. } | CheckStatus::Interrupted => YELLOW,
    }
}
