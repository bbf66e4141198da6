//! Nested collections (`/customers/{customerId}/addresses/{addressId}`): the item path of the
//! parent a nested collection lives under, and the child resource's paths rewritten so that
//! `{NAME}` names its parent resource, as nested resources are declared in scenarios.

use super::resources::ResourcePlan;

/// For a collection path with a path parameter: the parent item path it lives under
/// (`/customers/{customerId}` for `/customers/{customerId}/addresses`), or why it cannot be
/// imported. Scenarios nest one level: the parent's own collection has no parameter.
pub(crate) fn parent_item(collection: &str) -> Result<String, String> {
    let trimmed = collection.trim_end_matches('/');
    let nested = || format!("a nested collection (`{collection}`)");
    let (parent, segment) = trimmed
        .rsplit_once('/')
        .ok_or_else(|| format!("{}: no parent item path", nested()))?;
    if segment.contains('{') {
        return Err(format!(
            "{}: its last segment is a parameter, not a collection under an item",
            nested()
        ));
    }
    let (above, last) = parent
        .rsplit_once('/')
        .ok_or_else(|| format!("{}: no parent item path", nested()))?;
    let whole_parameter = last.starts_with('{') && last.ends_with('}') && last.len() > 2;
    if !whole_parameter || last[1..last.len() - 1].contains(['{', '}']) {
        return Err(format!(
            "{}: the parameter is not a whole segment right before `{segment}`",
            nested()
        ));
    }
    if above.contains('{') {
        return Err(format!(
            "{}: more than one level of nesting (scenarios nest one level)",
            nested()
        ));
    }
    Ok(parent.to_string())
}

/// True when two item paths are the same but for a trailing slash.
pub(crate) fn same_item(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Puts a child resource under its parent: the parent's parameter (`{customerId}`) in the
/// child's collection and item becomes `{NAME}` of the parent resource.
pub(crate) fn place_under(child: &mut ResourcePlan, parent: &ResourcePlan) {
    let written = parent
        .spec_item
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let named = format!("{{{}}}", parent.name);
    child.collection = child.collection.replacen(&written, &named, 1);
    child.item = child.item.replacen(&written, &named, 1);
    child.parent = Some(format!(
        "under the resource `{}` ({written} in the spec): each case creates its own {} first",
        parent.name, parent.name
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_items() {
        assert_eq!(
            parent_item("/customers/{customerId}/addresses"),
            Ok("/customers/{customerId}".to_string())
        );
        assert_eq!(
            parent_item("/api/shelves/{shelf_pk}/volumes/"),
            Ok("/api/shelves/{shelf_pk}".to_string())
        );
        assert!(parent_item("/a/{x}/b/{y}/c").is_err_and(|e| e.contains("one level")));
        assert!(parent_item("/a/v{x}/c").is_err_and(|e| e.contains("whole segment")));
    }
}
