//! OpenTelemetry traces against a real OTLP/HTTP receiver started here (axum, decoding the
//! official `opentelemetry-proto` messages with prost): the gateway's spans for `tools/call`
//! continue the client's trace (HTTP `traceparent`, MCP `_meta.traceparent`), form the tree
//! request → governance steps → Odoo call, carry names and never arguments, and the audit entry
//! has the trace id; without an endpoint nothing is traced and no entry has one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::odoo::sim::{SimOptions, Simulator};
use odoo_mcp_gateway::secrets::Keyring;
use odoo_mcp_gateway::traces::Traces;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde_json::{Value, json};

use crate::console::{Console, element_text};
use crate::helpers::{TestApp, ok_result};
use crate::replicas::{run_cli, start_replica};

/// A trace id and a parent span id as a client sends them.
pub(crate) const HEADER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub(crate) const HEADER_PARENT: &str = "00f067aa0ba902b7";
const META_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const META_PARENT: &str = "b7ad6b7169203331";
/// The vendor state each of the two contexts comes with (W3C Trace Context's examples).
const HEADER_STATE: &str = "congo=t61rcWkgMzE";
const META_STATE: &str = "rojo=00f067aa0ba902b7";
/// In the call's arguments only: no span may carry it, as a value or a key.
pub(crate) const SECRET_NEEDLE: &str = "Needle-7f3a";

pub(crate) type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// An OTLP/HTTP receiver: every span it is sent, with its service name.
pub(crate) async fn receiver() -> (SocketAddr, Received) {
    let got = Received::default();
    let app = axum::Router::new()
        .route("/v1/traces", post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, got)
}

async fn receive(
    State(got): State<Received>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    assert_eq!(headers["content-type"], "application/x-protobuf");
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf request");
    let mut got = got.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|a| a.key == "service.name")
            .map(|a| text(a.value.as_ref().and_then(|v| v.value.as_ref())))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            got.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
        }
    }
    let answer = ExportTraceServiceResponse::default().encode_to_vec();
    ([("content-type", "application/x-protobuf")], answer)
}

fn text(value: Option<&Any>) -> String {
    match value {
        Some(Any::StringValue(s)) => s.clone(),
        Some(Any::IntValue(i)) => i.to_string(),
        Some(Any::BoolValue(b)) => b.to_string(),
        Some(Any::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| text(a.value.as_ref().and_then(|v| v.value.as_ref())))
}

/// The spans of `trace` once its request span and an Odoo call have arrived (the exporter
/// sends in batches).
pub(crate) async fn trace_of(got: &Received, trace: &str) -> Vec<Span> {
    spans_until(got, trace, true).await
}

/// The spans of `trace` once its request span (and an Odoo call, with `odoo`) arrived.
async fn spans_until(got: &Received, trace: &str, odoo: bool) -> Vec<Span> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let spans: Vec<Span> = got
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, s)| hex(&s.trace_id) == trace)
            .map(|(_, s)| s.clone())
            .collect();
        let has_request = spans.iter().any(|s| s.kind == SpanKind::Server as i32);
        let has_odoo = !odoo || spans.iter().any(|s| s.kind == SpanKind::Client as i32);
        if (has_request && has_odoo) || Instant::now() > deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn search(meta: Option<Value>) -> String {
    let mut params = json!({
        "name": "search_records",
        "arguments": {"model": "res.partner", "domain": [["name", "ilike", SECRET_NEEDLE]]}
    });
    if let Some(meta) = meta {
        params["_meta"] = meta;
    }
    json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": params}).to_string()
}

/// `search` with `meta`, sent with the `traceparent` header of [`HEADER_TRACE`]: it succeeds.
async fn search_with_header(app: &TestApp, key: &str, meta: Option<Value>) {
    let header = format!("00-{HEADER_TRACE}-{HEADER_PARENT}-01");
    let headers = [
        ("traceparent", header.as_str()),
        ("tracestate", HEADER_STATE),
    ];
    let response = app
        .post_with(Some(key), &search(meta), &headers)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    ok_result(&response.json().await.unwrap());
}

async fn start(database: Option<&str>) -> (TestApp, Received) {
    let (addr, got) = receiver().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let traces = Traces::export_to(&format!("http://{addr}"), reqwest::Client::new()).unwrap();
    (TestApp::spawn_traced(database, traces).await, got)
}

async fn spans_form_the_request_tree(started: (TestApp, Received)) {
    let (app, got) = started;
    let (connection, key) = app.api_key("demo", Scope::Full).await;
    search_with_header(&app, &key, None).await;
    // `_meta` wins over a header: the MCP client's own context for this request.
    let meta = json!({"traceparent": format!("00-{META_TRACE}-{META_PARENT}-01"),
                      "tracestate": META_STATE});
    search_with_header(&app, &key, Some(meta)).await;

    for (trace, parent, state) in [
        (HEADER_TRACE, HEADER_PARENT, HEADER_STATE),
        (META_TRACE, META_PARENT, META_STATE),
    ] {
        let spans = trace_of(&got, trace).await;
        let requests: Vec<&Span> = spans
            .iter()
            .filter(|s| s.kind == SpanKind::Server as i32)
            .collect();
        assert_eq!(requests.len(), 1, "one request span in {trace}: {spans:#?}");
        let request = requests[0];
        assert_eq!(
            hex(&request.parent_span_id),
            parent,
            "the client's span is the parent"
        );
        // The tracestate that came with that traceparent rides on every span of the request.
        assert!(
            spans.iter().all(|s| s.trace_state == state),
            "{state}: {:?}",
            spans.iter().map(|s| &s.trace_state).collect::<Vec<_>>()
        );
        assert_eq!(request.name, "tools/call search_records");
        for (key, want) in [
            ("http.request.method", "POST"),
            ("http.route", "/mcp"),
            ("mcp.method.name", "tools/call"),
            ("gen_ai.tool.name", "search_records"),
            ("http.response.status_code", "200"),
            ("odoo_mcp.outcome", "success"),
        ] {
            assert_eq!(attribute(request, key).as_deref(), Some(want), "{key}");
        }
        let connection_attr = attribute(request, "odoo_mcp.connection.id");
        assert_eq!(connection_attr, Some(connection.to_string()));

        let children_of = |parent: &Span| -> Vec<String> {
            spans
                .iter()
                .filter(|s| s.parent_span_id == parent.span_id)
                .map(|s| s.name.clone())
                .collect()
        };
        let steps = children_of(request);
        for step in [
            "authenticate",
            "ip",
            "rate",
            "tools",
            "models",
            "approval",
            "run",
        ] {
            let all: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
            assert!(
                steps.iter().any(|s| s == step),
                "{step} in {steps:?} of {all:?}"
            );
        }
        let run = spans.iter().find(|s| s.name == "run").unwrap();
        let odoo: Vec<&Span> = spans
            .iter()
            .filter(|s| s.parent_span_id == run.span_id && s.kind == SpanKind::Client as i32)
            .collect();
        assert!(
            !odoo.is_empty(),
            "Odoo calls under run: {:?}",
            children_of(run)
        );
        let call = odoo
            .iter()
            .find(|s| attribute(s, "odoo.method").as_deref() == Some("search_read"))
            .unwrap_or_else(|| panic!("a search_read call: {odoo:#?}"));
        assert_eq!(call.name, "odoo res.partner.search_read");
        assert_eq!(
            attribute(call, "odoo.model").as_deref(),
            Some("res.partner")
        );
        assert_eq!(attribute(call, "odoo.outcome").as_deref(), Some("ok"));
        assert_eq!(attribute(call, "rpc.system.name").as_deref(), Some("odoo"));
        assert!(
            call.end_time_unix_nano > call.start_time_unix_nano,
            "a duration"
        );
        assert!(
            request.start_time_unix_nano <= call.start_time_unix_nano
                && call.end_time_unix_nano <= request.end_time_unix_nano,
            "the Odoo call lies within the request"
        );

        for span in &spans {
            for a in &span.attributes {
                let value = text(a.value.as_ref().and_then(|v| v.value.as_ref()));
                assert!(
                    !value.contains(SECRET_NEEDLE) && !a.key.contains("domain"),
                    "{}: {} = {value}",
                    span.name,
                    a.key
                );
            }
        }
    }
    let services: Vec<String> = got.lock().unwrap().iter().map(|(s, _)| s.clone()).collect();
    assert!(
        services.iter().all(|s| s == "odoo-mcp-gateway"),
        "{services:?}"
    );

    // An OAuth endpoint: its own request span, continuing the header's trace.
    let oauth_trace = "5c1d7e0a9b8f4e3d2c1b0a9f8e7d6c5b";
    let response = app
        .http
        .post(format!("{}/oauth/token", app.base))
        .header(
            "traceparent",
            format!("00-{oauth_trace}-{HEADER_PARENT}-01"),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=authorization_code&code={SECRET_NEEDLE}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let spans = spans_until(&got, oauth_trace, false).await;
    let [token] = spans.as_slice() else {
        panic!("one span for the token request: {spans:#?}")
    };
    assert_eq!(token.name, "POST /oauth/token");
    assert_eq!(hex(&token.parent_span_id), HEADER_PARENT);
    assert_eq!(
        attribute(token, "http.response.status_code").as_deref(),
        Some("400")
    );
    assert_eq!(
        attribute(token, "http.route").as_deref(),
        Some("/oauth/token")
    );
    assert!(
        token
            .attributes
            .iter()
            .all(|a| !format!("{a:?}").contains(SECRET_NEEDLE))
    );
    let rows = app.audit().await;
    let row = rows.iter().find(|r| r.method == "oauth/token").unwrap();
    assert_eq!(row.trace_id.as_deref(), Some(oauth_trace));

    let calls: Vec<_> = app
        .audit()
        .await
        .into_iter()
        .filter(|r| r.method == "tools/call")
        .collect();
    let audited: Vec<Option<&str>> = calls.iter().map(|r| r.trace_id.as_deref()).collect();
    // Newest first.
    assert_eq!(audited, vec![Some(META_TRACE), Some(HEADER_TRACE)]);

    // The console's entry shows it.
    app.administrator().await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let page = admin.get(&format!("/console/audit/{}", calls[0].id)).await;
    assert_eq!(
        element_text(&page.body, "entry-trace").as_deref(),
        Some(META_TRACE)
    );
    app.stop().await;
}

/// A request without a trace context starts a trace of its own; a malformed one is ignored.
async fn a_request_without_context_starts_a_trace(started: (TestApp, Received)) {
    let (app, got) = started;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let bad = [("traceparent", "00-not-a-trace-01")];
    let response = app.post_with(Some(&key), &search(None), &bad).send().await;
    assert_eq!(response.unwrap().status(), 200);
    let rows = app.audit().await;
    let trace = rows[0].trace_id.clone().expect("a trace id of its own");
    assert_eq!(trace.len(), 32);
    // Stopping sends what is still queued.
    app.stop().await;
    let spans = trace_of(&got, &trace).await;
    let request = spans
        .iter()
        .find(|s| s.kind == SpanKind::Server as i32)
        .expect("the request span");
    assert!(request.parent_span_id.is_empty(), "a root span");
}

on_both_engines!(start; spans_form_the_request_tree, a_request_without_context_starts_a_trace);

/// Off by default: no exporter, no trace id in the audit entry even when the client sent one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_endpoint_nothing_is_traced() {
    let app = TestApp::spawn().await;
    assert!(!app.state.traces.is_on());
    let (_, key) = app.api_key("demo", Scope::Full).await;
    search_with_header(&app, &key, None).await;
    let rows = app.audit().await;
    assert_eq!(rows[0].method, "tools/call");
    assert_eq!(rows[0].trace_id, None);
    app.administrator().await;
    let admin = Console::signed_in(&app, "admin", "admin").await;
    let page = admin.get(&format!("/console/audit/{}", rows[0].id)).await;
    let shown = element_text(&page.body, "entry-trace");
    assert_eq!(shown.as_deref(), Some("— (not traced)"));
    app.stop().await;
}

/// The binary itself: `serve` with `OTEL_EXPORTER_OTLP_ENDPOINT` exports, and its JSON log line
/// of the call carries the trace id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exports_with_the_variable_and_logs_the_trace_id() {
    let (addr, got) = receiver().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::spawn(SimOptions::default()).await.unwrap();
    let odoo_key = sim.sim.issue_api_key("demo").unwrap();
    let secret = Keyring::generate_encoded().unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://{addr}");
    let env = [
        ("GATEWAY_SECRET_KEY", secret.as_str()),
        ("GATEWAY_DATA_DIR", data_dir.path().to_str().unwrap()),
        ("ODOO_URL", sim.url.as_str()),
        ("ODOO_DB", "demo"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
    ];
    run_cli(&["user", "link", "demo"], &env, &format!("{odoo_key}\n")).await;
    let created = run_cli(
        &["connection", "create", "--user", "demo", "--name", "t"],
        &env,
        "",
    );
    let key = created.await.lines().last().unwrap().trim().to_owned();
    let gateway = start_replica(&env).await;
    let header = format!("00-{HEADER_TRACE}-{HEADER_PARENT}-01");
    let response = reqwest::Client::new()
        .post(format!("{}/mcp", gateway.url))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("traceparent", &header)
        .body(search(None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let spans = trace_of(&got, HEADER_TRACE).await;
    assert!(
        spans.iter().any(|s| s.name == "tools/call search_records"),
        "{spans:#?}"
    );
    assert!(
        spans
            .iter()
            .any(|s| s.name == "odoo res.partner.search_read"),
        "{spans:#?}"
    );
    let log = gateway.log.lock().unwrap().clone();
    let line = log
        .lines()
        .find(|l| l.contains(r#""message":"tools/call""#))
        .unwrap_or_else(|| panic!("the call's log line: {log}"));
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["span"]["trace_id"], HEADER_TRACE, "{line}");
    assert!(!log.contains(SECRET_NEEDLE), "no argument in the log");
}
