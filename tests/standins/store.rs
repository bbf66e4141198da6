//! The in-memory store every stand-in keeps its resources in: named collections of entries
//! (a JSON document or bytes with a media type, plus the times and counts a real server keeps),
//! the id policies servers assign ids by, and a strictly increasing write clock.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::Value;

/// What a resource holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// A JSON document (most APIs).
    Json(Value),
    /// Opaque bytes with the media type they are served with (WebDAV files, S3 objects, etcd
    /// values as text).
    Bytes {
        content_type: String,
        bytes: Vec<u8>,
    },
}

impl Body {
    /// The JSON document, when the body is one.
    pub(crate) fn json(&self) -> Option<&Value> {
        match self {
            Body::Json(value) => Some(value),
            Body::Bytes { .. } => None,
        }
    }

    /// The bytes, when the body is opaque.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match self {
            Body::Json(_) => None,
            Body::Bytes { bytes, .. } => Some(bytes),
        }
    }
}

/// One stored resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub body: Body,
    /// Creation order across the whole store (listings in insertion order sort by it).
    pub seq: u64,
    /// When it was created (kept across replacements).
    pub created: SystemTime,
    /// When it was last written.
    pub modified: SystemTime,
    /// How many writes it has seen (1 after creation).
    pub writes: u64,
    /// A deleted document kept as a tombstone (CouchDB); never listed nor read.
    pub tombstone: bool,
    /// System-specific bookkeeping (etcd's indexes, ...); `Value::Null` when unused.
    pub meta: Value,
}

/// A named collection: entries by id, and the counter of the numeric id policies.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Collection {
    pub entries: BTreeMap<String, Entry>,
    /// The last number a never-reusing numeric policy handed out.
    pub last_number: u64,
    /// System-specific bookkeeping (etcd's directory indexes); `Value::Null` when unused.
    pub meta: Value,
}

impl Collection {
    /// The live (non-tombstone) entries, ids in numeric-aware order (`2` before `10`).
    pub(crate) fn live(&self) -> Vec<(&String, &Entry)> {
        let mut live: Vec<_> = self.entries.iter().filter(|(_, e)| !e.tombstone).collect();
        live.sort_by(|(a, _), (b, _)| id_order(a).cmp(&id_order(b)));
        live
    }

    /// The live entries in creation order.
    pub(crate) fn live_by_creation(&self) -> Vec<(&String, &Entry)> {
        let mut live: Vec<_> = self.entries.iter().filter(|(_, e)| !e.tombstone).collect();
        live.sort_by_key(|(_, e)| e.seq);
        live
    }
}

/// Numeric ids sort by value, the others after them by text.
fn id_order(id: &str) -> (bool, usize, &str) {
    let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    (!numeric, if numeric { id.len() } else { 0 }, id)
}

/// How a server picks the id of a resource created by POST.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IdPolicy {
    /// `PREFIX1`, `PREFIX2`, … never reused.
    Counter(String),
    /// `1`, `2`, … never reused (a database sequence: DRF, FastAPI apps).
    Sequence,
    /// The largest numeric id plus one: deleting the last item hands its id to the next POST
    /// (json-server 0.17, SQLite rowids without AUTOINCREMENT).
    MaxPlusOne,
    /// 32 lower-case hex digits (CouchDB's uuids).
    Hex32,
    /// 24 lower-case hex digits (MongoDB ObjectIds, as Eve uses).
    ObjectId,
    /// These ids, in order, then `n1`, `n2`, …: hostile ids stored under exactly this text.
    Scripted(Vec<String>),
}

/// Whether the result of a write created the resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Written {
    pub created: bool,
    /// The entry before the write (`None` when created, a tombstone counts as none).
    pub previous: Option<Entry>,
}

/// Every collection of a server, plus its counters. Cloning it is how tests snapshot state.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Store {
    pub collections: BTreeMap<String, Collection>,
    /// Global creation counter (for [`Entry::seq`]) and write index (etcd's `X-Etcd-Index`).
    pub index: u64,
    /// How many ids [`IdPolicy::Scripted`] and the random policies handed out so far.
    pub minted: u64,
    last_time: Option<SystemTime>,
}

impl Store {
    /// The live entry at `collection`/`id`.
    pub(crate) fn get(&self, collection: &str, id: &str) -> Option<&Entry> {
        self.raw(collection, id).filter(|e| !e.tombstone)
    }

    /// The entry at `collection`/`id`, tombstones included.
    pub(crate) fn raw(&self, collection: &str, id: &str) -> Option<&Entry> {
        self.collections.get(collection)?.entries.get(id)
    }

    /// Mutable access to a live entry.
    pub(crate) fn get_mut(&mut self, collection: &str, id: &str) -> Option<&mut Entry> {
        self.collections
            .get_mut(collection)?
            .entries
            .get_mut(id)
            .filter(|e| !e.tombstone)
    }

    /// The collection, created empty when missing.
    pub(crate) fn collection(&mut self, collection: &str) -> &mut Collection {
        self.collections.entry(collection.to_string()).or_default()
    }

    /// Whether the collection exists (was written to, seeded or created).
    pub(crate) fn has_collection(&self, collection: &str) -> bool {
        self.collections.contains_key(collection)
    }

    /// The live entries of a collection in numeric-aware id order (empty when missing).
    pub(crate) fn list(&self, collection: &str) -> Vec<(&String, &Entry)> {
        self.collections
            .get(collection)
            .map(Collection::live)
            .unwrap_or_default()
    }

    /// The live entries of a collection in creation order.
    pub(crate) fn list_by_creation(&self, collection: &str) -> Vec<(&String, &Entry)> {
        self.collections
            .get(collection)
            .map(Collection::live_by_creation)
            .unwrap_or_default()
    }

    /// Creates or replaces `collection`/`id` with `body`: creation time and order are kept on a
    /// replacement, the write count and modification time move on.
    pub(crate) fn put(&mut self, collection: &str, id: &str, body: Body) -> Written {
        let now = self.now();
        self.put_at(collection, id, body, now)
    }

    /// [`Store::put`] with a write time taken earlier from [`Store::now`] (so that a timestamp
    /// in the body and the entry's modification time agree).
    pub(crate) fn put_at(
        &mut self,
        collection: &str,
        id: &str,
        body: Body,
        now: SystemTime,
    ) -> Written {
        self.index += 1;
        let index = self.index;
        let entries = &mut self.collection(collection).entries;
        let previous = entries.get(id).filter(|e| !e.tombstone).cloned();
        let entry = match &previous {
            Some(old) => Entry {
                body,
                modified: now,
                writes: old.writes + 1,
                ..old.clone()
            },
            None => Entry {
                body,
                seq: index,
                created: now,
                modified: now,
                writes: 1,
                tombstone: false,
                meta: entries
                    .get(id)
                    .map(|e| e.meta.clone())
                    .unwrap_or(Value::Null),
            },
        };
        entries.insert(id.to_string(), entry);
        Written {
            created: previous.is_none(),
            previous,
        }
    }

    /// Removes `collection`/`id`; the removed live entry, if any.
    pub(crate) fn remove(&mut self, collection: &str, id: &str) -> Option<Entry> {
        self.index += 1;
        let removed = self.collections.get_mut(collection)?.entries.remove(id)?;
        (!removed.tombstone).then_some(removed)
    }

    /// The id the next POST to `collection` gets under `policy`.
    pub(crate) fn mint(&mut self, collection: &str, policy: &IdPolicy) -> String {
        self.minted += 1;
        let minted = self.minted;
        let coll = self.collection(collection);
        match policy {
            IdPolicy::Counter(prefix) => {
                coll.last_number += 1;
                format!("{prefix}{}", coll.last_number)
            }
            IdPolicy::Sequence => {
                let highest = max_number(coll);
                coll.last_number = coll.last_number.max(highest) + 1;
                coll.last_number.to_string()
            }
            IdPolicy::MaxPlusOne => (max_number(coll) + 1).to_string(),
            IdPolicy::Hex32 => pseudo_hex(minted, 32),
            IdPolicy::ObjectId => object_id(minted),
            IdPolicy::Scripted(ids) => match ids.get(usize::try_from(minted - 1).unwrap_or(0)) {
                Some(id) => id.clone(),
                None => {
                    coll.last_number += 1;
                    format!("n{}", coll.last_number)
                }
            },
        }
    }

    /// A write time strictly later than every earlier one (by at least a millisecond), so a
    /// timestamp member moves forward on every write even within one millisecond.
    pub(crate) fn now(&mut self) -> SystemTime {
        let now = SystemTime::now();
        let next = match self.last_time {
            Some(last) if now <= last => last + Duration::from_millis(1),
            _ => now,
        };
        self.last_time = Some(next);
        next
    }
}

/// The largest numeric id of a collection (0 when none), tombstones included.
fn max_number(collection: &Collection) -> u64 {
    collection
        .entries
        .keys()
        .filter_map(|id| id.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
}

/// `len` hex digits that differ for every `n` and look random (a splitmix64 stream).
pub(super) fn pseudo_hex(n: u64, len: usize) -> String {
    let mut out = String::new();
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ process_salt();
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.push_str(&format!("{:016x}", z ^ (z >> 31)));
    }
    out.truncate(len);
    out
}

/// A MongoDB-style ObjectId: 4 bytes of seconds since the epoch, then 8 bytes unique per id.
fn object_id(n: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{:08x}{}", secs & 0xffff_ffff, pseudo_hex(n, 16))
}

/// Differs between test processes, so ids of two runs do not collide by construction.
fn process_salt() -> u64 {
    u64::from(std::process::id()).wrapping_mul(0xD6E8_FEB8_6659_FD93)
}
