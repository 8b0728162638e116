//! Discovery documents: RFC 9728 protected-resource metadata (for `/mcp`) and RFC 8414
//! authorization-server metadata. The issuer is the public base URL, path-less, so its
//! metadata lives at the root well-known URL and `iss` equals it character for character.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::scope;
use crate::state::AppState;

/// `resource` is the MCP URL exactly: clients compare it with the URL they were given.
pub(super) async fn protected_resource(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "resource": state.urls.mcp,
        "authorization_servers": [state.urls.public],
        "scopes_supported": scope::SUPPORTED,
        "bearer_methods_supported": ["header"],
        "resource_name": "Odoo MCP Gateway",
    }))
}

pub(super) async fn authorization_server(State(state): State<AppState>) -> Response {
    let registration = match state.settings.get(&state.store).await {
        Ok(settings) => settings.dynamic_registration,
        Err(e) => return super::Error::from(e).into_response(),
    };
    Json(document(&state.urls.public, registration)).into_response()
}

/// With dynamic registration switched off the endpoint is left out, so clients go on to a
/// client ID metadata document or ask their user for a client id.
fn document(issuer: &str, registration: bool) -> Value {
    let auth_methods = ["none", "client_secret_post", "client_secret_basic"];
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": scope::SUPPORTED,
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    });
    if registration {
        doc["registration_endpoint"] = json!(format!("{issuer}/oauth/register"));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_document_advertises_what_mcp_clients_look_for() {
        let doc = document("https://gw.example", true);
        assert_eq!(doc["issuer"], "https://gw.example");
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["client_id_metadata_document_supported"], true);
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert!(
            doc["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("none"))
        );
        assert_eq!(
            doc["registration_endpoint"],
            "https://gw.example/oauth/register"
        );
        assert!(
            document("https://gw.example", false)
                .get("registration_endpoint")
                .is_none()
        );
    }
}
