//! Enterprise credit streams 企业信用 in the event log, and a bulk loader of
//! generated case histories (for the supervision benchmark).
//!
//! Why in `case_event`: a grade change must be as tamper-evident as a case event,
//! so each enterprise's credit events form their own hash chain under the stream id
//! `credit:<enterprise>` and are leaves of the same global log; `audit verify`
//! checks them with everything else and needs no new table (no migration). The
//! stream has no `case` row: its state is replayed from its few events on every
//! command, inside the command's write transaction, so two commands on one
//! enterprise serialise on the write lock (SQLite) or on `log_head` (PostgreSQL,
//! taken before the stream is read).

use crate::script::Script;
use crate::{chain, db, micros, rfc3339, u64_of, Backend, Store, StoreError};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use zhishen_workflow::credit::{
    apply_credit, decide_credit, CreditActor, CreditCommand, CreditEvent, CreditRules, CreditState,
    Grade,
};
use zhishen_workflow::simulate::SimCase;
use zhishen_workflow::{CaseId, Definitions, EnterpriseId, RequestId};

/// The stream id of an enterprise's credit events.
pub fn credit_stream(e: &EnterpriseId) -> String {
    format!("credit:{e}")
}

/// One stored credit event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreditRecord {
    pub seq: u64,
    pub kind: String,
    pub actor_id: String,
    pub actor_role: String,
    pub occurred_at: String,
    pub log_index: u64,
    pub hash: String,
    pub event: CreditEvent,
}

/// The answer to a credit command: the events it wrote (none when the grade did
/// not change or the request was already executed) and the state after it.
#[derive(Debug, Clone, Serialize)]
pub struct CreditExecuted {
    pub replayed: bool,
    pub events: Vec<CreditRecord>,
    pub state: CreditState,
}

/// A credit event row being written.
struct Row1 {
    seq: u64,
    kind: &'static str,
    payload: String,
    prev: [u8; 32],
    hash: [u8; 32],
}

impl Store {
    /// The enterprise's credit events and the state they fold to.
    pub async fn credit(
        &self,
        e: &EnterpriseId,
    ) -> Result<(CreditState, Vec<CreditRecord>), StoreError> {
        let mut tx = self.pool().begin().await?;
        let out = self.credit_in(&mut tx, e).await?;
        tx.rollback().await?;
        Ok(out)
    }

    /// The current grade of every graded enterprise, by enterprise id: the `to` of
    /// each stream's last `credit_grade_changed` (one query, for the risk sweep).
    pub async fn credit_grades(&self) -> Result<BTreeMap<String, Grade>, StoreError> {
        let rows = sqlx::query(
            "SELECT case_id, seq, payload FROM case_event WHERE kind = $1 ORDER BY case_id, seq",
        )
        .bind("credit_grade_changed")
        .fetch_all(self.pool())
        .await?;
        let mut out = BTreeMap::new();
        for r in &rows {
            let stream: String = r.try_get(0)?;
            let payload: String = r.try_get(2)?;
            let Some(enterprise) = stream.strip_prefix("credit:") else {
                continue;
            };
            match serde_json::from_str::<CreditEvent>(&payload) {
                Ok(CreditEvent::GradeChanged { to, .. }) => {
                    out.insert(enterprise.to_string(), to);
                }
                Ok(_) | Err(_) => {
                    let seq: i64 = r.try_get(1)?;
                    return Err(StoreError::Corrupt(format!(
                        "{stream} seq {seq}: not a grade change"
                    )));
                }
            }
        }
        Ok(out)
    }

    async fn credit_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        e: &EnterpriseId,
    ) -> Result<(CreditState, Vec<CreditRecord>), StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, actor_id, actor_role, occurred_at, log_index, hash, payload \
             FROM case_event WHERE case_id = $1 ORDER BY seq",
        )
        .bind(credit_stream(e))
        .fetch_all(&mut **tx)
        .await?;
        let mut state = CreditState::default();
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let payload: String = r.try_get(7)?;
            let seq = u64_of(r.try_get(0)?, "case_event.seq")?;
            let event: CreditEvent = serde_json::from_str(&payload).map_err(|err| {
                StoreError::Corrupt(format!("{} seq {seq}: {err}", credit_stream(e)))
            })?;
            state = apply_credit(state, &event);
            let hash: Vec<u8> = r.try_get(6)?;
            out.push(CreditRecord {
                seq,
                kind: r.try_get(1)?,
                actor_id: r.try_get(2)?,
                actor_role: r.try_get(3)?,
                occurred_at: r.try_get(4)?,
                log_index: u64_of(r.try_get(5)?, "case_event.log_index")?,
                hash: hex::encode(hash),
                event,
            });
        }
        Ok((state, out))
    }

    /// Decides and records one credit command in one transaction, hash-chained
    /// per enterprise and appended to the global log. A refusal writes nothing
    /// ([`StoreError::Refused`]); a known `request_id` answers with the state.
    pub async fn credit_execute(
        &self,
        e: &EnterpriseId,
        cmd: &CreditCommand,
        actor: &CreditActor,
        rules: &CreditRules,
        request_id: &RequestId,
    ) -> Result<CreditExecuted, StoreError> {
        let _turn = self.local_writer().await;
        let mut tx = db::begin_write(self.pool(), self.backend()).await?;
        // PostgreSQL: take the global log lock first, so the stream read below
        // cannot race another command on the same enterprise.
        let size: i64 = match self.backend() {
            Backend::Postgres => {
                sqlx::query_scalar("UPDATE log_head SET size = size WHERE id = 1 RETURNING size")
                    .fetch_one(&mut *tx)
                    .await?
            }
            Backend::Sqlite => {
                sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        let known: Option<String> =
            sqlx::query_scalar("SELECT case_id FROM command_request WHERE request_id = $1")
                .bind(request_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let (state, history) = self.credit_in(&mut tx, e).await?;
        if known.is_some() {
            tx.rollback().await?;
            return Ok(CreditExecuted {
                replayed: true,
                events: vec![],
                state,
            });
        }
        let now = micros(self.now());
        let events =
            decide_credit(e, &state, cmd, actor, now, rules).map_err(StoreError::Refused)?;
        if events.is_empty() {
            tx.rollback().await?;
            return Ok(CreditExecuted {
                replayed: false,
                events: vec![],
                state,
            });
        }
        let prev = match history.last() {
            Some(r) => hex_hash(&r.hash)?,
            None => zhishen_audit::GENESIS,
        };
        let ctx = RowCtx {
            stream: credit_stream(e),
            actor,
            now,
            versions: format!("{}@{}", rules.id, rules.version),
        };
        let rows = self.credit_rows(&ctx, &state, &events, prev)?;
        self.write_credit(&mut tx, &ctx, &rows, size, request_id)
            .await?;
        tx.commit().await?;
        let (state, all) = self.credit(e).await?;
        let from = all.len() - rows.len();
        Ok(CreditExecuted {
            replayed: false,
            events: all[from..].to_vec(),
            state,
        })
    }

    fn credit_rows(
        &self,
        ctx: &RowCtx<'_>,
        state: &CreditState,
        events: &[CreditEvent],
        mut prev: [u8; 32],
    ) -> Result<Vec<Row1>, StoreError> {
        let mut rows = Vec::with_capacity(events.len());
        for (i, ev) in events.iter().enumerate() {
            let seq = state.seq + 1 + i as u64;
            let value = serde_json::to_value(ev)?;
            let payload = serde_json::to_string(&value)?;
            let content = chain::content(
                &ctx.stream,
                seq,
                ev.kind(),
                &ctx.actor.id,
                ctx.actor.role.as_str(),
                None,
                None,
                ctx.now,
                [&ctx.versions, "", ""],
                value,
            );
            let hash = zhishen_audit::chain_hash(
                self.alg,
                &prev,
                &zhishen_audit::event_canonical(&content),
            );
            rows.push(Row1 {
                seq,
                kind: ev.kind(),
                payload,
                prev,
                hash,
            });
            prev = hash;
        }
        Ok(rows)
    }

    async fn write_credit(
        &self,
        tx: &mut Transaction<'static, Any>,
        ctx: &RowCtx<'_>,
        rows: &[Row1],
        size: i64,
        request_id: &RequestId,
    ) -> Result<(), StoreError> {
        let at = rfc3339(&ctx.now);
        // Script, not QueryBuilder: its placeholders are the backend's own (`?` on
        // SQLite, `$n` on PostgreSQL); QueryBuilder<Any> writes `?` for both.
        let mut script = Script::new(self.backend());
        script
            .sql("INSERT INTO case_event (case_id, seq, kind, actor_id, actor_role, occurred_at, process_version, catalogue_version, calendar_version, payload, alg, prev_hash, hash, log_index, request_id, request_part)")
            .values(rows.iter().enumerate(), |t, (k, r)| {
                t.bind(ctx.stream.clone())
                    .bind(r.seq as i64)
                    .bind(r.kind)
                    .bind(ctx.actor.id.clone())
                    .bind(ctx.actor.role.as_str())
                    .bind(at.clone())
                    .bind(ctx.versions.clone())
                    .bind("")
                    .bind("")
                    .bind(r.payload.clone())
                    .bind(self.alg.as_str())
                    .bind(r.prev.to_vec())
                    .bind(r.hash.to_vec())
                    .bind(size + k as i64)
                    .bind(request_id.as_str().to_string())
                    .bind(k as i64);
            })
            .end();
        script
            .sql("INSERT INTO log_leaf (idx, leaf_hash)")
            .values(rows.iter().enumerate(), |t, (k, r)| {
                t.bind(size + k as i64)
                    .bind(zhishen_audit::event_leaf(&r.hash).to_vec());
            })
            .end();
        script.run(tx).await?;
        sqlx::query("UPDATE log_head SET size = $1 WHERE id = 1")
            .bind(size + rows.len() as i64)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO command_request (request_id, case_id, first_seq, last_seq, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(request_id.as_str())
        .bind(ctx.stream.clone())
        .bind(rows[0].seq as i64)
        .bind(rows[rows.len() - 1].seq as i64)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

struct RowCtx<'a> {
    stream: String,
    actor: &'a CreditActor,
    now: DateTime<FixedOffset>,
    /// `rules id@version`, kept in the hashed process_version column.
    versions: String,
}

fn hex_hash(s: &str) -> Result<[u8; 32], StoreError> {
    let v = hex::decode(s).map_err(|e| StoreError::Corrupt(format!("stored hash {s}: {e}")))?;
    v.try_into()
        .map_err(|_| StoreError::Corrupt(format!("stored hash {s} is not 32 bytes")))
}

/// Cases per transaction of [`Store::import_cases`].
const IMPORT_BATCH: usize = 200;

impl Store {
    /// Writes generated case histories (`zhishen_workflow::simulate`) as if their
    /// commands had run: each event hash-chained and a leaf of the global log,
    /// the projection, its timers and the case scope (enterprise, region). For
    /// benchmarks and demos on an empty or existing store; no outbox rows (they
    /// were never to be exchanged).
    #[doc(hidden)]
    pub async fn import_cases(
        &self,
        defs: &Definitions,
        cases: &[SimCase],
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        for chunk in cases.chunks(IMPORT_BATCH) {
            let _turn = self.local_writer().await;
            let mut tx = db::begin_write(self.pool(), self.backend()).await?;
            let size: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            let mut rows = Vec::new();
            for sc in chunk {
                rows.extend(self.import_rows(defs, sc)?);
            }
            for (i, r) in rows.iter_mut().enumerate() {
                r.log_index = (size + i as i64) as u64;
            }
            for part in rows.chunks(500) {
                insert_events(&mut tx, self.backend(), part).await?;
            }
            for sc in chunk {
                insert_case(&mut tx, sc).await?;
            }
            sqlx::query("UPDATE log_head SET size = $1 WHERE id = 1")
                .bind(size + rows.len() as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            written += rows.len() as u64;
        }
        Ok(written)
    }

    fn import_rows(
        &self,
        defs: &Definitions,
        sc: &SimCase,
    ) -> Result<Vec<chain::NewRow>, StoreError> {
        let id =
            CaseId::new(sc.case.id.clone()).map_err(|e| StoreError::BadInput(e.to_string()))?;
        let mut case = None;
        let mut prev = zhishen_audit::GENESIS;
        let mut out = Vec::with_capacity(sc.log.len());
        for (n, (ev, actor)) in sc.log.iter().enumerate() {
            let c = zhishen_workflow::apply(case.take(), ev, defs);
            let req = RequestId::new(format!("import:{id}:{n}"))
                .map_err(|e| StoreError::BadInput(e.to_string()))?;
            let row = chain::build(
                self.alg,
                &prev,
                &id,
                &c,
                ev,
                actor,
                micros(ev.at()),
                &req,
                0,
            )?;
            prev = row.hash;
            out.push(row);
            case = Some(c);
        }
        Ok(out)
    }
}

async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: &[chain::NewRow],
) -> Result<(), StoreError> {
    let mut script = Script::new(backend);
    chain::case_event_values(&mut script, rows).end();
    script
        .sql("INSERT INTO log_leaf (idx, leaf_hash)")
        .values(rows, |t, r| {
            t.bind(r.log_index as i64).bind(r.leaf_hash.to_vec());
        })
        .end();
    script.run(tx).await?;
    Ok(())
}

async fn insert_case(tx: &mut Transaction<'static, Any>, sc: &SimCase) -> Result<(), StoreError> {
    let c = &sc.case;
    sqlx::query(
        "INSERT INTO \"case\" (id, seq, version, process_id, process_version, catalogue_version, calendar_version, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.id.clone())
    .bind(c.seq as i64)
    .bind(1i64)
    .bind(c.process_id.clone())
    .bind(c.process_version.clone())
    .bind(c.catalogue_version.clone())
    .bind(c.calendar_version.clone())
    .bind(serde_json::to_string(c)?)
    .bind(rfc3339(&c.created_at))
    .bind(rfc3339(&c.updated_at))
    .execute(&mut **tx)
    .await?;
    for t in zhishen_workflow::timers(c) {
        sqlx::query("INSERT INTO timer (case_id, timer_id, item, kind, due, due_ms, body) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(c.id.clone())
            .bind(t.id.clone())
            .bind(t.item.clone())
            .bind(t.kind.as_str())
            .bind(rfc3339(&t.due))
            .bind(t.due.timestamp_millis())
            .bind(serde_json::to_string(&t)?)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO case_scope (case_id, enterprise, region, title) VALUES ($1, $2, $3, $4)",
    )
    .bind(c.id.clone())
    .bind(sc.enterprise.clone())
    .bind(sc.region.clone())
    .bind(c.project_name.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
