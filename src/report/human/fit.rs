//! The fit probe's blocks in the human report, before the findings: for each resource on which
//! the scenario and the API disagree (every probed resource with `--verbose`), one line per
//! observation, `✓` where they agree and `✗` where they don't.

use super::palette::{BOLD, GREEN, Palette, YELLOW};
use crate::model::fit::FitReport;
use crate::report::text::{clean, wrap_words};

/// The blocks, each preceded by a blank line; nothing when there is none to show.
pub(crate) fn render_fit(fit: &[FitReport], verbose: bool, p: Palette, width: usize) -> String {
    fit.iter()
        .filter(|block| verbose || block.disagrees())
        .map(|block| render_block(block, p, width))
        .collect()
}

fn render_block(block: &FitReport, p: Palette, width: usize) -> String {
    let head = format!(
        "{} {}: what the scenario and the API agree on",
        p.paint(BOLD, "fit:"),
        clean(&block.resource)
    );
    let mut out = String::from("\n");
    for wrapped in wrap_words(&head, width, "    ") {
        out.push_str(&wrapped);
        out.push('\n');
    }
    for line in &block.lines {
        let mark = if line.agrees {
            p.paint(GREEN, "✓")
        } else {
            p.paint(YELLOW.bold(), "✗")
        };
        let text = format!("  {mark} {}", clean(&line.text));
        for wrapped in wrap_words(&text, width, "    ") {
            out.push_str(&wrapped);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fit::FitLine;

    fn block(lines: Vec<FitLine>) -> FitReport {
        FitReport {
            scenario: "s.toml".into(),
            resource: "things".into(),
            lines,
        }
    }

    #[test]
    fn only_disagreements_are_shown_unless_verbose() {
        let agreed = block(vec![FitLine::agree("create: PUT /things/x answered 201")]);
        let torn = block(vec![
            FitLine::agree("create: PUT /things/x answered 201"),
            FitLine::disagree("listing: GET /things answered 404"),
        ]);
        assert_eq!(
            render_fit(std::slice::from_ref(&agreed), false, Palette::PLAIN, 100),
            ""
        );
        assert_eq!(
            render_fit(&[agreed, torn], false, Palette::PLAIN, 100),
            "\nfit: things: what the scenario and the API agree on\n  ✓ create: PUT /things/x answered 201\n  ✗ listing: GET /things answered 404\n"
        );
    }
}
