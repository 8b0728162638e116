//! The authorization endpoint: verify the client and its redirect URI (until both are verified,
//! errors are an HTML page, never a redirect), check PKCE, resource and scope (errors from here
//! go back to the client with `state` and `iss`), make sure someone is signed in, show the
//! consent page, and on Allow bind the connection to that Odoo user and issue a code.
//!
//! The consent form carries the whole authorization request; the POST checks it again from
//! scratch, so nothing unverified is ever trusted from the form.
//!
//! Who is signed in is the console's session ([`CurrentUser`]): without one, the GET sends the
//! browser to `/console/login?next=<this authorize URL>`, which comes back here after sign-in;
//! a person without an MCP role gets the console's "ask an administrator" page. The consent
//! POST carries the session's CSRF token in its `csrf` field, checked like every console form.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;

use super::clients::{self, Client, LookupError};
use super::error::{Error, ErrorPage, no_store};
use super::pages::{self, ConsentTemplate};
use super::pkce::CodeChallenge;
use super::tokens::{self, CODE_TTL};
use super::{Params, is_our_resource, scope};
use crate::audit::outcome;
use crate::connections::{self, ClientType, OAuthClientSpec, Scope, redirect};
use crate::state::AppState;
use crate::store::{NewCode, OdooUserRow};
use crate::web::PageError;
use crate::web::audited::{Ended, Note};
use crate::web::session::CurrentUser;

const PATH: &str = "/oauth/authorize";
/// The parameters of an authorization request, carried through the consent form.
const REQUEST_FIELDS: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "state",
    "scope",
    "resource",
];

/// A request whose client and redirect URI are verified: errors may now go back to the client.
struct Verified {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
}

/// What the client asks for, checked.
struct Terms {
    challenge: CodeChallenge,
    scope: Scope,
    resource: String,
}

pub(super) async fn show(State(state): State<AppState>, mut parts: Parts) -> Response {
    let note = Note::of(&parts.extensions);
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let (verified, terms) = match validate(&state, query.as_bytes()).await {
        Ok(valid) => valid,
        Err(response) => return response,
    };
    note.connection(verified.client.connection.map(|c| c.id));
    // No session: the console's sign-in, back to this very URL (path and query) afterwards.
    let current = match CurrentUser::from_request_parts(&mut parts, &state).await {
        Ok(current) => current,
        Err(e) => return refused(e),
    };
    note.user(&current.user.login);
    if let Err(refusal) = may_consent(&state, &verified.client, &current.user).await {
        return refusal;
    }
    let params = Params::parse(query.as_bytes()).unwrap_or_default();
    consent_page(&verified, &terms, &current, &params)
}

pub(super) async fn decide(
    State(state): State<AppState>,
    mut parts: Parts,
    body: Bytes,
) -> Response {
    let note = Note::of(&parts.extensions);
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(m) => return ErrorPage::bad_request(m).into_response(),
    };
    let current = match CurrentUser::from_request_parts(&mut parts, &state).await {
        Ok(current) => current,
        // The session ended while the consent page was open: sign in again, then back to the
        // same authorization request (checked again from scratch by the GET).
        Err(PageError::SignInRequired { .. }) => {
            return Redirect::to(&crate::web::login_url(&authorize_path(&params))).into_response();
        }
        Err(e) => return refused(e),
    };
    note.user(&current.user.login);
    if let Err(e) = current.check_csrf(params.get("csrf").unwrap_or("")) {
        return refused(e);
    }
    let (verified, terms) = match validate(&state, &body).await {
        Ok(valid) => valid,
        Err(response) => return response,
    };
    note.connection(verified.client.connection.map(|c| c.id));
    if let Err(refusal) = may_consent(&state, &verified.client, &current.user).await {
        return refusal;
    }
    if params.get("decision") != Some("allow") {
        let denied = Error::AccessDenied("The user did not allow access.".into());
        return denied.into_redirect(
            &verified.redirect_uri,
            verified.state.as_deref(),
            &state.urls.public,
        );
    }
    match allow(&state, &verified, &terms, &current.user, &note).await {
        Ok(response) => response,
        Err(page) => page.into_response(),
    }
}

/// The GET form of the authorization request carried by a consent form.
fn authorize_path(params: &Params) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for name in REQUEST_FIELDS {
        if let Some(value) = params.get(name) {
            query.append_pair(name, value);
        }
    }
    format!("{PATH}?{}", query.finish())
}

/// A console refusal (no role, a stale CSRF token) as its page, marked for the audit log.
fn refused(e: PageError) -> Response {
    let ended = match &e {
        PageError::SignInRequired { .. } => None,
        PageError::NoRole { .. } => Some("The Odoo user has no MCP role."),
        PageError::Csrf => Some("The consent form's CSRF token is not this session's."),
        _ => Some("The sign-in could not be checked."),
    };
    let denied = !matches!(e, PageError::Internal(_));
    let mut response = e.into_response();
    if let Some(message) = ended {
        let outcome = if denied {
            outcome::DENIED
        } else {
            outcome::ERROR
        };
        response
            .extensions_mut()
            .insert(Ended::new(outcome, message));
    }
    response
}

/// Both halves of validation, with each failure already turned into its response.
async fn validate(state: &AppState, encoded: &[u8]) -> Result<(Verified, Terms), Response> {
    let params = Params::parse(encoded).map_err(|m| ErrorPage::bad_request(m).into_response())?;
    let verified = verify(state, &params)
        .await
        .map_err(IntoResponse::into_response)?;
    match terms(state, &params) {
        Ok(terms) => Ok((verified, terms)),
        Err(e) => Err(e.into_redirect(
            &verified.redirect_uri,
            verified.state.as_deref(),
            &state.urls.public,
        )),
    }
}

/// The client exists and is usable, and the redirect URI is one of its own.
async fn verify(state: &AppState, params: &Params) -> Result<Verified, ErrorPage> {
    let client_id = params.get("client_id").ok_or_else(|| {
        ErrorPage::bad_request("The request does not name an application (client_id).")
    })?;
    let client = clients::find(state, client_id).await.map_err(|e| match e {
        LookupError::Store(e) => ErrorPage::internal(e),
        other => ErrorPage::bad_request(other.to_string()),
    })?;
    if client.connection.is_some_and(|c| c.revoked) {
        return Err(revoked_page());
    }
    let redirect_uri = match params.get("redirect_uri") {
        Some(requested) => {
            redirect::find_match(&client.redirect_uris, requested).map(|_| requested.to_owned())
        }
        // Optional only when there is exactly one, fixed, registered URI (RFC 6749 §3.1.2.3).
        None => match client.redirect_uris.as_slice() {
            [only] if !only.starts_with("http://") => Some(only.clone()),
            _ => None,
        },
    };
    let redirect_uri = redirect_uri.ok_or_else(|| {
        ErrorPage::bad_request(
            "The address this request would return to is not registered for the application, \
             so you were not sent there.",
        )
    })?;
    Ok(Verified {
        client,
        redirect_uri,
        state: params.get("state").map(str::to_owned),
    })
}

fn terms(state: &AppState, params: &Params) -> Result<Terms, Error> {
    if params.get("response_type") != Some("code") {
        return Err(Error::UnsupportedResponseType(
            "Only response_type=code is supported.".into(),
        ));
    }
    let challenge = CodeChallenge::parse(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(|e| Error::InvalidRequest(e.to_string()))?;
    let resource = match params.get("resource") {
        Some(r) if !is_our_resource(r, &state.urls.mcp) => {
            return Err(Error::InvalidTarget(format!(
                "This server issues tokens only for {}.",
                state.urls.mcp
            )));
        }
        _ => state.urls.mcp.clone(),
    };
    Ok(Terms {
        challenge,
        scope: scope::requested(params.get("scope")),
        resource,
    })
}

/// Whether this person (signed in, so with an MCP role) may consent for this client: a
/// registered client already acting as someone else is not handed over.
async fn may_consent(
    state: &AppState,
    client: &Client,
    user: &OdooUserRow,
) -> Result<(), Response> {
    if let Some(bound) = client.connection.and_then(|c| c.odoo_user_id)
        && bound != user.id
    {
        return Err(ErrorPage::new(
            StatusCode::FORBIDDEN,
            "Already connected as someone else",
            "This application registration already acts as another Odoo user. Connect again \
             from the application to create a connection of your own.",
        )
        .into_response());
    }
    if client.connection.is_none() {
        let existing = state
            .store
            .find_document_client(&client.client_id, user.id)
            .await
            .map_err(|e| ErrorPage::from(e).into_response())?;
        if existing.is_some_and(|row| row.revoked_at.is_some()) {
            return Err(revoked_page().into_response());
        }
    }
    Ok(())
}

fn consent_page(
    verified: &Verified,
    terms: &Terms,
    current: &CurrentUser,
    params: &Params,
) -> Response {
    let (scope_label, scope_help) = scope::describe(terms.scope);
    let fields = REQUEST_FIELDS
        .iter()
        .filter_map(|name| params.get(name).map(|v| (*name, v.to_owned())))
        .collect();
    let redirect_host = redirect::display_host(&verified.redirect_uri);
    let loopback_only =
        url::Url::parse(&verified.redirect_uri).is_ok_and(|u| redirect::is_loopback(&u));
    pages::render(
        StatusCode::OK,
        &ConsentTemplate {
            action: PATH,
            client_name: &verified.client.name,
            dynamic: verified.client.dynamic,
            client_host: verified.client.document_host.as_deref(),
            redirect_host: &redirect_host,
            loopback_only,
            scope_label,
            scope_help,
            user_name: &current.user.name,
            user_login: &current.user.login,
            fields,
            csrf: &current.csrf,
        },
    )
}

/// Allow: bind the connection to the user, issue a single-use code, go back to the client.
async fn allow(
    state: &AppState,
    verified: &Verified,
    terms: &Terms,
    user: &OdooUserRow,
    note: &Note,
) -> Result<Response, ErrorPage> {
    let now = state.clock.now();
    let client = &verified.client;
    let connection_id = match client.connection {
        Some(c) => {
            let bound =
                connections::bind_oauth_client(&state.store, c.id, user.id, terms.scope, now)
                    .await
                    .map_err(ErrorPage::internal)?;
            if !bound {
                return Err(ErrorPage::bad_request(
                    "This application registration already acts as another Odoo user.",
                ));
            }
            c.id
        }
        None => document_connection(state, client, user, terms.scope, now).await?,
    };
    note.connection(Some(connection_id));
    let (code, hash) = tokens::new_code(state).map_err(ErrorPage::from)?;
    let family_id = tokens::new_family_id();
    let new = NewCode {
        code_hash: &hash,
        connection_id,
        client_id: &client.client_id,
        redirect_uri: &verified.redirect_uri,
        code_challenge: terms.challenge.as_str(),
        scope: scope::granted(terms.scope),
        resource: &terms.resource,
        family_id: &family_id,
        expires_at: now + CODE_TTL,
    };
    state.store.insert_code(&new, now).await?;
    tracing::info!(connection = connection_id, user = %user.login, "OAuth consent given");
    let mut url = url::Url::parse(&verified.redirect_uri)
        .map_err(|_| ErrorPage::bad_request("The redirect address is not a valid URL."))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("code", code.expose_secret());
        if let Some(s) = &verified.state {
            query.append_pair("state", s);
        }
        query.append_pair("iss", &state.urls.public);
    }
    Ok(no_store(Redirect::to(url.as_str()).into_response()))
}

/// A metadata-document client has one connection per user: found, or created at first consent.
async fn document_connection(
    state: &AppState,
    client: &Client,
    user: &OdooUserRow,
    scope: Scope,
    now: i64,
) -> Result<i64, ErrorPage> {
    let existing = state
        .store
        .find_document_client(&client.client_id, user.id)
        .await?;
    if let Some(row) = existing {
        connections::bind_oauth_client(&state.store, row.connection_id, user.id, scope, now)
            .await
            .map_err(ErrorPage::internal)?;
        return Ok(row.connection_id);
    }
    let spec = OAuthClientSpec {
        name: &client.name,
        client_type: ClientType::Public,
        redirect_uris: &client.redirect_uris,
        dynamic: true,
        metadata_url: Some(&client.client_id),
        odoo_user_id: Some(user.id),
        scope,
    };
    let issued = connections::create_oauth_client(&state.store, &state.keyring, &spec, now)
        .await
        .map_err(ErrorPage::internal)?;
    Ok(issued.connection_id)
}

fn revoked_page() -> ErrorPage {
    ErrorPage::new(
        StatusCode::FORBIDDEN,
        "This connection has been revoked",
        "An administrator revoked this application's access. Ask them to reactivate it, or \
         connect again from the application.",
    )
}
