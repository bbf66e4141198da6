//! curl reproductions: a copy-paste POSIX shell script that replays a finding's request sequence.
//!
//! Everything comes from the recorded [`Exchange`]s, whose header values are already redacted or
//! in `${NAME}` form; this module never adds a header value. Quoting rules:
//!
//! * URLs, bodies and plain headers are single-quoted (`'` written as `'\''`);
//! * a header whose value contains a `${NAME}` placeholder is double-quoted so the user's shell
//!   expands the variable; `"`, `\`, `` ` `` and every `$` not part of a placeholder are escaped;
//! * a header whose value is `<redacted>` is left out of the command and shown commented out
//!   above it, with a note to fill it in;
//! * headers curl computes itself (`Host`, `Content-Length`, `Transfer-Encoding`,
//!   `Connection`) are left out so the replay stays consistent with the body.

use std::fmt::Write as _;

use crate::model::exchange::{Body, Exchange, Header, Method, NOT_READ};
use crate::model::findings::Finding;

/// The value recorded in place of a secret header value.
pub(crate) const REDACTED: &str = "<redacted>";

/// Headers left out of the command because curl derives them from the URL and body.
const DERIVED_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// A POSIX shell script that replays `exchanges` in order with curl.
pub(crate) fn curl_script(title: &str, exchanges: &[Exchange]) -> String {
    let mut script = script_header(title, exchanges);
    for exchange in exchanges {
        script.push('\n');
        script.push_str(&exchange_block(exchange));
    }
    script
}

/// The reproduction of a finding: its request sequence, titled `CHECK · RESOURCE: TITLE`.
pub(crate) fn finding_repro(finding: &Finding) -> String {
    let title = format!(
        "{} · {}: {}",
        finding.check, finding.resource, finding.title
    );
    curl_script(&title, &finding.exchanges)
}

/// The shebang and the comment header.
fn script_header(title: &str, exchanges: &[Exchange]) -> String {
    let mut out = String::from("#!/bin/sh\n");
    let _ = writeln!(out, "# idemfuzz reproduction: {}", comment_text(title));
    let _ = writeln!(
        out,
        "# Replays {} request(s) in order; compare the responses with the comments.",
        exchanges.len()
    );
    if exchanges
        .iter()
        .any(|e| e.request.headers.iter().any(has_placeholder))
    {
        out.push_str("# Export the variables written as ${NAME} before running it.\n");
        out.push_str(&auth_variable_hints(exchanges));
    }
    if exchanges
        .iter()
        .any(|e| e.request.headers.iter().any(is_redacted))
    {
        out.push_str("# Redacted headers are commented out: fill them in and add them back.\n");
    }
    out
}

/// How to set the variables idemfuzz itself names for `[target.auth]` credentials that did
/// not come from the environment (see `scenario::auth`).
fn auth_variable_hints(exchanges: &[Exchange]) -> String {
    use crate::scenario::auth::{BASIC_VARIABLE, TOKEN_VARIABLE};
    let uses = |name: &str| {
        let placeholder = format!("${{{name}}}");
        exchanges.iter().any(|e| {
            e.request
                .headers
                .iter()
                .any(|h| h.value.contains(&placeholder))
        })
    };
    let mut hints = String::new();
    if uses(TOKEN_VARIABLE) {
        let _ = writeln!(
            hints,
            "#   {TOKEN_VARIABLE}: the bearer token of [target.auth] (the token, or what its command prints)"
        );
    }
    if uses(BASIC_VARIABLE) {
        let _ = writeln!(
            hints,
            "#   {BASIC_VARIABLE}: base64 of USER:PASSWORD, e.g. {BASIC_VARIABLE}=$(printf %s 'USER:PASSWORD' | base64)"
        );
    }
    hints
}

/// The comment line, any redacted headers, the curl command and a separating `echo`.
fn exchange_block(exchange: &Exchange) -> String {
    let mut out = format!(
        "# {}. {} → observed {}\n",
        exchange.seq,
        comment_text(&exchange.purpose),
        exchange.response.status_text()
    );
    if exchange.response.status == NOT_READ {
        out.push_str(
            "# idemfuzz closed this connection unread once the server began to answer (a lost response);\n# to send the next request while this one is still in flight, end the command with `&`\n",
        );
    }
    for header in exchange.request.headers.iter().filter(|h| is_redacted(h)) {
        let _ = writeln!(
            out,
            "# fill in and add: -H {}",
            single_quote(&format!("{}: ...", header.name))
        );
    }
    if let Body::Binary { len, .. } = &exchange.request.body {
        let _ = writeln!(
            out,
            "# the request body was {len} bytes of binary data, not reproduced"
        );
    }
    if let Body::Text {
        truncated: true, ..
    } = &exchange.request.body
    {
        out.push_str("# the request body was truncated in the record\n");
    }
    out.push_str(&curl_command(exchange));
    out.push_str("\necho\n");
    out
}

/// The curl command itself, one argument group per line.
fn curl_command(exchange: &Exchange) -> String {
    let request = &exchange.request;
    let mut parts = vec![method_args(request.method, &request.url)];
    parts.extend(
        request
            .headers
            .iter()
            .filter(|h| !is_redacted(h) && !is_derived(h))
            .map(header_arg),
    );
    if request.method != Method::Head
        && let Some(data) = body_data(&request.body)
    {
        parts.push(format!("--data-binary {}", single_quote(&data)));
    }
    parts.join(" \\\n  ")
}

/// `curl -sS -i -X METHOD 'URL'`, or `curl -sS -I 'URL'` for HEAD (curl waits for a body after
/// `-X HEAD`).
fn method_args(method: Method, url: &str) -> String {
    match method {
        Method::Head => format!("curl -sS -I {}", single_quote(url)),
        _ => format!("curl -sS -i -X {} {}", method.as_str(), single_quote(url)),
    }
}

/// `-H 'Name: value'`, or `-H "Name: ${VAR}"` when the value holds a placeholder.
fn header_arg(header: &Header) -> String {
    let line = format!("{}: {}", header.name, header.value);
    if has_placeholder(header) {
        format!("-H {}", double_quote_keeping_placeholders(&line))
    } else {
        format!("-H {}", single_quote(&line))
    }
}

/// The body as sent: compact JSON, the text, or nothing (empty or binary).
fn body_data(body: &Body) -> Option<String> {
    match body {
        Body::Empty | Body::Binary { .. } => None,
        Body::Json { value } => Some(value.to_string()),
        Body::Text { text, .. } => Some(text.clone()),
    }
}

fn is_redacted(header: &Header) -> bool {
    header.value == REDACTED
}

fn is_derived(header: &Header) -> bool {
    DERIVED_HEADERS
        .iter()
        .any(|name| header.name.eq_ignore_ascii_case(name))
}

fn has_placeholder(header: &Header) -> bool {
    let value = header.value.as_str();
    value
        .char_indices()
        .any(|(i, c)| c == '$' && placeholder_len(&value[i..]).is_some())
}

/// Length in bytes of the `${NAME}` placeholder at the start of `s`, if there is one.
/// `NAME` is a shell variable name: a letter or `_`, then letters, digits or `_`.
fn placeholder_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("${")?;
    let end = rest.find('}')?;
    let name = &rest[..end];
    let mut chars = name.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(end + 3)
}

/// Wraps `s` in single quotes for a POSIX shell; nothing inside is expanded.
pub(crate) fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Wraps `s` in double quotes, leaving `${NAME}` placeholders for the shell to expand and
/// escaping `"`, `\`, `` ` `` and every other `$`.
pub(crate) fn double_quote_keeping_placeholders(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = (c == '$').then(|| placeholder_len(rest)).flatten() {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if matches!(c, '"' | '\\' | '`' | '$') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

/// Text safe inside a `#` comment: line breaks and other control characters become spaces, so a
/// server-provided string can never end the comment and start a command.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::exchange::{RequestRecord, ResponseRecord};
    use serde_json::json;

    fn header(name: &str, value: &str) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    fn exchange(method: Method, headers: Vec<Header>, body: Body, status: u16) -> Exchange {
        Exchange {
            seq: 1,
            purpose: "PUT body A (1 of 2)".into(),
            request: RequestRecord {
                method,
                url: "http://127.0.0.1:8080/items/it's".into(),
                headers,
                body,
            },
            response: ResponseRecord {
                status,
                headers: vec![],
                body: Body::Empty,
                body_len: 0,
                elapsed_ms: 3,
            },
        }
    }

    #[test]
    fn single_quotes_escape_single_quotes() {
        assert_eq!(single_quote("it's"), r"'it'\''s'");
        assert_eq!(single_quote("$HOME `x`"), "'$HOME `x`'");
    }

    #[test]
    fn body_with_a_single_quote_is_escaped_and_compact() {
        let body = Body::Json {
            value: json!({"name": "O'Brien", "tags": ["a", "b"]}),
        };
        let script = curl_script("t", &[exchange(Method::Put, vec![], body, 201)]);
        assert!(
            script.contains(r#"--data-binary '{"name":"O'\''Brien","tags":["a","b"]}'"#),
            "{script}"
        );
        assert!(script.contains(r"-X PUT 'http://127.0.0.1:8080/items/it'\''s'"));
        assert!(script.contains("# 1. PUT body A (1 of 2) → observed 201\n"));
    }

    #[test]
    fn placeholders_stay_expandable_and_literal_dollars_are_escaped() {
        let headers = vec![
            header("Authorization", "Bearer ${API_TOKEN}"),
            header("X-Price", "$5 for \"${TOKEN}\" `x` \\ ${not a var} $"),
        ];
        let script = curl_script("t", &[exchange(Method::Get, headers, Body::Empty, 200)]);
        assert!(
            script.contains(r#"-H "Authorization: Bearer ${API_TOKEN}""#),
            "{script}"
        );
        assert!(
            script.contains(r#"-H "X-Price: \$5 for \"${TOKEN}\" \`x\` \\ \${not a var} \$""#),
            "{script}"
        );
        assert!(script.contains("# Export the variables"));
    }

    #[test]
    fn auth_placeholders_say_which_variable_to_set() {
        let headers = vec![header("Authorization", "Bearer ${IDEMFUZZ_TOKEN}")];
        let script = curl_script("t", &[exchange(Method::Get, headers, Body::Empty, 200)]);
        assert!(
            script.contains(r#"-H "Authorization: Bearer ${IDEMFUZZ_TOKEN}""#),
            "{script}"
        );
        assert!(
            script.contains("#   IDEMFUZZ_TOKEN: the bearer token of [target.auth]"),
            "{script}"
        );
        let basic = vec![header("Authorization", "Basic ${IDEMFUZZ_BASIC_AUTH}")];
        let script = curl_script("t", &[exchange(Method::Get, basic, Body::Empty, 200)]);
        assert!(script.contains("#   IDEMFUZZ_BASIC_AUTH: base64 of USER:PASSWORD"));
        assert!(
            script
                .lines()
                .filter(|l| !l.starts_with('#'))
                .all(|l| !l.contains("printf"))
        );
    }

    #[test]
    fn redacted_headers_are_commented_out_and_derived_ones_dropped() {
        let headers = vec![
            header("Cookie", REDACTED),
            header("Content-Length", "12"),
            header("Accept", "application/json"),
        ];
        let script = curl_script("t", &[exchange(Method::Get, headers, Body::Empty, 200)]);
        assert!(
            script.contains("# fill in and add: -H 'Cookie: ...'\n"),
            "{script}"
        );
        assert!(!script.contains(REDACTED));
        assert!(!script.contains("Content-Length"));
        assert!(script.contains("  -H 'Accept: application/json'\n"));
    }

    #[test]
    fn head_uses_dash_i_upper_and_sends_no_body() {
        let body = Body::Text {
            text: "x".into(),
            truncated: false,
        };
        let script = curl_script("t", &[exchange(Method::Head, vec![], body, 200)]);
        assert!(script.contains("curl -sS -I 'http"), "{script}");
        assert!(!script.contains("-X HEAD"));
        assert!(!script.contains("--data-binary"));
    }

    /// What `sh` makes of a quoted word, with `TOKEN=tok` in the environment.
    #[cfg(unix)]
    fn through_sh(word: &str) -> String {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {word}"))
            .env("TOKEN", "tok")
            .output()
            .expect("sh runs");
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    #[cfg(unix)]
    #[test]
    fn quoting_survives_a_real_shell() {
        let nasty = "it's $HOME `id` \\ \"q\" ${TOKEN} $(id) !x";
        assert_eq!(through_sh(&single_quote(nasty)), nasty);
        let expanded = nasty.replace("${TOKEN}", "tok");
        assert_eq!(
            through_sh(&double_quote_keeping_placeholders(nasty)),
            expanded
        );
    }

    #[test]
    fn comments_cannot_break_out_into_commands() {
        let script = curl_script("title\nrm -rf /", &[]);
        assert!(script.starts_with("#!/bin/sh\n# idemfuzz reproduction: title rm -rf /\n"));
        assert!(script.lines().all(|line| line.starts_with('#')));
    }
}
