//! `demo` and `simulator`: the product on one machine against the built-in Odoo simulator.
//!
//! The simulator is a test double of Odoo 18/19 with Odoo's demo users and a small data set. It is
//! labelled as such wherever it is used and is never what `serve` talks to.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use crate::app::{App, AppConfig};
use crate::config::{DemoArgs, SimVersion, SimulatorArgs};
use crate::connections::{self, Scope};
use crate::odoo::sim::{OdooVersion, SimOptions, Simulator};
use crate::odoo::{OdooClient, OdooConfig, ProtocolChoice};
use crate::secrets::Keyring;
use crate::state::{FileLimits, Limits};
use crate::store::Store;
use crate::transport::HttpLimits;
use crate::users;
use crate::users::Role;
use crate::values::IpList;

const DEMO_DATABASE: &str = "demo";

fn sim_options(version: SimVersion) -> SimOptions {
    SimOptions {
        version: match version {
            SimVersion::V18 => OdooVersion::V18,
            SimVersion::V19 => OdooVersion::V19,
        },
        database: DEMO_DATABASE.to_owned(),
        ..SimOptions::default()
    }
}

pub(super) async fn run_simulator(args: SimulatorArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| super::listen_error(args.listen, e))?;
    let url = format!("http://{}", listener.local_addr()?);
    // The URL alone on the first line, for scripts; the label goes to the log.
    println!("{url}");
    tracing::warn!(
        %url,
        database = DEMO_DATABASE,
        "Odoo SIMULATOR (a test double of Odoo, not a real Odoo) serving; users admin/admin, demo/demo, portal/portal"
    );
    Simulator::new(sim_options(args.odoo_version))
        .serve(listener, super::shutdown_signal())
        .await?;
    Ok(())
}

pub(super) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let (data_dir, _temp) = match args.data_dir {
        Some(dir) => (dir, None),
        None => {
            let mut builder = tempfile::Builder::new();
            builder.prefix("odoo-mcp-gateway-demo-");
            // Private like any data directory (tempfile's default mode depends on the platform).
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o700));
            }
            let temp = builder.tempdir()?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let sim = Simulator::spawn(sim_options(args.odoo_version)).await?;
    let store = Store::open(None, &data_dir)
        .await
        .context("opening the demo database")?;
    let keyring = Keyring::load_or_create(None, &[], &data_dir)?;
    let odoo = OdooClient::new(OdooConfig {
        url: sim.url.clone(),
        database: DEMO_DATABASE.to_owned(),
        protocol: ProtocolChoice::Auto,
        timeout: Duration::from_secs(30),
    })?;
    let key = seed(&store, &keyring, &odoo, &sim.sim).await?;

    let app = App::build(AppConfig {
        listen: args.listen,
        public_url: None,
        extra_origins: Vec::new(),
        limits: Limits {
            max_body_bytes: 1024 * 1024,
            files: FileLimits::default(),
        },
        trusted_proxies: IpList::default(),
        store,
        keyring,
        odoo,
        odoo_database: DEMO_DATABASE.to_owned(),
        clock: super::clock(),
        http: HttpLimits::default(),
        traces: Default::default(),
    })
    .await
    .map_err(|e| super::listen_error(args.listen, e))?;
    print_welcome(
        &app.state().urls.public,
        &app.state().urls.mcp,
        &sim.url,
        &data_dir,
        key.expose_secret(),
    );
    app.run(super::shutdown_signal(), Duration::from_secs(5))
        .await;
    Ok(())
}

/// Links the simulator's users (admin and demo by API key, as one would on Odoo 19; portal by
/// password), gives admin and demo their console roles, and issues one key for `demo`.
async fn seed(
    store: &Store,
    keyring: &Keyring,
    odoo: &OdooClient,
    sim: &Simulator,
) -> anyhow::Result<SecretString> {
    let now = super::clock().now();
    for login in ["admin", "demo"] {
        let secret = sim
            .issue_api_key(login)
            .with_context(|| format!("the simulator has no user {login}"))?;
        users::link(
            store,
            keyring,
            odoo,
            login,
            &SecretString::from(secret),
            now,
        )
        .await?;
    }
    users::link(
        store,
        keyring,
        odoo,
        "portal",
        &SecretString::from("portal"),
        now,
    )
    .await?;
    store.set_role("admin", Some(Role::Admin), now).await?;
    store.set_role("demo", Some(Role::User), now).await?;
    let existing = connections::list(store).await?;
    let issued = match existing
        .iter()
        .find(|c| c.name == "Demo key" && c.revoked_at.is_none())
    {
        // A reused data dir keeps its connection; a fresh key is issued so it can be shown.
        Some(c) => connections::rotate_key(store, keyring, c.id).await?,
        None => {
            connections::create_api_key(store, keyring, "demo", "Demo key", Scope::Full, now)
                .await?
        }
    };
    Ok(issued.key)
}

fn print_welcome(public: &str, mcp: &str, odoo: &str, data_dir: &std::path::Path, key: &str) {
    let data_dir: PathBuf = data_dir.to_path_buf();
    println!(
        r#"
odoo-mcp-gateway demo — against the built-in Odoo SIMULATOR (a test double, not a real Odoo)

  Console        {public}/console
                 sign in as admin/admin (MCP Administrator) or demo/demo (MCP User)
  MCP URL        {mcp}
  API key        {key}
                 (connection "Demo key", acting as Odoo user "demo", Full Access)
  Simulator      {odoo}  database "demo"  users admin/admin, demo/demo, portal/portal
  Data dir       {data_dir}

Connect Claude Code:
  claude mcp add --transport http odoo {mcp} --header "Authorization: Bearer {key}"

Or try it with curl:
  curl -s {mcp} -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \
    -d '{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"search_records","arguments":{{"model":"res.partner","fields":["name"],"limit":5}}}}}}'

Press Ctrl-C to stop.
"#,
        data_dir = data_dir.display()
    );
}
