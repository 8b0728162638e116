//! The policy check page: a connection, a tool and its arguments (or a pasted JSON-RPC request)
//! walked through the governance pipeline by `policy::explain`, without calling Odoo.

use std::net::IpAddr;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::connection::visible;
use super::{Layout, Tab};
use crate::catalog::CATALOG;
use crate::connections;
use crate::policy::explain::{self, Explanation, Question};
use crate::state::AppState;
use crate::web::session::{CurrentUser, Post};
use crate::web::{PageError, render};

/// The check's form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckInput {
    pub tool: String,
    pub arguments: String,
    pub request: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "check.html")]
pub(super) struct CheckPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub input: CheckInput,
    pub tools: Vec<&'static str>,
    /// Why the input could not be checked.
    pub error: Option<String>,
    pub explanation: Option<Explanation>,
}

pub(super) async fn form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    render(&page(&user, id, c.name, CheckInput::default(), None, None))
}

pub(super) async fn run(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Post { user, form }: Post<CheckInput>,
) -> Result<Response, PageError> {
    let c = visible(&state, &user, id).await?;
    let settings = state.settings.get(&state.store).await?;
    let odoo_uid = connections::odoo_uid(&state.store, &c).await?;
    let asked = explain::read_call(&form.tool, &form.arguments, &form.request).and_then(
        |(tool, arguments)| {
            let ip = form.ip.trim();
            let client_ip = match ip {
                "" => None,
                text => Some(text.parse::<IpAddr>().map_err(|_| {
                    format!(
                        "'{}' is not an IP address.",
                        crate::catalog::validate::shorten(text)
                    )
                })?),
            };
            Ok(explain::explain(&Question {
                connection: &c,
                odoo_uid,
                settings: &settings,
                tool: &tool,
                arguments: &arguments,
                client_ip,
            }))
        },
    );
    let (error, explanation) = match asked {
        Ok(e) => (None, Some(e)),
        Err(e) => (Some(e), None),
    };
    render(&page(&user, id, c.name, form, error, explanation))
}

fn page(
    user: &CurrentUser,
    id: i64,
    name: String,
    input: CheckInput,
    error: Option<String>,
    explanation: Option<Explanation>,
) -> CheckPage {
    CheckPage {
        layout: Layout::new(user, Tab::Connections, "Policy check"),
        id,
        name,
        input,
        tools: CATALOG.iter().map(|t| t.name).collect(),
        error,
        explanation,
    }
}
