//! The first minutes of a new user, through the real binary: a busy port, a mistyped data
//! directory, the first administrator, and `--help` itself.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use clap::CommandFactory;
use odoo_mcp_gateway::config::Cli;
use tokio::io::AsyncBufReadExt;

use crate::cli::run_cli;

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-mcp-gateway");

/// What a failed run must never show a person: a panic, a backtrace, a debug dump.
fn assert_plain_failure(what: &str, stderr: &str) {
    for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "Os {"] {
        assert!(!stderr.contains(bad), "{what}: {bad} in {stderr}");
    }
}

#[tokio::test]
async fn a_busy_address_is_named_with_the_flag_that_moves_it() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    // No Odoo answers on port 9: serve goes on unbound, as it does while Odoo is down.
    let odoo = [("ODOO_URL", "http://127.0.0.1:9"), ("ODOO_DB", "demo")];
    for command in ["serve", "simulator", "demo"] {
        let run = run_cli(dir.path(), &odoo, &[command, "--listen", &address], "").await;
        assert!(!run.ok, "{command} cannot serve on a busy address");
        assert_eq!(
            run.stderr.lines().last().unwrap_or_default(),
            format!(
                "error: {address} is already in use (another gateway or program listens there): \
                 choose another address with --listen (or GATEWAY_LISTEN)"
            ),
            "{command}: {}",
            run.stderr
        );
        assert_plain_failure(command, &run.stderr);
    }
}

/// Every command that opens the store, with what it needs besides (read from standard input
/// where a command reads it).
const STORE_COMMANDS: &[&[&str]] = &[
    &["user", "link", "demo"],
    &["user", "list"],
    &["user", "grant", "demo", "--role", "admin"],
    &["user", "revoke-role", "demo"],
    &["connection", "create", "--user", "demo", "--name", "x"],
    &["connection", "list"],
    &["connection", "rotate", "1"],
    &["connection", "revoke", "1"],
    &["connection", "reactivate", "1"],
    &["connection", "export"],
    &["connection", "apply", "-", "--format", "toml", "--dry-run"],
    &["connection", "explain", "1", "--tool", "search_records"],
];

#[tokio::test]
async fn every_command_but_serve_refuses_a_data_directory_that_does_not_exist() {
    let parent = tempfile::tempdir().unwrap();
    let typo = parent.path().join("dat");
    let odoo = [("ODOO_URL", "http://127.0.0.1:9"), ("ODOO_DB", "demo")];
    for args in STORE_COMMANDS {
        let run = run_cli(&typo, &odoo, args, "[connections]\n").await;
        assert!(!run.ok, "{args:?}");
        assert_eq!(
            run.stderr.trim_end(),
            format!(
                "error: there is no data directory at {}: pass the --data-dir (or \
                 GATEWAY_DATA_DIR) that `serve` uses, or start `serve` once to create this one",
                typo.display()
            ),
            "{args:?}"
        );
        assert!(!typo.exists(), "{args:?} created the mistyped directory");
    }
    // The commands that do not open the store are not held to it.
    let key = run_cli(&typo, &[], &["generate-secret-key"], "").await;
    assert!(key.ok, "{}", key.stderr);
    assert!(!typo.exists());
}

#[tokio::test]
async fn postgres_with_its_own_secret_key_needs_no_data_directory() {
    let Some(db) = crate::pg::TempDatabase::create().await else {
        return;
    };
    let parent = tempfile::tempdir().unwrap();
    let missing = parent.path().join("none");
    let key = run_cli(&missing, &[], &["generate-secret-key"], "").await;
    let env = [
        ("GATEWAY_DATABASE_URL", db.url.as_str()),
        ("GATEWAY_SECRET_KEY", key.stdout.trim()),
    ];
    let run = run_cli(&missing, &env, &["connection", "list"], "").await;
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.starts_with("  ID  TYPE"), "{}", run.stdout);
    assert!(
        !missing.exists(),
        "nothing is written to a data directory it does not use"
    );
    // Without the key, the key file of the data directory is needed: the directory must exist.
    let env = [("GATEWAY_DATABASE_URL", db.url.as_str())];
    let run = run_cli(&missing, &env, &["connection", "list"], "").await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("there is no data directory at"),
        "{}",
        run.stderr
    );
    db.remove().await;
}

/// The warning `serve` logs about the first administrator, from a server started with `args`
/// (and `GATEWAY_DATA_DIR=data_dir`).
async fn first_admin_hint(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut child = tokio::process::Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--odoo-url", "http://127.0.0.1:9", "--odoo-db", "demo"])
        .args(args)
        .env("GATEWAY_DATA_DIR", data_dir)
        .env_remove("GATEWAY_DATABASE_URL")
        .env_remove("GATEWAY_SECRET_KEY")
        .envs(env.iter().copied())
        .env("GATEWAY_LOG", "warn")
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let said = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("no MCP Administrator yet") {
                return line;
            }
        }
        panic!("serve ended without the hint");
    })
    .await
    .expect("the hint within 30 s");
    child.kill().await.unwrap();
    // Its stderr is a pipe, not a terminal: plain text, no colour codes.
    assert!(!said.contains('\u{1b}'), "{said:?}");
    said
}

/// The command between the backquotes of the hint.
fn quoted_command(said: &str) -> String {
    said.split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no command in {said}"))
        .to_owned()
}

#[tokio::test]
async fn serve_without_an_administrator_logs_the_command_that_makes_the_first_one() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("my data");
    let said = first_admin_hint(&dir, &[], &[]).await;
    let dir = dir.canonicalize().unwrap();
    let command = quoted_command(&said);
    assert_eq!(
        command,
        format!(
            "{BINARY} user grant '<odoo-login>' --role admin --data-dir '{}'",
            dir.display()
        )
    );
    assert!(
        said.ends_with("or restart with --bootstrap-admin <odoo-login>"),
        "{said}"
    );
    // The command works as logged, from another directory, with nothing else set.
    let words = shlex::split(&command.replace("<odoo-login>", "alice")).unwrap();
    let out = tokio::process::Command::new(&words[0])
        .args(&words[1..])
        .current_dir("/")
        .env_remove("GATEWAY_DATA_DIR")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        "alice is not linked yet: they become MCP Administrator when they first sign in to the console."
    );
}

#[tokio::test]
async fn on_postgres_the_hint_names_the_database_without_its_password() {
    let Some(db) = crate::pg::TempDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let said = first_admin_hint(dir.path(), &["--database-url", &db.url], &[]).await;
    let password = reqwest::Url::parse(&db.url)
        .unwrap()
        .password()
        .map(str::to_owned);
    let mut shown = reqwest::Url::parse(&db.url).unwrap();
    if password.is_some() {
        shown.set_password(Some("PASSWORD")).unwrap();
    }
    let command = quoted_command(&said);
    assert!(
        command.contains(&format!("--database-url {shown} --data-dir ")),
        "{command}"
    );
    if let Some(password) = password {
        assert!(
            !said.contains(&format!(":{password}@")),
            "the password is logged: {said}"
        );
        assert!(command.ends_with("(with the database password in place of PASSWORD)"));
    }
    db.remove().await;
}

/// Every command of the tree, with its path from the top.
fn commands(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
    out.push((path.to_owned(), cmd.clone()));
    for sub in cmd.get_subcommands() {
        commands(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn help_describes_every_command_and_argument_in_one_layout_with_global_options_apart() {
    let mut all = Vec::new();
    let mut top = Cli::command();
    top.build();
    commands(&top, "odoo-mcp-gateway", &mut all);
    assert!(all.len() > 15, "the whole tree is walked: {}", all.len());
    let mut missing = Vec::new();
    for (path, cmd) in all {
        if cmd.get_about().is_none() {
            missing.push(path.clone());
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.get_help().is_none() {
                missing.push(format!("{path} <{id}>"));
            }
            let heading = arg.get_help_heading();
            if arg.is_global_set() {
                assert_eq!(heading, Some("Global options"), "{path} --{id}");
            } else {
                assert_ne!(heading, Some("Global options"), "{path} --{id}");
            }
        }
        // One layout: `-h` and `--help` print the same text.
        let words: Vec<&str> = path.split(' ').skip(1).collect();
        let help = |flag: &str| {
            let out = std::process::Command::new(BINARY)
                .args(&words)
                .arg(flag)
                .output()
                .unwrap();
            assert!(out.status.success(), "{path} {flag}");
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(help("-h"), help("--help"), "{path}: -h and --help differ");
    }
    assert!(missing.is_empty(), "without help text: {missing:#?}");
}
