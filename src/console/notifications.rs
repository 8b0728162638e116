//! Server Settings' notifications form: the webhook URL, the events sent, and the signing
//! secret — generated here, shown once, stored sealed.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::ExposeSecret;

use super::admin::settings_page;
use super::notify_form::{NotifyForm, boxes, deliveries, formats};
use crate::notify::{self, Config, Format, Kind};
use crate::state::AppState;
use crate::web::session::Post;
use crate::web::{PageError, render, render_status};

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
    let typed_format = form.get("notify_format").map_or("standard", |f| f.as_str());
    let parsed = notify::parse_url(typed_url).and_then(|url| {
        let format = typed_format.parse::<Format>()?;
        if let Some(url) = &url {
            notify::check_format(url, format)?;
        }
        Ok((url, format))
    });
    let (url, format) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            page.notify = NotifyForm {
                url: typed_url.chars().take(2048).collect(),
                events: boxes(|k| events.contains(&k)),
                formats: formats(typed_format.parse().unwrap_or(stored.format)),
                deliveries: deliveries(&state.store).await?,
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
        (notify::FORMAT_SETTING, format.as_str()),
    ];
    if let Some((_, sealed)) = &fresh {
        pairs.push((notify::SECRET_SETTING, sealed.as_str()));
    }
    state.store.put_settings(&pairs).await?;
    tracing::info!(by = %user.user.login, events = %events_text, format = format.as_str(),
        new_secret = fresh.is_some(),
        "notification settings saved");
    page.notify = NotifyForm {
        new_secret: fresh.map(|(text, _)| text.expose_secret().to_owned()),
        deliveries: deliveries(&state.store).await?,
        ..NotifyForm::stored(&Config::load(&state.store).await?)
    };
    render(&page)
}
