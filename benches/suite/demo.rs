//! The demo API in a process of its own (`idemfuzz serve-demo --port 0`), on 127.0.0.1, killed
//! when dropped; and the paths of the release binary and the bundled scenarios.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

/// The idemfuzz binary `cargo bench` built (release settings: the bench profile inherits them).
pub(crate) fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_idemfuzz"))
}

/// The crate root (scenarios are found from here).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled scenario file.
pub(crate) fn scenario(name: &str) -> String {
    root().join("scenarios").join(name).display().to_string()
}

/// A command running the idemfuzz binary from the crate root, with a clean environment for
/// the settings that change its behaviour.
pub(crate) fn idemfuzz() -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(root())
        .env_remove("IDEMFUZZ_BASE_URL")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env("NO_COLOR", "1");
    command
}

/// A running demo API.
pub(crate) struct DemoProcess {
    child: Child,
    pub base_url: String,
}

impl DemoProcess {
    /// Starts `serve-demo` with `bugs` (`none` for the clean API) and waits until it answers.
    pub(crate) fn start(bugs: &str) -> anyhow::Result<DemoProcess> {
        let mut child = idemfuzz()
            .args(["serve-demo", "--port", "0", "--bug", bugs])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("start serve-demo")?;
        let mut line = String::new();
        if let Some(stderr) = child.stderr.take() {
            let mut reader = BufReader::new(stderr);
            reader.read_line(&mut line)?;
            // Keep reading, so a later message never meets a closed pipe.
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        }
        let Some(base_url) = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .map(str::to_string)
        else {
            let _ = child.kill();
            bail!("serve-demo did not announce its address: {line:?}");
        };
        let demo = DemoProcess { child, base_url };
        demo.wait_until_ready()?;
        Ok(demo)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_until_ready(&self) -> anyhow::Result<()> {
        let addr = self.base_url.trim_start_matches("http://");
        for _ in 0..100 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!(
            "the demo API at {} never accepted a connection",
            self.base_url
        )
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
