//! The JUnit report validates against the common JUnit XML schema: Jenkins' `junit-10.xsd`
//! (`tests/fixtures/junit/junit-10.xsd`, unchanged), the schema CI tools check reports with.
//!
//! No well-kept pure-Rust XSD validator exists, so [`Schema`] interprets the subset of XSD that
//! file uses, read from the file itself; parsing refuses any other construct, so a schema that
//! needs more cannot pass by being half understood. What is checked:
//!
//! * the document element is a global element of the schema;
//! * every attribute of an element is declared on its type (an undeclared one, such as
//!   `skipped` on `<testsuites>`, is an error), every `use="required"` one is present, and the
//!   value of one whose type is a named simple type matches its `xs:pattern` (anchored);
//! * the child elements of every element match its content model: `xs:sequence` and
//!   `xs:choice` with `minOccurs` / `maxOccurs`, global elements by `ref`, local elements by
//!   `name` and `type`;
//! * non-blank text only in a `mixed` type or an element of type `xs:string`, which has no child
//!   elements and no attributes.
//!
//! Not checked (the schema needs none of it): namespaces, whitespace facets, built-in types
//! other than `xs:string`. `xmllint --schema tests/fixtures/junit/junit-10.xsd FILE` agrees on
//! the reports these tests produce (checked by hand; it is not needed to run the suite).

mod support;

use std::collections::{BTreeSet, HashMap};

use regex::Regex;
use support::{Demo, run, write_file};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// What may occur where an element is allowed.
#[derive(Debug)]
enum Particle {
    Element {
        name: String,
        ty: TypeRef,
        min: usize,
        max: Option<usize>,
    },
    Sequence {
        items: Vec<Particle>,
        min: usize,
        max: Option<usize>,
    },
    Choice {
        items: Vec<Particle>,
        min: usize,
        max: Option<usize>,
    },
}

/// The type of an element: a global element's (by `ref`), a named type, or `xs:string`.
#[derive(Debug, Clone)]
enum TypeRef {
    Global(String),
    Named(String),
    String,
}

#[derive(Debug)]
struct Attribute {
    name: String,
    required: bool,
    /// The pattern of its simple type; `None` for `xs:string`.
    pattern: Option<Regex>,
}

#[derive(Debug)]
struct ComplexType {
    mixed: bool,
    attributes: Vec<Attribute>,
    content: Option<Particle>,
}

#[derive(Debug)]
enum Type {
    String,
    Complex(ComplexType),
}

/// A global element's type: declared inline, or a named type.
enum Decl {
    Inline(Type),
    Named(String),
}

/// The declarations of an XSD in the subset `junit-10.xsd` uses.
struct Schema {
    elements: HashMap<String, Decl>,
    named: HashMap<String, Type>,
}

fn is_xs(node: roxmltree::Node, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(XS) && node.tag_name().name() == name
}

fn xs_children<'a>(node: roxmltree::Node<'a, 'a>) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> {
    node.children()
        .filter(|n| n.is_element() && !is_xs(*n, "annotation"))
}

fn occurs(node: roxmltree::Node, name: &str) -> Option<usize> {
    match node.attribute(name) {
        None => Some(1),
        Some("unbounded") => None,
        Some(n) => Some(n.parse().expect("a number of occurrences")),
    }
}

impl Schema {
    fn parse(text: &str) -> Schema {
        let doc = roxmltree::Document::parse(text).expect("the XSD is XML");
        let root = doc.root_element();
        assert!(is_xs(root, "schema"));
        let patterns: HashMap<String, Regex> = xs_children(root)
            .filter(|n| is_xs(*n, "simpleType"))
            .map(|n| {
                (
                    n.attribute("name").expect("named").to_owned(),
                    simple_type(n),
                )
            })
            .collect();
        let mut schema = Schema {
            elements: HashMap::new(),
            named: HashMap::new(),
        };
        for node in xs_children(root) {
            let name = node
                .attribute("name")
                .expect("a named declaration")
                .to_owned();
            if is_xs(node, "simpleType") {
                continue;
            } else if is_xs(node, "complexType") {
                let ty = Type::Complex(complex_type(node, &patterns));
                schema.named.insert(name, ty);
            } else if is_xs(node, "element") {
                let decl = match (node.attribute("type"), xs_children(node).next()) {
                    (Some("xs:string"), None) => Decl::Inline(Type::String),
                    (Some(named), None) if !named.starts_with("xs:") => {
                        Decl::Named(named.to_owned())
                    }
                    (None, Some(inner)) if is_xs(inner, "complexType") => {
                        Decl::Inline(Type::Complex(complex_type(inner, &patterns)))
                    }
                    other => panic!("unsupported element declaration {name}: {other:?}"),
                };
                schema.elements.insert(name, decl);
            } else {
                panic!("unsupported XSD construct <{}>", node.tag_name().name());
            }
        }
        schema
    }

    fn global(&self, name: &str) -> Option<&Type> {
        match self.elements.get(name)? {
            Decl::Inline(ty) => Some(ty),
            Decl::Named(named) => self.named.get(named),
        }
    }

    fn resolve(&self, ty: &TypeRef) -> &Type {
        match ty {
            TypeRef::String => &Type::String,
            TypeRef::Global(name) => self.global(name).expect("a declared element"),
            TypeRef::Named(name) => self.named.get(name).expect("a declared type"),
        }
    }

    /// Every violation of the schema in `xml`, one line each with the element's path.
    fn validate(&self, xml: &str) -> Vec<String> {
        let doc = match roxmltree::Document::parse(xml) {
            Ok(doc) => doc,
            Err(err) => return vec![format!("not well-formed XML: {err}")],
        };
        let root = doc.root_element();
        let name = root.tag_name().name();
        let mut problems = Vec::new();
        match self.global(name) {
            Some(ty) => self.check(root, ty, name, &mut problems),
            None => problems.push(format!("<{name}> is not a global element of the schema")),
        }
        problems
    }

    fn check(&self, node: roxmltree::Node, ty: &Type, path: &str, problems: &mut Vec<String>) {
        let children: Vec<roxmltree::Node> = node.children().filter(|n| n.is_element()).collect();
        let text = node
            .children()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .any(|t| !t.trim().is_empty());
        let complex = match ty {
            Type::String => {
                if !children.is_empty() || node.attributes().len() > 0 {
                    problems.push(format!(
                        "{path}: an xs:string element has children or attributes"
                    ));
                }
                return;
            }
            Type::Complex(complex) => complex,
        };
        if text && !complex.mixed {
            problems.push(format!("{path}: text in an element-only type"));
        }
        for attribute in node.attributes() {
            match complex
                .attributes
                .iter()
                .find(|a| a.name == attribute.name())
            {
                None => problems.push(format!(
                    "{path}: attribute `{}` is not allowed",
                    attribute.name()
                )),
                Some(declared) => {
                    if let Some(pattern) = &declared.pattern
                        && !pattern.is_match(attribute.value())
                    {
                        problems.push(format!(
                            "{path}: `{}` = {:?} does not match its type's pattern",
                            attribute.name(),
                            attribute.value()
                        ));
                    }
                }
            }
        }
        for declared in complex.attributes.iter().filter(|a| a.required) {
            if node.attribute(declared.name.as_str()).is_none() {
                problems.push(format!(
                    "{path}: required attribute `{}` is missing",
                    declared.name
                ));
            }
        }
        let names: Vec<&str> = children.iter().map(|c| c.tag_name().name()).collect();
        let matched = match &complex.content {
            None => names.is_empty(),
            Some(particle) => ends(particle, &names, 0).contains(&names.len()),
        };
        if !matched {
            problems.push(format!(
                "{path}: children {names:?} do not match the content model"
            ));
            return;
        }
        for child in children {
            let name = child.tag_name().name();
            let Some(ty) = complex.content.as_ref().and_then(|p| element_type(p, name)) else {
                continue;
            };
            self.check(child, self.resolve(ty), &format!("{path}/{name}"), problems);
        }
    }
}

fn simple_type(node: roxmltree::Node) -> Regex {
    let restriction = xs_children(node).next().expect("a restriction");
    assert!(
        is_xs(restriction, "restriction") && restriction.attribute("base") == Some("xs:string")
    );
    let pattern = xs_children(restriction)
        .find(|n| is_xs(*n, "pattern"))
        .and_then(|n| n.attribute("value"))
        .expect("a pattern facet");
    Regex::new(&format!("^(?:{pattern})$")).expect("an XSD pattern the regex crate reads")
}

fn complex_type(node: roxmltree::Node, patterns: &HashMap<String, Regex>) -> ComplexType {
    let mut ty = ComplexType {
        mixed: node.attribute("mixed") == Some("true"),
        attributes: Vec::new(),
        content: None,
    };
    for child in xs_children(node) {
        if is_xs(child, "attribute") {
            let pattern = match child.attribute("type") {
                None | Some("xs:string") => None,
                Some(named) => Some(patterns.get(named).expect("a declared simple type").clone()),
            };
            ty.attributes.push(Attribute {
                name: child.attribute("name").expect("named").to_owned(),
                required: child.attribute("use") == Some("required"),
                pattern,
            });
        } else {
            assert!(ty.content.is_none(), "one content model per type");
            ty.content = Some(particle(child));
        }
    }
    ty
}

fn particle(node: roxmltree::Node) -> Particle {
    let (min, max) = (
        occurs(node, "minOccurs").expect("bounded minOccurs"),
        occurs(node, "maxOccurs"),
    );
    if is_xs(node, "element") {
        let (name, ty) = match (
            node.attribute("ref"),
            node.attribute("name"),
            node.attribute("type"),
        ) {
            (Some(r), None, None) => (r.to_owned(), TypeRef::Global(r.to_owned())),
            (None, Some(n), Some("xs:string")) => (n.to_owned(), TypeRef::String),
            (None, Some(n), Some(t)) => (n.to_owned(), TypeRef::Named(t.to_owned())),
            other => panic!("unsupported element particle {other:?}"),
        };
        return Particle::Element { name, ty, min, max };
    }
    let items = xs_children(node).map(particle).collect();
    if is_xs(node, "sequence") {
        Particle::Sequence { items, min, max }
    } else if is_xs(node, "choice") {
        Particle::Choice { items, min, max }
    } else {
        panic!("unsupported particle <{}>", node.tag_name().name())
    }
}

/// The declared type of the element `name` in a content model.
fn element_type<'a>(particle: &'a Particle, name: &str) -> Option<&'a TypeRef> {
    match particle {
        Particle::Element { name: n, ty, .. } => (n == name).then_some(ty),
        Particle::Sequence { items, .. } | Particle::Choice { items, .. } => {
            items.iter().find_map(|p| element_type(p, name))
        }
    }
}

/// Where a match of `particle` starting at `start` can end in `names`.
fn ends(particle: &Particle, names: &[&str], start: usize) -> BTreeSet<usize> {
    let (min, max) = match particle {
        Particle::Element { min, max, .. }
        | Particle::Sequence { min, max, .. }
        | Particle::Choice { min, max, .. } => (*min, *max),
    };
    let mut reached = BTreeSet::new();
    let mut current = BTreeSet::from([start]);
    for count in 0.. {
        if count >= min {
            reached.extend(current.iter().copied());
        }
        if max.is_some_and(|max| count >= max) || current.is_empty() || count > names.len() + 1 {
            break;
        }
        current = current
            .iter()
            .flat_map(|&at| once(particle, names, at))
            .collect();
    }
    reached
}

/// Where one occurrence of `particle` starting at `at` can end.
fn once(particle: &Particle, names: &[&str], at: usize) -> BTreeSet<usize> {
    match particle {
        Particle::Element { name, .. } => {
            if names.get(at) == Some(&name.as_str()) {
                BTreeSet::from([at + 1])
            } else {
                BTreeSet::new()
            }
        }
        Particle::Choice { items, .. } => items.iter().flat_map(|p| ends(p, names, at)).collect(),
        Particle::Sequence { items, .. } => items.iter().fold(BTreeSet::from([at]), |starts, p| {
            starts.iter().flat_map(|&s| ends(p, names, s)).collect()
        }),
    }
}

fn schema() -> Schema {
    let text = std::fs::read_to_string(support::root().join("tests/fixtures/junit/junit-10.xsd"))
        .expect("read junit-10.xsd");
    Schema::parse(&text)
}

#[test]
fn the_checker_rejects_what_the_schema_rejects() {
    let schema = schema();
    let valid = r#"<?xml version="1.0"?>
<testsuites name="x" tests="1" failures="1" errors="0" time="1.5">
  <testsuite name="s" tests="1" failures="1" errors="0" skipped="0" time="0.120">
    <properties><property name="seed" value="1"/></properties>
    <testcase name="c" classname="r" time="0.1"><failure message="m" type="t">text</failure><system-out>out</system-out></testcase>
  </testsuite>
</testsuites>"#;
    assert_eq!(schema.validate(valid), Vec::<String>::new());
    let cases = [
        (
            valid.replace(
                r#"tests="1" failures="1" errors="0" time="1.5""#,
                r#"tests="1" skipped="0" failures="1" errors="0" time="1.5""#,
            ),
            "attribute `skipped` is not allowed",
        ),
        (
            valid.replace(r#"<testsuite name="s" tests="1""#, r#"<testsuite name="s""#),
            "required attribute `tests` is missing",
        ),
        (
            valid.replace(r#"time="0.120""#, r#"time="0.1s""#),
            "does not match its type's pattern",
        ),
        (
            valid.replace("<system-out>out</system-out>", "<stdout>out</stdout>"),
            "do not match the content model",
        ),
        (
            valid.replace("<properties>", "<properties>text"),
            "text in an element-only type",
        ),
        (
            valid.replace(
                "<system-out>out</system-out>",
                "<system-out><b/></system-out>",
            ),
            "xs:string element has children",
        ),
        (
            valid.replace("testsuites", "suites"),
            "is not a global element",
        ),
    ];
    for (doc, expected) in cases {
        let problems = schema.validate(&doc);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "expected a problem containing `{expected}`, got {problems:?}\n{doc}"
        );
    }
}

/// `run … --report junit:FILE` plus `extra`; returns the exit code and the JUnit document.
fn junit_of(scenario: &str, url: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("results.xml");
    let report = format!("junit:{}", file.display());
    let mut args = vec![
        "run",
        scenario,
        "--base-url",
        url,
        "--seed",
        "5",
        "--cases",
        "1",
        "--no-progress",
        "--format",
        "json",
        "--report",
        &report,
    ];
    args.extend_from_slice(extra);
    let out = run(args);
    out.assert_no_panic();
    let xml = std::fs::read_to_string(&file)
        .unwrap_or_else(|err| panic!("no JUnit file: {err}\n{}", out.context()));
    (out.code(), xml)
}

#[test]
fn junit_reports_of_real_runs_validate() {
    let schema = schema();
    let demo = Demo::start("merge-put,head-mismatch");
    // Failures, warnings-only passes, skipped rows, notes and curl scripts in system-out.
    let (code, failing) = junit_of("scenarios/", demo.url(), &[]);
    assert_eq!(code, 1);
    assert!(
        failing.contains("<failure")
            && failing.contains("<skipped")
            && failing.contains("<system-out>")
    );
    assert_eq!(schema.validate(&failing), Vec::<String>::new(), "{failing}");
    // Errored rows: every create answers 404.
    let dir = tempfile::tempdir().expect("tempdir");
    let lost = write_file(
        dir.path(),
        "lost.toml",
        "[resources.lost]\ncollection = \"/nowhere\"\nitem = \"/nowhere/{id}\"\nitems = \"/items\"\nrequired = [\"name\"]\n\n[resources.lost.body]\nname = { gen = \"string\", min_len = 1, max_len = 8 }\nsize = { gen = \"int\", min = 1, max = 9 }\n",
    );
    let (code, errored) = junit_of(
        &lost.display().to_string(),
        demo.url(),
        &["--checks", "repeat-put,partial-put"],
    );
    assert_eq!(code, 3);
    assert!(errored.contains("<error"), "{errored}");
    assert_eq!(schema.validate(&errored), Vec::<String>::new(), "{errored}");
    // A target that cannot be tested: the run-level testcase.
    let url = format!("http://127.0.0.1:{}", support::dead_port());
    let (code, untestable) = junit_of("scenarios/demo.toml", &url, &[]);
    assert_eq!(code, 3);
    assert_eq!(
        schema.validate(&untestable),
        Vec::<String>::new(),
        "{untestable}"
    );
}
