//! Raw request-targets for the hyper transport: a listener whose connections copy every byte
//! they read into a per-connection tap, from which a handler takes its request line exactly as
//! it came on the wire (hyper's `Uri` drops a `#fragment`; the tap keeps it).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose streams are tapped.
pub(super) struct TapListener(pub TcpListener);

impl Listener for TapListener {
    type Io = TapStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    let _ = inner.set_nodelay(true);
                    let tap = Tap::default();
                    return (TapStream { inner, tap }, addr);
                }
                // Out of file descriptors and the like: wait a moment, as axum does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection whose reads are copied into its [`Tap`].
pub(super) struct TapStream {
    inner: TcpStream,
    tap: Tap,
}

/// The bytes a connection read that no request has claimed yet.
#[derive(Debug, Clone, Default)]
pub(super) struct Tap(Arc<Mutex<Vec<u8>>>);

impl Connected<IncomingStream<'_, TapListener>> for Tap {
    fn connect_info(stream: IncomingStream<'_, TapListener>) -> Self {
        stream.io().tap.clone()
    }
}

impl Tap {
    /// The raw target of the request `method` `uri` (hyper's view of it): the first request
    /// line in the unclaimed bytes with that method whose target, without a fragment, is
    /// `uri`. The bytes up to the end of that line are claimed. Falls back to `uri` when no
    /// such line is found.
    pub(super) fn take_target(&self, method: &str, uri: &str) -> String {
        let mut bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let prefix = format!("{method} ");
        let mut start = 0;
        while let Some(found) = find(&bytes[start..], prefix.as_bytes()) {
            let at = start + found;
            let line_start = at == 0 || bytes[at - 1] == b'\n';
            let target_start = at + prefix.len();
            let target_end = bytes[target_start..]
                .iter()
                .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
                .map(|p| target_start + p);
            if let (true, Some(end)) = (line_start, target_end) {
                let target = String::from_utf8_lossy(&bytes[target_start..end]).into_owned();
                if target.split('#').next() == Some(uri) || target == uri {
                    let line_end = bytes[end..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(bytes.len(), |p| end + p + 1);
                    bytes.drain(..line_end);
                    return target;
                }
            }
            start = at + 1;
        }
        uri.to_string()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl AsyncRead for TapStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let read = &buf.filled()[before..];
            if !read.is_empty() {
                self.tap
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(read);
            }
        }
        polled
    }
}

impl AsyncWrite for TapStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
