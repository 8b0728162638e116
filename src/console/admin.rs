//! Administrators' pages: Users (grant and remove console roles) and Server Settings.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::notify_form::{NotifyForm, deliveries};
use super::{Layout, Tab};
use crate::clock::format_utc;
use crate::notify::Config;
use crate::settings::ServerSettings;
use crate::state::AppState;
use crate::web::session::{CurrentUser, Post, Role};
use crate::web::{PageError, render, render_status, see_other};

pub(super) struct UserRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub linked: String,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub(super) struct UsersPage {
    pub layout: Layout,
    pub users: Vec<UserRow>,
}

pub(super) async fn users(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let users = state
        .store
        .list_odoo_users()
        .await?
        .into_iter()
        .map(|u| {
            let role = u.role;
            UserRow {
                id: u.id,
                is_me: u.id == user.user.id,
                role: role.map_or("none", Role::as_db),
                linked: format_utc(u.linked_at),
                login: u.login,
                name: u.name,
            }
        })
        .collect();
    render(&UsersPage {
        layout: Layout::new(&user, Tab::Users, "Users"),
        users,
    })
}

#[derive(Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
}

pub(super) async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, form }: Post<RoleForm>,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let target = state
        .store
        .get_odoo_user(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let new_role = match form.role.as_str() {
        "none" => None,
        other => Some(Role::parse(other).ok_or(PageError::BadRequest)?),
    };
    let changed = state
        .store
        .set_role_keeping_an_admin(&target.login, new_role, state.clock.now())
        .await?;
    if !changed {
        // The user exists (read above): only the last-administrator rule refuses.
        user.flash(
            &state,
            &format!(
                "{} is the last MCP Administrator: make someone else an administrator first.",
                target.name
            ),
        )
        .await?;
        return Ok(see_other("/console/users"));
    }
    tracing::info!(login = %target.login, role = new_role.map_or("none", Role::as_db), by = %user.user.login, "console role changed");
    let message = match new_role {
        Some(r) => format!("{} is now {}.", target.name, r.label()),
        None => format!("{} no longer has a role in the MCP gateway.", target.name),
    };
    user.flash(&state, &message).await?;
    Ok(see_other("/console/users"))
}

/// One numeric setting as shown and validated.
pub(super) struct NumberField {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub value: String,
    pub min: u32,
    pub max: u32,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub(super) struct SettingsPage {
    pub layout: Layout,
    pub mcp_enabled: bool,
    pub dynamic_registration: bool,
    pub payload_logging: bool,
    pub four_eyes: bool,
    pub limits: Vec<NumberField>,
    pub lifetimes: Vec<NumberField>,
    pub mcp_url: String,
    pub notify: NotifyForm,
}

/// (name, label, help, min, max, getter, setter)
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
    fn(&ServerSettings) -> u32,
    fn(&mut ServerSettings, u32),
);

const LIMITS: &[Spec] = &[
    (
        "rate_per_minute",
        "Default rate limit (requests/min)",
        "For API-key connections without their own limit.",
        1,
        1_000_000,
        |s| s.rate_per_minute,
        |s, v| s.rate_per_minute = v,
    ),
    (
        "rate_per_day",
        "Default rate limit (requests/day)",
        "For API-key connections without their own limit.",
        1,
        1_000_000_000,
        |s| s.rate_per_day,
        |s, v| s.rate_per_day = v,
    ),
    (
        "idle_threshold_days",
        "Idle threshold (days)",
        "A connection silent longer than this shows as Idle (grey).",
        1,
        3650,
        |s| s.idle_threshold_days,
        |s, v| s.idle_threshold_days = v,
    ),
    (
        "approval_expiry_hours",
        "Default approval expiry (hours)",
        "Pending approvals expire after this unless the connection says otherwise.",
        1,
        8760,
        |s| s.approval_expiry_hours,
        |s, v| s.approval_expiry_hours = v,
    ),
    (
        "audit_retention_days",
        "Audit log retention (days)",
        "Older audit entries are deleted.",
        1,
        36500,
        |s| s.audit_retention_days,
        |s, v| s.audit_retention_days = v,
    ),
];

const LIFETIMES: &[Spec] = &[
    (
        "access_token_minutes",
        "Access token lifetime (minutes)",
        "OAuth access tokens expire after this.",
        1,
        10080,
        |s| s.access_token_minutes,
        |s, v| s.access_token_minutes = v,
    ),
    (
        "refresh_token_days",
        "Refresh token lifetime (days)",
        "OAuth refresh tokens expire after this.",
        1,
        3650,
        |s| s.refresh_token_days,
        |s, v| s.refresh_token_days = v,
    ),
    (
        "refresh_grace_seconds",
        "Refresh grace window (seconds)",
        "A just-rotated refresh token still works this long (retries over flaky networks).",
        0,
        3600,
        |s| s.refresh_grace_seconds,
        |s, v| s.refresh_grace_seconds = v,
    ),
];

fn fields(specs: &[Spec], s: &ServerSettings) -> Vec<NumberField> {
    specs
        .iter()
        .map(|&(name, label, help, min, max, get, _)| NumberField {
            name,
            label,
            help,
            value: get(s).to_string(),
            min,
            max,
            error: None,
        })
        .collect()
}

pub(super) fn settings_page(
    user: &CurrentUser,
    state: &AppState,
    s: &ServerSettings,
) -> SettingsPage {
    SettingsPage {
        layout: Layout::new(user, Tab::Settings, "Server Settings"),
        mcp_enabled: s.mcp_enabled,
        dynamic_registration: s.dynamic_registration,
        payload_logging: s.payload_logging,
        four_eyes: s.four_eyes,
        limits: fields(LIMITS, s),
        lifetimes: fields(LIFETIMES, s),
        mcp_url: state.urls.mcp.clone(),
        notify: NotifyForm::default(),
    }
}

pub(super) async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let s = state.settings.get(&state.store).await?;
    let mut page = settings_page(&user, &state, &s);
    page.notify = NotifyForm {
        deliveries: deliveries(&state.store).await?,
        ..NotifyForm::stored(&Config::load(&state.store).await?)
    };
    render(&page)
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    Post { user, form }: Post<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let flag = |name: &str| form.get(name).is_some_and(|v| v == "on" || v == "true");
    let mut s = ServerSettings {
        mcp_enabled: flag("mcp_enabled"),
        dynamic_registration: flag("dynamic_registration"),
        payload_logging: flag("payload_logging"),
        four_eyes: flag("four_eyes"),
        ..state.settings.get(&state.store).await?
    };
    let mut limits = fields(LIMITS, &s);
    let mut lifetimes = fields(LIFETIMES, &s);
    let mut bad = 0;
    for (specs, shown) in [(LIMITS, &mut limits), (LIFETIMES, &mut lifetimes)] {
        for (&(name, _, _, min, max, _, set), field) in specs.iter().zip(shown.iter_mut()) {
            let typed = form
                .get(name)
                .map(|v| v.trim().replace(['_', ','], ""))
                .unwrap_or_default();
            match typed.parse::<u32>() {
                Ok(v) if (min..=max).contains(&v) => set(&mut s, v),
                _ => {
                    bad += 1;
                    field.error = Some(format!(
                        "Enter a whole number from {min} to {max} ('{}' is not).",
                        typed.chars().take(30).collect::<String>()
                    ));
                }
            }
            field.value = typed;
        }
    }
    if bad > 0 {
        let mut page = settings_page(&user, &state, &s);
        page.notify = NotifyForm::stored(&Config::load(&state.store).await?);
        page.limits = limits;
        page.lifetimes = lifetimes;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    state.settings.save(&state.store, &s).await?;
    tracing::info!(by = %user.user.login, mcp_enabled = s.mcp_enabled, "server settings saved");
    user.flash(
        &state,
        "Server Settings saved. They apply from the next request.",
    )
    .await?;
    Ok(see_other("/console/settings"))
}
