//! Benchmark support: fill a database with synthetic, correctly chained events
//! so `audit verify` can be timed on a million rows without running a million
//! workflow commands.

use crate::{chain, db, rfc3339, Store, StoreError};
use sqlx::{Any, QueryBuilder};
use zhishen_audit::HashAlg;

/// (case, seq, prev_hash, hash, payload JSON) of one synthetic event.
type SynthRow = (String, u64, [u8; 32], [u8; 32], String);

/// Rows per multi-row INSERT (19 columns; below SQLite's bind limit).
const BATCH: usize = 500;

impl Store {
    /// Appends `events` synthetic events, `per_case` per case, to an empty
    /// log. Each row is hashed exactly as `execute` hashes real events.
    #[doc(hidden)]
    pub async fn bench_fill(&self, events: u64, per_case: u64) -> Result<u64, StoreError> {
        let start: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        if start != 0 {
            return Err(StoreError::BadInput(
                "bench_fill needs an empty log (use a fresh database)".into(),
            ));
        }
        let now = crate::micros(self.now());
        let at = rfc3339(&now);
        let mut prev = zhishen_audit::GENESIS;
        let mut rows: Vec<SynthRow> = Vec::with_capacity(BATCH);
        let mut written = 0u64;
        let mut tx = db::begin_write(self.pool(), self.backend()).await?;
        for i in 0..events {
            let case = format!("bench-{}", i / per_case);
            let seq = i % per_case + 1;
            if seq == 1 {
                prev = zhishen_audit::GENESIS;
            }
            let payload = serde_json::json!({"type": "bench_event", "n": i, "at": at});
            let content = chain::content(
                &case,
                seq,
                "bench_event",
                "bench",
                "system",
                None,
                None,
                now,
                ["P1", "T1", "CAL"],
                payload.clone(),
            );
            let hash = zhishen_audit::chain_hash(
                HashAlg::Sha256,
                &prev,
                &zhishen_audit::event_canonical(&content),
            );
            rows.push((case, seq, prev, hash, payload.to_string()));
            prev = hash;
            if rows.len() == BATCH || i + 1 == events {
                let base = written as i64;
                let mut q: QueryBuilder<Any> = QueryBuilder::new(
                    "INSERT INTO case_event (case_id, seq, kind, actor_id, actor_role, occurred_at, process_version, catalogue_version, calendar_version, payload, alg, prev_hash, hash, log_index, request_id, request_part) ",
                );
                q.push_values(rows.iter().enumerate(), |mut b, (k, r)| {
                    b.push_bind(r.0.clone())
                        .push_bind(r.1 as i64)
                        .push_bind("bench_event")
                        .push_bind("bench")
                        .push_bind("system")
                        .push_bind(at.clone())
                        .push_bind("P1")
                        .push_bind("T1")
                        .push_bind("CAL")
                        .push_bind(r.4.clone())
                        .push_bind("sha256")
                        .push_bind(r.2.to_vec())
                        .push_bind(r.3.to_vec())
                        .push_bind(base + k as i64)
                        .push_bind(format!("bench-{}-{}", r.0, r.1))
                        .push_bind(0i64);
                });
                q.build().execute(&mut *tx).await?;
                let mut l: QueryBuilder<Any> =
                    QueryBuilder::new("INSERT INTO log_leaf (idx, leaf_hash) ");
                l.push_values(rows.iter().enumerate(), |mut b, (k, r)| {
                    b.push_bind(base + k as i64)
                        .push_bind(zhishen_audit::event_leaf(&r.3).to_vec());
                });
                l.build().execute(&mut *tx).await?;
                written += rows.len() as u64;
                rows.clear();
                if written.is_multiple_of(50_000) {
                    tx.commit().await?;
                    tx = db::begin_write(self.pool(), self.backend()).await?;
                }
            }
        }
        sqlx::query("UPDATE log_head SET size = $1 WHERE id = 1")
            .bind(written as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(written)
    }
}
