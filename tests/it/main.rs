//! The one integration-test binary: each module boots real parts and talks to them over HTTP.

mod actions;
mod approvals;
mod budgets;
mod bulk;
mod chatter;
pub mod cli;
mod confirm;
mod console;
mod console_audit;
mod console_browser;
mod console_webdriver;
mod deploy;
mod envelope;
mod explain;
mod files;
mod governance;
mod helpers;
mod hot_methods;
mod inspector;
mod layers;
mod mcp;
mod oauth;
mod oauth_audit;
mod oauth_negative;
pub mod oauth_python;
mod oauth_store;
mod ops;

mod pg;
mod policy_file;
mod python_sdk;
mod real;
mod replicas;
mod resources;
mod retries;
mod store;
mod transport;
