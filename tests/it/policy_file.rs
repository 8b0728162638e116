//! Policy files through the real binary: `connection export`, `apply` (dry run, `--yes`, bad
//! files, templates, YAML and standard input) and `templates`, on SQLite and on PostgreSQL.

use odoo_mcp_gateway::connections::{self, Policy};
use odoo_mcp_gateway::odoo::sim::SimOptions;
use odoo_mcp_gateway::store::Store;
use odoo_mcp_gateway::values::{Limit, Role, Scope};
use secrecy::ExposeSecret;

use crate::cli::{Run, run_cli};
use crate::helpers::TestApp;

/// The binary on the app's store (its PostgreSQL database when it has one).
async fn gateway(app: &TestApp, database_url: Option<&str>, args: &[&str], stdin: &str) -> Run {
    let env: Vec<(&str, &str)> = database_url
        .map(|url| ("GATEWAY_DATABASE_URL", url))
        .into_iter()
        .collect();
    run_cli(app.data_dir.path(), &env, args, stdin).await
}

async fn ok(app: &TestApp, database_url: Option<&str>, args: &[&str], stdin: &str) -> String {
    let run = gateway(app, database_url, args, stdin).await;
    assert!(run.ok, "{args:?}: {}{}", run.stdout, run.stderr);
    run.stdout
}

async fn create(app: &TestApp, name: &str) -> i64 {
    let s = &app.state;
    let issued = connections::create_api_key(
        &s.store,
        &s.keyring,
        "demo",
        name,
        Scope::Full,
        s.clock.now(),
    )
    .await
    .unwrap();
    assert!(issued.key.expose_secret().starts_with("omg_"));
    issued.connection_id
}

/// Two users (admin an MCP Administrator, so an approver), "Sales bot" with a setting of every
/// kind and "Support" with none.
async fn fixture(app: &TestApp) -> (i64, i64) {
    app.link("demo").await;
    app.link("admin").await;
    let store = &app.state.store;
    assert!(store.set_role("admin", Some(Role::Admin), 0).await.unwrap());
    let admin = store.find_odoo_user("admin").await.unwrap().unwrap().id;
    let sales = create(app, "Sales bot").await;
    let support = create(app, "Support").await;
    let policy = Policy {
        allowed_tools: "search_records\nget_record\ndelete_record".parse().unwrap(),
        allowed_models: "res.partner\nsale.order".parse().unwrap(),
        model_operations: "res.partner: read, write".parse().unwrap(),
        record_limits: "sale.order: [('user_id', '=', uid)]".parse().unwrap(),
        field_limits: "res.partner: phone, x_*".parse().unwrap(),
        allowed_companies: "1".parse().unwrap(),
        approval_tools: "delete_record".parse().unwrap(),
        confirm_tools: "update_record".parse().unwrap(),
        approver_user_id: Some(admin),
        approval_expiry_hours: Limit::new(48),
        allowed_ips: "10.0.0.0/8 # office\n2001:db8::/32".parse().unwrap(),
        rate_per_minute: Limit::new(30),
        write_per_day: Limit::new(200),
        tool_limits: "delete_record: 2/minute".parse().unwrap(),
        ..Policy::default()
    };
    assert!(
        store
            .update_policy(sales, "Reads sales.\nDeletes with approval.", &policy)
            .await
            .unwrap()
    );
    (sales, support)
}

async fn policies(store: &Store) -> Vec<(String, Policy)> {
    connections::list(store)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.description, c.policy))
        .collect()
}

/// Export, then apply as a dry run and for real: no changes, and the next export is the same
/// bytes — in TOML, in YAML, and from standard input.
async fn round_trip(app: &TestApp, database_url: Option<&str>) {
    let dir = app.data_dir.path();
    let toml = ok(app, database_url, &["connection", "export"], "").await;
    assert!(toml.contains("[[connection]]\nid = "), "{toml}");
    assert!(toml.contains("approver = \"admin\""), "{toml}");
    assert!(toml.contains("    \"10.0.0.0/8 # office\",\n"), "{toml}");
    let file = dir.join("policies.toml");
    std::fs::write(&file, &toml).unwrap();
    let path = file.to_str().unwrap();
    let before = policies(&app.state.store).await;
    for extra in [&["--dry-run"][..], &[], &["--yes"]] {
        let args = [&["connection", "apply", path][..], extra].concat();
        assert_eq!(ok(app, database_url, &args, "").await, "no changes\n");
    }
    assert_eq!(policies(&app.state.store).await, before);
    assert_eq!(
        ok(app, database_url, &["connection", "export"], "").await,
        toml
    );

    let yaml = ok(
        app,
        database_url,
        &["connection", "export", "--format", "yaml"],
        "",
    )
    .await;
    assert!(yaml.contains("connection:\n- id: "), "{yaml}");
    let file = dir.join("policies.yml");
    std::fs::write(&file, &yaml).unwrap();
    let args = ["connection", "apply", file.to_str().unwrap(), "--yes"];
    assert_eq!(ok(app, database_url, &args, "").await, "no changes\n");
    let args = ["connection", "apply", "-", "--format", "yaml"];
    assert_eq!(ok(app, database_url, &args, &yaml).await, "no changes\n");
    let args = ["connection", "export", "--format", "yaml"];
    assert_eq!(ok(app, database_url, &args, "").await, yaml);
}

/// An edit is shown per setting; only `--yes` writes it, every connection at once.
async fn edit_then_apply(app: &TestApp, database_url: Option<&str>, sales: i64, support: i64) {
    let toml = ok(app, database_url, &["connection", "export"], "").await;
    let edited = toml
        .replace("rate_per_minute = 30\n", "rate_per_minute = 60\n")
        .replacen("description = \"\"\n", "description = \"Help desk\"\n", 1);
    assert_ne!(edited, toml);
    let file = app.data_dir.path().join("edited.toml");
    std::fs::write(&file, &edited).unwrap();
    let path = file.to_str().unwrap();
    let before = policies(&app.state.store).await;
    for dry in [&["--dry-run"][..], &[]] {
        let args = [&["connection", "apply", path][..], dry].concat();
        let shown = ok(app, database_url, &args, "").await;
        assert!(
            shown.contains(&format!(
                "connection {sales} \"Sales bot\":\n  rate_per_minute:\n    - 30\n    + 60\n"
            )),
            "{shown}"
        );
        assert!(
            shown.contains(&format!(
                "connection {support} \"Support\":\n  description:\n    - (empty)\n    + Help desk\n"
            )),
            "{shown}"
        );
        assert!(
            shown.contains("2 connection(s) to change, 0 unchanged"),
            "{shown}"
        );
        assert!(shown.contains("Dry run: nothing was written"), "{shown}");
        assert_eq!(
            policies(&app.state.store).await,
            before,
            "{dry:?} wrote nothing"
        );
    }
    let applied = ok(
        app,
        database_url,
        &["connection", "apply", path, "--yes"],
        "",
    )
    .await;
    assert!(
        applied.ends_with("Applied: 2 connection(s) changed.\n"),
        "{applied}"
    );
    let store = &app.state.store;
    let sales_now = connections::get(store, sales).await.unwrap();
    assert_eq!(sales_now.policy.rate_per_minute, Limit::new(60));
    assert_eq!(
        sales_now.policy.allowed_ips.as_text(),
        "10.0.0.0/8 # office\n2001:db8::/32"
    );
    let support_now = connections::get(store, support).await.unwrap();
    assert_eq!(support_now.description, "Help desk");
    assert_eq!(
        ok(app, database_url, &["connection", "export"], "").await,
        edited
    );
}

/// Changed Record and Field limits are checked in Odoo as the console checks them on save: a
/// field or model this Odoo does not have is refused, naming the connection, and nothing of
/// the file is written; limits that exist apply.
#[tokio::test]
async fn apply_checks_changed_limits_against_odoo_and_writes_nothing_on_a_miss() {
    let app = TestApp::spawn().await;
    let (sales, _) = fixture(&app).await;
    let odoo = [("ODOO_URL", app.sim_url()), ("ODOO_DB", "demo")];
    let toml = ok(&app, None, &["connection", "export"], "").await;
    let apply = |text: String| {
        let file = app.data_dir.path().join("limits.toml");
        std::fs::write(&file, text).unwrap();
        let path = file.to_str().unwrap().to_owned();
        let app = &app;
        async move {
            run_cli(
                app.data_dir.path(),
                &odoo,
                &["connection", "apply", &path, "--yes"],
                "",
            )
            .await
        }
    };
    let before = policies(&app.state.store).await;
    let missing_field = toml
        .replace(
            "\"res.partner: phone, x_*\"",
            "\"res.partner: phone, no_such_field\"",
        )
        .replace("rate_per_minute = 30\n", "rate_per_minute = 60\n");
    assert_ne!(missing_field, toml);
    let refused = apply(missing_field).await;
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(
        refused.stderr.contains(&format!(
            "connection {sales} (Sales bot): Field limits: res.partner:"
        )) && refused.stderr.contains("no_such_field")
            && refused.stderr.contains("nothing was written"),
        "{}",
        refused.stderr
    );
    let missing_model = toml.replace(
        r#"'sale.order: [("user_id", "=", uid)]'"#,
        r#"'sale.order: [("no_such_link.name", "=", "x")]'"#,
    );
    assert_ne!(missing_model, toml);
    let refused = apply(missing_model).await;
    assert!(
        !refused.ok && refused.stderr.contains("Record limits: sale.order:"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        policies(&app.state.store).await,
        before,
        "nothing was written"
    );

    let existing = toml.replace(
        "\"res.partner: phone, x_*\"",
        "\"res.partner: phone, email\"",
    );
    let applied = apply(existing).await;
    assert!(applied.ok, "{}{}", applied.stdout, applied.stderr);
    let now = connections::get(&app.state.store, sales).await.unwrap();
    assert_eq!(
        now.policy.field_limits.to_string(),
        "res.partner: phone, email"
    );
}

#[tokio::test]
async fn an_exported_file_applies_as_no_change_and_an_edit_only_with_yes() {
    let app = TestApp::spawn().await;
    let (sales, support) = fixture(&app).await;
    round_trip(&app, None).await;
    edit_then_apply(&app, None, sales, support).await;
}

#[tokio::test]
async fn policy_files_work_the_same_on_postgres() {
    let Some(db) = crate::pg::TempDatabase::create().await else {
        return;
    };
    let app = TestApp::spawn_on(SimOptions::default(), Some(&db.url)).await;
    assert_eq!(app.state.store.engine(), "postgres");
    let (sales, support) = fixture(&app).await;
    round_trip(&app, Some(&db.url)).await;
    edit_then_apply(&app, Some(&db.url), sales, support).await;
    all_or_nothing(&app.state.store, sales).await;
    app.stop().await;
    db.remove().await;
}

/// `update_policies` writes every connection or, when one is missing, none.
async fn all_or_nothing(store: &Store, id: i64) {
    let before = connections::get(store, id).await.unwrap();
    let changed = Policy {
        rate_per_day: Limit::new(7),
        ..before.policy.clone()
    };
    let changes = [(id, "changed", &changed), (999_999, "gone", &changed)];
    assert!(!store.update_policies(&changes).await.unwrap());
    let after = connections::get(store, id).await.unwrap();
    assert_eq!(
        (after.description, after.policy),
        (before.description, before.policy)
    );
    assert!(store.update_policies(&changes[..1]).await.unwrap());
    assert_eq!(
        connections::get(store, id)
            .await
            .unwrap()
            .policy
            .rate_per_day,
        Limit::new(7)
    );
}

#[tokio::test]
async fn the_store_writes_many_policies_all_or_nothing() {
    let app = TestApp::spawn().await;
    let (sales, _) = fixture(&app).await;
    all_or_nothing(&app.state.store, sales).await;
}

#[tokio::test]
async fn a_bad_file_is_refused_with_every_problem_named_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (sales, _) = fixture(&app).await;
    create(&app, "Twin").await;
    create(&app, "Twin").await;
    let file = format!(
        r#"
[[connection]]
id = {sales}
name = "Sales bot"
user = "admin"
allowed_tools = ["search_records", "drop_database"]
rate_per_minute = -1
allowed_ips = ["10.0.0.0/33"]

[[connection]]
name = "Support"
model_operations = ["res.partner: erase"]
approver = "demo"

[[connection]]
name = "Nobody here"

[[connection]]
name = "Twin"
"#
    );
    let before = policies(&app.state.store).await;
    let run = gateway(
        &app,
        None,
        &["connection", "apply", "-", "--format", "toml", "--yes"],
        &file,
    )
    .await;
    assert!(!run.ok, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "no plan is shown: {}", run.stdout);
    for problem in [
        "nothing was changed: the file has 8 problem(s):",
        "entry \"Sales bot\": user: is \"demo\" and apply does not change it (the file says \"admin\")",
        "entry \"Sales bot\": allowed_tools: 'drop_database' is not a tool of the catalog",
        "entry \"Sales bot\": rate_per_minute: The limit must be a whole number of requests per minute",
        "entry \"Sales bot\": allowed_ips: Line 1: '10.0.0.0/33' is not an IP address",
        "entry \"Support\": model_operations: 'erase' is not an operation",
        "entry \"Support\": approver: 'demo' has no console role (MCP Administrator or MCP User), so cannot approve",
        "entry \"Nobody here\": name: no connection (not revoked) has this name",
        "entry \"Twin\": name: 2 connections have this name (ids",
    ] {
        assert!(
            run.stderr.contains(problem),
            "{problem}\nin: {}",
            run.stderr
        );
    }
    assert_eq!(policies(&app.state.store).await, before);
}

#[tokio::test]
async fn a_template_entry_starts_from_the_template_and_the_list_shows_them() {
    let app = TestApp::spawn().await;
    let (_, support) = fixture(&app).await;
    let listed = ok(&app, None, &["connection", "templates"], "").await;
    assert!(listed.contains("read-only-sales-analyst\n"), "{listed}");
    assert!(listed.contains("support-agent\n"), "{listed}");
    let file =
        "connection:\n  - name: Support\n    template: support-agent\n    rate_per_minute: 20\n";
    let path = app.data_dir.path().join("support.yaml");
    std::fs::write(&path, file).unwrap();
    let shown = ok(
        &app,
        None,
        &["connection", "apply", path.to_str().unwrap(), "--yes"],
        "",
    )
    .await;
    assert!(
        shown.contains("  allowed_tools:\n    - (empty)\n    + get_current_context\n"),
        "{shown}"
    );
    let stored = connections::get(&app.state.store, support)
        .await
        .unwrap()
        .policy;
    let template = connections::templates::find("support-agent")
        .unwrap()
        .policy()
        .unwrap();
    assert_eq!(stored.allowed_tools, template.allowed_tools);
    assert_eq!(stored.model_operations, template.model_operations);
    assert_eq!(stored.rate_per_minute, Limit::new(20));
    let unknown = "[[connection]]\nname = \"Support\"\ntemplate = \"root\"\n";
    let run = gateway(
        &app,
        None,
        &["connection", "apply", "-", "--format", "toml"],
        unknown,
    )
    .await;
    assert!(
        !run.ok && run.stderr.contains("entry \"Support\": template: no template is named \"root\" (known: read-only-sales-analyst, support-agent)"),
        "{}",
        run.stderr
    );
}
