//! The command that makes the first MCP Administrator, spelled for the store a server runs on.

use std::path::Path;

use crate::config::StoreArgs;

/// Stands in for a database password, which never goes to a log line.
const HIDDEN_PASSWORD: &str = "PASSWORD";

/// `user grant <odoo-login> --role admin` with the store flags that reach the store `args` name,
/// ready to paste into a shell: the data directory as an absolute path (the command may be run
/// from elsewhere), the database URL with its password replaced by [`HIDDEN_PASSWORD`], and the
/// secret key (itself a secret) taken from the environment variable it is usually set with.
pub(super) fn grant_command(program: &str, args: &StoreArgs, data_dir: &Path) -> String {
    let mut words: Vec<String> = [program, "user", "grant", "<odoo-login>", "--role", "admin"]
        .map(str::to_owned)
        .to_vec();
    let hides_password = args.database_url.as_deref().map(|url| {
        let (shown, hidden) = without_password(url);
        words.extend(["--database-url".to_owned(), shown]);
        hidden
    });
    if args.database_url.is_none() || args.secret_key.is_none() {
        words.extend(["--data-dir".to_owned(), data_dir.display().to_string()]);
    }
    let mut line = shlex::try_join(words.iter().map(String::as_str))
        // Only a NUL byte cannot be quoted, and no path or URL given on a command line has one.
        .unwrap_or_else(|_| words.join(" "));
    if args.secret_key.is_some() {
        line.push_str(" --secret-key \"$GATEWAY_SECRET_KEY\"");
    }
    if hides_password == Some(true) {
        line.push_str(&format!(
            " (with the database password in place of {HIDDEN_PASSWORD})"
        ));
    }
    line
}

/// The URL with any password replaced, and whether there was one. A URL without a host (or
/// that does not parse) is shown as its scheme only: it may hold a password where none is
/// expected.
fn without_password(url: &str) -> (String, bool) {
    if url.starts_with("sqlite:") {
        // A file path: no password to hide.
        return (url.to_owned(), false);
    }
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() && parsed.password().is_some() => {
            let _ = parsed.set_password(Some(HIDDEN_PASSWORD));
            (parsed.to_string(), true)
        }
        Ok(parsed) if parsed.has_host() => (parsed.to_string(), false),
        _ => (
            format!("{}:…", url.split(':').next().unwrap_or_default()),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn store(database_url: Option<&str>, secret_key: bool) -> StoreArgs {
        StoreArgs {
            data_dir: PathBuf::from("./data"),
            database_url: database_url.map(str::to_owned),
            secret_key: secret_key.then(|| "k".to_owned().into()),
            previous_secret_keys: Vec::new(),
        }
    }

    #[test]
    fn sqlite_names_the_data_directory_quoted_for_a_shell() {
        let line = grant_command(
            "odoo-mcp-gateway",
            &store(None, false),
            Path::new("/srv/my data"),
        );
        assert_eq!(
            line,
            "odoo-mcp-gateway user grant '<odoo-login>' --role admin --data-dir '/srv/my data'"
        );
    }

    #[test]
    fn postgres_hides_the_password_and_the_secret_key() {
        let line = grant_command(
            "gw",
            &store(Some("postgres://gw:s3cret@db:5432/gw"), true),
            Path::new("/unused"),
        );
        assert_eq!(
            line,
            "gw user grant '<odoo-login>' --role admin --database-url \
             postgres://gw:PASSWORD@db:5432/gw --secret-key \"$GATEWAY_SECRET_KEY\" \
             (with the database password in place of PASSWORD)"
        );
        assert!(!line.contains("s3cret"));
    }

    #[test]
    fn postgres_with_the_key_in_the_data_directory_names_both() {
        let line = grant_command(
            "gw",
            &store(Some("postgres://db/gw"), false),
            Path::new("/d"),
        );
        assert_eq!(
            line,
            "gw user grant '<odoo-login>' --role admin --database-url postgres://db/gw --data-dir /d"
        );
    }

    #[test]
    fn a_url_without_a_host_shows_only_its_scheme() {
        for url in ["postgres:user:s3cret@db", "postgres://u:s3cret@[bad"] {
            assert_eq!(
                without_password(url),
                ("postgres:…".to_owned(), false),
                "{url}"
            );
        }
        let sqlite = "sqlite:/srv/gw/gateway.db";
        assert_eq!(without_password(sqlite), (sqlite.to_owned(), false));
    }
}
