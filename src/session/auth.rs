//! Authentication at run time: the `Authorization` header of a target's `[target.auth]`, the
//! token command (run before the first request, re-run once when the API answers 401), and
//! [`send`], the one way the runner sends a request with credentials — only a request the
//! ownership guard cleared ([`Cleared`]), so credentials only ever go to the target's origin.
//!
//! Tokens are secrets: they go on the wire only. Records show [`Credentials::shown`] instead,
//! and [`Credentials::teach`] tells a scrubber every token used so far, so an API that echoes
//! one back never gets it into a report.

use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;

use tokio_util::sync::CancellationToken;

use crate::http::transport::{
    OutgoingRequest, Pace, RawResponse, Transport, TransportError, UnreadAnswer,
};
use crate::model::redact::{REDACTED, Scrubber};
use crate::scenario::auth::Auth;
use crate::session::context::ResolvedTarget;
use crate::session::guard::Cleared;

/// Longest wait for a token command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// Secret parts shorter than this are not searched for in answers on their own.
const MIN_SCRUBBED: usize = 6;

/// Why a target's credentials could not be obtained. Never contains a secret or the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("the token command of [target.auth] in {scenario} could not start: {reason}")]
    Spawn { scenario: String, reason: String },
    #[error(
        "the token command of [target.auth] in {scenario} failed ({status}); its error output, if any, is above"
    )]
    Failed { scenario: String, status: String },
    #[error("the token command of [target.auth] in {scenario} took longer than {after:?}")]
    TimedOut { scenario: String, after: Duration },
    #[error("the token command of [target.auth] in {scenario} printed no token")]
    Empty { scenario: String },
    #[error(
        "the token command of [target.auth] in {scenario} printed a token with a line break or control character inside"
    )]
    Malformed { scenario: String },
}

/// Why an authenticated send got no answer to judge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// The header value in use, and how many times the token command produced one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    header: String,
    generation: u64,
}

/// The credentials of one target for one run.
#[derive(Debug)]
pub(crate) struct Credentials {
    auth: Auth,
    /// The scenario file, for messages.
    scenario: String,
    shown: String,
    current: Mutex<Option<Token>>,
    /// Held while the token command runs, so concurrent 401s re-run it once; holds the
    /// failure of the last run, if it failed, so a failed command is not re-run for the same
    /// rejected token.
    refreshing: tokio::sync::Mutex<Option<(u64, AuthError)>>,
    /// Every secret used so far, with how records show it.
    secrets: Mutex<Scrubber>,
}

impl Credentials {
    /// Credentials for `auth`; a bearer token or basic credentials are ready at once, a token
    /// command runs on [`Credentials::ensure`].
    pub(crate) fn new(auth: Auth, scenario: &str) -> Credentials {
        let shown = auth.shown();
        let credentials = Credentials {
            scenario: scenario.to_owned(),
            shown,
            current: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(None),
            secrets: Mutex::new(Scrubber::default()),
            auth,
        };
        if let Some(header) = credentials.static_header() {
            credentials.install(header, 0);
        }
        credentials
    }

    /// The `Authorization` value as records show it (never the secret).
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// True when a 401 can be answered by fetching a new token.
    pub(crate) fn refreshable(&self) -> bool {
        matches!(self.auth, Auth::Command(_))
    }

    /// Makes sure a token is there: runs the token command if it has not run yet.
    pub(crate) async fn ensure(&self) -> Result<(), AuthError> {
        if self.token().is_some() {
            return Ok(());
        }
        self.refresh_after(0).await
    }

    /// Tells `scrubber` every secret used so far.
    pub(crate) fn teach(&self, scrubber: &mut Scrubber) {
        let secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        scrubber.merge(&secrets);
    }

    fn token(&self) -> Option<Token> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The header of a bearer token or basic credentials.
    fn static_header(&self) -> Option<String> {
        match &self.auth {
            Auth::Bearer(token) => Some(format!("Bearer {}", token.value)),
            Auth::Basic { user, password } => {
                let pair = format!("{}:{}", user.value, password.value);
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            }
            Auth::Command(_) => None,
        }
    }

    /// Makes `header` the current value and remembers its secrets.
    fn install(&self, header: String, generation: u64) {
        {
            let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
            secrets.add(&header, &self.shown);
            if let Auth::Basic { password, .. } = &self.auth
                && password.value.len() >= MIN_SCRUBBED
            {
                secrets.add(&password.value, REDACTED);
            }
        }
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Token { header, generation });
    }

    /// Runs the token command unless another task already replaced the token of
    /// `seen_generation` (then its token is used) or the command already failed to replace it
    /// (then that failure is returned: the command runs once per rejected token).
    async fn refresh_after(&self, seen_generation: u64) -> Result<(), AuthError> {
        let Auth::Command(command) = &self.auth else {
            return Ok(());
        };
        let mut last_failure = self.refreshing.lock().await;
        if self
            .token()
            .is_some_and(|token| token.generation > seen_generation)
        {
            return Ok(());
        }
        if let Some((generation, err)) = last_failure.as_ref()
            && *generation == seen_generation
        {
            return Err(err.clone());
        }
        match run_token_command(command, &self.scenario).await {
            Ok(token) => {
                self.install(format!("Bearer {token}"), seen_generation + 1);
                Ok(())
            }
            Err(err) => {
                *last_failure = Some((seen_generation, err.clone()));
                Err(err)
            }
        }
    }
}

/// Runs `sh -c COMMAND` with the process's environment, standard input closed and standard
/// error passed through; its standard output, trimmed, is the token.
async fn run_token_command(command: &str, scenario: &str) -> Result<String, AuthError> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| AuthError::Spawn {
            scenario: scenario.to_owned(),
            reason: err.to_string(),
        })?;
    let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| AuthError::TimedOut {
            scenario: scenario.to_owned(),
            after: COMMAND_TIMEOUT,
        })?
        .map_err(|err| AuthError::Spawn {
            scenario: scenario.to_owned(),
            reason: err.to_string(),
        })?;
    if !output.status.success() {
        return Err(AuthError::Failed {
            scenario: scenario.to_owned(),
            status: output.status.to_string(),
        });
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if token.is_empty() {
        return Err(AuthError::Empty {
            scenario: scenario.to_owned(),
        });
    }
    if token.chars().any(char::is_control) {
        return Err(AuthError::Malformed {
            scenario: scenario.to_owned(),
        });
    }
    Ok(token)
}

/// Why a run cannot test a target: its credentials could not be obtained before the first
/// request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot test {base_url}: {source}")]
pub(crate) struct PrepareError {
    pub(crate) base_url: String,
    #[source]
    pub(crate) source: AuthError,
}

/// Obtains the token of every target before the first request (runs token commands).
pub(crate) async fn prepare(
    targets: impl IntoIterator<Item = &ResolvedTarget>,
    cancel: &CancellationToken,
) -> Result<(), PrepareError> {
    for target in targets {
        let Some(credentials) = &target.auth else {
            continue;
        };
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            ready = credentials.ensure() => ready.map_err(|source| PrepareError {
                base_url: target.base_url.clone(),
                source,
            })?,
        }
    }
    Ok(())
}

/// True for answers that mean "your credentials were not accepted": 401, and 407 from a proxy.
pub(crate) fn rejected(status: u16) -> bool {
    matches!(status, 401 | 407)
}

/// The one line that stops a run whose credentials were rejected mid-run.
pub(crate) fn rejection(
    method: &str,
    url: &str,
    status: u16,
    credentials: Option<&Credentials>,
) -> String {
    let what = if status == 407 {
        "407 Proxy Authentication Required"
    } else {
        "401 Unauthorized"
    };
    let retried = if credentials.is_some_and(Credentials::refreshable) {
        " even with a fresh token from the token command"
    } else {
        ""
    };
    format!(
        "{method} {url} answered {what}{retried}: the credentials were not accepted; check [target.auth] or the Authorization header in [target.headers]"
    )
}

/// Sends `request` with the credentials' `Authorization` header (none without credentials).
/// When the API answers 401 and the token comes from a command, the command runs again (once
/// for all requests that got the same token) and the request is sent once more. The answer is
/// returned whatever it is; a final 401 is for the caller to turn into "cannot test".
pub(crate) async fn send(
    transport: &dyn Transport,
    credentials: Option<&Credentials>,
    request: Cleared,
) -> Result<RawResponse, SendError> {
    let Some(credentials) = credentials else {
        return Ok(transport.send(request.with_header(None)).await?);
    };
    credentials.ensure().await?;
    let token = credentials.token();
    let raw = transport.send(with_token(&request, token.as_ref())).await?;
    if raw.status != 401 || !credentials.refreshable() {
        return Ok(raw);
    }
    credentials
        .refresh_after(token.map_or(0, |t| t.generation))
        .await?;
    Ok(transport
        .send(with_token(&request, credentials.token().as_ref()))
        .await?)
}

/// Sends requests together (see [`Transport::send_together`]), each with the credentials'
/// `Authorization` header. Answers come back in request order. When the token comes from a
/// command and some answers are 401, the command runs again (once) and those requests — which
/// the API refused before doing anything — are sent together once more with the fresh token.
pub(crate) async fn send_together(
    transport: &dyn Transport,
    credentials: Option<&Credentials>,
    requests: Vec<Cleared>,
) -> Vec<Result<RawResponse, SendError>> {
    let Some(credentials) = credentials else {
        let requests = requests.iter().map(|r| r.with_header(None)).collect();
        return transport
            .send_together(requests, Pace::at_once())
            .await
            .into_iter()
            .map(|answer| answer.map_err(SendError::from))
            .collect();
    };
    if let Err(err) = credentials.ensure().await {
        return requests.iter().map(|_| Err(err.clone().into())).collect();
    }
    let token = credentials.token();
    let signed = requests
        .iter()
        .map(|request| with_token(request, token.as_ref()))
        .collect();
    let mut answers: Vec<Result<RawResponse, SendError>> = transport
        .send_together(signed, Pace::at_once())
        .await
        .into_iter()
        .map(|answer| answer.map_err(SendError::from))
        .collect();
    let refused: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, answer)| matches!(answer, Ok(raw) if raw.status == 401))
        .map(|(n, _)| n)
        .collect();
    if refused.is_empty() || !credentials.refreshable() {
        return answers;
    }
    if let Err(err) = credentials
        .refresh_after(token.map_or(0, |t| t.generation))
        .await
    {
        for n in refused {
            answers[n] = Err(err.clone().into());
        }
        return answers;
    }
    let fresh = credentials.token();
    let again = refused
        .iter()
        .map(|&n| with_token(&requests[n], fresh.as_ref()))
        .collect();
    for (n, answer) in refused
        .into_iter()
        .zip(transport.send_together(again, Pace::at_once()).await)
    {
        answers[n] = answer.map_err(SendError::from);
    }
    answers
}

/// Writes a request whose answer is never read (see [`Transport::send_unread`]), with the
/// credentials' `Authorization` header. A 401 cannot be seen here: the answer is not read.
pub(crate) async fn send_unread(
    transport: &dyn Transport,
    credentials: Option<&Credentials>,
    request: Cleared,
) -> Result<Box<dyn UnreadAnswer>, SendError> {
    let Some(credentials) = credentials else {
        return Ok(transport.send_unread(request.with_header(None)).await?);
    };
    credentials.ensure().await?;
    let token = credentials.token();
    Ok(transport
        .send_unread(with_token(&request, token.as_ref()))
        .await?)
}

/// The request for the wire, with the token's `Authorization` header when there is one.
fn with_token(request: &Cleared, token: Option<&Token>) -> OutgoingRequest {
    request.with_header(token.map(|token| ("Authorization", token.header.as_str())))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::future::BoxFuture;

    use super::*;
    use crate::model::exchange::Method;
    use crate::scenario::auth::SecretText;

    /// Accepts only `Authorization: Bearer good-token-2`; counts requests.
    #[derive(Default)]
    struct Gate(AtomicUsize);

    impl Transport for Gate {
        fn send(
            &self,
            request: OutgoingRequest,
        ) -> BoxFuture<'_, Result<RawResponse, TransportError>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let ok = request
                .headers
                .iter()
                .any(|(n, v)| n == "Authorization" && v == "Bearer good-token-2");
            Box::pin(async move {
                Ok(RawResponse {
                    status: if ok { 200 } else { 401 },
                    headers: Vec::new(),
                    body: Vec::new(),
                    body_len: 0,
                    elapsed: Duration::ZERO,
                })
            })
        }
    }

    fn request() -> Cleared {
        crate::session::guard::tests::cleared(Method::Get, "http://127.0.0.1/things")
    }

    fn secret(value: &str) -> SecretText {
        SecretText {
            value: value.into(),
            from_env: None,
        }
    }

    #[test]
    fn basic_credentials_are_base64_and_scrubbed() {
        let credentials = Credentials::new(
            Auth::Basic {
                user: secret("Aladdin"),
                password: secret("open sesame"),
            },
            "t.toml",
        );
        let token = credentials.token().expect("ready");
        assert_eq!(token.header, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let mut scrubber = Scrubber::default();
        credentials.teach(&mut scrubber);
        assert_eq!(
            scrubber.text("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== / open sesame"),
            "Basic ${IDEMFUZZ_BASIC_AUTH} / <redacted>"
        );
    }

    #[tokio::test]
    async fn a_401_re_runs_the_token_command_once_and_retries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let counter = dir.path().join("runs");
        // Prints good-token-1, then good-token-2, ...; counts its runs in a file.
        let command = format!(
            "echo x >> '{0}'; printf 'good-token-%s\\n' $(wc -l < '{0}' | tr -d ' ')",
            counter.display()
        );
        let credentials = Credentials::new(Auth::Command(command), "t.toml");
        let gate = Gate::default();
        let raw = send(&gate, Some(&credentials), request())
            .await
            .expect("answered");
        assert_eq!(raw.status, 200, "the retry carries the fresh token");
        assert_eq!(gate.0.load(Ordering::SeqCst), 2);
        let runs = std::fs::read_to_string(&counter).expect("ran");
        assert_eq!(runs.lines().count(), 2, "ran at start and once on 401");
        let mut scrubber = Scrubber::default();
        credentials.teach(&mut scrubber);
        assert_eq!(
            scrubber.text("good-token-1 good-token-2"),
            "<redacted> <redacted>"
        );
        // Without credentials nothing is added and a 401 is returned as it is.
        let raw = send(&gate, None, request()).await.expect("answered");
        assert_eq!(raw.status, 401);
    }

    #[tokio::test]
    async fn a_batch_refused_with_401_is_re_sent_together_with_a_fresh_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let counter = dir.path().join("runs");
        let command = format!(
            "echo x >> '{0}'; printf 'good-token-%s\\n' $(wc -l < '{0}' | tr -d ' ')",
            counter.display()
        );
        let credentials = Credentials::new(Auth::Command(command), "t.toml");
        let gate = Gate::default();
        let answers = send_together(&gate, Some(&credentials), vec![request(); 3]).await;
        assert_eq!(answers.len(), 3);
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, Ok(raw) if raw.status == 200)),
            "{answers:?}"
        );
        assert_eq!(
            gate.0.load(Ordering::SeqCst),
            6,
            "three refused, three re-sent"
        );
        let runs = std::fs::read_to_string(&counter).expect("ran");
        assert_eq!(
            runs.lines().count(),
            2,
            "ran at start and once for the batch"
        );
    }

    #[tokio::test]
    async fn failing_or_empty_commands_are_clear_errors() {
        let failing = Credentials::new(Auth::Command("exit 3".into()), "t.toml");
        let err = failing.ensure().await.expect_err("fails");
        assert!(
            matches!(&err, AuthError::Failed { status, .. } if status.contains('3')),
            "{err}"
        );
        assert!(
            !err.to_string().contains("exit 3"),
            "never prints the command"
        );
        let empty = Credentials::new(Auth::Command("printf '  \\n'".into()), "t.toml");
        assert!(matches!(empty.ensure().await, Err(AuthError::Empty { .. })));
        let gate = Gate::default();
        let sent = send(&gate, Some(&failing), request()).await;
        assert!(matches!(sent, Err(SendError::Auth(_))));
        // The failure is kept: the command is not run again for the same (missing) token.
        let dir = tempfile::tempdir().expect("tempdir");
        let runs = dir.path().join("runs");
        let once = Credentials::new(
            Auth::Command(format!("echo x >> '{}'; exit 1", runs.display())),
            "t.toml",
        );
        assert!(once.ensure().await.is_err());
        assert!(once.ensure().await.is_err());
        let ran = std::fs::read_to_string(&runs).expect("ran");
        assert_eq!(ran.lines().count(), 1);
        assert_eq!(
            gate.0.load(Ordering::SeqCst),
            0,
            "nothing sent without a token"
        );
    }
}
