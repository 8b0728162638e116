//! The Approvals inbox: pending requests first (the "Pending" filter is on by default), one page
//! per request with Approve and Reject. MCP Users see the requests they filed or must decide;
//! administrators see all. Only the designated approver (or, when none is designated, an
//! administrator) may decide, which the server checks on every POST ([`approvals::may_decide`]).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::{Layout, Tab};
use crate::approvals;
use crate::clock::{HOUR_MS, MINUTE_MS, Millis, format_utc};
use crate::connections;
use crate::state::AppState;
use crate::store::{ApprovalRow, OdooUserRow};
use crate::values::ApprovalState;
use crate::web::session::{CurrentUser, Post};
use crate::web::{PageError, render, render_status, see_other};

/// The inbox shows at most this many requests per filter.
const LIST_LIMIT: i64 = 500;

/// The state filters, in the order of the side panel; `pending` is the default.
/// The inbox's filters, in the order of their links: one state, or `None` for all requests.
const FILTERS: &[Option<ApprovalState>] = &[
    Some(ApprovalState::Pending),
    Some(ApprovalState::Executed),
    Some(ApprovalState::Failed),
    Some(ApprovalState::Rejected),
    Some(ApprovalState::Expired),
    Some(ApprovalState::Approved),
    None,
];

fn filter_label(filter: Option<ApprovalState>) -> &'static str {
    match filter {
        Some(ApprovalState::Approved) => "Approved (running)",
        Some(state) => state_label(state),
        None => "All",
    }
}

const ANY_ADMIN: &str = "any MCP Administrator";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct InboxQuery {
    /// A state, or `all`; absent or unknown means `pending`.
    pub state: String,
}

impl InboxQuery {
    fn filter(&self) -> Option<ApprovalState> {
        if self.state == "all" {
            return None;
        }
        Some(self.state.parse().unwrap_or(ApprovalState::Pending))
    }
}

pub(super) struct FilterLink {
    pub label: &'static str,
    pub url: String,
    pub active: bool,
}

pub(super) struct Row {
    pub id: String,
    pub summary: String,
    pub tool: String,
    pub requester: String,
    pub connection: String,
    pub approver: String,
    pub created: String,
    pub expires: String,
    /// "expires in 5 h" while pending.
    pub expires_in: Option<String>,
    pub state: ApprovalState,
    pub state_label: &'static str,
}

#[derive(Template)]
#[template(path = "approvals.html")]
pub(super) struct InboxPage {
    pub layout: Layout,
    pub filters: Vec<FilterLink>,
    pub filter_label: &'static str,
    pub rows: Vec<Row>,
}

/// People and connections by id, to name them in rows.
struct Names {
    users: HashMap<i64, OdooUserRow>,
    connections: HashMap<i64, String>,
}

impl Names {
    async fn load(state: &AppState) -> Result<Self, PageError> {
        Ok(Self {
            users: state
                .store
                .list_odoo_users()
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect(),
            connections: connections::list(&state.store)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
        })
    }

    fn user(&self, id: i64) -> String {
        match self.users.get(&id) {
            Some(u) if u.name != u.login => format!("{} ({})", u.name, u.login),
            Some(u) => u.login.clone(),
            None => format!("user #{id}"),
        }
    }

    fn approver(&self, row: &ApprovalRow) -> String {
        row.approver_user_id
            .map_or_else(|| ANY_ADMIN.to_owned(), |id| self.user(id))
    }

    fn connection(&self, id: i64) -> String {
        self.connections
            .get(&id)
            .map_or_else(|| format!("connection #{id}"), |n| format!("{n} (#{id})"))
    }
}

pub(super) fn state_label(state: ApprovalState) -> &'static str {
    match state {
        ApprovalState::Pending => "Pending",
        ApprovalState::Approved => "Approved",
        ApprovalState::Executed => "Executed",
        ApprovalState::Failed => "Failed",
        ApprovalState::Rejected => "Rejected",
        ApprovalState::Expired => "Expired",
    }
}

/// "in 23 h", "in 40 min", or `None` once the time is up or the request is closed.
pub(super) fn expires_in(row: &ApprovalRow, now: Millis) -> Option<String> {
    if row.state != ApprovalState::Pending || row.expires_at <= now {
        return None;
    }
    let left = row.expires_at - now;
    Some(if left >= HOUR_MS {
        format!("expires in {} h", (left + HOUR_MS - 1) / HOUR_MS)
    } else {
        format!(
            "expires in {} min",
            ((left + MINUTE_MS - 1) / MINUTE_MS).max(1)
        )
    })
}

/// Administrators see every request; MCP Users those they filed or must decide.
fn can_see(user: &CurrentUser, row: &ApprovalRow) -> bool {
    user.is_admin()
        || row.requester_user_id == user.user.id
        || row.approver_user_id == Some(user.user.id)
}

pub(super) async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<InboxQuery>,
) -> Result<Response, PageError> {
    let selected = query.filter();
    let involving = (!user.is_admin()).then_some(user.user.id);
    let found = state
        .store
        .list_approvals_for(selected, involving, LIST_LIMIT)
        .await?;
    let names = Names::load(&state).await?;
    let now = state.clock.now();
    let rows = found
        .iter()
        .map(|r| Row {
            id: r.id.clone(),
            summary: r.summary.clone(),
            tool: r.tool.clone(),
            requester: names.user(r.requester_user_id),
            connection: names.connection(r.connection_id),
            approver: names.approver(r),
            created: format_utc(r.created_at),
            expires: format_utc(r.expires_at),
            expires_in: expires_in(r, now),
            state: r.state,
            state_label: state_label(r.state),
        })
        .collect();
    render(&InboxPage {
        layout: Layout::new(&user, Tab::Approvals, "Approvals"),
        filters: FILTERS
            .iter()
            .map(|&filter| FilterLink {
                label: filter_label(filter),
                url: match filter {
                    Some(ApprovalState::Pending) => "/console/approvals".to_owned(),
                    other => format!(
                        "/console/approvals?state={}",
                        other.map_or("all", ApprovalState::as_db)
                    ),
                },
                active: filter == selected,
            })
            .collect(),
        filter_label: filter_label(selected),
        rows,
    })
}

#[derive(Template)]
#[template(path = "approval.html")]
pub(super) struct DetailPage {
    pub layout: Layout,
    pub row: ApprovalRow,
    pub state_label: &'static str,
    pub arguments: String,
    pub requester: String,
    pub connection: String,
    pub approver: String,
    pub created: String,
    pub expires: String,
    pub expires_in: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub result: Option<String>,
    pub activities: usize,
    pub can_decide: bool,
    /// Why the viewer can't decide a pending request, when they can't.
    pub cannot_decide: Option<String>,
    pub reason_input: String,
    pub reason_error: Option<&'static str>,
}

fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

async fn detail_page(
    state: &AppState,
    user: &CurrentUser,
    row: ApprovalRow,
    reason_input: String,
    reason_error: Option<&'static str>,
) -> Result<DetailPage, PageError> {
    let names = Names::load(state).await?;
    let now = state.clock.now();
    let pending = row.state == ApprovalState::Pending;
    let four_eyes = state.settings.get(&state.store).await?.four_eyes;
    let allowed = approvals::may_decide(&row, &user.user, four_eyes);
    let cannot_decide = (pending && !allowed).then(|| {
        // Say "four-eyes" only to whom it is the reason (they could decide without it).
        if four_eyes && approvals::may_decide(&row, &user.user, false) {
            return "Four-eyes approvals are on: someone other than the requester decides."
                .to_owned();
        }
        format!(
            "Only {} can decide this request.",
            row.approver_user_id
                .map_or_else(|| ANY_ADMIN.to_owned(), |id| names.user(id))
        )
    });
    Ok(DetailPage {
        layout: Layout::new(user, Tab::Approvals, "Approval request"),
        state_label: state_label(row.state),
        arguments: pretty(&row.arguments),
        requester: names.user(row.requester_user_id),
        connection: names.connection(row.connection_id),
        approver: names.approver(&row),
        created: format_utc(row.created_at),
        expires: format_utc(row.expires_at),
        expires_in: expires_in(&row, now),
        decided_by: row.decided_by.map(|id| names.user(id)),
        decided_at: row.decided_at.map(format_utc),
        result: row.result.as_deref().map(pretty),
        activities: row
            .activity_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .count(),
        can_decide: pending && allowed && row.expires_at > now,
        cannot_decide,
        reason_input,
        reason_error,
        row,
    })
}

/// The request `id` if this user may see it; others' requests are "not found" to an MCP User.
async fn visible(state: &AppState, user: &CurrentUser, id: &str) -> Result<ApprovalRow, PageError> {
    match state.store.get_approval(id).await? {
        Some(row) if can_see(user, &row) => Ok(row),
        _ => Err(PageError::NotFound),
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = visible(&state, &user, &id).await?;
    render(&detail_page(&state, &user, row, String::new(), None).await?)
}

const NOT_YOURS: &str = "Only the designated approver of this request (or, when none is designated, an MCP \
     Administrator) can approve or reject it. Nothing was changed.";

#[derive(Deserialize)]
pub(super) struct NoFields {}

pub(super) async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Post { user, .. }: Post<NoFields>,
) -> Result<Response, PageError> {
    let message = match approvals::approve(&state, &id, &user.user).await {
        Ok(row) if row.state == ApprovalState::Executed => {
            format!("Approved and executed: {}", row.summary)
        }
        Ok(row) => format!(
            "Approved, but the call failed: {}",
            row.error.unwrap_or_default()
        ),
        Err(e) => return decision_error(&state, &user, &id, e).await,
    };
    tracing::info!(approval = %id, by = %user.user.login, "approval approved in the console");
    user.flash(&state, &message).await?;
    Ok(see_other(&format!("/console/approvals/{id}")))
}

#[derive(Deserialize)]
pub(super) struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub(super) async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Post { user, form }: Post<RejectForm>,
) -> Result<Response, PageError> {
    match approvals::reject(&state, &id, &user.user, &form.reason).await {
        Ok(_) => {
            tracing::info!(approval = %id, by = %user.user.login, "approval rejected in the console");
            user.flash(&state, "Rejected: the call will not run.")
                .await?;
            Ok(see_other(&format!("/console/approvals/{id}")))
        }
        Err(approvals::Error::ReasonRequired) => {
            let row = state
                .store
                .get_approval(&id)
                .await?
                .ok_or(PageError::NotFound)?;
            let four_eyes = state.settings.get(&state.store).await?.four_eyes;
            if !approvals::may_decide(&row, &user.user, four_eyes) {
                return Err(PageError::Forbidden(NOT_YOURS));
            }
            let page = detail_page(
                &state,
                &user,
                row,
                form.reason,
                Some("Give a reason: the requester sees it."),
            )
            .await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => decision_error(&state, &user, &id, e).await,
    }
}

async fn decision_error(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    error: approvals::Error,
) -> Result<Response, PageError> {
    match error {
        approvals::Error::NotFound => Err(PageError::NotFound),
        approvals::Error::NotAllowed => Err(PageError::Forbidden(NOT_YOURS)),
        approvals::Error::NotPending(now) => {
            user.flash(
                state,
                &format!("Nothing was changed: this request is already {now}."),
            )
            .await?;
            Ok(see_other(&format!("/console/approvals/{id}")))
        }
        approvals::Error::ReasonRequired => Err(PageError::BadRequest),
        approvals::Error::Store(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: &str, expires_at: Millis) -> ApprovalRow {
        ApprovalRow {
            id: "apr_1".into(),
            connection_id: 1,
            requester_user_id: 1,
            approver_user_id: None,
            tool: "delete_record".into(),
            arguments: "{}".into(),
            arguments_hash: vec![],
            summary: String::new(),
            state: state.parse().unwrap(),
            created_at: 0,
            expires_at,
            decided_at: None,
            decided_by: None,
            reason: None,
            result: None,
            error: None,
            activity_ids: String::new(),
            activity_warning: None,
        }
    }

    #[test]
    fn expiry_reads_in_hours_then_minutes() {
        assert_eq!(
            expires_in(&row("pending", 24 * HOUR_MS), 0).as_deref(),
            Some("expires in 24 h")
        );
        assert_eq!(
            expires_in(&row("pending", HOUR_MS + 1), 0).as_deref(),
            Some("expires in 2 h")
        );
        assert_eq!(
            expires_in(&row("pending", 40 * MINUTE_MS), 0).as_deref(),
            Some("expires in 40 min")
        );
        assert_eq!(expires_in(&row("pending", 10), 10), None);
        assert_eq!(expires_in(&row("executed", HOUR_MS), 0), None);
    }

    #[test]
    fn unknown_filters_fall_back_to_pending() {
        let q = |s: &str| InboxQuery { state: s.into() };
        assert_eq!(q("").filter(), Some(ApprovalState::Pending));
        assert_eq!(q("nonsense").filter(), Some(ApprovalState::Pending));
        assert_eq!(q("all").filter(), None);
        assert_eq!(q("expired").filter(), Some(ApprovalState::Expired));
    }
}
