//! `connection create|list|rotate|revoke|reactivate`: API-key connections from the command line
//! (`export`, `apply` and `templates` are in [`super::policy_file`]).

use secrecy::ExposeSecret;

use crate::clock::format_utc;
use crate::config::ConnectionCommand;
use crate::connections::{self, Actor, Policy, Scope};
use crate::settings;
use crate::values::Limit;

pub(super) async fn run(cmd: ConnectionCommand) -> anyhow::Result<()> {
    match cmd {
        ConnectionCommand::Create {
            user,
            name,
            scope,
            rate_per_minute,
            rate_per_day,
            store,
        } => {
            let scope = Scope::parse(&scope)?;
            let (store, keyring) = super::open_store(&store, false).await?;
            let issued = connections::create_api_key(
                &store,
                &keyring,
                &user,
                &name,
                scope,
                super::clock().now(),
            )
            .await?;
            if rate_per_minute.is_some() || rate_per_day.is_some() {
                let created = connections::get(&store, issued.connection_id).await?;
                let policy = Policy {
                    rate_per_minute: rate_per_minute.map(limit).transpose()?,
                    rate_per_day: rate_per_day.map(limit).transpose()?,
                    ..created.policy
                };
                store
                    .update_policy(issued.connection_id, &created.description, &policy)
                    .await?;
            }
            println!(
                "Created connection {} for {user} ({}).",
                issued.connection_id,
                scope.label()
            );
            println!("API key (shown once; store it now):");
            println!("{}", issued.key.expose_secret());
        }
        ConnectionCommand::List { store } => {
            let (store, _) = super::open_store(&store, false).await?;
            let now = super::clock().now();
            let idle_after = settings::load(&store).await?.idle_after();
            println!(
                "{:>4}  {:<12} {:<24} {:<16} {:<11} {:<20} {:<21} {:>8}",
                "ID", "TYPE", "NAME", "USER", "SCOPE", "STATUS", "LAST USED", "REQUESTS"
            );
            for c in connections::list(&store).await? {
                println!(
                    "{:>4}  {:<12} {:<24} {:<16} {:<11} {:<20} {:<21} {:>8}",
                    c.id,
                    c.kind.label(),
                    c.name,
                    c.user_login.as_deref().unwrap_or("-"),
                    c.scope.label(),
                    c.status(idle_after, now).label(),
                    c.last_used_at
                        .map_or_else(|| "never".to_owned(), format_utc),
                    c.request_count
                );
            }
        }
        ConnectionCommand::Rotate { id, store } => {
            let (store, keyring) = super::open_store(&store, false).await?;
            let issued = connections::rotate_key(&store, &keyring, id).await?;
            println!("Rotated connection {id}: the old key no longer works.");
            println!("New API key (shown once; store it now):");
            println!("{}", issued.key.expose_secret());
        }
        ConnectionCommand::Revoke { id, store } => {
            let (store, _) = super::open_store(&store, false).await?;
            // The CLI holds the data directory: it acts as an administrator.
            connections::revoke(&store, id, super::clock().now(), Actor::Administrator).await?;
            println!("Revoked connection {id}: its next request is refused.");
        }
        ConnectionCommand::Reactivate { id, store } => {
            let (store, _) = super::open_store(&store, false).await?;
            connections::reactivate(&store, id, Actor::Administrator).await?;
            println!("Reactivated connection {id}.");
        }
        ConnectionCommand::Export { ids, format, store } => {
            super::policy_file::export(&ids, format, &store).await?;
        }
        ConnectionCommand::Apply {
            file,
            format,
            yes,
            dry_run: _,
            store,
            odoo,
        } => super::policy_file::apply(&file, format, yes, &store, &odoo).await?,
        ConnectionCommand::Templates => super::policy_file::templates(),
        ConnectionCommand::Explain {
            id,
            tool,
            arguments,
            request,
            ip,
            store,
        } => {
            let request = request.map(|path| super::read_text(&path)).transpose()?;
            super::explain::run(
                id,
                tool.as_deref(),
                &arguments,
                request.as_deref(),
                ip,
                &store,
            )
            .await?;
        }
    }
    Ok(())
}

/// A rate limit flag: a whole number from 1 to [`Limit::MAX`].
fn limit(n: u32) -> anyhow::Result<Limit> {
    Limit::new(i64::from(n))
        .ok_or_else(|| anyhow::anyhow!("a rate limit is a whole number from 1 to {}", Limit::MAX))
}
