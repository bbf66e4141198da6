//! `allOf`: merging the parts of a schema into one. Members and `required` are united, bounds
//! take the tighter value, other keywords the first one given; a member two parts both describe
//! becomes an `allOf` of its own, merged when it is mapped.

use super::model::{Schema, SchemaObject};

/// Merges an `allOf` part into the schema built so far: members and `required` are united,
/// bounds take the tighter value, other keywords the first one given.
pub(crate) fn merge(into: &mut SchemaObject, part: SchemaObject) {
    if into.types.is_empty() {
        into.types = part.types;
    }
    if into.enum_values.is_empty() {
        into.enum_values = part.enum_values;
    }
    if into.one_of.is_empty() {
        into.one_of = part.one_of;
    }
    if into.any_of.is_empty() {
        into.any_of = part.any_of;
    }
    first(&mut into.format, part.format);
    first(&mut into.const_value, part.const_value);
    first(&mut into.multiple_of, part.multiple_of);
    first(&mut into.pattern, part.pattern);
    first(&mut into.items, part.items);
    first(&mut into.discriminator, part.discriminator);
    first(&mut into.default, part.default);
    first(&mut into.description, part.description);
    tighter(&mut into.minimum, part.minimum, f64::max);
    tighter(
        &mut into.exclusive_minimum,
        part.exclusive_minimum,
        f64::max,
    );
    tighter(&mut into.maximum, part.maximum, f64::min);
    tighter(
        &mut into.exclusive_maximum,
        part.exclusive_maximum,
        f64::min,
    );
    tighter(&mut into.min_length, part.min_length, u64::max);
    tighter(&mut into.max_length, part.max_length, u64::min);
    tighter(&mut into.min_items, part.min_items, u64::max);
    tighter(&mut into.max_items, part.max_items, u64::min);
    into.unique_items |= part.unique_items;
    into.open_map |= part.open_map;
    into.read_only |= part.read_only;
    into.write_only |= part.write_only;
    into.examples.extend(part.examples);
    for name in part.required {
        if !into.required.contains(&name) {
            into.required.push(name);
        }
    }
    for (name, schema) in part.properties {
        match into.properties.iter_mut().find(|(n, _)| *n == name) {
            // Both parts constrain the member: keep both, as an allOf of its own.
            Some(entry) => {
                entry.1 = Schema::Inline(Box::new(SchemaObject {
                    all_of: vec![entry.1.clone(), schema],
                    ..SchemaObject::default()
                }));
            }
            None => into.properties.push((name, schema)),
        }
    }
}

fn first<T>(into: &mut Option<T>, other: Option<T>) {
    if into.is_none() {
        *into = other;
    }
}

fn tighter<T: Copy>(into: &mut Option<T>, other: Option<T>, pick: fn(T, T) -> T) {
    *into = match (*into, other) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    };
}
