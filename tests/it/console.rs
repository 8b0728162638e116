//! Console over plain HTTP (no browser): sign-in, sessions, throttling, CSRF, roles checked on
//! the server for every page and action, and validation that saves nothing on any bad field.

use odoo_mcp_gateway::clock::MINUTE_MS;
use odoo_mcp_gateway::connections::{self, Scope};
use odoo_mcp_gateway::odoo::sim::SimOptions;
use odoo_mcp_gateway::users::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// A console client keeping its session cookie, never following redirects.
pub struct Console {
    pub base: String,
    http: reqwest::Client,
    pub cookie: Option<String>,
    /// The known-device cookie a successful sign-in left (sent with sign-ins only, like its path).
    pub device: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Console {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            device: None,
        }
    }

    /// Signs in and keeps the session; panics unless sign-in succeeded.
    pub async fn signed_in(app: &TestApp, login: &str, secret: &str) -> Self {
        let mut c = Self::new(app);
        let page = c.sign_in(login, secret, "").await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login}: {}",
            page.body
        );
        c
    }

    pub async fn sign_in(&mut self, login: &str, secret: &str, next: &str) -> Page {
        let mut request = self
            .http
            .post(format!("{}/console/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([("login", login), ("secret", secret), ("next", next)])
                    .unwrap(),
            );
        if let Some(device) = &self.device {
            request = request.header("cookie", device);
        }
        let response = request.send().await.unwrap();
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap().to_owned();
            assert!(
                set.contains("HttpOnly") && set.contains("SameSite=Lax"),
                "{set}"
            );
            let pair = set.split(';').next().unwrap().to_owned();
            if pair.starts_with("omg_known_device=") {
                assert!(set.contains("Path=/console/login"), "{set}");
                self.device = Some(pair);
            } else {
                self.cookie = Some(pair);
            }
        }
        Self::page(response).await
    }

    async fn page(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::page(request.send().await.unwrap()).await
    }

    /// The CSRF token of this session, read from a page's forms.
    pub async fn csrf(&self) -> String {
        let page = self.get("/console/connections").await;
        csrf_in(&page.body).expect("a page with a form")
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all, &[]).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap());
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        for (n, v) in headers {
            request = request.header(*n, *v);
        }
        Self::page(request.send().await.unwrap()).await
    }
}

pub fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_owned())
}

/// The text of the element with this id (first line of it), for message checks.
pub fn element_text(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!("id=\"{id}\""))?;
    let rest = &body[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(unescape(rest[start..end].trim()))
}

fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A TestApp with `admin` as MCP Administrator and `demo` as MCP User (as `demo` sets up).
pub async fn console_app() -> TestApp {
    console_app_on(None).await
}

/// [`console_app`] on `database_url`'s engine (`None`: SQLite).
pub async fn console_app_on(database_url: Option<&str>) -> TestApp {
    let app = TestApp::spawn_on(SimOptions::default(), database_url).await;
    let now = app.state.clock.now();
    for (login, role) in [("admin", "admin"), ("demo", "user")] {
        app.link(login).await;
        app.state
            .store
            .set_role(login, Some(role.parse().unwrap()), now)
            .await
            .unwrap();
    }
    app
}

pub async fn mcp_status(app: &TestApp, key: &str) -> StatusCode {
    app.post(
        Some(key),
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
    )
    .send()
    .await
    .unwrap()
    .status()
}

#[tokio::test]
async fn every_console_page_needs_a_session_and_the_root_leads_there() {
    let app = console_app().await;
    let c = Console::new(&app);
    assert_eq!(c.get("/").await.location.as_deref(), Some("/console"));
    // The Dashboard is the landing page.
    assert_eq!(
        c.get("/console").await.location.as_deref(),
        Some("/console/login?next=/console")
    );
    for path in [
        "/console/connections",
        "/console/connections/1",
        "/console/new",
        "/console/users",
        "/console/settings",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            page.location.unwrap(),
            format!("/console/login?next={path}")
        );
    }
    let page = c.get("/console/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Password or API key"));
}

#[tokio::test]
async fn sign_in_returns_to_a_local_next_only_and_sign_out_ends_the_session() {
    let app = console_app().await;
    let mut c = Console::new(&app);
    let page = c.sign_in("admin", "admin", "/console/users").await;
    assert_eq!(page.location.as_deref(), Some("/console/users"));
    let mut evil = Console::new(&app);
    let page = evil
        .sign_in("admin", "admin", "https://evil.example/x")
        .await;
    assert_eq!(page.location.as_deref(), Some("/console"));
    let page = evil.sign_in("admin", "admin", "//evil.example/x").await;
    assert_eq!(page.location.as_deref(), Some("/console"));

    assert_eq!(c.get("/console/connections").await.status, StatusCode::OK);
    let out = c.post("/console/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/console/login"));
    assert_eq!(
        c.get("/console/connections").await.status,
        StatusCode::SEE_OTHER,
        "old cookie is dead"
    );
}

#[tokio::test]
async fn sign_in_links_the_credential_and_an_api_key_works_too() {
    let app = console_app().await;
    let key = app.sim().issue_api_key("demo").unwrap();
    let c = Console::signed_in(&app, "demo", &key).await;
    assert_eq!(c.get("/console/connections").await.status, StatusCode::OK);
    let user = app
        .state
        .store
        .find_odoo_user("demo")
        .await
        .unwrap()
        .unwrap();
    let opened = app.state.keyring.open(&user.secret_sealed, "demo").unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&opened),
        key,
        "credential stored sealed"
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_logins_get_the_same_message() {
    let app = console_app().await;
    let mut c = Console::new(&app);
    let wrong = c.sign_in("admin", "nope", "").await;
    let unknown = c.sign_in("nobody", "nope", "").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let msg = element_text(&wrong.body, "login-error").unwrap();
    assert_eq!(msg, element_text(&unknown.body, "login-error").unwrap());
    assert!(msg.contains("did not accept"), "{msg}");
    assert!(c.cookie.is_none());
}

#[tokio::test]
async fn a_person_without_a_role_is_asked_to_see_an_administrator() {
    let app = console_app().await;
    let mut c = Console::new(&app);
    let page = c.sign_in("portal", "portal", "").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Ask an administrator"), "{}", page.body);
    assert!(c.cookie.is_none(), "no session without a role");
    assert!(
        app.state
            .store
            .find_odoo_user("portal")
            .await
            .unwrap()
            .is_none(),
        "and no stored credential either"
    );
}

#[tokio::test]
async fn five_failures_lock_a_login_for_fifteen_minutes() {
    let app = console_app().await;
    let mut c = Console::new(&app);
    for _ in 0..5 {
        assert_eq!(
            c.sign_in("admin", "wrong", "").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = c.sign_in("admin", "admin", "").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        element_text(&locked.body, "login-error")
            .unwrap()
            .contains("try again in 15 minutes")
    );
    app.state.clock.advance(15 * MINUTE_MS);
    assert_eq!(
        c.sign_in("admin", "admin", "").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_share_one_count() {
    let app = console_app().await;
    let calls_before = app.sim().calls_served();
    let attempts = (0..30).map(|_| {
        let app = &app;
        async move { Console::new(app).sign_in("demo", "wrong", "").await.status }
    });
    let statuses = futures::future::join_all(attempts).await;
    let guessed = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(guessed + refused, 30, "{statuses:?}");
    // At most five guesses reach Odoo, never the thirty a shared stale count allowed.
    assert!(guessed <= 5, "{statuses:?}");
    // Each guess that reached Odoo is one `common.authenticate` call there.
    assert_eq!(app.sim().calls_served() - calls_before, guessed as u64);
}

#[tokio::test]
async fn guessing_one_login_locks_that_login_only_never_the_address() {
    let app = console_app().await;
    let mut attacker = Console::new(&app);
    for _ in 0..40 {
        attacker.sign_in("portal", "wrong", "").await;
    }
    assert_eq!(
        attacker.sign_in("portal", "portal", "").await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessed login is locked"
    );
    // Everyone else behind the same address signs in, even from a browser never seen before.
    let mut colleague = Console::new(&app);
    assert_eq!(
        colleague.sign_in("admin", "admin", "").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_spray_of_twenty_logins_locks_newcomers_at_the_address_but_not_known_browsers() {
    let app = console_app().await;
    let mut known = Console::new(&app);
    assert_eq!(
        known.sign_in("demo", "demo", "").await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        known.device.is_some(),
        "a known-device cookie after signing in"
    );

    let mut sprayer = Console::new(&app);
    for i in 0..20 {
        let page = sprayer.sign_in(&format!("nobody{i}"), "wrong", "").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let page = sprayer.sign_in("nobody20", "wrong", "").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "a 21st login");
    let mut newcomer = Console::new(&app);
    assert_eq!(
        newcomer.sign_in("admin", "admin", "").await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a browser never signed in from waits out the spray"
    );
    // The cookie vouches for its own login only.
    let mut borrowed = Console::new(&app);
    borrowed.device = known.device.clone();
    assert_eq!(
        borrowed.sign_in("admin", "admin", "").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        known.sign_in("demo", "demo", "").await.status,
        StatusCode::SEE_OTHER,
        "a browser demo signed in from before still gets in"
    );
    // …and the per-login limit still holds for it.
    for _ in 0..5 {
        known.sign_in("demo", "wrong", "").await;
    }
    assert_eq!(
        known.sign_in("demo", "demo", "").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    app.state.clock.advance(15 * MINUTE_MS);
    assert_eq!(
        newcomer.sign_in("admin", "admin", "").await.status,
        StatusCode::SEE_OTHER,
        "the address lock runs out"
    );
}

#[tokio::test]
async fn posts_without_this_sessions_csrf_token_or_from_another_site_are_refused() {
    let app = console_app().await;
    let (id, _) = app.api_key("demo", Scope::Full).await;
    let c = Console::signed_in(&app, "admin", "admin").await;
    let path = format!("/console/connections/{id}/revoke");
    assert_eq!(
        c.post_raw(&path, &[], &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.post_raw(&path, &[("csrf", "forged")], &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let csrf = c.csrf().await;
    let cross = c
        .post_raw(
            &path,
            &[("csrf", &csrf)],
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(
        connections::get(&app.state.store, id)
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    assert_eq!(
        c.post_raw(&path, &[("csrf", &csrf)], &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        connections::get(&app.state.store, id)
            .await
            .unwrap()
            .revoked_at
            .is_some()
    );
}

#[tokio::test]
async fn an_mcp_user_sees_and_acts_on_only_their_own_connections() {
    let app = console_app().await;
    let (own, own_key) = app.api_key("demo", Scope::Full).await;
    let (other, other_key) = app.api_key("admin", Scope::Full).await;
    let c = Console::signed_in(&app, "demo", "demo").await;

    let list = c.get("/console/connections").await;
    assert!(list.body.contains(&format!("/console/connections/{own}\"")));
    assert!(
        !list
            .body
            .contains(&format!("/console/connections/{other}\""))
    );
    assert!(!list.body.contains("Connect a New Tool"));
    assert_eq!(
        c.get(&format!("/console/connections/{other}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Forged posts on someone else's connection: refused, nothing changes.
    for action in ["rotate", "revoke"] {
        let page = c
            .post(&format!("/console/connections/{other}/{action}"), &[])
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(mcp_status(&app, &other_key).await, StatusCode::OK);
    // Editing is for administrators, even on their own connection.
    let save = c
        .post(
            &format!("/console/connections/{own}"),
            &[("description", "mine")],
        )
        .await;
    assert_eq!(save.status, StatusCode::FORBIDDEN);
    assert_eq!(
        connections::get(&app.state.store, own)
            .await
            .unwrap()
            .description,
        ""
    );
    // Admin-only pages and actions.
    for path in [
        "/console/new",
        "/console/new/api-key",
        "/console/new/oauth",
        "/console/new/browser",
        "/console/users",
        "/console/settings",
    ] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let forged = [
        (
            "/console/new/api-key",
            vec![("name", "sneaky"), ("user", "demo"), ("scope", "full")],
        ),
        (
            "/console/new/oauth",
            vec![
                ("name", "sneaky"),
                ("client_type", "public"),
                ("redirect_uris", "https://x.example/cb"),
            ],
        ),
        ("/console/users/2/role", vec![("role", "admin")]),
        ("/console/settings", vec![("mcp_enabled", "")]),
    ];
    let before = connections::list(&app.state.store).await.unwrap().len();
    for (path, fields) in forged {
        assert_eq!(
            c.post(path, &fields).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        connections::list(&app.state.store).await.unwrap().len(),
        before
    );
    assert_eq!(
        app.state
            .store
            .find_odoo_user("demo")
            .await
            .unwrap()
            .unwrap()
            .role
            .map(odoo_mcp_gateway::users::Role::as_db),
        Some("user")
    );
    assert!(
        app.state
            .settings
            .get(&app.state.store)
            .await
            .unwrap()
            .mcp_enabled
    );

    // Their own: rotate (old key dies at once), revoke, reactivate.
    let rotated = c
        .post(&format!("/console/connections/{own}/rotate"), &[])
        .await;
    assert_eq!(
        rotated.location.unwrap(),
        format!("/console/connections/{own}/issued")
    );
    assert_eq!(mcp_status(&app, &own_key).await, StatusCode::UNAUTHORIZED);
    // Another site linking to the page cannot use up the one showing of the key.
    let lured = c
        .get_with(
            &format!("/console/connections/{own}/issued"),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert!(element_text(&lured.body, "api-key").is_none());
    let issued = c.get(&format!("/console/connections/{own}/issued")).await;
    let new_key = element_text(&issued.body, "api-key").unwrap();
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::OK);
    assert!(
        c.get(&format!("/console/connections/{own}/issued"))
            .await
            .body
            .contains("already shown")
    );
    c.post(&format!("/console/connections/{own}/revoke"), &[])
        .await;
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::UNAUTHORIZED);
    c.post(&format!("/console/connections/{own}/reactivate"), &[])
        .await;
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::OK);

    // What an administrator revoked, the MCP User cannot undo; the administrator can.
    let admin = Console::signed_in(&app, "admin", "admin").await;
    admin
        .post(&format!("/console/connections/{own}/revoke"), &[])
        .await;
    let refused = c
        .post(&format!("/console/connections/{own}/reactivate"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("only an administrator can reactivate"),
        "{}",
        refused.body
    );
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::UNAUTHORIZED);
    admin
        .post(&format!("/console/connections/{own}/reactivate"), &[])
        .await;
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::OK);
}

#[tokio::test]
async fn an_invalid_connection_form_names_each_bad_field_and_saves_nothing() {
    let app = console_app().await;
    let (id, _) = app.api_key("demo", Scope::Full).await;
    let c = Console::signed_in(&app, "admin", "admin").await;
    let path = format!("/console/connections/{id}");
    let page = c
        .post(
            &path,
            &[
                ("allowed_tools", "search_records, launch_rockets"),
                ("allowed_models", "res.partner, Bad Model"),
                ("model_operations", "res.partner: read, erase"),
                ("allowed_companies", "1, main"),
                ("approval_tools", "delete_record"),
                ("confirm_tools", "update_record, teleport"),
                ("approver", "999"),
                ("approval_expiry_hours", "0"),
                ("allowed_ips", "10.0.0.0/8\nhello"),
                ("blocked_ips", "2001:db8::/32\n300.0.0.1 # typo"),
                ("rate_per_minute", "-1"),
                ("rate_per_day", "many"),
                ("write_per_minute", "0"),
                ("tool_limits", "delete_record: 2/day\nrun_action: 3/hour"),
                ("description", "should not be saved"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = |id: &str| element_text(&page.body, id).unwrap_or_else(|| panic!("no #{id}"));
    assert!(msg("allowed_tools-error").contains("'launch_rockets' is not a tool"));
    assert!(msg("allowed_models-error").contains("'Bad' is not an Odoo model name"));
    assert!(msg("model_operations-error").starts_with("'erase' is not an operation"));
    assert!(msg("allowed_companies-error").contains("'main' is not a company id"));
    assert!(msg("confirm_tools-error").contains("'teleport' is not a tool"));
    assert!(msg("approver-error").contains("Choose an approver"));
    assert!(msg("approval_expiry_hours-error").contains("'0'"));
    assert!(msg("allowed_ips-error").contains("Line 2: 'hello'"));
    assert!(msg("blocked_ips-error").contains("Line 2: '300.0.0.1'"));
    assert!(msg("rate_per_minute-error").contains("requests per minute"));
    assert!(msg("rate_per_day-error").contains("'many'"));
    assert!(msg("write_per_minute-error").contains("calls per minute"));
    assert!(msg("tool_limits-error").starts_with("'3/hour' is not a limit"));
    assert!(
        page.body.contains("should not be saved"),
        "the user's input is kept"
    );
    let stored = connections::get(&app.state.store, id).await.unwrap();
    assert_eq!(stored.description, "");
    assert_eq!(stored.policy.allowed_tools.to_string(), "");
    assert_eq!(stored.policy.allowed_ips.as_text(), "");
    assert!(stored.policy.tool_limits.is_empty());

    let admin_id = app
        .state
        .store
        .find_odoo_user("admin")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let ok = c
        .post(
            &path,
            &[
                ("allowed_tools", "search_records, get_record"),
                ("allowed_models", "res.partner"),
                ("model_operations", "res.partner: write, read"),
                ("allowed_companies", "3, 1"),
                ("approval_tools", "delete_record"),
                ("confirm_tools", "update_record, post_message"),
                ("approver", &admin_id),
                ("approval_expiry_hours", "48"),
                ("allowed_ips", "10.0.0.0/8 # office"),
                ("blocked_ips", "2001:db8::/32"),
                ("rate_per_minute", "30"),
                ("rate_per_day", ""),
                ("write_per_minute", "5"),
                (
                    "tool_limits",
                    "delete_record: 2/day\nrun_action: 3 per minute, 20/d",
                ),
                ("description", "Marketing intern - paused until July"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let stored = connections::get(&app.state.store, id).await.unwrap();
    assert_eq!(
        stored.policy.allowed_tools.to_string(),
        "search_records\nget_record"
    );
    assert_eq!(
        stored.policy.rate_per_minute,
        odoo_mcp_gateway::values::Limit::new(30)
    );
    assert_eq!(stored.policy.rate_per_day, None);
    assert_eq!(
        stored.policy.write_per_minute,
        odoo_mcp_gateway::values::Limit::new(5)
    );
    assert_eq!(
        stored.policy.tool_limits.to_string(),
        "delete_record: 2/day\nrun_action: 3/minute, 20/day"
    );
    assert_eq!(stored.policy.allowed_companies.ids(), [3, 1]);
    assert_eq!(
        stored.policy.model_operations.to_string(),
        "res.partner: read, write"
    );
    assert_eq!(stored.description, "Marketing intern - paused until July");
    assert_eq!(
        stored.policy.confirm_tools.to_string(),
        "update_record\npost_message"
    );
    let shown = c.get(&path).await;
    assert!(
        shown
            .body
            .contains(r#"value="update_record, post_message""#)
    );
    assert!(shown.body.contains("Saved"), "flash after save");
    assert!(shown.body.contains("10.0.0.0/8 # office"));
    assert!(shown.body.contains("run_action: 3/minute, 20/day"));
    // With Allowed Models set, the rules show as the grid: read and write ticked, delete not.
    assert!(
        shown
            .body
            .contains(r#"name="ops:res.partner:write" aria-label="write res.partner" checked"#)
    );
    assert!(
        shown
            .body
            .contains(r#"name="ops:res.partner:delete" aria-label="delete res.partner">"#)
    );
}

#[tokio::test]
async fn the_wizard_refuses_bad_input_then_issues_a_key_and_a_client_shown_once() {
    let app = console_app().await;
    let c = Console::signed_in(&app, "admin", "admin").await;
    let bad = c
        .post(
            "/console/new/api-key",
            &[("name", " "), ("user", "ghost"), ("scope", "root")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ["name-error", "user-error", "scope-error"] {
        assert!(element_text(&bad.body, id).is_some(), "{id}");
    }
    let bad = c
        .post(
            "/console/new/oauth",
            &[
                ("name", "Bot"),
                ("client_type", "public"),
                ("redirect_uris", "http://example.com/cb"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        element_text(&bad.body, "redirect_uris-error")
            .unwrap()
            .contains("Line 1")
    );
    assert!(
        connections::list(&app.state.store)
            .await
            .unwrap()
            .is_empty(),
        "nothing created"
    );

    let made = c
        .post(
            "/console/new/api-key",
            &[
                ("name", "Cursor on my laptop"),
                ("user", "demo"),
                ("scope", "read_only"),
            ],
        )
        .await;
    let issued_path = made.location.unwrap();
    let issued = c.get(&issued_path).await;
    let key = element_text(&issued.body, "api-key").unwrap();
    assert!(key.starts_with("omg_"));
    assert_eq!(mcp_status(&app, &key).await, StatusCode::OK);
    for id in [
        "cursor",
        "claude-code",
        "vscode",
        "gemini",
        "claude-desktop",
        "curl",
    ] {
        assert!(
            issued.body.contains(&format!("id=\"snippet-{id}\"")),
            "{id}"
        );
    }
    assert!(issued.body.contains(&app.mcp_url));
    assert!(!c.get(&issued_path).await.body.contains(&key), "shown once");

    let made = c
        .post(
            "/console/new/oauth",
            &[
                ("name", "Support chatbot"),
                ("client_type", "confidential"),
                (
                    "redirect_uris",
                    "https://bot.example.com/cb\nhttp://127.0.0.1:8765/cb",
                ),
            ],
        )
        .await;
    let issued = c.get(&made.location.unwrap()).await;
    let client_id = element_text(&issued.body, "client-id").unwrap();
    assert!(client_id.starts_with("omgc_"));
    assert!(
        element_text(&issued.body, "client-secret")
            .unwrap()
            .starts_with(connections::CLIENT_SECRET_PREFIX)
    );
    let all = connections::list(&app.state.store).await.unwrap();
    let oauth = all.iter().find(|c| c.name == "Support chatbot").unwrap();
    let row = app
        .state
        .store
        .get_oauth_client(oauth.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.client_id, client_id);
    assert_eq!(
        row.redirect_uris,
        "https://bot.example.com/cb\nhttp://127.0.0.1:8765/cb"
    );
}

#[tokio::test]
async fn server_settings_validate_and_the_master_switch_acts_at_once() {
    let app = console_app().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let c = Console::signed_in(&app, "admin", "admin").await;
    let fields = |idle: &'static str| {
        vec![
            ("mcp_enabled", "on"),
            ("dynamic_registration", "on"),
            ("rate_per_minute", "60"),
            ("rate_per_day", "10000"),
            ("idle_threshold_days", idle),
            ("approval_expiry_hours", "24"),
            ("audit_retention_days", "90"),
            ("access_token_minutes", "60"),
            ("refresh_token_days", "30"),
            ("refresh_grace_seconds", "60"),
        ]
    };
    let bad = c.post("/console/settings", &fields("0")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        element_text(&bad.body, "idle_threshold_days-error")
            .unwrap()
            .contains("from 1 to 3650")
    );
    assert_eq!(
        app.state
            .settings
            .get(&app.state.store)
            .await
            .unwrap()
            .idle_threshold_days,
        7
    );

    let mut off = fields("3");
    off.retain(|(n, _)| *n != "mcp_enabled");
    assert_eq!(
        c.post("/console/settings", &off).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        mcp_status(&app, &key).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.state
            .settings
            .get(&app.state.store)
            .await
            .unwrap()
            .idle_threshold_days,
        3
    );
    assert_eq!(
        c.post("/console/settings", &fields("3")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(mcp_status(&app, &key).await, StatusCode::OK);
}

#[tokio::test]
async fn administrators_grant_and_remove_roles_but_never_the_last_admin() {
    let app = console_app().await;
    let c = Console::signed_in(&app, "admin", "admin").await;
    let id = |login: &'static str| {
        let app = &app;
        async move {
            app.state
                .store
                .find_odoo_user(login)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let admin = id("admin").await;
    let page = c
        .post(
            &format!("/console/users/{}/role", admin.id),
            &[("role", "none")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        c.get("/console/users")
            .await
            .body
            .contains("last MCP Administrator")
    );
    assert_eq!(id("admin").await.role.map(Role::as_db), Some("admin"));

    let demo = id("demo").await;
    c.post(
        &format!("/console/users/{}/role", demo.id),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(id("demo").await.role.map(Role::as_db), Some("admin"));
    c.post(
        &format!("/console/users/{}/role", demo.id),
        &[("role", "none")],
    )
    .await;
    assert_eq!(id("demo").await.role, None);
    let mut d = Console::new(&app);
    assert_eq!(
        d.sign_in("demo", "demo", "").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_wizard_offers_policy_templates_and_a_chosen_one_is_the_new_keys_policy() {
    let app = console_app().await;
    let c = Console::signed_in(&app, "admin", "admin").await;
    let form = c.get("/console/new/api-key").await;
    assert!(
        form.body
            .contains(r#"<option value="read-only-sales-analyst">"#),
        "{}",
        form.body
    );
    let bad = c
        .post(
            "/console/new/api-key",
            &[
                ("name", "Bot"),
                ("user", "demo"),
                ("scope", "full"),
                ("template", "root"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element_text(&bad.body, "template-error").is_some());
    assert!(
        connections::list(&app.state.store)
            .await
            .unwrap()
            .is_empty()
    );

    let made = c
        .post(
            "/console/new/api-key",
            &[
                ("name", "Analyst"),
                ("user", "demo"),
                ("scope", "read_only"),
                ("template", "read-only-sales-analyst"),
            ],
        )
        .await;
    assert!(made.location.is_some(), "{}", made.body);
    let created = &connections::list(&app.state.store).await.unwrap()[0];
    let template = connections::templates::find("read-only-sales-analyst")
        .unwrap()
        .policy()
        .unwrap();
    assert_eq!(created.policy, template);
    // Its page shows the template's settings, ready to edit.
    let page = c.get(&format!("/console/connections/{}", created.id)).await;
    assert!(page.body.contains("aggregate_records"), "{}", page.body);
}
