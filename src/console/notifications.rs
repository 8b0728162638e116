//! Server Settings' notifications form: the webhook URL, the events sent, and the signing
//! secret — generated here, shown once, stored sealed.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::ExposeSecret;

use super::admin::settings_page;
use crate::notify::{self, Config, Kind};
use crate::state::AppState;
use crate::web::session::Post;
use crate::web::{PageError, render, render_status};

/// One event's checkbox.
pub(super) struct EventBox {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The form as shown: stored values, or what was typed with its error.
pub(super) struct NotifyForm {
    pub url: String,
    pub events: Vec<EventBox>,
    pub has_secret: bool,
    pub error: Option<String>,
    /// The secret just generated: on this page only, never again.
    pub new_secret: Option<String>,
}

impl Default for NotifyForm {
    fn default() -> Self {
        Self::stored(&Config::default())
    }
}

impl NotifyForm {
    pub(super) fn stored(config: &Config) -> Self {
        Self {
            url: config
                .url
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            events: boxes(|k| config.events.contains(&k)),
            has_secret: config.sealed_secret.is_some(),
            error: None,
            new_secret: None,
        }
    }
}

fn boxes(checked: impl Fn(Kind) -> bool) -> Vec<EventBox> {
    Kind::ALL
        .into_iter()
        .map(|k| EventBox {
            name: k.as_str(),
            label: k.label(),
            checked: checked(k),
        })
        .collect()
}

/// Saves the form; a new secret (the first save, or asked for) is shown once on the page.
pub(super) async fn save(
    State(state): State<AppState>,
    Post { user, form }: Post<HashMap<String, String>>,
) -> Result<Response, PageError> {
    user.require_admin()?;
    let typed_url = form.get("notify_url").map(|u| u.trim()).unwrap_or_default();
    let events: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| {
            form.get(&format!("event:{}", k.as_str()))
                .is_some_and(|v| v == "on")
        })
        .collect();
    let settings = state.settings.get(&state.store).await?;
    let stored = Config::load(&state.store).await?;
    let mut page = settings_page(&user, &state, &settings);
    let url = match notify::parse_url(typed_url) {
        Ok(url) => url,
        Err(e) => {
            page.notify = NotifyForm {
                url: typed_url.chars().take(2048).collect(),
                events: boxes(|k| events.contains(&k)),
                error: Some(e.to_string()),
                ..NotifyForm::stored(&stored)
            };
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let regenerate = form.get("regenerate").is_some_and(|v| v == "on");
    let fresh = match (url.is_some(), stored.sealed_secret.is_none() || regenerate) {
        (true, true) => Some(notify::new_secret(&state.keyring).map_err(PageError::internal)?),
        _ => None,
    };
    let url_text = url.as_ref().map(|u| u.to_string()).unwrap_or_default();
    let events_text = notify::events_text(&events);
    let mut pairs = vec![
        (notify::URL_SETTING, url_text.as_str()),
        (notify::EVENTS_SETTING, events_text.as_str()),
    ];
    if let Some((_, sealed)) = &fresh {
        pairs.push((notify::SECRET_SETTING, sealed.as_str()));
    }
    state.store.put_settings(&pairs).await?;
    tracing::info!(by = %user.user.login, events = %events_text, new_secret = fresh.is_some(),
        "notification settings saved");
    page.notify = NotifyForm {
        new_secret: fresh.map(|(text, _)| text.expose_secret().to_owned()),
        ..NotifyForm::stored(&Config::load(&state.store).await?)
    };
    render(&page)
}
