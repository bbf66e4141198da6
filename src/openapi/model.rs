//! The importer's own view of an OpenAPI document: only the parts it reads, the same for 3.0 and
//! 3.1. The version adapters (`v30`, `v31`) fill it from the parsing crates' types; everything
//! after them (pairing, schema mapping, emitting) works on this model alone.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::exchange::Method;

/// The parts of a document the importer uses.
#[derive(Debug, Clone, Default)]
pub(crate) struct Api {
    /// `openapi` (e.g. `3.1.0`), or `swagger` prefixed: `Swagger 2.0`.
    pub(crate) version: String,
    /// `info.title` and `info.version`.
    pub(crate) title: String,
    pub(crate) api_version: String,
    /// `servers[*].url` with server variables replaced by their defaults (Swagger 2.0:
    /// `schemes[0]://host` + `basePath`).
    pub(crate) servers: Vec<String>,
    /// Every path, in document order.
    pub(crate) paths: Vec<PathItem>,
    /// The schemas references point to, by key: a local component's name (`Thing` for
    /// `#/components/schemas/Thing` or `#/definitions/Thing`), else the reference itself.
    pub(crate) schemas: BTreeMap<String, Schema>,
    /// Request headers the security schemes ask for (`apiKey` in a header, HTTP bearer/basic).
    pub(crate) auth_headers: Vec<AuthHeader>,
}

impl Api {
    /// The path item with exactly this path, if the document has one.
    pub(crate) fn path(&self, path: &str) -> Option<&PathItem> {
        self.paths.iter().find(|p| p.path == path)
    }
}

/// A request header a security scheme needs, for a commented hint in the generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthHeader {
    /// The header name, e.g. `Authorization` or `X-API-Key`.
    pub(crate) name: String,
    /// The value's shape, e.g. `Bearer ` (empty for an API key).
    pub(crate) prefix: String,
}

/// One entry of `paths`.
#[derive(Debug, Clone)]
pub(crate) struct PathItem {
    pub(crate) path: String,
    pub(crate) operations: Vec<Operation>,
}

impl PathItem {
    /// The operation of a method, if documented.
    pub(crate) fn operation(&self, method: Method) -> Option<&Operation> {
        self.operations.iter().find(|op| op.method == method)
    }

    /// True when the method is documented on this path.
    pub(crate) fn has(&self, method: Method) -> bool {
        self.operation(method).is_some()
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamIn {
    Path,
    Query,
    Header,
    Other,
}

/// A documented parameter (a Swagger 2.0 body parameter becomes the request body instead).
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) location: ParamIn,
    pub(crate) required: bool,
    pub(crate) schema: Option<Schema>,
}

/// A documented request body.
#[derive(Debug, Clone)]
pub(crate) struct RequestBody {
    /// Its media types, as written (Swagger 2.0: the operation's `consumes`).
    pub(crate) media_types: Vec<String>,
    /// The schema of its best JSON media type (`application/json`, else another `+json`).
    pub(crate) schema: Option<Schema>,
}

/// One documented operation (path-level parameters already merged in).
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) method: Method,
    /// `operationId`, empty when absent.
    pub(crate) operation_id: String,
    /// `summary`, else the first line of `description`; empty when neither.
    pub(crate) summary: String,
    pub(crate) params: Vec<Param>,
    pub(crate) request: Option<RequestBody>,
    pub(crate) responses: Vec<Response>,
}

impl Operation {
    /// The responses whose status is a 2xx code, in document order (`201` before `2XX`).
    pub(crate) fn successes(&self) -> impl Iterator<Item = &Response> {
        self.responses.iter().filter(|r| r.status.is_success())
    }

    /// True when a response with exactly this status is documented.
    pub(crate) fn documents(&self, status: u16) -> bool {
        self.responses
            .iter()
            .any(|r| r.status == Status::Code(status))
    }

    /// Names of its header parameters, as written.
    pub(crate) fn header_params(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(|p| p.location == ParamIn::Header)
            .map(|p| p.name.as_str())
    }

    /// The header parameter with this name (case-insensitively), if documented.
    pub(crate) fn header(&self, name: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.location == ParamIn::Header && p.name.eq_ignore_ascii_case(name))
    }

    /// The schema of its JSON request body.
    pub(crate) fn request_schema(&self) -> Option<&Schema> {
        self.request.as_ref()?.schema.as_ref()
    }

    /// `operationId` and summary, lower-cased, for looking for words such as "bulk".
    pub(crate) fn words(&self) -> String {
        format!("{} {}", self.operation_id, self.summary).to_ascii_lowercase()
    }
}

/// A documented response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: Status,
    /// Names of its headers, as written.
    pub(crate) headers: Vec<String>,
    /// The schema of a JSON body.
    pub(crate) body: Option<Schema>,
}

impl Response {
    /// True when the response documents the header (case-insensitively).
    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// The key of a response: a status code, a range such as `2XX`, or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Code(u16),
    /// The first digit of a range such as `2XX`.
    Range(u16),
    Default,
}

impl Status {
    /// Parses a `responses` key.
    pub(crate) fn parse(key: &str) -> Option<Status> {
        if key.eq_ignore_ascii_case("default") {
            return Some(Status::Default);
        }
        if key.len() == 3 && key[1..].eq_ignore_ascii_case("xx") {
            return key[..1].parse().ok().map(Status::Range);
        }
        key.parse().ok().map(Status::Code)
    }

    /// A 2xx code or the `2XX` range.
    pub(crate) fn is_success(self) -> bool {
        match self {
            Status::Code(code) => (200..300).contains(&code),
            Status::Range(digit) => digit == 2,
            Status::Default => false,
        }
    }
}

/// A schema, or a reference to one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Schema {
    /// A `$ref` the walker resolved, by its key in [`Api::schemas`].
    Ref(String),
    /// A `$ref` that was not followed (a URL, a file that cannot be read…), and why.
    Unresolved {
        reference: String,
        reason: String,
    },
    /// `true` or `{}`: anything goes.
    Any,
    /// `false`: nothing is valid.
    Nothing,
    Inline(Box<SchemaObject>),
}

/// The JSON types of JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

/// The keywords the importer maps to a body template. Bounds are plain numbers; the 3.0 adapter
/// turns its boolean `exclusiveMinimum` / `exclusiveMaximum` into the 3.1 numeric form.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SchemaObject {
    /// The declared types; empty when `type` is absent. `null` is listed here for 3.0's
    /// `nullable: true` too.
    pub(crate) types: Vec<JsonType>,
    pub(crate) format: Option<String>,
    pub(crate) enum_values: Vec<Value>,
    pub(crate) const_value: Option<Value>,
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_minimum: Option<f64>,
    pub(crate) exclusive_maximum: Option<f64>,
    pub(crate) multiple_of: Option<f64>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) pattern: Option<String>,
    pub(crate) items: Option<Schema>,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) unique_items: bool,
    /// Properties in the parsing crate's order (document order for 3.0, by name for 3.1).
    pub(crate) properties: Vec<(String, Schema)>,
    pub(crate) required: Vec<String>,
    /// True when `additionalProperties` allows members beyond `properties`.
    pub(crate) open_map: bool,
    pub(crate) all_of: Vec<Schema>,
    pub(crate) one_of: Vec<Schema>,
    pub(crate) any_of: Vec<Schema>,
    /// `discriminator.propertyName` and its `mapping` (value → the key of the schema it selects).
    pub(crate) discriminator: Option<Discriminator>,
    pub(crate) read_only: bool,
    pub(crate) write_only: bool,
    /// `example`, then `examples`, in that order.
    pub(crate) examples: Vec<Value>,
    pub(crate) default: Option<Value>,
    pub(crate) description: Option<String>,
}

/// A `discriminator` object.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Discriminator {
    pub(crate) property: String,
    /// Discriminator value → the [`Api::schemas`] key of the schema it selects.
    pub(crate) mapping: Vec<(String, String)>,
}

/// How well a request or response media type fits a JSON body: `Some(0)` for
/// `application/json`, `Some(1)` for another `+json` type (`application/merge-patch+json`…),
/// `Some(2)` for `*/*`, `None` for anything else. Parameters are ignored.
pub(crate) fn json_rank(media_type: &str) -> Option<u8> {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" {
        Some(0)
    } else if essence.starts_with("application/") && essence.ends_with("+json") {
        Some(1)
    } else if essence == "*/*" {
        Some(2)
    } else {
        None
    }
}

/// The value of the best JSON media type among `(media type, value)` entries.
pub(crate) fn best_json<'a, T>(entries: impl IntoIterator<Item = (&'a str, T)>) -> Option<T> {
    entries
        .into_iter()
        .filter_map(|(media_type, value)| json_rank(media_type).map(|rank| (rank, value)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, value)| value)
}

/// Replaces `{name}` in a server URL by the variables' defaults.
pub(crate) fn expand_server_url<'a>(
    url: &str,
    variables: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    variables
        .into_iter()
        .fold(url.to_string(), |url, (name, default)| {
            url.replace(&format!("{{{name}}}"), default)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_codes_ranges_and_default() {
        assert_eq!(Status::parse("201"), Some(Status::Code(201)));
        assert_eq!(Status::parse("2XX"), Some(Status::Range(2)));
        assert_eq!(Status::parse("4xx"), Some(Status::Range(4)));
        assert_eq!(Status::parse("default"), Some(Status::Default));
        assert_eq!(Status::parse("two hundred"), None);
        assert!(Status::Range(2).is_success() && !Status::Code(404).is_success());
    }

    #[test]
    fn json_media_types_rank_exact_json_first() {
        assert_eq!(json_rank("application/json; charset=utf-8"), Some(0));
        assert_eq!(json_rank("application/vnd.api+json"), Some(1));
        assert_eq!(json_rank("application/xml"), None);
        assert_eq!(
            best_json([("*/*", 1), ("application/hal+json", 2), ("text/plain", 3)]),
            Some(2)
        );
    }

    #[test]
    fn server_variables_take_their_defaults() {
        assert_eq!(
            expand_server_url(
                "https://{env}.example.com/{v}",
                [("env", "api"), ("v", "v2")]
            ),
            "https://api.example.com/v2"
        );
    }
}
