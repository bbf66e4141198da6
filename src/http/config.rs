//! How the HTTP client connects: TLS trust, proxies, connect timeout and HTTP version. Built
//! from the command line and the environment snapshot by the CLI layer, consumed by
//! `client_builder` (for the transport and the `--openapi` document fetch). The client never
//! reads the process environment itself: proxies come only from here.

use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::env::EnvSnapshot;

/// Everything the HTTP client needs to know about the network path to the API.
#[derive(Debug, Clone, Default)]
pub struct TransportConfig {
    /// Accept any server certificate and host name (`--insecure`).
    pub(crate) insecure: bool,
    /// Extra trusted root certificates (`--ca-cert`, DER), added to the platform's roots.
    pub(crate) ca_certs: Vec<CertificateDer<'static>>,
    /// Proxies to use; none means a direct connection.
    pub(crate) proxy: ProxyConfig,
    /// Longest wait for a TCP (and TLS) connection; none means only the request timeout applies.
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) http_version: HttpVersion,
}

/// Which HTTP version the client speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum HttpVersion {
    /// HTTP/2 when the server offers it during the TLS handshake (ALPN), HTTP/1.1 otherwise
    /// (always HTTP/1.1 over plain `http://`).
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only, without negotiation ("prior knowledge"; also over plain `http://`).
    Http2,
}

/// Proxy URLs per scheme of the target, and the hosts that bypass them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProxyConfig {
    /// Proxy for `http://` targets.
    pub(crate) http: Option<String>,
    /// Proxy for `https://` targets.
    pub(crate) https: Option<String>,
    /// Hosts that are reached directly, in `NO_PROXY` syntax (comma-separated names, domains,
    /// IPs and CIDR ranges; `*` for all).
    pub(crate) no_proxy: Option<String>,
}

impl ProxyConfig {
    /// The standard proxy variables of the environment snapshot: `http_proxy` / `HTTP_PROXY`,
    /// `https_proxy` / `HTTPS_PROXY`, `all_proxy` / `ALL_PROXY` for both schemes, and
    /// `no_proxy` / `NO_PROXY`. The lower-case name wins when both are set; empty values count
    /// as unset.
    pub(crate) fn from_env(env: &EnvSnapshot) -> ProxyConfig {
        let all = variable(env, "all_proxy");
        ProxyConfig {
            http: variable(env, "http_proxy").or_else(|| all.clone()),
            https: variable(env, "https_proxy").or(all),
            no_proxy: variable(env, "no_proxy"),
        }
    }

    /// One proxy for every target (`--proxy URL`); `no_proxy` still applies.
    pub(crate) fn everything_through(url: &str, no_proxy: Option<String>) -> ProxyConfig {
        ProxyConfig {
            http: Some(url.to_owned()),
            https: Some(url.to_owned()),
            no_proxy,
        }
    }

    /// True when no proxy is configured.
    pub(crate) fn is_direct(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// True when requests to `url` go through a proxy: one is set for its scheme and
    /// `no_proxy` does not exempt its host (the same matching the HTTP client uses).
    pub(crate) fn applies_to(&self, url: &str) -> bool {
        if self.is_direct() {
            return false;
        }
        let Ok(uri) = url.parse::<http::Uri>() else {
            return false;
        };
        let mut matcher = hyper_util::client::proxy::matcher::Matcher::builder();
        if let Some(proxy) = &self.http {
            matcher = matcher.http(proxy.clone());
        }
        if let Some(proxy) = &self.https {
            matcher = matcher.https(proxy.clone());
        }
        if let Some(no_proxy) = &self.no_proxy {
            matcher = matcher.no(no_proxy.clone());
        }
        matcher.build().intercept(&uri).is_some()
    }
}

/// The value of a variable by its lower-case name, then its upper-case name.
fn variable(env: &EnvSnapshot, lower: &str) -> Option<String> {
    [lower.to_owned(), lower.to_ascii_uppercase()]
        .iter()
        .find_map(|name| env.get(name).filter(|v| !v.trim().is_empty()))
        .map(str::to_owned)
}

/// Why a proxy URL cannot be used; `shown` is the URL without its credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyUrlError {
    /// Not a URL.
    #[error("invalid proxy URL `{shown}`: {reason}")]
    Invalid {
        /// The URL without its credentials.
        shown: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A scheme other than `http` or `https`.
    #[error("the proxy URL `{shown}` must use http or https, not `{scheme}`")]
    Scheme {
        /// The URL without its credentials.
        shown: String,
        /// The scheme it has.
        scheme: String,
    },
    /// No host.
    #[error("the proxy URL `{shown}` has no host")]
    NoHost {
        /// The URL without its credentials.
        shown: String,
    },
}

/// Checks a proxy URL: absolute `http://` or `https://` with a host. The error never repeats
/// credentials the URL may carry.
pub(crate) fn check_proxy_url(text: &str) -> Result<(), ProxyUrlError> {
    let shown = without_credentials(text);
    let url = match reqwest::Url::parse(text) {
        Ok(url) => url,
        Err(e) => {
            return Err(ProxyUrlError::Invalid {
                shown,
                reason: e.to_string(),
            });
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ProxyUrlError::Scheme {
            shown,
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ProxyUrlError::NoHost { shown });
    }
    Ok(())
}

/// Why the HTTP client cannot be configured.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    #[error("invalid proxy `{shown}`: {reason}")]
    Proxy { shown: String, reason: String },
    #[error("invalid CA certificate: {0}")]
    CaCertificate(String),
}

/// A URL with any `user:password@` replaced by `***@`, for messages.
pub(crate) fn without_credentials(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("***");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => text.to_owned(),
        // Unparseable: cut anything up to an `@` after the scheme, to be safe.
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}***{}", &text[..scheme + 3], &text[at..])
            }
            _ => text.to_owned(),
        },
    }
}

/// A reqwest client builder set up from the configuration: TLS trust, exactly the
/// configuration's proxies (never the process environment's), connect timeout, HTTP version and
/// idemfuzz's user agent. Callers add their redirect policy and timeouts. Used by the transport
/// and by anything else idemfuzz fetches (the `--openapi` document), so that every connection
/// honours `--proxy`, `--ca-cert`, `--insecure`, `--connect-timeout` and `--http-version`.
pub(crate) fn client_builder(
    config: &TransportConfig,
) -> Result<reqwest::ClientBuilder, ClientError> {
    // Several calls may race to install the process-wide provider; losing that race is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("idemfuzz/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    for proxy in reqwest_proxies(&config.proxy)? {
        builder = builder.proxy(proxy);
    }
    if config.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if !config.ca_certs.is_empty() {
        let certs = config
            .ca_certs
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| ClientError::CaCertificate(err.to_string()))?;
        builder = builder.tls_certs_merge(certs);
    }
    if let Some(timeout) = config.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    Ok(match config.http_version {
        HttpVersion::Auto => builder,
        HttpVersion::Http1 => builder.http1_only(),
        HttpVersion::Http2 => builder.http2_prior_knowledge(),
    })
}

/// The reqwest proxies for a configuration (none for a direct connection).
fn reqwest_proxies(config: &ProxyConfig) -> Result<Vec<reqwest::Proxy>, ClientError> {
    let no_proxy = config
        .no_proxy
        .as_deref()
        .and_then(reqwest::NoProxy::from_string);
    let mut proxies = Vec::new();
    if let Some(url) = &config.http {
        proxies.push(
            reqwest::Proxy::http(url.as_str())
                .map_err(|e| ClientError::Proxy {
                    shown: without_credentials(url),
                    reason: e.to_string(),
                })?
                .no_proxy(no_proxy.clone()),
        );
    }
    if let Some(url) = &config.https {
        proxies.push(
            reqwest::Proxy::https(url.as_str())
                .map_err(|e| ClientError::Proxy {
                    shown: without_credentials(url),
                    reason: e.to_string(),
                })?
                .no_proxy(no_proxy),
        );
    }
    Ok(proxies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_come_from_the_snapshot_lower_case_first() {
        let env = EnvSnapshot::from_pairs([
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://secure:2"),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ]);
        assert_eq!(
            ProxyConfig::from_env(&env),
            ProxyConfig {
                http: Some("http://lower:1".into()),
                https: Some("http://secure:2".into()),
                no_proxy: Some("localhost,127.0.0.1".into()),
            }
        );
        let all = EnvSnapshot::from_pairs([("ALL_PROXY", "http://all:3"), ("https_proxy", " ")]);
        let config = ProxyConfig::from_env(&all);
        assert_eq!(config.http.as_deref(), Some("http://all:3"));
        assert_eq!(config.https.as_deref(), Some("http://all:3"));
        assert!(ProxyConfig::from_env(&EnvSnapshot::default()).is_direct());
    }

    #[test]
    fn proxy_urls_are_checked_without_printing_credentials() {
        assert_eq!(check_proxy_url("http://proxy.local:3128"), Ok(()));
        let err = check_proxy_url("socks5://user:hunter2@proxy:1080").expect_err("socks");
        let err = err.to_string();
        assert!(
            err.contains("http or https") && !err.contains("hunter2"),
            "{err}"
        );
        let err = check_proxy_url("not a url")
            .expect_err("garbage")
            .to_string();
        assert!(err.contains("invalid proxy URL"), "{err}");
        assert_eq!(
            without_credentials("http://user:hunter2@proxy:3128"),
            "http://***@proxy:3128/"
        );
        assert!(!without_credentials("ht!tp://u:hunter2@x").contains("hunter2"));
    }

    #[test]
    fn a_proxy_applies_unless_no_proxy_exempts_the_host() {
        let config = ProxyConfig::everything_through("http://p:1", Some("localhost".into()));
        assert!(config.applies_to("http://api.example.com/things"));
        assert!(config.applies_to("https://api.example.com/things"));
        assert!(!config.applies_to("http://localhost:8080/things"));
        let http_only = ProxyConfig {
            http: Some("http://p:1".into()),
            ..ProxyConfig::default()
        };
        assert!(http_only.applies_to("http://127.0.0.1:9/"));
        assert!(!http_only.applies_to("https://127.0.0.1:9/"));
        assert!(!ProxyConfig::default().applies_to("http://127.0.0.1:9/"));
    }

    #[test]
    fn proxies_build_for_each_scheme() {
        let config = ProxyConfig::everything_through("http://p:1", Some("127.0.0.1".into()));
        assert_eq!(reqwest_proxies(&config).expect("valid").len(), 2);
        assert!(
            reqwest_proxies(&ProxyConfig::default())
                .expect("direct")
                .is_empty()
        );
    }
}
