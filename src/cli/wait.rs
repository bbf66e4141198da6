//! `--wait-for-target D`: before anything else is sent, poll each target's base URL until it
//! answers — any HTTP status counts, even 404 or 503: something is listening — so a CI job can
//! start idemfuzz right after the API it tests. A target still silent after `D` is one line and
//! exit 3. The polls carry no credentials and go through the run's TLS and proxy settings.

use std::time::{Duration, Instant};

use crate::http::config::TransportConfig;
use crate::http::transport::{ReqwestTransport, TransportError};
use crate::model::exchange::Method;
use crate::runner::plan::PlannedScenario;
use crate::session::auth::{self, SendError};
use crate::session::guard::{self, Scope};
use crate::session::registry::Registry;

/// The first pause between two polls; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// The longest one poll may take.
const MAX_POLL: Duration = Duration::from_secs(5);

/// Why the run cannot start: a target never answered (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The client that polls could not be built.
    #[error(transparent)]
    Client(#[from] TransportError),
    #[error(
        "{base_url} did not answer within {} (--wait-for-target); last attempt: {last}",
        humantime::format_duration(*patience)
    )]
    Silent {
        base_url: String,
        patience: Duration,
        /// Why the last poll got no answer.
        last: String,
    },
}

/// Waits until every distinct base URL of `planned` answers, for at most `patience` in all.
pub(crate) async fn wait_for_targets(
    planned: &[PlannedScenario],
    client: &TransportConfig,
    patience: Duration,
) -> Result<(), WaitError> {
    let transport = ReqwestTransport::new(client)?;
    let deadline = Instant::now() + patience;
    let mut waited: Vec<&str> = Vec::new();
    for base_url in planned.iter().map(|p| p.target.base_url.as_str()) {
        if !waited.contains(&base_url) {
            waited.push(base_url);
            wait_for(&transport, base_url, deadline, patience).await?;
        }
    }
    Ok(())
}

/// Polls `base_url` until it answers or `deadline` passes.
async fn wait_for(
    transport: &ReqwestTransport,
    base_url: &str,
    deadline: Instant,
    patience: Duration,
) -> Result<(), WaitError> {
    let mut pause = FIRST_PAUSE;
    let mut announced = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let last = match poll(transport, base_url, left.min(MAX_POLL)).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WaitError::Silent {
                base_url: base_url.to_owned(),
                patience,
                last,
            });
        }
        if !announced {
            eprintln!(
                "idemfuzz: waiting up to {} for {base_url} to answer",
                humantime::format_duration(patience)
            );
            announced = true;
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// One GET of the base URL, cleared by the ownership guard like every request and sent without
/// credentials: `Ok` for any HTTP answer.
async fn poll(
    transport: &ReqwestTransport,
    base_url: &str,
    timeout: Duration,
) -> Result<(), String> {
    let scope = Scope {
        base: base_url,
        registry: &Registry::default(),
        collection: None,
    };
    let request = guard::clear(scope, Method::Get, base_url)
        .map_err(|refusal| refusal.to_string())?
        .request(Vec::new(), None, timeout.max(Duration::from_millis(10)));
    match auth::send(transport, None, request).await {
        Ok(_) => Ok(()),
        Err(SendError::Transport(err)) => Err(err.to_string()),
        Err(SendError::Auth(err)) => Err(err.to_string()),
    }
}
