//! Reports: the reporters that render a run's result data (`crate::model::report`) as human
//! text, JSON, JUnit, HTML, curl scripts (also one per finding in a directory) and HAR.
//!
//! Reporters subscribe to the runner's `Event`s through a [`ReporterSet`], which is the
//! runner's `EventSink`. Rendering is pure: every format has a function from result data to a
//! `String` (`json::render_json`, `junit::render_junit`, `curl::curl_script`); the
//! reporters only decide *when* to write, to a writer they are given. The verdict (last line
//! and exit code) comes from `verdict`.

pub(crate) mod curl;
pub(crate) mod har;
pub(crate) mod html;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod merge;
pub(crate) mod overview;
pub(crate) mod repro;
pub(crate) mod side_by_side;
pub(crate) mod text;
pub(crate) mod verdict;

use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use crate::model::events::{Event, EventSink};

/// Something that renders events to an output.
pub(crate) trait Reporter: Send {
    /// Handles one event; an error means the output is unusable (e.g. a closed pipe).
    fn on_event(&mut self, event: &Event) -> io::Result<()>;
}

/// One reporter and whether its output already failed.
struct Slot {
    reporter: Box<dyn Reporter>,
    failed: bool,
}

/// The reporters and the first I/O error any of them hit.
#[derive(Default)]
struct Inner {
    slots: Vec<Slot>,
    first_error: Option<io::Error>,
}

/// Fans every event out to each reporter, in the order they were added.
///
/// A reporter whose output fails stops receiving events; the first such error is kept so the
/// caller can print it after the run (`ReporterSet::take_error`). Emitting never panics.
#[derive(Default)]
pub struct ReporterSet {
    inner: Mutex<Inner>,
}

impl ReporterSet {
    /// An empty set (a sink that drops everything until reporters are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a reporter; it receives every event emitted from now on.
    pub(crate) fn add(&self, reporter: Box<dyn Reporter>) {
        self.lock().slots.push(Slot {
            reporter,
            failed: false,
        });
    }

    /// Adds a reporter, builder style.
    #[cfg(test)]
    pub(crate) fn with(self, reporter: impl Reporter + 'static) -> Self {
        self.add(Box::new(reporter));
        self
    }

    /// The first I/O error a reporter hit, if any (taken: a second call returns `None`).
    pub(crate) fn take_error(&self) -> Option<io::Error> {
        self.lock().first_error.take()
    }

    /// Locks the reporters; a reporter that panicked does not poison the set for the others.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl EventSink for ReporterSet {
    fn emit(&self, event: Event) {
        let mut inner = self.lock();
        let Inner { slots, first_error } = &mut *inner;
        for slot in slots.iter_mut().filter(|slot| !slot.failed) {
            if let Err(err) = slot.reporter.on_event(&event) {
                slot.failed = true;
                first_error.get_or_insert(err);
            }
        }
    }
}

/// An output format of the `--format` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The streaming, human-readable report (findings as they come, a summary at the end).
    Human,
    /// The JSON report (`docs/report-format.md`), written when the run finishes.
    Json,
    /// A JUnit XML report for CI, written when the run finishes.
    Junit,
    /// A self-contained HTML page (filters, timelines, side-by-side diffs), written when the run
    /// finishes.
    Html,
}

impl Format {
    /// Every format, in the order shown by `--help`.
    pub const ALL: [Format; 4] = [Format::Human, Format::Json, Format::Junit, Format::Html];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown `--format` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`; known formats: human, json, junit, html")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Parses a format name, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the events it sees; fails on the first one when `fail` is set.
    struct Probe {
        seen: Arc<AtomicUsize>,
        fail: bool,
    }

    impl Reporter for Probe {
        fn on_event(&mut self, _event: &Event) -> io::Result<()> {
            self.seen.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
            }
            Ok(())
        }
    }

    fn probe(fail: bool) -> (Probe, Arc<AtomicUsize>) {
        let seen = Arc::new(AtomicUsize::new(0));
        let probe = Probe {
            seen: Arc::clone(&seen),
            fail,
        };
        (probe, seen)
    }

    fn volatile_event() -> Event {
        Event::VolatileDetected {
            resource: "items".into(),
            pointers: vec!["/updated_at".into()],
        }
    }

    #[test]
    fn forwards_to_every_reporter_and_keeps_the_first_error() {
        let (good, good_seen) = probe(false);
        let (bad, bad_seen) = probe(true);
        let set = ReporterSet::new().with(bad).with(good);
        set.emit(volatile_event());
        set.emit(volatile_event());
        assert_eq!(good_seen.load(Ordering::SeqCst), 2);
        assert_eq!(
            bad_seen.load(Ordering::SeqCst),
            1,
            "a failed output is not retried"
        );
        let err = set.take_error().expect("the error is kept");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert!(set.take_error().is_none());
    }

    #[test]
    fn formats_parse_and_display() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!("JSON".parse::<Format>(), Ok(Format::Json));
        let err = "xml".parse::<Format>().unwrap_err();
        assert!(err.to_string().contains("junit"));
    }
}
