//! zhishen-store 存储: the durable event store of the approval workflow.
//!
//! One code path over SQLite (default, embedded) and PostgreSQL (see
//! [`db`] for why sqlx's `Any` driver). Every command runs in ONE
//! transaction: lock the case, load its projection, call
//! [`zhishen_workflow::decide`] with `now` from an injectable [`Clock`],
//! append the events hash-chained per case and as leaves of the global
//! RFC 6962 log ([`zhishen_audit`]), update the projection
//! ([`zhishen_workflow::apply`]), replace the case's timers, write outbox
//! rows, commit. A repeated `request_id` returns the original result; a
//! refusal writes nothing. The writes go as one script (one round trip
//! on SQLite), and concurrent commands share one transaction and commit
//! (group commit); each is acknowledged only after its commit.

pub mod access;
mod bench;
pub mod blob;
mod chain;
pub mod clock;
mod credit;
pub mod db;
mod error;
mod group;
mod log;
mod outbox;
mod projection;
mod review;
mod run;
mod script;
mod side;

pub use access::{
    AccessEntry, AccessRecord, AccessVerdict, CaseScope, IssuedLicence, PrecheckRow, SessionRow,
    UserRow,
};
pub use blob::LocalBlobs;
#[cfg(feature = "s3")]
pub use blob::S3Blobs;
pub use chain::EventRecord;
pub use clock::{cst, Clock, FixedClock, SystemClock};
pub use credit::{credit_stream, CreditExecuted, CreditRecord};
pub use db::{Backend, DEFAULT_URL};
pub use error::StoreError;
pub use log::{verdict_of as log_verdict, Export, Verdict};
pub use outbox::{OutboxOutcome, OutboxRow, OutboxState};
pub use projection::ProjectionMismatch;
pub use review::{
    ReviewInputs, ReviewJob, ReviewStatus, DEFAULT_REVIEW_LEASE_MINUTES, MAX_REVIEW_ATTEMPTS,
};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyPool;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zhishen_audit::HashAlg;
use zhishen_workflow::{
    Actor, Calendar, Case, CaseId, Catalogue, Command, Definitions, EventKind, ItemCode,
    ProcessDef, RequestId, Sha256, TimerKind,
};

/// How often a transaction that hit a lock timeout, deadlock or racing
/// duplicate is retried from the start.
const MAX_RETRIES: usize = 8;

/// The result of an accepted command.
#[derive(Debug, Clone, Serialize)]
pub struct Executed {
    pub case_id: CaseId,
    pub request_id: RequestId,
    /// True when `request_id` had been executed before: `events` are the
    /// original ones and nothing new was written.
    pub replayed: bool,
    pub events: Vec<EventRecord>,
    /// The case projection now (after the events; for a replay, the current one).
    pub case: Case,
}

/// One event as a list shows it ([`Store::event_summaries`]).
#[derive(Debug, Clone, Serialize)]
pub struct EventSummary {
    pub seq: u64,
    pub kind: EventKind,
    pub actor_id: String,
    pub actor_role: String,
    pub occurred_at: String,
}

/// A timer that is due (from the `timer` table).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DueTimer {
    pub case_id: CaseId,
    pub timer_id: String,
    pub item: Option<ItemCode>,
    pub kind: TimerKind,
    pub due: DateTime<FixedOffset>,
}

/// One row of `zhishen case list`.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub id: CaseId,
    pub seq: u64,
    pub process_id: String,
    pub process_version: String,
    pub updated_at: String,
}

/// The versions a published definition set is known by.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DefsRef {
    pub catalogue_id: String,
    pub catalogue_version: String,
    pub process_id: String,
    pub process_version: String,
    pub calendar_region: String,
    pub calendar_version: String,
}

/// Counts and timing of `zhishen audit verify`.
#[derive(Debug, Clone, Serialize)]
pub struct LogCounts {
    pub events: usize,
    pub leaves: usize,
    pub checkpoints: usize,
}

/// Parsed definition sets by (process id, process version, calendar version).
type DefsCache = HashMap<(String, String, String), Arc<Definitions>>;

/// The durable store. Cloning is cheap and shares the pool, the caches and
/// the group-commit queue.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    alg: HashAlg,
    origin: String,
    blobs: LocalBlobs,
    /// When set, blob bytes go to this S3-compatible store instead of `blobs`.
    #[cfg(feature = "s3")]
    s3: Option<Arc<S3Blobs>>,
    defs_cache: Arc<Mutex<DefsCache>>,
    /// `Some` (the default): `execute` goes through group commit.
    group: Option<Arc<group::Group>>,
    /// How long a claimed review job may run before it is claimed again.
    review_lease: chrono::Duration,
    /// Access-audit entries and case scopes share transactions (`side.rs`).
    side: Arc<side::Side>,
    /// SQLite: this process's command groups and side writes take turns here
    /// instead of at SQLite's write lock, whose busy handler sleeps (1, 2, 5 …
    /// ms) while the lock may already be free.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

fn ms(t: &DateTime<FixedOffset>) -> i64 {
    t.timestamp_millis()
}

/// Stored time text: microseconds, the precision the event hash covers and
/// PostgreSQL keeps.
fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// Drops sub-microsecond digits so the event payload's `at` and the hashed
/// `occurred_at` are the same instant.
fn micros(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    use chrono::Timelike;
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

fn u64_of(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is negative ({v})")))
}

/// A stored id or kind that does not parse (rows hold text): the row is corrupt, and
/// the error names it (`row` is called only on failure).
fn stored<T, E: std::fmt::Display>(
    parsed: Result<T, E>,
    row: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    parsed.map_err(|e| StoreError::Corrupt(format!("{}: {e}", row())))
}

/// The actor that fires timers (系统).
pub fn system_actor() -> Actor {
    Actor::system()
}

impl Store {
    /// Opens (creating and migrating when needed) `sqlite://PATH` or
    /// `postgres://…`. Blobs go to `blobs/` beside the SQLite file, or to
    /// `./data/blobs` for PostgreSQL; `ZHISHEN_BLOB_DIR` overrides both.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let u = db::parse_url(url)?;
        // SQLite has one writer anyway; a few connections let readers run.
        let max = match u.backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        let pool = db::connect(&u, max).await?;
        let blob_root = match std::env::var_os("ZHISHEN_BLOB_DIR") {
            Some(d) => PathBuf::from(d),
            None => match &u.sqlite_path {
                Some(p) => p
                    .parent()
                    .map(|d| d.join("blobs"))
                    .unwrap_or_else(|| PathBuf::from("blobs")),
                None => PathBuf::from("data/blobs"),
            },
        };
        #[cfg(not(feature = "s3"))]
        refuse_s3_env()?;
        Ok(Store {
            pool,
            backend: u.backend,
            clock: Arc::new(SystemClock),
            alg: HashAlg::Sha256,
            origin: "zhishen.local/case-log".into(),
            blobs: LocalBlobs::new(blob_root),
            #[cfg(feature = "s3")]
            s3: s3_from_env()?,
            defs_cache: Arc::new(Mutex::new(HashMap::new())),
            group: Some(Arc::new(group::Group::default())),
            review_lease: chrono::Duration::minutes(DEFAULT_REVIEW_LEASE_MINUTES),
            side: Arc::default(),
            writer: Arc::default(),
        })
    }

    /// Keeps blob bytes in an S3-compatible bucket (feature `s3`); the
    /// metadata rows stay in the database.
    #[cfg(feature = "s3")]
    pub fn with_s3_blobs(mut self, s3: S3Blobs) -> Self {
        self.s3 = Some(Arc::new(s3));
        self
    }

    /// Group commit on (the default) or off. On, concurrent `execute` calls
    /// share one transaction and one fsync; off, each runs its own
    /// transaction (PostgreSQL then overlaps them, but they serialize on the
    /// global log lock; measured slower on both back ends).
    pub fn with_group_commit(mut self, on: bool) -> Self {
        self.group = on.then(|| Arc::new(group::Group::default()));
        self
    }

    /// How long a claimed review job may run before another worker may
    /// claim it (default [`DEFAULT_REVIEW_LEASE_MINUTES`]).
    pub fn with_review_lease(mut self, lease: chrono::Duration) -> Self {
        self.review_lease = lease;
        self
    }

    /// On SQLite, this process's turn to write (held until the write
    /// transaction ends); PostgreSQL writers overlap and need none.
    pub(crate) async fn local_writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Group-commit counters: (transactions, commands) since open, or
    /// `None` when group commit is off.
    pub fn group_commit_stats(&self) -> Option<(u64, u64)> {
        self.group.as_ref().map(|g| g.stats())
    }

    /// Replaces the clock (tests, `--now`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Hash algorithm for new events (stored per row; SM3 for 密评).
    pub fn with_hash_alg(mut self, alg: HashAlg) -> Self {
        self.alg = alg;
        self
    }

    /// Checkpoint origin line (the log's name).
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    pub fn with_blob_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.blobs = LocalBlobs::new(dir);
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The log's name on checkpoints.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The raw pool, for tests and maintenance tools.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn blobs(&self) -> &LocalBlobs {
        &self.blobs
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ------------------------------------------------------------ definitions

    /// Publishes a definition set (事项清单 catalogue, process, calendar year
    /// files). Idempotent for identical texts; a version already published
    /// with different content is refused (definitions are immutable).
    pub async fn publish_definitions(
        &self,
        catalogue_text: &str,
        process_text: &str,
        calendar_texts: &[&str],
    ) -> Result<DefsRef, StoreError> {
        let catalogue = Catalogue::from_toml(catalogue_text)?;
        let process = ProcessDef::from_toml(process_text)?;
        let calendar = Calendar::from_tomls(calendar_texts)?;
        let r = DefsRef {
            catalogue_id: catalogue.id.clone(),
            catalogue_version: catalogue.version.clone(),
            process_id: process.id.clone(),
            process_version: process.version.clone(),
            calendar_region: calendar.region().to_string(),
            calendar_version: calendar.version().to_string(),
        };
        // Checks the three fit before anything is stored.
        Definitions::new(catalogue, process, calendar)?;
        let cal_body = serde_json::to_string(calendar_texts)?;
        let now = rfc3339(&self.now());
        let mut tx = db::begin_write(&self.pool, self.backend).await?;
        for (kind, id, version, body) in [
            (
                "catalogue",
                &r.catalogue_id,
                &r.catalogue_version,
                catalogue_text,
            ),
            ("process", &r.process_id, &r.process_version, process_text),
            (
                "calendar",
                &r.calendar_region,
                &r.calendar_version,
                cal_body.as_str(),
            ),
        ] {
            let sha = blob::sha256_hex(body.as_bytes());
            let old: Option<String> = sqlx::query_scalar(
                "SELECT sha256 FROM definition WHERE kind = $1 AND def_id = $2 AND version = $3",
            )
            .bind(kind)
            .bind(id.as_str())
            .bind(version.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match old {
                Some(s) if s == sha => {}
                Some(_) => {
                    return Err(StoreError::BadInput(format!(
                        "{kind} {id} version {version} is already published with different content; publish a new version"
                    )))
                }
                None => {
                    sqlx::query(
                        "INSERT INTO definition (kind, def_id, version, body, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(kind)
                    .bind(id.as_str())
                    .bind(version.as_str())
                    .bind(body)
                    .bind(sha)
                    .bind(now.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(r)
    }

    async fn def_body(
        tx: &mut Transaction<'static, Any>,
        kind: &str,
        id: Option<&str>,
        version: &str,
    ) -> Result<String, StoreError> {
        let body: Option<String> = match id {
            Some(id) => sqlx::query_scalar(
                "SELECT body FROM definition WHERE kind = $1 AND def_id = $2 AND version = $3",
            )
            .bind(kind)
            .bind(id)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await?,
            None => sqlx::query_scalar(
                "SELECT body FROM definition WHERE kind = $1 AND version = $2 ORDER BY id DESC LIMIT 1",
            )
            .bind(kind)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await?,
        };
        body.ok_or_else(|| {
            StoreError::NotFound(format!(
                "{kind} {} version {version} is not published",
                id.unwrap_or("*")
            ))
        })
    }

    /// The definitions a case is pinned to (cached: they are immutable).
    async fn definitions(
        &self,
        tx: &mut Transaction<'static, Any>,
        process_id: &str,
        process_version: &str,
        calendar_version: &str,
    ) -> Result<Arc<Definitions>, StoreError> {
        let key = (
            process_id.to_string(),
            process_version.to_string(),
            calendar_version.to_string(),
        );
        if let Some(d) = self.lock_cache().get(&key) {
            return Ok(d.clone());
        }
        let process = ProcessDef::from_toml(
            &Self::def_body(tx, "process", Some(process_id), process_version).await?,
        )?;
        let catalogue = Catalogue::from_toml(
            &Self::def_body(
                tx,
                "catalogue",
                Some(&process.catalogue_id),
                &process.catalogue_version,
            )
            .await?,
        )?;
        let cal_body = Self::def_body(tx, "calendar", None, calendar_version).await?;
        let texts: Vec<String> = serde_json::from_str(&cal_body)?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let calendar = Calendar::from_tomls(&refs)?;
        let d = Arc::new(Definitions::new(catalogue, process, calendar)?);
        self.lock_cache().insert(key, d.clone());
        Ok(d)
    }

    fn cached_definitions(
        &self,
        process_id: &str,
        process_version: &str,
        calendar_version: &str,
    ) -> Option<Arc<Definitions>> {
        let key = (
            process_id.to_string(),
            process_version.to_string(),
            calendar_version.to_string(),
        );
        self.lock_cache().get(&key).cloned()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, DefsCache> {
        self.defs_cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest published set: what a new case (立案) is pinned to.
    async fn current_definitions(
        &self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<Arc<Definitions>, StoreError> {
        let p = sqlx::query(
            "SELECT def_id, version FROM definition WHERE kind = 'process' ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(no_process)?;
        let c: Option<String> = sqlx::query_scalar(
            "SELECT version FROM definition WHERE kind = 'calendar' ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&mut **tx)
        .await?;
        let c = c.ok_or_else(no_calendar)?;
        let pid: String = p.try_get(0)?;
        let pv: String = p.try_get(1)?;
        self.definitions(tx, &pid, &pv, &c).await
    }

    /// The definitions a stored case is pinned to.
    pub async fn case_definitions(&self, case: &Case) -> Result<Arc<Definitions>, StoreError> {
        if let Some(d) = self.cached_definitions(
            &case.process_id,
            &case.process_version,
            &case.calendar_version,
        ) {
            return Ok(d);
        }
        let mut tx = self.pool.begin().await?;
        let d = self
            .definitions(
                &mut tx,
                &case.process_id,
                &case.process_version,
                &case.calendar_version,
            )
            .await?;
        tx.rollback().await?;
        Ok(d)
    }

    /// The newest published definition set.
    pub async fn latest_definitions(&self) -> Result<Arc<Definitions>, StoreError> {
        // The newest versions in one read; published sets never change, so a cached
        // one is current.
        let newest = sqlx::query(
            "SELECT def_id, version, (SELECT version FROM definition WHERE kind = 'calendar' ORDER BY id DESC LIMIT 1) FROM definition WHERE kind = 'process' ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = &newest {
            let (pid, pv, cv): (String, String, Option<String>) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            if let Some(d) = cv.and_then(|cv| self.cached_definitions(&pid, &pv, &cv)) {
                return Ok(d);
            }
        }
        let mut tx = self.pool.begin().await?;
        let d = self.current_definitions(&mut tx).await?;
        tx.rollback().await?;
        Ok(d)
    }

    // ------------------------------------------------------------- commands

    /// Executes one command durably (see the crate docs) and returns after
    /// its commit. Returns [`StoreError::Refused`] with the zh/en reason when
    /// the workflow refuses; then nothing is written. With group commit on,
    /// commands sent concurrently are committed together (one transaction,
    /// one fsync) and each is acknowledged only after that commit.
    pub async fn execute(
        &self,
        case_id: &CaseId,
        cmd: &Command,
        actor: &Actor,
        request_id: &RequestId,
    ) -> Result<Executed, StoreError> {
        check_command(case_id, cmd, request_id)?;
        match &self.group {
            Some(g) => g.submit(self, case_id, cmd, actor, request_id).await,
            None => self.execute_alone(case_id, cmd, actor, request_id).await,
        }
    }

    /// One command in its own transaction, retried on transient conflicts.
    async fn execute_alone(
        &self,
        case_id: &CaseId,
        cmd: &Command,
        actor: &Actor,
        request_id: &RequestId,
    ) -> Result<Executed, StoreError> {
        let one = [run::Cmd {
            case_id,
            cmd,
            actor,
            request_id,
        }];
        retrying(request_id.as_str(), || async {
            let _turn = self.local_writer().await;
            let mut tx = db::begin_write(&self.pool, self.backend).await?;
            let ex = single(self.run_commands(&mut tx, &one, None).await?)?;
            tx.commit().await?;
            Ok(ex)
        })
        .await
    }

    /// Explicit group commit: executes several commands in ONE transaction
    /// (one fsync) and acknowledges them together after the commit. A
    /// refusal or bad input affects only its entry (its slot holds the
    /// error; nothing of it is written, because every command is decided
    /// before the transaction writes); an infrastructure error fails the
    /// whole batch and nothing is written. Commands apply in order, so
    /// several may address the same case.
    pub async fn execute_batch(
        &self,
        cmds: &[(CaseId, Command, Actor, RequestId)],
    ) -> Result<Vec<Result<Executed, StoreError>>, StoreError> {
        retrying("batch", || self.batch_tx(cmds)).await
    }

    /// One transaction over `cmds`; see [`Store::execute_batch`].
    async fn batch_tx(
        &self,
        cmds: &[(CaseId, Command, Actor, RequestId)],
    ) -> Result<Vec<Result<Executed, StoreError>>, StoreError> {
        let refs: Vec<run::Cmd<'_>> = cmds
            .iter()
            .map(|(case_id, cmd, actor, request_id)| run::Cmd {
                case_id,
                cmd,
                actor,
                request_id,
            })
            .collect();
        let _turn = self.local_writer().await;
        let mut tx = db::begin_write(&self.pool, self.backend).await?;
        let out = self.run_commands(&mut tx, &refs, None).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The original result of an already executed request, if any.
    async fn replay(
        &self,
        tx: &mut Transaction<'static, Any>,
        orig: &str,
        case_id: &CaseId,
        request_id: &RequestId,
    ) -> Result<Executed, StoreError> {
        if orig != case_id.as_str() {
            return Err(reused(request_id, orig, case_id));
        }
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE request_id = $1 ORDER BY request_part",
            chain::SELECT_EVENTS
        )))
        .bind(request_id.as_str())
        .fetch_all(&mut **tx)
        .await?;
        let events = rows
            .iter()
            .map(chain::record_of)
            .collect::<Result<Vec<_>, _>>()?;
        let case = Self::load_case(tx, case_id.as_str())
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "request {request_id} names case {case_id}, which is missing"
                ))
            })?;
        Ok(Executed {
            case_id: case_id.clone(),
            request_id: request_id.clone(),
            replayed: true,
            events,
            case,
        })
    }

    async fn load_case(
        tx: &mut Transaction<'static, Any>,
        case_id: &str,
    ) -> Result<Option<Case>, StoreError> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = $1")
            .bind(case_id)
            .fetch_optional(&mut **tx)
            .await?;
        state
            .map(|s| {
                serde_json::from_str(&s).map_err(|e| {
                    StoreError::Corrupt(format!("case {case_id}: projection JSON: {e}"))
                })
            })
            .transpose()
    }

    // ---------------------------------------------------------------- reads

    /// The case projection, or `None`.
    pub async fn case(&self, case_id: &CaseId) -> Result<Option<Case>, StoreError> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = $1")
            .bind(case_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        state
            .map(|s| {
                serde_json::from_str(&s).map_err(|e| {
                    StoreError::Corrupt(format!("case {case_id}: projection JSON: {e}"))
                })
            })
            .transpose()
    }

    /// Every case projection (for metrics).
    pub async fn cases(&self) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query("SELECT id, state FROM \"case\" ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                let s: String = r.try_get(1)?;
                serde_json::from_str(&s)
                    .map_err(|e| StoreError::Corrupt(format!("case {id}: projection JSON: {e}")))
            })
            .collect()
    }

    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, seq, process_id, process_version, updated_at FROM \"case\" ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                Ok(CaseSummary {
                    id: stored(CaseId::new(id.as_str()), || format!("case row {id:?}"))?,
                    seq: u64_of(r.try_get(1)?, "case.seq")?,
                    process_id: r.try_get(2)?,
                    process_version: r.try_get(3)?,
                    updated_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// A case's events in order.
    pub async fn events(&self, case_id: &CaseId) -> Result<Vec<EventRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE case_id = $1 ORDER BY seq",
            chain::SELECT_EVENTS
        )))
        .bind(case_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(chain::record_of).collect()
    }

    /// A case's events in order, without payloads and hashes: what a page lists
    /// (seq, kind, actor id and role, time).
    pub async fn event_summaries(&self, case_id: &CaseId) -> Result<Vec<EventSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, actor_id, actor_role, occurred_at FROM case_event WHERE case_id = $1 ORDER BY seq",
        )
        .bind(case_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(1)?;
                Ok(EventSummary {
                    seq: u64_of(r.try_get(0)?, "case_event.seq")?,
                    kind: stored(EventKind::parse(&kind), || {
                        format!("case_event of case {case_id}")
                    })?,
                    actor_id: r.try_get(2)?,
                    actor_role: r.try_get(3)?,
                    occurred_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Whether a request id was executed (crash tests, clients retrying).
    pub async fn request_known(&self, request_id: &RequestId) -> Result<bool, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM command_request WHERE request_id = $1")
                .bind(request_id.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// The case a request id was executed on, if it was (a client retrying a
    /// command that opened a case learns the case's id).
    pub async fn request_case(&self, request_id: &RequestId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT case_id FROM command_request WHERE request_id = $1")
                .bind(request_id.as_str())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Armed timers of one case, or of all cases when `case_id` is `None`.
    pub async fn timers(&self, case_id: Option<&CaseId>) -> Result<Vec<DueTimer>, StoreError> {
        let rows = match case_id {
            Some(c) => {
                sqlx::query("SELECT case_id, timer_id, item, kind, due FROM timer WHERE case_id = $1 ORDER BY due_ms, timer_id")
                    .bind(c.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT case_id, timer_id, item, kind, due FROM timer ORDER BY due_ms, case_id, timer_id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(due_timer_of).collect()
    }

    /// Timers due at or before `now`.
    pub async fn due_timers(
        &self,
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<DueTimer>, StoreError> {
        let rows = sqlx::query(
            "SELECT case_id, timer_id, item, kind, due FROM timer WHERE due_ms <= $1 ORDER BY due_ms, case_id, timer_id",
        )
        .bind(ms(&now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(due_timer_of).collect()
    }

    /// Fires every timer due at `now`, each as a `FireTimer` command by the
    /// system actor in its own transaction (so it is in the audit log).
    /// PostgreSQL workers claim cases with `FOR UPDATE SKIP LOCKED`, so
    /// several can run at once. A timer the workflow refuses (stale) is
    /// dropped and logged.
    pub async fn fire_due_timers(
        &self,
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<Executed>, StoreError> {
        let claim = match self.backend {
            Backend::Sqlite => "SELECT t.case_id, t.timer_id, t.due_ms FROM timer t JOIN \"case\" c ON c.id = t.case_id WHERE t.due_ms <= $1 ORDER BY t.due_ms, t.case_id, t.timer_id LIMIT 1",
            Backend::Postgres => "SELECT t.case_id, t.timer_id, t.due_ms FROM timer t JOIN \"case\" c ON c.id = t.case_id WHERE t.due_ms <= $1 ORDER BY t.due_ms, t.case_id, t.timer_id LIMIT 1 FOR UPDATE OF c SKIP LOCKED",
        };
        let actor = system_actor();
        let now = micros(now);
        let mut fired = Vec::new();
        let mut conflicts = 0;
        loop {
            let mut tx = db::begin_write(&self.pool, self.backend).await?;
            let Some(row) = sqlx::query(claim)
                .bind(ms(&now))
                .fetch_optional(&mut *tx)
                .await?
            else {
                tx.rollback().await?;
                break;
            };
            let case_id: String = row.try_get(0)?;
            let timer_id: String = row.try_get(1)?;
            let due_ms: i64 = row.try_get(2)?;
            let what = || format!("timer row ({case_id:?}, {timer_id:?})");
            let request_id = stored(
                RequestId::new(format!("timer:{case_id}:{timer_id}:{due_ms}")),
                what,
            )?;
            let case_id = stored(CaseId::new(case_id.as_str()), what)?;
            let cmd = chain::fire_timer_command(&timer_id);
            let one = [run::Cmd {
                case_id: &case_id,
                cmd: &cmd,
                actor: &actor,
                request_id: &request_id,
            }];
            match single(self.run_commands(&mut tx, &one, Some(now)).await?) {
                Ok(ex) => {
                    if ex.replayed {
                        // Fired before yet re-armed with the same id and due
                        // time: drop it rather than loop.
                        drop_timer(&mut tx, case_id.as_str(), &timer_id).await?;
                    }
                    tx.commit().await?;
                    if !ex.replayed {
                        fired.push(ex);
                    }
                }
                Err(StoreError::Refused(r)) => {
                    tracing::warn!(
                        case_id = case_id.as_str(),
                        timer_id,
                        code = r.code,
                        "timer refused, dropped: {}",
                        r.message_en
                    );
                    drop_timer(&mut tx, case_id.as_str(), &timer_id).await?;
                    tx.commit().await?;
                }
                Err(e) if e.is_retryable() && conflicts < MAX_RETRIES => {
                    conflicts += 1;
                    tx.rollback().await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(fired)
    }

    // ----------------------------------------------------------------- blobs

    /// Stores a blob (content-addressed) and records its metadata.
    pub async fn put_blob(&self, bytes: &[u8], media_type: &str) -> Result<Sha256, StoreError> {
        let owned = bytes.to_vec();
        #[cfg(feature = "s3")]
        let sha = match &self.s3 {
            Some(s3) => s3.put(owned).await?,
            None => self.put_local(owned).await?,
        };
        #[cfg(not(feature = "s3"))]
        let sha = self.put_local(owned).await?;
        let sha = stored(Sha256::parse(&sha), || {
            "the blob writer's digest".to_string()
        })?;
        self.blob_row(&sha, bytes.len() as u64, media_type)
            .execute(&self.pool)
            .await?;
        Ok(sha)
    }

    /// The `blob` row of a stored blob (an existing row is kept).
    fn blob_row<'q>(
        &self,
        sha: &'q Sha256,
        size: u64,
        media_type: &'q str,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
        let sql = "INSERT INTO blob (sha256, size, media_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING";
        sqlx::query(sql)
            .bind(sha.as_str())
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
            .bind(media_type)
            .bind(rfc3339(&self.now()))
    }

    /// Stores a verified file as a blob: moves it into the local blob directory (a
    /// rename, so it should sit on the same filesystem, e.g. under `blobs().root()`) or
    /// uploads it to S3, and records its row. `sha` and `size` are the caller's, computed
    /// as the file was written (`get_blob` checks the hash on every read); the size is
    /// checked against the file.
    ///
    /// All or nothing: on success the file at `path` is gone (it is the blob now, or the
    /// blob was already there); on error neither a blob nor a row was added, and the
    /// file at `path`, if still there, is the caller's to remove. Locally the row is
    /// written in a transaction that commits only after the blob is durably in place,
    /// and a blob this call created is removed again if the commit fails.
    pub async fn put_blob_file(
        &self,
        path: &Path,
        size: u64,
        sha: &Sha256,
        media_type: &str,
    ) -> Result<Sha256, StoreError> {
        let on_disk = std::fs::metadata(path)
            .map_err(|e| StoreError::io(path.display().to_string(), e))?
            .len();
        if on_disk != size {
            return Err(StoreError::BadInput(format!(
                "{}: {on_disk} bytes on disk, {size} declared",
                path.display()
            )));
        }
        #[cfg(feature = "s3")]
        if let Some(s3) = &self.s3 {
            return self.put_s3_file(s3, path, size, sha, media_type).await;
        }
        let mut tx = db::begin_write(&self.pool, self.backend).await?;
        self.blob_row(sha, size, media_type)
            .execute(&mut *tx)
            .await?;
        let (blobs, src, digest) = (self.blobs.clone(), path.to_path_buf(), sha.clone());
        // On error the transaction is dropped, which rolls the row back.
        let created = tokio::task::spawn_blocking(move || blobs.put_file(&src, digest.as_str()))
            .await
            .map_err(|e| StoreError::Corrupt(format!("blob writer panicked: {e}")))??;
        if let Err(e) = tx.commit().await {
            if created {
                self.forget_created(sha).await;
            }
            return Err(e.into());
        }
        tracing::debug!(sha = %sha, size, media_type, created, "blob stored from file");
        Ok(sha.clone())
    }

    /// Removes a blob file this call created when its row did not commit — unless a
    /// concurrent store of the same bytes recorded it meanwhile.
    async fn forget_created(&self, sha: &Sha256) {
        let recorded = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM blob WHERE sha256 = $1")
            .bind(sha.as_str())
            .fetch_one(&self.pool)
            .await;
        if matches!(recorded, Ok(0)) {
            if let Err(e) = self.blobs.remove_created(sha.as_str()) {
                tracing::warn!(sha = %sha, "removing an unrecorded blob: {e}");
            }
        }
    }

    #[cfg(feature = "s3")]
    async fn put_s3_file(
        &self,
        s3: &S3Blobs,
        path: &Path,
        size: u64,
        sha: &Sha256,
        media_type: &str,
    ) -> Result<Sha256, StoreError> {
        let created = s3.put_file(path, sha.as_str(), size).await?;
        if let Err(e) = self
            .blob_row(sha, size, media_type)
            .execute(&self.pool)
            .await
        {
            if created {
                if let Err(d) = s3.remove_created(sha.as_str()).await {
                    tracing::warn!(sha = %sha, "removing an unrecorded object: {d}");
                }
            }
            return Err(e.into());
        }
        if let Err(e) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), "removing an uploaded temp file: {e}");
        }
        Ok(sha.clone())
    }

    async fn put_local(&self, bytes: Vec<u8>) -> Result<String, StoreError> {
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || blobs.put(&bytes))
            .await
            .map_err(|e| StoreError::Corrupt(format!("blob writer panicked: {e}")))?
    }

    /// How many blobs are recorded (tests and operators: nothing partial was kept).
    pub async fn blob_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob")
            .fetch_one(&self.pool)
            .await?;
        u64_of(n, "the blob count")
    }

    pub async fn get_blob(&self, sha: &Sha256) -> Result<Vec<u8>, StoreError> {
        #[cfg(feature = "s3")]
        if let Some(s3) = &self.s3 {
            return s3.get(sha.as_str()).await;
        }
        let blobs = self.blobs.clone();
        let sha = sha.as_str().to_string();
        tokio::task::spawn_blocking(move || blobs.get(&sha))
            .await
            .map_err(|e| StoreError::Corrupt(format!("blob reader panicked: {e}")))?
    }
}

async fn drop_timer(
    tx: &mut Transaction<'static, Any>,
    case_id: &str,
    timer_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM timer WHERE case_id = $1 AND timer_id = $2")
        .bind(case_id)
        .bind(timer_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn due_timer_of(r: &AnyRow) -> Result<DueTimer, StoreError> {
    let case_id: String = r.try_get(0)?;
    let timer_id: String = r.try_get(1)?;
    let item: Option<String> = r.try_get(2)?;
    let kind: String = r.try_get(3)?;
    let due: String = r.try_get(4)?;
    let what = || format!("timer row ({case_id:?}, {timer_id:?})");
    Ok(DueTimer {
        case_id: stored(CaseId::new(case_id.as_str()), what)?,
        item: item.map(|i| stored(ItemCode::new(i), what)).transpose()?,
        kind: stored(TimerKind::parse(&kind), what)?,
        timer_id,
        due: DateTime::parse_from_rfc3339(&due)
            .map_err(|e| StoreError::Corrupt(format!("timer due {due:?}: {e}")))?,
    })
}

/// The blob bucket named by `ZHISHEN_BLOB_URL` (`s3://BUCKET[/PREFIX]`), if set.
#[cfg(feature = "s3")]
fn s3_from_env() -> Result<Option<Arc<S3Blobs>>, StoreError> {
    match std::env::var("ZHISHEN_BLOB_URL") {
        Ok(u) if !u.is_empty() => Ok(Some(Arc::new(S3Blobs::from_url(&u)?))),
        _ => Ok(None),
    }
}

/// A build without S3 refuses `ZHISHEN_BLOB_URL` rather than silently keep
/// blobs on local disk.
#[cfg(not(feature = "s3"))]
fn refuse_s3_env() -> Result<(), StoreError> {
    match std::env::var("ZHISHEN_BLOB_URL") {
        Ok(u) if !u.is_empty() => Err(StoreError::BadInput(format!(
            "ZHISHEN_BLOB_URL={u}: this build has no S3 blob store (build with --features zhishen-store/s3)"
        ))),
        _ => Ok(()),
    }
}

/// Runs a whole transaction again after a transient conflict (lock timeout,
/// deadlock, racing duplicate), with a growing pause, up to [`MAX_RETRIES`].
async fn retrying<T, F, Fut>(what: &str, mut run: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 0;
    loop {
        match run().await {
            Err(e) if e.is_retryable() && attempt < MAX_RETRIES => {
                attempt += 1;
                tracing::debug!(what, attempt, "retrying after conflict: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(2 << attempt.min(6))).await;
            }
            r => return r,
        }
    }
}

fn no_process() -> StoreError {
    StoreError::NotFound("no process definition is published (publish definitions first)".into())
}

fn no_calendar() -> StoreError {
    StoreError::NotFound("no calendar is published".into())
}

/// A request id sent again for another case.
fn reused(request_id: &RequestId, orig: &str, case_id: &CaseId) -> StoreError {
    StoreError::BadInput(format!(
        "request id {request_id} was already used for case {orig}, not {case_id}"
    ))
}

/// The one answer of a one-command run.
fn single(mut out: Vec<Result<Executed, StoreError>>) -> Result<Executed, StoreError> {
    out.pop()
        .unwrap_or_else(|| Err(StoreError::Corrupt("a command run gave no answer".into())))
}

/// What is checked before a command is queued or run.
fn check_command(
    case_id: &CaseId,
    cmd: &Command,
    request_id: &RequestId,
) -> Result<(), StoreError> {
    check_id("case id", case_id.as_str())?;
    check_id("request id", request_id.as_str())?;
    if let Command::CreateCase { case_id: inner, .. } = cmd {
        if inner != case_id.as_str() {
            return Err(StoreError::BadInput(format!(
                "create names case {inner} but the command is addressed to case {case_id}"
            )));
        }
    }
    Ok(())
}

/// Ids become keys and file names: printable, no spaces, bounded.
fn check_id(what: &str, id: &str) -> Result<(), StoreError> {
    if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(StoreError::BadInput(format!(
            "{what} {id:?} must be 1–200 characters without spaces or control characters"
        )));
    }
    Ok(())
}
