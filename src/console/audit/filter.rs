//! The audit log's filters: the GET parameters, their validation (a pure function run before
//! any query), and the choices the filter form offers.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit::outcome;
use crate::catalog::CATALOG;
use crate::catalog::validate;
use crate::clock::{DAY_MS, HOUR_MS, Millis};
use crate::store::{AuditFilter, AuditGroupBy, AuditViewer};
use crate::web::encode_query;

/// Entries per page.
pub(crate) const PAGE_SIZE: i64 = 50;
/// The last page anyone may ask for (a typo guard on `page`).
pub(super) const MAX_PAGE: i64 = 100_000;
/// Characters of an error message shown in the list (the detail shows all of it).
pub(super) const ERROR_CHARS: usize = 80;

/// The five outcomes of PRODUCT.md, with their labels.
pub(crate) const OUTCOMES: &[(&str, &str)] = &[
    (outcome::SUCCESS, "Success"),
    (outcome::ERROR, "Error"),
    (outcome::DENIED, "Denied"),
    (outcome::RATE_LIMITED, "Rate limited"),
    (outcome::PENDING_APPROVAL, "Pending approval"),
];

pub(super) const PERIODS: &[(&str, &str, Millis)] = &[
    ("1h", "Last hour", HOUR_MS),
    ("24h", "Last 24 hours", DAY_MS),
    ("7d", "Last 7 days", 7 * DAY_MS),
    ("30d", "Last 30 days", 30 * DAY_MS),
];
/// The period that applies the From and To dates.
pub(super) const CUSTOM: &str = "custom";

pub(super) const GROUPS: &[(&str, &str, AuditGroupBy)] = &[
    ("outcome", "Outcome", AuditGroupBy::Outcome),
    ("tool", "Tool", AuditGroupBy::Tool),
    ("model", "Model", AuditGroupBy::Model),
    ("user", "User", AuditGroupBy::User),
    ("connection", "Connection", AuditGroupBy::Connection),
];

/// The page's URL parameters, as typed (strings, so a bad value gets a message, not a 400).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub(crate) struct AuditQuery {
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
    pub(crate) fn params(&self) -> String {
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

    pub(crate) fn url(&self) -> String {
        with_params("/console/audit", &self.params())
    }

    pub(super) fn with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut q = self.clone();
        change(&mut q);
        q.url()
    }

    /// From and To count only without a relative period (a chosen period wins).
    pub(super) fn dates_apply(&self) -> bool {
        self.period.is_empty() || self.period == CUSTOM
    }

    pub(super) fn is_filtered(&self) -> bool {
        let q = AuditQuery {
            group: String::new(),
            page: String::new(),
            ..self.clone()
        };
        !q.params().is_empty()
    }
}

pub(super) fn with_params(path: &str, params: &str) -> String {
    if params.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{params}")
    }
}

/// One message per bad filter; `None` means the value is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterErrors {
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
    pub(crate) fn count(&self) -> usize {
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
pub(crate) struct Scope<'a> {
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
pub(crate) struct Checked {
    pub filter: AuditFilter,
    pub group: Option<AuditGroupBy>,
    pub page: i64,
}

/// Checks every filter value; either all are valid, or each bad one gets its own message.
pub(crate) fn check(q: &AuditQuery, scope: &Scope<'_>) -> Result<Checked, Box<FilterErrors>> {
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

/// Odoo technical model names, as the tools accept them.
pub(super) fn is_model_name(s: &str) -> bool {
    validate::model(s).is_ok()
}

/// Midnight UTC of a `YYYY-MM-DD` date; `None` when empty or invalid (then with a message).
pub(super) fn parse_date(s: &str, error: &mut Option<String>, label: &str) -> Option<Millis> {
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

pub(crate) fn outcome_label(key: &str) -> &str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

/// The CSS class suffix of an outcome's badge (`other` for anything unexpected).
pub(crate) fn outcome_key(key: &str) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("other", |(k, _)| k)
}

/// An `<option>`.
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(super) fn options<'a>(
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
