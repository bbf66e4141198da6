//! The layer test (issue 14): the top-level modules of `src/` form layers that only point down.
//!
//! Every file under `src/` is parsed with `syn`, so every way code names another module is
//! seen: `use crate::a::X`, grouped `use crate::{a::X, b::Y}`, inline paths such as
//! `crate::a::f()` in expressions, types and patterns, `super::…` paths that climb to the crate
//! root, paths inside macro invocations (`assert!(crate::a::f())`) and inside attribute
//! arguments, and `idemfuzz::…` in `main.rs`. Doc comments are attributes holding string
//! literals, so an intra-doc link is not a dependency.
//!
//! The test fails on
//! - (a) a reference from a top-level module to one of a higher rank in [`LAYERS`];
//! - (b) a cycle between top-level modules (modules of one rank may use each other one way);
//! - (c) a top-level module (a file or folder of `src/`, or a `mod` of `lib.rs`) missing from
//!   [`LAYERS`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// The top-level modules and their ranks, lowest first. A module may use modules of its own rank
/// or lower, never higher, and never in a cycle.
const LAYERS: &[(&str, u8)] = &[
    // The data layer: check ids and info, findings, the report model, events, fingerprints,
    // exchange records, exit codes; the environment snapshot.
    ("env", 0),
    ("shorten", 0),
    ("model", 0),
    // The scenario and the HTTP transport (neither uses the other), then snapshots.
    ("scenario", 1),
    ("http", 1),
    ("snapshot", 1),
    // What one case may do on the wire.
    ("session", 2),
    // The checks and the fuzzer (the checks call the fuzzer, never back); the OpenAPI importer;
    // the demo API, which uses nothing of the crate but in its tests (which import its own
    // OpenAPI document; the fuzzer's tests run against it).
    ("checks", 3),
    ("fuzz", 3),
    ("openapi", 3),
    ("demo", 3),
    // Plan, batches, cleanup, aggregation, probe, baselines.
    ("runner", 4),
    // The reporters.
    ("report", 5),
    // The command line, then the binary.
    ("cli", 6),
    ("main", 7),
];

/// Where one module names another: the file and the path as written.
#[derive(Debug, Clone)]
struct Site {
    file: PathBuf,
    path: String,
}

/// Edges between top-level modules: (from, to) → the first few sites.
type Edges = BTreeMap<(String, String), Vec<Site>>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read src/")
        .map(|entry| entry.expect("read a src/ entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file from its place under `src/` (`runner/plan.rs` → `runner::plan`,
/// `runner/mod.rs` → `runner`); `lib.rs` is the root, `main.rs` the binary named `main`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    match (parts.is_empty(), stem) {
        (true, "lib") => {}
        (_, "mod") => {}
        _ => parts.push(stem.to_string()),
    }
    parts
}

/// Collects the top-level modules a file names.
struct Collector<'a> {
    file: &'a Path,
    /// The module the visitor is in: the file's module plus inline `mod` blocks.
    module: Vec<String>,
    /// The name `crate` has in this file: `crate`, or `idemfuzz` in the binary.
    crate_name: &'static str,
    found: Vec<(String, String)>,
}

impl Collector<'_> {
    /// The top-level module a path starting with `segments` names, if it leaves the current one.
    fn record(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let target = if first == self.crate_name {
            segments.get(1)
        } else if first == "super" {
            let supers = segments.iter().take_while(|s| *s == "super").count();
            if supers >= self.module.len() {
                segments.get(supers)
            } else {
                // Still inside the file's top-level module.
                return;
            }
        } else {
            return;
        };
        if let Some(target) = target {
            self.found.push((target.clone(), segments.join("::")));
        }
    }

    /// Paths in a token stream (macro bodies, attribute arguments): every `a :: b :: c` run,
    /// and in attribute arguments also paths written as strings.
    fn scan_tokens(&mut self, tokens: TokenStream, in_attribute: bool) {
        let mut run: Vec<String> = Vec::new();
        let mut colons = 0;
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    if colons != 2 {
                        self.flush(&mut run);
                    }
                    run.push(ident.to_string());
                    colons = 0;
                }
                TokenTree::Punct(punct) if punct.as_char() == ':' => colons += 1,
                other => {
                    self.flush(&mut run);
                    colons = 0;
                    match other {
                        TokenTree::Group(group) => self.scan_tokens(group.stream(), in_attribute),
                        TokenTree::Literal(literal) if in_attribute => {
                            self.scan_literal(&literal.to_string())
                        }
                        _ => {}
                    }
                }
            }
        }
        self.flush(&mut run);
    }

    fn flush(&mut self, run: &mut Vec<String>) {
        if !run.is_empty() {
            self.record(&std::mem::take(run));
        }
    }

    /// `#[serde(with = "crate::a::b")]` and the like name a module in a string.
    fn scan_literal(&mut self, text: &str) {
        let Some(path) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            return;
        };
        if path.starts_with(&format!("{}::", self.crate_name)) {
            let segments: Vec<String> = path.split("::").map(String::from).collect();
            self.record(&segments);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                prefix.push(name.ident.to_string());
                self.record(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                self.record(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                prefix.push("*".to_string());
                self.record(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone(), false);
        syn::visit::visit_macro(self, mac);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        // Doc comments (`#[doc = "…"]`) are prose: links in them are not dependencies.
        if attr.path().is_ident("doc") {
            return;
        }
        if let syn::Meta::List(list) = &attr.meta {
            self.scan_tokens(list.tokens.clone(), true);
        }
        syn::visit::visit_attribute(self, attr);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }
}

/// The top-level modules: every file and folder of `src/` and every `mod` of `lib.rs`.
fn top_level_modules(files: &[PathBuf]) -> BTreeSet<String> {
    let src = src_dir();
    let mut modules: BTreeSet<String> = files
        .iter()
        .filter_map(|file| module_path(file.strip_prefix(&src).ok()?).first().cloned())
        .collect();
    let lib = fs::read_to_string(src.join("lib.rs")).expect("read src/lib.rs");
    let lib = syn::parse_file(&lib).expect("parse src/lib.rs");
    for item in lib.items {
        if let syn::Item::Mod(item) = item {
            modules.insert(item.ident.to_string());
        }
    }
    modules
}

/// Every reference from one top-level module to another, with where it is written.
fn edges(files: &[PathBuf]) -> Edges {
    let src = src_dir();
    let mut edges = Edges::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("a file under src/");
        let module = module_path(relative);
        let Some(top) = module.first().cloned() else {
            continue; // lib.rs declares the modules and names nothing.
        };
        let text = fs::read_to_string(file).expect("read a source file");
        let parsed = syn::parse_file(&text)
            .unwrap_or_else(|err| panic!("parse {}: {err}", relative.display()));
        let mut collector = Collector {
            file: relative,
            module,
            crate_name: if top == "main" { "idemfuzz" } else { "crate" },
            found: Vec::new(),
        };
        collector.visit_file(&parsed);
        for (target, path) in collector.found {
            if target == top {
                continue;
            }
            let sites = edges.entry((top.clone(), target)).or_default();
            if sites.len() < 3 {
                sites.push(Site {
                    file: collector.file.to_path_buf(),
                    path,
                });
            }
        }
    }
    edges
}

fn rank(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, rank)| *rank)
}

fn describe(sites: &[Site]) -> String {
    sites
        .iter()
        .map(|site| format!("{} ({})", site.file.display(), site.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cycle in the module graph, as its modules in order, if there is one.
fn find_cycle(edges: &Edges) -> Option<Vec<String>> {
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().push(to);
    }
    // Depth-first search with the current path on a stack: an edge back into it is a cycle.
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = stack[start..].iter().map(|n| n.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, &graph, &mut Vec::new(), &mut done))
}

#[test]
fn layers_only_point_down() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let modules = top_level_modules(&files);
    let edges = edges(&files);
    let mut problems = Vec::new();

    for module in &modules {
        if rank(module).is_none() {
            problems.push(format!(
                "(c) top-level module `{module}` has no rank in LAYERS (tests/layers.rs)"
            ));
        }
    }
    for ((from, to), sites) in &edges {
        if let (Some(from_rank), Some(to_rank)) = (rank(from), rank(to))
            && to_rank > from_rank
        {
            problems.push(format!(
                "(a) `{from}` (rank {from_rank}) uses `{to}` (rank {to_rank}), a higher layer: {}",
                describe(sites)
            ));
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|pair| {
                let sites = &edges[&(pair[0].clone(), pair[1].clone())];
                format!("`{}` → `{}`: {}", pair[0], pair[1], describe(sites))
            })
            .collect();
        problems.push(format!(
            "(b) cycle {}:\n    {}",
            cycle.join(" → "),
            steps.join("\n    ")
        ));
    }

    assert!(
        problems.is_empty(),
        "the layers of src/ point up or round:\n  {}",
        problems.join("\n  ")
    );
}
