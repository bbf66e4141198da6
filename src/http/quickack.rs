//! Acknowledges at once what idemfuzz reads: a TCP stream wrapper that re-arms Linux
//! `TCP_QUICKACK` whenever a read is about to wait while the server may be waiting for an ACK.
//!
//! Why: a server that writes an answer's header and body in two writes with Nagle's algorithm
//! on (Python's `http.server` and others) holds the body back until the header is
//! acknowledged, and on a kept-alive connection Linux delays that ACK by up to 40 ms (delayed
//! ACK, "pingpong" mode, entered because the client's requests follow the server's answers).
//! Each request then stalls 40 ms. `TCP_QUICKACK` leaves that mode and sends a pending ACK
//! now, but it is not permanent: the kernel enters the mode again with the next request, so it
//! is set again before every such wait.
//!
//! When not: after the first read since the last write has brought a whole HTTP/1.1 answer
//! (its header block and exactly the body its `Content-Length` announces), the server has
//! nothing more to send and waits for no ACK; the next request carries the ACK as before. So on
//! the normal path — answers that arrive in one piece — the wrapper costs a parse of the header
//! block and no system call; a `setsockopt` (and an ACK segment) is spent only on answers that
//! arrive in parts, or that it cannot read (TLS records, chunked bodies). docs/performance.md,
//! *Delayed ACK*, has the measurements. Elsewhere than Linux the wrapper only passes reads and
//! writes through.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Header fields of an answer the wrapper looks through; an answer with more counts as
/// arriving in parts (it only costs a `setsockopt`).
const MAX_FIELDS: usize = 64;

/// A TCP stream that acknowledges received data before it waits for more of it.
#[derive(Debug)]
pub(crate) struct QuickAck {
    inner: TcpStream,
    /// What the reads since the last write brought.
    answer: Answer,
    /// Data arrived since `TCP_QUICKACK` was last set.
    unacknowledged: bool,
    /// Times `TCP_QUICKACK` was set (what the tests count).
    #[cfg(test)]
    rearmed: u32,
}

/// What arrived since the last write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Nothing,
    /// A whole answer, in the first read: nothing more is coming.
    Whole,
    /// Anything else: part of an answer, or an answer the wrapper cannot measure.
    InParts,
}

impl QuickAck {
    pub(crate) fn new(inner: TcpStream) -> QuickAck {
        QuickAck {
            inner,
            answer: Answer::Nothing,
            unacknowledged: false,
            #[cfg(test)]
            rearmed: 0,
        }
    }

    /// The stream itself (e.g. to peek at it).
    pub(crate) fn get_ref(&self) -> &TcpStream {
        &self.inner
    }

    /// Notes the bytes one read brought.
    fn received(&mut self, bytes: &[u8]) {
        self.unacknowledged = true;
        self.answer = match self.answer {
            Answer::Nothing if is_whole_answer(bytes) => Answer::Whole,
            _ => Answer::InParts,
        };
    }

    /// A read is about to wait: the server may be waiting for the ACK of what arrived, unless
    /// that was a whole answer.
    fn waiting(&mut self) {
        if self.unacknowledged && self.answer != Answer::Whole {
            self.unacknowledged = false;
            acknowledge_now(&self.inner);
            #[cfg(test)]
            {
                self.rearmed += 1;
            }
        }
    }

    /// A request (or part of one) left, carrying the ACK of everything received: what
    /// arrives next is a new answer.
    fn sent(&mut self, written: usize) {
        if written > 0 {
            self.answer = Answer::Nothing;
            self.unacknowledged = false;
        }
    }
}

/// True when `bytes` hold exactly one whole HTTP/1.1 final answer: a complete header block
/// with a status of 200 or more, one `Content-Length`, no `Transfer-Encoding`, and exactly that
/// many bytes of body after it.
fn is_whole_answer(bytes: &[u8]) -> bool {
    let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut answer = httparse::Response::new(&mut fields);
    let Ok(httparse::Status::Complete(head)) = answer.parse(bytes) else {
        return false;
    };
    if answer.code.is_none_or(|status| status < 200) {
        return false;
    }
    let mut lengths = answer.headers.iter().filter_map(|field| {
        if field.name.eq_ignore_ascii_case("transfer-encoding") {
            Some(None)
        } else if field.name.eq_ignore_ascii_case("content-length") {
            Some(
                std::str::from_utf8(field.value)
                    .ok()?
                    .trim()
                    .parse::<usize>()
                    .ok(),
            )
        } else {
            None
        }
    });
    match (lengths.next(), lengths.next()) {
        (Some(Some(length)), None) => bytes.len() - head == length,
        _ => false,
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
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.received(&buf.filled()[before..]);
            }
            Poll::Pending => this.waiting(),
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
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            self.sent(written);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = polled {
            self.sent(written);
        }
        polled
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

#[cfg(test)]
mod answer_tests {
    use super::*;

    pub(super) const WHOLE: &[u8] =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

    #[test]
    fn an_answer_with_its_whole_body_is_whole() {
        assert!(is_whole_answer(WHOLE));
        assert!(is_whole_answer(
            b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
        ));
    }

    #[test]
    fn anything_that_may_be_followed_by_more_is_not() {
        let head_only = &WHOLE[..WHOLE.len() - 2];
        for bytes in [
            head_only,
            &WHOLE[..WHOLE.len() - 1],
            &WHOLE[..20],
            b"HTTP/1.1 100 Continue\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}",
            b"HTTP/1.1 200 OK\r\n\r\nbody until the connection closes",
            b"\x17\x03\x03\x00\x20 a TLS record",
        ] {
            assert!(
                !is_whole_answer(bytes),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        // A HEAD answer announces a body it does not carry: counted as in parts (a syscall).
        assert!(!is_whole_answer(
            b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n"
        ));
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
        assert_eq!(wrapped.rearmed, 2);
    }

    #[tokio::test]
    async fn a_whole_answer_costs_no_system_call() {
        let (client, mut server) = pair().await;
        let mut wrapped = QuickAck::new(client);
        server.write_all(answer_tests::WHOLE).await.unwrap();
        let mut chunk = [0u8; 1024];
        let n = wrapped.read(&mut chunk).await.unwrap();
        assert_eq!(&chunk[..n], answer_tests::WHOLE);
        let waiting = futures::poll!(std::pin::pin!(wrapped.read(&mut chunk)));
        assert!(waiting.is_pending());
        assert_eq!(wrapped.answer, Answer::Whole);
        assert!(
            wrapped.unacknowledged,
            "not re-armed: nothing more is coming"
        );
        // The next request carries the ACK, and makes what arrives next a new answer: waiting
        // for it re-arms nothing either.
        wrapped.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        assert_eq!(wrapped.answer, Answer::Nothing);
        let waiting = futures::poll!(std::pin::pin!(wrapped.read(&mut chunk)));
        assert!(waiting.is_pending());
        assert_eq!(wrapped.rearmed, 0, "the request carried the ACK");
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
