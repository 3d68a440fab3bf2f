//! The audit side of the store: exporting the log for `verify_log`, signed
//! checkpoints.

use crate::{chain, rfc3339, Backend, Store, StoreError};
use chrono::DateTime;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use zhishen_audit::merkle::Frontier;
use zhishen_audit::{
    Checkpoint, EventRow, HashAlg, LeafRow, Problem, ProblemKind, SignedCheckpoint, Signer,
    TrustedKeys, VerifyReport,
};

/// Everything `verify_log` needs, read in one consistent snapshot.
#[derive(Debug, Default)]
pub struct Export {
    pub events: Vec<EventRow>,
    /// `case_event.id` of `events[i]`.
    pub row_ids: Vec<i64>,
    pub leaves: Vec<LeafRow>,
    pub checkpoints: Vec<SignedCheckpoint>,
    /// Checkpoint rows whose note does not parse: (row id, error).
    pub bad_checkpoints: Vec<(i64, String)>,
    /// Each case's projection seq (to name deleted events).
    pub case_seqs: BTreeMap<String, u64>,
}

/// The verdict of `audit verify`: the audit report plus the database row it names.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    #[serde(flatten)]
    pub report: VerifyReport,
    /// `case_event.id` of the offending row, when the problem is at a row.
    pub db_row_id: Option<i64>,
    /// (case, seq) that the projections say exist but have no event row.
    pub missing: Vec<(String, u64)>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.report.ok
    }

    /// One line naming the first problem (zh + en), or the summary.
    pub fn describe(&self) -> String {
        let r = &self.report;
        match &r.first_problem {
            None => format!(
                "完好 intact: {} events in {} cases, {} leaves, {} checkpoints verified",
                r.events, r.cases, r.leaves, r.checkpoints
            ),
            Some(p) => {
                let mut s = format!("篡改 TAMPERED: {p}");
                if let Some(id) = self.db_row_id {
                    s.push_str(&format!(" (case_event.id {id})"));
                }
                if p.case_id.is_none() && !self.missing.is_empty() {
                    let m: Vec<String> = self
                        .missing
                        .iter()
                        .take(5)
                        .map(|(c, q)| format!("case {c} seq {q}"))
                        .collect();
                    s.push_str(&format!("; missing event rows: {}", m.join(", ")));
                }
                s
            }
        }
    }
}

fn hash32(v: Vec<u8>) -> [u8; 32] {
    // A wrong length can only come from tampering; zeros never match a hash.
    v.try_into().unwrap_or([0; 32])
}

/// A read snapshot: `REPEATABLE READ` on PostgreSQL; on SQLite (WAL) a
/// deferred transaction reads one snapshot from its first statement.
async fn snapshot(store: &Store) -> Result<Transaction<'static, Any>, StoreError> {
    Ok(match store.backend() {
        Backend::Sqlite => store.pool().begin().await?,
        Backend::Postgres => {
            store
                .pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?
        }
    })
}

impl Store {
    /// Reads every event, leaf and checkpoint. Columns are turned back into
    /// the hashed content here, so a row whose columns were changed (or no
    /// longer parse) fails the hash check in `verify_log` instead of
    /// aborting the export.
    pub async fn export_log(&self) -> Result<Export, StoreError> {
        let mut tx = snapshot(self).await?;
        let mut out = Export::default();
        let rows = sqlx::query(
            "SELECT id, case_id, seq, kind, actor_id, actor_role, actor_dept, on_behalf_of, occurred_at, \
             process_version, catalogue_version, calendar_version, payload, alg, prev_hash, hash, log_index \
             FROM case_event ORDER BY log_index, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        out.events.reserve(rows.len());
        out.row_ids.reserve(rows.len());
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let case_id: String = r.try_get(1)?;
            let seq: i64 = r.try_get(2)?;
            let kind: String = r.try_get(3)?;
            let actor_id: String = r.try_get(4)?;
            let actor_role: String = r.try_get(5)?;
            let dept: Option<String> = r.try_get(6)?;
            let obo: Option<String> = r.try_get(7)?;
            let at: String = r.try_get(8)?;
            let pv: String = r.try_get(9)?;
            let cv: String = r.try_get(10)?;
            let calv: String = r.try_get(11)?;
            let payload: String = r.try_get(12)?;
            let alg: String = r.try_get(13)?;
            let log_index: i64 = r.try_get(16)?;
            let parsed = (
                DateTime::parse_from_rfc3339(&at),
                serde_json::from_str::<serde_json::Value>(&payload),
            );
            let canonical = match parsed {
                (Ok(at), Ok(payload)) => zhishen_audit::event_canonical(&chain::content(
                    &case_id,
                    seq.max(0) as u64,
                    &kind,
                    &actor_id,
                    &actor_role,
                    dept.as_deref(),
                    obo.as_deref(),
                    at,
                    [&pv, &cv, &calv],
                    payload,
                )),
                // Unparseable columns: content that cannot match the stored hash.
                _ => format!("unparseable row {id}").into_bytes(),
            };
            out.events.push(EventRow {
                case_id,
                seq: seq.max(0) as u64,
                kind,
                alg: HashAlg::parse(&alg).unwrap_or(HashAlg::Sha256),
                canonical,
                prev_hash: hash32(r.try_get(14)?),
                hash: hash32(r.try_get(15)?),
                log_index: log_index.max(0) as u64,
            });
            out.row_ids.push(id);
        }
        let leaves = sqlx::query("SELECT idx, leaf_hash FROM log_leaf ORDER BY idx")
            .fetch_all(&mut *tx)
            .await?;
        out.leaves = leaves
            .iter()
            .map(|r| {
                Ok(LeafRow {
                    index: r.try_get::<i64, _>(0)?.max(0) as u64,
                    leaf_hash: hash32(r.try_get(1)?),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let cps = sqlx::query("SELECT id, note FROM checkpoint ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        for r in &cps {
            let id: i64 = r.try_get(0)?;
            let note: String = r.try_get(1)?;
            match SignedCheckpoint::from_note(&note) {
                Ok(c) => out.checkpoints.push(c),
                Err(e) => out.bad_checkpoints.push((id, e.to_string())),
            }
        }
        let seqs = sqlx::query("SELECT id, seq FROM \"case\"")
            .fetch_all(&mut *tx)
            .await?;
        for r in &seqs {
            out.case_seqs
                .insert(r.try_get(0)?, r.try_get::<i64, _>(1)?.max(0) as u64);
        }
        tx.rollback().await?;
        Ok(out)
    }

    /// Exports and verifies the whole log (`zhishen audit verify`).
    pub async fn verify(&self, keys: &TrustedKeys) -> Result<Verdict, StoreError> {
        let ex = self.export_log().await?;
        Ok(verdict_of(&ex, keys))
    }

    /// Signs a checkpoint (origin, size, root, now) of the global log and stores it.
    pub async fn checkpoint(&self, signer: &dyn Signer) -> Result<SignedCheckpoint, StoreError> {
        let now = crate::micros(self.now());
        let mut tx = snapshot(self).await?;
        let leaves = sqlx::query("SELECT idx, leaf_hash FROM log_leaf ORDER BY idx")
            .fetch_all(&mut *tx)
            .await?;
        tx.rollback().await?;
        let mut f = Frontier::new();
        for (i, r) in leaves.iter().enumerate() {
            let idx: i64 = r.try_get(0)?;
            if idx != i as i64 {
                return Err(StoreError::Corrupt(format!(
                    "log_leaf index {idx} where {i} was expected; run `zhishen audit verify`"
                )));
            }
            f.push(hash32(r.try_get(1)?));
        }
        let cp = Checkpoint {
            origin: self.origin().to_string(),
            size: f.size(),
            root: f.root(),
            time: now,
        };
        let signed = SignedCheckpoint::sign(cp, &[signer]);
        sqlx::query(
            "INSERT INTO checkpoint (origin, size, root, time, key_id, sig_alg, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(signed.checkpoint.origin.as_str())
        .bind(signed.checkpoint.size as i64)
        .bind(signed.checkpoint.root.to_vec())
        .bind(rfc3339(&now))
        .bind(signer.key_id())
        .bind(signer.alg().as_str())
        .bind(signed.to_note())
        .execute(self.pool())
        .await?;
        Ok(signed)
    }
}

/// Runs `verify_log` over an export and maps the problem to a database row.
pub fn verdict_of(ex: &Export, keys: &TrustedKeys) -> Verdict {
    let mut report = zhishen_audit::verify_log(&ex.events, &ex.leaves, &ex.checkpoints, keys);
    if report.ok {
        if let Some((id, e)) = ex.bad_checkpoints.first() {
            report.ok = false;
            report.first_problem = Some(Problem {
                kind: ProblemKind::BadSignature,
                case_id: None,
                seq: None,
                log_index: None,
                row: None,
                checkpoint_size: None,
                detail: format!("checkpoint row {id}: note does not parse: {e}"),
            });
        }
    }
    let db_row_id = report
        .first_problem
        .as_ref()
        .and_then(|p| p.row)
        .and_then(|i| ex.row_ids.get(i).copied());
    // (case, seq) pairs the projections promise but no row holds.
    let mut missing = Vec::new();
    if !report.ok {
        let mut have: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for e in &ex.events {
            have.entry(e.case_id.as_str()).or_default().push(e.seq);
        }
        for (case, &n) in &ex.case_seqs {
            let mut got = have.remove(case.as_str()).unwrap_or_default();
            got.sort_unstable();
            let mut it = got.iter().peekable();
            for s in 1..=n {
                while it.next_if(|&&g| g < s).is_some() {}
                if it.peek().copied() != Some(&s) {
                    missing.push((case.clone(), s));
                }
            }
        }
    }
    Verdict {
        report,
        db_row_id,
        missing,
    }
}
