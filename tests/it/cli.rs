//! The command line: linking users and managing API keys, against the same data directory a
//! running gateway uses.

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::helpers::TestApp;

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

async fn cli(data_dir: &Path, odoo_url: &str, args: &[&str], stdin: &str) -> Run {
    run_cli(
        data_dir,
        &[("ODOO_URL", odoo_url), ("ODOO_DB", "demo")],
        args,
        stdin,
    )
    .await
}

/// The real binary with `args`, on `data_dir`, with these extra environment variables and
/// `stdin` as its input.
pub async fn run_cli(data_dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_odoo-mcp-gateway"))
        .args(args)
        .env("GATEWAY_DATA_DIR", data_dir)
        .env_remove("ODOO_URL")
        .env_remove("ODOO_DB")
        .envs(env.iter().copied())
        .env("GATEWAY_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn last_line(text: &str) -> String {
    text.lines().last().unwrap_or_default().trim().to_owned()
}

#[tokio::test]
async fn the_cli_links_a_user_and_manages_keys_that_a_running_gateway_honours_at_once() {
    let app = TestApp::spawn().await;
    let dir = app.data_dir.path();
    let odoo = app.sim_url();
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

    let wrong = cli(dir, odoo, &["user", "link", "demo"], "not-the-password\n").await;
    assert!(!wrong.ok);
    assert!(
        wrong
            .stderr
            .contains("Odoo refused the login or the password/API key for 'demo'"),
        "{}",
        wrong.stderr
    );
    assert!(
        app.state
            .store
            .find_odoo_user("demo")
            .await
            .unwrap()
            .is_none(),
        "nothing stored"
    );

    let linked = cli(dir, odoo, &["user", "link", "demo"], "demo\n").await;
    assert!(linked.ok, "{}", linked.stderr);
    assert!(
        linked
            .stdout
            .contains("Linked demo (Odoo uid 5, \"Marc Demo\")"),
        "{}",
        linked.stdout
    );
    assert!(
        !linked.stdout.contains("demo\n\n"),
        "the secret is never echoed"
    );

    let unknown = cli(
        dir,
        odoo,
        &["connection", "create", "--user", "nobody", "--name", "x"],
        "",
    )
    .await;
    assert!(
        !unknown.ok && unknown.stderr.contains("'nobody' is not linked yet"),
        "{}",
        unknown.stderr
    );
    let bad_scope = cli(
        dir,
        odoo,
        &[
            "connection",
            "create",
            "--user",
            "demo",
            "--name",
            "x",
            "--scope",
            "root",
        ],
        "",
    )
    .await;
    assert!(
        !bad_scope.ok && bad_scope.stderr.contains("unknown scope 'root'"),
        "{}",
        bad_scope.stderr
    );

    let created = cli(
        dir,
        odoo,
        &[
            "connection",
            "create",
            "--user",
            "demo",
            "--name",
            "Cursor on CI",
        ],
        "",
    )
    .await;
    assert!(created.ok, "{}", created.stderr);
    let key = last_line(&created.stdout);
    assert!(key.starts_with("omg_"), "{}", created.stdout);
    let id = app
        .state
        .store
        .find_connection_by_key_hash(&app.state.keyring.token_hash(&key).0)
        .await
        .unwrap()
        .unwrap()
        .id;

    // The server reads keys in place (SQLite file): a change the CLI commits in its own
    // process must still stop the old key on the next request.
    assert!(app.state.key_reader.is_some());
    let listed = cli(dir, odoo, &["connection", "list"], "").await;
    assert!(
        listed.stdout.contains("Cursor on CI") && listed.stdout.contains("Awaiting connection"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains(&key), "the list never shows a key");

    assert_eq!(
        app.post(Some(&key), list).send().await.unwrap().status(),
        200
    );
    app.state.audit.flush().await;
    let listed = cli(dir, odoo, &["connection", "list"], "").await;
    assert!(listed.stdout.contains("Connected"), "{}", listed.stdout);

    let id_arg = id.to_string();
    let rotated = cli(dir, odoo, &["connection", "rotate", &id_arg], "").await;
    assert!(rotated.ok, "{}", rotated.stderr);
    let new_key = last_line(&rotated.stdout);
    assert_eq!(
        app.post(Some(&key), list).send().await.unwrap().status(),
        401,
        "old key dies at once"
    );
    assert_eq!(
        app.post(Some(&new_key), list)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let revoked = cli(dir, odoo, &["connection", "revoke", &id_arg], "").await;
    assert!(revoked.ok, "{}", revoked.stderr);
    let refused = app.post(Some(&new_key), list).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "This connection has been revoked."
    );
    assert!(
        cli(dir, odoo, &["connection", "list"], "")
            .await
            .stdout
            .contains("Revoked")
    );

    assert!(
        cli(dir, odoo, &["connection", "reactivate", &id_arg], "")
            .await
            .ok
    );
    assert_eq!(
        app.post(Some(&new_key), list)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let missing = cli(dir, odoo, &["connection", "revoke", "999"], "").await;
    assert!(
        !missing.ok && missing.stderr.contains("no connection with id 999"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn a_connection_created_with_its_own_rate_limit_is_held_to_it() {
    let app = TestApp::spawn().await;
    let dir = app.data_dir.path();
    let odoo = app.sim_url();
    assert!(cli(dir, odoo, &["user", "link", "demo"], "demo\n").await.ok);
    let args = [
        "connection",
        "create",
        "--user",
        "demo",
        "--name",
        "slow",
        "--rate-per-minute",
        "2",
    ];
    let created = cli(dir, odoo, &args, "").await;
    assert!(created.ok, "{}", created.stderr);
    let key = last_line(&created.stdout);
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let statuses = [
        app.post(Some(&key), list).send().await.unwrap().status(),
        app.post(Some(&key), list).send().await.unwrap().status(),
        app.post(Some(&key), list).send().await.unwrap().status(),
    ];
    // The test clock stands still, so all three fall in one minute window.
    let codes: Vec<u16> = statuses.iter().map(|s| s.as_u16()).collect();
    assert_eq!(codes, [200, 200, 429]);
    let stored = app.state.store.list_connections().await.unwrap()[0]
        .policy
        .rate_per_minute;
    assert_eq!(stored, odoo_mcp_gateway::values::Limit::new(2));
}

#[tokio::test]
async fn help_documents_every_setting_with_its_environment_variable() {
    let run = cli(Path::new("."), "http://unused", &["serve", "--help"], "").await;
    assert!(run.ok);
    for var in [
        "GATEWAY_LISTEN",
        "GATEWAY_PUBLIC_URL",
        "GATEWAY_DATA_DIR",
        "GATEWAY_DATABASE_URL",
        "GATEWAY_SECRET_KEY",
        "ODOO_URL",
        "ODOO_DB",
        "ODOO_PROTOCOL",
        "GATEWAY_MAX_BODY_BYTES",
        "GATEWAY_LOG",
    ] {
        assert!(run.stdout.contains(var), "{var} missing from serve --help");
    }
}
