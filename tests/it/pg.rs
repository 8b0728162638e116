//! PostgreSQL for tests: the server named by `TEST_POSTGRES_URL` (`scripts/test` starts one),
//! and throw-away databases on it. Without the variable, PostgreSQL tests print a skip notice —
//! except under `CI` or `REQUIRE_POSTGRES`, where they fail: CI must never pass by skipping.

use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";

/// The admin URL, or `None` (after a one-line notice) when PostgreSQL tests may be skipped.
pub fn admin_url() -> Option<String> {
    if let Some(url) = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    let required = ["CI", "REQUIRE_POSTGRES"]
        .into_iter()
        .find(|var| std::env::var(var).is_ok_and(|v| !v.is_empty()));
    if let Some(var) = required {
        panic!(
            "{POSTGRES_URL_VAR} is not set but {var} is: the PostgreSQL tests must run here. \
             Run scripts/test (it starts PostgreSQL via .ci/setup) or set \
             {POSTGRES_URL_VAR}=postgres://user:password@host:port/db"
        );
    }
    eprintln!("skipped: PostgreSQL test ({POSTGRES_URL_VAR} is not set)");
    None
}

/// The admin URL pointed at another database on the same server.
pub fn database_url(admin_url: &str, database: &str) -> String {
    let mut url = reqwest::Url::parse(admin_url)
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is not a URL ({e}): {admin_url}"));
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// A fresh database (`omg_test_<random>`); [`TempDatabase::remove`] drops it.
pub struct TempDatabase {
    pub url: String,
    name: String,
    admin: PgConnection,
}

impl TempDatabase {
    pub async fn create() -> Option<Self> {
        let admin_url = admin_url()?;
        let name = format!("omg_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_VAR}={admin_url}: {e}"));
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        Some(Self {
            url: database_url(&admin_url, &name),
            name,
            admin,
        })
    }

    pub async fn remove(mut self) {
        // FORCE ends the tests' own connections, but a non-superuser may not end an autovacuum
        // worker (42501), which a busy test database can have for a moment: wait it out.
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let mut tries = 0;
        loop {
            match sqlx::query(AssertSqlSafe(drop.clone()))
                .execute(&mut self.admin)
                .await
            {
                Ok(_) => break,
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some("42501") && tries < 50 =>
                {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => panic!("drop the test database: {e}"),
            }
        }
        let _ = self.admin.close().await;
    }
}
