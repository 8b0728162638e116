//! One connection: the form (status pill, Key/OAuth Info, Permissions, Approvals, IP
//! Restrictions, Rate Limits, Statistics & Notes), its save, and the actions Rotate Key, Rotate
//! Secret, Revoke and Reactivate, with the one-time page that shows a new key.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::form::{ConnectionInput, FieldErrors};
use super::list::user_label;
use super::snippets::{self, Snippet};
use super::{Layout, Tab, dashboard};
use crate::calls::saved;
use crate::catalog;
use crate::clock::format_utc;
use crate::connections::{self, Connection, Kind, Policy, Status};
use crate::settings::ServerSettings;
use crate::state::AppState;
use crate::store::{OAuthClientRow, OdooUserRow};
use crate::values::{self, ClientType};
use crate::web::session::{self, CurrentUser, Post};
use crate::web::{PageError, render, render_status, see_other};

/// What the form shows about a connection besides the editable fields.
pub(super) struct View {
    pub id: i64,
    pub name: String,
    pub is_api_key: bool,
    pub kind_label: &'static str,
    pub status_key: &'static str,
    pub status_label: &'static str,
    /// "for X days, Y hours" when Idle.
    pub idle_for: Option<String>,
    pub revoked: bool,
    pub user: String,
    pub scope: &'static str,
    pub key_prefix: String,
    pub client_id: String,
    pub confidential: bool,
    pub redirect_uris: Vec<String>,
    pub dynamic: bool,
    pub created: String,
    pub last_used: String,
    pub requests: i64,
}

impl View {
    fn new(c: &Connection, oauth: Option<&OAuthClientRow>, s: &ServerSettings, now: i64) -> Self {
        let status = c.status(s.idle_after(), now);
        Self {
            id: c.id,
            name: c.name.clone(),
            is_api_key: c.kind == Kind::ApiKey,
            kind_label: c.kind.label(),
            status_key: status.key(),
            status_label: status.label(),
            idle_for: (status == Status::Idle)
                .then(|| c.last_used_at.map(|at| connections::idle_for(at, now)))
                .flatten(),
            revoked: status == Status::Revoked,
            user: user_label(c),
            scope: c.scope.label(),
            key_prefix: c
                .key_prefix
                .as_ref()
                .map(|p| format!("{p}…"))
                .unwrap_or_default(),
            client_id: oauth.map(|o| o.client_id.clone()).unwrap_or_default(),
            confidential: oauth.is_some_and(|o| o.client_type == ClientType::Confidential),
            redirect_uris: oauth
                .map(|o| {
                    values::entries(&o.redirect_uris)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            dynamic: oauth.is_some_and(|o| o.dynamic != 0),
            created: format_utc(c.created_at),
            last_used: c
                .last_used_at
                .map_or_else(|| "Never".to_owned(), format_utc),
            requests: c.request_count,
        }
    }
}

pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "connection.html")]
pub(super) struct FormPage {
    pub layout: Layout,
    pub c: View,
    pub input: ConnectionInput,
    pub errors: FieldErrors,
    pub editable: bool,
    pub approvers: Vec<Choice>,
    pub tools: Vec<&'static str>,
    pub defaults: ServerSettings,
    /// The last 30 days' requests by outcome (an SVG chart) and their total.
    pub activity_chart: String,
    pub activity_total: i64,
}

/// The connection `id` if this user may see it; someone else's is "not found" to an MCP User.
pub(super) async fn visible(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Connection, PageError> {
    let c = connections::get(&state.store, id).await?;
    if user.can_see(&c) {
        Ok(c)
    } else {
        Err(PageError::NotFound)
    }
}

/// Linked users with a console role: the possible approvers.
async fn approvers(state: &AppState) -> Result<Vec<OdooUserRow>, PageError> {
    Ok(state
        .store
        .list_odoo_users()
        .await?
        .into_iter()
        .filter(|u| u.role.is_some())
        .collect())
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    c: &Connection,
    input: ConnectionInput,
    errors: FieldErrors,
) -> Result<FormPage, PageError> {
    let settings = state.settings.get(&state.store).await?;
    let oauth = state.store.get_oauth_client(c.id).await?;
    let choices = approvers(state)
        .await?
        .into_iter()
        .map(|u| Choice {
            selected: input.text.approver == u.id.to_string(),
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.login),
        })
        .collect();
    let (activity_chart, activity_total) =
        dashboard::connection_chart(&state.store, state.clock.now(), c.id).await?;
    Ok(FormPage {
        activity_chart,
        activity_total,
        layout: Layout::new(user, Tab::Connections, &c.name),
        c: View::new(c, oauth.as_ref(), &settings, state.clock.now()),
        input,
        errors,
        editable: user.is_admin(),
        approvers: choices,
        tools: catalog::CATALOG.iter().map(|t| t.name).collect(),
        defaults: settings,
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    let input = ConnectionInput::from_connection(&c);
    render(&form_page(&state, &user, &c, input, FieldErrors::default()).await?)
}

pub(super) async fn save(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, form }: Post<ConnectionInput>,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let c = visible(&state, &user, id).await?;
    let four_eyes = state.settings.get(&state.store).await?.four_eyes;
    let own_user = c.odoo_user_id.filter(|_| four_eyes);
    let parsed = match form.parse(&approvers(&state).await?, own_user) {
        Ok(parsed) => check_limits(&state, &c, parsed).await,
        Err(errors) => Err(errors),
    };
    match parsed {
        Ok((description, policy)) => {
            state.store.update_policy(id, &description, &policy).await?;
            user.flash(&state, &format!("Saved “{}”.", c.name)).await?;
            Ok(see_other(&format!("/console/connections/{id}")))
        }
        Err(errors) => {
            let page = form_page(&state, &user, &c, form, *errors).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The form's Record and Field limits checked against Odoo when they changed (a save that
/// leaves them as they were does not need Odoo to be reachable).
async fn check_limits(
    state: &AppState,
    c: &Connection,
    (description, policy): (String, Policy),
) -> Result<(String, Policy), Box<FieldErrors>> {
    let unchanged = policy.record_limits == c.policy.record_limits
        && policy.field_limits == c.policy.field_limits;
    if unchanged {
        return Ok((description, policy));
    }
    let proposed = Connection {
        policy: policy.clone(),
        ..c.clone()
    };
    let errors = saved::check(state, proposed).await;
    if errors.is_empty() {
        return Ok((description, policy));
    }
    Err(Box::new(FieldErrors {
        record_limits: errors.record_limits,
        field_limits: errors.field_limits,
        ..FieldErrors::default()
    }))
}

#[derive(Template)]
#[template(path = "rotate.html")]
pub(super) struct RotatePage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
}

pub(super) async fn rotate_confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    if c.kind != Kind::ApiKey {
        return Err(PageError::NotFound);
    }
    render(&RotatePage {
        layout: Layout::new(&user, Tab::Connections, "Rotate key"),
        id,
        name: c.name,
    })
}

#[derive(Deserialize)]
pub(super) struct NoFields {}

pub(super) async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, .. }: Post<NoFields>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    if c.kind != Kind::ApiKey {
        return Err(PageError::NotFound);
    }
    let issued = connections::rotate_key(&state.store, &state.keyring, id).await?;
    tracing::info!(connection_id = id, by = %user.user.login, "key rotated in the console");
    session::stash_reveal(&state, &user, id, &[issued.key.expose_secret()]).await?;
    user.flash(
        &state,
        "Key rotated: the old key no longer works. Copy the new one now.",
    )
    .await?;
    Ok(see_other(&format!("/console/connections/{id}/issued")))
}

pub(super) async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, .. }: Post<NoFields>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    let oauth = state.store.get_oauth_client(id).await?;
    let confidential = oauth
        .as_ref()
        .is_some_and(|o| o.client_type == ClientType::Confidential);
    if c.kind != Kind::OAuth || !confidential {
        return Err(PageError::NotFound);
    }
    let secret = connections::rotate_client_secret(&state.store, &state.keyring, id).await?;
    let client_id = oauth.map(|o| o.client_id).unwrap_or_default();
    session::stash_reveal(&state, &user, id, &[&client_id, secret.expose_secret()]).await?;
    user.flash(
        &state,
        "Client secret rotated: the old secret no longer works.",
    )
    .await?;
    Ok(see_other(&format!("/console/connections/{id}/issued")))
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, .. }: Post<NoFields>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    connections::revoke(&state.store, id, state.clock.now(), user.actor()).await?;
    tracing::info!(connection_id = id, by = %user.user.login, "connection revoked in the console");
    user.flash(
        &state,
        &format!("Revoked “{}”: its next request is refused.", c.name),
    )
    .await?;
    Ok(see_other(&format!("/console/connections/{id}")))
}

pub(super) async fn reactivate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, .. }: Post<NoFields>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    connections::reactivate(&state.store, id, user.actor()).await?;
    tracing::info!(connection_id = id, by = %user.user.login, "connection reactivated in the console");
    user.flash(&state, &format!("Reactivated “{}”.", c.name))
        .await?;
    Ok(see_other(&format!("/console/connections/{id}")))
}

#[derive(Template)]
#[template(path = "issued.html")]
pub(super) struct IssuedPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub mcp_url: String,
    /// API key, shown once.
    pub key: Option<String>,
    /// OAuth client id and (confidential clients) secret.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub snippets: Vec<Snippet>,
    /// The secret was shown already (reload, back button).
    pub gone: bool,
}

pub(super) async fn issued(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    // The key is shown once: another site linking here must not be the one to use that up.
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site" || v.as_bytes() == b"same-site");
    let revealed = if cross_site {
        None
    } else {
        session::take_reveal(&state, &user, id).await?
    };
    let mut page = IssuedPage {
        layout: Layout::new(&user, Tab::Connections, &c.name),
        id,
        name: c.name.clone(),
        mcp_url: state.urls.mcp.clone(),
        key: None,
        client_id: None,
        client_secret: None,
        snippets: Vec::new(),
        gone: revealed.is_none(),
    };
    match (c.kind, revealed.as_deref()) {
        (Kind::ApiKey, Some([key, ..])) => {
            page.snippets = snippets::for_api_key(&state.urls.mcp, key);
            page.key = Some(key.clone());
        }
        (Kind::OAuth, Some([client_id, rest @ ..])) => {
            page.client_id = Some(client_id.clone());
            page.client_secret = rest.first().cloned();
        }
        _ => page.gone = true,
    }
    render(&page)
}
