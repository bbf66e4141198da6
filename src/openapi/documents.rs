//! The documents a `$ref` can reach: the document itself and, when it is a local file, the
//! files beside it (`$ref: pet.yaml#/Pet`, `$ref: ./schemas/order.json`), read on demand.
//!
//! Only local files in the document's own directory (or below it) are read. A reference to a
//! URL, or any reference of a document that was itself fetched from a URL, is never fetched:
//! following it would make idemfuzz send requests to hosts the user never named (a document
//! can point anywhere, internal addresses included) and would make the import depend on the
//! network. Such references are reported as not followed, with the reason.

use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::fetch::MAX_SPEC_BYTES;
use super::load::parse_node;
use super::node::Node;

/// Files read beside the document at most.
pub(crate) const MAX_FILES: usize = 64;

/// Index of a document in [`Documents`]; the document itself is `MAIN`.
pub(crate) type FileId = usize;
pub(crate) const MAIN: FileId = 0;

/// A resolved reference: the document it points into and the JSON pointer there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Target {
    pub(crate) file: FileId,
    pub(crate) pointer: String,
}

#[derive(Debug)]
struct Doc {
    /// The file's path relative to the main document's directory (empty for the main document).
    name: String,
    root: Rc<Node>,
}

/// The main document and the files read for its references.
#[derive(Debug)]
pub(crate) struct Documents {
    docs: Vec<Doc>,
    /// The main document's directory, when it is a local file (else no file is ever read).
    dir: Option<PathBuf>,
}

impl Documents {
    /// The main document; `file` is its path when it was read from disk (`None` when fetched).
    pub(crate) fn new(root: Node, file: Option<&Path>) -> Documents {
        let dir = file.map(|path| match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        });
        Documents {
            docs: vec![Doc {
                name: String::new(),
                root: Rc::new(root),
            }],
            dir,
        }
    }

    /// The root of a document.
    pub(crate) fn root(&self, file: FileId) -> Rc<Node> {
        self.docs
            .get(file)
            .map_or_else(|| Rc::new(Node::Null), |doc| Rc::clone(&doc.root))
    }

    /// The file's name for messages and keys (`""` for the main document).
    pub(crate) fn name(&self, file: FileId) -> &str {
        self.docs.get(file).map_or("", |doc| doc.name.as_str())
    }

    /// Where `reference` (written in document `from`) points, reading a file beside the main
    /// document when it names one; `Err` says why it is not followed.
    pub(crate) fn resolve(&mut self, reference: &str, from: FileId) -> Result<Target, String> {
        let (location, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let pointer = decode_fragment(fragment)?;
        let file = if location.is_empty() {
            from
        } else {
            self.file(location, from)?
        };
        Ok(Target { file, pointer })
    }

    /// The node a target points at.
    pub(crate) fn node(&self, target: &Target) -> Option<(Rc<Node>, String)> {
        let root = self.docs.get(target.file)?.root.clone();
        root.pointer(&target.pointer)?;
        Some((root, target.pointer.clone()))
    }

    /// The document a reference's location part names, read on first use.
    fn file(&mut self, location: &str, from: FileId) -> Result<FileId, String> {
        if location.contains("://") || location.starts_with("//") {
            return Err("it points to a URL, and idemfuzz never fetches references (it would send requests to hosts you did not name); download the file beside the document".into());
        }
        let Some(dir) = self.dir.clone() else {
            return Err("the document was not read from a local file, and idemfuzz never fetches the files a reference names; download them beside the document and pass its path".into());
        };
        let relative = join(self.name(from), location)?;
        if let Some(found) = self.docs.iter().position(|doc| doc.name == relative) {
            return Ok(found);
        }
        if self.docs.len() > MAX_FILES {
            return Err(format!(
                "the document already references {MAX_FILES} files, the import's limit"
            ));
        }
        let path = dir.join(&relative);
        let root = read(&path).map_err(|why| format!("cannot read {}: {why}", path.display()))?;
        self.docs.push(Doc {
            name: relative,
            root: Rc::new(root),
        });
        Ok(self.docs.len() - 1)
    }
}

/// A file reference resolved against the referencing file (both relative to the main
/// document's directory), refused when it is absolute or leaves that directory.
fn join(from: &str, location: &str) -> Result<String, String> {
    let location = percent_decode(location);
    if Path::new(&location).is_absolute() {
        return Err("it is an absolute path; only files beside the document are read".into());
    }
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut parts: Vec<String> = Vec::new();
    for component in base.join(&location).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or_else(|| {
                    "it leaves the document's directory; only files beside the document are read"
                        .to_string()
                })?;
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(
                    "it is an absolute path; only files beside the document are read".into(),
                );
            }
        }
    }
    if parts.is_empty() {
        return Err("it names no file".into());
    }
    Ok(parts.join("/"))
}

fn read(path: &Path) -> Result<Node, String> {
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("it is not a file".into());
    }
    if metadata.len() > MAX_SPEC_BYTES as u64 {
        return Err(format!(
            "it is larger than {} MiB",
            MAX_SPEC_BYTES / 1024 / 1024
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    parse_node(&text).map_err(|(format, reason)| format!("not valid {format}: {reason}"))
}

/// The JSON pointer of a URI fragment (`/components/schemas/Pet`), percent-decoded.
fn decode_fragment(fragment: &str) -> Result<String, String> {
    let pointer = percent_decode(fragment);
    if pointer.is_empty() || pointer.starts_with('/') {
        Ok(pointer)
    } else {
        Err(format!(
            "`#{fragment}` is not a JSON pointer (anchors are not supported)"
        ))
    }
}

/// `%7B` → `{`; invalid escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_references_stay_beside_the_document() {
        assert_eq!(join("", "pet.yaml").as_deref(), Ok("pet.yaml"));
        assert_eq!(
            join("schemas/a.yaml", "./b.yaml").as_deref(),
            Ok("schemas/b.yaml")
        );
        assert_eq!(join("schemas/a.yaml", "../c.yaml").as_deref(), Ok("c.yaml"));
        assert!(join("", "../secret.yaml").is_err());
        assert!(join("", "/etc/passwd").is_err());
        assert_eq!(join("", "a%20b.yaml").as_deref(), Ok("a b.yaml"));
    }

    #[test]
    fn urls_and_fetched_documents_are_never_followed() {
        let mut docs = Documents::new(Node::Null, None);
        let err = docs.resolve("pet.yaml#/Pet", MAIN).expect_err("fetched");
        assert!(err.contains("not read from a local file"), "{err}");
        let mut docs = Documents::new(Node::Null, Some(Path::new("spec.yaml")));
        let err = docs
            .resolve("https://example.com/pet.yaml#/Pet", MAIN)
            .expect_err("URL");
        assert!(err.contains("never fetches"), "{err}");
        assert_eq!(
            docs.resolve("#/components/schemas/A%20B", MAIN),
            Ok(Target {
                file: MAIN,
                pointer: "/components/schemas/A B".into()
            })
        );
        assert!(docs.resolve("#anchor", MAIN).is_err());
    }
}
