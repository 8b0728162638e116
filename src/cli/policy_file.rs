//! `connection export|apply|templates`: connection policies as files kept in git. The document,
//! its checks and the diff are `connections::policy_file` and `policy_plan`; this reads and
//! writes the store and the terminal.

use std::path::Path;

use anyhow::Context;

use crate::config::{PolicyFormat, StoreArgs};
use crate::connections::policy_file::{self, Format};
use crate::connections::policy_plan::{self, Known};
use crate::connections::{self, templates};
use crate::settings;

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
    let (store, _) = super::open_store(args, false).await?;
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
