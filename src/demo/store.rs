//! The in-memory state of the demo API: the records of each resource, one lock per resource,
//! and the clock. Handlers take a lock, change the records synchronously, and release it
//! before answering; no lock is ever held across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::clock::Clock;
use super::idempotency::KeyTable;
use super::notes::Notes;
use super::problem::Problem;
use super::reply::Created;

/// Everything the server remembers.
#[derive(Debug, Default)]
pub(super) struct Store {
    things: Mutex<Things>,
    lamps: Mutex<BTreeMap<String, Lamp>>,
    devices: Mutex<BTreeMap<String, Device>>,
    notes: Mutex<Notes>,
    pub(super) clock: Clock,
}

impl Store {
    pub(super) fn things(&self) -> MutexGuard<'_, Things> {
        lock(&self.things)
    }

    pub(super) fn lamps(&self) -> MutexGuard<'_, BTreeMap<String, Lamp>> {
        lock(&self.lamps)
    }

    pub(super) fn devices(&self) -> MutexGuard<'_, BTreeMap<String, Device>> {
        lock(&self.devices)
    }

    pub(super) fn notes(&self) -> MutexGuard<'_, Notes> {
        lock(&self.notes)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .expect("demo store lock poisoned: a handler panicked while holding it")
}

/// The answer to a `POST /things`, remembered under its Idempotency-Key.
pub(super) type PostAnswer = Result<Created, Problem>;

/// The things table and everything around it.
#[derive(Debug, Default)]
pub(super) struct Things {
    /// The things that exist, by id (sorted, so lists are sorted by id).
    pub(super) live: BTreeMap<String, Thing>,
    /// The client members of deleted things, by id (a soft-delete record).
    pub(super) tombstones: BTreeMap<String, Map<String, Value>>,
    /// The representations last served or written, by id (a read cache in front of `live`).
    pub(super) cache: BTreeMap<String, Value>,
    /// The answers of POSTs that carried an Idempotency-Key.
    pub(super) keys: KeyTable<PostAnswer>,
    /// The number of ids handed out by POST so far.
    pub(super) posted: u64,
    /// Deleted ids whose tombstone a GET loaded into the read cache (`tombstone-revive` only).
    pub(super) cached_tombstones: std::collections::BTreeSet<String>,
    /// Extra rows of ids inserted twice by racing PUTs (`put-race`): listed, never read by id.
    pub(super) duplicates: Vec<(String, Thing)>,
}

/// One thing: the members its client sent, and the server-managed ones.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Thing {
    pub(super) members: Map<String, Value>,
    pub(super) updated_at: String,
    /// Writes so far (shown only by the `put-counter` bug).
    pub(super) revision: u64,
    /// Reads so far (shown only by the `get-counter` bug).
    pub(super) views: u64,
    /// Created by POST (the `post-put-merge` bug merges PUTs on these).
    pub(super) via_post: bool,
    /// PUTs applied, the creating one included (`read-bump`).
    pub(super) writes: u64,
    /// A GET came since the last write (`read-bump`).
    pub(super) read_since_write: bool,
    /// Shown only by the `read-bump` bug.
    pub(super) version: u64,
}

impl Thing {
    pub(super) fn new(members: Map<String, Value>, updated_at: String) -> Thing {
        Thing {
            members,
            updated_at,
            revision: 1,
            views: 0,
            via_post: false,
            writes: 1,
            read_since_write: false,
            version: 1,
        }
    }
}

/// The state of a lamp: the client switches it ON or OFF; only the system marks it BROKEN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LampState {
    On,
    Off,
    Broken,
}

impl LampState {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            LampState::On => "ON",
            LampState::Off => "OFF",
            LampState::Broken => "BROKEN",
        }
    }
}

/// One lamp.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Lamp {
    pub(super) state: LampState,
    pub(super) updated_at: String,
}

/// One device; `times_rebooted` only ever grows by one, and each reboot sets a new `last_boot`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Device {
    pub(super) name: String,
    pub(super) times_rebooted: u64,
    pub(super) last_boot: String,
    pub(super) updated_at: String,
}
