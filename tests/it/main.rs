//! The one integration-test binary: each module boots real parts and talks to them over HTTP.

/// Each check as `sqlite::<check>` and `postgres::<check>` (skipped without PostgreSQL, like
/// every PostgreSQL test, failing instead under `CI` / `REQUIRE_POSTGRES`), each given what
/// `$start` (an async fn of the PostgreSQL URL, `None` for SQLite) builds for it.
macro_rules! on_both_engines {
    ($start:ident; $($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::$start(None).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(database) = crate::pg::TempDatabase::create().await else {
                        return;
                    };
                    super::$check(super::$start(Some(&database.url)).await).await;
                    database.remove().await;
                }
            )*
        }
    };
}

mod actions;
mod approvals;
mod audit_chain;
mod audit_stream;
mod audit_syslog;
mod budgets;
mod bulk;
mod chatter;
pub mod cli;
mod confirm;
mod console;
mod console_audit;
mod console_browser;
mod console_webdriver;
mod dashboard;
mod dashboard_browser;
mod deploy;
mod envelope;
mod explain;
mod files;
mod first_run;
mod governance;
mod helpers;
mod hot_methods;
mod inspector;
mod layers;
mod mcp;
mod notifications;
mod oauth;
mod oauth_audit;
mod oauth_negative;
pub mod oauth_python;
mod oauth_store;
mod ops;
pub mod otlp;

mod pg;
mod policy_file;
mod python_sdk;
mod real;
mod replicas;
mod resources;
mod retries;
mod secret_rotation;
mod store;
mod transport;
