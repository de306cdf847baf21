//! Closing a connection whose client is still sending. When the host refuses a request
//! before reading its body (413 for a body over the limit, 408 for one too slow, or a
//! refusal before the body was looked at), hyper answers and closes the connection with
//! the rest of the body unread. Closing a socket with unread data makes the kernel send
//! a reset, and a client that writes its whole body before reading the answer (Python's
//! `http.client`, `requests`, many SDKs) then fails on a broken pipe and never sees the
//! status. This wrapper keeps reading, and dropping, what the client still sends after
//! the answer's end, for a bounded time: "lingering close", as Apache and nginx do it.
//! It does so too when the client's bytes are already waiting as the connection closes
//! with no body unread: the rest of a head hyper refused as too large (431), or a whole
//! request sent to a connection refused at the limit (503).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a lingering close waits for the client's next bytes before closing.
pub const QUIET: Duration = Duration::from_secs(2);
/// How long a lingering close reads at most, however steadily the client sends.
pub const MOST: Duration = Duration::from_secs(10);

/// Whether the connection's current request has body bytes nobody read. Set when a
/// request with a body arrives ([`Self::track`]), cleared once its body is read to the
/// end, and read when the connection closes: hyper keeps a connection open only after
/// a body read whole, so a close that follows an unread one is the case to linger on.
#[derive(Clone, Debug, Default)]
pub struct LingerFlag(Arc<AtomicBool>);

impl LingerFlag {
    /// A flag set from the start: for a connection refused before any request was
    /// read, whose client may be sending one.
    pub fn unread() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }

    /// Wraps a new request's body, marking it unread until it has been read whole.
    pub fn track<B: Body>(&self, body: B) -> RequestBody<B> {
        self.0.store(!body.is_end_stream(), Ordering::Relaxed);
        RequestBody {
            inner: body,
            unread: self.clone(),
        }
    }

    /// Whether the connection's latest request body is still unread.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A request's body that clears its connection's [`LingerFlag`] when read to its end.
pub struct RequestBody<B = Incoming> {
    inner: B,
    unread: LingerFlag,
}

impl<B: Body + Unpin> Body for RequestBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.inner.is_end_stream() {
            this.unread.0.store(false, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

enum Closing {
    Open,
    /// The answer's end is sent; reading what the client still sends until EOF, a quiet
    /// [`QUIET`], or [`MOST`] in all.
    Draining {
        quiet: Pin<Box<Sleep>>,
        until: Instant,
    },
    Closed,
}

/// A stream that, when shut down while [`LingerFlag`] says a request body is unread,
/// or while the client's bytes wait unread, sends its end and then reads and drops the
/// client's remaining bytes before reporting it done.
pub struct Linger<T> {
    io: T,
    flag: LingerFlag,
    closing: Closing,
}

impl<T> Linger<T> {
    pub fn new(io: T, flag: LingerFlag) -> Self {
        Self {
            io,
            flag,
            closing: Closing::Open,
        }
    }
}

impl<T: AsyncRead + Unpin> Linger<T> {
    /// Reads and drops until the client is done or the time is up.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Closing::Draining { quiet, until } = &mut self.closing else {
            return Poll::Ready(());
        };
        let mut scratch = [0u8; 8192];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                // End of stream, or the client reset: nothing is left to protect.
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(()),
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Ready(Ok(())) => {
                    if Instant::now() >= *until {
                        return Poll::Ready(());
                    }
                    let next = (Instant::now() + QUIET).min(*until);
                    quiet.as_mut().reset(next);
                }
                // Done when the quiet runs out; its timer wakes the task if it does.
                Poll::Pending => return quiet.as_mut().poll(cx),
            }
        }
    }
}

impl<T: AsyncRead + Unpin> Linger<T> {
    /// Whether the client's bytes wait unread now (they are read, and dropped). Only
    /// what has arrived counts: a client that sends nothing more is not waited for.
    fn has_waiting_bytes(&mut self, cx: &mut Context<'_>) -> bool {
        let mut scratch = [0u8; 1024];
        let mut buf = ReadBuf::new(&mut scratch);
        matches!(
            Pin::new(&mut self.io).poll_read(cx, &mut buf),
            Poll::Ready(Ok(())) if !buf.filled().is_empty()
        )
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Linger<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Linger<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Closing::Open = this.closing {
            // The answer's end goes out first, so the client can read it while it sends.
            std::task::ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            this.closing = if this.flag.is_set() || this.has_waiting_bytes(cx) {
                let now = Instant::now();
                Closing::Draining {
                    quiet: Box::pin(tokio::time::sleep_until(now + QUIET)),
                    until: now + MOST,
                }
            } else {
                Closing::Closed
            };
        }
        std::task::ready!(this.drain(cx));
        this.closing = Closing::Closed;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use http_body_util::{BodyExt, Empty, Full};

    fn flagged(linger: bool) -> LingerFlag {
        let flag = LingerFlag::default();
        flag.0.store(linger, Ordering::Relaxed);
        flag
    }

    /// A request with a body marks the connection until the body is read whole; one
    /// without marks nothing, and a new request forgets the last one's mark.
    #[tokio::test]
    async fn a_body_marks_its_connection_until_it_is_read_whole() {
        let flag = LingerFlag::default();
        let body = flag.track(Full::new(bytes::Bytes::from_static(b"name=value")));
        assert!(flag.is_set(), "nothing read yet");
        let read = body.collect().await.expect("read").to_bytes();
        assert_eq!(&read[..], b"name=value");
        assert!(!flag.is_set(), "read whole");

        let _unread = flag.track(Full::new(bytes::Bytes::from_static(b"left")));
        assert!(flag.is_set());
        let _next = flag.track(Empty::<bytes::Bytes>::new());
        assert!(!flag.is_set(), "a request without a body");
    }

    /// What a client that writes 64 KiB through a 1 KiB pipe, then reads to the end,
    /// reads back once `stream` has answered and closed. `early`: the client's first
    /// bytes are in before the answer goes out.
    async fn read_by_a_client_still_sending(flag: LingerFlag, early: bool) -> Vec<u8> {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut stream = Linger::new(ours, flag);
        let client = tokio::spawn(async move {
            theirs
                .write_all(&[b'x'; 64 * 1024])
                .await
                .expect("all taken");
            let mut answer = Vec::new();
            theirs.read_to_end(&mut answer).await.expect("read");
            answer
        });
        if early {
            tokio::task::yield_now().await;
        }
        stream.write_all(b"refused").await.expect("answer");
        // Without the drain the client would block on a full pipe: the paused clock
        // then jumps to this deadline and the test fails instead of hanging.
        tokio::time::timeout(MOST, async {
            stream.shutdown().await.expect("closed");
            client.await.expect("client")
        })
        .await
        .expect("the client's bytes were taken and the answer read")
    }

    /// The client's bytes after the answer are read until it closes its side.
    #[tokio::test(start_paused = true)]
    async fn a_flagged_close_reads_until_the_client_ends() {
        assert_eq!(
            read_by_a_client_still_sending(flagged(true), false).await,
            b"refused"
        );
    }

    /// A client that sends nothing more holds the close for [`QUIET`]; one that keeps
    /// sending, for [`MOST`] at most.
    #[tokio::test(start_paused = true)]
    async fn a_flagged_close_gives_up_when_quiet_or_at_the_most() {
        let (ours, _silent) = tokio::io::duplex(1024);
        let mut stream = Linger::new(ours, flagged(true));
        let started = Instant::now();
        stream.shutdown().await.expect("closed");
        let waited = started.elapsed();
        assert!(waited >= QUIET && waited < QUIET + Duration::from_millis(100));

        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut stream = Linger::new(ours, flagged(true));
        let _sender = tokio::spawn(async move {
            while theirs.write_all(b"more").await.is_ok() {
                tokio::time::sleep(QUIET / 4).await;
            }
        });
        let started = Instant::now();
        stream.shutdown().await.expect("closed");
        let waited = started.elapsed();
        assert!(waited >= MOST && waited < MOST + QUIET, "{waited:?}");
    }

    /// Without the flag, bytes the client sent before the close are still drained:
    /// the rest of a refused head, or a request sent to a refused connection.
    #[tokio::test(start_paused = true)]
    async fn an_unflagged_close_drains_bytes_already_waiting() {
        assert_eq!(
            read_by_a_client_still_sending(flagged(false), true).await,
            b"refused"
        );
    }

    /// Without the flag and with nothing waiting, the close is immediate, as it was.
    #[tokio::test(start_paused = true)]
    async fn an_unflagged_close_does_not_wait() {
        let (ours, _silent) = tokio::io::duplex(1024);
        let mut stream = Linger::new(ours, flagged(false));
        let started = Instant::now();
        stream.shutdown().await.expect("closed");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
