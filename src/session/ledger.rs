//! The ledger: a JSON-lines file, one per run (default `.idemfuzz/runs/RUNID.jsonl`), in which
//! the run writes what it may create *before* each request that may create it, and what it
//! proved gone afterwards. Each line is written and flushed before the request goes out, so a
//! run that is killed (even with `kill -9`) leaves a file that names everything it may have
//! left behind; `idemfuzz cleanup` replays it. The format is documented in
//! docs/safety.md ("The ledger").

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Where ledgers go unless `--ledger-dir` says otherwise.
pub(crate) const DEFAULT_DIR: &str = ".idemfuzz/runs";

/// The version of the line format; a reader refuses ledgers of another version.
pub(crate) const FORMAT: u32 = 1;

/// One line of a ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Entry {
    /// The first line: the run and every resource it may write to.
    Start(Start),
    /// A PUT or PATCH to `url` (a URL the run owns) is about to be sent: it may create it.
    MayCreate { url: String, collection: String },
    /// POST number `post` to `collection` is about to be sent: it may create a resource whose
    /// id only its answer tells.
    Post { post: u64, collection: String },
    /// POST number `post` was answered `status`; `url` is the resource it created when the
    /// run adopted it (from a 201). A POST with no such line lost its answer.
    Posted {
        post: u64,
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// The resource at `url` is proven gone (its DELETE succeeded, or it answered 404/410).
    Gone { url: String },
    /// The last line of a run (or of a `cleanup`): how many resources it knows are left.
    End { left_behind: usize },
}

/// The first line of a ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Start {
    pub(crate) format: u32,
    pub(crate) run_id: String,
    /// The process that writes the ledger (`cleanup` leaves a live run's ledger alone).
    pub(crate) pid: u32,
    /// Seconds since the Unix epoch.
    pub(crate) started: u64,
    pub(crate) idemfuzz: String,
    /// Every resource the run may create, with what `cleanup` needs to find and delete it.
    pub(crate) resources: Vec<LedgerResource>,
}

/// A resource as the ledger describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LedgerResource {
    /// The scenario file it comes from (its `[target]` gives headers and credentials).
    pub(crate) scenario: String,
    pub(crate) name: String,
    /// The target's base URL (credentials removed).
    pub(crate) base_url: String,
    /// The collection's absolute URL: the key the other lines use.
    pub(crate) collection: String,
    /// The item path template, e.g. `/things/{id}`.
    pub(crate) item: String,
    /// JSON pointers of the item array in a listing and of the id in an item.
    pub(crate) items: String,
    pub(crate) id_field: String,
    /// Whether the resource declares DELETE.
    pub(crate) deletable: bool,
    /// The run marker inside every body the run creates here, when the template has a place
    /// for it (see [`crate::session::marker`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) marker: Option<String>,
}

/// Why a ledger could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot write the ledger {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the ledger {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a ledger line: {reason}")]
    Malformed {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Unusable { path: String, reason: String },
}

/// The path of a run's ledger in `dir`.
pub(crate) fn path_of(dir: &Path, run_id: &str) -> PathBuf {
    dir.join(format!("{run_id}.jsonl"))
}

/// An open ledger file, appended to line by line.
#[derive(Debug)]
pub(crate) struct Ledger {
    path: PathBuf,
    file: Mutex<File>,
}

impl Ledger {
    /// Creates the file (and its directory); fails when it cannot be written.
    pub(crate) fn create(path: &Path) -> Result<Ledger, LedgerError> {
        let failed = |source| LedgerError::Write {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(failed)?;
        Ok(Ledger {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Opens an existing ledger to append to it (`cleanup`).
    pub(crate) fn append_to(path: &Path) -> Result<Ledger, LedgerError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|source| LedgerError::Write {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Ledger {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line and flushes it to the file before returning.
    pub(crate) fn append(&self, entry: &Entry) -> Result<(), LedgerError> {
        let mut line = serde_json::to_string(entry).map_err(|err| LedgerError::Write {
            path: self.path.display().to_string(),
            source: std::io::Error::other(err),
        })?;
        line.push('\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|source| LedgerError::Write {
                path: self.path.display().to_string(),
                source,
            })
    }

    /// Removes the file: the run left nothing behind.
    pub(crate) fn remove(&self) -> Result<(), LedgerError> {
        std::fs::remove_file(&self.path).map_err(|source| LedgerError::Write {
            path: self.path.display().to_string(),
            source,
        })
    }
}

/// What a ledger says the run may have left, after replaying every line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replayed {
    pub(crate) start: Start,
    /// URLs that may exist (created or written, not proven gone), with their collection.
    pub(crate) open: BTreeMap<String, String>,
    /// POSTs whose answer was lost or did not let the run adopt what they created, per
    /// collection: what they created can only be found by the run marker.
    pub(crate) unresolved_posts: BTreeMap<String, u32>,
    /// The `left_behind` of the last `end` line, if the run (or a cleanup) ended.
    pub(crate) ended: Option<usize>,
}

impl Replayed {
    /// The described resource whose collection URL is `collection`.
    pub(crate) fn resource(&self, collection: &str) -> Option<&LedgerResource> {
        self.start
            .resources
            .iter()
            .find(|r| r.collection == collection)
    }
}

/// Reads and replays a ledger. A last line cut short (the run was killed while writing it) is
/// ignored: the request it announced was never sent.
pub(crate) fn read(path: &Path) -> Result<Replayed, LedgerError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LedgerError::Read {
        path: shown.clone(),
        source,
    })?;
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut entries = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let last = n + 1 == lines.len();
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) => entries.push(entry),
            Err(_) if last && !complete => break,
            Err(err) => {
                return Err(LedgerError::Malformed {
                    path: shown,
                    line: n + 1,
                    reason: err.to_string(),
                });
            }
        }
    }
    replay(entries).map_err(|reason| LedgerError::Unusable {
        path: shown,
        reason,
    })
}

/// Replays entries in order (the first must be `start`); `Err` is why they are unusable, which
/// [`read`] reports with the ledger's path.
fn replay(entries: Vec<Entry>) -> Result<Replayed, String> {
    let mut entries = entries.into_iter();
    let start = match entries.next() {
        Some(Entry::Start(start)) if start.format == FORMAT => start,
        Some(Entry::Start(start)) => {
            return Err(format!(
                "ledger format {} (this idemfuzz reads format {FORMAT})",
                start.format
            ));
        }
        _ => return Err("the ledger does not begin with its start line".into()),
    };
    let mut open = BTreeMap::new();
    let mut posts: BTreeMap<u64, String> = BTreeMap::new();
    let mut resolved: BTreeSet<u64> = BTreeSet::new();
    let mut ended = None;
    for entry in entries {
        match entry {
            Entry::Start(_) => return Err("a second start line".into()),
            Entry::MayCreate { url, collection } => {
                open.insert(url, collection);
            }
            Entry::Post { post, collection } => {
                posts.insert(post, collection);
            }
            Entry::Posted { post, status, url } => {
                if let (Some(url), Some(collection)) = (url, posts.get(&post)) {
                    open.insert(url, collection.clone());
                    resolved.insert(post);
                } else if (400..500).contains(&status) {
                    resolved.insert(post);
                }
            }
            Entry::Gone { url } => {
                open.remove(&url);
            }
            Entry::End { left_behind } => ended = Some(left_behind),
        }
    }
    let mut unresolved_posts = BTreeMap::new();
    for (post, collection) in posts {
        if !resolved.contains(&post) {
            *unresolved_posts.entry(collection).or_insert(0) += 1;
        }
    }
    Ok(Replayed {
        start,
        open,
        unresolved_posts,
        ended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Start {
        Start {
            format: FORMAT,
            run_id: "abc123".into(),
            pid: 1,
            started: 0,
            idemfuzz: "0.1.0".into(),
            resources: vec![LedgerResource {
                scenario: "s.toml".into(),
                name: "things".into(),
                base_url: "http://h".into(),
                collection: "http://h/things".into(),
                item: "/things/{id}".into(),
                items: "/items".into(),
                id_field: "/id".into(),
                deletable: true,
                marker: Some("idfabcbcd".into()),
            }],
        }
    }

    fn may_create(url: &str) -> Entry {
        Entry::MayCreate {
            url: url.into(),
            collection: "http://h/things".into(),
        }
    }

    #[test]
    fn what_was_written_and_not_proven_gone_stays_open() {
        let replayed = replay(vec![
            Entry::Start(start()),
            may_create("http://h/things/a"),
            may_create("http://h/things/b"),
            Entry::Gone {
                url: "http://h/things/a".into(),
            },
            // Re-created after its DELETE: open again.
            may_create("http://h/things/b"),
        ])
        .expect("replays");
        assert_eq!(
            replayed.open.keys().collect::<Vec<_>>(),
            ["http://h/things/b"]
        );
        assert_eq!(replayed.ended, None);
    }

    #[test]
    fn a_post_without_an_adopting_answer_stays_unresolved() {
        let post = |post| Entry::Post {
            post,
            collection: "http://h/things".into(),
        };
        let replayed = replay(vec![
            Entry::Start(start()),
            post(1),
            Entry::Posted {
                post: 1,
                status: 201,
                url: Some("http://h/things/7".into()),
            },
            post(2),
            post(3),
            Entry::Posted {
                post: 3,
                status: 422,
                url: None,
            },
            post(4),
            Entry::Posted {
                post: 4,
                status: 200,
                url: None,
            },
        ])
        .expect("replays");
        assert_eq!(
            replayed.open.keys().collect::<Vec<_>>(),
            ["http://h/things/7"]
        );
        assert_eq!(
            replayed.unresolved_posts,
            BTreeMap::from([("http://h/things".to_string(), 2)]),
            "the lost answer (2) and the unadopted 200 (4); the 422 created nothing"
        );
    }

    #[test]
    fn a_ledger_cut_short_by_a_kill_reads_up_to_its_last_whole_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path_of(dir.path(), "abc123");
        let ledger = Ledger::create(&path).expect("created");
        ledger.append(&Entry::Start(start())).expect("written");
        ledger
            .append(&may_create("http://h/things/a"))
            .expect("written");
        drop(ledger);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"event\":\"may_cre");
        std::fs::write(&path, &text).expect("write");
        let replayed = read(&path).expect("replays");
        assert_eq!(replayed.open.len(), 1);

        text.push_str("\n{}\n");
        std::fs::write(&path, &text).expect("write");
        let err = read(&path).expect_err("a broken line inside is an error");
        assert!(err.to_string().contains(":3:"), "{err}");
    }
}
