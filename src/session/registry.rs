//! The registry of resources this run created: the only URLs idemfuzz may ever write to, and the
//! list cleanup works from. A resource whose deletion is proven is forgotten (only counted), so
//! the registry holds what may still exist, not everything the run ever created.
//!
//! Resources are registered under their canonical URL ([`WireUrl::key`]), so a URL is
//! recognised however it is spelled on the wire (`%41` for `A`, `%2e` dot segments, `\`).

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::http::wire_url::{WireUrl, stays_below};
use crate::session::guard::prefix_key;

/// What the run knows of one owned resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnedState {
    /// The id was allocated (or returned by a POST); it may or may not exist on the server.
    Allocated,
    /// A write to it succeeded last.
    Live,
    /// A DELETE of it succeeded last.
    Deleted,
}

/// One owned resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owned {
    pub(crate) resource: String,
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) state: OwnedState,
    /// Whether the resource declares DELETE (cleanup is impossible otherwise).
    pub(crate) deletable: bool,
}

/// Thread-safe registry shared by all cases of a run.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    /// By canonical URL ([`key`]).
    by_url: Mutex<BTreeMap<String, Owned>>,
    /// Resources this run very probably created but cannot prove it did (a POST whose answer
    /// it deliberately never read), by canonical URL: never written to or deleted, reported as
    /// left behind. Holds the URL as given and the resource name.
    unproven: Mutex<BTreeMap<String, (String, String)>>,
    /// Resources deleted by the cleanup during the run, after their case (and then forgotten).
    cleaned_after_cases: AtomicU32,
    /// POSTs whose 201 named no resource the run could prove it created: (the POST's URL, why).
    /// Nothing was written or deleted for them; each is reported as left behind.
    unadopted: Mutex<Vec<(String, String)>>,
    /// Every URL the run ever forgot after proving it deleted, as a keyed hash of its canonical
    /// URL: an API that reuses freed ids may hand one out again, and a listing taken before that
    /// POST shows it. A hash, not the URL: a long fuzz run forgets hundreds of thousands, and
    /// the set must not grow the run's memory by their text (the keys are drawn per run, so no
    /// server can aim an id at a collision).
    forgotten: Mutex<std::collections::HashSet<u64>>,
    /// The keys of the hashes in `forgotten`.
    forgotten_hasher: std::hash::RandomState,
}

impl Registry {
    /// True when the run created the resource at `url` and later proved it deleted.
    pub(crate) fn was_forgotten(&self, url: &str) -> bool {
        let hash = self.forgotten_hasher.hash_one(key(url));
        self.forgotten
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&hash)
    }

    /// Records a run-owned id (before anything is sent to it).
    pub(crate) fn allocate(&self, resource: &str, id: &str, url: &str, deletable: bool) {
        self.lock().entry(key(url)).or_insert_with(|| Owned {
            resource: resource.to_string(),
            id: id.to_string(),
            url: url.to_string(),
            state: OwnedState::Allocated,
            deletable,
        });
    }

    /// Updates the state of an owned URL; unknown URLs are ignored.
    pub(crate) fn mark(&self, url: &str, state: OwnedState) {
        if let Some(owned) = self.lock().get_mut(&key(url)) {
            owned.state = state;
        }
    }

    /// True when the URL (without query) belongs to a resource this run created, or lies below
    /// one (e.g. `/lamps/{id}/break`) through segments that are neither dot segments nor
    /// separators in any encoding: the URL's canonical form or one of its segment prefixes is
    /// registered.
    pub(crate) fn owns(&self, url: &WireUrl) -> bool {
        let segments = url.canonical_segments();
        let owned = self.lock();
        (1..=segments.len()).rev().any(|n| {
            owned.contains_key(&prefix_key(url, &segments, n))
                && segments[n..].iter().all(|below| stays_below(below))
        })
    }

    /// The registered resource at `url`, if any.
    pub(crate) fn get(&self, url: &str) -> Option<Owned> {
        self.lock().get(&key(url)).cloned()
    }

    /// Forgets a resource whose deletion is proven (a DELETE answered 2xx, or it is gone):
    /// nothing may write to it any more and cleanup no longer lists it. `cleaned` counts it as
    /// deleted by the cleanup during the run.
    pub(crate) fn forget(&self, url: &str, cleaned: bool) {
        let key = key(url);
        self.lock().remove(&key);
        let hash = self.forgotten_hasher.hash_one(&key);
        self.forgotten
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(hash);
        self.unproven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&key);
        if cleaned {
            self.cleaned_after_cases.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many resources the cleanup during the run deleted.
    pub(crate) fn cleaned_after_cases(&self) -> u32 {
        self.cleaned_after_cases.load(Ordering::Relaxed)
    }

    /// Every owned resource not known to be deleted, in URL order but deeper paths first: a
    /// nested resource's children before their parent.
    pub(crate) fn not_deleted(&self) -> Vec<Owned> {
        let mut owned: Vec<Owned> = self
            .lock()
            .values()
            .filter(|o| o.state != OwnedState::Deleted)
            .cloned()
            .collect();
        owned.sort_by_key(|o| std::cmp::Reverse(depth(&o.url)));
        owned
    }

    /// Records a resource the run cannot prove it created (see [`Registry::unproven`]).
    pub(crate) fn note_unproven(&self, resource: &str, url: &str) {
        self.unproven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key(url), (url.to_string(), resource.to_string()));
    }

    /// The URLs of resources the run cannot prove it created and does not own, in URL order.
    pub(crate) fn unproven(&self) -> Vec<String> {
        let unproven = self
            .unproven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(key, (url, _))| (key.clone(), url.clone()))
            .collect::<Vec<_>>();
        let owned = self.lock();
        unproven
            .into_iter()
            .filter(|(key, _)| !owned.contains_key(key))
            .map(|(_, url)| url)
            .collect()
    }

    /// Records a POST whose 201 could not be adopted (see [`Registry::unadopted`]).
    pub(crate) fn note_unadopted(&self, url: &str, reason: &str) {
        self.unadopted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((url.to_owned(), reason.to_owned()));
    }

    /// The POSTs whose created resource could not be adopted, with why, in the order seen.
    pub(crate) fn unadopted(&self) -> Vec<(String, String)> {
        self.unadopted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Owned>> {
        // A poisoned lock only means another case panicked; the map itself stays consistent.
        self.by_url
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How many path segments a URL has (0 for a text that is not a URL): deleting deeper URLs
/// first deletes a nested resource's children before their parent.
pub(crate) fn depth(url: &str) -> usize {
    WireUrl::parse(url).map_or(0, |u| u.canonical_segments().len())
}

/// The canonical form a URL is registered under; a text that is not a URL stands for itself
/// (it can never match a URL the guard lets through).
fn key(url: &str) -> String {
    WireUrl::parse(url).map_or_else(|_| url.to_owned(), |wire| wire.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owns(registry: &Registry, url: &str) -> bool {
        registry.owns(&WireUrl::parse(url).expect("a URL"))
    }

    #[test]
    fn owns_allocated_urls_and_their_sub_paths_only() {
        let registry = Registry::default();
        registry.allocate("things", "idf-1", "http://h/things/idf-1", true);
        assert!(owns(&registry, "http://h/things/idf-1"));
        assert!(owns(&registry, "http://h/things/idf-1/break"));
        assert!(owns(&registry, "http://h/things/idf-1?x=1"));
        assert!(owns(&registry, "http://h/things/idf-1/"));
        assert!(owns(&registry, "http://H:80/things/%69df-1#x"));
        assert!(!owns(&registry, "http://h/things/idf-10"));
        assert!(!owns(&registry, "http://h/things"));
        assert!(!owns(&registry, "http://h:81/things/idf-1"));
        assert!(!owns(&registry, "https://h/things/idf-1"));
    }

    #[test]
    fn dot_segments_and_separators_below_an_owned_url_in_any_encoding_are_not_owned() {
        let registry = Registry::default();
        registry.allocate("things", "idf-1", "http://h/things/idf-1", true);
        for url in [
            "http://h/things/idf-1/%2e%2e/pre00001",
            "http://h/things/idf-1/%2E%2e/pre00001",
            "http://h/things/idf-1/.%2e/pre00001",
            "http://h/things/idf-1/..\\pre00001",
            "http://h/things/idf-1\\..\\pre00001",
            "http://h/things/idf-1/..%2fpre00001",
            "http://h/things/idf-1/%2e%2e%2fpre00001",
            "http://h/things/idf-1/%252e%252e/pre00001",
            "http://h/things/idf-1/a%2f..%2f..%2fpre00001",
            "http://h/things/idf-1/x%5c..%5c..%5cpre00001",
        ] {
            assert!(!owns(&registry, url), "{url}");
        }
    }

    #[test]
    fn unproven_resources_are_listed_unless_owned() {
        let registry = Registry::default();
        registry.note_unproven("things", "http://h/things/s1");
        registry.note_unproven("things", "http://h/things/s2");
        registry.allocate("things", "s2", "http://h/things/s2", true);
        assert_eq!(registry.unproven(), vec!["http://h/things/s1"]);
        assert!(!owns(&registry, "http://h/things/s1"));
    }

    #[test]
    fn forgotten_resources_are_no_longer_owned_and_are_counted() {
        let registry = Registry::default();
        registry.allocate("things", "a", "http://h/things/a", true);
        registry.allocate("things", "b", "http://h/things/b", true);
        registry.forget("http://h/things/a", true);
        registry.forget("http://h/things/b", false);
        assert!(!owns(&registry, "http://h/things/a"));
        assert!(!owns(&registry, "http://h/things/a/break"));
        assert!(registry.lock().is_empty(), "forgotten entries are dropped");
        assert_eq!(registry.cleaned_after_cases(), 1);
    }

    #[test]
    fn deleted_resources_are_not_cleaned_again() {
        let registry = Registry::default();
        registry.allocate("things", "a", "http://h/things/a", true);
        registry.allocate("things", "b", "http://h/things/b", true);
        registry.mark("http://h/things/a", OwnedState::Deleted);
        let left: Vec<String> = registry.not_deleted().into_iter().map(|o| o.id).collect();
        assert_eq!(left, vec!["b"]);
    }
}
