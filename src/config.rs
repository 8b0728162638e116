//! Command-line and environment configuration: one clap tree, so `--help` is the reference.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

#[derive(Debug, Parser)]
#[command(
    name = "odoo-mcp-gateway",
    version,
    about = "A governed Model Context Protocol gateway in front of any Odoo: serves MCP to AI \
             clients (claude.ai, ChatGPT, Claude Desktop, Claude Code, Cursor, VS Code …) and \
             acts in Odoo as each connection's Odoo user, under governance.",
    after_help = "Every option can also be set with the environment variable shown beside it.",
    // Colours only on a terminal (clap looks at stdout/stderr and honours NO_COLOR).
    color = clap::ColorChoice::Auto,
    // `--help` is the one way to ask; a `help` subcommand would be a second, listed as a command.
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway against an Odoo server.
    Serve(Box<ServeArgs>),
    /// Run the whole product on this machine against the built-in Odoo simulator, with sample data.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Run only the Odoo-compatible simulator (a test double of Odoo 18/19, never a real Odoo).
    #[cfg(feature = "demo")]
    Simulator(SimulatorArgs),
    /// Manage linked Odoo users (whose credentials the gateway holds, encrypted).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage connections (API keys) and their policies from the command line.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Check the audit log against tampering.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print a fresh secret key for GATEWAY_SECRET_KEY (needed when replicas share a database).
    GenerateSecretKey,
    /// Replace the secret key: linked users' credentials are encrypted again under the new key,
    /// and the old one is kept as a previous key. Stop every gateway first.
    RotateSecretKey(RotateSecretKeyArgs),
}

#[derive(Debug, Args)]
pub struct RotateSecretKeyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The key to rotate to (from `generate-secret-key`). Required when the current key comes
    /// from --secret-key / GATEWAY_SECRET_KEY; with the key file, a fresh one is generated.
    #[arg(long, env = "GATEWAY_NEW_SECRET_KEY", hide_env_values = true)]
    pub new_secret_key: Option<SecretString>,
}

/// Accepted by every command, before or after its name, so they are listed apart from its own.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct LogArgs {
    /// Log format: `json` for machines, `pretty` for people.
    #[arg(long, env = "GATEWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
    /// Log filter, in tracing's EnvFilter syntax (e.g. `info,odoo_mcp_gateway=debug`).
    #[arg(
        long,
        env = "GATEWAY_LOG",
        default_value = "info,rmcp=warn",
        global = true
    )]
    pub log_level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Where the gateway keeps its state. The CLI and a running server must point at the same place.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Store options")]
pub struct StoreArgs {
    /// Directory for the SQLite database and the generated secret key.
    #[arg(long, env = "GATEWAY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Use this database instead of SQLite in the data directory: `postgres://user:pass@host/db`.
    #[arg(long, env = "GATEWAY_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Master secret (32 bytes, base64url) for key hashes and credential encryption. Default: the
    /// file `secret.key` in the data directory, created on first run. Replicas must share it.
    #[arg(long, env = "GATEWAY_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<SecretString>,
    /// Secret keys this one replaced (comma-separated, newest first), kept after
    /// `rotate-secret-key` to find API keys and tokens issued before the rotation and to verify
    /// older audit chains. With the key file, they are its later lines instead.
    #[arg(
        long,
        env = "GATEWAY_PREVIOUS_SECRET_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub previous_secret_keys: Vec<SecretString>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Odoo options")]
pub struct OdooArgs {
    /// Base URL of the Odoo server, e.g. `https://mycompany.odoo.com`. Remembered in the data
    /// directory (or database) by the first command that gives it; a different one is refused.
    #[arg(long, env = "ODOO_URL")]
    pub odoo_url: Option<String>,
    /// Odoo database name; remembered like `--odoo-url`.
    #[arg(long, env = "ODOO_DB")]
    pub odoo_db: Option<String>,
    /// Protocol towards Odoo: `auto` (JSON-2 on 19+ with an API key, else JSON-RPC), `json2`, `jsonrpc`.
    #[arg(long, env = "ODOO_PROTOCOL", value_enum, default_value_t = OdooProtocol::Auto)]
    pub odoo_protocol: OdooProtocol,
    /// Timeout of one call to Odoo, in seconds.
    #[arg(long, env = "ODOO_TIMEOUT_SECS", default_value_t = 30)]
    pub odoo_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OdooProtocol {
    Auto,
    Json2,
    Jsonrpc,
}

#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address to listen on.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The URL clients use to reach the gateway (scheme, host, port, no path), e.g.
    /// `https://mcp.example.com`. Default: `http://` + the listen address.
    #[arg(long, env = "GATEWAY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Extra browser origins allowed to call /mcp (comma-separated), besides the public URL's,
    /// claude.ai, claude.com, chatgpt.com, vscode.dev and localhost.
    #[arg(long, env = "GATEWAY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Reverse proxies (IPs or CIDR blocks, comma-separated) whose `X-Forwarded-For` is trusted
    /// to name the client address; from anyone else the socket peer is the client.
    #[arg(long, env = "GATEWAY_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Largest accepted request body on /mcp, in bytes.
    #[arg(long, env = "GATEWAY_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest file `upload_attachment` takes inline as base64, in bytes (decoded); larger ones
    /// go through an upload link. The base64 must also fit in --max-body-bytes.
    #[arg(long, env = "GATEWAY_MAX_INLINE_UPLOAD_BYTES", default_value_t = 512 * 1024)]
    pub max_inline_upload_bytes: usize,
    /// Largest file an upload link takes, in bytes.
    #[arg(long, env = "GATEWAY_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Seconds a one-time file link (download or upload) stays usable.
    #[arg(long, env = "GATEWAY_FILE_LINK_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub file_link_secs: u64,
    /// Seconds to let in-flight requests finish on shutdown.
    #[arg(long, env = "GATEWAY_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Seconds a client has to send a request's headers, from the connection's start or the end
    /// of its previous response (so also how long an idle HTTP/1 keep-alive connection stays).
    #[arg(long, env = "GATEWAY_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body, from its headers (408 after that).
    #[arg(long, env = "GATEWAY_BODY_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// Seconds a connection may stay open with no request in flight.
    #[arg(long, env = "GATEWAY_IDLE_TIMEOUT_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Open connections at most; more wait in the listen backlog until one closes. Keep it below
    /// the process's file-descriptor limit (`ulimit -n`).
    #[arg(long, env = "GATEWAY_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
}

impl HttpArgs {
    pub fn limits(&self) -> crate::transport::HttpLimits {
        let secs = std::time::Duration::from_secs;
        crate::transport::HttpLimits {
            header_timeout: secs(self.header_timeout_secs),
            body_timeout: secs(self.body_timeout_secs),
            idle_timeout: secs(self.idle_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Make this Odoo login an MCP Administrator when no administrator exists yet (now if it is
    /// linked, else at its first console sign-in). Alternative: `user grant LOGIN --role admin`.
    #[arg(long, env = "GATEWAY_BOOTSTRAP_ADMIN")]
    pub bootstrap_admin: Option<String>,
    /// Stream every audit entry as it is written: to a webhook (https, or http to this
    /// machine), in batches signed as Standard Webhooks; or to a syslog collector as RFC 5424
    /// messages (syslog+tls://host[:6514], or syslog+tcp://localhost:PORT for a local relay;
    /// options ?format=json|cef and, for TLS, ?ca=FILE). Off when unset.
    #[arg(long, env = "GATEWAY_AUDIT_STREAM_URL")]
    pub audit_stream_url: Option<String>,
    /// The webhook audit stream's signing secret, whsec_ and base64 (give it by the
    /// environment, not the command line); not for syslog.
    #[arg(
        long,
        env = "GATEWAY_AUDIT_STREAM_SECRET",
        hide_env_values = true,
        requires = "audit_stream_url"
    )]
    pub audit_stream_secret: Option<String>,
    /// Export OpenTelemetry traces to this OTLP/HTTP collector (its base URL; spans go to
    /// /v1/traces under it, as protobuf): a span per MCP and OAuth request, with the governance
    /// steps and the Odoo calls as children. Off when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub odoo: OdooArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory for the demo's state; a fresh temporary one when not given.
    #[arg(long, env = "GATEWAY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Which Odoo the simulator imitates.
    #[arg(long, value_enum, default_value_t = SimVersion::V19)]
    pub odoo_version: SimVersion,
}

#[derive(Debug, Args)]
pub struct SimulatorArgs {
    /// Address to listen on (port 0 picks a free one; the URL is printed on the first line).
    #[arg(long, default_value = "127.0.0.1:8069")]
    pub listen: SocketAddr,
    /// Which Odoo the simulator imitates.
    #[arg(long, value_enum, default_value_t = SimVersion::V19)]
    pub odoo_version: SimVersion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimVersion {
    #[value(name = "18")]
    V18,
    #[value(name = "19")]
    V19,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every writer's hash chain and report the first altered or missing entry of each;
    /// exits non-zero when one is found. Needs the same secret key as the servers.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the entries from --since until --until (oldest first) to standard output.
    Export {
        /// First time included: RFC 3339 (`2026-12-01T00:00:00Z`) or a duration ago (`24h`, `7d`).
        #[arg(long)]
        since: String,
        /// First time excluded, written like --since; default now.
        #[arg(long)]
        until: Option<String>,
        /// `jsonl` (every column, one JSON object a line) or `cef` (ArcSight CEF, no payloads).
        #[arg(long, value_enum)]
        format: ExportFormat,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Cef,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Verify LOGIN's Odoo password or API key (read from standard input) and store it encrypted.
    Link {
        /// The Odoo login to link.
        login: String,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        odoo: OdooArgs,
    },
    /// List linked users.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Give LOGIN a console role (`admin` = MCP Administrator, `user` = MCP User). A login not
    /// linked yet gets the role when it first signs in to the console.
    Grant {
        /// The Odoo login to give the role to.
        login: String,
        /// `admin` or `user`.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove LOGIN's console role (the last MCP Administrator cannot be removed).
    RevokeRole {
        /// The Odoo login whose role is removed.
        login: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Create an API-key connection; the key is printed once.
    Create {
        /// Login of the (linked) Odoo user the connection acts as.
        #[arg(long)]
        user: String,
        /// Friendly label, e.g. "Cursor on Anna's laptop".
        #[arg(long)]
        name: String,
        /// `full` or `read-only`.
        #[arg(long, default_value = "full")]
        scope: String,
        /// Requests per minute for this connection (default: the server setting).
        #[arg(long)]
        rate_per_minute: Option<u32>,
        /// Requests per day (UTC) for this connection (default: the server setting).
        #[arg(long)]
        rate_per_day: Option<u32>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List connections with status, last use and request count.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Issue a new key; the old one stops working at once.
    Rotate {
        /// The connection whose key is replaced (its ID in `connection list`).
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a connection: refused from its next request on.
    Revoke {
        /// The connection to revoke (its ID in `connection list`).
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Undo a revocation.
    Reactivate {
        /// The connection to reactivate (its ID in `connection list`).
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print connections' policies as a policy file (TOML or YAML), to keep in git and apply.
    Export {
        /// The connections to export (default: every connection).
        ids: Vec<i64>,
        /// The policy file format to print.
        #[arg(long, value_enum, default_value_t = PolicyFormat::Toml)]
        format: PolicyFormat,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Apply a policy file: check all of it, show what would change, and with --yes write it
    /// (every connection in one transaction). Without --yes nothing is written.
    Apply {
        /// The file (`.toml`, `.yaml` or `.yml`), or `-` to read standard input (with --format).
        file: PathBuf,
        /// The file's format (default: by its extension; needed for `-`).
        #[arg(long, value_enum)]
        format: Option<PolicyFormat>,
        /// Write the changes shown.
        #[arg(long, conflicts_with = "dry_run")]
        yes: bool,
        /// Only show the changes (what apply does without --yes).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: StoreArgs,
        /// Record and Field limits that change are checked in this Odoo (by default the one
        /// the store is bound to).
        #[command(flatten)]
        odoo: OdooArgs,
    },
    /// List the policy templates that a policy file entry (`template = "NAME"`) or the
    /// console's new-connection wizard can start from.
    Templates,
    /// Check what the connection's policy decides for a call, step by step through the
    /// governance pipeline, without calling Odoo or counting anything (exit 1 when refused).
    Explain {
        /// The connection whose policy is checked (its ID in `connection list`).
        id: i64,
        /// The tool to check.
        #[arg(long, required_unless_present = "request")]
        tool: Option<String>,
        /// Its arguments, a JSON object.
        #[arg(long = "args", default_value = "{}")]
        arguments: String,
        /// A JSON-RPC tools/call request to check instead (a file, or `-` for standard input).
        #[arg(long, conflicts_with = "tool")]
        request: Option<PathBuf>,
        /// The client address to check the IP restrictions with.
        #[arg(long)]
        ip: Option<std::net::IpAddr>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The format of a policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    Toml,
    Yaml,
}

impl HttpArgs {
    /// The public base URL without a trailing slash.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        self.public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
