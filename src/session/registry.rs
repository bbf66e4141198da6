//! The registry of resources this run created: the only URLs idemfuzz may ever write to, and the
//! list cleanup works from. A resource whose deletion is proven is forgotten (only counted), so
//! the registry holds what may still exist, not everything the run ever created.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// What the run knows of one owned resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedState {
    /// The id was allocated (or returned by a POST); it may or may not exist on the server.
    Allocated,
    /// A write to it succeeded last.
    Live,
    /// A DELETE of it succeeded last.
    Deleted,
}

/// One owned resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub resource: String,
    pub id: String,
    pub url: String,
    pub state: OwnedState,
    /// Whether the resource declares DELETE (cleanup is impossible otherwise).
    pub deletable: bool,
}

/// Thread-safe registry shared by all cases of a run.
#[derive(Debug, Default)]
pub struct Registry {
    by_url: Mutex<BTreeMap<String, Owned>>,
    /// Resources this run very probably created but cannot prove it did (a POST whose answer
    /// it deliberately never read), by URL: never written to or deleted, reported as left behind.
    unproven: Mutex<BTreeMap<String, String>>,
    /// Resources deleted by the cleanup during the run, after their case (and then forgotten).
    cleaned_after_cases: AtomicU32,
}

impl Registry {
    /// Records a run-owned id (before anything is sent to it).
    pub fn allocate(&self, resource: &str, id: &str, url: &str, deletable: bool) {
        self.lock().entry(url.to_string()).or_insert_with(|| Owned {
            resource: resource.to_string(),
            id: id.to_string(),
            url: url.to_string(),
            state: OwnedState::Allocated,
            deletable,
        });
    }

    /// Updates the state of an owned URL; unknown URLs are ignored.
    pub fn mark(&self, url: &str, state: OwnedState) {
        if let Some(owned) = self.lock().get_mut(url) {
            owned.state = state;
        }
    }

    /// True when the URL belongs to a resource this run created (as registered, a fixed query
    /// of the item path included, or without its query), or lies below one (e.g.
    /// `/lamps/{id}/break`): the URL itself or one of its `/`-bounded prefixes is registered.
    pub fn owns(&self, full: &str) -> bool {
        let url = full.split('?').next().unwrap_or(full);
        let owned = self.lock();
        owned.contains_key(full)
            || owned.contains_key(url)
            || url
                .match_indices('/')
                .any(|(at, _)| owned.contains_key(&url[..at]))
    }

    /// The registered resource at `url`, if any.
    pub fn get(&self, url: &str) -> Option<Owned> {
        self.lock().get(url).cloned()
    }

    /// Forgets a resource whose deletion is proven (a DELETE answered 2xx, or it is gone):
    /// nothing may write to it any more and cleanup no longer lists it. `cleaned` counts it as
    /// deleted by the cleanup during the run.
    pub fn forget(&self, url: &str, cleaned: bool) {
        self.lock().remove(url);
        self.unproven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(url);
        if cleaned {
            self.cleaned_after_cases.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many resources the cleanup during the run deleted.
    pub fn cleaned_after_cases(&self) -> u32 {
        self.cleaned_after_cases.load(Ordering::Relaxed)
    }

    /// Every owned resource not known to be deleted, in URL order.
    pub fn not_deleted(&self) -> Vec<Owned> {
        self.lock()
            .values()
            .filter(|o| o.state != OwnedState::Deleted)
            .cloned()
            .collect()
    }

    /// Records a resource the run cannot prove it created (see [`Registry::unproven`]).
    pub fn note_unproven(&self, resource: &str, url: &str) {
        self.unproven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(url.to_string(), resource.to_string());
    }

    /// The URLs of resources the run cannot prove it created and does not own, in URL order.
    pub fn unproven(&self) -> Vec<String> {
        let unproven = self
            .unproven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .keys()
            .cloned()
            .collect::<Vec<_>>();
        let owned = self.lock();
        unproven
            .into_iter()
            .filter(|url| !owned.contains_key(url))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Owned>> {
        // A poisoned lock only means another case panicked; the map itself stays consistent.
        self.by_url
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owns_allocated_urls_and_their_sub_paths_only() {
        let registry = Registry::default();
        registry.allocate("things", "idf-1", "http://h/things/idf-1", true);
        assert!(registry.owns("http://h/things/idf-1"));
        assert!(registry.owns("http://h/things/idf-1/break"));
        assert!(registry.owns("http://h/things/idf-1?x=1"));
        assert!(!registry.owns("http://h/things/idf-10"));
        assert!(!registry.owns("http://h/things"));
    }

    #[test]
    fn unproven_resources_are_listed_unless_owned() {
        let registry = Registry::default();
        registry.note_unproven("things", "http://h/things/s1");
        registry.note_unproven("things", "http://h/things/s2");
        registry.allocate("things", "s2", "http://h/things/s2", true);
        assert_eq!(registry.unproven(), vec!["http://h/things/s1"]);
        assert!(!registry.owns("http://h/things/s1"));
    }

    #[test]
    fn forgotten_resources_are_no_longer_owned_and_are_counted() {
        let registry = Registry::default();
        registry.allocate("things", "a", "http://h/things/a", true);
        registry.allocate("things", "b", "http://h/things/b", true);
        registry.forget("http://h/things/a", true);
        registry.forget("http://h/things/b", false);
        assert!(!registry.owns("http://h/things/a"));
        assert!(!registry.owns("http://h/things/a/break"));
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
