//! The gateway's database: SQLite in the data directory by default, PostgreSQL when configured.
//!
//! Every statement is written once, with `$N` placeholders and portable column types, and runs
//! on whichever engine the [`Store`] holds (the [`on_pool!`] macro expands one body per engine).
//! Only this module contains SQL; one file per aggregate.

mod approvals;
mod audit;
mod audit_stream;
mod confirmations;
mod connections;
mod console;
mod data_dir;
mod file_links;
mod idempotency;
mod key_reader;
mod notifications;
mod oauth;
mod odoo_users;
mod rate;
pub mod rollup;
mod settings;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use approvals::ApprovalRow;
pub use audit::{AuditCheckpoint, AuditFilter, AuditGroupBy, AuditGroupRow, AuditRow, AuditViewer};
pub use audit_stream::StreamPosition;
pub use connections::{ConnectionRow, KeyHolderRow, NewConnection};
pub use console::{SessionRow, ThrottleRow};
pub use file_links::FileLinkRow;
pub use idempotency::IdempotencyRow;
pub use key_reader::KeyReader;
pub use notifications::{OutboxRow, OutboxState};
pub use oauth::{CodeRow, NewCode, NewOAuthClient, NewToken, OAuthClientRow, Pruned, TokenRow};
pub use odoo_users::{NewOdooUser, OdooUserRow};
pub use rate::RateKey;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use postgres://… or sqlite:…)")]
    UnsupportedUrl,
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    /// The in-place SQLite read of the hot path ([`KeyReader`]).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("error occurred while decoding column \"{column}\": {detail}")]
    Unreadable {
        column: &'static str,
        detail: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// A pool on one of the two engines. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same query-building body against whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens `database_url` when given (postgres:// or sqlite:), else `data_dir/gateway.db`,
    /// and brings the schema up to date.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Self> {
        let store = match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::Postgres(
                    PgPoolOptions::new()
                        .max_connections(16)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect(url)
                        .await?,
                )
            }
            Some(url) if url.starts_with("sqlite:") => {
                Self::Sqlite(sqlite_pool(SqliteConnectOptions::from_str(url)?).await?)
            }
            Some(_) => return Err(Error::UnsupportedUrl),
            None => {
                let (db, open) = data_dir::prepare(data_dir)
                    .map_err(|e| Error::DataDir(data_dir.display().to_string(), e))?;
                for path in open {
                    tracing::warn!(%path, "readable by other users: run chmod go-rwx on it");
                }
                let options = SqliteConnectOptions::new().filename(db);
                Self::Sqlite(sqlite_pool(options).await?)
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self {
            Self::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Self::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Cheap round trip for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }
}

async fn sqlite_pool(options: SqliteConnectOptions) -> Result<SqlitePool> {
    // WAL lets readers run beside the one writer; the busy timeout makes concurrent writers
    // (server and CLI on the same file) wait instead of failing. With WAL, synchronous=NORMAL
    // keeps the database consistent through crashes and syncs only at checkpoints: a power
    // loss may undo the last commits, a process crash loses nothing committed.
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?)
}
