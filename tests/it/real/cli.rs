//! The command line on real Odoo: `user link` names a wrong database plainly, the data
//! directory remembers which Odoo it belongs to, and `connection apply` checks limits in Odoo.

use std::path::Path;

use super::{Real, Setup, odoo};
use crate::cli::{Run, run_cli};
use crate::on_every_setup;

on_every_setup!([
    user_link_remembers_its_odoo_and_names_a_wrong_database,
    connection_apply_checks_changed_limits_in_odoo,
]);

/// A policy file's Record and Field limits are looked up in real Odoo as the connection's user
/// sees it: a field or relation Odoo does not have is refused and nothing is written.
async fn connection_apply_checks_changed_limits_in_odoo(setup: Setup) {
    let Some(real) = Real::start(setup).await else {
        return;
    };
    let (id, _) = real.key("demo").await;
    let dir = real.app.data_dir.path();
    let env = [
        ("ODOO_URL", real.odoo.url.as_str()),
        ("ODOO_DB", real.odoo.db.as_str()),
    ];
    let export = run_cli(dir, &env, &["connection", "export"], "").await;
    assert!(export.ok, "{}", export.stderr);
    assert!(
        export.stdout.contains("field_limits = []\n"),
        "{}",
        export.stdout
    );
    let apply = |fields: &str, records: &str| {
        let text = export
            .stdout
            .replace(
                "field_limits = []\n",
                &format!("field_limits = [{fields}]\n"),
            )
            .replace(
                "record_limits = []\n",
                &format!("record_limits = [{records}]\n"),
            );
        let file = dir.join("limits.toml");
        std::fs::write(&file, text).unwrap();
        async move {
            let path = file.to_str().unwrap().to_owned();
            run_cli(dir, &env, &["connection", "apply", &path, "--yes"], "").await
        }
    };
    let refused = apply(r#""res.partner: phone, no_such_field""#, "").await;
    assert!(
        !refused.ok
            && refused.stderr.contains(&format!("connection {id} ("))
            && refused.stderr.contains("Field limits: res.partner:")
            && refused.stderr.contains("no_such_field")
            && refused.stderr.contains("nothing was written"),
        "{}{}",
        refused.stdout,
        refused.stderr
    );
    let refused = apply("", r#"'res.partner: [("no_such_link.name", "=", "x")]'"#).await;
    assert!(
        !refused.ok && refused.stderr.contains("Record limits: res.partner:"),
        "{}{}",
        refused.stdout,
        refused.stderr
    );
    let store = &real.app.state.store;
    let policy = odoo_mcp_gateway::connections::get(store, id)
        .await
        .unwrap()
        .policy;
    assert!(policy.field_limits.is_empty() && policy.record_limits.is_empty());

    let applied = apply(
        r#""res.partner: phone, email""#,
        r#"'res.partner: [("parent_id.name", "!=", "x")]'"#,
    )
    .await;
    assert!(applied.ok, "{}{}", applied.stdout, applied.stderr);
    let policy = odoo_mcp_gateway::connections::get(store, id)
        .await
        .unwrap()
        .policy;
    assert_eq!(policy.field_limits.to_string(), "res.partner: phone, email");
}

async fn user_link_remembers_its_odoo_and_names_a_wrong_database(setup: Setup) {
    let Some(odoo) = odoo(setup.version()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (url, db) = (odoo.url.as_str(), odoo.db.as_str());
    let demo = setup.secret(&odoo.demo);
    let admin = setup.secret(&odoo.admin);
    // Not bound yet: both flags are needed.
    let run = link(dir.path(), setup, "demo", &[], demo).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("--odoo-url and --odoo-db"),
        "{}",
        run.stderr
    );

    // A database that does not exist: Odoo's PostgreSQL error is not passed through.
    let run = link(
        dir.path(),
        setup,
        "demo",
        &["--odoo-url", url, "--odoo-db", "no_such_db"],
        demo,
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("has no database named \"no_such_db\""),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("5433") && !run.stderr.contains("psycopg2"),
        "{}",
        run.stderr
    );

    let run = link(
        dir.path(),
        setup,
        "demo",
        &["--odoo-url", url, "--odoo-db", db],
        demo,
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("Linked demo"), "{}", run.stdout);
    // From now on the data directory knows its Odoo…
    let run = link(dir.path(), setup, "admin", &[], admin).await;
    assert!(run.ok, "{}", run.stderr);
    // …and refuses another one.
    let run = link(
        dir.path(),
        setup,
        "admin",
        &["--odoo-db", "demo_other"],
        admin,
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains(&format!("\"{db}\", not \"demo_other\"")),
        "{}",
        run.stderr
    );
}

/// `user link LOGIN FLAGS…` with the setup's protocol, the secret on standard input.
async fn link(dir: &Path, setup: Setup, login: &str, flags: &[&str], secret: &str) -> Run {
    let mut args = vec![
        "user",
        "link",
        login,
        "--odoo-protocol",
        setup.protocol_name(),
    ];
    args.extend_from_slice(flags);
    run_cli(dir, &[], &args, &format!("{secret}\n")).await
}
