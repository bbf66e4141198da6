//! Reading the collection as the scenario's `[listing]` says: every page (up to `max_pages`,
//! never off the target's origin), or one filtered listing per id; the case's own items out of
//! it. A listing that cannot be read — declared absent, an error status, not the declared
//! format, or one that shows none of the items the case holds although it never showed one —
//! gives an *unobserved* snapshot with the reason, which the runner reports on the check's row.

use serde_json::Value;

use super::{CaseError, Req, Session};
use crate::http::wire_url::WireUrl;
use crate::model::exchange::Method;
use crate::scenario::{ListingFormat, Pages};
use crate::session::registry::OwnedState;
use crate::snapshot::CollectionSnapshot;
use crate::snapshot::listing::{PageAt, clip, read_page};

/// What a case learned about its resource's listing.
#[derive(Debug, Default)]
pub(super) struct ListingState {
    /// A listing already showed one of the case's items, so an empty one is an observation.
    seen_own: bool,
    /// Why an earlier listing of the case, which showed none of its live items, was not
    /// observed: a later empty one (its items deleted meanwhile) is not observed either.
    blind: Option<String>,
    /// Why listings of this case were not observed, without repeats.
    unobserved: Vec<String>,
}

/// Most reads of a listing of several pages until two in a row agree on the case's items.
const SETTLE_READS: u32 = 4;

/// One listing read (all its pages): where it started and what it held.
struct Read {
    seq: usize,
    status: u16,
    /// Pages read.
    pages: u32,
    /// A page after the first answered an error status (it may have vanished as the listing
    /// shrank while it was read).
    later_page_failed: bool,
    entries: Result<Vec<Value>, String>,
}

impl Read {
    fn unsent(reason: String) -> Read {
        Read {
            seq: 0,
            status: 0,
            pages: 0,
            later_page_failed: false,
            entries: Err(reason),
        }
    }
}

impl Session<'_> {
    /// The collection's items owned by this case, sorted by id, as the listing shows them (or
    /// why it was not observed).
    pub(crate) async fn get_collection(
        &mut self,
        purpose: &str,
    ) -> Result<CollectionSnapshot, CaseError> {
        let snapshot = match self.resource.listing.filter.clone() {
            Some(filter) => self.filtered(purpose, &filter).await?,
            None => self.settled(purpose).await?,
        };
        Ok(self.visible(snapshot))
    }

    /// The case's items in the listing. A listing of several pages can shift under the reader
    /// (page numbers or offsets while other cases create and delete: an item moves to a page
    /// already read and is missed), so it is read again until two reads in a row show the case
    /// the same items (a later page that fails is read again too); when they never do, it is
    /// not observed.
    async fn settled(&mut self, purpose: &str) -> Result<CollectionSnapshot, CaseError> {
        let path = self.resource.listing.path.clone();
        let mut previous: Option<CollectionSnapshot> = None;
        for attempt in 1..=SETTLE_READS {
            let label = match attempt {
                1 => purpose.to_string(),
                _ => format!("{purpose} (read again: its pages may have shifted)"),
            };
            let read = self.read_listing(&label, &path).await?;
            let entries = match read.entries {
                Ok(entries) => entries,
                // A later page that vanished (a page number past a shortened end) may be
                // there on the next read.
                Err(_) if read.later_page_failed && attempt < SETTLE_READS => continue,
                Err(reason) => {
                    return Ok(CollectionSnapshot::unobserved(
                        read.seq,
                        read.status,
                        reason,
                    ));
                }
            };
            let snapshot =
                CollectionSnapshot::observed(read.seq, read.status, self.own_items(&entries));
            match previous {
                _ if read.pages <= 1 => return Ok(snapshot),
                Some(earlier) if earlier.items == snapshot.items => return Ok(earlier),
                _ => previous = Some(snapshot),
            }
        }
        let (seq, status) = previous.map_or((0, 0), |p| (p.seq, p.status));
        Ok(CollectionSnapshot::unobserved(
            seq,
            status,
            format!(
                "the listing's pages shifted while they were read: {SETTLE_READS} reads in a row showed the case's items differently"
            ),
        ))
    }

    /// Every entry of the collection (read-only; every page, not only the case's items), or
    /// `None` when it was not observed.
    pub(crate) async fn list_collection(
        &mut self,
        purpose: &str,
    ) -> Result<Option<Vec<Value>>, CaseError> {
        let path = self.resource.listing.path.clone();
        let read = self.read_listing(purpose, &path).await?;
        let snapshot = match read.entries {
            Ok(entries) => {
                let own = self.own_items(&entries);
                let snapshot =
                    self.visible(CollectionSnapshot::observed(read.seq, read.status, own));
                return Ok(snapshot.items.map(|_| entries));
            }
            Err(reason) => CollectionSnapshot::unobserved(read.seq, read.status, reason),
        };
        Ok(self.visible(snapshot).items)
    }

    /// Every entry the listing shows (every page), or `None` when it could not be read; unlike
    /// [`Session::list_collection`], whether it shows this case's items does not matter.
    pub(super) async fn list_entries(
        &mut self,
        purpose: &str,
    ) -> Result<Option<Vec<Value>>, CaseError> {
        Ok(self.list_every_entry(purpose).await?.ok())
    }

    /// Every entry the listing shows (every page), whatever it shows of this case's items, or
    /// why it could not be read (the fit probe's look at the listing; the listings around a
    /// POST read it through `list_entries`).
    pub(crate) async fn list_every_entry(
        &mut self,
        purpose: &str,
    ) -> Result<Result<Vec<Value>, String>, CaseError> {
        let path = self.resource.listing.path.clone();
        Ok(self.read_listing(purpose, &path).await?.entries)
    }

    /// Records that what a listing shows cannot be counted on for this case (`reason`): noted
    /// on the check's row like a listing that showed none of the case's items.
    pub(crate) fn note_unobserved(&mut self, reason: String) {
        if !self.listing.unobserved.contains(&reason) {
            self.listing.unobserved.push(reason);
        }
    }

    /// Why this case's listings were not observed, once each; empties the list.
    pub(crate) fn take_unobserved(&mut self) -> Vec<String> {
        std::mem::take(&mut self.listing.unobserved)
    }

    /// One filtered listing per id the case owns, each keeping that id's entries.
    async fn filtered(
        &mut self,
        purpose: &str,
        filter: &str,
    ) -> Result<CollectionSnapshot, CaseError> {
        let mut items: Vec<(String, Value)> = Vec::new();
        let mut first: Option<(usize, u16)> = None;
        for id in self.owned_ids.clone() {
            let query = filter.replace(
                "{id}",
                &percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
            let path = &self.resource.listing.path;
            let separator = if path.contains('?') { '&' } else { '?' };
            let path = format!("{path}{separator}{query}");
            let read = self
                .read_listing(&format!("{purpose} ({id})"), &path)
                .await?;
            let (seq, status) = *first.get_or_insert((read.seq, read.status));
            let entries = match read.entries {
                Ok(entries) => entries,
                Err(reason) => return Ok(CollectionSnapshot::unobserved(seq, status, reason)),
            };
            let id_field = &self.resource.id_field;
            items.extend(
                entries
                    .into_iter()
                    .filter(|entry| id_field.read(entry).as_deref() == Some(id.as_str()))
                    .map(|entry| (id.clone(), entry)),
            );
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let (seq, status) = first.unwrap_or((0, 0));
        Ok(CollectionSnapshot::observed(
            seq,
            status,
            items.into_iter().map(|(_, item)| item).collect(),
        ))
    }

    /// Reads a listing from `path`, page after page.
    async fn read_listing(&mut self, purpose: &str, path: &str) -> Result<Read, CaseError> {
        let listing = &self.resource.listing;
        if listing.is_none() {
            return Ok(Read::unsent(
                "the scenario declares that the collection has no listing (`[listing] format = \"none\"`)".into(),
            ));
        }
        let (max_pages, page_numbers) = (
            listing.max_pages,
            matches!(listing.pages, Some(Pages::Page { .. })),
        );
        let first = self.target.url(path);
        let mut url = first.clone();
        let mut visited = vec![first.clone()];
        let mut read = Read::unsent(String::new());
        let mut entries = Vec::new();
        for number in 1..=max_pages {
            let label = match number {
                1 => purpose.to_string(),
                n => format!("{purpose} (page {n})"),
            };
            let target = if number == 1 {
                path.to_string()
            } else {
                url.clone()
            };
            let req = self.listing_request(target);
            let index = self.send(label, req).await?;
            let response = &self.exchanges[index].response;
            read.pages = number;
            if number == 1 {
                (read.seq, read.status) = (self.exchanges[index].seq, response.status);
            } else if page_numbers && response.status == 404 {
                // Past the last page of a page-numbered listing (Django's "Invalid page.").
                read.entries = Ok(entries);
                return Ok(read);
            }
            let at = PageAt {
                url: &url,
                first: &first,
                number,
            };
            let page = match read_page(&self.resource.listing, at, response) {
                Ok(page) => page,
                Err(reason) => {
                    read.later_page_failed = number > 1 && !response.is_success();
                    read.entries = Err(reason.to_string());
                    return Ok(read);
                }
            };
            entries.extend(page.entries);
            let Some(next) = page.next else {
                read.entries = Ok(entries);
                return Ok(read);
            };
            if let Some(reason) = self.refuse_next(&next, &visited) {
                read.entries = Err(reason);
                return Ok(read);
            }
            visited.push(next.clone());
            url = next;
        }
        read.entries = Err(format!(
            "the listing has more than {max_pages} pages (`[listing] max_pages`); the case's items may be on a later one"
        ));
        Ok(read)
    }

    /// The request that reads one page: GET, or PROPFIND with `Depth: 1` for WebDAV.
    fn listing_request(&self, target: String) -> Req {
        match self.resource.listing.format {
            ListingFormat::Propfind => Req::new(Method::Propfind, target).header("Depth", "1"),
            _ => Req::new(Method::Get, target),
        }
    }

    /// Why a next-page URL is not followed: another origin (credentials stay home), or a page
    /// already read (a loop).
    fn refuse_next(&self, next: &str, visited: &[String]) -> Option<String> {
        let home = WireUrl::parse(next).is_ok_and(|url| self.on_target_origin(&url));
        if !home {
            return Some(format!(
                "the listing's next page {} is not on the target's origin; idemfuzz reads listings only there",
                clip(next)
            ));
        }
        visited.iter().any(|seen| seen == next).then(|| {
            format!(
                "the listing's next page {} repeats an earlier page",
                clip(next)
            )
        })
    }

    /// The entries owned by this case, sorted by id.
    fn own_items(&self, all: &[Value]) -> Vec<Value> {
        let tag = format!("{}-", self.case_tag);
        let mut mine: Vec<(String, Value)> = all
            .iter()
            .filter_map(|item| {
                let id = self.resource.id_field.read(item)?;
                let owned = id.starts_with(&tag) || self.owned_ids.contains(&id);
                owned.then(|| (id, item.clone()))
            })
            .collect();
        mine.sort_by(|a, b| a.0.cmp(&b.0));
        mine.into_iter().map(|(_, item)| item).collect()
    }

    /// An observed snapshot that shows none of the case's live items, before any listing of
    /// the case showed one, observed nothing: the listing does not show the case's items (a
    /// first page of many, another id format). Records why a snapshot was not observed.
    fn visible(&mut self, snapshot: CollectionSnapshot) -> CollectionSnapshot {
        let snapshot = match &snapshot.items {
            Some(items) if !items.is_empty() => {
                self.listing.seen_own = true;
                snapshot
            }
            Some(_) if !self.listing.seen_own => match self.live_ids().as_slice() {
                [] => match &self.listing.blind {
                    Some(reason) => {
                        CollectionSnapshot::unobserved(snapshot.seq, snapshot.status, reason)
                    }
                    None => snapshot,
                },
                live => {
                    let reason = format!(
                        "the listing shows none of the {} item(s) this case holds ({}); do `[listing] items`, `id` and `id_pattern` read its entries, and does it need `next` or `filter`?",
                        live.len(),
                        clip(&live.join(", "))
                    );
                    self.listing.blind = Some(reason.clone());
                    CollectionSnapshot::unobserved(snapshot.seq, snapshot.status, reason)
                }
            },
            _ => snapshot,
        };
        // A listing the scenario declares absent is noted once per check, not per case.
        if let Some(reason) = &snapshot.unobserved
            && !self.resource.unlistable()
            && !self.listing.unobserved.contains(reason)
        {
            self.listing.unobserved.push(reason.clone());
        }
        snapshot
    }

    /// The ids this case owns that a write created and no DELETE removed.
    fn live_ids(&self) -> Vec<String> {
        self.owned_ids
            .iter()
            .filter(|id| {
                self.ctx
                    .registry
                    .get(&self.item_url(id))
                    .is_some_and(|owned| owned.state == OwnedState::Live)
            })
            .cloned()
            .collect()
    }
}
