//! BIM review jobs (模型审查任务): a queue the review worker claims from.

use crate::{db, rfc3339, stored, Backend, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use zhishen_workflow::{CaseId, ItemCode, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl ReviewStatus {
    fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Queued => "queued",
            ReviewStatus::Running => "running",
            ReviewStatus::Done => "done",
            ReviewStatus::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => ReviewStatus::Queued,
            "running" => ReviewStatus::Running,
            "done" => ReviewStatus::Done,
            "failed" => ReviewStatus::Failed,
            _ => return Err(StoreError::Corrupt(format!("review_job status {s:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewJob {
    pub id: i64,
    pub case_id: CaseId,
    pub item: ItemCode,
    pub model_sha256: Sha256,
    pub parcel: Option<String>,
    pub status: ReviewStatus,
    pub report_sha256: Option<Sha256>,
    pub error: Option<String>,
    pub attempts: i64,
    /// SHA-256 of the packed site package blob the review reads (migration 0004).
    pub site_sha256: Option<Sha256>,
    /// Explicit placement `E,N,rot[,elev]` in the site CRS.
    pub placement: Option<String>,
    /// Declared building use, e.g. `商业`.
    pub declared_use: Option<String>,
    /// The stage a running job is in (migration 0007).
    pub stage: Option<String>,
    /// SHA-256 of the job's twin scene blob (`zhishen.twin/1` GLB; migration 0008).
    pub twin_sha256: Option<Sha256>,
    /// The declared figures 申报指标 as JSON (migration 0009); the store keeps the text.
    pub declared: Option<String>,
}

/// Inputs of a review besides the model blob and the parcel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewInputs {
    /// SHA-256 of the packed site package, stored as a blob.
    pub site_sha256: Option<Sha256>,
    pub placement: Option<String>,
    pub declared_use: Option<String>,
    /// The declared figures 申报指标 as JSON text.
    pub declared: Option<String>,
}

/// Claims of one job (the first plus re-claims after lost workers) before
/// it is marked failed.
pub const MAX_REVIEW_ATTEMPTS: i64 = 3;

/// How long a claimed job may run before another worker may claim it.
pub const DEFAULT_REVIEW_LEASE_MINUTES: i64 = 10;

const COLS: &str = "id, case_id, item, model_sha256, parcel, status, report_sha256, error, attempts, site_sha256, placement, declared_use, stage, twin_sha256, declared";

fn job_of(r: &AnyRow) -> Result<ReviewJob, StoreError> {
    let id: i64 = r.try_get(0)?;
    let what = || format!("review_job row {id}");
    let text = |i: usize| -> Result<String, StoreError> { Ok(r.try_get(i)?) };
    let digest = |i: usize| -> Result<Option<Sha256>, StoreError> {
        let v: Option<String> = r.try_get(i)?;
        v.map(|s| stored(Sha256::parse(&s), what)).transpose()
    };
    let status: String = r.try_get(5)?;
    Ok(ReviewJob {
        id,
        case_id: stored(CaseId::new(text(1)?), what)?,
        item: stored(ItemCode::new(text(2)?), what)?,
        model_sha256: stored(Sha256::parse(&text(3)?), what)?,
        parcel: r.try_get(4)?,
        status: ReviewStatus::parse(&status)?,
        report_sha256: digest(6)?,
        error: r.try_get(7)?,
        attempts: r.try_get(8)?,
        site_sha256: digest(9)?,
        placement: r.try_get(10)?,
        declared_use: r.try_get(11)?,
        stage: r.try_get(12)?,
        twin_sha256: digest(13)?,
        declared: r.try_get(14)?,
    })
}

impl Store {
    /// Records the stage a running job has reached (progress only; no state change).
    pub async fn set_review_stage(&self, id: i64, stage: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE review_job SET stage = $2 WHERE id = $1 AND status = 'running'")
            .bind(id)
            .bind(stage)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records the twin scene blob of a job (any status: the twin is stored beside the
    /// report, and a job done before twins existed gets one on first request).
    pub async fn set_review_twin(&self, id: i64, twin: &Sha256) -> Result<(), StoreError> {
        sqlx::query("UPDATE review_job SET twin_sha256 = $2 WHERE id = $1")
            .bind(id)
            .bind(twin.as_str())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Queues a review of a stored model blob for an item of a case.
    pub async fn enqueue_review(
        &self,
        case_id: &CaseId,
        item: &ItemCode,
        model_sha256: &Sha256,
        parcel: Option<&str>,
    ) -> Result<i64, StoreError> {
        self.enqueue_review_with(
            case_id,
            item,
            model_sha256,
            parcel,
            &ReviewInputs::default(),
        )
        .await
    }

    /// Queues a review with its site directory, placement and declared use.
    pub async fn enqueue_review_with(
        &self,
        case_id: &CaseId,
        item: &ItemCode,
        model_sha256: &Sha256,
        parcel: Option<&str>,
        inputs: &ReviewInputs,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO review_job (case_id, item, model_sha256, parcel, status, created_at, site_sha256, placement, declared_use, declared) VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(case_id.as_str())
        .bind(item.as_str())
        .bind(model_sha256.as_str())
        .bind(parcel.map(str::to_string))
        .bind(rfc3339(&self.now()))
        .bind(inputs.site_sha256.as_ref().map(|s| s.as_str().to_string()))
        .bind(inputs.placement.clone())
        .bind(inputs.declared_use.clone())
        .bind(inputs.declared.clone())
        .fetch_one(self.pool())
        .await?;
        Ok(id)
    }

    /// Every review job of a case, oldest first.
    pub async fn review_jobs(&self, case_id: &CaseId) -> Result<Vec<ReviewJob>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM review_job WHERE case_id = $1 ORDER BY id"
        )))
        .bind(case_id.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(job_of).collect()
    }

    /// Claims the oldest job that is queued, or running with an expired
    /// lease (its worker died: the job is run again; the review's request id
    /// is per job, so a review recorded before the crash is replayed, not
    /// recorded twice). A job whose lease expired [`MAX_REVIEW_ATTEMPTS`]
    /// times is marked failed instead. PostgreSQL: `SKIP LOCKED`, so several
    /// workers never get the same job.
    pub async fn claim_review_job(&self) -> Result<Option<ReviewJob>, StoreError> {
        let now = self.now();
        let now_ms = now.timestamp_millis();
        let stale_ms = now_ms - self.review_lease.num_milliseconds();
        let mut tx = db::begin_write(self.pool(), self.backend()).await?;
        sqlx::query(
            "UPDATE review_job SET status = 'failed', error = $1, finished_at = $2 \
             WHERE status = 'running' AND (claimed_ms IS NULL OR claimed_ms <= $3) AND attempts >= $4",
        )
        .bind(format!(
            "审查进程 {MAX_REVIEW_ATTEMPTS} 次未完成 the review worker stopped {MAX_REVIEW_ATTEMPTS} times without finishing this job"
        ))
        .bind(rfc3339(&now))
        .bind(stale_ms)
        .bind(MAX_REVIEW_ATTEMPTS)
        .execute(&mut *tx)
        .await?;
        let select = match self.backend() {
            Backend::Sqlite => {
                "SELECT id FROM review_job WHERE status = 'queued' OR (status = 'running' AND (claimed_ms IS NULL OR claimed_ms <= $1)) ORDER BY id LIMIT 1"
            }
            Backend::Postgres => {
                "SELECT id FROM review_job WHERE status = 'queued' OR (status = 'running' AND (claimed_ms IS NULL OR claimed_ms <= $1)) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
        };
        let Some(id) = sqlx::query_scalar::<_, i64>(select)
            .bind(stale_ms)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE review_job SET status = 'running', attempts = attempts + 1, claimed_at = $2, claimed_ms = $3 WHERE id = $1 RETURNING {COLS}"
        )))
        .bind(id)
        .bind(rfc3339(&now))
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let job = job_of(&row)?;
        tx.commit().await?;
        if job.attempts > 1 {
            tracing::warn!(
                job = job.id,
                attempts = job.attempts,
                "review job re-claimed after its lease expired"
            );
        }
        Ok(Some(job))
    }

    /// Finishes the claim `job` (as returned by [`Store::claim_review_job`])
    /// with a report blob (done) or an error (failed). A claim that was
    /// superseded (its lease expired and another worker claimed the job) is
    /// refused: only the newest claim finishes a job.
    pub async fn complete_review_job(
        &self,
        job: &ReviewJob,
        result: Result<&Sha256, &str>,
    ) -> Result<ReviewJob, StoreError> {
        let (status, report, error) = match result {
            Ok(sha) => (ReviewStatus::Done, Some(sha.as_str().to_string()), None),
            Err(msg) => (ReviewStatus::Failed, None, Some(msg.to_string())),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE review_job SET status = $2, report_sha256 = $3, error = $4, finished_at = $5 WHERE id = $1 AND status = 'running' AND attempts = $6 RETURNING {COLS}"
        )))
        .bind(job.id)
        .bind(status.as_str())
        .bind(report)
        .bind(error)
        .bind(rfc3339(&self.now()))
        .bind(job.attempts)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(r) => job_of(&r),
            None => Err(StoreError::NotFound(format!(
                "running review job {} under claim {} (finished, or claimed again after its lease expired)",
                job.id, job.attempts
            ))),
        }
    }

    /// Renews the lease of the claim `job` (its worker is alive and still
    /// reviewing), so a review that runs longer than the lease is not
    /// claimed again by another worker. False when the claim was superseded
    /// or the job is no longer running.
    pub async fn renew_review_claim(&self, job: &ReviewJob) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE review_job SET claimed_ms = $3 WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(job.id)
        .bind(job.attempts)
        .bind(self.now().timestamp_millis())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How long a claim lasts unless renewed ([`Store::with_review_lease`]).
    pub fn review_lease(&self) -> chrono::Duration {
        self.review_lease
    }

    pub async fn review_job(&self, id: i64) -> Result<Option<ReviewJob>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM review_job WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job_of).transpose()
    }
}
