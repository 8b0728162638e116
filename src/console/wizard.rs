//! "Connect a New Tool" (administrators only): three cards — Browser login (the MCP URL to
//! paste), API key (created here, shown once with snippets), Custom OAuth (a stored client).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::connection::Choice;
use super::{Layout, Tab};
use crate::connections::{self, ClientType, Scope, templates};
use crate::state::AppState;
use crate::web::session::{self, CurrentUser, Post};
use crate::web::{PageError, render, render_status, see_other};

#[derive(Template)]
#[template(path = "wizard.html")]
pub(super) struct ChoosePage {
    pub layout: Layout,
}

pub(super) async fn choose(user: CurrentUser) -> Result<Response, PageError> {
    user.require_admin()?;
    render(&ChoosePage {
        layout: Layout::new(&user, Tab::New, "Connect a New Tool"),
    })
}

#[derive(Template)]
#[template(path = "wizard_browser.html")]
pub(super) struct BrowserPage {
    pub layout: Layout,
    pub mcp_url: String,
}

pub(super) async fn browser(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require_admin()?;
    render(&BrowserPage {
        layout: Layout::new(&user, Tab::New, "Browser login"),
        mcp_url: state.urls.mcp.clone(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ApiKeyInput {
    pub name: String,
    pub user: String,
    pub scope: String,
    /// A policy template's name (see `connections::templates`), or empty for none.
    pub template: String,
}

#[derive(Debug, Default)]
pub(super) struct ApiKeyErrors {
    pub name: Option<String>,
    pub user: Option<String>,
    pub scope: Option<String>,
    pub template: Option<String>,
}

#[derive(Template)]
#[template(path = "wizard_api_key.html")]
pub(super) struct ApiKeyPage {
    pub layout: Layout,
    pub input: ApiKeyInput,
    pub users: Vec<Choice>,
    pub templates: Vec<Choice>,
    pub errors: ApiKeyErrors,
    pub mcp_url: String,
}

async fn api_key_page(
    state: &AppState,
    user: &CurrentUser,
    input: ApiKeyInput,
    errors: ApiKeyErrors,
) -> Result<ApiKeyPage, PageError> {
    let users = state
        .store
        .list_odoo_users()
        .await?
        .into_iter()
        .map(|u| Choice {
            selected: u.login == input.user,
            label: format!("{} ({})", u.name, u.login),
            value: u.login,
        })
        .collect();
    let templates = templates::TEMPLATES
        .iter()
        .map(|t| Choice {
            value: t.name.to_owned(),
            label: format!("{} — {}", t.name, t.summary),
            selected: t.name == input.template,
        })
        .collect();
    Ok(ApiKeyPage {
        layout: Layout::new(user, Tab::New, "New API key"),
        input,
        users,
        templates,
        errors,
        mcp_url: state.urls.mcp.clone(),
    })
}

pub(super) async fn api_key_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let input = ApiKeyInput {
        user: user.user.login.clone(),
        scope: "full".into(),
        ..Default::default()
    };
    render(&api_key_page(&state, &user, input, ApiKeyErrors::default()).await?)
}

pub(super) async fn api_key_create(
    State(state): State<AppState>,
    Post { user, form }: Post<ApiKeyInput>,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let mut errors = ApiKeyErrors::default();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        errors.name = Some(
            "Give the connection a name (1 to 120 characters), e.g. “Cursor on Anna's laptop”."
                .into(),
        );
    }
    let scope = Scope::parse(&form.scope).ok();
    if scope.is_none() {
        errors.scope = Some("Choose Full Access or Read Only.".into());
    }
    if state
        .store
        .find_odoo_user(form.user.trim())
        .await?
        .is_none()
    {
        errors.user = Some(
            "Choose a linked Odoo user. A user appears here once they have signed in to the console or been linked with `user link`."
                .into(),
        );
    }
    let template = match form.template.trim() {
        "" => None,
        name => templates::find(name),
    };
    if template.is_none() && !form.template.trim().is_empty() {
        errors.template = Some("Choose one of the templates, or none.".into());
    }
    let (Some(scope), None, None, None) = (scope, &errors.name, &errors.user, &errors.template)
    else {
        let page = api_key_page(&state, &user, form, errors).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let issued = connections::create_api_key(
        &state.store,
        &state.keyring,
        form.user.trim(),
        name,
        scope,
        state.clock.now(),
    )
    .await?;
    let id = issued.connection_id;
    if let Some(t) = template {
        // A template is the new connection's first policy; editing it later is the usual form.
        let policy = t
            .policy()
            .map_err(|e| PageError::internal(format!("template {} is invalid: {e:?}", t.name)))?;
        state.store.update_policy(id, "", &policy).await?;
    }
    tracing::info!(connection_id = id, by = %user.user.login, template = ?template.map(|t| t.name), "API key created in the console");
    session::stash_reveal(&state, &user, id, &[issued.key.expose_secret()]).await?;
    user.flash(
        &state,
        &format!("Created “{name}”. Copy the key now: it is shown only once."),
    )
    .await?;
    Ok(see_other(&format!("/console/connections/{id}/issued")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OAuthInput {
    pub name: String,
    pub client_type: String,
    pub redirect_uris: String,
}

#[derive(Debug, Default)]
pub(super) struct OAuthErrors {
    pub name: Option<String>,
    pub client_type: Option<String>,
    pub redirect_uris: Vec<String>,
}

#[derive(Template)]
#[template(path = "wizard_oauth.html")]
pub(super) struct OAuthPage {
    pub layout: Layout,
    pub input: OAuthInput,
    pub errors: OAuthErrors,
    pub mcp_url: String,
}

pub(super) async fn oauth_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require_admin()?;
    render(&OAuthPage {
        layout: Layout::new(&user, Tab::New, "New OAuth client"),
        input: OAuthInput {
            client_type: "confidential".into(),
            ..Default::default()
        },
        errors: OAuthErrors::default(),
        mcp_url: state.urls.mcp.clone(),
    })
}

/// Allowed redirect URIs: https anywhere, http only on loopback (RFC 8252), no fragments.
pub(super) fn redirect_uris(text: &str) -> Result<Vec<String>, Vec<String>> {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let problem = match url::Url::parse(line) {
            Err(_) => Some("is not an absolute URL"),
            Ok(u) if u.fragment().is_some() => Some("must not contain a #fragment"),
            Ok(u) if u.scheme() == "https" && u.host().is_some() => None,
            Ok(u)
                if u.scheme() == "http"
                    && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) =>
            {
                None
            }
            Ok(_) => {
                Some("must use https (http is allowed only for localhost, 127.0.0.1 and [::1])")
            }
        };
        match problem {
            None => ok.push(line.to_owned()),
            Some(p) => bad.push(format!(
                "Line {}: '{}' {p}.",
                i + 1,
                line.chars().take(80).collect::<String>()
            )),
        }
    }
    if ok.is_empty() && bad.is_empty() {
        bad.push("Enter at least one redirect URI, one per line.".into());
    }
    if bad.is_empty() { Ok(ok) } else { Err(bad) }
}

pub(super) async fn oauth_create(
    State(state): State<AppState>,
    Post { user, form }: Post<OAuthInput>,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let mut errors = OAuthErrors::default();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        errors.name =
            Some("Give the client a name (1 to 120 characters), e.g. “Support chatbot”.".into());
    }
    let client_type = match form.client_type.as_str() {
        "confidential" => Some(ClientType::Confidential),
        "public" => Some(ClientType::Public),
        _ => {
            errors.client_type = Some("Choose Confidential or Public.".into());
            None
        }
    };
    let uris = redirect_uris(&form.redirect_uris).unwrap_or_else(|bad| {
        errors.redirect_uris = bad;
        Vec::new()
    });
    let (Some(client_type), None, true) =
        (client_type, &errors.name, errors.redirect_uris.is_empty())
    else {
        let page = OAuthPage {
            layout: Layout::new(&user, Tab::New, "New OAuth client"),
            input: form,
            errors,
            mcp_url: state.urls.mcp.clone(),
        };
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let spec = connections::OAuthClientSpec {
        name,
        client_type,
        redirect_uris: &uris,
        dynamic: false,
        metadata_url: None,
        odoo_user_id: None,
        scope: connections::Scope::Full,
    };
    let issued =
        connections::create_oauth_client(&state.store, &state.keyring, &spec, state.clock.now())
            .await?;
    let id = issued.connection_id;
    tracing::info!(connection_id = id, by = %user.user.login, "OAuth client created in the console");
    let secret = issued
        .client_secret
        .as_ref()
        .map(|s| s.expose_secret().to_owned());
    let mut shown = vec![issued.client_id.as_str()];
    shown.extend(secret.as_deref());
    session::stash_reveal(&state, &user, id, &shown).await?;
    user.flash(&state, &format!("Created the OAuth client “{name}”."))
        .await?;
    Ok(see_other(&format!("/console/connections/{id}/issued")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_and_each_bad_line_is_named() {
        assert_eq!(
            redirect_uris("https://app.example.com/cb\n\nhttp://127.0.0.1:8765/callback").unwrap(),
            [
                "https://app.example.com/cb",
                "http://127.0.0.1:8765/callback"
            ]
        );
        let bad =
            redirect_uris("http://example.com/cb\nnot a url\nhttps://x.example/#f").unwrap_err();
        assert_eq!(bad.len(), 3);
        assert!(bad[0].starts_with("Line 1:") && bad[0].contains("https"));
        assert!(bad[1].starts_with("Line 2:"));
        assert!(redirect_uris("  ").is_err());
    }
}
