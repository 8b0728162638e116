//! Accepting and serving HTTP connections: a cap on open connections, and per connection a
//! header read timeout, a request-body deadline and an idle timeout, so that half-sent
//! requests, stalled bodies and parked sockets cannot pile up (a slow-loris attack).
//!
//! axum's own `serve` has none of these; this is the same hyper server with them added.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::metrics::Metrics;

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// To send a request's headers, counted from the connection's start or the end of the
    /// previous response (so it is also how long an idle HTTP/1 keep-alive connection stays).
    pub header_timeout: Duration,
    /// To send a request's whole body, counted from its headers.
    pub body_timeout: Duration,
    /// A connection with no request in flight (a streaming response counts) is closed after this.
    pub idle_timeout: Duration,
    /// Open connections at most; further ones wait in the listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            max_connections: 512,
        }
    }
}

/// The error a request body reports when its deadline passed; handlers that read bodies
/// recognise it with [`is_body_timeout`].
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received in full within {0:?}")]
pub struct BodyTimeout(Duration);

/// Whether a body-reading error (anywhere in its source chain) is a [`BodyTimeout`].
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<BodyTimeout>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Serves `router` on `listener` until `stop` is cancelled, then lets open connections finish
/// their requests for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
    grace: Duration,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let server = Arc::new(Server {
        builder,
        router,
        limits,
        metrics,
        stop: stop.clone(),
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let connections = TaskTracker::new();
    let mut warned_full: Option<Instant> = None;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                server.metrics.connection_wait();
                if warned_full.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(
                        max = limits.max_connections,
                        "connection limit reached; new connections wait until one closes"
                    );
                    warned_full = Some(Instant::now());
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = stop.cancelled() => break,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                connections.spawn(server.clone().connection(stream, peer, slot));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    connections.close();
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; dropping remaining connections");
    }
}

struct Server {
    builder: auto::Builder<TokioExecutor>,
    router: Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
}

impl Server {
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        _slot: OwnedSemaphorePermit,
    ) {
        let _ = stream.set_nodelay(true);
        let _open = self.metrics.connection_open();
        let (in_flight, watched) = watch::channel(0usize);
        let server = self.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            server.clone().request(request, peer, in_flight.clone())
        });
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let finished = tokio::select! {
            finished = connection.as_mut() => Some(finished),
            () = self.stop.cancelled() => None,
            () = idle(watched, self.limits.idle_timeout) => {
                self.metrics.http_timeout("idle");
                None
            }
        };
        let finished = match finished {
            Some(finished) => finished,
            None => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = finished {
            if e.downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_timeout)
            {
                self.metrics.http_timeout("header");
            }
            tracing::debug!(error = %e, %peer, "connection ended with an error");
        }
    }

    async fn request(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
        in_flight: watch::Sender<usize>,
    ) -> Result<Response<Body>, Infallible> {
        let busy = InFlight::start(in_flight);
        let timed_out = Arc::new(AtomicBool::new(false));
        let deadline = self.limits.body_timeout;
        // A request without a body (most GETs) needs no timer.
        let mut request = request.map(|body| {
            if body.is_end_stream() {
                Body::new(body)
            } else {
                Body::new(Deadline::new(body, deadline, timed_out.clone()))
            }
        });
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let response = if timed_out.load(Ordering::Relaxed) {
            self.metrics.http_timeout("body");
            slow_body(response, deadline)
        } else {
            response
        };
        Ok(response.map(|body| Body::new(Tracked { body, _busy: busy })))
    }
}

/// A body that missed its deadline is answered 408 and the connection closed (the rest of the
/// body is never read). A handler that already answered 408 keeps its own body.
fn slow_body(response: Response<Body>, deadline: Duration) -> Response<Body> {
    let mut response = if response.status() == StatusCode::REQUEST_TIMEOUT {
        response
    } else {
        let message = format!(
            "The request body was not received in full within {} s.",
            deadline.as_secs()
        );
        (StatusCode::REQUEST_TIMEOUT, message).into_response()
    };
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Resolves once the connection has had no request in flight for `timeout`.
async fn idle(mut in_flight: watch::Receiver<usize>, timeout: Duration) {
    loop {
        let busy = *in_flight.borrow_and_update() > 0;
        let changed = if busy {
            in_flight.changed().await
        } else {
            match tokio::time::timeout(timeout, in_flight.changed()).await {
                Ok(changed) => changed,
                Err(_elapsed) => return,
            }
        };
        if changed.is_err() {
            // The connection's service is gone, so the connection is ending by itself.
            return std::future::pending().await;
        }
    }
}

/// One request in flight on a connection, from its headers until its response body is sent.
struct InFlight(watch::Sender<usize>);

impl InFlight {
    fn start(count: watch::Sender<usize>) -> Self {
        count.send_modify(|n| *n += 1);
        Self(count)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A request body that fails with [`BodyTimeout`] once its deadline has passed.
struct Deadline {
    body: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    after: Duration,
    timed_out: Arc<AtomicBool>,
}

impl Deadline {
    fn new(body: Incoming, after: Duration, timed_out: Arc<AtomicBool>) -> Self {
        Self {
            body,
            deadline: Box::pin(tokio::time::sleep(after)),
            after,
            timed_out,
        }
    }
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending if this.deadline.as_mut().poll(cx).is_ready() => {
                this.timed_out.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(BodyTimeout(this.after).into())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A response body that keeps its request counted as in flight until it is dropped.
struct Tracked {
    body: Body,
    _busy: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_timeout_is_recognised_through_wrapping_errors() {
        let wrapped = axum::Error::new(BodyTimeout(Duration::from_secs(1)));
        assert!(is_body_timeout(&wrapped));
        let other = axum::Error::new(std::io::Error::other("reset"));
        assert!(!is_body_timeout(&other));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_waits_for_the_last_request_to_finish() {
        let (count, watched) = watch::channel(0usize);
        let busy = InFlight::start(count.clone());
        let idle = tokio::spawn(idle(watched, Duration::from_secs(5)));
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(
            !idle.is_finished(),
            "a request in flight keeps the connection"
        );
        drop(busy);
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(!idle.is_finished());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(idle.is_finished(), "idle 5 s after the last request ended");
    }
}
