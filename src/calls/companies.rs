//! The companies a call acts in: decided once per call from its `company_id` / `company_ids` and
//! the connection's Allowed companies, and pinned to exact ids when a call is filed for approval,
//! so that it runs later in the companies it was filed in.

use serde_json::{Value, json};

use super::ToolContext;
use super::error::ToolError;
use crate::catalog::company::CompanyIds;
use crate::policy::companies::{self, Companies};

/// The Odoo user's companies as Odoo has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserCompanies {
    /// Every company the user belongs to (`company_ids`), the current one
    /// (`res.users.company_id`) first.
    pub all: Vec<i64>,
}

/// `ctx` moved into the companies the call names, or the refusal of Allowed companies.
pub(crate) fn decide<'a>(
    ctx: ToolContext<'a>,
    requested: Option<CompanyIds>,
) -> Result<ToolContext<'a>, ToolError> {
    let companies = companies::decide(&ctx.principal.connection, requested)?;
    Ok(ctx.in_companies(companies))
}

/// Reads the user's companies (in the user's default context, where all of them are visible).
pub(crate) async fn of_user(ctx: &ToolContext<'_>) -> Result<UserCompanies, ToolError> {
    let plain = ToolContext::new(ctx.state, ctx.principal);
    let mut kwargs = serde_json::Map::new();
    kwargs.insert("fields".into(), json!(["company_id", "company_ids"]));
    let rows = plain
        .call(
            "res.users",
            "read",
            Some(vec![ctx.principal.credential.uid]),
            kwargs,
        )
        .await?;
    let row = rows.get(0).cloned().unwrap_or(Value::Null);
    let current = row["company_id"]
        .get(0)
        .and_then(Value::as_i64)
        .ok_or_else(|| ToolError::Internal("Odoo read no company for the user".into()))?;
    let mut all = vec![current];
    all.extend(
        row["company_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .filter(|id| *id != current),
    );
    Ok(UserCompanies { all })
}

/// The exact companies a call of `ctx` acts in: those it was given, else the user's companies
/// as they are now (current first), which is what Odoo's default means at this moment.
pub(crate) async fn pinned(ctx: &ToolContext<'_>) -> Result<Vec<i64>, ToolError> {
    match &ctx.companies {
        Companies::These(ids) => Ok(ids.ids().to_vec()),
        Companies::UserDefault => Ok(of_user(ctx).await?.all),
    }
}
