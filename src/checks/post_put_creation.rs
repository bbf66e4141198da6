//! `post-put-creation`: where a resource declares POST-PUT creation, an empty POST creates an
//! empty resource (no domain content), and the PUT that then fills it is idempotent under
//! retry: PUT, then the same PUT with its answer lost, then the retry, leave the state of the
//! first PUT (RFC 9110 §9.2.2, §9.3.3, §9.3.4; the pattern keeps POST's side effects out of
//! the retried request).

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, PROXIED, no_options};
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::steps;
use crate::checks::verdict::{answered, collections_differ, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{EmptyBody, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// The check.
pub(crate) struct PostPutCreation;

impl Check for PostPutCreation {
    const ID: CheckId = CheckId::PostPutCreation;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected].into()
    }

    fn notes(&self, _: &Resource, proxied: bool) -> Vec<String> {
        if proxied {
            vec![format!(
                "lost-response retry of the filling PUT not run: {PROXIED}"
            )]
        } else {
            Vec::new()
        }
    }

    fn outline(&self, resource: &Resource, _: &(), proxied: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let star = outline::star(resource);
        let empty = match resource.post_put.map(|p| p.empty_body) {
            Some(EmptyBody::EmptyObject) => "body {}",
            _ => "no body",
        };
        let put_snapshots = [
            send(Method::Put, To::Item),
            send(Method::Get, To::Item),
            send(Method::Get, To::Collection),
        ];
        let mut steps = Outline::new()
            .step(
                format!("POST {collection} with {empty} (create)"),
                [send(Method::Post, To::Collection)],
            )
            .step(
                format!("GET {item} (the empty resource)"),
                [send(Method::Get, To::Item)],
            )
            .step(
                format!("PUT {item} body A{star}, GET {item}, GET {collection}"),
                put_snapshots,
            );
        if !proxied {
            steps = steps
                .step(
                    format!("PUT {item} body A again, answer not read (lost response)"),
                    [send(Method::Put, To::Item)],
                )
                .step(
                    format!("PUT {item} body A again (retry), GET {item}, GET {collection}"),
                    put_snapshots,
                );
        }
        steps
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(&self, record: &Record, _: &Resource, _: &(), canons: &Canons) -> Vec<Violation> {
        judge(record, &canons.full)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    resource.post_put.is_none().then(|| {
        "the scenario does not declare POST-PUT creation ([resources.NAME.post_put])".into()
    })
}

/// The PUT and its retries, on the resource the empty POST created.
#[derive(Debug, Clone)]
pub(crate) struct Filled {
    /// The GET right after the empty POST.
    pub(crate) empty: ItemSnapshot,
    /// Top-level members of the body template: the domain content an empty resource lacks.
    pub(crate) members: Vec<String>,
    pub(crate) put: Exchange,
    pub(crate) after_put: ItemSnapshot,
    pub(crate) collection_after_put: CollectionSnapshot,
    /// `None` when a proxy carries the target's requests: an answer cannot be left unread.
    pub(crate) retried: Option<Retried>,
}

/// The same PUT, its answer not read, and the retry.
#[derive(Debug, Clone)]
pub(crate) struct Retried {
    pub(crate) retry: Exchange,
    pub(crate) after_retry: ItemSnapshot,
    pub(crate) collection_after_retry: CollectionSnapshot,
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) post: Exchange,
    /// `None` when the POST gave the case no resource it can prove it created.
    pub(crate) filled: Option<Filled>,
    /// When the POST's 201 named a resource the session would not adopt after reading it
    /// back (unreadable, or not empty): that read, to judge; nothing was written to it.
    pub(crate) unadopted: Option<Unadopted>,
}

/// The read-back of a resource an empty POST named but the session would not adopt.
#[derive(Debug, Clone)]
pub(crate) struct Unadopted {
    pub(crate) read: ItemSnapshot,
    /// Top-level members of the body template.
    pub(crate) members: Vec<String>,
}

/// Empty POST; GET; PUT A; snapshots; PUT A with the answer lost; PUT A again; snapshots.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let resource = session.resource;
    let mut post = Req::new(Method::Post, resource.collection.clone());
    if resource
        .post_put
        .is_some_and(|p| p.empty_body == EmptyBody::EmptyObject)
    {
        post = post.body(&Value::Object(Default::default()));
    }
    let index = session.send("empty POST to the collection", post).await?;
    let id = session.adopt_created(index).await?;
    let post = session.exchange(index).clone();
    let Some(id) = id else {
        let unadopted = session.unadopted_read_back(index).map(|read| Unadopted {
            read: ItemSnapshot::from_exchange(read),
            members: template_members(resource),
        });
        return Ok(Record {
            post,
            filled: None,
            unadopted,
        });
    };
    let body = generator.generate(&resource.body);
    let empty = session.get_item(&id, "read the empty resource").await?;
    let put_req = steps::overwrite(resource, &id, &body);
    let put = session
        .send("PUT body A to fill it", put_req.clone())
        .await?;
    let put = session.exchange(put).clone();
    let after_put = session.get_item(&id, "snapshot after the PUT").await?;
    let collection_after_put = session
        .get_collection("snapshot collection after the PUT")
        .await?;
    let retried = if session.proxied() {
        None
    } else {
        Some(retry_lost(session, &id, put_req).await?)
    };
    Ok(Record {
        post,
        unadopted: None,
        filled: Some(Filled {
            empty,
            members: template_members(resource),
            put,
            after_put,
            collection_after_put,
            retried,
        }),
    })
}

/// The filling PUT again, its answer lost; its retry; snapshots.
async fn retry_lost(
    session: &mut Session<'_>,
    id: &str,
    put_req: Req,
) -> Result<Retried, CaseError> {
    session
        .send_lost(
            "the same PUT; connection closed before the answer was read (lost response)",
            put_req.clone(),
        )
        .await?;
    let retry = session.send("retry: the same PUT", put_req).await?;
    let retry = session.exchange(retry).clone();
    let after_retry = session.get_item(id, "snapshot after the retry").await?;
    let collection_after_retry = session
        .get_collection("snapshot collection after the retry")
        .await?;
    Ok(Retried {
        retry,
        after_retry,
        collection_after_retry,
    })
}

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon) -> Vec<Violation> {
    let Some(filled) = &record.filled else {
        return match &record.unadopted {
            Some(Unadopted { read, .. }) if !read.exists() => vec![unreadable(&record.post, read)],
            Some(Unadopted { read, members }) => not_empty(read, members).into_iter().collect(),
            None => vec![post_failed(&record.post)],
        };
    };
    if !filled.empty.exists() {
        return vec![unreadable(&record.post, &filled.empty)];
    }
    let mut found: Vec<Violation> = not_empty(&filled.empty, &filled.members)
        .into_iter()
        .collect();
    if !filled.put.response.is_success() {
        found.push(
            Violation::warning("the PUT filling a resource created by an empty POST was refused; its retry not judged")
                .rule("fill-refused")
                .expected("2xx for a valid body")
                .observed(answered(&filled.put)),
        );
        return found;
    }
    let Some(retried) = &filled.retried else {
        return found;
    };
    found.extend(states_differ(
        ("after the PUT", &canon.item_state(&filled.after_put.as_state())),
        ("after its lost retry", &canon.item_state(&retried.after_retry.as_state())),
        || {
            Violation::error("retrying the PUT of POST-PUT creation changed the resource")
                .rule("retry-changed-item")
                .expected("the state after the first PUT: the PUT is idempotent, so resending it is safe (RFC 9110 §9.2.2)")
                .observed("the resource differs (see diff)")
        },
    ));
    found.extend(collections_differ(
        canon,
        ("after the PUT", &filled.collection_after_put),
        ("after its lost retry", &retried.collection_after_retry),
        || {
            Violation::error("retrying the PUT of POST-PUT creation changed the collection")
                .rule("retry-changed-collection")
                .expected("the case's items in the collection unchanged")
                .observed("the items differ (see diff)")
        },
    ));
    found.extend(retry_status(&retried.retry));
    found
}

/// The retry of the filling PUT: not 201, not 5xx.
fn retry_status(retry: &Exchange) -> Option<Violation> {
    match retry.response.status {
        201 => Some(
            Violation::error("the retried PUT of POST-PUT creation answered 201 Created")
                .rule("retry-201")
                .expected("200 or 204: the resource existed since the POST (RFC 9110 §9.3.4)")
                .observed(answered(retry)),
        ),
        status if status >= 500 => Some(
            Violation::warning("the retried PUT of POST-PUT creation failed with a server error")
                .rule("retry-5xx")
                .expected("the same success as the first PUT")
                .observed(answered(retry)),
        ),
        _ => None,
    }
}

/// Why the empty POST gave no resource.
fn post_failed(post: &Exchange) -> Violation {
    let title = if post.response.is_success() {
        "the empty POST of POST-PUT creation did not answer 201 with the new resource's id"
    } else {
        "the empty POST of POST-PUT creation was refused"
    };
    let rule = if post.response.is_success() {
        "post-no-id"
    } else {
        "post-refused"
    };
    Violation::warning(title)
        .rule(rule)
        .expected("201 Created naming the new, empty resource (as `post_id` says)")
        .observed(answered(post))
}

/// The resource an empty POST named could not be read back.
fn unreadable(post: &Exchange, read: &ItemSnapshot) -> Violation {
    Violation::error("the resource an empty POST created cannot be read")
        .rule("created-unreadable")
        .expected("2xx for a GET of the created resource (RFC 9110 §9.3.3)")
        .observed(format!("{}; GET answered {}", answered(post), read.status))
}

/// The top-level members of the resource's body template: the domain content an empty
/// resource lacks.
fn template_members(resource: &Resource) -> Vec<String> {
    resource
        .body
        .top_level_members()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Domain members (those of the body template) present with content right after the POST.
fn not_empty(empty: &ItemSnapshot, members: &[String]) -> Option<Violation> {
    let body = empty.body.json()?.as_object()?;
    let present: Vec<&str> = members
        .iter()
        .filter(|name| body.get(*name).is_some_and(has_content))
        .map(String::as_str)
        .collect();
    (!present.is_empty()).then(|| {
        Violation::warning("the resource created by an empty POST is not empty")
            .rule("created-not-empty")
            .expected("no domain content before the PUT: the POST only mints the resource")
            .observed(format!("members with content: {}", present.join(", ")))
    })
}

fn has_content(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}
