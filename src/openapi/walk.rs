//! The one walker of every version: a document's [`Node`] tree → the importer's
//! [`model`](super::model). OpenAPI 3.0, 3.1 and Swagger 2.0 share it; they differ only where
//! the request body, response bodies, servers and security schemes are written, and those
//! places branch on the [`Dialect`]. Objects are walked in document order, `$ref`s are resolved
//! through [`Documents`] (local pointers and files beside the document), and schemas become
//! [`Schema`]s in [`walk_schema`](super::walk_schema).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::documents::{Documents, FileId, MAIN, Target};
use super::model::{
    Api, AuthHeader, Operation, Param, ParamIn, PathItem, RequestBody, Response, Schema, Status,
    best_json, expand_server_url, json_rank,
};
use super::node::Node;
use crate::model::exchange::Method;

/// References followed in a row (a reference to a reference…) before giving up.
const MAX_HOPS: usize = 16;

/// Which version's layout the document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Swagger 2.0: body parameters, `consumes` / `produces`, `definitions`.
    V2,
    V30,
    V31,
}

/// The methods an operation can be documented for, with their `paths` keys.
const METHODS: [(&str, Method); 7] = [
    ("get", Method::Get),
    ("head", Method::Head),
    ("options", Method::Options),
    ("put", Method::Put),
    ("post", Method::Post),
    ("patch", Method::Patch),
    ("delete", Method::Delete),
];

/// Walks a parsed document into the model.
pub(crate) fn api(docs: Documents, dialect: Dialect, version: String) -> Api {
    let mut walker = Walker {
        docs,
        dialect,
        schemas: BTreeMap::new(),
        keys: HashMap::new(),
        taken: HashSet::new(),
        pending: Vec::new(),
    };
    let root = walker.docs.root(MAIN);
    walker.register_components(&root);
    let info = root.get("info");
    let paths = root
        .get("paths")
        .map(|paths| walker.paths(paths, &root))
        .unwrap_or_default();
    let mut api = Api {
        version,
        title: info.and_then(|i| i.str_of("title")).unwrap_or("").into(),
        api_version: info
            .and_then(|i| i.get("version"))
            .map(Node::scalar_text)
            .unwrap_or_default(),
        servers: walker.servers(&root),
        paths,
        schemas: BTreeMap::new(),
        auth_headers: walker.auth_headers(&root),
    };
    walker.finish();
    api.schemas = walker.schemas;
    api
}

/// The walk's state: the documents, and the schemas references led to.
pub(super) struct Walker {
    pub(super) docs: Documents,
    pub(super) dialect: Dialect,
    /// Converted schemas by key.
    pub(super) schemas: BTreeMap<String, Schema>,
    /// The key given to each reference target.
    pub(super) keys: HashMap<Target, String>,
    /// Keys in use.
    pub(super) taken: HashSet<String>,
    /// Targets given a key but not converted yet.
    pub(super) pending: Vec<(String, Target)>,
}

impl Walker {
    /// Gives every schema of `components.schemas` (Swagger 2.0: `definitions`) its name as key.
    fn register_components(&mut self, root: &Node) {
        let (container, prefix) = match self.dialect {
            Dialect::V2 => (root.get("definitions"), "/definitions/"),
            Dialect::V30 | Dialect::V31 => {
                (root.pointer("/components/schemas"), "/components/schemas/")
            }
        };
        for (name, _) in container.map(Node::members).unwrap_or_default() {
            let target = Target {
                file: MAIN,
                pointer: format!("{prefix}{}", escape(name)),
            };
            self.taken.insert(name.clone());
            self.keys.insert(target.clone(), name.clone());
            self.pending.push((name.clone(), target));
        }
    }

    /// Converts every schema a reference led to (which may lead to more).
    fn finish(&mut self) {
        while let Some((key, target)) = self.pending.pop() {
            let schema = match self.docs.node(&target) {
                Some((root, pointer)) => match root.pointer(&pointer) {
                    Some(node) => self.schema(node, target.file),
                    None => Schema::Any,
                },
                None => Schema::Unresolved {
                    reference: key.clone(),
                    reason: "the document has nothing there".into(),
                },
            };
            self.schemas.insert(key, schema);
        }
    }

    /// The schema a `$ref` points to, as [`Schema::Ref`] of its key (converted later), or why
    /// it cannot be followed.
    pub(super) fn schema_ref(&mut self, reference: &str, file: FileId) -> Schema {
        let target = match self.docs.resolve(reference, file) {
            Ok(target) => target,
            Err(reason) => {
                return Schema::Unresolved {
                    reference: reference.to_string(),
                    reason,
                };
            }
        };
        if let Some(key) = self.keys.get(&target) {
            return Schema::Ref(key.clone());
        }
        if self.docs.node(&target).is_none() {
            return Schema::Unresolved {
                reference: reference.to_string(),
                reason: "the document has nothing there".into(),
            };
        }
        let key = self.key_for(&target);
        self.taken.insert(key.clone());
        self.keys.insert(target.clone(), key.clone());
        self.pending.push((key.clone(), target));
        Schema::Ref(key)
    }

    /// A readable key: the schema's name when it is a component (`…/schemas/Pet`,
    /// `…/definitions/Pet`, `…/$defs/Pet`) and the name is free, else the reference.
    fn key_for(&self, target: &Target) -> String {
        let name = ["/components/schemas/", "/definitions/", "/$defs/"]
            .iter()
            .find_map(|prefix| target.pointer.strip_prefix(prefix))
            .filter(|name| !name.contains('/'))
            .map(unescape);
        match name {
            Some(name) if !self.taken.contains(&name) => name,
            _ => format!("{}#{}", self.docs.name(target.file), target.pointer),
        }
    }

    /// The node a `$ref` chain ends at (the node itself when it has no `$ref`), and the
    /// document it is in.
    pub(super) fn deref(&mut self, node: &Node, file: FileId) -> Option<(Node, FileId)> {
        let mut current = node.clone();
        let mut file = file;
        for _ in 0..MAX_HOPS {
            let Some(reference) = current.str_of("$ref") else {
                return Some((current, file));
            };
            let target = self.docs.resolve(reference, file).ok()?;
            let (root, pointer) = self.docs.node(&target)?;
            current = root.pointer(&pointer)?.clone();
            file = target.file;
        }
        None
    }

    fn paths(&mut self, paths: &Node, root: &Node) -> Vec<PathItem> {
        let mut items = Vec::new();
        for (path, item) in paths.members() {
            if !path.starts_with('/') {
                continue;
            }
            if let Some((item, file)) = self.deref(item, MAIN) {
                items.push(self.path_item(path, &item, file, root));
            }
        }
        items
    }

    fn path_item(&mut self, path: &str, item: &Node, file: FileId, root: &Node) -> PathItem {
        let shared = self.raw_params(item.get("parameters"), file);
        let mut operations = Vec::new();
        for (key, method) in METHODS {
            if let Some(op) = item.get(key).filter(|op| op.is_object()) {
                operations.push(self.operation(method, op, &shared, file, root));
            }
        }
        PathItem {
            path: path.to_string(),
            operations,
        }
    }

    /// Parameters, references followed, each with the document it is in.
    fn raw_params(&mut self, list: Option<&Node>, file: FileId) -> Vec<(Node, FileId)> {
        list.map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| self.deref(p, file))
            .filter(|(p, _)| p.is_object())
            .collect()
    }

    fn operation(
        &mut self,
        method: Method,
        op: &Node,
        shared: &[(Node, FileId)],
        file: FileId,
        root: &Node,
    ) -> Operation {
        let own = self.raw_params(op.get("parameters"), file);
        let key = |p: &Node| {
            (
                p.str_of("name").unwrap_or("").to_string(),
                p.str_of("in").unwrap_or("").to_string(),
            )
        };
        let own_keys: Vec<_> = own.iter().map(|(p, _)| key(p)).collect();
        let all: Vec<(Node, FileId)> = shared
            .iter()
            .filter(|(p, _)| !own_keys.contains(&key(p)))
            .cloned()
            .chain(own)
            .collect();
        let mut params = Vec::new();
        let mut body = None;
        let mut form = Vec::new();
        for (p, pfile) in &all {
            match p.str_of("in").unwrap_or("") {
                "body" => body = Some((p.clone(), *pfile)),
                "formData" => form.push(p.flag("required")),
                _ => params.push(self.param(p, *pfile)),
            }
        }
        let request = match self.dialect {
            Dialect::V2 => self.v2_request(op, root, body, &form),
            Dialect::V30 | Dialect::V31 => op
                .get("requestBody")
                .and_then(|b| self.deref(b, file))
                .map(|(b, bfile)| self.v3_request(&b, bfile)),
        };
        let summary = op
            .str_of("summary")
            .filter(|s| !s.trim().is_empty())
            .or_else(|| op.str_of("description"))
            .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or("")
            .to_string();
        Operation {
            method,
            operation_id: op.str_of("operationId").unwrap_or("").to_string(),
            summary,
            params,
            request,
            responses: self.responses(op, file, root),
        }
    }

    fn param(&mut self, p: &Node, file: FileId) -> Param {
        let location = match p.str_of("in").unwrap_or("") {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => ParamIn::Header,
            _ => ParamIn::Other,
        };
        let schema = match (self.dialect, p.get("schema")) {
            (_, Some(schema)) => Some(self.schema(schema, file)),
            // Swagger 2.0 writes a parameter's type on the parameter itself.
            (Dialect::V2, None) => Some(self.schema(p, file)),
            (_, None) => p
                .get("content")
                .and_then(|content| json_member(content))
                .and_then(|media| media.get("schema"))
                .map(|schema| self.schema(schema, file)),
        };
        Param {
            name: p.str_of("name").unwrap_or("").to_string(),
            location,
            required: p.flag("required"),
            schema,
        }
    }

    fn v3_request(&mut self, body: &Node, file: FileId) -> RequestBody {
        let content = body.get("content");
        let media_types = content
            .map(Node::members)
            .unwrap_or_default()
            .iter()
            .map(|(media, _)| media.clone())
            .collect();
        let schema = content
            .and_then(json_member)
            .and_then(|media| media.get("schema"))
            .map(|schema| self.schema(schema, file));
        RequestBody {
            media_types,
            schema,
        }
    }

    /// Swagger 2.0: the `in: body` parameter is the request body, sent as the operation's
    /// `consumes` (JSON when it says nothing); `in: formData` parameters make a form body.
    fn v2_request(
        &mut self,
        op: &Node,
        root: &Node,
        body: Option<(Node, FileId)>,
        form: &[bool],
    ) -> Option<RequestBody> {
        let consumes = media_list(op, root, "consumes");
        if let Some((param, file)) = body {
            let media_types = if consumes.is_empty() {
                vec!["application/json".to_string()]
            } else {
                consumes
            };
            let json = media_types.iter().any(|m| json_rank(m).is_some());
            let schema = param
                .get("schema")
                .filter(|_| json)
                .map(|schema| self.schema(schema, file));
            return Some(RequestBody {
                media_types,
                schema,
            });
        }
        (!form.is_empty()).then(|| RequestBody {
            media_types: if consumes.is_empty() {
                vec!["application/x-www-form-urlencoded".to_string()]
            } else {
                consumes
            },
            schema: None,
        })
    }

    fn responses(&mut self, op: &Node, file: FileId, root: &Node) -> Vec<Response> {
        let produces = media_list(op, root, "produces");
        let json_produced = produces.is_empty() || produces.iter().any(|m| json_rank(m).is_some());
        let mut responses = Vec::new();
        let entries = op.get("responses").map(Node::members).unwrap_or_default();
        for (key, response) in entries {
            let Some(status) = Status::parse(key) else {
                continue;
            };
            let Some((response, rfile)) = self.deref(response, file) else {
                continue;
            };
            let headers = response
                .get("headers")
                .map(Node::members)
                .unwrap_or_default()
                .iter()
                .map(|(name, _)| name.clone())
                .collect();
            let schema_node = match self.dialect {
                Dialect::V2 => response.get("schema").filter(|_| json_produced),
                Dialect::V30 | Dialect::V31 => response
                    .get("content")
                    .and_then(json_member)
                    .and_then(|media| media.get("schema")),
            };
            let body = schema_node.map(|schema| self.schema(schema, rfile));
            responses.push(Response {
                status,
                headers,
                body,
            });
        }
        responses
    }

    /// `servers[*].url` with variables at their defaults; Swagger 2.0: `schemes[0]://host` and
    /// `basePath` (only `basePath`, relative, without a host).
    fn servers(&self, root: &Node) -> Vec<String> {
        if self.dialect == Dialect::V2 {
            let base_path = root.str_of("basePath").unwrap_or("");
            let Some(host) = root.str_of("host") else {
                return if base_path.is_empty() {
                    Vec::new()
                } else {
                    vec![base_path.to_string()]
                };
            };
            let scheme = root
                .get("schemes")
                .and_then(|s| s.items().first())
                .and_then(Node::as_str)
                .unwrap_or("https");
            return vec![format!("{scheme}://{host}{base_path}")];
        }
        let servers = root.get("servers").map(Node::items).unwrap_or_default();
        servers
            .iter()
            .filter_map(|server| {
                let url = server.str_of("url")?;
                let variables = server
                    .get("variables")
                    .map(Node::members)
                    .unwrap_or_default();
                Some(expand_server_url(
                    url,
                    variables
                        .iter()
                        .filter_map(|(name, var)| Some((name.as_str(), var.str_of("default")?))),
                ))
            })
            .collect()
    }

    /// Headers the security schemes ask for: API keys in a header, and HTTP schemes (Swagger
    /// 2.0: `basic`) as `Authorization`.
    fn auth_headers(&mut self, root: &Node) -> Vec<AuthHeader> {
        let schemes = match self.dialect {
            Dialect::V2 => root.get("securityDefinitions"),
            Dialect::V30 | Dialect::V31 => root.pointer("/components/securitySchemes"),
        };
        let entries = schemes.map(Node::members).unwrap_or_default().to_vec();
        entries
            .iter()
            .filter_map(|(_, scheme)| self.deref(scheme, MAIN))
            .filter_map(|(scheme, _)| match scheme.str_of("type")? {
                "apiKey" if scheme.str_of("in")?.eq_ignore_ascii_case("header") => {
                    Some(AuthHeader {
                        name: scheme.str_of("name")?.to_string(),
                        prefix: String::new(),
                    })
                }
                "http" => Some(AuthHeader {
                    name: "Authorization".into(),
                    prefix: http_auth_prefix(scheme.str_of("scheme").unwrap_or("")),
                }),
                "basic" => Some(AuthHeader {
                    name: "Authorization".into(),
                    prefix: "Basic ".into(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// The media type object of the best JSON entry of a `content` map.
fn json_member(content: &Node) -> Option<&Node> {
    best_json(
        content
            .members()
            .iter()
            .map(|(media, value)| (media.as_str(), value)),
    )
}

/// Swagger 2.0's `consumes` / `produces` of an operation, else of the document.
fn media_list(op: &Node, root: &Node, key: &str) -> Vec<String> {
    op.get(key)
        .or_else(|| root.get(key))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect()
}

/// `Bearer `, `Basic `… for an HTTP security scheme name.
fn http_auth_prefix(scheme: &str) -> String {
    let mut chars = scheme.chars();
    match chars.next() {
        Some(first) => format!("{}{} ", first.to_ascii_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// A JSON pointer token for a name (`/` → `~1`, `~` → `~0`).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}
