//! `serve`: the gateway against a real Odoo.

use std::time::Duration;

use crate::app::{App, AppConfig, AuditStreamTarget};
use crate::config::ServeArgs;
use crate::state::{FileLimits, Limits};
use crate::traces::Traces;
use crate::values::IpList;

pub(super) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let trusted_proxies = IpList::parse(&args.http.trusted_proxies.join("\n")).map_err(|bad| {
        let lines: Vec<String> = bad.iter().map(|b| format!("'{}'", b.text)).collect();
        anyhow::anyhow!(
            "--trusted-proxies: not an IP address or CIDR block: {}",
            lines.join(", ")
        )
    })?;
    let (store, keyring) = super::open_store(&args.store, true).await?;
    if let Some(login) = &args.bootstrap_admin
        && store.count_admins().await? == 0
    {
        super::user::grant(&store, login, crate::users::Role::Admin).await?;
    }
    let (odoo, target) = super::odoo_client(&store, &args.odoo).await?;
    let traces = match &args.otlp_endpoint {
        Some(endpoint) => {
            let traces = Traces::export_to(endpoint, reqwest::Client::new())?;
            tracing::info!(to = %endpoint, "exporting traces over OTLP/HTTP");
            traces
        }
        None => Traces::default(),
    };
    let app = App::build(AppConfig {
        listen: args.http.listen,
        public_url: args.http.public_url.clone(),
        extra_origins: args.http.allowed_origins.clone(),
        limits: Limits {
            max_body_bytes: args.http.max_body_bytes,
            files: FileLimits {
                inline_upload_bytes: args.http.max_inline_upload_bytes,
                upload_bytes: args.http.max_upload_bytes,
                link_ttl: i64::try_from(args.http.file_link_secs).unwrap_or(600) * 1000,
            },
        },
        trusted_proxies,
        store,
        keyring,
        odoo,
        odoo_database: target.database,
        clock: super::clock(),
        http: args.http.limits(),
        traces,
    })
    .await
    .map_err(|e| super::listen_error(args.http.listen, e))?;
    let app = match &args.audit_stream_url {
        Some(url) => {
            let target = AuditStreamTarget::new(url, args.audit_stream_secret.as_deref())?;
            let to = target.shown();
            let app = app.with_audit_stream(target)?;
            tracing::info!(%to, "streaming the audit log");
            app
        }
        None => app,
    };
    tracing::info!(
        listen = %app.local_addr(),
        mcp = %app.state().urls.mcp,
        database = app.state().store.engine(),
        odoo = %target.url,
        "odoo-mcp-gateway serving"
    );
    tracing::info!(console = %format!("{}/console", app.state().urls.public), "console: sign in with an Odoo login that has an MCP role");
    if app.state().store.count_admins().await? == 0 {
        let program = std::env::args()
            .next()
            .unwrap_or_else(|| "odoo-mcp-gateway".to_owned());
        // The path serve created: absolute, so the command works from any directory.
        let data_dir = std::fs::canonicalize(&args.store.data_dir)
            .unwrap_or_else(|_| args.store.data_dir.clone());
        let grant = super::first_admin::grant_command(&program, &args.store, &data_dir);
        tracing::warn!(
            "no MCP Administrator yet, so nobody can sign in to the console: make the first one \
             with `{grant}`, or restart with --bootstrap-admin <odoo-login>"
        );
    }
    let grace = Duration::from_secs(args.http.shutdown_grace_secs);
    app.run(super::shutdown_signal(), grace).await;
    Ok(())
}
