//! OpenAPI 3.1.x: the `oas3` crate's types → the importer's [`model`](super::model).
//! References to parameters, request bodies, responses and security schemes are resolved with
//! `oas3`; schema references stay references for the schema mapper.

use oas3::spec as oa;

use super::model::{
    Api, AuthHeader, Discriminator, JsonType, Operation, PathItem, Response, Schema, SchemaObject,
    Status, best_json, expand_server_url, schema_ref,
};
use super::v30::http_auth_prefix;
use crate::model::exchange::Method;

/// Converts a parsed 3.1 document.
pub fn convert(doc: &oa::Spec) -> Api {
    Api {
        version: doc.openapi.clone(),
        title: doc.info.title.clone(),
        api_version: doc.info.version.clone(),
        servers: doc.servers.iter().map(server_url).collect(),
        paths: doc
            .paths
            .iter()
            .flatten()
            .map(|(path, item)| path_item(path, item, doc))
            .collect(),
        schemas: doc
            .components
            .iter()
            .flat_map(|c| &c.schemas)
            .map(|(name, schema)| (name.clone(), object_or_ref(schema)))
            .collect(),
        auth_headers: auth_headers(doc),
    }
}

fn server_url(server: &oa::Server) -> String {
    expand_server_url(
        &server.url,
        server
            .variables
            .iter()
            .map(|(name, var)| (name.as_str(), var.default.as_str())),
    )
}

fn auth_headers(doc: &oa::Spec) -> Vec<AuthHeader> {
    doc.components
        .iter()
        .flat_map(|c| c.security_schemes.values())
        .filter_map(|scheme| scheme.resolve(doc).ok())
        .filter_map(|scheme| match scheme {
            oa::SecurityScheme::ApiKey { name, location, .. }
                if location.eq_ignore_ascii_case("header") =>
            {
                Some(AuthHeader {
                    name,
                    prefix: String::new(),
                })
            }
            oa::SecurityScheme::Http { scheme, .. } => Some(AuthHeader {
                name: "Authorization".into(),
                prefix: http_auth_prefix(&scheme),
            }),
            _ => None,
        })
        .collect()
}

fn path_item(path: &str, item: &oa::PathItem, doc: &oa::Spec) -> PathItem {
    let shared: Vec<oa::Parameter> = item
        .parameters
        .iter()
        .filter_map(|p| p.resolve(doc).ok())
        .collect();
    let operations = [
        (Method::Get, &item.get),
        (Method::Head, &item.head),
        (Method::Options, &item.options),
        (Method::Put, &item.put),
        (Method::Post, &item.post),
        (Method::Patch, &item.patch),
        (Method::Delete, &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some(operation(method, op.as_ref()?, &shared, doc)))
    .collect();
    PathItem {
        path: path.to_string(),
        operations,
    }
}

fn operation(
    method: Method,
    op: &oa::Operation,
    shared: &[oa::Parameter],
    doc: &oa::Spec,
) -> Operation {
    let own: Vec<oa::Parameter> = op
        .parameters
        .iter()
        .filter_map(|p| p.resolve(doc).ok())
        .collect();
    let header_params = shared
        .iter()
        .chain(&own)
        .filter(|p| p.location == oa::ParameterIn::Header)
        .map(|p| p.name.clone())
        .collect();
    let request = op
        .request_body
        .as_ref()
        .and_then(|body| body.resolve(doc).ok())
        .and_then(|body| json_schema(&body.content));
    let responses = op
        .responses
        .iter()
        .flatten()
        .filter_map(|(key, response)| {
            let status = Status::parse(key)?;
            let response = response.resolve(doc).ok()?;
            Some(Response {
                status,
                headers: response.headers.keys().cloned().collect(),
                body: json_schema(&response.content),
            })
        })
        .collect();
    Operation {
        method,
        header_params,
        request,
        responses,
    }
}

fn json_schema<'a>(
    content: impl IntoIterator<Item = (&'a String, &'a oa::MediaType)>,
) -> Option<Schema> {
    best_json(content.into_iter().map(|(media, m)| (media.as_str(), m)))
        .and_then(|media| media.schema.as_ref())
        .map(object_or_ref)
}

fn object_or_ref(schema: &oa::ObjectOrReference<oa::ObjectSchema>) -> Schema {
    match schema {
        oa::ObjectOrReference::Ref { ref_path, .. } => schema_ref(ref_path),
        oa::ObjectOrReference::Object(object) => self::object(object),
    }
}

fn any_schema(schema: &oa::Schema) -> Schema {
    match schema {
        oa::Schema::Boolean(oa::BooleanSchema(true)) => Schema::Any,
        oa::Schema::Boolean(oa::BooleanSchema(false)) => Schema::Nothing,
        oa::Schema::Object(object) => object_or_ref(object),
    }
}

fn object(schema: &oa::ObjectSchema) -> Schema {
    let object = SchemaObject {
        types: types(schema.schema_type.as_ref()),
        format: schema.format.clone(),
        enum_values: schema.enum_values.clone(),
        const_value: schema.const_value.clone(),
        minimum: number(schema.minimum.as_ref()),
        maximum: number(schema.maximum.as_ref()),
        exclusive_minimum: number(schema.exclusive_minimum.as_ref()),
        exclusive_maximum: number(schema.exclusive_maximum.as_ref()),
        multiple_of: number(schema.multiple_of.as_ref()),
        min_length: schema.min_length,
        max_length: schema.max_length,
        pattern: schema.pattern.clone(),
        items: schema.items.as_deref().map(any_schema),
        min_items: schema.min_items,
        max_items: schema.max_items,
        unique_items: schema.unique_items.unwrap_or(false),
        properties: schema
            .properties
            .iter()
            .map(|(name, s)| (name.clone(), object_or_ref(s)))
            .collect(),
        required: schema.required.clone(),
        open_map: !matches!(
            schema.additional_properties,
            None | Some(oa::Schema::Boolean(oa::BooleanSchema(false)))
        ),
        all_of: schema.all_of.iter().map(object_or_ref).collect(),
        one_of: schema.one_of.iter().map(object_or_ref).collect(),
        any_of: schema.any_of.iter().map(object_or_ref).collect(),
        discriminator: schema.discriminator.as_ref().map(|d| Discriminator {
            property: d.property_name.clone(),
            mapping: d
                .mapping
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }),
        read_only: schema.read_only.unwrap_or(false),
        write_only: schema.write_only.unwrap_or(false),
        examples: schema
            .example
            .iter()
            .chain(&schema.examples)
            .cloned()
            .collect(),
        default: schema.default.clone(),
        description: schema.description.clone(),
    };
    if object == SchemaObject::default() {
        return Schema::Any;
    }
    Schema::Inline(Box::new(object))
}

fn types(set: Option<&oa::SchemaTypeSet>) -> Vec<JsonType> {
    let list: Vec<oa::SchemaType> = match set {
        None => Vec::new(),
        Some(oa::SchemaTypeSet::Single(ty)) => vec![*ty],
        Some(oa::SchemaTypeSet::Multiple(types)) => types.clone(),
    };
    list.into_iter()
        .map(|ty| match ty {
            oa::SchemaType::Boolean => JsonType::Boolean,
            oa::SchemaType::Integer => JsonType::Integer,
            oa::SchemaType::Number => JsonType::Number,
            oa::SchemaType::String => JsonType::String,
            oa::SchemaType::Array => JsonType::Array,
            oa::SchemaType::Object => JsonType::Object,
            oa::SchemaType::Null => JsonType::Null,
        })
        .collect()
}

fn number(n: Option<&serde_json::Number>) -> Option<f64> {
    n.and_then(serde_json::Number::as_f64)
}
