//! The Connections list: API keys and OAuth clients together, colour-coded by status, with the
//! search facets, filters and groupings of the seed page. Filtering is a pure function.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Layout, Tab, charts, dashboard};
use crate::clock::{Millis, format_utc};
use crate::connections::{self, Connection, Kind, Status};
use crate::state::AppState;
use crate::web::encode_query;
use crate::web::session::CurrentUser;
use crate::web::{PageError, render};

/// The list's URL parameters. An absent `status` means the default facet, Active.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub(super) struct ListQuery {
    pub q: String,
    /// `active` (default), `all`, `connected`, `awaiting`, `idle`, `revoked`.
    pub status: String,
    /// `api_key` or `oauth`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `1`: dynamic registrations only.
    pub dynamic: String,
    /// `type` or `user`.
    pub group: String,
}

const STATUSES: &[(&str, &str)] = &[
    ("active", "Active"),
    ("connected", "Connected"),
    ("awaiting", "Awaiting connection"),
    ("idle", "Idle"),
    ("revoked", "Revoked"),
];

impl ListQuery {
    fn status(&self) -> &str {
        if self.status.is_empty() {
            "active"
        } else {
            &self.status
        }
    }

    pub(super) fn url(&self) -> String {
        let mut params = Vec::new();
        for (name, value) in [
            ("q", self.q.trim()),
            ("status", self.status.as_str()),
            ("type", self.kind.as_str()),
            ("dynamic", self.dynamic.as_str()),
            ("group", self.group.as_str()),
        ] {
            if !(value.is_empty() || name == "status" && value == "active") {
                params.push(format!("{name}={}", encode_query(value)));
            }
        }
        if params.is_empty() {
            "/console/connections".to_owned()
        } else {
            format!("/console/connections?{}", params.join("&"))
        }
    }

    fn with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut q = self.clone();
        change(&mut q);
        q.url()
    }

    fn matches(&self, c: &Connection, status: Status, dynamic: bool) -> bool {
        let status_ok = match self.status() {
            "all" => true,
            "active" => status != Status::Revoked,
            "connected" => status == Status::Connected,
            "awaiting" => status == Status::Awaiting,
            "idle" => status == Status::Idle,
            "revoked" => status == Status::Revoked,
            _ => true,
        };
        let kind_ok = match self.kind.as_str() {
            "api_key" => c.kind == Kind::ApiKey,
            "oauth" => c.kind == Kind::OAuth,
            _ => true,
        };
        let needle = self.q.trim().to_lowercase();
        let text_ok = needle.is_empty()
            || [Some(&c.name), c.user_login.as_ref(), c.user_name.as_ref()]
                .into_iter()
                .flatten()
                .any(|s| s.to_lowercase().contains(&needle));
        status_ok && kind_ok && text_ok && (self.dynamic != "1" || dynamic)
    }
}

/// A removable chip in the search bar.
pub(super) struct Facet {
    pub label: String,
    pub remove_url: String,
}

/// A filter or grouping link in the side panel.
pub(super) struct FilterLink {
    pub label: &'static str,
    pub url: String,
    pub active: bool,
}

pub(super) struct Row {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub user: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub last_used: String,
    pub requests: i64,
    pub dynamic: bool,
    /// Requests per day over the last 30 days, an SVG sparkline (set by the page).
    pub spark: String,
}

pub(super) struct Group {
    pub title: String,
    pub rows: Vec<Row>,
}

/// The User column of a connection not bound to a user yet (an OAuth client before consent).
const NO_USER: &str = "—";

pub(super) fn user_label(c: &Connection) -> String {
    match (&c.user_name, &c.user_login) {
        (Some(name), Some(login)) if name != login => format!("{name} ({login})"),
        (_, Some(login)) => login.clone(),
        _ => NO_USER.to_owned(),
    }
}

/// Filters and groups `all` for `query`; rows stay in creation order inside each group.
pub(super) fn build(
    all: &[Connection],
    dynamic_ids: &HashSet<i64>,
    query: &ListQuery,
    idle_after: Millis,
    now: Millis,
) -> Vec<Group> {
    let rows = all.iter().filter_map(|c| {
        let status = c.status(idle_after, now);
        let dynamic = dynamic_ids.contains(&c.id);
        query.matches(c, status, dynamic).then(|| Row {
            id: c.id,
            kind: c.kind.label(),
            name: c.name.clone(),
            user: user_label(c),
            status_key: status.key(),
            status_label: status.label(),
            last_used: c
                .last_used_at
                .map_or_else(|| "Never".to_owned(), format_utc),
            requests: c.request_count,
            dynamic,
            spark: String::new(),
        })
    });
    let mut groups: Vec<Group> = Vec::new();
    for row in rows {
        let title = match query.group.as_str() {
            "type" => row.kind.to_owned(),
            "user" if row.user == NO_USER => "No user yet".to_owned(),
            "user" => row.user.clone(),
            _ => String::new(),
        };
        match groups.iter_mut().find(|g| g.title == title) {
            Some(g) => g.rows.push(row),
            None => groups.push(Group {
                title,
                rows: vec![row],
            }),
        }
    }
    if query.group == "user" {
        groups.sort_by_key(|g| (g.title == "No user yet", g.title.to_lowercase()));
    }
    groups
}

#[derive(Template)]
#[template(path = "connections.html")]
pub(super) struct ListPage {
    pub layout: Layout,
    pub query: ListQuery,
    pub facets: Vec<Facet>,
    pub type_filters: Vec<FilterLink>,
    pub status_filters: Vec<FilterLink>,
    pub other_filters: Vec<FilterLink>,
    pub groupings: Vec<FilterLink>,
    pub groups: Vec<Group>,
    pub grouped: bool,
    pub total: usize,
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let settings = state.settings.get(&state.store).await?;
    let now = state.clock.now();
    let visible: Vec<Connection> = connections::list(&state.store)
        .await?
        .into_iter()
        .filter(|c| user.can_see(c))
        .collect();
    let dynamic_ids: HashSet<i64> = state
        .store
        .list_oauth_clients()
        .await?
        .into_iter()
        .filter(|c| c.dynamic != 0)
        .map(|c| c.connection_id)
        .collect();
    let mut groups = build(&visible, &dynamic_ids, &query, settings.idle_after(), now);
    let activity = dashboard::activity(&state.store, now, dashboard::owner(&user)).await?;
    let none = vec![0; dashboard::view::Period::Month.buckets()];
    for row in groups.iter_mut().flat_map(|g| g.rows.iter_mut()) {
        let days = activity.get(&row.id).unwrap_or(&none);
        let total: i64 = days.iter().sum();
        row.spark = charts::sparkline(days, &format!("{total} requests in the last 30 days"));
    }
    let total = groups.iter().map(|g| g.rows.len()).sum();
    render(&ListPage {
        layout: Layout::new(&user, Tab::Connections, "Connections"),
        facets: facets(&query),
        type_filters: [("api_key", "API Key"), ("oauth", "OAuth Client")]
            .into_iter()
            .map(|(key, label)| {
                toggle(&query, label, query.kind == key, |q| {
                    q.kind = if q.kind == key {
                        String::new()
                    } else {
                        key.to_owned()
                    }
                })
            })
            .collect(),
        status_filters: STATUSES
            .iter()
            .map(|&(key, label)| {
                toggle(&query, label, query.status() == key, |q| {
                    q.status = if q.status() == key {
                        "all".to_owned()
                    } else {
                        key.to_owned()
                    }
                })
            })
            .collect(),
        other_filters: vec![toggle(
            &query,
            "Dynamic Registrations",
            query.dynamic == "1",
            |q| {
                q.dynamic = if q.dynamic == "1" {
                    String::new()
                } else {
                    "1".to_owned()
                }
            },
        )],
        groupings: [("type", "Type"), ("user", "User")]
            .into_iter()
            .map(|(key, label)| {
                toggle(&query, label, query.group == key, |q| {
                    q.group = if q.group == key {
                        String::new()
                    } else {
                        key.to_owned()
                    }
                })
            })
            .collect(),
        grouped: !query.group.is_empty(),
        groups,
        total,
        query,
    })
}

fn toggle(
    query: &ListQuery,
    label: &'static str,
    active: bool,
    change: impl FnOnce(&mut ListQuery),
) -> FilterLink {
    FilterLink {
        label,
        url: query.with(change),
        active,
    }
}

fn facets(query: &ListQuery) -> Vec<Facet> {
    let mut out = Vec::new();
    if let Some((_, label)) = STATUSES.iter().find(|(k, _)| *k == query.status()) {
        out.push(Facet {
            label: (*label).to_owned(),
            remove_url: query.with(|q| q.status = "all".to_owned()),
        });
    }
    match query.kind.as_str() {
        "api_key" | "oauth" => out.push(Facet {
            label: if query.kind == "oauth" {
                "OAuth Client"
            } else {
                "API Key"
            }
            .to_owned(),
            remove_url: query.with(|q| q.kind.clear()),
        }),
        _ => {}
    }
    if query.dynamic == "1" {
        out.push(Facet {
            label: "Dynamic Registrations".to_owned(),
            remove_url: query.with(|q| q.dynamic.clear()),
        });
    }
    match query.group.as_str() {
        "type" | "user" => out.push(Facet {
            label: format!(
                "Group by: {}",
                if query.group == "type" {
                    "Type"
                } else {
                    "User"
                }
            ),
            remove_url: query.with(|q| q.group.clear()),
        }),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::DAY_MS;
    use crate::connections::Policy;
    use crate::connections::Scope;

    const NOW: Millis = 100 * DAY_MS;

    fn conn(id: i64, kind: Kind, user: &str, revoked: bool, used: Option<Millis>) -> Connection {
        Connection {
            id,
            kind,
            name: format!("conn {id}"),
            odoo_user_id: Some(1),
            user_login: Some(user.into()),
            user_name: Some(user.into()),
            scope: Scope::Full,
            key_prefix: None,
            description: String::new(),
            policy: Policy::default(),
            created_at: 0,
            revoked_at: revoked.then_some(1),
            last_used_at: used,
            request_count: 0,
        }
    }

    fn all() -> Vec<Connection> {
        vec![
            conn(1, Kind::ApiKey, "demo", false, None),
            conn(2, Kind::ApiKey, "admin", false, Some(NOW)),
            conn(3, Kind::OAuth, "demo", false, Some(NOW - 30 * DAY_MS)),
            conn(4, Kind::ApiKey, "admin", true, Some(NOW)),
            conn(5, Kind::OAuth, "admin", false, None),
        ]
    }

    fn ids(q: ListQuery) -> Vec<i64> {
        let dynamic = HashSet::from([5]);
        build(&all(), &dynamic, &q, 7 * DAY_MS, NOW)
            .iter()
            .flat_map(|g| g.rows.iter().map(|r| r.id))
            .collect()
    }

    fn q(status: &str, kind: &str, dynamic: &str) -> ListQuery {
        ListQuery {
            status: status.into(),
            kind: kind.into(),
            dynamic: dynamic.into(),
            ..Default::default()
        }
    }

    #[test]
    fn active_is_the_default_and_hides_revoked() {
        assert_eq!(ids(ListQuery::default()), [1, 2, 3, 5]);
        assert_eq!(ids(q("all", "", "")), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn each_filter_narrows() {
        assert_eq!(ids(q("connected", "", "")), [2]);
        assert_eq!(ids(q("awaiting", "", "")), [1, 5]);
        assert_eq!(ids(q("idle", "", "")), [3]);
        assert_eq!(ids(q("revoked", "", "")), [4]);
        assert_eq!(ids(q("all", "oauth", "")), [3, 5]);
        assert_eq!(ids(q("all", "api_key", "")), [1, 2, 4]);
        assert_eq!(ids(q("all", "", "1")), [5]);
        let text = ListQuery {
            q: "ADM".into(),
            ..Default::default()
        };
        assert_eq!(ids(text), [2, 5]);
    }

    #[test]
    fn groups_by_type_and_by_user() {
        let dynamic = HashSet::new();
        let by_type = ListQuery {
            group: "type".into(),
            ..Default::default()
        };
        let g = build(&all(), &dynamic, &by_type, 7 * DAY_MS, NOW);
        let titles: Vec<_> = g.iter().map(|g| g.title.as_str()).collect();
        assert_eq!(titles, ["API Key", "OAuth Client"]);
        let by_user = ListQuery {
            group: "user".into(),
            ..Default::default()
        };
        let g = build(&all(), &dynamic, &by_user, 7 * DAY_MS, NOW);
        let titles: Vec<_> = g.iter().map(|g| (g.title.as_str(), g.rows.len())).collect();
        assert_eq!(titles, [("admin", 2), ("demo", 2)]);
    }

    #[test]
    fn urls_leave_out_defaults() {
        assert_eq!(ListQuery::default().url(), "/console/connections");
        assert_eq!(
            q("all", "oauth", "1").url(),
            "/console/connections?status=all&type=oauth&dynamic=1"
        );
    }
}
