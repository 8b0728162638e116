//! `rotate-secret-key`, run as the real binary beside the real server, on SQLite and on
//! PostgreSQL: linked users' credentials sealed anew, API keys, OAuth tokens and older audit
//! chains still honoured through the previous key, console sessions signed out — from the key
//! file, and from the environment.

use odoo_mcp_gateway::connections::Scope;
use odoo_mcp_gateway::odoo::sim::SimOptions;
use odoo_mcp_gateway::secrets::Keyring;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use crate::cli::{Run, run_cli};
use crate::console::{Console, mcp_status};
use crate::helpers::{TestApp, ok_result};
use crate::oauth::{Flow, access, refresh_token};

on_both_engines!(
    gateway;
    rotating_the_key_file_keeps_users_keys_tokens_and_chains,
);

async fn gateway(database_url: Option<&str>) -> (TestApp, Option<String>) {
    let app = TestApp::spawn_on(SimOptions::default(), database_url).await;
    (app, database_url.map(str::to_owned))
}

/// The real binary on `app`'s store, with these extra variables.
async fn cli(
    app: &TestApp,
    database_url: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> Run {
    let mut all = env.to_vec();
    if let Some(url) = database_url {
        all.push(("GATEWAY_DATABASE_URL", url));
    }
    run_cli(app.data_dir.path(), &all, args, "").await
}

/// The keys in the data directory's key file, current first.
fn key_file(app: &TestApp) -> Vec<String> {
    std::fs::read_to_string(app.data_dir.path().join("secret.key"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

async fn count_partners(app: &TestApp, key: &str) {
    let answer = app
        .call(key, "count_records", json!({"model": "res.partner"}))
        .await;
    assert!(
        ok_result(&answer)["count"].as_i64().unwrap() > 0,
        "{answer}"
    );
}

async fn rotating_the_key_file_keeps_users_keys_tokens_and_chains(
    (app, db): (TestApp, Option<String>),
) {
    let db = db.as_deref();
    let (_, key) = app.api_key("demo", Scope::Full).await;
    count_partners(&app, &key).await;
    let flow = Flow::new(&app).await;
    let (client_id, tokens) = flow.connect("mcp:read mcp:write").await;
    app.administrator().await;
    // Two console sessions: the administrator's, and demo's from the OAuth consent.
    let mut console = Console::signed_in(&app, "admin", "admin").await;
    assert_eq!(
        console.get("/console/connections").await.status,
        StatusCode::OK
    );
    app.state.audit.flush().await;
    let old = key_file(&app);
    assert_eq!(old.len(), 1);

    let run = cli(&app, db, &[], &["rotate-secret-key"]).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("the new key comes first, 1 previous key kept below it")
            && run
                .stdout
                .contains("Encrypted 2 linked users' credentials anew")
            && run.stdout.contains("signed 2 console sessions out"),
        "{}",
        run.stdout
    );
    let rotated = key_file(&app);
    assert_eq!(rotated.len(), 2);
    assert_eq!(rotated[1], old[0]);
    assert_ne!(rotated[0], old[0]);

    // Every linked credential now opens under the new key alone, and no longer under the old.
    let (new_only, old_only) = (
        Keyring::from_encoded(&rotated[0]).unwrap(),
        Keyring::from_encoded(&old[0]).unwrap(),
    );
    for user in app.state.store.list_odoo_users().await.unwrap() {
        assert!(new_only.open(&user.secret_sealed, &user.login).is_ok());
        assert!(old_only.open(&user.secret_sealed, &user.login).is_err());
    }

    // A gateway started after the rotation: the API key issued before it still works (so the
    // demo user's credential opens), and is filed under the new key as it is used.
    let after = app.replica().await;
    count_partners(&after, &key).await;
    let filed = after
        .state
        .store
        .find_connection_by_key_hash(&new_only.token_hash(&key).0)
        .await
        .unwrap();
    assert!(filed.is_some(), "the key was not filed under the new key");
    // The OAuth tokens from before it too: the access token, and the refresh token for a pair.
    let flow = Flow::new(&after).await;
    assert_eq!(flow.list_tools(access(&tokens)).await.0, StatusCode::OK);
    let (status, refreshed) = flow.refresh(&client_id, refresh_token(&tokens)).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(flow.list_tools(access(&refreshed)).await.0, StatusCode::OK);
    // The console session from before it is signed out.
    console.base = after.base.clone();
    let page = console.get("/console/connections").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    // The old writer's chain verifies under the previous key, the new one's under the new key;
    // without the previous key the old chain cannot be vouched for.
    after.state.audit.flush().await;
    app.state.audit.flush().await;
    let verified = cli(&app, db, &[], &["audit", "verify"]).await;
    assert!(verified.ok, "{}{}", verified.stdout, verified.stderr);
    assert!(
        verified.stdout.starts_with("Audit log intact: 2 chains"),
        "{}",
        verified.stdout
    );
    let only_new = [("GATEWAY_SECRET_KEY", rotated[0].as_str())];
    let unverified = cli(&app, db, &only_new, &["audit", "verify"]).await;
    assert!(
        !unverified.ok && unverified.stdout.contains("was altered"),
        "{}",
        unverified.stdout
    );

    // Rotating to a key the ring already holds is refused, and changes nothing.
    let again = [("GATEWAY_NEW_SECRET_KEY", old[0].as_str())];
    let refused = cli(&app, db, &again, &["rotate-secret-key"]).await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("rotate to a fresh key"),
        "{}",
        refused.stderr
    );
    assert_eq!(key_file(&app), rotated);
}

/// With the key in the environment the command needs the new key given (so it is in the
/// operator's hands before anything is sealed under it), leaves the key file alone, and a
/// gateway needs the old key among its previous keys until each API key has been used once.
#[tokio::test]
async fn rotating_a_key_from_the_environment_needs_the_new_key_and_the_old_one_kept() {
    let app = TestApp::spawn().await;
    let (_, key) = app.api_key("demo", Scope::Full).await;
    let old = key_file(&app).remove(0);
    let current = [("GATEWAY_SECRET_KEY", old.as_str())];

    let refused = cli(&app, None, &current, &["rotate-secret-key"]).await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("--new-secret-key"),
        "{}",
        refused.stderr
    );
    let bad = [
        ("GATEWAY_SECRET_KEY", old.as_str()),
        ("GATEWAY_NEW_SECRET_KEY", "short"),
    ];
    let refused = cli(&app, None, &bad, &["rotate-secret-key"]).await;
    assert!(
        !refused.ok && refused.stderr.contains("32 bytes"),
        "{}",
        refused.stderr
    );

    let new = cli(&app, None, &[], &["generate-secret-key"])
        .await
        .stdout
        .trim()
        .to_owned();
    let both = [
        ("GATEWAY_SECRET_KEY", old.as_str()),
        ("GATEWAY_NEW_SECRET_KEY", new.as_str()),
    ];
    let run = cli(&app, None, &both, &["rotate-secret-key"]).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("GATEWAY_PREVIOUS_SECRET_KEYS to the key it replaces")
    );
    assert!(
        run.stdout
            .contains("Encrypted 1 linked user's credential anew"),
        "{}",
        run.stdout
    );
    assert_eq!(
        key_file(&app),
        vec![old.clone()],
        "the key file was left alone"
    );

    let ring = |previous: &[&str]| {
        let previous: Vec<SecretString> = previous.iter().map(|k| SecretString::from(*k)).collect();
        Keyring::load_or_create(
            Some(&SecretString::from(new.clone())),
            &previous,
            app.data_dir.path(),
        )
        .unwrap()
    };
    let unknown = mcp_status(&app.replica_keyed(ring(&[])).await, &key).await;
    assert_eq!(
        unknown,
        StatusCode::UNAUTHORIZED,
        "found without the previous key"
    );
    let with_old = app.replica_keyed(ring(&[old.as_str()])).await;
    count_partners(&with_old, &key).await;
    // Used once, the key is filed under the new key: the previous one is no longer needed.
    count_partners(&app.replica_keyed(ring(&[])).await, &key).await;
}
