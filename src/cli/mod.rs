//! What each subcommand does. `main` parses the command line and calls [`run`].

mod audit;
mod connection;
#[cfg(feature = "demo")]
mod demo;
mod explain;
mod first_admin;
mod odoo_target;
mod policy_file;
mod secret_key;
mod serve;
pub(crate) mod user;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use crate::clock::Clock;
use crate::config::{Command, OdooArgs, OdooProtocol, StoreArgs};
use crate::odoo::{self, OdooClient, OdooConfig, ProtocolChoice};
use crate::secrets::Keyring;
use crate::store::Store;

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(*args).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(args).await,
        #[cfg(feature = "demo")]
        Command::Simulator(args) => demo::run_simulator(args).await,
        Command::User(cmd) => user::run(cmd).await,
        Command::Connection(cmd) => connection::run(cmd).await,
        Command::Audit(cmd) => audit::run(cmd).await,
        Command::GenerateSecretKey => secret_key::generate(),
        Command::RotateSecretKey(args) => secret_key::rotate(args).await,
    }
}

/// The text of `path`, or of standard input for `-`.
fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    if path == std::path::Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// `1 chain`, `2 chains`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The store and keyring a command works on: the same ones a server with these settings uses.
/// Only `serve` and `demo` may start a new data directory (`creates`): for any other command a
/// missing one is a mistyped path, and a silent new database (and secret key) would hide it.
pub async fn open_store(args: &StoreArgs, creates: bool) -> anyhow::Result<(Store, Keyring)> {
    let needs_dir = args.database_url.is_none() || args.secret_key.is_none();
    if !creates && needs_dir && !args.data_dir.is_dir() {
        anyhow::bail!(
            "there is no data directory at {}: pass the --data-dir (or GATEWAY_DATA_DIR) that \
             `serve` uses, or start `serve` once to create this one",
            args.data_dir.display()
        );
    }
    let store = Store::open(args.database_url.as_deref(), &args.data_dir)
        .await
        .context("opening the database")?;
    let keyring = Keyring::load_or_create(
        args.secret_key.as_ref(),
        &args.previous_secret_keys,
        &args.data_dir,
    )?;
    Ok((store, keyring))
}

/// The client for the Odoo this store belongs to (see [`odoo_target`]). A store not bound yet
/// is bound to the given Odoo once Odoo confirms the database exists; a database it does not
/// have is refused before anything is stored.
pub async fn odoo_client(
    store: &Store,
    args: &OdooArgs,
) -> anyhow::Result<(OdooClient, odoo_target::OdooTarget)> {
    let (target, bound) = odoo_target::resolve(store, args).await?;
    let protocol = match args.odoo_protocol {
        OdooProtocol::Auto => ProtocolChoice::Auto,
        OdooProtocol::Json2 => ProtocolChoice::Json2,
        OdooProtocol::Jsonrpc => ProtocolChoice::JsonRpc,
    };
    let client = OdooClient::new(OdooConfig {
        url: target.url.clone(),
        database: target.database.clone(),
        protocol,
        timeout: Duration::from_secs(args.odoo_timeout_secs),
    })?;
    if !bound {
        match client.check_database().await {
            Ok(()) => odoo_target::bind(store, &target).await?,
            Err(e) if e.kind() == Some(odoo::ErrorKind::UnknownDatabase) => {
                anyhow::bail!("Odoo at {}: {}", target.url, e.client_message())
            }
            // Odoo unreachable: go on unbound; the next command that reaches it binds.
            Err(e) => tracing::warn!(error = %e, "could not check the Odoo database"),
        }
    }
    Ok((client, target))
}

/// A failure to listen on `address`, said so a person can act on it: which address, and the
/// flag that moves it.
fn listen_error(address: SocketAddr, error: std::io::Error) -> anyhow::Error {
    match error.kind() {
        ErrorKind::AddrInUse => anyhow::anyhow!(
            "{address} is already in use (another gateway or program listens there): choose another address with --listen (or GATEWAY_LISTEN)"
        ),
        ErrorKind::PermissionDenied => anyhow::anyhow!(
            "no permission to listen on {address} (ports below 1024 need privileges): choose another address with --listen"
        ),
        _ => anyhow::Error::new(error).context(format!("cannot listen on {address}")),
    }
}

fn clock() -> Clock {
    Clock::system()
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown requested");
}
