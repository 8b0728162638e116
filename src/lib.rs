//! odoo-mcp-gateway: a governed Model Context Protocol gateway in front of any Odoo.

pub mod app; // shared state, router, serving
pub mod approvals; // human-in-the-loop approvals
pub(crate) mod audit; // the audit log and its writer
pub(crate) mod calls; // one tool call: principal, in-call governance, the tools
pub mod catalog; // the tools: names, schemas, argument types and validators
pub mod cli; // what each subcommand does
pub mod clock; // time as a parameter
pub mod config; // the clap tree: every setting a flag and an environment variable
pub mod connections; // API keys and OAuth clients acting as Odoo users
pub mod console; // the admin web UI
pub(crate) mod fault;
pub(crate) mod files; // /files: one-time download and upload links // internal errors: the cause kept, logged once per surface
pub mod jobs; // background jobs
pub(crate) mod locks; // a poisoned lock's value, used as it is
pub(crate) mod mcp; // the /mcp endpoint: guard, governance pipeline, MCP server
pub(crate) mod metrics; // Prometheus registry
pub mod notify; // notification webhooks: the outbox and its deliverer
pub mod oauth; // the OAuth 2.1 authorization server
pub mod odoo; // the Odoo client and simulator crates
pub mod policy; // governance decisions
pub mod secrets; // keyed hashes and sealed credentials
pub mod settings; // Server Settings
pub mod state; // what every handler can reach
pub mod store; // SQLite / PostgreSQL persistence
pub mod telemetry; // logging set-up
pub mod traces; // OpenTelemetry spans, exported over OTLP/HTTP when asked
pub mod transport; // accepting connections: timeouts and a cap
pub mod users; // linking Odoo users
pub mod values; // typed domain values, parsed once: lists, IP lists, roles, states
pub(crate) mod web;
pub mod webhook; // Standard Webhooks signatures // the web session, error pages and page helpers shared by console and OAuth
