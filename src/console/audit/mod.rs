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

mod filter;

pub(super) use filter::*;

use super::{Layout, Tab};
use crate::catalog::CATALOG;
use crate::clock::format_utc;
use crate::connections::{self, Connection};
use crate::state::AppState;
use crate::store::{AuditGroupBy, AuditGroupRow, AuditRow, AuditViewer};
use crate::web::session::CurrentUser;
use crate::web::{PageError, render, render_status};

pub(super) struct Row {
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

pub(super) struct GroupView {
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
pub(super) struct AuditPage {
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
) -> Result<Vec<Connection>, PageError> {
    Ok(connections::list(&state.store)
        .await?
        .into_iter()
        .filter(|c| user.can_see(c))
        .collect())
}

/// `GET /console/audit`.
pub(super) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut query): Query<AuditQuery>,
) -> Result<Response, PageError> {
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

pub(super) struct EntryView {
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
    /// The governance rule that refused the call, when one did.
    pub rule: Option<String>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The request's OpenTelemetry trace, when traces were exported.
    pub trace_id: Option<String>,
    pub request: Option<String>,
    pub response: Option<String>,
}

#[derive(Template)]
#[template(path = "audit_entry.html")]
pub(super) struct EntryPage {
    pub layout: Layout,
    pub e: EntryView,
    pub back_url: String,
}

/// `GET /console/audit/{id}`: every field of one entry; 404 when it isn't there or isn't
/// this person's to see.
pub(super) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let viewer = viewer(&user);
    let e = state
        .store
        .get_visible_audit_event(id, viewer.as_ref())
        .await?
        .ok_or(PageError::NotFound)?;
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
            rule: e.rule.clone(),
            outcome_key: outcome_key(&e.outcome),
            outcome_label: outcome_label(&e.outcome).to_owned(),
            outcome: e.outcome,
            duration_ms: e.duration_ms,
            error: e.error.filter(|s| !s.is_empty()),
            trace_id: e.trace_id,
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
    use crate::clock::{DAY_MS, HOUR_MS, Millis};
    use chrono::NaiveDate;

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
