//! `concurrent-put`: K identical PUTs to a new id, released together, create exactly one
//! resource with the state one PUT gives, and at most one of them answers 201; K more identical
//! PUTs to the existing resource change nothing (RFC 9110 §9.2.2, §9.3.4).

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts, no_options};
use crate::checks::fit::Need;
use crate::checks::matching::{client_part, member_names, rows_with_id};
use crate::checks::outline::{Outline, To, send};
use crate::checks::steps;
use crate::checks::verdict::{answered, collections_differ, states_differ};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, IdField, OptionsTable, Resource, ScenarioError};
use crate::session::{CaseError, Req, Session};
use crate::snapshot::canonical::Canon;
use crate::snapshot::{CollectionSnapshot, ItemSnapshot};

/// The check.
pub(crate) struct ConcurrentPut;

impl Check for ConcurrentPut {
    const ID: CheckId = CheckId::ConcurrentPut;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::Sent;
    const OWN_CONNECTIONS: bool = true;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    fn needs(&self, _: &Resource, _: &()) -> Vec<Need> {
        [Need::BodyReflected, Need::UnconditionalUpdate].into()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let (item, collection) = (&resource.item, &resource.collection);
        let k = resource.concurrent_clients;
        let snapshots = [
            send(Method::Get, To::Item),
            send(Method::Get, To::Collection),
        ];
        let together = [send(Method::Put, To::Item).times(k)];
        Outline::new()
            .step(
                format!("PUT {item} body A on a fresh id, GET it (reference)"),
                [send(Method::Put, To::Item), send(Method::Get, To::Item)],
            )
            .step(
                format!("PUT {item} body A ×{k} to a new id, released together"),
                together,
            )
            .step(
                format!("GET {item}, GET {collection} (snapshots)"),
                snapshots,
            )
            .step(
                format!("PUT {item} body A ×{k} to that id again, released together"),
                together,
            )
            .step(
                format!("GET {item}, GET {collection} (snapshots after)"),
                snapshots,
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        _: &(),
        canons: &Canons,
    ) -> Vec<Violation> {
        judge(record, &canons.full, &resource.id_field)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    if !resource.supports(Method::Put) {
        return Some("the resource declares no PUT".into());
    }
    if resource.create != CreateMode::Put {
        return Some(
            "the resource is created by POST, so there is no new id to PUT to (`create = \"post\"`)"
                .into(),
        );
    }
    None
}

/// What the case observed.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) id: String,
    /// The K PUTs to the new id, in client order.
    pub(crate) creating: Vec<Exchange>,
    pub(crate) item_after_create: ItemSnapshot,
    pub(crate) collection_after_create: CollectionSnapshot,
    /// One PUT of the same body to another new id: the state one PUT gives.
    pub(crate) reference_id: String,
    pub(crate) reference: ItemSnapshot,
    /// The top-level members of the body: the part of two resources' states that compares.
    pub(crate) members: Vec<String>,
    /// The K PUTs to the existing resource, in client order.
    pub(crate) replacing: Vec<Exchange>,
    pub(crate) item_after_replace: ItemSnapshot,
    pub(crate) collection_after_replace: CollectionSnapshot,
}

/// One PUT of body A to a fresh id (the reference); K PUTs of A to a new id together;
/// snapshots; K PUTs of A to that id together; snapshots.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let clients = session.resource.concurrent_clients;
    let body = generator.generate(&session.resource.body);
    let (reference_id, reference) = reference(session, &body).await?;
    let id = session.fresh_id();
    let put = Req::new(Method::Put, session.resource.item_path(&id)).body(&body);
    let creating = steps::together(session, "PUT body A to a new id", &put, clients).await?;
    let item_after_create = session
        .get_item(&id, "snapshot item after the concurrent PUTs")
        .await?;
    let collection_after_create = session
        .get_collection("snapshot collection after the concurrent PUTs")
        .await?;
    let replacing = steps::together(
        session,
        "PUT body A to the existing resource",
        &put,
        clients,
    )
    .await?;
    let item_after_replace = session
        .get_item(&id, "snapshot item after the concurrent PUTs to it")
        .await?;
    let collection_after_replace = session
        .get_collection("snapshot collection after the concurrent PUTs to it")
        .await?;
    Ok(Record {
        members: member_names(&[&body]),
        id,
        creating,
        item_after_create,
        collection_after_create,
        reference_id,
        reference,
        replacing,
        item_after_replace,
        collection_after_replace,
    })
}

/// One PUT of `body` to a fresh id, and its snapshot.
async fn reference(
    session: &mut Session<'_>,
    body: &Value,
) -> Result<(String, ItemSnapshot), CaseError> {
    let id = session.fresh_id();
    let index = session
        .put(&id, body, "reference: one PUT of body A to a fresh id")
        .await?;
    session.require_success(index)?;
    let snapshot = session.get_item(&id, "snapshot the reference").await?;
    Ok((id, snapshot))
}

/// The oracle.
pub(crate) fn judge(record: &Record, canon: &Canon, id_field: &IdField) -> Vec<Violation> {
    let clients = record.creating.len();
    if !record.creating.iter().any(|e| e.response.is_success()) {
        return vec![
            Violation::warning("none of the concurrent PUTs to a new id succeeded; nothing judged")
                .rule("none-succeeded")
                .expected("2xx for a valid body")
                .observed(first_answer(&record.creating)),
        ];
    }
    let mut found = Vec::new();
    found.extend(duplicate_rows(record, id_field));
    found.extend(created_twice(&record.creating));
    found.extend(server_errors(&record.creating, &record.replacing));
    // Each resource's own id becomes `{id:1}`; then only the members the body sets compare.
    let view = |id: &str, item: &ItemSnapshot| {
        let canon = canon.clone().mapping_ids(vec![id.to_string()]);
        client_part(canon.item_state(&item.as_state()), &record.members)
    };
    found.extend(states_differ(
        ("one PUT", &view(&record.reference_id, &record.reference)),
        (
            &format!("{clients} concurrent PUTs"),
            &view(&record.id, &record.item_after_create),
        ),
        || {
            Violation::error("concurrent identical PUTs left another state than one PUT")
                .rule("state-differs")
                .expected("the state of one PUT of the body (RFC 9110 §9.2.2), in the members the body sets")
                .observed("the resource differs from a resource PUT once (see diff)")
        },
    ));
    found.extend(replace_changes(record, canon));
    found
}

/// More than one row with the new id.
fn duplicate_rows(record: &Record, id_field: &IdField) -> Option<Violation> {
    let items = record.collection_after_create.items.as_ref()?;
    let rows = rows_with_id(items, &record.id, id_field);
    (rows >= 2).then(|| {
        Violation::error(format!(
            "{} concurrent identical PUTs to a new id created {rows} resources",
            record.creating.len()
        ))
        .rule("duplicate-rows")
        .expected("exactly one resource with that id: N identical PUTs have the effect of one (RFC 9110 §9.2.2)")
        .observed(format!(
            "the collection lists the id {} {rows} times",
            record.id
        ))
    })
}

/// More than one 201 among the creating PUTs: an info. Each of them may well have found no
/// representation and made one (a file server opens the file with create-and-truncate, as
/// Apache, nginx and WsgiDAV do), so no request was answered against its own effect, and the
/// state is the one of a single PUT (`duplicate-rows` and the state comparison judge that); a
/// client only cannot tell from the 201 that its PUT was the one that created.
fn created_twice(creating: &[Exchange]) -> Option<Violation> {
    let created: Vec<&Exchange> = creating
        .iter()
        .filter(|e| e.response.status == 201)
        .collect();
    (created.len() >= 2).then(|| {
        Violation::info(format!(
            "{} of {} concurrent identical PUTs answered 201 Created",
            created.len(),
            creating.len()
        ))
        .rule("created-twice")
        .expected("at most one 201 if the server serialises creation; several are allowed when each PUT found no representation (RFC 9110 §9.3.4)")
        .observed(
            created
                .iter()
                .take(3)
                .map(|e| answered(e))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// A 5xx among the concurrent PUTs.
fn server_errors(creating: &[Exchange], replacing: &[Exchange]) -> Option<Violation> {
    let failed = creating
        .iter()
        .chain(replacing)
        .find(|e| e.response.status >= 500)?;
    Some(
        Violation::warning("a concurrent identical PUT failed with a server error")
            .rule("concurrent-5xx")
            .expected("the same success as a PUT sent alone")
            .observed(answered(failed)),
    )
}

/// The concurrent PUTs to the existing resource changed it, or one answered 201.
fn replace_changes(record: &Record, canon: &Canon) -> Vec<Violation> {
    let mut found = Vec::new();
    found.extend(states_differ(
        (
            "before",
            &canon.item_state(&record.item_after_create.as_state()),
        ),
        (
            "after",
            &canon.item_state(&record.item_after_replace.as_state()),
        ),
        || {
            Violation::error("concurrent identical PUTs to an existing resource changed it")
                .rule("replace-changed-item")
                .expected("the resource unchanged: it already had the body (RFC 9110 §9.2.2)")
                .observed("the item differs (see diff)")
        },
    ));
    found.extend(collections_differ(
        canon,
        ("before", &record.collection_after_create),
        ("after", &record.collection_after_replace),
        || {
            Violation::error(
                "concurrent identical PUTs to an existing resource changed the collection",
            )
            .rule("replace-changed-collection")
            .expected("the case's items in the collection unchanged")
            .observed("the items differ (see diff)")
        },
    ));
    found.extend(
        record
            .replacing
            .iter()
            .find(|e| e.response.status == 201)
            .map(|e| {
                Violation::error("a concurrent PUT to an existing resource answered 201 Created")
                    .rule("replace-201")
                    .cause(crate::checks::verdict::UPDATE_ANSWERED_201)
                    .expected("200 or 204: the resource existed (RFC 9110 §9.3.4)")
                    .observed(answered(e))
            }),
    );
    found
}

fn first_answer(exchanges: &[Exchange]) -> String {
    exchanges
        .first()
        .map_or_else(|| "no answer".to_string(), answered)
}
