//! SQL for the OAuth authorization server: clients (each the OAuth side of one connection),
//! authorization codes, access/refresh token hashes grouped in families, and the cache of
//! client ID metadata documents. Secrets never reach this file, only their keyed hashes.

use sqlx::AssertSqlSafe;

use super::settings::MCP_SWITCH;
use super::{Result, Store, on_pool};
use crate::clock::Millis;
use crate::values::ClientType;

/// An OAuth client joined with the connection it is.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OAuthClientRow {
    pub connection_id: i64,
    pub client_id: String,
    pub client_type: ClientType,
    pub secret_hash: Option<Vec<u8>>,
    pub redirect_uris: String,
    pub client_name: String,
    pub dynamic: i64,
    pub metadata_url: Option<String>,
    pub created_at: Millis,
    pub claimed_at: Option<Millis>,
    pub odoo_user_id: Option<i64>,
    pub revoked_at: Option<Millis>,
}

pub struct NewOAuthClient<'a> {
    /// The connection's name in the console.
    pub name: &'a str,
    pub client_id: &'a str,
    pub client_type: ClientType,
    pub secret_hash: Option<&'a [u8]>,
    pub redirect_uris: &'a str,
    pub client_name: &'a str,
    pub dynamic: bool,
    pub metadata_url: Option<&'a str>,
    /// Set when the client is created at consent (metadata documents); else bound later.
    pub odoo_user_id: Option<i64>,
    pub scope: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub connection_id: i64,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub resource: String,
    pub family_id: String,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
}

pub struct NewCode<'a> {
    pub code_hash: &'a [u8],
    pub connection_id: i64,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub scope: &'a str,
    pub resource: &'a str,
    pub family_id: &'a str,
    pub expires_at: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub token_hash: Vec<u8>,
    pub kind: String,
    pub connection_id: i64,
    pub client_id: String,
    pub family_id: String,
    pub scope: String,
    pub audience: String,
    pub expires_at: Millis,
    pub rotated_at: Option<Millis>,
    /// The stored master switch, read with the token (see [`super::settings::MCP_SWITCH`]).
    pub mcp_switch: Option<String>,
}

pub struct NewToken<'a> {
    pub token_hash: &'a [u8],
    /// `access` or `refresh`.
    pub kind: &'a str,
    pub connection_id: i64,
    pub client_id: &'a str,
    pub family_id: &'a str,
    pub scope: &'a str,
    pub audience: &'a str,
    pub expires_at: Millis,
}

/// What one prune pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub clients: u64,
    pub codes: u64,
    pub tokens: u64,
    pub documents: u64,
}

const CLIENT: &str = "SELECT o.connection_id, o.client_id, o.client_type, o.secret_hash,
        o.redirect_uris, o.client_name, o.dynamic, o.metadata_url, o.created_at, o.claimed_at,
        c.odoo_user_id, c.revoked_at
    FROM oauth_clients o JOIN connections c ON c.id = o.connection_id";

const TOKEN: &str = "SELECT token_hash, kind, connection_id, client_id, family_id, scope, audience,
        expires_at, rotated_at";

const CODE: &str = "connection_id, client_id, redirect_uri, code_challenge, scope, resource,
        family_id, expires_at, used_at";

impl Store {
    /// Creates the connection (kind `oauth`) and its client row together.
    pub async fn insert_oauth_client(&self, new: &NewOAuthClient<'_>, now: Millis) -> Result<i64> {
        let id = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO connections (kind, name, odoo_user_id, scope, created_at)
                 VALUES ('oauth', $1, $2, $3, $4) RETURNING id")
                .bind(new.name)
                .bind(new.odoo_user_id)
                .bind(new.scope)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO oauth_clients (connection_id, client_id, client_type, secret_hash,
                     redirect_uris, client_name, dynamic, metadata_url, created_at, claimed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(id)
                .bind(new.client_id)
                .bind(new.client_type.as_db())
                .bind(new.secret_hash)
                .bind(new.redirect_uris)
                .bind(new.client_name)
                .bind(i64::from(new.dynamic))
                .bind(new.metadata_url)
                .bind(now)
                .bind(new.odoo_user_id.map(|_| now))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        }.await)?;
        Ok(id)
    }

    /// A registered client (dynamic or Custom OAuth) by its client_id.
    pub async fn find_registered_client(&self, client_id: &str) -> Result<Option<OAuthClientRow>> {
        let sql = format!("{CLIENT} WHERE o.client_id = $1 AND o.metadata_url IS NULL");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OAuthClientRow>(AssertSqlSafe(sql))
            .bind(client_id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// The connection a metadata-document client has for one Odoo user, if consented before.
    pub async fn find_document_client(
        &self,
        url: &str,
        odoo_user_id: i64,
    ) -> Result<Option<OAuthClientRow>> {
        let sql = format!(
            "{CLIENT} WHERE o.metadata_url = $1 AND c.odoo_user_id = $2 ORDER BY o.id LIMIT 1"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OAuthClientRow>(AssertSqlSafe(sql))
            .bind(url)
            .bind(odoo_user_id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// Every OAuth client, for the console's Dynamic Registrations filter.
    pub async fn list_oauth_clients(&self) -> Result<Vec<OAuthClientRow>> {
        let sql = format!("{CLIENT} ORDER BY o.connection_id");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OAuthClientRow>(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await)?,
        )
    }

    pub async fn get_oauth_client(&self, connection_id: i64) -> Result<Option<OAuthClientRow>> {
        let sql = format!("{CLIENT} WHERE o.connection_id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, OAuthClientRow>(AssertSqlSafe(sql))
            .bind(connection_id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// Binds the connection to the consenting user (only if unbound or already theirs) and
    /// records the consented scope. Returns false when another user holds it.
    pub async fn claim_oauth_client(
        &self,
        connection_id: i64,
        odoo_user_id: i64,
        scope: &str,
        now: Millis,
    ) -> Result<bool> {
        let claimed = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE connections SET odoo_user_id = $2, scope = $3
                 WHERE id = $1 AND (odoo_user_id IS NULL OR odoo_user_id = $2)")
                .bind(connection_id)
                .bind(odoo_user_id)
                .bind(scope)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 1 {
                sqlx::query(
                    "UPDATE oauth_clients SET claimed_at = COALESCE(claimed_at, $2)
                     WHERE connection_id = $1")
                    .bind(connection_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(done == 1)
        }.await)?;
        Ok(claimed)
    }

    pub async fn set_client_secret(&self, connection_id: i64, hash: &[u8]) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE oauth_clients SET secret_hash = $2 WHERE connection_id = $1
                 AND client_type = 'confidential'")
            .bind(connection_id)
            .bind(hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn insert_code(&self, new: &NewCode<'_>, now: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO oauth_codes (code_hash, connection_id, client_id, redirect_uri,
                 code_challenge, scope, resource, family_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(new.code_hash)
            .bind(new.connection_id)
            .bind(new.client_id)
            .bind(new.redirect_uri)
            .bind(new.code_challenge)
            .bind(new.scope)
            .bind(new.resource)
            .bind(new.family_id)
            .bind(now)
            .bind(new.expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Marks a code used and returns it, in one statement, so two concurrent exchanges of the
    /// same code cannot both succeed. `None`: unknown or already used.
    pub async fn use_code(&self, hash: &[u8], now: Millis) -> Result<Option<CodeRow>> {
        let sql = format!(
            "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL
             RETURNING {CODE}"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, CodeRow>(AssertSqlSafe(sql))
            .bind(hash)
            .bind(now)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn find_code(&self, hash: &[u8]) -> Result<Option<CodeRow>> {
        let sql = format!("SELECT {CODE} FROM oauth_codes WHERE code_hash = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, CodeRow>(AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn insert_token(&self, new: &NewToken<'_>, now: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO oauth_tokens (token_hash, kind, connection_id, client_id, family_id,
                 scope, audience, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(new.token_hash)
            .bind(new.kind)
            .bind(new.connection_id)
            .bind(new.client_id)
            .bind(new.family_id)
            .bind(new.scope)
            .bind(new.audience)
            .bind(now)
            .bind(new.expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The hot path of every OAuth-authenticated MCP request: one primary-key lookup.
    pub async fn find_token(&self, hash: &[u8]) -> Result<Option<TokenRow>> {
        let sql = format!("{TOKEN}, {MCP_SWITCH} FROM oauth_tokens WHERE token_hash = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, TokenRow>(AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// Marks a refresh token exchanged. False when it already was (a concurrent exchange).
    pub async fn mark_rotated(&self, hash: &[u8], now: Millis) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE oauth_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL")
            .bind(hash)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn delete_token(&self, hash: &[u8]) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM oauth_tokens WHERE token_hash = $1")
            .bind(hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }

    /// Every token descended from one authorization code.
    pub async fn delete_token_family(&self, family_id: &str) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM oauth_tokens WHERE family_id = $1")
            .bind(family_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }

    pub async fn delete_connection_tokens(&self, connection_id: i64) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM oauth_tokens WHERE connection_id = $1")
            .bind(connection_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?,
        )
    }

    /// Removes dynamic registrations nobody consented to since `registered_before`, codes that
    /// expired before `codes_before` (used ones are kept a while to detect replays), expired
    /// tokens, and cached documents fetched before `documents_before`.
    pub async fn prune_oauth(
        &self,
        registered_before: Millis,
        codes_before: Millis,
        now: Millis,
        documents_before: Millis,
    ) -> Result<Pruned> {
        let pruned = on_pool!(self, pool => async {
            let clients = sqlx::query(
                "DELETE FROM connections WHERE kind = 'oauth' AND id IN (
                     SELECT connection_id FROM oauth_clients
                     WHERE dynamic = 1 AND claimed_at IS NULL AND created_at < $1)")
                .bind(registered_before)
                .execute(pool)
                .await?
                .rows_affected();
            let codes = sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1")
                .bind(codes_before)
                .execute(pool)
                .await?
                .rows_affected();
            let tokens = sqlx::query("DELETE FROM oauth_tokens WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let documents = sqlx::query("DELETE FROM oauth_client_documents WHERE fetched_at < $1")
                .bind(documents_before)
                .execute(pool)
                .await?
                .rows_affected();
            Ok::<Pruned, sqlx::Error>(Pruned { clients, codes, tokens, documents })
        }.await)?;
        Ok(pruned)
    }

    pub async fn get_client_document(&self, url: &str) -> Result<Option<(String, Millis)>> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, Millis)>(
            "SELECT body, fetched_at FROM oauth_client_documents WHERE url = $1")
            .bind(url)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn put_client_document(&self, url: &str, body: &str, now: Millis) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO oauth_client_documents (url, body, fetched_at) VALUES ($1, $2, $3)
             ON CONFLICT (url) DO UPDATE SET body = $2, fetched_at = $3")
            .bind(url)
            .bind(body)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
