//! The data directory holds the SQLite database (audit payloads, token hashes, sealed Odoo
//! credentials) and the master key: only the gateway's own OS user may read it. A new directory
//! is made 0700 and a new database file 0600 (SQLite gives its `-wal` and `-shm` files the
//! database file's mode); an existing one that others can read is reported at start.

use std::path::{Path, PathBuf};

/// Creates `dir` (0700) and `dir/gateway.db` (0600) when missing; returns the database path and
/// what is readable by others, for a warning.
pub(super) fn prepare(dir: &Path) -> std::io::Result<(PathBuf, Vec<String>)> {
    create_private_dir(dir)?;
    let db = dir.join("gateway.db");
    if !db.exists() {
        crate::secrets::write_private(&db, "")?;
    }
    let open: Vec<String> = [dir.to_path_buf(), db.clone()]
        .iter()
        .filter(|path| readable_by_others(path))
        .map(|path| path.display().to_string())
        .collect();
    Ok((db, open))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_private_and_an_open_one_is_reported() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let (db, open) = prepare(&dir).unwrap();
        assert_eq!((mode(&dir), mode(&db)), (0o700, 0o600));
        assert!(open.is_empty(), "{open:?}");

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (_, open) = prepare(&dir).unwrap();
        assert_eq!(open, [dir.display().to_string()]);
    }
}
