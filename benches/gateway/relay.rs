//! The floor of any HTTP hop: a relay with nothing in between, the same stack as the gateway
//! (axum and hyper in, reqwest out, two tokio workers) forwarding each request to the upstream
//! as it came and its answer as it went. Measured beside the gateway, it says which part of
//! what the gateway adds any proxy on this machine pays (a loopback exchange, another process
//! to wake) and which part is the gateway's own work.
//!
//! It runs as this same bench executable started again with `BENCH_RELAY_TO=<upstream URL>`,
//! in a process of its own as the gateway is; it prints its URL as its first line.

use std::process::Command;

use anyhow::Result;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::Response;

use super::{Children, Workload};

const UPSTREAM_VAR: &str = "BENCH_RELAY_TO";

/// The headers a request or an answer keeps on the way through.
const KEPT: [HeaderName; 3] = [
    header::CONTENT_TYPE,
    header::AUTHORIZATION,
    HeaderName::from_static("x-odoo-database"),
];

/// Runs the relay and never returns when this process was started as one.
pub(super) fn serve_if_asked() -> Result<()> {
    let Ok(upstream) = std::env::var(UPSTREAM_VAR) else {
        return Ok(());
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(serve(upstream.trim_end_matches('/').to_owned()))?;
    std::process::exit(0)
}

async fn serve(upstream: String) -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}", listener.local_addr()?);
    let http = reqwest::Client::builder().build()?;
    let app = axum::Router::new().fallback(move |request: Request| {
        let (http, upstream) = (http.clone(), upstream.clone());
        async move {
            forward(&http, &upstream, request)
                .await
                .unwrap_or_else(|e| {
                    let mut failed = Response::new(Body::from(format!("relay: {e:#}")));
                    *failed.status_mut() = StatusCode::BAD_GATEWAY;
                    failed
                })
        }
    });
    axum::serve(listener, app).await?;
    Ok(())
}

async fn forward(http: &reqwest::Client, upstream: &str, request: Request) -> Result<Response> {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 64 << 20).await?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut out = http.request(parts.method, format!("{upstream}{path}"));
    for name in &KEPT {
        if let Some(value) = parts.headers.get(name) {
            out = out.header(name, value);
        }
    }
    let answer = out.body(body).send().await?;
    let mut response = Response::builder().status(answer.status());
    if let Some(value) = answer.headers().get(header::CONTENT_TYPE) {
        response = response.header(header::CONTENT_TYPE, value);
    }
    Ok(response.body(Body::from(answer.bytes().await?))?)
}

/// `direct`, a request to `upstream`, sent through the relay at `relay_url` instead.
pub(super) fn relayed(direct: &Workload, upstream: &str, relay_url: &str) -> Workload {
    Workload {
        name: "relayed search_read",
        url: direct.url.replacen(upstream, relay_url, 1),
        ..direct.clone()
    }
}

/// Starts a relay to `upstream` and returns its URL.
pub(super) fn start(children: &mut Children, upstream: &str) -> Result<String> {
    let mut relay = Command::new(std::env::current_exe()?);
    relay.env(UPSTREAM_VAR, upstream);
    Ok(children.start_announced("relay", &mut relay)?.0)
}
