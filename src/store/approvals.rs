//! SQL for approval requests. State changes are conditional updates (`WHERE state = …`), so a
//! request is decided once even when two approvers click together on two replicas.

use sqlx::AssertSqlSafe;

use super::{Result, Store, on_pool};
use crate::clock::Millis;
use crate::values::ApprovalState;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: String,
    pub connection_id: i64,
    pub requester_user_id: i64,
    pub approver_user_id: Option<i64>,
    pub tool: String,
    pub arguments: String,
    pub arguments_hash: Vec<u8>,
    pub summary: String,
    pub state: ApprovalState,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub decided_at: Option<Millis>,
    pub decided_by: Option<i64>,
    pub reason: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    pub activity_ids: String,
    pub activity_warning: Option<String>,
}

const COLUMNS: &str = "id, connection_id, requester_user_id, approver_user_id, tool, arguments, \
    arguments_hash, summary, state, created_at, expires_at, decided_at, decided_by, reason, result, \
    error, activity_ids, activity_warning";

impl Store {
    pub async fn insert_approval(&self, a: &ApprovalRow) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO approvals (id, connection_id, requester_user_id, approver_user_id, tool,
                 arguments, arguments_hash, summary, state, created_at, expires_at, activity_ids,
                 activity_warning)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&a.id)
            .bind(a.connection_id)
            .bind(a.requester_user_id)
            .bind(a.approver_user_id)
            .bind(&a.tool)
            .bind(&a.arguments)
            .bind(&a.arguments_hash)
            .bind(&a.summary)
            .bind(a.state.as_db())
            .bind(a.created_at)
            .bind(a.expires_at)
            .bind(&a.activity_ids)
            .bind(&a.activity_warning)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRow>> {
        let sql = format!("SELECT {COLUMNS} FROM approvals WHERE id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ApprovalRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// Newest first; `state` filters when given.
    pub async fn list_approvals(
        &self,
        state: Option<ApprovalState>,
        limit: i64,
    ) -> Result<Vec<ApprovalRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM approvals WHERE ($1 IS NULL OR state = $1)
             ORDER BY created_at DESC, id LIMIT $2"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ApprovalRow>(AssertSqlSafe(sql))
            .bind(state.map(ApprovalState::as_db))
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// How many requests wait for a decision; `involving` (an MCP User's id) counts only the
    /// ones they filed or must decide.
    pub async fn count_pending_approvals(&self, involving: Option<i64>) -> Result<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM approvals WHERE state = $1
                 AND ($2 IS NULL OR requester_user_id = $2 OR approver_user_id = $2)")
            .bind(ApprovalState::Pending.as_db())
            .bind(involving)
            .fetch_one(pool)
            .await)?)
    }

    /// The console inbox: pending requests first, then newest first. `state` filters when
    /// given; `involving` (an MCP User's id) keeps only the requests they filed or must decide.
    pub async fn list_approvals_for(
        &self,
        state: Option<ApprovalState>,
        involving: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ApprovalRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM approvals
             WHERE ($1 IS NULL OR state = $1)
               AND ($2 IS NULL OR requester_user_id = $2 OR approver_user_id = $2)
             ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, created_at DESC, id
             LIMIT $3"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ApprovalRow>(AssertSqlSafe(sql))
            .bind(state.map(ApprovalState::as_db))
            .bind(involving)
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    pub async fn set_approval_activities(
        &self,
        id: &str,
        ids: &str,
        warning: Option<&str>,
    ) -> Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE approvals SET activity_ids = $2, activity_warning = $3 WHERE id = $1")
            .bind(id)
            .bind(ids)
            .bind(warning)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Moves a pending, unexpired request to `state` (approved or rejected). Returns whether this
    /// call made the decision — `false` when someone else decided first or it expired.
    pub async fn decide_approval(
        &self,
        id: &str,
        state: ApprovalState,
        decided_by: i64,
        reason: Option<&str>,
        now: Millis,
    ) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE approvals SET state = $2, decided_by = $3, reason = $4, decided_at = $5
             WHERE id = $1 AND state = 'pending' AND expires_at > $5")
            .bind(id)
            .bind(state.as_db())
            .bind(decided_by)
            .bind(reason)
            .bind(now)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Records how an approved call ended (executed or failed).
    pub async fn finish_approval(
        &self,
        id: &str,
        state: ApprovalState,
        result: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE approvals SET state = $2, result = $3, error = $4
             WHERE id = $1 AND state = 'approved'")
            .bind(id)
            .bind(state.as_db())
            .bind(result)
            .bind(error)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Expires every pending request whose time is up; returns their ids.
    pub async fn expire_approvals(&self, now: Millis) -> Result<Vec<String>> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "UPDATE approvals SET state = 'expired', decided_at = $1
             WHERE state = 'pending' AND expires_at <= $1 RETURNING id")
            .bind(now)
            .fetch_all(pool)
            .await)?)
    }

    /// Fails every request approved before `before` whose run never finished (the process that
    /// ran it died between the decision and the result); returns their ids.
    pub async fn fail_interrupted_approvals(
        &self,
        before: Millis,
        error: &str,
    ) -> Result<Vec<String>> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "UPDATE approvals SET state = 'failed', error = $2
             WHERE state = 'approved' AND decided_at < $1 RETURNING id")
            .bind(before)
            .bind(error)
            .fetch_all(pool)
            .await)?)
    }
}
