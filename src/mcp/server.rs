//! The MCP server behind `/mcp`: lists the tools a connection may use and runs a call through
//! the in-call part of the governance pipeline (tool known → policy → run as the Odoo user).
//! The HTTP part (master switch, authentication) ran before, in `mcp::guard`.

use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CustomRequest, CustomResult,
    Implementation, InitializeResult, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Map;

use super::methods;
use crate::calls::admit::{self, Gate};
use crate::calls::once::{self, Ran};
use crate::calls::tools;
use crate::calls::{Principal, ToolError};
use crate::calls::{ToolContext, companies};
use crate::catalog::Call;
use crate::catalog::{self, CATALOG};
use crate::state::AppState;
use crate::web::audited::Note;
use crate::{approvals, audit, policy};

const INSTRUCTIONS: &str = "Tools act in Odoo as this connection's Odoo user, so Odoo's own access \
rights apply. Start with get_current_context; use list_models and describe_model to learn names \
before searching or writing; pass explicit field lists to keep results small. Write tools accept \
dry_run to preview a change.";

#[derive(Clone)]
pub(super) struct GatewayServer {
    state: AppState,
}

impl GatewayServer {
    pub(super) fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// `tools/call`, whichever way it came (rmcp's service or the guard's fast path): runs the
/// in-call governance and the tool, notes how the call ended for the audit entry, counts and
/// logs it, and maps a tool error to its MCP result.
pub(super) async fn answer_call(
    state: &AppState,
    principal: &Principal,
    note: Option<&Note>,
    request: CallToolRequestParams,
) -> Result<CallToolResult, ErrorData> {
    let started = Instant::now();
    let outcome = run_tool(
        state,
        principal,
        &request.name,
        request.arguments.unwrap_or_default(),
    )
    .await;
    let elapsed = started.elapsed();
    let label = match &outcome {
        Ok(Ran::Done(_)) => audit::outcome::SUCCESS,
        Ok(Ran::Pending(_)) => audit::outcome::PENDING_APPROVAL,
        Err(e) => e.outcome(),
    };
    if let Some(note) = note {
        note.ended(label, outcome.as_ref().err().map(ToString::to_string));
    }
    let known = catalog::find(&request.name).map_or("unknown", |t| t.name);
    state.metrics.tool_call(known, label, elapsed);
    tracing::info!(
        tool = %crate::catalog::validate::shorten(&request.name),
        connection = principal.connection.id,
        outcome = label,
        ms = elapsed.as_secs_f64() * 1e3,
        "tools/call"
    );
    match outcome {
        Ok(Ran::Done(value) | Ran::Pending(value)) => Ok(CallToolResult::structured(value)),
        Err(error) => error.into_response(),
    }
}

async fn run_tool(
    state: &AppState,
    principal: &Principal,
    name: &str,
    arguments: Map<String, serde_json::Value>,
) -> Result<Ran, ToolError> {
    let spec = catalog::find(name)
        .ok_or_else(|| ToolError::UnknownTool(crate::catalog::validate::shorten(name)))?;
    let ctx = ToolContext::new(state, principal);
    let gate = admit::admit_call(&ctx, spec, &arguments).await?;
    let parsed = tools::parse(spec, arguments.clone())?;
    let ctx = companies::decide(ctx, parsed.companies)?;
    let run = || dispatch(&ctx, spec, gate, parsed.call, &arguments);
    match &parsed.idempotency_key {
        Some(key) => once::once(&ctx, spec, key, &arguments, run).await,
        None => run().await,
    }
}

/// Runs an admitted call, or files it for approval.
async fn dispatch(
    ctx: &ToolContext<'_>,
    spec: &'static catalog::ToolSpec,
    gate: Gate,
    call: Call,
    arguments: &Map<String, serde_json::Value>,
) -> Result<Ran, ToolError> {
    match (gate, call) {
        // The approvals' own tool: answered by the approvals, which run the other tools.
        (Gate::Run, Call::GetApprovalStatus(a)) => {
            approvals::status(ctx.state, ctx.principal, &a.approval_id)
                .await
                .map(Ran::Done)
        }
        (Gate::Run, call) => tools::run(ctx, call).await.map(Ran::Done),
        (Gate::HeldForApproval, call) => {
            tools::precheck(ctx, &call).await?;
            approvals::request(ctx.state, ctx, spec, arguments.clone())
                .await
                .map(Ran::Pending)
        }
    }
}

fn parts(ctx: &RequestContext<RoleServer>) -> Option<&http::request::Parts> {
    ctx.extensions.get::<http::request::Parts>()
}

/// The principal the guard attached to this HTTP request.
fn principal(ctx: &RequestContext<RoleServer>) -> Result<&Principal, ErrorData> {
    parts(ctx)
        .and_then(|parts| parts.extensions.get::<Principal>())
        .ok_or_else(|| {
            ErrorData::internal_error("request reached the MCP server unauthenticated", None)
        })
}

impl ServerHandler for GatewayServer {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder().enable_tools().build();
        InitializeResult::new(capabilities)
            .with_server_info(
                Implementation::new("odoo-mcp-gateway", env!("CARGO_PKG_VERSION"))
                    .with_title("Odoo MCP Gateway"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let principal = principal(&ctx)?;
        let tools = CATALOG
            .iter()
            .filter(|spec| policy::tool_decision(&principal.connection, spec).is_ok())
            .map(catalog::ToolSpec::to_mcp)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let principal = principal(&ctx)?;
        let note = parts(&ctx).and_then(|p| p.extensions.get::<Note>());
        answer_call(&self.state, principal, note, request)
            .await
            .map(CallToolResponse::Complete)
    }

    /// rmcp routes unknown methods and known ones with unparsable params here. A client's bad
    /// request is no server warning: it is logged at debug, counted, and audited as an error.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let error = methods::refuse(&request.method, request.params.as_ref());
        let reason = if error.code == rmcp::model::ErrorCode::METHOD_NOT_FOUND {
            "method_not_found"
        } else {
            "invalid_params"
        };
        self.state.metrics.refusal(reason);
        tracing::debug!(method = %crate::catalog::validate::shorten(&request.method), reason, "bad MCP request");
        if let Some(note) = parts(&ctx).and_then(|p| p.extensions.get::<Note>()) {
            note.ended(audit::outcome::ERROR, Some(error.message.to_string()));
        }
        Err(error)
    }
}
