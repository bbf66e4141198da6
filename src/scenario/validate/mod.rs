//! From the raw file model to a validated scenario: every semantic rule, located at its span.

mod auth;
mod common;
mod listing;
mod nesting;
mod representation;
mod resilience;
mod resource;
mod script;
mod target;
mod version;

use std::ops::Range;
use std::path::Path;

use crate::env::EnvSnapshot;
use crate::scenario::error::{Located, ScenarioError};
use crate::scenario::model::ScenarioDoc;
use crate::scenario::{CheckOptions, Scenario};

pub(crate) use common::{BAD_HEADER_VALUE, is_header_name, is_header_value};
pub(crate) use common::{count, header_name, statuses};
pub(crate) use target::{BaseUrlError, REDACTED, check_base_url, is_credential_name};

/// The result of one validation rule.
pub(crate) type Checked<T> = Result<T, ScenarioError>;

/// The file being validated, to locate errors in.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(path: &'a Path, text: &'a str) -> Ctx<'a> {
        Ctx { path, text }
    }

    /// The file's path, as given.
    pub(crate) fn path(&self) -> &'a Path {
        self.path
    }

    /// The file's text.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// An error at a span of the file.
    pub(crate) fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::invalid(self.path, self.text, span, message.into())
    }

    /// An error at a span of the file, with a `= note:` line.
    pub(crate) fn err_note(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        note: impl Into<String>,
    ) -> ScenarioError {
        let located = Located::new(self.path, self.text, Some(span), message.into());
        ScenarioError::Invalid(Box::new(located.with_note(note)))
    }
}

/// Checks a parsed file and builds the scenario the runner consumes.
pub(crate) fn validate(
    ctx: Ctx<'_>,
    doc: ScenarioDoc,
    check_options: Vec<(String, CheckOptions)>,
    env: &EnvSnapshot,
) -> Checked<Scenario> {
    if doc.resources.is_empty() && doc.scripts.is_empty() {
        return Err(ctx.err(0..0, "the file defines no resources and no scripts"));
    }
    let max_body = target::max_body_bytes(ctx, doc.target.max_body_bytes.as_ref())?;
    let target = target::target(ctx, doc.target, env, max_body)?;
    let resources = resource::resources(ctx, doc.resources, check_options, max_body)?;
    let scripts = script::scripts(ctx, doc.scripts, &resources)?;
    Ok(Scenario {
        path: ctx.path.to_path_buf(),
        target,
        resources,
        scripts,
    })
}
