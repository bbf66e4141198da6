//! The possible values of `--format`, `--checks`/`--skip-checks` and `--bug`, for `--help` and
//! shell completions. Each list is derived from the type it names, so a new format, check or bug
//! shows up by itself. The values are not enforced here: `config` (and the demo's bug parser)
//! validate them with their own messages, which name the known values too.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};

use crate::demo::Bug;
use crate::model::check::{BUILT_IN, CheckId};
use crate::report::Format;

/// A text argument whose possible values clap shows in help and completions.
#[derive(Clone)]
pub(crate) struct Listed(Vec<PossibleValue>);

impl TypedValueParser for Listed {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().cloned()))
    }
}

/// The report formats (`--format`).
pub(crate) fn formats() -> Listed {
    Listed(Format::ALL.map(|f| PossibleValue::new(f.as_str())).to_vec())
}

/// The check names (`--checks`, `--skip-checks`), with their one-line rules, and `script`.
pub(crate) fn checks() -> Listed {
    let built_in = BUILT_IN.map(|check| {
        let info = check.info();
        PossibleValue::new(info.name).help(info.summary)
    });
    let script = PossibleValue::new(CheckId::Script.name()).help("the scenario files' scripts");
    Listed(built_in.into_iter().chain([script]).collect())
}

/// The demo's bugs (`--bug`), with what each does, and `none`.
pub(crate) fn bugs() -> Listed {
    let none = PossibleValue::new("none").help("no bug: the clean API");
    let each = Bug::ALL
        .iter()
        .map(|bug| PossibleValue::new(bug.name()).help(bug.description()));
    Listed(std::iter::once(none).chain(each).collect())
}
