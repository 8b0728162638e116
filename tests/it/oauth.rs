//! The OAuth authorization server end to end, the way a browser and an MCP client use it:
//! discovery, registration, the console's sign-in and the consent form, tokens, refresh,
//! revocation (the console's Revoke), and the tokens at `/mcp`. [`Flow`] is the test driver;
//! `oauth_negative.rs` and `oauth_audit.rs` reuse it.

use odoo_mcp_gateway::clock::{DAY_MS, MINUTE_MS};
use odoo_mcp_gateway::connections::{self, ClientType, Kind, OAuthClientSpec, Scope, Status};
use odoo_mcp_gateway::users::Role;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use crate::console::Console;
use crate::helpers::{TestApp, ok_result};

pub const REDIRECT: &str = "http://127.0.0.1:53682/callback";
// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A browser (cookie jar of one, no automatic redirects) and an OAuth client in one.
pub struct Flow<'a> {
    pub app: &'a TestApp,
    pub http: reqwest::Client,
    cookie: std::sync::Mutex<Option<String>>,
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The query parameters of a URL.
pub fn query(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location in a {} response", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The hidden inputs of a form (the consent form, the sign-in page's `next`), unescaped.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    // askama writes `"&'<>` as decimal references; `&` last, so nothing is unescaped twice.
    let unescape = |s: &str| {
        s.replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#38;", "&")
    };
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + tag[start..].find('"').unwrap();
                unescape(&tag[start..end])
            };
            (attr("name"), attr("value"))
        })
        .collect()
}

impl<'a> Flow<'a> {
    /// A browser for `app`, with `demo` linked and given the MCP User role.
    pub async fn new(app: &'a TestApp) -> Self {
        app.link("demo").await;
        let s = &app.state;
        s.store
            .set_role("demo", Some(Role::User), s.clock.now())
            .await
            .unwrap();
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: std::sync::Mutex::new(None),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.base)
    }

    pub async fn register(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/oauth/register"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A public client registered for [`REDIRECT`]; returns its client_id.
    pub async fn register_public(&self) -> String {
        let response = self
            .register(
                json!({"client_name": "Test Client", "redirect_uris": [REDIRECT],
                             "token_endpoint_auth_method": "none",
                             "grant_types": ["authorization_code", "refresh_token"]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["client_id"].as_str().unwrap().to_owned()
    }

    /// An authorization URL; `changes` replace (Some) or remove (None) default parameters.
    pub fn authorize_url(&self, client_id: &str, changes: &[(&str, Option<&str>)]) -> String {
        let mcp = self.app.mcp_url.clone();
        let defaults = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "st-123"),
            ("scope", "mcp:read mcp:write"),
            ("resource", mcp.as_str()),
        ];
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (name, value) in defaults {
            match changes.iter().find(|(n, _)| *n == name) {
                Some((_, Some(v))) => pairs.push((name, v)),
                Some((_, None)) => {}
                None => pairs.push((name, value)),
            }
        }
        for (name, value) in changes {
            if let (false, Some(v)) = (defaults.iter().any(|(d, _)| d == name), value) {
                pairs.push((name, v));
            }
        }
        self.url(&format!("/oauth/authorize?{}", form(&pairs)))
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        let mut request = self.http.get(url);
        if let Some(cookie) = self.cookie.lock().unwrap().clone() {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    pub async fn post_form(&self, url: &str, body: String) -> reqwest::Response {
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(cookie) = self.cookie.lock().unwrap().clone() {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// Signs in through the console's sign-in form; returns where it sends the browser next.
    pub async fn sign_in(&self, login: &str, secret: &str, next: &str) -> reqwest::Response {
        let body = form(&[("login", login), ("secret", secret), ("next", next)]);
        let response = self.post_form(&self.url("/console/login"), body).await;
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        response
    }

    /// The session's cookie, once signed in.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// GET authorize → (the console's sign-in as demo, if asked) → consent page → POST
    /// `decision`. Returns the final response (a redirect to the client, or a page).
    pub async fn consent(&self, authorize_url: &str, decision: &str) -> reqwest::Response {
        let mut response = self.get(authorize_url).await;
        if response.status() == StatusCode::SEE_OTHER
            && location(&response).starts_with("/console/login?")
        {
            let login_page = self.get(&self.url(&location(&response))).await;
            let html = login_page.text().await.unwrap();
            let next = hidden_fields(&html)
                .into_iter()
                .find(|(n, _)| n == "next")
                .unwrap()
                .1;
            let signed_in = self.sign_in("demo", "demo", &next).await;
            assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "sign-in");
            response = self.get(&self.url(&location(&signed_in))).await;
        }
        if response.status() != StatusCode::OK {
            return response;
        }
        let html = response.text().await.unwrap();
        let mut fields = hidden_fields(&html);
        fields.push(("decision".into(), decision.into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(&self.url("/oauth/authorize"), form(&pairs))
            .await
    }

    /// The code the client receives after the user allows `authorize_url`.
    pub async fn code(&self, authorize_url: &str) -> String {
        let response = self.consent(authorize_url, "allow").await;
        let location = location(&response);
        assert!(location.starts_with(REDIRECT), "{location}");
        let q = query(&location);
        assert_eq!(param(&q, "state"), Some("st-123"));
        assert_eq!(param(&q, "iss"), Some(self.app.base.as_str()));
        param(&q, "code").unwrap().to_owned()
    }

    pub async fn token_with(
        &self,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value, HeaderMap) {
        let mut request = self
            .http
            .post(self.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        (
            status,
            response.json().await.unwrap_or(Value::Null),
            headers,
        )
    }

    pub async fn token(&self, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let (status, body, headers) = self.token_with(pairs, &[]).await;
        assert_eq!(headers["cache-control"], "no-store");
        (status, body)
    }

    pub async fn exchange(&self, client_id: &str, code: &str) -> (StatusCode, Value) {
        let mcp = self.app.mcp_url.clone();
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
            ("resource", &mcp),
        ])
        .await
    }

    pub async fn refresh(&self, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ])
        .await
    }

    /// Registration, consent as demo and the code exchange: (client_id, token response).
    pub async fn connect(&self, scope: &str) -> (String, Value) {
        let client_id = self.register_public().await;
        let url = self.authorize_url(&client_id, &[("scope", Some(scope))]);
        let code = self.code(&url).await;
        let (status, tokens) = self.exchange(&client_id, &code).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        (client_id, tokens)
    }

    /// A `tools/list` over raw HTTP with `token`: the HTTP status and body.
    pub async fn list_tools(&self, token: &str) -> (StatusCode, Value) {
        let response = self
            .app
            .post(
                Some(token),
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

pub fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

pub fn refresh_token(tokens: &Value) -> &str {
    tokens["refresh_token"].as_str().unwrap()
}

/// The connection a client_id belongs to.
pub async fn connection_of(app: &TestApp, client_id: &str) -> connections::Connection {
    let all = connections::list(&app.state.store).await.unwrap();
    let row = app
        .state
        .store
        .find_registered_client(client_id)
        .await
        .unwrap()
        .expect("client exists");
    all.into_iter().find(|c| c.id == row.connection_id).unwrap()
}

/// `admin` linked as MCP Administrator and signed in to the console.
pub async fn admin_console(app: &TestApp) -> Console {
    admin_console_with(app, "admin").await
}

/// `admin` linked with `secret`, made MCP Administrator and signed in to the console with it.
pub async fn admin_console_with(app: &TestApp, secret: &str) -> Console {
    app.link_with("admin", secret).await;
    let s = &app.state;
    s.store
        .set_role("admin", Some(Role::Admin), s.clock.now())
        .await
        .unwrap();
    Console::signed_in(app, "admin", secret).await
}

#[tokio::test]
async fn discovery_documents_name_the_mcp_url_and_this_server_with_cors() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let prm_path: Value = flow
        .get(&flow.url("/.well-known/oauth-protected-resource/mcp"))
        .await
        .json()
        .await
        .unwrap();
    let prm_root: Value = flow
        .get(&flow.url("/.well-known/oauth-protected-resource"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prm_path, prm_root);
    assert_eq!(prm_path["resource"], app.mcp_url);
    assert_eq!(prm_path["authorization_servers"], json!([app.base]));
    assert_eq!(
        prm_path["scopes_supported"],
        json!(["mcp:read", "mcp:write"])
    );

    let meta: Value = flow
        .get(&flow.url("/.well-known/oauth-authorization-server"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], app.base);
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["registration_endpoint"], flow.url("/oauth/register"));
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert!(
        meta["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("none"))
    );

    // The 401 of /mcp points at the protected-resource metadata.
    let challenged = app
        .post(None, r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(challenged.status(), 401);
    let challenge = challenged.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains(&format!(
        "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        app.base
    )));

    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
        "/oauth/register",
        "/oauth/token",
        "/oauth/revoke",
    ] {
        let preflight = flow
            .http
            .request(reqwest::Method::OPTIONS, flow.url(path))
            .header("origin", "https://claude.ai")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{path}");
        assert_eq!(
            preflight.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_client_registers_signs_in_consents_and_uses_odoo_as_demo() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;

    let registered = flow
        .register(json!({"client_name": "Claude", "redirect_uris": [REDIRECT],
                         "token_endpoint_auth_method": "none"}))
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    assert_eq!(registered.headers()["cache-control"], "no-store");
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(registered["token_endpoint_auth_method"], "none");
    assert!(registered.get("client_secret").is_none());
    let client_id = registered["client_id"].as_str().unwrap().to_owned();

    // Not signed in: to the console's sign-in, which comes back to this very request and
    // says what the sign-in is for.
    let url = flow.authorize_url(&client_id, &[]);
    let path = url.replace(&app.base, "");
    let first = flow.get(&url).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let to_login = location(&first);
    assert!(
        to_login.starts_with("/console/login?next=/oauth/authorize%3F"),
        "{to_login}"
    );
    let login_page = flow.get(&flow.url(&to_login)).await;
    assert_eq!(login_page.status(), StatusCode::OK);
    let html = login_page.text().await.unwrap();
    assert!(
        html.contains("Sign in to connect <strong>Claude</strong>"),
        "{html}"
    );
    let next = hidden_fields(&html)
        .into_iter()
        .find(|(n, _)| n == "next")
        .unwrap()
        .1;
    assert_eq!(
        next, path,
        "the whole authorization request, query included"
    );
    let wrong = flow.sign_in("demo", "wrong", &next).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains("did not accept") && html.contains("Sign in to connect"),
        "{html}"
    );

    // The consent page names the client, the access in words and the Odoo user.
    let signed_in = flow.sign_in("demo", "demo", &next).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), path);
    let consent = flow.get(&url).await;
    assert_eq!(consent.status(), StatusCode::OK);
    assert_eq!(consent.headers()["x-frame-options"], "DENY");
    let html = consent.text().await.unwrap();
    for expected in ["Claude", "Full Access", "Marc Demo (demo)", "name=\"csrf\""] {
        assert!(html.contains(expected), "{expected} missing in {html}");
    }

    let code = flow.code(&url).await;
    let (status, tokens) = flow.exchange(&client_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "mcp:read mcp:write");
    assert!(access(&tokens).starts_with("omg_at_"));
    assert!(refresh_token(&tokens).starts_with("omg_rt_"));

    // The connection: OAuth, bound to demo, Dynamic Registration, awaiting its first use.
    let connection = connection_of(&app, &client_id).await;
    assert_eq!(connection.kind, Kind::OAuth);
    assert_eq!(connection.user_login.as_deref(), Some("demo"));
    assert_eq!(connection.name, "Claude");
    let now = app.state.clock.now();
    assert_eq!(connection.status(7 * DAY_MS, now), Status::Awaiting);

    // A real MCP client with the access token acts as demo.
    let client = app.mcp_client(access(&tokens)).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "create_record"));
    let ctx = client
        .call_tool(CallToolRequestParams::new("get_current_context"))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    assert_eq!(ctx["user"]["login"], "demo");
    client.cancel().await.unwrap();
    let connection = connection_of(&app, &client_id).await;
    assert_eq!(connection.status(7 * DAY_MS, now), Status::Connected);
    assert!(connection.request_count >= 2);

    // Refresh: a new pair, and the new access token works.
    let (status, refreshed) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_ne!(refresh_token(&refreshed), refresh_token(&tokens));
    assert_eq!(flow.list_tools(access(&refreshed)).await.0, StatusCode::OK);

    // Revoked in the console by an administrator: every token stops at once, refresh included.
    let admin = admin_console(&app).await;
    let revoked = admin
        .post(
            &format!("/console/connections/{}/revoke", connection.id),
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let (status, _) = flow.list_tools(access(&refreshed)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = flow.refresh(&client_id, refresh_token(&refreshed)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // And the application cannot simply authorize again.
    let again = flow.get(&flow.authorize_url(&client_id, &[])).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(again.headers().get(LOCATION).is_none());
}

#[tokio::test]
async fn a_read_scope_hides_writes_and_a_write_call_is_answered_insufficient_scope() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (client_id, tokens) = flow.connect("mcp:read").await;
    assert_eq!(tokens["scope"], "mcp:read");
    assert_eq!(connection_of(&app, &client_id).await.scope, Scope::ReadOnly);

    let (status, listed) = flow.list_tools(access(&tokens)).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"search_records") && !names.contains(&"create_record"),
        "{names:?}"
    );

    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                      "params": {"name": "create_record", "arguments": {"model": "res.partner", "values": {"name": "X"}}}});
    let refused = app
        .post(Some(access(&tokens)), &call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"mcp:read mcp:write\""),
        "{challenge}"
    );
    assert!(challenge.contains("resource_metadata="), "{challenge}");

    // Reads work as usual.
    let read = app
        .call(
            access(&tokens),
            "count_records",
            json!({"model": "res.partner"}),
        )
        .await;
    assert!(ok_result(&read)["count"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn access_tokens_expire_on_the_test_clock_and_refresh_brings_a_new_one() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (client_id, tokens) = flow.connect("mcp:read mcp:write").await;
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);

    app.state.clock.advance(60 * MINUTE_MS);
    let expired = app
        .post(
            Some(access(&tokens)),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let challenge = expired.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("expired"),
        "{challenge}"
    );

    let (status, refreshed) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(flow.list_tools(access(&refreshed)).await.0, StatusCode::OK);
}

/// OAuth connections are rate-limited like API keys: their own limit, else the server's.
#[tokio::test]
async fn an_oauth_connection_is_held_to_its_rate_limit() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (_, tokens) = flow.connect("mcp:read mcp:write").await;
    let connection = app
        .state
        .store
        .list_connections()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == odoo_mcp_gateway::values::Kind::OAuth)
        .expect("the OAuth connection");
    app.set_policy(connection.id, |p| {
        p.rate_per_minute = odoo_mcp_gateway::values::Limit::new(2)
    })
    .await;
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);
    let (status, body) = flow.list_tools(access(&tokens)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 requests per minute")),
        "{body}"
    );
    app.state.clock.advance(MINUTE_MS);
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);
}

/// The master switch is read with the access token: turned off by another replica (written
/// behind this process's settings cache), it refuses the very next OAuth request.
#[tokio::test]
async fn a_master_switch_turned_off_elsewhere_refuses_the_next_oauth_request() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (_, tokens) = flow.connect("mcp:read mcp:write").await;
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);
    app.state
        .store
        .put_setting("mcp_enabled", "false")
        .await
        .unwrap();
    assert_eq!(
        flow.list_tools(access(&tokens)).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    app.state
        .store
        .put_setting("mcp_enabled", "true")
        .await
        .unwrap();
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_refresh_token_presented_again_within_the_grace_window_gets_a_fresh_pair() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (client_id, tokens) = flow.connect("mcp:read mcp:write").await;
    let (_, first) = flow.refresh(&client_id, refresh_token(&tokens)).await;

    app.state.clock.advance(30_000);
    let (status, second) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(access(&second), access(&first));
    // Both branches stay usable: the lost-response case loses nothing.
    assert_eq!(flow.list_tools(access(&first)).await.0, StatusCode::OK);
    assert_eq!(flow.list_tools(access(&second)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_revocation_endpoint_revokes_a_refresh_tokens_family_and_single_access_tokens() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let (client_id, tokens) = flow.connect("mcp:read mcp:write").await;
    let (_, other) = {
        let url = flow.authorize_url(&client_id, &[]);
        let code = flow.code(&url).await;
        flow.exchange(&client_id, &code).await
    };

    let revoke = |token: String| {
        let body = form(&[("token", &token), ("client_id", &client_id)]);
        let url = flow.url("/oauth/revoke");
        let flow = &flow;
        async move { flow.post_form(&url, body).await.status() }
    };
    assert_eq!(revoke(access(&other).to_owned()).await, StatusCode::OK);
    assert_eq!(
        flow.list_tools(access(&other)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);

    assert_eq!(
        revoke(refresh_token(&tokens).to_owned()).await,
        StatusCode::OK
    );
    assert_eq!(
        flow.list_tools(access(&tokens)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Unknown tokens are answered 200 too.
    assert_eq!(revoke("omg_rt_nothing".into()).await, StatusCode::OK);
}

#[tokio::test]
async fn a_loopback_redirect_matches_on_any_port_and_deny_goes_back_with_access_denied() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let other_port = "http://127.0.0.1:40001/callback";
    let url = flow.authorize_url(&client_id, &[("redirect_uri", Some(other_port))]);
    let denied = flow.consent(&url, "deny").await;
    let location = location(&denied);
    assert!(location.starts_with(other_port), "{location}");
    let q = query(&location);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert_eq!(param(&q, "state"), Some("st-123"));
    assert_eq!(param(&q, "iss"), Some(app.base.as_str()));
    assert_eq!(param(&q, "code"), None);
}

#[tokio::test]
async fn a_confidential_client_authenticates_with_its_secret_and_rotate_secret_replaces_it() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let s = &app.state;
    let uris = vec![
        "https://app.example.com/callback".to_owned(),
        REDIRECT.to_owned(),
    ];
    let spec = OAuthClientSpec {
        name: "Custom tool",
        client_type: ClientType::Confidential,
        redirect_uris: &uris,
        dynamic: false,
        metadata_url: None,
        odoo_user_id: None,
        scope: Scope::Full,
    };
    let issued = connections::create_oauth_client(&s.store, &s.keyring, &spec, s.clock.now())
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    let secret = issued
        .client_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    assert!(secret.starts_with("omg_cs_"));
    let client_id = issued.client_id.clone();

    let exchange = |code: String, auth: Vec<(&'static str, String)>| {
        let flow = &flow;
        let client_id = client_id.clone();
        async move {
            let mut pairs = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", REDIRECT.to_owned()),
                ("code_verifier", VERIFIER.to_owned()),
                ("client_id", client_id),
            ];
            pairs.extend(auth);
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            flow.token(&pairs).await
        }
    };
    let url = flow.authorize_url(&client_id, &[]);
    let code = flow.code(&url).await;
    let (status, body) = exchange(code, vec![]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let code = flow.code(&url).await;
    let (status, body) = exchange(code, vec![("client_secret", secret.clone())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let new_secret = connections::rotate_client_secret(&s.store, &s.keyring, issued.connection_id)
        .await
        .unwrap();
    let code = flow.code(&url).await;
    let (status, _) = exchange(code, vec![("client_secret", secret.clone())]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old secret died with the rotation"
    );

    // client_secret_basic with the new secret.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{client_id}:{}", new_secret.expose_secret()));
    let code = flow.code(&url).await;
    let (status, body, _) = flow
        .token_with(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            &[("authorization", &format!("Basic {basic}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Revoking a confidential client's token takes that client's authentication (RFC 7009).
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    let revoke_url = flow.url("/oauth/revoke");
    let anonymous = flow
        .post_form(&revoke_url, form(&[("token", &access_token)]))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        flow.list_tools(&access_token).await.0,
        StatusCode::OK,
        "still valid"
    );
    let authenticated = form(&[
        ("token", &access_token),
        ("client_id", &client_id),
        ("client_secret", new_secret.expose_secret()),
    ]);
    assert_eq!(
        flow.post_form(&revoke_url, authenticated).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        flow.list_tools(&access_token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unclaimed_dynamic_registrations_are_pruned_after_a_day_and_claimed_ones_stay() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let unclaimed = flow.register_public().await;
    let (claimed, _) = flow.connect("mcp:read").await;

    app.state.clock.advance(DAY_MS - 1);
    let pruned = odoo_mcp_gateway::oauth::prune_unclaimed(&app.state, app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(pruned.clients, 0, "not a day old yet");

    app.state.clock.advance(2);
    let pruned = odoo_mcp_gateway::oauth::prune_unclaimed(&app.state, app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(pruned.clients, 1);
    let store = &app.state.store;
    assert!(
        store
            .find_registered_client(&unclaimed)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_registered_client(&claimed)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_person_without_an_mcp_role_is_refused_with_a_clear_page() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let next = flow.authorize_url(&client_id, &[]).replace(&app.base, "");
    let refused = flow.sign_in("portal", "portal", &next).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Ask an administrator for access"), "{html}");
    assert!(flow.cookie().is_none(), "no session without a role");

    // Signed in, then the role is removed: the authorization step refuses the same way.
    let signed_in = flow.sign_in("demo", "demo", &next).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let s = &app.state;
    s.store.set_role("demo", None, s.clock.now()).await.unwrap();
    let page = flow.get(&flow.url(&next)).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.headers().get(LOCATION).is_none());
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Ask an administrator for access")
    );
}

#[tokio::test]
async fn the_consent_post_needs_the_sessions_csrf_token_a_session_and_the_same_origin() {
    let app = TestApp::spawn().await;
    let flow = Flow::new(&app).await;
    let client_id = flow.register_public().await;
    let url = flow.authorize_url(&client_id, &[]);
    let path = url.replace(&app.base, "");
    let signed_in = flow.sign_in("demo", "demo", &path).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let html = flow.get(&url).await.text().await.unwrap();
    let fields = hidden_fields(&html);
    let post = |csrf: Option<&str>, headers: &[(&str, &str)], cookie: bool| {
        let mut pairs: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(csrf) = csrf {
            pairs.push(("csrf", csrf));
        }
        pairs.push(("decision", "allow"));
        let mut request = flow
            .http
            .post(flow.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&pairs));
        if cookie {
            request = request.header("cookie", flow.cookie().unwrap());
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.send()
    };
    let csrf = fields.iter().find(|(k, _)| k == "csrf").unwrap().1.clone();

    for (token, why) in [(None, "missing"), (Some("forged"), "another token")] {
        let refused = post(token, &[], true).await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{why}");
        assert!(refused.headers().get(LOCATION).is_none(), "{why}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("This form has expired")
        );
    }
    // From another site: refused before anything is read.
    let cross = post(
        Some(csrf.as_str()),
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        true,
    )
    .await
    .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    // No session (expired, signed out): sign in again, then back to the same request.
    let anonymous = post(Some(csrf.as_str()), &[], false).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let to = location(&anonymous);
    assert!(
        to.starts_with("/console/login?next=/oauth/authorize%3F"),
        "{to}"
    );
    // (This browser still has its session, so the sign-in page sends it straight on.)
    let login_page = flow.get(&flow.url(&to)).await;
    assert_eq!(login_page.status(), StatusCode::SEE_OTHER);
    let next = location(&login_page);
    assert!(next.starts_with("/oauth/authorize?"), "{next}");
    let again = flow.get(&flow.url(&next)).await;
    assert_eq!(again.status(), StatusCode::OK, "the consent page again");
    // With the token, from the page itself: the code.
    let allowed = post(
        Some(csrf.as_str()),
        &[("sec-fetch-site", "same-origin")],
        true,
    )
    .await
    .unwrap();
    assert!(location(&allowed).starts_with(REDIRECT));
}
