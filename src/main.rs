//! The `odoo-mcp-gateway` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;
use odoo_mcp_gateway::{cli, config::Cli, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    telemetry::init(&args.log);
    // ring is the one TLS crypto provider (for Odoo over HTTPS and PostgreSQL over TLS).
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli::run(args.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
