//! `etag-stability`: entity tags are well-formed (RFC 9110 §8.8.3), stay the same across
//! identical PUTs that leave the representation unchanged (SHOULD: a tag that churns defeats
//! caches and makes every conditional retry fail), and a strong tag changes when the
//! representation does (§8.8.1).
//!
//! A tag derived from the modification time and the size (nginx's and WsgiDAV's
//! `"mtime-size"`) changes with most writes, but not with a change of the same length within
//! the same second. So after PUT of body B the case sends, at once, a body C of exactly B's
//! length that differs from it ([`same_length_variant`]), and reads the tag again.

use futures::future::LocalBoxFuture;
use serde_json::Value;

use crate::checks::check::{Canons, Case, Check, no_options};
use crate::checks::etag::EntityTag;
use crate::checks::fit::Need;
use crate::checks::outline::{self, Outline, To, send};
use crate::checks::steps::{self, Read};
use crate::checks::verdict::answered;
use crate::model::check::CheckId;
use crate::model::exchange::{Exchange, Method};
use crate::model::violation::Violation;
use crate::scenario::generate::BodyGenerator;
use crate::scenario::{OptionsTable, Resource, ScenarioError, TemplateNode};
use crate::session::{CaseError, Session};

/// The check.
pub(crate) struct EtagStability;

impl Check for EtagStability {
    const ID: CheckId = CheckId::EtagStability;
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
        let item = &resource.item;
        let star = outline::star(resource);
        let put_get = [send(Method::Put, To::Item), send(Method::Get, To::Item)];
        let (create, creates) = outline::create_conditionally(resource, "body A");
        Outline::new()
            .step(create, [creates])
            .step(format!("GET {item} (ETag)"), [send(Method::Get, To::Item)])
            .step(
                format!("PUT {item} body A{star}, GET {item}, ×2 (identical PUTs)"),
                [put_get, put_get].concat(),
            )
            .step(format!("PUT {item} body B{star}, GET {item}"), put_get)
            .step(
                format!(
                    "PUT {item} body C{star} (B's length, other content) right away, GET {item}"
                ),
                [
                    send(Method::Put, To::Item).between(0, 1),
                    send(Method::Get, To::Item).between(0, 1),
                ],
            )
    }

    fn execute<'c>(
        &'c self,
        case: Case<'c, '_>,
        _: &'c (),
    ) -> LocalBoxFuture<'c, Result<Record, CaseError>> {
        Box::pin(execute(case.session, case.generator))
    }

    fn judge(&self, record: &Record, _: &Resource, _: &(), _: &Canons) -> Vec<Violation> {
        judge(record)
    }
}

/// Why the check cannot run on a resource, if it cannot.
pub(crate) fn skip_reason(resource: &Resource) -> Option<String> {
    if !resource.conditional.etags {
        return Some("the scenario does not declare ETag support (`etags = true`)".into());
    }
    (!resource.supports(Method::Put)).then(|| "the resource declares no PUT".into())
}

/// What the case observed: the GETs after create, after two identical PUTs of the same body,
/// after a PUT of another body B and (when the template allows one) after a PUT of a body of
/// B's length.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) reads: Vec<Exchange>,
}

/// Create with A; GET; PUT A; GET; PUT A; GET; PUT B; GET; PUT C (B's length); GET.
pub(crate) async fn execute(
    session: &mut Session<'_>,
    generator: &mut BodyGenerator,
) -> Result<Record, CaseError> {
    let template = &session.resource.body;
    let body_a = generator.generate(template);
    let body_b = generator.generate_different(template, &body_a);
    let id = steps::create(session, &body_a, "create with body A").await?;
    let mut reads = vec![steps::read(session, &id, "read the ETag after create").await?];
    for (body, purpose, read) in [
        (
            &body_a,
            "PUT body A again (identical)",
            "read the ETag after the identical PUT",
        ),
        (
            &body_a,
            "PUT body A once more (identical)",
            "read the ETag after the second identical PUT",
        ),
        (&body_b, "PUT another body B", "read the ETag after PUT B"),
    ] {
        put(session, &id, body, purpose).await?;
        reads.push(steps::read(session, &id, read).await?);
    }
    if let Some(body_c) = same_length_variant(generator, template, &body_b) {
        let purpose = "PUT body C: B's length, other content, right after B";
        put(session, &id, &body_c, purpose).await?;
        reads.push(steps::read(session, &id, "read the ETag after PUT C").await?);
    }
    Ok(Record {
        reads: reads.into_iter().map(|r: Read| r.exchange).collect(),
    })
}

async fn put(
    session: &mut Session<'_>,
    id: &str,
    body: &Value,
    purpose: &str,
) -> Result<(), CaseError> {
    let req = steps::overwrite(session.resource, id, body);
    let index = session.send(purpose, req).await?;
    session.require_success(index)
}

/// The oracle.
pub(crate) fn judge(record: &Record) -> Vec<Violation> {
    let mut found: Vec<Violation> = malformed(&record.reads).into_iter().collect();
    // Reads 1 to 3 surround the two identical PUTs; read 4 follows the PUT of body B and
    // read 5 (when sent) the PUT of body C, of B's length.
    found.extend(churn(record.reads.get(..3).unwrap_or(&record.reads)));
    let changes = record.reads.get(2..).unwrap_or_default();
    found.extend(
        changes
            .windows(2)
            .find_map(|pair| unchanged_tag(&pair[0], &pair[1])),
    );
    found
}

/// How many bodies are drawn, per member and for the whole body, to find one of a given length.
const LENGTH_TRIES: usize = 64;

/// A body that differs from `body` but serialises to exactly as many bytes: one top-level
/// member redrawn to a value of the same length (trying each member in turn), else a whole new
/// body of that length; `None` when the template allows none within a bounded number of draws.
pub(crate) fn same_length_variant(
    generator: &mut BodyGenerator,
    template: &TemplateNode,
    body: &Value,
) -> Option<Value> {
    if let (TemplateNode::Object(members), Value::Object(object)) = (template, body) {
        for (name, member) in members {
            let Some(old) = object.get(name) else {
                continue;
            };
            if let Some(new) = redraw_same_length(generator, member, old) {
                let mut variant = object.clone();
                variant.insert(name.clone(), new);
                return Some(Value::Object(variant));
            }
        }
    }
    redraw_same_length(generator, template, body)
}

/// A value drawn from `template` that differs from `old` and has its serialised length.
fn redraw_same_length(
    generator: &mut BodyGenerator,
    template: &TemplateNode,
    old: &Value,
) -> Option<Value> {
    if template.as_literal().is_some() {
        return None;
    }
    let length = old.to_string().len();
    (0..LENGTH_TRIES).find_map(|_| {
        let new = generator.generate(template);
        (new != *old && new.to_string().len() == length).then_some(new)
    })
}

/// The first 2xx GET whose ETag is malformed.
fn malformed(reads: &[Exchange]) -> Option<Violation> {
    let (read, tag) = reads
        .iter()
        .filter(|e| e.response.is_success())
        .find_map(|e| {
            let tag = e.response.header("etag")?;
            EntityTag::parse(tag).is_none().then_some((e, tag))
        })?;
    Some(
        Violation::error("a GET answered a malformed ETag")
            .rule("malformed")
            .expected("\"opaque\" or W/\"opaque\": a quoted opaque tag, optionally weak (RFC 9110 §8.8.3)")
            .observed(format!("{}; ETag: {tag}", answered(read))),
    )
}

/// Consecutive reads around identical PUTs: same representation, yet another tag.
fn churn(reads: &[Exchange]) -> Option<Violation> {
    let pair = reads.windows(2).find(|pair| {
        let [before, after] = pair else { return false };
        let same_body = before.response.body == after.response.body;
        let tags = (
            before.response.header("etag"),
            after.response.header("etag"),
        );
        same_body
            && before.response.is_success()
            && after.response.is_success()
            && matches!(tags, (Some(a), Some(b)) if a != b)
    })?;
    let [before, after] = pair else { return None };
    Some(
        Violation::warning("an identical PUT changed the ETag although the representation did not change")
            .rule("churn")
            .expected("the same ETag while the representation stays the same, so caches and conditional retries keep working (RFC 9110 §8.8.3)")
            .observed(format!(
                "ETag {} became {} with an identical body",
                before.response.header("etag").unwrap_or_default(),
                after.response.header("etag").unwrap_or_default()
            )),
    )
}

/// A changed representation that kept its strong tag.
fn unchanged_tag(before: &Exchange, after: &Exchange) -> Option<Violation> {
    let tag = before.response.header("etag")?;
    let strong = EntityTag::parse(tag).is_some_and(|t| !t.weak);
    let same_tag = after.response.header("etag") == Some(tag);
    let changed = before.response.body != after.response.body;
    (strong && same_tag && changed && before.response.is_success() && after.response.is_success())
        .then(|| {
            Violation::error("a changed representation kept its strong ETag")
                .rule("unchanged-after-change")
                .expected("a new strong ETag whenever the representation changes (RFC 9110 §8.8.1, §8.8.3)")
                .observed(format!("ETag {tag} before and after PUT of another body"))
        })
}
