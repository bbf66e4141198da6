//! Nested resources: a resource whose paths hold one whole segment `{NAME}`, where `NAME` is
//! another declared resource (`/customers/{customers}/orders/{id}`). Each case first creates
//! its own parent, then works on children under it: the paths it sends are the resource's with
//! `{NAME}` filled by the parent's id ([`Resource::under`]).

use crate::http::wire_url::encode_segment;
use crate::scenario::Resource;

/// The resource each case of a nested resource creates first.
#[derive(Debug, Clone)]
pub(crate) struct Parent {
    /// The placeholder in the child's paths, e.g. `{customers}`.
    pub(crate) placeholder: String,
    /// The declared parent resource (never itself nested).
    pub(crate) resource: Resource,
}

impl Parent {
    /// The parent of the resource named `name`, written `{name}` in the child's paths.
    pub(crate) fn new(resource: Resource) -> Parent {
        Parent {
            placeholder: placeholder(&resource.name),
            resource,
        }
    }
}

/// `{name}`: how a child's paths name a parent resource.
pub(crate) fn placeholder(name: &str) -> String {
    format!("{{{name}}}")
}

/// The names of the whole segments `{NAME}` of a path (before its query) other than `{id}`.
pub(crate) fn parent_segments(path: &str) -> Vec<&str> {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .filter(|name| *name != crate::scenario::placeholder::ID)
        .collect()
}

impl Resource {
    /// The resource as one case sees it: its paths with the parent's placeholder filled by
    /// `parent_id` (encoded as one segment), and no parent left to create.
    pub(crate) fn under(&self, parent_id: &str) -> Resource {
        self.under_segment(&encode_segment(parent_id))
    }

    /// The resource with the parent's placeholder filled by `segment`, a path segment as it is
    /// on the wire (already encoded).
    pub(crate) fn under_segment(&self, segment: &str) -> Resource {
        let Some(parent) = &self.parent else {
            return self.clone();
        };
        let fill = |path: &str| path.replace(&parent.placeholder, segment);
        let mut child = self.clone();
        child.collection = fill(&self.collection);
        child.item = fill(&self.item);
        child.listing.path = fill(&self.listing.path);
        child.parent = None;
        child
    }
}

/// The text the parent's segment is read at in a URL (no URL encoding changes it).
const SEGMENT_PROBE: &str = "idemfuzz~parent~segment";

/// The parent's segment in `url` (a collection or item URL of a nested `resource` under some
/// parent), read where `to_url` puts it in the URL of the resource's collection; `None` for a
/// resource that is not nested.
pub(crate) fn parent_segment_in<'u>(
    resource: &Resource,
    url: &'u str,
    to_url: impl Fn(&Resource) -> String,
) -> Option<&'u str> {
    resource.parent.as_ref()?;
    let probe = to_url(&resource.under_segment(SEGMENT_PROBE));
    let (prefix, _) = probe.split_once(SEGMENT_PROBE)?;
    let rest = url.strip_prefix(prefix)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let segment = &rest[..end];
    (!segment.is_empty()).then_some(segment)
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
