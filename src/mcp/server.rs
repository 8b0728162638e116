//! The MCP server behind `/mcp`: lists the tools a connection may use, runs a call (`call`),
//! and serves the models and records as resources (`resources`). The HTTP part (master switch,
//! authentication) ran before, in `mcp::guard`.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, Implementation,
    InitializeResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::{call, methods, resources};
use crate::approvals::chat::Turn;
use crate::calls::Principal;
use crate::catalog::{self, CATALOG};
use crate::state::AppState;
use crate::traces::Carried;
use crate::web::audited::Note;
use crate::{audit, policy};

const INSTRUCTIONS: &str = "Tools act in Odoo as this connection's Odoo user, so Odoo's own access \
rights apply. Start with get_current_context; use list_models and describe_model to learn names \
before searching or writing; pass explicit field lists to keep results small. Write tools accept \
dry_run to preview a change. Companies: every tool that works in Odoo takes company_id (or \
company_ids, the first being the current one); records are then searched and created in that \
company and its prices and settings apply. Without it the connection's allowed companies apply, \
else Odoo's default for the user: the current company for new records, all of the user's \
companies for searching. Retries: write tools take idempotency_key; the same call repeated with \
the same key and arguments within 24 hours answers the first call's result without running \
again, and the same key with other arguments is refused. A call held for approval answers \
pending_approval: poll get_approval_status.";

#[derive(Clone)]
pub(super) struct GatewayServer {
    state: AppState,
}

impl GatewayServer {
    pub(super) fn new(state: AppState) -> Self {
        Self { state }
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

/// Whether the client can ask its person: protocol 2026-07-28 or later (multi round-trip
/// requests; earlier versions would need a server-initiated request on a stream, which this
/// stateless JSON server has not) and form elicitation declared in the request's `_meta`.
fn can_ask(ctx: &RequestContext<RoleServer>) -> bool {
    let modern = ctx
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
    // `elicitation: {}` is form elicitation, as before modes existed.
    let elicits = ctx
        .client_capabilities()
        .and_then(|c| c.elicitation)
        .is_some_and(|e| e.form.is_some() || e.url.is_none());
    modern && elicits
}

impl ServerHandler for GatewayServer {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
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
            .filter(|spec| policy::listed(&principal.connection, spec))
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
        let turn = Turn::of(
            can_ask(&ctx),
            request.input_responses.as_ref(),
            request.request_state.as_deref(),
        );
        let carried = parts(&ctx).and_then(|p| p.extensions.get::<Carried>().cloned());
        let answer = async {
            call::answer_call(&self.state, principal, note, &turn, request)
                .await
                .map(call::Answer::into_response)
        };
        Carried::resume(carried, answer).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let principal = principal(&ctx)?;
        let note = parts(&ctx).and_then(|p| p.extensions.get::<Note>());
        let cursor = request.and_then(|r| r.cursor);
        resources::list(&self.state, principal, note, cursor.as_deref()).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        principal(&ctx)?;
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let principal = principal(&ctx)?;
        let note = parts(&ctx).and_then(|p| p.extensions.get::<Note>());
        resources::read(&self.state, principal, note, &request.uri)
            .await
            .map(ReadResourceResponse::from)
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
