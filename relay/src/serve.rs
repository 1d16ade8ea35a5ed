//! The HTTP server's accept loop: HTTP/1.1 with WebSocket upgrades, a header-read timeout,
//! connection caps, and a shutdown that is graceful for a bounded time and then cuts what is
//! left (a slow head must not hold the process).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::connection_caps::{ConnectionCaps, Slot};

/// After a failed accept (out of file descriptors, most likely) wait this long before the next,
/// so the loop does not spin while connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a refused connection reads before it is closed.
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
connection: close\r\ncontent-length: 45\r\nretry-after: 5\r\n\r\ntoo many connections open; try again shortly\n";

/// How one listener serves.
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub caps: Arc<ConnectionCaps>,
    /// After shutdown starts, connections get this long to finish, then they are cut.
    pub grace: Duration,
}

/// Accepts and serves until `stop` is cancelled, then lets open connections finish for at most
/// `grace` and cuts the rest. Upgraded connections (WebSockets) are closed by their own tasks.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    stop: CancellationToken,
) {
    let connections = TaskTracker::new();
    let cut = CancellationToken::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    metrics::counter!("ringlink_http_accept_errors_total").increment(1);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let slot = match options.caps.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                metrics::counter!("ringlink_http_connections_refused_total", "why" => why.as_str())
                    .increment(1);
                tracing::debug!(%peer, why = why.as_str(), "connection refused");
                // Best effort, never waits: the refusal costs no more than the accept.
                let _ = stream.try_write(BUSY_RESPONSE);
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let head = Head {
            caps: options.caps.clone(),
            id: slot.id(),
            cut: slot.cut(),
        };
        connections.spawn(connection(
            head,
            Counted {
                stream,
                _slot: slot,
            },
            peer,
            router.clone(),
            options.header_read_timeout,
            stop.clone(),
            cut.clone(),
        ));
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(options.grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "cutting connections still open after {:?}",
            options.grace
        );
        cut.cancel();
        connections.wait().await;
    }
}

/// A connection's standing before its first request head: cut first when the relay is full.
struct Head {
    caps: Arc<ConnectionCaps>,
    id: u64,
    cut: CancellationToken,
}

async fn connection(
    head: Head,
    io: Counted,
    peer: SocketAddr,
    router: Router,
    header_read_timeout: Duration,
    stop: CancellationToken,
    cut: CancellationToken,
) {
    let first = std::sync::atomic::AtomicBool::new(true);
    let (caps, id) = (head.caps.clone(), head.id);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        if first.swap(false, std::sync::atomic::Ordering::Relaxed) {
            caps.head_received(id);
        }
        req.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => return log_end(peer, result),
        _ = stop.cancelled() => conn.as_mut().graceful_shutdown(),
        _ = head.cut.cancelled() => {
            tracing::debug!(%peer, "slow head cut to make room");
            return;
        }
    }
    tokio::select! {
        result = conn.as_mut() => log_end(peer, result),
        _ = cut.cancelled() => {}
    }
}

fn log_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        if e.is_timeout() {
            metrics::counter!("ringlink_http_header_timeouts_total").increment(1);
        }
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// A client socket that holds its place under the caps until it is dropped, also after a
/// WebSocket upgrade takes it over.
struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Raises the soft open-file limit to the hard limit and returns the connection cap that fits
/// under it: `wanted`, or less when the limit is low.
pub fn fit_connections_to_file_limit(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!("cannot read or raise the open-file limit: {e}");
            return wanted;
        }
    };
    let room = limit.saturating_sub(crate::http_config::FD_RESERVE).max(16);
    let cap = wanted.min(usize::try_from(room).unwrap_or(usize::MAX));
    if cap < wanted {
        tracing::warn!(
            open_file_limit = limit,
            "http.max_connections lowered from {wanted} to {cap} to fit the open-file limit (raise it with ulimit -n or LimitNOFILE=)"
        );
    }
    cap
}
