//! OpenTelemetry traces, off unless an OTLP endpoint is given: one span per audited request,
//! with the governance steps and the Odoo calls as its children, exported over OTLP/HTTP.
//!
//! The tracer lives in each app's state, never in a process-wide global, so two gateways in
//! one process (tests, replicas) each export their own. A request's span travels in the
//! OpenTelemetry [`Context`] its future runs in, together with the tracer, so code below the
//! request (the pipeline, a tool's Odoo call) opens a child with [`step`] without being handed
//! anything; when tracing is off there is no such context and a step costs one lookup.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{
    SpanBuilder, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags, TraceId,
    TraceState, Tracer as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

pub use opentelemetry::KeyValue as Attribute;

/// How long one export may take before it is given up (the batch is dropped, not retried).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--otlp-endpoint: {0}")]
    Endpoint(String),
    #[error("the OTLP exporter: {0}")]
    Exporter(String),
}

/// This app's tracer, or nothing when traces are off (the default).
#[derive(Clone, Default)]
pub struct Traces(Option<Arc<Exporting>>);

struct Exporting {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

/// The tracer a request's context carries, for the steps below it.
#[derive(Clone)]
struct InContext(SdkTracer);

impl Traces {
    /// Exports to the OTLP/HTTP collector at `endpoint`, its base URL (the spans go to
    /// `/v1/traces` under it, as `OTEL_EXPORTER_OTLP_ENDPOINT` means). Needs a Tokio runtime:
    /// the batches are sent by a task on it.
    pub fn export_to(endpoint: &str, http: reqwest::Client) -> Result<Self, Error> {
        let base = url::Url::parse(endpoint).map_err(|e| Error::Endpoint(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Endpoint(format!("not an http(s) URL: {endpoint}")));
        }
        let traces_url = format!("{}/v1/traces", base.as_str().trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(http)
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces_url)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| Error::Exporter(e.to_string()))?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter, Tokio).build())
            .with_resource(
                Resource::builder()
                    .with_service_name(env!("CARGO_PKG_NAME"))
                    .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                    .build(),
            )
            .build();
        let tracer = opentelemetry::trace::TracerProvider::tracer(&provider, "odoo-mcp-gateway");
        Ok(Self(Some(Arc::new(Exporting { provider, tracer }))))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Opens the server span of a request that began `ago`, a child of `parent` when the
    /// client sent one; `None` when traces are off, so nothing is built.
    pub fn request(
        &self,
        name: impl Into<Cow<'static, str>>,
        parent: Option<TraceParent>,
        ago: Duration,
        attributes: Vec<KeyValue>,
    ) -> Option<RequestSpan> {
        let exporting = self.0.as_ref()?;
        // The SDK's wall clock, not the app's `Clock` (a test's is manual): every span of the
        // trace, the steps the SDK times itself included, must be on the same clock.
        let now = opentelemetry::time::now();
        let start = now.checked_sub(ago).unwrap_or(now);
        let parent_cx = match parent {
            Some(p) => Context::new().with_remote_span_context(p.0),
            None => Context::new(),
        };
        let span = exporting.tracer.build_with_context(
            SpanBuilder::from_name(name)
                .with_kind(SpanKind::Server)
                .with_start_time(start)
                .with_attributes(attributes),
            &parent_cx,
        );
        let cx = parent_cx
            .with_span(span)
            .with_value(InContext(exporting.tracer.clone()));
        Some(RequestSpan(cx))
    }

    /// Sends what is still queued and stops the exporter (at shutdown).
    pub async fn shutdown(&self) {
        let Some(exporting) = self.0.clone() else {
            return;
        };
        // The provider's shutdown blocks until the batch task on this runtime has exported,
        // so it waits on a blocking thread, leaving this one free to run that task.
        let _ = tokio::task::spawn_blocking(move || exporting.provider.shutdown()).await;
    }
}

/// A W3C `traceparent`, checked: version 00, a trace id and a parent id not all zeros.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceParent(SpanContext);

impl TraceParent {
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let lower_hex = |s: &str, len| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        // Version 00 has exactly four fields; a later version may add fields after them.
        if !lower_hex(version, 2) || version == "ff" || (version == "00" && parts.next().is_some())
        {
            return None;
        }
        if !lower_hex(trace, 32) || !lower_hex(span, 16) || !lower_hex(flags, 2) {
            return None;
        }
        let trace_id = TraceId::from_hex(trace).ok()?;
        let span_id = SpanId::from_hex(span).ok()?;
        if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
            return None;
        }
        let flags = TraceFlags::new(u8::from_str_radix(flags, 16).ok()?);
        Some(Self(SpanContext::new(
            trace_id,
            span_id,
            flags & TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        )))
    }

    /// The `tracestate` that came with this `traceparent` (from the same place: W3C ties the
    /// two), carried on to every span of the request. One that is not well formed is dropped,
    /// as W3C says, and the `traceparent` kept.
    pub fn with_state(self, tracestate: Option<&str>) -> Self {
        let Some(state) = tracestate.and_then(|t| t.parse::<TraceState>().ok()) else {
            return self;
        };
        let c = self.0;
        Self(SpanContext::new(
            c.trace_id(),
            c.span_id(),
            c.trace_flags(),
            true,
            state,
        ))
    }
}

/// The open span of a request and the context its work runs in.
pub struct RequestSpan(Context);

impl RequestSpan {
    /// The trace id, 32 lowercase hex digits (for the audit entry and the log line).
    pub fn trace_id(&self) -> String {
        self.0.span().span_context().trace_id().to_string()
    }

    pub fn set(&self, attribute: KeyValue) {
        self.0.span().set_attribute(attribute);
    }

    /// Runs `work` with this span as the parent of the steps it opens.
    pub fn around<F: Future>(&self, work: F) -> impl Future<Output = F::Output> {
        work.with_context(self.0.clone())
    }

    /// Ends the span, failed with `error` when the request failed.
    pub fn end(self, error: Option<&str>) {
        let span = self.0.span();
        if let Some(error) = error {
            span.set_status(Status::error(error.to_owned()));
        }
        span.end();
    }
}

/// A child span of the current request (none outside a traced request); ended on drop.
pub struct Step(Option<Context>);

/// Opens a step of the current request.
pub fn step(name: &'static str, attributes: impl FnOnce() -> Vec<KeyValue>) -> Step {
    Step::open(name, SpanKind::Internal, attributes)
}

/// Opens a call to another system (Odoo) from the current request.
pub fn client_call(name: String, attributes: impl FnOnce() -> Vec<KeyValue>) -> Step {
    Step::open(name, SpanKind::Client, attributes)
}

impl Step {
    fn open(
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> Self {
        let parent = Context::current();
        let Some(InContext(tracer)) = parent.get::<InContext>().cloned() else {
            return Self(None);
        };
        let span = tracer.build_with_context(
            SpanBuilder::from_name(name)
                .with_kind(kind)
                .with_attributes(attributes()),
            &parent,
        );
        Self(Some(parent.with_span(span)))
    }

    /// Runs `work` inside this step, so the steps it opens are its children.
    pub async fn around<F: Future>(&self, work: F) -> F::Output {
        match &self.0 {
            Some(cx) => work.with_context(cx.clone()).await,
            None => work.await,
        }
    }

    pub fn set(&self, attribute: impl FnOnce() -> KeyValue) {
        if let Some(cx) = &self.0 {
            cx.span().set_attribute(attribute());
        }
    }

    /// Marks the step failed: `kind` is a short class (`error.type`), never a value.
    pub fn fail(&self, kind: &str) {
        if let Some(cx) = &self.0 {
            let span = cx.span();
            span.set_attribute(KeyValue::new("error.type", kind.to_owned()));
            span.set_status(Status::error(kind.to_owned()));
        }
    }
}

/// The current request's context, carried across a task boundary: rmcp serves a request in a
/// task of its own, where the guard's context is not current.
#[derive(Clone)]
pub struct Carried(Context);

impl Carried {
    /// The current context, when it is a traced request's.
    pub fn current() -> Option<Self> {
        let cx = Context::current();
        cx.get::<InContext>().is_some().then_some(Self(cx))
    }

    /// Runs `work` in the carried context, if any.
    pub async fn resume<F: Future>(carried: Option<Self>, work: F) -> F::Output {
        match carried {
            Some(Self(cx)) => work.with_context(cx).await,
            None => work.await,
        }
    }
}

/// Runs `work` as the step `name`, failed (`refused`) when it returns an error.
pub async fn traced<T, E>(
    name: &'static str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let step = step(name, Vec::new);
    let result = step.around(work).await;
    if result.is_err() {
        step.fail("refused");
    }
    result
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(cx) = &self.0 {
            cx.span().end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_is_parsed_only_when_well_formed() {
        let good = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .expect("valid");
        assert_eq!(
            good.0.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(good.0.span_id().to_string(), "00f067aa0ba902b7");
        assert!(good.0.is_sampled() && good.0.is_remote());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
        // A later version may carry more fields; the first four are read.
        assert!(
            TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x")
                .is_some_and(|p| !p.0.is_sampled())
        );
    }

    #[test]
    fn a_tracestate_rides_with_its_traceparent_unless_malformed() {
        let parent = || {
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap()
        };
        let kept = parent().with_state(Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
        assert_eq!(
            kept.0.trace_state().header(),
            "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
        );
        assert_eq!(kept.0.trace_id(), parent().0.trace_id());
        assert!(kept.0.is_sampled() && kept.0.is_remote());
        for dropped in [None, Some("not a list entry"), Some("UPPER=1")] {
            assert_eq!(parent().with_state(dropped).0.trace_state().header(), "");
        }
    }

    #[test]
    fn steps_outside_a_traced_request_build_nothing() {
        let step = step("rate", || panic!("attributes are not built when off"));
        assert!(step.0.is_none());
        assert!(
            Traces::default()
                .request("x", None, Duration::ZERO, vec![])
                .is_none()
        );
    }
}
