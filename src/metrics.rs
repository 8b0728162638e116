//! Prometheus metrics, kept in a registry owned by the app (no global recorder), served at `/metrics`.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ToolLabels {
    tool: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ToolNameLabels {
    tool: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TimeoutLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DeliveryLabels {
    channel: &'static str,
    result: &'static str,
}

/// What leaves the gateway in the background, for [`Metrics::delivery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A batch of the continuous audit stream (webhook POST or syslog write).
    AuditStream,
    /// One notification event's attempt.
    Notifications,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::AuditStream => "audit_stream",
            Self::Notifications => "notifications",
        }
    }
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    Failed,
    /// A notification given up after its last attempt.
    GivenUp,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::GivenUp => "given_up",
        }
    }
}

fn duration_histogram() -> Histogram {
    // 0.25 ms … ~4 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    tool_calls: Family<ToolLabels, Counter>,
    tool_seconds: Family<ToolLabels, Histogram, fn() -> Histogram>,
    refusals: Family<RefusalLabels, Counter>,
    fast_answers: Family<MethodLabels, Counter>,
    idempotent_replays: Family<ToolNameLabels, Counter>,
    connections: Gauge,
    connection_waits: Counter,
    http_timeouts: Family<TimeoutLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    stream_entries: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("omg");
        let tool_calls = Family::<ToolLabels, Counter>::default();
        let tool_seconds = Family::<ToolLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "MCP tools/call requests by tool and outcome",
            tool_calls.clone(),
        );
        registry.register(
            "tool_call_seconds",
            "Duration of MCP tools/call requests",
            tool_seconds.clone(),
        );
        registry.register(
            "mcp_refusals",
            "MCP requests refused before reaching a tool",
            refusals.clone(),
        );
        let fast_answers = Family::<MethodLabels, Counter>::default();
        registry.register(
            "mcp_fast_answers",
            "MCP tools/list, ping and tools/call requests answered by the gateway's fast path, not rmcp's service",
            fast_answers.clone(),
        );
        let idempotent_replays = Family::<ToolNameLabels, Counter>::default();
        registry.register(
            "idempotent_replays",
            "Write calls answered from the idempotency store (a retry with the same key), not run again",
            idempotent_replays.clone(),
        );
        let connections = Gauge::default();
        registry.register(
            "http_connections",
            "Open HTTP connections",
            connections.clone(),
        );
        let connection_waits = Counter::default();
        registry.register(
            "http_connection_waits",
            "Times a new connection had to wait because the connection limit was reached",
            connection_waits.clone(),
        );
        let http_timeouts = Family::<TimeoutLabels, Counter>::default();
        registry.register(
            "http_timeouts",
            "Connections closed or requests answered 408 for slowness (header, body, idle)",
            http_timeouts.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Background deliveries by channel (audit_stream batches, notifications events) and result",
            deliveries.clone(),
        );
        let stream_entries = Counter::default();
        registry.register(
            "audit_stream_entries",
            "Audit entries the stream sent (a webhook's 2xx, or written to the syslog collector)",
            stream_entries.clone(),
        );
        Self {
            registry,
            tool_calls,
            tool_seconds,
            refusals,
            fast_answers,
            idempotent_replays,
            connections,
            connection_waits,
            http_timeouts,
            deliveries,
            stream_entries,
        }
    }
}

impl Metrics {
    /// `tool` is a catalog name or `unknown` (never a client's string, so clients cannot
    /// inflate the series count).
    pub fn tool_call(&self, tool: &'static str, outcome: &'static str, elapsed: Duration) {
        let labels = ToolLabels { tool, outcome };
        self.tool_calls.get_or_create(&labels).inc();
        self.tool_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn refusal(&self, reason: &'static str) {
        self.refusals.get_or_create(&RefusalLabels { reason }).inc();
    }

    pub fn idempotent_replay(&self, tool: &'static str) {
        self.idempotent_replays
            .get_or_create(&ToolNameLabels { tool })
            .inc();
    }

    pub fn fast_answer(&self, method: &'static str) {
        self.fast_answers
            .get_or_create(&MethodLabels { method })
            .inc();
    }

    /// Counts an open connection until the returned guard is dropped.
    pub fn connection_open(&self) -> impl Drop + use<> {
        self.connections.inc();
        OpenConnection(self.connections.clone())
    }

    pub fn connection_wait(&self) {
        self.connection_waits.inc();
    }

    pub fn http_timeout(&self, kind: &'static str) {
        self.http_timeouts
            .get_or_create(&TimeoutLabels { kind })
            .inc();
    }

    /// One background delivery attempt; `entries` the audit entries a stream batch carried.
    pub fn delivery(&self, channel: Channel, result: Delivery, entries: u64) {
        if (channel, result) == (Channel::AuditStream, Delivery::Delivered) {
            self.stream_entries.inc_by(entries);
        }
        let labels = DeliveryLabels {
            channel: channel.as_str(),
            result: result.as_str(),
        };
        self.deliveries.get_or_create(&labels).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_tool_names_share_one_label() {
        let m = Metrics::default();
        m.tool_call("search_records", "success", Duration::from_millis(2));
        m.tool_call("unknown", "error", Duration::from_millis(1));
        m.refusal("unauthenticated");
        let text = m.render();
        assert!(
            text.contains(r#"omg_tool_calls_total{tool="search_records",outcome="success"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"tool="unknown""#));
        assert!(text.contains(r#"omg_mcp_refusals_total{reason="unauthenticated"} 1"#));
    }
}
