//! OpenAPI 3.0.x: the `openapiv3` crate's types → the importer's [`model`](super::model).
//! References to parameters, request bodies, responses and headers are resolved here (one
//! level, in `components`); schema references stay references for the schema mapper.

use openapiv3 as oa;
use serde_json::Value;

use super::model::{
    Api, AuthHeader, Discriminator, JsonType, Operation, PathItem, Response, Schema, SchemaObject,
    Status, best_json, expand_server_url, schema_ref,
};
use crate::model::exchange::Method;

/// Converts a parsed 3.0 document.
pub fn convert(doc: &oa::OpenAPI) -> Api {
    let components = doc.components.as_ref();
    Api {
        version: doc.openapi.clone(),
        title: doc.info.title.clone(),
        api_version: doc.info.version.clone(),
        servers: doc.servers.iter().map(server_url).collect(),
        paths: doc
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| Some(path_item(path, item.as_item()?, components)))
            .collect(),
        schemas: components
            .map(|c| {
                c.schemas
                    .iter()
                    .map(|(name, schema)| (name.clone(), schema_or_ref(schema)))
                    .collect()
            })
            .unwrap_or_default(),
        auth_headers: components.map(auth_headers).unwrap_or_default(),
    }
}

fn server_url(server: &oa::Server) -> String {
    let variables = server.variables.iter().flatten();
    expand_server_url(
        &server.url,
        variables.map(|(name, var)| (name.as_str(), var.default.as_str())),
    )
}

fn auth_headers(components: &oa::Components) -> Vec<AuthHeader> {
    components
        .security_schemes
        .values()
        .filter_map(oa::ReferenceOr::as_item)
        .filter_map(|scheme| match scheme {
            oa::SecurityScheme::APIKey {
                location: oa::APIKeyLocation::Header,
                name,
                ..
            } => Some(AuthHeader {
                name: name.clone(),
                prefix: String::new(),
            }),
            oa::SecurityScheme::HTTP { scheme, .. } => Some(AuthHeader {
                name: "Authorization".into(),
                prefix: http_auth_prefix(scheme),
            }),
            _ => None,
        })
        .collect()
}

/// `Bearer `, `Basic `… for an HTTP security scheme name.
pub(super) fn http_auth_prefix(scheme: &str) -> String {
    let mut chars = scheme.chars();
    match chars.next() {
        Some(first) => format!("{}{} ", first.to_ascii_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn path_item(path: &str, item: &oa::PathItem, components: Option<&oa::Components>) -> PathItem {
    let shared: Vec<&oa::Parameter> = item
        .parameters
        .iter()
        .filter_map(|p| parameter(p, components))
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
    .filter_map(|(method, op)| Some(operation(method, op.as_ref()?, &shared, components)))
    .collect();
    PathItem {
        path: path.to_string(),
        operations,
    }
}

fn operation(
    method: Method,
    op: &oa::Operation,
    shared: &[&oa::Parameter],
    components: Option<&oa::Components>,
) -> Operation {
    let own = op
        .parameters
        .iter()
        .filter_map(|p| parameter(p, components));
    let header_params = shared
        .iter()
        .copied()
        .chain(own)
        .filter_map(|p| match p {
            oa::Parameter::Header { parameter_data, .. } => Some(parameter_data.name.clone()),
            _ => None,
        })
        .collect();
    let request = op
        .request_body
        .as_ref()
        .and_then(|body| request_body(body, components))
        .and_then(|body| json_schema(&body.content));
    let mut responses: Vec<Response> = op
        .responses
        .responses
        .iter()
        .filter_map(|(status, response)| {
            let status = match status {
                oa::StatusCode::Code(code) => Status::Code(*code),
                oa::StatusCode::Range(digit) => Status::Range(*digit),
            };
            Some(self::response(
                status,
                resolve_response(response, components)?,
            ))
        })
        .collect();
    if let Some(default) = op
        .responses
        .default
        .as_ref()
        .and_then(|r| resolve_response(r, components))
    {
        responses.push(self::response(Status::Default, default));
    }
    Operation {
        method,
        header_params,
        request,
        responses,
    }
}

fn response(status: Status, response: &oa::Response) -> Response {
    Response {
        status,
        headers: response.headers.keys().cloned().collect(),
        body: json_schema(&response.content),
    }
}

fn json_schema<'a>(
    content: impl IntoIterator<Item = (&'a String, &'a oa::MediaType)>,
) -> Option<Schema> {
    best_json(content.into_iter().map(|(media, m)| (media.as_str(), m)))
        .and_then(|media| media.schema.as_ref())
        .map(schema_or_ref)
}

/// The name after the last `/` of a `#/components/KIND/NAME` reference.
fn component_key<'a>(reference: &'a str, kind: &str) -> Option<&'a str> {
    reference
        .strip_prefix("#/components/")?
        .strip_prefix(kind)?
        .strip_prefix('/')
}

fn parameter<'a>(
    p: &'a oa::ReferenceOr<oa::Parameter>,
    components: Option<&'a oa::Components>,
) -> Option<&'a oa::Parameter> {
    match p {
        oa::ReferenceOr::Item(p) => Some(p),
        oa::ReferenceOr::Reference { reference } => components?
            .parameters
            .get(component_key(reference, "parameters")?)?
            .as_item(),
    }
}

fn request_body<'a>(
    body: &'a oa::ReferenceOr<oa::RequestBody>,
    components: Option<&'a oa::Components>,
) -> Option<&'a oa::RequestBody> {
    match body {
        oa::ReferenceOr::Item(body) => Some(body),
        oa::ReferenceOr::Reference { reference } => components?
            .request_bodies
            .get(component_key(reference, "requestBodies")?)?
            .as_item(),
    }
}

fn resolve_response<'a>(
    response: &'a oa::ReferenceOr<oa::Response>,
    components: Option<&'a oa::Components>,
) -> Option<&'a oa::Response> {
    match response {
        oa::ReferenceOr::Item(response) => Some(response),
        oa::ReferenceOr::Reference { reference } => components?
            .responses
            .get(component_key(reference, "responses")?)?
            .as_item(),
    }
}

fn schema_or_ref(schema: &oa::ReferenceOr<oa::Schema>) -> Schema {
    match schema {
        oa::ReferenceOr::Reference { reference } => schema_ref(reference),
        oa::ReferenceOr::Item(schema) => self::schema(schema),
    }
}

fn boxed_schema_or_ref(schema: &oa::ReferenceOr<Box<oa::Schema>>) -> Schema {
    match schema {
        oa::ReferenceOr::Reference { reference } => schema_ref(reference),
        oa::ReferenceOr::Item(schema) => self::schema(schema),
    }
}

fn schema(schema: &oa::Schema) -> Schema {
    let data = &schema.schema_data;
    let mut object = SchemaObject {
        read_only: data.read_only,
        write_only: data.write_only,
        examples: data.example.iter().cloned().collect(),
        default: data.default.clone(),
        description: data.description.clone(),
        discriminator: data.discriminator.as_ref().map(|d| Discriminator {
            property: d.property_name.clone(),
            mapping: d
                .mapping
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }),
        ..SchemaObject::default()
    };
    match &schema.schema_kind {
        oa::SchemaKind::Type(ty) => typed(&mut object, ty),
        oa::SchemaKind::OneOf { one_of } => {
            object.one_of = one_of.iter().map(schema_or_ref).collect()
        }
        oa::SchemaKind::AllOf { all_of } => {
            object.all_of = all_of.iter().map(schema_or_ref).collect()
        }
        oa::SchemaKind::AnyOf { any_of } => {
            object.any_of = any_of.iter().map(schema_or_ref).collect()
        }
        oa::SchemaKind::Not { .. } => {}
        oa::SchemaKind::Any(any) => untyped(&mut object, any),
    }
    if data.nullable {
        object.types.push(JsonType::Null);
    }
    if object == SchemaObject::default() {
        return Schema::Any;
    }
    Schema::Inline(Box::new(object))
}

fn typed(object: &mut SchemaObject, ty: &oa::Type) {
    match ty {
        oa::Type::String(s) => {
            object.types.push(JsonType::String);
            object.format = variant_name(&s.format);
            object.pattern = s.pattern.clone();
            object.enum_values = s
                .enumeration
                .iter()
                .flatten()
                .map(|v| Value::from(v.as_str()))
                .collect();
            object.min_length = s.min_length.map(|n| n as u64);
            object.max_length = s.max_length.map(|n| n as u64);
        }
        oa::Type::Number(n) => {
            object.types.push(JsonType::Number);
            object.format = variant_name(&n.format);
            bounds(
                object,
                n.minimum,
                n.maximum,
                n.exclusive_minimum,
                n.exclusive_maximum,
            );
            object.multiple_of = n.multiple_of;
            object.enum_values = n
                .enumeration
                .iter()
                .flatten()
                .filter_map(|v| serde_json::Number::from_f64(*v))
                .map(Value::Number)
                .collect();
        }
        oa::Type::Integer(i) => {
            object.types.push(JsonType::Integer);
            object.format = variant_name(&i.format);
            bounds(
                object,
                i.minimum.map(|v| v as f64),
                i.maximum.map(|v| v as f64),
                i.exclusive_minimum,
                i.exclusive_maximum,
            );
            object.multiple_of = i.multiple_of.map(|v| v as f64);
            object.enum_values = i
                .enumeration
                .iter()
                .flatten()
                .map(|v| Value::from(*v))
                .collect();
        }
        oa::Type::Boolean(b) => {
            object.types.push(JsonType::Boolean);
            object.enum_values = b
                .enumeration
                .iter()
                .flatten()
                .map(|v| Value::from(*v))
                .collect();
        }
        oa::Type::Object(o) => {
            object.types.push(JsonType::Object);
            object.properties = properties(&o.properties);
            object.required = o.required.clone();
            object.open_map = open_map(o.additional_properties.as_ref());
        }
        oa::Type::Array(a) => {
            object.types.push(JsonType::Array);
            object.items = a.items.as_ref().map(boxed_schema_or_ref);
            object.min_items = a.min_items.map(|n| n as u64);
            object.max_items = a.max_items.map(|n| n as u64);
            object.unique_items = a.unique_items;
        }
    }
}

/// A schema that matched none of `openapiv3`'s typed shapes (mixed keywords, or no `type`).
fn untyped(object: &mut SchemaObject, any: &oa::AnySchema) {
    object.types.extend(any.typ.as_deref().and_then(json_type));
    object.format = any.format.clone();
    object.pattern = any.pattern.clone();
    object.enum_values = any
        .enumeration
        .iter()
        .filter(|v| !v.is_null())
        .cloned()
        .collect();
    bounds(
        object,
        any.minimum,
        any.maximum,
        any.exclusive_minimum.unwrap_or(false),
        any.exclusive_maximum.unwrap_or(false),
    );
    object.multiple_of = any.multiple_of;
    object.min_length = any.min_length.map(|n| n as u64);
    object.max_length = any.max_length.map(|n| n as u64);
    object.properties = properties(&any.properties);
    object.required = any.required.clone();
    object.open_map = open_map(any.additional_properties.as_ref());
    object.items = any.items.as_ref().map(boxed_schema_or_ref);
    object.min_items = any.min_items.map(|n| n as u64);
    object.max_items = any.max_items.map(|n| n as u64);
    object.unique_items = any.unique_items.unwrap_or(false);
    object.all_of = any.all_of.iter().map(schema_or_ref).collect();
    object.one_of = any.one_of.iter().map(schema_or_ref).collect();
    object.any_of = any.any_of.iter().map(schema_or_ref).collect();
}

fn json_type(name: &str) -> Option<JsonType> {
    Some(match name {
        "string" => JsonType::String,
        "integer" => JsonType::Integer,
        "number" => JsonType::Number,
        "boolean" => JsonType::Boolean,
        "array" => JsonType::Array,
        "object" => JsonType::Object,
        _ => return None,
    })
}

/// 3.0's boolean exclusive bounds as 3.1's numeric ones.
fn bounds(
    object: &mut SchemaObject,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
) {
    if exclusive_minimum {
        object.exclusive_minimum = minimum;
    } else {
        object.minimum = minimum;
    }
    if exclusive_maximum {
        object.exclusive_maximum = maximum;
    } else {
        object.maximum = maximum;
    }
}

fn properties<'a>(
    properties: impl IntoIterator<Item = (&'a String, &'a oa::ReferenceOr<Box<oa::Schema>>)>,
) -> Vec<(String, Schema)> {
    properties
        .into_iter()
        .map(|(name, schema)| (name.clone(), boxed_schema_or_ref(schema)))
        .collect()
}

fn open_map(additional: Option<&oa::AdditionalProperties>) -> bool {
    !matches!(
        additional,
        None | Some(oa::AdditionalProperties::Any(false))
    )
}

fn variant_name<T: serde::Serialize>(format: &oa::VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match format {
        oa::VariantOrUnknownOrEmpty::Item(item) => serde_json::to_value(item)
            .ok()?
            .as_str()
            .map(str::to_string),
        oa::VariantOrUnknownOrEmpty::Unknown(name) => Some(name.clone()),
        oa::VariantOrUnknownOrEmpty::Empty => None,
    }
}
