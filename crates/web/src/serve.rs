//! The accept loop, with the timers `axum::serve` lacks.
//!
//! A client that opens a connection and sends its request slowly, or never, used to hold
//! a socket (and a file descriptor) for as long as it liked; enough of them exhausted the
//! process's descriptors and the server stopped answering anyone. Here:
//!
//! - a request's head must arrive within [`EdgeLimits::header_read_timeout`] (hyper's own
//!   timer, which also runs while a kept-alive connection waits for its next request);
//! - a request body that stops arriving for that long fails the request;
//! - a connection with no request in progress and no bytes moving for
//!   [`EdgeLimits::keep_alive_idle`] is asked to close, and dropped if it still moves
//!   nothing for the header timeout after that (a client that never reads its answer);
//! - at most [`EdgeLimits::max_connections`] connections are served at once; more wait in
//!   the kernel's listen queue, where they cost no descriptor, until one closes.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use mamori_app::EdgeLimits;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::AppState;
use crate::tls::Tls;

/// Serves plain HTTP until `shutdown` resolves, then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, state, None, shutdown).await
}

/// Serves HTTPS with `tls` (or plain HTTP without it) until `shutdown` resolves. The TLS
/// handshake must finish within the header timeout, like the request head after it.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Arc::new(state.app.settings().edge.clone());
    let app = crate::router(state);
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let (stop, stopped) = watch::channel(());
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, remote) = match accepted {
            Ok(c) => c,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of descriptors, most likely: wait for some to be released rather
                // than spin.
                tracing::error!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let (http, app, limits, stopped) =
            (http.clone(), app.clone(), limits.clone(), stopped.clone());
        let Some(tls) = &tls else {
            tokio::spawn(connection(http, app, stream, remote, limits, stopped, slot));
            continue;
        };
        // The configuration in use when the connection arrived, even if reloaded meanwhile.
        let acceptor = tls.acceptor();
        tokio::spawn(async move {
            let handshake = acceptor.accept(stream);
            match tokio::time::timeout(limits.header_read_timeout, handshake).await {
                Ok(Ok(stream)) => {
                    connection(http, app, stream, remote, limits, stopped, slot).await;
                }
                Ok(Err(e)) => tracing::debug!(error = %e, %remote, "TLS handshake failed"),
                Err(_) => tracing::debug!(%remote, "TLS handshake did not finish in time"),
            }
        });
    }
    drop(listener);
    drop(stop);
    // Every connection holds a slot until it ends: once all are back, all have ended.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// The client's address: the connection's, unless it comes from a trusted proxy, in which
/// case the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. Entries
/// further left were written by the client and could say anything; only what the trusted
/// proxies appended counts.
fn client_address(
    remote: SocketAddr,
    forwarded: Option<&hyper::header::HeaderValue>,
    trusted: &[IpAddr],
) -> SocketAddr {
    if !trusted.contains(&remote.ip()) {
        return remote;
    }
    let Some(list) = forwarded.and_then(|v| v.to_str().ok()) else {
        return remote;
    };
    list.rsplit(',')
        .map(str::trim)
        .map_while(|entry| entry.parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .map(|ip| SocketAddr::new(ip, 0))
        .unwrap_or(remote)
}

/// Errors that concern one connection only (the client went away before it was taken).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it ends, goes idle, or the server stops.
async fn connection<S>(
    http: http1::Builder,
    app: Router,
    stream: S,
    remote: SocketAddr,
    limits: Arc<EdgeLimits>,
    mut stopped: watch::Receiver<()>,
    _slot: OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let body_timeout = limits.header_read_timeout;
    let service = {
        let activity = activity.clone();
        let limits = limits.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let client = client_address(
                remote,
                req.headers().get("x-forwarded-for"),
                &limits.trusted_proxies,
            );
            req.extensions_mut().insert(ConnectInfo(client));
            let busy = Busy::new(activity.clone());
            let req = req.map(|b| Body::new(TimeoutBody::new(body_timeout, b)));
            let answer = app.clone().oneshot(req);
            async move {
                let res = answer.await;
                drop(busy);
                res
            }
        })
    };
    let io = TokioIo::new(Metered {
        inner: stream,
        activity: activity.clone(),
    });
    let mut conn = pin!(http.serve_connection(io, service));
    let mut closing = false;
    loop {
        let quiet_for = if closing {
            limits.header_read_timeout
        } else {
            limits.keep_alive_idle
        };
        // While a request is in progress the handler may take its time; look again later.
        let wake = if activity.busy() {
            Instant::now() + quiet_for
        } else {
            activity.last_moved() + quiet_for
        };
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, %remote, "connection ended with an error");
                }
                return;
            }
            _ = stopped.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = tokio::time::sleep_until(wake) => {
                if activity.busy() || activity.last_moved() + quiet_for > Instant::now() {
                    continue;
                }
                if closing {
                    // Asked to close, yet nothing moved since: the client does not read.
                    tracing::debug!(%remote, "dropping a connection that does not move");
                    return;
                }
                // hyper closes an idle connection at once, and one in the middle of an
                // answer once the answer is written.
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// What a connection is doing: requests in progress, and when bytes last moved.
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `start`.
    moved_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            moved_ms: AtomicU64::new(0),
        }
    }

    fn moved(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.moved_ms.store(ms, Ordering::Relaxed);
    }

    fn last_moved(&self) -> Instant {
        self.start + Duration::from_millis(self.moved_ms.load(Ordering::Relaxed))
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) > 0
    }
}

/// A request in progress; its end counts as activity.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.moved();
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.moved();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket (or the TLS stream over it), noting each time bytes move either way.
struct Metered<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.moved();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved();
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
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let remote = SocketAddr::new(proxy, 40000);
        let header = HeaderValue::from_static("203.0.113.9, 198.51.100.7");
        // Not trusted: the header is the client's own claim.
        assert_eq!(client_address(remote, Some(&header), &[]), remote);
        // Trusted: the address the proxy appended, not what the client wrote before it.
        assert_eq!(
            client_address(remote, Some(&header), &[proxy]).ip(),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A chain of trusted proxies is walked past.
        let second: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            client_address(remote, Some(&header), &[proxy, second]).ip(),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // Garbage or no header: the proxy itself.
        let junk = HeaderValue::from_static("not an address");
        assert_eq!(client_address(remote, Some(&junk), &[proxy]), remote);
        assert_eq!(client_address(remote, None, &[proxy]), remote);
    }
}
