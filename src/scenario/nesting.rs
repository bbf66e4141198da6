//! Nested resources: a resource whose paths hold one whole segment `{NAME}`, where `NAME` is
//! another declared resource (`/customers/{customers}/orders/{id}`). Each case first creates
//! its own parent, then works on children under it: the paths it sends are the resource's with
//! `{NAME}` filled by the parent's id ([`Resource::under`]).

use crate::http::wire_url::encode_segment;
use crate::scenario::Resource;

/// The resource each case of a nested resource creates first.
#[derive(Debug, Clone)]
pub struct Parent {
    /// The placeholder in the child's paths, e.g. `{customers}`.
    pub placeholder: String,
    /// The declared parent resource (never itself nested).
    pub resource: Resource,
}

impl Parent {
    /// The parent of the resource named `name`, written `{name}` in the child's paths.
    pub fn new(resource: Resource) -> Parent {
        Parent {
            placeholder: placeholder(&resource.name),
            resource,
        }
    }
}

/// `{name}`: how a child's paths name a parent resource.
pub fn placeholder(name: &str) -> String {
    format!("{{{name}}}")
}

/// The names of the whole segments `{NAME}` of a path (before its query) other than `{id}`.
pub fn parent_segments(path: &str) -> Vec<&str> {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .filter(|name| *name != crate::scenario::placeholder::ID)
        .collect()
}

impl Resource {
    /// The resource as one case sees it: its paths with the parent's placeholder filled by
    /// `parent_id` (encoded as one segment), and no parent left to create.
    pub fn under(&self, parent_id: &str) -> Resource {
        let Some(parent) = &self.parent else {
            return self.clone();
        };
        let fill = |path: &str| path.replace(&parent.placeholder, &encode_segment(parent_id));
        let mut child = self.clone();
        child.collection = fill(&self.collection);
        child.item = fill(&self.item);
        child.listing.path = fill(&self.listing.path);
        child.parent = None;
        child
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_segment_parents_only() {
        assert_eq!(
            parent_segments("/customers/{customers}/orders/{id}"),
            vec!["customers"]
        );
        assert!(parent_segments("/things/{id}?q={x}").is_empty());
        assert!(parent_segments("/a{b}/c").is_empty());
    }
}
