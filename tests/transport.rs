//! Transport options against real servers on 127.0.0.1: `--rate-limit` measured at the server,
//! `Retry-After` honoured without judging throttled answers, proxies (`--proxy` and the
//! standard variables, `no_proxy`), HTTP/1.1 and HTTP/2, timeouts, and TLS option errors.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idemfuzz::demo::{DemoOptions, LoggedRequest, Throttle};
use serde_json::Value;
use support::{
    Demo, Out, Served, finding_lines, findings, idemfuzz, result_row, run_cmd, run_json,
};

/// Findings at warning level or above.
fn violations(report: &Value) -> usize {
    findings(report)
        .iter()
        .filter(|f| f["severity"] != "info")
        .count()
}

// ---------------------------------------------------------------------------------------------
// Rate limit

/// How much the server-side arrival of a request may lag its departure more than another's.
/// The limiter spaces departures (exactly, as its unit test on a paused clock shows); loopback
/// transit and scheduling on a busy machine add jitter on arrival. An unlimited run sends 21
/// requests in a few milliseconds, far inside the allowance.
const TRANSIT_ALLOWANCE: Duration = Duration::from_millis(100);

#[test]
fn the_request_rate_at_the_server_stays_under_the_limit() {
    let demo = Demo::start("none");
    let out = run_json(
        "scenarios/demo.toml",
        demo.url(),
        &[
            "--rate-limit",
            "20/s",
            "--concurrency",
            "4",
            "--cases",
            "2",
            "--checks",
            "repeat-put,get-safety,repeat-delete",
        ],
    );
    out.assert_code(0, "the clean demo API").assert_no_panic();
    let arrivals: Vec<_> = demo.requests().iter().map(|r| r.at).collect();
    assert!(
        arrivals.len() >= 40,
        "too few requests ({}) to measure a rate",
        arrivals.len()
    );
    // 21 requests in a row never arrive within one second (less the transit allowance), so no
    // one-second window holds more than 20.
    for (i, window) in arrivals.windows(21).enumerate() {
        let span = window[20] - window[0];
        assert!(
            span >= Duration::from_secs(1) - TRANSIT_ALLOWANCE,
            "requests {i}..={} arrived within {span:?}",
            i + 20
        );
    }
}

#[test]
fn bad_rate_limits_are_usage_errors() {
    for bad in ["0/s", "fast", "10/week"] {
        let out = run_json(
            "scenarios/demo.toml",
            "http://127.0.0.1:9",
            &["--rate-limit", bad],
        );
        out.assert_code(2, bad);
        assert!(out.stderr.contains("invalid rate limit"), "{}", out.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Retry-After

fn throttling_demo(every: u64, retry_after_secs: u64) -> Demo {
    Demo::start_with(DemoOptions {
        throttle: Some(Throttle {
            every,
            retry_after_secs,
        }),
        ..DemoOptions::default()
    })
}

#[test]
fn throttled_answers_are_waited_out_retried_and_never_judged() {
    let demo = throttling_demo(16, 1);
    let out = run_json(
        "scenarios/demo.toml",
        demo.url(),
        &[
            "--cases",
            "1",
            "--concurrency",
            "1",
            "--checks",
            "repeat-put,repeat-delete,get-safety,post-retry",
        ],
    );
    out.assert_code(0, "throttling is not a violation")
        .assert_no_panic();
    let report = out.json();
    assert_eq!(violations(&report), 0, "{}", finding_lines(&report));
    let requests = demo.requests();
    let throttled: Vec<&LoggedRequest> = requests.iter().filter(|r| r.status == 429).collect();
    assert!(!throttled.is_empty(), "the server throttled nothing");
    assert_eq!(
        report["stats"]["throttled"].as_u64(),
        Some(throttled.len() as u64),
        "every throttled answer is counted in the report"
    );
    // One request at a time: the request after a 429 is its retry, no sooner than
    // Retry-After (1 s) says.
    for (i, refused) in requests.iter().enumerate().filter(|(_, r)| r.status == 429) {
        let retry = &requests[i + 1..]
            .first()
            .unwrap_or_else(|| panic!("{} {} was never retried", refused.method, refused.path));
        assert_eq!(
            (&retry.method, &retry.path),
            (&refused.method, &refused.path),
            "{:#?}",
            &requests[i.saturating_sub(3)..(i + 4).min(requests.len())]
        );
        assert!(
            retry.at - refused.at >= Duration::from_secs(1),
            "{} {} was retried after {:?}",
            refused.method,
            refused.path,
            retry.at - refused.at
        );
    }
    // A demo of its own, so that its throttling does not depend on how many requests the run
    // above sent: every 5th request is refused, and a repeat-put case sends more than 5.
    let demo = throttling_demo(5, 1);
    let human = support::run([
        "run",
        "scenarios/demo.toml",
        "--base-url",
        demo.url(),
        "--no-progress",
        "--cases",
        "1",
        "--checks",
        "repeat-put",
        "--color",
        "never",
    ]);
    human.assert_code(0, "human report");
    let flat = human
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("waited out (Retry-After) and retried; none was judged"),
        "the summary says so (wrapped as it may be):\n{}",
        human.stdout
    );
}

#[test]
fn a_throttle_that_never_ends_is_a_clear_cannot_test() {
    // Every request is refused; Retry-After is over the cap, so nothing is waited for.
    let demo = throttling_demo(1, 120);
    let out = run_json(
        "scenarios/demo.toml",
        demo.url(),
        &["--throttle-max-wait", "5s"],
    );
    out.assert_code(3, "nothing can be tested")
        .assert_no_panic();
    let report = out.json();
    let reason = report["outcome"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("still answered 429") && reason.contains("more than the 5s allowed"),
        "{reason}"
    );
    assert_eq!(violations(&report), 0);

    // Retries run out: Retry-After 0, one retry allowed.
    let demo = throttling_demo(1, 0);
    let out = run_json(
        "scenarios/demo.toml",
        demo.url(),
        &["--throttle-retries", "1"],
    );
    out.assert_code(3, "retries ran out");
    let reason = out.json()["outcome"]["reason"].to_string();
    assert!(reason.contains("after 1 retry(ies)"), "{reason}");
    assert_eq!(demo.requests().len(), 2, "the probe and its one retry");
}

// ---------------------------------------------------------------------------------------------
// Proxies

/// A forward HTTP proxy on 127.0.0.1 that counts what it forwards.
struct Proxy {
    served: Served,
    forwarded: Arc<AtomicUsize>,
}

impl Proxy {
    fn start() -> Proxy {
        let forwarded = Arc::new(AtomicUsize::new(0));
        let count = forwarded.clone();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let router = Router::new().fallback(move |request: Request| {
            let (client, count) = (client.clone(), count.clone());
            async move { forward(&client, &count, request).await }
        });
        Proxy {
            served: Served::start(router),
            forwarded,
        }
    }

    fn count(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// Forwards an absolute-form request (`GET http://host/path`) and relays the answer.
async fn forward(client: &reqwest::Client, count: &AtomicUsize, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.uri.scheme().is_none() {
        return (StatusCode::BAD_REQUEST, "not a proxy request").into_response();
    }
    count.fetch_add(1, Ordering::SeqCst);
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut outgoing = client
        .request(parts.method, parts.uri.to_string())
        .body(body);
    for (name, value) in &parts.headers {
        if !matches!(name.as_str(), "host" | "connection" | "proxy-connection") {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

fn run_env(env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = idemfuzz();
    for (name, value) in env {
        cmd.env(name, value);
    }
    run_cmd(cmd, args)
}

#[test]
fn requests_go_through_the_configured_proxy() {
    let demo = Demo::start("none");
    let proxy = Proxy::start();
    let base = [
        "run",
        "scenarios/demo.toml",
        "--base-url",
        demo.url(),
        "--format",
        "json",
        "--cases",
        "1",
        "--checks",
        "repeat-put",
    ];
    let proxy_url = proxy.served.url();

    let mut args = base.to_vec();
    args.extend_from_slice(&["--proxy", &proxy_url]);
    run_env(&[], &args).assert_code(0, "--proxy");
    let through_flag = proxy.count();
    assert_eq!(
        through_flag,
        demo.requests().len(),
        "every request the API received came through --proxy"
    );

    run_env(&[("HTTP_PROXY", &proxy_url)], &base).assert_code(0, "HTTP_PROXY");
    let through_env = proxy.count() - through_flag;
    assert!(through_env > 0, "HTTP_PROXY is honoured");

    run_env(
        &[("http_proxy", &proxy_url), ("NO_PROXY", "127.0.0.1")],
        &base,
    )
    .assert_code(0, "NO_PROXY");
    assert_eq!(
        proxy.count(),
        through_flag + through_env,
        "NO_PROXY=127.0.0.1 bypasses the proxy"
    );
}

#[test]
fn checks_that_need_their_own_connections_are_skipped_behind_a_proxy() {
    let demo = Demo::start("none");
    let proxy = Proxy::start();
    let proxy_url = proxy.served.url();
    let out = run_env(
        &[],
        &[
            "run",
            "scenarios/demo.toml",
            "scenarios/notes.toml",
            "--base-url",
            demo.url(),
            "--format",
            "json",
            "--cases",
            "1",
            "--checks",
            "concurrent-put,lost-response-retry,lost-update,post-put-creation,etag-stability",
            "--proxy",
            &proxy_url,
        ],
    );
    out.assert_code(0, "the rest runs through the proxy")
        .assert_no_panic();
    let report = out.json();
    for check in ["concurrent-put", "lost-response-retry", "lost-update"] {
        let row = result_row(&report, check, "things");
        assert_eq!(row["status"]["kind"], "skipped", "{check}: {row}");
        let reason = row["status"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("a proxy carries the requests") && reason.contains("NO_PROXY"),
            "{reason}"
        );
    }
    assert_eq!(
        result_row(&report, "etag-stability", "things")["status"]["kind"],
        "passed"
    );
    let post_put = result_row(&report, "post-put-creation", "notes");
    assert_eq!(post_put["status"]["kind"], "passed", "{post_put}");
    assert!(
        post_put["notes"]
            .to_string()
            .contains("lost-response retry of the filling PUT not run"),
        "{post_put}"
    );
    assert_eq!(
        proxy.count(),
        demo.requests().len(),
        "nothing went around the proxy"
    );
    // NO_PROXY lets them run, directly.
    let direct = run_env(
        &[("HTTP_PROXY", &proxy_url), ("NO_PROXY", "127.0.0.1")],
        &[
            "run",
            "scenarios/demo.toml",
            "--base-url",
            demo.url(),
            "--format",
            "json",
            "--cases",
            "1",
            "--checks",
            "concurrent-put",
        ],
    );
    direct.assert_code(0, "NO_PROXY");
    assert_eq!(
        result_row(&direct.json(), "concurrent-put", "things")["status"]["kind"],
        "passed"
    );
}

#[test]
fn a_dead_proxy_is_cannot_test_and_a_bad_proxy_url_a_usage_error() {
    let demo = Demo::start("none");
    let dead = format!("http://127.0.0.1:{}", support::dead_port());
    let out = run_json("scenarios/demo.toml", demo.url(), &["--proxy", &dead]);
    out.assert_code(3, "the proxy does not answer");
    let out = run_json(
        "scenarios/demo.toml",
        demo.url(),
        &["--proxy", "socks5://user:hunter2@127.0.0.1:1080"],
    );
    out.assert_code(2, "unsupported proxy scheme");
    assert!(
        out.stderr.contains("must use http or https") && !out.stderr.contains("hunter2"),
        "{}",
        out.stderr
    );
    assert!(
        demo.requests().is_empty(),
        "nothing reached the API directly"
    );
}

// ---------------------------------------------------------------------------------------------
// HTTP versions, timeouts, TLS options

#[test]
fn http_version_selects_http_1_1_or_http_2() {
    for (flag, seen) in [("2", "HTTP/2.0"), ("1.1", "HTTP/1.1"), ("auto", "HTTP/1.1")] {
        let demo = Demo::start("none");
        let out = run_json(
            "scenarios/demo.toml",
            demo.url(),
            &[
                "--http-version",
                flag,
                "--cases",
                "1",
                "--checks",
                "repeat-put",
            ],
        );
        out.assert_code(0, flag);
        let versions: Vec<String> = demo.requests().into_iter().map(|r| r.version).collect();
        assert!(
            !versions.is_empty() && versions.iter().all(|v| v == seen),
            "--http-version {flag}: {versions:?}"
        );
    }
}

#[test]
fn timeout_overrides_the_files_timeout() {
    // The weird API's `slow` items never answer; the file says 1s, --timeout says 300ms.
    let served = Served::start(support::weird_router());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = support::write_file(dir.path(), "slow.toml", &support::weird_scenario("slow"));
    let out = run_json(
        &file.display().to_string(),
        &served.url(),
        &[
            "--timeout",
            "300ms",
            "--cases",
            "1",
            "--checks",
            "repeat-put",
        ],
    );
    let report = out.json();
    assert!(
        report.to_string().contains("timed out after 300ms"),
        "{}",
        out.context()
    );
    assert_eq!(violations(&report), 0, "a timeout is never a violation");
    let bad = run_json(
        &file.display().to_string(),
        &served.url(),
        &["--timeout", "soon"],
    );
    bad.assert_code(2, "bad --timeout");
    assert!(
        bad.stderr.contains("invalid --timeout `soon`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn unreadable_or_empty_ca_files_are_usage_errors() {
    let out = run_json(
        "scenarios/demo.toml",
        "https://127.0.0.1:9",
        &["--ca-cert", "/nonexistent/ca.pem"],
    );
    out.assert_code(2, "missing CA file");
    assert!(
        out.stderr
            .contains("cannot read the CA certificate file /nonexistent/ca.pem"),
        "{}",
        out.stderr
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = support::write_file(dir.path(), "junk.pem", "this is not a certificate\n");
    let out = run_json(
        "scenarios/demo.toml",
        "https://127.0.0.1:9",
        &["--ca-cert", &junk.display().to_string()],
    );
    out.assert_code(2, "junk CA file");
    assert!(out.stderr.contains("junk.pem"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// TLS against a real HTTPS server (the demo API behind a test certificate)

/// Accepts TCP connections on 127.0.0.1 and completes the TLS handshake before handing them to
/// axum; failed handshakes (a client that refuses the certificate) are dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The clean demo API over HTTPS (HTTP/2 or HTTP/1.1 by ALPN), with its request log.
struct TlsDemo {
    runtime: Option<tokio::runtime::Runtime>,
    url: String,
    log: idemfuzz::demo::RequestLog,
}

impl TlsDemo {
    fn start() -> TlsDemo {
        let fixtures = support::root().join("tests/fixtures/tls");
        let cert = std::fs::read(fixtures.join("server.der")).expect("server.der");
        let key = std::fs::read(fixtures.join("server.key.der")).expect("server.key.der");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls::pki_types::CertificateDer::from(cert)],
                rustls::pki_types::PrivatePkcs8KeyDer::from(key).into(),
            )
            .expect("test certificate");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let tcp = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let port = tcp.local_addr().expect("address").port();
        let log = idemfuzz::demo::RequestLog::default();
        let app = idemfuzz::demo::router_with(&DemoOptions::default(), Some(log.clone()));
        let listener = TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        };
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TlsDemo {
            runtime: Some(runtime),
            url: format!("https://127.0.0.1:{port}"),
            log,
        }
    }
}

impl Drop for TlsDemo {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[test]
fn https_needs_the_ca_or_insecure_and_negotiates_http_2() {
    let demo = TlsDemo::start();
    let ca = support::root()
        .join("tests/fixtures/tls/ca.pem")
        .display()
        .to_string();
    let quick = ["--cases", "1", "--checks", "repeat-put"];

    let untrusted = run_json("scenarios/demo.toml", &demo.url, &quick);
    untrusted.assert_code(3, "an unknown CA").assert_no_panic();
    let reason = untrusted.json()["outcome"]["reason"].to_string();
    assert!(
        reason.contains("certificate") || reason.contains("UnknownIssuer"),
        "{reason}"
    );
    assert!(demo.log.entries().is_empty(), "no request got through");

    let mut trusted = quick.to_vec();
    trusted.extend_from_slice(&["--ca-cert", &ca]);
    run_json("scenarios/demo.toml", &demo.url, &trusted).assert_code(0, "--ca-cert");
    let versions: Vec<String> = demo.log.entries().into_iter().map(|r| r.version).collect();
    assert!(
        !versions.is_empty() && versions.iter().all(|v| v == "HTTP/2.0"),
        "ALPN negotiates HTTP/2 over TLS: {versions:?}"
    );

    let mut insecure = quick.to_vec();
    insecure.extend_from_slice(&["--insecure", "--http-version", "1.1"]);
    let before = demo.log.entries().len();
    run_json("scenarios/demo.toml", &demo.url, &insecure).assert_code(0, "--insecure");
    let entries = demo.log.entries();
    assert!(
        entries.len() > before && entries[before..].iter().all(|r| r.version == "HTTP/1.1"),
        "--insecure with HTTP/1.1"
    );
}

#[test]
fn batches_and_lost_responses_over_https_use_the_ca_and_insecure_options() {
    let demo = TlsDemo::start();
    let ca = support::root()
        .join("tests/fixtures/tls/ca.pem")
        .display()
        .to_string();
    let checks = "concurrent-put,lost-response-retry";
    for (option, value) in [("--ca-cert", ca.as_str()), ("--insecure", "")] {
        let mut args = vec!["--cases", "1", "--checks", checks, option];
        if !value.is_empty() {
            args.push(value);
        }
        let before = demo.log.entries().len();
        let out = run_json("scenarios/demo.toml", &demo.url, &args);
        out.assert_code(0, option).assert_no_panic();
        let report = out.json();
        for check in checks.split(',') {
            assert_eq!(
                result_row(&report, check, "things")["status"]["kind"],
                "passed",
                "{check} with {option}"
            );
        }
        let entries = demo.log.entries();
        assert!(
            entries[before..].iter().any(|r| r.version == "HTTP/1.1"),
            "the wire client's HTTP/1.1 connections got through with {option}"
        );
    }
}

#[test]
fn the_openapi_document_is_fetched_through_the_configured_proxy() {
    let demo = Demo::start("none");
    let proxy = Proxy::start();
    let spec = format!("{}/openapi.json", demo.url());
    let proxy_url = proxy.served.url();
    let args = [
        "run",
        "--openapi",
        &spec,
        "--base-url",
        demo.url(),
        "--proxy",
        &proxy_url,
        "--format",
        "json",
        "--cases",
        "1",
        "--checks",
        "repeat-put",
    ];
    run_env(&[], &args).assert_code(0, "run --openapi URL --proxy");
    let requests = demo.requests();
    assert_eq!(
        requests
            .first()
            .map(|r| (r.method.as_str(), r.path.as_str())),
        Some(("GET", "/openapi.json")),
        "the document is fetched first"
    );
    assert_eq!(
        proxy.count(),
        requests.len(),
        "every request the API received, the document's included, came through --proxy"
    );
}
