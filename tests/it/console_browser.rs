//! The console in a real headless Chromium: an administrator and an MCP User walk the whole
//! seed page. Screenshots of the list, the form and the wizard result go to target/screenshots/.

use std::path::PathBuf;

use odoo_mcp_gateway::clock::{DAY_MS, HOUR_MS};
use odoo_mcp_gateway::connections::{self, ClientType, OAuthClientSpec, Scope};
use reqwest::StatusCode;

use crate::console::console_app;
use crate::console_webdriver::{self, Browser};
use crate::helpers::TestApp;

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(name)
}

async fn mcp_status(app: &TestApp, key: &str) -> StatusCode {
    app.post(
        Some(key),
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
    )
    .send()
    .await
    .unwrap()
    .status()
}

async fn create(app: &TestApp, login: &str, name: &str, scope: Scope) -> (i64, String) {
    let s = &app.state;
    let issued =
        connections::create_api_key(&s.store, &s.keyring, login, name, scope, s.clock.now())
            .await
            .unwrap();
    (
        issued.connection_id,
        secrecy::ExposeSecret::expose_secret(&issued.key).to_owned(),
    )
}

struct Seeded {
    connected: (i64, String),
    idle: i64,
    awaiting: i64,
    revoked: i64,
    dynamic: i64,
    custom: i64,
}

/// One connection per status and type: Idle (used, then 10 days 5 hours of silence), Connected
/// (used now), Awaiting (never used), Revoked, a dynamic OAuth registration and a custom client.
async fn seed(app: &TestApp) -> Seeded {
    let s = &app.state;
    let (idle, idle_key) = create(app, "admin", "Nightly report script", Scope::ReadOnly).await;
    assert_eq!(mcp_status(app, &idle_key).await, StatusCode::OK);
    s.clock.advance(10 * DAY_MS + 5 * HOUR_MS);
    let connected = create(app, "demo", "Claude Code on Marc's laptop", Scope::Full).await;
    for _ in 0..3 {
        assert_eq!(mcp_status(app, &connected.1).await, StatusCode::OK);
    }
    let (awaiting, _) = create(app, "demo", "Cursor on Anna's laptop", Scope::Full).await;
    let (revoked, _) = create(app, "demo", "Marketing intern", Scope::ReadOnly).await;
    connections::revoke(
        &s.store,
        revoked,
        s.clock.now(),
        connections::Actor::Administrator,
    )
    .await
    .unwrap();
    let dynamic = connections::create_oauth_client(
        &s.store,
        &s.keyring,
        &OAuthClientSpec {
            name: "claude.ai",
            client_type: ClientType::Public,
            redirect_uris: &["https://claude.ai/api/mcp/auth_callback".to_owned()],
            dynamic: true,
            metadata_url: None,
            odoo_user_id: None,
            scope: Scope::Full,
        },
        s.clock.now(),
    )
    .await
    .unwrap()
    .connection_id;
    let custom = connections::create_oauth_client(
        &s.store,
        &s.keyring,
        &OAuthClientSpec {
            name: "Support chatbot",
            client_type: ClientType::Confidential,
            redirect_uris: &["https://bot.example.com/oauth/callback".to_owned()],
            dynamic: false,
            metadata_url: None,
            odoo_user_id: None,
            scope: Scope::Full,
        },
        s.clock.now(),
    )
    .await
    .unwrap()
    .connection_id;
    Seeded {
        connected,
        idle,
        awaiting,
        revoked,
        dynamic,
        custom,
    }
}

/// The ids of the rows shown, in order.
async fn rows(b: &Browser) -> Vec<i64> {
    let ids = b
        .run("return [...document.querySelectorAll('tr.row')].map(r => Number(r.dataset.id))")
        .await;
    ids.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

/// Presses Save, expects the "Saved" flash, and reads the connection back from the store.
async fn save(b: &Browser, app: &TestApp, id: i64) -> connections::Connection {
    b.nav("#save").await;
    assert!(b.text("#flash").await.starts_with("Saved"));
    connections::get(&app.state.store, id).await.unwrap()
}

async fn sign_in(b: &Browser, app: &TestApp, login: &str, secret: &str) {
    b.sign_in_at(&app.base, "/console/connections", login, secret)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_and_mcp_user_walk_the_whole_connections_page() {
    if !console_webdriver::available() {
        return;
    }
    let app = console_app().await;
    let seeded = seed(&app).await;
    let b = Browser::start().await;
    let list = format!("{}/console/connections", app.base);

    // --- Administrator: the list, colour-coded, Active by default.
    sign_in(&b, &app, "admin", "admin").await;
    assert_eq!(
        b.text(".facet").await.trim_end_matches('×').trim(),
        "Active"
    );
    let mut shown = rows(&b).await;
    shown.sort();
    let mut expected = vec![
        seeded.connected.0,
        seeded.idle,
        seeded.awaiting,
        seeded.dynamic,
        seeded.custom,
    ];
    expected.sort();
    assert_eq!(shown, expected, "Active hides the revoked row");
    let status_of = |id: i64| format!("tr.row[data-id='{id}']");
    for (id, status, badge) in [
        (seeded.connected.0, "connected", "Connected"),
        (seeded.idle, "idle", "Idle"),
        (seeded.awaiting, "awaiting", "Awaiting connection"),
    ] {
        assert_eq!(
            b.attr(&status_of(id), "class").await.unwrap(),
            format!("row row-{status}")
        );
        assert_eq!(b.text(&format!("{} .badge", status_of(id))).await, badge);
    }
    let colours = b
        .run("return Object.fromEntries([...document.querySelectorAll('tr.row')].map(r => [r.dataset.status, getComputedStyle(r).backgroundColor]))")
        .await;
    assert_eq!(colours["connected"], "rgb(231, 245, 236)", "green");
    assert_eq!(colours["awaiting"], "rgb(255, 246, 214)", "yellow");
    assert_eq!(colours["idle"], "rgb(238, 240, 243)", "grey");
    b.screenshot(&shot("connections-list.png")).await;

    // Every filter.
    b.click_link("filters", "Revoked").await;
    assert_eq!(rows(&b).await, [seeded.revoked]);
    assert_eq!(
        b.attr(&status_of(seeded.revoked), "class").await.unwrap(),
        "row row-revoked"
    );
    assert_eq!(
        b.text(&format!("{} .badge", status_of(seeded.revoked)))
            .await,
        "Revoked"
    );
    let red = b
        .run(&format!(
            "return getComputedStyle(document.querySelector(\"{}\")).backgroundColor",
            status_of(seeded.revoked)
        ))
        .await;
    assert_eq!(red, "rgb(253, 236, 234)", "red");
    b.screenshot(&shot("connections-list-revoked.png")).await;
    for (filter, want) in [
        ("Connected", vec![seeded.connected.0]),
        ("Idle", vec![seeded.idle]),
        (
            "Awaiting connection",
            vec![seeded.awaiting, seeded.dynamic, seeded.custom],
        ),
        (
            "API Key",
            vec![seeded.idle, seeded.connected.0, seeded.awaiting],
        ),
        ("OAuth Client", vec![seeded.dynamic, seeded.custom]),
        ("Dynamic Registrations", vec![seeded.dynamic]),
        (
            "Active",
            vec![
                seeded.idle,
                seeded.connected.0,
                seeded.awaiting,
                seeded.dynamic,
                seeded.custom,
            ],
        ),
    ] {
        b.goto(&list).await;
        b.click_link("filters", filter).await;
        if filter == "Active" {
            // Clicking the active default turns it off: everything, revoked included.
            assert_eq!(rows(&b).await.len(), 6);
            continue;
        }
        assert_eq!(rows(&b).await, want, "filter {filter}");
    }
    // Removing the Active facet shows all six.
    b.goto(&list).await;
    b.nav(".facet-x").await;
    assert_eq!(rows(&b).await.len(), 6);

    // Both groupings.
    b.goto(&list).await;
    b.click_link("filters", "Type").await;
    let groups = b.run("return [...document.querySelectorAll('tr.group-row th')].map(t => t.textContent.trim())").await;
    assert_eq!(
        groups,
        serde_json::json!(["API Key (3)", "OAuth Client (2)"])
    );
    b.goto(&list).await;
    b.click_link("filters", "User").await;
    let groups = b.run("return [...document.querySelectorAll('tr.group-row th')].map(t => t.textContent.trim())").await;
    assert_eq!(
        groups,
        serde_json::json!([
            "Marc Demo (demo) (2)",
            "Mitchell Admin (admin) (1)",
            "No user yet (2)"
        ])
    );
    b.screenshot(&shot("connections-grouped-by-user.png")).await;

    // Free-text search on name and user.
    b.goto(&list).await;
    b.type_into("#q", "anna").await;
    b.nav(".searchbar button[type=submit]").await;
    assert_eq!(rows(&b).await, [seeded.awaiting]);

    // --- The form, API key: Idle pill with its duration, every section.
    b.goto(&list).await;
    b.nav(&format!("{} .row-link", status_of(seeded.idle)))
        .await;
    assert_eq!(b.text("#status-pill .pill-label").await, "Idle");
    assert_eq!(b.text("#idle-for").await, "for 10 days, 5 hours");
    for section in [
        "#key-info",
        "#permissions",
        "#approvals",
        "#ip-restrictions",
        "#rate-limits",
        "#statistics",
    ] {
        assert_eq!(b.count(section).await, 1, "{section}");
    }
    assert_eq!(b.count("#oauth-info").await, 0);
    assert_eq!(b.text("#key-scope").await, "Read Only");
    assert!(b.text("#key-prefix").await.starts_with("omg_"));
    assert_eq!(
        b.attr("#rate_per_minute", "placeholder").await.unwrap(),
        "Server default: 60"
    );
    b.set_size(1280, 2200).await;
    b.screenshot(&shot("connection-form.png")).await;

    // Tag input, then an invalid IP line: named next to the field, nothing saved.
    b.type_into("#allowed_tools", "search_records\u{E007}")
        .await;
    b.type_into("#allowed_tools", "get_record\u{E007}").await;
    assert_eq!(b.count("#permissions .chip").await, 2);
    b.type_into("#blocked_ips", "10.0.0.1\nnot-an-ip").await;
    b.type_into("#description", "Nightly export for the finance team")
        .await;
    b.nav("#save").await;
    assert!(
        b.text("#blocked_ips-error")
            .await
            .contains("Line 2: 'not-an-ip'")
    );
    assert!(b.text("#form-errors").await.contains("Nothing was saved"));
    b.screenshot(&shot("connection-form-errors.png")).await;
    let stored = connections::get(&app.state.store, seeded.idle)
        .await
        .unwrap();
    assert_eq!(
        (
            stored.policy.allowed_tools.to_string().as_str(),
            stored.description.as_str()
        ),
        ("", "")
    );
    b.clear("#blocked_ips").await;
    b.type_into("#blocked_ips", "10.0.0.1 # old office").await;
    let stored = save(&b, &app, seeded.idle).await;
    assert_eq!(
        stored.policy.allowed_tools.to_string(),
        "search_records\nget_record"
    );
    assert_eq!(stored.policy.blocked_ips.as_text(), "10.0.0.1 # old office");
    assert_eq!(stored.description, "Nightly export for the finance team");

    // Model Operations: with an allowed model saved, a row of five boxes; untick three.
    b.type_into("#allowed_models", "res.partner\u{E007}").await;
    save(&b, &app, seeded.idle).await;
    assert_eq!(b.count(".ops-grid tbody tr").await, 1);
    assert_eq!(b.count(".ops-grid input[type=checkbox]:checked").await, 5);
    for op in ["create", "delete", "execute"] {
        b.click(&format!("input[name='ops:res.partner:{op}']"))
            .await;
    }
    b.screenshot(&shot("connection-form-operations.png")).await;
    let stored = save(&b, &app, seeded.idle).await;
    assert_eq!(
        stored.policy.model_operations.to_string(),
        "res.partner: read, write"
    );
    assert_eq!(b.count(".ops-grid input[type=checkbox]:checked").await, 2);

    // Record and Field limits, checked against Odoo's metadata when saved.
    b.type_into("#record_limits", "res.partner: [('user_id', '=', uid)]")
        .await;
    b.type_into("#field_limits", "res.partner: phone").await;
    b.screenshot(&shot("connection-form-limits.png")).await;
    let stored = save(&b, &app, seeded.idle).await;
    assert_eq!(
        stored.policy.record_limits.to_string(),
        "res.partner: [(\"user_id\", \"=\", uid)]"
    );
    assert_eq!(stored.policy.field_limits.to_string(), "res.partner: phone");

    // The policy check: a call naming the hidden field, refused by Field limits.
    b.nav("#policy-check").await;
    b.type_into("#tool", "search_records").await;
    b.type_into(
        "#arguments",
        r#"{"model": "res.partner", "fields": ["name", "phone"]}"#,
    )
    .await;
    b.nav("#check").await;
    assert_eq!(
        b.text("#decision-text").await,
        "Refused by Field limits: res.partner.phone is hidden from this connection."
    );
    assert_eq!(b.count("#steps .badge-step-refused").await, 1);
    b.screenshot(&shot("policy-check.png")).await;
    b.goto(&format!("{list}/{}", seeded.idle)).await;
    b.set_size(1280, 900).await;

    // --- The form, OAuth: OAuth Info, and rate limits like an API key's.
    b.goto(&format!("{list}/{}", seeded.custom)).await;
    assert!(b.text("#client-id").await.starts_with("omgc_"));
    assert_eq!(b.text("#client-type").await, "Confidential");
    assert_eq!(
        b.text("#redirect-uris").await,
        "https://bot.example.com/oauth/callback"
    );
    assert_eq!(b.count("#rate-limits").await, 1);
    assert_eq!(b.count("#key-info").await, 0);
    assert_eq!(
        b.text("#status-pill .pill-label").await,
        "Awaiting connection"
    );
    b.screenshot(&shot("connection-form-oauth.png")).await;

    // --- The wizard: three cards; browser login URL; API key with working copy buttons.
    b.goto(&list).await;
    b.nav("#connect-new").await;
    for card in ["#card-browser", "#card-api-key", "#card-oauth"] {
        assert_eq!(b.count(card).await, 1, "{card}");
    }
    b.nav("#card-browser").await;
    assert_eq!(b.text("#mcp-url").await, app.mcp_url);
    b.goto(&format!("{}/console/new", app.base)).await;
    b.nav("#card-api-key").await;
    b.type_into("#name", "Gemini on the build server").await;
    b.run("document.querySelector('#user').value = 'demo'")
        .await;
    b.click("input[name=scope][value=read_only]").await;
    b.nav("#create-key").await;
    let key = b.text("#api-key").await;
    assert!(key.starts_with("omg_"));
    assert_eq!(mcp_status(&app, &key).await, StatusCode::OK);
    assert_eq!(b.count(".snippet").await, 6);
    let clipboard = b.grant("clipboard-read").await && b.grant("clipboard-write").await;
    eprintln!("copy buttons checked through the real clipboard: {clipboard}");
    for id in [
        "cursor",
        "claude-code",
        "vscode",
        "gemini",
        "claude-desktop",
        "curl",
    ] {
        let body = b.text(&format!("#snippet-{id}")).await;
        assert!(
            body.contains(&app.mcp_url) && body.contains(&key),
            "{id}: {body}"
        );
        b.click(&format!("#copy-{id}")).await;
        let copied_attr = format!("document.querySelector('#copy-{id}').dataset.copied");
        assert!(
            b.wait_for(&copied_attr).await,
            "{id}: the copy button reported success"
        );
        let copied = if clipboard {
            b.run_async("const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, e => done('ERR ' + e))").await
        } else {
            serde_json::json!(b.attr(&format!("#copy-{id}"), "data-copied").await)
        };
        assert_eq!(
            copied.as_str().unwrap().trim(),
            body.trim(),
            "clipboard holds the {id} snippet"
        );
    }
    b.set_size(1280, 2000).await;
    b.screenshot(&shot("wizard-api-key-result.png")).await;
    b.set_size(1280, 900).await;
    b.goto(&format!("{}/console/new", app.base)).await;
    b.nav("#card-oauth").await;
    b.type_into("#name", "n8n automations").await;
    b.type_into(
        "#redirect_uris",
        "https://n8n.example.com/rest/oauth2-credential/callback",
    )
    .await;
    b.nav("#create-client").await;
    assert!(b.text("#client-id").await.starts_with("omgc_"));
    assert!(
        b.text("#client-secret")
            .await
            .starts_with(connections::CLIENT_SECRET_PREFIX)
    );

    // --- Rotate (old key refused at once), revoke, reactivate.
    let (connected, old_key) = seeded.connected.clone();
    b.goto(&format!("{list}/{connected}")).await;
    b.nav("#rotate").await;
    b.nav("#confirm-rotate").await;
    let new_key = b.text("#api-key").await;
    assert_eq!(mcp_status(&app, &old_key).await, StatusCode::UNAUTHORIZED);
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::OK);
    b.goto(&format!("{list}/{connected}")).await;
    b.nav("#revoke").await;
    assert_eq!(b.text("#status-pill .pill-label").await, "Revoked");
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::UNAUTHORIZED);
    b.nav("#reactivate").await;
    assert_eq!(b.text("#status-pill .pill-label").await, "Connected");
    assert_eq!(mcp_status(&app, &new_key).await, StatusCode::OK);

    // --- Phone width.
    b.set_size(390, 844).await;
    b.goto(&list).await;
    b.screenshot(&shot("connections-list-phone.png")).await;
    b.goto(&format!("{list}/{}", seeded.idle)).await;
    b.screenshot(&shot("connection-form-phone.png")).await;
    b.set_size(1280, 900).await;

    // --- The MCP User: only their own rows; acts on them; a forged POST on another's is refused.
    b.goto(&list).await;
    b.nav("#sign-out").await;
    assert!(b.url().await.contains("/console/login"));
    sign_in(&b, &app, "demo", "demo").await;
    let mut mine = rows(&b).await;
    mine.sort();
    let gemini = connections::list(&app.state.store)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Gemini on the build server")
        .unwrap()
        .id;
    let mut want = vec![connected, seeded.awaiting, gemini];
    want.sort();
    assert_eq!(mine, want);
    assert_eq!(b.count("#connect-new").await, 0);
    assert_eq!(b.count("a[href='/console/users']").await, 0);
    b.screenshot(&shot("connections-list-mcp-user.png")).await;
    b.nav(&format!("{} .row-link", status_of(connected))).await;
    assert_eq!(b.count("#readonly-note").await, 1);
    assert_eq!(b.count("#save").await, 0);
    assert_eq!(
        b.attr("fieldset.sections", "disabled").await.as_deref(),
        Some("true")
    );
    b.nav("#revoke").await;
    assert_eq!(b.text("#status-pill .pill-label").await, "Revoked");
    b.nav("#reactivate").await;
    assert_eq!(b.text("#status-pill .pill-label").await, "Connected");
    let forged = b
        .run_async(&format!(
            "const done = arguments[arguments.length - 1];
             const csrf = document.querySelector('input[name=csrf]').value;
             fetch('/console/connections/{}/revoke', {{method: 'POST', body: new URLSearchParams({{csrf}}), redirect: 'manual'}})
               .then(r => done(r.status), e => done('ERR ' + e))",
            seeded.idle
        ))
        .await;
    assert_eq!(
        forged, 404,
        "someone else's connection is not the MCP User's to revoke"
    );
    assert!(
        connections::get(&app.state.store, seeded.idle)
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    b.goto(&format!("{}/console/settings", app.base)).await;
    assert_eq!(b.text("#message-title").await, "Not allowed");
    b.quit().await;
}
