use std::time::Duration;

use percent_encoding::percent_decode_str;
use proptest::prelude::*;

use super::*;

/// A request cleared for a test (a GET, or any method to a URL of `http://127.0.0.1`).
pub(crate) fn cleared(method: Method, url: &str) -> Cleared {
    let registry = Registry::default();
    registry.allocate("things", "t", url, true);
    let scope = Scope {
        base: "http://127.0.0.1",
        registry: &registry,
        collection: None,
    };
    clear(scope, method, url)
        .expect("cleared")
        .request(Vec::new(), None, Duration::from_secs(1))
}

fn registry_with(urls: &[&str]) -> Registry {
    let registry = Registry::default();
    for url in urls {
        registry.allocate("things", "x", url, true);
    }
    registry
}

fn scope(registry: &Registry) -> Scope<'_> {
    Scope {
        base: "http://h:1/api",
        registry,
        collection: Some("http://h:1/api/things"),
    }
}

#[test]
fn writes_go_only_to_owned_urls_and_reads_only_to_the_target() {
    let registry = registry_with(&["http://h:1/api/things/idf-1"]);
    let scope = scope(&registry);
    let ok = |method, url: &str| clear(scope, method, url).map(|c| c.url().to_owned());
    assert_eq!(
        ok(Method::Put, "http://h:1/api/things/idf-1").as_deref(),
        Ok("http://h:1/api/things/idf-1")
    );
    assert!(ok(Method::Delete, "http://h:1/api/things/idf-1/break").is_ok());
    assert!(ok(Method::Post, "http://h:1/api/things").is_ok());
    assert!(ok(Method::Post, "http://h:1/api/things?x=1").is_ok());
    assert!(ok(Method::Get, "http://h:1/api/things/pre00001").is_ok());
    for (method, url) in [
        (Method::Put, "http://h:1/api/things/pre00001"),
        (
            Method::Delete,
            "http://h:1/api/things/idf-1/%2e%2e/pre00001",
        ),
        (Method::Delete, "http://h:1/api/things/idf-1/..%2fpre00001"),
        (Method::Patch, "http://h:1/api/things/idf-1\\..\\pre00001"),
        (Method::Post, "http://h:1/api/other"),
        (Method::Delete, "http://h:1/api/things"),
    ] {
        assert!(
            matches!(ok(method, url), Err(Refusal::NotOwned { .. })),
            "{method} {url}"
        );
    }
    // Nothing at all goes to another origin, not even a GET.
    for url in [
        "http://other:1/api/things/idf-1",
        "https://h:1/api/things/idf-1",
        "http://h:2/api/things/idf-1",
    ] {
        assert!(
            matches!(ok(Method::Get, url), Err(Refusal::OtherOrigin { .. })),
            "{url}"
        );
    }
    assert!(matches!(
        ok(Method::Get, "/relative"),
        Err(Refusal::Unusable { .. })
    ));
}

#[test]
fn a_request_whose_query_names_another_method_is_judged_as_a_write() {
    let registry = registry_with(&["http://h:1/api/things/idf-1"]);
    let scope = scope(&registry);
    for (method, url) in [
        (Method::Get, "http://h:1/api/things/pre00001?_method=DELETE"),
        (
            Method::Head,
            "http://h:1/api/things/pre00001?a=1&_METHOD=put",
        ),
        (Method::Post, "http://h:1/api/things?_method=DELETE"),
        (
            Method::Post,
            "http://h:1/api/things?x-http-method-override=PATCH",
        ),
    ] {
        assert!(
            matches!(clear(scope, method, url), Err(Refusal::NotOwned { .. })),
            "{method} {url}"
        );
    }
    assert!(
        clear(
            scope,
            Method::Post,
            "http://h:1/api/things/idf-1?_method=PUT"
        )
        .is_ok()
    );
    assert!(
        clear(
            scope,
            Method::Get,
            "http://h:1/api/things/pre00001?method=x"
        )
        .is_ok()
    );
}

#[test]
fn the_cleared_request_carries_the_url_as_judged() {
    let registry = registry_with(&["http://h:1/api/things/idf-1"]);
    let cleared = clear(
        scope(&registry),
        Method::Put,
        "http://H:1/api/things/x/../idf-1#frag",
    )
    .expect("owned")
    .request(Vec::new(), None, Duration::from_secs(1));
    assert_eq!(cleared.request().url, "http://h:1/api/things/idf-1");
    assert_eq!(cleared.request().method, Method::Put);
}

#[test]
fn resources_belong_to_the_target_whose_base_they_are_below() {
    assert!(belongs_to("http://h:1/api", "http://h:1/api/things/a"));
    assert!(!belongs_to("http://h:1/api", "http://h:10/api/things/a"));
    assert!(!belongs_to("http://h:1/api", "http://h:1/apix/things/a"));
    assert!(belongs_to("http://h:1", "http://h:1/things/a"));
}

/// What a server does with a path: decodes it `decodes` times (`%XX`, and IIS's `%uXXXX`; so
/// `%2f` may become a separator), with or without Unicode NFKC normalisation (`．．` is `..`),
/// then cuts each segment at a NUL or `;`, drops invisible characters and trailing dots and
/// spaces, and removes dot segments (a name of dots alone is `..`). Returns the segments it
/// routes on.
fn server_view(path: &str, decodes: usize, nfkc: bool) -> Vec<String> {
    let mut text = path.trim_start_matches('/').to_owned();
    for _ in 0..decodes {
        text = percent_u_decoded(&text);
        text = percent_decode_str(&text).decode_utf8_lossy().into_owned();
        if nfkc {
            text = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc()
                .normalize(&text)
                .into_owned();
        }
    }
    let mut out: Vec<String> = Vec::new();
    for segment in text.split(['/', '\\']) {
        let name: String = segment
            .split(['\0', ';'])
            .next()
            .unwrap_or(segment)
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{feff}'))
            .collect();
        let name = name.trim();
        match name {
            "." => {}
            _ if !name.is_empty() && name.chars().all(|c| c == '.') => {
                out.pop();
            }
            other => out.push(other.trim_end_matches(['.', ' ']).to_owned()),
        }
    }
    out
}

/// `%uXXXX` replaced by its character.
fn percent_u_decoded(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("%u") {
        out.push_str(&rest[..at]);
        match rest
            .get(at + 2..at + 6)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("%u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Path segments a hostile template, capture or server id may hold.
fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%2E.".to_owned()),
        Just(".%2e".to_owned()),
        Just("%252e%252e".to_owned()),
        Just("..%2f".to_owned()),
        Just("%2f".to_owned()),
        Just("%5c".to_owned()),
        Just("\\".to_owned()),
        Just("/".to_owned()),
        Just("#".to_owned()),
        Just("?k=".to_owned()),
        Just("..;".to_owned()),
        Just(";x".to_owned()),
        Just("%c0%ae".to_owned()),
        Just("．".to_owned()),
        Just("‥".to_owned()),
        Just("／".to_owned()),
        Just("＼".to_owned()),
        Just("%EF%BC%8E".to_owned()),
        Just("%u002e".to_owned()),
        Just("%u002f".to_owned()),
        Just("%00".to_owned()),
        Just("\0".to_owned()),
        Just(" ".to_owned()),
        Just("%20".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("%3B".to_owned()),
        Just("?_method=DELETE&".to_owned()),
        Just("pre00001".to_owned()),
        Just("things".to_owned()),
        Just("api".to_owned()),
        Just("idf-1".to_owned()),
        "[a-z0-9%._~-]{0,4}",
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_piece(), 0..6).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// For generated templates, captured values and server ids: a write is cleared only when a
    /// server — decoding once or twice, removing dot segments — routes it to a resource the
    /// run owns or below one.
    #[test]
    fn a_write_is_sent_only_if_its_wire_url_is_owned(
        server_id in hostile_text(),
        template in prop::collection::vec(prop_oneof![
            hostile_piece(),
            Just("{id}".to_owned()),
            Just("{cap}".to_owned()),
        ], 1..6),
        capture in hostile_text(),
        method in prop_oneof![Just(Method::Put), Just(Method::Patch), Just(Method::Delete)],
    ) {
        let registry = Registry::default();
        // The run owns one client-chosen id and, when it is a safe segment, one server id.
        let owned = vec!["idf-x-c0001-1".to_owned()]
            .into_iter()
            .chain(wire_url::segment(&server_id).ok())
            .map(|segment| format!("http://h:1/api/things/{segment}"))
            .collect::<Vec<_>>();
        for url in &owned {
            registry.allocate("things", "x", url, true);
        }
        let template = format!("/things/{}", template.join("/"));
        let found = crate::scenario::placeholder::find(&template);
        let Ok(path) = wire_url::fill(&template, &found, |p| {
            Ok::<_, String>(if p.name == "id" { "idf-x-c0001-1".to_owned() } else { capture.clone() })
        }) else {
            return Ok(());
        };
        let Ok(url) = wire_url::join("http://h:1/api", &path) else {
            return Ok(());
        };
        let Ok(cleared) = clear(scope(&registry), method, url.as_str()) else {
            return Ok(());
        };
        let sent = WireUrl::parse(cleared.url()).expect("a cleared URL parses");
        for (decodes, nfkc) in [(1, false), (2, false), (1, true), (2, true)] {
            let routed = server_view(sent.url().path(), decodes, nfkc);
            let below_owned = owned.iter().any(|owned| {
                let owned = WireUrl::parse(owned).expect("URL");
                routed.starts_with(&server_view(owned.url().path(), decodes, nfkc))
            });
            prop_assert!(
                below_owned,
                "{method} {} was cleared; a server decoding {decodes}x (NFKC: {nfkc}) routes it to {routed:?}",
                cleared.url()
            );
        }
    }
}

/// Every `.rs` file under `dir`.
fn sources(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// There is no second path to a target: outside the HTTP layer itself, only
/// `session::auth` (which takes nothing but a [`Cleared`] request) calls the transport.
#[test]
fn only_the_authenticated_senders_call_the_transport() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(
        files.len() > 100,
        "the sources were not found under {}",
        root.display()
    );
    let allowed = [
        root.join("http"),
        root.join("session").join("auth.rs"),
        root.join("session").join("guard_tests.rs"),
    ];
    let mut offenders = Vec::new();
    for file in files {
        if allowed.iter().any(|a| file.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            let code: String = line
                .split("//")
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            if [
                "transport.send",
                "transport.as_ref().send",
                "transport().send",
            ]
            .iter()
            .any(|call| code.contains(call))
            {
                offenders.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "sends that bypass the guard:\n{}",
        offenders.join("\n")
    );
}
