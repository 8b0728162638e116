//! `connection export|apply|templates`: connection policies as files kept in git. The document,
//! its checks and the diff are `connections::policy_file` and `policy_plan`; this reads and
//! writes the store and the terminal.

use std::path::Path;

use anyhow::Context;

use crate::app::{App, AppConfig};
use crate::calls::saved;
use crate::config::{OdooArgs, PolicyFormat, StoreArgs};
use crate::connections::Connection;
use crate::connections::policy_file::{self, Format};
use crate::connections::policy_plan::Change;
use crate::connections::policy_plan::{self, Known};
use crate::connections::{self, templates};
use crate::secrets::Keyring;
use crate::settings;
use crate::state::{FileLimits, Limits};
use crate::store::Store;
use crate::transport::HttpLimits;
use crate::values::IpList;

fn format_of(flag: PolicyFormat) -> Format {
    match flag {
        PolicyFormat::Toml => Format::Toml,
        PolicyFormat::Yaml => Format::Yaml,
    }
}

pub(super) async fn export(
    ids: &[i64],
    format: PolicyFormat,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let (store, _) = super::open_store(args, false).await?;
    let all = connections::list(&store).await?;
    let chosen = if ids.is_empty() {
        all
    } else {
        ids.iter()
            .map(|id| {
                all.iter()
                    .find(|c| c.id == *id)
                    .cloned()
                    .ok_or(connections::Error::NotFound(*id))
            })
            .collect::<Result<_, _>>()?
    };
    let users = store.list_odoo_users().await?;
    print!(
        "{}",
        policy_file::export(&chosen, &users, format_of(format))?
    );
    Ok(())
}

pub(super) async fn apply(
    file: &Path,
    format: Option<PolicyFormat>,
    yes: bool,
    args: &StoreArgs,
    odoo: &OdooArgs,
) -> anyhow::Result<()> {
    let stdin = file == Path::new("-");
    let format = match (format, stdin) {
        (Some(flag), _) => format_of(flag),
        (None, true) => {
            anyhow::bail!("reading standard input needs --format toml or --format yaml")
        }
        (None, false) => Format::of_path(file).with_context(|| {
            format!(
                "{} has no .toml, .yaml or .yml extension: say which with --format",
                file.display()
            )
        })?,
    };
    let text = super::read_text(file)?;
    let (store, keyring) = super::open_store(args, false).await?;
    let connections = connections::list(&store).await?;
    let users = store.list_odoo_users().await?;
    let four_eyes = settings::load(&store).await?.four_eyes;
    let known = Known {
        connections: &connections,
        users: &users,
        four_eyes,
    };
    let plan = policy_plan::plan(&text, format, &known)?;
    print!("{}", plan.render());
    if plan.changes.is_empty() {
        return Ok(());
    }
    let problems = check_limits(&store, keyring, odoo, &plan.changes, &connections).await?;
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        anyhow::bail!(
            "the file's Record or Field limits name what this Odoo does not have: nothing was \
             written"
        );
    }
    if !yes {
        println!("Dry run: nothing was written. Run again with --yes to write these changes.");
        return Ok(());
    }
    let changes: Vec<_> = plan
        .changes
        .iter()
        .map(|c| (c.id, c.description.as_str(), &c.policy))
        .collect();
    if !store.update_policies(&changes).await? {
        anyhow::bail!("a connection of the file was deleted meanwhile: nothing was written");
    }
    for c in &plan.changes {
        let settings: Vec<&str> = c.diffs.iter().map(|d| d.setting).collect();
        tracing::info!(connection_id = c.id, changed = ?settings, "policy applied from a file");
    }
    println!("Applied: {} connection(s) changed.", plan.changes.len());
    Ok(())
}

/// The changed Record and Field limits checked in Odoo as each connection's own user sees it,
/// as the console checks them on save: a limit naming a model or field Odoo does not have
/// would never hold. Odoo is only asked when some change touches the limits.
async fn check_limits(
    store: &Store,
    keyring: Keyring,
    odoo: &OdooArgs,
    changes: &[Change],
    connections: &[Connection],
) -> anyhow::Result<Vec<String>> {
    let touched: Vec<(&Change, &Connection)> = changes
        .iter()
        .filter_map(|change| {
            let current = connections.iter().find(|c| c.id == change.id)?;
            let changed = change.policy.record_limits != current.policy.record_limits
                || change.policy.field_limits != current.policy.field_limits;
            changed.then_some((change, current))
        })
        .collect();
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let (client, target) = super::odoo_client(store, odoo).await?;
    let state = App::offline(AppConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        public_url: None,
        extra_origins: Vec::new(),
        limits: Limits {
            max_body_bytes: 0,
            files: FileLimits::default(),
        },
        trusted_proxies: IpList::default(),
        store: store.clone(),
        keyring,
        odoo: client,
        odoo_database: target.database,
        clock: super::clock(),
        http: HttpLimits::default(),
        traces: Default::default(),
    });
    let mut problems = Vec::new();
    for (change, current) in touched {
        let proposed = Connection {
            policy: change.policy.clone(),
            ..current.clone()
        };
        let errors = saved::check(&state, proposed).await;
        for (setting, messages) in [
            ("Record limits", errors.record_limits),
            ("Field limits", errors.field_limits),
        ] {
            problems.extend(
                messages
                    .into_iter()
                    .map(|m| format!("connection {} ({}): {setting}: {m}", change.id, change.name)),
            );
        }
    }
    Ok(problems)
}

pub(super) fn templates() {
    for t in templates::TEMPLATES {
        println!("{}\n  {}", t.name, t.summary);
        for (setting, value) in t.settings {
            println!(
                "  {setting}: {}",
                value.lines().collect::<Vec<_>>().join(", ")
            );
        }
    }
    println!("\nIn a policy file: template = \"NAME\", then any setting to override.");
}
