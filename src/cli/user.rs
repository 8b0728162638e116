//! `user link|list`: linking Odoo users from the command line.

use std::io::Read;

use anyhow::Context;
use secrecy::SecretString;

use crate::clock::format_utc;
use crate::config::UserCommand;
use crate::console::login;
use crate::store::Store;
use crate::users;
use crate::users::Role;

pub(crate) async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Link { login, store, odoo } => {
            let (store, keyring) = super::open_store(&store, false).await?;
            let (client, _) = super::odoo_client(&store, &odoo).await?;
            let secret = read_secret()?;
            let user = users::link(
                &store,
                &keyring,
                &client,
                &login,
                &secret,
                super::clock().now(),
            )
            .await?;
            println!(
                "Linked {} (Odoo uid {}, \"{}\") using {}.",
                user.login, user.odoo_uid, user.name, user.protocol
            );
        }
        UserCommand::List { store } => {
            let (store, _) = super::open_store(&store, false).await?;
            println!(
                "LOGIN                       UID  NAME                         PROTOCOL ROLE   LINKED"
            );
            for u in store.list_odoo_users().await? {
                println!(
                    "{:<24} {:>6}  {:<28} {:<8} {:<6} {}",
                    u.login,
                    u.odoo_uid,
                    u.name,
                    u.protocol,
                    u.role.map_or("-", Role::as_db),
                    format_utc(u.linked_at)
                );
            }
        }
        UserCommand::Grant { login, role, store } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role '{role}': use 'admin' or 'user'"))?;
            let (store, _) = super::open_store(&store, false).await?;
            grant(&store, &login, role).await?;
        }
        UserCommand::RevokeRole { login, store } => {
            let (store, _) = super::open_store(&store, false).await?;
            store
                .find_odoo_user(&login)
                .await?
                .with_context(|| format!("'{login}' is not a linked user"))?;
            if !store
                .set_role_keeping_an_admin(&login, None, super::clock().now())
                .await?
            {
                anyhow::bail!("'{login}' is the last MCP Administrator: grant another one first");
            }
            store
                .put_setting(&login::pending_role_key(&login), "")
                .await?;
            println!("{login} no longer has a console role.");
        }
    }
    Ok(())
}

/// Gives `login` a role now if linked, else at its first console sign-in.
pub(crate) async fn grant(store: &Store, login: &str, role: Role) -> anyhow::Result<()> {
    if store
        .set_role(login, Some(role), super::clock().now())
        .await?
    {
        println!("{login} is now {}.", role.label());
    } else {
        store
            .put_setting(&login::pending_role_key(login), role.as_db())
            .await?;
        println!(
            "{login} is not linked yet: they become {} when they first sign in to the console.",
            role.label()
        );
    }
    Ok(())
}

/// The secret comes from standard input (first line), never from the command line, where it
/// would sit in the shell history and the process list.
fn read_secret() -> anyhow::Result<SecretString> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("Odoo password or API key (input is read from stdin): ");
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the secret from standard input")?;
    let secret = input
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_owned();
    Ok(SecretString::from(secret))
}
