//! Shared helpers of the integration tests: running the real `idemfuzz` binary, and real HTTP
//! servers on 127.0.0.1 ephemeral ports (the bundled demo API, a demo API that dies after N
//! requests, and a "weird" API with odd bodies, a redirect and an endpoint that never answers).
//!
//! Every server runs on its own multi-thread tokio runtime owned by a guard struct, so a test
//! can run the binary synchronously while the server keeps serving; dropping the guard stops
//! the server.

// Each test crate uses a subset of these helpers.
#![allow(dead_code)]

pub(crate) mod faults;
pub(crate) mod reuse;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idemfuzz::demo::{BugSet, DemoOptions, DemoServer, LoggedRequest};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The built-in checks, in `list-checks` order.
pub(crate) const CHECKS: [&str; 17] = [
    "repeat-put",
    "partial-put",
    "repeat-delete",
    "put-after-delete",
    "use-after-delete",
    "get-safety",
    "head-parity",
    "post-retry",
    "status-conformance",
    "concurrent-put",
    "concurrent-post-key",
    "lost-response-retry",
    "conditional-write",
    "lost-update",
    "etag-stability",
    "post-put-creation",
    "fuzz",
];

/// Longest a single idemfuzz invocation may take before the test kills it. A safety net
/// against hangs, not a timing assertion: every run in this suite normally takes well under a
/// few seconds.
const KILL_AFTER: Duration = Duration::from_secs(180);

/// The crate root: bundled scenarios are referred to relative to it.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled scenario file, relative to the crate root (as the binary runs there).
pub(crate) fn scenario(name: &str) -> String {
    format!("scenarios/{name}")
}

/// Proxy variables removed from the binary's environment: tests talk to 127.0.0.1 directly
/// unless a test sets one on purpose.
pub(crate) const PROXY_VARIABLES: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// Where the binary's run ledgers go in tests: in cargo's scratch directory for integration
/// tests (under `target/`), not the checkout's `.idemfuzz/runs`; the runs that leave something
/// behind on purpose keep their ledger there.
pub(crate) fn test_ledgers() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("ledgers")
}

/// The real binary, run from the crate root, with an environment that cannot change its
/// behaviour behind the test's back.
pub(crate) fn idemfuzz() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("idemfuzz"));
    cmd.current_dir(root())
        .env_remove("IDEMFUZZ_BASE_URL")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("COLUMNS")
        .env("IDEMFUZZ_LEDGER_DIR", test_ledgers())
        .env("CI", "1")
        .timeout(KILL_AFTER);
    for name in PROXY_VARIABLES {
        cmd.env_remove(name);
    }
    cmd
}

/// The real binary as a plain child process (for tests that signal it while it runs), with
/// the same environment as [`idemfuzz`]; stdout and stderr are discarded, so pass `--output`.
pub(crate) fn spawn_idemfuzz(args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin!("idemfuzz"))
        .current_dir(root())
        .env_remove("IDEMFUZZ_BASE_URL")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env("IDEMFUZZ_LEDGER_DIR", test_ledgers())
        .env("CI", "1")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the idemfuzz binary")
}

/// What one run of the binary left: exit code and both streams.
#[derive(Debug)]
pub(crate) struct Out {
    /// The exit code; `None` when the process was killed by a signal (e.g. the safety timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The command line, for messages.
    pub args: String,
}

impl Out {
    /// The exit code, panicking when the process died from a signal (a crash or a hang).
    #[track_caller]
    pub(crate) fn code(&self) -> i32 {
        self.code
            .unwrap_or_else(|| panic!("idemfuzz was killed (crash or hang)\n{}", self.context()))
    }

    /// stdout as JSON (the `--format json` report).
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not a JSON report: {err}\n{}", self.context()))
    }

    /// The command line, exit code, stderr and the start of stdout, for panic messages.
    pub(crate) fn context(&self) -> String {
        format!(
            "command: idemfuzz {}\nexit code: {:?}\n--- stderr ---\n{}\n--- stdout (first 4000 chars) ---\n{}",
            self.args,
            self.code,
            self.stderr,
            self.stdout.chars().take(4000).collect::<String>()
        )
    }

    /// Asserts the exit code, with the whole context in the message.
    #[track_caller]
    pub(crate) fn assert_code(&self, expected: i32, why: &str) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "{why}: expected exit code {expected}\n{}",
            self.context()
        );
        self
    }

    /// Asserts that nothing panicked in the binary.
    #[track_caller]
    pub(crate) fn assert_no_panic(&self) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "idemfuzz panicked\n{}",
            self.context()
        );
        self
    }
}

/// Runs the binary with `args` and collects its output.
pub(crate) fn run<I, S>(args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    run_cmd(idemfuzz(), args)
}

/// Runs a prepared command (e.g. with extra environment) with `args`.
pub(crate) fn run_cmd<I, S>(mut cmd: assert_cmd::Command, args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_string()).collect();
    cmd.args(&args);
    let output = cmd.output().expect("start the idemfuzz binary");
    Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        args: args.join(" "),
    }
}

/// `run SCENARIO --base-url URL --format json --no-progress` plus `extra`.
pub(crate) fn run_json(scenario: &str, base_url: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "run",
        scenario,
        "--base-url",
        base_url,
        "--format",
        "json",
        "--no-progress",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    run(args)
}

// ---------------------------------------------------------------------------------------------
// JSON report helpers

/// The findings of a report.
pub(crate) fn findings(report: &Value) -> &Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("report has no findings array: {report}"))
}

/// The findings of one check.
pub(crate) fn findings_of<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The result rows of a report.
pub(crate) fn results(report: &Value) -> &Vec<Value> {
    report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("report has no results array: {report}"))
}

/// The result row of `check` on `resource`.
pub(crate) fn result_row<'a>(report: &'a Value, check: &str, resource: &str) -> &'a Value {
    results(report)
        .iter()
        .find(|r| r["check"] == check && r["resource"] == resource)
        .unwrap_or_else(|| {
            panic!(
                "no result row for {check} on {resource}; rows: {}",
                serde_json::to_string_pretty(&report["results"]).unwrap()
            )
        })
}

/// `severity` as a rank: info 0, warning 1, error 2.
pub(crate) fn severity_rank(finding: &Value) -> u8 {
    match finding["severity"].as_str() {
        Some("info") => 0,
        Some("warning") => 1,
        Some("error") => 2,
        other => panic!("unknown severity {other:?} in {finding}"),
    }
}

/// One line per finding (`check severity: title`), for messages.
pub(crate) fn finding_lines(report: &Value) -> String {
    findings(report)
        .iter()
        .map(|f| {
            format!(
                "  {} {} [{}]: {}",
                f["check"].as_str().unwrap_or("?"),
                f["severity"].as_str().unwrap_or("?"),
                f["resource"].as_str().unwrap_or("?"),
                f["title"].as_str().unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Servers

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build a tokio runtime")
}

/// The bundled demo API, served on 127.0.0.1:0 in this test process.
pub(crate) struct Demo {
    runtime: Option<Runtime>,
    server: Option<DemoServer>,
    url: String,
}

impl Demo {
    /// Starts the demo API with the bugs in `bugs` (a comma list, or `none`).
    pub(crate) fn start(bugs: &str) -> Demo {
        let bugs: BugSet = bugs
            .parse()
            .unwrap_or_else(|err| panic!("bad bug list {bugs:?}: {err}"));
        Demo::start_with(DemoOptions::with_bugs(bugs))
    }

    /// Starts the demo API with gates (required token, throttling) as well as bugs.
    pub(crate) fn start_with(options: DemoOptions) -> Demo {
        Demo::start_on_port(0, options)
    }

    /// Starts the demo API on 127.0.0.1:`port` (0: a free one).
    pub(crate) fn start_on_port(port: u16, options: DemoOptions) -> Demo {
        let runtime = runtime();
        let server = runtime
            .block_on(DemoServer::start_with(
                SocketAddr::from(([127, 0, 0, 1], port)),
                options,
            ))
            .unwrap_or_else(|err| panic!("start the demo API on 127.0.0.1:{port}: {err}"));
        let url = server.base_url();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "demo must listen on 127.0.0.1, got {url}"
        );
        Demo {
            runtime: Some(runtime),
            server: Some(server),
            url,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Every request the server received so far, in order of arrival.
    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        let mut requests = self.server.as_ref().expect("server").requests();
        requests.sort_by_key(|r| r.at);
        requests
    }

    /// Runs a future on the server's runtime (e.g. a reqwest call of the test itself).
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().expect("runtime").block_on(future)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let (Some(runtime), Some(server)) = (self.runtime.take(), self.server.take()) {
            runtime.block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(5), server.shutdown()).await;
            });
            runtime.shutdown_background();
        }
    }
}

/// An axum router served on 127.0.0.1:0; dropping it kills the runtime and with it every
/// connection, including requests a handler never answers.
pub(crate) struct Served {
    runtime: Option<Runtime>,
    addr: SocketAddr,
}

impl Served {
    pub(crate) fn start(router: Router) -> Served {
        let runtime = runtime();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        runtime.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Served {
            runtime: Some(runtime),
            addr,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The clean demo API that answers exactly `answered` requests and then dies: request
/// `answered + 1` is never answered, and its arrival kills the server's runtime, which closes
/// that connection and the listener. Deterministic with `--concurrency 1`. With
/// `usize::MAX` it never dies and just counts requests.
pub(crate) struct DyingDemo {
    url: String,
    kill: mpsc::Sender<()>,
    killer: Option<std::thread::JoinHandle<()>>,
    served: Arc<AtomicUsize>,
}

impl DyingDemo {
    pub(crate) fn start(answered: usize) -> DyingDemo {
        let runtime = runtime();
        let (kill, killed) = mpsc::channel::<()>();
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let signal = kill.clone();
        let router = idemfuzz::demo::router(BugSet::none()).layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let counter = counter.clone();
                let signal = signal.clone();
                async move {
                    let number = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    if number > answered {
                        let _ = signal.send(());
                        // Never answer: the runtime is about to be shut down under us.
                        return std::future::pending::<Response>().await;
                    }
                    next.run(request).await
                }
            },
        ));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        runtime.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let killer = std::thread::spawn(move || {
            let _ = killed.recv();
            runtime.shutdown_background();
        });
        DyingDemo {
            url,
            kill,
            killer: Some(killer),
            served,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Requests that reached the server (answered or not).
    pub(crate) fn requests_seen(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for DyingDemo {
    fn drop(&mut self) {
        let _ = self.kill.send(());
        if let Some(killer) = self.killer.take() {
            let _ = killer.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The weird API

/// Size of the `huge` resource's GET body.
pub(crate) const HUGE_BODY: usize = 4 * 1024 * 1024;

/// How long the `slow` resource's item GET sleeps: far beyond any scenario timeout here.
const NEVER: Duration = Duration::from_secs(600);

type Store = Arc<Mutex<HashMap<(String, String), Value>>>;

/// A small API whose PUT/DELETE behave correctly on `/{kind}/{id}` (a PUT honours
/// `If-Match: *` and `If-None-Match: *`) but whose item GET answers oddly, by kind:
/// * `text`: 200 `text/plain`, not JSON;
/// * `binary`: 200 `application/octet-stream`, not UTF-8;
/// * `huge`: 200 `application/json` of [`HUGE_BODY`] bytes;
/// * `redirect`: 302 to another path;
/// * `slow`: never answers (sleeps far beyond the scenario's timeout);
/// * anything else: the stored JSON.
///
/// `bad-KIND` (for `text`, `binary`, `huge`) is the same with one planted bug, so that findings
/// carry the odd bodies: a PUT that creates answers 200 instead of 201, with the odd body.
/// `bad-echo` answers every PUT 200 with JSON that echoes the request's `Authorization`.
///
/// `GET /{kind}` answers `{"items": [...]}` normally for every kind.
pub(crate) fn weird_router() -> Router {
    let store: Store = Arc::default();
    Router::new()
        .route("/{kind}", get(weird_collection))
        .route(
            "/{kind}/{id}",
            get(weird_get).put(weird_put).delete(weird_delete),
        )
        .with_state(store)
}

async fn weird_collection(State(store): State<Store>, UrlPath(kind): UrlPath<String>) -> Response {
    let items: Vec<Value> = store
        .lock()
        .unwrap()
        .iter()
        .filter(|((k, _), _)| *k == kind)
        .map(|(_, v)| v.clone())
        .collect();
    axum::Json(json!({ "items": items })).into_response()
}

/// The odd 200 answer of a kind (without the `bad-` prefix).
fn weird_body(kind: &str, id: &str, value: &Value) -> Response {
    match kind {
        "text" => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("thing {id}\nthis is not JSON: {value}\n"),
        )
            .into_response(),
        "binary" => {
            let mut bytes = vec![0xff, 0xfe, 0x00, 0x01, 0x80, 0xc3, 0x28];
            bytes.extend_from_slice(id.as_bytes());
            (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Bytes::from(bytes),
            )
                .into_response()
        }
        "huge" => {
            let mut body = serde_json::to_string(&json!({ "id": id, "value": value }))
                .expect("serialize")
                .into_bytes();
            body.pop(); // the closing brace
            body.extend_from_slice(b",\"blob\":\"");
            body.resize(HUGE_BODY - 2, b'x');
            body.extend_from_slice(b"\"}");
            (
                [(header::CONTENT_TYPE, "application/json")],
                Bytes::from(body),
            )
                .into_response()
        }
        _ => axum::Json(value.clone()).into_response(),
    }
}

async fn weird_get(
    State(store): State<Store>,
    UrlPath((kind, id)): UrlPath<(String, String)>,
) -> Response {
    let stored = store
        .lock()
        .unwrap()
        .get(&(kind.clone(), id.clone()))
        .cloned();
    let Some(value) = stored else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "error": "not found" })),
        )
            .into_response();
    };
    let base = kind.strip_prefix("bad-").unwrap_or(&kind);
    match base {
        "redirect" => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("/moved/{id}"))],
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(NEVER).await;
            axum::Json(value).into_response()
        }
        _ => weird_body(base, &id, &value),
    }
}

async fn weird_put(
    State(store): State<Store>,
    UrlPath((kind, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object is required").into_response();
    };
    object.insert("id".into(), Value::String(id.clone()));
    let value = Value::Object(object);
    let key = (kind.clone(), id.clone());
    let mut items = store.lock().unwrap();
    if star_fails(&headers, items.contains_key(&key)) {
        return (StatusCode::PRECONDITION_FAILED, "precondition failed").into_response();
    }
    let created = items.insert(key, value.clone()).is_none();
    drop(items);
    if kind == "bad-echo" {
        // A debugging API: 200 even on create, echoing the request's Authorization back.
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return axum::Json(json!({ "stored": value, "you_sent": { "authorization": auth } }))
            .into_response();
    }
    if let Some(base) = kind.strip_prefix("bad-") {
        // The planted bug: 200 even when the PUT created the resource, with the odd body.
        return weird_body(base, &id, &value);
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, axum::Json(value)).into_response()
}

/// True when a write's `If-Match: *` (the item is missing) or `If-None-Match: *` (it
/// exists) fails (RFC 9110 §13.1.1, §13.1.2): what every correct API honours, ETags or not.
fn star_fails(headers: &HeaderMap, exists: bool) -> bool {
    let star = |name| {
        headers
            .get(name)
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"*")
    };
    (star(header::IF_MATCH) && !exists) || (star(header::IF_NONE_MATCH) && exists)
}

async fn weird_delete(
    State(store): State<Store>,
    UrlPath((kind, id)): UrlPath<(String, String)>,
) -> StatusCode {
    match store.lock().unwrap().remove(&(kind, id)) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

/// A scenario file for one kind of the weird API (resource name = kind).
pub(crate) fn weird_scenario(kind: &str) -> String {
    format!(
        r#"# One resource of the weird test API: item GETs answer `{kind}`.
[target]
timeout = "1s"

[resources.{kind}]
collection = "/{kind}"
item = "/{kind}/{{id}}"
create = "put"
items = "/items"
required = ["name"]

[resources.{kind}.body]
name = {{ gen = "string", chars = "alnum", min_len = 1, max_len = 12 }}
size = {{ gen = "int", min = 1, max = 9 }}
"#
    )
}

/// The demo API with `bugs` (a comma list) that answers 401 to every request without
/// `Authorization: Bearer TOKEN`.
pub(crate) fn demo_requiring_token(bugs: &str, token: &str) -> Demo {
    Demo::start_with(DemoOptions {
        bugs: bugs
            .parse()
            .unwrap_or_else(|err| panic!("bad bug list {bugs:?}: {err}")),
        require_token: Some(token.into()),
        ..DemoOptions::default()
    })
}

/// The bundled demo scenario written to `dir/demo.toml` with `[target.auth] bearer =
/// "${VARIABLE}"`.
pub(crate) fn demo_scenario_with_bearer(dir: &Path, variable: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/demo.toml")).expect("demo.toml");
    let auth = format!("[target.auth]\nbearer = \"${{{variable}}}\"\n");
    write_file(dir, "demo.toml", &format!("{text}\n{auth}"))
}

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    path
}

/// A port on 127.0.0.1 nobody listens on: bound, read and released.
pub(crate) fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

/// A port on 127.0.0.1 nobody listens on, below the ephemeral range (32768 and up on Linux), so
/// that no other test's server or client gets it meanwhile, and a client polling it cannot
/// connect to itself (a socket whose ephemeral source port is its destination port), as may
/// happen with [`dead_port`]. For a test that starts a server on it later.
pub(crate) fn port_outside_the_ephemeral_range() -> u16 {
    let start = 20_000 + (std::process::id() % 5_000) as u16;
    (start..30_000)
        .chain(20_000..start)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port between 20000 and 29999")
}

/// The JSON a GET of `url` answers, read by the test itself (not through idemfuzz).
pub(crate) fn get_json(url: &str) -> Value {
    let client = http_client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let response = client.get(url).send().await.expect("GET");
        serde_json::from_slice(&response.bytes().await.expect("body"))
            .unwrap_or_else(|err| panic!("GET {url}: not JSON: {err}"))
    })
}

/// The last path segments (ids) of a report's left-behind URLs.
pub(crate) fn left_behind_ids(report: &Value) -> std::collections::BTreeSet<String> {
    report["cleanup"]["left_behind"]
        .as_array()
        .unwrap_or_else(|| panic!("report has no left_behind list: {}", report["cleanup"]))
        .iter()
        .filter_map(|left| left["url"].as_str())
        .map(|url| url.rsplit('/').next().unwrap_or(url).to_string())
        .collect()
}

/// A reqwest client for the tests' own requests (plain HTTP to 127.0.0.1).
pub(crate) fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build a reqwest client")
}
