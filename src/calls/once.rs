//! Retry-safe writes: a write called with an `idempotency_key` runs at most once per connection
//! and key for 24 hours. The first call claims the key in the store (one conditional upsert,
//! so replicas agree), runs, and stores its answer; a retry with the same arguments gets that
//! answer without Odoo being called; a duplicate arriving while the first still runs waits for
//! its answer; the same key with other arguments is refused.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::ToolContext;
use super::error::ToolError;
use crate::catalog::ToolSpec;
use crate::catalog::idempotency::IdempotencyKey;
use crate::clock::DAY_MS;
use crate::odoo;
use crate::values::IdempotencyState;

/// How a call that passed governance ended: it ran, or it is held for a person to decide.
pub(crate) enum Ran {
    Done(Value),
    Pending(Value),
}

impl Ran {
    /// The audit log's outcome word.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            Self::Done(_) => crate::audit::outcome::SUCCESS,
            Self::Pending(_) => crate::audit::outcome::PENDING_APPROVAL,
        }
    }

    /// The structured answer the client gets.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Self::Done(value) | Self::Pending(value) => value,
        }
    }
}

/// How long a duplicate waits for the first call's answer, and how often it looks.
const WAIT: Duration = Duration::from_secs(60);
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// Runs `run` once for `key`: the first time for real, later from the stored answer.
pub(crate) async fn once<F, Fut>(
    ctx: &ToolContext<'_>,
    spec: &ToolSpec,
    key: &IdempotencyKey,
    arguments: &Map<String, Value>,
    run: F,
) -> Result<Ran, ToolError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Ran, ToolError>>,
{
    let state = ctx.state;
    let store = &state.store;
    let connection = ctx.principal.connection.id;
    let bound = bound_text(spec, arguments);
    let hash = state.keyring.token_hash(&bound).0;
    let started = Instant::now();
    loop {
        let now = state.clock.now();
        if store
            .claim_idempotency(connection, key.as_str(), &hash, now, now + DAY_MS)
            .await
            .map_err(internal)?
        {
            let outcome = run().await;
            let (ended, answer) = match &outcome {
                Ok(Ran::Done(value)) => (Some(IdempotencyState::Done), Some(value.to_string())),
                Ok(Ran::Pending(value)) => (Some(IdempotencyState::Held), Some(value.to_string())),
                Err(e) if changed_nothing(e) => (None, None),
                Err(_) => (Some(IdempotencyState::Unknown), None),
            };
            let stored = match ended {
                Some(ended) => {
                    store
                        .finish_idempotency(connection, key.as_str(), ended, answer.as_deref())
                        .await
                }
                None => store.release_idempotency(connection, key.as_str()).await,
            };
            if let Err(e) = stored {
                tracing::error!(error = %e, "the outcome of an idempotent call could not be stored");
            }
            return outcome;
        }
        let Some(row) = store
            .get_idempotency(connection, key.as_str())
            .await
            .map_err(internal)?
        else {
            // Released or expired between the claim and the read: claim again.
            continue;
        };
        // A key first used before a secret-key rotation is bound under a previous key.
        if !state.keyring.verifies(&bound, &row.arguments_hash) {
            return Err(ToolError::Refused(format!(
                "The idempotency_key '{}' was already used with other arguments in the last \
                 24 hours; use a new key for a different call.",
                key.as_str()
            )));
        }
        let stored = |text: Option<String>| {
            text.and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| {
                    ToolError::Internal("a stored idempotent answer is unreadable".into())
                })
        };
        match row.state {
            IdempotencyState::Done => {
                state.metrics.idempotent_replay(spec.name);
                return stored(row.result).map(Ran::Done);
            }
            IdempotencyState::Held => {
                state.metrics.idempotent_replay(spec.name);
                return stored(row.result).map(Ran::Pending);
            }
            IdempotencyState::Unknown => {
                return Err(ToolError::Refused(format!(
                    "The call first made with idempotency_key '{}' ended without a known outcome \
                     (Odoo did not answer in time), so it may or may not have taken effect: check \
                     in Odoo, then retry with a new key if it did not.",
                    key.as_str()
                )));
            }
            IdempotencyState::Running if started.elapsed() >= WAIT => {
                return Err(ToolError::Refused(format!(
                    "A call with idempotency_key '{}' is still running; retry later with the \
                     same key to get its answer.",
                    key.as_str()
                )));
            }
            IdempotencyState::Running => tokio::time::sleep(LOOK_EVERY).await,
        }
    }
}

/// What the keyed hash binding a key to the arguments it was first used with covers.
fn bound_text(spec: &ToolSpec, arguments: &Map<String, Value>) -> String {
    let mut arguments = arguments.clone();
    arguments.remove("idempotency_key");
    // serde_json's map keeps its keys sorted, so equal arguments give equal text.
    let text = Value::Object(arguments).to_string();
    format!("idempotency-v1\n{}\n{text}", spec.name)
}

/// Whether a failed call certainly changed nothing in Odoo (so a retry may run it): refused or
/// invalid before Odoo was called, or refused by Odoo itself (which rolls its transaction
/// back). A timeout, an odd answer or our own fault after sending leave it unknown.
fn changed_nothing(error: &ToolError) -> bool {
    match error {
        ToolError::Odoo(e) => e.kind().is_some() || matches!(e, odoo::Error::Unreachable(_)),
        ToolError::Internal(_) => false,
        _ => true,
    }
}

fn internal(error: crate::store::Error) -> ToolError {
    ToolError::Internal(error.into())
}
