//! Runs a process to completion and measures it: wall time, CPU time (user + system) and peak
//! resident memory, from the kernel's accounting of that one child (`wait4`). A process that
//! outlives its time limit is killed and reported as such.
//!
//! Linux carries a process's peak RSS across `fork` and `exec`: a child forked by this suite,
//! once it has loaded documents and runtimes, would report at least the suite's own size. So
//! children are started by a small spawner process ([`SPAWNER_FLAG`]: this same binary,
//! started before the suite allocates anything), which measures them and answers in JSON.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The argument that makes the suite's binary the spawner.
pub(crate) const SPAWNER_FLAG: &str = "--spawner";

/// What one child process cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Measured {
    pub wall: Duration,
    pub cpu: Duration,
    pub max_rss_kib: u64,
    /// The exit code; `None` when a signal ended it (e.g. the time limit).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stderr: String,
}

/// A command as the spawner receives it.
#[derive(Debug, Serialize, Deserialize)]
struct Order {
    program: String,
    args: Vec<String>,
    dir: Option<String>,
    /// Variables to set (`Some`) or remove (`None`).
    env: Vec<(String, Option<String>)>,
    limit_ms: u64,
}

/// The spawner: a child of the suite, started first, with its pipes.
struct Spawner {
    _child: Child,
    orders: ChildStdin,
    answers: BufReader<ChildStdout>,
}

static SPAWNER: OnceLock<Mutex<Spawner>> = OnceLock::new();

/// Starts the spawner; call before the suite allocates anything large.
pub(crate) fn start_spawner() -> anyhow::Result<()> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg(SPAWNER_FLAG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("start the spawner")?;
    let orders = child.stdin.take().context("spawner stdin")?;
    let answers = BufReader::new(child.stdout.take().context("spawner stdout")?);
    let _ = SPAWNER.set(Mutex::new(Spawner {
        _child: child,
        orders,
        answers,
    }));
    Ok(())
}

/// The spawner's loop: one JSON order per line in, one JSON answer per line out.
pub(crate) fn serve_spawner() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let order: Order = serde_json::from_str(&line?)?;
        let mut command = Command::new(&order.program);
        command.args(&order.args);
        if let Some(dir) = &order.dir {
            command.current_dir(dir);
        }
        for (name, value) in &order.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let answer = measure_here(&mut command, Duration::from_millis(order.limit_ms))
            .map_err(|err| format!("{err:#}"));
        writeln!(stdout, "{}", serde_json::to_string(&answer)?)?;
        stdout.flush()?;
    }
    Ok(())
}

/// Runs `command` (through the spawner when it runs) and waits at most `limit`.
pub(crate) fn measure(command: &mut Command, limit: Duration) -> anyhow::Result<Measured> {
    let Some(spawner) = SPAWNER.get() else {
        return measure_here(command, limit);
    };
    let order = Order {
        program: command.get_program().to_string_lossy().into_owned(),
        args: command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        dir: command.get_current_dir().map(|d| d.display().to_string()),
        env: command
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect(),
        limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
    };
    let mut spawner = spawner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    writeln!(spawner.orders, "{}", serde_json::to_string(&order)?)?;
    spawner.orders.flush()?;
    let mut line = String::new();
    spawner.answers.read_line(&mut line)?;
    let answer: Result<Measured, String> =
        serde_json::from_str(&line).context("the spawner's answer")?;
    answer.map_err(anyhow::Error::msg)
}

/// Runs `command` as a child of this process.
fn measure_here(command: &mut Command, limit: Duration) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawn {command:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let watchdog = Watchdog::arm(pid, limit);
    let (status, usage) = wait4(pid)?;
    let wall = started.elapsed();
    let timed_out = watchdog.disarm();
    // Standard output is read (so the child never blocks on a full pipe) and dropped.
    let _ = stdout.join();
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Measured {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        code,
        timed_out,
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Reads a pipe to its end on a thread of its own (so a full pipe never blocks the child).
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Waits for `pid` and returns its status and resource usage.
fn wait4(pid: libc::pid_t) -> anyhow::Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our own, not yet reaped child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            bail!("wait4({pid}): {err}");
        }
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// Kills a child that runs past its limit.
struct Watchdog {
    done: std::sync::mpsc::Sender<()>,
    fired: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    fn arm(pid: libc::pid_t, limit: Duration) -> Watchdog {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let fired = std::thread::spawn(move || {
            if wait.recv_timeout(limit).is_err() {
                // SAFETY: plain syscall; the child is not reaped until wait4 returns.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return true;
            }
            false
        });
        Watchdog { done, fired }
    }

    /// Stops the watchdog; true when it had to kill the child.
    fn disarm(self) -> bool {
        let _ = self.done.send(());
        self.fired.join().unwrap_or(false)
    }
}

/// CPU time (user + system) a running process has used so far, from /proc.
pub(crate) fn cpu_of_running(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("read /proc/{pid}/stat"))?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; the list starts at field 3.
    let ticks: u64 = [11, 12]
        .iter()
        .map(|&i| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    // SAFETY: plain sysconf query.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap_or(100);
    Ok(Duration::from_millis(ticks * 1000 / per_second.max(1)))
}
