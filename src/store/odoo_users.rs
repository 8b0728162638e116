//! SQL for linked Odoo users: login, uid, display name, protocol and the sealed credential.

use sqlx::AssertSqlSafe;

use super::{Result, Store, on_pool};
use crate::clock::Millis;
use crate::values::Role;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OdooUserRow {
    pub id: i64,
    pub login: String,
    pub odoo_uid: i64,
    pub name: String,
    pub protocol: String,
    pub secret_sealed: Vec<u8>,
    pub role: Option<Role>,
    pub linked_at: Millis,
    pub updated_at: Millis,
}

pub struct NewOdooUser<'a> {
    pub login: &'a str,
    pub odoo_uid: i64,
    pub name: &'a str,
    pub protocol: &'a str,
    pub secret_sealed: &'a [u8],
}

const COLUMNS: &str =
    "id, login, odoo_uid, name, protocol, secret_sealed, role, linked_at, updated_at";

impl Store {
    /// Links a user, or refreshes the credential of one already linked (a new password or key).
    pub async fn upsert_odoo_user(
        &self,
        user: &NewOdooUser<'_>,
        now: Millis,
    ) -> Result<OdooUserRow> {
        let sql = format!(
            "INSERT INTO odoo_users (login, odoo_uid, name, protocol, secret_sealed, linked_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (login) DO UPDATE SET odoo_uid = $2, name = $3, protocol = $4,
                 secret_sealed = $5, updated_at = $6
             RETURNING {COLUMNS}"
        );
        let row = on_pool!(self, pool => sqlx::query_as::<_, OdooUserRow>(AssertSqlSafe(sql))
            .bind(user.login)
            .bind(user.odoo_uid)
            .bind(user.name)
            .bind(user.protocol)
            .bind(user.secret_sealed)
            .bind(now)
            .fetch_one(pool)
            .await)?;
        Ok(row)
    }

    pub async fn find_odoo_user(&self, login: &str) -> Result<Option<OdooUserRow>> {
        let sql = format!("SELECT {COLUMNS} FROM odoo_users WHERE login = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OdooUserRow>(AssertSqlSafe(sql))
            .bind(login)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn get_odoo_user(&self, id: i64) -> Result<Option<OdooUserRow>> {
        let sql = format!("SELECT {COLUMNS} FROM odoo_users WHERE id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OdooUserRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn list_odoo_users(&self) -> Result<Vec<OdooUserRow>> {
        let sql = format!("SELECT {COLUMNS} FROM odoo_users ORDER BY login");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OdooUserRow>(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Grants (`Some`) or removes (`None`) a console role. Returns whether the user exists.
    pub async fn set_role(&self, login: &str, role: Option<Role>, now: Millis) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE odoo_users SET role = $2, updated_at = $3 WHERE login = $1")
            .bind(login)
            .bind(role.map(Role::as_db))
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Writes linked users' credentials sealed anew (`(id, as stored, sealed anew)`), and a
    /// sealed setting (`(name, as stored, sealed anew)`: the notification webhook secret), and
    /// signs every console session out, in one transaction: a secret-key rotation. `None`,
    /// with nothing written, when a credential or the setting changed meanwhile (a sign-in
    /// linked it again, an administrator regenerated the secret); else how many sessions
    /// were signed out.
    pub async fn reseal_credentials(
        &self,
        changes: &[(i64, &[u8], Vec<u8>)],
        setting: Option<(&str, &str, &str)>,
    ) -> Result<Option<u64>> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            if let Some((name, stored, resealed)) = setting {
                let done = sqlx::query(
                    "UPDATE settings SET value = $3 WHERE name = $1 AND value = $2")
                    .bind(name)
                    .bind(stored)
                    .bind(resealed)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Ok(None);
                }
            }
            for (id, stored, resealed) in changes {
                let done = sqlx::query(
                    "UPDATE odoo_users SET secret_sealed = $3 WHERE id = $1 AND secret_sealed = $2")
                    .bind(id)
                    .bind(stored)
                    .bind(resealed)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    // Dropping the transaction rolls back what it wrote so far.
                    return Ok(None);
                }
            }
            let sessions = sqlx::query("DELETE FROM console_sessions")
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(Some(sessions))
        }.await)
    }
}
