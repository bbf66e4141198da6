//! `[resources.NAME.checks.CHECK]`: each check's options table as the file wrote it.
//!
//! The scenario does not know what a check's options mean: each check reads and validates its
//! own table (`crate::checks`), through an [`OptionsTable`] whose helpers locate every error at
//! file:line:col like any other scenario error. What a check reads is kept, so a table is
//! parsed once per resource however many cases run.

use std::any::Any;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::model::check::CheckId;
use crate::scenario::error::{Located, ScenarioError};
use crate::scenario::model::StatusesDoc;
use crate::scenario::validate::{self, Ctx};

/// The file the tables are in, to read them from and to locate errors in.
#[derive(Debug)]
struct Source {
    path: PathBuf,
    text: String,
}

/// The option tables of one resource's checks.
#[derive(Clone)]
pub struct CheckOptions {
    source: Arc<Source>,
    /// The resource's name: its tables are `resources.RESOURCE.checks.*`.
    resource: String,
    tables: Vec<Table>,
}

/// One `[resources.NAME.checks.CHECK]` table.
#[derive(Clone)]
struct Table {
    /// The check name as written, and where.
    name: Spanned<String>,
    /// `enabled = false` turns the check off; any other value is the check's to judge.
    disabled: bool,
    /// What the check read from the table, kept after the first read.
    read: Arc<OnceLock<Arc<dyn Any + Send + Sync>>>,
}

impl fmt::Debug for CheckOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .tables
            .iter()
            .map(|t| t.name.get_ref().as_str())
            .collect();
        f.debug_struct("CheckOptions")
            .field("resource", &self.resource)
            .field("tables", &names)
            .finish()
    }
}

impl CheckOptions {
    /// The tables of every resource of a parsed file, by resource name.
    pub(crate) fn of_file(
        path: &Path,
        text: &str,
        root: &DeTable<'_>,
    ) -> Vec<(String, CheckOptions)> {
        let source = Arc::new(Source {
            path: path.to_path_buf(),
            text: text.to_owned(),
        });
        let Some(resources) = root.get("resources").and_then(|r| r.get_ref().as_table()) else {
            return Vec::new();
        };
        resources
            .iter()
            .map(|(name, resource)| {
                let tables = checks_table(resource.get_ref())
                    .into_iter()
                    .flatten()
                    .map(|(check, table)| Table {
                        name: Spanned::new(check.span(), check.get_ref().to_string()),
                        disabled: table
                            .get_ref()
                            .get("enabled")
                            .and_then(|e| e.get_ref().as_bool())
                            == Some(false),
                        read: Arc::default(),
                    })
                    .collect();
                let options = CheckOptions {
                    source: source.clone(),
                    resource: name.get_ref().to_string(),
                    tables,
                };
                (name.get_ref().to_string(), options)
            })
            .collect()
    }

    /// A resource with no check tables.
    pub(crate) fn none(ctx: Ctx<'_>) -> CheckOptions {
        CheckOptions {
            source: Arc::new(Source {
                path: ctx.path().to_path_buf(),
                text: ctx.text().to_owned(),
            }),
            resource: String::new(),
            tables: Vec::new(),
        }
    }

    /// Whether the check runs: false when its table says `enabled = false`.
    pub fn enabled(&self, check: CheckId) -> bool {
        self.table(check.name()).is_none_or(|table| !table.disabled)
    }

    /// What `read` makes of the check's table (or of no table: the defaults), read once and
    /// kept; a read that fails is not kept, so the error is reported again.
    pub(crate) fn read<T: Any + Send + Sync>(
        &self,
        check: &str,
        read: impl FnOnce(&OptionsTable<'_>) -> Result<T, ScenarioError>,
    ) -> Result<Arc<T>, ScenarioError> {
        let Some(table) = self.table(check) else {
            return read(&OptionsTable::absent(self.ctx())).map(Arc::new);
        };
        if let Some(kept) = table
            .read
            .get()
            .and_then(|kept| kept.clone().downcast::<T>().ok())
        {
            return Ok(kept);
        }
        let root = DeTable::parse(&self.source.text)
            .map_err(|err| ScenarioError::toml(&self.source.path, &self.source.text, &err))?;
        let value = resource_checks(root.get_ref(), &self.resource)
            .and_then(|tables| tables.get(check))
            .cloned();
        let read = Arc::new(read(&OptionsTable {
            ctx: self.ctx(),
            value,
        })?);
        let _ = table.read.set(read.clone());
        Ok(read)
    }

    /// The first table that names none of the `known` checks, as the error the file gets.
    pub(crate) fn unknown_table(&self, known: &[&str]) -> Result<(), ScenarioError> {
        let Some(unknown) = self
            .tables
            .iter()
            .find(|table| !known.contains(&table.name.get_ref().as_str()))
        else {
            return Ok(());
        };
        let message = format!(
            "unknown field `{}`, expected {}",
            unknown.name.get_ref(),
            one_of(known)
        );
        Err(ScenarioError::Toml(Box::new(Located::new(
            &self.source.path,
            &self.source.text,
            Some(unknown.name.span()),
            message,
        ))))
    }

    fn table(&self, check: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name.get_ref() == check)
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx::new(&self.source.path, &self.source.text)
    }
}

/// `[resources.NAME.checks]` of a resource's table, when it is a table.
fn checks_table<'a, 'i>(resource: &'a DeValue<'i>) -> Option<&'a DeTable<'i>> {
    resource.get("checks")?.get_ref().as_table()
}

/// `[resources.RESOURCE.checks]` of a parsed file.
fn resource_checks<'a, 'i>(root: &'a DeTable<'i>, resource: &str) -> Option<&'a DeTable<'i>> {
    let resources = root.get("resources")?.get_ref().as_table()?;
    checks_table(resources.get(resource)?.get_ref())
}

/// serde's wording for the expected names: "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// One check's options table (or its absence), with the helpers that validate common kinds of
/// options and locate their errors.
pub(crate) struct OptionsTable<'a> {
    ctx: Ctx<'a>,
    value: Option<Spanned<DeValue<'a>>>,
}

impl<'a> OptionsTable<'a> {
    fn absent(ctx: Ctx<'a>) -> OptionsTable<'a> {
        OptionsTable { ctx, value: None }
    }

    /// The table deserialized as `T` (a `deny_unknown_fields` struct of optional, spanned
    /// keys); `T::default()` when the file has no such table.
    pub(crate) fn doc<T: DeserializeOwned + Default>(&self) -> Result<T, ScenarioError> {
        let Some(value) = &self.value else {
            return Ok(T::default());
        };
        T::deserialize(ValueDeserializer::from(value.clone()))
            .map_err(|err| ScenarioError::toml(self.ctx.path(), self.ctx.text(), &err))
    }

    /// An optional count within `range`, or `default`.
    pub(crate) fn count(
        &self,
        doc: Option<&Spanned<i64>>,
        what: &str,
        range: RangeInclusive<u32>,
        default: u32,
    ) -> Result<u32, ScenarioError> {
        validate::count(self.ctx, doc, what, range, default)
    }

    /// An optional list of HTTP statuses, or `default`; `allow_empty` says whether `[]` is
    /// meaningful.
    pub(crate) fn statuses(
        &self,
        doc: Option<&Spanned<StatusesDoc>>,
        what: &str,
        allow_empty: bool,
        default: Vec<u16>,
    ) -> Result<Vec<u16>, ScenarioError> {
        doc.map_or(Ok(default), |list| {
            validate::statuses(self.ctx, list, what, allow_empty)
        })
    }

    /// A header field name, as written.
    pub(crate) fn header_name(&self, name: &Spanned<String>) -> Result<String, ScenarioError> {
        validate::header_name(self.ctx, name)
    }
}
