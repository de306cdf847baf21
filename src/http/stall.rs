//! Writes that must keep moving. hyper bounds how long a client may take to send its
//! request (`header_read_timeout`, and the router's request timeout covers the body),
//! but once an answer is being written nothing bounds a client that simply stops
//! reading: the kernel's socket buffer fills, the write waits forever, and the
//! connection holds one of `max_connections` slots and the rest of the answer in
//! memory. A few such clients would fill the server. This wrapper fails a write that
//! has made no progress for the limit, which ends the connection. A client that takes
//! a little in every period is not stopped (no minimum rate; see the design notes).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once they have waited
/// `limit` without the peer taking a single byte. A slow reader that keeps taking data
/// is never cut off: the clock restarts at every write that goes through.
pub struct WriteStall<T> {
    io: T,
    limit: Duration,
    /// Armed at the first write that has to wait; cleared by the next that goes through.
    stalled_since: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteStall<T> {
    pub fn new(io: T, limit: Duration) -> Self {
        Self {
            io,
            limit,
            stalled_since: None,
        }
    }

    /// Passes `polled` through, keeping the stall clock: a ready result disarms it, a
    /// pending one arms it (once) and turns into an error when it runs out.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if polled.is_ready() {
            self.stalled_since = None;
            return polled;
        }
        let limit = self.limit;
        let deadline = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client took nothing of the answer for {} s",
                    limit.as_secs()
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStall<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStall<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const LIMIT: Duration = Duration::from_secs(30);

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_never_takes_fails_after_the_limit() {
        let (ours, _theirs) = tokio::io::duplex(1024);
        let mut stream = WriteStall::new(ours, LIMIT);
        let started = tokio::time::Instant::now();
        let error = stream
            .write_all(&[b'x'; 64 * 1024])
            .await
            .expect_err("nobody reads");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        // Paused time jumps straight to the deadline: the write gave up at the limit,
        // not before and not much after.
        let waited = started.elapsed();
        assert!(
            waited >= LIMIT && waited < LIMIT + Duration::from_secs(1),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_taking_data_is_not_cut_off() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let reader = tokio::spawn(async move {
            let mut got = 0;
            let mut chunk = [0u8; 1024];
            loop {
                // Each pause is under the limit, the total far over it.
                tokio::time::sleep(LIMIT / 2).await;
                match theirs.read(&mut chunk).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got += n,
                }
            }
        });
        let mut stream = WriteStall::new(ours, LIMIT);
        let started = tokio::time::Instant::now();
        stream
            .write_all(&[b'x'; 16 * 1024])
            .await
            .expect("the reader keeps taking data");
        stream.shutdown().await.expect("shutdown");
        drop(stream);
        assert_eq!(reader.await.expect("reader"), 16 * 1024);
        assert!(
            started.elapsed() > LIMIT * 4,
            "the write spanned many limits"
        );
    }
}
