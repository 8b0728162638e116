//! The Audit log page: every MCP request, newest first, with filters (outcome, tool, model,
//! user, connection, period), group by with counts, and a detail view. Read-only: there is no
//! route that changes or deletes an entry.
//!
//! Filters are GET parameters (links and bookmarks work) and every value is checked before a
//! query runs ([`check`], a pure function). MCP Users are scoped in SQL
//! ([`AuditViewer`]): they see the entries of their own connections only, and someone else's
//! entry is a 404.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use super::session::{CurrentUser, encode_query};
use super::{ConsoleError, Layout, Tab, render, render_status};
use crate::app::AppState;
use crate::audit::outcome;
use crate::clock::{DAY_MS, HOUR_MS, Millis, format_utc};
use crate::connections::{self, Connection};
use crate::mcp::catalog::CATALOG;
use crate::store::{AuditFilter, AuditGroupBy, AuditGroupRow, AuditRow, AuditViewer};

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;
/// The last page anyone may ask for (a typo guard on `page`).
const MAX_PAGE: i64 = 100_000;
/// Characters of an error message shown in the list (the detail shows all of it).
const ERROR_CHARS: usize = 80;
const MAX_MODEL: usize = 128;

/// The five outcomes of PRODUCT.md, with their labels.
pub const OUTCOMES: &[(&str, &str)] = &[
    (outcome::SUCCESS, "Success"),
    (outcome::ERROR, "Error"),
    (outcome::DENIED, "Denied"),
    (outcome::RATE_LIMITED, "Rate limited"),
    (outcome::PENDING_APPROVAL, "Pending approval"),
];

const PERIODS: &[(&str, &str, Millis)] = &[
    ("1h", "Last hour", HOUR_MS),
    ("24h", "Last 24 hours", DAY_MS),
    ("7d", "Last 7 days", 7 * DAY_MS),
    ("30d", "Last 30 days", 30 * DAY_MS),
];
/// The period that applies the From and To dates.
const CUSTOM: &str = "custom";

const GROUPS: &[(&str, &str, AuditGroupBy)] = &[
    ("outcome", "Outcome", AuditGroupBy::Outcome),
    ("tool", "Tool", AuditGroupBy::Tool),
    ("model", "Model", AuditGroupBy::Model),
    ("user", "User", AuditGroupBy::User),
    ("connection", "Connection", AuditGroupBy::Connection),
];

/// The page's URL parameters, as typed (strings, so a bad value gets a message, not a 400).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AuditQuery {
    pub outcome: String,
    pub tool: String,
    pub model: String,
    /// A linked user's login.
    pub user: String,
    /// A connection id.
    pub connection: String,
    /// `""` (all time, or the dates when given), `1h`, `24h`, `7d`, `30d`, `custom`.
    pub period: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    pub from: String,
    pub to: String,
    pub group: String,
    /// 1-based.
    pub page: String,
}

impl AuditQuery {
    /// The query string (without `?`), leaving out empty values and page 1.
    pub fn params(&self) -> String {
        let dates = self.dates_apply();
        [
            ("outcome", self.outcome.as_str(), true),
            ("tool", self.tool.as_str(), true),
            ("model", self.model.trim(), true),
            ("user", self.user.as_str(), true),
            ("connection", self.connection.as_str(), true),
            ("period", self.period.as_str(), true),
            ("from", self.from.as_str(), dates),
            ("to", self.to.as_str(), dates),
            ("group", self.group.as_str(), true),
            ("page", self.page.as_str(), self.page != "1"),
        ]
        .into_iter()
        .filter(|(_, value, keep)| *keep && !value.is_empty())
        .map(|(name, value, _)| format!("{name}={}", encode_query(value)))
        .collect::<Vec<_>>()
        .join("&")
    }

    pub fn url(&self) -> String {
        with_params("/console/audit", &self.params())
    }

    fn with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut q = self.clone();
        change(&mut q);
        q.url()
    }

    /// From and To count only without a relative period (a chosen period wins).
    fn dates_apply(&self) -> bool {
        self.period.is_empty() || self.period == CUSTOM
    }

    fn is_filtered(&self) -> bool {
        let q = AuditQuery {
            group: String::new(),
            page: String::new(),
            ..self.clone()
        };
        !q.params().is_empty()
    }
}

fn with_params(path: &str, params: &str) -> String {
    if params.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{params}")
    }
}

/// One message per bad filter; `None` means the value is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterErrors {
    pub outcome: Option<String>,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub user: Option<String>,
    pub connection: Option<String>,
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub group: Option<String>,
    pub page: Option<String>,
}

impl FilterErrors {
    pub fn count(&self) -> usize {
        [
            &self.outcome,
            &self.tool,
            &self.model,
            &self.user,
            &self.connection,
            &self.period,
            &self.from,
            &self.to,
            &self.group,
            &self.page,
        ]
        .iter()
        .filter(|e| e.is_some())
        .count()
    }
}

/// What the filters are checked against.
pub struct Scope<'a> {
    pub now: Millis,
    /// `None` for administrators.
    pub viewer: Option<AuditViewer>,
    /// Logins the User filter accepts.
    pub logins: &'a [String],
    /// Connection ids the Connection filter accepts (the visible ones).
    pub connection_ids: &'a [i64],
}

/// A valid query, ready for the store.
#[derive(Debug, Clone)]
pub struct Checked {
    pub filter: AuditFilter,
    pub group: Option<AuditGroupBy>,
    pub page: i64,
}

/// Checks every filter value; either all are valid, or each bad one gets its own message.
pub fn check(q: &AuditQuery, scope: &Scope<'_>) -> Result<Checked, Box<FilterErrors>> {
    let mut errors = FilterErrors::default();
    let mut filter = AuditFilter {
        viewer: scope.viewer.clone(),
        limit: PAGE_SIZE,
        ..AuditFilter::default()
    };

    if !q.outcome.is_empty() {
        if OUTCOMES.iter().any(|(key, _)| *key == q.outcome) {
            filter.outcome = Some(q.outcome.clone());
        } else {
            errors.outcome = Some(format!(
                "Unknown outcome “{}”: choose success, error, denied, rate_limited or pending_approval.",
                q.outcome
            ));
        }
    }
    if !q.tool.is_empty() {
        if CATALOG.iter().any(|t| t.name == q.tool) {
            filter.tool = Some(q.tool.clone());
        } else {
            errors.tool = Some(format!(
                "Unknown tool “{}”: choose one of the tool catalog.",
                q.tool
            ));
        }
    }
    let model = q.model.trim();
    if !model.is_empty() {
        if is_model_name(model) {
            filter.model = Some(model.to_owned());
        } else {
            errors.model = Some(format!(
                "“{model}” is not a model name: use its technical name, like res.partner."
            ));
        }
    }
    if !q.user.is_empty() {
        match &scope.viewer {
            Some(me) if q.user != me.login => {
                errors.user = Some("You can see only your own entries.".to_owned());
            }
            None if !scope.logins.contains(&q.user) => {
                errors.user = Some(format!("No linked user has the login “{}”.", q.user));
            }
            _ => filter.user_login = Some(q.user.clone()),
        }
    }
    if !q.connection.is_empty() {
        match q.connection.parse::<i64>() {
            Ok(id) if scope.connection_ids.contains(&id) => filter.connection_id = Some(id),
            _ => {
                errors.connection = Some(format!(
                    "No connection “{}” that you can see: choose one from the list.",
                    q.connection
                ));
            }
        }
    }
    match q.period.as_str() {
        "" | CUSTOM => {
            let from = parse_date(&q.from, &mut errors.from, "From");
            let to = parse_date(&q.to, &mut errors.to, "To");
            if let (Some(from), Some(to)) = (from, to)
                && to < from
            {
                errors.to = Some("“To” is before “From”.".to_owned());
            }
            filter.since = from;
            filter.until = to.map(|day| day + DAY_MS);
            if q.period == CUSTOM && q.from.is_empty() && q.to.is_empty() {
                errors.from = Some("Give a From or a To date (or choose another period).".into());
            }
        }
        other => match PERIODS.iter().find(|(key, _, _)| *key == other) {
            Some((_, _, span)) => filter.since = Some(scope.now - span),
            None => {
                errors.period = Some(format!(
                    "Unknown period “{other}”: choose one from the list."
                ));
            }
        },
    }
    let group = if q.group.is_empty() {
        None
    } else {
        match GROUPS.iter().find(|(key, _, _)| *key == q.group) {
            Some((_, _, by)) => Some(*by),
            None => {
                errors.group = Some(format!(
                    "Unknown grouping “{}”: group by outcome, tool, model, user or connection.",
                    q.group
                ));
                None
            }
        }
    };
    let page = if q.page.is_empty() {
        1
    } else {
        match q.page.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.page = Some(format!(
                    "“{}” is not a page number (1 to {MAX_PAGE}).",
                    q.page
                ));
                1
            }
        }
    };
    filter.offset = (page - 1) * PAGE_SIZE;
    if errors.count() > 0 {
        Err(Box::new(errors))
    } else {
        Ok(Checked {
            filter,
            group,
            page,
        })
    }
}

/// Odoo technical model names: `res.partner`, `x_custom.thing`.
fn is_model_name(s: &str) -> bool {
    s.len() <= MAX_MODEL
        && s.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// Midnight UTC of a `YYYY-MM-DD` date; `None` when empty or invalid (then with a message).
fn parse_date(s: &str, error: &mut Option<String>, label: &str) -> Option<Millis> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(day) => Some(
            day.and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_millis(),
        ),
        Err(_) => {
            *error = Some(format!(
                "“{s}” is not a date: {label} takes a day like 2026-01-31 (UTC)."
            ));
            None
        }
    }
}

pub fn outcome_label(key: &str) -> &str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

/// The CSS class suffix of an outcome's badge (`other` for anything unexpected).
pub fn outcome_key(key: &str) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("other", |(k, _)| k)
}

/// An `<option>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn options<'a>(
    choices: impl IntoIterator<Item = (String, String)>,
    current: &'a str,
    none: &'a str,
) -> Vec<Opt> {
    std::iter::once((String::new(), none.to_owned()))
        .chain(choices)
        .map(|(value, label)| Opt {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

pub struct Row {
    pub id: i64,
    pub url: String,
    pub time: String,
    pub method: String,
    pub tool: String,
    pub model: String,
    pub user: String,
    pub connection_id: Option<i64>,
    pub connection_name: String,
    pub client_ip: String,
    pub outcome_key: &'static str,
    pub outcome_label: String,
    pub duration_ms: i64,
    pub error_short: String,
    pub error_full: String,
}

pub struct GroupView {
    pub label: String,
    /// For outcome groups: the badge to show.
    pub badge: Option<&'static str>,
    /// The list filtered on this group; `None` for the group without a value.
    pub url: Option<String>,
    pub entries: i64,
    pub total_ms: i64,
    pub mean_ms: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub query: AuditQuery,
    pub errors: FilterErrors,
    pub is_admin: bool,
    pub outcome_opts: Vec<Opt>,
    pub tool_opts: Vec<Opt>,
    pub user_opts: Vec<Opt>,
    pub connection_opts: Vec<Opt>,
    pub period_opts: Vec<Opt>,
    pub group_opts: Vec<Opt>,
    pub dates_apply: bool,
    pub filtered: bool,
    pub rows: Vec<Row>,
    pub groups: Vec<GroupView>,
    pub group_label: &'static str,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub newer_url: Option<String>,
    pub older_url: Option<String>,
}

/// Who is looking: `None` for an administrator (everything).
fn viewer(user: &CurrentUser) -> Option<AuditViewer> {
    (!user.is_admin()).then(|| AuditViewer {
        odoo_user_id: user.user.id,
        login: user.user.login.clone(),
    })
}

/// The connections this person can see, by id, with their names.
async fn visible_connections(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<Connection>, ConsoleError> {
    Ok(connections::list(&state.store)
        .await?
        .into_iter()
        .filter(|c| user.can_see(c))
        .collect())
}

/// `GET /console/audit`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut query): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    if !query.dates_apply() {
        query.from.clear();
        query.to.clear();
    }
    let visible = visible_connections(&state, &user).await?;
    let names: HashMap<i64, String> = visible.iter().map(|c| (c.id, c.name.clone())).collect();
    let connection_ids: Vec<i64> = visible.iter().map(|c| c.id).collect();
    let logins: Vec<String> = if user.is_admin() {
        state
            .store
            .list_odoo_users()
            .await?
            .into_iter()
            .map(|u| u.login)
            .collect()
    } else {
        vec![user.user.login.clone()]
    };
    let scope = Scope {
        now: state.clock.now(),
        viewer: viewer(&user),
        logins: &logins,
        connection_ids: &connection_ids,
    };
    let checked = check(&query, &scope);

    let mut page = AuditPage {
        layout: Layout::new(&user, Tab::Audit, "Audit log"),
        errors: FilterErrors::default(),
        is_admin: user.is_admin(),
        outcome_opts: options(
            OUTCOMES
                .iter()
                .map(|(k, l)| ((*k).to_owned(), (*l).to_owned())),
            &query.outcome,
            "Any outcome",
        ),
        tool_opts: options(
            CATALOG
                .iter()
                .map(|t| (t.name.to_owned(), t.name.to_owned())),
            &query.tool,
            "Any tool",
        ),
        user_opts: if user.is_admin() {
            options(
                logins.iter().map(|l| (l.clone(), l.clone())),
                &query.user,
                "Any user",
            )
        } else {
            vec![Opt {
                value: user.user.login.clone(),
                label: format!("{} (you)", user.user.login),
                selected: true,
            }]
        },
        connection_opts: options(
            visible.iter().map(|c| {
                let label = match (&c.user_login, user.is_admin()) {
                    (Some(login), true) => format!("{} · {login}", c.name),
                    _ => c.name.clone(),
                };
                (c.id.to_string(), label)
            }),
            &query.connection,
            "Any connection",
        ),
        period_opts: options(
            PERIODS
                .iter()
                .map(|(k, l, _)| ((*k).to_owned(), (*l).to_owned()))
                .chain([(CUSTOM.to_owned(), "From – To dates".to_owned())]),
            if query.period.is_empty() && !(query.from.is_empty() && query.to.is_empty()) {
                CUSTOM
            } else {
                &query.period
            },
            "All time",
        ),
        group_opts: options(
            GROUPS
                .iter()
                .map(|(k, l, _)| ((*k).to_owned(), (*l).to_owned())),
            &query.group,
            "No grouping",
        ),
        dates_apply: query.dates_apply(),
        filtered: query.is_filtered(),
        rows: Vec::new(),
        groups: Vec::new(),
        group_label: "",
        total: 0,
        first: 0,
        last: 0,
        newer_url: None,
        older_url: None,
        query: query.clone(),
    };
    let checked = match checked {
        Ok(c) => c,
        Err(errors) => {
            page.errors = *errors;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let (total, _) = state.store.count_audit_events(&checked.filter).await?;
    page.total = total;
    if let Some(by) = checked.group {
        page.group_label = GROUPS
            .iter()
            .find(|(_, _, g)| *g == by)
            .map_or("", |(_, l, _)| l);
        let groups = state.store.group_audit_events(&checked.filter, by).await?;
        page.groups = groups
            .into_iter()
            .map(|g| group_view(&query, by, g, &names))
            .collect();
    } else {
        let entries = state.store.list_audit_events(&checked.filter).await?;
        let params = query.params();
        page.first = checked.filter.offset + 1;
        page.last = checked.filter.offset + entries.len() as i64;
        if checked.page > 1 {
            page.newer_url = Some(query.with(|q| q.page = (checked.page - 1).to_string()));
        }
        if page.last < total {
            page.older_url = Some(query.with(|q| q.page = (checked.page + 1).to_string()));
        }
        page.rows = entries
            .into_iter()
            .map(|e| row(e, &params, &names))
            .collect();
    }
    render(&page)
}

fn row(e: AuditRow, list_params: &str, names: &HashMap<i64, String>) -> Row {
    let error_full = e.error.unwrap_or_default();
    let error_short = truncate(&error_full, ERROR_CHARS);
    Row {
        url: with_params(&format!("/console/audit/{}", e.id), list_params),
        id: e.id,
        time: format_utc(e.at),
        method: e.method,
        tool: e.tool.unwrap_or_default(),
        model: e.model.unwrap_or_default(),
        user: e.user_login.unwrap_or_default(),
        connection_name: connection_name(e.connection_id, names),
        connection_id: e.connection_id,
        client_ip: e.client_ip.unwrap_or_default(),
        outcome_key: outcome_key(&e.outcome),
        outcome_label: outcome_label(&e.outcome).to_owned(),
        duration_ms: e.duration_ms,
        error_short,
        error_full,
    }
}

fn connection_name(id: Option<i64>, names: &HashMap<i64, String>) -> String {
    match id {
        Some(id) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Connection #{id}")),
        None => String::new(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn group_view(
    query: &AuditQuery,
    by: AuditGroupBy,
    g: AuditGroupRow,
    names: &HashMap<i64, String>,
) -> GroupView {
    let mean_ms = if g.entries > 0 {
        format!("{:.1}", g.total_ms as f64 / g.entries as f64)
    } else {
        "0".to_owned()
    };
    let (label, badge) = match (&g.group_key, by) {
        (None, AuditGroupBy::Tool) => ("No tool (other MCP methods)".to_owned(), None),
        (None, AuditGroupBy::Model) => ("No model".to_owned(), None),
        (None, AuditGroupBy::User) => ("No user (not authenticated)".to_owned(), None),
        (None, AuditGroupBy::Connection) => ("No connection (not authenticated)".to_owned(), None),
        (None, AuditGroupBy::Outcome) => ("—".to_owned(), None),
        (Some(key), AuditGroupBy::Outcome) => {
            (outcome_label(key).to_owned(), Some(outcome_key(key)))
        }
        (Some(key), AuditGroupBy::Connection) => (connection_name(key.parse().ok(), names), None),
        (Some(key), _) => (key.clone(), None),
    };
    let url = g.group_key.as_ref().map(|key| {
        query.with(|q| {
            q.group.clear();
            q.page.clear();
            let field = match by {
                AuditGroupBy::Outcome => &mut q.outcome,
                AuditGroupBy::Tool => &mut q.tool,
                AuditGroupBy::Model => &mut q.model,
                AuditGroupBy::User => &mut q.user,
                AuditGroupBy::Connection => &mut q.connection,
            };
            key.clone_into(field);
        })
    });
    GroupView {
        label,
        badge,
        url,
        entries: g.entries,
        total_ms: g.total_ms,
        mean_ms,
    }
}

pub struct EntryView {
    pub id: i64,
    pub time: String,
    pub time_exact: String,
    pub method: String,
    pub tool: String,
    pub model: String,
    pub user: String,
    pub connection_id: Option<i64>,
    pub connection_name: String,
    pub client_ip: String,
    pub outcome: String,
    pub outcome_key: &'static str,
    pub outcome_label: String,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub request: Option<String>,
    pub response: Option<String>,
}

#[derive(Template)]
#[template(path = "audit_entry.html")]
pub struct EntryPage {
    pub layout: Layout,
    pub e: EntryView,
    pub back_url: String,
}

/// `GET /console/audit/{id}`: every field of one entry; 404 when it isn't there or isn't
/// this person's to see.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    let id: i64 = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let viewer = viewer(&user);
    let e = state
        .store
        .get_visible_audit_event(id, viewer.as_ref())
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let names: HashMap<i64, String> = visible_connections(&state, &user)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let title = format!("Audit entry #{}", e.id);
    render(&EntryPage {
        layout: Layout::new(&user, Tab::Audit, &title),
        back_url: query.url(),
        e: EntryView {
            id: e.id,
            time: format_utc(e.at),
            time_exact: chrono::DateTime::from_timestamp_millis(e.at).map_or_else(
                || "-".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
            ),
            method: e.method,
            tool: e.tool.unwrap_or_default(),
            model: e.model.unwrap_or_default(),
            user: e.user_login.unwrap_or_default(),
            connection_name: connection_name(e.connection_id, &names),
            connection_id: e.connection_id,
            client_ip: e.client_ip.unwrap_or_default(),
            outcome_key: outcome_key(&e.outcome),
            outcome_label: outcome_label(&e.outcome).to_owned(),
            outcome: e.outcome,
            duration_ms: e.duration_ms,
            error: e.error.filter(|s| !s.is_empty()),
            request: e.request_payload.as_deref().map(pretty),
            response: e.response_payload.as_deref().map(pretty),
        },
    })
}

/// A JSON payload indented for reading; anything else as stored.
fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| payload.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_800_000_000_000;

    fn admin_scope() -> Scope<'static> {
        static LOGINS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| vec!["admin".into(), "demo".into()]);
        Scope {
            now: NOW,
            viewer: None,
            logins: &LOGINS,
            connection_ids: &[1, 2],
        }
    }

    fn q(pairs: &str) -> AuditQuery {
        serde_urlencoded::from_str(pairs).unwrap()
    }

    #[test]
    fn valid_filters_become_the_store_filter() {
        let c = check(
            &q("outcome=denied&tool=delete_record&model=res.partner&user=demo&connection=2&period=24h&page=3"),
            &admin_scope(),
        )
        .unwrap();
        let f = c.filter;
        assert_eq!(f.outcome.as_deref(), Some("denied"));
        assert_eq!(f.tool.as_deref(), Some("delete_record"));
        assert_eq!(f.model.as_deref(), Some("res.partner"));
        assert_eq!(f.user_login.as_deref(), Some("demo"));
        assert_eq!(f.connection_id, Some(2));
        assert_eq!(f.since, Some(NOW - DAY_MS));
        assert_eq!((f.limit, f.offset), (PAGE_SIZE, 2 * PAGE_SIZE));
        assert!(f.viewer.is_none());
        assert_eq!(c.group, None);
    }

    #[test]
    fn dates_are_inclusive_utc_days() {
        let f = check(&q("from=2027-01-15&to=2027-01-15"), &admin_scope())
            .unwrap()
            .filter;
        let day = NaiveDate::from_ymd_opt(2027, 1, 15)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!((f.since, f.until), (Some(day), Some(day + DAY_MS)));
        // A relative period wins over dates.
        let f = check(&q("period=1h&from=nonsense"), &admin_scope())
            .unwrap()
            .filter;
        assert_eq!((f.since, f.until), (Some(NOW - HOUR_MS), None));
    }

    #[test]
    fn every_bad_value_gets_its_own_message() {
        let e = check(
            &q("outcome=oops&tool=rm_rf&model=res%20partner;drop&user=eve&connection=9&period=1y&group=colour&page=0"),
            &admin_scope(),
        )
        .unwrap_err();
        assert_eq!(e.count(), 8);
        assert!(e.outcome.unwrap().contains("Unknown outcome “oops”"));
        assert!(e.tool.unwrap().contains("Unknown tool “rm_rf”"));
        assert!(e.model.unwrap().contains("is not a model name"));
        assert!(e.user.unwrap().contains("eve"));
        assert!(e.connection.unwrap().contains("“9”"));
        assert!(e.period.unwrap().contains("1y"));
        assert!(e.group.unwrap().contains("colour"));
        assert!(e.page.unwrap().contains("page number"));
        let e = check(&q("from=2027-02-01&to=2027-01-01"), &admin_scope()).unwrap_err();
        assert_eq!(e.to.as_deref(), Some("“To” is before “From”."));
        let e = check(&q("from=31/01/2027"), &admin_scope()).unwrap_err();
        assert!(e.from.unwrap().contains("is not a date"));
    }

    #[test]
    fn mcp_users_are_scoped_and_can_filter_only_on_themselves() {
        let scope = Scope {
            viewer: Some(AuditViewer {
                odoo_user_id: 5,
                login: "demo".into(),
            }),
            connection_ids: &[2],
            ..admin_scope()
        };
        let c = check(&q("user=demo"), &scope).unwrap();
        assert_eq!(c.filter.viewer.unwrap().odoo_user_id, 5);
        let e = check(&q("user=admin&connection=1"), &scope).unwrap_err();
        assert_eq!(
            e.user.as_deref(),
            Some("You can see only your own entries.")
        );
        assert!(e.connection.is_some());
    }

    #[test]
    fn urls_keep_filters_and_drop_defaults() {
        assert_eq!(AuditQuery::default().url(), "/console/audit");
        let query = q("outcome=error&model=res.partner&page=1&period=7d&from=2027-01-01");
        assert_eq!(
            query.url(),
            "/console/audit?outcome=error&model=res.partner&period=7d"
        );
        assert_eq!(
            q("from=2027-01-01&page=2").url(),
            "/console/audit?from=2027-01-01&page=2"
        );
    }

    #[test]
    fn long_errors_are_truncated_in_the_list() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }
}
