//! Which Odoo a data directory (or PostgreSQL database) belongs to: the first `serve` or `user
//! link` that reaches that Odoo database remembers `--odoo-url`/`--odoo-db` in the store, later
//! commands may leave them out, and a different server or database is refused — linked users,
//! keys and approvals belong to one.

use anyhow::bail;

use crate::config::OdooArgs;
use crate::store::Store;

const URL_KEY: &str = "odoo.url";
const DATABASE_KEY: &str = "odoo.database";

/// The Odoo server and database of this store, as (URL, database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooTarget {
    pub url: String,
    pub database: String,
}

/// What the command's flags and the store agree on. `bound` says whether the store already
/// remembers it; otherwise [`bind`] does, once Odoo has confirmed the database exists.
pub(super) async fn resolve(store: &Store, args: &OdooArgs) -> anyhow::Result<(OdooTarget, bool)> {
    let settings = store.load_settings().await?;
    let stored = |key: &str| {
        settings
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let remembered = stored(URL_KEY).zip(stored(DATABASE_KEY));
    let target = reconcile(
        args.odoo_url.as_deref(),
        args.odoo_db.as_deref(),
        remembered,
    )?;
    Ok((target, remembered.is_some()))
}

/// Remembers `target` as this store's Odoo.
pub(super) async fn bind(store: &Store, target: &OdooTarget) -> anyhow::Result<()> {
    store.put_setting(URL_KEY, &target.url).await?;
    store.put_setting(DATABASE_KEY, &target.database).await?;
    Ok(())
}

/// Pure: the given flags, filled in from and checked against what the store remembers.
pub(super) fn reconcile(
    url: Option<&str>,
    database: Option<&str>,
    remembered: Option<(&str, &str)>,
) -> anyhow::Result<OdooTarget> {
    let url = url.map(normalise).filter(|u| !u.is_empty());
    let database = database.map(str::trim).filter(|d| !d.is_empty());
    let Some((known_url, known_database)) = remembered else {
        let (Some(url), Some(database)) = (url, database) else {
            bail!(
                "this data directory is not bound to an Odoo yet: give --odoo-url and --odoo-db \
                 (or ODOO_URL and ODOO_DB) once; later commands remember them"
            );
        };
        return Ok(OdooTarget {
            url: url.to_owned(),
            database: database.to_owned(),
        });
    };
    if let Some(url) = url
        && url != normalise(known_url)
    {
        bail!(
            "this data directory belongs to the Odoo at {known_url}, not {url}: use another \
             --data-dir (or --database-url) for another Odoo"
        );
    }
    if let Some(database) = database
        && database != known_database
    {
        bail!(
            "this data directory belongs to the Odoo database \"{known_database}\", not \
             \"{database}\": use another --data-dir (or --database-url) for another database"
        );
    }
    Ok(OdooTarget {
        url: known_url.to_owned(),
        database: known_database.to_owned(),
    })
}

/// `https://odoo.example.com/` and `https://odoo.example.com` are the same server.
fn normalise(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: Option<(&str, &str)> = Some(("http://127.0.0.1:8069", "demo18"));

    #[test]
    fn the_first_command_needs_both_and_later_ones_may_leave_them_out() {
        let error = reconcile(Some("http://127.0.0.1:8069"), None, None).unwrap_err();
        assert!(error.to_string().contains("--odoo-db"), "{error}");
        let first = reconcile(Some("http://127.0.0.1:8069/"), Some("demo18"), None).unwrap();
        assert_eq!(first.url, "http://127.0.0.1:8069");
        assert_eq!(reconcile(None, None, KNOWN).unwrap(), first);
        assert_eq!(
            reconcile(Some("http://127.0.0.1:8069/"), Some("demo18"), KNOWN).unwrap(),
            first
        );
    }

    #[test]
    fn another_server_or_database_is_refused_by_name() {
        let error = reconcile(Some("http://127.0.0.1:8070"), None, KNOWN).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("http://127.0.0.1:8069, not http://127.0.0.1:8070")
        );
        let error = reconcile(None, Some("demo19"), KNOWN).unwrap_err();
        assert!(
            error.to_string().contains("\"demo18\", not \"demo19\""),
            "{error}"
        );
    }
}
