//! `status-conformance`: the status codes of creation and update, and 405's Allow header.
//! A PUT that creates answers 201 and one that modifies 200 or 204 (RFC 9110 §9.3.4: MUST);
//! a POST that creates answers 201 with a Location that resolves (§9.3.3, §15.3.2: SHOULD);
//! a 405 carries Allow, which lists the resource's supported methods and not the refused one
//! (§15.5.6: MUST). The declared methods Allow leaves out are probed on the case's own item —
//! GET, HEAD, then PUT of the body it already holds, then DELETE — so an Allow that omits a
//! method that works is seen.

use futures::future::LocalBoxFuture;
use serde_json::json;

use crate::checks::check::{Canons, Case, Check, UnconditionalPuts, no_options};
use crate::checks::fit::Need;
use crate::checks::outline::{Outline, Sends, To, send};
use crate::checks::verdict::{answered, token_missing, token_refused};
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{CreateMode, OptionsTable, Resource, ScenarioError};
use crate::session::VERSION_TOKEN_STATUSES;
use crate::session::{CaseError, Req, Session};

/// The check.
pub(crate) struct StatusConformance;

impl Check for StatusConformance {
    const ID: CheckId = CheckId::StatusConformance;
    const UNCONDITIONAL_PUTS: UnconditionalPuts = UnconditionalPuts::Sent;
    type Options = ();
    type Record = Record;

    fn options(&self, table: &OptionsTable<'_>) -> Result<(), ScenarioError> {
        no_options(table)
    }

    fn skip_reason(&self, resource: &Resource, _: &()) -> Option<String> {
        skip_reason(resource)
    }

    /// A PUT to a fresh id "creates" only where ids never created are absent.
    fn needs(&self, resource: &Resource, _: &()) -> Vec<Need> {
        match resource.create {
            CreateMode::Put => vec![Need::UnknownIdsAbsent],
            CreateMode::Post => Vec::new(),
        }
    }

    fn notes(&self, resource: &Resource, _: bool) -> Vec<String> {
        declared_create_statuses(resource).into_iter().collect()
    }

    fn outline(&self, resource: &Resource, _: &(), _: bool) -> Outline {
        let item = &resource.item;
        let mut steps = Outline::new();
        if resource.supports(Method::Put) && resource.create == CreateMode::Put {
            steps.push(
                format!("PUT {item} on a fresh id (create)"),
                [send(Method::Put, To::Item)],
            );
        }
        if resource.post_id.is_some() {
            steps.push(
                format!("POST {} (create), GET its Location", resource.collection),
                [
                    send(Method::Post, To::Collection),
                    send(Method::Get, To::Item),
                ],
            );
        }
        if resource.supports(Method::Put) {
            steps.push(
                format!("PUT {item} another body (update)"),
                [send(Method::Put, To::Item)],
            );
        }
        if let Some(method) = undeclared_method(resource) {
            steps.push(
                format!("{method} {item} (undeclared: expects 405 with Allow)"),
                [send(method, To::Item)],
            );
            let probes: Vec<Sends> = PROBED
                .into_iter()
                .filter(|m| resource.supports(*m))
                .map(|m| send(m, To::Item).between(0, 1))
                .collect();
            if !probes.is_empty() {
                let names: Vec<&str> = PROBED
                    .into_iter()
                    .filter(|m| resource.supports(*m))
                    .map(Method::as_str)
                    .collect();
                steps.push(
                    format!(
                        "{} {item}, each only if the 405's Allow leaves it out",
                        names.join(", ")
                    ),
                    probes,
                );
            }
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

    /// A refusal of the update for a stale or missing version token (a declared
    /// `[resources.NAME.version]`, or, where the fit probe showed that an unconditional PUT to
    /// an existing resource is refused for lack of one) is not a failed valid PUT (RFC 9110
    /// §13.2.1): the request without its precondition would not succeed; the case could not
    /// observe the update (inconclusive, see [`crate::checks::verdict::token_refused`]).
    fn judge(
        &self,
        record: &Record,
        resource: &Resource,
        _: &(),
        canons: &Canons,
    ) -> Vec<Violation> {
        let mut found = judge(record);
        let Some(put) = record.put_update.as_ref() else {
            return found;
        };
        if let Some(refused) = token_refused(resource, put, "a PUT to an existing resource") {
            found.retain(|v| v.rule != PUT_UPDATE_FAILED);
            found.push(refused);
        } else if VERSION_TOKEN_STATUSES.contains(&put.response.status)
            && canons.fit.update_needs_token.is_some()
        {
            found.retain(|v| v.rule != PUT_UPDATE_FAILED);
            found.push(token_missing(put, "a PUT to an existing resource"));
        }
        found
    }
}

/// The rule of an update by PUT that did not succeed.
const PUT_UPDATE_FAILED: &str = "put-update-failed";

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    (!resource.supports(Method::Put) && resource.post_id.is_none())
        .then(|| "the resource declares neither PUT nor POST".to_string())
}

/// What the case observed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    /// A PUT to a fresh id.
    pub(crate) put_create: Option<Exchange>,
    /// A PUT of another body to the existing resource.
    pub(crate) put_update: Option<Exchange>,
    /// A POST to the collection, and the GET of its Location (when there was one).
    pub(crate) post_create: Option<Exchange>,
    pub(crate) location_get: Option<Exchange>,
    /// A method the resource does not declare, sent to the item.
    pub(crate) undeclared: Option<Exchange>,
    /// The declared methods the 405's Allow leaves out, each sent to the item.
    pub(crate) allow_probes: Vec<Exchange>,
    /// Statuses accepted for a PUT that creates (`put_create_statuses`); empty means 201.
    pub(crate) create_statuses: Vec<u16>,
}

/// Creates by PUT and by POST (as declared), updates, and tries an undeclared method.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let mut record = Record {
        create_statuses: session.resource.put_create_statuses.clone(),
        ..Record::default()
    };
    let body = generator.generate(&session.resource.body);
    let mut existing = None;
    if session.resource.supports(Method::Put) && session.resource.create == CreateMode::Put {
        let id = session.fresh_id();
        let index = session
            .put(&id, &body, "PUT to a fresh id (create)")
            .await?;
        record.put_create = Some(session.exchange(index).clone());
        session.require_success(index)?;
        existing = Some(id);
    }
    if session.resource.post_id.is_some() {
        let (post, location_get, id) = post_and_follow(session, generator).await?;
        record.post_create = Some(post);
        record.location_get = location_get;
        existing = existing.or(id);
    }
    if let Some(id) = existing {
        let mut held = body.clone();
        if session.resource.supports(Method::Put) {
            let other = generator.generate_different(&session.resource.body, &body);
            let index = session
                .put(&id, &other, "PUT another body (update)")
                .await?;
            let update = session.exchange(index).clone();
            if update.response.is_success() {
                held = other;
            }
            record.put_update = Some(update);
        }
        if let Some(method) = undeclared_method(session.resource) {
            let req = Req::new(method, session.resource.item_path(&id)).body(&json!({}));
            let index = session
                .send(format!("{method}, which the item does not declare"), req)
                .await?;
            let refused = session.exchange(index).clone();
            record.allow_probes = probe_omitted(session, &id, &refused, &held).await?;
            record.undeclared = Some(refused);
        }
    }
    Ok(record)
}

/// The methods whose absence from a 405's Allow is probed, in the order they are sent: the
/// safe ones first, DELETE last (it ends the case's item).
const PROBED: [Method; 4] = [Method::Get, Method::Head, Method::Put, Method::Delete];

/// Sends each declared method that the 405's Allow leaves out to the case's own item (a PUT
/// sends `held`, the body the item already holds, so it changes nothing). Nothing when the
/// answer was no 405 or carried no Allow.
async fn probe_omitted(
    session: &mut Session<'_>,
    id: &str,
    refused: &Exchange,
    held: &serde_json::Value,
) -> Result<Vec<Exchange>, CaseError> {
    let Some(allow) = allow_of(refused) else {
        return Ok(Vec::new());
    };
    let omitted: Vec<Method> = PROBED
        .into_iter()
        .filter(|m| session.resource.supports(*m) && !lists(&allow, *m))
        .collect();
    let mut probes = Vec::with_capacity(omitted.len());
    for method in omitted {
        let mut req = Req::new(method, session.resource.item_path(id));
        if method == Method::Put {
            req = req.body(held);
        }
        let purpose = format!("{method}, which the 405's Allow leaves out: does it work?");
        let index = session.send(purpose, req).await?;
        probes.push(session.exchange(index).clone());
    }
    Ok(probes)
}

/// The Allow field of a 405 answer (every Allow line, joined), if it is one and has it.
fn allow_of(exchange: &Exchange) -> Option<String> {
    if exchange.response.status != 405 {
        return None;
    }
    let lines: Vec<&str> = exchange
        .response
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("allow"))
        .map(|h| h.value.as_str())
        .collect();
    (!lines.is_empty()).then(|| lines.join(", "))
}

/// True when an Allow field value lists `method` (method names are case-sensitive, RFC 9110
/// §9.1, but servers differ in case: any case counts).
fn lists(allow: &str, method: Method) -> bool {
    allow
        .split(',')
        .any(|m| m.trim().eq_ignore_ascii_case(method.as_str()))
}

/// A method the item does not declare, to see its 405: PATCH, else POST (to the item URL,
/// which is run-owned, so nothing outside the run can be touched).
fn undeclared_method(resource: &Resource) -> Option<Method> {
    [Method::Patch, Method::Post]
        .into_iter()
        .find(|method| !resource.supports(*method))
}

async fn post_and_follow(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<(Exchange, Option<Exchange>, Option<String>), CaseError> {
    let body = generator.generate(&session.resource.body);
    let (index, id) = session
        .post(&body, &[], "POST to the collection (create)")
        .await?;
    let post = session.exchange(index).clone();
    let location = post.response.header("location").map(str::to_string);
    let location_get = match (post.response.is_success(), location) {
        (true, Some(location)) => match session.resolve(index, &location) {
            // A Location on another origin is never requested (credentials stay at the
            // target); the session reports it.
            Ok(url) if session.on_target_origin(&url) => {
                let req = Req::new(Method::Get, url.as_str());
                let get = session.send("GET the Location of the POST", req).await?;
                Some(session.exchange(get).clone())
            }
            _ => None,
        },
        _ => None,
    };
    Ok((post, location_get, id))
}

/// The oracle.
pub(crate) fn judge(record: &Record) -> Vec<Violation> {
    let mut found = Vec::new();
    found.extend(
        record
            .put_create
            .as_ref()
            .and_then(|put| judge_put_create(put, &record.create_statuses)),
    );
    found.extend(record.put_update.as_ref().and_then(judge_put_update));
    if let Some(post) = &record.post_create {
        found.extend(judge_post(post, record.location_get.as_ref()));
    }
    found.extend(record.undeclared.as_ref().and_then(judge_405));
    if let Some(refused) = &record.undeclared {
        found.extend(judge_omitted(refused, &record.allow_probes));
    }
    found
}

/// An error when a method the 405's Allow leaves out worked on the same item.
fn judge_omitted(refused: &Exchange, probes: &[Exchange]) -> Option<Violation> {
    let allow = allow_of(refused)?;
    let working: Vec<&Exchange> = probes
        .iter()
        .filter(|probe| probe.response.is_success() && !lists(&allow, probe.request.method))
        .collect();
    let methods: Vec<&str> = working.iter().map(|p| p.request.method.as_str()).collect();
    if working.is_empty() {
        return None;
    }
    let shown: Vec<String> = working.iter().map(|p| answered(p)).collect();
    Some(
        Violation::error(format!(
            "a 405 response's Allow leaves out methods that work: {}",
            methods.join(", ")
        ))
        .rule("405-allow-omits-method")
        .expected("Allow lists the target resource's currently supported methods (RFC 9110 §15.5.6: MUST)")
        .observed(format!(
            "{}, Allow: {allow}; then {}",
            answered(refused),
            shown.join("; ")
        )),
    )
}

fn judge_put_create(exchange: &Exchange, accepted: &[u16]) -> Option<Violation> {
    let status = exchange.response.status;
    let accepted = match accepted {
        [] => &[201][..],
        list => list,
    };
    (exchange.response.is_success() && !accepted.contains(&status)).then(|| {
        Violation::error(format!(
            "a PUT that created the resource answered {status}, not 201"
        ))
        .rule("put-create-not-201")
        .expected(create_expectation(accepted))
        .observed(answered(exchange))
    })
}

/// The note of a resource whose `put_create_statuses` accepts more than 201.
pub(crate) fn declared_create_statuses(resource: &Resource) -> Option<String> {
    (resource.put_create_statuses != [201]).then(|| {
        format!(
            "a PUT that creates may answer {} (`put_create_statuses`), although RFC 9110 §9.3.4 requires 201",
            crate::model::violation::statuses(&resource.put_create_statuses)
        )
    })
}

/// What a creating PUT should answer: 201, or the statuses the scenario accepts.
pub(crate) fn create_expectation(accepted: &[u16]) -> String {
    match accepted {
        [] | [201] => "201 Created (RFC 9110 §9.3.4: MUST)".into(),
        list => format!(
            "{} (`put_create_statuses`; RFC 9110 §9.3.4 requires 201)",
            crate::model::violation::statuses(list)
        ),
    }
}

fn judge_put_update(exchange: &Exchange) -> Option<Violation> {
    match exchange.response.status {
        200 | 204 | 202 => None,
        201 => Some(
            Violation::error("a PUT that modified an existing resource answered 201")
                .rule("put-update-201")
                .cause(crate::checks::verdict::UPDATE_ANSWERED_201)
                .expected("200 or 204 (RFC 9110 §9.3.4: MUST)")
                .observed(answered(exchange)),
        ),
        _ => Some(
            Violation::warning("a PUT of a valid body to an existing resource did not succeed")
                .rule(PUT_UPDATE_FAILED)
                .expected("200 or 204")
                .observed(answered(exchange)),
        ),
    }
}

fn judge_post(post: &Exchange, location_get: Option<&Exchange>) -> Vec<Violation> {
    let status = post.response.status;
    if !post.response.is_success() {
        return vec![
            Violation::warning("a POST of a valid body did not succeed")
                .rule("post-create-failed")
                .expected("201 Created")
                .observed(answered(post)),
        ];
    }
    let mut found = Vec::new();
    if status != 201 {
        found.push(
            Violation::warning(format!(
                "a POST that created a resource answered {status}, not 201"
            ))
            .rule("post-create-not-201")
            .expected("201 Created (RFC 9110 §9.3.3: SHOULD)")
            .observed(answered(post)),
        );
    }
    match (post.response.header("location"), location_get) {
        (None, _) => found.push(
            Violation::warning("a POST that created a resource sent no Location")
                .rule("post-no-location")
                .expected("a Location header naming the new resource (RFC 9110 §15.3.2: SHOULD)")
                .observed(answered(post)),
        ),
        (Some(location), Some(get)) if !get.response.is_success() => found.push(
            Violation::error("the Location of a created resource does not resolve")
                .rule("location-unresolved")
                .expected(format!("GET {location} answers 2xx"))
                .observed(answered(get)),
        ),
        _ => {}
    }
    found
}

fn judge_405(exchange: &Exchange) -> Option<Violation> {
    if exchange.response.status != 405 {
        return None;
    }
    let method = exchange.request.method.as_str();
    match exchange.response.header("allow") {
        None => Some(
            Violation::error("a 405 response carries no Allow header")
                .rule("405-without-allow")
                .expected("Allow listing the supported methods (RFC 9110 §15.5.6: MUST)")
                .observed(answered(exchange)),
        ),
        Some(allow) if lists(allow, exchange.request.method) => Some(
            Violation::error(format!(
                "a 405 response to {method} lists {method} in Allow"
            ))
            .rule("405-allow-lists-method")
            .expected(format!("Allow without {method}"))
            .observed(format!("Allow: {allow}")),
        ),
        Some(_) => None,
    }
}
