//! The audit log of the OAuth endpoints: one event per request to register, authorize (the GET
//! and the consent POST), token and revoke, with the connection, the user, the client address,
//! the outcome and the RFC error of refusals — and never a code, token, secret, verifier or
//! CSRF token, payload logging included. Plus the per-address limit of dynamic registration.

use odoo_mcp_gateway::clock::MINUTE_MS;
use odoo_mcp_gateway::settings::ServerSettings;
use odoo_mcp_gateway::store::AuditRow;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::oauth::{
    Flow, REDIRECT, VERIFIER, access, connection_of, form, hidden_fields, refresh_token,
};

/// The OAuth events, oldest first.
async fn oauth_events(app: &TestApp) -> Vec<AuditRow> {
    let mut events: Vec<AuditRow> = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.method.starts_with("oauth/"))
        .collect();
    events.reverse();
    events
}

fn with_method<'e>(events: &'e [AuditRow], method: &str) -> Vec<&'e AuditRow> {
    events.iter().filter(|e| e.method == method).collect()
}

async fn save_settings(app: &TestApp, edit: impl FnOnce(&mut ServerSettings)) {
    let s = &app.state;
    let mut settings = s.settings.get(&s.store).await.unwrap();
    edit(&mut settings);
    s.settings.save(&s.store, &settings).await.unwrap();
}

#[tokio::test]
async fn every_oauth_request_is_audited_with_its_facts_and_without_a_secret() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    // Payloads are logged too: the strictest case for secrets.
    save_settings(&app, |s| s.payload_logging = true).await;

    // A confidential client registers (from behind the trusted proxy: the forwarded address).
    let registered = flow
        .http
        .post(flow.url("/oauth/register"))
        .header("x-forwarded-for", "198.51.100.4")
        .json(&json!({"client_name": "Audited", "redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let secret = registered["client_secret"].as_str().unwrap().to_owned();
    let connection = connection_of(&app, &client_id).await;

    // Authorize (sent to sign in first), consent, exchange, refresh, revoke.
    let url = flow.authorize_url(&client_id, &[]);
    let code = flow.code(&url).await;
    let consent_page = flow.get(&url).await.text().await.unwrap();
    let csrf = hidden_fields(&consent_page)
        .into_iter()
        .find(|(n, _)| n == "csrf")
        .unwrap()
        .1;
    let authenticated = |pairs: &[(&'static str, String)]| {
        let mut all: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend([
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ]);
        form(&all)
    };
    let exchange = authenticated(&[
        ("grant_type", "authorization_code".into()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT.into()),
        ("code_verifier", VERIFIER.into()),
    ]);
    let post = |path: &str, body: String| {
        flow.http
            .post(flow.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let tokens: Value = post("/oauth/token", exchange.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refreshed: Value = post(
        "/oauth/token",
        authenticated(&[
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh_token(&tokens).into()),
        ]),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(access(&refreshed).starts_with("omg_at_"), "{refreshed}");
    let revoked = post(
        "/oauth/revoke",
        authenticated(&[("token", refresh_token(&refreshed).into())]),
    )
    .await
    .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);

    // Refusals: a replayed code, a denied consent, a bad registration, registration switched
    // off, a revocation without a token, an unknown client at authorize.
    let replayed = post("/oauth/token", exchange).await.unwrap();
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    let denied = flow.consent(&url, "deny").await;
    assert!(
        denied.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=access_denied")
    );
    let bad = flow
        .register(json!({"redirect_uris": ["https://evil.example/cb"]}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let no_token = post("/oauth/revoke", authenticated(&[])).await.unwrap();
    assert_eq!(no_token.status(), StatusCode::BAD_REQUEST);
    let unknown = flow.get(&flow.authorize_url("omgc_unknown", &[])).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    save_settings(&app, |s| s.dynamic_registration = false).await;
    let off = flow.register(json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(off.status(), StatusCode::FORBIDDEN);

    let events = oauth_events(&app).await;
    let mine = Some(connection.id);
    let demo = Some("demo");
    for e in &events {
        assert!(e.duration_ms >= 0, "{e:?}");
        assert!(e.at > 0, "{e:?}");
    }

    let register = with_method(&events, "oauth/register");
    assert_eq!(register.len(), 3, "{register:?}");
    let ok = register[0];
    assert_eq!(
        (
            ok.outcome.as_str(),
            ok.connection_id,
            ok.user_login.as_deref()
        ),
        ("success", mine, None)
    );
    assert_eq!(ok.client_ip.as_deref(), Some("198.51.100.4"));
    assert!(ok.request_payload.as_deref().unwrap().contains("Audited"));
    assert!(ok.response_payload.as_deref().unwrap().contains(&client_id));
    assert_eq!(register[1].outcome, "error");
    assert!(
        register[1]
            .error
            .as_deref()
            .unwrap()
            .starts_with("invalid_redirect_uri: "),
        "{:?}",
        register[1]
    );
    assert_eq!(register[1].client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(register[2].outcome, "denied");
    assert!(
        register[2]
            .error
            .as_deref()
            .unwrap()
            .starts_with("access_denied: Dynamic client registration is switched off")
    );

    let authorize = with_method(&events, "oauth/authorize");
    // Sent to sign in (nobody known yet), the consent page twice, the deny's page, unknown.
    assert_eq!(authorize.len(), 5, "{authorize:?}");
    assert_eq!(
        (
            authorize[0].outcome.as_str(),
            authorize[0].connection_id,
            authorize[0].user_login.as_deref()
        ),
        ("success", mine, None)
    );
    for e in &authorize[1..4] {
        assert_eq!(
            (e.outcome.as_str(), e.connection_id, e.user_login.as_deref()),
            ("success", mine, demo)
        );
    }
    let unknown = authorize[4];
    assert_eq!(
        (unknown.outcome.as_str(), unknown.connection_id),
        ("error", None)
    );
    assert!(
        unknown
            .error
            .as_deref()
            .unwrap()
            .starts_with("invalid_request: This application is not registered here")
    );

    let consent = with_method(&events, "oauth/consent");
    assert_eq!(consent.len(), 2, "{consent:?}");
    assert_eq!(
        (
            consent[0].outcome.as_str(),
            consent[0].connection_id,
            consent[0].user_login.as_deref(),
            consent[0].error.as_deref()
        ),
        ("success", mine, demo, None)
    );
    assert_eq!(
        (
            consent[1].outcome.as_str(),
            consent[1].connection_id,
            consent[1].user_login.as_deref(),
            consent[1].error.as_deref()
        ),
        (
            "denied",
            mine,
            demo,
            Some("access_denied: The user did not allow access.")
        )
    );

    let token = with_method(&events, "oauth/token");
    assert_eq!(token.len(), 3, "{token:?}");
    for e in &token[..2] {
        assert_eq!(
            (e.outcome.as_str(), e.connection_id, e.user_login.as_deref()),
            ("success", mine, demo)
        );
        assert!(e.response_payload.as_deref().unwrap().contains("Bearer"));
    }
    let replay = token[2];
    assert_eq!(
        (replay.outcome.as_str(), replay.connection_id),
        ("error", mine)
    );
    assert!(
        replay
            .error
            .as_deref()
            .unwrap()
            .starts_with("invalid_grant: The authorization code was already used")
    );

    let revoke = with_method(&events, "oauth/revoke");
    assert_eq!(revoke.len(), 2, "{revoke:?}");
    assert_eq!(
        (
            revoke[0].outcome.as_str(),
            revoke[0].connection_id,
            revoke[0].user_login.as_deref()
        ),
        ("success", mine, demo)
    );
    assert_eq!(revoke[1].outcome, "error");
    assert!(
        revoke[1]
            .error
            .as_deref()
            .unwrap()
            .starts_with("invalid_request: ")
    );

    // Not a code, token, secret, verifier or CSRF token anywhere, payloads included.
    let secrets = [
        code.as_str(),
        access(&tokens),
        refresh_token(&tokens),
        access(&refreshed),
        refresh_token(&refreshed),
        secret.as_str(),
        VERIFIER,
        csrf.as_str(),
    ];
    for e in &events {
        let row = format!("{e:?}");
        for secret in secrets {
            assert!(!row.contains(secret), "{secret} leaked into {row}");
        }
    }
    // The OAuth flow's own requests are not uses of the connection.
    let connection = connection_of(&app, &client_id).await;
    assert_eq!(connection.request_count, 0);
    assert_eq!(connection.last_used_at, None);
}

#[tokio::test]
async fn without_payload_logging_no_payload_is_kept() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (_client_id, _tokens) = flow.connect("mcp:read").await;
    let events = oauth_events(&app).await;
    assert!(events.len() >= 5, "{events:?}");
    for e in &events {
        assert!(
            e.request_payload.is_none() && e.response_payload.is_none(),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn registration_is_limited_per_client_address_on_the_test_clock() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let register = |from: &'static str| {
        flow.http
            .post(flow.url("/oauth/register"))
            .header("x-forwarded-for", from)
            .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
            .send()
    };
    // Half of the hour's registrations now, half thirty minutes later.
    let limit = odoo_mcp_gateway::policy::registrations::REGISTRATIONS_PER_HOUR;
    for i in 0..limit {
        if i == limit / 2 {
            app.state.clock.advance(30 * MINUTE_MS);
        }
        let r = register("203.0.113.7").await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "registration {i}");
    }
    let refused = register("203.0.113.7").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // The first half leaves the sliding hour in thirty minutes.
    assert_eq!(refused.headers()["retry-after"], "1800");
    assert_eq!(refused.headers()["cache-control"], "no-store");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("20 per hour") && description.contains("Try again in 30 minutes"),
        "{description}"
    );
    // Another address is not affected.
    assert_eq!(
        register("203.0.113.8").await.unwrap().status(),
        StatusCode::CREATED
    );

    // Still refused a second before; then the first half's room is free again.
    app.state.clock.advance(30 * MINUTE_MS - 1000);
    assert_eq!(
        register("203.0.113.7").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.state.clock.advance(1000);
    for i in 0..limit / 2 {
        let r = register("203.0.113.7").await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "registration {i} after the wait"
        );
    }
    assert_eq!(
        register("203.0.113.7").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let limited: Vec<AuditRow> = oauth_events(&app)
        .await
        .into_iter()
        .filter(|e| e.outcome == "rate_limited")
        .collect();
    assert_eq!(limited.len(), 3, "{limited:?}");
    for e in &limited {
        assert_eq!(e.method, "oauth/register");
        assert_eq!(e.client_ip.as_deref(), Some("203.0.113.7"));
        assert!(
            e.error
                .as_deref()
                .unwrap()
                .starts_with("temporarily_unavailable: Too many client registrations")
        );
    }
}
