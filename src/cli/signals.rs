//! Signals during a run. SIGINT (Ctrl-C), SIGTERM (what CI runners send on cancel) and SIGHUP
//! (a closed terminal) interrupt a run alike: the first one cancels it — requests that may
//! create something are let finish, the cleanup runs, the reports and the HAR file are written
//! complete, and the run exits 130 (or 1 when it already found a failing finding). A second
//! signal exits at once with 128 + its number (130, 143, 129), writing nothing more: the run's
//! ledger then tells `idemfuzz cleanup RUNID` what may be left.

use tokio_util::sync::CancellationToken;

/// What the second signal says before exiting: how to clean up after the run.
#[derive(Debug, Clone)]
pub(crate) struct OnSecondSignal {
    pub(crate) run_id: String,
    /// The run's ledger file, when it has one.
    pub(crate) ledger: Option<String>,
}

impl OnSecondSignal {
    fn message(&self, signal: &str) -> String {
        match &self.ledger {
            Some(path) => format!(
                "idemfuzz: second {signal}: exiting now, without cleanup or reports; {path} lists what the run may have left: run `idemfuzz cleanup {}`",
                self.run_id
            ),
            None => format!("idemfuzz: second {signal}: exiting now, without cleanup or reports"),
        }
    }
}

/// Watches for the signals in the background: the first cancels `cancel`, the second exits.
pub(crate) fn watch(cancel: CancellationToken, second: OnSecondSignal) {
    tokio::spawn(async move {
        let Some(mut signals) = Signals::new() else {
            return;
        };
        let Some(first) = signals.next().await else {
            return;
        };
        eprintln!(
            "idemfuzz: {}: stopping; writes in flight finish, then cleanup and reports (send it again to exit at once)",
            first.name
        );
        cancel.cancel();
        if let Some(again) = signals.next().await {
            eprintln!("{}", second.message(again.name));
            std::process::exit(128 + again.number);
        }
    });
}

/// A received signal.
struct Received {
    name: &'static str,
    number: i32,
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// The three handlers, or `None` when they cannot be installed (then signals keep their
    /// default action).
    fn new() -> Option<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Some(Signals {
            interrupt: signal(SignalKind::interrupt()).ok()?,
            terminate: signal(SignalKind::terminate()).ok()?,
            hangup: signal(SignalKind::hangup()).ok()?,
        })
    }

    async fn next(&mut self) -> Option<Received> {
        let (name, number) = tokio::select! {
            Some(()) = self.interrupt.recv() => ("SIGINT", 2),
            Some(()) = self.terminate.recv() => ("SIGTERM", 15),
            Some(()) = self.hangup.recv() => ("SIGHUP", 1),
            else => return None,
        };
        Some(Received { name, number })
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Option<Signals> {
        Some(Signals)
    }

    async fn next(&mut self) -> Option<Received> {
        tokio::signal::ctrl_c().await.ok()?;
        Some(Received {
            name: "Ctrl-C",
            number: 2,
        })
    }
}
