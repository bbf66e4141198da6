//! The scenario file schema as it is written in TOML: every table and key a user may write.
//!
//! These types mirror the file one to one and reject unknown keys; `load` turns them into the
//! validated [`crate::scenario::Scenario`] the runner uses. The reference is `docs/scenarios.md`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use crate::scenario::template::TemplateNode;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioDoc {
    /// Where the API lives and how to talk to it.
    #[serde(default)]
    pub(crate) target: TargetDoc,
    /// Resources the built-in checks exercise, by name.
    #[serde(default)]
    pub(crate) resources: BTreeMap<Spanned<String>, Spanned<ResourceDoc>>,
    /// Hand-written step-by-step scenarios.
    #[serde(default)]
    pub(crate) scripts: Vec<Spanned<ScriptDoc>>,
}

/// `[target]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetDoc {
    /// Base URL, e.g. `https://staging.example.com/api`; `--base-url` overrides it.
    pub(crate) base_url: Option<Spanned<String>>,
    /// Headers sent with every request; values may use `${ENV_VAR}`.
    #[serde(default)]
    pub(crate) headers: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Per-request timeout, e.g. `"10s"` or `"500ms"`.
    pub(crate) timeout: Option<Spanned<String>>,
    /// Prefix of every id idemfuzz creates (a run-unique suffix is appended).
    pub(crate) id_prefix: Option<Spanned<String>>,
    /// `[target.auth]`: how requests authenticate.
    pub(crate) auth: Option<Spanned<AuthDoc>>,
    /// The largest body a resource's template may produce, in bytes (default 1 MiB).
    pub(crate) max_body_bytes: Option<Spanned<i64>>,
}

/// `[resources.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceDoc {
    /// Collection path, e.g. `/things`.
    pub(crate) collection: Spanned<String>,
    /// Item path template containing `{id}`, e.g. `/things/{id}`.
    pub(crate) item: Spanned<String>,
    /// How checks create a fresh resource: `"put"` (client-chosen id) or `"post"`.
    #[serde(default)]
    pub(crate) create: Option<Spanned<String>>,
    /// Where the id of a POST-created resource is found: `"location"` or a JSON pointer.
    /// Setting it declares that the collection accepts POST.
    pub(crate) post_id: Option<Spanned<String>>,
    /// JSON pointer of the id inside an item representation (used to filter collections).
    pub(crate) id_field: Option<Spanned<String>>,
    /// JSON pointer of the array of items inside a collection response (`""` = the root).
    pub(crate) items: Option<Spanned<String>>,
    /// Methods the item supports; default derived from `create` and `post_id`.
    pub(crate) methods: Option<Spanned<Vec<Spanned<String>>>>,
    /// Body template for PUT and POST.
    pub(crate) body: Spanned<TemplateNode>,
    /// The media type of bodies: `"json"` (default), `"text"`, `"bytes"`, `"form"` or
    /// `"template"`.
    pub(crate) representation: Option<Spanned<String>>,
    /// The one `Content-Type` sent with bodies (default: the representation's).
    pub(crate) content_type: Option<Spanned<String>>,
    /// The text of a `template` representation, with `{slot}` placeholders.
    pub(crate) template: Option<Spanned<String>>,
    /// Statuses accepted for a PUT that creates (default 201, as RFC 9110 §9.3.4 requires).
    pub(crate) put_create_statuses: Option<Spanned<StatusesDoc>>,
    /// Top-level fields a partial body keeps; every other field is optional.
    #[serde(default)]
    pub(crate) required: Vec<Spanned<String>>,
    /// JSON pointers (with `*` wildcards) of server-managed fields excluded from comparisons.
    #[serde(default)]
    pub(crate) ignore: Vec<Spanned<String>>,
    /// Whether volatile fields are detected by two GETs with no write between (default true).
    pub(crate) detect_volatile: Option<bool>,
    /// Whether times in members the client does not send are write metadata, ignored in
    /// comparisons (default true).
    pub(crate) write_metadata: Option<bool>,
    /// Idempotency-Key support of the collection's POST.
    pub(crate) idempotency_key: Option<Spanned<IdempotencyKeyDoc>>,
    /// The patch format the item accepts with PATCH: `"merge"` (RFC 7396) or `"json-patch"`
    /// (RFC 6902). Declaring it adds PATCH to the default methods.
    pub(crate) patch: Option<Spanned<String>>,
    /// Per-check options; a check not named runs with its defaults. Declared so that
    /// `deny_unknown_fields` accepts the tables; [`crate::scenario::CheckOptions`] reads them
    /// from the file's TOML.
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "deserialized to accept and check the tables, read elsewhere"
    )]
    pub(crate) checks: ChecksDoc,
    /// How many clients the concurrency checks run at once (default 8).
    pub(crate) concurrent_clients: Option<Spanned<i64>>,
    /// Whether item GETs carry ETags and writes honour `If-Match` / `If-None-Match`
    /// (default false: the conditional-request checks are skipped).
    pub(crate) etags: Option<Spanned<bool>>,
    /// Whether every PUT must be conditional: an unconditional PUT is answered 428 (default
    /// false). Needs `etags = true`.
    pub(crate) preconditions_required: Option<Spanned<bool>>,
    /// POST-PUT creation: an empty POST creates an empty item, which a PUT then fills.
    pub(crate) post_put: Option<Spanned<PostPutDoc>>,
    /// How the collection is listed (path, format, ids, pages); default: a JSON listing of the
    /// collection path, as `items` and `id_field` say.
    pub(crate) listing: Option<Spanned<ListingDoc>>,
    /// A version token in the body (CouchDB `_rev`) that every write copies from the latest
    /// read or write answer.
    pub(crate) version: Option<Spanned<VersionDoc>>,
}

/// `[resources.NAME.version]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VersionDoc {
    /// JSON pointer of the token in the resource's representation, e.g. `/_rev`.
    pub(crate) member: Spanned<String>,
    /// JSON pointer of the new token in a write's 2xx answer, e.g. `/rev`.
    pub(crate) answer: Option<Spanned<String>>,
}

/// `[resources.NAME.listing]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListingDoc {
    /// The path of the listing request (default: the collection); may hold a fixed query.
    pub(crate) path: Option<Spanned<String>>,
    /// `"json"` (default), `"xml"`, `"propfind"` or `"none"`.
    pub(crate) format: Option<Spanned<String>>,
    /// Where the entries are: a JSON pointer (json) or an element path (xml).
    pub(crate) items: Option<Spanned<String>>,
    /// Where an entry's id is: a JSON pointer (json) or an element path (xml).
    pub(crate) id: Option<Spanned<String>>,
    /// A regex with a named group `id` that picks the id out of the text at `id`.
    pub(crate) id_pattern: Option<Spanned<String>>,
    /// How the next page is found.
    pub(crate) next: Option<Spanned<NextDoc>>,
    /// Most pages one listing reads (default 100).
    pub(crate) max_pages: Option<Spanned<i64>>,
    /// A query with `{id}` that makes the server list only that id, e.g. `"id={id}"`.
    pub(crate) filter: Option<Spanned<String>>,
}

/// `listing.next`: exactly one way to the next page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NextDoc {
    /// The relation of the `Link` field to follow, usually `"next"`.
    pub(crate) link: Option<Spanned<String>>,
    /// Where the next page's URL is in the document.
    pub(crate) url: Option<Spanned<String>>,
    /// Where the next page's token is in the document (with `param`).
    pub(crate) token: Option<Spanned<String>>,
    /// The query parameter a token or page number is sent in.
    pub(crate) param: Option<Spanned<String>>,
    /// The query parameter of the page number (2, 3, …).
    pub(crate) page: Option<Spanned<String>>,
}

/// `[resources.NAME.post_put]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostPutDoc {
    /// What the empty POST sends: `"none"` (no body, the default) or `"{}"` (an empty JSON object).
    pub(crate) empty_body: Option<Spanned<String>>,
}

/// `[resources.NAME.idempotency_key]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdempotencyKeyDoc {
    /// Header name, default `Idempotency-Key`.
    pub(crate) header: Option<Spanned<String>>,
    /// Statuses accepted for the same key with a different body (default: 422 per the draft;
    /// another 4xx is a warning).
    pub(crate) mismatch_statuses: Option<Spanned<StatusesDoc>>,
    /// Statuses accepted for a request whose key is still in flight (default 409 per the draft).
    pub(crate) in_flight_statuses: Option<Spanned<StatusesDoc>>,
    /// Whether an error answer is replayed too (default true per the draft).
    pub(crate) replays_errors: Option<bool>,
    /// How long the API keeps a key, e.g. `"24h"` (default: not declared).
    pub(crate) expires_after: Option<Spanned<String>>,
}

/// `[resources.NAME.checks]`: one table per check, by check name. Each check reads and
/// validates its own table ([`crate::scenario::CheckOptions`]); here it is only a table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChecksDoc;

impl<'de> Deserialize<'de> for ChecksDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ChecksVisitor)
    }
}

struct ChecksVisitor;

impl<'de> Visitor<'de> for ChecksVisitor {
    type Value = ChecksDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ChecksDoc")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ChecksDoc, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(ChecksDoc)
    }
}

/// Options of a check that has nothing to set but `enabled`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToggleDoc {
    /// Read by [`crate::scenario::CheckOptions::enabled`]; here so that the key is accepted and
    /// type-checked.
    #[serde(rename = "enabled")]
    _enabled: Option<bool>,
}

/// `[[scripts]]`: a hand-written sequence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScriptDoc {
    pub(crate) name: Spanned<String>,
    /// The resource whose fresh run-owned id `{id}` stands for, and whose ignore rules apply.
    pub(crate) resource: Spanned<String>,
    pub(crate) steps: Vec<Spanned<StepDoc>>,
    /// State assertions over snapshots taken after named steps.
    #[serde(default)]
    pub(crate) same_state: Vec<Spanned<SameStateDoc>>,
}

/// `[[scripts.steps]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepDoc {
    /// A name other steps and assertions refer to.
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) method: Spanned<String>,
    /// Path with `{id}` and `{capture}` placeholders.
    pub(crate) path: Spanned<String>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<Spanned<String>, Spanned<String>>,
    /// JSON body; string values `"{capture}"` / `"{capture+1}"` are replaced by captured values.
    pub(crate) body: Option<Spanned<toml::Value>>,
    /// Send the same request this many times (default 1); expectations apply to every send.
    pub(crate) repeat: Option<Spanned<i64>>,
    #[serde(default)]
    pub(crate) expect: ExpectDoc,
    /// Values captured from the (last) response, by name.
    #[serde(default)]
    pub(crate) capture: BTreeMap<Spanned<String>, Spanned<CaptureDoc>>,
}

/// `expect = { ... }` of a step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectDoc {
    /// Accepted statuses: one status or an array.
    pub(crate) status: Option<Spanned<StatusesDoc>>,
    /// Header names that must be present.
    #[serde(default)]
    pub(crate) headers: Vec<Spanned<String>>,
    /// JSON pointer → value the response body must have there.
    #[serde(default)]
    pub(crate) json: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `capture.NAME = { header = "etag" }` or `{ pointer = "/n" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptureDoc {
    pub(crate) header: Option<Spanned<String>>,
    pub(crate) pointer: Option<Spanned<String>>,
}

/// `[[scripts.same_state]]`: the item after step `a` equals the item after step `b`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SameStateDoc {
    /// Two step references: a step name, a 1-based index, or `"last"`.
    pub(crate) after: [Spanned<StepRefDoc>; 2],
}

/// A list of HTTP statuses, written as one integer or an array of integers. Range checks happen
/// in validation, so an out-of-range status gets a clear message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusesDoc(pub Vec<i64>);

impl<'de> Deserialize<'de> for StatusesDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StatusesVisitor)
    }
}

struct StatusesVisitor;

impl<'de> Visitor<'de> for StatusesVisitor {
    type Value = StatusesDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an HTTP status or an array of HTTP statuses")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusesDoc, E> {
        Ok(StatusesDoc(vec![v]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusesDoc, A::Error> {
        let mut statuses = Vec::new();
        while let Some(status) = seq.next_element::<i64>()? {
            statuses.push(status);
        }
        Ok(StatusesDoc(statuses))
    }
}

/// A reference to a script step: its name, its 1-based position, or `"last"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepRefDoc {
    Name(String),
    Index(i64),
}

impl<'de> Deserialize<'de> for StepRefDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StepRefVisitor)
    }
}

struct StepRefVisitor;

impl<'de> Visitor<'de> for StepRefVisitor {
    type Value = StepRefDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a step name, a 1-based step number, or \"last\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StepRefDoc, E> {
        Ok(StepRefDoc::Index(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<StepRefDoc, E> {
        Ok(StepRefDoc::Name(v.to_owned()))
    }
}

/// `[target.auth]`: exactly one of the keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthDoc {
    /// A bearer token, usually `"${API_TOKEN}"`.
    pub(crate) bearer: Option<Spanned<String>>,
    /// Basic credentials.
    pub(crate) basic: Option<Spanned<BasicDoc>>,
    /// A shell command whose standard output is the bearer token.
    pub(crate) command: Option<Spanned<String>>,
}

/// `basic = { user = "...", password = "..." }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BasicDoc {
    pub(crate) user: Spanned<String>,
    pub(crate) password: Spanned<String>,
}
