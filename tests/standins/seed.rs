//! Pre-existing resources: what a stand-in holds before a run, which the run must never touch.

use serde_json::{Map, Value, json};

use super::server::Behaviour;
use super::store::{Entry, Store};

/// The client members of the `n`-th pre-existing JSON resource: `{"name": "pre-existing N",
/// "size": N}`.
pub(super) fn members(n: usize) -> Map<String, Value> {
    let mut members = Map::new();
    members.insert("name".into(), json!(format!("pre-existing {n}")));
    members.insert("size".into(), json!(n));
    members
}

/// The text of the `n`-th pre-existing opaque resource (files, objects, keys).
pub(super) fn text(n: usize) -> String {
    format!("pre-existing {n}\n")
}

/// Resources to create in one collection before the server starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seed {
    pub collection: String,
    ids: SeedIds,
}

#[derive(Debug, Clone, PartialEq)]
enum SeedIds {
    /// The behaviour's own ids for 1..=n (`pre00001`…, or `1`… for numeric ids).
    Numbered(usize),
    Listed(Vec<String>),
}

impl Seed {
    /// `count` resources with the system's seed ids: `pre00001`, `pre00002`, … (numeric-id
    /// systems: `1`, `2`, …, and their next POST gets `count + 1`).
    pub(crate) fn numbered(collection: &str, count: usize) -> Seed {
        Seed {
            collection: collection.to_string(),
            ids: SeedIds::Numbered(count),
        }
    }

    /// Resources with exactly these ids (e.g. the canaries of a prefix-delete test).
    pub(crate) fn ids<I, S>(collection: &str, ids: I) -> Seed
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Seed {
            collection: collection.to_string(),
            ids: SeedIds::Listed(ids.into_iter().map(Into::into).collect()),
        }
    }

    /// Stores the resources; what was stored, for later comparison.
    pub(super) fn apply(&self, behaviour: &dyn Behaviour, store: &mut Store) -> Vec<Seeded> {
        let ids: Vec<String> = match &self.ids {
            SeedIds::Numbered(count) => (1..=*count).map(|n| behaviour.seed_id(n)).collect(),
            SeedIds::Listed(ids) => ids.clone(),
        };
        for (i, id) in ids.iter().enumerate() {
            behaviour.seed(store, &self.collection, id, i + 1);
        }
        ids.into_iter()
            .map(|id| Seeded {
                entry: store
                    .raw(&self.collection, &id)
                    .cloned()
                    .unwrap_or_else(|| panic!("seeding {}/{id} stored nothing", self.collection)),
                collection: self.collection.clone(),
                id,
            })
            .collect()
    }
}

/// One pre-existing resource as it was seeded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seeded {
    pub collection: String,
    pub id: String,
    pub entry: Entry,
}
