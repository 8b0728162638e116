//! The hot path's one read on SQLite, run on the calling thread: the key lookup of every `/mcp`
//! request. sqlx's SQLite driver runs each connection on a thread of its own and hands every
//! query over a channel, so one indexed read costs two thread wake-ups; here the same statement
//! runs in place on a small pool of read-only connections to the same file. Every lookup is its
//! own read transaction, so it sees every commit made before it — by this process, the CLI or
//! anything else — and a revoked or rotated key is refused on the very next request, as before.
//!
//! Rows found are kept with the revision they were read at (`key_holder_revision`, which the
//! schema's triggers move with every change to connections, Odoo users and settings, in the
//! change's own transaction). A key seen before costs one read of that one row while the
//! revision stands; any change makes the next lookup read the join again. The usage columns of
//! a kept row (`request_count`, `last_used_at`) are as of its read: nothing on the hot path
//! uses them.
//!
//! The read blocks its tokio worker for the few microseconds of one indexed lookup; WAL readers
//! do not wait for writers, and a busy or failing read falls back to the sqlx path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use rusqlite::types::FromSql;
use rusqlite::{OpenFlags, OptionalExtension, Row};

use super::connections::key_holder_sql;
use super::{ConnectionRow, Error, KeyHolderRow, Result, Store};
use crate::locks::lock;
use crate::values::{BadValue, Limit, Policy};

/// Connections kept open for reuse (more are opened under load and closed after).
const IDLE: usize = 4;

/// Rows kept at most: past it they are all let go and read again (a gateway has far fewer keys
/// in use at once).
const KEPT: usize = 1024;

/// The revision alone: the whole read when the key's row is kept at it.
const REVISION_SQL: &str = "SELECT n FROM key_holder_revision";

pub struct KeyReader {
    path: PathBuf,
    sql: String,
    /// Each column's position in the statement's result, learnt from its first run: rusqlite's
    /// lookup by name asks SQLite for every column's name on each call, which cost more than
    /// the read itself.
    positions: OnceLock<HashMap<String, usize>>,
    idle: Mutex<Vec<rusqlite::Connection>>,
    kept: Mutex<Kept>,
}

/// The rows found at one revision, by key hash.
#[derive(Default)]
struct Kept {
    revision: i64,
    rows: HashMap<Vec<u8>, KeyHolderRow>,
}

impl std::fmt::Debug for KeyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyReader")
            .field("path", &self.path)
            .finish()
    }
}

impl KeyReader {
    /// A reader for a store in a SQLite file; none for PostgreSQL or an in-memory database.
    pub fn for_store(store: &Store) -> Option<Self> {
        let Store::Sqlite(pool) = store else {
            return None;
        };
        let path = pool.connect_options().get_filename().to_path_buf();
        path.is_file().then(|| Self {
            path,
            // The revision in the same statement, so a row is kept with the revision it was
            // read at.
            sql: key_holder_sql().replacen(
                "SELECT",
                "SELECT (SELECT n FROM key_holder_revision) AS revision,",
                1,
            ),
            positions: OnceLock::new(),
            idle: Mutex::default(),
            kept: Mutex::default(),
        })
    }

    /// [`Store::find_key_holder`], read in place.
    pub fn find_key_holder(&self, hash: &[u8]) -> Result<Option<KeyHolderRow>> {
        let connection = match self.take() {
            Some(c) => c,
            None => open(&self.path)?,
        };
        let found = match self.kept_row(&connection, hash) {
            Ok(None) => self.read(&connection, hash).map(|found| {
                found.map(|(revision, row)| {
                    self.keep(hash, revision, &row);
                    row
                })
            }),
            kept => kept,
        };
        self.give_back(connection);
        found
    }

    /// The row kept for `hash`, if there is one and the revision has not moved since.
    fn kept_row(
        &self,
        connection: &rusqlite::Connection,
        hash: &[u8],
    ) -> Result<Option<KeyHolderRow>> {
        if !lock(&self.kept).rows.contains_key(hash) {
            return Ok(None);
        }
        let revision: i64 = connection
            .prepare_cached(REVISION_SQL)?
            .query_row([], |row| row.get(0))?;
        let kept = lock(&self.kept);
        Ok(kept
            .rows
            .get(hash)
            .filter(|_| kept.revision == revision)
            .cloned())
    }

    /// The row and the revision it was read at, read together.
    fn read(
        &self,
        connection: &rusqlite::Connection,
        hash: &[u8],
    ) -> Result<Option<(i64, KeyHolderRow)>> {
        let found = connection
            .prepare_cached(&self.sql)
            .and_then(|mut statement| {
                let positions = self.positions.get_or_init(|| {
                    let names = statement.column_names().into_iter();
                    names.enumerate().map(|(i, n)| (n.to_owned(), i)).collect()
                });
                statement
                    .query_row([hash], |row| {
                        let row = Columns { row, positions };
                        Ok(row.get("revision").map(|r| (r, key_holder(&row))))
                    })
                    .optional()
            });
        match found {
            Ok(Some(Ok((revision, Ok(row))))) => Ok(Some((revision, row))),
            Ok(Some(Ok((_, Err(fail))))) => Err(fail.into()),
            Ok(Some(Err(e))) | Err(e) => Err(e.into()),
            Ok(None) => Ok(None),
        }
    }

    /// Keeps `row` as read at `revision`; rows kept at another revision are let go. An unknown
    /// key has no row and is never kept.
    fn keep(&self, hash: &[u8], revision: i64, row: &KeyHolderRow) {
        let mut kept = lock(&self.kept);
        if kept.revision != revision || kept.rows.len() >= KEPT {
            kept.rows.clear();
            kept.revision = revision;
        }
        kept.rows.insert(hash.to_vec(), row.clone());
    }

    fn take(&self) -> Option<rusqlite::Connection> {
        lock(&self.idle).pop()
    }

    fn give_back(&self, connection: rusqlite::Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE {
            idle.push(connection);
        }
    }
}

fn open(path: &Path) -> Result<rusqlite::Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = rusqlite::Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(Duration::from_millis(50))?;
    Ok(connection)
}

/// The row, decoded by the same parsers as sqlx's path (`values`): an unreadable value is an
/// error naming its column.
fn key_holder(row: &Columns<'_, '_>) -> Decoded<KeyHolderRow> {
    let policy = Policy {
        allowed_tools: parsed(row, "allowed_tools")?,
        allowed_models: parsed(row, "allowed_models")?,
        model_operations: parsed(row, "model_operations")?,
        allowed_companies: parsed(row, "allowed_companies")?,
        approval_tools: parsed(row, "approval_tools")?,
        confirm_tools: parsed(row, "confirm_tools")?,
        approver_user_id: row.get("approver_user_id")?,
        approval_expiry_hours: limit(row, "approval_expiry_hours")?,
        allowed_ips: parsed(row, "allowed_ips")?,
        blocked_ips: parsed(row, "blocked_ips")?,
        rate_per_minute: limit(row, "rate_per_minute")?,
        rate_per_day: limit(row, "rate_per_day")?,
        record_limits: parsed(row, "record_limits")?,
        field_limits: parsed(row, "field_limits")?,
        write_per_minute: limit(row, "write_per_minute")?,
        write_per_day: limit(row, "write_per_day")?,
        tool_limits: parsed(row, "tool_limits")?,
    };
    let connection = ConnectionRow {
        id: row.get("id")?,
        kind: parsed(row, "kind")?,
        name: row.get("name")?,
        odoo_user_id: row.get("odoo_user_id")?,
        user_login: row.get("user_login")?,
        user_name: row.get("user_name")?,
        scope: parsed(row, "scope")?,
        key_prefix: row.get("key_prefix")?,
        key_hash: row.get("key_hash")?,
        description: row.get("description")?,
        policy,
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
        last_used_at: row.get("last_used_at")?,
        request_count: row.get("request_count")?,
    };
    Ok(KeyHolderRow {
        connection,
        holder_uid: row.get("holder_uid")?,
        holder_protocol: row.get("holder_protocol")?,
        holder_secret: row.get("holder_secret")?,
        mcp_switch: row.get("mcp_switch")?,
    })
}

/// A row whose columns are found by name through the statement's known positions.
struct Columns<'r, 's> {
    row: &'r Row<'s>,
    positions: &'r HashMap<String, usize>,
}

impl Columns<'_, '_> {
    fn get<T: FromSql>(&self, column: &str) -> rusqlite::Result<T> {
        let at = self
            .positions
            .get(column)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(column.to_owned()))?;
        self.row.get(*at)
    }
}

type Decoded<T> = std::result::Result<T, Fail>;

/// A decoding failure: which column, and why.
enum Fail {
    Sqlite(rusqlite::Error),
    Unreadable(&'static str, String),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<Fail> for Error {
    fn from(fail: Fail) -> Self {
        match fail {
            Fail::Sqlite(e) => e.into(),
            Fail::Unreadable(column, detail) => Error::Unreadable { column, detail },
        }
    }
}

fn parsed<T: FromStr<Err = BadValue>>(row: &Columns<'_, '_>, column: &'static str) -> Decoded<T> {
    let text: String = row.get(column)?;
    text.parse()
        .map_err(|e: BadValue| Fail::Unreadable(column, e.0))
}

fn limit(row: &Columns<'_, '_>, column: &'static str) -> Decoded<Option<Limit>> {
    let n: Option<i64> = row.get(column)?;
    n.map(|n| {
        Limit::new(n).ok_or_else(|| {
            Fail::Unreadable(
                column,
                format!("{n} is not a whole number from 1 to {}", Limit::MAX),
            )
        })
    })
    .transpose()
}
