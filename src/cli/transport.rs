//! The auth and transport options of `run` and `demo` (`--rate-limit`, `--insecure`,
//! `--ca-cert`, `--proxy`, `--timeout`, `--http-version`, `--har`, `--bearer-env`…): raw
//! arguments, their validation into [`TransportSettings`] (mistakes are exit 2), and the
//! assembly of the transport stack and the targets' credentials from them.

// The doc comments of clap arguments are their `--help` text, printed as written: a TOML table
// such as `[target]` stays in brackets there, so rustdoc must not read it as a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use rustls::pki_types::CertificateDer;

use crate::env::EnvSnapshot;
use crate::http::config::{HttpVersion, ProxyConfig, TransportConfig, check_proxy_url};
use crate::http::limit::{RateLimit, RateLimited};
use crate::http::tap::{ExchangeObserver, Recorder};
use crate::http::throttle::{RetryAfter, ThrottlePolicy};
use crate::http::transport::{ReqwestTransport, Transport, TransportError};
use crate::model::events::{Event, EventSink};
use crate::model::exchange::WireExchange;
use crate::report::ReporterSet;
use crate::runner::plan::PlannedScenario;
use crate::scenario::auth::{Auth, SecretText};
use crate::scenario::interpolate::interpolate;
use crate::scenario::{self, TargetHeader};
use crate::session::auth::Credentials;

/// Auth and transport options (flattened into the options of `run` and `demo`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Auth and transport")]
pub(crate) struct TransportArgs {
    /// Send at most this many requests per second (N/s), minute (N/m) or hour (N/h), evenly
    /// spaced, every request included (requests released together each wait for their turn,
    /// which stretches a race). Default: no limit. 10/s is a polite value for a shared staging
    /// API.
    #[arg(long, value_name = "RATE", env = "IDEMFUZZ_RATE_LIMIT")]
    pub(crate) rate_limit: Option<String>,
    /// Retries of one request answered 429 (or 503 with Retry-After) before it counts as a
    /// case error.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) throttle_retries: u32,
    /// Longest Retry-After wait honoured; an API asking for more makes the request a case
    /// error at once.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub(crate) throttle_max_wait: String,
    /// Per-request timeout (e.g. 5s, 500ms); overrides every file's [target] timeout.
    #[arg(long, value_name = "DURATION", env = "IDEMFUZZ_TIMEOUT")]
    pub(crate) timeout: Option<String>,
    /// Longest wait for a connection (TCP and TLS) to the API or proxy.
    #[arg(long, value_name = "DURATION")]
    pub(crate) connect_timeout: Option<String>,
    /// Accept any TLS certificate and host name. Only for test servers you trust.
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Also trust the CA certificate(s) of this PEM file; repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Vec<PathBuf>,
    /// Send every request through this HTTP proxy (http:// or https:// URL). Default: the
    /// http_proxy / https_proxy / all_proxy variables; no_proxy applies to both. Checks that
    /// release requests together or leave answers unread are skipped behind a proxy.
    #[arg(long, value_name = "URL")]
    pub(crate) proxy: Option<String>,
    /// HTTP version: auto (HTTP/2 when TLS negotiates it), 1.1, or 2 (prior knowledge, also
    /// over plain http). Requests released together and unread always use HTTP/1.1.
    #[arg(long, value_enum, value_name = "VERSION", default_value_t = HttpVersionArg::Auto)]
    pub(crate) http_version: HttpVersionArg,
    /// Write every exchange of the run (probe, checks, retries, cleanup) to FILE in HAR 1.2,
    /// secrets redacted, for browser developer tools.
    #[arg(long, value_name = "FILE")]
    pub(crate) har: Option<PathBuf>,
    /// Authenticate every request with `Authorization: Bearer $VAR`, replacing the files'
    /// [target.auth] (with `run --openapi`, the way to authenticate the generated scenario).
    #[arg(long, value_name = "VAR")]
    pub(crate) bearer_env: Option<String>,
    /// Send this header with every request, as if it were in every file's [target.headers]
    /// (it replaces a header of the same name there); repeatable. `${VAR}` is read from the
    /// environment; such values, and those of credential headers, are never printed.
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE")]
    pub(crate) headers: Vec<String>,
    /// Before the run, poll each target's base URL until it answers (any HTTP status), for at
    /// most this long (e.g. 30s); a target still silent then is exit 3. For an API that CI has
    /// just started.
    #[arg(long, value_name = "DURATION", env = "IDEMFUZZ_WAIT_FOR_TARGET")]
    pub(crate) wait_for_target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HttpVersionArg {
    Auto,
    #[value(name = "1.1")]
    Http1,
    #[value(name = "2")]
    Http2,
}

/// A mistake in the auth and transport options (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportArgsError {
    /// `--rate-limit` is not a rate.
    #[error(transparent)]
    RateLimit(#[from] crate::http::limit::BadRateLimit),
    /// A duration option is not a duration.
    #[error("invalid {option} `{value}`: {reason} (write e.g. 5s or 500ms)")]
    Duration {
        /// The option.
        option: &'static str,
        /// The value given.
        value: String,
        /// Why it is not a duration.
        reason: String,
    },
    /// `--ca-cert`: the file cannot be read.
    #[error("cannot read the CA certificate file {path}: {reason}")]
    CaCertUnreadable {
        /// The file.
        path: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// `--ca-cert`: the file holds no PEM certificate.
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    CaCertEmpty {
        /// The file.
        path: String,
    },
    /// `--proxy` is not a usable proxy URL.
    #[error("--proxy: {0}")]
    Proxy(crate::http::config::ProxyUrlError),
    /// `--bearer-env` names a variable that is unset or empty.
    #[error("--bearer-env: environment variable `{0}` is not set or empty")]
    BearerUnset(String),
    /// `--bearer-env` with a scenario file that sets `Authorization` in `[target.headers]`.
    #[error(
        "{path}: --bearer-env replaces [target.auth], but the file sets Authorization in [target.headers]"
    )]
    BearerConflict {
        /// The scenario file.
        path: String,
    },
    /// A `-H` value without `:`. The value is never shown: it may be a secret.
    #[error("-H takes NAME:VALUE (e.g. -H 'X-Tenant: ci'); one was given without `:`")]
    HeaderWithoutColon,
    /// `-H`: the name is not a valid header name.
    #[error("-H {name}: `{name}` is not a valid header name")]
    HeaderName {
        /// The name given.
        name: String,
    },
    /// `-H`: a header idemfuzz must control itself.
    #[error("-H {name}: the header `{name}` cannot be set: it {reason}")]
    HeaderUnsendable {
        /// The header's name.
        name: String,
        /// Why it cannot be set.
        reason: &'static str,
    },
    /// `-H`: the value cannot be sent as a header value.
    #[error("-H {name}: {reason}")]
    HeaderValue {
        /// The header's name (the value is never shown).
        name: String,
        /// Why the value cannot be sent.
        reason: String,
    },
    /// `-H` names one header twice.
    #[error("-H {name} is given twice (names are case-insensitive)")]
    HeaderTwice {
        /// The header's name.
        name: String,
    },
    /// `-H Authorization` with `--bearer-env`.
    #[error("-H Authorization and --bearer-env both set Authorization; use one")]
    HeaderBearerConflict,
    /// `-H Authorization` with a scenario file's `[target.auth]`.
    #[error(
        "{path}: -H Authorization and the file's [target.auth] both set Authorization; use one"
    )]
    HeaderAuthConflict {
        /// The scenario file.
        path: String,
    },
}

/// The validated auth and transport options.
#[derive(Debug, Clone, Default)]
pub struct TransportSettings {
    pub(crate) client: TransportConfig,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) throttle: ThrottlePolicy,
    /// Overrides every target's timeout.
    pub(crate) timeout: Option<Duration>,
    pub(crate) har: Option<PathBuf>,
    /// From `--bearer-env`: replaces every target's `[target.auth]`.
    pub(crate) bearer: Option<Auth>,
    /// From `-H`: added to every target's `[target.headers]`, replacing same-named ones.
    pub(crate) headers: Vec<TargetHeader>,
    /// `--wait-for-target`: how long to wait for the targets to answer before the run.
    pub(crate) wait_for_target: Option<Duration>,
}

/// Validates the options; reads the CA files and the environment snapshot.
pub(crate) fn settings(
    args: &TransportArgs,
    env: &EnvSnapshot,
) -> Result<TransportSettings, TransportArgsError> {
    let proxy = match &args.proxy {
        Some(url) => {
            check_proxy_url(url).map_err(TransportArgsError::Proxy)?;
            ProxyConfig::everything_through(url, ProxyConfig::from_env(env).no_proxy)
        }
        None => ProxyConfig::from_env(env),
    };
    Ok(TransportSettings {
        client: TransportConfig {
            insecure: args.insecure,
            ca_certs: ca_certs(&args.ca_cert)?,
            proxy,
            connect_timeout: args
                .connect_timeout
                .as_deref()
                .map(|t| duration("--connect-timeout", t))
                .transpose()?,
            http_version: match args.http_version {
                HttpVersionArg::Auto => HttpVersion::Auto,
                HttpVersionArg::Http1 => HttpVersion::Http1,
                HttpVersionArg::Http2 => HttpVersion::Http2,
            },
        },
        rate_limit: args.rate_limit.as_deref().map(str::parse).transpose()?,
        throttle: ThrottlePolicy {
            max_retries: args.throttle_retries,
            max_wait: duration("--throttle-max-wait", &args.throttle_max_wait)?,
        },
        timeout: args
            .timeout
            .as_deref()
            .map(|t| duration("--timeout", t))
            .transpose()?,
        har: args.har.clone(),
        bearer: args
            .bearer_env
            .as_deref()
            .map(|name| bearer_from(name, env))
            .transpose()?,
        headers: headers(args, env)?,
        wait_for_target: args
            .wait_for_target
            .as_deref()
            .map(|t| duration("--wait-for-target", t))
            .transpose()?,
    })
}

/// The `-H NAME:VALUE` headers, validated and interpolated as `[target.headers]` values are.
fn headers(
    args: &TransportArgs,
    env: &EnvSnapshot,
) -> Result<Vec<TargetHeader>, TransportArgsError> {
    let mut headers: Vec<TargetHeader> = Vec::new();
    for spec in &args.headers {
        let header = header(spec, env)?;
        if headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(&header.name))
        {
            return Err(TransportArgsError::HeaderTwice { name: header.name });
        }
        headers.push(header);
    }
    let sets_authorization = headers.iter().any(|h| is_authorization(&h.name));
    if sets_authorization && args.bearer_env.is_some() {
        return Err(TransportArgsError::HeaderBearerConflict);
    }
    Ok(headers)
}

/// One `-H NAME:VALUE` (spaces around the value are dropped, as curl does).
fn header(spec: &str, env: &EnvSnapshot) -> Result<TargetHeader, TransportArgsError> {
    let (name, value) = spec
        .split_once(':')
        .ok_or(TransportArgsError::HeaderWithoutColon)?;
    let name = name.trim().to_owned();
    if !scenario::is_header_name(&name) {
        return Err(TransportArgsError::HeaderName { name });
    }
    if let Some(reason) = crate::http::sent::unsendable_header(&name) {
        return Err(TransportArgsError::HeaderUnsendable { name, reason });
    }
    let bad_value = |reason: String| TransportArgsError::HeaderValue {
        name: name.clone(),
        reason,
    };
    let value = interpolate(value.trim(), env).map_err(|err| bad_value(err.to_string()))?;
    if !scenario::is_header_value(&value.value) {
        return Err(bad_value(scenario::BAD_HEADER_VALUE.to_owned()));
    }
    Ok(TargetHeader::new(name, value))
}

fn is_authorization(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization")
}

fn duration(option: &'static str, text: &str) -> Result<Duration, TransportArgsError> {
    let bad = |reason: String| TransportArgsError::Duration {
        option,
        value: text.to_owned(),
        reason,
    };
    let parsed = humantime::parse_duration(text).map_err(|e| bad(e.to_string()))?;
    if parsed.is_zero() {
        return Err(bad("must be longer than zero".to_owned()));
    }
    Ok(parsed)
}

fn ca_certs(paths: &[PathBuf]) -> Result<Vec<CertificateDer<'static>>, TransportArgsError> {
    use rustls::pki_types::pem::PemObject as _;
    let mut certs = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|err| TransportArgsError::CaCertUnreadable {
            path: shown.clone(),
            reason: err.to_string(),
        })?;
        let bundle = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| TransportArgsError::CaCertUnreadable {
                path: shown.clone(),
                reason: err.to_string(),
            })?;
        if bundle.is_empty() {
            return Err(TransportArgsError::CaCertEmpty { path: shown });
        }
        certs.extend(bundle);
    }
    Ok(certs)
}

fn bearer_from(name: &str, env: &EnvSnapshot) -> Result<Auth, TransportArgsError> {
    let value = env
        .get(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| TransportArgsError::BearerUnset(name.to_owned()))?;
    Ok(Auth::Bearer(SecretText {
        value: value.trim().to_owned(),
        from_env: Some(format!("${{{name}}}")),
    }))
}

/// Applies the settings to the targets: the timeout override, `--bearer-env`, and one
/// [`Credentials`] per distinct `[target.auth]` (so a token command shared by several files
/// runs once).
pub(crate) fn prepare_targets(
    mut planned: Vec<PlannedScenario>,
    settings: &TransportSettings,
) -> Result<Vec<PlannedScenario>, TransportArgsError> {
    let mut shared: HashMap<Auth, Arc<Credentials>> = HashMap::new();
    for scenario in &mut planned {
        let path = scenario.scenario.path.display().to_string();
        let target = &mut scenario.target;
        if let Some(timeout) = settings.timeout {
            target.target.timeout = timeout;
        }
        target.proxied = settings.client.proxy.applies_to(&target.base_url);
        if let Some(bearer) = &settings.bearer {
            if target
                .target
                .headers
                .iter()
                .any(|h| is_authorization(&h.name))
            {
                return Err(TransportArgsError::BearerConflict { path });
            }
            target.target.auth = Some(bearer.clone());
        }
        add_headers(&mut target.target, &settings.headers, &path)?;
        target.auth = target.target.auth.as_ref().map(|auth| {
            shared
                .entry(auth.clone())
                .or_insert_with(|| Arc::new(Credentials::new(auth.clone(), &path)))
                .clone()
        });
    }
    Ok(planned)
}

/// Adds the `-H` headers to a target, replacing its headers of the same names.
fn add_headers(
    target: &mut crate::scenario::Target,
    headers: &[TargetHeader],
    path: &str,
) -> Result<(), TransportArgsError> {
    if target.auth.is_some() && headers.iter().any(|h| is_authorization(&h.name)) {
        return Err(TransportArgsError::HeaderAuthConflict {
            path: path.to_owned(),
        });
    }
    for header in headers {
        target
            .headers
            .retain(|h| !h.name.eq_ignore_ascii_case(&header.name));
        target.headers.push(header.clone());
    }
    Ok(())
}

/// The transport stack of a run, outermost first: Retry-After handling, the rate limiter
/// (so retries wait for their turn too), and the reqwest client, whose wire tap feeds
/// `sink` when a HAR file was asked for.
pub fn build_transport(
    settings: &TransportSettings,
    planned: &[PlannedScenario],
    sink: &Arc<ReporterSet>,
) -> Result<Arc<dyn Transport>, TransportError> {
    let mut client = ReqwestTransport::new(&settings.client)?;
    if settings.har.is_some() {
        let observer = Arc::new(SinkObserver(Arc::clone(sink)));
        client = client.recorded_by(Arc::new(Recorder::new(observer, secrets(planned))));
    }
    let mut transport: Arc<dyn Transport> = Arc::new(client);
    if let Some(limit) = settings.rate_limit {
        transport = Arc::new(RateLimited::new(transport, limit));
    }
    Ok(Arc::new(RetryAfter::new(transport, settings.throttle)))
}

/// Every secret of the targets the wire tap cannot learn from the requests themselves:
/// secret header values and the parts of `[target.auth]` credentials.
fn secrets(planned: &[PlannedScenario]) -> Vec<String> {
    let mut secrets = Vec::new();
    for target in planned.iter().map(|p| &p.target.target) {
        secrets.extend(
            target
                .headers
                .iter()
                .filter(|h| h.secret)
                .map(|h| h.value.clone()),
        );
        match &target.auth {
            Some(Auth::Bearer(token)) => secrets.push(token.value.clone()),
            Some(Auth::Basic { user, password }) => {
                secrets.push(password.value.clone());
                if user.from_env.is_some() {
                    secrets.push(user.value.clone());
                }
            }
            Some(Auth::Command(_)) | None => {}
        }
    }
    secrets
}

/// Hands wire exchanges to the reporters as [`Event::Exchange`].
struct SinkObserver(Arc<ReporterSet>);

impl ExchangeObserver for SinkObserver {
    fn observe(&self, exchange: WireExchange) {
        self.0.emit(Event::Exchange(Box::new(exchange)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(extra: &[&str]) -> TransportArgs {
        let mut argv = vec!["idemfuzz", "run", "x.toml"];
        argv.extend_from_slice(extra);
        match crate::cli::args::Cli::parse_from(argv).command {
            crate::cli::args::Command::Run(run) => run.execution.transport,
            other => panic!("expected run, got {other:?}"),
        }
    }

    fn settings_of(extra: &[&str]) -> Result<TransportSettings, TransportArgsError> {
        settings(
            &parse(extra),
            &EnvSnapshot::from_pairs([("TOKEN", "t0k3n-abc")]),
        )
    }

    #[test]
    fn defaults_are_direct_unlimited_and_patient() {
        let settings = settings_of(&[]).expect("valid");
        assert!(settings.client.proxy.is_direct());
        assert_eq!(settings.rate_limit, None);
        assert_eq!(settings.throttle, ThrottlePolicy::default());
        assert_eq!(settings.client.http_version, HttpVersion::Auto);
        assert!(settings.bearer.is_none() && settings.har.is_none());
    }

    #[test]
    fn options_are_validated() {
        let settings = settings_of(&[
            "--rate-limit",
            "10/s",
            "--timeout",
            "2s",
            "--http-version",
            "1.1",
            "--proxy",
            "http://127.0.0.1:3128",
            "--bearer-env",
            "TOKEN",
        ])
        .expect("valid");
        assert_eq!(
            settings.rate_limit.map(|r| r.to_string()).as_deref(),
            Some("10/s")
        );
        assert_eq!(settings.timeout, Some(Duration::from_secs(2)));
        assert_eq!(settings.client.http_version, HttpVersion::Http1);
        assert_eq!(
            settings.client.proxy.https.as_deref(),
            Some("http://127.0.0.1:3128")
        );
        assert_eq!(
            settings.bearer.map(|b| b.shown()).as_deref(),
            Some("Bearer ${TOKEN}")
        );
        assert!(matches!(
            settings_of(&["--rate-limit", "fast"]),
            Err(TransportArgsError::RateLimit(_))
        ));
        assert!(matches!(
            settings_of(&["--timeout", "0s"]),
            Err(TransportArgsError::Duration { .. })
        ));
        assert!(matches!(
            settings_of(&["--bearer-env", "NOPE"]),
            Err(TransportArgsError::BearerUnset(_))
        ));
        assert!(matches!(
            settings_of(&["--proxy", "socks5://p:1"]),
            Err(TransportArgsError::Proxy(_))
        ));
    }

    #[test]
    fn headers_are_interpolated_and_secrets_are_shown_as_written_or_redacted() {
        let settings = settings_of(&[
            "-H",
            "Authorization: Bearer ${TOKEN}",
            "--header",
            "X-Api-Key:literal-key",
            "-H",
            "X-Tenant:  ci ",
        ])
        .expect("valid");
        let shown: Vec<(&str, &str, &str, bool)> = settings
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    h.value.as_str(),
                    h.shown.as_str(),
                    h.secret,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("Authorization", "Bearer t0k3n-abc", "Bearer ${TOKEN}", true),
                ("X-Api-Key", "literal-key", crate::scenario::REDACTED, true),
                ("X-Tenant", "ci", "ci", false),
            ]
        );
    }

    #[test]
    fn header_mistakes_never_echo_the_value() {
        let cases: [(&[&str], &str); 8] = [
            (&["-H", "Bearer hunter2"], "without `:`"),
            (&["-H", "Bad Name: hunter2"], "not a valid header name"),
            (&["-H", "Host: hunter2"], "written by the connection itself"),
            (
                &["-H", "X-HTTP-Method-Override: hunter2"],
                "run the request as another method",
            ),
            (&["-H", "X-Key: ${UNSET_VAR}"], "`UNSET_VAR` is not set"),
            (&["-H", "X-Key: a\u{7}hunter2"], "control characters"),
            (&["-H", "x-a: 1", "-H", "X-A: hunter2"], "given twice"),
            (
                &["-H", "Authorization: hunter2", "--bearer-env", "TOKEN"],
                "use one",
            ),
        ];
        for (args, expected) in cases {
            let err = settings_of(args).expect_err("invalid").to_string();
            assert!(err.contains(expected), "{args:?}: {err}");
            assert!(!err.contains("hunter2"), "{args:?} echoes the value: {err}");
        }
    }

    #[test]
    fn headers_replace_the_files_and_refuse_to_fight_target_auth() {
        use crate::scenario::TargetHeader;
        let settings = settings_of(&["-H", "x-tenant: cli"]).expect("valid");
        let mut target = crate::scenario::load_str(
            std::path::Path::new("t.toml"),
            "[target.headers]\nX-Tenant = \"file\"\nAccept = \"a/b\"\n[resources.t]\ncollection = \"/t\"\nitem = \"/t/{id}\"\nbody = { a = 1 }\n",
            &EnvSnapshot::default(),
        )
        .expect("valid scenario")
        .target;
        add_headers(&mut target, &settings.headers, "t.toml").expect("no conflict");
        let names: Vec<(&str, &str)> = target
            .headers
            .iter()
            .map(|h: &TargetHeader| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(names, [("Accept", "a/b"), ("x-tenant", "cli")]);
        target.auth = Some(Auth::Command("printf t".into()));
        let bearer = settings_of(&["-H", "authorization: Bearer x"]).expect("valid");
        assert!(matches!(
            add_headers(&mut target, &bearer.headers, "t.toml"),
            Err(TransportArgsError::HeaderAuthConflict { .. })
        ));
    }

    #[test]
    fn ca_files_must_be_readable_pem() {
        let missing = settings_of(&["--ca-cert", "/nonexistent/ca.pem"]).expect_err("missing");
        assert!(
            missing
                .to_string()
                .starts_with("cannot read the CA certificate file /nonexistent/ca.pem"),
            "{missing}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").expect("write");
        let junk = junk.display().to_string();
        let err = settings_of(&["--ca-cert", &junk]).expect_err("junk");
        assert!(
            err.to_string().contains("no PEM certificate")
                || err.to_string().contains("cannot read"),
            "{err}"
        );
    }

    #[test]
    fn the_client_builds_from_every_configuration() {
        for extra in [
            vec![],
            vec![
                "--insecure",
                "--http-version",
                "2",
                "--connect-timeout",
                "1s",
            ],
            vec!["--proxy", "http://user:pw@127.0.0.1:9"],
        ] {
            let settings = settings_of(&extra).expect("valid");
            assert!(ReqwestTransport::new(&settings.client).is_ok(), "{extra:?}");
        }
    }
}
