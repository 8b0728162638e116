//! The command line on real Odoo: `user link` names a wrong database plainly, and the data
//! directory remembers which Odoo it belongs to.

use std::path::Path;

use super::{Setup, odoo};
use crate::cli::{Run, run_cli};
use crate::on_every_setup;

on_every_setup!([user_link_remembers_its_odoo_and_names_a_wrong_database]);

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
