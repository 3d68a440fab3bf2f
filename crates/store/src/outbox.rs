//! The outbox as a delivery queue (migration 0006): rows in `id` order, their
//! delivery outcome, and the single-row relay lease.
//!
//! Why here and not in the relay: the store owns the schema and runs the same
//! SQL on both back ends; the policy (what an HTTP status means, how long to back
//! off) is the application's (`zhishen_app::exchange`), which only tells the store
//! what happened. Every write is one conditional statement, so two relays that
//! overlap (a lease stolen from a stalled process) cannot undo each other: a row
//! once `delivered` is never set back, and a retry or failure is recorded only on
//! a row still `pending`.
//!
//! Reading in `id` order is reading in commit order: outbox rows are inserted only by
//! the global log append (`chain::append`), which on PostgreSQL runs under the
//! `log_head` row lock held to commit and on SQLite under the one write lock, so a
//! relay never sees row N+1 before row N is committed (ids may have gaps from rolled
//! back transactions; nothing relies on them being dense).

use crate::{rfc3339, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Not delivered yet; due at `next_attempt_ms`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// The receiver refused the message itself; it stays until an operator
    /// requeues it ([`Store::requeue_outbox`]).
    Failed,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Failed => "failed",
        }
    }

    fn parse(s: &str, id: i64) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => OutboxState::Pending,
            "delivered" => OutboxState::Delivered,
            "failed" => OutboxState::Failed,
            _ => return Err(StoreError::Corrupt(format!("outbox row {id}: state {s:?}"))),
        })
    }
}

/// One outbox row (one event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    /// `case.event` for events.
    pub topic: String,
    /// The case id.
    pub msg_key: String,
    /// The event JSON, byte for byte what is sent.
    pub payload: String,
    /// `<case>:<seq>`; unique.
    pub idempotency_key: String,
    /// Delivery attempts so far (successful or not).
    pub attempts: i64,
    /// Epoch milliseconds before which the row is not sent again.
    pub next_attempt_ms: i64,
    pub state: OutboxState,
    /// Why the last attempt failed (migration 0006).
    pub last_error: Option<String>,
    pub created_at: String,
    /// When the receiver acknowledged it (migration 0006).
    pub delivered_at: Option<String>,
}

/// What one delivery attempt of a row came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// A transient failure: stays pending, sent again at `next_attempt_ms`.
    Retry { error: String, next_attempt_ms: i64 },
    /// The receiver refused the message itself: the row becomes `failed`.
    Failed { error: String },
}

const COLS: &str = "id, topic, msg_key, payload, idempotency_key, attempts, next_attempt_ms, state, last_error, created_at, delivered_at";

fn row_of(r: &AnyRow) -> Result<OutboxRow, StoreError> {
    let id: i64 = r.try_get(0)?;
    let state: String = r.try_get(7)?;
    Ok(OutboxRow {
        id,
        topic: r.try_get(1)?,
        msg_key: r.try_get(2)?,
        payload: r.try_get(3)?,
        idempotency_key: r.try_get(4)?,
        attempts: r.try_get(5)?,
        next_attempt_ms: r.try_get(6)?,
        state: OutboxState::parse(&state, id)?,
        last_error: r.try_get(8)?,
        created_at: r.try_get(9)?,
        delivered_at: r.try_get(10)?,
    })
}

/// Error texts are kept to this many characters (a receiver may answer with a page).
const MAX_ERROR_CHARS: usize = 2000;

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

impl Store {
    /// Claims the relay lease for `owner`, or renews it when `owner` holds it,
    /// until `now + lease`. True when `owner` holds it afterwards; false while
    /// another owner's lease runs. One conditional UPDATE, so of two claimants
    /// exactly one wins (PostgreSQL re-checks the condition after the first
    /// commits; SQLite has one writer).
    pub async fn claim_outbox_relay(
        &self,
        owner: &str,
        lease: chrono::Duration,
    ) -> Result<bool, StoreError> {
        if owner.is_empty() {
            return Err(StoreError::BadInput("relay owner must not be empty".into()));
        }
        let now = self.now();
        let now_ms = now.timestamp_millis();
        let done = sqlx::query(
            "UPDATE outbox_relay SET owner = $1, lease_until_ms = $2, updated_at = $3 \
             WHERE id = 1 AND (owner = $1 OR owner IS NULL OR lease_until_ms <= $4)",
        )
        .bind(owner)
        .bind(now_ms.saturating_add(lease.num_milliseconds()))
        .bind(rfc3339(&now))
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up (a relay shutting down), so another process takes
    /// over at once instead of after the lease ends. A lease `owner` does not
    /// hold is left alone.
    pub async fn release_outbox_relay(&self, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox_relay SET owner = NULL, lease_until_ms = 0, updated_at = $2 WHERE id = 1 AND owner = $1",
        )
        .bind(owner)
        .bind(rfc3339(&self.now()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The lease holder and the end of its lease (epoch ms), if anyone holds one.
    pub async fn outbox_relay_holder(&self) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("SELECT owner, lease_until_ms FROM outbox_relay WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Corrupt(
                "outbox_relay has no row 1 (migration 0006 inserts it)".into(),
            ));
        };
        let owner: Option<String> = row.try_get(0)?;
        let until: i64 = row.try_get(1)?;
        Ok(owner.map(|o| (o, until)))
    }

    /// The first `limit` undelivered rows (pending or failed) in `id` order:
    /// the head of the delivery queue.
    pub async fn outbox_undelivered(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM outbox WHERE state <> 'delivered' ORDER BY id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// Outbox rows with `id > after`, in `id` order, at most `limit`
    /// (status pages, tests).
    pub async fn outbox_rows(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM outbox WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// Records one delivery attempt of row `id`: `attempts` goes up by one and
    /// the outcome is written. A row already delivered is left as it is (a
    /// second relay's late answer must not undo it); a retry or failure is
    /// recorded only on a pending row. Returns the row as it now stands.
    pub async fn record_outbox_attempt(
        &self,
        id: i64,
        outcome: &OutboxOutcome,
    ) -> Result<OutboxRow, StoreError> {
        let now = rfc3339(&self.now());
        let q = match outcome {
            OutboxOutcome::Delivered => sqlx::query(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = $2, last_error = NULL \
                 WHERE id = $1 AND state <> 'delivered'",
            )
            .bind(id)
            .bind(now),
            OutboxOutcome::Retry {
                error,
                next_attempt_ms,
            } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = $2, last_error = $3 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id)
            .bind(*next_attempt_ms)
            .bind(clip(error)),
            OutboxOutcome::Failed { error } => sqlx::query(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id)
            .bind(clip(error)),
        };
        q.execute(self.pool()).await?;
        self.outbox_row(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("outbox row {id}")))
    }

    pub async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM outbox WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(row_of).transpose()
    }

    /// Sends a `failed` row again (an operator fixed what the receiver
    /// refused): pending, due now, attempts kept. False when the row is not
    /// `failed`.
    pub async fn requeue_outbox(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', next_attempt_ms = $2 WHERE id = $1 AND state = 'failed'",
        )
        .bind(id)
        .bind(self.now().timestamp_millis())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            tracing::info!(outbox_id = id, "failed outbox row requeued");
        }
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_is_clipped_on_a_char_boundary() {
        let long = "审".repeat(MAX_ERROR_CHARS + 5);
        let c = clip(&long);
        assert_eq!(c.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn states_round_trip() {
        for s in [
            OutboxState::Pending,
            OutboxState::Delivered,
            OutboxState::Failed,
        ] {
            assert_eq!(OutboxState::parse(s.as_str(), 1).unwrap(), s);
        }
        assert!(matches!(
            OutboxState::parse("sent", 7),
            Err(StoreError::Corrupt(m)) if m.contains("outbox row 7")
        ));
    }
}
