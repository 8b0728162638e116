//! OpenTelemetry traces in front of real Odoo 19: a `tools/call` with a `traceparent` yields
//! the request span, its steps and the Odoo call with model, method and outcome, received by
//! the OTLP/HTTP receiver of `otlp.rs`.

use odoo_mcp_gateway::traces::Traces;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::{Real, Setup};
use crate::helpers::ok_result;
use crate::on_setups;
use crate::otlp::{HEADER_PARENT, HEADER_TRACE, attribute, hex, receiver, search, trace_of};

on_setups!(traces [V19Rpc, V19Json2] [a_call_to_real_odoo_is_traced_down_to_the_odoo_call]);

async fn a_call_to_real_odoo_is_traced_down_to_the_odoo_call(setup: Setup) {
    let (addr, got) = receiver().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let traces = Traces::export_to(&format!("http://{addr}"), reqwest::Client::new()).unwrap();
    let Some(r) = Real::start_traced(setup, traces).await else {
        return;
    };
    let (_, key) = r.key("demo").await;
    let header = format!("00-{HEADER_TRACE}-{HEADER_PARENT}-01");
    let response = r
        .app
        .post_with(Some(&key), &search(None), &[("traceparent", &header)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    ok_result(&response.json().await.unwrap());
    let spans = trace_of(&got, HEADER_TRACE).await;
    let request = spans
        .iter()
        .find(|s| s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("the request span: {spans:#?}"));
    assert_eq!(hex(&request.parent_span_id), HEADER_PARENT);
    let run = spans
        .iter()
        .find(|s| s.name == "run")
        .expect("the run step");
    assert_eq!(run.parent_span_id, request.span_id);
    let call = spans
        .iter()
        .find(|s| s.parent_span_id == run.span_id && s.name == "odoo res.partner.search_read")
        .unwrap_or_else(|| panic!("the Odoo call under run: {spans:#?}"));
    assert_eq!(attribute(call, "odoo.outcome").as_deref(), Some("ok"));
    let rows = r.app.audit().await;
    let row = rows.iter().find(|row| row.method == "tools/call").unwrap();
    assert_eq!(row.trace_id.as_deref(), Some(HEADER_TRACE));
}
