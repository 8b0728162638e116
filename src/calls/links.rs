//! One-time file links: what a link leads to ([`Target`]), issuing one for a tool's answer, and
//! using one up when it is fetched. The store keeps only the token's keyed hash and the target;
//! the file is fetched from Odoo, as the connection's user, when the link is used.

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Principal, ToolContext, ToolError};
use crate::catalog::{self, company::CompanyIds, output::FileLink};
use crate::clock::format_utc;
use crate::policy::companies::Companies;
use crate::secrets::{self, TokenHash};
use crate::state::AppState;

/// The prefix of a link's token: shaped like the gateway's other tokens, so the audit log's
/// redaction hides it.
const TOKEN_PREFIX: &str = "omg_file_";
/// Where links are served, below the public URL.
pub const PATH: &str = "/files";

/// What a link leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// An attachment's content.
    Attachment {
        id: i64,
        /// The model of the record it is attached to, checked again when the link is used.
        model: Option<String>,
        name: String,
        mimetype: Option<String>,
    },
    /// A report rendered for some records.
    Report {
        model: String,
        ids: Vec<i64>,
        report_name: String,
        /// "pdf" or "html".
        format: String,
        file_name: String,
        companies: Option<Vec<i64>>,
    },
    /// A file to attach to a record, sent to the link.
    Upload {
        model: String,
        id: i64,
        name: String,
        mimetype: Option<String>,
        max_bytes: usize,
        companies: Option<Vec<i64>>,
    },
}

impl Target {
    /// The tool that issued it, for governance and the audit log.
    pub fn tool(&self) -> &'static str {
        match self {
            Self::Attachment { .. } => "get_attachment",
            Self::Report { .. } => "print_report",
            Self::Upload { .. } => "upload_attachment",
        }
    }

    pub fn model(&self) -> Option<&str> {
        match self {
            Self::Attachment { model, .. } => model.as_deref(),
            Self::Report { model, .. } | Self::Upload { model, .. } => Some(model),
        }
    }

    /// The records of the target's model it acts on, held to the Record limits again at use.
    fn records(&self) -> Vec<i64> {
        match self {
            Self::Attachment { .. } => Vec::new(),
            Self::Report { ids, .. } => ids.clone(),
            Self::Upload { id, .. } => vec![*id],
        }
    }

    fn companies(&self) -> Option<&[i64]> {
        match self {
            Self::Attachment { .. } => None,
            Self::Report { companies, .. } | Self::Upload { companies, .. } => companies.as_deref(),
        }
    }
}

/// The companies of `ctx`, kept in a target so the link acts where the call did.
pub(crate) fn companies_of(ctx: &ToolContext<'_>) -> Option<Vec<i64>> {
    ctx.companies.context_ids().map(<[i64]>::to_vec)
}

/// Stores a new link to `target` for the context's connection.
pub(crate) async fn issue(ctx: &ToolContext<'_>, target: &Target) -> Result<FileLink, ToolError> {
    let state = ctx.state;
    let token = secrets::new_token(TOKEN_PREFIX).map_err(|e| ToolError::Internal(e.into()))?;
    let hash = state.keyring.token_hash(token.expose_secret());
    let now = state.clock.now();
    let expires_at = now + state.limits.files.link_ttl;
    let target = serde_json::to_string(target).map_err(|e| ToolError::Internal(e.into()))?;
    state
        .store
        .insert_file_link(
            &hash.0,
            ctx.principal.connection.id,
            &target,
            now,
            expires_at,
        )
        .await
        .map_err(|e| ToolError::Internal(e.into()))?;
    Ok(FileLink {
        url: format!("{}{PATH}/{}", state.urls.public, token.expose_secret()),
        expires_at: format_utc(expires_at),
    })
}

/// Why a link cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Unknown, used or expired: not told apart.
    #[error("This link does not work: it was already used, or it expired. Ask for a new one.")]
    Gone,
    /// The connection may no longer do what the link does.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Tool(#[from] ToolError),
}

/// A link just used up: whose it is and what it leads to. [`Used::release`] makes it usable
/// again when the fetch failed before anything was sent.
pub struct Used {
    pub principal: Principal,
    pub target: Target,
    hash: TokenHash,
}

impl Used {
    /// The context to fetch the target in: the connection's user, in the call's companies.
    pub fn context<'a>(&'a self, state: &'a AppState) -> ToolContext<'a> {
        let ctx = ToolContext::new(state, &self.principal);
        match self
            .target
            .companies()
            .map(|ids| CompanyIds::new(ids.to_vec()))
        {
            Some(Ok(ids)) => ctx.in_companies(Companies::These(ids)),
            _ => ctx,
        }
    }

    pub async fn release(&self, state: &AppState) {
        if let Err(e) = state.store.release_file_link(&self.hash.0).await {
            tracing::warn!(error = %e, "a failed file link could not be released");
        }
    }
}

/// Uses up the link `token`, checking that its connection is still active and may still run
/// the tool that issued it on that model (its policy may have changed since).
pub async fn use_up(state: &AppState, token: &str) -> Result<Used, LinkError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(LinkError::Gone);
    }
    // The master switch stops links too: they act in Odoo as the connections do.
    let settings = state
        .settings
        .get(&state.store)
        .await
        .map_err(|e| ToolError::Internal(e.into()))?;
    if !settings.mcp_enabled {
        return Err(LinkError::Refused(crate::settings::SWITCHED_OFF.into()));
    }
    let hash = state.keyring.token_hash(token);
    let now = state.clock.now();
    let row = state
        .store
        .use_file_link(&hash.0, now)
        .await
        .map_err(|e| ToolError::Internal(e.into()))?
        .ok_or(LinkError::Gone)?;
    let target: Target =
        serde_json::from_str(&row.target).map_err(|e| ToolError::Internal(e.into()))?;
    let connection = crate::connections::get(&state.store, row.connection_id)
        .await
        .map_err(|e| ToolError::Internal(e.into()))?;
    if connection.revoked_at.is_some() {
        return Err(LinkError::Refused(
            "The connection that made this link was revoked.".into(),
        ));
    }
    let principal = Principal::load(state, connection)
        .await
        .map_err(|e| LinkError::Refused(e.to_string()))?;
    let spec = catalog::find(target.tool()).ok_or_else(|| {
        ToolError::Internal(format!("no tool {} in the catalog", target.tool()).into())
    })?;
    let used = Used {
        principal,
        target,
        hash,
    };
    let mut arguments = Map::new();
    if let Some(model) = used.target.model() {
        arguments.insert("model".into(), json!(model));
    }
    let ctx = used.context(state);
    let checked = match super::admit::check_policy(&ctx, spec, &arguments).await {
        Ok(()) => match used.target.model() {
            Some(model) => super::records::check(&ctx, model, &used.target.records()).await,
            None => Ok(()),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = checked {
        return Err(match e {
            ToolError::Refused(why) => LinkError::Refused(why),
            ToolError::Denied(denial) => LinkError::Refused(denial.to_string()),
            other => LinkError::Tool(other),
        });
    }
    Ok(used)
}

/// The arguments a link's target stands for, for the audit log.
pub fn audit_payload(target: &Target) -> Value {
    serde_json::to_value(target).unwrap_or(Value::Null)
}
