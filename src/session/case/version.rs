//! Version tokens in bodies (CouchDB `_rev`, `[resources.NAME.version]`): the case keeps the
//! latest token it saw for each item — from a 2xx GET's body, or a 2xx write's answer — and
//! copies it into every write to that item unless the request says otherwise: into the body
//! member of a PUT (or a PATCH with an object body) that does not carry one of its own (a
//! script's), into `If-Match` of a DELETE that names no precondition of its own. A 404 or 410
//! GET, or a successful DELETE, forgets it (a PUT that creates needs none).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::{Req, Session};
use crate::model::exchange::Method;
use crate::scenario::JsonPointer;

/// Which version token a write carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum VersionUse {
    /// The latest token the case saw for the item (none when it saw none).
    #[default]
    Current,
    /// This token, whatever the case saw since (a stale one, for the checks that test refusal).
    Given(Value),
    /// No token at all.
    Omit,
}

/// The latest token seen per item path.
#[derive(Debug, Default)]
pub(super) struct Versions {
    latest: HashMap<String, Value>,
}

impl Session<'_> {
    /// The token a write to the item `id` would carry now, when the resource declares one and
    /// the case saw one.
    pub(crate) fn version_token(&self, id: &str) -> Option<Value> {
        self.resource.version.as_ref()?;
        self.versions
            .latest
            .get(&self.resource.item_path(id))
            .cloned()
    }

    /// `req` with its version token in place (unchanged when the resource declares none).
    pub(super) fn versioned<'r>(&self, req: &'r Req) -> Cow<'r, Req> {
        let Some(version) = &self.resource.version else {
            return Cow::Borrowed(req);
        };
        let own = req
            .body
            .as_ref()
            .is_some_and(|body| version.member.get(body).is_some());
        let token = match &req.version {
            VersionUse::Current if own => return Cow::Borrowed(req),
            VersionUse::Current => self.versions.latest.get(&req.path).cloned(),
            VersionUse::Given(token) => Some(token.clone()),
            VersionUse::Omit => None,
        };
        match req.method {
            Method::Put | Method::Patch if req.body.as_ref().is_some_and(Value::is_object) => {
                let mut req = req.clone();
                if let Some(body) = req.body.as_mut() {
                    place(body, &version.member, token);
                }
                Cow::Owned(req)
            }
            Method::Delete => match token {
                Some(token) if !has_precondition(req) => {
                    Cow::Owned(req.clone().header("If-Match", &entity_tag(&token)))
                }
                _ => Cow::Borrowed(req),
            },
            _ => Cow::Borrowed(req),
        }
    }

    /// Learns (or forgets) the item's token from the answer recorded at `index`.
    pub(super) fn learn_version(&mut self, req: &Req, index: usize) {
        let Some(version) = &self.resource.version else {
            return;
        };
        let response = &self.exchanges[index].response;
        let status = response.status;
        let body = response.body.json();
        let learned = match req.method {
            Method::Get if response.is_success() => body.and_then(|b| version.member.get(b)),
            Method::Put | Method::Patch if response.is_success() => body.and_then(|b| {
                let answer = version.answer.as_ref().and_then(|a| a.get(b));
                answer.or_else(|| version.member.get(b))
            }),
            _ => None,
        };
        let forget = (req.method == Method::Get && matches!(status, 404 | 410))
            || (req.method == Method::Delete && response.is_success());
        if let Some(token) = learned.filter(|t| t.is_string() || t.is_number()) {
            let token = token.clone();
            self.versions.latest.insert(req.path.clone(), token);
        } else if forget {
            self.versions.latest.remove(&req.path);
        }
    }
}

/// Puts `token` at `member` of an object body (creating the objects on the way), or removes
/// the member when there is no token.
fn place(body: &mut Value, member: &JsonPointer, token: Option<Value>) {
    let Some(token) = token else {
        member.remove(body);
        return;
    };
    let Some((last, parents)) = member.tokens().split_last() else {
        return;
    };
    let mut at = body;
    for name in parents {
        let Value::Object(object) = at else {
            return;
        };
        at = object
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    if let Value::Object(object) = at {
        object.insert(last.clone(), token);
    }
}

fn has_precondition(req: &Req) -> bool {
    req.headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("if-match") || name.eq_ignore_ascii_case("if-none-match")
    })
}

/// A token as an entity tag: a quoted string as it is, anything else quoted.
pub(crate) fn entity_tag(token: &Value) -> String {
    let text = match token {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.starts_with('"') || text.starts_with("W/\"") {
        text
    } else {
        format!("\"{text}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_is_placed_at_its_member_and_removed_when_omitted() {
        let member = JsonPointer::parse("/meta/rev").expect("pointer");
        let mut body = json!({ "name": "a" });
        place(&mut body, &member, Some(json!("2-x")));
        assert_eq!(body, json!({ "name": "a", "meta": { "rev": "2-x" } }));
        place(&mut body, &member, None);
        assert_eq!(body, json!({ "name": "a", "meta": {} }));
    }

    #[test]
    fn tokens_become_quoted_entity_tags() {
        assert_eq!(entity_tag(&json!("1-abc")), "\"1-abc\"");
        assert_eq!(entity_tag(&json!("\"1-abc\"")), "\"1-abc\"");
        assert_eq!(entity_tag(&json!(7)), "\"7\"");
    }
}
