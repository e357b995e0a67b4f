//! The accept loop: HTTP/1.1 connections with bounded time and a bounded count.
//!
//! `axum::serve` keeps every connection for as long as the client likes, so idle or
//! half-sent connections (slowloris) used to pile up until file descriptors ran out and
//! `/health` stopped answering. Here every connection has:
//! - a **header-read timeout** (hyper's own: the whole request head within N seconds),
//! - an **idle timeout** (no request in progress for N seconds: closed),
//! - a place in a **bounded table**: at `max_connections` the oldest connection with no
//!   request in progress is closed to make room, so a flood of idle sockets can never lock
//!   out a new client (a load balancer's `/health` included); only when every connection is
//!   busy does a newcomer get `503` with `Retry-After`.
//!
//! Request bodies get their own timeout in the router (`http::router`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Notify};
use tower::ServiceExt as _;

/// Connection limits (from `http:` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// One open connection, as the acceptor sees it.
struct Tracked {
    /// Requests being served on it right now.
    busy: AtomicUsize,
    /// When it last started or finished a request (ms since the table's epoch).
    last_active: AtomicU64,
    close: Notify,
}

struct Table {
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Tracked>>>,
}

impl Table {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        self.open.lock().map_or(0, |m| m.len())
    }

    fn insert(&self) -> (u64, Arc<Tracked>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let tracked = Arc::new(Tracked {
            busy: AtomicUsize::new(0),
            last_active: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
        });
        if let Ok(mut m) = self.open.lock() {
            m.insert(id, tracked.clone());
        }
        (id, tracked)
    }

    fn remove(&self, id: u64) {
        if let Ok(mut m) = self.open.lock() {
            m.remove(&id);
        }
    }

    /// Closes the oldest connection with no request in progress; false when all are busy.
    fn evict_oldest_idle(&self) -> bool {
        let Ok(mut m) = self.open.lock() else {
            return false;
        };
        let victim = m
            .iter()
            .find(|(_, t)| t.busy.load(Ordering::Acquire) == 0)
            .map(|(id, t)| (*id, t.clone()));
        match victim {
            Some((id, t)) => {
                m.remove(&id);
                t.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (idle connections close at once).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let table = Arc::new(Table {
        epoch: Instant::now(),
        next_id: AtomicU64::new(0),
        open: Mutex::new(BTreeMap::new()),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    // Each connection task holds a sender; when all are dropped, every connection is done.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the table shrinks
                    // as timeouts close connections.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        if table.len() >= limits.max_connections && !table.evict_oldest_idle() {
            tokio::spawn(refuse_busy(stream));
            continue;
        }
        let (id, tracked) = table.insert();
        let task = connection(
            stream,
            peer,
            router.clone(),
            limits,
            tracked,
            table.clone(),
            stop_rx.clone(),
        );
        let done = done_tx.clone();
        let table = table.clone();
        tokio::spawn(async move {
            task.await;
            table.remove(id);
            drop(done);
        });
    }
    let _ = stop_tx.send(true);
    drop(done_tx);
    let _ = done_rx.recv().await;
    Ok(())
}

/// Every connection is busy: tell the newcomer to come back, without reading its request.
async fn refuse_busy(mut stream: TcpStream) {
    const BODY: &str =
        r#"{"error":{"code":"server_busy","message":"Too many open connections; retry shortly"}}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    tracked: Arc<Tracked>,
    table: Arc<Table>,
    mut stop: watch::Receiver<bool>,
) {
    let id_table = table.clone();
    let service_tracked = tracked.clone();
    let service = tower::service_fn(
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            let router = router.clone();
            let tracked = service_tracked.clone();
            let table = id_table.clone();
            async move {
                request.extensions_mut().insert(ConnectInfo(peer));
                tracked.busy.fetch_add(1, Ordering::AcqRel);
                tracked.last_active.store(table.now_ms(), Ordering::Release);
                let response = router.oneshot(request.map(axum::body::Body::new)).await;
                tracked.last_active.store(table.now_ms(), Ordering::Release);
                tracked.busy.fetch_sub(1, Ordering::AcqRel);
                Ok::<_, Infallible>(match response {
                    Ok(r) => r,
                    Err(never) => match never {},
                })
            }
        },
    );
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(
        TokioIo::new(stream),
        hyper_util::service::TowerToHyperService::new(service),
    );
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let idle_for = Duration::from_millis(
            table
                .now_ms()
                .saturating_sub(tracked.last_active.load(Ordering::Acquire)),
        );
        let wake = limits
            .idle_timeout
            .saturating_sub(idle_for)
            .max(Duration::from_millis(10));
        tokio::select! {
            _ = conn.as_mut() => break,
            () = tracked.close.notified() => break,
            changed = stop.changed(), if !stopping => {
                stopping = true;
                let _ = changed;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep(wake) => {
                let idle = tracked.busy.load(Ordering::Acquire) == 0
                    && Duration::from_millis(table.now_ms().saturating_sub(tracked.last_active.load(Ordering::Acquire))) >= limits.idle_timeout;
                if idle {
                    break;
                }
            }
        }
    }
}
