//! Acknowledges at once what idemfuzz reads: a TCP stream wrapper that re-arms Linux
//! `TCP_QUICKACK` whenever a read, after data arrived, is about to wait for more.
//!
//! Why: a server that writes an answer's header and body in two writes with Nagle's algorithm
//! on (Python's `http.server` and others) holds the body back until the header is
//! acknowledged, and on a kept-alive connection Linux delays that ACK by up to 40 ms (delayed
//! ACK, "pingpong" mode, entered because the client's requests follow the server's answers).
//! Each request then stalls 40 ms. `TCP_QUICKACK` leaves that mode and sends a pending ACK
//! now, but it is not permanent: the kernel enters the mode again with the next request, so it
//! is set again before every wait.
//!
//! Cost: one `setsockopt` (and, when an ACK was pending, one ACK segment) per wait that follows
//! data, so about one per request on a connection whose answers arrive whole, and none on a
//! read that finds data (docs/performance.md, *Delayed ACK*). Elsewhere than Linux the wrapper
//! only passes reads and writes through.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TCP stream that acknowledges received data before it waits for more.
#[derive(Debug)]
pub struct QuickAck {
    inner: TcpStream,
    /// Data arrived since `TCP_QUICKACK` was last set.
    unacknowledged: bool,
}

impl QuickAck {
    pub fn new(inner: TcpStream) -> QuickAck {
        QuickAck {
            inner,
            unacknowledged: false,
        }
    }

    /// The stream itself (e.g. to peek at it).
    pub fn get_ref(&self) -> &TcpStream {
        &self.inner
    }
}

/// Sets `TCP_QUICKACK` on `stream`: leaves delayed-ACK mode and sends a pending ACK now. A
/// failure only costs the delay it would have saved, so it is ignored.
#[cfg(target_os = "linux")]
fn acknowledge_now(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

#[cfg(not(target_os = "linux"))]
fn acknowledge_now(_stream: &TcpStream) {}

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        match polled {
            Poll::Ready(Ok(())) if buf.filled().len() > before => this.unacknowledged = true,
            // About to wait: the peer may be waiting for the ACK of what arrived.
            Poll::Pending if this.unacknowledged => {
                this.unacknowledged = false;
                acknowledge_now(&this.inner);
            }
            _ => {}
        }
        polled
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// `TCP_QUICKACK` as the kernel reports it: true unless the socket is in delayed-ACK mode.
    fn quick(stream: &TcpStream) -> bool {
        socket2::SockRef::from(stream).tcp_quickack().unwrap()
    }

    /// A connected pair on 127.0.0.1: (client, server side).
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    /// Puts the client in delayed-ACK mode (as a kept-alive connection is after a few
    /// exchanges), lets the server send, and reads until the read would wait.
    async fn read_until_waiting(client: &mut (impl AsyncRead + Unpin), server: &mut TcpStream) {
        server.write_all(b"HTTP/1.1 200 OK\r\n").await.unwrap();
        let mut chunk = [0u8; 64];
        let n = client.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        // The next read finds nothing and waits: poll it once.
        let waiting = futures::poll!(std::pin::pin!(client.read(&mut chunk)));
        assert!(waiting.is_pending());
    }

    #[tokio::test]
    async fn the_option_is_re_armed_when_a_read_waits_after_data() {
        let (client, mut server) = pair().await;
        socket2::SockRef::from(&client)
            .set_tcp_quickack(false)
            .unwrap();
        assert!(!quick(&client), "delayed-ACK mode entered");
        let mut wrapped = QuickAck::new(client);
        read_until_waiting(&mut wrapped, &mut server).await;
        assert!(quick(wrapped.get_ref()), "re-armed before the wait");
        // Delayed-ACK mode again (the next request would enter it): re-armed again.
        socket2::SockRef::from(wrapped.get_ref())
            .set_tcp_quickack(false)
            .unwrap();
        read_until_waiting(&mut wrapped, &mut server).await;
        assert!(
            quick(wrapped.get_ref()),
            "re-armed after every read that waits"
        );
    }

    /// Also the control: the option reads false in delayed-ACK mode, so the test above
    /// observes the wrapper. (A bare read is not a control: the kernel's delayed-ACK timer
    /// leaves the mode by itself within about 40 ms of the data.)
    #[tokio::test]
    async fn a_wait_with_nothing_read_sets_nothing() {
        let (client, _server) = pair().await;
        socket2::SockRef::from(&client)
            .set_tcp_quickack(false)
            .unwrap();
        let mut wrapped = QuickAck::new(client);
        let mut chunk = [0u8; 8];
        let waiting = futures::poll!(std::pin::pin!(wrapped.read(&mut chunk)));
        assert!(waiting.is_pending());
        assert!(!quick(wrapped.get_ref()), "no syscall without data");
    }
}
