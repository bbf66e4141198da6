//! Schema nodes → [`Schema`]s, the same for every version: `true` / `false` schemas, `$ref`
//! with siblings (the siblings apply on top of the target, as 3.1 says; 3.0 generators write
//! `readOnly` or `description` beside a `$ref` too, meaning the same), 3.0's `nullable` and
//! boolean exclusive bounds beside 3.1's type lists and numeric bounds, Swagger 2.0's
//! `x-nullable` and string `discriminator`. Members keep document order.

use serde_json::Value;

use super::documents::FileId;
use super::model::{Discriminator, JsonType, Schema, SchemaObject};
use super::node::Node;
use super::walk::Walker;

impl Walker {
    /// The schema a node describes.
    pub(super) fn schema(&mut self, node: &Node, file: FileId) -> Schema {
        match node {
            Node::Bool(true) => Schema::Any,
            Node::Bool(false) => Schema::Nothing,
            Node::Object(_) => {
                let mut own = self.object(node, file);
                let target = node.str_of("$ref").map(|r| self.schema_ref(r, file));
                match target {
                    Some(target) if own == SchemaObject::default() => target,
                    Some(target) => {
                        own.all_of.insert(0, target);
                        Schema::Inline(Box::new(own))
                    }
                    None if own == SchemaObject::default() => Schema::Any,
                    None => Schema::Inline(Box::new(own)),
                }
            }
            _ => Schema::Any,
        }
    }

    fn schemas(&mut self, node: Option<&Node>, file: FileId) -> Vec<Schema> {
        node.map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|item| self.schema(item, file))
            .collect()
    }

    fn object(&mut self, node: &Node, file: FileId) -> SchemaObject {
        let number = |key: &str| node.get(key).and_then(Node::as_f64);
        let count = |key: &str| node.get(key).and_then(Node::as_u64);
        let mut object = SchemaObject {
            types: types(node),
            format: node.str_of("format").map(str::to_string),
            enum_values: node
                .get("enum")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(Node::to_value)
                .collect(),
            const_value: node.get("const").map(Node::to_value),
            multiple_of: number("multipleOf"),
            min_length: count("minLength"),
            max_length: count("maxLength"),
            pattern: node.str_of("pattern").map(str::to_string),
            min_items: count("minItems"),
            max_items: count("maxItems"),
            unique_items: node.flag("uniqueItems"),
            required: node
                .get("required")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
            open_map: !matches!(
                node.get("additionalProperties"),
                None | Some(Node::Bool(false))
            ),
            read_only: node.flag("readOnly"),
            write_only: node.flag("writeOnly"),
            examples: examples(node),
            default: node.get("default").map(Node::to_value),
            description: node.str_of("description").map(str::to_string),
            ..SchemaObject::default()
        };
        bounds(&mut object, node);
        object.items = match node.get("items") {
            Some(Node::Array(tuple)) => tuple.first().map(|first| self.schema(first, file)),
            Some(items) => Some(self.schema(items, file)),
            None => None,
        };
        object.properties = node
            .get("properties")
            .map(Node::members)
            .unwrap_or_default()
            .iter()
            .map(|(name, member)| (name.clone(), self.schema(member, file)))
            .collect();
        object.all_of = self.schemas(node.get("allOf"), file);
        object.one_of = self.schemas(node.get("oneOf"), file);
        object.any_of = self.schemas(node.get("anyOf"), file);
        object.discriminator = node
            .get("discriminator")
            .and_then(|d| self.discriminator(d, file));
        object
    }

    /// `discriminator`; Swagger 2.0 writes only the property name.
    fn discriminator(&mut self, node: &Node, file: FileId) -> Option<Discriminator> {
        if let Some(property) = node.as_str() {
            return Some(Discriminator {
                property: property.to_string(),
                mapping: Vec::new(),
            });
        }
        let property = node.str_of("propertyName")?.to_string();
        let entries = node.get("mapping").map(Node::members).unwrap_or_default();
        let mapping = entries
            .iter()
            .filter_map(|(value, target)| {
                let target = target.as_str()?;
                let key = if target.contains(['#', '/', '.']) {
                    match self.schema_ref(target, file) {
                        Schema::Ref(key) => key,
                        _ => return None,
                    }
                } else {
                    target.to_string()
                };
                Some((value.clone(), key))
            })
            .collect();
        Some(Discriminator { property, mapping })
    }
}

/// `type` (a name or a list), plus `null` for 3.0's `nullable` and 2.0's `x-nullable`.
fn types(node: &Node) -> Vec<JsonType> {
    let mut types: Vec<JsonType> = match node.get("type") {
        Some(Node::String(name)) => json_type(name).into_iter().collect(),
        Some(Node::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().and_then(json_type))
            .collect(),
        _ => Vec::new(),
    };
    let nullable = node.flag("nullable") || node.flag("x-nullable");
    if nullable && !types.is_empty() && !types.contains(&JsonType::Null) {
        types.push(JsonType::Null);
    }
    types
}

fn json_type(name: &str) -> Option<JsonType> {
    Some(match name {
        "string" => JsonType::String,
        "integer" => JsonType::Integer,
        "number" => JsonType::Number,
        "boolean" => JsonType::Boolean,
        "array" => JsonType::Array,
        "object" => JsonType::Object,
        "null" => JsonType::Null,
        _ => return None,
    })
}

/// Bounds in 3.1's form: 3.0's (and 2.0's) `exclusiveMinimum: true` makes `minimum` exclusive.
fn bounds(object: &mut SchemaObject, node: &Node) {
    for (bound, exclusive, inclusive_slot, exclusive_slot) in [
        (
            "minimum",
            "exclusiveMinimum",
            &mut object.minimum,
            &mut object.exclusive_minimum,
        ),
        (
            "maximum",
            "exclusiveMaximum",
            &mut object.maximum,
            &mut object.exclusive_maximum,
        ),
    ] {
        let value = node.get(bound).and_then(Node::as_f64);
        match node.get(exclusive) {
            Some(Node::Bool(true)) => *exclusive_slot = value,
            Some(Node::Number(n)) => {
                *exclusive_slot = n.as_f64();
                *inclusive_slot = value;
            }
            _ => *inclusive_slot = value,
        }
    }
}

/// `example`, then the items of `examples` (3.1's list).
fn examples(node: &Node) -> Vec<Value> {
    node.get("example")
        .map(Node::to_value)
        .into_iter()
        .chain(
            node.get("examples")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(Node::to_value),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::openapi::load;
    use crate::openapi::model::Schema;
    use crate::openapi::schema::Mapper;

    /// A body schema with the keywords 3.0 and 3.1 write differently, in either version's
    /// spelling, and members in an order that is not sorted.
    fn plan(version: &str, nullable: &str, exclusive: &str, extra: &str) -> String {
        let text = format!(
            "openapi: {version}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    Stamp: {{type: string, format: date-time}}\n    T:\n      type: object\n      properties:\n        zeta: {{type: integer, {exclusive}}}\n        alpha: {nullable}\n        seen: {{$ref: '#/components/schemas/Stamp', readOnly: true}}\n        {extra}\n"
        );
        let api = load::parse(&text, "t.yaml", None).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let body = Mapper::new(&api.schemas)
            .body(&Schema::Ref("T".into()), None)
            .unwrap_or_else(|e| panic!("{e}"));
        format!("{body:?}")
    }

    #[test]
    fn one_walker_reads_3_0_and_3_1_alike() {
        let v30 = plan(
            "3.0.3",
            "{type: string, nullable: true}",
            "minimum: 0, exclusiveMinimum: true",
            "anything: {}",
        );
        let v31 = plan(
            "3.1.0",
            "{type: [string, 'null']}",
            "exclusiveMinimum: 0",
            "anything: true",
        );
        assert_eq!(v30, v31);
        assert!(
            v30.find("zeta") < v30.find("alpha"),
            "document order: {v30}"
        );
        assert!(v30.contains("\"/seen\""), "a $ref sibling applies: {v30}");
    }
}
