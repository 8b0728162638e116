//! What the authorization server refuses: each case gets its RFC error, and no token is issued.

use odoo_mcp_gateway::clock::{DAY_MS, MINUTE_MS};
use odoo_mcp_gateway::settings::ServerSettings;
use odoo_mcp_gateway::store::NewToken;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::oauth::{Flow, REDIRECT, VERIFIER, access, location, param, query, refresh_token};

fn assert_error(status: StatusCode, body: &Value, expected_status: StatusCode, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
}

/// The error an authorization request is sent back with (after a sign-in and consent page,
/// or straight away).
async fn redirected_error(flow: &Flow<'_>, url: &str) -> Vec<(String, String)> {
    let response = flow.consent(url, "allow").await;
    let location = location(&response);
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = query(&location);
    assert_eq!(param(&q, "code"), None, "no code is issued: {location}");
    assert_eq!(param(&q, "state"), Some("st-123"));
    assert_eq!(param(&q, "iss"), Some(flow.app.base.as_str()));
    q
}

#[tokio::test]
async fn pkce_missing_or_plain_is_refused_at_authorize() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    for changes in [
        vec![("code_challenge", None), ("code_challenge_method", None)],
        vec![("code_challenge_method", Some("plain"))],
        vec![("code_challenge_method", None)],
        vec![
            ("code_challenge", Some(VERIFIER)),
            ("code_challenge_method", Some("plain")),
        ],
    ] {
        let url = flow.authorize_url(&client_id, &changes);
        let q = redirected_error(&flow, &url).await;
        assert_eq!(param(&q, "error"), Some("invalid_request"), "{changes:?}");
    }
}

#[tokio::test]
async fn an_unregistered_redirect_uri_or_unknown_client_gets_a_page_never_a_redirect() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    for url in [
        flow.authorize_url(
            &client_id,
            &[("redirect_uri", Some("https://evil.example/cb"))],
        ),
        flow.authorize_url(
            &client_id,
            &[("redirect_uri", Some("http://127.0.0.1:53682/other"))],
        ),
        flow.authorize_url(&client_id, &[("redirect_uri", None)]),
        flow.authorize_url("omgc_unknown", &[]),
        flow.authorize_url(&client_id, &[("client_id", None)]),
        // The error would otherwise be redirected, but the redirect URI comes first.
        flow.authorize_url(
            &client_id,
            &[
                ("redirect_uri", Some("https://evil.example/cb")),
                ("code_challenge", None),
            ],
        ),
    ] {
        let response = flow.consent(&url, "allow").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        assert!(response.headers().get(LOCATION).is_none(), "{url}");
        assert!(
            response.text().await.unwrap().contains("<h1"),
            "an HTML page"
        );
    }
}

#[tokio::test]
async fn registration_refuses_foreign_https_redirects_and_bad_metadata() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let cases = [
        (
            json!({"redirect_uris": ["https://evil.example"], "token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback", "https://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({"client_name": "no uris"}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": "not a list"}),
            "invalid_client_metadata",
        ),
    ];
    for (body, code) in cases {
        let response = flow.register(body.clone()).await;
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_error(status, &answer, StatusCode::BAD_REQUEST, code);
        assert!(answer.get("client_id").is_none(), "{body}");
    }
    // What Cursor sends, all three at once, is accepted.
    let cursor = flow
        .register(
            json!({"client_name": "Cursor", "token_endpoint_auth_method": "none", "redirect_uris": [
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "https://www.cursor.com/agents/mcp/oauth/callback",
            "http://localhost:8787/callback"]}),
        )
        .await;
    assert_eq!(cursor.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_issued() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let code = flow.code(&flow.authorize_url(&client_id, &[])).await;
    let (status, tokens) = flow.exchange(&client_id, &code).await;
    assert_eq!(status, StatusCode::OK);

    let (status, again) = flow.exchange(&client_id, &code).await;
    assert_error(status, &again, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        flow.list_tools(access(&tokens)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_another_redirect_or_client_is_refused() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let other_client = flow.register_public().await;
    let url = flow.authorize_url(&client_id, &[]);
    let wrong_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("code_verifier", wrong_verifier)], "invalid_grant"),
        (
            &[("redirect_uri", "http://127.0.0.1:53682/other")],
            "invalid_grant",
        ),
        (&[("client_id", "OTHER")], "invalid_grant"),
        (&[("code_verifier", "")], "invalid_request"),
    ];
    for (changes, code_name) in cases {
        let code = flow.code(&url).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id.as_str()),
            ("code_verifier", VERIFIER),
        ];
        for (name, value) in changes {
            let value = if *value == "OTHER" {
                other_client.as_str()
            } else {
                value
            };
            pairs.retain(|(n, _)| n != name);
            pairs.push((name, value));
        }
        let (status, body) = flow.token(&pairs).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, code_name);
    }
}

#[tokio::test]
async fn a_resource_other_than_the_mcp_url_is_an_invalid_target() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let url = flow.authorize_url(
        &client_id,
        &[("resource", Some("https://other.example/mcp"))],
    );
    let q = redirected_error(&flow, &url).await;
    assert_eq!(param(&q, "error"), Some("invalid_target"));

    let code = flow.code(&flow.authorize_url(&client_id, &[])).await;
    let (status, body) = flow
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
            ("resource", "https://other.example/mcp"),
        ])
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_target");
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused_at_mcp() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (client_id, _) = flow.connect("mcp:read mcp:write").await;
    let connection = crate::oauth::connection_of(&app, &client_id).await;
    let s = &app.state;
    let token = "omg_at_issued_for_another_server_0000000000000000";
    let hash = s.keyring.token_hash(token);
    s.store
        .insert_token(
            &NewToken {
                token_hash: &hash.0,
                kind: "access",
                connection_id: connection.id,
                client_id: &client_id,
                family_id: "f",
                scope: "mcp:read mcp:write",
                audience: "https://other.example/mcp",
                expires_at: s.clock.now() + DAY_MS,
            },
            s.clock.now(),
        )
        .await
        .unwrap();
    let response = app
        .post(
            Some(token),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("invalid_token") && challenge.contains("another resource"),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_refresh_token_reused_after_the_grace_window_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (client_id, tokens) = flow.connect("mcp:read mcp:write").await;
    let (_, rotated) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_eq!(flow.list_tools(access(&rotated)).await.0, StatusCode::OK);

    app.state.clock.advance(61_000);
    let (status, body) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    // The thief's reuse cost the legitimate holder everything too: authorize again.
    assert_eq!(
        flow.list_tools(access(&rotated)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = flow.refresh(&client_id, refresh_token(&rotated)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn expired_codes_access_tokens_and_refresh_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let code = flow.code(&flow.authorize_url(&client_id, &[])).await;
    app.state.clock.advance(MINUTE_MS);
    let (status, body) = flow.exchange(&client_id, &code).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");

    let (client_id, tokens) = flow.connect("mcp:read").await;
    app.state.clock.advance(60 * MINUTE_MS);
    assert_eq!(
        flow.list_tools(access(&tokens)).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.state.clock.advance(30 * DAY_MS);
    let (status, body) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn registration_switched_off_is_refused_and_no_longer_advertised() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let s = &app.state;
    let off = ServerSettings {
        dynamic_registration: false,
        ..ServerSettings::default()
    };
    s.settings.save(&s.store, &off).await.unwrap();

    let response = flow
        .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_error(status, &body, StatusCode::FORBIDDEN, "access_denied");
    let meta: Value = flow
        .get(&flow.url("/.well-known/oauth-authorization-server"))
        .await
        .json()
        .await
        .unwrap();
    assert!(meta.get("registration_endpoint").is_none(), "{meta}");
}

#[tokio::test]
async fn a_deleted_client_gets_invalid_client_so_it_registers_again() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    // Nobody consented within a day: the prune job deletes the registration.
    app.state.clock.advance(DAY_MS + 1);
    let pruned = odoo_mcp_gateway::oauth::prune_unclaimed(&app.state, app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(pruned.clients, 1);

    let (status, body, headers) = flow
        .token_with(
            &[
                ("grant_type", "authorization_code"),
                ("code", "omg_ac_whatever"),
                ("redirect_uri", REDIRECT),
                ("client_id", &client_id),
                ("code_verifier", VERIFIER),
            ],
            &[],
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(headers["cache-control"], "no-store");
    let (status, body) = flow.refresh(&client_id, "omg_rt_whatever").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    let page = flow
        .consent(&flow.authorize_url(&client_id, &[]), "allow")
        .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.headers().get(LOCATION).is_none());
}
