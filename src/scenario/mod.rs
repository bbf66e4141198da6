//! Scenarios: the validated, ready-to-run form of scenario files (the runner's only input about
//! the API), and the loading that turns TOML text into it with file:line:col errors.

pub(crate) mod auth;
pub(crate) mod check_options;
mod convert;
pub(crate) mod drawn;
pub(crate) mod error;
pub(crate) mod generate;
pub(crate) mod interpolate;
pub(crate) mod listing;
pub(crate) mod load;
pub(crate) mod model;
pub(crate) mod nesting;
pub(crate) mod placeholder;
pub(crate) mod pointer;
pub(crate) mod representation;
pub(crate) mod size;
pub(crate) mod template;
mod validate;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::model::exchange::Method;
use crate::model::redact::Scrubber;
pub(crate) use check_options::{CheckOptions, OptionsTable};
pub(crate) use error::ScenarioError;
pub use listing::ListingFormat;
pub use listing::Pages;
pub(crate) use listing::{IdField, Listing};
pub(crate) use load::{load_paths, load_paths_with, load_str};
pub(crate) use nesting::Parent;
pub use pointer::IgnorePattern;
pub(crate) use pointer::JsonPointer;
pub(crate) use representation::Representation;
#[cfg(test)]
pub(crate) use representation::RepresentationKind;
pub(crate) use template::TemplateNode;
pub(crate) use validate::{
    BAD_HEADER_VALUE, BaseUrlError, REDACTED, check_base_url, is_credential_name, is_header_name,
    is_header_value,
};

/// Default per-request timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default prefix of run-owned ids.
pub(crate) const DEFAULT_ID_PREFIX: &str = "idf";

/// One validated scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from, as given by the user.
    pub(crate) path: PathBuf,
    /// `[target]`: where the API lives and how requests are decorated.
    pub target: Target,
    /// `[resources.NAME]`, in file order.
    pub resources: Vec<Resource>,
    pub(crate) scripts: Vec<Script>,
}

/// Where the API lives and how every request is decorated.
#[derive(Debug, Clone)]
pub struct Target {
    /// From the file; `--base-url` / `IDEMFUZZ_BASE_URL` override it. `None` means the user must
    /// supply one.
    pub base_url: Option<String>,
    pub(crate) headers: Vec<TargetHeader>,
    pub(crate) timeout: Duration,
    pub(crate) id_prefix: String,
    /// `[target.auth]`: the Authorization header every request carries, if any.
    pub(crate) auth: Option<auth::Auth>,
    /// `max_body_bytes`: the largest body a template may produce, and a script step's body
    /// and headers may become once filled with captured values.
    pub(crate) max_body_bytes: u64,
}

/// A default header; `secret` values never appear in any output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetHeader {
    pub(crate) name: String,
    /// The value sent on the wire.
    pub(crate) value: String,
    /// The value shown in reports and curl reproductions: the file's text with `${VAR}`
    /// uninterpolated when it came from the environment, `<redacted>` for a literal secret,
    /// the value itself otherwise.
    pub(crate) shown: String,
    /// True when the value came from the environment or the header name is a credential
    /// (Authorization, Cookie, anything with "token", "key", "secret" or "auth" in its name).
    pub(crate) secret: bool,
    /// True when the value came from the environment (`shown` then holds the `${VAR}`s).
    pub(crate) from_env: bool,
}

impl TargetHeader {
    /// A default header from its name and its value after `${VAR}` interpolation: secret when
    /// the value came from the environment or the name is a credential's; shown as written
    /// (`Bearer ${API_TOKEN}`), as `<redacted>` for a literal secret, or as it is otherwise.
    /// The one rule for `[target.headers]` and `-H NAME:VALUE`.
    pub(crate) fn new(name: String, value: interpolate::Interpolated) -> TargetHeader {
        let secret = value.used_env || is_credential_name(&name);
        let shown = if value.used_env {
            value.shown
        } else if secret {
            REDACTED.to_owned()
        } else {
            value.value.clone()
        };
        TargetHeader {
            name,
            value: value.value,
            shown,
            secret,
            from_env: value.used_env,
        }
    }
}

impl Scenario {
    /// The environment variables the file's `[target.headers]` and `[target.auth]` read, by
    /// name (what `run` needs set; `check` reports them).
    pub(crate) fn variables(&self) -> std::collections::BTreeSet<String> {
        let headers = self
            .target
            .headers
            .iter()
            .filter(|h| h.from_env)
            .map(|h| h.shown.as_str());
        let auth = match &self.target.auth {
            Some(auth::Auth::Bearer(token)) => vec![token],
            Some(auth::Auth::Basic { user, password }) => vec![user, password],
            Some(auth::Auth::Command(_)) | None => Vec::new(),
        };
        let auth = auth.into_iter().filter_map(|s| s.from_env.as_deref());
        headers
            .chain(auth)
            .flat_map(interpolate::variables)
            .collect()
    }
}

impl Scrubber {
    /// A scrubber for the secret headers of a target.
    pub(crate) fn for_headers(headers: &[TargetHeader]) -> Scrubber {
        let mut scrubber = Scrubber::default();
        for header in headers.iter().filter(|h| h.secret) {
            scrubber.add(&header.value, &header.shown);
        }
        scrubber
    }
}

/// How a check makes a fresh resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    /// PUT to the item path with a client-chosen, run-unique id.
    Put,
    /// POST to the collection; the server assigns the id.
    Post,
}

/// Where a POST-created resource's id is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostId {
    /// The last path segment of the `Location` header.
    Location,
    /// A JSON pointer into the response body.
    Pointer(JsonPointer),
}

/// A resource the built-in checks exercise.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The `NAME` of `[resources.NAME]`.
    pub name: String,
    /// Collection path, e.g. `/things`.
    pub collection: String,
    /// Item path template containing `{id}`.
    pub item: String,
    /// How the checks create an item (POST to the collection, or PUT to a fresh id).
    pub create: CreateMode,
    /// `Some` when the collection accepts POST.
    pub post_id: Option<PostId>,
    /// How a listed entry's id is read (default: the member `/id`).
    pub id_field: IdField,
    /// How the collection is listed (default: a JSON array at the root of a GET of the
    /// collection).
    pub listing: Listing,
    /// Methods the item supports.
    pub(crate) methods: BTreeSet<Method>,
    /// How bodies are sent (JSON by default).
    pub(crate) representation: Representation,
    /// Statuses accepted for a PUT that creates: `[201]` (RFC 9110 §9.3.4), or what the
    /// scenario declares for an API known to deviate (S3 answers 200).
    pub(crate) put_create_statuses: Vec<u16>,
    /// The body template the checks generate bodies from.
    pub body: TemplateNode,
    /// Top-level members a partial body keeps.
    pub required: Vec<String>,
    /// Members left out of every state comparison.
    pub ignore: Vec<IgnorePattern>,
    pub(crate) detect_volatile: bool,
    /// Times in members the client does not send are write metadata, masked in comparisons
    /// (`write_metadata`, default true; see `crate::snapshot::write_time`).
    pub(crate) write_metadata: bool,
    /// Idempotency-Key support of the collection's POST, when declared.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The patch format PATCH takes, when the scenario declares one.
    pub patch: Option<crate::model::fuzz::ops::PatchFormat>,
    /// The `[resources.NAME.checks.CHECK]` tables, each read by its check.
    pub checks: CheckOptions,
    /// Clients the concurrency checks (`concurrent-put`, `concurrent-post-key`) run at once.
    pub(crate) concurrent_clients: u32,
    /// Conditional-request support.
    pub conditional: Conditional,
    /// `Some` when the resource supports POST-PUT creation.
    pub(crate) post_put: Option<PostPut>,
    /// `Some` when every write must carry a version token from the latest read (CouchDB
    /// `_rev`).
    pub(crate) version: Option<VersionToken>,
    /// `Some` for a nested resource: the resource each case creates first, whose id fills
    /// the `{NAME}` segment of `collection`, `item` and the listing's path.
    pub(crate) parent: Option<Box<Parent>>,
}

/// A version token in the body: read from every GET (or a write's answer) of an item, copied
/// into every write to it (the body member for PUT and PATCH, `If-Match` for DELETE). A write
/// with a stale token must fail (409 or 412), like a stale `If-Match` (RFC 9110 §13.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionToken {
    /// Where the token is in the resource's representation (and goes in a PUT body).
    pub(crate) member: JsonPointer,
    /// Where a write's 2xx answer carries the new token, when it does.
    pub(crate) answer: Option<JsonPointer>,
}

/// Default of `concurrent_clients`.
pub(crate) const DEFAULT_CONCURRENT_CLIENTS: u32 = 8;

/// Conditional-request support of a resource (RFC 9110 §13, RFC 6585 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditional {
    /// Item GETs carry ETags and writes honour `If-Match` / `If-None-Match`.
    pub etags: bool,
    /// Every PUT must carry `If-Match` or `If-None-Match`; an unconditional one is answered 428.
    pub preconditions_required: bool,
}

/// POST-PUT creation: an empty POST to the collection creates an empty item (no domain side
/// effect), and a PUT to it fills it; the PUT can be retried safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PostPut {
    pub(crate) empty_body: EmptyBody,
}

/// What the empty POST of POST-PUT creation sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmptyBody {
    /// No content at all.
    None,
    /// `{}` as `application/json`.
    EmptyObject,
}

impl Resource {
    /// The item path for an id, encoded as one path segment.
    pub(crate) fn item_path(&self, id: &str) -> String {
        crate::http::wire_url::item_path(&self.item, id)
    }

    /// True when the scenario declares that the collection cannot be listed.
    pub(crate) fn unlistable(&self) -> bool {
        self.listing.is_none()
    }

    /// True when the item supports the method.
    pub fn supports(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }
}

/// Idempotency-Key support of a collection's POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The header's name (e.g. `Idempotency-Key`).
    pub header: String,
    /// Accepted statuses for the same key with another body; empty means 422 (another 4xx is a
    /// warning).
    pub mismatch_statuses: Vec<u16>,
    /// Accepted statuses for a request whose key is still in flight (default 409).
    pub(crate) in_flight_statuses: Vec<u16>,
    /// Whether an error answer is replayed to a retry too (default true).
    pub(crate) replays_errors: bool,
    /// How long the API keeps a key, when declared.
    pub(crate) expires_after: Option<Duration>,
}

impl IdempotencyKey {
    /// Support under `header`, with the draft's expectations.
    pub(crate) fn new(header: impl Into<String>) -> IdempotencyKey {
        IdempotencyKey {
            header: header.into(),
            mismatch_statuses: Vec::new(),
            in_flight_statuses: vec![409],
            replays_errors: true,
            expires_after: None,
        }
    }
}

/// A validated hand-written script.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub(crate) name: String,
    /// Index into [`Scenario::resources`].
    pub(crate) resource: usize,
    pub(crate) steps: Vec<Step>,
    /// Pairs of step indexes (0-based) whose item snapshots must be equal.
    pub(crate) same_state: Vec<(usize, usize)>,
}

/// One step of a script.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// The name given in the file, or `step N`.
    pub(crate) name: String,
    pub(crate) method: Method,
    /// Path with `{id}` and `{capture}` placeholders.
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    /// JSON body with `"{capture}"` placeholders still in it.
    pub(crate) body: Option<Value>,
    pub(crate) repeat: u32,
    pub(crate) expect: Expect,
    pub(crate) capture: Vec<(String, Capture)>,
}

/// Per-step expectations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expect {
    /// Empty means any status.
    pub(crate) status: Vec<u16>,
    /// Lower-case header names that must be present.
    pub(crate) headers: Vec<String>,
    pub(crate) json: Vec<(JsonPointer, Value)>,
}

/// Where a captured value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Capture {
    Header(String),
    Pointer(JsonPointer),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::Body;

    #[test]
    fn echoed_secrets_are_scrubbed_from_text_and_json() {
        let scrubber = Scrubber::for_headers(&[TargetHeader {
            name: "Authorization".into(),
            value: "Bearer tok-123456".into(),
            shown: "Bearer ${API_TOKEN}".into(),
            secret: true,
            from_env: true,
        }]);
        assert_eq!(
            scrubber.text("got Bearer tok-123456!"),
            "got Bearer ${API_TOKEN}!"
        );
        assert_eq!(scrubber.text("token=tok-123456"), "token=<redacted>");
        let body = Body::Json {
            value: serde_json::json!({"echo": {"authorization": "Bearer tok-123456"}}),
        };
        assert_eq!(
            scrubber.body(body),
            Body::Json {
                value: serde_json::json!({"echo": {"authorization": "Bearer ${API_TOKEN}"}})
            }
        );
        assert_eq!(scrubber.text("Bearer stays"), "Bearer stays");
    }
}
