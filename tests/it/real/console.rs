//! Signing in on real Odoo: the console links the credential Odoo accepted, never trades a
//! linked API key for a password, and the OAuth flow (Python MCP SDK) runs through it.

use odoo_mcp_gateway::console::login::pending_role_key;
use odoo_mcp_gateway::users::Role;
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use super::{Real, Setup};
use crate::console::Console;
use crate::{on_every_setup, on_main_setups};

on_every_setup!([a_password_sign_in_never_replaces_a_linked_api_key]);

on_main_setups!([
    the_console_signs_in_with_odoo_credentials,
    the_python_sdk_connects_with_oauth,
]);

/// The secret stored for `login`, unsealed.
async fn stored_secret(r: &Real, login: &str) -> (String, String) {
    let s = &r.app.state;
    let row = s.store.find_odoo_user(login).await.unwrap().unwrap();
    let secret = s.keyring.open(&row.secret_sealed, login).unwrap();
    (secret.expose_secret().to_owned(), row.protocol)
}

async fn the_console_signs_in_with_odoo_credentials(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    // demo was granted a role before ever signing in: the sign-in links them.
    r.app
        .state
        .store
        .put_setting(&pending_role_key("demo"), "user")
        .await
        .unwrap();
    let mut console = Console::new(&r.app);
    let refused = console.sign_in("demo", "not-the-password", "").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    let secret = setup.secret(&r.odoo.demo);
    let page = console.sign_in("demo", secret, "").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = console.get("/console/connections").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Marc Demo"), "{}", list.body);
    let (stored, protocol) = stored_secret(&r, "demo").await;
    assert_eq!(stored, secret);
    assert_eq!(protocol, setup.protocol_name());
    // The linked credential works for MCP at once.
    let (_, key) = r
        .app
        .api_key("demo", odoo_mcp_gateway::connections::Scope::Full)
        .await;
    let context = r
        .ok(&key, "get_current_context", serde_json::json!({}))
        .await;
    assert_eq!(context["user"]["login"], "demo", "{context}");
}

async fn a_password_sign_in_never_replaces_a_linked_api_key(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    let demo = &r.odoo.demo;
    r.app.link_with("demo", &demo.api_key).await;
    let s = &r.app.state;
    s.store
        .set_role("demo", Some(Role::User), s.clock.now())
        .await
        .unwrap();
    let before = stored_secret(&r, "demo").await;
    assert_eq!(before.0, demo.api_key);
    if setup == Setup::V19Json2 {
        // JSON-2 takes no password: the sign-in itself is refused, nothing changes.
        let mut console = Console::new(&r.app);
        let page = console.sign_in("demo", &demo.password, "").await;
        assert_ne!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    } else {
        Console::signed_in(&r.app, "demo", &demo.password).await;
    }
    assert_eq!(
        stored_secret(&r, "demo").await,
        before,
        "the key stays linked"
    );

    if setup != Setup::V19Json2 {
        // The other way round is an upgrade, and happens: a password replaced by a key.
        r.app.link_with("demo", &demo.password).await;
        Console::signed_in(&r.app, "demo", &demo.api_key).await;
        assert_eq!(stored_secret(&r, "demo").await.0, demo.api_key);
    }
}

async fn the_python_sdk_connects_with_oauth(setup: Setup) {
    let Some(r) = Real::start(setup).await else {
        return;
    };
    crate::oauth_python::oauth_flow(
        &r.app,
        setup.secret(&r.odoo.demo),
        setup.secret(&r.odoo.admin),
    )
    .await;
}
