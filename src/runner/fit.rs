//! The fit probe: before the checks, one run-owned resource per resource is created, read back,
//! looked for in the collection, updated and deleted, and an id never created is read — a few
//! requests that tell, in one block, what the scenario and the API agree on and what they
//! don't ([`crate::checks::fit::Fit`]). Its findings are facts, never findings: what the API
//! cannot show makes the checks that need it inconclusive up front.
//!
//! Every request goes through the probe's own session (the ownership guard, the credentials);
//! what it creates is run-owned and cleaned up like any case's.

use serde_json::Value;

use crate::checks::fit::Fit;
use crate::checks::matching::opaque_holds;
use crate::checks::steps;
use crate::model::exchange::{Body, Exchange, Method};
use crate::model::fit::FitLine;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::placeholder;
use crate::scenario::{CreateMode, Resource};
use crate::session::{CaseError, Req, Session, VERSION_TOKEN_STATUSES};
use crate::shorten::shorten;
use crate::snapshot::ItemSnapshot;
use crate::snapshot::holds::same;
use crate::snapshot::write_time;

/// The probe resource once it was created and read back.
pub(crate) struct Created {
    pub(crate) id: String,
    pub(crate) body: Value,
    /// The first GET of it.
    pub(crate) read: ItemSnapshot,
}

/// Creates the probe resource and reads it back, noting what was seen in `fit`; `None` when
/// nothing could be created (the reason is in `fit`) or a request failed.
pub(crate) async fn create_and_read(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    fit: &mut Fit,
) -> Option<Created> {
    let body = generator.generate(&session.resource.body);
    let id = match create(session, &body, fit).await {
        Ok(Some(id)) => id,
        Ok(None) | Err(_) => return None,
    };
    let index = session
        .send(
            "fit probe: read back",
            Req::new(Method::Get, session.resource.item_path(&id)),
        )
        .await
        .ok()?;
    let exchange = session.exchange(index).clone();
    let read = session.item_snapshot(index);
    read_back(session.resource, &exchange, &read, &body, fit);
    Some(Created { id, body, read })
}

/// The probe's remaining steps on the created resource: the listing, an id never created, an
/// update, the delete. Stops quietly at a transport error.
pub(crate) async fn the_rest(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    created: &Created,
    fit: &mut Fit,
) {
    let _ = rest(session, generator, created, fit).await;
}

async fn rest(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    created: &Created,
    fit: &mut Fit,
) -> Result<(), CaseError> {
    let absent = never_created(session).await?;
    let listed = listing(session, fit, &created.id, &absent.id).await?;
    judge_never_created(&absent, listed, fit);
    let resource = session.resource;
    if resource.supports(Method::Put) && !resource.conditional.preconditions_required {
        update(session, generator, created, fit).await?;
    }
    if resource.supports(Method::Delete) {
        delete(session, &created.id, fit).await?;
    }
    Ok(())
}

/// Creates the probe resource as the cases will; `None` when the API did not let it.
async fn create(
    session: &mut Session<'_>,
    body: &Value,
    fit: &mut Fit,
) -> Result<Option<String>, CaseError> {
    let resource = session.resource;
    let made = match resource.create {
        CreateMode::Put => steps::create(session, body, "fit probe: create").await,
        CreateMode::Post => post_create(session, body).await,
    };
    let last = session.exchanges().last().cloned();
    match made {
        Ok(id) => {
            let how = match resource.create {
                CreateMode::Put => "ids are chosen by the client (`create = \"put\"`)".to_string(),
                CreateMode::Post => format!("the server chose the id `{id}`"),
            };
            let creating = session
                .exchanges()
                .iter()
                .rev()
                .find(|e| matches!(e.request.method, Method::Put | Method::Post));
            let answered = creating.map(answered).unwrap_or_default();
            fit.lines
                .push(FitLine::agree(format!("create: {answered}; {how}")));
            Ok(Some(id))
        }
        Err(CaseError::Inconclusive(reason)) => {
            // The fresh id was not free (the API answers a GET for any id), or a POST's 201
            // whose resource, read back, shows none of the members it sent.
            let free_check = last
                .as_ref()
                .is_some_and(|e| e.request.method == Method::Get);
            if free_check {
                fit.answers_unknown_ids = Some(reason.clone());
            } else {
                fit.body_not_reflected = Some(reason.clone());
            }
            note_create_failure(resource, last.as_ref(), &reason, fit);
            Ok(None)
        }
        Err(CaseError::Setup(reason)) => {
            note_create_failure(resource, last.as_ref(), &reason, fit);
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// A POST create; when the POST answered 200 (not 201) without a listing just before it to
/// prove its id new, once more: the session now lists the collection first.
async fn post_create(session: &mut Session<'_>, body: &Value) -> Result<String, CaseError> {
    match session.create(body, "fit probe: create").await {
        Err(CaseError::Setup(_))
            if session
                .exchanges()
                .last()
                .is_some_and(|e| e.request.method == Method::Post && e.response.status == 200) =>
        {
            let created = session
                .create(body, "fit probe: create again (the POST answered 200)")
                .await?;
            Ok(created.id)
        }
        made => made.map(|created| created.id),
    }
}

/// Why the probe could not create anything, with what the status suggests.
fn note_create_failure(resource: &Resource, last: Option<&Exchange>, reason: &str, fit: &mut Fit) {
    let hint = last
        .map(|e| create_hint(resource, e.response.status))
        .unwrap_or_default();
    fit.lines.push(FitLine::disagree(format!(
        "create: {reason}{hint}; every check that creates a resource cannot set up its cases"
    )));
}

/// What a refused create may mean.
fn create_hint(resource: &Resource, status: u16) -> String {
    let id_hint = match resource.create {
        CreateMode::Put => {
            " or the id: idemfuzz chooses string ids such as `idf-RUN-c0001-1` (with `create = \"post\"` the server chooses them)"
        }
        CreateMode::Post => "",
    };
    match status {
        400 | 422 => format!(" (the API refused the body{id_hint}: compare the body template with the API's schema)"),
        404 | 405 => " (the API does not accept the create there: check `collection`, `item` and `create`)".into(),
        409 => " (a conflict: something the resource needs may be missing, such as a parent folder or database)".into(),
        412 | 428 => " (the API wants a precondition: see `preconditions_required`)".into(),
        _ => String::new(),
    }
}

/// Judges the first read-back (`read`, its `snapshot` as the representation reads it):
/// readable, and showing what the create sent.
fn read_back(
    resource: &Resource,
    read: &Exchange,
    snapshot: &ItemSnapshot,
    sent: &Value,
    fit: &mut Fit,
) {
    let got = answered(read);
    let status = read.response.status;
    let unreadable = match status {
        300..=399 => Some(format!(
            "{got} right after a 2xx create (a redirect, which idemfuzz never follows: does `item` match the URLs the API uses?)"
        )),
        404 | 410 => Some(format!("{got} right after a 2xx create")),
        _ if !read.response.is_success() => Some(format!("{got} right after a 2xx create")),
        // Text, bytes, a form or a template answer in their own media type: read byte-exactly.
        _ if snapshot.opaque.is_some() => None,
        _ => match &read.response.body {
            Body::Json { .. } => None,
            Body::Empty => Some(format!("{got} with no body")),
            _ => Some(format!(
                "{got} with a body that is not JSON ({})",
                read.response
                    .header("content-type")
                    .unwrap_or("no Content-Type")
            )),
        },
    };
    if let Some(why) = unreadable {
        fit.lines.push(FitLine::disagree(format!(
            "read back: {why}; the checks that compare the item judge nothing"
        )));
        fit.item_unreadable = Some(why);
        return;
    }
    let kept = read.response.body.json().unwrap_or(&Value::Null);
    match reflection_of(resource, snapshot, sent) {
        Reflection::All => fit.lines.push(FitLine::agree(format!(
            "read back: {got}, showing the members sent"
        ))),
        Reflection::Some { missing } => fit.lines.push(FitLine::disagree(format!(
            "read back: {got}, showing some members as sent but not {}: the API drops or rewrites them (the checks compare what it keeps)",
            missing.join(", ")
        ))),
        Reflection::None => {
            let why = format!(
                "{got} but shows none of the members the create sent (the API ignores or rewrites the body)"
            );
            fit.lines.push(FitLine::disagree(format!(
                "read back: {why}; the checks that compare states judge nothing"
            )));
            fit.body_not_reflected = Some(why);
        }
    }
    fit.lines.extend(write_metadata_line(resource, kept));
    fit.lines.push(etag_line(resource, read));
}

/// The members the comparisons treat as write metadata (times the client does not send), when
/// there are any.
fn write_metadata_line(resource: &Resource, kept: &Value) -> Option<FitLine> {
    let client: Vec<String> = resource
        .body
        .top_level_members()
        .into_iter()
        .map(String::from)
        .collect();
    let members = write_time::time_members(kept, &client);
    if members.is_empty() {
        return None;
    }
    let names = members
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(FitLine::agree(if resource.write_metadata {
        format!(
            "write metadata: {names} hold times the client does not send; the comparisons ignore them (counters and growing arrays still count; `write_metadata = false` compares them)"
        )
    } else {
        format!(
            "write metadata: {names} hold times the client does not send; compared, since the scenario sets `write_metadata = false`"
        )
    }))
}

/// How much of what was sent an item shows, as the resource's representation reads it: the
/// members of a JSON body; the content of a text, bytes, form or template body answered in its
/// own media type ([`opaque_holds`]); the values of such a body answered as JSON (etcd answers
/// a form's `value` inside a JSON `node`).
fn reflection_of(resource: &Resource, read: &ItemSnapshot, sent: &Value) -> Reflection {
    if let Some(holds) = opaque_holds(read, sent) {
        return match holds {
            true => Reflection::All,
            false => Reflection::None,
        };
    }
    let kept = read.body.json().unwrap_or(&Value::Null);
    match resource.representation.is_json() {
        true => reflection(kept, sent),
        false => values_reflection(kept, sent),
    }
}

/// How much of what was sent a representation shows.
enum Reflection {
    All,
    Some { missing: Vec<String> },
    None,
}

fn reflection(kept: &Value, sent: &Value) -> Reflection {
    let Some(sent) = sent.as_object().filter(|sent| !sent.is_empty()) else {
        return Reflection::All;
    };
    let missing: Vec<String> = sent
        .iter()
        .filter(|(name, value)| !kept.get(name.as_str()).is_some_and(|k| same(k, value)))
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    match missing.len() {
        0 => Reflection::All,
        n if n == sent.len() => Reflection::None,
        _ => Reflection::Some { missing },
    }
}

/// How many of the values of a non-JSON body (form fields, template slots) a JSON answer holds
/// somewhere, compared as text (a form sends every value as text).
fn values_reflection(kept: &Value, sent: &Value) -> Reflection {
    let Some(sent) = sent.as_object().filter(|sent| !sent.is_empty()) else {
        return Reflection::All;
    };
    let mut leaves = Vec::new();
    leaf_texts(kept, &mut leaves);
    let shown = |value: &Value| match value {
        Value::Null => true,
        Value::Array(items) => items
            .iter()
            .all(|item| leaves.contains(&placeholder::as_text(item))),
        value => leaves.contains(&placeholder::as_text(value)),
    };
    let missing: Vec<String> = sent
        .iter()
        .filter(|(_, value)| !shown(value))
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    match missing.len() {
        0 => Reflection::All,
        n if n == sent.len() => Reflection::None,
        _ => Reflection::Some { missing },
    }
}

/// Every scalar of a JSON value, as text.
fn leaf_texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| leaf_texts(item, out)),
        Value::Object(members) => members.values().for_each(|item| leaf_texts(item, out)),
        Value::Null => {}
        scalar => out.push(placeholder::as_text(scalar)),
    }
}

/// Whether the ETags the API sends are what the scenario declares.
fn etag_line(resource: &Resource, read: &Exchange) -> FitLine {
    let tag = read.response.header("etag");
    let weak = tag.is_some_and(|tag| tag.trim_start().starts_with("W/"));
    match (resource.conditional.etags, tag) {
        (true, Some(_)) if weak => FitLine::agree(
            "ETag: weak; If-Match never matches a weak tag (strong comparison), so the checks that need a strong one say so",
        ),
        (true, Some(_)) => FitLine::agree("ETag: strong"),
        (true, None) => FitLine::disagree(
            "ETag: the scenario declares `etags = true`, but GET sent none: the conditional-request checks cannot run",
        ),
        (false, Some(_)) => FitLine::agree(
            "ETag: the API sends one, which the scenario does not declare (`etags = true` would run the conditional-request checks)",
        ),
        (false, None) => FitLine::agree("ETag: none (the scenario declares none)"),
    }
}

/// Whether the collection lists the probe resource `created`; whether it lists `absent` (the id
/// never created), when the listing could be read.
async fn listing(
    session: &mut Session<'_>,
    fit: &mut Fit,
    created: &str,
    absent: &str,
) -> Result<Option<bool>, CaseError> {
    if session.resource.unlistable() {
        fit.lines.push(FitLine::agree(
            "listing: none (the scenario declares `[listing] format = \"none\"`)",
        ));
        return Ok(None);
    }
    let items = match session.list_every_entry("fit probe: list").await? {
        Ok(items) => items,
        Err(why) => {
            note_unlisted(fit, format!("the collection cannot be read: {why}"));
            return Ok(None);
        }
    };
    let resource = session.resource;
    let got = session
        .exchanges()
        .iter()
        .rev()
        .find(|exchange| exchange.purpose.starts_with("fit probe: list"))
        .map(answered)
        .unwrap_or_default();
    let lists = |id: &str| {
        items
            .iter()
            .any(|item| resource.id_field.read(item).as_deref() == Some(id))
    };
    if lists(created) {
        fit.lines.push(FitLine::agree(format!(
            "listing: {got}, listing the created resource"
        )));
    } else {
        note_unlisted(
            fit,
            format!(
                "{got} but does not list the created resource (looked for its id at `{}` in {})",
                resource.id_field,
                listing_shape(resource)
            ),
        );
    }
    Ok(Some(lists(absent)))
}

/// Where the listing's entries are, in words.
fn listing_shape(resource: &Resource) -> String {
    let format = &resource.listing.format;
    match format.items() {
        Some(items) => format!(
            "the {} entries at {}",
            format.name(),
            pointer_text(&items.to_string())
        ),
        None => format!("a {} listing", format.name()),
    }
}

fn note_unlisted(fit: &mut Fit, why: String) {
    fit.lines.push(FitLine::disagree(format!(
        "listing: {why}; the checks that count or compare the collection judge nothing there"
    )));
    fit.not_listed = Some(why);
}

/// A GET of an id never created, and what it answered.
struct Absent {
    id: String,
    got: String,
    success: bool,
}

async fn never_created(session: &mut Session<'_>) -> Result<Absent, CaseError> {
    let id = session.fresh_id();
    let index = session
        .send(
            "fit probe: GET an id never created",
            Req::new(Method::Get, session.resource.item_path(&id)),
        )
        .await?;
    let exchange = session.exchange(index);
    Ok(Absent {
        got: answered(exchange),
        success: exchange.response.is_success(),
        id,
    })
}

/// What a 2xx to a GET of an id never created means: the GET created it (it is listed now:
/// get-safety judges that), or the API answers for every id (not listed, or no listing to
/// tell), which makes "exists" and "created" prove nothing.
fn judge_never_created(absent: &Absent, listed: Option<bool>, fit: &mut Fit) {
    let got = &absent.got;
    if !absent.success {
        fit.lines
            .push(FitLine::agree(format!("an id never created: {got}")));
        return;
    }
    if listed == Some(true) {
        fit.lines.push(FitLine::disagree(format!(
            "an id never created: {got}, and the collection now lists it: the GET created it (get-safety judges it)"
        )));
        return;
    }
    let why = format!(
        "{got} for an id never created: the API answers for every id, so a resource that \"exists\" or was \"created\" proves nothing"
    );
    fit.lines.push(FitLine::disagree(format!(
        "an id never created: {why}; the checks that depend on it judge nothing"
    )));
    fit.answers_unknown_ids = Some(why);
}

/// An unconditional PUT of another body to the probe resource, then a GET.
async fn update(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
    created: &Created,
    fit: &mut Fit,
) -> Result<(), CaseError> {
    let body = generator.generate_different(&session.resource.body, &created.body);
    let index = session
        .put(&created.id, &body, "fit probe: update (PUT another body)")
        .await?;
    let put = session.exchange(index).clone();
    let got = answered(&put);
    let status = put.response.status;
    if VERSION_TOKEN_STATUSES.contains(&status) {
        let why = format!(
            "an unconditional PUT to an existing resource is refused ({got}): the API needs a version token (a member such as `_rev`, a `?rev=` parameter or If-Match) that the scenario does not send, so the checks that update without one judge nothing (RFC 9110 §13.2.1)"
        );
        fit.lines.push(FitLine::disagree(format!("update: {why}")));
        fit.update_needs_token = Some(why);
        return Ok(());
    }
    if !put.response.is_success() {
        fit.lines.push(FitLine::disagree(format!(
            "update: {got}; the checks that update by PUT cannot set up their cases"
        )));
        return Ok(());
    }
    let read = session
        .get_item(&created.id, "fit probe: read the update back")
        .await?;
    let shows = read.exists()
        && matches!(
            reflection_of(session.resource, &read, &body),
            Reflection::All
        );
    fit.lines
        .push(if shows || fit.body_not_reflected.is_some() {
            FitLine::agree(format!("update: {got}"))
        } else {
            FitLine::disagree(format!(
                "update: {got}, but GET does not show all the members the PUT sent"
            ))
        });
    Ok(())
}

/// An unconditional DELETE of the probe resource, then a GET.
async fn delete(session: &mut Session<'_>, id: &str, fit: &mut Fit) -> Result<(), CaseError> {
    let index = session.delete(id, "fit probe: delete").await?;
    let deleted = session.exchange(index).clone();
    let got = answered(&deleted);
    let status = deleted.response.status;
    if VERSION_TOKEN_STATUSES.contains(&status) {
        let why = format!(
            "an unconditional DELETE is refused ({got}): the API needs a version token (a `?rev=` parameter or If-Match) that the scenario does not send, so the checks that delete judge nothing, and cleanup cannot delete what the run created (RFC 9110 §13.2.1)"
        );
        fit.lines.push(FitLine::disagree(format!("delete: {why}")));
        fit.delete_needs_token = Some(why);
        return Ok(());
    }
    if !deleted.response.is_success() {
        fit.lines.push(FitLine::disagree(format!(
            "delete: {got}; the checks that delete cannot judge, and cleanup may leave what the run created"
        )));
        return Ok(());
    }
    let after = session.get_item(id, "fit probe: GET after delete").await?;
    fit.lines.push(
        if status == 202 || !after.exists() || fit.answers_unknown_ids.is_some() {
            FitLine::agree(format!("delete: {got}, then GET answered {}", after.status))
        } else {
            FitLine::disagree(format!(
                "delete: {got}, but GET still answered {} (use-after-delete judges it)",
                after.status
            ))
        },
    );
    Ok(())
}

/// A JSON pointer as the report names it: `` `/items` ``, or the top level for the empty one.
fn pointer_text(pointer: &str) -> String {
    if pointer.is_empty() {
        "the top level (`items = \"\"`)".to_string()
    } else {
        format!("`{pointer}`")
    }
}

/// `METHOD URL answered STATUS`, the URL shortened.
fn answered(exchange: &Exchange) -> String {
    format!(
        "{} {} answered {}",
        exchange.request.method,
        shorten(&exchange.request.url),
        exchange.response.status
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reflection_tells_a_kept_body_from_an_ignored_one() {
        let sent = json!({"name": "a", "size": 3});
        assert!(matches!(
            reflection(
                &json!({"id": 1, "name": "a", "size": 3.0, "color": null}),
                &sent
            ),
            Reflection::All
        ));
        assert!(matches!(
            reflection(&json!({"id": "x"}), &sent),
            Reflection::None
        ));
        assert!(matches!(
            reflection(&json!({"name": "a"}), &sent),
            Reflection::Some { missing } if missing == ["`size`"]
        ));
        assert!(matches!(
            reflection(&json!({}), &json!({})),
            Reflection::All
        ));
    }

    #[test]
    fn a_form_answered_as_json_is_read_by_its_values() {
        let sent = json!({"value": "abc", "ttl": 5});
        let etcd = json!({"node": {"key": "/dir/x", "value": "abc", "ttl": 5}});
        assert!(matches!(values_reflection(&etcd, &sent), Reflection::All));
        assert!(matches!(
            values_reflection(&json!({"node": {"key": "/dir/x", "value": "abc"}}), &sent),
            Reflection::Some { missing } if missing == ["`ttl`"]
        ));
        assert!(matches!(
            values_reflection(&json!({"node": {"key": "/dir/x"}}), &sent),
            Reflection::None
        ));
    }
}
