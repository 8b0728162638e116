//! The Dashboard, `/console`, the landing page: requests over time by outcome, refusals by
//! rule, top tools and models, the slowest tools (p50/p95), pending approvals and connections
//! by status, for the last 24 hours or 30 days. MCP Users see their own connections only.
//!
//! Every count comes from the audit rollups (`store::rollup`), which the audit writer keeps in
//! step with the log, so a page costs a few small aggregates whatever the log's size.

pub mod view;

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use self::view::{OUTCOMES, Period};
use super::charts::{self, Series};
use super::{Layout, Tab};
use crate::clock::Millis;
use crate::connections::{self, Connection, Status};
use crate::state::AppState;
use crate::store::rollup::{Dim, Owner, RollupQuery, RollupRow};
use crate::store::{self, Store};
use crate::web::session::CurrentUser;
use crate::web::{PageError, render};

/// How many bars a ranked chart shows.
const TOP: usize = 8;

#[derive(Debug, Default, Deserialize)]
pub(super) struct DashboardQuery {
    #[serde(default)]
    pub period: String,
}

/// One outcome's total over the period, for the legend and the figures.
pub(super) struct Total {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// A figure of a ranked chart, shown as text too.
pub(super) struct Figure {
    pub label: String,
    pub text: String,
}

/// One ranked chart and its figures as text.
pub(super) struct Ranked {
    /// The section's id (`chart-…`) and the figures' `data-…` attribute.
    pub id: &'static str,
    pub attr: &'static str,
    pub title: &'static str,
    pub chart: String,
    pub figures: Vec<Figure>,
}

impl Ranked {
    fn new(
        id: &'static str,
        attr: &'static str,
        title: &'static str,
        bars: &[charts::Bar],
        empty: &str,
    ) -> Self {
        Self {
            id,
            attr,
            title,
            chart: charts::horizontal_bars(title, bars, attr, empty),
            figures: bars
                .iter()
                .map(|b| Figure {
                    label: b.label.clone(),
                    text: b.text.clone(),
                })
                .collect(),
        }
    }
}

pub(super) struct StatusCount {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
}

pub(super) struct Tool {
    pub tool: String,
    pub calls: i64,
    pub p50: String,
    pub p95: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
    pub layout: Layout,
    pub is_admin: bool,
    pub period: &'static str,
    pub period_label: &'static str,
    pub requests_chart: String,
    pub totals: Vec<Total>,
    pub total: i64,
    /// Refusals by rule, top tools, top models.
    pub ranked: Vec<Ranked>,
    pub slow_chart: String,
    pub slow: Vec<Tool>,
    pub pending: i64,
    pub statuses: Vec<StatusCount>,
}

/// The rollup aggregates one dashboard view needs: what the benchmark times too.
#[derive(Debug, Default)]
pub struct Figures {
    pub outcomes: Vec<RollupRow>,
    pub rules: Vec<RollupRow>,
    pub tools: Vec<RollupRow>,
    pub models: Vec<RollupRow>,
}

/// The question for `dim` over `period`: every connection, not grouped by bucket or
/// connection (callers change what they need).
fn over(period: Period, now: Millis, dim: Dim) -> RollupQuery {
    let (since, until) = period.range(now);
    RollupQuery {
        span: period.span(),
        since,
        until,
        dim,
        owner: None,
        connection: None,
        by_bucket: false,
        by_connection: false,
    }
}

/// Loads the four aggregates of `period` for `owner`.
pub async fn figures(
    store: &Store,
    period: Period,
    now: Millis,
    owner: Owner,
) -> Result<Figures, store::Error> {
    let query = |dim| RollupQuery {
        owner,
        ..over(period, now, dim)
    };
    Ok(Figures {
        outcomes: store
            .rollup(&RollupQuery {
                by_bucket: true,
                ..query(Dim::Outcome)
            })
            .await?,
        rules: store.rollup(&query(Dim::Rule)).await?,
        tools: store.rollup(&query(Dim::Tool)).await?,
        models: store.rollup(&query(Dim::Model)).await?,
    })
}

/// Each connection's requests per day over the last 30 days (the Connections list's sparklines).
pub async fn activity(
    store: &Store,
    now: Millis,
    owner: Owner,
) -> Result<BTreeMap<i64, Vec<i64>>, store::Error> {
    let period = Period::Month;
    let rows = store
        .rollup(&RollupQuery {
            owner,
            by_bucket: true,
            by_connection: true,
            ..over(period, now, Dim::Outcome)
        })
        .await?;
    Ok(view::per_connection(&rows, &period.starts(now)))
}

/// One connection's requests by outcome over the last 30 days, as a chart, and their total
/// (the connection form's chart).
pub(super) async fn connection_chart(
    store: &Store,
    now: Millis,
    id: i64,
) -> Result<(String, i64), store::Error> {
    let period = Period::Month;
    let rows = store
        .rollup(&RollupQuery {
            connection: Some(id),
            by_bucket: true,
            ..over(period, now, Dim::Outcome)
        })
        .await?;
    let (chart, series) = requests_chart("Requests by outcome, last 30 days", period, &rows, now);
    let total = series.iter().flat_map(|s| &s.values).sum();
    Ok((chart, total))
}

/// Whose connections the dashboard counts: everyone's for an administrator.
pub(super) fn owner(user: &CurrentUser) -> Owner {
    (!user.is_admin()).then_some(user.user.id)
}

/// The stacked requests chart of `period` (also the connection form's 30-day chart).
pub(super) fn requests_chart(
    title: &str,
    period: Period,
    rows: &[RollupRow],
    now: Millis,
) -> (String, Vec<Series>) {
    let starts = period.starts(now);
    let series = view::outcome_series(rows, &starts);
    let labels: Vec<String> = starts.iter().map(|s| period.bucket_label(*s)).collect();
    let every = match period {
        Period::Day => 4,
        Period::Month => 5,
    };
    (charts::stacked_bars(title, &labels, &series, every), series)
}

/// `GET /console`.
pub(super) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let period: Period = match query.period.parse() {
        Ok(p) => p,
        Err(e) => return Ok((StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response()),
    };
    let now = state.clock.now();
    let owner = owner(&user);
    let f = figures(&state.store, period, now, owner).await?;
    let (requests_chart, series) = requests_chart(
        &format!("Requests by outcome, {}", period.label().to_lowercase()),
        period,
        &f.outcomes,
        now,
    );
    let totals: Vec<Total> = OUTCOMES
        .iter()
        .map(|(key, label)| Total {
            key: (*key).to_owned(),
            label: (*label).to_owned(),
            count: series
                .iter()
                .find(|s| s.class == *key)
                .map_or(0, |s| s.values.iter().sum()),
        })
        .chain(series.iter().filter(|s| s.class == "other").map(|s| Total {
            key: "other".to_owned(),
            label: s.name.clone(),
            count: s.values.iter().sum(),
        }))
        .collect();
    let rules = view::top(&f.rules, TOP);
    let tools = view::top(&f.tools, TOP);
    let models = view::top(&f.models, TOP);
    let slow = view::slowest(&f.tools, TOP);
    let settings = state.settings.get(&state.store).await?;
    let visible: Vec<Connection> = connections::list(&state.store)
        .await?
        .into_iter()
        .filter(|c| user.can_see(c))
        .collect();
    let statuses = [
        Status::Connected,
        Status::Awaiting,
        Status::Idle,
        Status::Revoked,
    ]
    .into_iter()
    .map(|s| StatusCount {
        key: s.key(),
        label: s.label(),
        count: visible
            .iter()
            .filter(|c| c.status(settings.idle_after(), now) == s)
            .count(),
    })
    .collect();
    let involving = (!user.is_admin()).then_some(user.user.id);
    render(&DashboardPage {
        layout: Layout::new(&user, Tab::Dashboard, "Dashboard"),
        is_admin: user.is_admin(),
        period: period.key(),
        period_label: period.label(),
        requests_chart,
        total: totals.iter().map(|t| t.count).sum(),
        totals,
        ranked: vec![
            Ranked::new("rules", "rule", "Refusals by rule", &rules, "No refusals"),
            Ranked::new("tools", "tool", "Top tools", &tools, "No tool calls"),
            Ranked::new("models", "model", "Top models", &models, "No model used"),
        ],
        slow_chart: charts::horizontal_bars(
            "Slowest tools by p95",
            &view::latency_bars(&slow),
            "slow",
            "No tool calls",
        ),
        slow: slow
            .iter()
            .map(|t| Tool {
                tool: t.tool.clone(),
                calls: t.calls,
                p50: view::bound(t.p50),
                p95: view::bound(t.p95),
            })
            .collect(),
        pending: state.store.count_pending_approvals(involving).await?,
        statuses,
    })
}
