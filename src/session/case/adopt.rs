//! Adopting what a POST created. A server-assigned id becomes the run's — something idemfuzz
//! may write to and delete — only when all of these hold:
//!
//! * the answer is `201 Created` — or `200 OK` naming an id the collection did not list just
//!   before the POST (after a POST there answered 200, the session lists the collection before
//!   each POST: [`LISTED_BEFORE_PURPOSE`]), besides all a 201 needs below; any other 2xx may
//!   name a resource that existed before. `status-conformance` judges the missing 201;
//! * the id (the last segment of `Location`, or the value at the `post_id` pointer) is a
//!   single path segment in every encoding ([`wire_url::check_segment_value`]);
//! * with `post_id = "location"`, the `Location` is on the target's origin and *is* the item
//!   URL of that id;
//! * a GET of the item shows the members this POST sent (after an empty POST, none of the
//!   body template's members: a fresh, empty resource);
//! * and what the POST sent could not have been there before: its generated values carry at
//!   least [`MIN_PROOF_BITS`] bits of chance ([`drawn_bits`]), or — for an empty POST, or one
//!   whose body is mostly literal — a listing of the collection taken right before the POST
//!   shows the id did not exist and one right after it shows the id, in a listing that grew
//!   or lost an item (a page of fixed size proves nothing). A resource that was listed before
//!   is some other resource.
//!
//! A 201 that names some other resource is a finding (RFC 9110 §15.3.2); a `Location` on
//! another origin is reported and never requested. A 201 whose resource, read back, shows none
//! of the members the POST sent (not even with other values) proves nothing either way: the API
//! ignores or rewrites the body, and the case is inconclusive. What such a POST created cannot
//! be found, so it is listed as left behind and nothing is deleted for it.

use serde_json::Value;

use super::{CaseError, Req, Session, id_text};
use crate::http::wire_url::{self, WireUrl};
use crate::model::exchange::{Body, Exchange, Method};
use crate::scenario::PostId;
use crate::scenario::drawn::drawn_bits;
use crate::session::notice::Notice;
use crate::session::registry::OwnedState;
use crate::shorten::shorten;
use crate::snapshot::holds::holds;

/// The purpose of the GET that reads a POST-created resource back before it is adopted. The
/// session sends it, not the check: check outlines do not list it.
pub(crate) const READ_BACK_PURPOSE: &str =
    "GET the created resource: does it hold what the POST sent?";

/// The purpose of the GET of the collection right before a POST whose body cannot prove what it
/// created (an empty or mostly literal one): the ids that exist already. Sent by the session,
/// not the check: check outlines do not list it.
pub(crate) const LISTED_BEFORE_PURPOSE: &str =
    "GET the collection before the POST: which ids exist already?";

/// The purpose of the GET of the collection right after such a POST: does the listing show
/// the id as new? Sent by the session, not the check: check outlines do not list it.
pub(crate) const LISTED_AFTER_PURPOSE: &str =
    "GET the collection after the POST: is the id it named new?";

/// What the listings around a POST show of the id its 201 named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// The collection listed it before the POST: some other resource.
    ListedBefore,
    /// Not listed before, listed after, by a listing that is whole.
    New,
    /// No listing, or none that shows it new.
    Unknown,
}

/// Bits of chance a POST's generated values must carry for its read-back to prove that the
/// resource holding them is the one it created: a pre-existing resource holds them by chance
/// with a probability of at most 2^-24 (one in 16 million).
pub(crate) const MIN_PROOF_BITS: f64 = 24.0;

/// The ids a listing of the collection showed right before a POST.
#[derive(Debug, Clone)]
pub(super) struct Listed {
    /// The index of the listing's exchange; the POST it vouches for is the next one.
    exchange: usize,
    /// `None` when the answer held no readable list.
    ids: Option<Vec<String>>,
}

/// Why a read-back does not prove the resource is the run's.
enum ReadBack {
    /// The item answered, and does not hold what the POST sent: it is some other resource.
    SomeoneElses(String),
    /// The item could not be read back (not 2xx), or an empty POST's item is not empty (it
    /// cannot be told from an existing resource; `post-put-creation` judges it).
    Unproven(String),
    /// The item answered, but shows none of the members the POST sent, not even with other
    /// values: the API ignores (or rewrites) the body, so nothing proves whose it is, and
    /// nothing about it can be judged.
    BodyIgnored(String),
}

/// A POST whose 201 could not be adopted: its exchange, the read-back GET if one was sent, and
/// why.
#[derive(Debug, Clone)]
pub(super) struct Unadopted {
    pub(super) post: usize,
    pub(super) read_back: Option<usize>,
    pub(super) reason: String,
    /// The read-back showed none of the members sent: the API ignores the body.
    pub(super) body_ignored: bool,
}

impl Session<'_> {
    /// The id a POST answer (at `index`) created, adopted as run-owned when it provably is the
    /// run's (see the module documentation); `None` otherwise, with the reason kept for
    /// [`Session::create`]'s setup error.
    pub(crate) async fn adopt_created(
        &mut self,
        index: usize,
    ) -> Result<Option<String>, CaseError> {
        if let Some((_, adopted)) = self.adoptions.iter().find(|(post, _)| *post == index) {
            return Ok(adopted.clone());
        }
        let adopted = self.judge_created(index).await?;
        self.adoptions.push((index, adopted.clone()));
        Ok(adopted)
    }

    /// [`Session::adopt_created`]'s judgement, made once per POST.
    async fn judge_created(&mut self, index: usize) -> Result<Option<String>, CaseError> {
        let Some(source) = self.resource.post_id.clone() else {
            return Ok(None);
        };
        let status = self.exchanges[index].response.status;
        if status == 200 {
            self.ctx.note_post_answering_200(&self.resource.collection);
        }
        if !matches!(status, 200 | 201) {
            return Ok(None);
        }
        let id = match self.claim(index, &source) {
            Ok(id) => id,
            Err(why) => {
                self.not_adopted(index, None, &why);
                return Ok(None);
            }
        };
        let url = self.item_url(&id);
        let registered = self.ctx.registry.get(&url).is_some();
        if self.owned_ids.contains(&id) && registered && !self.lifetime.is_released(&url) {
            // A replayed 201 (an Idempotency-Key retry) naming what the case already proved, or
            // an id the API reused for this case's own POST after the case deleted it (its fence
            // kept other cases off the collection meanwhile): either way the resource exists.
            self.note_server_id(&id);
            self.ctx.registry.mark(&url, OwnedState::Live);
            return Ok(Some(id));
        }
        self.lifetime.forget_release(&url);
        let listed = self
            .listed
            .take()
            .filter(|listed| listed.exchange + 1 == index);
        if status == 200
            && let Some(why) = not_listed_new(listed.as_ref(), &id)
        {
            self.not_adopted(index, None, &why);
            return Ok(None);
        }
        let freshness = self
            .freshness(&id, listed.and_then(|listed| listed.ids))
            .await?;
        let read = self
            .send(
                READ_BACK_PURPOSE,
                Req::new(Method::Get, self.resource.item_path(&id)),
            )
            .await?;
        match self.read_back(index, read, freshness) {
            Ok(()) => {
                self.adopt(&id);
                self.note_server_id(&id);
                let url = self.item_url(&id);
                self.ctx.registry.mark(&url, OwnedState::Live);
                Ok(Some(id))
            }
            Err(ReadBack::SomeoneElses(why)) if status == 201 => {
                let observed = format!("{}; {why}", answered(&self.exchanges[index]));
                self.notice(match source {
                    PostId::Location => Notice::location_not_created(observed),
                    PostId::Pointer(_) => Notice::post_id_not_created(observed),
                });
                self.not_adopted(index, Some(read), &why);
                Ok(None)
            }
            Err(ReadBack::SomeoneElses(why) | ReadBack::Unproven(why)) => {
                self.not_adopted(index, Some(read), &why);
                Ok(None)
            }
            Err(ReadBack::BodyIgnored(why)) => {
                self.not_adopted(index, Some(read), &why);
                if let Some(unadopted) = &mut self.unadopted {
                    unadopted.body_ignored = true;
                }
                Ok(None)
            }
        }
    }

    /// The GET that read back what the POST at `post` named, when that POST's 201 could not be
    /// adopted after the read.
    pub(crate) fn unadopted_read_back(&self, post: usize) -> Option<&Exchange> {
        self.unadopted
            .as_ref()
            .filter(|unadopted| unadopted.post == post)
            .and_then(|unadopted| unadopted.read_back)
            .map(|read| &self.exchanges[read])
    }

    /// The id a 201 names, or why it names none the run could use. Reports a `Location` on
    /// another origin and one that names another resource than the id.
    fn claim(&mut self, index: usize, source: &PostId) -> Result<String, String> {
        let exchange = &self.exchanges[index];
        let exchange_status = exchange.response.status;
        let post = answered(exchange);
        let location = exchange.response.header("location").map(str::to_owned);
        let body_id = match source {
            PostId::Pointer(pointer) => exchange
                .response
                .body
                .json()
                .and_then(|body| pointer.get(body))
                .and_then(id_text),
            PostId::Location => None,
        };
        let located = match &location {
            None => None,
            Some(text) => match self.resolve(index, text) {
                Ok(url) if self.on_target_origin(&url) => Some(url),
                Ok(_) => {
                    let observed = format!("{post}, Location: {}", shorten(text));
                    self.notice(Notice::location_other_origin(observed));
                    None
                }
                Err(_) => None,
            },
        };
        let id = match (source, &located) {
            (PostId::Location, Some(url)) => last_segment(url)
                .ok_or_else(|| format!("its Location `{}` names no item", shorten(url.as_str())))?,
            (PostId::Location, None) => {
                return Err(match &location {
                    None => "it sent no Location".to_owned(),
                    Some(text) => format!(
                        "its Location `{}` is not a URL on the target's origin",
                        shorten(text)
                    ),
                });
            }
            (PostId::Pointer(pointer), _) => body_id
                .ok_or_else(|| format!("no id could be read from it (post_id = \"{pointer}\")"))?,
        };
        wire_url::check_segment_value(&id)
            .map_err(|err| format!("the id it gave cannot be used: {err}"))?;
        if let Some(url) = &located
            && !self.names_item(url, &id)
        {
            let observed = format!(
                "{post}, Location: {}, which is not {}, the item of the id it created",
                shorten(url.as_str()),
                shorten(&self.item_url(&id))
            );
            // Only a 201's Location names the created resource (RFC 9110 §15.3.2).
            if exchange_status == 201 {
                self.notice(Notice::location_not_created(observed.clone()));
            }
            if matches!(source, PostId::Location) {
                return Err(observed);
            }
        }
        Ok(id)
    }

    /// True when `url` is the item URL of `id` (canonically; a trailing `/` aside).
    fn names_item(&self, url: &WireUrl, id: &str) -> bool {
        let item = WireUrl::parse(&self.item_url(id));
        item.is_ok_and(|item| {
            item.same_origin(url)
                && trimmed(item.canonical_segments()) == trimmed(url.canonical_segments())
        })
    }

    /// Lists the collection right before a POST whose body cannot prove what it created (see
    /// the module documentation): the POST sent next is adopted only if the id it names is not
    /// among the ids listed.
    pub(super) async fn list_before_post(&mut self) -> Result<(), CaseError> {
        let (exchange, ids) = self.list_ids(LISTED_BEFORE_PURPOSE).await?;
        self.listed = Some(Listed { exchange, ids });
        Ok(())
    }

    /// GETs the collection: the exchange's index, and the ids it lists (`None` when the answer
    /// held no readable list).
    async fn list_ids(&mut self, purpose: &str) -> Result<(usize, Option<Vec<String>>), CaseError> {
        let entries = Box::pin(self.list_entries(purpose)).await?;
        // The listing's last page is the exchange right before the POST.
        let last = self.exchanges.len().saturating_sub(1);
        let ids = entries.map(|entries| {
            entries
                .iter()
                .filter_map(|entry| self.resource.id_field.read(entry))
                .collect()
        });
        Ok((last, ids))
    }

    /// What the listings around a POST show of the id its 201 named: `before` holds the ids
    /// listed right before the POST (if it was listed). The id is new only when a listing
    /// right after the POST shows it, the one before did not, and the listing is whole: it
    /// grew, or lost an item (a page of fixed size that merely does not reach the id proves
    /// nothing).
    async fn freshness(
        &mut self,
        id: &str,
        before: Option<Vec<String>>,
    ) -> Result<Freshness, CaseError> {
        let Some(before) = before else {
            return Ok(Freshness::Unknown);
        };
        // An id listed before that this run created and has since proven deleted: an API that
        // reuses freed ids handed it out again (the fence kept the run's other cases off it
        // meanwhile). Its deletion and this creation cancel out in the count.
        let reused = before.iter().any(|known| known == id);
        if reused {
            let url = self.item_url(id);
            if !self.ctx.registry.was_forgotten(&url) {
                return Ok(Freshness::ListedBefore);
            }
        }
        let (_, after) = self.list_ids(LISTED_AFTER_PURPOSE).await?;
        let whole = |after: &[String]| {
            let vanished = before
                .iter()
                .any(|known| known != id && !after.contains(known));
            match reused {
                true => after.len() >= before.len() || vanished,
                false => after.len() > before.len() || vanished,
            }
        };
        Ok(match after {
            Some(after) if after.iter().any(|listed| listed == id) && whole(&after) => {
                Freshness::New
            }
            _ => Freshness::Unknown,
        })
    }

    /// True when a POST body's generated values carry enough chance to prove, read back, that
    /// the resource holding them is the one the POST created ([`MIN_PROOF_BITS`]).
    pub(crate) fn proves_creation(&self, body: &Value) -> bool {
        drawn_bits(&self.resource.body, body) >= MIN_PROOF_BITS
    }

    /// Whether the item read back (exchange `read`) is the one the POST (exchange `post`)
    /// created: it holds what the POST sent, and either that could not have been there before
    /// or `listed` (the ids listed right before the POST) shows `id` is new.
    fn read_back(&self, post: usize, read: usize, freshness: Freshness) -> Result<(), ReadBack> {
        let got = &self.exchanges[read];
        if freshness == Freshness::ListedBefore {
            return Err(ReadBack::SomeoneElses(format!(
                "it named {}, which the collection already listed before the POST",
                shorten(&got.request.url)
            )));
        }
        let fresh = freshness == Freshness::New;
        if !got.response.is_success() {
            return Err(ReadBack::Unproven(format!(
                "it named {}, and {}, so what it created could not be read back",
                shorten(&got.request.url),
                answered(got)
            )));
        }
        let kept = got.response.body.json();
        let observed = |what: &str| {
            format!(
                "it named {}, and {}: {what}",
                shorten(&got.request.url),
                answered(got),
            )
        };
        match sent_members(&self.exchanges[post]) {
            // What holds none of the members sent, not even with other values, shows that the
            // API ignores (or rewrites) the body, not that the item is some other resource.
            Some(sent) if !kept.is_some_and(|kept| holds(kept, sent)) => Err(
                match kept.is_some_and(|kept| shows_any_member(kept, sent)) {
                    true => ReadBack::SomeoneElses(observed(
                        "it does not hold the members the POST sent",
                    )),
                    false => ReadBack::BodyIgnored(observed(
                        "it shows none of the members the POST sent (the API ignores or rewrites the body)",
                    )),
                },
            ),
            Some(sent) if fresh || self.proves_creation(sent) => Ok(()),
            Some(_) => Err(ReadBack::Unproven(observed(
                "it holds what the POST sent, but those values are mostly literal or few choices of the body template, so a resource that held them before cannot be told from a new one, and listings of the collection before and after the POST did not show the id to be new",
            ))),
            // An empty POST (POST-PUT creation) creates an empty resource: none of the
            // template's members may have a value yet. One that has some cannot be told from
            // an existing resource, so it is not the run's (post-put-creation judges it).
            None if !kept.is_some_and(|kept| self.is_empty_item(kept)) => {
                Err(ReadBack::Unproven(observed(
                    "the POST sent no members, yet it holds some of the body template's, so it cannot be told from an existing resource",
                )))
            }
            None if fresh => Ok(()),
            None => Err(ReadBack::Unproven(observed(
                "an empty POST sends nothing to recognise its resource by, and listings of the collection before and after the POST did not show the id to be new (an unreadable or paginated listing)",
            ))),
        }
    }

    /// True when a representation is an object in which no top-level member of the body
    /// template has a value (absent, `null`, or an empty string, array or object).
    fn is_empty_item(&self, kept: &Value) -> bool {
        let Some(object) = kept.as_object() else {
            return false;
        };
        self.resource.body.top_level_members().iter().all(|name| {
            object.get(*name).is_none_or(|value| match value {
                Value::Null => true,
                Value::String(text) => text.is_empty(),
                Value::Array(items) => items.is_empty(),
                Value::Object(members) => members.is_empty(),
                _ => false,
            })
        })
    }

    /// Records that the resource a POST's 201 created could not be adopted: nothing is written
    /// or deleted for it, and the report lists it as left behind.
    fn not_adopted(&mut self, index: usize, read_back: Option<usize>, why: &str) {
        let exchange = &self.exchanges[index];
        let reason = format!(
            "{} {} answered {}, but {why}; idemfuzz cannot prove which resource it created, so it deleted none",
            exchange.request.method,
            shorten(&exchange.request.url),
            exchange.response.status,
        );
        self.ctx
            .registry
            .note_unadopted(&exchange.request.url, &reason);
        self.unadopted = Some(Unadopted {
            post: index,
            read_back,
            reason,
            body_ignored: false,
        });
    }
}

/// Why the id a POST answered 200 with cannot be proven new: the collection was not listed
/// just before the POST (the session lists it before the next POSTs there), could not be read,
/// or listed the id already. A 200 may name a resource that existed (a server that
/// de-duplicates), so its id must be shown new by a listing, besides what a 201 needs.
fn not_listed_new(listed: Option<&Listed>, id: &str) -> Option<String> {
    match listed.map(|listed| listed.ids.as_deref()) {
        None => Some(
            "it answered 200, not 201 Created, and the collection was not listed just before it, so nothing proves the id is new (the run lists the collection before its later POSTs there)".to_string(),
        ),
        Some(None) => Some(
            "it answered 200, not 201 Created, and the collection listed just before it could not be read, so nothing proves the id is new".to_string(),
        ),
        Some(Some(ids)) if ids.iter().any(|known| known == id) => Some(format!(
            "it answered 200 naming `{id}`, which the collection listed just before the POST: a resource that existed, not one the run created"
        )),
        Some(Some(_)) => None,
    }
}

/// True when the representation has at least one of the members `sent` names, whatever its
/// value.
fn shows_any_member(kept: &Value, sent: &Value) -> bool {
    match (kept.as_object(), sent.as_object()) {
        (Some(kept), Some(sent)) => sent.keys().any(|name| kept.contains_key(name)),
        _ => false,
    }
}

/// The members a POST sent: its JSON object body, if it had one.
fn sent_members(post: &Exchange) -> Option<&Value> {
    match &post.request.body {
        Body::Json { value } if value.is_object() => Some(value),
        _ => None,
    }
}

/// The last non-empty segment of a URL's path, percent-decoded.
fn last_segment(url: &WireUrl) -> Option<String> {
    let segments = trimmed(url.canonical_segments());
    let last = segments.last()?;
    percent_encoding::percent_decode_str(last)
        .decode_utf8()
        .ok()
        .map(|id| id.into_owned())
        .filter(|id| !id.is_empty())
}

/// Segments without trailing empty ones (a trailing `/`).
fn trimmed(mut segments: Vec<String>) -> Vec<String> {
    while segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    segments
}

/// `METHOD URL answered STATUS`.
fn answered(exchange: &Exchange) -> String {
    format!(
        "{} {} answered {}",
        exchange.request.method,
        shorten(&exchange.request.url),
        exchange.response.status
    )
}
