//! An XML document read as JSON, so that XML listings (S3's `ListBucketResult`, WebDAV's
//! multistatus) are read with the same pointers, ignore patterns and diffs as JSON ones.
//!
//! The document is one object holding the root element. An element with child elements is an
//! object of them by local name (namespace prefixes dropped, attributes and mixed-in text left
//! out); a child name that repeats is an array in document order; an element without child
//! elements is its text (entities and CDATA resolved, `""` when empty).

use serde_json::{Map, Value};

/// Why a text is not an XML document.
#[derive(Debug, thiserror::Error)]
#[error("not XML ({0})")]
pub(crate) struct XmlError(#[from] roxmltree::Error);

/// The document as JSON, or why it is not XML.
pub(crate) fn to_json(text: &str) -> Result<Value, XmlError> {
    let document = roxmltree::Document::parse(text)?;
    let root = document.root_element();
    let mut top = Map::new();
    top.insert(root.tag_name().name().to_string(), element(root));
    Ok(Value::Object(top))
}

fn element(node: roxmltree::Node<'_, '_>) -> Value {
    let children: Vec<roxmltree::Node<'_, '_>> =
        node.children().filter(|child| child.is_element()).collect();
    if children.is_empty() {
        let text: String = node
            .children()
            .filter(|child| child.is_text())
            .filter_map(|child| child.text())
            .collect();
        return Value::String(text);
    }
    let mut members = Map::new();
    for child in children {
        let name = child.tag_name().name().to_string();
        let value = element(child);
        match members.get_mut(&name) {
            None => {
                members.insert(name, value);
            }
            // An element is a string or an object, so an array here is repeated children.
            Some(Value::Array(repeated)) => repeated.push(value),
            Some(first) => {
                let earlier = first.take();
                *first = Value::Array(vec![earlier, value]);
            }
        }
    }
    Value::Object(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_an_s3_listing() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated><Contents><Key>a&amp;b</Key><ETag>&quot;x&quot;</ETag></Contents><Contents><Key>c</Key><ETag/></Contents></ListBucketResult>"#;
        assert_eq!(
            to_json(text).expect("xml"),
            json!({"ListBucketResult": {
                "Name": "b",
                "IsTruncated": "false",
                "Contents": [{"Key": "a&b", "ETag": "\"x\""}, {"Key": "c", "ETag": ""}]
            }})
        );
    }

    #[test]
    fn drops_namespace_prefixes_and_keeps_one_child_as_an_object() {
        let text = r#"<D:multistatus xmlns:D="DAV:"><D:response><D:href>/t/a%20b</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop></D:propstat></D:response></D:multistatus>"#;
        assert_eq!(
            to_json(text).expect("xml"),
            json!({"multistatus": {"response": {
                "href": "/t/a%20b",
                "propstat": {"prop": {"getetag": "\"1\""}}
            }}})
        );
    }

    #[test]
    fn html_and_garbage_are_not_xml() {
        assert!(to_json("<html><body><a href=x>x</body></html>").is_err());
        assert!(to_json("{\"items\": []}").is_err());
    }
}
